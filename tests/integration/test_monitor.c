/* test_monitor.c: integration tests of the monitor `husk run` keeps per container: exits
 * recorded (0, 3, 137) and nothing left behind, a busybox httpd service going healthy and then
 * unhealthy when httpd stops, probe timeouts killing the probe's process group, restart on
 * failure, `stop` with SIGKILL after the timeout, `logs -f`, `logs --tail/--since/--until/
 * --details`, --rm and --wait-healthy (a failed wait stops and removes an --rm one), run's
 * -m and -u, a foreground run's health, and health events. Intervals are short; time limits
 * are generous and polled. Nearly all of it is husk's own: against another runtime only the
 * exit of a detached container is checked. */
#include "harness.h"

#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_HTTP "wget -q -O- http://127.0.0.1:8000/"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  char *s;
  int n = vasprintf(&s, f, ap);
  va_end(ap);
  ck_assert_int_ge(n, 0);
  return s;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A copy of the base bundle running `sh -c cmd`. */
static char *cmd_bundle(const char *name, const char *cmd) { return h_bundle_cmd(name, cmd); }

/* busybox httpd on 127.0.0.1:8000 in the container's own network namespace, serving
 * "hello\n"; the shell then waits as the container's pid 1. */
static char *service_bundle(const char *name) {
  char *bundle = cmd_bundle(name, "httpd -p 127.0.0.1:8000 -h /www; exec sleep 1000");
  _h_free_ char *www = fmt("%s/rootfs/www", bundle);
  ck_assert_int_eq(mkdir(www, 0755), 0);
  _h_free_ char *index = fmt("%s/index.html", www);
  h_write(index, "hello\n");
  return bundle;
}

static char *rootfs_path(const char *bundle, const char *path) {
  return fmt("%s/rootfs%s", bundle, path);
}

static json_t *husk_ext(json_t *state) { return json_object_get(state, "husk"); }

/* The "health" object of `state`, or NULL. */
static json_t *health_of(const char *id) {
  _h_json_ json_t *st = h_state(id);
  json_t *h = st ? json_object_get(st, "health") : NULL;
  return h ? json_incref(h) : NULL;
}

static const char *status_of(json_t *health) {
  return json_string_value(json_object_get(health, "status"));
}

static bool wait_health(const char *id, const char *status, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    _h_json_ json_t *h = health_of(id);
    if (h && status_of(h) && strcmp(status_of(h), status) == 0)
      return true;
    if (now_ms() > deadline) {
      fprintf(stderr, "test: %s is %s, not %s\n", id, h ? status_of(h) : "without health", status);
      return false;
    }
    sleep_ms(50);
  }
}

static pid_t monitor_pid(const char *id) {
  _h_json_ json_t *st = h_state(id);
  return st ? (pid_t)json_integer_value(json_object_get(husk_ext(st), "monitorPid")) : 0;
}

/* Processes whose whole command line is exactly cmdline (arguments joined by spaces). */
static int count_cmdline(const char *cmdline) {
  int n = 0;
  DIR *d = opendir("/proc");
  ck_assert(d);
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9')
      continue;
    _h_free_ char *path = fmt("/proc/%s/cmdline", e->d_name);
    FILE *f = fopen(path, "re");
    if (!f)
      continue;
    char buf[256];
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    for (size_t i = 0; i + 1 < len; i++)
      if (!buf[i])
        buf[i] = ' ';
    buf[len] = '\0';
    if (len && strcmp(buf, cmdline) == 0 && h_pid_alive(atoi(e->d_name)))
      n++;
  }
  closedir(d);
  return n;
}

