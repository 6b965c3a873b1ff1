/* systemd.c: the systemd cgroup driver (--systemd-cgroup, --cgroup-manager systemd), as
 * runc's and crun's. cgroupsPath is "slice:prefix:name"; systemd makes the container's cgroup
 * as a transient scope "prefix-name.scope" in the slice, started over D-Bus (sd-bus) around
 * the init's pid, with Delegate=yes so husk may write the rest of the limits into it. What
 * systemd has a property for is also set as a property (MemoryMax, CPUWeight, ...): systemd
 * rewrites a unit's cgroup files from its properties (daemon-reload), so both must agree.
 * Everything else (freeze, kill, stats, the device program) is the cgroupfs code of v2.c on
 * the scope's directory. The scope is stopped on delete.
 *
 * Pure cgroup v2 only: on a v1 or hybrid host systemd spreads a scope over every hierarchy it
 * manages, which husk does not follow; the error says so. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "internal.h"
#include "spec/spec.h"

/* ---- names (no bus needed: unit tests check these) ---- */

/* systemd's unit name characters (unit_name_is_valid): ASCII letters, digits, ":-_.\". */
static bool unit_chars_ok(const char *s) {
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          strchr(":-_.\\", *s)))
      return false;
  return true;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cg_systemd_parse(const char *path, const char *id, char **ret_slice, char **ret_unit,
                     struct husk_error **err) {
  _cleanup_free_ char *slice = NULL, *prefix = NULL, *name = NULL;
  if (!path || !path[0]) { /* runc: as if ":runc:<id>" */
    slice = xstrdup("");
    prefix = xstrdup("husk");
    name = xstrdup(id);
  } else {
    const char *a = strchr(path, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (!a || !b || strchr(b + 1, ':'))
      return husk_error_set(err, EINVAL,
                            "linux.cgroupsPath \"%s\": the systemd cgroup driver expects "
                            "\"slice:prefix:name\"",
                            path);
    slice = xasprintf("%.*s", (int)(a - path), path);
    prefix = xasprintf("%.*s", (int)(b - a - 1), a + 1);
    name = xstrdup(b + 1);
  }
  if (!slice[0]) {
    free(slice);
    slice = xstrdup(geteuid() == 0 ? "system.slice" : "user.slice");
  }
  if (strcmp(slice, "-") == 0) { /* runc: the root slice */
    free(slice);
    slice = xstrdup("-.slice");
  }
  if (!name[0])
    return husk_error_set(err, EINVAL, "linux.cgroupsPath \"%s\": the name part is empty", path);
  if (strchr(slice, '/') || !ends_with(slice, ".slice") || !unit_chars_ok(slice))
    return husk_error_set(err, EINVAL,
                          "linux.cgroupsPath \"%s\": \"%s\" is not a slice name (NAME.slice, "
                          "\"-\" for the root; dashes, not slashes, nest slices)",
                          path ? path : "", slice);
  if (ends_with(name, ".slice"))
    return husk_error_set(err, ENOTSUP,
                          "linux.cgroupsPath \"%s\": a container in a slice unit of its own is "
                          "not supported; husk starts a scope (\"slice:prefix:name\")",
                          path);
  char *unit = prefix[0] ? xasprintf("%s-%s.scope", prefix, name) : xasprintf("%s.scope", name);
  if (!unit_chars_ok(unit) || strlen(unit) > 255) {
    int r = husk_error_set(err, EINVAL,
                           "linux.cgroupsPath \"%s\": \"%s\" is not a valid systemd unit name "
                           "(letters, digits, \":-_.\\\", at most 255)",
                           path ? path : "", unit);
    free(unit);
    return r;
  }
  *ret_slice = TAKE_PTR(slice);
  *ret_unit = unit;
  return 0;
}

char *cg_systemd_slice_path(const char *slice) {
  if (strcmp(slice, "-.slice") == 0)
    return xstrdup("");
  /* "a-b-c.slice" lives at "/a.slice/a-b.slice/a-b-c.slice" */
  _cleanup_free_ char *base = xasprintf("%.*s", (int)(strlen(slice) - strlen(".slice")), slice);
  char *out = xstrdup("");
  for (char *dash = base;; dash++) {
    dash = strchr(dash, '-');
    if (dash)
      *dash = '\0';
    char *next = xasprintf("%s/%s.slice", out, base);
    free(out);
    out = next;
    if (!dash)
      break;
    *dash = '-';
  }
  return out;
}

int cgroup_plan_systemd(const struct cgroup_host *host, const char *path, const char *id,
                        struct cgroup **ret, struct husk_error **err) {
  _cleanup_free_ char *slice = NULL, *unit = NULL;
  int r = cg_systemd_parse(path, id, &slice, &unit, err);
  if (r < 0)
    return r;
  enum cgroup_kind kind;
  _cleanup_free_ char *unified = NULL;
  r = cg_detect_layout(host, &kind, &unified, err);
  if (r < 0)
    return r;
  if (kind != CGROUP_UNIFIED)
    return husk_error_set(err, ENOTSUP,
                          "--systemd-cgroup: husk's systemd driver needs pure cgroup v2, and "
                          "this host is %s; use --cgroup-manager cgroupfs",
                          cgroup_kind_name(kind));
  /* Fail now, before there is an init, when there is no systemd to ask. */
  r = cg_systemd_check_bus(err);
  if (r < 0)
    return r;
  _cleanup_free_ char *slice_dir = cg_systemd_slice_path(slice);
  struct cgroup *cg = xcalloc(1, sizeof(*cg));
  cg->host = host;
  cg->ops = &cg_ops_unified;
  cg->dirs = xcalloc(1, sizeof(*cg->dirs));
  cg->dirs[0] = (struct cg_dir){.controllers = xstrdup(""),
                                .path = xasprintf("%s%s/%s", host->root, slice_dir, unit),
                                .made = 1};
  cg->n_dirs = 1;
  cg->unit = TAKE_PTR(unit);
  cg->slice = TAKE_PTR(slice);
  *ret = cg;
  return 0;
}

bool cgroup_made_around_init(const struct cgroup *cg) { return cg && cg->unit; }

#ifdef HUSK_SYSTEMD

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define JOB_TIMEOUT_USEC (30 * 1000000ULL) /* runc's */

static void bus_closep(sd_bus **bus) { sd_bus_flush_close_unref(*bus); }
#define _cleanup_bus_ __attribute__((cleanup(bus_closep)))
static void msg_unrefp(sd_bus_message **m) { sd_bus_message_unref(*m); }
#define _cleanup_msg_ __attribute__((cleanup(msg_unrefp)))

static int open_bus(sd_bus **ret, struct husk_error **err) {
  if (sd_booted() <= 0)
    return husk_error_set(err, ENOTSUP,
                          "--systemd-cgroup: this host does not run systemd (no "
                          "/run/systemd/system); use --cgroup-manager cgroupfs");
  int r = sd_bus_open_system(ret);
  TRACE(r < 0 ? (errno = -r, -1) : 0, "connect to systemd over the system bus",
        "sd_bus_open_system()");
  if (r < 0)
    return husk_error_errno(err, -r,
                            "--systemd-cgroup: cannot reach systemd over D-Bus (is dbus "
                            "running? /run/dbus/system_bus_socket)");
  return 0;
}

int cg_systemd_check_bus(struct husk_error **err) {
  _cleanup_bus_ sd_bus *bus = NULL;
  return open_bus(&bus, err);
}

/* ---- properties ---- */

static int add_prop(sd_bus_message *m, const char *name, const char *type, ...) {
  int r = sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0)
    r = sd_bus_message_append(m, "s", name);
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'v', type);
  if (r >= 0) {
    va_list ap;
    va_start(ap, type);
    r = sd_bus_message_appendv(m, type, ap);
    va_end(ap);
  }
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  return r;
}

