/* rootfs_resolve.c: resolving a path inside the container's rootfs so that neither ".." nor
 * a symlink can leave it: openat2(RESOLVE_IN_ROOT), or a component walk on kernels without it,
 * making missing components on the way when asked. */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "rootfs.h"

/* As the kernel: more links than this in one resolution is a loop (ELOOP). */
#define MAX_SYMLINKS 40

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

/* One step of the walk: name (not "." or "..") in the current directory. Returns 1 with
 * *ret_fd set when it opened the last component, 0 to go on, or a negative errno. A symlink
 * replaces *rest (and *p, which points into it) with its target followed by what is left. */
static int walk_step(struct walk *w, const char *name, bool last, bool want_dir, int flags,
                     char **rest, char **p, unsigned *links, int *ret_fd) {
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
  if (S_ISLNK(st.st_mode) && !(last && !want_dir && (flags & O_NOFOLLOW))) {
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
      walk_pop(w, 0); /* absolute targets restart at the rootfs, not at the host's / */
    char *next = xasprintf("%s%s%s", target, (**p || want_dir) ? "/" : "", *p);
    free(*rest);
    *rest = *p = next;
    return 0;
  }
  close(fd);
  if (last) {
    /* O_NOFOLLOW: a symlink swapped in since the check above is not followed. */
    fd = openat(cur, name, flags | (want_dir ? O_DIRECTORY : 0) | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return -errno;
    *ret_fd = fd;
    return 1;
  }
  if (!S_ISDIR(st.st_mode))
    return -ENOTDIR;
  fd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
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
  int fd = -1, r = 0;
  while (r == 0) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (len > NAME_MAX) {
      r = -ENAMETOOLONG;
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
    if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
      if (strcmp(name, "..") == 0 && w.depth > 0)
        walk_pop(&w, w.depth - 1);
      if (last) { /* the path ends in a directory the walk already holds */
        fd = openat(w.fds[w.depth], ".", flags | O_CLOEXEC);
        r = fd < 0 ? -errno : 1;
      }
      continue;
    }
    r = walk_step(&w, name, last, want_dir, flags, &rest, &p, &links, &fd);
  }
  walk_pop(&w, 0);
  free(w.fds);
  free(rest);
  return r < 0 ? r : fd;
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
 * prefix from root_fd again so a symlink on the way still resolves inside the rootfs. A
 * dangling symlink on the way is followed as runc does: its target is made, inside the rootfs
 * (the path is rewritten with the link's target and resolved again from root_fd). */
static int create_in_root(bool walk_only, int root_fd, const char *path, int flags, bool create_dir,
                          unsigned links, struct husk_error **err) {
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
      _cleanup_free_ char *base = xasprintf("%.*s", (int)len, name);
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
      char target[PATH_MAX];
      ssize_t n = r < 0 ? readlinkat(pfd, base, target, sizeof target - 1) : -1;
      if (n > 0) {
        if (++links > MAX_SYMLINKS)
          return husk_error_errno(err, ELOOP, "resolve %s in rootfs", path);
        target[n] = '\0';
        size_t dir_len = plen - len - 1; /* the prefix without "/name" */
        _cleanup_free_ char *next =
            target[0] == '/'
                ? xasprintf("%s%s%s", target, *p ? "/" : "", p)
                : xasprintf("%.*s/%s%s%s", (int)dir_len, prefix, target, *p ? "/" : "", p);
        TRACE(0, "a dangling symlink on the way: make its target, inside the rootfs",
              "readlinkat(\"%s\") = \"%s\"", prefix, target);
        return create_in_root(walk_only, root_fd, next, flags, create_dir, links, err);
      }
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
  return create_in_root(walk_only, root_fd, path, flags, create_dir, 0, err);
}

int rootfs_open_in_root(int root_fd, const char *path, int flags, bool create, bool create_dir,
                        struct husk_error **err) {
  return open_in_root(false, root_fd, path, flags, create, create_dir, err);
}

int rootfs_open_in_root_walk(int root_fd, const char *path, int flags, bool create, bool create_dir,
                             struct husk_error **err) {
  return open_in_root(true, root_fd, path, flags, create, create_dir, err);
}
