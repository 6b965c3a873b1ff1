/* hybrid.c: hosts with v1 controllers and a cgroup2 mount beside them (systemd's "hybrid",
 * these machines). Limits go to the v1 controllers; the container also gets a cgroup in the
 * v2 tree, which holds every one of its processes and gives cgroup.kill, and which takes
 * hugetlb limits and `unified` settings when v1 has no hugetlb hierarchy. */
#include "base/error.h"
#include "base/utils.h"
#include "internal.h"
#include "spec/spec.h"

static const char *unified_dir(const struct cgroup *cg) {
  const struct cg_dir *d = cg_find(cg, "");
  return d ? d->path : NULL;
}

static int hybrid_setup(struct cgroup *cg, struct husk_error **err) {
  int r = cg_v1_setup(cg, err);
  const struct cg_dir *d = cg_find(cg, "");
  return r >= 0 && d ? cg_v2_delegate(d, err) : r;
}

static int hybrid_apply(struct cgroup *cg, const struct spec_resources *res,
                        const struct cg_dev_rule *rules, size_t n_rules, struct husk_error **err) {
  int r = cg_v1_apply_controllers(cg, res, rules, n_rules, err);
  const char *v2 = unified_dir(cg);
  const struct cg_dir *hugetlb = cg_find(cg, "hugetlb");
  if (r >= 0 && res->n_hugepage_limits) {
    if (hugetlb)
      r = cg_v1_apply_hugetlb(hugetlb->path, res, err);
    else if (v2)
      r = cg_v2_apply_hugetlb(v2, res, err);
    else
      r = husk_error_set(err, ENOTSUP,
                         "linux.resources.hugepageLimits: this host has no hugetlb controller");
  }
  if (r >= 0 && res->n_unified && !v2)
    r = husk_error_set(err, ENOTSUP, "linux.resources.unified: this host has no cgroup v2 tree");
  if (r >= 0 && res->n_unified)
    r = cg_v2_apply_unified(v2, res, err);
  return r;
}

static int hybrid_freeze(struct cgroup *cg, bool frozen, struct husk_error **err) {
  if (cg_find(cg, "freezer") || !unified_dir(cg))
    return cg_v1_freeze(cg, frozen, err);
  return cg_v2_freeze_dir(unified_dir(cg), frozen, err);
}

static bool hybrid_is_frozen(struct cgroup *cg) {
  if (cg_find(cg, "freezer") || !unified_dir(cg))
    return cg_v1_is_frozen(cg);
  _cleanup_free_ char *v = NULL;
  return cg_read(unified_dir(cg), "cgroup.freeze", &v, NULL) == 0 && v[0] == '1';
}

static int hybrid_kill_all(struct cgroup *cg, struct husk_error **err) {
  const char *v2 = unified_dir(cg);
  return v2 ? cg_v2_kill_dir(v2, err) : -EOPNOTSUPP;
}

static const struct cg_dir *hybrid_procs_dir(const struct cgroup *cg) {
  const struct cg_dir *d = cg_find(cg, "");
  return d ? d : cg_v1_procs_dir(cg);
}

const struct cgroup_ops cg_ops_hybrid = {
    .kind = CGROUP_HYBRID,
    .setup = hybrid_setup,
    .apply = hybrid_apply,
    .freeze = hybrid_freeze,
    .is_frozen = hybrid_is_frozen,
    .kill_all = hybrid_kill_all,
    .stats = cg_v1_stats,
    .oom_kills = cg_v1_oom_kills,
    .memory_limit = cg_v1_memory_limit,
    .procs_dir = hybrid_procs_dir,
};
