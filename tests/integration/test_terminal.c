/* test_terminal.c: integration tests of terminals: a foreground `run` of a process with
 * process.terminal, and a foreground `exec -t`, on a pty this test holds (raw mode while it
 * runs, restored after, also when husk is killed; exit codes, window size and SIGWINCH), and
 * `exec -d -t --console-socket` handing the pty master over with process.consoleSize. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* The runtime on a pty of ours: its controlling terminal, stdin, stdout and stderr. */
struct on_pty {
  pid_t pid;
  int master;
  int slave; /* kept open here, to read the terminal's settings */
  char out[16384];
  size_t len;
};

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void spawn_on_pty(struct on_pty *t, unsigned short rows, unsigned short cols,
                         const char *arg, ...) {
  const char *argv[32] = {h_runtime(), "--root", h_state_root()};
  size_t n = 3;
  va_list ap;
  va_start(ap, arg);
  for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  memset(t, 0, sizeof(*t));
  t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ck_assert_int_ge(t->master, 0);
  ck_assert_int_eq(grantpt(t->master), 0);
  ck_assert_int_eq(unlockpt(t->master), 0);
  struct winsize ws = {.ws_row = rows, .ws_col = cols};
  ck_assert_int_eq(ioctl(t->master, TIOCSWINSZ, &ws), 0);
  const char *name = ptsname(t->master);
  ck_assert(name);
  t->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  ck_assert_int_ge(t->slave, 0);
  t->pid = fork();
  ck_assert_int_ge(t->pid, 0);
  if (t->pid == 0) {
    setsid();
    int fd = open(name, O_RDWR);
    if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 ||
        dup2(fd, 2) < 0)
      _exit(126);
    close_range(3, ~0U, 0);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
}

/* Collect output for up to ms, or until needle shows up (needle NULL: the whole time). */
static bool pty_read(struct on_pty *t, const char *needle, int ms) {
  for (int waited = 0; waited < ms; waited += 20) {
    if (needle && strstr(t->out, needle))
      return true;
    struct pollfd p = {.fd = t->master, .events = POLLIN};
    if (poll(&p, 1, 20) <= 0 || !(p.revents & POLLIN))
      continue;
    ssize_t n = read(t->master, t->out + t->len, sizeof(t->out) - t->len - 1);
    if (n > 0) {
      t->len += (size_t)n;
      t->out[t->len] = '\0';
    }
  }
  return needle && strstr(t->out, needle);
}

/* Wait for the runtime, reading its output meanwhile; its exit status, -1 on timeout. */
static int pty_wait(struct on_pty *t, int ms) {
  for (int waited = 0; waited < ms; waited += 20) {
    int st;
    if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
      pty_read(t, NULL, 100);
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    pty_read(t, NULL, 20);
  }
  kill(t->pid, SIGKILL);
  waitpid(t->pid, NULL, 0);
  return -1;
}

static void pty_write(struct on_pty *t, const char *s) {
  ck_assert_int_eq(write(t->master, s, strlen(s)), (ssize_t)strlen(s));
}

static void pty_close(struct on_pty *t) {
  close(t->master);
  close(t->slave);
}

static bool same_termios(const struct termios *a, const struct termios *b) {
  return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag &&
         a->c_lflag == b->c_lflag && memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc)) == 0;
}

static char *terminal_bundle(const char *name, json_t *args) {
  char *bundle = h_bundle_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "process.terminal", json_true());
  h_config_set(config, "process.args", args);
  h_config_save(bundle, config);
  return bundle;
}

/* `run` of a shell with a terminal: what is typed reaches it, its output comes back, husk
 * exits with its status, and the terminal is raw while it runs and as it was afterwards. */
