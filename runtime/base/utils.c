/* utils.c: allocation, string lists, file I/O and process helpers shared by every module. */
#include "utils.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

static void *check_alloc(void *p) {
  if (!p) {
    fputs("husk: out of memory\n", stderr);
    abort();
  }
  return p;
}

void *xmalloc(size_t n) { return check_alloc(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return check_alloc(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *p, size_t n) { return check_alloc(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return check_alloc(strdup(s)); }

char *xvasprintf(const char *fmt, va_list ap) {
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    check_alloc(NULL);
  return s;
}

char *xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = xvasprintf(fmt, ap);
  va_end(ap);
  return s;
}

void strv_free(char **v) {
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

size_t strv_length(char *const *v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

bool str_has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

ssize_t read_all(int fd, void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = read(fd, (char *)buf + done, len - done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0)
      break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

ssize_t write_all(int fd, const void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = write(fd, (const char *)buf + done, len - done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret, struct husk_error **err) {
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "open %s", path);
  return read_fd(fd, path, max, ret, err);
}

int read_fd(int fd, const char *path, size_t max, char **ret, struct husk_error **err) {
  /* One allocation of the right size for a regular file; st_size is only a hint (procfs says
   * 0 or 4096 whatever it holds), so the read below still enforces max. */
  struct stat st;
  size_t cap = 4096, len = 0;
  if (fstat(fd, &st) == 0 && st.st_size > 0)
    cap = ((size_t)st.st_size < max ? (size_t)st.st_size : max) + 1;
  _cleanup_free_ char *buf = xmalloc(cap + 1);
  for (;;) {
    if (len == cap) {
      if (cap >= max)
        return husk_error_set(err, EFBIG, "read %s: larger than %zu bytes", path, max);
      cap *= 2;
      buf = xrealloc(buf, cap + 1);
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return husk_error_sys(err, "read %s", path);
    if (r == 0)
      break;
    len += (size_t)r;
  }
  buf[len] = '\0';
  *ret = TAKE_PTR(buf);
  return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, struct husk_error **err) {
  _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return husk_error_sys(err, "open %s", path);
  if (write_all(fd, data, strlen(data)) < 0)
    return husk_error_sys(err, "write %s", path);
  return 0;
}

int write_file_new_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                      struct husk_error **err) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return husk_error_sys(err, "create %s", name);
  if (write_all(fd, data, len) < 0 || close(fd) < 0) {
    int saved = errno;
    unlinkat(dirfd, name, 0);
    return husk_error_errno(err, saved, "write %s", name);
  }
  return 0;
}

/* Temp file, fill (which returns 0 or an errno), fsync, rename; the temp file never stays. */
static int write_atomic_with(int dirfd, const char *name, mode_t mode,
                             int (*fill)(int fd, void *arg), void *arg, struct husk_error **err) {
  _cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
  _cleanup_close_ int fd =
      openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return husk_error_sys(err, "create %s", tmp);
  int e = fill(fd, arg);
  if (!e && fsync(fd) < 0)
    e = errno;
  if (e) {
    unlinkat(dirfd, tmp, 0);
    return husk_error_errno(err, e, "write %s", tmp);
  }
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    e = errno;
    unlinkat(dirfd, tmp, 0);
    return husk_error_errno(err, e, "rename %s to %s", tmp, name);
  }
  return 0;
}

struct buffer_ref {
  const char *data;
  size_t len;
};

static int fill_buffer(int fd, void *arg) {
  const struct buffer_ref *b = arg;
  return write_all(fd, b->data, b->len) < 0 ? errno : 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                         struct husk_error **err) {
  struct buffer_ref b = {data, len};
  return write_atomic_with(dirfd, name, mode, fill_buffer, &b, err);
}

/* jansson reads and writes JSON in small pieces through these: one buffer between it and
 * the fd, and a count of the bytes that enforces max. */
struct json_stream {
  int fd;
  size_t max, total, pos, len;
  int error;
  const json_t *j;
  char buf[65536];
};

static size_t stream_read(void *out, size_t want, void *arg) {
  struct json_stream *s = arg;
  while (s->pos == s->len) {
    ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      s->error = errno;
      return (size_t)-1;
    }
    if (n == 0)
      return 0;
    s->total += (size_t)n;
    if (s->total > s->max) {
      s->error = EFBIG;
      return (size_t)-1;
    }
    s->pos = 0;
    s->len = (size_t)n;
  }
  size_t n = want < s->len - s->pos ? want : s->len - s->pos;
  memcpy(out, s->buf + s->pos, n);
  s->pos += n;
  return n;
}

int json_load_file_at(int dirfd, const char *path, size_t max, json_t **ret,
                      struct husk_error **err) {
  _cleanup_free_ struct json_stream *s = xcalloc(1, sizeof(*s));
  s->max = max;
  s->fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (s->fd < 0)
    return husk_error_sys(err, "open %s", path);
  json_error_t jerr;
  json_t *j = json_load_callback(stream_read, s, 0, &jerr);
  close(s->fd);
  if (s->error == EFBIG)
    return husk_error_set(err, EFBIG, "read %s: larger than %zu bytes", path, max);
  if (s->error)
    return husk_error_errno(err, s->error, "read %s", path);
  if (!j)
    return husk_error_set(err, EINVAL, "%s: invalid JSON at line %d, column %d: %s", path,
                          jerr.line, jerr.column, jerr.text);
  *ret = j;
  return 0;
}

static int stream_flush(struct json_stream *s) {
  if (write_all(s->fd, s->buf, s->len) < 0)
    return errno;
  s->len = 0;
  return 0;
}

static int stream_write(const char *data, size_t len, void *arg) {
  struct json_stream *s = arg;
  s->total += len;
  if (s->total > s->max) {
    s->error = EFBIG;
    return -1;
  }
  while (len > 0) {
    if (s->len == sizeof(s->buf) && (s->error = stream_flush(s)))
      return -1;
    size_t n = len < sizeof(s->buf) - s->len ? len : sizeof(s->buf) - s->len;
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    data += n;
    len -= n;
  }
  return 0;
}

static int fill_json(int fd, void *arg) {
  struct json_stream *s = arg;
  s->fd = fd;
  if (json_dump_callback(s->j, stream_write, s, JSON_COMPACT) < 0)
    return s->error ? s->error : ENOMEM;
  return stream_flush(s);
}

int json_write_atomic_at(int dirfd, const char *name, const json_t *j, size_t max, mode_t mode,
                         struct husk_error **err) {
  _cleanup_free_ struct json_stream *s = xcalloc(1, sizeof(*s));
  s->max = max;
  s->j = j;
  return write_atomic_with(dirfd, name, mode, fill_json, s, err);
}

int mkdir_p(const char *path, mode_t mode, struct husk_error **err) {
  _cleanup_free_ char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, mode) < 0 && errno != EEXIST)
      return husk_error_sys(err, "mkdir %s", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return husk_error_sys(err, "mkdir %s", p);
  return 0;
}

unsigned long long proc_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: count fields after the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p)
    return 0;
  p++;
  char state = 0;
  unsigned long long start = 0;
  /* fields 3 (state) .. 22 (starttime) */
  if (sscanf(p, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
             &state, &start) != 2)
    return 0;
  if (state == 'Z' || state == 'X')
    return 0; /* a zombie has finished: its container is stopped */
  return start;
}

