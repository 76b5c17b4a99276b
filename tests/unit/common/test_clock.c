/* clock: the monotonic clock never goes back, and clock_sleep_ms (vigilctl's waits) sleeps at
 * least as long as asked, whatever the machine's load (a lower bound only: never a speed claim). */
#include <criterion/criterion.h>

#include "common/clock.h"

Test(clock, monotonic_clock_never_goes_back)
{
    int64_t prev = clock_mono_us();
    for (int i = 0; i < 1000; i++) {
        int64_t now = clock_mono_us();
        cr_assert_geq(now, prev);
        prev = now;
    }
    cr_assert_geq(clock_mono_ms(), prev / 1000);
}

Test(clock, sleep_lasts_at_least_the_time_asked)
{
    int64_t start = clock_mono_us();
    clock_sleep_ms(20);
    cr_assert_geq(clock_mono_us() - start, 20000);
}

Test(clock, sleep_of_zero_or_less_returns_at_once)
{
    clock_sleep_ms(0);
    clock_sleep_ms(-5);
}
