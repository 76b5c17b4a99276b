/* obj_hll: accuracy (1,000,000 distinct items within 2%), registers against a plain array model
 * through sparse and dense encodings, sparse -> dense promotion, merging sparse with dense,
 * the cached cardinality, rejection of bytes that are not an HLL, and Redis 7.0's exact bytes
 * (MurmurHash64A answers and sparse strings taken from redis-server's GET output). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/rng.h"
#include "common/util.h"
#include "store/data/obj_hll.h"

#define MAX_SPARSE OBJ_HLL_SPARSE_MAX_BYTES_DEFAULT

static int add_str_max(struct buf *h, const char *s, size_t max)
{
    return obj_hll_add(h, s, strlen(s), max);
}

static int add_str(struct buf *h, const char *s) { return add_str_max(h, s, MAX_SPARSE); }

static struct obj_hll_regs m_scratch;

static uint64_t count_of(const struct buf *h)
{
    uint64_t c = 0;
    cr_assert_eq(obj_hll_count(h->data, h->len, &c), 0);
    return c;
}

static void assert_close(uint64_t est, uint64_t truth, double tolerance)
{
    double err = ((double)est - (double)truth) / (double)truth;
    cr_assert(err <= tolerance && err >= -tolerance, "estimate %llu for %llu (%.3f%%)",
              (unsigned long long)est, (unsigned long long)truth, err * 100);
}

Test(obj_hll, million_distinct_items_within_two_percent)
{
    struct buf h;
    buf_init(&h);
    obj_hll_create(&h);
    cr_assert_eq(count_of(&h), 0);
    char item[32];
    uint64_t checkpoints[] = {10, 100, 1000, 10000, 100000, 1000000};
    size_t next = 0;
    for (uint64_t i = 1; i <= 1000000; i++) {
        int n = snprintf(item, sizeof item, "visitor:%llu", (unsigned long long)i);
        obj_hll_add(&h, item, (size_t)n, MAX_SPARSE);
        if (i == checkpoints[next]) {
            uint64_t est = count_of(&h);
            cr_log_info("%llu distinct -> %llu", (unsigned long long)i, (unsigned long long)est);
            assert_close(est, i, i < 1000 ? 0.05 : 0.02);
            next++;
        }
    }
    cr_assert_eq(next, ARRAY_LEN(checkpoints));
    cr_assert_not(obj_hll_is_sparse(h.data, h.len));
    cr_assert_eq(h.len, OBJ_HLL_DENSE_BYTES);
    /* Adding the same items again changes nothing. */
    for (uint64_t i = 1; i <= 1000; i++) {
        int n = snprintf(item, sizeof item, "visitor:%llu", (unsigned long long)i);
        cr_assert_eq(obj_hll_add(&h, item, (size_t)n, MAX_SPARSE), 0);
    }
    buf_free(&h);
}

/* The registers an HLL holds, through the merge API (which decodes either encoding). */
static void regs_of(const struct buf *h, struct obj_hll_regs *m)
{
    obj_hll_regs_init(m);
    cr_assert_eq(obj_hll_regs_merge(m, h->data, h->len), 0);
}

Test(obj_hll, registers_match_a_plain_model_through_promotion)
{
    static uint8_t model[OBJ_HLL_REGISTERS];
    static struct obj_hll_regs got;
    memset(model, 0, sizeof model);
    struct buf h;
    buf_init(&h);
    obj_hll_create(&h);
    struct rng r;
    rng_seed(&r, 5);
    bool was_sparse = true;
    size_t promoted_at = 0;
    for (size_t i = 0; i < 20000; i++) {
        char item[32];
        int n = snprintf(item, sizeof item, "e%llu", (unsigned long long)rng_below(&r, 15000));
        /* The model applies the documented rule to the exported hash. */
        uint64_t hv = obj_hll_hash(item, (size_t)n);
        uint32_t idx = (uint32_t)(hv & (OBJ_HLL_REGISTERS - 1));
        uint8_t val = (uint8_t)(__builtin_ctzll((hv >> 14) | (1ULL << 50)) + 1);
        bool changes = val > model[idx];
        if (changes) model[idx] = val;
        cr_assert_eq(obj_hll_add(&h, item, (size_t)n, MAX_SPARSE), changes ? 1 : 0);
        cr_assert_eq(obj_hll_validate(h.data, h.len), 0);
        bool sparse = obj_hll_is_sparse(h.data, h.len);
        if (was_sparse && !sparse) promoted_at = i;
        cr_assert(!(sparse && !was_sparse), "dense never goes back to sparse");
        was_sparse = sparse;
        if (sparse) cr_assert_leq(h.len, MAX_SPARSE);
        if (i % 97 == 0 || i == promoted_at) {
            regs_of(&h, &got);
            cr_assert_eq(memcmp(got.registers, model, sizeof model), 0, "registers differ at %zu",
                         i);
        }
    }
    cr_assert_gt(promoted_at, 100, "stayed sparse for a while");
    cr_assert_not(was_sparse, "became dense");
    regs_of(&h, &got);
    cr_assert_eq(memcmp(got.registers, model, sizeof model), 0);
    buf_free(&h);
}

