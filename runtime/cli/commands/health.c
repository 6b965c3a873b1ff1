/* health.c: `husk health ID` prints the container's Docker-shaped Health JSON (Status,
 * FailingStreak, Log) from the health.json its monitor keeps; `husk health run ID` has the
 * monitor run one probe now and exits as podman's `healthcheck run` does: 0 when it passed, 1
 * (printing "unhealthy", or "starting" inside the start period) when it failed, 125 on error. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/state.h"
#include "monitor/monitor.h"

#define HEALTH_USAGE "health ID | health run ID"

/* The container's state and health.json (ret may be NULL: only check that there is one). */
static int load(const char *root, const char *id, int *ret_dirfd, struct container_state **ret_st,
                struct monitor_health *ret, struct husk_error **err) {
  int r = state_load(root, id, false, ret_dirfd, ret_st, err);
  if (r < 0)
    return r;
  struct monitor_health mh;
  r = monitor_health_read(*ret_dirfd, &mh, err);
  if (r == -ENOENT)
    return husk_error_set(err, ENOENT, "container %s has no health check", id);
  if (r >= 0 && ret)
    *ret = mh;
  else if (r >= 0)
    monitor_health_free(&mh);
  return r;
}

static int show(const char *root, const char *id, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  struct monitor_health mh;
  int r = load(root, id, &fd, &st, &mh, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *j = health_to_json(&mh.health);
  monitor_health_free(&mh);
  _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  printf("%s\n", text);
  return 0;
}

static int run_probe(const char *root, const char *id, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  int r = load(root, id, &fd, &st, NULL, err);
  if (r < 0)
    return r;
  enum container_status status = state_status(fd, st);
  if (status != STATUS_RUNNING)
    return husk_error_set(err, EINVAL, "container %s is %s, not running", id,
                          container_status_name(status));
  if (!state_monitor_alive(st))
    return husk_error_set(err, ESRCH, "container %s has no monitor to run its probe", id);
  flock(fd, LOCK_UN); /* the monitor writes the result under the lock */
  int code;
  enum health_status hs;
  struct monitor_health mh;
  int64_t timeout_ns = 30 * (int64_t)1000000000;
  if (monitor_health_read(fd, &mh, NULL) == 0) {
    timeout_ns = mh.config.timeout_ns;
    monitor_health_free(&mh);
  }
  r = monitor_probe_now(fd, st->monitor_pid, timeout_ns, &code, &hs, err);
  if (r < 0)
    return husk_error_wrap(err, "health run %s", id);
  if (code == 0)
    return 0;
  printf("%s\n", hs == HEALTH_STARTING ? "starting" : "unhealthy");
  return 1;
}

int cmd_health(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{0}};
  if (getopt_long(argc, argv, "+", opts, NULL) != -1)
    return command_bad_option(argv, HEALTH_USAGE, err);
  const char *id;
  if (argc - optind == 2 && strcmp(argv[optind], "run") == 0) {
    int r = command_take_id(argc, argv, optind + 1, HEALTH_USAGE, &id, err);
    return r < 0 ? r : run_probe(g->root, id, err);
  }
  int r = command_take_id(argc, argv, optind, HEALTH_USAGE, &id, err);
  return r < 0 ? r : show(g->root, id, err);
}
