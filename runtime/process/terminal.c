/* terminal.c: the foreground side of a container's terminal when husk itself holds the pty
 * master (`run` and `exec` without --console-socket): raw mode on the caller's terminal, the
 * copy loop, SIGWINCH, signal forwarding, and the wait for the process. */
#include "terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"

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

/* One round of copying after poll: stdin → pending → master, master → stdout. pf[2] is the
 * master's entry, pf[3] stdin's. A master that hung up (every slave fd closed) is closed. */
static void proxy_pump(struct proxy *p, const struct pollfd pf[4]) {
  if (pf[3].revents)
    pump_stdin(p, pf[3].revents);
  if (p->master >= 0 && p->n_pending)
    flush_pending(p);
  if (p->master >= 0 && (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) && !pump_master(p))
    closep(&p->master);
}

static int proxy_poll(const struct proxy *p, int sfd, int other, struct pollfd pf[4]) {
  /* 0: signals, 1: the process or the socket, 2: the master, 3: stdin; -1 is skipped. */
  pf[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
  pf[1] = (struct pollfd){.fd = other, .events = POLLIN};
  pf[2] = (struct pollfd){.fd = p->master, .events = POLLIN | (p->n_pending ? POLLOUT : 0)};
  pf[3] = (struct pollfd){
      .fd = p->master >= 0 && p->stdin_open && !p->n_pending ? STDIN_FILENO : -1, .events = POLLIN};
  int n;
  do
    n = poll(pf, 4, -1);
  while (n < 0 && errno == EINTR);
  return n;
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
  return wait_status_code(wstatus);
}

static void proxy_take_master(struct proxy *p, int master, struct raw_mode *raw) {
  p->master = master;
  p->stdin_open = true;
  if (raw->fd < 0)
    raw_mode_enter(STDIN_FILENO, raw);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
}

int terminal_wait(int master, pid_t pid, int pidfd, struct husk_error **err) {
  sigset_t set;
  terminal_forwarded_signals(&set);
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    return husk_error_sys(err, "signalfd");
  struct proxy p = {.master = -1};
  __attribute__((cleanup(raw_mode_leave))) struct raw_mode raw = {.fd = -1};
  if (master >= 0)
    proxy_take_master(&p, fcntl(master, F_DUPFD_CLOEXEC, 3), &raw);
  for (;;) {
    struct pollfd pf[4];
    if (proxy_poll(&p, sfd, pidfd, pf) < 0) {
      closep(&p.master);
      return husk_error_sys(err, "poll");
    }
    /* Signals first: a SIGWINCH before the keys typed after it. */
    if (pf[0].revents & POLLIN)
      handle_signal(sfd, pidfd, p.master);
    proxy_pump(&p, pf);
    if (pf[1].revents) {
      if (p.master >= 0)
        drain_master(&p);
      closep(&p.master);
      return reap(pid, err);
    }
  }
}

/* The helper of a foreground `run`, "husk:tty": waits for a pty master on the socket (one per
 * start of the container), proxies it until it hangs up, and leaves when the socket closes
 * (run is done), at SIGTERM or SIGHUP, or when run dies — restoring the terminal each time. */
static _Noreturn void proxy_main(int sock) {
  prctl(PR_SET_NAME, "husk:tty", 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  struct raw_mode raw = {.fd = -1};
  struct proxy p = {.master = -1};
  for (bool done = sfd < 0 || getppid() == 1; !done;) {
    struct pollfd pf[4];
    if (proxy_poll(&p, sfd, p.master < 0 ? sock : -1, pf) < 0)
      break;
    struct signalfd_siginfo si;
    if ((pf[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
      if (si.ssi_signo != SIGWINCH)
        break;
      if (p.master >= 0)
        terminal_copy_size(STDIN_FILENO, p.master);
    }
    if (pf[1].revents) {
      int master = terminal_recv_master(sock, false, NULL);
      if (master < 0)
        break; /* the socket closed: run is done */
      proxy_take_master(&p, master, &raw);
    }
    proxy_pump(&p, pf);
  }
  if (p.master >= 0)
    drain_master(&p);
  raw_mode_leave(&raw);
  _exit(0);
}

int terminal_proxy_start(struct terminal_proxy *ret, struct husk_error **err) {
  int fds[2];
  int r = terminal_socketpair(fds, err);
  if (r < 0)
    return r;
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    return husk_error_errno(err, e, "fork");
  }
  if (pid == 0) {
    close(fds[1]);
    proxy_main(fds[0]);
  }
  close(fds[0]);
  /* Before run's monitor can reap it: a pidfd stays valid for waiting after that. */
  ret->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  ret->pid = pid;
  ret->create_fd = fds[1];
  return 0;
}

void terminal_proxy_finish(struct terminal_proxy *p) {
  closep(&p->create_fd);
  if (p->pid <= 0)
    return;
  struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
  /* It leaves once the socket has closed and the container's pty hung up; a pty some other
   * process still holds must not keep run from returning. */
  if (p->pidfd >= 0 && poll(&pf, 1, 2000) == 0)
    kill(p->pid, SIGTERM);
  if (p->pidfd >= 0)
    poll(&pf, 1, 2000);
  waitpid(p->pid, NULL, p->pidfd >= 0 ? WNOHANG : 0);
  closep(&p->pidfd);
  p->pid = -1;
}

void terminal_size_patch(json_t **patch, int fd) {
  unsigned rows, cols;
  if (!terminal_size(fd, &rows, &cols))
    return;
  if (!*patch)
    *patch = json_object();
  json_t *size = json_pack("{s:{s:{s:i, s:i}}}", "process", "consoleSize", "height", (int)rows,
                           "width", (int)cols);
  json_object_update_recursive(*patch, size);
  json_decref(size);
}
