/* test_hardening.c: integration tests of process hardening: process.user, capabilities,
 * noNewPrivileges, rlimits, oomScoreAdj, the session keyring, OCI hooks (order, state on
 * stdin, timeouts, failures), and one test per escape class a naive runtime would let
 * through: leaked fds, a cwd outside the root (CVE-2024-21626), /proc/<init>/exe of the
 * runtime binary (CVE-2019-5736), /proc on a symlink (CVE-2019-19921), a fake /dev/null
 * under maskedPaths (CVE-2025-31133). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A bundle whose process is `sh -c cmd`, after edit(config, data). */
static char *bundle_with(const char *name, const char *cmd, void (*edit)(json_t *, void *),
                         void *data) {
  char *bundle = h_bundle_new(name);
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set_cmd(config, cmd);
  if (edit)
    edit(config, data);
  h_config_save(bundle, config);
  return bundle;
}

/* `run` the bundle in the foreground; its stdout. */
static char *run_out(const char *bundle, const char *id) {
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s%s", r.status, r.out, r.err);
  char *out = r.out;
  r.out = NULL;
  return out;
}

/* The value of "<key>:\t..." (a /proc/self/status line) in text, up to the newline. */
static char *field(const char *text, const char *key) {
  _h_free_ char *needle = NULL;
  ck_assert(asprintf(&needle, "%s:\t", key) > 0);
  const char *p = text;
  while ((p = strstr(p, needle)) && p != text && p[-1] != '\n')
    p++;
  ck_assert_msg(p, "no %s line in: %s", key, text);
  p += strlen(needle);
  return strndup(p, strcspn(p, "\n"));
}

static void assert_field(const char *text, const char *key, const char *want) {
  _h_free_ char *got = field(text, key);
  ck_assert_msg(strcmp(got, want) == 0, "%s: got \"%s\", want \"%s\"", key, got, want);
}

static void write_script(const char *path, const char *body) {
  FILE *f = fopen(path, "we");
  ck_assert_msg(f, "open %s: %s", path, strerror(errno));
  fprintf(f, "#!/bin/sh\n%s\n", body);
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_int_eq(chmod(path, 0755), 0);
}

#define STATUS_LINES                                                                               \
  "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "            \
  "/proc/self/status"

/* ---- user, capabilities, no_new_privs, rlimits, oomScoreAdj ---- */

static json_t *strings(const char *first, ...) __attribute__((sentinel));
static json_t *strings(const char *first, ...) {
  json_t *a = json_array();
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *))
    json_array_append_new(a, json_string(s));
  va_end(ap);
  return a;
}

static void drop_home(json_t *config) {
  json_t *env = json_object_get(json_object_get(config, "process"), "env");
  for (size_t i = 0; i < json_array_size(env);) {
    if (strncmp(json_string_value(json_array_get(env, i)), "HOME=", 5) == 0)
      json_array_remove(env, i);
    else
      i++;
  }
}

