/* rootfs.c: owns the container's filesystem: root propagation, the OCI mounts (resolved inside
 * the rootfs and mounted through an fd), /dev, pivot_root, masked and readonly paths, a
 * readonly root and sysctl. (Symlink-safe resolution inside the rootfs: rootfs_resolve.c.)
 *
 * All of it runs in the container's init, inside its private mount namespace. Nothing is
 * unmounted on failure: the namespace, and every mount in it, vanishes when init exits. */
#include "rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "process/lsm.h"
#include "spec/spec.h"

/* Per-mount flags that a bind mount only takes from a second MS_REMOUNT call. */
#define BIND_REMOUNT_FLAGS                                                                         \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |       \
   MS_STRICTATIME | MS_NOSYMFOLLOW)

/* ---- mount flags ---- */

#define FLAG_NAME(f)                                                                               \
  { f, #f }
static const struct {
  unsigned long flag;
  const char *name;
} flag_names[] = {FLAG_NAME(MS_RDONLY),    FLAG_NAME(MS_NOSUID),      FLAG_NAME(MS_NODEV),
                  FLAG_NAME(MS_NOEXEC),    FLAG_NAME(MS_SYNCHRONOUS), FLAG_NAME(MS_REMOUNT),
                  FLAG_NAME(MS_MANDLOCK),  FLAG_NAME(MS_DIRSYNC),     FLAG_NAME(MS_NOSYMFOLLOW),
                  FLAG_NAME(MS_NOATIME),   FLAG_NAME(MS_NODIRATIME),  FLAG_NAME(MS_BIND),
                  FLAG_NAME(MS_MOVE),      FLAG_NAME(MS_REC),         FLAG_NAME(MS_SILENT),
                  FLAG_NAME(MS_POSIXACL),  FLAG_NAME(MS_UNBINDABLE),  FLAG_NAME(MS_PRIVATE),
                  FLAG_NAME(MS_SLAVE),     FLAG_NAME(MS_SHARED),      FLAG_NAME(MS_RELATIME),
                  FLAG_NAME(MS_KERNMOUNT), FLAG_NAME(MS_I_VERSION),   FLAG_NAME(MS_STRICTATIME),
                  FLAG_NAME(MS_LAZYTIME)};

const char *mount_flags_to_string(unsigned long flags, char *buf, size_t len) {
  if (!len)
    return buf;
  buf[0] = '\0';
  if (!flags) {
    snprintf(buf, len, "0");
    return buf;
  }
  size_t off = 0;
  for (size_t i = 0; i < ARRAY_SIZE(flag_names) && off < len; i++) {
    if (!(flags & flag_names[i].flag))
      continue;
    flags &= ~flag_names[i].flag;
    off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "|" : "", flag_names[i].name);
  }
  if (flags && off < len)
    snprintf(buf + off, len - off, "%s0x%lx", off ? "|" : "", flags);
  return buf;
}

/* The OCI mount options that are mount(2) flags (set, cleared, or a propagation change made
 * with a second call); every other option is filesystem data. */
