/* obj_zset and skiplist: random operation sequences against a sorted-array model with the skip
 * list's invariants (order, spans, levels, dict agreement) checked after every operation; ZADD
 * flag semantics; range parsing; encoding conversions (default and configured limits); score
 * formatting; the memory of a
 * 1,000,000-member sorted set against Redis 7's used_memory. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/rng.h"
#include "common/util.h"
#include "store/memcount.h"
#include "store/data/obj_zset.h"

/* Redis's default limits (zset-max-listpack-entries 128, zset-max-listpack-value 64). */
static const struct obj_zset_limits *const DEF = &OBJ_ZSET_LIMITS_DEFAULT;

/* ---- model: an array sorted by (score, member) ------------------------------------------- */

struct ment {
    char *m;
    size_t len;
    double score;
};

struct model {
    struct ment v[4096];
    size_t n;
};

static bool ment_lt(double s1, const char *m1, size_t l1, double s2, const char *m2, size_t l2)
{
    return s1 < s2 || (s1 == s2 && zmember_cmp(m1, l1, m2, l2) < 0);
}

static long model_find(const struct model *md, const char *m, size_t len)
{
    for (size_t i = 0; i < md->n; i++)
        if (md->v[i].len == len && memcmp(md->v[i].m, m, len) == 0) return (long)i;
    return -1;
}

static void model_remove_at(struct model *md, size_t i)
{
    free(md->v[i].m);
    memmove(md->v + i, md->v + i + 1, (md->n - i - 1) * sizeof md->v[0]);
    md->n--;
}

static void model_insert(struct model *md, double score, const char *m, size_t len)
{
    ASSERT(md->n < ARRAY_LEN(md->v));
    size_t at = 0;
    while (at < md->n && ment_lt(md->v[at].score, md->v[at].m, md->v[at].len, score, m, len)) at++;
    memmove(md->v + at + 1, md->v + at, (md->n - at) * sizeof md->v[0]);
    md->v[at] = (struct ment){.m = xmemdup(m, len ? len : 1), .len = len, .score = score};
    md->n++;
}

static void model_set(struct model *md, double score, const char *m, size_t len)
{
    long i = model_find(md, m, len);
    if (i >= 0) model_remove_at(md, (size_t)i);
    model_insert(md, score, m, len);
}

static void model_free(struct model *md)
{
    while (md->n) model_remove_at(md, md->n - 1);
}

static bool entry_is(const struct obj_zset_entry *e, const struct ment *w)
{
    return e->len == w->len && memcmp(e->member, w->m, e->len) == 0 && e->score == w->score;
}

static void check_same(struct obj_zset *z, const struct model *md)
{
    cr_assert_eq(obj_zset_check(z), 0, "invariant %d", obj_zset_check(z));
    cr_assert_eq(obj_zset_card(z), md->n);
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    size_t i = 0;
    obj_zset_iter_rank(&it, z, 0, -1, false);
    while (obj_zset_iter_next(&it, &e)) cr_assert(entry_is(&e, &md->v[i++]), "at %zu", i - 1);
    cr_assert_eq(i, md->n);
}

/* ---- random inputs ----------------------------------------------------------------------- */

static double pick_score(struct rng *r)
{
    static const double fixed[] = {-INFINITY, -2.5, -1, 0, 1, 1.5, 2, 3, 10, INFINITY};
    if (rng_below(r, 3)) return fixed[rng_below(r, ARRAY_LEN(fixed))];
    return (double)rng_below(r, 50) - 10;
}

static const char *pick_member(struct rng *r, char *buf, size_t *len, size_t pool)
{
    /* Pools above 128 also get members too long for a listpack. */
    bool is_long = pool > DEF->max_listpack_entries && rng_below(r, 50) == 0;
    int n = is_long ? snprintf(buf, 128, "long-%080d", (int)rng_below(r, 5))
                    : snprintf(buf, 128, "m%d", (int)rng_below(r, pool));
    *len = (size_t)n;
    return buf;
}