/* The line of `list` for id. */
static char *list_line(const char *id) {
  _h_result_ struct h_result r = h_rt("list", NULL);
  ck_assert_msg(r.status == 0, "list: %d %s", r.status, r.err);
  for (char *save, *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    if (strncmp(line, id, strlen(id)) == 0 && line[strlen(id)] == ' ')
      return strdup(line);
  ck_abort_msg("list does not show %s", id);
  return NULL;
}

static void assert_list_shows(const char *id, const char *status) {
  _h_free_ char *line = list_line(id);
  ck_assert_msg(strstr(line, status), "list: \"%s\" does not show \"%s\"", line, status);
}

/* An exited monitor is our zombie (the test is a subreaper): reap it, or fail. */
static void assert_monitor_ends(pid_t mon) {
  long long deadline = now_ms() + 10000;
  while (waitpid(mon, NULL, WNOHANG) != mon) {
    ck_assert_msg(now_ms() < deadline, "monitor %d did not exit", mon);
    sleep_ms(20);
  }
}

static bool is_zombie(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  _h_free_ char *stat = h_read(path);
  const char *paren = stat ? strrchr(stat, ')') : NULL;
  return paren && paren[1] && paren[2] == 'Z';
}

/* ---- exits ---- */

static void check_exit(const char *cmd, const char *kill_with, int want) {
  _h_free_ char *bundle =
      cmd_bundle("exit", cmd ? cmd : "while [ ! -e /go ]; do sleep 0.05; done; exit 3");
  _h_free_ char *id = h_id_new("exit");
  _h_result_ struct h_result r = h_rt("run", "-d", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  ck_assert(h_wait_status(id, "running", 10000));
  pid_t pid = h_state_pid(id), mon = h_is_husk() ? monitor_pid(id) : 0;
  if (h_is_husk())
    ck_assert_int_gt(mon, 0);
  if (kill_with) {
    _h_result_ struct h_result k = h_rt("kill", id, kill_with, NULL);
    ck_assert_msg(k.status == 0, "kill: %d %s", k.status, k.err);
  } else {
    _h_free_ char *go = rootfs_path(bundle, "/go");
    h_write(go, "");
  }
  ck_assert(h_wait_status(id, "stopped", 10000));
  if (!h_is_husk())
    return;
  assert_monitor_ends(mon);
  ck_assert_msg(!is_zombie(pid), "the init %d was left a zombie", pid);
  _h_json_ json_t *st = h_state(id);
  json_t *ext = husk_ext(st);
  ck_assert_msg(json_is_integer(json_object_get(ext, "exitCode")), "no exit code recorded");
  ck_assert_int_eq(json_integer_value(json_object_get(ext, "exitCode")), want);
  ck_assert(json_is_string(json_object_get(ext, "finishedAt")));
  ck_assert_int_eq(json_integer_value(json_object_get(ext, "monitorPid")), 0);
  char text[32];
  snprintf(text, sizeof(text), "stopped (%d)", want);
  assert_list_shows(id, text);
  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete: %d %s", d.status, d.err);
  ck_assert(!h_process_mentions(id));
}

START_TEST(test_exit_zero) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  check_exit("while [ ! -e /go ]; do sleep 0.05; done; exit 0", NULL, 0);
}
END_TEST

START_TEST(test_exit_three) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  check_exit(NULL, NULL, 3);
}
END_TEST

START_TEST(test_exit_killed) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  check_exit("exec sleep 1000", "KILL", 137);
}
END_TEST

/* ---- health ---- */

/* The service with a probe of it every 200ms; unhealthy after 2 failures. */
static void run_service(const char *bundle, const char *id, const char *on_failure) {
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "--health-cmd", PROBE_HTTP, "--health-interval", "200ms",
           "--health-retries", "2", "--health-on-failure", on_failure, "--stop-timeout", "1",
           bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
}

/* Stop the service inside the container (the probe, too, runs inside: the container's own
 * loopback). */
static void stop_httpd(const char *id) {
  _h_result_ struct h_result r = h_rt("exec", id, "killall", "httpd", NULL);
  ck_assert_msg(r.status == 0, "exec killall httpd: %d %s", r.status, r.err);
}

START_TEST(test_healthy_then_unhealthy) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = service_bundle("web");
  _h_free_ char *id = h_id_new("web");
  run_service(bundle, id, "none");
  ck_assert(wait_health(id, "healthy", 15000));
  assert_list_shows(id, "running (healthy)");
  _h_result_ struct h_result h = h_rt("health", id, NULL);
  ck_assert_msg(h.status == 0, "health: %d %s", h.status, h.err);
  _h_json_ json_t *docker = json_loads(h.out, 0, NULL);
  ck_assert_str_eq(json_string_value(json_object_get(docker, "Status")), "healthy");
  json_t *first = json_array_get(json_object_get(docker, "Log"), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(first, "ExitCode")), 0);
  ck_assert_str_eq(json_string_value(json_object_get(first, "Output")), "hello\n");
  _h_result_ struct h_result ok = h_rt("health", "run", id, NULL);
  ck_assert_msg(ok.status == 0, "health run: %d %s %s", ok.status, ok.out, ok.err);

  stop_httpd(id);
  ck_assert(wait_health(id, "unhealthy", 15000));
  assert_list_shows(id, "running (unhealthy)");
  _h_json_ json_t *health = health_of(id);
  ck_assert_int_ge(json_integer_value(json_object_get(health, "failingStreak")), 2);
  json_t *log = json_object_get(health, "log");
  json_t *last = json_array_get(log, json_array_size(log) - 1);
  ck_assert_int_ne(json_integer_value(json_object_get(last, "exitCode")), 0);
  _h_result_ struct h_result bad = h_rt("health", "run", id, NULL);
  ck_assert_msg(bad.status == 1, "health run when unhealthy: %d %s", bad.status, bad.err);
  ck_assert_str_eq(bad.out, "unhealthy\n");

  _h_free_ char *events_path = fmt("%s/%s/events.jsonl", h_state_root(), id);
  _h_free_ char *events = h_read(events_path);
  ck_assert_msg(events && strstr(events, "\"type\":\"health_status\"") &&
                    strstr(events, "\"status\":\"healthy\"") &&
                    strstr(events, "\"status\":\"unhealthy\""),
                "events.jsonl: %s", events);
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

