/* duration.c: Go-style durations ("1m30s") parsed and formatted exactly as Go's time package
 * does, so health check settings read and print the way Docker users know them, and RFC 3339
 * timestamps read back to nanoseconds (husk writes them with rfc3339_utc in utils.c). */
#include "duration.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utils.h"

#define DURATION_LIMIT (UINT64_C(1) << 63) /* |min int64|: the magnitude of the most negative */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits as an integer; false when they overflow 2^63 (Go: "invalid duration"). */
static bool leading_int(const char **s, uint64_t *ret) {
  uint64_t x = 0;
  for (; is_digit(**s); (*s)++) {
    if (x > DURATION_LIMIT / 10)
      return false;
    x = x * 10 + (uint64_t)(**s - '0');
    if (x > DURATION_LIMIT)
      return false;
  }
  *ret = x;
  return true;
}

/* Digits after the point as x / scale; digits beyond what fits are read and dropped. */
static void leading_fraction(const char **s, uint64_t *ret_x, uint64_t *ret_scale) {
  uint64_t x = 0, scale = 1;
  bool overflow = false;
  for (; is_digit(**s); (*s)++) {
    if (overflow || x > (DURATION_LIMIT - 1) / 10 || scale > UINT64_MAX / 10) {
      overflow = true;
      continue;
    }
    x = x * 10 + (uint64_t)(**s - '0');
    scale *= 10;
  }
  *ret_x = x;
  *ret_scale = scale;
}

static const struct {
  const char *name;
  uint64_t ns;
} units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\u00b5s", 1000}, /* µ, MICRO SIGN */
    {"\u03bcs", 1000}, /* μ, GREEK SMALL LETTER MU */
    {"ms", 1000000},
    {"s", 1000000000},
    {"m", UINT64_C(60) * 1000000000},
    {"h", UINT64_C(3600) * 1000000000},
};

static uint64_t unit_ns(const char *name, size_t len) {
  for (size_t i = 0; i < ARRAY_SIZE(units); i++)
    if (strlen(units[i].name) == len && memcmp(units[i].name, name, len) == 0)
      return units[i].ns;
  return 0;
}

/* One "<number><unit>" component at *s, added to *total. */
static int parse_component(const char **s, const char *text, uint64_t *total,
                           struct husk_error **err) {
  const char *start = *s;
  uint64_t v = 0, f = 0, scale = 1;
  if (!leading_int(s, &v))
    return husk_error_set(err, ERANGE, "duration \"%s\" is too large", text);
  bool pre = *s != start, post = false;
  if (**s == '.') {
    (*s)++;
    const char *frac = *s;
    leading_fraction(s, &f, &scale);
    post = *s != frac;
  }
  if (!pre && !post)
    return husk_error_set(err, EINVAL, "invalid duration \"%s\"", text);

  const char *unit = *s;
  while (**s && **s != '.' && !is_digit(**s))
    (*s)++;
  if (*s == unit)
    return husk_error_set(err, EINVAL, "missing unit in duration \"%s\" (e.g. \"%ss\")", text,
                          text);
  uint64_t ns = unit_ns(unit, (size_t)(*s - unit));
  if (ns == 0)
    return husk_error_set(err, EINVAL,
                          "unknown unit \"%.*s\" in duration \"%s\" (expected ns, us, ms, s, m "
                          "or h)",
                          (int)(*s - unit), unit, text);

  if (v > DURATION_LIMIT / ns)
    return husk_error_set(err, ERANGE, "duration \"%s\" is too large", text);
  v *= ns;
  if (f > 0) {
    /* Go scales with floating point; the exact product truncates the same way. */
    v += (uint64_t)((unsigned __int128)f * ns / scale);
    if (v > DURATION_LIMIT)
      return husk_error_set(err, ERANGE, "duration \"%s\" is too large", text);
  }
  *total += v;
  if (*total > DURATION_LIMIT)
    return husk_error_set(err, ERANGE, "duration \"%s\" is too large", text);
  return 0;
}

int duration_parse(const char *text, int64_t *ret_ns, struct husk_error **err) {
  const char *s = text;
  bool neg = false;
  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  if (strcmp(s, "0") == 0) {
    *ret_ns = 0;
    return 0;
  }
  if (*s == '\0')
    return husk_error_set(err, EINVAL, "invalid duration \"%s\"", text);

  uint64_t total = 0;
  while (*s) {
    if (*s != '.' && !is_digit(*s))
      return husk_error_set(err, EINVAL, "invalid duration \"%s\"", text);
    int r = parse_component(&s, text, &total, err);
    if (r < 0)
      return r;
  }
  if (!neg && total > (uint64_t)INT64_MAX)
    return husk_error_set(err, ERANGE, "duration \"%s\" is too large", text);
  *ret_ns = neg ? (int64_t)(0 - total) : (int64_t)total;
  return 0;
}

/* Go's fmtFrac: the fraction v % 10^prec as ".ddd" without trailing zeros (nothing when 0),
 * written backwards ending at buf[w]; returns the new start and v / 10^prec. */
static size_t fmt_frac(char *buf, size_t w, uint64_t *v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; i++) {
    uint64_t digit = *v % 10;
    print = print || digit != 0;
    if (print)
      buf[--w] = (char)('0' + digit);
    *v /= 10;
  }
  if (print)
    buf[--w] = '.';
  return w;
}

