/* harness.c: the integration tests' shared machinery (see harness.h): which runtime runs,
 * bundles and their configs, running commands with a timeout, host-side inspection, and the
 * cleanup that keeps a failing test from leaving containers, mounts or files behind. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Set once by h_main and inherited by every forked test. */
static char *g_runtime;
static bool g_is_husk;
static char *g_workdir;
static char *g_root;
static char *g_base;
static char *g_ids_file;

/* What the current test made; its teardown removes them. */
static char **g_test_ids;
static size_t g_n_test_ids;
static char **g_test_dirs;
static size_t g_n_test_dirs;
static unsigned g_counter;

static char *h_strdup(const char *s) {
  char *p = strdup(s);
  if (!p)
    abort();
  return p;
}

char *h_asprintf(const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0)
    abort();
  return s;
}

static void push(char ***v, size_t *n, char *s) {
  char **nv = realloc(*v, (*n + 1) * sizeof(char *));
  if (!nv)
    abort();
  nv[(*n)++] = s;
  *v = nv;
}

long long h_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void h_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

const char *h_runtime(void) { return g_runtime; }
bool h_is_husk(void) { return g_is_husk; }
const char *h_state_root(void) { return g_root; }

void h_result_free(struct h_result *r) {
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}

/* ---- running commands ---- */

struct buf {
  char *data;
  size_t len, cap;
};

struct h_proc {
  pid_t pid;
  int pidfd;
  int fds[2]; /* stdout, stderr read ends; -1 after EOF */
  struct buf bufs[2];
};

/* Read what is available; false on EOF or error. */
static bool buf_read(int fd, struct buf *b) {
  if (b->cap - b->len < 4096) {
    b->cap = b->cap * 2 + 8192;
    b->data = realloc(b->data, b->cap);
    if (!b->data)
      abort();
  }
  ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
  if (n < 0 && errno == EINTR)
    return true;
  if (n <= 0)
    return false;
  b->len += (size_t)n;
  return true;
}

static char *buf_take(struct buf *b) {
  if (!b->data)
    return h_strdup("");
  b->data[b->len] = '\0';
  char *s = b->data;
  b->data = NULL;
  return s;
}

static struct h_proc *spawn_argv_leaking(char *const *argv, int leak_fd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
    abort();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    abort();
  if (pid == 0) {
    /* Its own process group, so a timeout can kill everything it started. */
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
      _exit(127);
    if (leak_fd >= 3) { /* left open on purpose, without close-on-exec */
      close_range(3, (unsigned)leak_fd - 1, 0);
      close_range((unsigned)leak_fd + 1, ~0U, 0);
      fcntl(leak_fd, F_SETFD, 0);
    } else {
      close_range(3, ~0U, 0);
    }
    execv(argv[0], argv);
    dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  struct h_proc *p = calloc(1, sizeof(*p));
  if (!p)
    abort();
  p->pid = pid;
  p->pidfd = pidfd_open(pid, 0);
  if (p->pidfd < 0)
    abort();
  p->fds[0] = out[0];
  p->fds[1] = err[0];
  return p;
}

static struct h_proc *spawn_argv(char *const *argv) { return spawn_argv_leaking(argv, -1); }

struct h_proc *h_spawn(char *const *argv, int leak_fd) {
  return spawn_argv_leaking(argv, leak_fd);
}

pid_t h_proc_pid(const struct h_proc *p) { return p->pid; }

static int wait_status_code(int wstatus) {
  if (WIFEXITED(wstatus))
    return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus))
    return 128 + WTERMSIG(wstatus);
  return -1;
}

