/* test_service.c: integration tests of what `husk run` gives a service, as docker run does:
 * /etc/hosts (localhost and the hostname resolve, --add-host), /etc/hostname, /etc/resolv.conf
 * (the host's, its loopback resolvers replaced, --dns), -e and --env-file over the config's or
 * image's env, --secret files at /run/secrets; and that neither environment values nor secrets
 * show in state, list, logs, --trace or a file others can read under the state root. All of
 * it is husk run's own (runc has no such flags, and its run gives none of these files), so the
 * tests only run against husk. */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_fixture.h"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  char *s = NULL;
  ck_assert(vasprintf(&s, f, ap) >= 0);
  va_end(ap);
  return s;
}

static bool has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; (p = strstr(p, line)); p++)
    if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
      return true;
  return false;
}

/* A file of the test's own holding text; absolute path. */
static char *file_with(const char *name, const char *text) {
  _h_free_ char *dir = h_dir_new(name);
  char *path = fmt("%s/%s", dir, name);
  h_write(path, text);
  return path;
}

/* localhost and the container's hostname reach a service inside (busybox httpd on 127.0.0.1,
 * fetched by name with wget); /etc/hostname says what `hostname` says; --add-host is there. */
START_TEST(test_names_resolve) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_new("names");
  _h_free_ char *id = h_id_new("names");
  const char *cmd = "mkdir /tmp/www && echo served >/tmp/www/f && "
                    "httpd -p 127.0.0.1:8000 -h /tmp/www && "
                    "wget -q -O- http://localhost:8000/f && "
                    "wget -q -O- http://$(hostname):8000/f && "
                    "[ \"$(cat /etc/hostname)\" = \"$(hostname)\" ] && echo hostname-file-ok; "
                    "echo \"name $(hostname)\"; cat /etc/hosts";
  _h_result_ struct h_result r =
      h_rt("run", "--name", id, "--hostname", "web1", "--add-host", "db:10.9.8.7", "--add-host",
           "cache=fd00::7", bundle, "sh", "-c", cmd, NULL);
  ck_assert_msg(r.status == 0, "run: %d %s %s", r.status, r.out, r.err);
  ck_assert_msg(strncmp(r.out, "served\nserved\nhostname-file-ok\nname web1\n", 38) == 0, "%s",
                r.out);
  ck_assert_msg(has_line(r.out, "127.0.0.1\tlocalhost"), "%s", r.out);
  ck_assert_msg(has_line(r.out, "::1\tlocalhost ip6-localhost ip6-loopback"), "%s", r.out);
  ck_assert_msg(has_line(r.out, "10.9.8.7\tdb"), "%s", r.out);
  ck_assert_msg(has_line(r.out, "fd00::7\tcache"), "%s", r.out);
  ck_assert_msg(has_line(r.out, "127.0.0.1\tweb1"), "%s", r.out);

  /* The config's own hostname, without --hostname: the same in both. */
  _h_free_ char *id2 = h_id_new("names");
  _h_result_ struct h_result d =
      h_rt("run", "--name", id2, bundle, "sh", "-c", "cat /etc/hostname; hostname", NULL);
  ck_assert_msg(d.status == 0, "run: %d %s", d.status, d.err);
  ck_assert_str_eq(d.out, "husk\nhusk\n");

  /* --trace shows them as mounts from the state directory */
  _h_free_ char *id3 = h_id_new("names");
  _h_result_ struct h_result t = h_rt("--trace", "run", "--name", id3, bundle, "true", NULL);
  ck_assert_msg(t.status == 0, "run: %d %s", t.status, t.err);
  _h_free_ char *src = fmt("%s/%s/hosts */", h_state_root(), id3);
  ck_assert_msg(strstr(t.err, src) && strstr(t.err, "mount the config's /etc/hosts") &&
                    strstr(t.err, "mount the config's /etc/resolv.conf") &&
                    strstr(t.err, "mount the config's /etc/hostname"),
                "--trace: %s", t.err);

  _h_free_ char *id4 = h_id_new("names");
  _h_result_ struct h_result bad =
      h_rt("run", "--name", id4, "--add-host", "db:300.1.1.1", bundle, "true", NULL);
  ck_assert_msg(bad.status != 0 && strstr(bad.err, "invalid IP address"), "%d %s", bad.status,
                bad.err);
  ck_assert(!h_state_dir_exists(id4));
}
END_TEST

