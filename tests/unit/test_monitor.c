/* test_monitor.c: unit tests for what the monitor and `run` do without processes: run's
 * flags (memory sizes, users, stop signals, the two operand forms, the config patch), the
 * container log's lines (encoding, decoding, splitting), event lines, and the health object
 * `husk state` shows; --restart policies, Docker's back-off, run.json's options, and the
 * times `logs --since/--until` take. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "cli/commands/commands.h"
#include "container/container.h"
#include "container/state.h"
#include "monitor/duration.h"
#include "monitor/monitor.h"
#include "monitor/ports.h"
#include "monitor/restart.h"
#include "monitor/run_options.h"
#include "unit.h"

/* ---- run's flags ---- */

static int64_t size_ok(const char *text) {
  _cleanup_error_ struct husk_error *err = NULL;
  int64_t n = -7;
  ck_assert_msg(parse_memory_size(text, &n, &err) == 0, "\"%s\": %s", text,
                err ? err->message : "?");
  return n;
}

static void size_fails(const char *text) {
  _cleanup_error_ struct husk_error *err = NULL;
  int64_t n = -7;
  ck_assert_msg(parse_memory_size(text, &n, &err) < 0, "\"%s\" should fail", text);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(n, -7);
}

START_TEST(memory_sizes) {
  ck_assert_int_eq(size_ok("1073741824"), 1073741824);
  ck_assert_int_eq(size_ok("512b"), 512);
  ck_assert_int_eq(size_ok("512k"), 512 << 10);
  ck_assert_int_eq(size_ok("64m"), 64 << 20);
  ck_assert_int_eq(size_ok("64M"), 64 << 20);
  ck_assert_int_eq(size_ok("256MiB"), 256 << 20);
  ck_assert_int_eq(size_ok("1gb"), 1 << 30);
  ck_assert_int_eq(size_ok("1.5g"), 3 << 29);
  ck_assert_int_eq(size_ok("2t"), INT64_C(2) << 40);
  size_fails("");
  size_fails("m");
  size_fails("-1m");
  size_fails("0");
  size_fails("1x");
  size_fails("1.m");
  size_fails("1e3");
  size_fails("0x10");
  size_fails("64mm");
  size_fails("9999999p");
}
END_TEST

START_TEST(users) {
  struct run_options o;
  run_options_init(&o);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(parse_user("1000", &o, &err), 0);
  ck_assert(o.user_set && !o.group_set);
  ck_assert_int_eq(o.uid, 1000);
  ck_assert_int_eq(parse_user("1000:50", &o, &err), 0);
  ck_assert(o.user_set && o.group_set);
  ck_assert_int_eq(o.gid, 50);
  /* names are kept for create to resolve in the rootfs */
  ck_assert_int_eq(parse_user("app", &o, &err), 0);
  ck_assert(!o.user_set && o.user_name && strcmp(o.user_name, "app") == 0);
  ck_assert_int_eq(parse_user("1000:staff", &o, &err), 0);
  ck_assert(o.user_name && strcmp(o.user_name, "1000:staff") == 0);
  static const char *const bad[] = {"",   "app:",       "1000:", ":5", "1:2:3",
                                    "-1", "4294967295", "1 ",    "a/b"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    ck_assert_msg(parse_user(bad[i], &o, &err) < 0, "\"%s\" should fail", bad[i]);
    ck_assert_ptr_nonnull(strstr(err->message, "--user"));
    husk_error_freep(&err);
  }
}
END_TEST

static json_t *annotations(const char *key, const char *value) {
  return json_pack("{s:s}", key, value);
}

