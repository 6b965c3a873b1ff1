/* test_restart.c: integration tests of restarts, all run by the monitor: --restart
 * on-failure:3 runs a failing process four times with growing gaps (Docker's back-off),
 * always brings back one that exits 0, stop, kill and delete during the back-off end it for
 * good, `husk restart` and `husk start` of a stopped `run -d` container, the restart count in
 * state and list, and --health-on-failure restart backing off too. Each run records
 * /proc/uptime into a file of its rootfs, so gaps are measured inside the container; only
 * their order and lower bounds are asserted, with generous limits on the rest. These flags
 * are husk's own: against another runtime the tests are skipped. */
#include "harness.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Appends one line per run: the uptime in seconds (1/100 s). */
#define RECORD "cat /proc/uptime >> /runs; "

static json_t *husk_ext(json_t *state) { return json_object_get(state, "husk"); }

static long long ext_int(const char *id, const char *key) {
  _h_json_ json_t *st = h_state(id);
  return json_integer_value(json_object_get(husk_ext(st), key));
}

static bool ext_true(const char *id, const char *key) {
  _h_json_ json_t *st = h_state(id);
  return json_is_true(json_object_get(husk_ext(st), key));
}

/* The uptimes the runs recorded, in seconds; how many. */
static int runs_of(const char *bundle, double *t, int max) {
  _h_free_ char *path = h_asprintf("%s/rootfs/runs", bundle);
  _h_free_ char *text = h_read(path);
  int n = 0;
  for (char *save, *l = text ? strtok_r(text, "\n", &save) : NULL; l && n < max;
       l = strtok_r(NULL, "\n", &save))
    t[n++] = atof(l);
  return n;
}

static bool wait_runs(const char *bundle, int want, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  double t[64];
  while (runs_of(bundle, t, 64) < want) {
    if (h_now_ms() > deadline)
      return false;
    h_sleep_ms(20);
  }
  return true;
}

static pid_t monitor_of(const char *id) { return (pid_t)ext_int(id, "monitorPid"); }

/* The monitor gone (the test is a subreaper: an exited monitor is its zombie, reaped here). */
static bool monitor_gone(pid_t mon, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  while (waitpid(mon, NULL, WNOHANG) != mon && h_pid_alive(mon)) {
    if (h_now_ms() > deadline)
      return false;
    h_sleep_ms(10);
  }
  return true;
}

