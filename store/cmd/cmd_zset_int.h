/* cmd_zset_int: what the three files of the sorted-set command family share (INTERNAL: only
 * cmd_zset.c, cmd_zset_range.c and cmd_zset_store.c include it).
 *
 *   cmd_zset.c        point commands, pops (blocking too), ZRANDMEMBER, ZSCAN, and the table;
 *                     zset_get and the reply helpers
 *   cmd_zset_range.c  ZRANGE and every ranged read (ZREVRANGE, ZRANGEBYSCORE, ...), ZRANGESTORE;
 *                     zset_parse_score_range
 *   cmd_zset_store.c  ZUNION/ZINTER/ZDIFF, their STORE forms, ZINTERCARD; zset_store_result and
 *                     the listpack -0 rule (zset_store_score, zset_fix_negative_zero)
 */
#ifndef VIGIL_CMD_ZSET_INT_H
#define VIGIL_CMD_ZSET_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "store/data/obj_zset.h"
#include "store/server.h"

/* The encoding limits configured now (CONFIG SET applies to the next write). */
struct obj_zset_limits zset_limits(const struct client *c);

/* The sorted set at key. NULL when absent (nothing replied) or of another type (*err set,
 * WRONGTYPE replied). */
struct obj_zset *zset_get(struct client *c, const struct resp_arg *key, bool write, bool *err);

/* One member of a WITHSCORES reply: RESP3 nests [member, score] pairs, RESP2 is flat. */
void zset_reply_entry(struct client *c, const char *m, size_t len, double score, bool withscores);
/* The header of a reply of n members: RESP2 with scores counts 2n elements. */
void zset_reply_header(struct client *c, size_t n, bool withscores);
/* The element count to give a deferred header (same rule as zset_reply_header). */
size_t zset_reply_len(const struct client *c, size_t n, bool withscores);

/* Score ranges parsed as Redis 7.0 does (strtod: "(" alone is an exclusive 0, an empty bound is
 * 0, hexadecimal and huge values are accepted; NaN is not). -1 with the error replied. */
int zset_parse_score_range(struct client *c, const struct resp_arg *min, const struct resp_arg *max,
                           struct zrange_score *out);

/* The score to add for member m to z: Redis 7.0 keeps listpack scores as text (integral values
 * as integers), so a -0 stored in a set that is (and stays) a listpack reads back as 0. */
double zset_store_score(struct obj_zset *z, double score, const char *m, size_t len,
                        const struct obj_zset_limits *lim);
/* The same rule applied to a finished *STORE result that ended up a listpack. */
void zset_fix_negative_zero(struct obj_zset *z, const struct obj_zset_limits *lim);

/* Store result under dst, replacing any value and TTL (or delete dst when the result is empty),
 * and reply the cardinality. Takes ownership of result. */
void zset_store_result(struct client *c, const struct resp_arg *dst, struct obj_zset *result,
                       const char *event);

/* Handlers defined in cmd_zset_range.c and cmd_zset_store.c (the table is in cmd_zset.c). */
void cmd_zrange(struct client *c);
void cmd_zrangestore(struct client *c);
void cmd_zrevrange(struct client *c);
void cmd_zrangebyscore(struct client *c);
void cmd_zrevrangebyscore(struct client *c);
void cmd_zrangebylex(struct client *c);
void cmd_zrevrangebylex(struct client *c);
void cmd_zunion(struct client *c);
void cmd_zinter(struct client *c);
void cmd_zdiff(struct client *c);
void cmd_zunionstore(struct client *c);
void cmd_zinterstore(struct client *c);
void cmd_zdiffstore(struct client *c);
void cmd_zintercard(struct client *c);

#endif
