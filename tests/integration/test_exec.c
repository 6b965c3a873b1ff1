/* test_exec.c: integration tests of `exec` into a running container: exit codes, -u, -e,
 * --cwd, --process, -d with --pid-file (the process in the container's namespaces and cgroup,
 * not husk's child), paused and stopped containers, capabilities, no_new_privs and seccomp of
 * the exec'd process, signals, --preserve-fds, a bad command, --log json, a user namespace, and
 * CVE-2019-5736 (the joining husk is never readable through /proc/<pid>/exe). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A running container whose process is `sh -c cmd` (after edit); returns its id. */
static char *start_container(const char *name, const char *cmd, void (*edit)(json_t *),
                             char **ret_bundle) {
  char *bundle = h_bundle_new(name);
  char *id = h_id_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  if (edit)
    edit(config);
  h_config_save(bundle, config);
  h_create_and_start(bundle, id);
  if (ret_bundle)
    *ret_bundle = bundle;
  else
    free(bundle);
  return id;
}

static char *sleeper(const char *name) { return start_container(name, "sleep 300", NULL, NULL); }

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A process JSON file in dir; returns its path. */
static char *process_file(const char *dir, json_t *process) {
  char *path = NULL;
  ck_assert(asprintf(&path, "%s/process-%d.json", dir, rand()) > 0);
  ck_assert_int_eq(json_dump_file(process, path, 0), 0);
  json_decref(process);
  return path;
}

START_TEST(test_exec_output_and_exit_codes) {
  _h_free_ char *id = sleeper("codes");
  _h_result_ struct h_result a = h_rt("exec", id, "sh", "-c", "echo hello; echo oops >&2", NULL);
  ck_assert_msg(a.status == 0, "exec: %d %s", a.status, a.err);
  ck_assert_str_eq(a.out, "hello\n");
  ck_assert_msg(strstr(a.err, "oops\n"), "stderr: %s", a.err);
  _h_result_ struct h_result b = h_rt("exec", id, "sh", "-c", "exit 3", NULL);
  ck_assert_msg(b.status == 3, "exec exit 3: %d %s", b.status, b.err);
  /* Not the pid namespace's init, so the shell can kill itself. */
  _h_result_ struct h_result c = h_rt("exec", id, "sh", "-c", "kill -9 $$", NULL);
  ck_assert_msg(c.status == 128 + SIGKILL, "exec kill -9: %d %s", c.status, c.err);
}
END_TEST

START_TEST(test_exec_user) {
  _h_free_ char *id = sleeper("user");
  _h_result_ struct h_result a =
      h_rt("exec", "-u", "1000:1000", id, "sh", "-c", "echo $(id -u):$(id -g):$HOME", NULL);
  ck_assert_msg(a.status == 0, "exec -u: %d %s", a.status, a.err);
  /* The config's env has HOME=/root, and it is kept. */
  ck_assert_str_eq(a.out, "1000:1000:/root\n");
  /* Without :GID: runc keeps the config's gid; husk takes the uid's group from the
   * container's /etc/passwd, as docker exec does (app: 1000). */
  _h_result_ struct h_result b =
      h_rt("exec", "--user", "1000", id, "sh", "-c", "echo $(id -u):$(id -g)", NULL);
  ck_assert_msg(b.status == 0, "exec --user: %d %s", b.status, b.err);
  ck_assert_str_eq(b.out, h_is_husk() ? "1000:1000\n" : "1000:0\n");
}
END_TEST

static void run_as_app(json_t *config) {
  h_config_set(config, "process.user", json_pack("{s:i, s:i}", "uid", 1000, "gid", 1000));
}

/* docker exec -u 0 in a container whose process runs as app (1000:1000): root's primary group
 * from /etc/passwd (0), not the config's 1000; a uid /etc/passwd lacks gets group 0. */
