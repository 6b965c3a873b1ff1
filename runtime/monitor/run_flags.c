/* run_flags.c: docker run's everyday flags (run_flags.h). Mounts are kept in an internal form
 * until the edit: an OCI mount object whose type may be "volume" (source a volume name, made
 * up for an anonymous one), with "husk.mkdir" on -v's binds (a missing host directory is
 * made, as docker's -v does) and "husk.nocopy" on volumes; the edit turns each into the bind
 * or tmpfs mount container_create sees. */
#include "run_flags.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "container/container.h"
#include "image/volume.h"
#include "process/capabilities.h"
#include "run_options.h"
#include "seccomp/seccomp.h"
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

static json_t *array_of(json_t **a) {
  if (!*a)
    *a = json_array();
  return *a;
}

static json_t *object_of(json_t **o) {
  if (!*o)
    *o = json_object();
  return *o;
}

/* ---- mounts: -v, --mount, --tmpfs ---- */

static bool is_one_of(const char *s, const char *const *list) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(s, list[i]) == 0)
      return true;
  return false;
}

static const char *const propagations[] = {"shared", "slave",    "private", "rshared",
                                           "rslave", "rprivate", NULL};

/* A path as docker compares mount points: without trailing slashes or "." components. */
static char *clean_path(const char *p) {
  char *out = xcalloc(1, strlen(p) + 2);
  char *w = out;
  for (const char *s = p; *s;) {
    while (*s == '/')
      s++;
    const char *end = s + strcspn(s, "/");
    size_t n = (size_t)(end - s);
    if (n == 0)
      break;
    if (!(n == 1 && s[0] == '.')) {
      *w++ = '/';
      memcpy(w, s, n);
      w += n;
    }
    s = end;
  }
  if (w == out)
    *w++ = '/';
  *w = '\0';
  return out;
}

/* Docker's checks of a mount's target, in its words. */
static int check_target(const char *type, const char *target, struct husk_error **err) {
  if (!*target)
    return husk_error_set(
        err, EINVAL, "invalid mount config for type \"%s\": field Target must not be empty", type);
  if (target[0] != '/')
    return husk_error_set(err, EINVAL,
                          "invalid mount config for type \"%s\": invalid mount path: '%s' mount "
                          "path must be absolute",
                          type, target);
  _cleanup_free_ char *clean = clean_path(target);
  if (strcmp(clean, "/") == 0)
    return husk_error_set(err, EINVAL,
                          "invalid mount config for type \"%s\": invalid specification: "
                          "destination can't be '/'",
                          type);
  return 0;
}

/* An anonymous volume (-v DST, --mount without a source) is named here, once: a restart of the
 * container by its monitor finds the same one, as docker's does. */
static char *anonymous_volume_name(void) {
  unsigned char raw[32];
  if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
    abort();
  char *name = xcalloc(1, 2 * sizeof(raw) + 1);
  for (size_t i = 0; i < sizeof(raw); i++)
    snprintf(name + 2 * i, 3, "%02x", raw[i]);
  return name;
}

static int add_mount(struct run_flags *f, json_t *m, struct husk_error **err) {
  _cleanup_free_ char *dst = clean_path(json_string_value(json_object_get(m, "destination")));
  json_t *mounts = array_of(&f->mounts);
  size_t i;
  json_t *other;
  json_array_foreach(mounts, i, other) {
    if (strcmp(json_string_value(json_object_get(other, "destination")), dst) == 0) {
      json_decref(m);
      return husk_error_set(err, EINVAL, "Duplicate mount point: %s", dst);
    }
  }
  json_object_set_new(m, "destination", json_string(dst));
  const char *type = json_string_value(json_object_get(m, "type"));
  if (strcmp(type, "volume") == 0 && !*json_string_value(json_object_get(m, "source"))) {
    _cleanup_free_ char *name = anonymous_volume_name();
    json_object_set_new(m, "source", json_string(name));
  }
  json_array_append_new(mounts, m);
  return 0;
}

