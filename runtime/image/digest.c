/* digest.c: sha256 digests through nettle. */
#include "digest.h"

#include <stdio.h>
#include <string.h>

void digest_begin(struct digest_stream *d) {
  sha256_init(&d->ctx);
  d->bytes = 0;
}

void digest_add(struct digest_stream *d, const void *buf, size_t len) {
  sha256_update(&d->ctx, len, buf);
  d->bytes += len;
}

void digest_end(struct digest_stream *d, char out[DIGEST_TEXT_SIZE]) {
  uint8_t raw[SHA256_DIGEST_SIZE];
  sha256_digest(&d->ctx, sizeof(raw), raw);
  static const char hex[] = "0123456789abcdef";
  memcpy(out, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1);
  char *p = out + sizeof(DIGEST_PREFIX) - 1;
  for (size_t i = 0; i < sizeof(raw); i++) {
    *p++ = hex[raw[i] >> 4];
    *p++ = hex[raw[i] & 15];
  }
  *p = '\0';
}

void digest_of(const void *buf, size_t len, char out[DIGEST_TEXT_SIZE]) {
  struct digest_stream d;
  digest_begin(&d);
  digest_add(&d, buf, len);
  digest_end(&d, out);
}

bool digest_valid(const char *text) {
  if (!text || strncmp(text, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1) != 0)
    return false;
  const char *h = digest_hex(text);
  size_t n = strspn(h, "0123456789abcdef");
  return n == DIGEST_HEX_LEN && h[n] == '\0';
}

void digest_chain(const char *parent_chain, const char *diff_id, char out[DIGEST_TEXT_SIZE]) {
  if (!parent_chain) {
    snprintf(out, DIGEST_TEXT_SIZE, "%s", diff_id);
    return;
  }
  char text[2 * DIGEST_TEXT_SIZE];
  int n = snprintf(text, sizeof(text), "%s %s", parent_chain, diff_id);
  digest_of(text, (size_t)n, out);
}