START_TEST(test_exec_uid_primary_group) {
  if (!h_is_husk())
    return;
  _h_free_ char *id = start_container("uidgroup", "sleep 300", run_as_app, NULL);
  _h_result_ struct h_result a = h_rt("exec", id, "sh", "-c", "echo $(id -u):$(id -g)", NULL);
  ck_assert_str_eq(a.out, "1000:1000\n");
  _h_result_ struct h_result b =
      h_rt("exec", "-u", "0", id, "sh", "-c", "echo $(id -u):$(id -g)", NULL);
  ck_assert_msg(b.status == 0, "exec -u 0: %d %s", b.status, b.err);
  ck_assert_str_eq(b.out, "0:0\n");
  _h_result_ struct h_result c =
      h_rt("exec", "-u", "4242", id, "sh", "-c", "echo $(id -u):$(id -g)", NULL);
  ck_assert_msg(c.status == 0, "exec -u 4242: %d %s", c.status, c.err);
  ck_assert_str_eq(c.out, "4242:0\n");
  _h_result_ struct h_result d =
      h_rt("exec", "-u", "0:1000", id, "sh", "-c", "echo $(id -u):$(id -g)", NULL);
  ck_assert_str_eq(d.out, "0:1000\n");
}
END_TEST

/* docker exec -u NAME: the name is the container's, with its gid and groups (husk only: runc
 * takes numbers). An unknown name is refused, naming it. */
START_TEST(test_exec_user_by_name) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = NULL;
  _h_free_ char *id = start_container("username", "sleep 300", NULL, &bundle);
  _h_free_ char *group = NULL;
  ck_assert(asprintf(&group, "%s/rootfs/etc/group", bundle) > 0);
  _h_free_ char *groups = h_read(group);
  _h_free_ char *more = NULL;
  ck_assert(asprintf(&more, "%sstaff:x:50:root,app\n", groups) > 0);
  h_write(group, more);
  _h_result_ struct h_result a = h_rt("exec", "-u", "app", id, "id", NULL);
  ck_assert_msg(a.status == 0, "exec -u app: %d %s", a.status, a.err);
  ck_assert_str_eq(a.out, "uid=1000(app) gid=1000(app) groups=50(staff)\n");
  _h_result_ struct h_result b = h_rt("exec", "-u", "app:staff", id, "id", "-g", NULL);
  ck_assert_msg(b.status == 0 && strcmp(b.out, "50\n") == 0, "exec -u app:staff: %s %s", b.out,
                b.err);
  _h_result_ struct h_result c = h_rt("exec", "-u", "ghost", id, "id", NULL);
  ck_assert_msg(c.status != 0 && strstr(c.err, "--user ghost: no such user"),
                "exec -u ghost: %d %s", c.status, c.err);
}
END_TEST

START_TEST(test_exec_env_and_cwd) {
  _h_free_ char *id = sleeper("envcwd");
  _h_result_ struct h_result r = h_rt("exec", "-e", "FOO=bar", "-e", "TWO=2", "--cwd", "/tmp", id,
                                      "sh", "-c", "echo $FOO $TWO; pwd; echo $PATH", NULL);
  ck_assert_msg(r.status == 0, "exec: %d %s", r.status, r.err);
  /* The config's env is kept: PATH comes from it. */
  ck_assert_msg(strncmp(r.out, "bar 2\n/tmp\n/", 12) == 0 && strstr(r.out, "/bin"), "out: %s",
                r.out);
  _h_result_ struct h_result bad = h_rt("exec", "--cwd", "/nonexistent", id, "true", NULL);
  ck_assert_msg(bad.status != 0, "exec into a missing cwd succeeded");
  ck_assert_msg(strstr(bad.err, "/nonexistent"), "stderr: %s", bad.err);
}
END_TEST

