/* test_lifecycle.c: integration tests of the runtime's lifecycle commands (runc's contract):
 * create, state, start, kill, delete, run -d, list, spec and --version. */
#include "harness.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The container's process: sets its traps first (pid 1 ignores signals it does not handle),
 * then writes /out/ran (a host directory) and waits at most a minute for SIGTERM. */
static const char LOOP[] = "trap 'exit 0' TERM; "
                           "trap 'echo usr1 >>/out/usr1' USR1; "
                           "touch /out/ran; "
                           "i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done";

/* A bundle running LOOP with out (a new host directory) bind-mounted at /out. */
static char *loop_bundle(const char *name, char **ret_out) {
  char *bundle = h_bundle_new(name);
  char *out = h_dir_new("out");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, LOOP);
  h_config_add_mount(config, "/out", "bind", out, "rbind", "rw", NULL);
  h_config_save(bundle, config);
  *ret_out = out;
  return bundle;
}

static void assert_status(const char *id, const char *status) {
  _h_json_ json_t *st = h_state(id);
  ck_assert_msg(st, "state %s failed", id);
  ck_assert_str_eq(json_string_value(json_object_get(st, "status")), status);
}

static void create_started(const char *bundle, const char *id, const char *out) {
  h_create_and_start(bundle, id);
  _h_free_ char *ran = NULL;
  ck_assert(asprintf(&ran, "%s/ran", out) > 0);
  ck_assert_msg(h_wait_file(ran, 10000), "the process did not run after start");
  assert_status(id, "running");
}

