/* restart.c: `run --restart` policies and Docker's back-off between restarts (restart.h). */
#include "restart.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"

int restart_policy_parse(const char *text, struct restart_policy *ret, struct husk_error **err) {
  struct restart_policy p = {.kind = RESTART_NO};
  if (!*text) { /* Docker's default: no policy */
    *ret = p;
    return 0;
  }
  const char *colon = strchr(text, ':');
  size_t len = colon ? (size_t)(colon - text) : strlen(text);
  if (colon && colon[1]) {
    char *end;
    errno = 0;
    long n = strtol(colon + 1, &end, 10);
    if (errno || *end || n > INT_MAX || n < INT_MIN)
      return husk_error_set(err, EINVAL,
                            "invalid restart policy format: maximum retry count must be an "
                            "integer");
    p.max_retries = (int)n;
  }
  static const struct {
    const char *name;
    enum restart_kind kind;
  } names[] = {{"no", RESTART_NO},
               {"on-failure", RESTART_ON_FAILURE},
               {"always", RESTART_ALWAYS},
               {"unless-stopped", RESTART_UNLESS_STOPPED}};
  size_t i = 0;
  while (i < ARRAY_SIZE(names) &&
         !(strlen(names[i].name) == len && !strncmp(text, names[i].name, len)))
    i++;
  if (i == ARRAY_SIZE(names))
    return husk_error_set(err, EINVAL,
                          "invalid restart policy: unknown policy '%.*s'; use one of 'no', "
                          "'always', 'on-failure', or 'unless-stopped'",
                          (int)len, text);
  p.kind = names[i].kind;
  if (p.kind != RESTART_ON_FAILURE && p.max_retries != 0)
    return husk_error_set(err, EINVAL,
                          "invalid restart policy: maximum retry count can only be used with "
                          "'on-failure'");
  if (p.max_retries < 0)
    return husk_error_set(err, EINVAL,
                          "invalid restart policy: maximum retry count cannot be negative");
  *ret = p;
  return 0;
}

char *restart_policy_format(const struct restart_policy *p) {
  switch (p->kind) {
  case RESTART_ON_FAILURE:
    return p->max_retries ? xasprintf("on-failure:%d", p->max_retries) : xstrdup("on-failure");
  case RESTART_ALWAYS: return xstrdup("always");
  case RESTART_UNLESS_STOPPED: return xstrdup("unless-stopped");
  case RESTART_NO:
  default: return xstrdup("no");
  }
}

bool restart_policy_wants(const struct restart_policy *p, int exit_code, int restarts,
                          bool manually_stopped) {
  if (manually_stopped)
    return false;
  switch (p->kind) {
  case RESTART_ALWAYS:
  case RESTART_UNLESS_STOPPED: return true;
  case RESTART_ON_FAILURE:
    return exit_code != 0 && (p->max_retries == 0 || restarts < p->max_retries);
  case RESTART_NO:
  default: return false;
  }
}

int64_t restart_backoff_next(int64_t *delay_ns, int64_t ran_ns) {
  if (ran_ns >= RESTART_BACKOFF_RESET_NS)
    *delay_ns = 0;
  if (*delay_ns == 0)
    *delay_ns = RESTART_BACKOFF_FIRST_NS;
  else if (*delay_ns < RESTART_BACKOFF_MAX_NS)
    *delay_ns *= 2;
  if (*delay_ns > RESTART_BACKOFF_MAX_NS)
    *delay_ns = RESTART_BACKOFF_MAX_NS;
  return *delay_ns;
}
