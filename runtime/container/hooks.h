/* hooks.h: OCI hooks (config.json "hooks"). Each hook is a process of its own, with the
 * container's state JSON on stdin, its args and env exactly as given, and an optional
 * timeout. Where each phase runs is the callers' business:
 *
 *   phase            runs in                         when                             status
 *   prestart         the runtime's namespaces        rootfs mounted (SYNC_MOUNTS_DONE) creating
 *   createRuntime    the runtime's namespaces        right after prestart              creating
 *   createContainer  the container's, host paths     before pivot_root (init.c)        creating
 *   startContainer   the container, its paths        after `start`, before execve      created
 *   poststart        the runtime's namespaces        `start`, the process started      running
 *   poststop         the runtime's namespaces        `delete`, the process gone        stopped
 *
 * A failing create-time hook fails `create`; a failing poststart or poststop hook is a
 * warning. */
#pragma once

#include "spec/spec.h"
#include "state.h"

struct husk_error;

/* The copy of config.json that create keeps in the state directory when the config has
 * poststart or poststop hooks, so start and delete run them even if the bundle changed. */
#define HOOKS_CONFIG_FILE "config.json"

/* Run one hook and wait for it; index is its place in the phase's list. Errors read
 * "hook createRuntime[0] (/path): exited with status 3" or "hook poststop[1] (/path) timed
 * out after 5 s". */
int hook_run(const struct spec_hook *hook, enum spec_hook_phase phase, size_t index,
             const char *state_json, struct husk_error **err);

/* True when the config has prestart, createRuntime, createContainer or startContainer hooks:
 * only then do create and the init exchange SYNC_MOUNTS_DONE and SYNC_HOOKS_DONE (sync.h). */
bool hooks_need_create_sync(const struct spec *spec);

/* Run a phase's hooks in order; the first failure stops them and is the error. */
int hooks_run(const struct spec *spec, enum spec_hook_phase phase, const char *state_json,
              struct husk_error **err);

/* Run every hook of a phase; a failure is logged as a warning and the next one runs. */
void hooks_run_warn(const struct spec *spec, enum spec_hook_phase phase, const char *state_json);

/* The OCI state of st in the given status as one line of JSON (malloc'd). */
char *hooks_state_text(const struct container_state *st, enum container_status status);

/* state_json (one JSON object) with its "status" replaced: a malloc'd line of JSON. */
int hooks_state_with_status(const char *state_json, const char *status, char **ret,
                            struct husk_error **err);

/* Keep spec's config.json in the state directory (mode 0600: it may hold secrets in its env)
 * when it has poststart or poststop hooks, or with changed: when it is not the bundle's file
 * (run's flags, an image's config), so that exec and health probes start from what the
 * container runs with. */
int hooks_save_config(int state_fd, const struct spec *spec, bool changed, struct husk_error **err);

/* Run the saved config's hooks of phase (poststart, poststop) with st's state in status;
 * failures are warnings. Nothing happens when create saved no config. */
void hooks_run_saved(int state_fd, const struct container_state *st, enum spec_hook_phase phase,
                     enum container_status status);
