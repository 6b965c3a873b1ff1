/* stub.c: the program behind husk's exec trampoline (trampoline.h). husk copies it into a
 * sealed memfd and executes that copy; the copy then executes the container's program. So the
 * process making that last execve runs a throwaway in-memory file: a "#!/proc/self/exe" line
 * or an ELF interpreter of /proc/self/exe in the container's program names this copy, never
 * the husk binary on the host (CVE-2019-5736), and writing to it changes nothing.
 *
 * Freestanding (no libc, no loader), so it starts in microseconds. Its arguments:
 *   argv[0] TRAMPOLINE_MAGIC, argv[1] a report fd in decimal or "-", argv[2] the program's
 *   path, argv[3...] the program's argv.
 * The report fd survives into this program only: it is made close-on-exec here, so its EOF
 * tells husk the program runs; when execve fails its errno is written to it (as an int),
 * "husk: exec PATH: reason" goes to stderr and the exit status is 127.
 *
 * Init mode (run --init): argv[0] TRAMPOLINE_INIT_MAGIC, argv[1] "--", argv[2...] the
 * program's argv, envp[0] "HUSK_INIT_EXEC=FD:PATH" (the report fd and the program's path; the
 * program gets envp[1...]). The stub stays as the container's pid 1: it forks the program
 * into a process group of its own (the terminal's foreground one, when there is a terminal),
 * forwards every signal it gets to it, reaps every orphan, and when the program exits, exits
 * with its status (128+N when signal N killed it), as docker's --init (tini) does. */
#include "magic.h"

#if defined(__x86_64__)
#define NR_write 1
#define NR_close 3
#define NR_rt_sigprocmask 14
#define NR_ioctl 16
#define NR_clone 56
#define NR_execve 59
#define NR_wait4 61
#define NR_kill 62
#define NR_fcntl 72
#define NR_setpgid 109
#define NR_getpgid 121
#define NR_rt_sigtimedwait 128
#define NR_prctl 157
#define NR_exit_group 231
static long sys4(long n, long a, long b, long c, long d) {
  long r;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return r;
}
__asm__(".text\n.globl _start\n_start:\n xor %rbp, %rbp\n mov %rsp, %rdi\n and $-16, %rsp\n"
        " call stub_main\n hlt\n");
