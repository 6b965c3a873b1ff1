/* load.c: reading an image source into the store. An archive is first unpacked into tmp/ and
 * then read as the directory it holds. Layers are unpacked into tmp/ too, and renamed into
 * layers/ only when every layer and digest of the image checked out; the image record and its
 * names come last. Each layer's lock is held from the moment its absence is seen until the
 * image record naming it is written, so concurrent loads of one image wait for each other
 * and prune never takes a layer a load is about to record. */
#include "load.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "layer.h"
#include "store.h"

#define JSON_MAX (16 << 20)
#define MEDIA_INDEX_OCI "application/vnd.oci.image.index.v1+json"
#define MEDIA_INDEX_DOCKER "application/vnd.docker.distribution.manifest.list.v2+json"
#define REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

enum source_kind { SOURCE_ANY, SOURCE_OCI_DIR, SOURCE_OCI_ARCHIVE, SOURCE_DOCKER_ARCHIVE };

static const struct {
  const char *prefix;
  enum source_kind kind;
} transports[] = {{"oci:", SOURCE_OCI_DIR},
                  {"oci-archive:", SOURCE_OCI_ARCHIVE},
                  {"docker-archive:", SOURCE_DOCKER_ARCHIVE}};

bool image_source_has_transport(const char *source) {
  for (size_t i = 0; i < ARRAY_SIZE(transports); i++)
    if (str_has_prefix(source, transports[i].prefix))
      return true;
  return false;
}

void image_loaded_clear(struct image_loaded *l) {
  strv_free(l->names);
  l->names = NULL;
}

/* One layer of the image being loaded. */
struct load_layer {
  char *path;        /* its file, relative to the source directory */
  char *blob_digest; /* NULL when the source does not name it (a legacy layer.tar) */
  char diff_id[DIGEST_TEXT_SIZE];
  char chain_id[DIGEST_TEXT_SIZE];
  char *tmp; /* unpacked here by this load; NULL when layers/ had it */
  int lock;
  uint64_t size;
};

struct load {
  struct image_store *store;
  const char *source; /* as the user gave it, for errors */
  char *dir;          /* the layout or archive contents */
  int dir_fd;
  char *unpacked;  /* tmp/ directory of an unpacked archive, removed at the end */
  char *tag;       /* what follows DIR: or FILE: */
  char *base_name; /* repository name for a bare OCI tag: the source's base name */
  char *config_text;
  char config_digest[DIGEST_TEXT_SIZE];
  char *manifest_text;
  char manifest_digest[DIGEST_TEXT_SIZE];
  json_t *config;
  struct load_layer *layers;
  size_t n_layers;
  char **names;
  size_t n_names;
};

static void load_release(struct load *l, bool failed) {
  for (size_t i = 0; i < l->n_layers; i++) {
    struct load_layer *y = &l->layers[i];
    if (failed && y->tmp) {
      _cleanup_error_ struct husk_error *e = NULL;
      if (remove_dir_tree(y->tmp, &e) < 0)
        log_warn("%s", e->message);
      /* Nothing of a failed load stays, its lock file neither (held: no one is between
       * opening and locking it but a load of the same layer, which copes, see commit). */
      _cleanup_free_ char *lock = xasprintf("locks/%s", digest_hex(y->chain_id));
      unlinkat(l->store->fd, lock, 0);
    }
    closep(&y->lock);
    free(y->tmp);
    free(y->path);
    free(y->blob_digest);
  }
  free(l->layers);
  if (l->unpacked) {
    _cleanup_error_ struct husk_error *e = NULL;
    if (remove_dir_tree(l->unpacked, &e) < 0)
      log_warn("%s", e->message);
    free(l->unpacked);
  }
  closep(&l->dir_fd);
  free(l->dir);
  free(l->tag);
  free(l->base_name);
  free(l->config_text);
  free(l->manifest_text);
  json_decref(l->config);
  for (size_t i = 0; i < l->n_names; i++)
    free(l->names[i]);
  free(l->names);
}

static void add_name(struct load *l, const char *name) {
  _cleanup_free_ char *norm = image_name_normalize(name);
  if (!norm) {
    log_warn("image %s: \"%s\" is not a valid image name; not recorded", l->source, name);
    return;
  }
  for (size_t i = 0; i < l->n_names; i++)
    if (strcmp(l->names[i], norm) == 0)
      return;
  l->names = xrealloc(l->names, (l->n_names + 1) * sizeof(char *));
  l->names[l->n_names++] = TAKE_PTR(norm);
}

