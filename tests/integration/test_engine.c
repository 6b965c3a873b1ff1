/* test_engine.c: integration tests of what engines (podman/conmon, containerd's shim) rely
 * on beyond the plain lifecycle: --console-socket, --log with --log-format json, joining
 * namespaces by path, --preserve-fds, --no-pivot, delete --force of a missing container. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* A bundle whose process is `sh -c cmd`, after edit(config). */
static char *bundle_with(const char *name, const char *cmd, void (*edit)(json_t *, void *),
                         void *data) {
  char *bundle = h_bundle_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  if (edit)
    edit(config, data);
  h_config_save(bundle, config);
  return bundle;
}

/* Read from fd until needle shows up or timeout_ms pass; returns what was read. */
static char *read_until(int fd, const char *needle, int timeout_ms) {
  size_t cap = 4096, len = 0;
  char *buf = calloc(1, cap);
  for (int waited = 0; waited < timeout_ms && !strstr(buf, needle); waited += 50) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 50) <= 0 || !(p.revents & POLLIN))
      continue;
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n <= 0)
      break;
    len += (size_t)n;
    buf[len] = '\0';
  }
  return buf;
}

static void terminal_on(json_t *config, void *data) {
  (void)data;
  h_config_set(config, "process.terminal", json_true());
}

START_TEST(test_console_socket) {
  _h_free_ char *dir = h_dir_new("console");
  _h_free_ char *sock_path = NULL;
  ck_assert_int_gt(asprintf(&sock_path, "%s/console.sock", dir), 0);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, sock_path);
  ck_assert_int_eq(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
  ck_assert_int_eq(listen(listener, 1), 0);
  _h_free_ char *bundle = bundle_with("console", "tty; echo hi-from-pty", terminal_on, NULL);
  _h_free_ char *id = h_id_new("console");
  _h_result_ struct h_result c =
      h_rt("create", "--bundle", bundle, "--console-socket", sock_path, id, NULL);
  ck_assert_msg(c.status == 0, "create --console-socket: %d %s", c.status, c.err);
  int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  ck_assert_int_ge(conn, 0);
  int master = h_recv_fd(conn);
  ck_assert_msg(master >= 0, "no pty master received on the console socket");
  _h_result_ struct h_result s = h_rt("start", id, NULL);
  ck_assert_msg(s.status == 0, "start: %s", s.err);
  _h_free_ char *out = read_until(master, "hi-from-pty", 10000);
  ck_assert_msg(strstr(out, "/dev/pts/0"), "tty inside is not the pty: %s", out);
  ck_assert_msg(strstr(out, "hi-from-pty"), "no output through the pty: %s", out);
  close(master);
  close(conn);
  close(listener);
}
END_TEST

START_TEST(test_terminal_without_console_socket_fails) {
  _h_free_ char *bundle = bundle_with("noconsole", "true", terminal_on, NULL);
  _h_free_ char *id = h_id_new("noconsole");
  h_assert_create_fails_cleanly(bundle, id, "--console-socket");
}
END_TEST

START_TEST(test_log_json) {
  _h_free_ char *dir = h_dir_new("logjson");
  _h_free_ char *log = NULL;
  ck_assert_int_gt(asprintf(&log, "%s/log.json", dir), 0);
  _h_free_ char *id = h_id_new("logjson");
  _h_result_ struct h_result r = h_rt("--log", log, "--log-format", "json", "create", "--bundle",
                                      "/nonexistent-bundle", id, NULL);
  ck_assert_int_ne(r.status, 0);
  ck_assert_msg(strstr(r.err, "nonexistent-bundle"), "stderr lacks the error: %s", r.err);
  _h_free_ char *text = h_read(log);
  ck_assert_msg(text && text[0], "no log written");
  json_error_t jerr;
  _h_json_ json_t *rec = json_loads(text, JSON_DISABLE_EOF_CHECK, &jerr);
  ck_assert_msg(rec, "log line is not JSON: %s", text);
  ck_assert_str_eq(json_string_value(json_object_get(rec, "level")), "error");
  ck_assert_msg(strstr(json_string_value(json_object_get(rec, "msg")), "nonexistent-bundle"),
                "msg: %s", text);
  ck_assert_ptr_nonnull(json_string_value(json_object_get(rec, "time")));
}
END_TEST