enum opt_kind { OPT_SET, OPT_CLEAR, OPT_PROP };
/* clang-format off */
static const struct {
  const char *name;
  enum opt_kind kind;
  unsigned long flag;
} flag_options[] = {
    {"ro", OPT_SET, MS_RDONLY},              {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},          {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},            {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},          {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},       {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"mand", OPT_SET, MS_MANDLOCK},          {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},        {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},  {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},      {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME}, {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_SET, MS_LAZYTIME},      {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW}, {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"silent", OPT_SET, MS_SILENT},          {"loud", OPT_CLEAR, MS_SILENT},
    {"iversion", OPT_SET, MS_I_VERSION},     {"noiversion", OPT_CLEAR, MS_I_VERSION},
    {"bind", OPT_SET, MS_BIND},              {"rbind", OPT_SET, MS_BIND | MS_REC},
    {"dirsync", OPT_SET, MS_DIRSYNC},        {"remount", OPT_SET, MS_REMOUNT},
    {"defaults", OPT_SET, 0},
    {"private", OPT_PROP, MS_PRIVATE},       {"rprivate", OPT_PROP, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROP, MS_SHARED},         {"rshared", OPT_PROP, MS_SHARED | MS_REC},
    {"slave", OPT_PROP, MS_SLAVE},           {"rslave", OPT_PROP, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROP, MS_UNBINDABLE}, {"runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC},
};
/* clang-format on */

/* Options that need machinery husk does not have (overlay copy-up, idmapped and recursive
 * mount attributes): refused by name rather than handed to the kernel as data. */
static const char *const unsupported_options[] = {
    "idmap",      "ridmap",       "rro",       "rrw",         "rnosuid",      "rsuid",
    "rnodev",     "rdev",         "rnoexec",   "rexec",       "ratime",       "rnoatime",
    "rrelatime",  "rnorelatime",  "rdiratime", "rnodiratime", "rstrictatime", "rnostrictatime",
    "rsymfollow", "rnosymfollow",
};

struct mount_opts {
  unsigned long flags;
  unsigned long propagation;
  char *data;  /* comma-joined filesystem options, NULL when none */
  bool copyup; /* tmpcopyup: a tmpfs starts with what the image has there */
};

static int parse_mount_options(const char *const *options, struct mount_opts *ret,
                               struct husk_error **err) {
  struct mount_opts o = {0};
  for (const char *const *p = options; *p; p++) {
    size_t i = 0;
    if (strcmp(*p, "tmpcopyup") == 0) {
      o.copyup = true;
      continue;
    }
    for (size_t j = 0; j < ARRAY_SIZE(unsupported_options); j++)
      if (strcmp(*p, unsupported_options[j]) == 0) {
        free(o.data);
        return husk_error_set(err, EINVAL, "option \"%s\" is not supported", *p);
      }
    while (i < ARRAY_SIZE(flag_options) && strcmp(*p, flag_options[i].name) != 0)
      i++;
    if (i < ARRAY_SIZE(flag_options)) {
      if (flag_options[i].kind == OPT_SET)
        o.flags |= flag_options[i].flag;
      else if (flag_options[i].kind == OPT_CLEAR)
        o.flags &= ~flag_options[i].flag;
      else
        o.propagation |= flag_options[i].flag;
      continue;
    }
    char *data = o.data ? xasprintf("%s,%s", o.data, *p) : xstrdup(*p);
    free(o.data);
    o.data = data;
  }
  *ret = o;
  return 0;
}

static const char *fd_path(int fd, char buf[static 32]) {
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

/* For the trace: a target given as /proc/self/fd/N is shown with the path it stands for. */
static const char *fd_path_note(const char *path, char *buf, size_t len) {
  buf[0] = '\0';
  if (!path || !str_has_prefix(path, "/proc/self/fd/"))
    return buf;
  char link[PATH_MAX];
  ssize_t n = readlink(path, link, sizeof(link) - 1);
  if (n > 0) {
    link[n] = '\0';
    snprintf(buf, len, " /* %s */", link);
  }
  return buf;
}

/* mount(2), narrated. */
static int do_mount(const char *src, const char *target, const char *type, unsigned long flags,
                    const char *data, const char *why) {
  char fl[256], src_note[PATH_MAX + 8], target_note[PATH_MAX + 8];
  int r = mount(src, target, type, flags, data);
  if (log_trace_enabled())
    TRACE(r, why, "mount(\"%s\"%s, \"%s\"%s, \"%s\", %s, \"%s\")", src ? src : "",
          fd_path_note(src, src_note, sizeof(src_note)), target,
          fd_path_note(target, target_note, sizeof(target_note)), type ? type : "",
          mount_flags_to_string(flags, fl, sizeof fl), data ? data : "");
  return r;
}

/* The per-mount flags already set on the mount at fd (a new bind mount carries its source
 * mount's). In a user namespace the kernel locks the ones inherited from a more privileged
 * namespace, and a remount that drops one fails with EPERM; so they are kept. (The atime
 * flags are locked too, but a remount that names none keeps them anyway.) */
static unsigned long locked_flags(int fd) {
  struct statvfs sv;
  if (fstatvfs(fd, &sv) < 0)
    return 0;
  return sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC); /* == the MS_* values */
}

/* ---- the OCI mounts ---- */

/* path without repeated slashes, "." components or a trailing slash; "/" stays "/". */
static char *clean_path(const char *path) {
  char *out = xmalloc(strlen(path) + 2);
  size_t n = 0;
  for (const char *p = path;;) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (!len)
      break;
    if (len != 1 || p[0] != '.') {
      out[n++] = '/';
      memcpy(out + n, p, len);
      n += len;
    }
    p += len;
  }
  if (!n)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

static bool is_bind(const struct spec_mount *m) {
  if (m->type && strcmp(m->type, "bind") == 0)
    return true;
  for (const char *const *o = m->options; o && *o; o++)
    if (strcmp(*o, "bind") == 0 || strcmp(*o, "rbind") == 0)
      return true;
  return false;
}

/* The config's mount on dest; the last one wins, since it ends up on top. */
static const struct spec_mount *find_mount(const struct spec *spec, const char *dest) {
  const struct spec_mount *found = NULL;
  for (size_t i = 0; i < spec->n_mounts; i++) {
    _cleanup_free_ char *c = clean_path(spec->mounts[i].destination);
    if (strcmp(c, dest) == 0)
      found = &spec->mounts[i];
  }
  return found;
}

/* After a mount the old fd still names the covered directory: resolve again to get the mount. */
static int reopen(int root_fd, const char *dest, int flags, struct husk_error **err) {
  return rootfs_open_in_root(root_fd, dest, O_PATH | flags, false, false, err);
}

/* A bind mount ignores every flag but MS_REC; ro, nosuid and friends take a second call. */
static int remount_bind(int fd, unsigned long flags, const char *why, struct husk_error **err) {
  char p[32], fl[256];
  flags = (flags & BIND_REMOUNT_FLAGS) | locked_flags(fd);
  if (do_mount(NULL, fd_path(fd, p), NULL, MS_BIND | MS_REMOUNT | flags, NULL, why) < 0)
    return husk_error_sys(err, "remount bind %s", mount_flags_to_string(flags, fl, sizeof fl));
  return 0;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void mountinfo_unescape(char *s) {
  char *out = s;
  for (const char *in = s; *in; out++) {
    unsigned v;
    if (in[0] == '\\' && sscanf(in + 1, "%3o", &v) == 1 && strspn(in + 1, "01234567") >= 3) {
      *out = (char)v;
      in += 4;
    } else {
      *out = *in++;
    }
  }
  *out = '\0';
}

/* A mountinfo line's mount point (field 5), unescaped in place, and its fstype; NULL for a
 * line it cannot read. Modifies line. */
static char *mountinfo_point(char *line, const char **ret_fstype) {
  char *save = NULL, *mnt = NULL, *tok = strtok_r(line, " ", &save);
  for (int i = 0; tok && i < 4; i++)
    tok = mnt = strtok_r(NULL, " ", &save);
  while (tok && strcmp(tok, "-") != 0)
    tok = strtok_r(NULL, " ", &save);
  const char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
  if (!mnt || !fstype)
    return NULL;
  mountinfo_unescape(mnt);
  *ret_fstype = fstype;
  return mnt;
}

/* A v1 or hybrid host's cgroup hierarchies as the container sees them: a tmpfs at the
 * destination with, for each hierarchy mounted right under the host's /sys/fs/cgroup, only
 * the container's own directory in it (as runc), so programs that size themselves from
 * memory.limit_in_bytes or cpu.cfs_quota_us read the container's limits and no other
 * tenant's cgroup shows. A hierarchy husk made no directory in (name=systemd, say; every one
 * with --cgroup-manager disabled) is an empty directory: there is nothing of the container's
 * to show, and the host's is not the container's to see. */

struct cgroup_view {
  const struct cgroup *cg; /* the container's cgroup; NULL when it has none */
  bool cgroup_ns;          /* the container has a cgroup namespace (v2: cgroup2 shows its root) */
};

/* A mountinfo line of a cgroup hierarchy right under /sys/fs/cgroup: its name there
 * ("memory", "cpu,cpuacct", "unified") and the host directory the container is to see of it
 * (*ret_dir, NULL when there is none to show); NULL when the line is no such hierarchy.
 * Modifies line. */
static const char *cgroup_view_of(char *line, const struct cgroup_view *v, char **ret_dir) {
  const char *fstype;
  char *mnt = mountinfo_point(line, &fstype);
  *ret_dir = NULL;
  if (!mnt || (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0) ||
      !str_has_prefix(mnt, "/sys/fs/cgroup/"))
    return NULL;
  const char *name = mnt + strlen("/sys/fs/cgroup/");
  if (!*name || strchr(name, '/') || strcmp(name, "..") == 0)
    return NULL;
  bool v2 = strcmp(fstype, "cgroup2") == 0;
  const char *own = NULL;
  if (v->cg) {
    own = cgroup_dir(v->cg, v2 ? "" : name);
    if (!own && !v2) {
      _cleanup_free_ char *named = xasprintf("name=%s", name);
      own = cgroup_dir(v->cg, named);
    }
  }
  /* cgroup_dir names the directory under the root husk detected: /sys/fs/cgroup on a host */
  *ret_dir = own && str_has_prefix(own, mnt) ? xstrdup(own) : NULL;
  return name;
}

/* Attach a cgroup directory of the host's at the directory fd: a clone of just that
 * directory, read-only unless asked otherwise, in three calls (bind and remount on kernels
 * before 5.12). */
static int attach_cgroup_dir(int fd, const char *host_dir, bool rdonly, struct husk_error **err) {
  char p[32];
  unsigned long ro = rdonly ? MS_RDONLY : 0;
  _cleanup_close_ int tree =
      (int)syscall(SYS_open_tree, AT_FDCWD, host_dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  TRACE(tree, "cgroup: the container's own directory of this hierarchy",
        "open_tree(\"%s\", OPEN_TREE_CLONE)", host_dir);
  if (tree < 0 && errno != ENOSYS)
    return husk_error_sys(err, "open_tree %s", host_dir);
  if (tree < 0) {
    if (do_mount(host_dir, fd_path(fd, p), "bind", MS_BIND, NULL,
                 "cgroup v1: show the container's own directory of this hierarchy") < 0)
      return husk_error_sys(err, "bind %s", host_dir);
    _cleanup_close_ int mfd = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (mfd < 0)
      return husk_error_sys(err, "open %s", host_dir);
    return remount_bind(mfd, ro | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "cgroup: as the config's cgroup mount asks", err);
  }
  struct mount_attr attr = {.attr_set = (rdonly ? MOUNT_ATTR_RDONLY : 0) | MOUNT_ATTR_NOSUID |
                                        MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
  long r = syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr);
  TRACE(r, "cgroup: as the config's cgroup mount asks", "mount_setattr(tree, %sNOSUID|NODEV|NOEXEC)",
        rdonly ? "RDONLY|" : "");
  if (r < 0)
    return husk_error_sys(err, "mount_setattr %s", host_dir);
  r = syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  TRACE(r, "cgroup: attach it in the container", "move_mount(tree, \"%s\")", fd_path(fd, p));
  return r < 0 ? husk_error_sys(err, "move_mount %s", host_dir) : 0;
}

/* Show one hierarchy's directory at dir/name. */
static int show_cgroup_dir(int dir, const char *name, const char *host_dir, bool rdonly,
                           struct husk_error **err) {
  /* EEXIST: mountinfo lists stacked mounts once each; the first one is shown already. */
  if (mkdirat(dir, name, 0755) < 0)
    return errno == EEXIST ? 0 : husk_error_sys(err, "mkdir %s", name);
  _cleanup_close_ int fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "open %s", name);
  return attach_cgroup_dir(fd, host_dir, rdonly, err);
}

/* The host's comount symlinks ("cpu" -> "cpu,cpuacct") are recreated next to the mounts. */
static int copy_cgroup_symlinks(int dir, struct husk_error **err) {
  DIR *d = opendir("/sys/fs/cgroup");
  if (!d)
    return husk_error_sys(err, "open /sys/fs/cgroup");
  int r = 0;
  for (struct dirent *de; r == 0 && (de = readdir(d));) {
    char target[PATH_MAX];
    ssize_t n;
    if (de->d_type != DT_LNK ||
        (n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1)) <= 0)
      continue;
    target[n] = '\0';
    if (symlinkat(target, dir, de->d_name) < 0 && errno != EEXIST)
      r = husk_error_sys(err, "symlink %s", de->d_name);
  }
  closedir(d);
  return r;
}

static int mount_cgroup_v1(int root_fd, const char *dest, int target, unsigned long flags,
                           const struct cgroup_view *v, struct husk_error **err) {
  char p[32];
  unsigned long tflags = (flags & ~(MS_RDONLY | MS_REMOUNT)) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (do_mount("tmpfs", fd_path(target, p), "tmpfs", tflags, "mode=755",
               "cgroup v1 host: a tmpfs to hold the hierarchies") < 0)
    return husk_error_sys(err, "mount tmpfs");
  _cleanup_close_ int dir = reopen(root_fd, dest, O_DIRECTORY, err);
  if (dir < 0)
    return dir;
  _cleanup_free_ char *info = NULL;
  int r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", 64 << 20, &info, err);
  for (char *line = info, *next; r == 0 && line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    _cleanup_free_ char *host_dir = NULL;
    const char *name = cgroup_view_of(line, v, &host_dir);
    if (name && host_dir)
      r = show_cgroup_dir(dir, name, host_dir, flags & MS_RDONLY, err);
    else if (name && mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
      r = husk_error_sys(err, "mkdir %s", name);
  }
  if (r == 0)
    r = copy_cgroup_symlinks(dir, err);
  if (r < 0 || !(flags & MS_RDONLY))
    return r;
  if (do_mount("tmpfs", fd_path(dir, p), "tmpfs", MS_REMOUNT | MS_RDONLY | tflags, "mode=755",
               "cgroup v1 host: the config asks for a read-only cgroup mount") < 0)
    return husk_error_sys(err, "remount tmpfs read-only");
  return 0;
}

static int mount_cgroup(int root_fd, const char *dest, int target, const struct mount_opts *o,
                        const char *why, const struct cgroup_view *v, struct husk_error **err) {
  char p[32];
  struct statfs sfs;
  if (statfs("/sys/fs/cgroup", &sfs) < 0)
    return husk_error_sys(err, "statfs /sys/fs/cgroup");
  if (sfs.f_type != CGROUP2_SUPER_MAGIC)
    return mount_cgroup_v1(root_fd, dest, target, o->flags, v, err);
  /* Without a cgroup namespace a cgroup2 mount would show the host's whole tree: the
   * container's own directory instead. */
  const char *own = !v->cgroup_ns && v->cg ? cgroup_dir(v->cg, "") : NULL;
  if (own)
    return attach_cgroup_dir(target, own, o->flags & MS_RDONLY, err);
  if (do_mount("cgroup2", fd_path(target, p), "cgroup2", o->flags, o->data, why) == 0)
    return 0;
  /* Without a cgroup namespace of its own a user namespace may not mount cgroup2 (EPERM), and
   * the hierarchy may be busy: like runc, bind the host's hierarchy instead. */
  if (errno != EPERM && errno != EBUSY)
    return husk_error_sys(err, "mount cgroup2");
  if (do_mount("/sys/fs/cgroup", p, "bind", MS_BIND | MS_REC, NULL,
               "cgroup2 cannot be mounted here: bind the host's hierarchy") < 0)
    return husk_error_sys(err, "bind /sys/fs/cgroup");
  _cleanup_close_ int fd = reopen(root_fd, dest, O_DIRECTORY, err);
  if (fd < 0)
    return fd;
  return remount_bind(fd, o->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, why, err);
}

/* proc and sysfs must not land on a symlink the image planted (CVE-2019-19921). */
static int check_not_symlink(int root_fd, const char *dest, struct husk_error **err) {
  _cleanup_free_ char *dir = xstrdup(dest);
  char *slash = strrchr(dir, '/');
  if (!slash || !slash[1])
    return 0;
  *slash = '\0';
  _cleanup_close_ int pfd =
      rootfs_open_in_root(root_fd, dir[0] ? dir : "/", O_PATH | O_DIRECTORY, true, true, err);
  if (pfd < 0)
    return pfd;
  struct stat st;
  if (fstatat(pfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    return husk_error_set(err, EINVAL, "destination is a symlink");
  return 0;
}

/* tmpcopyup: the directory about to be covered is opened first, so that what the image has
 * there can be copied into the new tmpfs; a read-only one is made so after the copy. */
static int mount_tmpfs_copyup(const struct spec_mount *m, int root_fd, const char *dest, int target,
                              const struct mount_opts *o, const char *why,
                              struct husk_error **err) {
  char p[32];
  _cleanup_close_ int lower = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lower < 0)
    return husk_error_sys(err, "open %s", dest);
  const char *src = m->source ? m->source : "tmpfs";
  if (do_mount(src, fd_path(target, p), "tmpfs", o->flags & ~MS_RDONLY, o->data, why) < 0)
    return husk_error_sys(err, "mount tmpfs");
  _cleanup_close_ int upper = reopen(root_fd, dest, O_DIRECTORY, err);
  if (upper < 0)
    return upper;
  int r = rootfs_copy_up(lower, upper, err);
  if (r < 0)
    return husk_error_wrap(err, "tmpcopyup");
  if ((o->flags & MS_RDONLY) &&
      do_mount(NULL, fd_path(upper, p), NULL, MS_REMOUNT | o->flags, o->data,
               "the copy is in: make the tmpfs read-only as asked") < 0)
    return husk_error_sys(err, "remount tmpfs read-only");
  return 0;
}

static int mount_entry(const struct spec_mount *m, int source_fd, int root_fd,
                       const char *mount_label, const struct cgroup_view *cgv,
                       struct husk_error **err) {
  _cleanup_free_ char *dest = clean_path(m->destination);
  struct mount_opts o = {0};
  int r = parse_mount_options(m->options, &o, err);
  if (r < 0)
    return r;
  const char *type = m->type;
  bool bind = is_bind(m);
  bool special = type && (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0);
  /* linux.mountLabel labels what the container gets as new filesystems, as runc: not proc,
   * sysfs, cgroup or mqueue, not binds (their files have labels of their own). */
  if (!bind && type && !special && strcmp(type, "cgroup") != 0 && strcmp(type, "cgroup2") != 0 &&
      strcmp(type, "mqueue") != 0) {
    char *labelled = lsm_mount_data(o.data, mount_label);
    if (labelled) {
      free(o.data);
      o.data = labelled;
    }
  }
  _cleanup_free_ char *data = o.data;
  if (!bind && !type)
    return husk_error_set(err, EINVAL, "no type and not a bind mount");
  if (special && (r = check_not_symlink(root_fd, dest, err)) < 0)
    return r;
  bool is_file = false;
  char src_fd_path[32];
  const char *source = source_fd >= 0 ? fd_path(source_fd, src_fd_path) : m->source;
  if (bind) {
    /* A relative source is relative to the bundle, and init chdir()s there before calling. */
    struct stat st;
    if (!m->source)
      return husk_error_set(err, EINVAL, "bind mount without a source");
    if (stat(source, &st) < 0)
      return husk_error_sys(err, "stat source %s", m->source);
    is_file = !S_ISDIR(st.st_mode);
  }
  _cleanup_close_ int target =
      rootfs_open_in_root(root_fd, dest, O_PATH | (special ? O_NOFOLLOW : 0), true, !is_file, err);
  if (target < 0)
    return target;
  struct stat st;
  if (special && fstat(target, &st) == 0 && S_ISLNK(st.st_mode))
    return husk_error_set(err, EINVAL, "destination is a symlink");
  char p[32];
  _cleanup_free_ char *why = xasprintf("mount the config's %s", dest);
  if (bind) {
    if (do_mount(source, fd_path(target, p), "bind", MS_BIND | (o.flags & MS_REC), NULL, why) < 0)
      return husk_error_sys(err, "bind %s", m->source);
    if (o.flags & BIND_REMOUNT_FLAGS) {
      _cleanup_close_ int fd = reopen(root_fd, dest, 0, err);
      if (fd < 0 || (r = remount_bind(fd, o.flags, why, err)) < 0)
        return fd < 0 ? fd : r;
    }
  } else if (strcmp(type, "cgroup") == 0) {
    if ((r = mount_cgroup(root_fd, dest, target, &o, why, cgv, err)) < 0)
      return r;
  } else if (o.copyup && strcmp(type, "tmpfs") == 0) {
    if ((r = mount_tmpfs_copyup(m, root_fd, dest, target, &o, why, err)) < 0)
      return r;
  } else if (do_mount(m->source ? m->source : type, fd_path(target, p), type, o.flags, data, why) <
             0) {
    /* A user namespace without a network namespace of its own may not mount sysfs: like
     * runc, bind the host's /sys instead. */
    if (errno != EPERM || strcmp(type, "sysfs") != 0)
      return husk_error_sys(err, "mount %s", type);
    if (do_mount("/sys", p, "bind", MS_BIND | MS_REC, NULL, "sysfs is not permitted: bind /sys") <
        0)
      return husk_error_sys(err, "bind /sys");
    _cleanup_close_ int fd = reopen(root_fd, dest, 0, err);
    if (fd < 0 || (r = remount_bind(fd, o.flags, why, err)) < 0)
      return fd < 0 ? fd : r;
  }
  if (!o.propagation)
    return 0;
  _cleanup_close_ int fd = reopen(root_fd, dest, 0, err);
  if (fd < 0)
    return fd;
  if (do_mount(NULL, fd_path(fd, p), NULL, o.propagation, NULL,
               "set the propagation the mount's options ask for") < 0)
    return husk_error_sys(err, "set propagation");
  return 0;
}

/* ---- /dev ---- */

static const struct {
  const char *path;
  unsigned major, minor;
} default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
  const char *name, *target;
} dev_symlinks[] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

/* mknod is not permitted in a user namespace: bind the host's node onto an empty file. */
static int bind_device(int pfd, const char *base, const char *path, struct husk_error **err) {
  int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EEXIST)
    return husk_error_sys(err, "create %s", path);
  if (fd >= 0)
    close(fd);
  _cleanup_close_ int target = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (target < 0 || fstat(target, &st) < 0)
    return husk_error_sys(err, "open %s", path);
  if (S_ISLNK(st.st_mode))
    return husk_error_set(err, EINVAL, "%s is a symlink", path);
  char p[32];
  if (do_mount(path, fd_path(target, p), "bind", MS_BIND, NULL,
               "no mknod in a user namespace: bind the host's device node") < 0)
    return husk_error_sys(err, "bind %s", path);
  return 0;
}

static int create_device(int root_fd, const char *path, char type, unsigned major, unsigned minor,
                         mode_t mode, uid_t uid, gid_t gid, bool in_user_ns,
                         struct husk_error **err) {
  _cleanup_free_ char *dir = clean_path(path);
  char *slash = strrchr(dir, '/');
  if (!slash[1])
    return husk_error_set(err, EINVAL, "not a device path");
  *slash = '\0';
  const char *base = slash + 1;
  _cleanup_close_ int pfd =
      rootfs_open_in_root(root_fd, dir[0] ? dir : "/", O_PATH | O_DIRECTORY, true, true, err);
  if (pfd < 0)
    return pfd;
  mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  if (in_user_ns && fmt != S_IFIFO)
    return bind_device(pfd, base, path, err);
  mode_t old = umask(0); /* the config's mode exactly */
  int r = mknodat(pfd, base, fmt | (mode & 07777), makedev(major, minor));
  umask(old);
  TRACE(r, "create a device node the container may use", "mknodat(\"%s\", %c 0%o, %u:%u)", path,
        type, (unsigned)(mode & 07777), major, minor);
  if (r < 0 && errno == EEXIST)
    return 0;
  if (r < 0 && errno == EPERM)
    return bind_device(pfd, base, path, err);
  if (r < 0)
    return husk_error_sys(err, "mknod %s", path);
  r = fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW);
  TRACE(r, "give the device node the owner the config asks for", "fchownat(\"%s\", %u, %u)", path,
        (unsigned)uid, (unsigned)gid);
  return r < 0 ? husk_error_sys(err, "chown %s", path) : 0;
}

