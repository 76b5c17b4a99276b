/* Unit tests of the lossless switchover, maintenance pause and the pre-failover veto, driven
 * through the core's public API with the fake env (no sockets, a hand-driven clock). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fake_env.h"
#include "sentinel/core/info_parse.h"
#include "sentinel/core/sentinel_cmd.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/switchover.h"

static struct fake_env F;

static void setup(void) { fake_env_init(&F); }
static void teardown(void) { fake_env_free(&F); }

TestSuite(switchover, .init = setup, .fini = teardown);

static struct instance *M(struct sentinel *s)
{
    return (struct instance *)sentinel_master_at(s, 0);
}
static struct instance *R(struct sentinel *s, size_t i) { return M(s)->record->replicas[i]; }
static struct instance *P(struct sentinel *s, size_t i) { return M(s)->record->sentinels[i]; }

static void replica_info(struct sentinel *s, size_t i, const char *mhost, long long off)
{
    char buf[1024];
    fake_replica_info(buf, sizeof(buf), i == 0 ? "1" : "2", mhost, 6379, true, off, 100);
    fake_reply_info(s, R(s, i)->id, buf);
}

static void replica_reports_master(struct sentinel *s, size_t i)
{
    char buf[1024];
    fake_master_info(buf, sizeof(buf), i == 0 ? "1" : "2", 1);
    fake_reply_info(s, R(s, i)->id, buf);
}

static void master_info(struct sentinel *s, const char *fo_state)
{
    char buf[2048];
    fake_master_info(buf, sizeof(buf), "9", 2);
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof(buf) - n, "master_repl_offset:200\r\nmaster_failover_state:%s\r\n",
             fo_state);
    fake_reply_info(s, M(s)->id, buf);
}

/* Links up, fresh INFO: replica 0 (10.0.0.2) offset 100, replica 1 (10.0.0.3) offset 200. */
static struct sentinel *ready_world(void)
{
    struct sentinel *s = fake_world(&F, 2, 2);
    sentinel_tick(s, F.now);
    fake_link_all(&F, s);
    master_info(s, "no-failover");
    replica_info(s, 0, "10.0.0.1", 100);
    replica_info(s, 1, "10.0.0.1", 200);
    fake_run_for(&F, s, 200, FAKE_ALL_ALIVE);
    return s;
}

static void grant_votes(struct sentinel *s)
{
    for (size_t i = 0; i < M(s)->record->n_sentinels; i++)
        fake_reply_ask(s, P(s, i)->id, 0, FAKE_MYID, (long long)M(s)->record->failover_epoch);
}

/* Start a switchover and walk it to WAIT_PROMOTION (FAILOVER TO sent). */
static void to_handover(struct sentinel *s, const char *host, int port)
{
    char why[256];
    cr_assert_eq(sentinel_switchover(s, "mymaster", host, port, 3000, why, sizeof(why)), 0, "%s",
                 why);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_START);
    const struct fake_cmd *ask = fake_last_cmd(&F, P(s, 0)->id, "SENTINEL");
    cr_assert_not_null(ask, "votes are requested although the master is up");
    cr_assert_str_eq(ask->argv[5], FAKE_MYID);
    grant_votes(s);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SELECT_SLAVE);
    replica_info(s, 0, "10.0.0.1", 200);
    replica_info(s, 1, "10.0.0.1", 200);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SEND_SLAVEOF_NOONE);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
}

