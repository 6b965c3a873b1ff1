/* container.h: the parent side of a container's lifecycle: create, start, kill, delete. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct husk_error;
struct container_state;
struct cgroup;
struct image;

/* What a config_edit callback may need besides the document: where the container's files come
 * from, to fill a new named volume (one of them is set). */
struct config_edit_ctx {
  const char *storage;       /* the image store (create_options.storage) */
  const struct image *image; /* an image's container: its merged layers */
  const char *rootfs;        /* a bundle's container: its root.path, resolved */
};
typedef int (*config_edit_fn)(json_t *doc, const struct config_edit_ctx *ctx, const void *arg,
                              struct husk_error **err);

/* run --network: what the container's network namespace is. */
enum network_mode {
  NETWORK_CONFIG,  /* as config.json says (runc's create, and run without --network) */
  NETWORK_PRIVATE, /* a new one, with only lo: ports are published into it (the default) */
  NETWORK_NONE,    /* a new one, nothing published */
  NETWORK_HOST,    /* the caller's */
  NETWORK_PASTA,   /* a new one that pasta (passt) connects to the outside */
};

struct create_options {
  const char *root;
  const char *id;
  const char *bundle;         /* directory holding config.json; "." when not given */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* NULL: none */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool no_cgroup;             /* --cgroup-manager disabled: no cgroup, no limits */
  bool systemd_cgroup;        /* --systemd-cgroup: the cgroup is a systemd scope */
  enum network_mode network;  /* run --network: replaces config.json's network namespace */
  char *const *pasta_args;    /* --network pasta: its -t/-u options (NULL-terminated) */
  int terminal_fd;            /* > 2: a socket (run's socketpair) the pty master goes to when
                                 process.terminal is set and no console_socket is given */
  const json_t *config_patch; /* merged into config.json in memory (run -m, -u, ...); NULL: none */
  const json_t *config_doc;   /* run IMAGE: the config made from the image, used instead of
                                 bundle/config.json; the bundle is then the container's own
                                 directory in the image store. NULL: the bundle's */
  const char *storage;        /* the image store (--storage); NULL: store_default_root() */
  const char *user_name;      /* run -u NAME[:GROUP]: process.user from the rootfs's
                                 /etc/passwd and /etc/group; NULL: none */
  const struct service_files *service; /* husk run: /etc/hosts, /etc/hostname, /etc/resolv.conf
                                          and secrets made for it (etc_files.h); NULL: none,
                                          as with runc (create) */
  char *const *env;                    /* run -e, --env-file: K=V over process.env, in order, each
                                          replacing its key's entry where it is, else appended;
                                          NULL-terminated; NULL: none */
  /* run's docker flags that need config.json as it is (mounts appended rather than replaced,
   * capabilities added and dropped, named volumes made): called on the document after
   * config_patch and once the rootfs or image is known, before anything exists on the host.
   * NULL: none. */
  config_edit_fn config_edit;
  const void *config_edit_arg;
  bool reuse_state_dir; /* a restart in place: <root>/<id> exists (container_reset) */
  /* husk run: the container dies with its monitor, the init's parent (a monitor cannot be
   * replaced: only the parent reaps the init and learns its exit status). The monitor is the
   * caller, or with monitor_is_parent the caller's parent (the init is cloned with
   * CLONE_PARENT). Not with a user namespace joined by path. */
  bool dies_with_monitor;
  bool monitor_is_parent;
};

/* Parse the bundle, make the state directory, clone the init and set it up until it waits
 * on the exec fifo. On failure nothing is left: no state dir, no process, no mounts.
 * ret_pid gets the init's pid; ret_pidfd (may be NULL) a pidfd for it. */
int container_create(const struct create_options *opts, pid_t *ret_pid, int *ret_pidfd,
                     struct husk_error **err);

/* Write pid to path atomically (temp file + rename), so an engine polling for it never reads
 * half a pid. */
int container_write_pid_file(const char *path, pid_t pid, struct husk_error **err);

/* Release a created container's init to execve its process. */
int container_start(const char *root, const char *id, struct husk_error **err);

/* Signal the init (or with all, every process of the container: its cgroup's, else its pid
 * namespace's). */
int container_kill(const char *root, const char *id, int sig, bool all, struct husk_error **err);

/* Remove a stopped or created container; with force a running one is killed first.
 * A missing container with force is not an error (as with runc). */
int container_delete(const char *root, const char *id, bool force, struct husk_error **err);

/* Tear a stopped container down as delete does (its cgroup, poststop hooks) but keep its state
 * directory, for a restart in place: container_create with reuse_state_dir then. */
int container_reset(const char *root, const char *id, struct husk_error **err);

/* Whether the kernel OOM-killed a process in the container's cgroup; ret_limit (may be NULL)
 * gets its memory limit in bytes, -1 for none. False without a cgroup or memory accounting. */
bool container_oom_killed(const struct container_state *st, int64_t *ret_limit);

/* The cgroup a container's state records (pause, resume, update, ps, events): ENOTSUP when it
 * has none (created with --cgroup-manager disabled). */
int container_cgroup(const struct container_state *st, struct cgroup **ret,
                     struct husk_error **err);
