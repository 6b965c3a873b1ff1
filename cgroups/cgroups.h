/* cgroups.h: a container's cgroup, one interface over three kinds of host: unified (pure
 * cgroup v2), hybrid (v1 controllers plus a cgroup2 mount) and legacy (v1 only). The kind is
 * found once, by statfs, and picks one table of operations (DESIGN.md §6). The cgroup root and
 * the file-system calls are parameters (struct cgroup_host), so unit tests run on a fake
 * cgroupfs in a temporary directory.
 *
 * Rules: a relative or empty cgroupsPath nests below the cgroup husk runs in; husk only writes
 * to cgroups it created (and moves its container's processes into them); a limit the host
 * cannot enforce is an error naming the config field, never silently dropped. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct husk_error;
struct spec_resources;
struct spec_device;

enum cgroup_kind { CGROUP_UNIFIED, CGROUP_HYBRID, CGROUP_LEGACY };
const char *cgroup_kind_name(enum cgroup_kind kind);

/* Where the cgroup file systems are and how husk touches them. */
struct cgroup_host {
  const char *root;                  /* "/sys/fs/cgroup" */
  const char *self_cgroup;           /* "/proc/self/cgroup": the cgroups husk itself runs in */
  long (*fs_type)(const char *path); /* statfs(2) f_type, or -errno */
  int (*make_dir)(const char *path, mode_t mode); /* mkdir(2) of a new cgroup; -1 + errno */
  int (*remove_dir)(const char *path);            /* rmdir(2) of a cgroup; -1 + errno */
};
/* The real host: /sys/fs/cgroup, /proc/self/cgroup, statfs, mkdir, rmdir. */
const struct cgroup_host *cgroup_host_default(void);

/* Which kind of host this is, by statfs of the root and its children. */
int cgroup_detect(const struct cgroup_host *host, enum cgroup_kind *ret, struct husk_error **err);

struct cgroup;

/* Make the container's cgroup (in every v1 hierarchy, or the one v2 tree). path is
 * linux.cgroupsPath: absolute is used as given below the root, relative nests below husk's
 * own cgroup, NULL or "" means "husk/<id>". An existing cgroup is an error (husk does not take
 * over cgroups it did not make). On failure nothing is left. */
int cgroup_create(const struct cgroup_host *host, const char *path, const char *id,
                  struct cgroup **ret, struct husk_error **err);
/* cgroup_create in two steps, so that what will be made can be recorded before it is (the
 * crash journal): cgroup_plan makes nothing, and its cgroup_save counts every component that
 * does not exist yet as made; cgroup_make makes the directories (on failure nothing is left). */
int cgroup_plan(const struct cgroup_host *host, const char *path, const char *id,
                struct cgroup **ret, struct husk_error **err);
int cgroup_make(struct cgroup *cg, struct husk_error **err);

/* The systemd driver (systemd.c): the container's cgroup is a transient scope systemd makes
 * around the init, "prefix-name.scope" in the slice of a "slice:prefix:name" cgroupsPath, with
 * Delegate=yes. cgroup_plan_systemd makes nothing (it checks that systemd can be reached);
 * once the init exists, cgroup_make_around_init starts the scope with it and the properties
 * systemd has for res; cgroup_apply then writes every limit into the scope's cgroup as for
 * cgroupfs. Update also sets the properties, destroy also stops the scope. Pure v2 only. */
int cgroup_plan_systemd(const struct cgroup_host *host, const char *path, const char *id,
                        struct cgroup **ret, struct husk_error **err);
bool cgroup_made_around_init(const struct cgroup *cg);
int cgroup_make_around_init(struct cgroup *cg, pid_t init, const struct spec_resources *res,
                            struct husk_error **err);

/* Write linux.resources (may be NULL). devices are linux.devices: when device rules apply,
 * they are allowed after the rules and runc's default devices (null, zero, tty, ...). Zero
 * values are read as runc reads them: 0 for a memory, CPU, pids or blkio weight limit is not
 * set (nothing written), and so is an empty cpuset. */
