/* Tests for store/obj_hash: listpack -> hashtable conversion at both thresholds (entries and
 * value length, field length too), field operations in both encodings against a model, HINCRBY
 * and HINCRBYFLOAT errors, iteration, scan, random fields (distinct and repeated), and dup. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "store/data/obj_hash.h"

static const struct obj_hash_limits LIM = {128, 64};

static int set(struct obj_hash *h, const char *f, const char *v)
{
    return obj_hash_set(h, f, strlen(f), v, strlen(v), &LIM);
}

static void assert_get(struct obj_hash *h, const char *f, const char *want)
{
    const char *v;
    size_t vlen;
    cr_assert(obj_hash_get(h, f, strlen(f), &v, &vlen), "field %s missing", f);
    cr_assert_eq(vlen, strlen(want));
    cr_assert(memcmp(v, want, vlen) == 0, "%s: got %.*s", f, (int)vlen, v);
}

static struct obj_hash *filled(int n)
{
    struct obj_hash *h = obj_hash_create();
    for (int i = 0; i < n; i++) {
        char f[16], v[16];
        snprintf(f, sizeof f, "f%d", i);
        snprintf(v, sizeof v, "v%d", i);
        cr_assert_eq(set(h, f, v), 1);
    }
    return h;
}

Test(obj_hash, converts_when_entries_exceed_limit)
{
    struct obj_hash *h = filled(128);
    cr_assert_str_eq(obj_hash_encoding(h), "listpack");
    cr_assert_eq(set(h, "f0", "changed"), 0, "updating does not add");
    cr_assert_str_eq(obj_hash_encoding(h), "listpack");
    cr_assert_eq(set(h, "one-more", "x"), 1);
    cr_assert_str_eq(obj_hash_encoding(h), "hashtable");
    cr_assert_eq(obj_hash_len(h), 129);
    assert_get(h, "f0", "changed");
    assert_get(h, "f127", "v127");
    assert_get(h, "one-more", "x");
    /* Never converts back. */
    for (int i = 0; i < 128; i++) {
        char f[16];
        snprintf(f, sizeof f, "f%d", i);
        cr_assert(obj_hash_del(h, f, strlen(f)));
    }
    cr_assert_str_eq(obj_hash_encoding(h), "hashtable");
    cr_assert_eq(obj_hash_len(h), 1);
    obj_hash_free(h);
}

Test(obj_hash, converts_when_value_or_field_exceeds_length_limit)
{
    char v64[65], v65[66];
    memset(v64, 'x', 64);
    v64[64] = 0;
    memset(v65, 'y', 65);
    v65[65] = 0;
    struct obj_hash *h = obj_hash_create();
    set(h, "a", v64);
    cr_assert_str_eq(obj_hash_encoding(h), "listpack", "64 bytes is still small");
    set(h, "b", v65);
    cr_assert_str_eq(obj_hash_encoding(h), "hashtable");
    assert_get(h, "a", v64);
    assert_get(h, "b", v65);
    obj_hash_free(h);

    h = obj_hash_create();
    set(h, v65, "short");
    cr_assert_str_eq(obj_hash_encoding(h), "hashtable", "a long field converts too");
    assert_get(h, v65, "short");
    obj_hash_free(h);

    /* Limits are the caller's: a smaller configured limit converts earlier. */
    struct obj_hash_limits tiny = {2, 4};
    h = obj_hash_create();
    obj_hash_set(h, "a", 1, "1", 1, &tiny);
    obj_hash_set(h, "b", 1, "2", 1, &tiny);
    cr_assert(obj_hash_is_listpack(h));
    obj_hash_set(h, "c", 1, "3", 1, &tiny);
    cr_assert(!obj_hash_is_listpack(h));
    obj_hash_free(h);
}

