/* layer.c: unpacking layers. Two libarchive readers are chained so one pass checks both
 * digests: the outer one ("raw" format, any of the filters) decompresses the blob and hashes
 * the compressed bytes as its read callback takes them from the fd; the inner one reads tar
 * members from the outer one's data, hashing the uncompressed stream (the layer's diff_id)
 * on the way. */
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "rootfs/rootfs.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define READ_BLOCK (128 * 1024)

struct blob_reader {
  int fd;
  struct digest_stream digest;
  char buf[READ_BLOCK];
};

static la_ssize_t blob_read(struct archive *a, void *arg, const void **out) {
  struct blob_reader *b = arg;
  ssize_t n;
  do
    n = read(b->fd, b->buf, sizeof(b->buf));
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "read: %s", strerror(errno));
    return -1;
  }
  digest_add(&b->digest, b->buf, (size_t)n);
  *out = b->buf;
  return n;
}

struct tar_reader {
  struct archive *outer;
  struct digest_stream digest;
  char buf[READ_BLOCK];
};

static la_ssize_t tar_read(struct archive *a, void *arg, const void **out) {
  struct tar_reader *t = arg;
  la_ssize_t n = archive_read_data(t->outer, t->buf, sizeof(t->buf));
  if (n < 0) {
    archive_set_error(a, archive_errno(t->outer), "%s", archive_error_string(t->outer));
    return -1;
  }
  digest_add(&t->digest, t->buf, (size_t)n);
  *out = t->buf;
  return n;
}

static void archive_freep(struct archive **a) {
  if (*a)
    archive_read_free(*a);
}
static void archive_write_freep(struct archive **a) {
  if (*a)
    archive_write_free(*a);
}
#define _cleanup_archive_ __attribute__((cleanup(archive_freep)))
#define _cleanup_archive_write_ __attribute__((cleanup(archive_write_freep)))

/* A member name as a hostile archive may write it: refused when absolute or when any
 * component is "..". (libarchive's SECURE_* flags refuse them too; this names the member.) */
static bool name_escapes(const char *name) {
  if (name[0] == '/')
    return true;
  for (const char *p = name; *p;) {
    size_t len = strcspn(p, "/");
    if (len == 2 && p[0] == '.' && p[1] == '.')
      return true;
    p += len;
    p += *p == '/';
  }
  return false;
}

/* The directory a whiteout lives in, opened beneath the layer without following any
 * symlink (made if the archive has not made it yet). */
static int open_parent(int root, const char *path, char **ret_base, struct husk_error **err) {
  _cleanup_free_ char *copy = xstrdup(path);
  char *slash = strrchr(copy, '/');
  const char *dir = ".";
  *ret_base = xstrdup(slash ? slash + 1 : copy);
  if (slash) {
    *slash = '\0';
    dir = copy;
  }
  struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV};
  int fd = (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
  if (fd < 0 && errno == ENOENT) /* made inside the layer, whatever symlinks it holds */
    return rootfs_open_in_root(root, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, true, true, err);
  if (fd < 0)
    return husk_error_sys(err, "member %s: its directory", path);
  return fd;
}

static int apply_whiteout(int root, const char *path, struct husk_error **err) {
  _cleanup_free_ char *base = NULL;
  _cleanup_close_ int dir = open_parent(root, path, &base, err);
  if (dir < 0)
    return -1;
  if (strcmp(base, WHITEOUT_OPAQUE) == 0) {
    _cleanup_close_ int d = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0 || fsetxattr(d, "trusted.overlay.opaque", "y", 1, 0) < 0)
      return husk_error_sys(err, "member %s: mark its directory opaque", path);
    return 0;
  }
  const char *name = base + strlen(WHITEOUT_PREFIX);
  if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
    return husk_error_set(err, EINVAL, "member %s: not a whiteout", path);
  /* A name an earlier member of this layer made is replaced by the whiteout. */
  unlinkat(dir, name, 0);
  if (mknodat(dir, name, S_IFCHR | 0, makedev(0, 0)) < 0)
    return husk_error_sys(err, "member %s: make the whiteout", path);
  return 0;
}

static bool is_whiteout(const char *path) {
  const char *slash = strrchr(path, '/');
  return str_has_prefix(slash ? slash + 1 : path, WHITEOUT_PREFIX);
}

/* ".wh..wh.*" is the layer format's own metadata: only the opaque marker means something to
 * a reader (docker and containerd skip the rest, e.g. AUFS's .wh..wh.plnk). */
static bool is_whiteout_metadata(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  return str_has_prefix(base, WHITEOUT_PREFIX WHITEOUT_PREFIX) && strcmp(base, WHITEOUT_OPAQUE);
}