/* A cpuset list ("0-3,8") as systemd's AllowedCPUs byte mask: bit n of byte n/8 is CPU n. */
static int cpuset_mask(const char *list, const char *field, uint8_t **ret, size_t *ret_n,
                       struct husk_error **err) {
  uint8_t *mask = NULL;
  size_t n = 0;
  for (const char *p = list; *p;) {
    char *end;
    errno = 0;
    unsigned long a = strtoul(p, &end, 10), b = a;
    if (end == p || errno)
      goto bad;
    if (*end == '-') {
      p = end + 1;
      b = strtoul(p, &end, 10);
      if (end == p || errno || b < a)
        goto bad;
    }
    if (b >= 8192)
      goto bad;
    if (b / 8 + 1 > n) {
      mask = xrealloc(mask, b / 8 + 1);
      memset(mask + n, 0, b / 8 + 1 - n);
      n = b / 8 + 1;
    }
    for (unsigned long c = a; c <= b; c++)
      mask[c / 8] |= (uint8_t)(1u << (c % 8));
    p = end;
    if (*p == ',')
      p++;
    else if (*p && *p != '\n')
      goto bad;
    else
      break;
  }
  *ret = mask;
  *ret_n = n;
  return 0;
bad:
  free(mask);
  return husk_error_set(err, EINVAL, "%s: \"%s\" is not a list of numbers and ranges", field,
                        list);
}

