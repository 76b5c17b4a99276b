/* Unit tests for client eviction's pure parts: the mem_rank ordering (store/data/mem_rank.h),
 * the maxmemory-clients limit arithmetic, and CONFIG SET's checks with Redis's messages. */
#include <criterion/criterion.h>
#include <string.h>

#include "store/client_evict.h"
#include "store/data/mem_rank.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

Test(mem_rank, bucket_is_the_power_of_two)
{
    cr_assert_eq(mem_rank_bucket_of(0), 0);
    cr_assert_eq(mem_rank_bucket_of(1), 0);
    cr_assert_eq(mem_rank_bucket_of(2), 1);
    cr_assert_eq(mem_rank_bucket_of(3), 1);
    cr_assert_eq(mem_rank_bucket_of(1024), 10);
    cr_assert_eq(mem_rank_bucket_of(2047), 10);
    cr_assert_eq(mem_rank_bucket_of((size_t)1 << 40), 40);
    cr_assert_eq(mem_rank_bucket_of(SIZE_MAX), 63);
}

Test(mem_rank, largest_first_then_the_next_largest)
{
    struct mem_rank r;
    struct mem_rank_node n[5] = {{0}};
    size_t sizes[5] = {20000, 5 << 20, 30000, 300, 1 << 20};
    mem_rank_init(&r);
    for (int i = 0; i < 5; i++) mem_rank_set(&r, &n[i], sizes[i]);
    cr_assert_eq(r.count, 5);
    int order[] = {1, 4, 2, 0, 3};
    for (size_t i = 0; i < COUNT(order); i++) {
        struct mem_rank_node *top = mem_rank_largest(&r, 16);
        cr_assert_eq(top, &n[order[i]], "step %zu", i);
        mem_rank_remove(&r, top);
    }
    cr_assert_null(mem_rank_largest(&r, 16));
    cr_assert_eq(r.count, 0);
    cr_assert_eq(r.nonempty, 0);
}

Test(mem_rank, moves_when_a_size_changes_and_remove_is_idempotent)
{
    struct mem_rank r;
    struct mem_rank_node a = {0}, b = {0};
    mem_rank_init(&r);
    mem_rank_set(&r, &a, 1000);
    mem_rank_set(&r, &b, 2000);
    cr_assert_eq(mem_rank_largest(&r, 16), &b);
    mem_rank_set(&r, &a, 100000); /* grew: a new bucket */
    cr_assert_eq(mem_rank_largest(&r, 16), &a);
    mem_rank_set(&r, &a, 10); /* shrank below b */
    cr_assert_eq(mem_rank_largest(&r, 16), &b);
    mem_rank_remove(&r, &b);
    mem_rank_remove(&r, &b);
    cr_assert_eq(r.count, 1);
    cr_assert_eq(mem_rank_largest(&r, 16), &a);
}

Test(mem_rank, scan_bounds_the_work_inside_a_bucket)
{
    struct mem_rank r;
    struct mem_rank_node n[3] = {{0}};
    mem_rank_init(&r);
    mem_rank_set(&r, &n[0], 1500); /* all three in bucket 10, the last set at the head */
    mem_rank_set(&r, &n[1], 2000);
    mem_rank_set(&r, &n[2], 1100);
    cr_assert_eq(mem_rank_largest(&r, 16), &n[1]); /* exact when the scan covers the bucket */
    cr_assert_eq(mem_rank_largest(&r, 1), &n[2]);  /* the head only: within 2x of the max */
}

Test(client_evict, limit_from_bytes_or_a_percentage_of_maxmemory)
{
    cr_assert_eq(client_evict_limit_bytes(0, 1 << 30), 0);          /* off */
    cr_assert_eq(client_evict_limit_bytes(-5, 0), 0);               /* 5% of no limit: off */
    cr_assert_eq(client_evict_limit_bytes(-5, 100 << 20), 5 << 20); /* 5% of 100mb */
    cr_assert_eq(client_evict_limit_bytes(-100, 1 << 20), 1 << 20);
    cr_assert_eq(client_evict_limit_bytes(10 << 20, 0), 10 << 20); /* bytes need no maxmemory */
    cr_assert_eq(client_evict_limit_bytes(1, 0), CLIENT_EVICT_MIN_BYTES);
    cr_assert_eq(client_evict_limit_bytes(-1, 1 << 20), CLIENT_EVICT_MIN_BYTES); /* 10kb */
}

Test(client_evict, config_check_speaks_redis)
{
    const char *good[] = {"0",  "1",    "5%",  "0%", "100%", "1kb",
                          "1K", "10mb", "1GB", "2g", "7b",   "9223372036854775807"};
    for (size_t i = 0; i < COUNT(good); i++) {
        char err[128] = "";
        cr_expect_eq(client_evict_config_check(good[i], err, sizeof err), 0, "%s: %s", good[i],
                     err);
    }
    const char *bad[] = {"abc",          "-1",  "-5%",
                         "5.5%",         "05%", "%",
                         "5%%",          "+5",  " 5",
                         "5 %",          "1%b", "1mb%",
                         "0x10",         "1tb", "9223372036854775808",
                         "99999999999gb"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        char err[128] = "";
        cr_expect_eq(client_evict_config_check(bad[i], err, sizeof err), -1, "%s", bad[i]);
        cr_expect_str_eq(err, "argument must be a memory or percent value", "%s", bad[i]);
    }
    char err[128];
    cr_assert_eq(client_evict_config_check("101%", err, sizeof err), -1);
    cr_assert_str_eq(err, "percentage argument must be less or equal to 100");
}
