/* obj_zset: the sorted-set value type (ZADD, ZRANGE, ZRANK, ZPOPMIN, ZUNIONSTORE ...).
 *
 * Encodings (Redis 7's, reported by OBJECT ENCODING), with limits passed in by the caller, which
 * owns the config, so CONFIG SET takes effect on the next write (struct obj_zset_limits):
 *   "listpack"  at most max_listpack_entries members (zset-max-listpack-entries, 128) of at most
 *               max_listpack_value bytes (zset-max-listpack-value, 64): member, score pairs
 *               packed in (score, member) order in one buffer (store/data/obj_pack.h); every
 *               operation is a linear walk (of <= 256 entries with the defaults).
 *   "skiplist"  beyond: a skip list with spans (store/data/skiplist.h) for order and rank, plus a
 *               dict (store/data/dict.h) from member to the same node for O(1) score lookups.
 *               Insert, delete, score update and rank are O(log N); ranges O(log N + M).
 * A listpack converts when an insert would break a limit (lowering a limit converts nothing
 * until the next insert); the reverse happens only on request (obj_zset_convert_if_small, for
 * the *STORE commands and the RDB loader, as Redis 7.0 does).
 *
 * Order: by score, then by member bytes (memcmp, a proper prefix first). Scores are doubles and
 * never NaN: a NaN score is rejected by the parsers, and an increment that yields NaN
 * (inf + -inf) fails with OBJ_ZSET_ERR_NAN and changes nothing.
 * Members handed out (const char *, len) are borrowed: valid until the set is modified.
 * Randomness comes from the caller's rng. No I/O, no time, no globals.
 * Ownership: *_create results belong to the caller. Empty sets: the command deletes the key.
 */
#ifndef VIGIL_OBJ_ZSET_H
#define VIGIL_OBJ_ZSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rng.h"
#include "store/data/keyspace.h"
#include "store/data/skiplist.h"

/* The encoding limits, from the server config (zset-max-listpack-entries,
 * zset-max-listpack-value). Any value is valid: 0 entries means "always a skip list". */
struct obj_zset_limits {
    size_t max_listpack_entries;
    size_t max_listpack_value; /* bytes */
};
#define OBJ_ZSET_LIMITS_DEFAULT ((struct obj_zset_limits){128, 64})

/* Error: the operation would have produced a NaN score. */
#define OBJ_ZSET_ERR_NAN (-1)
#define OBJ_ZSET_ERR_NAN_MSG "ERR resulting score is not a number (NaN)"
/* Errors of the range parsers. */
#define OBJ_ZSET_ERR_RANGE (-2)
#define OBJ_ZSET_ERR_SCORE_RANGE_MSG "ERR min or max is not a float"
#define OBJ_ZSET_ERR_LEX_RANGE_MSG "ERR min or max not valid string range item"

/* ZADD input flags. The command rejects the invalid combinations (NX with XX, GT or LT; GT with
 * LT; INCR with more than one pair) before calling. */
enum {
    OBJ_ZADD_NX = 1 << 0,   /* only add new members */
    OBJ_ZADD_XX = 1 << 1,   /* only update existing members */
    OBJ_ZADD_GT = 1 << 2,   /* update only if the new score is greater */
    OBJ_ZADD_LT = 1 << 3,   /* update only if the new score is less */
    OBJ_ZADD_INCR = 1 << 4, /* score is an increment */
};
/* ZADD output flags (CH counts ADDED + UPDATED; INCR replies nil on NOP). */
enum {
    OBJ_ZADD_ADDED = 1 << 0,
    OBJ_ZADD_UPDATED = 1 << 1,
    OBJ_ZADD_NOP = 1 << 2, /* a flag (NX/XX/GT/LT) prevented the operation */
};

enum obj_zset_agg { OBJ_ZSET_AGG_SUM, OBJ_ZSET_AGG_MIN, OBJ_ZSET_AGG_MAX };

struct obj_zset;

/* For ks_add_obj(ks, key, klen, &obj_zset_ops, z). */
extern const struct ks_obj_ops obj_zset_ops;

/* An empty "listpack" sorted set. */
struct obj_zset *obj_zset_create(void);
/* The encoding Redis picks for a new key receiving `size_hint` members whose longest is
 * `max_member_len` bytes: listpack if both fit lim (ZADD passes 1 and its first member's
 * length, as Redis 7.0 decides from the first member alone). */
struct obj_zset *obj_zset_create_hint(size_t size_hint, size_t max_member_len,
                                      const struct obj_zset_limits *lim);
void obj_zset_free(void *z);
void *obj_zset_dup(const void *z);
const char *obj_zset_encoding_name(const void *z);
size_t obj_zset_mem_usage(const void *z);
size_t obj_zset_card(const struct obj_zset *z);
/* Would z stay a listpack if a new member of `len` bytes were inserted under lim? (false for a
 * skip list) */
bool obj_zset_listpack_fits(const struct obj_zset *z, size_t len,
                            const struct obj_zset_limits *lim);

/* ZADD / ZINCRBY for one member. Returns 0 (with *out_flags and *newscore, the member's score
 * afterwards, valid unless NOP) or OBJ_ZSET_ERR_NAN. score must not be NaN. */
int obj_zset_add(struct obj_zset *z, double score, const char *member, size_t len, int in_flags,
                 int *out_flags, double *newscore, const struct obj_zset_limits *lim);
/* ZINCRBY: add delta to the member's score (0 if absent). 0 or OBJ_ZSET_ERR_NAN. */
int obj_zset_incrby(struct obj_zset *z, const char *member, size_t len, double delta,
                    double *newscore, const struct obj_zset_limits *lim);
