/* test_hooks.h: named steps a fault-injection test can stop husk at. With
 * HUSK_TEST_STOP_AT=<step> in its environment a husk process renames itself "husk:stopped"
 * and stops on reaching that step, and the test kills it there (tests/integration/test_fault.c). Compiled
 * in only with -Dtest_hooks=true, as the test builds are; elsewhere the calls vanish. */
#pragma once

#ifdef HUSK_TEST_HOOKS
void test_stop_at(const char *step);
#else
#define test_stop_at(step) ((void)0)
#endif
