/* kill.c: `husk kill [--all] ID [SIGNAL]` (default SIGTERM). */
#include <getopt.h>
#include <signal.h>

#include "base/error.h"
#include "base/signals.h"
#include "commands.h"
#include "container/container.h"

#define KILL_USAGE "kill [-a|--all] ID [SIGNAL]"

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
  return container_kill(g->root, argv[optind], sig, all, err);
}
