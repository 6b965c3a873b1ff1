/* test_process.c: unit tests for runtime/process/process.c (executable lookup, HOME, cwd, user and
 * groups, rlimits, oom_score_adj, no_new_privs) and runtime/base/signals.c. Tests that need namespaces
 * or root skip themselves. */
#include <check.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/signals.h"
#include "base/utils.h"
#include "namespaces/namespaces.h"
#include "process/process.h"
#include "process/user.h"
#include "spec/spec.h"
#include "unit.h"

/* ---- signals ---- */

static void assert_signal(const char *text, int want) {
  _cleanup_error_ struct husk_error *err = NULL;
  int got = signal_parse(text, &err);
  ck_assert_msg(got == want, "signal_parse(\"%s\") = %d, want %d", text, got, want);
  ck_assert_ptr_null(err);
}

static void assert_bad_signal(const char *text) {
  _cleanup_error_ struct husk_error *err = NULL;
  int got = signal_parse(text, &err);
  ck_assert_msg(got == -EINVAL, "signal_parse(\"%s\") = %d, want -EINVAL", text, got);
  ck_assert_ptr_nonnull(err);
  _cleanup_free_ char *want = xasprintf("unknown signal \"%s\"", text);
  ck_assert_str_eq(err->message, want);
}

START_TEST(test_signal_parse_names) {
  assert_signal("TERM", SIGTERM);
  assert_signal("SIGTERM", SIGTERM);
  assert_signal("term", SIGTERM);
  assert_signal("sigTerm", SIGTERM);
  assert_signal("KILL", SIGKILL);
  assert_signal("SIGHUP", SIGHUP);
  assert_signal("WINCH", SIGWINCH);
  assert_signal("SIGUSR1", SIGUSR1);
  assert_signal("CHLD", SIGCHLD);
  assert_signal("CLD", SIGCHLD);
  assert_signal("IOT", SIGABRT);
  assert_signal("SIGSYS", SIGSYS);
}
END_TEST

START_TEST(test_signal_parse_numbers) {
  assert_signal("15", 15);
  assert_signal("9", 9);
  assert_signal("1", 1);
  assert_signal("64", 64);
  assert_signal("034", 34);
}
END_TEST

START_TEST(test_signal_parse_realtime) {
  assert_signal("RTMIN", SIGRTMIN);
  assert_signal("SIGRTMIN", SIGRTMIN);
  assert_signal("RTMIN+3", SIGRTMIN + 3);
  assert_signal("rtmin+0", SIGRTMIN);
  assert_signal("SIGRTMAX-2", SIGRTMAX - 2);
  assert_signal("RTMAX", SIGRTMAX);
  _cleanup_free_ char *top = xasprintf("RTMIN+%d", SIGRTMAX - SIGRTMIN);
  assert_signal(top, SIGRTMAX);
}
END_TEST