static void pick_score_range(struct rng *r, struct zrange_score *sr)
{
    sr->min = pick_score(r);
    sr->max = rng_below(r, 4) ? pick_score(r) : sr->min;
    if (sr->min > sr->max && rng_below(r, 4)) {
        double t = sr->min;
        sr->min = sr->max;
        sr->max = t;
    }
    sr->minex = rng_below(r, 3) == 0;
    sr->maxex = rng_below(r, 3) == 0;
}

/* ---- ZADD against the model -------------------------------------------------------------- */

static void op_add(struct obj_zset *z, struct model *md, struct rng *r, const char *m, size_t len)
{
    static const int combos[] = {0,
                                 OBJ_ZADD_NX,
                                 OBJ_ZADD_XX,
                                 OBJ_ZADD_GT,
                                 OBJ_ZADD_LT,
                                 OBJ_ZADD_XX | OBJ_ZADD_GT,
                                 OBJ_ZADD_INCR,
                                 OBJ_ZADD_INCR | OBJ_ZADD_NX,
                                 OBJ_ZADD_INCR | OBJ_ZADD_GT};
    int in = combos[rng_below(r, ARRAY_LEN(combos))], out = -1;
    double score = pick_score(r), ns = 0;
    long i = model_find(md, m, len);
    int rc = obj_zset_add(z, score, m, len, in, &out, &ns, DEF);
    if (i < 0) {
        bool nop = in & OBJ_ZADD_XX;
        cr_assert_eq(rc, 0);
        cr_assert_eq(out, nop ? OBJ_ZADD_NOP : OBJ_ZADD_ADDED);
        if (!nop) {
            cr_assert_eq(ns, score);
            model_insert(md, score, m, len);
        }
        return;
    }
    double cur = md->v[i].score, want = (in & OBJ_ZADD_INCR) ? cur + score : score;
    if (in & OBJ_ZADD_NX) {
        cr_assert_eq(out, OBJ_ZADD_NOP);
    } else if (isnan(want)) {
        cr_assert_eq(rc, OBJ_ZSET_ERR_NAN);
    } else if (((in & OBJ_ZADD_GT) && want <= cur) || ((in & OBJ_ZADD_LT) && want >= cur)) {
        cr_assert_eq(out, OBJ_ZADD_NOP);
    } else {
        cr_assert_eq(rc, 0);
        cr_assert_eq(out, want != cur ? OBJ_ZADD_UPDATED : 0);
        cr_assert_eq(ns, want);
        model_set(md, want, m, len);
    }
}

/* ---- ranges against the model ------------------------------------------------------------ */

static void op_range_score(struct obj_zset *z, const struct model *md, struct rng *r)
{
    struct zrange_score sr;
    pick_score_range(r, &sr);
    bool reverse = rng_below(r, 2);
    size_t offset = rng_below(r, 4) ? 0 : rng_below(r, 10);
    struct ment *want[4096];
    size_t nwant = 0;
    for (size_t k = 0; k < md->n; k++) {
        size_t i = reverse ? md->n - 1 - k : k;
        if (zrange_score_gte_min(md->v[i].score, &sr) && zrange_score_lte_max(md->v[i].score, &sr))
            want[nwant++] = (struct ment *)&md->v[i];
    }
    cr_assert_eq(obj_zset_count_score(z, &sr), nwant);
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    obj_zset_iter_score(&it, z, &sr, reverse, offset);
    size_t got = 0;
    while (obj_zset_iter_next(&it, &e)) {
        cr_assert_lt(offset + got, nwant);
        cr_assert(entry_is(&e, want[offset + got]));
        got++;
    }
    cr_assert_eq(got, nwant > offset ? nwant - offset : 0);
}

