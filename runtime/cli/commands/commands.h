/* commands.h: one entry point per CLI command; each parses its own options (getopt_long,
 * stopping at the first non-option as runc does) and returns an exit status, having set
 * *err on failure. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/log.h"

struct husk_error;

struct global_options {
  const char *root;
  struct log_config log;
  bool systemd_cgroup;
  const char *cgroup_manager; /* crun's --cgroup-manager: cgroupfs, systemd, disabled */
};

typedef int (*command_fn)(int argc, char **argv, const struct global_options *g,
                          struct husk_error **err);

int cmd_create(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_start(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_run(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_state(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_kill(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_delete(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_list(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_spec(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_features(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_pause(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_resume(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_update(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_ps(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_events(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_stop(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_logs(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_health(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_exec(int argc, char **argv, const struct global_options *g, struct husk_error **err);

/* The config.json that `husk spec [--rootless]` writes (new reference). */
json_t *spec_default_config(bool rootless);
/* The runtime-spec features document that `husk features` prints (new reference). */
json_t *features_json(void);

struct create_options;
struct run_options;
/* getopt codes of create's long options, shared with run. */
enum {
  CREATE_OPT_PID_FILE = 256,
  CREATE_OPT_CONSOLE_SOCKET,
  CREATE_OPT_PRESERVE_FDS,
  CREATE_OPT_NO_PIVOT,
  CREATE_OPT_NO_NEW_KEYRING,
};
#define CREATE_LONG_OPTIONS                                                                        \
  {"bundle", required_argument, NULL, 'b'},                                                        \
      {"pid-file", required_argument, NULL, CREATE_OPT_PID_FILE},                                  \
      {"console-socket", required_argument, NULL, CREATE_OPT_CONSOLE_SOCKET},                      \
      {"preserve-fds", required_argument, NULL, CREATE_OPT_PRESERVE_FDS},                          \
      {"no-pivot", no_argument, NULL, CREATE_OPT_NO_PIVOT},                                        \
      {"no-new-keyring", no_argument, NULL, CREATE_OPT_NO_NEW_KEYRING}
/* Apply one of create's options (also taken by run): 0 taken, 1 not a create option, <0 bad. */
int create_parse_option(int c, struct create_options *o, struct husk_error **err);
/* LISTEN_FDS from systemd socket activation adds to --preserve-fds. */
void create_add_listen_fds(struct create_options *o);

/* For getopt's '?': names the bad option and prints the usage. Needs <getopt.h>'s optind. */
int command_bad_option(char **argv, const char *usage, struct husk_error **err);

/* Shared by commands: exactly one container id operand, checked. */
int command_take_id(int argc, char **argv, int optind_, const char *usage, const char **ret_id,
                    struct husk_error **err);

/* The operands: `run [-b DIR] ID` as runc has it, or `run --name ID [BUNDLE]` as docker has it
 * (the bundle then from the operand, else -b, else "."). Checks the combination. */
int run_take_operands(int argc, char **argv, int optind_, const char *usage,
                      const struct run_options *o, struct create_options *co,
                      struct husk_error **err);
