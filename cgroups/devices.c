/* devices.c: the device rules of linux.resources.devices as husk enforces them, plus the
 * devices every container gets (runc's default list: null, zero, full, random, urandom, tty,
 * console, ptmx, pts, and mknod of any node), and their v1 form (devices.deny/allow). The v2
 * form, an eBPF program, is bpf.c. */
#include <inttypes.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "internal.h"
#include "spec/spec.h"

#define RWM (CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD)

static const struct cg_dev_rule default_rules[] = {
    {true, 'c', -1, -1, CG_DEV_MKNOD},
    {true, 'b', -1, -1, CG_DEV_MKNOD},
    {true, 'c', 1, 3, RWM},    /* null */
    {true, 'c', 1, 8, RWM},    /* random */
    {true, 'c', 1, 7, RWM},    /* full */
    {true, 'c', 5, 0, RWM},    /* tty */
    {true, 'c', 1, 5, RWM},    /* zero */
    {true, 'c', 1, 9, RWM},    /* urandom */
    {true, 'c', 5, 1, RWM},    /* console */
    {true, 'c', 136, -1, RWM}, /* pts */
    {true, 'c', 5, 2, RWM},    /* ptmx */
};

static unsigned access_bits(const char *access) {
  if (!access)
    return RWM;
  unsigned bits = 0;
  for (const char *p = access; *p; p++)
    bits |= *p == 'r' ? CG_DEV_READ : *p == 'w' ? CG_DEV_WRITE : *p == 'm' ? CG_DEV_MKNOD : 0;
  return bits;
}

void cg_device_rules(const struct spec_resources *res, const struct spec_device *devices,
                     size_t n_devices, struct cg_dev_rule **ret, size_t *ret_n) {
  *ret = NULL;
  *ret_n = 0;
  if (!res || res->n_devices == 0)
    return;
  size_t n = 0, cap = res->n_devices + ARRAY_SIZE(default_rules) + n_devices;
  struct cg_dev_rule *v = xcalloc(cap, sizeof(*v));
  for (size_t i = 0; i < res->n_devices; i++) {
    const struct spec_device_rule *d = &res->devices[i];
    v[n++] = (struct cg_dev_rule){d->allow, d->type, d->major, d->minor, access_bits(d->access)};
  }
  for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
    v[n++] = default_rules[i];
  for (size_t i = 0; i < n_devices; i++) {
    const struct spec_device *d = &devices[i];
    if (d->type == 'p') /* a fifo is no device: the device cgroup does not see it */
      continue;
    v[n++] = (struct cg_dev_rule){true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, RWM};
  }
  *ret = v;
  *ret_n = n;
}

/* "c 1:3 rwm", "a" for everything (the kernel's syntax; "*" for any number). */
static char *rule_text(const struct cg_dev_rule *r) {
  if (r->type == 'a' && r->major < 0 && r->minor < 0 && r->access == RWM)
    return xstrdup("a");
  char major[24] = "*", minor[24] = "*", access[4];
  if (r->major >= 0)
    snprintf(major, sizeof(major), "%" PRId64, r->major);
  if (r->minor >= 0)
    snprintf(minor, sizeof(minor), "%" PRId64, r->minor);
  size_t k = 0;
  if (r->access & CG_DEV_READ)
    access[k++] = 'r';
  if (r->access & CG_DEV_WRITE)
    access[k++] = 'w';
  if (r->access & CG_DEV_MKNOD)
    access[k++] = 'm';
  access[k] = '\0';
  return xasprintf("%c %s:%s %s", r->type, major, minor, access);
}

int cg_v1_devices(const char *dir, const struct cg_dev_rule *rules, size_t n,
                  struct husk_error **err) {
  int r = cg_write(dir, "devices.deny", "a", "start the device allowlist from nothing", err);
  for (size_t i = 0; r >= 0 && i < n; i++) {
    if (rules[i].access == 0)
      continue;
    _cleanup_free_ char *text = rule_text(&rules[i]);
    r = cg_write(dir, rules[i].allow ? "devices.allow" : "devices.deny", text,
                 rules[i].allow ? "allow a device" : "deny a device", err);
  }
  return r < 0 ? husk_error_wrap(err, "linux.resources.devices") : 0;
}
