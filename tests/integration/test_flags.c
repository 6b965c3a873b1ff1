/* test_flags.c: integration tests of docker run's everyday flags on `husk run` (husk's own
 * flags, so husk only): -v and --mount (binds, named volumes that outlive their container,
 * tmpfs), --tmpfs, --read-only, -w, --cap-add/--cap-drop, --security-opt, --pids-limit, --cpus,
 * --memory-swap, --ulimit, --shm-size, --sysctl, --label, --init, -i and -t, each seen from
 * inside the container (or its cgroup), and bad values refused with nothing left behind. */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270L

/* husk run --name id FLAGS... bundle sh -c cmd */
#define RUN(id, bundle, cmd, ...)                                                                  \
  h_rt("run", "--name", id, __VA_ARGS__, bundle, "sh", "-c", cmd, NULL)

/* The foreground run's output, checked to have succeeded and to have left no state. */
#define ASSERT_RAN(r, id)                                                                          \
  do {                                                                                             \
    ck_assert_msg((r).status == 0, "run: %d %s%s", (r).status, (r).out, (r).err);                  \
    ck_assert_msg(!h_state_dir_exists(id), "run left the container's state behind");               \
  } while (0)

/* husk's own run flags: another runtime has none of them to compare with. */
#define HUSK_ONLY()                                                                                \
  do {                                                                                             \
    if (!h_is_husk())                                                                              \
      return;                                                                                      \
  } while (0)

/* A store of this test's own (HUSK_STORAGE), for named volumes. */
static char *own_store(void) {
  char *store = h_dir_new("store");
  setenv("HUSK_STORAGE", store, 1);
  return store;
}

/* ---- -v, --mount, --tmpfs ---- */

START_TEST(test_volume_read_only_refuses_write) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("vro");
  _h_free_ char *host = h_dir_new("vro-host");
  _h_free_ char *file = NULL;
  ck_assert_int_gt(asprintf(&file, "%s/in", host), 0);
  h_write(file, "from the host\n");
  _h_free_ char *spec = NULL;
  ck_assert_int_gt(asprintf(&spec, "%s:/data:ro", host), 0);
  _h_free_ char *id = h_id_new("vro");
  _h_result_ struct h_result r =
      RUN(id, bundle, "cat /data/in; if echo x > /data/out; then echo wrote; else echo refused; fi",
          "-v", spec);
  ASSERT_RAN(r, id);
  ck_assert_str_eq(r.out, "from the host\nrefused\n");
  ck_assert_msg(strstr(r.err, "Read-only file system"), "stderr: %s", r.err);
  _h_free_ char *out = NULL;
  ck_assert_int_gt(asprintf(&out, "%s/out", host), 0);
  ck_assert_msg(!h_exists(out), "the write reached the host");
}
END_TEST

START_TEST(test_volume_bind_rw_and_missing_host_dir) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("vrw");
  _h_free_ char *host = h_dir_new("vrw-host");
  /* -v makes a missing host directory, as docker's -v does */
  _h_free_ char *missing = NULL, *spec = NULL, *spec2 = NULL;
  ck_assert_int_gt(asprintf(&missing, "%s/made/by/run", host), 0);
  ck_assert_int_gt(asprintf(&spec, "%s:/data", host), 0);
  ck_assert_int_gt(asprintf(&spec2, "%s:/made:rw,rprivate", missing), 0);
  _h_free_ char *id = h_id_new("vrw");
  _h_result_ struct h_result r =
      RUN(id, bundle, "echo hello > /data/out && echo there > /made/f", "-v", spec, "-v", spec2);
  ASSERT_RAN(r, id);
  _h_free_ char *out = NULL, *made = NULL;
  ck_assert_int_gt(asprintf(&out, "%s/out", host), 0);
  ck_assert_int_gt(asprintf(&made, "%s/f", missing), 0);
  _h_free_ char *text = h_read(out), *text2 = h_read(made);
  ck_assert_pstr_eq(text, "hello\n");
  ck_assert_pstr_eq(text2, "there\n");
}
END_TEST

