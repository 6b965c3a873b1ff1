/* internal.h: what the files of cgroups/ share and nothing else uses: the cgroup handle, the
 * table of operations of one kind of host, device rules, and file helpers that trace every
 * write. Unit tests include it to check conversions and the device program. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroups.h"

struct spec_hugepage_limit;

#define CG_CGROUP_MAGIC 0x27e0ebL    /* CGROUP_SUPER_MAGIC: a v1 hierarchy */
#define CG_CGROUP2_MAGIC 0x63677270L /* CGROUP2_SUPER_MAGIC: the v2 tree */

/* One directory of the container's cgroup: one per v1 hierarchy, one for the v2 tree. */
struct cg_dir {
  char *controllers; /* "memory", "cpu,cpuacct", ... as /proc/self/cgroup names them; "" = v2 */
  char *path;        /* absolute */
  unsigned made;     /* trailing path components husk made (1 = the leaf): delete removes them */
  size_t mount_len;  /* path[0..mount_len) is the hierarchy's mount (while creating only) */
};

/* A linux.resources.devices rule, or one husk adds (default devices, linux.devices). */
enum { CG_DEV_MKNOD = 1, CG_DEV_READ = 2, CG_DEV_WRITE = 4 }; /* as BPF_DEVCG_ACC_* */
struct cg_dev_rule {
  bool allow;
  char type;            /* 'a' (any), 'c', 'b' */
  int64_t major, minor; /* -1 = any */
  unsigned access;      /* CG_DEV_* bits */
};

struct cgroup_ops {
  enum cgroup_kind kind;
  /* After the directories exist: delegate v2 controllers, fill empty v1 cpusets. */
  int (*setup)(struct cgroup *cg, struct husk_error **err);
  /* rules is NULL when linux.resources.devices is absent (no device rules then). */
  int (*apply)(struct cgroup *cg, const struct spec_resources *res, const struct cg_dev_rule *rules,
               size_t n_rules, struct husk_error **err);
  int (*freeze)(struct cgroup *cg, bool frozen, struct husk_error **err);
  bool (*is_frozen)(struct cgroup *cg);
  /* SIGKILL everything at once (cgroup.kill); -EOPNOTSUPP without *err when not possible. */
  int (*kill_all)(struct cgroup *cg, struct husk_error **err);
  int (*stats)(struct cgroup *cg, json_t *data, struct husk_error **err);
  int (*oom_kills)(struct cgroup *cg, uint64_t *ret, struct husk_error **err);
  int (*memory_limit)(struct cgroup *cg, int64_t *ret, struct husk_error **err);
  /* The directory whose cgroup.procs lists every process of the container. */
  const struct cg_dir *(*procs_dir)(const struct cgroup *cg);
};

extern const struct cgroup_ops cg_ops_unified, cg_ops_hybrid, cg_ops_legacy;

struct cgroup {
  const struct cgroup_host *host;
  const struct cgroup_ops *ops;
  struct cg_dir *dirs;
  size_t n_dirs;
  bool by_default; /* no cgroupsPath: husk/<id>, below husk's own shelf */
  char *unit;      /* the systemd driver: the scope systemd made ("husk-<id>.scope"), else NULL */
  char *slice;     /* and the slice it is in */
};

/* ---- detect.c ---- */
/* The kind, and for hybrid hosts the cgroup2 mount below the root (else NULL). */
int cg_detect_layout(const struct cgroup_host *host, enum cgroup_kind *ret_kind, char **ret_unified,
                     struct husk_error **err);
/* One hierarchy husk runs in, from /proc/self/cgroup, with the directory it is mounted at. */
struct cg_hierarchy {
  char *controllers; /* "memory", "cpu,cpuacct"; "" for v2 */
  char *mount;       /* absolute directory */
  char *own;         /* husk's own cgroup in it, "/process_api/x" */
};
int cg_hierarchies(const struct cgroup_host *host, enum cgroup_kind kind, const char *unified,
                   struct cg_hierarchy **ret, size_t *ret_n, struct husk_error **err);
void cg_hierarchies_free(struct cg_hierarchy *h, size_t n);

/* ---- files.c ---- */
const struct cg_dir *cg_find(const struct cgroup *cg, const char *controller);
bool cg_has(const char *dir, const char *file);
/* A hugepageLimits pageSize names a file ("hugetlb.<size>.max"): refuse one that names a path. */
int cg_check_page_size(const struct spec_hugepage_limit *h, size_t i, struct husk_error **err);
/* husk update's transaction (cgroup_update): while CHECK, cg_write opens each file for
 * writing and writes nothing; while RECORD, it reads each file's value before writing it, and
 * cg_txn_rollback writes those back, newest first (returns how many could not be restored,
 * each with a warning). cg_txn_end forgets the values and turns it off. */