Test(switchover, happy_path_uses_failover_to_and_switches)
{
    struct sentinel *s = ready_world();
    to_handover(s, NULL, 0);
    /* equal offsets: the run id breaks the tie, replica 0 ("1...") ranks first */
    struct instance *target = M(s)->record->promoted;
    cr_assert_eq(target, R(s, 0));
    const struct fake_cmd *fo = fake_last_cmd(&F, M(s)->id, "FAILOVER");
    cr_assert_not_null(fo);
    cr_assert_eq(fo->argc, 6);
    cr_assert_str_eq(fo->argv[1], "TO");
    cr_assert_str_eq(fo->argv[2], "10.0.0.2");
    cr_assert_str_eq(fo->argv[3], "6379");
    cr_assert_str_eq(fo->argv[4], "TIMEOUT");
    cr_assert_str_eq(fo->argv[5], "3000");
    cr_assert_eq(fake_count_cmd(&F, target->id, "SLAVEOF"), 0, "no SLAVEOF NO ONE to the target");
    fake_reply_status(s, M(s)->id, TAG_FAILOVER, "OK");
    master_info(s, "waiting-for-sync");
    size_t infos = fake_count_cmd(&F, target->id, "INFO");
    for (int i = 0; i < 4; i++) {
        fake_run_for(&F, s, 20, FAKE_ALL_ALIVE);
        replica_info(s, 0, "10.0.0.1", 200);
    }
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
    cr_assert_geq(fake_count_cmd(&F, target->id, "INFO"), infos + 3,
                  "target polled while handing over");
    replica_reports_master(s, 0);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_RECONF_SLAVES);
    cr_assert_eq(M(s)->record->config_epoch, M(s)->record->failover_epoch);
    /* both new roles are persisted (the overrides file must not say replicaof on the target) */
    const struct fake_cmd *rw = fake_last_cmd(&F, target->id, "CONFIG");
    cr_assert(rw && strcmp(rw->argv[1], "REWRITE") == 0, "CONFIG REWRITE to the new master");
    rw = fake_last_cmd(&F, M(s)->id, "CONFIG");
    cr_assert(rw && strcmp(rw->argv[1], "REWRITE") == 0, "CONFIG REWRITE to the old master");
    sentinel_tick(s, F.now);
    const struct fake_cmd *switchover = fake_last_cmd(&F, R(s, 1)->id, "SLAVEOF");
    cr_assert_not_null(switchover);
    cr_assert_str_eq(switchover->argv[1], "10.0.0.2");
    replica_info(s, 1, "10.0.0.2", 200);
    sentinel_tick(s, F.now);
    sentinel_tick(s, F.now);
    int sw = fake_find_event(&F, 0, "+switch-master", NULL);
    cr_assert_geq(sw, 0);
    cr_assert_str_eq(F.events[sw].msg, "mymaster 10.0.0.1 6379 10.0.0.2 6379");
    cr_assert_geq(fake_find_event(&F, 0, "+switchover-failover-to", "10.0.0.2"), 0);
    cr_assert_eq(fake_count_cmd(&F, M(s)->id, "FAILOVER"), 1, "no ABORT after success");
    sentinel_destroy(s);
}

Test(switchover, named_target_wins_over_ranking)
{
    struct sentinel *s = ready_world();
    to_handover(s, "10.0.0.3", 6379);
    cr_assert_eq(M(s)->record->promoted, R(s, 1));
    cr_assert_str_eq(fake_last_cmd(&F, M(s)->id, "FAILOVER")->argv[2], "10.0.0.3");
    sentinel_destroy(s);
}

Test(switchover, refused_by_node_aborts_without_backoff)
{
    struct sentinel *s = ready_world();
    to_handover(s, NULL, 0);
    struct sentinel_reply err = {.type = SENTINEL_REPLY_ERROR,
                                 .str = "ERR FAILOVER target replica is not online.",
                                 .len = strlen("ERR FAILOVER target replica is not online.")};
    sentinel_on_reply(s, M(s)->id, TAG_FAILOVER, &err);
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-switchover-refused", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_eq(M(s)->record->switchover.is_active, false);
    cr_assert_eq(M(s)->flags & SRI_FAILOVER_IN_PROGRESS, 0u);
    char why[128];
    cr_assert_eq(sentinel_switchover(s, "mymaster", NULL, 0, 1000, why, sizeof(why)), 0,
                 "a new switchover may start at once");
    sentinel_destroy(s);
}

Test(switchover, node_timeout_is_seen_and_writes_resume)
{
    struct sentinel *s = ready_world();
    to_handover(s, NULL, 0);
    master_info(s, "no-failover"); /* an INFO from before the +OK does not count */
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
    fake_reply_status(s, M(s)->id, TAG_FAILOVER, "OK");
    master_info(s, "waiting-for-sync");
    fake_run_for(&F, s, 100, FAKE_ALL_ALIVE);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
    master_info(s, "no-failover");
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-switchover-timeout", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_eq(fake_count_cmd(&F, M(s)->id, "FAILOVER"), 1, "the node gave up: no ABORT");
    sentinel_destroy(s);
}

Test(switchover, sentinel_deadline_sends_abort)
{
    struct sentinel *s = ready_world();
    to_handover(s, NULL, 0);
    fake_reply_status(s, M(s)->id, TAG_FAILOVER, "OK");
    int at = fake_run_until_event(&F, s, "-failover-abort-switchover-timeout",
                                  3000 + SWITCHOVER_GRACE_MS + 200, FAKE_ALL_ALIVE);
    cr_assert_geq(at, 0);
    const struct fake_cmd *ab = fake_last_cmd(&F, M(s)->id, "FAILOVER");
    cr_assert_eq(ab->argc, 2);
    cr_assert_str_eq(ab->argv[1], "ABORT");
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    sentinel_destroy(s);
}