/* --mount type=bind does not make a missing source: docker's error, nothing left. */
START_TEST(test_mount_bind_missing_source) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("mbind");
  _h_free_ char *host = h_dir_new("mbind-host");
  _h_free_ char *m = NULL, *missing = NULL;
  ck_assert_int_gt(asprintf(&missing, "%s/nope", host), 0);
  ck_assert_int_gt(asprintf(&m, "type=bind,source=%s,target=/data,readonly", missing), 0);
  _h_free_ char *id = h_id_new("mbind");
  int mounts = h_mount_count();
  _h_result_ struct h_result r = RUN(id, bundle, "true", "--mount", m);
  ck_assert_int_ne(r.status, 0);
  ck_assert_msg(strstr(r.err, "invalid mount config for type \"bind\": bind source path does "
                              "not exist"),
                "stderr: %s", r.err);
  ck_assert(!h_exists(missing));
  ck_assert(!h_state_dir_exists(id));
  ck_assert_int_eq(h_mount_count(), mounts);
  /* with the source there, it is mounted read-only */
  _h_free_ char *m2 = NULL;
  ck_assert_int_gt(asprintf(&m2, "type=bind,src=%s,dst=/data,ro=true", host), 0);
  _h_result_ struct h_result ok = RUN(id, bundle, "touch /data/x || echo refused", "--mount", m2);
  ASSERT_RAN(ok, id);
  ck_assert_str_eq(ok.out, "refused\n");
}
END_TEST

START_TEST(test_named_volume_persists) {
  HUSK_ONLY();
  _h_free_ char *store = own_store();
  _h_free_ char *bundle = h_bundle_new("vol");
  _h_free_ char *a = h_id_new("vol-a"), *b = h_id_new("vol-b");
  _h_result_ struct h_result w = RUN(a, bundle, "echo kept > /data/f", "-v", "webdata:/data");
  ASSERT_RAN(w, a);
  _h_free_ char *data = NULL;
  ck_assert_int_gt(asprintf(&data, "%s/volumes/webdata/_data/f", store), 0);
  _h_free_ char *text = h_read(data);
  ck_assert_pstr_eq(text, "kept\n");
  _h_result_ struct h_result r =
      RUN(b, bundle, "cat /data/f", "--mount", "type=volume,src=webdata,dst=/data");
  ASSERT_RAN(r, b);
  ck_assert_str_eq(r.out, "kept\n");
  /* a new volume is filled from what the rootfs has at its mount point; nocopy leaves it be */
  _h_result_ struct h_result f =
      RUN(b, bundle, "ls /etc/passwd", "-v", "etcvol:/etc", "-v", "bare:/etc2:nocopy");
  ASSERT_RAN(f, b);
  _h_free_ char *passwd = NULL;
  ck_assert_int_gt(asprintf(&passwd, "%s/volumes/etcvol/_data/passwd", store), 0);
  ck_assert_msg(h_exists(passwd), "the volume was not filled from the rootfs");
  _h_result_ struct h_result ls = h_rt("volume", "ls", NULL);
  ck_assert_msg(ls.status == 0 && strstr(ls.out, "webdata") && strstr(ls.out, "etcvol"),
                "volume ls: %d %s %s", ls.status, ls.out, ls.err);
  _h_result_ struct h_result rm = h_rt("volume", "rm", "webdata", "etcvol", "bare", NULL);
  ck_assert_msg(rm.status == 0, "volume rm: %s", rm.err);
  ck_assert(!h_exists(data));
  _h_result_ struct h_result again = h_rt("volume", "rm", "webdata", NULL);
  ck_assert_int_ne(again.status, 0);
  ck_assert_msg(strstr(again.err, "no such volume"), "%s", again.err);
  unsetenv("HUSK_STORAGE");
}
END_TEST

/* A volume a container mounts is not removed (docker's "volume is in use"); prune takes the
 * unused anonymous ones, -a every unused one. */
