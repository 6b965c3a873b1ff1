/* seccomp.c: linux.seccomp → a BPF program. libseccomp builds and exports the filter in the
 * parent; the container's init only hands the exported instructions to seccomp(2). */
#include "seccomp.h"

#include <ctype.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "spec/spec.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define ARCH_PREFIX "SCMP_ARCH_"

static const struct {
  const char *name;
  unsigned flag;
} flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static const struct {
  const char *name;
  enum scmp_compare op;
} operator_names[] = {
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    {"SCMP_CMP_NE", SCMP_CMP_NE},
};

/* Actions husk translates; SCMP_ACT_NOTIFY is refused (it needs a listener). The errno of
 * SCMP_ACT_ERRNO and the message number of SCMP_ACT_TRACE go in the low 16 bits. */
static const struct {
  const char *name;
  uint32_t action;
  bool takes_errno;
} actions[] = {
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
};

/* Every architecture libseccomp may know, as seccomp_arch_resolve_name spells it. */
static const char *const arch_names[] = {
    "aarch64",  "arm",         "loongarch64", "m68k",     "mips", "mips64", "mips64n32", "mipsel",
    "mipsel64", "mipsel64n32", "parisc",      "parisc64", "ppc",  "ppc64",  "ppc64le",   "riscv64",
    "s390",     "s390x",       "sh",          "sheb",     "x32",  "x86",    "x86_64",
};

int seccomp_action_parse(const char *name, const unsigned *errno_ret, const char *at,
                         const char *errno_at, uint32_t *ret_action, struct husk_error **err) {
  if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
    return husk_error_set(
        err, ENOTSUP, "%s: SCMP_ACT_NOTIFY needs a listenerPath, which husk does not support", at);
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
    if (strcmp(name, actions[i].name) != 0)
      continue;
    /* The runtime spec: an errno given with an action that has none is an error. */
    if (errno_ret && !actions[i].takes_errno)
      return husk_error_set(err, EINVAL,
                            "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s",
                            errno_at, name);
    /* The kernel keeps 16 bits of SECCOMP_RET_DATA. */
    if (errno_ret && *errno_ret > 0xffff)
      return husk_error_set(err, EINVAL, "%s: %u is out of range (at most 65535)", errno_at,
                            *errno_ret);
    uint32_t data = errno_ret ? *errno_ret : EPERM;
    *ret_action = actions[i].action | (actions[i].takes_errno ? data : 0);
    return 0;
  }
  return husk_error_set(err, EINVAL, "%s: unknown action \"%s\"", at, name);
}

int seccomp_operator_parse(const char *name, const char *at, enum scmp_compare *ret_op,
                           struct husk_error **err) {
  for (size_t i = 0; i < ARRAY_SIZE(operator_names); i++) {
    if (strcmp(name, operator_names[i].name) == 0) {
      *ret_op = operator_names[i].op;
      return 0;
    }
  }
  return husk_error_set(err, EINVAL, "%s: unknown operator \"%s\"", at, name);
}

int seccomp_arch_parse(const char *name, const char *at, uint32_t *ret_arch,
                       struct husk_error **err) {
  uint32_t arch = 0;
  if (str_has_prefix(name, ARCH_PREFIX)) {
    _cleanup_free_ char *lower = xstrdup(name + strlen(ARCH_PREFIX));
    for (char *p = lower; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    arch = seccomp_arch_resolve_name(lower);
  }
  if (arch == 0)
    return husk_error_set(err, EINVAL, "%s: unknown architecture \"%s\"", at, name);
  *ret_arch = arch;
  return 0;
}

int seccomp_flag_parse(const char *name, const char *at, unsigned *ret_flag,
                       struct husk_error **err) {
  for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
    if (strcmp(name, flag_names[i].name) == 0) {
      *ret_flag = flag_names[i].flag;
      return 0;
    }
  }
  return husk_error_set(err, EINVAL, "%s: unknown flag \"%s\"", at, name);
}