static void op_range_rank(struct obj_zset *z, const struct model *md, struct rng *r)
{
    long long n = (long long)md->n + 3;
    long long start = (long long)rng_below(r, (uint64_t)(2 * n)) - n;
    long long stop = (long long)rng_below(r, (uint64_t)(2 * n)) - n;
    bool reverse = rng_below(r, 2);
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    size_t count = obj_zset_iter_rank(&it, z, start, stop, reverse), got = 0;
    long long len = (long long)md->n, a = start < 0 ? start + len : start,
              b = stop < 0 ? stop + len : stop;
    if (a < 0) a = 0;
    if (b >= len) b = len - 1;
    size_t want = a > b || a >= len ? 0 : (size_t)(b - a + 1);
    cr_assert_eq(count, want);
    while (obj_zset_iter_next(&it, &e)) {
        size_t idx = (size_t)a + got;
        cr_assert(entry_is(&e, &md->v[reverse ? md->n - 1 - idx : idx]));
        got++;
    }
    cr_assert_eq(got, want);
}

static void op_point(struct obj_zset *z, struct model *md, struct rng *r, const char *m, size_t len)
{
    long i = model_find(md, m, len);
    double s;
    size_t rank;
    switch (rng_below(r, 4)) {
    case 0:
        cr_assert_eq(obj_zset_score(z, m, len, &s), i >= 0);
        if (i >= 0) cr_assert_eq(s, md->v[i].score);
        break;
    case 1: {
        bool rev = rng_below(r, 2);
        cr_assert_eq(obj_zset_rank(z, m, len, rev, &rank, &s), i >= 0);
        if (i >= 0) cr_assert_eq(rank, rev ? md->n - 1 - (size_t)i : (size_t)i);
        break;
    }
    case 2:
        cr_assert_eq(obj_zset_delete(z, m, len), i >= 0);
        if (i >= 0) model_remove_at(md, (size_t)i);
        break;
    default: {
        double delta = pick_score(r), ns;
        double want = (i >= 0 ? md->v[i].score : 0) + delta;
        int rc = obj_zset_incrby(z, m, len, delta, &ns, DEF);
        if (isnan(want)) {
            cr_assert_eq(rc, OBJ_ZSET_ERR_NAN);
        } else {
            cr_assert_eq(rc, 0);
            cr_assert_eq(ns, want);
            model_set(md, want, m, len);
        }
    }
    }
}

static void op_bulk(struct obj_zset *z, struct model *md, struct rng *r, struct buf *out)
{
    switch (rng_below(r, 4)) {
    case 0: { /* ZREMRANGEBYSCORE */
        struct zrange_score sr;
        pick_score_range(r, &sr);
        size_t want = 0;
        for (size_t i = 0; i < md->n;)
            if (zrange_score_gte_min(md->v[i].score, &sr) &&
                zrange_score_lte_max(md->v[i].score, &sr))
                model_remove_at(md, i), want++;
            else
                i++;
        cr_assert_eq(obj_zset_delete_score(z, &sr), want);
        break;
    }
    case 1: { /* ZREMRANGEBYRANK */
        long long start = (long long)rng_below(r, 8) - 4, stop = start + (long long)rng_below(r, 6);
        long long len = (long long)md->n, a = start < 0 ? start + len : start,
                  b = stop < 0 ? stop + len : stop;
        if (a < 0) a = 0;
        if (b >= len) b = len - 1;
        size_t want = a > b || a >= len ? 0 : (size_t)(b - a + 1);
        for (size_t k = 0; k < want; k++) model_remove_at(md, (size_t)a);
        cr_assert_eq(obj_zset_delete_rank(z, start, stop), want);
        break;
    }
    default: { /* ZPOPMIN / ZPOPMAX */
        bool max = rng_below(r, 2);
        double s;
        cr_assert_eq(obj_zset_pop(z, max, out, &s), md->n > 0);
        if (!md->n) break;
        size_t i = max ? md->n - 1 : 0;
        cr_assert(out->len == md->v[i].len && memcmp(out->data, md->v[i].m, out->len) == 0);
        cr_assert_eq(s, md->v[i].score);
        model_remove_at(md, i);
    }
    }
}