Test(obj_hash, converts_when_hincrbyfloat_result_is_long)
{
    struct obj_hash_limits lim = {128, 8};
    struct obj_hash *h = obj_hash_create();
    char out[KS_FLOAT_BUF];
    size_t n;
    cr_assert_eq(obj_hash_incrbyfloat(h, "f", 1, 1.0L / 3, out, sizeof out, &n, &lim), KS_OK);
    cr_assert_gt(n, 8);
    cr_assert_str_eq(obj_hash_encoding(h), "hashtable");
    obj_hash_free(h);
}

static void check_model(struct obj_hash *h, char **model, int space)
{
    size_t count = 0;
    for (int i = 0; i < space; i++) {
        char f[16];
        int n = snprintf(f, sizeof f, "field:%d", i);
        if (model[i]) {
            assert_get(h, f, model[i]);
            cr_assert_eq(obj_hash_strlen(h, f, (size_t)n), strlen(model[i]));
            count++;
        } else {
            cr_assert(!obj_hash_exists(h, f, (size_t)n));
            cr_assert_eq(obj_hash_strlen(h, f, (size_t)n), 0);
        }
    }
    cr_assert_eq(obj_hash_len(h), count);
}

Test(obj_hash, matches_model_in_both_encodings)
{
    enum { SPACE = 300 };
    char *model[SPACE] = {0};
    struct obj_hash *h = obj_hash_create();
    struct rng r;
    rng_seed(&r, 11);
    bool converted = false;
    for (int i = 0; i < 20000; i++) {
        int id = (int)rng_below(&r, i < 5000 ? 100 : SPACE); /* small first, then grow */
        char f[16], v[80];
        int fl = snprintf(f, sizeof f, "field:%d", id);
        if (rng_below(&r, 3) > 0) {
            size_t vl = rng_below(&r, 70);
            memset(v, 'a' + (int)(i % 26), vl);
            v[vl] = 0;
            int added = obj_hash_set(h, f, (size_t)fl, v, vl, &LIM);
            cr_assert_eq(added, model[id] == NULL);
            free(model[id]);
            model[id] = strdup(v);
        } else {
            cr_assert_eq(obj_hash_del(h, f, (size_t)fl), model[id] != NULL);
            free(model[id]);
            model[id] = NULL;
        }
        if (!obj_hash_is_listpack(h)) converted = true;
        if (i % 997 == 0) check_model(h, model, SPACE);
    }
    check_model(h, model, SPACE);
    cr_assert(converted);
    for (int i = 0; i < SPACE; i++) free(model[i]);
    obj_hash_free(h);
}

Test(obj_hash, incrby_handles_absent_overflow_and_non_integers)
{
    for (int big = 0; big < 2; big++) {
        struct obj_hash *h = filled(big ? 200 : 3);
        long long r;
        cr_assert_eq(obj_hash_incrby(h, "n", 1, 5, &r, &LIM), KS_OK);
        cr_assert_eq(r, 5);
        cr_assert_eq(obj_hash_incrby(h, "n", 1, -10, &r, &LIM), KS_OK);
        assert_get(h, "n", "-5");
        set(h, "max", "9223372036854775807");
        cr_assert_eq(obj_hash_incrby(h, "max", 3, 1, &r, &LIM), KS_ERR_OVERFLOW);
        assert_get(h, "max", "9223372036854775807");
        cr_assert_eq(obj_hash_incrby(h, "f1", 2, 1, &r, &LIM), KS_ERR_NOT_INT);
        set(h, "lead", "01");
        cr_assert_eq(obj_hash_incrby(h, "lead", 4, 1, &r, &LIM), KS_ERR_NOT_INT);
        char out[KS_FLOAT_BUF];
        size_t n;
        cr_assert_eq(obj_hash_incrbyfloat(h, "n", 1, 0.5L, out, sizeof out, &n, &LIM), KS_OK);
        cr_assert_str_eq(out, "-4.5");
        assert_get(h, "n", "-4.5");
        cr_assert_eq(obj_hash_incrbyfloat(h, "f1", 2, 1, out, sizeof out, &n, &LIM),
                     KS_ERR_NOT_FLOAT);
        cr_assert_eq(
            obj_hash_incrbyfloat(h, "n", 1, (long double)INFINITY, out, sizeof out, &n, &LIM),
            KS_ERR_NAN);
        obj_hash_free(h);
    }
}

