/* namespaces.c: the namespace type table, opening and joining namespaces, uid/gid maps and
 * the loopback interface of a new network namespace. */
#include "namespaces.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"

const struct ns_type ns_types[] = {
    {"user", "user", CLONE_NEWUSER},  {"pid", "pid", CLONE_NEWPID},
    {"network", "net", CLONE_NEWNET}, {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},     {"cgroup", "cgroup", CLONE_NEWCGROUP},
    {"time", "time", CLONE_NEWTIME},  {"mount", "mnt", CLONE_NEWNS},
};
const size_t ns_types_count = ARRAY_SIZE(ns_types);

static const struct ns_type *ns_type_by_flag(int clone_flag) {
  for (size_t i = 0; i < ns_types_count; i++)
    if (ns_types[i].clone_flag == clone_flag)
      return &ns_types[i];
  return NULL;
}

int ns_flag_from_spec_name(const char *name) {
  if (!name)
    return 0;
  for (size_t i = 0; i < ns_types_count; i++)
    if (strcmp(ns_types[i].spec_name, name) == 0)
      return ns_types[i].clone_flag;
  return 0;
}

const char *ns_spec_name(int clone_flag) {
  const struct ns_type *t = ns_type_by_flag(clone_flag);
  return t ? t->spec_name : NULL;
}

const char *ns_proc_name(int clone_flag) {
  const struct ns_type *t = ns_type_by_flag(clone_flag);
  return t ? t->proc_name : NULL;
}

/* The CLONE_* macro name of a namespace flag, for trace lines that read like C. */
static const char *ns_clone_flag_name(int clone_flag) {
  switch (clone_flag) {
  case CLONE_NEWUSER: return "CLONE_NEWUSER";
  case CLONE_NEWPID: return "CLONE_NEWPID";
  case CLONE_NEWNET: return "CLONE_NEWNET";
  case CLONE_NEWIPC: return "CLONE_NEWIPC";
  case CLONE_NEWUTS: return "CLONE_NEWUTS";
  case CLONE_NEWCGROUP: return "CLONE_NEWCGROUP";
  case CLONE_NEWTIME: return "CLONE_NEWTIME";
  case CLONE_NEWNS: return "CLONE_NEWNS";
  default: return NULL;
  }
}

/* Append s to buf (capacity len, *used bytes so far), separated by '|'; truncates safely. */
static void flags_append(char *buf, size_t len, size_t *used, const char *s) {
  if (*used >= len)
    return;
  int n = snprintf(buf + *used, len - *used, "%s%s", *used ? "|" : "", s);
  if (n < 0)
    return;
  *used += (size_t)n;
  if (*used >= len)
    *used = len - 1;
}

const char *ns_flags_to_string(int flags, char *buf, size_t len) {
  if (!buf || len == 0)
    return "";
  size_t used = 0;
  buf[0] = '\0';
  unsigned rest = (unsigned)flags;
  for (size_t i = 0; i < ns_types_count; i++) {
    unsigned bit = (unsigned)ns_types[i].clone_flag;
    if (rest & bit) {
      flags_append(buf, len, &used, ns_clone_flag_name(ns_types[i].clone_flag));
      rest &= ~bit;
    }
  }
  if (rest) {
    char hex[16];
    snprintf(hex, sizeof(hex), "0x%x", rest);
    flags_append(buf, len, &used, hex);
  }
  if (used == 0)
    snprintf(buf, len, "0");
  return buf;
}

int ns_open(const char *path, int clone_flag, struct husk_error **err) {
  const char *name = ns_spec_name(clone_flag);
  if (!name)
    return husk_error_set(err, EINVAL, "%s: unknown namespace type 0x%x", path, clone_flag);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "open namespace %s", path);
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type >= 0) {
    if (type != clone_flag)
      return husk_error_set(err, EINVAL, "%s: not a %s namespace", path, name);
    return TAKE_FD(fd);
  }
  if (errno != ENOTTY && errno != EINVAL)
    return husk_error_sys(err, "check namespace %s", path);
  /* Kernels before 4.11 cannot tell the type; accept any nsfs file and let setns decide. */
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0)
    return husk_error_sys(err, "statfs %s", path);
  if (sfs.f_type != NSFS_MAGIC)
    return husk_error_set(err, EINVAL, "%s: not a %s namespace", path, name);
  return TAKE_FD(fd);
}

