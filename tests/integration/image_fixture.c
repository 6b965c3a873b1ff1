/* image_fixture.c: OCI images built offline (see image_fixture.h): layer tars with libarchive,
 * digests with nettle, configs, manifests and indexes with jansson. */
#include "image_fixture.h"
#include "harness.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define FX_CREATED "2024-05-01T12:00:00Z"

static char *fx_strdup(const char *s) {
  char *p = strdup(s);
  ck_assert(p);
  return p;
}

__attribute__((format(printf, 1, 2))) static char *fx_fmt(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  char *s;
  int n = vasprintf(&s, f, ap);
  va_end(ap);
  ck_assert(n >= 0);
  return s;
}

void fx_sha256_hex(const void *data, size_t len, char out[65]) {
  struct sha256_ctx ctx;
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_init(&ctx);
  sha256_update(&ctx, len, data);
  sha256_digest(&ctx, sizeof(d), d);
  for (size_t i = 0; i < sizeof(d); i++)
    snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- a growing buffer libarchive writes into ---- */

struct membuf {
  unsigned char *data;
  size_t len, cap;
};

static void membuf_add(struct membuf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + n)
      cap *= 2;
    b->data = realloc(b->data, cap);
    ck_assert(b->data);
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static la_ssize_t membuf_write(struct archive *a, void *client, const void *buf, size_t n) {
  (void)a;
  membuf_add(client, buf, n);
  return (la_ssize_t)n;
}

static void check_ar(struct archive *a, int rc, const char *what) {
  ck_assert_msg(rc == ARCHIVE_OK, "libarchive %s: %s", what, archive_error_string(a));
}

/* ---- layers ---- */

enum entry_kind { E_DIR, E_FILE, E_SYMLINK, E_HARDLINK };

struct entry {
  enum entry_kind kind;
  char *name; /* as written into the archive */
  unsigned char *data;
  size_t len;
  char *link; /* symlink or hardlink target */
  unsigned mode, uid, gid;
  long long mtime;
};

struct fx_layer {
  enum fx_compression compression;
  struct entry *entries;
  size_t n;
  size_t truncate_to; /* 0: whole */
};

struct layer_blobs {
  char digest[65], diff_id[65];
  unsigned char *blob;
  size_t size;
  enum fx_compression compression;
};

struct fx_image {
  json_t *doc;
  struct layer_blobs *layers;
  size_t n;
};

struct fx_layer *fx_layer_new(enum fx_compression compression) {
  struct fx_layer *l = calloc(1, sizeof(*l));
  ck_assert(l);
  l->compression = compression;
  return l;
}

static struct entry *add_entry(struct fx_layer *l, enum entry_kind kind, const char *name) {
  l->entries = realloc(l->entries, (l->n + 1) * sizeof(*l->entries));
  ck_assert(l->entries);
  struct entry *e = &l->entries[l->n++];
  memset(e, 0, sizeof(*e));
  e->kind = kind;
  e->name = fx_strdup(name);
  e->mode = kind == E_DIR ? 0755 : kind == E_SYMLINK ? 0777 : 0644;
  e->mtime = FX_MTIME;
  return e;
}

static const char *rel(const char *path) {
  while (*path == '/')
    path++;
  return path;
}

void fx_layer_dir(struct fx_layer *l, const char *path, unsigned mode, unsigned uid, unsigned gid) {
  /* Docker writes directories with a trailing slash. */
  _h_free_ char *name = fx_fmt("%s/", rel(path));
  struct entry *e = add_entry(l, E_DIR, name);
  e->mode = mode;
  e->uid = uid;
  e->gid = gid;
}

void fx_layer_file(struct fx_layer *l, const char *path, const void *data, size_t len,
                   unsigned mode, unsigned uid, unsigned gid, long long mtime) {
  struct entry *e = add_entry(l, E_FILE, rel(path));
  e->data = malloc(len ? len : 1);
  ck_assert(e->data);
  memcpy(e->data, data, len);
  e->len = len;
  e->mode = mode;
  e->uid = uid;
  e->gid = gid;
  e->mtime = mtime;
}

void fx_layer_text(struct fx_layer *l, const char *path, const char *text, unsigned mode) {
  fx_layer_file(l, path, text, strlen(text), mode, 0, 0, FX_MTIME);
}

void fx_layer_random(struct fx_layer *l, const char *path, size_t size) {
  unsigned char *data = malloc(size ? size : 1);
  ck_assert(data);
  for (size_t off = 0; off < size;) {
    ssize_t n = getrandom(data + off, size - off, 0);
    ck_assert_msg(n > 0 || errno == EINTR, "getrandom: %s", strerror(errno));
    if (n > 0)
      off += (size_t)n;
  }
  fx_layer_file(l, path, data, size, 0644, 0, 0, FX_MTIME);
  free(data);
}

void fx_layer_symlink(struct fx_layer *l, const char *path, const char *target) {
  struct entry *e = add_entry(l, E_SYMLINK, rel(path));
  e->link = fx_strdup(target);
}

void fx_layer_hardlink(struct fx_layer *l, const char *path, const char *target) {
  struct entry *e = add_entry(l, E_HARDLINK, rel(path));
  e->link = fx_strdup(rel(target));
}

void fx_layer_whiteout(struct fx_layer *l, const char *path) {
  const char *p = rel(path);
  const char *slash = strrchr(p, '/');
  _h_free_ char *name =
      slash ? fx_fmt("%.*s/.wh.%s", (int)(slash - p), p, slash + 1) : fx_fmt(".wh.%s", p);
  fx_layer_file(l, name, "", 0, 0644, 0, 0, FX_MTIME);
}

void fx_layer_opaque(struct fx_layer *l, const char *dir) {
  _h_free_ char *name = fx_fmt("%s/.wh..wh..opq", rel(dir));
  fx_layer_file(l, name, "", 0, 0644, 0, 0, FX_MTIME);
}

void fx_layer_raw(struct fx_layer *l, const char *name, const char *text,
                  const char *symlink_target) {
  if (symlink_target) {
    struct entry *e = add_entry(l, E_SYMLINK, name);
    e->link = fx_strdup(symlink_target);
    return;
  }
  struct entry *e = add_entry(l, E_FILE, name);
  e->len = strlen(text);
  e->data = (unsigned char *)fx_strdup(text);
}

void fx_layer_truncate(struct fx_layer *l, size_t keep) { l->truncate_to = keep; }

void fx_layer_busybox(struct fx_layer *l) {
  static const char *const applets[] = {
      "sh",   "cat",   "ls",    "id",       "echo",  "sleep", "touch", "stat", "pwd",
      "env",  "wget",  "mkdir", "test",     "true",  "false", "rm",    "grep", "readlink",
      "wc",   "ln",    "cp",    "hostname", "kill",  "ps",    "find",  "head", "sort",
      "uniq", "mount", "tr",    "cut",      "chmod", "df",    "date",  "["};
  int fd = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
  ck_assert_msg(fd >= 0, "/bin/busybox: %s", strerror(errno));
  struct stat st;
  ck_assert(fstat(fd, &st) == 0);
  unsigned char *bin = malloc((size_t)st.st_size);
  ck_assert(bin);
  ck_assert(read(fd, bin, (size_t)st.st_size) == st.st_size);
  close(fd);
  fx_layer_dir(l, "bin", 0755, 0, 0);
  fx_layer_file(l, "bin/busybox", bin, (size_t)st.st_size, 0755, 0, 0, FX_MTIME);
  free(bin);
  for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
    _h_free_ char *path = fx_fmt("bin/%s", applets[i]);
    fx_layer_symlink(l, path, "busybox");
  }
  fx_layer_dir(l, "etc", 0755, 0, 0);
  fx_layer_text(l, "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\n"
                "appuser:x:1000:1000:appuser:/home/appuser:/bin/sh\n"
                "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
                0644);
  fx_layer_text(l, "etc/group",
                "root:x:0:\n"
                "staff:x:50:appuser\n"
                "appuser:x:1000:\n"
                "nogroup:x:65534:\n",
                0644);
  fx_layer_text(l, "etc/hostname", "busybox\n", 0644);
  /* what the tests read to know the image: husk run binds its own /etc/hostname over the
   * image's, as docker run does */
  fx_layer_text(l, "etc/image-name", "busybox\n", 0644);
  fx_layer_dir(l, "tmp", 01777, 0, 0);
  fx_layer_dir(l, "home", 0755, 0, 0);
  fx_layer_dir(l, "home/appuser", 0755, 1000, 1000);
  fx_layer_dir(l, "root", 0700, 0, 0);
  fx_layer_dir(l, "proc", 0555, 0, 0);
  fx_layer_dir(l, "sys", 0555, 0, 0);
  fx_layer_dir(l, "dev", 0755, 0, 0);
}

