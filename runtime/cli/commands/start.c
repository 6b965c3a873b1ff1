/* start.c: `husk start ID`: release a created container's init to execve its process. */
#include <getopt.h>

#include "commands.h"
#include "container/container.h"

int cmd_start(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{0}};
  if (getopt_long(argc, argv, "+", opts, NULL) != -1)
    return command_bad_option(argv, "start ID", err);
  const char *id;
  int r = command_take_id(argc, argv, optind, "start ID", &id, err);
  if (r < 0)
    return r;
  return container_start(g->root, id, err);
}
