/* test_health.c: unit tests for runtime/monitor/health.c and runtime/monitor/duration.c on a fake clock, with
 * no processes: Go durations and RFC 3339 times, the health config from the annotation and the
 * run flags, every transition of the state machine, probe scheduling, the log and its output,
 * and Docker's Health JSON there and back. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/utils.h"
#include "monitor/duration.h"
#include "monitor/health.h"
#include "unit.h"

#define S(x) ((int64_t)((x)*1e9))
#define MS(x) ((int64_t)(x)*1000000)
#define T0 (INT64_C(1700000000) * 1000000000) /* the fake clock's "container started" */

/* ---- helpers ---- */

static int64_t parse_ok(const char *text) {
  _cleanup_error_ struct husk_error *err = NULL;
  int64_t ns = 12345;
  int r = duration_parse(text, &ns, &err);
  ck_assert_msg(r == 0, "duration_parse(\"%s\") failed: %s", text, err ? err->message : "?");
  ck_assert_ptr_null(err);
  return ns;
}

/* The error message of a failing parse; the output must stay untouched. */
static char *parse_fails(const char *text) {
  struct husk_error *err = NULL;
  int64_t ns = 12345;
  int r = duration_parse(text, &ns, &err);
  ck_assert_msg(r < 0, "duration_parse(\"%s\") should fail", text);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(ns, 12345);
  char *msg = xstrdup(err->message);
  husk_error_free(err);
  return msg;
}

static void format_is(int64_t ns, const char *want) {
  _cleanup_free_ char *got = duration_format(ns);
  ck_assert_msg(strcmp(got, want) == 0, "duration_format(%lld) = \"%s\", want \"%s\"",
                (long long)ns, got, want);
}

static struct health_config config_of(const char *annotation) {
  _cleanup_error_ struct husk_error *err = NULL;
  struct health_config cfg;
  int r = health_config_from_annotation(annotation, &cfg, &err);
  ck_assert_msg(r == 0, "annotation %s failed: %s", annotation, err ? err->message : "?");
  return cfg;
}

static char *annotation_fails(const char *annotation) {
  struct husk_error *err = NULL;
  struct health_config cfg = {.retries = 77};
  int r = health_config_from_annotation(annotation, &cfg, &err);
  ck_assert_msg(r < 0, "annotation %s should fail", annotation);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(cfg.retries, 77);
  char *msg = xstrdup(err->message);
  husk_error_free(err);
  return msg;
}

static void flag_ok(struct health_overrides *o, const char *flag, const char *value) {
  _cleanup_error_ struct husk_error *err = NULL;
  int r = health_overrides_set(o, flag, value, &err);
  ck_assert_msg(r == 0, "%s %s failed: %s", flag, value ? value : "", err ? err->message : "?");
}

static char *flag_fails(const char *flag, const char *value) {
  struct health_overrides o = {0};
  struct husk_error *err = NULL;
  int r = health_overrides_set(&o, flag, value, &err);
  ck_assert_msg(r < 0, "%s %s should fail", flag, value ? value : "");
  ck_assert_ptr_nonnull(err);
  char *msg = xstrdup(err->message);
  husk_error_free(err);
  health_overrides_free(&o);
  return msg;
}

#define ck_assert_contains(hay, needle)                                                            \
  ck_assert_msg(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", (hay), (needle))

/* A CMD-SHELL config with the given timing (0: default) and retries (0: default). */
static struct health_config shell_config(int64_t interval, int64_t start_period,
                                         int64_t start_interval, int retries) {
  _cleanup_free_ char *json =
      xasprintf("{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":%lld,"
                "\"StartPeriod\":%lld,\"StartInterval\":%lld,"
                "\"Retries\":%d}",
                (long long)interval, (long long)start_period, (long long)start_interval, retries);
  return config_of(json);
}

static enum health_event probe(struct health *h, const struct health_config *cfg, int64_t start,
                               int64_t end, int code) {
  const char *out = code == 0 ? "ok\n" : "fail\n";
  return health_record(h, cfg, start, end, code, out, strlen(out));
}

/* ---- durations ---- */

START_TEST(duration_parse_go_forms) {
  static const struct {
    const char *text;
    int64_t ns;
  } cases[] = {
      {"0", 0},
      {"+0", 0},
      {"-0", 0},
      {"0s", 0},
      {"5s", S(5)},
      {"30s", S(30)},
      {"1478s", S(1478)},
      {"-5s", -S(5)},
      {"+5s", S(5)},
      {"-0s", 0},
      {"10ns", 10},
      {"100us", 100000},
      {"100\u00b5s", 100000},
      {"100\u03bcs", 100000},
      {"500ms", MS(500)},
      {"1m30s", S(90)},
      {"1h", S(3600)},
      {"2h45m", S(2 * 3600 + 45 * 60)},
      {"1.5s", MS(1500)},
      {"1.0s", S(1)},
      {"1.004s", MS(1004)},
      {"1.s", S(1)},
      {".5s", MS(500)},
      {"100.00100s", S(100) + MS(1)},
      {"1.5h", S(5400)},
      {"-1.5h", -S(5400)},
      {"1h2m3s4ms5us6ns", S(3723) + MS(4) + 5006},
      {"39h9m14.425s", S(39 * 3600 + 9 * 60 + 14) + MS(425)},
      {"0.100000000000000000000h", S(360)},
      {"0.830103483285477580700h", S(49 * 60 + 48) + 372539827},
      {"9223372036854775807ns", INT64_MAX},
      {"-9223372036854775808ns", INT64_MIN},
      {"9223372036.854775807s", INT64_MAX},
      {"2562047h47m16.854775807s", INT64_MAX},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    int64_t got = parse_ok(cases[i].text);
    ck_assert_msg(got == cases[i].ns, "\"%s\" = %lld, want %lld", cases[i].text, (long long)got,
                  (long long)cases[i].ns);
  }
}
END_TEST

START_TEST(duration_parse_errors) {
  static const char *const invalid[] = {"",  "-",   "+",   ".",   "-.",    ".s",    "+.s",
                                        "s", "abc", " 1s", "1s ", "1..5s", "1.5.s", "-x1s"};
  for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
    _cleanup_free_ char *msg = parse_fails(invalid[i]);
    ck_assert_msg(strstr(msg, invalid[i]) != NULL, "\"%s\": message \"%s\"", invalid[i], msg);
  }
  _cleanup_free_ char *m1 = parse_fails("3");
  ck_assert_str_eq(m1, "missing unit in duration \"3\" (e.g. \"3s\")");
  _cleanup_free_ char *m2 = parse_fails("1d");
  ck_assert_str_eq(m2, "unknown unit \"d\" in duration \"1d\" (expected ns, us, ms, s, m or h)");
  _cleanup_free_ char *m3 = parse_fails("1ss");
  ck_assert_contains(m3, "unknown unit \"ss\"");
  _cleanup_free_ char *m4 = parse_fails("10S");
  ck_assert_contains(m4, "unknown unit \"S\"");
  static const char *const too_large[] = {
      "9223372036854775808ns", "3000000h", "9223372036854775807ns1ns",
      "99999999999999999999s", "2562048h", "-9223372036854775809ns"};
  for (size_t i = 0; i < ARRAY_SIZE(too_large); i++) {
    _cleanup_free_ char *msg = parse_fails(too_large[i]);
    ck_assert_contains(msg, "is too large");
  }
}
END_TEST

