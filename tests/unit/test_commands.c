/* test_commands.c: unit tests for `husk spec` and `husk features` (runtime/cli/commands/spec.c,
 * runtime/cli/commands/features.c), driven through their functions, without root. */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "cli/commands/commands.h"
#include "husk-config.h"
#include "spec/spec.h"
#include "unit.h"

static const struct global_options no_globals;

/* A fresh temporary bundle directory; remove_bundle() deletes it with its config.json. */
static char *make_bundle(void) {
  char *dir = xstrdup("/tmp/husk-test-commands-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  return dir;
}

static void remove_bundle(char *dir) {
  _cleanup_free_ char *config = xasprintf("%s/config.json", dir);
  unlink(config);
  ck_assert_int_eq(rmdir(dir), 0);
  free(dir);
}

static bool array_has_string(json_t *array, const char *s) {
  size_t i;
  json_t *v;
  ck_assert_msg(json_is_array(array), "expected an array looking for %s", s);
  json_array_foreach(array, i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
      return true;
  }
  return false;
}

static bool has_namespace(json_t *config, const char *type) {
  json_t *list = json_object_get(json_object_get(config, "linux"), "namespaces");
  size_t i;
  json_t *ns;
  ck_assert(json_is_array(list));
  json_array_foreach(list, i, ns) {
    if (strcmp(json_string_value(json_object_get(ns, "type")), type) == 0)
      return true;
  }
  return false;
}

static json_t *mount_at(json_t *config, const char *destination) {
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(config, "mounts"), i, m) {
    if (strcmp(json_string_value(json_object_get(m, "destination")), destination) == 0)
      return m;
  }
  ck_abort_msg("no mount at %s", destination);
  return NULL;
}

static const char *path_string(json_t *root, const char *a, const char *b) {
  json_t *v = json_object_get(root, a);
  if (b)
    v = json_object_get(v, b);
  ck_assert_msg(json_is_string(v), "%s.%s is not a string", a, b ? b : "");
  return json_string_value(v);
}

START_TEST(test_default_config) {
  _cleanup_json_ json_t *c = spec_default_config(false);
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(path_string(c, "ociVersion", NULL), "1.2.0");
  ck_assert_str_eq(path_string(c, "root", "path"), "rootfs");
  ck_assert(json_is_true(json_object_get(json_object_get(c, "root"), "readonly")));
  ck_assert_str_eq(path_string(c, "hostname", NULL), "husk");

  json_t *process = json_object_get(c, "process");
  json_t *args = json_object_get(process, "args");
  ck_assert_int_eq(json_array_size(args), 1);
  ck_assert_str_eq(json_string_value(json_array_get(args, 0)), "sh");
  ck_assert(json_is_true(json_object_get(process, "terminal")));
  ck_assert(json_is_true(json_object_get(process, "noNewPrivileges")));
  ck_assert_str_eq(path_string(process, "cwd", NULL), "/");
  json_t *caps = json_object_get(process, "capabilities");
  ck_assert(array_has_string(json_object_get(caps, "bounding"), "CAP_NET_BIND_SERVICE"));
  ck_assert_int_eq(json_array_size(json_object_get(caps, "effective")), 3);
  ck_assert(array_has_string(json_object_get(process, "env"), "TERM=xterm"));

  const char *wanted[] = {"pid", "network", "ipc", "uts", "mount"};
  for (size_t i = 0; i < ARRAY_SIZE(wanted); i++)
    ck_assert_msg(has_namespace(c, wanted[i]), "no %s namespace", wanted[i]);
  ck_assert(!has_namespace(c, "user"));

  json_t *linux_ = json_object_get(c, "linux");
  ck_assert_ptr_null(json_object_get(linux_, "uidMappings"));
  json_t *rule =
      json_array_get(json_object_get(json_object_get(linux_, "resources"), "devices"), 0);
  ck_assert(json_is_false(json_object_get(rule, "allow")));
  ck_assert_str_eq(path_string(rule, "access", NULL), "rwm");
  ck_assert(array_has_string(json_object_get(linux_, "maskedPaths"), "/proc/kcore"));
  ck_assert(array_has_string(json_object_get(linux_, "readonlyPaths"), "/proc/sys"));
  ck_assert_str_eq(path_string(linux_, "seccomp", "defaultAction"), "SCMP_ACT_ERRNO");

  ck_assert_str_eq(path_string(mount_at(c, "/sys"), "type", NULL), "sysfs");
  ck_assert(array_has_string(json_object_get(mount_at(c, "/dev/pts"), "options"), "gid=5"));
  ck_assert_ptr_null(json_object_get(mount_at(c, "/proc"), "options"));
}
END_TEST

