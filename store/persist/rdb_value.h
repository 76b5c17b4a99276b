/* rdb_value: one key's value in the form of a DUMP payload (RDB value + version + CRC64), the
 * format Redis 7.0's DUMP, RESTORE and MIGRATE exchange (docs/persistence.md#dump-payloads).
 *
 *   rdb_value_dump     the payload of a live entry, in the encodings redis-server would write
 *                      for it (listpack hashes and sorted sets, intsets, quicklist-2 lists), so
 *                      the bytes equal Redis's wherever the element order is Redis's too.
 *   rdb_value_check    the payload's footer: version <= 10 and the CRC64 over the rest.
 *   rdb_value_restore  decode a checked payload into a detached value, under the server's
 *                      encoding limits (rdb_dataset.c's loader, one key long).
 *
 * Main thread only (reads the server's config). Ownership: the caller owns what comes out. */
#ifndef VIGIL_RDB_VALUE_H
#define VIGIL_RDB_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "store/data/keyspace.h"

struct server;
struct rdb_writer;

#define RDB_VALUE_FOOTER_BYTES 10 /* 2-byte version, 8-byte CRC64, both little-endian */

/* Append e's payload to out. */
void rdb_value_dump(const struct server *srv, const struct ks_entry *e, struct buf *out);
/* True when the footer is valid (Redis's verifyDumpPayload). */
bool rdb_value_check(const void *p, size_t n);

/* A decoded value: a string (str/slen) or an object (ops/obj). */
struct rdb_value {
    bool is_string;
    char *str;
    size_t slen;
    const struct ks_obj_ops *ops;
    void *obj;
};
/* Decode a payload that passed rdb_value_check. 0, or -1 ("Bad data format"; *v untouched). */
int rdb_value_restore(const struct server *srv, const void *p, size_t n, struct rdb_value *v);
/* Store v under key in ks (replacing nothing: the key must be absent); consumes v. */
struct ks_entry *rdb_value_add(struct ks *ks, const char *key, size_t klen, struct rdb_value *v);
void rdb_value_free(struct rdb_value *v);

/* The compact forms of rdb_value_dump, for any writer: writes e's value and returns 0 (or the
 * writer's error) when e has a compact encoding, 1 when it has none (the caller writes the
 * plain form). list_fill: list-max-listpack-size, for the quicklist's node boundaries. */
int rdb_value_write_compact(struct rdb_writer *w, const struct ks_entry *e, long long list_fill);

#endif
