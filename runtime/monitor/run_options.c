/* run_options.c: `husk run`'s own flags (docker-run-like conveniences, the environment, the
 * files a service expects, health checks, --wait-healthy), and the config.json patch the
 * conveniences make. */
#include "run_options.h"

#include <ctype.h>
#include <fcntl.h>
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

static int parse_network(const char *arg, struct run_options *o, struct husk_error **err) {
  static const struct {
    const char *name;
    enum network_mode mode;
  } modes[] = {{"private", NETWORK_PRIVATE},
               {"bridge", NETWORK_PRIVATE},
               {"none", NETWORK_NONE},
               {"host", NETWORK_HOST},
               {"pasta", NETWORK_PASTA}};
  /* podman's pasta:OPTIONS, comma-separated: given to pasta as they are */
  o->pasta_options = NULL;
  if (strncmp(arg, "pasta:", 6) == 0) {
    o->pasta_options = arg + 6;
    arg = "pasta";
  }
  for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
    if (strcmp(arg, modes[i].name) == 0) {
      o->network = modes[i].mode;
      /* and what /etc/hosts and /etc/resolv.conf are for */
      o->service.network = o->network == NETWORK_HOST   ? ETC_NETWORK_HOST
                           : o->network == NETWORK_NONE ? ETC_NETWORK_NONE
                                                        : ETC_NETWORK_PRIVATE;
      return 0;
    }
  return husk_error_set(err, EINVAL,
                        "--network: \"%s\" is not a network husk has: private (the default: "
                        "its own namespace with lo), none, host or pasta[:OPTIONS]",
                        arg);
}

/* Environment values may be secrets: wiped before they are freed. */
static void env_list_free(char **list, size_t n) {
  for (size_t i = 0; i < n; i++) {
    explicit_bzero(list[i], strlen(list[i]));
    free(list[i]);
  }
  free(list);
}

void run_options_free(struct run_options *o) {
  health_overrides_free(&o->health);
  service_files_free(&o->service);
  env_list_free(o->env_files, o->n_env_files);
  env_list_free(o->env_flags, o->n_env_flags);
  port_list_free(&o->ports);
  run_flags_free(&o->flags);
}

static void env_list_add(char ***list, size_t *n, char *entry) {
  *list = xrealloc(*list, (*n + 1) * sizeof(**list));
  (*list)[(*n)++] = entry;
}

/* NAME alone: husk's own value, as docker takes the client's; false when it has none. */
static bool env_from_own(const char *name, char ***list, size_t *n) {
  const char *v = getenv(name);
  if (v)
    env_list_add(list, n, xasprintf("%s=%s", name, v));
  return v != NULL;
}

int env_file_parse(const char *path, const char *text, char ***list, size_t *n,
                   struct husk_error **err) {
  static const char blanks[] = " \t\n\v\f\r";
  const char *p = text;
  if (str_has_prefix(p, "\xef\xbb\xbf")) /* a UTF-8 byte order mark */
    p += 3;
  for (unsigned line = 1; *p; line++) {
    size_t len = strcspn(p, "\n");
    const char *next = p + len + (p[len] == '\n');
    if (len && p[len - 1] == '\r') /* CRLF line ends */
      len--;
    size_t lead = 0;
    while (lead < len && strchr(blanks, p[lead]))
      lead++;
    const char *entry = p + lead;
    len -= lead;
    p = next;
    if (!len || entry[0] == '#')
      continue;
    const char *eq = memchr(entry, '=', len);
    size_t name_len = eq ? (size_t)(eq - entry) : len;
    if (name_len == 0)
      return husk_error_set(err, EINVAL, "--env-file %s:%u: no variable name before '='", path,
                            line);
    for (size_t i = 0; i < name_len; i++)
      if (strchr(blanks, entry[i]) || !entry[i])
        return husk_error_set(err, EINVAL, "--env-file %s:%u: variable '%.*s' contains whitespaces",
                              path, line, (int)name_len, entry);
    if (eq) {
      env_list_add(list, n, strndup(entry, len));
      if (!(*list)[*n - 1])
        abort();
      continue;
    }
    _cleanup_free_ char *name = strndup(entry, name_len);
    if (!name)
      abort();
    env_from_own(name, list, n);
  }
  return 0;
}

static int parse_env_file(const char *path, struct run_options *o, struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  int r = read_file_at(AT_FDCWD, path, HUSK_FILE_MAX, &text, err);
  if (r < 0)
    return husk_error_wrap(err, "--env-file");
  r = env_file_parse(path, text, &o->env_files, &o->n_env_files, err);
  explicit_bzero(text, strlen(text));
  return r;
}

/* -e K=V, or -e K for husk's own value (dropped when unset, as docker does). */
static int parse_env_flag(const char *arg, struct run_options *o, struct husk_error **err) {
  const char *eq = strchr(arg, '=');
  if (!*arg || eq == arg)
    return husk_error_set(err, EINVAL, "--env: invalid environment variable: no name before '='");
  if (eq)
    env_list_add(&o->env_flags, &o->n_env_flags, xstrdup(arg));
  else
    env_from_own(arg, &o->env_flags, &o->n_env_flags);
  return 0;
}