static char *list_line(const char *id) {
  _h_result_ struct h_result r = h_rt("list", NULL);
  ck_assert_msg(r.status == 0, "list: %d %s", r.status, r.err);
  for (char *save, *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    if (strncmp(line, id, strlen(id)) == 0 && line[strlen(id)] == ' ')
      return strdup(line);
  ck_abort_msg("list does not show %s", id);
  return NULL;
}

static void run_d(const char *id, const char *bundle, const char *policy) {
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "--restart", policy, "--stop-timeout", "1", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d --restart %s: %d %s", policy, r.status, r.err);
}

static char *events_of(const char *id) {
  _h_free_ char *path = h_asprintf("%s/%s/events.jsonl", h_state_root(), id);
  char *e = h_read(path);
  return e ? e : strdup("");
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

/* on-failure:3 and a process that exits 1: four runs, the gaps at least 100, 200 and 400 ms
 * and growing, then stopped for good with its exit, the count in state and list. */
START_TEST(test_on_failure_backs_off) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle = h_bundle_cmd("onfail", RECORD "exit 1");
  _h_free_ char *id = h_id_new("onfail");
  run_d(id, bundle, "on-failure:3");
  pid_t mon = monitor_of(id);
  ck_assert_int_gt(mon, 0);
  ck_assert_msg(monitor_gone(mon, 30000), "the monitor did not finish after 3 restarts");
  double t[8];
  int n = runs_of(bundle, t, 8);
  ck_assert_msg(n == 4, "on-failure:3 ran the process %d times, not 4", n);
  double g1 = t[1] - t[0], g2 = t[2] - t[1], g3 = t[3] - t[2];
  /* /proc/uptime counts 1/100 s */
  ck_assert_msg(g1 >= 0.09 && g2 >= 0.19 && g3 >= 0.39, "gaps %.2f %.2f %.2f", g1, g2, g3);
  ck_assert_msg(g1 < g2 && g2 < g3, "the gaps do not grow: %.2f %.2f %.2f", g1, g2, g3);
  ck_assert_msg(g3 < 10, "a gap of %.2f s", g3);
  _h_json_ json_t *st = h_state(id);
  ck_assert_str_eq(json_string_value(json_object_get(st, "status")), "stopped");
  ck_assert_int_eq(json_integer_value(json_object_get(husk_ext(st), "exitCode")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(husk_ext(st), "restartCount")), 3);
  ck_assert_str_eq(json_string_value(json_object_get(husk_ext(st), "restartPolicy")),
                   "on-failure:3");
  ck_assert(json_is_string(json_object_get(husk_ext(st), "startedAt")));
  _h_free_ char *line = list_line(id);
  ck_assert_msg(strstr(line, "stopped (1), 3 restarts"), "list: %s", line);
  _h_free_ char *events = events_of(id);
  ck_assert_msg(strstr(events, "\"delay\":\"100ms\"") && strstr(events, "\"delay\":\"200ms\"") &&
                    strstr(events, "\"delay\":\"400ms\"") &&
                    count(events, "\"type\":\"restart\"") == 3,
                "events: %s", events);
}
END_TEST

/* on-failure restarts only a failure; --restart's errors are Docker's, and nothing is left. */
START_TEST(test_on_failure_not_on_success_and_errors) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle = h_bundle_cmd("onok", RECORD "exit 0");
  _h_free_ char *id = h_id_new("onok");
  run_d(id, bundle, "on-failure");
  pid_t mon = monitor_of(id);
  ck_assert(monitor_gone(mon, 15000));
  double t[4];
  ck_assert_int_eq(runs_of(bundle, t, 4), 1);
  ck_assert_int_eq(ext_int(id, "restartCount"), 0);
  static const struct {
    const char *arg, *want;
  } bad[] = {
      {"sometimes", "invalid restart policy: unknown policy 'sometimes'"},
      {"on-failure:x", "maximum retry count must be an integer"},
      {"always:3", "maximum retry count can only be used with 'on-failure'"},
      {"on-failure:-1", "maximum retry count cannot be negative"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    _h_free_ char *bid = h_id_new("badrestart");
    _h_result_ struct h_result r =
        h_rt("run", "-d", "--name", bid, "--restart", bad[i].arg, bundle, NULL);
    ck_assert_msg(r.status != 0 && strstr(r.err, bad[i].want), "--restart %s: %d %s", bad[i].arg,
                  r.status, r.err);
    ck_assert(!h_state_dir_exists(bid));
  }
  _h_free_ char *rid = h_id_new("restartrm");
  _h_result_ struct h_result rm =
      h_rt("run", "-d", "--rm", "--restart", "always", "--name", rid, bundle, NULL);
  ck_assert_msg(rm.status != 0 && strstr(rm.err, "Conflicting options: --restart and --rm"), "%s",
                rm.err);
  _h_result_ struct h_result fg = h_rt("run", "--restart", "always", "--name", rid, bundle, NULL);
  ck_assert_msg(fg.status != 0 && strstr(fg.err, "needs -d"), "%s", fg.err);
  ck_assert(!h_state_dir_exists(rid));
}
END_TEST

/* husk events on a container between two runs (its monitor waiting out the back-off) follows
 * it into the next run, rather than saying it is not running; it ends with the monitor. */
START_TEST(test_events_between_runs) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle = h_bundle_cmd("evgap", RECORD "exit 3");
  _h_free_ char *id = h_id_new("evgap");
  run_d(id, bundle, "on-failure:4");
  pid_t mon = monitor_of(id);
  bool gap = false;
  for (long long end = h_now_ms() + 10000; !gap && h_now_ms() < end; h_sleep_ms(5))
    gap = ext_true(id, "restarting");
  ck_assert_msg(gap, "never seen between two runs");
  struct h_proc *events = h_rt_spawn("events", "--interval", "1h", id, NULL);
  ck_assert_msg(monitor_gone(mon, 20000), "the monitor did not end after on-failure:4");
  _h_result_ struct h_result ev = h_proc_wait(events, 15000);
  ck_assert_msg(ev.status == 0, "events between runs: %d %s", ev.status, ev.err);
  ck_assert_msg(count(ev.out, "{\"type\":\"start\"") >= 1, "events: %s (stderr %s)", ev.out,
                ev.err);
}
END_TEST

