/* pasta.h: `husk run --network pasta`: the container's new network namespace connected to the
 * outside by pasta (Debian's passt package), which gives it the host's addresses and routes
 * and carries its traffic through sockets of the host, with no bridge, no iptables and no
 * privileges beyond the namespace; published ports then go through pasta's own forwarding.
 * pasta runs as a daemon beside the container; its pid is kept in the state directory
 * (PASTA_PID_FILE), and it is stopped when the container is torn down. */
#pragma once

#include <sys/types.h>

struct husk_error;

#define PASTA_PID_FILE "pasta.pid"

/* Attach pasta to the network namespace of the container's init (created, not started), with
 * port_args (pasta's -t/-u options, NULL-terminated; may be NULL) as its forwarding. Returns
 * once the namespace is configured; on failure the error carries pasta's own message, and no
 * pasta is left. */
int pasta_start(const char *state_dir, int state_fd, pid_t init_pid, char *const *port_args,
                struct husk_error **err);

/* Stop the container's pasta, if it has one (a recorded pid that is still pasta). */
void pasta_stop(int state_fd);
