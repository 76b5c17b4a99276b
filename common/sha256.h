/* sha256: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), plus a constant-time comparison.
 *
 * Why: webhooks sign their bodies (X-Vigil-Signature: sha256=<hex of HMAC(secret, body)>) and the
 * HTTP API compares bearer tokens without leaking where they differ. A few hundred lines of our
 * own beat linking a TLS library for two functions.
 * Invariants: the streaming context accepts any split of the input (results are identical to a
 * one-shot hash); nothing allocates; no secret-dependent branches in sha256_equal.
 * Not for: password storage (no key stretching) or anything needing a vetted crypto library.
 */
#ifndef VIGIL_SHA256_H
#define VIGIL_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64
#define SHA256_HEX_LEN 64

struct sha256_ctx {
    uint32_t h[8];
    uint64_t total_len; /* bytes hashed so far */
    uint8_t block[SHA256_BLOCK_LEN];
    size_t block_len; /* bytes waiting in block, < 64 */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; the context must be re-initialised before reuse. */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_LEN]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 uint8_t out[SHA256_DIGEST_LEN]);

/* Lowercase hex of a digest into out (65 bytes: 64 digits and a NUL). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1]);

/* Compare two byte strings in time that depends only on len. */
bool sha256_equal(const void *a, const void *b, size_t len);

#endif
