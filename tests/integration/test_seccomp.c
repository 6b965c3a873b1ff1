/* test_seccomp.c: integration tests of linux.seccomp through a foreground `run`: the filter
 * is in place, denied syscalls return the configured errno, argument filters, the default
 * profile of `husk spec`, both loading points (with and without noNewPrivileges), and bad
 * profiles that must make create fail cleanly. */
#include "harness.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* `run` a copy of the base bundle whose process is `sh -c cmd` and whose linux.seccomp is
 * seccomp (stolen; NULL for none), after edit(config) when given. */
static struct h_result run_with(const char *name, const char *cmd, json_t *seccomp,
                                void (*edit)(json_t *)) {
  _h_free_ char *bundle = h_bundle_new(name);
  _h_free_ char *id = h_id_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  if (seccomp)
    h_config_set(config, "linux.seccomp", seccomp);
  if (edit)
    edit(config);
  h_config_save(bundle, config);
  struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status != -1, "run hung: %s", r.err);
  ck_assert_msg(!h_state_dir_exists(id), "run left the container's state behind");
  return r;
}

/* Everything allowed but the named syscalls, which fail with errno_ret (0: the default). */
static json_t *deny(const char *names_csv, int errno_ret) {
  json_t *names = json_array();
  _h_free_ char *copy = strdup(names_csv);
  for (char *save = NULL, *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save))
    json_array_append_new(names, json_string(n));
  json_t *rule = json_pack("{s:o, s:s}", "names", names, "action", "SCMP_ACT_ERRNO");
  if (errno_ret)
    json_object_set_new(rule, "errnoRet", json_integer(errno_ret));
  return json_pack("{s:s, s:[o]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls", rule);
}

START_TEST(test_filter_in_place) {
  _h_result_ struct h_result r =
      run_with("status", "grep '^Seccomp:' /proc/self/status", deny("mkdir,mkdirat", 0), NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "Seccomp:\t2\n"), "status: %s", r.out);
}
END_TEST

/* The control: without linux.seccomp there is no filter. */
START_TEST(test_no_filter_without_profile) {
  _h_result_ struct h_result r =
      run_with("nostatus", "grep '^Seccomp:' /proc/self/status", NULL, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "Seccomp:\t0\n"), "status: %s", r.out);
}
END_TEST

START_TEST(test_denied_with_eperm) {
  _h_result_ struct h_result r = run_with(
      "eperm", "mkdir /tmp/denied; echo rc=$?; ls -d /tmp/denied", deny("mkdir,mkdirat", 0), NULL);
  ck_assert_msg(strstr(r.out, "rc=1\n"), "out: %s err: %s", r.out, r.err);
  ck_assert_msg(strstr(r.err, "Operation not permitted"), "stderr: %s", r.err);
  ck_assert_msg(r.status != 0, "ls found the directory mkdir should not have made");
}
END_TEST

START_TEST(test_denied_with_errno_ret) {
  _h_result_ struct h_result r =
      run_with("enosys", "mkdir /tmp/denied; echo rc=$?", deny("mkdir,mkdirat", 38), NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "rc=1\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.err, "Function not implemented"), "stderr: %s", r.err);
}
END_TEST

/* kill(pid, sig) is denied only when sig (argument 1) is SIGUSR1 (10). */
START_TEST(test_argument_filter) {
  json_t *prof =
      json_pack("{s:s, s:[{s:[s], s:s, s:i, s:[{s:i, s:i, s:s}]}]}", "defaultAction",
                "SCMP_ACT_ALLOW", "syscalls", "names", "kill", "action", "SCMP_ACT_ERRNO",
                "errnoRet", 13, "args", "index", 1, "value", 10, "op", "SCMP_CMP_EQ");
  _h_result_ struct h_result r =
      run_with("args",
               "trap 'echo got-usr2' USR2; kill -0 $$ && echo zero-ok; kill -USR2 $$; "
               "kill -USR1 $$; echo usr1=$?",
               prof, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "zero-ok\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "got-usr2\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "usr1=1\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.err, "Permission denied"), "stderr: %s", r.err);
}
END_TEST

static void allow_new_privileges(json_t *config) {
  h_config_set(config, "process.noNewPrivileges", json_false());
}

/* Without no_new_privs the filter is loaded before the user changes; it still holds. */
START_TEST(test_without_no_new_privileges) {
  _h_result_ struct h_result r =
      run_with("nnp", "grep '^NoNewPrivs:' /proc/self/status; mkdir /tmp/denied; echo rc=$?",
               deny("mkdir,mkdirat", 38), allow_new_privileges);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "NoNewPrivs:\t0\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "rc=1\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.err, "Function not implemented"), "stderr: %s", r.err);
}
END_TEST

