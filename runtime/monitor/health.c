/* health.c: the HEALTHCHECK state machine with Docker's semantics (moby daemon/health.go) and
 * its configuration and JSON. Pure logic: no I/O, no processes, no clock of its own; the
 * monitor runs the probes and feeds their results and the time in. */
#include "health.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/utils.h"
#include "duration.h"

#define ANNOTATION_PATH "annotations[\"" HEALTH_ANNOTATION "\"]"

static const char *const on_failure_names[] = {
    [HEALTH_ON_FAILURE_NONE] = "none",
    [HEALTH_ON_FAILURE_KILL] = "kill",
    [HEALTH_ON_FAILURE_RESTART] = "restart",
    [HEALTH_ON_FAILURE_STOP] = "stop",
};

static const char *const status_names[] = {
    [HEALTH_NONE] = "none",
    [HEALTH_STARTING] = "starting",
    [HEALTH_HEALTHY] = "healthy",
    [HEALTH_UNHEALTHY] = "unhealthy",
};

const char *health_on_failure_name(enum health_on_failure action) {
  return (size_t)action < ARRAY_SIZE(on_failure_names) ? on_failure_names[action] : "none";
}

int health_on_failure_parse(const char *text, enum health_on_failure *ret,
                            struct husk_error **err) {
  for (size_t i = 0; i < ARRAY_SIZE(on_failure_names); i++)
    if (strcmp(text, on_failure_names[i]) == 0) {
      *ret = (enum health_on_failure)i;
      return 0;
    }
  return husk_error_set(err, EINVAL, "expected none, kill, restart or stop, not \"%s\"", text);
}

const char *health_status_name(enum health_status status) {
  return (size_t)status < ARRAY_SIZE(status_names) ? status_names[status] : "none";
}

/* ---- configuration ---- */

void health_config_init(struct health_config *cfg) {
  *cfg = (struct health_config){
      .kind = HEALTH_TEST_NONE,
      .interval_ns = HEALTH_DEFAULT_INTERVAL_NS,
      .timeout_ns = HEALTH_DEFAULT_TIMEOUT_NS,
      .start_period_ns = HEALTH_DEFAULT_START_PERIOD_NS,
      .start_interval_ns = HEALTH_DEFAULT_START_INTERVAL_NS,
      .retries = HEALTH_DEFAULT_RETRIES,
      .on_failure = HEALTH_ON_FAILURE_NONE,
  };
}

void health_config_free(struct health_config *cfg) {
  strv_free(cfg->test);
  cfg->test = NULL;
}

bool health_config_enabled(const struct health_config *cfg) {
  return cfg->kind != HEALTH_TEST_NONE && cfg->test && cfg->test[0];
}

void health_overrides_free(struct health_overrides *o) {
  free(o->cmd);
  o->cmd = NULL;
}

/* Docker rejects negative durations and any under 1ms but 0, which means "the default". */
static int check_duration(int64_t ns, const char *what, struct husk_error **err) {
  if (ns < 0)
    return husk_error_set(err, EINVAL, "%s: must not be negative", what);
  if (ns > 0 && ns < HEALTH_MIN_DURATION_NS)
    return husk_error_set(err, EINVAL, "%s: must be at least 1ms", what);
  return 0;
}

/* What one source (the annotation, then the flags) says; 0 and NULL mean "not said". */
struct healthcheck_layer {
  bool test_set;
  enum health_test_kind kind;
  char **test;
  int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
  int retries;
};

