/* test_systemd.c: cgroups on a systemd host (scripts/vm-systemd boots one; this machine and
 * scripts/vm-cgroup2 have no systemd). With --systemd-cgroup the container's cgroup is a
 * transient scope systemd lists while the container runs, with the memory limit in
 * memory.max and in the unit's MemoryMax, changed by update, gone after delete, seen by the
 * container at its own /sys/fs/cgroup/memory.max; with cgroupfs from a login-like session (a
 * scope holding processes) a relative cgroupsPath goes beside the session, where limits work.
 * Without systemd, --systemd-cgroup fails clearly and leaves nothing; a bad cgroupsPath is
 * refused everywhere; a parent that keeps a controller back is named, with how to delegate
 * it. Everything but husk's wording runs against runc too ($OCI_RUNTIME). */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270L
#define MIB 1048576LL

static bool unified_host(void) {
  struct statfs sfs;
  return statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_MAGIC;
}

static bool systemd_host(void) { return access("/run/systemd/system", F_OK) == 0; }

static bool skip_unless_systemd(const char *test) {
  if (systemd_host() && unified_host())
    return false;
  fprintf(stderr, "%s: skipped: not a systemd host on pure cgroup v2\n", test);
  return true;
}

static char *trimmed(const char *s) {
  char *out = strdup(s ? s : "");
  out[strcspn(out, "\n")] = '\0';
  return out;
}

/* systemctl's answer (stdout, first line) and status. */
static struct h_result systemctl(const char *a, const char *b, const char *c, const char *d) {
  char *const argv[] = {"systemctl", (char *)a, (char *)b, (char *)c, (char *)d, NULL};
  return h_proc_wait(h_spawn(argv, -1), 30000);
}

/* A sleeping busybox with a cgroup namespace and the cgroup mount, so it sees its own
 * cgroup at /sys/fs/cgroup; memory is its limit (0: none); cgroups_path may be NULL. */
static char *bundle_with(const char *name, const char *cgroups_path, long long memory) {
  char *bundle = h_bundle_cmd(name, "sleep 1000");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_add_namespace(config, "cgroup");
  h_config_add_mount(config, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev",
                     "ro", NULL);
  if (cgroups_path)
    h_config_set(config, "linux.cgroupsPath", json_string(cgroups_path));
  if (memory)
    h_config_set(config, "linux.resources.memory.limit", json_integer(memory));
  h_config_save(bundle, config);
  return bundle;
}

static void start_with(const char *flag, const char *bundle, const char *id) {
  _h_result_ struct h_result c =
      flag ? h_rt(flag, "create", "--bundle", bundle, id, NULL)
           : h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create %s: %d %s", id, c.status, c.err);
  _h_result_ struct h_result s = flag ? h_rt(flag, "start", id, NULL) : h_rt("start", id, NULL);
  ck_assert_msg(s.status == 0, "start %s: %d %s", id, s.status, s.err);
}

static void kill_and_delete(const char *flag, const char *id) {
  _h_result_ struct h_result k = flag ? h_rt(flag, "kill", id, "KILL", NULL)
                                      : h_rt("kill", id, "KILL", NULL);
  ck_assert_msg(h_wait_status(id, "stopped", 10000), "%s did not stop", id);
  _h_result_ struct h_result d = flag ? h_rt(flag, "delete", id, NULL) : h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete %s: %d %s", id, d.status, d.err);
}

static char *file_of(const char *cgroup, const char *file) {
  _h_free_ char *path = h_asprintf("/sys/fs/cgroup%s/%s", cgroup, file);
  _h_free_ char *text = h_read(path);
  return trimmed(text);
}

/* The test: system.slice:husk:NAME with -m 256m is a scope systemd lists, with
 * memory.max 268435456 (also as the container sees it) and MemoryMax; update changes both;
 * after delete the scope and its cgroup are gone. */
