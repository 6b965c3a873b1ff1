/* layer.h: one image layer unpacked into a directory with libarchive (tar; gzip, zstd or
 * none), its digests checked on the way, OCI whiteouts turned into overlayfs ones. */
#pragma once

#include <stdint.h>

#include "digest.h"

struct husk_error;

struct layer_source {
  int fd;                  /* the blob, read from its start to its end */
  const char *name;        /* for errors: the blob's digest or its path in the archive */
  const char *blob_digest; /* the compressed blob must have this digest; NULL: not known */
  const char *diff_id;     /* the uncompressed tar must have this digest */
};

/* Unpack src into the directory dir (a new, empty directory), keeping owners, modes, times,
 * xattrs, hardlinks, device nodes and holes. Members named with "..", an absolute path, or a
 * path through a symlink the archive made are refused (the layer is hostile); `.wh.NAME`
 * becomes a 0/0 character device NAME and `.wh..wh..opq` the xattr trusted.overlay.opaque=y
 * on its directory. A digest that does not match is an error naming the blob. ret_size gets
 * the size of the uncompressed tar. On error dir holds a partial tree: the caller removes it. */
int layer_unpack(const struct layer_source *src, const char *dir, uint64_t *ret_size,
                 struct husk_error **err);

/* Unpack a whole archive (a docker-archive or oci-archive file) into dir, for reading its
 * members as files: modes kept, owners and times not, the same refusals. */
int archive_unpack_file(const char *path, const char *dir, struct husk_error **err);
