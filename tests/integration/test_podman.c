/* test_podman.c: podman 4.3 (through conmon) drives the runtime under test: run --rm and its
 * exit codes, run -d and stop, exec (-u -e -w, -it), run -it, pause/unpause, update --memory,
 * kill -s USR1, rm -f, a memory limit that OOM-kills, --preserve-fds, --read-only, --tmpfs
 * (tmpcopyup), --device and --privileged (fileMode with type bits), -v ...:rshared (a shared
 * rootfsPropagation), --timeout (conmon kills
 * the init's process group), --pid host (kill --all), --cgroups=disabled (--cgroup-manager
 * disabled), no_pivot_root, --runtime-flag debug, the runtime's errors read from its JSON log
 * and from stderr, checkpoint refused cleanly. With HUSK_TEST_CGROUP_MANAGER=systemd
 * (scripts/vm-systemd) podman runs with --cgroup-manager systemd and a slice of the suite's own
 * as the cgroup parent, so the runtime gets --systemd-cgroup and slice:libpod:ID paths; a
 * container there is a scope with its -m limit, as it sees it too, updated and removed.
 * podman is isolated: its own containers.conf, storage (vfs) and tmp dirs in the harness's work
 * dir, no network, a cgroup parent of its own; the runtime keeps its default --root (see
 * pm_v); the image is scripts/mkimage's busybox rootfs, imported offline. */
#include "engines.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IMAGE "localhost/bb"

/* Set by the suite's setup in the runner and inherited by each test's process. */
static char *g_dir;        /* <work dir>/podman */
static char *g_cgparent;   /* "/husk-podman-test-<pid>": the containers' cgroup parent */
static char *g_cgdir;      /* where it is below /sys/fs/cgroup ("husk-podman-test-<pid>") */
static bool g_systemd;     /* HUSK_TEST_CGROUP_MANAGER=systemd: a slice, podman's systemd mode */
static bool g_made_varlib; /* /var/lib/containers did not exist: podman's blob cache goes there */

/* podman with the runtime under test; after the subcommand run or create, the suite's cgroup
 * parent (unless cgroups are off). The runtime keeps its default --root: podman's cleanup
 * process (conmon's exit command) does not pass --runtime-flag on, so another root would leave
 * every container's state behind. */
static struct h_result pm_v(const struct e_opts *o, bool tty, const char *input, const char *arg,
                            va_list ap) {
  const char *args[56];
  size_t nargs = 0;
  bool cgroups = true;
  for (const char *a = arg; a; a = va_arg(ap, const char *)) {
    ck_assert(nargs < 55);
    args[nargs++] = a;
    cgroups &= strcmp(a, "--cgroups") != 0;
  }
  const char *argv[64] = {"podman", "--runtime", h_runtime()};
  size_t n = 3;
  bool placed = !cgroups;
  for (size_t i = 0; i < nargs; i++) {
    argv[n++] = args[i];
    if (!placed && (strcmp(args[i], "run") == 0 || strcmp(args[i], "create") == 0)) {
      argv[n++] = "--cgroup-parent";
      argv[n++] = g_cgparent;
      placed = true;
    }
  }
  argv[n] = NULL;
  if (tty)
    return e_run_tty(input, (char *const *)argv);
  return e_run(o, (char *const *)argv);
}

static struct h_result pm(const char *arg, ...) __attribute__((sentinel));
static struct h_result pm(const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_result r = pm_v(NULL, false, NULL, arg, ap);
  va_end(ap);
  return r;
}

static struct h_result pm_opts(const struct e_opts *o, const char *arg, ...)
    __attribute__((sentinel));
static struct h_result pm_opts(const struct e_opts *o, const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_result r = pm_v(o, false, NULL, arg, ap);
  va_end(ap);
  return r;
}

/* On a pty (script), with input typed in. */
static struct h_result pm_tty(const char *input, const char *arg, ...) __attribute__((sentinel));
static struct h_result pm_tty(const char *input, const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_result r = pm_v(NULL, true, input, arg, ap);
  va_end(ap);
  return r;
}

/* `podman inspect --format {{.State.<field>}} name`, trimmed; the caller frees it. */
static char *inspect(const char *name, const char *field) {
  _h_free_ char *fmt = e_strf("{{.State.%s}}", field);
  _h_result_ struct h_result r = pm("inspect", "--format", fmt, name, NULL);
  ck_assert_ok(r, "podman inspect");
  return strdup(e_trim(r.out));
}

