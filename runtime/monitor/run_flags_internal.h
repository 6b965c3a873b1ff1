/* run_flags_internal.h: what run_flags.c (the flags and the patch), run_mounts.c (-v,
 * --mount, --tmpfs) and run_flags_edit.c (the edit of config.json) share. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "run_flags.h"

struct husk_error;

/* *a (or *o), made when NULL. */
json_t *run_flags_array_of(json_t **a);
json_t *run_flags_object_of(json_t **o);
/* The object at key in o, made when missing. */
json_t *run_flags_member(json_t *o, const char *key);
bool run_flags_is_one_of(const char *s, const char *const *list);
/* Go's strconv.ParseBool, as docker's flags take booleans. */
int run_flags_parse_bool(const char *v, bool *ret);
/* A path as docker compares mount points: no trailing slashes or "." components. */
char *run_flags_clean_path(const char *p);

/* run_mounts.c: -v, --mount, --tmpfs into f->mounts (the internal form run_flags.c names). */
int run_flags_parse_volume(struct run_flags *f, const char *spec, struct husk_error **err);
int run_flags_parse_mount(struct run_flags *f, const char *spec, struct husk_error **err);
int run_flags_parse_tmpfs(struct run_flags *f, const char *spec, struct husk_error **err);
