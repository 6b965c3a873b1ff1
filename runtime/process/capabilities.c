/* capabilities.c: the container process's capability sets: names from process.capabilities
 * checked with libcap's cap_from_name, the bounding set narrowed with PR_CAPBSET_DROP, the
 * effective, permitted and inheritable sets set with cap_set_proc, the ambient set raised
 * with PR_CAP_AMBIENT. */
#include "capabilities.h"

#include <ctype.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "spec/spec.h"

static inline void cap_freep(cap_t *c) {
  if (*c)
    cap_free(*c);
}
#define _cleanup_cap_ __attribute__((cleanup(cap_freep)))

#define CAP_BIT(v) (UINT64_C(1) << (v))

static bool has_cap(uint64_t mask, int v) { return (mask & CAP_BIT(v)) != 0; }

/* The highest capability number + 1 that both the kernel and a 64-bit mask hold. */
static int cap_count(void) {
  int n = (int)cap_max_bits();
  return n > 64 ? 64 : n;
}

int capability_from_name(const char *name, const char *at, int *ret, struct husk_error **err) {
  /* runc takes exactly "CAP_" plus the upper-case name; libcap alone would also take
   * "cap_chown" and bare numbers. */
  bool well_formed = str_has_prefix(name, "CAP_") && name[4];
  for (const char *p = name; well_formed && *p; p++)
    well_formed = isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_';
  cap_value_t v;
  if (!well_formed || cap_from_name(name, &v) < 0)
    return husk_error_set(err, EINVAL, "%s: unknown capability \"%s\"", at, name);
  *ret = (int)v;
  return 0;
}

static int parse_set(const char *const *names, const char *set, uint64_t *ret,
                     struct husk_error **err) {
  uint64_t mask = 0;
  for (size_t i = 0; names && names[i]; i++) {
    _cleanup_free_ char *at = xasprintf("process.capabilities.%s[%zu]", set, i);
    int v;
    int r = capability_from_name(names[i], at, &v, err);
    if (r < 0)
      return r;
    if (v >= cap_count()) {
      log_warn("%s: %s is not supported by this kernel; ignored", at, names[i]);
      continue;
    }
    mask |= CAP_BIT(v);
  }
  *ret = mask;
  return 0;
}

int capabilities_parse(const struct spec_capabilities *caps, struct cap_sets *ret,
                       struct husk_error **err) {
  struct cap_sets s = {0};
  if (!caps) {
    *ret = s;
    return 0;
  }
  int r = parse_set(caps->bounding, "bounding", &s.bounding, err);
  if (r >= 0)
    r = parse_set(caps->effective, "effective", &s.effective, err);
  if (r >= 0)
    r = parse_set(caps->permitted, "permitted", &s.permitted, err);
  if (r >= 0)
    r = parse_set(caps->inheritable, "inheritable", &s.inheritable, err);
  if (r >= 0)
    r = parse_set(caps->ambient, "ambient", &s.ambient, err);
  if (r < 0)
    return r;
  *ret = s;
  return 0;
}

