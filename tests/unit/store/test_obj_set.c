/* obj_set: random operation sequences against an array model in every encoding, the encoding
 * conversions at each threshold (default and configured limits, never back on shrink, the
 * explicit rebuild), uniformity of random members, SSCAN coverage while the set changes, and
 * SINTER/SUNION/SDIFF against naive computations. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/rng.h"
#include "common/util.h"
#include "store/data/obj_set.h"

#define MODEL_MAX 2000

/* Redis's default limits (set-max-intset-entries 512, set-max-listpack-* 128 / 64). */
static const struct obj_set_limits *const DEF = &OBJ_SET_LIMITS_DEFAULT;

/* A model set: distinct strings, linear search. */
struct model {
    char *m[MODEL_MAX];
    size_t len[MODEL_MAX];
    size_t n;
};

static long model_find(const struct model *md, const char *s, size_t len)
{
    for (size_t i = 0; i < md->n; i++)
        if (md->len[i] == len && memcmp(md->m[i], s, len) == 0) return (long)i;
    return -1;
}

static bool model_add(struct model *md, const char *s, size_t len)
{
    if (model_find(md, s, len) >= 0) return false;
    ASSERT(md->n < MODEL_MAX);
    md->m[md->n] = xmemdup(s, len ? len : 1);
    md->len[md->n++] = len;
    return true;
}

static bool model_remove(struct model *md, const char *s, size_t len)
{
    long i = model_find(md, s, len);
    if (i < 0) return false;
    free(md->m[i]);
    md->m[i] = md->m[md->n - 1];
    md->len[i] = md->len[--md->n];
    return true;
}

static void model_free(struct model *md)
{
    for (size_t i = 0; i < md->n; i++) free(md->m[i]);
    md->n = 0;
}

static const char *val_str(const struct pack_val *v, char *num, size_t *len)
{
    return pack_val_str(v, num, len);
}

static bool model_has_val(const struct model *md, const struct pack_val *v)
{
    char num[PACK_NUMBUF];
    size_t len;
    const char *s = val_str(v, num, &len);
    return model_find(md, s, len) >= 0;
}

/* Members of one of four flavours so every encoding is reached. Flavour 0 draws from 420
 * canonical integers of every width, so it stays an intset. */
static const char *pick_member(struct rng *r, int flavour, char *buf, size_t *len)
{
    static const long long wide[] = {70000,     -70000, 2147483648LL, -2147483649LL, INT64_MAX,
                                     INT64_MIN, 40000,  -40000,       1LL << 40,     -(1LL << 50)};
    int n;
    uint64_t k = rng_below(r, 100);
    if (flavour == 3) /* at most 120 short members: stays a listpack */
        n = k < 50 ? snprintf(buf, 96, "%d", (int)rng_below(r, 50))
                   : snprintf(buf, 96, "m:%d", (int)rng_below(r, 70));
    else if (flavour == 0)
        n = k < 5 ? snprintf(buf, 96, "%lld", wide[rng_below(r, ARRAY_LEN(wide))])
                  : snprintf(buf, 96, "%d", (int)rng_below(r, 400) - 200);
    else if (k < 50) /* integers, wide ones and non-canonical forms that must stay strings */
        n = k % 10 == 0   ? snprintf(buf, 96, "%lld", (long long)rng_next(r) % 100000000000LL)
            : k % 17 == 0 ? snprintf(buf, 96, "0%d", (int)rng_below(r, 100))
                          : snprintf(buf, 96, "%d", (int)rng_below(r, 1200) - 600);
    else if (flavour == 1 || k < 97)
        n = snprintf(buf, 96, "m:%d", (int)rng_below(r, 1500));
    else
        n = snprintf(buf, 96, "long-member-%070d", (int)rng_below(r, 50));
    *len = (size_t)n;
    return buf;
}

static void check_same(struct obj_set *s, const struct model *md)
{
    cr_assert_eq(obj_set_check(s), 0, "invariant %d", obj_set_check(s));
    cr_assert_eq(obj_set_card(s), md->n);
    struct obj_set_iter it;
    struct pack_val v;
    size_t n = 0;
    obj_set_iter_init(&it, s);
    while (obj_set_iter_next(&it, &v)) {
        cr_assert(model_has_val(md, &v));
        n++;
    }
    cr_assert_eq(n, md->n);
}