/* A layer's xattrs, but none overlayfs reads as its own metadata (trusted.overlay.* and
 * user.overlay.*: opaque, redirect, metacopy, origin) or that only the host's trusted
 * namespace has: a layer must not forge what its whiteouts mean. */
static void filter_xattrs(struct archive_entry *e) {
  if (archive_entry_xattr_count(e) == 0)
    return;
  struct kept {
    char *name;
    void *value;
    size_t size;
  } kept[64];
  size_t n = 0;
  const char *name;
  const void *value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK && n < ARRAY_SIZE(kept)) {
    if (str_has_prefix(name, "trusted.") || str_has_prefix(name, "user.overlay."))
      continue;
    kept[n].name = xstrdup(name);
    kept[n].value = xmalloc(size ? size : 1);
    memcpy(kept[n].value, value, size);
    kept[n++].size = size;
  }
  archive_entry_xattr_clear(e);
  for (size_t i = 0; i < n; i++) {
    archive_entry_xattr_add_entry(e, kept[i].name, kept[i].value, kept[i].size);
    free(kept[i].name);
    free(kept[i].value);
  }
}

/* What an image or layout archive may hold: files, directories, links; no device or fifo. */
static bool plain_member(struct archive_entry *e) {
  mode_t t = archive_entry_filetype(e);
  return t == AE_IFREG || t == AE_IFDIR || t == AE_IFLNK || archive_entry_hardlink(e);
}

enum {
  EXTRACT_SECURE = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                   ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS,
  EXTRACT_LAYER = EXTRACT_SECURE | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
                  ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
                  ARCHIVE_EXTRACT_SPARSE,
  EXTRACT_FILES = EXTRACT_SECURE | ARCHIVE_EXTRACT_PERM,
};

/* Copy every member of in into the current directory (the target: libarchive's secure
 * checks work on relative names). */
static int extract_members(struct archive *in, int root, int flags, const char *what,
                           struct husk_error **err) {
  _cleanup_archive_write_ struct archive *out = archive_write_disk_new();
  if (!out)
    abort();
  archive_write_disk_set_options(out, flags);
  for (;;) {
    struct archive_entry *e;
    int r = archive_read_next_header(in, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return husk_error_set(err, EIO, "%s: %s", what, archive_error_string(in));
    const char *path = archive_entry_pathname(e);
    const char *link = archive_entry_hardlink(e);
    if (!path || name_escapes(path) || (link && name_escapes(link)))
      return husk_error_set(err, EPERM,
                            "%s: member \"%s\"%s%s: refused, it would be written "
                            "outside the layer",
                            what, path ? path : "", link ? " linked to " : "", link ? link : "");
    while (str_has_prefix(path, "./") && path[2])
      path += 2;
    if (root < 0 && !plain_member(e))
      return husk_error_set(err, EPERM,
                            "%s: member \"%s\": refused, not a file, directory or "
                            "link",
                            what, path);
    if (root >= 0 && is_whiteout_metadata(path))
      continue;
    if (root >= 0)
      filter_xattrs(e);
    if (root >= 0 && is_whiteout(path)) {
      _cleanup_free_ char *p = xstrdup(path);
      if (apply_whiteout(root, p, err) < 0)
        return husk_error_wrap(err, "%s", what);
      continue;
    }
    r = archive_write_header(out, e);
    if (r < ARCHIVE_WARN)
      return husk_error_set(err, EPERM, "%s: member \"%s\": %s", what, path,
                            archive_error_string(out));
    if (archive_entry_size(e) > 0) {
      const void *buf;
      size_t len;
      la_int64_t off;
      while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
        if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
          return husk_error_set(err, EIO, "%s: member \"%s\": %s", what, path,
                                archive_error_string(out));
      if (r != ARCHIVE_EOF)
        return husk_error_set(err, EIO, "%s: member \"%s\": %s", what, path,
                              archive_error_string(in));
    }
    if (archive_write_finish_entry(out) < ARCHIVE_WARN)
      return husk_error_set(err, EIO, "%s: member \"%s\": %s", what, path,
                            archive_error_string(out));
  }
  /* Directory modes and times are set last, by close. */
  if (archive_write_close(out) < ARCHIVE_WARN)
    return husk_error_set(err, EIO, "%s: %s", what, archive_error_string(out));
  return 0;
}

/* Run fn with dir as the current directory, and go back. */
static int in_directory(const char *dir, int *ret_dirfd, struct husk_error **err) {
  int saved = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (saved < 0)
    return husk_error_sys(err, "open the current directory");
  *ret_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*ret_dirfd < 0 || fchdir(*ret_dirfd) < 0) {
    int r = husk_error_sys(err, "enter %s", dir);
    closep(ret_dirfd);
    close(saved);
    return r;
  }
  return saved;
}

