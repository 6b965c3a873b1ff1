/* monitor.h: the monitor of a container `husk run` started (DESIGN.md §4): one process per
 * container, the init's parent and a child subreaper, that reaps it and records its exit,
 * captures its output to a bounded log, drives its health check and acts on failure, asleep
 * in one epoll loop between events. `run -d` forks it off; `run` in the foreground is its own
 * monitor. Also the files it keeps in the state directory, which other commands read. */
#pragma once

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "health.h"

struct husk_error;
struct create_options;
struct run_options;

/* In the state directory <root>/<id>/, besides state.json. */
#define MONITOR_LOG_FILE "ctr.log"         /* the container's stdout and stderr, JSON lines */
#define MONITOR_LOG_OLD_FILE "ctr.log.1"   /* the previous one, after a rotation */
#define MONITOR_EVENTS_FILE "events.jsonl" /* start, health_status, exit, restart: JSON lines */
#define MONITOR_HEALTH_FILE "health.json"  /* the health check, its config and its status */
#define MONITOR_SOCKET "monitor.sock"      /* health run, stop, kill, restart ask here */
#define MONITOR_RUN_FILE "run.json"        /* run's options, for `husk start` (0600) */
#define MONITOR_PORTS_FILE "ports.json"    /* the published ports, as bound (`husk port`) */
#define MONITOR_LOG_ROTATE_SIZE (1 << 20)  /* ctr.log is rotated beyond this: 2 MiB at most */

/* `run -d`: fork the monitor, which creates and starts the container and watches it; return
 * once the container runs (with --wait-healthy: once it is healthy), or with the error. */
int monitor_detach(const struct create_options *co, const struct run_options *ro,
                   struct husk_error **err);

/* `husk start` of a stopped `run -d` container (as `docker start`): a new monitor, with the
 * options run.json kept, starts it again in its state directory. */
int monitor_start_again(const char *root, const char *id, struct husk_error **err);

/* `run` in the foreground: create, start and watch the container in this process, with the
 * container on husk's own stdio and the signals in forward passed on to its init. Returns
 * its exit status (128+N when signal N killed it); the caller deletes it. */
int monitor_foreground(const struct create_options *co, const struct run_options *ro,
                       const sigset_t *forward, struct husk_error **err);

/* ---- the container log: Docker's json-file lines {"log","stream","time"} ---- */

enum log_stream { LOG_STDOUT, LOG_STDERR };

/* One line of ctr.log, newline included, for len bytes of output (any bytes: invalid UTF-8
 * becomes U+FFFD) written at ts. */
char *ctrlog_encode(enum log_stream stream, const char *data, size_t len,
                    const struct timespec *ts);

struct ctrlog_entry {
  enum log_stream stream;
  char *text; /* as written (valid UTF-8), may end without a newline when the line was split */
  size_t len;
  char *time; /* RFC 3339 */
};
int ctrlog_decode(const char *line, struct ctrlog_entry *ret, struct husk_error **err);
void ctrlog_entry_free(struct ctrlog_entry *e);

/* Output split into log lines: whole lines, or LOG_LINE_MAX bytes when a line is longer (as
 * Docker splits at 16 KiB). Feed it what a pipe gave; it calls emit for each piece. */
#define LOG_LINE_MAX 16384
struct line_splitter {
  char *buf; /* LOG_LINE_MAX bytes, allocated on first use */
  size_t len;
};
typedef void (*line_emit_fn)(void *ctx, const char *line, size_t len);
void line_splitter_feed(struct line_splitter *s, const char *data, size_t len, line_emit_fn emit,
                        void *ctx);
/* What is left without a newline, at the end. */
void line_splitter_flush(struct line_splitter *s, line_emit_fn emit, void *ctx);
void line_splitter_free(struct line_splitter *s);

/* ---- events.jsonl ---- */

/* One event line: {"type": type, "id": id, "data": {..., "time": now}}; data is stolen. */
char *monitor_event_line(const char *type, const char *id, json_t *data);

/* ---- health.json ---- */

/* What health.json holds; `state`, `list` and `health` read it. */
struct monitor_health {
  struct health_config config;
  struct health health;
};
void monitor_health_free(struct monitor_health *mh);
json_t *monitor_health_to_json(const struct health_config *cfg, const struct health *h);
/* ENOENT (no error set) when the container has no health check. */
int monitor_health_read(int dirfd, struct monitor_health *ret, struct husk_error **err);
/* The health object `husk state` shows: Docker's with lowercase keys (status, failingStreak,
 * log: start, end, exitCode, output). */
json_t *monitor_health_state_json(const struct health *h);

/* ---- state, list ---- */

struct container_state;
/* What the monitor knows, added to a container's OCI state object j: "health" ({status,
 * failingStreak, log}) beside the OCI fields when it has a health check, and in husk's
 * extension object the exit (exitCode, finishedAt), the monitor's pid, the restart count, the
 * last start (startedAt), the policy, whether it waits to restart it (restarting) and the
 * published ports. */
void monitor_state_add(int dirfd, const struct container_state *st, json_t *j, json_t *husk);

/* ---- ports.json ---- */

/* The published ports as bound (ports.h); ENOENT (no error set) when there are none. */
struct port_list;
int monitor_ports_read(int dirfd, struct port_list *ret, struct husk_error **err);

/* ---- asking the monitor ---- */

/* monitor.sock's address, through the state directory's fd (a path may be too long). */
struct sockaddr_un;
void monitor_socket_address(int dirfd, struct sockaddr_un *sa);

/* One request to the monitor, a JSON object ({"op": "stop", "timeout": S}, {"op": "kill",
 * "signal": N, "all": B}, {"op": "restart", "timeout": S}), waiting at most wait_ns for the
 * answer (ret may be NULL). An {"error": ...} answer is the error. A stopped monitor fails at
 * once (EAGAIN); one without a socket (ENOENT, ECONNREFUSED) is for the caller to do without. */
int monitor_ask(int dirfd, pid_t monitor_pid, json_t *request, int64_t wait_ns, json_t **ret,
                struct husk_error **err);

/* `husk health run`: the monitor runs one probe now (or lets the running one finish) and
 * answers with its exit code and the status after it. The wait is bounded by the probe's
 * timeout_ns and 10 s more; a stopped monitor fails at once (EAGAIN), a busy one with EBUSY. */
int monitor_probe_now(int dirfd, pid_t monitor_pid, int64_t timeout_ns, int *ret_exit_code,
                      enum health_status *ret_status, struct husk_error **err);
