/* test_seccomp.c: unit tests for seccomp/: the translation of linux.seccomp names and values,
 * the error messages, the default profile, and compiled programs loaded in forked children. */
#include <check.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "seccomp/seccomp.h"
#include "spec/spec.h"
#include "unit.h"

/* ---- helpers ---- */

/* Compile `{"linux": {"seccomp": <seccomp_json>}}` through the real config parser. */
static int compile_json(const char *seccomp_json, struct seccomp_program **ret,
                        struct husk_error **err) {
  _cleanup_free_ char *text = xasprintf(
      "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"/r\"}, \"linux\": {\"seccomp\": %s}}",
      seccomp_json);
  struct spec *s = NULL;
  int r = spec_parse_string(text, &s, err);
  ck_assert_msg(r == 0, "spec_parse_string: %s", *err ? (*err)->message : "?");
  ck_assert_ptr_nonnull(s->linux_.seccomp);
  r = seccomp_compile(s->linux_.seccomp, ret, err);
  spec_free(s);
  return r;
}

static struct seccomp_program *compile_ok(const char *seccomp_json) {
  struct seccomp_program *p = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  int r = compile_json(seccomp_json, &p, &err);
  ck_assert_msg(r == 0, "seccomp_compile: %s", err ? err->message : "?");
  ck_assert_ptr_nonnull(p);
  ck_assert_int_gt(p->n_insns, 0);
  return p;
}

static void assert_compile_fails(const char *seccomp_json, int code, const char *message) {
  struct seccomp_program *p = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  int r = compile_json(seccomp_json, &p, &err);
  ck_assert_msg(r == -code, "seccomp_compile = %d, want %d (%s)", r, -code,
                err ? err->message : "no error");
  ck_assert_ptr_null(p);
  ck_assert_ptr_nonnull(err);
  ck_assert_str_eq(err->message, message);
}

/* Run check() in a forked child after loading p there; returns what the child exited with
 * (the number of the first failed check, 0 when all passed), or 128+N when killed by N. */
static int run_filtered(const struct seccomp_program *p, int (*check)(void)) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    struct husk_error *err = NULL;
    /* SCMP_ACT_KILL* and SCMP_ACT_TRAP would dump core. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      _exit(100);
    if (seccomp_program_load(p, &err) < 0) {
      fprintf(stderr, "seccomp_program_load: %s\n", err->message);
      _exit(101);
    }
    /* Straight to the kernel: a sanitizer's _exit hook makes syscalls a filter may deny. */
    syscall(SYS_exit_group, check());
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* A raw syscall's errno, 0 when it succeeded. */
#define SYS_ERRNO(...) (syscall(__VA_ARGS__) < 0 ? errno : 0)

/* ---- names and values ---- */

static uint32_t action(const char *name, const unsigned *errno_ret) {
  uint32_t a = 0;
  _cleanup_error_ struct husk_error *err = NULL;
  int r = seccomp_action_parse(name, errno_ret, "at", "errno_at", &a, &err);
  ck_assert_msg(r == 0, "%s: %s", name, err ? err->message : "?");
  return a;
}

START_TEST(test_actions) {
  unsigned e38 = 38, e5 = 5;
  ck_assert_uint_eq(action("SCMP_ACT_KILL", NULL), SCMP_ACT_KILL_THREAD);
  ck_assert_uint_eq(action("SCMP_ACT_KILL_THREAD", NULL), SCMP_ACT_KILL_THREAD);
  ck_assert_uint_eq(action("SCMP_ACT_KILL_PROCESS", NULL), SCMP_ACT_KILL_PROCESS);
  ck_assert_uint_eq(action("SCMP_ACT_TRAP", NULL), SCMP_ACT_TRAP);
  ck_assert_uint_eq(action("SCMP_ACT_ALLOW", NULL), SCMP_ACT_ALLOW);
  ck_assert_uint_eq(action("SCMP_ACT_LOG", NULL), SCMP_ACT_LOG);
  ck_assert_uint_eq(action("SCMP_ACT_ERRNO", NULL), SCMP_ACT_ERRNO(EPERM));
  ck_assert_uint_eq(action("SCMP_ACT_ERRNO", &e38), SCMP_ACT_ERRNO(38));
  ck_assert_uint_eq(action("SCMP_ACT_TRACE", NULL), SCMP_ACT_TRACE(EPERM));
  ck_assert_uint_eq(action("SCMP_ACT_TRACE", &e5), SCMP_ACT_TRACE(5));
  ck_assert_uint_ne(action("SCMP_ACT_ERRNO", &e38), action("SCMP_ACT_ERRNO", NULL));
}
END_TEST

