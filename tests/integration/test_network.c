/* test_network.c: integration tests of `husk run`'s published ports and networks: a busybox
 * httpd published on 127.0.0.1 and fetched from the host with wget, 200 connections at once
 * and 100 MB both ways through the forwarder byte for byte, UDP from two peers, a port in use
 * refused with nothing left behind, a port picked by the kernel (`husk port`), the forward
 * surviving a restart of the container, --network none, host and private, and the bound
 * sockets kept out of the container. Only loopback and the containers' own namespaces carry
 * traffic. All of it is husk's own (runc has no run -p): against another runtime it is
 * skipped. */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A bundle whose process is netecho (tests/integration/netecho.c) on port in the container. */
static char *echo_bundle(const char *name, const char *proto, int port) {
  char *bundle = h_bundle_new(name);
  const char *bin = getenv("HUSK_NETECHO");
  ck_assert_msg(bin && *bin, "HUSK_NETECHO is not set");
  _h_free_ char *data = NULL;
  int in = open(bin, O_RDONLY | O_CLOEXEC);
  ck_assert_msg(in >= 0, "open %s", bin);
  _h_free_ char *dst = h_asprintf("%s/rootfs/bin/netecho", bundle);
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  ck_assert_int_ge(out, 0);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof(buf))) > 0)
    ck_assert_int_eq(write(out, buf, (size_t)n), n);
  close(in);
  close(out);
  _h_json_ json_t *config = h_config_load(bundle);
  _h_free_ char *port_text = h_asprintf("%d", port);
  h_config_set(config, "process.args", json_pack("[s, s, s]", "/bin/netecho", proto, port_text));
  h_config_save(bundle, config);
  return bundle;
}

static int tcp_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* One byte there and back through the forward: the service in the container answers. */
static bool echo_once(int port) {
  int fd = tcp_connect(port);
  if (fd < 0)
    return false;
  struct timeval tv = {.tv_sec = 2};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char c = 0;
  bool ok = write(fd, "x", 1) == 1 && read(fd, &c, 1) == 1 && c == 'x';
  close(fd);
  return ok;
}

static bool wait_echo(int port, int timeout_ms) {
  for (long long end = h_now_ms() + timeout_ms; h_now_ms() < end; h_sleep_ms(50))
    if (echo_once(port))
      return true;
  return false;
}

/* The host port `husk port ID PORT` names, on 127.0.0.1. */
static int host_port(const char *id, const char *private_port) {
  _h_result_ struct h_result r = h_rt("port", id, private_port, NULL);
  ck_assert_msg(r.status == 0, "port %s %s: %d %s", id, private_port, r.status, r.err);
  const char *colon = strrchr(r.out, ':');
  ck_assert_msg(colon && strncmp(r.out, "127.0.0.1:", 10) == 0, "port: %s", r.out);
  return atoi(colon + 1);
}

/* run -d --name id [args...] bundle; it must start. */
static void run_detached(const char *id, const char *bundle, const char *a1, const char *a2,
                         const char *a3, const char *a4) {
  const char *argv[12] = {"run", "-d", "--name", id};
  int n = 4;
  const char *extra[] = {a1, a2, a3, a4};
  for (int i = 0; i < 4 && extra[i]; i++)
    argv[n++] = extra[i];
  argv[n++] = bundle;
  argv[n] = NULL;
  _h_result_ struct h_result r = h_rt(argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6],
                                      argv[7], argv[8], argv[9], NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
}

/* A container of netecho on ctr_port, published on 127.0.0.1 at a port the kernel picks, and
 * answering there: that port (*ret_id: the container, freed by the caller). */
static int published_echo(const char *name, int ctr_port, char **ret_id) {
  _h_free_ char *bundle = echo_bundle(name, "tcp", ctr_port);
  *ret_id = h_id_new(name);
  _h_free_ char *spec = h_asprintf("127.0.0.1::%d", ctr_port);
  _h_free_ char *udp = h_asprintf("127.0.0.1::%d/udp", ctr_port + 1);
  run_detached(*ret_id, bundle, "-p", spec, "-p", udp);
  _h_free_ char *which = h_asprintf("%d", ctr_port);
  int port = host_port(*ret_id, which);
  ck_assert_msg(wait_echo(port, 10000), "the echo service never answered on %d", port);
  return port;
}

