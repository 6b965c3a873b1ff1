/* test_cgroups.c: cgroups/ on a fake cgroupfs in a temporary directory (no root needed):
 * detection of the three layouts by statfs type, where the container's cgroup goes, and every
 * linux.resources field → the exact files and values written (read back from the --trace
 * narration, so order counts too) on v2, hybrid and legacy hosts; conversions; freeze, stats,
 * OOM counts; the device rules and their eBPF program (loaded and enforced when root). */
#include <check.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "cgroups/internal.h"
#include "error.h"
#include "log.h"
#include "spec.h"
#include "state.h"
#include "unit.h"
#include "utils.h"

#define TMPFS 0x01021994L

static char base[] = "/tmp/husk-test-cgroups-XXXXXX";
static char root[512], self_file[512], trace_file[512];
static bool unified_root; /* the root itself is cgroup2 */

/* ---- the fake kernel ---- */

/* statfs(2)'s type is what a ".fstype" file in the directory says; a plain directory is tmpfs. */
static long fake_fs_type(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return -errno;
  _cleanup_free_ char *marker = xasprintf("%s/.fstype", path), *text = NULL;
  if (read_file_at(AT_FDCWD, marker, 64, &text, NULL) < 0)
    return TMPFS;
  return strtol(text, NULL, 16);
}

static void put(const char *dir, const char *file, const char *content) {
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
  FILE *f = fopen(p, "we");
  ck_assert_msg(f, "create %s", p);
  fputs(content, f);
  fclose(f);
}

static char *get(const char *rel) {
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  char *text = NULL;
  if (read_file_at(AT_FDCWD, p, 1 << 16, &text, NULL) < 0)
    return NULL;
  return text;
}

/* The control files a new cgroup gets, by controller ("" for every cgroup). */
struct fake_file {
  const char *controller, *name, *content;
};

// clang-format off
static const struct fake_file v2_table[] = {
    {"", "cgroup.subtree_control", ""}, {"", "cgroup.procs", ""}, {"", "cgroup.freeze", "0\n"},
    {"", "cgroup.events", "populated 0\nfrozen 0\n"}, {"", "cgroup.kill", ""},
    {"", "cgroup.max.descendants", "max\n"},
    {"", "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"},
    {"memory", "memory.max", "max\n"}, {"memory", "memory.low", "0\n"},
    {"memory", "memory.high", "max\n"}, {"memory", "memory.swap.max", "max\n"},
    {"memory", "memory.swap.current", "0\n"}, {"memory", "memory.current", "0\n"},
    {"memory", "memory.peak", "0\n"}, {"memory", "memory.stat", "anon 0\n"},
    {"memory", "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"},
    {"cpu", "cpu.weight", "100\n"}, {"cpu", "cpu.max", "max 100000\n"},
    {"cpu", "cpu.max.burst", "0\n"}, {"cpu", "cpu.idle", "0\n"}, {"cpuset", "cpuset.cpus", ""},
    {"cpuset", "cpuset.mems", ""}, {"pids", "pids.max", "max\n"}, {"pids", "pids.current", "0\n"},
    {"io", "io.weight", "default 100\n"}, {"io", "io.max", ""},
    {"hugetlb", "hugetlb.2MB.max", "max\n"}, {"hugetlb", "hugetlb.1GB.max", "max\n"},
};

#define V1_UNLIMITED "9223372036854771712\n"
static const struct fake_file v1_table[] = {
    {"", "cgroup.procs", ""}, {"", "tasks", ""}, {"memory", "memory.limit_in_bytes", V1_UNLIMITED},
    {"memory", "memory.memsw.limit_in_bytes", V1_UNLIMITED},
    {"memory", "memory.soft_limit_in_bytes", V1_UNLIMITED},
    {"memory", "memory.kmem.tcp.limit_in_bytes", V1_UNLIMITED},
    {"memory", "memory.swappiness", "60\n"},
    {"memory", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"},
    {"memory", "memory.usage_in_bytes", "0\n"}, {"memory", "memory.max_usage_in_bytes", "0\n"},
    {"memory", "memory.failcnt", "0\n"}, {"memory", "memory.memsw.usage_in_bytes", "0\n"},
    {"memory", "memory.stat", "cache 0\nrss 0\n"}, {"cpu", "cpu.shares", "1024\n"},
    {"cpu", "cpu.cfs_period_us", "100000\n"}, {"cpu", "cpu.cfs_quota_us", "-1\n"},
    {"cpu", "cpu.cfs_burst_us", "0\n"}, {"cpu", "cpu.idle", "0\n"},
    {"cpu", "cpu.rt_period_us", "1000000\n"}, {"cpu", "cpu.rt_runtime_us", "0\n"},
    {"cpu", "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"},
    {"cpuacct", "cpuacct.usage", "0\n"}, {"cpuacct", "cpuacct.stat", "user 0\nsystem 0\n"},
    {"cpuset", "cpuset.cpus", "\n"}, {"cpuset", "cpuset.mems", "\n"}, {"pids", "pids.max", "max\n"},
    {"pids", "pids.current", "0\n"},
    /* BFQ only, as on these machines: no blkio.weight */
    {"blkio", "blkio.bfq.weight", "100\n"}, {"blkio", "blkio.bfq.weight_device", ""},
    {"blkio", "blkio.throttle.read_bps_device", ""},
    {"blkio", "blkio.throttle.write_bps_device", ""},
    {"blkio", "blkio.throttle.read_iops_device", ""},
    {"blkio", "blkio.throttle.write_iops_device", ""}, {"freezer", "freezer.state", "THAWED\n"},
    {"devices", "devices.allow", ""}, {"devices", "devices.deny", ""},
    {"hugetlb", "hugetlb.2MB.limit_in_bytes", V1_UNLIMITED},
};
// clang-format on

/* Is word one of the items of list (separated by any of seps)? */
static bool has_word(const char *list, const char *word, const char *seps) {
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)); p += n)
    if ((p == list || strchr(seps, p[-1])) && (p[n] == '\0' || strchr(seps, p[n])))
      return true;
  return false;
}