START_TEST(test_volume_in_use_and_prune) {
  HUSK_ONLY();
  _h_free_ char *store = own_store();
  _h_free_ char *bundle = h_bundle_new("inuse");
  _h_free_ char *id = h_id_new("inuse");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "-v", "busy:/data", "-v", "/anon",
                                      "-v", "idle:/idle", bundle, "sleep", "100", NULL);
  ck_assert_msg(r.status == 0, "run -d: %s", r.err);
  _h_result_ struct h_result rm = h_rt("volume", "rm", "busy", NULL);
  ck_assert_int_ne(rm.status, 0);
  _h_free_ char *want = NULL;
  ck_assert_int_gt(asprintf(&want, "remove busy: volume is in use - [%s]", id), 0);
  ck_assert_msg(strstr(rm.err, want), "%s", rm.err);
  _h_result_ struct h_result p = h_rt("volume", "prune", "-a", NULL);
  ck_assert_msg(p.status == 0 && !strstr(p.out, "busy") && !strstr(p.out, "idle"), "prune: %s %s",
                p.out, p.err);
  _h_result_ struct h_result d = h_rt("delete", "--force", id, NULL);
  ck_assert_int_eq(d.status, 0);
  _h_result_ struct h_result anon = h_rt("volume", "prune", NULL);
  ck_assert_msg(anon.status == 0 && !strstr(anon.out, "busy"), "prune: %s", anon.out);
  _h_result_ struct h_result q = h_rt("volume", "ls", "-q", NULL);
  ck_assert_str_eq(q.out, "busy\nidle\n"); /* the anonymous one went */
  _h_result_ struct h_result all = h_rt("volume", "prune", "-a", NULL);
  ck_assert_msg(strstr(all.out, "busy\nidle\n"), "prune -a: %s", all.out);
  _h_result_ struct h_result none = h_rt("volume", "ls", "-q", NULL);
  ck_assert_str_eq(none.out, "");
  unsetenv("HUSK_STORAGE");
}
END_TEST

START_TEST(test_tmpfs) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("tmpfs");
  _h_free_ char *id = h_id_new("tmpfs");
  _h_result_ struct h_result r = RUN(
      id, bundle, "grep -E ' /(scratch|t2) ' /proc/mounts; touch /scratch/ok && echo ok", "--tmpfs",
      "/scratch:size=1m", "--mount", "type=tmpfs,dst=/t2,tmpfs-size=2m,tmpfs-mode=700");
  ASSERT_RAN(r, id);
  ck_assert_msg(strstr(r.out, "tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k"),
                "%s", r.out);
  ck_assert_msg(
      strstr(r.out, "tmpfs /t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=700"), "%s",
      r.out);
  ck_assert_msg(strstr(r.out, "ok\n"), "%s", r.out);
}
END_TEST

/* ---- the root, the cwd ---- */

START_TEST(test_read_only_and_workdir) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("ro");
  _h_free_ char *id = h_id_new("ro");
  _h_result_ struct h_result r =
      RUN(id, bundle, "touch /x 2>/dev/null && echo wrote || echo refused", "--read-only");
  ASSERT_RAN(r, id);
  ck_assert_str_eq(r.out, "refused\n");
  _h_result_ struct h_result w = RUN(id, bundle, "pwd", "-w", "/srv/app");
  ASSERT_RAN(w, id);
  ck_assert_str_eq(w.out, "/srv/app\n");
}
END_TEST

/* ---- capabilities and security options ---- */

static unsigned long long status_hex(const char *text, const char *key) {
  const char *p = strstr(text, key);
  ck_assert_msg(p, "no %s in %s", key, text);
  return strtoull(p + strlen(key), NULL, 16);
}