START_TEST(test_exec_process_file) {
  _h_free_ char *dir = h_dir_new("procfile");
  _h_free_ char *id = sleeper("procfile");
  _h_free_ char *path = process_file(
      dir, json_pack("{s:[s,s,s], s:[s,s], s:s, s:{s:i, s:i}}", "args", "sh", "-c",
                     "echo $A; pwd; id -u; id -g; echo $HOME", "env", "PATH=/bin:/usr/bin",
                     "A=from-file", "cwd", "/etc", "user", "uid", 1000, "gid", 1000));
  _h_result_ struct h_result r = h_rt("exec", "--process", path, id, NULL);
  ck_assert_msg(r.status == 0, "exec --process: %d %s", r.status, r.err);
  /* No HOME in the env: the one /etc/passwd gives uid 1000. */
  ck_assert_str_eq(r.out, "from-file\n/etc\n1000\n1000\n/home/app\n");
  _h_result_ struct h_result p = h_rt("exec", "-p", path, id, NULL);
  ck_assert_msg(p.status == 0, "exec -p: %d %s", p.status, p.err);
}
END_TEST

/* runc's form: an engine's exec, detached, with a pid file. */
START_TEST(test_exec_detach_pid_file) {
  _h_free_ char *dir = h_dir_new("detach");
  _h_free_ char *id = sleeper("detach");
  _h_free_ char *pid_file = NULL;
  ck_assert(asprintf(&pid_file, "%s/exec.pid", dir) > 0);
  _h_free_ char *path = process_file(dir, json_pack("{s:[s,s], s:[s], s:s}", "args", "sleep", "60",
                                                    "env", "PATH=/bin", "cwd", "/"));
  _h_result_ struct h_result r =
      h_rt("exec", "--pid-file", pid_file, "--process", path, "--detach", id, NULL);
  ck_assert_msg(r.status == 0, "exec -d: %d %s", r.status, r.err);
  _h_free_ char *text = h_read(pid_file);
  ck_assert_msg(text, "no pid file");
  pid_t pid = (pid_t)atoi(text);
  ck_assert_msg(h_pid_alive(pid), "pid %d from the pid file is not alive", pid);
  char p[64];
  snprintf(p, sizeof(p), "/proc/%d/comm", pid);
  _h_free_ char *comm = h_read(p);
  ck_assert_msg(comm && strcmp(comm, "sleep\n") == 0, "pid file names %s", comm);
  /* Not a child of a husk still around: the joiner exited and handed it on. */
  snprintf(p, sizeof(p), "/proc/%d/status", pid);
  _h_free_ char *status = h_read(p);
  const char *ppid = strstr(status, "PPid:\t");
  ck_assert(ppid);
  snprintf(p, sizeof(p), "/proc/%d/comm", atoi(ppid + 6));
  _h_free_ char *parent = h_read(p);
  ck_assert_msg(!parent || !strstr(parent, "husk"), "the process's parent is %s", parent);
  /* In the container's namespaces and cgroup. */
  pid_t init = h_state_pid(id);
  static const char *const ns[] = {"mnt", "pid", "net", "ipc", "uts", "cgroup", "user"};
  for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
    char a[64], b[64], la[64] = "", lb[64] = "";
    snprintf(a, sizeof(a), "/proc/%d/ns/%s", pid, ns[i]);
    snprintf(b, sizeof(b), "/proc/%d/ns/%s", init, ns[i]);
    ck_assert(readlink(a, la, sizeof(la) - 1) > 0 && readlink(b, lb, sizeof(lb) - 1) > 0);
    ck_assert_msg(strcmp(la, lb) == 0, "%s: exec'd %s, init %s", ns[i], la, lb);
  }
  snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
  _h_free_ char *cg = h_read(p);
  snprintf(p, sizeof(p), "/proc/%d/cgroup", init);
  _h_free_ char *init_cg = h_read(p);
  ck_assert_msg(cg && init_cg && strcmp(cg, init_cg) == 0, "cgroup: exec'd\n%s\ninit\n%s", cg,
                init_cg);
  kill(pid, SIGKILL);
}
END_TEST

