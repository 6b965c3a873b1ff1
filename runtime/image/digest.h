/* digest.h: sha256 content digests as OCI writes them ("sha256:<64 lower-case hex>"), computed
 * over a stream as it goes by (nettle). */
#pragma once

#include <nettle/sha2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct husk_error;

#define DIGEST_HEX_LEN 64
#define DIGEST_PREFIX "sha256:"
/* "sha256:" + hex + NUL */
#define DIGEST_TEXT_SIZE (sizeof(DIGEST_PREFIX) + DIGEST_HEX_LEN)

struct digest_stream {
  struct sha256_ctx ctx;
  uint64_t bytes;
};

void digest_begin(struct digest_stream *d);
void digest_add(struct digest_stream *d, const void *buf, size_t len);
/* "sha256:<hex>" of everything added. */
void digest_end(struct digest_stream *d, char out[DIGEST_TEXT_SIZE]);

/* The digest of a string, as "sha256:<hex>". */
void digest_of(const void *buf, size_t len, char out[DIGEST_TEXT_SIZE]);

/* True for "sha256:" followed by exactly 64 lower-case hex digits. */
bool digest_valid(const char *text);
/* The hex part of a valid digest (text + 7). */
static inline const char *digest_hex(const char *text) { return text + sizeof(DIGEST_PREFIX) - 1; }

/* An OCI chain id: chain(L0) = diff(L0), chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln)). */
void digest_chain(const char *parent_chain, const char *diff_id, char out[DIGEST_TEXT_SIZE]);
