/* log.h: husk's log output (text or runc-style JSON lines) and the --trace narration of
 * kernel steps. Logging is the one piece of process-wide state: every module may log. */
#pragma once

#include <stdbool.h>

struct husk_error;

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG, LOG_LEVEL_TRACE };

struct log_config {
  const char *path; /* --log FILE; NULL means stderr */
  enum log_format format;
  bool debug; /* --debug: debug records are written */
  bool trace; /* --trace: every kernel step is narrated */
};

/* Open the log destination. Records go to the file named by --log (appended), else to stderr. */
int log_open(const struct log_config *cfg, struct husk_error **err);
void log_close(void);
bool log_to_file(void);
/* The --log file's fd, -1 when records go to stderr. */
int log_fd(void);
bool log_trace_enabled(void);
enum log_format log_get_format(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Narrate one kernel step after it ran: the call with its arguments, its result, and why
 * husk makes it. ret < 0 prints the errno saved in err_no. Use through TRACE(). */
void trace_syscall(long ret, int err_no, const char *why, const char *call_fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define TRACE(ret, why, ...)                                                                       \
  do {                                                                                             \
    int trace_errno_ = errno;                                                                      \
    if (log_trace_enabled())                                                                       \
      trace_syscall((long)(ret), trace_errno_, (why), __VA_ARGS__);                                \
    errno = trace_errno_;                                                                          \
  } while (0)

/* Records go to send(fd, level, text) instead of the output: the container's init and exec
 * send theirs to the parent over the sync socket (sync_forward_logs in container/sync.h),
 * which prints them in order. fd -1 goes back to direct output. */
typedef void (*log_sender)(int fd, enum log_level level, const char *text);
void log_forward(log_sender send, int fd);
/* The parent prints a record the child forwarded. */
void log_emit(enum log_level level, const char *text);
