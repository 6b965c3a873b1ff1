/* ports.h: published ports (`husk run -p`), without iptables or a bridge. husk binds the host
 * side itself, before the container exists, so a port in use is an error with nothing made;
 * the monitor then forwards: for each TCP connection it accepted it makes a socket inside the
 * container's network namespace (a socket keeps the namespace it was made in, so a setns there
 * and back is all it takes; a rootless monitor needs CAP_SYS_ADMIN in its own user namespace
 * for it, which is the rootless work's to arrange), connects it to the container's loopback, and
 * moves the bytes both ways with splice through a pipe from its epoll loop. UDP goes through a flow
 * per peer, dropped after an idle timeout. */
#pragma once

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct husk_error;

/* One published port: a host address and port forwarded to a port of the container. */
struct port_mapping {
  int proto;                      /* IPPROTO_TCP or IPPROTO_UDP */
  int family;                     /* AF_INET or AF_INET6 */
  char host_ip[INET6_ADDRSTRLEN]; /* "": every address (0.0.0.0) */
  uint16_t host_port;             /* 0: a free one, chosen when bound (ports_bind) */
  uint16_t container_port;
};

struct port_list {
  struct port_mapping *v;
  size_t n;
};
void port_list_free(struct port_list *l);

/* Docker's -p: [[IP:][HOSTPORT]:]CONTAINERPORT[/tcp|/udp], ports or ranges (8000-8003); an
 * IPv6 address in brackets. Appends to l (a range gives one mapping per port). */
int port_parse(const char *text, struct port_list *l, struct husk_error **err);

/* "127.0.0.1:8080", "[::1]:8080" or "0.0.0.0:8080": the host side, as docker port shows it. */
void port_host_text(const struct port_mapping *p, char *buf, size_t size);
const char *port_proto_name(int proto);

/* Bind (and listen on, for TCP) every mapping's host side; a host_port of 0 gets the port the
 * kernel chose. ret_fds gets l->n fds (close-on-exec, non-blocking). On failure none is left
 * open, and the error names the mapping ("port is already allocated", as Docker says). */
int ports_bind(struct port_list *l, int **ret_fds, struct husk_error **err);

/* The list as ports.json in the state directory holds it, and back (`husk port`). */
json_t *ports_to_json(const struct port_list *l);
int ports_from_json(const json_t *j, struct port_list *ret, struct husk_error **err);

/* ---- the forwarder, in the monitor's epoll loop ---- */

struct port_forwarder;

/* Takes the bound fds (ports_bind's, one per mapping) and adds them to epfd, each event's
 * data.u64 being tag | a 32-bit index the forwarder reads back in forwarder_event. The list
 * is copied. Raises RLIMIT_NOFILE's soft limit to the hard one (each connection costs six
 * fds); forwarder_close_in_child puts it back in a child that goes on to the container. */
int forwarder_new(const struct port_list *l, int *fds, int epfd, uint64_t tag,
                  struct port_forwarder **ret, struct husk_error **err);
void forwarder_free(struct port_forwarder *f);
/* In a child the monitor forked (a worker that creates the container, a probe's): none of the
 * forwarder's fds (they would hold connections open, and count against the limit), and the
 * limit back as it was. */
void forwarder_close_in_child(struct port_forwarder *f);

/* The network namespace new connections go to (the running container's; taken), or -1 while
 * none runs: connections are then refused, the ports stay bound. */
void forwarder_set_netns(struct port_forwarder *f, int netns_fd);

void forwarder_event(struct port_forwarder *f, uint32_t index, uint32_t events);

/* When the next UDP flow goes idle (the monitor's clock: CLOCK_REALTIME ns; INT64_MAX: none),
 * and the timer that drops the idle ones. */
int64_t forwarder_deadline(const struct port_forwarder *f);
void forwarder_timer(struct port_forwarder *f, int64_t now);

#define PORTS_UDP_IDLE_NS (90 * 1000000000LL) /* docker-proxy's UDP flow timeout */
#define PORTS_UDP_MAX_FLOWS 1024
