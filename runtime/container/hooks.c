/* hooks.c: running OCI hooks: fork, the state JSON on the hook's stdin through a pipe,
 * execve with the hook's own args and env, a wait bounded by its timeout (pidfd + poll,
 * SIGKILL to its process group when it runs over); and the copy of config.json that lets
 * start and delete run poststart and poststop hooks. */
#include "hooks.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/signals.h"
#include "base/utils.h"
#include "process/trampoline/trampoline.h"

/* Why each phase runs where it does, for --trace. */
static const char *const phase_why[HOOK_PHASE_COUNT] = {
    [HOOK_PRESTART] = "prestart hook (deprecated): in the runtime's namespaces, rootfs mounted",
    [HOOK_CREATE_RUNTIME] = "createRuntime hook: in the runtime's namespaces, rootfs mounted",
    [HOOK_CREATE_CONTAINER] = "createContainer hook: in the container's namespaces, before "
                              "pivot_root",
    [HOOK_START_CONTAINER] = "startContainer hook: in the container, just before its process",
    [HOOK_POSTSTART] = "poststart hook: the container's process has started",
    [HOOK_POSTSTOP] = "poststop hook: the container's process is gone",
};

/* A pipe holding all of the state, its write end closed: the hook reads it at its own pace
 * and husk never blocks on (or takes SIGPIPE from) a hook that ignores its stdin. */
static int state_pipe(const char *state_json, int *ret_fd, struct husk_error **err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return husk_error_sys(err, "pipe");
  _cleanup_close_ int rd = p[0], wr = p[1];
  size_t len = strlen(state_json);
  if (len > 65536 && fcntl(wr, F_SETPIPE_SZ, (int)(len > INT_MAX ? INT_MAX : len)) < 0)
    return husk_error_sys(err, "make the state pipe hold %zu bytes", len);
  if (write_all(wr, state_json, len) < 0)
    return husk_error_sys(err, "write the state to the hook's stdin");
  *ret_fd = TAKE_FD(rd);
  return 0;
}