static void layer_free(struct fx_layer *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->entries[i].name);
    free(l->entries[i].data);
    free(l->entries[i].link);
  }
  free(l->entries);
  free(l);
}

/* The uncompressed tar of the layer's entries. */
static void write_tar(const struct fx_layer *l, struct membuf *out) {
  struct archive *a = archive_write_new();
  ck_assert(a);
  check_ar(a, archive_write_set_format_pax_restricted(a), "pax format");
  check_ar(a, archive_write_set_bytes_per_block(a, 10240), "block size");
  check_ar(a, archive_write_open2(a, out, NULL, membuf_write, NULL, NULL), "open");
  for (size_t i = 0; i < l->n; i++) {
    const struct entry *e = &l->entries[i];
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, e->name);
    archive_entry_set_uid(ae, e->uid);
    archive_entry_set_gid(ae, e->gid);
    archive_entry_set_mtime(ae, (time_t)e->mtime, 0);
    switch (e->kind) {
    case E_DIR:
      archive_entry_set_filetype(ae, AE_IFDIR);
      archive_entry_set_perm(ae, e->mode);
      break;
    case E_FILE:
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_perm(ae, e->mode);
      archive_entry_set_size(ae, (la_int64_t)e->len);
      break;
    case E_SYMLINK:
      archive_entry_set_filetype(ae, AE_IFLNK);
      archive_entry_set_perm(ae, 0777);
      archive_entry_set_symlink(ae, e->link);
      break;
    case E_HARDLINK:
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_perm(ae, e->mode);
      archive_entry_set_hardlink(ae, e->link);
      archive_entry_set_size(ae, 0);
      break;
    default: ck_abort();
    }
    int rc = archive_write_header(a, ae);
    ck_assert_msg(rc == ARCHIVE_OK, "tar header %s: %s", e->name, archive_error_string(a));
    if (e->kind == E_FILE && e->len)
      ck_assert_msg(archive_write_data(a, e->data, e->len) == (la_ssize_t)e->len, "tar data %s: %s",
                    e->name, archive_error_string(a));
    archive_entry_free(ae);
  }
  check_ar(a, archive_write_close(a), "close");
  archive_write_free(a);
}