/* growing: mostly adds and no bulk removals, so the set reaches its pool's size. */
static void op_random(struct obj_zset *z, struct model *md, struct rng *r, size_t pool,
                      bool growing, struct buf *out)
{
    char buf[128];
    size_t len;
    const char *m = pick_member(r, buf, &len, pool);
    uint64_t op = rng_below(r, 20);
    if (growing && (op == 17 || rng_below(r, 2))) op = 0;
    if (op < 8)
        op_add(z, md, r, m, len);
    else if (op < 13)
        op_point(z, md, r, m, len);
    else if (op < 15)
        op_range_score(z, md, r);
    else if (op < 17)
        op_range_rank(z, md, r);
    else if (op < 18)
        op_bulk(z, md, r, out);
    else {
        struct obj_zset_entry e[20];
        size_t want = rng_below(r, 20), got = obj_zset_random_distinct(z, r, want, e);
        cr_assert_eq(got, MIN(want, md->n));
        for (size_t i = 0; i < got; i++) {
            long k = model_find(md, e[i].member, e[i].len);
            cr_assert(k >= 0 && md->v[k].score == e[i].score);
            for (size_t j = 0; j < i; j++) cr_assert(e[j].member != e[i].member);
        }
    }
}

Test(obj_zset, matches_model_with_invariants_after_every_operation)
{
    /* Pools of 100 members stay mostly listpack; 1500 become a skip list. */
    const size_t pools[] = {100, 1500, 1500};
    for (size_t p = 0; p < ARRAY_LEN(pools); p++) {
        struct rng r;
        rng_seed(&r, 1000 + p);
        struct obj_zset *z = obj_zset_create();
        struct model md = {.n = 0};
        struct buf out;
        buf_init(&out);
        size_t peak = 0;
        for (int i = 0; i < 12000; i++) {
            op_random(z, &md, &r, pools[p], i < 8000, &out);
            peak = MAX(peak, md.n);
            cr_assert_eq(obj_zset_check(z), 0, "op %d: invariant %d", i, obj_zset_check(z));
            cr_assert_eq(obj_zset_card(z), md.n);
            if (i % 50 == 0) check_same(z, &md);
        }
        check_same(z, &md);
        cr_log_info("pool %zu: peak %zu members, %zu at the end", pools[p], peak, md.n);
        cr_assert_gt(peak, pools[p] / 2, "the set grew enough");
        if (pools[p] <= DEF->max_listpack_entries)
            cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
        struct obj_zset *copy = obj_zset_dup(z);
        obj_zset_free(z);
        check_same(copy, &md);
        obj_zset_convert_if_small(copy, DEF);
        check_same(copy, &md);
        obj_zset_free(copy);
        model_free(&md);
        buf_free(&out);
    }
}

/* ---- lex ranges (all scores equal, as ZRANGEBYLEX requires) ------------------------------ */

static void pick_lex_bound(struct rng *r, char *buf, const char **b, size_t *blen,
                           enum zlex_bound *kind)
{
    uint64_t k = rng_below(r, 10);
    *kind = k == 0 ? ZLEX_NEG_INF : k == 1 ? ZLEX_POS_INF : k < 6 ? ZLEX_INCL : ZLEX_EXCL;
    int n = snprintf(buf, 16, "m%d", (int)rng_below(r, 30));
    if (rng_below(r, 4) == 0) n = 1; /* just "m": a prefix of every member */
    *b = buf;
    *blen = (size_t)n;
}