static int add_mask(sd_bus_message *m, const char *name, const char *list, const char *field,
                    struct husk_error **err) {
  _cleanup_free_ uint8_t *mask = NULL;
  size_t n = 0;
  int r = cpuset_mask(list, field, &mask, &n, err);
  if (r < 0)
    return r;
  r = sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0)
    r = sd_bus_message_append(m, "s", name);
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'v', "ay");
  if (r >= 0)
    r = sd_bus_message_append_array(m, 'y', mask, n);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  return r < 0 ? husk_error_errno(err, -r, "build the D-Bus message for %s", name) : 0;
}

static uint64_t limit_value(int64_t v) { return v < 0 ? UINT64_MAX : (uint64_t)v; }

/* linux.resources (runc's view: 0 is unset) as unit properties, where systemd has one. */
static int add_resources(sd_bus_message *m, const struct spec_resources *res,
                         struct husk_error **err) {
  int r = 0;
  const struct spec_memory *mem = res->memory;
  if (mem && mem->limit.set)
    r = add_prop(m, "MemoryMax", "t", limit_value(mem->limit.value));
  if (r >= 0 && mem && mem->reservation.set)
    r = add_prop(m, "MemoryLow", "t", limit_value(mem->reservation.value));
  if (r >= 0 && mem && mem->swap.set) {
    int64_t swap = 0;
    int k = cgroup_swap_to_v2(mem->swap.value, mem->limit.set ? mem->limit.value : 0, &swap, err);
    if (k < 0)
      return husk_error_wrap(err, "linux.resources.memory.swap");
    r = add_prop(m, "MemorySwapMax", "t", limit_value(swap));
  }
  const struct spec_cpu *cpu = res->cpu;
  if (r >= 0 && cpu && cpu->shares.set)
    r = add_prop(m, "CPUWeight", "t", cgroup_shares_to_weight(cpu->shares.value));
  if (r >= 0 && cpu && cpu->quota.set) {
    uint64_t period = cpu->period.set ? cpu->period.value : 100000;
    /* systemd keeps CPUQuota in whole percents: round up to 10 ms per second (as runc) so
     * the cpu.max husk writes after it is not above what systemd set. */
    uint64_t per_sec = UINT64_MAX;
    if (cpu->quota.value > 0) {
      per_sec = (uint64_t)cpu->quota.value * 1000000 / period;
      per_sec = (per_sec + 9999) / 10000 * 10000;
    }
    r = add_prop(m, "CPUQuotaPerSecUSec", "t", per_sec);
    if (r >= 0 && cpu->period.set)
      r = add_prop(m, "CPUQuotaPeriodUSec", "t", period);
  }
  if (r >= 0 && cpu && cpu->cpus && (r = add_mask(m, "AllowedCPUs", cpu->cpus,
                                                  "linux.resources.cpu.cpus", err)) < 0)
    return r;
  if (r >= 0 && cpu && cpu->mems && (r = add_mask(m, "AllowedMemoryNodes", cpu->mems,
                                                  "linux.resources.cpu.mems", err)) < 0)
    return r;
  if (r >= 0 && res->pids_limit.set)
    r = add_prop(m, "TasksMax", "t",
                 res->pids_limit.value > 0 ? (uint64_t)res->pids_limit.value : UINT64_MAX);
  const struct spec_blockio *io = res->block_io;
  if (r >= 0 && io && io->weight.set)
    r = add_prop(m, "IOWeight", "t", cgroup_blkio_to_io_weight(io->weight.value));
  if (r >= 0 && io && io->n_weight_device) {
    r = sd_bus_message_open_container(m, 'r', "sv");
    if (r >= 0)
      r = sd_bus_message_append(m, "s", "IODeviceWeight");
    if (r >= 0)
      r = sd_bus_message_open_container(m, 'v', "a(st)");
    if (r >= 0)
      r = sd_bus_message_open_container(m, 'a', "(st)");
    for (size_t i = 0; r >= 0 && i < io->n_weight_device; i++) {
      const struct spec_weight_device *w = &io->weight_device[i];
      if (!w->weight.set || !w->weight.value)
        continue;
      _cleanup_free_ char *dev = xasprintf("/dev/block/%" PRId64 ":%" PRId64, w->major, w->minor);
      r = sd_bus_message_append(m, "(st)", dev, cgroup_blkio_to_io_weight(w->weight.value));
    }
    for (int k = 0; r >= 0 && k < 3; k++)
      r = sd_bus_message_close_container(m);
  }
  return r < 0 ? husk_error_errno(err, -r, "build the D-Bus message of the unit's properties") : 0;
}

