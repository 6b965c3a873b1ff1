/* terminal.c: the foreground side of a container's terminal when husk itself holds the pty
 * master (`run` and `exec` without --console-socket): raw mode on the caller's terminal, the
 * copy loop, SIGWINCH, signal forwarding, and the wait for the process. */
#include "terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "utils.h"

/* What a shell user expects to reach the container rather than husk. */
static const int forwarded_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                        SIGALRM, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH};

void terminal_forwarded_signals(sigset_t *set) {
  sigemptyset(set);
  for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
    sigaddset(set, forwarded_signals[i]);
}

/* Move fd above stdio, so it can never be mistaken for one of the process's fds 0-2. */
static int above_stdio(int fd, struct husk_error **err) {
  if (fd > 2)
    return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int e = errno;
  close(fd);
  if (moved < 0)
    return husk_error_errno(err, e, "fcntl(F_DUPFD_CLOEXEC)");
  return moved;
}

int terminal_socketpair(int fds[2], struct husk_error **err) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    return husk_error_sys(err, "socketpair");
  _cleanup_close_ int a = above_stdio(pair[0], err);
  if (a < 0) {
    close(pair[1]);
    return a;
  }
  int b = above_stdio(pair[1], err);
  if (b < 0)
    return b;
  fds[0] = TAKE_FD(a);
  fds[1] = b;
  return 0;
}

int terminal_recv_master(int sock, bool nonblock, struct husk_error **err) {
  char name[64];
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = control.buf,
                      .msg_controllen = sizeof(control.buf)};
  ssize_t n;
  do
    n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | (nonblock ? MSG_DONTWAIT : 0));
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN && nonblock)
    return -EAGAIN;
  if (n < 0)
    return husk_error_sys(err, "receive the pty master");
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (n == 0 || !cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
    return husk_error_set(err, EPROTO, "receive the pty master: no file descriptor came");
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
  TRACE(fd, "the container's pty master, to copy the terminal's bytes through",
        "recvmsg(%d, SCM_RIGHTS)", sock);
  return fd;
}

bool terminal_size(int fd, unsigned *ret_rows, unsigned *ret_cols) {
  struct winsize ws;
  if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
    return false;
  *ret_rows = ws.ws_row;
  *ret_cols = ws.ws_col;
  return true;
}

void terminal_copy_size(int from, int master) {
  unsigned rows, cols;
  if (!terminal_size(from, &rows, &cols))
    return;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  int r = ioctl(master, TIOCSWINSZ, &ws);
  TRACE(r, "the container's terminal gets the size of husk's", "ioctl(%d, TIOCSWINSZ, {%u, %u})",
        master, rows, cols);
}

/* The caller's terminal in raw mode while the proxy runs: keys such as ^C go to the
 * container's pty as bytes, and its line discipline (not ours) echoes and edits. */
struct raw_mode {
  int fd;
  struct termios saved;
};

static void raw_mode_leave(struct raw_mode *m) {
  if (m->fd < 0)
    return;
  int r = tcsetattr(m->fd, TCSANOW, &m->saved);
  TRACE(r, "give the caller's terminal back its settings", "tcsetattr(%d, TCSANOW, saved)", m->fd);
  m->fd = -1;
}

static void raw_mode_enter(int fd, struct raw_mode *m) {
  m->fd = -1;
  if (!isatty(fd) || tcgetattr(fd, &m->saved) < 0)
    return;
  struct termios raw = m->saved;
  cfmakeraw(&raw);
  int r = tcsetattr(fd, TCSANOW, &raw);
  TRACE(r, "husk's terminal passes every key through to the container's",
        "tcsetattr(%d, TCSANOW, raw)", fd);
  if (r == 0)
    m->fd = fd;
}

static int exit_status(int wstatus) {
  if (WIFEXITED(wstatus))
    return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus))
    return 128 + WTERMSIG(wstatus);
  return 255;
}