START_TEST(test_signal_parse_bad) {
  const char *bad[] = {"",       "0",       "65",      "-1",     "+15",     "15x",
                       " 15",    "FOO",     "SIGFOO",  "SIG",    "TERM ",   "SIGSIGTERM",
                       "RTMIN+", "RTMIN-1", "RTMAX+1", "RTMIN3", "RTMAX-x", "1000"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    assert_bad_signal(bad[i]);
  _cleanup_free_ char *past = xasprintf("RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
  assert_bad_signal(past);
}
END_TEST

START_TEST(test_signal_name) {
  ck_assert_str_eq(signal_name(15), "SIGTERM");
  ck_assert_str_eq(signal_name(SIGKILL), "SIGKILL");
  ck_assert_str_eq(signal_name(SIGCHLD), "SIGCHLD");
  ck_assert_str_eq(signal_name(SIGABRT), "SIGABRT");
  ck_assert_str_eq(signal_name(SIGIO), "SIGIO");
  ck_assert_str_eq(signal_name(SIGRTMIN), "SIGRTMIN");
  ck_assert_str_eq(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
  ck_assert_str_eq(signal_name(SIGRTMAX), "SIGRTMAX");
  ck_assert_ptr_null(signal_name(0));
  ck_assert_ptr_null(signal_name(-15));
  ck_assert_ptr_null(signal_name(65));
  /* Every named signal parses back to itself. */
  for (int sig = 1; sig <= SIGRTMAX; sig++) {
    const char *name = signal_name(sig);
    if (sig < 32 || sig >= SIGRTMIN)
      ck_assert_msg(name != NULL, "signal %d has no name", sig);
    if (name)
      assert_signal(name, sig);
  }
}
END_TEST

/* ---- executable lookup ---- */

static char *make_temp_dir(void) {
  char tmpl[] = "/tmp/husk-test-process-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
  return xstrdup(tmpl);
}

static void make_file(const char *dir, const char *name, mode_t mode, const char *content) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write_all(fd, content, strlen(content)), (ssize_t)strlen(content));
  ck_assert_int_eq(fchmod(fd, mode), 0);
  close(fd);
}

static void remove_tree(const char *dir) {
  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_find_in_path) {
  _cleanup_free_ char *a = make_temp_dir();
  _cleanup_free_ char *b = make_temp_dir();
  make_file(a, "prog", 0755, "#!/bin/sh\n");
  make_file(a, "data", 0644, "x");
  make_file(b, "prog", 0755, "#!/bin/sh\n");
  make_file(b, "data", 0755, "#!/bin/sh\n");
  _cleanup_free_ char *sub = xasprintf("%s/sub", a);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  _cleanup_free_ char *path_env = xasprintf("PATH=/nonexistent:%s:%s", a, b);
  const char *env[] = {"FOO=1", "PATH=/stale", path_env, "BAR=2", NULL};

  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_free_ char *found = NULL;
  ck_assert_int_eq(process_find_executable("prog", env, &found, &err), 0);
  _cleanup_free_ char *want = xasprintf("%s/prog", a);
  ck_assert_str_eq(found, want); /* the first directory wins */

  /* A non-executable file is skipped, so the one later in PATH is found. */
  _cleanup_free_ char *found2 = NULL;
  ck_assert_int_eq(process_find_executable("data", env, &found2, &err), 0);
  _cleanup_free_ char *want2 = xasprintf("%s/data", b);
  ck_assert_str_eq(found2, want2);

  /* A directory is not an executable. */
  char *none = NULL;
  ck_assert_int_eq(process_find_executable("sub", env, &none, &err), -ENOENT);
  ck_assert_ptr_null(none);
  ck_assert_str_eq(err->message, "\"sub\": executable file not found in $PATH");
  remove_tree(a);
  remove_tree(b);
}
END_TEST

START_TEST(test_find_not_found) {
  _cleanup_free_ char *a = make_temp_dir();
  make_file(a, "data", 0644, "x");
  _cleanup_free_ char *path_env = xasprintf("PATH=%s", a);
  const char *env[] = {path_env, NULL};
  _cleanup_error_ struct husk_error *err = NULL;
  char *found = NULL;
  ck_assert_int_eq(process_find_executable("data", env, &found, &err), -ENOENT);
  ck_assert_ptr_null(found);
  ck_assert_int_eq(err->code, ENOENT);
  ck_assert_str_eq(err->message, "\"data\": executable file not found in $PATH");
  husk_error_freep(&err);
  ck_assert_int_eq(process_find_executable("husk-no-such-program", env, &found, &err), -ENOENT);
  ck_assert_str_eq(err->message, "\"husk-no-such-program\": executable file not found in $PATH");
  remove_tree(a);
}
END_TEST

START_TEST(test_find_default_path) {
  const char *env[] = {"HOME=/root", NULL};
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_free_ char *found = NULL;
  ck_assert_int_eq(process_find_executable("sh", env, &found, &err), 0);
  const char *dirs[] = {"/usr/local/sbin/sh", "/usr/local/bin/sh", "/usr/sbin/sh",
                        "/usr/bin/sh",        "/sbin/sh",          "/bin/sh"};
  bool ok = false;
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
    ok = ok || strcmp(found, dirs[i]) == 0;
  ck_assert_msg(ok, "sh found at %s", found);
}
END_TEST

START_TEST(test_find_empty_path_element) {
  _cleanup_free_ char *a = make_temp_dir();
  make_file(a, "prog", 0755, "#!/bin/sh\n");
  char saved[PATH_MAX];
  ck_assert_ptr_nonnull(getcwd(saved, sizeof(saved)));
  ck_assert_int_eq(chdir(a), 0);
  const char *env[] = {"PATH=/nonexistent:", NULL};
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_free_ char *found = NULL;
  int r = process_find_executable("prog", env, &found, &err);
  ck_assert_int_eq(chdir(saved), 0);
  ck_assert_int_eq(r, 0);
  ck_assert_str_eq(found, "./prog");
  remove_tree(a);
}
END_TEST

START_TEST(test_find_with_slash) {
  _cleanup_free_ char *a = make_temp_dir();
  make_file(a, "prog", 0755, "#!/bin/sh\n");
  make_file(a, "data", 0644, "x");
  const char *env[] = {"PATH=/nonexistent", NULL};
  _cleanup_error_ struct husk_error *err = NULL;

  _cleanup_free_ char *prog = xasprintf("%s/prog", a);
  _cleanup_free_ char *found = NULL;
  ck_assert_int_eq(process_find_executable(prog, env, &found, &err), 0);
  ck_assert_str_eq(found, prog);

  _cleanup_free_ char *missing = xasprintf("%s/missing", a);
  char *none = NULL;
  ck_assert_int_eq(process_find_executable(missing, env, &none, &err), -ENOENT);
  ck_assert_ptr_null(none);
  _cleanup_free_ char *want = xasprintf("exec %s: no such file or directory", missing);
  ck_assert_str_eq(err->message, want);

  _cleanup_free_ char *data = xasprintf("%s/data", a);
  ck_assert_int_eq(process_find_executable(data, env, &none, &err), -EACCES);
  _cleanup_free_ char *want2 = xasprintf("exec %s: permission denied", data);
  ck_assert_str_eq(err->message, want2);

  ck_assert_int_eq(process_find_executable(a, env, &none, &err), -EACCES);
  ck_assert_ptr_null(none);
  remove_tree(a);
}
END_TEST

/* ---- HOME ---- */

static struct spec_process make_proc(const char **env, uid_t uid) {
  struct spec_process p;
  memset(&p, 0, sizeof(p));
  p.env = env;
  p.user.uid = uid;
  return p;
}

START_TEST(test_env_home_present) {
  const char *env[] = {"PATH=/bin", "HOME=/home/me", "TERM=xterm", NULL};
  struct spec_process p = make_proc(env, 0);
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_free_ char **out = NULL;
  char *extra = (char *)"sentinel";
  ck_assert_int_eq(process_build_env(&p, &out, &extra, &err), 0);
  ck_assert_ptr_null(extra);
  for (size_t i = 0; i < 3; i++)
    ck_assert_ptr_eq(out[i], env[i]);
  ck_assert_ptr_null(out[3]);
}
END_TEST

START_TEST(test_env_home_absent) {
  const char *env[] = {"TERM=xterm", NULL};
  struct spec_process p = make_proc(env, 0);
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_free_ char **out = NULL;
  _cleanup_free_ char *extra = NULL;
  ck_assert_int_eq(process_build_env(&p, &out, &extra, &err), 0);
  ck_assert_ptr_nonnull(extra);
  struct passwd *pw = getpwuid(0);
  _cleanup_free_ char *want = xasprintf("HOME=%s", pw && *pw->pw_dir ? pw->pw_dir : "/");
  ck_assert_str_eq(extra, want);
  ck_assert_ptr_eq(out[0], env[0]);
  ck_assert_ptr_eq(out[1], extra);
  ck_assert_ptr_null(out[2]);
}
END_TEST

START_TEST(test_env_empty_no_user) {
  const char *env[] = {NULL};
  uid_t uid = 3999999999u; /* not in any sane /etc/passwd */
  ck_assert_ptr_null(getpwuid(uid));
  struct spec_process p = make_proc(env, uid);
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_free_ char **out = NULL;
  _cleanup_free_ char *extra = NULL;
  ck_assert_int_eq(process_build_env(&p, &out, &extra, &err), 0);
  ck_assert_str_eq(extra, "HOME=/");
  ck_assert_ptr_eq(out[0], extra);
  ck_assert_ptr_null(out[1]);
}
END_TEST

START_TEST(test_passwd_lookup) {
  _cleanup_free_ char *dir = make_temp_dir();
  make_file(dir, "passwd", 0644,
            "# a comment:x:1000:1000::/comment:/bin/sh\n"
            "root:x:0:0:root:/root:/bin/bash\n"
            "broken:x:1001\n"
            "weird:x:10a:0::/weird:/bin/sh\n"
            "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
            "alice2:x:1000:1000::/home/alice2:/bin/sh\n"
            "nohome:x:1002:1002:::/bin/sh\n"
            "noshell:x:1003:1003::/srv/noshell\n"
            "last:x:1004:1004::/home/last:/bin/sh");
  _cleanup_free_ char *path = xasprintf("%s/passwd", dir);
  _cleanup_error_ struct husk_error *err = NULL;
  struct {
    uid_t uid;
    const char *home;
  } cases[] = {{0, "/root"},         {1000, "/home/alice"}, {1002, ""}, {1003, "/srv/noshell"},
               {1004, "/home/last"}, {1001, NULL},          {10, NULL}, {5, NULL}};
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    char *home = (char *)"sentinel";
    ck_assert_int_eq(passwd_home_for_uid(path, cases[i].uid, &home, &err), 0);
    if (cases[i].home)
      ck_assert_str_eq(home, cases[i].home);
    else
      ck_assert_ptr_null(home);
    free(home);
  }

  _cleanup_free_ char *missing = xasprintf("%s/nope", dir);
  char *home = (char *)"sentinel";
  ck_assert_int_eq(passwd_home_for_uid(missing, 0, &home, &err), 0);
  ck_assert_ptr_null(home);

  /* A directory opens but cannot be read: an error naming the file. */
  home = (char *)"sentinel";
  ck_assert_int_eq(passwd_home_for_uid(dir, 0, &home, &err), -EISDIR);
  ck_assert_str_eq(home, "sentinel");
  _cleanup_free_ char *want = xasprintf("read %s: Is a directory", dir);
  ck_assert_str_eq(err->message, want);
  remove_tree(dir);
}
END_TEST