/* A process sitting in new namespaces of the given kinds, for a container to join. */
static pid_t ns_holder(int flags) {
  int ready[2];
  ck_assert_int_eq(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    if (unshare(flags) < 0)
      _exit(1);
    if (write(ready[1], "x", 1) != 1)
      _exit(1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c;
  ck_assert_int_eq(read(ready[0], &c, 1), 1);
  close(ready[0]);
  return pid;
}

static void stop_holder(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

struct join {
  const char *type;
  char path[64];
};

static void join_namespace(json_t *config, void *data) {
  struct join *j = data;
  h_config_remove_namespace(config, j->type);
  h_config_append(config, "linux.namespaces",
                  json_pack("{s:s, s:s}", "type", j->type, "path", j->path));
  if (strcmp(j->type, "user") == 0) {
    h_config_del(config, "linux.uidMappings");
    h_config_del(config, "linux.gidMappings");
  }
}

START_TEST(test_join_network_namespace) {
  pid_t holder = ns_holder(CLONE_NEWNET);
  struct join j = {.type = "network"};
  snprintf(j.path, sizeof(j.path), "/proc/%d/ns/net", holder);
  char want[128] = {0};
  ck_assert_int_gt(readlink(j.path, want, sizeof(want) - 1), 0);
  _h_free_ char *bundle = bundle_with("joinnet", "readlink /proc/self/ns/net", join_namespace, &j);
  _h_free_ char *id = h_id_new("joinnet");
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  stop_holder(holder);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, want), "container is in %s, not %s", r.out, want);
}
END_TEST

START_TEST(test_join_user_namespace) {
  if (!h_is_husk())
    return; /* runc 1.1 insists on uidMappings even when it joins a user namespace */
  pid_t holder = ns_holder(CLONE_NEWUSER);
  char map_path[64];
  snprintf(map_path, sizeof(map_path), "/proc/%d/uid_map", holder);
  h_write(map_path, "0 300000 65536\n");
  snprintf(map_path, sizeof(map_path), "/proc/%d/gid_map", holder);
  h_write(map_path, "0 300000 65536\n");
  struct join j = {.type = "user"};
  snprintf(j.path, sizeof(j.path), "/proc/%d/ns/user", holder);
  /* The container's other new namespaces must be owned by the joined user namespace: its
   * root may then mount proc for its own pid namespace, which the run below needs. */
  _h_free_ char *bundle =
      bundle_with("joinuser", "cat /proc/self/uid_map; id -u", join_namespace, &j);
  _h_free_ char *id = h_id_new("joinuser");
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  stop_holder(holder);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "300000"), "uid_map inside: %s", r.out);
  ck_assert_msg(strstr(r.out, "\n0\n"), "not root inside: %s", r.out);
}
END_TEST

START_TEST(test_join_missing_namespace_fails) {
  struct join j = {.type = "network", .path = "/proc/999999999/ns/net"};
  _h_free_ char *bundle = bundle_with("joinmissing", "true", join_namespace, &j);
  _h_free_ char *id = h_id_new("joinmissing");
  h_assert_create_fails_cleanly(bundle, id, "linux.namespaces");
}
END_TEST

START_TEST(test_no_pivot) {
  _h_free_ char *bundle = bundle_with("nopivot", "cat /etc/hostname; ls /", NULL, NULL);
  _h_free_ char *id = h_id_new("nopivot");
  _h_result_ struct h_result r = h_rt("run", "--no-pivot", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run --no-pivot: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "bin"), "root is not the bundle's rootfs: %s", r.out);
}
END_TEST

/* --preserve-fds 1: the runtime's fd 3 reaches the process; fd 4 does not. The harness
 * closes every fd above 2 for the runtime, so this test spawns it itself. */
