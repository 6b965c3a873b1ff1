/* v1.c: cgroup v1 (legacy hosts, and the controllers of hybrid ones): one directory per
 * hierarchy. linux.resources go to the v1 files (memory.limit_in_bytes, cpu.shares,
 * cpu.cfs_quota_us, pids.max, blkio.*, hugetlb.*, net_cls.classid, net_prio.ifpriomap,
 * devices.allow/deny); freezer.state pauses; stats and OOM kills come from memory.*,
 * cpuacct.* and pids.*. */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "internal.h"
#include "spec/spec.h"

/* The directory of a controller a setting needs; the host not having it is an error. */
static int need(const struct cgroup *cg, const char *controller, const char *field,
                const char **ret, struct husk_error **err) {
  const struct cg_dir *d = cg_find(cg, controller);
  if (!d)
    return husk_error_set(err, ENOTSUP, "%s: this host has no %s cgroup controller mounted", field,
                          controller);
  *ret = d->path;
  return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, const char *field,
                     const char *why, struct husk_error **err) {
  int r = cg_writef(dir, file, why, err, "%" PRId64, v);
  return r < 0 ? husk_error_wrap(err, "%s", field) : 0;
}

/* Without swap accounting there is no memsw file; asking for no swap (or no limit) on top of
 * memory is then what the host does anyway, so that is a warning, any other swap an error. */
static int v1_swap_supported(const char *dir, const struct spec_memory *m, bool *ret,
                             struct husk_error **err) {
  *ret = cg_has(dir, "memory.memsw.limit_in_bytes");
  if (*ret || !m->swap.set)
    return 0;
  if (m->swap.value == -1 || (m->limit.set && m->swap.value == m->limit.value)) {
    cg_warn("linux.resources.memory.swap: this host has no swap accounting "
            "(memory.memsw.limit_in_bytes); the swap limit is not set");
    return 0;
  }
  return husk_error_set(err, ENOTSUP,
                        "linux.resources.memory.swap: this host has no swap accounting "
                        "(memory.memsw.limit_in_bytes); it cannot limit swap");
}

/* The kernel keeps limit <= memsw at every moment, so the order of the two writes depends on
 * whether the new memsw is above the current limit (as runc does it). */
static int v1_limit_and_swap(const char *dir, const struct spec_memory *m,
                             struct husk_error **err) {
  const char *lf = "linux.resources.memory.limit", *sf = "linux.resources.memory.swap";
  const char *lwhy = "the container's memory limit", *swhy = "the container's memory+swap limit";
  bool has_swap;
  int r = v1_swap_supported(dir, m, &has_swap, err);
  if (r < 0)
    return r;
  struct spec_opt_i64 swap = has_swap ? m->swap : (struct spec_opt_i64){0};
  if (m->limit.set && m->limit.value == -1 && !swap.set && has_swap)
    swap = (struct spec_opt_i64){true, -1}; /* unlimited memory: unlimited swap too */
  if (m->limit.set && swap.set) {
    uint64_t cur = 0;
    r = cg_read_u64(dir, "memory.limit_in_bytes", &cur, err);
    if (r < 0)
      return husk_error_wrap(err, "%s", lf);
    if (swap.value == -1 || cur < (uint64_t)swap.value) {
      r = write_i64(dir, "memory.memsw.limit_in_bytes", swap.value, sf, swhy, err);
      return r < 0 ? r : write_i64(dir, "memory.limit_in_bytes", m->limit.value, lf, lwhy, err);
    }
    r = write_i64(dir, "memory.limit_in_bytes", m->limit.value, lf, lwhy, err);
    return r < 0 ? r : write_i64(dir, "memory.memsw.limit_in_bytes", swap.value, sf, swhy, err);
  }
  /* One of them alone must keep limit <= memsw with the other as it is: say which to add
   * (an update's usual trap) rather than pass on the kernel's EINVAL. */
  uint64_t other = 0;
  if (m->limit.set && has_swap && m->limit.value != -1 &&
      cg_read_u64(dir, "memory.memsw.limit_in_bytes", &other, NULL) == 0 &&
      other < (uint64_t)m->limit.value)
    return husk_error_set(err, EINVAL,
                          "%s: %" PRId64 " is above the memory+swap limit in force (%" PRIu64
                          " in %s/memory.memsw.limit_in_bytes): give %s too",
                          lf, m->limit.value, other, dir, sf);
  if (swap.set && swap.value != -1 &&
      cg_read_u64(dir, "memory.limit_in_bytes", &other, NULL) == 0 && (uint64_t)swap.value < other)
    return husk_error_set(err, EINVAL,
                          "%s: %" PRId64
                          " (memory+swap) is below the memory limit in force (%" PRIu64
                          " in %s/memory.limit_in_bytes): give %s too",
                          sf, swap.value, other, dir, lf);
  if (m->limit.set)
    r = write_i64(dir, "memory.limit_in_bytes", m->limit.value, lf, lwhy, err);
  if (r >= 0 && swap.set)
    r = write_i64(dir, "memory.memsw.limit_in_bytes", swap.value, sf, swhy, err);
  return r;
}

