/* monitor_files.c: what the monitor keeps in the state directory, in the shapes other commands
 * read: container log lines (Docker's json-file format), event lines, health.json, and the
 * client side of monitor.sock. Pure encoding apart from the last two. */
#include "monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "container/state.h"
#include "health.h"
#include "ports.h"

static const char *const stream_names[] = {[LOG_STDOUT] = "stdout", [LOG_STDERR] = "stderr"};

char *ctrlog_encode(enum log_stream stream, const char *data, size_t len,
                    const struct timespec *ts) {
  size_t text_len;
  _cleanup_free_ char *text = utf8_sanitize(data, len, &text_len);
  _cleanup_free_ char *time = rfc3339_utc(ts);
  _cleanup_json_ json_t *j = json_pack("{s:s%, s:s, s:s}", "log", text, text_len, "stream",
                                       stream_names[stream], "time", time);
  char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (!line)
    abort();
  size_t n = strlen(line);
  line = xrealloc(line, n + 2);
  memcpy(line + n, "\n", 2);
  return line;
}

int ctrlog_decode(const char *line, struct ctrlog_entry *ret, struct husk_error **err) {
  json_error_t jerr;
  _cleanup_json_ json_t *j = json_loads(line, 0, &jerr);
  const char *text, *stream, *time;
  size_t len;
  if (!j ||
      json_unpack(j, "{s:s%, s:s, s:s}", "log", &text, &len, "stream", &stream, "time", &time) < 0)
    return husk_error_set(err, EINVAL, "not a log line: %.60s", line);
  enum log_stream s;
  if (strcmp(stream, "stdout") == 0)
    s = LOG_STDOUT;
  else if (strcmp(stream, "stderr") == 0)
    s = LOG_STDERR;
  else
    return husk_error_set(err, EINVAL, "log line: unknown stream \"%s\"", stream);
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len + 1);
  *ret = (struct ctrlog_entry){.stream = s, .text = copy, .len = len, .time = xstrdup(time)};
  return 0;
}

void ctrlog_entry_free(struct ctrlog_entry *e) {
  free(e->text);
  free(e->time);
  e->text = e->time = NULL;
}

void line_splitter_feed(struct line_splitter *s, const char *data, size_t len, line_emit_fn emit,
                        void *ctx) {
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) + 1 : len;
    if (s->len == 0 && take >= LOG_LINE_MAX) { /* a full piece of a long line: no copy */
      take = LOG_LINE_MAX;
      emit(ctx, data, take);
    } else if (s->len == 0 && nl) { /* a whole line: no copy */
      emit(ctx, data, take);
    } else {
      if (!s->buf)
        s->buf = xmalloc(LOG_LINE_MAX);
      if (take > LOG_LINE_MAX - s->len)
        take = LOG_LINE_MAX - s->len;
      memcpy(s->buf + s->len, data, take);
      s->len += take;
      if (s->buf[s->len - 1] == '\n' || s->len == LOG_LINE_MAX) {
        emit(ctx, s->buf, s->len);
        s->len = 0;
      }
    }
    data += take;
    len -= take;
  }
}

void line_splitter_flush(struct line_splitter *s, line_emit_fn emit, void *ctx) {
  if (s->len > 0)
    emit(ctx, s->buf, s->len);
  s->len = 0;
}

void line_splitter_free(struct line_splitter *s) {
  free(s->buf);
  s->buf = NULL;
  s->len = 0;
}

char *monitor_event_line(const char *type, const char *id, json_t *data) {
  if (!data)
    data = json_object();
  _cleanup_free_ char *now = now_rfc3339();
  json_object_set_new(data, "time", json_string(now));
  _cleanup_json_ json_t *ev = json_pack("{s:s, s:s, s:o}", "type", type, "id", id, "data", data);
  char *text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (!text)
    abort();
  char *line = xasprintf("%s\n", text);
  free(text);
  return line;
}

/* ---- health.json ---- */

void monitor_health_free(struct monitor_health *mh) {
  health_config_free(&mh->config);
  health_free(&mh->health);
}

json_t *monitor_health_to_json(const struct health_config *cfg, const struct health *h) {
  return json_pack("{s:o, s:s, s:o}", "Healthcheck", health_config_to_json(cfg), "OnFailure",
                   health_on_failure_name(cfg->on_failure), "Health", health_to_json(h));
}

/* One of the monitor's JSON files in the state directory: -ENOENT (no error set) when there
 * is none. */
