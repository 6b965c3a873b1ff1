/* cgroups.c: the container's cgroup from birth to removal, the same on every kind of host:
 * where it goes (cgroupsPath rules), making and removing its directories, moving processes
 * in, listing and signalling them, and saving it in the state. What differs per kind is in
 * the table of operations (v1.c, v2.c, hybrid.c) picked once by detection. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "internal.h"
#include "spec/spec.h"

static const struct cgroup_ops *ops_for(enum cgroup_kind kind) {
  switch (kind) {
  case CGROUP_UNIFIED: return &cg_ops_unified;
  case CGROUP_HYBRID: return &cg_ops_hybrid;
  case CGROUP_LEGACY: return &cg_ops_legacy;
  default: return NULL;
  }
}

/* ---- conversions (runc's libcontainer/cgroups/utils.go, crun's cgroup-utils.c) ---- */

uint64_t cgroup_shares_to_weight(uint64_t shares) {
  if (shares == 0)
    return 0;
  if (shares < 2) /* the kernel's cpu.shares range is 2..262144 */
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_to_io_weight(uint64_t weight) {
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *ret, struct husk_error **err) {
  if (swap == -1 || swap == 0) { /* max, or unset */
    *ret = swap;
    return 0;
  }
  if (limit == 0 || limit == -1)
    return husk_error_set(err, EINVAL, "a swap limit needs a memory limit");
  if (swap < limit)
    return husk_error_set(
        err, EINVAL, "swap (%lld) is memory+swap and must not be below the memory limit (%lld)",
        (long long)swap, (long long)limit);
  *ret = swap - limit;
  return 0;
}

/* ---- where the cgroup goes ---- */

static int check_path(const char *path, struct husk_error **err) {
  if (!strchr(path, '/') && strchr(path, ':') && strchr(path, ':') != strrchr(path, ':'))
    return husk_error_set(err, EINVAL,
                          "linux.cgroupsPath \"%s\" is systemd's slice:prefix:name form: use "
                          "--systemd-cgroup (or --cgroup-manager systemd)",
                          path);
  _cleanup_free_ char *copy = xstrdup(path);
  char *save = NULL;
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
    if (strcmp(c, "..") == 0)
      return husk_error_set(err, EINVAL, "linux.cgroupsPath \"%s\": \"..\" is not allowed", path);
  return 0;
}

/* mount + (own cgroup, for a relative path) + path, without "//", "." or a trailing "/". */
static char *full_path(const struct cg_hierarchy *h, const char *path) {
  _cleanup_free_ char *joined = xasprintf("%s/%s", path[0] == '/' ? "" : h->own, path);
  char *out = xasprintf("%s/%s", h->mount, joined);
  char *w = out + strlen(h->mount);
  for (const char *r = joined; *r;) {
    while (*r == '/')
      r++;
    const char *end = strchrnul(r, '/');
    if (end - r == 0 || (end - r == 1 && *r == '.')) {
      r = end;
      continue;
    }
    *w++ = '/';
    memmove(w, r, (size_t)(end - r));
    w += end - r;
    r = end;
  }
  *w = '\0';
  return out;
}

/* On pure v2 a relative path goes beside husk's own cgroup, in its parent, as runc's: husk's
 * own (a login session's scope, a service) holds processes, so it may not pass controllers on
 * to a child (the "no internal processes" rule), and it is not husk's to change. */
static void beside_own(struct cg_hierarchy *h) {
  char *slash = strrchr(h->own, '/');
  if (slash && slash != h->own)
    *slash = '\0';
  else if (slash)
    slash[1] = '\0';
}

/* rmdir with a trace line; ENOENT counts as done. */
static int remove_dir(const struct cgroup_host *host, const char *path) {
  int r = host->remove_dir(path);
  TRACE(r, "remove a cgroup husk made", "rmdir(\"%s\")", path);
  return r < 0 && errno != ENOENT ? -errno : 0;
}

/* The components below mount that do not exist yet, top-down. The leaf must be new: husk does
 * not take over a cgroup it did not make. On failure, what was made here is removed. */
static int make_path(const struct cgroup_host *host, const char *mount, const char *full,
                     unsigned *ret_made, struct husk_error **err) {
  _cleanup_free_ char *p = xstrdup(full);
  unsigned made = 0;
  int r = 0;
  for (char *s = p + strlen(mount) + 1;; s++) {
    if (*s != '/' && *s != '\0')
      continue;
    bool leaf = *s == '\0';
    *s = '\0';
    /* mkdir at once: EEXIST says the same as a stat first would, in one call */
    r = host->make_dir(p, 0755);
    TRACE(r, leaf ? "make the container's cgroup" : "make a parent of the container's cgroup",
          "mkdir(\"%s\", 0755)", p);
    if (r < 0 && errno == EEXIST && !leaf) {
      r = 0;
      *s = '/';
      continue;
    }
    if (r < 0 && errno == EEXIST) {
      r = husk_error_set(err, EEXIST, "cgroup %s already exists: husk only uses cgroups it makes",
                         p);
      break;
    }
    if (r < 0) {
      r = husk_error_sys(err, "mkdir %s", p);
      break;
    }
    made++;
    if (leaf)
      break;
    *s = '/';
  }
  if (r >= 0) {
    *ret_made = made;
    return 0;
  }
  for (; made > 0; made--) { /* p ends at the component that failed; those made are above */
    *strrchr(p, '/') = '\0';
    remove_dir(host, p);
  }
  return r;
}

static struct cgroup *cgroup_new(const struct cgroup_host *host, const struct cgroup_ops *ops) {
  struct cgroup *cg = xcalloc(1, sizeof(*cg));
  cg->host = host;
  cg->ops = ops;
  return cg;
}

static void add_dir(struct cgroup *cg, const char *controllers, char *path, unsigned made) {
  cg->dirs = xrealloc(cg->dirs, (cg->n_dirs + 1) * sizeof(*cg->dirs));
  cg->dirs[cg->n_dirs++] =
      (struct cg_dir){.controllers = xstrdup(controllers), .path = path, .made = made};
}

/* Trailing components of full (below mount) that do not exist yet, found from the leaf up;
 * -EEXIST when the leaf itself exists: husk does not take over a cgroup it did not make. */
static int count_missing(const char *mount, const char *full, struct husk_error **err) {
  struct stat st;
  if (stat(full, &st) == 0)
    return husk_error_set(err, EEXIST, "cgroup %s already exists: husk only uses cgroups it makes",
                          full);
  _cleanup_free_ char *p = xstrdup(full);
  int missing = 1;
  for (char *slash = strrchr(p, '/'); slash && slash > p + strlen(mount); slash = strrchr(p, '/')) {
    *slash = '\0';
    if (stat(p, &st) == 0)
      break;
    missing++;
  }
  return missing;
}

int cgroup_plan(const struct cgroup_host *host, const char *path, const char *id,
                struct cgroup **ret, struct husk_error **err) {
  enum cgroup_kind kind;
  _cleanup_free_ char *unified = NULL;
  int r = cg_detect_layout(host, &kind, &unified, err);
  if (r < 0)
    return r;
  bool by_default = !path || !path[0];
  _cleanup_free_ char *rel = by_default ? xasprintf("husk/%s", id) : xstrdup(path);
  r = check_path(rel, err);
  if (r < 0)
    return r;
  struct cg_hierarchy *h = NULL;
  size_t n = 0;
  r = cg_hierarchies(host, kind, unified, &h, &n, err);
  if (r < 0)
    return r;
  _cleanup_cgroup_ struct cgroup *cg = cgroup_new(host, ops_for(kind));
  cg->by_default = by_default;
  for (size_t i = 0; i < n && r >= 0; i++) {
    if (kind == CGROUP_UNIFIED)
      beside_own(&h[i]);
    char *full = full_path(&h[i], rel);
    r = count_missing(h[i].mount, full, err);
    if (r < 0) {
      free(full);
      break;
    }
    unsigned made = (unsigned)r;
    /* "husk/" is husk's own shelf for default cgroups: delete tries to remove it once empty. */
    add_dir(cg, h[i].controllers, full, by_default && made < 2 ? 2 : made);
    cg->dirs[cg->n_dirs - 1].mount_len = strlen(h[i].mount);
  }
  cg_hierarchies_free(h, n);
  if (r < 0)
    return r;
  *ret = TAKE_PTR(cg);
  return 0;
}

int cgroup_make(struct cgroup *cg, struct husk_error **err) {
  int r = 0;
  for (size_t i = 0; i < cg->n_dirs && r >= 0; i++) {
    struct cg_dir *d = &cg->dirs[i];
    _cleanup_free_ char *mount = xstrdup(d->path);
    mount[d->mount_len] = '\0';
    unsigned made = 0;
    for (int tries = 0; tries < 3; tries++) { /* ENOENT: a delete removed a shared parent */
      if (tries && err)
        husk_error_freep(err);
      r = make_path(cg->host, mount, d->path, &made, err);
      if (r != -ENOENT)
        break;
    }
    if (r >= 0)
      d->made = cg->by_default && made < 2 ? 2 : made;
  }
  if (r >= 0)
    r = cg->ops->setup(cg, err);
  if (r < 0)
    cgroup_destroy(cg, NULL);
  return r;
}

int cgroup_create(const struct cgroup_host *host, const char *path, const char *id,
                  struct cgroup **ret, struct husk_error **err) {
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  int r = cgroup_plan(host, path, id, &cg, err);
  if (r >= 0)
    r = cgroup_make(cg, err);
  if (r < 0)
    return r;
  *ret = TAKE_PTR(cg);
  return 0;
}

/* linux.resources as runc's cgroup drivers read them: a 0 memory limit, reservation, swap or
 * kernel limit, CPU shares, quota, period or realtime value, pids limit, blkio weight or net
 * class id, and an empty cpuset, mean "not set" (on update: unchanged), never a 0 written.
 * Engines send them so: Docker's update has "quota":0 for a quota it leaves alone. */
struct runc_view {
  struct spec_resources res;
  struct spec_memory memory;
  struct spec_cpu cpu;
  struct spec_blockio block_io;
  struct spec_network network;
};

static void zero_unset_i64(struct spec_opt_i64 *o) {
  if (o->set && o->value == 0)
    *o = (struct spec_opt_i64){0};
}

static void zero_unset_u64(struct spec_opt_u64 *o) {
  if (o->set && o->value == 0)
    *o = (struct spec_opt_u64){0};
}

static const struct spec_resources *runc_view(const struct spec_resources *in,
                                              struct runc_view *v) {
  v->res = *in;
  zero_unset_i64(&v->res.pids_limit);
  if (in->memory) {
    v->memory = *in->memory;
    zero_unset_i64(&v->memory.limit);
    zero_unset_i64(&v->memory.reservation);
    zero_unset_i64(&v->memory.swap);
    zero_unset_i64(&v->memory.kernel);
    zero_unset_i64(&v->memory.kernel_tcp);
    v->res.memory = &v->memory;
  }
  if (in->cpu) {
    v->cpu = *in->cpu;
    zero_unset_u64(&v->cpu.shares);
    zero_unset_i64(&v->cpu.quota);
    zero_unset_u64(&v->cpu.period);
    zero_unset_u64(&v->cpu.realtime_period);
    zero_unset_i64(&v->cpu.realtime_runtime);
    if (v->cpu.cpus && !v->cpu.cpus[0])
      v->cpu.cpus = NULL;
    if (v->cpu.mems && !v->cpu.mems[0])
      v->cpu.mems = NULL;
    v->res.cpu = &v->cpu;
  }
  if (in->block_io) {
    v->block_io = *in->block_io;
    zero_unset_u64(&v->block_io.weight);
    zero_unset_u64(&v->block_io.leaf_weight);
    v->res.block_io = &v->block_io;
  }
  if (in->network) {
    v->network = *in->network;
    zero_unset_u64(&v->network.class_id);
    v->res.network = &v->network;
  }
  return &v->res;
}

int cgroup_apply(struct cgroup *cg, const struct spec_resources *res,
                 const struct spec_device *devices, size_t n_devices, struct husk_error **err) {
  if (!res)
    return 0;
  _cleanup_free_ struct cg_dev_rule *rules = NULL;
  size_t n_rules = 0;
  cg_device_rules(res, devices, n_devices, &rules, &n_rules);
  struct runc_view view;
  return cg->ops->apply(cg, runc_view(res, &view), rules, n_rules, err);
}

/* The error of a failed update, with what became of the values written before it. */
static void say_rolled_back(struct husk_error **err, int not_restored) {
  if (!err || !*err)
    return;
  char *was = (*err)->message;
  (*err)->message =
      not_restored
          ? xasprintf("%s (%d value%s written before could not be restored: see the "
                      "warnings above)",
                      was, not_restored, not_restored == 1 ? "" : "s")
          : xasprintf("%s (nothing was changed: the values written before were restored)", was);
  free(was);
}

int cgroup_update(struct cgroup *cg, const struct spec_resources *res, struct husk_error **err) {
  if (!res)
    return 0;
  struct runc_view view;
  const struct spec_resources *r = runc_view(res, &view);
  cg_txn_begin(CG_TXN_CHECK);
  int k = cg->ops->apply(cg, r, NULL, 0, err);
  cg_txn_end();
  if (k < 0)
    return k;
  cg_txn_begin(CG_TXN_RECORD);
  k = cg->ops->apply(cg, r, NULL, 0, err);
  /* systemd's properties last: once it has them the update is done, and when it refuses
   * them the files go back as they were */
  if (k >= 0 && cg->unit)
    k = cg_systemd_set_properties(cg, r, err);
  if (k < 0)
    say_rolled_back(err, cg_txn_rollback());
  cg_txn_end();
  return k;
}

bool cgroup_can_clone_into(const struct cgroup *cg) { return cg->ops->kind == CGROUP_UNIFIED; }

int cgroup_open_dir(const struct cgroup *cg, struct husk_error **err) {
  const struct cg_dir *d = cg_find(cg, "");
  if (!d)
    return husk_error_set(err, ENOTSUP, "this host has no cgroup v2 tree");
  int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "open %s", d->path);
  return fd;
}

