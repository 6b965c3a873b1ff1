/* state.h: the state directory <root>/<id>/ of one container: its lock, state.json written
 * atomically, and the status derived from the live process, never trusted from the file. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct husk_error;

enum container_status {
  STATUS_CREATING,
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_PAUSED,
  STATUS_STOPPED,
};
const char *container_status_name(enum container_status status);

#define STATE_FILE "state.json"
#define EXEC_FIFO "exec.fifo"

struct container_state {
  char *id;
  pid_t pid;                          /* init, in husk's pid namespace; 0 before it exists */
  unsigned long long pid_start_time;  /* /proc/<pid>/stat field 22, to spot a reused pid */
  char *bundle;                       /* absolute */
  char *rootfs;                       /* absolute */
  char *created;                      /* RFC 3339 */
  uid_t owner;
  json_t *annotations;                /* object, owned */
  bool started;                       /* `start` released the init */
  int clone_flags;                    /* namespaces the container made itself */
  json_t *cgroup;                     /* its cgroup as cgroups/ saved it, owned; NULL: none */
  char *host_mounts;                  /* no mount namespace of its own: its mounts are in
                                         husk's, below this path (its rootfs); else NULL */
  char *storage;                      /* an image container's own directory in the image store
                                         (upper, work, volumes): removed on delete */
  /* Kept by the monitor of a container `husk run` started (monitor.h); absent otherwise. */
  pid_t monitor_pid;                     /* 0: no monitor */
  unsigned long long monitor_start_time; /* to spot a reused pid, as pid_start_time */
  bool exited;                           /* the monitor reaped the init: the fields below */
  int exit_code;                         /* its exit status, 128+N when signal N killed it */
  char *finished;                        /* RFC 3339 */
  bool oom_killed;                       /* the kernel OOM-killed a process of it */
  int restart_count;                     /* restarts by --restart, --health-on-failure restart */
  /* ---- restarts (issue 14, item 6) ---- */
  char *started_at;                      /* RFC 3339: when the monitor last started it */
  bool restarting;                       /* the monitor waits out a back-off to start it */
  char *restart_policy;                  /* --restart as given ("on-failure:3"); NULL: none */
};

void container_state_free(struct container_state *st);
static inline void container_state_freep(struct container_state **s) { container_state_free(*s); }
#define _cleanup_state_ __attribute__((cleanup(container_state_freep)))

/* The default root: /run/husk for root, $XDG_RUNTIME_DIR/husk otherwise. */
const char *state_default_root(void);

/* Check a container id: [A-Za-z0-9_+.-]{1,1024}, not "." or "..". */
int state_check_id(const char *id, struct husk_error **err);

/* Make <root>/<id> (the root too, if needed) and lock it exclusively. Fails with EEXIST and
 * "container <id> already exists" if it is there, so two creates of one id cannot both win. */
int state_dir_create(const char *root, const char *id, int *ret_dirfd, struct husk_error **err);
/* Open and lock an existing <root>/<id>: ENOENT "container <id> does not exist". */
int state_dir_open(const char *root, const char *id, bool exclusive, int *ret_dirfd,
                   struct husk_error **err);
/* Remove <root>/<id> and everything in it. */
int state_dir_remove(const char *root, const char *id, struct husk_error **err);

/* state_dir_open + state_read: the usual first step of a command on one container. */
int state_load(const char *root, const char *id, bool exclusive, int *ret_dirfd,
               struct container_state **ret, struct husk_error **err);

int state_write(int dirfd, const struct container_state *st, struct husk_error **err);
/* state.json's text → a state (state_read without the file). */
int state_parse(const char *text, struct container_state **ret, struct husk_error **err);
int state_read(int dirfd, struct container_state **ret, struct husk_error **err);

/* created: the init is alive and waits on the exec fifo; running: alive and started;
 * paused: running with its cgroup frozen; stopped: gone (or a different process holds the
 * pid). */
enum container_status state_status(int dirfd, const struct container_state *st);
bool state_init_alive(const struct container_state *st);
/* The monitor recorded in the state still runs. */
bool state_monitor_alive(const struct container_state *st);

/* The OCI state object (ociVersion, id, status, pid, bundle, rootfs, created, owner,
 * annotations) that `husk state` prints and hooks read on stdin. */
json_t *state_to_oci_json(const struct container_state *st, enum container_status status);