static pid_t inspect_pid(const char *name) {
  _h_free_ char *pid = inspect(name, "Pid");
  return (pid_t)atoi(pid);
}

/* The runtime's default --root (podman passes none): husk's, else /run/<name> as runc's. */
static bool runtime_state_exists(const char *id) {
  const char *base = strrchr(h_runtime(), '/');
  _h_free_ char *path = h_is_husk() ? e_strf("/run/husk/%s", id)
                                    : e_strf("/run/%s/%s", base ? base + 1 : h_runtime(), id);
  return h_exists(path);
}

static bool wait_logs(const char *name, const char *needle, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 100) {
    _h_result_ struct h_result r = pm("logs", name, NULL);
    if (strstr(r.out, needle))
      return true;
    usleep(100 * 1000);
  }
  return false;
}

static int log_lines(const char *name) {
  _h_result_ struct h_result r = pm("logs", name, NULL);
  ck_assert_ok(r, "podman logs");
  return h_lines(r.out);
}

/* ---- the suite's podman: config files, image, cleanup ---- */

/* A containers.conf for this suite; extra lines go into [engine]. */
static char *write_containers_conf(const char *name, bool json_log, const char *engine_extra) {
  const char *base = strrchr(h_runtime(), '/');
  base = base ? base + 1 : h_runtime();
  /* runc cannot run without cgroups; husk and crun can. */
  _h_free_ char *nocgroup = strcmp(base, "runc") ? e_strf("\"%s\"", base) : strdup("\"none\"");
  _h_free_ char *json = json_log ? e_strf("\"%s\"", base) : strdup("\"none\"");
  char *path = e_strf("%s/%s", g_dir, name);
  _h_free_ char *text = e_strf("[containers]\n"
                               "netns = \"none\"\n"
                               "log_driver = \"k8s-file\"\n"
                               "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
                               "[engine]\n"
                               "cgroup_manager = \"%s\"\n"
                               "events_logger = \"file\"\n"
                               "events_logfile_path = \"%s/events.log\"\n"
                               "tmp_dir = \"%s/tmp\"\n"
                               "image_copy_tmp_dir = \"%s/tmp\"\n"
                               "runtime_supports_json = [%s]\n"
                               "runtime_supports_nocgroup = [%s]\n"
                               "%s"
                               "[network]\n"
                               "network_backend = \"cni\"\n"
                               "network_config_dir = \"%s/net\"\n",
                               g_systemd ? "systemd" : "cgroupfs", g_dir, g_dir, g_dir, json,
                               nocgroup, engine_extra, g_dir);
  h_write(path, text);
  return path;
}

static void suite_setup(void) {
  g_dir = e_workdir("podman");
  const char *manager = getenv("HUSK_TEST_CGROUP_MANAGER");
  g_systemd = manager && strcmp(manager, "systemd") == 0;
  /* Absolute: a relative parent would nest below conmon's own cgroup. A slice for systemd,
   * without dashes, which would nest it below other slices. */
  g_cgparent = g_systemd ? e_strf("husk_podman_test_%d.slice", (int)getpid())
                         : e_strf("/husk-podman-test-%d", (int)getpid());
  g_cgdir = strdup(g_cgparent + (g_cgparent[0] == '/'));
  g_made_varlib = access("/var/lib/containers", F_OK) < 0;

  _h_free_ char *storage = e_strf("%s/storage.conf", g_dir);
  _h_free_ char *storage_text = e_strf("[storage]\ndriver = \"vfs\"\ngraphroot = \"%s/storage\"\n"
                                       "runroot = \"%s/run\"\n",
                                       g_dir, g_dir);
  h_write(storage, storage_text);
  _h_free_ char *registries = e_strf("%s/registries.conf", g_dir);
  h_write(registries, "unqualified-search-registries = []\n");
  _h_free_ char *conf = write_containers_conf("containers.conf", true, "");
  setenv("CONTAINERS_CONF", conf, 1);
  setenv("CONTAINERS_STORAGE_CONF", storage, 1);
  setenv("CONTAINERS_REGISTRIES_CONF", registries, 1);

  _h_free_ char *mkimage = e_strf("%s/scripts/mkimage", getenv("HUSK_SOURCE_ROOT"));
  _h_free_ char *img = e_strf("%s/image", g_dir);
  _h_result_ struct h_result m = e_runl(mkimage, img, NULL);
  ck_assert_ok(m, "scripts/mkimage");
  _h_free_ char *tar = e_strf("%s/rootfs.tar", img);
  _h_result_ struct h_result r = pm("import", tar, IMAGE, NULL);
  ck_assert_ok(r, "podman import");
}