static json_t *bind_or_volume(const char *type, const char *source, const char *target, bool ro,
                              const char *propagation, bool nocopy) {
  json_t *opts = json_pack("[s,s]", "rbind", propagation ? propagation : "rprivate");
  if (ro)
    json_array_append_new(opts, json_string("ro"));
  json_t *m = json_pack("{s:s, s:s, s:s, s:o}", "destination", target, "type", type, "source",
                        source, "options", opts);
  if (nocopy)
    json_object_set_new(m, "husk.nocopy", json_true());
  return m;
}

/* -v's mode: ro|rw, z|Z, a propagation, nocopy, docker's consistency words; each kind once. */
static int parse_volume_mode(const char *mode, bool *ro, const char **propagation, bool *nocopy) {
  static const char *const labels[] = {"z", "Z", NULL};
  static const char *const consistency[] = {"consistent", "cached", "delegated", NULL};
  int n_rw = 0, n_label = 0, n_prop = 0, n_copy = 0, n_cons = 0;
  _cleanup_free_ char *copy = xstrdup(mode);
  char *save = NULL;
  for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0) {
      *ro = strcmp(o, "ro") == 0;
      n_rw++;
    } else if (is_one_of(o, labels)) {
      n_label++; /* SELinux relabels: husk relabels nothing (run_flags_edit warns) */
    } else if (is_one_of(o, propagations)) {
      for (size_t i = 0; propagations[i]; i++)
        if (strcmp(o, propagations[i]) == 0)
          *propagation = propagations[i];
      n_prop++;
    } else if (strcmp(o, "nocopy") == 0) {
      *nocopy = true;
      n_copy++;
    } else if (is_one_of(o, consistency)) {
      n_cons++; /* macOS file sharing: nothing on Linux */
    } else {
      return -EINVAL;
    }
  }
  return n_rw > 1 || n_label > 1 || n_prop > 1 || n_copy > 1 || n_cons > 1 ? -EINVAL : 0;
}

/* -v SRC:DST[:MODE], -v DST (an anonymous volume), moby's linuxParser.ParseMountRaw. */
static int parse_volume(struct run_flags *f, const char *spec, struct husk_error **err) {
  _cleanup_free_ char *copy = xstrdup(spec);
  char *parts[4] = {0};
  size_t n = 0;
  for (char *p = copy; n < 4;) {
    parts[n++] = p;
    char *colon = strchr(p, ':');
    if (!colon)
      break;
    *colon = '\0';
    p = colon + 1;
  }
  bool ro = false, nocopy = false;
  const char *propagation = NULL;
  const char *source = "", *target, *mode = "";
  if (n > 3 || !*parts[0])
    return husk_error_set(err, EINVAL, "invalid volume specification: '%s'", spec);
  if (n == 1) {
    target = parts[0];
  } else {
    source = parts[0];
    target = parts[1];
    if (n == 2 && parse_volume_mode(target, &ro, &propagation, &nocopy) == 0 && target[0] != '/')
      return husk_error_set(err, EINVAL, "invalid volume specification: '%s'", spec);
    if (n == 3)
      mode = parts[2];
  }
  if (parse_volume_mode(mode, &ro, &propagation, &nocopy) < 0)
    return husk_error_set(err, EINVAL, "invalid mode: %s", mode);
  bool bind = source[0] == '/';
  const char *type = bind ? "bind" : "volume";
  int r = check_target(type, target, err);
  if (r < 0)
    return r;
  if (!bind && *source && !volume_name_valid(source))
    return husk_error_set(err, EINVAL,
                          "create %s: \"%s\" includes invalid characters for a local volume "
                          "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
                          "to pass a host directory, use absolute path",
                          source, source);
  if (bind && propagation == NULL)
    propagation = "rprivate";
  json_t *m = bind_or_volume(type, source, target, ro, propagation, nocopy && !bind);
  if (bind)
    json_object_set_new(m, "husk.mkdir", json_true());
  return add_mount(f, m, err);
}

/* Docker's tmpfs options (moby pkg/mount ParseTmpfsOptions): mount flags, or one of the
 * filesystem's own keys. */
