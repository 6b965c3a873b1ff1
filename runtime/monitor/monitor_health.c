/* monitor_health.c: the monitor's health check. Each probe is an exec into the container
 * (exec.h: its namespaces and cgroup, the process's user, env, cwd, capabilities and seccomp)
 * made by a short-lived worker; the monitor collects the probe's output, kills its process
 * group at the timeout, feeds the results to health.c's state machine, keeps health.json,
 * writes health_status events, acts on --health-on-failure, and keeps monitor.sock: `husk
 * health run` asks it for a probe, stop, kill and restart for the rest (monitor_restart.c). */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "container/exec.h"
#include "monitor_internal.h"

/* ---- health.json and the clients ---- */

static void save_health(struct monitor *m) {
  if (!health_config_enabled(&m->cfg) || !monitor_lock(m))
    return;
  _cleanup_json_ json_t *j = monitor_health_to_json(&m->cfg, &m->health);
  _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
  write_file_atomic_at(m->dirfd, MONITOR_HEALTH_FILE, text, strlen(text), 0600, NULL);
  monitor_unlock(m);
}

static void client_close(struct monitor *m, size_t i) {
  monitor_unwatch(m, &m->clients[i]);
  m->client_kind[i] = CLIENT_NEW;
}

void monitor_answer(struct monitor *m, size_t client, json_t *answer) {
  _cleanup_json_ json_t *owned = answer;
  _cleanup_free_ char *text = json_dumps(answer, JSON_COMPACT);
  if (m->clients[client] >= 0)
    send(m->clients[client], text, strlen(text), MSG_NOSIGNAL);
  client_close(m, client);
}

/* Everyone waiting for a probe's result. */
static void answer_clients(struct monitor *m, json_t *answer) {
  _cleanup_json_ json_t *owned = answer;
  for (size_t i = 0; i < MONITOR_MAX_CLIENTS; i++)
    if (m->clients[i] >= 0 && m->client_kind[i] == CLIENT_PROBE)
      monitor_answer(m, i, json_incref(answer));
}

static void answer_error(struct monitor *m, const char *message) {
  answer_clients(m, json_pack("{s:s}", "error", message));
}

/* ---- results ---- */

/* `pause` freezes the cgroup: then no probe runs, and a result that comes in is dropped. */
static bool paused(struct monitor *m) { return m->cg && cgroup_is_frozen(m->cg); }

static void on_unhealthy(struct monitor *m) {
  switch (m->cfg.on_failure) {
  /* kill and stop mean it stays stopped, whatever --restart says */
  case HEALTH_ON_FAILURE_KILL: m->manual_stop = true, monitor_stop(m, 0, false); break;
  case HEALTH_ON_FAILURE_STOP: m->manual_stop = true, monitor_stop(m, -1, false); break;
  case HEALTH_ON_FAILURE_RESTART: monitor_stop(m, -1, true); break;
  case HEALTH_ON_FAILURE_NONE:
  default: break;
  }
}

static void result(struct monitor *m, int64_t start, int64_t end, int code, const char *out,
                   size_t len, bool timed_out) {
  bool frozen = paused(m);
  if (frozen)
    health_pause(&m->health);
  enum health_event ev = timed_out
                             ? health_record_timeout(&m->health, &m->cfg, start, end, out, len)
                             : health_record(&m->health, &m->cfg, start, end, code, out, len);
  if (frozen) /* the next probe an interval from now, when it may be thawed */
    health_resume(&m->health, &m->cfg, end);
  save_health(m);
  const char *status = health_status_name(m->health.status);
  answer_clients(m, json_pack("{s:i, s:s}", "exitCode", timed_out ? -1 : code, "status", status));
  if (ev == HEALTH_EVENT_NONE)
    return;
  monitor_event(
      m, "health_status",
      json_pack("{s:s, s:i}", "status", status, "failingStreak", m->health.failing_streak));
  monitor_report(m, json_pack("{s:s}", "health", status));
  closep(&m->report_fd), m->report_fd = -1; /* --wait-healthy waits for the first one only */
  if (ev == HEALTH_EVENT_UNHEALTHY)
    on_unhealthy(m);
}

