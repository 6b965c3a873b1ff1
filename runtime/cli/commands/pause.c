/* pause.c: `husk pause ID` and `husk resume ID`: freeze or thaw every process of a container
 * through its cgroup (cgroup.freeze on v2, freezer.state on v1); `state` then says "paused". */
#include <getopt.h>

#include "base/error.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"

static int set_frozen(int argc, char **argv, const struct global_options *g, bool freeze,
                      struct husk_error **err) {
  const char *verb = freeze ? "pause" : "resume";
  const char *usage = freeze ? "pause ID" : "resume ID";
  static const struct option opts[] = {{0}};
  if (getopt_long(argc, argv, "+", opts, NULL) != -1)
    return command_bad_option(argv, usage, err);
  const char *id;
  int r = command_take_id(argc, argv, optind, usage, &id, err);
  if (r < 0)
    return r;
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  r = state_load(g->root, id, true, &fd, &st, err);
  if (r < 0)
    return r;
  enum container_status status = state_status(fd, st);
  enum container_status want = freeze ? STATUS_RUNNING : STATUS_PAUSED;
  if (status != want)
    return husk_error_set(err, EINVAL, "cannot %s container %s: it is %s, not %s", verb, id,
                          container_status_name(status), container_status_name(want));
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  r = container_cgroup(st, &cg, err);
  if (r >= 0)
    r = cgroup_freeze(cg, freeze, err);
  return r < 0 ? husk_error_wrap(err, "%s %s", verb, id) : 0;
}

int cmd_pause(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  return set_frozen(argc, argv, g, true, err);
}

int cmd_resume(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  return set_frozen(argc, argv, g, false, err);
}
