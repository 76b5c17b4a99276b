/* Unit tests of the pure rule modules: monitor (SDOWN timing, ODOWN counting, TILT), election
 * (one vote per epoch, tally, majority) and select (the replica ranking table). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sentinel/core/election.h"
#include "sentinel/core/monitor.h"
#include "sentinel/core/select.h"

#define T0 1000000
#define RID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define RID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define RID_C "cccccccccccccccccccccccccccccccccccccccc"
#define RID_D "dddddddddddddddddddddddddddddddddddddddd"

static struct sentinel_periods P;

static struct instance *new_master(int quorum, int peers)
{
    struct sentinel_master_params p;
    sentinel_params_default(&p, quorum, 1000, 10000);
    struct instance *master = instance_create_master(1, "m", "10.0.0.1", 6379, &p, T0);
    const char *ids[] = {RID_A, RID_B, RID_D, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"};
    for (int i = 0; i < peers; i++)
        instance_add_sentinel(master, (uint64_t)(10 + i), "10.0.0.9", 26379 + i, ids[i], T0);
    monitor_periods_default(&P);
    return master;
}

/* ---- monitor ------------------------------------------------------------------------------------
 */

Test(monitor, sdown_only_after_down_after_without_valid_reply)
{
    struct instance *master = new_master(2, 0);
    master->link.is_cmd_connected = master->link.is_pubsub_connected = true;
    master->act_ping_ms = T0; /* PING outstanding since T0 */
    cr_assert(!monitor_sdown_condition(master, T0 + 1000, &P),
              "exactly down-after is not yet down");
    cr_assert(monitor_sdown_condition(master, T0 + 1001, &P));
    master->act_ping_ms = 0; /* answered */
    cr_assert(!monitor_sdown_condition(master, T0 + 5000, &P),
              "connected and answered: never down");
    instance_free(master);
}

Test(monitor, disconnected_counts_from_last_valid_reply)
{
    struct instance *master = new_master(2, 0);
    master->act_ping_ms = 0;
    master->last_avail_ms = T0 + 500;
    cr_assert_eq(monitor_unavailable_ms(master, T0 + 1200), 700);
    cr_assert(!monitor_sdown_condition(master, T0 + 1500, &P));
    cr_assert(monitor_sdown_condition(master, T0 + 1501, &P));
    instance_free(master);
}

Test(monitor, master_reporting_slave_goes_down_after_down_after_plus_two_info_periods)
{
    struct instance *master = new_master(2, 0);
    master->link.is_cmd_connected = master->link.is_pubsub_connected = true;
    master->act_ping_ms = 0;
    master->role_reported = ROLE_SLAVE;
    master->role_reported_ms = T0;
    cr_assert(!monitor_sdown_condition(master, T0 + 1000 + 2 * P.info_period, &P));
    cr_assert(monitor_sdown_condition(master, T0 + 1001 + 2 * P.info_period, &P));
    instance_free(master);
}

Test(monitor, odown_count_needs_local_sdown_and_counts_master_down_peers)
{
    struct instance *master = new_master(2, 3);
    master->record->sentinels[0]->flags |= SRI_MASTER_DOWN;
    master->record->sentinels[2]->flags |= SRI_MASTER_DOWN;
    cr_assert_eq(monitor_odown_count(master), 0, "not SDOWN locally: never ODOWN");
    master->flags |= SRI_S_DOWN;
    cr_assert_eq(monitor_odown_count(master), 3);
    instance_free(master);
}

Test(monitor, tilt_on_stall_and_on_backwards_clock)
{
    cr_assert_eq(monitor_tilt_check(0, T0, 2000), TILT_NONE);
    cr_assert_eq(monitor_tilt_check(T0, T0 + 2000, 2000), TILT_NONE);
    cr_assert_eq(monitor_tilt_check(T0, T0 + 2001, 2000), TILT_STALL);
    cr_assert_eq(monitor_tilt_check(T0, T0 - 1, 2000), TILT_BACKWARDS);
}

Test(monitor, ping_interval_scales_with_down_after)
{
    monitor_periods_default(&P);
    cr_assert_eq(monitor_ping_interval_ms(&P, 30000), 1000);
    cr_assert_eq(monitor_ping_interval_ms(&P, 1000), 100);
    cr_assert_eq(monitor_ping_interval_ms(&P, 50), 10);
}

