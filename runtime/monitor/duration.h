/* duration.h: time as text, the way Go (and so Docker) writes it: durations like "1m30s"
 * (time.ParseDuration / Duration.String) and RFC 3339 timestamps read back to nanoseconds. */
#pragma once

#include <stdint.h>

struct husk_error;

#define NSEC_PER_USEC INT64_C(1000)
#define NSEC_PER_MSEC INT64_C(1000000)
#define NSEC_PER_SEC INT64_C(1000000000)

/* Go's time.ParseDuration: an optional sign, then one or more decimal numbers each with a
 * unit (ns, us, µs, ms, s, m, h), e.g. "300ms", "-1.5h", "2h45m"; "0" alone needs no unit.
 * The message names what is wrong but not where; callers wrap it with the flag or path. */
int duration_parse(const char *text, int64_t *ret_ns, struct husk_error **err);

/* Go's Duration.String: "0s", "10ns", "1.5µs", "500ms", "1.5s", "1m30s", "1h0m0s". */
char *duration_format(int64_t ns);

/* An RFC 3339 timestamp ("2024-05-01T10:00:00.123456789Z", any fraction length, "Z" or an
 * offset like "+02:00") as nanoseconds since 1970 UTC; times outside 1970..2262 are errors. */
int rfc3339_parse(const char *text, int64_t *ret_ns, struct husk_error **err);

/* `logs --since/--until` as Docker reads them: a Go duration meaning that long before now_ns
 * ("10m", "1h30m"), an RFC 3339 timestamp, or Unix seconds with an optional fraction
 * ("1700000000", "1700000000.5"). The error is Docker's wording. */
int log_time_parse(const char *text, int64_t now_ns, int64_t *ret_ns, struct husk_error **err);
