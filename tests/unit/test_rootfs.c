/* test_rootfs.c: unit tests for runtime/rootfs/rootfs.c: resolution inside a rootfs (openat2 and the
 * fallback walk), mount_flags_to_string, and, when run as root, a whole rootfs_prepare,
 * rootfs_pivot and rootfs_finalize in a throwaway mount namespace. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "process/lsm.h"
#include "rootfs/rootfs.h"
#include "spec/spec.h"
#include "unit.h"

typedef int (*open_in_root_fn)(int, const char *, int, bool, bool, struct husk_error **);
/* Every resolution test runs twice: _i == 0 through openat2, _i == 1 through the walk. */
static const open_in_root_fn resolvers[] = {rootfs_open_in_root, rootfs_open_in_root_walk};

static char tmp[64];
static int root_fd = -1;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void write_text(const char *path, const char *text) {
  int fd = openat(root_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write_all(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
}

/* <tmp>/a/b/c, <tmp>/etc/marker, <tmp>/afile and symlinks that try to leave <tmp>. */
static void setup(void) {
  snprintf(tmp, sizeof tmp, "/tmp/husk-rootfs-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  root_fd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(root_fd, 0);
  ck_assert_int_eq(mkdirat(root_fd, "a", 0755), 0);
  ck_assert_int_eq(mkdirat(root_fd, "a/b", 0755), 0);
  ck_assert_int_eq(mkdirat(root_fd, "a/b/c", 0755), 0);
  ck_assert_int_eq(mkdirat(root_fd, "etc", 0755), 0);
  write_text("etc/marker", "inside");
  write_text("afile", "file");
  ck_assert_int_eq(symlinkat("/etc", root_fd, "abs"), 0);
  ck_assert_int_eq(symlinkat("../../../..", root_fd, "a/b/up"), 0);
  ck_assert_int_eq(symlinkat("a/b", root_fd, "rel"), 0);
  ck_assert_int_eq(symlinkat("loop2", root_fd, "loop1"), 0);
  ck_assert_int_eq(symlinkat("/loop1", root_fd, "loop2"), 0);
}

static void teardown(void) {
  if (root_fd >= 0)
    close(root_fd);
  root_fd = -1;
  nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* fd is the file at path relative to <tmp> (same device and inode). */
static bool same_file_at(int fd, int dirfd, const char *path) {
  struct stat a, b;
  if (fstat(fd, &a) < 0 || fstatat(dirfd, path, &b, AT_SYMLINK_NOFOLLOW) < 0)
    return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

START_TEST(test_nested_path) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = resolvers[_i](root_fd, "a/b/c", O_PATH | O_DIRECTORY, false, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert_ptr_null(err);
  ck_assert(same_file_at(fd, root_fd, "a/b/c"));
  close(fd);
  fd = resolvers[_i](root_fd, "//a/./b//c/", O_PATH, false, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert(same_file_at(fd, root_fd, "a/b/c"));
  close(fd);
  fd = resolvers[_i](root_fd, "/rel/c", O_PATH, false, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert(same_file_at(fd, root_fd, "a/b/c"));
  close(fd);
  fd = resolvers[_i](root_fd, "/", O_PATH, false, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert(same_file_at(fd, root_fd, "."));
  close(fd);
}
END_TEST

START_TEST(test_absolute_symlink_stays_inside) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = resolvers[_i](root_fd, "/abs", O_PATH | O_DIRECTORY, false, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert(same_file_at(fd, root_fd, "etc"));
  ck_assert(!same_file_at(fd, AT_FDCWD, "/etc"));
  close(fd);
  fd = resolvers[_i](root_fd, "abs/marker", O_RDONLY, false, false, &err);
  ck_assert_int_ge(fd, 0);
  char buf[16] = {0};
  ck_assert_int_eq(read(fd, buf, sizeof buf - 1), 6);
  ck_assert_str_eq(buf, "inside");
  close(fd);
}
END_TEST

START_TEST(test_dotdot_stays_inside) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = resolvers[_i](root_fd, "a/b/up", O_PATH | O_DIRECTORY, false, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert(same_file_at(fd, root_fd, "."));
  close(fd);
  fd = resolvers[_i](root_fd, "a/b/up/etc/marker", O_PATH, false, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert(same_file_at(fd, root_fd, "etc/marker"));
  close(fd);
  fd = resolvers[_i](root_fd, "/../../../etc", O_PATH, false, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert(same_file_at(fd, root_fd, "etc"));
  close(fd);
}
END_TEST

START_TEST(test_create_file_and_parents) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = resolvers[_i](root_fd, "/new/dir/file", O_PATH, true, false, &err);
  ck_assert_int_ge(fd, 0);
  ck_assert_ptr_null(err);
  struct stat st;
  ck_assert_int_eq(fstatat(root_fd, "new/dir", &st, AT_SYMLINK_NOFOLLOW), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert_int_eq(fstatat(root_fd, "new/dir/file", &st, AT_SYMLINK_NOFOLLOW), 0);
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_int_eq(st.st_size, 0);
  ck_assert(same_file_at(fd, root_fd, "new/dir/file"));
  close(fd);
  /* An existing path is just opened. */
  fd = resolvers[_i](root_fd, "/new/dir/file", O_PATH, true, false, &err);
  ck_assert_int_ge(fd, 0);
  close(fd);
}
END_TEST

START_TEST(test_create_through_symlink) {
  _cleanup_error_ struct husk_error *err = NULL;
  const char *name = _i ? "husk-rootfs-test-walk" : "husk-rootfs-test-openat2";
  _cleanup_free_ char *path = xasprintf("/abs/sub/%s", name);
  _cleanup_free_ char *host = xasprintf("/etc/sub/%s", name);
  int fd = resolvers[_i](root_fd, path, O_PATH, true, false, &err);
  ck_assert_int_ge(fd, 0);
  bool leaked = access(host, F_OK) == 0;
  if (leaked)
    unlink(host);
  ck_assert(!leaked);
  _cleanup_free_ char *inside = xasprintf("etc/sub/%s", name);
  ck_assert(same_file_at(fd, root_fd, inside));
  close(fd);
}
END_TEST

/* A dangling symlink on the way: its target is made, inside the rootfs, even when it reads
 * as a path out of it (absolute, or with more ".." than there are levels). */
START_TEST(test_create_through_dangling_symlink) {
  _cleanup_error_ struct husk_error *err = NULL;
  const char *name = _i ? "husk-dangle-walk" : "husk-dangle-openat2";
  _cleanup_free_ char *abs_target = xasprintf("/tmp/%s/deep", name);
  _cleanup_free_ char *rel_target = xasprintf("../../../../%s-file", name);
  ck_assert_int_eq(symlinkat(abs_target, root_fd, "dangle-abs"), 0);
  ck_assert_int_eq(symlinkat(rel_target, root_fd, "dangle-rel"), 0);
  int dir = resolvers[_i](root_fd, "/dangle-abs", O_PATH | O_DIRECTORY, true, true, &err);
  ck_assert_msg(dir >= 0, "%s", err ? err->message : "");
  int file = resolvers[_i](root_fd, "dangle-rel", O_PATH, true, false, &err);
  ck_assert_msg(file >= 0, "%s", err ? err->message : "");
  _cleanup_free_ char *host_dir = xasprintf("/tmp/%s", name);
  _cleanup_free_ char *host_file = xasprintf("/%s-file", name);
  bool leaked = access(host_dir, F_OK) == 0 || access(host_file, F_OK) == 0;
  rmdir(abs_target);
  rmdir(host_dir);
  unlink(host_file);
  ck_assert(!leaked);
  _cleanup_free_ char *in_dir = xasprintf("tmp/%s/deep", name);
  _cleanup_free_ char *in_file = xasprintf("%s-file", name);
  ck_assert(same_file_at(dir, root_fd, in_dir));
  ck_assert(same_file_at(file, root_fd, in_file));
  close(dir);
  close(file);
}
END_TEST

START_TEST(test_mount_label_data) {
  ck_assert_ptr_null(lsm_mount_data("size=1m", NULL));
  ck_assert_ptr_null(lsm_mount_data("size=1m", ""));
  _cleanup_free_ char *a = lsm_mount_data("size=1m", "system_u:object_r:container_file_t:s0");
  ck_assert_str_eq(a, "size=1m,context=\"system_u:object_r:container_file_t:s0\"");
  _cleanup_free_ char *b = lsm_mount_data(NULL, "l");
  ck_assert_str_eq(b, "context=\"l\"");
}
END_TEST

START_TEST(test_create_dir) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = resolvers[_i](root_fd, "x/y/z", O_PATH | O_DIRECTORY, true, true, &err);
  ck_assert_int_ge(fd, 0);
  struct stat st;
  ck_assert_int_eq(fstatat(root_fd, "x/y/z", &st, AT_SYMLINK_NOFOLLOW), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert(same_file_at(fd, root_fd, "x/y/z"));
  close(fd);
}
END_TEST

START_TEST(test_symlink_loop) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = resolvers[_i](root_fd, "loop1", O_PATH, false, false, &err);
  ck_assert_int_eq(fd, -ELOOP);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(err->code, ELOOP);
  ck_assert_str_eq(err->message, "resolve loop1 in rootfs: Too many levels of symbolic links");
  husk_error_freep(&err);
  fd = resolvers[_i](root_fd, "/loop1/x", O_PATH, true, true, &err);
  ck_assert_int_eq(fd, -ELOOP);
}
END_TEST

START_TEST(test_errors) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = resolvers[_i](root_fd, "missing/file", O_PATH, false, false, &err);
  ck_assert_int_eq(fd, -ENOENT);
  ck_assert_str_eq(err->message, "resolve missing/file in rootfs: No such file or directory");
  husk_error_freep(&err);
  fd = resolvers[_i](root_fd, "afile/x", O_PATH, true, false, &err);
  ck_assert_int_eq(fd, -ENOTDIR);
  ck_assert_ptr_nonnull(err);
  husk_error_freep(&err);
  /* O_NOFOLLOW on the last component gives the symlink itself. */
  fd = resolvers[_i](root_fd, "abs", O_PATH | O_NOFOLLOW, false, false, &err);
  ck_assert_int_ge(fd, 0);
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
  close(fd);
}
END_TEST

START_TEST(test_mount_flags_to_string) {
  char buf[256];
  ck_assert_str_eq(mount_flags_to_string(0, buf, sizeof buf), "0");
  ck_assert_str_eq(mount_flags_to_string(MS_RDONLY | MS_NOSUID | MS_NODEV, buf, sizeof buf),
                   "MS_RDONLY|MS_NOSUID|MS_NODEV");
  ck_assert_str_eq(mount_flags_to_string(MS_BIND | MS_REC, buf, sizeof buf), "MS_BIND|MS_REC");
  ck_assert_str_eq(mount_flags_to_string(MS_REC | MS_PRIVATE, buf, sizeof buf),
                   "MS_REC|MS_PRIVATE");
  ck_assert_str_eq(mount_flags_to_string(MS_RDONLY | (1UL << 31), buf, sizeof buf),
                   "MS_RDONLY|0x80000000");
  /* Truncated, terminated, and nothing written past len. */
  memset(buf, 'x', sizeof buf);
  mount_flags_to_string(MS_RDONLY | MS_NOSUID, buf, 8);
  ck_assert_str_eq(buf, "MS_RDON");
  ck_assert_int_eq(buf[8], 'x');
}
END_TEST

/* ---- as root: a whole container rootfs in a child with its own mount namespace ---- */

/* Failures in the grandchild are reported through its exit status. */
#define REQUIRE(cond)                                                                              \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: failed: %s (errno %d)\n", __FILE__, __LINE__, #cond, errno);         \
      _exit(1);                                                                                    \
    }                                                                                              \
  } while (0)

static void run_as_root(void (*fn)(int), int arg) {
  if (geteuid() != 0) {
    fprintf(stderr, "skipped: needs root\n");
    return;
  }
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    REQUIRE(unshare(CLONE_NEWNS | CLONE_NEWUTS) == 0);
    fn(arg);
    _exit(0);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
}

static bool fs_is(const char *path, long magic) {
  struct statfs s;
  return statfs(path, &s) == 0 && s.f_type == magic;
}

static bool is_readonly(const char *path) {
  struct statvfs s;
  return statvfs(path, &s) == 0 && (s.f_flag & ST_RDONLY);
}

static bool is_chr(const char *path, unsigned maj, unsigned min) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == maj &&
         minor(st.st_rdev) == min;
}

/* A v1 host's hierarchies under /sys/fs/cgroup: without a cgroup of the container's (none is
 * given here) each is an empty directory, never the host's hierarchy. */
static void check_cgroup_hierarchies_hidden(void) {
  DIR *d = opendir("/sys/fs/cgroup");
  REQUIRE(d);
  int n = 0;
  for (struct dirent *de; (de = readdir(d));) {
    _cleanup_free_ char *p = xasprintf("/sys/fs/cgroup/%s", de->d_name);
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    REQUIRE(!fs_is(p, CGROUP_SUPER_MAGIC) && !fs_is(p, CGROUP2_SUPER_MAGIC));
    DIR *sub = opendir(p);
    REQUIRE(sub);
    int entries = 0;
    for (struct dirent *e; (e = readdir(sub));)
      entries += e->d_name[0] != '.';
    closedir(sub);
    REQUIRE(entries == 0);
    n++;
  }
  closedir(d);
  REQUIRE(n > 0);
}

static void check_container_view(bool cgroup2_host) {
  char buf[PATH_MAX];
  REQUIRE(getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0);
  REQUIRE(access("/src-file", F_OK) < 0); /* the host's tree is gone */
  REQUIRE(fs_is("/proc", PROC_SUPER_MAGIC) && access("/proc/self/status", R_OK) == 0);
  REQUIRE(fs_is("/tmp", TMPFS_MAGIC));
  REQUIRE(is_chr("/dev/null", 1, 3) && is_chr("/dev/zero", 1, 5) && is_chr("/dev/tty", 5, 0));
  REQUIRE(is_chr("/dev/kmsg", 1, 11));
  ssize_t n = readlink("/dev/fd", buf, sizeof buf - 1);
  REQUIRE(n == 13 && memcmp(buf, "/proc/self/fd", 13) == 0);
  n = readlink("/dev/ptmx", buf, sizeof buf - 1);
  REQUIRE(n == 8 && memcmp(buf, "pts/ptmx", 8) == 0);
  REQUIRE(fs_is("/dev/pts", DEVPTS_SUPER_MAGIC) && fs_is("/dev/shm", TMPFS_MAGIC));
  int fd = open("/etc/bound", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0 && read(fd, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0);
  close(fd);
  REQUIRE(open("/etc/bound", O_WRONLY | O_CLOEXEC) < 0 && errno == EROFS);
  REQUIRE(access("/proc/kcore", F_OK) < 0 || is_chr("/proc/kcore", 1, 3));
  REQUIRE(fs_is("/secret", TMPFS_MAGIC) && is_readonly("/secret"));
  REQUIRE(access("/secret/hidden", F_OK) < 0);
  REQUIRE(is_chr("/maskme", 1, 3));
  fd = open("/maskme", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0 && read(fd, buf, sizeof buf) == 0);
  close(fd);
  REQUIRE(is_readonly("/proc/sys") && !is_readonly("/proc"));
  REQUIRE(gethostname(buf, sizeof buf) == 0 && strcmp(buf, "husk-rootfs-test") == 0);
  REQUIRE(mkdir("/newdir", 0755) < 0 && errno == EROFS);
  REQUIRE(fs_is("/sys", SYSFS_MAGIC) && is_readonly("/sys"));
  struct statvfs sv;
  REQUIRE(statvfs("/strict", &sv) == 0 && (sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NODEV));
  REQUIRE(!(sv.f_flag & (ST_RELATIME | ST_NOATIME)));
  REQUIRE(fs_is("/sys/fs/cgroup", cgroup2_host ? CGROUP2_SUPER_MAGIC : TMPFS_MAGIC));
  REQUIRE(is_readonly("/sys/fs/cgroup"));
  if (!cgroup2_host)
    check_cgroup_hierarchies_hidden();
}

static void write_proc(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0 && write_all(fd, text, strlen(text)) == (ssize_t)strlen(text));
  close(fd);
}

/* Become root of a new user namespace (uid and gid 0 mapped to themselves), owning new mount,
 * UTS and pid namespaces but sharing the network one, as a rootless container would: the
 * mounts inherited from the host are locked and sysfs may not be mounted. */
static void enter_user_ns(void) {
  REQUIRE(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) == 0);
  write_proc("/proc/self/setgroups", "deny");
  write_proc("/proc/self/uid_map", "0 0 1");
  write_proc("/proc/self/gid_map", "0 0 1");
  pid_t pid = fork(); /* the child is pid 1 of the new pid namespace */
  REQUIRE(pid >= 0);
  if (pid > 0) {
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
}

/* arg bit 0: in_user_ns (devices are bound, not made); bit 1: no_pivot; bit 2: really in a
 * new user namespace. */
static void full_rootfs(int arg) {
  /* Made outside the user namespace, so inside it the strictatime and nodev of this mount are
   * locked: a read-only bind of it must keep both. */
  _cleanup_free_ char *strict = xasprintf("%s/strict", tmp);
  REQUIRE(mkdir(strict, 0755) == 0);
  REQUIRE(mount("tmpfs", strict, "tmpfs", MS_STRICTATIME | MS_NODEV, "size=1m") == 0);
  if (arg & 4)
    enter_user_ns();
  REQUIRE(chdir(tmp) == 0); /* init runs in the bundle: relative bind sources start there */
  REQUIRE(mkdirat(root_fd, "rootfs", 0755) == 0 && mkdirat(root_fd, "rootfs/secret", 0755) == 0);
  write_text("rootfs/secret/hidden", "x");
  write_text("rootfs/maskme", "private");
  write_text("src-file", "hello");
  struct log_config lc = {.trace = true};
  REQUIRE(log_open(&lc, NULL) == 0);

  struct spec_mount mounts[] = {
      {"/proc", "proc", "proc", (const char *[]){"nosuid", "noexec", "nodev", NULL}},
      {"/tmp", "tmpfs", "tmpfs", (const char *[]){"nosuid", "size=1m", "mode=1777", NULL}},
      {"/etc/bound", "bind", "src-file", (const char *[]){"rbind", "ro", "rprivate", NULL}},
      {"/strict", "bind", "strict", (const char *[]){"rbind", "ro", NULL}},
      {"/sys", "sysfs", "sysfs", (const char *[]){"nosuid", "noexec", "nodev", "ro", NULL}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", (const char *[]){"nosuid", "ro", NULL}},
  };
  struct spec_device devices[] = {{.path = "/dev/kmsg", .type = 'c', .major = 1, .minor = 11}};
  struct spec_kv sysctl[] = {{"kernel.hostname", "husk-rootfs-test"}};
  struct spec spec = {
      .mounts = mounts,
      .n_mounts = ARRAY_SIZE(mounts),
      .root = {.path = "rootfs", .readonly = true},
      .linux_ = {.devices = devices,
                 .n_devices = 1,
                 .sysctl = sysctl,
                 .n_sysctl = 1,
                 .masked_paths =
                     (const char *[]){"/proc/kcore", "/secret", "/maskme", "/missing", NULL},
                 .readonly_paths = (const char *[]){"/proc/sys", "/missing", NULL}},
  };
  _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", tmp);
  struct statfs cg;
  REQUIRE(statfs("/sys/fs/cgroup", &cg) == 0);
  struct husk_error *err = NULL;
  const struct rootfs_options ro = {.in_user_ns = arg & 1, .own_mount_ns = true};
  int r = rootfs_prepare(&spec, rootfs, &ro, &err);
  if (r == 0)
    r = rootfs_pivot(rootfs, arg & 2, true, &err);
  if (r == 0)
    r = rootfs_finalize(&spec, &err);
  if (r < 0)
    fprintf(stderr, "error: %s\n", err->message);
  REQUIRE(r == 0);
  check_container_view(cg.f_type == CGROUP2_SUPER_MAGIC);

  /* A sysctl key that tries to leave /proc/sys is refused by name. */
  struct spec_kv bad[] = {{"kernel/../x", "1"}};
  struct spec spec2 = {.linux_ = {.sysctl = bad, .n_sysctl = 1}};
  REQUIRE(rootfs_finalize(&spec2, &err) == -EINVAL);
  REQUIRE(strcmp(err->message, "linux.sysctl: kernel/../x: invalid key") == 0);
  husk_error_freep(&err);

  /* Nothing is masked with a /dev/null that is not the null device (CVE-2025-31133). */
  umount2("/dev/null", MNT_DETACH); /* bound from the host when in_user_ns */
  REQUIRE(unlink("/dev/null") == 0 && symlink("/proc/self/fd/2", "/dev/null") == 0);
  struct spec spec3 = {.linux_ = {.masked_paths = (const char *[]){"/maskme", NULL}}};
  REQUIRE(rootfs_finalize(&spec3, &err) == -EPERM);
  REQUIRE(strcmp(err->message,
                 "linux.maskedPaths: /maskme: /dev/null is not the null device (char 1:3)") == 0);
  husk_error_freep(&err);
}

/* Without a real user namespace: mknod or binds, pivot_root or MS_MOVE; within one: both. */
static const int full_variants[] = {0, 1, 2, 3, 5, 7};

START_TEST(test_root_full_rootfs) { run_as_root(full_rootfs, full_variants[_i]); }
END_TEST

/* Runs rootfs_prepare on a config with one mount and expects the error message. */
static void expect_prepare_error(const struct spec_mount *m, const char *want) {
  struct spec spec = {.mounts = (struct spec_mount *)m, .n_mounts = 1};
  _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", tmp);
  struct husk_error *err = NULL;
  const struct rootfs_options ro = {.own_mount_ns = true};
  REQUIRE(rootfs_prepare(&spec, rootfs, &ro, &err) < 0);
  if (strcmp(err->message, want) != 0)
    fprintf(stderr, "got: %s\n", err->message);
  REQUIRE(strcmp(err->message, want) == 0);
  husk_error_freep(&err);
}

static void proc_on_symlink(int arg) {
  (void)arg;
  REQUIRE(mkdirat(root_fd, "rootfs", 0755) == 0 && symlinkat("/etc", root_fd, "rootfs/proc") == 0);
  struct spec_mount m = {"/proc", "proc", "proc", (const char *[]){NULL}};
  expect_prepare_error(&m, "mounts[0] (/proc): destination is a symlink");
}

static void unsupported_option(int arg) {
  (void)arg;
  REQUIRE(mkdirat(root_fd, "rootfs", 0755) == 0);
  struct spec_mount m = {"/dst", "tmpfs", "tmpfs", (const char *[]){"ro", "idmap", NULL}};
  expect_prepare_error(&m, "mounts[0] (/dst): option \"idmap\" is not supported");
}

START_TEST(test_root_proc_on_symlink) { run_as_root(proc_on_symlink, 0); }
END_TEST

START_TEST(test_root_unsupported_option) { run_as_root(unsupported_option, 0); }
END_TEST

static Suite *rootfs_suite(void) {
  Suite *s = suite_create("rootfs");
  TCase *tc = tcase_create("resolve");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_nested_path, 0, 2);
  tcase_add_loop_test(tc, test_absolute_symlink_stays_inside, 0, 2);
  tcase_add_loop_test(tc, test_dotdot_stays_inside, 0, 2);
  tcase_add_loop_test(tc, test_create_file_and_parents, 0, 2);
  tcase_add_loop_test(tc, test_create_through_symlink, 0, 2);
  tcase_add_loop_test(tc, test_create_through_dangling_symlink, 0, 2);
  tcase_add_loop_test(tc, test_create_dir, 0, 2);
  tcase_add_loop_test(tc, test_symlink_loop, 0, 2);
  tcase_add_loop_test(tc, test_errors, 0, 2);
  suite_add_tcase(s, tc);
  TCase *flags = tcase_create("flags");
  tcase_add_test(flags, test_mount_flags_to_string);
  tcase_add_test(flags, test_mount_label_data);
  suite_add_tcase(s, flags);
  TCase *root = tcase_create("as-root");
  tcase_add_checked_fixture(root, setup, teardown);
  tcase_set_timeout(root, 60);
  tcase_add_loop_test(root, test_root_full_rootfs, 0, ARRAY_SIZE(full_variants));
  tcase_add_test(root, test_root_proc_on_symlink);
  tcase_add_test(root, test_root_unsupported_option);
  suite_add_tcase(s, root);
  return s;
}

int main(void) { return unit_run(rootfs_suite()); }
