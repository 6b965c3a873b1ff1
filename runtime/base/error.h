/* error.h: husk's error type. A failing function returns a negative errno and sets *err;
 * callers add context on the way up, and only main.c prints the result. */
#pragma once

#include <errno.h>

struct husk_error {
  int code;      /* positive errno value */
  char *message; /* "what failed: why", already formatted */
};

/* Set *err to a message with no errno text appended; returns -code. */
int husk_error_set(struct husk_error **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set *err to "<fmt>: strerror(code)"; returns -code. */
int husk_error_errno(struct husk_error **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix *err's message with "<fmt>: "; returns -(*err)->code. */
int husk_error_wrap(struct husk_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void husk_error_free(struct husk_error *err);

static inline void husk_error_freep(struct husk_error **err) {
  husk_error_free(*err);
  *err = 0;
}
#define _cleanup_error_ __attribute__((cleanup(husk_error_freep)))

/* The usual pattern after a failed libc call: return husk_error_sys(err, "open %s", path); */
#define husk_error_sys(err, ...) husk_error_errno((err), errno, __VA_ARGS__)