/* ---- cwd ---- */

START_TEST(test_chdir_normal) {
  _cleanup_free_ char *dir = make_temp_dir();
  char saved[PATH_MAX];
  ck_assert_ptr_nonnull(getcwd(saved, sizeof(saved)));
  _cleanup_error_ struct husk_error *err = NULL;
  int r = process_chdir(dir, &err);
  char now[PATH_MAX];
  ck_assert_ptr_nonnull(getcwd(now, sizeof(now)));
  ck_assert_int_eq(chdir(saved), 0);
  ck_assert_msg(r == 0, "process_chdir: %s", err ? err->message : "?");
  char real[PATH_MAX];
  ck_assert_ptr_nonnull(realpath(dir, real));
  ck_assert_str_eq(now, real);
  remove_tree(dir);
}
END_TEST

START_TEST(test_chdir_errors) {
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(process_chdir("/nonexistent/husk", &err), -ENOENT);
  ck_assert_str_eq(err->message, "chdir /nonexistent/husk: No such file or directory");
  ck_assert_int_eq(process_chdir("relative", &err), -EINVAL);
}
END_TEST

/* Run fn in a child process; true when it exited 0. Namespaces and ids change only there. */
static bool run_in_child(int (*fn)(void *), void *arg) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    _exit(fn(arg));
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fprintf(stderr, "child failed: status 0x%x\n", status);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int try_unshare(void *arg) { return unshare(*(int *)arg) == 0 ? 0 : 1; }

