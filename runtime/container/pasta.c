/* pasta.c: starting and stopping the pasta that connects a container's network (pasta.h). */
#include "pasta.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "test_hooks.h"

#define PASTA_NETNS_FILE "pasta-netns"
#define PASTA_LOG_FILE "pasta.log"

static const char *pasta_path(void) {
  static const char *const paths[] = {"/usr/bin/pasta", "/usr/local/bin/pasta", "/bin/pasta"};
  for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
    if (access(paths[i], X_OK) == 0)
      return paths[i];
  return NULL;
}

/* Whether pid's command line has the argument arg (NUL-separated, as /proc shows them). */
static bool cmdline_has(long pid, const char *arg) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  _cleanup_free_ char *text = xmalloc(1 << 16);
  ssize_t got = read_all(fd, text, (1 << 16) - 1);
  if (got <= 0)
    return false;
  size_t len = (size_t)got;
  text[len] = '\0';
  for (size_t i = 0; i < len; i += strlen(text + i) + 1)
    if (strcmp(text + i, arg) == 0)
      return true;
  return false;
}

/* pasta's recorded pid, when that process is this container's pasta still: its binary is
 * passt or pasta, and its pid file (-P) is this one (a pid reused by another's is not). */
static pid_t recorded_pasta(int state_fd) {
  _cleanup_free_ char *text = NULL;
  if (read_file_at(state_fd, PASTA_PID_FILE, 64, &text, NULL) < 0)
    return 0;
  long pid = strtol(text, NULL, 10);
  if (pid <= 1)
    return 0;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
  _cleanup_free_ char *comm = NULL;
  if (read_file_at(AT_FDCWD, path, 64, &comm, NULL) < 0 ||
      (strncmp(comm, "pasta", 5) != 0 && strncmp(comm, "passt", 5) != 0) ||
      !proc_running((pid_t)pid))
    return 0;
  char fd_path[64], dir[PATH_MAX];
  snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", state_fd);
  ssize_t n = readlink(fd_path, dir, sizeof(dir) - 1);
  if (n <= 0)
    return 0;
  dir[n] = '\0';
  _cleanup_free_ char *pid_path = xasprintf("%s/%s", dir, PASTA_PID_FILE);
  return cmdline_has(pid, pid_path) ? (pid_t)pid : 0;
}

