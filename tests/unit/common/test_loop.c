/* Timers fire in deadline order under a fake clock; cancel, re-arm and cancel-from-callback. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "common/loop.h"

static int64_t fake_now_us;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now_us;
}

static int fired[64];
static int nfired;

static int64_t record(struct loop *l, uint64_t id, void *data)
{
    (void)l;
    (void)id;
    fired[nfired++] = (int)(intptr_t)data;
    return LOOP_TIMER_STOP;
}

static struct loop *make_loop(void)
{
    fake_now_us = 1000000;
    nfired = 0;
    struct loop *l = loop_create(64);
    loop_set_clock(l, fake_clock, NULL);
    return l;
}

static void advance(struct loop *l, int64_t ms)
{
    fake_now_us += ms * 1000;
    loop_run_once(l, 0);
}

Test(loop, timers_fire_in_deadline_order)
{
    struct loop *l = make_loop();
    int delays[] = {50, 10, 30, 20, 40, 10};
    for (int i = 0; i < 6; i++) loop_timer_add(l, delays[i], record, (void *)(intptr_t)i);
    advance(l, 100);
    cr_assert_eq(nfired, 6);
    int expect[] = {1, 5, 3, 2, 4, 0}; /* equal deadlines fire in insertion order */
    for (int i = 0; i < 6; i++) cr_assert_eq(fired[i], expect[i], "position %d", i);
    loop_destroy(l);
}

Test(loop, equal_deadlines_fire_in_insertion_order_after_slot_reuse)
{
    struct loop *l = make_loop();
    /* Free three slots (the free list hands them back last-freed first), then start six timers
     * with one deadline: three land in reused slots, three in fresh ones. */
    for (int i = 0; i < 3; i++) loop_timer_add(l, 1, record, (void *)(intptr_t)(100 + i));
    advance(l, 1);
    cr_assert_eq(nfired, 3);
    nfired = 0;
    for (int i = 0; i < 6; i++) loop_timer_add(l, 10, record, (void *)(intptr_t)i);
    advance(l, 10);
    cr_assert_eq(nfired, 6);
    for (int i = 0; i < 6; i++) cr_assert_eq(fired[i], i, "position %d", i);
    loop_destroy(l);
}

static int64_t rearm_equal(struct loop *l, uint64_t id, void *data)
{
    (void)l;
    (void)id;
    fired[nfired++] = (int)(intptr_t)data;
    return nfired <= 2 ? 10 : LOOP_TIMER_STOP;
}

Test(loop, rearmed_timer_fires_after_a_timer_started_before_it_with_the_same_deadline)
{
    struct loop *l = make_loop();
    /* B (slot 1) is started at t=10 for t=20; A (slot 0) re-arms itself at t=10 for t=20 too,
     * after B was started: B must fire first although A's slot id is smaller. */
    loop_timer_add(l, 10, rearm_equal, (void *)1);
    fake_now_us += 10 * 1000;
    loop_update_now(l);
    loop_timer_add(l, 10, record, (void *)2);
    loop_run_once(l, 0); /* A fires at t=10 and re-arms */
    cr_assert_eq(nfired, 1);
    advance(l, 10);
    cr_assert_eq(nfired, 3);
    cr_assert_eq(fired[1], 2);
    cr_assert_eq(fired[2], 1);
    loop_destroy(l);
}

Test(loop, huge_delay_saturates_instead_of_wrapping_into_the_past)
{
    struct loop *l = make_loop();
    int64_t delays[] = {INT64_MAX, INT64_MAX / 1000, INT64_MAX / 1000 - 1, INT64_MAX / 2};
    for (int i = 0; i < 4; i++) loop_timer_add(l, delays[i], record, (void *)(intptr_t)i);
    loop_timer_add(l, 5, record, (void *)9);
    advance(l, 10);
    cr_assert_eq(nfired, 1);
    cr_assert_eq(fired[0], 9);
    /* The loop still computes a sane wait with only far timers left. */
    cr_assert_eq(loop_run_once(l, 0), 0);
    loop_destroy(l);
}