static void assert_action_fails(const char *name, const unsigned *errno_ret, int code,
                                const char *message) {
  uint32_t a = 12345;
  _cleanup_error_ struct husk_error *err = NULL;
  int r = seccomp_action_parse(name, errno_ret, "x.action", "x.errnoRet", &a, &err);
  ck_assert_int_eq(r, -code);
  ck_assert_uint_eq(a, 12345);
  ck_assert_ptr_nonnull(err);
  ck_assert_str_eq(err->message, message);
}

START_TEST(test_action_errors) {
  unsigned e1 = 1, big = 70000;
  assert_action_fails("SCMP_ACT_FOO", NULL, EINVAL, "x.action: unknown action \"SCMP_ACT_FOO\"");
  assert_action_fails("scmp_act_allow", NULL, EINVAL,
                      "x.action: unknown action \"scmp_act_allow\"");
  assert_action_fails("SCMP_ACT_NOTIFY", NULL, ENOTSUP,
                      "x.action: SCMP_ACT_NOTIFY needs a listenerPath, which husk does not "
                      "support");
  assert_action_fails("SCMP_ACT_ALLOW", &e1, EINVAL,
                      "x.errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
                      "SCMP_ACT_ALLOW");
  assert_action_fails("SCMP_ACT_KILL", &e1, EINVAL,
                      "x.errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
                      "SCMP_ACT_KILL");
  assert_action_fails("SCMP_ACT_ERRNO", &big, EINVAL,
                      "x.errnoRet: 70000 is out of range (at most 65535)");
}
END_TEST

START_TEST(test_operators) {
  static const struct {
    const char *name;
    enum scmp_compare op;
  } want[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
    enum scmp_compare op = _SCMP_CMP_MIN;
    _cleanup_error_ struct husk_error *err = NULL;
    ck_assert_int_eq(seccomp_operator_parse(want[i].name, "at", &op, &err), 0);
    ck_assert_msg(op == want[i].op, "%s → %d", want[i].name, op);
  }
  enum scmp_compare op = _SCMP_CMP_MIN;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(seccomp_operator_parse("SCMP_CMP_FOO", "y.op", &op, &err), -EINVAL);
  ck_assert_str_eq(err->message, "y.op: unknown operator \"SCMP_CMP_FOO\"");
  ck_assert(op == _SCMP_CMP_MIN);
}
END_TEST