Test(obj_zset, lex_ranges_match_model_in_both_encodings)
{
    for (int big = 0; big < 2; big++) {
        struct rng r;
        rng_seed(&r, 77 + (uint64_t)big);
        struct obj_zset *z = obj_zset_create_hint(big ? 1000 : 1, 2, DEF);
        struct model md = {.n = 0};
        char buf[16];
        for (int i = 0; i < 30; i++) {
            int n = snprintf(buf, sizeof buf, "m%d", i);
            int out;
            double ns;
            obj_zset_add(z, 0, buf, (size_t)n, 0, &out, &ns, DEF);
            model_insert(&md, 0, buf, (size_t)n);
        }
        cr_assert_str_eq(obj_zset_encoding_name(z), big ? "skiplist" : "listpack");
        for (int round = 0; round < 3000; round++) {
            char b1[16], b2[16];
            struct zrange_lex lr;
            pick_lex_bound(&r, b1, &lr.min, &lr.minlen, &lr.min_kind);
            pick_lex_bound(&r, b2, &lr.max, &lr.maxlen, &lr.max_kind);
            bool reverse = rng_below(&r, 2);
            size_t offset = rng_below(&r, 3), nwant = 0;
            struct ment *want[64];
            for (size_t k = 0; k < md.n; k++) {
                struct ment *e = &md.v[reverse ? md.n - 1 - k : k];
                if (zrange_lex_gte_min(e->m, e->len, &lr) && zrange_lex_lte_max(e->m, e->len, &lr))
                    want[nwant++] = e;
            }
            cr_assert_eq(obj_zset_count_lex(z, &lr), nwant);
            struct obj_zset_iter it;
            struct obj_zset_entry e;
            size_t got = 0;
            obj_zset_iter_lex(&it, z, &lr, reverse, offset);
            while (obj_zset_iter_next(&it, &e)) cr_assert(entry_is(&e, want[offset + got++]));
            cr_assert_eq(got, nwant > offset ? nwant - offset : 0);
            if (round % 100 == 99) { /* occasionally delete the range, then refill */
                cr_assert_eq(obj_zset_delete_lex(z, &lr), nwant);
                for (size_t k = 0; k < nwant; k++) {
                    char *m = xmemdup(want[k]->m, want[k]->len);
                    size_t len = want[k]->len;
                    model_remove_at(&md, (size_t)model_find(&md, m, len));
                    int out;
                    double ns;
                    obj_zset_add(z, 0, m, len, 0, &out, &ns, DEF);
                    model_insert(&md, 0, m, len);
                    free(m);
                }
                cr_assert_eq(obj_zset_check(z), 0);
            }
        }
        obj_zset_free(z);
        model_free(&md);
    }
}

/* ---- flags, parsing, encodings, formatting ----------------------------------------------- */

static int zadd(struct obj_zset *z, double score, const char *m, int in, double *ns)
{
    int out;
    int rc = obj_zset_add(z, score, m, strlen(m), in, &out, ns, DEF);
    return rc < 0 ? rc : out;
}

Test(obj_zset, zadd_flags_report_what_happened)
{
    struct obj_zset *z = obj_zset_create();
    double ns;
    cr_assert_eq(zadd(z, 1, "a", OBJ_ZADD_XX, &ns), OBJ_ZADD_NOP);
    cr_assert_eq(zadd(z, 1, "a", 0, &ns), OBJ_ZADD_ADDED);
    cr_assert_eq(zadd(z, 1, "a", 0, &ns), 0); /* same score: neither added nor updated */
    cr_assert_eq(zadd(z, 2, "a", OBJ_ZADD_NX, &ns), OBJ_ZADD_NOP);
    cr_assert_eq(zadd(z, 0, "a", OBJ_ZADD_GT, &ns), OBJ_ZADD_NOP);
    cr_assert_eq(zadd(z, 5, "a", OBJ_ZADD_GT, &ns), OBJ_ZADD_UPDATED);
    cr_assert_eq(zadd(z, 7, "a", OBJ_ZADD_LT, &ns), OBJ_ZADD_NOP);
    cr_assert_eq(zadd(z, 3, "b", OBJ_ZADD_LT, &ns), OBJ_ZADD_ADDED); /* GT/LT never block adds */
    cr_assert_eq(zadd(z, 2.5, "a", OBJ_ZADD_INCR, &ns), OBJ_ZADD_UPDATED);
    cr_assert_eq(ns, 7.5);
    cr_assert_eq(zadd(z, -1, "a", OBJ_ZADD_INCR | OBJ_ZADD_GT, &ns), OBJ_ZADD_NOP);
    cr_assert_eq(zadd(z, INFINITY, "a", OBJ_ZADD_INCR, &ns), OBJ_ZADD_UPDATED);
    cr_assert_eq(zadd(z, -INFINITY, "a", OBJ_ZADD_INCR, &ns), OBJ_ZSET_ERR_NAN);
    double s;
    cr_assert(obj_zset_score(z, "a", 1, &s));
    cr_assert(isinf(s) && s > 0); /* unchanged by the failed increment */
    cr_assert_eq(obj_zset_incrby(z, "new", 3, 4, &ns, DEF), 0);
    cr_assert_eq(ns, 4);
    obj_zset_free(z);
}