/* Profiles of older Docker, containerd and Kubernetes releases (and the OCI validation
 * suite's) do not list close_range: a filter loaded early (no noNewPrivileges) must not stop
 * the runtime's own set-up, and the process still gets only its own fds. */
START_TEST(test_early_filter_without_close_range) {
  _h_result_ struct h_result r = run_with(
      "noclose", "ls /proc/self/fd | tr '\\n' ' '; grep '^Seccomp:' /proc/self/status",
      deny("close_range", 1), allow_new_privileges);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "0 1 2 3 Seccomp:\t2\n"), "out: %s", r.out);
}
END_TEST

static void as_user_1000(json_t *config) {
  h_config_set(config, "process.user", json_pack("{s:i, s:i}", "uid", 1000, "gid", 1000));
}

/* With no_new_privs the filter is loaded last, after the switch to an unprivileged user:
 * no_new_privs is what lets it load without CAP_SYS_ADMIN. */
START_TEST(test_non_root_user) {
  _h_result_ struct h_result r =
      run_with("user",
               "id -u; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; mkdir /tmp/denied; "
               "echo rc=$?",
               deny("mkdir,mkdirat", 38), as_user_1000);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "1000\nNoNewPrivs:\t1\nSeccomp:\t2\nrc=1\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.err, "Function not implemented"), "stderr: %s", r.err);
}
END_TEST

/* Profiles list syscalls of newer kernels: an unknown name is skipped, the rest applies. */
START_TEST(test_unknown_syscall_skipped) {
  _h_result_ struct h_result r = run_with("unknown", "mkdir /tmp/denied; echo rc=$?",
                                          deny("no_such_syscall_42,mkdir,mkdirat", 38), NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "rc=1\n"), "out: %s", r.out);
}
END_TEST

static void log_flags(json_t *config) {
  h_config_set(config, "linux.seccomp.flags",
               json_pack("[s,s]", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
}

START_TEST(test_flags) {
  if (!h_is_husk())
    return; /* runc 1.1 refuses every flag ("seccomp flags are not yet supported by runc") */
  _h_result_ struct h_result r =
      run_with("flags", "mkdir /tmp/denied; echo rc=$?", deny("mkdir,mkdirat", 38), log_flags);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "rc=1\n"), "out: %s", r.out);
}
END_TEST

/* linux.seccomp of the config.json `husk spec` writes (husk's, whatever runtime is tested). */
static json_t *husk_spec_profile(void) {
  const char *husk = getenv("HUSK_BINARY");
  if (!husk)
    husk = h_runtime();
  _h_free_ char *dir = h_dir_new("spec");
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    execl(husk, husk, "spec", "--bundle", dir, (char *)NULL);
    _exit(127);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "husk spec failed");
  _h_json_ json_t *config = h_config_load(dir);
  json_t *prof = json_object_get(json_object_get(config, "linux"), "seccomp");
  ck_assert_msg(json_is_object(prof), "husk spec wrote no linux.seccomp");
  return json_incref(prof);
}

/* CAP_SYS_ADMIN, so that only the filter can be what denies unshare and mount. */
static void with_sys_admin(json_t *config) { h_config_add_cap(config, "CAP_SYS_ADMIN"); }

static const char default_profile_cmd[] =
    "echo hello; ls / >/dev/null && echo ls-ok; grep '^Seccomp:' /proc/self/status; "
    "unshare -u true; echo unshare=$?; mount -t tmpfs none /tmp; echo mount=$?";

START_TEST(test_default_profile) {
  _h_result_ struct h_result r =
      run_with("default", default_profile_cmd, husk_spec_profile(), with_sys_admin);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "hello\nls-ok\nSeccomp:\t2\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "unshare=1\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "mount=1\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.err, "Operation not permitted"), "stderr: %s", r.err);
}
END_TEST

