/* Tests for store/data/expire_cycle (with keyspace's ks_expire_run): the stale share after a
 * cycle, the time limit counted in clock reads of a fake clock, effort, the fast cycle's
 * conditions, database rotation, replicas. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "store/data/expire_cycle.h"
#include "store/data/keyspace.h"

#define NOW_MS 1000000
#define GONE_MS (NOW_MS - 10)       /* expired */
#define LATER_MS (NOW_MS + 3600000) /* alive */

/* Each read advances the clock by step_us: work is counted, not timed. */
struct fake_clock {
    int64_t now_us, step_us;
    long reads;
};

static int64_t fake_clock_read(void *ctx)
{
    struct fake_clock *fc = ctx;
    fc->reads++;
    int64_t t = fc->now_us;
    fc->now_us += fc->step_us;
    return t;
}

static void fill(struct ks *ks, const char *prefix, int n, int64_t expire_ms)
{
    char k[48];
    for (int i = 0; i < n; i++) {
        int len = snprintf(k, sizeof k, "%s:%d", prefix, i);
        ks_set_string(ks, k, (size_t)len, "v", 1, expire_ms, 0, 0);
    }
}

static size_t count_stale(struct ks *ks)
{
    struct ks_iter it;
    size_t n = 0;
    ks_iter_init(&it, ks, false);
    for (struct ks_entry *e; (e = ks_iter_next(&it));) n += ks_entry_is_expired(e, NOW_MS);
    ks_iter_done(&it);
    return n;
}

static struct expire_cycle_env env_of(struct fake_clock *fc, int effort)
{
    return (struct expire_cycle_env){
        .clock_us = fake_clock_read, .clock_ctx = fc, .effort = effort, .hz = 10};
}

Test(expire_cycle, slow_cycle_leaves_under_ten_percent_stale)
{
    /* Stale shares of 50%, 20% and 12%: Redis's last-round rule stops near 40%, 20% and 12%. */
    const int stale_counts[] = {20000, 5000, 2727};
    for (size_t t = 0; t < 3; t++) {
        struct ks *ks = ks_create(7 + t);
        fill(ks, "live", 20000, LATER_MS);
        fill(ks, "gone", stale_counts[t], GONE_MS);
        struct expire_cycle st = {0};
        struct fake_clock fc = {.step_us = 1};
        struct expire_cycle_env env = env_of(&fc, 1);
        expire_cycle_run(&st, &ks, 1, EXPIRE_CYCLE_SLOW, &env, NOW_MS);
        size_t stale = count_stale(ks);
        cr_assert_lt(stale * 100, 10 * ks_expires_count(ks), "case %zu: %zu stale of %zu", t, stale,
                     ks_expires_count(ks));
        cr_assert_eq(st.time_cap_reached, 0);
        cr_assert_eq(ks_count(ks) + st.expired, 20000 + (size_t)stale_counts[t]);
        ks_destroy(ks);
    }
}

Test(expire_cycle, time_limit_stops_the_cycle_and_is_counted)
{
    struct ks *ks = ks_create(3);
    fill(ks, "gone", 100000, GONE_MS);
    struct expire_cycle st = {0};
    /* 1000 us a clock read: the slow limit at hz 10, effort 1 is 25000 us. The start is read
     * at 0, the checks before each round at 1000, 2000, ...: 24 rounds of 20 keys, and the
     * check reading 25000 stops the cycle. */
    struct fake_clock fc = {.step_us = 1000};
    struct expire_cycle_env env = env_of(&fc, 1);
    cr_assert_eq(expire_cycle_slow_limit_us(1, 10), 25000);
    size_t removed = expire_cycle_run(&st, &ks, 1, EXPIRE_CYCLE_SLOW, &env, NOW_MS);
    cr_assert_eq(removed, 24 * 20);
    cr_assert_eq(st.sampled, 24 * 20);
    cr_assert_eq(st.time_cap_reached, 1);
    cr_assert(st.last_timed_out);
    cr_assert_eq(ks_count(ks), 100000 - 480);
    cr_assert_gt(st.time_used_us, 0);
    cr_assert_gt(st.stale_perc, 4.9); /* 5% of a 100% sample */
    ks_destroy(ks);
}