static void service_user(json_t *config, void *data) {
  (void)data;
  h_config_set(config, "process.user",
               json_pack("{s:i, s:i, s:[i, i], s:i}", "uid", 1000, "gid", 1000, "additionalGids", 5,
                         65534, "umask", 027));
  drop_home(config);
  h_config_set(config, "process.capabilities",
               json_pack("{s:o, s:o, s:o, s:o, s:o}", "bounding",
                         strings("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL),
                         "effective", strings("CAP_KILL", NULL), "permitted",
                         strings("CAP_KILL", NULL), "inheritable", strings("CAP_KILL", NULL),
                         "ambient", strings("CAP_KILL", NULL)));
  h_config_set(config, "process.noNewPrivileges", json_true());
  h_config_set(config, "process.rlimits",
               json_pack("[{s:s, s:i, s:i}, {s:s, s:i, s:i}]", "type", "RLIMIT_NOFILE", "soft", 200,
                         "hard", 300, "type", "RLIMIT_NPROC", "soft", 500, "hard", 600));
  h_config_set(config, "process.oomScoreAdj", json_integer(123));
}

/* uid, gid and groups, umask, HOME from the rootfs's /etc/passwd, all five capability sets
 * exactly as configured (CAP_KILL ambient, so a non-root process keeps it), NoNewPrivs,
 * rlimits and oom_score_adj. */
/* process.apparmorProfile, process.selinuxLabel, linux.mountLabel on a host whose module is
 * not enabled: create refuses by name (runc refuses too), and so does exec of such a process.
 * A confinement asked for is never dropped. */
static void set_lsm_field(json_t *config, void *data) {
  const char *field = data;
  json_t *v = json_string(strcmp(field, "process.apparmorProfile") == 0
                              ? "husk-test-profile"
                          : strcmp(field, "linux.mountLabel") == 0
                              ? "system_u:object_r:container_file_t:s0"
                              : "system_u:system_r:container_t:s0");
  h_config_set(config, field, v);
}

static bool module_enabled(const char *field) {
  return strcmp(field, "process.apparmorProfile") == 0
             ? access("/sys/kernel/security/apparmor", F_OK) == 0
             : access("/sys/fs/selinux/enforce", F_OK) == 0;
}

START_TEST(test_lsm_labels_refused_when_disabled) {
  const char *fields[] = {"process.apparmorProfile", "process.selinuxLabel", "linux.mountLabel"};
  for (size_t i = 0; i < 3; i++) {
    if (module_enabled(fields[i])) {
      fprintf(stderr, "test_lsm_labels_refused_when_disabled: %s: its module is enabled\n",
              fields[i]);
      continue;
    }
    _h_free_ char *bundle = bundle_with("lsm", "true", set_lsm_field, (void *)fields[i]);
    _h_free_ char *id = h_id_new("lsm");
    h_assert_create_fails_cleanly(bundle, id, fields[i]);
  }
  if (module_enabled(fields[0]))
    return;
  _h_free_ char *bundle = bundle_with("lsmexec", "sleep 100", NULL, NULL);
  _h_free_ char *id = h_id_new("lsmexec");
  h_create_and_start(bundle, id);
  _h_free_ char *pfile = NULL;
  ck_assert(asprintf(&pfile, "%s/process.json", bundle) > 0);
  _h_json_ json_t *proc = json_pack("{s:[s], s:s, s:{s:i, s:i}, s:s}", "args", "true", "cwd", "/",
                                    "user", "uid", 0, "gid", 0, "apparmorProfile",
                                    "husk-test-profile");
  ck_assert_int_eq(json_dump_file(proc, pfile, 0), 0);
  _h_result_ struct h_result e = h_rt("exec", "--process", pfile, id, NULL);
  ck_assert_msg(e.status != 0, "exec with an AppArmor profile on a host without AppArmor ran");
  if (h_is_husk())
    ck_assert_msg(strstr(e.err, "process.apparmorProfile"), "exec: %s", e.err);
  ck_assert_msg(!h_process_mentions("husk-test-profile"), "exec left a process");
}
END_TEST

START_TEST(test_service_user_and_caps) {
  _h_free_ char *bundle =
      bundle_with("user",
                  STATUS_LINES "; echo nofile=$(ulimit -n)/$(ulimit -Hn) nproc=$(ulimit -u); "
                               "echo umask=$(umask) home=$HOME oom=$(cat /proc/self/oom_score_adj)",
                  service_user, NULL);
  _h_free_ char *id = h_id_new("user");
  _h_free_ char *out = run_out(bundle, id);
  assert_field(out, "Uid", "1000\t1000\t1000\t1000");
  assert_field(out, "Gid", "1000\t1000\t1000\t1000");
  assert_field(out, "Groups", "5 65534 ");
  assert_field(out, "CapBnd", "0000000000000421");
  assert_field(out, "CapEff", "0000000000000020");
  assert_field(out, "CapPrm", "0000000000000020");
  assert_field(out, "CapInh", "0000000000000020");
  assert_field(out, "CapAmb", "0000000000000020");
  assert_field(out, "NoNewPrivs", "1");
  ck_assert_msg(strstr(out, "nofile=200/300 nproc=500\n"), "rlimits: %s", out);
  ck_assert_msg(strstr(out, "umask=0027 home=/home/app oom=123\n"), "umask/HOME/oom: %s", out);
}
END_TEST

/* The config `runc spec` writes: ambient capabilities without inheritable ones cannot be
 * raised, so a root process gets the bounding set and nothing inheritable or ambient. */
START_TEST(test_default_caps_as_root) {
  _h_free_ char *bundle = bundle_with("defcaps", STATUS_LINES, NULL, NULL);
  _h_free_ char *id = h_id_new("defcaps");
  _h_free_ char *out = run_out(bundle, id);
  assert_field(out, "Uid", "0\t0\t0\t0");
  assert_field(out, "CapBnd", "0000000020000420");
  assert_field(out, "CapEff", "0000000020000420");
  assert_field(out, "CapPrm", "0000000020000420");
  assert_field(out, "CapInh", "0000000000000000");
  assert_field(out, "CapAmb", "0000000000000000");
  assert_field(out, "NoNewPrivs", "1");
}
END_TEST

static void no_caps(json_t *config, void *data) {
  (void)data;
  h_config_del(config, "process.capabilities");
  h_config_set(config, "process.noNewPrivileges", json_false());
}

/* No process.capabilities means no capabilities at all, even for root (as runc). */
START_TEST(test_absent_caps_means_none) {
  _h_free_ char *bundle = bundle_with("nocaps", STATUS_LINES, no_caps, NULL);
  _h_free_ char *id = h_id_new("nocaps");
  _h_free_ char *out = run_out(bundle, id);
  assert_field(out, "Uid", "0\t0\t0\t0");
  const char *sets[] = {"CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"};
  for (size_t i = 0; i < 5; i++)
    assert_field(out, sets[i], "0000000000000000");
  assert_field(out, "NoNewPrivs", "0");
}
END_TEST

static void unknown_cap(json_t *config, void *data) {
  (void)data;
  h_config_append(config, "process.capabilities.bounding", json_string("CAP_FOO"));
}

START_TEST(test_unknown_capability) {
  if (!h_is_husk()) { /* runc only warns and ignores it */
    fprintf(stderr, "test_unknown_capability: husk only\n");
    return;
  }
  _h_free_ char *bundle = bundle_with("badcap", "true", unknown_cap, NULL);
  _h_free_ char *id = h_id_new("badcap");
  h_assert_create_fails_cleanly(bundle, id,
                                "process.capabilities.bounding[3]: unknown capability \"CAP_FOO\"");
}
END_TEST

static void unknown_rlimit(json_t *config, void *data) {
  (void)data;
  h_config_append(config, "process.rlimits",
                  json_pack("{s:s, s:i, s:i}", "type", "RLIMIT_FOO", "soft", 1, "hard", 1));
}

START_TEST(test_unknown_rlimit) {
  _h_free_ char *bundle = bundle_with("badrlimit", "true", unknown_rlimit, NULL);
  _h_free_ char *id = h_id_new("badrlimit");
  h_assert_create_fails_cleanly(bundle, id,
                                "process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"");
}
END_TEST

static void user_ns_service(json_t *config, void *data) {
  (void)data;
  h_config_add_namespace(config, "user");
  h_config_set(config, "linux.uidMappings",
               json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 100000, "size", 65536));
  h_config_set(config, "linux.gidMappings",
               json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 100000, "size", 65536));
  h_config_set(config, "process.user",
               json_pack("{s:i, s:i, s:[i]}", "uid", 1000, "gid", 1000, "additionalGids", 5));
  h_config_set(
      config, "process.capabilities",
      json_pack("{s:o, s:o, s:o, s:o, s:o}", "bounding", strings("CAP_CHOWN", "CAP_KILL", NULL),
                "effective", strings("CAP_KILL", NULL), "permitted", strings("CAP_KILL", NULL),
                "inheritable", strings("CAP_KILL", NULL), "ambient", strings("CAP_KILL", NULL)));
}