Test(switchover, rejected_requests_name_the_reason)
{
    struct sentinel *s = ready_world();
    char why[256];
    cr_assert_eq(sentinel_switchover(s, "nope", NULL, 0, 0, why, sizeof(why)), SWITCHOVER_ENOENT);
    cr_assert_eq(sentinel_switchover(s, "mymaster", "10.9.9.9", 1, 0, why, sizeof(why)),
                 SWITCHOVER_ETARGET);
    cr_assert(strstr(why, "not a known replica") != NULL, "%s", why);
    char buf[1024];
    fake_replica_info(buf, sizeof(buf), "2", "10.0.0.1", 6379, false, 200, 100);
    fake_reply_info(s, R(s, 1)->id, buf);
    cr_assert_eq(sentinel_switchover(s, "mymaster", "10.0.0.3", 6379, 0, why, sizeof(why)),
                 SWITCHOVER_ETARGET);
    cr_assert(strstr(why, "master link is down") != NULL, "%s", why);
    cr_assert_eq(sentinel_switchover(s, "mymaster", NULL, 0, 0, why, sizeof(why)), 0);
    cr_assert_eq(M(s)->record->switchover.timeout_ms, SENTINEL_SWITCHOVER_DEFAULT_TIMEOUT_MS);
    cr_assert_eq(sentinel_switchover(s, "mymaster", NULL, 0, 0, why, sizeof(why)),
                 SWITCHOVER_EBUSY);
    sentinel_destroy(s);
}

Test(switchover, refused_while_master_down)
{
    struct sentinel *s = ready_world();
    cr_assert_geq(fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD), 0);
    char why[256];
    cr_assert_eq(sentinel_switchover(s, "mymaster", NULL, 0, 0, why, sizeof(why)),
                 SWITCHOVER_EDOWN);
    sentinel_destroy(s);
}

Test(switchover, not_elected_aborts)
{
    struct sentinel *s = ready_world();
    char why[256];
    cr_assert_eq(sentinel_switchover(s, "mymaster", NULL, 0, 0, why, sizeof(why)), 0);
    for (size_t i = 0; i < 2; i++)
        fake_reply_ask(s, P(s, i)->id, 0, FAKE_PEER_A, (long long)M(s)->record->failover_epoch);
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-not-elected", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    char want[200];
    snprintf(want, sizeof(want),
             "not elected in epoch %llu: 0 of the 2 votes needed, 3 for others, 0 of 3 sentinels "
             "did not vote, "
             "another sentinel won",
             (unsigned long long)M(s)->record->failover_epoch);
    cr_assert(strstr(M(s)->record->abort_reason, want), "%s", M(s)->record->abort_reason);
    sentinel_destroy(s);
}