static size_t fmt_int(char *buf, size_t w, uint64_t v) {
  do {
    buf[--w] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  return w;
}

char *duration_format(int64_t ns) {
  char buf[40];
  size_t w = sizeof(buf);
  buf[--w] = '\0';
  uint64_t u = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;

  buf[--w] = 's';
  if (u == 0) {
    buf[--w] = '0';
  } else if (u < (uint64_t)NSEC_PER_SEC) {
    /* Under a second the unit shrinks so the number stays readable: 1.5µs, 500ms. */
    int prec;
    if (u < (uint64_t)NSEC_PER_USEC) {
      prec = 0;
      buf[--w] = 'n';
    } else if (u < (uint64_t)NSEC_PER_MSEC) {
      prec = 3;
      buf[--w] = (char)0xb5; /* U+00B5 in UTF-8: 0xc2 0xb5 */
      buf[--w] = (char)0xc2;
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    w = fmt_frac(buf, w, &u, prec);
    w = fmt_int(buf, w, u);
  } else {
    w = fmt_frac(buf, w, &u, 9);
    w = fmt_int(buf, w, u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      w = fmt_int(buf, w, u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        w = fmt_int(buf, w, u);
      }
    }
  }
  if (ns < 0)
    buf[--w] = '-';
  return xstrdup(buf + w);
}

/* Exactly n digits at *s as a number; -1 when they are not there. */
static int fixed_digits(const char **s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++, (*s)++) {
    if (!is_digit(**s))
      return -1;
    v = v * 10 + (**s - '0');
  }
  return v;
}

static bool expect(const char **s, const char *one_of) {
  if (**s == '\0' || !strchr(one_of, **s))
    return false;
  (*s)++;
  return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

/* The "Z" or "+hh:mm" / "-hh:mm" at *s as seconds east of UTC; false when malformed. */
static bool parse_offset(const char **s, int64_t *ret) {
  if (expect(s, "Zz")) {
    *ret = 0;
    return true;
  }
  char sign = **s;
  if (!expect(s, "+-"))
    return false;
  int oh = fixed_digits(s, 2);
  bool colon = expect(s, ":");
  int om = fixed_digits(s, 2);
  if (oh < 0 || oh > 23 || !colon || om < 0 || om > 59)
    return false;
  *ret = (sign == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
  return true;
}

int rfc3339_parse(const char *text, int64_t *ret_ns, struct husk_error **err) {
  const char *s = text;
  int year = fixed_digits(&s, 4);
  bool ok = year >= 0 && expect(&s, "-");
  int month = ok ? fixed_digits(&s, 2) : -1;
  ok = ok && month >= 1 && month <= 12 && expect(&s, "-");
  int day = ok ? fixed_digits(&s, 2) : -1;
  ok = ok && day >= 1 && day <= days_in_month(year, month) && expect(&s, "Tt");
  int hour = ok ? fixed_digits(&s, 2) : -1;
  ok = ok && hour >= 0 && hour <= 23 && expect(&s, ":");
  int min = ok ? fixed_digits(&s, 2) : -1;
  ok = ok && min >= 0 && min <= 59 && expect(&s, ":");
  int sec = ok ? fixed_digits(&s, 2) : -1;
  ok = ok && sec >= 0 && sec <= 59;

  int64_t frac = 0;
  if (ok && *s == '.') {
    s++;
    int digits = 0;
    for (; is_digit(*s); s++, digits++)
      if (digits < 9)
        frac = frac * 10 + (*s - '0');
    ok = digits > 0;
    for (; digits < 9; digits++)
      frac *= 10;
  }
  int64_t offset = 0;
  ok = ok && parse_offset(&s, &offset) && *s == '\0';
  if (!ok)
    return husk_error_set(err, EINVAL, "invalid RFC 3339 time \"%s\"", text);

  int64_t secs = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
  int64_t ns;
  if (secs < 0 || __builtin_mul_overflow(secs, NSEC_PER_SEC, &ns) ||
      __builtin_add_overflow(ns, frac, &ns))
    return husk_error_set(err, ERANGE, "time \"%s\" is out of range (1970 to 2262)", text);
  *ret_ns = ns;
  return 0;
}

int log_time_parse(const char *text, int64_t now_ns, int64_t *ret_ns, struct husk_error **err) {
  int64_t d;
  /* "0" is a time (the epoch), not a duration, as for Docker. */
  if (strcmp(text, "0") != 0 && duration_parse(text, &d, NULL) == 0) {
    *ret_ns = now_ns - d;
    return 0;
  }
  if (strchr(text, 'T') && rfc3339_parse(text, ret_ns, NULL) == 0)
    return 0;
  /* seconds[.fraction], up to nanoseconds */
  size_t secs = strspn(text, "0123456789");
  const char *frac = text[secs] == '.' ? text + secs + 1 : text + secs;
  size_t nfrac = strspn(frac, "0123456789");
  if (secs > 0 && secs <= 11 && nfrac <= 9 && frac[nfrac] == '\0' &&
      (text[secs] == '\0' || nfrac > 0)) {
    int64_t ns;
    if (__builtin_mul_overflow(strtoll(text, NULL, 10), NSEC_PER_SEC, &ns))
      return husk_error_set(err, ERANGE, "time \"%s\" is out of range (1970 to 2262)", text);
    int64_t scale = NSEC_PER_SEC;
    for (size_t i = 0; i < nfrac; i++) {
      scale /= 10;
      if (__builtin_add_overflow(ns, (frac[i] - '0') * scale, &ns))
        return husk_error_set(err, ERANGE, "time \"%s\" is out of range (1970 to 2262)", text);
    }
    *ret_ns = ns;
    return 0;
  }
  return husk_error_set(err, EINVAL, "failed to parse value as time or duration: \"%s\"", text);
}