static int check_usage(const char *dir, const char *file, const struct spec_memory *m,
                       struct husk_error **err) {
  uint64_t usage = 0;
  if (!m->check_before_update || !m->limit.set || m->limit.value < 0 ||
      cg_read_u64(dir, file, &usage, NULL) < 0 || usage <= (uint64_t)m->limit.value)
    return 0;
  return husk_error_set(err, EBUSY,
                        "linux.resources.memory.limit: %" PRId64 " is below the current usage "
                        "(%" PRIu64 ") and checkBeforeUpdate is set",
                        m->limit.value, usage);
}

static int v1_memory(const struct cgroup *cg, const struct spec_memory *m,
                     struct husk_error **err) {
  const char *dir = NULL;
  int r = need(cg, "memory", "linux.resources.memory", &dir, err);
  if (r >= 0)
    r = check_usage(dir, "memory.usage_in_bytes", m, err);
  if (r >= 0)
    r = v1_limit_and_swap(dir, m, err);
  if (r >= 0 && m->reservation.set)
    r = write_i64(dir, "memory.soft_limit_in_bytes", m->reservation.value,
                  "linux.resources.memory.reservation", "the memory the container may keep", err);
  if (r >= 0 && m->kernel_tcp.set)
    r = write_i64(dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.value,
                  "linux.resources.memory.kernelTCP", "the container's TCP buffer limit", err);
  if (r >= 0 && m->swappiness.set)
    r = write_i64(dir, "memory.swappiness", (int64_t)m->swappiness.value,
                  "linux.resources.memory.swappiness", "how eagerly the container is swapped", err);
  if (r >= 0 && m->has_disable_oom_killer && m->disable_oom_killer)
    r = write_i64(dir, "memory.oom_control", 1, "linux.resources.memory.disableOOMKiller",
                  "the container waits at its limit instead of an OOM kill", err);
  if (r >= 0 && m->kernel.set)
    cg_warn("linux.resources.memory.kernel: kernel memory limits are deprecated and ignored");
  if (r >= 0 && m->has_use_hierarchy && !m->use_hierarchy)
    cg_warn("linux.resources.memory.useHierarchy: the kernel always uses the hierarchy; ignored");
  return r;
}

/* The period goes first; if the kernel refuses it against the old quota, the quota first. */
static int v1_quota_period(const char *dir, const struct spec_cpu *c, struct husk_error **err) {
  const char *pf = "linux.resources.cpu.period", *qf = "linux.resources.cpu.quota";
  const char *why = "the container's CPU bandwidth (quota per period)";
  int r = 0;
  if (c->period.set && c->period.value) {
    r = cg_writef(dir, "cpu.cfs_period_us", why, err, "%" PRIu64, c->period.value);
    if (r == -EINVAL && c->quota.set) {
      if (err)
        husk_error_freep(err);
      r = write_i64(dir, "cpu.cfs_quota_us", c->quota.value, qf, why, err);
      return r < 0 ? r
                   : write_i64(dir, "cpu.cfs_period_us", (int64_t)c->period.value, pf, why, err);
    }
    if (r < 0)
      return husk_error_wrap(err, "%s", pf);
  }
  if (c->quota.set)
    r = write_i64(dir, "cpu.cfs_quota_us", c->quota.value, qf, why, err);
  return r;
}

