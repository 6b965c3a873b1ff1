/* events.c: `husk events [--stats] [--interval D] ID`: runc's event stream as JSON lines.
 * With --stats one {"type":"stats","id":...,"data":{cpu, memory, pids}} and exit; otherwise
 * stats every interval (default 5s) and {"type":"oom","id":...} whenever the cgroup's OOM
 * kill count grows, and the lines its monitor writes to events.jsonl ({"type":"health_status",
 * ...}, "start", "exit", "restart"), until the container stops; a container its monitor
 * restarts (run --restart, --health-on-failure restart) is followed into its next run. */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/monitor.h"

#define EVENTS_USAGE "events [--stats] [--interval DURATION] ID"

/* A Go duration as runc takes it ("5s", "1m30s", "250ms", "1.5s"); a bare number is seconds. */
static int parse_duration(const char *s, long long *ret_ms) {
  static const struct {
    const char *unit;
    double ms;
  } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
  char *end;
  double total = strtod(s, &end);
  if (end != s && !*end) {
    total *= 1e3;
  } else {
    total = 0;
    for (const char *p = s; *p;) {
      double v = strtod(p, &end);
      size_t best = ARRAY_SIZE(units), best_len = 0;
      for (size_t i = 0; end != p && i < ARRAY_SIZE(units); i++) {
        size_t n = strlen(units[i].unit);
        if (strncmp(end, units[i].unit, n) == 0 && n > best_len)
          best = i, best_len = n;
      }
      if (best == ARRAY_SIZE(units))
        return -EINVAL;
      total += v * units[best].ms;
      p = end + best_len;
    }
  }
  if (!(total >= 1 && total < 1e12))
    return -EINVAL;
  *ret_ms = (long long)total;
  return 0;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void emit(const char *type, const char *id, json_t *data) {
  _cleanup_json_ json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
  if (data)
    json_object_set(ev, "data", data);
  _cleanup_free_ char *text = json_dumps(ev, JSON_COMPACT);
  printf("%s\n", text);
  fflush(stdout);
}

static int emit_stats(struct cgroup *cg, const char *id, struct husk_error **err) {
  _cleanup_json_ json_t *data = NULL;
  int r = cgroup_stats(cg, &data, err);
  if (r >= 0)
    emit("stats", id, data);
  return r;
}

/* The lines the container's monitor appended to its events.jsonl (start, health_status, exit,
 * restart) since the last call; a partial last line waits for the rest. */
struct events_tail {
  int fd; /* -1: the container has no monitor */
  char buf[4096];
  size_t len;
};

static void print_monitor_events(struct events_tail *t) {
  ssize_t n;
  while (t->fd >= 0 && (n = read(t->fd, t->buf + t->len, sizeof(t->buf) - t->len)) > 0) {
    t->len += (size_t)n;
    char *start = t->buf, *nl;
    while ((nl = memchr(start, '\n', t->len - (size_t)(start - t->buf)))) {
      fwrite(start, 1, (size_t)(nl - start) + 1, stdout);
      start = nl + 1;
    }
    t->len -= (size_t)(start - t->buf);
    memmove(t->buf, start, t->len);
    if (t->len == sizeof(t->buf)) /* no line of ours is that long */
      t->len = 0;
  }
  fflush(stdout);
}

/* After the init exited (the monitor writes the exit event once it reaped it): while its
 * monitor lives, and is not stopped, the next run's state (a new init, and its
 * new cgroup) once the monitor has started it again; false when the monitor ends instead. */
static bool next_run(const char *root, const char *id, struct container_state **st,
                     struct cgroup **cg, struct events_tail *events) {
  for (;;) {
    _cleanup_close_ int fd = -1;
    struct container_state *now = NULL;
    int r = state_load(root, id, false, &fd, &now, NULL);
    if (r == -ENOENT)
      return false; /* deleted */
    if (r < 0) {    /* busy (a writer holds the lock) or half written: look again */
      nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
      continue;
    }
    /* A restart's create writes a fresh state.json before the monitor records itself in it:
     * meanwhile the monitor is the one the last state named. */
    const struct container_state *named = now->monitor_pid > 0 ? now : *st;
    bool alive = state_monitor_alive(named);
    bool again = now->pid != (*st)->pid && state_status(fd, now) != STATUS_STOPPED;
    struct cgroup *next = NULL;
    if (again && container_cgroup(now, &next, NULL) < 0)
      again = false;
    if (again) {
      if (now->monitor_pid <= 0) { /* (not recorded yet: the same monitor) */
        now->monitor_pid = (*st)->monitor_pid;
        now->monitor_start_time = (*st)->monitor_start_time;
      }
      container_state_free(*st);
      cgroup_free(*cg);
      *st = now, *cg = next;
      return true;
    }
    pid_t monitor = named->monitor_pid;
    container_state_free(now);
    if (!alive || proc_stopped(monitor))
      return false;
    print_monitor_events(events);
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
  }
}

/* Until the init is gone (or its cgroup, when a delete got there first). */
static void watch(struct cgroup *cg, const struct container_state *st, long long interval_ms,
                  struct events_tail *events) {
  uint64_t seen = 0, ooms = 0;
  cgroup_oom_kills(cg, &seen, NULL);
  long long next = now_ms();
  const struct timespec tick = {0, 100 * 1000 * 1000};
  while (state_init_alive(st)) {
    if (cgroup_oom_kills(cg, &ooms, NULL) == 0 && ooms > seen) {
      seen = ooms;
      emit("oom", st->id, NULL);
    }
    if (now_ms() >= next) {
      if (emit_stats(cg, st->id, NULL) < 0)
        break;
      next = now_ms() + interval_ms;
    }
    print_monitor_events(events);
    nanosleep(&tick, NULL);
  }
  if (cgroup_oom_kills(cg, &ooms, NULL) == 0 && ooms > seen) /* the kill that ended it */
    emit("oom", st->id, NULL);
  print_monitor_events(events);
}

int cmd_events(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {
      {"stats", no_argument, NULL, 's'}, {"interval", required_argument, NULL, 'i'}, {0}};
  bool stats_once = false;
  long long interval_ms = 5000;
  int c;
  while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    if (c == 's')
      stats_once = true;
    else if (c == 'i' && parse_duration(optarg, &interval_ms) < 0)
      return husk_error_set(err, EINVAL,
                            "events: --interval: expected a duration like 5s, got "
                            "\"%s\"",
                            optarg);
    else if (c != 'i')
      return command_bad_option(argv, EVENTS_USAGE, err);
  }
  const char *id;
  int r = command_take_id(argc, argv, optind, EVENTS_USAGE, &id, err);
  if (r < 0)
    return r;
  _cleanup_state_ struct container_state *st = NULL;
  bool between_runs;
  {
    _cleanup_close_ int fd = -1; /* not held while watching: other commands need the lock */
    r = state_load(g->root, id, false, &fd, &st, err);
    if (r < 0)
      return r;
    /* Between two runs (its monitor waits out a restart's back-off) it is followed into the
     * next one. */
    between_runs = state_status(fd, st) == STATUS_STOPPED;
    if (between_runs && (stats_once || !st->restarting || !state_monitor_alive(st)))
      return husk_error_set(err, EINVAL, "events: container %s is not running", id);
  }
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  r = between_runs ? 0 : container_cgroup(st, &cg, err);
  if (r < 0)
    return husk_error_wrap(err, "events %s", id);
  if (!stats_once) {
    _cleanup_free_ char *path = xasprintf("%s/%s/%s", g->root, id, MONITOR_EVENTS_FILE);
    struct events_tail events = {.fd = open(path, O_RDONLY | O_CLOEXEC)};
    if (events.fd >= 0)
      lseek(events.fd, 0, SEEK_END); /* from now on, as the stats */
    for (bool run = !between_runs || next_run(g->root, id, &st, &cg, &events); run;
         run = next_run(g->root, id, &st, &cg, &events))
      watch(cg, st, interval_ms, &events);
    print_monitor_events(&events);
    closep(&events.fd);
    return 0;
  }
  r = emit_stats(cg, id, err);
  return r < 0 ? husk_error_wrap(err, "events %s", id) : 0;
}