static int create_devices(const struct spec *spec, int root_fd, bool in_user_ns,
                          struct husk_error **err) {
  const struct spec_linux *l = &spec->linux_;
  for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
    bool configured = false;
    for (size_t j = 0; j < l->n_devices && !configured; j++) {
      _cleanup_free_ char *c = clean_path(l->devices[j].path);
      configured = strcmp(c, default_devices[i].path) == 0;
    }
    int r = configured
                ? 0
                : create_device(root_fd, default_devices[i].path, 'c', default_devices[i].major,
                                default_devices[i].minor, 0666, 0, 0, in_user_ns, err);
    if (r < 0)
      return husk_error_wrap(err, "%s", default_devices[i].path);
  }
  for (size_t i = 0; i < l->n_devices; i++) {
    const struct spec_device *d = &l->devices[i];
    int r = create_device(root_fd, d->path, d->type, (unsigned)d->major, (unsigned)d->minor,
                          d->has_file_mode ? d->file_mode : 0666, d->has_uid ? d->uid : 0,
                          d->has_gid ? d->gid : 0, in_user_ns, err);
    if (r < 0)
      return husk_error_wrap(err, "linux.devices[%zu] (%s)", i, d->path);
  }
  return 0;
}

static int mount_in_dev(int dev, const char *name, const char *type, unsigned long flags,
                        const char *data, const char *why, struct husk_error **err) {
  char p[32];
  if (mkdirat(dev, name, 0755) < 0 && errno != EEXIST)
    return husk_error_sys(err, "mkdir /dev/%s", name);
  _cleanup_close_ int fd = openat(dev, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "open /dev/%s", name);
  if (do_mount(type, fd_path(fd, p), type, flags, data, why) < 0)
    return husk_error_sys(err, "mount %s on /dev/%s", type, name);
  return 0;
}

