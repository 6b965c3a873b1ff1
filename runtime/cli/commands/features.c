/* features.c: `husk features`, the runtime-spec features document (features.md) telling
 * callers which parts of config.json this build of husk really implements. */
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "husk-config.h"
#include "seccomp/seccomp.h"

/* Options runtime/rootfs/rootfs.c translates to mount flags or propagation changes. */
static const char *const mount_options[] = {
    "ro",         "rw",          "nosuid",      "suid",          "nodev",    "dev",
    "noexec",     "exec",        "sync",        "async",         "dirsync",  "remount",
    "mand",       "nomand",      "atime",       "noatime",       "diratime", "nodiratime",
    "relatime",   "norelatime",  "strictatime", "nostrictatime", "lazytime", "nolazytime",
    "bind",       "rbind",       "silent",      "loud",          "iversion", "noiversion",
    "private",    "rprivate",    "shared",      "rshared",       "slave",    "rslave",
    "unbindable", "runbindable", NULL};

static const char *const namespaces[] = {"cgroup", "ipc", "mount", "network", "pid",
                                         "user",   "uts", "time",  NULL};

/* Every phase runs (runtime/container/hooks.c), prestart too although the spec deprecates it. */
static const char *const hooks[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
    NULL};

/* The table the team updates as features land. Only what husk actually honours belongs
 * here: a consumer (containerd, podman) trusts this to decide what it may ask for. */
static const struct {
  const char *oci_version_min, *oci_version_max;
  const char *const *hooks, *const *mount_options, *const *namespaces;
  bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user;
  bool apparmor, selinux, intel_rdt, idmap_mounts;
} features = {
    .oci_version_min = "1.0.0",
    .oci_version_max = HUSK_SPEC_VERSION,
    .hooks = hooks,
    .mount_options = mount_options,
    .namespaces = namespaces,
    .cgroup_v1 = true, /* legacy and hybrid hosts (cgroups/v1.c, hybrid.c) */
    .cgroup_v2 = true, /* cgroups/v2.c */
#ifdef HUSK_SYSTEMD
    .cgroup_systemd = true, /* cgroups/systemd.c, on pure v2; the user manager not yet */
#endif
    .apparmor = true,  /* lsm.c: applied when the host has it, refused when not */
    .selinux = true,
};

static void xappend(json_t *array, json_t *value) {
  if (!value || json_array_append_new(array, value) < 0)
    abort();
}

static json_t *string_array(const char *const *strings) {
  json_t *a = json_array();
  if (!a)
    abort();
  for (; *strings; strings++)
    xappend(a, json_string(*strings));
  return a;
}

/* Every capability libcap can name on this kernel, as "CAP_CHOWN", ... in number order. */
static json_t *capability_names(void) {
  json_t *a = json_array();
  if (!a)
    abort();
  for (cap_value_t v = 0; v < cap_max_bits(); v++) {
    char *name = cap_to_name(v);
    if (!name)
      abort();
    /* Bits newer than libcap come back as plain numbers; they have no name to offer. */
    if (str_has_prefix(name, "cap_")) {
      _cleanup_free_ char *upper = xstrdup(name);
      for (char *p = upper; *p; p++)
        *p = (char)toupper((unsigned char)*p);
      xappend(a, json_string(upper));
    }
    cap_free(name);
  }
  return a;
}

static json_t *enabled(bool on) { return json_pack("{s:b}", "enabled", on); }

static json_t *features_linux(void) {
  json_t *cgroup =
      json_pack("{s:b, s:b, s:b, s:b}", "v1", features.cgroup_v1, "v2", features.cgroup_v2,
                "systemd", features.cgroup_systemd, "systemdUser", features.cgroup_systemd_user);
  json_t *linux_ =
      json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o}}", "namespaces",
                string_array(features.namespaces), "capabilities", capability_names(), "cgroup",
                cgroup, "seccomp", seccomp_features(), "apparmor", enabled(features.apparmor),
                "selinux", enabled(features.selinux), "intelRdt", enabled(features.intel_rdt),
                "mountExtensions", "idmap", enabled(features.idmap_mounts));
  if (!linux_)
    abort();
  return linux_;
}

json_t *features_json(void) {
  json_t *j = json_pack(
      "{s:s, s:s, s:o, s:o, s:o, s:{s:s, s:s}}", "ociVersionMin", features.oci_version_min,
      "ociVersionMax", features.oci_version_max, "hooks", string_array(features.hooks),
      "mountOptions", string_array(features.mount_options), "linux", features_linux(),
      "annotations", "io.husk.version", HUSK_VERSION, "io.husk.commit", HUSK_COMMIT);
  if (!j)
    abort();
  return j;
}

int cmd_features(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option longopts[] = {{NULL, 0, NULL, 0}};
  (void)g;

  optind = 0;
  opterr = 0;
  if (getopt_long(argc, argv, "+", longopts, NULL) != -1) {
    if (optopt)
      return husk_error_set(err, EINVAL, "features: unknown option: -%c", optopt);
    return husk_error_set(err, EINVAL, "features: unknown option: %s", argv[optind - 1]);
  }
  if (optind < argc)
    return husk_error_set(err, EINVAL, "\"features\" requires exactly 0 argument(s)");

  _cleanup_json_ json_t *doc = features_json();
  _cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(2));
  if (!text)
    abort();
  if (fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
    return husk_error_sys(err, "features: write to stdout");
  return 0;
}
