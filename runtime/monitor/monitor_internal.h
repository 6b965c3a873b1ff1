/* monitor_internal.h: the monitor's state, shared by monitor.c (the process, its loop, the
 * container's output, exit and stop), monitor_health.c (probes, health.json, monitor.sock) and
 * monitor_restart.c (restarts and their back-off, the requests of stop, kill, restart).
 * Not for other modules: they use monitor.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "container/container.h"
#include "health.h"
#include "monitor.h"
#include "run_options.h"

struct cgroup;

/* What an epoll event is for (epoll_event.data.u64: kind, and an index for clients). */
enum monitor_source {
  SRC_INIT,    /* the init's pidfd: it exited */
  SRC_SIGNAL,  /* signalfd: SIGCHLD, and signals to forward or to stop on */
  SRC_TIMER,   /* timerfd: next probe, probe timeout, SIGKILL after the stop timeout */
  SRC_LOG_OUT, /* the container's stdout pipe (detached) */
  SRC_LOG_ERR, /* its stderr pipe */
  SRC_PROBE,   /* the running probe's output */
  SRC_LISTEN,  /* monitor.sock */
  SRC_CLIENT,  /* a client of monitor.sock: its request, or it went away */
  SRC_PORT,    /* the published ports' sockets (ports.h reads the index) */
};

/* What a client of monitor.sock asked for. */
enum client_kind {
  CLIENT_NEW,     /* nothing yet */
  CLIENT_PROBE,   /* `husk health run`: answered with the next probe's result */
  CLIENT_RESTART, /* `husk restart`: answered once the container runs again */
};

#define MONITOR_MAX_CLIENTS 8

struct probe {
  pid_t worker; /* runs the exec and waits for the probe; 0: no probe running */
  int ctl_fd;   /* the worker sends the probe's pid here */
  pid_t pid;    /* the probe, once the worker sent it; 0 before */
  int out_fd;   /* its stdout and stderr; -1 once at EOF */
  int64_t start_ns, deadline_ns;
  char *out; /* the first HEALTH_OUTPUT_MAX + 1 bytes of it */
  size_t out_len;
  bool abandoned; /* killed (timeout, stop): its result is recorded or void; only reap it */
};

struct monitor {
  struct create_options co; /* kept for a restart in place */
  const struct run_options *ro;
  bool foreground;
  int dirfd;    /* <root>/<id>, open and unlocked but while writing */
  bool deleted; /* someone deleted the container: nothing more to write */
  pid_t pid;    /* the init; 0 once reaped */
  int pidfd;
  int epfd, sigfd, timerfd;
  int64_t timer_at; /* what timerfd is armed for, HEALTH_NEVER: disarmed */
  sigset_t forward; /* foreground: passed on to the init */
  /* detached: the container's output, captured to ctr.log */
  int null_fd;
  int out_r, err_r, out_w, err_w;
  struct line_splitter split[2];
  int log_fd;
  off_t log_size;
  int events_fd;
  int report_fd; /* `run -d` waiting for the start (and health); -1 once gone */
  /* the health check */
  struct health_config cfg;
  struct health health;
  struct probe probe;
  struct cgroup *cg; /* to see a paused container; NULL without a cgroup */
  /* published ports: bound before the container is made, forwarded from the loop */
  struct port_list ports;
  int *port_fds; /* until the forwarder takes them */
  struct port_forwarder *fwd;
  char **pasta_args; /* --network pasta: the ports as pasta's -t/-u options instead */
  int listen_fd;
  int clients[MONITOR_MAX_CLIENTS];
  enum client_kind client_kind[MONITOR_MAX_CLIENTS];
  /* stopping */
  int stop_signal;
  int64_t stop_timeout_ns;
  int64_t kill_at; /* SIGKILL due; HEALTH_NEVER: none */
  bool stopping, restart_after;
  int restarts;
  /* restarts (monitor_restart.c) */
  struct restart_policy policy;
  int64_t restart_at; /* the back-off ends: start it again; HEALTH_NEVER: none pending */
  int64_t backoff_ns; /* the last delay (restart.h); 0: none yet */
  int64_t started_ns; /* when it last started: a run of 10 s resets the back-off */
  bool manual_stop;   /* stopped by hand: no policy starts it again (Docker's rule) */
  bool restart_now;   /* `husk restart`: start it again as soon as it exited */
  bool done;
  int exit_status;
  /* detached: the code pages let go of while asleep (monitor.c, find_code_ranges) */
  struct code_range {
    uintptr_t start;
    size_t len;
  } code[16];
  size_t n_code;
  int64_t code_dropped_at;
};

int64_t monitor_now(void); /* CLOCK_REALTIME in ns, as health.h counts */

/* Take and release the state directory's lock for a write; false when the container is gone. */
bool monitor_lock(struct monitor *m);
void monitor_unlock(struct monitor *m);

void monitor_event(struct monitor *m, const char *type, json_t *data);
int monitor_watch(struct monitor *m, int fd, enum monitor_source src, uint32_t index);
void monitor_unwatch(struct monitor *m, int *fd);
/* Tell a waiting `run -d` something: {"ok": true}, {"error": ...}, {"health": ...}. */
void monitor_report(struct monitor *m, json_t *msg);
/* Stop the container: its stop signal, SIGKILL after timeout_ns (0: at once; -1: its stop
 * timeout); with restart it is started again, after the back-off, once it exited. */
void monitor_stop(struct monitor *m, int64_t timeout_ns, bool restart);
/* Create and start the container again in its state directory and watch it. */
int monitor_start_container(struct monitor *m, bool restart, struct husk_error **err);
/* Nothing more to do: tell a waiting `run -d`, end the loop. */
void monitor_finish(struct monitor *m);
/* Answer one client of monitor.sock and close it. */
void monitor_answer(struct monitor *m, size_t client, json_t *answer);

/* monitor_restart.c */
/* The container exited with status: true when it starts again (now, or after the back-off:
 * then restart_at is set), false when the monitor is done. */
bool monitor_restart_due(struct monitor *m, int status);
void monitor_restart_timer(struct monitor *m, int64_t now);
/* No further restart (a stop by hand); one waiting out its back-off stays stopped, and the
 * monitor is done. */
void monitor_cancel_restarts(struct monitor *m);
/* A request on monitor.sock other than "probe": {"op": "stop"|"kill"|"restart", ...}. */
void monitor_control(struct monitor *m, size_t client, const json_t *req);
/* run.json: what `husk start` needs to run it again. */
void monitor_save_run_options(struct monitor *m);

/* monitor_health.c */
/* The health config from the annotations and run's flags (--wait-healthy needs one). */
int monitor_health_setup(struct monitor *m, const json_t *annotations, struct husk_error **err);
/* monitor.sock, when there is a health check. */
int monitor_health_listen(struct monitor *m, struct husk_error **err);
void monitor_health_started(struct monitor *m); /* the (re)started container's first schedule */
void monitor_health_timer(struct monitor *m, int64_t now);
int64_t monitor_health_deadline(const struct monitor *m);
void monitor_probe_output(struct monitor *m);
void monitor_probe_reaped(struct monitor *m, int wstatus);
void monitor_probe_abandon(struct monitor *m);
void monitor_accept(struct monitor *m);
void monitor_client_ready(struct monitor *m, uint32_t index); /* its request, or EOF */
void monitor_health_cleanup(struct monitor *m);
