/* create.c: `husk create [-b DIR] [--pid-file F] [--console-socket S] [--preserve-fds N]
 * [--no-pivot] [--no-new-keyring] ID`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "monitor/run_flags.h"
#include <stdio.h>

#define CREATE_USAGE                                                                               \
  "create [-b|--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot] "  \
  "[--no-new-keyring] [--entrypoint CMD] " RUN_FLAGS_USAGE                                         \
  " ID | [--name ID] BUNDLE|IMAGE [ARG...]"

enum { CREATE_OPT_NAME = 350 };
static const struct option create_opts[] = {CREATE_LONG_OPTIONS,
                                            TARGET_LONG_OPTIONS,
                                            {"name", required_argument, NULL, CREATE_OPT_NAME},
                                            RUN_FLAGS_LONG_OPTIONS,
                                            {0}};

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
      .root = g->root, .bundle = ".", .no_cgroup = strcmp(g->cgroup_manager, "disabled") == 0,
      .systemd_cgroup = g->systemd_cgroup};
  struct command_target target = {0};
  const char *name = NULL;
  /* docker create takes run's flags: those of run_flags.h here too */
  _cleanup_run_flags_ struct run_flags flags;
  run_flags_init(&flags);
  int c;
  while ((c = getopt_long(argc, argv, "+b:" RUN_FLAGS_SHORT_OPTIONS, create_opts, NULL)) != -1) {
    if (c == CREATE_OPT_NAME) {
      name = optarg;
      continue;
    }
    int r =
        c == '?' ? command_bad_option(argv, CREATE_USAGE, err) : create_parse_option(c, &o, err);
    if (r == 1)
      r = target_parse_option(c, optarg, &target);
    if (r == 1)
      r = run_flags_parse(c, optarg, &flags, err);
    if (r != 0)
      return r < 0 ? r : command_bad_option(argv, CREATE_USAGE, err);
  }
  if (flags.interactive)
    return husk_error_set(err, EINVAL,
                          "-i: create keeps no stdin open for the process (husk run -i or -d -i "
                          "does)");
  _cleanup_free_ char *made_id = NULL;
  int r = run_take_operands(argc, argv, optind, CREATE_USAGE, name, g, &o, &target, &made_id, err);
  if (r < 0)
    return r;
  create_add_listen_fds(&o);
  _cleanup_json_ json_t *patch = NULL, *image_config = NULL;
  r = run_flags_check(&flags, 0, err);
  if (r >= 0)
    r = command_resolve_target(g, &target, false, &o, &image_config, &patch, err);
  if (r < 0)
    return r;
  if (!patch)
    patch = json_object();
  run_flags_patch(&flags, patch);
  if (run_flags_edits(&flags)) {
    o.config_edit = run_flags_edit;
    o.config_edit_arg = &flags;
  }
  o.config_patch = patch;
  pid_t pid;
  r = container_create(&o, &pid, NULL, err);
  if (r >= 0 && made_id)
    printf("%s\n", made_id);
  return r;
}
