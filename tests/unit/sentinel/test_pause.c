/* Unit tests of the group-wide pause (pause.c): how the state spreads between sentinels with
 * its epoch, how a straggler learns it, and that a paused sentinel gives no vote for an
 * automatic failover. Driven through the core's public API with the fake env. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fake_env.h"
#include "sentinel/core/pause.h"
#include "sentinel/core/sentinel_cmd.h"
#include "sentinel/core/core_int.h"

static struct fake_env F;

static void setup(void) { fake_env_init(&F); }
static void teardown(void) { fake_env_free(&F); }

TestSuite(pause, .init = setup, .fini = teardown);

static struct instance *M(struct sentinel *s)
{
    return (struct instance *)sentinel_master_at(s, 0);
}
static struct instance *P(struct sentinel *s, size_t i) { return M(s)->record->sentinels[i]; }

static struct sentinel *linked_world(void)
{
    struct sentinel *s = fake_world(&F, 2, 2);
    sentinel_tick(s, F.now);
    fake_link_all(&F, s);
    fake_run_for(&F, s, 200, FAKE_ALL_ALIVE);
    return s;
}

static void peer_says(struct sentinel *s, const char *state, struct sentinel_cmd_result *res)
{
    const char *argv[] = {PAUSE_PEER_OPTION, state};
    sentinel_cmd_set(s, "mymaster", 2, argv, res);
}

static const char *last_push(struct sentinel *s, size_t peer)
{
    const struct fake_cmd *c = fake_last_cmd(&F, P(s, peer)->id, "SENTINEL");
    cr_assert_not_null(c);
    cr_assert_str_eq(c->argv[3], PAUSE_PEER_OPTION);
    cr_assert_eq(c->tag, TAG_PAUSE);
    return c->argv[4];
}

Test(pause, straggler_learns_the_pause_from_a_peer_and_never_fails_over)
{
    struct sentinel *s = linked_world();
    cr_assert_not(M(s)->record->params.failover_paused);
    struct sentinel_cmd_result res;
    peer_says(s, "yes:5000", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    cr_assert(M(s)->record->params.failover_paused, "adopted");
    cr_assert_eq(M(s)->record->params.failover_pause_epoch, 5000);
    cr_assert(F.has_state && F.last_state.masters[0].params.failover_pause_epoch == 5000,
              "persisted with its epoch");
    cr_assert_str_eq(last_push(s, 1), "yes:5000", "relayed to the other peers");
    cr_assert_geq(fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD), 0);
    for (size_t i = 0; i < 2; i++) fake_reply_ask(s, P(s, i)->id, 1, "*", 0);
    fake_run_for(&F, s, 2000, FAKE_MASTER_DEAD);
    cr_assert_geq(fake_find_event(&F, 0, "+odown", NULL), 0);
    cr_assert_lt(fake_find_event(&F, 0, "+try-failover", NULL), 0, "paused by its peer");
    sentinel_destroy(s);
}

Test(pause, resume_wins_over_an_older_pause_and_not_over_a_newer_one)
{
    struct sentinel *s = linked_world();
    struct sentinel_cmd_result res;
    peer_says(s, "yes:100", &res);
    cr_assert(M(s)->record->params.failover_paused);
    peer_says(s, "no:200", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS);
    cr_assert_not(M(s)->record->params.failover_paused, "a newer resume wins");
    /* A sentinel that was down since the pause of epoch 100 comes back and pushes it. */
    peer_says(s, "yes:100", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    cr_assert_str_eq(res.msg, "STALE pause state no:200 is newer here");
    cr_assert_not(M(s)->record->params.failover_paused, "an older pause does not come back");
    peer_says(s, "yes:200", &res);
    cr_assert(M(s)->record->params.failover_paused, "same epoch, different value: the safe side");
    peer_says(s, "no:200", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    cr_assert(M(s)->record->params.failover_paused);
    peer_says(s, "maybe:1", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    peer_says(s, "yes:0", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    sentinel_destroy(s);
}

Test(pause, operator_action_takes_a_newer_epoch_and_a_stale_reply_teaches_the_sender)
{
    struct sentinel *s = linked_world();
    cr_assert_eq(sentinel_set_paused(s, "mymaster", true), 2);
    uint64_t e1 = M(s)->record->params.failover_pause_epoch;
    cr_assert_gt(e1, 1000000000000ULL, "wall-clock ordered");
    char want[48];
    snprintf(want, sizeof(want), "yes:%llu", (unsigned long long)e1);
    cr_assert_str_eq(last_push(s, 0), want);
    cr_assert_not(pause_peer_confirmed(M(s), P(s, 0)), "not yet acknowledged");
    fake_reply_status(s, P(s, 0)->id, TAG_PAUSE, "OK");
    cr_assert(pause_peer_confirmed(M(s), P(s, 0)));
    cr_assert_not(pause_peer_confirmed(M(s), P(s, 1)));
    /* Peer 1 holds a newer resume: it answers STALE with it, and we adopt it. */
    char stale[96];
    snprintf(stale, sizeof(stale), "STALE pause state no:%llu is newer here",
             (unsigned long long)(e1 + 7));
    struct sentinel_reply r = {.type = SENTINEL_REPLY_ERROR, .str = stale, .len = strlen(stale)};
    sentinel_on_reply(s, P(s, 1)->id, TAG_PAUSE, &r);
    cr_assert_not(M(s)->record->params.failover_paused);
    cr_assert_eq(M(s)->record->params.failover_pause_epoch, e1 + 7);
    cr_assert(pause_peer_confirmed(M(s), P(s, 1)));
    /* An operator action right after still moves forward, even with a clock behind e1 + 7. */
    cr_assert_eq(sentinel_set_paused(s, "mymaster", true), 2);
    cr_assert_eq(M(s)->record->params.failover_pause_epoch, e1 + 8);
    sentinel_destroy(s);
}

Test(pause, state_is_pushed_again_when_a_peer_link_comes_back)
{
    struct sentinel *s = linked_world();
    size_t before = fake_count_cmd(&F, P(s, 0)->id, "SENTINEL");
    sentinel_on_link_down(s, P(s, 0)->id, SENTINEL_LINK_CMD);
    sentinel_on_link_up(s, P(s, 0)->id, SENTINEL_LINK_CMD, "127.0.0.1");
    cr_assert_eq(fake_count_cmd(&F, P(s, 0)->id, "SENTINEL"), before, "never paused: silent");
    const char *argv[] = {"failover-paused", "yes"};
    struct sentinel_cmd_result res;
    sentinel_cmd_set(s, "mymaster", 2, argv, &res); /* the operator's SENTINEL SET spreads too */
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    cr_assert_eq(fake_count_cmd(&F, P(s, 0)->id, "SENTINEL"), before + 1);
    sentinel_on_link_down(s, P(s, 0)->id, SENTINEL_LINK_CMD);
    sentinel_on_link_up(s, P(s, 0)->id, SENTINEL_LINK_CMD, "127.0.0.1");
    cr_assert_eq(fake_count_cmd(&F, P(s, 0)->id, "SENTINEL"), before + 2);
    cr_assert_eq(strncmp(last_push(s, 0), "yes:", 4), 0);
    sentinel_destroy(s);
}

Test(pause, paused_sentinel_refuses_its_vote_while_it_sees_the_master_down)
{
    struct sentinel *s = linked_world();
    cr_assert_eq(sentinel_set_paused(s, "mymaster", true), 2);
    cr_assert_geq(fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD), 0);
    struct sentinel_ismd_reply out;
    struct sentinel_cmd_result res;
    uint64_t e = sentinel_current_epoch(s) + 1;
    char epoch[24];
    snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)e);
    cr_assert_eq(sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", epoch, FAKE_PEER_A, &out, &res),
                 0);
    cr_assert_eq(out.down, 1);
    cr_assert_str_eq(out.leader, "*", "no vote while paused");
    cr_assert_lt(fake_find_event(&F, 0, "+vote-for-leader", NULL), 0);
    /* Resumed: the same request gets the vote. */
    cr_assert_eq(sentinel_set_paused(s, "mymaster", false), 2);
    sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", epoch, FAKE_PEER_A, &out, &res);
    cr_assert_str_eq(out.leader, FAKE_PEER_A);
    sentinel_destroy(s);
}

Test(pause, paused_sentinel_still_votes_for_a_switchover_of_a_live_master)
{
    struct sentinel *s = linked_world();
    cr_assert_eq(sentinel_set_paused(s, "mymaster", true), 2);
    struct sentinel_ismd_reply out;
    struct sentinel_cmd_result res;
    char epoch[24];
    snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)(sentinel_current_epoch(s) + 1));
    sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", epoch, FAKE_PEER_B, &out, &res);
    cr_assert_eq(out.down, 0);
    cr_assert_str_eq(out.leader, FAKE_PEER_B);
    sentinel_destroy(s);
}
