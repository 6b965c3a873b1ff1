/* run.c: `husk run [create options] [-d|--detach] ID`: create and start in one go. In the
 * foreground husk forwards signals to the container's init, waits for it, removes the
 * container, and exits with its exit code (128+N when a signal N killed it). */
#include <getopt.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "container.h"
#include "error.h"
#include "log.h"
#include "state.h"
#include "terminal.h"
#include "utils.h"

#define RUN_USAGE "run [-b|--bundle DIR] [-d|--detach] [--pid-file F] [--preserve-fds N] " \
                  "[--no-pivot] [--no-new-keyring] ID"

/* What a shell user expects to reach the container rather than husk. */
static const int forwarded_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                        SIGALRM, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH};

static void forwarded_set(sigset_t *set) {
  sigemptyset(set);
  for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
    sigaddset(set, forwarded_signals[i]);
}

static int exit_status(int wstatus) {
  if (WIFEXITED(wstatus))
    return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus))
    return 128 + WTERMSIG(wstatus);
  return 255;
}

/* Forward signals until the init exits; returns its exit status. */
static int wait_forwarding(pid_t pid, int pidfd, struct husk_error **err) {
  sigset_t set;
  forwarded_set(&set);
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    return husk_error_sys(err, "signalfd");
  struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return husk_error_sys(err, "poll");
    }
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        long r = syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
        TRACE(r, "forward the signal husk received to the container's init",
              "pidfd_send_signal(%d, %u, NULL, 0)", pidfd, si.ssi_signo);
      }
    }
    if (p[1].revents) {
      int wstatus;
      pid_t r;
      do
        r = waitpid(pid, &wstatus, 0);
      while (r < 0 && errno == EINTR);
      if (r < 0)
        return husk_error_sys(err, "wait for container init %d", pid);
      return exit_status(wstatus);
    }
  }
}

/* An OOM kill shows in the exit status only as SIGKILL (or not at all, when it hit another
 * process of the container): say so, with the limit that was hit. */
static void report_oom(const char *root, const char *id) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  int64_t limit = -1;
  if (state_load(root, id, false, &fd, &st, NULL) < 0 || !container_oom_killed(st, &limit))
    return;
  char text[48];
  const int64_t mib = 1 << 20, kib = 1 << 10;
  if (limit < 0)
    snprintf(text, sizeof(text), "none of its own");
  else if (limit % mib == 0)
    snprintf(text, sizeof(text), "%" PRId64 " MiB", limit / mib);
  else if (limit % kib == 0)
    snprintf(text, sizeof(text), "%" PRId64 " KiB", limit / kib);
  else
    snprintf(text, sizeof(text), "%" PRId64 " bytes", limit);
  fprintf(stderr, "husk: container %s was OOM-killed (memory limit %s)\n", id, text);
}

static int run_container(const struct create_options *o, bool detach, struct husk_error **err) {
  pid_t pid;
  _cleanup_close_ int pidfd = -1;
  int r = container_create(o, &pid, &pidfd, err);
  if (r < 0)
    return r;
  r = container_start(o->root, o->id, err);
  if (r < 0) {
    container_delete(o->root, o->id, true, NULL);
    return r;
  }
  if (detach)
    return 0;
  int status = wait_forwarding(pid, pidfd, err);
  report_oom(o->root, o->id);
  _cleanup_error_ struct husk_error *del_err = NULL;
  if (container_delete(o->root, o->id, true, &del_err) < 0)
    log_warn("%s", del_err->message);
  return status;
}

int cmd_run(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {
      CREATE_LONG_OPTIONS, {"detach", no_argument, NULL, 'd'}, {0}};
  struct create_options o = {
      .root = g->root, .bundle = ".", .no_cgroup = strcmp(g->cgroup_manager, "disabled") == 0};
  bool detach = false;
  int c;
  while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
    if (c == 'd') {
      detach = true;
      continue;
    }
    int r = c == '?' ? command_bad_option(argv, RUN_USAGE, err) : create_parse_option(c, &o, err);
    if (r != 0)
      return r < 0 ? r : command_bad_option(argv, RUN_USAGE, err);
  }
  int r = command_take_id(argc, argv, optind, RUN_USAGE, &o.id, err);
  if (r < 0)
    return r;
  create_add_listen_fds(&o);
  /* A terminal run proxies (no --console-socket) starts with the size of husk's own. */
  _cleanup_json_ json_t *patch = NULL;
  if (!detach && !o.console_socket)
    terminal_size_patch(&patch, STDIN_FILENO);
  o.config_patch = patch;
  /* Block the forwarded signals before the container exists, so none is lost or kills husk
   * halfway; the init clears its mask before it execs. */
  sigset_t set, old;
  forwarded_set(&set);
  sigprocmask(SIG_BLOCK, &set, &old);
  /* With process.terminal and no --console-socket the pty comes to husk's terminal, when
   * it runs on one (terminal.h), as with runc; without one no helper is forked. */
  struct terminal_proxy tty = TERMINAL_PROXY_NONE;
  if (!detach && !o.console_socket && isatty(STDIN_FILENO))
    r = terminal_proxy_start(&tty, err);
  o.terminal_fd = tty.create_fd;
  if (r >= 0)
    r = run_container(&o, detach, err);
  terminal_proxy_finish(&tty);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return r;
}
