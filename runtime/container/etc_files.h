/* etc_files.h: the files `husk run` gives a container as Docker does: /etc/hosts, /etc/hostname
 * and /etc/resolv.conf made for it, and its --secret files at /run/secrets/NAME. Each is written
 * into the container's state directory before the init starts and bind-mounted into the rootfs
 * as a config mount (so --trace shows it), unless the config mounts that destination itself.
 * The texts come from pure functions that take the host's files as text, for the unit tests. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct husk_error;
struct spec;

/* What the container's network is, as far as these files go (--network, set by run). */
enum etc_network {
  ETC_NETWORK_PRIVATE, /* a namespace of its own with lo: localhost and the hostname on it */
  ETC_NETWORK_NONE,    /* no network: /etc/hosts names localhost only */
  ETC_NETWORK_HOST,    /* the host's: its /etc/hosts and /etc/resolv.conf as they are */
};

struct etc_host { /* --add-host NAME:IP */
  char *name, *ip;
};

struct etc_secret { /* --secret NAME=FILE: the file's bytes, read when the flag is parsed */
  char *name;
  char *data;
  size_t len;
};

struct service_files {
  enum etc_network network;
  struct etc_host *hosts;
  size_t n_hosts;
  char **dns; /* --dns: the nameservers, replacing the host's */
  size_t n_dns;
  struct etc_secret *secrets;
  size_t n_secrets;
  const char *host_hosts;       /* the host's hosts file; NULL: /etc/hosts */
  const char *host_resolv_conf; /* the host's resolver config; NULL: /etc/resolv.conf */
};

/* Frees what the lists hold; secret bytes are wiped first. */
void service_files_free(struct service_files *f);

/* --add-host NAME:IP (Docker's form; an IPv6 address keeps its colons, brackets optional) or
 * NAME=IP. */
int etc_add_host(struct service_files *f, const char *arg, struct husk_error **err);
/* --dns IP: an IPv4 or IPv6 address. */
int etc_add_dns(struct service_files *f, const char *arg, struct husk_error **err);
/* --secret NAME=FILE, source=FILE[,target=NAME] or FILE (NAME: its base name): the file is read
 * now, so a missing or unreadable one fails before anything is made. */
int etc_add_secret(struct service_files *f, const char *arg, struct husk_error **err);

/* /etc/hosts for a container named hostname. host_hosts: the host's file (network host). */
char *etc_hosts_text(const struct service_files *f, const char *hostname, const char *host_hosts);
/* /etc/resolv.conf from the host's text (NULL: none): the host's, minus loopback nameservers
 * (127.0.0.0/8, ::1: the container cannot reach the host's stub resolver); none left, Docker's
 * fallback 8.8.8.8 and 8.8.4.4; --dns replaces the nameservers. search and options are kept.
 * With network host the host's file as it is (plus --dns). */
char *etc_resolv_conf_text(const struct service_files *f, const char *host_resolv);

/* Write the files into the state directory (state_fd; its absolute path state_dir) and append
 * their mounts to doc's "mounts". hostname: the container's (config's, else the host's).
 * Secrets belong to uid:gid (the process's, as the host sees it), mode 0400. rootfs: a
 * bundle's root directory, to skip a file whose mount target is missing on a read-only
 * filesystem (said on stderr); NULL for an image's (its target is made in the upper layer). */
int etc_files_make(const struct service_files *f, int state_fd, const char *state_dir,
                   const struct spec *spec, const char *hostname, uid_t uid, gid_t gid,
                   const char *rootfs, json_t *doc, struct husk_error **err);
