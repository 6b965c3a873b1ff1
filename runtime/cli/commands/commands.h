/* commands.h: one entry point per CLI command; each parses its own options (getopt_long,
 * stopping at the first non-option as runc does) and returns an exit status, having set
 * *err on failure. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/log.h"

struct husk_error;

struct global_options {
  const char *root;
  struct log_config log;
  bool systemd_cgroup;
  const char *cgroup_manager; /* crun's --cgroup-manager: cgroupfs, systemd, disabled */
  const char *storage;        /* --storage: the image store; NULL: store_default_root() */
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
int cmd_restart(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_logs(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_health(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_exec(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_image(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_images(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_port(int argc, char **argv, const struct global_options *g, struct husk_error **err);
int cmd_volume(int argc, char **argv, const struct global_options *g, struct husk_error **err);

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

/* What run and create start, docker's way: SOURCE (a bundle directory, an image of the store,
 * or an image source such as oci:DIR) and the arguments after it. */
struct command_target {
  const char *source;      /* NULL: the bundle (-b, else ".") */
  char *const *args;
  size_t n_args;
  const char *entrypoint;  /* --entrypoint */
  bool entrypoint_set;
};
enum { TARGET_OPT_ENTRYPOINT = 300 };
#define TARGET_LONG_OPTIONS {"entrypoint", required_argument, NULL, TARGET_OPT_ENTRYPOINT}
/* 0 taken, 1 not a target option. */
int target_parse_option(int c, const char *arg, struct command_target *t);

/* The operands: `run [-b DIR] ID` as runc has it, or docker's `run [--name ID] SOURCE
 * [ARG...]` (without --name, when SOURCE names an image or more than one operand is given;
 * the id is then made up). Checks the combination; *ret_made_id is the made-up id or NULL. */
int run_take_operands(int argc, char **argv, int optind_, const char *usage, const char *name,
                      const struct global_options *g, struct create_options *co,
                      struct command_target *t, char **ret_made_id, struct husk_error **err);

/* Whether text names an image: a source with a transport prefix, or a name in the store. */
bool command_names_image(const struct global_options *g, const char *text);
/* A new container id: 12 random hex digits. */
char *command_new_id(void);
/* The target as create_options: a bundle (its args into *patch, made if NULL) or an image,
 * whose config.json (*ret_doc, to be freed by the caller) becomes co->config_doc. */
int command_resolve_target(const struct global_options *g, const struct command_target *t,
                           bool user_set, struct create_options *co, json_t **ret_doc,
                           json_t **patch, struct husk_error **err);
/* The config.json husk would run the image with (husk spec --image). */
int command_image_config(const struct global_options *g, const struct command_target *t,
                         bool user_set, json_t **ret, struct husk_error **err);