/* In a user namespace the configured ids are the namespace's: 1000 inside is 101000 on the
 * host; capabilities are set as configured there too. */
START_TEST(test_user_namespace_ids) {
  _h_free_ char *bundle = bundle_with(
      "userns", STATUS_LINES " > /tmp/inside.tmp; mv /tmp/inside.tmp /tmp/inside; exec sleep 30",
      user_ns_service, NULL);
  _h_free_ char *id = h_id_new("userns");
  h_create_and_start(bundle, id);
  _h_free_ char *inside_file = NULL, *host_file = NULL;
  ck_assert(asprintf(&inside_file, "%s/rootfs/tmp/inside", bundle) > 0);
  ck_assert_msg(h_wait_file(inside_file, 10000), "the process wrote nothing");
  _h_free_ char *inside = h_read(inside_file);
  assert_field(inside, "Uid", "1000\t1000\t1000\t1000");
  assert_field(inside, "Gid", "1000\t1000\t1000\t1000");
  assert_field(inside, "Groups", "5 ");
  assert_field(inside, "CapBnd", "0000000000000021");
  assert_field(inside, "CapEff", "0000000000000020");
  assert_field(inside, "CapAmb", "0000000000000020");
  ck_assert(asprintf(&host_file, "/proc/%d/status", (int)h_state_pid(id)) > 0);
  _h_free_ char *host = h_read(host_file);
  ck_assert_msg(host, "no %s", host_file);
  assert_field(host, "Uid", "101000\t101000\t101000\t101000");
  assert_field(host, "Gid", "101000\t101000\t101000\t101000");
  assert_field(host, "Groups", "100005 ");
}
END_TEST

static void nameless_user(json_t *config, void *data) {
  (void)data;
  h_config_set(config, "process.user", json_pack("{s:i, s:i}", "uid", 4242, "gid", 4343));
  drop_home(config);
}

/* A uid with no passwd entry still runs, with HOME=/ (as runc). */
START_TEST(test_uid_without_passwd_entry) {
  _h_free_ char *bundle =
      bundle_with("nameless", "echo $(id -u):$(id -g) home=$HOME", nameless_user, NULL);
  _h_free_ char *id = h_id_new("nameless");
  _h_free_ char *out = run_out(bundle, id);
  ck_assert_str_eq(out, "4242:4343 home=/\n");
}
END_TEST

static void set_oom(json_t *config, void *data) {
  h_config_set(config, "process.oomScoreAdj", json_integer(*(int *)data));
}

/* Whether this process may lower its oom_score_adj (it has CAP_SYS_RESOURCE). */
static bool can_lower_oom_score(void) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    _exit(fd >= 0 && write(fd, "-1", 2) == 2 ? 0 : 1);
  }
  int ws;
  waitpid(pid, &ws, 0);
  return WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

/* Lowering the score needs CAP_SYS_RESOURCE, which the container never has: the runtime
 * writes it while it still holds that privilege. (Where the caller lacks it too, as in some
 * sandboxes, a raised score shows the write at least.) */
START_TEST(test_oom_score_adj) {
  int adj = can_lower_oom_score() ? -7 : 77;
  if (adj > 0)
    fprintf(stderr, "test_oom_score_adj: no CAP_SYS_RESOURCE here; raising the score instead\n");
  _h_free_ char *bundle = bundle_with("oom", "cat /proc/self/oom_score_adj", set_oom, &adj);
  _h_free_ char *id = h_id_new("oom");
  _h_free_ char *out = run_out(bundle, id);
  char want[16];
  snprintf(want, sizeof(want), "%d\n", adj);
  ck_assert_str_eq(out, want);
}
END_TEST

/* ---- the session keyring ---- */

static void show_keys(json_t *config, void *data) {
  (void)data;
  json_t *masked = json_object_get(json_object_get(config, "linux"), "maskedPaths");
  for (size_t i = 0; i < json_array_size(masked); i++)
    if (strcmp(json_string_value(json_array_get(masked, i)), "/proc/keys") == 0)
      json_array_remove(masked, i);
}

/* A key in the caller's session keyring that only its possessors may see: the container
 * sees it only with --no-new-keyring, since otherwise it joins a keyring of its own. */
START_TEST(test_session_keyring) {
  ck_assert_int_ge(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL), 0);
  long key = syscall(SYS_add_key, "user", "husk-hardening-probe", "x", 1, KEY_SPEC_SESSION_KEYRING);
  ck_assert_int_ge(key, 0);
  ck_assert_int_eq(syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f000000 /* possessor: all */), 0);
  _h_free_ char *bundle =
      bundle_with("keyring", "grep -c husk-hardening-probe /proc/keys; exit 0", show_keys, NULL);
  _h_free_ char *id = h_id_new("keyring");
  _h_free_ char *own = run_out(bundle, id);
  ck_assert_msg(strcmp(own, "0\n") == 0, "the caller's key is visible: %s", own);
  _h_free_ char *id2 = h_id_new("keyring2");
  _h_result_ struct h_result r = h_rt("run", "--no-new-keyring", "--bundle", bundle, id2, NULL);
  ck_assert_msg(r.status == 0, "run --no-new-keyring: %d %s", r.status, r.err);
  ck_assert_msg(strcmp(r.out, "1\n") == 0, "--no-new-keyring: the key is not visible: %s", r.out);
}
END_TEST

/* ---- hooks ---- */

struct hooks_setup {
  const char *dir; /* host directory with the hook script and the log */
  const char *log; /* dir/log */
};

