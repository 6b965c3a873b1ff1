/* test_state.c: the state directory, status derivation, the sync protocol and error wrapping. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "container/journal.h"
#include "container/state.h"
#include "container/sync.h"
#include "unit.h"

static char root[] = "/tmp/husk-test-state-XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(root)); }
static void teardown(void) {
  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", root);
  ck_assert_int_eq(system(cmd), 0);
  strcpy(root, "/tmp/husk-test-state-XXXXXX");
}

static struct container_state *sample(pid_t pid) {
  struct container_state *st = xcalloc(1, sizeof(*st));
  st->id = xstrdup("c1");
  st->pid = pid;
  st->pid_start_time = proc_start_time(pid);
  st->bundle = xstrdup("/b");
  st->rootfs = xstrdup("/b/rootfs");
  st->created = now_rfc3339();
  st->owner = 0;
  st->annotations = json_pack("{s:s}", "k", "v");
  return st;
}

START_TEST(test_check_id) {
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(state_check_id("web-1_a.b+c", &err), 0);
  ck_assert_int_eq(state_check_id("..", &err), -EINVAL);
  ck_assert_str_eq(err->message, "invalid container id \"..\"");
  ck_assert_int_eq(state_check_id("a/b", &err), -EINVAL);
  ck_assert_ptr_nonnull(strstr(err->message, "only letters, digits"));
  ck_assert_int_eq(state_check_id("", NULL), -EINVAL);
}
END_TEST

START_TEST(test_create_twice_fails) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_close_ int fd = -1, fd2 = -1;
  ck_assert_int_eq(state_dir_create(root, "c1", &fd, &err), 0);
  ck_assert_int_eq(state_dir_create(root, "c1", &fd2, &err), -EEXIST);
  ck_assert_str_eq(err->message, "container c1 already exists");
  ck_assert_int_eq(fd2, -1);
}
END_TEST

START_TEST(test_open_missing) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fd = -1;
  ck_assert_int_eq(state_dir_open(root, "nope", false, &fd, &err), -ENOENT);
  ck_assert_str_eq(err->message, "container nope does not exist");
}
END_TEST

START_TEST(test_write_read_roundtrip) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_close_ int fd = -1;
  ck_assert_int_eq(state_dir_create(root, "c1", &fd, &err), 0);
  _cleanup_state_ struct container_state *st = sample(getpid());
  st->clone_flags = 0x20000;
  ck_assert_int_eq(state_write(fd, st, &err), 0);
  _cleanup_state_ struct container_state *back = NULL;
  ck_assert_int_eq(state_read(fd, &back, &err), 0);
  ck_assert_str_eq(back->id, "c1");
  ck_assert_int_eq(back->pid, getpid());
  ck_assert_uint_eq(back->pid_start_time, st->pid_start_time);
  ck_assert_str_eq(back->bundle, "/b");
  ck_assert_str_eq(back->created, st->created);
  ck_assert_int_eq(back->clone_flags, 0x20000);
  ck_assert_str_eq(json_string_value(json_object_get(back->annotations, "k")), "v");
  /* no temp file is left behind by the atomic write */
  ck_assert_int_ne(faccessat(fd, ".state.json.tmp", F_OK, 0), 0);
}
END_TEST

START_TEST(test_corrupt_state) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_close_ int fd = -1;
  ck_assert_int_eq(state_dir_create(root, "c1", &fd, &err), 0);
  ck_assert_int_eq(write_file_atomic_at(fd, STATE_FILE, "{\"id\":1}", 8, 0600, &err), 0);
  struct container_state *st = NULL;
  ck_assert_int_eq(state_read(fd, &st, &err), -EINVAL);
  ck_assert_str_eq(err->message, "corrupt container state file state.json");
}
END_TEST

/* Every shape of a broken state.json is refused, none crashes: truncated, empty, garbage,
 * the wrong JSON type, a NUL inside, annotations that are not an object. */
START_TEST(test_state_parse_refuses) {
  const char *bad[] = {"", "{", "[1,2]", "\"text\"", "null", "{\"id\":\"a\"}",
                       "{\"id\":\"a\",\"pid\":1,\"pidStartTime\":1,\"bundle\":\"/b\","
                       "\"rootfs\":\"/r\",\"created\":\"t\",\"owner\":0,\"annotations\":[],"
                       "\"started\":true,\"cloneFlags\":0}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    _cleanup_error_ struct husk_error *err = NULL;
    struct container_state *st = NULL;
    ck_assert_msg(state_parse(bad[i], &st, &err) == -EINVAL, "accepted: %s", bad[i]);
    ck_assert_str_eq(err->message, "corrupt container state file state.json");
  }
}
END_TEST

