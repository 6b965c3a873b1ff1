/* spec.c: config.json (OCI runtime-spec 1.2, Linux) into struct spec: the typed JSON getters,
 * ociVersion, root, process, mounts, hooks, annotations and the linux section; its resources
 * and seccomp parts live in spec_linux.c. */
#include "spec.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/error.h"
#include "base/utils.h"
#include "namespaces/namespaces.h"
#include "spec_internal.h"

/* Real configs are a few hundred KiB at most (big seccomp profiles); this only stops runaways. */

/* ---- paths, errors and ownership ---- */

char *spec_path(const char *at, const char *key) {
  if (!key)
    return xstrdup(at);
  return xasprintf("%s%s%s", at, *at ? "." : "", key);
}

static char *item_path(const char *at, const char *key, size_t i) {
  return xasprintf("%s%s%s[%zu]", at, *at ? "." : "", key, i);
}

int spec_errorf(struct husk_error **err, const char *at, const char *key, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *what = xvasprintf(fmt, ap);
  va_end(ap);
  _cleanup_free_ char *path = spec_path(at, key);
  return husk_error_set(err, EINVAL, "%s: %s", path, what);
}

void *spec_alloc(struct spec *s, size_t n, size_t size) {
  if (s->n_allocs == s->cap_allocs) {
    s->cap_allocs = s->cap_allocs ? s->cap_allocs * 2 : 32;
    s->allocs = xrealloc(s->allocs, s->cap_allocs * sizeof(*s->allocs));
  }
  void *p = xcalloc(n, size);
  s->allocs[s->n_allocs++] = p;
  return p;
}

/* ---- typed getters ---- */

/* A member, with JSON null treated like an absent key (as Go's decoder does for runc). */
static json_t *member(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_null(v) ? NULL : v;
}

static int absent(const char *at, const char *key, unsigned flags, struct husk_error **err) {
  return (flags & SPEC_REQ) ? spec_errorf(err, at, key, "required") : 0;
}

int spec_get_object(json_t *obj, const char *key, const char *at, unsigned flags, json_t **ret,
                    struct husk_error **err) {
  json_t *v = member(obj, key);
  if (!v)
    return absent(at, key, flags, err);
  if (!json_is_object(v))
    return spec_errorf(err, at, key, "expected an object");
  *ret = v;
  return 1;
}

int spec_get_string(json_t *obj, const char *key, const char *at, unsigned flags, const char **ret,
                    struct husk_error **err) {
  json_t *v = member(obj, key);
  if (!v)
    return absent(at, key, flags, err);
  if (!json_is_string(v))
    return spec_errorf(err, at, key, "expected a string");
  const char *str = json_string_value(v);
  if ((flags & SPEC_ABS) && str[0] != '/')
    return spec_errorf(err, at, key, "expected an absolute path");
  if ((flags & SPEC_NONEMPTY) && !str[0])
    return spec_errorf(err, at, key, "expected a non-empty string");
  *ret = str;
  return 1;
}

int spec_get_bool(json_t *obj, const char *key, const char *at, unsigned flags, bool *ret,
                  struct husk_error **err) {
  json_t *v = member(obj, key);
  if (!v)
    return absent(at, key, flags, err);
  if (!json_is_boolean(v))
    return spec_errorf(err, at, key, "expected a boolean");
  *ret = json_is_true(v);
  return 1;
}

static int check_int(json_t *v, const char *at, const char *key, int64_t min, int64_t max,
                     int64_t *ret, struct husk_error **err) {
  if (!json_is_integer(v))
    return spec_errorf(err, at, key, "expected an integer");
  json_int_t n = json_integer_value(v);
  if (n < min || n > max)
    return spec_errorf(err, at, key, "expected an integer between %" PRId64 " and %" PRId64, min,
                       max);
  *ret = n;
  return 1;
}

int spec_get_int(json_t *obj, const char *key, const char *at, unsigned flags, int64_t min,
                 int64_t max, int64_t *ret, struct husk_error **err) {
  json_t *v = member(obj, key);
  if (!v)
    return absent(at, key, flags, err);
  return check_int(v, at, key, min, max, ret, err);
}