static int v1_cpu(const struct cgroup *cg, const struct spec_cpu *c, struct husk_error **err) {
  const char *dir = NULL;
  bool cpu = (c->shares.set && c->shares.value) || c->quota.set || c->period.set || c->burst.set ||
             c->realtime_period.set || c->realtime_runtime.set || c->idle.set;
  int r = cpu ? need(cg, "cpu", "linux.resources.cpu", &dir, err) : 0;
  if (r >= 0 && cpu && c->shares.set && c->shares.value)
    r = write_i64(dir, "cpu.shares", (int64_t)c->shares.value, "linux.resources.cpu.shares",
                  "the container's CPU share", err);
  if (r >= 0 && cpu)
    r = v1_quota_period(dir, c, err);
  if (r >= 0 && c->burst.set)
    r = write_i64(dir, "cpu.cfs_burst_us", (int64_t)c->burst.value, "linux.resources.cpu.burst",
                  "unused quota the container may save up", err);
  if (r >= 0 && c->realtime_period.set)
    r = write_i64(dir, "cpu.rt_period_us", (int64_t)c->realtime_period.value,
                  "linux.resources.cpu.realtimePeriod", "the realtime scheduling period", err);
  if (r >= 0 && c->realtime_runtime.set)
    r = write_i64(dir, "cpu.rt_runtime_us", c->realtime_runtime.value,
                  "linux.resources.cpu.realtimeRuntime", "realtime time per period", err);
  if (r >= 0 && c->idle.set)
    r = write_i64(dir, "cpu.idle", c->idle.value, "linux.resources.cpu.idle",
                  "run the container only when nothing else wants the CPU", err);
  if (r < 0 || (!c->cpus && !c->mems))
    return r;
  r = need(cg, "cpuset", "linux.resources.cpu.cpus", &dir, err);
  if (r >= 0 && c->cpus &&
      (r = cg_write(dir, "cpuset.cpus", c->cpus, "the CPUs it may use", err)) < 0)
    return husk_error_wrap(err, "linux.resources.cpu.cpus");
  if (r >= 0 && c->mems && (r = cg_write(dir, "cpuset.mems", c->mems, "its memory nodes", err)) < 0)
    return husk_error_wrap(err, "linux.resources.cpu.mems");
  return r;
}