Test(obj_zset, range_parsers_follow_redis_syntax)
{
    struct zrange_score sr;
    cr_assert_eq(obj_zset_parse_score_range("(1", 2, "+inf", 4, &sr), 0);
    cr_assert(sr.minex && !sr.maxex && sr.min == 1 && isinf(sr.max));
    cr_assert_eq(obj_zset_parse_score_range("-inf", 4, "(inf", 4, &sr), 0);
    cr_assert(sr.maxex && isinf(sr.max) && sr.min < 0);
    const char *bad[] = {"", "(", "abc", "nan", "(nan", "1x", " 1"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        cr_assert_eq(obj_zset_parse_score_range(bad[i], strlen(bad[i]), "1", 1, &sr),
                     OBJ_ZSET_ERR_RANGE, "%s", bad[i]);
    struct zrange_lex lr;
    cr_assert_eq(obj_zset_parse_lex_range("[a", 2, "(b", 2, &lr), 0);
    cr_assert(lr.min_kind == ZLEX_INCL && lr.max_kind == ZLEX_EXCL && lr.minlen == 1);
    cr_assert_eq(obj_zset_parse_lex_range("-", 1, "+", 1, &lr), 0);
    cr_assert(lr.min_kind == ZLEX_NEG_INF && lr.max_kind == ZLEX_POS_INF);
    cr_assert_eq(obj_zset_parse_lex_range("[", 1, "(", 1, &lr), 0); /* empty strings */
    const char *badlex[] = {"", "a", "+x", "-a", "{a"};
    for (size_t i = 0; i < ARRAY_LEN(badlex); i++)
        cr_assert_eq(obj_zset_parse_lex_range(badlex[i], strlen(badlex[i]), "+", 1, &lr),
                     OBJ_ZSET_ERR_RANGE, "%s", badlex[i]);
}

Test(obj_zset, listpack_converts_at_129_members_or_65_bytes_and_back_on_request)
{
    struct obj_zset *z = obj_zset_create();
    char buf[80];
    double ns;
    for (int i = 0; i < 128; i++) {
        snprintf(buf, sizeof buf, "m%03d", i);
        zadd(z, i, buf, 0, &ns);
    }
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    zadd(z, 0, "m000", 0, &ns); /* updating an existing member never converts */
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    zadd(z, 1000, "one-more", 0, &ns);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    cr_assert_eq(obj_zset_check(z), 0);
    obj_zset_delete(z, "one-more", 8);
    obj_zset_convert_if_small(z, DEF);
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    cr_assert_eq(obj_zset_card(z), 128);
    obj_zset_free(z);

    z = obj_zset_create();
    memset(buf, 'x', 65);
    buf[64] = '\0';
    zadd(z, 1, buf, 0, &ns);
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    buf[64] = 'x';
    buf[65] = '\0';
    zadd(z, 1, buf, 0, &ns);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    obj_zset_convert_if_small(z, DEF); /* a 65-byte member keeps it a skip list */
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    obj_zset_free(z);

    z = obj_zset_create_hint(129, 3, DEF);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    obj_zset_free(z);
}

Test(obj_zset, scores_format_as_redis)
{
    char buf[64];
    const struct {
        double v;
        const char *s;
    } cases[] = {{1.5, "1.5"},      {0.1, "0.10000000000000001"},
                 {INFINITY, "inf"}, {-INFINITY, "-inf"},
                 {-3, "-3"},        {1e300, "1.0000000000000001e+300"}};
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        obj_zset_format_score(cases[i].v, buf, sizeof buf);
        cr_assert_str_eq(buf, cases[i].s);
    }
}