START_TEST(test_preserve_fds) {
  _h_free_ char *bundle =
      bundle_with("preserve", "echo through-fd3 >&3; ls /proc/self/fd/4 2>/dev/null || echo no-fd4",
                  NULL, NULL);
  _h_free_ char *id = h_id_new("preserve");
  int p[2], out[2];
  ck_assert_int_eq(pipe(p), 0);
  ck_assert_int_eq(pipe(out), 0);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(p[1], 3);
    dup2(devnull, 4);
    close_range(5, ~0U, 0);
    execl(h_runtime(), h_runtime(), "--root", h_state_root(), "run", "--preserve-fds", "1",
          "--bundle", bundle, id, (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  close(out[1]);
  _h_free_ char *via3 = read_until(p[0], "through-fd3", 10000);
  _h_free_ char *stdout_text = read_until(out[0], "no-fd4", 10000);
  int ws;
  waitpid(pid, &ws, 0);
  ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "run --preserve-fds failed");
  ck_assert_msg(strstr(via3, "through-fd3"), "fd 3 did not reach the process: %s", via3);
  ck_assert_msg(strstr(stdout_text, "no-fd4"), "fd 4 leaked into the process: %s", stdout_text);
  close(p[0]);
  close(out[0]);
}
END_TEST

static void cgroup_ns_and_domain(json_t *config, void *data) {
  (void)data;
  h_config_add_namespace(config, "cgroup");
  h_config_set(config, "domainname", json_string("lab.example"));
}

/* The ipc and cgroup namespaces are new (not the host's), and domainname is set. */
START_TEST(test_ipc_cgroup_namespaces_and_domainname) {
  _h_free_ char *bundle =
      bundle_with("ipccg",
                  "cat /proc/sys/kernel/domainname; readlink /proc/self/ns/ipc; "
                  "readlink /proc/self/ns/cgroup",
                  cgroup_ns_and_domain, NULL);
  _h_free_ char *id = h_id_new("ipccg");
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  char host_ipc[64] = {0}, host_cg[64] = {0};
  ck_assert_int_gt(readlink("/proc/self/ns/ipc", host_ipc, sizeof(host_ipc) - 1), 0);
  ck_assert_int_gt(readlink("/proc/self/ns/cgroup", host_cg, sizeof(host_cg) - 1), 0);
  if (h_is_husk()) /* Debian's runc 1.1 ignores domainname */
    ck_assert_msg(strncmp(r.out, "lab.example\n", 12) == 0, "domainname: %s", r.out);
  ck_assert_msg(strstr(r.out, "ipc:[") && !strstr(r.out, host_ipc), "ipc ns: %s", r.out);
  ck_assert_msg(strstr(r.out, "cgroup:[") && !strstr(r.out, host_cg), "cgroup ns: %s", r.out);
}
END_TEST

START_TEST(test_delete_force_missing) {
  _h_result_ struct h_result r = h_rt("delete", "--force", "never-created", NULL);
  ck_assert_msg(r.status == 0, "delete --force of a missing container: %d %s", r.status, r.err);
  _h_result_ struct h_result plain = h_rt("delete", "never-created", NULL);
  ck_assert_int_ne(plain.status, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("engine");
  TCase *tc = h_tcase("engine");
  tcase_add_test(tc, test_console_socket);
  tcase_add_test(tc, test_terminal_without_console_socket_fails);
  tcase_add_test(tc, test_log_json);
  tcase_add_test(tc, test_join_network_namespace);
  tcase_add_test(tc, test_join_user_namespace);
  tcase_add_test(tc, test_join_missing_namespace_fails);
  tcase_add_test(tc, test_no_pivot);
  tcase_add_test(tc, test_preserve_fds);
  tcase_add_test(tc, test_ipc_cgroup_namespaces_and_domainname);
  tcase_add_test(tc, test_delete_force_missing);
  suite_add_tcase(s, tc);
  return h_main(s);
}
