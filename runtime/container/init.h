/* init.h: the container's init before it runs the user's process: the child side of create
 * (DESIGN.md §2), one named step after another. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct cgroup;
struct rootfs_overlay;
struct seccomp_program;
struct spec;

struct init_args {
  const struct spec *spec;
  const struct seccomp_program *seccomp; /* compiled linux.seccomp; NULL when none */
  const char *rootfs;   /* absolute host path */
  const char *bundle;   /* absolute host path: relative mount sources are relative to it */
  int sync_fd;          /* child end of the sync socketpair */
  int fifo_fd;          /* O_PATH fd of <state dir>/exec.fifo */
  int parent_pidfd;     /* its parent: the init dies with it until it is handed over */
  bool dies_with_parent; /* for good: the parent is the container's monitor */
  int console_fd;       /* connected --console-socket when process.terminal; else -1 */
  int state_fd;         /* the locked state dir: closed at once, or start would wait on it */
  const char *state_dir; /* its absolute path when husk wrote bind sources there; else NULL */
  int *source_fds;      /* per config mount: its source opened by the init (open_state_sources),
                           or -1 */
  int ns_fds[8];        /* namespaces to join, indexed by ns_type_index(); -1 when none */
  int preserve_fds;     /* fds 3 .. 3+preserve_fds-1 reach the process */
  bool no_pivot;
  bool no_new_keyring;
  bool new_user_ns;     /* the clone made a user namespace: wait for the maps */
  bool joined_user_ns;  /* already joined (by the clone helper): become root in it */
  bool new_net_ns;      /* the clone made a network namespace: bring up lo */
  bool unshare_cgroupns; /* make the cgroup namespace once the parent moved us into our cgroup */
  struct cgroup *join_cgroup; /* move ourselves into it first thing; NULL: the parent does it */
  const struct cgroup *cgroup; /* the container's (shown at its cgroup mount); NULL: none */
  const struct rootfs_overlay *overlay; /* an image's layers, mounted as the rootfs; or NULL */
  bool image_rootfs;    /* the rootfs is an image's (overlay or copy): a missing cwd is the
                           process user's */
  char *hook_state;     /* the state JSON for createContainer/startContainer hooks, received
                           with SYNC_HOOKS_DONE; NULL when the config has none */
};

/* Runs in the cloned child; never returns. Failures go back over the sync socket. */
_Noreturn void init_main(struct init_args *args);