START_TEST(test_full_lifecycle) {
  _h_free_ char *out = NULL;
  _h_free_ char *bundle = loop_bundle("life", &out);
  _h_free_ char *id = h_id_new("life");
  _h_free_ char *pid_file = NULL, *ran = NULL;
  ck_assert(asprintf(&pid_file, "%s/pid", out) > 0);
  ck_assert(asprintf(&ran, "%s/ran", out) > 0);

  /* A relative --bundle: state must still report it absolute. */
  _h_free_ char *parent = strdup(bundle);
  *strrchr(parent, '/') = '\0';
  ck_assert_int_eq(chdir(parent), 0);
  _h_result_ struct h_result c =
      h_rt("create", "--bundle", strrchr(bundle, '/') + 1, "--pid-file", pid_file, id, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  ck_assert_msg(c.out[0] == '\0', "create printed: %s", c.out);
  ck_assert_msg(h_state_dir_exists(id), "no state directory under --root");

  _h_json_ json_t *st = h_state(id);
  ck_assert_msg(st, "state after create failed");
  ck_assert_str_eq(json_string_value(json_object_get(st, "status")), "created");
  ck_assert_str_eq(json_string_value(json_object_get(st, "id")), id);
  ck_assert_str_eq(json_string_value(json_object_get(st, "bundle")), bundle);
  ck_assert(json_is_string(json_object_get(st, "ociVersion")));
  ck_assert(json_is_string(json_object_get(st, "created")));
  ck_assert(json_object_get(st, "owner") != NULL);
  pid_t pid = (pid_t)json_integer_value(json_object_get(st, "pid"));
  ck_assert_msg(h_pid_alive(pid), "the init (%d) of a created container is not alive", pid);
  _h_free_ char *pid_text = h_read(pid_file);
  ck_assert_msg(pid_text, "no --pid-file written");
  ck_assert_int_eq(atoi(pid_text), pid);
  usleep(300 * 1000);
  ck_assert_msg(!h_exists(ran), "the process ran before start");

  _h_result_ struct h_result s = h_rt("start", id, NULL);
  ck_assert_msg(s.status == 0, "start: %d %s", s.status, s.err);
  ck_assert_msg(s.out[0] == '\0', "start printed: %s", s.out);
  ck_assert_msg(h_wait_file(ran, 10000), "the process did not run after start");
  assert_status(id, "running");
  ck_assert_int_eq(h_state_pid(id), pid);

  _h_result_ struct h_result k = h_rt("kill", id, NULL);
  ck_assert_msg(k.status == 0, "kill: %d %s", k.status, k.err);
  ck_assert_msg(h_wait_status(id, "stopped", 10000), "not stopped after kill (SIGTERM)");
  ck_assert(h_wait_pid_gone(pid, 5000));

  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete: %d %s", d.status, d.err);
  _h_result_ struct h_result s2 = h_rt("state", id, NULL);
  ck_assert_msg(s2.status != 0, "state succeeded after delete");
  ck_assert_msg(!h_state_dir_exists(id), "the state directory outlived delete");
}
END_TEST

START_TEST(test_kill_signal_forms) {
  _h_free_ char *out = NULL;
  _h_free_ char *bundle = loop_bundle("sig", &out);
  _h_free_ char *id = h_id_new("sig");
  _h_free_ char *usr1 = NULL;
  ck_assert(asprintf(&usr1, "%s/usr1", out) > 0);
  create_started(bundle, id, out);

  const char *forms[] = {"USR1", "SIGUSR1", "10"};
  for (int i = 0; i < 3; i++) {
    _h_result_ struct h_result k = h_rt("kill", id, forms[i], NULL);
    ck_assert_msg(k.status == 0, "kill %s: %d %s", forms[i], k.status, k.err);
    for (int t = 0; t < 200; t++) {
      _h_free_ char *text = h_read(usr1);
      if (text && h_lines(text) == i + 1)
        break;
      usleep(50 * 1000);
    }
    _h_free_ char *text = h_read(usr1);
    ck_assert_msg(text && h_lines(text) == i + 1, "kill %s: the trap did not run", forms[i]);
  }
  assert_status(id, "running");

  _h_result_ struct h_result k = h_rt("kill", id, "KILL", NULL);
  ck_assert_msg(k.status == 0, "kill KILL: %d %s", k.status, k.err);
  ck_assert_msg(h_wait_status(id, "stopped", 10000), "not stopped after SIGKILL");
  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete: %d %s", d.status, d.err);
}
END_TEST

START_TEST(test_delete_running_needs_force) {
  _h_free_ char *out = NULL;
  _h_free_ char *bundle = loop_bundle("delrun", &out);
  _h_free_ char *id = h_id_new("delrun");
  create_started(bundle, id, out);
  pid_t pid = h_state_pid(id);

  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status != 0, "delete of a running container succeeded without --force");
  ck_assert_msg(d.err[0] != '\0', "delete failed without a message");
  assert_status(id, "running");
  ck_assert(h_pid_alive(pid));

  _h_result_ struct h_result f = h_rt("delete", "--force", id, NULL);
  ck_assert_msg(f.status == 0, "delete --force: %d %s", f.status, f.err);
  ck_assert_msg(h_wait_pid_gone(pid, 5000), "the process outlived delete --force");
  ck_assert(!h_state_dir_exists(id));
  _h_result_ struct h_result s = h_rt("state", id, NULL);
  ck_assert(s.status != 0);
}
END_TEST

START_TEST(test_delete_created) {
  _h_free_ char *out = NULL;
  _h_free_ char *bundle = loop_bundle("delcr", &out);
  _h_free_ char *id = h_id_new("delcr");
  _h_free_ char *ran = NULL;
  ck_assert(asprintf(&ran, "%s/ran", out) > 0);
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  pid_t pid = h_state_pid(id);
  ck_assert(h_pid_alive(pid));

  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete of a created container: %d %s", d.status, d.err);
  ck_assert_msg(h_wait_pid_gone(pid, 5000), "the init outlived delete");
  ck_assert(!h_state_dir_exists(id));
  ck_assert(!h_process_mentions(id));
  ck_assert_msg(!h_exists(ran), "the process of a never-started container ran");
}
END_TEST

START_TEST(test_create_duplicate_id) {
  _h_free_ char *out = NULL;
  _h_free_ char *bundle = loop_bundle("dup", &out);
  _h_free_ char *other = h_bundle_new("dup2");
  _h_free_ char *id = h_id_new("dup");
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  pid_t pid = h_state_pid(id);

  _h_result_ struct h_result c2 = h_rt("create", "--bundle", other, id, NULL);
  ck_assert_msg(c2.status != 0, "a second create of the same id succeeded");
  ck_assert(c2.err[0] != '\0');
  if (h_is_husk())
    ck_assert_msg(strstr(c2.err, "already exists"), "stderr: %s", c2.err);
  /* The first container is untouched. */
  _h_json_ json_t *st = h_state(id);
  ck_assert(st);
  ck_assert_str_eq(json_string_value(json_object_get(st, "status")), "created");
  ck_assert_str_eq(json_string_value(json_object_get(st, "bundle")), bundle);
  ck_assert_int_eq(json_integer_value(json_object_get(st, "pid")), pid);
  ck_assert(h_pid_alive(pid));
}
END_TEST