START_TEST(test_exec_paused) {
  _h_free_ char *id = sleeper("paused");
  _h_result_ struct h_result p = h_rt("pause", id, NULL);
  ck_assert_msg(p.status == 0, "pause: %d %s", p.status, p.err);
  _h_result_ struct h_result r = h_rt("exec", id, "echo", "no", NULL);
  ck_assert_msg(r.status != 0 && r.status != -1, "exec into a paused container: %d", r.status);
  ck_assert_msg(strstr(r.err, "paused"), "stderr: %s", r.err);
  if (h_is_husk())
    ck_assert_msg(r.status == 255, "status %d", r.status);
  /* Allowed with --ignore-paused: it joins the frozen cgroup, so it runs once resumed. */
  struct h_proc *e = h_rt_spawn("exec", "--ignore-paused", id, "echo", "yes", NULL);
  sleep_ms(300);
  _h_result_ struct h_result res = h_rt("resume", id, NULL);
  ck_assert_msg(res.status == 0, "resume: %d %s", res.status, res.err);
  _h_result_ struct h_result w = h_proc_wait(e, 20000);
  ck_assert_msg(w.status == 0, "exec --ignore-paused: %d %s", w.status, w.err);
  ck_assert_str_eq(w.out, "yes\n");
}
END_TEST

START_TEST(test_exec_stopped) {
  _h_free_ char *id = start_container("stopped", "true", NULL, NULL);
  ck_assert_msg(h_wait_status(id, "stopped", 10000), "the container did not stop");
  _h_result_ struct h_result r = h_rt("exec", id, "echo", "no", NULL);
  ck_assert_msg(r.status != 0 && r.status != -1, "exec into a stopped container: %d", r.status);
  ck_assert_str_eq(r.out, "");
  ck_assert_msg(strstr(r.err, "stopped"), "stderr: %s", r.err);
  _h_result_ struct h_result m = h_rt("exec", "no-such-container", "true", NULL);
  ck_assert_msg(m.status != 0 && strstr(m.err, "does not exist"), "missing: %d %s", m.status,
                m.err);
}
END_TEST

/* A created container (not started) takes an exec too, as with runc. */
START_TEST(test_exec_created) {
  _h_free_ char *bundle = h_bundle_new("created");
  _h_free_ char *id = h_id_new("created");
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  _h_result_ struct h_result r = h_rt("exec", id, "hostname", NULL);
  ck_assert_msg(r.status == 0, "exec: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "husk\n");
}
END_TEST

static json_t *strings(const char *first, ...) {
  json_t *a = json_array();
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *))
    json_array_append_new(a, json_string(s));
  va_end(ap);
  return a;
}

static void locked_down(json_t *config) {
  h_config_set(config, "process.capabilities",
               json_pack("{s:o, s:o, s:o}", "bounding", strings("CAP_CHOWN", "CAP_KILL", NULL),
                         "effective", strings("CAP_CHOWN", "CAP_KILL", NULL), "permitted",
                         strings("CAP_CHOWN", "CAP_KILL", NULL)));
  h_config_set(config, "process.noNewPrivileges", json_true());
  h_config_set(config, "linux.seccomp",
               json_pack("{s:s, s:[{s:[s,s], s:s}]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls",
                         "names", "mkdir", "mkdirat", "action", "SCMP_ACT_ERRNO"));
}

#define STATUS_LINES "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status"

/* The exec'd process gets the process config's capabilities and no_new_privs, and the
 * container's seccomp profile. */