/* data compressed as a whole (libarchive's raw format through a filter), so the blob
 * decompresses to exactly the tar whose sha256 is the diff_id. */
static void compress(const unsigned char *data, size_t len, enum fx_compression c,
                     struct membuf *out) {
  struct archive *a = archive_write_new();
  ck_assert(a);
  check_ar(a, archive_write_set_format_raw(a), "raw format");
  if (c == FX_GZIP)
    check_ar(a, archive_write_add_filter_gzip(a), "gzip");
  else
    check_ar(a, archive_write_add_filter_zstd(a), "zstd");
  /* No padding after the compressed stream. */
  check_ar(a, archive_write_set_bytes_per_block(a, 0), "block size");
  check_ar(a, archive_write_open2(a, out, NULL, membuf_write, NULL, NULL), "open");
  struct archive_entry *ae = archive_entry_new();
  archive_entry_set_pathname(ae, "layer.tar");
  archive_entry_set_filetype(ae, AE_IFREG);
  archive_entry_set_perm(ae, 0644);
  archive_entry_set_size(ae, (la_int64_t)len);
  check_ar(a, archive_write_header(a, ae), "raw header");
  for (size_t off = 0; off < len;) {
    la_ssize_t n = archive_write_data(a, data + off, len - off);
    ck_assert_msg(n > 0, "compress: %s", archive_error_string(a));
    off += (size_t)n;
  }
  archive_entry_free(ae);
  check_ar(a, archive_write_close(a), "close");
  archive_write_free(a);
}

