/* test_flags.c: unit tests of docker run's everyday flags (monitor/run_flags.h): each flag's
 * parsing and the part of config.json it sets, Docker's error wording for bad values, the edit
 * that appends mounts and rlimits and tweaks capabilities, named volumes in a store, Docker's
 * capability rules and seccomp profile format. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "container/container.h"
#include "image/volume.h"
#include "monitor/run_flags.h"
#include "monitor/run_options.h"
#include "seccomp/seccomp.h"
#include "unit.h"

/* Parse flags (code, value pairs, ended by 0) into f; each must be taken. */
static void parse_all(struct run_flags *f, const int *codes, const char *const *values) {
  for (size_t i = 0; codes[i]; i++) {
    _cleanup_error_ struct husk_error *err = NULL;
    int r = run_flags_parse(codes[i], values[i], f, &err);
    ck_assert_msg(r == 0, "flag %d \"%s\": %d %s", codes[i], values[i] ? values[i] : "", r,
                  err ? err->message : "");
  }
}

static void assert_json(const json_t *got, const char *want_text) {
  _cleanup_json_ json_t *want = json_loads(want_text, 0, NULL);
  ck_assert_msg(want, "bad expected JSON: %s", want_text);
  _cleanup_free_ char *text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_msg(json_equal((json_t *)got, want), "got %s", text);
}

START_TEST(patch_of_simple_flags) {
  struct run_flags f;
  run_flags_init(&f);
  static const int codes[] = {RUN_FLAG_READ_ONLY,
                              'w',
                              RUN_FLAG_SECURITY_OPT,
                              RUN_FLAG_SECURITY_OPT,
                              RUN_FLAG_PIDS_LIMIT,
                              RUN_FLAG_CPUS,
                              RUN_FLAG_MEMORY_SWAP,
                              RUN_FLAG_SYSCTL,
                              RUN_FLAG_SYSCTL,
                              RUN_FLAG_LABEL,
                              RUN_FLAG_LABEL,
                              RUN_FLAG_INIT,
                              't',
                              'i',
                              0};
  static const char *const values[] = {NULL,
                                       "/srv",
                                       "no-new-privileges=false",
                                       "apparmor=docker-default",
                                       "42",
                                       "1.5",
                                       "-1",
                                       "net.ipv4.ip_forward=1",
                                       "kernel.shmmax=a=b",
                                       "tier=web",
                                       "flag",
                                       NULL,
                                       NULL,
                                       NULL};
  parse_all(&f, codes, values);
  ck_assert(f.interactive && !run_flags_edits(&f));
  _cleanup_json_ json_t *patch = json_object();
  run_flags_patch(&f, patch);
  assert_json(patch, "{\"root\": {\"readonly\": true},"
                     " \"process\": {\"cwd\": \"/srv\", \"noNewPrivileges\": false,"
                     "  \"apparmorProfile\": \"docker-default\", \"terminal\": true},"
                     " \"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": \"1\","
                     "  \"kernel.shmmax\": \"a=b\"},"
                     "  \"resources\": {\"pids\": {\"limit\": 42},"
                     "   \"cpu\": {\"period\": 100000, \"quota\": 150000},"
                     "   \"memory\": {\"swap\": -1}}},"
                     " \"annotations\": {\"tier\": \"web\", \"flag\": \"\","
                     "  \"io.husk.init\": \"true\"}}");
  run_flags_free(&f);
  /* docker: a pids limit of 0 is unlimited too */
  run_flags_init(&f);
  static const int c2[] = {RUN_FLAG_PIDS_LIMIT, RUN_FLAG_SECURITY_OPT, 0};
  static const char *const v2[] = {"0", "no-new-privileges", NULL};
  parse_all(&f, c2, v2);
  ck_assert_int_eq(f.pids_limit, -1);
  ck_assert_int_eq(f.no_new_privileges, 1);
  run_flags_free(&f);
}
END_TEST

