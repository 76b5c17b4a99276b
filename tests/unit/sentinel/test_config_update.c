/* Unit tests of configuration updates carried by hellos (discovery.c): a newer config epoch
 * with a new master address moves this sentinel only when it names a sentinel we know that
 * has answered us, and the new address, a known replica, answered INFO with the group's
 * replication history and role:master (a hello sent to our own port may name a member that
 * was demoted since). Forged hellos (from strangers, naming outsiders, impostor masters or
 * unpromoted replicas) are refused with an event. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fake_env.h"
#include "sentinel/core/sentinel_cmd.h"
#include "sentinel/core/core_int.h"

static struct fake_env F;
static struct sentinel *S;

#define REPLID_OLD "1111111111111111111111111111111111111111"
#define REPLID_NEW "2222222222222222222222222222222222222222"
#define REPLID_ODD "7777777777777777777777777777777777777777"
#define NO_REPLID "0000000000000000000000000000000000000000"
#define STRANGER "ffffffffffffffffffffffffffffffffffffffff"
/* Peer A announces replica 10.0.0.3 as the master of config epoch 2. */
#define UPDATE_FROM_A "10.0.0.11,26379," FAKE_PEER_A ",2,mymaster,10.0.0.3,6379,2"

static struct instance *M(void) { return (struct instance *)sentinel_master_at(S, 0); }
static struct instance *R(size_t i) { return M()->record->replicas[i]; }

/* The standard world (2 replicas, peer A); the master reports replication id REPLID_OLD. */
static void setup(void)
{
    fake_env_init(&F);
    S = fake_ready_world(&F, 2, 1);
    char buf[2048];
    fake_master_info(buf, sizeof(buf), "9", 2);
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof(buf) - n, "master_replid:%s\r\nmaster_replid2:%s\r\n", REPLID_OLD,
             NO_REPLID);
    fake_reply_info(S, M()->id, buf);
    sentinel_tick(S, F.now);
}

static void teardown(void)
{
    sentinel_destroy(S);
    fake_env_free(&F);
}

TestSuite(config_update, .init = setup, .fini = teardown);

/* A hello heard on the master's channel (any client can PUBLISH there). */
static void pubsub_hello(const char *payload)
{
    struct sentinel_reply e[3] = {
        {.type = SENTINEL_REPLY_STRING, .str = "message", .len = 7},
        {.type = SENTINEL_REPLY_STRING, .str = "__sentinel__:hello", .len = 18},
        {.type = SENTINEL_REPLY_STRING, .str = payload, .len = strlen(payload)},
    };
    struct sentinel_reply r = {.type = SENTINEL_REPLY_ARRAY, .count = 3, .elems = e};
    sentinel_on_pubsub(S, M()->id, &r);
    sentinel_tick(S, F.now);
}

/* A hello PUBLISHed to our own port (how sentinels send hellos to each other). */
static void direct_hello(const char *payload)
{
    struct sentinel_cmd_result res;
    sentinel_cmd_publish(S, "__sentinel__:hello", payload, strlen(payload), &res);
    sentinel_tick(S, F.now);
}

/* Replica i answers the INFO the update asked for: role master with these replication ids. */
static void promoted_info(size_t i, const char *replid, const char *replid2)
{
    char buf[512];
    snprintf(buf, sizeof(buf),
             "# Server\r\nrun_id:%040d\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
             "master_replid:%s\r\nmaster_replid2:%s\r\nmaster_repl_offset:300\r\n",
             (int)i + 1, replid, replid2);
    F.now += 5;
    fake_reply_info(S, R(i)->id, buf);
    sentinel_tick(S, F.now);
}

static void assert_not_moved(void)
{
    cr_assert_str_eq(M()->host, "10.0.0.1");
    cr_assert_eq(M()->record->config_epoch, 0);
    cr_assert_eq(fake_find_event(&F, 0, "+switch-master", NULL), -1);
}

static void assert_rejected(const char *why)
{
    int i = fake_find_event(&F, 0, "+config-update-rejected", why);
    cr_assert_geq(i, 0, "a +config-update-rejected event saying '%s'", why);
}

