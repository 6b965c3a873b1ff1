/* test_escapes.c: the runtime attacked as a careful reviewer would, always through a copy of its
 * binary at a path the test owns (so a successful attack harms nothing else):
 *   - CVE-2019-5736 class: a container program whose interpreter is /proc/self/exe makes the
 *     kernel run the runtime's binary inside the container; a container process takes a handle
 *     on /proc/<pid>/exe and later writes through it. Through exec, and through a health probe.
 *   - CVE-2024-21626 class: a host directory fd leaked into the runtime, and the program given
 *     as /proc/self/fd/7/...: through exec and through the init (run).
 *   - local users: an unprivileged user cannot open, read, write or connect to anything under a
 *     container's state directory, whatever the runtime's umask was. */
#include "harness.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void copy_file(const char *src, const char *dst, mode_t mode) {
  size_t len = 0;
  FILE *in = fopen(src, "rb");
  ck_assert_msg(in, "open %s: %s", src, strerror(errno));
  FILE *out = fopen(dst, "wb");
  ck_assert_msg(out, "create %s: %s", dst, strerror(errno));
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
    ck_assert(fwrite(buf, 1, n, out) == n);
    len += n;
  }
  fclose(in);
  ck_assert_int_eq(fclose(out), 0);
  ck_assert_int_eq(chmod(dst, mode), 0);
  ck_assert(len > 0);
}

static void mkdir_p(const char *path) {
  char *p = strdup(path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      mkdir(p, 0755);
      *s = '/';
    }
  mkdir(p, 0755);
  free(p);
}

/* The runtime's binary copied into a directory of the test's; returns its path. */
static char *copy_runtime(const char *name) {
  _h_free_ char *dir = h_dir_new(name);
  _h_free_ char *rt = strdup(h_runtime());
  char *path = NULL;
  ck_assert(asprintf(&path, "%s/%s", dir, basename(rt)) > 0);
  copy_file(h_runtime(), path, 0755);
  return path;
}

/* The shared libraries ldd lists for binary, copied into rootfs at the same paths: the
 * binary then runs inside the container, as it would in any image that has them. */
static void copy_libraries(const char *binary, const char *rootfs) {
  _h_free_ char *cmd = NULL;
  ck_assert(asprintf(&cmd, "ldd '%s' 2>/dev/null", binary) > 0);
  FILE *p = popen(cmd, "r");
  ck_assert(p);
  char line[1024];
  while (fgets(line, sizeof(line), p)) {
    for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
      if (tok[0] != '/')
        continue;
      _h_free_ char *dst = NULL;
      ck_assert(asprintf(&dst, "%s%s", rootfs, tok) > 0);
      _h_free_ char *dir = strdup(dst);
      mkdir_p(dirname(dir));
      char real[4096];
      if (realpath(tok, real))
        copy_file(real, dst, 0755);
    }
  }
  pclose(p);
}

/* Run the runtime copy with --root and the given arguments. */
static struct h_result rt_copy(const char *copy, int leak_fd, const char *arg, ...) {
  const char *argv[32] = {copy, "--root", h_state_root()};
  size_t n = 3;
  va_list ap;
  va_start(ap, arg);
  for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  return h_proc_wait(h_spawn((char *const *)argv, leak_fd), H_TIMEOUT_MS);
}

static bool same_file(const char *a, const char *b) {
  _h_result_ struct h_result r =
      h_proc_wait(h_spawn((char *const[]){"/usr/bin/cmp", "-s", (char *)a, (char *)b, NULL}, -1),
                  H_TIMEOUT_MS);
  return r.status == 0;
}

/* ---- CVE-2019-5736: /proc/self/exe as a program's interpreter ---- */

/* The container's side of the attack. For every process whose command line starts with
 * /proc/self/exe (the interpreter of /bin/evil), it takes a handle on its exe, records what
 * that is, releases the process (which blocks opening the --log fifo /tmp/hold for writing),
 * then tries for a while to overwrite the file through the handle. */
