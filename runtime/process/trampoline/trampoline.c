/* trampoline.c: the sealed memfd copy of the stub, and the execve through it. */
#include "trampoline.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "magic.h"
#include "trampoline_stub.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

int trampoline_open(struct husk_error **err) {
  /* MFD_EXEC says so explicitly where vm.memfd_noexec exists (Linux 6.3); older kernels
   * refuse the flag and make every memfd executable. */
  _cleanup_close_ int fd = memfd_create("husk-trampoline", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("husk-trampoline", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  TRACE(fd, "an in-memory copy of the exec trampoline: the container's program is executed "
            "from it, so /proc/self/exe never names the husk binary (CVE-2019-5736)",
        "memfd_create(\"husk-trampoline\", MFD_CLOEXEC|MFD_ALLOW_SEALING|MFD_EXEC)");
  if (fd < 0)
    return husk_error_sys(err, "memfd_create for the exec trampoline");
  if (write_all(fd, trampoline_stub, trampoline_stub_size) < 0)
    return husk_error_sys(err, "write the exec trampoline");
  int r = fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  TRACE(r, "nobody can change the copy, not even through /proc/<pid>/exe",
        "fcntl(%d, F_ADD_SEALS, F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE)", (int)fd);
  if (r < 0)
    return husk_error_sys(err, "seal the exec trampoline");
  return TAKE_FD(fd);
}

/* The stub with args (argv for it) and envp; restores report_fd's close-on-exec on failure. */
static int execve_stub(int tramp_fd, const char *path, const char **args, char *const envp[],
                       int report_fd, struct husk_error **err) {
  /* The stub makes it close-on-exec again before the program's execve. */
  if (report_fd >= 0)
    fcntl(report_fd, F_SETFD, 0);
  syscall(SYS_execveat, tramp_fd, "", (char *const *)args, envp, AT_EMPTY_PATH);
  /* A seccomp profile may allow execve but not execveat: the same file by its /proc path. */
  int e = errno;
  char proc_path[64];
  snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", tramp_fd);
  execve(proc_path, (char *const *)args, envp);
  if (errno == ENOENT)
    errno = e;
  int saved = errno;
  if (report_fd >= 0)
    fcntl(report_fd, F_SETFD, FD_CLOEXEC);
  return husk_error_errno(err, saved, "exec %s (through the exec trampoline)", path);
}

int trampoline_execve(int tramp_fd, const char *path, char *const argv[], char *const envp[],
                      int report_fd, struct husk_error **err) {
  size_t n = 0;
  while (argv[n])
    n++;
  char fd_text[16];
  if (report_fd >= 0)
    snprintf(fd_text, sizeof(fd_text), "%d", report_fd);
  else
    snprintf(fd_text, sizeof(fd_text), "-");
  const char **args = xcalloc(n + 4, sizeof(*args));
  args[0] = TRAMPOLINE_MAGIC;
  args[1] = fd_text;
  args[2] = path;
  memcpy(args + 3, argv, (n + 1) * sizeof(*args));
  TRACE(0, "replace husk with the trampoline, which executes the container's program",
        "execveat(%d /* husk-trampoline */, \"\", [\"%s\", \"%s\", \"%s\"%s], env, AT_EMPTY_PATH)",
        tramp_fd, TRAMPOLINE_MAGIC, fd_text, path, n ? ", ..." : "");
  int r = execve_stub(tramp_fd, path, args, envp, report_fd, err);
  free(args);
  return r;
}

int trampoline_execve_init(int tramp_fd, const char *path, char *const argv[], char *const envp[],
                           int report_fd, struct husk_error **err) {
  size_t n = 0, n_env = 0;
  while (argv[n])
    n++;
  while (envp[n_env])
    n_env++;
  const char **args = xcalloc(n + 3, sizeof(*args));
  args[0] = TRAMPOLINE_INIT_MAGIC;
  args[1] = "--";
  memcpy(args + 2, argv, (n + 1) * sizeof(*args));
  /* The report fd and the path go first in the environment: the stub takes them off, and
   * `ps` shows "husk-init -- PROGRAM ARGS". */
  char **env = xcalloc(n_env + 2, sizeof(*env));
  env[0] = xasprintf("HUSK_INIT_EXEC=%d:%s", report_fd, path);
  memcpy(env + 1, envp, (n_env + 1) * sizeof(*env));
  TRACE(0,
        "replace husk with the trampoline as the container's init: it forks the program, "
        "forwards signals to it and reaps orphans (run --init)",
        "execveat(%d /* husk-trampoline */, \"\", [\"%s\", \"--\", \"%s\"%s], env, AT_EMPTY_PATH)",
        tramp_fd, TRAMPOLINE_INIT_MAGIC, argv[0], n > 1 ? ", ..." : "");
  int r = execve_stub(tramp_fd, path, args, env, report_fd, err);
  free(env[0]);
  free(env);
  free(args);
  return r;
}