START_TEST(test_health_run_errors) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = cmd_bundle("nohealth", "exec sleep 1000");
  _h_free_ char *id = h_id_new("nohealth");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  _h_result_ struct h_result hr = h_rt("health", "run", id, NULL);
  ck_assert_msg(hr.status == 125, "health run without a health check: %d", hr.status);
  ck_assert_msg(strstr(hr.err, "no health check"), "stderr: %s", hr.err);
  _h_result_ struct h_result missing = h_rt("health", "run", "hit-no-such-container", NULL);
  ck_assert_int_eq(missing.status, 125);
  _h_json_ json_t *st = h_state(id);
  ck_assert_ptr_null(json_object_get(st, "health"));
  _h_result_ struct h_result s = h_rt("stop", "-t", "0", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

START_TEST(test_probe_timeout_kills_probe) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = cmd_bundle("slowprobe", "exec sleep 1000");
  _h_free_ char *id = h_id_new("slowprobe");
  /* Not exec'd by the shell ("; true" follows): killing the shell alone would leave it. */
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "--health-cmd", "sleep 7.5; true", "--health-timeout",
           "300ms", "--health-interval", "1s", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  long long deadline = now_ms() + 15000;
  json_t *entry = NULL;
  _h_json_ json_t *health = NULL;
  while (!entry) {
    ck_assert_msg(now_ms() < deadline, "no probe result");
    sleep_ms(20);
    if (health)
      json_decref(health);
    health = health_of(id);
    entry = json_array_get(json_object_get(health, "log"), 0);
  }
  ck_assert_int_eq(json_integer_value(json_object_get(entry, "exitCode")), -1);
  const char *out = json_string_value(json_object_get(entry, "output"));
  ck_assert_msg(out && strncmp(out, "Health check exceeded timeout (300ms)", 37) == 0, "%s", out);
  /* Killed with its process group, before the next probe starts a second later. */
  deadline = now_ms() + 700;
  while (count_cmdline("sleep 7.5") > 0)
    ck_assert_msg(now_ms() < deadline, "the timed-out probe's sleep still runs");
  _h_result_ struct h_result s = h_rt("stop", "-t", "0", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

START_TEST(test_restart_on_failure) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = service_bundle("restart");
  _h_free_ char *id = h_id_new("restart");
  run_service(bundle, id, "restart");
  ck_assert(wait_health(id, "healthy", 15000));
  pid_t before = h_state_pid(id);
  stop_httpd(id);
  long long deadline = now_ms() + 20000;
  for (;;) {
    _h_json_ json_t *st = h_state(id);
    if (json_integer_value(json_object_get(husk_ext(st), "restartCount")) >= 1)
      break;
    ck_assert_msg(now_ms() < deadline, "not restarted");
    sleep_ms(50);
  }
  ck_assert(wait_health(id, "healthy", 15000));
  ck_assert_int_ne(h_state_pid(id), before);
  _h_free_ char *events_path = fmt("%s/%s/events.jsonl", h_state_root(), id);
  _h_free_ char *events = h_read(events_path);
  ck_assert_msg(events && strstr(events, "\"type\":\"restart\""), "events.jsonl: %s", events);
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

/* The end of the last probe in the health log ("" when none). */
static char *last_probe_end(const char *id) {
  _h_json_ json_t *h = health_of(id);
  json_t *log = json_object_get(h, "log");
  const char *end =
      json_string_value(json_object_get(json_array_get(log, json_array_size(log) - 1), "end"));
  return strdup(end ? end : "");
}

START_TEST(test_paused_not_probed) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = service_bundle("paused");
  _h_free_ char *id = h_id_new("paused");
  run_service(bundle, id, "none");
  ck_assert(wait_health(id, "healthy", 15000));
  _h_result_ struct h_result p = h_rt("pause", id, NULL);
  ck_assert_msg(p.status == 0, "pause: %d %s", p.status, p.err);
  sleep_ms(300); /* a probe that was running has ended or been dropped */
  _h_free_ char *before = last_probe_end(id);
  sleep_ms(1000); /* five intervals */
  _h_free_ char *during = last_probe_end(id);
  ck_assert_msg(strcmp(before, during) == 0, "probed while paused: %s, then %s", before, during);
  _h_json_ json_t *h = health_of(id);
  ck_assert_str_eq(status_of(h), "healthy");
  _h_result_ struct h_result r = h_rt("resume", id, NULL);
  ck_assert_msg(r.status == 0, "resume: %d %s", r.status, r.err);
  long long deadline = now_ms() + 10000;
  for (;;) {
    _h_free_ char *after = last_probe_end(id);
    if (strcmp(after, during) != 0)
      break;
    ck_assert_msg(now_ms() < deadline, "no probe after resume");
    sleep_ms(50);
  }
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

/* --health-on-failure stop: the stop signal, SIGKILL after --stop-timeout (the shell as pid 1
 * ignores SIGTERM), the exit recorded, the monitor gone; kill: SIGKILL at once. */
static void check_on_failure(const char *action) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle = service_bundle(action);
  _h_free_ char *id = h_id_new(action);
  run_service(bundle, id, action);
  ck_assert(wait_health(id, "healthy", 15000));
  pid_t mon = monitor_pid(id);
  stop_httpd(id);
  ck_assert(h_wait_status(id, "stopped", 20000));
  assert_monitor_ends(mon);
  _h_json_ json_t *st = h_state(id);
  ck_assert_int_eq(json_integer_value(json_object_get(husk_ext(st), "exitCode")), 137);
  ck_assert_str_eq(status_of(json_object_get(st, "health")), "unhealthy");
  assert_list_shows(id, "stopped (137)");
}

START_TEST(test_on_failure_stop) {
  if (h_is_husk())
    check_on_failure("stop");
}
END_TEST

START_TEST(test_on_failure_kill) {
  if (h_is_husk())
    check_on_failure("kill");
}
END_TEST

/* ---- stop, logs, --rm, --wait-healthy ---- */

START_TEST(test_stop_sigkill_after_timeout) {
  if (!h_is_husk())
    return;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  _h_free_ char *bundle = cmd_bundle("stubborn", "trap '' TERM; while :; do sleep 0.1; done");
  _h_free_ char *id = h_id_new("stubborn");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  pid_t mon = monitor_pid(id);
  long long t0 = now_ms();
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  long long took = now_ms() - t0;
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
  ck_assert_msg(took >= 900 && took < 8000, "stop took %lld ms", took);
  _h_json_ json_t *st = h_state(id);
  ck_assert_str_eq(json_string_value(json_object_get(st, "status")), "stopped");
  ck_assert_int_eq(json_integer_value(json_object_get(husk_ext(st), "exitCode")), 137);
  assert_monitor_ends(mon);

  /* One that does stop on SIGTERM exits with its own status, before the timeout. */
  _h_free_ char *polite_bundle =
      cmd_bundle("polite", "trap 'exit 0' TERM; while :; do sleep 0.1; done");
  _h_free_ char *polite = h_id_new("polite");
  _h_result_ struct h_result r2 = h_rt("run", "-d", "--name", polite, polite_bundle, NULL);
  ck_assert_msg(r2.status == 0, "run -d: %d %s", r2.status, r2.err);
  _h_result_ struct h_result s2 = h_rt("stop", "-t", "20", polite, NULL);
  ck_assert_msg(s2.status == 0, "stop: %d %s", s2.status, s2.err);
  _h_json_ json_t *st2 = h_state(polite);
  ck_assert_int_eq(json_integer_value(json_object_get(husk_ext(st2), "exitCode")), 0);
}
END_TEST

START_TEST(test_logs_follow) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle =
      cmd_bundle("logs", "echo first; echo oops >&2; while [ ! -e /go ]; do sleep 0.05; done; "
                         "echo second");
  _h_free_ char *id = h_id_new("logs");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  struct h_proc *follow = h_rt_spawn("logs", "-f", id, NULL);
  sleep_ms(300);
  _h_free_ char *go = rootfs_path(bundle, "/go");
  h_write(go, "");
  _h_result_ struct h_result f = h_proc_wait(follow, 15000);
  ck_assert_msg(f.status == 0, "logs -f: %d %s", f.status, f.err);
  ck_assert_str_eq(f.out, "first\nsecond\n");
  ck_assert_str_eq(f.err, "oops\n");
  ck_assert(h_wait_status(id, "stopped", 10000));
  _h_result_ struct h_result t = h_rt("logs", "--timestamps", id, NULL);
  ck_assert_msg(t.status == 0, "logs --timestamps: %d %s", t.status, t.err);
  /* "2024-01-01T00:00:00.123456789Z first" */
  ck_assert_msg(strlen(t.out) > 31 && t.out[4] == '-' && t.out[10] == 'T' &&
                    strstr(t.out, "Z first\n") && strstr(t.out, "Z second\n"),
                "logs --timestamps: %s", t.out);

  /* Only a monitor keeps a log. */
  _h_free_ char *cid = h_id_new("nolog");
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, cid, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  _h_result_ struct h_result none = h_rt("logs", cid, NULL);
  ck_assert_int_ne(none.status, 0);
  ck_assert_msg(strstr(none.err, "no log"), "logs of a created container: %s", none.err);
}
END_TEST

