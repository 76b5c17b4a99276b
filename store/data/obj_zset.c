/* obj_zset: see obj_zset.h. This file holds the representation helpers (zlp_ walk listpack
 * pairs, zsl_ keep the skip list and the dict in step), conversions, point operations (ZADD,
 * ZSCORE, ZRANK, ZREM, ZPOP), sampling, scan and the invariant check. Range operations (ZRANGE*,
 * ZCOUNT, ZREMRANGE*) are in obj_zset_range.c. Public functions dispatch on the encoding. */
#include "store/data/obj_zset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/data/obj_pack.h"
#include "store/data/obj_set.h"
#include "store/data/obj_zset_int.h"

/* Whatever the configured limits, a listpack holds at most PACK_MAX_COUNT entries (two per
 * member) and grows to at most this many bytes; past that it converts, as Redis 7.0 converts a
 * listpack that would pass 1 GB. */
#define ZSET_PACK_SAFE_BYTES (1u << 30)

const struct ks_obj_ops obj_zset_ops = {
    .type = KS_TYPE_ZSET,
    .encoding = obj_zset_encoding_name,
    .free = obj_zset_free,
    .dup = obj_zset_dup,
    .mem_usage = obj_zset_mem_usage,
};

/* ---- listpack pairs ---------------------------------------------------------------------- */

void zlp_member(const struct pack *pk, uint32_t off, const char **m, size_t *len)
{
    struct pack_val v;
    pack_get(pk, off, &v);
    ASSERT(v.bytes != NULL);
    *m = v.bytes;
    *len = v.len;
}

double zlp_score(const struct pack *pk, uint32_t off)
{
    return pack_get_double(pk, pack_next(pk, off));
}

uint32_t zlp_next(const struct pack *pk, uint32_t off)
{
    uint32_t n = pack_next(pk, pack_next(pk, off));
    return n < pack_bytes(pk) ? n : 0;
}

uint32_t zlp_prev(const struct pack *pk, uint32_t off)
{
    return off == pack_first(pk) ? 0 : pack_prev(pk, pack_prev(pk, off));
}

uint32_t zlp_first(const struct pack *pk) { return pack_count(pk) ? pack_first(pk) : 0; }
uint32_t zlp_last(const struct pack *pk)
{
    return pack_count(pk) ? pack_prev(pk, pack_last(pk)) : 0;
}
uint32_t zlp_at(const struct pack *pk, size_t idx) { return pack_seek(pk, (uint32_t)(2 * idx)); }

static uint32_t zlp_find(const struct pack *pk, const char *member, size_t len, double *score)
{
    for (uint32_t off = zlp_first(pk); off; off = zlp_next(pk, off)) {
        const char *s;
        size_t slen;
        zlp_member(pk, off, &s, &slen);
        if (slen == len && (len == 0 || memcmp(s, member, len) == 0)) {
            if (score) *score = zlp_score(pk, off);
            return off;
        }
    }
    return 0;
}

static void zlp_insert(struct pack *pk, double score, const char *member, size_t len)
{
    uint32_t at = pack_bytes(pk);
    for (uint32_t off = zlp_first(pk); off; off = zlp_next(pk, off)) {
        double s = zlp_score(pk, off);
        const char *om;
        size_t olen;
        zlp_member(pk, off, &om, &olen);
        if (s > score || (s == score && zmember_cmp(om, olen, member, len) > 0)) {
            at = off;
            break;
        }
    }
    uint32_t moff = pack_insert_str(pk, at, member, len, false);
    pack_insert_double(pk, pack_next(pk, moff), score);
}

static size_t zlp_card(const struct pack *pk) { return pack_count(pk) / 2; }

/* ---- skiplist + dict --------------------------------------------------------------------- */

static const char *node_key(const struct dict_entry *e, size_t *len)
{
    const struct sl_node *n = (const struct sl_node *)e;
    *len = n->len;
    return sl_node_member(n);
}

static struct zsl *zsl_new(void)
{
    struct zsl *zs = xmalloc(sizeof *zs);
    skiplist_init(&zs->sl, ZSL_SEED);
    dict_init(&zs->d, node_key);
    return zs;
}

static void zsl_free(struct zsl *zs)
{
    dict_clear(&zs->d, NULL, NULL);
    skiplist_destroy(&zs->sl, NULL, NULL);
    free(zs);
}