/* Every container removed, and their conmons gone (they exit a moment later). */
static void remove_all(void) {
  _h_result_ struct h_result r = pm("rm", "--all", "--force", "--time", "0", NULL);
  if (r.status != 0)
    fprintf(stderr, "podman rm --all: %s%s", r.out, r.err);
  if (!e_wait_no_process(g_dir, 10000))
    fprintf(stderr, "podman rm --all: a process mentioning %s is still there\n", g_dir);
}

static void suite_teardown(void) {
  remove_all();
  if (g_systemd) { /* systemd made the slice; it removes it */
    _h_result_ struct h_result st = e_runl("systemctl", "stop", g_cgparent, NULL);
  }
  e_cgroup_children(g_cgdir, NULL, true);
  if (g_made_varlib) {
    _h_result_ struct h_result r = e_runl("rm", "-rf", "/var/lib/containers", NULL);
  }
}

/* ---- tests ---- */

START_TEST(test_run_rm_exit_codes) {
  _h_result_ struct h_result ok = pm("run", "--rm", IMAGE, "true", NULL);
  ck_assert_ok(ok, "podman run --rm true");
  _h_result_ struct h_result three =
      pm("run", "--rm", IMAGE, "sh", "-c", "echo to-out; echo to-err >&2; exit 3", NULL);
  ck_assert_msg(three.status == 3, "exit 3 came back as %d: %s", three.status, three.err);
  ck_assert_msg(strstr(three.out, "to-out"), "stdout: %s", three.out);
  ck_assert_msg(strstr(three.err, "to-err"), "stderr: %s", three.err);
  _h_result_ struct h_result ps = pm("ps", "--all", "--quiet", NULL);
  ck_assert_msg(e_trim(ps.out)[0] == '\0', "run --rm left containers: %s", ps.out);
}
END_TEST

/* podman maps the runtime's message to 127 (not found) or 126 (cannot run) by its wording. */
static void check_start_errors(void) {
  _h_result_ struct h_result missing = pm("run", "--rm", IMAGE, "/nonexistent", NULL);
  ck_assert_msg(missing.status == 127, "a missing executable: exit %d: %s", missing.status,
                missing.err);
  ck_assert_msg(strstr(missing.err, "/nonexistent"), "the error names no file: %s", missing.err);
  _h_result_ struct h_result notfound = pm("run", "--rm", IMAGE, "no-such-command", NULL);
  ck_assert_msg(notfound.status == 127, "a command not in PATH: exit %d: %s", notfound.status,
                notfound.err);
  _h_result_ struct h_result noexec = pm("run", "--rm", IMAGE, "/etc/passwd", NULL);
  ck_assert_msg(noexec.status == 126, "a file that is not executable: exit %d: %s", noexec.status,
                noexec.err);
}

START_TEST(test_errors_from_json_log) { check_start_errors(); }
END_TEST

/* A runtime podman does not know as JSON-capable: conmon passes no --log, reads stderr. */
START_TEST(test_errors_from_stderr) {
  _h_free_ char *conf = write_containers_conf("containers-stderr.conf", false, "");
  setenv("CONTAINERS_CONF", conf, 1);
  check_start_errors();
}
END_TEST

START_TEST(test_run_detached_stop) {
  _h_result_ struct h_result r =
      pm("run", "-d", "--name", "pm-stop", IMAGE, "sh", "-c",
         "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done", NULL);
  ck_assert_ok(r, "podman run -d");
  ck_assert_msg(strlen(e_trim(r.out)) == 64, "run -d printed no container id: %s", r.out);
  ck_assert_msg(wait_logs("pm-stop", "ready", 10000), "the container never said ready");
  _h_free_ char *status = inspect("pm-stop", "Status");
  ck_assert_str_eq(status, "running");
  pid_t pid = inspect_pid("pm-stop");
  ck_assert_msg(h_pid_alive(pid), "the container's init %d is not alive", pid);

  _h_result_ struct h_result stop = pm("stop", "--time", "10", "pm-stop", NULL);
  ck_assert_ok(stop, "podman stop");
  ck_assert_msg(h_wait_pid_gone(pid, 5000), "the init outlived stop");
  _h_free_ char *code = inspect("pm-stop", "ExitCode");
  ck_assert_str_eq(code, "0");
  ck_assert_msg(wait_logs("pm-stop", "got-term", 1000), "SIGTERM never reached the trap");

  /* sleep as pid 1 ignores SIGTERM: stop escalates to SIGKILL after the timeout. */
  _h_result_ struct h_result r9 =
      pm("run", "-d", "--name", "pm-stop9", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r9, "podman run -d sleep");
  _h_result_ struct h_result stop9 = pm("stop", "--time", "1", "pm-stop9", NULL);
  ck_assert_ok(stop9, "podman stop --time 1");
  _h_free_ char *code9 = inspect("pm-stop9", "ExitCode");
  ck_assert_str_eq(code9, "137");
  _h_result_ struct h_result rm = pm("rm", "pm-stop", "pm-stop9", NULL);
  ck_assert_ok(rm, "podman rm");
}
END_TEST