/* always: a process that exits 0 comes back, again and again (and `husk events` follows it
 * through its runs); stop ends it. */
START_TEST(test_always_brings_back) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle = h_bundle_cmd("always", RECORD "sleep 0.2; exit 0");
  _h_free_ char *id = h_id_new("always");
  run_d(id, bundle, "always");
  pid_t mon = monitor_of(id);
  /* husk events follows it from one run into the next, until it stops for good */
  struct h_proc *events = h_rt_spawn("events", "--interval", "1h", id, NULL);
  /* four runs: events may attach only after the first has come and gone on a slow machine */
  ck_assert_msg(wait_runs(bundle, 4, 20000), "always did not bring the process back thrice");
  ck_assert_int_ge(ext_int(id, "restartCount"), 2);
  _h_free_ char *line = list_line(id);
  ck_assert_msg(strstr(line, " restarts"), "list: %s", line);
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
  ck_assert_msg(monitor_gone(mon, 5000), "the monitor outlived stop");
  _h_result_ struct h_result ev = h_proc_wait(events, 15000);
  ck_assert_msg(ev.status == 0, "events: %d %s", ev.status, ev.err);
  ck_assert_msg(count(ev.out, "{\"type\":\"restart\"") >= 2 &&
                    count(ev.out, "{\"type\":\"start\"") >= 2 &&
                    count(ev.out, "{\"type\":\"exit\"") >= 2,
                "events across restarts: %s", ev.out);
  double t[64];
  int n = runs_of(bundle, t, 64);
  h_sleep_ms(1000); /* longer than the back-off so far: nothing starts it again */
  ck_assert_int_eq(runs_of(bundle, t, 64), n);
  _h_json_ json_t *st = h_state(id);
  ck_assert_str_eq(json_string_value(json_object_get(st, "status")), "stopped");
}
END_TEST

/* A process that fails at once, --restart always, a back-off of 1.6 s: waiting out the back-off
 * it is "restarting"; op (stop, kill KILL or delete) then ends it for good, at once. */
static void check_ends_backoff(const char *name, const char *op) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle = h_bundle_cmd(name, RECORD "exit 2");
  _h_free_ char *id = h_id_new(name);
  run_d(id, bundle, "always");
  pid_t mon = monitor_of(id);
  /* 100 + 200 + 400 + 800 ms: the fifth run, then 1.6 s until the sixth */
  ck_assert(wait_runs(bundle, 5, 20000));
  long long deadline = h_now_ms() + 5000;
  while (!ext_true(id, "restarting")) {
    ck_assert_msg(h_now_ms() < deadline, "never restarting");
    h_sleep_ms(10);
  }
  _h_free_ char *line = list_line(id);
  ck_assert_msg(strstr(line, "restarting (2)"), "list during the back-off: %s", line);
  double t[64];
  int n = runs_of(bundle, t, 64);
  _h_result_ struct h_result r = strcmp(op, "stop") == 0   ? h_rt("stop", id, NULL)
                                 : strcmp(op, "kill") == 0 ? h_rt("kill", id, "KILL", NULL)
                                                           : h_rt("delete", id, NULL);
  ck_assert_msg(r.status == 0, "%s during the back-off: %d %s", op, r.status, r.err);
  ck_assert_msg(monitor_gone(mon, 1000), "%s: the monitor still waits to restart it", op);
  ck_assert_msg(runs_of(bundle, t, 64) == n, "%s: started again", op);
  if (strcmp(op, "delete") == 0) {
    ck_assert(!h_state_dir_exists(id));
    return;
  }
  _h_json_ json_t *st = h_state(id);
  ck_assert_msg(!json_object_get(husk_ext(st), "restarting"), "still restarting after %s", op);
  _h_free_ char *after = list_line(id);
  ck_assert_msg(strstr(after, "stopped (2)"), "list after %s: %s", op, after);
}

START_TEST(test_stop_during_backoff) {
  if (h_is_husk())
    check_ends_backoff("bostop", "stop");
}
END_TEST