START_TEST(stop_signals) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_json_ json_t *none = json_object();
  ck_assert_int_eq(stop_signal_of(none, &err), SIGTERM);
  ck_assert_int_eq(stop_signal_of(NULL, &err), SIGTERM);
  _cleanup_json_ json_t *quit = annotations(STOP_SIGNAL_ANNOTATION, "SIGQUIT");
  ck_assert_int_eq(stop_signal_of(quit, &err), SIGQUIT);
  _cleanup_json_ json_t *num = annotations(STOP_SIGNAL_ANNOTATION, "2");
  ck_assert_int_eq(stop_signal_of(num, &err), SIGINT);
  _cleanup_json_ json_t *ctrd = annotations(STOP_SIGNAL_ANNOTATION_CONTAINERD, "USR1");
  ck_assert_int_eq(stop_signal_of(ctrd, &err), SIGUSR1);
  /* umoci unpack writes an image's unset StopSignal as "": not set */
  _cleanup_json_ json_t *empty = annotations(STOP_SIGNAL_ANNOTATION, "");
  ck_assert_int_eq(stop_signal_of(empty, &err), SIGTERM);
  json_object_set_new(empty, STOP_SIGNAL_ANNOTATION_CONTAINERD, json_string("SIGINT"));
  ck_assert_int_eq(stop_signal_of(empty, &err), SIGINT);
  _cleanup_json_ json_t *bad = annotations(STOP_SIGNAL_ANNOTATION, "SIGNOPE");
  ck_assert_int_lt(stop_signal_of(bad, &err), 0);
  ck_assert_ptr_nonnull(strstr(err->message, STOP_SIGNAL_ANNOTATION));

  ck_assert_int_eq(stop_timeout_of(none), STOP_DEFAULT_TIMEOUT_S);
  _cleanup_json_ json_t *t = annotations(STOP_TIMEOUT_ANNOTATION, "3");
  ck_assert_int_eq(stop_timeout_of(t), 3);
  _cleanup_json_ json_t *tbad = annotations(STOP_TIMEOUT_ANNOTATION, "3s");
  ck_assert_int_eq(stop_timeout_of(tbad), STOP_DEFAULT_TIMEOUT_S);
}
END_TEST

/* Run getopt over argv as cmd_run does, with run's and create's options. */
static int parse_run(int argc, char **argv, struct run_options *ro, struct create_options *co,
                     struct command_target *t, char **made_id, struct husk_error **err) {
  static const struct option opts[] = {
      CREATE_LONG_OPTIONS, RUN_LONG_OPTIONS, {"detach", no_argument, NULL, 'd'}, {0}};
  /* A store that does not exist: no operand names a stored image. */
  static const struct global_options g = {.storage = "/nonexistent/husk-store"};
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "+b:d" RUN_SHORT_OPTIONS, opts, NULL)) != -1) {
    if (c == 'd')
      continue;
    int r = c == '?' ? husk_error_set(err, EINVAL, "bad option") : create_parse_option(c, co, err);
    if (r == 1)
      r = run_parse_option(c, optarg, ro, err);
    if (r != 0)
      return r < 0 ? r : -EINVAL;
  }
  return run_take_operands(argc, argv, optind, "usage", ro->name, &g, co, t, made_id, err);
}

START_TEST(operand_forms) {
  _cleanup_error_ struct husk_error *err = NULL;
  struct {
    const char *argv[8];
    const char *id, *bundle; /* NULL id: an error; "*": made up */
    const char *source;      /* docker's form: the operand after the options */
    size_t n_args;
  } cases[] = {
      {{"run", "web"}, "web", ".", NULL, 0},
      {{"run", "-b", "/b", "web"}, "web", "/b", NULL, 0},
      {{"run", "-d", "--name", "web", "./bundle"}, "web", ".", "./bundle", 0},
      {{"run", "--name", "web"}, "web", ".", NULL, 0},
      {{"run", "--name", "web", "-b", "/b"}, "web", "/b", NULL, 0},
      {{"run", "--name", "web", "-b", "/b", "./other"}, NULL, NULL, NULL, 0},
      {{"run", "--name", "web", "img", "echo", "hi"}, "web", ".", "img", 2},
      {{"run"}, NULL, NULL, NULL, 0},
      {{"run", "img", "sh"}, "*", ".", "img", 1},
      {{"run", "oci:/some/layout:1.0"}, "*", ".", "oci:/some/layout:1.0", 0},
      {{"run", "--name", "no/slash", "b"}, NULL, NULL, NULL, 0},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    int argc = 0;
    while (cases[i].argv[argc])
      argc++;
    struct run_options ro;
    run_options_init(&ro);
    struct create_options co = {.bundle = "."};
    struct command_target t = {0};
    char *made_id = NULL;
    int r = parse_run(argc, (char **)cases[i].argv, &ro, &co, &t, &made_id, &err);
    if (!cases[i].id) {
      ck_assert_msg(r < 0, "case %zu should fail", i);
      husk_error_freep(&err);
    } else {
      ck_assert_msg(r == 0, "case %zu: %s", i, err ? err->message : "?");
      if (strcmp(cases[i].id, "*") == 0)
        ck_assert_msg(made_id && strlen(made_id) == 12 && strcmp(co.id, made_id) == 0,
                      "case %zu: expected a made-up id", i);
      else
        ck_assert_str_eq(co.id, cases[i].id);
      ck_assert_str_eq(co.bundle, cases[i].bundle);
      ck_assert_pstr_eq(t.source, cases[i].source);
      ck_assert_uint_eq(t.n_args, cases[i].n_args);
    }
    free(made_id);
    run_options_free(&ro);
  }
}
END_TEST