static int parse_test(json_t *arr, struct healthcheck_layer *l, struct husk_error **err) {
  if (!arr || json_is_null(arr))
    return 0;
  if (!json_is_array(arr))
    return husk_error_set(err, EINVAL, ANNOTATION_PATH ".Test: expected an array of strings");
  size_t n = json_array_size(arr);
  if (n == 0)
    return 0; /* as in Docker: an empty Test says nothing */
  _cleanup_strv_ char **words = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    const char *w = json_string_value(json_array_get(arr, i));
    if (!w)
      return husk_error_set(err, EINVAL, ANNOTATION_PATH ".Test[%zu]: expected a string", i);
    words[i] = xstrdup(w);
  }
  if (strcmp(words[0], "NONE") == 0)
    l->kind = HEALTH_TEST_NONE;
  else if (strcmp(words[0], "CMD") == 0)
    l->kind = HEALTH_TEST_CMD;
  else if (strcmp(words[0], "CMD-SHELL") == 0)
    l->kind = HEALTH_TEST_CMD_SHELL;
  else
    return husk_error_set(err, EINVAL,
                          ANNOTATION_PATH ".Test[0]: unknown test type \"%s\" (expected NONE, "
                                          "CMD or CMD-SHELL)",
                          words[0]);
  if (l->kind != HEALTH_TEST_NONE && n < 2)
    return husk_error_set(err, EINVAL, ANNOTATION_PATH ".Test: %s needs a command after it",
                          words[0]);
  l->test_set = true;
  if (l->kind != HEALTH_TEST_NONE) {
    l->test = xcalloc(n, sizeof(char *));
    memcpy(l->test, words + 1, (n - 1) * sizeof(char *));
    words[1] = NULL; /* the rest now belongs to l->test */
  }
  return 0;
}

static int parse_ns(json_t *obj, const char *key, int64_t *ret, struct husk_error **err) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v))
    return 0;
  _cleanup_free_ char *what = xasprintf(ANNOTATION_PATH ".%s", key);
  if (!json_is_integer(v))
    return husk_error_set(err, EINVAL, "%s: expected an integer (nanoseconds)", what);
  int r = check_duration(json_integer_value(v), what, err);
  if (r < 0)
    return r;
  *ret = json_integer_value(v);
  return 0;
}

static int parse_annotation(const char *text, struct healthcheck_layer *l,
                            struct husk_error **err) {
  json_error_t jerr;
  _cleanup_json_ json_t *obj = json_loads(text, JSON_DECODE_ANY, &jerr);
  if (!obj)
    return husk_error_set(err, EINVAL, ANNOTATION_PATH ": invalid JSON at line %d, column %d: %s",
                          jerr.line, jerr.column, jerr.text);
  if (!json_is_object(obj))
    return husk_error_set(err, EINVAL, ANNOTATION_PATH ": expected a Healthcheck object");
  int r = parse_test(json_object_get(obj, "Test"), l, err);
  if (r >= 0)
    r = parse_ns(obj, "Interval", &l->interval_ns, err);
  if (r >= 0)
    r = parse_ns(obj, "Timeout", &l->timeout_ns, err);
  if (r >= 0)
    r = parse_ns(obj, "StartPeriod", &l->start_period_ns, err);
  if (r >= 0)
    r = parse_ns(obj, "StartInterval", &l->start_interval_ns, err);
  if (r < 0)
    return r;
  json_t *retries = json_object_get(obj, "Retries");
  if (retries && !json_is_null(retries)) {
    if (!json_is_integer(retries) || json_integer_value(retries) > INT_MAX)
      return husk_error_set(err, EINVAL, ANNOTATION_PATH ".Retries: expected an integer");
    if (json_integer_value(retries) < 0)
      return husk_error_set(err, EINVAL, ANNOTATION_PATH ".Retries: must not be negative");
    l->retries = (int)json_integer_value(retries);
  }
  return 0;
}

static int set_flag_duration(int64_t *field, const char *flag, const char *value,
                             struct husk_error **err) {
  int64_t ns;
  int r = duration_parse(value, &ns, err);
  if (r < 0)
    return husk_error_wrap(err, "--%s", flag);
  _cleanup_free_ char *what = xasprintf("--%s", flag);
  r = check_duration(ns, what, err);
  if (r < 0)
    return r;
  *field = ns;
  return 0;
}

static int set_flag_retries(struct health_overrides *o, const char *value,
                            struct husk_error **err) {
  char *end;
  errno = 0;
  long n = strtol(value, &end, 10);
  if (errno || end == value || *end || n > INT_MAX || n < INT_MIN)
    return husk_error_set(err, EINVAL, "--health-retries: expected a number, not \"%s\"", value);
  if (n < 0)
    return husk_error_set(err, EINVAL, "--health-retries: must not be negative");
  o->retries = (int)n;
  return 0;
}