int ns_join(int fd, int clone_flag, const char *what, struct husk_error **err) {
  const char *name = ns_spec_name(clone_flag);
  if (!name)
    name = "unknown";
  char flags[256];
  char why[64];
  snprintf(why, sizeof(why), "join the existing %s namespace", name);
  int r = setns(fd, clone_flag);
  TRACE(r, why, "setns(%d /* %s */, %s)", fd, what ? what : "",
        ns_flags_to_string(clone_flag, flags, sizeof(flags)));
  if (r < 0)
    return husk_error_sys(err, "join %s namespace %s", name, what ? what : "");
  return 0;
}

/* "containerID hostID size\n" per entry: the kernel takes a whole map in one write only. */
static char *id_map_text(const struct spec_id_mapping *maps, size_t n) {
  size_t cap = n * 3 * 11 + 1, used = 0;
  char *buf = xmalloc(cap);
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    int w = snprintf(buf + used, cap - used, "%u %u %u\n", maps[i].container_id, maps[i].host_id,
                     maps[i].size);
    used += (size_t)w;
  }
  return buf;
}

/* The map as a trace shows it: one line, inner newlines as "\n", no trailing newline. */
static char *id_map_shown(const char *text) {
  size_t len = strlen(text);
  char *out = xmalloc(2 * len + 1), *o = out;
  for (size_t i = 0; i < len; i++) {
    if (text[i] != '\n') {
      *o++ = text[i];
    } else if (i + 1 < len) {
      *o++ = '\\';
      *o++ = 'n';
    }
  }
  *o = '\0';
  return out;
}

static int write_id_map(pid_t pid, const char *file, const struct spec_id_mapping *maps, size_t n,
                        const char *why, struct husk_error **err) {
  if (n == 0)
    return 0;
  _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
  _cleanup_free_ char *text = id_map_text(maps, n);
  _cleanup_free_ char *shown = id_map_shown(text);
  int r = write_file_at(AT_FDCWD, path, text, err);
  TRACE(r, why, "write(%s, \"%s\")", path, shown);
  return r;
}

int ns_write_id_maps(pid_t pid, const struct spec_id_mapping *uid_maps, size_t n_uid,
                     const struct spec_id_mapping *gid_maps, size_t n_gid, bool deny_setgroups,
                     struct husk_error **err) {
  if (deny_setgroups) {
    _cleanup_free_ char *path = xasprintf("/proc/%d/setgroups", (int)pid);
    struct husk_error *e = NULL;
    int r = write_file_at(AT_FDCWD, path, "deny", &e);
    TRACE(r, "an unprivileged gid_map writer must give up setgroups(2) first",
          "write(%s, \"deny\")", path);
    /* Kernels before 3.19 have no setgroups file and need no "deny". */
    if (r < 0 && r != -ENOENT) {
      if (!err)
        husk_error_free(e);
      else
        *err = e;
      return r;
    }
    husk_error_free(e);
  }
  int r = write_id_map(pid, "uid_map", uid_maps, n_uid, "map container uids to host uids", err);
  if (r < 0)
    return r;
  return write_id_map(pid, "gid_map", gid_maps, n_gid, "map container gids to host gids", err);
}

int ns_loopback_up(struct husk_error **err) {
  _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  TRACE(fd, "a socket to configure interfaces with", "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, 0)");
  if (fd < 0)
    return husk_error_sys(err, "bring up lo: socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
  int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
  TRACE(r, "read the flags of the loopback interface", "ioctl(%d, SIOCGIFFLAGS, \"lo\")", fd);
  if (r < 0)
    return husk_error_sys(err, "bring up lo");
  ifr.ifr_flags |= IFF_UP;
  r = ioctl(fd, SIOCSIFFLAGS, &ifr);
  TRACE(r, "a new network namespace starts with lo down", "ioctl(%d, SIOCSIFFLAGS, \"lo\", IFF_UP)",
        fd);
  if (r < 0)
    return husk_error_sys(err, "bring up lo");
  return 0;
}
