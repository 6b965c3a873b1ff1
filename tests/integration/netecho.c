/* netecho.c: an echo service put into test containers (linked statically: it runs in the
 * busybox rootfs), for the published-port tests; busybox has no UDP server and no concurrent
 * TCP echo.
 *   netecho tcp PORT [ADDR]   every connection's bytes back to it, many connections at once
 *   netecho udp PORT [ADDR]   every datagram back to its sender
 * It listens on ADDR, by default 0.0.0.0 (inside a container's own network namespace);
 * scripts/bench also runs it on the host's 127.0.0.1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *address = "0.0.0.0";

static int bound(int type, int port) {
  int fd = socket(AF_INET, type, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, address, &a.sin_addr);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
    perror("netecho: bind");
    exit(1);
  }
  return fd;
}

static void echo_conn(int fd) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(fd, buf + off, (size_t)(n - off));
      if (w <= 0)
        _exit(1);
      off += w;
    }
  }
  shutdown(fd, SHUT_WR);
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4 || (strcmp(argv[1], "tcp") != 0 && strcmp(argv[1], "udp") != 0)) {
    fprintf(stderr, "usage: netecho tcp|udp PORT [ADDR]\n");
    return 2;
  }
  if (argc == 4)
    address = argv[3];
  int port = atoi(argv[2]);
  if (strcmp(argv[1], "udp") == 0) {
    int fd = bound(SOCK_DGRAM, port);
    char buf[65536];
    for (;;) {
      struct sockaddr_storage peer;
      socklen_t len = sizeof(peer);
      ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);
      if (n >= 0)
        sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, len);
    }
  }
  signal(SIGCHLD, SIG_IGN); /* the connections' children reap themselves */
  int fd = bound(SOCK_STREAM, port);
  listen(fd, 1024);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0)
      continue;
    if (fork() == 0) {
      close(fd);
      echo_conn(c);
    }
    close(c);
  }
}
