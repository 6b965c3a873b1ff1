/* console.c: the pty of a container with process.terminal, handed to the engine through
 * --console-socket. */
#include "console.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "spec/spec.h"

int console_socket_connect(const char *path, struct husk_error **err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path))
    return husk_error_set(err, ENAMETOOLONG, "--console-socket %s: path too long", path);
  strcpy(addr.sun_path, path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error_sys(err, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return husk_error_sys(err, "--console-socket %s: connect", path);
  return TAKE_FD(fd);
}

int console_send_fd(int socket_fd, int fd, const char *name, struct husk_error **err) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = control.buf,
                      .msg_controllen = sizeof(control.buf)};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  ssize_t r;
  do
    r = sendmsg(socket_fd, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  TRACE(r, "hand the pty master to the engine over the console socket",
        "sendmsg(%d, SCM_RIGHTS [%d], \"%s\")", socket_fd, fd, name);
  if (r < 0)
    return husk_error_sys(err, "send the pty master to the console socket");
  return 0;
}

static int open_pty(int *ret_master, int *ret_slave, struct husk_error **err) {
  _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  TRACE(master, "allocate the container's terminal in its own devpts", "open(\"/dev/ptmx\")");
  if (master < 0)
    return husk_error_sys(err, "open /dev/ptmx");
  if (unlockpt(master) < 0)
    return husk_error_sys(err, "unlockpt");
  /* TIOCGPTPEER opens the slave through the master, so no path lookup can be raced. */
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    char name[64];
    if (ptsname_r(master, name, sizeof(name)) != 0)
      return husk_error_sys(err, "ptsname");
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
      return husk_error_sys(err, "open %s", name);
  }
  *ret_master = TAKE_FD(master);
  *ret_slave = slave;
  return 0;
}

/* The runtime-spec binds the pty over the container's /dev/console (made as an empty file
 * when missing, never through a symlink), for the programs that open it: getty, systemd. */
static int bind_dev_console(int slave, struct husk_error **err) {
  _cleanup_close_ int made =
      open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (made < 0 && errno != EEXIST)
    return husk_error_sys(err, "create /dev/console");
  _cleanup_close_ int target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (target < 0 || fstat(target, &st) < 0)
    return husk_error_sys(err, "open /dev/console");
  if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
    return husk_error_set(err, EINVAL, "/dev/console: a %s, not a file to bind the pty on",
                          S_ISLNK(st.st_mode) ? "symlink" : "directory");
  char src[32], dst[32];
  snprintf(src, sizeof(src), "/proc/self/fd/%d", slave);
  snprintf(dst, sizeof(dst), "/proc/self/fd/%d", target);
  int r = mount(src, dst, NULL, MS_BIND, NULL);
  TRACE(r, "the container's /dev/console is its terminal (runtime-spec)",
        "mount(pty slave, \"/dev/console\", NULL, MS_BIND)");
  if (r < 0)
    return husk_error_sys(err, "bind the pty over /dev/console");
  return 0;
}

int console_setup(int socket_fd, const struct spec_process *proc, bool bind_console,
                  struct husk_error **err) {
  _cleanup_close_ int master = -1, slave = -1;
  int r = open_pty(&master, &slave, err);
  if (r < 0)
    return r;
  if (bind_console) {
    r = bind_dev_console(slave, err);
    if (r < 0)
      return r;
  }
  if (proc->has_console_size) {
    struct winsize ws = {.ws_row = (unsigned short)proc->console_height,
                         .ws_col = (unsigned short)proc->console_width};
    if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
      return husk_error_sys(err, "set the terminal size");
  }
  r = console_send_fd(socket_fd, master, "/dev/ptmx", err);
  if (r < 0)
    return r;
  r = setsid();
  TRACE(r, "a new session, so the pty can become its controlling terminal", "setsid()");
  if (r < 0)
    return husk_error_sys(err, "setsid");
  r = ioctl(slave, TIOCSCTTY, 0);
  TRACE(r, "make the pty the controlling terminal", "ioctl(%d, TIOCSCTTY, 0)", slave);
  if (r < 0)
    return husk_error_sys(err, "ioctl TIOCSCTTY");
  for (int fd = 0; fd < 3; fd++)
    if (dup3(slave, fd, 0) < 0)
      return husk_error_sys(err, "dup the pty onto fd %d", fd);
  return 0;
}
