/* test_docker.c: Docker 20.10 (dockerd, its own containerd, containerd-shim-runc-v2) drives
 * the runtime under test, registered with --add-runtime and made the default: run --rm and its
 * exit codes (127 and 126 for a command that cannot start), run -d with stop, restart and
 * kill -s USR1, exec (plain, -u -e -w, -it), run -it, logs, top (the runtime's ps), stats,
 * pause/unpause, update -m --cpus --pids-limit read back inside the container, --restart
 * on-failure:3, --read-only, --tmpfs, -v (rw and ro), --user, --cap-drop ALL, --security-opt
 * no-new-privileges, an OOM kill seen as OOMKilled, --pids-limit refusing a fork, --network
 * host and HEALTHCHECK (--health-cmd) reaching healthy and unhealthy.
 * The suite starts a private dockerd for the whole run: its own config file, data root, exec
 * root, socket and pidfile in the harness's work dir, vfs storage, no bridge, no iptables, no
 * forwarding, a cgroup parent of its own; the image is scripts/mkimage's busybox rootfs,
 * imported offline. Its last test stops dockerd and checks what it leaves: its nsfs mount of
 * the host's netns (from --network host) is removed, and no mount, process or cgroup may stay. */
#include "engines.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IMAGE "localhost/bb"
/* The name the runtime under test is registered with (whichever it is). */
#define RUNTIME_NAME "husk"
/* dockerd's containerd namespace: the runtime's root is <exec root>/runtime-<type>/moby. */
#define NAMESPACE "moby"

/* Set by the suite's setup in the runner and inherited by each test's process. */
static const char *g_cli;      /* the docker client: Debian's, matching dockerd, when there */
static char *g_dir;            /* <work dir>/docker */
static char *g_host;           /* unix://<socket> */
static char *g_exec_root;      /* --exec-root: containerd's state, the runtime's root, netns */
static char *g_pidfile;        /* --pidfile */
static char *g_log;            /* dockerd's (and its containerd's) output */
static char *g_cgparent;       /* "/husk-docker-test-<pid>": --cgroup-parent of every container */
static pid_t g_dockerd;        /* the private dockerd, a child of the runner */
static bool g_made_run_docker; /* /run/docker did not exist: dockerd makes run/docker/plugins */
static bool g_made_run_containerd; /* /run/containerd did not exist: the shims' socket dir */

static struct h_result dk_v(const struct e_opts *o, bool tty, const char *input, const char *arg,
                            va_list ap) {
  const char *argv[64] = {g_cli, "-H", g_host};
  size_t n = 3;
  for (const char *a = arg; a; a = va_arg(ap, const char *)) {
    ck_assert(n < 63);
    argv[n++] = a;
  }
  argv[n] = NULL;
  if (tty)
    return e_run_tty(input, (char *const *)argv);
  return e_run(o, (char *const *)argv);
}

static struct h_result dk(const char *arg, ...) __attribute__((sentinel));
static struct h_result dk(const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_result r = dk_v(NULL, false, NULL, arg, ap);
  va_end(ap);
  return r;
}

/* On a pty (script), with input typed in. */
static struct h_result dk_tty(const char *input, const char *arg, ...) __attribute__((sentinel));
static struct h_result dk_tty(const char *input, const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_result r = dk_v(NULL, true, input, arg, ap);
  va_end(ap);
  return r;
}

/* `docker inspect --format <fmt> name`, trimmed; the caller frees it. */
static char *inspect(const char *name, const char *fmt) {
  _h_result_ struct h_result r = dk("inspect", "--format", fmt, name, NULL);
  ck_assert_ok(r, "docker inspect");
  return strdup(e_trim(r.out));
}

static pid_t inspect_pid(const char *name) {
  _h_free_ char *pid = inspect(name, "{{.State.Pid}}");
  return (pid_t)atoi(pid);
}

static bool wait_inspect(const char *name, const char *fmt, const char *want, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 100) {
    _h_free_ char *got = inspect(name, fmt);
    if (strcmp(got, want) == 0)
      return true;
    usleep(100 * 1000);
  }
  return false;
}

/* docker logs replays the container's stdout on stdout and its stderr on stderr. */
static bool wait_logs(const char *name, const char *needle, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 100) {
    _h_result_ struct h_result r = dk("logs", name, NULL);
    if (strstr(r.out, needle) || strstr(r.err, needle))
      return true;
    usleep(100 * 1000);
  }
  return false;
}

static int log_lines(const char *name) {
  _h_result_ struct h_result r = dk("logs", name, NULL);
  ck_assert_ok(r, "docker logs");
  return h_lines(r.out);
}

