/* v2.c: cgroup v2, one tree. A controller reaches the container's cgroup only when every
 * parent delegates it (cgroup.subtree_control); husk delegates in the parents it made and
 * checks the others. linux.resources go to memory.max, cpu.weight, cpu.max, pids.max, io.*,
 * hugetlb.*, the `unified` files, and device rules become an eBPF program (bpf.c);
 * cgroup.freeze pauses, cgroup.kill kills, memory.events counts OOM kills. */
#include <inttypes.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "internal.h"
#include "spec/spec.h"

static bool has_word(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)); p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
      return true;
  return false;
}

/* A setting's controller must be in the cgroup's cgroup.controllers. */
static int need(const char *dir, const char *controller, const char *field,
                struct husk_error **err) {
  _cleanup_free_ char *list = NULL;
  int r = cg_read(dir, "cgroup.controllers", &list, err);
  if (r < 0)
    return husk_error_wrap(err, "%s", field);
  if (has_word(list, controller))
    return 0;
  /* The cgroup to fix is the nearest parent that has the controller and keeps it back. */
  _cleanup_free_ char *parent = xstrdup(dir);
  for (char *slash; (slash = strrchr(parent, '/')) && slash != parent;) {
    *slash = '\0';
    _cleanup_free_ char *has = NULL;
    if (cg_read(parent, "cgroup.controllers", &has, NULL) < 0) { /* above the mount */
      *slash = '/';
      break;
    }
    if (has_word(has, controller))
      break;
  }
  return husk_error_set(err, ENOTSUP,
                        "%s: the %s controller is not available in %s: %s does not delegate it "
                        "(husk does not change cgroups it did not make). Delegate it with `echo "
                        "+%s > %s/cgroup.subtree_control` as root, or run husk in a systemd unit "
                        "with Delegate=yes, or use --systemd-cgroup",
                        field, controller, dir, parent, controller, parent);
}

static int write_value(const char *dir, const char *file, const char *value, const char *field,
                       const char *why, struct husk_error **err) {
  int r = cg_write(dir, file, value, why, err);
  return r < 0 ? husk_error_wrap(err, "%s", field) : 0;
}

static int write_limit(const char *dir, const char *file, int64_t v, const char *field,
                       const char *why, struct husk_error **err) {
  char buf[32];
  cg_format_limit(buf, sizeof(buf), v);
  return write_value(dir, file, buf, field, why, err);
}

/* In each parent husk made (not the leaf: a cgroup with processes may not delegate), pass on
 * every controller it has. Not only those this create made: the "husk/" shelf another create
 * is making at the same moment may not delegate yet (as with v1 cpusets). */