START_TEST(flags_and_patch) {
  _cleanup_error_ struct husk_error *err = NULL;
  const char *argv[] = {"run",
                        "-m",
                        "64m",
                        "-u",
                        "1000:1000",
                        "--stop-signal",
                        "QUIT",
                        "--stop-timeout",
                        "3",
                        "--health-cmd",
                        "true",
                        "--health-interval",
                        "200ms",
                        "--health-on-failure",
                        "restart",
                        "--rm",
                        "--wait-healthy=5s",
                        "--name",
                        "web",
                        NULL};
  struct run_options ro;
  run_options_init(&ro);
  struct create_options co = {.bundle = "."};
  struct command_target t = {0};
  char *made_id = NULL;
  ck_assert_msg(parse_run(ARRAY_SIZE(argv) - 1, (char **)argv, &ro, &co, &t, &made_id, &err) == 0,
                "%s", err ? err->message : "?");
  ck_assert(ro.rm && ro.wait_healthy);
  ck_assert_int_eq(ro.wait_healthy_timeout_ns, INT64_C(5000000000));
  ck_assert_str_eq(ro.health.cmd, "true");
  ck_assert_int_eq(ro.health.interval_ns, 200000000);
  ck_assert(ro.health.on_failure_set && ro.health.on_failure == HEALTH_ON_FAILURE_RESTART);
  _cleanup_json_ json_t *patch = run_config_patch(&ro);
  _cleanup_json_ json_t *want =
      json_loads("{\"process\": {\"user\": {\"uid\": 1000, \"gid\": 1000}},"
                 " \"linux\": {\"resources\": {\"memory\": {\"limit\": 67108864}}},"
                 " \"annotations\": {\"org.opencontainers.image.stopSignal\": \"SIGQUIT\","
                 " \"io.husk.stopTimeout\": \"3\"}}",
                 0, NULL);
  ck_assert_msg(json_equal(patch, want), "patch: %s", json_dumps(patch, JSON_COMPACT));
  run_options_free(&ro);

  /* Nothing to patch, and the errors name their flag. */
  run_options_init(&ro);
  ck_assert_ptr_null(run_config_patch(&ro));
  static const struct {
    int code;
    const char *arg, *flag;
  } bad[] = {{'m', "lots", "--memory"},
             {RUN_OPT_STOP_SIGNAL, "SIGNOPE", "--stop-signal"},
             {RUN_OPT_STOP_TIMEOUT, "-1", "--stop-timeout"},
             {RUN_OPT_WAIT_HEALTHY, "soon", "--wait-healthy"},
             {RUN_OPT_HEALTH_RETRIES, "x", "--health-retries"},
             {RUN_OPT_HEALTH_ON_FAILURE, "explode", "--health-on-failure"}};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    ck_assert_int_lt(run_parse_option(bad[i].code, bad[i].arg, &ro, &err), 0);
    ck_assert_msg(strstr(err->message, bad[i].flag), "%s: %s", bad[i].flag, err->message);
    husk_error_freep(&err);
  }
  ck_assert_int_eq(run_parse_option('Z', NULL, &ro, &err), 1);
  ck_assert_int_eq(run_parse_option(RUN_OPT_WAIT_HEALTHY, NULL, &ro, &err), 0);
  ck_assert(ro.wait_healthy && ro.wait_healthy_timeout_ns == 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_WAIT_HEALTHY, "30", &ro, &err), 0);
  ck_assert_int_eq(ro.wait_healthy_timeout_ns, INT64_C(30000000000));
  run_options_free(&ro);
}
END_TEST

/* ---- the container log ---- */

static const struct timespec T = {.tv_sec = 1700000000, .tv_nsec = 5};