int health_overrides_set(struct health_overrides *o, const char *flag, const char *value,
                         struct husk_error **err) {
  if (str_has_prefix(flag, "--"))
    flag += 2;
  if (strcmp(flag, "no-healthcheck") == 0) {
    o->disable = true;
    return 0;
  }
  if (!value)
    return husk_error_set(err, EINVAL, "--%s: needs a value", flag);
  if (strcmp(flag, "health-cmd") == 0) {
    if (!*value)
      return husk_error_set(err, EINVAL, "--health-cmd: must not be empty");
    free(o->cmd);
    o->cmd = xstrdup(value);
    return 0;
  }
  if (strcmp(flag, "health-interval") == 0)
    return set_flag_duration(&o->interval_ns, flag, value, err);
  if (strcmp(flag, "health-timeout") == 0)
    return set_flag_duration(&o->timeout_ns, flag, value, err);
  if (strcmp(flag, "health-start-period") == 0)
    return set_flag_duration(&o->start_period_ns, flag, value, err);
  if (strcmp(flag, "health-start-interval") == 0)
    return set_flag_duration(&o->start_interval_ns, flag, value, err);
  if (strcmp(flag, "health-retries") == 0)
    return set_flag_retries(o, value, err);
  if (strcmp(flag, "health-on-failure") == 0) {
    if (health_on_failure_parse(value, &o->on_failure, err) < 0)
      return husk_error_wrap(err, "--health-on-failure");
    o->on_failure_set = true;
    return 0;
  }
  return husk_error_set(err, EINVAL, "--%s: not a health check flag", flag);
}

static bool overrides_any(const struct health_overrides *o) {
  return o->cmd || o->interval_ns || o->timeout_ns || o->start_period_ns || o->start_interval_ns ||
         o->retries || o->on_failure_set;
}

static int64_t or_default(int64_t v, int64_t def) { return v > 0 ? v : def; }

int health_config_resolve(const char *annotation, const struct health_overrides *o,
                          struct health_config *ret, struct husk_error **err) {
  struct healthcheck_layer l = {0};
  _cleanup_strv_ char **test = NULL;
  if (annotation) {
    int r = parse_annotation(annotation, &l, err);
    test = l.test;
    if (r < 0)
      return r;
  }
  enum health_on_failure on_failure = HEALTH_ON_FAILURE_NONE;
  if (o) {
    if (o->disable && overrides_any(o))
      return husk_error_set(err, EINVAL, "--no-healthcheck conflicts with --health-* options");
    if (o->disable || o->cmd) {
      strv_free(TAKE_PTR(test));
      l.kind = o->disable ? HEALTH_TEST_NONE : HEALTH_TEST_CMD_SHELL;
      if (o->cmd) {
        test = xcalloc(2, sizeof(char *));
        test[0] = xstrdup(o->cmd);
      }
    }
    l.interval_ns = or_default(o->interval_ns, l.interval_ns);
    l.timeout_ns = or_default(o->timeout_ns, l.timeout_ns);
    l.start_period_ns = or_default(o->start_period_ns, l.start_period_ns);
    l.start_interval_ns = or_default(o->start_interval_ns, l.start_interval_ns);
    l.retries = (int)or_default(o->retries, l.retries);
    if (o->on_failure_set)
      on_failure = o->on_failure;
  }
  *ret = (struct health_config){
      .kind = test ? l.kind : HEALTH_TEST_NONE,
      .test = TAKE_PTR(test),
      .interval_ns = or_default(l.interval_ns, HEALTH_DEFAULT_INTERVAL_NS),
      .timeout_ns = or_default(l.timeout_ns, HEALTH_DEFAULT_TIMEOUT_NS),
      .start_period_ns = or_default(l.start_period_ns, HEALTH_DEFAULT_START_PERIOD_NS),
      .start_interval_ns = or_default(l.start_interval_ns, HEALTH_DEFAULT_START_INTERVAL_NS),
      .retries = (int)or_default(l.retries, HEALTH_DEFAULT_RETRIES),
      .on_failure = on_failure,
  };
  return 0;
}

int health_config_from_annotation(const char *json, struct health_config *ret,
                                  struct husk_error **err) {
  return health_config_resolve(json, NULL, ret, err);
}