static void op_random(struct obj_set *s, struct model *md, struct rng *r, int flavour,
                      struct buf *out)
{
    char buf[96];
    size_t len;
    const char *m = pick_member(r, flavour, buf, &len);
    uint64_t op = rng_below(r, 10);
    if (op < 4) {
        cr_assert_eq(obj_set_add(s, m, len, DEF), model_add(md, m, len) ? 1 : 0);
    } else if (op < 6) {
        cr_assert_eq(obj_set_remove(s, m, len), model_remove(md, m, len) ? 1 : 0);
    } else if (op == 6) {
        cr_assert_eq(obj_set_ismember(s, m, len), model_find(md, m, len) >= 0);
    } else if (op == 7) {
        bool ok = obj_set_pop(s, r, out);
        cr_assert_eq(ok, md->n > 0);
        if (ok) cr_assert(model_remove(md, out->data, out->len));
    } else {
        struct pack_val vals[40];
        size_t count = rng_below(r, 40);
        size_t got = obj_set_random_distinct(s, r, count, vals);
        cr_assert_eq(got, MIN(count, md->n));
        for (size_t i = 0; i < got; i++) {
            cr_assert(model_has_val(md, &vals[i]));
            for (size_t j = 0; j < i; j++) {
                char n1[PACK_NUMBUF], n2[PACK_NUMBUF];
                size_t l1, l2;
                const char *a = val_str(&vals[i], n1, &l1), *b = val_str(&vals[j], n2, &l2);
                cr_assert(l1 != l2 || memcmp(a, b, l1) != 0, "duplicate in distinct sample");
            }
        }
        struct pack_val one;
        cr_assert_eq(obj_set_random(s, r, &one), md->n > 0);
        if (md->n) cr_assert(model_has_val(md, &one));
    }
}

Test(obj_set, matches_model_over_random_operations_in_every_encoding)
{
    /* Redis 7.0's names: a small set of strings (flavour 3) is "hashtable" too. */
    static const char *final_enc[] = {"intset", "hashtable", "hashtable", "hashtable"};
    for (int flavour = 0; flavour < 4; flavour++) {
        struct rng r;
        rng_seed(&r, 100 + (uint64_t)flavour);
        struct obj_set *s = obj_set_create();
        struct model md = {.n = 0};
        struct buf out;
        buf_init(&out);
        for (int i = 0; i < 8000; i++) {
            op_random(s, &md, &r, flavour, &out);
            if (i % 13 == 0) check_same(s, &md);
        }
        check_same(s, &md);
        struct obj_set *copy = obj_set_dup(s);
        obj_set_free(s);
        check_same(copy, &md);
        cr_assert_str_eq(obj_set_encoding_name(copy), final_enc[flavour]);
        obj_set_free(copy);
        model_free(&md);
        buf_free(&out);
    }
}

static struct obj_set *set_of_ints(int n)
{
    struct obj_set *s = obj_set_create();
    char buf[16];
    for (int i = 0; i < n; i++)
        obj_set_add(s, buf, (size_t)snprintf(buf, sizeof buf, "%d", i), DEF);
    return s;
}

Test(obj_set, intset_holds_512_integers_then_becomes_hashtable)
{
    struct obj_set *s = set_of_ints(512);
    cr_assert_str_eq(obj_set_encoding_name(s), "intset");
    cr_assert_eq(obj_set_add(s, "512", 3, DEF), 1);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert(obj_set_ismember(s, "0", 1));
    cr_assert_eq(obj_set_card(s), 513);
    obj_set_free(s);
    /* Width upgrades keep order and membership. */
    s = obj_set_create();
    const char *v[] = {"5", "-70000", "9223372036854775807", "-9223372036854775808", "40000"};
    for (size_t i = 0; i < ARRAY_LEN(v); i++)
        cr_assert_eq(obj_set_add(s, v[i], strlen(v[i]), DEF), 1);
    cr_assert_eq(obj_set_check(s), 0);
    for (size_t i = 0; i < ARRAY_LEN(v); i++) cr_assert(obj_set_ismember(s, v[i], strlen(v[i])));
    cr_assert_not(obj_set_ismember(s, "05", 2));
    cr_assert_str_eq(obj_set_encoding_name(s), "intset");
    obj_set_free(s);
}

