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
 * "husk: exec PATH: reason" goes to stderr and the exit status is 127. */
#include "magic.h"

#if defined(__x86_64__)
#define NR_write 1
#define NR_fcntl 72
#define NR_execve 59
#define NR_exit_group 231
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
__asm__(".text\n.globl _start\n_start:\n xor %rbp, %rbp\n mov %rsp, %rdi\n and $-16, %rsp\n"
        " call stub_main\n hlt\n");
#elif defined(__aarch64__)
#define NR_write 64
#define NR_fcntl 25
#define NR_execve 221
#define NR_exit_group 94
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
__asm__(".text\n.globl _start\n_start:\n mov x29, #0\n mov x0, sp\n bl stub_main\n");
#else
#error "the exec trampoline stub knows x86_64 and aarch64 only"
#endif

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

__attribute__((noreturn, used)) void stub_main(long *sp);
__attribute__((noreturn, used)) void stub_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  if (argc < 4 || !same(argv[0], TRAMPOLINE_MAGIC)) {
    say("husk: this is husk's exec trampoline; it only runs programs husk starts\n");
    sys3(NR_exit_group, 126, 0, 0);
  }
  long fd = -1;
  if (!same(argv[1], "-")) {
    fd = 0;
    for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
      fd = fd * 10 + (*p - '0');
    sys3(NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
  }
  long r = sys3(NR_execve, (long)argv[2], (long)(argv + 3), (long)envp);
  int e = (int)-r;
  say("husk: exec ");
  say(argv[2]);
  say(": ");
  say(reason(e));
  say("\n");
  if (fd >= 0)
    sys3(NR_write, fd, (long)&e, sizeof(e));
  sys3(NR_exit_group, 127, 0, 0);
  for (;;)
    ;
}