/* As root the mapping's host ids would be 0 either way; run as nobody for a while so the
 * test can tell "the caller's ids" from "zero". */
static json_t *rootless_config_as_caller(uid_t *ret_uid, gid_t *ret_gid) {
  bool switched = geteuid() == 0;
  if (switched) {
    ck_assert_int_eq(setegid(65534), 0);
    ck_assert_int_eq(seteuid(65534), 0);
  }
  *ret_uid = geteuid();
  *ret_gid = getegid();
  json_t *c = spec_default_config(true);
  if (switched) {
    ck_assert_int_eq(seteuid(0), 0);
    ck_assert_int_eq(setegid(0), 0);
  }
  return c;
}

START_TEST(test_rootless_config) {
  uid_t uid_expected;
  gid_t gid_expected;
  _cleanup_json_ json_t *c = rootless_config_as_caller(&uid_expected, &gid_expected);
  ck_assert_ptr_nonnull(c);
  ck_assert(has_namespace(c, "user"));
  ck_assert(!has_namespace(c, "network"));
  ck_assert(has_namespace(c, "pid"));
  ck_assert(has_namespace(c, "mount"));

  json_t *linux_ = json_object_get(c, "linux");
  ck_assert_ptr_null(json_object_get(linux_, "resources"));
  json_t *uid = json_array_get(json_object_get(linux_, "uidMappings"), 0);
  ck_assert_int_eq(json_array_size(json_object_get(linux_, "uidMappings")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(uid, "containerID")), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(uid, "hostID")), uid_expected);
  ck_assert_int_eq(json_integer_value(json_object_get(uid, "size")), 1);
  json_t *gid = json_array_get(json_object_get(linux_, "gidMappings"), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(gid, "hostID")), gid_expected);

  json_t *sys = mount_at(c, "/sys");
  ck_assert_str_eq(path_string(sys, "type", NULL), "none");
  ck_assert_str_eq(path_string(sys, "source", NULL), "/sys");
  ck_assert(array_has_string(json_object_get(sys, "options"), "rbind"));
  ck_assert(array_has_string(json_object_get(sys, "options"), "ro"));
  json_t *devpts_opts = json_object_get(mount_at(c, "/dev/pts"), "options");
  ck_assert(!array_has_string(devpts_opts, "gid=5"));
  ck_assert(array_has_string(devpts_opts, "newinstance"));
}
END_TEST

static json_t *load_config(const char *dir) {
  _cleanup_free_ char *path = xasprintf("%s/config.json", dir);
  _cleanup_free_ char *text = NULL;
  struct husk_error *err = NULL;
  int r = read_file_at(AT_FDCWD, path, 1 << 20, &text, &err);
  ck_assert_msg(r >= 0, "reading %s: %s", path, err ? err->message : "?");
  size_t len = strlen(text);
  ck_assert_msg(len > 0 && text[len - 1] == '\n', "config.json does not end with a newline");
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  ck_assert_msg(j != NULL, "config.json is not JSON: %s", jerr.text);
  return j;
}

