/* load.h: images into the store from what docker, podman and skopeo write: a docker-archive
 * (`docker save`: manifest.json, legacy or with an OCI layout beside it), an OCI image layout
 * directory, or an oci-archive (that layout as a tar). Every blob is checked against its
 * digest, every layer against its diff_id; a multi-platform index gives the host's platform. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

struct husk_error;
struct image_store;

/* SOURCE: "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]", "docker-archive:FILE[:TAG]", or a
 * directory (an OCI layout) or a file (either archive, told apart by what it holds). */
bool image_source_has_transport(const char *source);

struct image_loaded {
  char id[DIGEST_TEXT_SIZE];
  char **names; /* NULL-terminated; REPOSITORY:TAG */
};
void image_loaded_clear(struct image_loaded *l);

int image_load(struct image_store *s, const char *source, struct image_loaded *ret,
               struct husk_error **err);