Test(obj_hll, sparse_and_dense_forms_of_the_same_registers_count_the_same)
{
    struct buf h, last_sparse, dense;
    buf_init(&h);
    buf_init(&last_sparse);
    buf_init(&dense);
    obj_hll_create(&h);
    char item[32];
    int i = 0;
    while (obj_hll_is_sparse(h.data, h.len)) {
        buf_clear(&last_sparse);
        buf_append(&last_sparse, h.data, h.len);
        snprintf(item, sizeof item, "x%d", i++);
        add_str(&h, item);
    }
    cr_log_info("promoted to dense after %d items", i);
    cr_assert_eq(h.len, OBJ_HLL_DENSE_BYTES);
    assert_close(count_of(&h), (uint64_t)i, 0.03);
    /* The last sparse state re-stored as dense: same registers, same count. */
    struct obj_hll_regs m;
    obj_hll_regs_init(&m);
    cr_assert_eq(obj_hll_regs_merge(&m, last_sparse.data, last_sparse.len), 0);
    m.any_dense = true;
    obj_hll_create(&dense);
    cr_assert_eq(obj_hll_regs_store(&m, &dense, MAX_SPARSE), 0);
    cr_assert_not(obj_hll_is_sparse(dense.data, dense.len));
    cr_assert_eq(count_of(&dense), count_of(&last_sparse));
    buf_free(&h);
    buf_free(&last_sparse);
    buf_free(&dense);
}

Test(obj_hll, merge_of_sparse_and_dense_equals_adding_everything_to_one)
{
    struct buf small, big, all, merged;
    buf_init(&small);
    buf_init(&big);
    buf_init(&all);
    buf_init(&merged);
    obj_hll_create(&small);
    obj_hll_create(&big);
    obj_hll_create(&all);
    char item[32];
    for (int i = 0; i < 200; i++) {
        snprintf(item, sizeof item, "s%d", i);
        add_str(&small, item);
        add_str(&all, item);
    }
    for (int i = 0; i < 50000; i++) {
        snprintf(item, sizeof item, "b%d", i % 40000); /* overlap within big */
        add_str(&big, item);
        add_str(&all, item);
    }
    cr_assert(obj_hll_is_sparse(small.data, small.len));
    cr_assert_not(obj_hll_is_sparse(big.data, big.len));
    struct obj_hll_regs m;
    obj_hll_regs_init(&m);
    cr_assert_eq(obj_hll_regs_merge(&m, small.data, small.len), 0);
    cr_assert_eq(obj_hll_regs_merge(&m, big.data, big.len), 0);
    obj_hll_create(&merged);
    cr_assert_eq(obj_hll_regs_store(&m, &merged, MAX_SPARSE), 0);
    cr_assert_not(obj_hll_is_sparse(merged.data, merged.len)); /* a dense input: dense result */
    cr_assert_eq(count_of(&merged), count_of(&all));
    cr_assert_eq(obj_hll_regs_count(&m), count_of(&all));
    assert_close(count_of(&merged), 40200, 0.02);
    /* Two sparse inputs stay sparse. */
    struct buf other;
    buf_init(&other);
    obj_hll_create(&other);
    add_str(&other, "zzz");
    obj_hll_regs_init(&m);
    obj_hll_regs_merge(&m, small.data, small.len);
    obj_hll_regs_merge(&m, other.data, other.len);
    obj_hll_create(&merged);
    cr_assert_eq(obj_hll_regs_store(&m, &merged, MAX_SPARSE), 0);
    cr_assert(obj_hll_is_sparse(merged.data, merged.len));
    assert_close(count_of(&merged), 201, 0.02);
    buf_free(&small);
    buf_free(&big);
    buf_free(&all);
    buf_free(&merged);
    buf_free(&other);
}