START_TEST(test_cmd_spec_writes_once) {
  char *dir = make_bundle();
  char *argv[] = {"spec", "--bundle", dir, NULL};
  struct husk_error *err = NULL;
  int r = cmd_spec(3, argv, &no_globals, &err);
  ck_assert_msg(r == 0, "cmd_spec: %s", err ? err->message : "?");
  ck_assert_ptr_null(err);

  _cleanup_json_ json_t *written = load_config(dir);
  _cleanup_json_ json_t *expected = spec_default_config(false);
  ck_assert(json_equal(written, expected));

  char *argv2[] = {"spec", "-b", dir, NULL};
  r = cmd_spec(3, argv2, &no_globals, &err);
  ck_assert_int_eq(r, -EEXIST);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(err->code, EEXIST);
  ck_assert_str_eq(err->message, "File config.json exists. Remove it first");
  husk_error_free(err);

  _cleanup_json_ json_t *again = load_config(dir);
  ck_assert(json_equal(again, expected));
  remove_bundle(dir);
}
END_TEST

START_TEST(test_cmd_spec_rootless) {
  char *dir = make_bundle();
  char *argv[] = {"spec", "--rootless", "-b", dir, NULL};
  struct husk_error *err = NULL;
  int r = cmd_spec(4, argv, &no_globals, &err);
  ck_assert_msg(r == 0, "cmd_spec: %s", err ? err->message : "?");
  _cleanup_json_ json_t *written = load_config(dir);
  _cleanup_json_ json_t *expected = spec_default_config(true);
  ck_assert(json_equal(written, expected));
  remove_bundle(dir);
}
END_TEST

START_TEST(test_cmd_spec_default_bundle_is_cwd) {
  char *dir = make_bundle();
  _cleanup_free_ char *old = getcwd(NULL, 0);
  ck_assert_ptr_nonnull(old);
  ck_assert_int_eq(chdir(dir), 0);
  char *argv[] = {"spec", NULL};
  struct husk_error *err = NULL;
  int r = cmd_spec(1, argv, &no_globals, &err);
  ck_assert_int_eq(chdir(old), 0);
  ck_assert_msg(r == 0, "cmd_spec: %s", err ? err->message : "?");
  _cleanup_json_ json_t *written = load_config(dir);
  ck_assert_str_eq(path_string(written, "ociVersion", NULL), "1.2.0");
  remove_bundle(dir);
}
END_TEST

START_TEST(test_cmd_spec_missing_bundle) {
  char *argv[] = {"spec", "--bundle", "/nonexistent/husk-bundle", NULL};
  struct husk_error *err = NULL;
  int r = cmd_spec(3, argv, &no_globals, &err);
  ck_assert_int_eq(r, -ENOENT);
  ck_assert_ptr_nonnull(err);
  ck_assert_msg(strstr(err->message, "/nonexistent/husk-bundle") != NULL, "message: %s",
                err->message);
  husk_error_free(err);
}
END_TEST

START_TEST(test_cmd_spec_bad_usage) {
  struct husk_error *err = NULL;
  char *extra[] = {"spec", "operand", NULL};
  ck_assert_int_eq(cmd_spec(2, extra, &no_globals, &err), -EINVAL);
  ck_assert_ptr_nonnull(err);
  husk_error_free(err);
  err = NULL;

  char *unknown[] = {"spec", "--no-such-option", NULL};
  ck_assert_int_eq(cmd_spec(2, unknown, &no_globals, &err), -EINVAL);
  ck_assert_msg(strstr(err->message, "--no-such-option") != NULL, "message: %s", err->message);
  husk_error_free(err);
  err = NULL;

  char *missing[] = {"spec", "--bundle", NULL};
  ck_assert_int_eq(cmd_spec(2, missing, &no_globals, &err), -EINVAL);
  ck_assert_msg(strstr(err->message, "--bundle") != NULL, "message: %s", err->message);
  husk_error_free(err);
}
END_TEST

