/* exec.c: `husk exec`, a new process in a running container. Three processes take part:
 *
 *   husk exec (P)   checks the state, builds the process config, compiles the seccomp filter,
 *                   makes itself non-dumpable, forks the joiner, writes the pid file, and in
 *                   the foreground waits for the process (proxying its terminal).
 *   joiner (C)      "husk:exec": enters the container's cgroup, then every namespace of its
 *                   init at once (setns on the init's pidfd), and forks so the pid namespace
 *                   applies; reports the new pid (as P sees it) and exits.
 *   process (G)     takes the process config's terminal, env, cwd, rlimits, user,
 *                   capabilities, no_new_privs and seccomp (process_setup.h), and execs.
 *
 * In the foreground G is cloned with CLONE_PARENT, so it is P's child and P waits for it;
 * detached it is C's, and C's exit hands it to the nearest subreaper (conmon, the containerd
 * shim) or init, so it is never a zombie of a husk that is gone. P, C and G talk over one
 * sync socketpair (sync.h): C sends SYNC_EXEC_PID, G SYNC_CREATED once only the seccomp
 * filter and execve are left, either sends SYNC_ERROR when setup fails. A detached G, which
 * no parent-death signal can tie to P, then waits for P's SYNC_RECORDED (the pid file is
 * written): if P dies before that, G exits instead of running where nobody knows of it. */
#include "exec.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "container.h"
#include "hooks.h"
#include "namespaces/namespaces.h"
#include "process/console.h"
#include "process/lsm.h"
#include "process/process.h"
#include "process/process_setup.h"
#include "process/terminal.h"
#include "process/user.h"
#include "seccomp/seccomp.h"
#include "spec/spec.h"
#include "state.h"
#include "sync.h"
#include "test_hooks.h"

struct exec_ctx {
  const struct exec_options *o;
  int state_fd; /* the state dir, locked shared while the config is read */
  struct container_state *st;
  struct spec *spec; /* the container's config with the exec'd process in it */
  struct seccomp_program *seccomp;
  struct cgroup *cgroup; /* the container's; NULL when it has none */
  int init_pidfd;        /* the container's init: the namespaces are joined through it */
  int join_flags;        /* CLONE_NEW* of the init's namespaces that are not husk's own */
  int root_fd;           /* the init's root when it shares husk's mount namespace, else -1 */
  int sync_fds[2];       /* [0] husk exec, [1] the joiner and the process */
  int console_fd;        /* the process's end: --console-socket, or terminal_fds[1] */
  int terminal_fds[2];   /* foreground terminal: the master comes back over this pair */
  bool foreground_terminal;
  pid_t joiner;
  pid_t pid; /* the process, in husk's pid namespace */
};

static void exec_ctx_release(struct exec_ctx *c) {
  closep(&c->state_fd);
  container_state_free(c->st);
  spec_free(c->spec);
  seccomp_program_free(c->seccomp);
  cgroup_free(c->cgroup);
  closep(&c->init_pidfd);
  closep(&c->root_fd);
  closep(&c->sync_fds[0]);
  closep(&c->sync_fds[1]);
  closep(&c->console_fd);
  closep(&c->terminal_fds[0]);
  closep(&c->terminal_fds[1]);
}

static int check_status(struct exec_ctx *c, struct husk_error **err) {
  enum container_status status = state_status(c->state_fd, c->st);
  if (status == STATUS_STOPPED)
    return husk_error_set(err, EINVAL, "the container is stopped");
  if (status == STATUS_PAUSED && !c->o->ignore_paused)
    return husk_error_set(err, EINVAL,
                          "the container is paused (use --ignore-paused to exec anyway)");
  return 0;
}

