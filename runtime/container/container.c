/* container.c: the parent side of a container's life: create (clone the init and walk it
 * through the sync protocol), start (open the exec fifo), kill and delete. */
#include "container.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "etc_files.h"
#include "hooks.h"
#include "image/image_spec.h"
#include "image/store.h"
#include "init.h"
#include "journal.h"
#include "namespaces/namespaces.h"
#include "pasta.h"
#include "process/console.h"
#include "process/lsm.h"
#include "process/process.h"
#include "process/user.h"
#include "rootfs/rootfs.h"
#include "seccomp/seccomp.h"
#include "spec/annotations.h"
#include "spec/spec.h"
#include "state.h"
#include "sync.h"
#include "test_hooks.h"

/* Everything create owns until the container exists; released on every exit path. */
struct create_ctx {
  const struct create_options *opts;
  struct spec *spec;
  char *bundle;
  char *rootfs;
  int state_fd;
  char *state_dir; /* its absolute path: bind sources for the files husk writes there */
  int fifo_fd;
  int sync_fds[2];
  int console_fd;
  int ns_fds[8];
  int clone_flags;
  pid_t pid;
  int pidfd;
  bool state_dir_made;
  struct seccomp_program *seccomp; /* compiled here, loaded by the init */
  bool host_mounts;                /* no mount namespace: the init mounts below the rootfs
                                      in ours (unmounted again if create fails) */
  struct cgroup *cgroup;           /* made before the clone; removed again if create fails */
  int cgroup_fd;                   /* its v2 directory for CLONE_INTO_CGROUP, else -1 */
  bool unshare_cgroupns;           /* the init makes its cgroup namespace once moved in */
  int journal_fd;                  /* what exists on the host, recorded first (journal.h) */
  int parent_pidfd;                /* the init's parent: the init checks it is still alive */
  bool clone_parent;               /* the init is our parent's child (the monitor's) */
  unsigned long long pid_start_time;
  struct image_store *store; /* an image container's: its layers and own directory */
  struct image *image;
  int store_use_fd; /* the store in use (store_use) until storage names the image */
  char *storage;    /* <store>/containers/<id>, made by create */
  bool storage_made;
  struct rootfs_overlay overlay;
  bool use_overlay; /* else the layers were copied into rootfs/ */
};

/* config.json's annotations object itself (a new reference): they may be megabytes, so they
 * are not copied on their way into state.json. */
static json_t *annotations_json(const struct spec *spec) {
  json_t *ann = json_object_get(spec->doc, "annotations");
  return json_is_object(ann) ? json_incref(ann) : json_object();
}

/* The OCI state of the container being created, for its hooks. */
static char *create_state_text(const struct create_ctx *c, enum container_status status) {
  _cleanup_json_ json_t *ann = annotations_json(c->spec);
  _cleanup_free_ char *now = now_rfc3339();
  struct container_state st = {
      .id = (char *)c->opts->id,
      .pid = c->pid,
      .bundle = c->bundle,
      .rootfs = c->rootfs,
      .created = now,
      .owner = geteuid(),
      .annotations = ann,
  };
  return hooks_state_text(&st, status);
}

static void create_ctx_release(struct create_ctx *c, bool failed) {
  if (failed && c->pid > 0) {
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    /* The container existed, so its end is any container's: its poststop hooks run. */
    if (c->spec->hooks[HOOK_POSTSTOP].n) {
      _cleanup_free_ char *state = create_state_text(c, STATUS_STOPPED);
      hooks_run_warn(c->spec, HOOK_POSTSTOP, state);
    }
  }
  if (failed && c->pidfd >= 0)
    close(c->pidfd);
  if (failed && c->host_mounts && c->pid > 0)
    rootfs_unmount_under(c->rootfs, NULL);
  if (failed && c->cgroup)
    cgroup_destroy(c->cgroup, NULL);
  cgroup_free(c->cgroup);
  closep(&c->cgroup_fd);
  if (failed && c->storage_made)
    remove_dir_tree(c->storage, NULL);
  if (failed && c->state_fd >= 0)
    pasta_stop(c->state_fd);
  if (failed && c->state_dir_made)
    state_dir_remove(c->opts->root, c->opts->id, NULL);
  for (size_t i = 0; i < ARRAY_SIZE(c->ns_fds); i++)
    closep(&c->ns_fds[i]);
  closep(&c->sync_fds[0]);
  closep(&c->sync_fds[1]);
  closep(&c->console_fd);
  closep(&c->fifo_fd);
  closep(&c->journal_fd);
  closep(&c->parent_pidfd);
  closep(&c->state_fd);
  spec_free(c->spec);
  free(c->bundle);
  free(c->rootfs);
  free(c->storage);
  free(c->state_dir);
  free((char *)c->overlay.upper);
  free((char *)c->overlay.work);
  closep(&c->store_use_fd);
  image_free(c->image);
  store_free(c->store);
  seccomp_program_free(c->seccomp);
}

/* run's conveniences (-m, -u, --stop-signal) change the parsed config, never the bundle's
 * file: merged into the document in memory (not a copy: a config may be megabytes), which is
 * parsed again. */
static int patch_config(struct create_ctx *c, const json_t *patch, struct husk_error **err) {
  _cleanup_json_ json_t *doc = json_incref(c->spec->doc);
  spec_free(TAKE_PTR(c->spec));
  if (json_object_update_recursive(doc, (json_t *)patch) < 0)
    return husk_error_set(err, EINVAL, "config.json: cannot apply the run options to it");
  return spec_parse_json(doc, &c->spec, err);
}

/* run --network: the config's network namespace replaced by a new one, or dropped (host). */
static int apply_network(struct create_ctx *c, struct husk_error **err) {
  if (c->opts->network == NETWORK_CONFIG)
    return 0;
  _cleanup_json_ json_t *doc = json_incref(c->spec->doc);
  json_t *lx = json_object_get(doc, "linux");
  if (!json_is_object(lx)) {
    lx = json_object();
    json_object_set_new(doc, "linux", lx);
  }
  json_t *nss = json_object_get(lx, "namespaces");
  if (!json_is_array(nss)) {
    nss = json_array();
    json_object_set_new(lx, "namespaces", nss);
  }
  for (size_t i = json_array_size(nss); i-- > 0;) {
    const char *type = json_string_value(json_object_get(json_array_get(nss, i), "type"));
    if (type && strcmp(type, "network") == 0)
      json_array_remove(nss, i);
  }
  if (c->opts->network != NETWORK_HOST)
    json_array_append_new(nss, json_pack("{s:s}", "type", "network"));
  spec_free(TAKE_PTR(c->spec));
  return spec_parse_json(doc, &c->spec, err);
}

/* run -e and --env-file over process.env, as docker merges them over an image's Env: a key
 * already there keeps its place with the new value, a new one is appended. */
static int apply_env(struct create_ctx *c, struct husk_error **err) {
  _cleanup_json_ json_t *env = json_array();
  for (const char **e = c->spec->process->env; *e; e++)
    json_array_append_new(env, json_string(*e));
  for (char *const *kv = c->opts->env; *kv; kv++) {
    size_t key_len = strcspn(*kv, "=");
    json_t *entry = json_string(*kv);
    if (!entry) /* config.json is UTF-8: the value cannot be given to the process */
      return husk_error_set(err, EINVAL, "environment variable %.*s: its value is not UTF-8",
                            (int)key_len, *kv);
    size_t i;
    json_t *v;
    bool replaced = false;
    json_array_foreach(env, i, v) {
      const char *s = json_string_value(v);
      if (strncmp(s, *kv, key_len) == 0 && (s[key_len] == '=' || !s[key_len])) {
        json_array_set_new(env, i, entry);
        replaced = true;
        break;
      }
    }
    if (!replaced)
      json_array_append_new(env, entry);
  }
  _cleanup_json_ json_t *patch = json_pack("{s:{s:O}}", "process", "env", env);
  return patch_config(c, patch, err);
}