static bool can_unshare(int flags) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    _exit(try_unshare(&flags));
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#define CHILD_CHECK(cond)                                                                          \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                     \
      return 1;                                                                                    \
    }                                                                                              \
  } while (0)

/* A cwd reached through a magic link to a directory outside the root: what a leaked fd lets
 * a malicious process.cwd do (CVE-2024-21626). */
static int chdir_outside_root(void *arg) {
  const char *base = arg;
  _cleanup_free_ char *root = xasprintf("%s/root", base);
  _cleanup_free_ char *proc = xasprintf("%s/root/proc", base);
  _cleanup_free_ char *outside = xasprintf("%s/outside", base);
  CHILD_CHECK(mkdir(root, 0755) == 0 && mkdir(proc, 0755) == 0 && mkdir(outside, 0755) == 0);
  CHILD_CHECK(unshare(CLONE_NEWNS) == 0);
  CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
  CHILD_CHECK(mount("proc", proc, "proc", 0, NULL) == 0);
  int fd = open(outside, O_RDONLY | O_DIRECTORY); /* deliberately leaked into the root */
  CHILD_CHECK(fd >= 0);
  CHILD_CHECK(chroot(root) == 0);
  _cleanup_free_ char *cwd = xasprintf("/proc/self/fd/%d", fd);
  struct husk_error *err = NULL;
  int r = process_chdir(cwd, &err);
  CHILD_CHECK(r < 0 && err);
  _cleanup_free_ char *want = xasprintf("process.cwd %s: outside the container's root", cwd);
  if (strcmp(err->message, want) != 0)
    fprintf(stderr, "got \"%s\"\n", err->message);
  CHILD_CHECK(strcmp(err->message, want) == 0);
  husk_error_free(err);
  /* The same root with an honest cwd passes. */
  CHILD_CHECK(process_chdir("/proc", NULL) == 0);
  return 0;
}

