/* rdb_listpack: build Redis 7.0 listpack and intset blobs, the compact value encodings that go
 * into DUMP payloads (and that redis-server writes for small hashes, sorted sets, list nodes
 * and integer sets). The in-memory packs of store/data are Vigil's own format; this is the
 * wire form, built only when a value leaves the process, byte for byte as Redis builds it so
 * that DUMP answers the same bytes (docs/persistence.md#dump-payloads).
 *
 * Entry encodings are the ones rdb_read.c documents. A string that is the canonical decimal
 * form of an int64 goes in as an integer, as Redis's listpack does. Pure: no I/O, no globals.
 * Ownership: the builder owns its buffer until rdb_lp_free. */
#ifndef VIGIL_RDB_LISTPACK_H
#define VIGIL_RDB_LISTPACK_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct rdb_lp {
    struct buf b; /* header room, entries; the end byte is added by rdb_lp_finish */
    uint32_t count;
};

void rdb_lp_init(struct rdb_lp *lp);
void rdb_lp_free(struct rdb_lp *lp);
/* Back to empty, keeping the buffer. */
void rdb_lp_reset(struct rdb_lp *lp);
void rdb_lp_append(struct rdb_lp *lp, const char *s, size_t n);
void rdb_lp_append_int(struct rdb_lp *lp, long long v);
/* A sorted-set score as Redis stores it next to the member: an integer when the double is
 * integral and small enough to print as one, else its "%.17g" text ("inf", "-inf"). */
void rdb_lp_append_score(struct rdb_lp *lp, double score);
/* The listpack's size once finished (header, entries, end byte). */
size_t rdb_lp_bytes(const struct rdb_lp *lp);
/* Write the header and the end byte; the blob is valid until the next append or reset. */
const char *rdb_lp_finish(struct rdb_lp *lp, size_t *n);

/* An intset blob (encoding width, length, values little-endian) of `n` sorted values at
 * `width` bytes each (2, 4 or 8), appended to out. */
void rdb_intset_build(struct buf *out, uint32_t width, const int64_t *values, size_t n);

#endif