static bool tmpfs_option_ok(const char *o) {
  static const char *const flags[] = {
      "defaults", "ro",         "rw",          "suid",          "nosuid",     "dev",
      "nodev",    "exec",       "noexec",      "sync",          "async",      "dirsync",
      "mand",     "nomand",     "atime",       "noatime",       "diratime",   "nodiratime",
      "relatime", "norelatime", "strictatime", "nostrictatime", "private",    "rprivate",
      "shared",   "rshared",    "slave",       "rslave",        "unbindable", "runbindable",
      NULL};
  static const char *const keys[] = {"size",      "mode",      "uid",  "gid",
                                     "nr_inodes", "nr_blocks", "mpol", NULL};
  if (is_one_of(o, flags))
    return true;
  const char *eq = strchr(o, '=');
  if (!eq)
    return false;
  _cleanup_free_ char *key = strndup(o, (size_t)(eq - o));
  return is_one_of(key, keys);
}

/* The flag that undoes o ("exec" for "noexec"), or NULL. */
static const char *opposite(const char *o) {
  static const char *const pairs[][2] = {{"noexec", "exec"},
                                         {"nosuid", "suid"},
                                         {"nodev", "dev"},
                                         {"ro", "rw"},
                                         {"sync", "async"},
                                         {"noatime", "atime"},
                                         {"nodiratime", "diratime"},
                                         {"norelatime", "relatime"},
                                         {"nostrictatime", "strictatime"},
                                         {"nomand", "mand"}};
  for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
    for (int j = 0; j < 2; j++)
      if (strcmp(o, pairs[i][j]) == 0)
        return pairs[i][1 - j];
  return NULL;
}

/* Docker's defaults (noexec, nosuid, nodev, rprivate) and then the user's options, a later
 * one replacing an earlier one it contradicts or whose key it has (moby MergeTmpfsOptions). */
static json_t *tmpfs_options(const char *user) {
  json_t *opts = json_pack("[s,s,s,s]", "noexec", "nosuid", "nodev", "rprivate");
  _cleanup_free_ char *copy = xstrdup(user ? user : "");
  char *save = NULL;
  for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    const char *undo = opposite(o);
    const char *eq = strchr(o, '=');
    size_t key_len = eq ? (size_t)(eq - o) + 1 : 0;
    for (size_t i = json_array_size(opts); i-- > 0;) {
      const char *have = json_string_value(json_array_get(opts, i));
      bool same = strcmp(have, o) == 0 || (undo && strcmp(have, undo) == 0) ||
                  (key_len && strncmp(have, o, key_len) == 0) ||
                  (is_one_of(o, propagations) && is_one_of(have, propagations));
      if (same)
        json_array_remove(opts, i);
    }
    json_array_append_new(opts, json_string(o));
  }
  return opts;
}

static int add_tmpfs(struct run_flags *f, const char *target, const char *options, const char *flag,
                     struct husk_error **err) {
  int r = check_target("tmpfs", target, err);
  if (r < 0)
    return husk_error_wrap(err, "%s", flag);
  _cleanup_free_ char *copy = xstrdup(options ? options : "");
  char *save = NULL;
  for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
    if (!tmpfs_option_ok(o))
      return husk_error_set(err, EINVAL, "%s: invalid tmpfs option \"%s\"", flag, o);
  json_t *m = json_pack("{s:s, s:s, s:s, s:o}", "destination", target, "type", "tmpfs", "source",
                        "tmpfs", "options", tmpfs_options(options));
  return add_mount(f, m, err);
}

/* --tmpfs DST[:OPTS] */
static int parse_tmpfs(struct run_flags *f, const char *spec, struct husk_error **err) {
  _cleanup_free_ char *target = xstrdup(spec);
  char *colon = strchr(target, ':');
  if (colon)
    *colon++ = '\0';
  return add_tmpfs(f, target, colon, "--tmpfs", err);
}

static int parse_bool(const char *v, bool *ret) {
  static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
  static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
  if (is_one_of(v, yes))
    *ret = true;
  else if (is_one_of(v, no))
    *ret = false;
  else
    return -EINVAL;
  return 0;
}

