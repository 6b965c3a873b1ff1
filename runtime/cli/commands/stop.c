/* stop.c: `husk stop [-t|--time SECONDS] ID`: the container's stop signal (its
 * org.opencontainers.image.stopSignal annotation, set by `run --stop-signal`; else SIGTERM)
 * to its init, SIGKILL to everything in it after the timeout (-t, else the io.husk.stopTimeout
 * annotation, else 10 s), and then the wait for its monitor to record the exit. A container
 * with a monitor is stopped by the monitor (asked on monitor.sock), so that no --restart
 * policy starts it again, also while it waits out a back-off. `husk restart [-t] ID` has the
 * monitor stop it and start it again; one whose monitor is gone is started anew (start.c). */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/duration.h"
#include "monitor/monitor.h"
#include "monitor/run_options.h"

#define STOP_USAGE "stop [-t|--time SECONDS] ID"
#define RESTART_USAGE "restart [-t|--time SECONDS] ID"

/* How long a stopped container's monitor gets to record the exit and finish. */
#define MONITOR_FINISH_MS 5000

/* Wait until the process behind pidfd exits, at most timeout_ms (-1: no limit). */
static bool wait_exit(int pidfd, int timeout_ms) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  int n;
  while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
    ;
  return n > 0;
}

/* A pidfd for pid, checked (after opening it) to be the process that started at start_time. */
static int open_checked(pid_t pid, unsigned long long start_time) {
  if (pid <= 0)
    return -1;
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0 && proc_start_time(pid) != start_time) {
    close(fd);
    return -1;
  }
  return fd;
}

static int parse_time(const char *cmd, const char *arg, int *ret, struct husk_error **err) {
  char *end;
  errno = 0;
  long n = strtol(arg, &end, 10);
  if (errno || end == arg || *end || n < 0 || n > INT_MAX / 1000)
    return husk_error_set(err, EINVAL, "%s: --time: expected whole seconds, not \"%s\"", cmd, arg);
  *ret = (int)n;
  return 0;
}

/* A monitor that can be asked: alive, not stopped (a stopped one would hold us), with a
 * socket. 1: it took the request; 0: there is none to ask; <0: it refused. */
static int ask_monitor(int dirfd, const struct container_state *st, json_t *req, int64_t wait_ns,
                       json_t **ret, struct husk_error **err) {
  if (!state_monitor_alive(st) || proc_stopped(st->monitor_pid)) {
    json_decref(req);
    return 0;
  }
  _cleanup_error_ struct husk_error *ask_err = NULL;
  int r = monitor_ask(dirfd, st->monitor_pid, req, wait_ns, ret, &ask_err);
  if (r == -ENOENT || r == -ECONNREFUSED || r == -EAGAIN)
    return 0; /* no socket (an older monitor): done without it */
  if (r < 0) {
    *err = TAKE_PTR(ask_err);
    return r;
  }
  return 1;
}

/* The monitor stops it (no --restart brings it back) and exits: wait for that, and SIGKILL
 * what is left if it does not finish in time. */
static int stop_by_monitor(const char *root, const char *id, int dirfd,
                           const struct container_state *st, int timeout_s, int init_fd,
                           int monitor_fd, struct husk_error **err) {
  int r = ask_monitor(dirfd, st, json_pack("{s:s, s:i}", "op", "stop", "timeout", timeout_s),
                      10 * NSEC_PER_SEC, NULL, err);
  if (r <= 0)
    return r;
  if (monitor_fd >= 0 && wait_exit(monitor_fd, timeout_s * 1000 + MONITOR_FINISH_MS))
    return 1;
  container_kill(root, id, SIGKILL, true, NULL);
  if (init_fd >= 0)
    syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, NULL, 0);
  log_warn("stop %s: its monitor (pid %d) did not finish within %d s of the stop timeout", id,
           st->monitor_pid, MONITOR_FINISH_MS / 1000);
  return 1;
}