Test(config_update, a_verified_update_from_a_known_peer_switches_the_master)
{
    size_t before = fake_count_cmd(&F, R(1)->id, "INFO");
    direct_hello(UPDATE_FROM_A);
    cr_assert_str_eq(M()->host, "10.0.0.1", "not before the new master answered");
    cr_assert_eq(fake_count_cmd(&F, R(1)->id, "INFO"), before + 1, "INFO asked at once");
    promoted_info(1, REPLID_NEW, REPLID_OLD);
    cr_assert_geq(fake_find_event(&F, 0, "+config-update-from", NULL), 0);
    int i = fake_find_event(&F, 0, "+switch-master", NULL);
    cr_assert_geq(i, 0);
    cr_assert_str_eq(F.events[i].msg, "mymaster 10.0.0.1 6379 10.0.0.3 6379");
    cr_assert_str_eq(M()->host, "10.0.0.3");
    cr_assert_eq(M()->record->config_epoch, 2);
    /* an older config never goes back */
    direct_hello("10.0.0.11,26379," FAKE_PEER_A ",2,mymaster,10.0.0.2,6379,1");
    cr_assert_str_eq(M()->host, "10.0.0.3");
}

Test(config_update, a_hello_published_on_a_data_node_needs_a_promoted_member)
{
    /* Claiming to be peer A, naming a real replica that has not been promoted. */
    pubsub_hello(UPDATE_FROM_A);
    char buf[512];
    fake_replica_info(buf, sizeof(buf), "2", "10.0.0.1", 6379, true, 200, 100);
    F.now += 5;
    fake_reply_info(S, R(1)->id, buf);
    sentinel_tick(S, F.now);
    assert_not_moved();
    assert_rejected("does not report role:master");
    /* Naming a server outside the group. */
    F.now += CORE_REJECT_LOG_MS;
    pubsub_hello("10.0.0.11,26379," FAKE_PEER_A ",2,mymaster,10.6.6.6,6379,2");
    assert_not_moved();
    assert_rejected("not a known replica");
}

Test(config_update, a_sentinel_cut_off_from_its_peers_learns_a_real_failover_from_the_nodes)
{
    pubsub_hello(UPDATE_FROM_A);
    promoted_info(1, REPLID_NEW, REPLID_OLD);
    cr_assert_str_eq(M()->host, "10.0.0.3");
    cr_assert_eq(M()->record->config_epoch, 2);
}

Test(config_update, a_demoted_member_is_adopted_only_from_a_peer_that_reached_our_port)
{
    /* A stale sentinel demoted the new master meanwhile: it reports role:slave, but it is a
     * member of the group, and a peer told us directly. */
    direct_hello(UPDATE_FROM_A);
    char buf[512];
    fake_replica_info(buf, sizeof(buf), "2", "10.0.0.1", 6379, true, 200, 100);
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof(buf) - n, "master_replid:%s\r\n", REPLID_OLD);
    F.now += 5;
    fake_reply_info(S, R(1)->id, buf);
    sentinel_tick(S, F.now);
    cr_assert_str_eq(M()->host, "10.0.0.3");
}

Test(config_update, a_stranger_cannot_move_the_master)
{
    direct_hello("10.0.0.66,26379," STRANGER ",2,mymaster,10.0.0.3,6379,2");
    promoted_info(1, REPLID_NEW, REPLID_OLD);
    assert_not_moved();
    assert_rejected("not from a sentinel we knew");
    /* Known now (its hello introduced it), but it never answered us there. */
    F.now += CORE_REJECT_LOG_MS;
    direct_hello("10.0.0.66,26379," STRANGER ",2,mymaster,10.0.0.3,6379,3");
    promoted_info(1, REPLID_NEW, REPLID_OLD);
    assert_not_moved();
    assert_rejected("never answered us");
}

Test(config_update, an_address_outside_the_group_is_refused)
{
    direct_hello("10.0.0.11,26379," FAKE_PEER_A ",2,mymaster,10.6.6.6,6379,2");
    fake_run_for(&F, S, 1000, FAKE_ALL_ALIVE);
    assert_not_moved();
    assert_rejected("not a known replica");
}

Test(config_update, a_new_master_without_the_groups_history_is_refused)
{
    direct_hello(UPDATE_FROM_A);
    promoted_info(1, REPLID_ODD, NO_REPLID); /* a server started on its own */
    assert_not_moved();
    assert_rejected("replication ids are not the group's");
}

Test(config_update, a_silent_new_address_is_refused_after_the_wait)
{
    direct_hello(UPDATE_FROM_A);
    fake_run_for(&F, S, CORE_CONFIG_UPDATE_WAIT_MS + 100, FAKE_ALL_ALIVE);
    assert_not_moved();
    assert_rejected("did not answer INFO in time");
    /* The peer's next hello tries again, and this time the new master answers. */
    direct_hello(UPDATE_FROM_A);
    promoted_info(1, REPLID_NEW, REPLID_OLD);
    cr_assert_str_eq(M()->host, "10.0.0.3");
}

