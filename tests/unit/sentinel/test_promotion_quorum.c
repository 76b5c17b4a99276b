/* Unit tests of the quorum intersection rule before promotion (promotion-quorum) and of
 * forgetting nodes unseen for long (forget-after), issue #18, docs/sentinel-protocol.md
 * #promotion-quorum and #forgetting: the R - k + 1 arithmetic, a leader that waits for a missing
 * replica's fresh offset and promotes once it answers, the abort after failover-timeout with its
 * reason, and forgetting (replicas only while the master answers, sentinels only with a majority
 * view), driven through the core with the fake env. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fake_env.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/describe.h"
#include "sentinel/core/select.h"
#include "sentinel/core/sentinel_cmd.h"

static struct fake_env F;

static void setup(void) { fake_env_init(&F); }
static void teardown(void) { fake_env_free(&F); }

TestSuite(promotion_quorum, .init = setup, .fini = teardown);
TestSuite(forget, .init = setup, .fini = teardown);

static struct instance *M(struct sentinel *s)
{
    return (struct instance *)sentinel_master_at(s, 0);
}
static struct instance *R(struct sentinel *s, size_t i) { return M(s)->record->replicas[i]; }
static struct instance *P(struct sentinel *s, size_t i) { return M(s)->record->sentinels[i]; }

Test(promotion_quorum, needed_is_r_minus_k_plus_one)
{
    static const struct {
        int setting;
        size_t replicas;
        int needed;
    } rows[] = {
        {PROMOTION_QUORUM_MAJORITY, 0, 0},
        {PROMOTION_QUORUM_MAJORITY, 1, 1},
        {PROMOTION_QUORUM_MAJORITY, 2, 2}, /* 1 master + 2 replicas: WAIT 1 -> both */
        {PROMOTION_QUORUM_MAJORITY, 3, 2},
        {PROMOTION_QUORUM_MAJORITY, 4, 3},
        {PROMOTION_QUORUM_MAJORITY, 5, 3},
        {1, 2, 2},
        {2, 2, 1},
        {3, 2, 1}, /* WAIT 3 with 2 replicas never succeeds; one answer is still needed */
        {1, 4, 4},
        {3, 4, 2},
        {PROMOTION_QUORUM_OFF, 2, 0},
        {PROMOTION_QUORUM_OFF, 0, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        cr_assert_eq(sentinel_promotion_quorum_needed(rows[i].setting, rows[i].replicas),
                     rows[i].needed, "row %zu: setting %d, R %zu", i, rows[i].setting,
                     rows[i].replicas);
}

Test(promotion_quorum, names_parse_and_round_trip)
{
    int q = 99;
    char buf[PROMOTION_QUORUM_NAME_MAX];
    cr_assert_eq(sentinel_promotion_quorum_parse("Majority", &q), 0);
    cr_assert_eq(q, PROMOTION_QUORUM_MAJORITY);
    cr_assert_str_eq(sentinel_promotion_quorum_name(q, buf, sizeof(buf)), "majority");
    cr_assert_eq(sentinel_promotion_quorum_parse("off", &q), 0);
    cr_assert_str_eq(sentinel_promotion_quorum_name(q, buf, sizeof(buf)), "off");
    cr_assert_eq(sentinel_promotion_quorum_parse("2", &q), 0);
    cr_assert_str_eq(sentinel_promotion_quorum_name(q, buf, sizeof(buf)), "2");
    static const char *const bad[] = {"0", "-1", "129", "two", "", "2x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        q = 7;
        cr_assert_eq(sentinel_promotion_quorum_parse(bad[i], &q), -1, "%s", bad[i]);
        cr_assert_eq(q, 7, "unchanged by a bad value");
    }
}

static void reply_replica(struct sentinel *s, size_t i, long long off, int prio)
{
    char buf[1024];
    fake_replica_info(buf, sizeof(buf), i == 0 ? "1" : "2", "10.0.0.1", 6379, false, off, prio);
    fake_reply_info(s, R(s, i)->id, buf);
}