Test(expire_cycle, effort_samples_more_and_longer)
{
    size_t removed[2];
    const int efforts[2] = {1, 10};
    for (int i = 0; i < 2; i++) {
        struct ks *ks = ks_create(5);
        fill(ks, "gone", 100000, GONE_MS);
        struct expire_cycle st = {0};
        struct fake_clock fc = {.step_us = 1000};
        struct expire_cycle_env env = env_of(&fc, efforts[i]);
        removed[i] = expire_cycle_run(&st, &ks, 1, EXPIRE_CYCLE_SLOW, &env, NOW_MS);
        ks_destroy(ks);
    }
    /* Effort 10: 65 keys a round for 43% of the period (42 rounds, as counted in the test
     * above) against 20 keys for 25% (24 rounds). */
    cr_assert_eq(expire_cycle_slow_limit_us(10, 10), 43000);
    cr_assert_eq(removed[0], 24 * 20);
    cr_assert_eq(removed[1], 42 * 65);
}

Test(expire_cycle, fast_cycle_runs_only_when_behind_and_spaced)
{
    struct ks *ks = ks_create(11);
    fill(ks, "gone", 50000, GONE_MS);
    struct expire_cycle st = {0};
    struct fake_clock fc = {.now_us = 1000000, .step_us = 100};
    struct expire_cycle_env env = env_of(&fc, 1);
    /* Nothing known to be behind: the fast cycle does nothing, not even read the clock. */
    cr_assert_eq(expire_cycle_run(&st, &ks, 1, EXPIRE_CYCLE_FAST, &env, NOW_MS), 0);
    cr_assert_eq(fc.reads, 0);
    /* A slow cycle that ran out of time makes the next fast cycle due: 1000 us at 100 a read
     * is 9 rounds. */
    expire_cycle_run(&st, &ks, 1, EXPIRE_CYCLE_SLOW, &env, NOW_MS);
    cr_assert(st.last_timed_out);
    cr_assert_eq(expire_cycle_run(&st, &ks, 1, EXPIRE_CYCLE_FAST, &env, NOW_MS), 9 * 20);
    /* Within twice its duration of the last fast cycle: skipped. */
    cr_assert_eq(expire_cycle_run(&st, &ks, 1, EXPIRE_CYCLE_FAST, &env, NOW_MS), 0);
    fc.now_us += 2000;
    cr_assert_eq(expire_cycle_run(&st, &ks, 1, EXPIRE_CYCLE_FAST, &env, NOW_MS), 9 * 20);
    ks_destroy(ks);
}

Test(expire_cycle, rotates_databases_and_skips_replicas)
{
    struct ks *dbs[20];
    for (int i = 0; i < 20; i++) {
        dbs[i] = ks_create((uint64_t)i + 1);
        fill(dbs[i], "gone", 5, GONE_MS);
    }
    ks_set_replica_mode(dbs[3], true);
    struct expire_cycle st = {0};
    struct fake_clock fc = {.step_us = 1};
    struct expire_cycle_env env = env_of(&fc, 1);
    /* 16 databases a call: 0..15 (15 of them master), then 16..19 and 0..11. */
    cr_assert_eq(expire_cycle_run(&st, dbs, 20, EXPIRE_CYCLE_SLOW, &env, NOW_MS), 15 * 5);
    cr_assert_eq(ks_count(dbs[16]), 5);
    cr_assert_eq(expire_cycle_run(&st, dbs, 20, EXPIRE_CYCLE_SLOW, &env, NOW_MS), 4 * 5);
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(ks_count(dbs[i]), i == 3 ? 5u : 0u, "db %d", i);
        ks_destroy(dbs[i]);
    }
}