/* jansson holds integers as long long, so values above INT64_MAX never reach here. */
int spec_get_uint(json_t *obj, const char *key, const char *at, unsigned flags, uint64_t max,
                  uint64_t *ret, struct husk_error **err) {
  json_t *v = member(obj, key);
  if (!v)
    return absent(at, key, flags, err);
  if (!json_is_integer(v))
    return spec_errorf(err, at, key, "expected an integer");
  json_int_t n = json_integer_value(v);
  if (n < 0 || (uint64_t)n > max)
    return spec_errorf(err, at, key, "expected an integer between 0 and %" PRIu64, max);
  *ret = (uint64_t)n;
  return 1;
}

int spec_get_opt_i64(json_t *obj, const char *key, const char *at, int64_t min,
                     struct spec_opt_i64 *ret, struct husk_error **err) {
  ret->set = TRY(spec_get_int(obj, key, at, 0, min, INT64_MAX, &ret->value, err)) > 0;
  return ret->set;
}

int spec_get_opt_u64(json_t *obj, const char *key, const char *at, uint64_t max,
                     struct spec_opt_u64 *ret, struct husk_error **err) {
  ret->set = TRY(spec_get_uint(obj, key, at, 0, max, &ret->value, err)) > 0;
  return ret->set;
}

int spec_get_strv(struct spec *s, json_t *obj, const char *key, const char *at, unsigned flags,
                  const char ***ret, struct husk_error **err) {
  json_t *v = member(obj, key);
  if (!v) {
    int r = absent(at, key, flags, err);
    if (r == 0 && (flags & SPEC_NOTNULL))
      *ret = spec_alloc(s, 1, sizeof(**ret));
    return r;
  }
  if (!json_is_array(v) || ((flags & SPEC_NONEMPTY) && json_array_size(v) == 0))
    return spec_errorf(err, at, key, "expected %sarray of strings",
                       (flags & SPEC_NONEMPTY) ? "a non-empty " : "an ");
  size_t n = json_array_size(v);
  const char **list = spec_alloc(s, n + 1, sizeof(*list));
  for (size_t i = 0; i < n; i++) {
    json_t *item = json_array_get(v, i);
    const char *problem = NULL;
    if (!json_is_string(item))
      problem = "expected a string";
    else if ((flags & SPEC_ABS) && json_string_value(item)[0] != '/')
      problem = "expected an absolute path";
    if (problem) {
      _cleanup_free_ char *path = item_path(at, key, i);
      return spec_errorf(err, path, NULL, "%s", problem);
    }
    list[i] = json_string_value(item);
  }
  *ret = list;
  return 1;
}

int spec_get_kv(struct spec *s, json_t *obj, const char *key, const char *at, struct spec_kv **ret,
                size_t *ret_n, struct husk_error **err) {
  json_t *v = member(obj, key);
  if (!v)
    return 0;
  if (!json_is_object(v))
    return spec_errorf(err, at, key, "expected an object of strings");
  struct spec_kv *kv = spec_alloc(s, json_object_size(v), sizeof(*kv));
  size_t n = 0;
  const char *k;
  json_t *value;
  json_object_foreach(v, k, value) {
    if (!json_is_string(value)) {
      /* keys such as "net.ipv4.ip_forward" hold dots, so name them in brackets */
      _cleanup_free_ char *path = spec_path(at, key);
      return husk_error_set(err, EINVAL, "%s[\"%s\"]: expected a string", path, k);
    }
    kv[n].key = k;
    kv[n].value = json_string_value(value);
    n++;
  }
  *ret = kv;
  *ret_n = n;
  return 1;
}

int spec_get_list(struct spec *s, json_t *obj, const char *key, const char *at, unsigned flags,
                  size_t elem_size, spec_elem_parser fn, void **ret, size_t *ret_n,
                  struct husk_error **err) {
  json_t *v = member(obj, key);
  if (!v)
    return absent(at, key, flags, err);
  if (!json_is_array(v))
    return spec_errorf(err, at, key, "expected an array of objects");
  size_t n = json_array_size(v);
  char *elems = spec_alloc(s, n, elem_size);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *path = item_path(at, key, i);
    json_t *item = json_array_get(v, i);
    if (!json_is_object(item))
      return spec_errorf(err, path, NULL, "expected an object");
    TRY(fn(s, item, path, elems + i * elem_size, err));
  }
  *ret = elems;
  *ret_n = n;
  return 1;
}