static const char *host_arch(void) {
  struct utsname u;
  if (uname(&u) < 0)
    return "amd64";
  if (strcmp(u.machine, "x86_64") == 0)
    return "amd64";
  if (strcmp(u.machine, "aarch64") == 0)
    return "arm64";
  return strcmp(u.machine, "armv7l") == 0 ? "arm" : "amd64";
}

/* A file of the source, as the archive names it: resolved inside the source directory
 * (absolute names, "..", and symlinks the archive holds all stay in it) and a regular file
 * (no fifo to hang on, no device to read forever). */
static int open_source_file(struct load *l, const char *path, struct husk_error **err) {
  struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, l->dir_fd, path, &how, sizeof(how));
  if (fd < 0)
    return husk_error_sys(err, "image %s: %s", l->source, path);
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return husk_error_set(err, EINVAL, "image %s: %s is not a regular file", l->source, path);
  }
  return fd;
}

/* A JSON file of the source (what is read is what is digested: exactly its bytes). */
static int read_source_file(struct load *l, const char *path, char **ret_text, json_t **ret_json,
                            struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  _cleanup_close_ int fd = open_source_file(l, path, err);
  if (fd < 0)
    return fd;
  int r = read_fd(fd, path, JSON_MAX, &text, err);
  if (r < 0)
    return husk_error_wrap(err, "image %s", l->source);
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  if (!j)
    return husk_error_set(err, EINVAL, "image %s: %s: not JSON (line %d, column %d)", l->source,
                          path, jerr.line, jerr.column);
  *ret_json = j;
  if (ret_text)
    *ret_text = TAKE_PTR(text);
  return 0;
}

/* blobs/sha256/<hex> of the layout, read and checked against its digest. */
static int read_blob(struct load *l, const char *digest, char **ret_text, json_t **ret_json,
                     struct husk_error **err) {
  if (!digest_valid(digest))
    return husk_error_set(err, EINVAL, "image %s: \"%s\" is not a sha256 digest", l->source,
                          digest ? digest : "(none)");
  _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", digest_hex(digest));
  _cleanup_free_ char *text = NULL;
  int r = read_source_file(l, path, &text, ret_json, err);
  if (r < 0)
    return r;
  char got[DIGEST_TEXT_SIZE];
  digest_of(text, strlen(text), got);
  if (strcmp(got, digest) != 0) {
    json_decref(TAKE_PTR(*ret_json));
    return husk_error_set(err, EBADMSG, "image %s: blob %s has digest %s: it is corrupt", l->source,
                          digest, got);
  }
  if (ret_text)
    *ret_text = TAKE_PTR(text);
  return 0;
}

static bool platform_is_host(const json_t *desc) {
  const json_t *p = json_object_get(desc, "platform");
  const char *os = json_string_value(json_object_get(p, "os"));
  const char *arch = json_string_value(json_object_get(p, "architecture"));
  return os && arch && strcmp(os, "linux") == 0 && strcmp(arch, host_arch()) == 0;
}

static bool is_index(const json_t *desc) {
  const char *mt = json_string_value(json_object_get(desc, "mediaType"));
  return mt && (strcmp(mt, MEDIA_INDEX_OCI) == 0 || strcmp(mt, MEDIA_INDEX_DOCKER) == 0);
}

/* The descriptor of index's manifests that the tag (or, without one, the platform) picks. */
static int pick_descriptor(struct load *l, const json_t *index, const char *what, bool by_tag,
                           const json_t **ret, struct husk_error **err) {
  const json_t *manifests = json_object_get(index, "manifests");
  if (!json_is_array(manifests) || json_array_size(manifests) == 0)
    return husk_error_set(err, EINVAL, "image %s: %s: no manifests", l->source, what);
  const json_t *picked = NULL;
  size_t n = 0, n_host = 0, i;
  const json_t *d, *host = NULL;
  json_array_foreach(manifests, i, d) {
    const char *ref =
        json_string_value(json_object_get(json_object_get(d, "annotations"), REF_NAME_ANNOTATION));
    if (by_tag && l->tag && (!ref || strcmp(ref, l->tag) != 0))
      continue;
    n++;
    picked = d;
    if (platform_is_host(d)) {
      n_host++;
      host = d;
    }
  }
  if (n == 0)
    return husk_error_set(err, ENOENT, "image %s: %s has no image named \"%s\"", l->source, what,
                          l->tag);
  if (n > 1 && n_host == 1)
    picked = host;
  else if (n > 1 && n_host == 0 && !by_tag)
    return husk_error_set(err, ENOENT, "image %s: %s has no image for linux/%s", l->source, what,
                          host_arch());
  else if (n > 1)
    return husk_error_set(err, EINVAL, "image %s: %s holds %zu images; name one as %s:TAG",
                          l->source, what, n, l->source);
  *ret = picked;
  return 0;
}