START_TEST(log_line_round_trip) {
  _cleanup_free_ char *line = ctrlog_encode(LOG_STDOUT, "hello \"world\"\n", 14, &T);
  ck_assert_str_eq(line, "{\"log\":\"hello \\\"world\\\"\\n\",\"stream\":\"stdout\","
                         "\"time\":\"2023-11-14T22:13:20.000000005Z\"}\n");
  struct ctrlog_entry e;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(ctrlog_decode(line, &e, &err), 0);
  ck_assert_int_eq(e.stream, LOG_STDOUT);
  ck_assert_int_eq(e.len, 14);
  ck_assert_str_eq(e.text, "hello \"world\"\n");
  ck_assert_str_eq(e.time, "2023-11-14T22:13:20.000000005Z");
  ctrlog_entry_free(&e);

  /* Any bytes: NUL and invalid UTF-8 become U+FFFD, valid UTF-8 stays. */
  _cleanup_free_ char *odd = ctrlog_encode(LOG_STDERR, "a\0b\xff\xc3\xa9", 6, &T);
  ck_assert_int_eq(ctrlog_decode(odd, &e, &err), 0);
  ck_assert_int_eq(e.stream, LOG_STDERR);
  ck_assert_str_eq(e.text, "a\xef\xbf\xbd"
                           "b\xef\xbf\xbd\xc3\xa9");
  ctrlog_entry_free(&e);

  static const char *const bad[] = {"", "{}", "not json",
                                    "{\"log\":\"x\",\"stream\":\"tty\","
                                    "\"time\":\"t\"}"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    ck_assert_int_lt(ctrlog_decode(bad[i], &e, &err), 0);
    husk_error_freep(&err);
  }
}
END_TEST

struct collected {
  char *text[16];
  size_t len[16];
  size_t n;
};

static void collect(void *ctx, const char *line, size_t len) {
  struct collected *c = ctx;
  ck_assert_uint_lt(c->n, 16);
  c->text[c->n] = xmalloc(len + 1);
  memcpy(c->text[c->n], line, len);
  c->text[c->n][len] = '\0';
  c->len[c->n++] = len;
}

static void collected_free(struct collected *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->text[i]);
  c->n = 0;
}

START_TEST(line_splitting) {
  struct line_splitter s = {0};
  struct collected c = {0};
  line_splitter_feed(&s, "one\ntw", 6, collect, &c);
  ck_assert_uint_eq(c.n, 1);
  ck_assert_str_eq(c.text[0], "one\n");
  line_splitter_feed(&s, "o\nthree\nfo", 10, collect, &c);
  ck_assert_uint_eq(c.n, 3);
  ck_assert_str_eq(c.text[1], "two\n");
  ck_assert_str_eq(c.text[2], "three\n");
  line_splitter_flush(&s, collect, &c);
  ck_assert_uint_eq(c.n, 4);
  ck_assert_str_eq(c.text[3], "fo");
  line_splitter_flush(&s, collect, &c); /* nothing left */
  ck_assert_uint_eq(c.n, 4);
  collected_free(&c);

  /* A line longer than LOG_LINE_MAX comes in pieces of LOG_LINE_MAX. */
  size_t n = LOG_LINE_MAX * 2 + 10;
  char *big = xmalloc(n);
  memset(big, 'x', n);
  big[n - 1] = '\n';
  line_splitter_feed(&s, big, 100, collect, &c);
  line_splitter_feed(&s, big + 100, n - 100, collect, &c);
  ck_assert_uint_eq(c.n, 3);
  ck_assert_uint_eq(c.len[0], LOG_LINE_MAX);
  ck_assert_uint_eq(c.len[1], LOG_LINE_MAX);
  ck_assert_uint_eq(c.len[2], 10);
  ck_assert_int_eq(c.text[2][9], '\n');
  free(big);
  collected_free(&c);
  line_splitter_free(&s);
}
END_TEST

/* ---- events, health ---- */

START_TEST(event_lines) {
  _cleanup_free_ char *line =
      monitor_event_line("health_status", "web", json_pack("{s:s}", "status", "healthy"));
  ck_assert_int_eq(line[strlen(line) - 1], '\n');
  ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1); /* one line */
  _cleanup_json_ json_t *j = json_loads(line, 0, NULL);
  ck_assert_ptr_nonnull(j);
  ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "health_status");
  ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "web");
  json_t *data = json_object_get(j, "data");
  ck_assert_str_eq(json_string_value(json_object_get(data, "status")), "healthy");
  ck_assert(json_is_string(json_object_get(data, "time")));

  _cleanup_free_ char *bare = monitor_event_line("start", "web", NULL);
  _cleanup_json_ json_t *b = json_loads(bare, 0, NULL);
  ck_assert(json_is_object(json_object_get(b, "data")));
}
END_TEST