static int dev_symlink(int dev, const char *target, const char *name, struct husk_error **err) {
  int r = symlinkat(target, dev, name);
  TRACE(r, "the usual /dev symlinks", "symlinkat(\"%s\", \"/dev/%s\")", target, name);
  if (r < 0 && errno != EEXIST)
    return husk_error_sys(err, "symlink /dev/%s", name);
  return 0;
}

/* Device nodes, the /dev symlinks, and /dev/pts and /dev/shm unless the config mounts them. */
static int setup_dev(const struct spec *spec, int root_fd, bool in_user_ns,
                     struct husk_error **err) {
  int r = create_devices(spec, root_fd, in_user_ns, err);
  if (r < 0)
    return r;
  _cleanup_close_ int dev =
      rootfs_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, true, true, err);
  if (dev < 0)
    return dev;
  for (size_t i = 0; i < ARRAY_SIZE(dev_symlinks) && r == 0; i++)
    r = dev_symlink(dev, dev_symlinks[i].target, dev_symlinks[i].name, err);
  if (r == 0 && access("/proc/kcore", F_OK) == 0)
    r = dev_symlink(dev, "/proc/kcore", "core", err);
  /* ptmx must be the one of the container's own devpts instance. */
  if (r == 0 && unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
    r = husk_error_sys(err, "remove /dev/ptmx");
  if (r == 0)
    r = dev_symlink(dev, "pts/ptmx", "ptmx", err);
  if (r == 0 && !find_mount(spec, "/dev/pts"))
    /* gid=5 (tty) may not be mapped in a user namespace; then the mount would fail. */
    r = mount_in_dev(dev, "pts", "devpts", MS_NOSUID | MS_NOEXEC,
                     in_user_ns ? "newinstance,ptmxmode=0666,mode=0620"
                                : "newinstance,ptmxmode=0666,mode=0620,gid=5",
                     "the container's own pty instance", err);
  if (r == 0 && !find_mount(spec, "/dev/shm"))
    r = mount_in_dev(dev, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
                     "POSIX shared memory", err);
  return r;
}

