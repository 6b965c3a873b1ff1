/* process_setup.c: the ordered steps that turn a husk process inside a container into the
 * container's process, up to execve — one sequence for the init and for `husk exec`. */
#include "process_setup.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capabilities.h"
#include "console.h"
#include "error.h"
#include "log.h"
#include "process.h"
#include "seccomp/seccomp.h"
#include "spec.h"
#include "utils.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

int process_make_undumpable(struct husk_error **err) {
  int r = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  TRACE(r, "no container process may open /proc/<pid>/exe, the husk binary (CVE-2019-5736)",
        "prctl(PR_SET_DUMPABLE, 0)");
  if (r < 0)
    return husk_error_sys(err, "prctl(PR_SET_DUMPABLE, 0)");
  return 0;
}

static int join_session_keyring(const struct process_setup *s, struct husk_error **err) {
  if (s->no_new_keyring)
    return 0;
  /* A fresh anonymous session keyring keeps the host's keys out of the container. */
  long r = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
  TRACE(r, "give the container its own session keyring",
        "keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)");
  if (r < 0 && errno != ENOSYS)
    return husk_error_sys(err, "join a new session keyring");
  return 0;
}

/* Only stdio and the preserved fds may reach the process: everything else husk opened is
 * marked close-on-exec (a sync socket or fifo is needed until the very end). */
static int close_stray_fds(const struct process_setup *s, struct husk_error **err) {
  unsigned first = 3 + (unsigned)s->preserve_fds;
  for (unsigned fd = 3; fd < first; fd++) {
    int flags = fcntl((int)fd, F_GETFD);
    if (flags >= 0)
      fcntl((int)fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  long r = syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
  TRACE(r, "no host fd beyond stdio and --preserve-fds may reach the process",
        "close_range(%u, ~0U, CLOSE_RANGE_CLOEXEC)", first);
  if (r < 0)
    return husk_error_sys(err, "close_range");
  return 0;
}

static int load_seccomp(const struct process_setup *s, bool early, struct husk_error **err) {
  if (!s->seccomp || early == s->proc->no_new_privileges)
    return 0;
  return seccomp_program_load(s->seccomp, err);
}

int process_load_seccomp_late(const struct process_setup *s, struct husk_error **err) {
  return load_seccomp(s, false, err);
}

/* Terminal, env, executable and cwd: what still needs root and the container's files. */
static int prepare_environment(struct process_setup *s, struct process_plan *plan,
                               struct husk_error **err) {
  const struct spec_process *proc = s->proc;
  int r = 0;
  if (s->console_fd >= 0) {
    r = console_setup(s->console_fd, proc, err);
    closep(&s->console_fd);
    if (r < 0)
      return r;
  } else {
    /* As runc: no signal to the caller's process group (conmon's kill(-pgid) on --timeout,
     * a terminal's ^C) reaches the container by accident. console_setup does this itself. */
    r = setsid();
    TRACE(r, "a session of its own, apart from the caller's process group", "setsid()");
    if (r < 0)
      return husk_error_sys(err, "setsid");
  }
  r = process_build_env(proc, &plan->env, &plan->env_extra, err);
  if (r < 0)
    return r;
  r = process_find_executable(proc->args[0], (const char *const *)plan->env, &plan->path, err);
  if (r < 0)
    return r;
  return process_chdir(proc->cwd, err);
}

int process_prepare(struct process_setup *s, struct process_plan *plan, struct husk_error **err) {
  const struct spec_process *proc = s->proc;
  /* Checked before anything changes: an unknown capability name is a config error. */
  int r = capabilities_parse(proc->capabilities, &plan->caps, err);
  if (r < 0)
    return r;
  r = prepare_environment(s, plan, err);
  if (r < 0)
    return r;
  r = join_session_keyring(s, err);
  if (r < 0)
    return r;
  r = process_set_rlimits(proc, err);
  if (r < 0)
    return r;
  r = load_seccomp(s, true, err);
  if (r < 0)
    return r;
  r = capabilities_keep(err);
  if (r < 0)
    return r;
  r = process_set_user(proc, err);
  if (r < 0)
    return r;
  r = capabilities_apply(&plan->caps, err);
  if (r < 0)
    return r;
  r = process_set_no_new_privs(proc, err);
  if (r < 0)
    return r;
  r = process_make_undumpable(err);
  if (r < 0)
    return r;
  return close_stray_fds(s, err);
}

int process_execve(const struct process_setup *s, const struct process_plan *plan,
                   struct husk_error **err) {
  const char *const *args = s->proc->args;
  TRACE(0, "replace husk with the container's process", "execve(\"%s\", [\"%s\"%s], env)",
        plan->path, args[0], args[1] ? ", ..." : "");
  execve(plan->path, (char *const *)args, plan->env);
  return husk_error_sys(err, "exec %s", plan->path);
}