START_TEST(test_pause_unpause) {
  _h_result_ struct h_result r = pm("run", "-d", "--name", "pm-pause", IMAGE, "sh", "-c",
                                    "while :; do echo tick; sleep 0.05; done", NULL);
  ck_assert_ok(r, "podman run -d");
  ck_assert_msg(wait_logs("pm-pause", "tick", 10000), "no ticks");
  _h_result_ struct h_result p = pm("--runtime-flag", "debug", "pause", "pm-pause", NULL);
  ck_assert_ok(p, "podman pause");
  _h_free_ char *paused = inspect("pm-pause", "Status");
  ck_assert_str_eq(paused, "paused");
  usleep(200 * 1000);
  int before = log_lines("pm-pause");
  usleep(500 * 1000);
  ck_assert_int_eq(log_lines("pm-pause"), before);
  _h_result_ struct h_result u = pm("--runtime-flag", "debug", "unpause", "pm-pause", NULL);
  ck_assert_ok(u, "podman unpause");
  _h_free_ char *running = inspect("pm-pause", "Status");
  ck_assert_str_eq(running, "running");
  usleep(500 * 1000);
  ck_assert_int_gt(log_lines("pm-pause"), before);
}
END_TEST

/* The memory limit of the init's cgroup as the host sees it: v1 memory controller, else v2. */
static char *memory_limit(pid_t pid) {
  _h_free_ char *path = e_strf("/proc/%d/cgroup", (int)pid);
  _h_free_ char *cg = h_read(path);
  ck_assert(cg);
  char *v1 = strstr(cg, ":memory:");
  if (v1) {
    v1 += strlen(":memory:");
    v1[strcspn(v1, "\n")] = '\0';
    _h_free_ char *f = e_strf("/sys/fs/cgroup/memory%s/memory.limit_in_bytes", v1);
    char *limit = h_read(f);
    ck_assert_msg(limit, "read %s", f);
    return limit;
  }
  char *v2 = strstr(cg, "0::");
  ck_assert(v2);
  v2 += 3;
  v2[strcspn(v2, "\n")] = '\0';
  _h_free_ char *f = e_strf("/sys/fs/cgroup%s/memory.max", v2);
  char *limit = h_read(f);
  ck_assert_msg(limit, "read %s", f);
  return limit;
}

START_TEST(test_update_memory) {
  _h_result_ struct h_result r =
      pm("run", "-d", "--name", "pm-update", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "podman run -d");
  _h_result_ struct h_result u = pm("update", "--memory", "128m", "pm-update", NULL);
  ck_assert_ok(u, "podman update --memory 128m");
  _h_free_ char *limit = memory_limit(inspect_pid("pm-update"));
  ck_assert_str_eq(e_trim(limit), "134217728");
}
END_TEST

/* podman --cgroup-manager systemd: the container is a scope in the slice with its -m limit,
 * which it sees as its own /sys/fs/cgroup/memory.max; update changes it; rm removes it. */
