/* obj_zset_range: the range operations of sorted sets (see obj_zset.h): range parsing,
 * ZCOUNT/ZLEXCOUNT, ZREMRANGEBYSCORE/BYLEX/BYRANK and the ZRANGE iterators. A skip list answers
 * them with its own O(log N) searches and spans; a listpack (at most 128 pairs) by walking. */
#include "store/data/obj_zset.h"

#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "store/data/obj_zset_int.h"

/* ---- ranges ------------------------------------------------------------------------------ */

static int parse_score_bound(const char *s, size_t len, double *v, bool *ex)
{
    *ex = len > 0 && s[0] == '(';
    if (*ex) s++, len--;
    return util_parse_double(s, len, v) == 0 ? 0 : OBJ_ZSET_ERR_RANGE;
}

int obj_zset_parse_score_range(const char *min, size_t minlen, const char *max, size_t maxlen,
                               struct zrange_score *out)
{
    if (parse_score_bound(min, minlen, &out->min, &out->minex) != 0) return OBJ_ZSET_ERR_RANGE;
    return parse_score_bound(max, maxlen, &out->max, &out->maxex);
}

static int parse_lex_bound(const char *s, size_t len, const char **b, size_t *blen,
                           enum zlex_bound *kind)
{
    *b = NULL;
    *blen = 0;
    if (len == 1 && s[0] == '+')
        *kind = ZLEX_POS_INF;
    else if (len == 1 && s[0] == '-')
        *kind = ZLEX_NEG_INF;
    else if (len >= 1 && (s[0] == '(' || s[0] == '[')) {
        *kind = s[0] == '(' ? ZLEX_EXCL : ZLEX_INCL;
        *b = s + 1;
        *blen = len - 1;
    } else {
        return OBJ_ZSET_ERR_RANGE;
    }
    return 0;
}

int obj_zset_parse_lex_range(const char *min, size_t minlen, const char *max, size_t maxlen,
                             struct zrange_lex *out)
{
    if (parse_lex_bound(min, minlen, &out->min, &out->minlen, &out->min_kind) != 0)
        return OBJ_ZSET_ERR_RANGE;
    return parse_lex_bound(max, maxlen, &out->max, &out->maxlen, &out->max_kind);
}

/* A score or lex range, so listpack walks are written once (the skip list has its own). */
struct zsel {
    const struct zrange_score *score;
    const struct zrange_lex *lex;
};

static bool zlp_gte_min(const struct pack *pk, uint32_t off, const struct zsel *s)
{
    if (s->score) return zrange_score_gte_min(zlp_score(pk, off), s->score);
    const char *m;
    size_t len;
    zlp_member(pk, off, &m, &len);
    return zrange_lex_gte_min(m, len, s->lex);
}

static bool zlp_lte_max(const struct pack *pk, uint32_t off, const struct zsel *s)
{
    if (s->score) return zrange_score_lte_max(zlp_score(pk, off), s->score);
    const char *m;
    size_t len;
    zlp_member(pk, off, &m, &len);
    return zrange_lex_lte_max(m, len, s->lex);
}

static bool zsel_is_empty(const struct zsel *s)
{
    return s->score ? zrange_score_is_empty(s->score) : zrange_lex_is_empty(s->lex);
}

static uint32_t zlp_first_in(const struct pack *pk, const struct zsel *s)
{
    if (zsel_is_empty(s)) return 0;
    uint32_t off = zlp_first(pk);
    while (off && !zlp_gte_min(pk, off, s)) off = zlp_next(pk, off);
    return off && zlp_lte_max(pk, off, s) ? off : 0;
}

static uint32_t zlp_last_in(const struct pack *pk, const struct zsel *s)
{
    if (zsel_is_empty(s)) return 0;
    uint32_t last = 0;
    for (uint32_t off = zlp_first(pk); off && zlp_lte_max(pk, off, s); off = zlp_next(pk, off))
        last = off;
    return last && zlp_gte_min(pk, last, s) ? last : 0;
}