START_TEST(test_start_twice_fails) {
  _h_free_ char *out = NULL;
  _h_free_ char *bundle = loop_bundle("start2", &out);
  _h_free_ char *id = h_id_new("start2");
  create_started(bundle, id, out);
  _h_result_ struct h_result s = h_rt("start", id, NULL);
  ck_assert_msg(s.status != 0, "start of a running container succeeded");
  ck_assert(s.err[0] != '\0');
  assert_status(id, "running");
}
END_TEST

START_TEST(test_unknown_id) {
  const char *cmds[][3] = {
      {"state", NULL, NULL}, {"start", NULL, NULL}, {"kill", "KILL", NULL}, {"delete", NULL, NULL}};
  for (size_t i = 0; i < 4; i++) {
    _h_result_ struct h_result r = cmds[i][1]
                                       ? h_rt(cmds[i][0], "hit-no-such-container", cmds[i][1], NULL)
                                       : h_rt(cmds[i][0], "hit-no-such-container", NULL);
    ck_assert_msg(r.status > 0, "%s of a missing container: %d", cmds[i][0], r.status);
    ck_assert_msg(r.err[0] != '\0', "%s failed without a message", cmds[i][0]);
    if (h_is_husk())
      ck_assert_msg(strstr(r.err, "does not exist"), "%s: %s", cmds[i][0], r.err);
  }
  /* As with runc, delete --force of a missing container is not an error. */
  _h_result_ struct h_result f = h_rt("delete", "--force", "hit-no-such-container", NULL);
  ck_assert_msg(f.status == 0, "delete --force of a missing container: %d %s", f.status, f.err);
}
END_TEST

START_TEST(test_run_detached) {
  _h_free_ char *out = NULL;
  _h_free_ char *bundle = loop_bundle("detach", &out);
  _h_free_ char *id = h_id_new("detach");
  _h_free_ char *ran = NULL;
  ck_assert(asprintf(&ran, "%s/ran", out) > 0);
  _h_result_ struct h_result r = h_rt("run", "-d", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  ck_assert_msg(h_wait_file(ran, 10000), "the process did not run");
  assert_status(id, "running");
  _h_result_ struct h_result k = h_rt("kill", id, "SIGKILL", NULL);
  ck_assert_msg(k.status == 0, "kill: %d %s", k.status, k.err);
  ck_assert(h_wait_status(id, "stopped", 10000));
  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete: %d %s", d.status, d.err);
}
END_TEST

static bool has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; (p = strstr(p, line)); p += n)
    if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
      return true;
  return false;
}

START_TEST(test_list) {
  _h_free_ char *out = NULL;
  _h_free_ char *bundle = loop_bundle("list", &out);
  _h_free_ char *id1 = h_id_new("list");
  _h_free_ char *id2 = h_id_new("list");
  _h_result_ struct h_result c1 = h_rt("create", "--bundle", bundle, id1, NULL);
  ck_assert_msg(c1.status == 0, "create: %d %s", c1.status, c1.err);
  _h_result_ struct h_result c2 = h_rt("create", "--bundle", bundle, id2, NULL);
  ck_assert_msg(c2.status == 0, "create: %d %s", c2.status, c2.err);

  _h_result_ struct h_result q = h_rt("list", "-q", NULL);
  ck_assert_msg(q.status == 0, "list -q: %d %s", q.status, q.err);
  ck_assert_msg(has_line(q.out, id1) && has_line(q.out, id2), "list -q: %s", q.out);

  _h_result_ struct h_result j = h_rt("list", "--format", "json", NULL);
  ck_assert_msg(j.status == 0, "list --format json: %d %s", j.status, j.err);
  _h_json_ json_t *list = json_loads(j.out, 0, NULL);
  ck_assert_msg(json_is_array(list), "list --format json: %s", j.out);
  int seen = 0;
  for (size_t i = 0; i < json_array_size(list); i++) {
    json_t *c = json_array_get(list, i);
    const char *id = json_string_value(json_object_get(c, "id"));
    if (id && (strcmp(id, id1) == 0 || strcmp(id, id2) == 0)) {
      ck_assert_str_eq(json_string_value(json_object_get(c, "status")), "created");
      ck_assert_str_eq(json_string_value(json_object_get(c, "bundle")), bundle);
      seen++;
    }
  }
  ck_assert_int_eq(seen, 2);
}
END_TEST