json_t *health_config_to_json(const struct health_config *cfg) {
  json_t *test = json_array();
  if (!health_config_enabled(cfg))
    json_array_append_new(test, json_string("NONE"));
  else {
    json_array_append_new(test, json_string(cfg->kind == HEALTH_TEST_CMD ? "CMD" : "CMD-SHELL"));
    for (char **w = cfg->test; *w; w++)
      json_array_append_new(test, json_string(*w));
  }
  return json_pack("{s:o, s:I, s:I, s:I, s:I, s:i}", "Test", test, "Interval",
                   (json_int_t)cfg->interval_ns, "Timeout", (json_int_t)cfg->timeout_ns,
                   "StartPeriod", (json_int_t)cfg->start_period_ns, "StartInterval",
                   (json_int_t)cfg->start_interval_ns, "Retries", cfg->retries);
}

char **health_config_argv(const struct health_config *cfg) {
  if (!health_config_enabled(cfg))
    return NULL;
  size_t n = strv_length(cfg->test), shell = cfg->kind == HEALTH_TEST_CMD_SHELL ? 2 : 0;
  char **argv = xcalloc(shell + n + 1, sizeof(char *));
  if (shell) {
    argv[0] = xstrdup("/bin/sh");
    argv[1] = xstrdup("-c");
  }
  for (size_t i = 0; i < n; i++)
    argv[shell + i] = xstrdup(cfg->test[i]);
  return argv;
}

/* ---- output text ---- */

/* Length of the valid UTF-8 sequence at s (of n bytes), 0 when it is not one (the rules
 * Go and jansson share: no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    lo = c == 0xe0 ? 0xa0 : 0x80;
    hi = c == 0xed ? 0x9f : 0xbf;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    lo = c == 0xf0 ? 0x90 : 0x80;
    hi = c == 0xf4 ? 0x8f : 0xbf;
  } else
    return 0;
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return len;
}

/* Bytes as a JSON-safe C string: each invalid byte becomes U+FFFD as Go's encoding/json does,
 * and so does NUL, which husk's JSON readers (and C strings) would not take. */
char *utf8_sanitize(const char *in, size_t n, size_t *ret_len) {
  const unsigned char *s = (const unsigned char *)in;
  char *out = xmalloc(n * 3 + 1), *p = out;
  for (size_t i = 0; i < n;) {
    size_t len = s[i] && s[i] < 0x80 ? 1 : utf8_seq_len(s + i, n - i);
    if (len == 0) {
      memcpy(p, "\xef\xbf\xbd", 3);
      p += 3;
      i++;
      continue;
    }
    memcpy(p, s + i, len);
    p += len;
    i += len;
  }
  *p = '\0';
  *ret_len = (size_t)(p - out);
  return out;
}

/* The stored output: "<prefix>: " when there is a prefix and output, the first
 * HEALTH_OUTPUT_MAX bytes, "..." when there were more (moby's limitedBuffer). */
static char *make_output(const char *prefix, const char *out, size_t len, size_t *ret_len) {
  size_t keep = len > HEALTH_OUTPUT_MAX ? HEALTH_OUTPUT_MAX : len;
  size_t plen = prefix ? strlen(prefix) : 0;
  _cleanup_free_ char *raw = xmalloc(plen + 2 + keep + 3);
  size_t n = 0;
  if (prefix) {
    memcpy(raw, prefix, plen);
    n = plen;
    if (len > 0) {
      memcpy(raw + n, ": ", 2);
      n += 2;
    }
  }
  if (keep > 0)
    memcpy(raw + n, out, keep);
  n += keep;
  if (len > keep) {
    memcpy(raw + n, "...", 3);
    n += 3;
  }
  return utf8_sanitize(raw, n, ret_len);
}

/* ---- state machine ---- */

void health_init(struct health *h) {
  *h = (struct health){.status = HEALTH_NONE, .next_probe_ns = HEALTH_NEVER};
}

static void log_clear(struct health *h) {
  for (size_t i = 0; i < h->log_len; i++)
    free(h->log[i].output);
  h->log_len = 0;
}

void health_free(struct health *h) { log_clear(h); }

/* Docker's getInterval: the start interval while still starting inside the start period. */
static int64_t interval_at(const struct health *h, const struct health_config *cfg,
                           int64_t now_ns) {
  int64_t start_period = cfg->start_period_ns > 0 ? cfg->start_period_ns : 0;
  if (h->status == HEALTH_STARTING && now_ns - h->started_at_ns < start_period)
    return or_default(cfg->start_interval_ns, HEALTH_DEFAULT_START_INTERVAL_NS);
  return or_default(cfg->interval_ns, HEALTH_DEFAULT_INTERVAL_NS);
}