/* busybox wget of url from the host until it prints want; false after timeout_ms. */
static bool wget_gets(const char *url, const char *want, int timeout_ms) {
  char *argv[] = {"/bin/busybox", "wget", "-q", "-O-", (char *)url, NULL};
  for (long long end = h_now_ms() + timeout_ms; h_now_ms() < end; h_sleep_ms(100)) {
    _h_result_ struct h_result r = h_proc_wait(h_spawn(argv, -1), 10000);
    if (r.status == 0 && strcmp(r.out, want) == 0)
      return true;
  }
  return false;
}

/* A free port on 127.0.0.1 now (the kernel's pick; free again once closed). */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

START_TEST(test_publish_http_fetched_with_wget) {
  if (!h_is_husk())
    return;
  char *bundle = h_bundle_cmd("http", "mkdir -p /www && echo hello-through-the-port > "
                                      "/www/index.html && exec httpd -f -p 8000 -h /www");
  _h_free_ char *b = bundle;
  _h_free_ char *id = h_id_new("http");
  int port = free_port();
  _h_free_ char *spec = h_asprintf("127.0.0.1:%d:8000", port);
  run_detached(id, bundle, "-p", spec, NULL, NULL);
  _h_free_ char *url = h_asprintf("http://127.0.0.1:%d/index.html", port);
  ck_assert_msg(wget_gets(url, "hello-through-the-port\n", 10000), "wget %s never got the page",
                url);
  _h_result_ struct h_result p = h_rt("port", id, NULL);
  _h_free_ char *want = h_asprintf("8000/tcp -> 127.0.0.1:%d\n", port);
  ck_assert_str_eq(p.out, want);
  _h_json_ json_t *st = h_state(id);
  json_t *ports = json_object_get(json_object_get(st, "husk"), "ports");
  ck_assert_msg(json_array_size(ports) == 1 && json_integer_value(json_object_get(
                                                   json_array_get(ports, 0), "hostPort")) == port,
                "state's husk.ports: %s", json_dumps(ports, 0));
}
END_TEST

/* 200 clients at once, each sending its own 8 KiB and reading exactly it back. */
START_TEST(test_publish_200_concurrent_connections) {
  if (!h_is_husk())
    return;
  _h_free_ char *id = NULL;
  int port = published_echo("conc", 7000, &id);
  enum { N = 200, LEN = 8192 };
  static int fds[N];
  static char sent[N][LEN], got[N][LEN];
  static size_t n_sent[N], n_got[N];
  for (int i = 0; i < N; i++) {
    for (int k = 0; k < LEN; k++)
      sent[i][k] = (char)((i * 31 + k * 7) & 0xff);
    fds[i] = tcp_connect(port);
    ck_assert_msg(fds[i] >= 0, "connection %d refused", i);
    fcntl(fds[i], F_SETFL, O_NONBLOCK);
    n_sent[i] = n_got[i] = 0;
  }
  int done = 0;
  long long end = h_now_ms() + 60000;
  while (done < N && h_now_ms() < end) {
    struct pollfd p[N];
    for (int i = 0; i < N; i++)
      p[i] = (struct pollfd){.fd = n_got[i] == LEN ? -1 : fds[i],
                             .events = (short)(POLLIN | (n_sent[i] < LEN ? POLLOUT : 0))};
    poll(p, N, 1000);
    for (int i = 0; i < N; i++) {
      if (p[i].revents & POLLOUT) {
        ssize_t w = write(fds[i], sent[i] + n_sent[i], LEN - n_sent[i]);
        if (w > 0)
          n_sent[i] += (size_t)w;
      }
      if (p[i].revents & (POLLIN | POLLHUP)) {
        ssize_t r = read(fds[i], got[i] + n_got[i], LEN - n_got[i]);
        ck_assert_msg(r > 0, "connection %d ended after %zu bytes", i, n_got[i]);
        n_got[i] += (size_t)r;
        if (n_got[i] == LEN)
          done++;
      }
    }
  }
  ck_assert_msg(done == N, "%d of %d connections came back whole", done, N);
  for (int i = 0; i < N; i++) {
    ck_assert_msg(memcmp(sent[i], got[i], LEN) == 0, "connection %d got other bytes", i);
    close(fds[i]);
  }
}
END_TEST

/* 100 MB into the container and back at once, compared byte for byte; then the half-close:
 * the client's FIN reaches the service, whose FIN comes back. */
