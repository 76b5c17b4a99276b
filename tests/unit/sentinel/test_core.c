/* Unit tests of the sentinel core driven through its public API with the fake env: SDOWN
 * timing, ODOWN quorum, vote rules with persistence, every failover transition and abort path,
 * TILT, hello processing and restart from the persisted state (configuration updates carried by
 * hellos: test_config_update.c). */
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

TestSuite(core, .init = setup, .fini = teardown);

static struct instance *M(struct sentinel *s)
{
    return (struct instance *)sentinel_master_at(s, 0);
}
static struct instance *R(struct sentinel *s, size_t i) { return M(s)->record->replicas[i]; }
static struct instance *P(struct sentinel *s, size_t i) { return M(s)->record->sentinels[i]; }

/* A world with links up and fresh INFO for the master and replicas (offsets 100, 200, ...). */
static struct sentinel *ready_world(int replicas, int peers)
{
    return fake_ready_world(&F, replicas, peers);
}

Test(core, sdown_after_down_after_of_silence)
{
    struct sentinel *s = ready_world(0, 0);
    int64_t silent_from = F.now;
    int i = fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD);
    cr_assert_geq(i, 0);
    int64_t t = F.now - silent_from;
    cr_assert(t > 1000 && t <= 1200, "SDOWN after %lld ms", (long long)t);
    cr_assert_str_eq(F.events[i].msg, "master mymaster 10.0.0.1 6379");
    fake_run_for(&F, s, 100, FAKE_ALL_ALIVE);
    cr_assert_geq(fake_find_event(&F, 0, "-sdown", NULL), 0);
    sentinel_destroy(s);
}

Test(core, odown_needs_quorum_of_peer_replies)
{
    struct sentinel *s = ready_world(1, 2);
    size_t before = F.n_cmds;
    cr_assert_geq(fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD), 0);
    /* asked at once */
    size_t asks = 0;
    for (size_t i = before; i < F.n_cmds; i++)
        asks += strcmp(F.cmds[i].argv[1], "is-master-down-by-addr") == 0;
    cr_assert_geq(asks, 2);
    fake_run_for(&F, s, 100, FAKE_MASTER_DEAD);
    cr_assert_eq(fake_find_event(&F, 0, "+odown", NULL), -1, "no peer agreed yet");
    fake_reply_ask(s, P(s, 0)->id, 1, "*", 0);
    sentinel_tick(s, F.now);
    int i = fake_find_event(&F, 0, "+odown", NULL);
    cr_assert_geq(i, 0);
    cr_assert_str_eq(F.events[i].msg, "master mymaster 10.0.0.1 6379 #quorum 2/2");
    sentinel_destroy(s);
}

Test(core, vote_is_persisted_before_reply_and_given_once_per_epoch)
{
    struct sentinel *s = ready_world(1, 2);
    struct sentinel_ismd_reply rep;
    struct sentinel_cmd_result res;
    int calls = F.persist_calls;
    cr_assert_eq(sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", "5", FAKE_PEER_A, &rep, &res),
                 0);
    cr_assert_str_eq(rep.leader, FAKE_PEER_A);
    cr_assert_eq(rep.leader_epoch, 5);
    cr_assert_gt(F.persist_calls, calls);
    cr_assert_str_eq(F.last_state.masters[0].leader, FAKE_PEER_A);
    cr_assert_eq(F.last_state.masters[0].leader_epoch, 5);
    cr_assert_eq(F.last_state.current_epoch, 5);
    int ev = fake_find_event(&F, 0, "+vote-for-leader", NULL);
    cr_assert_geq(ev, 0);
    cr_assert_leq(F.events_at_persist, (size_t)ev, "persisted before the vote was announced");
    cr_assert_str_eq(F.events[ev].msg, FAKE_PEER_A " 5");
    cr_assert_eq(sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", "5", FAKE_PEER_B, &rep, &res),
                 0);
    cr_assert_str_eq(rep.leader, FAKE_PEER_A, "one vote per epoch");
    cr_assert_eq(rep.down, 0);
    sentinel_destroy(s);
}

Test(core, vote_withheld_when_persist_fails)
{
    struct sentinel *s = ready_world(1, 2);
    struct sentinel_ismd_reply rep;
    struct sentinel_cmd_result res;
    F.persist_fail = 1;
    sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", "3", FAKE_PEER_A, &rep, &res);
    cr_assert_str_eq(rep.leader, "*");
    cr_assert_eq(sentinel_current_epoch(s), 0);
    F.persist_fail = 0;
    sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", "3", FAKE_PEER_B, &rep, &res);
    cr_assert_str_eq(rep.leader, FAKE_PEER_B);
    sentinel_destroy(s);
}

/* The core's lines go through env->log (the fake keeps them), a repeating one limited to
 * LOG_RATE_LINES per window of the core's clock with the count of those left out. */
