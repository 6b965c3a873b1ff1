/* test_namespaces.c: unit tests for namespaces/namespaces.c (name tables, ns_open, ns_join,
 * uid/gid maps and loopback; the last two need root and are skipped without it). */
#include <check.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "namespaces/namespaces.h"
#include "spec/spec.h"
#include "unit.h"

START_TEST(test_table_round_trip) {
  ck_assert_uint_eq(ns_types_count, 8);
  ck_assert_str_eq(ns_types[0].spec_name, "user");
  ck_assert_str_eq(ns_types[ns_types_count - 1].spec_name, "mount");
  for (size_t i = 0; i < ns_types_count; i++) {
    const struct ns_type *t = &ns_types[i];
    ck_assert_int_eq(ns_flag_from_spec_name(t->spec_name), t->clone_flag);
    ck_assert_str_eq(ns_spec_name(t->clone_flag), t->spec_name);
    ck_assert_str_eq(ns_proc_name(t->clone_flag), t->proc_name);
  }
  ck_assert_int_eq(ns_flag_from_spec_name("network"), CLONE_NEWNET);
  ck_assert_str_eq(ns_proc_name(CLONE_NEWNET), "net");
  ck_assert_str_eq(ns_proc_name(CLONE_NEWNS), "mnt");
  ck_assert_str_eq(ns_spec_name(CLONE_NEWNS), "mount");
  ck_assert_int_eq(ns_flag_from_spec_name("time"), CLONE_NEWTIME);
}
END_TEST

START_TEST(test_unknown_names) {
  ck_assert_int_eq(ns_flag_from_spec_name("net"), 0); /* the /proc name, not the config name */
  ck_assert_int_eq(ns_flag_from_spec_name("mnt"), 0);
  ck_assert_int_eq(ns_flag_from_spec_name("Network"), 0);
  ck_assert_int_eq(ns_flag_from_spec_name(""), 0);
  ck_assert_int_eq(ns_flag_from_spec_name(NULL), 0);
  ck_assert_ptr_null(ns_spec_name(0));
  ck_assert_ptr_null(ns_proc_name(0));
  ck_assert_ptr_null(ns_spec_name(CLONE_NEWNS | CLONE_NEWPID));
  ck_assert_ptr_null(ns_proc_name(CLONE_VM));
}
END_TEST

START_TEST(test_flags_to_string) {
  char buf[256];
  ck_assert_str_eq(ns_flags_to_string(0, buf, sizeof(buf)), "0");
  ck_assert_str_eq(ns_flags_to_string(CLONE_NEWNS, buf, sizeof(buf)), "CLONE_NEWNS");
  ck_assert_str_eq(ns_flags_to_string(CLONE_NEWNS | CLONE_NEWUSER, buf, sizeof(buf)),
                   "CLONE_NEWUSER|CLONE_NEWNS");
  ck_assert_str_eq(ns_flags_to_string(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                                          CLONE_NEWCGROUP | CLONE_NEWTIME,
                                      buf, sizeof(buf)),
                   "CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS|CLONE_NEWCGROUP|"
                   "CLONE_NEWTIME");
  ck_assert_str_eq(ns_flags_to_string(CLONE_NEWNET | CLONE_VM, buf, sizeof(buf)),
                   "CLONE_NEWNET|0x100");
  ck_assert_str_eq(ns_flags_to_string(CLONE_VM, buf, sizeof(buf)), "0x100");
  /* A short buffer truncates but stays NUL-terminated. */
  char small[8];
  memset(small, 'x', sizeof(small));
  ns_flags_to_string(CLONE_NEWUSER | CLONE_NEWNS, small, sizeof(small));
  ck_assert_str_eq(small, "CLONE_N");
}
END_TEST

