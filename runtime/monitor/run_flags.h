/* run_flags.h: the rest of docker run's everyday flags for `husk run`, with Docker's meaning
 * and wording: -v and --mount (bind, tmpfs, named volumes in the store), --tmpfs, --read-only,
 * -w, --cap-add/--cap-drop, --security-opt, --pids-limit, --cpus, --memory-swap, --ulimit,
 * --shm-size, --sysctl, --label, --init, -i and -t. What only sets a member of config.json
 * goes into run's merge patch (run_flags_patch, run_flags.c); what has to see the config as it
 * is (mounts appended, capabilities tweaked, a seccomp profile converted, volumes made) is the
 * edit container_create calls (run_flags_edit, run_flags_edit.c); the mounts are parsed in
 * run_mounts.c. Parsing is pure; the edit touches the host only
 * for named volumes and -v's missing host directories, as docker does. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct husk_error;
struct config_edit_ctx;

struct run_flags {
  json_t *mounts;             /* -v, --mount, --tmpfs in order (internal form, see .c) */
  bool read_only;             /* --read-only: root.readonly */
  const char *workdir;        /* -w: process.cwd */
  json_t *cap_add, *cap_drop; /* CAP_* names or "ALL" */
  int no_new_privileges;      /* --security-opt no-new-privileges[:BOOL]; -1: not given */
  bool seccomp_unconfined;    /* --security-opt seccomp=unconfined: no linux.seccomp */
  json_t *seccomp_profile;    /* --security-opt seccomp=FILE: Docker's profile format */
  const char *apparmor;       /* --security-opt apparmor=PROFILE */
  bool pids_set;
  int64_t pids_limit; /* --pids-limit: -1 unlimited */
  int64_t cpus_nano;  /* --cpus in billionths of a CPU; 0: not given */
  bool swap_set;
  int64_t memory_swap; /* --memory-swap: memory + swap in bytes, -1 unlimited */
  json_t *rlimits;     /* --ulimit: process.rlimits entries */
  int64_t shm_size;    /* --shm-size in bytes; 0: not given */
  json_t *sysctl;      /* --sysctl: linux.sysctl */
  json_t *labels;      /* --label: annotations */
  bool init;           /* --init: husk's reaper is the container's pid 1 */
  bool interactive;    /* -i */
  bool tty;            /* -t: process.terminal */
};

void run_flags_init(struct run_flags *f);
void run_flags_free(struct run_flags *f);
#define _cleanup_run_flags_ __attribute__((cleanup(run_flags_free)))

enum {
  RUN_FLAG_MOUNT = 450,
  RUN_FLAG_TMPFS,
  RUN_FLAG_READ_ONLY,
  RUN_FLAG_CAP_ADD,
  RUN_FLAG_CAP_DROP,
  RUN_FLAG_SECURITY_OPT,
  RUN_FLAG_PIDS_LIMIT,
  RUN_FLAG_CPUS,
  RUN_FLAG_MEMORY_SWAP,
  RUN_FLAG_ULIMIT,
  RUN_FLAG_SHM_SIZE,
  RUN_FLAG_SYSCTL,
  RUN_FLAG_LABEL,
  RUN_FLAG_INIT,
};
#define RUN_FLAGS_LONG_OPTIONS                                                                     \
  {"volume", required_argument, NULL, 'v'}, {"mount", required_argument, NULL, RUN_FLAG_MOUNT},    \
      {"tmpfs", required_argument, NULL, RUN_FLAG_TMPFS},                                          \
      {"read-only", no_argument, NULL, RUN_FLAG_READ_ONLY},                                        \
      {"workdir", required_argument, NULL, 'w'},                                                   \
      {"cap-add", required_argument, NULL, RUN_FLAG_CAP_ADD},                                      \
      {"cap-drop", required_argument, NULL, RUN_FLAG_CAP_DROP},                                    \
      {"security-opt", required_argument, NULL, RUN_FLAG_SECURITY_OPT},                            \
      {"pids-limit", required_argument, NULL, RUN_FLAG_PIDS_LIMIT},                                \
      {"cpus", required_argument, NULL, RUN_FLAG_CPUS},                                            \
      {"memory-swap", required_argument, NULL, RUN_FLAG_MEMORY_SWAP},                              \
      {"ulimit", required_argument, NULL, RUN_FLAG_ULIMIT},                                        \
      {"shm-size", required_argument, NULL, RUN_FLAG_SHM_SIZE},                                    \
      {"sysctl", required_argument, NULL, RUN_FLAG_SYSCTL},                                        \
      {"label", required_argument, NULL, RUN_FLAG_LABEL},                                          \
      {"init", no_argument, NULL, RUN_FLAG_INIT}, {"interactive", no_argument, NULL, 'i'}, {       \
    "tty", no_argument, NULL, 't'                                                                  \
  }
#define RUN_FLAGS_SHORT_OPTIONS "v:w:it"
#define RUN_FLAGS_USAGE                                                                            \
  "[-v|--volume SRC:DST[:OPTS]] [--mount type=bind|volume|tmpfs,...] [--tmpfs DST[:OPTS]] "        \
  "[--read-only] [-w|--workdir DIR] [--cap-add CAP] [--cap-drop CAP] [--security-opt OPT] "        \
  "[--pids-limit N] [--cpus N] [--memory-swap SIZE] [--ulimit NAME=SOFT[:HARD]] "                  \
  "[--shm-size SIZE] [--sysctl K=V] [--label K=V] [--init] [-i|--interactive] [-t|--tty]"

/* One of these flags (arg is getopt's optarg): 0 taken, 1 not one of them, <0 bad. */
int run_flags_parse(int c, const char *arg, struct run_flags *f, struct husk_error **err);
/* What needs all the flags (memory is -m's bytes, 0 when not given): --memory-swap against
 * it, as docker checks. */
int run_flags_check(const struct run_flags *f, int64_t memory, struct husk_error **err);
/* Merge what these flags set into patch (an object). */
void run_flags_patch(const struct run_flags *f, json_t *patch);
/* The flags as run.json keeps them for `husk start`, and back (the strings of ret point into
 * j, which must outlive it). */
json_t *run_flags_to_json(const struct run_flags *f);
int run_flags_from_json(const json_t *j, struct run_flags *ret, struct husk_error **err);
/* Whether run_flags_edit has anything to do. */
bool run_flags_edits(const struct run_flags *f);
/* create_options.config_edit: arg is the struct run_flags. */
int run_flags_edit(json_t *doc, const struct config_edit_ctx *ctx, const void *arg,
                   struct husk_error **err);

/* The pieces, for the unit tests. */
/* Docker's --cpus: "1.5" → 1500000000. */
int parse_cpus(const char *text, int64_t *ret_nano, struct husk_error **err);
/* Docker's TweakCapabilities: base without drops, plus adds; ALL in either as docker has it.
 * A new array. */
json_t *capabilities_tweak(const json_t *base, const json_t *add, const json_t *drop);