Test(loop, timer_does_not_fire_before_deadline)
{
    struct loop *l = make_loop();
    loop_timer_add(l, 100, record, (void *)1);
    advance(l, 99);
    cr_assert_eq(nfired, 0);
    advance(l, 1);
    cr_assert_eq(nfired, 1);
    loop_destroy(l);
}

Test(loop, cancelled_timer_never_fires_and_stale_id_is_rejected)
{
    struct loop *l = make_loop();
    uint64_t a = loop_timer_add(l, 10, record, (void *)1);
    uint64_t b = loop_timer_add(l, 20, record, (void *)2);
    cr_assert(loop_timer_cancel(l, a));
    cr_assert_not(loop_timer_cancel(l, a));
    advance(l, 30);
    cr_assert_eq(nfired, 1);
    cr_assert_eq(fired[0], 2);
    cr_assert_not(loop_timer_cancel(l, b)); /* already fired */
    /* The freed slot is reused with a new generation: the old id stays dead. */
    uint64_t c = loop_timer_add(l, 10, record, (void *)3);
    cr_assert_neq(c, a);
    cr_assert_not(loop_timer_cancel(l, a));
    cr_assert(loop_timer_cancel(l, c));
    loop_destroy(l);
}

static int rearm_count;
static int64_t rearm(struct loop *l, uint64_t id, void *data)
{
    (void)l;
    (void)id;
    (void)data;
    return ++rearm_count < 3 ? 10 : LOOP_TIMER_STOP;
}

Test(loop, timer_rearms_with_returned_delay)
{
    struct loop *l = make_loop();
    rearm_count = 0;
    loop_timer_add(l, 10, rearm, NULL);
    for (int i = 0; i < 10; i++) advance(l, 10);
    cr_assert_eq(rearm_count, 3);
    loop_destroy(l);
}

static int64_t cancel_self(struct loop *l, uint64_t id, void *data)
{
    (void)data;
    cr_assert(loop_timer_cancel(l, id));
    nfired++;
    return 5; /* ignored: the timer is gone */
}

Test(loop, timer_cancelled_from_its_own_callback_stops)
{
    struct loop *l = make_loop();
    loop_timer_add(l, 1, cancel_self, NULL);
    loop_timer_add(l, 50, record, (void *)9);
    for (int i = 0; i < 20; i++) advance(l, 5);
    cr_assert_eq(nfired, 2);
    loop_destroy(l);
}

Test(loop, many_timers_random_cancel_keep_heap_order)
{
    struct loop *l = make_loop();
    uint64_t ids[40];
    for (int i = 0; i < 40; i++)
        ids[i] =
            loop_timer_add(l, (i * 37) % 41 + 1, record, (void *)(intptr_t)((i * 37) % 41 + 1));
    for (int i = 0; i < 40; i += 3) loop_timer_cancel(l, ids[i]);
    advance(l, 100);
    for (int i = 1; i < nfired; i++) cr_assert_leq(fired[i - 1], fired[i]);
    cr_assert_eq(nfired, 40 - 14);
    loop_destroy(l);
}

static void on_readable(struct loop *l, int fd, void *data, int mask)
{
    (void)l;
    cr_assert_eq(mask, LOOP_READABLE);
    char c;
    cr_assert_eq(read(fd, &c, 1), 1);
    *(char *)data = c;
}

