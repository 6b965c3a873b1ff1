/* spec_linux.c: the two largest parts of config.json's linux section, linux.resources (cgroup
 * limits) and linux.seccomp, parsed with the getters of spec.c. Values are checked for type
 * and range here; their meaning (cgroup files, libseccomp actions) belongs to cgroups/ and
 * seccomp/. */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "spec.h"
#include "spec_internal.h"

/* ---- linux.resources ---- */

static int parse_device_rule(struct spec *s, json_t *o, const char *at, void *out,
                             struct husk_error **err) {
  (void)s;
  struct spec_device_rule *d = out;
  const char *type = NULL;
  TRY(spec_get_bool(o, "allow", at, SPEC_REQ, &d->allow, err));
  TRY(spec_get_string(o, "type", at, 0, &type, err));
  if (type && type[0] && (strlen(type) != 1 || !strchr("acb", type[0])))
    return spec_errorf(err, at, "type",
                       "unknown device type \"%s\" (expected \"a\", \"c\" or \"b\")", type);
  d->type = type && type[0] ? type[0] : 'a';
  d->major = d->minor = -1; /* absent: any */
  TRY(spec_get_int(o, "major", at, 0, -1, INT64_MAX, &d->major, err));
  TRY(spec_get_int(o, "minor", at, 0, -1, INT64_MAX, &d->minor, err));
  TRY(spec_get_string(o, "access", at, 0, &d->access, err));
  if (d->access && d->access[strspn(d->access, "rwm")])
    return spec_errorf(err, at, "access",
                       "expected a combination of \"r\", \"w\" and \"m\", got \"%s\"", d->access);
  return 0;
}

static int parse_memory(struct spec *s, json_t *res, struct spec_memory **ret,
                        struct husk_error **err) {
  json_t *o = NULL;
  const char *at = "linux.resources.memory";
  if (!TRY(spec_get_object(res, "memory", "linux.resources", 0, &o, err)))
    return 0;
  struct spec_memory *m = spec_alloc(s, 1, sizeof(*m));
  /* -1 means unlimited */
  TRY(spec_get_opt_i64(o, "limit", at, -1, &m->limit, err));
  TRY(spec_get_opt_i64(o, "reservation", at, -1, &m->reservation, err));
  TRY(spec_get_opt_i64(o, "swap", at, -1, &m->swap, err));
  TRY(spec_get_opt_i64(o, "kernel", at, INT64_MIN, &m->kernel, err));
  TRY(spec_get_opt_i64(o, "kernelTCP", at, INT64_MIN, &m->kernel_tcp, err));
  TRY(spec_get_opt_u64(o, "swappiness", at, 100, &m->swappiness, err));
  m->has_disable_oom_killer =
      TRY(spec_get_bool(o, "disableOOMKiller", at, 0, &m->disable_oom_killer, err)) > 0;
  m->has_use_hierarchy = TRY(spec_get_bool(o, "useHierarchy", at, 0, &m->use_hierarchy, err)) > 0;
  m->has_check_before_update =
      TRY(spec_get_bool(o, "checkBeforeUpdate", at, 0, &m->check_before_update, err)) > 0;
  *ret = m;
  return 1;
}

static int parse_cpu(struct spec *s, json_t *res, struct spec_cpu **ret, struct husk_error **err) {
  json_t *o = NULL;
  const char *at = "linux.resources.cpu";
  if (!TRY(spec_get_object(res, "cpu", "linux.resources", 0, &o, err)))
    return 0;
  struct spec_cpu *c = spec_alloc(s, 1, sizeof(*c));
  TRY(spec_get_opt_u64(o, "shares", at, UINT64_MAX, &c->shares, err));
  TRY(spec_get_opt_i64(o, "quota", at, INT64_MIN, &c->quota, err));
  TRY(spec_get_opt_u64(o, "burst", at, UINT64_MAX, &c->burst, err));
  TRY(spec_get_opt_u64(o, "period", at, UINT64_MAX, &c->period, err));
  TRY(spec_get_opt_i64(o, "realtimeRuntime", at, INT64_MIN, &c->realtime_runtime, err));
  TRY(spec_get_opt_u64(o, "realtimePeriod", at, UINT64_MAX, &c->realtime_period, err));
  TRY(spec_get_string(o, "cpus", at, 0, &c->cpus, err));
  TRY(spec_get_string(o, "mems", at, 0, &c->mems, err));
  TRY(spec_get_opt_i64(o, "idle", at, INT64_MIN, &c->idle, err));
  *ret = c;
  return 1;
}

static int parse_pids(json_t *res, struct spec_opt_i64 *ret, struct husk_error **err) {
  json_t *o = NULL;
  if (!TRY(spec_get_object(res, "pids", "linux.resources", 0, &o, err)))
    return 0;
  TRY(spec_get_int(o, "limit", "linux.resources.pids", SPEC_REQ, INT64_MIN, INT64_MAX, &ret->value,
                   err));
  ret->set = true;
  return 1;
}

