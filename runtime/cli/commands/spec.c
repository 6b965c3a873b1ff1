/* spec.c: `husk spec`, which writes the example config.json that `runc spec` writes
 * (optionally the rootless variant), plus Docker's default seccomp profile, into a bundle
 * directory. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "commands.h"
#include "seccomp/seccomp.h"

#define SPEC_OCI_VERSION "1.2.0"
#define SPEC_CONFIG_NAME "config.json"

enum { OPT_ROOTLESS = 0x100, OPT_IMAGE }; /* long-only options: values no short option has */

/* jansson only fails here on a format mistake or out of memory; both are fatal. */
static json_t *xpack(const char *fmt, ...) {
  va_list ap;
  json_error_t jerr;
  va_start(ap, fmt);
  json_t *j = json_vpack_ex(&jerr, 0, fmt, ap);
  va_end(ap);
  if (!j)
    abort();
  return j;
}

static void xappend(json_t *array, json_t *value) {
  if (!value || json_array_append_new(array, value) < 0)
    abort();
}

static json_t *default_capabilities(void) {
  return xpack("[s,s,s]", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
}

static json_t *default_process(void) {
  return xpack("{s:b, s:{s:i, s:i}, s:[s], s:[s,s], s:s, s:{s:o, s:o, s:o}, s:[{s:s, s:i, s:i}], "
               "s:b}",
               "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
               "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
               "cwd", "/", "capabilities", "bounding", default_capabilities(), "effective",
               default_capabilities(), "permitted", default_capabilities(), "rlimits", "type",
               "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
}

static json_t *mount_entry(const char *destination, const char *type, const char *source,
                           json_t *options) {
  json_t *m = xpack("{s:s, s:s, s:s}", "destination", destination, "type", type, "source", source);
  if (options && json_object_set_new(m, "options", options) < 0)
    abort();
  return m;
}

/* Rootless containers cannot mount a fresh sysfs (it needs a network namespace the user
 * owns) nor chown devpts to gid 5 (unmapped), so those two mounts change, as in runc. */
static json_t *default_mounts(bool rootless) {
  json_t *mounts = json_array();
  if (!mounts)
    abort();
  xappend(mounts, mount_entry("/proc", "proc", "proc", NULL));
  xappend(mounts,
          mount_entry("/dev", "tmpfs", "tmpfs",
                      xpack("[s,s,s,s]", "nosuid", "strictatime", "mode=755", "size=65536k")));
  json_t *devpts_opts =
      xpack("[s,s,s,s,s]", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
  if (!rootless)
    xappend(devpts_opts, json_string("gid=5"));
  xappend(mounts, mount_entry("/dev/pts", "devpts", "devpts", devpts_opts));
  xappend(mounts, mount_entry("/dev/shm", "tmpfs", "shm",
                              xpack("[s,s,s,s,s]", "nosuid", "noexec", "nodev", "mode=1777",
                                    "size=65536k")));
  xappend(mounts, mount_entry("/dev/mqueue", "mqueue", "mqueue",
                              xpack("[s,s,s]", "nosuid", "noexec", "nodev")));
  if (rootless)
    xappend(mounts, mount_entry("/sys", "none", "/sys",
                                xpack("[s,s,s,s,s]", "rbind", "nosuid", "noexec", "nodev", "ro")));
  else
    xappend(mounts, mount_entry("/sys", "sysfs", "sysfs",
                                xpack("[s,s,s,s]", "nosuid", "noexec", "nodev", "ro")));
  xappend(mounts, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
                              xpack("[s,s,s,s,s]", "nosuid", "noexec", "nodev", "relatime", "ro")));
  return mounts;
}

/* runc adds a cgroup namespace only on a pure cgroup v2 host, where it hides the host's
 * hierarchy cleanly; on v1 a cgroup namespace is of little use. */
static bool cgroup2_unified(void) {
  struct statfs fs;
  return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

static json_t *default_namespaces(bool rootless) {
  json_t *ns = json_array();
  if (!ns)
    abort();
  xappend(ns, xpack("{s:s}", "type", "pid"));
  /* A rootless user cannot configure a new network namespace's interfaces anyway. */
  if (!rootless)
    xappend(ns, xpack("{s:s}", "type", "network"));
  xappend(ns, xpack("{s:s}", "type", "ipc"));
  xappend(ns, xpack("{s:s}", "type", "uts"));
  xappend(ns, xpack("{s:s}", "type", "mount"));
  if (cgroup2_unified())
    xappend(ns, xpack("{s:s}", "type", "cgroup"));
  if (rootless)
    xappend(ns, xpack("{s:s}", "type", "user"));
  return ns;
}

static json_t *id_mapping(unsigned host_id) {
  return xpack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)host_id, "size", 1);
}

static json_t *default_linux(bool rootless) {
  json_t *linux_ = json_object();
  if (!linux_)
    abort();
  /* Rootless: map container root to the caller, and drop cgroup resources, which an
   * unprivileged user usually cannot apply. */
  if (rootless) {
    json_object_set_new(linux_, "uidMappings", id_mapping(geteuid()));
    json_object_set_new(linux_, "gidMappings", id_mapping(getegid()));
  } else {
    json_object_set_new(linux_, "resources",
                        xpack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
  }
  json_object_set_new(linux_, "namespaces", default_namespaces(rootless));
  json_object_set_new(linux_, "maskedPaths",
                      xpack("[s,s,s,s,s,s,s,s,s,s,s]", "/proc/acpi", "/proc/asound", "/proc/kcore",
                            "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
                            "/sys/devices/virtual/tpm"));
  json_object_set_new(linux_, "readonlyPaths",
                      xpack("[s,s,s,s,s]", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                            "/proc/sysrq-trigger"));
  /* Docker's default profile, rootless too (Docker applies it there as well). */
  json_object_set_new(linux_, "seccomp", seccomp_default_profile());
  return linux_;
}

json_t *spec_default_config(bool rootless) {
  return xpack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", SPEC_OCI_VERSION, "process",
               default_process(), "root", "path", "rootfs", "readonly", 1, "hostname", "husk",
               "mounts", default_mounts(rootless), "linux", default_linux(rootless));
}

static int write_config(int dirfd, const char *text, struct husk_error **err) {
  /* O_EXCL makes "never overwrite" atomic, where runc checks with stat() first; a config cut
   * short is removed again, or a later `husk spec` would refuse to run. */
  _cleanup_error_ struct husk_error *e = NULL;
  int r = write_file_new_at(dirfd, SPEC_CONFIG_NAME, text, strlen(text), 0666, &e);
  TRACE(r, "create the new config.json, refusing to replace one", "openat(bundle, \"%s\", O_EXCL)",
        SPEC_CONFIG_NAME);
  if (r == -EEXIST)
    return husk_error_set(err, EEXIST, "File %s exists. Remove it first", SPEC_CONFIG_NAME);
  if (r < 0)
    *err = TAKE_PTR(e);
  return r < 0 ? r : 0;
}

int cmd_spec(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option longopts[] = {
      {"bundle", required_argument, NULL, 'b'},
      {"rootless", no_argument, NULL, OPT_ROOTLESS},
      {"image", required_argument, NULL, OPT_IMAGE},
      {NULL, 0, NULL, 0},
  };
  const char *bundle = ".", *image = NULL;
  bool rootless = false;

  optind = 0;
  opterr = 0;
  int c;
  /* "+": stop at the first operand; ":": report a missing argument as ':', not '?'. */
  while ((c = getopt_long(argc, argv, "+:b:", longopts, NULL)) != -1) {
    switch (c) {
    case 'b': bundle = optarg; break;
    case OPT_ROOTLESS: rootless = true; break;
    case OPT_IMAGE: image = optarg; break;
    case ':':
      return husk_error_set(err, EINVAL, "spec: option requires an argument: %s", argv[optind - 1]);
    default:
      /* getopt leaves optopt 0 for an unknown long option, the option's value for a long
       * option given an argument it does not take, and the letter for a short option. */
      if (optopt == OPT_ROOTLESS)
        return husk_error_set(err, EINVAL, "spec: option takes no argument: %s", argv[optind - 1]);
      if (optopt)
        return husk_error_set(err, EINVAL, "spec: unknown option: -%c", optopt);
      return husk_error_set(err, EINVAL, "spec: unknown option: %s", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return husk_error_set(err, EINVAL, "\"spec\" requires exactly 0 argument(s)");
  if (bundle[0] == '\0')
    bundle = ".";

  _cleanup_close_ int dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  TRACE(dirfd, "the bundle directory that receives config.json", "open(\"%s\", O_DIRECTORY)",
        bundle);
  if (dirfd < 0)
    return husk_error_sys(err, "bundle %s", bundle);

  _cleanup_json_ json_t *config = NULL;
  /* --image: the config husk runs the image with; create finds its layers in the store by
   * the annotation naming it. */
  if (image) {
    if (rootless)
      return husk_error_set(err, EINVAL, "spec: --image and --rootless cannot be combined");
    const struct command_target t = {.source = image};
    int r = command_image_config(g, &t, false, &config, err);
    if (r < 0)
      return r;
  } else {
    config = spec_default_config(rootless);
  }
  _cleanup_free_ char *text = json_dumps(config, JSON_INDENT(2));
  if (!text)
    abort();
  _cleanup_free_ char *with_newline = xasprintf("%s\n", text);

  int r = write_config(dirfd, with_newline, err);
  if (r < 0)
    return r;
  return 0;
}