static _Noreturn void exec_hook(const struct spec_hook *hook, int stdin_fd, int err_fd) {
  /* Its own process group, so a timeout kills whatever it started too. */
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal(sig, SIG_DFL);
  /* stdout goes where husk's diagnostics go; fds beyond stdio are not the hook's business,
   * and none may be open while its path is resolved (CVE-2024-21626). Like the container's
   * process it is executed through the trampoline: a startContainer hook is a file of the
   * container (CVE-2019-5736). */
  int tramp = -1;
  if (dup2(stdin_fd, 0) < 0 || dup2(2, 1) < 0 || close_fds_except(3, &err_fd, 1) < 0 ||
      (tramp = trampoline_open(NULL)) < 0) {
    int e = errno;
    write_all(err_fd, &e, sizeof(e));
    _exit(127);
  }
  const char *fallback[] = {hook->path, NULL};
  const char *const *args = hook->args[0] ? hook->args : fallback;
  trampoline_execve(tramp, hook->path, (char *const *)args, (char *const *)hook->env, err_fd, NULL);
  int e = errno;
  write_all(err_fd, &e, sizeof(e));
  _exit(127);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for the hook, at most timeout_s seconds when that is > 0; -ETIMEDOUT after killing
 * it (and its process group) when it runs over. */
static int wait_hook(pid_t pid, int timeout_s, int *ret_status) {
  _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  long long deadline = timeout_s > 0 ? now_ms() + timeout_s * 1000LL : -1;
  for (;;) {
    int status;
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      *ret_status = status;
      return 0;
    }
    if (w < 0 && errno != EINTR)
      return -errno;
    long long left = deadline < 0 ? -1 : deadline - now_ms();
    if (deadline >= 0 && left <= 0) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
      return -ETIMEDOUT;
    }
    int wait = left < 0 || left > INT_MAX ? (left < 0 ? -1 : INT_MAX) : (int)left;
    if (pidfd >= 0) {
      struct pollfd p = {.fd = pidfd, .events = POLLIN};
      poll(&p, 1, wait);
    } else { /* no pidfd_open (before Linux 5.3): look again shortly */
      struct timespec ts = {0, 10 * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
}

static int hook_result(const char *where, int status, int exec_errno, struct husk_error **err) {
  if (exec_errno)
    return husk_error_errno(err, exec_errno, "%s: exec", where);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFEXITED(status))
    return husk_error_set(err, EIO, "%s: exited with status %d", where, WEXITSTATUS(status));
  const char *name = signal_name(WTERMSIG(status));
  return husk_error_set(err, EIO, "%s: killed by signal %d (%s)", where, WTERMSIG(status),
                        name ? name : "unknown");
}

int hook_run(const struct spec_hook *hook, enum spec_hook_phase phase, size_t index,
             const char *state_json, struct husk_error **err) {
  const char *phase_name = spec_hook_phase_name(phase);
  _cleanup_free_ char *where = xasprintf("hook %s[%zu] (%s)", phase_name, index, hook->path);
  _cleanup_close_ int stdin_fd = -1;
  int r = state_pipe(state_json, &stdin_fd, err);
  if (r < 0)
    return husk_error_wrap(err, "%s", where);
  int errp[2];
  if (pipe2(errp, O_CLOEXEC) < 0)
    return husk_error_sys(err, "%s: pipe", where);
  _cleanup_close_ int err_rd = errp[0], err_wr = errp[1];
  pid_t pid = fork();
  if (pid == 0)
    exec_hook(hook, stdin_fd, err_wr);
  TRACE(pid, phase_why[phase], "fork() + execve(\"%s\") # %s[%zu], state on stdin", hook->path,
        phase_name, index);
  if (pid < 0)
    return husk_error_sys(err, "%s: fork", where);
  setpgid(pid, pid); /* also here, so a kill right away reaches the group */
  closep(&err_wr);
  closep(&stdin_fd);
  int status = 0;
  r = wait_hook(pid, hook->has_timeout ? hook->timeout : 0, &status);
  if (r == -ETIMEDOUT)
    return husk_error_set(err, ETIMEDOUT, "%s timed out after %d s", where, hook->timeout);
  if (r < 0)
    return husk_error_errno(err, -r, "%s: wait", where);
  int exec_errno = 0;
  if (read_all(err_rd, &exec_errno, sizeof(exec_errno)) != (ssize_t)sizeof(exec_errno))
    exec_errno = 0;
  return hook_result(where, status, exec_errno, err);
}

bool hooks_need_create_sync(const struct spec *spec) {
  const struct spec_hook_list *h = spec->hooks;
  return h[HOOK_PRESTART].n || h[HOOK_CREATE_RUNTIME].n || h[HOOK_CREATE_CONTAINER].n ||
         h[HOOK_START_CONTAINER].n;
}

int hooks_run(const struct spec *spec, enum spec_hook_phase phase, const char *state_json,
              struct husk_error **err) {
  const struct spec_hook_list *list = &spec->hooks[phase];
  for (size_t i = 0; i < list->n; i++) {
    int r = hook_run(&list->hooks[i], phase, i, state_json, err);
    if (r < 0)
      return r;
  }
  return 0;
}

void hooks_run_warn(const struct spec *spec, enum spec_hook_phase phase, const char *state_json) {
  const struct spec_hook_list *list = &spec->hooks[phase];
  for (size_t i = 0; i < list->n; i++) {
    _cleanup_error_ struct husk_error *e = NULL;
    if (hook_run(&list->hooks[i], phase, i, state_json, &e) < 0)
      log_warn("%s", e->message);
  }
}

char *hooks_state_text(const struct container_state *st, enum container_status status) {
  _cleanup_json_ json_t *j = state_to_oci_json(st, status);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (!text)
    abort();
  return text;
}

int hooks_state_with_status(const char *state_json, const char *status, char **ret,
                            struct husk_error **err) {
  json_error_t e;
  _cleanup_json_ json_t *j = json_loads(state_json, 0, &e);
  if (!json_is_object(j))
    return husk_error_set(err, EINVAL, "container state for hooks: %s",
                          j ? "not an object" : e.text);
  if (json_object_set_new(j, "status", json_string(status)) < 0)
    abort();
  char *text = json_dumps(j, JSON_COMPACT);
  if (!text)
    abort();
  *ret = text;
  return 0;
}

int hooks_save_config(int state_fd, const struct spec *spec, bool changed,
                      struct husk_error **err) {
  if (!changed && !spec->hooks[HOOK_POSTSTART].n && !spec->hooks[HOOK_POSTSTOP].n)
    return 0;
  /* The document husk parsed, not the file again: the bundle may change meanwhile. */
  _cleanup_free_ char *text = json_dumps(spec->doc, JSON_COMPACT);
  if (!text)
    abort();
  int r = write_file_atomic_at(state_fd, HOOKS_CONFIG_FILE, text, strlen(text), 0600, err);
  return r < 0 ? husk_error_wrap(err, "keep config.json for poststart and poststop hooks") : 0;
}

void hooks_run_saved(int state_fd, const struct container_state *st, enum spec_hook_phase phase,
                     enum container_status status) {
  const char *phase_name = spec_hook_phase_name(phase);
  _cleanup_error_ struct husk_error *e = NULL;
  _cleanup_free_ char *text = NULL;
  int r = read_file_at(state_fd, HOOKS_CONFIG_FILE, HUSK_FILE_MAX, &text, &e);
  if (r == -ENOENT) /* the config has no poststart or poststop hooks */
    return;
  _cleanup_spec_ struct spec *spec = NULL;
  if (r >= 0)
    r = spec_parse_string(text, &spec, &e);
  if (r < 0) {
    log_warn("%s hooks of %s not run: saved config: %s", phase_name, st->id, e->message);
    return;
  }
  if (!spec->hooks[phase].n)
    return;
  _cleanup_free_ char *state_json = hooks_state_text(st, status);
  hooks_run_warn(spec, phase, state_json);
}