static struct sl_node *zsl_find(struct zsl *zs, const char *member, size_t len)
{
    return (struct sl_node *)dict_find(&zs->d, member, len);
}

/* h = dict_hash(m, len), computed once by callers that looked the member up first. */
static void zsl_insert_hashed(struct zsl *zs, uint64_t h, double score, const char *member,
                              size_t len)
{
    struct sl_node *n = skiplist_insert(&zs->sl, score, member, len);
    dict_add_hashed(&zs->d, h, &n->link);
}

static void zsl_insert(struct zsl *zs, double score, const char *member, size_t len)
{
    zsl_insert_hashed(zs, dict_hash(member, len), score, member, len);
}

static void zsl_delete_node(struct zsl *zs, struct sl_node *n)
{
    dict_unlink_entry(&zs->d, &n->link);
    struct sl_node *u = skiplist_unlink(&zs->sl, n->score, sl_node_member(n), n->len);
    ASSERT(u == n);
    free(n);
}

/* skiplist range-deletion callback: the node is already out of the list. */
void zsl_on_delete(void *ctx, struct sl_node *n)
{
    struct zsl *zs = ctx;
    dict_unlink_entry(&zs->d, &n->link);
    free(n);
}

static const struct sl_node *zsl_head(const struct zsl *zs) { return zs->sl.header->lv[0].forward; }

/* ---- conversions and lifecycle ----------------------------------------------------------- */

static void zset_to_skiplist(struct obj_zset *z)
{
    struct zsl *zs = zsl_new();
    for (uint32_t off = zlp_first(&z->u.pk); off; off = zlp_next(&z->u.pk, off)) {
        const char *m;
        size_t len;
        zlp_member(&z->u.pk, off, &m, &len);
        zsl_insert(zs, zlp_score(&z->u.pk, off), m, len);
    }
    pack_free(&z->u.pk);
    z->enc = ZENC_SKIPLIST;
    z->u.zs = zs;
}

static void zset_to_listpack(struct obj_zset *z)
{
    struct zsl *zs = z->u.zs;
    struct pack pk;
    pack_init(&pk);
    for (const struct sl_node *n = zsl_head(zs); n; n = n->lv[0].forward) {
        pack_insert_str(&pk, pack_bytes(&pk), sl_node_member(n), n->len, false);
        pack_insert_double(&pk, pack_bytes(&pk), n->score);
    }
    zsl_free(zs);
    z->enc = ZENC_LISTPACK;
    z->u.pk = pk;
}

struct obj_zset *obj_zset_create(void)
{
    struct obj_zset *z = xmalloc(sizeof *z);
    z->enc = ZENC_LISTPACK;
    pack_init(&z->u.pk);
    return z;
}

struct obj_zset *obj_zset_create_hint(size_t size_hint, size_t max_member_len,
                                      const struct obj_zset_limits *lim)
{
    if (size_hint <= lim->max_listpack_entries && size_hint <= PACK_MAX_COUNT / 2 &&
        max_member_len <= lim->max_listpack_value)
        return obj_zset_create();
    struct obj_zset *z = xmalloc(sizeof *z);
    z->enc = ZENC_SKIPLIST;
    z->u.zs = zsl_new();
    return z;
}

void obj_zset_free(void *p)
{
    struct obj_zset *z = p;
    if (!z) return;
    if (z->enc == ZENC_LISTPACK)
        pack_free(&z->u.pk);
    else
        zsl_free(z->u.zs);
    free(z);
}

void *obj_zset_dup(const void *p)
{
    const struct obj_zset *src = p;
    struct obj_zset *z = xmalloc(sizeof *z);
    z->enc = src->enc;
    if (src->enc == ZENC_LISTPACK) {
        pack_copy(&z->u.pk, &src->u.pk);
        return z;
    }
    z->u.zs = zsl_new();
    for (const struct sl_node *n = zsl_head(src->u.zs); n; n = n->lv[0].forward)
        zsl_insert(z->u.zs, n->score, sl_node_member(n), n->len);
    return z;
}

const char *obj_zset_encoding_name(const void *p)
{
    const struct obj_zset *z = p;
    return z->enc == ZENC_LISTPACK ? "listpack" : "skiplist";
}

size_t obj_zset_mem_usage(const void *p)
{
    const struct obj_zset *z = p;
    if (z->enc == ZENC_LISTPACK) return sizeof *z + z->u.pk.cap;
    const struct zsl *zs = z->u.zs;
    size_t total = sizeof *z + sizeof *zs + dict_buckets(&zs->d) * sizeof(void *);
    for (const struct sl_node *n = zsl_head(zs); n; n = n->lv[0].forward)
        total += sizeof *n + n->height * sizeof(struct sl_level) + n->len;
    return total;
}