Test(loop, fd_readable_callback_runs)
{
    struct loop *l = make_loop();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    char got = 0;
    cr_assert_eq(loop_watch(l, p[0], LOOP_READABLE, on_readable, &got), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    loop_run_once(l, 1000);
    cr_assert_eq(got, 'x');
    loop_unwatch(l, p[0], LOOP_READABLE);
    cr_assert_eq(loop_watched(l, p[0]), 0);
    close(p[0]);
    close(p[1]);
    loop_destroy(l);
}

/* Busy polling: never with the default, only after a short gap, and a miss makes the next wait
 * block. Pipes written before each iteration make "events arrive at once" independent of load. */
static void drain(struct loop *l, int fd, void *data, int mask)
{
    (void)l;
    (void)data;
    (void)mask;
    char b[16];
    cr_assert_gt(read(fd, b, sizeof b), 0);
}

static struct loop *make_polled_loop(int p[2], int64_t busy_poll_us)
{
    struct loop *l = loop_create(64);
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(loop_watch(l, p[0], LOOP_READABLE, drain, NULL), 0);
    loop_set_busy_poll(l, busy_poll_us);
    return l;
}

static void run_with_event_ready(struct loop *l, int wfd)
{
    cr_assert_eq(write(wfd, "x", 1), 1);
    cr_assert_eq(loop_run_once(l, 1000), 1);
}

Test(loop, busy_poll_off_by_default_never_spins)
{
    int p[2];
    struct loop *l = make_polled_loop(p, 0);
    for (int i = 0; i < 3; i++) run_with_event_ready(l, p[1]);
    cr_assert_eq(loop_run_once(l, 1), 0);
    struct loop_busy_poll_stats st = loop_busy_poll_stats(l);
    cr_assert_eq(st.hits + st.misses, 0);
    close(p[0]);
    close(p[1]);
    loop_destroy(l);
}

Test(loop, busy_poll_spins_only_after_a_short_gap_and_stops_after_a_miss)
{
    int p[2];
    /* One second: a wait whose event is already there is far shorter, however loaded the host. */
    struct loop *l = make_polled_loop(p, 1000000);
    run_with_event_ready(l, p[1]); /* no gap seen yet: blocks (returns at once) */
    cr_assert_eq(loop_busy_poll_stats(l).hits + loop_busy_poll_stats(l).misses, 0);
    run_with_event_ready(l, p[1]); /* short gap before: spins and finds the event */
    cr_assert_eq(loop_busy_poll_stats(l).hits, 1);

    /* Nothing arrives: the spin is capped by the 1 ms wait, then the wait times out. */
    cr_assert_eq(loop_run_once(l, 1), 0);
    cr_assert_eq(loop_busy_poll_stats(l).misses, 1);

    run_with_event_ready(l, p[1]); /* after a timed-out wait: blocks, no spin */
    cr_assert_eq(loop_busy_poll_stats(l).hits, 1);
    cr_assert_eq(loop_busy_poll_stats(l).misses, 1);
    run_with_event_ready(l, p[1]); /* short gap again: spins */
    cr_assert_eq(loop_busy_poll_stats(l).hits, 2);
    close(p[0]);
    close(p[1]);
    loop_destroy(l);
}

static uint64_t fake_switches;
static uint64_t read_fake_switches(void *ctx)
{
    (void)ctx;
    return fake_switches;
}

Test(loop, busy_poll_stops_while_other_processes_preempt_us_and_resumes_after)
{
    int p[2];
    struct loop *l = make_polled_loop(p, 1000000);
    fake_switches = 0;
    loop_set_switches_probe(l, read_fake_switches, NULL, 0); /* sample before every wait */
    run_with_event_ready(l, p[1]);
    run_with_event_ready(l, p[1]); /* short gap, no preemption: spins */
    cr_assert_eq(loop_busy_poll_stats(l).hits, 1);

    fake_switches += 100; /* the scheduler took the CPU from us 100 times */
    run_with_event_ready(l, p[1]);
    cr_assert_eq(loop_busy_poll_stats(l).hits, 1, "no spin while contended");
    cr_assert_eq(loop_busy_poll_stats(l).contended_windows, 1);

    run_with_event_ready(l, p[1]); /* a window without preemption: spinning again */
    cr_assert_eq(loop_busy_poll_stats(l).hits, 2);
    close(p[0]);
    close(p[1]);
    loop_destroy(l);
}