/* ---- images ---- */

struct fx_image *fx_image_new(void) {
  struct fx_image *img = calloc(1, sizeof(*img));
  ck_assert(img);
  img->doc =
      json_pack("{s:s, s:s, s:s, s:{}, s:{s:s, s:[]}}", "created", FX_CREATED, "architecture",
                "amd64", "os", "linux", "config", "rootfs", "type", "layers", "diff_ids");
  ck_assert(img->doc);
  return img;
}

void fx_image_free(struct fx_image *img) {
  for (size_t i = 0; i < img->n; i++)
    free(img->layers[i].blob);
  free(img->layers);
  json_decref(img->doc);
  free(img);
}

void fx_image_add_layer(struct fx_image *img, struct fx_layer *l) {
  struct membuf tar = {0};
  write_tar(l, &tar);
  img->layers = realloc(img->layers, (img->n + 1) * sizeof(*img->layers));
  ck_assert(img->layers);
  struct layer_blobs *lb = &img->layers[img->n++];
  memset(lb, 0, sizeof(*lb));
  lb->compression = l->compression;
  fx_sha256_hex(tar.data, tar.len, lb->diff_id);
  if (l->compression == FX_NONE) {
    lb->blob = tar.data;
    lb->size = tar.len;
  } else {
    struct membuf z = {0};
    compress(tar.data, tar.len, l->compression, &z);
    free(tar.data);
    lb->blob = z.data;
    lb->size = z.len;
  }
  if (l->truncate_to && l->truncate_to < lb->size)
    lb->size = l->truncate_to;
  fx_sha256_hex(lb->blob, lb->size, lb->digest);
  _h_free_ char *diff = fx_fmt("sha256:%s", lb->diff_id);
  json_array_append_new(json_object_get(json_object_get(img->doc, "rootfs"), "diff_ids"),
                        json_string(diff));
  layer_free(l);
}

struct fx_image *fx_image_busybox(void) {
  struct fx_image *img = fx_image_new();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_busybox(l);
  fx_image_add_layer(img, l);
  return img;
}

json_t *fx_image_config(struct fx_image *img) { return json_object_get(img->doc, "config"); }
json_t *fx_image_config_doc(struct fx_image *img) { return img->doc; }

char *fx_image_config_blob(struct fx_image *img) {
  char *s = json_dumps(img->doc, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert(s);
  return s;
}

char *fx_image_id(struct fx_image *img) {
  _h_free_ char *blob = fx_image_config_blob(img);
  char *hex = malloc(65);
  ck_assert(hex);
  fx_sha256_hex(blob, strlen(blob), hex);
  return hex;
}

size_t fx_image_n_layers(const struct fx_image *img) { return img->n; }
const char *fx_image_layer_digest(const struct fx_image *img, size_t i) {
  ck_assert(i < img->n);
  return img->layers[i].digest;
}
const char *fx_image_diff_id(const struct fx_image *img, size_t i) {
  ck_assert(i < img->n);
  return img->layers[i].diff_id;
}
size_t fx_image_layer_size(const struct fx_image *img, size_t i) {
  ck_assert(i < img->n);
  return img->layers[i].size;
}

char *fx_image_chain_id(const struct fx_image *img, size_t i) {
  ck_assert(i < img->n);
  char *chain = fx_strdup(img->layers[0].diff_id);
  for (size_t k = 1; k <= i; k++) {
    _h_free_ char *s = fx_fmt("sha256:%s sha256:%s", chain, img->layers[k].diff_id);
    fx_sha256_hex(s, strlen(s), chain);
  }
  return chain;
}

/* ---- layouts ---- */

static void write_file(const char *path, const void *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
  for (size_t off = 0; off < len;) {
    ssize_t n = write(fd, (const char *)data + off, len - off);
    ck_assert_msg(n > 0, "write %s: %s", path, strerror(errno));
    off += (size_t)n;
  }
  ck_assert(close(fd) == 0);
}

static void mkdir_p(const char *path) {
  _h_free_ char *p = fx_strdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
    *s = '/';
  }
  ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
}

