/* port.c: `husk port ID [PORT[/PROTO]]`: the ports a `husk run -p` published, as docker port
 * shows them ("8000/tcp -> 127.0.0.1:18080"), or the host side of one of them. */
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "commands.h"
#include "container/state.h"
#include "monitor/monitor.h"
#include "monitor/ports.h"

#define PORT_USAGE "port ID [PORT[/tcp|/udp]]"

/* "8000" or "8000/udp" */
static int parse_private_port(const char *text, int *ret_port, int *ret_proto,
                              struct husk_error **err) {
  char *end;
  long n = strtol(text, &end, 10);
  *ret_proto = IPPROTO_TCP;
  if (end != text && *end == '/' && strcmp(end + 1, "udp") == 0)
    *ret_proto = IPPROTO_UDP;
  else if (end != text && *end == '/' && strcmp(end + 1, "tcp") == 0)
    ;
  else if (end == text || *end)
    return husk_error_set(err, EINVAL, "port: expected PORT[/tcp|/udp], not \"%s\"", text);
  if (n < 1 || n > 65535)
    return husk_error_set(err, EINVAL, "port: %s is not a port number", text);
  *ret_port = (int)n;
  return 0;
}

int cmd_port(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
  int c;
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    if (c == 'h') {
      printf("usage: husk %s\n", PORT_USAGE);
      return 0;
    }
    return command_bad_option(argv, PORT_USAGE, err);
  }
  if (optind >= argc || argc - optind > 2)
    return husk_error_set(err, EINVAL, "usage: husk %s", PORT_USAGE);
  const char *id = argv[optind];
  int want_port = 0, want_proto = 0;
  if (argc - optind == 2 && parse_private_port(argv[optind + 1], &want_port, &want_proto, err) < 0)
    return -EINVAL;
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  int r = state_load(g->root, id, false, &fd, &st, err);
  if (r < 0)
    return r;
  struct port_list ports;
  r = monitor_ports_read(fd, &ports, err);
  if (r < 0 && r != -ENOENT)
    return r;
  bool found = false;
  for (size_t i = 0; i < ports.n; i++) {
    const struct port_mapping *p = &ports.v[i];
    char host[INET6_ADDRSTRLEN + 16];
    port_host_text(p, host, sizeof(host));
    if (!want_port)
      printf("%u/%s -> %s\n", p->container_port, port_proto_name(p->proto), host);
    else if (p->container_port == want_port && p->proto == want_proto)
      printf("%s\n", host), found = true;
  }
  port_list_free(&ports);
  if (want_port && !found)
    return husk_error_set(err, ENOENT, "No public port '%d/%s' published for %s", want_port,
                          port_proto_name(want_proto), id);
  return 0;
}