struct h_result h_proc_wait(struct h_proc *p, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  bool exited = false;
  int wstatus = 0;
  while (!exited) {
    long long left = deadline - h_now_ms();
    if (left <= 0)
      break;
    struct pollfd pfd[3] = {{p->fds[0], POLLIN, 0}, {p->fds[1], POLLIN, 0}, {p->pidfd, POLLIN, 0}};
    if (poll(pfd, 3, (int)left) < 0) {
      if (errno == EINTR)
        continue;
      abort();
    }
    for (int i = 0; i < 2; i++)
      if (p->fds[i] >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
          !buf_read(p->fds[i], &p->bufs[i])) {
        close(p->fds[i]);
        p->fds[i] = -1;
      }
    /* The pidfd turns readable when the process exits. Its output may still be held open by
     * a container it started (create, run -d), so do not wait for EOF: drain what is there. */
    if (pfd[2].revents & POLLIN)
      exited = waitpid(p->pid, &wstatus, 0) == p->pid;
  }
  struct h_result r = {.status = -1};
  if (exited) {
    r.status = wait_status_code(wstatus);
  } else {
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &wstatus, 0);
  }
  for (int i = 0; i < 2; i++) {
    if (p->fds[i] < 0)
      continue;
    fcntl(p->fds[i], F_SETFL, O_NONBLOCK);
    while (buf_read(p->fds[i], &p->bufs[i]))
      ;
    close(p->fds[i]);
  }
  close(p->pidfd);
  r.out = buf_take(&p->bufs[0]);
  r.err = buf_take(&p->bufs[1]);
  if (r.status < 0) {
    char *e = h_asprintf("%s[harness: killed after %d ms]\n", r.err, timeout_ms);
    free(r.err);
    r.err = e;
  }
  free(p);
  return r;
}

/* argv = runtime [--root R] args...; the strings are borrowed. */
static struct h_proc *spawn_rt(bool with_root, const char *arg, va_list ap) {
  const char *argv[64];
  size_t n = 0;
  argv[n++] = g_runtime;
  if (with_root) {
    argv[n++] = "--root";
    argv[n++] = g_root;
  }
  for (const char *a = arg; a; a = va_arg(ap, const char *)) {
    if (n >= ARRAY_LEN(argv) - 1)
      abort();
    argv[n++] = a;
  }
  argv[n] = NULL;
  return spawn_argv((char *const *)argv);
}

struct h_result h_rt(const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_proc *p = spawn_rt(true, arg, ap);
  va_end(ap);
  return h_proc_wait(p, H_TIMEOUT_MS);
}

struct h_result h_rt_noroot(const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_proc *p = spawn_rt(false, arg, ap);
  va_end(ap);
  return h_proc_wait(p, H_TIMEOUT_MS);
}

struct h_proc *h_rt_spawn(const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_proc *p = spawn_rt(true, arg, ap);
  va_end(ap);
  return p;
}

static int run_tool(const char *arg0, ...) {
  const char *argv[16];
  size_t n = 0;
  va_list ap;
  va_start(ap, arg0);
  for (const char *a = arg0; a && n < ARRAY_LEN(argv) - 1; a = va_arg(ap, const char *))
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  _h_result_ struct h_result r = h_proc_wait(spawn_argv((char *const *)argv), H_TIMEOUT_MS);
  if (r.status != 0)
    fprintf(stderr, "harness: %s failed (%d): %s%s", arg0, r.status, r.out, r.err);
  return r.status;
}

/* ---- files ---- */

bool h_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* The whole file, NUL-terminated, and its length (it may hold NULs itself). */
static char *read_len(const char *path, size_t *ret_len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct buf b = {0};
  while (buf_read(fd, &b))
    ;
  close(fd);
  *ret_len = b.len;
  return buf_take(&b);
}

char *h_read(const char *path) {
  size_t len;
  return read_len(path, &len);
}

void h_write(const char *path, const char *data) {
  FILE *f = fopen(path, "we");
  ck_assert_msg(f, "open %s: %s", path, strerror(errno));
  fputs(data, f);
  ck_assert_msg(fclose(f) == 0, "write %s: %s", path, strerror(errno));
}

int h_lines(const char *s) {
  int n = 0;
  for (const char *p = s; *p; p++)
    if (*p == '\n' || p[1] == '\0')
      n++;
  return n;
}

bool h_wait_file(const char *path, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  while (!h_exists(path)) {
    if (h_now_ms() > deadline)
      return false;
    h_sleep_ms(20);
  }
  return true;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  if (remove(path) < 0 && errno != ENOENT)
    fprintf(stderr, "harness: remove %s: %s\n", path, strerror(errno));
  return 0;
}

/* rm -rf that never crosses into another file system (a mount left behind, say). */
static void rm_rf(const char *path) { nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT); }

/* ---- bundles, ids, configs ---- */

