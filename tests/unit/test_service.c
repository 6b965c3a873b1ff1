/* test_service.c: unit tests for what `husk run` gives a service: Docker's env files and -e
 * (runtime/monitor/run_options.c), and /etc/hosts, /etc/resolv.conf, --add-host, --dns and
 * --secret (runtime/container/etc_files.c), fed the host's files as text. No root needed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "container/etc_files.h"
#include "monitor/run_options.h"
#include "unit.h"

static void list_free(char **list, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(list[i]);
  free(list);
}

START_TEST(env_file_lines) {
  setenv("HUSK_UNIT_FROM_OWN", "own value", 1);
  unsetenv("HUSK_UNIT_UNSET");
  const char *text = "\xef\xbb\xbf# a comment\n"
                     "\n"
                     "A=1\n"
                     "   B=two words  \n"
                     "\t# indented comment\n"
                     "C=\"quoted\" 'kept'\n"
                     "D=\r\n"
                     "E=x=y\n"
                     "HUSK_UNIT_FROM_OWN\n"
                     "HUSK_UNIT_UNSET\n"
                     "LAST=no newline";
  char **list = NULL;
  size_t n = 0;
  struct husk_error *err = NULL;
  ck_assert_int_eq(env_file_parse("f.env", text, &list, &n, &err), 0);
  const char *want[] = {"A=1",
                        "B=two words  ",
                        "C=\"quoted\" 'kept'",
                        "D=",
                        "E=x=y",
                        "HUSK_UNIT_FROM_OWN=own value",
                        "LAST=no newline"};
  ck_assert_uint_eq(n, sizeof(want) / sizeof(*want));
  for (size_t i = 0; i < n; i++)
    ck_assert_str_eq(list[i], want[i]);
  list_free(list, n);
}
END_TEST

START_TEST(env_file_errors_name_file_and_line) {
  char **list = NULL;
  size_t n = 0;
  struct husk_error *err = NULL;
  ck_assert_int_lt(env_file_parse("s.env", "A=1\n\nBAD NAME=hunter2\n", &list, &n, &err), 0);
  ck_assert_msg(strstr(err->message, "s.env:3") && strstr(err->message, "BAD NAME"), "%s",
                err->message);
  ck_assert_msg(!strstr(err->message, "hunter2"), "the value is in the error: %s", err->message);
  husk_error_free(err);
  err = NULL;
  ck_assert_int_lt(env_file_parse("s.env", "# x\n=hunter2\n", &list, &n, &err), 0);
  ck_assert_msg(strstr(err->message, "s.env:2") && !strstr(err->message, "hunter2"), "%s",
                err->message);
  husk_error_free(err);
  err = NULL;
  ck_assert_int_lt(env_file_parse("s.env", "TRAILING \n", &list, &n, &err), 0);
  ck_assert_msg(strstr(err->message, "s.env:1"), "%s", err->message);
  husk_error_free(err);
  list_free(list, n);
}
END_TEST

/* --env-file's entries come before -e's whatever the order of the flags; -e K takes husk's
 * own value and is dropped when husk has none. */