Test(core, log_lines_go_through_env_and_a_failing_save_is_rate_limited)
{
    struct sentinel *s = ready_world(1, 2);
    size_t before = F.n_logs;
    F.persist_fail = 1;
    for (int i = 0; i < 20; i++) core_persist_now(s);
    cr_assert_eq(fake_count_logs(&F, "persisting state failed"), LOG_RATE_LINES);
    cr_assert_eq(F.logs[before].level, LOG_WARNING);
    F.now += LOG_RATE_WINDOW_MS;
    core_persist_now(s);
    cr_assert_eq(fake_count_logs(&F, "persisting state failed"), LOG_RATE_LINES + 1);
    cr_assert_eq(fake_count_logs(&F, "(suppressed 15 similar lines)"), 1);
    F.persist_fail = 0;
    struct sentinel_reply r = {.type = SENTINEL_REPLY_STRING, .str = "junk", .len = 4};
    struct sentinel_reply e[3] = {{.type = SENTINEL_REPLY_STRING, .str = "message", .len = 7},
                                  {.type = SENTINEL_REPLY_STRING, .str = "__sentinel__:hello"},
                                  r};
    e[1].len = strlen(e[1].str);
    struct sentinel_reply msg = {.type = SENTINEL_REPLY_ARRAY, .count = 3, .elems = e};
    sentinel_on_pubsub(s, M(s)->id, &msg);
    sentinel_tick(s, F.now);
    cr_assert_eq(fake_count_logs(&F, "ignoring malformed hello 'junk'"), 1);
    sentinel_destroy(s);
}

Test(core, restarted_sentinel_keeps_its_vote)
{
    struct sentinel *s = ready_world(1, 2);
    struct sentinel_ismd_reply rep;
    struct sentinel_cmd_result res;
    sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", "4", FAKE_PEER_A, &rep, &res);
    sentinel_destroy(s);
    struct sentinel_options opt = {.port = 26379};
    struct sentinel *s2 = sentinel_create(&F.env, &opt, &F.last_state);
    sentinel_cmd_is_master_down(s2, "10.0.0.1", "6379", "4", FAKE_PEER_B, &rep, &res);
    cr_assert_str_eq(rep.leader, FAKE_PEER_A);
    cr_assert_eq(sentinel_current_epoch(s2), 4);
    cr_assert_str_eq(sentinel_myid(s2), FAKE_MYID);
    sentinel_destroy(s2);
}

/* Drive to ODOWN with both peers agreeing. */
static void to_odown(struct sentinel *s)
{
    cr_assert_geq(fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD), 0);
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        fake_reply_ask(s, P(s, i)->id, 1, "*", 0);
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "+odown", NULL), 0);
}

static void grant_votes(struct sentinel *s, const char *leader)
{
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        fake_reply_ask(s, P(s, i)->id, 1, leader, (long long)M(s)->record->failover_epoch);
}

static void reply_replica_info(struct sentinel *s, size_t i, const char *mhost, bool up,
                               long long off, int prio, bool as_master)
{
    char buf[1024];
    if (as_master)
        fake_master_info(buf, sizeof(buf), i == 0 ? "1" : "2", 0);
    else
        fake_replica_info(buf, sizeof(buf), i == 0 ? "1" : "2", mhost, 6379, up, off, prio);
    fake_reply_info(s, R(s, i)->id, buf);
}

static void check_order(const char *const *types, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        int at = fake_find_event(&F, from, types[i], NULL);
        cr_assert_geq(at, 0, "event %s missing or out of order", types[i]);
        from = (size_t)at + 1;
    }
}

Test(core, failover_happy_path_walks_every_state)
{
    struct sentinel *s = ready_world(2, 2);
    to_odown(s);
    fake_run_for(&F, s, 60, FAKE_MASTER_DEAD);
    cr_assert_geq(fake_find_event(&F, 0, "+try-failover", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_START);
    const struct fake_cmd *ask = fake_last_cmd(&F, P(s, 0)->id, "SENTINEL");
    cr_assert_str_eq(ask->argv[5], FAKE_MYID, "vote request carries our run id");
    grant_votes(s, FAKE_MYID);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SELECT_SLAVE);
    /* fresh INFO round: replica 1 (10.0.0.3) has the higher offset */
    reply_replica_info(s, 0, "10.0.0.1", false, 100, 100, false);
    reply_replica_info(s, 1, "10.0.0.1", false, 200, 100, false);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->promoted, R(s, 1));
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
    const struct fake_cmd *slaveof = fake_last_cmd(&F, R(s, 1)->id, "SLAVEOF");
    cr_assert_str_eq(slaveof->argv[1], "NO");
    cr_assert_str_eq(slaveof->argv[2], "ONE");
    cr_assert_eq(fake_count_cmd(&F, R(s, 1)->id, "EXEC"), 1);
    F.now += 5;
    reply_replica_info(s, 1, "", false, 200, 100, true);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_RECONF_SLAVES);
    cr_assert_eq(M(s)->record->config_epoch, M(s)->record->failover_epoch);
    const char *host;
    int port;
    sentinel_get_master_addr(s, "mymaster", &host, &port);
    cr_assert_str_eq(host, "10.0.0.3");
    cr_assert_gt(fake_count_cmd(&F, P(s, 0)->id, "PUBLISH"), 0, "hello burst to peers");
    sentinel_tick(s, F.now);
    slaveof = fake_last_cmd(&F, R(s, 0)->id, "SLAVEOF");
    cr_assert_str_eq(slaveof->argv[1], "10.0.0.3");
    F.now += 5;
    reply_replica_info(s, 0, "10.0.0.3", true, 200, 100, false);
    sentinel_tick(s, F.now);
    sentinel_tick(s, F.now);
    static const char *const order[] = {"+new-epoch",
                                        "+try-failover",
                                        "+vote-for-leader",
                                        "+elected-leader",
                                        "+failover-state-select-slave",
                                        "+selected-slave",
                                        "+failover-state-send-slaveof-noone",
                                        "+failover-state-wait-promotion",
                                        "+promoted-slave",
                                        "+failover-state-reconf-slaves",
                                        "+slave-reconf-sent",
                                        "+slave-reconf-inprog",
                                        "+slave-reconf-done",
                                        "+failover-end",
                                        "+switch-master"};
    check_order(order, sizeof(order) / sizeof(order[0]));
    int sw = fake_find_event(&F, 0, "+switch-master", NULL);
    cr_assert_str_eq(F.events[sw].msg, "mymaster 10.0.0.1 6379 10.0.0.3 6379");
    cr_assert_str_eq(M(s)->host, "10.0.0.3");
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_not_null(instance_find_replica(M(s), "10.0.0.1", 6379), "old master kept as replica");
    sentinel_destroy(s);
}

