/* test_containerd.c: containerd 1.6 (through containerd-shim-runc-v2) drives the runtime under
 * test with `ctr run --runc-binary`: run --rm and exit codes, run -d, task ps, pause/resume,
 * kill -s SIGUSR1, exec (plain and -t), kill --all, kill of a stopped task, delete, run -t,
 * --no-pivot, --rootfs-propagation shared, checkpoint refused with the runtime's message, and
 * --runc-systemd-cgroup: on a systemd host a scope with the memory limit, updated and
 * removed, elsewhere refused with the runtime's message. With HUSK_TEST_CGROUP_MANAGER=systemd
 * (scripts/vm-systemd) every container goes through the systemd driver, as containerd's
 * SystemdCgroup = true has it, in a slice of the suite's own. The suite starts a private containerd (own config, root, state,
 * sockets in the harness's work dir; CRI and the other plugins that would touch the host disabled),
 * imports scripts/mkimage's OCI archive, and stops it at the end; the runtime's state goes to a
 * --runc-root of its own. */
#include "engines.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IMAGE "localhost/bb:latest"
#define NAMESPACE "husk-test"
/* The shim's --root when it is not told one: runc's default for containerd. */
#define DEFAULT_ROOT "/run/containerd/runc/" NAMESPACE

/* Set by the suite's setup in the runner and inherited by each test's process. */
static char *g_dir;         /* <work dir>/containerd */
static char *g_sock;        /* its gRPC socket */
static char *g_runc_root;   /* --runc-root: the runtime's state is <root>/<namespace>/<id> */
static char *g_fifo_dir;    /* ctr's fifos for the tasks' stdio */
static char *g_cgparent;    /* cgroup parent of every container (a slice with systemd) */
static bool g_systemd;      /* HUSK_TEST_CGROUP_MANAGER=systemd: --runc-systemd-cgroup */
static pid_t g_containerd;  /* the private containerd, a child of the runner */
static bool g_made_run_dir; /* /run/containerd did not exist: the shims' socket dir goes there */

/* ctr on the private containerd; after `run`, the runtime under test with its root and the
 * fifo dir; after `exec`, the fifo dir. */
static struct h_result ct_v(bool tty, const char *input, const char *arg, va_list ap) {
  const char *argv[64] = {"ctr", "--address", g_sock, "--namespace", NAMESPACE};
  size_t n = 5;
  bool placed = false;
  for (const char *a = arg; a; a = va_arg(ap, const char *)) {
    ck_assert(n < 56);
    argv[n++] = a;
    if (placed)
      continue;
    if (strcmp(a, "run") == 0) {
      const char *more[] = {"--runc-binary", h_runtime(),  "--runc-root",
                            g_runc_root,     "--fifo-dir", g_fifo_dir};
      for (size_t i = 0; i < 6; i++)
        argv[n++] = more[i];
      if (g_systemd)
        argv[n++] = "--runc-systemd-cgroup";
      placed = true;
    } else if (strcmp(a, "exec") == 0) {
      argv[n++] = "--fifo-dir";
      argv[n++] = g_fifo_dir;
      placed = true;
    }
  }
  argv[n] = NULL;
  if (tty)
    return e_run_tty(input, (char *const *)argv);
  return e_run(NULL, (char *const *)argv);
}

static struct h_result ct(const char *arg, ...) __attribute__((sentinel));
static struct h_result ct(const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_result r = ct_v(false, NULL, arg, ap);
  va_end(ap);
  return r;
}

static struct h_result ct_tty(const char *input, const char *arg, ...) __attribute__((sentinel));
static struct h_result ct_tty(const char *input, const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  struct h_result r = ct_v(true, input, arg, ap);
  va_end(ap);
  return r;
}

/* --cgroup for a container: below the suite's parent (a scope in its slice, with systemd). */
static char *cgroup_of(const char *id) {
  return g_systemd ? e_strf("%s:husk:%s", g_cgparent, id) : e_strf("/%s/%s", g_cgparent, id);
}