START_TEST(bad_values_and_their_wording) {
  static const struct {
    int code;
    const char *value, *wording;
  } bad[] = {
      {'v', "/a:/b:bogus", "--volume: invalid mode: bogus"},
      {'v', "/a:/b:ro,rw", "invalid mode: ro,rw"},
      {'v', ":/b", "invalid volume specification: ':/b'"},
      {'v', "/a:/b:ro:x", "invalid volume specification: '/a:/b:ro:x'"},
      {'v', "/foo:rw", "invalid volume specification: '/foo:rw'"},
      {'v', "a/b:/c", "\"a/b\" includes invalid characters for a local volume name"},
      {'v', "x:/c", "\"x\" includes invalid characters"},
      {'v', "/a:rel",
       "invalid mount config for type \"bind\": invalid mount path: 'rel' mount "
       "path must be absolute"},
      {'v', "vol:/",
       "invalid mount config for type \"volume\": invalid specification: "
       "destination can't be '/'"},
      {RUN_FLAG_MOUNT, "type=foo,dst=/x", "mount type unknown"},
      {RUN_FLAG_MOUNT, "type=bind,src=/x", "target is required"},
      {RUN_FLAG_MOUNT, "type=bind,dst=/x", "field Source must not be empty"},
      {RUN_FLAG_MOUNT, "type=bind,src=rel,dst=/x", "'rel' mount path must be absolute"},
      {RUN_FLAG_MOUNT, "type=bind,src=/a,dst=/x,volume-nocopy", "cannot mix 'volume-*' options"},
      {RUN_FLAG_MOUNT, "type=volume,dst=/x,tmpfs-size=1m", "cannot mix 'tmpfs-*' options"},
      {RUN_FLAG_MOUNT, "type=bind,src=/a,dst=/x,bind-propagation=sideways",
       "invalid propagation mode: sideways"},
      {RUN_FLAG_MOUNT, "type=bind,src=/a,dst=/x,ro=maybe", "invalid value for ro: maybe"},
      {RUN_FLAG_MOUNT, "type=tmpfs,dst=/x,tmpfs-mode=9", "invalid value for tmpfs-mode: 9"},
      {RUN_FLAG_MOUNT, "type=tmpfs,src=x,dst=/x", "field Source must not be specified"},
      {RUN_FLAG_MOUNT, "type=bind,src=/a,dst=/x,colour=red", "unexpected key 'colour'"},
      {RUN_FLAG_TMPFS, "/x:size", "invalid tmpfs option \"size\""},
      {'w', "srv", "the working directory 'srv' is invalid, it needs to be an absolute path"},
      {RUN_FLAG_CAP_ADD, "CAP_NOPE", "--cap-add: unknown capability \"CAP_NOPE\""},
      {RUN_FLAG_CAP_DROP, "nope", "--cap-drop: unknown capability \"CAP_NOPE\""},
      {RUN_FLAG_SECURITY_OPT, "seccomp", "invalid --security-opt 1: \"seccomp\""},
      {RUN_FLAG_SECURITY_OPT, "label=disable", "invalid --security-opt 2: \"label=disable\""},
      {RUN_FLAG_SECURITY_OPT, "seccomp=/nonexistent/p.json", "opening seccomp profile"},
      {RUN_FLAG_SECURITY_OPT, "seccomp=/dev/null", "Decoding seccomp profile failed"},
      {RUN_FLAG_LABEL, "k=\xff", "not valid UTF-8"},
      {RUN_FLAG_PIDS_LIMIT, "1x", "--pids-limit: expected a whole number, not \"1x\""},
      {RUN_FLAG_CPUS, "-1", "failed to parse -1 as a rational number"},
      {RUN_FLAG_CPUS, "0.001", "Range of CPUs is from 0.01 to"},
      {RUN_FLAG_MEMORY_SWAP, "-2", "--memory-swap: expected a size"},
      {RUN_FLAG_ULIMIT, "nofile=x", "invalid ulimit soft value x"},
      {RUN_FLAG_ULIMIT, "nofile=1:y", "invalid ulimit hard value y"},
      {RUN_FLAG_ULIMIT, "nofile=-5", "invalid ulimit value -5"},
      {RUN_FLAG_SHM_SIZE, "0", "--shm-size: 0 is less than a byte"},
      {RUN_FLAG_SYSCTL, "net.ipv4.ip_forward", "sysctl 'net.ipv4.ip_forward' is not whitelisted"},
      {RUN_FLAG_SYSCTL, "vm.swappiness=1", "sysctl 'vm.swappiness=1' is not whitelisted"},
      {RUN_FLAG_LABEL, "=x", "--label: invalid label '=x'"},
      {RUN_FLAG_LABEL, "io.husk.init=false", "io.husk.* annotations are husk's own"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    struct run_flags f;
    run_flags_init(&f);
    _cleanup_error_ struct husk_error *err = NULL;
    int r = run_flags_parse(bad[i].code, bad[i].value, &f, &err);
    ck_assert_msg(r < 0, "\"%s\" should fail", bad[i].value);
    ck_assert_msg(err && strstr(err->message, bad[i].wording), "\"%s\": %s", bad[i].value,
                  err ? err->message : "(no error)");
    run_flags_free(&f);
  }
  /* the same mount point twice */
  struct run_flags f;
  run_flags_init(&f);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(run_flags_parse('v', "/a:/data/", &f, &err), 0);
  ck_assert_int_lt(run_flags_parse(RUN_FLAG_TMPFS, "/data", &f, &err), 0);
  ck_assert_str_eq(err->message, "Duplicate mount point: /data");
  husk_error_freep(&err);
  /* --memory-swap against -m */
  ck_assert_int_eq(run_flags_parse(RUN_FLAG_MEMORY_SWAP, "1g", &f, &err), 0);
  ck_assert_int_lt(run_flags_check(&f, 0, &err), 0);
  ck_assert_ptr_nonnull(strstr(err->message, "You should always set the Memory limit"));
  husk_error_freep(&err);
  ck_assert_int_lt(run_flags_check(&f, INT64_C(2) << 30, &err), 0);
  ck_assert_ptr_nonnull(strstr(err->message, "Minimum memoryswap limit should be larger"));
  husk_error_freep(&err);
  ck_assert_int_eq(run_flags_check(&f, INT64_C(1) << 30, &err), 0);
  ck_assert_int_eq(run_flags_parse('Z', NULL, &f, &err), 1);
  run_flags_free(&f);
}
END_TEST

/* Through run_parse_option too: run's own table hands these flags on. */
START_TEST(run_options_take_them) {
  struct run_options ro;
  run_options_init(&ro);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(run_parse_option(RUN_FLAG_READ_ONLY, NULL, &ro, &err), 0);
  ck_assert_int_eq(run_parse_option('m', "64m", &ro, &err), 0);
  _cleanup_json_ json_t *patch = run_config_patch(&ro);
  assert_json(patch, "{\"root\": {\"readonly\": true},"
                     " \"linux\": {\"resources\": {\"memory\": {\"limit\": 67108864}}}}");
  run_options_free(&ro);
}
END_TEST

START_TEST(mount_forms) {
  struct run_flags f;
  run_flags_init(&f);
  static const int codes[] = {
      'v', 'v', RUN_FLAG_MOUNT, RUN_FLAG_MOUNT, RUN_FLAG_TMPFS, RUN_FLAG_MOUNT, 0};
  static const char *const values[] = {
      "/srv/www:/usr/share/www:ro,Z,rshared",
      "cache:/var/cache:nocopy",
      "type=bind,\"source=/a,b\",target=/ab,readonly,bind-propagation=rslave",
      "type=volume,src=data,dst=/data/./",
      "/run:exec,size=64k,noexec,size=1m",
      "type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770,ro",
  };
  parse_all(&f, codes, values);
  ck_assert(run_flags_edits(&f));
  assert_json(
      f.mounts,
      "[{\"destination\": \"/usr/share/www\", \"type\": \"bind\", \"source\": \"/srv/www\","
      "  \"options\": [\"rbind\", \"rshared\", \"ro\"], \"husk.mkdir\": true},"
      " {\"destination\": \"/var/cache\", \"type\": \"volume\", \"source\": \"cache\","
      "  \"options\": [\"rbind\", \"rprivate\"], \"husk.nocopy\": true},"
      " {\"destination\": \"/ab\", \"type\": \"bind\", \"source\": \"/a,b\","
      "  \"options\": [\"rbind\", \"rslave\", \"ro\"]},"
      " {\"destination\": \"/data\", \"type\": \"volume\", \"source\": \"data\","
      "  \"options\": [\"rbind\", \"rprivate\"]},"
      " {\"destination\": \"/run\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
      "  \"options\": [\"nosuid\", \"nodev\", \"rprivate\", \"noexec\", \"size=1m\"]},"
      " {\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
      "  \"options\": [\"noexec\", \"nosuid\", \"nodev\", \"rprivate\", \"ro\", \"size=1024k\","
      "   \"mode=1770\"]}]");
  run_flags_free(&f);
  /* an anonymous volume is named once, when parsed: 64 hex digits, as docker's */
  run_flags_init(&f);
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(run_flags_parse('v', "/anon", &f, &err), 0);
  ck_assert_int_eq(run_flags_parse(RUN_FLAG_MOUNT, "type=volume,dst=/anon2", &f, &err), 0);
  for (size_t i = 0; i < 2; i++) {
    const char *name = json_string_value(json_object_get(json_array_get(f.mounts, i), "source"));
    ck_assert_uint_eq(strspn(name, "0123456789abcdef"), 64);
    ck_assert_uint_eq(strlen(name), 64);
  }
  run_flags_free(&f);
}
END_TEST

START_TEST(edit_appends_and_replaces) {
  char tmpl[] = "/tmp/husk-unit-flags-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
  _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", tmpl), *etc = xasprintf("%s/etc", rootfs);
  _cleanup_free_ char *passwd = xasprintf("%s/passwd", etc), *host = xasprintf("%s/host/new", tmpl);
  ck_assert_int_eq(mkdir_p(etc, 0755, NULL), 0);
  FILE *fp = fopen(passwd, "w");
  ck_assert_ptr_nonnull(fp);
  fputs("root:x:0:0::/root:/bin/sh\n", fp);
  fclose(fp);
  struct run_flags f;
  run_flags_init(&f);
  _cleanup_free_ char *bind = xasprintf("%s:/data", host);
  static const int codes[] = {'v',
                              'v',
                              RUN_FLAG_SHM_SIZE,
                              RUN_FLAG_ULIMIT,
                              RUN_FLAG_ULIMIT,
                              RUN_FLAG_CAP_DROP,
                              RUN_FLAG_CAP_ADD,
                              RUN_FLAG_TMPFS,
                              0};
  const char *values[] = {bind,       "conf:/etc", "8m", "nofile=10:20", "nproc=5", "CAP_KILL",
                          "sys_time", "/tmp",      NULL};
  parse_all(&f, codes, values);
  _cleanup_json_ json_t *doc = json_loads(
      "{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1}],"
      "  \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"],"
      "   \"effective\": [\"CAP_KILL\"], \"permitted\": [], \"ambient\": [\"CAP_KILL\"]}},"
      " \"mounts\": [{\"destination\": \"/tmp/\", \"type\": \"bind\", \"source\": \"/x\"},"
      "  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
      "   \"options\": [\"nosuid\", \"size=65536k\"]}]}",
      0, NULL);
  _cleanup_free_ char *store = xasprintf("%s/store", tmpl);
  struct config_edit_ctx ctx = {.storage = store, .rootfs = rootfs};
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(run_flags_edit(doc, &ctx, &f, &err) == 0, "%s", err ? err->message : "");
  /* -v made the missing host directory; the volume was filled from the rootfs */
  ck_assert_int_eq(access(host, F_OK), 0);
  _cleanup_free_ char *filled = xasprintf("%s/volumes/conf/_data/passwd", store);
  ck_assert_int_eq(access(filled, F_OK), 0);
  _cleanup_free_ char *data = xasprintf("%s/volumes/conf/_data", store);
  _cleanup_free_ char *want = xasprintf(
      "{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 20},"
      "   {\"type\": \"RLIMIT_NPROC\", \"soft\": 5, \"hard\": 5}],"
      "  \"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_SYS_TIME\"],"
      "   \"effective\": [\"CAP_SYS_TIME\"], \"permitted\": [], \"ambient\": []}},"
      " \"mounts\": [{\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
      "   \"options\": [\"nosuid\", \"size=8388608\"]},"
      "  {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"%s\","
      "   \"options\": [\"rbind\", \"rprivate\"]},"
      "  {\"destination\": \"/etc\", \"type\": \"bind\", \"source\": \"%s\","
      "   \"options\": [\"rbind\", \"rprivate\"]},"
      "  {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
      "   \"options\": [\"noexec\", \"nosuid\", \"nodev\", \"rprivate\"]}],"
      " \"annotations\": {\"io.husk.volumes\": \"%s\"}}",
      host, data, data);
  assert_json(doc, want);
  run_flags_free(&f);
  ck_assert_int_eq(volume_remove(store, "conf", NULL), 0);
  ck_assert_int_lt(volume_remove(store, "conf", &err), 0);
  ck_assert_ptr_nonnull(strstr(err->message, "no such volume"));
  ck_assert_int_eq(remove_dir_tree(tmpl, NULL), 0);
}
END_TEST

