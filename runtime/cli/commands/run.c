/* run.c: `husk run [create options] [run options] [-d|--detach] ID` (or `--name ID [BUNDLE]`):
 * create and start in one go, with a monitor (monitor.h) that reaps the init, records its
 * exit and runs its health check. Detached, the monitor is a process of its own; in the
 * foreground husk is the monitor: it forwards signals to the init, waits for it, removes the
 * container, and exits with its exit code (128+N when a signal N killed it). */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/monitor.h"
#include "monitor/run_options.h"
#include "process/terminal.h"

#define RUN_USAGE                                                                                  \
  "run [-b|--bundle DIR] [-d|--detach] [--pid-file F] [--preserve-fds N] "                         \
  "[--no-pivot] [--no-new-keyring] [--entrypoint CMD] " RUN_OPTIONS_USAGE " " RUN_RESTART_USAGE    \
  " ID | [--name ID] BUNDLE|IMAGE [ARG...]"

/* What a shell user expects to reach the container rather than husk. */
static const int forwarded_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                        SIGALRM, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH};

static void forwarded_set(sigset_t *set) {
  sigemptyset(set);
  for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
    sigaddset(set, forwarded_signals[i]);
}

/* An OOM kill shows in the exit status only as SIGKILL (or not at all, when it hit another
 * process of the container): say so, with the limit that was hit. */
static void report_oom(const char *root, const char *id) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  int64_t limit = -1;
  if (state_load(root, id, false, &fd, &st, NULL) < 0 || !container_oom_killed(st, &limit))
    return;
  char text[48];
  const int64_t mib = 1 << 20, kib = 1 << 10;
  if (limit < 0)
    snprintf(text, sizeof(text), "none of its own");
  else if (limit % mib == 0)
    snprintf(text, sizeof(text), "%" PRId64 " MiB", limit / mib);
  else if (limit % kib == 0)
    snprintf(text, sizeof(text), "%" PRId64 " KiB", limit / kib);
  else
    snprintf(text, sizeof(text), "%" PRId64 " bytes", limit);
  fprintf(stderr, "husk: container %s was OOM-killed (memory limit %s)\n", id, text);
}

static int stdin_from_dev_null(struct husk_error **err) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "open /dev/null");
  int r = dup2(fd, STDIN_FILENO);
  close(fd);
  return r < 0 ? husk_error_sys(err, "stdin from /dev/null") : 0;
}

static int run_container(const struct create_options *o, const struct run_options *ro, bool detach,
                         struct husk_error **err) {
  if (detach)
    return monitor_detach(o, ro, err);
  sigset_t forward;
  forwarded_set(&forward);
  int status = monitor_foreground(o, ro, &forward, err);
  if (status < 0)
    return status;
  report_oom(o->root, o->id);
  _cleanup_error_ struct husk_error *del_err = NULL;
  if (container_delete(o->root, o->id, true, &del_err) < 0)
    log_warn("%s", del_err->message);
  return status;
}