static void fill(const char *dir, const struct fake_file *t, size_t n, const char *controllers,
                 const char *seps) {
  for (size_t i = 0; i < n; i++)
    if (!t[i].controller[0] || has_word(controllers, t[i].controller, seps))
      put(dir, t[i].name, t[i].content);
}

/* A v2 cgroup has the controllers its parent's subtree_control enables. */
static void v2_files(const char *dir) {
  _cleanup_free_ char *parent = xstrdup(dir), *sub = NULL;
  *strrchr(parent, '/') = '\0';
  _cleanup_free_ char *pf = xasprintf("%s/cgroup.subtree_control", parent);
  if (read_file_at(AT_FDCWD, pf, 4096, &sub, NULL) < 0)
    sub = xstrdup("");
  char *w = sub;
  for (char *r = sub; *r; r++) /* "+cpu +memory" as written, "cpu memory" as read */
    if (*r != '+')
      *w++ = *r;
  *w = '\0';
  put(dir, "cgroup.controllers", sub);
  fill(dir, v2_table, ARRAY_SIZE(v2_table), sub, " \n");
}

/* A v1 cgroup has the files of its hierarchy's controllers ("cpu,cpuacct"). */
static void v1_files(const char *dir, const char *hierarchy) {
  fill(dir, v1_table, ARRAY_SIZE(v1_table), hierarchy, ",");
}

/* mkdir(2) of a cgroup: the kernel fills in the control files of its hierarchy. */
static int fake_make_dir(const char *path, mode_t mode) {
  if (mkdir(path, mode) < 0)
    return -1;
  const char *rel = path + strlen(root) + 1;
  if (unified_root || str_has_prefix(rel, "unified/")) {
    v2_files(path);
    return 0;
  }
  _cleanup_free_ char *hierarchy = xstrdup(rel);
  hierarchy[strcspn(hierarchy, "/")] = '\0';
  v1_files(path, hierarchy);
  return 0;
}

/* rmdir(2) of a cgroup: EBUSY while it has processes or child cgroups. */
static int fake_remove_dir(const char *path) {
  if (access(path, F_OK) < 0)
    return -1;
  _cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", path), *text = NULL;
  if (read_file_at(AT_FDCWD, procs, 4096, &text, NULL) == 0 && text[0]) {
    errno = EBUSY;
    return -1;
  }
  _cleanup_free_ char *cmd = xasprintf("find '%s' -mindepth 1 -maxdepth 1 -type f -delete", path);
  if (system(cmd) != 0)
    return -1;
  if (rmdir(path) < 0) {
    errno = errno == ENOTEMPTY ? EBUSY : errno;
    return -1;
  }
  return 0;
}

/* The kernel shows a parent's new subtree_control in its children at once; the fake filled
 * them in at mkdir, before husk delegated: fill this one in again. */
static void refresh(const char *rel) {
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  v2_files(p);
}

static const struct cgroup_host host = {
    .root = root,
    .self_cgroup = self_file,
    .fs_type = fake_fs_type,
    .make_dir = fake_make_dir,
    .remove_dir = fake_remove_dir,
};

static void mount_at(const char *name, long magic) {
  _cleanup_free_ char *dir = xasprintf("%s/%s", root, name), *m = xasprintf("%lx", magic);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  put(dir, ".fstype", m);
}

static void existing(const char *rel) {
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  ck_assert_int_eq(fake_make_dir(p, 0755), 0);
}

static void setup(void) {
  ck_assert_ptr_nonnull(mkdtemp(base));
  snprintf(root, sizeof(root), "%s/cg", base);
  snprintf(self_file, sizeof(self_file), "%s/self", base);
  snprintf(trace_file, sizeof(trace_file), "%s/trace", base);
  ck_assert_int_eq(mkdir(root, 0755), 0);
  struct log_config lc = {.path = trace_file, .trace = true};
  ck_assert_int_eq(log_open(&lc, NULL), 0);
}

static void teardown(void) {
  log_close();
  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", base);
  ck_assert_int_eq(system(cmd), 0);
  strcpy(base, "/tmp/husk-test-cgroups-XXXXXX");
  unified_root = false;
}

/* Pure v2; husk runs in /user/session, whose parents delegate every controller. */
static void layout_v2(void) {
  put(root, ".fstype", "63677270");
  unified_root = true;
  put(root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
  put(root, "cgroup.subtree_control", "cpuset cpu io memory hugetlb pids\n");
  existing("user");
  put(root, "user/cgroup.subtree_control", "cpuset cpu io memory hugetlb pids\n");
  existing("user/session");
  put(root, "user/session/cgroup.subtree_control", "cpuset cpu io memory hugetlb pids\n");
  _cleanup_free_ char *p = xstrdup(self_file);
  *strrchr(p, '/') = '\0';
  put(p, "self", "0::/user/session\n");
}

/* v1 controllers (cpu and cpuacct co-mounted on legacy), husk's memory cgroup below
 * /process_api/x as on these machines; hybrid adds the cgroup2 mount "unified". */
static void layout_v1(bool hybrid) {
  static const char *const names[] = {"memory",  "cpuset",  "pids",   "blkio",
                                      "freezer", "devices", "systemd"};
  for (size_t i = 0; i < ARRAY_SIZE(names); i++)
    mount_at(names[i], CG_CGROUP_MAGIC);
  const char *cpu = hybrid ? "cpu" : "cpu,cpuacct";
  mount_at(cpu, CG_CGROUP_MAGIC);
  if (!hybrid) {
    mount_at("hugetlb", CG_CGROUP_MAGIC);
    _cleanup_free_ char *l1 = xasprintf("%s/cpu", root), *l2 = xasprintf("%s/cpuacct", root);
    ck_assert_int_eq(symlink("cpu,cpuacct", l1), 0);
    ck_assert_int_eq(symlink("cpu,cpuacct", l2), 0);
  }
  for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
    _cleanup_free_ char *d = xasprintf("%s/%s", root, names[i]);
    v1_files(d, names[i]);
  }
  _cleanup_free_ char *cpud = xasprintf("%s/%s", root, cpu);
  v1_files(cpud, cpu);
  _cleanup_free_ char *cs = xasprintf("%s/cpuset", root);
  put(cs, "cpuset.cpus", "0-3\n");
  put(cs, "cpuset.mems", "0\n");
  existing("memory/process_api");
  existing("memory/process_api/x");
  if (hybrid) {
    mount_at("unified", CG_CGROUP2_MAGIC);
    _cleanup_free_ char *u = xasprintf("%s/unified", root);
    put(u, "cgroup.controllers", "hugetlb\n");
    put(u, "cgroup.subtree_control", "hugetlb\n");
  }
  _cleanup_free_ char *p = xstrdup(self_file);
  *strrchr(p, '/') = '\0';
  put(p, "self",
      hybrid ? "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
               "4:memory:/process_api/x\n3:cpuset:/\n1:cpu:/\n0::/\n"
             : "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
               "4:memory:/process_api/x\n3:cpuset:/\n2:cpu,cpuacct:/\n10:hugetlb:/\n");
}