START_TEST(test_rm_and_wait_healthy) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = service_bundle("waithealthy");
  _h_free_ char *id = h_id_new("waithealthy");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--rm", "--wait-healthy=20s", "--name", id, "--health-cmd", PROBE_HTTP,
           "--health-interval", "200ms", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d --wait-healthy: %d %s", r.status, r.err);
  _h_json_ json_t *h = health_of(id);
  ck_assert_str_eq(status_of(h), "healthy");
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
  ck_assert_msg(!h_state_dir_exists(id), "--rm left the container");

  _h_free_ char *sick = h_id_new("sick");
  _h_result_ struct h_result u =
      h_rt("run", "-d", "--wait-healthy=10s", "--name", sick, "--health-cmd", "false",
           "--health-interval", "100ms", bundle, NULL);
  ck_assert_msg(u.status != 0, "--wait-healthy on a failing probe succeeded");
  ck_assert_msg(strstr(u.err, "unhealthy") && strstr(u.err, "it is left running"), "stderr: %s",
                u.err);
  ck_assert(h_wait_status(sick, "running", 1000)); /* without --rm it is left as it is */
  _h_result_ struct h_result us = h_rt("stop", "-t", "0", sick, NULL);
  ck_assert_msg(us.status == 0, "stop: %d %s", us.status, us.err);

  /* With --rm, a wait that fails (a timeout, or unhealthy) stops and removes it. */
  _h_free_ char *slow = h_id_new("slow");
  _h_result_ struct h_result t =
      h_rt("run", "-d", "--rm", "--wait-healthy=1s", "--name", slow, "--health-cmd", "sleep 30",
           "--health-interval", "10s", bundle, NULL);
  ck_assert_msg(t.status != 0 && strstr(t.err, "did not become healthy within 1s") &&
                    strstr(t.err, "stopped and removed (--rm)"),
                "--rm --wait-healthy=1s: %d %s", t.status, t.err);
  ck_assert_msg(!h_state_dir_exists(slow), "--rm --wait-healthy that timed out left it");
  ck_assert(!h_process_mentions(slow));
  _h_free_ char *sick_rm = h_id_new("sickrm");
  _h_result_ struct h_result ur =
      h_rt("run", "-d", "--rm", "--wait-healthy=10s", "--name", sick_rm, "--health-cmd", "false",
           "--health-interval", "100ms", bundle, NULL);
  ck_assert_msg(ur.status != 0 && strstr(ur.err, "unhealthy") &&
                    strstr(ur.err, "stopped and removed (--rm)"),
                "--rm --wait-healthy, unhealthy: %d %s", ur.status, ur.err);
  ck_assert_msg(!h_state_dir_exists(sick_rm), "--rm --wait-healthy that failed left it");

  _h_free_ char *plain = h_id_new("plain");
  _h_result_ struct h_result p = h_rt("run", "-d", "--wait-healthy", "--name", plain, bundle, NULL);
  ck_assert_msg(p.status != 0, "--wait-healthy without a health check succeeded");
  ck_assert_msg(strstr(p.err, "no health check"), "stderr: %s", p.err);
  ck_assert_msg(!h_state_dir_exists(plain), "a failed run -d left the container");
}
END_TEST

