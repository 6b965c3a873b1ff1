/* engines.c: the engine suites' shared machinery (see engines.h): engine command lines with
 * input, fd 3 and a timeout, a pty through script(1), run-long scratch directories, and the
 * cgroup directories engines leave behind. */
#include "engines.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *e_strf(const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0)
    abort();
  return s;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

struct sink {
  int fd;
  char *data;
  size_t len, cap;
};

/* Read what is there: 1 when something came, 0 when nothing is there yet, -1 at EOF or on an
 * error (the fd is closed then). */
static int sink_read(struct sink *s) {
  if (s->cap - s->len < 4096) {
    s->cap = s->cap * 2 + 8192;
    s->data = realloc(s->data, s->cap);
    if (!s->data)
      abort();
  }
  ssize_t n = read(s->fd, s->data + s->len, s->cap - s->len - 1);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0) {
    close(s->fd);
    s->fd = -1;
    return -1;
  }
  s->len += (size_t)n;
  return 1;
}

/* What is left in the pipe without waiting for EOF, then the whole output. */
static char *sink_take(struct sink *s) {
  if (s->fd >= 0) {
    fcntl(s->fd, F_SETFL, O_NONBLOCK);
    while (sink_read(s) > 0)
      ;
    if (s->fd >= 0)
      close(s->fd);
  }
  if (!s->data)
    return strdup("");
  s->data[s->len] = '\0';
  return s->data;
}