START_TEST(test_cap_add_and_drop) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("caps");
  _h_free_ char *id = h_id_new("caps");
  _h_result_ struct h_result r = RUN(id, bundle, "grep CapEff /proc/self/status", "--cap-drop",
                                     "ALL", "--cap-add", "net_admin");
  ASSERT_RAN(r, id);
  ck_assert_uint_eq(status_hex(r.out, "CapEff:"), 1ULL << 12); /* CAP_NET_ADMIN */
  _h_result_ struct h_result base =
      RUN(id, bundle, "grep CapEff /proc/self/status", "--label", "x");
  ASSERT_RAN(base, id);
  unsigned long long before = status_hex(base.out, "CapEff:");
  ck_assert_msg(before & (1ULL << 5), "the base bundle lacks CAP_KILL: %llx", before);
  _h_result_ struct h_result d = RUN(id, bundle, "grep -E 'CapEff|CapBnd' /proc/self/status",
                                     "--cap-drop", "CAP_KILL", "--cap-add", "SYS_TIME");
  ASSERT_RAN(d, id);
  unsigned long long want = (before & ~(1ULL << 5)) | (1ULL << 25);
  ck_assert_uint_eq(status_hex(d.out, "CapEff:"), want);
  ck_assert_uint_eq(status_hex(d.out, "CapBnd:"), want);
}
END_TEST

START_TEST(test_no_new_privileges) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("nnp");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "process.noNewPrivileges", json_false());
  h_config_save(bundle, config);
  _h_free_ char *id = h_id_new("nnp");
  _h_result_ struct h_result off = RUN(id, bundle, "grep NoNewPrivs /proc/self/status", "-w", "/");
  ASSERT_RAN(off, id);
  ck_assert_msg(strstr(off.out, "NoNewPrivs:\t0"), "%s", off.out);
  _h_result_ struct h_result on =
      RUN(id, bundle, "grep NoNewPrivs /proc/self/status", "--security-opt", "no-new-privileges");
  ASSERT_RAN(on, id);
  ck_assert_msg(strstr(on.out, "NoNewPrivs:\t1"), "%s", on.out);
  _h_result_ struct h_result f = RUN(id, bundle, "grep NoNewPrivs /proc/self/status",
                                     "--security-opt", "no-new-privileges:false");
  ASSERT_RAN(f, id);
  ck_assert_msg(strstr(f.out, "NoNewPrivs:\t0"), "%s", f.out);
}
END_TEST

/* A bundle with the default seccomp profile `spec` writes (Docker's). */
static char *seccomp_bundle(void) {
  char *bundle = h_bundle_new("seccomp");
  _h_free_ char *dir = h_dir_new("spec");
  _h_result_ struct h_result s = h_rt_noroot("spec", "--bundle", dir, NULL);
  ck_assert_msg(s.status == 0, "spec: %s", s.err);
  _h_json_ json_t *spec = h_config_load(dir);
  json_t *profile = json_object_get(json_object_get(spec, "linux"), "seccomp");
  ck_assert_ptr_nonnull(profile);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "linux.seccomp", json_incref(profile));
  h_config_save(bundle, config);
  return bundle;
}

START_TEST(test_seccomp_unconfined_and_file) {
  HUSK_ONLY();
  _h_free_ char *bundle = seccomp_bundle();
  _h_free_ char *id = h_id_new("seccomp");
  _h_result_ struct h_result conf = RUN(id, bundle, "grep Seccomp: /proc/self/status", "-w", "/");
  ASSERT_RAN(conf, id);
  ck_assert_msg(strstr(conf.out, "Seccomp:\t2"), "%s", conf.out);
  _h_result_ struct h_result un =
      RUN(id, bundle, "grep Seccomp: /proc/self/status", "--security-opt", "seccomp=unconfined");
  ASSERT_RAN(un, id);
  ck_assert_msg(strstr(un.out, "Seccomp:\t0"), "%s", un.out);
  /* Docker's format: archMap, name and names, a rule only for a capability it lacks */
  _h_free_ char *dir = h_dir_new("profile");
  _h_free_ char *file = NULL, *opt = NULL;
  ck_assert_int_gt(asprintf(&file, "%s/profile.json", dir), 0);
  h_write(file, "{\"defaultAction\": \"SCMP_ACT_ALLOW\","
                " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\":"
                " [\"SCMP_ARCH_X86\"]}, {\"architecture\": \"SCMP_ARCH_AARCH64\","
                " \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}],"
                " \"syscalls\": [{\"name\": \"mkdir\", \"action\": \"SCMP_ACT_ERRNO\"},"
                " {\"names\": [\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"comment\": \"x\"},"
                " {\"names\": [\"chdir\"], \"action\": \"SCMP_ACT_ERRNO\","
                " \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}");
  ck_assert_int_gt(asprintf(&opt, "seccomp=%s", file), 0);
  _h_result_ struct h_result f =
      RUN(id, bundle, "cd /tmp && echo cd; mkdir /tmp/d || echo refused", "--security-opt", opt);
  ASSERT_RAN(f, id);
  ck_assert_str_eq(f.out, "cd\nrefused\n");
  ck_assert_msg(strstr(f.err, "Operation not permitted"), "%s", f.err);
}
END_TEST

