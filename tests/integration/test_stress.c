/* test_stress.c: many containers at once, as an engine on a busy node starts them: 200 created,
 * started and deleted by 16 parallel workers (xargs -P 16), and 50 `run -d` with a 1 s health
 * check started and stopped concurrently. None may be lost, nothing may be left, and no husk
 * process may leave a zombie child behind. */
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* sh -c script, with RT, ROOT, BUNDLE and PREFIX in its environment. */
static struct h_result shell(const char *script, const char *bundle, const char *prefix) {
  setenv("RT", h_runtime(), 1);
  setenv("ROOT", h_state_root(), 1);
  setenv("BUNDLE", bundle, 1);
  setenv("PREFIX", prefix, 1);
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  return h_proc_wait(h_spawn((char *const *)argv, -1), 280000);
}

/* The lines "ok" a shell loop printed: one per container that went through. */
static int count_ok(const char *out) {
  int n = 0;
  for (const char *p = out; (p = strstr(p, "ok\n")); p += 3)
    n++;
  return n;
}

/* Nothing of any container whose id starts with prefix. */
static void check_nothing_left(const char *prefix) {
  for (int i = 0; i < 100 && h_process_mentions(prefix); i++)
    sleep_ms(50);
  ck_assert_msg(!h_process_mentions(prefix), "a process of %s* was left", prefix);
  DIR *d = opendir(h_state_root());
  for (struct dirent *e; d && (e = readdir(d));)
    ck_assert_msg(strncmp(e->d_name, prefix, strlen(prefix)) != 0, "state of %s left", e->d_name);
  if (d)
    closedir(d);
  ck_assert_int_eq(h_husk_zombies(), 0);
}

START_TEST(test_200_concurrent_lifecycles) {
  _h_free_ char *bundle = h_bundle_cmd("stress", "true");
  char prefix[32];
  snprintf(prefix, sizeof(prefix), "st%d-", getpid());
  _h_result_ struct h_result r = shell(
      "seq 1 200 | xargs -P 16 -I{} sh -c '"
      "\"$RT\" --root \"$ROOT\" create --bundle \"$BUNDLE\" \"${PREFIX}{}\" && "
      "\"$RT\" --root \"$ROOT\" start \"${PREFIX}{}\" && "
      "\"$RT\" --root \"$ROOT\" delete --force \"${PREFIX}{}\" && echo ok' 2>&1",
      bundle, prefix);
  int ok = count_ok(r.out);
  ck_assert_msg(r.status == 0 && ok == 200, "%d of 200 went through (exit %d): %s", ok, r.status,
                r.out);
  check_nothing_left(prefix);
}
END_TEST

START_TEST(test_50_concurrent_services) {
  if (!h_is_husk())
    return; /* run -d with a health check is husk's own */
  _h_free_ char *bundle = h_bundle_cmd("stress", "exec sleep 1000");
  char prefix[32];
  snprintf(prefix, sizeof(prefix), "sv%d-", getpid());
  _h_result_ struct h_result up = shell(
      "seq 1 50 | xargs -P 16 -I{} sh -c '"
      "\"$RT\" --root \"$ROOT\" run -d --name \"${PREFIX}{}\" --health-cmd true "
      "--health-interval 1s \"$BUNDLE\" && echo ok' 2>&1",
      bundle, prefix);
  int ok = count_ok(up.out);
  ck_assert_msg(up.status == 0 && ok == 50, "%d of 50 started: %s", ok, up.out);
  /* Every one running and healthy within a few probes. */
  int healthy = 0;
  for (int tries = 0; tries < 60 && healthy < 50; tries++) {
    sleep_ms(250);
    _h_result_ struct h_result l = h_rt("list", NULL);
    healthy = 0;
    for (const char *p = l.out; (p = strstr(p, "running (healthy)")); p++)
      healthy++;
  }
  ck_assert_msg(healthy == 50, "%d of 50 healthy", healthy);
  _h_result_ struct h_result down = shell(
      "seq 1 50 | xargs -P 16 -I{} sh -c '"
      "\"$RT\" --root \"$ROOT\" stop -t 2 \"${PREFIX}{}\" && "
      "\"$RT\" --root \"$ROOT\" delete \"${PREFIX}{}\" && echo ok' 2>&1",
      bundle, prefix);
  ok = count_ok(down.out);
  ck_assert_msg(down.status == 0 && ok == 50, "%d of 50 stopped and deleted: %s", ok, down.out);
  check_nothing_left(prefix);
}
END_TEST

int main(void) {
  Suite *s = suite_create("stress");
  TCase *tc = h_tcase("stress");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_200_concurrent_lifecycles);
  tcase_add_test(tc, test_50_concurrent_services);
  suite_add_tcase(s, tc);
  return h_main(s);
}