static int throttle(const char *dir, const char *file, const struct spec_throttle_device *t,
                    size_t n, const char *field, struct husk_error **err) {
  for (size_t i = 0; i < n; i++) {
    int r = cg_writef(dir, file, "throttle the container's block I/O", err,
                      "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor, t[i].rate);
    if (r < 0)
      return husk_error_wrap(err, "%s[%zu]", field, i);
  }
  return 0;
}

/* Weights live in blkio.weight (CFQ) or, with the BFQ scheduler, blkio.bfq.weight. */
static int v1_blkio(const struct cgroup *cg, const struct spec_blockio *b,
                    struct husk_error **err) {
  const char *dir = NULL;
  int r = need(cg, "blkio", "linux.resources.blockIO", &dir, err);
  bool bfq = r >= 0 && !cg_has(dir, "blkio.weight") && cg_has(dir, "blkio.bfq.weight");
  const char *why = "the container's share of block I/O";
  if (r >= 0 && b->weight.set && b->weight.value)
    r = write_i64(dir, bfq ? "blkio.bfq.weight" : "blkio.weight", (int64_t)b->weight.value,
                  "linux.resources.blockIO.weight", why, err);
  if (r >= 0 && b->leaf_weight.set && b->leaf_weight.value)
    r = write_i64(dir, "blkio.leaf_weight", (int64_t)b->leaf_weight.value,
                  "linux.resources.blockIO.leafWeight", why, err);
  for (size_t i = 0; r >= 0 && i < b->n_weight_device; i++) {
    const struct spec_weight_device *w = &b->weight_device[i];
    if (w->weight.set && w->weight.value)
      r = cg_writef(dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", why, err,
                    "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor, w->weight.value);
    if (r >= 0 && w->leaf_weight.set && w->leaf_weight.value)
      r = cg_writef(dir, "blkio.leaf_weight_device", why, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
                    w->major, w->minor, w->leaf_weight.value);
    if (r < 0)
      return husk_error_wrap(err, "linux.resources.blockIO.weightDevice[%zu]", i);
  }
  if (r >= 0)
    r = throttle(dir, "blkio.throttle.read_bps_device", b->throttle_read_bps,
                 b->n_throttle_read_bps, "linux.resources.blockIO.throttleReadBpsDevice", err);
  if (r >= 0)
    r = throttle(dir, "blkio.throttle.write_bps_device", b->throttle_write_bps,
                 b->n_throttle_write_bps, "linux.resources.blockIO.throttleWriteBpsDevice", err);
  if (r >= 0)
    r = throttle(dir, "blkio.throttle.read_iops_device", b->throttle_read_iops,
                 b->n_throttle_read_iops, "linux.resources.blockIO.throttleReadIOPSDevice", err);
  if (r >= 0)
    r = throttle(dir, "blkio.throttle.write_iops_device", b->throttle_write_iops,
                 b->n_throttle_write_iops, "linux.resources.blockIO.throttleWriteIOPSDevice", err);
  return r;
}

int cg_v1_apply_hugetlb(const char *dir, const struct spec_resources *res,
                        struct husk_error **err) {
  for (size_t i = 0; i < res->n_hugepage_limits; i++) {
    const struct spec_hugepage_limit *h = &res->hugepage_limits[i];
    int bad = cg_check_page_size(h, i, err);
    if (bad < 0)
      return bad;
    _cleanup_free_ char *file = xasprintf("hugetlb.%s.limit_in_bytes", h->page_size);
    int r = cg_writef(dir, file, "the container's huge pages", err, "%" PRIu64, h->limit);
    if (r < 0)
      return husk_error_wrap(err, "linux.resources.hugepageLimits[%zu]", i);
  }
  return 0;
}

/* Negative means no limit (0 is "unchanged", as runc reads it, and never gets here). */
static int v1_pids(const char *dir, int64_t limit, struct husk_error **err) {
  char value[32];
  cg_format_limit(value, sizeof(value), limit > 0 ? limit : -1);
  int r = cg_write(dir, "pids.max", value, "the most processes the container may have", err);
  return r < 0 ? husk_error_wrap(err, "linux.resources.pids.limit") : 0;
}

/* net_cls tags the container's packets with a class id (for tc and iptables); net_prio sets
 * their priority per interface. Both are v1 only; without them the settings cannot hold. */
static int v1_network(const struct cgroup *cg, const struct spec_network *n,
                      struct husk_error **err) {
  const char *dir = NULL;
  int r = 0;
  if (n->class_id.set &&
      (r = need(cg, "net_cls", "linux.resources.network.classID", &dir, err)) >= 0)
    r = write_i64(dir, "net_cls.classid", (int64_t)n->class_id.value,
                  "linux.resources.network.classID", "the class id of the container's packets",
                  err);
  if (r >= 0 && n->n_priorities)
    r = need(cg, "net_prio", "linux.resources.network.priorities", &dir, err);
  for (size_t i = 0; r >= 0 && i < n->n_priorities; i++) {
    const struct spec_net_priority *p = &n->priorities[i];
    if (strlen(p->name) >= 16 || p->name[strcspn(p->name, " \t\n/")])
      return husk_error_set(err, EINVAL,
                            "linux.resources.network.priorities[%zu].name: \"%s\" is not an "
                            "interface name",
                            i, p->name);
    r = cg_writef(dir, "net_prio.ifpriomap", "the priority of the container's packets", err,
                  "%s %" PRIu32, p->name, p->priority);
    if (r < 0)
      return husk_error_wrap(err, "linux.resources.network.priorities[%zu]", i);
  }
  return r;
}

int cg_v1_apply_controllers(struct cgroup *cg, const struct spec_resources *res,
                            const struct cg_dev_rule *rules, size_t n_rules,
                            struct husk_error **err) {
  int r = 0;
  if (res->memory)
    r = v1_memory(cg, res->memory, err);
  if (r >= 0 && res->cpu)
    r = v1_cpu(cg, res->cpu, err);
  const char *dir = NULL;
  if (r >= 0 && res->pids_limit.set &&
      (r = need(cg, "pids", "linux.resources.pids", &dir, err)) >= 0)
    r = v1_pids(dir, res->pids_limit.value, err);
  if (r >= 0 && res->block_io)
    r = v1_blkio(cg, res->block_io, err);
  if (r >= 0 && res->network)
    r = v1_network(cg, res->network, err);
  if (r >= 0 && rules && (r = need(cg, "devices", "linux.resources.devices", &dir, err)) >= 0)
    r = cg_v1_devices(dir, rules, n_rules, err);
  return r;
}

static int v1_apply(struct cgroup *cg, const struct spec_resources *res,
                    const struct cg_dev_rule *rules, size_t n_rules, struct husk_error **err) {
  int r = cg_v1_apply_controllers(cg, res, rules, n_rules, err);
  const char *dir = NULL;
  if (r >= 0 && res->n_hugepage_limits &&
      (r = need(cg, "hugetlb", "linux.resources.hugepageLimits", &dir, err)) >= 0)
    r = cg_v1_apply_hugetlb(dir, res, err);
  if (r >= 0 && res->n_unified)
    r = husk_error_set(err, ENOTSUP,
                       "linux.resources.unified: needs cgroup v2, and this host has only v1");
  return r;
}

/* A new v1 cpuset has no CPUs and no memory nodes, and no process can join it: give each
 * empty directory husk made its parent's, top-down. Not only those this create made: the
 * "husk/" shelf another create is making at the same moment may still be empty. */
int cg_v1_setup(struct cgroup *cg, struct husk_error **err) {
  const struct cg_dir *d = cg_find(cg, "cpuset");
  if (!d)
    return 0;
  for (unsigned k = d->made; k > 0; k--) {
    _cleanup_free_ char *p = xstrdup(d->path);
    for (unsigned up = 1; up < k; up++)
      *strrchr(p, '/') = '\0';
    _cleanup_free_ char *parent = xstrdup(p);
    *strrchr(parent, '/') = '\0';
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
      _cleanup_free_ char *mine = NULL, *theirs = NULL;
      int r = cg_read(p, files[i], &mine, err);
      if (r >= 0 && mine[strspn(mine, " \n")] == '\0') {
        r = cg_read(parent, files[i], &theirs, err);
        if (r >= 0)
          theirs[strcspn(theirs, "\n")] = '\0';
        if (r >= 0)
          r = cg_write(p, files[i], theirs, "a new cpuset starts with its parent's CPUs and nodes",
                       err);
      }
      if (r < 0)
        return husk_error_wrap(err, "cpuset %s", p);
    }
  }
  return 0;
}

int cg_v1_freeze(struct cgroup *cg, bool frozen, struct husk_error **err) {
  const char *dir = NULL;
  int r = need(cg, "freezer", frozen ? "pause" : "resume", &dir, err);
  const char *state = frozen ? "FROZEN" : "THAWED";
  if (r >= 0)
    r = cg_write(dir, "freezer.state", state,
                 frozen ? "stop every process of the container" : "let them run again", err);
  return r < 0 ? r : cg_wait_for(dir, "freezer.state", state, err);
}

bool cg_v1_is_frozen(struct cgroup *cg) {
  const struct cg_dir *d = cg_find(cg, "freezer");
  _cleanup_free_ char *state = NULL;
  return d && cg_read(d->path, "freezer.state", &state, NULL) == 0 &&
         str_has_prefix(state, "FROZEN");
}

static json_int_t u64(uint64_t v) { return v == UINT64_MAX ? 0 : (json_int_t)v; }

static json_t *v1_memory_entry(const char *dir, const char *prefix) {
  uint64_t v[4] = {0};
  static const char *const names[] = {"limit_in_bytes", "usage_in_bytes", "max_usage_in_bytes",
                                      "failcnt"};
  for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
    _cleanup_free_ char *file = xasprintf("%s%s", prefix, names[i]);
    cg_read_u64(dir, file, &v[i], NULL);
  }
  return json_pack("{s:I, s:I, s:I, s:I}", "limit", u64(v[0]), "usage", u64(v[1]), "max", u64(v[2]),
                   "failcnt", u64(v[3]));
}

/* cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds. */
static json_t *v1_cpu_stats(const struct cgroup *cg) {
  const struct cg_dir *acct = cg_find(cg, "cpuacct"), *cpu = cg_find(cg, "cpu");
  uint64_t total = 0, user = 0, sys = 0, periods = 0, throttled = 0, ttime = 0;
  long hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
  if (acct) {
    cg_read_u64(acct->path, "cpuacct.usage", &total, NULL);
    cg_read_keyed(acct->path, "cpuacct.stat", "user", &user, NULL);
    cg_read_keyed(acct->path, "cpuacct.stat", "system", &sys, NULL);
  }
  if (cpu) {
    cg_read_keyed(cpu->path, "cpu.stat", "nr_periods", &periods, NULL);
    cg_read_keyed(cpu->path, "cpu.stat", "nr_throttled", &throttled, NULL);
    cg_read_keyed(cpu->path, "cpu.stat", "throttled_time", &ttime, NULL);
  }
  return json_pack("{s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}}", "usage", "total", (json_int_t)total,
                   "kernel", (json_int_t)(sys * 1000000000ULL / (uint64_t)hz), "user",
                   (json_int_t)(user * 1000000000ULL / (uint64_t)hz), "throttling", "periods",
                   (json_int_t)periods, "throttledPeriods", (json_int_t)throttled, "throttledTime",
                   (json_int_t)ttime);
}