Test(monitor, master_info_is_fast_while_replicas_are_being_discovered)
{
    struct instance *master = new_master(2, 0);
    cr_assert_eq(monitor_info_interval_ms(master, &P, T0 + 1000), P.fast_info_period,
                 "just started");
    cr_assert_eq(monitor_info_interval_ms(master, &P, T0 + MONITOR_DISCOVERY_MS), P.info_period);
    master->discovery_until_ms = T0 + 60000; /* a replica appeared at T0 + 50 s */
    cr_assert_eq(monitor_info_interval_ms(master, &P, T0 + 55000), P.fast_info_period);
    cr_assert_eq(monitor_info_interval_ms(master, &P, T0 + 60000), P.info_period);
    struct instance *r = instance_add_replica(master, 2, "10.0.0.2", 6379, T0);
    cr_assert_eq(monitor_info_interval_ms(r, &P, T0 + 1000), P.info_period);
    r->fresh_info_until_ms = T0 + 30000; /* an HTTP check wants it at most 400 ms old */
    r->fresh_info_period_ms = 200;
    cr_assert_eq(monitor_info_interval_ms(r, &P, T0 + 1000), 200);
    cr_assert_eq(monitor_info_interval_ms(r, &P, T0 + 30000), P.info_period);
    instance_free(master);
}

Test(monitor, info_not_resent_while_in_flight)
{
    struct instance *master = new_master(2, 0);
    cr_assert(monitor_info_due(master, T0, &P));
    master->info_sent_ms = T0;
    cr_assert(!monitor_info_due(master, T0 + 100, &P));
    master->info_sent_ms = 0;
    master->info_refresh_ms = T0;
    cr_assert(!monitor_info_due(master, T0 + P.info_period, &P));
    cr_assert(monitor_info_due(master, T0 + P.info_period + 1, &P));
    instance_free(master);
}

/* ---- election -----------------------------------------------------------------------------------
 */

Test(election, one_vote_per_epoch)
{
    uint64_t cur = 3, le = 0;
    char leader[41] = "";
    struct election_vote_outcome o;
    election_cast_vote(&cur, leader, &le, 4, RID_A, &o);
    cr_assert(o.epoch_adopted && o.voted);
    cr_assert_eq(cur, 4);
    cr_assert_str_eq(leader, RID_A);
    cr_assert_eq(le, 4);
    election_cast_vote(&cur, leader, &le, 4, RID_B, &o);
    cr_assert(!o.voted, "second request in the same epoch must not change the vote");
    cr_assert_str_eq(leader, RID_A);
    election_cast_vote(&cur, leader, &le, 3, RID_B, &o);
    cr_assert(!o.voted && !o.epoch_adopted, "older epoch is ignored");
    election_cast_vote(&cur, leader, &le, 5, RID_B, &o);
    cr_assert(o.voted);
    cr_assert_str_eq(leader, RID_B);
    cr_assert_eq(le, 5);
}

Test(election, no_vote_when_current_epoch_is_ahead)
{
    uint64_t cur = 9, le = 2;
    char leader[41] = RID_A;
    struct election_vote_outcome o;
    election_cast_vote(&cur, leader, &le, 5, RID_B, &o);
    cr_assert(!o.voted);
    cr_assert_eq(le, 2);
}

Test(election, majority_and_quorum)
{
    cr_assert_eq(election_majority(1), 1);
    cr_assert_eq(election_majority(3), 2);
    cr_assert_eq(election_majority(4), 3);
    cr_assert_eq(election_majority(5), 3);
    cr_assert_eq(election_votes_needed(5, 2), 3, "quorum below majority does not lower it");
    cr_assert_eq(election_votes_needed(5, 4), 4, "quorum above majority raises it");
}

Test(election, tally_counts_only_votes_of_the_attempt_epoch)
{
    struct instance *master = new_master(2, 2);
    struct instance *a = master->record->sentinels[0], *b = master->record->sentinels[1];
    strcpy(a->leader, RID_C);
    a->leader_epoch = 7;
    strcpy(b->leader, RID_C);
    b->leader_epoch = 6; /* stale epoch: must not count */
    struct election_tally t;
    election_count(master, 7, RID_C, "", 0, &t);
    cr_assert_eq(t.voters, 3);
    cr_assert_eq(t.needed, 2);
    cr_assert_eq(t.for_me, 1);
    cr_assert(!election_won(&t));
    election_count(master, 7, RID_C, RID_C, 7, &t);
    cr_assert_eq(t.for_me, 2);
    cr_assert(election_won(&t));
    instance_free(master);
}

Test(election, split_vote_is_detected_as_lost)
{
    struct instance *master = new_master(2, 3); /* 4 voters, 3 needed */
    strcpy(master->record->sentinels[0]->leader, RID_C);
    master->record->sentinels[0]->leader_epoch = 3;
    strcpy(master->record->sentinels[1]->leader, RID_B);
    master->record->sentinels[1]->leader_epoch = 3;
    strcpy(master->record->sentinels[2]->leader, RID_B);
    master->record->sentinels[2]->leader_epoch = 3;
    struct election_tally t;
    election_count(master, 3, RID_C, RID_C, 3, &t);
    cr_assert_eq(t.for_me, 2);
    cr_assert_eq(t.undecided, 0);
    cr_assert(election_lost(&t));
    cr_assert(!election_other_won(&t));
    char pick[41];
    cr_assert_eq(election_most_voted(master, 3, pick), 2);
    cr_assert_str_eq(pick, RID_B);
    instance_free(master);
}

