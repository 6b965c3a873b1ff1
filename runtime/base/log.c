/* log.c: writes log records as text ("husk: msg") or as runc-style JSON lines
 * ({"level":"error","msg":"...","time":"..."}) that conmon and the containerd shim read back. */
#include "log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "utils.h"

static struct {
  int fd;
  enum log_format format;
  bool debug;
  bool trace;
  bool to_file;
  log_sender forward;
  int forward_fd;
} logger = {.fd = STDERR_FILENO, .forward_fd = -1};

static const char *const level_names[] = {
    [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARN] = "warning", [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug", [LOG_LEVEL_TRACE] = "trace",
};

int log_open(const struct log_config *cfg, struct husk_error **err) {
  logger.format = cfg->format;
  logger.debug = cfg->debug;
  logger.trace = cfg->trace;
  if (cfg->path && cfg->path[0]) {
    int fd = open(cfg->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
      return husk_error_sys(err, "open log file %s", cfg->path);
    logger.fd = fd;
    logger.to_file = true;
  }
  return 0;
}

void log_close(void) {
  if (logger.to_file)
    close(logger.fd);
  logger.fd = STDERR_FILENO;
  logger.to_file = false;
}

bool log_to_file(void) { return logger.to_file; }
int log_fd(void) { return logger.to_file ? logger.fd : -1; }
bool log_trace_enabled(void) { return logger.trace; }
enum log_format log_get_format(void) { return logger.format; }
void log_forward(log_sender send, int fd) {
  logger.forward = fd >= 0 ? send : NULL;
  logger.forward_fd = fd;
}

static bool level_enabled(enum log_level level) {
  if (level == LOG_LEVEL_TRACE)
    return logger.trace;
  if (level == LOG_LEVEL_DEBUG || level == LOG_LEVEL_INFO)
    return logger.debug;
  return true;
}

void log_emit(enum log_level level, const char *text) {
  if (level > LOG_LEVEL_TRACE || !level_enabled(level))
    return;
  if (logger.forward) {
    logger.forward(logger.forward_fd, level, text);
    return;
  }
  _cleanup_free_ char *line = NULL;
  if (logger.format == LOG_FORMAT_JSON) {
    _cleanup_free_ char *now = now_rfc3339();
    _cleanup_json_ json_t *rec =
        json_pack("{s:s, s:s, s:s}", "level", level_names[level], "msg", text, "time", now);
    _cleanup_free_ char *s = json_dumps(rec, JSON_COMPACT);
    line = xasprintf("%s\n", s);
  } else if (level == LOG_LEVEL_TRACE) {
    line = xasprintf("husk trace: %s\n", text);
  } else if (level == LOG_LEVEL_ERROR) {
    line = xasprintf("husk: %s\n", text);
  } else {
    line = xasprintf("husk %s: %s\n", level_names[level], text);
  }
  write_all(logger.fd, line, strlen(line));
}

void log_msg(enum log_level level, const char *fmt, ...) {
  if (!level_enabled(level))
    return;
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *text = xvasprintf(fmt, ap);
  va_end(ap);
  log_emit(level, text);
}

void trace_syscall(long ret, int err_no, const char *why, const char *call_fmt, ...) {
  va_list ap;
  va_start(ap, call_fmt);
  _cleanup_free_ char *call = xvasprintf(call_fmt, ap);
  va_end(ap);
  _cleanup_free_ char *result =
      ret < 0 ? xasprintf("-1 %s (%s)", strerrorname_np(err_no) ? strerrorname_np(err_no) : "?",
                          strerror(err_no))
              : xasprintf("%ld", ret);
  log_msg(LOG_LEVEL_TRACE, "%s = %s  # %s", call, result, why);
}
