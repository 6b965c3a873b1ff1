/* console.h: a container's terminal. With --console-socket the init makes a pty inside the
 * container, sends the master to the socket (SCM_RIGHTS, runc's protocol) and makes the
 * slave its controlling terminal and stdio. */
#pragma once

#include <stdbool.h>

struct husk_error;
struct spec_process;

/* Parent, before clone: connect to the AF_UNIX socket the engine listens on. */
int console_socket_connect(const char *path, struct husk_error **err);

/* Init, after pivot_root (so /dev/ptmx is the container's): allocate the pty, bind it over
 * /dev/console (bind_console: the init, not exec), send its master over socket_fd, and take
 * the slave as the controlling terminal and fds 0, 1, 2. */
int console_setup(int socket_fd, const struct spec_process *proc, bool bind_console,
                  struct husk_error **err);

/* Send one fd with a name as payload over an AF_UNIX socket. */
int console_send_fd(int socket_fd, int fd, const char *name, struct husk_error **err);
