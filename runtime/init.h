/* init.h: the container's init before it runs the user's process: the child side of create
 * (DESIGN.md §2), one named step after another. */
#pragma once

#include <stdbool.h>

struct spec;

struct init_args {
  const struct spec *spec;
  const char *rootfs;   /* absolute host path */
  int sync_fd;          /* child end of the sync socketpair */
  int fifo_fd;          /* O_PATH fd of <state dir>/exec.fifo */
  int ns_fds[8];        /* fds of namespaces to join, in ns_types order; -1 when none */
  int preserve_fds;     /* fds 3 .. 3+preserve_fds-1 reach the process */
  bool no_pivot;
  bool no_new_keyring;
  bool new_user_ns;     /* the clone made a user namespace: wait for the maps */
};

/* Runs in the cloned child; never returns. Failures go back over the sync socket. */
_Noreturn void init_main(struct init_args *args);