START_TEST(duration_format_like_go) {
  format_is(0, "0s");
  format_is(1, "1ns");
  format_is(10, "10ns");
  format_is(999, "999ns");
  format_is(1000, "1\u00b5s");
  format_is(1100, "1.1\u00b5s");
  format_is(100000, "100\u00b5s");
  format_is(MS(1), "1ms");
  format_is(2200000, "2.2ms");
  format_is(MS(500), "500ms");
  format_is(S(1), "1s");
  format_is(MS(1500), "1.5s");
  format_is(3300000000, "3.3s");
  format_is(S(30), "30s");
  format_is(S(90), "1m30s");
  format_is(S(60), "1m0s");
  format_is(S(3600), "1h0m0s");
  format_is(S(4 * 60 + 5), "4m5s");
  format_is(S(4 * 60 + 5) + MS(1), "4m5.001s");
  format_is(S(5 * 3600 + 6 * 60 + 7) + MS(1), "5h6m7.001s");
  format_is(S(8 * 60) + 1, "8m0.000000001s");
  format_is(-MS(1500), "-1.5s");
  format_is(-1, "-1ns");
  format_is(INT64_MAX, "2562047h47m16.854775807s");
  format_is(INT64_MIN, "-2562047h47m16.854775808s");
}
END_TEST

START_TEST(duration_round_trip) {
  static const int64_t values[] = {0,         1,     999,      1000,     1234567,  MS(500),
                                   S(30),     S(90), S(3600),  -S(7),    S(86400), INT64_MAX,
                                   INT64_MIN, 1500,  S(1) + 1, MS(1) + 1};
  for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
    _cleanup_free_ char *text = duration_format(values[i]);
    ck_assert_msg(parse_ok(text) == values[i], "%lld -> \"%s\" does not parse back",
                  (long long)values[i], text);
  }
}
END_TEST

START_TEST(rfc3339_parse_forms) {
  _cleanup_error_ struct husk_error *err = NULL;
  int64_t ns = 0;
  ck_assert_int_eq(rfc3339_parse("1970-01-01T00:00:00Z", &ns, &err), 0);
  ck_assert_int_eq(ns, 0);
  ck_assert_int_eq(rfc3339_parse("2023-11-14T22:13:20.123456789Z", &ns, &err), 0);
  ck_assert_int_eq(ns, T0 + 123456789);
  ck_assert_int_eq(rfc3339_parse("2023-11-14T22:13:20.5Z", &ns, &err), 0);
  ck_assert_int_eq(ns, T0 + MS(500));
  ck_assert_int_eq(rfc3339_parse("2023-11-15T00:13:20+02:00", &ns, &err), 0);
  ck_assert_int_eq(ns, T0);
  ck_assert_int_eq(rfc3339_parse("2023-11-14t17:43:20.000000000-04:30", &ns, &err), 0);
  ck_assert_int_eq(ns, T0);
  ck_assert_int_eq(rfc3339_parse("2024-02-29T12:00:00.1234567891z", &ns, &err), 0);
  ck_assert_int_eq(ns, INT64_C(1709208000) * 1000000000 + 123456789);
  ck_assert_ptr_null(err);

  /* What husk writes reads back to the same instant. */
  struct timespec ts = {.tv_sec = 1712345678, .tv_nsec = 42};
  _cleanup_free_ char *text = rfc3339_utc(&ts);
  ck_assert_int_eq(rfc3339_parse(text, &ns, &err), 0);
  ck_assert_int_eq(ns, INT64_C(1712345678) * 1000000000 + 42);
}
END_TEST

START_TEST(rfc3339_parse_errors) {
  static const char *const bad[] = {"",
                                    "garbage",
                                    "2024-13-01T00:00:00Z",
                                    "2024-00-10T00:00:00Z",
                                    "2023-02-29T00:00:00Z",
                                    "2024-04-31T00:00:00Z",
                                    "2024-05-01 10:00:00Z",
                                    "2024-05-01T10:00:00",
                                    "2024-05-01T24:00:00Z",
                                    "2024-05-01T10:60:00Z",
                                    "2024-05-01T10:00:60Z",
                                    "2024-05-01T10:00:00.Z",
                                    "2024-05-01T10:00:00+0200",
                                    "2024-05-01T10:00:00Zjunk",
                                    "24-05-01T10:00:00Z",
                                    "2024-5-01T10:00:00Z"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    struct husk_error *err = NULL;
    int64_t ns = 99;
    ck_assert_msg(rfc3339_parse(bad[i], &ns, &err) < 0, "\"%s\" should fail", bad[i]);
    ck_assert_int_eq(ns, 99);
    ck_assert_contains(err->message, "invalid RFC 3339 time");
    husk_error_free(err);
  }
  static const char *const out_of_range[] = {"1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
                                             "2263-01-01T00:00:00Z", "1970-01-01T00:00:00+00:01"};
  for (size_t i = 0; i < ARRAY_SIZE(out_of_range); i++) {
    struct husk_error *err = NULL;
    int64_t ns = 99;
    ck_assert_msg(rfc3339_parse(out_of_range[i], &ns, &err) < 0, "\"%s\"", out_of_range[i]);
    ck_assert_contains(err->message, "out of range");
    husk_error_free(err);
  }
}
END_TEST

/* ---- configuration ---- */

START_TEST(annotation_all_fields) {
  struct health_config cfg =
      config_of("{\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/ || exit 1\"],"
                "\"Interval\":10000000000,\"Timeout\":2000000000,\"StartPeriod\":60000000000,"
                "\"StartInterval\":1000000000,\"Retries\":5,\"Unknown\":true}");
  ck_assert(health_config_enabled(&cfg));
  ck_assert_int_eq(cfg.kind, HEALTH_TEST_CMD_SHELL);
  ck_assert_int_eq(strv_length(cfg.test), 1);
  ck_assert_str_eq(cfg.test[0], "curl -f http://localhost/ || exit 1");
  ck_assert_int_eq(cfg.interval_ns, S(10));
  ck_assert_int_eq(cfg.timeout_ns, S(2));
  ck_assert_int_eq(cfg.start_period_ns, S(60));
  ck_assert_int_eq(cfg.start_interval_ns, S(1));
  ck_assert_int_eq(cfg.retries, 5);
  ck_assert_int_eq(cfg.on_failure, HEALTH_ON_FAILURE_NONE);
  _cleanup_strv_ char **argv = health_config_argv(&cfg);
  ck_assert_int_eq(strv_length(argv), 3);
  ck_assert_str_eq(argv[0], "/bin/sh");
  ck_assert_str_eq(argv[1], "-c");
  ck_assert_str_eq(argv[2], "curl -f http://localhost/ || exit 1");
  health_config_free(&cfg);
}
END_TEST

