/* files.c: reading and writing cgroup control files. A write is one write(2) (cgroupfs
 * parses each one), is narrated by --trace, and never creates a file: a missing control file
 * means the host cannot enforce that setting, which the caller reports by config field.
 * For `husk update` the writes run inside a transaction (cg_txn_begin): a checking pass opens
 * every file it would write without writing, then a recording pass keeps, for each write, the
 * value the file had, which cg_txn_rollback writes back (newest first) when a later one fails. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "internal.h"
#include "spec/spec.h"

bool cg_has(const char *dir, const char *file) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
  return access(path, F_OK) == 0;
}

/* ---- the transaction of husk update ---- */

struct cg_undo {
  char *path;
  char *value; /* NULL: the old value could not be read */
};

static struct {
  enum cg_txn_mode mode;
  struct cg_undo *undo;
  size_t n;
} txn;

enum cg_txn_mode cg_txn_mode(void) { return txn.mode; }

void cg_txn_begin(enum cg_txn_mode mode) {
  cg_txn_end();
  txn.mode = mode;
}

void cg_txn_end(void) {
  for (size_t i = 0; i < txn.n; i++) {
    free(txn.undo[i].path);
    free(txn.undo[i].value);
  }
  free(txn.undo);
  txn.undo = NULL;
  txn.n = 0;
  txn.mode = CG_TXN_OFF;
}

static int open_control(const char *path, int flags, const char *why, struct husk_error **err) {
  int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0)
    return fd;
  TRACE(-1, why, "open(\"%s\", O_WRONLY)", path);
  if (errno == ENOENT)
    return husk_error_set(err, ENOENT, "%s does not exist: this host cannot enforce it", path);
  return husk_error_sys(err, "open %s", path);
}

static int write_control(const char *path, const char *value, const char *why,
                         struct husk_error **err) {
  /* O_TRUNC as a shell's ">" does: cgroupfs ignores it, a plain file (tests) needs it */
  _cleanup_close_ int fd = open_control(path, O_WRONLY | O_TRUNC, why, err);
  if (fd < 0)
    return fd;
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

static char *dup_n(const char *s, size_t n) {
  char *out = xmalloc(n + 1);
  memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

/* "8:16" of "8:16 rbps=1048576": files that keep one line per device. */
static bool device_key(const char *value, size_t *ret_len) {
  size_t a = strspn(value, "0123456789");
  if (a == 0 || value[a] != ':')
    return false;
  size_t b = strspn(value + a + 1, "0123456789");
  if (b == 0 || value[a + 1 + b] != ' ')
    return false;
  *ret_len = a + 1 + b;
  return true;
}

/* The line of text that starts with key and a space, as a new string; NULL if none does. */
static char *line_for(const char *text, const char *key, size_t klen) {
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (strncmp(l, key, klen) == 0 && l[klen] == ' ')
      return dup_n(l, strcspn(l, "\n"));
  return NULL;
}

/* What to write to file to undo writing value to it, given what it held before (old). Most
 * files hold the one value written; keyed files hold a line per device (io.max, blkio
 * throttles and weights) or interface (net_prio.ifpriomap), where a key that had no line of
 * its own gets the kernel's way of removing it. */
static char *undo_value(const char *file, const char *old, const char *value) {
  size_t klen = 0;
  bool by_device = device_key(value, &klen);
  bool by_iface = strcmp(file, "net_prio.ifpriomap") == 0;
  if (by_iface)
    klen = strcspn(value, " ");
  if (by_device || by_iface) {
    char *line = line_for(old, value, klen);
    if (line)
      return line;
    const char *reset = strcmp(file, "io.max") == 0 ? "rbps=max wbps=max riops=max wiops=max"
                        : strstr(file, "weight")    ? "default"
                                                    : "0";
    return xasprintf("%.*s %s", (int)klen, value, reset);
  }
  if (strcmp(file, "memory.oom_control") == 0) {
    _cleanup_free_ char *line = line_for(old, "oom_kill_disable", strlen("oom_kill_disable"));
    return line ? xstrdup(line + strlen("oom_kill_disable ")) : NULL;
  }
  if (str_has_prefix(old, "default ")) /* io.weight, io.bfq.weight: "default 100\n8:0 50" */
    return dup_n(old + strlen("default "), strcspn(old + strlen("default "), "\n"));
  size_t n = strlen(old);
  while (n > 0 && (old[n - 1] == '\n' || old[n - 1] == ' '))
    n--;
  /* an empty value goes back as a newline: a write of nothing never reaches the kernel's
   * handler (a v2 cpuset.cpus that was "" would keep the new CPUs) */
  return n ? dup_n(old, n) : xstrdup("\n");
}

int cg_txn_rollback(void) {
  int failed = 0;
  enum cg_txn_mode mode = txn.mode;
  txn.mode = CG_TXN_OFF;
  for (size_t i = txn.n; i-- > 0;) {
    const struct cg_undo *u = &txn.undo[i];
    _cleanup_error_ struct husk_error *e = NULL;
    if (!u->value) {
      log_warn("%s: its value before the update could not be read; it keeps the new one", u->path);
      failed++;
    } else if (write_control(u->path, u->value, "the update failed: give back the value before it",
                             &e) < 0) {
      log_warn("restore %s: %s", u->path, e ? e->message : "failed");
      failed++;
    }
  }
  txn.mode = mode;
  return failed;
}

int cg_write(const char *dir, const char *file, const char *value, const char *why,
             struct husk_error **err) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
  if (txn.mode == CG_TXN_CHECK) { /* open it as the write would, and write nothing */
    _cleanup_close_ int fd = open_control(path, O_WRONLY, why, err);
    if (fd >= 0)
      TRACE(fd, "check before the update writes anything", "open(\"%s\", O_WRONLY)", path);
    return fd < 0 ? fd : 0;
  }
  if (txn.mode != CG_TXN_RECORD)
    return write_control(path, value, why, err);
  _cleanup_free_ char *old = NULL;
  char *undo =
      read_file_at(AT_FDCWD, path, 1 << 20, &old, NULL) == 0 ? undo_value(file, old, value) : NULL;
  int r = write_control(path, value, why, err);
  if (r < 0) {
    free(undo);
    return r;
  }
  txn.undo = xrealloc(txn.undo, (txn.n + 1) * sizeof(*txn.undo));
  txn.undo[txn.n++] = (struct cg_undo){xstrdup(path), undo};
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