/* The kernel takes its global threadgroup lock (and with it, from idle, a full RCU grace
 * period) for any write to cgroup.procs, and for a pid written to tasks; only a thread that
 * moves itself through tasks ("0") goes without. v2 has no such way for a process. */
int cgroup_add_self(struct cgroup *cg, struct husk_error **err) {
  for (size_t i = 0; i < cg->n_dirs; i++) {
    bool v1 = cg->dirs[i].controllers[0] != '\0';
    int r = cg_write(cg->dirs[i].path, v1 ? "tasks" : "cgroup.procs", "0",
                     "the init moves itself into its cgroup before it runs anything", err);
    if (r < 0)
      return r;
  }
  return 0;
}

int cgroup_add_pid(struct cgroup *cg, pid_t pid, struct husk_error **err) {
  for (size_t i = 0; i < cg->n_dirs; i++) {
    int r = cg_writef(cg->dirs[i].path, "cgroup.procs",
                      "move the container's init into its cgroup before it runs", err, "%d", pid);
    if (r < 0)
      return r;
  }
  return 0;
}

/* cgroup.procs of dir and of every cgroup below it (the container may make its own). */
static void collect_pids(const char *dir, pid_t **v, size_t *n) {
  _cleanup_free_ char *text = NULL;
  if (cg_read(dir, "cgroup.procs", &text, NULL) == 0) {
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
      *v = xrealloc(*v, (*n + 1) * sizeof(**v));
      (*v)[(*n)++] = (pid_t)atoi(l);
    }
  }
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.')
      continue;
    _cleanup_free_ char *sub = xasprintf("%s/%s", dir, e->d_name);
    collect_pids(sub, v, n);
  }
  if (d)
    closedir(d);
}

