/* volume.c: `husk volume ls [-q] | create NAME | rm NAME... | prune [-a]`: the named volumes
 * of the image store (image/volume.h) that run's -v NAME:DST and --mount type=volume make and
 * keep. A volume a container under --root mounts (its io.husk.volumes annotation) stays. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/state.h"
#include "image/store.h"
#include "image/volume.h"
#include "spec/annotations.h"

#define VOLUME_USAGE "volume ls [-q] | volume create NAME | volume rm NAME... | volume prune [-a]"

static const char *volume_storage(const struct global_options *g) {
  return g->storage ? g->storage : store_default_root();
}

/* Whether list (a ","-joined annotation value) names data. */
static bool list_names(const char *list, const char *data) {
  size_t n = strlen(data);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, data, n) == 0)
      return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

/* The ids of the containers under root that mount the volume whose _data is data, as docker
 * lists them: "[a, b]"; NULL when none does. */
static char *volume_users(const char *root, const char *data) {
  DIR *d = opendir(root);
  if (!d)
    return NULL;
  char *ids = NULL;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || state_check_id(de->d_name, NULL) < 0)
      continue;
    _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    _cleanup_state_ struct container_state *st = NULL;
    if (fd < 0 || state_read(fd, &st, NULL) < 0)
      continue;
    const char *list = json_string_value(json_object_get(st->annotations, VOLUMES_ANNOTATION));
    if (!list_names(list, data))
      continue;
    char *more = ids ? xasprintf("%s, %s", ids, de->d_name) : xstrdup(de->d_name);
    free(ids);
    ids = more;
  }
  closedir(d);
  return ids;
}

/* Remove one volume unless a container uses it (docker's "volume is in use"). */
static int remove_unused(const struct global_options *g, const char *storage, const char *name,
                         struct husk_error **err) {
  _cleanup_store_ struct image_store *s = NULL;
  int r = store_open(storage, &s, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *data = xasprintf("%s/volumes/%s/_data", s->root, name);
  _cleanup_free_ char *users = volume_users(g->root, data);
  if (users)
    return husk_error_set(err, EBUSY, "remove %s: volume is in use - [%s]", name, users);
  return volume_remove(storage, name, err);
}

/* prune: the volumes no container uses; without -a only anonymous ones (64 hex digits), as
 * docker prune has it since 23.0. */
static int volume_prune(const struct global_options *g, const char *storage, bool all,
                        struct husk_error **err) {
  _cleanup_json_ json_t *list = NULL;
  int r = volume_list(storage, &list, err);
  if (r < 0)
    return r;
  printf("Deleted Volumes:\n");
  uint64_t freed = 0;
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    const char *name = json_string_value(json_object_get(v, "Name"));
    bool anonymous = strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64;
    if (!all && !anonymous)
      continue;
    uint64_t size = tree_size(json_string_value(json_object_get(v, "Mountpoint")));
    if (remove_unused(g, storage, name, NULL) == 0) {
      printf("%s\n", name);
      freed += size;
    }
  }
  printf("\nTotal reclaimed space: %llu B\n", (unsigned long long)freed);
  return 0;
}

static int volume_ls(const char *storage, bool quiet, struct husk_error **err) {
  _cleanup_json_ json_t *list = NULL;
  int r = volume_list(storage, &list, err);
  if (r < 0)
    return r;
  if (!quiet)
    printf("%-8s %s\n", "DRIVER", "VOLUME NAME");
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    const char *name = json_string_value(json_object_get(v, "Name"));
    if (quiet)
      printf("%s\n", name);
    else
      printf("%-8s %s\n", "local", name);
  }
  return 0;
}

int cmd_volume(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  const char *sub = argc > 1 ? argv[1] : NULL;
  const char *storage = volume_storage(g);
  if (sub && (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)) {
    bool quiet = argc == 3 && (strcmp(argv[2], "-q") == 0 || strcmp(argv[2], "--quiet") == 0);
    if (argc > 3 || (argc == 3 && !quiet))
      return husk_error_set(err, EINVAL, "volume ls: unexpected \"%s\" (usage: husk %s)", argv[2],
                            VOLUME_USAGE);
    return volume_ls(storage, quiet, err);
  }
  if (sub && strcmp(sub, "create") == 0) {
    if (argc != 3)
      return husk_error_set(err, EINVAL, "volume create: one name (usage: husk %s)", VOLUME_USAGE);
    _cleanup_free_ char *path = NULL;
    int r = volume_prepare(storage, argv[2], NULL, NULL, "/", true, &path, err);
    if (r < 0)
      return r;
    printf("%s\n", argv[2]);
    return 0;
  }
  if (sub && (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)) {
    if (argc < 3)
      return husk_error_set(err, EINVAL, "volume rm: a name is needed (usage: husk %s)",
                            VOLUME_USAGE);
    int status = 0;
    for (int i = 2; i < argc; i++) {
      _cleanup_error_ struct husk_error *e = NULL;
      if (remove_unused(g, storage, argv[i], &e) < 0) {
        if (*err) /* each one said in order; the last is main's to print */
          fprintf(stderr, "husk: %s\n", (*err)->message);
        husk_error_freep(err);
        *err = TAKE_PTR(e);
        status = -ENOENT;
        continue;
      }
      printf("%s\n", argv[i]);
    }
    return status;
  }
  if (sub && strcmp(sub, "prune") == 0) {
    bool all = argc == 3 && (strcmp(argv[2], "-a") == 0 || strcmp(argv[2], "--all") == 0);
    if (argc > 3 || (argc == 3 && !all))
      return husk_error_set(err, EINVAL, "volume prune: unexpected \"%s\" (usage: husk %s)",
                            argv[2], VOLUME_USAGE);
    return volume_prune(g, storage, all, err);
  }
  return husk_error_set(err, EINVAL, "volume: expected ls, create, rm or prune (usage: husk %s)",
                        VOLUME_USAGE);
}