Test(election, a_peer_naming_another_candidate_ends_the_round)
{
    /* Two of three voters alive: C voted for itself, peer A for itself, peer B is silent. The
     * votes still missing could in theory make C a majority, but the round split: it is lost. */
    struct instance *master = new_master(2, 2);
    strcpy(master->record->sentinels[0]->leader, RID_A);
    master->record->sentinels[0]->leader_epoch = 4;
    struct election_tally t;
    election_count(master, 4, RID_C, RID_C, 4, &t);
    cr_assert_eq(t.for_me, 1);
    cr_assert_eq(t.for_others, 1);
    cr_assert_eq(t.undecided, 1);
    cr_assert(!election_lost(&t), "not lost by arithmetic alone");
    cr_assert(election_round_lost(&t));
    cr_assert(!election_other_won(&t));
    /* the same votes in an older epoch do not end the round of epoch 5 */
    election_count(master, 5, RID_C, RID_C, 5, &t);
    cr_assert_eq(t.for_others, 0);
    cr_assert(!election_round_lost(&t));
    /* a won round is never lost, whatever the others did */
    strcpy(master->record->sentinels[1]->leader, RID_C);
    master->record->sentinels[1]->leader_epoch = 4;
    election_count(master, 4, RID_C, RID_C, 4, &t);
    cr_assert(election_won(&t));
    cr_assert(!election_round_lost(&t));
    instance_free(master);
}

/* ---- select -------------------------------------------------------------------------------------
 */

static struct instance *ready_replica(struct instance *master, uint64_t id, const char *host,
                                      int prio, long long off, const char *runid)
{
    struct instance *r = instance_add_replica(master, id, host, 6379, T0);
    r->link.is_cmd_connected = r->link.is_pubsub_connected = true;
    r->last_avail_ms = T0 + 900;
    r->info_refresh_ms = T0 + 900;
    r->role_reported = ROLE_SLAVE;
    r->slave_priority = prio;
    r->slave_repl_offset = off;
    if (runid) strcpy(r->runid, runid);
    return r;
}

struct rank_row {
    int prio;
    long long off;
    const char *runid;
};

/* Rank rows[0..n) in `order` and check the result is rows[expect[0]], rows[expect[1]], ... */
static void check_ranking(enum sentinel_promotion_order order, const struct rank_row *rows,
                          const int *expect, size_t n)
{
    struct instance *master = new_master(2, 0);
    master->record->params.promotion_order = order;
    struct instance *r[8];
    for (size_t i = 0; i < n; i++) {
        char host[32];
        snprintf(host, sizeof(host), "10.0.1.%zu", i);
        r[i] = ready_replica(master, (uint64_t)(100 + i), host, rows[i].prio, rows[i].off,
                             rows[i].runid);
    }
    struct instance *out[8];
    size_t eligible = 0;
    for (size_t i = 0; i < n; i++) eligible += rows[i].prio != 0;
    cr_assert_eq(select_rank(master, T0 + 1000, &P, out, 8), eligible);
    for (size_t i = 0; i < eligible; i++) cr_assert_eq(out[i], r[expect[i]], "rank %zu", i);
    cr_assert_eq(select_best_replica(master, T0 + 1000, &P), eligible ? r[expect[0]] : NULL);
    instance_free(master);
}

static const struct rank_row table[] = {
    {100, 500, RID_B}, {10, 100, RID_D}, {100, 900, RID_C}, {100, 900, RID_A}, {100, 900, NULL},
};

Test(select, ranking_table_priority_first)
{
    /* Redis's order: prio 10 first; then offset 900 by run id A, C, then unknown; then 500 */
    static const int expect[] = {1, 3, 2, 4, 0};
    check_ranking(PROMOTION_PRIORITY_FIRST, table, expect, 5);
}

Test(select, ranking_table_offset_first_is_the_default)
{
    struct sentinel_master_params p;
    sentinel_params_default(&p, 2, 1000, 10000);
    cr_assert_eq(p.promotion_order, PROMOTION_OFFSET_FIRST);
    /* offset 900 first (run id A, C, unknown), then 500, then the prio-10 replica at 100: a
     * better priority never beats more data */
    static const int expect[] = {3, 2, 4, 0, 1};
    check_ranking(PROMOTION_OFFSET_FIRST, table, expect, 5);
}