char *h_dir_new(const char *name) {
  char *dir = h_asprintf("%s/%s-%d-%u", g_workdir, name, (int)getpid(), g_counter++);
  ck_assert_msg(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
  push(&g_test_dirs, &g_n_test_dirs, h_strdup(dir));
  return dir;
}

char *h_bundle_new(const char *name) {
  char *dir = h_asprintf("%s/%s-%d-%u", g_workdir, name, (int)getpid(), g_counter++);
  push(&g_test_dirs, &g_n_test_dirs, h_strdup(dir));
  ck_assert_msg(run_tool("/bin/cp", "-a", g_base, dir, NULL) == 0, "copying the base bundle");
  return dir;
}

char *h_bundle_cmd(const char *name, const char *cmd) {
  char *bundle = h_bundle_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  h_config_save(bundle, config);
  return bundle;
}

char *h_id_new(const char *name) {
  char *id = h_asprintf("hit-%d-%s-%u", (int)getpid(), name, g_counter++);
  push(&g_test_ids, &g_n_test_ids, h_strdup(id));
  /* h_main reads this after the run: a failed test never reaches its teardown. */
  FILE *f = fopen(g_ids_file, "ae");
  if (f) {
    fprintf(f, "%s\n", id);
    fclose(f);
  }
  return id;
}

json_t *h_config_load(const char *bundle) {
  _h_free_ char *path = h_asprintf("%s/config.json", bundle);
  json_error_t e;
  json_t *config = json_load_file(path, 0, &e);
  ck_assert_msg(config, "%s: %s", path, e.text);
  return config;
}

void h_config_save(const char *bundle, json_t *config) {
  _h_free_ char *path = h_asprintf("%s/config.json", bundle);
  ck_assert_msg(json_dump_file(config, path, JSON_INDENT(2)) == 0, "writing %s", path);
}

/* The object holding the last component of a dotted path; *ret_key points into copy. */
static json_t *walk(json_t *config, char *copy, bool create, char **ret_key) {
  json_t *obj = config;
  char *key = copy;
  for (char *dot; (dot = strchr(key, '.')); key = dot + 1) {
    *dot = '\0';
    json_t *next = json_object_get(obj, key);
    if (!next && create) {
      next = json_object();
      json_object_set_new(obj, key, next);
    }
    ck_assert_msg(json_is_object(next), "config: %s is not an object", key);
    obj = next;
  }
  *ret_key = key;
  return obj;
}

void h_config_set(json_t *config, const char *path, json_t *value) {
  _h_free_ char *copy = h_strdup(path);
  char *key;
  json_t *obj = walk(config, copy, true, &key);
  json_object_set_new(obj, key, value);
}

void h_config_del(json_t *config, const char *path) {
  _h_free_ char *copy = h_strdup(path);
  char *key;
  json_t *obj = walk(config, copy, false, &key);
  json_object_del(obj, key);
}

void h_config_append(json_t *config, const char *path, json_t *value) {
  _h_free_ char *copy = h_strdup(path);
  char *key;
  json_t *obj = walk(config, copy, true, &key);
  json_t *array = json_object_get(obj, key);
  if (!array) {
    array = json_array();
    json_object_set_new(obj, key, array);
  }
  ck_assert_msg(json_is_array(array), "config: %s is not an array", path);
  json_array_append_new(array, value);
}

void h_config_set_cmd(json_t *config, const char *cmd) {
  h_config_set(config, "process.args", json_pack("[sss]", "sh", "-c", cmd));
}

void h_config_add_mount(json_t *config, const char *dst, const char *type, const char *src, ...) {
  json_t *options = json_array();
  va_list ap;
  va_start(ap, src);
  for (const char *o; (o = va_arg(ap, const char *));)
    json_array_append_new(options, json_string(o));
  va_end(ap);
  h_config_append(config, "mounts",
                  json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
                            "options", options));
}

void h_create_and_start(const char *bundle, const char *id) {
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create %s: %d %s", id, c.status, c.err);
  _h_result_ struct h_result s = h_rt("start", id, NULL);
  ck_assert_msg(s.status == 0, "start %s: %d %s", id, s.status, s.err);
}

void h_config_add_cap(json_t *config, const char *cap) {
  const char *sets[] = {"bounding", "effective", "permitted"};
  for (size_t i = 0; i < 3; i++) {
    _h_free_ char *path = NULL;
    ck_assert(asprintf(&path, "process.capabilities.%s", sets[i]) > 0);
    h_config_append(config, path, json_string(cap));
  }
}