Test(obj_set, non_integer_moves_intset_to_listpack_or_hashtable)
{
    /* Redis 7.0 reports both non-integer encodings as "hashtable"; the structure's own
     * listpack stage (<= 128 members of <= 64 bytes) is checked through membership only. */
    struct obj_set *s = set_of_ints(127);
    cr_assert_eq(obj_set_add(s, "a", 1, DEF), 1);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert(obj_set_ismember(s, "5", 1));
    cr_assert_eq(obj_set_add(s, "b", 1, DEF), 0 + 1);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable"); /* 129 members */
    obj_set_free(s);
    s = set_of_ints(128);
    obj_set_add(s, "a", 1, DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    obj_set_free(s);
    char big[65];
    memset(big, 'x', sizeof big);
    s = set_of_ints(3);
    obj_set_add(s, big, 64, DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    obj_set_add(s, big, 65, DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert_eq(obj_set_card(s), 5);
    obj_set_free(s);
}

Test(obj_set, create_for_picks_the_encoding_from_the_hint)
{
    struct obj_set *s = obj_set_create_for("1", 1, 3, DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "intset");
    obj_set_free(s);
    s = obj_set_create_for("a", 1, 128, DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    obj_set_free(s);
    s = obj_set_create_for("1", 1, 600, DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    obj_set_free(s);
}

static void random_counts(struct obj_set *s, size_t n, size_t draws, size_t lo, size_t hi)
{
    struct rng r;
    rng_seed(&r, 7);
    size_t *hits = xcalloc(n, sizeof *hits);
    for (size_t i = 0; i < draws; i++) {
        struct pack_val v;
        char num[PACK_NUMBUF];
        size_t len;
        cr_assert(obj_set_random(s, &r, &v));
        const char *m = pack_val_str(&v, num, &len);
        hits[strtoul(m + 2, NULL, 10)]++;
    }
    for (size_t i = 0; i < n; i++)
        cr_assert(hits[i] >= lo && hits[i] <= hi, "%zu: %zu", i, hits[i]);
    free(hits);
}

Test(obj_set, random_member_is_uniform)
{
    char buf[16];
    struct obj_set *s = obj_set_create();
    for (int i = 0; i < 100; i++)
        obj_set_add(s, buf, (size_t)snprintf(buf, sizeof buf, "m:%d", i), DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    random_counts(s, 100, 100000, 850, 1150); /* expected 1000, sd ~31 */
    for (int i = 100; i < 300; i++)
        obj_set_add(s, buf, (size_t)snprintf(buf, sizeof buf, "m:%d", i), DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    random_counts(s, 300, 300000, 850, 1150);
    obj_set_free(s);
}

struct seen {
    struct model *md;
    unsigned char *hit; /* per model index */
};

static void scan_mark(void *ctx, const struct pack_val *v)
{
    struct seen *sn = ctx;
    char num[PACK_NUMBUF];
    size_t len;
    const char *m = pack_val_str(v, num, &len);
    long i = model_find(sn->md, m, len);
    if (i >= 0) sn->hit[i] = 1;
}

Test(obj_set, scan_reports_every_member_present_throughout_while_the_set_grows)
{
    struct obj_set *s = obj_set_create();
    struct model md = {.n = 0};
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        size_t len = (size_t)snprintf(buf, sizeof buf, "k%d", i);
        obj_set_add(s, buf, len, DEF);
        model_add(&md, buf, len);
    }
    struct seen sn = {.md = &md, .hit = xcalloc(MODEL_MAX, 1)};
    uint64_t cursor = 0;
    int extra = 0, calls = 0;
    do {
        cursor = obj_set_scan(s, cursor, 10, scan_mark, &sn);
        for (int j = 0; j < 30; j++) { /* grow between calls: the table resizes under the scan */
            size_t len = (size_t)snprintf(buf, sizeof buf, "x%d", extra++);
            obj_set_add(s, buf, len, DEF);
        }
        calls++;
    } while (cursor != 0);
    cr_assert_gt(calls, 5);
    for (size_t i = 0; i < md.n; i++) cr_assert(sn.hit[i], "member %zu missed", i);
    free(sn.hit);
    model_free(&md);
    obj_set_free(s);
}

static bool in_set(struct obj_set *s, const char *m, size_t len)
{
    return s && obj_set_ismember(s, m, len);
}

Test(obj_set, algebra_matches_naive_computation)
{
    struct rng r;
    rng_seed(&r, 42);
    for (int round = 0; round < 60; round++) {
        struct obj_set *sets[4];
        size_t n = 1 + rng_below(&r, 4);
        for (size_t i = 0; i < n; i++) {
            if (rng_below(&r, 8) == 0) {
                sets[i] = NULL; /* a missing key */
                continue;
            }
            sets[i] = obj_set_create();
            int flavour = (int)rng_below(&r, 3), count = (int)rng_below(&r, 400);
            char buf[96];
            size_t len;
            for (int k = 0; k < count; k++) {
                const char *m = pick_member(&r, flavour, buf, &len);
                obj_set_add(sets[i], m, len, DEF);
            }
        }
        struct obj_set *inter = obj_set_inter(sets, n, DEF), *uni = obj_set_union(sets, n, DEF);
        struct obj_set *diff = obj_set_diff(sets, n, DEF);
        /* Every candidate member comes from some input, so checking the union covers all. */
        struct obj_set_iter it;
        struct pack_val v;
        size_t want_inter = 0;
        obj_set_iter_init(&it, uni);
        while (obj_set_iter_next(&it, &v)) {
            char num[PACK_NUMBUF];
            size_t len;
            const char *m = pack_val_str(&v, num, &len);
            bool all = true, others = false;
            for (size_t i = 0; i < n; i++) all = all && in_set(sets[i], m, len);
            for (size_t i = 1; i < n; i++) others = others || in_set(sets[i], m, len);
            cr_assert_eq(obj_set_ismember(inter, m, len), all);
            cr_assert_eq(obj_set_ismember(diff, m, len), in_set(sets[0], m, len) && !others);
            want_inter += all;
        }
        cr_assert_eq(obj_set_card(inter), want_inter);
        cr_assert_eq(obj_set_inter_card(sets, n, 0), want_inter);
        cr_assert_eq(obj_set_inter_card(sets, n, 3), MIN(want_inter, 3));
        for (size_t i = 0; i < n; i++) {
            if (!sets[i]) continue;
            obj_set_iter_init(&it, sets[i]);
            while (obj_set_iter_next(&it, &v)) cr_assert(obj_set_ismember_val(uni, &v));
            obj_set_free(sets[i]);
        }
        cr_assert_eq(obj_set_check(inter), 0);
        cr_assert_eq(obj_set_check(diff), 0);
        obj_set_free(inter);
        obj_set_free(uni);
        obj_set_free(diff);
    }
}

Test(obj_set, diff_of_a_set_with_itself_is_empty)
{
    struct obj_set *s = set_of_ints(50);
    obj_set_add(s, "a", 1, DEF);
    struct obj_set *sets[2] = {s, s};
    struct obj_set *d = obj_set_diff(sets, 2, DEF);
    cr_assert_eq(obj_set_card(d), 0);
    obj_set_free(d);
    obj_set_free(s);
}

/* ---- configured limits (set-max-intset-entries, set-max-listpack-*) ------------------------ */

static void add_ints(struct obj_set *s, int from, int to, const struct obj_set_limits *lim)
{
    char buf[16];
    for (int i = from; i < to; i++)
        obj_set_add(s, buf, (size_t)snprintf(buf, sizeof buf, "%d", i), lim);
}

Test(obj_set, intset_limit_is_the_callers_and_shrinking_never_converts_back)
{
    struct obj_set_limits lim = {3, 128, 64};
    struct obj_set *s = obj_set_create_for("1", 1, 1, &lim);
    add_ints(s, 1, 4, &lim);
    obj_set_add(s, "3", 1, &lim); /* a duplicate does not count */
    cr_assert_str_eq(obj_set_encoding_name(s), "intset");
    cr_assert_eq(obj_set_add(s, "4", 1, &lim), 1);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert(obj_set_is_listpack(s), "4 integers fit the listpack limits");
    cr_assert_eq(obj_set_remove(s, "4", 1), 1);
    cr_assert_eq(obj_set_remove(s, "3", 1), 1);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert_eq(obj_set_check(s), 0);
    obj_set_free(s);
    /* 0: not even one integer stays an intset (Redis 7.0 converts after the first insert). */
    lim.max_intset_entries = 0;
    s = obj_set_create();
    cr_assert_eq(obj_set_add(s, "7", 1, &lim), 1);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert(obj_set_ismember(s, "7", 1));
    obj_set_free(s);
    s = obj_set_create_for("7", 1, 1, &lim);
    cr_assert_str_neq(obj_set_encoding_name(s), "intset");
    obj_set_free(s);
}

Test(obj_set, raised_intset_limit_applies_to_the_next_insert)
{
    struct obj_set *s = set_of_ints(10);
    struct obj_set_limits big = {100000, 128, 64};
    add_ints(s, 10, 5000, &big);
    cr_assert_str_eq(obj_set_encoding_name(s), "intset");
    cr_assert_eq(obj_set_card(s), 5000);
    /* Lowering the limit changes nothing until an insert: removals and duplicates convert
     * nothing. */
    struct obj_set_limits small = {100, 128, 64};
    cr_assert_eq(obj_set_remove(s, "0", 1), 1);
    cr_assert_eq(obj_set_add(s, "1", 1, &small), 0);
    cr_assert_str_eq(obj_set_encoding_name(s), "intset");
    cr_assert_eq(obj_set_add(s, "0", 1, &small), 1);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert_not(obj_set_is_listpack(s), "5000 members do not fit a 128-entry listpack");
    cr_assert_eq(obj_set_check(s), 0);
    obj_set_free(s);
}

Test(obj_set, listpack_limits_are_the_callers)
{
    struct obj_set_limits lim = {512, 4, 10};
    struct obj_set *s = obj_set_create_for("a", 1, 1, &lim);
    cr_assert(obj_set_is_listpack(s));
    const char *m[] = {"a", "b", "c", "0123456789"};
    for (size_t i = 0; i < ARRAY_LEN(m); i++) obj_set_add(s, m[i], strlen(m[i]), &lim);
    cr_assert(obj_set_is_listpack(s));
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable"); /* Redis 7.0's name */
    cr_assert_eq(obj_set_add(s, "e", 1, &lim), 1);
    cr_assert_not(obj_set_is_listpack(s), "a 5th member breaks max_listpack_entries 4");
    cr_assert_eq(obj_set_card(s), 5);
    obj_set_free(s);
    s = obj_set_create_for("a", 1, 1, &lim);
    obj_set_add(s, "a", 1, &lim);
    cr_assert_eq(obj_set_add(s, "01234567890", 11, &lim), 1);
    cr_assert_not(obj_set_is_listpack(s), "11 bytes break max_listpack_value 10");
    obj_set_free(s);
    /* An intset meeting a non-integer: listpack only if the result fits. */
    s = set_of_ints(4);
    obj_set_add(s, "x", 1, &lim);
    cr_assert_not(obj_set_is_listpack(s));
    cr_assert_eq(obj_set_card(s), 5);
    obj_set_free(s);
    s = set_of_ints(3);
    obj_set_add(s, "x", 1, &lim);
    cr_assert(obj_set_is_listpack(s));
    cr_assert_eq(obj_set_check(s), 0);
    obj_set_free(s);
    /* A listpack built under larger limits stays one until the next insert. */
    s = obj_set_create_for("a", 1, 1, DEF);
    for (int i = 0; i < 20; i++) {
        char buf[16];
        obj_set_add(s, buf, (size_t)snprintf(buf, sizeof buf, "m%d", i), DEF);
    }
    cr_assert(obj_set_is_listpack(s));
    cr_assert_eq(obj_set_remove(s, "m3", 2), 1);
    cr_assert_eq(obj_set_check(s), 0);
    cr_assert(obj_set_is_listpack(s));
    obj_set_add(s, "m3", 2, &lim);
    cr_assert_not(obj_set_is_listpack(s));
    obj_set_free(s);
}

Test(obj_set, create_for_follows_the_given_limits)
{
    struct obj_set_limits none = {0, 0, 0};
    struct obj_set *s = obj_set_create_for("1", 1, 1, &none);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert_not(obj_set_is_listpack(s));
    obj_set_add(s, "1", 1, &none);
    cr_assert(obj_set_ismember(s, "1", 1));
    obj_set_free(s);
    struct obj_set_limits lim = {5, 2, 64};
    s = obj_set_create_for("1", 1, 5, &lim);
    cr_assert_str_eq(obj_set_encoding_name(s), "intset");
    obj_set_free(s);
    s = obj_set_create_for("1", 1, 6, &lim);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert_not(obj_set_is_listpack(s), "6 > max_listpack_entries 2");
    obj_set_free(s);
    s = obj_set_create_for("a", 1, 2, &lim);
    cr_assert(obj_set_is_listpack(s));
    obj_set_free(s);
}

Test(obj_set, reencode_picks_the_encoding_a_fresh_set_would_have)
{
    struct obj_set_limits lim = {3, 128, 64};
    struct obj_set *s = obj_set_create();
    add_ints(s, 0, 20, &lim);
    cr_assert(obj_set_is_listpack(s), "past the intset limit, within the listpack's");
    add_ints(s, 100, 300, &lim); /* 220 members: past the listpack too, a real hashtable */
    cr_assert_not(obj_set_is_listpack(s));
    for (int i = 2; i < 20; i++) {
        char buf[16];
        obj_set_remove(s, buf, (size_t)snprintf(buf, sizeof buf, "%d", i));
    }
    for (int i = 100; i < 300; i++) {
        char buf[16];
        obj_set_remove(s, buf, (size_t)snprintf(buf, sizeof buf, "%d", i));
    }
    cr_assert_eq(obj_set_card(s), 2);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable"); /* removals never convert */
    obj_set_reencode(s, &lim);
    cr_assert_str_eq(obj_set_encoding_name(s), "intset");
    cr_assert(obj_set_ismember(s, "0", 1) && obj_set_ismember(s, "1", 1));
    cr_assert_eq(obj_set_check(s), 0);
    /* Too many integers for the intset limit: not an intset; a string: never an intset. */
    struct obj_set_limits one = {1, 128, 64};
    obj_set_reencode(s, &one);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert(obj_set_is_listpack(s));
    obj_set_add(s, "x", 1, &lim);
    obj_set_remove(s, "0", 1);
    obj_set_reencode(s, DEF);
    cr_assert_str_eq(obj_set_encoding_name(s), "hashtable");
    cr_assert_eq(obj_set_card(s), 2);
    cr_assert(obj_set_ismember(s, "x", 1) && obj_set_ismember(s, "1", 1));
    cr_assert_eq(obj_set_check(s), 0);
    obj_set_free(s);
}

Test(obj_set, algebra_results_follow_the_given_limits)
{
    struct obj_set *a = set_of_ints(6), *b = set_of_ints(3);
    struct obj_set *sets[2] = {a, b};
    struct obj_set_limits lim = {3, 128, 64};
    struct obj_set *u = obj_set_union(sets, 2, &lim), *i = obj_set_inter(sets, 2, &lim);
    struct obj_set *d = obj_set_diff(sets, 2, &lim);
    cr_assert_str_eq(obj_set_encoding_name(u), "hashtable"); /* 6 > 3 */
    cr_assert_str_eq(obj_set_encoding_name(i), "intset");    /* 3 */
    cr_assert_str_eq(obj_set_encoding_name(d), "intset");    /* 3, 4, 5 */
    obj_set_free(u);
    obj_set_free(i);
    obj_set_free(d);
    u = obj_set_union(sets, 2, DEF);
    cr_assert_str_eq(obj_set_encoding_name(u), "intset");
    obj_set_free(u);
    obj_set_free(a);
    obj_set_free(b);
}
