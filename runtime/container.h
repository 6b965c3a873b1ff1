/* container.h: the parent side of a container's lifecycle: create, start, kill, delete. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct husk_error;

struct create_options {
  const char *root;
  const char *id;
  const char *bundle;          /* directory holding config.json; "." when not given */
  const char *pid_file;        /* NULL: none */
  const char *console_socket;  /* NULL: none */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
};

/* Parse the bundle, make the state directory, clone the init and set it up until it waits
 * on the exec fifo. On failure nothing is left: no state dir, no process, no mounts.
 * ret_pid gets the init's pid; ret_pidfd (may be NULL) a pidfd for it. */
int container_create(const struct create_options *opts, pid_t *ret_pid, int *ret_pidfd,
                     struct husk_error **err);

/* Release a created container's init to execve its process. */
int container_start(const char *root, const char *id, struct husk_error **err);

/* Signal the init (or with all, every process of the container). */
int container_kill(const char *root, const char *id, int sig, bool all, struct husk_error **err);

/* Remove a stopped or created container; with force a running one is killed first.
 * A missing container with force is not an error (as with runc). */
int container_delete(const char *root, const char *id, bool force, struct husk_error **err);