static int read_json_file(int dirfd, const char *name, json_t **ret, struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  _cleanup_error_ struct husk_error *read_err = NULL;
  int r = read_file_at(dirfd, name, 1 << 20, &text, &read_err);
  if (r == -ENOENT)
    return r;
  if (r < 0 && err)
    *err = TAKE_PTR(read_err);
  if (r < 0)
    return r;
  json_error_t jerr;
  *ret = json_loads(text, 0, &jerr);
  return *ret ? 0 : husk_error_set(err, EINVAL, "%s: invalid JSON: %s", name, jerr.text);
}

int monitor_health_read(int dirfd, struct monitor_health *ret, struct husk_error **err) {
  _cleanup_json_ json_t *j = NULL;
  int r = read_json_file(dirfd, MONITOR_HEALTH_FILE, &j, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *cfg_text = json_dumps(json_object_get(j, "Healthcheck"), JSON_COMPACT);
  struct monitor_health mh = {0};
  health_init(&mh.health);
  r = health_config_from_annotation(cfg_text ? cfg_text : "null", &mh.config, err);
  if (r >= 0)
    r = health_on_failure_parse(json_string_value(json_object_get(j, "OnFailure"))
                                    ? json_string_value(json_object_get(j, "OnFailure"))
                                    : "none",
                                &mh.config.on_failure, err);
  if (r >= 0)
    r = health_from_json(json_object_get(j, "Health"), "Health", &mh.health, err);
  if (r < 0) {
    monitor_health_free(&mh);
    return husk_error_wrap(err, "%s", MONITOR_HEALTH_FILE);
  }
  *ret = mh;
  return 0;
}

/* "FailingStreak" → "failingStreak", through objects and arrays. */
static json_t *lowercase_keys(json_t *j) {
  if (json_is_array(j)) {
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) json_array_append_new(out, lowercase_keys(v));
    return out;
  }
  if (!json_is_object(j))
    return json_incref(j);
  json_t *out = json_object();
  const char *key;
  json_t *v;
  json_object_foreach(j, key, v) {
    _cleanup_free_ char *lower = xstrdup(key);
    if (lower[0] >= 'A' && lower[0] <= 'Z')
      lower[0] = (char)(lower[0] - 'A' + 'a');
    json_object_set_new(out, lower, lowercase_keys(v));
  }
  return out;
}

json_t *monitor_health_state_json(const struct health *h) {
  _cleanup_json_ json_t *docker = health_to_json(h);
  return lowercase_keys(docker);
}

void monitor_state_add(int dirfd, const struct container_state *st, json_t *j, json_t *husk) {
  if (st->exited) {
    json_object_set_new(husk, "exitCode", json_integer(st->exit_code));
    if (st->finished)
      json_object_set_new(husk, "finishedAt", json_string(st->finished));
  }
  if (st->monitor_pid > 0) {
    json_object_set_new(husk, "monitorPid",
                        json_integer(state_monitor_alive(st) ? st->monitor_pid : 0));
    json_object_set_new(husk, "restartCount", json_integer(st->restart_count));
    if (st->started_at)
      json_object_set_new(husk, "startedAt", json_string(st->started_at));
    if (st->restart_policy)
      json_object_set_new(husk, "restartPolicy", json_string(st->restart_policy));
    /* A monitor that died in the back-off restarts nothing. */
    if (st->restarting && state_monitor_alive(st))
      json_object_set_new(husk, "restarting", json_true());
  }
  struct port_list ports;
  if (monitor_ports_read(dirfd, &ports, NULL) == 0) {
    json_object_set_new(husk, "ports", ports_to_json(&ports));
    port_list_free(&ports);
  }
  struct monitor_health mh;
  if (monitor_health_read(dirfd, &mh, NULL) < 0)
    return;
  json_t *health = monitor_health_state_json(&mh.health);
  monitor_health_free(&mh);
  /* Nobody probes a container whose monitor died: its last result is no longer its health. */
  if (st->monitor_pid > 0 && !st->exited && !state_monitor_alive(st))
    json_object_set_new(health, "status", json_string("unknown"));
  json_object_set_new(j, "health", health);
}

int monitor_ports_read(int dirfd, struct port_list *ret, struct husk_error **err) {
  *ret = (struct port_list){0};
  _cleanup_json_ json_t *j = NULL;
  int r = read_json_file(dirfd, MONITOR_PORTS_FILE, &j, err);
  if (r < 0)
    return r;
  r = ports_from_json(j, ret, err);
  return r < 0 ? husk_error_wrap(err, "%s", MONITOR_PORTS_FILE) : 0;
}

/* ---- monitor.sock, the client side ---- */

/* A unix socket path has ~108 bytes; the state directory's may be longer, so go through
 * its fd. */
void monitor_socket_address(int dirfd, struct sockaddr_un *sa) {
  *sa = (struct sockaddr_un){.sun_family = AF_UNIX};
  snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd, MONITOR_SOCKET);
}