static void add_hook(json_t *config, const char *phase, const char *path, const char *arg,
                     int timeout) {
  json_t *h = json_pack("{s:s, s:[s, s], s:[s]}", "path", path, "args", "hook.sh", arg, "env",
                        "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
  if (timeout)
    json_object_set_new(h, "timeout", json_integer(timeout));
  _h_free_ char *key = NULL;
  ck_assert(asprintf(&key, "hooks.%s", phase) > 0);
  h_config_append(config, key, h);
}

/* Every phase logs "<phase> <state JSON>"; startContainer runs inside the container, where
 * the log dir is bind-mounted at /hooklog and a copy of the script is at /hook.sh. */
static void all_hooks(json_t *config, void *data) {
  struct hooks_setup *s = data;
  _h_free_ char *script = NULL;
  ck_assert(asprintf(&script, "%s/hook.sh", s->dir) > 0);
  const char *host_phases[] = {"prestart", "createRuntime", "createContainer", "poststart",
                               "poststop"};
  for (size_t i = 0; i < 5; i++)
    add_hook(config, host_phases[i], script, host_phases[i], 0);
  add_hook(config, "startContainer", "/hook.sh", "startContainer", 0);
  h_config_add_mount(config, "/hooklog", "bind", s->dir, "bind", NULL);
  h_config_set(config, "annotations", json_pack("{s:s}", "org.example.hooks", "yes"));
}

static void hook_scripts(const char *bundle, const char *dir, const char *log) {
  _h_free_ char *body = NULL, *host = NULL, *inside = NULL, *inside_body = NULL;
  ck_assert(asprintf(&body, "printf '%%s %%s\\n' \"$1\" \"$(cat)\" >> %s", log) > 0);
  ck_assert(asprintf(&host, "%s/hook.sh", dir) > 0);
  write_script(host, body);
  ck_assert(asprintf(&inside_body, "printf '%%s %%s\\n' \"$1\" \"$(cat)\" >> /hooklog/log") > 0);
  ck_assert(asprintf(&inside, "%s/rootfs/hook.sh", bundle) > 0);
  write_script(inside, inside_body);
}

/* The log as (phase, state) pairs. */
static size_t hook_log(const char *log, char *phases[8], json_t *states[8]) {
  _h_free_ char *text = h_read(log);
  ck_assert_msg(text, "no hook ran: %s missing", log);
  size_t n = 0;
  for (char *save, *line = strtok_r(text, "\n", &save); line && n < 8;
       line = strtok_r(NULL, "\n", &save)) {
    char *space = strchr(line, ' ');
    ck_assert_msg(space, "bad log line: %s", line);
    *space = '\0';
    phases[n] = strdup(line);
    states[n] = json_loads(space + 1, 0, NULL);
    ck_assert_msg(json_is_object(states[n]), "%s: not a JSON object on stdin: %s", line, space + 1);
    n++;
  }
  return n;
}

static void free_log(char *phases[8], json_t *states[8], size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(phases[i]);
    json_decref(states[i]);
  }
}

START_TEST(test_hooks_order_and_state) {
  _h_free_ char *dir = h_dir_new("hooks");
  _h_free_ char *log = NULL;
  ck_assert(asprintf(&log, "%s/log", dir) > 0);
  struct hooks_setup s = {.dir = dir, .log = log};
  _h_free_ char *bundle = bundle_with("hooks", "true", all_hooks, &s);
  hook_scripts(bundle, dir, log);
  _h_free_ char *id = h_id_new("hooks");

  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  pid_t pid = h_state_pid(id);
  ck_assert_int_gt(pid, 0);
  _h_result_ struct h_result st = h_rt("start", id, NULL);
  ck_assert_msg(st.status == 0, "start: %d %s", st.status, st.err);
  ck_assert_msg(h_wait_status(id, "stopped", 10000), "the container did not stop");
  _h_result_ struct h_result d = h_rt("delete", id, NULL);
  ck_assert_msg(d.status == 0, "delete: %d %s", d.status, d.err);

  char *phases[8];
  json_t *states[8];
  size_t n = hook_log(log, phases, states);
  const char *want[] = {"prestart",       "createRuntime", "createContainer",
                        "startContainer", "poststart",     "poststop"};
  /* prestart gets "created", as crun and the OCI validation suite (hooks_stdin) read the
   * spec; runc 1.1 gives it "creating" */
  const char *status[] = {"created", "creating", "creating", "created", "running", "stopped"};
  ck_assert_msg(n == 6, "%zu hooks ran, want 6", n);
  /* runc runs poststart as soon as the init is released, racing its startContainer hooks;
   * husk waits until the process runs, as the runtime-spec says. */
  if (!h_is_husk() && strcmp(phases[3], "poststart") == 0) {
    fprintf(stderr, "test_hooks_order_and_state: poststart ran before startContainer\n");
    char *p = phases[3];
    json_t *j = states[3];
    phases[3] = phases[4], states[3] = states[4];
    phases[4] = p, states[4] = j;
  }
  for (size_t i = 0; i < n; i++) {
    ck_assert_msg(strcmp(phases[i], want[i]) == 0, "hook %zu: %s, want %s", i, phases[i], want[i]);
    /* runc 1.1 gives poststart the state "created", prestart "creating" */
    const char *got = json_string_value(json_object_get(states[i], "status"));
    if (h_is_husk() || (i != 4 && i != 0))
      ck_assert_msg(got && strcmp(got, status[i]) == 0, "%s: status %s, want %s", want[i], got,
                    status[i]);
    ck_assert_str_eq(json_string_value(json_object_get(states[i], "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(states[i], "bundle")), bundle);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(states[i], "annotations"),
                                                       "org.example.hooks")),
                     "yes");
    /* The init's pid in the runtime's namespace; runc gives the in-container hooks the
     * pid as the container sees it. */
    bool in_container = i == 2 || i == 3;
    if (i < 5 && (!in_container || h_is_husk()))
      ck_assert_msg(json_integer_value(json_object_get(states[i], "pid")) == pid,
                    "%s: pid %lld, want %d", want[i],
                    json_integer_value(json_object_get(states[i], "pid")), (int)pid);
  }
  free_log(phases, states, n);
}
END_TEST