/* The config create kept (when it had poststart or poststop hooks), else the bundle's. */
static int load_config(struct exec_ctx *c, json_t **ret, struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ struct husk_error *saved_err = NULL;
  int r = read_file_at(c->state_fd, HOOKS_CONFIG_FILE, HUSK_FILE_MAX, &text, &saved_err);
  if (r == -ENOENT) {
    path = xasprintf("%s/config.json", c->st->bundle);
    r = read_file_at(AT_FDCWD, path, HUSK_FILE_MAX, &text, err);
    if (r < 0)
      return husk_error_wrap(err, "the container's config");
  } else if (r < 0) {
    *err = TAKE_PTR(saved_err);
    return husk_error_wrap(err, "the container's saved config");
  }
  const char *what = path ? path : "the saved config.json";
  json_error_t jerr;
  json_t *doc = json_loads(text, 0, &jerr);
  if (!doc)
    return husk_error_set(err, EINVAL, "%s: invalid JSON at line %d, column %d: %s", what,
                          jerr.line, jerr.column, jerr.text);
  if (!json_is_object(doc)) {
    json_decref(doc);
    return husk_error_set(err, EINVAL, "%s: expected a JSON object", what);
  }
  *ret = doc;
  return 0;
}

static json_t *strv_json(const char *const *v) {
  json_t *a = json_array();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

/* A decimal id (digits only) below 2^32-1; *end after it. */
static bool parse_id(const char *s, char **end, unsigned long *ret) {
  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  *ret = strtoul(s, end, 10);
  return errno == 0 && *ret < UINT32_MAX;
}

/* "UID[:GID]" → process.user.uid (and gid; without it the config's stays). */
static int set_user(json_t *proc, const char *text, struct husk_error **err) {
  unsigned long uid, gid = 0;
  char *end;
  bool ok = parse_id(text, &end, &uid);
  bool has_gid = ok && *end == ':';
  if (has_gid)
    ok = parse_id(end + 1, &end, &gid);
  if (!ok || *end)
    return husk_error_set(err, EINVAL, "--user %s: expected UID[:GID] (numbers)", text);
  json_t *user = json_object_get(proc, "user");
  if (!json_is_object(user)) {
    user = json_object();
    json_object_set_new(user, "gid", json_integer(0));
    json_object_set_new(proc, "user", user);
  }
  json_object_set_new(user, "uid", json_integer((json_int_t)uid));
  if (has_gid)
    json_object_set_new(user, "gid", json_integer((json_int_t)gid));
  return 0;
}

/* --cap adds a capability to the bounding, effective and permitted sets (as runc does) and
 * to the ambient set, where it takes effect only if the config makes it inheritable. */
static void add_caps(json_t *proc, const char *const *caps) {
  static const char *const sets[] = {"bounding", "effective", "permitted", "ambient"};
  if (!caps || !caps[0])
    return;
  json_t *obj = json_object_get(proc, "capabilities");
  if (!json_is_object(obj)) {
    obj = json_object();
    json_object_set_new(proc, "capabilities", obj);
  }
  for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
    json_t *list = json_object_get(obj, sets[i]);
    if (!json_is_array(list)) {
      list = json_array();
      json_object_set_new(obj, sets[i], list);
    }
    for (size_t k = 0; caps[k]; k++)
      json_array_append_new(list, json_string(caps[k]));
  }
}

/* Whether a process env array sets name. */
static bool env_has(const json_t *env, const char *name) {
  size_t i, len = strlen(name);
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *e = json_string_value(v);
    if (e && strncmp(e, name, len) == 0 && e[len] == '=')
      return true;
  }
  return false;
}

