/* run_options.c: `husk run`'s own flags (docker-run-like conveniences, health checks,
 * --wait-healthy), its two operand forms, and the config.json patch the conveniences make. */
#include "run_options.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"
#include "base/signals.h"
#include "base/utils.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/duration.h"
#include "process/user.h"

void run_options_init(struct run_options *o) {
  *o = (struct run_options){.stop_timeout = -1};
  run_flags_init(&o->flags);
}

void run_options_free(struct run_options *o) {
  health_overrides_free(&o->health);
  run_flags_free(&o->flags);
}

/* The health flags go to health.c under their own names. */
static const struct {
  int code;
  const char *flag;
} health_flags[] = {
    {RUN_OPT_HEALTH_CMD, "health-cmd"},
    {RUN_OPT_HEALTH_INTERVAL, "health-interval"},
    {RUN_OPT_HEALTH_TIMEOUT, "health-timeout"},
    {RUN_OPT_HEALTH_START_PERIOD, "health-start-period"},
    {RUN_OPT_HEALTH_START_INTERVAL, "health-start-interval"},
    {RUN_OPT_HEALTH_RETRIES, "health-retries"},
    {RUN_OPT_HEALTH_ON_FAILURE, "health-on-failure"},
    {RUN_OPT_NO_HEALTHCHECK, "no-healthcheck"},
};

static int parse_stop_timeout(const char *arg, struct run_options *o, struct husk_error **err) {
  char *end;
  errno = 0;
  long n = strtol(arg, &end, 10);
  if (errno || end == arg || *end || n < 0 || n > INT_MAX)
    return husk_error_set(err, EINVAL, "--stop-timeout: expected whole seconds, not \"%s\"", arg);
  o->stop_timeout = (int)n;
  return 0;
}

static int parse_wait_healthy(const char *arg, struct run_options *o, struct husk_error **err) {
  o->wait_healthy = true;
  o->wait_healthy_timeout_ns = 0;
  if (!arg)
    return 0;
  /* A bare number is seconds, as with --stop-timeout. */
  char *end;
  errno = 0;
  long n = strtol(arg, &end, 10);
  if (!errno && end != arg && !*end && n >= 0 && n <= INT_MAX) {
    o->wait_healthy_timeout_ns = n * NSEC_PER_SEC;
    return 0;
  }
  if (duration_parse(arg, &o->wait_healthy_timeout_ns, err) < 0)
    return husk_error_wrap(err, "--wait-healthy");
  if (o->wait_healthy_timeout_ns < 0)
    return husk_error_set(err, EINVAL, "--wait-healthy: must not be negative");
  return 0;
}

int run_parse_option(int c, const char *arg, struct run_options *o, struct husk_error **err) {
  for (size_t i = 0; i < ARRAY_SIZE(health_flags); i++)
    if (c == health_flags[i].code)
      return health_overrides_set(&o->health, health_flags[i].flag, arg, err);
  switch (c) {
  case RUN_OPT_NAME: {
    int r = state_check_id(arg, err);
    if (r < 0)
      return husk_error_wrap(err, "--name");
    o->name = arg;
    return 0;
  }
  case 'm':
    return parse_memory_size(arg, &o->memory, err) < 0 ? husk_error_wrap(err, "--memory") : 0;
  case 'u': return parse_user(arg, o, err);
  case RUN_OPT_RM: o->rm = true; return 0;
  case RUN_OPT_STOP_SIGNAL: {
    int sig = signal_parse(arg, err);
    if (sig < 0)
      return husk_error_wrap(err, "--stop-signal");
    o->stop_signal = sig;
    return 0;
  }
  case RUN_OPT_STOP_TIMEOUT: return parse_stop_timeout(arg, o, err);
  case RUN_OPT_WAIT_HEALTHY: return parse_wait_healthy(arg, o, err);
  default: return run_flags_parse(c, arg, &o->flags, err); /* run_flags.c */
  }
}

