/* volume.h: named volumes in the image store, as docker's local driver keeps them:
 * volumes/<name>/_data, made on first use, filled from the image (or a bundle's rootfs) at the
 * mount point while it is empty, and kept after the container is deleted (husk volume rm). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct husk_error;
struct image;

/* Docker's rule for a local volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool volume_name_valid(const char *name);

/* Make (when missing) the volume name in the store at storage_root; *ret_path gets its _data
 * directory. Unless nocopy, an empty _data is filled with what the image (or, without one,
 * the directory rootfs) has at destination, owner and mode included. */
int volume_prepare(const char *storage_root, const char *name, const struct image *img,
                   const char *rootfs, const char *destination, bool nocopy, char **ret_path,
                   struct husk_error **err);

/* The volumes in the store: [{"Name", "Mountpoint"}], by name (a new array). */
int volume_list(const char *storage_root, json_t **ret, struct husk_error **err);
/* Remove a volume with what it holds; ENOENT "no such volume" when there is none. */
int volume_remove(const char *storage_root, const char *name, struct husk_error **err);