Test(core, abort_not_elected_on_election_timeout)
{
    struct sentinel *s = ready_world(2, 2);
    sentinel_periods(s)->election_timeout = 500;
    to_odown(s);
    fake_run_for(&F, s, 50, FAKE_MASTER_DEAD);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_START);
    cr_assert_geq(
        fake_run_until_event(&F, s, "-failover-abort-not-elected", 1000, FAKE_MASTER_DEAD), 0);
    sentinel_destroy(s);
}

Test(core, abort_at_once_when_another_candidate_won)
{
    struct sentinel *s = ready_world(2, 2);
    to_odown(s);
    fake_run_for(&F, s, 50, FAKE_MASTER_DEAD);
    grant_votes(s, FAKE_PEER_A);
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-not-elected", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_geq(M(s)->record->failover_not_before_ms, F.now + 10000 - 1,
                  "backs off failover-timeout");
    sentinel_destroy(s);
}

Test(core, abort_no_good_slave)
{
    struct sentinel *s = ready_world(2, 2);
    to_odown(s);
    fake_run_for(&F, s, 50, FAKE_MASTER_DEAD);
    grant_votes(s, FAKE_MYID);
    sentinel_tick(s, F.now);
    reply_replica_info(s, 0, "10.0.0.1", false, 100, 0, false);
    reply_replica_info(s, 1, "10.0.0.1", false, 200, 0, false);
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-no-good-slave", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    sentinel_destroy(s);
}

static void to_selected(struct sentinel *s)
{
    to_odown(s);
    fake_run_for(&F, s, 50, FAKE_MASTER_DEAD);
    grant_votes(s, FAKE_MYID);
    sentinel_tick(s, F.now);
    reply_replica_info(s, 0, "10.0.0.1", false, 100, 100, false);
    reply_replica_info(s, 1, "10.0.0.1", false, 200, 100, false);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SEND_SLAVEOF_NOONE);
}

Test(core, abort_slave_timeout_when_chosen_replica_unreachable)
{
    struct sentinel *s = ready_world(2, 2);
    to_selected(s);
    sentinel_on_link_down(s, R(s, 1)->id, SENTINEL_LINK_CMD);
    F.send_fails = false;
    fake_run_for(&F, s, 5000, FAKE_MASTER_DEAD & ~(1u << 2));
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SEND_SLAVEOF_NOONE);
    cr_assert_geq(fake_run_until_event(&F, s, "-failover-abort-slave-timeout", 6000,
                                       FAKE_MASTER_DEAD & ~(1u << 2)),
                  0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_eq(R(s, 1)->flags & SRI_PROMOTED, 0u, "abort unmarks the promoted replica");
    sentinel_destroy(s);
}

Test(core, abort_slave_timeout_in_wait_promotion)
{
    struct sentinel *s = ready_world(2, 2);
    to_selected(s);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
    cr_assert_geq(
        fake_run_until_event(&F, s, "-failover-abort-slave-timeout", 11000, FAKE_MASTER_DEAD), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    sentinel_destroy(s);
}

Test(core, forced_failover_skips_election_but_reports_it)
{
    struct sentinel *s = ready_world(2, 2);
    struct sentinel_cmd_result res;
    sentinel_cmd_failover(s, "mymaster", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS);
    cr_assert_str_eq(res.msg, "OK");
    sentinel_cmd_failover(s, "mymaster", &res);
    cr_assert_str_eq(res.msg, "INPROG Failover already in progress");
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "+elected-leader", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SELECT_SLAVE);
    sentinel_cmd_failover(s, "nope", &res);
    cr_assert_str_eq(res.msg, SENTINEL_ERR_NO_SUCH_MASTER);
    sentinel_destroy(s);
}