static size_t zset_count_sel(struct obj_zset *z, const struct zsel *s)
{
    if (z->enc == ZENC_LISTPACK) {
        const struct pack *pk = &z->u.pk;
        size_t n = 0;
        for (uint32_t off = zlp_first_in(pk, s); off && zlp_lte_max(pk, off, s);
             off = zlp_next(pk, off))
            n++;
        return n;
    }
    const struct skiplist *sl = &z->u.zs->sl;
    const struct sl_node *first =
        s->score ? skiplist_first_in_score(sl, s->score) : skiplist_first_in_lex(sl, s->lex);
    if (!first) return 0;
    const struct sl_node *last =
        s->score ? skiplist_last_in_score(sl, s->score) : skiplist_last_in_lex(sl, s->lex);
    size_t a = skiplist_rank(sl, first->score, sl_node_member(first), first->len);
    size_t b = skiplist_rank(sl, last->score, sl_node_member(last), last->len);
    return b >= a ? b - a + 1 : 0;
}

size_t obj_zset_count_score(struct obj_zset *z, const struct zrange_score *r)
{
    return zset_count_sel(z, &(struct zsel){.score = r});
}

size_t obj_zset_count_lex(struct obj_zset *z, const struct zrange_lex *r)
{
    return zset_count_sel(z, &(struct zsel){.lex = r});
}

static size_t zset_delete_sel(struct obj_zset *z, const struct zsel *s)
{
    if (z->enc == ZENC_SKIPLIST) {
        return s->score ? skiplist_delete_score(&z->u.zs->sl, s->score, zsl_on_delete, z->u.zs)
                        : skiplist_delete_lex(&z->u.zs->sl, s->lex, zsl_on_delete, z->u.zs);
    }
    struct pack *pk = &z->u.pk;
    uint32_t off = zlp_first_in(pk, s);
    size_t n = 0;
    while (off && off < pack_bytes(pk) && zlp_lte_max(pk, off, s)) {
        pack_delete(pk, off, 2); /* the next pair now starts at off */
        n++;
    }
    return n;
}

size_t obj_zset_delete_score(struct obj_zset *z, const struct zrange_score *r)
{
    return zset_delete_sel(z, &(struct zsel){.score = r});
}

size_t obj_zset_delete_lex(struct obj_zset *z, const struct zrange_lex *r)
{
    return zset_delete_sel(z, &(struct zsel){.lex = r});
}

/* LRANGE-style index normalisation: false if the range is empty. */
static bool norm_rank_range(size_t card, long long start, long long stop, size_t *from,
                            size_t *count)
{
    long long len = (long long)card;
    if (start < 0) start += len;
    if (stop < 0) stop += len;
    if (start < 0) start = 0;
    if (start > stop || start >= len) return false;
    if (stop >= len) stop = len - 1;
    *from = (size_t)start;
    *count = (size_t)(stop - start + 1);
    return true;
}

size_t obj_zset_delete_rank(struct obj_zset *z, long long start, long long stop)
{
    size_t from, count;
    if (!norm_rank_range(obj_zset_card(z), start, stop, &from, &count)) return 0;
    if (z->enc == ZENC_LISTPACK) {
        pack_delete(&z->u.pk, zlp_at(&z->u.pk, from), (uint32_t)(2 * count));
        return count;
    }
    return skiplist_delete_rank(&z->u.zs->sl, from + 1, from + count, zsl_on_delete, z->u.zs);
}

/* ---- iteration --------------------------------------------------------------------------- */

static void iter_reset(struct obj_zset_iter *it, const struct obj_zset *z, bool reverse, int kind)
{
    memset(it, 0, sizeof *it);
    it->z = z;
    it->reverse = reverse;
    it->kind = kind;
    it->remaining = SIZE_MAX;
}

/* Position the iterator at 0-based forward index idx. */
static void iter_seek_index(struct obj_zset_iter *it, size_t idx)
{
    const struct obj_zset *z = it->z;
    if (idx >= obj_zset_card(z)) return;
    if (z->enc == ZENC_LISTPACK)
        it->off = zlp_at(&z->u.pk, idx);
    else
        it->node = skiplist_at_rank(&z->u.zs->sl, idx + 1);
}

