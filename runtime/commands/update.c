/* update.c: `husk update [-r|--resources FILE|-] [--memory N] ... ID`: change the cgroup limits
 * of a container. The flags (runc's) are merged into the --resources object, winning over it
 * as with runc, and the result is parsed as linux.resources, so every value is checked as it
 * is in config.json before anything is written. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cgroups/cgroups.h"
#include "commands.h"
#include "container.h"
#include "error.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

#define UPDATE_USAGE                                                                               \
  "update [-r|--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] "        \
  "[--pids-limit N] [--cpu-quota N] [--cpu-period N] [--cpu-share N] [--cpuset-cpus S] "           \
  "[--cpuset-mems S] ID"

enum value_kind { BYTES, INT, UINT, STRING };

/* Each flag sets one member of linux.resources. */
static const struct {
  const char *flag, *group, *key;
  enum value_kind kind;
} flags[] = {
    {"memory", "memory", "limit", BYTES},
    {"memory-swap", "memory", "swap", BYTES},
    {"memory-reservation", "memory", "reservation", BYTES},
    {"pids-limit", "pids", "limit", INT},
    {"cpu-quota", "cpu", "quota", INT},
    {"cpu-period", "cpu", "period", UINT},
    {"cpu-share", "cpu", "shares", UINT},
    {"cpuset-cpus", "cpu", "cpus", STRING},
    {"cpuset-mems", "cpu", "mems", STRING},
};
#define OPT_FIRST_FLAG 256

/* "67108864", "64m", "64MiB", "1g", "-1" (unlimited), as docker's units.RAMInBytes reads. */
static int parse_bytes(const char *s, long long *ret) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s)
    return -EINVAL;
  if (v == -1 && !*end) {
    *ret = v;
    return 0;
  }
  const char *units = "kmgtp";
  const char *u = *end ? strchr(units, end[0] | 0x20) : NULL;
  if (*end && !u)
    return -EINVAL;
  if (u)
    end++;
  if (u && (*end == 'i' || *end == 'I'))
    end++;
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end || v < 0)
    return -EINVAL;
  for (const char *p = units; u && p <= u; p++) {
    if (v > (1LL << 53))
      return -ERANGE;
    v *= 1024;
  }
  *ret = v;
  return 0;
}

static int flag_value(size_t i, const char *arg, json_t **ret, struct husk_error **err) {
  long long v = 0;
  char *end = NULL;
  errno = 0;
  switch (flags[i].kind) {
  case STRING: *ret = json_string(arg); return 0;
  case BYTES:
    if (parse_bytes(arg, &v) < 0)
      return husk_error_set(err, EINVAL,
                            "update: --%s: expected bytes (like 64m or -1), got \"%s\"",
                            flags[i].flag, arg);
    break;
  case INT:
  case UINT:
    v = strtoll(arg, &end, 10);
    if (errno || end == arg || *end || (flags[i].kind == UINT && v < 0))
      return husk_error_set(err, EINVAL, "update: --%s: expected %s, got \"%s\"", flags[i].flag,
                            flags[i].kind == UINT ? "a non-negative integer" : "an integer", arg);
    break;
  default: return husk_error_set(err, EINVAL, "update: --%s", flags[i].flag);
  }
  *ret = json_integer(v);
  return 0;
}

static int load_resources(const char *path, json_t **ret, struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  int r = read_file_at(AT_FDCWD, strcmp(path, "-") == 0 ? "/dev/stdin" : path, HUSK_FILE_MAX,
                       &text, err);
  if (r < 0)
    return husk_error_wrap(err, "update: --resources %s", path);
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  if (!j)
    return husk_error_set(err, EINVAL, "update: --resources %s: %s (line %d)", path, jerr.text,
                          jerr.line);
  if (!json_is_object(j)) {
    json_decref(j);
    return husk_error_set(err, EINVAL, "update: --resources %s: expected a linux.resources object",
                          path);
  }
  *ret = j;
  return 0;
}

/* --resources first, then the flags on top of it, all as one linux.resources object. */
static int parse_options(int argc, char **argv, json_t **ret, struct husk_error **err) {
  struct option opts[ARRAY_SIZE(flags) + 2] = {{"resources", required_argument, NULL, 'r'}};
  for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
    opts[i + 1] = (struct option){flags[i].flag, required_argument, NULL, OPT_FIRST_FLAG + (int)i};
  const char *file = NULL;
  _cleanup_json_ json_t *given = json_object();
  int c;
  while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
    if (c == 'r') {
      file = optarg;
      continue;
    }
    if (c < OPT_FIRST_FLAG || c >= OPT_FIRST_FLAG + (int)ARRAY_SIZE(flags))
      return command_bad_option(argv, UPDATE_USAGE, err);
    size_t i = (size_t)(c - OPT_FIRST_FLAG);
    json_t *v = NULL;
    int r = flag_value(i, optarg, &v, err);
    if (r < 0)
      return r;
    json_t *group = json_object_get(given, flags[i].group);
    if (!group)
      json_object_set_new(given, flags[i].group, group = json_object());
    json_object_set_new(group, flags[i].key, v);
  }
  _cleanup_json_ json_t *res = NULL;
  if (file) {
    int r = load_resources(file, &res, err);
    if (r < 0)
      return r;
  } else {
    res = json_object();
  }
  const char *name;
  json_t *group;
  json_object_foreach(given, name, group) {
    json_t *have = json_object_get(res, name);
    if (json_is_object(have))
      json_object_update(have, group);
    else
      json_object_set(res, name, group);
  }
  if (json_object_size(res) == 0)
    return husk_error_set(err, EINVAL, "update: nothing to change (usage: %s)", UPDATE_USAGE);
  *ret = TAKE_PTR(res);
  return 0;
}

int cmd_update(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  _cleanup_json_ json_t *res_json = NULL;
  int r = parse_options(argc, argv, &res_json, err);
  if (r < 0)
    return r;
  const char *id;
  r = command_take_id(argc, argv, optind, UPDATE_USAGE, &id, err);
  if (r < 0)
    return r;
  _cleanup_spec_ struct spec *spec = NULL;
  r = spec_parse_resources_json(res_json, &spec, err);
  if (r < 0)
    return husk_error_wrap(err, "update");
  const struct spec_resources *res = spec->linux_.resources;
  if (res && res->n_devices)
    return husk_error_set(err, EINVAL, "update: linux.resources.devices cannot be changed");
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  r = state_load(g->root, id, true, &fd, &st, err);
  if (r < 0)
    return r;
  if (state_status(fd, st) == STATUS_STOPPED)
    return husk_error_set(err, EINVAL, "cannot update container %s: it is stopped", id);
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  r = container_cgroup(st, &cg, err);
  if (r >= 0)
    r = cgroup_apply(cg, res, NULL, 0, err);
  return r < 0 ? husk_error_wrap(err, "update %s", id) : 0;
}
