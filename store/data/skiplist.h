/* skiplist: the ordered index of a large sorted set, a skip list (Pugh 1990) ordered by
 * (score, member bytes) whose links carry SPANS, the number of level-0 steps each link jumps, so
 * the rank of an element and the element at a rank are found in O(log N) like any lookup.
 *
 *   level 2: H ---------------------------> C -------------> NULL     span H->C = 4
 *   level 1: H ----------> A -------------> C ------> D ---> NULL
 *   level 0: H -> X -----> A ------> B ---> C ------> D ---> NULL     rank X=1 A=2 B=3 C=4 D=5
 *                 <------- backward links on level 0 only -------
 *
 * Why spans: ZRANK, ZRANGE by index, offsets in ZRANGEBYSCORE ... LIMIT and ZCOUNT become
 * O(log N) instead of O(N) walks.
 *
 * Invariants (skiplist_check verifies them all):
 *   - level 0 is strictly increasing by (score, then memcmp of member, shorter first);
 *   - for every node x (and the header, rank 0) and level i < sl->level: x.span[i] =
 *     rank(x.forward[i]) - rank(x); when the forward link is NULL the span is the number of
 *     nodes after x (length - rank(x)), which keeps insertion's arithmetic uniform;
 *   - level i links exactly the nodes of height > i, in level-0 order;
 *   - every node's height <= sl->level <= SKIPLIST_MAX_LEVEL; the header has no element;
 *   - backward links mirror level 0; tail is the last node; length counts the nodes.
 * Node heights come from a per-list xorshift state (deterministic, no globals, no rand()).
 *
 * Nodes start with a struct dict_entry so the owning sorted set can index the same allocation by
 * member in a dict (store/data/dict.h); the skip list never touches that link.
 * Must not: do I/O, or compare scores that are NaN (the sorted set rejects NaN first).
 */
#ifndef VIGIL_SKIPLIST_H
#define VIGIL_SKIPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/data/dict.h"

#define SKIPLIST_MAX_LEVEL 32

struct sl_node;

struct sl_level {
    struct sl_node *forward;
    size_t span;
};

struct sl_node {
    struct dict_entry link; /* owner's index; first member */
    double score;
    struct sl_node *backward;
    uint32_t len;
    uint8_t height;
    struct sl_level lv[]; /* height levels, then the member bytes */
};

static inline const char *sl_node_member(const struct sl_node *n)
{
    return (const char *)&n->lv[n->height];
}

struct skiplist {
    struct sl_node *header;
    struct sl_node *tail;
    size_t length;
    int level;
    uint64_t rng_state;
};

/* Score interval; min/max may be +-inf. */
struct zrange_score {
    double min, max;
    bool minex, maxex; /* exclusive bounds */
};

/* Lexicographic interval over member bytes. */
enum zlex_bound { ZLEX_INCL, ZLEX_EXCL, ZLEX_NEG_INF, ZLEX_POS_INF };
struct zrange_lex {
    const char *min, *max; /* borrowed; valid while the range is in use */
    size_t minlen, maxlen;
    enum zlex_bound min_kind, max_kind;
};

bool zrange_score_gte_min(double v, const struct zrange_score *r);
bool zrange_score_lte_max(double v, const struct zrange_score *r);
bool zrange_score_is_empty(const struct zrange_score *r);
bool zrange_lex_gte_min(const char *s, size_t len, const struct zrange_lex *r);
bool zrange_lex_lte_max(const char *s, size_t len, const struct zrange_lex *r);
bool zrange_lex_is_empty(const struct zrange_lex *r);
/* memcmp order, a proper prefix first. */
int zmember_cmp(const char *a, size_t alen, const char *b, size_t blen);

void skiplist_init(struct skiplist *sl, uint64_t seed);
/* Free every node (after calling on_free, which may be NULL) and the header. */
void skiplist_destroy(struct skiplist *sl, void (*on_free)(void *ctx, struct sl_node *n),
                      void *ctx);

/* Insert an element that is not present; returns its node. */
struct sl_node *skiplist_insert(struct skiplist *sl, double score, const char *member, size_t len);
/* Unlink the node holding (score, m) and return it (the caller frees it with free()), or NULL. */
struct sl_node *skiplist_unlink(struct skiplist *sl, double score, const char *member, size_t len);
/* Change a node's score, moving it only if its neighbours no longer bracket it. The node stays
 * the same allocation (owners' pointers to it remain valid). */
void skiplist_update_score(struct skiplist *sl, struct sl_node *n, double score);

/* 1-based rank of (score, m), 0 if absent. */
size_t skiplist_rank(const struct skiplist *sl, double score, const char *member, size_t len);
/* The node at 1-based rank, NULL if out of range. */
struct sl_node *skiplist_at_rank(const struct skiplist *sl, size_t rank);

/* First / last node inside the range, NULL if none. */
struct sl_node *skiplist_first_in_score(const struct skiplist *sl, const struct zrange_score *r);
struct sl_node *skiplist_last_in_score(const struct skiplist *sl, const struct zrange_score *r);
struct sl_node *skiplist_first_in_lex(const struct skiplist *sl, const struct zrange_lex *r);
struct sl_node *skiplist_last_in_lex(const struct skiplist *sl, const struct zrange_lex *r);

/* Range deletions: on_delete gets each unlinked node and must free it. Return the count. */
typedef void (*skiplist_node_fn)(void *ctx, struct sl_node *n);
size_t skiplist_delete_score(struct skiplist *sl, const struct zrange_score *r,
                             skiplist_node_fn on_delete, void *ctx);
size_t skiplist_delete_lex(struct skiplist *sl, const struct zrange_lex *r,
                           skiplist_node_fn on_delete, void *ctx);
/* 1-based inclusive ranks, start <= end. */
size_t skiplist_delete_rank(struct skiplist *sl, size_t start, size_t end,
                            skiplist_node_fn on_delete, void *ctx);

/* 0 if every invariant above holds, else a negative code naming the first broken one. */
int skiplist_check(const struct skiplist *sl);

#endif