/* create, as engines drive it, stays as runc: no such files, no mounts of them. */
START_TEST(test_create_gives_none) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_cmd("create", "sleep 100");
  _h_free_ char *id = h_id_new("create");
  _h_result_ struct h_result c = h_rt("create", "--bundle", bundle, id, NULL);
  ck_assert_msg(c.status == 0, "create: %s", c.err);
  const char *names[] = {"hosts", "hostname", "resolv.conf"};
  for (size_t i = 0; i < 3; i++) {
    _h_free_ char *path = fmt("%s/%s/%s", h_state_root(), id, names[i]);
    ck_assert_msg(!h_exists(path), "create wrote %s", path);
  }
}
END_TEST

/* The test's own mount namespace, with a resolv.conf of its own over the host's: husk reads
 * that one. */
static void fake_host_resolv_conf(const char *text) {
  ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
  ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL), 0);
  _h_free_ char *fake = file_with("resolv.conf", text);
  ck_assert_int_eq(mount(fake, "/etc/resolv.conf", NULL, MS_BIND, NULL), 0);
}

START_TEST(test_resolv_conf) {
  /* (a host without the file, as the VM of scripts/vm-cgroup2, has nothing to bind over) */
  if (!h_is_husk() || !h_exists("/etc/resolv.conf"))
    return;
  fake_host_resolv_conf("# the host's\nnameserver 127.0.0.53\nsearch corp.example\n"
                        "options edns0 trust-ad\n");
  _h_free_ char *bundle = h_bundle_new("resolv");
  _h_free_ char *id = h_id_new("resolv");
  _h_result_ struct h_result r = h_rt("run", "--name", id, bundle, "cat", "/etc/resolv.conf", NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  /* the stub resolver is unreachable from the container: Docker's fallback */
  ck_assert_str_eq(r.out, "# the host's\nsearch corp.example\noptions edns0 trust-ad\n"
                          "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  _h_free_ char *id2 = h_id_new("resolv");
  _h_result_ struct h_result d = h_rt("run", "--name", id2, "--dns", "10.1.2.3", "--dns",
                                      "fd00::53", bundle, "cat", "/etc/resolv.conf", NULL);
  ck_assert_msg(d.status == 0, "run: %d %s", d.status, d.err);
  ck_assert_str_eq(d.out, "# the host's\nsearch corp.example\noptions edns0 trust-ad\n"
                          "nameserver 10.1.2.3\nnameserver fd00::53\n");
  /* a reachable nameserver of the host's is kept */
  ck_assert_int_eq(umount2("/etc/resolv.conf", MNT_DETACH), 0);
  _h_free_ char *fake = file_with("resolv2.conf", "nameserver 10.0.0.53\nnameserver ::1\n");
  ck_assert_int_eq(mount(fake, "/etc/resolv.conf", NULL, MS_BIND, NULL), 0);
  _h_free_ char *id3 = h_id_new("resolv");
  _h_result_ struct h_result k =
      h_rt("run", "--name", id3, bundle, "cat", "/etc/resolv.conf", NULL);
  ck_assert_msg(k.status == 0, "run: %d %s", k.status, k.err);
  ck_assert_str_eq(k.out, "nameserver 10.0.0.53\n");
  ck_assert_int_eq(umount2("/etc/resolv.conf", MNT_DETACH), 0);
}
END_TEST

/* A config that mounts a destination itself keeps its mount; a read-only root still gets the
 * files (bound before the root is made read-only). */
START_TEST(test_config_mount_wins_and_readonly_root) {
  if (!h_is_husk())
    return;
  _h_free_ char *hosts = file_with("hosts", "192.0.2.1 mine\n");
  _h_free_ char *bundle = h_bundle_new("ownmount");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_add_mount(config, "/etc/hosts", "bind", hosts, "bind", "ro", NULL);
  h_config_set(config, "root.readonly", json_true());
  h_config_save(bundle, config);
  _h_free_ char *id = h_id_new("ownmount");
  _h_result_ struct h_result r =
      h_rt("run", "--name", id, "--hostname", "ro1", bundle, "sh", "-c",
           "cat /etc/hosts; cat /etc/hostname; touch /x || echo ro", NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "192.0.2.1 mine\nro1\nro\n");
}
END_TEST

/* A bundle whose rootfs is on a read-only filesystem and lacks a file: that one is skipped,
 * saying why; the files it has are bound over. */
START_TEST(test_readonly_filesystem_rootfs) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_new("rofs");
  _h_free_ char *rootfs = fmt("%s/rootfs", bundle);
  _h_free_ char *resolv = fmt("%s/etc/resolv.conf", rootfs);
  unlink(resolv);
  ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
  ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL), 0);
  ck_assert_int_eq(mount(rootfs, rootfs, NULL, MS_BIND, NULL), 0);
  ck_assert_int_eq(mount(NULL, rootfs, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), 0);
  _h_free_ char *id = h_id_new("rofs");
  _h_result_ struct h_result r = h_rt("run", "--name", id, "--hostname", "rofs1", bundle, "sh",
                                      "-c", "cat /etc/hostname; grep rofs1 /etc/hosts", NULL);
  ck_assert_int_eq(umount2(rootfs, MNT_DETACH), 0);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "rofs1\n127.0.0.1\trofs1\n");
  ck_assert_msg(strstr(r.err, "/etc/resolv.conf not provided") && strstr(r.err, "read-only"),
                "stderr: %s", r.err);
  ck_assert(!h_exists(resolv));
}
END_TEST

