/* obj_set: the set value type (SADD, SISMEMBER, SPOP, SRANDMEMBER, SINTER, SSCAN ...).
 *
 * Encodings (the limits come from the caller, which owns the config, so CONFIG SET takes effect
 * on the next write; struct obj_set_limits):
 *   "intset"     every member is a canonical int64 and there are at most max_intset_entries
 *                (set-max-intset-entries, 512): sorted array, binary search
 * (store/data/obj_intset.h). listpack     at most max_listpack_entries members
 * (set-max-listpack-entries, 128) of at most max_listpack_value bytes (set-max-listpack-value, 64):
 * one packed buffer (store/data/obj_pack.h), linear search. Redis 7.0 (the differential tests'
 *                reference) has no listpack sets, so OBJECT ENCODING reports it "hashtable".
 *   "hashtable"  beyond: a dict (store/data/dict.h) of members, plus a dense array of the same
 * members so a random member is exactly uniform and SPOP is O(1). Conversions happen on insert and
 * only go towards "hashtable", as in Redis 7.0: an intset converts when an insert makes it hold
 * more than max_intset_entries members or brings a non-integer; a listpack when an insert breaks
 * its limits. Lowering a limit converts nothing until the next insert. The one way back is
 * obj_set_reencode (SPOP's rebuild, as Redis 7.0).
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
#include "store/data/keyspace.h"
#include "store/data/obj_pack.h"

struct obj_set;
struct intset;

/* The encoding limits, from the server config (set-max-intset-entries, set-max-listpack-entries,
 * set-max-listpack-value). Any value is valid: 0 means "never this encoding". */
struct obj_set_limits {
    size_t max_intset_entries;
    size_t max_listpack_entries;
    size_t max_listpack_value; /* bytes */
};
#define OBJ_SET_LIMITS_DEFAULT ((struct obj_set_limits){512, 128, 64})

/* For ks_add_obj(ks, key, klen, &obj_set_ops, set). */
extern const struct ks_obj_ops obj_set_ops;

/* An empty "intset" set (what SINTERSTORE/SUNIONSTORE/SDIFFSTORE start from). */
struct obj_set *obj_set_create(void);
/* A new set about to receive `size_hint` members starting with `first`: intset if first is an
 * integer and size_hint <= max_intset_entries, else listpack if size_hint fits its entry limit,
 * else hashtable. Redis 7.0 decides SADD's and SMOVE's new key from the first member alone
 * (size_hint 1); its RDB loader from the announced count. */
struct obj_set *obj_set_create_for(const char *first, size_t len, size_t size_hint,
                                   const struct obj_set_limits *lim);
void obj_set_free(void *s);
void *obj_set_dup(const void *s);
const char *obj_set_encoding_name(const void *s);
size_t obj_set_mem_usage(const void *s);
size_t obj_set_card(const struct obj_set *s);
/* The intset of an "intset" set (DUMP writes it as it is, width included), else NULL. */
const struct intset *obj_set_intset(const struct obj_set *s);
/* Tests: true if the set is in the (unreported) listpack encoding. */
bool obj_set_is_listpack(const struct obj_set *s);

/* SADD/SREM one member: 1 if added/removed, 0 if it already was/was not there. */
int obj_set_add(struct obj_set *s, const char *member, size_t len,
                const struct obj_set_limits *lim);
int obj_set_remove(struct obj_set *s, const char *member, size_t len);
bool obj_set_ismember(struct obj_set *s, const char *member, size_t len);
/* The same with a member taken from another set (no re-parsing of integers). */
int obj_set_add_val(struct obj_set *s, const struct pack_val *v, const struct obj_set_limits *lim);
int obj_set_remove_val(struct obj_set *s, const struct pack_val *v);
bool obj_set_ismember_val(struct obj_set *s, const struct pack_val *v);

/* SRANDMEMBER without count: a uniformly random member; false if empty. */
bool obj_set_random(const struct obj_set *s, struct rng *r, struct pack_val *out);
/* SRANDMEMBER with positive count: min(count, card) distinct members into out[]; returns how
 * many. (A negative count is count independent obj_set_random calls.) */
size_t obj_set_random_distinct(const struct obj_set *s, struct rng *r, size_t count,
                               struct pack_val *out);
/* SPOP: remove a uniformly random member; its bytes replace out's contents. false if empty. */
bool obj_set_pop(struct obj_set *s, struct rng *r, struct buf *out);
/* Pick the encoding afresh, as if the set were built now by adding its members one by one
 * (intset if every member is an integer and they fit max_intset_entries, and so on). Redis 7.0
 * rebuilds the set this way when SPOP with a count leaves only a few members. */
void obj_set_reencode(struct obj_set *s, const struct obj_set_limits *lim);

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
 * (possibly empty) built as Redis 7.0's *STORE commands build them: an empty intset receiving
 * the members one by one under lim; the reply variants iterate them. */
/* SINTER: walks the smallest set, probing the others from smallest to largest. */
struct obj_set *obj_set_inter(struct obj_set *const *sets, size_t n,
                              const struct obj_set_limits *lim);
/* SINTERCARD: the intersection's size, stopping once it reaches limit (0 = no limit). */
size_t obj_set_inter_card(struct obj_set *const *sets, size_t n, size_t limit);
struct obj_set *obj_set_union(struct obj_set *const *sets, size_t n,
                              const struct obj_set_limits *lim);
/* SDIFF: members of sets[0] in none of the others. */
struct obj_set *obj_set_diff(struct obj_set *const *sets, size_t n,
                             const struct obj_set_limits *lim);

/* Shared with obj_zset: call emit with `count` distinct, uniformly random positions in
 * [0, card) (count < card): rejection sampling when count is small next to card, a partial
 * Fisher-Yates shuffle otherwise. */
void obj_sample_distinct(struct rng *r, size_t card, size_t count,
                         void (*emit)(void *ctx, size_t pos), void *ctx);

/* Tests: 0 if the invariants hold, else a negative code. The limits are not invariants: a value
 * built under larger limits keeps its encoding after CONFIG SET lowers them. */
int obj_set_check(struct obj_set *s);

#endif
