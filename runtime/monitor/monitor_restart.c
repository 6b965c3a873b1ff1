/* monitor_restart.c: the monitor starting its container again, in place (container_reset, then
 * create with the same state directory): after an exit its --restart policy (or a failed
 * health check with --health-on-failure restart) wants restarted, once Docker's back-off has
 * passed on the monitor's timer (restart.h); at once for `husk restart`; never after a stop by
 * hand. Also the requests on monitor.sock that stop, kill and restart it, and run.json, with
 * which `husk start` gives a stopped `run -d` container a new monitor. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "container/state.h"
#include "duration.h"
#include "monitor_internal.h"

/* state.json's "restarting": the container is stopped, and the monitor waits to start it. */
static void save_restarting(struct monitor *m, bool restarting) {
  if (!monitor_lock(m))
    return;
  _cleanup_state_ struct container_state *st = NULL;
  if (state_read(m->dirfd, &st, NULL) == 0) {
    st->restarting = restarting;
    st->restart_count = m->restarts;
    state_write(m->dirfd, st, NULL);
  }
  monitor_unlock(m);
}

/* Start it again now; on failure the monitor is done with it. */
static bool restart_container(struct monitor *m) {
  _cleanup_error_ struct husk_error *err = NULL;
  m->co.reuse_state_dir = true;
  m->co.pid_file = NULL;
  int r = -ENOENT;
  if (monitor_lock(m)) { /* not deleted meanwhile */
    monitor_unlock(m);
    r = monitor_start_container(m, true, &err);
  }
  json_t *answer =
      r >= 0 ? json_pack("{s:b, s:i}", "ok", true, "pid", (int)m->pid)
             : json_pack("{s:s, s:i}", "error", err ? err->message : "deleted", "code", -r);
  for (size_t i = 0; i < MONITOR_MAX_CLIENTS; i++)
    if (m->clients[i] >= 0 && m->client_kind[i] == CLIENT_RESTART)
      monitor_answer(m, i, json_incref(answer));
  json_decref(answer);
  if (r < 0 && !m->deleted) {
    monitor_event(m, "restart_failed", json_pack("{s:s}", "error", err ? err->message : "?"));
    save_restarting(m, false);
  }
  return r >= 0;
}

bool monitor_restart_due(struct monitor *m, int status) {
  if (m->restart_now) {
    m->restart_now = false;
    return restart_container(m);
  }
  bool health = m->restart_after;
  m->restart_after = false;
  if (m->manual_stop)
    return false;
  /* The delay grows even when no restart follows, as in Docker's restartmanager. */
  int64_t now = monitor_now();
  int64_t delay = restart_backoff_next(&m->backoff_ns, now - m->started_ns);
  if (!health && !restart_policy_wants(&m->policy, status, m->restarts, false))
    return false;
  m->restarts++;
  m->restart_at = now + delay;
  save_restarting(m, true);
  _cleanup_free_ char *text = duration_format(delay);
  monitor_event(m, "restart",
                json_pack("{s:i, s:s, s:I, s:i, s:s}", "restartCount", m->restarts, "delay", text,
                          "delayMs", (json_int_t)(delay / NSEC_PER_MSEC), "exitCode", status,
                          "reason", health ? "unhealthy" : "policy"));
  return true;
}

void monitor_restart_timer(struct monitor *m, int64_t now) {
  if (m->restart_at == HEALTH_NEVER || now < m->restart_at)
    return;
  m->restart_at = HEALTH_NEVER;
  if (!restart_container(m))
    monitor_finish(m);
}

void monitor_cancel_restarts(struct monitor *m) {
  m->manual_stop = true;
  m->restart_now = false;
  m->restart_after = false;
  if (m->pid <= 0 && m->restart_at != HEALTH_NEVER) {
    m->restart_at = HEALTH_NEVER;
    save_restarting(m, false);
    monitor_finish(m);
  }
}

static int64_t timeout_of(const json_t *req) {
  json_t *t = json_object_get(req, "timeout");
  return json_is_integer(t) && json_integer_value(t) >= 0
             ? (int64_t)json_integer_value(t) * NSEC_PER_SEC
             : -1;
}

/* `husk kill`: Docker's rule, the stop signal or SIGKILL means it stays stopped. During the
 * back-off there is nothing to signal: those two end the wait, other signals are refused. */
static json_t *control_kill(struct monitor *m, const json_t *req) {
  int sig = (int)json_integer_value(json_object_get(req, "signal"));
  bool all = json_is_true(json_object_get(req, "all"));
  bool ends = sig == SIGKILL || sig == m->stop_signal;
  if (m->pid <= 0) {
    if (!ends || m->restart_at == HEALTH_NEVER)
      return json_pack("{s:s, s:i}", "error", "container not running", "code", ESRCH);
    monitor_cancel_restarts(m);
    return json_pack("{s:b}", "ok", true);
  }
  if (ends)
    monitor_cancel_restarts(m);
  _cleanup_error_ struct husk_error *err = NULL;
  int r;
  if (all) {
    r = container_kill(m->co.root, m->co.id, sig, true, &err);
  } else {
    r = (int)syscall(SYS_pidfd_send_signal, m->pidfd, sig, NULL, 0);
    if (r < 0)
      r = husk_error_sys(&err, "signal container %s", m->co.id);
  }
  return r < 0 ? json_pack("{s:s, s:i}", "error", err->message, "code", -r)
               : json_pack("{s:b}", "ok", true);
}

