/* update.c: `husk update [-r|--resources FILE|-] [--memory N] ... ID`: change the cgroup limits
 * of a container, as runc 1.1's update does, so engines can drive it as they drive runc:
 *
 *  - --resources FILE (or - for stdin) is a linux.resources object, as containerd's shim
 *    (`-r -`), podman (`--resources=FILE`) and Docker (through containerd) send it; with it
 *    every other flag is ignored (runc says so in its help). Without it, the flags make one.
 *  - 0 is "unchanged" for the memory limit, reservation and swap, kernel memory, CPU shares,
 *    quota, period and realtime values, the pids limit and the blkio weight, and "" for a
 *    cpuset: Docker sends {"cpu":{"quota":0}} for a quota it leaves alone. -1 is unlimited
 *    where the kernel has one (memory, swap, quota, pids).
 *  - linux.resources.devices is left as it is (runc skips devices on update; containerd's
 *    CRI sends the container's unchanged list with every update).
 *  - All or nothing (cgroup_update): every value is parsed as in config.json, and every file
 *    it goes to is opened, before anything is written; a write the kernel refuses puts back
 *    what was written before it. The error names the JSON path and the file.
 *
 * husk keeps no copy of the limits (state.json has only the cgroup's place), so there is no
 * record to bring in line: later commands read the cgroup itself. */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"
#include "spec/spec.h"
#include "update.h"

#define UPDATE_USAGE                                                                               \
  "update [-r|--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] "        \
  "[--kernel-memory N] [--kernel-memory-tcp N] [--cpu-share N] [--cpu-quota N] "                   \
  "[--cpu-period N] [--cpu-burst N] [--cpu-rt-period N] [--cpu-rt-runtime N] [--cpu-idle N] "      \
  "[--cpuset-cpus S] [--cpuset-mems S] [--pids-limit N] [--blkio-weight N] "                       \
  "[--l3-cache-schema S] [--mem-bw-schema S] ID"

/* How a flag's value is read: BYTES as docker's units.RAMInBytes (or -1), INT and UINT as
 * Go's strconv base 10 (runc's string flags), GO_INT as an urfave IntFlag (base prefixes),
 * IGNORED (obsolete kernel memory: a warning), RDT (Intel RDT, which husk does not have). */
enum value_kind { BYTES, INT, UINT, GO_INT, STRING, IGNORED, RDT };

/* Each flag sets one member of linux.resources. */
static const struct {
  const char *flag, *group, *key;
  enum value_kind kind;
} flags[] = {
    {"memory", "memory", "limit", BYTES},
    {"memory-swap", "memory", "swap", BYTES},
    {"memory-reservation", "memory", "reservation", BYTES},
    {"kernel-memory", NULL, NULL, IGNORED},
    {"kernel-memory-tcp", NULL, NULL, IGNORED},
    {"cpu-share", "cpu", "shares", UINT},
    {"cpu-quota", "cpu", "quota", INT},
    {"cpu-period", "cpu", "period", UINT},
    {"cpu-burst", "cpu", "burst", UINT},
    {"cpu-rt-period", "cpu", "realtimePeriod", UINT},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime", INT},
    {"cpu-idle", "cpu", "idle", INT},
    {"cpuset-cpus", "cpu", "cpus", STRING},
    {"cpuset-mems", "cpu", "mems", STRING},
    {"pids-limit", "pids", "limit", GO_INT},
    {"blkio-weight", "blockIO", "weight", GO_INT},
    {"l3-cache-schema", NULL, "Intel RDT/CAT: l3 cache schema", RDT},
    {"mem-bw-schema", NULL, "Intel RDT/MBA: memory bandwidth schema", RDT},
};
#define OPT_FIRST_FLAG 256

/* "67108864", "64m", "64MiB", "1.5g", "512 k", as docker's units.RAMInBytes reads them (binary
 * multiples, a fraction allowed), or "-1" (unlimited), as runc takes it. */
int update_parse_bytes(const char *s, int64_t *ret) {
  if (strcmp(s, "-1") == 0) {
    *ret = -1;
    return 0;
  }
  size_t digits = strspn(s, "0123456789");
  if (digits == 0)
    return -EINVAL;
  const char *p = s + digits;
  if (*p == '.') {
    size_t frac = strspn(p + 1, "0123456789");
    if (frac == 0)
      return -EINVAL;
    p += 1 + frac;
  }
  size_t number_len = (size_t)(p - s);
  if (*p == ' ')
    p++;
  static const char units[] = "kmgtp";
  const char *u = *p ? strchr(units, *p | 0x20) : NULL;
  int shift = 0;
  if (u && *u) {
    shift = 10 * (int)(u - units + 1);
    p++;
  }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p)
    return -EINVAL;
  char number[64];
  if (number_len >= sizeof(number))
    return -ERANGE;
  memcpy(number, s, number_len);
  number[number_len] = '\0';
  double v = strtod(number, NULL) * (double)(1ULL << shift);
  if (!(v < 9223372036854775807.0)) /* also HUGE_VAL, from strtod on overflow */
    return -ERANGE;
  *ret = (int64_t)v;
  return 0;
}