Test(obj_zset, aggregate_sums_and_turns_nan_into_zero)
{
    struct obj_zset *z = obj_zset_create();
    obj_zset_aggregate(z, "a", 1, 2, OBJ_ZSET_AGG_SUM, DEF);
    obj_zset_aggregate(z, "a", 1, 3, OBJ_ZSET_AGG_SUM, DEF);
    obj_zset_aggregate(z, "b", 1, INFINITY, OBJ_ZSET_AGG_SUM, DEF);
    obj_zset_aggregate(z, "b", 1, -INFINITY, OBJ_ZSET_AGG_SUM, DEF);
    obj_zset_aggregate(z, "c", 1, 5, OBJ_ZSET_AGG_MIN, DEF);
    obj_zset_aggregate(z, "c", 1, 4, OBJ_ZSET_AGG_MIN, DEF);
    obj_zset_aggregate(z, "c", 1, 9, OBJ_ZSET_AGG_MAX, DEF);
    double s;
    cr_assert(obj_zset_score(z, "a", 1, &s) && s == 5);
    cr_assert(obj_zset_score(z, "b", 1, &s) && s == 0);
    cr_assert(obj_zset_score(z, "c", 1, &s) && s == 9);
    obj_zset_free(z);
}

struct scan_seen {
    unsigned char hit[3000];
};

static void scan_mark(void *ctx, const char *m, size_t len, double score)
{
    struct scan_seen *s = ctx;
    char buf[16];
    cr_assert_lt(len, sizeof buf);
    memcpy(buf, m, len);
    buf[len] = '\0';
    long i = strtol(buf + 1, NULL, 10);
    cr_assert_eq((double)i, score);
    s->hit[i] = 1;
}

Test(obj_zset, scan_reports_every_member_while_the_set_grows)
{
    struct obj_zset *z = obj_zset_create();
    char buf[16];
    double ns;
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "m%d", i);
        zadd(z, i, buf, 0, &ns);
    }
    struct scan_seen seen = {{0}};
    uint64_t cursor = 0;
    int next = 1000;
    do {
        cursor = obj_zset_scan(z, cursor, 10, scan_mark, &seen);
        for (int j = 0; j < 20 && next < 3000; j++, next++) {
            snprintf(buf, sizeof buf, "m%d", next);
            zadd(z, next, buf, 0, &ns);
        }
    } while (cursor);
    for (int i = 0; i < 1000; i++) cr_assert(seen.hit[i], "m%d missed", i);
    obj_zset_free(z);
}

/* Redis 7.0.15 on this machine: ZADD of 1,000,000 members "member:<i>" with score i * 1.5 grew
 * used_memory by 109.76 MB. */
Test(obj_zset, million_members_use_less_memory_than_redis)
{
    size_t before = memcount_used();
    struct obj_zset *z = obj_zset_create();
    char buf[32];
    double ns;
    for (int i = 0; i < 1000000; i++) {
        int n = snprintf(buf, sizeof buf, "member:%d", i);
        int out;
        obj_zset_add(z, i * 1.5, buf, (size_t)n, 0, &out, &ns, DEF);
    }
    size_t used = memcount_used() - before;
    cr_log_info("zset 1M members: %zu bytes", used);
    cr_assert_leq(used, 109760u * 1000, "used %zu bytes", used);
    cr_assert_eq(obj_zset_card(z), 1000000);
    size_t rank;
    double s;
    cr_assert(obj_zset_rank(z, "member:777777", 13, false, &rank, &s));
    cr_assert_eq(rank, 777777);
    obj_zset_free(z);
}