static int mount_default_dev(int root_fd, struct husk_error **err) {
  _cleanup_close_ int fd =
      rootfs_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, true, true, err);
  char p[32];
  if (fd < 0)
    return fd;
  if (do_mount("tmpfs", fd_path(fd, p), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k",
               "the config mounts nothing on /dev: a fresh tmpfs") < 0)
    return husk_error_sys(err, "mount tmpfs on /dev");
  return 0;
}

/* The mount point the rootfs directory is on: where the mount id changes going up. */
static char *mount_point_of(const char *path) {
  char *p = xstrdup(path);
  struct statx here, up;
  while (strcmp(p, "/") != 0) {
    _cleanup_free_ char *parent = xasprintf("%s/..", p);
    if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &here) < 0 ||
        statx(AT_FDCWD, parent, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &up) < 0 ||
        !(here.stx_mask & STATX_MNT_ID) || here.stx_mnt_id != up.stx_mnt_id)
      break;
    char *slash = strrchr(p, '/');
    if (slash == p)
      slash[1] = '\0';
    else
      *slash = '\0';
  }
  return p;
}

int rootfs_prepare(const struct spec *spec, const char *rootfs, const struct rootfs_options *ro,
                   struct husk_error **err) {
  bool in_user_ns = ro->in_user_ns, own_mount_ns = ro->own_mount_ns;
  const struct cgroup_view cgv = {.cg = ro->cgroup, .cgroup_ns = ro->cgroup_ns};
  unsigned long prop = spec->linux_.rootfs_propagation;
  if (!own_mount_ns) {
    /* No mount namespace of the container's own (runc's chroot case): the tree is the
     * runtime's, and is left as it is; what the config mounts goes under the rootfs only,
     * and delete unmounts it (rootfs_unmount_under). */
  } else if (prop & MS_SHARED) {
    /* rshared (containerd's CRI for a Bidirectional volume, podman's :rshared): as runc, the
     * tree keeps the host's peer groups, so a volume's mounts reach the host and back; only
     * the mount the rootfs is on is made private, so the rootfs and what is mounted in it
     * stay the container's (and pivot_root accepts it). */
    if (do_mount(NULL, "/", NULL, prop, NULL, "linux.rootfsPropagation: share the host's mounts") <
        0)
      return husk_error_sys(err, "linux.rootfsPropagation: set %s on /",
                            spec->linux_.rootfs_propagation_name);
    _cleanup_free_ char *mp = mount_point_of(rootfs);
    if (do_mount(NULL, mp, NULL, MS_PRIVATE, NULL,
                 "the rootfs's own mount stays out of the host's peer group") < 0)
      return husk_error_sys(err, "make %s private", mp);
  } else if (do_mount(NULL, "/", NULL, MS_REC | (prop ? MS_SLAVE : MS_PRIVATE), NULL,
                      "keep the container's mounts out of the host") < 0) {
    /* Nothing mounted from here on may reach the host. With a configured propagation,
     * runc's rslave still lets host mounts in; the configured one goes on the rootfs at the
     * end. */
    return husk_error_sys(err, "make / %s", prop ? "rslave" : "rprivate");
  }
  /* An image's overlay is a mount point itself; a bundle's rootfs is bound onto itself. */
  if (own_mount_ns && ro->overlay) {
    int ro_r = rootfs_mount_overlay(rootfs, ro->overlay, err);
    if (ro_r < 0)
      return ro_r;
  } else if (own_mount_ns && do_mount(rootfs, rootfs, "bind", MS_BIND | MS_REC, NULL,
                                      "pivot_root needs the rootfs to be a mount point") < 0) {
    return husk_error_sys(err, "bind %s onto itself", rootfs);
  }
  _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return husk_error_sys(err, "open %s", rootfs);
  const struct spec_mount *dev = find_mount(spec, "/dev");
  int r;
  if (!dev && (r = mount_default_dev(root_fd, err)) < 0)
    return r;
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (mount_entry(&spec->mounts[i], ro->source_fds ? ro->source_fds[i] : -1, root_fd,
                    spec->linux_.mount_label, &cgv, err) < 0)
      return husk_error_wrap(err, "mounts[%zu] (%s)", i, spec->mounts[i].destination);
  /* A bind of the host's /dev brings its own nodes, links and instances. */
  if (!(dev && is_bind(dev)) && (r = setup_dev(spec, root_fd, in_user_ns, err)) < 0)
    return husk_error_wrap(err, "/dev");
  /* A shared rootfs would fail pivot_root(".", ".") (EINVAL: put_old may not be shared):
   * shared goes on only after it, in rootfs_finalize, as runc does (podman -v ...:rshared). */
  if (prop && !(prop & MS_SHARED) &&
      do_mount(NULL, rootfs, NULL, prop, NULL, "linux.rootfsPropagation") < 0)
    return husk_error_sys(err, "linux.rootfsPropagation: set %s on %s",
                          spec->linux_.rootfs_propagation_name, rootfs);
  return 0;
}