Test(select, offset_first_priority_breaks_ties_and_zero_is_never_promoted)
{
    static const struct rank_row rows[] = {
        {100, 700, RID_A}, {50, 700, RID_B}, {0, 900, RID_C}, {1, 600, RID_D}};
    /* equal offsets: priority 50 before 100; priority 0 excluded although it is ahead */
    static const int expect[] = {1, 0, 3};
    check_ranking(PROMOTION_OFFSET_FIRST, rows, expect, 4);
    static const int expect_prio[] = {3, 1, 0};
    check_ranking(PROMOTION_PRIORITY_FIRST, rows, expect_prio, 4);
    static const struct rank_row only_zero[] = {{0, 900, RID_C}};
    check_ranking(PROMOTION_OFFSET_FIRST, only_zero, NULL, 1);
}

Test(select, promotion_order_names_round_trip)
{
    cr_assert_str_eq(sentinel_promotion_order_name(PROMOTION_OFFSET_FIRST), "offset-first");
    cr_assert_str_eq(sentinel_promotion_order_name(PROMOTION_PRIORITY_FIRST), "priority-first");
    cr_assert_eq(sentinel_promotion_order_parse("Priority-First"), PROMOTION_PRIORITY_FIRST);
    cr_assert_eq(sentinel_promotion_order_parse("offset-first"), PROMOTION_OFFSET_FIRST);
    cr_assert_eq(sentinel_promotion_order_parse("fastest"), -1);
}

Test(select, exclusion_rules)
{
    struct instance *master = new_master(2, 0);
    int64_t now = T0 + 1000;
    struct instance *r = ready_replica(master, 100, "10.0.1.1", 100, 10, RID_A);
    cr_assert_eq(select_check_replica(r, now, &P), SELECT_ELIGIBLE);
    r->flags |= SRI_S_DOWN;
    cr_assert_eq(select_check_replica(r, now, &P), SELECT_DOWN);
    r->flags = 0;
    r->link.is_pubsub_connected = false;
    cr_assert_eq(select_check_replica(r, now, &P), SELECT_DISCONNECTED);
    r->link.is_pubsub_connected = true;
    r->slave_priority = 0;
    cr_assert_eq(select_check_replica(r, now, &P), SELECT_PRIORITY_ZERO);
    r->slave_priority = 100;
    r->last_avail_ms = now - 5 * P.ping_period - 1;
    cr_assert_eq(select_check_replica(r, now, &P), SELECT_PING_STALE);
    r->last_avail_ms = now;
    master->flags |= SRI_S_DOWN;
    master->s_down_since_ms = now;
    r->info_refresh_ms = now - 5 * P.ping_period - 1;
    cr_assert_eq(select_check_replica(r, now, &P), SELECT_INFO_STALE);
    r->info_refresh_ms = now;
    r->master_link_down_ms = 10 * 1000 + 1;
    cr_assert_eq(select_check_replica(r, now, &P), SELECT_MASTER_LINK_DOWN);
    r->master_link_down_ms = 0;
    r->role_reported = ROLE_MASTER;
    cr_assert_eq(select_check_replica(r, now, &P), SELECT_NOT_A_REPLICA);
    cr_assert_null(select_best_replica(master, now, &P));
    instance_free(master);
}

/* ---- instance addresses ------------------------------------------------------------------------
 */

Test(instance, named_host_matches_by_name_or_address_and_announces_either)
{
    struct sentinel_master_params p;
    sentinel_params_default(&p, 2, 1000, 10000);
    struct instance *master = instance_create_master(1, "m", "db.example", 6379, &p, T0);
    cr_assert(instance_addr_is(master, "db.example", 6379));
    cr_assert(!instance_addr_is(master, "10.0.0.7", 6379), "no address learned yet");
    instance_set_ip(master, "10.0.0.7");
    cr_assert(instance_addr_is(master, "10.0.0.7", 6379));
    cr_assert(instance_addr_is(master, "DB.EXAMPLE", 6379));
    cr_assert(!instance_addr_is(master, "10.0.0.7", 6380));
    cr_assert_str_eq(instance_announced_host(master, true), "db.example");
    cr_assert_str_eq(instance_announced_host(master, false), "10.0.0.7");
    char id[128];
    instance_describe_id(master, false, id, sizeof(id));
    cr_assert_str_eq(id, "master m 10.0.0.7 6379");
    instance_describe_id(master, true, id, sizeof(id));
    cr_assert_str_eq(id, "master m db.example 6379");
    instance_set_address(master, "10.0.0.8", 6380); /* a move forgets the old name's address */
    cr_assert_str_eq(instance_announced_host(master, false), "10.0.0.8");
    sentinel_params_free(&p);
    instance_free(master);
}
