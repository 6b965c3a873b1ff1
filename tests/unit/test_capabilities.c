/* test_capabilities.c: unit tests for runtime/process/capabilities.c: capability names, the sets
 * process.capabilities asks for, and (as root, in a child process) applying them. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "process/capabilities.h"
#include "spec/spec.h"
#include "unit.h"

#define BIT(v) (UINT64_C(1) << (v))

static void assert_cap(const char *name, int want) {
  _cleanup_error_ struct husk_error *err = NULL;
  int v = -1;
  ck_assert_msg(capability_from_name(name, "x", &v, &err) == 0, "%s: %s", name,
                err ? err->message : "");
  ck_assert_int_eq(v, want);
}

static void assert_unknown_cap(const char *name) {
  _cleanup_error_ struct husk_error *err = NULL;
  int v = -1;
  ck_assert_int_eq(capability_from_name(name, "process.capabilities.bounding[1]", &v, &err),
                   -EINVAL);
  ck_assert_int_eq(v, -1);
  _cleanup_free_ char *want =
      xasprintf("process.capabilities.bounding[1]: unknown capability \"%s\"", name);
  ck_assert_str_eq(err->message, want);
}

START_TEST(test_names) {
  assert_cap("CAP_CHOWN", CAP_CHOWN);
  assert_cap("CAP_KILL", CAP_KILL);
  assert_cap("CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE);
  assert_cap("CAP_SYS_ADMIN", CAP_SYS_ADMIN);
  assert_cap("CAP_AUDIT_WRITE", CAP_AUDIT_WRITE);
  assert_cap("CAP_SETPCAP", CAP_SETPCAP);
}
END_TEST

/* As runc: exactly "CAP_" and the upper-case name; libcap alone would take more. */
START_TEST(test_unknown_names) {
  assert_unknown_cap("CAP_FOO");
  assert_unknown_cap("cap_chown");
  assert_unknown_cap("CAP_chown");
  assert_unknown_cap("CHOWN");
  assert_unknown_cap("5");
  assert_unknown_cap("CAP_5");
  assert_unknown_cap("CAP_");
  assert_unknown_cap("");
  assert_unknown_cap("CAP_CHOWN ");
}
END_TEST

START_TEST(test_parse_absent_means_none) {
  struct cap_sets s;
  memset(&s, 0xff, sizeof(s));
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(capabilities_parse(NULL, &s, &err), 0);
  ck_assert(s.bounding == 0 && s.effective == 0 && s.permitted == 0 && s.inheritable == 0 &&
            s.ambient == 0);
}
END_TEST

START_TEST(test_parse_sets) {
  const char *bounding[] = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};
  const char *kill_only[] = {"CAP_KILL", NULL};
  const char *none[] = {NULL};
  struct spec_capabilities caps = {.bounding = bounding,
                                   .effective = kill_only,
                                   .permitted = kill_only,
                                   .inheritable = none,
                                   .ambient = NULL};
  struct cap_sets s;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(capabilities_parse(&caps, &s, &err), 0);
  ck_assert_uint_eq(s.bounding, BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE));
  ck_assert_uint_eq(s.effective, BIT(CAP_KILL));
  ck_assert_uint_eq(s.permitted, BIT(CAP_KILL));
  /* Inheritable stays empty unless listed (CVE-2022-29162); an absent set is empty too. */
  ck_assert_uint_eq(s.inheritable, 0);
  ck_assert_uint_eq(s.ambient, 0);
}
END_TEST

START_TEST(test_parse_unknown_names_the_field) {
  const char *ok[] = {"CAP_KILL", NULL};
  const char *bad[] = {"CAP_KILL", "CAP_CHOWN", "CAP_FOO", NULL};
  struct spec_capabilities caps = {
      .bounding = ok, .effective = ok, .permitted = ok, .inheritable = ok, .ambient = bad};
  struct cap_sets s = {.bounding = 7};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(capabilities_parse(&caps, &s, &err), -EINVAL);
  ck_assert_str_eq(err->message, "process.capabilities.ambient[2]: unknown capability \"CAP_FOO\"");
  ck_assert_uint_eq(s.bounding, 7); /* untouched on failure */
}
END_TEST

