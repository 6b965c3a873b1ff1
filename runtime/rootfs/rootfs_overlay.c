/* rootfs_overlay.c: an image container's root filesystem, an overlay of its layers with its
 * own upper directory, mounted by the init in its own mount namespace. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "rootfs.h"

/* Linux 6.8 and later: each lower directory added by itself ("lowerdir+"), so neither the
 * number of layers nor a ':' or ',' in a path is limited by one option string. -ENOSYS
 * (EINVAL from fsconfig) when the kernel does not take it. */
static int mount_by_fsconfig(const char *target, const struct rootfs_overlay *o,
                             struct husk_error **err) {
  _cleanup_close_ int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fs < 0)
    return errno == ENOSYS ? -ENOSYS : husk_error_sys(err, "fsopen(overlay)");
  for (size_t i = o->n_lowers; i-- > 0;) /* the topmost layer first */
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir+", o->lowers[i], 0) < 0)
      return errno == EINVAL && i == o->n_lowers - 1
                 ? -ENOSYS
                 : husk_error_sys(err, "overlay: lower directory %s", o->lowers[i]);
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "upperdir", o->upper, 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "workdir", o->work, 0) < 0)
    return husk_error_sys(err, "overlay: upper directory %s", o->upper);
  /* See rootfs.h: nothing synced at unmount (where a kernel before 5.10 lacks it, synced). */
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 && errno != EINVAL)
    return husk_error_sys(err, "overlay: volatile");
  /* Before 6.5 overlayfs took the new API's parameters as one legacy option string: an
   * unknown "lowerdir+" is refused only here. */
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return errno == EINVAL ? -ENOSYS : husk_error_sys(err, "overlay on %s: create", target);
  _cleanup_close_ int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0)
    return husk_error_sys(err, "overlay on %s: fsmount", target);
  long r = syscall(SYS_move_mount, mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
  TRACE(r,
        "the image's layers (lowerdir+, topmost first) under the container's own upper "
        "directory, as its root filesystem",
        "fsopen(\"overlay\"); fsconfig(lowerdir+ x%zu, upperdir=%s); move_mount(-> %s)",
        o->n_lowers, o->upper, target);
  return r < 0 ? husk_error_sys(err, "overlay on %s: move_mount", target) : 0;
}

/* Before 6.8: one option string of at most a page. The layers share a directory, so from
 * there their names are short (64 hex digits each): about 60 layers fit. */
static int mount_by_options(const char *target, const struct rootfs_overlay *o,
                            struct husk_error **err) {
  const char *slash = strrchr(o->lowers[0], '/');
  _cleanup_free_ char *parent = xasprintf("%.*s", (int)(slash - o->lowers[0]), o->lowers[0]);
  size_t cap = 4096, len = 0;
  _cleanup_free_ char *opts = xmalloc(cap);
  len += (size_t)snprintf(opts, cap, "lowerdir=");
  for (size_t i = o->n_lowers; i-- > 0;) {
    const char *s = strrchr(o->lowers[i], '/');
    if (strncmp(o->lowers[i], parent, strlen(parent)) != 0 || s != o->lowers[i] + strlen(parent))
      return husk_error_set(err, EINVAL, "overlay: layer %s is not in %s", o->lowers[i], parent);
    len += (size_t)snprintf(opts + len, len < cap ? cap - len : 0, "%s%s", s + 1, i ? ":" : "");
  }
  len += (size_t)snprintf(opts + len, len < cap ? cap - len : 0, ",upperdir=%s,workdir=%s",
                          o->upper, o->work);
  if (len >= cap - 1 - strlen(",volatile"))
    return husk_error_set(err, E2BIG,
                          "overlay: %zu layers do not fit one mount's options on this kernel "
                          "(Linux 6.8 takes any number)",
                          o->n_lowers);
  if (strpbrk(o->upper, ",:") || strpbrk(o->work, ",:"))
    return husk_error_set(err, EINVAL, "overlay: %s: a ',' or ':' in the storage path", o->upper);
  _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (chdir(parent) < 0)
    return husk_error_sys(err, "overlay: chdir %s", parent);
  _cleanup_free_ char *volatile_opts = xasprintf("%s,volatile", opts);
  int r = mount("overlay", target, "overlay", 0, volatile_opts);
  if (r < 0 && errno == EINVAL) /* before 5.10 */
    r = mount("overlay", target, "overlay", 0, opts);
  int saved = errno;
  TRACE(r,
        "the image's layers (topmost first) under the container's own upper directory, as "
        "its root filesystem",
        "mount(\"overlay\", \"%s\", \"overlay\", 0, \"%s\")", target, opts);
  if (cwd >= 0 && fchdir(cwd) < 0)
    log_warn("overlay: cannot return to the previous directory");
  return r < 0 ? husk_error_errno(err, saved, "mount overlay on %s", target) : 0;
}

int rootfs_mount_overlay(const char *target, const struct rootfs_overlay *o,
                         struct husk_error **err) {
  if (o->n_lowers == 0)
    return husk_error_set(err, EINVAL, "overlay: the image has no layers");
  int r = mount_by_fsconfig(target, o, err);
  return r == -ENOSYS ? mount_by_options(target, o, err) : r;
}