/* ---- probes ---- */

static void probe_clear(struct monitor *m) {
  monitor_unwatch(m, &m->probe.out_fd);
  closep(&m->probe.ctl_fd);
  free(m->probe.out);
  m->probe = (struct probe){.out_fd = -1, .ctl_fd = -1};
}

static pid_t probe_pid(struct monitor *m);

/* The probe and whatever it started (it leads its own process group: a container process
 * without a terminal calls setsid), and its worker. */
static void probe_kill(struct monitor *m) {
  pid_t pid = probe_pid(m);
  if (pid > 0) {
    int r = kill(-pid, SIGKILL);
    TRACE(r, "kill the probe's process group", "kill(-%d, SIGKILL)", pid);
    kill(pid, SIGKILL);
  }
  if (m->probe.worker > 0)
    kill(m->probe.worker, SIGKILL);
}

/* The probe's worker: it runs the exec (exec.h: the container's namespaces and cgroup, the
 * process's user, env, cwd, capabilities and seccomp), tells the monitor the probe's pid,
 * waits for the probe and exits with its status. So the exec's code and memory are never the
 * monitor's. It is a subreaper: the probe is handed to it when the exec's joiner exits. */
static _Noreturn void probe_worker(struct monitor *m, char **argv, int out_fd, int ctl_fd) {
  prctl(PR_SET_NAME, "husk:probe", 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  dup2(null_fd, STDIN_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  dup2(out_fd, STDERR_FILENO);
  _cleanup_free_ char *pid_file = xasprintf("%s/%s/probe.pid", m->co.root, m->co.id);
  struct exec_options o = {
      .root = m->co.root,
      .id = m->co.id,
      .args = (const char *const *)argv,
      .pid_file = pid_file,
      .detach = true,
  };
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_free_ char *text = NULL;
  int r = container_exec(&o, &err);
  if (r >= 0)
    r = read_file_at(AT_FDCWD, pid_file, 32, &text, &err);
  unlink(pid_file);
  pid_t pid = r < 0 ? 0 : (pid_t)atoi(text);
  if (pid <= 0) { /* the probe's output says why: Docker records it so */
    dprintf(STDERR_FILENO, "%s", err ? err->message : "the probe did not start");
    _exit(1);
  }
  write_all(ctl_fd, &pid, sizeof(pid));
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
    ;
  _exit(wait_status_code(wstatus));
}

/* The probe's pid, once its worker has sent it (0 until then, or when it never started). */
static pid_t probe_pid(struct monitor *m) {
  if (m->probe.pid <= 0 && m->probe.ctl_fd >= 0 &&
      read(m->probe.ctl_fd, &m->probe.pid, sizeof(m->probe.pid)) != sizeof(m->probe.pid))
    m->probe.pid = 0;
  return m->probe.pid;
}

static void probe_start(struct monitor *m, int64_t now) {
  /* Still busy with one killed before (a frozen process dies only once thawed), or paused:
   * no probe now, the next one an interval later. */
  if (m->probe.worker > 0 || paused(m)) {
    health_resume(&m->health, &m->cfg, now);
    if (m->probe.worker <= 0)
      answer_error(m, "the container is paused");
    return;
  }
  _cleanup_strv_ char **argv = health_config_argv(&m->cfg);
  int out[2] = {-1, -1}, ctl[2] = {-1, -1};
  pid_t worker = -1;
  if (pipe2(out, O_CLOEXEC) == 0 && pipe2(ctl, O_CLOEXEC) == 0)
    worker = fork();
  if (worker == 0) {
    forwarder_close_in_child(m->fwd);
    probe_worker(m, argv, out[1], ctl[1]);
  }
  int e = errno;
  closep(&out[1]);
  closep(&ctl[1]);
  if (worker < 0) {
    closep(&out[0]);
    closep(&ctl[0]);
    const char *msg = strerror(e);
    result(m, now, monitor_now(), -1, msg, strlen(msg), false);
    return;
  }
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(ctl[0], F_SETFL, O_NONBLOCK);
  m->probe = (struct probe){.worker = worker,
                            .out_fd = out[0],
                            .ctl_fd = ctl[0],
                            .start_ns = now,
                            .deadline_ns = now + m->cfg.timeout_ns};
  monitor_watch(m, out[0], SRC_PROBE, 0);
}

void monitor_probe_output(struct monitor *m) {
  char buf[4096];
  while (m->probe.out_fd >= 0) {
    ssize_t n = read(m->probe.out_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      monitor_unwatch(m, &m->probe.out_fd);
      return;
    }
    /* Enough to tell that there was more than HEALTH_OUTPUT_MAX; the rest is drained. */
    size_t room = HEALTH_OUTPUT_MAX + 1 - m->probe.out_len;
    size_t take = (size_t)n < room ? (size_t)n : room;
    if (take && !m->probe.out)
      m->probe.out = xmalloc(HEALTH_OUTPUT_MAX + 1);
    memcpy(m->probe.out + m->probe.out_len, buf, take);
    m->probe.out_len += take;
  }
}

/* The worker exited with the probe's status; without a pid from it the probe never ran, and
 * its output says why: recorded as exit -1, as Docker does. */
void monitor_probe_reaped(struct monitor *m, int wstatus) {
  monitor_probe_output(m); /* what it wrote before it exited */
  bool ran = probe_pid(m) > 0;
  struct probe p = m->probe;
  m->probe.out = NULL;
  probe_clear(m);
  if (!p.abandoned)
    result(m, p.start_ns, monitor_now(), ran ? wait_status_code(wstatus) : -1, p.out, p.out_len,
           false);
  free(p.out);
}

static void probe_timed_out(struct monitor *m, int64_t now) {
  probe_kill(m);
  monitor_probe_output(m);
  monitor_unwatch(m, &m->probe.out_fd);
  m->probe.abandoned = true; /* reaped later; recorded now, as Docker does */
  result(m, m->probe.start_ns, now, -1, m->probe.out, m->probe.out_len, true);
}

void monitor_probe_abandon(struct monitor *m) {
  if (m->probe.worker > 0 && !m->probe.abandoned) {
    probe_kill(m);
    monitor_unwatch(m, &m->probe.out_fd);
    m->probe.abandoned = true;
  }
  answer_error(m, "the container is stopping");
}

int64_t monitor_health_deadline(const struct monitor *m) {
  if (m->stopping || m->pid <= 0)
    return HEALTH_NEVER;
  if (m->probe.worker > 0 && !m->probe.abandoned)
    return m->probe.deadline_ns;
  return health_next_probe_at(&m->health);
}

void monitor_health_timer(struct monitor *m, int64_t now) {
  if (m->stopping || m->pid <= 0)
    return;
  if (m->probe.worker > 0 && !m->probe.abandoned) {
    if (now >= m->probe.deadline_ns)
      probe_timed_out(m, now);
    return;
  }
  int64_t due = health_next_probe_at(&m->health);
  if (due != HEALTH_NEVER && now >= due)
    probe_start(m, now);
}

/* ---- setting up ---- */

int monitor_health_listen(struct monitor *m, struct husk_error **err) {
  struct sockaddr_un sa;
  monitor_socket_address(m->dirfd, &sa);
  m->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (m->listen_fd < 0)
    return husk_error_sys(err, "socket");
  if (!monitor_lock(m))
    return husk_error_set(err, ENOENT, "container %s was deleted", m->co.id);
  /* Only the owner may ask for probes, whatever umask husk was started with. */
  mode_t old_mask = umask(0077);
  unlinkat(m->dirfd, MONITOR_SOCKET, 0); /* an earlier monitor's, on `husk start` */
  int r = bind(m->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
  int e = errno;
  umask(old_mask);
  monitor_unlock(m);
  if (r < 0 || listen(m->listen_fd, MONITOR_MAX_CLIENTS) < 0)
    return husk_error_errno(err, r < 0 ? e : errno, "listen on %s", MONITOR_SOCKET);
  return monitor_watch(m, m->listen_fd, SRC_LISTEN, 0);
}

int monitor_health_setup(struct monitor *m, const json_t *annotations, struct husk_error **err) {
  const char *ann = json_string_value(json_object_get(annotations, HEALTH_ANNOTATION));
  int r = health_config_resolve(ann, &m->ro->health, &m->cfg, err);
  if (r < 0)
    return r;
  if (!health_config_enabled(&m->cfg)) {
    if (m->ro->wait_healthy)
      return husk_error_set(err, EINVAL,
                            "--wait-healthy: container %s has no health check (give "
                            "--health-cmd, or the %s annotation)",
                            m->co.id, HEALTH_ANNOTATION);
  }
  return 0;
}

void monitor_health_started(struct monitor *m) {
  health_start(&m->health, &m->cfg, monitor_now());
  save_health(m);
}

/* ---- monitor.sock ---- */

void monitor_accept(struct monitor *m) {
  int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0)
    return;
  size_t i = 0;
  while (i < MONITOR_MAX_CLIENTS && m->clients[i] >= 0)
    i++;
  if (i == MONITOR_MAX_CLIENTS) {
    _cleanup_json_ json_t *j = json_pack("{s:s}", "error", "too many requests at once");
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    send(fd, text, strlen(text), MSG_NOSIGNAL);
    close(fd);
    return;
  }
  m->clients[i] = fd;
  m->client_kind[i] = CLIENT_NEW;
  monitor_watch(m, fd, SRC_CLIENT, (uint32_t)i);
}

/* "probe": run one now (or let the running one answer it). */
static void probe_request(struct monitor *m, size_t i) {
  const char *refuse = !health_config_enabled(&m->cfg) ? "the container has no health check"
                       : m->stopping || m->pid <= 0    ? "the container is stopping"
                                                       : NULL;
  if (refuse) {
    monitor_answer(m, i, json_pack("{s:s}", "error", refuse));
    return;
  }
  m->client_kind[i] = CLIENT_PROBE;
  if (m->probe.worker <= 0) /* else the running probe's result answers it */
    probe_start(m, monitor_now());
}

/* A client's request ("probe", or a JSON object for monitor_control), or it going away. */
void monitor_client_ready(struct monitor *m, uint32_t index) {
  if (index >= MONITOR_MAX_CLIENTS || m->clients[index] < 0)
    return;
  char buf[512];
  ssize_t n = recv(m->clients[index], buf, sizeof(buf) - 1, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0 || m->client_kind[index] != CLIENT_NEW) {
    client_close(m, index);
    return;
  }
  buf[n] = '\0';
  if (strcmp(buf, "probe") == 0) {
    probe_request(m, index);
    return;
  }
  _cleanup_json_ json_t *req = json_loads(buf, 0, NULL);
  if (!json_is_object(req)) {
    monitor_answer(m, index, json_pack("{s:s}", "error", "unknown request"));
    return;
  }
  monitor_control(m, index, req);
}

void monitor_health_cleanup(struct monitor *m) {
  if (m->probe.worker > 0 && !m->probe.abandoned)
    probe_kill(m);
  answer_error(m, "the container is gone");
  for (size_t i = 0; i < MONITOR_MAX_CLIENTS; i++)
    if (m->clients[i] >= 0)
      monitor_answer(m, i, json_pack("{s:s}", "error", "the container is gone"));
  probe_clear(m);
  monitor_unwatch(m, &m->listen_fd);
  health_config_free(&m->cfg);
  health_free(&m->health);
}
