/* obj_list: the list value type (LPUSH, RPOP, LRANGE, LINSERT, LPOS ...), a quicklist: a doubly
 * linked list of packed nodes (store/data/obj_pack.h).
 *
 * Node size: list-max-listpack-size (struct obj_list_limits, given at creation and kept by the
 * list, as Redis 7.0 sets a quicklist's fill when it creates the list: CONFIG SET applies to
 * lists created afterwards). Negative -1..-5: a node holds at most 4, 8, 16, 32 or 64 KB of
 * packed entries (-2, 8 KB, is the default); positive n: at most n entries and at most
 * OBJ_LIST_NODE_BYTES bytes (Redis's safety cap); 0: one entry per node. A node may exceed the
 * byte limit only when it holds a single element.
 *
 * OBJECT ENCODING reports "quicklist" for every list, as Redis 7.0 does. The list also tracks
 * Redis 7.2's rule under its own node limit, so switching names is a one-line change:
 *   listpack     the whole list fits in one node;
 *   quicklist    it needed a second node (or one oversized element). It goes back to
 *                listpack only when it shrinks to one node of at most half the limit, so a
 *                list hovering at the limit does not flip on every push and pop.
 *
 * Elements are binary-safe byte strings; canonical int64 decimal strings are stored as integers
 * (about 10 bytes instead of 18 for a 16-digit number). Reads hand out a struct pack_val: bytes
 * (s != NULL) or an integer (s == NULL) that pack_val_str() formats; borrowed, valid until the
 * list is modified. Pops copy the element out because it no longer exists afterwards.
 *
 * Invariants: no node is empty; node counts sum to len; a node exceeds the byte limit only if it
 * holds a single element. Complexity: push/pop O(1) (plus at most 8 KB of memmove), index/set
 * O(N / entries-per-node + 8 KB), insert/remove/pos O(N).
 * Ownership: obj_list_create's result is the caller's (usually handed to ks_add_obj).
 * Empty lists: the command deletes the key when obj_list_len() reaches 0.
 */
#ifndef VIGIL_OBJ_LIST_H
#define VIGIL_OBJ_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "store/data/keyspace.h"
#include "store/data/obj_pack.h"

/* The byte cap of a node when list-max-listpack-size is a positive entry count. */
#define OBJ_LIST_NODE_BYTES 8192u
/* list-max-listpack-size values beyond these are clamped (as Redis clamps a quicklist's fill). */
#define OBJ_LIST_FILL_MIN (-5)
#define OBJ_LIST_FILL_MAX 32767

struct obj_list_limits {
    long long max_listpack_size; /* list-max-listpack-size */
};
#define OBJ_LIST_LIMITS_DEFAULT ((struct obj_list_limits){-2})

enum obj_list_end { OBJ_LIST_HEAD = 0, OBJ_LIST_TAIL = 1 };

struct obj_list;
struct obj_list_node;

/* For ks_add_obj(ks, key, klen, &obj_list_ops, obj_list_create(&lim)). */
extern const struct ks_obj_ops obj_list_ops;

/* An empty list whose nodes follow lim for its whole life (a copy keeps them too). */
struct obj_list *obj_list_create(const struct obj_list_limits *lim);
void obj_list_free(void *l);
void *obj_list_dup(const void *l);
const char *obj_list_encoding_name(const void *l);
size_t obj_list_mem_usage(const void *l);
size_t obj_list_len(const struct obj_list *l);

/* LPUSH/RPUSH one element (the caller loops for several, as Redis does, left to right). */
void obj_list_push(struct obj_list *l, enum obj_list_end end, const char *s, size_t len);
/* LPOP/RPOP: false if empty; otherwise the element's bytes replace out's contents. */
bool obj_list_pop(struct obj_list *l, enum obj_list_end end, struct buf *out);

/* LINDEX: index from the head, negative from the tail (-1 is the last). false if out of range. */
bool obj_list_index(const struct obj_list *l, long long index, struct pack_val *out);
/* LSET: 0, or -1 if the index is out of range ("ERR index out of range"). */
int obj_list_set(struct obj_list *l, long long index, const char *s, size_t len);
/* LINSERT: 1 if inserted, 0 if the pivot was not found (the command replies -1). */
int obj_list_insert(struct obj_list *l, bool after, const char *pivot, size_t pivot_len,
                    const char *s, size_t len);
/* LREM: count > 0 removes up to count matches from the head, < 0 from the tail, 0 all of them.
 * Returns how many were removed. */
size_t obj_list_remove(struct obj_list *l, long long count, const char *s, size_t len);
/* LTRIM with Redis's index rules (negative from the tail, out-of-range clamps, start > stop
 * empties the list). */
void obj_list_trim(struct obj_list *l, long long start, long long stop);

/* LPOS: calls fn with the head-based index of each match. rank (never 0): start at the rank-th
 * match, negative searches from the tail. count: stop after that many matches (0 = all).
 * maxlen: compare at most that many elements (0 = all). Returns the number of matches reported. */
typedef void (*obj_list_pos_fn)(void *ctx, long long index);
size_t obj_list_pos(const struct obj_list *l, const char *s, size_t len, long long rank,
                    size_t count, size_t maxlen, obj_list_pos_fn fn, void *ctx);

/* Read-only iteration (LRANGE). The list must not change while an iterator is in use. */
struct obj_list_iter {
    const struct obj_list_node *node;
    uint32_t off;
    bool reverse;
    size_t remaining;
};
/* Start at head-based index `start` (must be < len) walking toward the tail (or the head if
 * reverse), for at most `count` elements. */
void obj_list_iter_init(struct obj_list_iter *it, const struct obj_list *l, size_t start,
                        bool reverse, size_t count);
/* LRANGE start stop with Redis's index rules; returns the number of elements it will yield. */
size_t obj_list_iter_init_range(struct obj_list_iter *it, const struct obj_list *l, long long start,
                                long long stop);
bool obj_list_iter_next(struct obj_list_iter *it, struct pack_val *out);

/* Tests and debugging: 0 if every invariant above holds, else a negative code. */
int obj_list_check(const struct obj_list *l);
size_t obj_list_node_count(const struct obj_list *l);

#endif