START_TEST(test_chdir_outside_root) {
  if (geteuid() != 0 || !can_unshare(CLONE_NEWNS)) {
    fprintf(stderr, "test_chdir_outside_root: skipped (needs root and mount namespaces)\n");
    return;
  }
  _cleanup_free_ char *dir = make_temp_dir();
  bool ok = run_in_child(chdir_outside_root, dir);
  remove_tree(dir);
  ck_assert(ok);
}
END_TEST

/* ---- user and groups ---- */

static int set_user_as_root(void *arg) {
  (void)arg;
  gid_t gids[] = {1000, 2000, 3000};
  const char *env[] = {NULL};
  struct spec_process p = make_proc(env, 1000);
  p.user.gid = 1001;
  p.user.additional_gids = gids;
  p.user.n_additional_gids = 3;
  p.user.has_umask = true;
  p.user.umask = 0077;
  struct husk_error *err = NULL;
  int r = process_set_user(&p, &err);
  if (r < 0)
    fprintf(stderr, "process_set_user: %s\n", err->message);
  CHILD_CHECK(r == 0);
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  CHILD_CHECK(getresuid(&ru, &eu, &su) == 0 && ru == 1000 && eu == 1000 && su == 1000);
  CHILD_CHECK(getresgid(&rg, &eg, &sg) == 0 && rg == 1001 && eg == 1001 && sg == 1001);
  gid_t got[8];
  CHILD_CHECK(getgroups(8, got) == 3);
  CHILD_CHECK(got[0] == 1000 && got[1] == 2000 && got[2] == 3000);
  CHILD_CHECK(umask(0) == 0077);
  return 0;
}

static int set_user_default_umask(void *arg) {
  (void)arg;
  const char *env[] = {NULL};
  struct spec_process p = make_proc(env, 0);
  umask(0);
  struct husk_error *err = NULL;
  CHILD_CHECK(process_set_user(&p, &err) == 0);
  CHILD_CHECK(umask(0) == 0022);
  CHILD_CHECK(getgroups(0, NULL) == 0);
  return 0;
}

START_TEST(test_set_user_root) {
  if (geteuid() != 0) {
    fprintf(stderr, "test_set_user_root: skipped (needs root)\n");
    return;
  }
  ck_assert(run_in_child(set_user_as_root, NULL));
  ck_assert(run_in_child(set_user_default_umask, NULL));
}
END_TEST

/* In a user namespace where only id 0 is mapped and setgroups is denied (as a rootless
 * container has it): additionalGids and unmapped ids fail with clear messages. */
