/* test_run.c: integration tests of what a container sees, through a foreground `run`: exit
 * codes, the hostname, pid, network and user namespaces, mounts, a read-only root, masked
 * and read-only paths, symlinks that point out of the rootfs, the process's user, and --trace. */
#include "harness.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* `run` a copy of the base bundle whose process is `sh -c cmd`, after edit(config). */
static struct h_result run_cmd(const char *name, const char *cmd, void (*edit)(json_t *),
                               char **ret_bundle) {
  char *bundle = h_bundle_new(name);
  _h_free_ char *id = h_id_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  if (edit)
    edit(config);
  h_config_save(bundle, config);
  struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status != -1, "run hung: %s", r.err);
  /* run removes the container when its process exits. */
  ck_assert_msg(!h_state_dir_exists(id), "run left the container's state behind");
  if (ret_bundle)
    *ret_bundle = bundle;
  else
    free(bundle);
  return r;
}

/* Collapse runs of blanks to one space and drop leading ones on each line. */
static void squeeze(char *s) {
  char *w = s;
  bool blank = false, line_start = true;
  for (char *r = s; *r; r++) {
    if (*r == ' ' || *r == '\t') {
      blank = true;
      continue;
    }
    if (blank && !line_start && *r != '\n')
      *w++ = ' ';
    blank = false;
    *w++ = *r;
    line_start = *r == '\n';
  }
  *w = '\0';
}

START_TEST(test_run_output_and_exit_zero) {
  _h_result_ struct h_result r = run_cmd("exit0", "echo hello; echo oops >&2", NULL, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "hello\n");
  ck_assert_msg(strstr(r.err, "oops\n"), "stderr: %s", r.err);
}
END_TEST

START_TEST(test_run_exit_three) {
  _h_result_ struct h_result r = run_cmd("exit3", "exit 3", NULL, NULL);
  ck_assert_msg(r.status == 3, "run: %d %s", r.status, r.err);
}
END_TEST

static void no_pid_namespace(json_t *config) { h_config_remove_namespace(config, "pid"); }

/* Outside a pid namespace the shell is not an init, so SIGKILL from itself kills it. */
START_TEST(test_run_killed_by_itself) {
  _h_result_ struct h_result r = run_cmd("kill9", "kill -9 $$", no_pid_namespace, NULL);
  ck_assert_msg(r.status == 128 + SIGKILL, "run: %d %s", r.status, r.err);
}
END_TEST

/* A foreground run whose container is killed from outside exits 128+9 too. */
START_TEST(test_run_killed_from_outside) {
  _h_free_ char *bundle = h_bundle_new("killout");
  _h_free_ char *id = h_id_new("killout");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, "i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done");
  h_config_save(bundle, config);
  struct h_proc *p = h_rt_spawn("run", "--bundle", bundle, id, NULL);
  bool running = h_wait_status(id, "running", 10000);
  _h_result_ struct h_result k = h_rt("kill", id, "9", NULL);
  _h_result_ struct h_result r = h_proc_wait(p, H_TIMEOUT_MS);
  ck_assert_msg(running, "the container never ran");
  ck_assert_msg(k.status == 0, "kill: %d %s", k.status, k.err);
  ck_assert_msg(r.status == 128 + SIGKILL, "run: %d %s", r.status, r.err);
}
END_TEST

static void set_hostname(json_t *config) {
  h_config_set(config, "hostname", json_string("it-host-7"));
}

START_TEST(test_hostname) {
  _h_result_ struct h_result r =
      run_cmd("host", "hostname; cat /proc/sys/kernel/hostname", set_hostname, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "it-host-7\nit-host-7\n");
}
END_TEST

START_TEST(test_pid_namespace) {
  _h_result_ struct h_result r = run_cmd("pid", "echo $$; readlink /proc/self; true", NULL, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strncmp(r.out, "1\n", 2) == 0, "pid inside: %s", r.out);
  ck_assert_msg(atoi(r.out + 2) > 1 && atoi(r.out + 2) < 100, "readlink: %s", r.out + 2);
}
END_TEST

