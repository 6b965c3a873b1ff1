/* test_spec.c: unit tests for config.json parsing (runtime/spec/spec.c and spec_linux.c): each field
 * family of a realistic full config, and the exact error text for each class of bad input. */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "spec/spec.h"
#include "unit.h"

/* What `runc spec` writes, plus mounts, hooks, resources, seccomp and devices. Written with
 * single quotes to stay readable; json_text() turns them into double quotes. */
static const char full_config[] =
    "{\n"
    "  'ociVersion': '1.2.0',\n"
    "  'process': {\n"
    "    'terminal': true,\n"
    "    'consoleSize': {'height': 25, 'width': 80},\n"
    "    'user': {'uid': 1000, 'gid': 1001, 'umask': 18,\n"
    "             'additionalGids': [5, 6, 4294967294]},\n"
    "    'args': ['sh', '-c', 'echo hi'],\n"
    "    'env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',\n"
    "            'TERM=xterm', 'EMPTY='],\n"
    "    'cwd': '/work',\n"
    "    'capabilities': {\n"
    "      'bounding': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],\n"
    "      'effective': ['CAP_AUDIT_WRITE', 'CAP_KILL'],\n"
    "      'permitted': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],\n"
    "      'ambient': []\n"
    "    },\n"
    "    'rlimits': [\n"
    "      {'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 1024},\n"
    "      {'type': 'RLIMIT_CORE', 'hard': 9223372036854775807,\n"
    "       'soft': 0}\n"
    "    ],\n"
    "    'noNewPrivileges': true,\n"
    "    'apparmorProfile': 'husk-default',\n"
    "    'selinuxLabel': 'system_u:system_r:container_t:s0',\n"
    "    'oomScoreAdj': -500,\n"
    "    'ioPriority': {'class': 'IOPRIO_CLASS_IDLE'}\n"
    "  },\n"
    "  'root': {'path': 'rootfs', 'readonly': true},\n"
    "  'hostname': 'husk',\n"
    "  'domainname': 'example.org',\n"
    "  'mounts': [\n"
    "    {'destination': '/proc', 'type': 'proc', 'source': 'proc'},\n"
    "    {'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs',\n"
    "     'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},\n"
    "    {'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts',\n"
    "     'options': ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']},\n"
    "    {'destination': '/dev/shm', 'type': 'tmpfs', 'source': 'shm',\n"
    "     'options': ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']},\n"
    "    {'destination': '/dev/mqueue', 'type': 'mqueue', 'source': 'mqueue',\n"
    "     'options': ['nosuid', 'noexec', 'nodev']},\n"
    "    {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs',\n"
    "     'options': ['nosuid', 'noexec', 'nodev', 'ro']},\n"
    "    {'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup',\n"
    "     'options': ['nosuid', 'noexec', 'nodev', 'relatime', 'ro']},\n"
    "    {'destination': '/data', 'source': '/srv/data', 'options': ['rbind', 'ro']}\n"
    "  ],\n"
    "  'hooks': {\n"
    "    'prestart': [{'path': '/usr/bin/fix-mounts', 'args': ['fix-mounts', 'arg1'],\n"
    "                  'env': ['KEY=value']}],\n"
    "    'createRuntime': [\n"
    "      {'path': '/usr/bin/net-setup', 'timeout': 10},\n"
    "      {'path': '/usr/bin/log-it'}\n"
    "    ],\n"
    "    'poststop': [{'path': '/usr/sbin/cleanup.sh', 'args': ['cleanup.sh', '-f']}]\n"
    "  },\n"
    "  'annotations': {'com.example.key1': 'value1',\n"
    "                  'org.opencontainers.image.os': 'linux'},\n"
    "  'linux': {\n"
    "    'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],\n"
    "    'gidMappings': [{'containerID': 0, 'hostID': 200000, 'size': 65536},\n"
    "                    {'containerID': 65536, 'hostID': 1000, 'size': 1}],\n"
    "    'namespaces': [\n"
    "      {'type': 'pid'},\n"
    "      {'type': 'network', 'path': '/var/run/netns/red'},\n"
    "      {'type': 'ipc'},\n"
    "      {'type': 'uts'},\n"
    "      {'type': 'mount'},\n"
    "      {'type': 'user'},\n"
    "      {'type': 'cgroup'},\n"
    "      {'type': 'time', 'path': ''}\n"
    "    ],\n"
    "    'devices': [\n"
    "      {'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229,\n"
    "       'fileMode': 438, 'uid': 0, 'gid': 0},\n"
    "      {'path': '/dev/sda', 'type': 'b', 'major': 8, 'minor': 0},\n"
    "      {'path': '/dev/myfifo', 'type': 'p'}\n"
    "    ],\n"
    "    'cgroupsPath': '/husk/test',\n"
    "    'resources': {\n"
    "      'devices': [\n"
    "        {'allow': false, 'access': 'rwm'},\n"
    "        {'allow': true, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rw'},\n"
    "        {'allow': true, 'type': 'b', 'major': 8}\n"
    "      ],\n"
    "      'memory': {'limit': 536870912, 'reservation': 268435456, 'swap': -1,\n"
    "                 'kernelTCP': 1048576,\n"
    "                 'swappiness': 0, 'disableOOMKiller': false, 'checkBeforeUpdate': true},\n"
    "      'cpu': {'shares': 1024, 'quota': 100000, 'period': 100000, 'burst': 5000,\n"
    "              'realtimeRuntime': 950000, 'realtimePeriod': 1000000,\n"
    "              'cpus': '0-1', 'mems': '0', 'idle': 1},\n"
    "      'pids': {'limit': 32771},\n"
    "      'blockIO': {\n"
    "        'weight': 10, 'leafWeight': 0,\n"
    "        'weightDevice': [{'major': 8, 'minor': 0, 'weight': 500, 'leafWeight': 300},\n"
    "                         {'major': 8, 'minor': 16, 'weight': 500}],\n"
    "        'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 600}],\n"
    "        'throttleWriteIOPSDevice': [{'major': 8, 'minor': 16, 'rate': 300}]\n"
    "      },\n"
    "      'hugepageLimits': [{'pageSize': '2MB', 'limit': 209715200},\n"
    "                         {'pageSize': '1GB', 'limit': 0}],\n"
    "      'unified': {'io.weight': '100', 'memory.high': '1073741824'}\n"
    "    },\n"
    "    'sysctl': {'net.ipv4.ip_forward': '1', 'net.core.somaxconn': '256'},\n"
    "    'seccomp': {\n"
    "      'defaultAction': 'SCMP_ACT_ERRNO',\n"
    "      'defaultErrnoRet': 1,\n"
    "      'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],\n"
    "      'flags': ['SECCOMP_FILTER_FLAG_LOG'],\n"
    "      'listenerPath': '/run/seccomp-agent.socket',\n"
    "      'listenerMetadata': 'meta',\n"
    "      'syscalls': [\n"
    "        {'names': ['getcwd', 'chmod'], 'action': 'SCMP_ACT_ALLOW'},\n"
    "        {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW',\n"
    "         'args': [{'index': 0, 'value': 8, 'op': 'SCMP_CMP_EQ'},\n"
    "                  {'index': 5, 'value': 4294967295, 'valueTwo': 7,\n"
    "                   'op': 'SCMP_CMP_MASKED_EQ'}]},\n"
    "        {'names': ['mount'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}\n"
    "      ]\n"
    "    },\n"
    "    'rootfsPropagation': 'rslave',\n"
    "    'maskedPaths': ['/proc/acpi', '/proc/kcore', '/sys/firmware'],\n"
    "    'readonlyPaths': ['/proc/bus', '/proc/sys'],\n"
    "    'mountLabel': 'system_u:object_r:container_file_t:s0:c1,c2'\n"
    "  }\n"
    "}\n";