/* The copy loop's state: stdin → pending → master, master → stdout. */
struct proxy {
  int master; /* -1: no terminal, or the pty was hung up */
  bool stdin_open;
  char pending[4096]; /* read from stdin, not yet written to the master */
  size_t n_pending, off_pending;
};

/* Copy what the master has to stdout; false once it has nothing more to give (EIO: every
 * slave fd is closed). */
static bool pump_master(struct proxy *p) {
  char buf[8192];
  ssize_t n = read(p->master, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  write_all(STDOUT_FILENO, buf, (size_t)n);
  return true;
}

static void pump_stdin(struct proxy *p, short revents) {
  if (p->n_pending == 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = read(STDIN_FILENO, p->pending, sizeof(p->pending));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      return;
    if (n <= 0) {
      p->stdin_open = false;
      return;
    }
    p->n_pending = (size_t)n;
    p->off_pending = 0;
  }
}

static void flush_pending(struct proxy *p) {
  while (p->n_pending > p->off_pending) {
    ssize_t n = write(p->master, p->pending + p->off_pending, p->n_pending - p->off_pending);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return; /* the pty is full: poll says when it takes more */
    if (n < 0) {
      p->n_pending = p->off_pending = 0;
      return;
    }
    p->off_pending += (size_t)n;
  }
  p->n_pending = p->off_pending = 0;
}

/* After the process exited: what it wrote may still be on its way through the pty. */
static void drain_master(struct proxy *p) {
  for (;;) {
    struct pollfd pf = {.fd = p->master, .events = POLLIN};
    int n = poll(&pf, 1, 100);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || !pump_master(p))
      return;
  }
}

static void handle_signal(int sfd, int pidfd, int master) {
  struct signalfd_siginfo si;
  if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
    return;
  if (si.ssi_signo == SIGWINCH && master >= 0) {
    terminal_copy_size(STDIN_FILENO, master);
    return;
  }
  long r = syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
  TRACE(r, "forward the signal husk received to the container's process",
        "pidfd_send_signal(%d, %u, NULL, 0)", pidfd, si.ssi_signo);
}

static int reap(pid_t pid, struct husk_error **err) {
  int wstatus;
  pid_t r;
  do
    r = waitpid(pid, &wstatus, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error_sys(err, "wait for process %d", pid);
  return exit_status(wstatus);
}

int terminal_wait(int master, pid_t pid, int pidfd, struct husk_error **err) {
  sigset_t set;
  terminal_forwarded_signals(&set);
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    return husk_error_sys(err, "signalfd");
  struct proxy p = {.master = master, .stdin_open = master >= 0};
  __attribute__((cleanup(raw_mode_leave))) struct raw_mode raw = {.fd = -1};
  if (master >= 0) {
    raw_mode_enter(STDIN_FILENO, &raw);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  }
  for (;;) {
    /* 0: signals, 1: the process, 2: the master, 3: stdin; a negative fd is skipped. */
    struct pollfd pf[4] = {
        {.fd = sfd, .events = POLLIN},
        {.fd = pidfd, .events = POLLIN},
        {.fd = p.master, .events = POLLIN | (p.n_pending ? POLLOUT : 0)},
        {.fd = p.stdin_open && !p.n_pending ? STDIN_FILENO : -1, .events = POLLIN},
    };
    if (poll(pf, 4, -1) < 0) {
      if (errno == EINTR)
        continue;
      return husk_error_sys(err, "poll");
    }
    /* Signals first: a SIGWINCH before the keys typed after it. */
    if (pf[0].revents & POLLIN)
      handle_signal(sfd, pidfd, p.master);
    if (pf[3].revents)
      pump_stdin(&p, pf[3].revents);
    if (p.master >= 0 && p.n_pending)
      flush_pending(&p);
    if (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      /* Hung up while the process lives (it closed its fds): stop copying, keep waiting. */
      if (!pump_master(&p))
        p.master = -1;
    }
    if (pf[1].revents) {
      if (p.master >= 0)
        drain_master(&p);
      return reap(pid, err);
    }
  }
}
