/* start.c: `husk start ID`: release a created container's init to execve its process (runc's
 * meaning). A stopped container of `husk run -d` is started again as `docker start` does: a
 * new monitor with the options its run.json kept, in the same state directory; one whose
 * monitor waits out a restart back-off is started at once. */
#include <fcntl.h>
#include <getopt.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/duration.h"
#include "monitor/monitor.h"

/* 1: started again; 0: not a stopped `run -d` container (runc's start says what it is). */
static int start_again(const char *root, const char *id, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  if (state_load(root, id, false, &fd, &st, NULL) < 0 ||
      faccessat(fd, MONITOR_RUN_FILE, F_OK, 0) < 0 || state_status(fd, st) != STATUS_STOPPED)
    return 0;
  flock(fd, LOCK_UN);
  int r;
  if (state_monitor_alive(st)) {
    if (!st->restarting)
      return husk_error_set(err, EBUSY, "start %s: its monitor (pid %d) is still finishing", id,
                            st->monitor_pid);
    r = monitor_ask(fd, st->monitor_pid, json_pack("{s:s, s:i}", "op", "restart", "timeout", 0),
                    60 * NSEC_PER_SEC, NULL, err);
  } else {
    r = monitor_start_again(root, id, err);
  }
  return r < 0 ? r : 1;
}

int cmd_start(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{0}};
  if (getopt_long(argc, argv, "+", opts, NULL) != -1)
    return command_bad_option(argv, "start ID", err);
  const char *id;
  int r = command_take_id(argc, argv, optind, "start ID", &id, err);
  if (r < 0)
    return r;
  r = start_again(g->root, id, err);
  if (r != 0)
    return r < 0 ? r : 0;
  return container_start(g->root, id, err);
}