/* The kernel checks the flags before it reads the program: a NULL program fails with EFAULT
 * when the flags are fine and EINVAL when one is unknown. WAIT_KILLABLE_RECV is only
 * accepted together with NEW_LISTENER. */
bool seccomp_kernel_has_flag(unsigned flag) {
  unsigned probe = flag;
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, NULL);
  return r < 0 && errno == EFAULT;
}

/* "SECCOMP_FILTER_FLAG_LOG|..." or "0", into buf: the child must not allocate. */
static const char *flags_string(unsigned flags, char *buf, size_t size) {
  buf[0] = '\0';
  size_t len = 0;
  for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
    if (!(flags & flag_names[i].flag))
      continue;
    int n = snprintf(buf + len, size - len, "%s%s", len ? "|" : "", flag_names[i].name);
    if (n < 0 || (size_t)n >= size - len)
      break;
    len += (size_t)n;
  }
  return len ? buf : "0";
}

static void filter_releasep(scmp_filter_ctx *ctx) {
  if (*ctx)
    seccomp_release(*ctx);
}
#define _cleanup_filter_ __attribute__((cleanup(filter_releasep)))

static int add_architectures(scmp_filter_ctx ctx, const struct spec_seccomp *cfg,
                             struct husk_error **err) {
  for (size_t i = 0; cfg->architectures[i]; i++) {
    _cleanup_free_ char *at = xasprintf("linux.seccomp.architectures[%zu]", i);
    uint32_t arch;
    int r = seccomp_arch_parse(cfg->architectures[i], at, &arch, err);
    if (r < 0)
      return r;
    r = seccomp_arch_add(ctx, arch);
    if (r < 0 && r != -EEXIST) /* the native architecture is always there */
      return husk_error_errno(err, -r, "%s: add %s", at, cfg->architectures[i]);
  }
  return 0;
}

static int parse_flags(const struct spec_seccomp *cfg, unsigned *ret_flags,
                       struct husk_error **err) {
  unsigned flags = 0;
  for (size_t i = 0; cfg->flags[i]; i++) {
    _cleanup_free_ char *at = xasprintf("linux.seccomp.flags[%zu]", i);
    unsigned flag;
    int r = seccomp_flag_parse(cfg->flags[i], at, &flag, err);
    if (r < 0)
      return r;
    if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
      log_debug("%s: %s only applies to a notify listener, which husk does not make; skipped", at,
                cfg->flags[i]);
    else if (!seccomp_kernel_has_flag(flag))
      log_debug("%s: this kernel does not support %s; skipped", at, cfg->flags[i]);
    else
      flags |= flag;
  }
  *ret_flags = flags;
  return 0;
}

/* The args of one linux.seccomp.syscalls entry as libseccomp conditions; *ret_split says
 * whether an index repeats: libseccomp ANDs a rule's conditions and refuses a repeated
 * index, so then each condition becomes a rule of its own (as runc does). */
static int parse_args(const struct spec_seccomp_syscall *sc, const char *at,
                      struct scmp_arg_cmp *conds, bool *ret_split, struct husk_error **err) {
  unsigned seen = 0;
  bool split = false;
  for (size_t k = 0; k < sc->n_args; k++) {
    const struct spec_seccomp_arg *a = &sc->args[k];
    _cleanup_free_ char *op_at = xasprintf("%s.args[%zu].op", at, k);
    enum scmp_compare op;
    int r = seccomp_operator_parse(a->op, op_at, &op, err);
    if (r < 0)
      return r;
    /* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the value after masking. */
    conds[k] = (struct scmp_arg_cmp){
        .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two};
    split = split || (seen & (1U << a->index));
    seen |= 1U << a->index;
  }
  *ret_split = split;
  return 0;
}

static int add_rule(scmp_filter_ctx ctx, const char *at, const char *name, uint32_t action,
                    const struct scmp_arg_cmp *conds, size_t n, bool split,
                    struct husk_error **err) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) {
    log_debug("%s: unknown syscall \"%s\" skipped", at, name);
    return 0;
  }
  int r = 0;
  if (split) {
    for (size_t k = 0; k < n && r >= 0; k++)
      r = seccomp_rule_add_array(ctx, action, nr, 1, &conds[k]);
  } else {
    r = seccomp_rule_add_array(ctx, action, nr, (unsigned)n, conds);
  }
  if (r < 0)
    return husk_error_errno(err, -r, "%s: add the rule for %s", at, name);
  return 0;
}