START_TEST(test_kill_during_backoff) {
  if (h_is_husk())
    check_ends_backoff("bokill", "kill");
}
END_TEST

START_TEST(test_delete_during_backoff) {
  if (h_is_husk())
    check_ends_backoff("bodelete", "delete");
}
END_TEST

/* kill with another signal than the stop signal or SIGKILL leaves the policy alone: the
 * process killed by it comes back. */
START_TEST(test_kill_other_signal_restarts) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle =
      h_bundle_cmd("killusr", RECORD "trap 'exit 9' USR1; while :; do sleep 0.05; done");
  _h_free_ char *id = h_id_new("killusr");
  run_d(id, bundle, "always");
  ck_assert(wait_runs(bundle, 1, 10000));
  h_sleep_ms(200); /* the trap is set */
  _h_result_ struct h_result k = h_rt("kill", id, "USR1", NULL);
  ck_assert_msg(k.status == 0, "kill USR1: %d %s", k.status, k.err);
  ck_assert_msg(wait_runs(bundle, 2, 10000), "not started again after kill USR1");
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

/* husk restart: stopped (SIGKILL after -t, sleep as pid 1 ignores SIGTERM) and started again,
 * a new init, the count reset as Docker's restart does; once its monitor is gone, restart
 * starts it anew. A container not made by run -d cannot be restarted, and is left alone. */
START_TEST(test_husk_restart) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle = h_bundle_cmd("restart", RECORD "exec sleep 1000");
  _h_free_ char *id = h_id_new("restart");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  ck_assert(wait_runs(bundle, 1, 10000));
  pid_t before = h_state_pid(id), mon = monitor_of(id);
  long long t0 = h_now_ms();
  _h_result_ struct h_result rs = h_rt("restart", "-t", "1", id, NULL);
  long long took = h_now_ms() - t0;
  ck_assert_msg(rs.status == 0, "restart: %d %s", rs.status, rs.err);
  ck_assert_msg(took >= 900 && took < 20000, "restart -t 1 took %lld ms", took);
  _h_json_ json_t *st = h_state(id);
  ck_assert_str_eq(json_string_value(json_object_get(st, "status")), "running");
  ck_assert_int_ne(h_state_pid(id), before);
  ck_assert_int_eq(monitor_of(id), mon); /* the same monitor did it */
  _h_free_ char *line = list_line(id);
  ck_assert_msg(strstr(line, "running, up "), "list after restart: %s", line);
  ck_assert(wait_runs(bundle, 2, 10000));

  _h_result_ struct h_result s = h_rt("stop", "-t", "0", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
  ck_assert(monitor_gone(mon, 5000));
  _h_result_ struct h_result again = h_rt("restart", id, NULL);
  ck_assert_msg(again.status == 0, "restart of a stopped run -d container: %d %s", again.status,
                again.err);
  ck_assert(h_wait_status(id, "running", 10000));
  ck_assert(wait_runs(bundle, 3, 10000));
  _h_result_ struct h_result s2 = h_rt("stop", "-t", "0", id, NULL);
  ck_assert_msg(s2.status == 0, "stop: %d %s", s2.status, s2.err);

  _h_free_ char *cid = h_id_new("restart-created");
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, cid, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  _h_result_ struct h_result bad = h_rt("restart", cid, NULL);
  ck_assert_msg(bad.status != 0 && strstr(bad.err, "not started by `husk run -d`"), "%d %s",
                bad.status, bad.err);
  ck_assert(h_wait_status(cid, "created", 1000));
}
END_TEST

/* husk start of a `run -d` container that exited runs it again, as docker start does, with a
 * new monitor and its options (here a health check); the options are kept 0600 and are not
 * in `husk state`. start of a created container keeps runc's meaning. */