START_TEST(test_run_terminal_shell) {
  _h_free_ char *bundle = terminal_bundle("shell", json_pack("[s]", "sh"));
  _h_free_ char *id = h_id_new("shell");
  struct on_pty t;
  struct termios before, during, after;
  spawn_on_pty(&t, 24, 80, "run", "--bundle", bundle, id, NULL);
  ck_assert_int_eq(tcgetattr(t.slave, &before), 0);
  /* Quoted so the echo of what is typed never matches what the shell prints. */
  pty_write(&t, "echo h''i; echo rea''dy\r");
  ck_assert_msg(pty_read(&t, "ready\r\n", 10000), "no output through the terminal: %s", t.out);
  ck_assert_int_eq(tcgetattr(t.slave, &during), 0);
  ck_assert_msg(!(during.c_lflag & (ICANON | ECHO)),
                "the terminal is not raw while the shell runs");
  ck_assert_msg(strstr(t.out, "\r\nhi\r\n"), "output: %s", t.out);
  pty_write(&t, "exit 3\r");
  int status = pty_wait(&t, 10000);
  ck_assert_msg(status == 3, "run: %d, output: %s", status, t.out);
  ck_assert_int_eq(tcgetattr(t.slave, &after), 0);
  ck_assert_msg(same_termios(&before, &after), "the terminal's settings were not restored");
  ck_assert_msg(!h_state_dir_exists(id), "run left the container behind");
  pty_close(&t);
}
END_TEST

/* The runtime-spec: with process.terminal, the container's /dev/console is its pty. */
START_TEST(test_run_terminal_dev_console) {
  _h_free_ char *bundle = terminal_bundle(
      "console", json_pack("[s, s, s]", "sh", "-c",
                           "[ /dev/console -ef /proc/self/fd/0 ] && echo console-is-pty; "
                           "echo written-to-console >/dev/console"));
  _h_free_ char *id = h_id_new("console");
  struct on_pty t;
  spawn_on_pty(&t, 24, 80, "run", "--bundle", bundle, id, NULL);
  int status = pty_wait(&t, 10000);
  ck_assert_msg(status == 0, "run: %d, output: %s", status, t.out);
  ck_assert_msg(strstr(t.out, "console-is-pty"), "output: %s", t.out);
  ck_assert_msg(strstr(t.out, "written-to-console"), "output: %s", t.out);
  pty_close(&t);
}
END_TEST

/* Even a husk killed outright leaves the terminal as it found it (its helper restores it). */
START_TEST(test_run_terminal_restored_after_kill) {
  /* runc restores the terminal itself, which a SIGKILL cuts short: husk only. */
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = terminal_bundle("killed", json_pack("[s]", "sh"));
  _h_free_ char *id = h_id_new("killed");
  struct on_pty t;
  struct termios before, during, after;
  spawn_on_pty(&t, 24, 80, "run", "--bundle", bundle, id, NULL);
  ck_assert_int_eq(tcgetattr(t.slave, &before), 0);
  pty_write(&t, "echo rea''dy\r");
  ck_assert_msg(pty_read(&t, "ready\r\n", 10000), "no output through the terminal: %s", t.out);
  ck_assert_int_eq(tcgetattr(t.slave, &during), 0);
  ck_assert_msg(!(during.c_lflag & ICANON), "the terminal is not raw while the shell runs");
  kill(t.pid, SIGKILL);
  waitpid(t.pid, NULL, 0);
  bool restored = false;
  for (int waited = 0; !restored && waited < 5000; waited += 50) {
    sleep_ms(50);
    ck_assert_int_eq(tcgetattr(t.slave, &after), 0);
    restored = same_termios(&before, &after);
  }
  ck_assert_msg(restored, "the terminal stayed raw after husk was killed");
  pty_close(&t);
}
END_TEST

