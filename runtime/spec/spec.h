/* spec.h: config.json (OCI runtime-spec 1.2, Linux) as typed structs.
 *
 * Every string points into the parsed JSON document that the struct spec keeps alive, and
 * every array is allocated from the spec's own list, so spec_free() releases all of it.
 * String lists are NULL-terminated. Optional scalars carry a has_* flag. Unknown fields are
 * ignored; a wrong type or a missing required field is an error naming the JSON path, e.g.
 * "process.args: expected a non-empty array of strings". */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "namespaces/namespaces.h"

struct husk_error;

struct spec_opt_i64 {
  bool set;
  int64_t value;
};
struct spec_opt_u64 {
  bool set;
  uint64_t value;
};

struct spec_kv {
  const char *key;
  const char *value;
};

struct spec_user {
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
  const char *username; /* Windows-only in the spec; parsed, unused */
};

struct spec_capabilities {
  /* NULL when the set is absent (treated as empty). Names as given, e.g. "CAP_CHOWN". */
  const char **bounding, **effective, **inheritable, **permitted, **ambient;
};

struct spec_rlimit {
  const char *type; /* "RLIMIT_NOFILE"; validated by process setup, which names it */
  uint64_t hard, soft;
};

struct spec_process {
  bool terminal;
  bool has_console_size;
  unsigned console_height, console_width;
  struct spec_user user;
  const char **args; /* non-empty */
  const char **env;  /* may be empty, never NULL */
  const char *cwd;   /* absolute */
  struct spec_capabilities *capabilities; /* NULL when absent */
  struct spec_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  const char *apparmor_profile;
  const char *selinux_label;
  bool has_oom_score_adj;
  int oom_score_adj;
};

struct spec_root {
  const char *path; /* as written: relative paths are relative to the bundle */
  bool readonly;
};

struct spec_mount {
  const char *destination; /* absolute */
  const char *type;        /* may be NULL (bind mounts) */
  const char *source;      /* may be NULL */
  const char **options;    /* never NULL */
};

struct spec_hook {
  const char *path; /* absolute */
  const char **args; /* may be empty, never NULL */
  const char **env;  /* may be empty, never NULL */
  bool has_timeout;
  int timeout; /* seconds, > 0 */
};

enum spec_hook_phase {
  HOOK_PRESTART,
  HOOK_CREATE_RUNTIME,
  HOOK_CREATE_CONTAINER,
  HOOK_START_CONTAINER,
  HOOK_POSTSTART,
  HOOK_POSTSTOP,
  HOOK_PHASE_COUNT,
};
/* The config.json name of a phase: "prestart", "createRuntime", ... */
const char *spec_hook_phase_name(enum spec_hook_phase phase);

struct spec_hook_list {
  struct spec_hook *hooks;
  size_t n;
};

struct spec_namespace {
  int type;         /* CLONE_NEWPID, CLONE_NEWNS, ... (from namespaces/namespaces.h) */
  const char *path; /* join this namespace instead of making one; NULL for a new one */
};

struct spec_device {
  const char *path; /* absolute, inside the container */
  char type;        /* 'c', 'b', 'u' (= 'c') or 'p' */
  int64_t major, minor;
  bool has_file_mode;
  mode_t file_mode;
  bool has_uid;
  uid_t uid;
  bool has_gid;
  gid_t gid;
};

struct spec_device_rule { /* linux.resources.devices[] */
  bool allow;
  char type;      /* 'a', 'c', 'b'; 'a' when absent */
  int64_t major;  /* -1 = any */
  int64_t minor;  /* -1 = any */
  const char *access; /* "rwm" subset; NULL = all */
};

struct spec_memory {
  struct spec_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
  struct spec_opt_u64 swappiness;
  bool has_disable_oom_killer;
  bool disable_oom_killer;
  bool has_use_hierarchy;
  bool use_hierarchy;
  bool has_check_before_update;
  bool check_before_update;
};

struct spec_cpu {
  struct spec_opt_u64 shares, period, realtime_period;
  struct spec_opt_i64 quota, realtime_runtime, idle;
  struct spec_opt_u64 burst;
  const char *cpus; /* NULL when absent */
  const char *mems;
};

struct spec_weight_device {
  int64_t major, minor;
  struct spec_opt_u64 weight, leaf_weight; /* uint16 range checked */
};

struct spec_throttle_device {
  int64_t major, minor;
  uint64_t rate;
};

