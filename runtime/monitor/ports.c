/* ports.c: published ports (ports.h): -p's syntax, binding the host side, and the forwarder
 * the monitor runs, TCP through splice and UDP through a flow per peer. */
#include "ports.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"

void port_list_free(struct port_list *l) {
  free(l->v);
  *l = (struct port_list){0};
}

const char *port_proto_name(int proto) { return proto == IPPROTO_UDP ? "udp" : "tcp"; }

void port_host_text(const struct port_mapping *p, char *buf, size_t size) {
  const char *ip = p->host_ip[0] ? p->host_ip : p->family == AF_INET6 ? "::" : "0.0.0.0";
  if (p->family == AF_INET6)
    snprintf(buf, size, "[%s]:%u", ip, p->host_port);
  else
    snprintf(buf, size, "%s:%u", ip, p->host_port);
}

/* ---- -p ---- */

/* "N" or "N-M", 1..65535 (0 too where zero means "any"); *ret_len ports from *ret_first. */
static int parse_range(const char *text, size_t len, bool zero_ok, uint16_t *ret_first,
                       size_t *ret_n) {
  uint32_t v[2] = {0, 0};
  int k = 0;
  size_t digits = 0;
  for (size_t i = 0; i < len; i++) {
    if (isdigit((unsigned char)text[i])) {
      v[k] = v[k] * 10 + (uint32_t)(text[i] - '0');
      if (v[k] > 65535 || ++digits > 5)
        return -EINVAL;
    } else if (text[i] == '-' && k == 0 && digits > 0) {
      k = 1, digits = 0;
    } else {
      return -EINVAL;
    }
  }
  if (digits == 0)
    return -EINVAL;
  if (k == 0)
    v[1] = v[0];
  if (v[1] < v[0] || (!zero_ok && v[0] == 0) || (v[0] == 0 && k == 1))
    return -EINVAL;
  *ret_first = (uint16_t)v[0];
  *ret_n = v[1] - v[0] + 1;
  return 0;
}

int port_parse(const char *text, struct port_list *l, struct husk_error **err) {
  struct port_mapping m = {.proto = IPPROTO_TCP, .family = AF_INET};
  const char *slash = strrchr(text, '/');
  size_t spec_len = slash ? (size_t)(slash - text) : strlen(text);
  if (slash) {
    if (strcasecmp(slash + 1, "udp") == 0) /* Docker lowercases it */
      m.proto = IPPROTO_UDP;
    else if (strcasecmp(slash + 1, "tcp") != 0)
      return husk_error_set(err, EINVAL, "-p %s: invalid proto: %s", text, slash + 1);
  }
  /* Split into [IP:][HOSTPORT:]CONTAINERPORT from the right; an IPv6 address is in brackets. */
  const char *ip = NULL, *host = NULL, *ctr = text;
  size_t ip_len = 0, host_len = 0, ctr_len = spec_len;
  const char *last = memrchr(text, ':', spec_len);
  if (last) {
    ctr = last + 1;
    ctr_len = spec_len - (size_t)(ctr - text);
    const char *prev = last > text ? memrchr(text, ':', (size_t)(last - text)) : NULL;
    if (text[0] == '[') {
      const char *close = memchr(text, ']', spec_len);
      if (!close || close + 1 > last || (close + 1 != last && close[1] != ':'))
        return husk_error_set(err, EINVAL, "-p %s: invalid IP address", text);
      ip = text + 1, ip_len = (size_t)(close - text - 1);
      host = close + 1 == last ? last : close + 2;
      host_len = (size_t)(last - host);
    } else if (prev) {
      ip = text, ip_len = (size_t)(prev - text);
      host = prev + 1, host_len = (size_t)(last - prev - 1);
    } else {
      host = text, host_len = (size_t)(last - text);
    }
  }
  if (ip_len >= sizeof(m.host_ip))
    return husk_error_set(err, EINVAL, "-p %s: invalid IP address: %.*s", text, (int)ip_len, ip);
  if (ip && ip_len > 0) {
    memcpy(m.host_ip, ip, ip_len);
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, m.host_ip, addr) == 1)
      m.family = AF_INET;
    else if (inet_pton(AF_INET6, m.host_ip, addr) == 1)
      m.family = AF_INET6;
    else
      return husk_error_set(err, EINVAL, "-p %s: invalid IP address: %s", text, m.host_ip);
  }
  uint16_t c_first, h_first = 0;
  size_t c_n, h_n = 0;
  if (parse_range(ctr, ctr_len, false, &c_first, &c_n) < 0)
    return husk_error_set(err, EINVAL, "-p %s: invalid containerPort: %.*s", text, (int)ctr_len,
                          ctr);
  if (host && host_len > 0 && parse_range(host, host_len, true, &h_first, &h_n) < 0)
    return husk_error_set(err, EINVAL, "-p %s: invalid hostPort: %.*s", text, (int)host_len, host);
  if (h_n > 0 && h_n != c_n && !(h_n == 1 && h_first == 0))
    return husk_error_set(err, EINVAL,
                          "-p %s: invalid ranges specified for container and host Ports: %.*s "
                          "and %.*s",
                          text, (int)ctr_len, ctr, (int)host_len, host);
  l->v = xrealloc(l->v, (l->n + c_n) * sizeof(*l->v));
  for (size_t i = 0; i < c_n; i++) {
    m.container_port = (uint16_t)(c_first + i);
    m.host_port = h_first ? (uint16_t)(h_first + i) : 0;
    l->v[l->n++] = m;
  }
  return 0;
}