START_TEST(test_exec_security) {
  _h_free_ char *dir = h_dir_new("security");
  _h_free_ char *id = start_container("security", "sleep 300", locked_down, NULL);
  _h_result_ struct h_result r =
      h_rt("exec", id, "sh", "-c", STATUS_LINES "; mkdir /tmp/x; echo mkdir=$?", NULL);
  ck_assert_msg(r.status == 0, "exec: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "CapEff:\t0000000000000021\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "CapBnd:\t0000000000000021\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "NoNewPrivs:\t1\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "Seccomp:\t2\n"), "out: %s", r.out);
  ck_assert_msg(strstr(r.out, "mkdir=1\n"), "mkdir was not denied: %s %s", r.out, r.err);
  /* --cap adds to the config's sets. */
  _h_result_ struct h_result c =
      h_rt("exec", "--cap", "CAP_SYS_ADMIN", id, "sh", "-c", STATUS_LINES, NULL);
  ck_assert_msg(strstr(c.out, "CapEff:\t0000000000200021\n"), "--cap: %s %s", c.out, c.err);
  /* A process file without capabilities gets the container's (as with runc); without
   * noNewPrivileges it has none; the container's seccomp profile all the same. */
  _h_free_ char *path = process_file(dir, json_pack("{s:[s,s,s], s:[s], s:s}", "args", "sh", "-c",
                                                    STATUS_LINES, "env", "PATH=/bin", "cwd", "/"));
  _h_result_ struct h_result f = h_rt("exec", "--process", path, id, NULL);
  ck_assert_msg(f.status == 0, "exec --process: %d %s", f.status, f.err);
  ck_assert_msg(strstr(f.out, "CapEff:\t0000000000000021\n"), "out: %s", f.out);
  ck_assert_msg(strstr(f.out, "NoNewPrivs:\t0\n"), "out: %s", f.out);
  ck_assert_msg(strstr(f.out, "Seccomp:\t2\n"), "out: %s", f.out);
}
END_TEST

/* And --no-new-privs sets it where the config does not. */
static void privs_allowed(json_t *config) {
  h_config_set(config, "process.noNewPrivileges", json_false());
}

START_TEST(test_exec_no_new_privs_flag) {
  _h_free_ char *id = start_container("nnp", "sleep 300", privs_allowed, NULL);
  _h_result_ struct h_result a = h_rt("exec", id, "grep", "NoNewPrivs", "/proc/self/status", NULL);
  ck_assert_msg(strstr(a.out, "NoNewPrivs:\t0\n"), "out: %s %s", a.out, a.err);
  _h_result_ struct h_result b =
      h_rt("exec", "--no-new-privs", id, "grep", "NoNewPrivs", "/proc/self/status", NULL);
  ck_assert_msg(strstr(b.out, "NoNewPrivs:\t1\n"), "out: %s %s", b.out, b.err);
}
END_TEST

START_TEST(test_exec_bad_command) {
  _h_free_ char *id = sleeper("badcmd");
  _h_result_ struct h_result r = h_rt("exec", id, "husk-no-such-binary", "arg", NULL);
  ck_assert_msg(r.status != 0 && r.status != -1, "exec of a missing binary: %d", r.status);
  ck_assert_msg(strstr(r.err, "executable file not found"), "stderr: %s", r.err);
  if (h_is_husk()) {
    ck_assert_msg(r.status == 255, "status %d (runc exits 255)", r.status);
    _h_free_ char *want = NULL;
    ck_assert(asprintf(&want,
                       "husk: exec %s: \"husk-no-such-binary\": executable file not found "
                       "in $PATH\n",
                       id) > 0);
    ck_assert_msg(strstr(r.err, want), "stderr: %s", r.err);
  }
  ck_assert_msg(!h_process_mentions("husk-no-such-binary"), "a process was left behind");
  /* The container is unharmed. */
  _h_result_ struct h_result ok = h_rt("exec", id, "true", NULL);
  ck_assert_msg(ok.status == 0, "exec after the failure: %d %s", ok.status, ok.err);
  _h_result_ struct h_result none = h_rt("exec", id, NULL);
  ck_assert_msg(none.status != 0 && none.err[0], "exec without a command: %d", none.status);
}
END_TEST