/* Occurrences of needle in s. */
static int count(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

/* The runtime's --root as the shim passes it: <exec root>/runtime-<name>/moby (the shim names
 * it after the runtime's type, not after --add-runtime's name); NULL before the first run. */
static char *runtime_root(void) {
  DIR *d = opendir(g_exec_root);
  char *root = NULL;
  for (struct dirent *e; d && !root && (e = readdir(d));)
    if (strncmp(e->d_name, "runtime-", 8) == 0)
      root = e_strf("%s/%s/%s", g_exec_root, e->d_name, NAMESPACE);
  if (d)
    closedir(d);
  return root;
}

/* A file of the init's cgroup of a v1 controller as the host sees it; NULL when the init is in
 * no hierarchy of that controller. Like the inside view below, this suite expects the v1
 * controllers of a hybrid host (the engine suites' host). */
static char *host_cgroup_file(pid_t pid, const char *controller, const char *file) {
  _h_free_ char *path = e_strf("/proc/%d/cgroup", (int)pid);
  _h_free_ char *cg = h_read(path);
  ck_assert_msg(cg, "read %s", path);
  _h_free_ char *key = e_strf(":%s:", controller);
  char *line = strstr(cg, key);
  if (!line)
    return NULL;
  line += strlen(key);
  line[strcspn(line, "\n")] = '\0';
  _h_free_ char *f = e_strf("/sys/fs/cgroup/%s%s/%s", controller, line, file);
  char *value = h_read(f);
  ck_assert_msg(value, "read %s", f);
  return value;
}

/* ---- the suite's dockerd ---- */

static pid_t start_dockerd(const char *config) {
  _h_free_ char *data = e_strf("--data-root=%s/data", g_dir);
  _h_free_ char *exec = e_strf("--exec-root=%s", g_exec_root);
  _h_free_ char *host = e_strf("--host=%s", g_host);
  _h_free_ char *pidfile = e_strf("--pidfile=%s", g_pidfile);
  _h_free_ char *conf = e_strf("--config-file=%s", config);
  _h_free_ char *cgparent = e_strf("--cgroup-parent=%s", g_cgparent);
  _h_free_ char *runtime = e_strf("--add-runtime=%s=%s", RUNTIME_NAME, h_runtime());
  char *const argv[] = {"dockerd",
                        conf,
                        data,
                        exec,
                        host,
                        pidfile,
                        "--storage-driver=vfs",
                        "--bridge=none",
                        "--iptables=false",
                        "--ip-masq=false",
                        "--ip-forward=false",
                        "--userland-proxy=false",
                        "--exec-opt=native.cgroupdriver=cgroupfs",
                        cgparent,
                        "--log-driver=json-file",
                        runtime,
                        "--default-runtime=" RUNTIME_NAME,
                        NULL};
  return e_start_daemon(argv, g_log, NULL);
}

/* The last lines of dockerd's log, for a message. */
static char *log_tail(void) {
  _h_result_ struct h_result r = e_runl("tail", "-n", "15", g_log, NULL);
  return strdup(r.out);
}

static void suite_setup(void) {
  g_cli = access("/usr/bin/docker", X_OK) == 0 ? "/usr/bin/docker" : "docker";
  g_dir = e_workdir("docker");
  g_host = e_strf("unix://%s/docker.sock", g_dir);
  g_exec_root = e_strf("%s/exec", g_dir);
  g_pidfile = e_strf("%s/docker.pid", g_dir);
  g_log = e_strf("%s/dockerd.log", g_dir);
  /* Absolute: a relative parent nests below the shim's own cgroup (memory, on this host). */
  g_cgparent = e_strf("/husk-docker-test-%d", (int)getpid());
  g_made_run_docker = access("/run/docker", F_OK) < 0;
  g_made_run_containerd = access("/run/containerd", F_OK) < 0;

  /* Not /etc/docker/daemon.json; the trust key dockerd makes goes here, not /etc/docker. */
  _h_free_ char *config = e_strf("%s/daemon.json", g_dir);
  _h_free_ char *text = e_strf("{\"deprecated-key-path\": \"%s/key.json\"}\n", g_dir);
  h_write(config, text);
  /* The client's own config (~/.docker) stays in the work dir too. */
  _h_free_ char *cli = e_strf("%s/cli", g_dir);
  setenv("DOCKER_CONFIG", cli, 1);
  g_dockerd = start_dockerd(config);

  bool up = false;
  for (int waited = 0; !up && waited < 30000 && h_pid_alive(g_dockerd); waited += 100) {
    _h_result_ struct h_result v = dk("version", NULL);
    up = v.status == 0;
    if (!up)
      usleep(100 * 1000);
  }
  _h_free_ char *tail = log_tail();
  ck_assert_msg(up, "dockerd did not come up; %s:\n%s", g_log, tail);

  _h_free_ char *mkimage = e_strf("%s/scripts/mkimage", getenv("HUSK_SOURCE_ROOT"));
  _h_free_ char *img = e_strf("%s/image", g_dir);
  _h_result_ struct h_result m = e_runl(mkimage, img, NULL);
  ck_assert_ok(m, "scripts/mkimage");
  _h_free_ char *tar = e_strf("%s/rootfs.tar", img);
  _h_result_ struct h_result r =
      dk("import", "--change", "CMD [\"sh\"]", "--change",
         "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", tar, IMAGE, NULL);
  ck_assert_ok(r, "docker import");
}

static bool dockerd_alive(void) { return g_dockerd > 0 && h_pid_alive(g_dockerd); }

/* Every container removed (killed first). */
static void remove_all(void) {
  if (!dockerd_alive())
    return;
  _h_result_ struct h_result ps = dk("ps", "--all", "--quiet", NULL);
  for (char *save, *id = strtok_r(ps.out, "\n", &save); id; id = strtok_r(NULL, "\n", &save)) {
    _h_result_ struct h_result r = dk("rm", "--force", "--volumes", id, NULL);
    if (r.status != 0)
      fprintf(stderr, "docker rm -f %s: %s%s", id, r.out, r.err);
  }
  /* A shim exits a moment after its container is deleted. */
  _h_free_ char *shim = e_strf("-address %s/containerd", g_exec_root);
  if (!e_wait_no_process(shim, 10000))
    fprintf(stderr, "docker: a shim of %s is still there\n", g_exec_root);
}

/* SIGTERM, then SIGKILL after 20 s; true when it went on SIGTERM. In the runner (its parent)
 * it is reaped; in a test's process it stays a zombie until the runner's teardown. */
static bool stop_dockerd(void) {
  if (g_dockerd <= 0)
    return true;
  kill(g_dockerd, SIGTERM);
  bool clean = true;
  for (int waited = 0;; waited += 50) {
    int status;
    pid_t w = waitpid(g_dockerd, &status, WNOHANG);
    if (w == g_dockerd) {
      g_dockerd = 0; /* reaped: the pid may be another process's from now on */
      break;
    }
    if (w < 0 && !h_pid_alive(g_dockerd))
      break;
    if (waited == 20000) {
      fprintf(stderr, "docker: dockerd did not stop on SIGTERM; killing it\n");
      kill(g_dockerd, SIGKILL);
      clean = false;
    }
    usleep(50 * 1000);
  }
  /* Its containerd (and any shim) goes with it; give them the moment they take. */
  if (!e_wait_no_process(g_exec_root, 10000))
    fprintf(stderr, "docker: a process mentioning %s is still there\n", g_exec_root);
  return clean;
}

/* Mount points at dir or below it, deepest (newest) first; the caller frees them. */
static size_t mounts_under(const char *dir, char ***ret) {
  _h_free_ char *mi = h_read("/proc/self/mountinfo");
  size_t n = 0, len = strlen(dir);
  *ret = NULL;
  for (char *save, *line = mi ? strtok_r(mi, "\n", &save) : NULL; line;
       line = strtok_r(NULL, "\n", &save)) {
    char mp[4096];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
      continue;
    if (strncmp(mp, dir, len) != 0 || (mp[len] != '\0' && mp[len] != '/'))
      continue;
    *ret = realloc(*ret, (n + 1) * sizeof(char *));
    ck_assert(*ret);
    memmove(*ret + 1, *ret, n * sizeof(char *));
    (*ret)[0] = strdup(mp);
    n++;
  }
  return n;
}

/* What a stopped dockerd leaves: the nsfs mount of the host's netns libnetwork keeps at
 * <exec root>/netns/default (and, after a SIGKILL, its bind mount of the data root). Returns
 * how many mounts there were that are not that nsfs one. */
static int unmount_leftovers(void) {
  char **mps;
  size_t n = mounts_under(g_dir, &mps);
  _h_free_ char *netns = e_strf("%s/netns/", g_exec_root);
  int unexpected = 0;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(mps[i], netns, strlen(netns)) != 0) {
      fprintf(stderr, "docker: mount %s was left\n", mps[i]);
      unexpected++;
    }
    if (umount2(mps[i], 0) < 0 && umount2(mps[i], MNT_DETACH) < 0)
      fprintf(stderr, "docker: umount %s: %s\n", mps[i], strerror(errno));
    free(mps[i]);
  }
  free(mps);
  return unexpected;
}