/* The control for the test above: with CAP_SYS_ADMIN and no filter, both work. */
START_TEST(test_sys_admin_without_profile) {
  _h_result_ struct h_result r = run_with("nodefault", default_profile_cmd, NULL, with_sys_admin);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "unshare=0\n"), "out: %s err: %s", r.out, r.err);
  ck_assert_msg(strstr(r.out, "mount=0\n"), "out: %s err: %s", r.out, r.err);
}
END_TEST

START_TEST(test_trace_mentions_seccomp) {
  if (!h_is_husk())
    return; /* --trace is husk's own */
  _h_free_ char *bundle = h_bundle_new("trace");
  _h_free_ char *id = h_id_new("trace");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, "true");
  h_config_set(config, "linux.seccomp", deny("mkdir", 0));
  h_config_save(bundle, config);
  _h_result_ struct h_result r = h_rt("--trace", "run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "--trace run: %d %s", r.status, r.err);
  const char *load = strstr(r.err, "seccomp(SECCOMP_SET_MODE_FILTER, 0, ");
  ck_assert_msg(load, "no seccomp step in:\n%s", r.err);
  ck_assert_msg(strstr(load, "execveat("), "seccomp is not loaded before the execve:\n%s", r.err);
}
END_TEST

static void check_bad(const char *name, json_t *seccomp, const char *husk_wording) {
  _h_free_ char *bundle = h_bundle_new(name);
  _h_free_ char *id = h_id_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "linux.seccomp", seccomp);
  h_config_save(bundle, config);
  h_assert_create_fails_cleanly(bundle, id, husk_wording);
}

START_TEST(test_unknown_action) {
  json_t *prof = deny("mkdir", 0);
  json_t *rule = json_pack("{s:[s], s:s}", "names", "getpid", "action", "SCMP_ACT_FOO");
  json_array_append_new(json_object_get(prof, "syscalls"), rule);
  check_bad("badaction", prof, "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
}
END_TEST

START_TEST(test_unknown_operator) {
  json_t *prof =
      json_pack("{s:s, s:[{s:[s], s:s, s:[{s:i, s:i, s:s}]}]}", "defaultAction", "SCMP_ACT_ALLOW",
                "syscalls", "names", "kill", "action", "SCMP_ACT_ERRNO", "args", "index", 1,
                "value", 10, "op", "SCMP_CMP_ALMOST");
  check_bad("badop", prof,
            "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ALMOST\"");
}
END_TEST

START_TEST(test_unknown_architecture) {
  json_t *prof = deny("mkdir", 0);
  h_config_set(prof, "architectures", json_pack("[s]", "SCMP_ARCH_VAX"));
  check_bad("badarch", prof, "linux.seccomp.architectures[0]: unknown architecture");
}
END_TEST

START_TEST(test_unknown_flag) {
  json_t *prof = deny("mkdir", 0);
  h_config_set(prof, "flags", json_pack("[s]", "SECCOMP_FILTER_FLAG_FAST"));
  check_bad("badflag", prof, "linux.seccomp.flags[0]: unknown flag");
}
END_TEST

int main(void) {
  Suite *s = suite_create("seccomp");
  TCase *tc = h_tcase("seccomp");
  tcase_add_test(tc, test_filter_in_place);
  tcase_add_test(tc, test_no_filter_without_profile);
  tcase_add_test(tc, test_denied_with_eperm);
  tcase_add_test(tc, test_denied_with_errno_ret);
  tcase_add_test(tc, test_argument_filter);
  tcase_add_test(tc, test_without_no_new_privileges);
  tcase_add_test(tc, test_early_filter_without_close_range);
  tcase_add_test(tc, test_non_root_user);
  tcase_add_test(tc, test_unknown_syscall_skipped);
  tcase_add_test(tc, test_flags);
  tcase_add_test(tc, test_default_profile);
  tcase_add_test(tc, test_sys_admin_without_profile);
  tcase_add_test(tc, test_trace_mentions_seccomp);
  tcase_add_test(tc, test_unknown_action);
  tcase_add_test(tc, test_unknown_operator);
  tcase_add_test(tc, test_unknown_architecture);
  tcase_add_test(tc, test_unknown_flag);
  suite_add_tcase(s, tc);
  return h_main(s);
}
