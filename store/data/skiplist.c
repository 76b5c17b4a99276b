/* skiplist: see skiplist.h. Every mutation follows the same two steps: a descent that records,
 * per level, the last node before the position (path[i]) and its rank (rank[i]); then a splice
 * that fixes forward links and spans on each level using those records. */
#include "store/data/skiplist.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* ---- ranges ------------------------------------------------------------------------------ */

int zmember_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = MIN(alen, blen);
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

bool zrange_score_gte_min(double v, const struct zrange_score *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

bool zrange_score_lte_max(double v, const struct zrange_score *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

bool zrange_score_is_empty(const struct zrange_score *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

bool zrange_lex_gte_min(const char *s, size_t len, const struct zrange_lex *r)
{
    switch (r->min_kind) {
    case ZLEX_NEG_INF:
        return true;
    case ZLEX_POS_INF:
        return false;
    case ZLEX_INCL:
        return zmember_cmp(s, len, r->min, r->minlen) >= 0;
    case ZLEX_EXCL:
        return zmember_cmp(s, len, r->min, r->minlen) > 0;
    }
    return false;
}

bool zrange_lex_lte_max(const char *s, size_t len, const struct zrange_lex *r)
{
    switch (r->max_kind) {
    case ZLEX_NEG_INF:
        return false;
    case ZLEX_POS_INF:
        return true;
    case ZLEX_INCL:
        return zmember_cmp(s, len, r->max, r->maxlen) <= 0;
    case ZLEX_EXCL:
        return zmember_cmp(s, len, r->max, r->maxlen) < 0;
    }
    return false;
}

bool zrange_lex_is_empty(const struct zrange_lex *r)
{
    if (r->min_kind == ZLEX_POS_INF || r->max_kind == ZLEX_NEG_INF) return true;
    if (r->min_kind == ZLEX_NEG_INF || r->max_kind == ZLEX_POS_INF) return false;
    int c = zmember_cmp(r->min, r->minlen, r->max, r->maxlen);
    return c > 0 || (c == 0 && (r->min_kind == ZLEX_EXCL || r->max_kind == ZLEX_EXCL));
}

/* ---- nodes ------------------------------------------------------------------------------- */

/* (node) < (score, member) in the list order. */
static bool node_lt(const struct sl_node *n, double score, const char *member, size_t len)
{
    return n->score < score ||
           (n->score == score && zmember_cmp(sl_node_member(n), n->len, member, len) < 0);
}

static bool node_is(const struct sl_node *n, double score, const char *member, size_t len)
{
    if (n->score != score || n->len != len) return false;
    return len == 0 || memcmp(sl_node_member(n), member, len) == 0;
}

static struct sl_node *node_new(int height, double score, const char *member, size_t len)
{
    ASSERT(len < UINT32_MAX);
    struct sl_node *n = xmalloc(sizeof *n + (size_t)height * sizeof(struct sl_level) + len);
    n->link.next = NULL;
    n->score = score;
    n->backward = NULL;
    n->len = (uint32_t)len;
    n->height = (uint8_t)height;
    memset(n->lv, 0, (size_t)height * sizeof(struct sl_level));
    if (len) memcpy((char *)sl_node_member(n), member, len);
    return n;
}

/* Each level above the first with probability 1/4 (xorshift64*). */
static int random_height(struct skiplist *sl)
{
    int h = 1;
    for (;;) {
        uint64_t x = sl->rng_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        sl->rng_state = x;
        uint64_t v = x * 0x2545F4914F6CDD1DULL;
        for (int bits = 0; bits < 64; bits += 2, v >>= 2) {
            if ((v & 3) != 0 || h == SKIPLIST_MAX_LEVEL) return h;
            h++;
        }
    }
}

void skiplist_init(struct skiplist *sl, uint64_t seed)
{
    sl->header = node_new(SKIPLIST_MAX_LEVEL, 0, NULL, 0);
    sl->tail = NULL;
    sl->length = 0;
    sl->level = 1;
    sl->rng_state = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

void skiplist_destroy(struct skiplist *sl, void (*on_free)(void *ctx, struct sl_node *n), void *ctx)
{
    struct sl_node *n = sl->header->lv[0].forward;
    while (n) {
        struct sl_node *next = n->lv[0].forward;
        if (on_free) on_free(ctx, n);
        free(n);
        n = next;
    }
    free(sl->header);
    memset(sl, 0, sizeof *sl);
}

/* ---- descent and splice ------------------------------------------------------------------ */

struct path {
    struct sl_node *at[SKIPLIST_MAX_LEVEL];
    size_t rank[SKIPLIST_MAX_LEVEL];
};

/* Record, per level, the last node before (score, member). */
static void descend(const struct skiplist *sl, double score, const char *member, size_t len,
                    struct path *p)
{
    struct sl_node *x = sl->header;
    size_t rank = 0;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->lv[i].forward && node_lt(x->lv[i].forward, score, member, len)) {
            rank += x->lv[i].span;
            x = x->lv[i].forward;
        }
        p->at[i] = x;
        p->rank[i] = rank;
    }
}

/* Link n right after p->at[] on each of its levels. */
static void splice_in(struct skiplist *sl, struct sl_node *n, struct path *p)
{
    int h = n->height;
    if (h > sl->level) {
        for (int i = sl->level; i < h; i++) {
            p->at[i] = sl->header;
            p->rank[i] = 0;
            sl->header->lv[i].span = sl->length;
        }
        sl->level = h;
    }
    for (int i = 0; i < h; i++) {
        struct sl_node *prev = p->at[i];
        size_t before = p->rank[0] - p->rank[i]; /* steps from prev to n's predecessor */
        n->lv[i].forward = prev->lv[i].forward;
        n->lv[i].span = prev->lv[i].span - before;
        prev->lv[i].forward = n;
        prev->lv[i].span = before + 1;
    }
    for (int i = h; i < sl->level; i++) p->at[i]->lv[i].span++;
    n->backward = p->at[0] == sl->header ? NULL : p->at[0];
    if (n->lv[0].forward)
        n->lv[0].forward->backward = n;
    else
        sl->tail = n;
    sl->length++;
}

/* Unlink n, whose predecessors on every level are p->at[]. */
static void splice_out(struct skiplist *sl, struct sl_node *n, struct path *p)
{
    for (int i = 0; i < sl->level; i++) {
        struct sl_node *prev = p->at[i];
        if (prev->lv[i].forward == n) {
            prev->lv[i].span += n->lv[i].span - 1;
            prev->lv[i].forward = n->lv[i].forward;
        } else {
            prev->lv[i].span--;
        }
    }
    if (n->lv[0].forward)
        n->lv[0].forward->backward = n->backward;
    else
        sl->tail = n->backward;
    while (sl->level > 1 && !sl->header->lv[sl->level - 1].forward) {
        sl->header->lv[sl->level - 1].span = 0;
        sl->level--;
    }
    sl->length--;
}

struct sl_node *skiplist_insert(struct skiplist *sl, double score, const char *member, size_t len)
{
    struct path p;
    descend(sl, score, member, len, &p);
    struct sl_node *n = node_new(random_height(sl), score, member, len);
    splice_in(sl, n, &p);
    return n;
}

struct sl_node *skiplist_unlink(struct skiplist *sl, double score, const char *member, size_t len)
{
    struct path p;
    descend(sl, score, member, len, &p);
    struct sl_node *n = p.at[0]->lv[0].forward;
    if (!n || !node_is(n, score, member, len)) return NULL;
    splice_out(sl, n, &p);
    return n;
}

void skiplist_update_score(struct skiplist *sl, struct sl_node *n, double score)
{
    const char *m = sl_node_member(n);
    struct sl_node *next = n->lv[0].forward;
    /* Still between its neighbours: the order does not change, only the score. */
    if ((!n->backward || node_lt(n->backward, score, m, n->len)) &&
        (!next || score < next->score ||
         (score == next->score && zmember_cmp(m, n->len, sl_node_member(next), next->len) < 0))) {
        n->score = score;
        return;
    }
    struct path p;
    descend(sl, n->score, m, n->len, &p);
    ASSERT(p.at[0]->lv[0].forward == n);
    splice_out(sl, n, &p);
    n->score = score;
    descend(sl, score, m, n->len, &p);
    splice_in(sl, n, &p);
}

/* ---- rank -------------------------------------------------------------------------------- */

size_t skiplist_rank(const struct skiplist *sl, double score, const char *member, size_t len)
{
    struct path p;
    descend(sl, score, member, len, &p);
    struct sl_node *n = p.at[0]->lv[0].forward;
    return n && node_is(n, score, member, len) ? p.rank[0] + 1 : 0;
}

struct sl_node *skiplist_at_rank(const struct skiplist *sl, size_t rank)
{
    if (rank == 0 || rank > sl->length) return NULL;
    struct sl_node *x = sl->header;
    size_t walked = 0;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->lv[i].forward && walked + x->lv[i].span <= rank) {
            walked += x->lv[i].span;
            x = x->lv[i].forward;
        }
        if (walked == rank) return x;
    }
    return NULL;
}

