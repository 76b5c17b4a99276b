/* Tests for sentinel/core/lease: the arithmetic (needed, margin, duration, renewal interval) and
 * the scheduling in the core with a fake clock: the renew period, the clock fetch then the
 * renewal at once, the lease reply restarting the SDOWN clock, a renewal at once on a master
 * switch, and the cases where no renewal may be sent (stale view, a recent vote in a newer
 * epoch, a Redis node). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_env.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/lease.h"
#include "sentinel/core/sentinel_cmd.h"

static struct fake_env F;
static void setup(void) { fake_env_init(&F); }
static void teardown(void) { fake_env_free(&F); }
TestSuite(lease, .init = setup, .fini = teardown);

static struct instance *M(struct sentinel *s)
{
    return (struct instance *)sentinel_master_at(s, 0);
}

Test(lease, needed_is_known_minus_quorum_plus_one_and_at_least_a_majority)
{
    cr_assert_eq(lease_needed(3, 2), 2);
    cr_assert_eq(lease_needed(5, 3), 3);
    cr_assert_eq(lease_needed(5, 2), 4);
    cr_assert_eq(lease_needed(1, 1), 1);
    cr_assert_eq(lease_needed(4, 3), 3, "a majority (sim seed 2232)");
    cr_assert_eq(lease_needed(2, 2), 2, "a majority");
    cr_assert_eq(lease_needed(1, 2), 1, "at least one");
}

Test(lease, margin_and_duration)
{
    cr_assert_eq(lease_margin_ms(1000, 0), 200);
    cr_assert_eq(lease_margin_ms(100, 0), LEASE_MIN_MARGIN_MS);
    cr_assert_eq(lease_margin_ms(1000, 30), 30, "an explicit margin wins");
    cr_assert_eq(lease_duration_ms(1000, 0), 800);
    cr_assert_eq(lease_duration_ms(30000, 0), 24000);
    cr_assert_leq(lease_duration_ms(50, 0), 0, "too short to lease");
}

Test(lease, renew_interval)
{
    struct sentinel_periods p;
    monitor_periods_default(&p);
    cr_assert_eq(lease_renew_interval_ms(&p, 1000), 250);
    cr_assert_eq(lease_renew_interval_ms(&p, 30000), p.lease_period);
    cr_assert_eq(lease_renew_interval_ms(&p, 20), LEASE_MIN_RENEW_MS);
    p.lease_period = 40;
    cr_assert_eq(lease_renew_interval_ms(&p, 1000), 40);
}

/* fake_ready_world, started like a sentinel's first run: its peers come from the world's state
 * (as from a state file), which would hold renewals back for a lease length (tested below). */
static struct sentinel *leased_world(void)
{
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    M(s)->record->lease_boot_hold_until_ms = 1;
    return s;
}

/* Peers' hellos heard now: the view is fresh. */
static void hear_peers(struct sentinel *s)
{
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        M(s)->record->sentinels[i]->last_hello_ms = F.now;
}

static size_t n_leases(struct sentinel *s, uint64_t id)
{
    (void)s;
    size_t n = 0;
    for (size_t i = 0; i < F.n_cmds; i++)
        if (F.cmds[i].id == id && F.cmds[i].tag == TAG_LEASE) n++;
    return n;
}

/* Answer every VIGIL LEASE sent to id since *cursor as a vigil-store whose clock reads
 * store_ms. */
static void answer_leases(struct sentinel *s, uint64_t id, size_t *cursor, long long store_ms)
{
    for (; *cursor < F.n_cmds; (*cursor)++) {
        const struct fake_cmd *c = &F.cmds[*cursor];
        if (c->id != id || c->tag != TAG_LEASE) continue;
        struct sentinel_reply e[5];
        long long v[5] = {store_ms, 2, 2, 0, strcmp(c->argv[4], "0") == 0 ? 1 : 0};
        for (int i = 0; i < 5; i++)
            e[i] = (struct sentinel_reply){.type = SENTINEL_REPLY_INTEGER, .integer = v[i]};
        struct sentinel_reply r = {.type = SENTINEL_REPLY_ARRAY, .count = 5, .elems = e};
        sentinel_on_reply(s, id, TAG_LEASE, &r);
    }
}