struct collected {
    int hits[400];
    int total;
};

static void collect(void *ctx, const char *f, size_t flen, const char *v, size_t vlen)
{
    struct collected *c = ctx;
    cr_assert_gt(flen, 1);
    cr_assert_eq(f[0], 'f');
    int id = atoi(f + 1);
    char want[16];
    snprintf(want, sizeof want, "v%d", id);
    cr_assert(vlen == strlen(want) && memcmp(v, want, vlen) == 0);
    c->hits[id]++;
    c->total++;
}

Test(obj_hash, iterate_and_scan_report_every_field_in_both_encodings)
{
    for (int n = 10; n <= 300; n += 290) {
        struct obj_hash *h = filled(n);
        struct collected c = {0};
        struct obj_hash_iter it;
        obj_hash_iter_init(&it, h);
        const char *f, *v;
        size_t fl, vl;
        while (obj_hash_iter_next(&it, &f, &fl, &v, &vl)) collect(&c, f, fl, v, vl);
        obj_hash_iter_done(&it);
        cr_assert_eq(c.total, n);
        for (int i = 0; i < n; i++) cr_assert_eq(c.hits[i], 1);

        memset(&c, 0, sizeof c);
        uint64_t cursor = 0;
        int calls = 0;
        do {
            cursor = obj_hash_scan(h, cursor, collect, &c);
            calls++;
        } while (cursor);
        if (n == 10) cr_assert_eq(calls, 1, "a listpack hash scans in one call");
        for (int i = 0; i < n; i++) cr_assert_geq(c.hits[i], 1);
        obj_hash_free(h);
    }
}

Test(obj_hash, random_fields_distinct_and_repeated)
{
    struct rng r;
    rng_seed(&r, 5);
    for (int n = 20; n <= 400; n += 380) {
        struct obj_hash *h = filled(n);
        int counts[] = {1, 5, n / 2, n - 1, n, n + 10};
        for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
            struct collected c = {0};
            size_t got = obj_hash_random_fields(h, &r, (size_t)counts[k], false, collect, &c);
            cr_assert_eq(got, (size_t)(counts[k] < n ? counts[k] : n));
            cr_assert_eq(c.total, (int)got);
            for (int i = 0; i < n; i++) cr_assert_leq(c.hits[i], 1, "distinct");
        }
        struct collected c = {0};
        cr_assert_eq(obj_hash_random_fields(h, &r, 5000, true, collect, &c), 5000);
        cr_assert_eq(c.total, 5000);
        int covered = 0;
        for (int i = 0; i < n; i++) covered += c.hits[i] > 0;
        cr_assert_eq(covered, n, "5000 picks cover every one of %d fields", n);
        obj_hash_free(h);
    }
    struct obj_hash *empty = obj_hash_create();
    struct collected c = {0};
    cr_assert_eq(obj_hash_random_fields(empty, &r, 3, true, collect, &c), 0);
    obj_hash_free(empty);
}

Test(obj_hash, dup_is_deep_in_both_encodings)
{
    for (int n = 5; n <= 205; n += 200) {
        struct obj_hash *h = filled(n);
        struct obj_hash *d = obj_hash_dup(h);
        cr_assert_str_eq(obj_hash_encoding(d), obj_hash_encoding(h));
        set(d, "f0", "other");
        assert_get(h, "f0", "v0");
        assert_get(d, "f0", "other");
        cr_assert_eq(obj_hash_len(d), (size_t)n);
        cr_assert_gt(obj_hash_mem_usage(d), (size_t)n * 4);
        obj_hash_free(h);
        obj_hash_free(d);
    }
}