Test(config_update, a_newer_epoch_for_the_same_address_needs_a_trusted_hello)
{
    pubsub_hello("10.0.0.11,26379," FAKE_PEER_A ",9,mymaster,10.0.0.1,6379,9");
    cr_assert_eq(M()->record->config_epoch, 0, "an epoch published on a data node is not taken");
    direct_hello("10.0.0.11,26379," FAKE_PEER_A ",9,mymaster,10.0.0.1,6379,9");
    cr_assert_eq(M()->record->config_epoch, 9);
    cr_assert_str_eq(M()->host, "10.0.0.1");
}

Test(config_update, a_sentinel_that_missed_the_failover_follows_its_old_master_to_the_new_one)
{
    /* The node we know as the master was demoted and replicates from 10.0.0.9, a replica we
     * never saw (it joined while we were away). */
    char buf[512];
    snprintf(buf, sizeof(buf),
             "# Server\r\nrun_id:%040d\r\n# Replication\r\nrole:slave\r\nmaster_host:10.0.0.9\r\n"
             "master_port:6379\r\nmaster_link_status:up\r\nslave_repl_offset:300\r\n"
             "master_replid:%s\r\nmaster_replid2:%s\r\n",
             9, REPLID_NEW, NO_REPLID);
    F.now += 5;
    fake_reply_info(S, M()->id, buf);
    direct_hello("10.0.0.11,26379," FAKE_PEER_A ",2,mymaster,10.0.0.9,6379,2");
    struct instance *cand = instance_find_replica(M(), "10.0.0.9", 6379);
    cr_assert_not_null(cand, "the address the master replicates from is now a known replica");
    fake_link_all(&F, S);
    fake_run_for(&F, S, 50, FAKE_ALL_ALIVE);
    snprintf(buf, sizeof(buf),
             "# Server\r\nrun_id:%040d\r\n# Replication\r\nrole:master\r\nconnected_slaves:1\r\n"
             "master_replid:%s\r\nmaster_replid2:%s\r\n",
             7, REPLID_NEW, REPLID_OLD);
    fake_reply_info(S, cand->id, buf);
    sentinel_tick(S, F.now);
    cr_assert_str_eq(M()->host, "10.0.0.9");
    cr_assert_eq(M()->record->config_epoch, 2);
}

/* ---- a stale view reconfigures no node (tick.c, docs/sentinel-protocol.md#info-reactions) -- */

/* Peer A's hello for the configuration we hold (10.0.0.1, config epoch 0), sent to our port. */
#define HELLO_SAME_FROM_A "10.0.0.11,26379," FAKE_PEER_A ",0,mymaster,10.0.0.1,6379,0"

/* Run for ms with the master sane (replication id REPLID_OLD) and replica 1 reporting
 * role:master with `extra` INFO lines, INFO and (if with_hellos) peer A's hello about every half
 * second. */
static void run_claiming_master_with(int64_t ms, bool with_hellos, const char *extra)
{
    char minfo[2048], rinfo[512];
    fake_master_info(minfo, sizeof(minfo), "9", 1);
    size_t n = strlen(minfo);
    snprintf(minfo + n, sizeof(minfo) - n, "master_replid:%s\r\nmaster_replid2:%s\r\n", REPLID_OLD,
             NO_REPLID);
    snprintf(rinfo, sizeof(rinfo),
             "# Server\r\nrun_id:%040d\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
             "master_repl_offset:300\r\n%s",
             2, extra);
    for (int64_t end = F.now + ms; F.now < end;) {
        fake_run_for(&F, S, 500, FAKE_ALL_ALIVE);
        fake_reply_info(S, M()->id, minfo);
        fake_reply_info(S, R(1)->id, rinfo);
        if (with_hellos) direct_hello(HELLO_SAME_FROM_A);
        sentinel_tick(S, F.now);
    }
}

/* The returning old master: a history unrelated to the master's (demoted on sight). */
#define OLD_HISTORY "master_replid:" REPLID_ODD "\r\nmaster_replid2:" NO_REPLID "\r\n"
/* A replica promoted from our master (it continues REPLID_OLD): Redis's wait applies. */
#define PROMOTED_HISTORY "master_replid:" REPLID_NEW "\r\nmaster_replid2:" REPLID_OLD "\r\n"

