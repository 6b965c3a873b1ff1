/* run_options.h: what `husk run` takes beyond create's options: docker-run-like conveniences
 * (--name, -m, -u, --stop-signal, --stop-timeout, --rm), the environment (-e, --env-file), the
 * files a service expects (--hostname, --add-host, --dns, --secret: container/etc_files.h), the
 * health check flags and --wait-healthy, and the in-memory config.json patch the conveniences
 * make. Parsing only (env files and secrets are read when their flag is). */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "container/container.h"
#include "container/etc_files.h"
#include "health.h"
#include "ports.h"
#include "restart.h"
#include "run_flags.h"
#include "spec/annotations.h"

struct husk_error;
struct create_options;

#define STOP_DEFAULT_TIMEOUT_S 10

struct run_options {
  const char *name;               /* --name: the id; the operand is then the bundle */
  struct health_overrides health; /* --health-*, --no-healthcheck */
  int64_t memory;                 /* -m: linux.resources.memory.limit in bytes; 0: not given */
  bool user_set, group_set;       /* -u UID[:GID] */
  const char *user_name;          /* -u NAME[:GROUP] (names resolved at create); NULL: none */
  uid_t uid;
  gid_t gid;
  int stop_signal;                 /* --stop-signal; 0: not given */
  int stop_timeout;                /* --stop-timeout, seconds; -1: not given */
  bool rm;                         /* --rm: a detached container is deleted when it exits */
  bool wait_healthy;               /* --wait-healthy[=TIMEOUT] */
  int64_t wait_healthy_timeout_ns; /* 0: no limit */
  /* ---- restarts (issue 14, item 6) ---- */
  struct restart_policy restart; /* --restart; RESTART_NO when not given */
  /* published ports and the network (ports.h) */
  struct port_list ports;       /* -p, in order */
  enum network_mode network;    /* --network; NETWORK_CONFIG: not given */
  const char *pasta_options;    /* --network pasta:OPT,OPT...: more of pasta's options */
  const char *hostname;         /* --hostname; NULL: the config's */
  struct service_files service; /* --add-host, --dns, --secret (and the network they are for) */
  char **env_files;             /* --env-file's K=V entries, in order */
  size_t n_env_files;
  char **env_flags; /* -e/--env's, in order */
  size_t n_env_flags;
  struct run_flags flags; /* docker run's everyday flags (run_flags.h) */
};

void run_options_init(struct run_options *o);
void run_options_free(struct run_options *o);
#define _cleanup_run_options_ __attribute__((cleanup(run_options_free)))

/* getopt codes of run's own long options (create's are below 300). */
enum {
  RUN_OPT_NAME = 400,
  RUN_OPT_RM,
  RUN_OPT_STOP_SIGNAL,
  RUN_OPT_STOP_TIMEOUT,
  RUN_OPT_WAIT_HEALTHY,
  RUN_OPT_HEALTH_CMD,
  RUN_OPT_HEALTH_INTERVAL,
  RUN_OPT_HEALTH_TIMEOUT,
  RUN_OPT_HEALTH_START_PERIOD,
  RUN_OPT_HEALTH_START_INTERVAL,
  RUN_OPT_HEALTH_RETRIES,
  RUN_OPT_HEALTH_ON_FAILURE,
  RUN_OPT_NO_HEALTHCHECK,
  /* the network */
  RUN_OPT_NETWORK,
  RUN_OPT_HOSTNAME,
  RUN_OPT_ADD_HOST,
  RUN_OPT_DNS,
  RUN_OPT_ENV_FILE,
  RUN_OPT_SECRET,
};
#define RUN_LONG_OPTIONS                                                                           \
  {"name", required_argument, NULL, RUN_OPT_NAME}, {"memory", required_argument, NULL, 'm'},       \
      {"user", required_argument, NULL, 'u'}, {"rm", no_argument, NULL, RUN_OPT_RM},               \
      {"stop-signal", required_argument, NULL, RUN_OPT_STOP_SIGNAL},                               \
      {"stop-timeout", required_argument, NULL, RUN_OPT_STOP_TIMEOUT},                             \
      {"wait-healthy", optional_argument, NULL, RUN_OPT_WAIT_HEALTHY},                             \
      {"health-cmd", required_argument, NULL, RUN_OPT_HEALTH_CMD},                                 \
      {"health-interval", required_argument, NULL, RUN_OPT_HEALTH_INTERVAL},                       \
      {"health-timeout", required_argument, NULL, RUN_OPT_HEALTH_TIMEOUT},                         \
      {"health-start-period", required_argument, NULL, RUN_OPT_HEALTH_START_PERIOD},               \
      {"health-start-interval", required_argument, NULL, RUN_OPT_HEALTH_START_INTERVAL},           \
      {"health-retries", required_argument, NULL, RUN_OPT_HEALTH_RETRIES},                         \
      {"health-on-failure", required_argument, NULL, RUN_OPT_HEALTH_ON_FAILURE},                   \
      {"no-healthcheck", no_argument, NULL, RUN_OPT_NO_HEALTHCHECK},                               \
      {"hostname", required_argument, NULL, RUN_OPT_HOSTNAME},                                     \
      {"add-host", required_argument, NULL, RUN_OPT_ADD_HOST},                                     \
      {"dns", required_argument, NULL, RUN_OPT_DNS}, {"env", required_argument, NULL, 'e'},        \
      {"env-file", required_argument, NULL, RUN_OPT_ENV_FILE},                                     \
      {"secret", required_argument, NULL, RUN_OPT_SECRET},                                         \
      {"publish", required_argument, NULL, 'p'},                                                   \
      {"network", required_argument, NULL, RUN_OPT_NETWORK}, RUN_FLAGS_LONG_OPTIONS