/* ---- process ---- */

static int parse_env(struct spec *s, json_t *obj, const char *at, const char ***ret,
                     struct husk_error **err) {
  const char **env = NULL;
  TRY(spec_get_strv(s, obj, "env", at, SPEC_NOTNULL, &env, err));
  for (size_t i = 0; env[i]; i++)
    if (!strchr(env[i], '=')) {
      _cleanup_free_ char *path = item_path(at, "env", i);
      return spec_errorf(err, path, NULL, "expected \"NAME=value\", got \"%s\"", env[i]);
    }
  *ret = env;
  return 1;
}

static int parse_user(struct spec *s, json_t *proc, const char *at, struct spec_user *u,
                      struct husk_error **err) {
  json_t *o = NULL, *gids;
  if (!TRY(spec_get_object(proc, "user", at, 0, &o, err)))
    return 0; /* no user: root in the container */
  _cleanup_free_ char *uat = spec_path(at, "user");
  int64_t v = 0;
  TRY(spec_get_int(o, "uid", uat, SPEC_REQ, 0, UINT32_MAX - 1, &v, err));
  u->uid = (uid_t)v;
  TRY(spec_get_int(o, "gid", uat, SPEC_REQ, 0, UINT32_MAX - 1, &v, err));
  u->gid = (gid_t)v;
  if (TRY(spec_get_int(o, "umask", uat, 0, 0, 0777, &v, err))) {
    u->has_umask = true;
    u->umask = (mode_t)v;
  }
  TRY(spec_get_string(o, "username", uat, 0, &u->username, err));

  gids = member(o, "additionalGids");
  if (!gids)
    return 1;
  if (!json_is_array(gids))
    return spec_errorf(err, uat, "additionalGids", "expected an array of integers");
  u->n_additional_gids = json_array_size(gids);
  u->additional_gids = spec_alloc(s, u->n_additional_gids, sizeof(gid_t));
  for (size_t i = 0; i < u->n_additional_gids; i++) {
    _cleanup_free_ char *key = xasprintf("additionalGids[%zu]", i);
    TRY(check_int(json_array_get(gids, i), uat, key, 0, UINT32_MAX - 1, &v, err));
    u->additional_gids[i] = (gid_t)v;
  }
  return 1;
}

static int parse_console_size(json_t *proc, const char *at, struct spec_process *p,
                              struct husk_error **err) {
  json_t *o = NULL;
  if (!TRY(spec_get_object(proc, "consoleSize", at, 0, &o, err)))
    return 0;
  _cleanup_free_ char *cat = spec_path(at, "consoleSize");
  int64_t v = 0;
  TRY(spec_get_int(o, "height", cat, SPEC_REQ, 0, UINT_MAX, &v, err));
  p->console_height = (unsigned)v;
  TRY(spec_get_int(o, "width", cat, SPEC_REQ, 0, UINT_MAX, &v, err));
  p->console_width = (unsigned)v;
  p->has_console_size = true;
  return 1;
}

static int parse_capabilities(struct spec *s, json_t *proc, const char *at,
                              struct spec_capabilities **ret, struct husk_error **err) {
  json_t *o = NULL;
  if (!TRY(spec_get_object(proc, "capabilities", at, 0, &o, err)))
    return 0;
  _cleanup_free_ char *cat = spec_path(at, "capabilities");
  struct spec_capabilities *c = spec_alloc(s, 1, sizeof(*c));
  TRY(spec_get_strv(s, o, "bounding", cat, 0, &c->bounding, err));
  TRY(spec_get_strv(s, o, "effective", cat, 0, &c->effective, err));
  TRY(spec_get_strv(s, o, "inheritable", cat, 0, &c->inheritable, err));
  TRY(spec_get_strv(s, o, "permitted", cat, 0, &c->permitted, err));
  TRY(spec_get_strv(s, o, "ambient", cat, 0, &c->ambient, err));
  *ret = c;
  return 1;
}

