/* process_setup.c: the ordered steps that turn a husk process inside a container into the
 * container's process, up to execve — one sequence for the init and for `husk exec`. */
#include "process_setup.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "capabilities.h"
#include "console.h"
#include "lsm.h"
#include "process.h"
#include "process/trampoline/trampoline.h"
#include "seccomp/seccomp.h"
#include "spec/spec.h"

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

/* Only stdio and the preserved fds may reach the process, and no other fd may be open while
 * its path is resolved: a host directory fd leaked into husk would make
 * /proc/self/fd/N/prog a host program (CVE-2024-21626). Closed, not just close-on-exec. */
static int close_foreign_fds(const struct process_setup *s, struct husk_error **err) {
  unsigned first = 3 + (unsigned)s->preserve_fds;
  int keep[8];
  size_t n = 0;
  int log = log_fd();
  if (log >= 0)
    keep[n++] = log;
  if (s->console_fd >= 0)
    keep[n++] = s->console_fd;
  for (size_t i = 0; i < s->n_keep_fds && n < ARRAY_SIZE(keep); i++)
    keep[n++] = s->keep_fds[i];
  int r = close_fds_except(first, keep, n);
  TRACE(r, "no host fd beyond stdio and --preserve-fds is open while the program is found",
        "close_range(%u, ~0U, 0) /* but %zu fds husk still needs */", first, n);
  if (r < 0)
    return husk_error_errno(err, -r, "close inherited fds");
  return 0;
}

/* Without CLOSE_RANGE_CLOEXEC (before Linux 5.11): each fd /proc/self/fd lists. */
static int mark_listed_fds_cloexec(unsigned first) {
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  int self = dirfd(d);
  for (struct dirent *e; (e = readdir(d));) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd < (int)first || fd == self)
      continue;
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
      closedir(d);
      return -1;
    }
  }
  closedir(d);
  return 0;
}

/* The fds husk keeps to the end close when the program is executed. Done before an early
 * seccomp filter is loaded: the profiles of older Docker, containerd and Kubernetes releases
 * do not allow close_range. */
static int mark_kept_fds_cloexec(const struct process_setup *s, struct husk_error **err) {
  unsigned first = 3 + (unsigned)s->preserve_fds;
  for (unsigned fd = 3; fd < first; fd++) {
    int flags = fcntl((int)fd, F_GETFD);
    if (flags >= 0)
      fcntl((int)fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  long r = syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
  TRACE(r, "the fds husk still needs close when the program is executed",
        "close_range(%u, ~0U, CLOSE_RANGE_CLOEXEC)", first);
  if (r < 0 && (errno == ENOSYS || errno == EINVAL))
    r = mark_listed_fds_cloexec(first);
  if (r < 0)
    return husk_error_sys(err, "mark fds close-on-exec");
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
    r = console_setup(s->console_fd, proc, s->bind_console, err);
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
  r = process_chdir(proc->cwd, err);
  if (r < 0)
    return r;
  /* Before rlimits (a low RLIMIT_NOFILE) and the seccomp filter (memfd_create forbidden). */
  plan->trampoline_fd = trampoline_open(err);
  return plan->trampoline_fd < 0 ? plan->trampoline_fd : 0;
}

int process_prepare(struct process_setup *s, struct process_plan *plan, struct husk_error **err) {
  const struct spec_process *proc = s->proc;
  /* Checked before anything changes: an unknown capability name is a config error. */
  int r = capabilities_parse(proc->capabilities, &plan->caps, err);
  if (r < 0)
    return r;
  r = close_foreign_fds(s, err);
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
  /* Before no_new_privs, which would limit the profile transition at execve. */
  r = lsm_set_exec_labels(proc, err);
  if (r < 0)
    return r;
  r = mark_kept_fds_cloexec(s, err);
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
  return process_make_undumpable(err);
}

int process_execve(const struct process_setup *s, const struct process_plan *plan, int report_fd,
                   struct husk_error **err) {
  if (s->as_init && report_fd >= 0)
    return trampoline_execve_init(plan->trampoline_fd, plan->path, (char *const *)s->proc->args,
                                  plan->env, report_fd, err);
  return trampoline_execve(plan->trampoline_fd, plan->path, (char *const *)s->proc->args, plan->env,
                           report_fd, err);
}
