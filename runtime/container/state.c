/* state.c: one container's state directory <root>/<id>/: the flock that serialises commands
 * on it, state.json written atomically, and the status derived from the live init. */
#include "state.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"

const char *container_status_name(enum container_status status) {
  switch (status) {
  case STATUS_CREATING: return "creating";
  case STATUS_CREATED: return "created";
  case STATUS_RUNNING: return "running";
  case STATUS_PAUSED: return "paused";
  case STATUS_STOPPED: return "stopped";
  default: return "unknown";
  }
}

void container_state_free(struct container_state *st) {
  if (!st)
    return;
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->host_mounts);
  free(st->storage);
  free(st->created);
  free(st->finished);
  free(st->started_at);
  free(st->restart_policy);
  if (st->annotations)
    json_decref(st->annotations);
  if (st->cgroup)
    json_decref(st->cgroup);
  free(st);
}

const char *state_default_root(void) {
  static char buf[4096];
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (geteuid() == 0 || !xdg || !xdg[0])
    return "/run/husk";
  snprintf(buf, sizeof(buf), "%s/husk", xdg);
  return buf;
}

int state_check_id(const char *id, struct husk_error **err) {
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return husk_error_set(err, EINVAL, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          strchr("_+-.", *p)))
      return husk_error_set(
          err, EINVAL, "invalid container id \"%s\": only letters, digits and _+-. are allowed",
          id);
  return 0;
}

static int lock_dir(int dirfd, bool exclusive, const char *id, struct husk_error **err) {
  int r;
  do
    r = flock(dirfd, exclusive ? LOCK_EX : LOCK_SH);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error_sys(err, "lock container %s", id);
  return 0;
}

int state_dir_create(const char *root, const char *id, int *ret_dirfd, struct husk_error **err) {
  int r = state_check_id(id, err);
  if (r < 0)
    return r;
  /* Owner only, as runc's: no other user may find, read or write what a container keeps here
   * (its exec fifo, health output, logs, monitor socket). Exact modes, whatever the umask. */
  r = mkdir_p(root, 0700, err);
  if (r < 0)
    return husk_error_wrap(err, "state root");
  _cleanup_close_ int rootfd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (rootfd < 0)
    return husk_error_sys(err, "open state root %s", root);
  if (mkdirat(rootfd, id, 0700) < 0) {
    if (errno == EEXIST)
      return husk_error_set(err, EEXIST, "container %s already exists", id);
    return husk_error_sys(err, "mkdir %s/%s", root, id);
  }
  _cleanup_close_ int fd = openat(rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    unlinkat(rootfd, id, AT_REMOVEDIR);
    return husk_error_errno(err, e, "open %s/%s", root, id);
  }
  r = lock_dir(fd, true, id, err);
  if (r >= 0 && fchmod(fd, 0700) < 0)
    r = husk_error_sys(err, "chmod %s/%s", root, id);
  if (r < 0) {
    unlinkat(rootfd, id, AT_REMOVEDIR);
    return r;
  }
  *ret_dirfd = TAKE_FD(fd);
  return 0;
}

int state_dir_open(const char *root, const char *id, bool exclusive, int *ret_dirfd,
                   struct husk_error **err) {
  int r = state_check_id(id, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = xasprintf("%s/%s", root, id);
  _cleanup_close_ int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT)
      return husk_error_set(err, ENOENT, "container %s does not exist", id);
    return husk_error_sys(err, "open %s", path);
  }
  r = lock_dir(fd, exclusive, id, err);
  if (r < 0)
    return r;
  /* A delete may have removed the directory while we waited for the lock. */
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_nlink == 0)
    return husk_error_set(err, ENOENT, "container %s does not exist", id);
  *ret_dirfd = TAKE_FD(fd);
  return 0;
}