START_TEST(test_exec_log_json) {
  _h_free_ char *dir = h_dir_new("logjson");
  _h_free_ char *id = sleeper("logjson");
  _h_free_ char *log = NULL;
  ck_assert(asprintf(&log, "%s/log.json", dir) > 0);
  _h_result_ struct h_result r =
      h_rt("--log", log, "--log-format", "json", "exec", id, "husk-no-such-binary", NULL);
  ck_assert_msg(r.status != 0, "exec of a missing binary succeeded");
  _h_free_ char *text = h_read(log);
  ck_assert_msg(text, "no log file");
  json_t *rec = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
  ck_assert_msg(rec, "log is not JSON lines: %s", text);
  ck_assert_str_eq(json_string_value(json_object_get(rec, "level")), "error");
  ck_assert_msg(strstr(json_string_value(json_object_get(rec, "msg")), "executable file not found"),
                "log: %s", text);
  json_decref(rec);
}
END_TEST

/* Run the runtime with fd 3 (a pipe's write end) and stdout (another pipe); returns its pid. */
static pid_t spawn_with_fd3(char *const argv[], int *ret_fd3_read, int *ret_out_read) {
  int p3[2], po[2];
  ck_assert_int_eq(pipe2(p3, O_CLOEXEC), 0);
  ck_assert_int_eq(pipe2(po, O_CLOEXEC), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (dup2(po[1], 1) < 0 || dup3(p3[1], 3, 0) < 0)
      _exit(127);
    close_range(4, ~0U, 0);
    execv(argv[0], argv);
    _exit(127);
  }
  close(p3[1]);
  close(po[1]);
  *ret_fd3_read = p3[0];
  *ret_out_read = po[0];
  return pid;
}