START_TEST(test_systemd_scope) {
  if (!g_systemd) {
    e_skip("systemd_scope", "not run with HUSK_TEST_CGROUP_MANAGER=systemd");
    return;
  }
  _h_result_ struct h_result r =
      pm("run", "-d", "--name", "pm-systemd", "-m", "256m", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "podman run -d -m 256m");
  _h_free_ char *id = strdup(e_trim(r.out));
  _h_free_ char *path = e_strf("/proc/%d/cgroup", (int)inspect_pid("pm-systemd"));
  _h_free_ char *cg = h_read(path);
  _h_free_ char *want = e_strf("0::/%s/libpod-%s.scope", g_cgparent, id);
  ck_assert_msg(cg && strncmp(cg, want, strlen(want)) == 0, "cgroup %s, not %s", cg, want);
  _h_free_ char *limit = memory_limit(inspect_pid("pm-systemd"));
  ck_assert_str_eq(e_trim(limit), "268435456");
  _h_result_ struct h_result in = pm("exec", "pm-systemd", "cat", "/sys/fs/cgroup/memory.max", NULL);
  ck_assert_ok(in, "podman exec cat /sys/fs/cgroup/memory.max");
  ck_assert_str_eq(e_trim(in.out), "268435456");
  _h_free_ char *unit = e_strf("libpod-%s.scope", id);
  _h_result_ struct h_result st = e_runl("systemctl", "is-active", unit, NULL);
  ck_assert_str_eq(e_trim(st.out), "active");
  _h_result_ struct h_result u = pm("update", "--memory", "128m", "pm-systemd", NULL);
  ck_assert_ok(u, "podman update --memory 128m");
  _h_free_ char *after = memory_limit(inspect_pid("pm-systemd"));
  ck_assert_str_eq(e_trim(after), "134217728");
  _h_result_ struct h_result rm = pm("rm", "-f", "-t", "0", "pm-systemd", NULL);
  ck_assert_ok(rm, "podman rm -f");
  _h_result_ struct h_result gone = e_runl("systemctl", "is-active", unit, NULL);
  ck_assert_msg(strcmp(e_trim(gone.out), "active") != 0, "%s is still active", unit);
  _h_free_ char *dir = e_strf("/sys/fs/cgroup/%s/%s", g_cgparent, unit);
  ck_assert_msg(!h_exists(dir), "%s outlived the container", dir);
}
END_TEST

START_TEST(test_kill_usr1) {
  _h_result_ struct h_result r =
      pm("run", "-d", "--name", "pm-kill", IMAGE, "sh", "-c",
         "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done", NULL);
  ck_assert_ok(r, "podman run -d");
  ck_assert_msg(wait_logs("pm-kill", "ready", 10000), "the container never said ready");
  _h_result_ struct h_result k = pm("kill", "--signal", "USR1", "pm-kill", NULL);
  ck_assert_ok(k, "podman kill -s USR1");
  ck_assert_msg(wait_logs("pm-kill", "got-usr1", 5000), "SIGUSR1 never reached the trap");
  _h_free_ char *status = inspect("pm-kill", "Status");
  ck_assert_str_eq(status, "running");
}
END_TEST

START_TEST(test_rm_force_running) {
  _h_result_ struct h_result r = pm("run", "-d", "--name", "pm-rmf", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "podman run -d");
  pid_t pid = inspect_pid("pm-rmf");
  ck_assert_msg(h_pid_alive(pid), "init %d not alive", pid);
  _h_result_ struct h_result rm = pm("rm", "--force", "pm-rmf", NULL);
  ck_assert_ok(rm, "podman rm -f");
  ck_assert_msg(h_wait_pid_gone(pid, 5000), "the init outlived rm -f");
  _h_result_ struct h_result ps = pm("ps", "--all", "--quiet", NULL);
  ck_assert_msg(e_trim(ps.out)[0] == '\0', "rm -f left containers: %s", ps.out);
  char *id = e_trim(r.out);
  ck_assert_msg(!runtime_state_exists(id), "the runtime's state of %s is still there", id);
}
END_TEST

START_TEST(test_memory_limit_oom) {
  /* 200M is past the limit with or without swap (podman allows twice the limit in swap). */
  _h_result_ struct h_result r = pm("run", "--rm", "--memory", "64m", IMAGE, "dd", "if=/dev/zero",
                                    "of=/dev/null", "bs=200M", "count=1", NULL);
  ck_assert_msg(r.status == 137, "an allocation past --memory 64m: exit %d: %s", r.status, r.err);
}
END_TEST

START_TEST(test_run_interactive_tty) {
  _h_result_ struct h_result r =
      pm_tty("tty; echo $((6*7))x; exit 4\n", "run", "--rm", "-it", IMAGE, "sh", NULL);
  ck_assert_msg(r.status == 4, "run -it: exit %d\n%s%s", r.status, r.out, r.err);
  ck_assert_msg(strstr(r.out, "/dev/pts/"), "the shell has no terminal: %s", r.out);
  ck_assert_msg(strstr(r.out, "42x"), "the shell did not run the input: %s", r.out);
}
END_TEST