START_TEST(test_publish_100mb_both_ways) {
  if (!h_is_husk())
    return;
  _h_free_ char *id = NULL;
  int port = published_echo("big", 7001, &id);
  int fd = tcp_connect(port);
  ck_assert_int_ge(fd, 0);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  const size_t total = 100u << 20;
  size_t out = 0, in = 0;
  uint32_t wseed = 12345, rseed = 12345;
  char wbuf[65536], rbuf[65536];
  size_t wlen = 0, woff = 0;
  bool shut = false, eof = false;
  size_t first_bad = SIZE_MAX;
  long long end = h_now_ms() + 120000;
  while (!eof && h_now_ms() < end) {
    struct pollfd p = {.fd = fd, .events = (short)(POLLIN | (out < total ? POLLOUT : 0))};
    poll(&p, 1, 1000);
    if ((p.revents & POLLOUT) && out < total) {
      if (woff == wlen) { /* the next chunk of a reproducible stream */
        wlen = total - out < sizeof(wbuf) ? total - out : sizeof(wbuf);
        for (size_t k = 0; k < wlen; k++)
          wseed = wseed * 1103515245u + 12345u, wbuf[k] = (char)(wseed >> 16);
        woff = 0;
      }
      ssize_t w = write(fd, wbuf + woff, wlen - woff);
      if (w > 0)
        woff += (size_t)w, out += (size_t)w;
    }
    if (out == total && !shut)
      shut = shutdown(fd, SHUT_WR) == 0;
    if (p.revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(fd, rbuf, sizeof(rbuf));
      if (r == 0)
        eof = true;
      for (ssize_t k = 0; k < r; k++) { /* (a check per byte would cost seconds) */
        rseed = rseed * 1103515245u + 12345u;
        if (rbuf[k] != (char)(rseed >> 16) && first_bad == SIZE_MAX)
          first_bad = in + (size_t)k;
      }
      if (r > 0)
        in += (size_t)r;
    }
  }
  close(fd);
  ck_assert_msg(out == total && in == total && eof, "sent %zu, got back %zu of %zu (eof %d)", out,
                in, total, eof);
  ck_assert_msg(first_bad == SIZE_MAX, "byte %zu came back different", first_bad);
}
END_TEST

START_TEST(test_publish_udp_two_peers) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = echo_bundle("udp", "udp", 7002);
  _h_free_ char *id = h_id_new("udp");
  run_detached(id, bundle, "-p", "127.0.0.1::7002/udp", NULL, NULL);
  int port = host_port(id, "7002/udp");
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int peers[2];
  for (int i = 0; i < 2; i++) {
    peers[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_usec = 200000};
    setsockopt(peers[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  /* The service may not be up yet: datagrams are lost until it is, so ask again. */
  for (int i = 0; i < 2; i++) {
    char msg[32], back[64];
    snprintf(msg, sizeof(msg), "datagram from peer %d", i);
    bool answered = false;
    for (long long end = h_now_ms() + 10000; !answered && h_now_ms() < end;) {
      sendto(peers[i], msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to));
      ssize_t n = recv(peers[i], back, sizeof(back), 0);
      answered = n == (ssize_t)strlen(msg) && memcmp(back, msg, (size_t)n) == 0;
    }
    ck_assert_msg(answered, "peer %d got no echo through %d/udp", i, port);
  }
  /* Each peer its own flow: interleaved, each gets only its own back. */
  for (int round = 0; round < 20; round++)
    for (int i = 0; i < 2; i++) {
      char msg[32], back[64];
      snprintf(msg, sizeof(msg), "%d:%d", i, round);
      sendto(peers[i], msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to));
      ssize_t n = recv(peers[i], back, sizeof(back), 0);
      ck_assert_msg(n == (ssize_t)strlen(msg) && memcmp(back, msg, (size_t)n) == 0,
                    "peer %d round %d: %zd bytes", i, round, n);
    }
  close(peers[0]);
  close(peers[1]);
}
END_TEST