void monitor_control(struct monitor *m, size_t client, const json_t *req) {
  const char *op = json_string_value(json_object_get(req, "op"));
  op = op ? op : "";
  if (strcmp(op, "stop") == 0) { /* `husk stop`, `husk delete`: it stays stopped */
    monitor_cancel_restarts(m);
    monitor_stop(m, timeout_of(req), false);
    monitor_answer(m, client, json_pack("{s:b}", "ok", true));
  } else if (strcmp(op, "kill") == 0) {
    monitor_answer(m, client, control_kill(m, req));
  } else if (strcmp(op, "restart") == 0) {
    /* `husk restart` (and `start` during the back-off): as `docker restart`, the count and the
     * back-off start over; the answer comes once it runs again. */
    m->manual_stop = false;
    m->restarts = 0;
    m->backoff_ns = 0;
    m->client_kind[client] = CLIENT_RESTART;
    monitor_event(m, "restart", json_pack("{s:i, s:s}", "restartCount", 0, "reason", "manual"));
    if (m->pid > 0) {
      m->restart_now = true;
      monitor_stop(m, timeout_of(req), false);
    } else {
      m->restart_at = HEALTH_NEVER;
      if (!restart_container(m))
        monitor_finish(m);
    }
  } else {
    monitor_answer(m, client, json_pack("{s:s}", "error", "unknown request"));
  }
}

/* ---- run.json ---- */

void monitor_save_run_options(struct monitor *m) {
  const struct create_options *co = &m->co;
  json_t *create = json_pack("{s:b, s:b, s:b, s:b}", "noPivot", co->no_pivot, "noNewKeyring",
                             co->no_new_keyring, "noCgroup", co->no_cgroup, "systemdCgroup",
                             co->systemd_cgroup);
  if (co->bundle) /* none for an image: its config is configDoc */
    json_object_set_new(create, "bundle", json_string(co->bundle));
  if (co->config_patch)
    json_object_set(create, "configPatch", (json_t *)co->config_patch);
  if (co->config_doc)
    json_object_set(create, "configDoc", (json_t *)co->config_doc);
  if (co->storage)
    json_object_set_new(create, "storage", json_string(co->storage));
  if (co->user_name)
    json_object_set_new(create, "userName", json_string(co->user_name));
  if (co->env) { /* -e, --env-file: values, hence 0600 */
    json_t *env = json_array();
    for (size_t i = 0; co->env[i]; i++)
      json_array_append_new(env, json_string(co->env[i]));
    json_object_set_new(create, "env", env);
  }
  _cleanup_json_ json_t *j =
      json_pack("{s:o, s:o}", "create", create, "run", run_options_to_json(m->ro));
  if (!monitor_lock(m))
    return;
  /* 0600 like every file here: the patch holds the process's environment. */
  json_write_atomic_at(m->dirfd, MONITOR_RUN_FILE, j, HUSK_FILE_MAX, 0600, NULL);
  monitor_unlock(m);
}

int monitor_start_again(const char *root, const char *id, struct husk_error **err) {
  _cleanup_close_ int fd = -1;
  int r = state_dir_open(root, id, false, &fd, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *j = NULL;
  r = json_load_file_at(fd, MONITOR_RUN_FILE, HUSK_FILE_MAX, &j, err);
  closep(&fd);
  if (r < 0)
    return husk_error_wrap(err, "start %s", id);
  json_t *create = json_object_get(j, "create");
  const char *bundle = json_string_value(json_object_get(create, "bundle"));
  if (!bundle && !json_is_object(json_object_get(create, "configDoc")))
    return husk_error_set(err, EINVAL, "start %s: %s has neither a bundle nor an image's config",
                          id, MONITOR_RUN_FILE);
  struct create_options co = {
      .root = root,
      .id = id,
      .bundle = bundle,
      .no_pivot = json_is_true(json_object_get(create, "noPivot")),
      .no_new_keyring = json_is_true(json_object_get(create, "noNewKeyring")),
      .no_cgroup = json_is_true(json_object_get(create, "noCgroup")),
      .systemd_cgroup = json_is_true(json_object_get(create, "systemdCgroup")),
      .terminal_fd = -1,
      .config_patch = json_object_get(create, "configPatch"),
      .config_doc = json_object_get(create, "configDoc"),
      .storage = json_string_value(json_object_get(create, "storage")),
      .user_name = json_string_value(json_object_get(create, "userName")),
      .reuse_state_dir = true,
  };
  _cleanup_run_options_ struct run_options ro;
  run_options_init(&ro);
  r = run_options_from_json(json_object_get(j, "run"), &ro, err);
  if (r < 0)
    return husk_error_wrap(err, "start %s: %s", id, MONITOR_RUN_FILE);
  co.network = ro.network;
  co.service = &ro.service;
  if (run_flags_edits(&ro.flags)) { /* -v, --mount, --cap-add, ... as run had them */
    co.config_edit = run_flags_edit;
    co.config_edit_arg = &ro.flags;
  }
  json_t *env = json_object_get(create, "env");
  _cleanup_free_ const char **env_v = NULL;
  if (json_is_array(env)) {
    env_v = xcalloc(json_array_size(env) + 1, sizeof(*env_v));
    for (size_t i = 0; i < json_array_size(env); i++)
      if (!(env_v[i] = json_string_value(json_array_get(env, i))))
        return husk_error_set(err, EINVAL, "start %s: %s: env[%zu]", id, MONITOR_RUN_FILE, i);
    co.env = (char *const *)env_v;
  }
  return monitor_detach(&co, &ro, err);
}