Test(obj_hll, cached_cardinality_is_written_once_and_invalidated_by_a_change)
{
    struct buf h;
    buf_init(&h);
    obj_hll_create(&h);
    uint64_t c;
    cr_assert_eq(obj_hll_count_cached(h.data, h.len, &c), 0); /* empty: cache valid at 0 */
    cr_assert_eq(c, 0);
    add_str(&h, "a");
    add_str(&h, "b");
    cr_assert_eq(obj_hll_count_cached(h.data, h.len, &c), 1);
    cr_assert_eq(c, 2);
    cr_assert_eq(obj_hll_count_cached(h.data, h.len, &c), 0);
    cr_assert_eq(add_str(&h, "a"), 0);
    cr_assert_eq(obj_hll_count_cached(h.data, h.len, &c), 0); /* no register changed */
    cr_assert_eq(add_str(&h, "c"), 1);
    cr_assert_eq(obj_hll_count_cached(h.data, h.len, &c), 1);
    cr_assert_eq(c, 3);
    /* A byte copy (GET then SET) is the same HLL. */
    char *copy = xmemdup(h.data, h.len);
    cr_assert_eq(obj_hll_count(copy, h.len, &c), 0);
    cr_assert_eq(c, 3);
    free(copy);
    buf_free(&h);
}

/* Published-algorithm answers, pinned; the Redis seed's answers are confirmed by redis-server:
 * adding the same string to an empty HLL there sets the register these hashes select. */
Test(obj_hll, murmur64a_known_answers)
{
    struct {
        const char *s;
        uint64_t seed0, redis_seed;
    } cases[] = {
        {"", 0x0000000000000000ULL, 0xd8dfea6585bc9732ULL},
        {"a", 0x071717d2d36b6b11ULL, 0x53d2470a9b43b1a7ULL},
        {"hello", 0x1e68d17c457bf117ULL, 0x0f656f01eecfe400ULL},
        {"12345678", 0x758f67d162b2d202ULL, 0x95ebb86389132953ULL},
        {"123456789abcdefg", 0xe64012c5c4192e2cULL, 0x507a29b7d0142182ULL},
        {"Vigil HyperLogLog", 0xeee670ce743255dbULL, 0xaff1369c73d98af2ULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t n = strlen(cases[i].s);
        cr_assert_eq(obj_hll_murmur64a(cases[i].s, n, 0), cases[i].seed0, "%s", cases[i].s);
        cr_assert_eq(obj_hll_hash(cases[i].s, n), cases[i].redis_seed, "%s", cases[i].s);
    }
}

static void assert_bytes(const struct buf *h, const char *want, size_t want_len)
{
    cr_assert_eq(h->len, want_len, "length %zu, want %zu", h->len, want_len);
    cr_assert_eq(memcmp(h->data, want, want_len), 0, "bytes differ from redis-server's");
}

#define HDR_STALE "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"

/* GET after PFADD k <s> on redis-server 7.0 (sparse bodies after the 16-byte header). */
Test(obj_hll, sparse_bytes_equal_redis_for_single_elements)
{
    struct {
        const char *s, *body;
        size_t body_len;
    } cases[] = {
        {"", "\x57\x31\x84\x68\xcc", 5},
        {"a", "\x71\xa6\x84\x4e\x57", 5},
        {"hello", "\x63\xff\x80\x5b\xfe", 5},
        {"12345678", "\x69\x52\x88\x56\xab", 5},
        {"123456789abcdefg", "\x61\x81\x90\x5e\x7c", 5},
        {"Vigil HyperLogLog", "\x4a\xf1\x84\x75\x0c", 5},
    };
    struct buf h;
    buf_init(&h);
    obj_hll_create(&h);
    assert_bytes(&h, "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff", 18);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        obj_hll_create(&h);
        cr_assert_eq(add_str(&h, cases[i].s), 1);
        char want[64];
        memcpy(want, HDR_STALE, 16);
        memcpy(want + 16, cases[i].body, cases[i].body_len);
        assert_bytes(&h, want, 16 + cases[i].body_len);
    }
    buf_free(&h);
}