/* One CSV field of --mount: quotes as encoding/csv has them ("a,b" and "" inside). */
static char *csv_field(const char **p) {
  char *out = xcalloc(1, strlen(*p) + 1), *w = out;
  const char *s = *p;
  bool quoted = *s == '"';
  if (quoted)
    s++;
  for (; *s; s++) {
    if (quoted && *s == '"' && s[1] == '"') {
      *w++ = '"';
      s++;
    } else if (quoted && *s == '"') {
      quoted = false;
    } else if (!quoted && *s == ',') {
      break;
    } else {
      *w++ = *s;
    }
  }
  *p = *s == ',' ? s + 1 : s;
  return out;
}

struct mount_spec {
  char *type, *source, *target;
  bool ro, nocopy, volume_opts, bind_opts, tmpfs_opts;
  const char *propagation;
  int64_t tmpfs_size;
  long tmpfs_mode; /* -1: none */
};

static int mount_field(struct mount_spec *m, char *field, const char *spec,
                       struct husk_error **err) {
  char *eq = strchr(field, '=');
  if (eq)
    *eq = '\0';
  for (char *k = field; *k; k++)
    *k = (char)tolower((unsigned char)*k);
  const char *key = field, *val = eq ? eq + 1 : NULL;
  if (!val) {
    if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0)
      m->ro = true;
    else if (strcmp(key, "volume-nocopy") == 0)
      m->nocopy = m->volume_opts = true;
    else
      return husk_error_set(err, EINVAL, "invalid field '%s' must be a key=value pair", field);
    return 0;
  }
  if (strcmp(key, "type") == 0) {
    free(m->type);
    m->type = xstrdup(val);
    for (char *t = m->type; *t; t++)
      *t = (char)tolower((unsigned char)*t);
  } else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0) {
    free(m->source);
    char *abs = (strcmp(val, ".") == 0 || str_has_prefix(val, "./")) ? realpath(val, NULL) : NULL;
    m->source = abs ? abs : xstrdup(val);
  } else if (strcmp(key, "target") == 0 || strcmp(key, "dst") == 0 ||
             strcmp(key, "destination") == 0) {
    free(m->target);
    m->target = xstrdup(val);
  } else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
    if (parse_bool(val, &m->ro) < 0)
      return husk_error_set(err, EINVAL, "invalid value for %s: %s", key, val);
  } else if (strcmp(key, "bind-propagation") == 0) {
    m->bind_opts = true;
    m->propagation = NULL;
    for (size_t i = 0; propagations[i]; i++)
      if (strcasecmp(val, propagations[i]) == 0)
        m->propagation = propagations[i];
    if (!m->propagation)
      return husk_error_set(
          err, EINVAL, "invalid mount config for type \"bind\": invalid propagation mode: %s", val);
  } else if (strcmp(key, "volume-nocopy") == 0) {
    m->volume_opts = true;
    if (parse_bool(val, &m->nocopy) < 0)
      return husk_error_set(err, EINVAL, "invalid value for volume-nocopy: %s", val);
  } else if (strcmp(key, "tmpfs-size") == 0) {
    m->tmpfs_opts = true;
    _cleanup_error_ struct husk_error *e = NULL;
    if (parse_memory_size(val, &m->tmpfs_size, &e) < 0)
      return husk_error_set(err, EINVAL, "invalid value for %s: %s", key, val);
  } else if (strcmp(key, "tmpfs-mode") == 0) {
    m->tmpfs_opts = true;
    char *end;
    errno = 0;
    long mode = strtol(val, &end, 8);
    if (errno || end == val || *end || mode < 0 || mode > 07777)
      return husk_error_set(err, EINVAL, "invalid value for %s: %s", key, val);
    m->tmpfs_mode = mode;
  } else {
    (void)spec;
    return husk_error_set(err, EINVAL, "unexpected key '%s' in '%s=%s'", key, key, val);
  }
  return 0;
}

/* --mount type=bind|volume|tmpfs,source=,target=,... (docker's cli opts/mount.go, then the
 * daemon's validateMountConfig). */