static int set_user_in_userns(int ready_fd, int go_fd) {
  char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
  CHILD_CHECK(write(ready_fd, &c, 1) == 1 && c == 'y');
  CHILD_CHECK(read(go_fd, &c, 1) == 1);

  gid_t gids[] = {5};
  const char *env[] = {NULL};
  struct spec_process p = make_proc(env, 0);
  p.user.additional_gids = gids;
  p.user.n_additional_gids = 1;
  struct husk_error *err = NULL;
  CHILD_CHECK(process_set_user(&p, &err) == -EPERM);
  CHILD_CHECK(strcmp(err->message, "process.user.additionalGids: setgroups is denied in this "
                                   "user namespace") == 0);
  husk_error_free(err);
  err = NULL;

  p.user.n_additional_gids = 0;
  p.user.uid = 1000;
  CHILD_CHECK(process_set_user(&p, &err) == -EINVAL);
  CHILD_CHECK(strcmp(err->message, "setresuid 1000: uid 1000 is not mapped in the container's "
                                   "user namespace") == 0);
  husk_error_free(err);
  err = NULL;

  p.user.uid = 0;
  p.user.gid = 7;
  CHILD_CHECK(process_set_user(&p, &err) == -EINVAL);
  CHILD_CHECK(strcmp(err->message, "setresgid 7: gid 7 is not mapped in the container's "
                                   "user namespace") == 0);
  husk_error_free(err);
  err = NULL;

  p.user.gid = 0;
  CHILD_CHECK(process_set_user(&p, &err) == 0);
  CHILD_CHECK(getuid() == 0 && getgid() == 0);
  return 0;
}

START_TEST(test_set_user_userns) {
  if (!can_unshare(CLONE_NEWUSER)) {
    fprintf(stderr, "test_set_user_userns: skipped (user namespaces unavailable)\n");
    return;
  }
  int ready[2], go[2];
  ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
  ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    _exit(set_user_in_userns(ready[1], go[0]));
  close(ready[1]);
  close(go[0]);
  char c = 0;
  ck_assert_int_eq(read(ready[0], &c, 1), 1);
  ck_assert_int_eq(c, 'y');
  struct spec_id_mapping uid_map = {0, geteuid(), 1}, gid_map = {0, getegid(), 1};
  _cleanup_error_ struct husk_error *err = NULL;
  int r = ns_write_id_maps(pid, &uid_map, 1, &gid_map, 1, true, &err);
  ck_assert_int_eq(write(go[1], "x", 1), 1);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  close(ready[0]);
  close(go[1]);
  ck_assert_msg(r == 0, "ns_write_id_maps: %s", err ? err->message : "?");
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- rlimits, oom_score_adj, no_new_privs (each test runs in its own process) ---- */

START_TEST(test_rlimit_names) {
  static const struct {
    const char *name;
    int resource;
  } all[] = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  for (size_t i = 0; i < ARRAY_SIZE(all); i++)
    ck_assert_int_eq(rlimit_from_name(all[i].name), all[i].resource);
  ck_assert_int_eq(rlimit_from_name("RLIMIT_FOO"), -1);
  ck_assert_int_eq(rlimit_from_name("rlimit_nofile"), -1);
  ck_assert_int_eq(rlimit_from_name("NOFILE"), -1);
  ck_assert_int_eq(rlimit_from_name(""), -1);
}
END_TEST

START_TEST(test_rlimits_set) {
  struct rlimit before;
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &before), 0);
  ck_assert_uint_ge(before.rlim_max, 100);
  struct spec_rlimit rl[] = {
      {.type = "RLIMIT_NOFILE", .soft = 64, .hard = 100},
      {.type = "RLIMIT_CORE", .soft = 0, .hard = 0},
  };
  struct spec_process p = {.rlimits = rl, .n_rlimits = 2};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(process_set_rlimits(&p, &err), 0);
  struct rlimit got;
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &got), 0);
  ck_assert_uint_eq(got.rlim_cur, 64);
  ck_assert_uint_eq(got.rlim_max, 100);
  ck_assert_int_eq(getrlimit(RLIMIT_CORE, &got), 0);
  ck_assert_uint_eq(got.rlim_cur, 0);
  ck_assert_uint_eq(got.rlim_max, 0);
}
END_TEST