/* A state.json larger than husk reads back is refused at write time, with the reason. */
START_TEST(test_state_too_large) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_close_ int fd = -1;
  ck_assert_int_eq(state_dir_create(root, "c1", &fd, &err), 0);
  _cleanup_state_ struct container_state *st = sample(getpid());
  _cleanup_free_ char *big = xmalloc(HUSK_FILE_MAX + 2);
  memset(big, 'x', HUSK_FILE_MAX + 1);
  big[HUSK_FILE_MAX + 1] = '\0';
  json_object_set_new(st->annotations, "big", json_string(big));
  ck_assert_int_eq(state_write(fd, st, &err), -EFBIG);
  ck_assert_msg(strstr(err->message, "annotations are too large"), "%s", err->message);
  ck_assert_int_eq(faccessat(fd, STATE_FILE, F_OK, 0), -1);
}
END_TEST

/* The journal: the last record of a kind wins, a cut line is counted, not fatal. */
START_TEST(test_journal_records) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_close_ int fd = -1;
  ck_assert_int_eq(state_dir_create(root, "c1", &fd, &err), 0);
  _cleanup_close_ int j = journal_open(fd, &err);
  ck_assert_int_ge(j, 0);
  _cleanup_json_ json_t *cg = json_pack("{s:s, s:[]}", "kind", "unified", "dirs");
  _cleanup_json_ json_t *i1 = json_pack("{s:i, s:I, s:i}", "pid", 10, "startTime", (json_int_t)5,
                                        "cloneFlags", 1);
  _cleanup_json_ json_t *i2 = json_pack("{s:i, s:I, s:i}", "pid", 20, "startTime", (json_int_t)6,
                                        "cloneFlags", 2);
  ck_assert_int_eq(journal_append(j, "cgroup", cg, &err), 0);
  ck_assert_int_eq(journal_append(j, "init", i1, &err), 0);
  ck_assert_int_eq(journal_append(j, "init", i2, &err), 0);
  ck_assert_int_eq(write(j, "{\"init\":{\"pi", 13), 13);
  struct container_state st = {0};
  size_t unreadable = 9;
  ck_assert_int_eq(journal_read(fd, &st, &unreadable, &err), 0);
  ck_assert_int_eq(st.pid, 20);
  ck_assert_uint_eq(st.pid_start_time, 6);
  ck_assert_int_eq(st.clone_flags, 2);
  ck_assert_str_eq(json_string_value(json_object_get(st.cgroup, "kind")), "unified");
  ck_assert_uint_eq(unreadable, 1);
  json_decref(st.cgroup);
  /* opened again, it starts empty: a restart in place */
  closep(&j);
  j = journal_open(fd, &err);
  struct container_state st2 = {0};
  ck_assert_int_eq(journal_read(fd, &st2, &unreadable, &err), 0);
  ck_assert_int_eq(st2.pid, 0);
  ck_assert_uint_eq(unreadable, 0);
}
END_TEST

START_TEST(test_status_derivation) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_close_ int fd = -1;
  ck_assert_int_eq(state_dir_create(root, "c1", &fd, &err), 0);
  _cleanup_state_ struct container_state *st = sample(getpid());
  ck_assert_int_eq(state_status(fd, st), STATUS_RUNNING); /* alive, no fifo */
  ck_assert_int_eq(mkfifoat(fd, EXEC_FIFO, 0600), 0);
  ck_assert_int_eq(state_status(fd, st), STATUS_CREATED);
  st->started = true;
  ck_assert_int_eq(state_status(fd, st), STATUS_RUNNING);
  /* a recorded start time that does not match is another process: stopped */
  st->pid_start_time += 1;
  ck_assert_int_eq(state_status(fd, st), STATUS_STOPPED);
}
END_TEST

START_TEST(test_status_dead_process) {
  pid_t child = fork();
  if (child == 0)
    _exit(0);
  _cleanup_state_ struct container_state *st = sample(child);
  int ws;
  waitpid(child, &ws, 0);
  ck_assert(!state_init_alive(st));
  ck_assert_int_eq(state_status(AT_FDCWD, st), STATUS_STOPPED);
}
END_TEST

START_TEST(test_oci_json) {
  _cleanup_state_ struct container_state *st = sample(getpid());
  _cleanup_json_ json_t *j = state_to_oci_json(st, STATUS_RUNNING);
  ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "running");
  ck_assert_str_eq(json_string_value(json_object_get(j, "ociVersion")), "1.2.1");
  ck_assert_int_eq(json_integer_value(json_object_get(j, "pid")), getpid());
  ck_assert_str_eq(json_string_value(json_object_get(j, "owner")), "root");
  ck_assert_ptr_nonnull(json_object_get(j, "annotations"));
  _cleanup_json_ json_t *stopped = state_to_oci_json(st, STATUS_STOPPED);
  ck_assert_int_eq(json_integer_value(json_object_get(stopped, "pid")), 0);
}
END_TEST

START_TEST(test_remove) {
  _cleanup_error_ struct husk_error *err = NULL;
  _cleanup_close_ int fd = -1;
  ck_assert_int_eq(state_dir_create(root, "c1", &fd, &err), 0);
  ck_assert_int_eq(mkfifoat(fd, EXEC_FIFO, 0600), 0);
  ck_assert_int_eq(state_dir_remove(root, "c1", &err), 0);
  _cleanup_free_ char *path = xasprintf("%s/c1", root);
  ck_assert_int_ne(access(path, F_OK), 0);
  ck_assert_int_eq(state_dir_remove(root, "c1", &err), 0); /* already gone is fine */
}
END_TEST