START_TEST(test_architectures) {
  static const struct {
    const char *name;
    uint32_t arch;
  } want[] = {
      {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
      {"SCMP_ARCH_X86", SCMP_ARCH_X86},
      {"SCMP_ARCH_X32", SCMP_ARCH_X32},
      {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
      {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
      {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
      {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
      {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
      {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
      {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
      {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
      {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
      {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
      {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
      {"SCMP_ARCH_S390", SCMP_ARCH_S390},
      {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
      {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
      {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
      {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
  };
  for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
    uint32_t arch = 0;
    _cleanup_error_ struct husk_error *err = NULL;
    int r = seccomp_arch_parse(want[i].name, "at", &arch, &err);
    ck_assert_msg(r == 0, "%s: %s", want[i].name, err ? err->message : "?");
    ck_assert_msg(arch == want[i].arch, "%s → %#x", want[i].name, arch);
  }
  const char *bad[] = {"SCMP_ARCH_FOO", "x86_64", "SCMP_ARCH_", "ARCH_X86_64"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    uint32_t arch = 7;
    _cleanup_error_ struct husk_error *err = NULL;
    ck_assert_int_eq(seccomp_arch_parse(bad[i], "z[1]", &arch, &err), -EINVAL);
    _cleanup_free_ char *want_msg = xasprintf("z[1]: unknown architecture \"%s\"", bad[i]);
    ck_assert_str_eq(err->message, want_msg);
    ck_assert_uint_eq(arch, 7);
  }
}
END_TEST

START_TEST(test_flags) {
  static const struct {
    const char *name;
    unsigned flag;
  } want[] = {
      {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
      {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
      {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
      {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1U << 5},
  };
  for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
    unsigned flag = 0;
    _cleanup_error_ struct husk_error *err = NULL;
    ck_assert_int_eq(seccomp_flag_parse(want[i].name, "at", &flag, &err), 0);
    ck_assert_uint_eq(flag, want[i].flag);
  }
  unsigned flag = 0;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(seccomp_flag_parse("SECCOMP_FILTER_FLAG_NEW_LISTENER", "f[0]", &flag, &err),
                   -EINVAL);
  ck_assert_str_eq(err->message, "f[0]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"");
  /* Every kernel husk runs on (>= 5.3) has these; no kernel has bit 30. */
  ck_assert(seccomp_kernel_has_flag(SECCOMP_FILTER_FLAG_TSYNC));
  ck_assert(seccomp_kernel_has_flag(SECCOMP_FILTER_FLAG_LOG));
  ck_assert(seccomp_kernel_has_flag(SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  ck_assert(!seccomp_kernel_has_flag(1U << 30));
}
END_TEST

/* ---- seccomp_compile ---- */

START_TEST(test_compile_errors_name_the_path) {
  assert_compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                       "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\"},"
                       "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                       "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_FOO\"}]}",
                       EINVAL, "linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_FOO\"");
  assert_compile_fails("{\"defaultAction\": \"SCMP_ACT_BAR\"}", EINVAL,
                       "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\"");
  assert_compile_fails(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
      "{\"names\": [\"a\"], \"action\": \"SCMP_ACT_LOG\"}, {\"names\": [\"b\"], \"action\": "
      "\"SCMP_ACT_LOG\"}, {\"names\": [\"c\"], \"action\": \"SCMP_ACT_LOG\"},"
      "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
      ENOTSUP,
      "linux.seccomp.syscalls[3].action: SCMP_ACT_NOTIFY needs a listenerPath, which husk does "
      "not support");
  assert_compile_fails(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
      "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": "
      "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
      " {\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_ALMOST\"}]}]}",
      EINVAL, "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_ALMOST\"");
  assert_compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
                       "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_VAX\"]}",
                       EINVAL,
                       "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  assert_compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
                       "[\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_FAST\"]}",
                       EINVAL, "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
  assert_compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 3}", EINVAL,
                       "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE "
                       "take an errno, not SCMP_ACT_ALLOW");
  assert_compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                       "[\"mkdir\"], \"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 3}]}",
                       EINVAL,
                       "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and "
                       "SCMP_ACT_TRACE take an errno, not SCMP_ACT_KILL");
  assert_compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/x.sock\"}",
                       ENOTSUP,
                       "linux.seccomp.listenerPath: husk does not support seccomp notify "
                       "listeners");
}
END_TEST

/* The unknown name is logged at debug level and skipped; the known one still counts. */
START_TEST(test_unknown_syscall_skipped) {
  _cleanup_free_ char *log_path = xstrdup("/tmp/husk-test-seccomp-log-XXXXXX");
  int fd = mkstemp(log_path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  struct log_config cfg = {.path = log_path, .debug = true};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(log_open(&cfg, &err), 0);
  struct seccomp_program *p =
      compile_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                 "[\"no_such_syscall_42\", \"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
  log_close();
  _cleanup_free_ char *text = NULL;
  ck_assert_int_ge(read_file_at(AT_FDCWD, log_path, 1 << 16, &text, &err), 0);
  unlink(log_path);
  ck_assert_msg(strstr(text, "linux.seccomp.syscalls[0]: unknown syscall \"no_such_syscall_42\" "
                             "skipped"),
                "log: %s", text);
  seccomp_program_free(p);
}
END_TEST

/* A rule with the default action would be refused by libseccomp: it is dropped instead. */
START_TEST(test_rule_with_default_action_skipped) {
  struct seccomp_program *p =
      compile_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                 "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                 "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
  seccomp_program_free(p);
}
END_TEST

START_TEST(test_flags_kept_and_skipped) {
  struct seccomp_program *p = compile_ok(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", "
      "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}");
  ck_assert_uint_eq(p->flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  seccomp_program_free(p);
  p = compile_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}");
  ck_assert_uint_eq(p->flags, 0);
  seccomp_program_free(p);
}
END_TEST

START_TEST(test_more_architectures_more_code) {
  _cleanup_seccomp_program_ struct seccomp_program *one =
      compile_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\"}]}");
  _cleanup_seccomp_program_ struct seccomp_program *three = compile_ok(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
      "\"SCMP_ARCH_X86\", \"SCMP_ARCH_AARCH64\"], \"syscalls\": [{\"names\": [\"mkdir\"], "
      "\"action\": \"SCMP_ACT_ERRNO\"}]}");
  ck_assert_int_gt(three->n_insns, one->n_insns);
}
END_TEST

/* ---- loaded programs ---- */

static int check_mkdir_enosys(void) {
  if (mkdir("/tmp/husk-seccomp-never", 0700) == 0 || errno != ENOSYS)
    return 1;
  if (SYS_ERRNO(SYS_mkdirat, AT_FDCWD, "/tmp/husk-seccomp-never", 0700) != ENOSYS)
    return 2;
  if (getpid() <= 0)
    return 3;
  return 0;
}

START_TEST(test_loaded_errno) {
  _cleanup_seccomp_program_ struct seccomp_program *p =
      compile_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", "
                 "\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}");
  ck_assert_int_eq(run_filtered(p, check_mkdir_enosys), 0);
  ck_assert(access("/tmp/husk-seccomp-never", F_OK) < 0);
}
END_TEST

/* Only the query value 0xffffffff is allowed; everything else fails with EACCES. */
static int check_personality_query_only(void) {
  if (SYS_ERRNO(SYS_personality, 0xffffffffUL) != 0)
    return 1;
  if (SYS_ERRNO(SYS_personality, (unsigned long)PER_LINUX) != EACCES)
    return 2;
  if (SYS_ERRNO(SYS_personality, (unsigned long)UNAME26) != EACCES)
    return 3;
  return 0;
}

START_TEST(test_loaded_arg_filter) {
  _cleanup_seccomp_program_ struct seccomp_program *p = compile_ok(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"personality\"], "
      "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13, \"args\": [{\"index\": 0, \"value\": "
      "4294967295, \"op\": \"SCMP_CMP_NE\"}]}]}");
  ck_assert_int_eq(run_filtered(p, check_personality_query_only), 0);
}
END_TEST

/* Two conditions on arg 0: each its own rule, so either value is denied (OR, not AND). */
static int check_split_args(void) {
  if (SYS_ERRNO(SYS_personality, (unsigned long)PER_LINUX32) != EACCES)
    return 1;
  if (SYS_ERRNO(SYS_personality, (unsigned long)UNAME26) != EACCES)
    return 2;
  if (SYS_ERRNO(SYS_personality, 0xffffffffUL) != 0)
    return 3;
  return 0;
}

START_TEST(test_loaded_duplicate_index_split) {
  _cleanup_seccomp_program_ struct seccomp_program *p = compile_ok(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"personality\"], "
      "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13, \"args\": ["
      "{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},"
      "{\"index\": 0, \"value\": 131072, \"op\": \"SCMP_CMP_EQ\"}]}]}");
  ck_assert_int_eq(run_filtered(p, check_split_args), 0);
}
END_TEST

/* umask(mode) is denied when (mode & 0077) == 0077: MASKED_EQ takes value as the mask and
 * valueTwo as the result. */
static int check_masked_eq(void) {
  if (SYS_ERRNO(SYS_umask, 0077) != EPERM)
    return 1;
  if (SYS_ERRNO(SYS_umask, 0777) != EPERM)
    return 2;
  if (SYS_ERRNO(SYS_umask, 0022) != 0)
    return 3;
  if (SYS_ERRNO(SYS_umask, 0070) != 0)
    return 4;
  return 0;
}

START_TEST(test_loaded_masked_eq) {
  _cleanup_seccomp_program_ struct seccomp_program *p = compile_ok(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"umask\"], "
      "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 63, \"valueTwo\": "
      "63, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}");
  ck_assert_int_eq(run_filtered(p, check_masked_eq), 0);
}
END_TEST

/* A denied default with allowed exceptions: the default errno comes from defaultErrnoRet. */
static int check_default_errno(void) {
  if (SYS_ERRNO(SYS_getppid) != ENOTTY)
    return 1;
  if (SYS_ERRNO(SYS_getpid) != 0)
    return 2;
  return 0;
}

START_TEST(test_loaded_default_errno) {
  /* Everything the child needs to finish (exit_group) is allowed explicitly. */
  _cleanup_seccomp_program_ struct seccomp_program *p =
      compile_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 25, \"syscalls\": "
                 "[{\"names\": [\"getpid\", \"exit_group\", \"exit\"], \"action\": "
                 "\"SCMP_ACT_ALLOW\"}]}");
  ck_assert_int_eq(run_filtered(p, check_default_errno), 0);
}
END_TEST

static int call_getppid(void) {
  syscall(SYS_getppid);
  return 0;
}

START_TEST(test_loaded_kill_and_trap) {
  const char *actions[] = {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"};
  int want[] = {128 + SIGSYS, 128 + SIGSYS, 128 + SIGSYS};
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
    _cleanup_free_ char *json =
        xasprintf("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                  "[\"getppid\"], \"action\": \"%s\"}]}",
                  actions[i]);
    _cleanup_seccomp_program_ struct seccomp_program *p = compile_ok(json);
    ck_assert_msg(run_filtered(p, call_getppid) == want[i], "%s", actions[i]);
  }
}
END_TEST

/* seccomp_program_load narrates itself under --trace, with the flags by name. */
static int nothing(void) { return 0; }

START_TEST(test_load_traced_with_flags) {
  _cleanup_free_ char *log_path = xstrdup("/tmp/husk-test-seccomp-trace-XXXXXX");
  int fd = mkstemp(log_path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  struct log_config cfg = {.path = log_path, .trace = true};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(log_open(&cfg, &err), 0);
  _cleanup_seccomp_program_ struct seccomp_program *p =
      compile_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
                 "[\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\"], \"syscalls\": "
                 "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
  ck_assert_int_eq(run_filtered(p, nothing), 0);
  log_close();
  _cleanup_free_ char *text = NULL;
  ck_assert_int_ge(read_file_at(AT_FDCWD, log_path, 1 << 16, &text, &err), 0);
  unlink(log_path);
  _cleanup_free_ char *want = xasprintf(
      "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG, %u "
      "instructions) = 0",
      (unsigned)p->n_insns);
  ck_assert_msg(strstr(text, want), "trace: %s", text);
}
END_TEST

/* ---- the default profile ---- */

static json_t *entry_for(json_t *syscalls, const char *name) {
  size_t i, j;
  json_t *sc, *n;
  json_array_foreach(syscalls, i, sc) {
    json_array_foreach(json_object_get(sc, "names"), j, n) {
      if (strcmp(json_string_value(n), name) == 0)
        return sc;
    }
  }
  return NULL;
}

START_TEST(test_default_profile_shape) {
  _cleanup_json_ json_t *prof = seccomp_default_profile();
  ck_assert_str_eq(json_string_value(json_object_get(prof, "defaultAction")), "SCMP_ACT_ERRNO");
  ck_assert_int_eq(json_integer_value(json_object_get(prof, "defaultErrnoRet")), EPERM);
#if defined(__x86_64__)
  json_t *archs = json_object_get(prof, "architectures");
  ck_assert_int_eq(json_array_size(archs), 3);
  ck_assert_str_eq(json_string_value(json_array_get(archs, 0)), "SCMP_ARCH_X86_64");
  ck_assert_ptr_nonnull(entry_for(json_object_get(prof, "syscalls"), "arch_prctl"));
#endif
  json_t *syscalls = json_object_get(prof, "syscalls");
  const char *allowed[] = {"read", "execve", "openat", "fork", "chroot", "ptrace", "wait4"};
  for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
    json_t *e = entry_for(syscalls, allowed[i]);
    ck_assert_msg(e, "%s is not in the profile", allowed[i]);
    ck_assert_str_eq(json_string_value(json_object_get(e, "action")), "SCMP_ACT_ALLOW");
    ck_assert_ptr_null(json_object_get(e, "args"));
  }
  /* Left to the default (EPERM): the groups for capabilities Docker does not grant. */
  const char *denied[] = {
      "mount",       "umount2",    "unshare",           "setns",      "reboot", "bpf",
      "init_module", "kexec_load", "open_by_handle_at", "sethostname"};
  for (size_t i = 0; i < ARRAY_SIZE(denied); i++)
    ck_assert_msg(!entry_for(syscalls, denied[i]), "%s is in the profile", denied[i]);
  json_t *clone = entry_for(syscalls, "clone");
  json_t *arg = json_array_get(json_object_get(clone, "args"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(arg, "op")), "SCMP_CMP_MASKED_EQ");
  ck_assert_int_eq(json_integer_value(json_object_get(arg, "value")), 0x7E020000);
  ck_assert_int_eq(json_integer_value(json_object_get(arg, "valueTwo")), 0);
  json_t *clone3 = entry_for(syscalls, "clone3");
  ck_assert_str_eq(json_string_value(json_object_get(clone3, "action")), "SCMP_ACT_ERRNO");
  ck_assert_int_eq(json_integer_value(json_object_get(clone3, "errnoRet")), ENOSYS);
  size_t i, personality_rules = 0;
  json_t *sc;
  json_array_foreach(syscalls, i, sc) {
    const char *first = json_string_value(json_array_get(json_object_get(sc, "names"), 0));
    personality_rules += strcmp(first, "personality") == 0;
  }
  ck_assert_int_eq(personality_rules, 5);
}
END_TEST

static struct seccomp_program *compile_default_profile(void) {
  _cleanup_json_ json_t *prof = seccomp_default_profile();
  _cleanup_free_ char *text = json_dumps(prof, 0);
  return compile_ok(text);
}

START_TEST(test_default_profile_compiles) {
  _cleanup_seccomp_program_ struct seccomp_program *p = compile_default_profile();
  ck_assert_int_gt(p->n_insns, 100);
  ck_assert_uint_eq(p->flags, 0);
}
END_TEST

static int check_default_profile(void) {
  if (mkdir("/tmp", 0755) == 0 || errno != EEXIST) /* allowed: fails only because it exists */
    return 1;
  if (SYS_ERRNO(SYS_unshare, CLONE_NEWUTS) != EPERM)
    return 2;
  if (SYS_ERRNO(SYS_mount, "none", "/tmp", "tmpfs", 0UL, NULL) != EPERM)
    return 3;
  if (SYS_ERRNO(SYS_clone3, NULL, 0UL) != ENOSYS)
    return 4;
  if (SYS_ERRNO(SYS_clone, (unsigned long)(CLONE_NEWNS | SIGCHLD), NULL, NULL, NULL, 0UL) != EPERM)
    return 5;
  pid_t pid = fork(); /* clone without namespace flags is allowed */
  if (pid < 0)
    return 6;
  if (pid == 0)
    _exit(7);
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
    return 7;
  if (SYS_ERRNO(SYS_personality, 0xffffffffUL) != 0)
    return 8;
  if (SYS_ERRNO(SYS_personality, 0x0400000UL /* READ_IMPLIES_EXEC */) != EPERM)
    return 9;
  if (SYS_ERRNO(SYS_socket, AF_VSOCK, SOCK_STREAM, 0) != EPERM)
    return 10;
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return 11;
  close(s);
  if (SYS_ERRNO(SYS_setns, -1, 0) != EPERM)
    return 12;
  return 0;
}

START_TEST(test_default_profile_loaded) {
  _cleanup_seccomp_program_ struct seccomp_program *p = compile_default_profile();
  ck_assert_int_eq(run_filtered(p, check_default_profile), 0);
}
END_TEST

START_TEST(test_features) {
  _cleanup_json_ json_t *f = seccomp_features();
  ck_assert(json_is_true(json_object_get(f, "enabled")));
  json_t *actions = json_object_get(f, "actions");
  ck_assert_int_eq(json_array_size(actions), 8);
  size_t i;
  json_t *v;
  json_array_foreach(actions, i, v) {
    uint32_t a;
    unsigned e = 1;
    const char *name = json_string_value(v);
    bool takes = strcmp(name, "SCMP_ACT_ERRNO") == 0 || strcmp(name, "SCMP_ACT_TRACE") == 0;
    _cleanup_error_ struct husk_error *err = NULL;
    ck_assert_msg(seccomp_action_parse(name, takes ? &e : NULL, "a", "e", &a, &err) == 0, "%s",
                  name);
  }
  ck_assert_int_eq(json_array_size(json_object_get(f, "operators")), 7);
  json_array_foreach(json_object_get(f, "archs"), i, v) {
    uint32_t arch;
    _cleanup_error_ struct husk_error *err = NULL;
    ck_assert_msg(seccomp_arch_parse(json_string_value(v), "a", &arch, &err) == 0, "%s",
                  json_string_value(v));
  }
  ck_assert_int_ge(json_array_size(json_object_get(f, "archs")), 16);
  ck_assert_int_eq(json_array_size(json_object_get(f, "knownFlags")), 4);
  json_t *supported = json_object_get(f, "supportedFlags");
  ck_assert_int_eq(json_array_size(supported), 3);
  ck_assert_str_eq(json_string_value(json_array_get(supported, 0)), "SECCOMP_FILTER_FLAG_TSYNC");
}
END_TEST

static Suite *seccomp_suite(void) {
  Suite *s = suite_create("seccomp");
  TCase *names = tcase_create("names");
  tcase_add_test(names, test_actions);
  tcase_add_test(names, test_action_errors);
  tcase_add_test(names, test_operators);
  tcase_add_test(names, test_architectures);
  tcase_add_test(names, test_flags);
  tcase_add_test(names, test_features);
  suite_add_tcase(s, names);
  TCase *compile = tcase_create("compile");
  tcase_add_test(compile, test_compile_errors_name_the_path);
  tcase_add_test(compile, test_unknown_syscall_skipped);
  tcase_add_test(compile, test_rule_with_default_action_skipped);
  tcase_add_test(compile, test_flags_kept_and_skipped);
  tcase_add_test(compile, test_more_architectures_more_code);
  suite_add_tcase(s, compile);
  TCase *load = tcase_create("load");
  tcase_add_test(load, test_loaded_errno);
  tcase_add_test(load, test_loaded_arg_filter);
  tcase_add_test(load, test_loaded_duplicate_index_split);
  tcase_add_test(load, test_loaded_masked_eq);
  tcase_add_test(load, test_loaded_default_errno);
  tcase_add_test(load, test_loaded_kill_and_trap);
  tcase_add_test(load, test_load_traced_with_flags);
  suite_add_tcase(s, load);
  TCase *profile = tcase_create("profile");
  tcase_add_test(profile, test_default_profile_shape);
  tcase_add_test(profile, test_default_profile_compiles);
  tcase_add_test(profile, test_default_profile_loaded);
  suite_add_tcase(s, profile);
  return s;
}

int main(void) { return unit_run(seccomp_suite()); }