static int parse_mount(struct run_flags *f, const char *spec, struct husk_error **err) {
  struct mount_spec m = {.type = xstrdup("volume"), .tmpfs_mode = -1};
  int r = 0;
  for (const char *p = spec; r >= 0 && *p;) {
    _cleanup_free_ char *field = csv_field(&p);
    r = mount_field(&m, field, spec, err);
  }
  const char *type = m.type;
  if (r >= 0 && !*type)
    r = husk_error_set(err, EINVAL, "type is required");
  else if (r >= 0 && (!m.target || !*m.target))
    r = husk_error_set(err, EINVAL, "target is required");
  else if (r >= 0 && m.volume_opts && strcmp(type, "volume") != 0)
    r = husk_error_set(err, EINVAL, "cannot mix 'volume-*' options with mount type '%s'", type);
  else if (r >= 0 && m.bind_opts && strcmp(type, "bind") != 0)
    r = husk_error_set(err, EINVAL, "cannot mix 'bind-*' options with mount type '%s'", type);
  else if (r >= 0 && m.tmpfs_opts && strcmp(type, "tmpfs") != 0)
    r = husk_error_set(err, EINVAL, "cannot mix 'tmpfs-*' options with mount type '%s'", type);
  else if (r >= 0 && strcmp(type, "bind") && strcmp(type, "volume") && strcmp(type, "tmpfs"))
    r = husk_error_set(err, EINVAL, "invalid mount config for type \"%s\": mount type unknown",
                       type);
  if (r >= 0)
    r = check_target(type, m.target, err);
  const char *source = m.source ? m.source : "";
  if (r >= 0 && strcmp(type, "bind") == 0) {
    if (!*source)
      r = husk_error_set(err, EINVAL,
                         "invalid mount config for type \"bind\": field Source must not be empty");
    else if (source[0] != '/')
      r = husk_error_set(err, EINVAL,
                         "invalid mount config for type \"bind\": invalid mount path: '%s' mount "
                         "path must be absolute",
                         source);
    else
      r = add_mount(f, bind_or_volume("bind", source, m.target, m.ro, m.propagation, false), err);
  } else if (r >= 0 && strcmp(type, "volume") == 0) {
    if (!*source && m.ro)
      r = husk_error_set(err, EINVAL,
                         "invalid mount config for type \"volume\": must not set ReadOnly mode "
                         "when using anonymous volumes");
    else if (*source && !volume_name_valid(source))
      r = husk_error_set(err, EINVAL,
                         "create %s: \"%s\" includes invalid characters for a local volume name, "
                         "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass "
                         "a host directory, use absolute path",
                         source, source);
    else
      r = add_mount(f, bind_or_volume("volume", source, m.target, m.ro, NULL, m.nocopy), err);
  } else if (r >= 0) { /* tmpfs */
    char opts[96] = "";
    size_t len = 0;
    if (*source)
      r = husk_error_set(err, EINVAL,
                         "invalid mount config for type \"tmpfs\": field Source must not be "
                         "specified");
    if (m.ro)
      len += (size_t)snprintf(opts + len, sizeof(opts) - len, "ro,");
    if (m.tmpfs_size > 0)
      len += (size_t)snprintf(opts + len, sizeof(opts) - len, "size=%lldk,",
                              (long long)((m.tmpfs_size + 1023) / 1024));
    if (m.tmpfs_mode >= 0)
      len += (size_t)snprintf(opts + len, sizeof(opts) - len, "mode=%lo,", m.tmpfs_mode);
    if (len)
      opts[len - 1] = '\0';
    if (r >= 0)
      r = add_tmpfs(f, m.target, opts, "--mount", err);
  }
  free(m.type);
  free(m.source);
  free(m.target);
  return r;
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
  json_array_append_new(array_of(list), json_string(name));
  return 0;
}

static bool list_has(const json_t *list, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    if (strcmp(json_string_value(v), s) == 0)
      return true;
  }
  return false;
}

