/* common.c: what several commands share when reading their operands. */
#include <getopt.h>

#include "commands.h"

#include "base/error.h"

int command_take_id(int argc, char **argv, int optind_, const char *usage, const char **ret_id,
                    struct husk_error **err) {
  if (optind_ >= argc)
    return husk_error_set(err, EINVAL, "%s: missing container id (usage: %s)", argv[0], usage);
  if (optind_ + 1 < argc)
    return husk_error_set(err, EINVAL, "%s: unexpected argument \"%s\" (usage: %s)", argv[0],
                          argv[optind_ + 1], usage);
  *ret_id = argv[optind_];
  return 0;
}

int command_bad_option(char **argv, const char *usage, struct husk_error **err) {
  return husk_error_set(err, EINVAL, "%s: unknown option or missing value near \"%s\" (usage: %s)",
                        argv[0], argv[optind - 1], usage);
}