Test(switchover, coordinated_command_starts_a_switchover)
{
    struct sentinel *s = ready_world();
    struct sentinel_cmd_result res;
    const char *bad[] = {"mymaster", "sideways"};
    sentinel_cmd_failover_args(s, 2, bad, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    const char *args[] = {"mymaster", "COORDINATED"};
    sentinel_cmd_failover_args(s, 2, args, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    cr_assert(M(s)->record->switchover.is_active);
    sentinel_cmd_failover_args(s, 2, args, &res);
    cr_assert_str_eq(res.msg, "INPROG Failover already in progress");
    const char *none[] = {"nope", "coordinated"};
    sentinel_cmd_failover_args(s, 2, none, &res);
    cr_assert_str_eq(res.msg, SENTINEL_ERR_NO_SUCH_MASTER);
    sentinel_destroy(s);
}

/* ---- pause ---------------------------------------------------------------------------------- */

Test(switchover, paused_group_never_fails_over_automatically)
{
    struct sentinel *s = ready_world();
    cr_assert_eq(sentinel_set_paused(s, "mymaster", true), 2, "both peers told");
    cr_assert_eq(sentinel_set_paused(s, "nope", true), -1);
    cr_assert_eq(fake_count_events(&F, "+paused"), 1);
    const struct fake_cmd *set = fake_last_cmd(&F, P(s, 1)->id, "SENTINEL");
    cr_assert_str_eq(set->argv[1], "SET");
    cr_assert_str_eq(set->argv[3], "failover-pause-state");
    cr_assert_eq(strncmp(set->argv[4], "yes:", 4), 0, "%s", set->argv[4]);
    cr_assert_geq(fake_run_until_event(&F, s, "+sdown", 3000, FAKE_MASTER_DEAD), 0);
    for (size_t i = 0; i < 2; i++) fake_reply_ask(s, P(s, i)->id, 1, "*", 0);
    fake_run_for(&F, s, 2000, FAKE_MASTER_DEAD);
    cr_assert_geq(fake_find_event(&F, 0, "+odown", NULL), 0, "still monitored and reported");
    cr_assert_lt(fake_find_event(&F, 0, "+try-failover", NULL), 0, "but never acted on");
    struct sentinel_cmd_result res;
    const char *argv[] = {"failover-paused", "no"};
    sentinel_cmd_set(s, "mymaster", 2, argv, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS, "%s", res.msg);
    cr_assert_eq(fake_count_events(&F, "-paused"), 1);
    for (size_t i = 0; i < 2; i++) fake_reply_ask(s, P(s, i)->id, 1, "*", 0);
    cr_assert_geq(fake_run_until_event(&F, s, "+try-failover", 500, FAKE_MASTER_DEAD), 0,
                  "resume acts again");
    sentinel_destroy(s);
}

Test(switchover, switchover_allowed_while_paused)
{
    struct sentinel *s = ready_world();
    const char *argv[] = {"failover-paused", "yes"};
    struct sentinel_cmd_result res;
    sentinel_cmd_set(s, "mymaster", 2, argv, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS);
    const char *bad[] = {"failover-paused", "maybe"};
    sentinel_cmd_set(s, "mymaster", 2, bad, &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_ERROR);
    cr_assert(M(s)->record->params.failover_paused);
    to_handover(s, NULL, 0);
    sentinel_destroy(s);
}

/* ---- veto ----------------------------------------------------------------------------------- */

static int veto_calls;
static struct sentinel_veto_request last_veto;
static char last_veto_kind[32];

static void record_veto(void *ctx, const struct sentinel_veto_request *req)
{
    (void)ctx;
    veto_calls++;
    last_veto = *req;
    snprintf(last_veto_kind, sizeof(last_veto_kind), "%s", req->kind);
}

static void forced_to_send(struct sentinel *s)
{
    struct sentinel_cmd_result res;
    sentinel_cmd_failover(s, "mymaster", &res);
    cr_assert_eq(res.kind, SENTINEL_CMD_STATUS);
    sentinel_tick(s, F.now);
    replica_info(s, 0, "10.0.0.1", 100);
    replica_info(s, 1, "10.0.0.1", 200);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SEND_SLAVEOF_NOONE);
}

Test(switchover, veto_rejects_and_aborts)
{
    struct sentinel *s = ready_world();
    veto_calls = 0;
    sentinel_set_veto_hook(s, record_veto, NULL);
    forced_to_send(s);
    cr_assert_eq(veto_calls, 1);
    cr_assert_str_eq(last_veto_kind, "forced");
    cr_assert_eq(last_veto.new_port, 6379);
    fake_run_for(&F, s, 100, FAKE_ALL_ALIVE);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_SEND_SLAVEOF_NOONE, "waits for the answer");
    cr_assert_eq(fake_count_cmd(&F, R(s, 1)->id, "SLAVEOF"), 0);
    sentinel_veto_answer(s, "mymaster", M(s)->record->failover_epoch + 1, true,
                         NULL); /* stale: ignored */
    sentinel_veto_answer(s, "mymaster", M(s)->record->failover_epoch, false,
                         "HTTP 403: change freeze until Monday");
    sentinel_tick(s, F.now);
    cr_assert_geq(fake_find_event(&F, 0, "-failover-abort-vetoed", NULL), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    cr_assert_str_eq(M(s)->record->abort_reason, "vetoed: HTTP 403: change freeze until Monday");
    sentinel_destroy(s);
}

Test(switchover, veto_approval_lets_the_promotion_proceed)
{
    struct sentinel *s = ready_world();
    sentinel_set_veto_hook(s, record_veto, NULL);
    forced_to_send(s);
    sentinel_veto_answer(s, "mymaster", M(s)->record->failover_epoch, true, NULL);
    sentinel_tick(s, F.now);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_WAIT_PROMOTION);
    cr_assert_eq(fake_count_cmd(&F, R(s, 1)->id, "SLAVEOF"), 1);
    sentinel_destroy(s);
}

Test(switchover, unanswered_veto_times_out)
{
    struct sentinel *s = ready_world();
    sentinel_set_veto_hook(s, record_veto, NULL);
    forced_to_send(s);
    cr_assert_geq(
        fake_run_until_event(&F, s, "-failover-abort-veto-timeout", 11000, FAKE_ALL_ALIVE), 0);
    cr_assert_eq(M(s)->record->failover_state, FAILOVER_NONE);
    sentinel_destroy(s);
}

Test(switchover, info_parse_reads_the_nodes_failover_state)
{
    static const struct {
        const char *line;
        bool has;
        enum info_failover_state st;
    } cases[] = {
        {"master_failover_state:no-failover\r\n", true, INFO_FO_NONE},
        {"master_failover_state:waiting-for-sync\r\n", true, INFO_FO_WAIT_SYNC},
        {"master_failover_state:failover-in-progress\r\n", true, INFO_FO_IN_PROGRESS},
        {"master_failover_state:bogus\r\n", false, INFO_FO_UNKNOWN},
        {"role:master\r\n", false, INFO_FO_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct info_parsed p;
        info_parse(cases[i].line, strlen(cases[i].line), &p);
        cr_assert_eq(p.has_failover_state, cases[i].has, "%s", cases[i].line);
        cr_assert_eq(p.failover_state, cases[i].st, "%s", cases[i].line);
    }
}
