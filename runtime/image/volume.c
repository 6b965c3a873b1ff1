/* volume.c: named volumes in the image store (volume.h). */
#include "volume.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "rootfs/rootfs.h"
#include "store.h"

bool volume_name_valid(const char *name) {
  if (!isalnum((unsigned char)name[0]) || !name[1])
    return false;
  for (const char *p = name + 1; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
      return false;
  return true;
}

static bool dir_empty(const char *path) {
  DIR *d = opendir(path);
  if (!d)
    return false;
  struct dirent *e;
  bool empty = true;
  while (empty && (e = readdir(d)))
    empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
  closedir(d);
  return empty;
}

/* A bundle's rootfs at destination (if it has a directory there) copied into data. */
static int fill_from_rootfs(const char *rootfs, const char *destination, const char *data,
                            struct husk_error **err) {
  _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return husk_error_sys(err, "open %s", rootfs);
  _cleanup_close_ int src =
      rootfs_open_in_root(root, destination, O_RDONLY | O_DIRECTORY, false, false, NULL);
  if (src < 0)
    return 0; /* nothing there to copy */
  _cleanup_close_ int dst = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst < 0)
    return husk_error_sys(err, "open %s", data);
  return rootfs_copy_up(src, dst, err);
}

int volume_prepare(const char *storage_root, const char *name, const struct image *img,
                   const char *rootfs, const char *destination, bool nocopy, char **ret_path,
                   struct husk_error **err) {
  if (!volume_name_valid(name))
    return husk_error_set(err, EINVAL,
                          "\"%s\" includes invalid characters for a local volume name, only "
                          "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a "
                          "host directory, use absolute path",
                          name);
  _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", storage_root, name);
  _cleanup_free_ char *data = xasprintf("%s/_data", dir);
  int r = mkdir_p(data, 0755, err);
  if (r < 0)
    return husk_error_wrap(err, "volume %s", name);
  chmod(dir, 0701); /* the service's user reaches _data, nobody lists the volumes */
  if (!nocopy && dir_empty(data)) {
    r = img      ? image_copy_dir(img, destination, data, err)
        : rootfs ? fill_from_rootfs(rootfs, destination, data, err)
                 : 0;
    if (r < 0)
      return husk_error_wrap(err, "volume %s: fill it from %s", name, destination);
  }
  /* as the store names it (realpath), which husk volume rm compares with what containers use */
  char *real = realpath(data, NULL);
  *ret_path = real ? real : TAKE_PTR(data);
  return 0;
}

int volume_list(const char *storage_root, json_t **ret, struct husk_error **err) {
  _cleanup_free_ char *path = xasprintf("%s/volumes", storage_root);
  json_t *list = json_array();
  struct dirent **names = NULL;
  int n = scandir(path, &names, NULL, alphasort);
  if (n < 0 && errno != ENOENT) {
    json_decref(list);
    return husk_error_sys(err, "list %s", path);
  }
  for (int i = 0; i < n; i++) {
    if (volume_name_valid(names[i]->d_name)) {
      _cleanup_free_ char *data = xasprintf("%s/%s/_data", path, names[i]->d_name);
      json_array_append_new(list,
                            json_pack("{s:s, s:s}", "Name", names[i]->d_name, "Mountpoint", data));
    }
    free(names[i]);
  }
  free(names);
  *ret = list;
  return 0;
}

int volume_remove(const char *storage_root, const char *name, struct husk_error **err) {
  _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", storage_root, name);
  struct stat st;
  if (!volume_name_valid(name) || lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
    return husk_error_set(err, ENOENT, "get %s: no such volume", name);
  return remove_dir_tree(dir, err);
}