void h_config_add_namespace(json_t *config, const char *type) {
  h_config_remove_namespace(config, type);
  h_config_append(config, "linux.namespaces", json_pack("{s:s}", "type", type));
}

void h_config_remove_namespace(json_t *config, const char *type) {
  json_t *nss = json_object_get(json_object_get(config, "linux"), "namespaces");
  for (size_t i = 0; i < json_array_size(nss);) {
    const char *t = json_string_value(json_object_get(json_array_get(nss, i), "type"));
    if (t && strcmp(t, type) == 0)
      json_array_remove(nss, i);
    else
      i++;
  }
}

/* ---- state ---- */

json_t *h_state(const char *id) {
  _h_result_ struct h_result r = h_rt("state", id, NULL);
  if (r.status != 0)
    return NULL;
  json_t *st = json_loads(r.out, 0, NULL);
  if (st && !json_is_object(st)) {
    json_decref(st);
    st = NULL;
  }
  return st;
}

pid_t h_state_pid(const char *id) {
  _h_json_ json_t *st = h_state(id);
  return st ? (pid_t)json_integer_value(json_object_get(st, "pid")) : 0;
}

bool h_wait_status(const char *id, const char *status, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  for (;;) {
    _h_json_ json_t *st = h_state(id);
    const char *s = json_string_value(json_object_get(st, "status"));
    if (s && strcmp(s, status) == 0)
      return true;
    if (h_now_ms() > deadline)
      return false;
    h_sleep_ms(50);
  }
}

bool h_state_dir_exists(const char *id) {
  _h_free_ char *path = h_asprintf("%s/%s", g_root, id);
  return h_exists(path);
}

/* ---- processes, mounts, cgroups on the host ---- */

bool h_pid_alive(pid_t pid) {
  if (pid <= 0)
    return false;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  _h_free_ char *stat = h_read(path);
  if (!stat)
    return false;
  const char *paren = strrchr(stat, ')');
  return paren && paren[1] && paren[2] != 'Z' && paren[2] != 'X';
}

bool h_wait_pid_gone(pid_t pid, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  while (h_pid_alive(pid)) {
    if (h_now_ms() > deadline)
      return false;
    h_sleep_ms(20);
  }
  return true;
}

bool h_process_mentions(const char *needle) {
  DIR *d = opendir("/proc");
  ck_assert(d);
  bool found = false;
  for (struct dirent *e; !found && (e = readdir(d));) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || pid == getpid())
      continue;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    size_t len;
    _h_free_ char *cmdline = read_len(path, &len);
    if (!cmdline)
      continue;
    /* Arguments are NUL-separated: join them so the needle can be found anywhere. */
    for (size_t i = 0; i < len; i++)
      if (!cmdline[i])
        cmdline[i] = ' ';
    if (strstr(cmdline, needle)) {
      fprintf(stderr, "harness: process %ld mentions %s: %s\n", pid, needle, cmdline);
      found = true;
    }
  }
  closedir(d);
  return found;
}

int h_husk_zombies(void) {
  int n = 0;
  DIR *d = opendir("/proc");
  ck_assert(d);
  for (struct dirent *e; (e = readdir(d));) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0)
      continue;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    _h_free_ char *stat = h_read(path);
    const char *paren = stat ? strrchr(stat, ')') : NULL;
    int ppid = 0;
    char state = 0;
    if (!paren || sscanf(paren + 1, " %c %d", &state, &ppid) != 2 || state != 'Z')
      continue;
    snprintf(path, sizeof(path), "/proc/%d/comm", ppid);
    _h_free_ char *comm = h_read(path);
    if (comm && strncmp(comm, "husk", 4) == 0) {
      fprintf(stderr, "harness: zombie %ld under %d (%s)", pid, ppid, comm);
      n++;
    }
  }
  closedir(d);
  return n;
}

int h_mount_count(void) {
  _h_free_ char *mi = h_read("/proc/self/mountinfo");
  ck_assert(mi);
  return h_lines(mi);
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
}