/* Without --process: the container's own process, with the command and the flags' changes. */
static int process_from_flags(const struct exec_options *o, const char *rootfs, json_t *config,
                              json_t **ret, struct husk_error **err) {
  if (!o->args || !o->args[0])
    return husk_error_set(err, EINVAL, "exec: a command is needed (or --process FILE)");
  json_t *base = json_object_get(config, "process");
  if (!json_is_object(base))
    return husk_error_set(err, EINVAL, "the container's config has no process to start from");
  _cleanup_json_ json_t *p = json_deep_copy(base);
  json_object_set_new(p, "args", strv_json(o->args));
  if (o->cwd)
    json_object_set_new(p, "cwd", json_string(o->cwd));
  if (o->env && o->env[0]) {
    json_t *env = json_object_get(p, "env");
    if (!json_is_array(env)) {
      env = json_array();
      json_object_set_new(p, "env", env);
    }
    _cleanup_json_ json_t *extra = strv_json(o->env);
    json_array_extend(env, extra);
  }
  /* docker exec -t: a terminal without TERM in the environment gets TERM=xterm. */
  if (o->tty && !env_has(json_object_get(p, "env"), "TERM")) {
    json_t *env = json_object_get(p, "env");
    if (!json_is_array(env)) {
      env = json_array();
      json_object_set_new(p, "env", env);
    }
    json_array_append_new(env, json_string("TERM=xterm"));
  }
  bool bare_uid = o->user && *o->user && !o->user[strspn(o->user, "0123456789")];
  if (o->user && (user_text_has_names(o->user) || bare_uid)) {
    /* A name, or a uid without a group, as docker exec -u takes it: looked up in the
     * container's own files (a uid's group is its /etc/passwd entry's, else 0). */
    json_t *user = NULL;
    int r = user_resolve(rootfs, o->user, &user, err);
    if (r < 0)
      return r;
    json_object_set_new(p, "user", user);
  } else if (o->user) {
    int r = set_user(p, o->user, err);
    if (r < 0)
      return r;
  }
  add_caps(p, o->caps);
  if (o->no_new_privs)
    json_object_set_new(p, "noNewPrivileges", json_true());
  /* A terminal only when asked for, whatever the container's own process has (as runc). */
  json_object_set_new(p, "terminal", json_boolean(o->tty));
  *ret = TAKE_PTR(p);
  return 0;
}

static int process_from_file(const struct exec_options *o, json_t *config, json_t **ret,
                             struct husk_error **err) {
  if (o->args && o->args[0])
    return husk_error_set(err, EINVAL,
                          "exec: give either --process FILE or a command, not both (got \"%s\")",
                          o->args[0]);
  _cleanup_free_ char *text = NULL;
  int r = read_file_at(AT_FDCWD, o->process_file, HUSK_FILE_MAX, &text, err);
  if (r < 0)
    return husk_error_wrap(err, "--process %s", o->process_file);
  json_error_t jerr;
  _cleanup_json_ json_t *p = json_loads(text, 0, &jerr);
  if (!p)
    return husk_error_set(err, EINVAL, "--process %s: invalid JSON at line %d, column %d: %s",
                          o->process_file, jerr.line, jerr.column, jerr.text);
  if (!json_is_object(p))
    return husk_error_set(err, EINVAL, "--process %s: process: expected an object",
                          o->process_file);
  if (o->tty)
    json_object_set_new(p, "terminal", json_true());
  /* Without capabilities of its own the process gets the container's, as with runc. */
  json_t *caps = json_object_get(json_object_get(config, "process"), "capabilities");
  if (!json_object_get(p, "capabilities") && caps)
    json_object_set(p, "capabilities", caps);
  *ret = TAKE_PTR(p);
  return 0;
}

/* runc's rules: a detached terminal needs a socket to go to; the socket is only for that. */
static int check_terminal(struct exec_ctx *c, struct husk_error **err) {
  const struct exec_options *o = c->o;
  bool terminal = c->spec->process->terminal;
  if (o->detach && terminal && !o->console_socket)
    return husk_error_set(err, EINVAL,
                          "a terminal for a detached exec needs --console-socket (or no -t)");
  if (o->console_socket && (!o->detach || !terminal))
    return husk_error_set(err, EINVAL,
                          "--console-socket: only for a detached exec (-d) with a terminal "
                          "(-t or process.terminal)");
  c->foreground_terminal = terminal && !o->detach;
  return 0;
}

/* The process config: the container's config with its process replaced, parsed as one spec,
 * so the process gets the container's seccomp profile and every error names its JSON path. */