static int wait_exit(pid_t pid, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    sleep_ms(20);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

static char *read_all_fd(int fd) {
  char *buf = calloc(1, 4096);
  size_t len = 0;
  ssize_t n;
  while (len < 4095 && (n = read(fd, buf + len, 4095 - len)) > 0)
    len += (size_t)n;
  close(fd);
  return buf;
}

START_TEST(test_exec_preserve_fds) {
  _h_free_ char *id = sleeper("pfds");
  char *argv[] = {(char *)h_runtime(),
                  "--root",
                  (char *)h_state_root(),
                  "exec",
                  "--preserve-fds",
                  "1",
                  id,
                  "sh",
                  "-c",
                  "echo via-fd3 >&3; ls /proc/self/fd | wc -l",
                  NULL};
  int fd3, out;
  pid_t pid = spawn_with_fd3(argv, &fd3, &out);
  int status = wait_exit(pid, 20000);
  ck_assert_msg(status == 0, "exec --preserve-fds: %d", status);
  _h_free_ char *got = read_all_fd(fd3);
  ck_assert_str_eq(got, "via-fd3\n");
  _h_free_ char *fds = read_all_fd(out);
  /* 0, 1, 2, 3 and the one ls opens for /proc/self/fd: nothing else leaked in. */
  ck_assert_msg(atoi(fds) == 5, "fds in the process: %s", fds);
}
END_TEST

/* A foreground exec passes a signal on to the process and exits with its status. */
START_TEST(test_exec_forwards_signals) {
  _h_free_ char *bundle = NULL;
  _h_free_ char *id = start_container("signals", "sleep 300", NULL, &bundle);
  _h_free_ char *ready = NULL;
  ck_assert(asprintf(&ready, "%s/rootfs/tmp/trap-ready", bundle) > 0);
  char *argv[] = {(char *)h_runtime(),
                  "--root",
                  (char *)h_state_root(),
                  "exec",
                  id,
                  "sh",
                  "-c",
                  "trap 'exit 7' TERM; touch /tmp/trap-ready; while :; do sleep 0.05; done",
                  NULL};
  int fd3, out;
  pid_t pid = spawn_with_fd3(argv, &fd3, &out);
  ck_assert_msg(h_wait_file(ready, 10000), "the exec'd shell did not start");
  kill(pid, SIGTERM);
  int status = wait_exit(pid, 10000);
  ck_assert_msg(status == 7, "exec after SIGTERM: %d (the trap exits 7)", status);
  close(fd3);
  close(out);
}
END_TEST

static json_t *all_caps(void) {
  static const char *const names[] = {"CAP_CHOWN",
                                      "CAP_DAC_OVERRIDE",
                                      "CAP_DAC_READ_SEARCH",
                                      "CAP_FOWNER",
                                      "CAP_FSETID",
                                      "CAP_KILL",
                                      "CAP_SETGID",
                                      "CAP_SETUID",
                                      "CAP_SETPCAP",
                                      "CAP_LINUX_IMMUTABLE",
                                      "CAP_NET_BIND_SERVICE",
                                      "CAP_NET_BROADCAST",
                                      "CAP_NET_ADMIN",
                                      "CAP_NET_RAW",
                                      "CAP_IPC_LOCK",
                                      "CAP_IPC_OWNER",
                                      "CAP_SYS_MODULE",
                                      "CAP_SYS_RAWIO",
                                      "CAP_SYS_CHROOT",
                                      "CAP_SYS_PTRACE",
                                      "CAP_SYS_PACCT",
                                      "CAP_SYS_ADMIN",
                                      "CAP_SYS_BOOT",
                                      "CAP_SYS_NICE",
                                      "CAP_SYS_RESOURCE",
                                      "CAP_SYS_TIME",
                                      "CAP_SYS_TTY_CONFIG",
                                      "CAP_MKNOD",
                                      "CAP_LEASE",
                                      "CAP_AUDIT_WRITE",
                                      "CAP_AUDIT_CONTROL",
                                      "CAP_SETFCAP",
                                      "CAP_MAC_OVERRIDE",
                                      "CAP_MAC_ADMIN",
                                      "CAP_SYSLOG",
                                      "CAP_WAKE_ALARM",
                                      "CAP_BLOCK_SUSPEND",
                                      "CAP_AUDIT_READ",
                                      "CAP_PERFMON",
                                      "CAP_BPF",
                                      "CAP_CHECKPOINT_RESTORE"};
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    json_array_append_new(a, json_string(names[i]));
  return a;
}

/* Root of a user namespace with every capability in it: the container process that could
 * read /proc/<pid>/exe of a dumpable husk inside its namespaces. HOME is set so the init
 * never reads /etc/passwd (a fifo in this test). */
static void user_ns_root(json_t *config) {
  h_config_add_namespace(config, "user");
  h_config_set(config, "linux.uidMappings",
               json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 100000, "size", 65536));
  h_config_set(config, "linux.gidMappings",
               json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 100000, "size", 65536));
  json_t *caps = all_caps();
  h_config_set(config, "process.capabilities",
               json_pack("{s:O, s:O, s:O, s:O}", "bounding", caps, "effective", caps, "permitted",
                         caps, "inheritable", caps));
  json_decref(caps);
  h_config_append(config, "process.env", json_string("HOME=/root"));
}

/* The container probes every husk (or runc) process it can see: can it open its exe? Each
 * such process blocks reading /etc/passwd (a fifo, for HOME) until the probe has run and
 * writes a line into the fifo. */
#define PROBE                                                                                      \
  "while :; do for d in /proc/[0-9]*; do c=$(cat $d/comm 2>/dev/null) || continue; "               \
  "case \"$c\" in husk*|runc*) "                                                                   \
  "if head -c 4 $d/exe >/dev/null 2>&1; then echo \"open $c\"; else echo \"denied $c\"; fi "       \
  ">> /tmp/probe; timeout 5 sh -c 'echo root:x:0:0:root:/root:/bin/sh > /etc/passwd';; esac; "     \
  "done; sleep 0.02; done"