void pasta_stop(int state_fd) {
  pid_t pid = recorded_pasta(state_fd);
  if (pid > 0) {
    /* pasta keeps no state to save, and it ignores SIGTERM. */
    int r = kill(pid, SIGKILL);
    TRACE(r, "stop the pasta that connected the container's network", "kill(%d, SIGKILL)",
          (int)pid);
    /* It is the monitor's (a subreaper's) child, or init's: wait until it is gone (a zombie
     * is gone enough; its exit can take a while, letting go of the namespace and its memory),
     * ten seconds at most. The pid file stays until then: the monitor and a delete may both
     * be here at once, and neither is to return while pasta still runs. */
    for (int i = 0; i < 2000 && proc_running(pid); i++) {
      waitpid(pid, NULL, WNOHANG);
      nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
  }
  unlinkat(state_fd, PASTA_PID_FILE, 0);
  unlinkat(state_fd, PASTA_LOG_FILE, 0);
  /* A create killed while pasta was starting left the namespace's bind mount. */
  char ns_path[64];
  snprintf(ns_path, sizeof(ns_path), "/proc/self/fd/%d/%s", state_fd, PASTA_NETNS_FILE);
  if (faccessat(state_fd, PASTA_NETNS_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
    umount2(ns_path, MNT_DETACH | UMOUNT_NOFOLLOW);
    unlinkat(state_fd, PASTA_NETNS_FILE, 0);
  }
}

/* What pasta said on stderr, for the error: its last line. */
static char *pasta_message(int state_fd) {
  _cleanup_free_ char *text = NULL;
  if (read_file_at(state_fd, PASTA_LOG_FILE, 1 << 16, &text, NULL) < 0 || !*text)
    return xstrdup("no message");
  size_t len = strlen(text);
  while (len > 0 && text[len - 1] == '\n')
    text[--len] = '\0';
  char *line = strrchr(text, '\n');
  return xstrdup(line ? line + 1 : text);
}

int pasta_start(const char *state_dir, int state_fd, pid_t init_pid, char *const *port_args,
                struct husk_error **err) {
  const char *bin = pasta_path();
  if (!bin)
    return husk_error_set(err, ENOENT,
                          "--network pasta: pasta is not installed (Debian's package passt)");
  /* pasta opens the namespace by path after it dropped its privileges, when /proc/PID/ns
   * would need ptrace rights over the init: a bind mount of it in the state directory is
   * what it opens, unmounted again once pasta has it. */
  _cleanup_free_ char *ns_path = xasprintf("%s/%s", state_dir, PASTA_NETNS_FILE);
  _cleanup_free_ char *pid_path = xasprintf("%s/%s", state_dir, PASTA_PID_FILE);
  _cleanup_free_ char *proc_ns = xasprintf("/proc/%d/ns/net", (int)init_pid);
  unlinkat(state_fd, PASTA_NETNS_FILE, 0);
  int fd = openat(state_fd, PASTA_NETNS_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
  if (fd < 0)
    return husk_error_sys(err, "create %s", ns_path);
  close(fd);
  int r = mount(proc_ns, ns_path, NULL, MS_BIND, NULL);
  TRACE(r, "pin the container's network namespace where pasta opens it",
        "mount(\"%s\", \"%s\", MS_BIND)", proc_ns, ns_path);
  if (r < 0) {
    r = husk_error_sys(err, "bind %s to %s", proc_ns, ns_path);
    unlinkat(state_fd, PASTA_NETNS_FILE, 0);
    return r;
  }
  test_stop_at("create:pasta-mounted");
  int log_fd = openat(state_fd, PASTA_LOG_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  /* -t/-u none unless ports are given: nothing is published that was not asked for; -T/-U
   * none and --no-map-gw: the container reaches none of the host's own services, not even
   * through pasta's gateway address (podman's default too; pasta:--map-gw asks for it).
   * --runas 0: this pasta cannot join the namespace as nobody, with no capabilities left. */
  size_t n_args = 0;
  while (port_args && port_args[n_args])
    n_args++;
  _cleanup_free_ const char **argv = xcalloc(n_args + 24, sizeof(*argv));
  size_t n = 0;
  const char *fixed[] = {bin,  "--config-net", "--quiet", "--runas", "0",  "--no-netns-quit",
                         "-T", "none",         "-U",      "none",    "-P", pid_path};
  for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
    argv[n++] = fixed[i];
  bool tcp = false, udp = false, map_gw = false;
  for (size_t i = 0; i < n_args; i++) {
    tcp |= strcmp(port_args[i], "-t") == 0 || strcmp(port_args[i], "--tcp-ports") == 0;
    udp |= strcmp(port_args[i], "-u") == 0 || strcmp(port_args[i], "--udp-ports") == 0;
    if (strcmp(port_args[i], "--map-gw") == 0) { /* podman's own option, not pasta's */
      map_gw = true;
      continue;
    }
    argv[n++] = port_args[i];
  }
  if (!tcp)
    argv[n++] = "-t", argv[n++] = "none";
  if (!udp)
    argv[n++] = "-u", argv[n++] = "none";
  if (!map_gw)
    argv[n++] = "--no-map-gw";
  argv[n++] = "--netns";
  argv[n++] = ns_path;
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(log_fd >= 0 ? log_fd : null, STDOUT_FILENO);
    dup2(log_fd >= 0 ? log_fd : null, STDERR_FILENO);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  TRACE(pid, "start pasta, which connects the new namespace to the outside", "fork() + execv(%s)",
        bin);
  closep(&log_fd);
  int status = -1;
  if (pid > 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
  test_stop_at("create:pasta-started");
  /* pasta has the namespace open now (or failed): the mount is not needed any more. */
  umount2(ns_path, MNT_DETACH);
  unlinkat(state_fd, PASTA_NETNS_FILE, 0);
  if (pid < 0)
    return husk_error_sys(err, "fork");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || recorded_pasta(state_fd) <= 0) {
    _cleanup_free_ char *msg = pasta_message(state_fd);
    pasta_stop(state_fd);
    return husk_error_set(err, EIO, "--network pasta: pasta failed: %s", msg);
  }
  return 0;
}