/* A JSON text written with single quotes (none of the fixtures contain an apostrophe). */
static char *json_text(const char *s) {
  char *t = xstrdup(s);
  for (char *p = t; *p; p++)
    if (*p == '\'')
      *p = '"';
  return t;
}

static json_t *json_from(const char *single_quoted) {
  _cleanup_free_ char *text = json_text(single_quoted);
  json_error_t jerr;
  json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
  ck_assert_msg(v, "fixture: %s at line %d", jerr.text, jerr.line);
  return v;
}

static struct spec *parse_doc(json_t *doc) {
  struct spec *s = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  int r = spec_parse_json(doc, &s, &err);
  ck_assert_msg(r == 0, "parse failed: %s", err ? err->message : "(no error)");
  ck_assert_ptr_nonnull(s);
  return s;
}

/* Parsing keeps its own reference: the caller's is dropped before any field is read. */
static struct spec *parse_full(void) {
  json_t *doc = json_from(full_config);
  struct spec *s = parse_doc(doc);
  ck_assert_ptr_eq(s->doc, doc);
  json_decref(doc);
  return s;
}

/* The value at a path like "linux.namespaces[1].type" (keys and [index] steps). */
static json_t *lookup(json_t *v, const char *path) {
  _cleanup_free_ char *copy = xstrdup(path);
  for (char *p = copy; v && *p;) {
    if (*p == '.') {
      p++;
    } else if (*p == '[') {
      char *end;
      v = json_array_get(v, strtoul(p + 1, &end, 10));
      p = end + 1;
    } else {
      size_t len = strcspn(p, ".[");
      char saved = p[len];
      p[len] = '\0';
      v = json_object_get(v, p);
      p[len] = saved;
      p += len;
    }
  }
  ck_assert_msg(v, "fixture has no %s", path);
  return v;
}

/* Set the member at path (its last step is a key) to a single-quoted JSON value, or delete
 * it when value is NULL. */
static void patch(json_t *doc, const char *path, const char *value) {
  _cleanup_free_ char *parent = xstrdup(path);
  char *dot = strrchr(parent, '.');
  const char *key = dot ? dot + 1 : parent;
  json_t *obj = doc;
  if (dot) {
    *dot = '\0';
    obj = lookup(doc, parent);
  }
  ck_assert(json_is_object(obj));
  if (value)
    ck_assert_int_eq(json_object_set_new(obj, key, json_from(value)), 0);
  else
    ck_assert_int_eq(json_object_del(obj, key), 0);
}

static void expect_error(json_t *doc, const char *message) {
  struct spec *s = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  int r = spec_parse_json(doc, &s, &err);
  ck_assert_int_eq(r, -EINVAL);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(err->code, EINVAL);
  ck_assert_str_eq(err->message, message);
}

/* The full config with one change must fail with exactly this message. */
static void expect_patch_error(const char *path, const char *value, const char *message) {
  _cleanup_json_ json_t *doc = json_from(full_config);
  patch(doc, path, value);
  expect_error(doc, message);
}

/* The full config with one change must still parse; returns the result. */
static struct spec *parse_patched(const char *path, const char *value) {
  _cleanup_json_ json_t *doc = json_from(full_config);
  patch(doc, path, value);
  return parse_doc(doc);
}

