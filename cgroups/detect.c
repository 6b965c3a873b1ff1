/* detect.c: what kind of cgroup host this is (statfs of the root and its children, never a
 * guess), where each hierarchy is mounted, and which cgroup husk itself runs in
 * (/proc/self/cgroup), which relative cgroupsPaths nest below. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "internal.h"

static long real_fs_type(const char *path) {
  struct statfs sfs;
  if (statfs(path, &sfs) < 0)
    return -errno;
  return (long)sfs.f_type;
}

static int real_make_dir(const char *path, mode_t mode) { return mkdir(path, mode); }
static int real_remove_dir(const char *path) { return rmdir(path); }

const struct cgroup_host *cgroup_host_default(void) {
  static const struct cgroup_host host = {
      .root = "/sys/fs/cgroup",
      .self_cgroup = "/proc/self/cgroup",
      .fs_type = real_fs_type,
      .make_dir = real_make_dir,
      .remove_dir = real_remove_dir,
  };
  return &host;
}

const char *cgroup_kind_name(enum cgroup_kind kind) {
  switch (kind) {
  case CGROUP_UNIFIED: return "unified";
  case CGROUP_HYBRID: return "hybrid";
  case CGROUP_LEGACY: return "legacy";
  default: return "unknown";
  }
}

/* Pure v2 mounts cgroup2 at the root; otherwise the root is a tmpfs holding one cgroup (v1)
 * mount per hierarchy, and on hybrid hosts a cgroup2 mount beside them. */
int cg_detect_layout(const struct cgroup_host *host, enum cgroup_kind *ret_kind, char **ret_unified,
                     struct husk_error **err) {
  long type = host->fs_type(host->root);
  if (type < 0)
    errno = (int)-type;
  TRACE(type < 0 ? -1 : 0, "which cgroup host is this: cgroup2 here means pure v2",
        "statfs(\"%s\", {f_type=0x%lx})", host->root, type < 0 ? 0 : type);
  if (type < 0)
    return husk_error_errno(err, (int)-type, "statfs %s", host->root);
  if (type == CG_CGROUP2_MAGIC) {
    *ret_kind = CGROUP_UNIFIED;
    *ret_unified = NULL;
    return 0;
  }
  DIR *d = opendir(host->root);
  if (!d)
    return husk_error_sys(err, "open %s", host->root);
  size_t v1 = 0;
  _cleanup_free_ char *unified = NULL;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
      continue;
    _cleanup_free_ char *p = xasprintf("%s/%s", host->root, e->d_name);
    long t = host->fs_type(p);
    if (t == CG_CGROUP_MAGIC)
      v1++;
    else if (t == CG_CGROUP2_MAGIC && !unified)
      unified = TAKE_PTR(p);
  }
  closedir(d);
  if (v1 == 0 && !unified)
    return husk_error_set(err, ENOENT, "no cgroup file system at %s (statfs type 0x%lx)",
                          host->root, type);
  if (v1 == 0)
    return husk_error_set(
        err, ENOTSUP, "%s holds a cgroup2 mount but no v1 hierarchy: mount cgroup2 at %s itself",
        host->root, host->root);
  *ret_kind = unified ? CGROUP_HYBRID : CGROUP_LEGACY;
  *ret_unified = TAKE_PTR(unified);
  return 0;
}

int cgroup_detect(const struct cgroup_host *host, enum cgroup_kind *ret, struct husk_error **err) {
  _cleanup_free_ char *unified = NULL;
  return cg_detect_layout(host, ret, &unified, err);
}

void cg_hierarchies_free(struct cg_hierarchy *h, size_t n) {
  for (size_t i = 0; h && i < n; i++) {
    free(h[i].controllers);
    free(h[i].mount);
    free(h[i].own);
  }
  free(h);
}

/* The mount of a v1 hierarchy: <root>/<list> ("cpu,cpuacct") or <root>/<one of them> (the
 * usual symlinks), when statfs says it is a cgroup v1 mount. */
static char *v1_mount(const struct cgroup_host *host, const char *controllers) {
  char *p = xasprintf("%s/%s", host->root, controllers);
  if (host->fs_type(p) == CG_CGROUP_MAGIC)
    return p;
  free(p);
  _cleanup_free_ char *copy = xstrdup(controllers);
  char *save = NULL;
  for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
    p = xasprintf("%s/%s", host->root, c);
    if (host->fs_type(p) == CG_CGROUP_MAGIC)
      return p;
    free(p);
  }
  return NULL;
}

static void push(struct cg_hierarchy **v, size_t *n, const char *controllers, char *mount,
                 const char *own) {
  *v = xrealloc(*v, (*n + 1) * sizeof(**v));
  (*v)[(*n)++] = (struct cg_hierarchy){xstrdup(controllers), mount, xstrdup(own)};
}

/* Lines of /proc/self/cgroup are "id:controllers:path"; "0::path" is the v2 tree. Named
 * hierarchies (name=systemd) carry no controller and are left to their owners. */
int cg_hierarchies(const struct cgroup_host *host, enum cgroup_kind kind, const char *unified,
                   struct cg_hierarchy **ret, size_t *ret_n, struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  int r = read_file_at(AT_FDCWD, host->self_cgroup, 1 << 16, &text, err);
  if (r < 0)
    return husk_error_wrap(err, "which cgroup husk runs in");
  struct cg_hierarchy *v = NULL;
  size_t n = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || c2[1] != '/')
      continue;
    *c1 = *c2 = '\0';
    const char *controllers = c1 + 1, *own = c2 + 1;
    bool v2_line = strcmp(line, "0") == 0 && controllers[0] == '\0';
    if (v2_line && (kind == CGROUP_UNIFIED || (kind == CGROUP_HYBRID && unified)))
      push(&v, &n, "", xstrdup(kind == CGROUP_UNIFIED ? host->root : unified), own);
    if (v2_line || kind == CGROUP_UNIFIED || !controllers[0] || strchr(controllers, '='))
      continue;
    char *mount = v1_mount(host, controllers);
    if (mount)
      push(&v, &n, controllers, mount, own);
  }
  if (n == 0) {
    cg_hierarchies_free(v, n);
    return husk_error_set(err, ENOENT, "%s names no %s cgroup husk runs in", host->self_cgroup,
                          cgroup_kind_name(kind));
  }
  *ret = v;
  *ret_n = n;
  return 0;
}