/* Docker's wording, before anything is made: no state, no process, no mount, no cgroup. */
START_TEST(test_publish_port_in_use_refused) {
  if (!h_is_husk())
    return;
  int taken = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ck_assert_int_eq(bind(taken, (struct sockaddr *)&a, sizeof(a)), 0);
  ck_assert_int_eq(listen(taken, 1), 0);
  ck_assert_int_eq(getsockname(taken, (struct sockaddr *)&a, &len), 0);
  int port = ntohs(a.sin_port);
  _h_free_ char *bundle = h_bundle_cmd("inuse", "sleep 100");
  _h_free_ char *id = h_id_new("inuse");
  int mounts = h_mount_count();
  _h_free_ char *spec = h_asprintf("127.0.0.1:%d:80", port);
  /* and a free port before it, which must be let go again */
  int other_port = free_port();
  _h_free_ char *other = h_asprintf("127.0.0.1:%d:81", other_port);
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "-p", other, "-p", spec, bundle, NULL);
  ck_assert_msg(r.status != 0, "run -d with a port in use succeeded");
  _h_free_ char *want =
      h_asprintf("Bind for 127.0.0.1:%d/tcp failed: port is already allocated", port);
  ck_assert_msg(strstr(r.err, want), "stderr: %s", r.err);
  ck_assert_msg(!h_state_dir_exists(id), "a state directory was left");
  ck_assert_msg(!h_process_mentions(id), "a process was left");
  ck_assert_msg(!h_cgroup_exists(id), "a cgroup was left");
  ck_assert_int_eq(h_mount_count(), mounts);
  int again = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in b = {.sin_family = AF_INET, .sin_port = htons((uint16_t)other_port)};
  b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_msg(bind(again, (struct sockaddr *)&b, sizeof(b)) == 0, "port %d is still bound",
                other_port);
  close(again);
  close(taken);
}
END_TEST

START_TEST(test_publish_bad_values) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_cmd("badp", "true");
  const char *bad[][2] = {{"80/sctp", "invalid proto: sctp"},
                          {"127.0.0.1:99999:80", "invalid hostPort: 99999"},
                          {"x", "invalid containerPort: x"},
                          {"1.2.3:80:80", "invalid IP address: 1.2.3"},
                          {"8000-8002:80-81", "invalid ranges"}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    _h_free_ char *id = h_id_new("badp");
    _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "-p", bad[i][0], bundle, NULL);
    ck_assert_msg(r.status != 0 && strstr(r.err, bad[i][1]), "-p %s: %d %s", bad[i][0], r.status,
                  r.err);
    ck_assert_msg(!h_state_dir_exists(id), "-p %s left a state directory", bad[i][0]);
  }
  /* Docker: none conflicts with publishing; host discards the ports with a warning. */
  _h_free_ char *id = h_id_new("badp");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "--network", "none", "-p", "8000", bundle, NULL);
  ck_assert_msg(r.status != 0 && strstr(r.err, "conflicting options"), "none: %d %s", r.status,
                r.err);
  ck_assert_msg(!h_state_dir_exists(id), "--network none -p left a state directory");
  _h_result_ struct h_result n =
      h_rt("run", "-d", "--name", id, "--network", "bogus", bundle, NULL);
  ck_assert_msg(n.status != 0 && strstr(n.err, "--network"), "bogus: %d %s", n.status, n.err);
}
END_TEST

/* The service dies and is brought back (--health-on-failure restart): the same host port
 * reaches the new container, in its new network namespace. */
START_TEST(test_publish_survives_restart) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = echo_bundle("restart", "tcp", 7003);
  _h_free_ char *id = h_id_new("restart");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "-p", "127.0.0.1::7003", "--health-cmd",
           "test ! -e /tmp/fail", "--health-interval", "200ms", "--health-retries", "1",
           "--health-on-failure", "restart", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  int port = host_port(id, "7003");
  ck_assert_msg(wait_echo(port, 10000), "the echo service never answered on %d", port);
  pid_t before = h_state_pid(id);
  _h_result_ struct h_result e = h_rt("exec", id, "touch", "/tmp/fail", NULL);
  ck_assert_msg(e.status == 0, "exec: %s", e.err);
  pid_t after = before;
  for (long long end = h_now_ms() + 20000; h_now_ms() < end && (after == before || after <= 0);
       h_sleep_ms(100))
    after = h_state_pid(id);
  ck_assert_msg(after > 0 && after != before, "the container was not restarted");
  ck_assert_msg(wait_echo(port, 10000), "no echo through %d after the restart", port);
}
END_TEST

/* --restart always brings the service back after it died (killed from outside, not by husk,
 * so no manual stop): the same host port reaches the new one. */
