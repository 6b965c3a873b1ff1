/* state.c: `husk state ID`: the OCI state JSON, with the status derived from the live init,
 * a "health" object when the container has a health check, and a "husk" extension object
 * ({"oomKilled": ..., and from the monitor "exitCode", "finishedAt", "restartCount"}). */
#include <getopt.h>
#include <stdio.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/monitor.h"

int cmd_state(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{0}};
  if (getopt_long(argc, argv, "+", opts, NULL) != -1)
    return command_bad_option(argv, "state ID", err);
  const char *id;
  int r = command_take_id(argc, argv, optind, "state ID", &id, err);
  if (r < 0)
    return r;
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  r = state_load(g->root, id, false, &fd, &st, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *j = state_to_oci_json(st, state_status(fd, st));
  /* husk's extension: whether the kernel OOM-killed a process of the container, and from its
   * monitor the exit and the health check */
  json_t *husk = json_object();
  if (st->cgroup || st->exited)
    json_object_set_new(husk, "oomKilled",
                        json_boolean(st->oom_killed || container_oom_killed(st, NULL)));
  monitor_state_add(fd, st, j, husk);
  if (json_object_size(husk) > 0)
    json_object_set(j, "husk", husk);
  json_decref(husk);
  /* Straight to stdout: the annotations may be megabytes. */
  json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  putchar('\n');
  return 0;
}
