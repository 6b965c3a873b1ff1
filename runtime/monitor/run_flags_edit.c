/* run_flags_edit.c: the edit of config.json that run's flags make (run_flags_edit): mounts
 * resolved (named volumes made and filled, -v's host directories made) and appended or put in
 * place of the config's at the same destination, /dev/shm's size, rlimits, capabilities as
 * docker tweaks them, a Docker-format seccomp profile. */
#include "run_flags_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>

#include "base/error.h"
#include "base/utils.h"
#include "container/container.h"
#include "image/volume.h"
#include "seccomp/seccomp.h"
#include "spec/annotations.h"

static bool list_has(const json_t *list, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    if (strcmp(json_string_value(v), s) == 0)
      return true;
  }
  return false;
}

static json_t *all_capabilities(void) {
  json_t *all = json_array();
  for (int v = 0; v < (int)cap_max_bits() && v < 64; v++) {
    char *lower = cap_to_name(v);
    if (!lower)
      continue;
    _cleanup_free_ char *upper = xstrdup(lower);
    cap_free(lower);
    for (char *p = upper; *p; p++)
      *p = (char)toupper((unsigned char)*p);
    if (str_has_prefix(upper, "CAP_"))
      json_array_append_new(all, json_string(upper));
  }
  return all;
}

json_t *capabilities_tweak(const json_t *base, const json_t *add, const json_t *drop) {
  json_t *caps = json_array();
  size_t i;
  json_t *v;
  if (list_has(add, "ALL")) {
    _cleanup_json_ json_t *all = all_capabilities();
    json_array_foreach(all, i, v) {
      if (!list_has(drop, json_string_value(v)))
        json_array_append(caps, v);
    }
    return caps;
  }
  if (!list_has(drop, "ALL"))
    json_array_foreach(base, i, v) {
      if (json_is_string(v) && !list_has(drop, json_string_value(v)) &&
          !list_has(caps, json_string_value(v)))
        json_array_append(caps, v);
    }
  json_array_foreach(add, i, v) {
    if (!list_has(caps, json_string_value(v)))
      json_array_append(caps, v);
  }
  return caps;
}

/* One mount of ours as container_create takes it: a volume made (and filled) in the store, a
 * bind's host directory checked or made. The internal keys go. */
static int resolve_mount(json_t *m, const struct config_edit_ctx *ctx, struct husk_error **err) {
  const char *type = json_string_value(json_object_get(m, "type"));
  const char *source = json_string_value(json_object_get(m, "source"));
  const char *dst = json_string_value(json_object_get(m, "destination"));
  if (strcmp(type, "volume") == 0) {
    const char *name = source;
    bool nocopy = json_is_true(json_object_get(m, "husk.nocopy"));
    _cleanup_free_ char *path = NULL;
    int r = volume_prepare(ctx->storage, name, ctx->image, ctx->rootfs, dst, nocopy, &path, err);
    if (r < 0)
      return r;
    json_object_set_new(m, "type", json_string("bind"));
    json_object_set_new(m, "source", json_string(path));
  } else if (strcmp(type, "bind") == 0) {
    struct stat st;
    bool mkdir_it = json_is_true(json_object_get(m, "husk.mkdir"));
    if (stat(source, &st) < 0 && errno == ENOENT && mkdir_it) {
      /* docker's -v makes a missing host directory; --mount does not */
      int r = mkdir_p(source, 0755, err);
      if (r < 0)
        return husk_error_wrap(err, "--volume %s", source);
    } else if (stat(source, &st) < 0) {
      return husk_error_set(err, ENOENT,
                            "invalid mount config for type \"bind\": bind source path does not "
                            "exist: %s",
                            source);
    }
  }
  json_object_del(m, "husk.mkdir");
  json_object_del(m, "husk.nocopy");
  return 0;
}

/* Our mounts replace the config's at the same destination (docker's mounts over its
 * defaults), else they come after them. */
/* The volumes' _data directories in the annotation husk volume rm reads. */
static void record_volume(json_t *doc, const char *data) {
  json_t *ann = run_flags_member(doc, "annotations");
  const char *have = json_string_value(json_object_get(ann, VOLUMES_ANNOTATION));
  _cleanup_free_ char *list = have && *have ? xasprintf("%s,%s", have, data) : xstrdup(data);
  json_object_set_new(ann, VOLUMES_ANNOTATION, json_string(list));
}

static int edit_mounts(json_t *doc, const struct run_flags *f, const struct config_edit_ctx *ctx,
                       struct husk_error **err) {
  json_t *mounts = json_object_get(doc, "mounts");
  if (!json_is_array(mounts)) {
    mounts = json_array();
    json_object_set_new(doc, "mounts", mounts);
  }
  size_t i;
  json_t *ours;
  json_array_foreach(f->mounts, i, ours) {
    _cleanup_json_ json_t *m = json_deep_copy(ours);
    bool volume = strcmp(json_string_value(json_object_get(m, "type")), "volume") == 0;
    int r = resolve_mount(m, ctx, err);
    if (r < 0)
      return r;
    if (volume)
      record_volume(doc, json_string_value(json_object_get(m, "source")));
    const char *dst = json_string_value(json_object_get(m, "destination"));
    for (size_t j = json_array_size(mounts); j-- > 0;) {
      const char *have =
          json_string_value(json_object_get(json_array_get(mounts, j), "destination"));
      _cleanup_free_ char *clean = have ? run_flags_clean_path(have) : NULL;
      if (clean && strcmp(clean, dst) == 0)
        json_array_remove(mounts, j);
    }
    json_array_append(mounts, m);
  }
  return 0;
}