static bool systemd_host(void) { return access("/run/systemd/system", F_OK) == 0; }

/* The cgroup v2 directory of a process as the host sees it, or NULL. */
static char *v2_cgroup_dir(pid_t pid) {
  _h_free_ char *cg = h_cgroup2_of(pid);
  return cg ? e_strf("/sys/fs/cgroup%s", cg) : NULL;
}

/* The task's STATUS column in `ctr task ls`; "" when it has none. */
static char *task_status(const char *id, pid_t *ret_pid) {
  _h_result_ struct h_result r = ct("task", "ls", NULL);
  ck_assert_ok(r, "ctr task ls");
  for (char *save, *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char name[256], status[64];
    int pid;
    if (sscanf(line, "%255s %d %63s", name, &pid, status) == 3 && strcmp(name, id) == 0) {
      if (ret_pid)
        *ret_pid = pid;
      return strdup(status);
    }
  }
  return strdup("");
}

static bool wait_task_status(const char *id, const char *want, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    _h_free_ char *s = task_status(id, NULL);
    if (strcmp(s, want) == 0)
      return true;
    usleep(50 * 1000);
  }
  return false;
}

/* A file in the task's rootfs, as the host sees it while the task exists. */
static char *rootfs_file(const char *id, const char *rel) {
  return e_strf("%s/state/io.containerd.runtime.v2.task/%s/%s/rootfs/%s", g_dir, NAMESPACE, id,
                rel);
}

static bool runtime_state_exists(const char *id) {
  _h_free_ char *path = e_strf("%s/%s/%s", g_runc_root, NAMESPACE, id);
  return h_exists(path);
}

/* ---- the suite's containerd ---- */

static pid_t start_containerd(const char *config, const char *log) {
  char *const argv[] = {"containerd", "--config", (char *)config, NULL};
  _h_free_ char *bin = e_strf("%s/bin", g_dir);
  return e_start_daemon(argv, log, bin);
}

static void suite_setup(void) {
  g_dir = e_workdir("containerd");
  g_sock = e_strf("%s/containerd.sock", g_dir);
  g_runc_root = e_strf("%s/runc", g_dir);
  g_fifo_dir = e_strf("%s/fifo", g_dir);
  const char *manager = getenv("HUSK_TEST_CGROUP_MANAGER");
  g_systemd = manager && strcmp(manager, "systemd") == 0;
  /* a slice name: dashes would nest it below other slices */
  g_cgparent = g_systemd ? e_strf("husk_containerd_test_%d.slice", (int)getpid())
                         : e_strf("husk-containerd-test-%d", (int)getpid());
  g_made_run_dir = access("/run/containerd", F_OK) < 0;
  ck_assert(mkdir(g_fifo_dir, 0700) == 0);

  _h_free_ char *config = e_strf("%s/config.toml", g_dir);
  _h_free_ char *text = e_strf(
      "version = 2\n"
      "root = \"%s/root\"\n"
      "state = \"%s/state\"\n"
      /* CRI would set up networking; opt would write /opt/containerd; the rest probe devices. */
      "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.internal.v1.opt\",\n"
      "  \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\",\n"
      "  \"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.aufs\",\n"
      "  \"io.containerd.tracing.processor.v1.otlp\"]\n"
      "[grpc]\n  address = \"%s\"\n"
      "[ttrpc]\n  address = \"%s.ttrpc\"\n",
      g_dir, g_dir, g_sock, g_sock);
  h_write(config, text);
  /* Where a task option drops --runc-binary (ctr run --no-pivot), the shim runs "runc" from
   * its PATH with the default root: both lead to the runtime under test here. */
  _h_free_ char *bin = e_strf("%s/bin", g_dir);
  _h_free_ char *runc = e_strf("%s/runc", bin);
  ck_assert(mkdir(bin, 0755) == 0 && symlink(h_runtime(), runc) == 0);
  _h_free_ char *log = e_strf("%s/containerd.log", g_dir);
  g_containerd = start_containerd(config, log);

  bool up = false;
  for (int waited = 0; !up && waited < 20000; waited += 100) {
    _h_result_ struct h_result v = e_runl("ctr", "--address", g_sock, "version", NULL);
    up = v.status == 0;
    if (!up)
      usleep(100 * 1000);
  }
  ck_assert_msg(up, "containerd did not come up; see %s", log);

  _h_free_ char *mkimage = e_strf("%s/scripts/mkimage", getenv("HUSK_SOURCE_ROOT"));
  _h_free_ char *img = e_strf("%s/image", g_dir);
  _h_result_ struct h_result m = e_runl(mkimage, img, NULL);
  ck_assert_ok(m, "scripts/mkimage");
  _h_free_ char *tar = e_strf("%s/oci.tar", img);
  _h_result_ struct h_result r = ct("image", "import", "--base-name", "localhost/bb", tar, NULL);
  ck_assert_ok(r, "ctr image import");
}