/* blkio weights: 10..1000, or 0 for "not set" as some tools write it. */
static int get_weight(json_t *o, const char *key, const char *at, struct spec_opt_u64 *ret,
                      struct husk_error **err) {
  int64_t v = 0;
  if (!TRY(spec_get_int(o, key, at, 0, INT64_MIN, INT64_MAX, &v, err)))
    return 0;
  if (v != 0 && (v < 10 || v > 1000))
    return spec_errorf(err, at, key, "expected 0 or an integer between 10 and 1000");
  ret->set = true;
  ret->value = (uint64_t)v;
  return 1;
}

static int get_device_number(json_t *o, const char *at, int64_t *major, int64_t *minor,
                             struct husk_error **err) {
  TRY(spec_get_int(o, "major", at, SPEC_REQ, 0, UINT32_MAX, major, err));
  TRY(spec_get_int(o, "minor", at, SPEC_REQ, 0, UINT32_MAX, minor, err));
  return 0;
}

static int parse_weight_device(struct spec *s, json_t *o, const char *at, void *out,
                               struct husk_error **err) {
  (void)s;
  struct spec_weight_device *w = out;
  TRY(get_device_number(o, at, &w->major, &w->minor, err));
  TRY(get_weight(o, "weight", at, &w->weight, err));
  TRY(get_weight(o, "leafWeight", at, &w->leaf_weight, err));
  return 0;
}

static int parse_throttle_device(struct spec *s, json_t *o, const char *at, void *out,
                                 struct husk_error **err) {
  (void)s;
  struct spec_throttle_device *t = out;
  TRY(get_device_number(o, at, &t->major, &t->minor, err));
  TRY(spec_get_uint(o, "rate", at, SPEC_REQ, UINT64_MAX, &t->rate, err));
  return 0;
}

static int parse_blockio(struct spec *s, json_t *res, struct spec_blockio **ret,
                         struct husk_error **err) {
  json_t *o = NULL;
  const char *at = "linux.resources.blockIO";
  if (!TRY(spec_get_object(res, "blockIO", "linux.resources", 0, &o, err)))
    return 0;
  struct spec_blockio *b = spec_alloc(s, 1, sizeof(*b));
  TRY(get_weight(o, "weight", at, &b->weight, err));
  TRY(get_weight(o, "leafWeight", at, &b->leaf_weight, err));
  TRY(SPEC_GET_LIST(s, o, "weightDevice", at, 0, parse_weight_device, b->weight_device,
                    b->n_weight_device, err));
  TRY(SPEC_GET_LIST(s, o, "throttleReadBpsDevice", at, 0, parse_throttle_device,
                    b->throttle_read_bps, b->n_throttle_read_bps, err));
  TRY(SPEC_GET_LIST(s, o, "throttleWriteBpsDevice", at, 0, parse_throttle_device,
                    b->throttle_write_bps, b->n_throttle_write_bps, err));
  TRY(SPEC_GET_LIST(s, o, "throttleReadIOPSDevice", at, 0, parse_throttle_device,
                    b->throttle_read_iops, b->n_throttle_read_iops, err));
  TRY(SPEC_GET_LIST(s, o, "throttleWriteIOPSDevice", at, 0, parse_throttle_device,
                    b->throttle_write_iops, b->n_throttle_write_iops, err));
  *ret = b;
  return 1;
}

static int parse_hugepage_limit(struct spec *s, json_t *o, const char *at, void *out,
                                struct husk_error **err) {
  (void)s;
  struct spec_hugepage_limit *h = out;
  TRY(spec_get_string(o, "pageSize", at, SPEC_REQ | SPEC_NONEMPTY, &h->page_size, err));
  TRY(spec_get_uint(o, "limit", at, SPEC_REQ, UINT64_MAX, &h->limit, err));
  return 0;
}

static int parse_net_priority(struct spec *s, json_t *o, const char *at, void *out,
                              struct husk_error **err) {
  (void)s;
  struct spec_net_priority *p = out;
  uint64_t v = 0;
  TRY(spec_get_string(o, "name", at, SPEC_REQ | SPEC_NONEMPTY, &p->name, err));
  TRY(spec_get_uint(o, "priority", at, SPEC_REQ, UINT32_MAX, &v, err));
  p->priority = (uint32_t)v;
  return 0;
}

static int parse_network(struct spec *s, json_t *res, struct spec_network **ret,
                         struct husk_error **err) {
  json_t *o = NULL;
  const char *at = "linux.resources.network";
  if (!TRY(spec_get_object(res, "network", "linux.resources", 0, &o, err)))
    return 0;
  struct spec_network *n = spec_alloc(s, 1, sizeof(*n));
  TRY(spec_get_opt_u64(o, "classID", at, UINT32_MAX, &n->class_id, err));
  TRY(SPEC_GET_LIST(s, o, "priorities", at, 0, parse_net_priority, n->priorities, n->n_priorities,
                    err));
  *ret = n;
  return 1;
}

