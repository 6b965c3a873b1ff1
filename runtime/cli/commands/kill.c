/* kill.c: `husk kill [--all] ID [SIGNAL]` (default SIGTERM). A container with a monitor is
 * signalled by it, which applies Docker's rule: the stop signal or SIGKILL means no --restart
 * policy starts it again, and during a back-off they end the wait. */
#include <getopt.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/error.h"
#include "base/signals.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/duration.h"
#include "monitor/monitor.h"

#define KILL_USAGE "kill [-a|--all] ID [SIGNAL]"

/* 1: the monitor did it; 0: there is none to ask; <0: the error. */
static int kill_by_monitor(const char *root, const char *id, int sig, bool all,
                           struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  if (state_load(root, id, false, &fd, &st, NULL) < 0)
    return 0; /* container_kill says what is wrong */
  flock(fd, LOCK_UN);
  if (!state_monitor_alive(st) || proc_stopped(st->monitor_pid))
    return 0;
  _cleanup_error_ struct husk_error *ask_err = NULL;
  int r = monitor_ask(fd, st->monitor_pid,
                      json_pack("{s:s, s:i, s:b}", "op", "kill", "signal", sig, "all", all),
                      10 * NSEC_PER_SEC, NULL, &ask_err);
  if (r == -ENOENT || r == -ECONNREFUSED || r == -EAGAIN)
    return 0;
  if (r == -ESRCH) /* worded as runc's, which containerd's shim reads */
    return husk_error_set(err, ESRCH, "%s: container not running", id);
  if (r < 0) {
    *err = TAKE_PTR(ask_err);
    return r;
  }
  return 1;
}

int cmd_kill(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {0}};
  bool all = false;
  int c;
  while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
    if (c != 'a')
      return command_bad_option(argv, KILL_USAGE, err);
    all = true;
  }
  if (optind >= argc)
    return husk_error_set(err, EINVAL, "kill: missing container id (usage: %s)", KILL_USAGE);
  if (argc - optind > 2)
    return husk_error_set(err, EINVAL, "kill: unexpected argument \"%s\" (usage: %s)",
                          argv[optind + 2], KILL_USAGE);
  int sig = SIGTERM;
  if (argc - optind == 2) {
    sig = signal_parse(argv[optind + 1], err);
    if (sig < 0)
      return sig;
  }
  int r = kill_by_monitor(g->root, argv[optind], sig, all, err);
  if (r != 0)
    return r < 0 ? r : 0;
  return container_kill(g->root, argv[optind], sig, all, err);
}
