/* seccomp.h: linux.seccomp turned into a BPF program by libseccomp in `husk create` (the
 * parent), loaded by the container's init just before execve, and the default profile that
 * `husk spec` writes (DESIGN.md §6: never hand-written BPF). */
#pragma once

#include <jansson.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>

struct husk_error;
struct spec_seccomp;

/* A compiled filter: what seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) takes. */
struct seccomp_program {
  struct sock_filter *insns;
  unsigned short n_insns;
  unsigned flags; /* SECCOMP_FILTER_FLAG_*, only those the kernel supports */
};

/* Runs in the parent before clone: translate the config with libseccomp and export the BPF.
 * Unknown syscall names are skipped (profiles list syscalls of newer kernels); unknown
 * actions, operators, architectures and flags are errors naming the JSON path. */
int seccomp_compile(const struct spec_seccomp *cfg, struct seccomp_program **ret,
                    struct husk_error **err);

/* Runs in the container's init, the last step before execve; allocates nothing. (Not
 * seccomp_load: libseccomp has a function of that name.) */
int seccomp_program_load(const struct seccomp_program *p, struct husk_error **err);

void seccomp_program_free(struct seccomp_program *p);
static inline void seccomp_program_freep(struct seccomp_program **p) {
  seccomp_program_free(*p);
  *p = NULL;
}
#define _cleanup_seccomp_program_ __attribute__((cleanup(seccomp_program_freep)))

/* The pieces of the translation, exposed for the unit tests. `at` is the JSON path used in
 * error messages, e.g. "linux.seccomp.syscalls[2].action". */

/* An action name and its errnoRet (NULL when absent; EPERM then) → libseccomp action. */
int seccomp_action_parse(const char *name, const unsigned *errno_ret, const char *at,
                         const char *errno_at, uint32_t *ret_action, struct husk_error **err);
/* "SCMP_CMP_EQ", ... → SCMP_CMP_EQ, ... */
int seccomp_operator_parse(const char *name, const char *at, enum scmp_compare *ret_op,
                           struct husk_error **err);
/* "SCMP_ARCH_X86_64", ... → the libseccomp arch token. */
int seccomp_arch_parse(const char *name, const char *at, uint32_t *ret_arch,
                       struct husk_error **err);
/* "SECCOMP_FILTER_FLAG_LOG", ... → the flag's bit for seccomp(2). */
int seccomp_flag_parse(const char *name, const char *at, unsigned *ret_flag,
                       struct husk_error **err);
/* Whether this kernel accepts the flag in seccomp(SECCOMP_SET_MODE_FILTER). */
bool seccomp_kernel_has_flag(unsigned flag);

/* The "seccomp" object of `husk features` (runtime-spec features.md). */
json_t *seccomp_features(void);

/* The linux.seccomp object `husk spec` writes (profile.c): Docker's default profile for this
 * architecture and Docker's default capability set. */
json_t *seccomp_default_profile(void);

/* A profile in Docker's format (docker.c: archMap, name or names, includes and excludes by
 * arch, capability and minKernel) as the linux.seccomp object Docker would give a container
 * whose effective capabilities are caps (an array of "CAP_*"). A new object in *ret. */
int seccomp_from_docker(const json_t *profile, const json_t *caps, json_t **ret,
                        struct husk_error **err);