/* ---- resources ---- */

static bool unified_host(void) {
  struct statfs sfs;
  return statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_MAGIC;
}

/* A control file of a process's cgroup, as the host sees it (v2, else the v1 controller's). */
static char *cg_read(pid_t pid, const char *controller, const char *file) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
  _h_free_ char *text = h_read(path);
  ck_assert_msg(text, "read %s", path);
  bool v2 = unified_host();
  for (char *save, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c2 = '\0';
    const char *list = c1 + 1, *cg = c2 + 1;
    bool match = v2 ? !list[0] : false;
    for (const char *p = list; !v2 && (p = strstr(p, controller)); p += strlen(controller))
      match = match || ((p == list || p[-1] == ',') &&
                        (p[strlen(controller)] == '\0' || p[strlen(controller)] == ','));
    if (!match)
      continue;
    char *f;
    if (v2)
      ck_assert_int_gt(asprintf(&f, "/sys/fs/cgroup%s/%s", cg, file), 0);
    else
      ck_assert_int_gt(asprintf(&f, "/sys/fs/cgroup/%s%s/%s", controller, cg, file), 0);
    char *value = h_read(f);
    free(f);
    return value;
  }
  ck_abort_msg("no %s cgroup for pid %d", controller, (int)pid);
  return NULL;
}

START_TEST(test_pids_limit_cpus_memory_swap) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("res");
  _h_free_ char *id = h_id_new("res");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "--pids-limit", "42", "--cpus", "1.5", "-m", "64m",
           "--memory-swap", "128m", bundle, "sleep", "100", NULL);
  ck_assert_msg(r.status == 0, "run -d: %s", r.err);
  pid_t pid = h_state_pid(id);
  ck_assert_int_gt(pid, 0);
  _h_free_ char *pids = cg_read(pid, "pids", "pids.max");
  ck_assert_pstr_eq(pids, "42\n");
  if (unified_host()) {
    _h_free_ char *cpu = cg_read(pid, "cpu", "cpu.max");
    ck_assert_pstr_eq(cpu, "150000 100000\n");
    _h_free_ char *swap = cg_read(pid, "memory", "memory.swap.max");
    ck_assert_pstr_eq(swap, "67108864\n"); /* v2 counts swap alone */
  } else {
    _h_free_ char *quota = cg_read(pid, "cpu", "cpu.cfs_quota_us");
    _h_free_ char *period = cg_read(pid, "cpu", "cpu.cfs_period_us");
    ck_assert_pstr_eq(quota, "150000\n");
    ck_assert_pstr_eq(period, "100000\n");
    _h_free_ char *memsw = cg_read(pid, "memory", "memory.memsw.limit_in_bytes");
    if (memsw) /* only with swap accounting */
      ck_assert_pstr_eq(memsw, "134217728\n");
  }
  _h_result_ struct h_result d = h_rt("delete", "--force", id, NULL);
  ck_assert_int_eq(d.status, 0);
}
END_TEST

START_TEST(test_ulimit_shm_sysctl) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("ulim");
  _h_free_ char *id = h_id_new("ulim");
  _h_result_ struct h_result r =
      RUN(id, bundle,
          "ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1 | awk '{print $2}'; "
          "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni",
          "--ulimit", "nofile=1024:2048", "--shm-size", "8m", "--sysctl", "net.ipv4.ip_forward=1",
          "--sysctl", "kernel.shmmni=1234");
  ASSERT_RAN(r, id);
  ck_assert_str_eq(r.out, "1024\n2048\n8192\n1\n1234\n");
}
END_TEST

