/* run_flags.c: docker run's everyday flags (run_flags.h): parsing all but the mounts
 * (run_mounts.c), and the merge patch. Mounts are kept in an internal form until the edit
 * (run_flags_edit.c): an OCI mount object whose type may be "volume" (source a volume name,
 * made up for an anonymous one), with "husk.mkdir" on -v's binds (a missing host directory is
 * made, as docker's -v does) and "husk.nocopy" on volumes. */
#include "run_flags_internal.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "process/capabilities.h"
#include "run_options.h"
#include "spec/annotations.h"

void run_flags_init(struct run_flags *f) { *f = (struct run_flags){.no_new_privileges = -1}; }

void run_flags_free(struct run_flags *f) {
  json_decref(f->mounts);
  json_decref(f->cap_add);
  json_decref(f->cap_drop);
  json_decref(f->seccomp_profile);
  json_decref(f->rlimits);
  json_decref(f->sysctl);
  json_decref(f->labels);
  run_flags_init(f);
}

static json_t *json_or_null(json_t *v) { return v ? json_incref(v) : json_null(); }
static json_t *json_taken(const json_t *j, const char *key) {
  json_t *v = json_object_get(j, key);
  return v && !json_is_null(v) ? json_incref(v) : NULL;
}

json_t *run_flags_to_json(const struct run_flags *f) {
  json_t *j = json_pack(
      "{s:o, s:b, s:o, s:o, s:i, s:b, s:o, s:b, s:I, s:I, s:b, s:I, s:o, s:I, s:o, s:o, s:b, "
      "s:b, s:b}",
      "mounts", json_or_null(f->mounts), "readOnly", f->read_only, "capAdd",
      json_or_null(f->cap_add), "capDrop", json_or_null(f->cap_drop), "noNewPrivileges",
      f->no_new_privileges, "seccompUnconfined", f->seccomp_unconfined, "seccompProfile",
      json_or_null(f->seccomp_profile), "pidsSet", f->pids_set, "pidsLimit",
      (json_int_t)f->pids_limit, "cpusNano", (json_int_t)f->cpus_nano, "swapSet", f->swap_set,
      "memorySwap", (json_int_t)f->memory_swap, "rlimits", json_or_null(f->rlimits), "shmSize",
      (json_int_t)f->shm_size, "sysctl", json_or_null(f->sysctl), "labels", json_or_null(f->labels),
      "init", f->init, "interactive", f->interactive, "tty", f->tty);
  if (f->workdir)
    json_object_set_new(j, "workdir", json_string(f->workdir));
  if (f->apparmor)
    json_object_set_new(j, "apparmor", json_string(f->apparmor));
  return j;
}

int run_flags_from_json(const json_t *j, struct run_flags *ret, struct husk_error **err) {
  run_flags_init(ret);
  int read_only = 0, unconfined = 0, pids_set = 0, swap_set = 0, init = 0, interactive = 0, tty = 0,
      nnp = -1;
  json_int_t pids = 0, cpus = 0, swap = 0, shm = 0;
  if (json_unpack((json_t *)j, "{s:b, s:i, s:b, s:b, s:I, s:I, s:b, s:I, s:I, s:b, s:b, s:b}",
                  "readOnly", &read_only, "noNewPrivileges", &nnp, "seccompUnconfined", &unconfined,
                  "pidsSet", &pids_set, "pidsLimit", &pids, "cpusNano", &cpus, "swapSet", &swap_set,
                  "memorySwap", &swap, "shmSize", &shm, "init", &init, "interactive", &interactive,
                  "tty", &tty) < 0)
    return husk_error_set(err, EINVAL, "run's flags: not what husk run wrote");
  *ret = (struct run_flags){.mounts = json_taken(j, "mounts"),
                            .read_only = read_only,
                            .workdir = json_string_value(json_object_get(j, "workdir")),
                            .cap_add = json_taken(j, "capAdd"),
                            .cap_drop = json_taken(j, "capDrop"),
                            .no_new_privileges = nnp,
                            .seccomp_unconfined = unconfined,
                            .seccomp_profile = json_taken(j, "seccompProfile"),
                            .apparmor = json_string_value(json_object_get(j, "apparmor")),
                            .pids_set = pids_set,
                            .pids_limit = pids,
                            .cpus_nano = cpus,
                            .swap_set = swap_set,
                            .memory_swap = swap,
                            .rlimits = json_taken(j, "rlimits"),
                            .shm_size = shm,
                            .sysctl = json_taken(j, "sysctl"),
                            .labels = json_taken(j, "labels"),
                            .init = init,
                            .interactive = interactive,
                            .tty = tty};
  return 0;
}

json_t *run_flags_array_of(json_t **a) {
  if (!*a)
    *a = json_array();
  return *a;
}