/* Back where in_directory found us: relative paths after this depend on it. */
static int back_to(int saved, int r, struct husk_error **err) {
  if (fchdir(saved) < 0 && r >= 0)
    r = husk_error_sys(err, "return to the previous working directory");
  close(saved);
  return r;
}

int layer_unpack(const struct layer_source *src, const char *dir, uint64_t *ret_size,
                 struct husk_error **err) {
  struct blob_reader *blob = xmalloc(sizeof(*blob));
  struct tar_reader *tar = xmalloc(sizeof(*tar));
  blob->fd = src->fd;
  digest_begin(&blob->digest);
  digest_begin(&tar->digest);
  _cleanup_archive_ struct archive *outer = archive_read_new();
  _cleanup_archive_ struct archive *inner = archive_read_new();
  if (!outer || !inner)
    abort();
  tar->outer = outer;
  archive_read_support_filter_gzip(outer);
  archive_read_support_filter_zstd(outer);
  archive_read_support_filter_xz(outer);
  archive_read_support_format_raw(outer);
  archive_read_support_format_tar(inner);
  archive_read_support_format_empty(inner);
  int r = 0, root = -1, saved = -1;
  struct archive_entry *e;
  if (archive_read_open(outer, blob, NULL, blob_read, NULL) != ARCHIVE_OK ||
      archive_read_next_header(outer, &e) != ARCHIVE_OK)
    r = husk_error_set(err, EIO, "layer %s: %s", src->name, archive_error_string(outer));
  if (r >= 0 && archive_read_open(inner, tar, NULL, tar_read, NULL) != ARCHIVE_OK)
    r = husk_error_set(err, EIO, "layer %s: %s", src->name, archive_error_string(inner));
  if (r >= 0)
    r = saved = in_directory(dir, &root, err);
  if (r >= 0) {
    r = extract_members(inner, root, EXTRACT_LAYER, src->name, err);
    r = back_to(saved, r, err);
  }
  closep(&root);
  /* What follows the tar's end blocks belongs to the digests too. */
  char sink[8192];
  la_ssize_t n = 0;
  while (r >= 0 && (n = archive_read_data(outer, sink, sizeof(sink))) > 0)
    digest_add(&tar->digest, sink, (size_t)n);
  if (r >= 0 && n < 0)
    r = husk_error_set(err, EIO, "layer %s: %s", src->name, archive_error_string(outer));
  ssize_t m;
  while (r >= 0 && (m = read(src->fd, sink, sizeof(sink))) != 0) {
    if (m < 0 && errno != EINTR)
      r = husk_error_sys(err, "layer %s: read", src->name);
    else if (m > 0)
      digest_add(&blob->digest, sink, (size_t)m);
  }
  char got[DIGEST_TEXT_SIZE];
  if (r >= 0 && src->blob_digest) {
    digest_end(&blob->digest, got);
    if (strcmp(got, src->blob_digest) != 0)
      r = husk_error_set(err, EBADMSG, "layer %s: its content has digest %s, not %s", src->name,
                         got, src->blob_digest);
  }
  if (r >= 0) {
    *ret_size = tar->digest.bytes;
    digest_end(&tar->digest, got);
    if (strcmp(got, src->diff_id) != 0)
      r = husk_error_set(err, EBADMSG,
                         "layer %s: its uncompressed content has digest %s, but the image "
                         "config's rootfs.diff_ids says %s",
                         src->name, got, src->diff_id);
  }
  free(blob);
  free(tar);
  return r < 0 ? r : 0;
}

int archive_unpack_file(const char *path, const char *dir, struct husk_error **err) {
  _cleanup_archive_ struct archive *in = archive_read_new();
  if (!in)
    abort();
  archive_read_support_filter_gzip(in);
  archive_read_support_filter_zstd(in);
  archive_read_support_filter_xz(in);
  archive_read_support_format_tar(in);
  if (archive_read_open_filename(in, path, READ_BLOCK) != ARCHIVE_OK)
    return husk_error_set(err, archive_errno(in) > 0 ? archive_errno(in) : EIO, "%s: %s", path,
                          archive_error_string(in));
  int root = -1;
  int saved = in_directory(dir, &root, err);
  if (saved < 0)
    return saved;
  int r = extract_members(in, -1, EXTRACT_FILES, path, err);
  r = back_to(saved, r, err);
  close(root);
  return r;
}