START_TEST(test_label_in_state) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("label");
  _h_free_ char *id = h_id_new("label");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "--label", "com.example.tier=web",
                                      "--label", "empty", bundle, "sleep", "100", NULL);
  ck_assert_msg(r.status == 0, "run -d: %s", r.err);
  _h_json_ json_t *st = h_state(id);
  ck_assert_ptr_nonnull(st);
  json_t *ann = json_object_get(st, "annotations");
  ck_assert_pstr_eq(json_string_value(json_object_get(ann, "com.example.tier")), "web");
  ck_assert_pstr_eq(json_string_value(json_object_get(ann, "empty")), "");
  _h_result_ struct h_result d = h_rt("delete", "--force", id, NULL);
  ck_assert_int_eq(d.status, 0);
}
END_TEST

/* ---- --init, -i, -t ---- */

/* Zombies in the container, counted from inside. */
static int zombies(const char *id) {
  _h_result_ struct h_result r =
      h_rt("exec", id, "sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == \"Z\"' | wc -l",
           NULL);
  ck_assert_msg(r.status == 0, "exec: %s", r.err);
  return atoi(r.out);
}

static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

START_TEST(test_init_reaps_forwards_and_exits_with_status) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("init");
  /* orphans whose parent then becomes a program that never reaps */
  const char *cmd = "(sleep 0.1 &); (sleep 0.1 &); exec sleep 100";
  _h_free_ char *with = h_id_new("init"), *without = h_id_new("noinit");
  _h_result_ struct h_result a =
      h_rt("run", "-d", "--name", with, "--init", bundle, "sh", "-c", cmd, NULL);
  _h_result_ struct h_result b =
      h_rt("run", "-d", "--name", without, bundle, "sh", "-c", cmd, NULL);
  ck_assert_msg(a.status == 0 && b.status == 0, "run -d: %s %s", a.err, b.err);
  sleep_ms(600);
  ck_assert_int_eq(zombies(with), 0);
  ck_assert_int_eq(zombies(without), 2); /* the test sees what --init changes */
  _h_result_ struct h_result ps = h_rt("exec", with, "ps", NULL);
  ck_assert_msg(strstr(ps.out, "    1 root     husk-init -- sh -c"), "ps: %s", ps.out);
  /* SIGTERM reaches the program (as pid 1 without a handler, sleep would ignore it) */
  _h_result_ struct h_result k = h_rt("kill", with, "TERM", NULL);
  ck_assert_int_eq(k.status, 0);
  ck_assert_msg(h_wait_status(with, "stopped", 5000), "SIGTERM did not reach the program");
  _h_result_ struct h_result l = h_rt("list", NULL);
  ck_assert_msg(strstr(l.out, "stopped (143)"), "list: %s", l.out);
  _h_result_ struct h_result k2 = h_rt("kill", without, "TERM", NULL);
  sleep_ms(300);
  ck_assert_msg(h_wait_status(without, "running", 100), "pid 1 sleep should ignore SIGTERM");
  _h_result_ struct h_result d1 = h_rt("delete", "--force", with, NULL);
  _h_result_ struct h_result d2 = h_rt("delete", "--force", without, NULL);
  /* the status passes through, in the foreground too */
  _h_free_ char *id = h_id_new("init-exit");
  _h_result_ struct h_result e = RUN(id, bundle, "exit 7", "--init");
  ck_assert_int_eq(e.status, 7);
  _h_result_ struct h_result s = RUN(id, bundle, "kill -9 $$", "--init");
  ck_assert_int_eq(s.status, 128 + SIGKILL);
  _h_result_ struct h_result m = RUN(id, bundle, "exec /no/such/program", "--init");
  ck_assert_int_eq(m.status, 127);
}
END_TEST