/* ---- the host side ---- */

static socklen_t make_addr(int family, const char *ip, uint16_t port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_any;
    if (ip && *ip)
      inet_pton(AF_INET6, ip, &a->sin6_addr);
    return sizeof(*a);
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  a->sin_addr.s_addr = htonl(INADDR_ANY);
  if (ip && *ip)
    inet_pton(AF_INET, ip, &a->sin_addr);
  return sizeof(*a);
}

static int bind_one(struct port_mapping *p, struct husk_error **err) {
  bool tcp = p->proto == IPPROTO_TCP;
  int fd = socket(p->family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error_sys(err, "socket");
  int one = 1;
  /* As docker-proxy (Go's listeners): a port whose last connections linger in TIME_WAIT can be
   * bound again. Not for UDP, where it would let two containers share a port. */
  if (tcp)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (p->family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  struct sockaddr_storage ss;
  socklen_t len = make_addr(p->family, p->host_ip, p->host_port, &ss);
  int r = bind(fd, (struct sockaddr *)&ss, len);
  TRACE(r, "bind a published port's host side", "bind(%d, %s:%u)", fd,
        p->host_ip[0] ? p->host_ip : "*", p->host_port);
  if (r == 0 && tcp)
    r = listen(fd, SOMAXCONN);
  if (r == 0 && p->host_port == 0) {
    len = sizeof(ss);
    r = getsockname(fd, (struct sockaddr *)&ss, &len);
    p->host_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                  : ((struct sockaddr_in *)&ss)->sin_port);
  }
  if (r < 0) {
    int e = errno;
    close(fd);
    char where[INET6_ADDRSTRLEN + 16];
    port_host_text(p, where, sizeof(where));
    if (e == EADDRINUSE)
      return husk_error_set(err, e, "-p: Bind for %s/%s failed: port is already allocated", where,
                            port_proto_name(p->proto));
    return husk_error_errno(err, e, "-p: bind %s/%s", where, port_proto_name(p->proto));
  }
  return fd;
}

int ports_bind(struct port_list *l, int **ret_fds, struct husk_error **err) {
  int *fds = xcalloc(l->n ? l->n : 1, sizeof(int));
  for (size_t i = 0; i < l->n; i++) {
    fds[i] = bind_one(&l->v[i], err);
    if (fds[i] < 0) {
      int r = fds[i];
      while (i-- > 0)
        close(fds[i]);
      free(fds);
      return r;
    }
  }
  *ret_fds = fds;
  return 0;
}

json_t *ports_to_json(const struct port_list *l) {
  json_t *a = json_array();
  for (size_t i = 0; i < l->n; i++) {
    const struct port_mapping *p = &l->v[i];
    json_array_append_new(
        a, json_pack("{s:s, s:s, s:i, s:i}", "protocol", port_proto_name(p->proto), "hostIp",
                     p->host_ip[0]           ? p->host_ip
                     : p->family == AF_INET6 ? "::"
                                             : "0.0.0.0",
                     "hostPort", p->host_port, "containerPort", p->container_port));
  }
  return a;
}

int ports_from_json(const json_t *j, struct port_list *ret, struct husk_error **err) {
  *ret = (struct port_list){0};
  if (!json_is_array(j))
    return husk_error_set(err, EINVAL, "ports: expected an array");
  ret->v = xcalloc(json_array_size(j) + 1, sizeof(*ret->v));
  size_t i;
  json_t *e;
  json_array_foreach(j, i, e) {
    const char *proto = NULL, *ip = NULL;
    int host = 0, ctr = 0;
    struct port_mapping *p = &ret->v[i];
    if (json_unpack(e, "{s:s, s:s, s:i, s:i}", "protocol", &proto, "hostIp", &ip, "hostPort", &host,
                    "containerPort", &ctr) < 0 ||
        strlen(ip) >= sizeof(p->host_ip) || host < 0 || host > 65535 || ctr < 1 || ctr > 65535) {
      port_list_free(ret);
      return husk_error_set(err, EINVAL, "ports[%zu]: not a port mapping", i);
    }
    p->proto = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
    p->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    snprintf(p->host_ip, sizeof(p->host_ip), "%s", ip);
    p->host_port = (uint16_t)host;
    p->container_port = (uint16_t)ctr;
    ret->n++;
  }
  return 0;
}

/* ---- the forwarder ---- */

/* An epoll index: what (the top 4 bits) and which. */
enum { KIND_LISTENER = 1, KIND_CONN = 2, KIND_FLOW = 3 };
#define INDEX(kind, n) ((uint32_t)(kind) << 28 | (uint32_t)(n))
#define INDEX_KIND(i) ((i) >> 28)
#define INDEX_N(i) ((i)&0x0fffffffu)

/* One direction of a TCP connection: from one socket into a pipe, from the pipe to the other. */
struct half {
  int pipe[2];
  size_t queued; /* bytes in the pipe */
  bool eof;      /* the source said it sends no more */
  bool shut;     /* and the destination was told (shutdown SHUT_WR) */
};

struct conn {
  int fd[2];           /* 0: the client's (host side), 1: the container's */
  struct half half[2]; /* 0: client to container, 1: back */
  bool connecting;     /* fd[1]'s connect is in progress */
};

struct flow {
  int fd; /* connected to the container's port, inside its namespace */
  size_t listener;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  int64_t last; /* the last datagram either way */
};

struct port_forwarder {
  struct port_list l;
  int *fds; /* the host side, one per mapping */
  int epfd;
  uint64_t tag;
  int netns, host_netns;
  int spare_fd; /* given up to accept and refuse a connection when out of fds */
  struct conn **conns;
  size_t n_conns;
  struct flow **flows;
  size_t n_flows, live_flows;
  struct rlimit nofile;
  bool nofile_raised;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int watch(struct port_forwarder *f, int fd, uint32_t index, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.u64 = f->tag | index};
  return epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void unwatch_close(struct port_forwarder *f, int *fd) {
  if (*fd < 0)
    return;
  epoll_ctl(f->epfd, EPOLL_CTL_DEL, *fd, NULL);
  close(*fd);
  *fd = -1;
}

static void raise_limits(struct port_forwarder *f);

int forwarder_new(const struct port_list *l, int *fds, int epfd, uint64_t tag,
                  struct port_forwarder **ret, struct husk_error **err) {
  struct port_forwarder *f = xcalloc(1, sizeof(*f));
  f->l.v = xcalloc(l->n + 1, sizeof(*l->v));
  if (l->n)
    memcpy(f->l.v, l->v, l->n * sizeof(*l->v));
  f->l.n = l->n;
  f->fds = fds;
  f->epfd = epfd;
  f->tag = tag;
  f->netns = -1;
  f->host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  f->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (f->host_netns < 0) {
    int e = errno;
    forwarder_free(f);
    return husk_error_errno(err, e, "open /proc/self/ns/net");
  }
  for (size_t i = 0; i < l->n; i++)
    if (watch(f, fds[i], INDEX(KIND_LISTENER, i), EPOLLIN) < 0) {
      int e = errno;
      forwarder_free(f);
      return husk_error_errno(err, e, "epoll_ctl");
    }
  raise_limits(f);
  *ret = f;
  return 0;
}

/* Six fds a connection (two sockets, two pipes): the default soft limit of 1024 would allow
 * only some 170 at once. */
static void raise_limits(struct port_forwarder *f) {
  if (!f || getrlimit(RLIMIT_NOFILE, &f->nofile) < 0 || f->nofile.rlim_cur >= f->nofile.rlim_max)
    return;
  struct rlimit raised = {.rlim_cur = f->nofile.rlim_max, .rlim_max = f->nofile.rlim_max};
  if (raised.rlim_cur > (1 << 20))
    raised.rlim_cur = 1 << 20;
  f->nofile_raised = setrlimit(RLIMIT_NOFILE, &raised) == 0;
}

static void restore_limits(const struct port_forwarder *f);

void forwarder_close_in_child(struct port_forwarder *f) {
  if (!f)
    return;
  /* close() only: the epoll instance is shared with the parent, EPOLL_CTL_DEL would change
   * the monitor's. */
  for (size_t i = 0; i < f->n_conns; i++)
    for (int s = 0; f->conns[i] && s < 2; s++) {
      close(f->conns[i]->fd[s]);
      close(f->conns[i]->half[s].pipe[0]);
      close(f->conns[i]->half[s].pipe[1]);
    }
  for (size_t i = 0; i < f->n_flows; i++)
    if (f->flows[i])
      close(f->flows[i]->fd);
  for (size_t i = 0; i < f->l.n; i++)
    close(f->fds[i]);
  restore_limits(f);
}

static void restore_limits(const struct port_forwarder *f) {
  if (f && f->nofile_raised)
    setrlimit(RLIMIT_NOFILE, &f->nofile);
}

static void conn_free(struct port_forwarder *f, size_t n, bool reset) {
  struct conn *c = f->conns[n];
  if (!c)
    return;
  for (int s = 0; s < 2; s++) {
    if (reset && c->fd[s] >= 0) /* an RST, as a refused or broken connection gives */
      setsockopt(c->fd[s], SOL_SOCKET, SO_LINGER, &(struct linger){.l_onoff = 1, .l_linger = 0},
                 sizeof(struct linger));
    unwatch_close(f, &c->fd[s]);
    closep(&c->half[s].pipe[0]);
    closep(&c->half[s].pipe[1]);
  }
  free(c);
  f->conns[n] = NULL;
}

static void flow_free(struct port_forwarder *f, size_t n) {
  if (!f->flows[n])
    return;
  unwatch_close(f, &f->flows[n]->fd);
  free(f->flows[n]);
  f->flows[n] = NULL;
  f->live_flows--;
}

void forwarder_free(struct port_forwarder *f) {
  if (!f)
    return;
  for (size_t i = 0; i < f->n_conns; i++)
    conn_free(f, i, false);
  for (size_t i = 0; i < f->n_flows; i++)
    flow_free(f, i);
  free(f->conns);
  free(f->flows);
  for (size_t i = 0; f->fds && i < f->l.n; i++)
    unwatch_close(f, &f->fds[i]);
  free(f->fds);
  port_list_free(&f->l);
  closep(&f->netns);
  closep(&f->host_netns);
  closep(&f->spare_fd);
  free(f);
}

void forwarder_set_netns(struct port_forwarder *f, int netns_fd) {
  closep(&f->netns);
  f->netns = netns_fd;
  /* The sockets made in the old namespace are the old container's: its connections end with
   * it (a reset, as when docker-proxy stops with its container), its UDP flows too. */
  for (size_t i = 0; i < f->n_conns; i++)
    conn_free(f, i, true);
  for (size_t i = 0; i < f->n_flows; i++)
    flow_free(f, i);
}

/* A socket made in the container's network namespace, connected (or connecting) to the port
 * on its loopback: 127.0.0.1 whatever the host side's family, as Docker reaches a container's
 * IPv4 address (most services listen on 0.0.0.0, not on [::]). */
static int container_socket(struct port_forwarder *f, const struct port_mapping *p) {
  if (f->netns < 0)
    return -ENOTCONN;
  if (setns(f->netns, CLONE_NEWNET) < 0)
    return -errno;
  int fd = socket(
      AF_INET, (p->proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
      0);
  int e = errno;
  /* Back at once: everything else the monitor does is in the host's namespace, and a monitor
   * left in the container's would publish into itself and keep a dead namespace alive. */
  if (setns(f->host_netns, CLONE_NEWNET) < 0) {
    log_error("the monitor could not return to its network namespace: %s", strerror(errno));
    abort();
  }
  if (fd < 0)
    return -e;
  struct sockaddr_storage ss;
  socklen_t len = make_addr(AF_INET, "127.0.0.1", p->container_port, &ss);
  if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
    e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

static size_t free_slot(void ***slots, size_t *n) {
  for (size_t i = 0; i < *n; i++)
    if (!(*slots)[i])
      return i;
  size_t grown = *n ? *n * 2 : 16;
  *slots = xrealloc(*slots, grown * sizeof(void *));
  memset(*slots + *n, 0, (grown - *n) * sizeof(void *));
  size_t first = *n;
  *n = grown;
  return first;
}

static void refuse(int fd) {
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){.l_onoff = 1, .l_linger = 0},
             sizeof(struct linger));
  close(fd);
}

static void pump_conn(struct port_forwarder *f, size_t n);

static void accept_tcp(struct port_forwarder *f, size_t li) {
  for (int round = 0; round < 64; round++) {
    int client = accept4(f->fds[li], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0 && (errno == EMFILE || errno == ENFILE) && f->spare_fd >= 0) {
      /* Out of fds: refuse this one rather than leave it to wake us up again and again. */
      closep(&f->spare_fd);
      client = accept4(f->fds[li], NULL, NULL, SOCK_CLOEXEC);
      if (client >= 0)
        refuse(client);
      f->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      return;
    }
    if (client < 0)
      return; /* EAGAIN: all taken; anything else: the client gave up meanwhile */
    int inner = container_socket(f, &f->l.v[li]);
    if (inner < 0) {
      refuse(client);
      continue;
    }
    struct conn *c = xcalloc(1, sizeof(*c));
    c->fd[0] = client;
    c->fd[1] = inner;
    c->connecting = true;
    bool ok = true;
    for (int s = 0; s < 2; s++)
      ok = pipe2(c->half[s].pipe, O_NONBLOCK | O_CLOEXEC) == 0 && ok;
    if (!ok) {
      for (int s = 0; s < 2; s++) {
        closep(&c->half[s].pipe[0]);
        closep(&c->half[s].pipe[1]);
      }
      refuse(client);
      close(inner);
      free(c);
      continue;
    }
    int one = 1, idle = 15;
    for (int s = 0; s < 2; s++)
      setsockopt(c->fd[s], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* A client that vanished is noticed, as Go's 15 s keep-alive lets docker-proxy notice. */
    setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(client, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(client, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
    size_t n = free_slot((void ***)&f->conns, &f->n_conns);
    f->conns[n] = c;
    /* Edge-triggered: each wake-up moves what it can both ways until the kernel says EAGAIN. */
    for (int s = 0; s < 2; s++)
      watch(f, c->fd[s], INDEX(KIND_CONN, n * 2 + (size_t)s),
            EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  }
}

/* What moving one direction's bytes came to. */
enum pump_result {
  PUMP_WAIT,         /* until the kernel has more, or room for it */
  PUMP_SOURCE_BROKE, /* reading failed (a reset): the other side gets one too */
  PUMP_DEST_BROKE,   /* writing failed: nobody takes this direction's bytes any more */
};

/* Move what one direction can. */
static enum pump_result pump(struct half *h, int src, int dst) {
  for (;;) {
    if (h->queued > 0) {
      ssize_t n = splice(h->pipe[0], NULL, dst, NULL, h->queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        h->queued -= (size_t)n;
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      return n < 0 && errno == EAGAIN ? PUMP_WAIT : PUMP_DEST_BROKE;
    }
    if (h->eof) {
      if (!h->shut && shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
        return PUMP_DEST_BROKE;
      h->shut = true;
      return PUMP_WAIT;
    }
    /* Only into an empty pipe: an EAGAIN then means the socket has nothing, not a full pipe. */
    ssize_t n = splice(src, NULL, h->pipe[1], NULL, 1 << 16, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0)
      h->queued = (size_t)n;
    else if (n == 0)
      h->eof = true;
    else if (errno == EAGAIN)
      return PUMP_WAIT;
    else if (errno != EINTR)
      return PUMP_SOURCE_BROKE;
  }
}

/* Both directions; a direction whose destination went away ends alone (a server that answers
 * an upload it refuses and closes still gets its answer through, as with docker-proxy). */
static void pump_conn(struct port_forwarder *f, size_t n) {
  struct conn *c = f->conns[n];
  for (int d = 0; d < 2; d++) {
    struct half *h = &c->half[d];
    if (h->shut)
      continue;
    enum pump_result r = pump(h, c->fd[d], c->fd[1 - d]);
    if (r == PUMP_SOURCE_BROKE) {
      conn_free(f, n, true);
      return;
    }
    if (r == PUMP_DEST_BROKE) {
      h->eof = h->shut = true;
      h->queued = 0; /* what the pipe holds is for nobody now: the conn's end frees it */
      shutdown(c->fd[d], SHUT_RD);
    }
  }
  if (c->half[0].shut && c->half[1].shut)
    conn_free(f, n, false);
}

static void conn_event(struct port_forwarder *f, size_t n, int side, uint32_t events) {
  if (n >= f->n_conns || !f->conns[n])
    return;
  struct conn *c = f->conns[n];
  if (c->connecting) {
    if (side != 1)
      return; /* the client's data waits in its socket until the container answered */
    int e = 0;
    socklen_t len = sizeof(e);
    if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0) {
      conn_free(f, n, true); /* nothing listens there: the client sees a reset */
      return;
    }
    if (!(events & EPOLLOUT))
      return;
    c->connecting = false;
  }
  pump_conn(f, n);
}

/* ---- UDP ---- */

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family)
    return false;
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
  }
  const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
  return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static struct flow *flow_for(struct port_forwarder *f, size_t li,
                             const struct sockaddr_storage *peer, socklen_t peer_len) {
  size_t oldest = SIZE_MAX;
  for (size_t i = 0; i < f->n_flows; i++) {
    struct flow *fl = f->flows[i];
    if (!fl)
      continue;
    if (fl->listener == li && same_peer(&fl->peer, peer))
      return fl;
    if (oldest == SIZE_MAX || fl->last < f->flows[oldest]->last)
      oldest = i;
  }
  if (f->live_flows >= PORTS_UDP_MAX_FLOWS && oldest != SIZE_MAX)
    flow_free(f, oldest);
  int fd = container_socket(f, &f->l.v[li]);
  if (fd < 0)
    return NULL;
  size_t n = free_slot((void ***)&f->flows, &f->n_flows);
  struct flow *fl = xcalloc(1, sizeof(*fl));
  *fl = (struct flow){.fd = fd, .listener = li, .peer = *peer, .peer_len = peer_len};
  f->flows[n] = fl;
  f->live_flows++;
  watch(f, fd, INDEX(KIND_FLOW, n), EPOLLIN);
  return fl;
}

static void udp_in(struct port_forwarder *f, size_t li) {
  static char buf[65536];
  for (int round = 0; round < 64; round++) {
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    ssize_t n = recvfrom(f->fds[li], buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);
    if (n < 0)
      return;
    struct flow *fl = flow_for(f, li, &peer, len);
    if (!fl)
      continue; /* no container running: dropped, as the network would */
    fl->last = now_ns();
    send(fl->fd, buf, (size_t)n, MSG_DONTWAIT);
  }
}

static void udp_back(struct port_forwarder *f, size_t n) {
  static char buf[65536];
  struct flow *fl = n < f->n_flows ? f->flows[n] : NULL;
  for (int round = 0; fl && round < 64; round++) {
    ssize_t len = recv(fl->fd, buf, sizeof(buf), 0);
    if (len < 0)
      return; /* EAGAIN, or ECONNREFUSED: nothing listened for the last one */
    fl->last = now_ns();
    sendto(f->fds[fl->listener], buf, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&fl->peer,
           fl->peer_len);
  }
}

int64_t forwarder_deadline(const struct port_forwarder *f) {
  int64_t at = INT64_MAX;
  for (size_t i = 0; f && i < f->n_flows; i++)
    if (f->flows[i] && f->flows[i]->last + PORTS_UDP_IDLE_NS < at)
      at = f->flows[i]->last + PORTS_UDP_IDLE_NS;
  return at;
}

void forwarder_timer(struct port_forwarder *f, int64_t now) {
  for (size_t i = 0; f && i < f->n_flows; i++)
    if (f->flows[i] && f->flows[i]->last + PORTS_UDP_IDLE_NS <= now)
      flow_free(f, i);
}

void forwarder_event(struct port_forwarder *f, uint32_t index, uint32_t events) {
  size_t n = INDEX_N(index);
  switch (INDEX_KIND(index)) {
  case KIND_LISTENER:
    if (n < f->l.n && f->l.v[n].proto == IPPROTO_TCP)
      accept_tcp(f, n);
    else if (n < f->l.n)
      udp_in(f, n);
    break;
  case KIND_CONN: conn_event(f, n / 2, (int)(n % 2), events); break;
  case KIND_FLOW: udp_back(f, n); break;
  default: break;
  }
}
