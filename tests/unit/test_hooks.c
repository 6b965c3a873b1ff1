/* test_hooks.c: unit tests for runtime/container/hooks.c without root: the state on stdin, args and
 * env exactly as given, exit statuses, signals, exec failures and timeouts as errors, a
 * phase stopping (or, for poststart/poststop, going on) after a failure, and the config
 * copy that start and delete run their hooks from. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "cli/commands/commands.h"
#include "container/hooks.h"
#include "container/state.h"
#include "spec/spec.h"
#include "unit.h"

static char *g_dir;

static void setup(void) {
  char tmpl[] = "/tmp/husk-test-hooks-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
  g_dir = xstrdup(tmpl);
}

static void teardown(void) {
  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", g_dir);
  ck_assert_int_eq(system(cmd), 0);
  free(g_dir);
}

/* A file in the test's directory: its path (malloc'd). */
static char *path_of(const char *name) { return xasprintf("%s/%s", g_dir, name); }

static char *script(const char *name, const char *body) {
  char *path = path_of(name);
  _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write_all(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

static char *slurp(const char *name) {
  _cleanup_free_ char *path = path_of(name);
  char *text = NULL;
  if (read_file_at(AT_FDCWD, path, 1 << 22, &text, NULL) < 0)
    return NULL;
  return text;
}

static const char *const no_strings[] = {NULL};

static struct spec_hook hook_at(const char *path) {
  return (struct spec_hook){
      .path = path, .args = (const char **)no_strings, .env = (const char **)no_strings};
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

START_TEST(test_stdin_args_env) {
  _cleanup_free_ char *out = path_of("out");
  _cleanup_free_ char *cmd =
      xasprintf("printf '%%s|%%s|%%s|%%s' \"$0\" \"$1\" \"$A\" \"$(cat)\" > %s; "
                "env | sort > %s.env",
                out, out);
  const char *args[] = {"sh", "-c", cmd, "zero", "one", NULL};
  const char *env[] = {"A=1", "B=two words", NULL};
  struct spec_hook h = {.path = "/bin/sh", .args = args, .env = env};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(hook_run(&h, HOOK_CREATE_RUNTIME, 0, "{\"status\":\"creating\"}", &err), 0);
  _cleanup_free_ char *got = slurp("out");
  ck_assert_str_eq(got, "zero|one|1|{\"status\":\"creating\"}");
  /* Only the hook's env (and what sh itself adds: PWD, SHLVL). */
  _cleanup_free_ char *env_text = slurp("out.env");
  ck_assert_ptr_nonnull(strstr(env_text, "A=1\nB=two words\n"));
  ck_assert_ptr_null(strstr(env_text, "PATH="));
  ck_assert_ptr_null(strstr(env_text, "CK_FORK"));
}
END_TEST

/* With no args the hook's argv is just its path. The state is a shell script here, which sh
 * reads from stdin: so this also shows the whole state arrives there. */
START_TEST(test_no_args_means_path) {
  _cleanup_free_ char *out = path_of("argv0");
  _cleanup_free_ char *state = xasprintf("echo \"$0\" > %s\n", out);
  struct spec_hook h = hook_at("/bin/sh");
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(hook_run(&h, HOOK_PRESTART, 0, state, &err), 0);
  _cleanup_free_ char *got = slurp("argv0");
  ck_assert_str_eq(got, "/bin/sh\n");
}
END_TEST

/* More than a pipe holds by default: husk must not block on it. */
START_TEST(test_large_state) {
  size_t n = 200000;
  _cleanup_free_ char *state = xmalloc(n + 1);
  memset(state, 'x', n);
  state[n] = '\0';
  _cleanup_free_ char *out = path_of("big");
  _cleanup_free_ char *body = xasprintf("cat > %s", out);
  _cleanup_free_ char *path = script("big.sh", body);
  struct spec_hook h = hook_at(path);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(hook_run(&h, HOOK_POSTSTOP, 0, state, &err), 0);
  struct stat st;
  ck_assert_int_eq(stat(out, &st), 0);
  ck_assert_int_eq(st.st_size, (off_t)n);
}
END_TEST

/* A hook that never reads its stdin neither blocks husk nor kills it with SIGPIPE. */
START_TEST(test_stdin_ignored) {
  size_t n = 100000;
  _cleanup_free_ char *state = xmalloc(n + 1);
  memset(state, '{', n);
  state[n] = '\0';
  _cleanup_free_ char *path = script("ignore.sh", "exec 0<&-; exit 0");
  struct spec_hook h = hook_at(path);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(hook_run(&h, HOOK_POSTSTART, 0, state, &err), 0);
}
END_TEST

START_TEST(test_exit_status) {
  _cleanup_free_ char *path = script("fail.sh", "exit 3");
  struct spec_hook h = hook_at(path);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_lt(hook_run(&h, HOOK_CREATE_RUNTIME, 0, "{}", &err), 0);
  _cleanup_free_ char *want = xasprintf("hook createRuntime[0] (%s): exited with status 3", path);
  ck_assert_str_eq(err->message, want);
}
END_TEST

START_TEST(test_killed_by_signal) {
  _cleanup_free_ char *path = script("term.sh", "kill -TERM $$");
  struct spec_hook h = hook_at(path);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_lt(hook_run(&h, HOOK_CREATE_CONTAINER, 2, "{}", &err), 0);
  _cleanup_free_ char *want =
      xasprintf("hook createContainer[2] (%s): killed by signal 15 (SIGTERM)", path);
  ck_assert_str_eq(err->message, want);
}
END_TEST

START_TEST(test_exec_failure) {
  _cleanup_free_ char *missing = path_of("missing");
  struct spec_hook h = hook_at(missing);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(hook_run(&h, HOOK_START_CONTAINER, 0, "{}", &err), -ENOENT);
  _cleanup_free_ char *want =
      xasprintf("hook startContainer[0] (%s): exec: No such file or directory", missing);
  ck_assert_str_eq(err->message, want);
  /* Not executable */
  _cleanup_free_ char *path = script("noexec.sh", "exit 0");
  ck_assert_int_eq(chmod(path, 0644), 0);
  h = hook_at(path);
  husk_error_freep(&err);
  ck_assert_int_eq(hook_run(&h, HOOK_START_CONTAINER, 1, "{}", &err), -EACCES);
  want = (free(want), xasprintf("hook startContainer[1] (%s): exec: Permission denied", path));
  ck_assert_str_eq(err->message, want);
}
END_TEST

static bool pid_gone(pid_t pid) {
  for (int i = 0; i < 200; i++) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    _cleanup_free_ char *stat = NULL;
    if (read_file_at(AT_FDCWD, path, 4096, &stat, NULL) < 0)
      return true;
    const char *paren = strrchr(stat, ')');
    if (paren && (paren[2] == 'Z' || paren[2] == 'X'))
      return true;
    usleep(10000);
  }
  return false;
}

/* The timeout kills the hook and what it started (its process group). */
START_TEST(test_timeout) {
  _cleanup_free_ char *pidfile = path_of("sleep.pid");
  _cleanup_free_ char *body = xasprintf("sleep 30 & echo $! > %s; wait", pidfile);
  _cleanup_free_ char *path = script("slow.sh", body);
  struct spec_hook h = hook_at(path);
  h.has_timeout = true;
  h.timeout = 1;
  _cleanup_error_ struct husk_error *err = NULL;
  long long start = now_ms();
  ck_assert_int_eq(hook_run(&h, HOOK_POSTSTOP, 1, "{}", &err), -ETIMEDOUT);
  long long took = now_ms() - start;
  _cleanup_free_ char *want = xasprintf("hook poststop[1] (%s) timed out after 1 s", path);
  ck_assert_str_eq(err->message, want);
  ck_assert_msg(took >= 900 && took < 5000, "the timeout took %lld ms", took);
  _cleanup_free_ char *pid_text = slurp("sleep.pid");
  ck_assert_ptr_nonnull(pid_text);
  ck_assert_msg(pid_gone((pid_t)atoi(pid_text)), "the hook's child survived the timeout");
}
END_TEST

START_TEST(test_within_timeout) {
  _cleanup_free_ char *path = script("quick.sh", "cat >/dev/null; exit 0");
  struct spec_hook h = hook_at(path);
  h.has_timeout = true;
  h.timeout = 10;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(hook_run(&h, HOOK_POSTSTART, 0, "{}", &err), 0);
}
END_TEST

/* A spec with three hooks in one phase: log "a", fail with 4, log "c". */
static struct spec *three_hooks(enum spec_hook_phase phase) {
  _cleanup_free_ char *log = path_of("log");
  _cleanup_free_ char *a = xasprintf("echo a >> %s", log);
  _cleanup_free_ char *c = xasprintf("echo c >> %s", log);
  _cleanup_free_ char *pa = script("a.sh", a);
  _cleanup_free_ char *pb = script("b.sh", "exit 4");
  _cleanup_free_ char *pc = script("c.sh", c);
  _cleanup_free_ char *config =
      xasprintf("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
                "\"hooks\":{\"%s\":[{\"path\":\"%s\"},{\"path\":\"%s\"},{\"path\":\"%s\"}]}}",
                spec_hook_phase_name(phase), pa, pb, pc);
  struct spec *spec = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(spec_parse_string(config, &spec, &err) == 0, "%s", err ? err->message : "");
  return spec;
}

START_TEST(test_phase_stops_at_failure) {
  _cleanup_spec_ struct spec *spec = three_hooks(HOOK_CREATE_RUNTIME);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_lt(hooks_run(spec, HOOK_CREATE_RUNTIME, "{}", &err), 0);
  ck_assert_ptr_nonnull(strstr(err->message, "hook createRuntime[1] ("));
  ck_assert_ptr_nonnull(strstr(err->message, "): exited with status 4"));
  _cleanup_free_ char *log = slurp("log");
  ck_assert_str_eq(log, "a\n");
  /* No hooks in a phase: nothing to do. */
  ck_assert_int_eq(hooks_run(spec, HOOK_PRESTART, "{}", &err), 0);
}
END_TEST

START_TEST(test_phase_warns_and_goes_on) {
  _cleanup_spec_ struct spec *spec = three_hooks(HOOK_POSTSTOP);
  hooks_run_warn(spec, HOOK_POSTSTOP, "{}");
  _cleanup_free_ char *log = slurp("log");
  ck_assert_str_eq(log, "a\nc\n");
}
END_TEST

START_TEST(test_state_with_status) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_free_ char *out = NULL;
  ck_assert_int_eq(hooks_state_with_status("{\"id\":\"web\",\"status\":\"creating\",\"pid\":42}",
                                           "created", &out, &err),
                   0);
  ck_assert_str_eq(out, "{\"id\":\"web\",\"status\":\"created\",\"pid\":42}");
  char *none = (char *)"untouched";
  ck_assert_int_eq(hooks_state_with_status("[1]", "created", &none, &err), -EINVAL);
  ck_assert_str_eq(none, "untouched");
  ck_assert_str_eq(err->message, "container state for hooks: not an object");
}
END_TEST

static struct container_state sample_state(void) {
  return (struct container_state){.id = (char *)"web",
                                  .pid = 4242,
                                  .bundle = (char *)"/b",
                                  .rootfs = (char *)"/b/rootfs",
                                  .created = (char *)"2024-01-01T00:00:00Z",
                                  .owner = 0};
}

START_TEST(test_state_text) {
  struct container_state st = sample_state();
  _cleanup_free_ char *creating = hooks_state_text(&st, STATUS_CREATING);
  ck_assert_ptr_null(strchr(creating, '\n'));
  ck_assert_ptr_nonnull(strstr(creating, "\"status\":\"creating\""));
  ck_assert_ptr_nonnull(strstr(creating, "\"pid\":4242"));
  ck_assert_ptr_nonnull(strstr(creating, "\"id\":\"web\""));
  ck_assert_ptr_nonnull(strstr(creating, "\"bundle\":\"/b\""));
  _cleanup_free_ char *stopped = hooks_state_text(&st, STATUS_STOPPED);
  ck_assert_ptr_nonnull(strstr(stopped, "\"status\":\"stopped\""));
}
END_TEST

/* create keeps config.json only when start or delete will need it; they run its hooks. */
START_TEST(test_saved_config) {
  _cleanup_close_ int dir = open(g_dir, O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(dir, 0);
  _cleanup_free_ char *out = path_of("poststop.out");
  _cleanup_free_ char *body = xasprintf("cat > %s", out);
  _cleanup_free_ char *path = script("poststop.sh", body);
  _cleanup_free_ char *config = xasprintf("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
                                          "\"hooks\":{\"poststop\":[{\"path\":\"%s\"}]}}",
                                          path);
  _cleanup_spec_ struct spec *with = NULL;
  _cleanup_spec_ struct spec *without = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(spec_parse_string("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
                                     "\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\"}]}}",
                                     &without, &err),
                   0);
  ck_assert_int_eq(hooks_save_config(dir, without, false, &err), 0);
  ck_assert_int_ne(faccessat(dir, HOOKS_CONFIG_FILE, F_OK, 0), 0);
  struct container_state st = sample_state();
  hooks_run_saved(dir, &st, HOOK_POSTSTOP, STATUS_STOPPED); /* none saved: nothing runs */
  ck_assert_int_ne(access(out, F_OK), 0);

  ck_assert_int_eq(spec_parse_string(config, &with, &err), 0);
  ck_assert_int_eq(hooks_save_config(dir, with, false, &err), 0);
  ck_assert_int_eq(faccessat(dir, HOOKS_CONFIG_FILE, F_OK, 0), 0);
  hooks_run_saved(dir, &st, HOOK_POSTSTART, STATUS_RUNNING); /* no poststart hooks */
  ck_assert_int_ne(access(out, F_OK), 0);
  hooks_run_saved(dir, &st, HOOK_POSTSTOP, STATUS_STOPPED);
  _cleanup_free_ char *got = slurp("poststop.out");
  ck_assert_ptr_nonnull(got);
  ck_assert_ptr_nonnull(strstr(got, "\"status\":\"stopped\""));
  ck_assert_ptr_nonnull(strstr(got, "\"id\":\"web\""));
  ck_assert_ptr_nonnull(strstr(got, "\"pid\":0"));
}
END_TEST

/* `husk features` advertises every phase, since every one runs. */
START_TEST(test_features_lists_hooks) {
  _cleanup_json_ json_t *f = features_json();
  json_t *hooks = json_object_get(f, "hooks");
  ck_assert_int_eq(json_array_size(hooks), HOOK_PHASE_COUNT);
  for (int ph = 0; ph < HOOK_PHASE_COUNT; ph++)
    ck_assert_str_eq(json_string_value(json_array_get(hooks, (size_t)ph)),
                     spec_hook_phase_name((enum spec_hook_phase)ph));
}
END_TEST

static Suite *hooks_suite(void) {
  Suite *s = suite_create("hooks");
  TCase *run = tcase_create("run");
  tcase_add_checked_fixture(run, setup, teardown);
  tcase_set_timeout(run, 30);
  tcase_add_test(run, test_stdin_args_env);
  tcase_add_test(run, test_no_args_means_path);
  tcase_add_test(run, test_large_state);
  tcase_add_test(run, test_stdin_ignored);
  tcase_add_test(run, test_exit_status);
  tcase_add_test(run, test_killed_by_signal);
  tcase_add_test(run, test_exec_failure);
  tcase_add_test(run, test_timeout);
  tcase_add_test(run, test_within_timeout);
  suite_add_tcase(s, run);
  TCase *phases = tcase_create("phases");
  tcase_add_checked_fixture(phases, setup, teardown);
  tcase_add_test(phases, test_phase_stops_at_failure);
  tcase_add_test(phases, test_phase_warns_and_goes_on);
  tcase_add_test(phases, test_state_with_status);
  tcase_add_test(phases, test_state_text);
  tcase_add_test(phases, test_saved_config);
  tcase_add_test(phases, test_features_lists_hooks);
  suite_add_tcase(s, phases);
  return s;
}

int main(void) { return unit_run(hooks_suite()); }
