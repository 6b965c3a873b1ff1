/* process.h: the last steps of the container's init before execve: rlimits, the user and
 * groups, umask, cwd, environment, no_new_privs and the lookup of the executable in the
 * container's PATH; and process.oomScoreAdj, which the parent writes. (Capabilities are in
 * capabilities.h.) */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct husk_error;
struct spec_process;

/* The resource number of an rlimit name such as "RLIMIT_NOFILE"; -1 when there is none. */
int rlimit_from_name(const char *name);

/* setrlimit for every process.rlimits entry. Every type is checked before any limit is set:
 * an unknown one is an error naming it ("process.rlimits[1].type: unknown rlimit ..."). */
int process_set_rlimits(const struct spec_process *proc, struct husk_error **err);

/* Write adj to /proc/<pid>/oom_score_adj (pid 0: self) of the host's procfs, checked to be
 * procfs after the open (CVE-2025-52881). The parent does it while the init still runs husk,
 * with the parent's privilege to lower the score. */
int process_set_oom_score_adj(pid_t pid, int adj, struct husk_error **err);

/* prctl(PR_SET_NO_NEW_PRIVS, 1) when process.noNewPrivileges is true. */
int process_set_no_new_privs(const struct spec_process *proc, struct husk_error **err);

/* setgroups(additionalGids), setresgid, setresuid, umask — in that order, ids as seen in the
 * container's user namespace. */
int process_set_user(const struct spec_process *proc, struct husk_error **err);

/* chdir(cwd), then check that the cwd really is inside the container's root (CVE-2024-21626). */
int process_chdir(const char *cwd, struct husk_error **err);

/* Find args[0] as execvp would, but with the PATH from the container's env (or the default
 * PATH when the env has none). Returns a malloc'd path. */
int process_find_executable(const char *name, const char *const *env, char **ret_path,
                            struct husk_error **err);

/* Set HOME from the container's /etc/passwd for uid when env lacks it. Returns a new env
 * (malloc'd array of the old strings plus at most one new malloc'd string in *ret_extra). */
int process_build_env(const struct spec_process *proc, char ***ret_env, char **ret_extra,
                      struct husk_error **err);

/* The home directory of uid in a passwd(5) file: *ret_home is a malloc'd copy, or NULL when
 * the file does not exist or has no entry for uid (the first entry of a uid wins). */
int passwd_home_for_uid(const char *passwd_path, uid_t uid, char **ret_home,
                        struct husk_error **err);