static void name_from_ref(struct load *l, const char *ref) {
  if (!ref || !*ref)
    return;
  if (strchr(ref, ':') || strchr(ref, '/')) {
    add_name(l, ref);
    return;
  }
  _cleanup_free_ char *name = xasprintf("%s:%s", l->base_name, ref);
  add_name(l, name);
}

static int add_layer(struct load *l, const char *path, const char *blob_digest) {
  l->layers = xrealloc(l->layers, (l->n_layers + 1) * sizeof(*l->layers));
  l->layers[l->n_layers++] = (struct load_layer){
      .path = xstrdup(path), .blob_digest = blob_digest ? xstrdup(blob_digest) : NULL, .lock = -1};
  return 0;
}

static int read_oci_layout(struct load *l, struct husk_error **err) {
  _cleanup_json_ json_t *index = NULL;
  int r = read_source_file(l, "index.json", NULL, &index, err);
  if (r < 0)
    return r;
  const json_t *desc;
  r = pick_descriptor(l, index, "index.json", true, &desc, err);
  if (r < 0)
    return r;
  /* containerd and Docker 25 write the full name beside the tag. */
  const json_t *ann = json_object_get(desc, "annotations");
  const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
  if (full)
    add_name(l, full);
  else
    name_from_ref(l, json_string_value(json_object_get(ann, REF_NAME_ANNOTATION)));
  _cleanup_json_ json_t *nested = NULL;
  for (int depth = 0; is_index(desc); depth++) {
    if (depth > 4)
      return husk_error_set(err, ELOOP, "image %s: indexes nested too deep", l->source);
    json_t *next = NULL;
    r = read_blob(l, json_string_value(json_object_get(desc, "digest")), NULL, &next, err);
    if (r < 0)
      return r;
    json_decref(nested);
    nested = next;
    r = pick_descriptor(l, nested, "its index", false, &desc, err);
    if (r < 0)
      return r;
  }
  const char *mdigest = json_string_value(json_object_get(desc, "digest"));
  _cleanup_json_ json_t *manifest = NULL;
  r = read_blob(l, mdigest, &l->manifest_text, &manifest, err);
  if (r < 0)
    return r;
  snprintf(l->manifest_digest, sizeof(l->manifest_digest), "%s", mdigest);
  const char *cdigest =
      json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
  r = read_blob(l, cdigest, &l->config_text, &l->config, err);
  if (r < 0)
    return r;
  snprintf(l->config_digest, sizeof(l->config_digest), "%s", cdigest);
  const json_t *layers = json_object_get(manifest, "layers");
  if (!json_is_array(layers))
    return husk_error_set(err, EINVAL, "image %s: manifest %s: layers is not an array", l->source,
                          mdigest);
  size_t i;
  const json_t *ld;
  json_array_foreach(layers, i, ld) {
    const char *d = json_string_value(json_object_get(ld, "digest"));
    const char *mt = json_string_value(json_object_get(ld, "mediaType"));
    if (!digest_valid(d))
      return husk_error_set(err, EINVAL,
                            "image %s: manifest %s: layers[%zu].digest is not a "
                            "sha256 digest",
                            l->source, mdigest, i);
    if (mt && !strstr(mt, "tar"))
      return husk_error_set(err, ENOTSUP, "image %s: layer %s: media type %s is not a tar layer",
                            l->source, d, mt);
    _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", digest_hex(d));
    add_layer(l, path, d);
  }
  return 0;
}

/* "blobs/sha256/<hex>" or "<hex>.json" (what docker save names files): the digest the name
 * promises, or NULL. */