START_TEST(test_scope_limit_update_delete) {
  if (skip_unless_systemd("test_scope_limit_update_delete"))
    return;
  _h_free_ char *id = h_id_new("sdscope");
  _h_free_ char *path = h_asprintf("system.slice:husk:%s", id);
  _h_free_ char *bundle = bundle_with("sdscope", path, 256 * MIB);
  start_with("--systemd-cgroup", bundle, id);
  _h_free_ char *unit = h_asprintf("husk-%s.scope", id);
  _h_free_ char *want = h_asprintf("/system.slice/%s", unit);
  pid_t pid = h_state_pid(id);
  _h_free_ char *cg = h_cgroup2_of(pid);
  ck_assert_msg(cg && strcmp(cg, want) == 0, "the init is in %s, not %s", cg, want);
  _h_free_ char *max = file_of(want, "memory.max");
  ck_assert_str_eq(max, "268435456");
  _h_result_ struct h_result st = systemctl("status", "--no-pager", unit, NULL);
  ck_assert_msg(st.status == 0, "systemctl status %s: %d %s %s", unit, st.status, st.out, st.err);
  _h_free_ char *pidtext = h_asprintf("%d", (int)pid);
  ck_assert_msg(strstr(st.out, pidtext), "systemctl status does not show the init: %s", st.out);
  _h_result_ struct h_result show = systemctl("show", "-p", "MemoryMax", unit);
  ck_assert_msg(strstr(show.out, "MemoryMax=268435456"), "systemctl show: %s", show.out);
  _h_result_ struct h_result del = systemctl("show", "-p", "Delegate", unit);
  ck_assert_msg(strstr(del.out, "Delegate=yes"), "systemctl show: %s", del.out);
  /* its own memory.max, through its cgroup namespace */
  _h_result_ struct h_result in =
      h_rt("--systemd-cgroup", "exec", id, "cat", "/sys/fs/cgroup/memory.max", NULL);
  ck_assert_msg(in.status == 0 && strcmp(in.out, "268435456\n") == 0, "inside: %d %s %s",
                in.status, in.out, in.err);
  _h_result_ struct h_result up =
      h_rt("--systemd-cgroup", "update", "--memory", "134217728", id, NULL);
  ck_assert_msg(up.status == 0, "update: %d %s", up.status, up.err);
  _h_free_ char *max2 = file_of(want, "memory.max");
  ck_assert_str_eq(max2, "134217728");
  _h_result_ struct h_result show2 = systemctl("show", "-p", "MemoryMax", unit);
  ck_assert_msg(strstr(show2.out, "MemoryMax=134217728"), "after update: %s", show2.out);
  kill_and_delete("--systemd-cgroup", id);
  _h_free_ char *dir = h_asprintf("/sys/fs/cgroup%s", want);
  ck_assert_msg(!h_exists(dir), "%s is still there after delete", dir);
  _h_result_ struct h_result gone = systemctl("is-active", unit, NULL, NULL);
  _h_free_ char *state = trimmed(gone.out);
  ck_assert_msg(gone.status != 0 && strcmp(state, "active") != 0, "the scope is %s after delete",
                state);
  _h_result_ struct h_result listed = systemctl("list-units", "--all", "--no-legend", unit);
  ck_assert_msg(!strstr(listed.out, unit), "still listed: %s", listed.out);
}
END_TEST

/* No cgroupsPath: the runtime's own prefix (husk-, runc-) and the id, in system.slice;
 * --cgroup-manager systemd is the same as --systemd-cgroup (crun's spelling; husk only). */
START_TEST(test_default_scope) {
  if (skip_unless_systemd("test_default_scope"))
    return;
  for (int i = 0; i < (h_is_husk() ? 2 : 1); i++) {
    const char *flag = i == 0 ? "--systemd-cgroup" : "--cgroup-manager=systemd";
    _h_free_ char *id = h_id_new("sddefault");
    _h_free_ char *bundle = bundle_with("sddefault", NULL, 64 * MIB);
    start_with(flag, bundle, id);
    _h_free_ char *cg = h_cgroup2_of(h_state_pid(id));
    _h_free_ char *tail = h_asprintf("-%s.scope", id);
    ck_assert_msg(cg && strncmp(cg, "/system.slice/", 14) == 0 &&
                      strlen(cg) > strlen(tail) &&
                      strcmp(cg + strlen(cg) - strlen(tail), tail) == 0,
                  "%s: the init is in %s", flag, cg);
    if (h_is_husk())
      ck_assert_msg(strstr(cg, "/husk-"), "%s: not husk's prefix: %s", flag, cg);
    _h_free_ char *max = file_of(cg, "memory.max");
    ck_assert_str_eq(max, "67108864");
    kill_and_delete(flag, id);
    _h_free_ char *dir = h_asprintf("/sys/fs/cgroup%s", cg);
    ck_assert_msg(!h_exists(dir), "%s is still there after delete", dir);
  }
}
END_TEST

/* A cgroupfs container started from a login-like session (its scope holds processes, ours):
 * a relative cgroupsPath goes beside the session, in its parent, where controllers can be
 * passed on, and -m 256m holds there (runc's placement). */
START_TEST(test_session_relative_path) {
  if (!unified_host()) {
    fprintf(stderr, "test_session_relative_path: skipped: not pure cgroup v2\n");
    return;
  }
  _h_free_ char *own = h_cgroup2_of(getpid());
  ck_assert_ptr_nonnull(own);
  if (strcmp(own, "/") == 0) {
    fprintf(stderr, "test_session_relative_path: skipped: the suite runs in the root cgroup\n");
    return;
  }
  _h_free_ char *id = h_id_new("sdsession");
  _h_free_ char *rel = h_asprintf("husk-test-%d/%s", (int)getpid(), id);
  _h_free_ char *bundle = bundle_with("sdsession", rel, 256 * MIB);
  start_with(NULL, bundle, id);
  _h_free_ char *parent = strdup(own);
  *strrchr(parent, '/') = '\0';
  _h_free_ char *want = h_asprintf("%s/%s", parent, rel);
  _h_free_ char *cg = h_cgroup2_of(h_state_pid(id));
  ck_assert_msg(cg && strcmp(cg, want) == 0, "the init is in %s, not beside %s in %s", cg, own,
                want);
  _h_free_ char *max = file_of(cg, "memory.max");
  ck_assert_str_eq(max, "268435456");
  kill_and_delete(NULL, id);
  _h_free_ char *dir = h_asprintf("/sys/fs/cgroup%s", want);
  ck_assert_msg(!h_exists(dir), "%s is still there", dir);
  _h_free_ char *shelf = h_asprintf("/sys/fs/cgroup%s/husk-test-%d", parent, (int)getpid());
  rmdir(shelf); /* runc leaves the parents it made */
}
END_TEST

