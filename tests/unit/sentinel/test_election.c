/* Unit tests of elections that do not stall (issue #18,
 * docs/sentinel-protocol.md#leader-election), driven through the core with the fake env: the
 * range of the randomized start, a round that ends as soon as a voter names another candidate,
 * the bound on fast retries, the rule that a sentinel that voted for another does not start its
 * own, and the per-master settings (election-spread, promotion-order) through SENTINEL SET and
 * SENTINEL MASTER. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fake_env.h"
#include "sentinel/core/describe.h"
#include "sentinel/core/failover.h"
#include "sentinel/core/sentinel_cmd.h"
#include "sentinel/core/core_int.h"

static struct fake_env F;

static void setup(void) { fake_env_init(&F); }
static void teardown(void) { fake_env_free(&F); }

TestSuite(election_core, .init = setup, .fini = teardown);

static struct instance *M(struct sentinel *s)
{
    return (struct instance *)sentinel_master_at(s, 0);
}
static struct instance *P(struct sentinel *s, size_t i) { return M(s)->record->sentinels[i]; }

/* Master dead, both peers agree: ODOWN; with random 0 the attempt starts at the next tick. */
static struct sentinel *world_in_wait_start(void)
{
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    cr_assert_geq(fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD), 0);
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        fake_reply_ask(s, P(s, i)->id, 1, "*", 0);
    fake_run_for(&F, s, 20, FAKE_MASTER_DEAD);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_START);
    return s;
}

/* Peer A answers our vote request with a vote for itself in our epoch; peer B stays silent. */
static void split_round(struct sentinel *s)
{
    fake_reply_ask(s, P(s, 0)->id, 1, FAKE_PEER_A, (long long)M(s)->record->failover_epoch);
    sentinel_tick(s, F.now);
}

Test(election_core, spread_has_a_floor_scales_with_rtt_and_widens_per_lost_round)
{
    struct sentinel *s = fake_ready_world(&F, 1, 2);
    struct master_record *record = M(s)->record;
    P(s, 0)->rtt_ms = P(s, 1)->rtt_ms = 0;
    cr_assert_eq(failover_spread_ms(M(s)), SENTINEL_ELECTION_SPREAD_DEFAULT_MS, "floor");
    P(s, 1)->rtt_ms = 30;
    cr_assert_eq(failover_spread_ms(M(s)), 300, "10 x the slowest peer round trip");
    P(s, 1)->rtt_ms = 5000;
    cr_assert_eq(failover_spread_ms(M(s)), record->params.down_after_ms, "capped by down-after");
    P(s, 1)->rtt_ms = 0;
    record->params.election_spread_ms = 250;
    cr_assert_eq(failover_spread_ms(M(s)), 250, "the configured floor");
    record->lost_rounds = 1;
    cr_assert_eq(failover_spread_ms(M(s)), 500);
    record->lost_rounds = 7;
    cr_assert_eq(failover_spread_ms(M(s)), 1000, "at most two doublings");
    F.random_value = UINT64_MAX;
    int64_t j = failover_jitter_ms(s, M(s));
    cr_assert(j >= 0 && j <= 1000, "jitter %lld within the range", (long long)j);
    sentinel_destroy(s);
}

Test(election_core, a_split_round_ends_at_once_and_retries_in_a_new_epoch)
{
    struct sentinel *s = world_in_wait_start();
    struct master_record *record = M(s)->record;
    uint64_t epoch = record->failover_epoch;
    split_round(s);
    cr_assert_eq(record->failover_state, FAILOVER_NONE, "lost as soon as the split is known");
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-not-elected", NULL), 0);
    cr_assert_eq(record->lost_rounds, 1);
    cr_assert_lt(record->failover_not_before_ms, F.now + record->params.failover_timeout_ms,
                 "no failover-timeout back-off after a split");
    cr_assert(strstr(record->abort_reason, "the vote split") != NULL, "%s", record->abort_reason);
    size_t tries = fake_count_events(&F, "+try-failover");
    fake_run_for(&F, s, failover_spread_ms(M(s)) + 30, FAKE_MASTER_DEAD);
    cr_assert_eq(fake_count_events(&F, "+try-failover"), tries + 1, "retried within the spread");
    cr_assert_eq(record->failover_epoch, epoch + 1, "in a new epoch");
    sentinel_destroy(s);
}