/* Devices the kernel puts into every new network namespace, all down. */
static bool fallback_device(const char *name) {
  static const char *const names[] = {"tunl0",   "sit0",    "ip6tnl0",  "gre0",    "gretap0",
                                      "erspan0", "ip_vti0", "ip6_vti0", "ip6gre0", "ip6erspan0"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strncmp(name, names[i], strlen(names[i])) == 0 && strchr("@:", name[strlen(names[i])]))
      return true;
  return false;
}

START_TEST(test_network_namespace) {
  _h_result_ struct h_result r = run_cmd("net", "ip -o link", NULL, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  bool lo_up = false;
  for (char *save, *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char name[64], flags[256];
    ck_assert_msg(sscanf(line, "%*d: %63s <%255[^>]>", name, flags) == 2, "ip: %s", line);
    if (strcmp(name, "lo:") == 0) {
      _h_free_ char *list = NULL;
      ck_assert(asprintf(&list, ",%s,", flags) > 0);
      lo_up = strstr(list, ",UP,") != NULL;
      continue;
    }
    ck_assert_msg(fallback_device(name), "a host interface is visible: %s", line);
  }
  ck_assert_msg(lo_up, "lo is not up: %s", r.out);
}
END_TEST

static void user_namespace(json_t *config) {
  h_config_add_namespace(config, "user");
  h_config_set(config, "linux.uidMappings",
               json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 100000, "size", 65536));
  h_config_set(config, "linux.gidMappings",
               json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 100000, "size", 65536));
}