static int stop_container(const char *root, const char *id, int timeout_s,
                          struct husk_error **err) {
  _cleanup_state_ struct container_state *st = NULL;
  _cleanup_close_ int init_fd = -1, monitor_fd = -1, dirfd = -1;
  int sig;
  {
    _cleanup_close_ int fd = -1;
    int r = state_load(root, id, false, &fd, &st, err);
    if (r < 0)
      return r;
    flock(fd, LOCK_UN); /* not held while waiting: the monitor needs the lock */
    sig = stop_signal_of(st->annotations, err);
    if (sig < 0)
      return sig;
    if (timeout_s < 0)
      timeout_s = stop_timeout_of(st->annotations);
    if (state_status(fd, st) != STATUS_STOPPED)
      init_fd = open_checked(st->pid, st->pid_start_time);
    monitor_fd = open_checked(st->monitor_pid, st->monitor_start_time);
    dirfd = TAKE_FD(fd);
  }
  int r = stop_by_monitor(root, id, dirfd, st, timeout_s, init_fd, monitor_fd, err);
  if (r != 0)
    return r < 0 ? r : 0;
  if (init_fd >= 0) {
    long sr = syscall(SYS_pidfd_send_signal, init_fd, sig, NULL, 0);
    if (sr < 0 && errno != ESRCH)
      return husk_error_sys(err, "signal container %s", id);
    if (!wait_exit(init_fd, timeout_s * 1000)) {
      _cleanup_error_ struct husk_error *kill_err = NULL;
      container_kill(root, id, SIGKILL, true, &kill_err);
      syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, NULL, 0);
      wait_exit(init_fd, -1);
    }
  }
  /* The monitor reaps the init, records its exit (and with --rm deletes it), then exits. One
   * that is stopped or hung does not hold us: the container is stopped all the same. */
  if (monitor_fd >= 0 && !wait_exit(monitor_fd, MONITOR_FINISH_MS))
    log_warn("stop %s: the container is stopped, but its monitor (pid %d) did not record the "
             "exit within %d s (it is stopped or hung)",
             id, st->monitor_pid, MONITOR_FINISH_MS / 1000);
  return 0;
}

/* -t SECONDS and the id, for stop and restart. */
static int parse_args(int argc, char **argv, const char *usage, int *ret_timeout,
                      const char **ret_id, struct husk_error **err) {
  static const struct option opts[] = {{"time", required_argument, NULL, 't'}, {0}};
  *ret_timeout = -1;
  int c;
  while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
    if (c != 't')
      return command_bad_option(argv, usage, err);
    int r = parse_time(argv[0], optarg, ret_timeout, err);
    if (r < 0)
      return r;
  }
  return command_take_id(argc, argv, optind, usage, ret_id, err);
}

int cmd_stop(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  const char *id;
  int timeout_s;
  int r = parse_args(argc, argv, STOP_USAGE, &timeout_s, &id, err);
  return r < 0 ? r : stop_container(g->root, id, timeout_s, err);
}

int cmd_restart(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  const char *id;
  int timeout_s;
  int r = parse_args(argc, argv, RESTART_USAGE, &timeout_s, &id, err);
  if (r < 0)
    return r;
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  r = state_load(g->root, id, false, &fd, &st, err);
  if (r < 0)
    return r;
  flock(fd, LOCK_UN); /* the monitor restarts it under the lock */
  if (timeout_s < 0)
    timeout_s = stop_timeout_of(st->annotations);
  /* The stop, the start and some seconds more. */
  int64_t wait_ns = ((int64_t)timeout_s + 60) * NSEC_PER_SEC;
  r = ask_monitor(fd, st, json_pack("{s:s, s:i}", "op", "restart", "timeout", timeout_s), wait_ns,
                  NULL, err);
  if (r < 0)
    return husk_error_wrap(err, "restart %s", id);
  if (r > 0)
    return 0;
  if (faccessat(fd, MONITOR_RUN_FILE, F_OK, 0) < 0)
    return husk_error_set(err, EINVAL,
                          "restart %s: the container was not started by `husk run -d`: only a "
                          "monitor starts it again (stop it, delete it and create it anew)",
                          id);
  /* Its monitor is gone: the container is stopped too (it dies with its monitor). */
  if (state_status(fd, st) != STATUS_STOPPED)
    return husk_error_set(err, EBUSY, "restart %s: it runs without its monitor", id);
  return monitor_start_again(g->root, id, err);
}
