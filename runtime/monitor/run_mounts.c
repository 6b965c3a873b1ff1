/* run_mounts.c: docker's -v, --mount and --tmpfs (moby's linuxParser and the cli's mount
 * options), in Docker's words, into run_flags' internal mount form (run_flags.c). */
#include "run_flags_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "image/volume.h"
#include "run_options.h"

bool run_flags_is_one_of(const char *s, const char *const *list) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(s, list[i]) == 0)
      return true;
  return false;
}

static const char *const propagations[] = {"shared", "slave",    "private", "rshared",
                                           "rslave", "rprivate", NULL};

/* A path as docker compares mount points: without trailing slashes or "." components. */
char *run_flags_clean_path(const char *p) {
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
  _cleanup_free_ char *clean = run_flags_clean_path(target);
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
  _cleanup_free_ char *dst =
      run_flags_clean_path(json_string_value(json_object_get(m, "destination")));
  json_t *mounts = run_flags_array_of(&f->mounts);
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
    } else if (run_flags_is_one_of(o, labels)) {
      n_label++; /* SELinux relabels: husk relabels nothing (parse_volume warns) */
    } else if (run_flags_is_one_of(o, propagations)) {
      for (size_t i = 0; propagations[i]; i++)
        if (strcmp(o, propagations[i]) == 0)
          *propagation = propagations[i];
      n_prop++;
    } else if (strcmp(o, "nocopy") == 0) {
      *nocopy = true;
      n_copy++;
    } else if (run_flags_is_one_of(o, consistency)) {
      n_cons++; /* macOS file sharing: nothing on Linux */
    } else {
      return -EINVAL;
    }
  }
  return n_rw > 1 || n_label > 1 || n_prop > 1 || n_copy > 1 || n_cons > 1 ? -EINVAL : 0;
}

/* -v SRC:DST[:MODE], -v DST (an anonymous volume), moby's linuxParser.ParseMountRaw. */
int run_flags_parse_volume(struct run_flags *f, const char *spec, struct husk_error **err) {
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
  /* As docker on a host without SELinux, z and Z do nothing; with SELinux, say so. */
  if ((strstr(mode, "z") || strstr(mode, "Z")) && access("/sys/fs/selinux/enforce", F_OK) == 0)
    log_warn("--volume %s: husk does not relabel files for SELinux (z, Z); the mount is as it is",
             spec);
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
  if (run_flags_is_one_of(o, flags))
    return true;
  const char *eq = strchr(o, '=');
  if (!eq)
    return false;
  _cleanup_free_ char *key = strndup(o, (size_t)(eq - o));
  return run_flags_is_one_of(key, keys);
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
                  (run_flags_is_one_of(o, propagations) && run_flags_is_one_of(have, propagations));
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
int run_flags_parse_tmpfs(struct run_flags *f, const char *spec, struct husk_error **err) {
  _cleanup_free_ char *target = xstrdup(spec);
  char *colon = strchr(target, ':');
  if (colon)
    *colon++ = '\0';
  return add_tmpfs(f, target, colon, "--tmpfs", err);
}

int run_flags_parse_bool(const char *v, bool *ret) {
  static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
  static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
  if (run_flags_is_one_of(v, yes))
    *ret = true;
  else if (run_flags_is_one_of(v, no))
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
    if (run_flags_parse_bool(val, &m->ro) < 0)
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
    if (run_flags_parse_bool(val, &m->nocopy) < 0)
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
int run_flags_parse_mount(struct run_flags *f, const char *spec, struct husk_error **err) {
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