/* config env first, then --env-file(s), then -e: a later value of a key replaces an earlier
 * one where it stands; -e K and a bare K in a file take husk's own value, dropped if unset. */
START_TEST(test_env_order) {
  if (!h_is_husk())
    return;
  setenv("HUSK_IT_OWN", "from-husk", 1);
  unsetenv("HUSK_IT_UNSET");
  _h_free_ char *bundle = h_bundle_new("env");
  _h_json_ json_t *config = h_config_load(bundle);
  h_config_set(config, "process.env",
               json_pack("[s,s,s]", "PATH=/bin:/usr/bin", "A=config", "B=config"));
  h_config_save(bundle, config);
  _h_free_ char *f1 = file_with("one.env", "# comment\n\nA=file one\nC=first\nQ=\"not unquoted\"\n"
                                           "HUSK_IT_OWN\nHUSK_IT_UNSET\n");
  _h_free_ char *f2 = file_with("two.env", "  D=2\nC=file two\n");
  _h_free_ char *id = h_id_new("env");
  _h_result_ struct h_result r =
      h_rt("run", "--name", id, "-e", "B=flag", "--env-file", f1, "--env", "E=e", "-e",
           "HUSK_IT_UNSET", "--env-file", f2, bundle, "env", NULL);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  /* busybox env prints in the process's order */
  const char *want = "PATH=/bin:/usr/bin\nA=file one\nB=flag\nC=file two\nQ=\"not unquoted\"\n"
                     "HUSK_IT_OWN=from-husk\nD=2\nE=e\n";
  ck_assert_msg(strstr(r.out, want) == r.out, "env:\n%s\nwant:\n%s", r.out, want);
  ck_assert_msg(!strstr(r.out, "HUSK_IT_UNSET"), "%s", r.out);
}
END_TEST

/* A bad --env-file line, a missing env file or secret file: an error naming it before anything
 * is made. */
START_TEST(test_bad_env_file_and_secret) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_new("badenv");
  _h_free_ char *bad = file_with("bad.env", "OK=1\n# fine\nNOT OK=hunter2\n");
  int mounts = h_mount_count();
  _h_free_ char *id = h_id_new("badenv");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "--env-file", bad, bundle, "sleep", "100", NULL);
  _h_free_ char *where = fmt("%s:3", bad);
  ck_assert_msg(r.status != 0 && strstr(r.err, where), "%d %s", r.status, r.err);
  ck_assert_msg(!strstr(r.err, "hunter2"), "the value is in the error: %s", r.err);
  ck_assert(!h_state_dir_exists(id));
  _h_free_ char *missing = fmt("%s.missing", bad);
  _h_result_ struct h_result m =
      h_rt("run", "--name", id, "--env-file", missing, bundle, "true", NULL);
  ck_assert_msg(m.status != 0 && strstr(m.err, missing), "%d %s", m.status, m.err);
  _h_free_ char *secret = fmt("api_key=%s", missing);
  _h_result_ struct h_result s =
      h_rt("run", "--name", id, "--secret", secret, bundle, "true", NULL);
  ck_assert_msg(s.status != 0 && strstr(s.err, missing), "%d %s", s.status, s.err);
  ck_assert(!h_state_dir_exists(id));
  ck_assert_int_eq(h_mount_count(), mounts);
}
END_TEST

/* A secret reaches a non-root process at /run/secrets/NAME, 0400 and its own, read-only, and
 * not in its environment. */
