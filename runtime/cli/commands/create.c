/* create.c: `husk create [-b DIR] [--pid-file F] [--console-socket S] [--preserve-fds N]
 * [--no-pivot] [--no-new-keyring] ID`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"

#define CREATE_USAGE                                                                               \
  "create [-b|--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot] "  \
  "[--no-new-keyring] ID"

static const struct option create_opts[] = {CREATE_LONG_OPTIONS, {0}};

/* Shared with run, which takes the same options plus its own. */
int create_parse_option(int c, struct create_options *o, struct husk_error **err) {
  switch (c) {
  case 'b': o->bundle = optarg; return 0;
  case CREATE_OPT_PID_FILE: o->pid_file = optarg; return 0;
  case CREATE_OPT_CONSOLE_SOCKET: o->console_socket = optarg; return 0;
  case CREATE_OPT_PRESERVE_FDS: {
    char *end;
    long n = strtol(optarg, &end, 10);
    if (*optarg == '\0' || *end || n < 0 || n > 4096)
      return husk_error_set(err, EINVAL, "--preserve-fds: expected a count, got \"%s\"", optarg);
    o->preserve_fds = (int)n;
    return 0;
  }
  case CREATE_OPT_NO_PIVOT: o->no_pivot = true; return 0;
  case CREATE_OPT_NO_NEW_KEYRING: o->no_new_keyring = true; return 0;
  default: return 1; /* not a create option */
  }
}

/* LISTEN_FDS (systemd socket activation) passes fds 3.. like --preserve-fds does. */
void create_add_listen_fds(struct create_options *o) {
  const char *s = getenv("LISTEN_FDS");
  if (s && *s) {
    long n = strtol(s, NULL, 10);
    if (n > 0 && n < 4096)
      o->preserve_fds += (int)n;
  }
}

int cmd_create(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  struct create_options o = {
      .root = g->root, .bundle = ".", .no_cgroup = strcmp(g->cgroup_manager, "disabled") == 0};
  int c;
  while ((c = getopt_long(argc, argv, "+b:", create_opts, NULL)) != -1) {
    int r = c == '?' ? command_bad_option(argv, CREATE_USAGE, err) : create_parse_option(c, &o, err);
    if (r != 0)
      return r < 0 ? r : command_bad_option(argv, CREATE_USAGE, err);
  }
  int r = command_take_id(argc, argv, optind, CREATE_USAGE, &o.id, err);
  if (r < 0)
    return r;
  create_add_listen_fds(&o);
  pid_t pid;
  return container_create(&o, &pid, NULL, err);
}