int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct husk_error **err) {
  const struct cg_dir *d = cg->ops->procs_dir(cg);
  if (!d || access(d->path, F_OK) < 0)
    return husk_error_set(err, ENOENT, "the container's cgroup is gone");
  pid_t *v = NULL;
  size_t n = 0;
  collect_pids(d->path, &v, &n);
  *ret = v;
  *ret_n = n;
  return 0;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct husk_error **err) {
  return cg->ops->freeze(cg, frozen, err);
}

bool cgroup_is_frozen(struct cgroup *cg) { return cg->ops->is_frozen(cg); }

int cgroup_kill(struct cgroup *cg, int sig, struct husk_error **err) {
  if (sig == SIGKILL) {
    int r = cg->ops->kill_all(cg, err);
    if (r != -EOPNOTSUPP)
      return r;
  }
  /* Frozen, nothing can fork a child that misses the signal. Without a freezer, go on. */
  bool was_frozen = cgroup_is_frozen(cg);
  bool froze = !was_frozen && cgroup_freeze(cg, true, NULL) == 0;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  int r = cgroup_pids(cg, &pids, &n, err);
  for (size_t i = 0; r >= 0 && i < n; i++) {
    int k = kill(pids[i], sig);
    TRACE(k, "signal every process in the container's cgroup", "kill(%d, %d)", pids[i], sig);
  }
  if (froze)
    cgroup_freeze(cg, false, NULL);
  return r < 0 ? r : 0;
}

