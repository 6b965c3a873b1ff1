/* namespaces.h: Linux namespace types ↔ CLONE_* flags ↔ names, joining a namespace by path
 * or pidfd, writing uid/gid maps, and bringing up loopback in a new network namespace. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct husk_error;
/* One entry of linux.uidMappings or gidMappings. Defined here, where the maps are written,
 * so that spec/ depends on namespaces/ (for the namespace names) and not the other way. */
struct spec_id_mapping {
  uint32_t container_id, host_id, size;
};

/* The namespace types husk knows, in the order they must be joined: user first (it grants
 * the capabilities to join the rest), mount last (it changes what paths mean). */
struct ns_type {
  const char *spec_name; /* config.json linux.namespaces[].type: "pid", "network", ... */
  const char *proc_name; /* /proc/<pid>/ns/<proc_name>: "pid", "net", ... */
  int clone_flag;        /* CLONE_NEWPID, ... */
};
extern const struct ns_type ns_types[];
extern const size_t ns_types_count;

/* The position of a CLONE_NEW* flag in ns_types, so per-type arrays can be indexed by it. */
static inline size_t ns_type_index(int clone_flag) {
  size_t i = 0;
  while (i < ns_types_count && ns_types[i].clone_flag != clone_flag)
    i++;
  return i;
}

/* CLONE_NEW* for a config.json type name, or 0 when unknown. */
int ns_flag_from_spec_name(const char *name);
const char *ns_spec_name(int clone_flag);
const char *ns_proc_name(int clone_flag);
/* "CLONE_NEWNS|CLONE_NEWPID|..." for tracing; buf of at least 256 bytes. */
const char *ns_flags_to_string(int flags, char *buf, size_t len);

/* Open a namespace file and check it is a namespace of the given type. Returns the fd. */
int ns_open(const char *path, int clone_flag, struct husk_error **err);
/* setns(2) with a trace line; what names the namespace in messages (its path). */
int ns_join(int fd, int clone_flag, const char *what, struct husk_error **err);

/* Write /proc/<pid>/{setgroups,uid_map,gid_map}. setgroups is set to "deny" when
 * deny_setgroups is true (required when the writer lacks CAP_SETGID in the parent ns). */
int ns_write_id_maps(pid_t pid, const struct spec_id_mapping *uid_maps, size_t n_uid,
                     const struct spec_id_mapping *gid_maps, size_t n_gid, bool deny_setgroups,
                     struct husk_error **err);

/* Set IFF_UP on "lo" in the calling process's network namespace. */
int ns_loopback_up(struct husk_error **err);