/* ---- helpers ---- */

static char *trace(void) {
  char *text = NULL;
  ck_assert_int_eq(read_file_at(AT_FDCWD, trace_file, 1 << 22, &text, NULL), 0);
  return text;
}

/* Where in the trace `value` was written to <root>/<rel>; -1 if it was not. */
static long written_at(const char *rel, const char *value) {
  _cleanup_free_ char *t = trace();
  _cleanup_free_ char *needle = xasprintf("write(\"%s/%s\", \"%s\") = ", root, rel, value);
  char *p = strstr(t, needle);
  return p ? p - t : -1;
}

#define ck_wrote(rel, value)                                                                       \
  ck_assert_msg(written_at(rel, value) >= 0, "expected \"%s\" written to %s; trace:\n%s", value,   \
                rel, trace())

/* Each {file, value} was written, the files relative to dir (itself relative to the root). */
static void check_writes(const char *dir, const char *const want[][2], size_t n) {
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *rel =
        strcmp(dir, ".") ? xasprintf("%s/%s", dir, want[i][0]) : xstrdup(want[i][0]);
    ck_wrote(rel, want[i][1]);
  }
}

static struct spec *resources(const char *json) {
  _cleanup_free_ char *doc = xasprintf(
      "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":%s}}",
      json);
  struct spec *s = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(spec_parse_string(doc, &s, &err) == 0, "%s", err ? err->message : "");
  return s;
}

static struct cgroup *make(const char *path, const char *id) {
  struct cgroup *cg = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(cgroup_create(&host, path, id, &cg, &err) == 0, "%s", err ? err->message : "");
  return cg;
}

static void apply_ok(struct cgroup *cg, const char *json) {
  _cleanup_spec_ struct spec *s = resources(json);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(cgroup_apply(cg, s->linux_.resources, NULL, 0, &err) == 0, "%s",
                err ? err->message : "");
}

/* Apply must fail with a message containing `wording`. */
static void apply_fails(struct cgroup *cg, const char *json, const char *wording) {
  _cleanup_spec_ struct spec *s = resources(json);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_lt(cgroup_apply(cg, s->linux_.resources, NULL, 0, &err), 0);
  ck_assert_ptr_nonnull(err);
  ck_assert_msg(strstr(err->message, wording), "message: %s", err->message);
}

static bool exists(const char *rel) {
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  return access(p, F_OK) == 0;
}

/* ---- detection and placement ---- */

START_TEST(test_detect_layouts) {
  enum cgroup_kind kind;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(cgroup_detect(&host, &kind, &err), -ENOENT); /* a bare tmpfs */
  ck_assert_ptr_nonnull(strstr(err->message, "no cgroup file system"));
  layout_v1(_i == 1);
  ck_assert_int_eq(cgroup_detect(&host, &kind, NULL), 0);
  ck_assert_int_eq(kind, _i == 1 ? CGROUP_HYBRID : CGROUP_LEGACY);
}
END_TEST

START_TEST(test_detect_unified) {
  layout_v2();
  enum cgroup_kind kind;
  ck_assert_int_eq(cgroup_detect(&host, &kind, NULL), 0);
  ck_assert_int_eq(kind, CGROUP_UNIFIED);
  ck_assert_str_eq(cgroup_kind_name(kind), "unified");
}
END_TEST

/* The default "husk/<id>" nests below husk's own cgroup in each hierarchy, never at the root. */
START_TEST(test_default_path_nests_below_own) {
  layout_v1(true);
  _cleanup_cgroup_ struct cgroup *cg = make(NULL, "c1");
  _cleanup_free_ char *mem = xasprintf("%s/memory/process_api/x/husk/c1", root);
  _cleanup_free_ char *cpu = xasprintf("%s/cpu/husk/c1", root);
  _cleanup_free_ char *v2 = xasprintf("%s/unified/husk/c1", root);
  ck_assert_str_eq(cgroup_dir(cg, "memory"), mem);
  ck_assert_str_eq(cgroup_dir(cg, "cpu"), cpu);
  ck_assert_str_eq(cgroup_dir(cg, ""), v2);
  ck_assert_ptr_null(cgroup_dir(cg, "systemd")); /* named hierarchies are left alone */
  ck_assert(!exists("systemd/husk"));
  ck_assert_int_eq(cgroup_kind_of(cg), CGROUP_HYBRID);
  /* a new v1 cpuset gets its parent's CPUs and nodes, in each directory husk made */
  _cleanup_free_ char *cpus = get("cpuset/husk/c1/cpuset.cpus");
  ck_assert_str_eq(cpus, "0-3");
  ck_wrote("cpuset/husk/cpuset.mems", "0");
}
END_TEST