START_TEST(test_user_namespace) {
  _h_result_ struct h_result r =
      run_cmd("user", "cat /proc/self/uid_map /proc/self/gid_map; id -u", user_namespace, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  squeeze(r.out);
  ck_assert_str_eq(r.out, "0 100000 65536\n0 100000 65536\n0\n");
}
END_TEST

static char *g_host_dir;

static void bind_and_tmpfs(json_t *config) {
  h_config_add_mount(config, "/data", "bind", g_host_dir, "rbind", "rw", NULL);
  h_config_add_mount(config, "/scratch", "tmpfs", "tmpfs", "size=1m", "mode=1777", NULL);
}

START_TEST(test_mounts) {
  _h_free_ char *host = h_dir_new("host");
  _h_free_ char *in = NULL, *out = NULL;
  ck_assert(asprintf(&in, "%s/in", host) > 0 && asprintf(&out, "%s/out", host) > 0);
  h_write(in, "from-host\n");
  g_host_dir = host;
  _h_result_ struct h_result r =
      run_cmd("mounts",
              "cat /data/in; echo from-container >/data/out; "
              "echo x >/scratch/f && echo scratch-writable; "
              "while read -r src dst type rest; do echo \"mount $dst $type\"; done </proc/mounts; "
              "test -r /proc/self/status && echo proc-readable",
              bind_and_tmpfs, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strncmp(r.out, "from-host\n", 10) == 0, "bind mount: %s", r.out);
  ck_assert_msg(strstr(r.out, "\nscratch-writable\n"), "tmpfs: %s", r.out);
  ck_assert_msg(strstr(r.out, "\nmount /scratch tmpfs\n"), "tmpfs: %s", r.out);
  ck_assert_msg(strstr(r.out, "\nmount /proc proc\n"), "proc: %s", r.out);
  ck_assert_msg(strstr(r.out, "\nmount /data "), "bind mount: %s", r.out);
  ck_assert_msg(strstr(r.out, "\nproc-readable\n"), "proc: %s", r.out);
  _h_free_ char *written = h_read(out);
  ck_assert_msg(written && strcmp(written, "from-container\n") == 0,
                "the bind mount is not shared");
  ck_assert_msg(!h_mounted_under(host), "a mount was left on the host");
}
END_TEST

static void readonly_root(json_t *config) {
  h_config_set(config, "root.readonly", json_true());
  h_config_add_mount(config, "/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", NULL);
}

START_TEST(test_readonly_root) {
  _h_free_ char *bundle = NULL;
  _h_result_ struct h_result r = run_cmd("ro", "touch /x", readonly_root, &bundle);
  ck_assert_msg(r.status > 0, "touch /x succeeded on a read-only root");
  _h_free_ char *x = NULL;
  ck_assert(asprintf(&x, "%s/rootfs/x", bundle) > 0);
  ck_assert(!h_exists(x));

  _h_result_ struct h_result t = run_cmd("ro-tmp", "touch /tmp/y && echo ok", readonly_root, NULL);
  ck_assert_msg(t.status == 0, "touch /tmp/y on the tmpfs: %d %s", t.status, t.err);
  ck_assert_str_eq(t.out, "ok\n");
}
END_TEST

static void masked_and_readonly(json_t *config) {
  h_config_append(config, "linux.maskedPaths", json_string("/etc/secret"));
  h_config_append(config, "linux.maskedPaths", json_string("/etc/secretdir"));
  h_config_append(config, "linux.readonlyPaths", json_string("/etc/rodir"));
}

START_TEST(test_masked_and_readonly_paths) {
  _h_free_ char *bundle = h_bundle_new("mask");
  _h_free_ char *secret = NULL, *sdir = NULL, *inner = NULL, *rodir = NULL;
  ck_assert(asprintf(&secret, "%s/rootfs/etc/secret", bundle) > 0);
  ck_assert(asprintf(&sdir, "%s/rootfs/etc/secretdir", bundle) > 0);
  ck_assert(asprintf(&inner, "%s/inner", sdir) > 0);
  ck_assert(asprintf(&rodir, "%s/rootfs/etc/rodir", bundle) > 0);
  h_write(secret, "topsecret\n");
  ck_assert_int_eq(mkdir(sdir, 0755), 0);
  h_write(inner, "inner\n");
  ck_assert_int_eq(mkdir(rodir, 0755), 0);

  _h_free_ char *id = h_id_new("mask");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, "echo \"secret=[$(cat /etc/secret)]\"; "
                           "echo \"dir=[$(ls /etc/secretdir)]\"; "
                           "touch /etc/rodir/f 2>/dev/null && echo rodir=rw || echo rodir=ro; "
                           "touch /etc/other 2>/dev/null && echo etc=rw || echo etc=ro");
  masked_and_readonly(config);
  h_config_save(bundle, config);
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "secret=[]\ndir=[]\nrodir=ro\netc=rw\n");
  /* Masking hides the files; it must not change them. */
  _h_free_ char *text = h_read(secret);
  ck_assert_str_eq(text, "topsecret\n");
  ck_assert(h_exists(inner));
}
END_TEST

/* Mount destinations that go through symlinks pointing out of the rootfs, absolute and
 * relative: they must resolve inside the rootfs, never on the host. */
