/* unit.h: what every unit suite's main does: run the suite, report, exit non-zero on failure. */
#pragma once

#include <check.h>
#include <stdlib.h>

static inline int unit_run(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