size_t obj_zset_iter_rank(struct obj_zset_iter *it, const struct obj_zset *z, long long start,
                          long long stop, bool reverse)
{
    iter_reset(it, z, reverse, 0);
    size_t card = obj_zset_card(z), from, count;
    if (!norm_rank_range(card, start, stop, &from, &count)) {
        it->remaining = 0;
        return 0;
    }
    iter_seek_index(it, reverse ? card - 1 - from : from);
    it->remaining = count;
    return count;
}

/* Start a score/lex iteration at the range's first (or, reverse, last) member, then skip
 * `offset` members: by rank arithmetic on a skip list, by stepping on a listpack. */
static void iter_start_sel(struct obj_zset_iter *it, const struct zsel *s, size_t offset)
{
    const struct obj_zset *z = it->z;
    if (z->enc == ZENC_LISTPACK) {
        const struct pack *pk = &z->u.pk;
        it->off = it->reverse ? zlp_last_in(pk, s) : zlp_first_in(pk, s);
        while (it->off && offset--)
            it->off = it->reverse ? zlp_prev(pk, it->off) : zlp_next(pk, it->off);
        return;
    }
    const struct skiplist *sl = &z->u.zs->sl;
    const struct sl_node *n;
    if (s->score && it->reverse)
        n = skiplist_last_in_score(sl, s->score);
    else if (s->score)
        n = skiplist_first_in_score(sl, s->score);
    else if (it->reverse)
        n = skiplist_last_in_lex(sl, s->lex);
    else
        n = skiplist_first_in_lex(sl, s->lex);
    if (n && offset) {
        size_t rank = skiplist_rank(sl, n->score, sl_node_member(n), n->len);
        if (it->reverse)
            n = offset < rank ? skiplist_at_rank(sl, rank - offset) : NULL;
        else
            n = offset <= sl->length - rank ? skiplist_at_rank(sl, rank + offset) : NULL;
    }
    it->node = n;
}

void obj_zset_iter_score(struct obj_zset_iter *it, const struct obj_zset *z,
                         const struct zrange_score *r, bool reverse, size_t offset)
{
    iter_reset(it, z, reverse, 1);
    it->score = *r;
    iter_start_sel(it, &(struct zsel){.score = &it->score}, offset);
}

void obj_zset_iter_lex(struct obj_zset_iter *it, const struct obj_zset *z,
                       const struct zrange_lex *r, bool reverse, size_t offset)
{
    iter_reset(it, z, reverse, 2);
    it->lex = *r;
    iter_start_sel(it, &(struct zsel){.lex = &it->lex}, offset);
}

/* Is the entry still inside the iterator's range on the side it is walking towards? */
static bool iter_in_range(const struct obj_zset_iter *it, const struct obj_zset_entry *e)
{
    if (it->kind == 1)
        return it->reverse ? zrange_score_gte_min(e->score, &it->score)
                           : zrange_score_lte_max(e->score, &it->score);
    if (it->kind == 2)
        return it->reverse ? zrange_lex_gte_min(e->member, e->len, &it->lex)
                           : zrange_lex_lte_max(e->member, e->len, &it->lex);
    return true;
}

bool obj_zset_iter_next(struct obj_zset_iter *it, struct obj_zset_entry *out)
{
    if (it->remaining == 0) return false;
    const struct obj_zset *z = it->z;
    if (z->enc == ZENC_LISTPACK) {
        if (!it->off) return false;
        zlp_member(&z->u.pk, it->off, &out->member, &out->len);
        out->score = zlp_score(&z->u.pk, it->off);
    } else {
        if (!it->node) return false;
        out->member = sl_node_member(it->node);
        out->len = it->node->len;
        out->score = it->node->score;
    }
    if (!iter_in_range(it, out)) {
        it->remaining = 0;
        return false;
    }
    if (it->remaining != SIZE_MAX) it->remaining--;
    if (z->enc == ZENC_LISTPACK)
        it->off = it->reverse ? zlp_prev(&z->u.pk, it->off) : zlp_next(&z->u.pk, it->off);
    else
        it->node = it->reverse ? it->node->backward : it->node->lv[0].forward;
    return true;
}