START_TEST(annotation_defaults_and_kinds) {
  struct health_config cfg = config_of("{\"Test\":[\"CMD\",\"/bin/check\",\"--quick\"]}");
  ck_assert_int_eq(cfg.kind, HEALTH_TEST_CMD);
  ck_assert_int_eq(cfg.interval_ns, S(30));
  ck_assert_int_eq(cfg.timeout_ns, S(30));
  ck_assert_int_eq(cfg.start_period_ns, 0);
  ck_assert_int_eq(cfg.start_interval_ns, S(5));
  ck_assert_int_eq(cfg.retries, 3);
  _cleanup_strv_ char **argv = health_config_argv(&cfg);
  ck_assert_int_eq(strv_length(argv), 2);
  ck_assert_str_eq(argv[0], "/bin/check");
  ck_assert_str_eq(argv[1], "--quick");
  health_config_free(&cfg);

  /* Zero (and null) means "the default", as in Docker. */
  cfg = config_of("{\"Test\":[\"CMD\",\"x\"],\"Interval\":0,\"Timeout\":null,\"Retries\":0}");
  ck_assert_int_eq(cfg.interval_ns, S(30));
  ck_assert_int_eq(cfg.timeout_ns, S(30));
  ck_assert_int_eq(cfg.retries, 3);
  health_config_free(&cfg);

  static const char *const disabled[] = {"{\"Test\":[\"NONE\"]}", "{}", "{\"Test\":[]}",
                                         "{\"Test\":null,\"Interval\":1000000000}"};
  for (size_t i = 0; i < ARRAY_SIZE(disabled); i++) {
    cfg = config_of(disabled[i]);
    ck_assert_msg(!health_config_enabled(&cfg), "%s should disable", disabled[i]);
    ck_assert_int_eq(cfg.kind, HEALTH_TEST_NONE);
    ck_assert_ptr_null(health_config_argv(&cfg));
    health_config_free(&cfg);
  }
  struct health_config init;
  health_config_init(&init);
  ck_assert(!health_config_enabled(&init));
  ck_assert_int_eq(init.interval_ns, S(30));
  ck_assert_int_eq(init.retries, 3);
}
END_TEST

START_TEST(annotation_errors) {
  static const struct {
    const char *json, *msg;
  } cases[] = {
      {"{", "annotations[\"io.husk.healthcheck\"]: invalid JSON at line"},
      {"[1]", "annotations[\"io.husk.healthcheck\"]: expected a Healthcheck object"},
      {"\"CMD\"", "annotations[\"io.husk.healthcheck\"]: expected a Healthcheck object"},
      {"{\"Test\":\"CMD true\"}",
       "annotations[\"io.husk.healthcheck\"].Test: expected an array of strings"},
      {"{\"Test\":[\"CMD\",1]}", "annotations[\"io.husk.healthcheck\"].Test[1]: expected a string"},
      {"{\"Test\":[\"SHELL\",\"x\"]}",
       "annotations[\"io.husk.healthcheck\"].Test[0]: unknown test type \"SHELL\" (expected NONE, "
       "CMD or CMD-SHELL)"},
      {"{\"Test\":[\"CMD\"]}",
       "annotations[\"io.husk.healthcheck\"].Test: CMD needs a command after it"},
      {"{\"Test\":[\"CMD-SHELL\"]}",
       "annotations[\"io.husk.healthcheck\"].Test: CMD-SHELL needs a command after it"},
      {"{\"Interval\":\"30s\"}",
       "annotations[\"io.husk.healthcheck\"].Interval: expected an integer (nanoseconds)"},
      {"{\"Interval\":-1}", "annotations[\"io.husk.healthcheck\"].Interval: must not be negative"},
      {"{\"Interval\":999999}",
       "annotations[\"io.husk.healthcheck\"].Interval: must be at least 1ms"},
      {"{\"Timeout\":1.5}",
       "annotations[\"io.husk.healthcheck\"].Timeout: expected an integer (nanoseconds)"},
      {"{\"Timeout\":1}", "annotations[\"io.husk.healthcheck\"].Timeout: must be at least 1ms"},
      {"{\"StartPeriod\":500}",
       "annotations[\"io.husk.healthcheck\"].StartPeriod: must be at least 1ms"},
      {"{\"StartInterval\":-5000000000}",
       "annotations[\"io.husk.healthcheck\"].StartInterval: must not be negative"},
      {"{\"Retries\":-1}", "annotations[\"io.husk.healthcheck\"].Retries: must not be negative"},
      {"{\"Retries\":\"3\"}", "annotations[\"io.husk.healthcheck\"].Retries: expected an integer"},
      {"{\"Retries\":4294967296}",
       "annotations[\"io.husk.healthcheck\"].Retries: expected an integer"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_free_ char *msg = annotation_fails(cases[i].json);
    ck_assert_msg(str_has_prefix(msg, cases[i].msg), "%s: \"%s\", want \"%s\"", cases[i].json, msg,
                  cases[i].msg);
  }
  /* Exactly 1ms is the smallest accepted. */
  struct health_config cfg = config_of("{\"Test\":[\"CMD\",\"x\"],\"Interval\":1000000}");
  ck_assert_int_eq(cfg.interval_ns, MS(1));
  health_config_free(&cfg);
}
END_TEST

START_TEST(flags_alone) {
  struct health_overrides o = {0};
  flag_ok(&o, "--health-cmd", "pgrep nginx");
  flag_ok(&o, "--health-interval", "10s");
  flag_ok(&o, "health-timeout", "1.5s");
  flag_ok(&o, "--health-start-period", "1m");
  flag_ok(&o, "health-start-interval", "500ms");
  flag_ok(&o, "--health-retries", "7");
  flag_ok(&o, "--health-on-failure", "restart");
  flag_ok(&o, "--health-cmd", "pgrep httpd"); /* the last one wins */
  _cleanup_error_ struct husk_error *err = NULL;
  struct health_config cfg;
  ck_assert_int_eq(health_config_resolve(NULL, &o, &cfg, &err), 0);
  ck_assert_int_eq(cfg.kind, HEALTH_TEST_CMD_SHELL);
  ck_assert_int_eq(strv_length(cfg.test), 1);
  ck_assert_str_eq(cfg.test[0], "pgrep httpd");
  ck_assert_int_eq(cfg.interval_ns, S(10));
  ck_assert_int_eq(cfg.timeout_ns, MS(1500));
  ck_assert_int_eq(cfg.start_period_ns, S(60));
  ck_assert_int_eq(cfg.start_interval_ns, MS(500));
  ck_assert_int_eq(cfg.retries, 7);
  ck_assert_int_eq(cfg.on_failure, HEALTH_ON_FAILURE_RESTART);
  health_config_free(&cfg);
  health_overrides_free(&o);

  /* Timing flags without a command: nothing to probe. */
  struct health_overrides timing = {0};
  flag_ok(&timing, "--health-interval", "10s");
  ck_assert_int_eq(health_config_resolve(NULL, &timing, &cfg, &err), 0);
  ck_assert(!health_config_enabled(&cfg));
  health_config_free(&cfg);

  static const char *const actions[] = {"none", "kill", "restart", "stop"};
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
    enum health_on_failure a;
    ck_assert_int_eq(health_on_failure_parse(actions[i], &a, &err), 0);
    ck_assert_int_eq(a, (int)i);
    ck_assert_str_eq(health_on_failure_name(a), actions[i]);
  }
}
END_TEST