/* j24447, j6984, j80818, j18148, j54625 set registers 0..4 to 1. Redis edits the opcodes in
 * place and joins neighbours only up to a run of 4, so the order shows in the bytes. */
Test(obj_hll, sparse_joins_follow_insert_order_as_redis)
{
    const char *order_a[] = {"j6984", "j80818", "j18148", "j54625", "j24447"};
    const char *order_b[] = {"j24447", "j6984", "j80818", "j18148", "j54625"};
    struct buf h;
    buf_init(&h);
    obj_hll_create(&h);
    for (size_t i = 0; i < 5; i++) add_str(&h, order_a[i]);
    assert_bytes(&h, HDR_STALE "\x80\x83\x7f\xfa", 20);
    obj_hll_create(&h);
    for (size_t i = 0; i < 5; i++) add_str(&h, order_b[i]);
    assert_bytes(&h, HDR_STALE "\x83\x80\x7f\xfa", 20);
    buf_free(&h);
}

Test(obj_hll, sparse_turns_dense_when_the_string_would_pass_max_bytes)
{
    for (size_t max = 0; max <= 200; max += 40) {
        struct buf h;
        buf_init(&h);
        obj_hll_create(&h);
        char item[32];
        int i = 0;
        size_t last_sparse_len = h.len;
        while (obj_hll_is_sparse(h.data, h.len)) {
            last_sparse_len = h.len;
            snprintf(item, sizeof item, "m%d", i++);
            add_str_max(&h, item, max);
        }
        cr_assert_eq(h.len, OBJ_HLL_DENSE_BYTES);
        cr_assert_leq(last_sparse_len, max < 18 ? 18 : max, "sparse %zu > %zu", last_sparse_len,
                      max);
        cr_assert_eq(count_of(&h), (uint64_t)i, "max %zu: %d items", max, i);
        buf_free(&h);
    }
}

Test(obj_hll, value_above_32_turns_dense_and_keeps_the_header)
{
    struct buf h;
    buf_init(&h);
    obj_hll_create(&h);
    add_str(&h, "a");
    uint64_t c;
    cr_assert_eq(obj_hll_count_cached(h.data, h.len, &c), 1);
    cr_assert_eq(obj_hll_set(&h, 7, 33, MAX_SPARSE), 1);
    cr_assert_eq(h.len, OBJ_HLL_DENSE_BYTES);
    cr_assert_eq(obj_hll_get_register(h.data, h.len, 7), 33);
    cr_assert_eq((unsigned char)h.data[8], 1);     /* the cached value's bytes carry over */
    cr_assert_eq((unsigned char)h.data[15], 0x80); /* and are stale */
    cr_assert_eq(obj_hll_set(&h, 7, 20, MAX_SPARSE), 0);
    buf_free(&h);
}

Test(obj_hll, invalidation_keeps_the_cached_value_bytes)
{
    struct buf h;
    buf_init(&h);
    obj_hll_create(&h);
    add_str(&h, "a");
    add_str(&h, "b");
    add_str(&h, "c");
    uint64_t c;
    cr_assert_eq(obj_hll_count_cached(h.data, h.len, &c), 1);
    cr_assert_eq(c, 3);
    cr_assert_eq((unsigned char)h.data[15], 0);
    cr_assert_eq(add_str(&h, "d"), 1);
    cr_assert_eq((unsigned char)h.data[8], 3); /* as redis-server: only the top bit changes */
    cr_assert_eq((unsigned char)h.data[15], 0x80);
    buf_free(&h);
}