/* The container's terminal starts with husk's size and follows its changes (SIGWINCH). */
START_TEST(test_run_terminal_resize) {
  _h_free_ char *bundle = terminal_bundle(
      "resize", json_pack("[s,s,s]", "sh", "-c", "stty size; read x; stty size; exit 0"));
  _h_free_ char *id = h_id_new("resize");
  struct on_pty t;
  spawn_on_pty(&t, 40, 123, "run", "--bundle", bundle, id, NULL);
  ck_assert_msg(pty_read(&t, "40 123", 10000), "initial size: %s", t.out);
  struct winsize ws = {.ws_row = 50, .ws_col = 132};
  ck_assert_int_eq(ioctl(t.master, TIOCSWINSZ, &ws), 0);
  sleep_ms(300);
  pty_write(&t, "\r");
  ck_assert_msg(pty_read(&t, "50 132", 10000), "size after the change: %s", t.out);
  int status = pty_wait(&t, 10000);
  ck_assert_msg(status == 0, "run: %d %s", status, t.out);
  pty_close(&t);
}
END_TEST

static char *sleeper(const char *name) {
  _h_free_ char *bundle = h_bundle_new(name);
  char *id = h_id_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, "sleep 300");
  h_config_save(bundle, config);
  _h_result_ struct h_result r = h_rt("run", "-d", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  return id;
}

START_TEST(test_exec_tty_foreground) {
  _h_free_ char *id = sleeper("exect");
  struct on_pty t;
  struct termios before, after;
  spawn_on_pty(&t, 33, 101, "exec", "-t", id, "sh", "-c", "tty; stty size; read x; exit 5", NULL);
  ck_assert_int_eq(tcgetattr(t.slave, &before), 0);
  ck_assert_msg(pty_read(&t, "33 101", 10000), "output: %s", t.out);
  ck_assert_msg(strstr(t.out, "/dev/pts/"), "tty inside: %s", t.out);
  pty_write(&t, "\r");
  int status = pty_wait(&t, 10000);
  ck_assert_msg(status == 5, "exec -t: %d %s", status, t.out);
  ck_assert_int_eq(tcgetattr(t.slave, &after), 0);
  ck_assert_msg(same_termios(&before, &after), "the terminal's settings were not restored");
  pty_close(&t);
}
END_TEST

/* docker exec -t: TERM=xterm when the process's environment has no TERM; one given (-e) or
 * the config's is kept; without -t none is added. runc adds nothing: husk only. */
START_TEST(test_exec_tty_sets_term) {
  if (!h_is_husk())
    return;
  char *bundle = h_bundle_new("execterm");
  _h_free_ char *id = h_id_new("execterm");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "process.env", json_pack("[s]", "PATH=/bin:/sbin:/usr/bin"));
  h_config_set_cmd(config, "sleep 300");
  h_config_save(bundle, config);
  _h_result_ struct h_result r = h_rt("run", "-d", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  free(bundle);
  struct on_pty t;
  spawn_on_pty(&t, 24, 80, "exec", "-t", id, "sh", "-c", "echo \"T=[$TERM]\"", NULL);
  ck_assert_int_eq(pty_wait(&t, 10000), 0);
  ck_assert_msg(strstr(t.out, "T=[xterm]"), "exec -t: %s", t.out);
  pty_close(&t);
  struct on_pty given;
  spawn_on_pty(&given, 24, 80, "exec", "-t", "-e", "TERM=vt100", id, "sh", "-c",
               "echo \"T=[$TERM]\"", NULL);
  ck_assert_int_eq(pty_wait(&given, 10000), 0);
  ck_assert_msg(strstr(given.out, "T=[vt100]"), "exec -t -e TERM=vt100: %s", given.out);
  pty_close(&given);
  _h_result_ struct h_result plain = h_rt("exec", id, "sh", "-c", "echo \"T=[$TERM]\"", NULL);
  ck_assert_str_eq(plain.out, "T=[]\n");
}
END_TEST

