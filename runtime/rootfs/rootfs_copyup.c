/* rootfs_copyup.c: the "tmpcopyup" mount option (podman's --tmpfs and --read-only ask for it):
 * what the image has in a directory is copied into the tmpfs that covers it, with owners,
 * modes and times: directories, files, symlinks, device nodes, fifos. Runs in the init.
 * The same copy, merging, lays an image's layers one over the other where overlayfs is
 * missing: whiteouts remove, opaque directories replace, the rest overwrites. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "rootfs.h"

/* Deeper than this is a tree no image has; it would only exhaust the init's stack. */
#define MAX_DEPTH 128

/* /proc/self/fd/N/name: a path for what only an fd reaches. */
static char *fd_path_of(int dir, const char *name) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", dir);
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n < 0)
    return NULL;
  target[n] = '\0';
  return xasprintf("%s/%s", target, name);
}

static void closedirp(DIR **d) {
  if (*d)
    closedir(*d);
}

static int copy_dir(int src, int dst, int depth, bool merge, struct husk_error **err);

/* Owner first: chown clears the set-id bits that the mode then restores. */
static int set_attrs(int dir, const char *name, const struct stat *st, struct husk_error **err) {
  const struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error_sys(err, "chown %s", name);
  if (!S_ISLNK(st->st_mode) && fchmodat(dir, name, st->st_mode & 07777, 0) < 0)
    return husk_error_sys(err, "chmod %s", name);
  if (utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error_sys(err, "set the times of %s", name);
  return 0;
}

static int copy_file(int src, int dst, const char *name, const struct stat *st,
                     struct husk_error **err) {
  _cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return husk_error_sys(err, "open %s", name);
  _cleanup_close_ int out =
      openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return husk_error_sys(err, "create %s", name);
  for (off_t left = st->st_size; left > 0;) {
    ssize_t n = sendfile(out, in, NULL, left > INT32_MAX ? INT32_MAX : (size_t)left);
    if (n < 0)
      return husk_error_sys(err, "copy %s", name);
    if (n == 0)
      break; /* the file shrank while being copied: what there was is copied */
    left -= n;
  }
  return 0;
}

/* What an upper layer puts at name replaces what lower ones had (a directory merges unless
 * the layer marks it opaque). */
static int clear_for(int dst, const char *name, const struct stat *st, int src,
                     struct husk_error **err) {
  struct stat old;
  if (fstatat(dst, name, &old, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  char v = 0;
  bool opaque = false;
  if (S_ISDIR(st->st_mode)) {
    _cleanup_close_ int d = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    opaque = d >= 0 && fgetxattr(d, "trusted.overlay.opaque", &v, 1) == 1 && v == 'y';
  }
  if (S_ISDIR(st->st_mode) && S_ISDIR(old.st_mode) && !opaque)
    return 0;
  if (!S_ISDIR(old.st_mode))
    return unlinkat(dst, name, 0) < 0 ? husk_error_sys(err, "remove %s", name) : 0;
  _cleanup_free_ char *path = fd_path_of(dst, name);
  return path ? remove_dir_tree(path, err) : husk_error_sys(err, "remove %s", name);
}

static bool is_whiteout(const struct stat *st) {
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int copy_entry(int src, int dst, const char *name, int depth, bool merge,
                      struct husk_error **err) {
  struct stat st;
  if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error_sys(err, "stat %s", name);
  int r = merge ? clear_for(dst, name, &st, src, err) : 0;
  if (r < 0 || (merge && is_whiteout(&st)))
    return r;
  switch (st.st_mode & S_IFMT) {
  case S_IFDIR: {
    if (mkdirat(dst, name, 0700) < 0 && !(merge && errno == EEXIST))
      return husk_error_sys(err, "mkdir %s", name);
    _cleanup_close_ int sub_src =
        openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int sub_dst =
        openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub_src < 0 || sub_dst < 0)
      return husk_error_sys(err, "open %s", name);
    r = copy_dir(sub_src, sub_dst, depth + 1, merge, err);
    if (r < 0)
      return husk_error_wrap(err, "%s", name);
    break;
  }
  case S_IFREG: r = copy_file(src, dst, name, &st, err); break;
  case S_IFLNK: {
    char target[PATH_MAX];
    ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
    if (n < 0)
      return husk_error_sys(err, "readlink %s", name);
    target[n] = '\0';
    if (symlinkat(target, dst, name) < 0)
      return husk_error_sys(err, "symlink %s", name);
    break;
  }
  default: /* device nodes, fifos, sockets: the node itself, not what it leads to */
    if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
      return husk_error_sys(err, "mknod %s", name);
    break;
  }
  return r < 0 ? r : set_attrs(dst, name, &st, err);
}

static int copy_dir(int src, int dst, int depth, bool merge, struct husk_error **err) {
  if (depth > MAX_DEPTH)
    return husk_error_set(err, ELOOP, "more than %d directories deep", MAX_DEPTH);
  int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "open directory");
  __attribute__((cleanup(closedirp))) DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return husk_error_sys(err, "read directory");
  }
  for (struct dirent *e; (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    int r = copy_entry(src, dst, e->d_name, depth, merge, err);
    if (r < 0)
      return r;
  }
  return 0;
}

int rootfs_copy_up(int lower, int upper, struct husk_error **err) {
  struct stat st;
  if (fstat(lower, &st) < 0)
    return husk_error_sys(err, "stat the covered directory");
  int r = copy_dir(lower, upper, 0, false, err);
  if (r < 0)
    return r;
  /* The tmpfs's root takes the covered directory's mode (its owner stays root), as in runc. */
  if (fchmodat(upper, ".", st.st_mode & 07777, 0) < 0)
    return husk_error_sys(err, "chmod the tmpfs");
  return 0;
}

int rootfs_copy_layer(int layer, int root, struct husk_error **err) {
  return copy_dir(layer, root, 0, true, err);
}
