/* docker.c: a seccomp profile in Docker's format (moby profiles/seccomp: defaultAction,
 * archMap, syscalls with name or names, includes and excludes by arch, capability and
 * minKernel) made into linux.seccomp as moby's setupSeccomp makes it for one container. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/error.h"
#include "base/utils.h"
#include "seccomp.h"

#if defined(__x86_64__)
#define GO_ARCH "amd64"
#define SECCOMP_NATIVE "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define GO_ARCH "arm64"
#define SECCOMP_NATIVE "SCMP_ARCH_AARCH64"
#elif defined(__s390x__)
#define GO_ARCH "s390x"
#define SECCOMP_NATIVE "SCMP_ARCH_S390X"
#elif defined(__riscv) && __riscv_xlen == 64
#define GO_ARCH "riscv64"
#define SECCOMP_NATIVE "SCMP_ARCH_RISCV64"
#else
#error "unknown architecture for Docker seccomp profiles"
#endif

static bool has_string(const json_t *list, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
      return true;
  }
  return false;
}

/* "5.8" against the running kernel. */
static bool kernel_at_least(const char *version) {
  unsigned want_major = 0, want_minor = 0, major = 0, minor = 0;
  struct utsname u;
  if (sscanf(version, "%u.%u", &want_major, &want_minor) < 1 || uname(&u) < 0 ||
      sscanf(u.release, "%u.%u", &major, &minor) < 1)
    return false;
  return major > want_major || (major == want_major && minor >= want_minor);
}

/* Whether the rule applies to this container: its arch and capabilities, the kernel. */
static bool rule_applies(const json_t *call, const json_t *caps) {
  const json_t *inc = json_object_get(call, "includes"), *exc = json_object_get(call, "excludes");
  const json_t *arches = json_object_get(inc, "arches");
  if (json_array_size(arches) && !has_string(arches, GO_ARCH))
    return false;
  if (has_string(json_object_get(exc, "arches"), GO_ARCH))
    return false;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(inc, "caps"), i, c) {
    if (!has_string(caps, json_string_value(c)))
      return false;
  }
  json_array_foreach(json_object_get(exc, "caps"), i, c) {
    if (has_string(caps, json_string_value(c)))
      return false;
  }
  const char *min = json_string_value(json_object_get(inc, "minKernel"));
  return !min || kernel_at_least(min);
}

int seccomp_from_docker(const json_t *profile, const json_t *caps, json_t **ret,
                        struct husk_error **err) {
  const json_t *archs = json_object_get(profile, "architectures");
  const json_t *arch_map = json_object_get(profile, "archMap");
  if (json_array_size(archs) && json_array_size(arch_map))
    return husk_error_set(err, EINVAL,
                          "both 'architectures' and 'archMap' are specified in the seccomp "
                          "profile, use either 'architectures' or 'archMap'");
  if (!json_is_string(json_object_get(profile, "defaultAction")))
    return husk_error_set(err, EINVAL, "defaultAction: required");
  _cleanup_json_ json_t *out = json_object();
  static const char *const copied[] = {"defaultAction", "defaultErrnoRet", "listenerPath",
                                       "listenerMetadata", "flags"};
  for (size_t i = 0; i < ARRAY_SIZE(copied); i++)
    if (json_object_get(profile, copied[i]))
      json_object_set(out, copied[i], json_object_get(profile, copied[i]));
  json_t *arches = json_array();
  json_object_set_new(out, "architectures", arches);
  size_t i;
  json_t *v;
  json_array_foreach(archs, i, v) { json_array_append(arches, v); }
  json_array_foreach(arch_map, i, v) {
    const char *a = json_string_value(json_object_get(v, "architecture"));
    if (!a || strcmp(a, SECCOMP_NATIVE) != 0)
      continue;
    json_array_append_new(arches, json_string(a));
    json_array_extend(arches, json_object_get(v, "subArchitectures"));
  }
  json_t *syscalls = json_array();
  json_object_set_new(out, "syscalls", syscalls);
  json_array_foreach(json_object_get(profile, "syscalls"), i, v) {
    const json_t *name = json_object_get(v, "name"), *names = json_object_get(v, "names");
    if (name && json_array_size(names))
      return husk_error_set(err, EINVAL, "syscalls[%zu]: use either 'name' or 'names'", i);
    if (!rule_applies(v, caps))
      continue;
    json_t *rule = json_object();
    json_object_set_new(rule, "names", name ? json_pack("[O]", name) : json_deep_copy(names));
    static const char *const fields[] = {"action", "errnoRet", "args"};
    for (size_t j = 0; j < ARRAY_SIZE(fields); j++)
      if (json_object_get(v, fields[j]))
        json_object_set(rule, fields[j], json_object_get(v, fields[j]));
    json_array_append_new(syscalls, rule);
  }
  *ret = TAKE_PTR(out);
  return 0;
}