START_TEST(test_secret_for_non_root_user) {
  if (!h_is_husk())
    return;
  _h_free_ char *token = file_with("token", "tok-Secret-4242\n");
  _h_free_ char *arg = fmt("api_key=%s", token);
  _h_free_ char *bundle = h_bundle_new("secret");
  _h_free_ char *id = h_id_new("secret");
  _h_result_ struct h_result r =
      h_rt("run", "--name", id, "-u", "1000:1000", "--secret", arg, bundle, "sh", "-c",
           "id -u; stat -c '%a %u %g' /run/secrets/api_key; cat /run/secrets/api_key; "
           "echo x >>/run/secrets/api_key && echo writable; chmod 644 /run/secrets/api_key && "
           "echo chmod; env | grep -c Secret-4242",
           NULL);
  ck_assert_msg(strcmp(r.out, "1000\n400 1000 1000\ntok-Secret-4242\n0\n") == 0, "%d %s %s",
                r.status, r.out, r.err);
  /* the host file stays as it was */
  _h_free_ char *still = h_read(token);
  ck_assert_str_eq(still, "tok-Secret-4242\n");
}
END_TEST

static const char *const leak_values[] = {"flag-Val-8731", "file-Val-5519", "secret-Val-2207"};

/* Every file under dir that someone other than its owner could read (or one in a directory
 * they could enter) holds none of the values. */
static void assert_no_readable_leak(const char *dir, bool reachable) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    _h_free_ char *path = fmt("%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      assert_no_readable_leak(path, reachable && (st.st_mode & 011));
      continue;
    }
    if (!S_ISREG(st.st_mode))
      continue;
    _h_free_ char *text = h_read(path);
    bool holds = false;
    for (size_t i = 0; text && i < 3; i++)
      holds |= strstr(text, leak_values[i]) != NULL;
    if (holds)
      ck_assert_msg(!(st.st_mode & 044) || !reachable, "%s (mode %o) holds a secret value", path,
                    st.st_mode & 07777);
    if (holds && !strstr(e->d_name, "secret-"))
      ck_assert_msg(!(st.st_mode & 077), "%s (mode %o) holds an environment value", path,
                    st.st_mode & 07777);
  }
  closedir(d);
}

static void assert_values_absent(const char *what, const char *text) {
  for (size_t i = 0; i < 3; i++)
    ck_assert_msg(!strstr(text, leak_values[i]), "%s shows %s:\n%s", what, leak_values[i], text);
}