struct failing_hooks {
  struct hooks_setup s;
  int timeout; /* 0: createRuntime[1] exits 3; else it sleeps past this timeout */
};

static void failing_create_runtime(json_t *config, void *data) {
  struct failing_hooks *f = data;
  _h_free_ char *script = NULL;
  ck_assert(asprintf(&script, "%s/hook.sh", f->s.dir) > 0);
  add_hook(config, "prestart", script, "prestart", 0);
  add_hook(config, "createRuntime", script, "createRuntime", 0);
  json_t *bad =
      f->timeout ? json_pack("{s:s, s:[s, s, s], s:i}", "path", "/bin/sh", "args", "sh", "-c",
                             "exec sleep 30", "timeout", f->timeout)
                 : json_pack("{s:s, s:[s, s, s]}", "path", "/bin/sh", "args", "sh", "-c", "exit 3");
  h_config_append(config, "hooks.createRuntime", bad);
  add_hook(config, "createContainer", script, "createContainer", 0);
  add_hook(config, "poststop", script, "poststop", 0);
}

/* A failing createRuntime hook fails create with nothing left behind; the hooks after it
 * do not run, but poststop does (the runtime-spec's lifecycle goes on at delete). */
START_TEST(test_failing_create_runtime_hook) {
  _h_free_ char *dir = h_dir_new("hookfail");
  _h_free_ char *log = NULL;
  ck_assert(asprintf(&log, "%s/log", dir) > 0);
  struct failing_hooks f = {.s = {.dir = dir, .log = log}};
  _h_free_ char *bundle = bundle_with("hookfail", "true", failing_create_runtime, &f);
  hook_scripts(bundle, dir, log);
  _h_free_ char *id = h_id_new("hookfail");
  h_assert_create_fails_cleanly(bundle, id,
                                "hook createRuntime[1] (/bin/sh): exited with status 3");
  char *phases[8];
  json_t *states[8];
  size_t n = hook_log(log, phases, states);
  ck_assert_msg(n >= 2 && strcmp(phases[0], "prestart") == 0 &&
                    strcmp(phases[1], "createRuntime") == 0,
                "the hooks before the failing one did not run");
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(strcmp(phases[i], "createContainer") != 0, "createContainer ran after a failure");
  ck_assert_msg(n == 3 && strcmp(phases[2], "poststop") == 0, "poststop did not run last");
  free_log(phases, states, n);
}
END_TEST

static void failing_create_container(json_t *config, void *data) {
  (void)data;
  h_config_append(config, "hooks.createContainer",
                  json_pack("{s:s, s:[s, s, s]}", "path", "/bin/sh", "args", "sh", "-c", "exit 5"));
}

/* A failing createContainer hook (run by the init, in the container's namespaces) fails
 * create as cleanly. */
START_TEST(test_failing_create_container_hook) {
  _h_free_ char *bundle = bundle_with("cchook", "true", failing_create_container, NULL);
  _h_free_ char *id = h_id_new("cchook");
  h_assert_create_fails_cleanly(bundle, id,
                                "hook createContainer[0] (/bin/sh): exited with status 5");
}
END_TEST

static void failing_start_container(json_t *config, void *data) {
  h_config_append(config, "hooks.startContainer",
                  json_pack("{s:s, s:[s, s, s]}", "path", "/bin/sh", "args", "sh", "-c", "exit 6"));
  h_config_add_mount(config, "/shared", "bind", (const char *)data, "bind", NULL);
}

/* A failing startContainer hook stops the container before its process runs, and the
 * start (here within run) fails. The init tells why on the container's stderr. */
START_TEST(test_failing_start_container_hook) {
  _h_free_ char *shared = h_dir_new("schook");
  _h_free_ char *bundle =
      bundle_with("schook", "touch /shared/ran", failing_start_container, shared);
  _h_free_ char *id = h_id_new("schook");
  _h_result_ struct h_result r = h_rt("run", "--bundle", bundle, id, NULL);
  ck_assert_msg(r.status != 0 && r.status != -1, "run: %d %s", r.status, r.err);
  if (h_is_husk()) {
    ck_assert_msg(strstr(r.err, "hook startContainer[0] (/bin/sh): exited with status 6"),
                  "stderr: %s", r.err);
    ck_assert_msg(strstr(r.err, "the container's process did not start"), "stderr: %s", r.err);
  }
  _h_free_ char *ran = NULL;
  ck_assert(asprintf(&ran, "%s/ran", shared) > 0);
  ck_assert_msg(!h_exists(ran), "the process ran after its startContainer hook failed");
}
END_TEST

static void big_state(json_t *config, void *data) {
  (void)data;
  char *big = malloc(20001);
  ck_assert_ptr_nonnull(big);
  memset(big, 'a', 20000);
  big[20000] = '\0';
  h_config_set(config, "annotations", json_pack("{s:s}", "org.example.big", big));
  free(big);
  h_config_append(config, "hooks.createContainer",
                  json_pack("{s:s, s:[s]}", "path", "/bin/true", "args", "true"));
}

/* husk hands the init the state for its hooks in one sync message of at most 16 KiB. */
START_TEST(test_state_too_large_for_init_hooks) {
  if (!h_is_husk()) {
    fprintf(stderr, "test_state_too_large_for_init_hooks: husk only\n");
    return;
  }
  _h_free_ char *bundle = bundle_with("bigstate", "true", big_state, NULL);
  _h_free_ char *id = h_id_new("bigstate");
  h_assert_create_fails_cleanly(bundle, id,
                                "createContainer and startContainer hooks can get at most 16384");
}
END_TEST

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