static void run_with_replica_claiming_master(int64_t ms, bool with_hellos)
{
    run_claiming_master_with(ms, with_hellos, OLD_HISTORY);
}

/* A hello heard on the master's channel from a sentinel we never met: 10.0.0.3 is the master of
 * config epoch 2. */
#define UPDATE_FROM_STRANGER "10.0.0.99,26379," STRANGER ",2,mymaster,10.0.0.3,6379,2"

/* A sentinel that heard of a newer configuration but cannot adopt it (here: from a sentinel it
 * never met) must not demote the node it names towards the master of the older configuration
 * it still holds. */
Test(config_update, a_newer_config_epoch_heard_holds_back_convert_to_slave)
{
    pubsub_hello(UPDATE_FROM_STRANGER);
    run_with_replica_claiming_master(4000, true);
    assert_rejected("not from a sentinel we knew at that address");
    assert_not_moved();
    cr_assert_eq(fake_count_events(&F, "+convert-to-slave"), 0);
    cr_assert_null(fake_last_cmd(&F, R(1)->id, "SLAVEOF"));
    cr_assert_geq(fake_count_logs(&F, "a hello announced a newer config epoch"), 1);
    /* The claim is not repeated: once it is older than the wait, the usual rule applies. */
    run_with_replica_claiming_master(6000, true);
    cr_assert_geq(fake_find_event(&F, 0, "+convert-to-slave", NULL), 0);
}

/* Issue 18: a node we list as a replica that claims the master role with an older history (a
 * returning old master, restarted or resumed) is demoted at its first INFO once our view is
 * fresh, not after Redis's wait of 4 publish periods (8 s here). */
Test(config_update, a_returning_old_master_is_demoted_on_sight)
{
    /* The master has held its role for a fast-info period (1 s) by then (master_settled). */
    run_with_replica_claiming_master(1500, true);
    cr_assert_geq(fake_find_event(&F, 0, "+convert-to-slave", NULL), 0);
    const struct fake_cmd *slaveof = fake_last_cmd(&F, R(1)->id, "SLAVEOF");
    cr_assert_not_null(slaveof);
    cr_assert_str_eq(slaveof->argv[1], "10.0.0.1");
}

/* A replica that continues our master's replication id was promoted from it: by a failover we
 * may not have heard of yet, or by an operator. It is not demoted on sight. */
Test(config_update, a_replica_promoted_from_our_master_gets_the_usual_wait)
{
    run_claiming_master_with(6000, true, PROMOTED_HISTORY);
    cr_assert_eq(fake_count_events(&F, "+convert-to-slave"), 0);
    run_claiming_master_with(4000, true, PROMOTED_HISTORY);
    cr_assert_geq(fake_find_event(&F, 0, "+convert-to-slave", NULL), 0);
}

/* A restarted store still loading its data would refuse SLAVEOF (-LOADING): wait for the load,
 * asking INFO at the fast period meanwhile, then demote. */
Test(config_update, a_loading_old_master_is_demoted_once_loaded)
{
    run_claiming_master_with(3000, true, OLD_HISTORY "loading:1\r\n");
    cr_assert_eq(fake_count_events(&F, "+convert-to-slave"), 0);
    cr_assert_null(fake_last_cmd(&F, R(1)->id, "SLAVEOF"));
    cr_assert_leq(R(1)->fresh_info_period_ms, 1000, "polled at the fast INFO period");
    run_claiming_master_with(1000, true, OLD_HISTORY "loading:0\r\n");
    cr_assert_geq(fake_find_event(&F, 0, "+convert-to-slave", NULL), 0);
}

/* Sim seeds 754, 1379: a sentinel that hears from no majority of the sentinels (cut off, or just
 * back before their hellos) cannot know whether a newer configuration exists: it demotes
 * nothing; it does once the peers' hellos are in. */
Test(config_update, a_sentinel_without_hellos_from_a_majority_demotes_nothing)
{
    run_with_replica_claiming_master(12000, false);
    cr_assert_eq(fake_count_events(&F, "+convert-to-slave"), 0);
    cr_assert_null(fake_last_cmd(&F, R(1)->id, "SLAVEOF"));
    cr_assert_geq(fake_count_logs(&F, "fewer than a majority of the sentinels"), 1);
    run_with_replica_claiming_master(1000, true);
    cr_assert_geq(fake_find_event(&F, 0, "+convert-to-slave", NULL), 0);
    const struct fake_cmd *slaveof = fake_last_cmd(&F, R(1)->id, "SLAVEOF");
    cr_assert_not_null(slaveof);
    cr_assert_str_eq(slaveof->argv[1], "10.0.0.1");
}