START_TEST(tweak_capabilities_as_docker) {
  _cleanup_json_ json_t *base = json_pack("[s,s,s]", "CAP_CHOWN", "CAP_KILL", "CAP_SETUID");
  _cleanup_json_ json_t *none = json_array();
  _cleanup_json_ json_t *add = json_pack("[s]", "CAP_NET_ADMIN");
  _cleanup_json_ json_t *drop = json_pack("[s]", "CAP_KILL");
  _cleanup_json_ json_t *all = json_pack("[s]", "ALL");
  _cleanup_json_ json_t *a = capabilities_tweak(base, add, drop);
  assert_json(a, "[\"CAP_CHOWN\", \"CAP_SETUID\", \"CAP_NET_ADMIN\"]");
  _cleanup_json_ json_t *b = capabilities_tweak(base, add, all);
  assert_json(b, "[\"CAP_NET_ADMIN\"]");
  _cleanup_json_ json_t *c = capabilities_tweak(base, all, drop);
  ck_assert(json_array_size(c) > 30);
  size_t i;
  json_t *v;
  json_array_foreach(c, i, v) { ck_assert_str_ne(json_string_value(v), "CAP_KILL"); }
  _cleanup_json_ json_t *d = capabilities_tweak(base, none, none);
  ck_assert(json_equal(d, base));
}
END_TEST