static int parse_rlimit(struct spec *s, json_t *o, const char *at, void *out,
                        struct husk_error **err) {
  (void)s;
  struct spec_rlimit *rl = out;
  TRY(spec_get_string(o, "type", at, SPEC_REQ | SPEC_NONEMPTY, &rl->type, err));
  TRY(spec_get_uint(o, "hard", at, SPEC_REQ, UINT64_MAX, &rl->hard, err));
  TRY(spec_get_uint(o, "soft", at, SPEC_REQ, UINT64_MAX, &rl->soft, err));
  return 0;
}

/* A process object at path at ("process"), as in config.json or exec --process. */
static int parse_process(struct spec *s, json_t *o, const char *at, struct spec_process **ret,
                         struct husk_error **err) {
  struct spec_process *p = spec_alloc(s, 1, sizeof(*p));
  TRY(spec_get_bool(o, "terminal", at, 0, &p->terminal, err));
  TRY(parse_console_size(o, at, p, err));
  TRY(parse_user(s, o, at, &p->user, err));
  TRY(spec_get_strv(s, o, "args", at, SPEC_REQ | SPEC_NONEMPTY, &p->args, err));
  TRY(parse_env(s, o, at, &p->env, err));
  TRY(spec_get_string(o, "cwd", at, SPEC_REQ | SPEC_ABS, &p->cwd, err));
  TRY(parse_capabilities(s, o, at, &p->capabilities, err));
  TRY(SPEC_GET_LIST(s, o, "rlimits", at, 0, parse_rlimit, p->rlimits, p->n_rlimits, err));
  TRY(spec_get_bool(o, "noNewPrivileges", at, 0, &p->no_new_privileges, err));
  TRY(spec_get_string(o, "apparmorProfile", at, 0, &p->apparmor_profile, err));
  TRY(spec_get_string(o, "selinuxLabel", at, 0, &p->selinux_label, err));
  int64_t adj = 0;
  if (TRY(spec_get_int(o, "oomScoreAdj", at, 0, -1000, 1000, &adj, err))) {
    p->has_oom_score_adj = true;
    p->oom_score_adj = (int)adj;
  }
  *ret = p;
  return 0;
}

/* ---- root, mounts, hooks ---- */

static int parse_oci_version(json_t *doc, const char **ret, struct husk_error **err) {
  const char *v = NULL;
  TRY(spec_get_string(doc, "ociVersion", "", SPEC_REQ, &v, err));
  /* any 1.x release: the 1.x line only adds fields, which husk ignores when unknown */
  if (v[0] != '1' || (v[1] != '.' && v[1] != '\0'))
    return spec_errorf(err, "ociVersion", NULL, "unsupported version \"%s\" (husk supports 1.x)",
                       v);
  *ret = v;
  return 0;
}

static int parse_root(json_t *doc, struct spec_root *root, struct husk_error **err) {
  json_t *o = NULL;
  /* Optional in the spec, but Linux containers always need one. */
  TRY(spec_get_object(doc, "root", "", SPEC_REQ, &o, err));
  TRY(spec_get_string(o, "path", "root", SPEC_REQ | SPEC_NONEMPTY, &root->path, err));
  TRY(spec_get_bool(o, "readonly", "root", 0, &root->readonly, err));
  return 0;
}

static int parse_mount(struct spec *s, json_t *o, const char *at, void *out,
                       struct husk_error **err) {
  struct spec_mount *m = out;
  TRY(spec_get_string(o, "destination", at, SPEC_REQ | SPEC_ABS, &m->destination, err));
  TRY(spec_get_string(o, "type", at, 0, &m->type, err));
  TRY(spec_get_string(o, "source", at, 0, &m->source, err));
  TRY(spec_get_strv(s, o, "options", at, SPEC_NOTNULL, &m->options, err));
  return 0;
}