/* The lines of `logs --timestamps`: "TIME TEXT". */
static char *nth_time(const char *logs, int n) {
  const char *p = logs;
  for (int i = 0; i < n && p; i++)
    p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
  ck_assert_msg(p && strchr(p, ' '), "no line %d in %s", n, logs);
  return strndup(p, (size_t)(strchr(p, ' ') - p));
}

/* --tail (-n, all), --since and --until (a timestamp, Unix seconds or a duration), together,
 * with --timestamps, --details and -f; and Docker's errors for bad values. */
START_TEST(test_logs_tail_since_until) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle =
      cmd_bundle("logsel", "echo a; echo b; sleep 1.5; echo c; echo d; echo e; "
                           "while [ ! -e /go ]; do sleep 0.05; done; echo f; exec sleep 1000");
  _h_free_ char *id = h_id_new("logsel");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  long long deadline = now_ms() + 15000;
  for (;;) {
    _h_result_ struct h_result l = h_rt("logs", id, NULL);
    if (strcmp(l.out, "a\nb\nc\nd\ne\n") == 0)
      break;
    ck_assert_msg(now_ms() < deadline, "logs: %s", l.out);
    sleep_ms(50);
  }
  _h_result_ struct h_result ts = h_rt("logs", "--timestamps", id, NULL);
  _h_free_ char *t_b = nth_time(ts.out, 1), *t_c = nth_time(ts.out, 2);
  _h_result_ struct h_result tail = h_rt("logs", "--tail", "2", id, NULL);
  ck_assert_str_eq(tail.out, "d\ne\n");
  _h_result_ struct h_result n1 = h_rt("logs", "-n", "1", id, NULL);
  ck_assert_str_eq(n1.out, "e\n");
  _h_result_ struct h_result n0 = h_rt("logs", "-n", "0", id, NULL);
  ck_assert_str_eq(n0.out, "");
  _h_result_ struct h_result all = h_rt("logs", "--tail", "all", id, NULL);
  ck_assert_str_eq(all.out, "a\nb\nc\nd\ne\n");
  /* The case: the last 2 lines, of those since c. */
  _h_result_ struct h_result ts2 = h_rt("logs", "--tail", "2", "--since", t_c, id, NULL);
  ck_assert_msg(ts2.status == 0, "logs --tail 2 --since: %d %s", ts2.status, ts2.err);
  ck_assert_str_eq(ts2.out, "d\ne\n");
  _h_result_ struct h_result t5 = h_rt("logs", "--tail", "5", "--since", t_c, id, NULL);
  ck_assert_str_eq(t5.out, "c\nd\ne\n");
  _h_result_ struct h_result until = h_rt("logs", "--until", t_b, id, NULL);
  ck_assert_str_eq(until.out, "a\nb\n");
  _h_result_ struct h_result ago = h_rt("logs", "--since", "10m", id, NULL);
  ck_assert_str_eq(ago.out, "a\nb\nc\nd\ne\n");
  _h_result_ struct h_result ago_until = h_rt("logs", "--until", "10m", id, NULL);
  ck_assert_str_eq(ago_until.out, "");
  char future[32];
  snprintf(future, sizeof(future), "%lld.5", (long long)time(NULL) + 100);
  _h_result_ struct h_result unix_since = h_rt("logs", "--since", future, id, NULL);
  ck_assert_msg(unix_since.status == 0 && !unix_since.out[0], "--since %s: %d %s %s", future,
                unix_since.status, unix_since.out, unix_since.err);
  _h_result_ struct h_result both = h_rt("logs", "-t", "--tail", "1", id, NULL);
  ck_assert_msg(both.out[4] == '-' && strstr(both.out, "Z e\n") && h_lines(both.out) == 1, "%s",
                both.out);
  /* Docker's --details: the line's attributes and a space; husk's lines have none. */
  _h_result_ struct h_result details = h_rt("logs", "--details", "-n", "2", id, NULL);
  ck_assert_str_eq(details.out, " d\n e\n");
  /* -f with --until in the future follows only until then, though the container runs on */
  char soon[32];
  snprintf(soon, sizeof(soon), "%lld", (long long)time(NULL) + 2);
  long long t0 = now_ms();
  struct h_proc *until_f = h_rt_spawn("logs", "-f", "--until", soon, id, NULL);
  _h_result_ struct h_result uf = h_proc_wait(until_f, 15000);
  ck_assert_msg(uf.status == 0, "logs -f --until: %d %s", uf.status, uf.err);
  ck_assert_msg(now_ms() - t0 < 10000, "logs -f --until followed %lld ms", now_ms() - t0);
  ck_assert_str_eq(uf.out, "a\nb\nc\nd\ne\n");
  /* -f from the last line on, until the monitor ends */
  struct h_proc *follow = h_rt_spawn("logs", "-f", "--tail", "1", id, NULL);
  sleep_ms(300);
  _h_free_ char *go = rootfs_path(bundle, "/go");
  h_write(go, "");
  sleep_ms(300);
  _h_result_ struct h_result s = h_rt("stop", "-t", "0", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
  _h_result_ struct h_result f = h_proc_wait(follow, 15000);
  ck_assert_msg(f.status == 0, "logs -f --tail 1: %d %s", f.status, f.err);
  ck_assert_str_eq(f.out, "e\nf\n");
  static const char *const bad[][2] = {
      {"--since", "yesterday"}, {"--until", "1e9"}, {"--tail", "some"}};
  for (size_t i = 0; i < 3; i++) {
    _h_result_ struct h_result b = h_rt("logs", bad[i][0], bad[i][1], id, NULL);
    ck_assert_msg(b.status != 0 && strstr(b.err, bad[i][0]) && strstr(b.err, bad[i][1]),
                  "logs %s %s: %d %s", bad[i][0], bad[i][1], b.status, b.err);
  }
}
END_TEST

