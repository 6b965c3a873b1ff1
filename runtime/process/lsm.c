/* lsm.c: AppArmor profiles and SELinux labels, as runc and crun apply them: the process's own
 * exec attribute, so the kernel confines it from its execve on. */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "spec/spec.h"

#define SELINUX_MAGIC 0xf97cff8c

bool lsm_apparmor_enabled(void) {
  struct stat st;
  if (stat("/sys/kernel/security/apparmor", &st) < 0)
    return false;
  char buf[4] = "";
  _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, buf, sizeof(buf)) > 0 && buf[0] == 'Y';
}

bool lsm_selinux_enabled(void) {
  struct statfs fs;
  return statfs("/sys/fs/selinux", &fs) == 0 && (unsigned long)fs.f_type == SELINUX_MAGIC;
}

int lsm_check_process(const struct spec_process *proc, struct husk_error **err) {
  if (proc->apparmor_profile && *proc->apparmor_profile && !lsm_apparmor_enabled())
    return husk_error_set(err, ENOTSUP,
                          "process.apparmorProfile: \"%s\" is asked for, but AppArmor is not "
                          "enabled on this host",
                          proc->apparmor_profile);
  if (proc->selinux_label && *proc->selinux_label && !lsm_selinux_enabled())
    return husk_error_set(err, ENOTSUP,
                          "process.selinuxLabel: \"%s\" is asked for, but SELinux is not "
                          "enabled on this host",
                          proc->selinux_label);
  return 0;
}

int lsm_check(const struct spec *spec, struct husk_error **err) {
  int r = lsm_check_process(spec->process, err);
  if (r < 0)
    return r;
  const char *label = spec->linux_.mount_label;
  if (label && *label && !lsm_selinux_enabled())
    return husk_error_set(err, ENOTSUP,
                          "linux.mountLabel: \"%s\" is asked for, but SELinux is not enabled on "
                          "this host",
                          label);
  return 0;
}

/* The first of the attribute files that exists takes text. */
static int write_attr(const char *const *paths, const char *text, const char *what,
                      const char *value, struct husk_error **err) {
  int fd = -1;
  const char *path = NULL;
  for (size_t i = 0; paths[i] && fd < 0; i++) {
    path = paths[i];
    fd = open(path, O_WRONLY | O_CLOEXEC);
  }
  if (fd < 0)
    return husk_error_sys(err, "%s: apply \"%s\": open %s", what, value, path);
  ssize_t n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  TRACE(n < 0 ? -1 : 0, "confine the program from its execve on", "write(%s, \"%s\")", path,
        text);
  if (n < 0)
    return husk_error_errno(err, e, "%s: apply \"%s\"%s", what, value,
                            e == ENOENT ? " (is the profile loaded?)" : "");
  return 0;
}

int lsm_set_exec_labels(const struct spec_process *proc, struct husk_error **err) {
  if (proc->apparmor_profile && *proc->apparmor_profile) {
    static const char *const paths[] = {"/proc/thread-self/attr/apparmor/exec",
                                        "/proc/thread-self/attr/exec", NULL};
    _cleanup_free_ char *text = xasprintf("exec %s", proc->apparmor_profile);
    int r = write_attr(paths, text, "process.apparmorProfile", proc->apparmor_profile, err);
    if (r < 0)
      return r;
  }
  if (proc->selinux_label && *proc->selinux_label) {
    static const char *const paths[] = {"/proc/thread-self/attr/exec", NULL};
    return write_attr(paths, proc->selinux_label, "process.selinuxLabel", proc->selinux_label,
                      err);
  }
  return 0;
}

char *lsm_mount_data(const char *data, const char *mount_label) {
  if (!mount_label || !*mount_label)
    return NULL;
  if (data && *data)
    return xasprintf("%s,context=\"%s\"", data, mount_label);
  return xasprintf("context=\"%s\"", mount_label);
}