static void run_answering(struct sentinel *s, int64_t ms, size_t *cursor)
{
    for (int64_t t = 0; t < ms; t += 10) {
        hear_peers(s);
        fake_run_for(&F, s, 10, FAKE_ALL_ALIVE);
        answer_leases(s, M(s)->id, cursor, 100000 + F.now);
        while (sentinel_next_tick_ms(s) <= F.now) sentinel_tick(s, F.now);
    }
}

Test(lease, clock_fetch_then_renewal_at_once_then_every_interval)
{
    struct sentinel *s = leased_world();
    size_t cursor = F.n_cmds;
    hear_peers(s);
    sentinel_tick(s, F.now);
    const struct fake_cmd *first = fake_last_cmd(&F, M(s)->id, "VIGIL");
    cr_assert_not_null(first);
    cr_assert_str_eq(first->argv[1], "LEASE");
    cr_assert_str_eq(first->argv[2], "mymaster");
    cr_assert_str_eq(first->argv[3], FAKE_MYID);
    cr_assert_str_eq(first->argv[4], "0", "the first one only fetches the clock");
    cr_assert_str_eq(first->argv[5], "800", "down-after 1000 - margin 200");
    cr_assert_str_eq(first->argv[6], "2", "3 sentinels, quorum 2");
    size_t before = n_leases(s, M(s)->id);
    answer_leases(s, M(s)->id, &cursor, 123456);
    sentinel_tick(s, F.now); /* same instant: the real renewal goes at once */
    cr_assert_eq(n_leases(s, M(s)->id), before + 1);
    cr_assert_str_eq(fake_last_cmd(&F, M(s)->id, "VIGIL")->argv[4], "123456");
    size_t at = n_leases(s, M(s)->id);
    run_answering(s, 1000, &cursor);
    size_t sent = n_leases(s, M(s)->id) - at;
    cr_assert(sent >= 3 && sent <= 5, "every 250 ms over 1 s, sent %zu", sent);
    sentinel_destroy(s);
}

/* SENTINEL SET lease-margin: the lease is down-after minus that margin; a margin of down-after
 * or more sends no lease at all (and says so in plan's reasons, through lease_blocked_reason). */
