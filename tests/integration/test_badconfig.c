/* test_badconfig.c: integration tests of `create` on bad bundles: it must fail with a message
 * naming what is wrong (husk names the JSON path) and leave nothing behind: no state
 * directory, no process, no mount, no cgroup. */
#include "harness.h"

#include <string.h>
#include <unistd.h>

/* A copy of the base bundle after edit(config); create must fail on it. */
static void check_bad(const char *name, void (*edit)(json_t *), const char *husk_wording) {
  _h_free_ char *bundle = h_bundle_new(name);
  _h_free_ char *id = h_id_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  edit(config);
  h_config_save(bundle, config);
  h_assert_create_fails_cleanly(bundle, id, husk_wording);
}

static void args_not_a_list(json_t *c) { h_config_set(c, "process.args", json_string("notalist")); }
START_TEST(test_args_not_a_list) { check_bad("args", args_not_a_list, "process.args"); }
END_TEST

static void args_empty(json_t *c) { h_config_set(c, "process.args", json_array()); }
START_TEST(test_args_empty) { check_bad("args-empty", args_empty, "process.args"); }
END_TEST

static void no_root_path(json_t *c) { h_config_del(c, "root.path"); }
START_TEST(test_root_path_missing) { check_bad("rootpath", no_root_path, "root.path"); }
END_TEST

static void future_version(json_t *c) { h_config_set(c, "ociVersion", json_string("2.0.0")); }
START_TEST(test_oci_version_unsupported) {
  if (!h_is_husk())
    return; /* runc accepts any ociVersion */
  check_bad("version", future_version, "ociVersion");
}
END_TEST

static void bogus_namespace(json_t *c) {
  h_config_append(c, "linux.namespaces", json_pack("{s:s}", "type", "bogus"));
}
START_TEST(test_namespace_type_unknown) { check_bad("ns", bogus_namespace, "linux.namespaces"); }
END_TEST

static void relative_cwd(json_t *c) { h_config_set(c, "process.cwd", json_string("tmp")); }
START_TEST(test_cwd_relative) { check_bad("cwd", relative_cwd, "process.cwd"); }
END_TEST

static void missing_rootfs(json_t *c) {
  h_config_set(c, "root.path", json_string("nonexistent-rootfs"));
}
START_TEST(test_rootfs_missing) { check_bad("norootfs", missing_rootfs, "nonexistent-rootfs"); }
END_TEST

/* Fails late, inside the container's init, after namespaces and earlier mounts exist. */
static void bad_mount(json_t *c) {
  h_config_add_mount(c, "/badmount", "tmpfs", "tmpfs", "size=notanumber", NULL);
}
START_TEST(test_mount_fails) { check_bad("mount", bad_mount, "/badmount"); }
END_TEST

/* As with runc, a process that cannot be executed fails create, not start. */
static void missing_binary(json_t *c) {
  h_config_set(c, "process.args", json_pack("[s]", "/nonexistent-binary"));
}
START_TEST(test_binary_missing) { check_bad("nobin", missing_binary, "/nonexistent-binary"); }
END_TEST

START_TEST(test_invalid_json) {
  _h_free_ char *bundle = h_bundle_new("json");
  _h_free_ char *id = h_id_new("json");
  _h_free_ char *path = NULL;
  ck_assert(asprintf(&path, "%s/config.json", bundle) > 0);
  h_write(path, "{ \"ociVersion\": \"1.2.0\", not json");
  h_assert_create_fails_cleanly(bundle, id, "config.json");
}
END_TEST

START_TEST(test_config_missing) {
  _h_free_ char *bundle = h_bundle_new("noconfig");
  _h_free_ char *id = h_id_new("noconfig");
  _h_free_ char *path = NULL;
  ck_assert(asprintf(&path, "%s/config.json", bundle) > 0);
  ck_assert_int_eq(unlink(path), 0);
  h_assert_create_fails_cleanly(bundle, id, "config.json");
}
END_TEST

int main(void) {
  Suite *s = suite_create("badconfig");
  TCase *tc = h_tcase("badconfig");
  tcase_add_test(tc, test_args_not_a_list);
  tcase_add_test(tc, test_args_empty);
  tcase_add_test(tc, test_root_path_missing);
  tcase_add_test(tc, test_oci_version_unsupported);
  tcase_add_test(tc, test_namespace_type_unknown);
  tcase_add_test(tc, test_cwd_relative);
  tcase_add_test(tc, test_rootfs_missing);
  tcase_add_test(tc, test_mount_fails);
  tcase_add_test(tc, test_binary_missing);
  tcase_add_test(tc, test_invalid_json);
  tcase_add_test(tc, test_config_missing);
  suite_add_tcase(s, tc);
  return h_main(s);
}