START_TEST(test_publish_survives_restart_always) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = echo_bundle("always", "tcp", 7006);
  _h_free_ char *id = h_id_new("always");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "-p", "127.0.0.1::7006", "--restart", "always", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  int port = host_port(id, "7006");
  ck_assert_msg(wait_echo(port, 10000), "the echo service never answered on %d", port);
  pid_t before = h_state_pid(id);
  ck_assert_int_eq(kill(before, SIGKILL), 0);
  pid_t after = before;
  for (long long end = h_now_ms() + 20000; h_now_ms() < end && (after == before || after <= 0);
       h_sleep_ms(50))
    after = h_state_pid(id);
  ck_assert_msg(after > 0 && after != before, "--restart always did not bring it back");
  ck_assert_msg(wait_echo(port, 10000), "no echo through %d after the restart", port);
  _h_result_ struct h_result s = h_rt("stop", "-t", "0", id, NULL);
  ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
}
END_TEST

/* Nothing of the host side is in the container: its processes see no socket husk bound. */
START_TEST(test_publish_sockets_not_in_container) {
  if (!h_is_husk())
    return;
  _h_free_ char *id = NULL;
  published_echo("fds", 7004, &id); /* a TCP port and a UDP one */
  /* pid 1 has its listening socket, and nothing else but stdio */
  _h_result_ struct h_result r =
      h_rt("exec", id, "sh", "-c", "ls -l /proc/1/fd | grep -c socket", NULL);
  ck_assert_msg(r.status == 0 && strcmp(r.out, "1\n") == 0, "sockets of pid 1: %s %s", r.out,
                r.err);
}
END_TEST

static char *own_netns(void) {
  char buf[64] = {0};
  ck_assert_int_gt(readlink("/proc/self/ns/net", buf, sizeof(buf) - 1), 0);
  return strdup(buf);
}

START_TEST(test_network_modes) {
  if (!h_is_husk())
    return;
  _h_free_ char *host_ns = own_netns();
  /* a bundle without a network namespace of its own */
  _h_free_ char *bundle = h_bundle_cmd("modes", "readlink /proc/self/ns/net; cat /proc/net/dev");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_remove_namespace(config, "network");
  h_config_save(bundle, config);
  const char *modes[] = {"host", "private", "none"};
  for (size_t i = 0; i < 3; i++) {
    _h_free_ char *id = h_id_new("modes");
    _h_result_ struct h_result r = h_rt("run", "--network", modes[i], "--name", id, bundle, NULL);
    ck_assert_msg(r.status == 0, "--network %s: %d %s", modes[i], r.status, r.err);
    bool shared = strncmp(r.out, host_ns, strlen(host_ns)) == 0;
    ck_assert_msg(shared == (i == 0), "--network %s: namespace %s (host %s)", modes[i], r.out,
                  host_ns);
    if (i > 0) /* its own: lo and nothing else */
      ck_assert_msg(strstr(r.out, "lo:") && !strstr(r.out, "eth0"), "--network %s: %s", modes[i],
                    r.out);
  }
  /* without --network the config decides, and -p wants a namespace to publish into */
  _h_free_ char *id = h_id_new("modes");
  _h_result_ struct h_result r = h_rt("run", "-d", "--name", id, "-p", "8000", bundle, NULL);
  ck_assert_msg(r.status != 0 && strstr(r.err, "--network private"), "-p on the host's: %d %s",
                r.status, r.err);
  ck_assert_msg(!h_state_dir_exists(id), "a state directory was left");
  _h_result_ struct h_result w =
      h_rt("run", "--network", "host", "-p", "8000", "--name", id, bundle, NULL);
  ck_assert_msg(w.status == 0 && strstr(w.err, "Published ports are discarded"), "host -p: %d %s",
                w.status, w.err);
}
END_TEST

/* pasta gives the container the host's addresses and a way out: here only to the host itself
 * (with pasta:--map-gw pasta maps the gateway's address to the host's loopback), to a busybox
 * httpd the test runs on 127.0.0.1; -p goes through pasta's own forwarding; and by default
 * pasta maps nothing of the host's loopback (--no-map-gw). */