/* Every container of the namespace: its task killed and deleted, then the container. */
static void remove_all(void) {
  _h_result_ struct h_result ls = ct("container", "ls", "--quiet", NULL);
  for (char *save, *id = strtok_r(ls.out, "\n", &save); id; id = strtok_r(NULL, "\n", &save)) {
    _h_result_ struct h_result k = ct("task", "kill", "--all", "--signal", "SIGKILL", id, NULL);
    wait_task_status(id, "STOPPED", 5000);
    _h_result_ struct h_result d = ct("task", "delete", "--force", id, NULL);
    _h_result_ struct h_result c = ct("container", "delete", id, NULL);
    if (c.status != 0)
      fprintf(stderr, "ctr container delete %s: %s", id, c.err);
  }
  /* A shim exits a moment after its container is deleted. */
  _h_free_ char *shim = e_strf("-address %s", g_sock);
  if (!e_wait_no_process(shim, 10000))
    fprintf(stderr, "ctr: a shim of %s is still there\n", g_sock);
}

static void suite_teardown(void) {
  if (g_containerd > 0) {
    remove_all();
    kill(g_containerd, SIGTERM);
    int status;
    for (int waited = 0; waitpid(g_containerd, &status, WNOHANG) == 0; waited += 50) {
      if (waited == 10000)
        kill(g_containerd, SIGKILL);
      usleep(50 * 1000);
    }
  }
  if (g_systemd) { /* systemd made the slice; it removes it */
    _h_result_ struct h_result st = e_runl("systemctl", "stop", g_cgparent, NULL);
  }
  e_cgroup_children(g_cgparent, NULL, true);
  rmdir(DEFAULT_ROOT);
  if (g_made_run_dir) {
    rmdir("/run/containerd/runc");
    rmdir("/run/containerd/s");
    rmdir("/run/containerd");
  }
}

/* ---- tests ---- */

START_TEST(test_run_rm_exit_codes) {
  _h_free_ char *cg = cgroup_of("c-rm");
  _h_result_ struct h_result ok = ct("run", "--rm", "--cgroup", cg, IMAGE, "c-rm", "true", NULL);
  ck_assert_ok(ok, "ctr run --rm true");
  _h_result_ struct h_result three =
      ct("run", "--rm", "--cgroup", cg, IMAGE, "c-rm", "sh", "-c", "echo hello-out; exit 3", NULL);
  ck_assert_msg(three.status == 3, "exit 3 came back as %d: %s", three.status, three.err);
  ck_assert_msg(strstr(three.out, "hello-out"), "stdout: %s", three.out);
  _h_result_ struct h_result ls = ct("container", "ls", "--quiet", NULL);
  ck_assert_msg(e_trim(ls.out)[0] == '\0', "run --rm left containers: %s", ls.out);
  ck_assert_msg(!runtime_state_exists("c-rm"), "the runtime's state of c-rm was left");
}
END_TEST

