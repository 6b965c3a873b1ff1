/* delete.c: `husk delete [-f|--force] ID`. A container whose monitor waits out a restart
 * back-off is stopped: its monitor is told first that no restart follows, so it ends now
 * rather than at the end of the wait. */
#include <getopt.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/duration.h"
#include "monitor/monitor.h"

#define DELETE_USAGE "delete [-f|--force] ID"

static void end_restarts(const char *root, const char *id) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  if (state_load(root, id, false, &fd, &st, NULL) < 0)
    return;
  flock(fd, LOCK_UN);
  if (!st->restarting || !state_monitor_alive(st) || proc_stopped(st->monitor_pid))
    return;
  _cleanup_close_ int monitor_fd = (int)syscall(SYS_pidfd_open, st->monitor_pid, 0);
  if (monitor_ask(fd, st->monitor_pid, json_pack("{s:s, s:i}", "op", "stop", "timeout", 0),
                  5 * NSEC_PER_SEC, NULL, NULL) < 0 ||
      monitor_fd < 0)
    return;
  struct pollfd p = {.fd = monitor_fd, .events = POLLIN};
  while (poll(&p, 1, 5000) < 0 && errno == EINTR)
    ;
}

int cmd_delete(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
  bool force = false;
  int c;
  while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
    if (c != 'f')
      return command_bad_option(argv, DELETE_USAGE, err);
    force = true;
  }
  const char *id;
  int r = command_take_id(argc, argv, optind, DELETE_USAGE, &id, err);
  if (r < 0)
    return r;
  end_restarts(g->root, id);
  return container_delete(g->root, id, force, err);
}