json_t *run_config_patch(const struct run_options *o) {
  json_t *patch = json_object();
  if (o->user_set) {
    json_t *user = json_pack("{s:I}", "uid", (json_int_t)o->uid);
    if (o->group_set)
      json_object_set_new(user, "gid", json_integer((json_int_t)o->gid));
    json_object_set_new(patch, "process", json_pack("{s:o}", "user", user));
  }
  if (o->memory > 0)
    json_object_set_new(
        patch, "linux",
        json_pack("{s:{s:{s:I}}}", "resources", "memory", "limit", (json_int_t)o->memory));
  json_t *ann = json_object();
  if (o->stop_signal > 0)
    json_object_set_new(ann, STOP_SIGNAL_ANNOTATION, json_string(signal_name(o->stop_signal)));
  if (o->stop_timeout >= 0) {
    char text[16];
    snprintf(text, sizeof(text), "%d", o->stop_timeout);
    json_object_set_new(ann, STOP_TIMEOUT_ANNOTATION, json_string(text));
  }
  if (json_object_size(ann) > 0)
    json_object_set_new(patch, "annotations", ann);
  else
    json_decref(ann);
  run_flags_patch(&o->flags, patch); /* run_flags.c */
  if (json_object_size(patch) == 0) {
    json_decref(patch);
    return NULL;
  }
  return patch;
}

int parse_memory_size(const char *text, int64_t *ret_bytes, struct husk_error **err) {
  static const char units[] = "bkmgtp";
  /* digits, an optional fraction, an optional unit: nothing strtod alone would take more of */
  const char *p = text + strspn(text, "0123456789");
  bool ok = p != text;
  if (ok && *p == '.') {
    size_t frac = strspn(p + 1, "0123456789");
    ok = frac > 0;
    p += 1 + frac;
  }
  int shift = 0;
  const char *unit = ok && *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
  if (unit) {
    shift = (int)(unit - units) * 10;
    p++;
    if (shift && (*p == 'i' || *p == 'I'))
      p++;
    if (shift && (*p == 'b' || *p == 'B'))
      p++;
  }
  if (!ok || *p)
    return husk_error_set(err, EINVAL, "expected a size like 64m, 1g or 512k, not \"%s\"", text);
  double bytes = ldexp(strtod(text, NULL), shift);
  if (bytes >= 0x1p63)
    return husk_error_set(err, ERANGE, "%s is too large", text);
  if (bytes < 1)
    return husk_error_set(err, EINVAL, "%s is less than a byte", text);
  *ret_bytes = (int64_t)bytes;
  return 0;
}

static int parse_id(const char *text, size_t len, uint32_t *ret) {
  if (len == 0 || len > 10)
    return -EINVAL;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)text[i]))
      return -EINVAL;
    v = v * 10 + (uint64_t)(text[i] - '0');
  }
  if (v >= UINT32_MAX) /* (uid_t)-1 means "no change" to the kernel */
    return -EINVAL;
  *ret = (uint32_t)v;
  return 0;
}

int parse_user(const char *text, struct run_options *o, struct husk_error **err) {
  if (user_name_syntax_ok(text) && user_text_has_names(text)) {
    o->user_set = false;
    o->user_name = text;
    return 0;
  }
  o->user_name = NULL;
  const char *colon = strchr(text, ':');
  uint32_t uid, gid = 0;
  if (parse_id(text, colon ? (size_t)(colon - text) : strlen(text), &uid) < 0 ||
      (colon && parse_id(colon + 1, strlen(colon + 1), &gid) < 0))
    return husk_error_set(err, EINVAL, "--user: expected USER[:GROUP] (names or numbers), not \"%s\"",
                          text);
  o->user_set = true;
  o->uid = uid;
  o->group_set = colon != NULL;
  o->gid = gid;
  return 0;
}

int stop_signal_of(const json_t *annotations, struct husk_error **err) {
  static const char *const keys[] = {STOP_SIGNAL_ANNOTATION, STOP_SIGNAL_ANNOTATION_CONTAINERD};
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
    const char *v = json_string_value(json_object_get(annotations, keys[i]));
    if (!v || !*v) /* umoci writes the image's unset StopSignal as "" */
      continue;
    int sig = signal_parse(v, err);
    return sig < 0 ? husk_error_wrap(err, "annotations[\"%s\"]", keys[i]) : sig;
  }
  return SIGTERM;
}

int stop_timeout_of(const json_t *annotations) {
  const char *v = json_string_value(json_object_get(annotations, STOP_TIMEOUT_ANNOTATION));
  char *end;
  long n = v ? strtol(v, &end, 10) : -1;
  return v && *v && !*end && n >= 0 && n <= INT_MAX ? (int)n : STOP_DEFAULT_TIMEOUT_S;
}