START_TEST(test_preserve_fds) {
  int p[2];
  ck_assert(pipe2(p, O_CLOEXEC) == 0);
  struct e_opts o = {.fd3 = p[1]};
  _h_result_ struct h_result r = pm_opts(&o, "run", "--rm", "--preserve-fds", "1", IMAGE, "sh",
                                         "-c", "echo through-fd-3 >&3", NULL);
  close(p[1]);
  ck_assert_ok(r, "podman run --preserve-fds 1");
  char buf[256] = "";
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  ssize_t n = read(p[0], buf, sizeof(buf) - 1);
  close(p[0]);
  ck_assert_msg(n > 0 && strstr(buf, "through-fd-3"), "nothing came through fd 3");
}
END_TEST

/* --read-only and --tmpfs mount tmpfs with "tmpcopyup"; --device passes a whole st_mode as
 * fileMode (020666); --privileged passes every host device that way. */
START_TEST(test_read_only_tmpfs_devices) {
  _h_result_ struct h_result ro =
      pm("run", "--rm", "--read-only", IMAGE, "sh", "-c",
         "touch /tmp/x && echo tmp-writable; touch /x 2>/dev/null || echo root-read-only", NULL);
  ck_assert_ok(ro, "podman run --read-only");
  ck_assert_msg(strstr(ro.out, "tmp-writable") && strstr(ro.out, "root-read-only"), "%s", ro.out);
  _h_result_ struct h_result up =
      pm("run", "--rm", "--tmpfs", "/etc:ro", IMAGE, "sh", "-c",
         "grep ^app: /etc/passwd; grep ' /etc tmpfs ro' /proc/mounts", NULL);
  ck_assert_ok(up, "podman run --tmpfs /etc:ro");
  ck_assert_msg(strstr(up.out, "app:x:1000") && strstr(up.out, "/etc tmpfs ro"),
                "the tmpfs on /etc did not get the image's files: %s", up.out);
  _h_result_ struct h_result dev = pm("run", "--rm", "--device", "/dev/null:/dev/xnull", IMAGE,
                                      "sh", "-c", "test -c /dev/xnull && echo char-device", NULL);
  ck_assert_ok(dev, "podman run --device");
  ck_assert_msg(strstr(dev.out, "char-device"), "%s", dev.out);
  _h_result_ struct h_result priv = pm("run", "--rm", "--privileged", IMAGE, "true", NULL);
  ck_assert_ok(priv, "podman run --privileged");
}
END_TEST

/* A volume with rshared: podman sets linux.rootfsPropagation to rshared as well. */
START_TEST(test_volume_rshared) {
  _h_free_ char *dir = h_dir_new("vol");
  _h_free_ char *vol = e_strf("%s:/vol:rshared", dir);
  _h_free_ char *file = e_strf("%s/from-host", dir);
  h_write(file, "host\n");
  _h_result_ struct h_result r = pm("run", "--rm", "-v", vol, IMAGE, "sh", "-c",
                                    "cat /vol/from-host; echo c > /vol/from-c", NULL);
  ck_assert_ok(r, "podman run -v ...:rshared");
  ck_assert_msg(strstr(r.out, "host"), "%s", r.out);
  _h_free_ char *back = e_strf("%s/from-c", dir);
  ck_assert_msg(h_exists(back), "the container's write did not reach the host");
}
END_TEST

/* conmon kills the init's process group when --timeout runs out: the runtime must have put
 * the init in a session of its own, or conmon kills itself and podman waits for nothing. */
START_TEST(test_run_timeout) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  _h_result_ struct h_result r = pm("run", "--rm", "--timeout", "1", IMAGE, "sleep", "30", NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  ck_assert_msg(r.status != 0 && r.status != -1, "run --timeout 1: exit %d: %s", r.status, r.err);
  ck_assert_msg(t1.tv_sec - t0.tv_sec < 10, "run --timeout 1 took %ld s",
                (long)(t1.tv_sec - t0.tv_sec));
  _h_result_ struct h_result ps = pm("ps", "--all", "--quiet", NULL);
  ck_assert_msg(e_trim(ps.out)[0] == '\0', "run --rm --timeout left containers: %s", ps.out);
}
END_TEST

/* A container in the host's pid namespace: podman cleans it up with `kill --all`. */
START_TEST(test_pid_host) {
  _h_result_ struct h_result r = pm("run", "--rm", "--pid", "host", IMAGE, "sh", "-c",
                                    "test -d /proc/1 && echo host-pids", NULL);
  ck_assert_ok(r, "podman run --pid host");
  ck_assert_msg(strstr(r.out, "host-pids"), "%s", r.out);
}
END_TEST