START_TEST(test_paths_absolute_relative_bad) {
  layout_v2();
  _cleanup_cgroup_ struct cgroup *abs = make("/abs/c1", "ignored");
  _cleanup_free_ char *want_abs = xasprintf("%s/abs/c1", root);
  ck_assert_str_eq(cgroup_dir(abs, ""), want_abs);
  _cleanup_cgroup_ struct cgroup *rel = make("mine/./c2/", "ignored");
  _cleanup_free_ char *want_rel = xasprintf("%s/user/session/mine/c2", root);
  ck_assert_str_eq(cgroup_dir(rel, ""), want_rel);
  struct cgroup *cg = NULL;
  _cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL;
  ck_assert_int_eq(cgroup_create(&host, "a/../../b", "x", &cg, &e1), -EINVAL);
  ck_assert_ptr_nonnull(strstr(e1->message, "\"..\" is not allowed"));
  ck_assert_int_eq(cgroup_create(&host, "system.slice:husk:x", "x", &cg, &e2), -EINVAL);
  ck_assert_ptr_nonnull(strstr(e2->message, "systemd"));
}
END_TEST

/* The plan makes nothing and counts as made every component that does not exist yet, so the
 * journal can record it before the first mkdir; an existing leaf is refused before anything. */
START_TEST(test_plan_before_make) {
  layout_v2();
  existing("a");
  struct cgroup *cg = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(cgroup_plan(&host, "/a/b/c", "x", &cg, &err) == 0, "%s", err ? err->message : "");
  ck_assert(!exists("a/b"));
  _cleanup_json_ json_t *plan = cgroup_save(cg);
  json_t *dir = json_array_get(json_object_get(plan, "dirs"), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(dir, "made")), 2); /* b and c, not a */
  ck_assert_int_eq(cgroup_make(cg, &err), 0);
  ck_assert(exists("a/b/c"));
  ck_assert_int_eq(cgroup_destroy(cg, &err), 0);
  ck_assert(!exists("a/b") && exists("a"));
  cgroup_free(cg);
  existing("a/b");
  existing("a/b/c");
  struct cgroup *again = NULL;
  ck_assert_int_eq(cgroup_plan(&host, "/a/b/c", "x", &again, &err), -EEXIST);
  ck_assert_ptr_nonnull(strstr(err->message, "already exists"));
}
END_TEST

/* An existing cgroup is not taken over; what this create made is removed again. */
START_TEST(test_existing_leaf_refused) {
  layout_v1(_i == 1);
  existing(_i == 1 ? "unified/husk" : "hugetlb/husk"); /* the last hierarchy husk visits */
  existing(_i == 1 ? "unified/husk/c1" : "hugetlb/husk/c1");
  struct cgroup *cg = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(cgroup_create(&host, NULL, "c1", &cg, &err), -EEXIST);
  ck_assert_ptr_nonnull(strstr(err->message, "already exists"));
  ck_assert(exists(_i == 1 ? "unified/husk/c1" : "hugetlb/husk/c1"));
  ck_assert(!exists("memory/process_api/x/husk"));
  ck_assert(!exists("pids/husk"));
  ck_assert(exists("memory/process_api/x"));
}
END_TEST

/* Delete removes the leaf and the "husk" shelf once empty, never husk's own cgroup; the shelf
 * stays while another container uses it. */
START_TEST(test_destroy_and_save_load) {
  layout_v1(true);
  _cleanup_cgroup_ struct cgroup *a = make(NULL, "a");
  _cleanup_cgroup_ struct cgroup *b = make(NULL, "b");
  _cleanup_json_ json_t *saved = cgroup_save(a);
  _cleanup_cgroup_ struct cgroup *a2 = NULL;
  ck_assert_int_eq(cgroup_load(&host, saved, &a2, NULL), 0);
  ck_assert_str_eq(cgroup_dir(a2, "memory"), cgroup_dir(a, "memory"));
  ck_assert_int_eq(cgroup_destroy(a2, NULL), 0);
  ck_assert(!exists("memory/process_api/x/husk/a"));
  ck_assert(exists("memory/process_api/x/husk/b"));
  ck_assert_int_eq(cgroup_destroy(b, NULL), 0);
  ck_assert(!exists("memory/process_api/x/husk"));
  ck_assert(!exists("unified/husk"));
  ck_assert(exists("memory/process_api/x"));
  ck_assert_int_eq(cgroup_destroy(b, NULL), 0); /* already gone: fine */
  json_t *bad = json_pack("{s:s, s:[]}", "kind", "weird", "dirs");
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(cgroup_load(&host, bad, &a2, &err), -EINVAL);
  json_decref(bad);
}
END_TEST