int cg_v1_stats(struct cgroup *cg, json_t *data, struct husk_error **err) {
  (void)err;
  json_object_set_new(data, "cpu", v1_cpu_stats(cg));
  const struct cg_dir *mem = cg_find(cg, "memory"), *pids = cg_find(cg, "pids");
  if (mem) {
    json_t *m = json_pack("{s:o, s:o}", "usage", v1_memory_entry(mem->path, "memory."), "raw",
                          cg_read_keyed_json(mem->path, "memory.stat"));
    if (cg_has(mem->path, "memory.memsw.usage_in_bytes"))
      json_object_set_new(m, "swap", v1_memory_entry(mem->path, "memory.memsw."));
    json_object_set_new(data, "memory", m);
  }
  if (pids) {
    uint64_t cur = 0, max = 0;
    cg_read_u64(pids->path, "pids.current", &cur, NULL);
    cg_read_u64(pids->path, "pids.max", &max, NULL);
    json_object_set_new(data, "pids",
                        json_pack("{s:I, s:I}", "current", u64(cur), "limit", u64(max)));
  }
  return 0;
}

int cg_v1_oom_kills(struct cgroup *cg, uint64_t *ret, struct husk_error **err) {
  const char *dir = NULL;
  int r = need(cg, "memory", "OOM kills", &dir, err);
  return r < 0 ? r : cg_read_keyed(dir, "memory.oom_control", "oom_kill", ret, err);
}

int cg_v1_memory_limit(struct cgroup *cg, int64_t *ret, struct husk_error **err) {
  const char *dir = NULL;
  uint64_t v = 0;
  int r = need(cg, "memory", "memory limit", &dir, err);
  if (r >= 0)
    r = cg_read_u64(dir, "memory.limit_in_bytes", &v, err);
  if (r < 0)
    return r;
  /* "no limit" reads as the largest page-aligned number, not as -1 */
  *ret = v >= (1ULL << 62) ? -1 : (int64_t)v;
  return 0;
}

const struct cg_dir *cg_v1_procs_dir(const struct cgroup *cg) {
  static const char *const order[] = {"pids", "memory", "freezer", "cpu"};
  for (size_t i = 0; i < ARRAY_SIZE(order); i++)
    if (cg_find(cg, order[i]))
      return cg_find(cg, order[i]);
  return cg->n_dirs ? &cg->dirs[0] : NULL;
}

static int no_kill_all(struct cgroup *cg, struct husk_error **err) {
  (void)cg;
  (void)err;
  return -EOPNOTSUPP;
}

const struct cgroup_ops cg_ops_legacy = {
    .kind = CGROUP_LEGACY,
    .setup = cg_v1_setup,
    .apply = v1_apply,
    .freeze = cg_v1_freeze,
    .is_frozen = cg_v1_is_frozen,
    .kill_all = no_kill_all,
    .stats = cg_v1_stats,
    .oom_kills = cg_v1_oom_kills,
    .memory_limit = cg_v1_memory_limit,
    .procs_dir = cg_v1_procs_dir,
};