START_TEST(test_cgroups_disabled) {
  if (strstr(h_runtime(), "runc")) {
    e_skip("cgroups_disabled", "runc has no --cgroup-manager disabled");
    return;
  }
  _h_result_ struct h_result r =
      pm("run", "--rm", "--cgroups", "disabled", IMAGE, "sh", "-c", "echo no-cgroup", NULL);
  ck_assert_ok(r, "podman run --cgroups disabled");
  ck_assert_msg(strstr(r.out, "no-cgroup"), "%s", r.out);
}
END_TEST

START_TEST(test_no_pivot_root) {
  _h_free_ char *conf =
      write_containers_conf("containers-nopivot.conf", true, "no_pivot_root = true\n");
  setenv("CONTAINERS_CONF", conf, 1);
  _h_result_ struct h_result r =
      pm("--runtime-flag", "debug", "run", "--rm", IMAGE, "sh", "-c", "echo no-pivot", NULL);
  ck_assert_ok(r, "podman run with no_pivot_root");
  ck_assert_msg(strstr(r.out, "no-pivot"), "%s", r.out);
}
END_TEST

START_TEST(test_info_runtime_version) {
  _h_result_ struct h_result r = pm("info", "--format", "{{.Host.OCIRuntime.Version}}", NULL);
  ck_assert_ok(r, "podman info");
  const char *base = strrchr(h_runtime(), '/');
  _h_free_ char *want = e_strf("%s version ", base ? base + 1 : h_runtime());
  ck_assert_msg(strstr(r.out, want), "podman info shows the runtime version as %s", r.out);
}
END_TEST

/* podman first checks for CRIU ("checkpoint/restore requires at least CRIU 31100" without it),
 * then asks `<runtime> checkpoint --help`, which husk refuses: with CRIU installed or not, the
 * checkpoint fails and the container keeps running. */
START_TEST(test_checkpoint_refused) {
  _h_result_ struct h_result r = pm("run", "-d", "--name", "pm-ckpt", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "podman run -d");
  _h_result_ struct h_result c = pm("container", "checkpoint", "pm-ckpt", NULL);
  ck_assert_msg(c.status != 0 && c.status != -1, "checkpoint: exit %d", c.status);
  _h_free_ char *status = inspect("pm-ckpt", "Status");
  ck_assert_str_eq(status, "running");
  if (h_is_husk()) {
    const char *why = e_have("criu") ? "does not support checkpoint" : "requires at least CRIU";
    ck_assert_msg(strstr(c.err, why), "checkpoint (CRIU %s) does not say \"%s\": %s",
                  e_have("criu") ? "installed" : "missing", why, c.err);
    _h_result_ struct h_result help = e_runl(h_runtime(), "checkpoint", "--help", NULL);
    ck_assert_int_ne(help.status, 0);
  }
}
END_TEST

START_TEST(test_exec) {
  if (!e_runtime_has_exec()) {
    e_skip("exec", "the runtime has no exec command yet");
    return;
  }
  _h_result_ struct h_result r = pm("run", "-d", "--name", "pm-exec", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "podman run -d");
  _h_result_ struct h_result id = pm("exec", "pm-exec", "id", "-u", NULL);
  ck_assert_ok(id, "podman exec id -u");
  ck_assert_str_eq(e_trim(id.out), "0");
  _h_result_ struct h_result code = pm("exec", "pm-exec", "sh", "-c", "exit 7", NULL);
  ck_assert_msg(code.status == 7, "exec exit 7 came back as %d: %s", code.status, code.err);
  _h_result_ struct h_result user = pm("exec", "-u", "1000", "pm-exec", "id", "-u", NULL);
  ck_assert_ok(user, "podman exec -u 1000");
  ck_assert_str_eq(e_trim(user.out), "1000");
  _h_result_ struct h_result env =
      pm("exec", "-e", "GREETING=hello", "pm-exec", "sh", "-c", "echo $GREETING", NULL);
  ck_assert_ok(env, "podman exec -e");
  ck_assert_str_eq(e_trim(env.out), "hello");
  _h_result_ struct h_result wd = pm("exec", "-w", "/tmp", "pm-exec", "pwd", NULL);
  ck_assert_ok(wd, "podman exec -w /tmp");
  ck_assert_str_eq(e_trim(wd.out), "/tmp");
  _h_result_ struct h_result missing = pm("exec", "pm-exec", "/nonexistent", NULL);
  ck_assert_msg(missing.status == 127, "exec of a missing file: exit %d: %s", missing.status,
                missing.err);

  int p[2];
  ck_assert(pipe2(p, O_CLOEXEC) == 0);
  struct e_opts o = {.fd3 = p[1]};
  _h_result_ struct h_result fds =
      pm_opts(&o, "exec", "--preserve-fds", "1", "pm-exec", "sh", "-c", "echo exec-fd-3 >&3", NULL);
  close(p[1]);
  ck_assert_ok(fds, "podman exec --preserve-fds 1");
  char buf[256] = "";
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  ssize_t n = read(p[0], buf, sizeof(buf) - 1);
  close(p[0]);
  ck_assert_msg(n > 0 && strstr(buf, "exec-fd-3"), "nothing came through fd 3");
}
END_TEST