START_TEST(test_symlink_mount_destination_stays_inside) {
  _h_free_ char *bundle = h_bundle_new("evil");
  _h_free_ char *abs_link = NULL, *rel_link = NULL, *name = NULL, *host1 = NULL, *host2 = NULL;
  _h_free_ char *dst1 = NULL, *dst2 = NULL, *cmd = NULL;
  ck_assert(asprintf(&abs_link, "%s/rootfs/evil", bundle) > 0);
  ck_assert(asprintf(&rel_link, "%s/rootfs/evil2", bundle) > 0);
  ck_assert(asprintf(&name, "husk-it-escape-%d", (int)getpid()) > 0);
  ck_assert(asprintf(&host1, "/etc/%s", name) > 0 && asprintf(&host2, "/etc/%s-2", name) > 0);
  ck_assert(asprintf(&dst1, "/evil/%s", name) > 0 && asprintf(&dst2, "/evil2/%s-2", name) > 0);
  ck_assert_int_eq(symlink("/etc", abs_link), 0);
  ck_assert_int_eq(symlink("../../../../../../../../etc", rel_link), 0);
  ck_assert(!h_exists(host1) && !h_exists(host2));
  ck_assert(asprintf(&cmd, "grep -c ' /etc/%s' /proc/self/mountinfo", name) > 0);

  _h_free_ char *id = h_id_new("evil");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  h_config_add_mount(config, dst1, "tmpfs", "tmpfs", "size=1m", NULL);
  h_config_add_mount(config, dst2, "tmpfs", "tmpfs", "size=1m", NULL);
  h_config_save(bundle, config);
  int mounts_before = h_mount_count();
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);

  bool escaped = h_exists(host1) || h_exists(host2);
  bool mounted = h_mounted_under(host1) || h_mounted_under(host2);
  int mounts_after = h_mount_count();
  /* Undo an escape before failing, so the host is left as it was. */
  umount2(host1, MNT_DETACH);
  umount2(host2, MNT_DETACH);
  rmdir(host1);
  rmdir(host2);
  ck_assert_msg(!escaped, "a mount destination through a symlink was created on the host");
  ck_assert_msg(!mounted, "a tmpfs was mounted on the host's /etc");
  ck_assert_int_eq(mounts_after, mounts_before);
  ck_assert_msg(r.status != -1, "run hung");
  /* Refusing is acceptable; if it ran, both mounts are inside, at /etc/<name>. */
  if (r.status == 0)
    ck_assert_msg(strcmp(r.out, "2\n") == 0, "mounts inside: %s", r.out);
}
END_TEST

/* A destination that is a dangling symlink: its target is made inside the rootfs and mounted
 * on, as runc does, even when the link's target reads as a path out of it. */
START_TEST(test_dangling_symlink_mount_destination) {
  _h_free_ char *bundle = h_bundle_new("dangle");
  _h_free_ char *name = NULL, *abs = NULL, *rel = NULL, *file = NULL, *cmd = NULL;
  _h_free_ char *host_abs = NULL, *host_rel = NULL, *in_abs = NULL, *in_rel = NULL;
  ck_assert(asprintf(&name, "husk-it-dangle-%d", (int)getpid()) > 0);
  ck_assert(asprintf(&abs, "%s/rootfs/dangle-abs", bundle) > 0);
  ck_assert(asprintf(&rel, "%s/rootfs/dangle-rel", bundle) > 0);
  ck_assert(asprintf(&host_abs, "/tmp/%s/deep", name) > 0);
  ck_assert(asprintf(&host_rel, "/%s-file", name) > 0);
  ck_assert(asprintf(&in_abs, "%s/rootfs%s", bundle, host_abs) > 0);
  ck_assert(asprintf(&in_rel, "%s/rootfs%s", bundle, host_rel) > 0);
  ck_assert_int_eq(symlink(host_abs, abs), 0);
  _h_free_ char *rel_target = NULL;
  ck_assert(asprintf(&rel_target, "../../../../..%s", host_rel) > 0);
  ck_assert_int_eq(symlink(rel_target, rel), 0);
  ck_assert(asprintf(&file, "%s/config.json", bundle) > 0);
  ck_assert(asprintf(&cmd, "grep -c -e ' %s ' -e ' %s ' /proc/self/mountinfo", host_abs,
                     host_rel) > 0);
  _h_free_ char *id = h_id_new("dangle");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  h_config_add_mount(config, "/dangle-abs", "tmpfs", "tmpfs", "size=1m", NULL);
  h_config_add_mount(config, "/dangle-rel", "bind", file, "bind", "ro", NULL);
  h_config_save(bundle, config);
  int mounts_before = h_mount_count();
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  bool escaped = h_exists(host_abs) || h_exists(host_rel);
  _h_free_ char *host_dir = NULL;
  ck_assert(asprintf(&host_dir, "/tmp/%s", name) > 0);
  unlink(host_rel);
  rmdir(host_abs);
  rmdir(host_dir);
  ck_assert_msg(!escaped, "a dangling symlink's target was made on the host");
  ck_assert_int_eq(h_mount_count(), mounts_before);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strcmp(r.out, "2\n") == 0, "mounts at the links' targets: %s", r.out);
  ck_assert_msg(h_exists(in_abs) && h_exists(in_rel), "the targets were not made in the rootfs");
}
END_TEST