START_TEST(test_run_error_message) {
  _h_free_ char *cg = cgroup_of("c-err");
  _h_result_ struct h_result r =
      ct("run", "--rm", "--cgroup", cg, IMAGE, "c-err", "/nonexistent", NULL);
  ck_assert_msg(r.status != 0 && r.status != -1, "a missing executable: exit %d", r.status);
  /* The shim reads the runtime's last error from --log (JSON) into its own message. */
  ck_assert_msg(strstr(r.err, "/nonexistent"), "the error does not name the file: %s", r.err);
  if (h_is_husk())
    ck_assert_msg(strstr(r.err, "no such file or directory"), "%s", r.err);
}
END_TEST

/* Everything a long-running task goes through, in the order an orchestrator would. */
START_TEST(test_detached_task_lifecycle) {
  const char *id = "c-life";
  _h_free_ char *cg = cgroup_of(id);
  _h_result_ struct h_result r =
      ct("run", "-d", "--cgroup", cg, IMAGE, id, "sh", "-c",
         "trap 'echo got-usr1 > /tmp/usr1' USR1; sleep 1000 & sleep 1000 & "
         "while :; do sleep 0.1; done",
         NULL);
  ck_assert_ok(r, "ctr run -d");
  pid_t pid = 0;
  _h_free_ char *running = task_status(id, &pid);
  ck_assert_str_eq(running, "RUNNING");
  ck_assert_msg(h_pid_alive(pid), "the task's pid %d is not alive", pid);

  /* ps: the shell and its two sleeps (and maybe a loop sleep) by host pid. */
  usleep(200 * 1000);
  _h_result_ struct h_result ps = ct("task", "ps", id, NULL);
  ck_assert_ok(ps, "ctr task ps");
  ck_assert_msg(h_lines(ps.out) >= 4, "task ps lists too few processes:\n%s", ps.out);
  _h_free_ char *pidstr = e_strf("%d", (int)pid);
  ck_assert_msg(strstr(ps.out, pidstr), "task ps does not list the init %d:\n%s", pid, ps.out);

  _h_result_ struct h_result pause = ct("task", "pause", id, NULL);
  ck_assert_ok(pause, "ctr task pause");
  _h_free_ char *paused = task_status(id, NULL);
  ck_assert_str_eq(paused, "PAUSED");
  _h_result_ struct h_result resume = ct("task", "resume", id, NULL);
  ck_assert_ok(resume, "ctr task resume");
  _h_free_ char *resumed = task_status(id, NULL);
  ck_assert_str_eq(resumed, "RUNNING");

  _h_result_ struct h_result usr1 = ct("task", "kill", "--signal", "SIGUSR1", id, NULL);
  ck_assert_ok(usr1, "ctr task kill -s SIGUSR1");
  _h_free_ char *mark = rootfs_file(id, "tmp/usr1");
  ck_assert_msg(h_wait_file(mark, 5000), "SIGUSR1 never reached the trap (%s)", mark);

  _h_result_ struct h_result all = ct("task", "kill", "--all", "--signal", "SIGKILL", id, NULL);
  ck_assert_ok(all, "ctr task kill --all -s SIGKILL");
  ck_assert_msg(wait_task_status(id, "STOPPED", 10000), "the task did not stop");
  ck_assert_msg(h_wait_pid_gone(pid, 5000), "the init outlived kill --all");
  _h_result_ struct h_result again = ct("task", "kill", id, NULL);
  ck_assert_msg(again.status != 0, "kill of a stopped task succeeded");
  ck_assert_msg(strstr(again.err, "not found"), "kill of a stopped task is not 'not found': %s",
                again.err);

  _h_result_ struct h_result del = ct("task", "delete", id, NULL);
  ck_assert_ok(del, "ctr task delete");
  ck_assert_msg(!runtime_state_exists(id), "task delete left the runtime's state");
  _h_result_ struct h_result cdel = ct("container", "delete", id, NULL);
  ck_assert_ok(cdel, "ctr container delete");
  ck_assert_int_eq(e_cgroup_children(g_cgparent, NULL, false), 0);
}
END_TEST