/* A parent husk did not make that keeps the memory controller back: the error names the
 * controller, the cgroup and how to delegate it, and nothing is left (husk: runc enables
 * controllers in every parent, which husk does not do in cgroups that are not its own). */
START_TEST(test_undelegated_parent_named) {
  if (!unified_host() || !h_is_husk()) {
    fprintf(stderr, "test_undelegated_parent_named: skipped: husk on pure cgroup v2 only\n");
    return;
  }
  _h_free_ char *parent = h_asprintf("/sys/fs/cgroup/husk-nodelegate-%d", (int)getpid());
  ck_assert_int_eq(mkdir(parent, 0755), 0);
  _h_free_ char *id = h_id_new("sdnodeleg");
  _h_free_ char *path = h_asprintf("/husk-nodelegate-%d/%s", (int)getpid(), id);
  _h_free_ char *bundle = bundle_with("sdnodeleg", path, 64 * MIB);
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, id, NULL);
  _h_free_ char *how = h_asprintf("echo +memory > %s/cgroup.subtree_control", parent);
  int status = c.status;
  bool named = strstr(c.err, "linux.resources.memory") && strstr(c.err, "memory controller") &&
               strstr(c.err, how);
  _h_free_ char *leaf = h_asprintf("%s/%s", parent, id);
  bool left = h_exists(leaf);
  bool state = h_state_dir_exists(id);
  ck_assert_int_eq(rmdir(parent), 0);
  ck_assert_msg(status != 0, "create succeeded below a parent without memory");
  ck_assert_msg(named, "the error does not say what and how: %s", c.err);
  ck_assert_msg(!left && !state, "the failed create left its cgroup or state");
}
END_TEST

/* The systemd driver takes "slice:prefix:name" only: anything else is refused before a
 * container exists, on every host (the parse comes before systemd is asked). */
START_TEST(test_bad_systemd_path) {
  _h_free_ char *id = h_id_new("sdbadpath");
  _h_free_ char *bundle = bundle_with("sdbadpath", "/not/a/slice", 0);
  int mounts = h_mount_count();
  _h_result_ struct h_result c = h_rt("--systemd-cgroup", "create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status != 0, "create with cgroupsPath /not/a/slice succeeded");
  ck_assert_msg(strstr(c.err, "slice:prefix:name"), "the error does not say the form: %s", c.err);
  ck_assert_msg(!h_state_dir_exists(id), "state left");
  ck_assert_int_eq(h_mount_count(), mounts);
}
END_TEST

/* Where systemd does not run, --systemd-cgroup says so, and leaves nothing. */
START_TEST(test_refused_without_systemd) {
  if (systemd_host()) {
    fprintf(stderr, "test_refused_without_systemd: skipped: systemd runs here\n");
    return;
  }
  _h_free_ char *id = h_id_new("sdnone");
  _h_free_ char *path = h_asprintf("system.slice:husk:%s", id);
  _h_free_ char *bundle = bundle_with("sdnone", path, 64 * MIB);
  int mounts = h_mount_count();
  _h_result_ struct h_result c = h_rt("--systemd-cgroup", "run", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status != 0, "run --systemd-cgroup succeeded without systemd");
  ck_assert_msg(strstr(c.err, "systemd") || strstr(c.err, "dbus") || strstr(c.err, "D-Bus"),
                "the error does not say why: %s", c.err);
  ck_assert_msg(!h_state_dir_exists(id), "state left");
  ck_assert_msg(!h_cgroup_exists(id), "a cgroup left");
  ck_assert_int_eq(h_mount_count(), mounts);
}
END_TEST

static Suite *systemd_suite(void) {
  Suite *s = suite_create("systemd");
  TCase *tc = h_tcase("systemd");
  tcase_add_test(tc, test_scope_limit_update_delete);
  tcase_add_test(tc, test_default_scope);
  tcase_add_test(tc, test_session_relative_path);
  tcase_add_test(tc, test_undelegated_parent_named);
  tcase_add_test(tc, test_bad_systemd_path);
  tcase_add_test(tc, test_refused_without_systemd);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return h_main(systemd_suite()); }