Test(lease, a_per_master_margin_sets_the_lease_length)
{
    struct sentinel *s = leased_world();
    struct sentinel_cmd_result res;
    const char *set[] = {"lease-margin", "300"};
    sentinel_cmd_set(s, "mymaster", 2, set, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    cr_assert_eq(F.last_state.masters[0].params.lease_margin_ms, 300, "persisted");
    const char *bad[] = {"lease-margin", "-1"};
    sentinel_cmd_set(s, "mymaster", 2, bad, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    hear_peers(s);
    sentinel_tick(s, F.now);
    cr_assert_str_eq(fake_last_cmd(&F, M(s)->id, "VIGIL")->argv[5], "700", "1000 - 300");
    sentinel_destroy(s);

    fake_env_free(&F);
    fake_env_init(&F);
    s = leased_world();
    const char *all[] = {"lease-margin", "1000"};
    sentinel_cmd_set(s, "mymaster", 2, all, &res);
    hear_peers(s);
    sentinel_tick(s, F.now);
    cr_assert_eq(n_leases(s, M(s)->id), 0, "no lease when the margin eats down-after");
    cr_assert_str_eq(lease_blocked_reason(s, M(s), M(s), F.now),
                     "down-after too short for the lease margin");
    sentinel_destroy(s);
}

Test(lease, a_lease_reply_restarts_the_sdown_clock_like_a_pong)
{
    struct sentinel *s = leased_world();
    size_t cursor = F.n_cmds;
    hear_peers(s);
    sentinel_tick(s, F.now);
    M(s)->act_ping_ms = F.now - 900; /* a PING unanswered for 900 ms */
    F.now += 5;
    answer_leases(s, M(s)->id, &cursor, 5000);
    cr_assert_eq(M(s)->act_ping_ms, 0);
    cr_assert_eq(M(s)->last_avail_ms, F.now);
    sentinel_destroy(s);
}

Test(lease, no_renewal_with_a_stale_view)
{
    struct sentinel *s = leased_world();
    for (size_t i = 0; i < 2; i++) M(s)->record->sentinels[i]->last_hello_ms = 0;
    size_t before = n_leases(s, M(s)->id);
    fake_run_for(&F, s, 500, FAKE_ALL_ALIVE);
    cr_assert_eq(n_leases(s, M(s)->id), before, "no majority's hellos: no renewal");
    /* a hello announcing a newer config epoch also stops renewals */
    hear_peers(s);
    M(s)->record->heard_config_epoch = M(s)->record->config_epoch + 1;
    M(s)->record->heard_config_ms = F.now;
    sentinel_tick(s, F.now);
    cr_assert_eq(n_leases(s, M(s)->id), before);
    M(s)->record->heard_config_epoch = 0;
    sentinel_tick(s, F.now + 1);
    cr_assert_eq(n_leases(s, M(s)->id), before + 1);
    sentinel_destroy(s);
}

Test(lease, no_renewal_after_voting_in_a_newer_epoch)
{
    struct sentinel *s = leased_world();
    hear_peers(s);
    core_vote(s, M(s), M(s)->record->config_epoch + 1, FAKE_PEER_A, F.now);
    size_t before = n_leases(s, M(s)->id);
    sentinel_tick(s, F.now);
    cr_assert_eq(n_leases(s, M(s)->id), before, "the failover we voted for may promote");
    size_t cursor = F.n_cmds;
    run_answering(s, M(s)->record->params.failover_timeout_ms - 100, &cursor);
    cr_assert_eq(n_leases(s, M(s)->id), before);
    run_answering(s, 200, &cursor);
    cr_assert_gt(n_leases(s, M(s)->id), before, "after failover-timeout, renewals resume");
    sentinel_destroy(s);
}

/* The candidate we voted for ended its attempt without promoting (SENTINEL VOTE-RELEASE):
 * renewals resume at once. Only that candidate, for that epoch, can release the vote. */
Test(lease, a_released_vote_lets_renewals_resume_at_once)
{
    struct sentinel *s = leased_world();
    hear_peers(s);
    uint64_t epoch = M(s)->record->config_epoch + 1;
    core_vote(s, M(s), epoch, FAKE_PEER_A, F.now);
    char ep[24], other[24];
    snprintf(ep, sizeof ep, "%llu", (unsigned long long)epoch);
    snprintf(other, sizeof other, "%llu", (unsigned long long)epoch + 1);
    struct sentinel_cmd_result res;
    sentinel_cmd_vote_release(s, "10.0.0.1", "6379", ep, FAKE_PEER_B, &res);
    cr_assert_eq(res.integer, 0, "not the candidate we voted for");
    sentinel_cmd_vote_release(s, "10.0.0.1", "6379", other, FAKE_PEER_A, &res);
    cr_assert_eq(res.integer, 0, "not the epoch we voted in");
    sentinel_cmd_vote_release(s, "10.0.0.9", "6379", ep, FAKE_PEER_A, &res);
    cr_assert_eq(res.integer, 0, "not a master we watch");
    sentinel_cmd_vote_release(s, "10.0.0.1", "x", ep, FAKE_PEER_A, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    size_t before = n_leases(s, M(s)->id);
    sentinel_tick(s, F.now + 10);
    cr_assert_eq(n_leases(s, M(s)->id), before, "still held");
    sentinel_cmd_vote_release(s, "10.0.0.1", "6379", ep, FAKE_PEER_A, &res);
    cr_assert_eq(res.integer, 1);
    sentinel_tick(s, F.now + 20);
    cr_assert_gt(n_leases(s, M(s)->id), before, "released: renewals resume at once");
    sentinel_destroy(s);
}

Test(lease, a_redis_node_is_not_renewed_again_for_a_minute_and_logged_once)
{
    struct sentinel *s = leased_world();
    hear_peers(s);
    sentinel_tick(s, F.now);
    size_t before = n_leases(s, M(s)->id);
    cr_assert_geq(before, 1);
    const char *text = "ERR unknown command 'VIGIL', with args beginning with: 'LEASE' ";
    struct sentinel_reply err = {.type = SENTINEL_REPLY_ERROR, .str = text, .len = strlen(text)};
    sentinel_on_reply(s, M(s)->id, TAG_LEASE, &err);
    size_t cursor = F.n_cmds;
    run_answering(s, 2000, &cursor);
    cr_assert_eq(n_leases(s, M(s)->id), before);
    cr_assert_eq(fake_count_logs(&F, "does not support VIGIL LEASE"), 1);
    sentinel_destroy(s);
}

static void switch_to_replica_1(struct sentinel *s)
{
    master_switch_to(s, M(s), "10.0.0.2", 6379);
    cr_assert_eq(M(s)->lease.anchor_ms, 0, "another node: its clock is not the old one's");
    sentinel_tick(s, F.now);
    fake_link_all(&F, s);
    char buf[2048];
    fake_master_info(buf, sizeof(buf), "1", 2);
    fake_reply_info(s, M(s)->id, buf);
    hear_peers(s);
}

Test(lease, a_new_master_gets_a_renewal_at_once_after_the_switch)
{
    struct sentinel *s = leased_world();
    size_t cursor = F.n_cmds;
    run_answering(s, 300, &cursor);
    cr_assert_neq(M(s)->lease.anchor_ms, 0);
    /* the master dies: no anchor for down-after, so our last lease on it has ended */
    fake_run_for(&F, s, 1000, FAKE_MASTER_DEAD);
    cr_assert_lt(M(s)->lease.until_ms, F.now);
    switch_to_replica_1(s);
    size_t before = n_leases(s, M(s)->id);
    sentinel_tick(s, F.now);
    cr_assert_eq(n_leases(s, M(s)->id), before + 1, "renewed on the first tick");
    sentinel_destroy(s);
}

Test(lease, no_renewal_of_a_new_master_while_our_lease_on_the_old_one_may_be_valid)
{
    struct sentinel *s = leased_world();
    size_t cursor = F.n_cmds;
    run_answering(s, 300, &cursor);
    int64_t until = M(s)->lease.until_ms;
    cr_assert_gt(until, F.now);
    cr_assert_leq(until, F.now + lease_duration_ms(1000, 0), "bounded by the anchor's arrival");
    switch_to_replica_1(s);
    size_t before = n_leases(s, M(s)->id);
    sentinel_tick(s, F.now);
    cr_assert_eq(n_leases(s, M(s)->id), before, "the old master may still hold our lease");
    /* once the old node reports the replica role (it dropped its leases), at once */
    struct instance *old = instance_find_replica(M(s), "10.0.0.1", 6379);
    cr_assert_not_null(old);
    char buf[2048];
    fake_replica_info(buf, sizeof(buf), "9", "10.0.0.2", 6379, true, 100, 100);
    F.now += 1;
    fake_reply_info(s, old->id, buf);
    hear_peers(s);
    sentinel_tick(s, F.now);
    cr_assert_eq(n_leases(s, M(s)->id), before + 1);
    sentinel_destroy(s);
}

Test(lease, without_news_of_the_old_master_the_new_one_waits_for_the_lease_to_end)
{
    struct sentinel *s = leased_world();
    size_t cursor = F.n_cmds;
    run_answering(s, 300, &cursor);
    int64_t until = M(s)->lease.until_ms;
    switch_to_replica_1(s);
    size_t before = n_leases(s, M(s)->id);
    while (F.now < until) {
        cr_assert_eq(n_leases(s, M(s)->id), before, "at %lld, until %lld", (long long)F.now,
                     (long long)until);
        hear_peers(s);
        fake_run_for(&F, s, 10, FAKE_ALL_ALIVE & ~2u); /* the old master (replica 1 slot) silent */
    }
    hear_peers(s);
    fake_run_for(&F, s, 20, FAKE_ALL_ALIVE & ~2u);
    cr_assert_gt(n_leases(s, M(s)->id), before);
    sentinel_destroy(s);
}

Test(lease, a_restarted_sentinel_renews_nothing_for_a_lease_length)
{
    /* peers known at the first tick: they came from the state file, this is a restart */
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    int64_t hold_until = M(s)->record->lease_boot_hold_until_ms;
    cr_assert_gt(hold_until, F.now, "held for a lease length from the first tick");
    size_t cursor = F.n_cmds, before = n_leases(s, M(s)->id);
    cr_assert_eq(before, 0);
    run_answering(s, hold_until - F.now - 10, &cursor);
    cr_assert_eq(n_leases(s, M(s)->id), 0, "leases sent before the restart may be valid");
    run_answering(s, 30, &cursor);
    cr_assert_gt(n_leases(s, M(s)->id), 0);
    sentinel_destroy(s);
}