static const char *const hook_phase_names[HOOK_PHASE_COUNT] = {
    [HOOK_PRESTART] = "prestart",
    [HOOK_CREATE_RUNTIME] = "createRuntime",
    [HOOK_CREATE_CONTAINER] = "createContainer",
    [HOOK_START_CONTAINER] = "startContainer",
    [HOOK_POSTSTART] = "poststart",
    [HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_phase_name(enum spec_hook_phase phase) {
  return (unsigned)phase < HOOK_PHASE_COUNT ? hook_phase_names[phase] : NULL;
}

static int parse_hook(struct spec *s, json_t *o, const char *at, void *out,
                      struct husk_error **err) {
  struct spec_hook *h = out;
  TRY(spec_get_string(o, "path", at, SPEC_REQ | SPEC_ABS, &h->path, err));
  TRY(spec_get_strv(s, o, "args", at, SPEC_NOTNULL, &h->args, err));
  TRY(parse_env(s, o, at, &h->env, err));
  int64_t t = 0;
  if (TRY(spec_get_int(o, "timeout", at, 0, 1, INT_MAX, &t, err))) {
    h->has_timeout = true;
    h->timeout = (int)t;
  }
  return 0;
}

static int parse_hooks(struct spec *s, json_t *doc, struct husk_error **err) {
  json_t *o = NULL;
  if (!TRY(spec_get_object(doc, "hooks", "", 0, &o, err)))
    return 0;
  for (int ph = 0; ph < HOOK_PHASE_COUNT; ph++) {
    struct spec_hook_list *l = &s->hooks[ph];
    TRY(SPEC_GET_LIST(s, o, hook_phase_names[ph], "hooks", 0, parse_hook, l->hooks, l->n, err));
  }
  return 0;
}

/* ---- linux ---- */

static int parse_namespace(struct spec *s, json_t *o, const char *at, void *out,
                           struct husk_error **err) {
  (void)s;
  struct spec_namespace *ns = out;
  const char *type = NULL;
  TRY(spec_get_string(o, "type", at, SPEC_REQ, &type, err));
  ns->type = ns_flag_from_spec_name(type);
  if (!ns->type)
    return spec_errorf(err, at, "type", "unknown namespace type \"%s\"", type);
  TRY(spec_get_string(o, "path", at, 0, &ns->path, err));
  if (ns->path && !ns->path[0])
    ns->path = NULL; /* some tools write "" for "make a new one" */
  return 0;
}

static int parse_namespaces(struct spec *s, json_t *o, struct husk_error **err) {
  struct spec_linux *l = &s->linux_;
  if (!TRY(SPEC_GET_LIST(s, o, "namespaces", "linux", 0, parse_namespace, l->namespaces,
                         l->n_namespaces, err)))
    return 0;
  for (size_t i = 1; i < l->n_namespaces; i++)
    for (size_t j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type) {
        json_t *item = json_array_get(json_object_get(o, "namespaces"), i);
        _cleanup_free_ char *path = item_path("linux", "namespaces", i);
        return spec_errorf(err, path, "type", "namespace \"%s\" listed twice",
                           json_string_value(json_object_get(item, "type")));
      }
  return 0;
}

static int parse_id_mapping(struct spec *s, json_t *o, const char *at, void *out,
                            struct husk_error **err) {
  (void)s;
  struct spec_id_mapping *m = out;
  int64_t v = 0;
  TRY(spec_get_int(o, "containerID", at, SPEC_REQ, 0, UINT32_MAX, &v, err));
  m->container_id = (uint32_t)v;
  TRY(spec_get_int(o, "hostID", at, SPEC_REQ, 0, UINT32_MAX, &v, err));
  m->host_id = (uint32_t)v;
  TRY(spec_get_int(o, "size", at, SPEC_REQ, 1, UINT32_MAX, &v, err));
  m->size = (uint32_t)v;
  return 0;
}

static int parse_device(struct spec *s, json_t *o, const char *at, void *out,
                        struct husk_error **err) {
  (void)s;
  struct spec_device *d = out;
  const char *type = NULL;
  TRY(spec_get_string(o, "path", at, SPEC_REQ | SPEC_ABS, &d->path, err));
  TRY(spec_get_string(o, "type", at, SPEC_REQ, &type, err));
  if (strlen(type) != 1 || !strchr("cbup", type[0]))
    return spec_errorf(err, at, "type",
                       "unknown device type \"%s\" (expected \"c\", \"b\", \"u\" or \"p\")", type);
  d->type = type[0];
  unsigned need = d->type == 'p' ? 0 : SPEC_REQ; /* a fifo has no device number */
  TRY(spec_get_int(o, "major", at, need, 0, UINT32_MAX, &d->major, err));
  TRY(spec_get_int(o, "minor", at, need, 0, UINT32_MAX, &d->minor, err));
  int64_t v = 0;
  /* Engines pass a whole st_mode (podman: 020666 for a character device): type bits there
   * must agree with the type; the permission bits are what is kept. */
  if (TRY(spec_get_int(o, "fileMode", at, 0, 0, 0177777, &v, err))) {
    mode_t fmt = (mode_t)v & S_IFMT;
    mode_t want = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    if (fmt && fmt != want)
      return spec_errorf(err, at, "fileMode", "file type bits %#o do not match type \"%c\"",
                         (unsigned)fmt, d->type);
    d->has_file_mode = true;
    d->file_mode = (mode_t)v & 07777;
  }
  if (TRY(spec_get_int(o, "uid", at, 0, 0, UINT32_MAX - 1, &v, err))) {
    d->has_uid = true;
    d->uid = (uid_t)v;
  }
  if (TRY(spec_get_int(o, "gid", at, 0, 0, UINT32_MAX - 1, &v, err))) {
    d->has_gid = true;
    d->gid = (gid_t)v;
  }
  return 0;
}

static const struct {
  const char *name;
  unsigned long flags;
} propagations[] = {
    {"shared", MS_SHARED},
    {"slave", MS_SLAVE},
    {"private", MS_PRIVATE},
    {"unbindable", MS_UNBINDABLE},
    {"rshared", MS_SHARED | MS_REC},
    {"rslave", MS_SLAVE | MS_REC},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"runbindable", MS_UNBINDABLE | MS_REC},
};

static int parse_rootfs_propagation(json_t *o, struct spec_linux *l, struct husk_error **err) {
  const char *name = NULL;
  if (!TRY(spec_get_string(o, "rootfsPropagation", "linux", 0, &name, err)) || !name[0])
    return 0; /* "" means the default, as in runc */
  for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
    if (strcmp(name, propagations[i].name) == 0) {
      l->rootfs_propagation = propagations[i].flags;
      l->rootfs_propagation_name = name;
      return 0;
    }
  return spec_errorf(err, "linux", "rootfsPropagation",
                     "unknown propagation \"%s\" (expected shared, slave, private, unbindable, "
                     "rshared, rslave, rprivate or runbindable)",
                     name);
}

static int parse_linux(struct spec *s, json_t *doc, struct husk_error **err) {
  struct spec_linux *l = &s->linux_;
  json_t *o = NULL;
  if (!TRY(spec_get_object(doc, "linux", "", 0, &o, err))) {
    l->masked_paths = spec_alloc(s, 1, sizeof(char *));
    l->readonly_paths = spec_alloc(s, 1, sizeof(char *));
    return 0;
  }
  const char *at = "linux";
  TRY(parse_namespaces(s, o, err));
  TRY(SPEC_GET_LIST(s, o, "uidMappings", at, 0, parse_id_mapping, l->uid_mappings,
                    l->n_uid_mappings, err));
  TRY(SPEC_GET_LIST(s, o, "gidMappings", at, 0, parse_id_mapping, l->gid_mappings,
                    l->n_gid_mappings, err));
  TRY(SPEC_GET_LIST(s, o, "devices", at, 0, parse_device, l->devices, l->n_devices, err));
  TRY(spec_get_string(o, "cgroupsPath", at, 0, &l->cgroups_path, err));
  TRY(spec_parse_resources(s, o, err));
  TRY(spec_get_kv(s, o, "sysctl", at, &l->sysctl, &l->n_sysctl, err));
  TRY(spec_parse_seccomp(s, o, err));
  TRY(parse_rootfs_propagation(o, l, err));
  TRY(spec_get_strv(s, o, "maskedPaths", at, SPEC_ABS | SPEC_NOTNULL, &l->masked_paths, err));
  TRY(spec_get_strv(s, o, "readonlyPaths", at, SPEC_ABS | SPEC_NOTNULL, &l->readonly_paths, err));
  TRY(spec_get_string(o, "mountLabel", at, 0, &l->mount_label, err));
  return 0;
}

/* ---- documents ---- */

static int parse_document(struct spec *s, struct husk_error **err) {
  json_t *doc = s->doc, *proc = NULL;
  if (!json_is_object(doc))
    return husk_error_set(err, EINVAL, "config: expected a JSON object");
  TRY(parse_oci_version(doc, &s->oci_version, err));
  TRY(parse_root(doc, &s->root, err));
  if (TRY(spec_get_object(doc, "process", "", 0, &proc, err)))
    TRY(parse_process(s, proc, "process", &s->process, err));
  TRY(spec_get_string(doc, "hostname", "", 0, &s->hostname, err));
  TRY(spec_get_string(doc, "domainname", "", 0, &s->domainname, err));
  TRY(SPEC_GET_LIST(s, doc, "mounts", "", 0, parse_mount, s->mounts, s->n_mounts, err));
  TRY(parse_hooks(s, doc, err));
  TRY(spec_get_kv(s, doc, "annotations", "", &s->annotations, &s->n_annotations, err));
  TRY(parse_linux(s, doc, err));
  return 0;
}

static int load_json_file(const char *path, json_t **ret, struct husk_error **err) {
  return json_load_file_at(AT_FDCWD, path, HUSK_FILE_MAX, ret, err);
}

int spec_parse_json(json_t *doc, struct spec **ret, struct husk_error **err) {
  _cleanup_spec_ struct spec *s = xcalloc(1, sizeof(*s));
  s->doc = json_incref(doc);
  TRY(parse_document(s, err));
  *ret = TAKE_PTR(s);
  return 0;
}

int spec_parse_string(const char *text, struct spec **ret, struct husk_error **err) {
  json_error_t jerr;
  _cleanup_json_ json_t *doc = json_loads(text, 0, &jerr);
  if (!doc)
    return husk_error_set(err, EINVAL, "invalid JSON at line %d, column %d: %s", jerr.line,
                          jerr.column, jerr.text);
  return spec_parse_json(doc, ret, err);
}

int spec_parse_file(const char *path, struct spec **ret, struct husk_error **err) {
  _cleanup_json_ json_t *doc = NULL;
  TRY(load_json_file(path, &doc, err));
  return spec_parse_json(doc, ret, err);
}

int spec_parse_process_file(const char *path, struct spec **ret, struct husk_error **err) {
  _cleanup_spec_ struct spec *s = xcalloc(1, sizeof(*s));
  TRY(load_json_file(path, &s->doc, err));
  if (!json_is_object(s->doc))
    return husk_error_set(err, EINVAL, "process: expected an object");
  TRY(parse_process(s, s->doc, "process", &s->process, err));
  s->linux_.masked_paths = spec_alloc(s, 1, sizeof(char *));
  s->linux_.readonly_paths = spec_alloc(s, 1, sizeof(char *));
  *ret = TAKE_PTR(s);
  return 0;
}

void spec_free(struct spec *spec) {
  if (!spec)
    return;
  for (size_t i = 0; i < spec->n_allocs; i++)
    free(spec->allocs[i]);
  free(spec->allocs);
  json_decref(spec->doc);
  free(spec);
}

/* ---- lookups ---- */

const char *spec_annotation(const struct spec *spec, const char *key) {
  for (size_t i = 0; i < spec->n_annotations; i++)
    if (strcmp(spec->annotations[i].key, key) == 0)
      return spec->annotations[i].value;
  return NULL;
}

const struct spec_namespace *spec_namespace(const struct spec *spec, int type) {
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    if (spec->linux_.namespaces[i].type == type)
      return &spec->linux_.namespaces[i];
  return NULL;
}