/* Master dead and replica 1 (10.0.0.3) unreachable; ODOWN agreed, this sentinel elected. */
static struct sentinel *elected_with_replica_gone(void)
{
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    unsigned alive = FAKE_MASTER_DEAD & ~(1u << 2);
    sentinel_on_link_down(s, R(s, 1)->id, SENTINEL_LINK_CMD);
    sentinel_on_link_down(s, R(s, 1)->id, SENTINEL_LINK_PUBSUB);
    F.send_fails = false;
    for (int i = 0; i < 300 && !(M(s)->flags & SRI_S_DOWN); i++) fake_run_for(&F, s, 10, alive);
    cr_assert(M(s)->flags & SRI_S_DOWN);
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        fake_reply_ask(s, P(s, i)->id, 1, "*", 0);
    fake_run_for(&F, s, 60, alive);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_START, "state %d, flags %x",
                 M(s)->record->failover_state, M(s)->flags);
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        fake_reply_ask(s, P(s, i)->id, 1, FAKE_MYID, (long long)M(s)->record->failover_epoch);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SELECT_SLAVE);
    return s;
}

/* Let ms pass in 100 ms steps, replica 0 answering PING all along and INFO (offset 100) once a
 * second (any reply postpones the next PING, so answering more often would starve them). */
static void wait_with_replica0(struct sentinel *s, int64_t ms)
{
    unsigned alive = FAKE_MASTER_DEAD & ~(1u << 2);
    for (int64_t t = 0; t < ms; t += 100) {
        /* The fake env carries no pub/sub traffic: keep replica 0's links up by hand. */
        if (instance_is_disconnected(R(s, 0))) {
            sentinel_on_link_up(s, R(s, 0)->id, SENTINEL_LINK_CMD, "10.0.0.100");
            sentinel_on_link_up(s, R(s, 0)->id, SENTINEL_LINK_PUBSUB, "10.0.0.100");
        }
        if (t % 1000 == 0) reply_replica(s, 0, 100, 100);
        fake_run_for(&F, s, 100, alive);
    }
}

Test(promotion_quorum, leader_waits_for_the_missing_replica_and_promotes_when_it_answers)
{
    struct sentinel *s = elected_with_replica_gone();
    wait_with_replica0(s, 3000);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SELECT_SLAVE, "waits: 1 of 2 offsets");
    cr_assert_null(M(s)->record->promoted);
    cr_assert_eq(fake_count_logs(&F, "waits before promoting (promotion-quorum): needs fresh "
                                     "offsets from 2 replicas, has 1: 10.0.0.3:6379 not answering"),
                 1, "logged once");
    char why[400];
    cr_assert(select_quorum_blocks(M(s), R(s, 0), M(s)->record->failover_start_ms, false, why,
                                   sizeof(why)));
    /* The replica comes back (restarted empty): both offsets are fresh, the best one wins. */
    fake_link_all(&F, s);
    reply_replica(s, 1, 0, 100);
    reply_replica(s, 0, 100, 100);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->promoted, R(s, 0), "the replica with the highest offset");
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SEND_SLAVEOF_NOONE);
    sentinel_destroy(s);
}

/* The master answers again while the leader waits: it may have taken writes since the offsets
 * were read, so the attempt ends at once instead of promoting (the partition harness lost WAIT 1
 * writes that way after a heal). */
Test(promotion_quorum, a_master_back_during_the_wait_ends_the_attempt)
{
    struct sentinel *s = elected_with_replica_gone();
    wait_with_replica0(s, 2000);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SELECT_SLAVE);
    unsigned master_back = (FAKE_MASTER_DEAD & ~(1u << 2)) | 1u;
    for (int i = 0; i < 300 && (M(s)->flags & SRI_S_DOWN); i++)
        fake_run_for(&F, s, 10, master_back);
    cr_assert_not(M(s)->flags & SRI_S_DOWN, "the master answers PING again");
    fake_run_for(&F, s, 100, master_back);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-master-back", NULL), 0);
    cr_assert_eq(fake_count_events(&F, "+selected-slave"), 0, "nothing promoted");
    cr_assert(strstr(M(s)->record->abort_reason, "the master answers again") != NULL, "%s",
              M(s)->record->abort_reason);
    sentinel_destroy(s);
}