/* rootfsPropagation rshared and a volume with rshared (containerd's CRI for Bidirectional,
 * what CSI node plugins need): the volume stays in the host's peer group, so a mount made
 * in the container under it shows on the host, and the container's own mounts do not. */
START_TEST(test_rshared_volume_propagates_to_host) {
  char dir[] = "/tmp/husk-it-rshared-XXXXXX";
  ck_assert(mkdtemp(dir));
  ck_assert_int_eq(mount("vol", dir, "tmpfs", 0, "size=1m"), 0);
  ck_assert_int_eq(mount(NULL, dir, NULL, MS_SHARED, NULL), 0);
  _h_free_ char *sub = NULL;
  ck_assert(asprintf(&sub, "%s/sub", dir) > 0);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  _h_free_ char *bundle = h_bundle_new("rshared");
  _h_free_ char *id = h_id_new("rshared");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, "mount -t tmpfs inner /vol/sub && echo mounted");
  h_config_add_cap(config, "CAP_SYS_ADMIN");
  h_config_add_mount(config, "/vol", "bind", dir, "rbind", "rshared", NULL);
  h_config_set(config, "linux.rootfsPropagation", json_string("rshared"));
  h_config_save(bundle, config);
  int mounts_before = h_mount_count();
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  bool propagated = h_mounted_under(sub);
  int mounts_after = h_mount_count();
  umount2(sub, MNT_DETACH);
  umount2(dir, MNT_DETACH);
  rmdir(dir);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(strstr(r.out, "mounted"), "out: %s", r.out);
  ck_assert_msg(propagated, "the container's mount under the rshared volume is not on the host");
  ck_assert_int_eq(mounts_after, mounts_before + 1);
}
END_TEST

/* No mount namespace in the config: the container runs in the runtime's, chroot()ed into its
 * rootfs (as runc); what it mounts is below the rootfs and gone after delete; exec gets the
 * same root. What needs a mount namespace of its own is refused. */
static char *no_mount_ns_bundle(const char *name, const char *cmd) {
  char *bundle = h_bundle_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  h_config_remove_namespace(config, "mount");
  h_config_del(config, "linux.maskedPaths");
  h_config_del(config, "linux.readonlyPaths");
  h_config_save(bundle, config);
  _h_free_ char *marker = NULL;
  ck_assert(asprintf(&marker, "%s/rootfs/no-mnt-ns-marker", bundle) > 0);
  h_write(marker, "inside\n");
  return bundle;
}

START_TEST(test_no_mount_namespace) {
  char link[64] = "";
  ck_assert(readlink("/proc/self/ns/mnt", link, sizeof(link) - 1) > 0);
  _h_free_ char *bundle =
      no_mount_ns_bundle("nomnt", "readlink /proc/self/ns/mnt; cat /no-mnt-ns-marker; "
                                  "grep -c ' /proc ' /proc/self/mountinfo >/dev/null && echo proc");
  _h_free_ char *id = h_id_new("nomnt");
  int mounts_before = h_mount_count();
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  _h_free_ char *want = NULL;
  ck_assert(asprintf(&want, "%s\ninside\nproc\n", link) > 0);
  ck_assert_msg(strcmp(r.out, want) == 0, "out: %s, want %s", r.out, want);
  ck_assert_msg(h_mount_count() == mounts_before || !h_is_husk(),
                "mounts were left below the rootfs");

  /* create, exec, delete: the exec'd process sees the rootfs too, and delete unmounts. */
  _h_free_ char *bundle2 = no_mount_ns_bundle("nomnt2", "sleep 100");
  _h_free_ char *id2 = h_id_new("nomnt2");
  int before2 = h_mount_count();
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle2, id2, NULL);
  ck_assert_msg(c.status == 0, "create: %s", c.err);
  ck_assert_msg(h_mount_count() > before2, "nothing was mounted below the rootfs");
  _h_result_ struct h_result s = h_rt("start", id2, NULL);
  ck_assert_msg(s.status == 0, "start: %s", s.err);
  /* runc 1.1 execs such a process in the host's root */
  _h_result_ struct h_result e = h_rt("exec", id2, "cat", "/no-mnt-ns-marker", NULL);
  ck_assert_msg(!h_is_husk() || (e.status == 0 && strcmp(e.out, "inside\n") == 0),
                "exec: %d %s %s", e.status, e.out, e.err);
  _h_result_ struct h_result d = h_rt("delete", "--force", id2, NULL);
  ck_assert_msg(d.status == 0, "delete: %s", d.err);
  ck_assert_msg(h_mount_count() == before2 || !h_is_husk(), "delete left mounts below the rootfs");
  if (!h_is_husk()) { /* runc 1.1 leaves them (and a bind of the rootfs) on the host */
    const char *bundles[] = {bundle, bundle2};
    for (size_t i = 0; i < 2; i++) {
      _h_free_ char *rootfs = NULL;
      ck_assert(asprintf(&rootfs, "%s/rootfs", bundles[i]) > 0);
      while (umount2(rootfs, MNT_DETACH) == 0)
        ;
    }
  }
}
END_TEST