START_TEST(health_state_shape) {
  struct health_config cfg;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(health_config_resolve("{\"Test\":[\"CMD\",\"true\"]}", NULL, &cfg, &err), 0);
  struct health h;
  health_init(&h);
  int64_t t0 = INT64_C(1700000000) * 1000000000;
  health_start(&h, &cfg, t0);
  health_record(&h, &cfg, t0 + 1, t0 + 2, 1, "no", 2);
  _cleanup_json_ json_t *j = monitor_health_state_json(&h);
  _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_str_eq(text,
                   "{\"failingStreak\":1,\"log\":[{\"end\":\"2023-11-14T22:13:20.000000002Z\","
                   "\"exitCode\":1,\"output\":\"no\",\"start\":"
                   "\"2023-11-14T22:13:20.000000001Z\"}],\"status\":\"starting\"}");
  /* and what health.json keeps reads back */
  _cleanup_json_ json_t *file = monitor_health_to_json(&cfg, &h);
  ck_assert_str_eq(json_string_value(json_object_get(file, "OnFailure")), "none");
  ck_assert(json_is_object(json_object_get(file, "Healthcheck")));
  ck_assert(json_is_object(json_object_get(file, "Health")));
  health_free(&h);
  health_config_free(&cfg);
}
END_TEST

/* ---- state.json ---- */

START_TEST(state_monitor_fields) {
  char dir[] = "/tmp/test-monitor-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  _cleanup_close_ int fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_json_ json_t *ann = json_object();
  struct container_state st = {.id = "web",
                               .pid = 42,
                               .bundle = "/b",
                               .rootfs = "/b/rootfs",
                               .created = "2024-01-01T00:00:00Z",
                               .annotations = ann};
  /* Without a monitor: none of its fields. */
  ck_assert_int_eq(state_write(fd, &st, &err), 0);
  _cleanup_state_ struct container_state *plain = NULL;
  ck_assert_int_eq(state_read(fd, &plain, &err), 0);
  ck_assert(!plain->exited && plain->monitor_pid == 0 && plain->restart_count == 0);
  ck_assert(!state_monitor_alive(plain));

  st.monitor_pid = getpid();
  st.monitor_start_time = proc_start_time(getpid());
  st.restart_count = 2;
  st.exited = true;
  st.exit_code = 137;
  st.finished = "2024-01-01T00:00:01Z";
  st.oom_killed = true;
  ck_assert_int_eq(state_write(fd, &st, &err), 0);
  _cleanup_state_ struct container_state *back = NULL;
  ck_assert_int_eq(state_read(fd, &back, &err), 0);
  ck_assert_int_eq(back->monitor_pid, getpid());
  ck_assert(state_monitor_alive(back));
  ck_assert_int_eq(back->restart_count, 2);
  ck_assert(back->exited && back->oom_killed);
  ck_assert_int_eq(back->exit_code, 137);
  ck_assert_str_eq(back->finished, "2024-01-01T00:00:01Z");
  ck_assert_ptr_null(back->started_at);
  ck_assert(!back->restarting && !back->restart_policy);
  st.started_at = "2024-01-01T00:00:00.5Z";
  st.restarting = true;
  st.restart_policy = "on-failure:3";
  ck_assert_int_eq(state_write(fd, &st, &err), 0);
  _cleanup_state_ struct container_state *again = NULL;
  ck_assert_int_eq(state_read(fd, &again, &err), 0);
  ck_assert_str_eq(again->started_at, "2024-01-01T00:00:00.5Z");
  ck_assert(again->restarting);
  ck_assert_str_eq(again->restart_policy, "on-failure:3");
  back->monitor_start_time++; /* a reused pid */
  ck_assert(!state_monitor_alive(back));
  unlinkat(fd, STATE_FILE, 0);
  rmdir(dir);
}
END_TEST

/* ---- restarts ---- */

static struct restart_policy policy_ok(const char *text) {
  _cleanup_error_ struct husk_error *err = NULL;
  struct restart_policy p = {.kind = RESTART_ALWAYS, .max_retries = 99};
  ck_assert_msg(restart_policy_parse(text, &p, &err) == 0, "\"%s\": %s", text,
                err ? err->message : "?");
  return p;
}

static void policy_fails(const char *text, const char *want) {
  _cleanup_error_ struct husk_error *err = NULL;
  struct restart_policy p = {.kind = RESTART_ALWAYS, .max_retries = 99};
  ck_assert_msg(restart_policy_parse(text, &p, &err) < 0, "\"%s\" should fail", text);
  ck_assert_msg(strstr(err->message, want), "\"%s\": %s", text, err->message);
  ck_assert(p.kind == RESTART_ALWAYS && p.max_retries == 99); /* untouched */
}