static void schedule(struct health *h, const struct health_config *cfg, int64_t now_ns) {
  int64_t at;
  if (__builtin_add_overflow(now_ns, interval_at(h, cfg, now_ns), &at))
    at = HEALTH_NEVER;
  h->next_probe_ns = at;
}

void health_start(struct health *h, const struct health_config *cfg, int64_t now_ns) {
  h->started_at_ns = now_ns;
  h->failing_streak = 0;
  h->paused = false;
  if (!health_config_enabled(cfg)) {
    h->status = HEALTH_NONE;
    h->next_probe_ns = HEALTH_NEVER;
    return;
  }
  h->status = HEALTH_STARTING;
  schedule(h, cfg, now_ns);
}

int64_t health_next_probe_at(const struct health *h) {
  return h->status == HEALTH_NONE || h->paused ? HEALTH_NEVER : h->next_probe_ns;
}

void health_pause(struct health *h) {
  h->paused = true;
  h->next_probe_ns = HEALTH_NEVER;
}

void health_resume(struct health *h, const struct health_config *cfg, int64_t now_ns) {
  h->paused = false;
  if (h->status == HEALTH_NONE || !health_config_enabled(cfg)) {
    h->next_probe_ns = HEALTH_NEVER;
    return;
  }
  schedule(h, cfg, now_ns);
}

static void log_push(struct health *h, struct health_result r) {
  if (h->log_len == HEALTH_LOG_MAX) {
    free(h->log[0].output);
    memmove(h->log, h->log + 1, (HEALTH_LOG_MAX - 1) * sizeof(h->log[0]));
    h->log_len--;
  }
  h->log[h->log_len++] = r;
}

static enum health_event record(struct health *h, const struct health_config *cfg, int64_t start_ns,
                                int64_t end_ns, int exit_code, const char *prefix,
                                const char *output, size_t len) {
  if (h->status == HEALTH_NONE || h->paused)
    return HEALTH_EVENT_NONE; /* moby drops a result whose monitor was stopped meanwhile */
  enum health_status old = h->status;
  struct health_result r = {.start_ns = start_ns, .end_ns = end_ns, .exit_code = exit_code};
  r.output = make_output(prefix, output, len, &r.output_len);
  log_push(h, r);

  if (exit_code == 0) {
    h->failing_streak = 0;
    h->status = HEALTH_HEALTHY;
  } else {
    /* While it never was healthy yet, failures that began inside the start period are
     * forgiven: the service may still be coming up. */
    bool grace = h->status == HEALTH_STARTING && start_ns - h->started_at_ns < cfg->start_period_ns;
    if (!grace && ++h->failing_streak >= (cfg->retries > 0 ? cfg->retries : HEALTH_DEFAULT_RETRIES))
      h->status = HEALTH_UNHEALTHY;
  }
  schedule(h, cfg, end_ns);

  if (h->status == old)
    return HEALTH_EVENT_NONE;
  return h->status == HEALTH_HEALTHY ? HEALTH_EVENT_HEALTHY : HEALTH_EVENT_UNHEALTHY;
}

enum health_event health_record(struct health *h, const struct health_config *cfg, int64_t start_ns,
                                int64_t end_ns, int exit_code, const char *output, size_t len) {
  return record(h, cfg, start_ns, end_ns, exit_code, NULL, output, len);
}

enum health_event health_record_timeout(struct health *h, const struct health_config *cfg,
                                        int64_t start_ns, int64_t end_ns, const char *output,
                                        size_t len) {
  _cleanup_free_ char *timeout =
      duration_format(or_default(cfg->timeout_ns, HEALTH_DEFAULT_TIMEOUT_NS));
  _cleanup_free_ char *prefix = xasprintf("Health check exceeded timeout (%s)", timeout);
  return record(h, cfg, start_ns, end_ns, -1, prefix, output, len);
}

/* ---- JSON ---- */

static json_t *time_json(int64_t ns) {
  if (ns < 0)
    ns = 0;
  struct timespec ts = {.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC};
  _cleanup_free_ char *text = rfc3339_utc(&ts);
  return json_string(text);
}

