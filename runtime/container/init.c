/* init.c: the container's init, from clone until execve. Each step below is one named
 * function; a failure is sent to `husk create` over the sync socket (see sync.h). */
#include "init.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "hooks.h"
#include "namespaces/namespaces.h"
#include "process/process_setup.h"
#include "rootfs/rootfs.h"
#include "spec/annotations.h"
#include "spec/spec.h"
#include "sync.h"
#include "test_hooks.h"

/* husk create died before our parent-death signal was set (or cleared): its pidfd says so.
 * getppid() cannot: in a new pid namespace it is 0, under a subreaper not 1. */
static bool parent_gone(const struct init_args *a) {
  struct pollfd p = {.fd = a->parent_pidfd, .events = POLLIN};
  return poll(&p, 1, 0) != 0;
}

/* A change of user (process.user) clears the parent-death signal: set it again. */
static int rearm_parent_death(const struct init_args *a, struct husk_error **err) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return husk_error_sys(err, "prctl(PR_SET_PDEATHSIG)");
  if (parent_gone(a))
    return husk_error_set(err, ESRCH, "husk create exited during setup");
  return 0;
}

/* The parent blocked signals to forward them; the init starts with a clean mask, and dies
 * with `husk create` while it is being set up. */
static int begin(struct init_args *a, struct husk_error **err) {
  closep(&a->state_fd);
  sync_forward_logs(a->sync_fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  prctl(PR_SET_NAME, "husk:init", 0, 0, 0);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return husk_error_sys(err, "prctl(PR_SET_PDEATHSIG)");
  if (parent_gone(a))
    return husk_error_set(err, ESRCH, "husk create exited during setup");
  /* Until execve the init runs the husk binary: a container process that could open
   * /proc/<init>/exe (one sharing the pid namespace, between create and start) could
   * overwrite husk on the host (CVE-2019-5736). In a new user namespace, not before the
   * maps: a rootless parent writes our /proc files. */
  return a->new_user_ns ? 0 : process_make_undumpable(err);
}

/* Join the namespaces the config gives by path, in ns_types order (user first, mount last). */
static int join_namespaces(struct init_args *a, struct husk_error **err) {
  for (size_t i = 0; i < ns_types_count; i++) {
    int flag = ns_types[i].clone_flag;
    /* pid was joined by the parent, user by the helper that cloned us */
    if (a->ns_fds[i] < 0 || flag == CLONE_NEWPID || flag == CLONE_NEWUSER)
      continue;
    const struct spec_namespace *ns = spec_namespace(a->spec, flag);
    int r = ns_join(a->ns_fds[i], flag, ns ? ns->path : ns_types[i].spec_name, err);
    if (r < 0)
      return r;
  }
  for (size_t i = 0; i < ns_types_count; i++)
    closep(&a->ns_fds[i]);
  return 0;
}

/* The files husk wrote into the state directory for the config's bind mounts (/etc/hosts, secrets:
 * etc_files.h) are opened now: by path in the container's mount namespace (a mount seen through
 * an fd from another namespace cannot be bound), and before the init becomes root of a user
 * namespace, whose ids cannot search the owner-only state directory. */
static void open_state_sources(struct init_args *a) {
  if (!a->state_dir)
    return;
  size_t n = a->spec->n_mounts, len = strlen(a->state_dir);
  a->source_fds = xcalloc(n ? n : 1, sizeof(int));
  for (size_t i = 0; i < n; i++) {
    const char *src = a->spec->mounts[i].source;
    a->source_fds[i] = -1;
    if (src && strncmp(src, a->state_dir, len) == 0 && src[len] == '/' &&
        !strchr(src + len + 1, '/'))
      a->source_fds[i] = open(src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  }
}

/* In a new user namespace the init has every capability but no mapped uid until the parent
 * has written the maps; then it becomes root there (as in a joined one). */
static int become_root(struct init_args *a, struct husk_error **err) {
  int r = sync_expect(a->sync_fd, SYNC_MAPS_DONE, err);
  if (r >= 0 && a->new_user_ns)
    r = process_make_undumpable(err);
  if (r < 0 || !(a->new_user_ns || a->joined_user_ns))
    return r;
  r = setresgid(0, 0, 0);
  TRACE(r, "become root in the new user namespace", "setresgid(0, 0, 0)");
  if (r < 0)
    return husk_error_sys(err, "setresgid 0 in the user namespace");
  r = setresuid(0, 0, 0);
  TRACE(r, "become root in the new user namespace", "setresuid(0, 0, 0)");
  if (r < 0)
    return husk_error_sys(err, "setresuid 0 in the user namespace");
  return 0;
}

/* Without CLONE_INTO_CGROUP the init was moved (or moved itself) into the container's cgroups
 * only after the clone, so the new cgroup namespace is made now, rooted there. */
static int enter_cgroup_namespace(struct husk_error **err) {
  int r = unshare(CLONE_NEWCGROUP);
  TRACE(r, "a cgroup namespace rooted at the container's cgroup, now that the init is in it",
        "unshare(CLONE_NEWCGROUP)");
  if (r < 0)
    return husk_error_sys(err, "unshare(CLONE_NEWCGROUP)");
  return 0;
}

static int set_names(const struct spec *spec, struct husk_error **err) {
  if (spec->hostname) {
    int r = sethostname(spec->hostname, strlen(spec->hostname));
    TRACE(r, "name the container in its own uts namespace", "sethostname(\"%s\")", spec->hostname);
    if (r < 0)
      return husk_error_sys(err, "sethostname %s", spec->hostname);
  }
  if (spec->domainname) {
    int r = setdomainname(spec->domainname, strlen(spec->domainname));
    TRACE(r, "set the container's NIS domain name", "setdomainname(\"%s\")", spec->domainname);
    if (r < 0)
      return husk_error_sys(err, "setdomainname %s", spec->domainname);
  }
  return 0;
}

/* A process.cwd the root filesystem lacks is made, as runc does; in an image's container it
 * belongs to the process's user (docker's WorkingDir). */
static int make_cwd(const struct init_args *a, struct husk_error **err) {
  const char *cwd = a->spec->process->cwd;
  if (!cwd || cwd[0] != '/' || strcmp(cwd, "/") == 0)
    return 0;
  _cleanup_close_ int root = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return husk_error_sys(err, "open %s", a->rootfs);
  /* Only a missing one: what else is wrong with it, process_chdir says (a cwd through a
   * /proc link, outside the root, not a directory). */
  _cleanup_close_ int fd = rootfs_open_in_root(root, cwd, O_PATH | O_DIRECTORY, false, false, NULL);
  if (fd != -ENOENT)
    return 0;
  fd = rootfs_open_in_root(root, cwd, O_RDONLY | O_DIRECTORY, true, true, err);
  TRACE(fd, "make the missing process.cwd inside the rootfs", "mkdir(\"%s\")", cwd);
  if (fd < 0)
    return husk_error_wrap(err, "process.cwd %s", cwd);
  const struct spec_user *u = &a->spec->process->user;
  if (a->image_rootfs && fchown(fd, u->uid, u->gid) < 0)
    return husk_error_sys(err, "process.cwd %s: chown to %u:%u", cwd, (unsigned)u->uid,
                          (unsigned)u->gid);
  return 0;
}

static int build_rootfs(struct init_args *a, struct husk_error **err) {
  /* Relative bind-mount sources are relative to the bundle. */
  if (chdir(a->bundle) < 0)
    return husk_error_sys(err, "chdir %s", a->bundle);
  bool own_mount_ns = spec_namespace(a->spec, CLONE_NEWNS) != NULL;
  const struct rootfs_options ro = {.in_user_ns = a->new_user_ns,
                                    .own_mount_ns = own_mount_ns,
                                    .cgroup = a->cgroup,
                                    .cgroup_ns = spec_namespace(a->spec, CLONE_NEWCGROUP) != NULL,
                                    .overlay = a->overlay,
                                    .source_fds = a->source_fds};
  int r = rootfs_prepare(a->spec, a->rootfs, &ro, err);
  if (r >= 0)
    r = make_cwd(a, err);
  if (r < 0)
    return r;
  /* Without those hooks the round trip to the parent would only cost a wakeup each way. */
  if (hooks_need_create_sync(a->spec)) {
    r = sync_send(a->sync_fd, SYNC_MOUNTS_DONE, 0, NULL, 0, err);
    if (r < 0)
      return r;
    r = sync_expect_data(a->sync_fd, SYNC_HOOKS_DONE, &a->hook_state, err);
    if (r < 0)
      return r;
  }
  /* In the container's namespaces, but before pivot_root: hook paths are the host's. */
  if (a->spec->hooks[HOOK_CREATE_CONTAINER].n) {
    r = hooks_run(a->spec, HOOK_CREATE_CONTAINER, a->hook_state ? a->hook_state : "{}", err);
    if (r < 0)
      return r;
  }
  r = rootfs_pivot(a->rootfs, a->no_pivot, own_mount_ns, err);
  if (r < 0)
    return r;
  return rootfs_finalize(a->spec, err);
}

static int prepare_process(struct init_args *a, struct process_plan *plan,
                           struct husk_error **err) {
  const int keep[] = {a->sync_fd, a->fifo_fd, a->parent_pidfd};
  struct process_setup s = {
      .proc = a->spec->process,
      .seccomp = a->seccomp,
      .console_fd = TAKE_FD(a->console_fd),
      .preserve_fds = a->preserve_fds,
      .no_new_keyring = a->no_new_keyring,
      .bind_console = true,
      .keep_fds = keep,
      .n_keep_fds = ARRAY_SIZE(keep),
  };
  return process_prepare(&s, plan, err);
}

/* After `start` released the init: in the container, with the process's user and
 * capabilities, the state as "created" (the process has not run yet, as with runc). */
static int run_start_hooks(struct init_args *a, struct husk_error **err) {
  if (!a->spec->hooks[HOOK_START_CONTAINER].n)
    return 0;
  _cleanup_free_ char *state = NULL;
  int r = hooks_state_with_status(a->hook_state ? a->hook_state : "{}", "created", &state, err);
  if (r < 0)
    return r;
  return hooks_run(a->spec, HOOK_START_CONTAINER, state, err);
}

/* After `start` released the init, a failure is printed to the container's stderr and a '1'
 * on the fifo tells `start` that the process will not run. */
static _Noreturn void fail_to_start(int fifo, const char *message, int status) {
  log_error("%s", message);
  write_all(fifo, "1", 1);
  _exit(status);
}

/* Tell the parent we are created, then block until `husk start` opens the fifo. From here
 * on there is no parent listening. The fifo stays open until execve closes it (close-on-exec):
 * that EOF tells `start` the process runs, so poststart hooks come after it. */
static _Noreturn void wait_for_start_and_exec(struct init_args *a, struct process_plan *plan) {
  _cleanup_error_ struct husk_error *err = NULL;
  if (sync_send(a->sync_fd, SYNC_CREATED, 0, NULL, 0, &err) < 0 ||
      sync_expect(a->sync_fd, SYNC_RECORDED, &err) < 0)
    _exit(1);
  /* The state names us now: we may outlive husk create, unless it is already gone (or is our
   * monitor, which we never outlive). */
  if (!a->dies_with_parent)
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (parent_gone(a) || sync_send(a->sync_fd, SYNC_RECORDED, 0, NULL, 0, &err) < 0)
    _exit(1);
  closep(&a->parent_pidfd);
  test_stop_at("init:handed-over");
  sync_forward_logs(-1);
  closep(&a->sync_fd);
  char fifo_path[64];
  snprintf(fifo_path, sizeof(fifo_path), "/proc/self/fd/%d", a->fifo_fd);
  int fd = open(fifo_path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "0", 1) != 1) {
    log_error("open exec fifo: %s", strerror(errno));
    _exit(1);
  }
  closep(&a->fifo_fd);
  if (run_start_hooks(a, &err) < 0)
    fail_to_start(fd, err->message, 1);
  const char *init = json_string_value(
      json_object_get(json_object_get(a->spec->doc, "annotations"), INIT_ANNOTATION));
  struct process_setup s = {.proc = a->spec->process,
                            .seccomp = a->seccomp,
                            .console_fd = -1,
                            .as_init = init && strcmp(init, "true") == 0};
  if (process_load_seccomp_late(&s, &err) < 0)
    fail_to_start(fd, err->message, 1);
  /* The trampoline keeps the fifo open until the program's own execve, or writes to it. */
  process_execve(&s, plan, fd, &err);
  fail_to_start(fd, err->message, 127);
}

_Noreturn void init_main(struct init_args *a) {
  _cleanup_error_ struct husk_error *err = NULL;
  struct process_plan plan = {0};
  int r = begin(a, &err);
  if (r >= 0 && a->join_cgroup)
    r = cgroup_add_self(a->join_cgroup, &err);
  if (r >= 0)
    r = join_namespaces(a, &err);
  if (r >= 0)
    open_state_sources(a);
  if (r >= 0)
    r = become_root(a, &err);
  if (r >= 0 && a->unshare_cgroupns)
    r = enter_cgroup_namespace(&err);
  if (r >= 0 && a->new_net_ns)
    r = ns_loopback_up(&err);
  if (r >= 0)
    r = set_names(a->spec, &err);
  test_stop_at("init:namespaces");
  if (r >= 0)
    r = build_rootfs(a, &err);
  test_stop_at("init:rootfs");
  if (r >= 0)
    r = prepare_process(a, &plan, &err);
  if (r >= 0)
    r = rearm_parent_death(a, &err);
  test_stop_at("init:prepared");
  if (r < 0)
    sync_fail(a->sync_fd, err);
  wait_for_start_and_exec(a, &plan);
}