static json_t *all_capabilities(void) {
  json_t *all = json_array();
  for (int v = 0; v < (int)cap_max_bits() && v < 64; v++) {
    char *lower = cap_to_name(v);
    if (!lower)
      continue;
    _cleanup_free_ char *upper = xstrdup(lower);
    cap_free(lower);
    for (char *p = upper; *p; p++)
      *p = (char)toupper((unsigned char)*p);
    if (str_has_prefix(upper, "CAP_"))
      json_array_append_new(all, json_string(upper));
  }
  return all;
}

json_t *capabilities_tweak(const json_t *base, const json_t *add, const json_t *drop) {
  json_t *caps = json_array();
  size_t i;
  json_t *v;
  if (list_has(add, "ALL")) {
    _cleanup_json_ json_t *all = all_capabilities();
    json_array_foreach(all, i, v) {
      if (!list_has(drop, json_string_value(v)))
        json_array_append(caps, v);
    }
    return caps;
  }
  if (!list_has(drop, "ALL"))
    json_array_foreach(base, i, v) {
      if (json_is_string(v) && !list_has(drop, json_string_value(v)) &&
          !list_has(caps, json_string_value(v)))
        json_array_append(caps, v);
    }
  json_array_foreach(add, i, v) {
    if (!list_has(caps, json_string_value(v)))
      json_array_append(caps, v);
  }
  return caps;
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
    if (parse_bool(val, &b) < 0)
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
  json_error_t je;
  f->seccomp_profile = json_load_file(val, 0, &je);
  if (!f->seccomp_profile) {
    struct stat st;
    if (stat(val, &st) < 0)
      return husk_error_sys(err, "opening seccomp profile (%s) failed", val);
    return husk_error_set(err, EINVAL, "Decoding seccomp profile failed: %s: line %d: %s", val,
                          je.line, je.text);
  }
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
  if (!is_one_of(name, names))
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
  json_t *list = array_of(&f->rlimits);
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
      !(is_one_of(key, names) || str_has_prefix(key, "net.") || str_has_prefix(key, "fs.mqueue.")))
    return husk_error_set(err, EINVAL, "--sysctl: sysctl '%s' is not whitelisted", spec);
  json_object_set_new(object_of(&f->sysctl), key, json_string(eq + 1));
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
  json_object_set_new(object_of(&f->labels), key, json_string(eq ? eq + 1 : ""));
  return 0;
}

static int parse_size_flag(const char *flag, const char *arg, int64_t *ret,
                           struct husk_error **err) {
  int r = parse_memory_size(arg, ret, err);
  return r < 0 ? husk_error_wrap(err, "%s", flag) : 0;
}