char **run_options_env(const struct run_options *o) {
  size_t n = o->n_env_files + o->n_env_flags;
  if (!n)
    return NULL;
  char **env = xcalloc(n + 1, sizeof(*env));
  for (size_t i = 0; i < o->n_env_files; i++)
    env[i] = o->env_files[i];
  for (size_t i = 0; i < o->n_env_flags; i++)
    env[o->n_env_files + i] = o->env_flags[i];
  return env;
}

/* Docker's rule for --hostname (RFC 1123 labels), within what sethostname takes. */
static int parse_hostname(const char *arg, struct run_options *o, struct husk_error **err) {
  size_t len = strlen(arg);
  bool ok = len > 0 && len <= 64;
  for (size_t i = 0, label = 0; ok && i <= len; i++) {
    char ch = arg[i];
    if (ch == '.' || !ch) {
      ok = label > 0 && arg[i - 1] != '-';
      label = 0;
    } else {
      ok = isalnum((unsigned char)ch) || (ch == '-' && label > 0);
      label++;
    }
  }
  if (!ok)
    return husk_error_set(err, EINVAL, "--hostname: invalid hostname format: %s", arg);
  o->hostname = arg;
  return 0;
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
  case RUN_OPT_RESTART:
    return restart_policy_parse(arg, &o->restart, err) < 0 ? husk_error_wrap(err, "--restart") : 0;
  case 'p': return port_parse(arg, &o->ports, err);
  case RUN_OPT_NETWORK: return parse_network(arg, o, err);
  case RUN_OPT_HOSTNAME: return parse_hostname(arg, o, err);
  case RUN_OPT_ADD_HOST: return etc_add_host(&o->service, arg, err);
  case RUN_OPT_DNS: return etc_add_dns(&o->service, arg, err);
  case 'e': return parse_env_flag(arg, o, err);
  case RUN_OPT_ENV_FILE: return parse_env_file(arg, o, err);
  case RUN_OPT_SECRET: return etc_add_secret(&o->service, arg, err);
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
  if (o->hostname)
    json_object_set_new(patch, "hostname", json_string(o->hostname));
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
    return husk_error_set(err, EINVAL,
                          "--user: expected USER[:GROUP] (names or numbers), not \"%s\"", text);
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

/* ---- restarts (issue 14, item 6) ---- */

int run_options_check(const struct run_options *o, bool detach, struct husk_error **err) {
  if (o->restart.kind == RESTART_NO)
    return 0;
  if (o->rm)
    return husk_error_set(err, EINVAL, "Conflicting options: --restart and --rm");
  if (!detach) {
    _cleanup_free_ char *p = restart_policy_format(&o->restart);
    return husk_error_set(err, EINVAL,
                          "--restart %s needs -d: a container run in the foreground ends with "
                          "its process",
                          p);
  }
  return 0;
}

/* Secrets are bytes: hex in run.json (0600, as every file here that holds them). */
static char *hex_encode(const char *data, size_t len) {
  char *out = xmalloc(2 * len + 1);
  for (size_t i = 0; i < len; i++)
    snprintf(out + 2 * i, 3, "%02x", (unsigned char)data[i]);
  out[2 * len] = '\0';
  return out;
}

static bool hex_decode(const char *text, char **ret, size_t *ret_len) {
  size_t n = strlen(text);
  if (n % 2 || strspn(text, "0123456789abcdef") != n)
    return false;
  char *out = xmalloc(n / 2 + 1);
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    sscanf(text + 2 * i, "%2x", &v);
    out[i] = (char)v;
  }
  *ret = out;
  *ret_len = n / 2;
  return true;
}

/* --add-host, --dns, --secret and the network they are for. */
static json_t *service_to_json(const struct service_files *f) {
  json_t *hosts = json_array(), *dns = json_array(), *secrets = json_array();
  for (size_t i = 0; i < f->n_hosts; i++)
    json_array_append_new(hosts, json_pack("[s, s]", f->hosts[i].name, f->hosts[i].ip));
  for (size_t i = 0; i < f->n_dns; i++)
    json_array_append_new(dns, json_string(f->dns[i]));
  for (size_t i = 0; i < f->n_secrets; i++) {
    _cleanup_free_ char *hex = hex_encode(f->secrets[i].data, f->secrets[i].len);
    json_array_append_new(secrets,
                          json_pack("{s:s, s:s}", "name", f->secrets[i].name, "data", hex));
  }
  return json_pack("{s:i, s:o, s:o, s:o}", "network", (int)f->network, "hosts", hosts, "dns", dns,
                   "secrets", secrets);
}