/* run's flags that edit the document rather than merge into it (create_options.config_edit),
 * last, so they see the user and capabilities the image or -u gave. */
static int edit_config(struct create_ctx *c, struct husk_error **err) {
  if (!c->opts->config_edit)
    return 0;
  _cleanup_json_ json_t *doc = json_incref(c->spec->doc);
  spec_free(TAKE_PTR(c->spec));
  const struct config_edit_ctx ctx = {.storage = c->opts->storage ? c->opts->storage
                                                                  : store_default_root(),
                                      .image = c->image,
                                      .rootfs = c->image ? NULL : c->rootfs};
  int r = c->opts->config_edit(doc, &ctx, c->opts->config_edit_arg, err);
  return r < 0 ? r : spec_parse_json(doc, &c->spec, err);
}

/* An image's container (its config names the image): the store is opened and the image
 * found; its root filesystem is made later (make_image_storage), once the journal can
 * record it. -u NAME is the image's user. */
static int load_image(struct create_ctx *c, const char *id, struct husk_error **err) {
  const char *root = c->opts->storage ? c->opts->storage : store_default_root();
  int r = store_open(root, &c->store, err);
  if (r >= 0)
    r = c->store_use_fd = store_use(c->store, false, err);
  if (r >= 0)
    r = image_find(c->store, id, &c->image, err);
  if (r < 0)
    return husk_error_wrap(err, "annotations[\"%s\"]", IMAGE_ANNOTATION);
  if (c->opts->user_name) {
    json_t *user = NULL;
    r = image_resolve_user(c->image, c->opts->user_name, &user, err);
    if (r < 0)
      return r;
    _cleanup_json_ json_t *patch = json_pack("{s:{s:o}}", "process", "user", user);
    r = patch_config(c, patch, err);
  }
  /* As docker: a service run from an image as a user other than root keeps capabilities in
   * its bounding set only, none effective. */
  if (r >= 0 && c->opts->config_doc && c->spec->process->user.uid != 0) {
    _cleanup_json_ json_t *patch =
        json_pack("{s:{s:{s:[], s:[]}}}", "process", "capabilities", "effective", "permitted");
    r = patch_config(c, patch, err);
  }
  return r;
}

static int load_bundle(struct create_ctx *c, struct husk_error **err) {
  int r;
  if (c->opts->config_doc) { /* run IMAGE: made from the image; the bundle is made later */
    _cleanup_json_ json_t *doc = json_deep_copy(c->opts->config_doc);
    r = spec_parse_json(doc, &c->spec, err);
  } else {
    c->bundle = realpath(c->opts->bundle, NULL);
    if (!c->bundle)
      return husk_error_sys(err, "bundle %s", c->opts->bundle);
    _cleanup_free_ char *config = xasprintf("%s/config.json", c->bundle);
    r = spec_parse_file(config, &c->spec, err);
  }
  if (r >= 0 && c->opts->config_patch && json_object_size(c->opts->config_patch) > 0)
    r = patch_config(c, c->opts->config_patch, err);
  if (r >= 0)
    r = apply_network(c, err);
  if (r < 0)
    return r;
  if (!c->spec->process)
    return husk_error_set(err, EINVAL, "process: required to create a container");
  if (c->opts->env && (r = apply_env(c, err)) < 0)
    return r;
  const char *image = json_string_value(
      json_object_get(json_object_get(c->spec->doc, "annotations"), IMAGE_ANNOTATION));
  if (image) {
    r = load_image(c, image, err);
    return r < 0 ? r : edit_config(c, err);
  }
  _cleanup_free_ char *root = c->spec->root.path[0] == '/'
                                  ? xstrdup(c->spec->root.path)
                                  : xasprintf("%s/%s", c->bundle, c->spec->root.path);
  c->rootfs = realpath(root, NULL);
  if (!c->rootfs)
    return husk_error_sys(err, "root.path %s", root);
  struct stat st;
  if (stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
    return husk_error_set(err, ENOTDIR, "root.path %s: not a directory", c->rootfs);
  if (c->opts->user_name) {
    /* run -u NAME[:GROUP]: the name is the image's, found in the rootfs's own files. */
    json_t *user = NULL;
    r = user_resolve(c->rootfs, c->opts->user_name, &user, err);
    if (r < 0)
      return r;
    _cleanup_json_ json_t *patch = json_pack("{s:{s:o}}", "process", "user", user);
    r = patch_config(c, patch, err);
  }
  return r < 0 ? r : edit_config(c, err);
}

/* Whether the config mounts something at path already (run -v over an image's volume). */
static bool has_mount_at(const json_t *mounts, const char *path) {
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/')
    len--;
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *dst = json_string_value(json_object_get(m, "destination"));
    size_t n = dst ? strlen(dst) : 0;
    while (n > 1 && dst[n - 1] == '/')
      n--;
    if (dst && n == len && strncmp(dst, path, len) == 0)
      return true;
  }
  return false;
}

/* The image's anonymous volumes (config.Volumes): a directory each in the container's own
 * storage, bound at its path, gone with the container; not where a mount of the config (run
 * -v) is already, as with docker. */
static int add_volumes(struct create_ctx *c, struct husk_error **err) {
  const json_t *volumes = image_volumes(c->image);
  if (!volumes)
    return 0;
  _cleanup_json_ json_t *doc = json_incref(c->spec->doc);
  json_t *mounts = json_object_get(doc, "mounts");
  if (!json_is_array(mounts)) {
    mounts = json_array();
    json_object_set_new(doc, "mounts", mounts);
  }
  const char *path;
  json_t *v;
  size_t n = 0;
  json_object_foreach((json_t *)volumes, path, v) {
    if (path[0] != '/' || has_mount_at(mounts, path))
      continue;
    _cleanup_free_ char *dir = xasprintf("%s/volumes/%zu", c->storage, n++);
    /* A new volume is filled from the image; on a restart in place it keeps what it has. */
    bool fresh = mkdir(dir, 0755) == 0;
    if (!fresh && !(errno == EEXIST && c->opts->reuse_state_dir))
      return husk_error_sys(err, "volume %s: mkdir %s", path, dir);
    if (fresh && image_copy_dir(c->image, path, dir, err) < 0)
      return husk_error_wrap(err, "volume %s", path);
    json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s,s]}", "destination", path, "type",
                                            "bind", "source", dir, "options", "rbind", "rw"));
  }
  spec_free(TAKE_PTR(c->spec));
  return spec_parse_json(doc, &c->spec, err);
}

/* Whether the kernel mounts overlayfs (asking loads its module). The test builds can pretend
 * it does not (HUSK_TEST_NO_OVERLAY=1), to exercise the copy. */
static bool overlay_supported(void) {
#ifdef HUSK_TEST_HOOKS
  if (getenv("HUSK_TEST_NO_OVERLAY"))
    return false;
#endif
  int fd = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  if (errno != ENOSYS)
    return errno != ENODEV;
  _cleanup_free_ char *fs = NULL;
  return read_file_at(AT_FDCWD, "/proc/filesystems", 1 << 16, &fs, NULL) == 0 &&
         strstr(fs, "\toverlay\n");
}

/* Before Linux 6.8 an overlay's lower directories are one option string of at most a page
 * (rootfs_overlay.c): an image with more layers than fit is copied instead. */
static bool overlay_too_many_layers(const struct create_ctx *c) {
  size_t len = strlen(c->overlay.upper) + strlen(c->overlay.work) + 64;
  for (size_t i = 0; i < c->image->n_layers; i++)
    len += DIGEST_HEX_LEN + 1;
  if (len < 4096)
    return false;
  struct utsname u;
  unsigned major = 0, minor = 0;
  if (uname(&u) == 0)
    sscanf(u.release, "%u.%u", &major, &minor);
  return major < 6 || (major == 6 && minor < 8);
}

/* Without overlayfs the layers are copied, merged, into the container's rootfs/ (slow, and
 * a full copy per container): said once, on stderr. */
