/* files.c: reading and writing cgroup control files. A write is one write(2) (cgroupfs
 * parses each one), is narrated by --trace, and never creates a file: a missing control file
 * means the host cannot enforce that setting, which the caller reports by config field. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "internal.h"
#include "log.h"
#include "spec.h"
#include "utils.h"

bool cg_has(const char *dir, const char *file) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
  return access(path, F_OK) == 0;
}

int cg_write(const char *dir, const char *file, const char *value, const char *why,
             struct husk_error **err) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
  /* O_TRUNC as a shell's ">" does: cgroupfs ignores it, a plain file (tests) needs it */
  _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    TRACE(-1, why, "open(\"%s\", O_WRONLY)", path);
    if (errno == ENOENT)
      return husk_error_set(err, ENOENT, "%s does not exist: this host cannot enforce it", path);
    return husk_error_sys(err, "open %s", path);
  }
  size_t len = strlen(value);
  ssize_t n;
  do
    n = write(fd, value, len);
  while (n < 0 && errno == EINTR);
  TRACE(n, why, "write(\"%s\", \"%s\")", path, value);
  if (n < 0)
    return husk_error_sys(err, "write \"%s\" to %s", value, path);
  if ((size_t)n != len)
    return husk_error_set(err, EIO, "write \"%s\" to %s: short write", value, path);
  return 0;
}

int cg_writef(const char *dir, const char *file, const char *why, struct husk_error **err,
              const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *value = xvasprintf(fmt, ap);
  va_end(ap);
  return cg_write(dir, file, value, why, err);
}

int cg_read(const char *dir, const char *file, char **ret, struct husk_error **err) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
  return read_file_at(AT_FDCWD, path, 1 << 22, ret, err);
}

static int parse_u64(const char *s, uint64_t *ret) {
  while (*s == ' ' || *s == '\t')
    s++;
  if (strncmp(s, "max", 3) == 0 && (s[3] == '\0' || s[3] == '\n' || s[3] == ' ')) {
    *ret = UINT64_MAX;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || (*end && *end != '\n' && *end != ' '))
    return -EINVAL;
  *ret = v;
  return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *ret, struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  int r = cg_read(dir, file, &text, err);
  if (r < 0)
    return r;
  if (parse_u64(text, ret) < 0)
    return husk_error_set(err, EINVAL, "%s/%s: expected a number, got \"%.32s\"", dir, file, text);
  return 0;
}

int cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *ret,
                  struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  int r = cg_read(dir, file, &text, err);
  if (r < 0)
    return r;
  size_t klen = strlen(key);
  *ret = 0;
  for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
      return parse_u64(line + klen + 1, ret) < 0
                 ? husk_error_set(err, EINVAL, "%s/%s: bad value for %s", dir, file, key)
                 : 0;
  return 0;
}

json_t *cg_read_keyed_json(const char *dir, const char *file) {
  json_t *o = json_object();
  _cleanup_free_ char *text = NULL;
  if (cg_read(dir, file, &text, NULL) < 0)
    return o;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(line, ' ');
    uint64_t v;
    if (!sp)
      continue;
    *sp = '\0';
    if (parse_u64(sp + 1, &v) == 0)
      json_object_set_new(o, line, json_integer((json_int_t)v));
  }
  return o;
}

static bool has_line(const char *text, const char *want) {
  size_t n = strlen(want);
  for (const char *l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (strncmp(l, want, n) == 0 && (l[n] == '\n' || l[n] == '\0'))
      return true;
  return false;
}

int cg_wait_for(const char *dir, const char *file, const char *want, struct husk_error **err) {
  struct timespec pause = {0, 10 * 1000 * 1000};
  for (int i = 0; i < 1000; i++) { /* 10 s */
    _cleanup_free_ char *text = NULL;
    int r = cg_read(dir, file, &text, err);
    if (r < 0)
      return r;
    if (has_line(text, want))
      return 0;
    nanosleep(&pause, NULL);
  }
  return husk_error_set(err, ETIMEDOUT, "%s/%s did not reach \"%s\" within 10 s", dir, file, want);
}

void cg_format_limit(char *buf, size_t len, int64_t v) {
  if (v < 0)
    snprintf(buf, len, "max");
  else
    snprintf(buf, len, "%" PRId64, v);
}

int cg_check_page_size(const struct spec_hugepage_limit *h, size_t i, struct husk_error **err) {
  if (strchr(h->page_size, '/'))
    return husk_error_set(err, EINVAL,
                          "linux.resources.hugepageLimits[%zu].pageSize: bad size \"%s\"", i,
                          h->page_size);
  return 0;
}
