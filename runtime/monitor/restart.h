/* restart.h: `run --restart` policies and the back-off between restarts, as Docker's
 * restartmanager has them (moby restartmanager/restartmanager.go): the delay starts at
 * 100 ms, doubles on each restart up to one minute, and starts over once the container ran
 * for 10 s. --health-on-failure restart waits the same way. Pure: the monitor keeps the timer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct husk_error;

enum restart_kind { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_UNLESS_STOPPED };

struct restart_policy {
  enum restart_kind kind;
  int max_retries; /* on-failure:N; 0: no limit */
};

#define RESTART_BACKOFF_FIRST_NS (INT64_C(100) * 1000000)   /* 100 ms */
#define RESTART_BACKOFF_MAX_NS (INT64_C(60) * 1000000000)   /* 1 min */
#define RESTART_BACKOFF_RESET_NS (INT64_C(10) * 1000000000) /* ran 10 s: start over */

/* Docker's --restart values: no, always, unless-stopped, on-failure[:N]; errors worded as
 * Docker's. */
int restart_policy_parse(const char *text, struct restart_policy *ret, struct husk_error **err);
/* "no", "always", "unless-stopped", "on-failure", "on-failure:3" (malloc'd). */
char *restart_policy_format(const struct restart_policy *p);

/* Whether a container that exited with exit_code, restarted `restarts` times so far, starts
 * again. A manual stop (`husk stop`, `kill` with the stop signal or SIGKILL, the monitor
 * signalled) ends every policy: always and unless-stopped differ only across a Docker daemon's
 * restart, and husk has no daemon (nothing of a container outlives a reboot either). */
bool restart_policy_wants(const struct restart_policy *p, int exit_code, int restarts,
                          bool manually_stopped);

/* The next delay, given the last one (*delay_ns, 0 before the first restart; updated) and how
 * long the container ran this time. */
int64_t restart_backoff_next(int64_t *delay_ns, int64_t ran_ns);