json_t *run_flags_object_of(json_t **o) {
  if (!*o)
    *o = json_object();
  return *o;
}

/* The object at key in o, made when missing. */
json_t *run_flags_member(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_object(v)) {
    v = json_object();
    json_object_set_new(o, key, v);
  }
  return v;
}

/* ---- capabilities ---- */

/* "net_admin", "CAP_NET_ADMIN", "all" → "CAP_NET_ADMIN" or "ALL", checked. */
static int parse_cap(const char *flag, const char *arg, json_t **list, struct husk_error **err) {
  _cleanup_free_ char *name = NULL;
  if (strcasecmp(arg, "ALL") == 0) {
    name = xstrdup("ALL");
  } else {
    name = strncasecmp(arg, "CAP_", 4) == 0 ? xstrdup(arg) : xasprintf("CAP_%s", arg);
    for (char *p = name; *p; p++)
      *p = (char)toupper((unsigned char)*p);
    int v;
    int r = capability_from_name(name, flag, &v, err);
    if (r < 0)
      return r;
  }
  json_array_append_new(run_flags_array_of(list), json_string(name));
  return 0;
}

/* ---- --security-opt ---- */

static int parse_security_opt(struct run_flags *f, const char *opt, struct husk_error **err) {
  if (strcmp(opt, "no-new-privileges") == 0) {
    f->no_new_privileges = 1;
    return 0;
  }
  const char *sep = strchr(opt, '=');
  if (!sep)
    sep = strchr(opt, ':');
  if (!sep)
    return husk_error_set(err, EINVAL, "invalid --security-opt 1: \"%s\"", opt);
  _cleanup_free_ char *key = strndup(opt, (size_t)(sep - opt));
  const char *val = sep + 1;
  if (strcmp(key, "no-new-privileges") == 0) {
    bool b;
    if (run_flags_parse_bool(val, &b) < 0)
      return husk_error_set(err, EINVAL, "invalid --security-opt 2: \"%s\"", opt);
    f->no_new_privileges = b;
    return 0;
  }
  if (strcmp(key, "apparmor") == 0) {
    f->apparmor = val;
    return 0;
  }
  if (strcmp(key, "seccomp") != 0)
    return husk_error_set(err, EINVAL, "invalid --security-opt 2: \"%s\"", opt);
  json_decref(TAKE_PTR(f->seccomp_profile));
  f->seccomp_unconfined = strcmp(val, "unconfined") == 0;
  if (f->seccomp_unconfined)
    return 0;
  /* read up to HUSK_FILE_MAX, as config.json is: /dev/zero must not hang husk */
  _cleanup_free_ char *text = NULL;
  _cleanup_error_ struct husk_error *read_err = NULL;
  if (read_file_at(AT_FDCWD, val, HUSK_FILE_MAX, &text, &read_err) < 0)
    return husk_error_set(err, read_err->code, "opening seccomp profile (%s) failed: %s", val,
                          read_err->message);
  json_error_t je;
  f->seccomp_profile = json_loads(text, 0, &je);
  if (!f->seccomp_profile)
    return husk_error_set(err, EINVAL, "Decoding seccomp profile failed: %s: line %d: %s", val,
                          je.line, je.text);
  if (!json_is_object(f->seccomp_profile))
    return husk_error_set(err, EINVAL, "Decoding seccomp profile failed: %s: not an object", val);
  return 0;
}

/* ---- resources ---- */

int parse_cpus(const char *text, int64_t *ret_nano, struct husk_error **err) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || *end || v < 0 || !isdigit((unsigned char)*text))
    return husk_error_set(err, EINVAL, "--cpus: failed to parse %s as a rational number", text);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  double nano = v * 1e9;
  /* The kernel's quota floor is 1 ms per 100 ms period: 0.01 CPUs. */
  if (nano > 0 && (nano < 1e7 || (n > 0 && nano > (double)n * 1e9)))
    return husk_error_set(err, EINVAL,
                          "--cpus: Range of CPUs is from 0.01 to %ld.00, as there are only %ld "
                          "CPUs available",
                          n, n);
  *ret_nano = (int64_t)(nano + 0.5);
  return 0;
}

static int parse_int64(const char *flag, const char *text, int64_t *ret, struct husk_error **err) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || end == text || *end)
    return husk_error_set(err, EINVAL, "%s: expected a whole number, not \"%s\"", flag, text);
  *ret = v;
  return 0;
}

