/* ps.c: `husk ps [--format table|json] ID`: the processes in the container's cgroup, as pids
 * in husk's pid namespace: a table with their command lines, or runc's JSON array of pids. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"
#include "cgroups/cgroups.h"
#include "commands.h"
#include "container/container.h"
#include "container/state.h"

#define PS_USAGE "ps [-f|--format table|json] ID"

/* The command line with spaces between arguments; [comm] when it has none (a zombie). */
static char *command_of(pid_t pid) {
  char path[64];
  _cleanup_free_ char *text = NULL;
  snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    for (ssize_t i = 0; i < n - 1; i++)
      if (!buf[i])
        buf[i] = ' ';
    if (n > 0) {
      buf[n] = '\0';
      return xstrdup(buf);
    }
  }
  snprintf(path, sizeof(path), "/proc/%d/comm", pid);
  if (read_file_at(AT_FDCWD, path, 256, &text, NULL) < 0)
    return xstrdup("?");
  text[strcspn(text, "\n")] = '\0';
  return xasprintf("[%s]", text);
}

static void print_table(const pid_t *pids, size_t n) {
  printf("%-10s %s\n", "PID", "CMD");
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *cmd = command_of(pids[i]);
    printf("%-10d %s\n", pids[i], cmd);
  }
}

static void print_json(const pid_t *pids, size_t n) {
  _cleanup_json_ json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_integer(pids[i]));
  _cleanup_free_ char *text = json_dumps(a, JSON_COMPACT);
  printf("%s\n", text);
}

int cmd_ps(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
  bool json = false;
  int c;
  while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
    if (c != 'f')
      return command_bad_option(argv, PS_USAGE, err);
    if (strcmp(optarg, "json") && strcmp(optarg, "table"))
      return husk_error_set(err, EINVAL, "ps: --format: expected table or json, got \"%s\"",
                            optarg);
    json = strcmp(optarg, "json") == 0;
  }
  const char *id;
  int r = command_take_id(argc, argv, optind, PS_USAGE, &id, err);
  if (r < 0)
    return r;
  _cleanup_close_ int fd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  r = state_load(g->root, id, false, &fd, &st, err);
  if (r < 0)
    return r;
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  r = container_cgroup(st, &cg, err);
  if (r >= 0)
    r = cgroup_pids(cg, &pids, &n, err);
  if (r < 0)
    return husk_error_wrap(err, "ps %s", id);
  if (json)
    print_json(pids, n);
  else
    print_table(pids, n);
  return 0;
}
