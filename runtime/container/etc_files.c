/* etc_files.c: /etc/hosts, /etc/hostname, /etc/resolv.conf and --secret files for `husk run`,
 * written into the state directory and bound into the container (etc_files.h). */
#include "etc_files.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "rootfs/rootfs.h"
#include "spec/spec.h"

/* Docker's limit for a secret (swarm's 500 KiB). */
#define SECRET_MAX (500u << 10)
#define SECRETS_DIR "/run/secrets"

void service_files_free(struct service_files *f) {
  for (size_t i = 0; i < f->n_hosts; i++) {
    free(f->hosts[i].name);
    free(f->hosts[i].ip);
  }
  free(f->hosts);
  for (size_t i = 0; i < f->n_dns; i++)
    free(f->dns[i]);
  free(f->dns);
  for (size_t i = 0; i < f->n_secrets; i++) {
    explicit_bzero(f->secrets[i].data, f->secrets[i].len);
    free(f->secrets[i].data);
    free(f->secrets[i].name);
  }
  free(f->secrets);
  *f = (struct service_files){.network = f->network};
}

static bool ip_valid(const char *ip) {
  unsigned char buf[16];
  return inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1;
}

/* A hostname as /etc/hosts takes it: letters, digits, '-', '.', '_', not starting with '-'. */
static bool host_name_valid(const char *name) {
  if (!*name || *name == '-' || strlen(name) > 253)
    return false;
  for (const char *p = name; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
      return false;
  return true;
}

int etc_add_host(struct service_files *f, const char *arg, struct husk_error **err) {
  /* NAME=IP, else NAME:IP split at the first colon (a name has none; an IPv6 address has). */
  const char *sep = strchr(arg, '=');
  if (!sep)
    sep = strchr(arg, ':');
  if (!sep)
    return husk_error_set(err, EINVAL, "--add-host: bad format for add-host: \"%s\"", arg);
  _cleanup_free_ char *name = strndup(arg, (size_t)(sep - arg));
  const char *ip = sep + 1;
  size_t ip_len = strlen(ip);
  _cleanup_free_ char *bare = ip_len > 2 && ip[0] == '[' && ip[ip_len - 1] == ']'
                                  ? strndup(ip + 1, ip_len - 2)
                                  : xstrdup(ip);
  if (!name || !bare)
    abort();
  if (!host_name_valid(name))
    return husk_error_set(err, EINVAL, "--add-host: invalid hostname \"%s\" in \"%s\"", name, arg);
  if (!ip_valid(bare))
    return husk_error_set(err, EINVAL, "--add-host: invalid IP address in add-host: \"%s\"", ip);
  f->hosts = xrealloc(f->hosts, (f->n_hosts + 1) * sizeof(*f->hosts));
  f->hosts[f->n_hosts++] = (struct etc_host){.name = TAKE_PTR(name), .ip = TAKE_PTR(bare)};
  return 0;
}

int etc_add_dns(struct service_files *f, const char *arg, struct husk_error **err) {
  if (!ip_valid(arg))
    return husk_error_set(err, EINVAL, "--dns: %s is not an ip address", arg);
  f->dns = xrealloc(f->dns, (f->n_dns + 1) * sizeof(*f->dns));
  f->dns[f->n_dns++] = xstrdup(arg);
  return 0;
}

/* A secret's name is a file name in /run/secrets: Docker's rule (letters, digits, '-', '_',
 * '.', starting and ending with a letter or digit), at most 64 characters. */
static bool secret_name_valid(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len > 64 || !isalnum((unsigned char)name[0]) ||
      !isalnum((unsigned char)name[len - 1]))
    return false;
  for (const char *p = name; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
      return false;
  return true;
}

/* source=FILE[,target=NAME]; *ret_name NULL when no target is given. */
static int secret_parse_kv(const char *arg, char **ret_file, char **ret_name,
                           struct husk_error **err) {
  _cleanup_free_ char *copy = xstrdup(arg);
  char *save = NULL;
  for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char **slot = str_has_prefix(kv, "source=") || str_has_prefix(kv, "src=") ? ret_file
                  : str_has_prefix(kv, "target=")                             ? ret_name
                                                                              : NULL;
    if (!slot)
      return husk_error_set(err, EINVAL, "--secret: unknown field \"%s\" (source=FILE,target=NAME)",
                            kv);
    free(*slot);
    *slot = xstrdup(strchr(kv, '=') + 1);
  }
  if (!*ret_file || !**ret_file)
    return husk_error_set(err, EINVAL, "--secret %s: no source file", arg);
  return 0;
}