Test(core, tilt_on_stall_answers_not_down_and_exits_after_tilt_period)
{
    struct sentinel *s = ready_world(1, 2);
    F.now += 3000;
    sentinel_tick(s, F.now);
    int i = fake_find_event(&F, 0, "+tilt", NULL);
    cr_assert_geq(i, 0);
    cr_assert_str_eq(F.events[i].msg, "#tilt mode entered");
    cr_assert(sentinel_in_tilt(s));
    struct sentinel_ismd_reply rep;
    struct sentinel_cmd_result res;
    sentinel_cmd_is_master_down(s, "10.0.0.1", "6379", "0", "*", &rep, &res);
    cr_assert_eq(rep.down, 0);
    fake_run_for(&F, s, 2000, FAKE_MASTER_DEAD);
    cr_assert_eq(fake_find_event(&F, 0, "+sdown", NULL), -1, "no SDOWN evaluation in TILT");
    sentinel_periods(s)->tilt_period = 3000;
    fake_run_for(&F, s, 1100, FAKE_ALL_ALIVE);
    cr_assert_geq(fake_find_event(&F, 0, "-tilt", "#tilt mode exited"), 0);
    sentinel_destroy(s);
}

static void send_hello(struct sentinel *s, const char *payload)
{
    struct sentinel_reply e[3] = {
        {.type = SENTINEL_REPLY_STRING, .str = "message", .len = 7},
        {.type = SENTINEL_REPLY_STRING, .str = "__sentinel__:hello", .len = 18},
        {.type = SENTINEL_REPLY_STRING, .str = payload, .len = strlen(payload)},
    };
    struct sentinel_reply r = {.type = SENTINEL_REPLY_ARRAY, .count = 3, .elems = e};
    sentinel_on_pubsub(s, M(s)->id, &r);
    sentinel_tick(s, F.now);
}

#define NEWID "ffffffffffffffffffffffffffffffffffffffff"

Test(core, hello_discovers_peer_and_ignores_malformed)
{
    struct sentinel *s = ready_world(1, 0);
    send_hello(s, "10.0.0.50,26379," NEWID ",0,mymaster,10.0.0.1,6379,0,extra");
    send_hello(s, "garbage");
    send_hello(s, "10.0.0.50,26379," NEWID ",0,othermaster,10.0.0.1,6379,0");
    cr_assert_eq(M(s)->record->n_sentinels, 0);
    send_hello(s, "10.0.0.50,26379," NEWID ",3,mymaster,10.0.0.1,6379,0");
    cr_assert_eq(M(s)->record->n_sentinels, 1);
    int i = fake_find_event(&F, 0, "+sentinel", NULL);
    cr_assert_str_eq(F.events[i].msg,
                     "sentinel " NEWID " 10.0.0.50 26379 @ mymaster 10.0.0.1 6379");
    cr_assert_eq(sentinel_current_epoch(s), 3);
    send_hello(s, "10.0.0.1,1," FAKE_MYID ",9,mymaster,10.0.0.1,6379,0");
    cr_assert_eq(sentinel_current_epoch(s), 3, "own hello ignored");
    sentinel_destroy(s);
}

Test(core, describe_master_fields_in_spec_order)
{
    struct sentinel *s = fake_world(&F, 1, 1);
    struct sentinel_desc d;
    cr_assert_eq(sentinel_describe_master(s, "mymaster", &d), 0);
    static const char *const names[] = {"name",
                                        "ip",
                                        "port",
                                        "runid",
                                        "flags",
                                        "link-pending-commands",
                                        "link-refcount",
                                        "last-ping-sent",
                                        "last-ok-ping-reply",
                                        "last-ping-reply",
                                        "down-after-milliseconds",
                                        "info-refresh",
                                        "role-reported",
                                        "role-reported-time",
                                        "config-epoch",
                                        "num-slaves",
                                        "num-other-sentinels",
                                        "quorum",
                                        "failover-timeout",
                                        "parallel-syncs"};
    cr_assert_eq(d.n, sizeof(names) / sizeof(names[0]));
    for (size_t i = 0; i < d.n; i++) cr_assert_str_eq(d.fields[i].name, names[i]);
    cr_assert_str_eq(d.fields[4].value, "master,disconnected");
    sentinel_desc_free(&d);
    cr_assert_eq(sentinel_describe_master(s, "nope", &d), -1);
    sentinel_destroy(s);
}