static char *digest_in_name(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  _cleanup_free_ char *d = xasprintf("%s%.*s", DIGEST_PREFIX, DIGEST_HEX_LEN, base);
  size_t len = strlen(base);
  bool named = (len == DIGEST_HEX_LEN && str_has_prefix(path, "blobs/sha256/")) ||
               (len == DIGEST_HEX_LEN + 5 && strcmp(base + DIGEST_HEX_LEN, ".json") == 0);
  return named && digest_valid(d) ? TAKE_PTR(d) : NULL;
}

static bool repo_tags_match(const json_t *tags, const char *want) {
  _cleanup_free_ char *norm = image_name_normalize(want);
  size_t i;
  const json_t *t;
  json_array_foreach(tags, i, t) {
    _cleanup_free_ char *n = image_name_normalize(json_string_value(t) ?: "");
    if (n && norm && strcmp(n, norm) == 0)
      return true;
  }
  return false;
}

static int read_docker_archive(struct load *l, struct husk_error **err) {
  _cleanup_json_ json_t *manifest = NULL;
  int r = read_source_file(l, "manifest.json", NULL, &manifest, err);
  if (r < 0)
    return r;
  if (!json_is_array(manifest) || json_array_size(manifest) == 0)
    return husk_error_set(err, EINVAL, "image %s: manifest.json: not a list of images", l->source);
  const json_t *entry = NULL;
  size_t i;
  const json_t *e;
  json_array_foreach(manifest, i, e) {
    if (!l->tag || repo_tags_match(json_object_get(e, "RepoTags"), l->tag)) {
      if (entry)
        return husk_error_set(err, EINVAL, "image %s holds %zu images; name one as %s:NAME:TAG",
                              l->source, json_array_size(manifest), l->source);
      entry = e;
    }
  }
  if (!entry)
    return husk_error_set(err, ENOENT, "image %s has no image named \"%s\"", l->source, l->tag);
  const json_t *t;
  json_array_foreach(json_object_get(entry, "RepoTags"), i, t) if (json_is_string(t))
      add_name(l, json_string_value(t));
  const char *config_path = json_string_value(json_object_get(entry, "Config"));
  if (!config_path || !*config_path)
    return husk_error_set(err, EINVAL, "image %s: manifest.json: Config names no file", l->source);
  r = read_source_file(l, config_path, &l->config_text, &l->config, err);
  if (r < 0)
    return r;
  digest_of(l->config_text, strlen(l->config_text), l->config_digest);
  _cleanup_free_ char *promised = digest_in_name(config_path);
  if (promised && strcmp(promised, l->config_digest) != 0)
    return husk_error_set(err, EBADMSG, "image %s: config %s has digest %s: it is corrupt",
                          l->source, promised, l->config_digest);
  const json_t *layers = json_object_get(entry, "Layers");
  if (!json_is_array(layers))
    return husk_error_set(err, EINVAL, "image %s: manifest.json: Layers is not a list", l->source);
  json_array_foreach(layers, i, t) {
    const char *path = json_string_value(t);
    if (!path || !*path)
      return husk_error_set(err, EINVAL, "image %s: manifest.json: Layers[%zu] names no file",
                            l->source, i);
    _cleanup_free_ char *d = str_has_prefix(path, "blobs/sha256/") ? digest_in_name(path) : NULL;
    add_layer(l, path, d);
  }
  return 0;
}

/* The diff_ids and chain ids from the config, one per layer. */
static int check_config(struct load *l, struct husk_error **err) {
  const char *os = json_string_value(json_object_get(l->config, "os"));
  if (os && strcmp(os, "linux") != 0)
    return husk_error_set(err, ENOTSUP, "image %s is for %s, not linux", l->source, os);
  const char *arch = json_string_value(json_object_get(l->config, "architecture"));
  if (arch && strcmp(arch, host_arch()) != 0)
    log_warn("image %s is for %s; this machine is %s", l->source, arch, host_arch());
  const json_t *diffs = json_object_get(json_object_get(l->config, "rootfs"), "diff_ids");
  if (json_array_size(diffs) != l->n_layers)
    return husk_error_set(err, EINVAL,
                          "image %s: config %s lists %zu rootfs.diff_ids for %zu layers", l->source,
                          l->config_digest, json_array_size(diffs), l->n_layers);
  const char *parent = NULL;
  for (size_t i = 0; i < l->n_layers; i++) {
    const char *d = json_string_value(json_array_get(diffs, i));
    if (!digest_valid(d))
      return husk_error_set(err, EINVAL,
                            "image %s: config %s: rootfs.diff_ids[%zu] is not a "
                            "sha256 digest",
                            l->source, l->config_digest, i);
    snprintf(l->layers[i].diff_id, DIGEST_TEXT_SIZE, "%s", d);
    digest_chain(parent, d, l->layers[i].chain_id);
    parent = l->layers[i].chain_id;
  }
  return 0;
}