START_TEST(test_rlimits_unknown) {
  struct rlimit before, after;
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &before), 0);
  struct spec_rlimit rl[] = {
      {.type = "RLIMIT_NOFILE", .soft = 10, .hard = 10},
      {.type = "RLIMIT_FOO", .soft = 1, .hard = 1},
  };
  struct spec_process p = {.rlimits = rl, .n_rlimits = 2};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(process_set_rlimits(&p, &err), -EINVAL);
  ck_assert_str_eq(err->message, "process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"");
  /* Checked before anything was set: the first entry did not apply. */
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &after), 0);
  ck_assert_uint_eq(after.rlim_cur, before.rlim_cur);
  ck_assert_uint_eq(after.rlim_max, before.rlim_max);
}
END_TEST

START_TEST(test_rlimits_soft_above_hard) {
  struct spec_rlimit rl[] = {{.type = "RLIMIT_NOFILE", .soft = 200, .hard = 100}};
  struct spec_process p = {.rlimits = rl, .n_rlimits = 1};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(process_set_rlimits(&p, &err), -EINVAL);
  ck_assert_str_eq(
      err->message,
      "process.rlimits[0]: setrlimit RLIMIT_NOFILE soft 200 hard 100: Invalid argument");
}
END_TEST

static int read_oom_score_adj(void) {
  _cleanup_free_ char *text = NULL;
  ck_assert_int_eq(read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", 64, &text, NULL), 0);
  return atoi(text);
}

/* Raising the score needs no privilege, so this runs as any user. */
START_TEST(test_oom_score_adj) {
  _cleanup_error_ struct husk_error *err = NULL;
  int start = read_oom_score_adj();
  int want = start < 900 ? start + 100 : 1000;
  ck_assert_int_eq(process_set_oom_score_adj(getpid(), want, &err), 0);
  ck_assert_int_eq(read_oom_score_adj(), want);
  ck_assert_int_eq(process_set_oom_score_adj(0, 1000, &err), 0);
  ck_assert_int_eq(read_oom_score_adj(), 1000);
}
END_TEST

START_TEST(test_oom_score_adj_errors) {
  _cleanup_error_ struct husk_error *err = NULL;
  /* pid_max is at most 4194304, so this pid never exists */
  ck_assert_int_eq(process_set_oom_score_adj(2000000000, 0, &err), -ENOENT);
  ck_assert_str_eq(err->message, "process.oomScoreAdj: open /proc/2000000000/oom_score_adj: No "
                                 "such file or directory");
  husk_error_freep(&err);
  ck_assert_int_eq(process_set_oom_score_adj(0, 5000, &err), -EINVAL);
  ck_assert_str_eq(err->message, "process.oomScoreAdj: write 5000 to /proc/self/oom_score_adj: "
                                 "Invalid argument");
}
END_TEST

static bool no_new_privs_in_status(void) {
  _cleanup_free_ char *status = NULL;
  ck_assert_int_eq(read_file_at(AT_FDCWD, "/proc/self/status", 1 << 16, &status, NULL), 0);
  return strstr(status, "NoNewPrivs:\t1") != NULL;
}

START_TEST(test_no_new_privs) {
  _cleanup_error_ struct husk_error *err = NULL;
  struct spec_process p = {.no_new_privileges = false};
  ck_assert_int_eq(process_set_no_new_privs(&p, &err), 0);
  ck_assert(!no_new_privs_in_status());
  p.no_new_privileges = true;
  ck_assert_int_eq(process_set_no_new_privs(&p, &err), 0);
  ck_assert(no_new_privs_in_status());
}
END_TEST

/* Names come from the rootfs's own files; an absolute symlink there stays inside it. */
START_TEST(test_user_resolve_names) {
  char dir[] = "/tmp/husk-user-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  _cleanup_free_ char *etc = xasprintf("%s/etc", dir);
  ck_assert_int_eq(mkdir(etc, 0755), 0);
  _cleanup_free_ char *passwd = xasprintf("%s/passwd", etc);
  _cleanup_free_ char *group = xasprintf("%s/group", etc);
  FILE *f = fopen(passwd, "w");
  fputs("# comment\nroot:x:0:0::/root:/bin/sh\nweb:x:1001:1002::/srv:/bin/sh\n", f);
  fclose(f);
  f = fopen(group, "w");
  fputs("root:x:0:\nweb:x:1002:\nstaff:x:50:root,web\naudio:x:63:web\n", f);
  fclose(f);
  ck_assert(user_text_has_names("web") && user_text_has_names("1001:staff"));
  ck_assert(!user_text_has_names("1001") && !user_text_has_names("1001:50"));
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_json_ json_t *u = NULL;
  ck_assert_int_eq(user_resolve(dir, "web", &u, &err), 0);
  _cleanup_free_ char *text = json_dumps(u, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_str_eq(text, "{\"additionalGids\":[50,63],\"gid\":1002,\"uid\":1001}");
  _cleanup_json_ json_t *g = NULL;
  ck_assert_int_eq(user_resolve(dir, "web:staff", &g, &err), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(g, "gid")), 50);
  ck_assert_int_eq(json_array_size(json_object_get(g, "additionalGids")), 1);
  _cleanup_json_ json_t *n = NULL;
  ck_assert_int_eq(user_resolve(dir, "4000:audio", &n, &err), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(n, "uid")), 4000);
  ck_assert_int_eq(json_integer_value(json_object_get(n, "gid")), 63);
  ck_assert_int_eq(user_resolve(dir, "ghost", &n, &err), -ENOENT);
  ck_assert_str_eq(err->message, "--user ghost: no such user in the container's /etc/passwd");
  ck_assert_int_eq(user_resolve(dir, "web:nogroup", &n, &err), -ENOENT);
  /* /etc/passwd as a symlink to the host's: resolved inside dir, where nothing is */
  ck_assert_int_eq(unlink(passwd), 0);
  ck_assert_int_eq(symlink("/etc/passwd", passwd), 0);
  ck_assert_int_lt(user_resolve(dir, "root", &n, &err), 0);
  unlink(passwd);
  unlink(group);
  rmdir(etc);
  rmdir(dir);
}
END_TEST