char *capabilities_mask_text(uint64_t mask) {
  if (!mask)
    return xstrdup("none");
  size_t cap = 1024, used = 0;
  char *buf = xmalloc(cap);
  buf[0] = '\0';
  for (int v = 0; v < 64; v++) {
    if (!has_cap(mask, v))
      continue;
    char *name = cap_to_name(v);
    if (!name)
      abort();
    size_t need = strlen(name) + 3;
    if (used + need >= cap)
      buf = xrealloc(buf, cap = cap * 2 + need);
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", name);
    cap_free(name);
  }
  /* libcap names are lower case ("cap_kill"); config.json's are upper case. */
  for (char *p = buf; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  return buf;
}

/* Dropping from the bounding set needs CAP_SETPCAP in the effective set, and the uid switch
 * emptied that set (only the permitted one was kept): make everything permitted effective. */
static int raise_effective(struct husk_error **err) {
  _cleanup_cap_ cap_t cur = cap_get_proc();
  if (!cur)
    return husk_error_sys(err, "cap_get_proc");
  int r = cap_fill(cur, CAP_EFFECTIVE, CAP_PERMITTED);
  if (r == 0)
    r = cap_set_proc(cur);
  TRACE(r, "dropping from the bounding set needs CAP_SETPCAP effective again after the uid switch",
        "capset(effective = permitted)");
  if (r < 0)
    return husk_error_sys(err, "raise the effective capabilities");
  return 0;
}

static int drop_bounding(uint64_t keep, struct husk_error **err) {
  uint64_t dropped = 0;
  for (int v = 0; v < cap_count(); v++) {
    if (has_cap(keep, v) || cap_get_bound(v) != 1)
      continue;
    if (cap_drop_bound(v) < 0) {
      _cleanup_free_ char *name = capabilities_mask_text(CAP_BIT(v));
      return husk_error_sys(err, "prctl(PR_CAPBSET_DROP, %s)", name);
    }
    dropped |= CAP_BIT(v);
  }
  _cleanup_free_ char *text = log_trace_enabled() ? capabilities_mask_text(dropped) : NULL;
  TRACE(0, "the bounding set caps what the process can ever gain: keep only the configured ones",
        "prctl(PR_CAPBSET_DROP, cap) for each of [%s]", text);
  return 0;
}

static int set_flags(cap_t c, cap_flag_t flag, uint64_t mask) {
  for (cap_value_t v = 0; v < 64; v++)
    if (has_cap(mask, v) && cap_set_flag(c, flag, 1, &v, CAP_SET) < 0)
      return -1;
  return 0;
}

static int set_proc(const struct cap_sets *s, struct husk_error **err) {
  if (s->effective & ~s->permitted) {
    _cleanup_free_ char *extra = capabilities_mask_text(s->effective & ~s->permitted);
    return husk_error_set(err, EINVAL,
                          "process.capabilities.effective: %s not in the permitted set", extra);
  }
  _cleanup_cap_ cap_t c = cap_init();
  if (!c)
    return husk_error_sys(err, "cap_init");
  if (set_flags(c, CAP_EFFECTIVE, s->effective) < 0 ||
      set_flags(c, CAP_PERMITTED, s->permitted) < 0 ||
      set_flags(c, CAP_INHERITABLE, s->inheritable) < 0)
    return husk_error_sys(err, "cap_set_flag");
  int r = cap_set_proc(c);
  if (log_trace_enabled()) {
    _cleanup_free_ char *e = capabilities_mask_text(s->effective);
    _cleanup_free_ char *p = capabilities_mask_text(s->permitted);
    _cleanup_free_ char *i = capabilities_mask_text(s->inheritable);
    TRACE(r, "exactly process.capabilities; inheritable stays empty unless listed (CVE-2022-29162)",
          "capset(effective=[%s], permitted=[%s], inheritable=[%s])", e, p, i);
  }
  if (r < 0)
    return husk_error_sys(err, "set the effective, permitted and inheritable capabilities");
  return 0;
}

static int set_ambient(const struct cap_sets *s, struct husk_error **err) {
  /* EINVAL: a kernel before 4.3 has no ambient set, so there is nothing to clear. */
  if (cap_reset_ambient() < 0 && errno != EINVAL)
    return husk_error_sys(err, "clear the ambient capabilities");
  uint64_t raisable = s->permitted & s->inheritable, raised = 0;
  for (int v = 0; v < cap_count(); v++) {
    if (!has_cap(s->ambient & raisable, v))
      continue;
    if (cap_set_ambient(v, CAP_SET) < 0) {
      _cleanup_free_ char *name = capabilities_mask_text(CAP_BIT(v));
      return husk_error_sys(err, "raise the ambient capability %s", name);
    }
    raised |= CAP_BIT(v);
  }
  if (s->ambient) {
    _cleanup_free_ char *text = log_trace_enabled() ? capabilities_mask_text(raised) : NULL;
    TRACE(0, "ambient capabilities survive execve of a non-root process",
          "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap) for each of [%s]", text);
  }
  /* The kernel only lets a capability that is permitted and inheritable be ambient; runc
   * skips the others silently, and `runc spec` lists ambient ones without inheritable. */
  if (s->ambient & ~raisable) {
    _cleanup_free_ char *skipped = capabilities_mask_text(s->ambient & ~raisable);
    log_debug("process.capabilities.ambient: %s not both permitted and inheritable; not raised",
              skipped);
  }
  return 0;
}

int capabilities_keep(struct husk_error **err) {
  int r = prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
  TRACE(r, "keep the permitted capabilities across the switch to process.user.uid",
        "prctl(PR_SET_KEEPCAPS, 1)");
  if (r < 0)
    return husk_error_sys(err, "prctl(PR_SET_KEEPCAPS, 1)");
  return 0;
}

int capabilities_apply(const struct cap_sets *sets, struct husk_error **err) {
  int r = raise_effective(err);
  if (r >= 0)
    r = drop_bounding(sets->bounding, err);
  if (r >= 0)
    r = set_proc(sets, err);
  if (r >= 0)
    r = set_ambient(sets, err);
  if (r < 0)
    return r;
  r = prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  TRACE(r, "the configured sets are in place: no more keeping capabilities across uid changes",
        "prctl(PR_SET_KEEPCAPS, 0)");
  if (r < 0)
    return husk_error_sys(err, "prctl(PR_SET_KEEPCAPS, 0)");
  return 0;
}
