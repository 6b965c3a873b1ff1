/* journal.h: what a container owns on the host, recorded before each thing is made, so that
 * `delete --force` finds and removes it even when create was killed halfway or state.json
 * cannot be read. <state dir>/journal is one JSON object per line, each appended by one write:
 *   {"cgroup": <cgroup_save() of the plan>}        before the first cgroup directory is made
 *   {"hostMounts": "<rootfs>"}   before the clone, for a container without a mount namespace
 *                                of its own: it mounts below its rootfs in husk's
 *   {"init": {"pid": N, "startTime": T, "cloneFlags": F}}   right after the init is cloned
 * A later record of a kind replaces an earlier one. The state directory itself is found by
 * its name. */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct container_state;
struct husk_error;

#define JOURNAL_FILE "journal"

/* Open <state dir>/journal for appending, emptied first (a restart in place starts over). */
int journal_open(int state_fd, struct husk_error **err);

/* Append {"what": value} as one line; value is borrowed. */
int journal_append(int journal_fd, const char *what, json_t *value, struct husk_error **err);

/* Fill st's pid, pid_start_time, clone_flags and cgroup from the journal (what it does not
 * record stays as it was). ret_unreadable: lines that were not a record (a write cut short). */
int journal_read(int state_fd, struct container_state *st, size_t *ret_unreadable,
                 struct husk_error **err);
/* journal_read on the file's text (changed in place). */
void journal_parse(char *text, struct container_state *st, size_t *ret_unreadable);
