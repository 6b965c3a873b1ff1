/* volume.c: `husk volume ls [-q] | create NAME | rm NAME...`: the named volumes of the image
 * store (image/volume.h) that run's -v NAME:DST and --mount type=volume make and keep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "image/store.h"
#include "image/volume.h"

#define VOLUME_USAGE "volume ls [-q] | volume create NAME | volume rm NAME..."

static const char *volume_storage(const struct global_options *g) {
  return g->storage ? g->storage : store_default_root();
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
      if (volume_remove(storage, argv[i], &e) < 0) {
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
  return husk_error_set(err, EINVAL, "volume: expected ls, create or rm (usage: husk %s)",
                        VOLUME_USAGE);
}
