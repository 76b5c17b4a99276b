/* digest: a fingerprint of the dataset for DEBUG DIGEST and DEBUG DIGEST-VALUE, so tests can
 * tell whether two servers (or one server before and after a restart) hold the same data.
 *
 * It is our own (docs/persistence.md#loading-at-start), not Redis's: 20 bytes shown as 40 hex
 * digits, all zeros for an empty dataset or a missing key. It covers every key's database,
 * name, type, value and absolute expiry (ms), and nothing else: not the encoding (a listpack
 * and a hashtable holding the same hash digest alike), not the insertion order of keys, set
 * members, hash fields or sorted set members (order-free parts are combined with XOR of each
 * element's hash); a list's order is part of its value.
 *
 * Pure: reads the keyspace, never changes it (no lazy expiry). */
#ifndef VIGIL_DIGEST_H
#define VIGIL_DIGEST_H

#include <stdint.h>

#define DIGEST_LEN 20
#define DIGEST_HEX_LEN 40

struct ks;
struct ks_entry;

/* One key: its name, type, value and expiry (db not included). */
void digest_entry(const struct ks_entry *e, uint8_t out[DIGEST_LEN]);
/* Every key of dbs[0..ndb), each mixed with its database number. */
void digest_dataset(struct ks *const *dbs, int ndb, uint8_t out[DIGEST_LEN]);
/* 40 lowercase hex digits and a NUL. */
void digest_hex(const uint8_t d[DIGEST_LEN], char out[DIGEST_HEX_LEN + 1]);

#endif