int run_flags_parse(int c, const char *arg, struct run_flags *f, struct husk_error **err) {
  switch (c) {
  case 'v': return parse_volume(f, arg, err) < 0 ? husk_error_wrap(err, "--volume") : 0;
  case RUN_FLAG_MOUNT: return parse_mount(f, arg, err) < 0 ? husk_error_wrap(err, "--mount") : 0;
  case RUN_FLAG_TMPFS: return parse_tmpfs(f, arg, err);
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

/* The object at key in o, made when missing. */
static json_t *member(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_object(v)) {
    v = json_object();
    json_object_set_new(o, key, v);
  }
  return v;
}

void run_flags_patch(const struct run_flags *f, json_t *patch) {
  if (f->read_only)
    json_object_set_new(member(patch, "root"), "readonly", json_true());
  json_t *process = NULL;
  if (f->workdir || f->no_new_privileges >= 0 || f->apparmor || f->tty)
    process = member(patch, "process");
  if (f->workdir)
    json_object_set_new(process, "cwd", json_string(f->workdir));
  if (f->no_new_privileges >= 0)
    json_object_set_new(process, "noNewPrivileges", json_boolean(f->no_new_privileges));
  if (f->apparmor)
    json_object_set_new(process, "apparmorProfile", json_string(f->apparmor));
  if (f->tty)
    json_object_set_new(process, "terminal", json_true());
  if (f->pids_set || f->cpus_nano || f->swap_set || f->sysctl) {
    json_t *lx = member(patch, "linux");
    if (f->sysctl)
      json_object_set_new(lx, "sysctl", json_deep_copy(f->sysctl));
    json_t *res = f->pids_set || f->cpus_nano || f->swap_set ? member(lx, "resources") : NULL;
    if (f->pids_set)
      json_object_set_new(member(res, "pids"), "limit", json_integer(f->pids_limit));
    if (f->cpus_nano) {
      json_t *cpu = member(res, "cpu");
      json_object_set_new(cpu, "period", json_integer(100000));
      json_object_set_new(cpu, "quota", json_integer(f->cpus_nano / 10000));
    }
    if (f->swap_set)
      json_object_set_new(member(res, "memory"), "swap", json_integer(f->memory_swap));
  }
  if (f->labels || f->init) {
    json_t *ann = member(patch, "annotations");
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

/* ---- the edit: what needs config.json as it is ---- */

/* One mount of ours as container_create takes it: a volume made (and filled) in the store, a
 * bind's host directory checked or made. The internal keys go. */
static int resolve_mount(json_t *m, const struct config_edit_ctx *ctx, struct husk_error **err) {
  const char *type = json_string_value(json_object_get(m, "type"));
  const char *source = json_string_value(json_object_get(m, "source"));
  const char *dst = json_string_value(json_object_get(m, "destination"));
  if (strcmp(type, "volume") == 0) {
    const char *name = source;
    bool nocopy = json_is_true(json_object_get(m, "husk.nocopy"));
    _cleanup_free_ char *path = NULL;
    int r = volume_prepare(ctx->storage, name, ctx->image, ctx->rootfs, dst, nocopy, &path, err);
    if (r < 0)
      return r;
    json_object_set_new(m, "type", json_string("bind"));
    json_object_set_new(m, "source", json_string(path));
  } else if (strcmp(type, "bind") == 0) {
    struct stat st;
    bool mkdir_it = json_is_true(json_object_get(m, "husk.mkdir"));
    if (stat(source, &st) < 0 && errno == ENOENT && mkdir_it) {
      /* docker's -v makes a missing host directory; --mount does not */
      int r = mkdir_p(source, 0755, err);
      if (r < 0)
        return husk_error_wrap(err, "--volume %s", source);
    } else if (stat(source, &st) < 0) {
      return husk_error_set(err, ENOENT,
                            "invalid mount config for type \"bind\": bind source path does not "
                            "exist: %s",
                            source);
    }
  }
  json_object_del(m, "husk.mkdir");
  json_object_del(m, "husk.nocopy");
  return 0;
}

/* Our mounts replace the config's at the same destination (docker's mounts over its
 * defaults), else they come after them. */
static int edit_mounts(json_t *doc, const struct run_flags *f, const struct config_edit_ctx *ctx,
                       struct husk_error **err) {
  json_t *mounts = json_object_get(doc, "mounts");
  if (!json_is_array(mounts)) {
    mounts = json_array();
    json_object_set_new(doc, "mounts", mounts);
  }
  size_t i;
  json_t *ours;
  json_array_foreach(f->mounts, i, ours) {
    _cleanup_json_ json_t *m = json_deep_copy(ours);
    int r = resolve_mount(m, ctx, err);
    if (r < 0)
      return r;
    const char *dst = json_string_value(json_object_get(m, "destination"));
    for (size_t j = json_array_size(mounts); j-- > 0;) {
      const char *have =
          json_string_value(json_object_get(json_array_get(mounts, j), "destination"));
      _cleanup_free_ char *clean = have ? clean_path(have) : NULL;
      if (clean && strcmp(clean, dst) == 0)
        json_array_remove(mounts, j);
    }
    json_array_append(mounts, m);
  }
  return 0;
}

/* --shm-size: the size= of the /dev/shm mount (docker's is a tmpfs of 64m by default); one
 * is added when the config has none. */
static void edit_shm(json_t *doc, int64_t size) {
  json_t *mounts = json_object_get(doc, "mounts");
  if (!json_is_array(mounts)) {
    mounts = json_array();
    json_object_set_new(doc, "mounts", mounts);
  }
  _cleanup_free_ char *opt = xasprintf("size=%lld", (long long)size);
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *dst = json_string_value(json_object_get(m, "destination"));
    const char *type = json_string_value(json_object_get(m, "type"));
    if (!dst || strcmp(dst, "/dev/shm") != 0 || !type || strcmp(type, "tmpfs") != 0)
      continue;
    json_t *opts = json_object_get(m, "options");
    if (!json_is_array(opts)) {
      opts = json_array();
      json_object_set_new(m, "options", opts);
    }
    for (size_t j = json_array_size(opts); j-- > 0;)
      if (str_has_prefix(json_string_value(json_array_get(opts, j)) ?: "", "size="))
        json_array_remove(opts, j);
    json_array_append_new(opts, json_string(opt));
    return;
  }
  json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s]}", "destination",
                                          "/dev/shm", "type", "tmpfs", "source", "shm", "options",
                                          "nosuid", "noexec", "nodev", "mode=1777", opt));
}

