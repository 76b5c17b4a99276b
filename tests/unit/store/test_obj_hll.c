/* obj_hll: accuracy (1,000,000 distinct items within 2%), registers against a plain array model
 * through sparse and dense encodings, sparse -> dense promotion, merging sparse with dense,
 * the cached cardinality, and rejection of bytes that are not an HLL. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/rng.h"
#include "common/util.h"
#include "store/data/obj_hll.h"

static int add_str(struct buf *h, const char *s) { return obj_hll_add(h, s, strlen(s)); }

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
        obj_hll_add(&h, item, (size_t)n);
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
        cr_assert_eq(obj_hll_add(&h, item, (size_t)n), 0);
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
        cr_assert_eq(obj_hll_add(&h, item, (size_t)n), changes ? 1 : 0);
        cr_assert_eq(obj_hll_validate(h.data, h.len), 0);
        bool sparse = obj_hll_is_sparse(h.data, h.len);
        if (was_sparse && !sparse) promoted_at = i;
        cr_assert(!(sparse && !was_sparse), "dense never goes back to sparse");
        was_sparse = sparse;
        if (sparse) cr_assert_leq(h.len, OBJ_HLL_HEADER_BYTES + OBJ_HLL_SPARSE_MAX_BYTES);
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
    obj_hll_regs_store(&m, &dense);
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
    obj_hll_regs_store(&m, &merged);
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
    obj_hll_regs_store(&m, &merged);
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
    /* Truncated sparse payload, a zero run too long, trailing bytes, bad encoding byte. */
    cr_assert_eq(obj_hll_validate(h.data, h.len - 1), OBJ_HLL_ERR_INVALID);
    char *bad = xmemdup(h.data, h.len + 1);
    bad[h.len] = 0x00; /* one more zero register: 16385 */
    cr_assert_eq(obj_hll_validate(bad, h.len + 1), OBJ_HLL_ERR_INVALID);
    bad[4] = 7;
    cr_assert_eq(obj_hll_validate(bad, h.len), OBJ_HLL_ERR_INVALID);
    bad[4] = 0; /* claims dense with a sparse length */
    cr_assert_eq(obj_hll_validate(bad, h.len), OBJ_HLL_ERR_INVALID);
    bad[4] = 1;
    bad[6] = 1; /* reserved must be zero */
    cr_assert_eq(obj_hll_validate(bad, h.len), OBJ_HLL_ERR_INVALID);
    free(bad);
    struct buf j;
    buf_init(&j);
    buf_append(&j, junk, strlen(junk));
    cr_assert_eq(obj_hll_add(&j, "x", 1), OBJ_HLL_ERR_INVALID);
    cr_assert_eq(j.len, strlen(junk));
    struct obj_hll_regs m;
    obj_hll_regs_init(&m);
    cr_assert_eq(obj_hll_regs_merge(&m, junk, strlen(junk)), OBJ_HLL_ERR_INVALID);
    cr_assert_str_eq(OBJ_HLL_ERR_INVALID_MSG,
                     "WRONGTYPE Key is not a valid HyperLogLog string value.");
    /* Random bytes behind a valid header never crash the validator. */
    struct rng r;
    rng_seed(&r, 9);
    unsigned char raw[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = 16 + rng_below(&r, sizeof raw - 16);
        memcpy(raw, h.data, 16);
        for (size_t i = 16; i < n; i++) raw[i] = (unsigned char)rng_next(&r);
        if (obj_hll_validate(raw, n) == 0) cr_assert_eq(obj_hll_count(raw, n, &c), 0);
    }
    buf_free(&j);
    buf_free(&h);
}