Test(core, commands_monitor_ckquorum_remove)
{
    struct sentinel *s = ready_world(1, 2);
    struct sentinel_cmd_result r;
    sentinel_cmd_monitor(s, "m2", "10.0.0.9", "6380", "0", &r);
    cr_assert_str_eq(r.msg, "ERR Quorum must be 1 or greater.");
    sentinel_cmd_monitor(s, "m2", "not an ip", "6380", "2", &r);
    cr_assert_str_eq(r.msg, "ERR Invalid IP address or hostname specified");
    sentinel_cmd_monitor(s, "mymaster", "10.0.0.9", "6380", "2", &r);
    cr_assert_str_eq(r.msg, "ERR Duplicate master name.");
    sentinel_cmd_monitor(s, "m2", "10.0.0.9", "6380", "2", &r);
    cr_assert_str_eq(r.msg, "OK");
    cr_assert_geq(fake_find_event(&F, 0, "+monitor", "master m2 10.0.0.9 6380 quorum 2"), 0);
    sentinel_cmd_ckquorum(s, "mymaster", &r);
    cr_assert_str_eq(r.msg,
                     "OK 3 usable Sentinels. Quorum and failover authorization can be reached");
    sentinel_cmd_ckquorum(s, "m2", &r);
    cr_assert_eq(r.kind, SENTINEL_CMD_ERROR);
    cr_assert(strncmp(r.msg, "NOQUORUM 1 usable Sentinels. ", 29) == 0, "%s", r.msg);
    const char *set_argv[] = {"down-after-milliseconds", "5000", "quorum", "0"};
    sentinel_cmd_set(s, "m2", 4, set_argv, &r);
    cr_assert_str_eq(r.msg, "ERR Invalid argument '0' for SENTINEL SET 'quorum'");
    cr_assert_eq(sentinel_master_by_name(s, "m2")->record->params.down_after_ms, 5000,
                 "earlier option stays");
    sentinel_cmd_remove(s, "m2", &r);
    cr_assert_str_eq(r.msg, "OK");
    cr_assert_null(sentinel_master_by_name(s, "m2"));
    const char *dbg[] = {"ping-period", "50"};
    sentinel_cmd_debug_set(s, 2, dbg, &r);
    cr_assert_eq(sentinel_periods(s)->ping_period, 50);
    sentinel_cmd_reset(s, "*", &r);
    cr_assert_eq(r.integer, 1);
    cr_assert_eq(M(s)->record->n_sentinels, 0);
    sentinel_destroy(s);
}

/* ---- a master that restarted behind its replicas (empty or regressed) ---------------------- */

static void reply_master_offset(struct sentinel *s, char runid_char, long long offset)
{
    char id[41], buf[512];
    memset(id, runid_char, 40);
    id[40] = '\0';
    snprintf(buf, sizeof(buf),
             "# Server\r\nrun_id:%s\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
             "master_repl_offset:%lld\r\n",
             id, offset);
    fake_reply_info(s, M(s)->id, buf);
}

Test(core, restarted_master_behind_its_replicas_is_down_at_once)
{
    struct sentinel *s = ready_world(2, 2); /* replica offsets 100 and 200 */
    reply_master_offset(s, '9', 300);       /* same run id */
    sentinel_tick(s, F.now);
    cr_assert_eq(fake_find_event(&F, 0, "+regressed-master", NULL), -1);
    reply_master_offset(s, '8', 0); /* restarted empty: new run id, offset 0 */
    sentinel_tick(s, F.now);
    int i = fake_find_event(&F, 0, "+regressed-master", NULL);
    cr_assert_geq(i, 0);
    cr_assert_str_eq(F.events[i].msg, "master mymaster 10.0.0.1 6379 #master_repl_offset 0 < "
                                      "slave_repl_offset 200 of 10.0.0.3:6379");
    cr_assert_geq(fake_find_event(&F, (size_t)i, "+sdown", "master mymaster"), 0);
    /* It answers every PING, and stays down: silence is not what failed. */
    fake_run_for(&F, s, 500, FAKE_ALL_ALIVE);
    cr_assert(M(s)->flags & SRI_S_DOWN);
    cr_assert_eq(fake_find_event(&F, 0, "-sdown", NULL), -1);
    /* The peers (who saw the same) agree: ODOWN and a failover attempt. */
    for (size_t p = 0; p < M(s)->record->n_sentinels; p++)
        fake_reply_ask(s, P(s, p)->id, 1, "*", 0);
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "+odown", NULL), 0);
    fake_run_for(&F, s, 60, FAKE_ALL_ALIVE);
    cr_assert_geq(fake_find_event(&F, 0, "+try-failover", NULL), 0);
    sentinel_destroy(s);
}

Test(core, restarted_master_level_with_its_replicas_is_only_a_reboot)
{
    struct sentinel *s = ready_world(2, 2);
    reply_master_offset(s, '9', 300);
    reply_master_offset(s, '8', 200); /* new run id, but not behind the best replica */
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "+reboot", NULL), 0);
    cr_assert_eq(fake_find_event(&F, 0, "+regressed-master", NULL), -1);
    fake_run_for(&F, s, 300, FAKE_ALL_ALIVE);
    cr_assert_eq(fake_find_event(&F, 0, "+sdown", NULL), -1);
    cr_assert_not(M(s)->record->is_regressed);
    sentinel_destroy(s);
}