/* --ulimit NAME=SOFT[:HARD] (docker's units.ParseUlimit). */
static int parse_ulimit(struct run_flags *f, const char *spec, struct husk_error **err) {
  static const char *const names[] = {
      "core",  "cpu", "data",   "fsize",  "locks",      "memlock", "msgqueue", "nice", "nofile",
      "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",   "as",       NULL};
  const char *eq = strchr(spec, '=');
  if (!eq)
    return husk_error_set(err, EINVAL, "--ulimit: invalid ulimit argument: %s", spec);
  _cleanup_free_ char *name = strndup(spec, (size_t)(eq - spec));
  if (!run_flags_is_one_of(name, names))
    return husk_error_set(err, EINVAL, "--ulimit: invalid ulimit type: %s", name);
  _cleanup_free_ char *values = xstrdup(eq + 1);
  char *colon = strchr(values, ':');
  if (colon)
    *colon++ = '\0';
  char *end;
  errno = 0;
  long long soft = strtoll(values, &end, 10);
  if (errno || end == values || *end)
    return husk_error_set(err, EINVAL, "--ulimit: invalid ulimit soft value %s", values);
  long long hard = soft;
  if (colon) {
    errno = 0;
    hard = strtoll(colon, &end, 10);
    if (errno || end == colon || *end)
      return husk_error_set(err, EINVAL, "--ulimit: invalid ulimit hard value %s", colon);
  }
  /* -1 is unlimited; as unsigned numbers the kernel compares them. */
  if ((unsigned long long)soft > (unsigned long long)hard)
    return husk_error_set(err, EINVAL,
                          "--ulimit: ulimit soft limit must be less than or equal to hard limit: "
                          "%lld > %lld",
                          soft, hard);
  if (soft < -1 || hard < -1)
    return husk_error_set(err, EINVAL, "--ulimit: invalid ulimit value %s", eq + 1);
  _cleanup_free_ char *type = xasprintf("RLIMIT_%s", name);
  for (char *p = type; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  json_t *list = run_flags_array_of(&f->rlimits);
  for (size_t i = json_array_size(list); i-- > 0;)
    if (strcmp(json_string_value(json_object_get(json_array_get(list, i), "type")), type) == 0)
      json_array_remove(list, i);
  json_array_append_new(list, json_pack("{s:s, s:I, s:I}", "type", type, "soft", (json_int_t)soft,
                                        "hard", (json_int_t)hard));
  return 0;
}

/* --sysctl K=V, the namespaced sysctls docker lets a container set (opts.ValidateSysctl). */
static int parse_sysctl(struct run_flags *f, const char *spec, struct husk_error **err) {
  static const char *const names[] = {"kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced", NULL};
  const char *eq = strchr(spec, '=');
  _cleanup_free_ char *key = eq ? strndup(spec, (size_t)(eq - spec)) : NULL;
  if (!key || !*key ||
      !(run_flags_is_one_of(key, names) || str_has_prefix(key, "net.") ||
        str_has_prefix(key, "fs.mqueue.")))
    return husk_error_set(err, EINVAL, "--sysctl: sysctl '%s' is not whitelisted", spec);
  json_object_set_new(run_flags_object_of(&f->sysctl), key, json_string(eq + 1));
  return 0;
}

static int parse_label(struct run_flags *f, const char *spec, struct husk_error **err) {
  const char *eq = strchr(spec, '=');
  _cleanup_free_ char *key = eq ? strndup(spec, (size_t)(eq - spec)) : xstrdup(spec);
  if (!*key)
    return husk_error_set(err, EINVAL, "--label: invalid label '%s': empty name", spec);
  if (str_has_prefix(key, "io.husk."))
    return husk_error_set(err, EINVAL,
                          "--label: %s: io.husk.* annotations are husk's own, not labels", key);
  json_object_set_new(run_flags_object_of(&f->labels), key, json_string(eq ? eq + 1 : ""));
  return 0;
}

static int parse_size_flag(const char *flag, const char *arg, int64_t *ret,
                           struct husk_error **err) {
  int r = parse_memory_size(arg, ret, err);
  return r < 0 ? husk_error_wrap(err, "%s", flag) : 0;
}

/* What goes into config.json must be text JSON can hold. */
static bool utf8_ok(const char *arg) {
  json_t *s = arg ? json_string(arg) : NULL;
  json_decref(s);
  return !arg || s;
}

int run_flags_parse(int c, const char *arg, struct run_flags *f, struct husk_error **err) {
  if (!utf8_ok(arg))
    return husk_error_set(err, EINVAL, "\"%s\": not valid UTF-8", arg);
  switch (c) {
  case 'v': return run_flags_parse_volume(f, arg, err) < 0 ? husk_error_wrap(err, "--volume") : 0;
  case RUN_FLAG_MOUNT:
    return run_flags_parse_mount(f, arg, err) < 0 ? husk_error_wrap(err, "--mount") : 0;
  case RUN_FLAG_TMPFS: return run_flags_parse_tmpfs(f, arg, err);
  case RUN_FLAG_READ_ONLY: f->read_only = true; return 0;
  case 'w':
    if (arg[0] != '/')
      return husk_error_set(err, EINVAL,
                            "--workdir: the working directory '%s' is invalid, it needs to be an "
                            "absolute path",
                            arg);
    f->workdir = arg;
    return 0;
  case RUN_FLAG_CAP_ADD: return parse_cap("--cap-add", arg, &f->cap_add, err);
  case RUN_FLAG_CAP_DROP: return parse_cap("--cap-drop", arg, &f->cap_drop, err);
  case RUN_FLAG_SECURITY_OPT: return parse_security_opt(f, arg, err);
  case RUN_FLAG_PIDS_LIMIT: {
    int r = parse_int64("--pids-limit", arg, &f->pids_limit, err);
    if (r < 0)
      return r;
    f->pids_set = true;
    if (f->pids_limit <= 0) /* docker: 0 and -1 both mean unlimited */
      f->pids_limit = -1;
    return 0;
  }
  case RUN_FLAG_CPUS: return parse_cpus(arg, &f->cpus_nano, err);
  case RUN_FLAG_MEMORY_SWAP:
    f->swap_set = true;
    if (strcmp(arg, "-1") == 0) {
      f->memory_swap = -1;
      return 0;
    }
    return parse_size_flag("--memory-swap", arg, &f->memory_swap, err);
  case RUN_FLAG_ULIMIT: return parse_ulimit(f, arg, err);
  case RUN_FLAG_SHM_SIZE: return parse_size_flag("--shm-size", arg, &f->shm_size, err);
  case RUN_FLAG_SYSCTL: return parse_sysctl(f, arg, err);
  case RUN_FLAG_LABEL: return parse_label(f, arg, err);
  case RUN_FLAG_INIT: f->init = true; return 0;
  case 'i': f->interactive = true; return 0;
  case 't': f->tty = true; return 0;
  default: return 1;
  }
}

int run_flags_check(const struct run_flags *f, int64_t memory, struct husk_error **err) {
  if (f->swap_set && f->memory_swap > 0 && memory <= 0)
    return husk_error_set(err, EINVAL,
                          "--memory-swap: You should always set the Memory limit when using "
                          "Memoryswap limit, see usage");
  if (f->swap_set && f->memory_swap > 0 && f->memory_swap < memory)
    return husk_error_set(err, EINVAL,
                          "--memory-swap: Minimum memoryswap limit should be larger than memory "
                          "limit, see usage");
  return 0;
}

void run_flags_patch(const struct run_flags *f, json_t *patch) {
  if (f->read_only)
    json_object_set_new(run_flags_member(patch, "root"), "readonly", json_true());
  json_t *process = NULL;
  if (f->workdir || f->no_new_privileges >= 0 || f->apparmor || f->tty)
    process = run_flags_member(patch, "process");
  if (f->workdir)
    json_object_set_new(process, "cwd", json_string(f->workdir));
  if (f->no_new_privileges >= 0)
    json_object_set_new(process, "noNewPrivileges", json_boolean(f->no_new_privileges));
  if (f->apparmor)
    json_object_set_new(process, "apparmorProfile", json_string(f->apparmor));
  if (f->tty)
    json_object_set_new(process, "terminal", json_true());
  if (f->pids_set || f->cpus_nano || f->swap_set || f->sysctl) {
    json_t *lx = run_flags_member(patch, "linux");
    if (f->sysctl)
      json_object_set_new(lx, "sysctl", json_deep_copy(f->sysctl));
    json_t *res =
        f->pids_set || f->cpus_nano || f->swap_set ? run_flags_member(lx, "resources") : NULL;
    if (f->pids_set)
      json_object_set_new(run_flags_member(res, "pids"), "limit", json_integer(f->pids_limit));
    if (f->cpus_nano) {
      json_t *cpu = run_flags_member(res, "cpu");
      json_object_set_new(cpu, "period", json_integer(100000));
      json_object_set_new(cpu, "quota", json_integer(f->cpus_nano / 10000));
    }
    if (f->swap_set)
      json_object_set_new(run_flags_member(res, "memory"), "swap", json_integer(f->memory_swap));
  }
  if (f->labels || f->init) {
    json_t *ann = run_flags_member(patch, "annotations");
    if (f->labels)
      json_object_update(ann, f->labels);
    if (f->init)
      json_object_set_new(ann, INIT_ANNOTATION, json_string("true"));
  }
}

bool run_flags_edits(const struct run_flags *f) {
  return f->mounts || f->cap_add || f->cap_drop || f->seccomp_unconfined || f->seccomp_profile ||
         f->rlimits || f->shm_size;
}