/* ---- jobs ---- */

static uint64_t now_usec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct job_wait {
  const char *path; /* the job systemd queued */
  char *result;     /* "done", "failed", ... once it is removed */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
  (void)ret_error;
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 || !w->path ||
      strcmp(path, w->path) != 0)
    return 0;
  free(w->result);
  w->result = xstrdup(result);
  return 0;
}

/* Call a Manager method that queues a job ("o" reply) and wait until systemd finished it. */
static int call_job(sd_bus *bus, sd_bus_message *m, const char *what, const char *unit,
                    struct husk_error **err) {
  /* Signals (JobRemoved) are sent only once a client subscribed. */
  sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, "");
  struct job_wait w = {0};
  sd_bus_slot *slot = NULL;
  int r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                              on_job_removed, &w);
  _cleanup_msg_ sd_bus_message *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  if (r >= 0)
    r = sd_bus_call(bus, m, JOB_TIMEOUT_USEC, &e, &reply);
  if (r < 0) {
    int k = e.message ? husk_error_set(err, -r, "%s %s: %s", what, unit, e.message)
                      : husk_error_errno(err, -r, "%s %s", what, unit);
    if (sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
      k = -ENOENT;
    sd_bus_error_free(&e);
    sd_bus_slot_unref(slot);
    return k;
  }
  const char *job = NULL;
  r = sd_bus_message_read(reply, "o", &job);
  w.path = job;
  uint64_t deadline = now_usec() + JOB_TIMEOUT_USEC;
  while (r >= 0 && !w.result) {
    r = sd_bus_process(bus, NULL);
    if (r > 0)
      continue;
    uint64_t now = now_usec();
    if (r >= 0 && now >= deadline)
      r = -ETIMEDOUT;
    if (r >= 0)
      r = sd_bus_wait(bus, deadline - now);
  }
  sd_bus_slot_unref(slot);
  int out = 0;
  if (r < 0)
    out = husk_error_errno(err, -r, "%s %s: wait for systemd's job", what, unit);
  else if (strcmp(w.result, "done") != 0)
    out = husk_error_set(err, EIO, "%s %s: systemd's job ended \"%s\" (see journalctl -u %s)",
                         what, unit, w.result, unit);
  free(w.result);
  return out;
}

/* A connection to systemd and a new call of one of its Manager's methods. */
static int open_call(const char *method, sd_bus **ret_bus, sd_bus_message **ret,
                     struct husk_error **err) {
  int r = open_bus(ret_bus, err);
  if (r < 0)
    return r;
  r = sd_bus_message_new_method_call(*ret_bus, ret, SD_DEST, SD_PATH, SD_MANAGER, method);
  return r < 0 ? husk_error_errno(err, -r, "D-Bus message %s", method) : 0;
}

int cgroup_make_around_init(struct cgroup *cg, pid_t init, const struct spec_resources *res,
                            struct husk_error **err) {
  _cleanup_bus_ sd_bus *bus = NULL;
  _cleanup_msg_ sd_bus_message *m = NULL;
  int r = open_call("StartTransientUnit", &bus, &m, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *desc = xasprintf("husk container %s", cg->unit);
  r = sd_bus_message_append(m, "ss", cg->unit, "replace");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(sv)");
  if (r >= 0)
    r = add_prop(m, "Description", "s", desc);
  if (r >= 0)
    r = add_prop(m, "Slice", "s", cg->slice);
  if (r >= 0) /* husk writes what systemd has no property for, the container its own cgroups */
    r = add_prop(m, "Delegate", "b", 1);
  if (r >= 0)
    r = add_prop(m, "PIDs", "au", 1, (uint32_t)init);
  if (r >= 0) /* no ordering against shutdown.target: the engine stops the container */
    r = add_prop(m, "DefaultDependencies", "b", 0);
  const char *accounting[] = {"MemoryAccounting", "CPUAccounting", "IOAccounting",
                              "TasksAccounting"};
  for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(accounting); i++)
    r = add_prop(m, accounting[i], "b", 1);
  if (r < 0)
    return husk_error_errno(err, -r, "build the D-Bus message StartTransientUnit");
  if (res) {
    r = add_resources(m, res, err);
    if (r < 0)
      return r;
  }
  r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = sd_bus_message_append(m, "a(sa(sv))", 0);
  if (r < 0)
    return husk_error_errno(err, -r, "build the D-Bus message StartTransientUnit");
  r = call_job(bus, m, "start the systemd scope", cg->unit, err);
  TRACE(r < 0 ? (errno = -r, -1) : 0,
        "systemd makes the container's cgroup: a transient scope around the init, delegated",
        "StartTransientUnit(\"%s\", \"replace\", [Slice=\"%s\", Delegate=yes, PIDs=[%d], ...])",
        cg->unit, cg->slice, init);
  return r;
}