/* A fresh directory holding one file; returns the file's path. */
static char *write_temp(const char *name, const char *content) {
  char dir[] = "/tmp/husk-test-spec-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char *path = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(path, "we");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_ge(fputs(content, f), 0);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

static void remove_temp(char *path) {
  unlink(path);
  *strrchr(path, '/') = '\0';
  rmdir(path);
  free(path);
}

/* ---- field families ---- */

START_TEST(test_top_level) {
  _cleanup_spec_ struct spec *s = parse_full();
  ck_assert_str_eq(s->oci_version, "1.2.0");
  ck_assert_str_eq(s->root.path, "rootfs");
  ck_assert(s->root.readonly);
  ck_assert_str_eq(s->hostname, "husk");
  ck_assert_str_eq(s->domainname, "example.org");
  ck_assert_uint_eq(s->n_annotations, 2);
  ck_assert_str_eq(s->annotations[0].key, "com.example.key1");
  ck_assert_str_eq(s->annotations[0].value, "value1");
  ck_assert_str_eq(spec_annotation(s, "org.opencontainers.image.os"), "linux");
  ck_assert_ptr_null(spec_annotation(s, "com.example.missing"));
}
END_TEST

START_TEST(test_process) {
  _cleanup_spec_ struct spec *s = parse_full();
  const struct spec_process *p = s->process;
  ck_assert_ptr_nonnull(p);
  ck_assert(p->terminal);
  ck_assert(p->has_console_size);
  ck_assert_uint_eq(p->console_height, 25);
  ck_assert_uint_eq(p->console_width, 80);
  ck_assert_uint_eq(p->user.uid, 1000);
  ck_assert_uint_eq(p->user.gid, 1001);
  ck_assert(p->user.has_umask);
  ck_assert_uint_eq(p->user.umask, 022);
  ck_assert_uint_eq(p->user.n_additional_gids, 3);
  ck_assert_uint_eq(p->user.additional_gids[0], 5);
  ck_assert_uint_eq(p->user.additional_gids[2], 4294967294u);
  ck_assert_ptr_null(p->user.username);
  ck_assert_str_eq(p->args[0], "sh");
  ck_assert_str_eq(p->args[2], "echo hi");
  ck_assert_ptr_null(p->args[3]);
  ck_assert_str_eq(p->env[1], "TERM=xterm");
  ck_assert_str_eq(p->env[2], "EMPTY=");
  ck_assert_ptr_null(p->env[3]);
  ck_assert_str_eq(p->cwd, "/work");
  ck_assert_ptr_nonnull(p->capabilities);
  ck_assert_str_eq(p->capabilities->bounding[2], "CAP_NET_BIND_SERVICE");
  ck_assert_ptr_null(p->capabilities->bounding[3]);
  ck_assert_str_eq(p->capabilities->effective[1], "CAP_KILL");
  ck_assert_ptr_null(p->capabilities->inheritable); /* absent */
  ck_assert_ptr_nonnull(p->capabilities->ambient);  /* present but empty */
  ck_assert_ptr_null(p->capabilities->ambient[0]);
  ck_assert_uint_eq(p->n_rlimits, 2);
  ck_assert_str_eq(p->rlimits[0].type, "RLIMIT_NOFILE");
  ck_assert_uint_eq(p->rlimits[0].hard, 1024);
  ck_assert_uint_eq(p->rlimits[1].hard, 9223372036854775807ull);
  ck_assert_uint_eq(p->rlimits[1].soft, 0);
  ck_assert(p->no_new_privileges);
  ck_assert_str_eq(p->apparmor_profile, "husk-default");
  ck_assert_str_eq(p->selinux_label, "system_u:system_r:container_t:s0");
  ck_assert(p->has_oom_score_adj);
  ck_assert_int_eq(p->oom_score_adj, -500);
}
END_TEST

START_TEST(test_process_defaults) {
  _cleanup_json_ json_t *doc = json_from("{'ociVersion': '1.0.2-dev', 'root': {'path': 'r'},"
                                         " 'process': {'args': ['true'], 'cwd': '/'}}");
  _cleanup_spec_ struct spec *s = parse_doc(doc);
  const struct spec_process *p = s->process;
  ck_assert(!p->terminal);
  ck_assert(!p->has_console_size);
  ck_assert_uint_eq(p->user.uid, 0);
  ck_assert_uint_eq(p->user.gid, 0);
  ck_assert(!p->user.has_umask);
  ck_assert_uint_eq(p->user.n_additional_gids, 0);
  ck_assert_ptr_nonnull(p->env);
  ck_assert_ptr_null(p->env[0]);
  ck_assert_ptr_null(p->capabilities);
  ck_assert_uint_eq(p->n_rlimits, 0);
  ck_assert(!p->no_new_privileges);
  ck_assert_ptr_null(p->apparmor_profile);
  ck_assert(!p->has_oom_score_adj);
}
END_TEST

START_TEST(test_mounts) {
  _cleanup_spec_ struct spec *s = parse_full();
  ck_assert_uint_eq(s->n_mounts, 8);
  ck_assert_str_eq(s->mounts[0].destination, "/proc");
  ck_assert_str_eq(s->mounts[0].type, "proc");
  ck_assert_str_eq(s->mounts[0].source, "proc");
  ck_assert_ptr_nonnull(s->mounts[0].options);
  ck_assert_ptr_null(s->mounts[0].options[0]);
  ck_assert_str_eq(s->mounts[2].destination, "/dev/pts");
  ck_assert_str_eq(s->mounts[2].options[5], "gid=5");
  ck_assert_ptr_null(s->mounts[2].options[6]);
  ck_assert_ptr_null(s->mounts[7].type); /* bind mounts may leave the type out */
  ck_assert_str_eq(s->mounts[7].source, "/srv/data");
  ck_assert_str_eq(s->mounts[7].options[0], "rbind");
}
END_TEST

START_TEST(test_hooks) {
  _cleanup_spec_ struct spec *s = parse_full();
  const struct spec_hook_list *pre = &s->hooks[HOOK_PRESTART];
  ck_assert_uint_eq(pre->n, 1);
  ck_assert_str_eq(pre->hooks[0].path, "/usr/bin/fix-mounts");
  ck_assert_str_eq(pre->hooks[0].args[1], "arg1");
  ck_assert_ptr_null(pre->hooks[0].args[2]);
  ck_assert_str_eq(pre->hooks[0].env[0], "KEY=value");
  ck_assert(!pre->hooks[0].has_timeout);
  const struct spec_hook_list *cr = &s->hooks[HOOK_CREATE_RUNTIME];
  ck_assert_uint_eq(cr->n, 2);
  ck_assert(cr->hooks[0].has_timeout);
  ck_assert_int_eq(cr->hooks[0].timeout, 10);
  ck_assert_ptr_nonnull(cr->hooks[1].args);
  ck_assert_ptr_null(cr->hooks[1].args[0]);
  ck_assert_ptr_nonnull(cr->hooks[1].env);
  ck_assert_ptr_null(cr->hooks[1].env[0]);
  ck_assert_uint_eq(s->hooks[HOOK_CREATE_CONTAINER].n, 0);
  ck_assert_uint_eq(s->hooks[HOOK_START_CONTAINER].n, 0);
  ck_assert_uint_eq(s->hooks[HOOK_POSTSTART].n, 0);
  ck_assert_uint_eq(s->hooks[HOOK_POSTSTOP].n, 1);
  ck_assert_str_eq(s->hooks[HOOK_POSTSTOP].hooks[0].args[1], "-f");
}
END_TEST

START_TEST(test_hook_phase_names) {
  ck_assert_str_eq(spec_hook_phase_name(HOOK_PRESTART), "prestart");
  ck_assert_str_eq(spec_hook_phase_name(HOOK_CREATE_RUNTIME), "createRuntime");
  ck_assert_str_eq(spec_hook_phase_name(HOOK_CREATE_CONTAINER), "createContainer");
  ck_assert_str_eq(spec_hook_phase_name(HOOK_START_CONTAINER), "startContainer");
  ck_assert_str_eq(spec_hook_phase_name(HOOK_POSTSTART), "poststart");
  ck_assert_str_eq(spec_hook_phase_name(HOOK_POSTSTOP), "poststop");
  ck_assert_ptr_null(spec_hook_phase_name(HOOK_PHASE_COUNT));
}
END_TEST

START_TEST(test_namespaces) {
  _cleanup_spec_ struct spec *s = parse_full();
  static const int want[] = {CLONE_NEWPID, CLONE_NEWNET,  CLONE_NEWIPC,    CLONE_NEWUTS,
                             CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME};
  ck_assert_uint_eq(s->linux_.n_namespaces, ARRAY_SIZE(want));
  for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
    ck_assert_int_eq(s->linux_.namespaces[i].type, want[i]);
    ck_assert_ptr_eq(spec_namespace(s, want[i]), &s->linux_.namespaces[i]);
  }
  ck_assert_ptr_null(s->linux_.namespaces[0].path);
  ck_assert_str_eq(spec_namespace(s, CLONE_NEWNET)->path, "/var/run/netns/red");
  ck_assert_ptr_null(spec_namespace(s, CLONE_NEWTIME)->path); /* "" means a new one */

  _cleanup_spec_ struct spec *pid_only = parse_patched("linux.namespaces", "[{'type': 'pid'}]");
  ck_assert_ptr_nonnull(spec_namespace(pid_only, CLONE_NEWPID));
  ck_assert_ptr_null(spec_namespace(pid_only, CLONE_NEWNET));
}
END_TEST