size_t obj_zset_card(const struct obj_zset *z)
{
    return z->enc == ZENC_LISTPACK ? zlp_card(&z->u.pk) : z->u.zs->sl.length;
}

bool obj_zset_listpack_fits(const struct obj_zset *z, size_t len, const struct obj_zset_limits *lim)
{
    if (z->enc != ZENC_LISTPACK) return false;
    size_t card = zlp_card(&z->u.pk);
    return card + 1 <= lim->max_listpack_entries && card + 1 <= PACK_MAX_COUNT / 2 &&
           len <= lim->max_listpack_value &&
           (size_t)pack_bytes(&z->u.pk) + len + 32 <= ZSET_PACK_SAFE_BYTES;
}

void obj_zset_convert_if_small(struct obj_zset *z, const struct obj_zset_limits *lim)
{
    if (z->enc != ZENC_SKIPLIST) return;
    size_t card = z->u.zs->sl.length, total = 0;
    if (card > lim->max_listpack_entries || card > PACK_MAX_COUNT / 2) return;
    for (const struct sl_node *n = zsl_head(z->u.zs); n; n = n->lv[0].forward) {
        if (n->len > lim->max_listpack_value) return;
        total += n->len + 32;
    }
    if (total > ZSET_PACK_SAFE_BYTES) return;
    zset_to_listpack(z);
}

/* ---- point operations -------------------------------------------------------------------- */

/* Insert a member known to be absent, converting first if it would break a listpack limit.
 * h: the member's dict hash if the caller has it (skiplist lookups), else NULL. */
static void zset_insert_new(struct obj_zset *z, double score, const char *member, size_t len,
                            const uint64_t *h, const struct obj_zset_limits *lim)
{
    if (z->enc == ZENC_LISTPACK && !obj_zset_listpack_fits(z, len, lim)) zset_to_skiplist(z);
    if (z->enc == ZENC_LISTPACK)
        zlp_insert(&z->u.pk, score, member, len);
    else
        zsl_insert_hashed(z->u.zs, h ? *h : dict_hash(member, len), score, member, len);
}

/* Move an existing member to a new score. `off`/`node` locate it. */
static void zset_rescore(struct obj_zset *z, uint32_t off, struct sl_node *node, double score)
{
    if (z->enc == ZENC_SKIPLIST) {
        skiplist_update_score(&z->u.zs->sl, node, score);
        return;
    }
    const char *m;
    size_t len;
    zlp_member(&z->u.pk, off, &m, &len);
    char *copy = xmemdup(m, len ? len : 1); /* the bytes live in the pack we are editing */
    pack_delete(&z->u.pk, off, 2);
    zlp_insert(&z->u.pk, score, copy, len);
    free(copy);
}

/* Locate a member: true with its score and position (listpack offset or skiplist node). For a
 * skip list *h receives the member's dict hash, so an insert that follows need not rehash. */
static bool zset_lookup(struct obj_zset *z, const char *member, size_t len, double *score,
                        uint32_t *off, struct sl_node **node, uint64_t *h)
{
    *off = 0;
    *node = NULL;
    if (z->enc == ZENC_LISTPACK) {
        *off = zlp_find(&z->u.pk, member, len, score);
        return *off != 0;
    }
    *h = dict_hash(member, len);
    *node = (struct sl_node *)dict_find_hashed(&z->u.zs->d, *h, member, len);
    if (*node) *score = (*node)->score;
    return *node != NULL;
}

