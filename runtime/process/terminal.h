/* terminal.h: a container process in the foreground of husk's caller (`run` and `exec`
 * without --console-socket): the pty master comes back to husk over a socketpair, the
 * caller's terminal goes raw, bytes are copied both ways, window size changes reach the pty,
 * signals reach the process, and the caller's terminal is restored on every way out. */
#pragma once

#include <jansson.h>
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

/* `run` in the foreground, whose monitor owns the wait: a helper process ("husk:tty") proxies
 * the container's terminal while it has one. create_fd is for create_options.terminal_fd; a
 * process without a terminal never uses it, and the helper just waits. */
struct terminal_proxy {
  pid_t pid; /* -1: none */
  int pidfd;
  int create_fd;
};
#define TERMINAL_PROXY_NONE                                                                        \
  { .pid = -1, .pidfd = -1, .create_fd = -1 }
int terminal_proxy_start(struct terminal_proxy *ret, struct husk_error **err);
/* Close create_fd and wait (a little) for the helper to restore the terminal and leave. */
void terminal_proxy_finish(struct terminal_proxy *p);

/* Add process.consoleSize with the size of fd's terminal to *patch (made when NULL), so a pty
 * starts with it before its process can ask; nothing when fd is no terminal. */
void terminal_size_patch(json_t **patch, int fd);
