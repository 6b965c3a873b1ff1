/* terminal.h: a container process in the foreground of husk's caller (`run` and `exec`
 * without --console-socket): the pty master comes back to husk over a socketpair, the
 * caller's terminal goes raw, bytes are copied both ways, window size changes reach the pty,
 * signals reach the process, and the caller's terminal is restored on every way out. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct husk_error;

/* The signals a foreground husk passes on to the container's process (SIGWINCH resizes the
 * pty instead, when there is one). Block them before the process exists, so none is lost. */
void terminal_forwarded_signals(sigset_t *set);

/* A socketpair standing in for --console-socket: [0] stays with husk, [1] goes to the
 * process that makes the pty. Both ends close-on-exec and above stdio. */
int terminal_socketpair(int fds[2], struct husk_error **err);

/* Receive the pty master that console_send_fd sent. With nonblock, -EAGAIN (and no error
 * set) when none is there: the process had no terminal. */
int terminal_recv_master(int sock, bool nonblock, struct husk_error **err);

/* The window size of fd (husk's stdin) when it is a terminal that has one. */
bool terminal_size(int fd, unsigned *ret_rows, unsigned *ret_cols);

/* Give the pty behind master the window size of from (husk's stdin), if it has one. */
void terminal_copy_size(int from, int master);

/* Wait for the process (pid, its pidfd) to exit, forwarding the signals above, and with
 * master >= 0 proxy it: stdin raw (when a terminal) → master → stdout, SIGWINCH → new size.
 * Returns its exit status, 128+N when signal N killed it. */
int terminal_wait(int master, pid_t pid, int pidfd, struct husk_error **err);
