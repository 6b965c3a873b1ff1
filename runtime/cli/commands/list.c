/* list.c: `husk list [--format table|json] [-q]`: every container under --root, with what its
 * monitor knows (health, exit code, restarts, time up) beside the OCI state. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/state.h"
#include "monitor/duration.h"
#include "monitor/monitor.h"

#define LIST_USAGE "list [-f|--format table|json] [-q|--quiet]"

/* A container whose state.json cannot be read is listed all the same, so what is left of it
 * can be seen (and removed with delete --force): "creating" while a create holds its lock,
 * else "unknown" with the reason. */
static json_t *unreadable_entry(int fd, const char *id, const struct husk_error *why) {
  bool creating = why->code == ENOENT && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
  json_t *j =
      json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "id", id, "pid", 0, "status",
                creating ? "creating" : "unknown", "bundle", "", "created", "", "owner", "");
  if (!creating)
    json_object_set_new(j, "husk", json_pack("{s:s}", "error", why->message));
  return j;
}

/* The state of every container, read without taking locks: state.json is replaced atomically. */
static int collect(const char *root, json_t **ret, struct husk_error **err) {
  _cleanup_json_ json_t *all = json_array();
  DIR *d = opendir(root);
  if (!d && errno != ENOENT)
    return husk_error_sys(err, "list: --root %s", root);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.' || state_check_id(de->d_name, NULL) < 0)
      continue;
    _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    _cleanup_state_ struct container_state *st = NULL;
    _cleanup_error_ struct husk_error *why = NULL;
    if (state_read(fd, &st, &why) < 0) {
      json_array_append_new(all, unreadable_entry(fd, de->d_name, why));
      continue;
    }
    json_t *j = state_to_oci_json(st, state_status(fd, st));
    json_t *husk = json_object();
    monitor_state_add(fd, st, j, husk);
    if (json_object_size(husk) > 0)
      json_object_set(j, "husk", husk);
    json_decref(husk);
    json_array_append_new(all, j);
  }
  if (d)
    closedir(d);
  *ret = TAKE_PTR(all);
  return 0;
}

/* How long ago an RFC 3339 time was, coarsely: "3s", "5m", "2h", "4d"; "" when unknown. */
static void ago(const char *when, char *buf, size_t size) {
  int64_t t;
  buf[0] = '\0';
  if (!when || rfc3339_parse(when, &t, NULL) < 0)
    return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long s = ((long long)now.tv_sec * NSEC_PER_SEC + now.tv_nsec - t) / NSEC_PER_SEC;
  s = s < 0 ? 0 : s;
  if (s < 120)
    snprintf(buf, size, "%llds", s);
  else if (s < 2 * 3600)
    snprintf(buf, size, "%lldm", s / 60);
  else if (s < 2 * 86400)
    snprintf(buf, size, "%lldh", s / 3600);
  else
    snprintf(buf, size, "%lldd", s / 86400);
}

/* "running (healthy), up 5m" (up: since its last start; the health while a check runs),
 * "stopped (137)" once the monitor recorded the exit, "restarting (1) 2s ago" (the exit code
 * and when it exited, as Docker shows it) while the monitor waits out the back-off, else the
 * OCI status alone; then ", 3 restarts" when there were any. */
static void status_text(json_t *c, char *buf, size_t size) {
  const char *status = json_string_value(json_object_get(c, "status"));
  const char *health = json_string_value(json_object_get(json_object_get(c, "health"), "status"));
  json_t *husk = json_object_get(c, "husk");
  json_t *code = json_object_get(husk, "exitCode");
  json_int_t restarts = json_integer_value(json_object_get(husk, "restartCount"));
  char when[16];
  int n;
  if (strcmp(status, "stopped") == 0 && json_is_true(json_object_get(husk, "restarting"))) {
    ago(json_string_value(json_object_get(husk, "finishedAt")), when, sizeof(when));
    n = snprintf(buf, size, "restarting (%lld)", json_integer_value(code));
    if (when[0] && n > 0 && (size_t)n < size)
      n += snprintf(buf + n, size - (size_t)n, " %s ago", when);
  } else if (strcmp(status, "running") == 0) {
    ago(json_string_value(json_object_get(husk, "startedAt")), when, sizeof(when));
    n = health ? snprintf(buf, size, "%s (%s)", status, health) : snprintf(buf, size, "%s", status);
    if (when[0] && n > 0 && (size_t)n < size)
      n += snprintf(buf + n, size - (size_t)n, ", up %s", when);
  } else if (strcmp(status, "stopped") == 0 && json_is_integer(code)) {
    n = snprintf(buf, size, "%s (%lld)", status, json_integer_value(code));
  } else {
    n = snprintf(buf, size, "%s", status);
  }
  if (restarts > 0 && n > 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, ", %lld restart%s", restarts, restarts == 1 ? "" : "s");
}

static void print_table(json_t *all) {
  printf("%-24s %-8s %-34s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
  size_t i;
  json_t *c;
  json_array_foreach(all, i, c) {
    char status[64];
    status_text(c, status, sizeof(status));
    const char *why = json_string_value(json_object_get(json_object_get(c, "husk"), "error"));
    printf("%-24s %-8lld %-34s %-40s %-32s %s%s%s\n", json_string_value(json_object_get(c, "id")),
           json_integer_value(json_object_get(c, "pid")), status,
           json_string_value(json_object_get(c, "bundle")),
           json_string_value(json_object_get(c, "created")),
           json_string_value(json_object_get(c, "owner")), why ? "  # " : "", why ? why : "");
  }
}

int cmd_list(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'}, {0}};
  bool quiet = false, json = false;
  int c;
  while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
    if (c == 'q')
      quiet = true;
    else if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
      json = strcmp(optarg, "json") == 0;
    else if (c == 'f')
      return husk_error_set(err, EINVAL, "list: --format: expected table or json, got \"%s\"",
                            optarg);
    else
      return command_bad_option(argv, LIST_USAGE, err);
  }
  if (optind < argc)
    return husk_error_set(err, EINVAL, "list: unexpected argument \"%s\"", argv[optind]);
  _cleanup_json_ json_t *all = NULL;
  int r = collect(g->root, &all, err);
  if (r < 0)
    return r;
  if (quiet) {
    size_t i;
    json_t *ct;
    json_array_foreach(all, i, ct) printf("%s\n", json_string_value(json_object_get(ct, "id")));
  } else if (json) {
    json_dumpf(all, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    putchar('\n');
  } else {
    print_table(all);
  }
  return 0;
}