static int copy_layers(struct create_ctx *c, struct husk_error **err) {
  log_warn("overlayfs is not available: copying the image's %zu layers into %s", c->image->n_layers,
           c->rootfs);
  _cleanup_close_ int root = open(c->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return husk_error_sys(err, "open %s", c->rootfs);
  for (size_t i = 0; i < c->image->n_layers; i++) {
    _cleanup_close_ int layer = open(c->image->layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (layer < 0)
      return husk_error_sys(err, "open layer %s", c->image->layers[i]);
    int r = rootfs_copy_layer(layer, root, err);
    if (r < 0)
      return husk_error_wrap(err, "copy layer %s", c->image->layers[i]);
  }
  return 0;
}

/* An image container's own directory in the store, recorded in the journal before it is made
 * (delete --force finds it): the overlay's upper and work directories, its mount point, its
 * volumes; with run IMAGE also its bundle (config.json). Non-root services may need to reach
 * their rootfs through it, as they would a bundle's. */
static int make_image_storage(struct create_ctx *c, struct husk_error **err) {
  if (c->host_mounts)
    return husk_error_set(err, EINVAL,
                          "annotations[\"%s\"]: an image's root filesystem needs a mount "
                          "namespace of the container's own (linux.namespaces has none)",
                          IMAGE_ANNOTATION);
  c->storage = store_container_path(c->store, c->opts->id);
  _cleanup_json_ json_t *rec = json_string(c->storage);
  int r = journal_append(c->journal_fd, "storage", rec, err);
  test_stop_at("create:storage-recorded");
  if (r >= 0)
    r = store_container_make(c->store, c->opts->id, c->image->id, err);
  test_stop_at("create:storage-made");
  c->storage_made = r >= 0;
  closep(&c->store_use_fd); /* from here on image rm sees the container using the image */
  c->store_use_fd = -1;
  if (r == -EEXIST && c->opts->reuse_state_dir) { /* a restart in place: its own files stay */
    husk_error_free(TAKE_PTR(*err));
    /* by its monitor, within the boot: the volatile upper is whole (rootfs.h) */
    _cleanup_free_ char *marker = xasprintf("%s/work/work/incompat/volatile", c->storage);
    remove_dir_tree(marker, NULL);
    r = 0;
  }
  if (r < 0)
    return r;
  chmod(c->storage, 0711);
  c->rootfs = xasprintf("%s/rootfs", c->storage);
  c->overlay = (struct rootfs_overlay){.lowers = c->image->layers,
                                       .n_lowers = c->image->n_layers,
                                       .upper = xasprintf("%s/upper", c->storage),
                                       .work = xasprintf("%s/work", c->storage)};
  c->use_overlay = overlay_supported() && !overlay_too_many_layers(c);
  if (!c->use_overlay && !(c->opts->reuse_state_dir && !c->storage_made))
    r = copy_layers(c, err);
  if (r >= 0)
    r = add_volumes(c, err);
  /* run IMAGE: the container's directory is its bundle, with the config it runs (for hooks
   * that read it); it goes as a whole with the container, so it is not synced. */
  if (r >= 0 && !c->bundle) {
    c->bundle = xstrdup(c->storage);
    _cleanup_close_ int dir = open(c->storage, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *text = json_dumps(c->spec->doc, JSON_COMPACT);
    if (!text)
      abort();
    if (dir >= 0 && c->opts->reuse_state_dir)
      unlinkat(dir, "config.json", 0);
    r = dir < 0 ? husk_error_sys(err, "open %s", c->storage)
                : write_file_new_at(dir, "config.json", text, strlen(text), 0600, err);
  }
  return r;
}

/* Decide which namespaces the clone makes and open the ones to join, and reject
 * combinations the kernel or the spec does not allow, naming the config field. */
static int plan_namespaces(struct create_ctx *c, struct husk_error **err) {
  const struct spec_linux *lx = &c->spec->linux_;
  for (size_t i = 0; i < lx->n_namespaces; i++) {
    const struct spec_namespace *ns = &lx->namespaces[i];
    if (!ns->path) {
      c->clone_flags |= ns->type;
      continue;
    }
    int fd = ns_open(ns->path, ns->type, err);
    if (fd < 0)
      return husk_error_wrap(err, "linux.namespaces[%zu].path", i);
    c->ns_fds[ns_type_index(ns->type)] = fd;
  }
  /* Without a mount namespace, as runc: the rootfs is only chroot()ed into, and what the
   * config mounts goes below it in ours. What would change mounts outside it is refused. */
  c->host_mounts = !spec_namespace(c->spec, CLONE_NEWNS);
  const char *needs_mnt = !c->host_mounts                             ? NULL
                          : lx->masked_paths && *lx->masked_paths     ? "linux.maskedPaths"
                          : lx->readonly_paths && *lx->readonly_paths ? "linux.readonlyPaths"
                          : c->spec->root.readonly                    ? "root.readonly"
                          : lx->rootfs_propagation                    ? "linux.rootfsPropagation"
                          : c->opts->no_pivot                         ? "--no-pivot"
                                                                      : NULL;
  if (needs_mnt)
    return husk_error_set(err, EINVAL,
                          "%s: needs a mount namespace of the container's own (linux.namespaces "
                          "has none)",
                          needs_mnt);
  const struct spec_namespace *user = spec_namespace(c->spec, CLONE_NEWUSER);
  bool new_user = user && !user->path;
  if (new_user && (lx->n_uid_mappings == 0 || lx->n_gid_mappings == 0))
    return husk_error_set(
        err, EINVAL, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  if (!new_user && (lx->n_uid_mappings || lx->n_gid_mappings))
    return husk_error_set(
        err, EINVAL,
        "linux.uidMappings: mappings are given but no new user namespace is asked for");
  /* As runc: a uts namespace joined by path is the container's too, and takes its names. */
  if ((c->spec->hostname || c->spec->domainname) && !spec_namespace(c->spec, CLONE_NEWUTS))
    return husk_error_set(err, EINVAL,
                          "hostname: setting a hostname needs a uts namespace of the container's "
                          "own (linux.namespaces has none)");
  return 0;
}

/* A terminal is handed to the engine through --console-socket, or to a foreground `run`
 * through its socketpair (terminal_fd), and only then. */
static int connect_console(struct create_ctx *c, struct husk_error **err) {
  bool terminal = c->spec->process->terminal;
  if (terminal && !c->opts->console_socket && c->opts->terminal_fd > 2) {
    c->console_fd = fcntl(c->opts->terminal_fd, F_DUPFD_CLOEXEC, 3);
    return c->console_fd < 0 ? husk_error_sys(err, "dup the terminal socket") : 0;
  }
  if (terminal && !c->opts->console_socket)
    return husk_error_set(err, EINVAL,
                          "process.terminal: a terminal needs --console-socket, or a foreground "
                          "run on a terminal (or set terminal to false)");
  if (!terminal && c->opts->console_socket)
    return husk_error_set(err, EINVAL, "--console-socket: given, but process.terminal is false");
  if (!terminal)
    return 0;
  c->console_fd = console_socket_connect(c->opts->console_socket, err);
  return c->console_fd < 0 ? c->console_fd : 0;
}

/* The host id a container id maps to: itself without a new user namespace, else through the
 * config's mappings. False when it is not mapped. */
static bool host_id(const struct spec_id_mapping *maps, size_t n, bool new_user_ns, uint32_t id,
                    uint32_t *ret) {
  if (!new_user_ns) {
    *ret = id;
    return true;
  }
  for (size_t i = 0; i < n; i++)
    if (id >= maps[i].container_id && id - maps[i].container_id < maps[i].size) {
      *ret = maps[i].host_id + (id - maps[i].container_id);
      return true;
    }
  return false;
}

/* The exec fifo: the init blocks opening it for writing until `start` opens it for reading,
 * by then with the process's user. So it belongs to that user's host ids, mode 0600: nobody
 * else can hold it open (hanging `start`) or write to it. Where those ids are not known (a
 * user namespace joined by path) or cannot be given away (rootless), it is 0622 and only the
 * state directory (0700) keeps others out. */
static int make_exec_fifo(struct create_ctx *c, struct husk_error **err) {
  if (mkfifoat(c->state_fd, EXEC_FIFO, 0600) < 0)
    return husk_error_sys(err, "mkfifo %s", EXEC_FIFO);
  const struct spec_linux *l = &c->spec->linux_;
  const struct spec_user *u = &c->spec->process->user;
  bool new_user_ns = (c->clone_flags & CLONE_NEWUSER) != 0;
  bool joined_user_ns = c->ns_fds[ns_type_index(CLONE_NEWUSER)] >= 0;
  uint32_t uid, gid;
  bool known = !joined_user_ns &&
               host_id(l->uid_mappings, l->n_uid_mappings, new_user_ns, u->uid, &uid) &&
               host_id(l->gid_mappings, l->n_gid_mappings, new_user_ns, u->gid, &gid);
  mode_t mode = 0600;
  if (!known || ((uid != geteuid() || gid != getegid()) &&
                 fchownat(c->state_fd, EXEC_FIFO, uid, gid, 0) < 0)) {
    if (known && errno != EPERM)
      return husk_error_sys(err, "chown %s to %u:%u", EXEC_FIFO, uid, gid);
    mode = 0622;
  }
  if (fchmodat(c->state_fd, EXEC_FIFO, mode, 0) < 0)
    return husk_error_sys(err, "chmod %s", EXEC_FIFO);
  c->fifo_fd = openat(c->state_fd, EXEC_FIFO, O_PATH | O_CLOEXEC);
  if (c->fifo_fd < 0)
    return husk_error_sys(err, "open %s", EXEC_FIFO);
  return 0;
}

/* husk run's /etc/hosts, /etc/hostname, /etc/resolv.conf and secrets (etc_files.h): written into
 * the state directory now and bound like the config's own mounts. The hostname is the one the
 * container's uts namespace gets: the config's, else the host's it starts with. */
static int make_service_files(struct create_ctx *c, struct husk_error **err) {
  if (!c->opts->service)
    return 0;
  _cleanup_free_ char *root = realpath(c->opts->root, NULL);
  if (!root)
    return husk_error_sys(err, "state root %s", c->opts->root);
  c->state_dir = xasprintf("%s/%s", root, c->opts->id);
  struct utsname u;
  const char *hostname = c->spec->hostname ? c->spec->hostname
                         : uname(&u) == 0  ? u.nodename
                                           : "localhost";
  /* Secrets belong to the process's user as the host sees it (through a new user namespace's
   * mappings; in one joined by path, its ids as they are). */
  const struct spec_linux *l = &c->spec->linux_;
  const struct spec_user *user = &c->spec->process->user;
  bool new_user_ns = (c->clone_flags & CLONE_NEWUSER) != 0;
  uint32_t uid = user->uid, gid = user->gid;
  if (c->opts->service->n_secrets &&
      (!host_id(l->uid_mappings, l->n_uid_mappings, new_user_ns, user->uid, &uid) ||
       !host_id(l->gid_mappings, l->n_gid_mappings, new_user_ns, user->gid, &gid)))
    return husk_error_set(err, EINVAL,
                          "--secret: process.user %u:%u is not mapped by linux.uidMappings and "
                          "gidMappings",
                          (unsigned)user->uid, (unsigned)user->gid);
  _cleanup_json_ json_t *doc = json_incref(c->spec->doc);
  int r = etc_files_make(c->opts->service, c->state_fd, c->state_dir, c->spec, hostname, uid, gid,
                         c->image ? NULL : c->rootfs, doc, err);
  if (r < 0)
    return r;
  spec_free(TAKE_PTR(c->spec));
  return spec_parse_json(doc, &c->spec, err);
}

/* clone3 with the namespace flags and a pidfd; raw clone when the kernel lacks clone3.
 * With cgroup_fd >= 0 the init starts right in that cgroup (CLONE_INTO_CGROUP).
 * Returns 0 in the child. */
static pid_t clone_init(int flags, int cgroup_fd, int *ret_pidfd, struct husk_error **err) {
  int pidfd = -1;
  struct clone_args args = {
      .flags = (uint64_t)flags | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
      .pidfd = (uint64_t)(uintptr_t)&pidfd,
      .exit_signal = SIGCHLD,
      .cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
  };
  char fbuf[256];
  const char *names = ns_flags_to_string(flags & ~CLONE_PARENT, fbuf, sizeof(fbuf));
  if (flags & CLONE_PARENT)
    args.exit_signal = 0; /* the kernel takes the caller's own exit signal */
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0 && errno == ENOSYS && cgroup_fd < 0) {
    pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
    if (pid > 0)
      TRACE(pid, "start the container's init in its new namespaces", "clone(%s%s|SIGCHLD)", names,
            flags & CLONE_PARENT ? "|CLONE_PARENT" : "");
    if (pid > 0)
      pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  } else if (pid > 0) {
    TRACE(pid, "start the container's init in its new namespaces",
          "clone3({flags=%s%s|CLONE_PIDFD%s, exit_signal=SIGCHLD})", names,
          flags & CLONE_PARENT ? "|CLONE_PARENT" : "", cgroup_fd >= 0 ? "|CLONE_INTO_CGROUP" : "");
  }
  if (pid < 0)
    return husk_error_sys(err, "clone3 (%s)", names);
  if (pid == 0)
    return 0;
  *ret_pidfd = pidfd;
  return (pid_t)pid;
}

/* New namespaces are owned by the user namespace of the process that makes them. To make
 * them inside a user namespace the config names by path, a short-lived helper joins it and
 * clones the init with CLONE_PARENT, so the init is still husk's own child. The helper
 * reports the init's pid (in husk's pid namespace: the helper shares it) over a pipe. */
static pid_t clone_init_in_user_ns(int user_fd, int flags, int *ret_pidfd,
                                   struct husk_error **err) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return husk_error_sys(err, "pipe");
  pid_t helper = fork();
  if (helper < 0) {
    int e = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    return husk_error_errno(err, e, "fork");
  }
  if (helper == 0) {
    close(pipefd[0]);
    prctl(PR_SET_NAME, "husk:userns", 0, 0, 0);
    _cleanup_error_ struct husk_error *e = NULL;
    int fd = -1;
    pid_t pid = ns_join(user_fd, CLONE_NEWUSER, "user", &e) < 0
                    ? -1
                    : clone_init(flags | CLONE_PARENT, -1, &fd, &e);
    if (pid == 0)
      return 0; /* the init */
    int32_t msg[2] = {pid, pid < 0 ? (e ? e->code : EIO) : 0};
    write_all(pipefd[1], msg, sizeof(msg));
    _exit(pid < 0);
  }
  close(pipefd[1]);
  int32_t msg[2] = {-1, EIO};
  ssize_t n = read_all(pipefd[0], msg, sizeof(msg));
  close(pipefd[0]);
  waitpid(helper, NULL, 0);
  if (n != (ssize_t)sizeof(msg) || msg[0] <= 0)
    return husk_error_errno(err, msg[1], "clone the init inside the joined user namespace");
  *ret_pidfd = (int)syscall(SYS_pidfd_open, (pid_t)msg[0], 0);
  return (pid_t)msg[0];
}

/* Configured resources that need a cgroup; device rules alone only warn without one. */
static bool needs_cgroup(const struct spec_resources *r) {
  return r && (r->memory || r->cpu || r->pids_limit.set || r->block_io || r->n_hugepage_limits ||
               r->n_unified);
}

/* The container's cgroup exists with its limits before the init does (DESIGN.md §2). A new
 * cgroup namespace is then made by the clone only when the init starts right in its cgroup
 * (CLONE_INTO_CGROUP, v2); otherwise the init makes it once the parent has moved it in. */
static int setup_cgroup(struct create_ctx *c, struct husk_error **err) {
  const struct spec_linux *lx = &c->spec->linux_;
  if (c->opts->no_cgroup) {
    if (needs_cgroup(lx->resources))
      return husk_error_set(err, EINVAL,
                            "linux.resources: limits need a cgroup, and "
                            "--cgroup-manager is disabled");
    if (lx->resources && lx->resources->n_devices)
      log_warn("linux.resources.devices: not enforced: --cgroup-manager is disabled");
    return 0;
  }
  int r = c->opts->systemd_cgroup ? cgroup_plan_systemd(cgroup_host_default(), lx->cgroups_path,
                                                        c->opts->id, &c->cgroup, err)
                                   : cgroup_plan(cgroup_host_default(), lx->cgroups_path,
                                                 c->opts->id, &c->cgroup, err);
  if (r >= 0) {
    _cleanup_json_ json_t *plan = cgroup_save(c->cgroup);
    r = journal_append(c->journal_fd, "cgroup", plan, err);
  }
  test_stop_at("create:cgroup-planned");
  if (r >= 0 && cgroup_made_around_init(c->cgroup)) { /* made in join_cgroup, with the init */
    if (c->clone_flags & CLONE_NEWCGROUP) {
      c->clone_flags &= ~CLONE_NEWCGROUP;
      c->unshare_cgroupns = true;
    }
    return 0;
  }
  if (r >= 0)
    r = cgroup_make(c->cgroup, err);
  test_stop_at("create:cgroup-made");
  if (r < 0) /* cgroup_make removed what it made */
    cgroup_free(TAKE_PTR(c->cgroup));
  if (r >= 0)
    r = cgroup_apply(c->cgroup, lx->resources, lx->devices, lx->n_devices, err);
  if (r < 0)
    return r;
  /* The helper that clones inside a joined user namespace lacks the rights to do it. */
  if (cgroup_can_clone_into(c->cgroup) && c->ns_fds[ns_type_index(CLONE_NEWUSER)] < 0) {
    c->cgroup_fd = cgroup_open_dir(c->cgroup, err);
    if (c->cgroup_fd < 0)
      return c->cgroup_fd;
  }
  if ((c->clone_flags & CLONE_NEWCGROUP) && c->cgroup_fd < 0) {
    c->clone_flags &= ~CLONE_NEWCGROUP;
    c->unshare_cgroupns = true;
  }
  return 0;
}

/* A kernel before 5.7 refuses CLONE_INTO_CGROUP (E2BIG, or EINVAL for the unknown flag);
 * then the init is cloned without it and moved in by join_cgroup. */
static pid_t clone_into_cgroup(struct create_ctx *c, struct husk_error **err) {
  int flags = c->clone_flags | (c->clone_parent ? CLONE_PARENT : 0);
  pid_t pid = clone_init(flags, c->cgroup_fd, &c->pidfd, err);
  if (pid >= 0 || c->cgroup_fd < 0 || (pid != -E2BIG && pid != -EINVAL && pid != -ENOSYS))
    return pid;
  if (err)
    husk_error_freep(err);
  closep(&c->cgroup_fd);
  if (c->clone_flags & CLONE_NEWCGROUP) {
    c->clone_flags &= ~CLONE_NEWCGROUP;
    c->unshare_cgroupns = true;
  }
  return clone_init(flags & ~CLONE_NEWCGROUP, -1, &c->pidfd, err);
}

/* Not cloned into its cgroup, an init that is root in husk's user namespace moves itself
 * in, first thing: writing another process's pid to cgroup.procs makes the kernel wait for
 * an RCU grace period (~10 ms on a v1 host, more than all the rest of `run`), a thread
 * moving itself through tasks does not (cgroup_add_self). One in a user namespace cannot
 * write the host's cgroup files; husk moves it. */
static bool init_joins_cgroup(const struct create_ctx *c) {
  return c->cgroup && !cgroup_made_around_init(c->cgroup) && c->cgroup_fd < 0 &&
         !(c->clone_flags & CLONE_NEWUSER) &&
         c->ns_fds[ns_type_index(CLONE_NEWUSER)] < 0;
}

/* Otherwise move the init in now, while it waits for SYNC_MAPS_DONE and has run none of the
 * container's code. */
static int join_cgroup(struct create_ctx *c, struct husk_error **err) {
  if (c->unshare_cgroupns) /* the init makes it, but it is the container's all the same */
    c->clone_flags |= CLONE_NEWCGROUP;
  if (c->cgroup && cgroup_made_around_init(c->cgroup)) {
    const struct spec_linux *lx = &c->spec->linux_;
    int r = cgroup_make_around_init(c->cgroup, c->pid, lx->resources, err);
    test_stop_at("create:cgroup-made");
    return r < 0 ? r : cgroup_apply(c->cgroup, lx->resources, lx->devices, lx->n_devices, err);
  }
  if (!c->cgroup || c->cgroup_fd >= 0 || init_joins_cgroup(c))
    return 0;
  return cgroup_add_pid(c->cgroup, c->pid, err);
}

/* Cloned by a helper (clone_init_in_user_ns): its parent is then husk create itself. */
static bool init_in_joined_user_ns(const struct create_ctx *c) {
  return c->ns_fds[ns_type_index(CLONE_NEWUSER)] >= 0;
}

static _Noreturn void run_init(struct create_ctx *c) {
  struct init_args a = {
      .spec = c->spec,
      .seccomp = c->seccomp,
      .rootfs = c->rootfs,
      .bundle = c->bundle,
      .sync_fd = c->sync_fds[1],
      .fifo_fd = c->fifo_fd,
      .console_fd = c->console_fd,
      .state_fd = c->state_fd,
      .state_dir = c->state_dir,
      .preserve_fds = c->opts->preserve_fds,
      .no_pivot = c->opts->no_pivot,
      .no_new_keyring = c->opts->no_new_keyring,
      .new_user_ns = (c->clone_flags & CLONE_NEWUSER) != 0,
      .joined_user_ns = c->ns_fds[ns_type_index(CLONE_NEWUSER)] >= 0,
      .new_net_ns = (c->clone_flags & CLONE_NEWNET) != 0,
      .unshare_cgroupns = c->unshare_cgroupns,
      .join_cgroup = init_joins_cgroup(c) ? c->cgroup : NULL,
      .cgroup = c->cgroup,
      .parent_pidfd = c->parent_pidfd,
      .dies_with_parent = c->opts->dies_with_monitor && !init_in_joined_user_ns(c),
      .overlay = c->use_overlay ? &c->overlay : NULL,
      .image_rootfs = c->image != NULL,
  };
  memcpy(a.ns_fds, c->ns_fds, sizeof(a.ns_fds));
  closep(&c->sync_fds[0]);
  init_main(&a);
}

/* prestart (deprecated) and createRuntime hooks run here, in the runtime's namespaces with
 * the rootfs mounted. The init's createContainer and startContainer hooks get their state
 * from here too: only the parent knows the init's pid as the runtime sees it. */
static int run_create_hooks(struct create_ctx *c, char **ret_child_state, struct husk_error **err) {
  const struct spec_hook_list *h = c->spec->hooks;
  bool here = h[HOOK_PRESTART].n || h[HOOK_CREATE_RUNTIME].n;
  bool child = h[HOOK_CREATE_CONTAINER].n || h[HOOK_START_CONTAINER].n;
  *ret_child_state = NULL;
  if (!here && !child)
    return 0;
  _cleanup_free_ char *state = create_state_text(c, STATUS_CREATING);
  int r = 0;
  /* runtime-spec 1.0.1 defined prestart as after `start`, before the program runs: its
   * hooks (and the OCI validation suite, and crun) read the state as "created" still. */
  if (h[HOOK_PRESTART].n) {
    _cleanup_free_ char *created = create_state_text(c, STATUS_CREATED);
    r = hooks_run(c->spec, HOOK_PRESTART, created, err);
  }
  if (r >= 0)
    r = hooks_run(c->spec, HOOK_CREATE_RUNTIME, state, err);
  if (r < 0)
    return r;
  if (child && strlen(state) > SYNC_MAX_PAYLOAD)
    return husk_error_set(err, E2BIG,
                          "hooks: the container's state is %zu bytes; createContainer and "
                          "startContainer hooks can get at most %d",
                          strlen(state), SYNC_MAX_PAYLOAD);
  if (child)
    *ret_child_state = TAKE_PTR(state);
  return 0;
}

/* Only the init is to join the pid namespace: what husk forks after it (hooks, which run in
 * the runtime's namespaces) stays in husk's own, whose fd is kept to go back to it. */
static int join_pid_ns_for_init(int pid_ns_fd, int *ret_own_fd, struct husk_error **err) {
  _cleanup_close_ int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (own < 0)
    return husk_error_sys(err, "open /proc/self/ns/pid");
  int r = ns_join(pid_ns_fd, CLONE_NEWPID, "pid", err);
  if (r < 0)
    return r;
  *ret_own_fd = TAKE_FD(own);
  return 0;
}

/* Walk the init through the protocol in sync.h until it waits on the exec fifo. */
static int drive_init(struct create_ctx *c, struct husk_error **err) {
  int fd = c->sync_fds[0];
  const struct spec_linux *lx = &c->spec->linux_;
  const struct spec_process *proc = c->spec->process;
  /* From here, through the host's procfs, while the init still runs husk. */
  if (proc->has_oom_score_adj) {
    int r = process_set_oom_score_adj(c->pid, proc->oom_score_adj, err);
    if (r < 0)
      return r;
  }
  if (c->clone_flags & CLONE_NEWUSER) {
    int r = ns_write_id_maps(c->pid, lx->uid_mappings, lx->n_uid_mappings, lx->gid_mappings,
                             lx->n_gid_mappings, geteuid() != 0, err);
    if (r < 0)
      return r;
  }
  int r = sync_send(fd, SYNC_MAPS_DONE, 0, NULL, 0, err);
  if (r == -EPIPE) { /* the init failed already: its error is waiting in the socket */
    husk_error_freep(err);
    r = sync_expect(fd, SYNC_CREATED, err);
    if (r >= 0)
      r = husk_error_set(err, EPIPE, "container init exited before it was created");
  }
  if (r < 0)
    return r;
  if (!hooks_need_create_sync(c->spec)) /* then the init skips steps 2 and 3 too */
    return sync_expect(fd, SYNC_CREATED, err);
  r = sync_expect(fd, SYNC_MOUNTS_DONE, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *child_state = NULL;
  r = run_create_hooks(c, &child_state, err);
  if (r < 0)
    return r;
  r = sync_send(fd, SYNC_HOOKS_DONE, 0, child_state, child_state ? strlen(child_state) : 0, err);
  if (r < 0)
    return r;
  return sync_expect(fd, SYNC_CREATED, err);
}

int container_write_pid_file(const char *path, pid_t pid, struct husk_error **err) {
  _cleanup_free_ char *copy = xstrdup(path);
  char *slash = strrchr(copy, '/');
  const char *dir = ".", *name = copy;
  if (slash) {
    *slash = '\0';
    dir = slash == copy ? "/" : copy;
    name = slash + 1;
  }
  _cleanup_close_ int dirfd = open(dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (dirfd < 0)
    return husk_error_sys(err, "pid file %s", path);
  char text[32];
  int n = snprintf(text, sizeof(text), "%d", pid);
  int r = write_file_atomic_at(dirfd, name, text, (size_t)n, 0644, err);
  return r < 0 ? husk_error_wrap(err, "pid file %s", path) : 0;
}

static int record_created(struct create_ctx *c, struct husk_error **err) {
  _cleanup_json_ json_t *ann = annotations_json(c->spec);
  _cleanup_json_ json_t *cgroup = c->cgroup ? cgroup_save(c->cgroup) : NULL;
  _cleanup_free_ char *now = now_rfc3339();
  struct container_state st = {
      .id = (char *)c->opts->id,
      .pid = c->pid,
      .pid_start_time = c->pid_start_time,
      .bundle = c->bundle,
      .rootfs = c->rootfs,
      .created = now,
      .owner = geteuid(),
      .annotations = ann,
      .clone_flags = c->clone_flags,
      .cgroup = cgroup,
      .host_mounts = c->host_mounts ? c->rootfs : NULL,
      .storage = c->storage,
  };
  int r = state_write(c->state_fd, &st, err);
  if (r < 0)
    return r;
  if (c->opts->pid_file)
    return container_write_pid_file(c->opts->pid_file, c->pid, err);
  return 0;
}

/* Right after the clone, before anything else: the init is findable from here on. */
static int record_init(struct create_ctx *c, struct husk_error **err) {
  c->pid_start_time = proc_start_time(c->pid);
  _cleanup_json_ json_t *init =
      json_pack("{s:i, s:I, s:i}", "pid", (int)c->pid, "startTime", (json_int_t)c->pid_start_time,
                "cloneFlags", c->clone_flags);
  return journal_append(c->journal_fd, "init", init, err);
}

/* The state says "created" with the init's pid: only now may the init outlive us. It stops
 * its parent-death signal and says so; until then a create killed at any point takes the
 * init with it (and its journal the rest). */
static int hand_over(struct create_ctx *c, struct husk_error **err) {
  int r = sync_send(c->sync_fds[0], SYNC_RECORDED, 0, NULL, 0, err);
  return r < 0 ? r : sync_expect(c->sync_fds[0], SYNC_RECORDED, err);
}

/* What create runs is not the bundle's config.json as it is on disk. */
static bool config_changed(const struct create_options *o) {
  return o->config_doc || (o->config_patch && json_object_size(o->config_patch) > 0) ||
         o->user_name || o->env || o->service || o->network != NETWORK_CONFIG;
}

int container_create(const struct create_options *opts, pid_t *ret_pid, int *ret_pidfd,
                     struct husk_error **err) {
  struct create_ctx c = {.opts = opts,
                         .state_fd = -1,
                         .fifo_fd = -1,
                         .sync_fds = {-1, -1},
                         .console_fd = -1,
                         .pidfd = -1,
                         .cgroup_fd = -1,
                         .journal_fd = -1,
                         .parent_pidfd = -1,
                         .store_use_fd = -1};
  for (size_t i = 0; i < ARRAY_SIZE(c.ns_fds); i++)
    c.ns_fds[i] = -1;
  int r = load_bundle(&c, err);
  if (r >= 0)
    r = plan_namespaces(&c, err);
  if (r >= 0)
    r = lsm_check(c.spec, err);
  /* The filter is built here, before clone: the init only loads it (DESIGN.md §6). */
  if (r >= 0 && c.spec->linux_.seccomp)
    r = seccomp_compile(c.spec->linux_.seccomp, &c.seccomp, err);
  if (r >= 0)
    r = connect_console(&c, err);
  if (r >= 0) {
    r = opts->reuse_state_dir ? state_dir_open(opts->root, opts->id, true, &c.state_fd, err)
                              : state_dir_create(opts->root, opts->id, &c.state_fd, err);
    c.state_dir_made = r >= 0 && !opts->reuse_state_dir;
  }
  test_stop_at("create:state-dir");
  if (r >= 0)
    r = c.journal_fd = journal_open(c.state_fd, err);
  if (r >= 0)
    r = make_service_files(&c, err);
  if (r >= 0 && c.image)
    r = make_image_storage(&c, err);
  if (r >= 0)
    r = make_exec_fifo(&c, err);
  if (r >= 0)
    r = hooks_save_config(c.state_fd, c.spec, config_changed(opts), err);
  if (r >= 0)
    r = setup_cgroup(&c, err);
  if (r >= 0)
    r = sync_pair(c.sync_fds, err);
  if (r >= 0 && c.host_mounts) {
    _cleanup_json_ json_t *under = json_string(c.rootfs);
    r = journal_append(c.journal_fd, "hostMounts", under, err);
  }
  /* In its own pid namespace the init sees its parent as pid 0, whether alive or not. */
  c.clone_parent = opts->monitor_is_parent && !init_in_joined_user_ns(&c);
  pid_t parent = c.clone_parent ? getppid() : getpid();
  if (r >= 0 && (c.parent_pidfd = (int)syscall(SYS_pidfd_open, parent, 0)) < 0)
    r = husk_error_sys(err, "pidfd_open of the init's parent %d", parent);
  int pid_ns_fd = c.ns_fds[ns_type_index(CLONE_NEWPID)];
  _cleanup_close_ int own_pid_ns = -1;
  if (r >= 0 && pid_ns_fd >= 0) /* joining a pid namespace applies to our children */
    r = join_pid_ns_for_init(pid_ns_fd, &own_pid_ns, err);
  int user_ns_fd = c.ns_fds[ns_type_index(CLONE_NEWUSER)];
  if (r >= 0) {
    r = user_ns_fd >= 0 ? clone_init_in_user_ns(user_ns_fd, c.clone_flags, &c.pidfd, err)
                        : clone_into_cgroup(&c, err);
    if (r == 0)
      run_init(&c);
    c.pid = r;
    test_stop_at("create:cloned");
    if (r > 0)
      r = record_init(&c, err);
    test_stop_at("create:init-recorded");
  }
  if (own_pid_ns >= 0) {
    int back = ns_join(own_pid_ns, CLONE_NEWPID, "husk's own", r < 0 ? NULL : err);
    if (r >= 0 && back < 0)
      r = back;
  }
  if (r >= 0)
    r = join_cgroup(&c, err);
  if (r >= 0) {
    closep(&c.sync_fds[1]);
    closep(&c.console_fd);
    r = drive_init(&c, err);
  }
  test_stop_at("create:init-created");
  if (r >= 0 && opts->network == NETWORK_PASTA) {
    _cleanup_free_ char *dir = xasprintf("%s/%s", opts->root, opts->id);
    r = pasta_start(dir, c.state_fd, c.pid, opts->pasta_args, err);
  }
  if (r >= 0)
    r = record_created(&c, err);
  test_stop_at("create:state-written");
  if (r >= 0)
    r = hand_over(&c, err);
  test_stop_at("create:handed-over");
  if (r < 0) {
    create_ctx_release(&c, true);
    return husk_error_wrap(err, "create %s", opts->id);
  }
  *ret_pid = c.pid;
  if (ret_pidfd)
    *ret_pidfd = TAKE_FD(c.pidfd);
  else
    closep(&c.pidfd);
  create_ctx_release(&c, false);
  return 0;
}

static int pidfd_for(const struct container_state *st, struct husk_error **err) {
  int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    return husk_error_sys(err, "pidfd_open %d", st->pid);
  /* The pid might have been reused between reading the state and opening the pidfd. */
  if (!state_init_alive(st)) {
    close(fd);
    return husk_error_set(err, ESRCH, "%s: container not running", st->id);
  }
  return fd;
}

/* The init keeps the fifo open until execve closes it (close-on-exec), after its
 * startContainer hooks: EOF says the process runs, a '1' that it could not start. So start
 * returns, and poststart hooks run, only once the process is running (runtime-spec). */
static int wait_for_exec(int fifo, struct husk_error **err) {
  for (;;) {
    char byte;
    ssize_t n = read(fifo, &byte, 1);
    if (n == 0) {
      TRACE(0, "the fifo closed: the init has replaced itself with the process",
            "read(%s) /* EOF */", EXEC_FIFO);
      return 0;
    }
    if (n == 1)
      return husk_error_set(err, ECANCELED,
                            "the container's process did not start (its stderr says why)");
    if (errno == EAGAIN) {
      struct pollfd p = {.fd = fifo, .events = POLLIN};
      poll(&p, 1, -1);
    } else if (errno != EINTR) {
      return husk_error_sys(err, "read %s", EXEC_FIFO);
    }
  }
}

/* Open the fifo for reading (which lets the init's blocking open for writing finish) and wait
 * for its byte, watching the init's pidfd so a dead init cannot hang us. */
static int release_init(int state_fd, const struct container_state *st, struct husk_error **err) {
  _cleanup_close_ int pidfd = pidfd_for(st, err);
  if (pidfd < 0)
    return pidfd;
  _cleanup_close_ int fifo = openat(state_fd, EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  TRACE(fifo, "release the init: its open of the fifo for writing completes", "open(%s, O_RDONLY)",
        EXEC_FIFO);
  if (fifo < 0)
    return husk_error_sys(err, "open %s", EXEC_FIFO);
  struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
  for (;;) {
    int n = poll(p, 2, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return husk_error_sys(err, "wait for the container init");
    if (p[0].revents & POLLIN)
      break;
    if (p[1].revents)
      return husk_error_set(err, ESRCH, "container init exited before it was started");
    if (p[0].revents & POLLHUP)
      return husk_error_set(err, EPIPE, "container init closed the exec fifo");
  }
  char byte;
  if (read(fifo, &byte, 1) != 1)
    return husk_error_set(err, EPIPE, "container init closed the exec fifo");
  unlinkat(state_fd, EXEC_FIFO, 0);
  return wait_for_exec(fifo, err);
}

int container_start(const char *root, const char *id, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  int r = state_load(root, id, true, &fd, &st, err);
  if (r < 0)
    return r;
  enum container_status status = state_status(fd, st);
  if (status != STATUS_CREATED)
    return husk_error_set(err, EINVAL, "cannot start container %s: it is %s, not created", id,
                          container_status_name(status));
  test_stop_at("start:locked");
  r = release_init(fd, st, err);
  if (r < 0)
    return husk_error_wrap(err, "start %s", id);
  test_stop_at("start:released");
  st->started = true;
  r = state_write(fd, st, err);
  if (r < 0)
    return r;
  /* With the lock shared, a poststart hook may run `husk state`; its failure only warns. */
  flock(fd, LOCK_SH);
  hooks_run_saved(fd, st, HOOK_POSTSTART, STATUS_RUNNING);
  return 0;
}

/* Every process in the container's pid namespace (it made its own): found by comparing
 * /proc/<pid>/ns/pid with the init's. */
static int kill_pid_namespace(const struct container_state *st, int sig, struct husk_error **err) {
  char path[64];
  struct stat init_ns, ns;
  snprintf(path, sizeof(path), "/proc/%d/ns/pid", st->pid);
  if (stat(path, &init_ns) < 0)
    return husk_error_sys(err, "stat %s", path);
  DIR *d = opendir("/proc");
  if (!d)
    return husk_error_sys(err, "open /proc");
  struct dirent *de;
  while ((de = readdir(d))) {
    pid_t pid = (pid_t)atoi(de->d_name);
    if (pid <= 0)
      continue;
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
    if (stat(path, &ns) == 0 && ns.st_ino == init_ns.st_ino && ns.st_dev == init_ns.st_dev)
      kill(pid, sig);
  }
  closedir(d);
  return 0;
}

/* Every process in the container's cgroup. A frozen one dies only once thawed (v1), so a
 * SIGKILL thaws the cgroup too. */
static int signal_cgroup(const struct container_state *st, int sig, struct husk_error **err) {
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  int r = cgroup_load(cgroup_host_default(), st->cgroup, &cg, err);
  if (r >= 0)
    r = cgroup_kill(cg, sig, err);
  if (r >= 0 && sig == SIGKILL && cgroup_is_frozen(cg))
    r = cgroup_freeze(cg, false, err);
  return r < 0 ? husk_error_wrap(err, "signal container %s", st->id) : 0;
}

static int signal_container(const struct container_state *st, int sig, bool all,
                            struct husk_error **err) {
  if (all && st->cgroup)
    return signal_cgroup(st, sig, err);
  if (all && !(st->clone_flags & CLONE_NEWPID))
    log_warn("kill --all: container %s shares a pid namespace; signalling its init only", st->id);
  if (all && (st->clone_flags & CLONE_NEWPID))
    return kill_pid_namespace(st, sig, err);
  _cleanup_close_ int pidfd = pidfd_for(st, err);
  if (pidfd < 0)
    return pidfd;
  long r = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
  TRACE(r, "deliver the signal to the container's init through its pidfd",
        "pidfd_send_signal(%d /* pid %d */, %d, NULL, 0)", (int)pidfd, st->pid, sig);
  if (r < 0)
    return husk_error_sys(err, "signal container %s", st->id);
  return 0;
}

int container_kill(const char *root, const char *id, int sig, bool all, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  int r = state_load(root, id, false, &fd, &st, err);
  if (r < 0)
    return r;
  /* With --all the cgroup is what counts: what outlived an init sharing our pid namespace.
   * Worded as runc's: containerd's shim reads "container not running" as "already exited". */
  if (state_status(fd, st) == STATUS_STOPPED && !(all && st->cgroup))
    return husk_error_set(err, ESRCH, "%s: container not running", id);
  return signal_container(st, sig, all, err);
}

/* SIGKILL everything in the container and wait until the init is gone. What cannot be
 * signalled as a group (a cgroup that was never made) is left to the cgroup's removal. */
static int kill_and_wait(const struct container_state *st, struct husk_error **err) {
  _cleanup_close_ int pidfd = pidfd_for(st, NULL);
  if (pidfd < 0)
    return 0; /* already gone */
  _cleanup_error_ struct husk_error *group_err = NULL;
  if (signal_container(st, SIGKILL, (st->clone_flags & CLONE_NEWPID) || st->cgroup, &group_err) < 0)
    log_debug("kill %s: %s", st->id, group_err->message);
  long r = syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  if (r < 0 && errno != ESRCH)
    return husk_error_sys(err, "kill the init of %s", st->id);
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  while (poll(&p, 1, 10000) < 0 && errno == EINTR)
    ;
  /* Reap it if it happens to be our child (run in the foreground). */
  waitpid(st->pid, NULL, WNOHANG);
  return 0;
}

/* Every cgroup directory create made; what still runs in them is killed first. */
static int remove_cgroup(const struct container_state *st, struct husk_error **err) {
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  if (!st->cgroup)
    return 0;
  int r = cgroup_load(cgroup_host_default(), st->cgroup, &cg, err);
  return r < 0 ? r : cgroup_destroy(cg, err);
}

int container_cgroup(const struct container_state *st, struct cgroup **ret,
                     struct husk_error **err) {
  if (!st->cgroup)
    return husk_error_set(err, ENOTSUP,
                          "container %s has no cgroup (it was created with --cgroup-manager "
                          "disabled)",
                          st->id);
  return cgroup_load(cgroup_host_default(), st->cgroup, ret, err);
}

bool container_oom_killed(const struct container_state *st, int64_t *ret_limit) {
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  uint64_t kills = 0;
  if (!st->cgroup || cgroup_load(cgroup_host_default(), st->cgroup, &cg, NULL) < 0 ||
      cgroup_oom_kills(cg, &kills, NULL) < 0 || kills == 0)
    return false;
  if (ret_limit && cgroup_memory_limit(cg, ret_limit, NULL) < 0)
    *ret_limit = -1;
  return true;
}

/* What is left of a stopped container besides its state directory: its cgroup, and then its
 * poststop hooks. With the lock shared a poststop hook may run `husk state`; hook failures
 * only warn. */
/* What a container without a mount namespace mounted below its rootfs, in ours. */
static int remove_host_mounts(const struct container_state *st, struct husk_error **err) {
  int r = st->host_mounts ? rootfs_unmount_under(st->host_mounts, err) : 0;
  return r < 0 ? r : 0;
}

/* An image container's own directory: its mounts went with its mount namespace. */
static int remove_storage(const struct container_state *st, struct husk_error **err) {
  int r = st->storage ? remove_dir_tree(st->storage, err) : 0;
  return r < 0 ? husk_error_wrap(err, "container %s: its storage", st->id) : 0;
}

/* keep_storage: a restart in place keeps what the container wrote, as docker restart does. */
static int tear_down(int state_fd, const struct container_state *st, bool keep_storage,
                     struct husk_error **err) {
  pasta_stop(state_fd);
  int r = remove_cgroup(st, err);
  if (r >= 0)
    r = remove_host_mounts(st, err);
  if (r >= 0 && !keep_storage)
    r = remove_storage(st, err);
  if (r < 0)
    return r;
  flock(state_fd, LOCK_SH);
  hooks_run_saved(state_fd, st, HOOK_POSTSTOP, STATUS_STOPPED);
  return 0;
}

/* delete --force of a container whose state.json cannot be read (a create killed before it
 * wrote it, a corrupt file): what the journal records is killed and removed, and the user is
 * told what could not be found. */
static int delete_from_journal(const char *root, const char *id, int fd,
                               const struct husk_error *why, struct husk_error **err) {
  struct container_state st = {.id = (char *)id};
  size_t unreadable = 0;
  _cleanup_error_ struct husk_error *jerr = NULL;
  int r = journal_read(fd, &st, &unreadable, &jerr);
  if (r < 0 && r != -ENOENT)
    log_warn("container %s: %s, and its journal cannot be read (%s): removing only its state "
             "directory",
             id, why->message, jerr->message);
  else if (st.pid > 0 || st.cgroup)
    log_warn("container %s: %s; removing what its journal records (%s%s%s)", id, why->message,
             st.pid > 0 ? "the init" : "", st.pid > 0 && st.cgroup ? " and " : "",
             st.cgroup ? "its cgroup" : "");
  if (unreadable)
    log_warn("container %s: %zu journal record(s) cut short: what they named may be left", id,
             unreadable);
  if (st.pid > 0 && state_init_alive(&st))
    r = kill_and_wait(&st, err);
  else
    r = 0;
  test_stop_at("delete:journal-killed");
  pasta_stop(fd);
  if (r >= 0)
    r = remove_cgroup(&st, err);
  if (r >= 0)
    r = remove_host_mounts(&st, err);
  if (r >= 0)
    r = remove_storage(&st, err);
  json_decref(st.cgroup);
  free(st.host_mounts);
  free(st.storage);
  if (r < 0)
    return husk_error_wrap(err, "delete %s", id);
  return state_dir_remove(root, id, err);
}

int container_delete(const char *root, const char *id, bool force, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  _cleanup_error_ struct husk_error *open_err = NULL;
  int r = state_dir_open(root, id, true, &fd, &open_err);
  /* With --force a missing container is no error, as with runc: engines depend on it. */
  if (r == -ENOENT && force)
    return 0;
  if (r < 0) {
    *err = TAKE_PTR(open_err);
    return r;
  }
  _cleanup_state_ struct container_state *st = NULL;
  _cleanup_error_ struct husk_error *read_err = NULL;
  r = state_read(fd, &st, &read_err);
  if (r < 0 && force)
    return delete_from_journal(root, id, fd, read_err, err);
  if (r < 0) {
    *err = TAKE_PTR(read_err);
    return husk_error_wrap(err, "delete %s (--force removes what its journal records)", id);
  }
  /* A restart in place killed halfway: the journal names the newer init and cgroup. */
  size_t unreadable = 0;
  journal_read(fd, st, &unreadable, NULL);
  enum container_status status = state_status(fd, st);
  if ((status == STATUS_RUNNING || status == STATUS_PAUSED) && !force)
    return husk_error_set(err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
                          container_status_name(status));
  if (status != STATUS_STOPPED) {
    r = kill_and_wait(st, err);
    if (r < 0)
      return husk_error_wrap(err, "delete %s", id);
  }
  test_stop_at("delete:killed");
  r = tear_down(fd, st, false, err);
  if (r < 0)
    return husk_error_wrap(err, "delete %s", id);
  test_stop_at("delete:torn-down");
  return state_dir_remove(root, id, err);
}

int container_reset(const char *root, const char *id, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  int r = state_load(root, id, true, &fd, &st, err);
  if (r < 0)
    return r;
  if (state_status(fd, st) != STATUS_STOPPED)
    return husk_error_set(err, EBUSY, "cannot reset container %s that is not stopped", id);
  r = tear_down(fd, st, true, err);
  return r < 0 ? husk_error_wrap(err, "reset %s", id) : 0;
}
