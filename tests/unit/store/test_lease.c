/* Tests for store/lease: the master lease arithmetic with a fake clock (every call takes now):
 * renewal, expiry, the margin a sentinel leaves, `needed` from the largest view, stale epochs,
 * anchor 0, late answers, bounds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "store/lease.h"

#define DOWN_AFTER 1000
#define LEASE_MS 800 /* down-after - max(down-after / 5, 50): what vigil-sentinel sends */

static enum lease_verdict renew(struct lease_table *t, const char *runid, int64_t anchor,
                                unsigned needed, uint64_t epoch, int64_t now)
{
    char err[128];
    struct lease_renewal r = {"mymaster", runid, anchor, LEASE_MS, needed, epoch};
    return lease_renew(t, &r, now, err, sizeof(err));
}

Test(lease, a_new_table_is_not_held)
{
    struct lease_table t;
    lease_table_init(&t);
    struct lease_status st = lease_status(&t, 5000);
    cr_assert_eq(st.valid, 0);
    cr_assert_eq(st.needed, 1);
    cr_assert(!lease_is_held(&t, 5000));
}

Test(lease, anchor_zero_only_fetches_the_clock)
{
    struct lease_table t;
    lease_table_init(&t);
    cr_assert_eq(renew(&t, "s1", 0, 1, 1, 5000), LEASE_CLOCK_ONLY);
    cr_assert_eq(lease_status(&t, 5000).valid, 0);
    cr_assert(!lease_is_held(&t, 5000));
}

Test(lease, valid_from_anchor_until_anchor_plus_lease_then_expires)
{
    struct lease_table t;
    lease_table_init(&t);
    cr_assert_eq(renew(&t, "s1", 5000, 1, 1, 5010), LEASE_GRANTED);
    cr_assert(lease_is_held(&t, 5010));
    cr_assert_eq(lease_status(&t, 5010).expires_in_ms, 5000 + LEASE_MS - 5010);
    cr_assert(lease_is_held(&t, 5000 + LEASE_MS - 1));
    cr_assert(!lease_is_held(&t, 5000 + LEASE_MS), "the lease ends at anchor + lease-ms");
    /* the renewal every down-after / 4 keeps it */
    cr_assert_eq(renew(&t, "s1", 5010 + DOWN_AFTER / 4, 1, 1, 5020 + DOWN_AFTER / 4),
                 LEASE_GRANTED);
    cr_assert(lease_is_held(&t, 5000 + LEASE_MS + 100));
}

Test(lease, the_margin_ends_the_lease_before_a_sentinel_can_judge_sdown)
{
    /* The sentinel received the anchor at some time >= anchor and restarted its SDOWN clock
     * then: SDOWN needs down-after more, so at anchor + down-after at the earliest. */
    struct lease_table t;
    lease_table_init(&t);
    int64_t anchor = 7000;
    renew(&t, "s1", anchor, 1, 1, anchor + 5);
    cr_assert(!lease_is_held(&t, anchor + DOWN_AFTER - (DOWN_AFTER / 5)));
    cr_assert(!lease_is_held(&t, anchor + DOWN_AFTER));
}

Test(lease, a_late_answer_with_an_old_anchor_grants_little_or_nothing)
{
    struct lease_table t;
    lease_table_init(&t);
    /* anchor from 790 ms ago: 10 ms left */
    cr_assert_eq(renew(&t, "s1", 10000, 1, 1, 10790), LEASE_GRANTED);
    cr_assert_eq(lease_status(&t, 10790).expires_in_ms, 10);
    cr_assert(!lease_is_held(&t, 10800));
    /* anchor older than the lease: nothing */
    struct lease_table u;
    lease_table_init(&u);
    cr_assert_eq(renew(&u, "s1", 10000, 1, 1, 12000), LEASE_GRANTED);
    cr_assert(!lease_is_held(&u, 12000));
}

Test(lease, an_expiry_never_moves_back_within_an_epoch)
{
    struct lease_table t;
    lease_table_init(&t);
    renew(&t, "s1", 5000, 1, 1, 5000);
    renew(&t, "s1", 4000, 1, 1, 5001); /* reordered: an older anchor */
    cr_assert(lease_is_held(&t, 5000 + LEASE_MS - 1));
}