START_TEST(test_id_mappings_and_devices) {
  _cleanup_spec_ struct spec *s = parse_full();
  const struct spec_linux *l = &s->linux_;
  ck_assert_uint_eq(l->n_uid_mappings, 1);
  ck_assert_uint_eq(l->uid_mappings[0].container_id, 0);
  ck_assert_uint_eq(l->uid_mappings[0].host_id, 100000);
  ck_assert_uint_eq(l->uid_mappings[0].size, 65536);
  ck_assert_uint_eq(l->n_gid_mappings, 2);
  ck_assert_uint_eq(l->gid_mappings[1].container_id, 65536);
  ck_assert_uint_eq(l->gid_mappings[1].host_id, 1000);
  ck_assert_uint_eq(l->gid_mappings[1].size, 1);

  ck_assert_uint_eq(l->n_devices, 3);
  ck_assert_str_eq(l->devices[0].path, "/dev/fuse");
  ck_assert_int_eq(l->devices[0].type, 'c');
  ck_assert_int_eq(l->devices[0].major, 10);
  ck_assert_int_eq(l->devices[0].minor, 229);
  ck_assert(l->devices[0].has_file_mode);
  ck_assert_uint_eq(l->devices[0].file_mode, 0666);
  ck_assert(l->devices[0].has_uid && l->devices[0].has_gid);
  ck_assert_uint_eq(l->devices[0].uid, 0);
  ck_assert_int_eq(l->devices[1].type, 'b');
  ck_assert_int_eq(l->devices[1].major, 8);
  ck_assert(!l->devices[1].has_file_mode);
  ck_assert(!l->devices[1].has_uid);
  ck_assert_int_eq(l->devices[2].type, 'p'); /* a fifo needs no major/minor */
}
END_TEST

START_TEST(test_resources) {
  _cleanup_spec_ struct spec *s = parse_full();
  const struct spec_resources *r = s->linux_.resources;
  ck_assert_ptr_nonnull(r);
  ck_assert_uint_eq(r->n_devices, 3);
  ck_assert(!r->devices[0].allow);
  ck_assert_int_eq(r->devices[0].type, 'a');
  ck_assert_int_eq(r->devices[0].major, -1);
  ck_assert_int_eq(r->devices[0].minor, -1);
  ck_assert_str_eq(r->devices[0].access, "rwm");
  ck_assert(r->devices[1].allow);
  ck_assert_int_eq(r->devices[1].type, 'c');
  ck_assert_int_eq(r->devices[1].minor, 229);
  ck_assert_int_eq(r->devices[2].minor, -1);
  ck_assert_ptr_null(r->devices[2].access);

  const struct spec_memory *m = r->memory;
  ck_assert(m->limit.set);
  ck_assert_int_eq(m->limit.value, 536870912);
  ck_assert(m->reservation.set);
  ck_assert(m->swap.set);
  ck_assert_int_eq(m->swap.value, -1);
  ck_assert(!m->kernel.set);
  ck_assert(m->kernel_tcp.set);
  ck_assert(m->swappiness.set);
  ck_assert_uint_eq(m->swappiness.value, 0);
  ck_assert(m->has_disable_oom_killer && !m->disable_oom_killer);
  ck_assert(!m->has_use_hierarchy);
  ck_assert(m->has_check_before_update && m->check_before_update);

  const struct spec_cpu *c = r->cpu;
  ck_assert(c->shares.set);
  ck_assert_uint_eq(c->shares.value, 1024);
  ck_assert_int_eq(c->quota.value, 100000);
  ck_assert_uint_eq(c->period.value, 100000);
  ck_assert_uint_eq(c->burst.value, 5000);
  ck_assert_int_eq(c->realtime_runtime.value, 950000);
  ck_assert_uint_eq(c->realtime_period.value, 1000000);
  ck_assert_str_eq(c->cpus, "0-1");
  ck_assert_str_eq(c->mems, "0");
  ck_assert(c->idle.set);
  ck_assert_int_eq(c->idle.value, 1);

  ck_assert(r->pids_limit.set);
  ck_assert_int_eq(r->pids_limit.value, 32771);

  const struct spec_blockio *b = r->block_io;
  ck_assert(b->weight.set);
  ck_assert_uint_eq(b->weight.value, 10);
  ck_assert(b->leaf_weight.set);
  ck_assert_uint_eq(b->leaf_weight.value, 0);
  ck_assert_uint_eq(b->n_weight_device, 2);
  ck_assert_int_eq(b->weight_device[0].major, 8);
  ck_assert_uint_eq(b->weight_device[0].leaf_weight.value, 300);
  ck_assert_int_eq(b->weight_device[1].minor, 16);
  ck_assert(!b->weight_device[1].leaf_weight.set);
  ck_assert_uint_eq(b->n_throttle_read_bps, 1);
  ck_assert_uint_eq(b->throttle_read_bps[0].rate, 600);
  ck_assert_uint_eq(b->n_throttle_write_bps, 0);
  ck_assert_uint_eq(b->n_throttle_read_iops, 0);
  ck_assert_uint_eq(b->n_throttle_write_iops, 1);
  ck_assert_uint_eq(b->throttle_write_iops[0].rate, 300);

  ck_assert_uint_eq(r->n_hugepage_limits, 2);
  ck_assert_str_eq(r->hugepage_limits[0].page_size, "2MB");
  ck_assert_uint_eq(r->hugepage_limits[0].limit, 209715200);
  ck_assert_uint_eq(r->n_unified, 2);
  ck_assert_str_eq(r->unified[1].key, "memory.high");
  ck_assert_str_eq(r->unified[1].value, "1073741824");
}
END_TEST