START_TEST(test_exec_cve_2019_5736) {
  /* runc's init reads /etc/passwd at create (a fifo here, with no reader yet): husk only. */
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_new("cve");
  _h_free_ char *passwd = NULL, *probe = NULL;
  ck_assert(asprintf(&passwd, "%s/rootfs/etc/passwd", bundle) > 0);
  ck_assert(asprintf(&probe, "%s/rootfs/tmp/probe", bundle) > 0);
  ck_assert_int_eq(unlink(passwd), 0);
  ck_assert_int_eq(mkfifo(passwd, 0666), 0);
  chmod(passwd, 0666);
  _h_free_ char *id = h_id_new("cve");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, PROBE);
  user_ns_root(config);
  h_config_save(bundle, config);
  _h_result_ struct h_result c = h_rt("run", "-d", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "run -d: %d %s", c.status, c.err);
  _h_free_ char *dir = h_dir_new("cveproc");
  /* No HOME in env: the exec'd process looks it up in /etc/passwd. */
  _h_free_ char *path = process_file(
      dir, json_pack("{s:[s], s:[s], s:s}", "args", "true", "env", "PATH=/bin", "cwd", "/"));
  for (int i = 1; i <= 3; i++) {
    _h_result_ struct h_result r = h_rt("exec", "--process", path, id, NULL);
    ck_assert_msg(r.status == 0, "exec %d: %d %s", i, r.status, r.err);
    _h_free_ char *seen = h_read(probe);
    ck_assert_msg(seen && h_lines(seen) >= i, "the probe did not see exec %d: %s", i, seen);
    ck_assert_msg(!strstr(seen, "open"), "a container process opened husk's exe: %s", seen);
  }
}
END_TEST

/* In a user namespace the exec'd process's ids are the namespace's: 1000 inside is 101000 on
 * the host. */
START_TEST(test_exec_user_namespace) {
  _h_free_ char *dir = h_dir_new("userns");
  _h_free_ char *id = start_container("userns", "sleep 300", user_ns_root, NULL);
  _h_result_ struct h_result r = h_rt("exec", "-u", "1000:1000", id, "sh", "-c",
                                      "echo $(id -u):$(id -g); cat /proc/self/uid_map", NULL);
  ck_assert_msg(r.status == 0, "exec: %d %s", r.status, r.err);
  ck_assert_msg(strncmp(r.out, "1000:1000\n", 10) == 0 && strstr(r.out, "100000"), "out: %s",
                r.out);
  _h_free_ char *pid_file = NULL;
  ck_assert(asprintf(&pid_file, "%s/exec.pid", dir) > 0);
  _h_result_ struct h_result d =
      h_rt("exec", "-d", "--pid-file", pid_file, "-u", "1000:1000", id, "sleep", "30", NULL);
  ck_assert_msg(d.status == 0, "exec -d: %d %s", d.status, d.err);
  _h_free_ char *text = h_read(pid_file);
  ck_assert(text);
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/status", atoi(text));
  _h_free_ char *status = h_read(path);
  ck_assert_msg(status && strstr(status, "Uid:\t101000\t101000\t101000\t101000\n"), "host: %s",
                status);
  kill(atoi(text), SIGKILL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("exec");
  TCase *tc = h_tcase("exec");
  tcase_add_test(tc, test_exec_output_and_exit_codes);
  tcase_add_test(tc, test_exec_user);
  tcase_add_test(tc, test_exec_user_by_name);
  tcase_add_test(tc, test_exec_uid_primary_group);
  tcase_add_test(tc, test_exec_env_and_cwd);
  tcase_add_test(tc, test_exec_process_file);
  tcase_add_test(tc, test_exec_detach_pid_file);
  tcase_add_test(tc, test_exec_paused);
  tcase_add_test(tc, test_exec_stopped);
  tcase_add_test(tc, test_exec_created);
  tcase_add_test(tc, test_exec_security);
  tcase_add_test(tc, test_exec_no_new_privs_flag);
  tcase_add_test(tc, test_exec_bad_command);
  tcase_add_test(tc, test_exec_log_json);
  tcase_add_test(tc, test_exec_preserve_fds);
  tcase_add_test(tc, test_exec_forwards_signals);
  tcase_add_test(tc, test_exec_cve_2019_5736);
  tcase_add_test(tc, test_exec_user_namespace);
  suite_add_tcase(s, tc);
  return h_main(s);
}
