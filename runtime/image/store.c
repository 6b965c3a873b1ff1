/* store.c: the image store's files: blobs, layers, image records, names, container storage,
 * and the locks and temporary names that keep them whole. */
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "rootfs/rootfs.h"

#define REFS_FILE "refs.json"
#define RECORD_MAX (1 << 20)
#define CONFIG_MAX (16 << 20)
#define CONTAINER_IMAGE_FILE "image"
#define STORE_LOCK "store" /* locks/store: shared while in use, exclusive for removal */

static const char *const store_dirs[] = {"blobs",      "blobs/sha256", "layers", "images",
                                         "containers", "tmp",          "locks"};

const char *store_default_root(void) {
  const char *env = getenv("HUSK_STORAGE");
  if (env && *env)
    return env;
  if (geteuid() == 0)
    return "/var/lib/husk";
  static char path[4096];
  const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  if (xdg && *xdg)
    snprintf(path, sizeof(path), "%s/husk", xdg);
  else
    snprintf(path, sizeof(path), "%s/.local/share/husk", home && *home ? home : "/tmp");
  return path;
}

int store_open(const char *root, struct image_store **ret, struct husk_error **err) {
  int r = mkdir_p(root, 0700, err);
  if (r < 0)
    return husk_error_wrap(err, "storage");
  int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "storage %s", root);
  for (size_t i = 0; i < ARRAY_SIZE(store_dirs); i++)
    if (mkdirat(fd, store_dirs[i], 0700) < 0 && errno != EEXIST) {
      r = husk_error_sys(err, "storage %s: mkdir %s", root, store_dirs[i]);
      close(fd);
      return r;
    }
  struct image_store *s = xcalloc(1, sizeof(*s));
  s->root = realpath(root, NULL);
  if (!s->root)
    s->root = xstrdup(root);
  s->fd = fd;
  *ret = s;
  return 0;
}

void store_free(struct image_store *s) {
  if (!s)
    return;
  close(s->fd);
  free(s->root);
  free(s);
}

static int lock_file(struct image_store *s, const char *name, int op, struct husk_error **err) {
  _cleanup_free_ char *path = xasprintf("locks/%s", name);
  int fd = openat(s->fd, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return husk_error_sys(err, "storage lock %s", path);
  while (flock(fd, op) < 0)
    if (errno != EINTR) {
      int r = husk_error_sys(err, "storage lock %s", path);
      close(fd);
      return r;
    }
  return fd;
}

int store_lock(struct image_store *s, const char *name, struct husk_error **err) {
  return lock_file(s, name, LOCK_EX, err);
}

int store_use(struct image_store *s, bool exclusive, struct husk_error **err) {
  return lock_file(s, STORE_LOCK, exclusive ? LOCK_EX : LOCK_SH, err);
}

/* readdir over dirfd's entry name; NULL (nothing leaked) when it cannot be opened. */
static DIR *open_dir_at(int dirfd, const char *name) {
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (fd >= 0 && !d)
    close(fd);
  return d;
}

int store_tmp_dir(struct image_store *s, const char *what, char **ret, struct husk_error **err) {
  static unsigned counter;
  for (int tries = 0; tries < 100; tries++) {
    _cleanup_free_ char *name = xasprintf("tmp/%d.%s.%u", (int)getpid(), what, counter++);
    if (mkdirat(s->fd, name, 0700) == 0) {
      *ret = xasprintf("%s/%s", s->root, name);
      return 0;
    }
    if (errno != EEXIST)
      return husk_error_sys(err, "storage: mkdir %s", name);
  }
  return husk_error_set(err, EEXIST, "storage: no free temporary name in tmp/");
}

void store_clean_tmp(struct image_store *s) {
  DIR *d = open_dir_at(s->fd, "tmp");
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    int pid = atoi(de->d_name);
    if (pid <= 0 || (kill(pid, 0) < 0 && errno == EPERM) || kill(pid, 0) == 0)
      continue;
    _cleanup_free_ char *path = xasprintf("%s/tmp/%s", s->root, de->d_name);
    _cleanup_error_ struct husk_error *e = NULL;
    log_debug("storage: removing %s, left by a husk that died (pid %d)", path, pid);
    if (remove_dir_tree(path, &e) < 0)
      log_warn("storage: %s", e->message);
  }
  closedir(d);
}