START_TEST(test_exec) {
  if (!e_runtime_has_exec()) {
    e_skip("exec", "the runtime has no exec command yet");
    return;
  }
  const char *id = "c-exec";
  _h_free_ char *cg = cgroup_of(id);
  _h_result_ struct h_result r = ct("run", "-d", "--cgroup", cg, IMAGE, id, "sleep", "1000", NULL);
  ck_assert_ok(r, "ctr run -d");
  _h_result_ struct h_result uid = ct("task", "exec", "--exec-id", "e1", id, "id", "-u", NULL);
  ck_assert_ok(uid, "ctr task exec id -u");
  ck_assert_str_eq(e_trim(uid.out), "0");
  _h_result_ struct h_result code =
      ct("task", "exec", "--exec-id", "e2", id, "sh", "-c", "exit 6", NULL);
  ck_assert_msg(code.status == 6, "exec exit 6 came back as %d: %s", code.status, code.err);
  _h_result_ struct h_result user =
      ct("task", "exec", "--exec-id", "e3", "--user", "1000", id, "id", "-u", NULL);
  ck_assert_ok(user, "ctr task exec --user 1000");
  ck_assert_str_eq(e_trim(user.out), "1000");
  _h_result_ struct h_result tty = ct_tty("tty; echo $((6*7))x; exit 5\n", "task", "exec", "-t",
                                          "--exec-id", "e4", id, "sh", NULL);
  ck_assert_msg(tty.status == 5, "exec -t: exit %d\n%s%s", tty.status, tty.out, tty.err);
  ck_assert_msg(strstr(tty.out, "/dev/pts/"), "the shell has no terminal: %s", tty.out);
  ck_assert_msg(strstr(tty.out, "42x"), "the shell did not run the input: %s", tty.out);
}
END_TEST

START_TEST(test_run_tty) {
  _h_free_ char *cg = cgroup_of("c-tty");
  _h_result_ struct h_result r = ct_tty("tty; echo $((6*7))x; exit 4\n", "run", "--rm", "-t",
                                        "--cgroup", cg, IMAGE, "c-tty", "sh", NULL);
  ck_assert_msg(r.status == 4, "run -t: exit %d\n%s%s", r.status, r.out, r.err);
  ck_assert_msg(strstr(r.out, "/dev/pts/"), "the shell has no terminal: %s", r.out);
  ck_assert_msg(strstr(r.out, "42x"), "the shell did not run the input: %s", r.out);
}
END_TEST

/* ctr's --no-pivot replaces the task's runtime options: the shim runs "runc" from its PATH
 * (the runtime under test, see suite_setup) with its default root. */
START_TEST(test_no_pivot) {
  const char *id = "c-nopivot";
  _h_free_ char *cg = cgroup_of(id);
  _h_result_ struct h_result r =
      ct("run", "--rm", "--no-pivot", "--cgroup", cg, IMAGE, id, "sh", "-c", "echo no-pivot", NULL);
  ck_assert_ok(r, "ctr run --no-pivot");
  ck_assert_msg(strstr(r.out, "no-pivot"), "%s", r.out);

  _h_result_ struct h_result d =
      ct("run", "-d", "--no-pivot", "--cgroup", cg, IMAGE, id, "sleep", "1000", NULL);
  ck_assert_ok(d, "ctr run -d --no-pivot");
  /* Only the runtime that made a container can read its state: this one did. */
  _h_result_ struct h_result st = e_runl(h_runtime(), "--root", DEFAULT_ROOT, "state", id, NULL);
  ck_assert_ok(st, "the runtime's state of the --no-pivot task");
  ck_assert_msg(strstr(st.out, "\"running\""), "%s", st.out);
}
END_TEST