START_TEST(test_add_pid_and_list) {
  layout_v1(_i == 1);
  _cleanup_cgroup_ struct cgroup *cg = make("/box", "x");
  ck_assert_int_eq(cgroup_add_pid(cg, 4242, NULL), 0);
  ck_wrote("memory/box/cgroup.procs", "4242");
  ck_wrote("pids/box/cgroup.procs", "4242");
  ck_assert_int_eq(written_at("systemd/box/cgroup.procs", "4242"), -1);
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  ck_assert_int_eq(cgroup_pids(cg, &pids, &n, NULL), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(pids[0], 4242);
  ck_assert(!cgroup_can_clone_into(cg));
}
END_TEST

/* ---- v2 ---- */

/* husk delegates controllers in the parent it made, and writes nothing in cgroups it found. */
START_TEST(test_v2_delegation_and_untouched_parents) {
  layout_v2();
  _cleanup_cgroup_ struct cgroup *cg = make(NULL, "c1");
  ck_wrote("user/session/husk/cgroup.subtree_control", "+cpuset +cpu +io +memory +hugetlb +pids");
  _cleanup_free_ char *t = trace();
  _cleanup_free_ char *mine = xasprintf("write(\"%s/user/session/husk/", root);
  for (char *p = strstr(t, "write(\""); p; p = strstr(p + 1, "write(\""))
    ck_assert_msg(strncmp(p, mine, strlen(mine)) == 0, "a write outside husk's cgroups: %.120s", p);
  ck_assert(cgroup_can_clone_into(cg));
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = cgroup_open_dir(cg, &err);
  ck_assert_int_ge(fd, 0);
  close(fd);
}
END_TEST

START_TEST(test_v2_resources) {
  layout_v2();
  _cleanup_cgroup_ struct cgroup *cg = make(NULL, "c1");
  refresh("user/session/husk/c1");
  apply_ok(cg, "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432},"
               "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\","
               "\"mems\":\"0\",\"idle\":1,\"burst\":1000},"
               "\"pids\":{\"limit\":10},"
               "\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,"
               "\"weight\":1000}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
               "\"rate\":1048576}],\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,"
               "\"rate\":100}]},"
               "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
               "\"unified\":{\"memory.high\":\"50000000\"}}");
  static const char *const want[][2] = {
      {"memory.max", "67108864"},
      {"memory.swap.max", "67108864"}, /* memory+swap 128 MiB - memory 64 MiB */
      {"memory.low", "33554432"},
      {"cpu.weight", "39"}, /* 1 + (1024 - 2) * 9999 / 262142 */
      {"cpu.max", "50000 100000"},
      {"cpuset.cpus", "0-1"},
      {"cpuset.mems", "0"},
      {"pids.max", "10"},
      {"io.weight", "4950"}, /* 1 + (500 - 10) * 9999 / 990 */
      {"io.weight", "8:0 10000"},
      {"io.max", "8:0 rbps=1048576"},
      {"io.max", "8:16 wiops=100"},
      {"hugetlb.2MB.max", "4194304"},
      {"memory.high", "50000000"},
      {"cpu.idle", "1"},
      {"cpu.max.burst", "1000"},
  };
  check_writes("user/session/husk/c1", want, ARRAY_SIZE(want));
}
END_TEST

START_TEST(test_v2_unlimited_values) {
  layout_v2();
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  apply_ok(cg, "{\"memory\":{\"limit\":-1,\"swap\":-1},\"cpu\":{\"quota\":-1,\"period\":50000},"
               "\"pids\":{\"limit\":-1}}");
  ck_wrote("c/memory.max", "max");
  ck_wrote("c/memory.swap.max", "max");
  ck_wrote("c/cpu.max", "max 50000");
  ck_wrote("c/pids.max", "max");
}
END_TEST

/* What cgroup v2 cannot do is an error naming the field, never silently dropped. */
START_TEST(test_v2_errors) {
  layout_v2();
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  apply_fails(cg, "{\"memory\":{\"swappiness\":10}}", "linux.resources.memory.swappiness");
  apply_fails(cg, "{\"cpu\":{\"realtimeRuntime\":1000}}", "realtime");
  apply_fails(cg, "{\"memory\":{\"swap\":100}}", "a swap limit needs a memory limit");
  apply_fails(cg, "{\"unified\":{\"memory.nonsense\":\"1\"}}",
              "linux.resources.unified[\"memory.nonsense\"]");
  apply_fails(cg, "{\"unified\":{\"../x\":\"1\"}}", "is not a cgroup file");
  apply_fails(cg, "{\"hugepageLimits\":[{\"pageSize\":\"64KB\",\"limit\":1}]}",
              "linux.resources.hugepageLimits[0]");
}
END_TEST

/* A controller the parent does not delegate cannot be used, and husk does not change that. */
START_TEST(test_v2_controller_not_delegated) {
  layout_v2();
  put(root, "user/session/cgroup.subtree_control", "cpu pids\n");
  _cleanup_cgroup_ struct cgroup *cg = make("mine", "x");
  apply_fails(cg, "{\"memory\":{\"limit\":1048576}}", "the memory controller is not available");
  apply_ok(cg, "{\"pids\":{\"limit\":5}}");
  ck_wrote("user/session/mine/pids.max", "5");
  ck_assert_int_eq(written_at("user/session/cgroup.subtree_control", "+memory"), -1);
}
END_TEST

START_TEST(test_v2_freeze_kill_stats) {
  layout_v2();
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  put(root, "c/cgroup.events", "populated 1\nfrozen 1\n");
  ck_assert_int_eq(cgroup_freeze(cg, true, NULL), 0);
  ck_wrote("c/cgroup.freeze", "1");
  ck_assert(cgroup_is_frozen(cg));
  ck_assert_int_eq(cgroup_kill(cg, SIGKILL, NULL), 0);
  ck_wrote("c/cgroup.kill", "1");
  _cleanup_free_ char *dir = xasprintf("%s/c", root);
  put(dir, "memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\n");
  put(dir, "memory.current", "1234\n");
  put(dir, "memory.max", "67108864\n");
  put(dir, "pids.current", "3\n");
  put(dir, "cpu.stat",
      "usage_usec 5\nuser_usec 3\nsystem_usec 2\nnr_periods 9\nnr_throttled 4\n"
      "throttled_usec 11\n");
  uint64_t ooms = 0;
  ck_assert_int_eq(cgroup_oom_kills(cg, &ooms, NULL), 0);
  ck_assert_uint_eq(ooms, 2);
  int64_t limit = 0;
  ck_assert_int_eq(cgroup_memory_limit(cg, &limit, NULL), 0);
  ck_assert_int_eq(limit, 67108864);
  _cleanup_json_ json_t *st = NULL;
  ck_assert_int_eq(cgroup_stats(cg, &st, NULL), 0);
  json_int_t usage, mlimit, failcnt, pids, total, throttled, pids_limit;
  ck_assert_int_eq(json_unpack(st, "{s:{s:{s:I, s:I, s:I}}, s:{s:I, s:I}, s:{s:{s:I}, s:{s:I}}}",
                               "memory", "usage", "usage", &usage, "limit", &mlimit, "failcnt",
                               &failcnt, "pids", "current", &pids, "limit", &pids_limit, "cpu",
                               "usage", "total", &total, "throttling", "throttledPeriods",
                               &throttled),
                   0);
  ck_assert_int_eq(usage, 1234);
  ck_assert_int_eq(mlimit, 67108864);
  ck_assert_int_eq(failcnt, 7);
  ck_assert_int_eq(pids, 3);
  ck_assert_int_eq(pids_limit, 0); /* "max", as runc reports it */
  ck_assert_int_eq(total, 5000);
  ck_assert_int_eq(throttled, 4);
}
END_TEST

/* ---- v1 and hybrid ---- */

START_TEST(test_v1_resources) {
  layout_v1(_i == 1);
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  apply_ok(cg, "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":1048576,"
               "\"swappiness\":10,\"disableOOMKiller\":true,\"kernelTCP\":4096},"
               "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"1\","
               "\"mems\":\"0\",\"idle\":0,\"realtimePeriod\":1000000,\"realtimeRuntime\":950000},"
               "\"pids\":{\"limit\":10},"
               "\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,"
               "\"weight\":300}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
               "\"rate\":1048576}]}}");
  static const char *const want[][2] = {
      {"memory/c/memory.limit_in_bytes", "67108864"},
      {"memory/c/memory.memsw.limit_in_bytes", "134217728"}, /* v1 memsw is memory+swap */
      {"memory/c/memory.soft_limit_in_bytes", "1048576"},
      {"memory/c/memory.swappiness", "10"},
      {"memory/c/memory.oom_control", "1"},
      {"memory/c/memory.kmem.tcp.limit_in_bytes", "4096"},
      {"cpuset/c/cpuset.cpus", "1"},
      {"cpuset/c/cpuset.mems", "0"},
      {"pids/c/pids.max", "10"},
      {"blkio/c/blkio.bfq.weight", "500"}, /* BFQ: no blkio.weight on this host */
      {"blkio/c/blkio.bfq.weight_device", "8:0 300"},
      {"blkio/c/blkio.throttle.read_bps_device", "8:0 1048576"},
  };
  check_writes(".", want, ARRAY_SIZE(want));
  /* the old limit (unlimited) is above the new memsw: limit first, then memsw */
  ck_assert_int_lt(written_at("memory/c/memory.limit_in_bytes", "67108864"),
                   written_at("memory/c/memory.memsw.limit_in_bytes", "134217728"));
  static const char *const cpu[][2] = {
      {"cpu.shares", "1024"},          {"cpu.cfs_period_us", "100000"},
      {"cpu.cfs_quota_us", "50000"},   {"cpu.rt_period_us", "1000000"},
      {"cpu.rt_runtime_us", "950000"}, {"cpu.idle", "0"},
  };
  const char *cpu_dir = _i == 1 ? "cpu/c" : "cpu,cpuacct/c";
  check_writes(cpu_dir, cpu, ARRAY_SIZE(cpu));
  _cleanup_free_ char *period = xasprintf("%s/cpu.cfs_period_us", cpu_dir),
                      *quota = xasprintf("%s/cpu.cfs_quota_us", cpu_dir);
  ck_assert_int_lt(written_at(period, "100000"), written_at(quota, "50000"));
}
END_TEST

/* Raising a limit above the current memsw needs memsw first; -1 frees both. */
START_TEST(test_v1_memory_update_order) {
  layout_v1(false);
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  apply_ok(cg, "{\"memory\":{\"limit\":67108864,\"swap\":67108864}}");
  apply_ok(cg, "{\"memory\":{\"limit\":134217728,\"swap\":268435456}}");
  ck_assert_int_lt(written_at("memory/c/memory.memsw.limit_in_bytes", "268435456"),
                   written_at("memory/c/memory.limit_in_bytes", "134217728"));
  apply_ok(cg, "{\"memory\":{\"limit\":-1}}");
  ck_wrote("memory/c/memory.memsw.limit_in_bytes", "-1");
  ck_wrote("memory/c/memory.limit_in_bytes", "-1");
  apply_ok(cg, "{\"pids\":{\"limit\":0}}");
  ck_wrote("pids/c/pids.max", "max");
}
END_TEST

START_TEST(test_v1_errors) {
  layout_v1(_i == 1);
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  _cleanup_free_ char *memsw = xasprintf("%s/memory/c/memory.memsw.limit_in_bytes", root);
  unlink(memsw); /* no swap accounting */
  apply_fails(cg, "{\"memory\":{\"limit\":1048576,\"swap\":2097152}}", "no swap accounting");
  apply_ok(cg, "{\"memory\":{\"limit\":1048576,\"swap\":1048576}}"); /* no swap wanted: fine */
  apply_fails(cg, "{\"blockIO\":{\"leafWeight\":100}}", "linux.resources.blockIO.leafWeight");
  if (_i == 0) {
    apply_fails(cg, "{\"unified\":{\"memory.high\":\"1\"}}", "needs cgroup v2");
    apply_ok(cg, "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}");
    ck_wrote("hugetlb/c/hugetlb.2MB.limit_in_bytes", "2097152");
  }
}
END_TEST

/* Hybrid: hugetlb and `unified` go to the v2 tree; cgroup.kill there kills everything. */
START_TEST(test_hybrid_unified_parts) {
  layout_v1(true);
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  apply_ok(cg, "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}],"
               "\"unified\":{\"cgroup.max.descendants\":\"5\"}}");
  ck_wrote("unified/c/hugetlb.2MB.max", "2097152");
  ck_assert_int_eq(cgroup_kill(cg, SIGKILL, NULL), 0);
  ck_wrote("unified/c/cgroup.kill", "1");
  _cleanup_free_ char *u = xasprintf("%s/unified", root);
  put(u, "cgroup.subtree_control", "");
  _cleanup_cgroup_ struct cgroup *cg2 = make("/d", "d");
  apply_fails(cg2, "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}",
              "hugetlb controller is not available");
}
END_TEST

START_TEST(test_v1_freeze_stats) {
  layout_v1(_i == 1);
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  ck_assert(!cgroup_is_frozen(cg));
  ck_assert_int_eq(cgroup_freeze(cg, true, NULL), 0);
  ck_wrote("freezer/c/freezer.state", "FROZEN");
  ck_assert(cgroup_is_frozen(cg));
  ck_assert_int_eq(cgroup_freeze(cg, false, NULL), 0);
  ck_assert(!cgroup_is_frozen(cg));
  _cleanup_free_ char *m = xasprintf("%s/memory/c", root);
  put(m, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  put(m, "memory.limit_in_bytes", "67108864\n");
  put(m, "memory.failcnt", "12\n");
  uint64_t ooms = 0;
  ck_assert_int_eq(cgroup_oom_kills(cg, &ooms, NULL), 0);
  ck_assert_uint_eq(ooms, 1);
  _cleanup_json_ json_t *st = NULL;
  ck_assert_int_eq(cgroup_stats(cg, &st, NULL), 0);
  json_int_t failcnt = 0, limit = 0;
  ck_assert_int_eq(json_unpack(st, "{s:{s:{s:I, s:I}}}", "memory", "usage", "failcnt", &failcnt,
                               "limit", &limit),
                   0);
  ck_assert_int_eq(failcnt, 12);
  ck_assert_int_eq(limit, 67108864);
  int64_t lim = 0;
  put(m, "memory.limit_in_bytes", "9223372036854771712\n");
  ck_assert_int_eq(cgroup_memory_limit(cg, &lim, NULL), 0);
  ck_assert_int_eq(lim, -1);
}
END_TEST

/* state.json keeps the cgroup; the status of a live init whose cgroup is frozen is paused. */
START_TEST(test_state_records_cgroup_and_paused) {
  layout_v1(_i == 1);
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  _cleanup_free_ char *dir = xasprintf("%s/state", base);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  _cleanup_close_ int fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  _cleanup_json_ json_t *saved = cgroup_save(cg), *ann = json_object();
  struct container_state st = {.id = "c",
                               .pid = getpid(),
                               .pid_start_time = proc_start_time(getpid()),
                               .bundle = "/b",
                               .rootfs = "/b/rootfs",
                               .created = "now",
                               .annotations = ann,
                               .started = true,
                               .cgroup = saved};
  ck_assert_int_eq(state_write(fd, &st, NULL), 0);
  _cleanup_state_ struct container_state *back = NULL;
  ck_assert_int_eq(state_read(fd, &back, NULL), 0);
  ck_assert_ptr_nonnull(back->cgroup);
  ck_assert_int_eq(state_status(fd, back), STATUS_RUNNING);
  ck_assert_int_eq(cgroup_freeze(cg, true, NULL), 0);
  ck_assert_int_eq(state_status(fd, back), STATUS_PAUSED);
  _cleanup_cgroup_ struct cgroup *again = NULL;
  ck_assert_int_eq(cgroup_load(&host, back->cgroup, &again, NULL), 0);
  ck_assert_str_eq(cgroup_dir(again, "memory"), cgroup_dir(cg, "memory"));
}
END_TEST

/* ---- conversions ---- */

START_TEST(test_conversions) {
  ck_assert_uint_eq(cgroup_shares_to_weight(0), 0);
  ck_assert_uint_eq(cgroup_shares_to_weight(2), 1);
  ck_assert_uint_eq(cgroup_shares_to_weight(1024), 39);
  ck_assert_uint_eq(cgroup_shares_to_weight(262144), 10000);
  ck_assert_uint_eq(cgroup_blkio_to_io_weight(10), 1);
  ck_assert_uint_eq(cgroup_blkio_to_io_weight(500), 4950);
  ck_assert_uint_eq(cgroup_blkio_to_io_weight(1000), 10000);
  int64_t v = 0;
  ck_assert_int_eq(cgroup_swap_to_v2(134217728, 67108864, &v, NULL), 0);
  ck_assert_int_eq(v, 67108864);
  ck_assert_int_eq(cgroup_swap_to_v2(-1, 67108864, &v, NULL), 0);
  ck_assert_int_eq(v, -1);
  ck_assert_int_eq(cgroup_swap_to_v2(67108864, 67108864, &v, NULL), 0);
  ck_assert_int_eq(v, 0);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(cgroup_swap_to_v2(1000, 2000, &v, &err), -EINVAL);
  ck_assert_ptr_nonnull(strstr(err->message, "must not be below"));
}
END_TEST

/* ---- devices ---- */

START_TEST(test_device_rules_v1) {
  layout_v1(_i == 1);
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  _cleanup_spec_ struct spec *s =
      resources("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"rw\"}]}");
  struct spec_device fuse = {.path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(cgroup_apply(cg, s->linux_.resources, &fuse, 1, &err), 0);
  long deny_all = written_at("devices/c/devices.deny", "a");
  ck_assert_int_ge(deny_all, 0);
  ck_assert_int_gt(written_at("devices/c/devices.allow", "c 10:200 rw"), deny_all);
  ck_wrote("devices/c/devices.allow", "c 1:3 rwm"); /* runc's defaults: /dev/null ... */
  ck_wrote("devices/c/devices.allow", "c *:* m");
  ck_wrote("devices/c/devices.allow", "c 136:* rwm");
  ck_wrote("devices/c/devices.allow", "c 10:229 rwm"); /* linux.devices */
}
END_TEST

START_TEST(test_bpf_program_shape) {
  struct cg_dev_rule rules[] = {{false, 'a', -1, -1, 7}, {true, 'c', 1, 3, 7}};
  _cleanup_free_ struct bpf_insn *p = NULL;
  size_t n = 0;
  cg_bpf_device_program(rules, 2, &p, &n);
  /* 6 loads, allow c 1:3 (3 tests + 2), deny all (2); nothing after a rule matching all */
  ck_assert_uint_eq(n, 6 + 5 + 2);
  ck_assert_int_eq(p[n - 1].code, BPF_JMP | BPF_EXIT);
  ck_assert_int_eq(p[n - 2].imm, 0);
  ck_assert_int_eq(p[6].code, BPF_JMP32 | BPF_JNE | BPF_K); /* type check of the last rule */
  ck_assert_int_eq(p[6].imm, BPF_DEVCG_DEV_CHAR);
  ck_assert_int_eq(p[6].off, 4); /* to the next rule's block */
  ck_assert_int_eq(p[9].imm, 1); /* allow */
  struct cg_dev_rule one[] = {{true, 'b', 8, -1, CG_DEV_READ}};
  _cleanup_free_ struct bpf_insn *q = NULL;
  cg_bpf_device_program(one, 1, &q, &n);
  /* type, access (mov, and, jne), major; allow; then the default deny */
  ck_assert_uint_eq(n, 6 + 5 + 2 + 2);
  ck_assert_int_eq(q[6].imm, BPF_DEVCG_DEV_BLOCK);
  ck_assert_int_eq(q[9].code, BPF_JMP32 | BPF_JNE | BPF_X);
  ck_assert_int_eq(q[n - 2].imm, 0);
}
END_TEST

static bool v2_mount(char *buf, size_t len) {
  struct statfs sfs;
  const char *cands[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
  for (size_t i = 0; i < ARRAY_SIZE(cands); i++)
    if (statfs(cands[i], &sfs) == 0 && sfs.f_type == CG_CGROUP2_MAGIC) {
      snprintf(buf, len, "%s", cands[i]);
      return true;
    }
  return false;
}

static int try_open(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd >= 0)
    close(fd);
  return fd >= 0 ? 0 : errno;
}

/* As root: the program passes the kernel's verifier and really decides opens of devices. */
START_TEST(test_bpf_enforced_as_root) {
  char mount[64];
  if (geteuid() != 0 || !v2_mount(mount, sizeof(mount)))
    return;
  _cleanup_free_ char *self = NULL;
  ck_assert_int_eq(read_file_at(AT_FDCWD, "/proc/self/cgroup", 65536, &self, NULL), 0);
  char *own = strstr(self, "0::");
  ck_assert_ptr_nonnull(own);
  own += 3;
  own[strcspn(own, "\n")] = '\0';
  _cleanup_free_ char *dir =
      xasprintf("%s%s/husk-unit-bpf-%d", mount, strcmp(own, "/") ? own : "", (int)getpid());
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  struct cg_dev_rule rules[] = {{false, 'a', -1, -1, 7},
                                {true, 'c', 1, 3, 7},
                                {true, 'c', 1, 5, 7},
                                {false, 'c', 1, 5, CG_DEV_WRITE}};
  _cleanup_error_ struct husk_error *err = NULL;
  int r = cg_bpf_devices(dir, rules, ARRAY_SIZE(rules), &err);
  pid_t pid = r == 0 ? fork() : -1;
  if (pid == 0) {
    _cleanup_free_ char *me = xasprintf("%d", (int)getpid());
    if (cg_write(dir, "cgroup.procs", me, "test", NULL) < 0)
      _exit(10);
    _exit(try_open("/dev/null", O_RDWR) != 0         ? 11
          : try_open("/dev/zero", O_RDONLY) != 0     ? 12
          : try_open("/dev/zero", O_WRONLY) != EPERM ? 13
          : try_open("/dev/full", O_RDONLY) != EPERM ? 14
                                                     : 0);
  }
  int status = -1;
  if (pid > 0)
    waitpid(pid, &status, 0);
  rmdir(dir);
  ck_assert_msg(r == 0, "%s", err ? err->message : "");
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}
END_TEST

static Suite *cgroups_suite(void) {
  Suite *s = suite_create("cgroups");
  TCase *tc = tcase_create("fake cgroupfs");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_detect_layouts, 0, 2);
  tcase_add_test(tc, test_detect_unified);
  tcase_add_test(tc, test_default_path_nests_below_own);
  tcase_add_test(tc, test_plan_before_make);
  tcase_add_test(tc, test_paths_absolute_relative_bad);
  tcase_add_loop_test(tc, test_existing_leaf_refused, 0, 2);
  tcase_add_test(tc, test_destroy_and_save_load);
  tcase_add_loop_test(tc, test_add_pid_and_list, 0, 2);
  tcase_add_test(tc, test_v2_delegation_and_untouched_parents);
  tcase_add_test(tc, test_v2_resources);
  tcase_add_test(tc, test_v2_unlimited_values);
  tcase_add_test(tc, test_v2_errors);
  tcase_add_test(tc, test_v2_controller_not_delegated);
  tcase_add_test(tc, test_v2_freeze_kill_stats);
  tcase_add_loop_test(tc, test_v1_resources, 0, 2);
  tcase_add_test(tc, test_v1_memory_update_order);
  tcase_add_loop_test(tc, test_v1_errors, 0, 2);
  tcase_add_test(tc, test_hybrid_unified_parts);
  tcase_add_loop_test(tc, test_v1_freeze_stats, 0, 2);
  tcase_add_loop_test(tc, test_device_rules_v1, 0, 2);
  tcase_add_loop_test(tc, test_state_records_cgroup_and_paused, 0, 2);
  suite_add_tcase(s, tc);
  TCase *pure = tcase_create("pure");
  tcase_add_test(pure, test_conversions);
  tcase_add_test(pure, test_bpf_program_shape);
  tcase_add_test(pure, test_bpf_enforced_as_root);
  suite_add_tcase(s, pure);
  return s;
}

int main(void) { return unit_run(cgroups_suite()); }