START_TEST(test_open_right_type) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = ns_open("/proc/self/ns/net", CLONE_NEWNET, &err);
  ck_assert_msg(fd >= 0, "ns_open: %s", err ? err->message : "?");
  ck_assert_ptr_null(err);
  ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  close(fd);
  fd = ns_open("/proc/self/ns/mnt", CLONE_NEWNS, &err);
  ck_assert_int_ge(fd, 0);
  close(fd);
}
END_TEST

START_TEST(test_open_wrong_type) {
  _cleanup_error_ struct husk_error *err = NULL;
  int r = ns_open("/proc/self/ns/net", CLONE_NEWPID, &err);
  ck_assert_int_eq(r, -EINVAL);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(err->code, EINVAL);
  ck_assert_str_eq(err->message, "/proc/self/ns/net: not a pid namespace");
}
END_TEST

START_TEST(test_open_regular_file) {
  char path[] = "/tmp/husk-test-ns-XXXXXX";
  int tmp = mkostemp(path, O_CLOEXEC);
  ck_assert_int_ge(tmp, 0);
  close(tmp);
  _cleanup_error_ struct husk_error *err = NULL;
  int r = ns_open(path, CLONE_NEWNET, &err);
  unlink(path);
  ck_assert_int_eq(r, -EINVAL);
  ck_assert_ptr_nonnull(err);
  _cleanup_free_ char *want = xasprintf("%s: not a network namespace", path);
  ck_assert_str_eq(err->message, want);
}
END_TEST

START_TEST(test_open_missing) {
  _cleanup_error_ struct husk_error *err = NULL;
  int r = ns_open("/nonexistent/husk/ns", CLONE_NEWNET, &err);
  ck_assert_int_eq(r, -ENOENT);
  ck_assert_ptr_nonnull(err);
  ck_assert_str_eq(err->message, "open namespace /nonexistent/husk/ns: No such file or directory");
}
END_TEST

START_TEST(test_join_bad_fd) {
  _cleanup_error_ struct husk_error *err = NULL;
  int r = ns_join(-1, CLONE_NEWNET, "/run/netns/x", &err);
  ck_assert_int_eq(r, -EBADF);
  ck_assert_ptr_nonnull(err);
  ck_assert_str_eq(err->message, "join network namespace /run/netns/x: Bad file descriptor");
}
END_TEST

START_TEST(test_write_id_maps_no_process) {
  /* pid_max never exceeds 4194304, so this pid cannot exist. */
  struct spec_id_mapping m = {0, 100000, 65536};
  _cleanup_error_ struct husk_error *err = NULL;
  int r = ns_write_id_maps(4194305, &m, 1, &m, 1, false, &err);
  ck_assert_int_eq(r, -ENOENT);
  ck_assert_ptr_nonnull(err);
  ck_assert_str_eq(err->message, "open /proc/4194305/uid_map: No such file or directory");
}
END_TEST

START_TEST(test_write_id_maps_nothing) {
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(ns_write_id_maps(4194305, NULL, 0, NULL, 0, false, &err), 0);
  ck_assert_ptr_null(err);
}
END_TEST

/* Whether this kernel and sandbox let root make a namespace of this type at all. */
static bool can_unshare(int flag) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    _exit(unshare(flag) == 0 ? 0 : 1);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Parse a /proc/<pid>/{uid,gid}_map the kernel formatted ("%10u %10u %10u\n" lines). */
static size_t read_map(pid_t pid, const char *file, struct spec_id_mapping *out, size_t max) {
  _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  ck_assert_ptr_nonnull(f);
  size_t n = 0;
  unsigned a, b, c;
  while (n < max && fscanf(f, "%u %u %u", &a, &b, &c) == 3)
    out[n++] = (struct spec_id_mapping){a, b, c};
  return n;
}