/* ---- the bytes a returning old master drops (docs/sentinel-protocol.md#dropped-bytes) ---- */

/* The master answers offset 1000 in history REPLID_OLD; peer A's failover promotes 10.0.0.3,
 * whose stream took over at offset 900 (second_repl_offset 901). */
static void switch_with_takeover_at_900(void)
{
    char buf[1024];
    fake_master_info(buf, sizeof(buf), "9", 2);
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof(buf) - n, "master_replid:%s\r\nmaster_repl_offset:1000\r\n",
             REPLID_OLD);
    fake_reply_info(S, M()->id, buf);
    direct_hello(UPDATE_FROM_A);
    promoted_info(1, REPLID_NEW, REPLID_OLD);
    cr_assert_str_eq(M()->host, "10.0.0.3");
    snprintf(buf, sizeof(buf),
             "# Replication\r\nrole:master\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"
             "master_repl_offset:1200\r\nsecond_repl_offset:901\r\n",
             REPLID_NEW, REPLID_OLD);
    fake_reply_info(S, M()->id, buf);
}

static void old_master_answers(const char *replid, long long offset)
{
    struct instance *old = instance_find_replica(M(), "10.0.0.1", 6379);
    cr_assert_not_null(old);
    char buf[512];
    snprintf(buf, sizeof(buf),
             "# Replication\r\nrole:master\r\nmaster_replid:%s\r\nmaster_repl_offset:%lld\r\n",
             replid, offset);
    fake_reply_info(S, old->id, buf);
}

/* Resumed after the failover with writes it took meanwhile: offset 1150 in its old history, so
 * 1150 - 900 bytes are dropped when it rejoins as a replica. */
Test(config_update, a_returning_old_master_reports_the_bytes_it_drops)
{
    switch_with_takeover_at_900();
    cr_assert_eq(fake_find_event(&F, 0, "+old-master-dropped-bytes", NULL), -1, "not seen yet");
    old_master_answers(REPLID_OLD, 1150);
    int i = fake_find_event(&F, 0, "+old-master-dropped-bytes", NULL);
    cr_assert_geq(i, 0);
    cr_assert(strstr(F.events[i].msg, "slave 10.0.0.1:6379 10.0.0.1 6379 @ mymaster 10.0.0.3 6379 "
                                      "#dropped_bytes 250 old_offset 1150 takeover_offset 900 "
                                      "epoch 2") != NULL,
              "%s", F.events[i].msg);
    old_master_answers(REPLID_OLD, 1300);
    cr_assert_eq(fake_count_events(&F, "+old-master-dropped-bytes"), 1, "reported once");
}

/* Restarted empty (a new history): what it held is known from before the switch only. */
Test(config_update, an_old_master_back_empty_reports_its_last_known_offset)
{
    switch_with_takeover_at_900();
    old_master_answers(REPLID_ODD, 0);
    int i = fake_find_event(&F, 0, "+old-master-dropped-bytes", NULL);
    cr_assert_geq(i, 0);
    cr_assert(strstr(F.events[i].msg, "#dropped_bytes 100 old_offset 1000 takeover_offset 900") !=
                  NULL,
              "%s", F.events[i].msg);
}

/* Sim seed 2706 (VIGIL_SIM_REPLIDS=1): right after adopting a configuration, its master may have
 * restarted behind its replicas (a peer judges it first); no node is pulled into it on sight
 * until it has held the role for a fast-info period. */
Test(config_update, no_demotion_on_sight_towards_a_master_adopted_a_moment_ago)
{
    char rinfo[512];
    snprintf(rinfo, sizeof(rinfo),
             "# Replication\r\nrole:master\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"
             "master_repl_offset:300\r\n",
             REPLID_ODD, NO_REPLID);
    F.now += 5;
    M()->role_reported_ms = F.now; /* as the address switch leaves it */
    direct_hello(HELLO_SAME_FROM_A);
    fake_reply_info(S, R(1)->id, rinfo);
    sentinel_tick(S, F.now);
    cr_assert_eq(fake_count_events(&F, "+convert-to-slave"), 0);
    cr_assert_leq(R(1)->fresh_info_period_ms, 1000, "asked again at the fast INFO period");
    run_with_replica_claiming_master(1500, true);
    cr_assert_geq(fake_find_event(&F, 0, "+convert-to-slave", NULL), 0);
}
