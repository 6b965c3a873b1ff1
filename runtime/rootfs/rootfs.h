/* rootfs.h: the container's filesystem: root propagation, the OCI mounts, /dev, pivot_root,
 * masked and readonly paths, a readonly root, sysctl; and path resolution inside the rootfs
 * that symlinks cannot escape. All of it runs in the container's init, in its mount ns. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct husk_error;
struct spec;

/* rootfs_overlay.c: mount an overlay at target (the init does, in its mount namespace): the
 * lower directories (base first, all in one directory) under upper, with work beside it.
 * "volatile": the upper directory lives as long as its container, which does not outlive a
 * reboot, so the sync of the whole upper filesystem overlayfs makes at unmount (4 of a run's
 * 19 ms on ext4, scripts/bench) is skipped. A second mount of the same upper (a restart in
 * place, within the boot) needs work/work/incompat/volatile removed first. */
struct rootfs_overlay {
  char **lowers;
  size_t n_lowers;
  const char *upper, *work;
};
int rootfs_mount_overlay(const char *target, const struct rootfs_overlay *o,
                         struct husk_error **err);

/* Before pivot_root: make the mount tree private (or as linux.rootfsPropagation says),
 * bind the rootfs onto itself or mount its overlay (both only with own_mount_ns: the container has a mount
 * namespace, new or joined), perform every entry of spec->mounts inside it (targets are
 * resolved inside the rootfs and mounted through an fd), build /dev (default device nodes,
 * linux.devices, the fd/stdin/stdout/stderr/ptmx symlinks, /dev/pts and /dev/shm when the
 * config mounts none). rootfs is the absolute host path of the root directory. */
struct cgroup;
struct rootfs_options {
  bool in_user_ns;   /* a new user namespace: device nodes are bound, not made */
  bool own_mount_ns; /* the container has a mount namespace (new or joined) */
  const struct cgroup *cgroup; /* the container's, shown at its cgroup mount; may be NULL */
  bool cgroup_ns;              /* it has a cgroup namespace: on v2, cgroup2 shows its root */
  const struct rootfs_overlay *overlay; /* an image's layers: mounted at rootfs first */
  const int *source_fds; /* per spec->mounts[i]: its bind source opened already, bound through
                            /proc/self/fd, or -1 for the path; NULL: all by path */
};
int rootfs_prepare(const struct spec *spec, const char *rootfs, const struct rootfs_options *o,
                   struct husk_error **err);

/* Make rootfs the process's root: pivot_root(2) and detach the old root, or with no_pivot
 * MS_MOVE it onto / and chroot (for a rootfs on a ramfs, where pivot_root fails). Without
 * own_mount_ns (the config has no mount namespace) only chroot, as runc. */
int rootfs_pivot(const char *rootfs, bool no_pivot, bool own_mount_ns, struct husk_error **err);

/* Unmount (detached, children first) every mount strictly below dir in the caller's mount
 * namespace: what a container without a mount namespace of its own mounted in its rootfs.
 * Returns how many there were. */
int rootfs_unmount_under(const char *dir, struct husk_error **err);

/* After pivot_root: maskedPaths, readonlyPaths, root.readonly, the final propagation of /,
 * and linux.sysctl (written through the container's /proc). */
int rootfs_finalize(const struct spec *spec, struct husk_error **err);

/* Resolve path (absolute or relative) inside the directory root_fd so that neither ".." nor
 * a symlink can leave it (openat2 RESOLVE_IN_ROOT, with a component walk as the fallback),
 * and open it with flags (O_PATH is fine). With create, missing parent directories are made
 * (mode 0755) and the last component is made as a directory (create_dir) or empty file. */
int rootfs_open_in_root(int root_fd, const char *path, int flags, bool create, bool create_dir,
                        struct husk_error **err);
/* The same, always by the component walk that stands in for openat2 on kernels before 5.6
 * (exposed so the tests can exercise it on any kernel). */
int rootfs_open_in_root_walk(int root_fd, const char *path, int flags, bool create,
                             bool create_dir, struct husk_error **err);

/* rootfs_copyup.c: copy what the directory lower holds into upper (the tmpfs mounted over it,
 * for "tmpcopyup"), owners, modes and times included; upper takes lower's mode. */
int rootfs_copy_up(int lower, int upper, struct husk_error **err);
/* Lay a layer (an unpacked directory with overlay whiteouts) over root, as overlayfs would
 * show it: for a kernel without overlayfs. */
int rootfs_copy_layer(int layer, int root, struct husk_error **err);


/* "MS_NOSUID|MS_NODEV|..." for tracing. */
const char *mount_flags_to_string(unsigned long flags, char *buf, size_t len);
