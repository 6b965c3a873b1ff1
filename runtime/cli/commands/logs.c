/* logs.c: `husk logs [-f|--follow] [-t|--timestamps] [-n|--tail N|all] [--since T] [--until T]
 * [--details] ID`: what the container of a `husk run -d` wrote, from the ctr.log its monitor
 * keeps (and the rotated ctr.log.1 before it): stdout to stdout, stderr to stderr. --tail takes
 * the last N lines, then --since and --until (monitor/duration.h: log_time_parse) keep those
 * written in that span, as Docker's json-file reader does. With -f it goes on printing, woken
 * by inotify, until the monitor is gone (or --until has passed). --details prints each line's
 * log attributes first, as Docker does; husk records none (it has no --log-opt), so that is
 * Docker's empty attribute list and its separating space. */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/state.h"
#include "monitor/duration.h"
#include "monitor/monitor.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

#define LOGS_USAGE                                                                                 \
  "logs [-f|--follow] [-t|--timestamps] [-n|--tail N|all] [--since T] [--until T] [--details] ID"

struct log_options {
  bool timestamps, details;
  long tail;        /* -1: all */
  int64_t since_ns; /* INT64_MIN: no bound */
  int64_t until_ns; /* INT64_MAX: no bound */
};

/* The lines read before following, for --tail. */
struct line_list {
  char **lines;
  size_t n, cap;
};

/* An open log file and the part of a line read so far; whole lines go to print_line, or to
 * collect while the old lines are gathered. */
struct log_reader {
  int fd;
  char *pending;
  size_t len, cap;
  const struct log_options *o;
  struct line_list *collect;
};

static void print_line(const struct log_options *o, const char *line) {
  struct ctrlog_entry e;
  if (ctrlog_decode(line, &e, NULL) < 0)
    return; /* not one of ours: skipped */
  int64_t t;
  if (o->since_ns != INT64_MIN || o->until_ns != INT64_MAX) {
    if (rfc3339_parse(e.time, &t, NULL) < 0 || t < o->since_ns || t > o->until_ns) {
      ctrlog_entry_free(&e);
      return;
    }
  }
  FILE *out = e.stream == LOG_STDERR ? stderr : stdout;
  if (o->timestamps)
    fprintf(out, "%s ", e.time);
  if (o->details)
    fputc(' ', out);
  fwrite(e.text, 1, e.len, out);
  fflush(out);
  ctrlog_entry_free(&e);
}

static void take_line(struct log_reader *lr, const char *line) {
  struct line_list *l = lr->collect;
  if (!l) {
    print_line(lr->o, line);
    return;
  }
  if (l->n == l->cap) {
    l->cap = l->cap * 2 + 64;
    l->lines = xrealloc(l->lines, l->cap * sizeof(*l->lines));
  }
  l->lines[l->n++] = xstrdup(line);
}

/* Print every whole line there is now; a partial last line waits for the rest. */
static void read_lines(struct log_reader *lr) {
  for (;;) {
    if (lr->cap - lr->len < 4096) {
      lr->cap = lr->cap * 2 + 8192;
      lr->pending = xrealloc(lr->pending, lr->cap);
    }
    ssize_t n = read(lr->fd, lr->pending + lr->len, lr->cap - lr->len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    lr->len += (size_t)n;
    lr->pending[lr->len] = '\0';
    char *start = lr->pending, *nl;
    while ((nl = memchr(start, '\n', lr->len - (size_t)(start - lr->pending)))) {
      *nl = '\0';
      take_line(lr, start);
      start = nl + 1;
    }
    lr->len -= (size_t)(start - lr->pending);
    memmove(lr->pending, start, lr->len);
  }
}

static void collect_file(int dirfd, const char *name, const struct log_options *o,
                         struct line_list *l) {
  struct log_reader lr = {.fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC), .o = o, .collect = l};
  if (lr.fd < 0)
    return;
  read_lines(&lr);
  close(lr.fd);
  free(lr.pending);
}

static bool same_file(int fd, int dirfd, const char *name) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, 0) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

/* Until the monitor exits: each change in the state directory wakes us up. After a rotation
 * the old file is read to its end, then the new one from its start. */
