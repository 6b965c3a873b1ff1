/* rootfs.c: owns the container's filesystem: root propagation, the OCI mounts (resolved inside
 * the rootfs and mounted through an fd), /dev, pivot_root, masked and readonly paths, a
 * readonly root, sysctl, and symlink-safe path resolution inside the rootfs.
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

#include "error.h"
#include "log.h"
#include "spec.h"
#include "utils.h"

#define MAX_SYMLINKS 40
/* Per-mount flags that a bind mount only takes from a second MS_REMOUNT call. */
#define BIND_REMOUNT_FLAGS                                                                         \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |       \
   MS_STRICTATIME | MS_NOSYMFOLLOW)
#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)
#define PROPAGATION_FLAGS (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE)

/* ---- mount flags ---- */

static const struct {
  unsigned long flag;
  const char *name;
} flag_names[] = {
    {MS_RDONLY, "MS_RDONLY"},           {MS_NOSUID, "MS_NOSUID"},
    {MS_NODEV, "MS_NODEV"},             {MS_NOEXEC, "MS_NOEXEC"},
    {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {MS_REMOUNT, "MS_REMOUNT"},
    {MS_MANDLOCK, "MS_MANDLOCK"},       {MS_DIRSYNC, "MS_DIRSYNC"},
    {MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"}, {MS_NOATIME, "MS_NOATIME"},
    {MS_NODIRATIME, "MS_NODIRATIME"},   {MS_BIND, "MS_BIND"},
    {MS_MOVE, "MS_MOVE"},               {MS_REC, "MS_REC"},
    {MS_SILENT, "MS_SILENT"},           {MS_POSIXACL, "MS_POSIXACL"},
    {MS_UNBINDABLE, "MS_UNBINDABLE"},   {MS_PRIVATE, "MS_PRIVATE"},
    {MS_SLAVE, "MS_SLAVE"},             {MS_SHARED, "MS_SHARED"},
    {MS_RELATIME, "MS_RELATIME"},       {MS_KERNMOUNT, "MS_KERNMOUNT"},
    {MS_I_VERSION, "MS_I_VERSION"},     {MS_STRICTATIME, "MS_STRICTATIME"},
    {MS_LAZYTIME, "MS_LAZYTIME"},
};

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

/* The OCI mount options that are mount(2) flags; every other one is filesystem data. */
static const struct {
  const char *name;
  bool clear;
  unsigned long flag;
} flag_options[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"iversion", false, MS_I_VERSION},
    {"noiversion", true, MS_I_VERSION},
};

static const struct {
  const char *name;
  unsigned long flag;
} propagation_options[] = {
    {"private", MS_PRIVATE},     {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},       {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},         {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Options that need machinery husk does not have (overlay copy-up, idmapped and recursive
 * mount attributes): refused by name rather than handed to the kernel as data. */
static const char *const unsupported_options[] = {
    "tmpcopyup", "idmap",   "ridmap",       "rro",       "rrw",    "rnosuid",     "rsuid",
    "rnodev",    "rdev",    "rnoexec",      "rexec",     "ratime", "rnoatime",    "rrelatime",
    "rnorelatime", "rdiratime", "rnodiratime", "rstrictatime", "rnostrictatime", "rsymfollow",
    "rnosymfollow",
};

struct mount_opts {
  unsigned long flags;
  unsigned long propagation;
  char *data; /* comma-joined filesystem options, NULL when none */
};

static int parse_mount_options(const char *const *options, struct mount_opts *ret,
                               struct husk_error **err) {
  struct mount_opts o = {0};
  for (const char *const *p = options; *p; p++) {
    bool known = false;
    for (size_t i = 0; i < ARRAY_SIZE(unsupported_options); i++)
      if (strcmp(*p, unsupported_options[i]) == 0) {
        free(o.data);
        return husk_error_set(err, EINVAL, "option \"%s\" is not supported", *p);
      }
    for (size_t i = 0; i < ARRAY_SIZE(flag_options) && !known; i++)
      if (strcmp(*p, flag_options[i].name) == 0) {
        known = true;
        if (flag_options[i].clear)
          o.flags &= ~flag_options[i].flag;
        else
          o.flags |= flag_options[i].flag;
      }
    for (size_t i = 0; i < ARRAY_SIZE(propagation_options) && !known; i++)
      if (strcmp(*p, propagation_options[i].name) == 0) {
        known = true;
        o.propagation |= propagation_options[i].flag;
      }
    if (known)
      continue;
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

/* mount(2), narrated. */
static int do_mount(const char *src, const char *target, const char *type, unsigned long flags,
                    const char *data, const char *why) {
  char fl[256];
  int r = mount(src, target, type, flags, data);
  TRACE(r, why, "mount(\"%s\", \"%s\", \"%s\", %s, \"%s\")", src ? src : "", target,
        type ? type : "", mount_flags_to_string(flags, fl, sizeof fl), data ? data : "");
  return r;
}

/* The per-mount flags already set on the mount at fd. In a user namespace the kernel locks
 * the ones inherited from a more privileged namespace, and a remount that drops one fails with
 * EPERM; so they are kept (atime flags only when the request sets none of its own). */
static unsigned long locked_flags(int fd, unsigned long requested) {
  struct statvfs sv;
  if (fstatvfs(fd, &sv) < 0)
    return 0;
  unsigned long keep = ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC;
  if (!(requested & ATIME_FLAGS))
    keep |= ST_NOATIME | ST_NODIRATIME | ST_RELATIME;
  return sv.f_flag & keep; /* ST_* values equal the MS_* ones for these bits */
}

/* ---- resolution inside the rootfs ---- */

/* Each resolver returns an fd or a negative errno, setting no error. */
static int resolve_openat2(int root_fd, const char *path, int flags) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  long fd;
  int tries = 0;
  /* EAGAIN: a concurrent rename made ".." resolution unsafe; the kernel asks for a retry. */
  do
    fd = syscall(SYS_openat2, root_fd, path[0] ? path : ".", &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < 32);
  return fd < 0 ? -errno : (int)fd;
}

struct walk {
  int *fds; /* fds[0] is root_fd (borrowed); fds[1..depth] are owned O_PATH directories */
  size_t depth, cap;
};

static void walk_push(struct walk *w, int fd) {
  if (w->depth + 1 == w->cap) {
    w->cap *= 2;
    w->fds = xrealloc(w->fds, w->cap * sizeof(int));
  }
  w->fds[++w->depth] = fd;
}

static void walk_pop(struct walk *w, size_t to) {
  while (w->depth > to)
    close(w->fds[w->depth--]);
}

/* One step of the walk: name in the current directory, which is not "." or "..". Returns the
 * final fd (> 0 when last), 0 to go on, or a negative errno. *rest may be replaced. */
static int walk_step(struct walk *w, const char *name, bool last, bool want_dir, int flags,
                     char **rest, char **p, unsigned *links) {
  int cur = w->fds[w->depth];
  int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW) && !want_dir)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
    int e = errno;
    close(fd);
    if (n < 0)
      return -e;
    if (n == 0)
      return -ENOENT;
    if (++*links > MAX_SYMLINKS)
      return -ELOOP;
    target[n] = '\0';
    if (target[0] == '/')
      walk_pop(w, 0); /* absolute targets restart at the rootfs, not the host's / */
    char *next = xasprintf("%s%s%s", target, want_dir ? "/" : "/", *p);
    free(*rest);
    *rest = *p = next;
    return 0;
  }
  if (last) {
    close(fd);
    /* O_NOFOLLOW: a symlink swapped in since the check is not followed. */
    fd = openat(cur, name, flags | (want_dir ? O_DIRECTORY : 0) | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
  }
  if (!S_ISDIR(st.st_mode)) {
    close(fd);
    return -ENOTDIR;
  }
  walk_push(w, fd);
  return 0;
}

/* The fallback when the kernel has no openat2 (before 5.6): a component walk that follows
 * symlinks itself, restarting absolute ones at root_fd and never going above it on "..". */
static int resolve_walk(int root_fd, const char *path, int flags) {
  struct walk w = {.fds = xmalloc(8 * sizeof(int)), .cap = 8};
  w.fds[0] = root_fd;
  char *rest = xstrdup(path);
  char *p = rest;
  unsigned links = 0;
  int ret = 0;
  while (ret == 0) {
    while (*p == '/')
      p++;
    if (!*p) { /* the path named a directory we already hold */
      ret = openat(w.fds[w.depth], ".", flags | O_CLOEXEC);
      ret = ret < 0 ? -errno : ret;
      break;
    }
    size_t len = strcspn(p, "/");
    if (len > NAME_MAX) {
      ret = -ENAMETOOLONG;
      break;
    }
    char name[NAME_MAX + 1];
    memcpy(name, p, len);
    name[len] = '\0';
    p += len;
    bool want_dir = *p == '/';
    while (*p == '/')
      p++;
    bool last = !*p;
    if (strcmp(name, ".") == 0 && !last)
      continue;
    if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
      if (name[1] == '.' && w.depth > 0)
        walk_pop(&w, w.depth - 1);
      if (last)
        p--; /* reopen the directory we are in */
      continue;
    }
    ret = walk_step(&w, name, last, want_dir, flags, &rest, &p, &links);
  }
  walk_pop(&w, 0);
  free(w.fds);
  free(rest);
  return ret;
}

static bool openat2_missing;

static int resolve(bool walk_only, int root_fd, const char *path, int flags) {
  if (!walk_only && !openat2_missing) {
    int fd = resolve_openat2(root_fd, path, flags);
    if (fd != -ENOSYS)
      return fd;
    openat2_missing = true;
  }
  return resolve_walk(root_fd, path, flags);
}

/* Make the missing components of path, one at a time, each parent found by resolving the
 * prefix from root_fd again so a symlink on the way still resolves inside the rootfs. */
static int create_in_root(bool walk_only, int root_fd, const char *path, int flags,
                          bool create_dir, struct husk_error **err) {
  _cleanup_free_ char *prefix = xmalloc(strlen(path) + 2);
  _cleanup_close_ int parent = -1;
  size_t plen = 0;
  const char *p = path;
  for (;;) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (len > NAME_MAX)
      return husk_error_errno(err, ENAMETOOLONG, "resolve %s in rootfs", path);
    const char *name = p;
    p += len;
    while (*p == '/')
      p++;
    bool last = !*p;
    prefix[plen++] = '/';
    memcpy(prefix + plen, name, len);
    plen += len;
    prefix[plen] = '\0';
    int want = last ? flags : O_PATH | O_DIRECTORY;
    int fd = resolve(walk_only, root_fd, prefix, want);
    if (fd == -ENOENT) {
      _cleanup_free_ char *base = strndup(name, len);
      int pfd = parent >= 0 ? parent : root_fd;
      int r;
      if (!last || create_dir) {
        r = mkdirat(pfd, base, 0755);
        TRACE(r, "create a missing directory inside the rootfs", "mkdirat(\"%s\", 0755)", prefix);
      } else {
        r = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        TRACE(r, "create an empty file to mount onto", "openat(\"%s\", O_CREAT|O_EXCL, 0644)",
              prefix);
        if (r >= 0)
          close(r);
      }
      if (r < 0 && errno != EEXIST)
        return husk_error_sys(err, "resolve %s in rootfs: create %s", path, prefix);
      fd = resolve(walk_only, root_fd, prefix, want);
    }
    if (fd < 0)
      return husk_error_errno(err, -fd, "resolve %s in rootfs", path);
    if (last)
      return fd;
    closep(&parent);
    parent = fd;
  }
}

static int open_in_root(bool walk_only, int root_fd, const char *path, int flags, bool create,
                        bool create_dir, struct husk_error **err) {
  int fd = resolve(walk_only, root_fd, path, flags);
  if (fd >= 0)
    return fd;
  if (fd != -ENOENT || !create || strspn(path, "/") == strlen(path))
    return husk_error_errno(err, -fd, "resolve %s in rootfs", path);
  return create_in_root(walk_only, root_fd, path, flags, create_dir, err);
}

int rootfs_open_in_root(int root_fd, const char *path, int flags, bool create, bool create_dir,
                        struct husk_error **err) {
  return open_in_root(false, root_fd, path, flags, create, create_dir, err);
}

int rootfs_open_in_root_walk(int root_fd, const char *path, int flags, bool create,
                             bool create_dir, struct husk_error **err) {
  return open_in_root(true, root_fd, path, flags, create, create_dir, err);
}