/* The directories dockerd and the shims make outside the work dir, when they were not there. */
static void remove_run_dirs(void) {
  if (g_made_run_docker) {
    rmdir("/run/docker/plugins");
    rmdir("/run/docker");
  }
  if (g_made_run_containerd) {
    rmdir("/run/containerd/s");
    rmdir("/run/containerd");
  }
}

static void suite_teardown(void) {
  if (dockerd_alive())
    remove_all();
  stop_dockerd();
  unmount_leftovers();
  e_cgroup_children(g_cgparent + 1, NULL, true);
  remove_run_dirs();
}

/* The first cgroup directory named name anywhere in /sys/fs/cgroup (not only where the suite
 * put its parent: a runtime that nests it elsewhere leaves it there); NULL when there is none. */
static char *find_dir(const char *dir, const char *name, int depth) {
  DIR *d = opendir(dir);
  char *found = NULL;
  for (struct dirent *e; d && !found && (e = readdir(d));) {
    if (e->d_name[0] == '.' || e->d_type != DT_DIR)
      continue;
    char *sub = e_strf("%s/%s", dir, e->d_name);
    if (strcmp(e->d_name, name) == 0) {
      found = sub;
      break;
    }
    if (depth > 0)
      found = find_dir(sub, name, depth - 1);
    free(sub);
  }
  if (d)
    closedir(d);
  return found;
}

static char *cgroup_named(const char *name) { return find_dir("/sys/fs/cgroup", name, 6); }

/* ---- tests ---- */

START_TEST(test_run_rm_exit_codes) {
  _h_result_ struct h_result ok = dk("run", "--rm", IMAGE, "true", NULL);
  ck_assert_ok(ok, "docker run --rm true");
  _h_result_ struct h_result three =
      dk("run", "--rm", IMAGE, "sh", "-c", "echo to-out; echo to-err >&2; exit 3", NULL);
  ck_assert_msg(three.status == 3, "exit 3 came back as %d: %s", three.status, three.err);
  ck_assert_msg(strstr(three.out, "to-out"), "stdout: %s", three.out);
  ck_assert_msg(strstr(three.err, "to-err"), "stderr: %s", three.err);
  _h_result_ struct h_result ps = dk("ps", "--all", "--quiet", NULL);
  ck_assert_msg(e_trim(ps.out)[0] == '\0', "run --rm left containers: %s", ps.out);
}
END_TEST

/* Docker maps the runtime's message to 127 (not found) or 126 (cannot run) by its wording. */
START_TEST(test_run_start_errors) {
  _h_result_ struct h_result missing = dk("run", "--rm", IMAGE, "/nonexistent", NULL);
  ck_assert_msg(missing.status == 127, "a missing executable: exit %d: %s", missing.status,
                missing.err);
  ck_assert_msg(strstr(missing.err, "/nonexistent"), "the error names no file: %s", missing.err);
  _h_result_ struct h_result notfound = dk("run", "--rm", IMAGE, "no-such-command", NULL);
  ck_assert_msg(notfound.status == 127, "a command not in PATH: exit %d: %s", notfound.status,
                notfound.err);
  _h_result_ struct h_result noexec = dk("run", "--rm", IMAGE, "/etc/passwd", NULL);
  ck_assert_msg(noexec.status == 126, "a file that is not executable: exit %d: %s", noexec.status,
                noexec.err);
  _h_result_ struct h_result ps = dk("ps", "--all", "--quiet", NULL);
  ck_assert_msg(e_trim(ps.out)[0] == '\0', "failed run --rm left containers: %s", ps.out);
}
END_TEST

START_TEST(test_run_detached_stop_restart) {
  _h_result_ struct h_result r =
      dk("run", "-d", "--name", "dk-stop", IMAGE, "sh", "-c",
         "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done", NULL);
  ck_assert_ok(r, "docker run -d");
  char *id = e_trim(r.out);
  ck_assert_msg(strlen(id) == 64, "run -d printed no container id: %s", r.out);
  ck_assert_msg(wait_logs("dk-stop", "ready", 10000), "the container never said ready");
  _h_free_ char *status = inspect("dk-stop", "{{.State.Status}}");
  ck_assert_str_eq(status, "running");
  _h_free_ char *rt = inspect("dk-stop", "{{.HostConfig.Runtime}}");
  ck_assert_str_eq(rt, RUNTIME_NAME);
  pid_t pid = inspect_pid("dk-stop");
  ck_assert_msg(h_pid_alive(pid), "the container's init %d is not alive", pid);
  /* Only the runtime that made a container can read its state: the one under test did. */
  _h_free_ char *root = runtime_root();
  ck_assert_msg(root, "no runtime root in %s", g_exec_root);
  _h_result_ struct h_result st = e_runl(h_runtime(), "--root", root, "state", id, NULL);
  ck_assert_ok(st, "the runtime's state of the container");
  ck_assert_msg(strstr(st.out, "\"running\""), "%s", st.out);

  _h_result_ struct h_result stop = dk("stop", "--time", "10", "dk-stop", NULL);
  ck_assert_ok(stop, "docker stop");
  ck_assert_msg(h_wait_pid_gone(pid, 5000), "the init outlived stop");
  _h_free_ char *code = inspect("dk-stop", "{{.State.ExitCode}}");
  ck_assert_str_eq(code, "0");
  ck_assert_msg(wait_logs("dk-stop", "got-term", 1000), "SIGTERM never reached the trap");

  _h_result_ struct h_result restart = dk("restart", "--time", "10", "dk-stop", NULL);
  ck_assert_ok(restart, "docker restart");
  _h_free_ char *again = inspect("dk-stop", "{{.State.Status}}");
  ck_assert_str_eq(again, "running");
  pid_t pid2 = inspect_pid("dk-stop");
  ck_assert_msg(pid2 != pid && h_pid_alive(pid2), "after restart the init is %d (was %d)", pid2,
                pid);
  bool twice = false;
  for (int waited = 0; !twice && waited < 10000; waited += 100) {
    _h_result_ struct h_result logs = dk("logs", "dk-stop", NULL);
    twice = count(logs.out, "ready") == 2;
    if (!twice)
      usleep(100 * 1000);
  }
  ck_assert_msg(twice, "the restarted container did not say ready again");
  _h_result_ struct h_result restart2 = dk("restart", "--time", "10", "dk-stop", NULL);
  ck_assert_ok(restart2, "docker restart of the restarted container");
  ck_assert_msg(wait_logs("dk-stop", "got-term\nready\ngot-term", 10000),
                "the second restart did not stop the container with SIGTERM");

  /* sleep as pid 1 ignores SIGTERM: stop escalates to SIGKILL after the timeout. */
  _h_result_ struct h_result r9 =
      dk("run", "-d", "--name", "dk-stop9", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r9, "docker run -d sleep");
  _h_result_ struct h_result stop9 = dk("stop", "--time", "1", "dk-stop9", NULL);
  ck_assert_ok(stop9, "docker stop --time 1");
  _h_free_ char *code9 = inspect("dk-stop9", "{{.State.ExitCode}}");
  ck_assert_str_eq(code9, "137");
  pid_t pid3 = inspect_pid("dk-stop");
  _h_result_ struct h_result rm = dk("rm", "--force", "dk-stop", "dk-stop9", NULL);
  ck_assert_ok(rm, "docker rm -f");
  ck_assert_msg(h_wait_pid_gone(pid3, 5000), "the init outlived rm -f");
}
END_TEST