static size_t n_vote_releases(uint64_t id)
{
    size_t n = 0;
    for (size_t i = 0; i < F.n_cmds; i++)
        if (F.cmds[i].id == id && F.cmds[i].argc == 6 &&
            strcasecmp(F.cmds[i].argv[0], "SENTINEL") == 0 &&
            strcasecmp(F.cmds[i].argv[1], "vote-release") == 0)
            n++;
    return n;
}

/* A master that enforces its lease is fenced by this attempt's votes: the abort releases them
 * (seed 77 of the partition harness: the voters otherwise kept a healthy master fenced for
 * failover-timeout). */
Test(promotion_quorum, a_master_back_that_enforces_its_lease_ends_the_wait_and_releases_the_votes)
{
    struct sentinel *s = elected_with_replica_gone();
    wait_with_replica0(s, 2000);
    M(s)->lease.is_enforced = true;
    unsigned master_back = (FAKE_MASTER_DEAD & ~(1u << 2)) | 1u;
    for (int i = 0; i < 300 && (M(s)->flags & SRI_S_DOWN); i++)
        fake_run_for(&F, s, 10, master_back);
    cr_assert_not(M(s)->flags & SRI_S_DOWN, "the master answers PING again");
    fake_run_for(&F, s, 100, master_back);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-master-back", NULL), 0);
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++) {
        cr_assert_eq(n_vote_releases(P(s, i)->id), 1, "peer %zu told", i);
        const struct fake_cmd *c = fake_last_cmd(&F, P(s, i)->id, "SENTINEL");
        cr_assert_str_eq(c->argv[2], "10.0.0.1");
        cr_assert_str_eq(c->argv[3], "6379");
        char ep[24];
        snprintf(ep, sizeof ep, "%llu", (unsigned long long)M(s)->record->failover_epoch);
        cr_assert_str_eq(c->argv[4], ep);
        cr_assert_str_eq(c->argv[5], FAKE_MYID);
    }
    cr_assert_eq(M(s)->record->released_epoch, M(s)->record->failover_epoch,
                 "our own vote is released too");
    sentinel_destroy(s);
}

/* Once REPLICAOF NO ONE has been sent, the promotion may still happen however the attempt
 * ends: the votes keep holding renewals back until failover-timeout. */
Test(promotion_quorum, no_release_after_the_promotion_was_sent)
{
    struct sentinel *s = elected_with_replica_gone();
    wait_with_replica0(s, 1000);
    fake_link_all(&F, s);
    reply_replica(s, 1, 0, 100);
    reply_replica(s, 0, 100, 100);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SEND_SLAVEOF_NOONE);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
    /* The promoted replica never reports role:master: the attempt times out. */
    wait_with_replica0(s, M(s)->record->params.failover_timeout_ms + 1000);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-slave-timeout", NULL), 0);
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        cr_assert_eq(n_vote_releases(P(s, i)->id), 0, "peer %zu", i);
    cr_assert_neq(M(s)->record->released_epoch, M(s)->record->failover_epoch);
    sentinel_destroy(s);
}

Test(promotion_quorum, aborts_after_failover_timeout_and_says_why)
{
    struct sentinel *s = elected_with_replica_gone();
    int64_t timeout = M(s)->record->params.failover_timeout_ms;
    wait_with_replica0(s, timeout - 500);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SELECT_SLAVE, "%s",
                 M(s)->record->abort_reason);
    cr_assert_eq(fake_find_event(&F, 0, "-failover-abort-no-good-slave", NULL), -1);
    wait_with_replica0(s, 1000);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-no-good-slave", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_eq(fake_count_events(&F, "+selected-slave"), 0, "nothing promoted");
    const char *why = M(s)->record->abort_reason;
    cr_assert(strstr(why, "promotion-quorum: needs fresh offsets from 2 replicas, has 1: "
                          "10.0.0.3:6379 not answering") != NULL,
              "%s", why);
    cr_assert_geq(fake_count_logs(&F, "aborted: promotion-quorum"), 1);
    sentinel_destroy(s);
}