Test(core, regressed_master_is_up_again_once_no_longer_behind)
{
    struct sentinel *s = ready_world(2, 2);
    reply_master_offset(s, '9', 300);
    reply_master_offset(s, '8', 10);
    sentinel_tick(s, F.now);
    cr_assert(M(s)->flags & SRI_S_DOWN);
    /* An operator made it the master again (REPLICAOF NO ONE) and it took writes. */
    reply_master_offset(s, '8', 250);
    fake_run_for(&F, s, 100, FAKE_ALL_ALIVE);
    cr_assert_geq(fake_find_event(&F, 0, "-regressed-master", "#master_repl_offset 250"), 0);
    cr_assert_geq(fake_find_event(&F, 0, "-sdown", NULL), 0);
    cr_assert_not(M(s)->flags & SRI_S_DOWN);
    sentinel_destroy(s);
}

Test(core, restart_is_judged_on_fresh_replica_info_while_it_is_recent)
{
    struct sentinel *s = ready_world(2, 2); /* cached replica offsets 100 and 200 */
    reply_master_offset(s, '9', 300);
    size_t infos0 = fake_count_cmd(&F, R(s, 0)->id, "INFO");
    size_t infos1 = fake_count_cmd(&F, R(s, 1)->id, "INFO");
    reply_master_offset(s, '8', 500); /* restarted, ahead of what we knew */
    sentinel_tick(s, F.now);
    cr_assert_eq(fake_find_event(&F, 0, "+regressed-master", NULL), -1);
    cr_assert_eq(fake_count_cmd(&F, R(s, 0)->id, "INFO"), infos0 + 1, "replicas asked at once");
    cr_assert_eq(fake_count_cmd(&F, R(s, 1)->id, "INFO"), infos1 + 1);
    /* A replica that follows the restarted master (link up, fresh INFO) does not count. */
    reply_replica_info(s, 0, "10.0.0.1", true, 900, 100, false);
    sentinel_tick(s, F.now);
    cr_assert_eq(fake_find_event(&F, 0, "+regressed-master", NULL), -1);
    /* One that refuses it (link down) and holds more than the master does decides it. */
    reply_replica_info(s, 1, "10.0.0.1", false, 800, 100, false);
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "+regressed-master",
                                  "#master_repl_offset 500 < slave_repl_offset 800 of 10.0.0.3"),
                  0);
    sentinel_destroy(s);
}

/* A stale sentinel (cut off during a failover it did not see) hears the old master restart:
 * a replica linked to another node (the new master it does not know of yet) still holds data
 * the restarted node lacks, so the old master is judged regressed, not sane (sim seed 35). */
Test(core, replica_following_another_node_counts_against_a_restarted_master)
{
    struct sentinel *s = ready_world(2, 2);
    reply_master_offset(s, '9', 300);
    reply_master_offset(s, '8', 500);
    reply_replica_info(s, 0, "10.0.0.9", true, 900, 100, false);
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "+regressed-master",
                                  "#master_repl_offset 500 < slave_repl_offset 900 of 10.0.0.2"),
                  0);
    sentinel_destroy(s);
}

Test(core, replica_ahead_long_after_a_restart_is_no_verdict)
{
    struct sentinel *s = ready_world(2, 2);
    reply_master_offset(s, '9', 300);
    reply_master_offset(s, '8', 500);
    fake_run_for(&F, s, 6000, FAKE_ALL_ALIVE); /* past the check window */
    reply_replica_info(s, 1, "10.0.0.1", false, 800, 100, false);
    sentinel_tick(s, F.now);
    cr_assert_eq(fake_find_event(&F, 0, "+regressed-master", NULL), -1);
    sentinel_destroy(s);
}

Test(core, the_promoted_master_is_not_judged_on_its_predecessors_restart)
{
    struct sentinel *s = ready_world(2, 2);
    reply_master_offset(s, '9', 300);
    reply_master_offset(s, '8', 0);
    sentinel_tick(s, F.now);
    cr_assert(M(s)->record->is_regressed);
    failover_clear(M(s));
    master_switch_to(s, M(s), "10.0.0.3", 6379); /* the failover's end */
    cr_assert_not(M(s)->record->is_regressed);
    size_t from = F.n_events;
    /* A replica not yet following the new master, holding more than the old one's offset. */
    char buf[1024];
    fake_replica_info(buf, sizeof(buf), "1", "10.0.0.1", 6379, false, 900, 100);
    fake_reply_info(s, R(s, 0)->id, buf);
    sentinel_tick(s, F.now);
    cr_assert_eq(fake_find_event(&F, from, "+regressed-master", NULL), -1);
    cr_assert_not(M(s)->flags & SRI_S_DOWN);
    sentinel_destroy(s);
}

/* A master's INFO comes every fast-info-period while its replica set changes: under load a
 * deployment once took 13.9 s to find its second replica, with INFO every info-period (10 s)
 * once the first one was known. */
