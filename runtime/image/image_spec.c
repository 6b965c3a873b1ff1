/* image_spec.c: the image config as the container's process (Docker's rules, moby's
 * daemon/oci_linux.go and container/container.go). */
#include "image_spec.h"

#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "process/user.h"
#include "spec/annotations.h"
#include "store.h"

static const char *const docker_capabilities[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

static json_t *capability_list(void) {
  json_t *a = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(docker_capabilities); i++)
    json_array_append_new(a, json_string(docker_capabilities[i]));
  return a;
}

static const json_t *image_section(const struct image *img) {
  return json_object_get(img->config, "config");
}

const json_t *image_volumes(const struct image *img) {
  const json_t *v = json_object_get(image_section(img), "Volumes");
  return json_is_object(v) && json_object_size(v) ? v : NULL;
}

/* Entrypoint + Cmd, as docker: arguments after the image replace Cmd; --entrypoint replaces
 * the entrypoint and drops the image's Cmd. */
static json_t *process_args(const json_t *c, const struct image_overrides *o) {
  json_t *args = json_array();
  if (o->entrypoint_set) {
    if (o->entrypoint && *o->entrypoint)
      json_array_append_new(args, json_string(o->entrypoint));
  } else if (json_is_array(json_object_get(c, "Entrypoint"))) {
    json_array_extend(args, json_object_get(c, "Entrypoint"));
  }
  if (o->n_args) {
    for (size_t i = 0; i < o->n_args; i++)
      json_array_append_new(args, json_string(o->args[i]));
  } else if (!o->entrypoint_set && json_is_array(json_object_get(c, "Cmd"))) {
    json_array_extend(args, json_object_get(c, "Cmd"));
  }
  return args;
}

static json_t *process_env(const json_t *c) {
  json_t *env = json_array();
  bool path = false;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(c, "Env"), i, e) {
    if (!json_is_string(e))
      continue;
    path = path || str_has_prefix(json_string_value(e), "PATH=");
    json_array_append(env, e);
  }
  if (!path)
    json_array_insert_new(env, 0, json_string(IMAGE_DEFAULT_PATH));
  return env;
}

static FILE *open_image_file(void *arg, const char *path) { return image_open_file(arg, path); }

int image_resolve_user(const struct image *img, const char *text, json_t **ret,
                       struct husk_error **err) {
  return user_resolve_with(open_image_file, (void *)img, text, ret, err);
}

int image_spec_apply(json_t *doc, const struct image *img, const struct image_overrides *o,
                     struct husk_error **err) {
  const json_t *c = image_section(img);
  json_t *process = json_object_get(doc, "process");
  json_t *args = process_args(c, o);
  if (json_array_size(args) == 0) {
    json_decref(args);
    return husk_error_set(err, EINVAL,
                          "image %.19s has neither Entrypoint nor Cmd: give the command after "
                          "the image",
                          img->id);
  }
  json_object_set_new(process, "args", args);
  json_object_set_new(process, "env", process_env(c));
  json_object_set_new(process, "terminal", json_false());
  json_object_set_new(process, "noNewPrivileges", json_false());
  const char *wd = json_string_value(json_object_get(c, "WorkingDir"));
  _cleanup_free_ char *cwd = !wd || !*wd    ? xstrdup("/")
                             : wd[0] == '/' ? xstrdup(wd)
                                            : xasprintf("/%s", wd);
  json_object_set_new(process, "cwd", json_string(cwd));
  json_t *caps = json_object();
  static const char *const sets[] = {"bounding", "effective", "permitted"};
  for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
    json_object_set_new(caps, sets[i], capability_list());
  json_object_set_new(process, "capabilities", caps);
  const char *user = json_string_value(json_object_get(c, "User"));
  if (!o->user_set && user && *user) {
    json_t *u = NULL;
    int r = image_resolve_user(img, user, &u, err);
    if (r < 0)
      return husk_error_wrap(err, "the image's User");
    /* As docker: a user other than root keeps capabilities in its bounding set only. */
    if (json_integer_value(json_object_get(u, "uid")) != 0) {
      json_object_set_new(caps, "effective", json_array());
      json_object_set_new(caps, "permitted", json_array());
    }
    json_object_set_new(process, "user", u);
  }
  json_object_set_new(doc, "root", json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 0));

  json_t *ann = json_object_get(doc, "annotations");
  if (!json_is_object(ann)) {
    ann = json_object();
    json_object_set_new(doc, "annotations", ann);
  }
  const char *key;
  json_t *v;
  /* Labels are the image author's; husk's own annotations are not theirs to set. */
  json_object_foreach(json_object_get(c, "Labels"), key, v) {
    if (json_is_string(v) && !str_has_prefix(key, "io.husk."))
      json_object_set(ann, key, v);
  }
  const char *stop = json_string_value(json_object_get(c, "StopSignal"));
  if (stop && *stop)
    json_object_set_new(ann, STOP_SIGNAL_ANNOTATION, json_string(stop));
  json_t *health = json_object_get(c, "Healthcheck");
  if (json_is_object(health)) {
    _cleanup_free_ char *text = json_dumps(health, JSON_COMPACT);
    json_object_set_new(ann, HEALTH_ANNOTATION, json_string(text));
  }
  json_object_set_new(ann, IMAGE_ANNOTATION, json_string(img->id));
  return 0;
}