/* ---- run's conveniences, the foreground, events ---- */

/* The memory limit of the init's memory cgroup: v1's limit_in_bytes, or v2's memory.max. */
static char *memory_limit(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
  _h_free_ char *cg = h_read(path);
  ck_assert(cg);
  for (char *save, *l = strtok_r(cg, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    char *rel = strchr(strchr(l, ':') + 1, ':') + 1;
    if (strstr(l, ":memory:")) {
      _h_free_ char *f = fmt("/sys/fs/cgroup/memory%s/memory.limit_in_bytes", rel);
      return h_read(f);
    }
    if (strncmp(l, "0::", 3) == 0 && !strstr(cg, ":memory:")) {
      _h_free_ char *f = fmt("/sys/fs/cgroup%s/memory.max", rel);
      return h_read(f);
    }
  }
  return NULL;
}

START_TEST(test_run_conveniences) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle =
      cmd_bundle("conv", "id -u > /tmp/ids; id -g >> /tmp/ids; exec sleep 1000");
  _h_free_ char *config_path = fmt("%s/config.json", bundle);
  _h_free_ char *config_before = h_read(config_path);
  _h_free_ char *id = h_id_new("conv");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "-m", "64m", "-u", "1000:1000",
                                      "--stop-signal", "SIGUSR1", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  _h_free_ char *ids_path = rootfs_path(bundle, "/tmp/ids");
  ck_assert(h_wait_file(ids_path, 10000));
  sleep_ms(100);
  _h_free_ char *ids = h_read(ids_path);
  ck_assert_str_eq(ids, "1000\n1000\n");
  _h_free_ char *limit = memory_limit(h_state_pid(id));
  ck_assert_msg(limit && atoll(limit) == 64 << 20, "memory limit %s", limit);
  _h_json_ json_t *st = h_state(id);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "annotations"),
                                                     "org.opencontainers.image.stopSignal")),
                   "SIGUSR1");
  _h_free_ char *config_after = h_read(config_path);
  ck_assert_msg(strcmp(config_before, config_after) == 0, "run changed the bundle's config.json");
  _h_result_ struct h_result s = h_rt("stop", "-t", "0", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

START_TEST(test_foreground_health) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = service_bundle("fg");
  _h_free_ char *id = h_id_new("fg");
  struct h_proc *run = h_rt_spawn("run", "--name", id, "--health-cmd", PROBE_HTTP,
                                  "--health-interval", "200ms", bundle, NULL);
  ck_assert(wait_health(id, "healthy", 15000));
  assert_list_shows(id, "running (healthy)");
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
  _h_result_ struct h_result f = h_proc_wait(run, 15000);
  ck_assert_msg(f.status == 137, "run in the foreground: %d %s", f.status, f.err);
  ck_assert_msg(!h_state_dir_exists(id), "run left the container");
}
END_TEST