/* ---- pivot_root ---- */

/* chroot into the rootfs: with move, after moving it over / (for a rootfs on ramfs or
 * initramfs, where pivot_root fails); without, when the container has no mount namespace
 * of its own and only its root directory changes. */
static int chroot_root(const char *rootfs, bool move, struct husk_error **err) {
  int r = chdir(rootfs);
  TRACE(r, "stand in the new root", "chdir(\"%s\")", rootfs);
  if (r < 0)
    return husk_error_sys(err, "chdir %s", rootfs);
  if (move && do_mount(".", "/", NULL, MS_MOVE, NULL, "--no-pivot: move the rootfs over /") < 0)
    return husk_error_sys(err, "move %s to /", rootfs);
  r = chroot(".");
  TRACE(r, move ? "--no-pivot: make it the root directory"
                : "no mount namespace of its own: only the root directory changes",
        "chroot(\".\")");
  if (r < 0)
    return husk_error_sys(err, "chroot %s", rootfs);
  r = chdir("/");
  TRACE(r, "start at the new /", "chdir(\"/\")");
  return r < 0 ? husk_error_sys(err, "chdir /") : 0;
}

int rootfs_pivot(const char *rootfs, bool no_pivot, bool own_mount_ns, struct husk_error **err) {
  if (!own_mount_ns || no_pivot)
    return chroot_root(rootfs, own_mount_ns, err);
  _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return husk_error_sys(err, "open /");
  _cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return husk_error_sys(err, "open %s", rootfs);
  int r = fchdir(newroot);
  TRACE(r, "stand in the new root so pivot_root can take \".\"", "fchdir(\"%s\")", rootfs);
  if (r < 0)
    return husk_error_sys(err, "chdir %s", rootfs);
  /* pivot_root(".", "."): the old root ends up mounted on top of the new one, with no need
   * for a put_old directory inside the rootfs. */
  r = (int)syscall(SYS_pivot_root, ".", ".");
  TRACE(r, "make the rootfs / (the old root is stacked on top of it)", "pivot_root(\".\", \".\")");
  if (r < 0)
    return husk_error_sys(err, "pivot_root %s", rootfs);
  r = fchdir(oldroot);
  TRACE(r, "step onto the old root to detach it", "fchdir(old root)");
  if (r < 0)
    return husk_error_sys(err, "chdir to the old root");
  if (do_mount("", ".", "", MS_SLAVE | MS_REC, "",
               "so unmounting the old root does not propagate to the host") < 0)
    return husk_error_sys(err, "make the old root rslave");
  r = umount2(".", MNT_DETACH);
  TRACE(r, "detach the host's filesystem from the container", "umount2(\".\", MNT_DETACH)");
  if (r < 0)
    return husk_error_sys(err, "unmount the old root");
  r = chdir("/");
  TRACE(r, "start at the new /", "chdir(\"/\")");
  return r < 0 ? husk_error_sys(err, "chdir /") : 0;
}

