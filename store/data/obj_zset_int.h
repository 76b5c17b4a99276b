/* obj_zset_int: the representation of a sorted set, shared by obj_zset.c (point operations)
 * and obj_zset_range.c (range operations). INTERNAL: nothing outside those two files includes it.
 *
 * Listpack encoding: (member, score) pairs, the member as a string entry (never integer-encoded,
 * so members are handed out as plain bytes) followed by a double entry, in (score, member) order.
 * zlp_ helpers take the offset of a pair's member entry; 0 means "no pair".
 */
#ifndef VIGIL_OBJ_ZSET_INT_H
#define VIGIL_OBJ_ZSET_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/data/dict.h"
#include "store/data/obj_pack.h"
#include "store/data/skiplist.h"

#define ZSL_SEED 0x5DEECE66DULL

enum zenc { ZENC_LISTPACK, ZENC_SKIPLIST };

struct zsl {
    struct skiplist sl;
    struct dict d; /* member -> the skip list node itself (intrusive) */
};

struct obj_zset {
    enum zenc enc;
    union {
        struct pack pk;
        struct zsl *zs;
    } u;
};

void zlp_member(const struct pack *pk, uint32_t off, const char **m, size_t *len);
double zlp_score(const struct pack *pk, uint32_t off);
uint32_t zlp_next(const struct pack *pk, uint32_t off); /* 0 after the last pair */
uint32_t zlp_prev(const struct pack *pk, uint32_t off); /* 0 before the first pair */
uint32_t zlp_first(const struct pack *pk);
uint32_t zlp_last(const struct pack *pk);
uint32_t zlp_at(const struct pack *pk, size_t idx);
/* skiplist range-deletion callback (ctx = struct zsl *): drops the node from the dict, frees it. */
void zsl_on_delete(void *ctx, struct sl_node *n);

#endif