START_TEST(test_hook_timeout) {
  _h_free_ char *dir = h_dir_new("hooktimeout");
  _h_free_ char *log = NULL;
  ck_assert(asprintf(&log, "%s/log", dir) > 0);
  struct failing_hooks f = {.s = {.dir = dir, .log = log}, .timeout = 1};
  _h_free_ char *bundle = bundle_with("hooktimeout", "true", failing_create_runtime, &f);
  hook_scripts(bundle, dir, log);
  _h_free_ char *id = h_id_new("hooktimeout");
  long long start = now_ms();
  h_assert_create_fails_cleanly(bundle, id, "hook createRuntime[1] (/bin/sh) timed out after 1 s");
  long long took = now_ms() - start;
  ck_assert_msg(took < 15000, "create took %lld ms with a 1 s hook timeout", took);
}
END_TEST

static void failing_post_hooks(json_t *config, void *data) {
  struct hooks_setup *s = data;
  _h_free_ char *script = NULL;
  ck_assert(asprintf(&script, "%s/hook.sh", s->dir) > 0);
  json_t *fail = json_pack("{s:s, s:[s, s, s]}", "path", "/bin/sh", "args", "sh", "-c", "exit 1");
  h_config_append(config, "hooks.poststart", json_incref(fail));
  add_hook(config, "poststart", script, "poststart", 0);
  h_config_append(config, "hooks.poststop", fail);
  add_hook(config, "poststop", script, "poststop", 0);
}

/* poststart and poststop failures are warnings: start and delete succeed, later hooks run. */
START_TEST(test_failing_post_hooks_warn) {
  if (!h_is_husk()) { /* runc 1.1 kills the container when a poststart hook fails */
    fprintf(stderr, "test_failing_post_hooks_warn: husk only\n");
    return;
  }
  _h_free_ char *dir = h_dir_new("postfail");
  _h_free_ char *log = NULL;
  ck_assert(asprintf(&log, "%s/log", dir) > 0);
  struct hooks_setup s = {.dir = dir, .log = log};
  _h_free_ char *bundle = bundle_with("postfail", "sleep 30", failing_post_hooks, &s);
  hook_scripts(bundle, dir, log);
  _h_free_ char *id = h_id_new("postfail");
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create: %d %s", c.status, c.err);
  _h_result_ struct h_result st = h_rt("start", id, NULL);
  ck_assert_msg(st.status == 0, "start failed on a poststart hook: %s", st.err);
  ck_assert_msg(strstr(st.err, "hook poststart[0] (/bin/sh): exited with status 1"),
                "no warning: %s", st.err);
  _h_json_ json_t *state = h_state(id);
  ck_assert_str_eq(json_string_value(json_object_get(state, "status")), "running");
  _h_result_ struct h_result d = h_rt("delete", "--force", id, NULL);
  ck_assert_msg(d.status == 0, "delete failed on a poststop hook: %s", d.err);
  ck_assert_msg(strstr(d.err, "hook poststop[0] (/bin/sh): exited with status 1"), "no warning: %s",
                d.err);
  ck_assert(!h_state_dir_exists(id));
  char *phases[8];
  json_t *states[8];
  size_t n = hook_log(log, phases, states);
  ck_assert_msg(n == 2 && strcmp(phases[0], "poststart") == 0 && strcmp(phases[1], "poststop") == 0,
                "the hooks after the failing ones did not run");
  free_log(phases, states, n);
}
END_TEST

/* ---- fds and escapes ---- */

/* Only stdio reaches the process (ls has the directory it lists open as fd 3). */
START_TEST(test_only_stdio_fds) {
  _h_free_ char *bundle = bundle_with("fds", "ls /proc/self/fd", NULL, NULL);
  _h_free_ char *id = h_id_new("fds");
  _h_free_ char *out = run_out(bundle, id);
  ck_assert_msg(strcmp(out, "0\n1\n2\n3\n") == 0, "fds open in the container: %s", out);
}
END_TEST