char *fx_blob_path(const char *layout, const char *hex) {
  return fx_fmt("%s/blobs/sha256/%s", layout, hex);
}

static void write_blob(const char *layout, const char *hex, const void *data, size_t len) {
  _h_free_ char *path = fx_blob_path(layout, hex);
  write_file(path, data, len);
}

static const char *layer_media_type(enum fx_compression c) {
  switch (c) {
  case FX_GZIP: return "application/vnd.oci.image.layer.v1.tar+gzip";
  case FX_ZSTD: return "application/vnd.oci.image.layer.v1.tar+zstd";
  case FX_NONE:
  default: return "application/vnd.oci.image.layer.v1.tar";
  }
}

static json_t *descriptor(const char *media_type, const char *hex, size_t size) {
  _h_free_ char *digest = fx_fmt("sha256:%s", hex);
  return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
                   (json_int_t)size);
}

void fx_layout_write(struct fx_image *img, const char *dir, const char *ref_name) {
  _h_free_ char *blobs = fx_fmt("%s/blobs/sha256", dir);
  mkdir_p(blobs);
  _h_free_ char *layout_file = fx_fmt("%s/oci-layout", dir);
  const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
  write_file(layout_file, layout, strlen(layout));

  _h_free_ char *config = fx_image_config_blob(img);
  char config_hex[65];
  fx_sha256_hex(config, strlen(config), config_hex);
  write_blob(dir, config_hex, config, strlen(config));
  json_t *layers = json_array();
  for (size_t i = 0; i < img->n; i++) {
    const struct layer_blobs *lb = &img->layers[i];
    write_blob(dir, lb->digest, lb->blob, lb->size);
    json_array_append_new(layers,
                          descriptor(layer_media_type(lb->compression), lb->digest, lb->size));
  }
  _h_json_ json_t *manifest =
      json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
                "application/vnd.oci.image.manifest.v1+json", "config",
                descriptor("application/vnd.oci.image.config.v1+json", config_hex, strlen(config)),
                "layers", layers);
  _h_free_ char *mtext = json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS);
  char manifest_hex[65];
  fx_sha256_hex(mtext, strlen(mtext), manifest_hex);
  write_blob(dir, manifest_hex, mtext, strlen(mtext));

  _h_free_ char *index_path = fx_fmt("%s/index.json", dir);
  _h_json_ json_t *index = json_load_file(index_path, 0, NULL);
  if (!index)
    index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                      "application/vnd.oci.image.index.v1+json", "manifests");
  json_t *desc =
      descriptor("application/vnd.oci.image.manifest.v1+json", manifest_hex, strlen(mtext));
  if (ref_name)
    json_object_set_new(desc, "annotations",
                        json_pack("{s:s}", "org.opencontainers.image.ref.name", ref_name));
  json_array_append_new(json_object_get(index, "manifests"), desc);
  ck_assert(json_dump_file(index, index_path, JSON_COMPACT) == 0);
}

void fx_docker_manifest_write(struct fx_image *img, const char *dir, const char *repo_tag) {
  _h_free_ char *config_hex = fx_image_id(img);
  _h_free_ char *config = fx_fmt("blobs/sha256/%s", config_hex);
  json_t *layers = json_array();
  for (size_t i = 0; i < img->n; i++)
    json_array_append_new(layers, json_sprintf("blobs/sha256/%s", img->layers[i].digest));
  json_t *repo_tags = repo_tag ? json_pack("[s]", repo_tag) : json_null();
  _h_json_ json_t *manifest =
      json_pack("[{s:s, s:o, s:o}]", "Config", config, "RepoTags", repo_tags, "Layers", layers);
  _h_free_ char *path = fx_fmt("%s/manifest.json", dir);
  ck_assert(json_dump_file(manifest, path, JSON_COMPACT) == 0);
}

/* ---- archives ---- */

static struct archive *g_tar;
static size_t g_tar_prefix;