#elif defined(__aarch64__)
#define NR_ioctl 29
#define NR_fcntl 25
#define NR_close 57
#define NR_write 64
#define NR_exit_group 94
#define NR_kill 129
#define NR_rt_sigprocmask 135
#define NR_rt_sigtimedwait 137
#define NR_setpgid 154
#define NR_getpgid 155
#define NR_prctl 167
#define NR_clone 220
#define NR_execve 221
#define NR_wait4 260
static long sys4(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
__asm__(".text\n.globl _start\n_start:\n mov x29, #0\n mov x0, sp\n bl stub_main\n");
#else
#error "the exec trampoline stub knows x86_64 and aarch64 only"
#endif

static long sys3(long n, long a, long b, long c) { return sys4(n, a, b, c, 0); }

#define F_SETFD 2
#define FD_CLOEXEC 1

static unsigned long length(const char *s) {
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

static void say(const char *s) { sys3(NR_write, 2, (long)s, (long)length(s)); }

static int same(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

/* The errors an execve of a checked path can still meet, in strerror's words in lower case,
 * as runc (Go) words them: engines map them to exit statuses by these words. */
static const char *reason(long e) {
  switch (e) {
  case 1: return "operation not permitted";
  case 2: return "no such file or directory";
  case 7: return "argument list too long";
  case 8: return "exec format error";
  case 12: return "cannot allocate memory";
  case 13: return "permission denied";
  case 20: return "not a directory";
  case 21: return "is a directory";
  case 22: return "invalid argument";
  case 24: return "too many open files";
  case 26: return "text file busy";
  case 36: return "file name too long";
  case 40: return "too many levels of symbolic links";
  case 80: return "accessing a corrupted shared library";
  default: return "execve failed";
  }
}

/* execve, or on failure: say why, write the errno to the report fd, exit 127. */
__attribute__((noreturn)) static void exec_or_die(const char *path, char **argv, char **envp,
                                                  long fd) {
  long r = sys3(NR_execve, (long)path, (long)argv, (long)envp);
  int e = (int)-r;
  say("husk: exec ");
  say(path);
  say(": ");
  say(reason(e));
  say("\n");
  if (fd >= 0)
    sys3(NR_write, fd, (long)&e, sizeof(e));
  sys3(NR_exit_group, 127, 0, 0);
  for (;;)
    ;
}

static long parse_fd(const char **p) {
  long fd = 0;
  for (; **p >= '0' && **p <= '9'; (*p)++)
    fd = fd * 10 + (**p - '0');
  return fd;
}

static int has_prefix(const char *s, const char *prefix) {
  while (*prefix && *s == *prefix)
    s++, prefix++;
  return !*prefix;
}

#define SIGCHLD 17
#define SIG_SETMASK 2
#define WNOHANG 1
#define TIOCSPGRP 0x5410
#define PR_SET_NAME 15
#define PR_SET_CHILD_SUBREAPER 36
#define EXEC_PREFIX "HUSK_INIT_EXEC="

/* The status docker reports: the exit code, or 128+N for a death by signal N. */
static long status_code(int status) {
  return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
}

__attribute__((noreturn)) static void init_main(char **argv, char **envp) {
  const char *spec = envp[0];
  if (!spec || !has_prefix(spec, EXEC_PREFIX) || !argv[1] || !same(argv[1], "--") || !argv[2]) {
    say("husk: husk-init: started without a program\n");
    sys3(NR_exit_group, 126, 0, 0);
  }
  spec += sizeof(EXEC_PREFIX) - 1;
  long fd = parse_fd(&spec);
  const char *path = *spec == ':' ? spec + 1 : spec;
  sys3(NR_prctl, PR_SET_NAME, (long)"husk-init", 0);
  /* Without a pid namespace of its own it is no pid 1: orphans come to it all the same. */
  sys3(NR_prctl, PR_SET_CHILD_SUBREAPER, 1, 0);
  sys3(NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
  unsigned long all = ~0UL, old = 0;
  sys4(NR_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, sizeof(all));
  long child = sys3(NR_clone, SIGCHLD, 0, 0);
  if (child == 0) {
    /* Its own group, in the terminal's foreground (with SIGTTOU blocked, that is allowed),
     * so a ^C reaches it once, from the terminal, rather than also through us. */
    sys3(NR_setpgid, 0, 0, 0);
    int pgrp = (int)sys3(NR_getpgid, 0, 0, 0);
    sys3(NR_ioctl, 0, TIOCSPGRP, (long)&pgrp);
    sys4(NR_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, sizeof(old));
    exec_or_die(path, argv + 2, envp + 1, fd);
  }
  if (child < 0) {
    say("husk: husk-init: fork failed\n");
    sys3(NR_exit_group, 127, 0, 0);
  }
  /* The program's execve closes its copy of the report fd: then `start` sees its EOF. */
  sys3(NR_close, fd, 0, 0);
  for (;;) {
    long sig = sys4(NR_rt_sigtimedwait, (long)&all, 0, 0, sizeof(all));
    if (sig <= 0)
      continue;
    if (sig != SIGCHLD) {
      sys3(NR_kill, child, sig, 0);
      continue;
    }
    for (;;) {
      int status = 0;
      long pid = sys4(NR_wait4, -1, (long)&status, WNOHANG, 0);
      if (pid <= 0)
        break;
      if (pid == child)
        sys3(NR_exit_group, status_code(status), 0, 0);
    }
  }
}

__attribute__((noreturn, used)) void stub_main(long *sp);
__attribute__((noreturn, used)) void stub_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  if (argc >= 3 && same(argv[0], TRAMPOLINE_INIT_MAGIC))
    init_main(argv, envp);
  if (argc < 4 || !same(argv[0], TRAMPOLINE_MAGIC)) {
    say("husk: this is husk's exec trampoline; it only runs programs husk starts\n");
    sys3(NR_exit_group, 126, 0, 0);
  }
  long fd = -1;
  if (!same(argv[1], "-")) {
    const char *p = argv[1];
    fd = parse_fd(&p);
    sys3(NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
  }
  exec_or_die(argv[2], argv + 3, envp, fd);
}