static int service_from_json(const json_t *j, struct service_files *f, struct husk_error **err) {
  int network;
  json_t *hosts, *dns, *secrets;
  if (json_unpack((json_t *)j, "{s:i, s:o, s:o, s:o}", "network", &network, "hosts", &hosts, "dns",
                  &dns, "secrets", &secrets) < 0 ||
      !json_is_array(hosts) || !json_is_array(dns) || !json_is_array(secrets))
    return husk_error_set(err, EINVAL, "service files: not what husk run wrote");
  f->network = (enum etc_network)network;
  f->hosts = xcalloc(json_array_size(hosts) + 1, sizeof(*f->hosts));
  f->dns = xcalloc(json_array_size(dns) + 1, sizeof(*f->dns));
  f->secrets = xcalloc(json_array_size(secrets) + 1, sizeof(*f->secrets));
  size_t i;
  json_t *v;
  json_array_foreach(hosts, i, v) {
    const char *name = json_string_value(json_array_get(v, 0));
    const char *ip = json_string_value(json_array_get(v, 1));
    if (!name || !ip)
      return husk_error_set(err, EINVAL, "service files: hosts[%zu]", i);
    f->hosts[f->n_hosts++] = (struct etc_host){.name = xstrdup(name), .ip = xstrdup(ip)};
  }
  json_array_foreach(dns, i, v) {
    if (!json_is_string(v))
      return husk_error_set(err, EINVAL, "service files: dns[%zu]", i);
    f->dns[f->n_dns++] = xstrdup(json_string_value(v));
  }
  json_array_foreach(secrets, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *hex = json_string_value(json_object_get(v, "data"));
    struct etc_secret sec = {0};
    if (!name || !hex || !hex_decode(hex, &sec.data, &sec.len))
      return husk_error_set(err, EINVAL, "service files: secrets[%zu]", i);
    sec.name = xstrdup(name);
    f->secrets[f->n_secrets++] = sec;
  }
  return 0;
}

json_t *run_options_to_json(const struct run_options *o) {
  const struct health_overrides *h = &o->health;
  _cleanup_free_ char *policy = restart_policy_format(&o->restart);
  json_t *health = json_pack(
      "{s:I, s:I, s:I, s:I, s:i, s:b}", "interval", (json_int_t)h->interval_ns, "timeout",
      (json_int_t)h->timeout_ns, "startPeriod", (json_int_t)h->start_period_ns, "startInterval",
      (json_int_t)h->start_interval_ns, "retries", h->retries, "disable", h->disable);
  if (h->cmd)
    json_object_set_new(health, "cmd", json_string(h->cmd));
  if (h->on_failure_set)
    json_object_set_new(health, "onFailure", json_string(health_on_failure_name(h->on_failure)));
  json_t *j =
      json_pack("{s:s, s:b, s:o, s:o, s:i, s:o, s:o}", "restart", policy, "rm", o->rm, "health",
                health, "ports", ports_to_json(&o->ports), "network", (int)o->network, "service",
                service_to_json(&o->service), "flags", run_flags_to_json(&o->flags));
  if (o->pasta_options)
    json_object_set_new(j, "pastaOptions", json_string(o->pasta_options));
  return j;
}

int run_options_from_json(const json_t *j, struct run_options *o, struct husk_error **err) {
  const char *policy = NULL, *cmd = NULL, *on_failure = NULL;
  int rm = 0, retries = 0, disable = 0;
  json_int_t interval = 0, timeout = 0, start_period = 0, start_interval = 0;
  if (json_unpack((json_t *)j, "{s:s, s:b, s:{s:I, s:I, s:I, s:I, s:i, s:b, s?s, s?s}}", "restart",
                  &policy, "rm", &rm, "health", "interval", &interval, "timeout", &timeout,
                  "startPeriod", &start_period, "startInterval", &start_interval, "retries",
                  &retries, "disable", &disable, "cmd", &cmd, "onFailure", &on_failure) < 0)
    return husk_error_set(err, EINVAL, "run's options: not what husk run wrote");
  int r = restart_policy_parse(policy, &o->restart, err);
  struct health_overrides *h = &o->health;
  if (r >= 0 && on_failure)
    r = health_on_failure_parse(on_failure, &h->on_failure, err);
  if (r < 0)
    return husk_error_wrap(err, "run's options");
  h->on_failure_set = on_failure != NULL;
  o->rm = rm;
  h->cmd = cmd ? xstrdup(cmd) : NULL;
  json_t *ports = json_object_get(j, "ports"), *service = json_object_get(j, "service");
  o->network = (enum network_mode)json_integer_value(json_object_get(j, "network"));
  o->pasta_options = json_string_value(json_object_get(j, "pastaOptions"));
  if (ports && ports_from_json(ports, &o->ports, err) < 0)
    return husk_error_wrap(err, "run's options");
  if (service && service_from_json(service, &o->service, err) < 0)
    return husk_error_wrap(err, "run's options");
  json_t *flags = json_object_get(j, "flags");
  if (flags) {
    run_flags_free(&o->flags);
    if (run_flags_from_json(flags, &o->flags, err) < 0)
      return husk_error_wrap(err, "run's options");
  }
  h->interval_ns = interval, h->timeout_ns = timeout, h->start_period_ns = start_period;
  h->start_interval_ns = start_interval, h->retries = retries, h->disable = disable;
  return 0;
}
