/* update.h: the parts of `husk update` (update.c) that unit tests drive without a container. */
#pragma once

#include <jansson.h>
#include <stdint.h>

struct husk_error;

/* A size as runc's flags take it (docker's units.RAMInBytes: "64m", "1.5GiB", "512 k"), or -1
 * for unlimited. -EINVAL when it is not one, -ERANGE past int64. */
int update_parse_bytes(const char *s, int64_t *ret);

/* The command line of `update` (argv[0] is "update"; getopt's optind is used) → the
 * linux.resources object to apply and the container id. With --resources, its file (or stdin
 * for "-"), the other flags ignored with a warning, as runc ignores them (but the Intel RDT
 * ones, refused since husk has no RDT); without it, the object the flags make, 0 for
 * --pids-limit or --blkio-weight counting as not given. */
int update_parse_args(int argc, char **argv, json_t **ret, const char **ret_id,
                      struct husk_error **err);