int spec_parse_resources(struct spec *s, json_t *linux_obj, struct husk_error **err) {
  json_t *o = NULL;
  const char *at = "linux.resources";
  if (!TRY(spec_get_object(linux_obj, "resources", "linux", 0, &o, err)))
    return 0;
  struct spec_resources *r = spec_alloc(s, 1, sizeof(*r));
  TRY(SPEC_GET_LIST(s, o, "devices", at, 0, parse_device_rule, r->devices, r->n_devices, err));
  TRY(parse_memory(s, o, &r->memory, err));
  TRY(parse_cpu(s, o, &r->cpu, err));
  TRY(parse_pids(o, &r->pids_limit, err));
  TRY(parse_blockio(s, o, &r->block_io, err));
  TRY(SPEC_GET_LIST(s, o, "hugepageLimits", at, 0, parse_hugepage_limit, r->hugepage_limits,
                    r->n_hugepage_limits, err));
  TRY(spec_get_kv(s, o, "unified", at, &r->unified, &r->n_unified, err));
  TRY(parse_network(s, o, &r->network, err));
  s->linux_.resources = r;
  return 1;
}

int spec_parse_resources_json(json_t *resources, struct spec **ret, struct husk_error **err) {
  _cleanup_spec_ struct spec *s = xcalloc(1, sizeof(*s));
  s->doc = json_pack("{s:O}", "resources", resources);
  s->linux_.masked_paths = spec_alloc(s, 1, sizeof(char *));
  s->linux_.readonly_paths = spec_alloc(s, 1, sizeof(char *));
  TRY(spec_parse_resources(s, s->doc, err));
  *ret = TAKE_PTR(s);
  return 0;
}

/* ---- linux.seccomp ---- */

static int parse_seccomp_arg(struct spec *s, json_t *o, const char *at, void *out,
                             struct husk_error **err) {
  (void)s;
  struct spec_seccomp_arg *a = out;
  uint64_t index = 0;
  /* a system call has at most six arguments */
  TRY(spec_get_uint(o, "index", at, SPEC_REQ, 5, &index, err));
  a->index = (unsigned)index;
  TRY(spec_get_uint(o, "value", at, SPEC_REQ, UINT64_MAX, &a->value, err));
  TRY(spec_get_uint(o, "valueTwo", at, 0, UINT64_MAX, &a->value_two, err));
  TRY(spec_get_string(o, "op", at, SPEC_REQ | SPEC_NONEMPTY, &a->op, err));
  return 0;
}

static int get_errno_ret(json_t *o, const char *key, const char *at, bool *has, unsigned *ret,
                         struct husk_error **err) {
  uint64_t v = 0;
  if (!TRY(spec_get_uint(o, key, at, 0, UINT32_MAX, &v, err)))
    return 0;
  *has = true;
  *ret = (unsigned)v;
  return 1;
}

static int parse_syscall(struct spec *s, json_t *o, const char *at, void *out,
                         struct husk_error **err) {
  struct spec_seccomp_syscall *sc = out;
  TRY(spec_get_strv(s, o, "names", at, SPEC_REQ | SPEC_NONEMPTY, &sc->names, err));
  TRY(spec_get_string(o, "action", at, SPEC_REQ | SPEC_NONEMPTY, &sc->action, err));
  TRY(get_errno_ret(o, "errnoRet", at, &sc->has_errno_ret, &sc->errno_ret, err));
  TRY(SPEC_GET_LIST(s, o, "args", at, 0, parse_seccomp_arg, sc->args, sc->n_args, err));
  return 0;
}

int spec_parse_seccomp(struct spec *s, json_t *linux_obj, struct husk_error **err) {
  json_t *o = NULL;
  const char *at = "linux.seccomp";
  if (!TRY(spec_get_object(linux_obj, "seccomp", "linux", 0, &o, err)))
    return 0;
  struct spec_seccomp *sc = spec_alloc(s, 1, sizeof(*sc));
  TRY(spec_get_string(o, "defaultAction", at, SPEC_REQ | SPEC_NONEMPTY, &sc->default_action, err));
  TRY(get_errno_ret(o, "defaultErrnoRet", at, &sc->has_default_errno_ret, &sc->default_errno_ret,
                    err));
  TRY(spec_get_strv(s, o, "architectures", at, SPEC_NOTNULL, &sc->architectures, err));
  TRY(spec_get_strv(s, o, "flags", at, SPEC_NOTNULL, &sc->flags, err));
  TRY(spec_get_string(o, "listenerPath", at, 0, &sc->listener_path, err));
  TRY(spec_get_string(o, "listenerMetadata", at, 0, &sc->listener_metadata, err));
  TRY(SPEC_GET_LIST(s, o, "syscalls", at, 0, parse_syscall, sc->syscalls, sc->n_syscalls, err));
  s->linux_.seccomp = sc;
  return 1;
}