START_TEST(test_tty_and_interactive) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("tty");
  _h_free_ char *id = h_id_new("tty");
  _h_result_ struct h_result t = RUN(id, bundle, "tty", "-t");
  ASSERT_RAN(t, id);
  ck_assert_msg(strncmp(t.out, "/dev/pts/", 9) == 0, "tty: %s", t.out);
  _h_result_ struct h_result n = RUN(id, bundle, "tty || true", "-w", "/");
  ASSERT_RAN(n, id);
  ck_assert_msg(strstr(n.out, "not a tty"), "tty: %s", n.out);
  _h_result_ struct h_result dt = h_rt("run", "-d", "-t", "--name", id, bundle, "true", NULL);
  ck_assert_int_ne(dt.status, 0);
  ck_assert_msg(strstr(dt.err, "-t: a detached container gets no terminal"), "%s", dt.err);
  /* -d -i: stdin stays open, so a shell reading it waits (without -i it reads EOF) */
  _h_free_ char *i = h_id_new("interactive"), *ni = h_id_new("noninteractive");
  _h_result_ struct h_result a =
      h_rt("run", "-d", "-i", "--name", i, bundle, "sh", "-c", "read x; echo $x", NULL);
  _h_result_ struct h_result b =
      h_rt("run", "-d", "--name", ni, bundle, "sh", "-c", "read x; echo $x", NULL);
  ck_assert_msg(a.status == 0 && b.status == 0, "run -d: %s %s", a.err, b.err);
  ck_assert_msg(h_wait_status(ni, "stopped", 5000), "without -i stdin is at EOF");
  ck_assert_msg(h_wait_status(i, "running", 1000), "with -i stdin stays open");
  _h_result_ struct h_result d1 = h_rt("delete", "--force", i, NULL);
  _h_result_ struct h_result d2 = h_rt("delete", "--force", ni, NULL);
}
END_TEST

/* husk create in docker's form takes the same flags. */
START_TEST(test_create_takes_the_flags) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("create");
  _h_free_ char *out = h_dir_new("create-out");
  _h_free_ char *spec = NULL, *result = NULL;
  ck_assert_int_gt(asprintf(&spec, "%s:/out", out), 0);
  ck_assert_int_gt(asprintf(&result, "%s/result", out), 0);
  _h_free_ char *id = h_id_new("create");
  _h_result_ struct h_result c =
      h_rt("create", "--name", id, "--read-only", "--label", "tier=db", "-v", spec, "--init",
           bundle, "sh", "-c", "touch /x 2>/dev/null || echo refused > /out/result", NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  _h_json_ json_t *st = h_state(id);
  ck_assert_pstr_eq(json_string_value(json_object_get(json_object_get(st, "annotations"), "tier")),
                    "db");
  _h_result_ struct h_result s = h_rt("start", id, NULL);
  ck_assert_msg(s.status == 0, "start: %s", s.err);
  ck_assert(h_wait_status(id, "stopped", 10000));
  _h_free_ char *text = h_read(result);
  ck_assert_pstr_eq(text, "refused\n");
  _h_result_ struct h_result i = h_rt("create", "--name", id, "-i", bundle, NULL);
  ck_assert_int_ne(i.status, 0);
  ck_assert_msg(strstr(i.err, "-i: create keeps no stdin open"), "%s", i.err);
}
END_TEST

/* ---- bad values ---- */