struct spec_blockio {
  struct spec_opt_u64 weight, leaf_weight;
  struct spec_weight_device *weight_device;
  size_t n_weight_device;
  struct spec_throttle_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
      *throttle_write_iops;
  size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;
};

struct spec_hugepage_limit {
  const char *page_size; /* "2MB" */
  uint64_t limit;
};

struct spec_net_priority { /* linux.resources.network.priorities[] */
  const char *name;        /* an interface */
  uint32_t priority;
};

struct spec_network { /* linux.resources.network: the v1 net_cls and net_prio controllers */
  struct spec_opt_u64 class_id; /* uint32 range checked */
  struct spec_net_priority *priorities;
  size_t n_priorities;
};

struct spec_resources {
  struct spec_device_rule *devices;
  size_t n_devices;
  struct spec_memory *memory; /* each NULL when absent */
  struct spec_cpu *cpu;
  struct spec_opt_i64 pids_limit;
  struct spec_blockio *block_io;
  struct spec_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  struct spec_kv *unified; /* cgroup v2 file → value */
  size_t n_unified;
  struct spec_network *network; /* NULL when absent */
};

struct spec_seccomp_arg {
  unsigned index;
  uint64_t value, value_two;
  const char *op; /* "SCMP_CMP_EQ", ... translated by seccomp/ */
};

struct spec_seccomp_syscall {
  const char **names; /* non-empty */
  const char *action; /* "SCMP_ACT_ERRNO", ... translated by seccomp/ */
  bool has_errno_ret;
  unsigned errno_ret;
  struct spec_seccomp_arg *args;
  size_t n_args;
};

struct spec_seccomp {
  const char *default_action; /* required */
  bool has_default_errno_ret;
  unsigned default_errno_ret;
  const char **architectures; /* never NULL */
  const char **flags;         /* never NULL */
  const char *listener_path;
  const char *listener_metadata;
  struct spec_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct spec_linux {
  struct spec_namespace *namespaces;
  size_t n_namespaces;
  struct spec_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct spec_device *devices;
  size_t n_devices;
  const char *cgroups_path; /* NULL when absent */
  struct spec_resources *resources; /* NULL when absent */
  struct spec_kv *sysctl;
  size_t n_sysctl;
  struct spec_seccomp *seccomp; /* NULL when absent */
  /* MS_* propagation flags for the root mount, 0 when absent; the string is kept too. */
  unsigned long rootfs_propagation;
  const char *rootfs_propagation_name;
  const char **masked_paths;   /* never NULL */
  const char **readonly_paths; /* never NULL */
  const char *mount_label;
};

struct spec {
  const char *oci_version;
  struct spec_process *process; /* NULL when absent (create requires it) */
  struct spec_root root;
  const char *hostname; /* NULL when absent */
  const char *domainname;
  struct spec_mount *mounts;
  size_t n_mounts;
  struct spec_hook_list hooks[HOOK_PHASE_COUNT];
  struct spec_kv *annotations;
  size_t n_annotations;
  struct spec_linux linux_;

  /* ownership: the document the strings point into, and every array allocated for it */
  json_t *doc;
  void **allocs;
  size_t n_allocs, cap_allocs;
};

/* Parse config.json from a file, a string, or a decoded document (a reference is taken). */
int spec_parse_file(const char *path, struct spec **ret, struct husk_error **err);
int spec_parse_string(const char *text, struct spec **ret, struct husk_error **err);
int spec_parse_json(json_t *doc, struct spec **ret, struct husk_error **err);

/* Parse a lone process object (exec --process FILE): ret->process is set, the rest empty.
 * Error paths are named as in config.json ("process.args: ..."). */
int spec_parse_process_file(const char *path, struct spec **ret, struct husk_error **err);

/* Parse a lone linux.resources object (update --resources): ret->linux_.resources is set,
 * the rest empty. Error paths are named as in config.json ("linux.resources.memory..."). */
int spec_parse_resources_json(json_t *resources, struct spec **ret, struct husk_error **err);

void spec_free(struct spec *spec);
static inline void spec_freep(struct spec **s) { spec_free(*s); }
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

/* The value of an annotation, or NULL. */
const char *spec_annotation(const struct spec *spec, const char *key);
/* The namespace entry of a type (CLONE_NEW*), or NULL when the config does not ask for it. */
const struct spec_namespace *spec_namespace(const struct spec *spec, int type);