#define RUN_SHORT_OPTIONS "m:u:e:p:" RUN_FLAGS_SHORT_OPTIONS
#define RUN_OPTIONS_USAGE                                                                          \
  "[--name NAME] [-m|--memory SIZE] [-u|--user UID[:GID]] [--stop-signal SIG] "                    \
  "[--stop-timeout SECONDS] [--rm] [--wait-healthy[=TIMEOUT]] [--health-cmd CMD] "                 \
  "[--health-interval D] [--health-timeout D] [--health-start-period D] "                          \
  "[--health-start-interval D] [--health-retries N] [--health-on-failure "                         \
  "none|kill|restart|stop] [--no-healthcheck] [--hostname NAME] [--add-host NAME:IP] "             \
  "[--dns IP] [-e|--env K[=V]] [--env-file FILE] [--secret NAME=FILE] "                            \
  "[-p|--publish [IP:][HOSTPORT:]PORT[/udp]] [--network private|none|host|pasta] " RUN_FLAGS_USAGE

/* ---- restarts (issue 14, item 6): --restart, and run's options kept to start it again ---- */
enum { RUN_OPT_RESTART = 480 };
#define RUN_RESTART_LONG_OPTIONS                                                                   \
  { "restart", required_argument, NULL, RUN_OPT_RESTART }
#define RUN_RESTART_USAGE "[--restart no|on-failure[:N]|always|unless-stopped]"
/* What run's flags cannot be together: --restart with --rm (Docker's "Conflicting options"),
 * --restart without -d (a foreground run ends with its process). */
int run_options_check(const struct run_options *o, bool detach, struct husk_error **err);
/* The options the monitor acts on (the health flags, --rm, --restart), as JSON for the
 * container's run.json, and back: `husk start` of a stopped `run -d` container uses them. The
 * rest of run's flags are in the config patch, kept beside them. */
json_t *run_options_to_json(const struct run_options *o);
int run_options_from_json(const json_t *j, struct run_options *o, struct husk_error **err);

/* Apply one of run's own options (arg is getopt's optarg): 0 taken, 1 not one of them, <0 bad. */
int run_parse_option(int c, const char *arg, struct run_options *o, struct husk_error **err);

/* Docker's env file (--env-file), its text: K=V lines, K alone taking husk's own value (left
 * out when husk has none), '#' comment lines and blank lines skipped, leading blanks dropped, no
 * quotes. Appends the entries to *list; an invalid line is an error naming path:line (never
 * the value). */
int env_file_parse(const char *path, const char *text, char ***list, size_t *n,
                   struct husk_error **err);

/* The environment run's flags give the process, NULL-terminated (--env-file's first, then
 * -e's: later wins); NULL when none. The entries are o's: the caller frees the array only. */
char **run_options_env(const struct run_options *o);

/* The JSON merge patch -m, -u, --stop-signal and --stop-timeout make to config.json (applied
 * in memory, the bundle stays as it is); NULL when they make none. */
json_t *run_config_patch(const struct run_options *o);

/* Docker's memory sizes: "64m", "1.5g", "512k", "1073741824", "256MiB", "1gb" (powers of
 * 1024; b, k, m, g, t, p in either case, with an optional i and b after the unit). */
int parse_memory_size(const char *text, int64_t *ret_bytes, struct husk_error **err);

/* "UID" or "UID:GID", numeric; with names (NAME, NAME:GROUP, UID:GROUP) kept for create. */
int parse_user(const char *text, struct run_options *o, struct husk_error **err);

/* The signal a container is stopped with: its stop-signal annotation, else SIGTERM. */
int stop_signal_of(const json_t *annotations, struct husk_error **err);
/* Its stop timeout in seconds: the annotation, else STOP_DEFAULT_TIMEOUT_S. */
int stop_timeout_of(const json_t *annotations);