START_TEST(test_kill_usr1) {
  _h_result_ struct h_result r =
      dk("run", "-d", "--name", "dk-kill", IMAGE, "sh", "-c",
         "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done", NULL);
  ck_assert_ok(r, "docker run -d");
  ck_assert_msg(wait_logs("dk-kill", "ready", 10000), "the container never said ready");
  _h_result_ struct h_result k = dk("kill", "--signal", "USR1", "dk-kill", NULL);
  ck_assert_ok(k, "docker kill -s USR1");
  ck_assert_msg(wait_logs("dk-kill", "got-usr1", 5000), "SIGUSR1 never reached the trap");
  _h_free_ char *status = inspect("dk-kill", "{{.State.Status}}");
  ck_assert_str_eq(status, "running");
  _h_result_ struct h_result k9 = dk("kill", "dk-kill", NULL);
  ck_assert_ok(k9, "docker kill");
  ck_assert_msg(wait_inspect("dk-kill", "{{.State.Status}}", "exited", 10000),
                "the container outlived docker kill");
  _h_free_ char *code = inspect("dk-kill", "{{.State.ExitCode}}");
  ck_assert_str_eq(code, "137");
}
END_TEST

START_TEST(test_exec) {
  _h_result_ struct h_result r = dk("run", "-d", "--name", "dk-exec", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "docker run -d");
  _h_result_ struct h_result id = dk("exec", "dk-exec", "id", "-u", NULL);
  ck_assert_ok(id, "docker exec id -u");
  ck_assert_str_eq(e_trim(id.out), "0");
  _h_result_ struct h_result code = dk("exec", "dk-exec", "sh", "-c", "exit 7", NULL);
  ck_assert_msg(code.status == 7, "exec exit 7 came back as %d: %s", code.status, code.err);
  _h_result_ struct h_result user = dk("exec", "-u", "1000", "dk-exec", "id", "-u", NULL);
  ck_assert_ok(user, "docker exec -u 1000");
  ck_assert_str_eq(e_trim(user.out), "1000");
  _h_result_ struct h_result env =
      dk("exec", "-e", "GREETING=hello", "dk-exec", "sh", "-c", "echo $GREETING", NULL);
  ck_assert_ok(env, "docker exec -e");
  ck_assert_str_eq(e_trim(env.out), "hello");
  _h_result_ struct h_result wd = dk("exec", "-w", "/tmp", "dk-exec", "pwd", NULL);
  ck_assert_ok(wd, "docker exec -w /tmp");
  ck_assert_str_eq(e_trim(wd.out), "/tmp");
  _h_result_ struct h_result in = dk("exec", "dk-exec", "sh", "-c", "cat /proc/1/cmdline", NULL);
  ck_assert_ok(in, "docker exec cat /proc/1/cmdline");
  ck_assert_msg(strncmp(in.out, "sleep", 5) == 0, "exec is not in the container's pid ns: %s",
                in.out);
  /* docker exec reports every start failure as 126, not found or not. */
  _h_result_ struct h_result missing = dk("exec", "dk-exec", "/nonexistent", NULL);
  ck_assert_msg(missing.status == 126, "exec of a missing file: exit %d: %s", missing.status,
                missing.err);
  /* The client prints the daemon's message on stdout. */
  ck_assert_msg(strstr(missing.out, "/nonexistent") || strstr(missing.err, "/nonexistent"),
                "the error names no file: %s%s", missing.out, missing.err);
  _h_free_ char *status = inspect("dk-exec", "{{.State.Status}}");
  ck_assert_str_eq(status, "running");
}
END_TEST

START_TEST(test_exec_interactive_tty) {
  _h_result_ struct h_result r =
      dk("run", "-d", "--name", "dk-exec-it", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "docker run -d");
  _h_result_ struct h_result t =
      dk_tty("tty; echo $((6*7))x; exit 5\n", "exec", "-it", "dk-exec-it", "sh", NULL);
  ck_assert_msg(t.status == 5, "exec -it: exit %d\n%s%s", t.status, t.out, t.err);
  ck_assert_msg(strstr(t.out, "/dev/pts/"), "the shell has no terminal: %s", t.out);
  ck_assert_msg(strstr(t.out, "42x"), "the shell did not run the input: %s", t.out);
}
END_TEST

START_TEST(test_run_interactive_tty) {
  _h_result_ struct h_result r =
      dk_tty("tty; echo $((6*7))x; exit 4\n", "run", "--rm", "-it", IMAGE, "sh", NULL);
  ck_assert_msg(r.status == 4, "run -it: exit %d\n%s%s", r.status, r.out, r.err);
  ck_assert_msg(strstr(r.out, "/dev/pts/"), "the shell has no terminal: %s", r.out);
  ck_assert_msg(strstr(r.out, "42x"), "the shell did not run the input: %s", r.out);
}
END_TEST

START_TEST(test_logs) {
  _h_result_ struct h_result r =
      dk("run", "--name", "dk-logs", IMAGE, "sh", "-c",
         "echo err-1 >&2; sleep 0.5; echo out-1; echo out-2; echo out-3", NULL);
  ck_assert_ok(r, "docker run");
  _h_result_ struct h_result logs = dk("logs", "dk-logs", NULL);
  ck_assert_ok(logs, "docker logs");
  ck_assert_msg(strstr(logs.out, "out-1\nout-2\nout-3\n"), "stdout: %s", logs.out);
  ck_assert_msg(!strstr(logs.out, "err-1"), "stderr came back on stdout: %s", logs.out);
  ck_assert_msg(strstr(logs.err, "err-1"), "stderr: %s", logs.err);
  _h_result_ struct h_result tail = dk("logs", "--tail", "1", "dk-logs", NULL);
  ck_assert_ok(tail, "docker logs --tail 1");
  ck_assert_str_eq(e_trim(tail.out), "out-3");
}
END_TEST