static int unpack_layers(struct load *l, struct husk_error **err) {
  for (size_t i = 0; i < l->n_layers; i++) {
    struct load_layer *y = &l->layers[i];
    y->lock = store_lock(l->store, digest_hex(y->chain_id), err);
    if (y->lock < 0)
      return y->lock;
    _cleanup_free_ char *final = store_layer_path(l->store, y->chain_id);
    struct stat st;
    if (stat(final, &st) == 0) {
      log_debug("image %s: layer %s is in the store already", l->source, y->chain_id);
      continue;
    }
    int r = store_tmp_dir(l->store, "layer", &y->tmp, err);
    if (r < 0)
      return r;
    _cleanup_close_ int fd = open_source_file(l, y->path, err);
    if (fd < 0)
      return husk_error_wrap(err, "layer %s", y->blob_digest ? y->blob_digest : y->path);
    struct layer_source src = {.fd = fd,
                               .name = y->blob_digest ? y->blob_digest : y->path,
                               .blob_digest = y->blob_digest,
                               .diff_id = y->diff_id};
    TRACE(0, "unpack a layer into a temporary directory of the store", "layer %s -> %s", src.name,
          y->tmp);
    r = layer_unpack(&src, y->tmp, &y->size, err);
    if (r < 0)
      return husk_error_wrap(err, "image %s", l->source);
  }
  return 0;
}

/* The size of a layer the store had already, from a record of an image that has it, else (a
 * layer a killed load left complete) counted. */
static uint64_t known_layer_size(struct image_store *s, const char *chain_id) {
  _cleanup_json_ json_t *images = store_images(s);
  size_t i, j;
  json_t *rec, *y;
  json_array_foreach(images, i, rec) json_array_foreach(json_object_get(rec, "layers"), j, y) {
    const char *c = json_string_value(json_object_get(y, "chainId"));
    if (c && strcmp(c, chain_id) == 0)
      return (uint64_t)json_integer_value(json_object_get(y, "size"));
  }
  _cleanup_free_ char *path = store_layer_path(s, chain_id);
  return tree_size(path);
}

/* Everything checked out: layers into place, then the blobs, then the record and names. */
static int commit(struct load *l, struct husk_error **err) {
  uint64_t total = 0;
  json_t *layers = json_array();
  _cleanup_json_ json_t *record = json_object();
  json_object_set_new(record, "layers", layers);
  for (size_t i = 0; i < l->n_layers; i++) {
    struct load_layer *y = &l->layers[i];
    _cleanup_free_ char *final = store_layer_path(l->store, y->chain_id);
    if (y->tmp) {
      /* Another load made it meanwhile (its lock file was one a failed load removed): that
       * copy is as good as this one. */
      if (rename(y->tmp, final) < 0 && errno != ENOTEMPTY && errno != EEXIST)
        return husk_error_sys(err, "image %s: move layer %s into the store", l->source,
                              y->chain_id);
      remove_dir_tree(y->tmp, NULL);
      free(TAKE_PTR(y->tmp));
    } else {
      y->size = known_layer_size(l->store, y->chain_id);
    }
    total += y->size;
    json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "chainId", y->chain_id, "diffId",
                                            y->diff_id, "size", (json_int_t)y->size));
  }
  int r = store_put_blob(l->store, l->config_digest, l->config_text, strlen(l->config_text), err);
  if (r >= 0 && l->manifest_text)
    r = store_put_blob(l->store, l->manifest_digest, l->manifest_text, strlen(l->manifest_text),
                       err);
  if (r < 0)
    return husk_error_wrap(err, "image %s", l->source);
  _cleanup_free_ char *now = now_rfc3339();
  const char *created = json_string_value(json_object_get(l->config, "created"));
  json_object_set_new(record, "id", json_string(l->config_digest));
  json_object_set_new(record, "manifest",
                      l->manifest_text ? json_string(l->manifest_digest) : json_null());
  json_object_set_new(record, "created", json_string(created ? created : ""));
  json_object_set_new(record, "loaded", json_string(now));
  json_object_set_new(record, "size", json_integer((json_int_t)total));
  return store_add_image(l->store, record, l->names, l->n_names, err);
}