START_TEST(test_start_after_exit) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle =
      h_bundle_cmd("startagain", RECORD "echo ran; while [ ! -e /go ]; do sleep 0.05; done");
  _h_free_ char *go = h_asprintf("%s/rootfs/go", bundle);
  _h_free_ char *id = h_id_new("startagain");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "--health-cmd", "true",
                                      "--health-interval", "200ms", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  pid_t mon = monitor_of(id);
  h_write(go, "");
  ck_assert(monitor_gone(mon, 10000));
  unlink(go);
  _h_free_ char *run_json = h_asprintf("%s/%s/run.json", h_state_root(), id);
  struct stat sb;
  ck_assert_int_eq(stat(run_json, &sb), 0);
  ck_assert_int_eq(sb.st_mode & 07777, 0600);
  _h_result_ struct h_result s = h_rt("start", id, NULL);
  ck_assert_msg(s.status == 0, "start of an exited run -d container: %d %s", s.status, s.err);
  ck_assert(h_wait_status(id, "running", 10000));
  ck_assert(wait_runs(bundle, 2, 10000));
  /* its health check came along */
  long long deadline = h_now_ms() + 10000;
  for (;;) {
    _h_json_ json_t *st = h_state(id);
    const char *h = json_string_value(json_object_get(json_object_get(st, "health"), "status"));
    if (h && strcmp(h, "healthy") == 0)
      break;
    ck_assert_msg(h_now_ms() < deadline, "not healthy after start");
    h_sleep_ms(50);
  }
  _h_result_ struct h_result state = h_rt("state", id, NULL);
  ck_assert_msg(!strstr(state.out, "configPatch") && !strstr(state.out, "run.json"), "%s",
                state.out);
  _h_result_ struct h_result l = h_rt("logs", id, NULL);
  ck_assert_str_eq(l.out, "ran\nran\n");
  _h_result_ struct h_result busy = h_rt("start", id, NULL);
  ck_assert_msg(busy.status != 0, "start of a running container succeeded");
  pid_t mon2 = monitor_of(id);
  h_write(go, "");
  ck_assert(monitor_gone(mon2, 10000));
  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete: %d %s", d.status, d.err);
}
END_TEST

/* husk start runs it again with all of run's options: -e and --env-file values, a --secret,
 * --add-host, a published port; the values are in run.json (0600) and nowhere in state or
 * list. */
/* docker run's flags that edit the config (a -v bind, --cap-drop) hold for husk start too. */
START_TEST(test_start_keeps_docker_flags) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *data = h_dir_new("startflags-data");
  _h_free_ char *vol = h_asprintf("%s:/data", data);
  _h_free_ char *bundle = h_bundle_cmd(
      "startflags", "grep CapBnd /proc/self/status >> /data/runs; test -w /tmp; exit 0");
  _h_free_ char *id = h_id_new("startflags");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "-v", vol, "--cap-drop", "ALL",
                                      "--tmpfs", "/tmp", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  pid_t mon = monitor_of(id);
  ck_assert(monitor_gone(mon, 10000));
  _h_result_ struct h_result s = h_rt("start", id, NULL);
  ck_assert_msg(s.status == 0, "start: %d %s", s.status, s.err);
  _h_free_ char *runs = h_asprintf("%s/runs", data);
  long long deadline = h_now_ms() + 10000;
  for (;;) {
    _h_free_ char *text = h_read(runs);
    if (text && h_lines(text) == 2) {
      ck_assert_msg(strcmp(text, "CapBnd:\t0000000000000000\nCapBnd:\t0000000000000000\n") == 0,
                    "runs: %s", text);
      break;
    }
    ck_assert_msg(h_now_ms() < deadline, "the bind after start: %s", text ? text : "(none)");
    h_sleep_ms(50);
  }
}
END_TEST