/* ZUNIONSTORE/ZINTERSTORE accumulation: add the member with `score`, or combine with its
 * current score (SUM turns a NaN from inf + -inf into 0, as Redis does). The command applies
 * WEIGHTS first (weight * score, NaN -> 0). */
void obj_zset_aggregate(struct obj_zset *z, const char *member, size_t len, double score,
                        enum obj_zset_agg agg, const struct obj_zset_limits *lim);
/* After building a *STORE result (or loading a snapshot's plain sorted set): go back to
 * "listpack" if the set fits lim (entries and the longest member). */
void obj_zset_convert_if_small(struct obj_zset *z, const struct obj_zset_limits *lim);

/* ZSCORE: true and *score if present. */
bool obj_zset_score(struct obj_zset *z, const char *member, size_t len, double *score);
/* ZRANK/ZREVRANK: 0-based rank (from the highest score if reverse) and the score. */
bool obj_zset_rank(struct obj_zset *z, const char *member, size_t len, bool reverse, size_t *rank,
                   double *score);
/* ZREM one member: true if it was there. */
bool obj_zset_delete(struct obj_zset *z, const char *member, size_t len);

/* Range parsing with Redis's syntax. Score: "1.5", "(1.5" exclusive, "-inf", "+inf", "inf".
 * Lex: "[a" inclusive, "(a" exclusive, "-" and "+" the infinities; the range borrows the
 * argument bytes. 0, or OBJ_ZSET_ERR_RANGE (reply with the matching *_MSG). */
int obj_zset_parse_score_range(const char *min, size_t minlen, const char *max, size_t maxlen,
                               struct zrange_score *out);
int obj_zset_parse_lex_range(const char *min, size_t minlen, const char *max, size_t maxlen,
                             struct zrange_lex *out);

/* ZCOUNT / ZLEXCOUNT. */
size_t obj_zset_count_score(struct obj_zset *z, const struct zrange_score *r);
size_t obj_zset_count_lex(struct obj_zset *z, const struct zrange_lex *r);
/* ZREMRANGEBYRANK (Redis index rules, negative from the end) / BYSCORE / BYLEX: count removed. */
size_t obj_zset_delete_rank(struct obj_zset *z, long long start, long long stop);
size_t obj_zset_delete_score(struct obj_zset *z, const struct zrange_score *r);
size_t obj_zset_delete_lex(struct obj_zset *z, const struct zrange_lex *r);

/* ZPOPMIN/ZPOPMAX one member: false if empty; the member's bytes replace `member`. */
bool obj_zset_pop(struct obj_zset *z, bool max, struct buf *member, double *score);

/* One member as handed out by iteration and sampling (borrowed). */
struct obj_zset_entry {
    const char *member;
    size_t len;
    double score;
};

/* Range iteration (ZRANGE and friends). The set must not change while iterating; a lex range's
 * bytes must stay valid. reverse walks from the highest score down (ZREVRANGE*); for score and
 * lex ranges it starts at the range's top. offset skips that many members (LIMIT offset) in
 * O(log N); the command stops after LIMIT count itself. */
struct obj_zset_iter {
    const struct obj_zset *z;
    bool reverse;
    int kind;         /* 0 rank, 1 score, 2 lex */
    size_t remaining; /* members left for rank ranges; SIZE_MAX for score/lex ranges */
    struct zrange_score score;
    struct zrange_lex lex;
    uint32_t off;               /* listpack: offset of the next member, 0 when done */
    const struct sl_node *node; /* skiplist: next node, NULL when done */
};
/* ZRANGE start stop [REV]: indexes as LRANGE (negative from the end, clamped). Returns the
 * number of members the iterator will yield. */
size_t obj_zset_iter_rank(struct obj_zset_iter *it, const struct obj_zset *z, long long start,
                          long long stop, bool reverse);
void obj_zset_iter_score(struct obj_zset_iter *it, const struct obj_zset *z,
                         const struct zrange_score *r, bool reverse, size_t offset);
void obj_zset_iter_lex(struct obj_zset_iter *it, const struct obj_zset *z,
                       const struct zrange_lex *r, bool reverse, size_t offset);
bool obj_zset_iter_next(struct obj_zset_iter *it, struct obj_zset_entry *out);

/* ZRANDMEMBER: one uniformly random member (false if empty); with a positive count,
 * min(count, card) distinct members into out[] (a negative count is count calls of the first). */
bool obj_zset_random(const struct obj_zset *z, struct rng *r, struct obj_zset_entry *out);
size_t obj_zset_random_distinct(const struct obj_zset *z, struct rng *r, size_t count,
                                struct obj_zset_entry *out);

/* ZSCAN: a listpack reports everything in one call and returns 0; a skiplist walks its dict
 * buckets from cursor until about `count` members were reported (dict_scan's guarantee). */
typedef void (*obj_zset_member_fn)(void *ctx, const char *member, size_t len, double score);
uint64_t obj_zset_scan(struct obj_zset *z, uint64_t cursor, size_t count, obj_zset_member_fn fn,
                       void *ctx);

/* A score as Redis replies it: "inf", "-inf", otherwise %.17g. cap >= 32. */
size_t obj_zset_format_score(double score, char *buf, size_t cap);

/* Tests: 0 if every invariant holds (skip list, dict agreement, listpack order), else < 0. The
 * limits are not invariants: a value keeps its encoding after CONFIG SET lowers them. */
int obj_zset_check(struct obj_zset *z);

#endif