START_TEST(test_network_pasta) {
  if (!h_is_husk() || access("/usr/bin/pasta", X_OK) != 0)
    return;
  _h_free_ char *www = h_dir_new("pasta-www");
  _h_free_ char *page = h_asprintf("%s/page", www);
  h_write(page, "served-by-the-host\n");
  int hport = free_port();
  _h_free_ char *listen_on = h_asprintf("127.0.0.1:%d", hport);
  char *httpd[] = {"/bin/busybox", "httpd", "-f", "-p", listen_on, "-h", www, NULL};
  struct h_proc *server = h_spawn(httpd, -1);
  _h_free_ char *cmd = h_asprintf(
      "gw=$(ip route | awk '/^default/ {print $3}'); grep -v ' lo:' /proc/net/dev | grep -q : "
      "|| exit 3; "
      "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://$gw:%d/page && exit 0; "
      "sleep 0.2; done; exit 4",
      hport);
  _h_free_ char *bundle = h_bundle_cmd("pasta", cmd);
  _h_free_ char *id = h_id_new("pasta");
  /* (pasta:--map-gw: by default the host's own services are out of reach, as with podman) */
  _h_result_ struct h_result r =
      h_rt("run", "--network", "pasta:--map-gw", "--name", id, bundle, NULL);
  ck_assert_msg(r.status == 0 && strcmp(r.out, "served-by-the-host\n") == 0,
                "--network pasta: %d out %s err %s", r.status, r.out, r.err);
  /* published through pasta */
  _h_free_ char *svc = h_bundle_cmd("pasta-p", "mkdir -p /www && echo through-pasta > "
                                               "/www/index.html && exec httpd -f -p 8000 -h /www");
  _h_free_ char *sid = h_id_new("pasta-p");
  int port = free_port();
  _h_free_ char *spec = h_asprintf("127.0.0.1:%d:8000", port);
  run_detached(sid, svc, "--network", "pasta", "-p", spec);
  _h_free_ char *url = h_asprintf("http://127.0.0.1:%d/index.html", port);
  ck_assert_msg(wget_gets(url, "through-pasta\n", 10000),
                "wget %s never got the page through pasta", url);
  _h_free_ char *pid_file = h_asprintf("%s/%s/pasta.pid", h_state_root(), sid);
  _h_free_ char *pasta_pid = h_read(pid_file);
  ck_assert_msg(pasta_pid, "no pasta.pid");
  _h_free_ char *cmdline_path = h_asprintf("/proc/%d/cmdline", atoi(pasta_pid));
  _h_free_ char *cmdline = NULL;
  size_t cmdline_len = 0;
  FILE *cf = fopen(cmdline_path, "re");
  ck_assert_msg(cf, "pasta %s is not running", pasta_pid);
  ck_assert_int_ne(getdelim(&cmdline, &cmdline_len, 0x7f, cf), -1); /* the whole, NULs and all */
  long got = ftell(cf);
  fclose(cf);
  bool no_map_gw = false;
  for (long i = 0; i < got; i += (long)strlen(cmdline + i) + 1)
    no_map_gw |= strcmp(cmdline + i, "--no-map-gw") == 0;
  ck_assert_msg(no_map_gw, "pasta runs without --no-map-gw by default");
  /* pasta goes with the container */
  _h_result_ struct h_result d = h_rt("delete", "--force", sid, NULL);
  ck_assert_msg(d.status == 0, "delete: %s", d.err);
  /* (its monitor, which stops pasta too, may take a moment longer to end) */
  bool gone = false;
  for (long long end = h_now_ms() + 10000; !gone && h_now_ms() < end; h_sleep_ms(20))
    gone = !h_process_mentions(sid);
  ck_assert_msg(gone, "a pasta (or its monitor) was left for %s", sid);
  _h_result_ struct h_result s = h_proc_wait(server, 0);
}
END_TEST

/* The "done when", as a new user runs the course's Python service: a bundle whose
 * /usr is the host's (read-only; python3 and requests from Debian), the service as "appuser"
 * with -m, -e, an --env-file secret, -p on 127.0.0.1 and the HEALTHCHECK the course writes
 * (requests.get('http://localhost:8000/health')): it turns healthy, and the host gets its
 * /health through the published port. */