/* docker top asks the shim for the task's pids (the runtime's `ps --format json`). */
START_TEST(test_top) {
  _h_result_ struct h_result r = dk("run", "-d", "--name", "dk-top", IMAGE, "sh", "-c",
                                    "sleep 1001 & sleep 1002 & echo ready; wait", NULL);
  ck_assert_ok(r, "docker run -d");
  ck_assert_msg(wait_logs("dk-top", "ready", 10000), "the container never said ready");
  _h_result_ struct h_result top = dk("top", "dk-top", NULL);
  ck_assert_ok(top, "docker top");
  ck_assert_msg(strstr(top.out, "sleep 1001") && strstr(top.out, "sleep 1002"),
                "docker top misses the sleeps:\n%s", top.out);
  _h_free_ char *pid = e_strf(" %d ", (int)inspect_pid("dk-top"));
  ck_assert_msg(strstr(top.out, pid), "docker top misses the init%s:\n%s", pid, top.out);
  ck_assert_int_eq(h_lines(top.out), 4);
}
END_TEST

START_TEST(test_stats) {
  _h_result_ struct h_result r =
      dk("run", "-d", "--name", "dk-stats", IMAGE, "sh", "-c", "sleep 1000 & wait", NULL);
  ck_assert_ok(r, "docker run -d");
  _h_result_ struct h_result s =
      dk("stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.PIDs}}", "dk-stats", NULL);
  ck_assert_ok(s, "docker stats --no-stream");
  char name[64] = "", mem[64] = "";
  int pids = -1;
  ck_assert_msg(sscanf(e_trim(s.out), "%63[^|]|%63[^|]|%d", name, mem, &pids) == 3,
                "docker stats printed %s", s.out);
  ck_assert_str_eq(name, "dk-stats");
  ck_assert_msg(pids == 2, "docker stats counts %d pids, not 2 (sh and sleep)", pids);
  ck_assert_msg(strncmp(mem, "0B", 2) != 0, "docker stats shows no memory use: %s", mem);
}
END_TEST

START_TEST(test_pause_unpause) {
  _h_result_ struct h_result r = dk("run", "-d", "--name", "dk-pause", IMAGE, "sh", "-c",
                                    "while :; do echo tick; sleep 0.05; done", NULL);
  ck_assert_ok(r, "docker run -d");
  ck_assert_msg(wait_logs("dk-pause", "tick", 10000), "no ticks");
  _h_result_ struct h_result p = dk("pause", "dk-pause", NULL);
  ck_assert_ok(p, "docker pause");
  _h_free_ char *paused = inspect("dk-pause", "{{.State.Status}}");
  ck_assert_str_eq(paused, "paused");
  _h_free_ char *freezer = host_cgroup_file(inspect_pid("dk-pause"), "freezer", "freezer.state");
  ck_assert_msg(freezer && strncmp(freezer, "FROZEN", 6) == 0, "freezer.state: %s", freezer);
  usleep(200 * 1000);
  int before = log_lines("dk-pause");
  usleep(500 * 1000);
  ck_assert_int_eq(log_lines("dk-pause"), before);
  _h_result_ struct h_result u = dk("unpause", "dk-pause", NULL);
  ck_assert_ok(u, "docker unpause");
  _h_free_ char *running = inspect("dk-pause", "{{.State.Status}}");
  ck_assert_str_eq(running, "running");
  usleep(500 * 1000);
  ck_assert_int_gt(log_lines("dk-pause"), before);
}
END_TEST

/* A file of the container's own cgroup as the container sees it: on v1 the runtime mounts the
 * container's cgroup of each controller at /sys/fs/cgroup/<controller>. */
static char *inside(const char *name, const char *file) {
  _h_free_ char *cmd = e_strf("cat /sys/fs/cgroup/%s", file);
  _h_result_ struct h_result r = dk("exec", name, "sh", "-c", cmd, NULL);
  ck_assert_ok(r, "docker exec cat");
  return strdup(e_trim(r.out));
}

START_TEST(test_update_limits) {
  _h_result_ struct h_result r =
      dk("run", "-d", "--name", "dk-update", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "docker run -d");
  _h_free_ char *mem0 = inside("dk-update", "memory/memory.limit_in_bytes");
  ck_assert_msg(strcmp(mem0, "134217728") != 0, "the limit is there before the update");
  _h_result_ struct h_result u = dk("update", "--memory", "128m", "--memory-swap", "256m", "--cpus",
                                    "0.5", "--pids-limit", "50", "dk-update", NULL);
  ck_assert_ok(u, "docker update -m 128m --memory-swap 256m --cpus 0.5 --pids-limit 50");

  /* The host's view first: the update reached the container's cgroup. */
  pid_t pid = inspect_pid("dk-update");
  _h_free_ char *host_mem = host_cgroup_file(pid, "memory", "memory.limit_in_bytes");
  ck_assert_str_eq(e_trim(host_mem), "134217728");
  _h_free_ char *host_pids = host_cgroup_file(pid, "pids", "pids.max");
  ck_assert_str_eq(e_trim(host_pids), "50");

  /* Then the container's own view of its cgroup. */
  _h_result_ struct h_result cg = dk("exec", "dk-update", "cat", "/proc/self/cgroup", NULL);
  _h_free_ char *mem = inside("dk-update", "memory/memory.limit_in_bytes");
  ck_assert_msg(strcmp(mem, "134217728") == 0,
                "inside, memory.limit_in_bytes is %s, not 134217728; /proc/self/cgroup:\n%s", mem,
                cg.out);
  _h_free_ char *swap = inside("dk-update", "memory/memory.memsw.limit_in_bytes");
  ck_assert_str_eq(swap, "268435456");
  _h_free_ char *quota = inside("dk-update", "cpu/cpu.cfs_quota_us");
  _h_free_ char *period = inside("dk-update", "cpu/cpu.cfs_period_us");
  ck_assert_msg(strcmp(quota, "50000") == 0 && strcmp(period, "100000") == 0,
                "--cpus 0.5: cfs_quota_us %s, cfs_period_us %s", quota, period);
  _h_free_ char *pids = inside("dk-update", "pids/pids.max");
  ck_assert_str_eq(pids, "50");
  _h_free_ char *status = inspect("dk-update", "{{.State.Status}}");
  ck_assert_str_eq(status, "running");
}
END_TEST