/* Connect, send request, read one answer (NUL-terminated into buf). */
static int ask(int dirfd, pid_t monitor_pid, const char *request, int64_t wait_ns, char *buf,
               size_t size, struct husk_error **err) {
  if (proc_stopped(monitor_pid))
    return husk_error_set(err, EAGAIN, "the container's monitor (pid %d) is stopped", monitor_pid);
  struct sockaddr_un sa;
  monitor_socket_address(dirfd, &sa);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error_sys(err, "socket");
  struct timeval tv = {.tv_sec = (time_t)(wait_ns / 1000000000),
                       .tv_usec = (suseconds_t)(wait_ns % 1000000000 / 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
    return husk_error_sys(err, "connect to the container's monitor");
  /* A monitor that refuses (busy) answers and closes before our request arrives: its answer
   * is still there to read. */
  bool sent = send(fd, request, strlen(request), MSG_NOSIGNAL) == (ssize_t)strlen(request);
  if (!sent && errno != EPIPE && errno != ECONNRESET)
    return husk_error_sys(err, "send the container's monitor a request");
  /* Waited for in slices: a monitor stopped (SIGSTOP) after the check above never answers,
   * and is seen so within a slice. */
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, 250);
    if (ready > 0)
      break;
    if (ready < 0 && errno != EINTR)
      return husk_error_sys(err, "wait for the container's monitor");
    if (proc_stopped(monitor_pid))
      return husk_error_set(err, EAGAIN, "the container's monitor (pid %d) is stopped",
                            monitor_pid);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((int64_t)(t.tv_sec - t0.tv_sec) * 1000000000 + (t.tv_nsec - t0.tv_nsec) >= wait_ns)
      return husk_error_set(err, ETIMEDOUT, "the container's monitor did not answer in %lld s",
                            (long long)(wait_ns / 1000000000));
  }
  ssize_t n;
  do
    n = recv(fd, buf, size - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return husk_error_set(err, ETIMEDOUT, "the container's monitor did not answer in %lld s",
                          (long long)(wait_ns / 1000000000));
  if (n < 0 && errno == ECONNRESET)
    return husk_error_set(err, EBUSY,
                          "the container's monitor closed the connection (busy); "
                          "try again");
  if (n < 0)
    return husk_error_sys(err, "read the monitor's answer");
  if (n == 0)
    return husk_error_set(err, ECONNRESET, "the container's monitor ended without an answer");
  buf[n] = '\0';
  return 0;
}

int monitor_ask(int dirfd, pid_t monitor_pid, json_t *request, int64_t wait_ns, json_t **ret,
                struct husk_error **err) {
  _cleanup_json_ json_t *owned = request;
  _cleanup_free_ char *text = json_dumps(request, JSON_COMPACT);
  char buf[4096];
  int r = ask(dirfd, monitor_pid, text, wait_ns, buf, sizeof(buf), err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *j = json_loads(buf, 0, NULL);
  const char *error = json_string_value(json_object_get(j, "error"));
  json_int_t code = json_integer_value(json_object_get(j, "code"));
  if (error)
    return husk_error_set(err, code > 0 ? (int)code : EINVAL, "%s", error);
  if (!json_is_object(j))
    return husk_error_set(err, EPROTO, "the container's monitor answered \"%s\"", buf);
  if (ret)
    *ret = TAKE_PTR(j);
  return 0;
}

int monitor_probe_now(int dirfd, pid_t monitor_pid, int64_t timeout_ns, int *ret_exit_code,
                      enum health_status *ret_status, struct husk_error **err) {
  /* Bounded: the probe's own timeout and some seconds for the monitor to start and answer. */
  int64_t wait_ns = timeout_ns + 10 * (int64_t)1000000000;
  char buf[512];
  int r = ask(dirfd, monitor_pid, "probe", wait_ns, buf, sizeof(buf), err);
  if (r < 0)
    return r;
  json_error_t jerr;
  _cleanup_json_ json_t *j = json_loads(buf, 0, &jerr);
  int code;
  const char *status, *error = NULL;
  if (j && json_unpack(j, "{s:s}", "error", &error) == 0)
    return husk_error_set(err, strstr(error, "too many") ? EBUSY : EINVAL,
                          "the container's monitor is busy: %s; try again", error);
  if (!j || json_unpack(j, "{s:i, s:s}", "exitCode", &code, "status", &status) < 0)
    return husk_error_set(err, EPROTO, "the container's monitor answered \"%s\"", buf);
  enum health_status st = HEALTH_NONE;
  while (st <= HEALTH_UNHEALTHY && strcmp(health_status_name(st), status) != 0)
    st++;
  *ret_exit_code = code;
  *ret_status = st;
  return 0;
}