int obj_zset_add(struct obj_zset *z, double score, const char *member, size_t len, int in_flags,
                 int *out_flags, double *newscore, const struct obj_zset_limits *lim)
{
    ASSERT(!isnan(score));
    uint32_t off;
    struct sl_node *node;
    double cur;
    uint64_t h = 0;
    bool had_skiplist = z->enc == ZENC_SKIPLIST;
    *out_flags = 0;
    if (zset_lookup(z, member, len, &cur, &off, &node, &h)) {
        if (in_flags & OBJ_ZADD_NX) {
            *out_flags = OBJ_ZADD_NOP;
            return 0;
        }
        double ns = (in_flags & OBJ_ZADD_INCR) ? cur + score : score;
        if (isnan(ns)) return OBJ_ZSET_ERR_NAN;
        if (((in_flags & OBJ_ZADD_LT) && ns >= cur) || ((in_flags & OBJ_ZADD_GT) && ns <= cur)) {
            *out_flags = OBJ_ZADD_NOP;
            return 0;
        }
        *newscore = ns;
        if (ns != cur) {
            zset_rescore(z, off, node, ns);
            *out_flags = OBJ_ZADD_UPDATED;
        }
        return 0;
    }
    if (in_flags & OBJ_ZADD_XX) {
        *out_flags = OBJ_ZADD_NOP;
        return 0;
    }
    zset_insert_new(z, score, member, len, had_skiplist ? &h : NULL, lim);
    *out_flags = OBJ_ZADD_ADDED;
    *newscore = score;
    return 0;
}

int obj_zset_incrby(struct obj_zset *z, const char *member, size_t len, double delta,
                    double *newscore, const struct obj_zset_limits *lim)
{
    int flags;
    return obj_zset_add(z, delta, member, len, OBJ_ZADD_INCR, &flags, newscore, lim);
}

void obj_zset_aggregate(struct obj_zset *z, const char *member, size_t len, double score,
                        enum obj_zset_agg agg, const struct obj_zset_limits *lim)
{
    uint32_t off;
    struct sl_node *node;
    double cur;
    uint64_t h = 0;
    bool had_skiplist = z->enc == ZENC_SKIPLIST;
    if (isnan(score)) score = 0; /* a weighted 0 * inf, as Redis treats it */
    if (!zset_lookup(z, member, len, &cur, &off, &node, &h)) {
        zset_insert_new(z, score, member, len, had_skiplist ? &h : NULL, lim);
        return;
    }
    double ns = agg == OBJ_ZSET_AGG_SUM   ? cur + score
                : agg == OBJ_ZSET_AGG_MIN ? MIN(cur, score)
                                          : MAX(cur, score);
    if (isnan(ns)) ns = 0; /* inf + -inf */
    if (ns != cur) zset_rescore(z, off, node, ns);
}

bool obj_zset_score(struct obj_zset *z, const char *member, size_t len, double *score)
{
    uint32_t off;
    struct sl_node *node;
    uint64_t h;
    return zset_lookup(z, member, len, score, &off, &node, &h);
}

bool obj_zset_rank(struct obj_zset *z, const char *member, size_t len, bool reverse, size_t *rank,
                   double *score)
{
    size_t r = 0;
    if (z->enc == ZENC_LISTPACK) {
        uint32_t found = zlp_find(&z->u.pk, member, len, score);
        if (!found) return false;
        for (uint32_t off = zlp_first(&z->u.pk); off != found; off = zlp_next(&z->u.pk, off)) r++;
    } else {
        struct sl_node *n = zsl_find(z->u.zs, member, len);
        if (!n) return false;
        *score = n->score;
        r = skiplist_rank(&z->u.zs->sl, n->score, member, len) - 1;
    }
    *rank = reverse ? obj_zset_card(z) - 1 - r : r;
    return true;
}

bool obj_zset_delete(struct obj_zset *z, const char *member, size_t len)
{
    if (z->enc == ZENC_LISTPACK) {
        uint32_t off = zlp_find(&z->u.pk, member, len, NULL);
        if (off) pack_delete(&z->u.pk, off, 2);
        return off != 0;
    }
    struct sl_node *n = zsl_find(z->u.zs, member, len);
    if (n) zsl_delete_node(z->u.zs, n);
    return n != NULL;
}

bool obj_zset_pop(struct obj_zset *z, bool max, struct buf *member, double *score)
{
    if (obj_zset_card(z) == 0) return false;
    buf_clear(member);
    if (z->enc == ZENC_LISTPACK) {
        uint32_t off = max ? zlp_last(&z->u.pk) : zlp_first(&z->u.pk);
        const char *m;
        size_t len;
        zlp_member(&z->u.pk, off, &m, &len);
        buf_append(member, m, len);
        *score = zlp_score(&z->u.pk, off);
        pack_delete(&z->u.pk, off, 2);
        return true;
    }
    struct sl_node *n = max ? z->u.zs->sl.tail : z->u.zs->sl.header->lv[0].forward;
    buf_append(member, sl_node_member(n), n->len);
    *score = n->score;
    zsl_delete_node(z->u.zs, n);
    return true;
}

