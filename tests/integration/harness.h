/* harness.h: shared by the integration tests: the runtime under test ($OCI_RUNTIME, else the
 * built husk), bundles made with scripts/mkbundle, config.json edits with jansson, running the
 * runtime with captured output and a timeout, and cleanup of containers, mounts and files. */
#pragma once

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/types.h>

/* Every runtime command gets this long before it counts as hung and is killed. */
#define H_TIMEOUT_MS 30000

static inline void h_freep(void *p) { free(*(void **)p); }
static inline void h_json_freep(json_t **j) {
  if (*j)
    json_decref(*j);
}
#define _h_free_ __attribute__((cleanup(h_freep)))
#define _h_json_ __attribute__((cleanup(h_json_freep)))

struct h_result {
  int status; /* exit code; 128+N when killed by signal N; -1 when it timed out */
  char *out;  /* stdout, NUL-terminated, never NULL */
  char *err;  /* stderr */
};
void h_result_free(struct h_result *r);
#define _h_result_ __attribute__((cleanup(h_result_free)))

/* The whole executable: exits 77 (skipped) unless root, makes the base bundle, runs the suite
 * with every test in its own process, then removes whatever the tests left behind (and fails
 * if that was anything). Returns main's exit status. */
int h_main(Suite *s);

/* A test case with the harness's teardown and a timeout fit for containers. */
TCase *h_tcase(const char *name);

/* asprintf that aborts when out of memory; free the result. */
char *h_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CLOCK_MONOTONIC in ms, and a sleep of ms that signals do not cut short. */
long long h_now_ms(void);
void h_sleep_ms(int ms);

const char *h_runtime(void);
/* False when $OCI_RUNTIME names another runtime: husk-only assertions are skipped then. */
bool h_is_husk(void);
const char *h_state_root(void); /* the --root of every container of this executable */

/* A copy of the base bundle (config.json + rootfs) in a new directory; absolute path. */
char *h_bundle_new(const char *name);
/* h_bundle_new whose process is `sh -c cmd`. */
char *h_bundle_cmd(const char *name, const char *cmd);
/* A new empty directory (mode 0755); absolute path. */
char *h_dir_new(const char *name);
/* A container id unique to this test; teardown runs `delete --force` on it. */
char *h_id_new(const char *name);

json_t *h_config_load(const char *bundle);
void h_config_save(const char *bundle, json_t *config);
/* Set (value is stolen) or delete a member by dotted path, e.g. "root.readonly". */
void h_config_set(json_t *config, const char *path, json_t *value);
void h_config_del(json_t *config, const char *path);
/* Append to the array at path, creating it if needed; value is stolen. */
void h_config_append(json_t *config, const char *path, json_t *value);
/* process.args = ["sh", "-c", cmd] */
void h_config_set_cmd(json_t *config, const char *cmd);
/* mounts += {destination, type, source, options}; options are NULL-terminated. */
void h_config_add_mount(json_t *config, const char *dst, const char *type, const char *src, ...)
    __attribute__((sentinel));
/* process.capabilities' bounding, effective and permitted sets += cap */
void h_config_add_cap(json_t *config, const char *cap);
void h_config_add_namespace(json_t *config, const char *type);
void h_config_remove_namespace(json_t *config, const char *type);

/* create --bundle bundle id, then start id; each must succeed. */
void h_create_and_start(const char *bundle, const char *id);

/* Run the runtime with `--root <state root>` and the given arguments (NULL-terminated). */
struct h_result h_rt(const char *arg, ...) __attribute__((sentinel));
/* The same without --root (for --version, spec). */
struct h_result h_rt_noroot(const char *arg, ...) __attribute__((sentinel));

/* A runtime command running in the background (e.g. a foreground `run`). */
struct h_proc;
struct h_proc *h_rt_spawn(const char *arg, ...) __attribute__((sentinel));
/* Any program (argv[0] a path), with stdin on /dev/null; leak_fd (or -1) stays open in it
 * as a careless caller would leave it, without close-on-exec. */
struct h_proc *h_spawn(char *const *argv, int leak_fd);
/* Its pid (it leads its own process group). */
pid_t h_proc_pid(const struct h_proc *p);
/* Wait for it (killing it after timeout_ms) and free it. */
struct h_result h_proc_wait(struct h_proc *p, int timeout_ms);

/* `state ID` parsed; NULL when the command failed or printed no JSON object. */
json_t *h_state(const char *id);
/* Poll `state ID` until its status is the given one; false after timeout_ms. */
bool h_wait_status(const char *id, const char *status, int timeout_ms);
/* The pid in `state ID`; 0 when there is none. */
pid_t h_state_pid(const char *id);

/* A live process: /proc/<pid> exists and is not a zombie. */
bool h_pid_alive(pid_t pid);
bool h_wait_pid_gone(pid_t pid, int timeout_ms);
bool h_wait_file(const char *path, int timeout_ms);
bool h_exists(const char *path);
/* Whole file as a string; NULL when it cannot be read. */
char *h_read(const char *path);
void h_write(const char *path, const char *data);
/* Count the lines of a string. */
int h_lines(const char *s);

/* The host's mount table: number of entries, and whether one is mounted at path or below. */
int h_mount_count(void);
bool h_mounted_under(const char *path);
/* A live process whose command line contains needle (other than this test's processes). */
bool h_process_mentions(const char *needle);
/* A cgroup directory named id up to two levels below /sys/fs/cgroup/<controller>/. */
bool h_cgroup_exists(const char *id);
/* A process's cgroup v2 path as /proc/PID/cgroup's "0::" line says ("/system.slice/x.scope"),
 * or NULL; the caller frees it. */
char *h_cgroup2_of(pid_t pid);
/* Zombies whose parent is a live husk process (a monitor or probe worker that did not reap
 * them); each is reported on stderr. 0 is right. */
int h_husk_zombies(void);
/* The state directory <root>/<id> exists. */
bool h_state_dir_exists(const char *id);

/* Run the checks for a create that must fail: non-zero exit, a message on stderr (containing
 * husk_wording when testing husk), and nothing left behind. */
void h_assert_create_fails_cleanly(const char *bundle, const char *id, const char *husk_wording);

/* Receive one fd sent with SCM_RIGHTS (a console socket's pty master); -1 on failure. */
int h_recv_fd(int sock);
