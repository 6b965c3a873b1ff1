/* test_cgroups.c: cgroups/ on a fake cgroupfs in a temporary directory (no root needed):
 * detection of the three layouts by statfs type, where the container's cgroup goes, and every
 * linux.resources field → the exact files and values written (read back from the --trace
 * narration, so order counts too) on v2, hybrid and legacy hosts; conversions; freeze, stats,
 * OOM counts; the device rules and their eBPF program (loaded and enforced when root). */
#include <check.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "cgroups/internal.h"
#include "cli/commands/update.h"
#include "container/state.h"
#include "spec/spec.h"
#include "unit.h"

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
    {"net_cls", "net_cls.classid", "0\n"}, {"net_prio", "net_prio.ifpriomap", "lo 0\neth0 0\n"},
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

/* Pure v2; husk runs in /user/session, whose parents delegate every controller; relative
 * paths go beside it, in /user (runc's rule). */
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

static long trace_len(void) {
  _cleanup_free_ char *t = trace();
  return (long)strlen(t);
}

/* A write( line in the trace after mark (where trace_len was). */
static bool wrote_since(long mark) {
  _cleanup_free_ char *t = trace();
  return strstr(t + mark, "write(\"") != NULL;
}

/* Set a fake control file's content, as the kernel would show it. */
static void set_file(const char *rel, const char *content) {
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  FILE *f = fopen(p, "we");
  ck_assert_msg(f, "open %s", p);
  fputs(content, f);
  fclose(f);
}

static void file_is(const char *rel, const char *want) {
  _cleanup_free_ char *got = get(rel);
  ck_assert_msg(got, "read %s", rel);
  size_t n = strlen(got);
  while (n > 0 && got[n - 1] == '\n')
    got[--n] = '\0';
  ck_assert_msg(strcmp(got, want) == 0, "%s is \"%s\", expected \"%s\"", rel, got, want);
}

/* A control file whose writes the kernel refuses (ENOSPC): /dev/full in its place. It opens
 * for writing, so only the write itself fails, past the checking pass. */
static void refusing(const char *rel) {
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  unlink(p);
  ck_assert_int_eq(symlink("/dev/full", p), 0);
}

/* cgroup_update of a lone linux.resources object, as husk update parses it. */
static int update(struct cgroup *cg, const char *json, struct husk_error **err) {
  json_error_t jerr;
  _cleanup_json_ json_t *j = json_loads(json, 0, &jerr);
  ck_assert_msg(j, "bad test JSON: %s", jerr.text);
  _cleanup_spec_ struct spec *s = NULL;
  ck_assert_int_eq(spec_parse_resources_json(j, &s, err), 0);
  return cgroup_update(cg, s->linux_.resources, err);
}

static void update_ok(struct cgroup *cg, const char *json) {
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(update(cg, json, &err) == 0, "update %s: %s", json, err ? err->message : "");
}

/* The update fails with a message containing each wording (NULL-terminated). */
static void update_fails(struct cgroup *cg, const char *json, ...) __attribute__((sentinel));
static void update_fails(struct cgroup *cg, const char *json, ...) {
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_lt(update(cg, json, &err), 0);
  ck_assert_ptr_nonnull(err);
  va_list ap;
  va_start(ap, json);
  for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *))
    ck_assert_msg(strstr(err->message, w), "message lacks \"%s\": %s", w, err->message);
  va_end(ap);
}