START_TEST(flags_override_annotation) {
  const char *ann = "{\"Test\":[\"CMD\",\"/check\"],\"Interval\":20000000000,"
                    "\"Timeout\":3000000000,\"StartPeriod\":9000000000,\"Retries\":4}";
  _cleanup_error_ struct husk_error *err = NULL;
  struct health_config cfg;

  struct health_overrides o = {0};
  flag_ok(&o, "--health-interval", "5s");
  flag_ok(&o, "--health-timeout", "0s"); /* zero: keep the annotation's */
  flag_ok(&o, "--health-retries", "0");
  ck_assert_int_eq(health_config_resolve(ann, &o, &cfg, &err), 0);
  ck_assert_int_eq(cfg.kind, HEALTH_TEST_CMD);
  ck_assert_str_eq(cfg.test[0], "/check");
  ck_assert_int_eq(cfg.interval_ns, S(5));
  ck_assert_int_eq(cfg.timeout_ns, S(3));
  ck_assert_int_eq(cfg.start_period_ns, S(9));
  ck_assert_int_eq(cfg.start_interval_ns, S(5));
  ck_assert_int_eq(cfg.retries, 4);
  health_config_free(&cfg);

  struct health_overrides cmd = {0};
  flag_ok(&cmd, "--health-cmd", "exit 0");
  ck_assert_int_eq(health_config_resolve(ann, &cmd, &cfg, &err), 0);
  ck_assert_int_eq(cfg.kind, HEALTH_TEST_CMD_SHELL);
  ck_assert_str_eq(cfg.test[0], "exit 0");
  ck_assert_int_eq(cfg.interval_ns, S(20));
  health_config_free(&cfg);
  health_overrides_free(&cmd);

  struct health_overrides off = {0};
  flag_ok(&off, "--no-healthcheck", NULL);
  ck_assert_int_eq(health_config_resolve(ann, &off, &cfg, &err), 0);
  ck_assert(!health_config_enabled(&cfg));
  health_config_free(&cfg);

  /* A command from the flags enables a check the annotation turned off. */
  ck_assert_int_eq(health_overrides_set(&cmd, "health-cmd", "true", &err), 0);
  ck_assert_int_eq(health_config_resolve("{\"Test\":[\"NONE\"]}", &cmd, &cfg, &err), 0);
  ck_assert(health_config_enabled(&cfg));
  health_config_free(&cfg);
  health_overrides_free(&cmd);

  /* A broken annotation is an error even when flags would replace all of it. */
  struct husk_error *e = NULL;
  ck_assert_int_lt(health_config_resolve("{\"Test\":7}", &o, &cfg, &e), 0);
  ck_assert_contains(e->message, ".Test");
  husk_error_free(e);
}
END_TEST

START_TEST(flags_errors) {
  static const struct {
    const char *flag, *value, *msg;
  } cases[] = {
      {"--health-interval", "abc", "--health-interval: invalid duration \"abc\""},
      {"--health-interval", "30", "--health-interval: missing unit in duration \"30\""},
      {"--health-interval", "500us", "--health-interval: must be at least 1ms"},
      {"--health-timeout", "-1s", "--health-timeout: must not be negative"},
      {"--health-start-period", "1d", "--health-start-period: unknown unit \"d\""},
      {"--health-start-interval", "1ns", "--health-start-interval: must be at least 1ms"},
      {"--health-retries", "-1", "--health-retries: must not be negative"},
      {"--health-retries", "three", "--health-retries: expected a number, not \"three\""},
      {"--health-retries", "", "--health-retries: expected a number"},
      {"--health-retries", "99999999999", "--health-retries: expected a number"},
      {"--health-on-failure", "reboot",
       "--health-on-failure: expected none, kill, restart or stop, not \"reboot\""},
      {"--health-cmd", "", "--health-cmd: must not be empty"},
      {"--health-cmd", NULL, "--health-cmd: needs a value"},
      {"health-interval", NULL, "--health-interval: needs a value"},
      {"--health-whatever", "1", "--health-whatever: not a health check flag"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_free_ char *msg = flag_fails(cases[i].flag, cases[i].value);
    ck_assert_msg(str_has_prefix(msg, cases[i].msg), "%s %s: \"%s\", want \"%s\"", cases[i].flag,
                  cases[i].value ? cases[i].value : "(null)", msg, cases[i].msg);
  }

  static const char *const with[][2] = {{"--health-cmd", "true"},
                                        {"--health-interval", "1s"},
                                        {"--health-retries", "2"},
                                        {"--health-on-failure", "kill"}};
  for (size_t i = 0; i < ARRAY_SIZE(with); i++) {
    struct health_overrides o = {0};
    flag_ok(&o, "--no-healthcheck", NULL);
    flag_ok(&o, with[i][0], with[i][1]);
    struct husk_error *err = NULL;
    struct health_config cfg = {.retries = 77};
    ck_assert_int_lt(health_config_resolve(NULL, &o, &cfg, &err), 0);
    ck_assert_str_eq(err->message, "--no-healthcheck conflicts with --health-* options");
    ck_assert_int_eq(cfg.retries, 77);
    husk_error_free(err);
    health_overrides_free(&o);
  }
}
END_TEST

START_TEST(config_json_round_trip) {
  static const char *const anns[] = {
      ("{\"Test\":[\"CMD\",\"/check\",\"a b\"],\"Interval\":1500000000,\"Timeout\":2000000,"
       "\"StartPeriod\":60000000000,\"StartInterval\":1000000000,\"Retries\":9}"),
      "{\"Test\":[\"CMD-SHELL\",\"exit 1\"]}", "{\"Test\":[\"NONE\"],\"Retries\":2}"};
  for (size_t i = 0; i < ARRAY_SIZE(anns); i++) {
    struct health_config a = config_of(anns[i]);
    _cleanup_json_ json_t *j = health_config_to_json(&a);
    ck_assert_ptr_nonnull(j);
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    struct health_config b = config_of(text);
    ck_assert_int_eq(a.kind, b.kind);
    ck_assert_int_eq(strv_length(a.test), strv_length(b.test));
    for (size_t k = 0; a.test && a.test[k]; k++)
      ck_assert_str_eq(a.test[k], b.test[k]);
    ck_assert_int_eq(a.interval_ns, b.interval_ns);
    ck_assert_int_eq(a.timeout_ns, b.timeout_ns);
    ck_assert_int_eq(a.start_period_ns, b.start_period_ns);
    ck_assert_int_eq(a.start_interval_ns, b.start_interval_ns);
    ck_assert_int_eq(a.retries, b.retries);
    health_config_free(&a);
    health_config_free(&b);
  }
  struct health_config c = config_of("{\"Test\":[\"CMD\",\"x\"],\"Interval\":1500000000}");
  _cleanup_json_ json_t *j = health_config_to_json(&c);
  ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "Test"), 0)), "CMD");
  ck_assert_int_eq(json_integer_value(json_object_get(j, "Interval")), MS(1500));
  health_config_free(&c);
}
END_TEST