Test(obj_hll, rejects_bytes_that_are_not_an_hll)
{
    struct buf h;
    buf_init(&h);
    obj_hll_create(&h);
    uint64_t c;
    const char *junk = "hello world, not an hll";
    cr_assert_eq(obj_hll_validate(junk, strlen(junk)), OBJ_HLL_ERR_INVALID);
    cr_assert_eq(obj_hll_count(junk, strlen(junk), &c), OBJ_HLL_ERR_INVALID);
    cr_assert_eq(obj_hll_validate("", 0), OBJ_HLL_ERR_INVALID);
    cr_assert_eq(obj_hll_validate(h.data, 15), OBJ_HLL_ERR_INVALID);
    char *bad = xmemdup(h.data, h.len);
    bad[4] = 2; /* unknown encoding */
    cr_assert_eq(obj_hll_validate(bad, h.len), OBJ_HLL_ERR_INVALID);
    bad[4] = 0; /* claims dense with a sparse length */
    cr_assert_eq(obj_hll_validate(bad, h.len), OBJ_HLL_ERR_INVALID);
    bad[4] = 1;
    bad[6] = 1; /* the unused bytes are not checked, as Redis */
    cr_assert_eq(obj_hll_validate(bad, h.len), 0);
    free(bad);
    const char *old = "VHLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00";
    cr_assert_eq(obj_hll_validate(old, 18), OBJ_HLL_ERR_INVALID); /* Vigil's former layout */
    struct buf j;
    buf_init(&j);
    buf_append(&j, junk, strlen(junk));
    cr_assert_eq(add_str(&j, "x"), OBJ_HLL_ERR_INVALID);
    cr_assert_eq(j.len, strlen(junk));
    struct obj_hll_regs m;
    obj_hll_regs_init(&m);
    cr_assert_eq(obj_hll_regs_merge(&m, junk, strlen(junk)), OBJ_HLL_ERR_INVALID);
    cr_assert_str_eq(OBJ_HLL_ERR_INVALID_MSG,
                     "WRONGTYPE Key is not a valid HyperLogLog string value.");
    cr_assert_str_eq(OBJ_HLL_ERR_CORRUPT_MSG, "INVALIDOBJ Corrupted HLL object detected");
    buf_free(&j);
    buf_free(&h);
}

Test(obj_hll, damaged_opcodes_are_corrupt_not_a_crash)
{
    struct buf h;
    buf_init(&h);
    uint64_t c;
    /* One register short: counting fails, an add inside the covered range works (as Redis). */
    buf_append(&h, HDR_STALE "\x7f\xfe", 18);
    cr_assert_eq(obj_hll_count(h.data, h.len, &c), OBJ_HLL_ERR_CORRUPT);
    cr_assert_eq(obj_hll_to_dense(&h), OBJ_HLL_ERR_CORRUPT);
    cr_assert_eq(obj_hll_set(&h, 16383, 1, MAX_SPARSE), OBJ_HLL_ERR_CORRUPT);
    cr_assert_eq(obj_hll_set(&h, 5, 1, MAX_SPARSE), 1);
    /* A trailing XZERO cut to one byte. */
    buf_clear(&h);
    buf_append(&h, HDR_STALE "\x7f", 17);
    cr_assert_eq(obj_hll_count(h.data, h.len, &c), OBJ_HLL_ERR_CORRUPT);
    cr_assert_eq(obj_hll_set(&h, 5, 1, MAX_SPARSE), 1);
    cr_assert_geq(h.len, 16);
    /* Random opcodes behind a valid header: every operation stays in bounds. */
    struct rng r;
    rng_seed(&r, 9);
    for (int round = 0; round < 20000; round++) {
        size_t n = rng_below(&r, 48);
        buf_clear(&h);
        buf_append(&h, HDR_STALE, 16);
        for (size_t i = 0; i < n; i++) buf_append_char(&h, (char)rng_next(&r));
        int rc = obj_hll_count(h.data, h.len, &c);
        cr_assert(rc == 0 || rc == OBJ_HLL_ERR_CORRUPT);
        obj_hll_regs_init(&m_scratch);
        obj_hll_regs_merge(&m_scratch, h.data, h.len);
        obj_hll_set(&h, (uint32_t)rng_below(&r, OBJ_HLL_REGISTERS),
                    (uint8_t)(1 + rng_below(&r, 40)), 64);
        cr_assert_geq(h.len, OBJ_HLL_HEADER_BYTES);
    }
    buf_free(&h);
}
