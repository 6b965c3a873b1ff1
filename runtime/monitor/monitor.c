/* monitor.c: the monitor of a container `husk run` started (DESIGN.md §4). It is the init's
 * parent and a child subreaper (a short-lived worker creates and starts the container and
 * exits, handing the init over, so create's code and memory are never the monitor's); it
 * reaps the init and records its exit, captures its output to ctr.log, stops it (and restarts
 * it: monitor_restart.c), and sleeps in one epoll loop over the init's pidfd, a signalfd, a
 * timerfd and the output pipes. The health check itself is monitor_health.c. */
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "container/pasta.h"
#include "container/state.h"
#include "container/test_hooks.h"
#include "duration.h"
#include "monitor_internal.h"
#include "ports.h"

int64_t monitor_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Creating files in the state directory (a temp file, a rotated log) under the lock keeps a
 * concurrent delete from finding it non-empty; a delete that got there first ends the
 * writing for good. */
bool monitor_lock(struct monitor *m) {
  if (m->deleted || m->dirfd < 0)
    return false;
  while (flock(m->dirfd, LOCK_EX) < 0 && errno == EINTR)
    ;
  struct stat st;
  if (fstat(m->dirfd, &st) < 0 || st.st_nlink == 0) {
    flock(m->dirfd, LOCK_UN);
    m->deleted = true;
    return false;
  }
  return true;
}

void monitor_unlock(struct monitor *m) { flock(m->dirfd, LOCK_UN); }

void monitor_event(struct monitor *m, const char *type, json_t *data) {
  _cleanup_free_ char *line = monitor_event_line(type, m->co.id, data);
  if (m->events_fd >= 0 && !m->deleted)
    write_all(m->events_fd, line, strlen(line));
}

int monitor_watch(struct monitor *m, int fd, enum monitor_source src, uint32_t index) {
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)src << 32 | index};
  return epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void monitor_unwatch(struct monitor *m, int *fd) {
  if (*fd < 0)
    return;
  epoll_ctl(m->epfd, EPOLL_CTL_DEL, *fd, NULL);
  close(*fd);
  *fd = -1;
}

void monitor_report(struct monitor *m, json_t *msg) {
  _cleanup_json_ json_t *owned = msg;
  if (m->report_fd < 0)
    return;
  _cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
  if (send(m->report_fd, text, strlen(text), MSG_NOSIGNAL) < 0)
    closep(&m->report_fd), m->report_fd = -1;
}

/* ---- the container's output ---- */