/* ---- configured limits (zset-max-listpack-entries, zset-max-listpack-value) ----------------- */

static void zadd_lim(struct obj_zset *z, double score, const char *m,
                     const struct obj_zset_limits *lim)
{
    int out;
    double ns;
    cr_assert_eq(obj_zset_add(z, score, m, strlen(m), 0, &out, &ns, lim), 0);
}

Test(obj_zset, listpack_limits_are_the_callers)
{
    struct obj_zset_limits lim = {3, 5};
    struct obj_zset *z = obj_zset_create_hint(1, 1, &lim);
    zadd_lim(z, 1, "a", &lim);
    zadd_lim(z, 2, "b", &lim);
    zadd_lim(z, 3, "ccccc", &lim);
    zadd_lim(z, 9, "a", &lim); /* an update of a member never converts */
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    cr_assert_not(obj_zset_listpack_fits(z, 1, &lim));
    zadd_lim(z, 4, "d", &lim);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    cr_assert(obj_zset_delete(z, "d", 1));
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist"); /* never back on shrink */
    obj_zset_convert_if_small(z, &lim);
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    cr_assert_eq(obj_zset_check(z), 0);
    obj_zset_free(z);

    z = obj_zset_create_hint(1, 1, &lim);
    zadd_lim(z, 1, "a", &lim);
    cr_assert(obj_zset_listpack_fits(z, 5, &lim));
    cr_assert_not(obj_zset_listpack_fits(z, 6, &lim));
    zadd_lim(z, 2, "bbbbbb", &lim);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    obj_zset_convert_if_small(z, &lim); /* a 6-byte member keeps it a skip list */
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    obj_zset_convert_if_small(z, DEF);
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    obj_zset_free(z);
}

Test(obj_zset, lowered_limits_apply_at_the_next_insert)
{
    struct obj_zset *z = obj_zset_create();
    char buf[16];
    for (int i = 0; i < 10; i++) {
        snprintf(buf, sizeof buf, "m%d", i);
        zadd_lim(z, i, buf, DEF);
    }
    struct obj_zset_limits small = {2, 64};
    double ns;
    cr_assert_eq(obj_zset_incrby(z, "m3", 2, 5, &ns, &small), 0); /* existing: no conversion */
    cr_assert(obj_zset_delete(z, "m0", 2));
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    cr_assert_eq(obj_zset_check(z), 0, "a listpack past today's limits is still valid");
    cr_assert_eq(obj_zset_incrby(z, "new", 3, 1, &ns, &small), 0);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    cr_assert_eq(obj_zset_card(z), 10);
    obj_zset_free(z);
}

Test(obj_zset, zero_entries_means_always_a_skiplist)
{
    struct obj_zset_limits none = {0, 64};
    struct obj_zset *z = obj_zset_create_hint(1, 1, &none);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    obj_zset_free(z);
    z = obj_zset_create();
    obj_zset_aggregate(z, "a", 1, 1, OBJ_ZSET_AGG_SUM, &none);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    obj_zset_convert_if_small(z, &none);
    cr_assert_str_eq(obj_zset_encoding_name(z), "skiplist");
    obj_zset_free(z);
    /* Large limits: the listpack grows past the defaults. */
    struct obj_zset_limits big = {1000, 200};
    z = obj_zset_create_hint(500, 150, &big);
    char buf[160];
    memset(buf, 'y', 150);
    buf[150] = '\0';
    for (int i = 0; i < 500; i++) {
        char num[16];
        int n = snprintf(num, sizeof num, "%07d", i);
        memcpy(buf, num, (size_t)n); /* distinct 150-byte members */
        zadd_lim(z, i, buf, &big);
    }
    cr_assert_str_eq(obj_zset_encoding_name(z), "listpack");
    cr_assert_eq(obj_zset_card(z), 500);
    cr_assert_eq(obj_zset_check(z), 0);
    obj_zset_free(z);
}