/* What `husk spec` writes must be accepted by husk's own config.json parser. */
START_TEST(test_cmd_spec_output_parses) {
  for (int rootless = 0; rootless <= 1; rootless++) {
    char *dir = make_bundle();
    char *argv[] = {"spec", "-b", dir, rootless ? "--rootless" : NULL, NULL};
    struct husk_error *err = NULL;
    int r = cmd_spec(rootless ? 4 : 3, argv, &no_globals, &err);
    ck_assert_msg(r == 0, "cmd_spec: %s", err ? err->message : "?");

    _cleanup_free_ char *path = xasprintf("%s/config.json", dir);
    struct spec *spec = NULL;
    r = spec_parse_file(path, &spec, &err);
    ck_assert_msg(r == 0, "spec_parse_file: %s", err ? err->message : "?");
    ck_assert_str_eq(spec->oci_version, "1.2.0");
    ck_assert_str_eq(spec->root.path, "rootfs");
    ck_assert(spec->root.readonly);
    ck_assert_ptr_nonnull(spec->process);
    ck_assert_str_eq(spec->process->args[0], "sh");
    ck_assert_ptr_null(spec->process->args[1]);
    ck_assert_int_eq(spec->n_mounts, 7);
    ck_assert_int_eq(spec->linux_.n_uid_mappings, rootless ? 1 : 0);
    ck_assert_ptr_nonnull(spec->linux_.seccomp);
    ck_assert_int_gt(spec->linux_.seccomp->n_syscalls, 5);
    spec_free(spec);
    remove_bundle(dir);
  }
}
END_TEST

START_TEST(test_features_json) {
  _cleanup_json_ json_t *f = features_json();
  ck_assert_ptr_nonnull(f);
  ck_assert_str_eq(path_string(f, "ociVersionMin", NULL), "1.0.0");
  ck_assert_str_eq(path_string(f, "ociVersionMax", NULL), "1.2.1");
  ck_assert(json_is_array(json_object_get(f, "hooks")));

  json_t *opts = json_object_get(f, "mountOptions");
  ck_assert(array_has_string(opts, "rbind"));
  ck_assert(array_has_string(opts, "ro"));
  ck_assert(array_has_string(opts, "rprivate"));
  ck_assert(!array_has_string(opts, "pivot_root"));

  json_t *linux_ = json_object_get(f, "linux");
  json_t *ns = json_object_get(linux_, "namespaces");
  ck_assert_int_eq(json_array_size(ns), 8);
  const char *types[] = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"};
  for (size_t i = 0; i < ARRAY_SIZE(types); i++)
    ck_assert_msg(array_has_string(ns, types[i]), "no %s namespace", types[i]);

  json_t *caps = json_object_get(linux_, "capabilities");
  ck_assert(array_has_string(caps, "CAP_SYS_ADMIN"));
  ck_assert(array_has_string(caps, "CAP_CHOWN"));
  ck_assert_str_eq(json_string_value(json_array_get(caps, 0)), "CAP_CHOWN");
  size_t i;
  json_t *cap;
  json_array_foreach(caps, i, cap) {
    const char *name = json_string_value(cap);
    ck_assert_msg(str_has_prefix(name, "CAP_"), "bad capability name %s", name);
    for (const char *p = name; *p; p++)
      ck_assert_msg(*p < 'a' || *p > 'z', "capability %s is not upper case", name);
  }

  json_t *cgroup = json_object_get(linux_, "cgroup");
  ck_assert(json_is_true(json_object_get(cgroup, "v1")));
  ck_assert(json_is_true(json_object_get(cgroup, "v2")));
#ifdef HUSK_SYSTEMD
  ck_assert(json_is_true(json_object_get(cgroup, "systemd")));
#else
  ck_assert(json_is_false(json_object_get(cgroup, "systemd")));
#endif
  ck_assert(json_is_false(json_object_get(cgroup, "systemdUser")));
  json_t *seccomp = json_object_get(linux_, "seccomp");
  ck_assert(json_is_true(json_object_get(seccomp, "enabled")));
  ck_assert(array_has_string(json_object_get(seccomp, "actions"), "SCMP_ACT_ERRNO"));
  ck_assert(!array_has_string(json_object_get(seccomp, "actions"), "SCMP_ACT_NOTIFY"));
  ck_assert(array_has_string(json_object_get(seccomp, "operators"), "SCMP_CMP_MASKED_EQ"));
  ck_assert(array_has_string(json_object_get(seccomp, "archs"), "SCMP_ARCH_X86_64"));
  ck_assert(array_has_string(json_object_get(seccomp, "knownFlags"), "SECCOMP_FILTER_FLAG_LOG"));
  ck_assert(json_is_array(json_object_get(seccomp, "supportedFlags")));
  ck_assert(json_is_true(json_object_get(json_object_get(linux_, "apparmor"), "enabled")));
  ck_assert(json_is_true(json_object_get(json_object_get(linux_, "selinux"), "enabled")));
  ck_assert(json_is_false(json_object_get(json_object_get(linux_, "intelRdt"), "enabled")));
  json_t *idmap = json_object_get(json_object_get(linux_, "mountExtensions"), "idmap");
  ck_assert(json_is_false(json_object_get(idmap, "enabled")));

  ck_assert_str_eq(path_string(f, "annotations", "io.husk.version"), HUSK_VERSION);
  ck_assert_str_eq(path_string(f, "annotations", "io.husk.commit"), HUSK_COMMIT);
}
END_TEST