START_TEST(test_sync_messages) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fds[2];
  ck_assert_int_eq(sync_pair(fds, &err), 0);
  ck_assert_int_eq(sync_send(fds[1], SYNC_LOG, 3, "hello", 5, &err), 0);
  ck_assert_int_eq(sync_send(fds[1], SYNC_MOUNTS_DONE, 0, NULL, 0, &err), 0);
  ck_assert_int_eq(sync_expect(fds[0], SYNC_MOUNTS_DONE, &err), 0);
  /* an unexpected step is a protocol error naming both */
  ck_assert_int_eq(sync_send(fds[1], SYNC_CREATED, 0, NULL, 0, &err), 0);
  ck_assert_int_eq(sync_expect(fds[0], SYNC_HOOKS_DONE, &err), -EPROTO);
  ck_assert_str_eq(err->message, "expected hooks-done from container init, got created");
  close(fds[0]);
  close(fds[1]);
}
END_TEST

START_TEST(test_sync_child_error_and_eof) {
  _cleanup_error_ struct husk_error *err = NULL;
  int fds[2];
  ck_assert_int_eq(sync_pair(fds, &err), 0);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    struct husk_error *e = NULL;
    husk_error_errno(&e, EACCES, "mount %s", "/proc");
    sync_fail(fds[1], e);
  }
  close(fds[1]);
  ck_assert_int_eq(sync_expect(fds[0], SYNC_CREATED, &err), -EACCES);
  ck_assert_str_eq(err->message, "mount /proc: Permission denied");
  ck_assert_int_eq(sync_expect(fds[0], SYNC_CREATED, &err), -EPIPE);
  ck_assert_str_eq(err->message, "container init exited before it was created");
  waitpid(child, NULL, 0);
  close(fds[0]);
}
END_TEST

START_TEST(test_error_wrap) {
  _cleanup_error_ struct husk_error *err = NULL;
  ck_assert_int_eq(husk_error_errno(&err, ENOENT, "open %s", "x"), -ENOENT);
  ck_assert_int_eq(husk_error_wrap(&err, "create %s", "web"), -ENOENT);
  ck_assert_str_eq(err->message, "create web: open x: No such file or directory");
  ck_assert_int_eq(husk_error_set(&err, EINVAL, "process.args: expected %s", "x"), -EINVAL);
  ck_assert_str_eq(err->message, "process.args: expected x");
  ck_assert_int_eq(husk_error_set(NULL, EINVAL, "ignored"), -EINVAL);
}
END_TEST

/* The time-zone-free date arithmetic agrees with gmtime_r + strftime, leap days and century
 * years included, from 1970 to 2200. */
START_TEST(test_rfc3339_utc) {
  for (time_t t = 0; t < 7300000000; t += 86400 * 7 + 3601) {
    for (time_t d = 0; d < 86400 * 3; d += 86400 / 2 + 1) {
      struct timespec ts = {t + d, 5};
      struct tm tm;
      char want[64], date[32];
      gmtime_r(&ts.tv_sec, &tm);
      strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
      snprintf(want, sizeof want, "%s.000000005Z", date);
      _cleanup_free_ char *got = rfc3339_utc(&ts);
      ck_assert_str_eq(got, want);
    }
  }
  struct timespec leap = {951782400, 0}; /* 2000-02-29, a leap day of a century year */
  _cleanup_free_ char *got = rfc3339_utc(&leap);
  ck_assert_str_eq(got, "2000-02-29T00:00:00.000000000Z");
}
END_TEST

static Suite *state_suite(void) {
  Suite *s = suite_create("state");
  TCase *tc = tcase_create("state");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_check_id);
  tcase_add_test(tc, test_create_twice_fails);
  tcase_add_test(tc, test_open_missing);
  tcase_add_test(tc, test_write_read_roundtrip);
  tcase_add_test(tc, test_corrupt_state);
  tcase_add_test(tc, test_state_parse_refuses);
  tcase_add_test(tc, test_state_too_large);
  tcase_add_test(tc, test_journal_records);
  tcase_add_test(tc, test_status_derivation);
  tcase_add_test(tc, test_status_dead_process);
  tcase_add_test(tc, test_oci_json);
  tcase_add_test(tc, test_remove);
  suite_add_tcase(s, tc);
  TCase *sync = tcase_create("sync");
  tcase_add_test(sync, test_sync_messages);
  tcase_add_test(sync, test_sync_child_error_and_eof);
  tcase_add_test(sync, test_error_wrap);
  tcase_add_test(sync, test_rfc3339_utc);
  suite_add_tcase(s, sync);
  return s;
}

int main(void) { return unit_run(state_suite()); }
