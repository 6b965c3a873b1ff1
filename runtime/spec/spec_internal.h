/* spec_internal.h: the typed JSON getters shared by spec.c and spec_linux.c. Not for other
 * modules: they use the parsed struct spec from spec.h.
 *
 * Every getter takes the parent object, the key and the JSON path of the parent ("" at the
 * top level, "linux.resources", "mounts[2]", ...) so its error names the full path. A getter
 * returns 1 when the key was present and valid (*ret set), 0 when it is absent or null (*ret
 * untouched, unless SPEC_NOTNULL asks for an empty list), or a negative errno with *err set. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

struct husk_error;

/* Return a getter's error from the calling parser; otherwise yield its 0/1 result. */
#define TRY(expr)                                                                                  \
  ({                                                                                               \
    int try_r_ = (expr);                                                                           \
    if (try_r_ < 0)                                                                                \
      return try_r_;                                                                               \
    try_r_;                                                                                        \
  })

enum {
  SPEC_REQ = 1 << 0,      /* absent is an error: "<path>: required" */
  SPEC_ABS = 1 << 1,      /* strings (or each list item) must be absolute paths */
  SPEC_NONEMPTY = 1 << 2, /* strings and lists must not be empty */
  SPEC_NOTNULL = 1 << 3,  /* an absent list becomes an empty one rather than NULL */
};

/* "<at>.<key>: <message>" (EINVAL); at may be "", key may be NULL. */
int spec_errorf(struct husk_error **err, const char *at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "<at>.<key>" as a new string. */
char *spec_path(const char *at, const char *key);

/* A zeroed array of n elements owned by the spec (freed by spec_free). */
void *spec_alloc(struct spec *s, size_t n, size_t size);

int spec_get_object(json_t *obj, const char *key, const char *at, unsigned flags, json_t **ret,
                    struct husk_error **err);
int spec_get_string(json_t *obj, const char *key, const char *at, unsigned flags, const char **ret,
                    struct husk_error **err);
int spec_get_bool(json_t *obj, const char *key, const char *at, unsigned flags, bool *ret,
                  struct husk_error **err);
int spec_get_int(json_t *obj, const char *key, const char *at, unsigned flags, int64_t min,
                 int64_t max, int64_t *ret, struct husk_error **err);
int spec_get_uint(json_t *obj, const char *key, const char *at, unsigned flags, uint64_t max,
                  uint64_t *ret, struct husk_error **err);
/* Optional int64/uint64 fields straight into a spec_opt_*. */
int spec_get_opt_i64(json_t *obj, const char *key, const char *at, int64_t min,
                     struct spec_opt_i64 *ret, struct husk_error **err);
int spec_get_opt_u64(json_t *obj, const char *key, const char *at, uint64_t max,
                     struct spec_opt_u64 *ret, struct husk_error **err);
/* An array of strings as a NULL-terminated list whose items point into the document. */
int spec_get_strv(struct spec *s, json_t *obj, const char *key, const char *at, unsigned flags,
                  const char ***ret, struct husk_error **err);
/* An object of string values as key/value pairs, in document order. */
int spec_get_kv(struct spec *s, json_t *obj, const char *key, const char *at, struct spec_kv **ret,
                size_t *ret_n, struct husk_error **err);

/* Parse one object of an array into out (an element of size elem_size); at names the element,
 * e.g. "mounts[2]". */
typedef int (*spec_elem_parser)(struct spec *s, json_t *elem, const char *at, void *out,
                                struct husk_error **err);
/* An array of objects, each parsed by fn into a spec-owned array of elem_size elements. */
int spec_get_list(struct spec *s, json_t *obj, const char *key, const char *at, unsigned flags,
                  size_t elem_size, spec_elem_parser fn, void **ret, size_t *ret_n,
                  struct husk_error **err);
/* Typed form: stores the array in field and its length in n_field. */
#define SPEC_GET_LIST(s, obj, key, at, flags, fn, field, n_field, err)                             \
  ({                                                                                               \
    void *list_ = NULL;                                                                            \
    int list_r_ = spec_get_list((s), (obj), (key), (at), (flags), sizeof(*(field)), (fn), &list_,  \
                                &(n_field), (err));                                                \
    if (list_r_ > 0)                                                                               \
      (field) = list_;                                                                             \
    list_r_;                                                                                       \
  })

/* linux.resources and linux.seccomp (spec_linux.c); linux is the "linux" object. */
int spec_parse_resources(struct spec *s, json_t *linux_obj, struct husk_error **err);
int spec_parse_seccomp(struct spec *s, json_t *linux_obj, struct husk_error **err);