START_TEST(env_flags_order) {
  char path[] = "/tmp/husk-unit-env-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "K=file\nF=1\n", 11), 11);
  close(fd);
  setenv("HUSK_UNIT_OWN", "mine", 1);
  unsetenv("HUSK_UNIT_NONE");
  struct run_options o;
  run_options_init(&o);
  struct husk_error *err = NULL;
  ck_assert_int_eq(run_parse_option('e', "K=flag", &o, &err), 0);
  ck_assert_int_eq(run_parse_option(RUN_OPT_ENV_FILE, path, &o, &err), 0);
  ck_assert_int_eq(run_parse_option('e', "HUSK_UNIT_OWN", &o, &err), 0);
  ck_assert_int_eq(run_parse_option('e', "HUSK_UNIT_NONE", &o, &err), 0);
  char **env = run_options_env(&o);
  const char *want[] = {"K=file", "F=1", "K=flag", "HUSK_UNIT_OWN=mine", NULL};
  for (size_t i = 0; want[i]; i++) {
    ck_assert_ptr_nonnull(env[i]);
    ck_assert_str_eq(env[i], want[i]);
  }
  ck_assert_ptr_null(env[4]);
  free(env);
  ck_assert_int_lt(run_parse_option('e', "=v", &o, &err), 0);
  husk_error_free(err);
  err = NULL;
  unlink(path);
  ck_assert_int_lt(run_parse_option(RUN_OPT_ENV_FILE, path, &o, &err), 0);
  ck_assert_msg(strstr(err->message, "--env-file") && strstr(err->message, path), "%s",
                err->message);
  husk_error_free(err);
  run_options_free(&o);
}
END_TEST

START_TEST(add_host_forms) {
  struct service_files f = {0};
  struct husk_error *err = NULL;
  ck_assert_int_eq(etc_add_host(&f, "db:10.0.0.2", &err), 0);
  ck_assert_int_eq(etc_add_host(&f, "cache=10.0.0.3", &err), 0);
  ck_assert_int_eq(etc_add_host(&f, "v6:fd00::1", &err), 0);
  ck_assert_int_eq(etc_add_host(&f, "v6b:[::1]", &err), 0);
  ck_assert_uint_eq(f.n_hosts, 4);
  ck_assert_str_eq(f.hosts[0].name, "db");
  ck_assert_str_eq(f.hosts[0].ip, "10.0.0.2");
  ck_assert_str_eq(f.hosts[1].ip, "10.0.0.3");
  ck_assert_str_eq(f.hosts[2].ip, "fd00::1");
  ck_assert_str_eq(f.hosts[3].ip, "::1");
  ck_assert_int_lt(etc_add_host(&f, "db:notanip", &err), 0);
  ck_assert_msg(strstr(err->message, "invalid IP address"), "%s", err->message);
  husk_error_free(err);
  err = NULL;
  ck_assert_int_lt(etc_add_host(&f, "nocolon", &err), 0);
  husk_error_free(err);
  err = NULL;
  ck_assert_int_lt(etc_add_dns(&f, "8.8.8", &err), 0);
  husk_error_free(err);
  service_files_free(&f);
}
END_TEST

START_TEST(hosts_text) {
  struct service_files f = {0};
  struct husk_error *err = NULL;
  ck_assert_int_eq(etc_add_host(&f, "db:10.0.0.2", &err), 0);
  _cleanup_free_ char *priv = etc_hosts_text(&f, "web1", NULL);
  ck_assert_msg(str_has_prefix(priv, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                                     "ip6-loopback\n"),
                "%s", priv);
  /* --add-host before the container's own name, as Docker writes them */
  const char *db = strstr(priv, "10.0.0.2\tdb\n"), *own = strstr(priv, "127.0.0.1\tweb1\n");
  ck_assert_msg(db && own && db < own, "%s", priv);
  f.network = ETC_NETWORK_NONE;
  _cleanup_free_ char *none = etc_hosts_text(&f, "web1", NULL);
  ck_assert_msg(!strstr(none, "web1") && strstr(none, "127.0.0.1\tlocalhost\n"), "%s", none);
  f.network = ETC_NETWORK_HOST;
  _cleanup_free_ char *host = etc_hosts_text(&f, "web1", "127.0.0.1 localhost\n10.1.1.1 hostbox");
  ck_assert_str_eq(host, "127.0.0.1 localhost\n10.1.1.1 hostbox\n10.0.0.2\tdb\n");
  service_files_free(&f);
}
END_TEST

