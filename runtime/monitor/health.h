/* health.h: HEALTHCHECK with Docker's semantics (moby daemon/health.go), as pure logic: the
 * configuration (run flags over the io.husk.healthcheck annotation), the state machine that
 * the monitor drives with a clock and probe results, and Docker's "Health" JSON. No I/O.
 *
 * All times are nanoseconds on CLOCK_REALTIME (they end up in the log as RFC 3339), so the
 * monitor arms its timerfd on CLOCK_REALTIME with TFD_TIMER_ABSTIME at health_next_probe_at(). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/annotations.h"

struct husk_error;


#define HEALTH_DEFAULT_INTERVAL_NS (INT64_C(30) * 1000000000)
#define HEALTH_DEFAULT_TIMEOUT_NS (INT64_C(30) * 1000000000)
#define HEALTH_DEFAULT_START_PERIOD_NS INT64_C(0)
#define HEALTH_DEFAULT_START_INTERVAL_NS (INT64_C(5) * 1000000000)
#define HEALTH_DEFAULT_RETRIES 3
#define HEALTH_MIN_DURATION_NS INT64_C(1000000) /* 1ms: Docker's MinimumDuration */
#define HEALTH_OUTPUT_MAX 4096 /* bytes of probe output kept; more is cut and "..." added */
#define HEALTH_LOG_MAX 5       /* results kept, oldest dropped first */
#define HEALTH_NEVER INT64_MAX /* health_next_probe_at when nothing is to be probed */

/* ---- configuration ---- */

enum health_test_kind {
  HEALTH_TEST_NONE,      /* no health check (["NONE"], no Test, or --no-healthcheck) */
  HEALTH_TEST_CMD,       /* ["CMD", argv...]: exec'd directly */
  HEALTH_TEST_CMD_SHELL, /* ["CMD-SHELL", "cmd"]: run as /bin/sh -c cmd */
};

enum health_on_failure {
  HEALTH_ON_FAILURE_NONE,
  HEALTH_ON_FAILURE_KILL,
  HEALTH_ON_FAILURE_RESTART,
  HEALTH_ON_FAILURE_STOP,
};

/* Effective settings: defaults are already filled in, so every field is usable as is. */
struct health_config {
  enum health_test_kind kind;
  char **test; /* NULL-terminated, the Test array without its first word; NULL for NONE */
  int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
  int retries; /* >= 1 */
  enum health_on_failure on_failure;
};

/* The run flags as given. As in Docker's merge of a container's and an image's Healthcheck,
 * a zero or unset field leaves the annotation's value (and then the default) in place. */
struct health_overrides {
  char *cmd; /* --health-cmd, NULL when not given; becomes ["CMD-SHELL", cmd] */
  int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns; /* 0: not given */
  int retries;                                                         /* 0: not given */
  bool disable;                                                        /* --no-healthcheck */
  bool on_failure_set;
  enum health_on_failure on_failure;
};

void health_config_init(struct health_config *cfg); /* NONE with the defaults */
void health_config_free(struct health_config *cfg); /* frees the contents, not cfg */
bool health_config_enabled(const struct health_config *cfg);

/* The annotation's JSON (image-config Healthcheck: Test, Interval, Timeout, StartPeriod,
 * StartInterval, Retries; durations in ns; other fields ignored) with defaults filled in.
 * Errors name the path, e.g. annotations["io.husk.healthcheck"].Interval: ... */
int health_config_from_annotation(const char *json, struct health_config *ret,
                                  struct husk_error **err);

/* Record one run flag: name with or without the leading "--" ("health-interval",
 * "--health-retries", "no-healthcheck" with value NULL, ...). Errors name the flag. */
int health_overrides_set(struct health_overrides *o, const char *flag, const char *value,
                         struct husk_error **err);
void health_overrides_free(struct health_overrides *o);

/* The effective config: the annotation (json may be NULL) with the flags (o may be NULL)
 * laid over it field by field. --no-healthcheck with any other --health-* flag is an error. */
int health_config_resolve(const char *annotation, const struct health_overrides *o,
                          struct health_config *ret, struct husk_error **err);

