/* image_fixture.h: OCI images built offline for the image suite. Layer tars are written with
 * libarchive (pax, uncompressed, gzip or zstd) from a list of entries (directories, files with
 * their mode, owner and mtime, symlinks, hardlinks, whiteouts, opaque markers and raw names a
 * hostile archive would carry); their digests and diff_ids are taken with nettle's sha256.
 * An image (config JSON, layers) is written as an OCI image layout (oci-layout, index.json with
 * the ref name annotation, blobs/sha256/), which can be tarred into an oci-archive, turned into
 * a newer-Docker archive (manifest.json next to index.json), or converted with skopeo. Blobs
 * can be corrupted afterwards. Failures end the test (ck_assert). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum fx_compression { FX_NONE, FX_GZIP, FX_ZSTD };

/* The mtime entries get unless given one: 2024-05-01T12:00:00Z. */
#define FX_MTIME 1714564800LL

/* ---- layers ---- */

struct fx_layer;
struct fx_layer *fx_layer_new(enum fx_compression compression);
/* Entries, in archive order; path is relative to the layer's root ("etc/passwd"); a leading
 * "/" is dropped (use fx_layer_raw to write a name as it is). */
void fx_layer_dir(struct fx_layer *l, const char *path, unsigned mode, unsigned uid, unsigned gid);
void fx_layer_file(struct fx_layer *l, const char *path, const void *data, size_t len,
                   unsigned mode, unsigned uid, unsigned gid, long long mtime);
/* A root-owned file holding text. */
void fx_layer_text(struct fx_layer *l, const char *path, const char *text, unsigned mode);
/* A root-owned file of size random (incompressible) bytes. */
void fx_layer_random(struct fx_layer *l, const char *path, size_t size);
void fx_layer_symlink(struct fx_layer *l, const char *path, const char *target);
/* path becomes a hardlink to target (a path in the layer, written before it). */
void fx_layer_hardlink(struct fx_layer *l, const char *path, const char *target);
/* "a/b" deletes b of the layers below: the entry a/.wh.b */
void fx_layer_whiteout(struct fx_layer *l, const char *path);
/* dir/.wh..wh..opq: dir hides what the layers below hold in it */
void fx_layer_opaque(struct fx_layer *l, const char *dir);
/* An entry named exactly name ("../x", "/abs"): a regular file holding text, or, with
 * symlink_target, a symlink. */
void fx_layer_raw(struct fx_layer *l, const char *name, const char *text,
                  const char *symlink_target);
/* The busybox rootfs: /bin/busybox (the host's, static) and applet symlinks in /bin, /etc/passwd
 * (root, appuser 1000:1000 home /home/appuser, nobody), /etc/group (appuser 1000, staff 50 with
 * appuser as a member), /tmp 1777, /home/appuser (1000:1000), /root, /proc, /sys, /dev. */
void fx_layer_busybox(struct fx_layer *l);
/* The compressed blob is cut to keep bytes before its digest is taken (a truncated gzip whose
 * digest and size in the manifest match what is there). */
void fx_layer_truncate(struct fx_layer *l, size_t keep);

/* ---- images ---- */

struct fx_image;
/* config: architecture amd64, os linux, created FX_MTIME, an empty "config" object. */
struct fx_image *fx_image_new(void);
void fx_image_free(struct fx_image *img);
static inline void fx_image_freep(struct fx_image **p) {
  if (*p)
    fx_image_free(*p);
}
#define _fx_image_ __attribute__((cleanup(fx_image_freep)))

/* Build l's blobs (tar, compressed) and append it; l is freed. */
void fx_image_add_layer(struct fx_image *img, struct fx_layer *l);
/* A one-layer busybox image (fx_layer_busybox, gzip). */
struct fx_image *fx_image_busybox(void);
/* The image config's "config" object (Entrypoint, Cmd, Env, User, ...): borrowed, edit it
 * before the image is written. */
json_t *fx_image_config(struct fx_image *img);
/* The whole config document (architecture, os, created, config, rootfs): borrowed. */
json_t *fx_image_config_doc(struct fx_image *img);
/* The config blob as written (compact, sorted keys): malloc'd. */
char *fx_image_config_blob(struct fx_image *img);
/* The image id: the sha256 hex of the config blob as it is now (malloc'd). */
char *fx_image_id(struct fx_image *img);
size_t fx_image_n_layers(const struct fx_image *img);
/* Hex digests of layer i: of its blob, of its uncompressed tar (diff_id), its chain id. */
const char *fx_image_layer_digest(const struct fx_image *img, size_t i);
const char *fx_image_diff_id(const struct fx_image *img, size_t i);
char *fx_image_chain_id(const struct fx_image *img, size_t i);
/* Size in bytes of layer i's blob. */
size_t fx_image_layer_size(const struct fx_image *img, size_t i);

/* ---- layouts and archives ---- */

/* Write img into the OCI layout dir (made when missing, oci-layout and blobs/sha256/ in it) and
 * add its manifest to index.json, with org.opencontainers.image.ref.name = ref_name unless
 * NULL. Writing several images into one layout makes an index of several manifests. */
void fx_layout_write(struct fx_image *img, const char *dir, const char *ref_name);
/* Add manifest.json (Docker >= 25's `docker save`: Config and Layers as "blobs/sha256/<hex>",
 * RepoTags) for img, already written into the layout dir. repo_tag NULL: no RepoTags. */
void fx_docker_manifest_write(struct fx_image *img, const char *dir, const char *repo_tag);
/* Tar the contents of dir into file (member names relative to dir, no "./"): an oci-archive of
 * a layout. */
void fx_tar_dir(const char *dir, const char *file);
/* skopeo copy --insecure-policy src dst (e.g. "oci:DIR:TAG", "docker-archive:FILE:NAME:TAG"). */
void fx_skopeo(const char *src, const char *dst);
/* blobs/sha256/<hex> of a layout. */
char *fx_blob_path(const char *layout, const char *hex);
/* Overwrite, in place, the first occurrence of find in the blob with replace (same length):
 * its content no longer matches its digest, its size still does. */
void fx_blob_patch(const char *layout, const char *hex, const char *find, const char *replace);

/* ---- small helpers ---- */

/* sha256 hex (64 chars + NUL) of data. */
void fx_sha256_hex(const void *data, size_t len, char out[65]);
/* The contents of a tar archive (any compression): member name -> its text (regular files) or
 * null; for reading what skopeo wrote. */
json_t *fx_tar_members(const char *file);