START_TEST(test_no_mount_namespace_refuses_masked_paths) {
  if (!h_is_husk())
    return; /* the wording is husk's */
  _h_free_ char *bundle = h_bundle_new("nomntmask");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_remove_namespace(config, "mount");
  h_config_save(bundle, config);
  _h_free_ char *id = h_id_new("nomntmask");
  h_assert_create_fails_cleanly(bundle, id, "linux.maskedPaths: needs a mount namespace");
}
END_TEST

/* Mount and uts namespaces joined by path (a pod's, say): the rootfs is built in the joined
 * mount namespace, and the joined uts namespace takes the config's hostname. */
START_TEST(test_join_mount_and_uts_namespaces_by_path) {
  int ready[2];
  ck_assert_int_eq(pipe(ready), 0);
  pid_t holder = fork();
  ck_assert_int_ge(holder, 0);
  if (holder == 0) {
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
      _exit(1);
    close(ready[0]);
    if (write(ready[1], "x", 1) != 1)
      _exit(1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char x;
  ck_assert_int_eq(read(ready[0], &x, 1), 1);
  close(ready[0]);
  _h_free_ char *mnt = NULL, *uts = NULL;
  ck_assert(asprintf(&mnt, "/proc/%d/ns/mnt", (int)holder) > 0);
  ck_assert(asprintf(&uts, "/proc/%d/ns/uts", (int)holder) > 0);
  char mnt_link[64] = "", uts_link[64] = "";
  ck_assert(readlink(mnt, mnt_link, sizeof(mnt_link) - 1) > 0);
  ck_assert(readlink(uts, uts_link, sizeof(uts_link) - 1) > 0);
  _h_free_ char *bundle = h_bundle_new("joinns");
  _h_free_ char *id = h_id_new("joinns");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, "hostname; readlink /proc/self/ns/mnt; readlink /proc/self/ns/uts");
  h_config_add_namespace(config, "mount");
  h_config_add_namespace(config, "uts");
  json_t *nss = json_object_get(json_object_get(config, "linux"), "namespaces");
  size_t i;
  json_t *ns;
  json_array_foreach(nss, i, ns) {
    const char *type = json_string_value(json_object_get(ns, "type"));
    if (strcmp(type, "mount") == 0)
      json_object_set_new(ns, "path", json_string(mnt));
    if (strcmp(type, "uts") == 0)
      json_object_set_new(ns, "path", json_string(uts));
  }
  h_config_set(config, "hostname", json_string("joined-by-path"));
  h_config_save(bundle, config);
  int mounts_before = h_mount_count();
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  kill(holder, SIGKILL);
  waitpid(holder, NULL, 0);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  _h_free_ char *want = NULL;
  ck_assert(asprintf(&want, "joined-by-path\n%s\n%s\n", mnt_link, uts_link) > 0);
  ck_assert_msg(strcmp(r.out, want) == 0, "out: %s, want %s", r.out, want);
  ck_assert_int_eq(h_mount_count(), mounts_before);
}
END_TEST

static void app_user(json_t *config) {
  h_config_set(config, "process.user", json_pack("{s:i, s:i}", "uid", 1000, "gid", 1000));
  h_config_set(config, "process.cwd", json_string("/home/app"));
  h_config_append(config, "process.env", json_string("HUSK_IT=yes"));
}

START_TEST(test_process_user_cwd_env) {
  _h_result_ struct h_result r =
      run_cmd("user1000", "id -u; id -g; pwd; echo $HUSK_IT", app_user, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "1000\n1000\n/home/app\nyes\n");
}
END_TEST

/* run -u NAME as docker run: resolved in the bundle's own /etc/passwd (husk's run flag). */
START_TEST(test_run_user_by_name) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_new("runname");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, "id -u; id -g");
  h_config_save(bundle, config);
  _h_free_ char *id = h_id_new("runname");
  _h_result_ struct h_result r = h_rt("run", "-u", "app", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run -u app: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "1000\n1000\n");
  _h_free_ char *id2 = h_id_new("runname");
  _h_result_ struct h_result g = h_rt("run", "-u", "nobody", "--bundle", bundle, id2, NULL);
  ck_assert_msg(g.status == 0, "run -u nobody: %d %s", g.status, g.err);
  ck_assert_str_eq(g.out, "65534\n65534\n");
  _h_free_ char *id3 = h_id_new("runname");
  _h_result_ struct h_result bad = h_rt("run", "-u", "ghost", "--bundle", bundle, id3, NULL);
  ck_assert_msg(bad.status != 0 && strstr(bad.err, "no such user"), "run -u ghost: %d %s",
                bad.status, bad.err);
  ck_assert_msg(!h_state_dir_exists(id3), "a refused run left its state");
}
END_TEST