START_TEST(test_cmd_features_prints) {
  _cleanup_free_ char *path = xstrdup("/tmp/husk-test-features-XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  fflush(stdout);
  int saved = dup(STDOUT_FILENO);
  ck_assert_int_ge(saved, 0);
  ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
  close(fd);

  char *argv[] = {"features", NULL};
  struct husk_error *err = NULL;
  int r = cmd_features(1, argv, &no_globals, &err);
  fflush(stdout);
  ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
  close(saved);
  ck_assert_msg(r == 0, "cmd_features: %s", err ? err->message : "?");

  _cleanup_free_ char *text = NULL;
  ck_assert_int_ge(read_file_at(AT_FDCWD, path, 1 << 20, &text, &err), 0);
  unlink(path);
  size_t len = strlen(text);
  ck_assert(len > 0 && text[len - 1] == '\n');
  ck_assert_msg(strstr(text, "\n  \"ociVersionMin\"") != NULL, "not indented by 2: %.80s", text);
  _cleanup_json_ json_t *printed = json_loads(text, 0, NULL);
  _cleanup_json_ json_t *expected = features_json();
  ck_assert(json_equal(printed, expected));

  char *extra[] = {"features", "operand", NULL};
  ck_assert_int_eq(cmd_features(2, extra, &no_globals, &err), -EINVAL);
  ck_assert_ptr_nonnull(err);
  husk_error_free(err);
}
END_TEST

static Suite *commands_suite(void) {
  Suite *s = suite_create("commands");
  TCase *spec = tcase_create("spec");
  tcase_add_test(spec, test_default_config);
  tcase_add_test(spec, test_rootless_config);
  tcase_add_test(spec, test_cmd_spec_writes_once);
  tcase_add_test(spec, test_cmd_spec_rootless);
  tcase_add_test(spec, test_cmd_spec_default_bundle_is_cwd);
  tcase_add_test(spec, test_cmd_spec_missing_bundle);
  tcase_add_test(spec, test_cmd_spec_bad_usage);
  tcase_add_test(spec, test_cmd_spec_output_parses);
  suite_add_tcase(s, spec);
  TCase *features = tcase_create("features");
  tcase_add_test(features, test_features_json);
  tcase_add_test(features, test_cmd_features_prints);
  suite_add_tcase(s, features);
  return s;
}

int main(void) { return unit_run(commands_suite()); }
