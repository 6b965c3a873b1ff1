/* process_setup.h: the steps every container process takes between entering the container and
 * execve, shared by the init (init.c) and `husk exec` (exec.c): terminal, environment, the
 * executable's lookup, cwd, session keyring, rlimits, user, capabilities, no_new_privs, the
 * non-dumpable flag, stray fds, and the seccomp filter (loaded last). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "capabilities.h"

struct husk_error;
struct seccomp_program;
struct spec_process;

struct process_setup {
  const struct spec_process *proc;
  const struct seccomp_program *seccomp; /* compiled by the parent; NULL when none */
  int console_fd;      /* connected console socket for process.terminal, or -1; closed by
                          process_prepare */
  int preserve_fds;    /* fds 3 .. 3+preserve_fds-1 reach the process */
  bool no_new_keyring; /* keep the caller's session keyring */
  bool bind_console;   /* the container's init: its pty is bound over /dev/console */
  const int *keep_fds; /* husk's own fds still needed until execve (sync socket, exec fifo); */
  size_t n_keep_fds;   /* every other fd beyond stdio and the preserved ones is closed */
  bool as_init;        /* run --init: the trampoline stays as pid 1, a reaper of the program */
};

/* What process_prepare found, for process_execve. Never freed: the process execs or exits. */
struct process_plan {
  char *path;      /* the executable, found in the container's PATH */
  char **env;      /* process.env plus HOME when it was missing */
  char *env_extra; /* the added HOME=..., owned here */
  struct cap_sets caps;
  int trampoline_fd; /* the exec trampoline (trampoline/trampoline.h in this folder) */
};

/* prctl(PR_SET_DUMPABLE, 0): no container process may open /proc/<pid>/exe of a process
 * still running the husk binary (CVE-2019-5736). Credential changes reset it; set it again. */
int process_make_undumpable(struct husk_error **err);

/* Everything but the seccomp filter and execve, in the container's namespaces with its root
 * as /: first every fd beyond stdio, the preserved ones and keep_fds is closed (so the
 * program's path cannot be resolved through a host fd: CVE-2024-21626), then console, env,
 * executable (which must lie inside the container's root), cwd, the exec trampoline, keyring,
 * rlimits, user, capabilities, no_new_privs, non-dumpable, close-on-exec for the kept fds. */
int process_prepare(struct process_setup *s, struct process_plan *plan, struct husk_error **err);

/* The filter is loaded last, just before execve, so husk's own setup is not filtered; without
 * no_new_privs loading it needs CAP_SYS_ADMIN, so then it is loaded early instead, by
 * process_prepare before the user and capabilities change (as runc does). This is the late
 * load: it does nothing unless process.noNewPrivileges is set. */
int process_load_seccomp_late(const struct process_setup *s, struct husk_error **err);

/* execve the process through the exec trampoline; report_fd (or -1) as in
 * trampoline_execve. Returns only on failure. */
int process_execve(const struct process_setup *s, const struct process_plan *plan, int report_fd,
                   struct husk_error **err);