Test(election_core, fast_retries_are_bounded_then_failover_timeout)
{
    struct sentinel *s = world_in_wait_start();
    struct master_record *record = M(s)->record;
    for (int i = 0; i <= FAILOVER_FAST_RETRIES; i++) {
        cr_assert_eq(record->failover_state, FAILOVER_WAIT_START, "round %d", i);
        for (size_t k = 0; k < record->n_sentinels; k++)
            fake_reply_ask(s, P(s, k)->id, 1, "*", 0); /* keep ODOWN fresh */
        split_round(s);
        cr_assert_eq(record->failover_state, FAILOVER_NONE);
        if (i < FAILOVER_FAST_RETRIES)
            fake_run_for(&F, s, failover_spread_ms(M(s)) + 30, FAKE_MASTER_DEAD);
    }
    cr_assert_eq(record->lost_rounds, 0);
    cr_assert_geq(record->failover_not_before_ms, F.now + record->params.failover_timeout_ms - 1);
    cr_assert_eq(fake_count_logs(&F, "elections lost in a row"), 1);
    size_t tries = fake_count_events(&F, "+try-failover");
    fake_run_for(&F, s, 1000, FAKE_MASTER_DEAD);
    cr_assert_eq(fake_count_events(&F, "+try-failover"), tries, "no retry storm");
    sentinel_destroy(s);
}

Test(election_core, a_sentinel_that_voted_for_another_does_not_start_its_own)
{
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    cr_assert_geq(fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD), 0);
    struct sentinel_ismd_reply rep;
    struct sentinel_cmd_result res;
    char epoch[24];
    snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)sentinel_current_epoch(s) + 1);
    cr_assert_eq(sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", epoch, FAKE_PEER_A, &rep, &res),
                 0);
    cr_assert_str_eq(rep.leader, FAKE_PEER_A);
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        fake_reply_ask(s, P(s, i)->id, 1, "*", 0);
    fake_run_for(&F, s, 500, FAKE_MASTER_DEAD);
    cr_assert(M(s)->flags & SRI_O_DOWN);
    cr_assert_eq(fake_count_events(&F, "+try-failover"), 0);
    sentinel_destroy(s);
}

static void set(struct sentinel *s, const char *opt, const char *val,
                struct sentinel_cmd_result *res)
{
    const char *argv[] = {opt, val};
    sentinel_cmd_set(s, "mymaster", 2, argv, res);
}

static const char *desc_field(const struct sentinel_desc *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->fields[i].name, name) == 0) return d->fields[i].value;
    return NULL;
}

Test(election_core, promotion_order_and_spread_are_set_shown_and_persisted)
{
    struct sentinel *s = fake_ready_world(&F, 1, 1);
    struct sentinel_desc d;
    cr_assert_eq(sentinel_describe_master(s, "mymaster", &d), 0);
    cr_assert_null(desc_field(&d, "promotion-order"), "defaults keep Redis's field list");
    cr_assert_null(desc_field(&d, "election-spread"));
    sentinel_desc_free(&d);
    struct sentinel_cmd_result res;
    set(s, "promotion-order", "priority-first", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    set(s, "election-spread", "250", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    cr_assert_eq(M(s)->record->params.promotion_order, PROMOTION_PRIORITY_FIRST);
    cr_assert_eq(F.last_state.masters[0].params.promotion_order, PROMOTION_PRIORITY_FIRST);
    cr_assert_eq(F.last_state.masters[0].params.election_spread_ms, 250);
    cr_assert_eq(sentinel_describe_master(s, "mymaster", &d), 0);
    cr_assert_str_eq(desc_field(&d, "promotion-order"), "priority-first");
    cr_assert_str_eq(desc_field(&d, "election-spread"), "250");
    sentinel_desc_free(&d);
    set(s, "promotion-order", "newest", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    cr_assert_str_eq(res.msg, "ERR Invalid argument 'newest' for SENTINEL SET 'promotion-order'");
    set(s, "election-spread", "0", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    cr_assert_eq(M(s)->record->params.election_spread_ms, 250, "unchanged by a bad value");
    sentinel_destroy(s);
}
