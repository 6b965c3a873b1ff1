/* pause.c: `husk pause ID`: freeze every process of a running container through its cgroup
 * (cgroup.freeze on v2, freezer.state on v1); `state` then says "paused". */
#include <getopt.h>

#include "cgroups/cgroups.h"
#include "commands.h"
#include "container.h"
#include "error.h"
#include "state.h"
#include "utils.h"

int cmd_pause(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{0}};
  if (getopt_long(argc, argv, "+", opts, NULL) != -1)
    return command_bad_option(argv, "pause ID", err);
  const char *id;
  int r = command_take_id(argc, argv, optind, "pause ID", &id, err);
  if (r < 0)
    return r;
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  r = state_load(g->root, id, true, &fd, &st, err);
  if (r < 0)
    return r;
  enum container_status status = state_status(fd, st);
  if (status != STATUS_RUNNING)
    return husk_error_set(err, EINVAL, "cannot pause container %s: it is %s, not running", id,
                          container_status_name(status));
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  r = container_cgroup(st, &cg, err);
  if (r >= 0)
    r = cgroup_freeze(cg, true, err);
  return r < 0 ? husk_error_wrap(err, "pause %s", id) : 0;
}