START_TEST(test_trace) {
  if (!h_is_husk())
    return; /* --trace is husk's own */
  _h_free_ char *bundle = h_bundle_new("trace");
  _h_free_ char *id = h_id_new("trace");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, "echo traced");
  h_config_save(bundle, config);
  _h_result_ struct h_result r = h_rt("--trace", "run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "--trace run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "traced\n");
  const char *steps[] = {"clone", "mount", "pivot_root", "execve"};
  for (size_t i = 0; i < 4; i++)
    ck_assert_msg(strstr(r.err, steps[i]), "--trace does not mention %s:\n%s", steps[i], r.err);
}
END_TEST

int main(void) {
  Suite *s = suite_create("run");
  TCase *tc = h_tcase("run");
  tcase_add_test(tc, test_run_output_and_exit_zero);
  tcase_add_test(tc, test_run_exit_three);
  tcase_add_test(tc, test_run_killed_by_itself);
  tcase_add_test(tc, test_run_killed_from_outside);
  tcase_add_test(tc, test_hostname);
  tcase_add_test(tc, test_pid_namespace);
  tcase_add_test(tc, test_network_namespace);
  tcase_add_test(tc, test_user_namespace);
  tcase_add_test(tc, test_mounts);
  tcase_add_test(tc, test_readonly_root);
  tcase_add_test(tc, test_masked_and_readonly_paths);
  tcase_add_test(tc, test_symlink_mount_destination_stays_inside);
  tcase_add_test(tc, test_dangling_symlink_mount_destination);
  tcase_add_test(tc, test_rshared_volume_propagates_to_host);
  tcase_add_test(tc, test_no_mount_namespace);
  tcase_add_test(tc, test_no_mount_namespace_refuses_masked_paths);
  tcase_add_test(tc, test_join_mount_and_uts_namespaces_by_path);
  tcase_add_test(tc, test_process_user_cwd_env);
  tcase_add_test(tc, test_run_user_by_name);
  tcase_add_test(tc, test_trace);
  suite_add_tcase(s, tc);
  return h_main(s);
}