enum cg_txn_mode { CG_TXN_OFF, CG_TXN_CHECK, CG_TXN_RECORD };
void cg_txn_begin(enum cg_txn_mode mode);
enum cg_txn_mode cg_txn_mode(void);
int cg_txn_rollback(void);
void cg_txn_end(void);
/* A warning about a setting, said once: not in the checking pass that precedes the writes. */
#define cg_warn(...)                                                                               \
  do {                                                                                             \
    if (cg_txn_mode() != CG_TXN_CHECK)                                                             \
      log_warn(__VA_ARGS__);                                                                       \
  } while (0)

/* Write a control file (never created: a missing file means the host cannot do it). */
int cg_write(const char *dir, const char *file, const char *value, const char *why,
             struct husk_error **err);
int cg_writef(const char *dir, const char *file, const char *why, struct husk_error **err,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int cg_read(const char *dir, const char *file, char **ret, struct husk_error **err);
/* A single number; "max" reads as UINT64_MAX. */
int cg_read_u64(const char *dir, const char *file, uint64_t *ret, struct husk_error **err);
/* The value of "key N" in a flat-keyed file (memory.events, cpu.stat); 0 when absent. */
int cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *ret,
                  struct husk_error **err);
/* A flat-keyed file as a JSON object of integers. */
json_t *cg_read_keyed_json(const char *dir, const char *file);
/* Wait until a file's content starts with want (freeze completion). */
int cg_wait_for(const char *dir, const char *file, const char *want, struct husk_error **err);
/* "max" for a negative limit, the number otherwise. */
void cg_format_limit(char *buf, size_t len, int64_t v);

/* ---- devices.c ---- */
/* The rules to enforce: linux.resources.devices, then runc's default devices, then
 * linux.devices. *ret is NULL (n 0) when the config has no device rules. */
void cg_device_rules(const struct spec_resources *res, const struct spec_device *devices,
                     size_t n_devices, struct cg_dev_rule **ret, size_t *ret_n);
/* v1: devices.deny "a", then each rule to devices.allow or devices.deny. */
int cg_v1_devices(const char *dir, const struct cg_dev_rule *rules, size_t n,
                  struct husk_error **err);

/* ---- bpf.c ---- */
struct bpf_insn;
/* The BPF_PROG_TYPE_CGROUP_DEVICE program for the rules (the last matching rule decides,
 * nothing matching is denied), as a new array of *ret_n instructions. */
void cg_bpf_device_program(const struct cg_dev_rule *rules, size_t n, struct bpf_insn **ret,
                           size_t *ret_n);
/* Load the program and attach it to the cgroup directory, replacing one husk attached before. */
int cg_bpf_devices(const char *dir, const struct cg_dev_rule *rules, size_t n,
                   struct husk_error **err);

/* ---- v1.c, v2.c: pieces the hybrid table shares ---- */
int cg_v1_setup(struct cgroup *cg, struct husk_error **err);
int cg_v1_apply_controllers(struct cgroup *cg, const struct spec_resources *res,
                            const struct cg_dev_rule *rules, size_t n_rules,
                            struct husk_error **err);
int cg_v1_apply_hugetlb(const char *dir, const struct spec_resources *res, struct husk_error **err);
int cg_v1_freeze(struct cgroup *cg, bool frozen, struct husk_error **err);
bool cg_v1_is_frozen(struct cgroup *cg);
int cg_v1_stats(struct cgroup *cg, json_t *data, struct husk_error **err);
int cg_v1_oom_kills(struct cgroup *cg, uint64_t *ret, struct husk_error **err);
int cg_v1_memory_limit(struct cgroup *cg, int64_t *ret, struct husk_error **err);
const struct cg_dir *cg_v1_procs_dir(const struct cgroup *cg);

int cg_v2_delegate(const struct cg_dir *d, struct husk_error **err);
int cg_v2_apply_hugetlb(const char *dir, const struct spec_resources *res, struct husk_error **err);
int cg_v2_apply_unified(const char *dir, const struct spec_resources *res, struct husk_error **err);
int cg_v2_kill_dir(const char *dir, struct husk_error **err);
int cg_v2_freeze_dir(const char *dir, bool frozen, struct husk_error **err);

/* ---- systemd.c ---- */
/* cgroupsPath "slice:prefix:name" (NULL or "": runc's ":runc:<id>", with husk for runc) as the
 * slice and the scope's unit name, each checked as systemd checks names. */
int cg_systemd_parse(const char *path, const char *id, char **ret_slice, char **ret_unit,
                     struct husk_error **err);
/* Where a slice's cgroup is below the root: "a-b.slice" is "/a.slice/a-b.slice". */
char *cg_systemd_slice_path(const char *slice);
/* Whether systemd can be reached over the system bus (an error saying why not). */
int cg_systemd_check_bus(struct husk_error **err);
/* husk update: the properties systemd has for these resources (SetUnitProperties). */
int cg_systemd_set_properties(struct cgroup *cg, const struct spec_resources *res,
                              struct husk_error **err);
/* Stop the scope (and reset it if it failed); a scope already gone is fine. */
int cg_systemd_stop(struct cgroup *cg, struct husk_error **err);