static int add_syscalls(scmp_filter_ctx ctx, const struct spec_seccomp *cfg,
                        uint32_t default_action, struct husk_error **err) {
  for (size_t i = 0; i < cfg->n_syscalls; i++) {
    const struct spec_seccomp_syscall *sc = &cfg->syscalls[i];
    _cleanup_free_ char *at = xasprintf("linux.seccomp.syscalls[%zu]", i);
    _cleanup_free_ char *action_at = xasprintf("%s.action", at);
    _cleanup_free_ char *errno_at = xasprintf("%s.errnoRet", at);
    uint32_t action;
    int r = seccomp_action_parse(sc->action, sc->has_errno_ret ? &sc->errno_ret : NULL, action_at,
                                 errno_at, &action, err);
    if (r < 0)
      return r;
    _cleanup_free_ struct scmp_arg_cmp *conds = xcalloc(sc->n_args + 1, sizeof(*conds));
    bool split = false;
    r = parse_args(sc, at, conds, &split, err);
    if (r < 0)
      return r;
    /* libseccomp refuses a rule that only repeats the default action; it changes nothing. */
    if (action == default_action) {
      log_debug("%s: %s is the default action; skipped", at, sc->action);
      continue;
    }
    for (size_t j = 0; sc->names[j]; j++) {
      r = add_rule(ctx, at, sc->names[j], action, conds, sc->n_args, split, err);
      if (r < 0)
        return r;
    }
  }
  return 0;
}

/* seccomp_export_bpf writes to an fd: a memfd, read back whole. */
static int export_program(scmp_filter_ctx ctx, struct seccomp_program *p, struct husk_error **err) {
  _cleanup_close_ int fd = memfd_create("husk:seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return husk_error_sys(err, "memfd_create");
  int r = seccomp_export_bpf(ctx, fd);
  if (r < 0)
    return husk_error_errno(err, -r, "linux.seccomp: export the filter");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return husk_error_sys(err, "linux.seccomp: size of the exported filter");
  size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
  if (n == 0 || (size_t)st.st_size % sizeof(struct sock_filter) != 0)
    return husk_error_set(err, EIO, "linux.seccomp: libseccomp exported %lld bytes of BPF",
                          (long long)st.st_size);
  if (n > BPF_MAXINSNS)
    return husk_error_set(err, E2BIG,
                          "linux.seccomp: the filter has %zu instructions, more than the "
                          "kernel's limit of %d",
                          n, BPF_MAXINSNS);
  p->insns = xcalloc(n, sizeof(struct sock_filter));
  ssize_t got = pread(fd, p->insns, n * sizeof(struct sock_filter), 0);
  if (got < 0)
    return husk_error_sys(err, "linux.seccomp: read the exported filter");
  if ((size_t)got != n * sizeof(struct sock_filter))
    return husk_error_set(err, EIO, "linux.seccomp: short read of the exported filter");
  p->n_insns = (unsigned short)n;
  return 0;
}

int seccomp_compile(const struct spec_seccomp *cfg, struct seccomp_program **ret,
                    struct husk_error **err) {
  if (cfg->listener_path)
    return husk_error_set(err, ENOTSUP,
                          "linux.seccomp.listenerPath: husk does not support seccomp notify "
                          "listeners");
  uint32_t default_action;
  int r = seccomp_action_parse(
      cfg->default_action, cfg->has_default_errno_ret ? &cfg->default_errno_ret : NULL,
      "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet", &default_action, err);
  if (r < 0)
    return r;
  unsigned flags;
  r = parse_flags(cfg, &flags, err);
  if (r < 0)
    return r;
  _cleanup_filter_ scmp_filter_ctx ctx = seccomp_init(default_action);
  if (!ctx)
    return husk_error_set(err, EINVAL,
                          "linux.seccomp.defaultAction: libseccomp refuses %s on this kernel",
                          cfg->default_action);
  /* husk sets no_new_privs itself, from process.noNewPrivileges. */
  r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r < 0)
    return husk_error_errno(err, -r, "linux.seccomp: unset the filter's no_new_privs");
  r = add_architectures(ctx, cfg, err);
  if (r < 0)
    return r;
  r = add_syscalls(ctx, cfg, default_action, err);
  if (r < 0)
    return r;
  struct seccomp_program *p = xcalloc(1, sizeof(*p));
  p->flags = flags;
  r = export_program(ctx, p, err);
  if (r < 0) {
    seccomp_program_free(p);
    return r;
  }
  char fbuf[160];
  log_debug("seccomp: %u BPF instructions, flags %s", p->n_insns,
            flags_string(flags, fbuf, sizeof(fbuf)));
  *ret = p;
  return 0;
}