int state_dir_remove(const char *root, const char *id, struct husk_error **err) {
  _cleanup_free_ char *path = xasprintf("%s/%s", root, id);
  _cleanup_close_ int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return husk_error_sys(err, "open %s", path);
  }
  /* The directory holds only files husk wrote: no recursion needed. */
  DIR *d = fdopendir(dup(fd));
  if (d) {
    struct dirent *de;
    while ((de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
        unlinkat(fd, de->d_name, 0);
    closedir(d);
  }
  if (rmdir(path) < 0 && errno != ENOENT)
    return husk_error_sys(err, "remove %s", path);
  return 0;
}

int state_write(int dirfd, const struct container_state *st, struct husk_error **err) {
  _cleanup_json_ json_t *j =
      json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:i, s:o, s:b, s:i}", "id", st->id, "pid",
                (int)st->pid, "pidStartTime", (json_int_t)st->pid_start_time, "bundle", st->bundle,
                "rootfs", st->rootfs, "created", st->created, "owner", (int)st->owner,
                "annotations", st->annotations ? json_incref(st->annotations) : json_object(),
                "started", st->started, "cloneFlags", st->clone_flags);
  if (!j)
    return husk_error_set(err, EINVAL, "encode state of %s", st->id);
  if (st->cgroup)
    json_object_set(j, "cgroup", st->cgroup);
  if (st->host_mounts)
    json_object_set_new(j, "hostMounts", json_string(st->host_mounts));
  if (st->storage)
    json_object_set_new(j, "storage", json_string(st->storage));
  if (st->monitor_pid > 0) {
    json_object_set_new(j, "monitorPid", json_integer(st->monitor_pid));
    json_object_set_new(j, "monitorStartTime", json_integer((json_int_t)st->monitor_start_time));
    json_object_set_new(j, "restartCount", json_integer(st->restart_count));
    if (st->started_at)
      json_object_set_new(j, "startedAt", json_string(st->started_at));
    if (st->restarting)
      json_object_set_new(j, "restarting", json_true());
    if (st->restart_policy)
      json_object_set_new(j, "restartPolicy", json_string(st->restart_policy));
  }
  if (st->exited)
    json_object_set_new(j, "exit",
                        json_pack("{s:i, s:s, s:b}", "code", st->exit_code, "finished",
                                  st->finished ? st->finished : "", "oomKilled", st->oom_killed));
  /* Streamed to the file: the annotations may be megabytes, and are not copied again. */
  int r = json_write_atomic_at(dirfd, STATE_FILE, j, HUSK_FILE_MAX, 0600, err);
  if (r == -EFBIG) {
    if (err)
      husk_error_free(TAKE_PTR(*err));
    return husk_error_set(err, EFBIG,
                          "the state of %s would be over husk's %u MiB (its annotations are too "
                          "large)",
                          st->id, HUSK_FILE_MAX >> 20);
  }
  return r;
}

/* What the monitor adds; each is optional, and a malformed one is ignored (it only informs). */
static void read_monitor_fields(json_t *j, struct container_state *st) {
  json_int_t pid = 0, start_time = 0, restarts = 0;
  if (json_unpack(j, "{s:I, s:I, s?I}", "monitorPid", &pid, "monitorStartTime", &start_time,
                  "restartCount", &restarts) == 0 &&
      pid > 0 && pid <= INT_MAX) {
    st->monitor_pid = (pid_t)pid;
    st->monitor_start_time = (unsigned long long)start_time;
    st->restart_count = (int)restarts;
    const char *started = json_string_value(json_object_get(j, "startedAt"));
    const char *policy = json_string_value(json_object_get(j, "restartPolicy"));
    st->started_at = started ? xstrdup(started) : NULL;
    st->restart_policy = policy ? xstrdup(policy) : NULL;
    st->restarting = json_is_true(json_object_get(j, "restarting"));
  }
  const char *finished = NULL;
  int code = 0, oom = 0;
  if (json_unpack(json_object_get(j, "exit"), "{s:i, s?s, s?b}", "code", &code, "finished",
                  &finished, "oomKilled", &oom) == 0) {
    st->exited = true;
    st->exit_code = code;
    st->finished = finished ? xstrdup(finished) : NULL;
    st->oom_killed = oom;
  }
}

static int state_from_json(json_t *j, struct container_state **ret, struct husk_error **err);

int state_read(int dirfd, struct container_state **ret, struct husk_error **err) {
  _cleanup_json_ json_t *j = NULL;
  int r = json_load_file_at(dirfd, STATE_FILE, HUSK_FILE_MAX, &j, err);
  if (r == -EINVAL) {
    if (err)
      husk_error_free(TAKE_PTR(*err));
    return state_from_json(NULL, ret, err);
  }
  if (r < 0)
    return husk_error_wrap(err, "read container state");
  return state_from_json(j, ret, err);
}

int state_parse(const char *text, struct container_state **ret, struct husk_error **err) {
  _cleanup_json_ json_t *j = json_loads(text, 0, NULL);
  return state_from_json(j, ret, err);
}

