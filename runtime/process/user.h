/* user.h: Docker's `-u` values resolved against a root filesystem's own /etc/passwd and
 * /etc/group: NAME, NAME:GROUP, UID:GROUP, NAME:GID (numbers stay numbers). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct husk_error;

/* USER[:GROUP], each a name ([A-Za-z0-9._-], not starting with '-') or a uid/gid number. */
bool user_name_syntax_ok(const char *text);
/* True when text names a user or group rather than only numbers ("1000", "1000:100"). */
bool user_text_has_names(const char *text);

/* process.user as Docker resolves `-u text` in the image at rootfs (a host path): the
 * user's uid, its passwd gid unless a group is given, and the groups of /etc/group that list
 * it as additionalGids. The files are opened inside rootfs (no symlink leaves it); a name
 * that neither file has is an error naming it. Returns a new JSON object. */
int user_resolve(const char *rootfs, const char *text, json_t **ret, struct husk_error **err);

/* The same with the files opened by open_file(arg, "etc/passwd" or "etc/group"), e.g. from an
 * image's layers (NULL and errno when there is none). */
typedef FILE *(*user_file_opener)(void *arg, const char *path);
int user_resolve_with(user_file_opener open_file, void *arg, const char *text, json_t **ret,
                      struct husk_error **err);