static int follow(int dirfd, struct log_reader *lr, int monitor_fd, pid_t monitor_pid,
                  struct husk_error **err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
  _cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (in < 0 ||
      inotify_add_watch(in, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF) < 0)
    return husk_error_sys(err, "watch the container's log");
  for (;;) {
    read_lines(lr);
    if (!same_file(lr->fd, dirfd, MONITOR_LOG_FILE)) {
      int fd = openat(dirfd, MONITOR_LOG_FILE, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return 0; /* deleted */
      close(lr->fd);
      lr->fd = fd;
      continue;
    }
    struct pollfd p[2] = {{.fd = in, .events = POLLIN}, {.fd = monitor_fd, .events = POLLIN}};
    if (lr->o->until_ns != INT64_MAX && now_ns() > lr->o->until_ns)
      return 0; /* nothing written from now on is wanted */
    int n = poll(p, 2, 1000);
    if (n < 0 && errno != EINTR)
      return husk_error_sys(err, "poll");
    /* A stopped monitor writes nothing more and never ends the log: say so, once a second. */
    if (n == 0 && proc_stopped(monitor_pid))
      return husk_error_set(err, EAGAIN,
                            "logs: the container's monitor (pid %d) is stopped: its log does "
                            "not grow",
                            monitor_pid);
    if (p[1].revents) { /* the monitor is gone: the last lines, then the end */
      read_lines(lr);
      return 0;
    }
    char buf[4096];
    while (read(in, buf, sizeof(buf)) > 0)
      ;
  }
}

static int parse_tail(const char *arg, long *ret, struct husk_error **err) {
  if (strcmp(arg, "all") == 0) {
    *ret = -1;
    return 0;
  }
  char *end;
  errno = 0;
  long n = strtol(arg, &end, 10);
  if (errno || end == arg || *end)
    return husk_error_set(err, EINVAL,
                          "logs: --tail: expected a number of lines or all, not \"%s\"", arg);
  *ret = n < 0 ? -1 : n; /* Docker takes a negative count for all */
  return 0;
}

enum { LOGS_OPT_SINCE = 256, LOGS_OPT_UNTIL, LOGS_OPT_DETAILS };

static int parse_options(int argc, char **argv, struct log_options *o, bool *follow_on,
                         struct husk_error **err) {
  static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
                                       {"timestamps", no_argument, NULL, 't'},
                                       {"tail", required_argument, NULL, 'n'},
                                       {"since", required_argument, NULL, LOGS_OPT_SINCE},
                                       {"until", required_argument, NULL, LOGS_OPT_UNTIL},
                                       {"details", no_argument, NULL, LOGS_OPT_DETAILS},
                                       {0}};
  int64_t now = now_ns();
  int c, r = 0;
  while (r >= 0 && (c = getopt_long(argc, argv, "+ftn:", opts, NULL)) != -1) {
    switch (c) {
    case 'f': *follow_on = true; break;
    case 't': o->timestamps = true; break;
    case 'n': r = parse_tail(optarg, &o->tail, err); break;
    case LOGS_OPT_SINCE:
      r = log_time_parse(optarg, now, &o->since_ns, err);
      if (r < 0)
        husk_error_wrap(err, "logs: --since");
      break;
    case LOGS_OPT_UNTIL:
      r = log_time_parse(optarg, now, &o->until_ns, err);
      if (r < 0)
        husk_error_wrap(err, "logs: --until");
      break;
    case LOGS_OPT_DETAILS: o->details = true; break;
    default: return command_bad_option(argv, LOGS_USAGE, err);
    }
  }
  return r;
}

int cmd_logs(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  struct log_options o = {.tail = -1, .since_ns = INT64_MIN, .until_ns = INT64_MAX};
  bool follow_on = false;
  int r = parse_options(argc, argv, &o, &follow_on, err);
  if (r < 0)
    return r;
  const char *id;
  r = command_take_id(argc, argv, optind, LOGS_USAGE, &id, err);
  if (r < 0)
    return r;
  _cleanup_close_ int dirfd = -1, monitor_fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  r = state_load(g->root, id, false, &dirfd, &st, err);
  if (r < 0)
    return r;
  flock(dirfd, LOCK_UN); /* following takes long; the monitor needs the lock meanwhile */
  if (state_monitor_alive(st)) {
    monitor_fd = (int)syscall(SYS_pidfd_open, st->monitor_pid, 0);
    if (!state_monitor_alive(st))
      closep(&monitor_fd), monitor_fd = -1;
  }
  struct line_list old = {0};
  struct log_reader lr = {
      .fd = openat(dirfd, MONITOR_LOG_FILE, O_RDONLY | O_CLOEXEC), .o = &o, .collect = &old};
  if (lr.fd < 0)
    return husk_error_set(err, ENOENT,
                          "logs: container %s has no log: only `husk run -d` keeps one", id);
  /* What is there now (the rotated file first), the last --tail lines of it; then what
   * comes, when following. */
  collect_file(dirfd, MONITOR_LOG_OLD_FILE, &o, &old);
  read_lines(&lr);
  /* At most 2 MiB of log (monitor.h): held whole, then the last --tail lines printed. */
  size_t first = o.tail >= 0 && (size_t)o.tail < old.n ? old.n - (size_t)o.tail : 0;
  for (size_t i = 0; i < old.n; i++) {
    if (i >= first)
      print_line(&o, old.lines[i]);
    free(old.lines[i]);
  }
  free(old.lines);
  lr.collect = NULL;
  if (follow_on && monitor_fd >= 0)
    r = follow(dirfd, &lr, monitor_fd, st->monitor_pid, err);
  close(lr.fd);
  free(lr.pending);
  return r < 0 ? r : 0;
}
