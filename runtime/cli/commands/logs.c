/* logs.c: `husk logs [-f|--follow] [-t|--timestamps] ID`: what the container of a `husk run -d`
 * wrote, from the ctr.log its monitor keeps (and the rotated ctr.log.1 before it): stdout to
 * stdout, stderr to stderr. With -f it goes on printing, woken by inotify, until the monitor
 * is gone. */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/state.h"
#include "monitor/monitor.h"

#define LOGS_USAGE "logs [-f|--follow] [-t|--timestamps] ID"

/* An open log file and the part of a line read so far. */
struct log_reader {
  int fd;
  char *pending;
  size_t len, cap;
  bool timestamps;
};

static void print_line(const struct log_reader *lr, const char *line) {
  struct ctrlog_entry e;
  if (ctrlog_decode(line, &e, NULL) < 0)
    return; /* not one of ours: skipped */
  FILE *out = e.stream == LOG_STDERR ? stderr : stdout;
  if (lr->timestamps)
    fprintf(out, "%s ", e.time);
  fwrite(e.text, 1, e.len, out);
  fflush(out);
  ctrlog_entry_free(&e);
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
      print_line(lr, start);
      start = nl + 1;
    }
    lr->len -= (size_t)(start - lr->pending);
    memmove(lr->pending, start, lr->len);
  }
}

static void print_file(int dirfd, const char *name, bool timestamps) {
  struct log_reader lr = {.fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC),
                          .timestamps = timestamps};
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

int cmd_logs(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {
      {"follow", no_argument, NULL, 'f'}, {"timestamps", no_argument, NULL, 't'}, {0}};
  bool follow_on = false, timestamps = false;
  int c;
  while ((c = getopt_long(argc, argv, "+ft", opts, NULL)) != -1) {
    if (c == 'f')
      follow_on = true;
    else if (c == 't')
      timestamps = true;
    else
      return command_bad_option(argv, LOGS_USAGE, err);
  }
  const char *id;
  int r = command_take_id(argc, argv, optind, LOGS_USAGE, &id, err);
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
  struct log_reader lr = {.fd = openat(dirfd, MONITOR_LOG_FILE, O_RDONLY | O_CLOEXEC),
                          .timestamps = timestamps};
  if (lr.fd < 0)
    return husk_error_set(err, ENOENT,
                          "logs: container %s has no log: only `husk run -d` keeps one", id);
  print_file(dirfd, MONITOR_LOG_OLD_FILE, timestamps);
  if (follow_on && monitor_fd >= 0)
    r = follow(dirfd, &lr, monitor_fd, st->monitor_pid, err);
  else
    read_lines(&lr);
  close(lr.fd);
  free(lr.pending);
  return r < 0 ? r : 0;
}