int cg_v2_delegate(const struct cg_dir *d, struct husk_error **err) {
  for (unsigned k = d->made; k >= 2; k--) {
    _cleanup_free_ char *p = xstrdup(d->path);
    for (unsigned up = 1; up < k; up++)
      *strrchr(p, '/') = '\0';
    _cleanup_free_ char *list = NULL;
    int r = cg_read(p, "cgroup.controllers", &list, err);
    if (r < 0)
      return r;
    _cleanup_free_ char *plus = xstrdup("");
    char *save = NULL;
    for (char *c = strtok_r(list, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
      char *next = xasprintf("%s%s+%s", plus, plus[0] ? " " : "", c);
      free(plus);
      plus = next;
    }
    if (plus[0] && cg_write(p, "cgroup.subtree_control", plus,
                            "let the container's cgroup use these "
                            "controllers",
                            err) < 0)
      return husk_error_wrap(err, "delegate controllers");
  }
  return 0;
}

static int check_usage(const char *dir, const struct spec_memory *m, struct husk_error **err) {
  uint64_t usage = 0;
  if (!m->check_before_update || !m->limit.set || m->limit.value < 0 ||
      cg_read_u64(dir, "memory.current", &usage, NULL) < 0 || usage <= (uint64_t)m->limit.value)
    return 0;
  return husk_error_set(err, EBUSY,
                        "linux.resources.memory.limit: %" PRId64 " is below the current usage "
                        "(%" PRIu64 ") and checkBeforeUpdate is set",
                        m->limit.value, usage);
}

/* memory.swap.max is swap alone; the spec's swap is memory+swap (see cgroup_swap_to_v2).
 * implied: no swap was given, and an unlimited memory limit frees swap too (as on v1). */
static int v2_swap(const char *dir, const struct spec_memory *m, bool implied,
                   struct husk_error **err) {
  const char *field = "linux.resources.memory.swap";
  int64_t v, limit = m->limit.set ? m->limit.value : 0;
  uint64_t cur;
  /* `update --memory-swap` alone: the limit in force is the one to add swap to */
  if (!m->limit.set && cg_read_u64(dir, "memory.max", &cur, NULL) == 0)
    limit = cur == UINT64_MAX ? -1 : (int64_t)cur;
  int r = cgroup_swap_to_v2(implied ? -1 : m->swap.value, limit, &v, err);
  if (r < 0)
    return husk_error_wrap(err, "%s", field);
  if (!cg_has(dir, "memory.swap.max") && implied)
    return 0;
  if (!cg_has(dir, "memory.swap.max")) {
    if (v == 0 || v == -1) {
      cg_warn("%s: this host has no swap accounting (memory.swap.max); not set", field);
      return 0;
    }
    return husk_error_set(err, ENOTSUP, "%s: this host has no swap accounting (memory.swap.max)",
                          field);
  }
  return write_limit(dir, "memory.swap.max", v, field, "the swap the container may use", err);
}

static int v2_memory(const char *dir, const struct spec_memory *m, struct husk_error **err) {
  const char *at = "linux.resources.memory";
  if (m->swappiness.set)
    return husk_error_set(err, ENOTSUP, "%s.swappiness: cgroup v2 has no per-cgroup swappiness",
                          at);
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    cg_warn("%s.disableOOMKiller: cgroup v2 cannot turn off the OOM killer; ignored", at);
  if (m->kernel.set || m->kernel_tcp.set)
    cg_warn("%s.kernel, kernelTCP: cgroup v2 has no separate kernel memory limits; ignored", at);
  if (!m->limit.set && !m->swap.set && !m->reservation.set)
    return 0;
  int r = need(dir, "memory", at, err);
  if (r >= 0)
    r = check_usage(dir, m, err);
  if (r >= 0 && m->limit.set)
    r = write_limit(dir, "memory.max", m->limit.value, "linux.resources.memory.limit",
                    "the container's memory limit", err);
  bool implied = !m->swap.set && m->limit.set && m->limit.value == -1;
  if (r >= 0 && (m->swap.set || implied))
    r = v2_swap(dir, m, implied, err);
  if (r >= 0 && m->reservation.set)
    r = write_limit(dir, "memory.low", m->reservation.value, "linux.resources.memory.reservation",
                    "memory the container keeps under pressure", err);
  return r;
}

/* cpu.max is "<quota|max> [period]", as runc writes it; the kernel keeps the period when
 * only a quota is written. A period alone keeps the quota in force (an update of one of
 * them leaves the other as it was, as on v1). */
static int v2_cpu_max(const char *dir, const struct spec_cpu *c, struct husk_error **err) {
  char value[64];
  int n = 0;
  _cleanup_free_ char *cur = NULL;
  if (c->quota.set)
    n = c->quota.value > 0 ? snprintf(value, sizeof(value), "%" PRId64, c->quota.value)
                           : snprintf(value, sizeof(value), "max");
  else if (cg_read(dir, "cpu.max", &cur, NULL) == 0 && cur[strspn(cur, "0123456789max")] == ' ')
    n = snprintf(value, sizeof(value), "%.*s", (int)strspn(cur, "0123456789max"), cur);
  else
    n = snprintf(value, sizeof(value), "max");
  if (c->period.set)
    snprintf(value + n, sizeof(value) - (size_t)n, " %" PRIu64, c->period.value);
  return write_value(dir, "cpu.max", value,
                     c->quota.set ? "linux.resources.cpu.quota" : "linux.resources.cpu.period",
                     "the container's CPU bandwidth (quota per period)", err);
}

static int v2_cpu(const char *dir, const struct spec_cpu *c, struct husk_error **err) {
  const char *at = "linux.resources.cpu";
  if (c->realtime_period.set || c->realtime_runtime.set)
    return husk_error_set(err, ENOTSUP,
                          "%s.realtimeRuntime, realtimePeriod: cgroup v2 has no "
                          "realtime CPU limits",
                          at);
  bool quota = c->quota.set || c->period.set; /* 0 is "unchanged" and unset by now */
  bool weight = c->shares.set && c->shares.value;
  int r = 0;
  if (weight || quota || c->burst.set || c->idle.set)
    r = need(dir, "cpu", at, err);
  if (r >= 0 && weight)
    r = write_limit(dir, "cpu.weight", (int64_t)cgroup_shares_to_weight(c->shares.value),
                    "linux.resources.cpu.shares", "the container's CPU weight (from shares)", err);
  if (r >= 0 && quota)
    r = v2_cpu_max(dir, c, err);
  if (r >= 0 && c->burst.set)
    r = write_limit(dir, "cpu.max.burst", (int64_t)c->burst.value, "linux.resources.cpu.burst",
                    "unused quota the container may save up", err);
  if (r >= 0 && c->idle.set)
    r = write_limit(dir, "cpu.idle", c->idle.value, "linux.resources.cpu.idle",
                    "run the container only when nothing else wants the CPU", err);
  if (r >= 0 && (c->cpus || c->mems))
    r = need(dir, "cpuset", "linux.resources.cpu.cpus", err);
  if (r >= 0 && c->cpus)
    r = write_value(dir, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", "the CPUs it may use",
                    err);
  if (r >= 0 && c->mems)
    r = write_value(dir, "cpuset.mems", c->mems, "linux.resources.cpu.mems", "its memory nodes",
                    err);
  return r;
}

static int io_max(const char *dir, const char *key, const struct spec_throttle_device *t, size_t n,
                  const char *field, struct husk_error **err) {
  for (size_t i = 0; i < n; i++) {
    int r =
        cg_writef(dir, "io.max", "throttle the container's block I/O", err,
                  "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major, t[i].minor, key, t[i].rate);
    if (r < 0)
      return husk_error_wrap(err, "%s[%zu]", field, i);
  }
  return 0;
}

/* With the BFQ scheduler io.bfq.weight takes blkio's own scale; io.weight needs converting. */
static int v2_io(const char *dir, const struct spec_blockio *b, struct husk_error **err) {
  const char *at = "linux.resources.blockIO";
  int r = need(dir, "io", at, err);
  bool bfq = r >= 0 && cg_has(dir, "io.bfq.weight");
  const char *file = bfq ? "io.bfq.weight" : "io.weight", *why = "the container's I/O weight";
  if (r >= 0 && b->weight.set && b->weight.value)
    r = write_limit(dir, file,
                    (int64_t)(bfq ? b->weight.value : cgroup_blkio_to_io_weight(b->weight.value)),
                    "linux.resources.blockIO.weight", why, err);
  if (r >= 0 && b->leaf_weight.set && b->leaf_weight.value)
    cg_warn("%s.leafWeight: cgroup v2 has no leaf weights; ignored", at);
  for (size_t i = 0; r >= 0 && i < b->n_weight_device; i++) {
    const struct spec_weight_device *w = &b->weight_device[i];
    if (!w->weight.set || !w->weight.value)
      continue;
    uint64_t v = bfq ? w->weight.value : cgroup_blkio_to_io_weight(w->weight.value);
    r = cg_writef(dir, file, why, err, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor, v);
    if (r < 0)
      return husk_error_wrap(err, "%s.weightDevice[%zu]", at, i);
  }
  if (r >= 0)
    r = io_max(dir, "rbps", b->throttle_read_bps, b->n_throttle_read_bps,
               "linux.resources.blockIO.throttleReadBpsDevice", err);
  if (r >= 0)
    r = io_max(dir, "wbps", b->throttle_write_bps, b->n_throttle_write_bps,
               "linux.resources.blockIO.throttleWriteBpsDevice", err);
  if (r >= 0)
    r = io_max(dir, "riops", b->throttle_read_iops, b->n_throttle_read_iops,
               "linux.resources.blockIO.throttleReadIOPSDevice", err);
  if (r >= 0)
    r = io_max(dir, "wiops", b->throttle_write_iops, b->n_throttle_write_iops,
               "linux.resources.blockIO.throttleWriteIOPSDevice", err);
  return r;
}

int cg_v2_apply_hugetlb(const char *dir, const struct spec_resources *res,
                        struct husk_error **err) {
  int r = need(dir, "hugetlb", "linux.resources.hugepageLimits", err);
  for (size_t i = 0; r >= 0 && i < res->n_hugepage_limits; i++) {
    const struct spec_hugepage_limit *h = &res->hugepage_limits[i];
    int bad = cg_check_page_size(h, i, err);
    if (bad < 0)
      return bad;
    _cleanup_free_ char *file = xasprintf("hugetlb.%s.max", h->page_size);
    _cleanup_free_ char *rsvd = xasprintf("hugetlb.%s.rsvd.max", h->page_size);
    r = cg_writef(dir, file, "the container's huge pages", err, "%" PRIu64, h->limit);
    /* reservations count too where the kernel tracks them, as runc does */
    if (r >= 0 && cg_has(dir, rsvd))
      r = cg_writef(dir, rsvd, "the container's huge page reservations", err, "%" PRIu64, h->limit);
    if (r < 0)
      return husk_error_wrap(err, "linux.resources.hugepageLimits[%zu]", i);
  }
  return r;
}

int cg_v2_apply_unified(const char *dir, const struct spec_resources *res,
                        struct husk_error **err) {
  for (size_t i = 0; i < res->n_unified; i++) {
    const char *key = res->unified[i].key;
    if (!key[0] || key[0] == '.' || strchr(key, '/'))
      return husk_error_set(err, EINVAL, "linux.resources.unified: \"%s\" is not a cgroup file",
                            key);
    int r = cg_write(dir, key, res->unified[i].value, "a cgroup v2 setting given as is", err);
    if (r < 0)
      return husk_error_wrap(err, "linux.resources.unified[\"%s\"]", key);
  }
  return 0;
}

static const char *leaf(const struct cgroup *cg) {
  const struct cg_dir *d = cg_find(cg, "");
  return d ? d->path : "";
}

static int v2_apply(struct cgroup *cg, const struct spec_resources *res,
                    const struct cg_dev_rule *rules, size_t n_rules, struct husk_error **err) {
  const char *dir = leaf(cg);
  if (res->network && (res->network->class_id.set || res->network->n_priorities))
    return husk_error_set(err, ENOTSUP,
                          "linux.resources.network.%s: needs the net_cls and net_prio controllers "
                          "of cgroup v1, and this host has only cgroup v2",
                          res->network->class_id.set ? "classID" : "priorities");
  int r = res->memory ? v2_memory(dir, res->memory, err) : 0;
  if (r >= 0 && res->cpu)
    r = v2_cpu(dir, res->cpu, err);
  if (r >= 0 && res->pids_limit.set && (r = need(dir, "pids", "linux.resources.pids", err)) >= 0)
    r = write_limit(dir, "pids.max", res->pids_limit.value > 0 ? res->pids_limit.value : -1,
                    "linux.resources.pids.limit", "the most processes the container may have", err);
  if (r >= 0 && res->block_io)
    r = v2_io(dir, res->block_io, err);
  if (r >= 0 && res->n_hugepage_limits)
    r = cg_v2_apply_hugetlb(dir, res, err);
  if (r >= 0 && rules)
    r = cg_bpf_devices(dir, rules, n_rules, err);
  if (r >= 0)
    r = cg_v2_apply_unified(dir, res, err);
  return r;
}

static int v2_setup(struct cgroup *cg, struct husk_error **err) {
  const struct cg_dir *d = cg_find(cg, "");
  return d ? cg_v2_delegate(d, err) : 0;
}

int cg_v2_freeze_dir(const char *dir, bool frozen, struct husk_error **err) {
  int r = cg_write(dir, "cgroup.freeze", frozen ? "1" : "0",
                   frozen ? "stop every process of the container" : "let them run again", err);
  return r < 0 ? r : cg_wait_for(dir, "cgroup.events", frozen ? "frozen 1" : "frozen 0", err);
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct husk_error **err) {
  return cg_v2_freeze_dir(leaf(cg), frozen, err);
}

static bool v2_is_frozen(struct cgroup *cg) {
  _cleanup_free_ char *v = NULL;
  return cg_read(leaf(cg), "cgroup.freeze", &v, NULL) == 0 && v[0] == '1';
}

int cg_v2_kill_dir(const char *dir, struct husk_error **err) {
  if (!cg_has(dir, "cgroup.kill")) /* before Linux 5.14 */
    return -EOPNOTSUPP;
  return cg_write(dir, "cgroup.kill", "1", "SIGKILL every process of the container at once", err);
}

static int v2_kill_all(struct cgroup *cg, struct husk_error **err) {
  return cg_v2_kill_dir(leaf(cg), err);
}

static json_int_t u64(uint64_t v) { return v == UINT64_MAX ? 0 : (json_int_t)v; }

static uint64_t keyed(const char *dir, const char *file, const char *key) {
  uint64_t v = 0;
  cg_read_keyed(dir, file, key, &v, NULL);
  return v;
}

static uint64_t value(const char *dir, const char *file) {
  uint64_t v = 0;
  cg_read_u64(dir, file, &v, NULL);
  return v;
}

static int v2_stats(struct cgroup *cg, json_t *data, struct husk_error **err) {
  (void)err;
  const char *dir = leaf(cg);
  const uint64_t us = 1000; /* cpu.stat counts microseconds; runc reports nanoseconds */
  json_object_set_new(
      data, "cpu",
      json_pack("{s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}}", "usage", "total",
                (json_int_t)(keyed(dir, "cpu.stat", "usage_usec") * us), "kernel",
                (json_int_t)(keyed(dir, "cpu.stat", "system_usec") * us), "user",
                (json_int_t)(keyed(dir, "cpu.stat", "user_usec") * us), "throttling", "periods",
                (json_int_t)keyed(dir, "cpu.stat", "nr_periods"), "throttledPeriods",
                (json_int_t)keyed(dir, "cpu.stat", "nr_throttled"), "throttledTime",
                (json_int_t)(keyed(dir, "cpu.stat", "throttled_usec") * us)));
  if (cg_has(dir, "memory.current")) {
    json_t *m =
        json_pack("{s:{s:I, s:I, s:I, s:I}, s:o}", "usage", "limit", u64(value(dir, "memory.max")),
                  "usage", u64(value(dir, "memory.current")), "max", u64(value(dir, "memory.peak")),
                  "failcnt", (json_int_t)keyed(dir, "memory.events", "max"), "raw",
                  cg_read_keyed_json(dir, "memory.stat"));
    if (cg_has(dir, "memory.swap.current"))
      json_object_set_new(m, "swap",
                          json_pack("{s:I, s:I}", "limit", u64(value(dir, "memory.swap.max")),
                                    "usage", u64(value(dir, "memory.swap.current"))));
    json_object_set_new(data, "memory", m);
  }
  if (cg_has(dir, "pids.current"))
    json_object_set_new(data, "pids",
                        json_pack("{s:I, s:I}", "current", u64(value(dir, "pids.current")), "limit",
                                  u64(value(dir, "pids.max"))));
  return 0;
}

static int v2_oom_kills(struct cgroup *cg, uint64_t *ret, struct husk_error **err) {
  return cg_read_keyed(leaf(cg), "memory.events", "oom_kill", ret, err);
}

static int v2_memory_limit(struct cgroup *cg, int64_t *ret, struct husk_error **err) {
  uint64_t v;
  int r = cg_read_u64(leaf(cg), "memory.max", &v, err);
  if (r < 0)
    return r;
  *ret = v == UINT64_MAX ? -1 : (int64_t)v;
  return 0;
}

static const struct cg_dir *v2_procs_dir(const struct cgroup *cg) { return cg_find(cg, ""); }

const struct cgroup_ops cg_ops_unified = {
    .kind = CGROUP_UNIFIED,
    .setup = v2_setup,
    .apply = v2_apply,
    .freeze = v2_freeze,
    .is_frozen = v2_is_frozen,
    .kill_all = v2_kill_all,
    .stats = v2_stats,
    .oom_kills = v2_oom_kills,
    .memory_limit = v2_memory_limit,
    .procs_dir = v2_procs_dir,
};