#define ATTACKER                                                                                   \
  "mkfifo /tmp/hold; touch /tmp/report; "                                                          \
  "while :; do for d in /proc/[0-9]*; do "                                                         \
  "case \"$(tr '\\0' ' ' < $d/cmdline 2>/dev/null)\" in '/proc/self/exe '*) ;; *) continue;; esac; " \
  "( exec 3< $d/exe || exit 0; echo \"caught $(readlink /proc/self/fd/3)\" >> /tmp/report; "       \
  "cat /tmp/hold > /dev/null & i=0; while [ $i -lt 100 ]; do "                                     \
  "if printf '#!/bin/sh\\necho OVERWRITTEN-FROM-CONTAINER\\n' > /proc/self/fd/3 2>/dev/null; "    \
  "then echo written >> /tmp/report; break; fi; sleep 0.05; i=$((i+1)); done ) ; "                 \
  "done; sleep 0.01; done"

struct attack {
  char *copy;   /* the runtime copy */
  char *bundle; /* its rootfs holds /bin/evil and the copy's libraries */
  char *report; /* the attacker's report, from the host side */
  char *id;
};

static void attack_setup(struct attack *a, const char *name) {
  a->copy = copy_runtime(name);
  a->bundle = h_bundle_new(name);
  a->id = h_id_new(name);
  ck_assert(asprintf(&a->report, "%s/rootfs/tmp/report", a->bundle) > 0);
  _h_free_ char *rootfs = NULL, *evil = NULL;
  ck_assert(asprintf(&rootfs, "%s/rootfs", a->bundle) > 0);
  ck_assert(asprintf(&evil, "%s/bin/evil", rootfs) > 0);
  h_write(evil, "#!/proc/self/exe --log=/tmp/hold\n");
  ck_assert_int_eq(chmod(evil, 0755), 0);
  copy_libraries(a->copy, rootfs);
  _h_json_ json_t *config = h_config_load(a->bundle);
  h_config_set_cmd(config, ATTACKER);
  h_config_save(a->bundle, config);
}