/* ---- the state machine ---- */

START_TEST(start_and_first_probe) {
  struct health_config cfg = shell_config(0, 0, 0, 0);
  struct health h;
  health_init(&h);
  ck_assert_int_eq(h.status, HEALTH_NONE);
  ck_assert_int_eq(health_next_probe_at(&h), HEALTH_NEVER);
  health_start(&h, &cfg, T0);
  ck_assert_int_eq(h.status, HEALTH_STARTING);
  ck_assert_int_eq(h.failing_streak, 0);
  ck_assert_int_eq(h.log_len, 0);
  ck_assert_int_eq(health_next_probe_at(&h), T0 + S(30));
  health_free(&h);
  health_config_free(&cfg);

  /* With a start period, the first probe comes one start interval after the start. */
  cfg = shell_config(S(10), S(60), S(2), 0);
  health_init(&h);
  health_start(&h, &cfg, T0);
  ck_assert_int_eq(health_next_probe_at(&h), T0 + S(2));
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

START_TEST(success_makes_healthy) {
  struct health_config cfg = shell_config(0, 0, 0, 0);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  ck_assert_int_eq(probe(&h, &cfg, T0 + S(30), T0 + S(31), 0), HEALTH_EVENT_HEALTHY);
  ck_assert_int_eq(h.status, HEALTH_HEALTHY);
  ck_assert_int_eq(h.failing_streak, 0);
  ck_assert_int_eq(probe(&h, &cfg, T0 + S(61), T0 + S(62), 0), HEALTH_EVENT_NONE);
  ck_assert_int_eq(h.status, HEALTH_HEALTHY);
  ck_assert_int_eq(h.log_len, 2);
  ck_assert_int_eq(h.log[0].start_ns, T0 + S(30));
  ck_assert_int_eq(h.log[0].end_ns, T0 + S(31));
  ck_assert_int_eq(h.log[0].exit_code, 0);
  ck_assert_str_eq(h.log[0].output, "ok\n");
  ck_assert_int_eq(h.log[0].output_len, 3);
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

/* A step of a scenario: a probe from start to end (seconds after T0) with an exit code, or
 * TIMED_OUT; then the event, status and streak it must give and when the next probe is due. */
#define TIMED_OUT 1000
struct step {
  double start, end;
  int code;
  enum health_event event;
  enum health_status status;
  int streak;
  double next;
};

#define NO HEALTH_EVENT_NONE
#define UP HEALTH_EVENT_HEALTHY
#define DOWN HEALTH_EVENT_UNHEALTHY
#define STARTING HEALTH_STARTING
#define HEALTHY HEALTH_HEALTHY
#define UNHEALTHY HEALTH_UNHEALTHY

static void scenario(struct health_config cfg, const struct step *steps, size_t n) {
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  for (size_t i = 0; i < n; i++) {
    const struct step *s = &steps[i];
    int64_t start = T0 + S(s->start), end = T0 + S(s->end);
    enum health_event ev = s->code == TIMED_OUT
                               ? health_record_timeout(&h, &cfg, start, end, NULL, 0)
                               : probe(&h, &cfg, start, end, s->code);
    int64_t next = health_next_probe_at(&h);
    ck_assert_msg(ev == s->event && h.status == s->status && h.failing_streak == s->streak &&
                      next == T0 + S(s->next),
                  "step %zu: event %d, %s, streak %d, next at %+.3fs; want %d, %s, %d, %+.3fs", i,
                  ev, health_status_name(h.status), h.failing_streak, (double)(next - T0) / 1e9,
                  s->event, health_status_name(s->status), s->streak, s->next);
  }
  health_free(&h);
  health_config_free(&cfg);
}
#define SCENARIO(cfg, ...)                                                                         \
  do {                                                                                             \
    static const struct step steps_[] = {__VA_ARGS__};                                             \
    scenario((cfg), steps_, ARRAY_SIZE(steps_));                                                   \
  } while (0)

START_TEST(retries_make_unhealthy) {
  SCENARIO(shell_config(S(10), 0, 0, 3), {10, 11, 1, NO, STARTING, 1, 21},
           {21, 22, 2, NO, STARTING, 2, 32}, {32, 33, 255, DOWN, UNHEALTHY, 3, 43},
           {43, 44, 1, NO, UNHEALTHY, 4, 54},
           /* one success is enough to be healthy again */
           {54, 55, 0, UP, HEALTHY, 0, 65}, {65, 66, -1, NO, HEALTHY, 1, 76});
  /* retries 1: the first counted failure is enough, from healthy too */
  SCENARIO(shell_config(S(10), 0, 0, 1), {10, 11, 0, UP, HEALTHY, 0, 21},
           {21, 22, 1, DOWN, UNHEALTHY, 1, 32});
}
END_TEST

START_TEST(success_resets_streak) {
  SCENARIO(shell_config(S(10), 0, 0, 3), {10, 11, 1, NO, STARTING, 1, 21},
           {21, 22, 1, NO, STARTING, 2, 32}, {32, 33, 0, UP, HEALTHY, 0, 43},
           {43, 44, 1, NO, HEALTHY, 1, 54}, {54, 55, 1, NO, HEALTHY, 2, 65},
           {65, 66, 0, NO, HEALTHY, 0, 76}, {76, 77, 1, NO, HEALTHY, 1, 87},
           {87, 88, 1, NO, HEALTHY, 2, 98}, {98, 99, 3, DOWN, UNHEALTHY, 3, 109});
}
END_TEST

START_TEST(start_period_grace) {
  /* Failures (timeouts too) inside the 60s start period do not count while starting; the
   * probe's start decides, so one begun at 59.9s and ended at 65s is forgiven. */
  SCENARIO(shell_config(S(10), S(60), S(5), 2), {5, 6, 1, NO, STARTING, 0, 11},
           {11, 12, 1, NO, STARTING, 0, 17}, {17, 47, TIMED_OUT, NO, STARTING, 0, 52},
           {59.5, 59.75, 1, NO, STARTING, 0, 64.75}, {59.9, 65, 1, NO, STARTING, 0, 75},
           {75, 76, 1, NO, STARTING, 1, 86}, {86, 87, 1, DOWN, UNHEALTHY, 2, 97});
  /* A success inside it makes it healthy, and from then on failures count. */
  SCENARIO(shell_config(S(10), S(60), S(5), 2), {5, 6, 1, NO, STARTING, 0, 11},
           {11, 12, 0, UP, HEALTHY, 0, 22}, {22, 23, 1, NO, HEALTHY, 1, 33},
           {33, 34, 1, DOWN, UNHEALTHY, 2, 44});
}
END_TEST

START_TEST(scheduling) {
  /* Next = the result's end + the start interval while starting inside the start period,
   * else + the interval (a slow probe pushes the next one back). */
  SCENARIO(shell_config(S(30), S(20), S(2), 3), {2, 2.5, 1, NO, STARTING, 0, 4.5},
           {4.5, 4.75, 1, NO, STARTING, 0, 6.75}, {19, 21, 1, NO, STARTING, 0, 51},
           {51, 52, 0, UP, HEALTHY, 0, 82}, {82, 89, 0, NO, HEALTHY, 0, 119},
           {119, 149, TIMED_OUT, NO, HEALTHY, 1, 179});
  /* Healthy inside the start period: the interval at once. */
  SCENARIO(shell_config(S(30), S(20), S(2), 3), {2, 3, 0, UP, HEALTHY, 0, 33});
  /* Without a start period the start interval is never used. */
  SCENARIO(shell_config(S(7), 0, S(1), 3), {7, 8, 1, NO, STARTING, 1, 15});
}
END_TEST

START_TEST(timeout_recorded) {
  struct health_config cfg = shell_config(S(10), 0, 0, 2);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  ck_assert_int_eq(health_record_timeout(&h, &cfg, T0 + S(10), T0 + S(40), NULL, 0),
                   HEALTH_EVENT_NONE);
  ck_assert_int_eq(h.failing_streak, 1);
  ck_assert_int_eq(h.log[0].exit_code, -1);
  ck_assert_str_eq(h.log[0].output, "Health check exceeded timeout (30s)");
  ck_assert_int_eq(h.log[0].output_len, strlen("Health check exceeded timeout (30s)"));
  ck_assert_int_eq(h.log[0].end_ns, T0 + S(40));
  ck_assert_int_eq(health_record_timeout(&h, &cfg, T0 + S(50), T0 + S(80), "partial", 7),
                   HEALTH_EVENT_UNHEALTHY);
  ck_assert_str_eq(h.log[1].output, "Health check exceeded timeout (30s): partial");
  health_free(&h);
  health_config_free(&cfg);

  cfg = config_of("{\"Test\":[\"CMD\",\"x\"],\"Timeout\":1500000000}");
  health_init(&h);
  health_start(&h, &cfg, T0);
  health_record_timeout(&h, &cfg, T0 + S(30), T0 + MS(31500), "", 0);
  ck_assert_str_eq(h.log[0].output, "Health check exceeded timeout (1.5s)");
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

START_TEST(log_keeps_last_five) {
  struct health_config cfg = shell_config(S(1), 0, 0, 100);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  for (int i = 0; i < 7; i++) {
    char out[16];
    int n = snprintf(out, sizeof(out), "run %d", i);
    health_record(&h, &cfg, T0 + S(i + 1), T0 + S(i + 1) + MS(5), 10 + i, out, (size_t)n);
  }
  ck_assert_int_eq(h.log_len, HEALTH_LOG_MAX);
  for (int i = 0; i < HEALTH_LOG_MAX; i++) {
    char want[16];
    snprintf(want, sizeof(want), "run %d", i + 2);
    ck_assert_str_eq(h.log[i].output, want);
    ck_assert_int_eq(h.log[i].exit_code, 12 + i);
    ck_assert_int_eq(h.log[i].start_ns, T0 + S(i + 3));
  }
  ck_assert_int_eq(h.failing_streak, 7);
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

START_TEST(output_capped) {
  struct health_config cfg = shell_config(0, 0, 0, 0);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  _cleanup_free_ char *big = xmalloc(5000);
  memset(big, 'a', 5000);
  health_record(&h, &cfg, T0, T0 + 1, 1, big, 5000);
  ck_assert_int_eq(h.log[0].output_len, HEALTH_OUTPUT_MAX + 3);
  ck_assert_int_eq(strlen(h.log[0].output), HEALTH_OUTPUT_MAX + 3);
  ck_assert_str_eq(h.log[0].output + HEALTH_OUTPUT_MAX - 1, "a...");
  health_record(&h, &cfg, T0, T0 + 1, 1, big, HEALTH_OUTPUT_MAX);
  ck_assert_int_eq(h.log[1].output_len, HEALTH_OUTPUT_MAX);
  health_record(&h, &cfg, T0, T0 + 1, 1, big, HEALTH_OUTPUT_MAX + 1);
  ck_assert_int_eq(h.log[2].output_len, HEALTH_OUTPUT_MAX + 3);
  health_record(&h, &cfg, T0, T0 + 1, 1, NULL, 0);
  ck_assert_str_eq(h.log[3].output, "");
  /* A timeout's message comes before the capped output. */
  health_record_timeout(&h, &cfg, T0, T0 + 1, big, 5000);
  const char *prefix = "Health check exceeded timeout (30s): ";
  ck_assert(str_has_prefix(h.log[4].output, prefix));
  ck_assert_int_eq(h.log[4].output_len, strlen(prefix) + HEALTH_OUTPUT_MAX + 3);
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

START_TEST(output_made_valid_utf8) {
  struct health_config cfg = shell_config(0, 0, 0, 0);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  const char in[] = "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 bad \xff\xc3 nul \0 end";
  health_record(&h, &cfg, T0, T0 + 1, 0, in, sizeof(in) - 1);
  ck_assert_str_eq(h.log[0].output, "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 bad "
                                    "\xef\xbf\xbd\xef\xbf\xbd nul \xef\xbf\xbd end");
  ck_assert_int_eq(h.log[0].output_len, strlen(h.log[0].output));
  /* Overlong forms and surrogates are invalid too, a byte at a time. */
  const char in2[] = "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80";
  health_record(&h, &cfg, T0, T0 + 1, 0, in2, sizeof(in2) - 1);
  ck_assert_str_eq(h.log[1].output, "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
                                    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  /* The cut at 4096 bytes may split a character: its first bytes become U+FFFD. */
  _cleanup_free_ char *big = xmalloc(HEALTH_OUTPUT_MAX + 10);
  memset(big, 'x', HEALTH_OUTPUT_MAX + 10);
  memcpy(big + HEALTH_OUTPUT_MAX - 1, "\xe2\x82\xac", 3);
  health_record(&h, &cfg, T0, T0 + 1, 0, big, HEALTH_OUTPUT_MAX + 10);
  ck_assert_str_eq(h.log[2].output + HEALTH_OUTPUT_MAX - 2, "x\xef\xbf\xbd...");
  _cleanup_json_ json_t *j = health_to_json(&h);
  ck_assert_ptr_nonnull(j);
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

START_TEST(none_disables) {
  struct health_config cfg = config_of("{\"Test\":[\"NONE\"]}");
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  ck_assert_int_eq(h.status, HEALTH_NONE);
  ck_assert_int_eq(health_next_probe_at(&h), HEALTH_NEVER);
  ck_assert_int_eq(probe(&h, &cfg, T0 + S(30), T0 + S(31), 1), HEALTH_EVENT_NONE);
  ck_assert_int_eq(h.log_len, 0);
  health_resume(&h, &cfg, T0 + S(40));
  ck_assert_int_eq(health_next_probe_at(&h), HEALTH_NEVER);
  _cleanup_json_ json_t *j = health_to_json(&h);
  ck_assert_str_eq(json_string_value(json_object_get(j, "Status")), "none");
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

START_TEST(pause_and_resume) {
  struct health_config cfg = shell_config(S(10), S(60), S(3), 2);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  ck_assert_int_eq(probe(&h, &cfg, T0 + S(3), T0 + S(4), 1), HEALTH_EVENT_NONE);
  health_pause(&h);
  ck_assert_int_eq(health_next_probe_at(&h), HEALTH_NEVER);
  /* A probe that finishes while paused is dropped. */
  ck_assert_int_eq(probe(&h, &cfg, T0 + S(7), T0 + S(8), 0), HEALTH_EVENT_NONE);
  ck_assert_int_eq(h.log_len, 1);
  ck_assert_int_eq(h.status, HEALTH_STARTING);
  ck_assert_int_eq(health_next_probe_at(&h), HEALTH_NEVER);
  /* Resumed inside the start period while starting: one start interval from now. */
  health_resume(&h, &cfg, T0 + S(20));
  ck_assert_int_eq(health_next_probe_at(&h), T0 + S(23));
  ck_assert_int_eq(probe(&h, &cfg, T0 + S(23), T0 + S(24), 0), HEALTH_EVENT_HEALTHY);
  health_pause(&h);
  health_resume(&h, &cfg, T0 + S(100));
  ck_assert_int_eq(health_next_probe_at(&h), T0 + S(110));
  ck_assert_int_eq(h.status, HEALTH_HEALTHY);
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

START_TEST(restart_keeps_log) {
  struct health_config cfg = shell_config(S(10), 0, 0, 1);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  ck_assert_int_eq(probe(&h, &cfg, T0 + S(10), T0 + S(11), 1), HEALTH_EVENT_UNHEALTHY);
  /* on-failure restart: the monitor starts it again. */
  health_start(&h, &cfg, T0 + S(20));
  ck_assert_int_eq(h.status, HEALTH_STARTING);
  ck_assert_int_eq(h.failing_streak, 0);
  ck_assert_int_eq(h.log_len, 1);
  ck_assert_int_eq(h.started_at_ns, T0 + S(20));
  ck_assert_int_eq(health_next_probe_at(&h), T0 + S(30));
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

/* ---- JSON ---- */

START_TEST(json_shape) {
  struct health_config cfg = shell_config(S(10), 0, 0, 3);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  health_record(&h, &cfg, T0 + S(10) + 5, T0 + S(11) + 123456789, 1, "boom\n", 5);
  _cleanup_json_ json_t *j = health_to_json(&h);
  _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
  ck_assert_str_eq(text, "{\"Status\":\"starting\",\"FailingStreak\":1,\"Log\":[{"
                         "\"Start\":\"2023-11-14T22:13:30.000000005Z\","
                         "\"End\":\"2023-11-14T22:13:31.123456789Z\","
                         "\"ExitCode\":1,\"Output\":\"boom\\n\"}]}");
  health_free(&h);
  health_config_free(&cfg);

  struct health empty;
  health_init(&empty);
  _cleanup_json_ json_t *e = health_to_json(&empty);
  _cleanup_free_ char *etext = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
  ck_assert_str_eq(etext, "{\"Status\":\"none\",\"FailingStreak\":0,\"Log\":[]}");
}
END_TEST

START_TEST(json_round_trip) {
  struct health_config cfg = shell_config(S(1), 0, 0, 2);
  struct health h;
  health_init(&h);
  health_start(&h, &cfg, T0);
  for (int i = 0; i < 4; i++)
    health_record(&h, &cfg, T0 + S(i) + i, T0 + S(i) + 777, i == 0 ? 0 : -1, "x\ty\"\xc3\xa9", 6);
  health_record_timeout(&h, &cfg, T0 + S(9), T0 + S(39), "late", 4);
  ck_assert_int_eq(h.status, HEALTH_UNHEALTHY);
  _cleanup_json_ json_t *j = health_to_json(&h);
  _cleanup_free_ char *text = json_dumps(j, 0);
  _cleanup_json_ json_t *back = json_loads(text, 0, NULL);
  ck_assert_ptr_nonnull(back);

  struct health r;
  health_init(&r);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(health_from_json(back, "health", &r, &err), 0);
  ck_assert_int_eq(r.status, h.status);
  ck_assert_int_eq(r.failing_streak, h.failing_streak);
  ck_assert_int_eq(r.log_len, h.log_len);
  for (size_t i = 0; i < h.log_len; i++) {
    ck_assert_int_eq(r.log[i].start_ns, h.log[i].start_ns);
    ck_assert_int_eq(r.log[i].end_ns, h.log[i].end_ns);
    ck_assert_int_eq(r.log[i].exit_code, h.log[i].exit_code);
    ck_assert_int_eq(r.log[i].output_len, h.log[i].output_len);
    ck_assert_mem_eq(r.log[i].output, h.log[i].output, h.log[i].output_len);
  }
  /* Restoring again replaces the log (no leak, no duplicates: ASan watches). */
  ck_assert_int_eq(health_from_json(back, "health", &r, &err), 0);
  ck_assert_int_eq(r.log_len, h.log_len);
  health_free(&r);
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

START_TEST(json_restore_keeps_last_five) {
  json_t *log = json_array();
  for (int i = 0; i < 7; i++)
    json_array_append_new(log,
                          json_pack("{s:s, s:s, s:i, s:s}", "Start", "2024-01-01T00:00:00Z", "End",
                                    "2024-01-01T00:00:01.5+00:00", "ExitCode", i, "Output", "o"));
  _cleanup_json_ json_t *j =
      json_pack("{s:s, s:i, s:o}", "Status", "healthy", "FailingStreak", 0, "Log", log);
  struct health h;
  health_init(&h);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(health_from_json(j, "health", &h, &err), 0);
  ck_assert_int_eq(h.status, HEALTH_HEALTHY);
  ck_assert_int_eq(h.log_len, 5);
  ck_assert_int_eq(h.log[0].exit_code, 2);
  ck_assert_int_eq(h.log[4].exit_code, 6);
  ck_assert_int_eq(h.log[0].end_ns - h.log[0].start_ns, MS(1500));
  health_free(&h);

  _cleanup_json_ json_t *minimal =
      json_pack("{s:s, s:i}", "Status", "starting", "FailingStreak", 2);
  health_init(&h);
  ck_assert_int_eq(health_from_json(minimal, "health", &h, &err), 0);
  ck_assert_int_eq(h.status, HEALTH_STARTING);
  ck_assert_int_eq(h.failing_streak, 2);
  ck_assert_int_eq(h.log_len, 0);
}
END_TEST

START_TEST(json_restore_errors) {
  static const struct {
    const char *json, *msg;
  } cases[] = {
      {"[]", "health: expected an object"},
      {"{\"Status\":\"fine\",\"FailingStreak\":0}",
       "health.Status: expected \"none\", \"starting\", \"healthy\" or \"unhealthy\""},
      {"{\"FailingStreak\":0}", "health.Status: expected"},
      {"{\"Status\":\"healthy\",\"FailingStreak\":-1}",
       "health.FailingStreak: expected a non-negative integer"},
      {"{\"Status\":\"healthy\"}", "health.FailingStreak: expected a non-negative integer"},
      {"{\"Status\":\"healthy\",\"FailingStreak\":0,\"Log\":{}}", "health.Log: expected an array"},
      {"{\"Status\":\"healthy\",\"FailingStreak\":0,\"Log\":[1]}",
       "health.Log[0]: expected an object"},
      {"{\"Status\":\"healthy\",\"FailingStreak\":0,\"Log\":[{\"Start\":\"2024-01-01T00:00:00Z\","
       "\"End\":\"2024-01-01T00:00:00Z\",\"ExitCode\":0},{\"Start\":\"yesterday\"}]}",
       "health.Log[1].Start: invalid RFC 3339 time \"yesterday\""},
      {"{\"Status\":\"healthy\",\"FailingStreak\":0,\"Log\":[{\"Start\":\"2024-01-01T00:00:00Z\","
       "\"End\":5}]}",
       "health.Log[0].End: expected an RFC 3339 time string"},
      {"{\"Status\":\"healthy\",\"FailingStreak\":0,\"Log\":[{\"Start\":\"2024-01-01T00:00:00Z\","
       "\"End\":\"2024-01-01T00:00:00Z\",\"ExitCode\":\"0\"}]}",
       "health.Log[0].ExitCode: expected an integer"},
      {"{\"Status\":\"healthy\",\"FailingStreak\":0,\"Log\":[{\"Start\":\"2024-01-01T00:00:00Z\","
       "\"End\":\"2024-01-01T00:00:00Z\",\"ExitCode\":0,\"Output\":3}]}",
       "health.Log[0].Output: expected a string"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_json_ json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(j);
    /* h keeps what it had when the JSON is refused. */
    struct health_config cfg = shell_config(0, 0, 0, 0);
    struct health h;
    health_init(&h);
    health_start(&h, &cfg, T0);
    probe(&h, &cfg, T0 + S(30), T0 + S(31), 0);
    struct husk_error *err = NULL;
    ck_assert_int_lt(health_from_json(j, "health", &h, &err), 0);
    ck_assert_msg(str_has_prefix(err->message, cases[i].msg), "%s: \"%s\", want \"%s\"",
                  cases[i].json, err->message, cases[i].msg);
    ck_assert_int_eq(h.status, HEALTH_HEALTHY);
    ck_assert_int_eq(h.log_len, 1);
    husk_error_free(err);
    health_free(&h);
    health_config_free(&cfg);
  }
}
END_TEST

static Suite *health_suite(void) {
  Suite *s = suite_create("health");
  TCase *d = tcase_create("duration");
  tcase_add_test(d, duration_parse_go_forms);
  tcase_add_test(d, duration_parse_errors);
  tcase_add_test(d, duration_format_like_go);
  tcase_add_test(d, duration_round_trip);
  tcase_add_test(d, rfc3339_parse_forms);
  tcase_add_test(d, rfc3339_parse_errors);
  suite_add_tcase(s, d);

  TCase *c = tcase_create("config");
  tcase_add_test(c, annotation_all_fields);
  tcase_add_test(c, annotation_defaults_and_kinds);
  tcase_add_test(c, annotation_errors);
  tcase_add_test(c, flags_alone);
  tcase_add_test(c, flags_override_annotation);
  tcase_add_test(c, flags_errors);
  tcase_add_test(c, config_json_round_trip);
  suite_add_tcase(s, c);

  TCase *m = tcase_create("state machine");
  tcase_add_test(m, start_and_first_probe);
  tcase_add_test(m, success_makes_healthy);
  tcase_add_test(m, retries_make_unhealthy);
  tcase_add_test(m, success_resets_streak);
  tcase_add_test(m, start_period_grace);
  tcase_add_test(m, scheduling);
  tcase_add_test(m, timeout_recorded);
  tcase_add_test(m, log_keeps_last_five);
  tcase_add_test(m, output_capped);
  tcase_add_test(m, output_made_valid_utf8);
  tcase_add_test(m, none_disables);
  tcase_add_test(m, pause_and_resume);
  tcase_add_test(m, restart_keeps_log);
  suite_add_tcase(s, m);

  TCase *j = tcase_create("json");
  tcase_add_test(j, json_shape);
  tcase_add_test(j, json_round_trip);
  tcase_add_test(j, json_restore_keeps_last_five);
  tcase_add_test(j, json_restore_errors);
  suite_add_tcase(s, j);
  return s;
}

int main(void) { return unit_run(health_suite()); }
