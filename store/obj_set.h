/* obj_set: the set value type (SADD, SISMEMBER, SPOP, SRANDMEMBER, SINTER, SSCAN ...).
 *
 * Encodings (Redis 7.2's, reported by OBJECT ENCODING):
 *   "intset"     every member is a canonical int64 and there are at most 512
 *                (set-max-intset-entries): sorted array, binary search (store/obj_intset.h).
 *   "listpack"   at most 128 members (set-max-listpack-entries) of at most 64 bytes
 *                (set-max-listpack-value): one packed buffer (store/obj_pack.h), linear search.
 *   "hashtable"  beyond: a dict (store/dict.h) of members, plus a dense array of the same members
 *                so a random member is exactly uniform and SPOP is O(1).
 * Conversions only go towards "hashtable" (as Redis): intset -> listpack when a non-integer
 * arrives and the result still fits the listpack limits, otherwise -> hashtable.
 *
 * Members handed out are struct pack_val views (bytes, or an integer when s == NULL; see
 * pack_val_str): borrowed, valid until the set is modified. SPOP copies out.
 * Invariants: no duplicate members; the dense array and the dict hold the same members and each
 * member records its index in the array. Randomness comes from the caller's rng (no globals).
 * Ownership: every *_create and algebra result belongs to the caller. Empty sets: the command
 * deletes the key (and does not store an empty result).
 */
#ifndef VIGIL_OBJ_SET_H
#define VIGIL_OBJ_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rng.h"
#include "store/keyspace.h"
#include "store/obj_pack.h"

#define OBJ_SET_MAX_INTSET_ENTRIES 512
#define OBJ_SET_MAX_LISTPACK_ENTRIES 128
#define OBJ_SET_MAX_LISTPACK_VALUE 64

struct obj_set;

/* For ks_add_obj(ks, key, klen, &obj_set_ops, set). */
extern const struct ks_obj_ops obj_set_ops;

/* An empty "intset" set (what SINTERSTORE/SUNIONSTORE/SDIFFSTORE start from). */
struct obj_set *obj_set_create(void);
/* SADD on a new key: the encoding Redis would pick for `size_hint` members starting with
 * `first` (intset if first is an integer and the hint fits, listpack if the hint fits). */
struct obj_set *obj_set_create_for(const char *first, size_t len, size_t size_hint);
void obj_set_free(void *s);
void *obj_set_dup(const void *s);
const char *obj_set_encoding_name(const void *s);
size_t obj_set_mem_usage(const void *s);
size_t obj_set_card(const struct obj_set *s);

/* SADD/SREM one member: 1 if added/removed, 0 if it already was/was not there. */
int obj_set_add(struct obj_set *s, const char *m, size_t len);
int obj_set_remove(struct obj_set *s, const char *m, size_t len);
bool obj_set_ismember(struct obj_set *s, const char *m, size_t len);
/* The same with a member taken from another set (no re-parsing of integers). */
int obj_set_add_val(struct obj_set *s, const struct pack_val *v);
bool obj_set_ismember_val(struct obj_set *s, const struct pack_val *v);

/* SRANDMEMBER without count: a uniformly random member; false if empty. */
bool obj_set_random(const struct obj_set *s, struct rng *r, struct pack_val *out);
/* SRANDMEMBER with positive count: min(count, card) distinct members into out[]; returns how
 * many. (A negative count is count independent obj_set_random calls.) */
size_t obj_set_random_distinct(const struct obj_set *s, struct rng *r, size_t count,
                               struct pack_val *out);
/* SPOP: remove a uniformly random member; its bytes replace out's contents. false if empty. */
bool obj_set_pop(struct obj_set *s, struct rng *r, struct buf *out);

/* SMEMBERS and algebra: read-only iteration (the set must not change while iterating). */
struct obj_set_iter {
    const struct obj_set *s;
    size_t i;
    uint32_t off;
};
void obj_set_iter_init(struct obj_set_iter *it, const struct obj_set *s);
bool obj_set_iter_next(struct obj_set_iter *it, struct pack_val *out);

/* SSCAN: intset and listpack report every member in one call and return 0; a hashtable walks
 * buckets from `cursor` until about `count` members were reported (at most 10 * count buckets)
 * with dict_scan's guarantee. fn must not modify the set. Returns the next cursor. */
typedef void (*obj_set_member_fn)(void *ctx, const struct pack_val *m);
uint64_t obj_set_scan(struct obj_set *s, uint64_t cursor, size_t count, obj_set_member_fn fn,
                      void *ctx);

/* Algebra over n sets; a NULL entry is a missing key (an empty set). Results are new sets
 * (possibly empty) built as the *STORE commands build them; the reply variants iterate them. */
/* SINTER: walks the smallest set, probing the others from smallest to largest. */
struct obj_set *obj_set_inter(struct obj_set *const *sets, size_t n);
/* SINTERCARD: the intersection's size, stopping once it reaches limit (0 = no limit). */
size_t obj_set_inter_card(struct obj_set *const *sets, size_t n, size_t limit);
struct obj_set *obj_set_union(struct obj_set *const *sets, size_t n);
/* SDIFF: members of sets[0] in none of the others. */
struct obj_set *obj_set_diff(struct obj_set *const *sets, size_t n);

/* Shared with obj_zset: call emit with `count` distinct, uniformly random positions in
 * [0, card) (count < card): rejection sampling when count is small next to card, a partial
 * Fisher-Yates shuffle otherwise. */
void obj_sample_distinct(struct rng *r, size_t card, size_t count,
                         void (*emit)(void *ctx, size_t pos), void *ctx);

/* Tests: 0 if the invariants hold, else a negative code. */
int obj_set_check(struct obj_set *s);

#endif