/* ---- after pivot_root ---- */

/* Open a path for masking or read-only binding; 0 (and *ret_fd -1) when it does not exist. */
static int open_optional(int root_fd, const char *path, int *ret_fd, struct husk_error **err) {
  _cleanup_error_ struct husk_error *e = NULL;
  int fd = rootfs_open_in_root(root_fd, path, O_PATH, false, false, &e);
  if (fd == -ENOENT)
    fd = -1;
  else if (fd < 0)
    return husk_error_set(err, e->code, "%s", e->message);
  *ret_fd = fd;
  return 0;
}

static int readonly_path(int root_fd, const char *path, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  int r = open_optional(root_fd, path, &fd, err);
  if (r < 0 || fd < 0)
    return r;
  char p[32];
  if (do_mount(fd_path(fd, p), p, NULL, MS_BIND | MS_REC, NULL,
               "readonlyPaths: bind onto itself to get a mount to make read-only") < 0)
    return husk_error_sys(err, "bind onto itself");
  _cleanup_close_ int mfd = reopen(root_fd, path, 0, err);
  if (mfd < 0)
    return mfd;
  return remount_bind(mfd, MS_RDONLY, "readonlyPaths: the container may read, not write", err);
}

/* /dev/null must be the real null device before anything is hidden under it: a symlink or
 * another node there would expose its target instead (CVE-2025-31133). */
static int open_dev_null(int *ret_fd, struct husk_error **err) {
  _cleanup_close_ int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return husk_error_sys(err, "open /dev/null");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
    return husk_error_set(err, EPERM, "/dev/null is not the null device (char 1:3)");
  *ret_fd = TAKE_FD(fd);
  return 0;
}