static _Noreturn void child(const struct e_opts *o, int in, int out, int err, char *const *argv) {
  setpgid(0, 0);
  if (in < 0)
    in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
    _exit(127);
  if (o->fd3 >= 0 && dup2(o->fd3, 3) < 0)
    _exit(127);
  close_range(o->fd3 >= 0 ? 4 : 3, ~0U, 0);
  execvp(argv[0], argv);
  dprintf(2, "engines: exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

struct h_result e_run(const struct e_opts *opts, char *const *argv) {
  struct e_opts o = opts ? *opts : (struct e_opts){.fd3 = -1};
  int timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : E_TIMEOUT_MS;
  int out[2], err[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
      (o.input && pipe2(in, O_CLOEXEC) < 0))
    abort();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    abort();
  if (pid == 0)
    child(&o, in[0], out[1], err[1], argv);
  close(out[1]);
  close(err[1]);
  if (o.input) {
    close(in[0]);
    /* Small inputs only: they fit in the pipe, so this cannot block on a stalled reader. */
    signal(SIGPIPE, SIG_IGN);
    ssize_t n = write(in[1], o.input, strlen(o.input));
    (void)n;
    close(in[1]);
  }
  int pidfd = pidfd_open(pid, 0);
  if (pidfd < 0)
    abort();
  struct sink sinks[2] = {{.fd = out[0]}, {.fd = err[0]}};
  long long deadline = now_ms() + timeout_ms;
  bool exited = false;
  int wstatus = 0;
  while (!exited && now_ms() < deadline) {
    struct pollfd p[3] = {{sinks[0].fd, POLLIN, 0}, {sinks[1].fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (poll(p, 3, (int)(deadline - now_ms())) < 0 && errno != EINTR)
      abort();
    for (int i = 0; i < 2; i++)
      if (sinks[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        sink_read(&sinks[i]);
    /* Exit, not EOF, ends it: a daemon it started (conmon, a shim) may hold the pipes. */
    if (p[2].revents & POLLIN)
      exited = waitpid(pid, &wstatus, 0) == pid;
  }
  close(pidfd);
  struct h_result r = {.status = -1};
  if (exited) {
    r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  } else {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &wstatus, 0);
  }
  r.out = sink_take(&sinks[0]);
  r.err = sink_take(&sinks[1]);
  if (!r.out || !r.err)
    abort();
  if (r.status < 0) {
    _h_free_ char *cmd = e_shell_join(argv);
    char *e = e_strf("%s[engines: %s killed after %d ms]\n", r.err, cmd, timeout_ms);
    free(r.err);
    r.err = e;
  }
  return r;
}

struct h_result e_runl(const char *arg0, ...) {
  const char *argv[64];
  size_t n = 0;
  va_list ap;
  va_start(ap, arg0);
  for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
    if (n >= sizeof(argv) / sizeof(argv[0]) - 1)
      abort();
    argv[n++] = a;
  }
  va_end(ap);
  argv[n] = NULL;
  return e_run(NULL, (char *const *)argv);
}

struct h_result e_run_tty(const char *input, char *const *argv) {
  _h_free_ char *cmd = e_shell_join(argv);
  /* -e: script exits with the command's status; /dev/null: no typescript file. */
  char *const script[] = {"script", "-qec", cmd, "/dev/null", NULL};
  struct e_opts o = {.input = input, .fd3 = -1};
  return e_run(&o, script);
}

char *e_shell_join(char *const *argv) {
  size_t cap = 1;
  for (size_t i = 0; argv[i]; i++)
    cap += 4 * strlen(argv[i]) + 3;
  char *s = calloc(1, cap), *w = s;
  if (!s)
    abort();
  for (size_t i = 0; argv[i]; i++) {
    if (i)
      *w++ = ' ';
    *w++ = '\'';
    for (const char *r = argv[i]; *r; r++) {
      if (*r == '\'') {
        memcpy(w, "'\\''", 4);
        w += 4;
      } else {
        *w++ = *r;
      }
    }
    *w++ = '\'';
  }
  *w = '\0';
  return s;
}

char *e_trim(char *s) {
  while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
    s[--n] = '\0';
  return s;
}

char *e_workdir(const char *name) {
  _h_free_ char *root = strdup(h_state_root());
  char *slash = root ? strrchr(root, '/') : NULL;
  if (!slash)
    abort();
  *slash = '\0';
  char *dir = e_strf("%s/%s", root, name);
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
    fprintf(stderr, "engines: mkdir %s: %s\n", dir, strerror(errno));
    abort();
  }
  return dir;
}

bool e_runtime_has_exec(void) {
  _h_result_ struct h_result r = e_runl(h_runtime(), "exec", "--help", NULL);
  /* A runtime may not know --help; one without exec says it does not know the command. */
  return r.status == 0 || (r.status > 0 && !strstr(r.err, "unknown command"));
}

void e_skip(const char *test, const char *why) {
  fprintf(stderr, "engines: %s: skipped: %s\n", test, why);
}

static void push(char ***v, size_t *n, char *s) {
  if (!s)
    abort();
  *v = realloc(*v, (*n + 1) * sizeof(char *));
  if (!*v)
    abort();
  (*v)[(*n)++] = s;
}

/* Every directory below dir, deepest first, appended to v. */
static void subdirs(const char *dir, char ***v, size_t *n) {
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.' || e->d_type != DT_DIR)
      continue;
    char *sub = e_strf("%s/%s", dir, e->d_name);
    subdirs(sub, v, n);
    push(v, n, sub);
  }
  if (d)
    closedir(d);
}

int e_cgroup_children(const char *parent, const char *except, bool remove) {
  /* The hierarchies: /sys/fs/cgroup itself (v2) and each directory in it (v1, hybrid). */
  char **hier = NULL;
  size_t nh = 0;
  push(&hier, &nh, strdup("/sys/fs/cgroup"));
  DIR *d = opendir("/sys/fs/cgroup");
  for (struct dirent *e; d && (e = readdir(d));)
    if (e->d_name[0] != '.' && e->d_type == DT_DIR)
      push(&hier, &nh, e_strf("/sys/fs/cgroup/%s", e->d_name));
  if (d)
    closedir(d);
  int count = 0;
  for (size_t i = 0; i < nh; i++) {
    _h_free_ char *top = e_strf("%s/%s", hier[i], parent);
    free(hier[i]);
    struct stat st;
    if (stat(top, &st) < 0)
      continue;
    char **v = NULL;
    size_t n = 0;
    subdirs(top, &v, &n);
    for (size_t j = 0; j < n; j++) {
      const char *name = strrchr(v[j], '/') + 1;
      if (!except || strcmp(name, except) != 0) {
        count++;
        if (!remove)
          fprintf(stderr, "engines: cgroup %s is there\n", v[j]);
      }
      if (remove && rmdir(v[j]) < 0)
        fprintf(stderr, "engines: rmdir %s: %s\n", v[j], strerror(errno));
      free(v[j]);
    }
    free(v);
    if (remove && rmdir(top) < 0)
      fprintf(stderr, "engines: rmdir %s: %s\n", top, strerror(errno));
  }
  free(hier);
  return count;
}

bool e_have(const char *prog) {
  const char *path = getenv("PATH");
  _h_free_ char *copy = strdup(path ? path : "/usr/bin:/bin");
  for (char *save, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    _h_free_ char *full = e_strf("%s/%s", dir, prog);
    if (access(full, X_OK) == 0)
      return true;
  }
  return false;
}

/* A process other than this one whose command line (arguments joined by spaces) holds needle. */
static bool process_mentions(const char *needle) {
  DIR *d = opendir("/proc");
  bool found = false;
  for (struct dirent *e; d && !found && (e = readdir(d));) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || pid == getpid())
      continue;
    _h_free_ char *path = e_strf("/proc/%ld/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    struct sink s = {.fd = fd};
    while (sink_read(&s) > 0)
      ;
    if (s.fd >= 0)
      close(s.fd);
    for (size_t i = 0; i < s.len; i++)
      if (!s.data[i])
        s.data[i] = ' ';
    if (s.data) {
      s.data[s.len] = '\0';
      found = strstr(s.data, needle) != NULL;
    }
    free(s.data);
  }
  if (d)
    closedir(d);
  return found;
}

bool e_wait_no_process(const char *needle, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  while (process_mentions(needle)) {
    if (now_ms() > deadline)
      return false;
    usleep(50 * 1000);
  }
  return true;
}

pid_t e_start_daemon(char *const *argv, const char *log, const char *path_first) {
  fflush(NULL);
  pid_t pid = fork();
  ck_assert(pid >= 0);
  if (pid > 0)
    return pid;
  setsid();
  int in = open("/dev/null", O_RDONLY);
  int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
    _exit(127);
  close_range(3, ~0U, 0);
  if (path_first) {
    const char *old = getenv("PATH");
    _h_free_ char *path = e_strf("%s:%s", path_first, old ? old : "/usr/bin");
    setenv("PATH", path, 1);
  }
  execvp(argv[0], argv);
  _exit(127);
}