int cmd_run(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {CREATE_LONG_OPTIONS,
                                       RUN_LONG_OPTIONS,
                                       RUN_RESTART_LONG_OPTIONS,
                                       TARGET_LONG_OPTIONS,
                                       {"detach", no_argument, NULL, 'd'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  struct create_options o = {
      .root = g->root, .bundle = ".", .no_cgroup = strcmp(g->cgroup_manager, "disabled") == 0,
      .systemd_cgroup = g->systemd_cgroup};
  _cleanup_run_options_ struct run_options ro;
  run_options_init(&ro);
  struct command_target target = {0};
  bool detach = false;
  int c;
  while ((c = getopt_long(argc, argv, "+b:d" RUN_SHORT_OPTIONS, opts, NULL)) != -1) {
    if (c == 'd') {
      detach = true;
      continue;
    }
    if (c == 'h') {
      printf("usage: husk %s\n", RUN_USAGE);
      return 0;
    }
    int r = c == '?' ? command_bad_option(argv, RUN_USAGE, err) : create_parse_option(c, &o, err);
    if (r == 1)
      r = target_parse_option(c, optarg, &target);
    if (r == 1)
      r = run_parse_option(c, optarg, &ro, err);
    if (r != 0)
      return r < 0 ? r : command_bad_option(argv, RUN_USAGE, err);
    /* ps shows a process's arguments to everyone, and a detached run's monitor lives as long
     * as its container: -e's value (copied by now) is blanked in them. */
    char *value = c == 'e' ? strchr(optarg, '=') : NULL;
    if (value)
      memset(value + 1, '*', strlen(value + 1));
  }
  int r = run_options_check(&ro, detach, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *made_id = NULL;
  r = run_take_operands(argc, argv, optind, RUN_USAGE, ro.name, g, &o, &target, &made_id, err);
  if (r < 0)
    return r;
  /* docker run's everyday flags (monitor/run_flags.h) */
  r = run_flags_check(&ro.flags, ro.memory, err);
  if (r < 0)
    return r;
  if (detach && ro.flags.tty)
    return husk_error_set(err, EINVAL,
                          "-t: a detached container gets no terminal (husk has no attach); run "
                          "it in the foreground, or without -t");
  if (run_flags_edits(&ro.flags)) {
    o.config_edit = run_flags_edit;
    o.config_edit_arg = &ro.flags;
  }
  create_add_listen_fds(&o);
  _cleanup_json_ json_t *patch = run_config_patch(&ro);
  _cleanup_json_ json_t *image_config = NULL;
  r = command_resolve_target(g, &target, ro.user_set || ro.user_name, &o, &image_config, &patch,
                             err);
  if (r < 0)
    return r;

  /* A terminal run proxies (no --console-socket) starts with the size of husk's own. */
  if (!detach && !o.console_socket)
    terminal_size_patch(&patch, STDIN_FILENO);
  o.config_patch = patch;
  o.user_name = ro.user_name;
  o.network = ro.network;
  /* Docker's /etc/hosts, /etc/hostname and /etc/resolv.conf, and --secret files; not for
   * create, which engines drive as they drive runc. */
  o.service = &ro.service;
  _cleanup_free_ char **env = run_options_env(&ro);
  o.env = env;
  /* -u UID[:GID] on an image is looked up in it too, as docker does: the gid and groups of
   * that uid's entry in its /etc/passwd. */
  _cleanup_free_ char *numeric_user = NULL;
  if (o.config_doc && ro.user_set && !ro.user_name) {
    numeric_user = ro.group_set ? xasprintf("%u:%u", (unsigned)ro.uid, (unsigned)ro.gid)
                                : xasprintf("%u", (unsigned)ro.uid);
    o.user_name = numeric_user;
  }
  /* Block the forwarded signals before the container exists, so none is lost or kills husk
   * halfway; the init clears its mask before it execs. */
  sigset_t set, old;
  forwarded_set(&set);
  sigprocmask(SIG_BLOCK, &set, &old);
  /* With process.terminal and no --console-socket the pty comes to husk's terminal, when
   * it runs on one (terminal.h), as with runc; without one no helper is forked. */
  struct terminal_proxy tty = TERMINAL_PROXY_NONE;
  if (!detach && !o.console_socket && (isatty(STDIN_FILENO) || ro.flags.tty))
    r = terminal_proxy_start(&tty, err);
  /* docker's form without -i: the process's stdin is not husk's (docker attaches none); runc's
   * `run ID` passes it, as runc does. The pty helper above keeps the terminal for -t. */
  if (r >= 0 && !detach && (target.source || ro.name) && !ro.flags.interactive)
    r = stdin_from_dev_null(err);
  o.terminal_fd = tty.create_fd;
  if (r >= 0)
    r = run_container(&o, &ro, detach, err);
  /* Detached with an id made up here: say which, as docker run -d does. */
  if (r >= 0 && detach && made_id)
    printf("%s\n", made_id);
  terminal_proxy_finish(&tty);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return r;
}

int run_take_operands(int argc, char **argv, int optind_, const char *usage, const char *name,
                      const struct global_options *g, struct create_options *co,
                      struct command_target *t, char **ret_made_id, struct husk_error **err) {
  int n = argc - optind_;
  *ret_made_id = NULL;
  bool bundle_given = strcmp(co->bundle, ".") != 0;
  /* runc's form: the one operand is the id. */
  if (!name && n <= 1 &&
      (n == 0 || bundle_given || access("config.json", F_OK) == 0 ||
       !command_names_image(g, argv[optind_])))
    return command_take_id(argc, argv, optind_, usage, &co->id, err);
  if (n >= 1 && bundle_given)
    return husk_error_set(err, EINVAL, "%s: the bundle is given twice, by -b and as \"%s\"",
                          argv[0], argv[optind_]);
  if (n >= 1) {
    t->source = argv[optind_];
    t->args = argv + optind_ + 1;
    t->n_args = (size_t)(n - 1);
  }
  co->id = name ? name : (*ret_made_id = command_new_id());
  return 0;
}
