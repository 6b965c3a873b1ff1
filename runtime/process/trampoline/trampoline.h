/* trampoline.h: every program husk starts in a container (the init's process, exec, health
 * probes, hooks) is executed through the trampoline: a tiny stub program (stub.c) that husk
 * copies into a sealed memfd and executes first, which then executes the program. While the
 * kernel resolves the program (its "#!" interpreter, its ELF interpreter), /proc/self/exe is
 * that throwaway copy, so a container program that names /proc/self/exe as its interpreter
 * runs the stub, never the husk binary on the host, and cannot write to it (CVE-2019-5736).
 * runc 1.1.12 re-executes itself from a memfd copy of its 10 MB binary and runc 1.2 from a
 * private overlayfs; a 3 KB stub without libc costs less than either (scripts/bench). */
#pragma once

struct husk_error;

/* A sealed, executable memfd holding the stub (close-on-exec). Made before the seccomp filter
 * is loaded, since the filter may forbid memfd_create. */
int trampoline_open(struct husk_error **err);

/* Execute path with argv and envp through the stub in tramp_fd. report_fd (or -1) stays open
 * until the program's own execve (close-on-exec from there): EOF on it says the program runs,
 * an int errno that it could not be executed (the stub then exits 127 after printing
 * "husk: exec PATH: reason" to stderr). Returns only when the stub itself could not be
 * executed: a negative errno, with err set. */
int trampoline_execve(int tramp_fd, const char *path, char *const argv[], char *const envp[],
                      int report_fd, struct husk_error **err);

/* The same with the stub as the container's init (run --init, stub.c's init mode): it stays
 * as the process, forks the program, forwards signals to it, reaps orphans and exits with the
 * program's status. report_fd must be an fd (the exec fifo). */
int trampoline_execve_init(int tramp_fd, const char *path, char *const argv[], char *const envp[],
                           int report_fd, struct husk_error **err);