Test(promotion_quorum, off_promotes_the_remaining_replica_at_once)
{
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    struct sentinel_cmd_result res;
    const char *argv[] = {"promotion-quorum", "off"};
    sentinel_cmd_set(s, "mymaster", 2, argv, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    sentinel_destroy(s);
    fake_env_free(&F);
    fake_env_init(&F);
    s = elected_with_replica_gone();
    M(s)->record->params.promotion_quorum = PROMOTION_QUORUM_OFF;
    reply_replica(s, 0, 100, 100);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->promoted, R(s, 0));
    sentinel_destroy(s);
}

Test(promotion_quorum, a_number_k_needs_r_minus_k_plus_one)
{
    struct sentinel *s = elected_with_replica_gone();
    M(s)->record->params.promotion_quorum = 2; /* WAIT 2 of 2 replicas: any one suffices */
    reply_replica(s, 0, 100, 100);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->promoted, R(s, 0));
    sentinel_destroy(s);
}

Test(promotion_quorum, the_highest_offset_on_an_unpromotable_replica_blocks)
{
    struct sentinel *s = elected_with_replica_gone();
    fake_link_all(&F, s);
    reply_replica(s, 0, 100, 100);
    reply_replica(s, 1, 300, 0); /* holds more, but priority 0 */
    sentinel_tick(s, F.now);
    cr_assert_null(M(s)->record->promoted);
    char why[400];
    cr_assert(select_quorum_blocks(M(s), R(s, 0), M(s)->record->failover_start_ms, false, why,
                                   sizeof(why)));
    cr_assert(strstr(why, "the highest fresh offset (300) is on 10.0.0.3:6379") != NULL, "%s", why);
    M(s)->record->params.promotion_order = PROMOTION_PRIORITY_FIRST; /* Redis's order: count only */
    cr_assert_not(select_quorum_blocks(M(s), R(s, 0), M(s)->record->failover_start_ms, false, why,
                                       sizeof(why)));
    sentinel_destroy(s);
}

static const char *desc_field(const struct sentinel_desc *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->fields[i].name, name) == 0) return d->fields[i].value;
    return NULL;
}