static int mask_path(int root_fd, const char *path, int *null_fd, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  int r = open_optional(root_fd, path, &fd, err);
  if (r < 0 || fd < 0)
    return r;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return husk_error_sys(err, "stat");
  char p[32], np[32];
  if (S_ISDIR(st.st_mode)) {
    if (do_mount("tmpfs", fd_path(fd, p), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 "mode=755", "maskedPaths: hide a directory under an empty read-only tmpfs") < 0)
      return husk_error_sys(err, "mount tmpfs");
    return 0;
  }
  if (*null_fd < 0 && (r = open_dev_null(null_fd, err)) < 0)
    return r;
  if (do_mount(fd_path(*null_fd, np), fd_path(fd, p), NULL, MS_BIND, NULL,
               "maskedPaths: hide a file under /dev/null") < 0)
    return husk_error_sys(err, "bind /dev/null");
  return 0;
}

static int write_sysctl(int sys_fd, const struct spec_kv *kv, struct husk_error **err) {
  const char *key = kv->key;
  size_t n = strlen(key);
  if (!n || strchr(key, '/') || strstr(key, "..") || key[0] == '.' || key[n - 1] == '.')
    return husk_error_set(err, EINVAL, "linux.sysctl: %s: invalid key", key);
  _cleanup_free_ char *rel = xstrdup(key);
  for (char *c = rel; *c; c++)
    if (*c == '.')
      *c = '/';
  /* Neither a symlink nor a mount over a /proc/sys file may redirect the write. */
  struct open_how how = {
      .flags = O_WRONLY | O_NOCTTY | O_CLOEXEC,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  long lfd = syscall(SYS_openat2, sys_fd, rel, &how, sizeof how);
  if (lfd < 0 && errno == ENOSYS)
    lfd = openat(sys_fd, rel, O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (lfd < 0)
    return husk_error_sys(err, "linux.sysctl: %s: open /proc/sys/%s", key, rel);
  _cleanup_close_ int fd = (int)lfd;
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return husk_error_set(err, EPERM, "linux.sysctl: %s: /proc/sys/%s is not on procfs", key, rel);
  ssize_t w = write_all(fd, kv->value, strlen(kv->value));
  TRACE(w, "linux.sysctl: set a namespaced kernel parameter", "write(\"/proc/sys/%s\", \"%s\")",
        rel, kv->value);
  if (w < 0)
    return husk_error_sys(err, "linux.sysctl: %s: write /proc/sys/%s", key, rel);
  return 0;
}

/* Written through the container's /proc, checked to be procfs (CVE-2025-52881). */
static int write_sysctls(const struct spec *spec, struct husk_error **err) {
  if (!spec->linux_.n_sysctl)
    return 0;
  _cleanup_close_ int sys_fd = open("/proc/sys", O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct statfs sfs;
  if (sys_fd < 0 || fstatfs(sys_fd, &sfs) < 0)
    return husk_error_sys(err, "linux.sysctl: open /proc/sys");
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return husk_error_set(err, EPERM, "linux.sysctl: /proc/sys is not procfs");
  for (size_t i = 0; i < spec->linux_.n_sysctl; i++) {
    int r = write_sysctl(sys_fd, &spec->linux_.sysctl[i], err);
    if (r < 0)
      return r;
  }
  return 0;
}

int rootfs_finalize(const struct spec *spec, struct husk_error **err) {
  const struct spec_linux *l = &spec->linux_;
  /* Again on the final /: after pivot_root this is the mount the container sees as root. */
  if (l->rootfs_propagation && do_mount(NULL, "/", NULL, l->rootfs_propagation, NULL,
                                        "linux.rootfsPropagation on the final /") < 0)
    return husk_error_sys(err, "linux.rootfsPropagation: set %s on /", l->rootfs_propagation_name);
  /* sysctl first: /proc/sys is usually among the readonlyPaths. */
  int r = write_sysctls(spec, err);
  if (r < 0)
    return r;
  _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return husk_error_sys(err, "open /");
  for (const char **p = l->readonly_paths; p && *p; p++)
    if (readonly_path(root_fd, *p, err) < 0)
      return husk_error_wrap(err, "linux.readonlyPaths: %s", *p);
  _cleanup_close_ int null_fd = -1;
  for (const char **p = l->masked_paths; p && *p; p++)
    if (mask_path(root_fd, *p, &null_fd, err) < 0)
      return husk_error_wrap(err, "linux.maskedPaths: %s", *p);
  if (!spec->root.readonly)
    return 0;
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(root_fd);
  if (do_mount(NULL, "/", NULL, flags, NULL, "root.readonly") < 0)
    return husk_error_sys(err, "root.readonly: remount / read-only");
  return 0;
}

int rootfs_unmount_under(const char *dir, struct husk_error **err) {
  _cleanup_free_ char *info = NULL;
  int r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", 64 << 20, &info, err);
  if (r < 0)
    return r;
  size_t dlen = strlen(dir), n = 0, cap = 0;
  _cleanup_free_ char **points = NULL;
  for (char *line = info, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    const char *fstype;
    char *mnt = mountinfo_point(line, &fstype);
    if (!mnt || strncmp(mnt, dir, dlen) != 0 || mnt[dlen] != '/')
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      points = xrealloc(points, cap * sizeof(*points));
    }
    points[n++] = mnt;
  }
  /* Children come after their parents in mountinfo: the last first. */
  int first_error = 0;
  for (size_t i = n; i-- > 0;) {
    int u = umount2(points[i], MNT_DETACH | UMOUNT_NOFOLLOW);
    TRACE(u, "the container mounted in the runtime's mount namespace: undo it",
          "umount2(\"%s\", MNT_DETACH)", points[i]);
    if (u < 0 && errno != EINVAL && errno != ENOENT && !first_error)
      first_error = errno;
  }
  if (first_error)
    return husk_error_errno(err, first_error, "unmount what the container mounted under %s",
                            dir);
  return (int)n;
}