int cg_systemd_set_properties(struct cgroup *cg, const struct spec_resources *res,
                              struct husk_error **err) {
  _cleanup_bus_ sd_bus *bus = NULL;
  _cleanup_msg_ sd_bus_message *m = NULL;
  int r = open_call("SetUnitProperties", &bus, &m, err);
  if (r < 0)
    return r;
  r = sd_bus_message_append(m, "sb", cg->unit, 1);
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(sv)");
  if (r < 0)
    return husk_error_errno(err, -r, "build the D-Bus message SetUnitProperties");
  r = add_resources(m, res, err);
  if (r < 0)
    return r;
  r = sd_bus_message_close_container(m);
  if (r < 0)
    return husk_error_errno(err, -r, "build the D-Bus message SetUnitProperties");
  sd_bus_error e = SD_BUS_ERROR_NULL;
  r = sd_bus_call(bus, m, JOB_TIMEOUT_USEC, &e, NULL);
  TRACE(r < 0 ? (errno = -r, -1) : 0, "tell systemd the scope's new limits",
        "SetUnitProperties(\"%s\", runtime=true, [...])", cg->unit);
  if (r < 0) {
    r = e.message ? husk_error_set(err, -r, "update the systemd scope %s: %s", cg->unit, e.message)
                  : husk_error_errno(err, -r, "update the systemd scope %s", cg->unit);
    sd_bus_error_free(&e);
  }
  return r;
}

int cg_systemd_stop(struct cgroup *cg, struct husk_error **err) {
  _cleanup_bus_ sd_bus *bus = NULL;
  _cleanup_msg_ sd_bus_message *m = NULL;
  int r = open_call("StopUnit", &bus, &m, err);
  if (r < 0)
    return r;
  if ((r = sd_bus_message_append(m, "ss", cg->unit, "replace")) < 0)
    r = husk_error_errno(err, -r, "build the D-Bus message StopUnit");
  if (r >= 0) {
    /* A scope whose processes are gone is gone too: NoSuchUnit is done. */
    _cleanup_error_ struct husk_error *stop_err = NULL;
    r = call_job(bus, m, "stop the systemd scope", cg->unit, &stop_err);
    TRACE(r < 0 && r != -ENOENT ? (errno = -r, -1) : 0, "stop the container's systemd scope",
          "StopUnit(\"%s\", \"replace\")", cg->unit);
    if (r == -ENOENT)
      r = 0;
    else if (r < 0 && err)
      *err = TAKE_PTR(stop_err);
  }
  /* An OOM kill leaves the scope "failed", and its name taken until reset. */
  sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL, "s",
                     cg->unit);
  return r;
}

#else /* !HUSK_SYSTEMD */

static int no_systemd(struct husk_error **err) {
  return husk_error_set(err, ENOTSUP,
                        "--systemd-cgroup: this husk was built without libsystemd (a static "
                        "build, or -Dsystemd=disabled); rebuild with -Dsystemd=enabled, or use "
                        "--cgroup-manager cgroupfs");
}

int cg_systemd_check_bus(struct husk_error **err) { return no_systemd(err); }
int cgroup_make_around_init(struct cgroup *cg, pid_t init, const struct spec_resources *res,
                            struct husk_error **err) {
  (void)cg, (void)init, (void)res;
  return no_systemd(err);
}
int cg_systemd_set_properties(struct cgroup *cg, const struct spec_resources *res,
                              struct husk_error **err) {
  (void)cg, (void)res;
  return no_systemd(err);
}
int cg_systemd_stop(struct cgroup *cg, struct husk_error **err) {
  (void)cg;
  return no_systemd(err);
}

#endif