START_TEST(test_start_keeps_service_options) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *dir = h_dir_new("startsvc");
  _h_free_ char *secret = h_asprintf("%s/tok", dir);
  h_write(secret, "s3cr3t-value");
  _h_free_ char *bundle = h_bundle_cmd(
      "startsvc", "echo \"$FOO $(cat /run/secrets/tok) $(grep -c db.local /etc/hosts)\"; "
                  "httpd -p 8000 -h /etc; while [ ! -e /go ]; do sleep 0.05; done");
  _h_free_ char *go = h_asprintf("%s/rootfs/go", bundle);
  _h_free_ char *id = h_id_new("startsvc");
  _h_free_ char *sec = h_asprintf("tok=%s", secret);
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "-e", "FOO=env-value", "--secret", sec, "--add-host",
           "db.local:10.9.8.7", "-p", "127.0.0.1:18097:8000", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  pid_t mon = monitor_of(id);
  h_write(go, "");
  ck_assert(monitor_gone(mon, 10000));
  unlink(go);
  _h_result_ struct h_result s = h_rt("start", id, NULL);
  ck_assert_msg(s.status == 0, "start: %d %s", s.status, s.err);
  long long deadline = h_now_ms() + 10000;
  for (;;) {
    _h_result_ struct h_result l = h_rt("logs", id, NULL);
    if (strcmp(l.out, "env-value s3cr3t-value 1\nenv-value s3cr3t-value 1\n") == 0)
      break;
    ck_assert_msg(h_now_ms() < deadline, "logs after start: %s", l.out);
    h_sleep_ms(50);
  }
  char *const wget[] = {
      "/bin/busybox", "wget", "-q", "-O-", "http://127.0.0.1:18097/hostname", NULL};
  bool served = false;
  for (int i = 0; i < 100 && !served; i++) {
    _h_result_ struct h_result w = h_proc_wait(h_spawn(wget, -1), 10000);
    served = w.status == 0 && strstr(w.out, "husk");
    if (!served)
      h_sleep_ms(50);
  }
  ck_assert_msg(served, "the published port does not answer after start");
  _h_free_ char *run_json = h_asprintf("%s/%s/run.json", h_state_root(), id);
  struct stat sb;
  ck_assert_int_eq(stat(run_json, &sb), 0);
  ck_assert_int_eq(sb.st_mode & 07777, 0600);
  _h_result_ struct h_result st = h_rt("state", id, NULL);
  _h_result_ struct h_result ls = h_rt("list", "--format", "json", NULL);
  ck_assert_msg(!strstr(st.out, "env-value") && !strstr(st.out, "s3cr3t") &&
                    !strstr(ls.out, "env-value") && !strstr(ls.out, "s3cr3t"),
                "a value shows: %s %s", st.out, ls.out);
  pid_t mon2 = monitor_of(id);
  h_write(go, "");
  ck_assert(monitor_gone(mon2, 10000));
}
END_TEST

/* --health-on-failure restart waits Docker's back-off too: the delays double. */
START_TEST(test_health_restart_backs_off) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_cmd("healthbo", RECORD "exec sleep 1000");
  _h_free_ char *id = h_id_new("healthbo");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "--health-cmd", "false", "--health-interval", "100ms",
           "--health-retries", "1", "--health-on-failure", "restart", "--stop-timeout", "0", bundle,
           NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  ck_assert_msg(wait_runs(bundle, 4, 30000), "not restarted three times");
  _h_free_ char *events = events_of(id);
  const char *d1 = strstr(events, "\"delay\":\"100ms\"");
  const char *d2 = d1 ? strstr(d1, "\"delay\":\"200ms\"") : NULL;
  const char *d3 = d2 ? strstr(d2, "\"delay\":\"400ms\"") : NULL;
  ck_assert_msg(d3 && strstr(events, "\"reason\":\"unhealthy\""), "events: %s", events);
  double t[8];
  runs_of(bundle, t, 8);
  ck_assert_msg(t[2] - t[1] >= 0.19 && t[3] - t[2] >= 0.39, "gaps %.2f %.2f", t[2] - t[1],
                t[3] - t[2]);
  _h_result_ struct h_result s = h_rt("stop", "-t", "0", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

int main(void) {
  Suite *s = suite_create("restart");
  TCase *tc = h_tcase("restart");
  tcase_add_test(tc, test_on_failure_backs_off);
  tcase_add_test(tc, test_on_failure_not_on_success_and_errors);
  tcase_add_test(tc, test_always_brings_back);
  tcase_add_test(tc, test_stop_during_backoff);
  tcase_add_test(tc, test_kill_during_backoff);
  tcase_add_test(tc, test_delete_during_backoff);
  tcase_add_test(tc, test_kill_other_signal_restarts);
  tcase_add_test(tc, test_husk_restart);
  tcase_add_test(tc, test_start_after_exit);
  tcase_add_test(tc, test_start_keeps_service_options);
  tcase_add_test(tc, test_events_between_runs);
  tcase_add_test(tc, test_start_keeps_docker_flags);
  tcase_add_test(tc, test_health_restart_backs_off);
  suite_add_tcase(s, tc);
  return h_main(s);
}
