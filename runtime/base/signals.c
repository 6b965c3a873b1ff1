/* signals.c: the table of Linux signal names, and parsing a signal as `kill` takes it. */
#include "signals.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "utils.h"

struct signal_entry {
  const char *name;
  int sig;
};

/* Primary names first: signal_name() returns the first entry of a number; the aliases after
 * them are only accepted as input. */
static const struct signal_entry signal_table[] = {
    {"SIGHUP", SIGHUP},       {"SIGINT", SIGINT},   {"SIGQUIT", SIGQUIT},
    {"SIGILL", SIGILL},       {"SIGTRAP", SIGTRAP}, {"SIGABRT", SIGABRT},
    {"SIGBUS", SIGBUS},       {"SIGFPE", SIGFPE},   {"SIGKILL", SIGKILL},
    {"SIGUSR1", SIGUSR1},     {"SIGSEGV", SIGSEGV}, {"SIGUSR2", SIGUSR2},
    {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM}, {"SIGTERM", SIGTERM},
#ifdef SIGSTKFLT
    {"SIGSTKFLT", SIGSTKFLT},
#endif
    {"SIGCHLD", SIGCHLD},     {"SIGCONT", SIGCONT}, {"SIGSTOP", SIGSTOP},
    {"SIGTSTP", SIGTSTP},     {"SIGTTIN", SIGTTIN}, {"SIGTTOU", SIGTTOU},
    {"SIGURG", SIGURG},       {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ},
    {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH},
    {"SIGIO", SIGIO},
#ifdef SIGPWR
    {"SIGPWR", SIGPWR},
#endif
    {"SIGSYS", SIGSYS},       {"SIGIOT", SIGIOT},   {"SIGCLD", SIGCHLD},
    {"SIGPOLL", SIGPOLL},
};

/* Names of the real-time signals by offset from SIGRTMIN (SIGRTMAX has its own name). */
static const char *const rt_names[] = {
    "SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",
    "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",  "SIGRTMIN+10", "SIGRTMIN+11",
    "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMIN+16", "SIGRTMIN+17",
    "SIGRTMIN+18", "SIGRTMIN+19", "SIGRTMIN+20", "SIGRTMIN+21", "SIGRTMIN+22", "SIGRTMIN+23",
    "SIGRTMIN+24", "SIGRTMIN+25", "SIGRTMIN+26", "SIGRTMIN+27", "SIGRTMIN+28", "SIGRTMIN+29",
    "SIGRTMIN+30", "SIGRTMIN+31", "SIGRTMIN+32",
};

const char *signal_name(int sig) {
  for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
    if (signal_table[i].sig == sig)
      return signal_table[i].name;
  if (sig == SIGRTMAX)
    return "SIGRTMAX";
  if (sig >= SIGRTMIN && sig < SIGRTMAX && (size_t)(sig - SIGRTMIN) < ARRAY_SIZE(rt_names))
    return rt_names[sig - SIGRTMIN];
  return NULL;
}

/* A decimal number of at most 3 digits and nothing else; -1 otherwise. */
static int parse_small_number(const char *s) {
  size_t len = strlen(s);
  if (len == 0 || len > 3 || strspn(s, "0123456789") != len)
    return -1;
  return atoi(s);
}

/* "RTMIN", "RTMIN+3", "RTMAX", "RTMAX-2" (the "SIG" already stripped); -1 otherwise. */
static int parse_realtime(const char *s) {
  int base, dir;
  if (strncasecmp(s, "RTMIN", 5) == 0) {
    base = SIGRTMIN;
    dir = 1;
  } else if (strncasecmp(s, "RTMAX", 5) == 0) {
    base = SIGRTMAX;
    dir = -1;
  } else {
    return -1;
  }
  s += 5;
  if (*s == '\0')
    return base;
  if (*s != (dir > 0 ? '+' : '-'))
    return -1;
  int n = parse_small_number(s + 1);
  if (n < 0)
    return -1;
  int sig = base + dir * n;
  return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
}

int signal_parse(const char *text, struct husk_error **err) {
  if (!text)
    return husk_error_set(err, EINVAL, "unknown signal \"\"");
  int n = parse_small_number(text);
  if (n >= 1 && n < _NSIG)
    return n;
  if (n < 0) {
    const char *bare = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    for (size_t i = 0; *bare && i < ARRAY_SIZE(signal_table); i++)
      if (strcasecmp(signal_table[i].name + 3, bare) == 0)
        return signal_table[i].sig;
    int sig = parse_realtime(bare);
    if (sig > 0)
      return sig;
  }
  return husk_error_set(err, EINVAL, "unknown signal \"%s\"", text);
}
