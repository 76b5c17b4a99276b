/* Tests for store/repl/repl_fence (the min-replicas-to-write rule) with a fake clock: Redis's
 * whole-second rule for min-replicas-max-lag, the millisecond key replacing it when set, when
 * the fence is on at all, and the refusal once fewer replicas than asked are good. */
#include <criterion/criterion.h>

#include "store/repl/repl_fence.h"

#define NOW 1000000 /* a monotonic reading, ms */

static struct repl_fence fence(long long to_write, int64_t lag_s_ms, long long lag_ms)
{
    return (struct repl_fence){
        .to_write = to_write, .max_lag_s_ms = lag_s_ms, .max_lag_ms = lag_ms};
}

Test(repl_fence, seconds_key_counts_whole_seconds_as_redis)
{
    struct repl_fence f = fence(1, 10000, 0);
    cr_assert(repl_fence_is_good(&f, NOW, NOW));
    cr_assert(repl_fence_is_good(&f, NOW, NOW - 10999), "10.999 s is 10 whole seconds");
    cr_assert_not(repl_fence_is_good(&f, NOW, NOW - 11000));
}

Test(repl_fence, millisecond_key_replaces_the_seconds_key)
{
    struct repl_fence f = fence(1, 10000, 500);
    cr_assert(repl_fence_is_good(&f, NOW, NOW - 499));
    cr_assert_not(repl_fence_is_good(&f, NOW, NOW - 500), "an ACK exactly 500 ms old is too old");
    cr_assert_not(repl_fence_is_good(&f, NOW, NOW - 5000), "the 10 s key no longer applies");
}

Test(repl_fence, on_only_with_replicas_to_write_and_a_lag)
{
    struct repl_fence off_count = fence(0, 10000, 500), off_lag = fence(1, 0, 0);
    struct repl_fence by_s = fence(1, 10000, 0), by_ms = fence(1, 0, 500);
    cr_assert_not(repl_fence_is_on(&off_count));
    cr_assert_not(repl_fence_is_on(&off_lag), "Redis: min-replicas-max-lag 0 turns it off");
    cr_assert(repl_fence_is_on(&by_s));
    cr_assert(repl_fence_is_on(&by_ms));
    cr_assert_not(repl_fence_is_failing(&off_count, 0));
    cr_assert_not(repl_fence_is_failing(&off_lag, 0));
}

Test(repl_fence, failing_below_the_count)
{
    struct repl_fence f = fence(2, 0, 500);
    cr_assert(repl_fence_is_failing(&f, 0));
    cr_assert(repl_fence_is_failing(&f, 1));
    cr_assert_not(repl_fence_is_failing(&f, 2));
    cr_assert_not(repl_fence_is_failing(&f, 3));
}

/* A replica that ACKs every 100 ms stays good under a 500 ms limit however the master's clock
 * reading falls between ACKs; one that stops ACKing is out 500 ms after its last ACK. */
Test(repl_fence, ack_every_period_stays_good_and_silence_fences_at_the_limit)
{
    struct repl_fence f = fence(1, 10000, 500);
    for (int64_t t = 0; t < 5000; t++) {
        int64_t last_ack = (t / 100) * 100;
        cr_assert(repl_fence_is_good(&f, NOW + t, NOW + last_ack), "t=%lld", (long long)t);
    }
    int64_t stopped = NOW + 4900;
    cr_assert(repl_fence_is_good(&f, stopped + 499, stopped));
    cr_assert_not(repl_fence_is_good(&f, stopped + 500, stopped));
}