/* ---- ranges ------------------------------------------------------------------------------ */

/* A score or lex interval, so the range walks are written once. */
struct sel {
    const struct zrange_score *score;
    const struct zrange_lex *lex;
};

static bool sel_gte_min(const struct sl_node *n, const struct sel *s)
{
    return s->score ? zrange_score_gte_min(n->score, s->score)
                    : zrange_lex_gte_min(sl_node_member(n), n->len, s->lex);
}

static bool sel_lte_max(const struct sl_node *n, const struct sel *s)
{
    return s->score ? zrange_score_lte_max(n->score, s->score)
                    : zrange_lex_lte_max(sl_node_member(n), n->len, s->lex);
}

static bool sel_is_empty(const struct sel *s)
{
    return s->score ? zrange_score_is_empty(s->score) : zrange_lex_is_empty(s->lex);
}

/* Descend to the last node below the range; p (optional) records the path. */
static struct sl_node *descend_below(const struct skiplist *sl, const struct sel *s, struct path *p)
{
    struct sl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->lv[i].forward && !sel_gte_min(x->lv[i].forward, s)) x = x->lv[i].forward;
        if (p) p->at[i] = x;
    }
    return x;
}

static struct sl_node *first_in(const struct skiplist *sl, const struct sel *s)
{
    if (sel_is_empty(s)) return NULL;
    struct sl_node *x = descend_below(sl, s, NULL)->lv[0].forward;
    return x && sel_lte_max(x, s) ? x : NULL;
}