START_TEST(test_write_id_maps_root) {
  if (geteuid() != 0 || !can_unshare(CLONE_NEWUSER)) {
    fprintf(stderr, "test_write_id_maps_root: skipped (needs root and user namespaces)\n");
    return;
  }
  int ready[2], go[2];
  ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
  ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1)
      _exit(2);
    _exit(read(go[0], &c, 1) == 1 ? 0 : 3);
  }
  close(ready[1]);
  close(go[0]);
  char c = 0;
  ck_assert_int_eq(read(ready[0], &c, 1), 1);
  ck_assert_int_eq(c, 'y');

  struct spec_id_mapping uids[] = {{0, 0, 1}, {1, 100000, 65536}};
  struct spec_id_mapping gids[] = {{0, 0, 1}};
  _cleanup_error_ struct husk_error *err = NULL;
  int r = ns_write_id_maps(pid, uids, 2, gids, 1, true, &err);
  ck_assert_msg(r == 0, "ns_write_id_maps: %s", err ? err->message : "?");

  struct spec_id_mapping got[4];
  ck_assert_uint_eq(read_map(pid, "uid_map", got, 4), 2);
  for (size_t i = 0; i < 2; i++) {
    ck_assert_uint_eq(got[i].container_id, uids[i].container_id);
    ck_assert_uint_eq(got[i].host_id, uids[i].host_id);
    ck_assert_uint_eq(got[i].size, uids[i].size);
  }
  ck_assert_uint_eq(read_map(pid, "gid_map", got, 4), 1);
  ck_assert_uint_eq(got[0].container_id, 0);
  ck_assert_uint_eq(got[0].host_id, 0);
  ck_assert_uint_eq(got[0].size, 1);
  _cleanup_free_ char *sg_path = xasprintf("/proc/%d/setgroups", (int)pid);
  _cleanup_free_ char *sg = NULL;
  ck_assert_int_eq(read_file_at(AT_FDCWD, sg_path, 64, &sg, &err), 0);
  ck_assert_str_eq(sg, "deny\n");

  /* A map can be written once only; the second write names the file. */
  r = ns_write_id_maps(pid, uids, 1, NULL, 0, false, &err);
  ck_assert_int_eq(r, -EPERM);
  _cleanup_free_ char *want = xasprintf("write /proc/%d/uid_map: Operation not permitted", pid);
  ck_assert_str_eq(err->message, want);

  ck_assert_int_eq(write(go[1], "x", 1), 1);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(ready[0]);
  close(go[1]);
}
END_TEST

static bool lo_is_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
  int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
  close(fd);
  return r == 0 && (ifr.ifr_flags & IFF_UP);
}

START_TEST(test_loopback_up_root) {
  if (geteuid() != 0 || !can_unshare(CLONE_NEWNET)) {
    fprintf(stderr, "test_loopback_up_root: skipped (needs root and network namespaces)\n");
    return;
  }
  /* Our own child, so the runner's network namespace is untouched even with CK_FORK=no. */
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) < 0)
      _exit(2);
    if (lo_is_up())
      _exit(3); /* a new namespace must start with lo down, else the test proves nothing */
    struct husk_error *err = NULL;
    if (ns_loopback_up(&err) < 0)
      _exit(4);
    _exit(lo_is_up() ? 0 : 5);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *namespaces_suite(void) {
  Suite *s = suite_create("namespaces");
  TCase *names = tcase_create("names");
  tcase_add_test(names, test_table_round_trip);
  tcase_add_test(names, test_unknown_names);
  tcase_add_test(names, test_flags_to_string);
  suite_add_tcase(s, names);
  TCase *files = tcase_create("files");
  tcase_add_test(files, test_open_right_type);
  tcase_add_test(files, test_open_wrong_type);
  tcase_add_test(files, test_open_regular_file);
  tcase_add_test(files, test_open_missing);
  tcase_add_test(files, test_join_bad_fd);
  tcase_add_test(files, test_write_id_maps_no_process);
  tcase_add_test(files, test_write_id_maps_nothing);
  suite_add_tcase(s, files);
  TCase *root = tcase_create("root");
  tcase_add_test(root, test_write_id_maps_root);
  tcase_add_test(root, test_loopback_up_root);
  suite_add_tcase(s, root);
  return s;
}

int main(void) { return unit_run(namespaces_suite()); }