char *store_blob_path(const struct image_store *s, const char *digest) {
  return xasprintf("%s/blobs/sha256/%s", s->root, digest_hex(digest));
}

char *store_layer_path(const struct image_store *s, const char *chain_id) {
  return xasprintf("%s/layers/%s", s->root, digest_hex(chain_id));
}

int store_put_blob(struct image_store *s, const char *digest, const void *data, size_t len,
                   struct husk_error **err) {
  _cleanup_close_ int dir = openat(s->fd, "blobs/sha256", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return husk_error_sys(err, "storage blobs/sha256");
  if (faccessat(dir, digest_hex(digest), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  return write_file_atomic_at(dir, digest_hex(digest), data, len, 0600, err);
}

static int read_record(struct image_store *s, const char *hex, json_t **ret,
                       struct husk_error **err) {
  _cleanup_free_ char *path = xasprintf("images/%s.json", hex);
  return json_load_file_at(s->fd, path, RECORD_MAX, ret, err);
}

/* The names; none yet when there is no refs.json. One that cannot be read is an error for
 * whoever would write it back (every name would be lost), and none for a lookup. */
static int refs_read(struct image_store *s, json_t **ret, struct husk_error **err) {
  json_t *refs = NULL;
  _cleanup_error_ struct husk_error *e = NULL;
  int r = json_load_file_at(s->fd, REFS_FILE, RECORD_MAX, &refs, &e);
  if (r == -ENOENT) {
    *ret = json_object();
    return 0;
  }
  if (r >= 0 && !json_is_object(refs)) {
    json_decref(refs);
    return husk_error_set(err, EINVAL, "storage %s/%s: not a JSON object", s->root, REFS_FILE);
  }
  if (r < 0) {
    *err = TAKE_PTR(e);
    return husk_error_wrap(err, "storage %s", s->root);
  }
  *ret = refs;
  return 0;
}

static json_t *refs_load(struct image_store *s) {
  json_t *refs = NULL;
  _cleanup_error_ struct husk_error *e = NULL;
  if (refs_read(s, &refs, &e) < 0) {
    log_warn("%s", e->message);
    refs = json_object();
  }
  return refs;
}

static int refs_save(struct image_store *s, json_t *refs, struct husk_error **err) {
  return json_write_atomic_at(s->fd, REFS_FILE, refs, RECORD_MAX, 0600, err);
}

void image_free(struct image *img) {
  if (!img)
    return;
  json_decref(img->record);
  json_decref(img->config);
  for (size_t i = 0; i < img->n_layers; i++)
    free(img->layers[i]);
  free(img->layers);
  free(img);
}

/* "repo:tag": the tag is what follows the last ':' when no '/' comes after it. */
static const char *tag_of(const char *name) {
  const char *colon = strrchr(name, ':');
  return colon && !strchr(colon, '/') ? colon : NULL;
}

char *image_name_normalize(const char *name) {
  if (!name || !*name || strchr(name, '@') || strchr(name, ' '))
    return NULL;
  for (const char *p = name; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("._-/:", *p))
      return NULL;
  const char *tag = tag_of(name);
  if (tag && !tag[1])
    return NULL;
  if (name[0] == '/' || name[0] == ':' || name[0] == '-' || name[0] == '.')
    return NULL;
  for (const char *p = name; *p; p++)
    if (isupper((unsigned char)*p) && (!tag || p < tag))
      return NULL; /* repository names are lower case, as docker has them */
  return tag ? xstrdup(name) : xasprintf("%s:latest", name);
}

/* The short form a name is also found by: without "docker.io/library/", "docker.io/",
 * "localhost/". */
static const char *short_name(const char *name) {
  static const char *const prefixes[] = {"docker.io/library/", "docker.io/", "localhost/"};
  for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
    if (str_has_prefix(name, prefixes[i]))
      return name + strlen(prefixes[i]);
  return name;
}

static bool all_hex(const char *s) { return *s && strspn(s, "0123456789abcdef") == strlen(s); }

int image_find_id(struct image_store *s, const char *ref, char id[DIGEST_TEXT_SIZE],
                  struct husk_error **err) {
  const char *hex = str_has_prefix(ref, DIGEST_PREFIX) ? digest_hex(ref) : ref;
  size_t len = strlen(hex);
  if (all_hex(hex) && len == DIGEST_HEX_LEN) { /* the whole id: no listing needed */
    _cleanup_free_ char *path = xasprintf("images/%s.json", hex);
    if (faccessat(s->fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
      snprintf(id, DIGEST_TEXT_SIZE, "%s%s", DIGEST_PREFIX, hex);
      return 0;
    }
  } else if (all_hex(hex) && len >= 12 && len < DIGEST_HEX_LEN) {
    DIR *d = open_dir_at(s->fd, "images");
    int found = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
      if (strncmp(de->d_name, hex, len) != 0 || strlen(de->d_name) != DIGEST_HEX_LEN + 5)
        continue;
      if (found++ == 0)
        snprintf(id, DIGEST_TEXT_SIZE, "%s%.*s", DIGEST_PREFIX, DIGEST_HEX_LEN, de->d_name);
    }
    if (d)
      closedir(d);
    if (found > 1)
      return husk_error_set(err, EINVAL, "image %s: the prefix names %d images; give more of it",
                            ref, found);
    if (found == 1)
      return 0;
  }
  _cleanup_free_ char *name = image_name_normalize(ref);
  if (!name)
    return -ENOENT;
  _cleanup_json_ json_t *refs = refs_load(s);
  json_t *v = json_object_get(refs, name);
  const char *key;
  json_t *value;
  if (!v)
    json_object_foreach(refs, key, value) if (strcmp(short_name(key), short_name(name)) == 0) {
      v = value;
      break;
    }
  if (!json_is_string(v) || !digest_valid(json_string_value(v)))
    return -ENOENT;
  snprintf(id, DIGEST_TEXT_SIZE, "%s", json_string_value(v));
  return 0;
}

int image_find(struct image_store *s, const char *ref, struct image **ret,
               struct husk_error **err) {
  char id[DIGEST_TEXT_SIZE];
  int r = image_find_id(s, ref, id, err);
  _cleanup_free_ char *valid = r == -ENOENT ? image_name_normalize(ref) : NULL;
  if (r == -ENOENT && !valid && !all_hex(ref))
    return husk_error_set(err, EINVAL,
                          "image %s: not a valid image reference (NAME[:TAG] in lower case, or an "
                          "image id)",
                          ref);
  if (r == -ENOENT)
    return husk_error_set(err, ENOENT,
                          "image %s: not in the store %s (husk images lists it; husk image load "
                          "adds one)",
                          ref, s->root);
  if (r < 0)
    return r;
  _cleanup_image_ struct image *img = xcalloc(1, sizeof(*img));
  memcpy(img->id, id, sizeof(id));
  r = read_record(s, digest_hex(id), &img->record, err);
  _cleanup_free_ char *config_path = xasprintf("blobs/sha256/%s", digest_hex(id));
  if (r >= 0)
    r = json_load_file_at(s->fd, config_path, CONFIG_MAX, &img->config, err);
  if (r < 0)
    return husk_error_wrap(err, "image %s", ref);
  json_t *layers = json_object_get(img->record, "layers");
  img->layers = xcalloc(json_array_size(layers) + 1, sizeof(char *));
  size_t i;
  json_t *l;
  json_array_foreach(layers, i, l) {
    const char *chain = json_string_value(json_object_get(l, "chainId"));
    if (!digest_valid(chain))
      return husk_error_set(err, EINVAL,
                            "image %s: images/%s.json: layers[%zu].chainId is not "
                            "a digest",
                            ref, digest_hex(id), i);
    img->layers[img->n_layers++] = store_layer_path(s, chain);
  }
  *ret = TAKE_PTR(img);
  return 0;
}

static int set_names(struct image_store *s, const char *id, char *const *names, size_t n,
                     struct husk_error **err) {
  int lock = store_lock(s, "refs", err);
  if (lock < 0)
    return lock;
  _cleanup_json_ json_t *refs = NULL;
  int r = refs_read(s, &refs, err);
  if (r < 0) {
    close(lock);
    return r;
  }
  for (size_t i = 0; i < n; i++)
    json_object_set_new(refs, names[i], json_string(id));
  r = refs_save(s, refs, err);
  close(lock);
  return r;
}

int store_add_image(struct image_store *s, json_t *record, char *const *names, size_t n_names,
                    struct husk_error **err) {
  const char *id = json_string_value(json_object_get(record, "id"));
  _cleanup_free_ char *name = xasprintf("%s.json", digest_hex(id));
  _cleanup_close_ int dir = openat(s->fd, "images", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int r = dir < 0 ? husk_error_sys(err, "storage images/")
                  : json_write_atomic_at(dir, name, record, RECORD_MAX, 0600, err);
  return r < 0 ? r : set_names(s, id, names, n_names, err);
}

int store_tag(struct image_store *s, const char *id, const char *name, struct husk_error **err) {
  _cleanup_free_ char *norm = image_name_normalize(name);
  if (!norm)
    return husk_error_set(err, EINVAL, "image tag: \"%s\" is not a valid NAME[:TAG]", name);
  char *names[] = {norm};
  return set_names(s, id, names, 1, err);
}

json_t *store_image_names(struct image_store *s, const char *id) {
  _cleanup_json_ json_t *refs = refs_load(s);
  json_t *names = json_array();
  const char *key;
  json_t *v;
  json_object_foreach(refs, key, v) if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
      json_array_append_new(names, json_string(key));
  return names;
}

static int by_loaded(const void *a, const void *b) {
  const char *x = json_string_value(json_object_get(*(json_t *const *)a, "loaded"));
  const char *y = json_string_value(json_object_get(*(json_t *const *)b, "loaded"));
  return strcmp(x ? x : "", y ? y : "");
}

/* Every record; with err, one that cannot be read is an error (gc must not take what an
 * unreadable record may name), without it is left out. */
static int read_images(struct image_store *s, json_t **ret, struct husk_error **err) {
  json_t *list = json_array();
  DIR *d = open_dir_at(s->fd, "images");
  size_t n = 0, cap = 0;
  json_t **recs = NULL;
  int r = 0;
  for (struct dirent *de; r >= 0 && d && (de = readdir(d));) {
    size_t len = strlen(de->d_name);
    if (len != DIGEST_HEX_LEN + 5 || strcmp(de->d_name + DIGEST_HEX_LEN, ".json") != 0)
      continue;
    _cleanup_free_ char *hex = xasprintf("%.*s", DIGEST_HEX_LEN, de->d_name);
    json_t *rec = NULL;
    if (read_record(s, hex, &rec, err) < 0) {
      if (err)
        r = husk_error_wrap(err, "storage %s: image record %s", s->root, de->d_name);
      continue;
    }
    if (n == cap)
      recs = xrealloc(recs, (cap = cap ? 2 * cap : 16) * sizeof(*recs));
    recs[n++] = rec;
  }
  if (d)
    closedir(d);
  if (n)
    qsort(recs, n, sizeof(*recs), by_loaded);
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, recs[i]);
  free(recs);
  if (r < 0) {
    json_decref(list);
    return r;
  }
  *ret = list;
  return 0;
}

json_t *store_images(struct image_store *s) {
  json_t *list = NULL;
  read_images(s, &list, NULL);
  return list;
}

char *store_container_path(const struct image_store *s, const char *container_id) {
  return xasprintf("%s/containers/%s", s->root, container_id);
}

char *store_image_user(struct image_store *s, const char *id) {
  _cleanup_close_ int dir = openat(s->fd, "containers", O_PATH | O_DIRECTORY | O_CLOEXEC);
  DIR *d = open_dir_at(s->fd, "containers");
  char *user = NULL;
  for (struct dirent *de; d && !user && (de = readdir(d));) {
    if (de->d_name[0] == '.')
      continue;
    _cleanup_free_ char *path = xasprintf("%s/" CONTAINER_IMAGE_FILE, de->d_name);
    _cleanup_free_ char *text = NULL;
    if (read_file_at(dir, path, 256, &text, NULL) < 0)
      continue;
    text[strcspn(text, "\n")] = '\0';
    if (strcmp(text, id) == 0)
      user = xstrdup(de->d_name);
  }
  if (d)
    closedir(d);
  return user;
}

static int make_container_dirs(int dir, const char *rel, const char *image_id,
                               struct husk_error **err);

int store_container_make(struct image_store *s, const char *container_id, const char *image_id,
                         struct husk_error **err) {
  _cleanup_free_ char *rel = xasprintf("containers/%s", container_id);
  if (mkdirat(s->fd, rel, 0700) < 0)
    return errno == EEXIST
               ? husk_error_set(err, EEXIST,
                                "storage %s/%s exists: a container of that id (under another "
                                "--root?) has it",
                                s->root, rel)
               : husk_error_sys(err, "storage: mkdir %s", rel);
  _cleanup_free_ char *path = store_container_path(s, container_id);
  _cleanup_close_ int dir = openat(s->fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int r = dir < 0 ? husk_error_sys(err, "storage %s", rel)
                  : make_container_dirs(dir, rel, image_id, err);
  if (r < 0) /* nothing of it stays: the next create of this id must not find it */
    remove_dir_tree(path, NULL);
  return r;
}

static int make_container_dirs(int dir, const char *rel, const char *image_id,
                               struct husk_error **err) {
  /* rootfs/ is the overlay's mount point: others may need to reach it (a non-root service's
   * own files), as the bundle of a container usually allows. */
  static const struct {
    const char *name;
    mode_t mode;
  } subdirs[] = {{"upper", 0755}, {"work", 0700}, {"rootfs", 0755}, {"volumes", 0700}};
  for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++)
    if (mkdirat(dir, subdirs[i].name, subdirs[i].mode) < 0)
      return husk_error_sys(err, "storage: mkdir %s/%s", rel, subdirs[i].name);
  _cleanup_free_ char *line = xasprintf("%s\n", image_id);
  return write_file_new_at(dir, CONTAINER_IMAGE_FILE, line, strlen(line), 0600, err);
}

/* --- removal ------------------------------------------------------------------------------ */

static int remove_image_record(struct image_store *s, const char *id, struct husk_error **err) {
  _cleanup_free_ char *path = xasprintf("images/%s.json", digest_hex(id));
  if (unlinkat(s->fd, path, 0) < 0 && errno != ENOENT)
    return husk_error_sys(err, "storage: remove %s", path);
  _cleanup_free_ char *blob = xasprintf("blobs/sha256/%s", digest_hex(id));
  unlinkat(s->fd, blob, 0);
  return 0;
}

static uint64_t tree_bytes;
static int add_bytes(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)path;
  (void)type;
  (void)ftw;
  tree_bytes += S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
  return 0;
}

uint64_t tree_size(const char *path) {
  tree_bytes = 0;
  nftw(path, add_bytes, 16, FTW_PHYS | FTW_MOUNT);
  return tree_bytes;
}

/* Layers, blobs and lock files that no image record names; the caller holds the store
 * exclusively (store_use), so no load or create is between finding a layer and recording its
 * use. */
static int collect_garbage(struct image_store *s, uint64_t *freed, struct husk_error **err) {
  _cleanup_json_ json_t *images = NULL;
  int r = read_images(s, &images, err);
  if (r < 0)
    return husk_error_wrap(err, "nothing removed");
  _cleanup_json_ json_t *keep = json_object();
  size_t i, j;
  json_t *rec, *l;
  json_array_foreach(images, i, rec) {
    json_object_set_new(keep, json_string_value(json_object_get(rec, "id")), json_true());
    const char *m = json_string_value(json_object_get(rec, "manifest"));
    if (m)
      json_object_set_new(keep, m, json_true());
    json_array_foreach(json_object_get(rec, "layers"), j, l) {
      const char *c = json_string_value(json_object_get(l, "chainId"));
      if (c)
        json_object_set_new(keep, c, json_true());
    }
  }
  static const char *const kinds[] = {"layers", "blobs/sha256", "locks"};
  for (size_t k = 0; r >= 0 && k < ARRAY_SIZE(kinds); k++) {
    _cleanup_close_ int dir = openat(s->fd, kinds[k], O_PATH | O_DIRECTORY | O_CLOEXEC);
    DIR *d = open_dir_at(s->fd, kinds[k]);
    for (struct dirent *de; r >= 0 && d && (de = readdir(d));) {
      if (strlen(de->d_name) != DIGEST_HEX_LEN || !all_hex(de->d_name))
        continue;
      _cleanup_free_ char *digest = xasprintf("%s%s", DIGEST_PREFIX, de->d_name);
      if (json_object_get(keep, digest))
        continue;
      if (k == 0) {
        _cleanup_free_ char *path = xasprintf("%s/layers/%s", s->root, de->d_name);
        *freed += tree_size(path);
        r = remove_dir_tree(path, err);
        continue;
      }
      struct stat st;
      if (k == 1 && fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        *freed += (uint64_t)st.st_size;
      unlinkat(dir, de->d_name, 0);
    }
    if (d)
      closedir(d);
  }
  return r;
}

static int remove_locked(struct image_store *s, const char *ref, bool force,
                         struct husk_error **err) {
  char id[DIGEST_TEXT_SIZE];
  int r = image_find_id(s, ref, id, err);
  if (r == -ENOENT)
    return husk_error_set(err, ENOENT, "image rm: no such image: %s", ref);
  if (r < 0)
    return r;
  int lock = store_lock(s, "refs", err);
  if (lock < 0)
    return lock;
  _cleanup_json_ json_t *refs = NULL;
  r = refs_read(s, &refs, err);
  if (r < 0) {
    close(lock);
    return r;
  }
  _cleanup_free_ char *name = image_name_normalize(ref);
  json_t *named = name ? json_object_get(refs, name) : NULL;
  const char *key;
  json_t *v;
  void *tmp;
  /* By name: that name goes; the image only with its last. By id: all of its names (more
   * than one only with force, as docker). A name may go while a container uses the image;
   * the image may not. */
  size_t names = 0;
  bool by_name = named && strcmp(json_string_value(named), id) == 0;
  json_object_foreach(refs, key, v) {
    if (strcmp(json_string_value(v), id) != 0)
      continue;
    names++;
    if (!by_name && name && strcmp(short_name(key), short_name(name)) == 0) {
      free(name);
      name = xstrdup(key);
      by_name = true;
    }
  }
  bool image_goes = !by_name || names <= 1;
  _cleanup_free_ char *user = image_goes ? store_image_user(s, id) : NULL;
  if (user || (!by_name && names > 1 && !force)) {
    close(lock);
    return user ? husk_error_set(err, EBUSY,
                                 "image rm %s: the image is used by container %s (delete it first)",
                                 ref, user)
                : husk_error_set(err, EBUSY,
                                 "image rm %s: the image has %zu names; remove them by name, or "
                                 "give -f",
                                 ref, names);
  }
  json_object_foreach_safe(refs, tmp, key, v) {
    if (strcmp(json_string_value(v), id) != 0 || (by_name && strcmp(key, name) != 0))
      continue;
    printf("Untagged: %s\n", key);
    json_object_del(refs, key);
  }
  r = refs_save(s, refs, err);
  close(lock);
  if (r < 0 || !image_goes)
    return r;
  r = remove_image_record(s, id, err);
  if (r < 0)
    return r;
  printf("Deleted: %s\n", id);
  uint64_t freed = 0;
  return collect_garbage(s, &freed, err);
}

int store_remove(struct image_store *s, const char *ref, bool force, struct husk_error **err) {
  int lock = store_use(s, true, err);
  if (lock < 0)
    return lock;
  int r = remove_locked(s, ref, force, err);
  close(lock);
  return r;
}

static int prune_locked(struct image_store *s, bool all, uint64_t *ret_freed,
                        struct husk_error **err) {
  _cleanup_json_ json_t *images = NULL;
  int r = read_images(s, &images, err);
  if (r < 0)
    return husk_error_wrap(err, "image prune: nothing removed");
  uint64_t freed = 0;
  size_t i;
  json_t *rec;
  json_array_foreach(images, i, rec) {
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (!digest_valid(id))
      continue;
    _cleanup_json_ json_t *names = store_image_names(s, id);
    if (json_array_size(names) && !all)
      continue;
    _cleanup_free_ char *user = store_image_user(s, id);
    if (user)
      continue;
    if (json_array_size(names)) {
      int lock = store_lock(s, "refs", err);
      if (lock < 0)
        return lock;
      _cleanup_json_ json_t *refs = NULL;
      r = refs_read(s, &refs, err);
      size_t j;
      json_t *n;
      json_array_foreach(names, j, n) {
        if (r < 0)
          break;
        printf("Untagged: %s\n", json_string_value(n));
        json_object_del(refs, json_string_value(n));
      }
      if (r >= 0)
        r = refs_save(s, refs, err);
      close(lock);
      if (r < 0)
        return r;
    }
    r = remove_image_record(s, id, err);
    if (r < 0)
      return r;
    printf("Deleted: %s\n", id);
  }
  /* What the disk gets back: the layers and blobs nothing else needs, as gc finds them. */
  r = collect_garbage(s, &freed, err);
  *ret_freed = freed;
  return r;
}

int store_prune(struct image_store *s, bool all, uint64_t *ret_freed, struct husk_error **err) {
  int lock = store_use(s, true, err);
  if (lock < 0)
    return lock;
  int r = prune_locked(s, all, ret_freed, err);
  close(lock);
  return r;
}

/* --- the merged tree, read without mounting it --------------------------------------------- */

static bool is_whiteout_at(int dir, const char *name) {
  struct stat st;
  return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
         st.st_rdev == makedev(0, 0);
}

static bool is_opaque(int dir) {
  char v;
  _cleanup_close_ int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd >= 0 && fgetxattr(fd, "trusted.overlay.opaque", &v, 1) == 1 && v == 'y';
}

/* In one layer: 1 path is there (its fd in *ret, opened with flags), 0 not there, -1 hidden
 * from the layers below (a whiteout of it or of a directory on its way, or an opaque
 * directory on its way). */
static int layer_lookup(const char *layer, const char *path, int flags, int *ret) {
  _cleanup_close_ int root = open(layer, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return 0;
  _cleanup_close_ int dir = dup(root);
  bool opaque = false;
  _cleanup_free_ char *copy = xstrdup(path);
  for (char *p = copy, *slash; p; p = slash ? slash + 1 : NULL) {
    slash = strchr(p, '/');
    if (slash)
      *slash = '\0';
    _cleanup_free_ char *wh = xasprintf(".wh.%s", p);
    if (is_whiteout_at(dir, p) || faccessat(dir, wh, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
      return -1;
    if (!slash)
      break;
    int next = openat(dir, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) /* missing: the layers below count; anything else but a directory hides them */
      return errno == ENOENT && !opaque ? 0 : -1;
    close(dir);
    dir = next;
    opaque = opaque || is_opaque(dir);
  }
  struct open_how how = {.flags = (uint64_t)flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
  int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
  if (fd < 0)
    return opaque ? -1 : 0;
  *ret = fd;
  return 1;
}

static int merged_open(const struct image *img, const char *path, int flags) {
  while (*path == '/')
    path++;
  for (size_t i = img->n_layers; i-- > 0;) {
    int fd = -1;
    int r = layer_lookup(img->layers[i], path, flags, &fd);
    if (r > 0)
      return fd;
    if (r < 0)
      break;
  }
  errno = ENOENT;
  return -1;
}

FILE *image_open_file(const struct image *img, const char *path) {
  int fd = merged_open(img, path, O_RDONLY);
  FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
  if (fd >= 0 && !f)
    close(fd);
  return f;
}

bool image_has_dir(const struct image *img, const char *path) {
  while (*path == '/')
    path++;
  if (!*path)
    return true;
  int fd = merged_open(img, path, O_PATH | O_DIRECTORY);
  if (fd < 0)
    return false;
  close(fd);
  return true;
}

int image_copy_dir(const struct image *img, const char *path, const char *dst,
                   struct husk_error **err) {
  while (*path == '/')
    path++;
  struct stat top;
  bool found = false;
  for (size_t i = 0; i < img->n_layers; i++) {
    _cleanup_close_ int root = open(img->layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
      return husk_error_sys(err, "open layer %s", img->layers[i]);
    struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
    _cleanup_close_ int src = *path ? (int)syscall(SYS_openat2, root, path, &how, sizeof(how))
                                    : openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool whiteout = *path && is_whiteout_at(root, path);
    if (src < 0 && !whiteout)
      continue;
    /* What lower layers had there goes: a whiteout, an opaque directory. */
    if (whiteout || (found && is_opaque(src))) {
      int r = remove_dir_tree(dst, err);
      if (r < 0)
        return r;
      if (mkdir(dst, 0755) < 0)
        return husk_error_sys(err, "mkdir %s", dst);
      found = false;
      if (whiteout)
        continue;
    }
    _cleanup_close_ int out = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (out < 0)
      return husk_error_sys(err, "open %s", dst);
    int r = rootfs_copy_layer(src, out, err);
    if (r < 0)
      return husk_error_wrap(err, "copy %s of layer %s", path, img->layers[i]);
    if (fstat(src, &top) == 0)
      found = true;
  }
  /* The volume takes the image's directory's owner and mode, as docker's does. */
  if (found && (chown(dst, top.st_uid, top.st_gid) < 0 || chmod(dst, top.st_mode & 07777) < 0))
    return husk_error_sys(err, "volume %s: owner and mode", dst);
  return 0;
}