/* conmon's form: exec --detach --tty --console-socket with a process file. */
START_TEST(test_exec_console_socket) {
  _h_free_ char *dir = h_dir_new("execcons");
  _h_free_ char *id = sleeper("execcons");
  _h_free_ char *sock_path = NULL, *proc_path = NULL, *pid_file = NULL;
  ck_assert(asprintf(&sock_path, "%s/console.sock", dir) > 0);
  ck_assert(asprintf(&proc_path, "%s/process.json", dir) > 0);
  ck_assert(asprintf(&pid_file, "%s/exec.pid", dir) > 0);
  json_t *proc = json_pack("{s:b, s:{s:i, s:i}, s:[s,s,s], s:[s], s:s}", "terminal", 1,
                           "consoleSize", "height", 30, "width", 100, "args", "sh", "-c",
                           "tty; stty size; echo done-here", "env", "PATH=/bin", "cwd", "/");
  ck_assert_int_eq(json_dump_file(proc, proc_path, 0), 0);
  json_decref(proc);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, sock_path);
  ck_assert_int_eq(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
  ck_assert_int_eq(listen(listener, 1), 0);
  _h_result_ struct h_result r = h_rt("exec", "--pid-file", pid_file, "--process", proc_path,
                                      "--detach", "--tty", "--console-socket", sock_path, id, NULL);
  ck_assert_msg(r.status == 0, "exec: %d %s", r.status, r.err);
  int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  ck_assert_int_ge(conn, 0);
  int master = h_recv_fd(conn);
  ck_assert_msg(master >= 0, "no pty master on the console socket");
  struct on_pty t = {.master = master, .slave = -1};
  ck_assert_msg(pty_read(&t, "done-here", 10000), "output: %s", t.out);
  ck_assert_msg(strstr(t.out, "/dev/pts/"), "tty: %s", t.out);
  ck_assert_msg(strstr(t.out, "30 100"), "process.consoleSize not applied: %s", t.out);
  ck_assert_msg(h_exists(pid_file), "no pid file");
  close(master);
  close(conn);
  close(listener);
}
END_TEST

/* Off a terminal (stdin /dev/null here), run has no terminal to give the process. */
START_TEST(test_run_terminal_without_a_terminal) {
  _h_free_ char *bundle = terminal_bundle("notty", json_pack("[s,s,s]", "sh", "-c", "true"));
  _h_free_ char *id = h_id_new("notty");
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status != 0 && r.status != -1 && r.err[0], "run: %d %s", r.status, r.err);
  if (h_is_husk())
    ck_assert_msg(strstr(r.err, "--console-socket"), "stderr: %s", r.err);
  ck_assert_msg(!h_state_dir_exists(id), "run left the container behind");
}
END_TEST

/* runc's rules: a detached terminal needs a console socket, which is only for that. */
START_TEST(test_exec_terminal_rules) {
  _h_free_ char *id = sleeper("rules");
  _h_result_ struct h_result a = h_rt("exec", "-d", "-t", id, "true", NULL);
  ck_assert_msg(a.status != 0 && a.err[0], "exec -d -t without a console socket: %d", a.status);
  if (h_is_husk())
    ck_assert_msg(strstr(a.err, "--console-socket"), "stderr: %s", a.err);
  _h_result_ struct h_result b =
      h_rt("exec", "--console-socket", "/nonexistent.sock", id, "true", NULL);
  ck_assert_msg(b.status != 0 && b.err[0], "exec --console-socket without -d -t: %d", b.status);
}
END_TEST

int main(void) {
  Suite *s = suite_create("terminal");
  TCase *tc = h_tcase("terminal");
  tcase_add_test(tc, test_run_terminal_shell);
  tcase_add_test(tc, test_run_terminal_dev_console);
  tcase_add_test(tc, test_run_terminal_restored_after_kill);
  tcase_add_test(tc, test_run_terminal_resize);
  tcase_add_test(tc, test_run_terminal_without_a_terminal);
  tcase_add_test(tc, test_exec_tty_foreground);
  tcase_add_test(tc, test_exec_tty_sets_term);
  tcase_add_test(tc, test_exec_console_socket);
  tcase_add_test(tc, test_exec_terminal_rules);
  suite_add_tcase(s, tc);
  return h_main(s);
}
