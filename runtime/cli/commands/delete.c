/* delete.c: `husk delete [-f|--force] ID`. */
#include <getopt.h>

#include "commands.h"
#include "container/container.h"

#define DELETE_USAGE "delete [-f|--force] ID"

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
  return container_delete(g->root, id, force, err);
}
