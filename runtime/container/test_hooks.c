/* test_hooks.c: HUSK_TEST_STOP_AT (test_hooks.h), in test builds only. */
#include "test_hooks.h"

#ifdef HUSK_TEST_HOOKS
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The test finds the process by this name. A pid namespace's init ignores a SIGSTOP it sends
 * itself, so there it waits instead. */
void test_stop_at(const char *step) {
  const char *want = getenv("HUSK_TEST_STOP_AT");
  if (!want || strcmp(want, step) != 0)
    return;
  prctl(PR_SET_NAME, "husk:stopped", 0, 0, 0);
  if (getpid() != 1)
    raise(SIGSTOP);
  for (;;)
    pause();
}
#endif