/* Mount points at path or below it, newest last. */
static size_t mounts_under(const char *path, char ***ret) {
  _h_free_ char *mi = h_read("/proc/self/mountinfo");
  size_t n = 0, plen = strlen(path);
  *ret = NULL;
  for (char *save, *line = strtok_r(mi, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char mp[4096];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
      continue;
    unescape(mp);
    if (strncmp(mp, path, plen) == 0 && (mp[plen] == '\0' || mp[plen] == '/'))
      push(ret, &n, h_strdup(mp));
  }
  return n;
}

static void strv_free_n(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

bool h_mounted_under(const char *path) {
  char **mps;
  size_t n = mounts_under(path, &mps);
  strv_free_n(mps, n);
  return n > 0;
}

/* Find (and with remove, rmdir) every directory named id in /sys/fs/cgroup, directly or up to
 * two levels below a controller. */
static bool cgroup_walk(const char *id, bool remove) {
  char **cands = NULL;
  size_t n = 0;
  push(&cands, &n, h_asprintf("/sys/fs/cgroup/%s", id));
  DIR *top = opendir("/sys/fs/cgroup");
  for (struct dirent *c; top && (c = readdir(top));) {
    if (c->d_name[0] == '.' || c->d_type != DT_DIR)
      continue;
    _h_free_ char *ctrl = h_asprintf("/sys/fs/cgroup/%s", c->d_name);
    push(&cands, &n, h_asprintf("%s/%s", ctrl, id));
    DIR *sub = opendir(ctrl);
    for (struct dirent *e; sub && (e = readdir(sub));)
      if (e->d_name[0] != '.' && e->d_type == DT_DIR)
        push(&cands, &n, h_asprintf("%s/%s/%s", ctrl, e->d_name, id));
    if (sub)
      closedir(sub);
  }
  if (top)
    closedir(top);
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    if (!h_exists(cands[i]))
      continue;
    found = true;
    if (remove && rmdir(cands[i]) < 0)
      fprintf(stderr, "harness: rmdir %s: %s\n", cands[i], strerror(errno));
  }
  strv_free_n(cands, n);
  return found;
}

bool h_cgroup_exists(const char *id) { return cgroup_walk(id, false); }

char *h_cgroup2_of(pid_t pid) {
  _h_free_ char *path = h_asprintf("/proc/%d/cgroup", (int)pid);
  _h_free_ char *text = h_read(path);
  char *line = text ? strstr(text, "0::") : NULL;
  if (!line || (line != text && line[-1] != '\n'))
    return NULL;
  line += 3;
  line[strcspn(line, "\n")] = '\0';
  return h_strdup(line);
}

void h_assert_create_fails_cleanly(const char *bundle, const char *id, const char *husk_wording) {
  int mounts_before = h_mount_count();
  _h_result_ struct h_result r = h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status != -1, "create hung: %s", r.err);
  ck_assert_msg(r.status != 0, "create succeeded on a bad config");
  ck_assert_msg(r.err[0] != '\0', "create failed (%d) without a message on stderr", r.status);
  if (h_is_husk() && husk_wording)
    ck_assert_msg(strstr(r.err, husk_wording), "stderr does not mention \"%s\": %s", husk_wording,
                  r.err);
  ck_assert_msg(h_mount_count() == mounts_before, "the host mount table changed");
  ck_assert_msg(!h_state_dir_exists(id), "a state directory was left for %s", id);
  ck_assert_msg(!h_process_mentions(id), "a process was left mentioning %s", id);
  ck_assert_msg(!h_process_mentions(bundle), "a process was left mentioning %s", bundle);
  ck_assert_msg(!h_cgroup_exists(id), "a cgroup was left for %s", id);
}

/* ---- fixtures and the run ---- */

static void teardown(void) {
  for (size_t i = 0; i < g_n_test_ids; i++) {
    struct h_result r = h_rt("delete", "--force", g_test_ids[i], NULL);
    h_result_free(&r);
  }
  strv_free_n(g_test_ids, g_n_test_ids);
  g_test_ids = NULL;
  g_n_test_ids = 0;
  for (size_t i = 0; i < g_n_test_dirs; i++)
    rm_rf(g_test_dirs[i]);
  strv_free_n(g_test_dirs, g_n_test_dirs);
  g_test_dirs = NULL;
  g_n_test_dirs = 0;
}

TCase *h_tcase(const char *name) {
  TCase *tc = tcase_create(name);
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_set_timeout(tc, 120);
  return tc;
}

