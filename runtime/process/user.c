/* user.c: user and group names looked up in the container's files, never the host's. */
#include "user.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"

static bool is_number(const char *s, size_t len) {
  if (len == 0 || len > 10)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!isdigit((unsigned char)s[i]))
      return false;
  return strtoull(s, NULL, 10) < UINT32_MAX;
}

static bool part_ok(const char *s, size_t len) {
  if (len == 0 || s[0] == '-')
    return false;
  bool digits = true;
  for (size_t i = 0; i < len; i++) {
    if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
      return false;
    digits = digits && isdigit((unsigned char)s[i]);
  }
  return !digits || is_number(s, len);
}

bool user_name_syntax_ok(const char *text) {
  const char *colon = strchr(text, ':');
  if (colon && strchr(colon + 1, ':'))
    return false;
  size_t ulen = colon ? (size_t)(colon - text) : strlen(text);
  return part_ok(text, ulen) && (!colon || part_ok(colon + 1, strlen(colon + 1)));
}

bool user_text_has_names(const char *text) {
  const char *colon = strchr(text, ':');
  size_t ulen = colon ? (size_t)(colon - text) : strlen(text);
  return !is_number(text, ulen) || (colon && !is_number(colon + 1, strlen(colon + 1)));
}

/* rootfs/etc/NAME, opened so that neither ".." nor a symlink leaves rootfs; NULL (and errno)
 * when it cannot be. */
static FILE *open_in_rootfs(void *arg, const char *name) {
  const char *rootfs = arg;
  _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return NULL;
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
  int fd = (int)syscall(SYS_openat2, root, name, &how, sizeof(how));
  if (fd < 0 && errno == ENOSYS) /* before Linux 5.6: no symlink may be on the way at all */
    fd = openat(root, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
  if (fd >= 0 && !f)
    close(fd);
  return f;
}

/* One "name:x:id:..." file, as fields; calls fn for each line until it returns true. */
static bool each_entry(FILE *f, bool (*fn)(char **fields, size_t n, void *arg), void *arg) {
  char *line = NULL;
  size_t cap = 0;
  bool done = false;
  while (!done && getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *fields[8];
    size_t n = 0;
    for (char *p = line, *q; n < 8; p = q + 1) {
      fields[n++] = p;
      if (!(q = strchr(p, ':')))
        break;
      *q = '\0';
    }
    if (line[0] != '#' && n >= 4)
      done = fn(fields, n, arg);
  }
  free(line);
  return done;
}

struct lookup {
  const char *name; /* match by name, or by id when NULL */
  uint32_t id;
  uint32_t found_id, found_gid;
  char *found_name;
};

static bool match_entry(char **fields, size_t n, void *arg) {
  struct lookup *l = arg;
  if (!is_number(fields[2], strlen(fields[2])))
    return false;
  uint32_t id = (uint32_t)strtoul(fields[2], NULL, 10);
  if (l->name ? strcmp(fields[0], l->name) != 0 : id != l->id)
    return false;
  l->found_id = id;
  l->found_gid = n >= 4 && is_number(fields[3], strlen(fields[3]))
                     ? (uint32_t)strtoul(fields[3], NULL, 10)
                     : 0;
  l->found_name = xstrdup(fields[0]);
  return true;
}

struct members {
  const char *user;
  uint32_t primary;
  json_t *gids;
};

static bool add_membership(char **fields, size_t n, void *arg) {
  struct members *m = arg;
  if (n < 4 || !is_number(fields[2], strlen(fields[2])))
    return false;
  uint32_t gid = (uint32_t)strtoul(fields[2], NULL, 10);
  _cleanup_free_ char *list = xstrdup(fields[3]);
  for (char *save = NULL, *u = strtok_r(list, ",", &save); u; u = strtok_r(NULL, ",", &save))
    if (strcmp(u, m->user) == 0 && gid != m->primary)
      json_array_append_new(m->gids, json_integer(gid));
  return false;
}

/* Look a user (or group) up by name or number in rootfs/etc/FILE. Returns 1 found, 0 not. */
static int lookup(user_file_opener open_file, void *arg, const char *file, const char *text,
                  size_t len, struct lookup *l, struct husk_error **err) {
  _cleanup_free_ char *key = xasprintf("%.*s", (int)len, text);
  bool numeric = is_number(key, len);
  *l = (struct lookup){.name = numeric ? NULL : key, .id = numeric ? (uint32_t)atol(key) : 0};
  FILE *f = open_file(arg, file);
  if (!f && !numeric)
    return husk_error_sys(err, "--user %s: open the container's %s", text, file);
  bool found = f && each_entry(f, match_entry, l);
  if (f)
    fclose(f);
  l->name = NULL;
  if (!found && !numeric)
    return husk_error_set(err, ENOENT, "--user %.*s: no such %s in the container's /%s",
                          (int)len, text, strcmp(file, "etc/passwd") == 0 ? "user" : "group",
                          file);
  if (!found)
    l->found_id = l->id;
  return found;
}

int user_resolve_with(user_file_opener open_file, void *arg, const char *text, json_t **ret,
                      struct husk_error **err) {
  const char *colon = strchr(text, ':');
  size_t ulen = colon ? (size_t)(colon - text) : strlen(text);
  if (ulen == 0 || (colon && !colon[1]))
    return husk_error_set(err, EINVAL, "--user \"%s\": expected USER[:GROUP]", text);
  struct lookup u;
  int r = lookup(open_file, arg, "etc/passwd", text, ulen, &u, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *user_name = u.found_name;
  uint32_t gid = r ? u.found_gid : 0;
  if (colon) {
    struct lookup g;
    int rg = lookup(open_file, arg, "etc/group", colon + 1, strlen(colon + 1), &g, err);
    if (rg < 0)
      return rg;
    free(g.found_name);
    gid = g.found_id;
  }
  json_t *gids = json_array();
  if (user_name) {
    struct members m = {.user = user_name, .primary = gid, .gids = gids};
    FILE *f = open_file(arg, "etc/group");
    if (f) {
      each_entry(f, add_membership, &m);
      fclose(f);
    }
  }
  *ret = json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)u.found_id, "gid", (json_int_t)gid,
                   "additionalGids", gids);
  return 0;
}

int user_resolve(const char *rootfs, const char *text, json_t **ret, struct husk_error **err) {
  return user_resolve_with(open_in_rootfs, (void *)rootfs, text, ret, err);
}