START_TEST(test_rootfs_propagation_shared) {
  _h_free_ char *cg = cgroup_of("c-shared");
  _h_result_ struct h_result r =
      ct("run", "--rm", "--rootfs-propagation", "shared", "--cgroup", cg, IMAGE, "c-shared", "sh",
         "-c", "grep ' / / ' /proc/self/mountinfo", NULL);
  ck_assert_ok(r, "ctr run --rootfs-propagation shared");
  /* runc 1.1.5 leaves / as it was; husk makes it shared as asked. */
  if (h_is_husk())
    ck_assert_msg(strstr(r.out, "shared:"), "/ is not shared: %s", r.out);
}
END_TEST

/* husk has no checkpoint (and runc fails without criu): with criu installed or not, the attempt
 * fails and the task comes through it running. */
START_TEST(test_checkpoint_refused) {
  const char *id = "c-ckpt";
  _h_free_ char *cg = cgroup_of(id);
  _h_result_ struct h_result r = ct("run", "-d", "--cgroup", cg, IMAGE, id, "sleep", "1000", NULL);
  ck_assert_ok(r, "ctr run -d");
  _h_result_ struct h_result c = ct("task", "checkpoint", id, NULL);
  ck_assert_msg(c.status != 0 && c.status != -1, "checkpoint: exit %d", c.status);
  if (h_is_husk())
    ck_assert_msg(strstr(c.err, "checkpoint"), "the error does not say what failed: %s", c.err);
  _h_free_ char *status = task_status(id, NULL);
  ck_assert_str_eq(status, "RUNNING");
}
END_TEST

/* --runc-systemd-cgroup (containerd's SystemdCgroup = true): on a systemd host the task is
 * in a scope of the slice with its memory limit, the runtime's update changes it, delete removes
 * the scope; without systemd the runtime refuses, saying why, and leaves nothing. */
START_TEST(test_systemd_cgroup) {
  _h_free_ char *slice = g_systemd ? strdup(g_cgparent) : strdup("system.slice");
  _h_free_ char *cg = e_strf("%s:husk:c-systemd", slice);
  if (!systemd_host()) {
    _h_result_ struct h_result r = ct("run", "--rm", "--runc-systemd-cgroup", "--cgroup", cg,
                                      IMAGE, "c-systemd", "true", NULL);
    ck_assert_msg(r.status != 0 && r.status != -1, "--runc-systemd-cgroup: exit %d", r.status);
    ck_assert_msg(strstr(r.err, "systemd"), "the error does not say why: %s", r.err);
    ck_assert_msg(!runtime_state_exists("c-systemd"), "the failed create left the runtime's state");
    return;
  }
  _h_result_ struct h_result r =
      ct("run", "-d", "--runc-systemd-cgroup", "--cgroup", cg, "--memory-limit", "268435456",
         IMAGE, "c-systemd", "sleep", "1000", NULL);
  ck_assert_ok(r, "ctr run -d --runc-systemd-cgroup");
  pid_t pid = 0;
  _h_free_ char *status = task_status("c-systemd", &pid);
  ck_assert_str_eq(status, "RUNNING");
  _h_free_ char *dir = v2_cgroup_dir(pid);
  _h_free_ char *slice_dir = e_strf("/sys/fs/cgroup/%s/husk-c-systemd.scope", slice);
  ck_assert_msg(dir && strcmp(dir, slice_dir) == 0, "the task is in %s, not %s", dir, slice_dir);
  _h_free_ char *max_file = e_strf("%s/memory.max", dir);
  _h_free_ char *max = h_read(max_file);
  ck_assert_msg(max && strcmp(max, "268435456\n") == 0, "memory.max: %s", max);
  _h_result_ struct h_result sc =
      e_runl("systemctl", "is-active", "husk-c-systemd.scope", NULL);
  ck_assert_msg(strcmp(e_trim(sc.out), "active") == 0, "the scope is %s", sc.out);
  /* ctr has no update (containerd updates through CRI): the runtime's own, on its root */
  _h_free_ char *root = e_strf("%s/%s", g_runc_root, NAMESPACE);
  _h_result_ struct h_result up = e_runl(h_runtime(), "--root", root, "--systemd-cgroup", "update",
                                         "--memory", "134217728", "c-systemd", NULL);
  ck_assert_ok(up, "update --memory of the task");
  _h_free_ char *max2 = h_read(max_file);
  ck_assert_msg(max2 && strcmp(max2, "134217728\n") == 0, "memory.max after update: %s", max2);
  _h_result_ struct h_result k = ct("task", "kill", "--signal", "SIGKILL", "c-systemd", NULL);
  ck_assert_ok(k, "ctr task kill");
  ck_assert(wait_task_status("c-systemd", "STOPPED", 10000));
  _h_result_ struct h_result d = ct("task", "delete", "c-systemd", NULL);
  ck_assert_ok(d, "ctr task delete");
  _h_result_ struct h_result c = ct("container", "delete", "c-systemd", NULL);
  ck_assert_ok(c, "ctr container delete");
  ck_assert_msg(!h_exists(slice_dir), "%s outlived the container", slice_dir);
  _h_result_ struct h_result gone = e_runl("systemctl", "is-active", "husk-c-systemd.scope", NULL);
  ck_assert_msg(strcmp(e_trim(gone.out), "active") != 0, "the scope is still active");
}
END_TEST

