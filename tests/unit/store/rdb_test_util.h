/* Shared helpers of the RDB codec tests (rdb_test_util.c): the canonical text form of a decoded
 * key, a collector behind rdb_load's callbacks, fixtures, corruption helpers and the encoder's
 * model dataset. Used by test_rdb_read.c, test_rdb_write.c and test_rdb_redis.c only. */
#ifndef VIGIL_TEST_RDB_TEST_UTIL_H
#define VIGIL_TEST_RDB_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/rdb/rdb.h"

/* ---- canonical form: one text line per key, as rdb_fixtures.py writes them ---------------- */

/* "h:<hex>" for up to 64 bytes, else "c:<len>:<crc64>"; scores as "@<ieee754 bits>". */
void rdbt_canon(struct buf *b, const char *p, size_t n);
void rdbt_canon_score(struct buf *b, double score);

/* A growable list of owned strings. */
struct lines {
    char **v;
    size_t n, cap;
};

void lines_push(struct lines *l, const char *s); /* copies s */
void lines_sort(struct lines *l);
void lines_free(struct lines *l);
/* Sorts both, then compares key by key; on a difference shows where the two lines part ways. */
void lines_assert_eq(struct lines *got, struct lines *want);
/* One line per '\n'-separated line of text (text is modified). */
void lines_from_text(struct lines *l, char *text);

/* ---- a collector behind the decoder's callbacks ------------------------------------------- */

struct collect {
    struct lines keys;
    struct lines items; /* of the open collection */
    struct buf head;    /* "db type expire key" of the open collection */
    enum rdb_value_type type;
    struct lines aux;
    int db_selected, functions;
    size_t callbacks;
    int fail_after; /* abort at this callback number when > 0 */
};

extern const struct rdb_callbacks rdbt_collect_cb; /* ctx: struct collect */
/* Zeroes c and loads p[0..n) into it: rdb_load's result. Free c with rdbt_collect_free. */
int rdbt_collect_load(const void *p, size_t n, struct collect *c, char *err, size_t errcap);
void rdbt_collect_free(struct collect *c);

/* ---- fixtures and corruption -------------------------------------------------------------- */

/* tests/unit/store/fixtures/<name> (under $VIGIL_SRCDIR, else the current directory); caller
 * frees. */
char *rdbt_read_fixture(const char *name, size_t *len);

/* Light callbacks: count deliveries in rdbt_deliveries (nothing may arrive before the checksum
 * matched) and touch every delivered byte, so ASan sees any bad pointer. ctx unused. */
extern const struct rdb_callbacks rdbt_touch_cb;
extern size_t rdbt_deliveries;

/* Mutate bytes (every stride-th) and recompute the checksum: the decoder must fail cleanly or
 * succeed, never crash or read out of bounds (ASan). rdb is restored afterwards but for its
 * trailer. */
void rdbt_fuzz_under_valid_crc(char *rdb, size_t len, size_t stride);

/* ---- the encoder's side ------------------------------------------------------------------- */

/* rdb_writer sink appending to the struct buf in ctx. */
int rdbt_sink_buf(void *ctx, const void *p, size_t n);

/* A model dataset covering every type, TTLs, empty and binary values, large values: written
 * through w, with the canonical lines the decoder must give back in want. */
struct model {
    struct rdb_writer w;
    struct lines want;
    struct buf line;
};

/* A new model whose whole snapshot (header to EOF) has been written to sink(ctx); big is the
 * size of the large values. Free it with rdbt_model_free. */
struct model *rdbt_model_write(rdb_sink_fn sink, void *ctx, size_t big);
/* Frees m->want, m->line and m. */
void rdbt_model_free(struct model *m);

#endif