START_TEST(restart_policies) {
  ck_assert(policy_ok("no").kind == RESTART_NO);
  ck_assert(policy_ok("always").kind == RESTART_ALWAYS);
  ck_assert(policy_ok("unless-stopped").kind == RESTART_UNLESS_STOPPED);
  struct restart_policy p = policy_ok("on-failure");
  ck_assert(p.kind == RESTART_ON_FAILURE && p.max_retries == 0);
  p = policy_ok("on-failure:3");
  ck_assert(p.kind == RESTART_ON_FAILURE && p.max_retries == 3);
  ck_assert(policy_ok("on-failure:").max_retries == 0); /* Docker: an empty count is none */
  _cleanup_free_ char *text = restart_policy_format(&p);
  ck_assert_str_eq(text, "on-failure:3");
  policy_fails("sometimes", "unknown policy 'sometimes'");
  ck_assert(policy_ok("").kind == RESTART_NO); /* Docker's default */
  policy_fails("on-failure:three", "maximum retry count must be an integer");
  policy_fails("on-failure:99999999999", "must be an integer");
  policy_fails("always:2", "can only be used with 'on-failure'");
  policy_fails("on-failure:-2", "cannot be negative");
  /* who restarts: on-failure only a failure, up to N times; a manual stop ends them all */
  ck_assert(restart_policy_wants(&p, 1, 2, false));
  ck_assert(!restart_policy_wants(&p, 1, 3, false));
  ck_assert(!restart_policy_wants(&p, 0, 0, false));
  struct restart_policy unlimited = {.kind = RESTART_ON_FAILURE};
  ck_assert(restart_policy_wants(&unlimited, 137, 1000, false));
  struct restart_policy always = {.kind = RESTART_ALWAYS};
  struct restart_policy unless = {.kind = RESTART_UNLESS_STOPPED};
  ck_assert(restart_policy_wants(&always, 0, 50, false));
  ck_assert(restart_policy_wants(&unless, 0, 50, false));
  ck_assert(!restart_policy_wants(&always, 0, 0, true));
  ck_assert(!restart_policy_wants(&unless, 1, 0, true));
  struct restart_policy no = {.kind = RESTART_NO};
  ck_assert(!restart_policy_wants(&no, 1, 0, false));
}
END_TEST

START_TEST(restart_backoff) {
  const int64_t ms = 1000000, s = 1000 * ms;
  int64_t d = 0;
  ck_assert_int_eq(restart_backoff_next(&d, 0), 100 * ms);
  ck_assert_int_eq(restart_backoff_next(&d, 0), 200 * ms);
  ck_assert_int_eq(restart_backoff_next(&d, 9 * s), 400 * ms);
  for (int i = 0; i < 20; i++)
    restart_backoff_next(&d, s);
  ck_assert_int_eq(d, 60 * s); /* at most a minute */
  ck_assert_int_eq(restart_backoff_next(&d, 0), 60 * s);
  ck_assert_int_eq(restart_backoff_next(&d, 10 * s), 100 * ms); /* ran 10 s: over again */
  ck_assert_int_eq(restart_backoff_next(&d, 0), 200 * ms);
  /* 100 ms doubling: 51.2 s, then the minute */
  d = 0;
  int64_t last = 0;
  for (int i = 0; i < 10; i++)
    last = restart_backoff_next(&d, 0);
  ck_assert_int_eq(last, 51200 * ms);
  ck_assert_int_eq(restart_backoff_next(&d, 0), 60 * s);
}
END_TEST