/* The health check from the bundle's io.husk.healthcheck annotation (an image-config
 * Healthcheck), in the foreground; --no-healthcheck turns it off. */
START_TEST(test_annotation_healthcheck) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = service_bundle("annotation");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "annotations",
               json_pack("{s:s}", "io.husk.healthcheck",
                         "{\"Test\": [\"CMD-SHELL\", \"" PROBE_HTTP "\"], "
                         "\"Interval\": 200000000, \"Retries\": 2}"));
  h_config_save(bundle, config);
  _h_free_ char *id = h_id_new("annotation");
  struct h_proc *run = h_rt_spawn("run", "--name", id, bundle, NULL);
  ck_assert(wait_health(id, "healthy", 15000));
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
  _h_result_ struct h_result f = h_proc_wait(run, 15000);
  ck_assert_msg(f.status == 137, "run in the foreground: %d %s", f.status, f.err);

  _h_free_ char *off = h_id_new("annotation-off");
  _h_result_ struct h_result r = h_rt("run", "-d", "--no-healthcheck", "--name", off, bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d --no-healthcheck: %d %s", r.status, r.err);
  sleep_ms(500);
  _h_json_ json_t *st = h_state(off);
  ck_assert_ptr_null(json_object_get(st, "health"));
  _h_result_ struct h_result bad =
      h_rt("run", "-d", "--no-healthcheck", "--health-retries", "2", "--name", off, bundle, NULL);
  ck_assert_msg(bad.status != 0 && strstr(bad.err, "--no-healthcheck"), "%d %s", bad.status,
                bad.err);
  _h_result_ struct h_result s2 = h_rt("stop", "-t", "1", off, NULL);
  ck_assert_msg(s2.status == 0, "stop: %d %s", s2.status, s2.err);
}
END_TEST

START_TEST(test_events_health) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = service_bundle("events");
  _h_free_ char *id = h_id_new("events");
  run_service(bundle, id, "none");
  ck_assert(wait_health(id, "healthy", 15000));
  struct h_proc *events = h_rt_spawn("events", "--interval", "1h", id, NULL);
  sleep_ms(300);
  stop_httpd(id);
  ck_assert(wait_health(id, "unhealthy", 15000));
  _h_result_ struct h_result s = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
  _h_result_ struct h_result e = h_proc_wait(events, 15000);
  ck_assert_msg(e.status == 0, "events: %d %s", e.status, e.err);
  ck_assert_msg(strstr(e.out, "{\"type\":\"health_status\"") && strstr(e.out, "\"unhealthy\"") &&
                    strstr(e.out, "{\"type\":\"exit\""),
                "events: %s", e.out);
}
END_TEST

/* A fork-bomb probe, held by the container's pids limit, is killed at its timeout with all
 * it started: no zombie is left under a husk process, and the container stops cleanly. */
START_TEST(test_fork_bomb_probe) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = cmd_bundle("monbomb", "exec sleep 1000");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "linux.resources.pids", json_pack("{s:i}", "limit", 64));
  h_config_save(bundle, config);
  _h_free_ char *id = h_id_new("monbomb");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "--health-cmd", "f(){ f|f& };f; sleep 100",
           "--health-interval", "1s", "--health-timeout", "1s", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  pid_t mon = monitor_pid(id);
  for (int i = 0; i < 40; i++) { /* about three probes, each killed at its timeout */
    sleep_ms(100);
    /* A child that just exited is a zombie until its parent reaps it: only one that stays
     * half a second counts. */
    if (h_husk_zombies() > 0) {
      sleep_ms(500);
      ck_assert_msg(h_husk_zombies() == 0, "a zombie under a husk process after %d ms", i * 100);
    }
  }
  _h_json_ json_t *h = health_of(id);
  ck_assert_msg(json_array_size(json_object_get(h, "log")) >= 2, "fewer than two probes ran");
  _h_result_ struct h_result st = h_rt("stop", "-t", "1", id, NULL);
  ck_assert_msg(st.status == 0, "stop: %d %s", st.status, st.err);
  ck_assert(h_wait_pid_gone(mon, 10000));
  ck_assert_int_eq(h_husk_zombies(), 0);
}
END_TEST

/* A detached `sleep` with a 1 s health check that passes, once it is healthy; its id. */
static char *healthy_service(const char *name) {
  _h_free_ char *bundle = cmd_bundle(name, "exec sleep 1000");
  char *id = h_id_new(name);
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "--health-cmd", "true",
                                      "--health-interval", "1s", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  ck_assert(wait_health(id, "healthy", 10000));
  return id;
}