/* Spawn the runtime with fd 3 = fd3 and fd 4 = /dev/null; its exit status, stderr in *ret_err. */
static int spawn_with_fd3(int fd3, char **ret_err, const char *arg, ...) {
  const char *argv[32];
  size_t n = 0;
  argv[n++] = h_runtime();
  argv[n++] = "--root";
  argv[n++] = h_state_root();
  va_list ap;
  va_start(ap, arg);
  for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  int errp[2];
  ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(errp[1], 2);
    dup2(fd3, 3);
    dup2(devnull, 4);
    close_range(5, ~0U, 0);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(errp[1]);
  size_t cap = 1 << 16, len = 0;
  char *buf = calloc(1, cap);
  for (;;) {
    struct pollfd p = {.fd = errp[0], .events = POLLIN};
    if (poll(&p, 1, H_TIMEOUT_MS) <= 0)
      break;
    ssize_t r = read(errp[0], buf + len, cap - len - 1);
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  close(errp[0]);
  int ws;
  waitpid(pid, &ws, 0);
  *ret_err = buf;
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static void cwd_fd3(json_t *config, void *data) {
  (void)data;
  h_config_set(config, "process.cwd", json_string("/proc/self/fd/3"));
}

/* CVE-2024-21626: a host directory fd reaching the init (here on purpose, through
 * --preserve-fds) and a cwd through /proc/self/fd would start the process outside its root. */
START_TEST(test_cwd_outside_root) {
  _h_free_ char *host_dir = h_dir_new("hostdir");
  _h_free_ char *bundle = bundle_with("cwdescape", "pwd; ls", cwd_fd3, NULL);
  _h_free_ char *id = h_id_new("cwdescape");
  int dirfd = open(host_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(dirfd, 0);
  int mounts = h_mount_count();
  _h_free_ char *err = NULL;
  int status =
      spawn_with_fd3(dirfd, &err, "create", "--preserve-fds", "1", "--bundle", bundle, id, NULL);
  close(dirfd);
  ck_assert_msg(status != 0, "create with a cwd outside the root succeeded");
  if (h_is_husk())
    ck_assert_msg(strstr(err, "process.cwd /proc/self/fd/3: outside the container's root"),
                  "stderr: %s", err);
  ck_assert(!h_state_dir_exists(id));
  ck_assert_int_eq(h_mount_count(), mounts);
}
END_TEST

/* Container A, running, will look for container B's init in its pid namespace. */
static void attacker(json_t *config, void *data) {
  h_config_add_mount(config, "/shared", "bind", (const char *)data, "bind", NULL);
}

struct join_pid {
  char path[64];
  const char *shared;
};

/* B joins A's pid namespace; its createRuntime hook notes which pid namespace it ran in. */
static void join_pid_ns(json_t *config, void *data) {
  struct join_pid *j = data;
  h_config_remove_namespace(config, "pid");
  h_config_append(config, "linux.namespaces",
                  json_pack("{s:s, s:s}", "type", "pid", "path", j->path));
  _h_free_ char *cmd = NULL;
  ck_assert(asprintf(&cmd, "readlink /proc/self/ns/pid > %s/hook-ns", j->shared) > 0);
  h_config_append(config, "hooks.createRuntime",
                  json_pack("{s:s, s:[s, s, s]}", "path", "/bin/sh", "args", "sh", "-c", cmd));
}

/* The pid of a host pid in its innermost pid namespace (the last NSpid field). */
static pid_t inner_pid(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  _h_free_ char *status = h_read(path);
  ck_assert(status);
  _h_free_ char *nspid = field(status, "NSpid");
  const char *last = strrchr(nspid, '\t');
  return (pid_t)atoi(last ? last + 1 : nspid);
}

/* CVE-2019-5736: between create and start the init still runs the runtime's binary. A
 * process sharing its pid namespace must not be able to open /proc/<init>/exe at all: a
 * read-only fd kept until the binary is no longer busy could be reopened for writing. */
START_TEST(test_init_exe_not_openable) {
  _h_free_ char *shared = h_dir_new("shared");
  _h_free_ char *bundle_a = bundle_with(
      "exe-a",
      "while [ ! -s /shared/pid ]; do sleep 0.05; done; p=$(cat /shared/pid); "
      "if head -c 4 /proc/$p/exe >/dev/null 2>&1; then r=read-ok; else r=read-denied; fi; "
      "if (: >> /proc/$p/exe) 2>/dev/null; then w=write-ok; else w=write-denied; fi; "
      "echo $r $w > /shared/result.tmp; mv /shared/result.tmp /shared/result; sleep 30",
      attacker, shared);
  _h_free_ char *id_a = h_id_new("exe-a");
  _h_result_ struct h_result ca = h_rt("create", "--bundle", bundle_a, id_a, NULL);
  ck_assert_msg(ca.status == 0, "create A: %s", ca.err);
  _h_result_ struct h_result sa = h_rt("start", id_a, NULL);
  ck_assert_msg(sa.status == 0, "start A: %s", sa.err);
  struct join_pid j = {.shared = shared};
  snprintf(j.path, sizeof(j.path), "/proc/%d/ns/pid", (int)h_state_pid(id_a));
  _h_free_ char *bundle_b = bundle_with("exe-b", "true", join_pid_ns, &j);
  _h_free_ char *id_b = h_id_new("exe-b");
  _h_result_ struct h_result cb = h_rt("create", "--bundle", bundle_b, id_b, NULL);
  ck_assert_msg(cb.status == 0, "create B: %s", cb.err);

  _h_free_ char *pid_tmp = NULL, *pid_file = NULL, *result = NULL;
  ck_assert(asprintf(&pid_tmp, "%s/pid.tmp", shared) > 0);
  ck_assert(asprintf(&pid_file, "%s/pid", shared) > 0);
  ck_assert(asprintf(&result, "%s/result", shared) > 0);
  char text[32];
  snprintf(text, sizeof(text), "%d\n", (int)inner_pid(h_state_pid(id_b)));
  h_write(pid_tmp, text);
  ck_assert_int_eq(rename(pid_tmp, pid_file), 0);
  ck_assert_msg(h_wait_file(result, 10000), "container A reported nothing");
  _h_free_ char *got = h_read(result);
  ck_assert_msg(strcmp(got, "read-denied write-denied\n") == 0,
                "a container process could open the init's /proc/<pid>/exe: %s", got);
  /* Hooks run in the runtime's namespaces, though the init joined another pid namespace. */
  char own[64] = "";
  ck_assert_int_gt(readlink("/proc/self/ns/pid", own, sizeof(own) - 1), 0);
  _h_free_ char *hook_ns_file = NULL;
  ck_assert(asprintf(&hook_ns_file, "%s/hook-ns", shared) > 0);
  _h_free_ char *hook_ns = h_read(hook_ns_file);
  ck_assert_msg(hook_ns && strncmp(hook_ns, own, strlen(own)) == 0,
                "the createRuntime hook ran in pid namespace %s, not the runtime's %s", hook_ns,
                own);
}
END_TEST

/* CVE-2019-19921 / CVE-2023-27561: /proc must not be mounted where an image symlink points. */
START_TEST(test_proc_on_symlink) {
  _h_free_ char *bundle = h_bundle_new("procsym");
  _h_free_ char *proc = NULL;
  ck_assert(asprintf(&proc, "%s/rootfs/proc", bundle) > 0);
  ck_assert_int_eq(rmdir(proc), 0);
  ck_assert_int_eq(symlink("tmp", proc), 0);
  _h_free_ char *id = h_id_new("procsym");
  h_assert_create_fails_cleanly(bundle, id, "symlink");
}
END_TEST

static void sys_on_symlink(json_t *config, void *data) {
  (void)data;
  h_config_add_mount(config, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro", NULL);
}

START_TEST(test_sys_on_symlink) {
  _h_free_ char *bundle = bundle_with("syssym", "true", sys_on_symlink, NULL);
  _h_free_ char *sys = NULL;
  ck_assert(asprintf(&sys, "%s/rootfs/sys", bundle) > 0);
  ck_assert_int_eq(rmdir(sys), 0);
  ck_assert_int_eq(symlink("/tmp", sys), 0);
  _h_free_ char *id = h_id_new("syssym");
  h_assert_create_fails_cleanly(bundle, id, "symlink");
}
END_TEST

static void fake_dev_null(json_t *config, void *data) {
  h_config_add_mount(config, "/dev/null", "bind", (const char *)data, "bind", NULL);
}

/* CVE-2025-31133: maskedPaths hide files under /dev/null; a /dev/null that is something
 * else would expose that instead. (A planted symlink is covered by the unit suite
 * 'rootfs'; here the config itself puts a regular file there.) */
START_TEST(test_masked_paths_need_real_dev_null) {
  if (!h_is_husk()) { /* runc 1.1.5 predates the fix */
    fprintf(stderr, "test_masked_paths_need_real_dev_null: husk only\n");
    return;
  }
  _h_free_ char *dir = h_dir_new("devnull");
  _h_free_ char *fake = NULL;
  ck_assert(asprintf(&fake, "%s/not-null", dir) > 0);
  h_write(fake, "secret\n");
  _h_free_ char *bundle = bundle_with("devnull", "cat /proc/kcore", fake_dev_null, fake);
  _h_free_ char *id = h_id_new("devnull");
  h_assert_create_fails_cleanly(bundle, id, "/dev/null is not the null device (char 1:3)");
}
END_TEST

/* ---- the service profile the issue asks for ---- */

static void service_profile(json_t *config, void *data) {
  (void)data;
  h_config_set(config, "process.user", json_pack("{s:i, s:i}", "uid", 1000, "gid", 1000));
  h_config_set(config, "process.noNewPrivileges", json_true());
  h_config_set(config, "process.rlimits",
               json_pack("[{s:s, s:i, s:i}]", "type", "RLIMIT_NOFILE", "soft", 256, "hard", 512));
  h_config_set(config, "linux.seccomp",
               json_pack("{s:s, s:[s], s:[{s:[s], s:s, s:i}]}", "defaultAction", "SCMP_ACT_ALLOW",
                         "architectures", "SCMP_ARCH_X86_64", "syscalls", "names", "mkdir",
                         "action", "SCMP_ACT_ERRNO", "errnoRet", 1));
}

/* uid 1000, the default capabilities, no_new_privs, a seccomp profile and rlimits at once. */
START_TEST(test_service_profile) {
  _h_free_ char *bundle = bundle_with(
      "service",
      STATUS_LINES "; echo nofile=$(ulimit -n)/$(ulimit -Hn); mkdir /tmp/x 2>&1 || echo denied",
      service_profile, NULL);
  _h_free_ char *id = h_id_new("service");
  _h_free_ char *out = run_out(bundle, id);
  assert_field(out, "Uid", "1000\t1000\t1000\t1000");
  assert_field(out, "Gid", "1000\t1000\t1000\t1000");
  assert_field(out, "CapBnd", "0000000020000420");
  /* not root and nothing inheritable or ambient: nothing survives execve */
  assert_field(out, "CapEff", "0000000000000000");
  assert_field(out, "CapPrm", "0000000000000000");
  assert_field(out, "NoNewPrivs", "1");
  assert_field(out, "Seccomp", "2");
  ck_assert_msg(strstr(out, "nofile=256/512\n"), "rlimits: %s", out);
  ck_assert_msg(strstr(out, "denied\n"), "mkdir was not denied by seccomp: %s", out);
}
END_TEST

static Suite *hardening_suite(void) {
  Suite *s = suite_create("hardening");
  TCase *proc = h_tcase("process");
  tcase_add_test(proc, test_service_user_and_caps);
  tcase_add_test(proc, test_default_caps_as_root);
  tcase_add_test(proc, test_absent_caps_means_none);
  tcase_add_test(proc, test_unknown_capability);
  tcase_add_test(proc, test_unknown_rlimit);
  tcase_add_test(proc, test_uid_without_passwd_entry);
  tcase_add_test(proc, test_user_namespace_ids);
  tcase_add_test(proc, test_oom_score_adj);
  tcase_add_test(proc, test_session_keyring);
  tcase_add_test(proc, test_service_profile);
  tcase_add_test(proc, test_lsm_labels_refused_when_disabled);
  suite_add_tcase(s, proc);
  TCase *hooks = h_tcase("hooks");
  tcase_add_test(hooks, test_hooks_order_and_state);
  tcase_add_test(hooks, test_failing_create_runtime_hook);
  tcase_add_test(hooks, test_failing_create_container_hook);
  tcase_add_test(hooks, test_failing_start_container_hook);
  tcase_add_test(hooks, test_state_too_large_for_init_hooks);
  tcase_add_test(hooks, test_hook_timeout);
  tcase_add_test(hooks, test_failing_post_hooks_warn);
  suite_add_tcase(s, hooks);
  TCase *esc = h_tcase("escapes");
  tcase_add_test(esc, test_only_stdio_fds);
  tcase_add_test(esc, test_cwd_outside_root);
  tcase_add_test(esc, test_init_exe_not_openable);
  tcase_add_test(esc, test_proc_on_symlink);
  tcase_add_test(esc, test_sys_on_symlink);
  tcase_add_test(esc, test_masked_paths_need_real_dev_null);
  suite_add_tcase(s, esc);
  return s;
}

int main(void) { return h_main(hardening_suite()); }
