/* sync.h: the protocol between `husk create` (the parent) and the container's init (the
 * child) while the container is being set up. It runs over a SOCK_SEQPACKET socketpair, so
 * each message arrives whole. The child never returns into husk's main: every failure on its
 * side is a SYNC_ERROR, after which it _exits.
 *
 *  step  sender  message             payload          meaning
 *  ----  ------  ------------------  ---------------  -------------------------------------------
 *   -    child   SYNC_LOG            level, text      a log or --trace record: the parent prints it
 *   -    child   SYNC_ERROR          errno, message   setup failed; the child exits; create fails
 *   1    parent  SYNC_MAPS_DONE      -                uid/gid maps written (or none needed): the
 *                                                     child may now act as root in its user ns
 *   2    child   SYNC_MOUNTS_DONE    -                the rootfs is mounted, not yet pivoted: the
 *                                                     parent runs prestart and createRuntime hooks
 *   3    parent  SYNC_HOOKS_DONE     state JSON or -  prestart and createRuntime hooks ran; the
 *                                                     child goes on: createContainer hooks,
 *                                                     pivot_root, process setup. The payload is
 *                                                     the OCI state ("creating", the init's pid
 *                                                     as husk sees it) for the createContainer
 *                                                     and startContainer hooks, at most
 *                                                     SYNC_MAX_PAYLOAD (16 KiB); empty when the
 *                                                     config has neither
 *   4    child   SYNC_CREATED        -                all set up
 *   5    parent  SYNC_RECORDED       -                state.json names the init: it may outlive
 *                                                     the parent (until now its parent-death
 *                                                     signal is SIGKILL)
 *   6    child   SYNC_RECORDED       -                the child dropped its parent-death signal;
 *                                                     it now blocks on the exec fifo until
 *                                                     `husk start` opens it
 *  Steps 2 and 3 happen only when the config has prestart, createRuntime, createContainer or
 *  startContainer hooks (hooks_need_create_sync): otherwise both sides go from 1 to 4.
 *
 *  `husk exec` (exec.c) uses the same socket between husk exec, the joiner it forks and the
 *  process the joiner forks inside the container:
 *   1    joiner  SYNC_EXEC_PID       pid as text      the process exists; its pid as husk sees it
 *   2    process SYNC_CREATED        -                set up: only seccomp and execve are left
 *   3    husk    SYNC_CREATED        -                (--trace, foreground only) the records
 *                                                     so far are printed: the process may
 *                                                     write its own
 *   3    husk    SYNC_RECORDED       -                (detached only) the pid file is written:
 *                                                     the process may outlive husk exec; an
 *                                                     EOF instead makes it exit
 *   4    process (EOF, or an int errno)      (detached only) its program's execve closed
 *                                                     the socket, or failed with that errno
 *  SYNC_LOG and SYNC_ERROR as above, from either.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct husk_error;

enum sync_type {
  SYNC_LOG = 1,
  SYNC_ERROR,
  SYNC_MAPS_DONE,
  SYNC_MOUNTS_DONE,
  SYNC_HOOKS_DONE,
  SYNC_CREATED,
  SYNC_EXEC_PID,
  SYNC_RECORDED,
};

#define SYNC_MAX_PAYLOAD 16384

struct sync_msg {
  uint32_t type;
  int32_t code; /* log level for SYNC_LOG, errno for SYNC_ERROR */
  uint32_t len;
  char data[SYNC_MAX_PAYLOAD + 1]; /* NUL-terminated for convenience */
};

const char *sync_type_name(enum sync_type type);

/* Make the socketpair (both ends close-on-exec). */
int sync_pair(int fds[2], struct husk_error **err);
/* From here on this process's log and --trace records go to the parent over fd as SYNC_LOG
 * (log_forward); -1 prints them directly again. */
void sync_forward_logs(int fd);

int sync_send(int fd, enum sync_type type, int code, const void *data, size_t len,
              struct husk_error **err);
/* Receive messages until one of type want arrives. SYNC_LOG records are printed on the way,
 * a SYNC_ERROR becomes *err with the child's message, and EOF says the child died. */
int sync_expect(int fd, enum sync_type want, struct husk_error **err);
/* The same, and *ret_data gets the message's payload as a malloc'd string (NULL when empty). */
int sync_expect_data(int fd, enum sync_type want, char **ret_data, struct husk_error **err);
/* Child side: report the error and leave. Never returns. */
_Noreturn void sync_fail(int fd, struct husk_error *err);