/* Remove one container a test left: kill its init, then delete --force. */
static bool sweep_container(const char *id) {
  bool dirty = false;
  if (h_state_dir_exists(id)) {
    fprintf(stderr, "harness: container %s was left behind\n", id);
    pid_t pid = h_state_pid(id);
    if (pid > 0)
      kill(pid, SIGKILL);
    struct h_result r = h_rt("delete", "--force", id, NULL);
    h_result_free(&r);
    if (h_state_dir_exists(id)) {
      _h_free_ char *dir = h_asprintf("%s/%s", g_root, id);
      rm_rf(dir);
    }
    dirty = true;
  }
  if (cgroup_walk(id, true)) {
    fprintf(stderr, "harness: a cgroup of %s was left behind\n", id);
    dirty = true;
  }
  return dirty;
}

/* Everything the run left: containers, cgroups, mounts, files. True when there was any. */
static bool sweep(void) {
  bool dirty = false;
  _h_free_ char *ids = h_read(g_ids_file);
  for (char *save, *id = ids ? strtok_r(ids, "\n", &save) : NULL; id;
       id = strtok_r(NULL, "\n", &save))
    dirty |= sweep_container(id);
  DIR *d = opendir(g_root);
  for (struct dirent *e; d && (e = readdir(d));)
    if (e->d_name[0] != '.' && e->d_type == DT_DIR)
      dirty |= sweep_container(e->d_name);
  if (d)
    closedir(d);
  char **mps;
  size_t n = mounts_under(g_workdir, &mps);
  for (size_t i = n; i-- > 0;) {
    fprintf(stderr, "harness: mount %s was left behind\n", mps[i]);
    umount2(mps[i], MNT_DETACH);
  }
  strv_free_n(mps, n);
  rm_rf(g_workdir);
  return dirty || n > 0;
}

static int setup_globals(void) {
  const char *rt = getenv("OCI_RUNTIME");
  const char *husk = getenv("HUSK_BINARY");
  const char *src = getenv("HUSK_SOURCE_ROOT");
  if (!rt || !*rt)
    rt = husk;
  if (!rt || !*rt || !src) {
    fprintf(stderr, "harness: set OCI_RUNTIME or HUSK_BINARY, and HUSK_SOURCE_ROOT\n");
    return -1;
  }
  if (access(rt, X_OK) < 0) {
    fprintf(stderr, "harness: runtime %s: %s\n", rt, strerror(errno));
    return -1;
  }
  g_runtime = h_strdup(rt);
  const char *base = strrchr(rt, '/');
  g_is_husk = (husk && strcmp(rt, husk) == 0) || strcmp(base ? base + 1 : rt, "husk") == 0;

  char tmpl[] = "/tmp/husk-it-XXXXXX";
  if (!mkdtemp(tmpl) || chmod(tmpl, 0755) < 0) {
    perror("harness: mkdtemp");
    return -1;
  }
  g_workdir = h_strdup(tmpl);
  g_root = h_asprintf("%s/state", g_workdir);
  g_base = h_asprintf("%s/base", g_workdir);
  g_ids_file = h_asprintf("%s/ids", g_workdir);
  _h_free_ char *mkbundle = h_asprintf("%s/scripts/mkbundle", src);
  if (run_tool(mkbundle, g_base, NULL) != 0)
    return -1;
  fprintf(stderr, "harness: runtime %s (%s), work dir %s\n", g_runtime,
          g_is_husk ? "husk: all assertions" : "not husk: husk-only assertions skipped", g_workdir);
  return 0;
}

int h_main(Suite *s) {
  SRunner *sr = srunner_create(s);
  if (geteuid() != 0) {
    printf("skipped: the integration tests need root\n");
    srunner_free(sr);
    return 77;
  }
  if (setup_globals() < 0) {
    srunner_free(sr);
    if (g_workdir)
      rm_rf(g_workdir);
    return 1;
  }
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_VERBOSE);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  bool dirty = sweep();
  if (dirty)
    fprintf(stderr, "harness: FAIL: the tests left things behind (removed now)\n");
  return failed == 0 && !dirty ? 0 : 1;
}

int h_recv_fd(int sock) {
  char name[256];
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = control.buf,
                      .msg_controllen = sizeof(control.buf)};
  if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) < 0)
    return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (!cm || cm->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
  return fd;
}