static int flag_value(size_t i, const char *arg, json_t **ret, struct husk_error **err) {
  const char *name = flags[i].flag;
  int64_t v = 0;
  char *end = NULL;
  errno = 0;
  switch (flags[i].kind) {
  case STRING: *ret = arg[0] ? json_string(arg) : NULL; return 0;
  case IGNORED:
    if (arg[0])
      log_warn("Setting --%s is ignored and will be removed", name);
    *ret = NULL;
    return 0;
  case RDT:
    *ret = NULL;
    return arg[0]
               ? husk_error_set(err, ENOTSUP, "update: --%s: %s is not enabled", name, flags[i].key)
               : 0;
  case BYTES: {
    int r = update_parse_bytes(arg, &v);
    if (r < 0)
      return husk_error_set(err, EINVAL,
                            "update: invalid value for %s: \"%s\" (expected bytes like 64m, or -1)",
                            name, arg);
    break;
  }
  case UINT: {
    unsigned long long u = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || u > INT64_MAX)
      return husk_error_set(
          err, EINVAL, "update: invalid value for %s: \"%s\" (expected a non-negative integer)",
          name, arg);
    v = (int64_t)u;
    break;
  }
  case INT:
  case GO_INT:
    v = strtoll(arg, &end, flags[i].kind == GO_INT ? 0 : 10);
    if (errno || end == arg || *end)
      return husk_error_set(
          err, EINVAL, "update: invalid value for %s: \"%s\" (expected an integer)", name, arg);
    break;
  default: return husk_error_set(err, EINVAL, "update: --%s", name);
  }
  /* urfave's IntFlag: unset and 0 are one; runc puts 0 in the resources, which means
   * unchanged. Leave it out, which means the same. */
  *ret = flags[i].kind == GO_INT && v == 0 ? NULL : json_integer((json_int_t)v);
  return 0;
}

/* Standard input to its end (fd 0 itself: /dev/stdin needs /proc, which a minimal host or a
 * VM's initramfs may not have). */
static int read_stdin(char **ret, struct husk_error **err) {
  size_t cap = 4096, len = 0;
  _cleanup_free_ char *buf = xmalloc(cap + 1);
  for (;;) {
    if (len == cap) {
      if (cap >= HUSK_FILE_MAX)
        return husk_error_set(err, EFBIG, "read stdin: larger than %u bytes", HUSK_FILE_MAX);
      cap *= 2;
      buf = xrealloc(buf, cap + 1);
    }
    ssize_t n = read(STDIN_FILENO, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return husk_error_sys(err, "read stdin");
    if (n == 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  *ret = TAKE_PTR(buf);
  return 0;
}

static int load_resources(const char *path, json_t **ret, struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  int r = strcmp(path, "-") == 0 ? read_stdin(&text, err)
                                 : read_file_at(AT_FDCWD, path, HUSK_FILE_MAX, &text, err);
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

int update_parse_args(int argc, char **argv, json_t **ret, const char **ret_id,
                      struct husk_error **err) {
  struct option opts[ARRAY_SIZE(flags) + 2] = {{"resources", required_argument, NULL, 'r'}};
  for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
    opts[i + 1] = (struct option){flags[i].flag, required_argument, NULL, OPT_FIRST_FLAG + (int)i};
  const char *file = NULL;
  /* each flag's last value; the order of the flags does not matter */
  const char *values[ARRAY_SIZE(flags)] = {0};
  int c;
  while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
    if (c == 'r')
      file = optarg;
    else if (c >= OPT_FIRST_FLAG && c < OPT_FIRST_FLAG + (int)ARRAY_SIZE(flags))
      values[c - OPT_FIRST_FLAG] = optarg;
    else
      return command_bad_option(argv, UPDATE_USAGE, err);
  }
  int r = command_take_id(argc, argv, optind, UPDATE_USAGE, ret_id, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *given = json_object();
  size_t ignored = 0;
  for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
    if (!values[i])
      continue;
    if (file && flags[i].kind != RDT) { /* runc reads only the Intel RDT ones then */
      ignored++;
      continue;
    }
    json_t *v = NULL;
    r = flag_value(i, values[i], &v, err);
    if (r < 0)
      return r;
    if (!v)
      continue;
    json_t *group = json_object_get(given, flags[i].group);
    if (!group)
      json_object_set_new(given, flags[i].group, group = json_object());
    json_object_set_new(group, flags[i].key, v);
  }
  if (!file) {
    *ret = TAKE_PTR(given);
    return 0;
  }
  if (ignored)
    log_warn("update: --resources %s is given, so the other flags are ignored (as runc does)",
             file);
  return load_resources(file, ret, err);
}

int cmd_update(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  _cleanup_json_ json_t *res_json = NULL;
  const char *id;
  int r = update_parse_args(argc, argv, &res_json, &id, err);
  if (r < 0)
    return r;
  _cleanup_spec_ struct spec *spec = NULL;
  r = spec_parse_resources_json(res_json, &spec, err);
  if (r < 0)
    return husk_error_wrap(err, "update");
  const struct spec_resources *res = spec->linux_.resources;
  if (res && res->n_devices)
    log_debug("linux.resources.devices: left as they are (update does not change device rules)");
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
    r = cgroup_update(cg, res, err);
  return r < 0 ? husk_error_wrap(err, "update %s", id) : 0;
}
