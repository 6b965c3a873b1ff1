/* process.c: the container process's rlimits, user and groups, umask, cwd, environment (HOME),
 * no_new_privs and the lookup of its executable in the container's PATH — the last steps of
 * init before execve — and its oom_score_adj, written by the parent. */
#include "process.h"

#include <ctype.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "spec/spec.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int rlimit_from_name(const char *name) {
  for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
    if (strcmp(rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

/* "1024" or "unlimited" */
static const char *rlim_text(uint64_t v, char buf[24]) {
  if (v == (uint64_t)RLIM_INFINITY)
    return "unlimited";
  snprintf(buf, 24, "%" PRIu64, v);
  return buf;
}

int process_set_rlimits(const struct spec_process *proc, struct husk_error **err) {
  for (size_t i = 0; i < proc->n_rlimits; i++)
    if (rlimit_from_name(proc->rlimits[i].type) < 0)
      return husk_error_set(err, EINVAL, "process.rlimits[%zu].type: unknown rlimit \"%s\"", i,
                            proc->rlimits[i].type);
  for (size_t i = 0; i < proc->n_rlimits; i++) {
    const struct spec_rlimit *rl = &proc->rlimits[i];
    struct rlimit lim = {.rlim_cur = (rlim_t)rl->soft, .rlim_max = (rlim_t)rl->hard};
    int r = setrlimit(rlimit_from_name(rl->type), &lim);
    char soft[24], hard[24];
    TRACE(r, "process.rlimits: a resource limit the process inherits",
          "setrlimit(%s, {soft=%s, hard=%s})", rl->type, rlim_text(rl->soft, soft),
          rlim_text(rl->hard, hard));
    if (r < 0)
      return husk_error_sys(err, "process.rlimits[%zu]: setrlimit %s soft %s hard %s", i, rl->type,
                            rlim_text(rl->soft, soft), rlim_text(rl->hard, hard));
  }
  return 0;
}

int process_set_oom_score_adj(pid_t pid, int adj, struct husk_error **err) {
  char rel[32];
  if (pid > 0)
    snprintf(rel, sizeof(rel), "%d/oom_score_adj", (int)pid);
  else
    snprintf(rel, sizeof(rel), "self/oom_score_adj");
  _cleanup_close_ int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0)
    return husk_error_sys(err, "process.oomScoreAdj: open /proc");
  _cleanup_close_ int fd = openat(proc_fd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "process.oomScoreAdj: open /proc/%s", rel);
  /* A write meant for procfs must not land anywhere else (CVE-2025-52881). */
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return husk_error_set(err, EPERM, "process.oomScoreAdj: /proc/%s is not on procfs", rel);
  char text[16];
  int n = snprintf(text, sizeof(text), "%d", adj);
  ssize_t w = write(fd, text, (size_t)n);
  TRACE(w, "process.oomScoreAdj: how readily the OOM killer picks the container",
        "write(\"/proc/%s\", \"%s\")", rel, text);
  if (w < 0)
    return husk_error_sys(err, "process.oomScoreAdj: write %d to /proc/%s", adj, rel);
  return 0;
}

int process_set_no_new_privs(const struct spec_process *proc, struct husk_error **err) {
  if (!proc->no_new_privileges)
    return 0;
  int r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  TRACE(r, "process.noNewPrivileges: no execve may grant privileges (setuid, file capabilities)",
        "prctl(PR_SET_NO_NEW_PRIVS, 1)");
  if (r < 0)
    return husk_error_sys(err, "prctl(PR_SET_NO_NEW_PRIVS)");
  return 0;
}

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

/* "exec PATH: no such file or directory": the reason in lower case, as runc (Go) words it,
 * because engines map it to an exit status by those words (Docker: 127 for "no such file or
 * directory", 126 for "permission denied"). */
static int exec_error(struct husk_error **err, int e, const char *name) {
  _cleanup_free_ char *reason = xstrdup(strerror(e));
  reason[0] = (char)tolower((unsigned char)reason[0]);
  return husk_error_set(err, e, "exec %s: %s", name, reason);
}

/* The program must be a file inside the container's root: resolved without /proc magic
 * links (/proc/self/fd/N, /proc/self/exe, /proc/<pid>/root), the one way a path leaves the
 * root. Kernels before openat2 (5.6) rely on the closed fds alone. */
static int check_inside_root(const char *path, struct husk_error **err) {
  struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
  TRACE(fd, "the program is inside the container: no /proc link on its way (CVE-2024-21626)",
        "openat2(AT_FDCWD, \"%s\", O_PATH, RESOLVE_NO_MAGICLINKS)", path);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  if (errno == ENOSYS)
    return 0;
  if (errno == ELOOP)
    return husk_error_set(err, EPERM,
                          "exec %s: reached through a /proc link (fd, exe, root or cwd): "
                          "the program may lie outside the container",
                          path);
  return exec_error(err, errno, path);
}

static int found(char *path, char **ret_path, struct husk_error **err) {
  int r = check_inside_root(path, err);
  if (r < 0) {
    free(path);
    return r;
  }
  *ret_path = path;
  return 0;
}

int process_find_executable(const char *name, const char *const *env, char **ret_path,
                            struct husk_error **err) {
  if (!name || !*name)
    return husk_error_set(err, ENOENT, "\"\": executable file not found in $PATH");
  if (strchr(name, '/')) {
    struct stat st;
    if (stat(name, &st) < 0)
      return exec_error(err, errno, name);
    if (S_ISDIR(st.st_mode))
      return exec_error(err, EACCES, name);
    if (faccessat(AT_FDCWD, name, X_OK, AT_EACCESS) < 0)
      return exec_error(err, errno, name);
    return found(xstrdup(name), ret_path, err);
  }
  const char *path = env_lookup(env, "PATH");
  if (!path)
    path = DEFAULT_PATH;
  _cleanup_free_ char *dirs = xstrdup(path);
  /* strsep, not strtok: an empty element means the current directory, as in execvp. */
  char *rest = dirs;
  for (char *dir = strsep(&rest, ":"); dir; dir = strsep(&rest, ":")) {
    _cleanup_free_ char *candidate = xasprintf("%s/%s", *dir ? dir : ".", name);
    if (is_executable_file(candidate))
      return found(TAKE_PTR(candidate), ret_path, err);
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