Test(core, master_info_every_second_while_its_replica_set_changes)
{
    struct sentinel *s = fake_world(&F, 0, 0);
    sentinel_tick(s, F.now);
    fake_link_all(&F, s);
    char info[1024];
    fake_master_info(info, sizeof(info), "9", 1);
    fake_run_for(&F, s, MONITOR_DISCOVERY_MS + 1000, FAKE_ALL_ALIVE); /* past start-up */
    fake_reply_info(s, M(s)->id, info); /* the first replica shows up */
    cr_assert_eq(M(s)->record->n_replicas, 1);
    size_t before = fake_count_cmd(&F, M(s)->id, "INFO");
    for (int i = 0; i < 5; i++) { /* answer each INFO with the same single replica */
        fake_run_for(&F, s, 1100, FAKE_ALL_ALIVE);
        fake_reply_info(s, M(s)->id, info);
    }
    cr_assert_geq(fake_count_cmd(&F, M(s)->id, "INFO"), before + 4, "about one INFO a second");
    fake_master_info(info, sizeof(info), "9", 2);
    fake_run_for(&F, s, 1100, FAKE_ALL_ALIVE);
    fake_reply_info(s, M(s)->id, info);
    cr_assert_eq(M(s)->record->n_replicas, 2, "the second replica is found within seconds");
    for (int i = 0; i < 10; i++) { /* the window after the last change runs out */
        fake_run_for(&F, s, 1100, FAKE_ALL_ALIVE);
        fake_reply_info(s, M(s)->id, info);
    }
    before = fake_count_cmd(&F, M(s)->id, "INFO");
    fake_run_for(&F, s, 5000, FAKE_ALL_ALIVE);
    cr_assert_leq(fake_count_cmd(&F, M(s)->id, "INFO"), before + 1, "back to info-period");
    sentinel_destroy(s);
}

/* A forced failover of a master that still answers demotes it as soon as its INFO is in, not
 * after the +convert-to-slave wait (~10 s of two writable masters). */
static void check_forced_failover_demotes_old_master(int peers)
{
    struct sentinel *s = ready_world(2, peers);
    struct sentinel_cmd_result res;
    sentinel_cmd_failover(s, "mymaster", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    sentinel_tick(s, F.now);
    reply_replica_info(s, 0, "10.0.0.1", true, 100, 100, false);
    reply_replica_info(s, 1, "10.0.0.1", true, 200, 100, false);
    sentinel_tick(s, F.now);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
    F.now += 5;
    reply_replica_info(s, 1, "", false, 200, 100, true);
    sentinel_tick(s, F.now);
    sentinel_tick(s, F.now);
    F.now += 5;
    reply_replica_info(s, 0, "10.0.0.3", true, 200, 100, false);
    sentinel_tick(s, F.now);
    sentinel_tick(s, F.now);
    cr_assert_str_eq(M(s)->host, "10.0.0.3", "switched");
    struct instance *old = instance_find_replica(M(s), "10.0.0.1", 6379);
    cr_assert_not_null(old);
    fake_link_all(&F, s);
    char info[512];
    fake_master_info(info, sizeof(info), "9", 0); /* still role:master, taking writes */
    fake_reply_info(s, old->id, info);
    sentinel_tick(s, F.now);
    const struct fake_cmd *slaveof = fake_last_cmd(&F, old->id, "SLAVEOF");
    cr_assert_not_null(slaveof, "SLAVEOF at once, not after 4 publish periods");
    cr_assert_str_eq(slaveof->argv[1], "10.0.0.3");
    cr_assert_geq(fake_find_event(&F, 0, "+convert-to-slave", NULL), 0);
    sentinel_destroy(s);
}

Test(core, forced_failover_demotes_the_live_old_master_at_once)
{
    check_forced_failover_demotes_old_master(0);
}

/* The leader of the newest epoch needs no majority's hellos to demote the old master of its own
 * failover (the stale-view rule of docs/sentinel-protocol.md#info-reactions exempts it). */
Test(core, forced_failover_demotes_the_old_master_without_peer_hellos)
{
    check_forced_failover_demotes_old_master(2);
}

/* Issue 18: a returning node (restarted, resumed, reachable again) is seen at once: its INFO is
 * asked as its command link comes up, not an info-period later, replicas included (a returning
 * old master is listed as a replica). */
Test(core, info_is_asked_as_soon_as_a_replica_link_comes_back)
{
    struct sentinel *s = ready_world(1, 0);
    uint64_t id = R(s, 0)->id;
    sentinel_on_link_down(s, id, SENTINEL_LINK_CMD);
    size_t before = fake_count_cmd(&F, id, "INFO");
    sentinel_on_link_up(s, id, SENTINEL_LINK_CMD, "10.0.0.100");
    cr_assert_eq(fake_count_cmd(&F, id, "INFO"), before + 1);
    sentinel_destroy(s);
}

/* Issue 18: TILT follows the monotonic clock only; a wall-clock jump (NTP, an operator) of an
 * hour either way leaves it alone. */
Test(core, a_wall_clock_jump_is_no_tilt)
{
    struct sentinel *s = ready_world(1, 2);
    F.wall_offset_ms = 3600 * 1000;
    fake_run_for(&F, s, 500, FAKE_ALL_ALIVE);
    F.wall_offset_ms = -3600 * 1000;
    fake_run_for(&F, s, 500, FAKE_ALL_ALIVE);
    cr_assert_not(sentinel_in_tilt(s));
    cr_assert_eq(fake_find_event(&F, 0, "+tilt", NULL), -1);
    cr_assert_null(sentinel_tilt_cause(s));
    sentinel_destroy(s);
}

/* A monotonic gap (a stalled process) is TILT, and the cause says how late the tick was; it is
 * kept (INFO, /v1) after TILT ends. */
Test(core, a_monotonic_stall_is_tilt_with_its_cause)
{
    struct sentinel *s = ready_world(1, 2);
    F.now += 5000;
    sentinel_tick(s, F.now);
    cr_assert(sentinel_in_tilt(s));
    const char *cause = sentinel_tilt_cause(s);
    cr_assert_not_null(cause);
    cr_assert(strncmp(cause, "stall: tick ", 12) == 0, "cause: %s", cause);
    cr_assert(strstr(cause, "5000 ms since the previous tick") != NULL, "cause: %s", cause);
    cr_assert_geq(fake_count_logs(&F, "entering TILT: stall: tick"), 1);
    struct buf info;
    buf_init(&info);
    sentinel_info_section(s, 0, 0, &info);
    cr_assert(strstr(info.data, "\r\nvigil_tilt_cause:stall: tick ") != NULL);
    buf_free(&info);
    sentinel_destroy(s);
}

static const char *field_of(const struct sentinel_desc *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->fields[i].name, name) == 0) return d->fields[i].value;
    return NULL;
}