/* --shm-size: the size= of the /dev/shm mount (docker's is a tmpfs of 64m by default); one
 * is added when the config has none. */
static void edit_shm(json_t *doc, int64_t size) {
  json_t *mounts = json_object_get(doc, "mounts");
  if (!json_is_array(mounts)) {
    mounts = json_array();
    json_object_set_new(doc, "mounts", mounts);
  }
  _cleanup_free_ char *opt = xasprintf("size=%lld", (long long)size);
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *dst = json_string_value(json_object_get(m, "destination"));
    const char *type = json_string_value(json_object_get(m, "type"));
    if (!dst || strcmp(dst, "/dev/shm") != 0 || !type || strcmp(type, "tmpfs") != 0)
      continue;
    json_t *opts = json_object_get(m, "options");
    if (!json_is_array(opts)) {
      opts = json_array();
      json_object_set_new(m, "options", opts);
    }
    for (size_t j = json_array_size(opts); j-- > 0;)
      if (str_has_prefix(json_string_value(json_array_get(opts, j)) ?: "", "size="))
        json_array_remove(opts, j);
    json_array_append_new(opts, json_string(opt));
    return;
  }
  json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s]}", "destination",
                                          "/dev/shm", "type", "tmpfs", "source", "shm", "options",
                                          "nosuid", "noexec", "nodev", "mode=1777", opt));
}

/* --cap-add/--cap-drop over process.capabilities: the bounding set tweaked as docker tweaks
 * its defaults, effective and permitted too unless they are empty (a non-root user keeps
 * none, as with docker); drops leave the inheritable and ambient sets as well. */
static void edit_capabilities(json_t *doc, const struct run_flags *f) {
  json_t *process = run_flags_member(doc, "process");
  json_t *caps = run_flags_member(process, "capabilities");
  static const char *const tweaked[] = {"bounding", "effective", "permitted"};
  for (size_t i = 0; i < ARRAY_SIZE(tweaked); i++) {
    json_t *set = json_object_get(caps, tweaked[i]);
    if (i > 0 && json_array_size(set) == 0)
      continue;
    json_object_set_new(caps, tweaked[i], capabilities_tweak(set, f->cap_add, f->cap_drop));
  }
  static const char *const dropped[] = {"inheritable", "ambient"};
  _cleanup_json_ json_t *none = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(dropped); i++) {
    json_t *set = json_object_get(caps, dropped[i]);
    if (json_array_size(set))
      json_object_set_new(caps, dropped[i], capabilities_tweak(set, none, f->cap_drop));
  }
}

static void edit_rlimits(json_t *doc, const json_t *ours) {
  json_t *process = run_flags_member(doc, "process");
  json_t *list = json_object_get(process, "rlimits");
  if (!json_is_array(list)) {
    list = json_array();
    json_object_set_new(process, "rlimits", list);
  }
  size_t i;
  json_t *rl;
  json_array_foreach(ours, i, rl) {
    const char *type = json_string_value(json_object_get(rl, "type"));
    for (size_t j = json_array_size(list); j-- > 0;) {
      const char *have = json_string_value(json_object_get(json_array_get(list, j), "type"));
      if (have && strcmp(have, type) == 0)
        json_array_remove(list, j);
    }
    json_array_append(list, rl);
  }
}

static int edit_seccomp(json_t *doc, const struct run_flags *f, struct husk_error **err) {
  json_t *lx = run_flags_member(doc, "linux");
  if (f->seccomp_unconfined) {
    json_object_del(lx, "seccomp");
    return 0;
  }
  const json_t *caps = json_object_get(
      json_object_get(json_object_get(doc, "process"), "capabilities"), "effective");
  json_t *oci = NULL;
  int r = seccomp_from_docker(f->seccomp_profile, caps, &oci, err);
  if (r < 0)
    return husk_error_wrap(err, "--security-opt seccomp");
  json_object_set_new(lx, "seccomp", oci);
  return 0;
}

int run_flags_edit(json_t *doc, const struct config_edit_ctx *ctx, const void *arg,
                   struct husk_error **err) {
  const struct run_flags *f = arg;
  int r = 0;
  if (f->mounts)
    r = edit_mounts(doc, f, ctx, err);
  if (r >= 0 && f->shm_size)
    edit_shm(doc, f->shm_size);
  if (r >= 0 && (f->cap_add || f->cap_drop))
    edit_capabilities(doc, f);
  if (r >= 0 && f->rlimits)
    edit_rlimits(doc, f->rlimits);
  if (r >= 0 && (f->seccomp_unconfined || f->seccomp_profile))
    r = edit_seccomp(doc, f, err);
  return r;
}
