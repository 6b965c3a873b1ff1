/* process.c: the container process's user and groups, umask, cwd, environment (HOME) and the
 * lookup of its executable in the container's PATH — the last steps of init before execve. */
#include "process.h"

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "spec.h"
#include "utils.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Whether /proc/self/setgroups says "deny": then setgroups(2) fails in this user namespace.
 * A kernel without the file (before 3.19) never denies. */
static bool setgroups_denied(void) {
  _cleanup_free_ char *text = NULL;
  struct husk_error *e = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/setgroups", 64, &text, &e) < 0) {
    husk_error_free(e);
    return false;
  }
  return str_has_prefix(text, "deny");
}

/* "[1, 2, 3]" for the trace line. */
static char *gid_list_text(const gid_t *gids, size_t n) {
  size_t cap = n * 12 + 3, used = 0;
  char *buf = xmalloc(cap);
  used += (size_t)snprintf(buf, cap, "[");
  for (size_t i = 0; i < n; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%u", i ? ", " : "", (unsigned)gids[i]);
  snprintf(buf + used, cap - used, "]");
  return buf;
}

static int set_groups(const struct spec_user *user, struct husk_error **err) {
  if (setgroups_denied()) {
    if (user->n_additional_gids > 0)
      return husk_error_set(
          err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
    return 0;
  }
  _cleanup_free_ char *shown = gid_list_text(user->additional_gids, user->n_additional_gids);
  int r = setgroups(user->n_additional_gids, user->additional_gids);
  TRACE(r, "give the process exactly process.user.additionalGids", "setgroups(%zu, %s)",
        user->n_additional_gids, shown);
  if (r < 0)
    return husk_error_sys(err, "setgroups %s", shown);
  return 0;
}

int process_set_user(const struct spec_process *proc, struct husk_error **err) {
  const struct spec_user *user = &proc->user;
  int r = set_groups(user, err);
  if (r < 0)
    return r;

  unsigned gid = (unsigned)user->gid, uid = (unsigned)user->uid;
  r = setresgid(user->gid, user->gid, user->gid);
  TRACE(r, "run the process as process.user.gid", "setresgid(%u, %u, %u)", gid, gid, gid);
  if (r < 0 && errno == EINVAL)
    return husk_error_set(err, EINVAL,
                          "setresgid %u: gid %u is not mapped in the container's user namespace",
                          gid, gid);
  if (r < 0)
    return husk_error_sys(err, "setresgid %u", gid);

  r = setresuid(user->uid, user->uid, user->uid);
  TRACE(r, "run the process as process.user.uid", "setresuid(%u, %u, %u)", uid, uid, uid);
  if (r < 0 && errno == EINVAL)
    return husk_error_set(err, EINVAL,
                          "setresuid %u: uid %u is not mapped in the container's user namespace",
                          uid, uid);
  if (r < 0)
    return husk_error_sys(err, "setresuid %u", uid);

  /* runc's default when process.user.umask is absent. */
  mode_t mask = user->has_umask ? user->umask : 0022;
  mode_t old = umask(mask);
  /* umask cannot fail; it returns the previous mask, shown in octal rather than as a result. */
  TRACE(0, "files the process creates get process.user.umask", "umask(%04o /* was %04o */)",
        (unsigned)mask, (unsigned)old);
  return 0;
}

int process_chdir(const char *cwd, struct husk_error **err) {
  if (!cwd || cwd[0] != '/')
    return husk_error_set(err, EINVAL, "process.cwd %s: must be an absolute path",
                          cwd ? cwd : "(null)");
  int r = chdir(cwd);
  TRACE(r, "start the process in process.cwd", "chdir(\"%s\")", cwd);
  if (r < 0)
    return husk_error_sys(err, "chdir %s", cwd);
  /* The raw syscall, because glibc hides the kernel's "(unreachable)" prefix behind ENOENT: a
   * cwd outside the root (a leaked host fd, CVE-2024-21626) must not reach the process. */
  char buf[PATH_MAX + 1];
  long n = syscall(SYS_getcwd, buf, sizeof(buf) - 1);
  if (n < 0)
    return husk_error_sys(err, "getcwd after chdir %s", cwd);
  buf[n] = '\0';
  if (buf[0] != '/' || str_has_prefix(buf, "(unreachable)"))
    return husk_error_set(err, EPERM, "process.cwd %s: outside the container's root", cwd);
  return 0;
}

/* A regular file the process may execute (execve's own rules, with the effective ids). */
static bool is_executable_file(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
    return false;
  return faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

/* The value of the last NAME= entry in env (the one a shell would see), or NULL. */
static const char *env_lookup(const char *const *env, const char *name) {
  size_t len = strlen(name);
  const char *found = NULL;
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
      found = env[i] + len + 1;
  return found;
}

int process_find_executable(const char *name, const char *const *env, char **ret_path,
                            struct husk_error **err) {
  if (!name || !*name)
    return husk_error_set(err, ENOENT, "\"\": executable file not found in $PATH");
  if (strchr(name, '/')) {
    struct stat st;
    if (stat(name, &st) < 0)
      return husk_error_sys(err, "exec %s", name);
    if (S_ISDIR(st.st_mode))
      return husk_error_errno(err, EACCES, "exec %s", name);
    if (faccessat(AT_FDCWD, name, X_OK, AT_EACCESS) < 0)
      return husk_error_sys(err, "exec %s", name);
    *ret_path = xstrdup(name);
    return 0;
  }
  const char *path = env_lookup(env, "PATH");
  if (!path)
    path = DEFAULT_PATH;
  _cleanup_free_ char *dirs = xstrdup(path);
  /* strsep, not strtok: an empty element means the current directory, as in execvp. */
  char *rest = dirs;
  for (char *dir = strsep(&rest, ":"); dir; dir = strsep(&rest, ":")) {
    _cleanup_free_ char *candidate = xasprintf("%s/%s", *dir ? dir : ".", name);
    if (is_executable_file(candidate)) {
      *ret_path = TAKE_PTR(candidate);
      return 0;
    }
  }
  return husk_error_set(err, ENOENT, "\"%s\": executable file not found in $PATH", name);
}

/* The uid field of a passwd line: decimal digits only, in range. */
static bool parse_uid_field(const char *s, uid_t *ret) {
  if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
    return false;
  uintmax_t v = strtoumax(s, NULL, 10);
  if (v > UINT32_MAX)
    return false;
  *ret = (uid_t)v;
  return true;
}

/* Split "name:passwd:uid:gid:gecos:dir:shell" in place; false when there are too few fields. */
static bool split_passwd_line(char *line, char *fields[7]) {
  size_t n = 0;
  char *rest = line;
  for (char *f = strsep(&rest, ":"); f && n < 7; f = strsep(&rest, ":"))
    fields[n++] = f;
  for (size_t i = n; i < 7; i++)
    fields[i] = NULL;
  return n >= 6;
}

int passwd_home_for_uid(const char *passwd_path, uid_t uid, char **ret_home,
                        struct husk_error **err) {
  _cleanup_fclose_ FILE *f = fopen(passwd_path, "re");
  if (!f && errno == ENOENT) {
    *ret_home = NULL;
    return 0;
  }
  if (!f)
    return husk_error_sys(err, "open %s", passwd_path);
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, f)) >= 0) {
    if (len > 0 && line[len - 1] == '\n')
      line[len - 1] = '\0';
    char *fields[7];
    if (line[0] == '#' || !split_passwd_line(line, fields))
      continue;
    uid_t entry_uid;
    if (!parse_uid_field(fields[2], &entry_uid) || entry_uid != uid)
      continue;
    *ret_home = xstrdup(fields[5]);
    return 0;
  }
  if (ferror(f))
    return husk_error_sys(err, "read %s", passwd_path);
  *ret_home = NULL;
  return 0;
}

int process_build_env(const struct spec_process *proc, char ***ret_env, char **ret_extra,
                      struct husk_error **err) {
  size_t n = 0;
  while (proc->env && proc->env[n])
    n++;
  _cleanup_free_ char *extra = NULL;
  if (!env_lookup(proc->env, "HOME")) {
    /* After pivot_root this is the container's own /etc/passwd. */
    _cleanup_free_ char *home = NULL;
    int r = passwd_home_for_uid("/etc/passwd", proc->user.uid, &home, err);
    if (r < 0)
      return husk_error_wrap(err, "HOME for uid %u", (unsigned)proc->user.uid);
    extra = xasprintf("HOME=%s", home && *home ? home : "/");
  }
  char **env = xcalloc(n + 2, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    env[i] = (char *)proc->env[i];
  if (extra)
    env[n] = extra;
  *ret_env = env;
  *ret_extra = TAKE_PTR(extra);
  return 0;
}