/* j is NULL when the file was not JSON at all. */
static int state_from_json(json_t *j, struct container_state **ret, struct husk_error **err) {
  const char *id, *bundle, *rootfs, *created;
  int pid, owner, started, flags;
  json_int_t start_time;
  json_t *ann;
  if (!j ||
      json_unpack(j, "{s:s, s:i, s:I, s:s, s:s, s:s, s:i, s:o, s:b, s:i}", "id", &id, "pid", &pid,
                  "pidStartTime", &start_time, "bundle", &bundle, "rootfs", &rootfs, "created",
                  &created, "owner", &owner, "annotations", &ann, "started", &started, "cloneFlags",
                  &flags) < 0 ||
      !json_is_object(ann))
    return husk_error_set(err, EINVAL, "corrupt container state file %s", STATE_FILE);
  struct container_state *st = xcalloc(1, sizeof(*st));
  st->id = xstrdup(id);
  st->pid = pid;
  st->pid_start_time = (unsigned long long)start_time;
  st->bundle = xstrdup(bundle);
  st->rootfs = xstrdup(rootfs);
  st->created = xstrdup(created);
  st->owner = (uid_t)owner;
  st->annotations = json_incref(ann);
  st->started = started;
  st->clone_flags = flags;
  const char *host_mounts = json_string_value(json_object_get(j, "hostMounts"));
  if (host_mounts)
    st->host_mounts = xstrdup(host_mounts);
  const char *storage = json_string_value(json_object_get(j, "storage"));
  if (storage)
    st->storage = xstrdup(storage);
  json_t *cgroup = json_object_get(j, "cgroup"); /* absent in states of cgroup-less containers */
  if (json_is_object(cgroup))
    st->cgroup = json_incref(cgroup);
  read_monitor_fields(j, st);
  *ret = st;
  return 0;
}

int state_load(const char *root, const char *id, bool exclusive, int *ret_dirfd,
               struct container_state **ret, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  int r = state_dir_open(root, id, exclusive, &fd, err);
  if (r < 0)
    return r;
  r = state_read(fd, ret, err);
  if (r < 0)
    return r;
  *ret_dirfd = TAKE_FD(fd);
  return 0;
}

bool state_init_alive(const struct container_state *st) {
  if (st->pid <= 0)
    return false;
  unsigned long long t = proc_start_time(st->pid);
  return t != 0 && t == st->pid_start_time;
}

bool state_monitor_alive(const struct container_state *st) {
  if (st->monitor_pid <= 0)
    return false;
  unsigned long long t = proc_start_time(st->monitor_pid);
  return t != 0 && t == st->monitor_start_time;
}

/* `pause` freezes the container's cgroup: the kernel's freezer state is the truth. */
static bool cgroup_frozen(const struct container_state *st) {
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  return st->cgroup && cgroup_load(cgroup_host_default(), st->cgroup, &cg, NULL) == 0 &&
         cgroup_is_frozen(cg);
}

enum container_status state_status(int dirfd, const struct container_state *st) {
  if (!state_init_alive(st))
    return STATUS_STOPPED;
  /* `start` removes the fifo once it has released the init. */
  if (!st->started && faccessat(dirfd, EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return STATUS_CREATED;
  if (cgroup_frozen(st))
    return STATUS_PAUSED;
  return STATUS_RUNNING;
}

/* runc reports the owner by name; engines decode it as a string. Like runc, from
 * /etc/passwd itself: NSS (getpwuid_r) would make a static husk load the NSS modules of the
 * exact glibc it was linked with. */
static char *owner_name(uid_t uid) {
  _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
  struct passwd pw, *res = NULL;
  char buf[1024];
  while (f && fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0 && res)
    if (pw.pw_uid == uid)
      return xstrdup(pw.pw_name);
  return xasprintf("#%u", (unsigned)uid);
}

json_t *state_to_oci_json(const struct container_state *st, enum container_status status) {
  _cleanup_free_ char *owner = owner_name(st->owner);
  json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "ociVersion", "1.2.1", "id",
                        st->id, "pid", status == STATUS_STOPPED ? 0 : (int)st->pid, "status",
                        container_status_name(status), "bundle", st->bundle, "rootfs", st->rootfs,
                        "created", st->created, "owner", owner);
  if (st->annotations && json_object_size(st->annotations) > 0)
    json_object_set(j, "annotations", st->annotations);
  return j;
}
