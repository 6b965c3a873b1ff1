/* signals.h: signal names and numbers, as `kill` accepts them ("TERM", "SIGTERM", "15"). */
#pragma once

struct husk_error;

/* Returns the signal number, or a negative errno with *err naming the bad input. */
int signal_parse(const char *text, struct husk_error **err);
/* "SIGTERM" for 15; NULL for an unknown number. */
const char *signal_name(int sig);