static void log_rotate(struct monitor *m) {
  if (!monitor_lock(m))
    return;
  renameat(m->dirfd, MONITOR_LOG_FILE, m->dirfd, MONITOR_LOG_OLD_FILE);
  int fd = openat(m->dirfd, MONITOR_LOG_FILE, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  monitor_unlock(m);
  if (fd < 0)
    return;
  close(m->log_fd);
  m->log_fd = fd;
  m->log_size = 0;
}

struct emit_ctx {
  struct monitor *m;
  enum log_stream stream;
  struct timespec ts;
};

static void emit_line(void *ctx, const char *line, size_t len) {
  struct emit_ctx *e = ctx;
  struct monitor *m = e->m;
  _cleanup_free_ char *text = ctrlog_encode(e->stream, line, len, &e->ts);
  size_t n = strlen(text);
  if (m->log_size > 0 && m->log_size + (off_t)n > MONITOR_LOG_ROTATE_SIZE)
    log_rotate(m);
  if (m->log_fd >= 0 && !m->deleted && write_all(m->log_fd, text, n) == (ssize_t)n)
    m->log_size += (off_t)n;
}

/* What the pipe holds now; a bounded number of reads, so a chatty container cannot starve
 * the other events. */
static void read_output(struct monitor *m, enum log_stream s, int rounds) {
  int *fd = s == LOG_STDOUT ? &m->out_r : &m->err_r;
  struct emit_ctx e = {.m = m, .stream = s};
  clock_gettime(CLOCK_REALTIME, &e.ts);
  char buf[8192];
  while (*fd >= 0 && rounds-- > 0) {
    ssize_t n = read(*fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      line_splitter_flush(&m->split[s], emit_line, &e);
      monitor_unwatch(m, fd);
      return;
    }
    line_splitter_feed(&m->split[s], buf, (size_t)n, emit_line, &e);
  }
}

/* Everything written until now, and the last lines without a newline. */
static void drain_output(struct monitor *m) {
  for (int s = LOG_STDOUT; s <= LOG_STDERR; s++) {
    read_output(m, (enum log_stream)s, 1 << 20);
    struct emit_ctx e = {.m = m, .stream = (enum log_stream)s};
    clock_gettime(CLOCK_REALTIME, &e.ts);
    line_splitter_flush(&m->split[s], emit_line, &e);
  }
}

static int open_log_files(struct monitor *m, struct husk_error **err) {
  if (!monitor_lock(m))
    return husk_error_set(err, ENOENT, "container %s was deleted", m->co.id);
  m->events_fd =
      openat(m->dirfd, MONITOR_EVENTS_FILE, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (m->events_fd >= 0 && !m->foreground)
    m->log_fd = openat(m->dirfd, MONITOR_LOG_FILE, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  int e = errno;
  monitor_unlock(m);
  if (m->events_fd < 0 || (!m->foreground && m->log_fd < 0))
    return husk_error_errno(err, e, "open the container's log files");
  struct stat st;
  if (m->log_fd >= 0 && fstat(m->log_fd, &st) == 0)
    m->log_size = st.st_size;
  return 0;
}

/* ---- the container ---- */

/* The monitor's own entries in state.json: its pid (so `stop` can wait for it) and the
 * restart count. create wrote a fresh state.json, without them. */
static int record_monitor(struct monitor *m, struct husk_error **err) {
  if (!monitor_lock(m))
    return husk_error_set(err, ENOENT, "container %s was deleted", m->co.id);
  _cleanup_state_ struct container_state *st = NULL;
  int r = state_read(m->dirfd, &st, err);
  if (r >= 0) {
    st->monitor_pid = getpid();
    st->monitor_start_time = proc_start_time(getpid());
    st->restart_count = m->restarts;
    free(st->started_at);
    st->started_at = now_rfc3339();
    st->restarting = false;
    free(st->restart_policy);
    st->restart_policy = m->policy.kind != RESTART_NO ? restart_policy_format(&m->policy) : NULL;
    r = state_write(m->dirfd, st, err);
  }
  monitor_unlock(m);
  if (r < 0)
    return r;
  cgroup_free(m->cg);
  m->cg = NULL;
  if (st->cgroup)
    cgroup_load(cgroup_host_default(), st->cgroup, &m->cg, NULL);
  return 0;
}

static void record_exit(struct monitor *m, int status) {
  bool oom = false;
  if (monitor_lock(m)) {
    _cleanup_state_ struct container_state *st = NULL;
    if (state_read(m->dirfd, &st, NULL) == 0) {
      st->exited = true;
      st->exit_code = status;
      free(st->finished);
      st->finished = now_rfc3339();
      oom = st->oom_killed = container_oom_killed(st, NULL);
      state_write(m->dirfd, st, NULL);
    }
    monitor_unlock(m);
  }
  monitor_event(m, "exit", json_pack("{s:i, s:b}", "exitCode", status, "oomKilled", oom));
}

/* Whether the config gives the container a network namespace of its own to publish ports into
 * (--network replaces the config's). Docker's rules: with the host's network ports are
 * discarded (a warning), with none they conflict. */
static int check_ports(struct monitor *m, const json_t *config, struct husk_error **err) {
  if (m->ports.n == 0)
    return 0;
  switch (m->co.network) {
  case NETWORK_HOST:
    log_warn("Published ports are discarded when using host network mode");
    port_list_free(&m->ports);
    return 0;
  case NETWORK_NONE:
    return husk_error_set(err, EINVAL,
                          "conflicting options: port publishing and the network mode none");
  case NETWORK_PRIVATE:
  case NETWORK_CONFIG: break;
  default: return 0;
  }
  size_t i;
  json_t *ns;
  json_array_foreach(json_object_get(json_object_get(config, "linux"), "namespaces"), i, ns) {
    const char *type = json_string_value(json_object_get(ns, "type"));
    if (type && strcmp(type, "network") == 0)
      return 0;
  }
  /* A config that does not load is create's to report. */
  if (!config)
    return 0;
  return husk_error_set(err, EINVAL,
                        "-p: the container would share the host's network (linux.namespaces has "
                        "no \"network\"): nothing to publish; add --network private");
}

/* --network pasta: its options, the user's (pasta:OPT,OPT...) and the ports, which go through
 * pasta's own forwarding: the ports husk bound (so found free, or picked) are let go again for
 * pasta to bind as its -t/-u options. */
static void make_pasta_args(struct monitor *m) {
  if (m->co.network != NETWORK_PASTA)
    return;
  const char *extra = m->ro->pasta_options ? m->ro->pasta_options : "";
  size_t n_extra = *extra ? 1 : 0;
  for (const char *p = extra; *p; p++)
    n_extra += *p == ',';
  m->pasta_args = xcalloc(2 * m->ports.n + n_extra + 1, sizeof(char *));
  size_t n = 0;
  for (size_t i = 0; i < m->ports.n; i++) {
    const struct port_mapping *p = &m->ports.v[i];
    m->pasta_args[n++] = xstrdup(p->proto == IPPROTO_UDP ? "-u" : "-t");
    m->pasta_args[n++] = p->host_ip[0]
                             ? xasprintf("%s/%u:%u", p->host_ip, p->host_port, p->container_port)
                             : xasprintf("%u:%u", p->host_port, p->container_port);
    if (m->port_fds)
      close(m->port_fds[i]);
  }
  for (const char *p = extra; *p;) {
    size_t len = strcspn(p, ",");
    if (len)
      m->pasta_args[n++] = xasprintf("%.*s", (int)len, p);
    p += len + (p[len] == ',');
  }
  free(TAKE_PTR(m->port_fds));
  m->co.pasta_args = m->pasta_args;
}

/* The container's annotations as create will record them (config.json's, run's patch over
 * them), read before anything is made: the health check, the stop signal and timeout. A
 * config.json that does not load is left for create to report. */
static int resolve_config(struct monitor *m, struct husk_error **err) {
  _cleanup_free_ char *text = NULL;
  const json_t *ann_doc = json_object_get(m->co.config_doc, "annotations");
  if (!m->co.config_doc) { /* an image's config is in memory already */
    _cleanup_free_ char *path = xasprintf("%s/config.json", m->co.bundle);
    read_file_at(AT_FDCWD, path, HUSK_FILE_MAX, &text, NULL);
  }
  /* `run` in the foreground is the hot path, and there the stop signal only serves a health
   * check: without one asked for, config.json is not parsed a second time. */
  bool has_health = text ? strstr(text, HEALTH_ANNOTATION) != NULL
                         : json_object_get(ann_doc, HEALTH_ANNOTATION) != NULL;
  if (m->foreground && !m->ro->health.cmd && !has_health && m->ports.n == 0)
    return monitor_health_setup(m, NULL, err);
  _cleanup_json_ json_t *config =
      text ? json_loads(text, 0, NULL) : json_incref((json_t *)m->co.config_doc);
  int r = check_ports(m, config, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *ann = json_object();
  json_object_update(ann, json_object_get(config, "annotations"));
  json_object_update(ann, json_object_get(m->co.config_patch, "annotations"));
  int sig = stop_signal_of(ann, err);
  if (sig < 0)
    return sig;
  m->stop_signal = sig;
  m->stop_timeout_ns = stop_timeout_of(ann) * NSEC_PER_SEC;
  return monitor_health_setup(m, ann, err);
}

/* A start that failed halfway: nothing is left of a new container; one started again in place
 * is killed and torn down, and stays, stopped, for `husk start` or delete. */
static void undo_start(const struct create_options *co, pid_t pid) {
  if (!co->reuse_state_dir) {
    container_delete(co->root, co->id, true, NULL);
    return;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) {
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    while (poll(&p, 1, 10000) < 0 && errno == EINTR)
      ;
    close(pidfd);
  }
  waitpid(pid, NULL, WNOHANG);
  container_reset(co->root, co->id, NULL);
}

/* Create and start the container (after tearing the old one down, for a restart); on
 * failure nothing is left of it. */
static int create_and_start(const struct create_options *co, bool restart, pid_t *ret_pid,
                            struct husk_error **err) {
  int r = restart ? container_reset(co->root, co->id, err) : 0;
  if (restart)
    test_stop_at("monitor:reset");
  if (r >= 0)
    r = container_create(co, ret_pid, NULL, err);
  if (r < 0)
    return r;
  r = container_start(co->root, co->id, err);
  if (r < 0)
    undo_start(co, *ret_pid);
  return r;
}

/* Detached, a short-lived worker creates and starts the container, so that all that code and
 * memory is the worker's, not the monitor's: the init is the worker's child until the worker
 * exits, then the monitor's (a subreaper's). Its stdout and stderr are the log pipes, which
 * the init inherits. It reports {"pid": N} or {"error": ...} over a pipe. */
static int start_in_worker(struct monitor *m, bool restart, pid_t *ret_pid,
                           struct husk_error **err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return husk_error_sys(err, "pipe");
  pid_t worker = fork();
  if (worker < 0) {
    close(p[0]);
    close(p[1]);
    return husk_error_sys(err, "fork");
  }
  if (worker == 0) {
    close(p[0]);
    prctl(PR_SET_NAME, "husk:start", 0, 0, 0);
    forwarder_close_in_child(m->fwd);
    dup2(m->out_w, STDOUT_FILENO);
    dup2(m->err_w, STDERR_FILENO);
    _cleanup_error_ struct husk_error *e = NULL;
    pid_t pid = 0;
    int r = create_and_start(&m->co, restart, &pid, &e);
    _cleanup_json_ json_t *msg =
        r < 0 ? json_pack("{s:s, s:i}", "error", e ? e->message : "?", "code", -r)
              : json_pack("{s:i}", "pid", (int)pid);
    _cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
    write_all(p[1], text, strlen(text));
    _exit(r < 0);
  }
  close(p[1]);
  _cleanup_close_ int fd = p[0];
  char buf[4096];
  ssize_t n = read_all(fd, buf, sizeof(buf) - 1);
  while (waitpid(worker, NULL, 0) < 0 && errno == EINTR)
    ;
  buf[n > 0 ? n : 0] = '\0';
  _cleanup_json_ json_t *msg = json_loads(buf, 0, NULL);
  const char *error = json_string_value(json_object_get(msg, "error"));
  if (error)
    return husk_error_set(err, (int)json_integer_value(json_object_get(msg, "code")), "%s", error);
  *ret_pid = (pid_t)json_integer_value(json_object_get(msg, "pid"));
  if (*ret_pid <= 0)
    return husk_error_set(err, EIO, "create %s: the worker that made it died", m->co.id);
  return 0;
}

/* A foreground `run` without a health check deletes the container when it exits, and has no
 * log to keep: it writes nothing (each file write would only add to `run`'s time). */
static bool keeps_files(const struct monitor *m) {
  return !m->foreground || health_config_enabled(&m->cfg) || m->policy.kind != RESTART_NO ||
         m->ports.n > 0;
}

static int write_ports_file(struct monitor *m, struct husk_error **err) {
  if (m->ports.n == 0)
    return 0;
  _cleanup_json_ json_t *j = ports_to_json(&m->ports);
  _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
  if (!monitor_lock(m))
    return husk_error_set(err, ENOENT, "container %s was deleted", m->co.id);
  int r = write_file_atomic_at(m->dirfd, MONITOR_PORTS_FILE, text, strlen(text), 0600, err);
  monitor_unlock(m);
  return r;
}

/* The first time: the state directory, the log files and monitor.sock. */
static int open_files(struct monitor *m, struct husk_error **err) {
  int r = state_dir_open(m->co.root, m->co.id, false, &m->dirfd, err);
  if (r < 0)
    return r;
  monitor_unlock(m);
  r = open_log_files(m, err);
  if (r >= 0)
    r = write_ports_file(m, err);
  return r < 0 ? r : monitor_health_listen(m, err);
}

/* Create and start the container (again, on a restart) and watch it: the init is ours to
 * reap, the health check starts over, the state and events say so. */
int monitor_start_container(struct monitor *m, bool restart, struct husk_error **err) {
  pid_t pid;
  /* The container dies with us: nobody else could reap it or learn how it ended. */
  m->co.dies_with_monitor = true;
  m->co.monitor_is_parent = !m->foreground;
  int r;
  if (m->foreground) {
    /* (with the forwarder's limit: its fds count against it here; an init without its own
     * RLIMIT_NOFILE gets that one) */
    r = create_and_start(&m->co, restart, &pid, err);
  } else {
    r = start_in_worker(m, restart, &pid, err);
  }
  if (r < 0)
    return r;
  m->pid = pid;
  m->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (m->pidfd >= 0)
    monitor_watch(m, m->pidfd, SRC_INIT, 0);
  if (m->fwd) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    forwarder_set_netns(m->fwd, open(path, O_RDONLY | O_CLOEXEC));
  }
  if (!keeps_files(m))
    return 0;
  if (m->dirfd < 0) /* the first start of this monitor (`husk start`: in place) */
    r = open_files(m, err);
  if (r >= 0)
    r = record_monitor(m, err);
  if (r < 0) {
    undo_start(&m->co, pid);
    monitor_unwatch(m, &m->pidfd);
    m->pid = 0;
    return r;
  }
  m->started_ns = monitor_now();
  if (!m->foreground)
    monitor_save_run_options(m);
  test_stop_at("monitor:started");
  monitor_health_started(m);
  monitor_event(m, "start", json_pack("{s:i, s:i}", "pid", (int)pid, "restartCount", m->restarts));
  return 0;
}

void monitor_finish(struct monitor *m) {
  monitor_report(m, json_pack("{s:i}", "exited", m->exit_status));
  for (size_t i = 0; i < MONITOR_MAX_CLIENTS; i++)
    if (m->clients[i] >= 0 && m->client_kind[i] == CLIENT_RESTART)
      monitor_answer(m, i, json_pack("{s:s}", "error", "the container exited and stays stopped"));
  m->done = true;
}

static void init_exited(struct monitor *m, int wstatus) {
  int status = wait_status_code(wstatus);
  monitor_unwatch(m, &m->pidfd);
  m->pid = 0;
  if (m->fwd) /* until it runs again, connections are refused */
    forwarder_set_netns(m->fwd, -1);
  if (m->co.network == NETWORK_PASTA && m->dirfd >= 0) /* no network for a stopped container */
    pasta_stop(m->dirfd);
  m->kill_at = HEALTH_NEVER;
  m->stopping = false;
  drain_output(m);
  monitor_probe_abandon(m);
  if (keeps_files(m))
    record_exit(m, status);
  m->exit_status = status;
  if (!m->deleted && monitor_restart_due(m, status))
    return;
  monitor_finish(m);
}

/* One reaper for every child: the init, probes, and what is reparented to us. */
static void reap(struct monitor *m) {
  for (;;) {
    int wstatus;
    pid_t pid = waitpid(-1, &wstatus, WNOHANG);
    if (pid <= 0)
      return;
    if (pid == m->pid)
      init_exited(m, wstatus);
    else if (pid == m->probe.worker)
      monitor_probe_reaped(m, wstatus);
  }
}

static void send_to_init(struct monitor *m, int sig) {
  if (m->pid <= 0)
    return;
  long r = syscall(SYS_pidfd_send_signal, m->pidfd, sig, NULL, 0);
  TRACE(r, "signal the container's init through its pidfd", "pidfd_send_signal(%d, %d, NULL, 0)",
        m->pidfd, sig);
}

void monitor_stop(struct monitor *m, int64_t timeout_ns, bool restart_after) {
  if (m->pid <= 0)
    return;
  int64_t kill_at = monitor_now() + (timeout_ns < 0 ? m->stop_timeout_ns : timeout_ns);
  m->restart_after = restart_after;
  if (m->stopping) { /* a second stop (by hand, during a health restart) may only hurry it */
    if (kill_at < m->kill_at)
      m->kill_at = kill_at;
    return;
  }
  m->stopping = true;
  monitor_probe_abandon(m);
  send_to_init(m, m->stop_signal);
  m->kill_at = kill_at;
}

/* The stop timeout passed: everything in the container gets SIGKILL. */
static void kill_all(struct monitor *m) {
  if (m->pid <= 0)
    return;
  container_kill(m->co.root, m->co.id, SIGKILL, true, NULL);
  send_to_init(m, SIGKILL);
}

static void on_signal(struct monitor *m) {
  struct signalfd_siginfo si;
  while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    int sig = (int)si.ssi_signo;
    if (sig == SIGCHLD)
      reap(m);
    else if (m->foreground)
      send_to_init(m, sig);
    else if (sig == SIGTERM || sig == SIGINT) { /* someone stops the monitor: stop the container */
      monitor_cancel_restarts(m);
      monitor_stop(m, -1, false);
    }
  }
}

static void arm_timer(struct monitor *m) {
  int64_t at = monitor_health_deadline(m);
  if (m->kill_at < at)
    at = m->kill_at;
  if (m->restart_at < at)
    at = m->restart_at;
  int64_t idle = forwarder_deadline(m->fwd);
  if (idle < at)
    at = idle;
  if (at == m->timer_at)
    return;
  m->timer_at = at;
  struct itimerspec its = {0};
  if (at != HEALTH_NEVER) {
    if (at <= 0)
      at = 1; /* all zeros would disarm it */
    its.it_value.tv_sec = at / NSEC_PER_SEC;
    its.it_value.tv_nsec = at % NSEC_PER_SEC;
  }
  timerfd_settime(m->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_timer(struct monitor *m) {
  uint64_t expirations;
  if (read(m->timerfd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
    return;
  m->timer_at = HEALTH_NEVER; /* one-shot: it is disarmed now */
  int64_t now = monitor_now();
  if (m->kill_at <= now) {
    m->kill_at = HEALTH_NEVER;
    kill_all(m);
  }
  monitor_health_timer(m, now);
  monitor_restart_timer(m, now);
  forwarder_timer(m->fwd, now);
}

static void dispatch(struct monitor *m, const struct epoll_event *ev) {
  enum monitor_source src = (enum monitor_source)(ev->data.u64 >> 32);
  uint32_t index = (uint32_t)ev->data.u64;
  switch (src) {
  case SRC_INIT: reap(m); break;
  case SRC_SIGNAL: on_signal(m); break;
  case SRC_TIMER: on_timer(m); break;
  case SRC_LOG_OUT: read_output(m, LOG_STDOUT, 16); break;
  case SRC_LOG_ERR: read_output(m, LOG_STDERR, 16); break;
  case SRC_PROBE: monitor_probe_output(m); break;
  case SRC_LISTEN: monitor_accept(m); break;
  case SRC_CLIENT: monitor_client_ready(m, index); break;
  case SRC_PORT: forwarder_event(m->fwd, index, ev->events); break;
  default: break;
  }
}

/* ---- code pages ---- */

/* For each page of a file mapping it touches, the kernel maps up to 64 KiB around it (fault-
 * around): the little of husk the monitor runs, spread over all of it, maps most of the binary,
 * ~0.9 MiB of RSS that is page cache shared with every other husk process. Asleep between
 * probes the monitor lets go of those mappings (the pages stay cached, and the next wake-up
 * maps them again in microseconds), so its RSS at rest is its own memory (DESIGN.md §4: under
 * 1 MiB). Only file mappings without private pages qualify: code and read-only data, not the
 * relocated (RELRO) or writable ones. */
static void find_code_ranges(struct monitor *m) {
  _cleanup_fclose_ FILE *f = fopen("/proc/self/smaps", "re");
  char line[512];
  unsigned long start = 0, end = 0, anon;
  bool candidate = false;
  while (f && fgets(line, sizeof(line), f) && m->n_code < ARRAY_SIZE(m->code)) {
    unsigned long s, e, inode;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &s, &e, perms, &inode) == 4) {
      start = s, end = e;
      candidate = inode != 0 && perms[0] == 'r' && perms[1] == '-';
    } else if (candidate && sscanf(line, "Anonymous: %lu kB", &anon) == 1) {
      if (anon == 0)
        m->code[m->n_code++] = (struct code_range){.start = start, .len = end - start};
      candidate = false;
    }
  }
}

/* Between probes only: not while one runs, not when the timer is due soon, and at most ten
 * times a second however chatty the container's output. */
static void drop_code_pages(struct monitor *m) {
  int64_t now = monitor_now();
  if (m->probe.worker > 0 || m->timer_at - now < 200 * NSEC_PER_MSEC ||
      now - m->code_dropped_at < 100 * NSEC_PER_MSEC)
    return;
  for (size_t i = 0; i < m->n_code; i++)
    madvise((void *)m->code[i].start, m->code[i].len, MADV_DONTNEED);
  m->code_dropped_at = now;
}

/* Asleep in epoll_wait until something happens: no polling, no CPU between probes. */
static void loop(struct monitor *m) {
  while (!m->done) {
    arm_timer(m);
    if (m->n_code)
      drop_code_pages(m);
    struct epoll_event evs[8];
    int n = epoll_wait(m->epfd, evs, ARRAY_SIZE(evs), -1);
    if (n < 0 && errno != EINTR)
      break;
    for (int i = 0; i < n && !m->done; i++)
      dispatch(m, &evs[i]);
  }
}

/* ---- setting up and tearing down ---- */

static void monitor_init(struct monitor *m, const struct create_options *co,
                         const struct run_options *ro) {
  *m = (struct monitor){
      .co = *co,
      .ro = ro,
      .dirfd = -1,
      .pidfd = -1,
      .epfd = -1,
      .sigfd = -1,
      .timerfd = -1,
      .timer_at = HEALTH_NEVER,
      .null_fd = -1,
      .out_r = -1,
      .err_r = -1,
      .out_w = -1,
      .err_w = -1,
      .log_fd = -1,
      .events_fd = -1,
      .report_fd = -1,
      .listen_fd = -1,
      .kill_at = HEALTH_NEVER,
      .restart_at = HEALTH_NEVER,
      .policy = ro->restart,
      .stop_signal = SIGTERM,
      .stop_timeout_ns = STOP_DEFAULT_TIMEOUT_S * NSEC_PER_SEC,
  };
  health_config_init(&m->cfg);
  health_init(&m->health);
  m->ports.n = ro->ports.n;
  m->ports.v = xcalloc(ro->ports.n + 1, sizeof(*m->ports.v));
  if (ro->ports.n)
    memcpy(m->ports.v, ro->ports.v, ro->ports.n * sizeof(*m->ports.v));
  m->probe.out_fd = -1;
  m->probe.ctl_fd = -1;
  for (size_t i = 0; i < MONITOR_MAX_CLIENTS; i++)
    m->clients[i] = -1;
}

static void monitor_free(struct monitor *m) {
  monitor_health_cleanup(m);
  forwarder_free(m->fwd);
  m->fwd = NULL;
  for (size_t i = 0; m->port_fds && i < m->ports.n; i++)
    close(m->port_fds[i]);
  free(m->port_fds);
  m->port_fds = NULL;
  port_list_free(&m->ports);
  strv_free(m->pasta_args);
  m->pasta_args = NULL;
  int *fds[] = {&m->pidfd,   &m->sigfd, &m->timerfd, &m->out_r,     &m->err_r,
                &m->out_w,   &m->err_w, &m->log_fd,  &m->events_fd, &m->report_fd,
                &m->null_fd, &m->dirfd, &m->epfd};
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (*fds[i] >= 0)
      close(*fds[i]), *fds[i] = -1;
  for (int s = LOG_STDOUT; s <= LOG_STDERR; s++)
    line_splitter_free(&m->split[s]);
  cgroup_free(m->cg);
  m->cg = NULL;
}

/* epoll, the timer and the signals, in both modes. SIGCHLD (and what the signalfd reads) is
 * blocked so it queues for the signalfd; the init and probes unblock everything again. */
static int setup_loop(struct monitor *m, const sigset_t *sigs, struct husk_error **err) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return husk_error_sys(err, "prctl(PR_SET_CHILD_SUBREAPER)");
  sigprocmask(SIG_BLOCK, sigs, NULL);
  m->epfd = epoll_create1(EPOLL_CLOEXEC);
  m->sigfd = signalfd(-1, sigs, SFD_CLOEXEC | SFD_NONBLOCK);
  m->timerfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
  if (m->epfd < 0 || m->sigfd < 0 || m->timerfd < 0)
    return husk_error_sys(err, "set up the monitor's event loop");
  monitor_watch(m, m->sigfd, SRC_SIGNAL, 0);
  monitor_watch(m, m->timerfd, SRC_TIMER, 0);
  if (m->port_fds)
    return forwarder_new(&m->ports, TAKE_PTR(m->port_fds), m->epfd, (uint64_t)SRC_PORT << 32,
                         &m->fwd, err);
  return 0;
}

/* Detached: stdin is /dev/null, stdout and stderr pipes the monitor reads. */
static int setup_stdio(struct monitor *m, struct husk_error **err) {
  int out[2], errp[2];
  m->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (m->null_fd < 0)
    return husk_error_sys(err, "open /dev/null");
  if (pipe2(out, O_CLOEXEC) < 0)
    return husk_error_sys(err, "pipe");
  if (pipe2(errp, O_CLOEXEC) < 0) {
    close(out[0]);
    close(out[1]);
    return husk_error_sys(err, "pipe");
  }
  m->out_r = out[0], m->out_w = out[1], m->err_r = errp[0], m->err_w = errp[1];
  fcntl(m->out_r, F_SETFL, O_NONBLOCK);
  fcntl(m->err_r, F_SETFL, O_NONBLOCK);
  dup2(m->null_fd, STDIN_FILENO);
  /* run -d -i: as docker's, the process's stdin stays open rather than at EOF (a shell waits):
   * a pipe whose write end the monitor holds for its life and never writes (no attach). */
  int in[2];
  if (m->ro->flags.interactive && pipe2(in, O_CLOEXEC) == 0) {
    dup2(in[0], STDIN_FILENO);
    close(in[0]);
  }
  monitor_watch(m, m->out_r, SRC_LOG_OUT, 0);
  monitor_watch(m, m->err_r, SRC_LOG_ERR, 0);
  return 0;
}

/* The monitor process: the configuration is resolved already (by `run -d`, before the fork). */
static _Noreturn void monitor_main(struct monitor *mp, int report_fd) {
  struct monitor m = *mp;
  m.report_fd = report_fd;
  /* Its own session: the terminal closing (SIGHUP) or `run -d`'s exit do not end it. */
  setsid();
  prctl(PR_SET_NAME, "husk:monitor", 0, 0, 0);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGCHLD);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  sigset_t pipe_sig;
  sigemptyset(&pipe_sig);
  sigaddset(&pipe_sig, SIGPIPE); /* blocked, not ignored: the init would inherit SIG_IGN */
  sigprocmask(SIG_BLOCK, &pipe_sig, NULL);
  _cleanup_error_ struct husk_error *err = NULL;
  int r = setup_loop(&m, &sigs, &err);
  if (r >= 0)
    r = setup_stdio(&m, &err);
  if (r >= 0)
    r = monitor_start_container(&m, m.co.reuse_state_dir, &err);
  if (r < 0) {
    monitor_report(&m, json_pack("{s:s, s:i}", "error", err ? err->message : "?", "code", -r));
    _exit(1);
  }
  monitor_report(&m, json_pack("{s:b}", "ok", true));
  if (!m.ro->wait_healthy)
    closep(&m.report_fd), m.report_fd = -1;
  malloc_trim(0); /* the command's memory, inherited at the fork, is not needed */
  find_code_ranges(&m);
  loop(&m);
  if (m.ro->rm && !m.deleted)
    container_delete(m.co.root, m.co.id, true, NULL);
  monitor_free(&m);
  _exit(0);
}

/* ---- the command's side ---- */

/* One message from the monitor, waiting at most timeout_ns (0: no limit). */
static int read_report(int fd, int64_t timeout_ns, json_t **ret, struct husk_error **err) {
  int64_t deadline = timeout_ns > 0 ? monitor_now() + timeout_ns : 0;
  for (;;) {
    int ms = -1;
    if (deadline) {
      int64_t left = deadline - monitor_now();
      if (left <= 0)
        return -ETIMEDOUT;
      ms = (int)((left + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, ms);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return husk_error_sys(err, "wait for the container's monitor");
    if (n == 0)
      continue;
    char buf[4096];
    ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);
    if (len < 0 && errno == EINTR)
      continue;
    if (len <= 0)
      return husk_error_set(err, EPIPE, "the container's monitor exited");
    buf[len] = '\0';
    *ret = json_loads(buf, 0, NULL);
    if (!*ret)
      return husk_error_set(err, EPROTO, "the container's monitor said \"%s\"", buf);
    return 0;
  }
}

static int wait_healthy(int fd, const struct create_options *co, const struct run_options *ro,
                        struct husk_error **err) {
  _cleanup_json_ json_t *msg = NULL;
  int r = read_report(fd, ro->wait_healthy_timeout_ns, &msg, err);
  if (r == -ETIMEDOUT) {
    _cleanup_free_ char *d = duration_format(ro->wait_healthy_timeout_ns);
    return husk_error_set(err, ETIMEDOUT, "container %s did not become healthy within %s", co->id,
                          d);
  }
  if (r < 0)
    return r;
  const char *health = json_string_value(json_object_get(msg, "health"));
  if (health && strcmp(health, "healthy") == 0)
    return 0;
  if (health)
    return husk_error_set(err, EIO, "container %s is %s", co->id, health);
  return husk_error_set(err, ECHILD, "container %s exited (status %lld) before it was healthy",
                        co->id, json_integer_value(json_object_get(msg, "exited")));
}

/* "<why>; <what was done about it>". */
static int add_outcome(struct husk_error **err, const char *outcome) {
  char *msg = xasprintf("%s; %s", (*err)->message, outcome);
  free((*err)->message);
  (*err)->message = msg;
  return -(*err)->code;
}

/* --wait-healthy failed (*err says why): with --rm the container is stopped (SIGKILL, by its
 * monitor, which removes it); without, it is left running. The message says which. */
static int not_healthy(const struct create_options *co, const struct run_options *ro, pid_t monitor,
                       struct husk_error **err) {
  _cleanup_close_ int dirfd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  if (state_load(co->root, co->id, false, &dirfd, &st, NULL) < 0)
    return add_outcome(err, "it exited and was removed (--rm)");
  flock(dirfd, LOCK_UN);
  if (!ro->rm) {
    if (state_status(dirfd, st) == STATUS_STOPPED)
      return add_outcome(err, "it is stopped");
    _cleanup_free_ char *note = xasprintf("it is left running (husk stop %s)", co->id);
    return add_outcome(err, note);
  }
  monitor_ask(dirfd, monitor, json_pack("{s:s, s:i}", "op", "stop", "timeout", 0),
              10 * NSEC_PER_SEC, NULL, NULL);
  while (waitpid(monitor, NULL, 0) < 0 && errno == EINTR)
    ;
  /* The monitor removes it as it exits; if it could not, this does. */
  container_delete(co->root, co->id, true, NULL);
  return add_outcome(err, "it was stopped and removed (--rm)");
}

int monitor_detach(const struct create_options *co, const struct run_options *ro,
                   struct husk_error **err) {
  struct monitor m;
  monitor_init(&m, co, ro);
  int r = resolve_config(&m, err);
  if (r >= 0 && m.ports.n > 0)
    r = ports_bind(&m.ports, &m.port_fds, err);
  if (r >= 0)
    make_pasta_args(&m);
  if (r < 0) {
    monitor_free(&m);
    return r;
  }
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
    r = husk_error_sys(err, "socketpair");
    monitor_free(&m);
    return r;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(sp[0]);
    close(sp[1]);
    monitor_free(&m);
    return husk_error_errno(err, e, "fork the monitor");
  }
  if (pid == 0) {
    close(sp[0]);
    monitor_main(&m, sp[1]);
  }
  TRACE(pid, "the monitor: the container's init will be its child", "fork()");
  monitor_free(&m);
  close(sp[1]);
  _cleanup_close_ int fd = sp[0];
  _cleanup_json_ json_t *msg = NULL;
  r = read_report(fd, 0, &msg, err);
  const char *error = r < 0 ? NULL : json_string_value(json_object_get(msg, "error"));
  if (r < 0 || error) {
    waitpid(pid, NULL, 0);
    if (error)
      return husk_error_set(err, (int)json_integer_value(json_object_get(msg, "code")), "%s",
                            error);
    return r;
  }
  if (!ro->wait_healthy)
    return 0;
  r = wait_healthy(fd, co, ro, err);
  return r < 0 ? not_healthy(co, ro, pid, err) : 0;
}

int monitor_foreground(const struct create_options *co, const struct run_options *ro,
                       const sigset_t *forward, struct husk_error **err) {
  struct monitor m;
  monitor_init(&m, co, ro);
  m.foreground = true;
  m.forward = *forward;
  sigset_t sigs = *forward, old, pipe_sig;
  sigaddset(&sigs, SIGCHLD);
  sigprocmask(SIG_SETMASK, NULL, &old);
  /* A published port's client that went away makes splice raise SIGPIPE: blocked, as in the
   * detached monitor, so it is an EPIPE (put back with the old mask at the end). */
  sigemptyset(&pipe_sig);
  sigaddset(&pipe_sig, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_sig, NULL);
  int r = resolve_config(&m, err);
  if (r >= 0 && m.ports.n > 0)
    r = ports_bind(&m.ports, &m.port_fds, err);
  if (r >= 0)
    make_pasta_args(&m);
  if (r >= 0)
    r = setup_loop(&m, &sigs, err);
  if (r >= 0)
    r = monitor_start_container(&m, false, err);
  if (r >= 0) {
    loop(&m);
    r = m.exit_status;
  }
  monitor_free(&m);
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return r;
}