START_TEST(run_options_round_trip) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_run_options_ struct run_options o;
  run_options_init(&o);
  ck_assert_int_eq(run_parse_option(RUN_OPT_RESTART, "on-failure:4", &o, &err), 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_HEALTH_CMD, "wget -q -O- http://x/", &o, &err), 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_HEALTH_INTERVAL, "250ms", &o, &err), 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_HEALTH_RETRIES, "7", &o, &err), 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_HEALTH_ON_FAILURE, "kill", &o, &err), 0);
  ck_assert_int_eq(run_parse_option('p', "127.0.0.1:8080:80/udp", &o, &err), 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_NETWORK, "none", &o, &err), 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_ADD_HOST, "db:10.0.0.9", &o, &err), 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_DNS, "9.9.9.9", &o, &err), 0);
  ck_assert_int_lt(run_parse_option(RUN_OPT_RESTART, "never", &o, &err), 0);
  ck_assert_msg(strstr(err->message, "--restart: invalid restart policy"), "%s", err->message);
  _cleanup_json_ json_t *j = run_options_to_json(&o);
  _cleanup_run_options_ struct run_options back;
  run_options_init(&back);
  husk_error_freep(&err);
  ck_assert_int_eq(run_options_from_json(j, &back, &err), 0);
  ck_assert(back.restart.kind == RESTART_ON_FAILURE && back.restart.max_retries == 4);
  ck_assert_str_eq(back.health.cmd, "wget -q -O- http://x/");
  ck_assert_int_eq(back.health.interval_ns, 250 * 1000000LL);
  ck_assert_int_eq(back.health.retries, 7);
  ck_assert(back.health.on_failure_set && back.health.on_failure == HEALTH_ON_FAILURE_KILL);
  ck_assert(!back.rm);
  ck_assert_int_eq(back.ports.n, 1);
  ck_assert_int_eq(back.ports.v[0].host_port, 8080);
  ck_assert_int_eq(back.ports.v[0].container_port, 80);
  ck_assert_int_eq(back.network, NETWORK_NONE);
  ck_assert_int_eq(back.service.network, o.service.network);
  ck_assert(back.service.n_hosts == 1 && strcmp(back.service.hosts[0].ip, "10.0.0.9") == 0);
  ck_assert(back.service.n_dns == 1 && strcmp(back.service.dns[0], "9.9.9.9") == 0);
  _cleanup_json_ json_t *bad = json_pack("{s:s}", "restart", "always");
  _cleanup_run_options_ struct run_options none;
  run_options_init(&none);
  husk_error_freep(&err);
  ck_assert_int_lt(run_options_from_json(bad, &none, &err), 0);
  /* --restart with --rm, or without -d */
  o.rm = true;
  husk_error_freep(&err);
  ck_assert_int_lt(run_options_check(&o, true, &err), 0);
  ck_assert_str_eq(err->message, "Conflicting options: --restart and --rm");
  o.rm = false;
  husk_error_freep(&err);
  ck_assert_int_lt(run_options_check(&o, false, &err), 0);
  ck_assert_int_eq(run_options_check(&o, true, NULL), 0);
}
END_TEST

static int64_t log_time(const char *text, int64_t now) {
  _cleanup_error_ struct husk_error *err = NULL;
  int64_t t = -7;
  ck_assert_msg(log_time_parse(text, now, &t, &err) == 0, "\"%s\": %s", text,
                err ? err->message : "?");
  return t;
}

START_TEST(log_times) {
  const int64_t s = 1000000000;
  const int64_t now = 1700000000 * s;
  ck_assert_int_eq(log_time("10m", now), now - 600 * s);
  ck_assert_int_eq(log_time("1h30m", now), now - 5400 * s);
  ck_assert_int_eq(log_time("1.5s", now), now - 1500000000);
  ck_assert_int_eq(log_time("-1m", now), now + 60 * s); /* Go's durations may be negative */
  ck_assert_int_eq(log_time("1700000100", now), 1700000100 * s);
  ck_assert_int_eq(log_time("1700000100.25", now), 1700000100 * s + 250000000);
  ck_assert_int_eq(log_time("1700000100.000000001", now), 1700000100 * s + 1);
  ck_assert_int_eq(log_time("0", now), 0); /* the epoch, not a duration */
  ck_assert_int_eq(log_time("2023-11-14T22:13:20Z", now), now);
  ck_assert_int_eq(log_time("2023-11-14T23:13:20.5+01:00", now), now + 500000000);
  static const char *const bad[] = {
      "", "yesterday", "1e9", "1700000000.", ".5", "2023-11-14", "1700000000.1234567891", "10 m"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    _cleanup_error_ struct husk_error *err = NULL;
    int64_t t = -7;
    ck_assert_msg(log_time_parse(bad[i], now, &t, &err) < 0, "\"%s\" should fail", bad[i]);
    ck_assert_msg(strstr(err->message, "failed to parse value as time or duration"), "%s",
                  err->message);
    ck_assert_int_eq(t, -7);
  }
  ck_assert_int_eq(log_time("10", now), 10 * s); /* a plain number is Unix seconds */
  /* past 2262 in nanoseconds (found by fuzz_health: it overflowed) */
  _cleanup_error_ struct husk_error *far = NULL;
  int64_t t = -7;
  ck_assert_int_lt(log_time_parse("20222222222", now, &t, &far), 0);
  ck_assert_msg(strstr(far->message, "out of range"), "%s", far->message);
  ck_assert_int_eq(t, -7);
  _cleanup_error_ struct husk_error *edge = NULL;
  ck_assert_int_lt(log_time_parse("9223372036.999999999", now, &t, &edge), 0);
  ck_assert_int_eq(t, -7);
}
END_TEST

/* ---- -p ---- */

