/* stop.c: `husk stop [-t|--time SECONDS] ID`: the container's stop signal (its
 * org.opencontainers.image.stopSignal annotation, set by `run --stop-signal`; else SIGTERM)
 * to its init, SIGKILL to everything in it after the timeout (-t, else the io.husk.stopTimeout
 * annotation, else 10 s), and then the wait for its monitor to record the exit. */
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/run_options.h"

#define STOP_USAGE "stop [-t|--time SECONDS] ID"

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

static int parse_time(const char *arg, int *ret, struct husk_error **err) {
  char *end;
  errno = 0;
  long n = strtol(arg, &end, 10);
  if (errno || end == arg || *end || n < 0 || n > INT_MAX / 1000)
    return husk_error_set(err, EINVAL, "stop: --time: expected whole seconds, not \"%s\"", arg);
  *ret = (int)n;
  return 0;
}

static int stop_container(const char *root, const char *id, int timeout_s,
                          struct husk_error **err) {
  _cleanup_state_ struct container_state *st = NULL;
  _cleanup_close_ int init_fd = -1, monitor_fd = -1;
  int sig;
  {
    _cleanup_close_ int fd = -1; /* not held while waiting: the monitor needs the lock */
    int r = state_load(root, id, false, &fd, &st, err);
    if (r < 0)
      return r;
    sig = stop_signal_of(st->annotations, err);
    if (sig < 0)
      return sig;
    if (timeout_s < 0)
      timeout_s = stop_timeout_of(st->annotations);
    if (state_status(fd, st) != STATUS_STOPPED)
      init_fd = open_checked(st->pid, st->pid_start_time);
    monitor_fd = open_checked(st->monitor_pid, st->monitor_start_time);
  }
  if (init_fd >= 0) {
    long r = syscall(SYS_pidfd_send_signal, init_fd, sig, NULL, 0);
    if (r < 0 && errno != ESRCH)
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

int cmd_stop(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{"time", required_argument, NULL, 't'}, {0}};
  int timeout_s = -1;
  int c;
  while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
    if (c != 't')
      return command_bad_option(argv, STOP_USAGE, err);
    int r = parse_time(optarg, &timeout_s, err);
    if (r < 0)
      return r;
  }
  const char *id;
  int r = command_take_id(argc, argv, optind, STOP_USAGE, &id, err);
  if (r < 0)
    return r;
  return stop_container(g->root, id, timeout_s, err);
}