Test(lease, needed_is_the_largest_among_valid_leases)
{
    struct lease_table t;
    lease_table_init(&t);
    renew(&t, "s1", 5000, 1, 1, 5000); /* a sentinel that knows no peers yet */
    cr_assert(lease_is_held(&t, 5000));
    renew(&t, "s2", 5000, 2, 1, 5000); /* one that knows 3 sentinels, quorum 2 */
    struct lease_status st = lease_status(&t, 5001);
    cr_assert_eq(st.valid, 2);
    cr_assert_eq(st.needed, 2);
    cr_assert(lease_is_held(&t, 5001));
    renew(&t, "s1", 5400, 1, 1, 5400); /* s2's ends at 5800: its view still counts, 1 < 2 */
    cr_assert(!lease_is_held(&t, 5800));
    cr_assert_eq(lease_status(&t, 5800).needed, 2);
    /* ... for LEASE_NEEDED_MEMORY lease lengths after its end, then it is forgotten */
    int64_t later = 5800 + LEASE_NEEDED_MEMORY * LEASE_MS;
    renew(&t, "s1", later, 1, 1, later);
    cr_assert_eq(lease_status(&t, later).needed, 1);
    cr_assert(lease_is_held(&t, later));
}

Test(lease, the_same_sentinel_counts_once)
{
    struct lease_table t;
    lease_table_init(&t);
    renew(&t, "s1", 5000, 2, 1, 5000);
    renew(&t, "s1", 5100, 2, 1, 5100);
    cr_assert_eq(lease_status(&t, 5100).valid, 1);
    cr_assert(!lease_is_held(&t, 5100));
}

Test(lease, expires_in_is_when_the_count_drops_below_needed)
{
    struct lease_table t;
    lease_table_init(&t);
    renew(&t, "s1", 5000, 2, 1, 5000); /* until 5800 */
    renew(&t, "s2", 5100, 2, 1, 5100); /* until 5900 */
    renew(&t, "s3", 5200, 2, 1, 5200); /* until 6000 */
    cr_assert_eq(lease_status(&t, 5200).expires_in_ms, 5900 - 5200);
}

Test(lease, a_stale_epoch_renewal_is_ignored_and_old_epochs_stop_counting)
{
    struct lease_table t;
    lease_table_init(&t);
    renew(&t, "s1", 5000, 2, 3, 5000);
    renew(&t, "s2", 5000, 2, 3, 5000);
    cr_assert(lease_is_held(&t, 5000));
    cr_assert_eq(renew(&t, "s3", 5000, 2, 4, 5001), LEASE_GRANTED);
    cr_assert_eq(lease_status(&t, 5001).valid, 1, "epoch 3 leases no longer count");
    cr_assert(!lease_is_held(&t, 5001));
    cr_assert_eq(renew(&t, "s1", 5001, 2, 3, 5002), LEASE_STALE_EPOCH);
    cr_assert_eq(lease_status(&t, 5002).valid, 1);
    cr_assert_eq(t.ignored_stale, 1);
    cr_assert_eq(renew(&t, "s1", 5001, 2, 4, 5002), LEASE_GRANTED);
    cr_assert(lease_is_held(&t, 5002));
}

Test(lease, clear_forgets_leases_but_not_epochs)
{
    struct lease_table t;
    lease_table_init(&t);
    renew(&t, "s1", 5000, 1, 5, 5000);
    lease_table_clear(&t);
    cr_assert(!lease_is_held(&t, 5000));
    cr_assert_eq(renew(&t, "s1", 5000, 1, 4, 5000), LEASE_STALE_EPOCH);
}

Test(lease, bad_values_are_refused_with_a_reason)
{
    struct lease_table t;
    lease_table_init(&t);
    char err[128];
    struct lease_renewal bad[] = {
        {"mymaster", "s1", 6000, 800, 1, 1}, /* anchor from the future */
        {"mymaster", "s1", -1, 800, 1, 1},
        {"mymaster", "s1", 100, 0, 1, 1},
        {"mymaster", "s1", 100, LEASE_MAX_MS + 1, 1, 1},
        {"mymaster", "s1", 100, 800, 0, 1},
        {"", "s1", 100, 800, 1, 1},
        {"mymaster", "", 100, 800, 1, 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_assert_eq(lease_renew(&t, &bad[i], 5000, err, sizeof(err)), LEASE_BAD, "case %zu", i);
        cr_assert_neq(err[0], '\0');
    }
    cr_assert_eq(t.n_holders, 0);
}

Test(lease, holders_are_bounded_and_expired_slots_are_reused)
{
    struct lease_table t;
    lease_table_init(&t);
    char id[16];
    for (int i = 0; i < LEASE_MAX_HOLDERS; i++) {
        snprintf(id, sizeof id, "s%d", i);
        cr_assert_eq(renew(&t, id, 5000, 1, 1, 5000), LEASE_GRANTED);
    }
    cr_assert_eq(renew(&t, "extra", 5000, 1, 1, 5000), LEASE_FULL);
    cr_assert_eq(renew(&t, "extra", 6000, 1, 1, 6000), LEASE_GRANTED, "expired slots reused");
    cr_assert_eq(t.n_holders, LEASE_MAX_HOLDERS);
}