START_TEST(cpus_and_volume_names) {
  _cleanup_error_ struct husk_error *err = NULL;
  int64_t n = 0;
  ck_assert_int_eq(parse_cpus("0.5", &n, &err), 0);
  ck_assert_int_eq(n, 500000000);
  ck_assert_int_eq(parse_cpus("1", &n, &err), 0);
  ck_assert_int_eq(n, 1000000000);
  ck_assert_int_lt(parse_cpus("1.5x", &n, &err), 0);
  ck_assert(volume_name_valid("web-data_1.2"));
  ck_assert(!volume_name_valid("a"));
  ck_assert(!volume_name_valid("-a"));
  ck_assert(!volume_name_valid("a/b"));
  ck_assert(!volume_name_valid(".."));
}
END_TEST

START_TEST(docker_seccomp_profile) {
  _cleanup_json_ json_t *profile = json_loads(
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
      " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\":"
      "   [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]},"
      "  {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}],"
      " \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\","
      "   \"comment\": \"io\"},"
      "  {\"name\": \"ptrace\", \"action\": \"SCMP_ACT_ALLOW\","
      "   \"includes\": {\"caps\": [\"CAP_SYS_PTRACE\"]}},"
      "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\","
      "   \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}, \"args\": [{\"index\": 0, \"value\": 1,"
      "   \"op\": \"SCMP_CMP_EQ\"}]},"
      "  {\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\","
      "   \"includes\": {\"arches\": [\"s390x\"]}},"
      "  {\"names\": [\"b\"], \"action\": \"SCMP_ACT_ALLOW\","
      "   \"includes\": {\"minKernel\": \"99.0\"}}]}",
      0, NULL);
  ck_assert_ptr_nonnull(profile);
  _cleanup_json_ json_t *caps = json_pack("[s]", "CAP_SYS_PTRACE");
  _cleanup_json_ json_t *oci = NULL;
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_msg(seccomp_from_docker(profile, caps, &oci, &err) == 0, "%s", err ? err->message : "");
#if defined(__x86_64__)
  const char *arches = "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]";
#elif defined(__aarch64__)
  const char *arches = "[\"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\"]";
#endif
  _cleanup_free_ char *want = xasprintf(
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, \"architectures\": %s,"
      " \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
      "  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\"},"
      "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0,"
      "   \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
      arches);
  assert_json(oci, want);
  /* the two forms of one rule, or both architecture lists: docker's errors */
  _cleanup_json_ json_t *both = json_loads(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"a\", \"names\": "
      "[\"b\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
      0, NULL);
  _cleanup_json_ json_t *out = NULL;
  ck_assert_int_lt(seccomp_from_docker(both, caps, &out, &err), 0);
  ck_assert_ptr_nonnull(strstr(err->message, "use either 'name' or 'names'"));
  husk_error_freep(&err);
  _cleanup_json_ json_t *archs =
      json_loads("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"],"
                 " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]}",
                 0, NULL);
  ck_assert_int_lt(seccomp_from_docker(archs, caps, &out, &err), 0);
  ck_assert_ptr_nonnull(strstr(err->message, "both 'architectures' and 'archMap'"));
}
END_TEST

static Suite *flags_suite(void) {
  Suite *s = suite_create("flags");
  TCase *t = tcase_create("run flags");
  tcase_add_test(t, patch_of_simple_flags);
  tcase_add_test(t, bad_values_and_their_wording);
  tcase_add_test(t, run_options_take_them);
  tcase_add_test(t, mount_forms);
  tcase_add_test(t, edit_appends_and_replaces);
  tcase_add_test(t, tweak_capabilities_as_docker);
  tcase_add_test(t, cpus_and_volume_names);
  tcase_add_test(t, docker_seccomp_profile);
  suite_add_tcase(s, t);
  return s;
}

int main(void) { return unit_run(flags_suite()); }