static int build_spec(struct exec_ctx *c, struct husk_error **err) {
  _cleanup_json_ json_t *config = NULL;
  int r = load_config(c, &config, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *proc = NULL;
  r = c->o->process_file ? process_from_file(c->o, config, &proc, err)
                         : process_from_flags(c->o, c->st->rootfs, config, &proc, err);
  if (r < 0)
    return r;
  /* In the foreground the pty starts with the size of husk's terminal, before the process
   * can ask for it (it runs before husk gets the master). */
  unsigned rows, cols;
  if (json_is_true(json_object_get(proc, "terminal")) && !c->o->detach &&
      terminal_size(STDIN_FILENO, &rows, &cols))
    json_object_set_new(proc, "consoleSize",
                        json_pack("{s:i, s:i}", "height", (int)rows, "width", (int)cols));
  _cleanup_json_ json_t *doc = json_copy(config);
  json_object_set(doc, "process", proc);
  r = spec_parse_json(doc, &c->spec, err);
  if (r < 0)
    return r;
  if (!c->spec->process)
    return husk_error_set(err, EINVAL, "process: required");
  return check_terminal(c, err);
}

/* A pidfd for the init, checked to be the init the state names (not a reused pid). */
static int open_init(struct exec_ctx *c, struct husk_error **err) {
  c->init_pidfd = (int)syscall(SYS_pidfd_open, c->st->pid, 0);
  TRACE(c->init_pidfd, "a handle on the container's init that cannot point at a reused pid",
        "pidfd_open(%d, 0)", c->st->pid);
  if (c->init_pidfd < 0 || !state_init_alive(c->st))
    return husk_error_set(err, ESRCH, "container %s is not running", c->o->id);
  return 0;
}

/* Which of the init's namespaces differ from husk's: those are joined (joining one's own user
 * namespace is an error, the others would be no-ops). */
static int plan_join(struct exec_ctx *c, struct husk_error **err) {
  for (size_t i = 0; i < ns_types_count; i++) {
    char theirs[64], ours[64];
    snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", c->st->pid, ns_types[i].proc_name);
    snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns_types[i].proc_name);
    struct stat a, b;
    if (stat(theirs, &a) < 0 && errno == ENOENT && state_init_alive(c->st))
      continue; /* a namespace type this kernel does not have */
    if (stat(theirs, &a) < 0)
      return husk_error_set(err, ESRCH, "container %s is not running", c->o->id);
    if (stat(ours, &b) < 0)
      return husk_error_sys(err, "stat %s", ours);
    if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
      c->join_flags |= ns_types[i].clone_flag;
  }
  /* A container without a mount namespace of its own only chroot()ed into its rootfs: so
   * does its exec'd process (joining a mount namespace would have set the root). */
  if (!(c->join_flags & CLONE_NEWNS)) {
    char root[64];
    snprintf(root, sizeof(root), "/proc/%d/root", c->st->pid);
    struct stat theirs, ours;
    if (stat(root, &theirs) == 0 && stat("/", &ours) == 0 &&
        (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) &&
        (c->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
      return husk_error_sys(err, "open %s", root);
  }
  /* The files were read by pid: make sure it still was the init. */
  if (!state_init_alive(c->st))
    return husk_error_set(err, ESRCH, "container %s is not running", c->o->id);
  return 0;
}

static int enter_root(struct exec_ctx *c, struct husk_error **err) {
  if (c->root_fd < 0)
    return 0;
  int r = fchdir(c->root_fd);
  if (r == 0)
    r = chroot(".");
  TRACE(r, "the container shares our mount namespace: take its root directory",
        "fchdir(/proc/%d/root); chroot(\".\")", c->st->pid);
  closep(&c->root_fd);
  return r < 0 ? husk_error_sys(err, "chroot into the container's root") : 0;
}

static int setup_console(struct exec_ctx *c, struct husk_error **err) {
  if (!c->spec->process->terminal)
    return 0;
  if (c->o->console_socket) {
    c->console_fd = console_socket_connect(c->o->console_socket, err);
    return c->console_fd < 0 ? c->console_fd : 0;
  }
  int r = terminal_socketpair(c->terminal_fds, err);
  if (r < 0)
    return r;
  c->console_fd = TAKE_FD(c->terminal_fds[1]);
  return 0;
}

/* Every namespace at once through the pidfd (Linux 5.8); before that, one namespace file
 * after another in ns_types order: user first, mount last. */
static int join_namespaces(struct exec_ctx *c, struct husk_error **err) {
  if (!c->join_flags)
    return 0;
  char names[256];
  ns_flags_to_string(c->join_flags, names, sizeof(names));
  int r = setns(c->init_pidfd, c->join_flags);
  TRACE(r, "enter every namespace of the container's init at once, through its pidfd",
        "setns(%d /* pidfd of %d */, %s)", c->init_pidfd, c->st->pid, names);
  if (r == 0)
    return 0;
  if (errno == ESRCH)
    return husk_error_set(err, ESRCH, "container %s is not running", c->o->id);
  if (errno != EINVAL)
    return husk_error_sys(err, "join the namespaces of container %s (%s)", c->o->id, names);
  int fds[8];
  size_t n = 0;
  for (size_t i = 0; i < ns_types_count && n < ARRAY_SIZE(fds); i++) {
    if (!(c->join_flags & ns_types[i].clone_flag))
      continue;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/%s", c->st->pid, ns_types[i].proc_name);
    r = ns_open(path, ns_types[i].clone_flag, err);
    if (r < 0)
      break;
    fds[n++] = r;
  }
  for (size_t i = 0, k = 0; r >= 0 && i < ns_types_count; i++)
    if (c->join_flags & ns_types[i].clone_flag)
      r = ns_join(fds[k++], ns_types[i].clone_flag, "of the container's init", err);
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
  return r < 0 ? r : 0;
}

/* The process (G): from inside the container to execve. */
static _Noreturn void process_main(struct exec_ctx *c) {
  _cleanup_error_ struct husk_error *err = NULL;
  int sync_fd = c->sync_fds[1];
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* In the foreground husk exec is the parent: the process dies with it during setup. */
  if (!c->o->detach && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    sync_fail(sync_fd, NULL);
  struct process_setup s = {
      .proc = c->spec->process,
      .seccomp = c->seccomp,
      .console_fd = TAKE_FD(c->console_fd),
      .preserve_fds = c->o->preserve_fds,
      .keep_fds = &c->sync_fds[1],
      .n_keep_fds = 1,
  };
  struct process_plan plan = {0};
  if (process_prepare(&s, &plan, &err) < 0)
    sync_fail(sync_fd, err);
  test_stop_at("exec:prepared");
  if (sync_send(sync_fd, SYNC_CREATED, 0, NULL, 0, &err) < 0)
    _exit(1);
  /* With --trace, husk exec prints the records sent so far before this one writes its own;
   * detached, it also wrote the pid file (an EOF means it died: nobody would know of us). */
  if (c->o->detach ? sync_expect(sync_fd, SYNC_RECORDED, &err) < 0
                   : log_trace_enabled() && sync_expect(sync_fd, SYNC_CREATED, &err) < 0)
    _exit(1);
  /* The filter may forbid sendmsg: from here on records go straight to the log. */
  sync_forward_logs(-1);
  /* Detached, husk exec returns once the program runs: the socket stays open until the
   * program's own execve closes it (the trampoline keeps it so), or carries the errno. */
  int report_fd = c->o->detach ? sync_fd : -1;
  if (!c->o->detach)
    close(sync_fd);
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (process_load_seccomp_late(&s, &err) >= 0)
    process_execve(&s, &plan, report_fd, &err);
  log_error("exec %s: %s", c->o->id, err->message);
  int e = err->code ? err->code : EIO;
  if (report_fd >= 0)
    write_all(report_fd, &e, sizeof(e));
  _exit(127);
}

/* Detached: EOF once the program's execve closed the process's end of the socket, or the
 * errno it failed with. */
static int wait_for_exec(struct exec_ctx *c, struct husk_error **err) {
  int e = 0;
  ssize_t n;
  while ((n = recv(c->sync_fds[0], &e, sizeof(e), 0)) < 0 && errno == EINTR)
    ;
  if (n == 0)
    return 0;
  if (n == (ssize_t)sizeof(e) && e > 0)
    return husk_error_errno(err, e, "the process did not start (its stderr says why)");
  return husk_error_sys(err, "wait for the process to start");
}

/* In the foreground the process is cloned as husk exec's child (CLONE_PARENT), so husk can
 * wait for it; detached it is the joiner's, which exits at once. */
static pid_t fork_process(struct exec_ctx *c, struct husk_error **err) {
  pid_t pid = c->o->detach ? fork()
                           : (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid != 0)
    TRACE(pid, "a child, so the container's pid namespace applies to it",
          c->o->detach ? "fork()" : "clone(CLONE_PARENT|SIGCHLD)");
  if (pid < 0 && errno == ENOMEM)
    return husk_error_set(err, ESRCH, "container %s is not running (its pid namespace is gone)",
                          c->o->id);
  if (pid < 0)
    return husk_error_sys(err, "fork");
  return pid;
}

/* The joiner (C): cgroup, namespaces, fork, report the pid, exit. */
static _Noreturn void joiner_main(struct exec_ctx *c) {
  _cleanup_error_ struct husk_error *err = NULL;
  int sync_fd = c->sync_fds[1];
  closep(&c->sync_fds[0]);
  closep(&c->terminal_fds[0]);
  closep(&c->state_fd);
  sync_forward_logs(sync_fd);
  prctl(PR_SET_NAME, "husk:exec", 0, 0, 0);
  int r = prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ? husk_error_sys(&err, "prctl") : 0;
  if (r >= 0 && getppid() == 1)
    r = husk_error_set(&err, ESRCH, "husk exec exited during setup");
  /* With the host's procfs, and the privilege to lower the score, before any join. */
  const struct spec_process *proc = c->spec->process;
  if (r >= 0 && proc->has_oom_score_adj)
    r = process_set_oom_score_adj(0, proc->oom_score_adj, &err);
  if (r >= 0 && c->cgroup)
    r = cgroup_add_self(c->cgroup, &err);
  if (r >= 0)
    r = join_namespaces(c, &err);
  if (r >= 0)
    r = enter_root(c, &err);
  test_stop_at("exec:joined");
  if (r >= 0)
    r = fork_process(c, &err);
  if (r == 0)
    process_main(c);
  if (r < 0)
    sync_fail(sync_fd, err);
  char text[16];
  int n = snprintf(text, sizeof(text), "%d", r);
  _exit(sync_send(sync_fd, SYNC_EXEC_PID, 0, text, (size_t)n, NULL) < 0);
}

/* Wait for the joiner's report and the process's: the process is set up, or failed. */
static int drive_exec(struct exec_ctx *c, struct husk_error **err) {
  int fd = c->sync_fds[0];
  _cleanup_free_ char *text = NULL;
  int r = sync_expect_data(fd, SYNC_EXEC_PID, &text, err);
  int status;
  while (waitpid(c->joiner, &status, 0) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return r;
  c->pid = text ? (pid_t)atoi(text) : 0;
  if (c->pid <= 0)
    return husk_error_set(err, EPROTO, "the joining process sent no pid");
  r = sync_expect(fd, SYNC_CREATED, err);
  if (r >= 0 && log_trace_enabled() && !c->o->detach)
    r = sync_send(fd, SYNC_CREATED, 0, NULL, 0, err);
  return r;
}

/* A process that failed its setup exits by itself; in the foreground it is ours to reap (as
 * is one whose error came in before its pid did). */
static void reap_failed(struct exec_ctx *c) {
  if (c->o->detach)
    return;
  if (c->pid > 0)
    waitpid(c->pid, NULL, 0);
  else
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
      ;
}

static int spawn(struct exec_ctx *c, struct husk_error **err) {
  int r = sync_pair(c->sync_fds, err);
  /* Before any namespace is entered (DESIGN.md §6, CVE-2019-5736); the joiner and the
   * process inherit it. */
  if (r >= 0)
    r = process_make_undumpable(err);
  if (r < 0)
    return r;
  c->joiner = fork();
  if (c->joiner < 0)
    return husk_error_sys(err, "fork");
  if (c->joiner == 0)
    joiner_main(c);
  closep(&c->sync_fds[1]);
  closep(&c->console_fd);
  r = drive_exec(c, err);
  if (r < 0)
    reap_failed(c);
  return r;
}

static int prepare(struct exec_ctx *c, struct husk_error **err) {
  const struct exec_options *o = c->o;
  int r = state_load(o->root, o->id, false, &c->state_fd, &c->st, err);
  if (r >= 0)
    r = check_status(c, err);
  if (r >= 0)
    r = build_spec(c, err);
  if (r >= 0)
    r = lsm_check_process(c->spec->process, err);
  /* Compiled here, loaded by the process last (DESIGN.md §6). */
  if (r >= 0 && c->spec->linux_.seccomp)
    r = seccomp_compile(c->spec->linux_.seccomp, &c->seccomp, err);
  if (r >= 0 && c->st->cgroup)
    r = cgroup_load(cgroup_host_default(), c->st->cgroup, &c->cgroup, err);
  if (r >= 0)
    r = open_init(c, err);
  if (r >= 0)
    r = plan_join(c, err);
  if (r >= 0)
    r = setup_console(c, err);
  /* Not held while the process is set up: joining a paused container's cgroup waits for
   * `resume`, which takes the lock. */
  closep(&c->state_fd);
  return r;
}

/* Once the process runs: the pid file, and in the foreground the wait. */
static int finish(struct exec_ctx *c, struct husk_error **err) {
  _cleanup_close_ int master = -1;
  /* Opened while the process is our child (foreground) or just started (detached). */
  _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
  int r = 0;
  if (c->foreground_terminal)
    r = master = terminal_recv_master(c->terminal_fds[0], false, err);
  test_stop_at("exec:started");
  if (r >= 0 && c->o->pid_file)
    r = container_write_pid_file(c->o->pid_file, c->pid, err);
  if (r >= 0 && !c->o->detach && pidfd < 0)
    r = husk_error_sys(err, "pidfd_open %d", c->pid);
  if (r >= 0 && c->o->detach)
    r = sync_send(c->sync_fds[0], SYNC_RECORDED, 0, NULL, 0, err);
  if (r >= 0 && c->o->detach)
    r = wait_for_exec(c, err);
  if (r < 0) {
    /* Nobody would know of the process: it does not outlive the failed exec. */
    if (pidfd >= 0)
      syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    if (!c->o->detach)
      waitpid(c->pid, NULL, 0);
    return r;
  }
  if (c->o->detach)
    return 0;
  return terminal_wait(master, c->pid, pidfd, err);
}

int container_exec(const struct exec_options *o, struct husk_error **err) {
  struct exec_ctx c = {.o = o,
                       .state_fd = -1,
                       .init_pidfd = -1,
                       .root_fd = -1,
                       .sync_fds = {-1, -1},
                       .console_fd = -1,
                       .terminal_fds = {-1, -1}};
  /* Blocked before the process exists, so none is lost or kills husk halfway; the process
   * clears its mask first thing. */
  sigset_t set, old;
  terminal_forwarded_signals(&set);
  sigprocmask(SIG_BLOCK, &set, &old);
  int r = prepare(&c, err);
  if (r >= 0)
    r = spawn(&c, err);
  if (r >= 0)
    r = finish(&c, err);
  sigprocmask(SIG_SETMASK, &old, NULL);
  exec_ctx_release(&c);
  return r < 0 ? husk_error_wrap(err, "exec %s", o->id) : r;
}