/* The file's bytes, whatever they are (a NUL too), up to SECRET_MAX. */
static int read_secret(const char *file, char **ret, size_t *ret_len, struct husk_error **err) {
  _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return husk_error_sys(err, "open %s", file);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return husk_error_sys(err, "stat %s", file);
  if (!S_ISREG(st.st_mode))
    return husk_error_set(err, EINVAL, "%s is not a regular file", file);
  char *buf = xmalloc(SECRET_MAX + 1);
  ssize_t n = read_all(fd, buf, SECRET_MAX + 1);
  if (n < 0 || (size_t)n > SECRET_MAX) {
    int e = n < 0 ? errno : EFBIG;
    explicit_bzero(buf, SECRET_MAX + 1);
    free(buf);
    return n < 0 ? husk_error_errno(err, e, "read %s", file)
                 : husk_error_set(err, EFBIG, "%s is larger than %u KiB", file, SECRET_MAX >> 10);
  }
  *ret = buf;
  *ret_len = (size_t)n;
  return 0;
}

int etc_add_secret(struct service_files *f, const char *arg, struct husk_error **err) {
  _cleanup_free_ char *file = NULL, *name = NULL;
  const char *eq = strchr(arg, '=');
  int r = 0;
  if (str_has_prefix(arg, "source=") || str_has_prefix(arg, "src=") ||
      str_has_prefix(arg, "target="))
    r = secret_parse_kv(arg, &file, &name, err);
  else if (eq) {
    name = strndup(arg, (size_t)(eq - arg));
    if (!name)
      abort();
    file = xstrdup(eq + 1);
  } else
    file = xstrdup(arg);
  if (r < 0)
    return r;
  if (!name) {
    const char *slash = strrchr(file, '/');
    name = xstrdup(slash ? slash + 1 : file);
  }
  if (!secret_name_valid(name))
    return husk_error_set(err, EINVAL,
                          "--secret %s: invalid secret name \"%s\" (letters, digits, '-', '_' and "
                          "'.', at most 64)",
                          arg, name);
  for (size_t i = 0; i < f->n_secrets; i++)
    if (strcmp(f->secrets[i].name, name) == 0)
      return husk_error_set(err, EINVAL, "--secret: secret \"%s\" is given twice", name);
  char *data = NULL;
  size_t len = 0;
  r = read_secret(file, &data, &len, err);
  if (r < 0)
    return husk_error_wrap(err, "--secret %s", name);
  f->secrets = xrealloc(f->secrets, (f->n_secrets + 1) * sizeof(*f->secrets));
  f->secrets[f->n_secrets++] =
      (struct etc_secret){.name = TAKE_PTR(name), .data = data, .len = len};
  return 0;
}

/* ---- the texts ---- */

struct text {
  char *s;
  size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *s = xvasprintf(fmt, ap);
  va_end(ap);
  size_t n = strlen(s);
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->s = xrealloc(t->s, t->cap);
  }
  memcpy(t->s + t->len, s, n + 1);
  t->len += n;
}

char *etc_hosts_text(const struct service_files *f, const char *hostname, const char *host_hosts) {
  struct text t = {0};
  text_add(&t, "%s", "");
  if (f->network == ETC_NETWORK_HOST && host_hosts) {
    size_t n = strlen(host_hosts);
    text_add(&t, "%s%s", host_hosts, n && host_hosts[n - 1] != '\n' ? "\n" : "");
  } else {
    /* Docker's default entries */
    text_add(&t, "127.0.0.1\tlocalhost\n"
                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                 "fe00::0\tip6-localnet\n"
                 "ff00::0\tip6-mcastprefix\n"
                 "ff02::1\tip6-allnodes\n"
                 "ff02::2\tip6-allrouters\n");
  }
  for (size_t i = 0; i < f->n_hosts; i++)
    text_add(&t, "%s\t%s\n", f->hosts[i].ip, f->hosts[i].name);
  /* With only lo the container's own address is loopback's: its name resolves there, so a
   * service listening on localhost answers to it too. */
  if (f->network == ETC_NETWORK_PRIVATE && hostname && *hostname)
    text_add(&t, "127.0.0.1\t%s\n", hostname);
  return t.s;
}