static Suite *process_suite(void) {
  Suite *s = suite_create("process");
  TCase *sig = tcase_create("signals");
  tcase_add_test(sig, test_signal_parse_names);
  tcase_add_test(sig, test_signal_parse_numbers);
  tcase_add_test(sig, test_signal_parse_realtime);
  tcase_add_test(sig, test_signal_parse_bad);
  tcase_add_test(sig, test_signal_name);
  suite_add_tcase(s, sig);
  TCase *exe = tcase_create("executable");
  tcase_add_test(exe, test_find_in_path);
  tcase_add_test(exe, test_find_not_found);
  tcase_add_test(exe, test_find_default_path);
  tcase_add_test(exe, test_find_empty_path_element);
  tcase_add_test(exe, test_find_with_slash);
  suite_add_tcase(s, exe);
  TCase *env = tcase_create("env");
  tcase_add_test(env, test_env_home_present);
  tcase_add_test(env, test_env_home_absent);
  tcase_add_test(env, test_env_empty_no_user);
  tcase_add_test(env, test_passwd_lookup);
  suite_add_tcase(s, env);
  TCase *cwd = tcase_create("cwd");
  tcase_add_test(cwd, test_chdir_normal);
  tcase_add_test(cwd, test_chdir_errors);
  tcase_add_test(cwd, test_chdir_outside_root);
  suite_add_tcase(s, cwd);
  TCase *user = tcase_create("user");
  tcase_add_test(user, test_set_user_root);
  tcase_add_test(user, test_set_user_userns);
  tcase_add_test(user, test_user_resolve_names);
  suite_add_tcase(s, user);
  TCase *limits = tcase_create("limits");
  tcase_add_test(limits, test_rlimit_names);
  tcase_add_test(limits, test_rlimits_set);
  tcase_add_test(limits, test_rlimits_unknown);
  tcase_add_test(limits, test_rlimits_soft_above_hard);
  tcase_add_test(limits, test_oom_score_adj);
  tcase_add_test(limits, test_oom_score_adj_errors);
  tcase_add_test(limits, test_no_new_privs);
  suite_add_tcase(s, limits);
  return s;
}

int main(void) { return unit_run(process_suite()); }