START_TEST(test_mask_text) {
  _cleanup_free_ char *none = capabilities_mask_text(0);
  ck_assert_str_eq(none, "none");
  _cleanup_free_ char *two = capabilities_mask_text(BIT(CAP_CHOWN) | BIT(CAP_KILL));
  ck_assert_str_eq(two, "CAP_CHOWN, CAP_KILL");
  _cleanup_free_ char *all = capabilities_mask_text(BIT(CAP_LAST_CAP + 1) - 1);
  ck_assert_ptr_nonnull(strstr(all, "CAP_SYS_ADMIN, CAP_SYS_BOOT"));
}
END_TEST

/* One "Cap...:" line of /proc/self/status as a number. */
static uint64_t status_caps(const char *field) {
  _cleanup_free_ char *status = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/status", 1 << 16, &status, NULL) < 0)
    return UINT64_MAX;
  _cleanup_free_ char *key = xasprintf("\n%s:\t", field);
  const char *p = strstr(status, key);
  return p ? strtoull(p + strlen(key), NULL, 16) : UINT64_MAX;
}

#define CHILD_CHECK(cond)                                                                          \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                     \
      _exit(1);                                                                                    \
    }                                                                                              \
  } while (0)

/* In the child: keep capabilities, become uid 1000, then apply the sets, as the init does. */
static void apply_as_root_child(void) {
  struct cap_sets s = {
      .bounding = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
      .effective = BIT(CAP_KILL),
      .permitted = BIT(CAP_KILL) | BIT(CAP_CHOWN),
      .inheritable = BIT(CAP_KILL),
      .ambient = BIT(CAP_KILL) | BIT(CAP_CHOWN), /* CHOWN is not inheritable: skipped */
  };
  struct husk_error *err = NULL;
  CHILD_CHECK(capabilities_keep(&err) == 0);
  CHILD_CHECK(setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0);
  int r = capabilities_apply(&s, &err);
  if (r < 0)
    fprintf(stderr, "capabilities_apply: %s\n", err->message);
  CHILD_CHECK(r == 0);
  CHILD_CHECK(status_caps("CapBnd") == s.bounding);
  CHILD_CHECK(status_caps("CapEff") == s.effective);
  CHILD_CHECK(status_caps("CapPrm") == s.permitted);
  CHILD_CHECK(status_caps("CapInh") == s.inheritable);
  CHILD_CHECK(status_caps("CapAmb") == BIT(CAP_KILL));
  _exit(0);
}

/* Effective must be a subset of permitted: said plainly, before capset's EPERM. */
static void effective_not_permitted_child(void) {
  struct cap_sets s = {.bounding = BIT(CAP_KILL) | BIT(CAP_CHOWN),
                       .effective = BIT(CAP_KILL) | BIT(CAP_CHOWN),
                       .permitted = BIT(CAP_KILL)};
  struct husk_error *err = NULL;
  CHILD_CHECK(capabilities_apply(&s, &err) == -EINVAL);
  CHILD_CHECK(strcmp(err->message,
                     "process.capabilities.effective: CAP_CHOWN not in the permitted set") == 0);
  _exit(0);
}

static bool run_child(void (*fn)(void)) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    fn();
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

START_TEST(test_apply_as_root) {
  if (geteuid() != 0) {
    fprintf(stderr, "test_apply_as_root: skipped (needs root)\n");
    return;
  }
  ck_assert(run_child(apply_as_root_child));
  ck_assert(run_child(effective_not_permitted_child));
}
END_TEST

static Suite *capabilities_suite(void) {
  Suite *s = suite_create("capabilities");
  TCase *names = tcase_create("names");
  tcase_add_test(names, test_names);
  tcase_add_test(names, test_unknown_names);
  tcase_add_test(names, test_mask_text);
  suite_add_tcase(s, names);
  TCase *sets = tcase_create("sets");
  tcase_add_test(sets, test_parse_absent_means_none);
  tcase_add_test(sets, test_parse_sets);
  tcase_add_test(sets, test_parse_unknown_names_the_field);
  tcase_add_test(sets, test_apply_as_root);
  suite_add_tcase(s, sets);
  return s;
}

int main(void) { return unit_run(capabilities_suite()); }