int cgroup_apply(struct cgroup *cg, const struct spec_resources *res,
                 const struct spec_device *devices, size_t n_devices, struct husk_error **err);
/* Change the limits of a container that exists (`husk update`), as runc update does: what is
 * absent or 0 stays as it is, and device rules are not touched (engines send the unchanged
 * list). All or nothing: every file to be written is opened first (a missing controller,
 * file or bad value found so writes nothing), and when a write fails each file written before
 * gets back the value it had, so the error leaves the cgroup as it was. */
int cgroup_update(struct cgroup *cg, const struct spec_resources *res, struct husk_error **err);

/* True when clone3's CLONE_INTO_CGROUP can start a process right in this cgroup (unified). */
bool cgroup_can_clone_into(const struct cgroup *cg);
/* The v2 cgroup directory, opened for CLONE_INTO_CGROUP (O_RDONLY | O_DIRECTORY). */
int cgroup_open_dir(const struct cgroup *cg, struct husk_error **err);

/* Move a process into the container's cgroup in every hierarchy. */
int cgroup_add_pid(struct cgroup *cg, pid_t pid, struct husk_error **err);
/* Move the calling process, which must have one thread, into the container's cgroup: v1
 * hierarchies through "tasks" with "0", which needs no global lock (writing another
 * process's pid to cgroup.procs waits for an RCU grace period, some 10 ms). */
int cgroup_add_self(struct cgroup *cg, struct husk_error **err);
/* Every process in the cgroup (and cgroups below it), in husk's pid namespace. */
int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct husk_error **err);

/* Freeze (pause) or thaw (resume) every process; returns once the kernel says it is done. */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct husk_error **err);
bool cgroup_is_frozen(struct cgroup *cg);

/* Signal every process: cgroup.kill for SIGKILL where the kernel has it, otherwise each pid
 * in cgroup.procs while the cgroup is frozen, so nothing forks past the signal. */
int cgroup_kill(struct cgroup *cg, int sig, struct husk_error **err);

/* runc's `events --stats` "data" object: cpu, memory, pids (what this host accounts). */
int cgroup_stats(struct cgroup *cg, json_t **ret, struct husk_error **err);
/* OOM kills inside the cgroup so far (memory.events or memory.oom_control oom_kill). */
int cgroup_oom_kills(struct cgroup *cg, uint64_t *ret, struct husk_error **err);
/* The memory limit in bytes, or -1 when unlimited. */
int cgroup_memory_limit(struct cgroup *cg, int64_t *ret, struct husk_error **err);

/* Kill what is left, then remove every cgroup directory husk made. Missing ones are fine. */
int cgroup_destroy(struct cgroup *cg, struct husk_error **err);
void cgroup_free(struct cgroup *cg);
static inline void cgroup_freep(struct cgroup **cg) { cgroup_free(*cg); }
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_freep)))

/* What the state directory keeps so later commands reopen the same cgroup: kind, every
 * directory, and how many of its trailing components husk made. */
json_t *cgroup_save(const struct cgroup *cg);
int cgroup_load(const struct cgroup_host *host, json_t *saved, struct cgroup **ret,
                struct husk_error **err);

enum cgroup_kind cgroup_kind_of(const struct cgroup *cg);
/* The directory of one hierarchy ("memory", "cpu", ... on v1; "" for the v2 tree), or NULL. */
const char *cgroup_dir(const struct cgroup *cg, const char *controller);

/* The conversions runc and crun use between v1 values and v2 files. */
/* cpu.shares (2..262144) → cpu.weight (1..10000); 0 stays 0 (unset). */
uint64_t cgroup_shares_to_weight(uint64_t shares);
/* blkio.weight (10..1000) → io.weight (1..10000); 0 stays 0 (unset). */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight);
/* memory.swap in the spec is memory+swap (v1's memsw); v2's memory.swap.max is swap alone:
 * swap - limit, -1 for max. */
int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *ret, struct husk_error **err);