START_TEST(test_restart_on_failure) {
  _h_result_ struct h_result r = dk("run", "-d", "--name", "dk-restart", "--restart",
                                    "on-failure:3", IMAGE, "sh", "-c", "echo try; exit 1", NULL);
  ck_assert_ok(r, "docker run -d --restart on-failure:3");
  /* Backoff: 100, 200, 400 ms; then it stays exited. */
  ck_assert_msg(
      wait_inspect("dk-restart", "{{.RestartCount}} {{.State.Status}}", "3 exited", 30000),
      "not restarted 3 times: %s", inspect("dk-restart", "{{.RestartCount}} {{.State.Status}}"));
  usleep(1500 * 1000);
  _h_free_ char *after =
      inspect("dk-restart", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}");
  ck_assert_str_eq(after, "3 exited 1");
  _h_result_ struct h_result logs = dk("logs", "dk-restart", NULL);
  ck_assert_int_eq(count(logs.out, "try"), 4);
}
END_TEST

START_TEST(test_read_only) {
  _h_result_ struct h_result ro =
      dk("run", "--rm", "--read-only", "--tmpfs", "/tmp", IMAGE, "sh", "-c",
         "touch /tmp/x && echo tmp-writable; touch /x 2>/dev/null || echo root-read-only; "
         "grep ' / ' /proc/mounts",
         NULL);
  ck_assert_ok(ro, "docker run --read-only");
  ck_assert_msg(strstr(ro.out, "tmp-writable") && strstr(ro.out, "root-read-only"), "%s", ro.out);
  ck_assert_msg(strstr(ro.out, " / ") && strstr(ro.out, " ro,"), "/ is not mounted ro: %s", ro.out);
  _h_result_ struct h_result rw = dk("run", "--rm", IMAGE, "sh", "-c", "touch /x && echo rw", NULL);
  ck_assert_ok(rw, "docker run without --read-only");
  ck_assert_str_eq(e_trim(rw.out), "rw");
}
END_TEST

START_TEST(test_tmpfs) {
  _h_result_ struct h_result r =
      dk("run", "--rm", "--tmpfs", "/scratch:rw,size=1m,mode=1770", IMAGE, "sh", "-c",
         "grep ' /scratch ' /proc/mounts; stat -c %a /scratch; "
         "dd if=/dev/zero of=/scratch/f bs=1k count=512 2>/dev/null && echo half-fits; "
         "dd if=/dev/zero of=/scratch/g bs=1k count=1024 2>/dev/null || echo full",
         NULL);
  ck_assert_ok(r, "docker run --tmpfs");
  ck_assert_msg(strstr(r.out, "/scratch tmpfs rw,") && strstr(r.out, "size=1024k"),
                "no 1m tmpfs on /scratch: %s", r.out);
  ck_assert_msg(strstr(r.out, "\n1770\n"), "/scratch's mode is not 1770: %s", r.out);
  ck_assert_msg(strstr(r.out, "half-fits") && strstr(r.out, "full"),
                "the tmpfs does not hold 512k or does not stop at 1m: %s", r.out);
}
END_TEST

START_TEST(test_volume_bind) {
  _h_free_ char *dir = h_dir_new("vol");
  _h_free_ char *file = e_strf("%s/from-host", dir);
  h_write(file, "host\n");
  _h_free_ char *vol = e_strf("%s:/vol", dir);
  _h_result_ struct h_result r = dk("run", "--rm", "-v", vol, IMAGE, "sh", "-c",
                                    "cat /vol/from-host; echo c > /vol/from-c", NULL);
  ck_assert_ok(r, "docker run -v");
  ck_assert_msg(strstr(r.out, "host"), "%s", r.out);
  _h_free_ char *back = e_strf("%s/from-c", dir);
  ck_assert_msg(h_exists(back), "the container's write did not reach the host");
  _h_free_ char *rovol = e_strf("%s:/vol:ro", dir);
  _h_result_ struct h_result ro =
      dk("run", "--rm", "-v", rovol, IMAGE, "sh", "-c",
         "cat /vol/from-host; echo c > /vol/from-ro 2>/dev/null || echo refused", NULL);
  ck_assert_ok(ro, "docker run -v ...:ro");
  ck_assert_msg(strstr(ro.out, "host") && strstr(ro.out, "refused"), "%s", ro.out);
  _h_free_ char *notback = e_strf("%s/from-ro", dir);
  ck_assert_msg(!h_exists(notback), "the container wrote through a read-only volume");
}
END_TEST

START_TEST(test_user) {
  _h_result_ struct h_result num =
      dk("run", "--rm", "--user", "1000:1000", IMAGE, "sh", "-c", "id -u; id -g", NULL);
  ck_assert_ok(num, "docker run --user 1000:1000");
  ck_assert_str_eq(e_trim(num.out), "1000\n1000");
  _h_result_ struct h_result name =
      dk("run", "--rm", "--user", "app", IMAGE, "sh", "-c", "id -un; echo $HOME", NULL);
  ck_assert_ok(name, "docker run --user app");
  ck_assert_str_eq(e_trim(name.out), "app\n/home/app");
  _h_result_ struct h_result groups =
      dk("run", "--rm", "--user", "1000", "--group-add", "5", IMAGE, "id", "-G", NULL);
  ck_assert_ok(groups, "docker run --user 1000 --group-add 5");
  ck_assert_str_eq(e_trim(groups.out), "1000 5");
}
END_TEST

START_TEST(test_cap_drop_all) {
  const char *probe = "grep CapEff /proc/self/status; chown 1000 /tmp && echo chowned";
  _h_result_ struct h_result def = dk("run", "--rm", IMAGE, "sh", "-c", probe, NULL);
  ck_assert_ok(def, "docker run (default capabilities)");
  /* Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
   * NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP. */
  ck_assert_msg(strstr(def.out, "00000000a80425fb") && strstr(def.out, "chowned"), "%s", def.out);
  _h_result_ struct h_result none =
      dk("run", "--rm", "--cap-drop", "ALL", IMAGE, "sh", "-c", probe, NULL);
  ck_assert_msg(none.status != 0, "chown worked without CAP_CHOWN: %s", none.out);
  ck_assert_msg(strstr(none.out, "0000000000000000") && !strstr(none.out, "chowned"), "%s",
                none.out);
  _h_result_ struct h_result one =
      dk("run", "--rm", "--cap-drop", "ALL", "--cap-add", "CHOWN", IMAGE, "sh", "-c", probe, NULL);
  ck_assert_ok(one, "docker run --cap-drop ALL --cap-add CHOWN");
  ck_assert_msg(strstr(one.out, "0000000000000001") && strstr(one.out, "chowned"), "%s", one.out);
}
END_TEST