static void port_ok(const char *text, size_t n, int proto, const char *ip, int host, int ctr) {
  _cleanup_error_ struct husk_error *err = NULL;
  struct port_list l = {0};
  ck_assert_msg(port_parse(text, &l, &err) == 0, "-p %s: %s", text, err ? err->message : "?");
  ck_assert_msg(l.n == n, "-p %s: %zu mappings", text, l.n);
  ck_assert_int_eq(l.v[0].proto, proto);
  ck_assert_str_eq(l.v[0].host_ip, ip);
  ck_assert_int_eq(l.v[0].host_port, host);
  ck_assert_int_eq(l.v[0].container_port, ctr);
  ck_assert_int_eq(l.v[n - 1].container_port, ctr + (int)n - 1);
  ck_assert_int_eq(l.v[n - 1].host_port, host ? host + (int)n - 1 : 0);
  port_list_free(&l);
}

static void port_fails(const char *text, const char *wording) {
  _cleanup_error_ struct husk_error *err = NULL;
  struct port_list l = {0};
  ck_assert_msg(port_parse(text, &l, &err) < 0, "-p %s should fail", text);
  ck_assert_msg(strstr(err->message, wording), "-p %s: %s", text, err->message);
  ck_assert_uint_eq(l.n, 0);
}

START_TEST(port_specs) {
  port_ok("8000", 1, IPPROTO_TCP, "", 0, 8000);
  port_ok("8080:80", 1, IPPROTO_TCP, "", 8080, 80);
  port_ok("127.0.0.1:8080:80/udp", 1, IPPROTO_UDP, "127.0.0.1", 8080, 80);
  port_ok("127.0.0.1::80", 1, IPPROTO_TCP, "127.0.0.1", 0, 80);
  port_ok("[::1]:8080:80/tcp", 1, IPPROTO_TCP, "::1", 8080, 80);
  port_ok("[::1]::80", 1, IPPROTO_TCP, "::1", 0, 80);
  port_ok("8000-8003:9000-9003", 4, IPPROTO_TCP, "", 8000, 9000);
  port_ok("9000-9001", 2, IPPROTO_TCP, "", 0, 9000);
  port_fails("", "invalid containerPort");
  port_fails("0", "invalid containerPort: 0");
  port_fails("65536", "invalid containerPort: 65536");
  port_fails("80/sctp", "invalid proto: sctp");
  port_fails("x:80", "invalid hostPort: x");
  port_fails("1.2.3.400:80:80", "invalid IP address: 1.2.3.400");
  port_fails("[::1:80:80", "invalid IP address");
  port_fails("8000-8001:80", "invalid ranges");
  port_fails("9-8", "invalid containerPort: 9-8");
  port_fails("80:", "invalid containerPort");
  /* the state's form and back */
  struct port_list l = {0}, back;
  ck_assert_int_eq(port_parse("127.0.0.1:8080:80/udp", &l, NULL), 0);
  ck_assert_int_eq(port_parse("[::1]:8081:81", &l, NULL), 0);
  json_t *j = ports_to_json(&l);
  ck_assert_int_eq(ports_from_json(j, &back, NULL), 0);
  ck_assert_uint_eq(back.n, 2);
  ck_assert_int_eq(memcmp(back.v, l.v, 2 * sizeof(*l.v)), 0);
  char text[64];
  port_host_text(&back.v[1], text, sizeof(text));
  ck_assert_str_eq(text, "[::1]:8081");
  json_decref(j);
  port_list_free(&l);
  port_list_free(&back);
}
END_TEST

static Suite *monitor_suite(void) {
  Suite *s = suite_create("monitor");
  TCase *r = tcase_create("run options");
  tcase_add_test(r, memory_sizes);
  tcase_add_test(r, users);
  tcase_add_test(r, stop_signals);
  tcase_add_test(r, operand_forms);
  tcase_add_test(r, flags_and_patch);
  tcase_add_test(r, port_specs);
  suite_add_tcase(s, r);
  TCase *l = tcase_create("files");
  tcase_add_test(l, log_line_round_trip);
  tcase_add_test(l, line_splitting);
  tcase_add_test(l, event_lines);
  tcase_add_test(l, health_state_shape);
  tcase_add_test(l, state_monitor_fields);
  suite_add_tcase(s, l);
  TCase *rs = tcase_create("restarts and logs");
  tcase_add_test(rs, restart_policies);
  tcase_add_test(rs, restart_backoff);
  tcase_add_test(rs, run_options_round_trip);
  tcase_add_test(rs, log_times);
  suite_add_tcase(s, rs);
  return s;
}

int main(void) { return unit_run(monitor_suite()); }