json_t *health_to_json(const struct health *h) {
  json_t *log = json_array();
  for (size_t i = 0; i < h->log_len; i++) {
    const struct health_result *r = &h->log[i];
    json_array_append_new(log, json_pack("{s:o, s:o, s:i, s:s%}", "Start", time_json(r->start_ns),
                                         "End", time_json(r->end_ns), "ExitCode", r->exit_code,
                                         "Output", r->output ? r->output : "", r->output_len));
  }
  return json_pack("{s:s, s:i, s:o}", "Status", health_status_name(h->status), "FailingStreak",
                   h->failing_streak, "Log", log);
}

static int time_from_json(json_t *v, const char *path, size_t i, const char *key, int64_t *ret,
                          struct husk_error **err) {
  const char *text = json_string_value(v);
  if (!text)
    return husk_error_set(err, EINVAL, "%s.Log[%zu].%s: expected an RFC 3339 time string", path, i,
                          key);
  if (rfc3339_parse(text, ret, err) < 0)
    return husk_error_wrap(err, "%s.Log[%zu].%s", path, i, key);
  return 0;
}

static int result_from_json(json_t *v, const char *path, size_t i, struct health_result *ret,
                            struct husk_error **err) {
  if (!json_is_object(v))
    return husk_error_set(err, EINVAL, "%s.Log[%zu]: expected an object", path, i);
  struct health_result r = {0};
  int rc = time_from_json(json_object_get(v, "Start"), path, i, "Start", &r.start_ns, err);
  if (rc >= 0)
    rc = time_from_json(json_object_get(v, "End"), path, i, "End", &r.end_ns, err);
  if (rc < 0)
    return rc;
  json_t *code = json_object_get(v, "ExitCode");
  if (!json_is_integer(code) || json_integer_value(code) < INT_MIN ||
      json_integer_value(code) > INT_MAX)
    return husk_error_set(err, EINVAL, "%s.Log[%zu].ExitCode: expected an integer", path, i);
  r.exit_code = (int)json_integer_value(code);
  json_t *out = json_object_get(v, "Output");
  if (out && !json_is_string(out))
    return husk_error_set(err, EINVAL, "%s.Log[%zu].Output: expected a string", path, i);
  r.output = utf8_sanitize(out ? json_string_value(out) : "", out ? json_string_length(out) : 0,
                           &r.output_len);
  *ret = r;
  return 0;
}

static int status_from_json(json_t *v, const char *path, enum health_status *ret,
                            struct husk_error **err) {
  const char *text = json_string_value(v);
  for (size_t i = 0; text && i < ARRAY_SIZE(status_names); i++)
    if (strcmp(text, status_names[i]) == 0) {
      *ret = (enum health_status)i;
      return 0;
    }
  return husk_error_set(err, EINVAL,
                        "%s.Status: expected \"none\", \"starting\", \"healthy\" or \"unhealthy\"",
                        path);
}

int health_from_json(const json_t *json, const char *path, struct health *h,
                     struct husk_error **err) {
  json_t *obj = (json_t *)json;
  if (!json_is_object(obj))
    return husk_error_set(err, EINVAL, "%s: expected an object", path);
  struct health tmp;
  health_init(&tmp);
  int r = status_from_json(json_object_get(obj, "Status"), path, &tmp.status, err);
  if (r < 0)
    return r;
  json_t *streak = json_object_get(obj, "FailingStreak");
  if (!json_is_integer(streak) || json_integer_value(streak) < 0 ||
      json_integer_value(streak) > INT_MAX)
    return husk_error_set(err, EINVAL, "%s.FailingStreak: expected a non-negative integer", path);
  tmp.failing_streak = (int)json_integer_value(streak);

  json_t *log = json_object_get(obj, "Log");
  if (log && !json_is_null(log) && !json_is_array(log))
    return husk_error_set(err, EINVAL, "%s.Log: expected an array", path);
  for (size_t i = 0; i < json_array_size(log); i++) {
    struct health_result res = {0};
    r = result_from_json(json_array_get(log, i), path, i, &res, err);
    if (r < 0) {
      health_free(&tmp);
      return r;
    }
    log_push(&tmp, res); /* keeps the last HEALTH_LOG_MAX */
  }
  log_clear(h);
  h->status = tmp.status;
  h->failing_streak = tmp.failing_streak;
  memcpy(h->log, tmp.log, sizeof(tmp.log));
  h->log_len = tmp.log_len;
  return 0;
}
