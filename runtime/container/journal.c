/* journal.c: the crash journal of a state directory (journal.h). */
#include "journal.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "state.h"

/* A journal only ever holds a few records; a larger file is not one husk wrote. */
#define JOURNAL_MAX (1u << 20)

int journal_open(int state_fd, struct husk_error **err) {
  int fd =
      openat(state_fd, JOURNAL_FILE, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return husk_error_sys(err, "open %s", JOURNAL_FILE);
  return fd;
}

int journal_append(int journal_fd, const char *what, json_t *value, struct husk_error **err) {
  _cleanup_json_ json_t *rec = json_pack("{s:O}", what, value);
  _cleanup_free_ char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
  if (!text)
    return husk_error_set(err, EINVAL, "encode the %s record", what);
  _cleanup_free_ char *line = xasprintf("%s\n", text);
  /* One write, so a husk killed here leaves the whole line or none of it (or, across a page
   * boundary, a cut line that journal_read skips and reports). */
  ssize_t n = write(journal_fd, line, strlen(line));
  TRACE(n, "record what is about to exist on the host, for a delete after a crash",
        "write(%s, \"%s\")", JOURNAL_FILE, text);
  if (n != (ssize_t)strlen(line))
    return husk_error_sys(err, "write %s", JOURNAL_FILE);
  return 0;
}

static void apply(json_t *rec, struct container_state *st) {
  json_t *init = json_object_get(rec, "init");
  json_t *cgroup = json_object_get(rec, "cgroup");
  json_int_t pid = 0, start = 0, flags = 0;
  if (init &&
      json_unpack(init, "{s:I, s:I, s:I}", "pid", &pid, "startTime", &start, "cloneFlags",
                  &flags) == 0 &&
      pid > 0) {
    st->pid = (pid_t)pid;
    st->pid_start_time = (unsigned long long)start;
    st->clone_flags = (int)flags;
  }
  if (json_is_object(cgroup)) {
    json_decref(st->cgroup);
    st->cgroup = json_incref(cgroup);
  }
  const char *storage = json_string_value(json_object_get(rec, "storage"));
  if (storage) {
    free(st->storage);
    st->storage = xstrdup(storage);
  }
  const char *host_mounts = json_string_value(json_object_get(rec, "hostMounts"));
  if (host_mounts) {
    free(st->host_mounts);
    st->host_mounts = xstrdup(host_mounts);
  }
}

void journal_parse(char *text, struct container_state *st, size_t *ret_unreadable) {
  *ret_unreadable = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    _cleanup_json_ json_t *rec = json_loads(line, 0, NULL);
    if (json_is_object(rec))
      apply(rec, st);
    else
      (*ret_unreadable)++;
  }
}

int journal_read(int state_fd, struct container_state *st, size_t *ret_unreadable,
                 struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  *ret_unreadable = 0;
  int r = read_file_at(state_fd, JOURNAL_FILE, JOURNAL_MAX, &text, err);
  if (r < 0)
    return r;
  journal_parse(text, st, ret_unreadable);
  return 0;
}
