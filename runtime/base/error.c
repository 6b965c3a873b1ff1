/* error.c: building and wrapping husk_error messages. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils.h"

static int error_replace(struct husk_error **err, int code, char *message) {
  if (code <= 0)
    code = code < 0 ? -code : EIO;
  if (!err) {
    free(message);
    return -code;
  }
  husk_error_free(*err);
  struct husk_error *e = xmalloc(sizeof(*e));
  e->code = code;
  e->message = message;
  *err = e;
  return -code;
}

int husk_error_set(struct husk_error **err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  return error_replace(err, code, msg);
}

int husk_error_errno(struct husk_error **err, int code, const char *fmt, ...) {
  if (code < 0)
    code = -code;
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *what = xvasprintf(fmt, ap);
  va_end(ap);
  return error_replace(err, code, xasprintf("%s: %s", what, strerror(code ? code : EIO)));
}

int husk_error_wrap(struct husk_error **err, const char *fmt, ...) {
  if (!err || !*err)
    return -EIO;
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *what = xvasprintf(fmt, ap);
  va_end(ap);
  char *msg = xasprintf("%s: %s", what, (*err)->message);
  free((*err)->message);
  (*err)->message = msg;
  return -(*err)->code;
}

void husk_error_free(struct husk_error *err) {
  if (!err)
    return;
  free(err->message);
  free(err);
}
