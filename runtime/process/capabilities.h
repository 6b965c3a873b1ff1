/* capabilities.h: process.capabilities as the five capability sets of the container's
 * process (bounding, effective, permitted, inheritable, ambient), applied with libcap. */
#pragma once

#include <stdint.h>

struct husk_error;
struct spec_capabilities;

/* One bit per capability number (the kernel has far fewer than 64). */
struct cap_sets {
  uint64_t bounding, effective, permitted, inheritable, ambient;
};

/* "CAP_CHOWN" (upper case, with the prefix, as runc takes it) to its number. An unknown name
 * is an error naming where it was found: `<at>: unknown capability "CAP_FOO"`. */
int capability_from_name(const char *name, const char *at, int *ret, struct husk_error **err);

/* The sets process.capabilities asks for. NULL (no process.capabilities) means every set
 * empty, the bounding set too, as with runc. A capability libcap knows but the running
 * kernel lacks is left out with a warning; an unknown name is an error. */
int capabilities_parse(const struct spec_capabilities *caps, struct cap_sets *ret,
                       struct husk_error **err);

/* prctl(PR_SET_KEEPCAPS, 1): the permitted set survives process_set_user's switch away from
 * uid 0, so capabilities_apply can still set the final sets. */
int capabilities_keep(struct husk_error **err);

/* Give the calling process exactly these sets: drop from the bounding set what it lacks,
 * then set effective, permitted and inheritable, then raise the ambient ones (an ambient
 * capability that is not both permitted and inheritable is skipped, as the kernel and runc
 * do). Runs after the uid switch with PR_SET_KEEPCAPS on, which it turns off again. */
int capabilities_apply(const struct cap_sets *sets, struct husk_error **err);

/* "CAP_KILL, CAP_CHOWN" for trace lines; "none" for an empty mask. */
char *capabilities_mask_text(uint64_t mask);