/* ---- random, scan, format ---------------------------------------------------------------- */

static void zset_entry_at(const struct obj_zset *z, size_t idx, struct obj_zset_entry *out)
{
    if (z->enc == ZENC_LISTPACK) {
        uint32_t off = zlp_at(&z->u.pk, idx);
        zlp_member(&z->u.pk, off, &out->member, &out->len);
        out->score = zlp_score(&z->u.pk, off);
        return;
    }
    const struct sl_node *n = skiplist_at_rank(&z->u.zs->sl, idx + 1);
    out->member = sl_node_member(n);
    out->len = n->len;
    out->score = n->score;
}

bool obj_zset_random(const struct obj_zset *z, struct rng *r, struct obj_zset_entry *out)
{
    size_t card = obj_zset_card(z);
    if (!card) return false;
    zset_entry_at(z, (size_t)rng_below(r, card), out);
    return true;
}

struct zsample {
    const struct obj_zset *z;
    struct obj_zset_entry *out;
    size_t n;
};

static void zsample_emit(void *ctx, size_t pos)
{
    struct zsample *zs = ctx;
    zset_entry_at(zs->z, pos, &zs->out[zs->n++]);
}

size_t obj_zset_random_distinct(const struct obj_zset *z, struct rng *r, size_t count,
                                struct obj_zset_entry *out)
{
    size_t card = obj_zset_card(z);
    if (count >= card) {
        struct obj_zset_iter it;
        size_t n = 0;
        obj_zset_iter_rank(&it, z, 0, -1, false);
        while (obj_zset_iter_next(&it, &out[n])) n++;
        return n;
    }
    struct zsample zs = {.z = z, .out = out, .n = 0};
    obj_sample_distinct(r, card, count, zsample_emit, &zs);
    return zs.n;
}

struct zscan {
    obj_zset_member_fn fn;
    void *ctx;
    size_t reported;
};

static void zscan_one(void *ctx, struct dict_entry *e)
{
    struct zscan *sc = ctx;
    const struct sl_node *n = (const struct sl_node *)e;
    sc->fn(sc->ctx, sl_node_member(n), n->len, n->score);
    sc->reported++;
}

uint64_t obj_zset_scan(struct obj_zset *z, uint64_t cursor, size_t count, obj_zset_member_fn fn,
                       void *ctx)
{
    if (z->enc == ZENC_LISTPACK) {
        struct obj_zset_iter it;
        struct obj_zset_entry e;
        obj_zset_iter_rank(&it, z, 0, -1, false);
        while (obj_zset_iter_next(&it, &e)) fn(ctx, e.member, e.len, e.score);
        return 0;
    }
    struct zscan sc = {.fn = fn, .ctx = ctx, .reported = 0};
    size_t budget = MAX(count, 1) * 10;
    do cursor = dict_scan(&z->u.zs->d, cursor, zscan_one, &sc);
    while (cursor && --budget && sc.reported < count);
    return cursor;
}

size_t obj_zset_format_score(double score, char *buf, size_t cap)
{
    return util_double_to_str(buf, cap, score);
}

/* ---- invariants -------------------------------------------------------------------------- */

static int zlp_check(const struct pack *pk)
{
    if (pack_count(pk) % 2) return -20;
    uint32_t prev = 0;
    for (uint32_t off = zlp_first(pk); off; prev = off, off = zlp_next(pk, off)) {
        const char *m, *pm;
        size_t len, plen;
        double s = zlp_score(pk, off);
        zlp_member(pk, off, &m, &len);
        if (isnan(s)) return -21;
        if (!prev) continue;
        zlp_member(pk, prev, &pm, &plen);
        double ps = zlp_score(pk, prev);
        if (ps > s || (ps == s && zmember_cmp(pm, plen, m, len) >= 0)) return -22;
    }
    return 0;
}

int obj_zset_check(struct obj_zset *z)
{
    if (z->enc == ZENC_LISTPACK) return zlp_check(&z->u.pk);
    struct zsl *zs = z->u.zs;
    int rc = skiplist_check(&zs->sl);
    if (rc) return rc;
    if (dict_count(&zs->d) != zs->sl.length) return -30;
    for (const struct sl_node *n = zsl_head(zs); n; n = n->lv[0].forward) {
        if (isnan(n->score)) return -31;
        if (zsl_find(zs, sl_node_member(n), n->len) != n) return -32;
    }
    return 0;
}