START_TEST(test_course_service) {
  if (!h_is_husk() || access("/usr/bin/python3", X_OK) != 0 ||
      access("/usr/lib/python3/dist-packages/requests", F_OK) != 0)
    return;
  _h_free_ char *bundle = h_bundle_new("course");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_add_mount(config, "/usr", "bind", "/usr", "rbind", "ro", NULL);
  h_config_set(config, "process.args",
               json_pack("[s, s, s]", "/usr/bin/python3", "-u", "/app/main.py"));
  h_config_save(bundle, config);
  _h_free_ char *lib = h_asprintf("%s/rootfs/lib", bundle),
                *lib64 = h_asprintf("%s/rootfs/lib64", bundle);
  ck_assert_int_eq(symlink("usr/lib", lib), 0);
  ck_assert_int_eq(symlink("usr/lib64", lib64), 0);
  _h_free_ char *usr = h_asprintf("%s/rootfs/usr", bundle),
                *app = h_asprintf("%s/rootfs/app", bundle);
  mkdir(usr, 0755);
  ck_assert_int_eq(mkdir(app, 0755), 0);
  _h_free_ char *passwd = h_asprintf("%s/rootfs/etc/passwd", bundle);
  _h_free_ char *old = h_read(passwd);
  _h_free_ char *more = h_asprintf("%sappuser:x:1001:1001::/app:/bin/sh\n", old);
  h_write(passwd, more);
  _h_free_ char *group = h_asprintf("%s/rootfs/etc/group", bundle);
  _h_free_ char *gold = h_read(group);
  _h_free_ char *gmore = h_asprintf("%sappuser:x:1001:\n", gold);
  h_write(group, gmore);
  _h_free_ char *main_py = h_asprintf("%s/main.py", app);
  h_write(main_py, "import http.server, json, os\n"
                   "assert os.environ['API_KEY'], 'no API_KEY'\n"
                   "class H(http.server.BaseHTTPRequestHandler):\n"
                   "    def do_GET(self):\n"
                   "        body = json.dumps({'status': 'ok', 'user': os.getuid(),\n"
                   "                           'log_level': os.environ['LOG_LEVEL']}).encode()\n"
                   "        self.send_response(200 if self.path == '/health' else 404)\n"
                   "        self.end_headers()\n"
                   "        self.wfile.write(body)\n"
                   "print('serving on 8000')\n"
                   "http.server.HTTPServer(('0.0.0.0', 8000), H).serve_forever()\n");
  _h_free_ char *secrets = h_asprintf("%s/secrets.env", bundle);
  h_write(secrets, "# the service's secrets\nAPI_KEY=course-secret-1234\n");
  _h_free_ char *id = h_id_new("course");
  int port = free_port();
  _h_free_ char *spec = h_asprintf("127.0.0.1:%d:8000", port);
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "-u", "appuser", "-m", "2g", "-e", "LOG_LEVEL=INFO",
           "--env-file", secrets, "-p", spec, "--health-cmd",
           "python3 -c \"import requests; "
           "requests.get('http://localhost:8000/health').raise_for_status()\"",
           "--health-interval", "1s", "--wait-healthy=60s", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  _h_free_ char *url = h_asprintf("http://127.0.0.1:%d/health", port);
  char *argv[] = {"/bin/busybox", "wget", "-q", "-O-", url, NULL};
  _h_result_ struct h_result w = h_proc_wait(h_spawn(argv, -1), 10000);
  ck_assert_msg(w.status == 0 && strstr(w.out, "\"status\": \"ok\"") &&
                    strstr(w.out, "\"user\": 1001") && strstr(w.out, "\"log_level\": \"INFO\""),
                "wget %s: %d %s %s", url, w.status, w.out, w.err);
  _h_result_ struct h_result st = h_rt("state", id, NULL);
  ck_assert_msg(!strstr(st.out, "course-secret-1234"), "the secret shows in husk state");
}
END_TEST

int main(void) {
  Suite *s = suite_create("network");
  TCase *tc = h_tcase("network");
  tcase_add_test(tc, test_publish_http_fetched_with_wget);
  tcase_add_test(tc, test_publish_200_concurrent_connections);
  tcase_add_test(tc, test_publish_100mb_both_ways);
  tcase_add_test(tc, test_publish_udp_two_peers);
  tcase_add_test(tc, test_publish_port_in_use_refused);
  tcase_add_test(tc, test_publish_bad_values);
  tcase_add_test(tc, test_publish_survives_restart);
  tcase_add_test(tc, test_publish_survives_restart_always);
  tcase_add_test(tc, test_publish_sockets_not_in_container);
  tcase_add_test(tc, test_network_modes);
  tcase_add_test(tc, test_network_pasta);
  tcase_add_test(tc, test_course_service);
  suite_add_tcase(s, tc);
  return h_main(s);
}
