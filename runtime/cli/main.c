/* main.c: argv → command. Parses runc's global flags, opens the log, runs one command and
 * prints its error, once, as "husk: <what failed>: <why>". */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cli/commands/commands.h"
#include "container/state.h"
#include "husk-config.h"

static const struct {
  const char *name;
  command_fn fn;
  const char *summary;
} commands[] = {
    {"create", cmd_create, "create a container from a bundle; it waits for start"},
    {"start", cmd_start, "run a created container's process, or a stopped `run -d` one again"},
    {"run", cmd_run, "create and start a container, and wait for it unless -d"},
    {"state", cmd_state, "print a container's OCI state as JSON"},
    {"kill", cmd_kill, "send a signal to a container's init (or, with --all, every process)"},
    {"delete", cmd_delete, "remove a stopped container (or, with --force, any)"},
    {"list", cmd_list, "list the containers under --root"},
    {"spec", cmd_spec, "write a default config.json"},
    {"pause", cmd_pause, "freeze every process of a container"},
    {"resume", cmd_resume, "thaw a paused container"},
    {"update", cmd_update, "change a container's cgroup limits"},
    {"ps", cmd_ps, "list the processes in a container's cgroup"},
    {"events", cmd_events, "print a container's stats and OOM events as JSON lines"},
    {"stop", cmd_stop, "stop a container: its stop signal, then SIGKILL after a timeout"},
    {"restart", cmd_restart, "stop a container of `run -d` and start it again"},
    {"logs", cmd_logs, "print what a detached container wrote (-f: and follow it)"},
    {"port", cmd_port, "the ports a run -p published, or the host side of one"},
    {"health", cmd_health, "print a container's health, or run its probe now (health run)"},
    {"exec", cmd_exec, "run a new process in a running container"},
    {"features", cmd_features, "print what this runtime supports, as JSON"},
    {"image", cmd_image, "load, list, inspect, tag and remove images in the store"},
    {"images", cmd_images, "list the images in the store"},
    {"volume", cmd_volume, "list, create and remove the named volumes in the store"},
};

static void usage(FILE *out) {
  fputs("usage: husk [global options] COMMAND [options] [ID]\n\n"
        "global options:\n"
        "  --root DIR            state directory (default /run/husk)\n"
        "  --storage DIR         image store (default $HUSK_STORAGE, else /var/lib/husk)\n"
        "  --log FILE            write log records to FILE\n"
        "  --log-format FORMAT   text or json\n"
        "  --debug               also log debug records\n"
        "  --trace               narrate every kernel step husk takes\n"
        "  --systemd-cgroup      cgroups through systemd: a transient scope per container\n"
        "  --cgroup-manager M    cgroupfs (the default), systemd, or disabled\n"
        "  -v, --version         print the version\n\n"
        "commands:\n",
        out);
  for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

static void print_version(void) {
  printf("husk version %s\ncommit: %s\nspec: %s\n", HUSK_VERSION, HUSK_COMMIT, HUSK_SPEC_VERSION);
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_TRACE, OPT_SYSTEMD, OPT_CGMGR,
       OPT_STORAGE };

static int parse_global(int argc, char **argv, struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {
      {"root", required_argument, NULL, OPT_ROOT},
      {"storage", required_argument, NULL, OPT_STORAGE},
      {"log", required_argument, NULL, OPT_LOG},
      {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
      {"debug", no_argument, NULL, OPT_DEBUG},
      {"trace", no_argument, NULL, OPT_TRACE},
      {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
      {"cgroup-manager", required_argument, NULL, OPT_CGMGR},
      {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
    switch (c) {
    case OPT_ROOT: g->root = optarg; break;
    case OPT_STORAGE: g->storage = optarg; break;
    case OPT_LOG: g->log.path = optarg; break;
    case OPT_LOG_FORMAT:
      if (strcmp(optarg, "json") == 0)
        g->log.format = LOG_FORMAT_JSON;
      else if (strcmp(optarg, "text") == 0)
        g->log.format = LOG_FORMAT_TEXT;
      else
        return husk_error_set(err, EINVAL, "--log-format: expected text or json, got \"%s\"",
                              optarg);
      break;
    case OPT_DEBUG: g->log.debug = true; break;
    case OPT_TRACE: g->log.trace = true; break;
    case OPT_SYSTEMD: g->systemd_cgroup = true; break;
    case OPT_CGMGR:
      if (strcmp(optarg, "cgroupfs") && strcmp(optarg, "systemd") && strcmp(optarg, "disabled"))
        return husk_error_set(err, EINVAL,
                              "--cgroup-manager: expected cgroupfs, systemd or disabled, got \"%s\"",
                              optarg);
      g->cgroup_manager = optarg;
      break;
    case 'v': print_version(); return 1;
    case 'h': usage(stdout); return 1;
    case '?':
    default:
      return husk_error_set(err, EINVAL, "unknown global option \"%s\"", argv[optind - 1]);
    }
  }
  if (strcmp(g->cgroup_manager, "systemd") == 0)
    g->systemd_cgroup = true;
  else if (strcmp(g->cgroup_manager, "disabled") == 0)
    g->systemd_cgroup = false;
  return 0;
}

static int dispatch(int argc, char **argv, const struct global_options *g,
                    struct husk_error **err) {
  const char *name = argv[0];
  for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
    if (strcmp(commands[i].name, name) == 0) {
      optind = 0; /* each command parses its own options from its argv */
      return commands[i].fn(argc, argv, g, err);
    }
  return husk_error_set(err, EINVAL, "unknown command \"%s\" (see husk --help)", name);
}

int main(int argc, char **argv) {
  struct global_options g = {.root = state_default_root(), .cgroup_manager = "cgroupfs"};
  _cleanup_error_ struct husk_error *err = NULL;
  int r = parse_global(argc, argv, &g, &err);
  if (r > 0)
    return 0;
  if (r == 0 && optind >= argc) {
    usage(stderr);
    return 1;
  }
  if (r == 0)
    r = log_open(&g.log, &err);
  /* runc exits 255 when exec fails, so an engine can tell it from the process's own status. */
  int fail_status = r == 0 && strcmp(argv[optind], "exec") == 0 ? 255 : 1;
  /* `health run` exits 125 on an error as podman's healthcheck run does: 1 means unhealthy. */
  if (r == 0 && strcmp(argv[optind], "health") == 0 && optind + 1 < argc &&
      strcmp(argv[optind + 1], "run") == 0)
    fail_status = 125;
  if (r == 0)
    r = dispatch(argc - optind, argv + optind, &g, &err);
  if (r >= 0) {
    log_close();
    return r;
  }
  const char *msg = err ? err->message : strerror(-r);
  log_error("%s", msg);
  /* runc prints errors on stderr too when the log goes to a file: engines show stderr. */
  if (log_to_file())
    fprintf(stderr, "husk: %s\n", msg);
  log_close();
  return fail_status;
}