/* Not gmtime_r or strftime: glibc loads /etc/localtime (tzset) on their first call, ~20 us
 * of every create, for a UTC time that needs no zone. Days to a civil date as in Howard
 * Hinnant's civil_from_days (valid from 1970 on). */
char *rfc3339_utc(const struct timespec *ts) {
  long long days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400;
  long long z = days + 719468, era = z / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  long long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
  long long year = yoe + era * 400 + (month <= 2);
  return xasprintf("%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09ldZ", year, month, day,
                   secs / 3600, secs / 60 % 60, secs % 60, ts->tv_nsec);
}

char *now_rfc3339(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339_utc(&ts);
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static bool kept(int fd, const int *keep, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (keep[i] == fd)
      return true;
  return false;
}

/* Without close_range (before Linux 5.9): each fd /proc/self/fd lists. */
static int close_listed_fds(unsigned first, const int *keep, size_t n) {
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return -errno;
  int self = dirfd(d);
  struct dirent *de;
  while ((de = readdir(d))) {
    int fd = atoi(de->d_name);
    if (de->d_name[0] != '.' && fd != self && fd >= (int)first && !kept(fd, keep, n))
      close(fd);
  }
  closedir(d);
  return 0;
}

int close_fds_except(unsigned first, const int *keep, size_t n_keep) {
  int sorted[16];
  size_t n = 0;
  for (size_t i = 0; i < n_keep && n < ARRAY_SIZE(sorted); i++)
    if (keep[i] >= (int)first)
      sorted[n++] = keep[i];
  qsort(sorted, n, sizeof(*sorted), cmp_int);
  unsigned lo = first;
  for (size_t i = 0; i <= n; i++) {
    unsigned hi = i < n ? (unsigned)sorted[i] : ~0U;
    if (hi > lo && syscall(SYS_close_range, lo, i < n ? hi - 1 : ~0U, 0) < 0)
      return errno == ENOSYS ? close_listed_fds(first, sorted, n) : -errno;
    if (i < n)
      lo = hi + 1;
  }
  return 0;
}

/* The state letter of /proc/<pid>/stat (R, S, D, T, t, Z, ...); 0 when there is no such process. */
static char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  const char *paren = strrchr(buf, ')');
  return paren && paren[1] && paren[2] ? paren[2] : 0;
}

bool proc_stopped(pid_t pid) {
  char c = proc_state(pid);
  return c == 'T' || c == 't';
}

bool proc_running(pid_t pid) {
  char c = proc_state(pid);
  return c && c != 'Z' && c != 'X';
}

int wait_status_code(int wstatus) {
  if (WIFEXITED(wstatus))
    return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus))
    return 128 + WTERMSIG(wstatus);
  return 255;
}

static int remove_tree_errno;
static const char *remove_tree_failed;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  int r = type == FTW_DP ? rmdir(path) : unlink(path);
  if (r < 0 && errno != ENOENT && !remove_tree_errno) {
    remove_tree_errno = errno;
    remove_tree_failed = path;
    return 1;
  }
  return 0;
}

int remove_dir_tree(const char *path, struct husk_error **err) {
  remove_tree_errno = 0;
  /* FTW_MOUNT: whatever is mounted below path is not descended into (its rmdir fails). */
  int r = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  if (r < 0 && errno == ENOENT)
    return 0;
  if (r < 0)
    return husk_error_sys(err, "remove %s", path);
  if (remove_tree_errno)
    return husk_error_errno(err, remove_tree_errno, "remove %s", remove_tree_failed);
  return 0;
}
