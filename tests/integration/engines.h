/* engines.h: shared by the engine suites (test_podman.c, test_containerd.c), on top of the
 * harness: running an engine's command line with input, a timeout and captured output; a pty
 * for it through script(1); scratch directories that live for the whole run; what the runtime
 * under test offers; the cgroup directories an engine makes and leaves behind. */
#pragma once

#include <sys/types.h>

#include "harness.h"

/* How long an engine command may take before it counts as hung and is killed. */
#define E_TIMEOUT_MS 60000

struct e_opts {
  const char *input; /* written to its stdin, then closed; NULL: stdin is /dev/null */
  int fd3;           /* passed on as its fd 3 when >= 0 (e.g. --preserve-fds 1) */
  int timeout_ms;    /* 0: E_TIMEOUT_MS */
};

/* Run argv (argv[0] searched in PATH) in its own process group; status as in struct h_result. */
struct h_result e_run(const struct e_opts *opts, char *const *argv);
/* The same as a NULL-terminated list, with default options. */
struct h_result e_runl(const char *arg0, ...) __attribute__((sentinel));
/* Run argv on the slave side of a fresh pty (script -qec), input typed into it. */
struct h_result e_run_tty(const char *input, char *const *argv);

/* argv joined into one string that sh parses back into the same words. */
char *e_shell_join(char *const *argv);
/* A string with leading and trailing whitespace removed, in place. */
char *e_trim(char *s);
/* A new string, printf-style; aborts when out of memory. */
char *e_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* <the harness's work dir>/<name>, created once; removed (and checked for mounts) by the
 * harness at the end of the run, so suite-wide fixtures can keep their state in it. */
char *e_workdir(const char *name);

/* The runtime has an exec command (`exec --help` does not call it unknown): engine tests that
 * need exec skip themselves until then. */
bool e_runtime_has_exec(void);
/* Printed by a test that skips itself, so the log says why it passed without checking. */
void e_skip(const char *test, const char *why);

/* How many directories there are below /<parent>, summed over the cgroup hierarchies, not
 * counting those named except (may be NULL). With remove, rmdir them all and /<parent> itself,
 * deepest first: engines leave the parent (and podman its conmon cgroup) behind. */
int e_cgroup_children(const char *parent, const char *except, bool remove);

/* Wait until no process's command line contains needle (conmon, a shim: they exit a moment
 * after their container); false when one is still there after timeout_ms. */
bool e_wait_no_process(const char *needle, int timeout_ms);

/* prog is an executable in PATH. */
bool e_have(const char *prog);

/* Start an engine's daemon (argv[0] searched in PATH, with path_first put in front of PATH
 * when not NULL) in its own session, so a test's timeout, which kills its process group,
 * never kills it; stdin /dev/null, stdout and stderr appended to log, no other fd. */
pid_t e_start_daemon(char *const *argv, const char *log, const char *path_first);

#define ck_assert_ok(r, what)                                                                      \
  ck_assert_msg((r).status == 0, "%s: exit %d\nstdout: %s\nstderr: %s", what, (r).status, (r).out, \
                (r).err)