/* Issue 18: a sentinel cut off from the majority of its peers (the HTTP API's 503 predicate)
 * refuses GET-MASTER-ADDR-BY-NAME with an error, so Sentinel clients ask the next sentinel;
 * discovery-when-isolated answer restores Redis's behaviour. */
Test(core, an_isolated_sentinel_refuses_to_name_the_master)
{
    struct sentinel *s = ready_world(1, 2);
    char why[160];
    cr_assert_eq(sentinel_addr_refusal(s, "mymaster", why, sizeof(why)), 0, "peers answer");
    fake_run_for(&F, s, 1500, FAKE_ALL_ALIVE & ~(3u << 8)); /* both peers silent */
    cr_assert_eq(sentinel_addr_refusal(s, "mymaster", why, sizeof(why)), -1);
    cr_assert(strncmp(why, "IDONTKNOW ", 10) == 0, "%s", why);
    cr_assert(strstr(why, "1 of 3 sentinels") != NULL, "%s", why);
    cr_assert_eq(sentinel_addr_refusal(s, "nope", why, sizeof(why)), 0, "unknown: null array");
    struct sentinel_desc d;
    cr_assert_eq(sentinel_describe_master(s, "mymaster", &d), 0);
    cr_assert_null(field_of(&d, "discovery-when-isolated"), "defaults keep Redis's field list");
    sentinel_desc_free(&d);
    const char *argv[] = {"discovery-when-isolated", "answer"};
    struct sentinel_cmd_result res;
    sentinel_cmd_set(s, "mymaster", 2, argv, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    cr_assert_eq(F.last_state.masters[0].params.discovery_when_isolated, ISOLATED_DISCOVERY_ANSWER);
    cr_assert_eq(sentinel_addr_refusal(s, "mymaster", why, sizeof(why)), 0);
    cr_assert_eq(sentinel_describe_master(s, "mymaster", &d), 0);
    cr_assert_str_eq(field_of(&d, "discovery-when-isolated"), "answer");
    sentinel_desc_free(&d);
    const char *bad[] = {"discovery-when-isolated", "maybe"};
    sentinel_cmd_set(s, "mymaster", 2, bad, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    sentinel_destroy(s);
}

/* A sentinel that knows no peer is never cut off: it answers as Redis does. */
Test(core, a_lone_sentinel_is_never_isolated)
{
    struct sentinel *s = ready_world(1, 0);
    char why[160];
    fake_run_for(&F, s, 1500, FAKE_ALL_ALIVE);
    cr_assert_eq(sentinel_addr_refusal(s, "mymaster", why, sizeof(why)), 0);
    sentinel_destroy(s);
}

/* Sim seed 1988 (VIGIL_SIM_REPLIDS=1): a leader past the promotion announces the promoted
 * replica; a newer epoch that a peer announces for the old master's address is another
 * configuration, not one to raise our epoch to (we would then announce the promoted replica with
 * the peer's epoch, two addresses under one config epoch, and the group never agreed again). */
Test(core, a_leader_past_the_promotion_keeps_its_epoch_for_the_old_address)
{
    struct sentinel *s = ready_world(2, 2);
    to_selected(s);
    sentinel_tick(s, F.now);
    F.now += 5;
    reply_replica_info(s, 1, "", false, 200, 100, true);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_RECONF_SLAVES);
    uint64_t ours = M(s)->record->config_epoch;
    char hello[256];
    snprintf(hello, sizeof(hello), "10.0.0.11,26379,%s,%llu,mymaster,10.0.0.1,6379,%llu",
             FAKE_PEER_A, (unsigned long long)ours + 1, (unsigned long long)ours + 1);
    struct sentinel_cmd_result res;
    sentinel_cmd_publish(s, "__sentinel__:hello", hello, strlen(hello), &res);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->config_epoch, ours, "not raised for the old master's address");
    sentinel_destroy(s);
}