START_TEST(resolv_conf_text) {
  struct service_files f = {0};
  /* systemd-resolved's stub only: Docker's fallback, search and options kept */
  _cleanup_free_ char *stub = etc_resolv_conf_text(
      &f, "# managed\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.org\n");
  ck_assert_str_eq(stub, "# managed\noptions edns0 trust-ad\nsearch example.org\n"
                         "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  /* a loopback one goes, a reachable one stays */
  _cleanup_free_ char *mixed =
      etc_resolv_conf_text(&f, "nameserver ::1\nnameserver 10.0.0.53\nnameserver 127.0.1.1\n");
  ck_assert_str_eq(mixed, "nameserver 10.0.0.53\n");
  _cleanup_free_ char *missing = etc_resolv_conf_text(&f, NULL);
  ck_assert_str_eq(missing, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  struct husk_error *err = NULL;
  ck_assert_int_eq(etc_add_dns(&f, "1.1.1.1", &err), 0);
  ck_assert_int_eq(etc_add_dns(&f, "2606:4700::1111", &err), 0);
  _cleanup_free_ char *dns =
      etc_resolv_conf_text(&f, "nameserver 10.0.0.53\nsearch corp\noptions ndots:2\n");
  ck_assert_str_eq(dns, "search corp\noptions ndots:2\nnameserver 1.1.1.1\n"
                        "nameserver 2606:4700::1111\n");
  service_files_free(&f);
  /* the host's network reaches the host's stub resolver */
  f.network = ETC_NETWORK_HOST;
  _cleanup_free_ char *host = etc_resolv_conf_text(&f, "nameserver 127.0.0.53\n");
  ck_assert_str_eq(host, "nameserver 127.0.0.53\n");
}
END_TEST

START_TEST(secret_forms) {
  char path[] = "/tmp/husk-unit-secret-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "s3\0cret", 7), 7);
  close(fd);
  struct service_files f = {0};
  struct husk_error *err = NULL;
  _cleanup_free_ char *named = xasprintf("api_key=%s", path);
  ck_assert_int_eq(etc_add_secret(&f, named, &err), 0);
  ck_assert_str_eq(f.secrets[0].name, "api_key");
  ck_assert_uint_eq(f.secrets[0].len, 7);
  ck_assert_int_eq(memcmp(f.secrets[0].data, "s3\0cret", 7), 0);
  _cleanup_free_ char *kv = xasprintf("source=%s,target=token", path);
  ck_assert_int_eq(etc_add_secret(&f, kv, &err), 0);
  ck_assert_str_eq(f.secrets[1].name, "token");
  ck_assert_int_eq(etc_add_secret(&f, path, &err), 0);
  ck_assert_str_eq(f.secrets[2].name, strrchr(path, '/') + 1);
  ck_assert_int_lt(etc_add_secret(&f, named, &err), 0); /* the same name twice */
  husk_error_free(err);
  err = NULL;
  _cleanup_free_ char *bad = xasprintf("../x=%s", path);
  ck_assert_int_lt(etc_add_secret(&f, bad, &err), 0);
  husk_error_free(err);
  err = NULL;
  unlink(path);
  _cleanup_free_ char *gone = xasprintf("other=%s", path);
  ck_assert_int_lt(etc_add_secret(&f, gone, &err), 0);
  ck_assert_msg(strstr(err->message, path), "%s", err->message);
  husk_error_free(err);
  service_files_free(&f);
}
END_TEST

static Suite *service_suite(void) {
  Suite *s = suite_create("service");
  TCase *env = tcase_create("env");
  tcase_add_test(env, env_file_lines);
  tcase_add_test(env, env_file_errors_name_file_and_line);
  tcase_add_test(env, env_flags_order);
  suite_add_tcase(s, env);
  TCase *files = tcase_create("files");
  tcase_add_test(files, add_host_forms);
  tcase_add_test(files, hosts_text);
  tcase_add_test(files, resolv_conf_text);
  tcase_add_test(files, secret_forms);
  suite_add_tcase(s, files);
  return s;
}

int main(void) { return unit_run(service_suite()); }
