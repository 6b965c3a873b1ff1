/* profile.c: the linux.seccomp object `husk spec` writes, equivalent to Docker's default
 * profile (moby profiles/seccomp/default.json) as Docker applies it to a container with its
 * default capability set on this architecture: every syscall not allowed fails with EPERM. */
#include <linux/sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/personality.h>

#include "base/utils.h"
#include "seccomp.h"

/* Allowed unconditionally. Names a kernel or libseccomp does not know are skipped when the
 * profile is compiled, so the list may name syscalls of other architectures and kernels. */
static const char *const allowed[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_time64",
    "futex_waitv",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
};

/* Docker allows these from kernel 4.8 on, where ptrace can no longer be used to get around
 * seccomp; husk needs newer kernels than that anyway. */
static const char *const allowed_since_4_8[] = {"process_vm_readv", "process_vm_writev", "ptrace"};

/* Docker's groups for one architecture, taken for the one husk was built for. */
static const char *const allowed_on_this_arch[] = {
#if defined(__x86_64__)
    "arch_prctl",
    "modify_ldt",
#elif defined(__i386__)
    "modify_ldt",
#elif defined(__aarch64__) || defined(__arm__)
    "arm_fadvise64_64",
    "arm_sync_file_range",
    "sync_file_range2",
    "breakpoint",
    "cacheflush",
    "set_tls",
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    "sync_file_range2",
    "swapcontext",
#elif defined(__s390__)
    "s390_pci_mmio_read",
    "s390_pci_mmio_write",
    "s390_runtime_instr",
#elif defined(__riscv)
    "riscv_flush_icache",
#endif
    NULL,
};

/* Of Docker's groups that depend on a capability, the only one for a capability in Docker's
 * default set (CAP_SYS_CHROOT); the groups for CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_BOOT
 * and the others are left out, and the rules for containers without CAP_SYS_ADMIN
 * (clone without namespace flags, clone3 → ENOSYS) are in. */
static const char *const allowed_by_default_caps[] = {"chroot"};

/* s390 passes clone's flags second. */
#if defined(__s390__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

#define CLONE_NAMESPACE_FLAGS                                                                      \
  (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |       \
   CLONE_NEWCGROUP)

/* AF_VSOCK: the host's sockets are not the container's business. */
#define SOCKET_FAMILY_VSOCK 40

/* Rules with one argument condition each; one rule per allowed value, so they OR. */
static const struct {
  const char *name;
  unsigned index;
  uint64_t value, value_two;
  const char *op;
} arg_rules[] = {
    {"socket", 0, SOCKET_FAMILY_VSOCK, 0, "SCMP_CMP_NE"},
    {"personality", 0, PER_LINUX, 0, "SCMP_CMP_EQ"},
    {"personality", 0, PER_LINUX32, 0, "SCMP_CMP_EQ"},
    {"personality", 0, UNAME26, 0, "SCMP_CMP_EQ"},
    {"personality", 0, UNAME26 | PER_LINUX32, 0, "SCMP_CMP_EQ"},
    {"personality", 0, 0xffffffff, 0, "SCMP_CMP_EQ"}, /* query the current persona */
    /* clone only when (flags & namespace flags) == 0: no new namespaces */
    {"clone", CLONE_FLAGS_ARG, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"},
};

static void xappend(json_t *array, json_t *value) {
  if (!value || json_array_append_new(array, value) < 0)
    abort();
}

static json_t *names_json(const char *const *names, size_t n) {
  json_t *a = json_array();
  if (!a)
    abort();
  for (size_t i = 0; i < n && names[i]; i++)
    xappend(a, json_string(names[i]));
  return a;
}

static json_t *allow(const char *const *names, size_t n) {
  return json_pack("{s:o, s:s}", "names", names_json(names, n), "action", "SCMP_ACT_ALLOW");
}

static json_t *architectures(void) {
#if defined(__x86_64__)
  return json_pack("[s,s,s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
#elif defined(__aarch64__)
  return json_pack("[s,s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
#elif defined(__s390x__)
  return json_pack("[s,s]", "SCMP_ARCH_S390X", "SCMP_ARCH_S390");
#elif defined(__riscv) && __riscv_xlen == 64
  return json_pack("[s]", "SCMP_ARCH_RISCV64");
#else
  return json_array(); /* the native architecture only */
#endif
}

json_t *seccomp_default_profile(void) {
  json_t *syscalls = json_array();
  if (!syscalls)
    abort();
  xappend(syscalls, allow(allowed, ARRAY_SIZE(allowed)));
  xappend(syscalls, allow(allowed_since_4_8, ARRAY_SIZE(allowed_since_4_8)));
  for (size_t i = 0; i < ARRAY_SIZE(arg_rules); i++)
    xappend(syscalls,
            json_pack("{s:[s], s:s, s:[{s:i, s:I, s:I, s:s}]}", "names", arg_rules[i].name,
                      "action", "SCMP_ACT_ALLOW", "args", "index", (int)arg_rules[i].index, "value",
                      (json_int_t)arg_rules[i].value, "valueTwo",
                      (json_int_t)arg_rules[i].value_two, "op", arg_rules[i].op));
  if (allowed_on_this_arch[0])
    xappend(syscalls, allow(allowed_on_this_arch, ARRAY_SIZE(allowed_on_this_arch)));
  xappend(syscalls, allow(allowed_by_default_caps, ARRAY_SIZE(allowed_by_default_caps)));
  /* clone3's flags are in memory a filter cannot read: ENOSYS makes libc fall back to clone,
   * whose flags the rule above checks. */
  xappend(syscalls, json_pack("{s:[s], s:s, s:i}", "names", "clone3", "action", "SCMP_ACT_ERRNO",
                              "errnoRet", ENOSYS));
  json_t *profile =
      json_pack("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet", EPERM,
                "architectures", architectures(), "syscalls", syscalls);
  if (!profile)
    abort();
  return profile;
}
