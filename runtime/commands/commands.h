/* commands.h: one entry point per CLI command; each parses its own options (getopt_long,
 * stopping at the first non-option as runc does) and returns an exit status, having set
 * *err on failure. */
#pragma once

#include <stdbool.h>

#include "log.h"

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

/* Shared by commands: exactly one container id operand, checked. */
int command_take_id(int argc, char **argv, int optind_, const char *usage, const char **ret_id,
                    struct husk_error **err);