START_TEST(test_no_new_privileges) {
  _h_result_ struct h_result def =
      dk("run", "--rm", IMAGE, "grep", "NoNewPrivs", "/proc/self/status", NULL);
  ck_assert_ok(def, "docker run");
  ck_assert_msg(strstr(def.out, "NoNewPrivs:\t0"), "%s", def.out);
  _h_result_ struct h_result nnp = dk("run", "--rm", "--security-opt", "no-new-privileges", IMAGE,
                                      "grep", "NoNewPrivs", "/proc/self/status", NULL);
  ck_assert_ok(nnp, "docker run --security-opt no-new-privileges");
  ck_assert_msg(strstr(nnp.out, "NoNewPrivs:\t1"), "%s", nnp.out);
}
END_TEST

START_TEST(test_oom_killed) {
  /* --memory-swap equal to -m: no swap, so 200M cannot fit anywhere. The runc shim watches
   * the cgroup for OOM events only once the runtime's `start` returned, so an OOM kill in the
   * process's first instant goes unreported whatever the runtime (this failed now and then
   * with husk, whose start returns sooner): the allocation waits a second. */
  _h_result_ struct h_result r =
      dk("run", "--name", "dk-oom", "--memory", "32m", "--memory-swap", "32m", IMAGE, "sh", "-c",
         "sleep 1; exec dd if=/dev/zero of=/dev/null bs=200M count=1", NULL);
  ck_assert_msg(r.status == 137, "an allocation past --memory 32m: exit %d: %s", r.status, r.err);
  /* dockerd handles the shim's OOM event apart from the exit: it may come a moment later. */
  ck_assert_msg(
      wait_inspect("dk-oom", "{{.State.OOMKilled}} {{.State.ExitCode}}", "true 137", 5000),
      "OOMKilled, ExitCode: %s", inspect("dk-oom", "{{.State.OOMKilled}} {{.State.ExitCode}}"));
  /* The control: the same container with room is not OOM-killed. */
  _h_result_ struct h_result fits =
      dk("run", "--name", "dk-no-oom", "--memory", "32m", "--memory-swap", "32m", IMAGE, "dd",
         "if=/dev/zero", "of=/dev/null", "bs=1M", "count=1", NULL);
  ck_assert_ok(fits, "docker run -m 32m with a 1M buffer");
  _h_free_ char *no = inspect("dk-no-oom", "{{.State.OOMKilled}} {{.State.ExitCode}}");
  ck_assert_str_eq(no, "false 0");
}
END_TEST

START_TEST(test_pids_limit) {
  const char *forks = "i=0; while [ $i -lt 20 ]; do sleep 60 & i=$((i+1)); done; echo forked-$i";
  _h_result_ struct h_result r =
      dk("run", "--rm", "--pids-limit", "8", IMAGE, "sh", "-c", forks, NULL);
  ck_assert_msg(r.status != 0 && r.status != -1, "20 forks under --pids-limit 8: exit %d: %s",
                r.status, r.out);
  ck_assert_msg(strstr(r.err, "can't fork"), "no fork failed: %s", r.err);
  ck_assert_msg(!strstr(r.out, "forked-20"), "all 20 forks worked: %s", r.out);
  _h_result_ struct h_result ok =
      dk("run", "--rm", "--pids-limit", "30", IMAGE, "sh", "-c", forks, NULL);
  ck_assert_ok(ok, "20 forks under --pids-limit 30");
  ck_assert_str_eq(e_trim(ok.out), "forked-20");
}
END_TEST

START_TEST(test_network_host) {
  char host_ns[64] = "";
  ck_assert(readlink("/proc/self/ns/net", host_ns, sizeof(host_ns) - 1) > 0);
  _h_result_ struct h_result h =
      dk("run", "--rm", "--network", "host", IMAGE, "readlink", "/proc/self/ns/net", NULL);
  ck_assert_ok(h, "docker run --network host");
  ck_assert_str_eq(e_trim(h.out), host_ns);
  _h_result_ struct h_result own = dk("run", "--rm", IMAGE, "readlink", "/proc/self/ns/net", NULL);
  ck_assert_ok(own, "docker run");
  ck_assert_msg(strcmp(e_trim(own.out), host_ns) != 0, "the default network is the host's");
  _h_result_ struct h_result none =
      dk("run", "--rm", "--network", "none", IMAGE, "sh", "-c", "ls /sys/class/net", NULL);
  ck_assert_ok(none, "docker run --network none");
  ck_assert_str_eq(e_trim(none.out), "lo");
}
END_TEST