int cgroup_stats(struct cgroup *cg, json_t **ret, struct husk_error **err) {
  _cleanup_json_ json_t *data = json_object();
  int r = cg->ops->stats(cg, data, err);
  if (r < 0)
    return r;
  *ret = TAKE_PTR(data);
  return 0;
}

int cgroup_oom_kills(struct cgroup *cg, uint64_t *ret, struct husk_error **err) {
  return cg->ops->oom_kills(cg, ret, err);
}

int cgroup_memory_limit(struct cgroup *cg, int64_t *ret, struct husk_error **err) {
  return cg->ops->memory_limit(cg, ret, err);
}

/* rmdir a cgroup and the ones the container made below it, deepest first. */
static int remove_tree(const struct cgroup_host *host, const char *path) {
  /* Usually there is nothing below: rmdir alone, no listing of the cgroup's files. */
  int r = remove_dir(host, path);
  if (r != -EBUSY && r != -ENOTEMPTY)
    return r;
  DIR *d = opendir(path);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.')
      continue;
    _cleanup_free_ char *sub = xasprintf("%s/%s", path, e->d_name);
    remove_tree(host, sub);
  }
  if (d)
    closedir(d);
  return remove_dir(host, path);
}

/* Remove the leaves, killing what still runs in them (up to ~5 s), then the parents husk
 * made, which may still hold other containers (then they stay). */