/* The attacker runs as the container's process, created and started by the copy. */
static void attack_start(struct attack *a) {
  _h_result_ struct h_result c = rt_copy(a->copy, -1, "create", "--bundle", a->bundle, a->id, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  _h_result_ struct h_result s = rt_copy(a->copy, -1, "start", a->id, NULL);
  ck_assert_msg(s.status == 0, "start: %d %s", s.status, s.err);
  ck_assert(h_wait_file(a->report, 5000));
}

static void attack_free(struct attack *a) {
  free(a->copy);
  free(a->bundle);
  free(a->report);
  free(a->id);
}

/* Wait a while for the attacker to finish what it started, then: the copy is unchanged and no
 * container process ever held a handle on it. */
static void attack_check(struct attack *a) {
  for (int i = 0; i < 60; i++) {
    _h_free_ char *seen = h_read(a->report);
    if (seen && strstr(seen, "written"))
      break;
    sleep_ms(50);
  }
  _h_free_ char *seen = h_read(a->report);
  ck_assert_msg(same_file(a->copy, h_runtime()),
                "the container overwrote the runtime binary on the host: %s", seen);
  ck_assert_msg(!seen || !strstr(seen, a->copy),
                "a container process held a handle on the runtime binary: %s", seen);
}

START_TEST(test_exec_self_exe_interpreter) {
  struct attack a = {0};
  attack_setup(&a, "selfexe");
  attack_start(&a);
  /* Its status does not matter: only what the container could do meanwhile. */
  _h_result_ struct h_result e = rt_copy(a.copy, -1, "exec", a.id, "/bin/evil", NULL);
  attack_check(&a);
  attack_free(&a);
}
END_TEST

/* A health probe is an exec made by the monitor: the same attack through --health-cmd. */
START_TEST(test_probe_self_exe_interpreter) {
  if (!h_is_husk())
    return; /* health probes are husk's own */
  struct attack a = {0};
  attack_setup(&a, "probeexe");
  /* CMD, not CMD-SHELL: a shell would be the one to execute /bin/evil. */
  _h_json_ json_t *config = h_config_load(a.bundle);
  h_config_set(config, "annotations",
               json_pack("{s:s}", "io.husk.healthcheck",
                         "{\"Test\":[\"CMD\",\"/bin/evil\"],\"Interval\":1000000000,"
                         "\"Timeout\":3000000000}"));
  h_config_save(a.bundle, config);
  _h_result_ struct h_result r = rt_copy(a.copy, -1, "run", "-d", "--name", a.id, a.bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  sleep_ms(2500);
  /* The monitor runs the copy until the container stops: stop it, then give the attacker its
   * chance to write. */
  _h_result_ struct h_result k = rt_copy(a.copy, -1, "kill", a.id, "KILL", NULL);
  attack_check(&a);
  attack_free(&a);
}
END_TEST

/* ---- CVE-2024-21626: the program through a leaked host fd ---- */

/* A host directory with `echo` (busybox, which runs its applet by argv[0]'s name): if it ever
 * runs in the container it prints CANARY-RAN. Returns an fd of the directory, as fd 7. */
static int canary_dir_fd(void) {
  _h_free_ char *dir = h_dir_new("canary");
  _h_free_ char *bin = NULL;
  ck_assert(asprintf(&bin, "%s/echo", dir) > 0);
  copy_file("/bin/busybox", bin, 0755);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(dup3(fd, 7, O_CLOEXEC), 7);
  close(fd);
  return 7;
}

START_TEST(test_exec_program_through_leaked_fd) {
  _h_free_ char *copy = copy_runtime("fdexec");
  _h_free_ char *bundle = h_bundle_cmd("fdexec", "sleep 300");
  _h_free_ char *id = h_id_new("fdexec");
  _h_result_ struct h_result c = rt_copy(copy, -1, "create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  _h_result_ struct h_result s = rt_copy(copy, -1, "start", id, NULL);
  ck_assert_msg(s.status == 0, "start: %d %s", s.status, s.err);
  int fd = canary_dir_fd();
  _h_result_ struct h_result e =
      rt_copy(copy, fd, "exec", id, "/proc/self/fd/7/echo", "CANARY-RAN", NULL);
  _h_result_ struct h_result d =
      rt_copy(copy, fd, "exec", "-d", id, "/proc/self/fd/7/echo", "CANARY-RAN", NULL);
  close(fd);
  ck_assert_msg(!strstr(e.out, "CANARY-RAN"), "a host binary ran in the container: %s", e.out);
  ck_assert_msg(e.status != 0, "exec of a program outside the container succeeded: %s", e.out);
  ck_assert_msg(d.status != 0, "exec -d of a program outside the container succeeded");
  if (h_is_husk())
    ck_assert_msg(strstr(e.err, "/proc/self/fd/7/echo"), "the error names no program: %s", e.err);
}
END_TEST

START_TEST(test_init_program_through_leaked_fd) {
  _h_free_ char *copy = copy_runtime("fdinit");
  _h_free_ char *bundle = h_bundle_new("fdinit");
  _h_free_ char *id = h_id_new("fdinit");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "process.args", json_pack("[s, s]", "/proc/self/fd/7/echo", "CANARY-RAN"));
  h_config_save(bundle, config);
  int fd = canary_dir_fd();
  _h_result_ struct h_result r = rt_copy(copy, fd, "run", "--bundle", bundle, id, NULL);
  close(fd);
  ck_assert_msg(!strstr(r.out, "CANARY-RAN"), "a host binary ran in the container: %s", r.out);
  ck_assert_msg(r.status != 0, "run of a program outside the container succeeded: %s", r.out);
}
END_TEST

/* Also without a leaked fd, /proc/self/exe names the runtime until the program is executed:
 * as the program itself it is refused, or is the runtime's throwaway copy. */
START_TEST(test_program_is_proc_self_exe) {
  struct attack a = {0};
  attack_setup(&a, "selfprog");
  attack_start(&a);
  _h_result_ struct h_result e =
      rt_copy(a.copy, -1, "exec", a.id, "/proc/self/exe", "--log=/tmp/hold", "state", NULL);
  attack_check(&a);
  attack_free(&a);
}
END_TEST

/* ---- local users ---- */

/* As uid/gid 65534: can it open path for reading or writing, list it, or connect to it? */
static bool nobody_can_touch(const char *path, char *what, size_t len) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
        setresuid(65534, 65534, 65534) < 0)
      _exit(100);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
      _exit(1);
    fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 || errno == ENXIO) /* ENXIO: a fifo it could open, had it a reader */
      _exit(2);
    struct stat st;
    if (stat(path, &st) == 0)
      _exit(3);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (strlen(path) < sizeof(sa.sun_path) && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
      _exit(4);
    _exit(0);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  static const char *const names[] = {"nothing", "read", "write", "stat", "connect"};
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 99;
  snprintf(what, len, "%s", code < 5 ? names[code] : "could not become nobody");
  return code == 0;
}