/* Docker runs the health command with exec every interval, and counts failures. */
START_TEST(test_healthcheck) {
  _h_result_ struct h_result r =
      dk("run", "-d", "--name", "dk-health", "--health-cmd", "test -f /tmp/ready",
         "--health-interval", "1s", "--health-timeout", "5s", "--health-retries", "2", IMAGE, "sh",
         "-c", "sleep 2; touch /tmp/ready; sleep 1000", NULL);
  ck_assert_ok(r, "docker run -d --health-cmd");
  _h_free_ char *starting = inspect("dk-health", "{{.State.Health.Status}}");
  ck_assert_str_eq(starting, "starting");
  ck_assert_msg(wait_inspect("dk-health", "{{.State.Health.Status}}", "healthy", 30000),
                "never healthy: %s", inspect("dk-health", "{{json .State.Health}}"));

  _h_result_ struct h_result bad =
      dk("run", "-d", "--name", "dk-unhealthy", "--health-cmd", "exit 1", "--health-interval", "1s",
         "--health-retries", "2", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(bad, "docker run -d --health-cmd 'exit 1'");
  ck_assert_msg(wait_inspect("dk-unhealthy", "{{.State.Health.Status}}", "unhealthy", 30000),
                "never unhealthy: %s", inspect("dk-unhealthy", "{{json .State.Health}}"));
  _h_free_ char *streak = inspect("dk-unhealthy", "{{.State.Health.FailingStreak}}");
  ck_assert_int_ge(atoi(streak), 2);
}
END_TEST

/* What users of husk have: an image built with docker build and written with docker save.
 * husk loads the archive and runs it from the image's own config, as its non-root USER, in
 * its WORKDIR, with its ENV and its HEALTHCHECK, which husk's monitor runs. (Building it also
 * runs a RUN step through the runtime under test.) The husk part is husk's own. */
START_TEST(test_docker_save_then_husk_run) {
  _h_free_ char *ctx = e_strf("%s/seed-build", g_dir);
  _h_result_ struct h_result mk = e_runl("mkdir", "-p", ctx, NULL);
  ck_assert_ok(mk, "mkdir");
  _h_free_ char *dockerfile = e_strf("%s/Dockerfile", ctx);
  h_write(dockerfile, "FROM " IMAGE "\n"
                      "RUN mkdir -p /www /home/appuser && echo seed-page > /www/index.html && "
                      "echo appuser:x:1000:1000::/home/appuser:/bin/sh >> /etc/passwd && "
                      "echo appuser:x:1000: >> /etc/group && chown 1000:1000 /home/appuser\n"
                      "USER appuser\n"
                      "WORKDIR /home/appuser/app\n"
                      "ENV GREETING=hello\n"
                      "HEALTHCHECK --interval=1s --timeout=5s --retries=2 "
                      "CMD wget -q -O- http://127.0.0.1:8000/ || exit 1\n"
                      "CMD [\"httpd\", \"-f\", \"-p\", \"127.0.0.1:8000\", \"-h\", \"/www\"]\n");
  setenv("DOCKER_BUILDKIT", "0", 1);
  _h_result_ struct h_result b =
      dk("build", "--network", "none", "-q", "-t", "seed:latest", ctx, NULL);
  ck_assert_ok(b, "docker build");
  _h_free_ char *tar = e_strf("%s/seed.tar", g_dir);
  _h_result_ struct h_result sv = dk("save", "-o", tar, "seed:latest", NULL);
  ck_assert_ok(sv, "docker save");
  if (!h_is_husk())
    return;

  _h_free_ char *store = h_dir_new("store");
  _h_result_ struct h_result l = h_rt("--storage", store, "image", "load", tar, NULL);
  ck_assert_msg(l.status == 0 && strcmp(l.out, "Loaded image: seed:latest\n") == 0,
                "husk image load: %d %s %s", l.status, l.out, l.err);
  _h_free_ char *id = h_id_new("web");
  _h_result_ struct h_result r = h_rt("--storage", store, "run", "-d", "--name", id, "seed", NULL);
  ck_assert_msg(r.status == 0, "husk run -d --name %s seed: %d %s", id, r.status, r.err);
  _h_result_ struct h_result who =
      h_rt("--storage", store, "exec", id, "sh", "-c", "id -u; pwd; echo $GREETING", NULL);
  ck_assert_msg(who.status == 0, "exec: %d %s", who.status, who.err);
  ck_assert_str_eq(who.out, "1000\n/home/appuser/app\nhello\n");
  bool healthy = false;
  for (int waited = 0; !healthy && waited < 30000; waited += 250) {
    _h_result_ struct h_result h = h_rt("--storage", store, "health", id, NULL);
    healthy = h.status == 0 && strstr(h.out, "\"healthy\"");
    if (!healthy)
      usleep(250 * 1000);
  }
  _h_result_ struct h_result hs = h_rt("--storage", store, "health", id, NULL);
  ck_assert_msg(healthy, "the image's HEALTHCHECK never made it healthy: %s %s", hs.out, hs.err);
  _h_result_ struct h_result d = h_rt("--storage", store, "delete", "--force", id, NULL);
  ck_assert_msg(d.status == 0, "delete: %d %s", d.status, d.err);
  _h_free_ char *own = e_strf("%s/containers/%s", store, id);
  ck_assert_msg(!h_exists(own), "%s is left after delete", own);
  _h_result_ struct h_result rm = h_rt("--storage", store, "image", "rm", "seed", NULL);
  ck_assert_msg(rm.status == 0, "husk image rm: %d %s", rm.status, rm.err);
  _h_result_ struct h_result drm = dk("rmi", "seed:latest", NULL);
  ck_assert_ok(drm, "docker rmi");
}
END_TEST

/* Runs last: stops dockerd, then what Docker, its shims and the runtime leave. */
START_TEST(test_nothing_left) {
  remove_all();
  _h_result_ struct h_result ps = dk("ps", "--all", "--quiet", NULL);
  ck_assert_ok(ps, "docker ps");
  ck_assert_msg(e_trim(ps.out)[0] == '\0', "containers left: %s", ps.out);
  _h_free_ char *root = runtime_root();
  ck_assert_msg(root, "no runtime root in %s: no container ran", g_exec_root);
  _h_result_ struct h_result state = e_runl("ls", "-A", root, NULL);
  ck_assert_msg(e_trim(state.out)[0] == '\0', "runtime state left in %s: %s", root, state.out);
  ck_assert_int_eq(e_cgroup_children(g_cgparent + 1, NULL, false), 0);

  ck_assert_msg(stop_dockerd(), "dockerd did not stop on SIGTERM");
  ck_assert_msg(!h_exists(g_pidfile), "dockerd left its pidfile");
  ck_assert_msg(!h_process_mentions(g_exec_root), "a process (containerd, a shim) was left");
  ck_assert_int_eq(unmount_leftovers(), 0);
  ck_assert_msg(!h_mounted_under(g_dir), "mounts are still there under %s", g_dir);
  e_cgroup_children(g_cgparent + 1, NULL, true);
  _h_free_ char *cg = cgroup_named(g_cgparent + 1);
  ck_assert_msg(!cg, "the cgroup %s is still there", cg);
  remove_run_dirs();
  if (g_made_run_docker)
    ck_assert_msg(!h_exists("/run/docker"), "/run/docker was left");
  if (g_made_run_containerd)
    ck_assert_msg(!h_exists("/run/containerd"), "/run/containerd was left");
}
END_TEST

static Suite *docker_suite(void) {
  Suite *s = suite_create("docker");
  TCase *tc = h_tcase("docker");
  tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
  tcase_add_checked_fixture(tc, NULL, remove_all);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_run_rm_exit_codes);
  tcase_add_test(tc, test_run_start_errors);
  tcase_add_test(tc, test_run_detached_stop_restart);
  tcase_add_test(tc, test_kill_usr1);
  tcase_add_test(tc, test_exec);
  tcase_add_test(tc, test_exec_interactive_tty);
  tcase_add_test(tc, test_run_interactive_tty);
  tcase_add_test(tc, test_logs);
  tcase_add_test(tc, test_top);
  tcase_add_test(tc, test_stats);
  tcase_add_test(tc, test_pause_unpause);
  tcase_add_test(tc, test_update_limits);
  tcase_add_test(tc, test_restart_on_failure);
  tcase_add_test(tc, test_read_only);
  tcase_add_test(tc, test_tmpfs);
  tcase_add_test(tc, test_volume_bind);
  tcase_add_test(tc, test_user);
  tcase_add_test(tc, test_cap_drop_all);
  tcase_add_test(tc, test_no_new_privileges);
  tcase_add_test(tc, test_oom_killed);
  tcase_add_test(tc, test_pids_limit);
  tcase_add_test(tc, test_network_host);
  tcase_add_test(tc, test_healthcheck);
  tcase_add_test(tc, test_docker_save_then_husk_run);
  tcase_add_test(tc, test_nothing_left);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (!e_have("dockerd") || !e_have("docker") || !e_have("containerd") ||
      !e_have("containerd-shim-runc-v2")) {
    printf("skipped: docker is not installed (scripts/deps installs docker.io)\n");
    return 77;
  }
  return h_main(docker_suite());
}