/* --cap-add/--cap-drop over process.capabilities: the bounding set tweaked as docker tweaks
 * its defaults, effective and permitted too unless they are empty (a non-root user keeps
 * none, as with docker); drops leave the inheritable and ambient sets as well. */
static void edit_capabilities(json_t *doc, const struct run_flags *f) {
  json_t *process = member(doc, "process");
  json_t *caps = member(process, "capabilities");
  static const char *const tweaked[] = {"bounding", "effective", "permitted"};
  for (size_t i = 0; i < ARRAY_SIZE(tweaked); i++) {
    json_t *set = json_object_get(caps, tweaked[i]);
    if (i > 0 && json_array_size(set) == 0)
      continue;
    json_object_set_new(caps, tweaked[i], capabilities_tweak(set, f->cap_add, f->cap_drop));
  }
  static const char *const dropped[] = {"inheritable", "ambient"};
  _cleanup_json_ json_t *none = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(dropped); i++) {
    json_t *set = json_object_get(caps, dropped[i]);
    if (json_array_size(set))
      json_object_set_new(caps, dropped[i], capabilities_tweak(set, none, f->cap_drop));
  }
}

static void edit_rlimits(json_t *doc, const json_t *ours) {
  json_t *process = member(doc, "process");
  json_t *list = json_object_get(process, "rlimits");
  if (!json_is_array(list)) {
    list = json_array();
    json_object_set_new(process, "rlimits", list);
  }
  size_t i;
  json_t *rl;
  json_array_foreach(ours, i, rl) {
    const char *type = json_string_value(json_object_get(rl, "type"));
    for (size_t j = json_array_size(list); j-- > 0;) {
      const char *have = json_string_value(json_object_get(json_array_get(list, j), "type"));
      if (have && strcmp(have, type) == 0)
        json_array_remove(list, j);
    }
    json_array_append(list, rl);
  }
}

static int edit_seccomp(json_t *doc, const struct run_flags *f, struct husk_error **err) {
  json_t *lx = member(doc, "linux");
  if (f->seccomp_unconfined) {
    json_object_del(lx, "seccomp");
    return 0;
  }
  const json_t *caps = json_object_get(
      json_object_get(json_object_get(doc, "process"), "capabilities"), "effective");
  json_t *oci = NULL;
  int r = seccomp_from_docker(f->seccomp_profile, caps, &oci, err);
  if (r < 0)
    return husk_error_wrap(err, "--security-opt seccomp");
  json_object_set_new(lx, "seccomp", oci);
  return 0;
}

int run_flags_edit(json_t *doc, const struct config_edit_ctx *ctx, const void *arg,
                   struct husk_error **err) {
  const struct run_flags *f = arg;
  int r = 0;
  if (f->mounts)
    r = edit_mounts(doc, f, ctx, err);
  if (r >= 0 && f->shm_size)
    edit_shm(doc, f->shm_size);
  if (r >= 0 && (f->cap_add || f->cap_drop))
    edit_capabilities(doc, f);
  if (r >= 0 && f->rlimits)
    edit_rlimits(doc, f->rlimits);
  if (r >= 0 && (f->seccomp_unconfined || f->seccomp_profile))
    r = edit_seccomp(doc, f, err);
  return r;
}
