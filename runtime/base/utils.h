/* utils.h: small shared helpers: allocation that aborts on OOM, cleanup attributes,
 * string lists, whole-file reads and writes, and EINTR-safe I/O. */
#pragma once

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

struct husk_error;

/* Out of memory aborts (DESIGN.md §6): these never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void fclosep(FILE **f) {
  if (*f)
    fclose(*f);
}
#ifndef json_auto_t /* jansson >= 2.14 defines json_decrefp (and json_auto_t) itself */
static inline void json_decrefp(json_t **j) {
  if (*j)
    json_decref(*j);
}
#endif
void strv_free(char **v);
static inline void strv_freep(char ***v) { strv_free(*v); }

#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))
#define _cleanup_json_ __attribute__((cleanup(json_decrefp)))
#define _cleanup_strv_ __attribute__((cleanup(strv_freep)))

#define TAKE_PTR(p)                                                                                \
  ({                                                                                               \
    __typeof__(p) _p_ = (p);                                                                       \
    (p) = NULL;                                                                                    \
    _p_;                                                                                           \
  })
#define TAKE_FD(fd)                                                                                \
  ({                                                                                               \
    int _fd_ = (fd);                                                                               \
    (fd) = -1;                                                                                     \
    _fd_;                                                                                          \
  })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

size_t strv_length(char *const *v);
bool str_has_prefix(const char *s, const char *prefix);

/* Read a whole file (at most max bytes) as a NUL-terminated string. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, struct husk_error **err);
/* The same from an open fd (path only names it in errors). */
int read_fd(int fd, const char *path, size_t max, char **ret, struct husk_error **err);
/* Write data to an existing file (procfs, cgroupfs, sysfs): one write, no O_CREAT. */
int write_file_at(int dirfd, const char *path, const char *data, struct husk_error **err);
/* Write a new file atomically: temp file, fsync, rename. */
/* A new file (EEXIST when there is one), written whole or removed again; not synced: for
 * files whose directory goes away as a whole when what made it dies. */
int write_file_new_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                      struct husk_error **err);
int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                         struct husk_error **err);

/* JSON files of up to max bytes, streamed through a small buffer rather than held whole as
 * text (a config.json may be megabytes: the parsed tree is all that stays). Reading: an
 * I/O error or a file over max fails before the parse ends ("read PATH: larger than N
 * bytes"), invalid JSON as "PATH: invalid JSON at line L, column C: reason" (EINVAL).
 * Writing: compact, atomically as write_file_atomic_at; over max is EFBIG with no file left. */
int json_load_file_at(int dirfd, const char *path, size_t max, json_t **ret,
                      struct husk_error **err);
int json_write_atomic_at(int dirfd, const char *name, const json_t *j, size_t max, mode_t mode,
                         struct husk_error **err);

ssize_t read_all(int fd, void *buf, size_t len);
ssize_t write_all(int fd, const void *buf, size_t len);

/* The largest config.json, process file or state.json husk reads (runc caps its inputs too):
 * larger ones are refused before they are parsed, and create refuses a container whose
 * state.json would be larger, so that every later command can read what create wrote. */
#define HUSK_FILE_MAX (16u << 20)

/* mkdir -p, relative to the current directory when path is relative. */
int mkdir_p(const char *path, mode_t mode, struct husk_error **err);
/* rm -rf path without following symlinks or crossing into mounts; a missing path is fine. */
int remove_dir_tree(const char *path, struct husk_error **err);

/* The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat);
 * 0 when the process does not exist. Used to tell a live pid from a reused one. */
unsigned long long proc_start_time(pid_t pid);

/* Close every fd >= first except those in keep (any order); a negative errno on failure. */
int close_fds_except(unsigned first, const int *keep, size_t n_keep);

/* The process is stopped or traced ('T' or 't' in /proc/<pid>/stat): it cannot answer. */
bool proc_stopped(pid_t pid);
/* The process exists and is not a zombie (one whose parent has not reaped it yet). */
bool proc_running(pid_t pid);

/* A waitpid status as a shell reports it: the exit code, 128+N when signal N killed it. */
int wait_status_code(int wstatus);

/* Current time as RFC 3339 with nanoseconds, UTC (like Go's time.RFC3339Nano). */
char *now_rfc3339(void);
/* ts (seconds since 1970, nanoseconds) in that form, computed without the time zone. */
struct timespec;
char *rfc3339_utc(const struct timespec *ts);