START_TEST(test_exec_interactive_tty) {
  if (!e_runtime_has_exec()) {
    e_skip("exec_interactive_tty", "the runtime has no exec command yet");
    return;
  }
  _h_result_ struct h_result r =
      pm("run", "-d", "--name", "pm-exec-it", IMAGE, "sleep", "1000", NULL);
  ck_assert_ok(r, "podman run -d");
  _h_result_ struct h_result t =
      pm_tty("tty; echo $((6*7))x; exit 5\n", "exec", "-it", "pm-exec-it", "sh", NULL);
  ck_assert_msg(t.status == 5, "exec -it: exit %d\n%s%s", t.status, t.out, t.err);
  ck_assert_msg(strstr(t.out, "/dev/pts/"), "the shell has no terminal: %s", t.out);
  ck_assert_msg(strstr(t.out, "42x"), "the shell did not run the input: %s", t.out);
}
END_TEST

/* Runs last: what podman and the runtime leave once every container is removed. */
START_TEST(test_nothing_left) {
  remove_all();
  _h_result_ struct h_result ps = pm("ps", "--all", "--quiet", NULL);
  ck_assert_msg(e_trim(ps.out)[0] == '\0', "containers left: %s", ps.out);
  ck_assert_msg(!h_process_mentions(g_dir), "a process (conmon?) was left");
  int left = e_cgroup_children(g_cgdir, "conmon", false);
  ck_assert_msg(left == 0, "%d container cgroups were left below %s", left, g_cgparent);
  ck_assert_msg(!h_mounted_under(g_dir), "mounts were left under %s", g_dir);
  /* Every container podman made is in its events log; none may have runtime state left. */
  _h_free_ char *events_path = e_strf("%s/events.log", g_dir);
  _h_free_ char *events = h_read(events_path);
  ck_assert_msg(events, "no events log at %s", events_path);
  int containers = 0;
  for (char *save, *line = strtok_r(events, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    _h_json_ json_t *ev = json_loads(line, 0, NULL);
    const char *id = json_string_value(json_object_get(ev, "ID"));
    const char *type = json_string_value(json_object_get(ev, "Type"));
    if (!id || !type || strcmp(type, "container") != 0)
      continue;
    containers++;
    ck_assert_msg(!runtime_state_exists(id), "the runtime's state of %s was left", id);
  }
  ck_assert_msg(containers > 0, "the events log names no container");
}
END_TEST

static Suite *podman_suite(void) {
  Suite *s = suite_create("podman");
  TCase *tc = h_tcase("podman");
  tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
  tcase_add_checked_fixture(tc, NULL, remove_all);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_run_rm_exit_codes);
  tcase_add_test(tc, test_errors_from_json_log);
  tcase_add_test(tc, test_errors_from_stderr);
  tcase_add_test(tc, test_run_detached_stop);
  tcase_add_test(tc, test_pause_unpause);
  tcase_add_test(tc, test_update_memory);
  tcase_add_test(tc, test_systemd_scope);
  tcase_add_test(tc, test_kill_usr1);
  tcase_add_test(tc, test_rm_force_running);
  tcase_add_test(tc, test_memory_limit_oom);
  tcase_add_test(tc, test_run_interactive_tty);
  tcase_add_test(tc, test_preserve_fds);
  tcase_add_test(tc, test_read_only_tmpfs_devices);
  tcase_add_test(tc, test_volume_rshared);
  tcase_add_test(tc, test_run_timeout);
  tcase_add_test(tc, test_pid_host);
  tcase_add_test(tc, test_cgroups_disabled);
  tcase_add_test(tc, test_no_pivot_root);
  tcase_add_test(tc, test_info_runtime_version);
  tcase_add_test(tc, test_checkpoint_refused);
  tcase_add_test(tc, test_exec);
  tcase_add_test(tc, test_exec_interactive_tty);
  tcase_add_test(tc, test_nothing_left);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (!e_have("podman")) {
    printf("skipped: podman is not installed (scripts/deps installs it)\n");
    return 77;
  }
  return h_main(podman_suite());
}