/* The net_cls,net_prio hierarchy (co-mounted, as systemd mounts them) beside the others. */
static void add_net_hierarchy(void) {
  mount_at("net_cls,net_prio", CG_CGROUP_MAGIC);
  _cleanup_free_ char *d = xasprintf("%s/net_cls,net_prio", root);
  v1_files(d, "net_cls,net_prio");
  _cleanup_free_ char *self = NULL;
  ck_assert_int_eq(read_file_at(AT_FDCWD, self_file, 4096, &self, NULL), 0);
  _cleanup_free_ char *more = xasprintf("%s11:net_cls,net_prio:/\n", self);
  _cleanup_free_ char *dir = xstrdup(self_file);
  *strrchr(dir, '/') = '\0';
  put(dir, "self", more);
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
  _cleanup_free_ char *want_rel = xasprintf("%s/user/mine/c2", root);
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
  ck_wrote("user/husk/cgroup.subtree_control", "+cpuset +cpu +io +memory +hugetlb +pids");
  _cleanup_free_ char *t = trace();
  _cleanup_free_ char *mine = xasprintf("write(\"%s/user/husk/", root);
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
  refresh("user/husk/c1");
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
  check_writes("user/husk/c1", want, ARRAY_SIZE(want));
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
  put(root, "user/cgroup.subtree_control", "cpu pids\n");
  _cleanup_cgroup_ struct cgroup *cg = make("mine", "x");
  apply_fails(cg, "{\"memory\":{\"limit\":1048576}}", "the memory controller is not available");
  /* the error names the cgroup that keeps it back, and how to delegate it */
  _cleanup_free_ char *how = xasprintf("%s/user does not delegate it", root);
  apply_fails(cg, "{\"memory\":{\"limit\":1048576}}", how);
  _cleanup_free_ char *echo = xasprintf("echo +memory > %s/user/cgroup.subtree_control", root);
  apply_fails(cg, "{\"memory\":{\"limit\":1048576}}", echo);
  apply_ok(cg, "{\"pids\":{\"limit\":5}}");
  ck_wrote("user/mine/pids.max", "5");
  ck_assert_int_eq(written_at("user/cgroup.subtree_control", "+memory"), -1);
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
  apply_ok(cg, "{\"pids\":{\"limit\":-1}}");
  ck_wrote("pids/c/pids.max", "max");
  long mark = trace_len();
  apply_ok(cg, "{\"pids\":{\"limit\":0}}"); /* runc: 0 leaves the limit alone */
  ck_assert_msg(!wrote_since(mark), "pids limit 0 wrote: %s", trace() + mark);
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

/* ---- update: runc's rules, all or nothing ---- */

/* Where in the trace, after mark, `value` was written to <root>/<rel>; -1 if it was not. */
static long written_after(long mark, const char *rel, const char *value) {
  _cleanup_free_ char *t = trace();
  _cleanup_free_ char *needle = xasprintf("write(\"%s/%s\", \"%s\") = ", root, rel, value);
  char *p = strstr(t + mark, needle);
  return p ? p - t : -1;
}

#define ck_wrote_after(mark, rel, value)                                                           \
  ck_assert_msg(written_after(mark, rel, value) >= 0,                                              \
                "expected \"%s\" written to %s; trace since:\n%s", value, rel, trace() + (mark))

/* _i: 0 legacy, 1 hybrid, 2 pure v2. The container's cgroup is /c; on v2 its files are c/... */
static struct cgroup *update_host(int kind) {
  if (kind == 2)
    layout_v2();
  else
    layout_v1(kind == 1);
  return make("/c", "c");
}

static const char *memory_file(int kind) {
  return kind == 2 ? "c/memory.max" : "memory/c/memory.limit_in_bytes";
}

/* What Docker 20.10's `docker update` sends through containerd for a container whose other
 * limits it leaves alone: 0 for each of them. */
#define DOCKER_UNCHANGED                                                                           \
  "{\"memory\":{\"limit\":0,\"reservation\":0,\"kernel\":0},"                                      \
  "\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0,\"cpus\":\"\",\"mems\":\"\"},"                   \
  "\"blockIO\":{\"weight\":0},\"pids\":{\"limit\":0}}"

#define INITIAL_LIMITS                                                                             \
  "{\"memory\":{\"limit\":67108864,\"swap\":67108864},"                                            \
  "\"cpu\":{\"shares\":512,\"quota\":20000,\"period\":100000},\"pids\":{\"limit\":50}}"

/* 0 is "unchanged" (runc's drivers skip it), in update and create alike: nothing is written,
 * where husk used to write "0" (EINVAL for a v1 quota, EBUSY for a memory limit). */
START_TEST(test_update_zero_is_unchanged) {
  _cleanup_cgroup_ struct cgroup *cg = update_host(_i);
  apply_ok(cg, INITIAL_LIMITS);
  long mark = trace_len();
  update_ok(cg, DOCKER_UNCHANGED);
  apply_ok(cg, DOCKER_UNCHANGED);
  ck_assert_msg(!wrote_since(mark), "zeros were written:\n%s", trace() + mark);
  file_is(memory_file(_i), "67108864");
  /* docker update --cpus 0.5 --pids-limit 100: only those two change */
  update_ok(cg, "{\"memory\":{\"limit\":0,\"reservation\":0,\"kernel\":0},"
                "\"cpu\":{\"shares\":0,\"quota\":50000,\"period\":100000},"
                "\"blockIO\":{\"weight\":0},\"pids\":{\"limit\":100}}");
  if (_i == 2) {
    ck_wrote_after(mark, "c/cpu.max", "50000 100000");
    ck_wrote_after(mark, "c/pids.max", "100");
  } else {
    const char *cpu = _i == 1 ? "cpu/c" : "cpu,cpuacct/c";
    _cleanup_free_ char *quota = xasprintf("%s/cpu.cfs_quota_us", cpu);
    ck_wrote_after(mark, quota, "50000");
    ck_wrote_after(mark, "pids/c/pids.max", "100");
  }
  file_is(memory_file(_i), "67108864");
  /* -1 is unlimited */
  update_ok(cg, "{\"pids\":{\"limit\":-1},\"cpu\":{\"quota\":-1}}");
  file_is(_i == 2 ? "c/pids.max" : "pids/c/pids.max", "max");
}
END_TEST

/* containerd's CRI sends the container's unchanged device list with each update: it is left
 * alone (runc skips devices), not refused and not rewritten. */
START_TEST(test_update_leaves_devices) {
  _cleanup_cgroup_ struct cgroup *cg = update_host(_i);
  apply_ok(cg, INITIAL_LIMITS);
  long mark = trace_len();
  update_ok(cg, "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
                "\"memory\":{\"limit\":201326592,\"swap\":201326592},\"cpu\":{}}");
  file_is(memory_file(_i), "201326592");
  ck_assert_int_eq(written_after(mark, "devices/c/devices.deny", "a"), -1);
  if (_i != 2) /* memsw above the old limit: memsw first, then the limit */
    ck_assert_int_lt(written_after(mark, "memory/c/memory.memsw.limit_in_bytes", "201326592"),
                     written_after(mark, "memory/c/memory.limit_in_bytes", "201326592"));
}
END_TEST

/* A write the kernel refuses after others succeeded: each file gets back its old value,
 * newest first, keyed files per device, and the error says so, naming path and file. */
START_TEST(test_update_rolls_back) {
  _cleanup_cgroup_ struct cgroup *cg = update_host(_i);
  apply_ok(cg, "{\"memory\":{\"limit\":67108864,\"swap\":67108864},"
               "\"cpu\":{\"shares\":512,\"quota\":20000,\"period\":100000},\"pids\":{\"limit\":50},"
               "\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
               "\"rate\":1048576}]}}");
  const char *hugetlb = _i == 0   ? "hugetlb/c/hugetlb.2MB.limit_in_bytes"
                        : _i == 1 ? "unified/c/hugetlb.2MB.max"
                                  : "c/hugetlb.2MB.max";
  if (_i == 2)
    set_file("c/io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=max\n");
  refusing(hugetlb); /* the last setting written */
  long mark = trace_len();
  update_fails(cg,
               "{\"memory\":{\"limit\":134217728,\"swap\":268435456},"
               "\"cpu\":{\"shares\":100,\"quota\":50000,\"cpus\":\"1\"},\"pids\":{\"limit\":7},"
               "\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":2097152},"
               "{\"major\":8,\"minor\":16,\"rate\":4096}]},"
               "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}",
               "linux.resources.hugepageLimits[0]", "hugetlb.2MB", "No space left on device",
               "nothing was changed", NULL);
  if (_i == 2) {
    static const char *const back[][2] = {
        {"c/memory.max", "67108864"},
        {"c/memory.swap.max", "0"},
        {"c/cpu.weight", "20"},
        {"c/cpu.max", "20000 100000"},
        {"c/cpuset.cpus", ""},
        {"c/pids.max", "50"},
        {"c/io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=max"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(back); i++)
      file_is(back[i][0], back[i][1]);
    ck_wrote_after(mark, "c/io.max", "8:16 rbps=max wbps=max riops=max wiops=max");
    ck_assert_int_lt(
        written_after(mark, "c/io.max", "8:16 rbps=max wbps=max riops=max wiops=max"),
        written_after(mark, "c/io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=max"));
    return;
  }
  const char *cpu = _i == 1 ? "cpu/c" : "cpu,cpuacct/c";
  _cleanup_free_ char *shares = xasprintf("%s/cpu.shares", cpu),
                      *quota = xasprintf("%s/cpu.cfs_quota_us", cpu);
  file_is("memory/c/memory.limit_in_bytes", "67108864");
  file_is("memory/c/memory.memsw.limit_in_bytes", "67108864");
  file_is(shares, "512");
  file_is(quota, "20000");
  file_is("cpuset/c/cpuset.cpus", "0-3");
  file_is("pids/c/pids.max", "50");
  file_is("blkio/c/blkio.throttle.read_bps_device", "8:0 1048576");
  ck_wrote_after(mark, "blkio/c/blkio.throttle.read_bps_device", "8:16 0"); /* 0 removes it */
  /* raised: memsw went first, so it comes back last, under the restored limit */
  long lim = written_after(mark, "memory/c/memory.limit_in_bytes", "67108864");
  long sw = written_after(mark, "memory/c/memory.memsw.limit_in_bytes", "67108864");
  ck_assert_msg(lim >= 0 && sw > lim, "restore order: limit at %ld, memsw at %ld", lim, sw);
}
END_TEST

/* What the checking pass finds fails the update before anything is written. */
START_TEST(test_update_checks_before_writing) {
  _cleanup_cgroup_ struct cgroup *cg = update_host(_i);
  apply_ok(cg, INITIAL_LIMITS);
  _cleanup_free_ char *pids = xasprintf("%s/%s", root, _i == 2 ? "c/pids.max" : "pids/c/pids.max");
  ck_assert_int_eq(unlink(pids), 0);
  long mark = trace_len();
  update_fails(cg, "{\"memory\":{\"limit\":134217728,\"swap\":134217728},\"pids\":{\"limit\":7}}",
               "linux.resources.pids.limit", "pids.max does not exist", NULL);
  ck_assert_msg(!wrote_since(mark), "written before the check failed:\n%s", trace() + mark);
  /* linux.resources.network without net_cls and net_prio: refused, in update and create */
  const char *why = _i == 2 ? "needs the net_cls and net_prio controllers of cgroup v1"
                            : "this host has no net_cls cgroup controller mounted";
  update_fails(cg, "{\"memory\":{\"limit\":33554432},\"network\":{\"classID\":1048577}}",
               "linux.resources.network.classID", why, NULL);
  apply_fails(cg, "{\"network\":{\"classID\":1048577}}", why);
  update_fails(cg, "{\"network\":{\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]}}",
               "linux.resources.network.priorities",
               _i == 2 ? "cgroup v1" : "no net_prio cgroup controller mounted", NULL);
  ck_assert_msg(!wrote_since(mark), "written before the check failed:\n%s", trace() + mark);
  file_is(memory_file(_i), "67108864");
  /* classID 0 is "not set", as runc reads it: nothing to refuse */
  update_ok(cg, "{\"network\":{\"classID\":0}}");
}
END_TEST

/* v1 hosts with the net_cls,net_prio hierarchy: classID and priorities are written, and an
 * update that fails gives each interface its priority back. */
START_TEST(test_network_v1) {
  layout_v1(_i == 1);
  add_net_hierarchy();
  _cleanup_cgroup_ struct cgroup *cg = make("/c", "c");
  apply_ok(cg, "{\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\","
               "\"priority\":5},{\"name\":\"lo\",\"priority\":1}]}}");
  ck_wrote("net_cls,net_prio/c/net_cls.classid", "1048577");
  ck_wrote("net_cls,net_prio/c/net_prio.ifpriomap", "eth0 5");
  ck_wrote("net_cls,net_prio/c/net_prio.ifpriomap", "lo 1");
  apply_fails(cg, "{\"network\":{\"priorities\":[{\"name\":\"eth0 9\\nlo\",\"priority\":5}]}}",
              "is not an interface name");
  set_file("net_cls,net_prio/c/net_prio.ifpriomap", "lo 1\neth0 5\n");
  refusing(_i == 1 ? "unified/c/hugetlb.2MB.max" : "hugetlb/c/hugetlb.2MB.limit_in_bytes");
  long mark = trace_len();
  update_fails(cg,
               "{\"network\":{\"classID\":2,\"priorities\":[{\"name\":\"eth0\",\"priority\":9},"
               "{\"name\":\"wlan0\",\"priority\":3}]},"
               "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}",
               "nothing was changed", NULL);
  file_is("net_cls,net_prio/c/net_cls.classid", "1048577");
  ck_wrote_after(mark, "net_cls,net_prio/c/net_prio.ifpriomap", "wlan0 0");
  ck_wrote_after(mark, "net_cls,net_prio/c/net_prio.ifpriomap", "eth0 5");
}
END_TEST

/* v2: a period alone keeps the quota in force (it used to reset it to max); an unlimited
 * memory limit frees swap too, as runc does. */
START_TEST(test_update_v2_cpu_max_and_swap) {
  _cleanup_cgroup_ struct cgroup *cg = update_host(2);
  apply_ok(cg, "{\"cpu\":{\"quota\":50000,\"period\":100000},"
               "\"memory\":{\"limit\":67108864,\"swap\":67108864}}");
  long mark = trace_len();
  update_ok(cg, "{\"cpu\":{\"period\":200000}}");
  ck_wrote_after(mark, "c/cpu.max", "50000 200000");
  update_ok(cg, "{\"cpu\":{\"quota\":30000}}");
  ck_wrote_after(mark, "c/cpu.max", "30000");
  update_ok(cg, "{\"memory\":{\"limit\":-1}}");
  file_is("c/memory.max", "max");
  file_is("c/memory.swap.max", "max");
}
END_TEST

/* v1 keeps limit <= memory+swap: one of them alone that would break it is refused before any
 * write, saying which to give too. */
START_TEST(test_update_v1_memsw_trap) {
  _cleanup_cgroup_ struct cgroup *cg = update_host(0);
  apply_ok(cg, "{\"memory\":{\"limit\":67108864,\"swap\":67108864}}");
  long mark = trace_len();
  update_fails(cg, "{\"memory\":{\"limit\":134217728}}", "is above the memory+swap limit in force",
               "give linux.resources.memory.swap too", NULL);
  update_fails(cg, "{\"memory\":{\"swap\":33554432}}", "below the memory limit in force",
               "give linux.resources.memory.limit too", NULL);
  ck_assert_msg(!wrote_since(mark), "written:\n%s", trace() + mark);
  update_ok(cg, "{\"memory\":{\"limit\":33554432}}"); /* lowering alone is fine */
  file_is("memory/c/memory.limit_in_bytes", "33554432");
}
END_TEST

/* ---- update's command line ---- */

static json_t *update_args(struct husk_error **err, ...) {
  char *argv[32] = {"update"};
  int argc = 1;
  va_list ap;
  va_start(ap, err);
  for (char *a = va_arg(ap, char *); a; a = va_arg(ap, char *))
    argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  optind = 0; /* getopt starts over */
  json_t *res = NULL;
  const char *id = NULL;
  if (update_parse_args(argc, argv, &res, &id, err) < 0)
    return NULL;
  ck_assert_str_eq(id, argv[argc - 1]);
  return res;
}

static void json_is(json_t *got, const char *want) {
  ck_assert_ptr_nonnull(got);
  _cleanup_json_ json_t *w = json_loads(want, 0, NULL);
  ck_assert_ptr_nonnull(w);
  _cleanup_free_ char *text = json_dumps(got, JSON_SORT_KEYS);
  ck_assert_msg(json_equal(got, w), "got %s, expected %s", text, want);
}

START_TEST(test_update_flags) {
  _cleanup_json_ json_t *all = update_args(
      NULL, "--memory", "64m", "--memory-swap=-1", "--memory-reservation", "1.5g",
      "--kernel-memory", "1g", "--cpu-share", "512", "--cpu-quota", "-1", "--cpu-period", "100000",
      "--cpu-rt-runtime", "950", "--cpu-rt-period", "1000000", "--cpuset-cpus", "0-1",
      "--cpuset-mems", "", "--pids-limit", "0", "--blkio-weight", "300", "id", NULL);
  json_is(all, "{\"memory\":{\"limit\":67108864,\"swap\":-1,\"reservation\":1610612736},"
               "\"cpu\":{\"shares\":512,\"quota\":-1,\"period\":100000,\"realtimeRuntime\":950,"
               "\"realtimePeriod\":1000000,\"cpus\":\"0-1\"},\"blockIO\":{\"weight\":300}}");
  _cleanup_json_ json_t *none = update_args(NULL, "id", NULL); /* runc: a no-op, not an error */
  json_is(none, "{}");
  _cleanup_json_ json_t *pids = update_args(NULL, "--pids-limit", "-1", "c1", NULL);
  json_is(pids, "{\"pids\":{\"limit\":-1}}");
  /* with --resources the file is the whole update, and the other flags are ignored */
  char path[] = "/tmp/husk-test-update-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *podman = "{\"memory\":{\"limit\":268435456,\"swap\":536870912},"
                       "\"cpu\":{\"quota\":50000,\"period\":100000}}";
  ck_assert_int_eq(write(fd, podman, strlen(podman)), (ssize_t)strlen(podman));
  close(fd);
  _cleanup_free_ char *opt = xasprintf("--resources=%s", path);
  _cleanup_json_ json_t *file = update_args(NULL, opt, "--memory", "1g", "id", NULL);
  json_is(file, podman);
  _cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
  ck_assert_ptr_null(update_args(&e1, "-r", path, "--l3-cache-schema", "L3:0=f", "id", NULL));
  ck_assert_msg(strstr(e1->message, "Intel RDT/CAT: l3 cache schema is not enabled"), "%s",
                e1->message);
  unlink(path);
  ck_assert_ptr_null(update_args(&e2, "--memory", "lots", "id", NULL));
  ck_assert_msg(strstr(e2->message, "invalid value for memory"), "%s", e2->message);
  ck_assert_ptr_null(update_args(&e3, "--cpu-period", "-5", "id", NULL));
  ck_assert_msg(strstr(e3->message, "invalid value for cpu-period"), "%s", e3->message);
  ck_assert_ptr_null(update_args(&e4, "--memory", "64m", NULL));
}
END_TEST

START_TEST(test_update_bytes) {
  static const struct {
    const char *text;
    int64_t want;
  } ok[] = {
      {"67108864", 67108864}, {"64m", 67108864},    {"64MiB", 67108864},
      {"64MB", 67108864},     {"1.5g", 1610612736}, {"512 k", 524288},
      {"1kb", 1024},          {"-1", -1},           {"0", 0},
      {"2T", 1LL << 41},
  };
  for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
    int64_t v = 7;
    ck_assert_msg(update_parse_bytes(ok[i].text, &v) == 0, "%s refused", ok[i].text);
    ck_assert_msg(v == ok[i].want, "%s: %lld", ok[i].text, (long long)v);
  }
  static const char *const bad[] = {"", "-2", "1.g", "lots", "64x", "64mm", ".5g", " 1"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    int64_t v;
    ck_assert_msg(update_parse_bytes(bad[i], &v) < 0, "\"%s\" taken", bad[i]);
  }
  int64_t v;
  ck_assert_int_eq(update_parse_bytes("99999999999p", &v), -ERANGE);
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

/* ---- the systemd driver's names ---- */

static void parses(const char *path, const char *id, const char *slice, const char *unit) {
  _cleanup_free_ char *got_slice = NULL, *got_unit = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(cg_systemd_parse(path, id, &got_slice, &got_unit, &err) == 0, "%s: %s", path,
                err ? err->message : "");
  ck_assert_str_eq(got_slice, slice);
  ck_assert_str_eq(got_unit, unit);
}

static void refused(const char *path, const char *wording) {
  _cleanup_free_ char *slice = NULL, *unit = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_lt(cg_systemd_parse(path, "id", &slice, &unit, &err), 0);
  ck_assert_msg(strstr(err->message, wording), "%s: %s", path, err->message);
  ck_assert_msg(strstr(err->message, "linux.cgroupsPath"), "%s", err->message);
}

START_TEST(test_systemd_names) {
  /* runc's rules: empty parts take defaults; "-" is the root slice */
  parses("system.slice:husk:c1", "x", "system.slice", "husk-c1.scope");
  parses("machine.slice:libpod:abc123", "x", "machine.slice", "libpod-abc123.scope");
  parses(":cri-containerd:abc", "x", geteuid() == 0 ? "system.slice" : "user.slice",
         "cri-containerd-abc.scope");
  parses("kubepods-besteffort.slice::c2", "x", "kubepods-besteffort.slice", "c2.scope");
  parses("-:p:c3", "x", "-.slice", "p-c3.scope");
  parses(NULL, "web", geteuid() == 0 ? "system.slice" : "user.slice", "husk-web.scope");
  parses("", "web", geteuid() == 0 ? "system.slice" : "user.slice", "husk-web.scope");
  refused("/system.slice/x", "expects \"slice:prefix:name\"");
  refused("a:b", "expects");
  refused("a:b:c:d", "expects");
  refused("system.slice:husk:", "the name part is empty");
  refused("system:husk:c", "is not a slice name");
  refused("user.slice/user-0.slice:husk:c", "is not a slice name");
  refused("system.slice:husk:c+d", "not a valid systemd unit name");
  refused("system.slice:husk:c.slice", "slice unit of its own");
  _cleanup_free_ char *top = cg_systemd_slice_path("system.slice");
  ck_assert_str_eq(top, "/system.slice");
  _cleanup_free_ char *nested = cg_systemd_slice_path("kubepods-besteffort-pod12.slice");
  ck_assert_str_eq(nested, "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice");
  _cleanup_free_ char *rootslice = cg_systemd_slice_path("-.slice");
  ck_assert_str_eq(rootslice, "");
}
END_TEST

/* Only on pure v2; where systemd runs, the plan is the scope's cgroup in its slice, kept in
 * the state with the unit; where it does not, the error says so before anything is made. */
START_TEST(test_systemd_plan) {
  layout_v1(true);
  struct cgroup *cg = NULL;
  _cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL;
  ck_assert_int_lt(cgroup_plan_systemd(&host, "system.slice:husk:c1", "c1", &cg, &e1), 0);
  ck_assert_ptr_nonnull(strstr(e1->message, "needs pure cgroup v2, and this host is hybrid"));
  teardown();
  setup();
  layout_v2();
  int r = cgroup_plan_systemd(&host, "machine.slice:libpod:c1", "c1", &cg, &e2);
  if (access("/run/systemd/system", F_OK) < 0) {
    ck_assert_int_lt(r, 0);
    ck_assert_msg(strstr(e2->message, "does not run systemd"), "%s", e2->message);
    return;
  }
  ck_assert_msg(r == 0, "%s", e2 ? e2->message : "");
  ck_assert(cgroup_made_around_init(cg));
  _cleanup_free_ char *want = xasprintf("%s/machine.slice/libpod-c1.scope", root);
  ck_assert_str_eq(cgroup_dir(cg, ""), want);
  _cleanup_json_ json_t *saved = cgroup_save(cg);
  cgroup_free(cg);
  _cleanup_cgroup_ struct cgroup *back = NULL;
  ck_assert_int_eq(cgroup_load(&host, saved, &back, NULL), 0);
  ck_assert(cgroup_made_around_init(back));
  ck_assert_str_eq(cgroup_dir(back, ""), want);
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
  tcase_add_test(tc, test_systemd_plan);
  tcase_add_test(tc, test_v2_freeze_kill_stats);
  tcase_add_loop_test(tc, test_v1_resources, 0, 2);
  tcase_add_test(tc, test_v1_memory_update_order);
  tcase_add_loop_test(tc, test_v1_errors, 0, 2);
  tcase_add_test(tc, test_hybrid_unified_parts);
  tcase_add_loop_test(tc, test_v1_freeze_stats, 0, 2);
  tcase_add_loop_test(tc, test_device_rules_v1, 0, 2);
  tcase_add_loop_test(tc, test_state_records_cgroup_and_paused, 0, 2);
  tcase_add_loop_test(tc, test_update_zero_is_unchanged, 0, 3);
  tcase_add_loop_test(tc, test_update_leaves_devices, 0, 3);
  tcase_add_loop_test(tc, test_update_rolls_back, 0, 3);
  tcase_add_loop_test(tc, test_update_checks_before_writing, 0, 3);
  tcase_add_loop_test(tc, test_network_v1, 0, 2);
  tcase_add_test(tc, test_update_v2_cpu_max_and_swap);
  tcase_add_test(tc, test_update_v1_memsw_trap);
  suite_add_tcase(s, tc);
  TCase *pure = tcase_create("pure");
  tcase_add_test(pure, test_conversions);
  tcase_add_test(pure, test_systemd_names);
  tcase_add_test(pure, test_bpf_program_shape);
  tcase_add_test(pure, test_bpf_enforced_as_root);
  tcase_add_test(pure, test_update_flags);
  tcase_add_test(pure, test_update_bytes);
  suite_add_tcase(s, pure);
  return s;
}

int main(void) { return unit_run(cgroups_suite()); }
