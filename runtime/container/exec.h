/* exec.h: `husk exec`: a new process in a running container, with the container's
 * namespaces, cgroup and seccomp profile, and the user, capabilities, no_new_privs, rlimits
 * and env of its process config (DESIGN.md §2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct husk_error;

struct exec_options {
  const char *root;
  const char *id;
  const char *process_file;   /* --process: a runtime-spec process object; NULL: build one */
  const char *const *args;    /* the command (NULL-terminated); NULL or empty with --process */
  const char *cwd;            /* --cwd */
  const char *user;           /* -u UID[:GID] */
  const char *const *env;     /* -e K=V, appended to the config's env (NULL-terminated) */
  const char *const *caps;    /* --cap CAP_X, added to every set (NULL-terminated) */
  const char *pid_file;       /* written once the process runs, pid in husk's pid namespace */
  const char *console_socket; /* receives the pty master (process.terminal) */
  int preserve_fds;
  bool detach;
  bool tty;
  bool no_new_privs;
  bool ignore_paused;
};

/* Run the process in the container. In the foreground husk waits for it, forwarding signals
 * (and with a terminal, proxying it), and returns its exit status (128+N when signal N
 * killed it); detached it returns 0 once the process runs, and the process is no child of
 * husk's. A stopped container, or a paused one without ignore_paused, is refused. */
int container_exec(const struct exec_options *o, struct husk_error **err);
