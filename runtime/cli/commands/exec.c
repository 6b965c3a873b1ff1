/* exec.c: `husk exec [--process FILE] [-d] [--pid-file F] [-t] [--console-socket S] [--cwd D]
 * [-e K=V]... [-u UID[:GID]] [--cap CAP]... [--no-new-privs] [--preserve-fds N]
 * [--ignore-paused] ID [CMD...]`: runc's options and forms, as podman's conmon and
 * containerd's shim call them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "container/exec.h"

#define EXEC_USAGE                                                                                 \
  "exec [-p|--process FILE] [-d|--detach] [--pid-file F] [-t|--tty] [--console-socket S] "         \
  "[--cwd D] [-e|--env K=V]... [-u|--user UID[:GID]] [-c|--cap CAP]... [--no-new-privs] "          \
  "[--preserve-fds N] [--ignore-paused] ID [CMD...]"

enum {
  EXEC_OPT_CWD = 512,
  EXEC_OPT_NO_NEW_PRIVS,
  EXEC_OPT_IGNORE_PAUSED,
};

static const struct option exec_opts[] = {
    {"process", required_argument, NULL, 'p'},
    {"detach", no_argument, NULL, 'd'},
    {"tty", no_argument, NULL, 't'},
    {"env", required_argument, NULL, 'e'},
    {"user", required_argument, NULL, 'u'},
    {"cap", required_argument, NULL, 'c'},
    {"cwd", required_argument, NULL, EXEC_OPT_CWD},
    {"no-new-privs", no_argument, NULL, EXEC_OPT_NO_NEW_PRIVS},
    {"ignore-paused", no_argument, NULL, EXEC_OPT_IGNORE_PAUSED},
    /* These three mean what they mean for create, and are parsed by it. */
    {"pid-file", required_argument, NULL, CREATE_OPT_PID_FILE},
    {"console-socket", required_argument, NULL, CREATE_OPT_CONSOLE_SOCKET},
    {"preserve-fds", required_argument, NULL, CREATE_OPT_PRESERVE_FDS},
    {"help", no_argument, NULL, 'h'},
    {0},
};

/* A NULL-terminated list that grows by one. */
static void strv_push(const char ***v, size_t *n, const char *s) {
  *v = xrealloc(*v, (*n + 2) * sizeof(**v));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

struct exec_args {
  struct exec_options o;
  struct create_options shared; /* --pid-file, --console-socket, --preserve-fds */
  const char **env, **caps;
  size_t n_env, n_caps;
};

static int parse_option(int c, struct exec_args *a, char **argv, struct husk_error **err) {
  switch (c) {
  case 'p': a->o.process_file = optarg; return 0;
  case 'd': a->o.detach = true; return 0;
  case 't': a->o.tty = true; return 0;
  case 'e':
    if (!strchr(optarg, '='))
      return husk_error_set(err, EINVAL, "--env %s: expected NAME=value", optarg);
    strv_push(&a->env, &a->n_env, optarg);
    return 0;
  case 'u': a->o.user = optarg; return 0;
  case 'c': strv_push(&a->caps, &a->n_caps, optarg); return 0;
  case EXEC_OPT_CWD: a->o.cwd = optarg; return 0;
  case EXEC_OPT_NO_NEW_PRIVS: a->o.no_new_privs = true; return 0;
  case EXEC_OPT_IGNORE_PAUSED: a->o.ignore_paused = true; return 0;
  case 'h': printf("usage: husk %s\n", EXEC_USAGE); return 1;
  case '?': return command_bad_option(argv, EXEC_USAGE, err);
  default: {
    int r = create_parse_option(c, &a->shared, err);
    return r > 0 ? command_bad_option(argv, EXEC_USAGE, err) : r;
  }
  }
}

static void exec_args_free(struct exec_args *a) {
  free(a->env);
  free(a->caps);
}

int cmd_exec(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  __attribute__((cleanup(exec_args_free))) struct exec_args a = {.o = {.root = g->root}};
  int c;
  while ((c = getopt_long(argc, argv, "+p:dte:u:c:h", exec_opts, NULL)) != -1) {
    int r = parse_option(c, &a, argv, err);
    if (r != 0)
      return r > 0 ? 0 : r; /* 1: --help was printed */
  }
  if (optind >= argc)
    return husk_error_set(err, EINVAL, "exec: missing container id (usage: %s)", EXEC_USAGE);
  /* LISTEN_FDS (systemd socket activation) passes fds 3.. as --preserve-fds does. */
  create_add_listen_fds(&a.shared);
  a.o.id = argv[optind];
  a.o.args = (const char *const *)argv + optind + 1;
  a.o.env = a.env;
  a.o.caps = a.caps;
  a.o.pid_file = a.shared.pid_file;
  a.o.console_socket = a.shared.console_socket;
  a.o.preserve_fds = a.shared.preserve_fds;
  return container_exec(&a.o, err);
}