/* The Healthcheck object of cfg, durations in ns (what health_config_from_annotation reads
 * back to the same config; on_failure is not part of it). */
json_t *health_config_to_json(const struct health_config *cfg);

/* The probe's argv (NULL-terminated, malloc'd, free with strv_free); NULL for NONE. */
char **health_config_argv(const struct health_config *cfg);

const char *health_on_failure_name(enum health_on_failure action);
int health_on_failure_parse(const char *text, enum health_on_failure *ret, struct husk_error **err);

/* Bytes as a NUL-terminated string of valid UTF-8: each invalid byte, and NUL, becomes U+FFFD
 * (as Go's encoding/json does). Also what the monitor's container log lines go through. */
char *utf8_sanitize(const char *in, size_t n, size_t *ret_len);

/* ---- state machine ---- */

enum health_status { HEALTH_NONE, HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };
const char *health_status_name(enum health_status status); /* "none", "starting", ... */

struct health_result {
  int64_t start_ns, end_ns;
  int exit_code; /* 0 healthy; -1 timeout or a probe that could not run */
  char *output;  /* valid UTF-8 (may hold NULs), at most HEALTH_OUTPUT_MAX bytes + "..." */
  size_t output_len;
};

struct health {
  enum health_status status;
  int failing_streak;
  struct health_result log[HEALTH_LOG_MAX]; /* oldest first */
  size_t log_len;
  int64_t started_at_ns; /* the container's start: the start period counts from here */
  int64_t next_probe_ns; /* HEALTH_NEVER when nothing is scheduled */
  bool paused;
};

enum health_event {
  HEALTH_EVENT_NONE,      /* the status did not change */
  HEALTH_EVENT_HEALTHY,   /* it became healthy */
  HEALTH_EVENT_UNHEALTHY, /* it became unhealthy: apply cfg->on_failure now */
};

void health_init(struct health *h); /* status none, empty log, nothing scheduled */
void health_free(struct health *h); /* frees the log's outputs, not h */

/* The container (re)started at now_ns: status starting, streak 0, log kept (as Docker keeps
 * it across restarts), first probe scheduled. A NONE config leaves status none. */
void health_start(struct health *h, const struct health_config *cfg, int64_t now_ns);

/* When the next probe is due (absolute), or HEALTH_NEVER (NONE, not started, paused). */
int64_t health_next_probe_at(const struct health *h);

/* Paused containers are not probed; a result arriving while paused is dropped. Resuming
 * schedules the next probe from now_ns, keeping status and streak. */
void health_pause(struct health *h);
void health_resume(struct health *h, const struct health_config *cfg, int64_t now_ns);

/* One finished probe: started at start_ns, result seen at end_ns. Output is all the probe
 * wrote to stdout and stderr (the monitor may stop keeping bytes after HEALTH_OUTPUT_MAX + 1:
 * longer output is cut to HEALTH_OUTPUT_MAX with "..." added). A probe that could not be run
 * is recorded as exit -1 with the error message as output, as Docker does. Schedules the
 * next probe at end_ns + interval (the start interval while starting in the start period). */
enum health_event health_record(struct health *h, const struct health_config *cfg, int64_t start_ns,
                                int64_t end_ns, int exit_code, const char *output, size_t len);

/* A probe killed at its timeout: exit -1, output "Health check exceeded timeout (30s)", with
 * ": <what it wrote>" after it when it wrote anything. */
enum health_event health_record_timeout(struct health *h, const struct health_config *cfg,
                                        int64_t start_ns, int64_t end_ns, const char *output,
                                        size_t len);

/* Docker's Health object: {"Status", "FailingStreak", "Log": [{"Start", "End", "ExitCode",
 * "Output"}]}, times RFC 3339 with ns. from_json restores status, streak and log into an
 * initialized h (replacing its log, keeping the last HEALTH_LOG_MAX entries; h is unchanged
 * on failure); started_at and scheduling stay the caller's. path names the object in errors
 * ("health.Log[2].End: ..."). */
json_t *health_to_json(const struct health *h);
int health_from_json(const json_t *json, const char *path, struct health *h,
                     struct husk_error **err);