int cgroup_destroy(struct cgroup *cg, struct husk_error **err) {
  struct timespec pause = {0, 10 * 1000 * 1000};
  /* systemd stops the scope (killing what is left) and removes its cgroup; what it leaves,
   * the rmdirs below remove */
  int r = 0;
  if (cg->unit) {
    if (access(cg->dirs[0].path, F_OK) == 0) /* stop would send SIGTERM and wait */
      cgroup_kill(cg, SIGKILL, NULL);
    r = cg_systemd_stop(cg, err);
    if (r < 0)
      return r;
  }
  for (int attempt = 0; attempt < 500; attempt++) {
    r = 0;
    for (size_t i = 0; i < cg->n_dirs; i++) {
      int k = remove_tree(cg->host, cg->dirs[i].path);
      if (k < 0)
        r = k;
    }
    if (r != -EBUSY)
      break;
    if (attempt == 0)
      cgroup_kill(cg, SIGKILL, NULL);
    nanosleep(&pause, NULL);
  }
  if (r < 0)
    return husk_error_errno(err, -r, "remove cgroup %s", cg->n_dirs ? cg->dirs[0].path : "");
  for (size_t i = 0; i < cg->n_dirs; i++) {
    _cleanup_free_ char *p = xstrdup(cg->dirs[i].path);
    for (unsigned k = 1; k < cg->dirs[i].made; k++) {
      *strrchr(p, '/') = '\0';
      if (access(p, F_OK) == 0 && remove_dir(cg->host, p) < 0)
        break; /* another container still uses it: it stays */
    }
  }
  return 0;
}