/* Runs last: what containerd's shims and the runtime leave once every container is gone. */
START_TEST(test_nothing_left) {
  remove_all();
  _h_result_ struct h_result ls = ct("container", "ls", "--quiet", NULL);
  ck_assert_msg(e_trim(ls.out)[0] == '\0', "containers left: %s", ls.out);
  _h_free_ char *shim = e_strf("-address %s", g_sock);
  ck_assert_msg(!h_process_mentions(shim), "a shim was left");
  ck_assert_int_eq(e_cgroup_children(g_cgparent, NULL, false), 0);
  _h_free_ char *state = e_strf("%s/state", g_dir);
  ck_assert_msg(!h_mounted_under(state), "mounts were left under %s", state);
  _h_free_ char *ns_root = e_strf("%s/%s", g_runc_root, NAMESPACE);
  _h_result_ struct h_result left = e_runl("ls", "-A", ns_root, NULL);
  ck_assert_msg(e_trim(left.out)[0] == '\0', "runtime state left: %s", left.out);
  _h_result_ struct h_result left_default = e_runl("ls", "-A", DEFAULT_ROOT, NULL);
  ck_assert_msg(e_trim(left_default.out)[0] == '\0', "runtime state left in %s: %s", DEFAULT_ROOT,
                left_default.out);
}
END_TEST

static Suite *containerd_suite(void) {
  Suite *s = suite_create("containerd");
  TCase *tc = h_tcase("containerd");
  tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
  tcase_add_checked_fixture(tc, NULL, remove_all);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_run_rm_exit_codes);
  tcase_add_test(tc, test_run_error_message);
  tcase_add_test(tc, test_detached_task_lifecycle);
  tcase_add_test(tc, test_exec);
  tcase_add_test(tc, test_run_tty);
  tcase_add_test(tc, test_no_pivot);
  tcase_add_test(tc, test_rootfs_propagation_shared);
  tcase_add_test(tc, test_checkpoint_refused);
  tcase_add_test(tc, test_systemd_cgroup);
  tcase_add_test(tc, test_nothing_left);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (!e_have("containerd") || !e_have("ctr") || !e_have("containerd-shim-runc-v2")) {
    printf("skipped: containerd is not installed (scripts/deps installs it)\n");
    return 77;
  }
  return h_main(containerd_suite());
}