static struct sl_node *last_in(const struct skiplist *sl, const struct sel *s)
{
    if (sel_is_empty(s)) return NULL;
    struct sl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--)
        while (x->lv[i].forward && sel_lte_max(x->lv[i].forward, s)) x = x->lv[i].forward;
    return x != sl->header && sel_gte_min(x, s) ? x : NULL;
}

struct sl_node *skiplist_first_in_score(const struct skiplist *sl, const struct zrange_score *r)
{
    return first_in(sl, &(struct sel){.score = r});
}

struct sl_node *skiplist_last_in_score(const struct skiplist *sl, const struct zrange_score *r)
{
    return last_in(sl, &(struct sel){.score = r});
}

struct sl_node *skiplist_first_in_lex(const struct skiplist *sl, const struct zrange_lex *r)
{
    return first_in(sl, &(struct sel){.lex = r});
}

struct sl_node *skiplist_last_in_lex(const struct skiplist *sl, const struct zrange_lex *r)
{
    return last_in(sl, &(struct sel){.lex = r});
}

static size_t delete_sel(struct skiplist *sl, const struct sel *s, skiplist_node_fn on_delete,
                         void *ctx)
{
    if (sel_is_empty(s)) return 0;
    struct path p;
    struct sl_node *x = descend_below(sl, s, &p)->lv[0].forward;
    size_t removed = 0;
    while (x && sel_lte_max(x, s)) {
        struct sl_node *next = x->lv[0].forward;
        splice_out(sl, x, &p); /* the path stays valid: it only holds nodes before x */
        on_delete(ctx, x);
        removed++;
        x = next;
    }
    return removed;
}

size_t skiplist_delete_score(struct skiplist *sl, const struct zrange_score *r,
                             skiplist_node_fn on_delete, void *ctx)
{
    return delete_sel(sl, &(struct sel){.score = r}, on_delete, ctx);
}

size_t skiplist_delete_lex(struct skiplist *sl, const struct zrange_lex *r,
                           skiplist_node_fn on_delete, void *ctx)
{
    return delete_sel(sl, &(struct sel){.lex = r}, on_delete, ctx);
}

size_t skiplist_delete_rank(struct skiplist *sl, size_t start, size_t end,
                            skiplist_node_fn on_delete, void *ctx)
{
    ASSERT(start >= 1 && start <= end);
    struct path p;
    struct sl_node *x = sl->header;
    size_t walked = 0;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->lv[i].forward && walked + x->lv[i].span < start) {
            walked += x->lv[i].span;
            x = x->lv[i].forward;
        }
        p.at[i] = x;
    }
    x = x->lv[0].forward;
    size_t removed = 0;
    for (size_t rank = walked + 1; x && rank <= end; rank++) {
        struct sl_node *next = x->lv[0].forward;
        splice_out(sl, x, &p);
        on_delete(ctx, x);
        removed++;
        x = next;
    }
    return removed;
}

/* ---- invariants -------------------------------------------------------------------------- */

static int check_level(const struct skiplist *sl, int i)
{
    const struct sl_node *x = sl->header, *y = sl->header->lv[0].forward;
    size_t rank_x = 0, rank_y = 1;
    for (;;) {
        while (y && y->height <= i) {
            y = y->lv[0].forward;
            rank_y++;
        }
        if (x->lv[i].forward != y) return -10 - i;
        if (x->lv[i].span != (y ? rank_y - rank_x : sl->length - rank_x)) return -50 - i;
        if (!y) return 0;
        x = y;
        rank_x = rank_y;
        y = y->lv[0].forward;
        rank_y++;
    }
}

int skiplist_check(const struct skiplist *sl)
{
    if (sl->level < 1 || sl->level > SKIPLIST_MAX_LEVEL) return -1;
    for (int i = sl->level; i < SKIPLIST_MAX_LEVEL; i++)
        if (sl->header->lv[i].forward) return -2;
    size_t n = 0;
    const struct sl_node *prev = NULL;
    for (const struct sl_node *x = sl->header->lv[0].forward; x; prev = x, x = x->lv[0].forward) {
        if (x->backward != prev) return -3;
        if (x->height < 1 || x->height > sl->level) return -4;
        if (prev && !node_lt(prev, x->score, sl_node_member(x), x->len)) return -5;
        n++;
    }
    if (n != sl->length || prev != sl->tail) return -6;
    for (int i = 0; i < sl->level; i++) {
        int rc = check_level(sl, i);
        if (rc) return rc;
    }
    return 0;
}