static int tar_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)flag;
  if (ftw->level == 0)
    return 0;
  const char *name = path + g_tar_prefix + 1;
  struct archive_entry *ae = archive_entry_new();
  archive_entry_copy_stat(ae, st);
  archive_entry_set_uid(ae, 0);
  archive_entry_set_gid(ae, 0);
  if (S_ISDIR(st->st_mode)) {
    _h_free_ char *dname = fx_fmt("%s/", name);
    archive_entry_set_pathname(ae, dname);
  } else {
    archive_entry_set_pathname(ae, name);
  }
  ck_assert_msg(S_ISDIR(st->st_mode) || S_ISREG(st->st_mode),
                "fx_tar_dir: %s is neither a "
                "file nor a directory",
                path);
  ck_assert_msg(archive_write_header(g_tar, ae) == ARCHIVE_OK, "tar %s: %s", path,
                archive_error_string(g_tar));
  if (S_ISREG(st->st_mode)) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    char buf[65536];
    for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
      ck_assert(archive_write_data(g_tar, buf, (size_t)n) == n);
    close(fd);
  }
  archive_entry_free(ae);
  return 0;
}

void fx_tar_dir(const char *dir, const char *file) {
  g_tar = archive_write_new();
  ck_assert(g_tar);
  check_ar(g_tar, archive_write_set_format_pax_restricted(g_tar), "pax format");
  check_ar(g_tar, archive_write_open_filename(g_tar, file), "open");
  g_tar_prefix = strlen(dir);
  ck_assert(nftw(dir, tar_one, 16, FTW_PHYS) == 0);
  check_ar(g_tar, archive_write_close(g_tar), "close");
  archive_write_free(g_tar);
  g_tar = NULL;
}

void fx_skopeo(const char *src, const char *dst) {
  /* --insecure-policy: /etc/containers/policy.json may be missing. */
  char *argv[] = {"/usr/bin/skopeo", "--insecure-policy", "copy", "-q",
                  (char *)src,       (char *)dst,         NULL};
  ck_assert_msg(access(argv[0], X_OK) == 0, "skopeo is missing: apt-get install skopeo");
  _h_result_ struct h_result r = h_proc_wait(h_spawn(argv, -1), H_TIMEOUT_MS);
  ck_assert_msg(r.status == 0, "skopeo copy %s %s: %d %s%s", src, dst, r.status, r.out, r.err);
}

void fx_blob_patch(const char *layout, const char *hex, const char *find, const char *replace) {
  ck_assert(strlen(find) == strlen(replace));
  _h_free_ char *path = fx_blob_path(layout, hex);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
  struct stat st;
  ck_assert(fstat(fd, &st) == 0);
  unsigned char *data = malloc((size_t)st.st_size + 1);
  ck_assert(data);
  ck_assert(read(fd, data, (size_t)st.st_size) == st.st_size);
  unsigned char *at = memmem(data, (size_t)st.st_size, find, strlen(find));
  ck_assert_msg(at, "%s does not hold \"%s\"", path, find);
  ck_assert(pwrite(fd, replace, strlen(replace), at - data) == (ssize_t)strlen(replace));
  ck_assert(close(fd) == 0);
  free(data);
}

json_t *fx_tar_members(const char *file) {
  struct archive *a = archive_read_new();
  ck_assert(a);
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  ck_assert_msg(archive_read_open_filename(a, file, 65536) == ARCHIVE_OK, "%s: %s", file,
                archive_error_string(a));
  json_t *members = json_object();
  struct archive_entry *ae;
  while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
    const char *name = archive_entry_pathname(ae);
    la_int64_t size = archive_entry_size(ae);
    if (archive_entry_filetype(ae) == AE_IFREG && size < (1 << 20)) {
      char *text = malloc((size_t)size + 1);
      ck_assert(text);
      la_ssize_t n = archive_read_data(a, text, (size_t)size);
      ck_assert(n == size);
      text[n] = '\0';
      json_object_set_new(members, name, json_stringn(text, (size_t)n));
      free(text);
    } else {
      json_object_set_new(members, name, json_null());
    }
  }
  archive_read_free(a);
  return members;
}