/* The address a "nameserver ADDR" line names, or NULL when the line is no nameserver. */
static bool nameserver_line(const char *line, size_t len, char *addr, size_t addr_len) {
  while (len && isspace((unsigned char)*line))
    line++, len--;
  if (len < 11 || strncmp(line, "nameserver", 10) != 0 || !isspace((unsigned char)line[10]))
    return false;
  line += 10, len -= 10;
  while (len && isspace((unsigned char)*line))
    line++, len--;
  size_t n = 0;
  while (n < len && !isspace((unsigned char)line[n]) && line[n] != '%')
    n++;
  snprintf(addr, addr_len, "%.*s", (int)n, line);
  return true;
}

static bool loopback_address(const char *addr) {
  struct in_addr v4;
  struct in6_addr v6;
  if (inet_pton(AF_INET, addr, &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  return inet_pton(AF_INET6, addr, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

char *etc_resolv_conf_text(const struct service_files *f, const char *host_resolv) {
  struct text t = {0};
  text_add(&t, "%s", "");
  size_t kept = 0;
  for (const char *p = host_resolv ? host_resolv : ""; *p;) {
    size_t len = strcspn(p, "\n");
    char addr[INET6_ADDRSTRLEN + 1];
    bool ns = nameserver_line(p, len, addr, sizeof(addr));
    /* --dns replaces the nameservers; otherwise only a loopback one goes, unless the container
     * shares the host's network and so reaches it. */
    bool drop = ns && (f->n_dns > 0 || (f->network != ETC_NETWORK_HOST && loopback_address(addr)));
    if (!drop)
      text_add(&t, "%.*s\n", (int)len, p);
    kept += ns && !drop;
    p += len + (p[len] == '\n');
  }
  for (size_t i = 0; i < f->n_dns; i++)
    text_add(&t, "nameserver %s\n", f->dns[i]);
  if (!f->n_dns && !kept)
    text_add(&t, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  return t.s;
}

/* ---- into the state directory and the config ---- */

/* Whether the config mounts something at dest (paths compared without repeated slashes). */
static bool config_mounts(const struct spec *spec, const char *dest) {
  for (size_t i = 0; i < spec->n_mounts; i++) {
    const char *a = spec->mounts[i].destination, *b = dest;
    while (*a && *b) {
      if (*a == '/' && a[1] == '/') {
        a++;
        continue;
      }
      if (*a != *b)
        break;
      a++, b++;
    }
    while (*a == '/')
      a++;
    if (!*a && !*b)
      return true;
  }
  return false;
}

/* A bundle's missing mount target is made here, as the init would make it, by the caller's
 * ids: a user namespace's root may not write the bundle's directories. False when it cannot be
 * made, the rootfs being on a read-only filesystem. */
static bool make_target(const char *rootfs, const char *dest, bool dir) {
  if (!rootfs)
    return true; /* an image's: the init makes it in the upper layer */
  _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return true; /* the init says what is wrong with it */
  _cleanup_close_ int fd = rootfs_open_in_root(root, dest, O_PATH, false, false, NULL);
  struct statvfs sv;
  if (fd != -ENOENT)
    return true;
  if (fstatvfs(root, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return false;
  fd = rootfs_open_in_root(root, dest, O_PATH, true, dir, NULL);
  return true;
}

static int write_new(int state_fd, const char *name, const char *data, size_t len, mode_t mode,
                     struct husk_error **err) {
  /* a restart in place writes them again */
  if (unlinkat(state_fd, name, 0) < 0 && errno != ENOENT)
    return husk_error_sys(err, "remove %s", name);
  int r = write_file_new_at(state_fd, name, data, len, mode, err);
  if (r >= 0 && fchmodat(state_fd, name, mode, 0) < 0)
    r = husk_error_sys(err, "chmod %s", name);
  return r;
}

static void add_bind(json_t *mounts, const char *dest, const char *source, bool rdonly) {
  json_t *options = rdonly ? json_pack("[s,s,s,s,s]", "bind", "ro", "nosuid", "nodev", "noexec")
                           : json_pack("[s,s]", "rbind", "rprivate");
  json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type",
                                          "bind", "source", source, "options", options));
}

static int make_etc_file(int state_fd, const char *state_dir, const struct spec *spec,
                         const char *rootfs, const char *name, char *text, json_t *mounts,
                         struct husk_error **err) {
  _cleanup_free_ char *data = text;
  _cleanup_free_ char *dest = xasprintf("/etc/%s", name);
  if (config_mounts(spec, dest))
    return 0;
  if (!make_target(rootfs, dest, false)) {
    log_warn("%s not provided: the rootfs has none to mount it on, and is read-only", dest);
    return 0;
  }
  int r = write_new(state_fd, name, data, strlen(data), 0644, err);
  if (r < 0)
    return husk_error_wrap(err, "%s", dest);
  _cleanup_free_ char *source = xasprintf("%s/%s", state_dir, name);
  add_bind(mounts, dest, source, false);
  return 0;
}

static int make_secrets(const struct service_files *f, int state_fd, const char *state_dir,
                        const struct spec *spec, uid_t uid, gid_t gid, const char *rootfs,
                        json_t *mounts, struct husk_error **err) {
  if (!f->n_secrets)
    return 0;
  /* A tmpfs of their own: the targets are made in it, not left in a bundle's rootfs. */
  if (!config_mounts(spec, SECRETS_DIR)) {
    if (!make_target(rootfs, SECRETS_DIR, true))
      return husk_error_set(err, EROFS,
                            "--secret: the rootfs has no %s to mount the secrets on, and is "
                            "read-only",
                            SECRETS_DIR);
    json_array_append_new(mounts,
                          json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s]}", "destination", SECRETS_DIR,
                                    "type", "tmpfs", "source", "tmpfs", "options", "nosuid",
                                    "nodev", "noexec", "mode=0755", "size=1m"));
  }
  for (size_t i = 0; i < f->n_secrets; i++) {
    const struct etc_secret *s = &f->secrets[i];
    _cleanup_free_ char *name = xasprintf("secret-%s", s->name);
    int r = write_new(state_fd, name, s->data, s->len, 0400, err);
    if (r >= 0 && fchownat(state_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
      r = husk_error_sys(err, "chown to %u:%u", (unsigned)uid, (unsigned)gid);
    if (r < 0)
      return husk_error_wrap(err, "--secret %s", s->name);
    _cleanup_free_ char *source = xasprintf("%s/%s", state_dir, name);
    _cleanup_free_ char *dest = xasprintf(SECRETS_DIR "/%s", s->name);
    add_bind(mounts, dest, source, true);
  }
  return 0;
}

/* The host's resolver file; one naming only systemd-resolved's stub (127.0.0.53) stands for
 * the servers resolved itself uses, as Docker does. */
static char *host_resolv_text(const struct service_files *f) {
  char *text = NULL;
  const char *path = f->host_resolv_conf ? f->host_resolv_conf : "/etc/resolv.conf";
  if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
    return NULL;
  if (f->host_resolv_conf || f->network == ETC_NETWORK_HOST)
    return text;
  bool stub_only = false, other = false;
  for (const char *p = text; *p;) {
    size_t len = strcspn(p, "\n");
    char addr[INET6_ADDRSTRLEN + 1];
    if (nameserver_line(p, len, addr, sizeof(addr))) {
      stub_only = strcmp(addr, "127.0.0.53") == 0;
      other |= !stub_only;
    }
    p += len + (p[len] == '\n');
  }
  char *resolved = NULL;
  if (stub_only && !other &&
      read_file_at(AT_FDCWD, "/run/systemd/resolve/resolv.conf", 1 << 20, &resolved, NULL) == 0) {
    free(text);
    return resolved;
  }
  return text;
}

int etc_files_make(const struct service_files *f, int state_fd, const char *state_dir,
                   const struct spec *spec, const char *hostname, uid_t uid, gid_t gid,
                   const char *rootfs, json_t *doc, struct husk_error **err) {
  json_t *mounts = json_object_get(doc, "mounts");
  if (!json_is_array(mounts)) {
    mounts = json_array();
    json_object_set_new(doc, "mounts", mounts);
  }
  _cleanup_free_ char *host_hosts = NULL;
  if (f->network == ETC_NETWORK_HOST)
    read_file_at(AT_FDCWD, f->host_hosts ? f->host_hosts : "/etc/hosts", 1 << 20, &host_hosts,
                 NULL);
  _cleanup_free_ char *host_resolv = host_resolv_text(f);
  int r = make_etc_file(state_fd, state_dir, spec, rootfs, "hosts",
                        etc_hosts_text(f, hostname, host_hosts), mounts, err);
  if (r >= 0)
    r = make_etc_file(state_fd, state_dir, spec, rootfs, "hostname", xasprintf("%s\n", hostname),
                      mounts, err);
  if (r >= 0)
    r = make_etc_file(state_fd, state_dir, spec, rootfs, "resolv.conf",
                      etc_resolv_conf_text(f, host_resolv), mounts, err);
  if (r >= 0)
    r = make_secrets(f, state_fd, state_dir, spec, uid, gid, rootfs, mounts, err);
  return r;
}