int seccomp_program_load(const struct seccomp_program *p, struct husk_error **err) {
  struct sock_fprog prog = {.len = p->n_insns, .filter = p->insns};
  char fbuf[160];
  const char *fs = flags_string(p->flags, fbuf, sizeof(fbuf));
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
  if (r < 0 && errno == ENOSYS && p->flags == 0) {
    r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    TRACE(r, "filter the process's syscalls as linux.seccomp says",
          "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, %u instructions)", (unsigned)p->n_insns);
  } else {
    TRACE(r, "filter the process's syscalls as linux.seccomp says",
          "seccomp(SECCOMP_SET_MODE_FILTER, %s, %u instructions)", fs, (unsigned)p->n_insns);
  }
  /* With TSYNC a positive result is the id of a thread that could not be synchronised. */
  if (r > 0)
    return husk_error_set(err, EAGAIN, "seccomp: thread %ld cannot take the filter", r);
  if (r < 0)
    return husk_error_sys(err, "seccomp(SECCOMP_SET_MODE_FILTER, %s)", fs);
  return 0;
}

void seccomp_program_free(struct seccomp_program *p) {
  if (!p)
    return;
  free(p->insns);
  free(p);
}

static json_t *string_array(const char *const *names, size_t n) {
  json_t *a = json_array();
  if (!a)
    abort();
  for (size_t i = 0; i < n; i++)
    if (json_array_append_new(a, json_string(names[i])) < 0)
      abort();
  return a;
}

json_t *seccomp_features(void) {
  const char *ops[ARRAY_SIZE(operator_names)];
  for (size_t i = 0; i < ARRAY_SIZE(operator_names); i++)
    ops[i] = operator_names[i].name;
  json_t *archs = json_array();
  json_t *known = json_array();
  json_t *supported = json_array();
  if (!archs || !known || !supported)
    abort();
  for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++) {
    if (seccomp_arch_resolve_name(arch_names[i]) == 0)
      continue;
    _cleanup_free_ char *upper = xasprintf(ARCH_PREFIX "%s", arch_names[i]);
    for (char *p = upper + strlen(ARCH_PREFIX); *p; p++)
      *p = (char)toupper((unsigned char)*p);
    json_array_append_new(archs, json_string(upper));
  }
  for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
    unsigned flag = flag_names[i].flag;
    json_array_append_new(known, json_string(flag_names[i].name));
    /* WAIT_KILLABLE_RECV is accepted but has nothing to act on without a listener. */
    if (flag != SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && seccomp_kernel_has_flag(flag))
      json_array_append_new(supported, json_string(flag_names[i].name));
  }
  const char *action_names[ARRAY_SIZE(actions)];
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
    action_names[i] = actions[i].name;
  json_t *j = json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions",
                        string_array(action_names, ARRAY_SIZE(action_names)), "operators",
                        string_array(ops, ARRAY_SIZE(ops)), "archs", archs, "knownFlags", known,
                        "supportedFlags", supported);
  if (!j)
    abort();
  return j;
}