/* Every entry of a container's state directory, and the directory, out of nobody's reach. */
static void check_owner_only(const char *id) {
  _h_free_ char *dir = NULL;
  ck_assert(asprintf(&dir, "%s/%s", h_state_root(), id) > 0);
  char what[64];
  ck_assert_msg(nobody_can_touch(dir, what, sizeof(what)), "nobody could %s %s", what, dir);
  DIR *d = opendir(dir);
  ck_assert(d);
  int files = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    _h_free_ char *path = NULL;
    ck_assert(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
    ck_assert_msg(nobody_can_touch(path, what, sizeof(what)), "nobody could %s %s", what, path);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    /* pid files are 0644 as runc's (engines read them), and so are the /etc files run binds
     * into the container (its non-root user reads them); the directory guards them */
    size_t len = strlen(e->d_name);
    bool etc_file = !strcmp(e->d_name, "hosts") || !strcmp(e->d_name, "hostname") ||
                    !strcmp(e->d_name, "resolv.conf");
    if (h_is_husk() && !etc_file && !(len > 4 && strcmp(e->d_name + len - 4, ".pid") == 0))
      ck_assert_msg(!(st.st_mode & 077), "%s has mode %o", path, st.st_mode & 07777);
    files++;
  }
  closedir(d);
  ck_assert_msg(files > 0, "nothing in %s", dir);
}

START_TEST(test_state_dir_is_owner_only) {
  _h_free_ char *bundle = h_bundle_cmd("perm", "echo secret-output; sleep 300");
  _h_free_ char *created = h_id_new("permc");
  _h_free_ char *running = h_id_new("permr");
  /* Whatever the umask the runtime runs with. */
  mode_t old = umask(0);
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, created, NULL);
  _h_result_ struct h_result r =
      h_is_husk() ? h_rt("run", "-d", "--name", running, "--health-cmd", "echo token-123",
                         "--health-interval", "1s", bundle, NULL)
                  : h_rt("run", "-d", "--bundle", bundle, running, NULL);
  umask(old);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  if (h_is_husk())
    sleep_ms(1500); /* a probe has run: health.json and events.jsonl exist */
  char what[64];
  ck_assert_msg(nobody_can_touch(h_state_root(), what, sizeof(what)) || strcmp(what, "stat") == 0,
                "nobody could %s the state root", what);
  check_owner_only(created);
  check_owner_only(running);
  /* The runtime itself, run by that user against root's containers, is refused too. */
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
        setresuid(65534, 65534, 65534) < 0)
      _exit(100);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(h_runtime(), h_runtime(), "--root", h_state_root(), "start", created, (char *)NULL);
    _exit(101);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) < 100,
                "start as nobody: status %d", st);
  ck_assert_msg(h_wait_status(created, "created", 1000), "nobody's start changed the container");
}
END_TEST

int main(void) {
  Suite *s = suite_create("escapes");
  TCase *tc = h_tcase("escapes");
  tcase_add_test(tc, test_exec_self_exe_interpreter);
  tcase_add_test(tc, test_probe_self_exe_interpreter);
  tcase_add_test(tc, test_program_is_proc_self_exe);
  tcase_add_test(tc, test_exec_program_through_leaked_fd);
  tcase_add_test(tc, test_init_program_through_leaked_fd);
  tcase_add_test(tc, test_state_dir_is_owner_only);
  suite_add_tcase(s, tc);
  return h_main(s);
}