Test(promotion_quorum, settings_are_set_shown_and_persisted)
{
    struct sentinel *s = fake_ready_world(&F, 1, 1);
    struct sentinel_desc d;
    cr_assert_eq(sentinel_describe_master(s, "mymaster", &d), 0);
    cr_assert_null(desc_field(&d, "promotion-quorum"), "defaults keep Redis's field list");
    cr_assert_null(desc_field(&d, "forget-after"));
    sentinel_desc_free(&d);
    struct sentinel_cmd_result res;
    const char *argv[] = {"promotion-quorum", "off", "forget-after", "60000"};
    sentinel_cmd_set(s, "mymaster", 4, argv, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    cr_assert_eq(F.last_state.masters[0].params.promotion_quorum, PROMOTION_QUORUM_OFF);
    cr_assert_eq(F.last_state.masters[0].params.forget_after_ms, 60000);
    cr_assert_eq(sentinel_describe_master(s, "mymaster", &d), 0);
    cr_assert_str_eq(desc_field(&d, "promotion-quorum"), "off");
    cr_assert_str_eq(desc_field(&d, "forget-after"), "60000");
    sentinel_desc_free(&d);
    const char *bad[] = {"promotion-quorum", "0"};
    sentinel_cmd_set(s, "mymaster", 2, bad, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    cr_assert_str_eq(res.msg, "ERR Invalid argument '0' for SENTINEL SET 'promotion-quorum'");
    const char *bad2[] = {"forget-after", "-5"};
    sentinel_cmd_set(s, "mymaster", 2, bad2, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    cr_assert_eq(M(s)->record->params.forget_after_ms, 60000, "unchanged by a bad value");
    sentinel_destroy(s);
}

/* ---- forgetting ------------------------------------------------------------------------------ */

static void hello_from_a(struct sentinel *s)
{
    const char *payload = "10.0.0.11,26379," FAKE_PEER_A ",0,mymaster,10.0.0.1,6379,0";
    struct sentinel_reply e[3] = {
        {.type = SENTINEL_REPLY_STRING, .str = "message", .len = 7},
        {.type = SENTINEL_REPLY_STRING, .str = "__sentinel__:hello", .len = 18},
        {.type = SENTINEL_REPLY_STRING, .str = payload, .len = strlen(payload)},
    };
    struct sentinel_reply r = {.type = SENTINEL_REPLY_ARRAY, .count = 3, .elems = e};
    sentinel_on_pubsub(s, M(s)->id, &r);
}

/* Run ms in 100 ms steps with the master's INFO fresh; peer A's hellos when with_hellos. */
static void run_calm(struct sentinel *s, int64_t ms, unsigned alive, bool with_hellos)
{
    char buf[2048];
    for (int64_t t = 0; t < ms; t += 100) {
        if (alive & 1u) {
            fake_master_info(buf, sizeof(buf), "9", 1);
            fake_reply_info(s, M(s)->id, buf);
        }
        if (with_hellos) hello_from_a(s);
        fake_run_for(&F, s, 100, alive);
    }
}

Test(forget, a_replica_unseen_for_forget_after_is_dropped_and_persisted)
{
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    M(s)->record->params.forget_after_ms = 2000;
    unsigned alive = FAKE_ALL_ALIVE & ~(1u << 2); /* replica 10.0.0.3 stopped */
    run_calm(s, 1500, alive, false);
    cr_assert_eq(M(s)->record->n_replicas, 2, "not before forget-after");
    run_calm(s, 1500, alive, false);
    cr_assert_eq(M(s)->record->n_replicas, 1);
    cr_assert_str_eq(R(s, 0)->host, "10.0.0.2");
    int i = fake_find_event(&F, 0, "-slave-forgotten", NULL);
    cr_assert_geq(i, 0);
    cr_assert(strncmp(F.events[i].msg, "slave 10.0.0.3:6379 10.0.0.3 6379 @ mymaster", 44) == 0,
              "%s", F.events[i].msg);
    cr_assert(F.has_state);
    cr_assert_eq(F.last_state.masters[0].n_replicas, 1, "the state file no longer lists it");
    sentinel_destroy(s);
}

Test(forget, no_replica_is_forgotten_while_the_master_is_down)
{
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    M(s)->record->params.forget_after_ms = 2000;
    run_calm(s, 4000, FAKE_MASTER_DEAD & ~(1u << 2), false);
    cr_assert_eq(M(s)->record->n_replicas, 2, "a silent replica may hold acknowledged writes");
    cr_assert_eq(fake_count_events(&F, "-slave-forgotten"), 0);
    sentinel_destroy(s);
}

Test(forget, sentinels_only_while_a_majority_is_heard)
{
    struct sentinel *s = fake_ready_world(&F, 1, 2);
    M(s)->record->params.forget_after_ms = 2000;
    /* Nobody's hellos: this sentinel may be the minority side; it keeps both peers. */
    run_calm(s, 4000, FAKE_ALL_ALIVE & ~(3u << 8), false);
    cr_assert_eq(M(s)->record->n_sentinels, 2);
    cr_assert_eq(fake_count_events(&F, "-sentinel-forgotten"), 0);
    /* A's hellos make 2 of 3: B, silent all along, is forgotten; A is kept. */
    run_calm(s, 500, FAKE_ALL_ALIVE & ~(2u << 8), true);
    cr_assert_eq(M(s)->record->n_sentinels, 1);
    cr_assert_str_eq(P(s, 0)->runid, FAKE_PEER_A);
    cr_assert_geq(fake_find_event(&F, 0, "-sentinel-forgotten", FAKE_PEER_B), 0);
    cr_assert_eq(F.last_state.masters[0].n_sentinels, 1);
    sentinel_destroy(s);
}

Test(forget, zero_means_never)
{
    struct sentinel *s = fake_ready_world(&F, 2, 2);
    M(s)->record->params.forget_after_ms = 0;
    run_calm(s, 4000, FAKE_ALL_ALIVE & ~(1u << 2), false);
    cr_assert_eq(M(s)->record->n_replicas, 2);
    sentinel_destroy(s);
}