START_TEST(test_spec) {
  _h_free_ char *dir = h_dir_new("spec");
  _h_free_ char *path = NULL;
  ck_assert(asprintf(&path, "%s/config.json", dir) > 0);
  _h_result_ struct h_result r = h_rt_noroot("spec", "--bundle", dir, NULL);
  ck_assert_msg(r.status == 0, "spec: %d %s", r.status, r.err);
  _h_json_ json_t *config = json_load_file(path, 0, NULL);
  ck_assert_msg(json_is_object(config), "spec wrote no JSON object");
  const char *version = json_string_value(json_object_get(config, "ociVersion"));
  ck_assert(version && strncmp(version, "1.", 2) == 0);
  if (h_is_husk())
    ck_assert_msg(strncmp(version, "1.2.", 4) == 0, "ociVersion %s", version);
  json_t *args = json_object_get(json_object_get(config, "process"), "args");
  ck_assert(json_is_array(args) && json_array_size(args) > 0);
  ck_assert(json_is_string(json_object_get(json_object_get(config, "root"), "path")));

  _h_free_ char *dir2 = h_dir_new("spec-rootless");
  _h_free_ char *path2 = NULL;
  ck_assert(asprintf(&path2, "%s/config.json", dir2) > 0);
  _h_result_ struct h_result r2 = h_rt_noroot("spec", "--rootless", "--bundle", dir2, NULL);
  ck_assert_msg(r2.status == 0, "spec --rootless: %d %s", r2.status, r2.err);
  _h_json_ json_t *rootless = json_load_file(path2, 0, NULL);
  json_t *linux_ = json_object_get(rootless, "linux");
  json_t *nss = json_object_get(linux_, "namespaces");
  bool user = false;
  for (size_t i = 0; i < json_array_size(nss); i++) {
    const char *t = json_string_value(json_object_get(json_array_get(nss, i), "type"));
    user |= t && strcmp(t, "user") == 0;
  }
  ck_assert_msg(user, "spec --rootless has no user namespace");
  ck_assert(json_array_size(json_object_get(linux_, "uidMappings")) > 0);
  ck_assert(json_array_size(json_object_get(linux_, "gidMappings")) > 0);
}
END_TEST

START_TEST(test_version) {
  _h_result_ struct h_result r = h_rt_noroot("--version", NULL);
  ck_assert_msg(r.status == 0, "--version: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "\nspec: "), "--version: %s", r.out);
  if (!h_is_husk())
    return;
  ck_assert_msg(h_lines(r.out) == 3, "--version: %s", r.out);
  ck_assert_msg(strncmp(r.out, "husk version ", 13) == 0, "--version: %s", r.out);
  ck_assert_msg(strstr(r.out, "\ncommit: "), "--version: %s", r.out);
  ck_assert_msg(strstr(r.out, "\nspec: 1.2."), "--version: %s", r.out);
}
END_TEST

int main(void) {
  Suite *s = suite_create("lifecycle");
  TCase *tc = h_tcase("lifecycle");
  tcase_add_test(tc, test_full_lifecycle);
  tcase_add_test(tc, test_kill_signal_forms);
  tcase_add_test(tc, test_delete_running_needs_force);
  tcase_add_test(tc, test_delete_created);
  tcase_add_test(tc, test_create_duplicate_id);
  tcase_add_test(tc, test_start_twice_fails);
  tcase_add_test(tc, test_unknown_id);
  tcase_add_test(tc, test_run_detached);
  tcase_add_test(tc, test_list);
  tcase_add_test(tc, test_spec);
  tcase_add_test(tc, test_version);
  suite_add_tcase(s, tc);
  return h_main(s);
}