START_TEST(test_values_appear_nowhere) {
  if (!h_is_husk())
    return;
  _h_free_ char *env_file = file_with("s.env", "FROM_FILE=file-Val-5519\n");
  _h_free_ char *secret = file_with("tok", "secret-Val-2207");
  _h_free_ char *secret_arg = fmt("tok=%s", secret);
  _h_free_ char *bundle = h_bundle_new("noleak");
  _h_free_ char *id = h_id_new("noleak");
  _h_result_ struct h_result r = h_rt(
      "run", "-d", "--name", id, "-e", "FROM_FLAG=flag-Val-8731", "--env-file", env_file,
      "--secret", secret_arg, "--health-cmd", "test -n \"$FROM_FLAG\"", "--health-interval", "1s",
      bundle, "sh", "-c",
      "echo started; [ \"$FROM_FILE\" = file-Val-5519 ] && [ \"${FROM_FLAG#flag-Val-}\" = 8731 ] "
      "&& grep -q secret-Val /run/secrets/tok && echo all-there; sleep 100",
      NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  ck_assert_msg(h_wait_status(id, "running", 5000), "not running");
  /* the logs say the process saw them, and show none */
  _h_free_ char *out = NULL;
  for (int i = 0; i < 100; i++) {
    _h_result_ struct h_result l = h_rt("logs", id, NULL);
    free(out);
    out = strdup(l.out);
    if (strstr(out, "all-there"))
      break;
    usleep(50000);
  }
  ck_assert_msg(strstr(out, "started\nall-there\n"), "logs: %s", out);
  assert_values_absent("logs", out);
  usleep(1200000); /* a probe has run */
  _h_result_ struct h_result st = h_rt("state", id, NULL);
  ck_assert_msg(st.status == 0, "state: %s", st.err);
  assert_values_absent("state", st.out);
  _h_result_ struct h_result li = h_rt("list", NULL);
  assert_values_absent("list", li.out);
  _h_result_ struct h_result lj = h_rt("list", "--format", "json", NULL);
  assert_values_absent("list --format json", lj.out);
  _h_result_ struct h_result he = h_rt("health", id, NULL);
  assert_values_absent("health", he.out);
  assert_no_readable_leak(h_state_root(), true);
  /* nor in the monitor's arguments, which ps shows everyone */
  ck_assert_msg(!h_process_mentions("flag-Val-8731"), "a process's arguments show -e's value");
  _h_free_ char *dir = fmt("%s/%s", h_state_root(), id);
  struct stat ds;
  ck_assert_int_eq(stat(dir, &ds), 0);
  ck_assert_msg((ds.st_mode & 077) == 0, "state dir mode %o", ds.st_mode & 07777);

  /* --trace of a foreground run */
  _h_free_ char *id2 = h_id_new("noleak");
  _h_result_ struct h_result t =
      h_rt("--trace", "run", "--name", id2, "-e", "FROM_FLAG=flag-Val-8731", "--env-file", env_file,
           "--secret", secret_arg, bundle, "true", NULL);
  ck_assert_msg(t.status == 0, "--trace run: %d %s", t.status, t.err);
  ck_assert_msg(strstr(t.err, "execve"), "no trace: %s", t.err);
  assert_values_absent("--trace", t.err);
  assert_values_absent("run's output", t.out);
}
END_TEST

/* An image's Env is the base: -e replaces its value where it stands; the image's rootfs (an
 * overlay) gets the files and the secret too. */
START_TEST(test_image_env_and_files) {
  if (!h_is_husk())
    return;
  _h_free_ char *store = h_dir_new("store");
  setenv("HUSK_STORAGE", store, 1);
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "Env",
                      json_pack("[s,s,s]", "PATH=/bin:/usr/bin", "MODE=image", "KEEP=image"));
  json_object_set_new(fx_image_config(img), "User", json_string("1000:1000"));
  _h_free_ char *src = h_dir_new("src");
  _h_free_ char *layout = fmt("%s/svc", src);
  fx_layout_write(img, layout, "latest");
  _h_result_ struct h_result l = h_rt("image", "load", layout, NULL);
  ck_assert_msg(l.status == 0, "image load: %s", l.err);
  _h_free_ char *token = file_with("img-token", "img-secret");
  _h_free_ char *arg = fmt("token=%s", token);
  _h_free_ char *id = h_id_new("image");
  _h_result_ struct h_result r =
      h_rt("run", "--rm", "--name", id, "-e", "MODE=flag", "--hostname", "imgbox", "--secret", arg,
           "svc", "sh", "-c",
           "env; cat /etc/hostname; grep imgbox /etc/hosts; cat /run/secrets/token; echo", NULL);
  ck_assert_msg(r.status == 0, "run: %d %s %s", r.status, r.out, r.err);
  /* (sh passes its environment on in an order of its own) */
  ck_assert_msg(has_line(r.out, "MODE=flag") && has_line(r.out, "KEEP=image") &&
                    !strstr(r.out, "MODE=image"),
                "%s", r.out);
  ck_assert_msg(strstr(r.out, "\nimgbox\n127.0.0.1\timgbox\nimg-secret\n"), "%s", r.out);
  _h_result_ struct h_result rm = h_rt("image", "rm", "svc", NULL);
  ck_assert_msg(rm.status == 0, "image rm: %s", rm.err);
}
END_TEST

/* docker exec starts from what the container runs with: run's -u and -e (held in memory, not
 * in the bundle's config.json) hold for exec too, and for the health probe. */
START_TEST(test_exec_sees_run_user_and_env) {
  if (!h_is_husk())
    return;
  _h_free_ char *bundle = h_bundle_cmd("execenv", "exec sleep 1000");
  _h_free_ char *id = h_id_new("execenv");
  _h_result_ struct h_result r =
      h_rt("run", "-d", "--name", id, "-u", "app", "-e", "FROM_RUN=yes", "--health-cmd",
           "test \"$(id -u):$FROM_RUN\" = 1000:yes", "--health-interval", "200ms",
           "--wait-healthy=20s", bundle, NULL);
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  _h_result_ struct h_result e = h_rt("exec", id, "sh", "-c", "echo $(id -un) $FROM_RUN", NULL);
  ck_assert_msg(e.status == 0 && strcmp(e.out, "app yes\n") == 0, "exec: %d %s %s", e.status, e.out,
                e.err);
}
END_TEST

int main(void) {
  Suite *s = suite_create("service");
  TCase *tc = h_tcase("service");
  tcase_add_test(tc, test_names_resolve);
  tcase_add_test(tc, test_create_gives_none);
  tcase_add_test(tc, test_resolv_conf);
  tcase_add_test(tc, test_config_mount_wins_and_readonly_root);
  tcase_add_test(tc, test_readonly_filesystem_rootfs);
  tcase_add_test(tc, test_env_order);
  tcase_add_test(tc, test_bad_env_file_and_secret);
  tcase_add_test(tc, test_secret_for_non_root_user);
  tcase_add_test(tc, test_values_appear_nowhere);
  tcase_add_test(tc, test_image_env_and_files);
  tcase_add_test(tc, test_exec_sees_run_user_and_env);
  suite_add_tcase(s, tc);
  return h_main(s);
}