/* SOURCE split into its kind, path and tag. A path that exists is taken whole; otherwise
 * what follows its last ':' is the tag. */
static int parse_source(struct load *l, const char *source, enum source_kind *kind, char **ret_path,
                        struct husk_error **err) {
  const char *rest = source;
  *kind = SOURCE_ANY;
  for (size_t i = 0; i < ARRAY_SIZE(transports); i++)
    if (str_has_prefix(source, transports[i].prefix)) {
      *kind = transports[i].kind;
      rest = source + strlen(transports[i].prefix);
    }
  _cleanup_free_ char *path = xstrdup(rest);
  struct stat st;
  if (stat(path, &st) < 0 && *kind != SOURCE_ANY) {
    char *colon = strchr(path, ':');
    if (colon) {
      *colon = '\0';
      l->tag = xstrdup(colon + 1);
    }
  }
  if (stat(path, &st) < 0)
    return husk_error_sys(err, "image %s", source);
  if (*kind == SOURCE_ANY && S_ISDIR(st.st_mode))
    *kind = SOURCE_OCI_DIR;
  if ((*kind == SOURCE_OCI_DIR) != S_ISDIR(st.st_mode))
    return husk_error_set(err, EINVAL, "image %s: %s is %s", source, path,
                          S_ISDIR(st.st_mode) ? "a directory, not an archive"
                                              : "not a directory (an OCI layout)");
  _cleanup_free_ char *copy = xstrdup(path);
  size_t n = strlen(copy);
  while (n > 1 && copy[n - 1] == '/')
    copy[--n] = '\0';
  const char *base = strrchr(copy, '/');
  base = base ? base + 1 : copy;
  l->base_name = xstrdup(base);
  char *dot = strstr(l->base_name, ".tar");
  if (dot && dot != l->base_name)
    *dot = '\0';
  for (char *p = l->base_name; *p; p++)
    *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  *ret_path = TAKE_PTR(path);
  return 0;
}

int image_load(struct image_store *s, const char *source, struct image_loaded *ret,
               struct husk_error **err) {
  struct load l = {.store = s, .source = source, .dir_fd = -1};
  _cleanup_close_ int use = store_use(s, false, err);
  if (use < 0)
    return use;
  store_clean_tmp(s);
  enum source_kind kind;
  _cleanup_free_ char *path = NULL;
  int r = parse_source(&l, source, &kind, &path, err);
  if (r >= 0 && kind != SOURCE_OCI_DIR) {
    r = store_tmp_dir(s, "source", &l.unpacked, err);
    if (r >= 0)
      r = archive_unpack_file(path, l.unpacked, err);
    if (r >= 0)
      l.dir = xstrdup(l.unpacked);
    if (r < 0)
      husk_error_wrap(err, "image %s", source);
  } else if (r >= 0) {
    l.dir = xstrdup(path);
  }
  if (r >= 0 && (l.dir_fd = open(l.dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    r = husk_error_sys(err, "image %s", source);
  if (r >= 0) {
    bool docker = faccessat(l.dir_fd, "manifest.json", F_OK, 0) == 0;
    bool oci = faccessat(l.dir_fd, "index.json", F_OK, 0) == 0;
    /* What `docker save` writes since Docker 25 is both: its manifest.json has the names. */
    if (kind == SOURCE_OCI_DIR || kind == SOURCE_OCI_ARCHIVE)
      docker = docker && !oci;
    if (!docker && !oci)
      r = husk_error_set(err, EINVAL,
                         "image %s: neither an OCI layout (index.json) nor a docker archive "
                         "(manifest.json)",
                         source);
    else
      r = docker ? read_docker_archive(&l, err) : read_oci_layout(&l, err);
  }
  if (r >= 0)
    r = check_config(&l, err);
  if (r >= 0)
    r = unpack_layers(&l, err);
  if (r >= 0)
    r = commit(&l, err);
  if (r >= 0) {
    memcpy(ret->id, l.config_digest, sizeof(ret->id));
    ret->names = xcalloc(l.n_names + 1, sizeof(char *));
    for (size_t i = 0; i < l.n_names; i++)
      ret->names[i] = xstrdup(l.names[i]);
  }
  load_release(&l, r < 0);
  return r < 0 ? r : 0;
}