void cgroup_free(struct cgroup *cg) {
  if (!cg)
    return;
  for (size_t i = 0; i < cg->n_dirs; i++) {
    free(cg->dirs[i].controllers);
    free(cg->dirs[i].path);
  }
  free(cg->dirs);
  free(cg->unit);
  free(cg->slice);
  free(cg);
}

json_t *cgroup_save(const struct cgroup *cg) {
  json_t *dirs = json_array();
  for (size_t i = 0; i < cg->n_dirs; i++)
    json_array_append_new(dirs, json_pack("{s:s, s:s, s:i}", "controllers", cg->dirs[i].controllers,
                                          "path", cg->dirs[i].path, "made", (int)cg->dirs[i].made));
  json_t *saved = json_pack("{s:s, s:o}", "kind", cgroup_kind_name(cg->ops->kind), "dirs", dirs);
  if (cg->unit)
    json_object_set_new(saved, "systemd", json_pack("{s:s, s:s}", "unit", cg->unit, "slice",
                                                    cg->slice));
  return saved;
}

int cgroup_load(const struct cgroup_host *host, json_t *saved, struct cgroup **ret,
                struct husk_error **err) {
  const char *kind = NULL;
  json_t *dirs = NULL;
  if (json_unpack(saved, "{s:s, s:o}", "kind", &kind, "dirs", &dirs) < 0 || !json_is_array(dirs))
    return husk_error_set(err, EINVAL, "corrupt cgroup record in the container state");
  const struct cgroup_ops *ops = NULL;
  for (int k = CGROUP_UNIFIED; k <= CGROUP_LEGACY; k++)
    if (strcmp(kind, cgroup_kind_name(k)) == 0)
      ops = ops_for(k);
  if (!ops)
    return husk_error_set(err, EINVAL, "unknown cgroup kind \"%s\" in the container state", kind);
  _cleanup_cgroup_ struct cgroup *cg = cgroup_new(host, ops);
  size_t i;
  json_t *d;
  json_array_foreach(dirs, i, d) {
    const char *controllers, *path;
    int made;
    if (json_unpack(d, "{s:s, s:s, s:i}", "controllers", &controllers, "path", &path, "made",
                    &made) < 0 ||
        path[0] != '/' || made < 1)
      return husk_error_set(err, EINVAL, "corrupt cgroup record in the container state");
    add_dir(cg, controllers, xstrdup(path), (unsigned)made);
  }
  json_t *sd = json_object_get(saved, "systemd");
  if (sd) {
    const char *unit, *slice;
    if (json_unpack(sd, "{s:s, s:s}", "unit", &unit, "slice", &slice) < 0)
      return husk_error_set(err, EINVAL, "corrupt cgroup record in the container state");
    cg->unit = xstrdup(unit);
    cg->slice = xstrdup(slice);
  }
  *ret = TAKE_PTR(cg);
  return 0;
}

enum cgroup_kind cgroup_kind_of(const struct cgroup *cg) { return cg->ops->kind; }

const struct cg_dir *cg_find(const struct cgroup *cg, const char *controller) {
  size_t n = strlen(controller);
  for (size_t i = 0; i < cg->n_dirs; i++) {
    const char *list = cg->dirs[i].controllers;
    if (n == 0) {
      if (!list[0])
        return &cg->dirs[i];
      continue;
    }
    for (const char *p = list; (p = strstr(p, controller)); p += n)
      if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
        return &cg->dirs[i];
  }
  return NULL;
}

const char *cgroup_dir(const struct cgroup *cg, const char *controller) {
  const struct cg_dir *d = cg_find(cg, controller);
  return d ? d->path : NULL;
}