/* The monitor killed: the container dies with it (nothing else could reap it or record its
 * exit), and nothing shows it healthy any more. */
START_TEST(test_container_dies_with_monitor) {
  if (!h_is_husk())
    return;
  _h_free_ char *id = healthy_service("monkill");
  pid_t init = h_state_pid(id), mon = monitor_pid(id);
  ck_assert(init > 0 && mon > 0);
  kill(mon, SIGKILL);
  ck_assert_msg(h_wait_pid_gone(init, 5000), "the container outlived its monitor");
  _h_result_ struct h_result l = h_rt("list", NULL);
  ck_assert_msg(!strstr(l.out, "healthy"), "list still says healthy: %s", l.out);
  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete: %d %s", d.status, d.err);
  ck_assert(!h_cgroup_exists(id) && !h_state_dir_exists(id));
}
END_TEST

/* A stopped (SIGSTOP) monitor holds nobody for long: health run and logs -f fail at once and
 * say why, stop stops the container and warns. */
START_TEST(test_stopped_monitor_bounded) {
  if (!h_is_husk())
    return;
  _h_free_ char *id = healthy_service("monstop");
  pid_t init = h_state_pid(id), mon = monitor_pid(id);
  kill(mon, SIGSTOP);
  long long t0 = now_ms();
  _h_result_ struct h_result hr = h_rt("health", "run", id, NULL);
  ck_assert_msg(hr.status == 125 && strstr(hr.err, "stopped"), "health run: %d %s", hr.status,
                hr.err);
  _h_result_ struct h_result lg = h_rt("logs", "-f", id, NULL);
  ck_assert_msg(lg.status != 0 && strstr(lg.err, "stopped"), "logs -f: %d %s", lg.status, lg.err);
  _h_result_ struct h_result st = h_rt("stop", "-t", "1", id, NULL);
  long long took = now_ms() - t0;
  ck_assert_msg(st.status == 0, "stop: %d %s", st.status, st.err);
  ck_assert_msg(strstr(st.err, "did not record the exit"), "stop said: %s", st.err);
  ck_assert_msg(took < 15000, "health run and stop took %lld ms", took);
  ck_assert(h_wait_pid_gone(init, 5000));
  kill(mon, SIGCONT);
}
END_TEST

/* More concurrent `health run`s than the monitor takes: each gets an answer (0 or 1, the
 * probe's verdict; a loaded machine may fail one) or a clear "busy", never a broken pipe. */
START_TEST(test_concurrent_health_runs) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = cmd_bundle("monbusy", "exec sleep 1000");
  _h_free_ char *id = h_id_new("monbusy");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "--health-cmd", "sleep 0.3",
                                      "--health-interval", "30s", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  int ok = 0, busy = 0;
  for (int round = 0; round < 10; round++) {
    struct h_proc *p[16];
    for (int i = 0; i < 16; i++)
      p[i] = h_rt_spawn("health", "run", id, NULL);
    for (int i = 0; i < 16; i++) {
      _h_result_ struct h_result hr = h_proc_wait(p[i], 30000);
      if (hr.status == 0 || hr.status == 1) /* an answer: healthy, or the probe failed */
        ok++;
      else if (strstr(hr.err, "busy"))
        busy++;
      else
        ck_abort_msg("round %d, health run %d: %d %s", round, i, hr.status, hr.err);
    }
  }
  ck_assert_msg(ok > 0 && ok + busy == 160, "%d answered, %d busy", ok, busy);
}
END_TEST

int main(void) {
  Suite *s = suite_create("monitor");
  TCase *tc = h_tcase("monitor");
  tcase_add_test(tc, test_exit_zero);
  tcase_add_test(tc, test_exit_three);
  tcase_add_test(tc, test_exit_killed);
  tcase_add_test(tc, test_healthy_then_unhealthy);
  tcase_add_test(tc, test_health_run_errors);
  tcase_add_test(tc, test_probe_timeout_kills_probe);
  tcase_add_test(tc, test_restart_on_failure);
  tcase_add_test(tc, test_paused_not_probed);
  tcase_add_test(tc, test_on_failure_stop);
  tcase_add_test(tc, test_on_failure_kill);
  tcase_add_test(tc, test_stop_sigkill_after_timeout);
  tcase_add_test(tc, test_logs_follow);
  tcase_add_test(tc, test_logs_tail_since_until);
  tcase_add_test(tc, test_rm_and_wait_healthy);
  tcase_add_test(tc, test_run_conveniences);
  tcase_add_test(tc, test_foreground_health);
  tcase_add_test(tc, test_annotation_healthcheck);
  tcase_add_test(tc, test_events_health);
  tcase_add_test(tc, test_fork_bomb_probe);
  tcase_add_test(tc, test_container_dies_with_monitor);
  tcase_add_test(tc, test_stopped_monitor_bounded);
  tcase_add_test(tc, test_concurrent_health_runs);
  suite_add_tcase(s, tc);
  return h_main(s);
}
