/* image_spec.h: an image config made into the config.json husk runs, with Docker's rules:
 * Entrypoint + Cmd (arguments replace Cmd, --entrypoint the entrypoint), Env (a default PATH
 * when it has none), User resolved in the image's own /etc/passwd and /etc/group, WorkingDir,
 * StopSignal, Healthcheck and Labels as annotations, Docker's default capabilities, and the
 * annotation naming the image (spec/annotations.h). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct husk_error;
struct image;

#define IMAGE_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct image_overrides {
  bool entrypoint_set; /* --entrypoint given ("" clears the image's) */
  const char *entrypoint;
  char *const *args; /* what follows the image: replaces Cmd */
  size_t n_args;
  bool user_set; /* -u given: the image's User is not used */
};

/* Change doc (a default config.json) into the image's. */
int image_spec_apply(json_t *doc, const struct image *img, const struct image_overrides *o,
                     struct husk_error **err);

/* process.user for `-u text` (or the image's User) from the image's files. */
int image_resolve_user(const struct image *img, const char *text, json_t **ret,
                       struct husk_error **err);

/* The image config's config.Volumes paths (a borrowed object; NULL when none). */
const json_t *image_volumes(const struct image *img);
