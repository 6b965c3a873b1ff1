/* store.h: the image store (default /var/lib/husk; --storage or HUSK_STORAGE to change):
 *   blobs/sha256/<hex>     manifests and image configs, verified before they are written
 *   layers/<chain hex>/    each layer unpacked once (layer.h)
 *   images/<id hex>.json   an image: its config digest (the id), manifest, layer chain, size
 *   refs.json              names (REPOSITORY:TAG) to image ids
 *   containers/<id>/       a container's own: upper/work of its overlay, its rootfs mount
 *                          point, anonymous volumes, the image it uses
 *   tmp/<pid>.<what>.<n>   work in progress, renamed into place when complete; what a killed
 *                          husk left is removed by the next one that writes to the store
 *   locks/                 flock files: one per layer chain (loads of one image wait for each
 *                          other, of different images not), "refs" for the names */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"

struct husk_error;

struct image_store {
  char *root;
  int fd;
};

/* $HUSK_STORAGE, else /var/lib/husk (as root), else $XDG_DATA_HOME/husk or ~/.local/share/husk. */
const char *store_default_root(void);

/* Open (and make, with its directories) the store at root. */
int store_open(const char *root, struct image_store **ret, struct husk_error **err);
void store_free(struct image_store *s);
static inline void store_freep(struct image_store **s) { store_free(*s); }
#define _cleanup_store_ __attribute__((cleanup(store_freep)))

/* flock(LOCK_EX) on locks/<name>; returns the fd that holds it. */
int store_lock(struct image_store *s, const char *name, struct husk_error **err);
/* The store as a whole: shared by a load (until its record is written) and a create (until
 * its container's directory names the image), exclusive for image rm and prune, which remove
 * what no record names. Returns the fd that holds it. */
int store_use(struct image_store *s, bool exclusive, struct husk_error **err);
/* Bytes in the regular files below path. */
uint64_t tree_size(const char *path);

/* A new directory tmp/<pid>.<what>.<n> (absolute path), and the removal of what dead
 * processes left in tmp/. */
int store_tmp_dir(struct image_store *s, const char *what, char **ret, struct husk_error **err);
void store_clean_tmp(struct image_store *s);

/* blobs/sha256/<hex> */
char *store_blob_path(const struct image_store *s, const char *digest);
int store_put_blob(struct image_store *s, const char *digest, const void *data, size_t len,
                   struct husk_error **err);
char *store_layer_path(const struct image_store *s, const char *chain_id);

/* An image as the store has it. */
struct image {
  char id[DIGEST_TEXT_SIZE]; /* "sha256:<config digest>" */
  json_t *record;            /* images/<hex>.json */
  json_t *config;            /* the image config (its blob, parsed) */
  char **layers;             /* absolute directories, base first */
  size_t n_layers;
};
void image_free(struct image *img);
static inline void image_freep(struct image **i) { image_free(*i); }
#define _cleanup_image_ __attribute__((cleanup(image_freep)))

/* REF: NAME[:TAG] (TAG defaults to latest; "docker.io/library/" and "localhost/" may be left
 * out), the image id "sha256:<hex>", or 12 or more hex digits of it. */
int image_find(struct image_store *s, const char *ref, struct image **ret, struct husk_error **err);
/* ENOENT without an error message when ref names no image. */
int image_find_id(struct image_store *s, const char *ref, char id[DIGEST_TEXT_SIZE],
                  struct husk_error **err);

/* NAME[:TAG] with the tag made explicit (":latest"), as refs.json keys it; NULL when it is not
 * a valid name. */
char *image_name_normalize(const char *name);

/* Record an image (images/<hex>.json) and give it names (each moved off any other image). */
int store_add_image(struct image_store *s, json_t *record, char *const *names, size_t n_names,
                    struct husk_error **err);
int store_tag(struct image_store *s, const char *id, const char *name, struct husk_error **err);

/* The names refs.json gives the image id (a new array). */
json_t *store_image_names(struct image_store *s, const char *id);
/* Every image record (a new array), oldest first. */
json_t *store_images(struct image_store *s);

/* image rm: untag NAME (the image goes with its last name) or remove an id with all its
 * names. Refused while a container uses the image. Prints what it did to stdout. */
int store_remove(struct image_store *s, const char *ref, bool force, struct husk_error **err);
/* image prune: images without names (with all, also named ones) that no container uses, then
 * layers and blobs no image needs. Returns bytes freed. */
int store_prune(struct image_store *s, bool all, uint64_t *ret_freed, struct husk_error **err);

/* The container id using the image, or NULL (a new string). */
char *store_image_user(struct image_store *s, const char *id);

/* containers/<id>: made with upper/, work/, rootfs/, volumes/ and a file naming the image;
 * EEXIST when it is there already. */
char *store_container_path(const struct image_store *s, const char *container_id);
int store_container_make(struct image_store *s, const char *container_id, const char *image_id,
                         struct husk_error **err);

/* A file of the image's merged tree (e.g. "etc/passwd"), as the overlay would show it: from
 * the topmost layer that has it, unless a whiteout or opaque directory above hides it.
 * Opened inside its layer (no symlink leaves it). NULL (errno ENOENT) when there is none. */
FILE *image_open_file(const struct image *img, const char *path);
/* Whether the merged tree has a directory at path. */
bool image_has_dir(const struct image *img, const char *path);
/* Copy what the merged tree has in the directory path into the directory dst (an anonymous
 * volume filled from the image, as docker fills one), with its owner and mode. */
int image_copy_dir(const struct image *img, const char *path, const char *dst,
                   struct husk_error **err);