START_TEST(test_seccomp) {
  _cleanup_spec_ struct spec *s = parse_full();
  const struct spec_seccomp *sc = s->linux_.seccomp;
  ck_assert_ptr_nonnull(sc);
  ck_assert_str_eq(sc->default_action, "SCMP_ACT_ERRNO");
  ck_assert(sc->has_default_errno_ret);
  ck_assert_uint_eq(sc->default_errno_ret, 1);
  ck_assert_str_eq(sc->architectures[2], "SCMP_ARCH_X32");
  ck_assert_ptr_null(sc->architectures[3]);
  ck_assert_str_eq(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  ck_assert_str_eq(sc->listener_path, "/run/seccomp-agent.socket");
  ck_assert_str_eq(sc->listener_metadata, "meta");
  ck_assert_uint_eq(sc->n_syscalls, 3);
  ck_assert_str_eq(sc->syscalls[0].names[1], "chmod");
  ck_assert_str_eq(sc->syscalls[0].action, "SCMP_ACT_ALLOW");
  ck_assert(!sc->syscalls[0].has_errno_ret);
  ck_assert_uint_eq(sc->syscalls[0].n_args, 0);
  const struct spec_seccomp_syscall *personality = &sc->syscalls[1];
  ck_assert_uint_eq(personality->n_args, 2);
  ck_assert_uint_eq(personality->args[0].index, 0);
  ck_assert_uint_eq(personality->args[0].value, 8);
  ck_assert_uint_eq(personality->args[0].value_two, 0);
  ck_assert_str_eq(personality->args[0].op, "SCMP_CMP_EQ");
  ck_assert_uint_eq(personality->args[1].index, 5);
  ck_assert_uint_eq(personality->args[1].value, 4294967295u);
  ck_assert_uint_eq(personality->args[1].value_two, 7);
  ck_assert(sc->syscalls[2].has_errno_ret);
  ck_assert_uint_eq(sc->syscalls[2].errno_ret, 38);

  _cleanup_spec_ struct spec *bare = parse_patched("linux.seccomp", "{'defaultAction': 'X'}");
  ck_assert_ptr_nonnull(bare->linux_.seccomp->architectures);
  ck_assert_ptr_null(bare->linux_.seccomp->architectures[0]);
  ck_assert_ptr_nonnull(bare->linux_.seccomp->flags);
  ck_assert(!bare->linux_.seccomp->has_default_errno_ret);
}
END_TEST

START_TEST(test_linux_misc) {
  _cleanup_spec_ struct spec *s = parse_full();
  const struct spec_linux *l = &s->linux_;
  ck_assert_str_eq(l->cgroups_path, "/husk/test");
  ck_assert_uint_eq(l->n_sysctl, 2);
  ck_assert_str_eq(l->sysctl[0].key, "net.ipv4.ip_forward");
  ck_assert_str_eq(l->sysctl[0].value, "1");
  ck_assert_uint_eq(l->rootfs_propagation, MS_SLAVE | MS_REC);
  ck_assert_str_eq(l->rootfs_propagation_name, "rslave");
  ck_assert_str_eq(l->masked_paths[2], "/sys/firmware");
  ck_assert_ptr_null(l->masked_paths[3]);
  ck_assert_str_eq(l->readonly_paths[1], "/proc/sys");
  ck_assert_ptr_null(l->readonly_paths[2]);
  ck_assert_str_eq(l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
}
END_TEST

START_TEST(test_rootfs_propagation_values) {
  static const struct {
    const char *json;
    unsigned long flags;
  } cases[] = {
      {"'shared'", MS_SHARED},
      {"'slave'", MS_SLAVE},
      {"'private'", MS_PRIVATE},
      {"'unbindable'", MS_UNBINDABLE},
      {"'rshared'", MS_SHARED | MS_REC},
      {"'rslave'", MS_SLAVE | MS_REC},
      {"'rprivate'", MS_PRIVATE | MS_REC},
      {"'runbindable'", MS_UNBINDABLE | MS_REC},
      {"''", 0},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_spec_ struct spec *s = parse_patched("linux.rootfsPropagation", cases[i].json);
    ck_assert_uint_eq(s->linux_.rootfs_propagation, cases[i].flags);
  }
}
END_TEST

START_TEST(test_minimal) {
  /* null counts as absent, as in runc */
  _cleanup_json_ json_t *doc =
      json_from("{'ociVersion': '1.0.0', 'root': {'path': 'r'}, 'hostname': null, 'x-new': 1}");
  _cleanup_spec_ struct spec *s = parse_doc(doc);
  ck_assert_ptr_null(s->process);
  ck_assert(!s->root.readonly);
  ck_assert_ptr_null(s->hostname);
  ck_assert_uint_eq(s->n_mounts, 0);
  for (int ph = 0; ph < HOOK_PHASE_COUNT; ph++)
    ck_assert_uint_eq(s->hooks[ph].n, 0);
  ck_assert_ptr_null(spec_annotation(s, "a"));
  ck_assert_ptr_null(spec_namespace(s, CLONE_NEWPID));
  ck_assert_ptr_null(s->linux_.resources);
  ck_assert_ptr_null(s->linux_.seccomp);
  ck_assert_ptr_null(s->linux_.cgroups_path);
  ck_assert_uint_eq(s->linux_.rootfs_propagation, 0);
  ck_assert_ptr_nonnull(s->linux_.masked_paths);
  ck_assert_ptr_null(s->linux_.masked_paths[0]);
  ck_assert_ptr_nonnull(s->linux_.readonly_paths);
  ck_assert_ptr_null(s->linux_.readonly_paths[0]);

  _cleanup_spec_ struct spec *empty_linux = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(
      spec_parse_string("{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"/r\"}, \"linux\": {}}",
                        &empty_linux, &err),
      0);
  ck_assert_ptr_nonnull(empty_linux->linux_.masked_paths);
  ck_assert_ptr_null(empty_linux->linux_.masked_paths[0]);
  spec_free(NULL);
}
END_TEST

START_TEST(test_parse_file_and_string) {
  _cleanup_free_ char *text = json_text(full_config);
  char *path = write_temp("config.json", text);
  _cleanup_spec_ struct spec *from_file = NULL, *from_string = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(spec_parse_file(path, &from_file, &err), 0);
  ck_assert_ptr_null(err);
  ck_assert_str_eq(from_file->process->args[0], "sh");
  ck_assert_uint_eq(from_file->linux_.seccomp->n_syscalls, 3);
  ck_assert_int_eq(spec_parse_string(text, &from_string, &err), 0);
  ck_assert_str_eq(from_string->mounts[7].destination, "/data");
  remove_temp(path);
}
END_TEST

START_TEST(test_process_file) {
  _cleanup_free_ char *text = json_text("{'args': ['ls', '-l'], 'cwd': '/tmp', 'env': ['A=b'],"
                                        " 'user': {'uid': 5, 'gid': 6}, 'terminal': false}");
  char *path = write_temp("process.json", text);
  _cleanup_spec_ struct spec *s = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(spec_parse_process_file(path, &s, &err), 0);
  ck_assert_str_eq(s->process->args[1], "-l");
  ck_assert_str_eq(s->process->cwd, "/tmp");
  ck_assert_uint_eq(s->process->user.uid, 5);
  ck_assert_ptr_null(s->oci_version);
  ck_assert_ptr_null(s->root.path);
  ck_assert_uint_eq(s->n_mounts, 0);
  ck_assert_ptr_nonnull(s->linux_.masked_paths);
  remove_temp(path);
}
END_TEST

/* ---- error classes ---- */

START_TEST(test_error_wrong_type) {
  expect_patch_error("process.args", "'sh'", "process.args: expected a non-empty array of strings");
  expect_patch_error("process.args", "[]", "process.args: expected a non-empty array of strings");
  expect_patch_error("process.args", "['sh', 1]", "process.args[1]: expected a string");
  expect_patch_error("process.user.uid", "'0'", "process.user.uid: expected an integer");
  expect_patch_error("process.user.uid", "1.0", "process.user.uid: expected an integer");
  expect_patch_error("process.terminal", "1", "process.terminal: expected a boolean");
  expect_patch_error("process.env", "['A=1', 'FOO']",
                     "process.env[1]: expected \"NAME=value\", got \"FOO\"");
  expect_patch_error("process.capabilities", "[]", "process.capabilities: expected an object");
  expect_patch_error("process.capabilities.ambient", "'CAP_KILL'",
                     "process.capabilities.ambient: expected an array of strings");
  expect_patch_error("hostname", "5", "hostname: expected a string");
  expect_patch_error("mounts", "{}", "mounts: expected an array of objects");
  expect_patch_error("mounts", "[3]", "mounts[0]: expected an object");
  expect_patch_error("mounts[1].options", "'ro'",
                     "mounts[1].options: expected an array of strings");
  expect_patch_error("annotations", "{'a': 'b', 'c': 1}", "annotations[\"c\"]: expected a string");
  expect_patch_error("linux.resources.memory", "[]", "linux.resources.memory: expected an object");
  expect_patch_error("linux.resources.cpu.cpus", "0",
                     "linux.resources.cpu.cpus: expected a string");
  expect_patch_error("linux.resources.devices[1].access", "'rwx'",
                     "linux.resources.devices[1].access: expected a combination of \"r\", \"w\" "
                     "and \"m\", got \"rwx\"");
  expect_patch_error("linux.devices[0].type", "'x'",
                     "linux.devices[0].type: unknown device type \"x\" (expected \"c\", \"b\", "
                     "\"u\" or \"p\")");
  expect_patch_error("linux.seccomp.syscalls[0].names", "[]",
                     "linux.seccomp.syscalls[0].names: expected a non-empty array of strings");

  struct spec *s = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(spec_parse_string("[]", &s, &err), -EINVAL);
  ck_assert_str_eq(err->message, "config: expected a JSON object");
}
END_TEST

START_TEST(test_error_missing_required) {
  expect_patch_error("root.path", NULL, "root.path: required");
  expect_patch_error("root", NULL, "root: required");
  expect_patch_error("root.path", "''", "root.path: expected a non-empty string");
  expect_patch_error("ociVersion", NULL, "ociVersion: required");
  expect_patch_error("process.args", NULL, "process.args: required");
  expect_patch_error("process.cwd", NULL, "process.cwd: required");
  expect_patch_error("process.user.gid", NULL, "process.user.gid: required");
  expect_patch_error("process.consoleSize.width", NULL, "process.consoleSize.width: required");
  expect_patch_error("process.rlimits[1].type", NULL, "process.rlimits[1].type: required");
  expect_patch_error("mounts[3].destination", NULL, "mounts[3].destination: required");
  expect_patch_error("hooks.prestart[0].path", NULL, "hooks.prestart[0].path: required");
  expect_patch_error("linux.namespaces[2].type", NULL, "linux.namespaces[2].type: required");
  expect_patch_error("linux.uidMappings[0].size", NULL, "linux.uidMappings[0].size: required");
  expect_patch_error("linux.devices[1].major", NULL, "linux.devices[1].major: required");
  expect_patch_error("linux.devices[1].type", NULL, "linux.devices[1].type: required");
  expect_patch_error("linux.resources.devices[2].allow", NULL,
                     "linux.resources.devices[2].allow: required");
  expect_patch_error("linux.resources.pids.limit", NULL, "linux.resources.pids.limit: required");
  expect_patch_error("linux.resources.blockIO.throttleReadBpsDevice[0].rate", NULL,
                     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required");
  expect_patch_error("linux.resources.hugepageLimits[1].pageSize", NULL,
                     "linux.resources.hugepageLimits[1].pageSize: required");
  expect_patch_error("linux.seccomp.defaultAction", NULL, "linux.seccomp.defaultAction: required");
  expect_patch_error("linux.seccomp.syscalls[1].names", NULL,
                     "linux.seccomp.syscalls[1].names: required");
  expect_patch_error("linux.seccomp.syscalls[2].action", NULL,
                     "linux.seccomp.syscalls[2].action: required");
  expect_patch_error("linux.seccomp.syscalls[1].args[1].op", NULL,
                     "linux.seccomp.syscalls[1].args[1].op: required");
}
END_TEST

START_TEST(test_error_oci_version) {
  expect_patch_error("ociVersion", "'2.0.0'",
                     "ociVersion: unsupported version \"2.0.0\" (husk supports 1.x)");
  expect_patch_error("ociVersion", "'10.1.0'",
                     "ociVersion: unsupported version \"10.1.0\" (husk supports 1.x)");
  expect_patch_error("ociVersion", "''",
                     "ociVersion: unsupported version \"\" (husk supports 1.x)");
  expect_patch_error("ociVersion", "1", "ociVersion: expected a string");
  _cleanup_spec_ struct spec *s = parse_patched("ociVersion", "'1.0.2-dev'");
  ck_assert_str_eq(s->oci_version, "1.0.2-dev");
}
END_TEST

START_TEST(test_error_not_absolute) {
  expect_patch_error("mounts[2].destination", "'dev/pts'",
                     "mounts[2].destination: expected an absolute path");
  expect_patch_error("process.cwd", "'work'", "process.cwd: expected an absolute path");
  expect_patch_error("hooks.poststop[0].path", "'cleanup.sh'",
                     "hooks.poststop[0].path: expected an absolute path");
  expect_patch_error("linux.devices[2].path", "'myfifo'",
                     "linux.devices[2].path: expected an absolute path");
  expect_patch_error("linux.maskedPaths", "['/proc/acpi', 'proc/kcore']",
                     "linux.maskedPaths[1]: expected an absolute path");
  expect_patch_error("linux.readonlyPaths", "['']",
                     "linux.readonlyPaths[0]: expected an absolute path");
}
END_TEST

START_TEST(test_error_unknown_namespace) {
  expect_patch_error("linux.namespaces[1].type", "'foo'",
                     "linux.namespaces[1].type: unknown namespace type \"foo\"");
  /* the /proc name is not the config.json name */
  expect_patch_error("linux.namespaces[1].type", "'net'",
                     "linux.namespaces[1].type: unknown namespace type \"net\"");
}
END_TEST

START_TEST(test_error_duplicate_namespace) {
  expect_patch_error("linux.namespaces[3].type", "'pid'",
                     "linux.namespaces[3].type: namespace \"pid\" listed twice");
  expect_patch_error("linux.namespaces", "[{'type': 'mount'}, {'type': 'mount', 'path': '/x'}]",
                     "linux.namespaces[1].type: namespace \"mount\" listed twice");
}
END_TEST

START_TEST(test_error_rootfs_propagation) {
  expect_patch_error("linux.rootfsPropagation", "'rshare'",
                     "linux.rootfsPropagation: unknown propagation \"rshare\" (expected shared, "
                     "slave, private, unbindable, rshared, rslave, rprivate or runbindable)");
  expect_patch_error("linux.rootfsPropagation", "true",
                     "linux.rootfsPropagation: expected a string");
}
END_TEST

START_TEST(test_error_out_of_range) {
  expect_patch_error("process.oomScoreAdj", "1001",
                     "process.oomScoreAdj: expected an integer between -1000 and 1000");
  expect_patch_error("process.user.uid", "-1",
                     "process.user.uid: expected an integer between 0 and 4294967294");
  expect_patch_error("process.user.gid", "4294967295",
                     "process.user.gid: expected an integer between 0 and 4294967294");
  expect_patch_error("process.user.umask", "512",
                     "process.user.umask: expected an integer between 0 and 511");
  expect_patch_error(
      "process.user.additionalGids", "[1, -5]",
      "process.user.additionalGids[1]: expected an integer between 0 and 4294967294");
  expect_patch_error("process.consoleSize.height", "-1",
                     "process.consoleSize.height: expected an integer between 0 and 4294967295");
  expect_patch_error("process.rlimits[0].soft", "-1",
                     "process.rlimits[0].soft: expected an integer between 0 and "
                     "18446744073709551615");
  expect_patch_error("hooks.createRuntime[0].timeout", "0",
                     "hooks.createRuntime[0].timeout: expected an integer between 1 and "
                     "2147483647");
  expect_patch_error("linux.uidMappings[0].size", "0",
                     "linux.uidMappings[0].size: expected an integer between 1 and 4294967295");
  expect_patch_error("linux.gidMappings[1].hostID", "4294967296",
                     "linux.gidMappings[1].hostID: expected an integer between 0 and 4294967295");
  expect_patch_error("linux.resources.memory.limit", "-2",
                     "linux.resources.memory.limit: expected an integer between -1 and "
                     "9223372036854775807");
  expect_patch_error("linux.resources.memory.swappiness", "101",
                     "linux.resources.memory.swappiness: expected an integer between 0 and 100");
  expect_patch_error("linux.resources.blockIO.weight", "5",
                     "linux.resources.blockIO.weight: expected 0 or an integer between 10 and "
                     "1000");
  expect_patch_error("linux.resources.blockIO.weightDevice[1].weight", "1001",
                     "linux.resources.blockIO.weightDevice[1].weight: expected 0 or an integer "
                     "between 10 and 1000");
  expect_patch_error("linux.seccomp.syscalls[1].args[0].index", "6",
                     "linux.seccomp.syscalls[1].args[0].index: expected an integer between 0 and "
                     "5");
  expect_patch_error("linux.seccomp.syscalls[1].args[0].value", "1.5",
                     "linux.seccomp.syscalls[1].args[0].value: expected an integer");

  _cleanup_spec_ struct spec *s = parse_patched("linux.resources.memory.limit", "-1");
  ck_assert_int_eq(s->linux_.resources->memory->limit.value, -1);
}
END_TEST

START_TEST(test_error_invalid_json) {
  static const char text[] = "{\n  \"ociVersion\": \"1.2.0\",\n  \"root\" {\"path\": \"r\"}\n}\n";
  json_error_t jerr;
  ck_assert_ptr_null(json_loads(text, 0, &jerr));
  ck_assert_int_eq(jerr.line, 3);
  char *path = write_temp("config.json", text);
  _cleanup_free_ char *dir = xstrdup(path);
  *strrchr(dir, '/') = '\0';
  ck_assert_int_eq(chdir(dir), 0);

  struct spec *s = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(spec_parse_file("config.json", &s, &err), -EINVAL);
  ck_assert_ptr_null(s);
  _cleanup_free_ char *want =
      xasprintf("config.json: invalid JSON at line 3, column %d: %s", jerr.column, jerr.text);
  ck_assert_str_eq(err->message, want);
  ck_assert(str_has_prefix(err->message, "config.json: invalid JSON at line 3, column "));

  husk_error_freep(&err);
  ck_assert_int_eq(spec_parse_string(text, &s, &err), -EINVAL);
  ck_assert(str_has_prefix(err->message, "invalid JSON at line 3, column "));

  husk_error_freep(&err);
  ck_assert_int_eq(spec_parse_process_file("config.json", &s, &err), -EINVAL);
  ck_assert_str_eq(err->message, want);
  ck_assert_int_eq(chdir("/"), 0);
  remove_temp(path);
}
END_TEST

START_TEST(test_error_missing_file) {
  struct spec *s = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(spec_parse_file("/nonexistent-husk/config.json", &s, &err), -ENOENT);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(err->code, ENOENT);
  ck_assert_str_eq(err->message, "open /nonexistent-husk/config.json: No such file or directory");
  husk_error_freep(&err);
  ck_assert_int_eq(spec_parse_process_file("/nonexistent-husk/p.json", &s, &err), -ENOENT);
  ck_assert_str_eq(err->message, "open /nonexistent-husk/p.json: No such file or directory");
}
END_TEST

START_TEST(test_error_process_file) {
  static const struct {
    const char *json, *message;
  } cases[] = {
      {"{'args': ['ls'], 'cwd': 'tmp'}", "process.cwd: expected an absolute path"},
      {"{'cwd': '/'}", "process.args: required"},
      {"{'args': ['ls'], 'cwd': '/', 'user': {'uid': 'root', 'gid': 0}}",
       "process.user.uid: expected an integer"},
      {"[]", "process: expected an object"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_free_ char *text = json_text(cases[i].json);
    char *path = write_temp("process.json", text);
    struct spec *s = NULL;
    _cleanup_error_ struct husk_error *err = NULL;
    ck_assert_int_eq(spec_parse_process_file(path, &s, &err), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err->message, cases[i].message);
    remove_temp(path);
  }
}
END_TEST

static Suite *spec_suite(void) {
  Suite *s = suite_create("spec");
  TCase *fields = tcase_create("fields");
  tcase_add_test(fields, test_top_level);
  tcase_add_test(fields, test_process);
  tcase_add_test(fields, test_process_defaults);
  tcase_add_test(fields, test_mounts);
  tcase_add_test(fields, test_hooks);
  tcase_add_test(fields, test_hook_phase_names);
  tcase_add_test(fields, test_namespaces);
  tcase_add_test(fields, test_id_mappings_and_devices);
  tcase_add_test(fields, test_resources);
  tcase_add_test(fields, test_seccomp);
  tcase_add_test(fields, test_linux_misc);
  tcase_add_test(fields, test_rootfs_propagation_values);
  tcase_add_test(fields, test_minimal);
  tcase_add_test(fields, test_parse_file_and_string);
  tcase_add_test(fields, test_process_file);
  suite_add_tcase(s, fields);

  TCase *errors = tcase_create("errors");
  tcase_add_test(errors, test_error_wrong_type);
  tcase_add_test(errors, test_error_missing_required);
  tcase_add_test(errors, test_error_oci_version);
  tcase_add_test(errors, test_error_not_absolute);
  tcase_add_test(errors, test_error_unknown_namespace);
  tcase_add_test(errors, test_error_duplicate_namespace);
  tcase_add_test(errors, test_error_rootfs_propagation);
  tcase_add_test(errors, test_error_out_of_range);
  tcase_add_test(errors, test_error_invalid_json);
  tcase_add_test(errors, test_error_missing_file);
  tcase_add_test(errors, test_error_process_file);
  suite_add_tcase(s, errors);
  return s;
}

int main(void) { return unit_run(spec_suite()); }