START_TEST(test_bad_values_leave_nothing) {
  HUSK_ONLY();
  _h_free_ char *bundle = h_bundle_new("bad");
  static const struct {
    const char *flag, *value, *wording;
  } bad[] = {
      {"-v", "/a:/b:bogus", "invalid mode: bogus"},
      {"-v", ":/b", "invalid volume specification: ':/b'"},
      {"-v", "a/b:/c", "includes invalid characters for a local volume name"},
      {"-v", "/a:rel", "mount path must be absolute"},
      {"-v", "/tmp:/", "destination can't be '/'"},
      {"--mount", "type=foo,dst=/x", "invalid mount config for type \"foo\": mount type unknown"},
      {"--mount", "src=x", "target is required"},
      {"--mount", "type=tmpfs,dst=/x,bind-propagation=shared", "cannot mix 'bind-*' options"},
      {"--mount", "type=bind,dst=/x,bogus", "invalid field 'bogus' must be a key=value pair"},
      {"--mount", "type=volume,dst=/x,ro", "must not set ReadOnly mode when using anonymous"},
      {"--tmpfs", "/x:bogus", "invalid tmpfs option \"bogus\""},
      {"--tmpfs", "rel", "mount path must be absolute"},
      {"-w", "rel", "the working directory 'rel' is invalid"},
      {"--cap-add", "CAP_BOGUS", "--cap-add: unknown capability \"CAP_BOGUS\""},
      {"--security-opt", "bogus", "invalid --security-opt 1: \"bogus\""},
      {"--security-opt", "no-new-privileges:maybe", "invalid --security-opt 2"},
      {"--security-opt", "seccomp=/no/such/profile.json", "opening seccomp profile"},
      {"--pids-limit", "many", "--pids-limit: expected a whole number"},
      {"--cpus", "abc", "failed to parse abc as a rational number"},
      {"--cpus", "100000", "Range of CPUs is from 0.01 to"},
      {"--memory-swap", "1g", "You should always set the Memory limit when using Memoryswap"},
      {"--ulimit", "nofile", "invalid ulimit argument: nofile"},
      {"--ulimit", "bogus=1", "invalid ulimit type: bogus"},
      {"--ulimit", "nofile=2:1", "soft limit must be less than or equal to hard limit: 2 > 1"},
      {"--shm-size", "lots", "--shm-size: expected a size"},
      {"--sysctl", "kernel.hostname=x", "sysctl 'kernel.hostname=x' is not whitelisted"},
      {"--label", "io.husk.image=x", "io.husk.* annotations are husk's own"},
  };
  int mounts = h_mount_count();
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    _h_free_ char *id = h_id_new("bad");
    _h_result_ struct h_result r = RUN(id, bundle, "true", bad[i].flag, bad[i].value);
    ck_assert_msg(r.status != 0 && r.status != -1, "%s %s: %d", bad[i].flag, bad[i].value,
                  r.status);
    ck_assert_msg(strstr(r.err, bad[i].wording), "%s %s: %s", bad[i].flag, bad[i].value, r.err);
    ck_assert_msg(!h_state_dir_exists(id), "%s %s left its state", bad[i].flag, bad[i].value);
    ck_assert_msg(!h_cgroup_exists(id), "%s %s left a cgroup", bad[i].flag, bad[i].value);
    ck_assert_msg(!h_process_mentions(id), "%s %s left a process", bad[i].flag, bad[i].value);
  }
  _h_free_ char *swap_id = h_id_new("bad-swap");
  _h_result_ struct h_result s = RUN(swap_id, bundle, "true", "-m", "1g", "--memory-swap", "512m");
  ck_assert_msg(strstr(s.err, "Minimum memoryswap limit should be larger than memory limit"), "%s",
                s.err);
  ck_assert_int_eq(h_mount_count(), mounts);
}
END_TEST

int main(void) {
  Suite *s = suite_create("flags");
  TCase *tc = h_tcase("flags");
  tcase_add_test(tc, test_volume_read_only_refuses_write);
  tcase_add_test(tc, test_volume_bind_rw_and_missing_host_dir);
  tcase_add_test(tc, test_mount_bind_missing_source);
  tcase_add_test(tc, test_named_volume_persists);
  tcase_add_test(tc, test_volume_in_use_and_prune);
  tcase_add_test(tc, test_tmpfs);
  tcase_add_test(tc, test_read_only_and_workdir);
  tcase_add_test(tc, test_cap_add_and_drop);
  tcase_add_test(tc, test_no_new_privileges);
  tcase_add_test(tc, test_seccomp_unconfined_and_file);
  tcase_add_test(tc, test_pids_limit_cpus_memory_swap);
  tcase_add_test(tc, test_ulimit_shm_sysctl);
  tcase_add_test(tc, test_label_in_state);
  tcase_add_test(tc, test_init_reaps_forwards_and_exits_with_status);
  tcase_add_test(tc, test_tty_and_interactive);
  tcase_add_test(tc, test_create_takes_the_flags);
  tcase_add_test(tc, test_bad_values_leave_nothing);
  suite_add_tcase(s, tc);
  return h_main(s);
}
