/* Unit tests of the HTTP API's routes against a fake-env core, without sockets: the request
 * gate (404, 405, 401, 400, 413), every endpoint's status and JSON shape, long-poll parking,
 * the event stream, operations, pause, and the history built from events. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/loop.h"
#include "fake_env.h"
#include "sentinel/history.h"
#include "sentinel/http/http_int.h"
#include "sentinel/sentinel_config.h"
#include "sentinel/core/core_int.h"
#include "common/version.h"

static struct fake_env F;
static size_t ping_cursor;
static struct loop *L;
static struct sentinel *S;
static struct http_api *A;
static char dir[64];
static struct http_request Q;
static struct http_response RESP;
static char qbuf[1024];
static cJSON *J;

static struct instance *M(void) { return (struct instance *)sentinel_master_at(S, 0); }

static void answer_pings(void)
{
    for (; ping_cursor < F.n_cmds; ping_cursor++) {
        const struct fake_cmd *c = &F.cmds[ping_cursor];
        if (c->tag == TAG_PING) fake_reply_status(S, c->id, TAG_PING, "PONG");
    }
}

static void run_for(int64_t ms)
{
    int64_t end = F.now + ms;
    while (F.now < end) {
        F.now += 10;
        answer_pings();
        sentinel_tick(S, F.now);
        answer_pings();
    }
}

static void master_info(long long offset)
{
    char buf[2048];
    fake_master_info(buf, sizeof(buf), "9", 2);
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof(buf) - n, "master_repl_offset:%lld\r\n", offset);
    fake_reply_info(S, M()->id, buf);
}

static void replica_info(size_t i, long long off, bool link_up)
{
    char buf[1024];
    fake_replica_info(buf, sizeof(buf), i == 0 ? "1" : "2", "10.0.0.1", 6379, link_up, off, 100);
    fake_reply_info(S, M()->record->replicas[i]->id, buf);
}

static void start_api(const char *token, const char *read_token)
{
    struct sentinel_http_cfg cfg = {
        .bind = (char *)"127.0.0.1", .token = (char *)token, .read_token = (char *)read_token};
    char err[256];
    A = http_api_create(L, S, &cfg, NULL, 0, dir, -1, err, sizeof(err));
    cr_assert_not_null(A, "%s", err);
}

static void setup(void)
{
    fake_env_init(&F);
    ping_cursor = 0;
    L = loop_create(64);
    snprintf(dir, sizeof(dir), "/tmp/vigil-http-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    S = fake_world(&F, 2, 2);
    sentinel_tick(S, F.now);
    fake_link_all(&F, S);
    master_info(300);
    replica_info(0, 300, true);
    replica_info(1, 200, true);
    run_for(200);
    start_api("s3cret", NULL);
    http_response_init(&RESP);
    J = NULL;
}

static void teardown(void)
{
    cJSON_Delete(J);
    http_response_free(&RESP);
    if (Q.park_free && Q.park_state) Q.park_free(Q.park_state);
    memset(&Q, 0, sizeof(Q));
    http_api_stop(A);
    sentinel_destroy(S);
    loop_destroy(L);
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, HISTORY_FILE_NAME);
    unlink(path);
    rmdir(dir);
    fake_env_free(&F);
}

TestSuite(http_routes, .init = setup, .fini = teardown);

/* Issue one request; returns the status (0 when parked or streaming). The JSON body is in J. */
static bool too_large; /* the next request's body_too_large */
/* The next request's Origin and Content-Type headers (POSTs default to application/json). */
static const char *next_origin;
static const char *next_content_type;
static bool next_no_content_type;

static int call(const char *method, const char *target, const char *auth, const char *body)
{
    /* A resumed request keeps its parked state, as the server does. */
    bool resumed = Q.is_resumed;
    void *park_state = resumed ? Q.park_state : NULL;
    void (*park_free)(void *) = resumed ? Q.park_free : NULL;
    if (!resumed && Q.park_free && Q.park_state) Q.park_free(Q.park_state);
    memset(&Q, 0, sizeof(Q));
    Q.is_resumed = resumed;
    Q.park_state = park_state;
    Q.park_free = park_free;
    Q.body_too_large = too_large;
    too_large = false;
    snprintf(qbuf, sizeof(qbuf), "%s", target);
    char *qm = strchr(qbuf, '?');
    if (qm) {
        *qm = '\0';
        for (char *save = NULL, *kv = strtok_r(qm + 1, "&", &save); kv;
             kv = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(kv, '=');
            if (eq) *eq = '\0';
            Q.query[Q.n_query].key = kv;
            Q.query[Q.n_query++].value = eq ? eq + 1 : "";
        }
    }
    Q.method = method;
    Q.path = qbuf;
    Q.authorization = auth;
    Q.origin = next_origin;
    Q.content_type = next_content_type;
    if (Q.content_type == NULL && strcmp(method, "POST") == 0 && !next_no_content_type)
        Q.content_type = "application/json";
    next_origin = next_content_type = NULL;
    next_no_content_type = false;
    Q.body = body ? body : "";
    Q.body_len = body ? strlen(body) : 0;
    http_response_free(&RESP);
    http_response_init(&RESP);
    http_routes_handle(A, &Q, &RESP);
    cJSON_Delete(J);
    J = NULL;
    if (RESP.kind != HTTP_RESP_BUFFER) return 0;
    if (RESP.content_type && strcmp(RESP.content_type, "application/json") == 0) {
        J = cJSON_Parse(RESP.body.data);
        cr_assert_not_null(J, "response is JSON: %s", RESP.body.data);
    }
    return RESP.status;
}

static const char *str(const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(J, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsNumber(v), "%s is a number", key);
    return v->valuedouble;
}

#define AUTH "Bearer s3cret"

Test(http_routes, gate_answers_404_405_401_400_413)
{
    cr_assert_eq(call("GET", "/nope", NULL, NULL), 404);
    cr_assert_str_eq(str("error"), "not_found");
    cr_assert_not_null(str("reason"));
    cr_assert_eq(call("DELETE", "/v1/masters", NULL, NULL), 405);
    cr_assert_str_eq(RESP.allow, "GET, HEAD");
    cr_assert_eq(call("GET", "/v1/masters/mymaster/switchover", NULL, NULL), 405);
    cr_assert_str_eq(RESP.allow, "POST");
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", NULL, NULL), 401);
    cr_assert(RESP.is_auth_challenge);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", "Bearer wrong", NULL), 401);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", "Basic s3cret", NULL), 401);
    cr_assert_eq(call("GET", "/v1/masters/nope", NULL, NULL), 404);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/history?limit=0", NULL, NULL), 400);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/plan?x=1", NULL, NULL), 400);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/plan?fresh=2", NULL, NULL), 400);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH, "{\"to\":"), 400);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH, "[1]"), 400);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH, "{\"bogus\":1}"), 400);
    cr_assert(strstr(str("reason"), "bogus") != NULL);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH, "{\"to\":\"nohost\"}"), 400);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH, "{\"timeout_ms\":1.5}"),
                 400);
    too_large = true;
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", AUTH, NULL), 413);
    too_large = true;
    cr_assert_eq(call("GET", "/v1/masters", NULL, NULL), 413);
}

Test(http_routes, cross_origin_and_non_json_posts_are_refused)
{
    /* The CSRF of the issue: a page POSTs text/plain with its own Origin. */
    next_origin = "http://evil.example";
    next_content_type = "text/plain";
    cr_assert_eq(call("POST", "/v1/masters/mymaster/failover", NULL, "{\"force\":true}"), 403);
    cr_assert_str_eq(str("error"), "forbidden");
    next_origin = "http://evil.example";
    cr_assert_eq(call("GET", "/v1/masters", NULL, NULL), 403, "reads too");
    next_origin = "null";
    cr_assert_eq(call("GET", "/healthz", NULL, NULL), 403);
    next_content_type = "text/plain";
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", AUTH, "{}"), 415);
    cr_assert_str_eq(str("error"), "unsupported_media_type");
    next_content_type = "application/x-www-form-urlencoded";
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", AUTH, NULL), 415);
    next_content_type = "application/jsonp";
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", AUTH, NULL), 415);
    next_no_content_type = true;
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", AUTH, NULL), 415, "empty, untyped");
    cr_assert(!M()->record->params.failover_paused);
    next_content_type = "Application/JSON; charset=utf-8";
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", AUTH, "{}"), 200);
    cr_assert(M()->record->params.failover_paused);
    cr_assert_eq(call("GET", "/v1/masters", NULL, NULL), 200, "no Origin: not a browser");
}

Test(http_routes, allowed_origins_pass_the_gate)
{
    http_api_stop(A);
    char *origins[] = {(char *)"https://ops.example:8443"};
    struct sentinel_http_cfg cfg = {.bind = (char *)"127.0.0.1",
                                    .token = (char *)"s3cret",
                                    .allowed_origins = {.items = origins, .count = 1}};
    char err[256];
    A = http_api_create(L, S, &cfg, NULL, 0, dir, -1, err, sizeof(err));
    cr_assert_not_null(A, "%s", err);
    next_origin = "https://ops.example:8443";
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", AUTH, "{}"), 200);
    next_origin = "https://ops.example";
    cr_assert_eq(call("POST", "/v1/masters/mymaster/resume", AUTH, "{}"), 403, "exact match");
}

Test(http_routes, read_token_guards_reads_but_not_probes)
{
    http_api_stop(A);
    start_api("s3cret", "reader");
    cr_assert_eq(call("GET", "/v1/masters", NULL, NULL), 401);
    cr_assert_eq(call("GET", "/v1/masters", "Bearer reader", NULL), 200);
    cr_assert_eq(call("GET", "/v1/masters", AUTH, NULL), 200, "the write token reads too");
    cr_assert_eq(call("GET", "/healthz", NULL, NULL), 200);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", "Bearer reader", NULL), 401);
}

Test(http_routes, masters_view_has_the_documented_fields)
{
    cr_assert_eq(call("GET", "/v1/masters/mymaster", NULL, NULL), 200);
    cr_assert_str_eq(str("name"), "mymaster");
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(J, "address");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(addr, "ip")->valuestring, "10.0.0.1");
    cr_assert_eq(num(addr, "port"), 6379);
    cr_assert_eq(num(J, "quorum"), 2);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(J, "majority_reachable")));
    cr_assert_eq(num(J, "sentinels_known"), 3);
    const cJSON *reps = cJSON_GetObjectItemCaseSensitive(J, "replicas");
    cr_assert_eq(cJSON_GetArraySize(reps), 2);
    const cJSON *r1 = cJSON_GetArrayItem(reps, 1);
    cr_assert_eq(num(r1, "offset"), 200);
    cr_assert_eq(num(r1, "lag_bytes"), 100);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r1, "role")->valuestring, "replica");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r1, "eligible")));
    const cJSON *r0 = cJSON_GetArrayItem(reps, 0);
    cr_assert_eq(num(r0, "lag_bytes"), 0);
    cr_assert_eq(num(r0, "lag_ms"), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(J, "sentinels")), 2);
    const cJSON *fo = cJSON_GetObjectItemCaseSensitive(J, "failover");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(fo, "in_progress")));
    cr_assert_eq(call("GET", "/v1/masters", NULL, NULL), 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(J, "masters")), 1);
    cr_assert_eq(call("HEAD", "/v1/masters", NULL, NULL), 200);
}

Test(http_routes, current_master_needs_a_majority)
{
    cr_assert_eq(call("GET", "/v1/masters/mymaster/master", NULL, NULL), 200);
    cr_assert_str_eq(str("ip"), "10.0.0.1");
    cr_assert_eq(num(J, "port"), 6379);
    cr_assert_eq(num(J, "epoch"), 0);
    cr_assert_gt(num(J, "since"), 0);
    for (size_t i = 0; i < 2; i++)
        sentinel_on_link_down(S, M()->record->sentinels[i]->id, SENTINEL_LINK_CMD);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/master", NULL, NULL), 503);
    cr_assert(strstr(str("reason"), "1 of 3") != NULL, "%s", str("reason"));
    cr_assert_eq(call("GET", "/readyz", NULL, NULL), 503);
    cr_assert_eq(call("GET", "/healthz", NULL, NULL), 200);
}

Test(http_routes, long_poll_parks_until_the_epoch_moves_or_time_is_up)
{
    cr_assert_eq(
        call("GET", "/v1/masters/mymaster/master?wait_epoch=0&timeout_ms=5000", NULL, NULL), 0);
    cr_assert_eq(RESP.kind, HTTP_RESP_PARK);
    cr_assert_not_null(Q.park_state);
    cr_assert_eq(A->n_waiters, 1);
    /* a spurious wake before anything changed parks again */
    Q.is_resumed = true;
    cr_assert_eq(
        call("GET", "/v1/masters/mymaster/master?wait_epoch=0&timeout_ms=5000", NULL, NULL), 0);
    cr_assert_eq(RESP.kind, HTTP_RESP_PARK);
    M()->record->config_epoch = 7; /* what a failover's promotion does */
    cr_assert_eq(
        call("GET", "/v1/masters/mymaster/master?wait_epoch=0&timeout_ms=5000", NULL, NULL), 200);
    cr_assert_eq(num(J, "epoch"), 7);
    Q.is_resumed = false;
    cr_assert_eq(call("GET", "/v1/masters/mymaster/master?wait_epoch=7&timeout_ms=100", NULL, NULL),
                 0);
    Q.is_resumed = true;
    F.now += 150;
    cr_assert_eq(call("GET", "/v1/masters/mymaster/master?wait_epoch=7&timeout_ms=100", NULL, NULL),
                 200, "the deadline answers with the unchanged epoch");
    cr_assert_eq(num(J, "epoch"), 7);
    Q.is_resumed = false;
    cr_assert_eq(call("GET", "/v1/masters/mymaster/master?wait_epoch=-1", NULL, NULL), 400);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/master?timeout_ms=999999", NULL, NULL), 400);
}

Test(http_routes, health_checks_for_haproxy)
{
    cr_assert_eq(call("GET", "/v1/masters/mymaster/check/master?addr=10.0.0.1:6379", NULL, NULL),
                 200);
    cr_assert_eq(call("HEAD", "/v1/masters/mymaster/check/master?addr=10.0.0.1:6379", NULL, NULL),
                 200);
    cr_assert_eq(
        call("OPTIONS", "/v1/masters/mymaster/check/master?addr=10.0.0.1:6379", NULL, NULL), 200);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/check/master?addr=10.0.0.2:6379", NULL, NULL),
                 503);
    cr_assert_str_eq(str("reason"), "not the current master (that is 10.0.0.1:6379)");
    cr_assert_eq(call("GET", "/v1/masters/mymaster/check/master", NULL, NULL), 400);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/check/master?addr=10.0.0.1", NULL, NULL), 400);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/check/replica?addr=10.0.0.2:6379", NULL, NULL),
                 200);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/check/replica?addr=10.0.0.1:6379", NULL, NULL),
                 503);
    cr_assert_str_eq(str("reason"), "not fit for reads: not a known replica of mymaster");
    /* The INFO the lag comes from is 200 ms old: it cannot vouch for a lag under 100 ms. */
    const char *lag100 = "/v1/masters/mymaster/check/replica?addr=10.0.0.2:6379&max_lag_ms=100";
    cr_assert_eq(call("GET", lag100, NULL, NULL), 503);
    cr_assert_str_eq(str("reason"), "not fit for reads: its INFO is 200 ms old, older than "
                                    "max_lag_ms=100; polling it faster now, ask again");
    size_t infos = fake_count_cmd(&F, M()->record->replicas[0]->id, "INFO");
    run_for(200);
    cr_assert_geq(fake_count_cmd(&F, M()->record->replicas[0]->id, "INFO"), infos + 2,
                  "the replica is polled every max_lag_ms / 2 now");
    replica_info(0, 300, true);
    cr_assert_eq(call("GET", lag100, NULL, NULL), 200, "%s", str("reason"));
    replica_info(1, 200, false); /* master link down: not fit for reads */
    cr_assert_eq(call("GET", "/v1/masters/mymaster/check/replica?addr=10.0.0.3:6379", NULL, NULL),
                 503);
    cr_assert_str_eq(str("reason"), "not fit for reads: its link to the master is down "
                                    "(master_link_status:down)");
    cr_assert_eq(call("GET", "/v1/masters/mymaster/replicas", NULL, NULL), 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(J, "replicas")), 1);
    replica_info(0, 300, false);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/replicas", NULL, NULL), 503);
    cr_assert(strstr(str("reason"), "no replica fit for reads: 10.0.0.2:6379 (its link to the "
                                    "master is down"),
              "%s", str("reason"));
}

Test(http_routes, plan_ranks_with_the_cores_function)
{
    /* like a failover, the plan first asks every replica for a fresh INFO */
    size_t infos = fake_count_cmd(&F, M()->record->replicas[1]->id, "INFO");
    cr_assert_eq(call("GET", "/v1/masters/mymaster/plan", NULL, NULL), 0);
    cr_assert_eq(RESP.kind, HTTP_RESP_PARK);
    cr_assert_eq(fake_count_cmd(&F, M()->record->replicas[1]->id, "INFO"), infos + 1);
    Q.is_resumed = true;
    replica_info(0, 300, true);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/plan", NULL, NULL), 0,
                 "one reply is not enough");
    F.now += 1;
    replica_info(1, 400, true); /* the fresh round changes the ranking */
    cr_assert_eq(call("GET", "/v1/masters/mymaster/plan", NULL, NULL), 200);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(J, "info_refreshed")));
    const cJSON *fresh = cJSON_GetObjectItemCaseSensitive(J, "would_promote");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(fresh, "ip")->valuestring, "10.0.0.3");
    Q.is_resumed = false;
    replica_info(1, 200, true);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/plan?fresh=0", NULL, NULL), 200);
    const cJSON *wp = cJSON_GetObjectItemCaseSensitive(J, "would_promote");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(wp, "ip")->valuestring, "10.0.0.2",
                     "the higher offset ranks first");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(J, "candidates")), 2);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(J, "blockers")), 0);
    sentinel_on_link_down(S, M()->record->replicas[0]->id, SENTINEL_LINK_CMD);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/plan?fresh=0", NULL, NULL), 200);
    wp = cJSON_GetObjectItemCaseSensitive(J, "would_promote");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(wp, "ip")->valuestring, "10.0.0.3");
    const cJSON *ex = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(J, "excluded"), 0);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ex, "reason")->valuestring,
                     "link disconnected");
}

Test(http_routes, switchover_returns_an_operation_and_conflicts)
{
    cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH,
                      "{\"to\":\"10.0.0.3:6379\",\"timeout_ms\":2000}"),
                 202);
    const char *id = str("id");
    cr_assert_not_null(id);
    char path[128];
    snprintf(path, sizeof(path), "/v1/operations/%s", id);
    cr_assert_str_eq(str("kind"), "switchover");
    cr_assert_str_eq(str("to"), "10.0.0.3:6379");
    cr_assert(M()->record->switchover.is_active);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH, NULL), 409);
    cr_assert_str_eq(str("error"), "conflict");
    cr_assert_eq(call("GET", path, NULL, NULL), 200);
    cr_assert_str_eq(str("state"), "running");
    cr_assert_str_eq(str("phase"), "wait_start");
    /* not elected: the operation fails with the abort event as its reason */
    for (size_t i = 0; i < 2; i++)
        fake_reply_ask(S, M()->record->sentinels[i]->id, 0, FAKE_PEER_A,
                       (long long)M()->record->failover_epoch);
    http_api_on_event(A, LOG_WARNING, "-failover-abort-not-elected",
                      "master mymaster 10.0.0.1 6379");
    sentinel_tick(S, F.now);
    cr_assert_eq(call("GET", path, NULL, NULL), 200);
    cr_assert_str_eq(str("state"), "failed");
    cr_assert(strstr(str("error"), "not-elected") != NULL, "%s", str("error"));
    cr_assert_eq(call("GET", "/v1/operations/op-nope", NULL, NULL), 404);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH, "{\"to\":\"10.9.9.9:1\"}"),
                 400);
}

Test(http_routes, forced_failover_needs_force_and_warns)
{
    cr_assert_eq(call("POST", "/v1/masters/mymaster/failover", AUTH, "{}"), 400);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/failover", AUTH, "{\"force\":true}"), 202);
    cr_assert_not_null(str("warning"));
    cr_assert_str_eq(str("kind"), "forced");
    cr_assert_eq(call("POST", "/v1/masters/mymaster/failover", AUTH, "{\"force\":true}"), 409);
}

Test(http_routes, pause_and_resume_tell_peers)
{
    cr_assert_eq(call("POST", "/v1/masters/mymaster/pause", AUTH, NULL), 200);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(J, "paused")));
    cr_assert_eq(num(J, "peers_notified"), 2);
    cr_assert(M()->record->params.failover_paused);
    cr_assert_geq(fake_find_event(&F, 0, "+paused", NULL), 0);
    cr_assert_eq(call("GET", "/v1/masters/mymaster/plan?fresh=0", NULL, NULL), 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(J, "blockers")), 1);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/resume", AUTH, "{}"), 200);
    cr_assert(!M()->record->params.failover_paused);
    cr_assert_eq(call("POST", "/v1/masters/mymaster/resume", AUTH, "{\"x\":1}"), 400);
}

Test(http_routes, event_stream_delivers_json_events_in_order)
{
    cr_assert_eq(call("GET", "/v1/events", NULL, NULL), 0);
    cr_assert_eq(RESP.kind, HTTP_RESP_STREAM);
    cr_assert_str_eq(RESP.content_type, "text/event-stream");
    char out[8192];
    ssize_t n = RESP.stream_read(RESP.stream_ctx, out, sizeof(out) - 1);
    cr_assert_gt(n, 0, "preamble");
    cr_assert_eq(RESP.stream_read(RESP.stream_ctx, out, sizeof(out) - 1), 0,
                 "then nothing: suspend");
    http_api_on_event(A, LOG_WARNING, "+sdown", "master mymaster 10.0.0.1 6379");
    http_api_on_event(A, LOG_DEBUG, "+debugonly", "x");
    http_api_on_event(A, LOG_WARNING, "+odown", "master mymaster 10.0.0.1 6379 #quorum 2/2");
    n = RESP.stream_read(RESP.stream_ctx, out, sizeof(out) - 1);
    cr_assert_gt(n, 0);
    out[n] = '\0';
    char *first = strstr(out, "data: ");
    cr_assert_not_null(first);
    cr_assert(strncmp(out, "id: 1\n", 6) == 0, "%s", out);
    cr_assert(strstr(out, "+debugonly") == NULL, "debug events are not streamed");
    char *second = strstr(first + 1, "data: ");
    cr_assert_not_null(second);
    *strchr(first, '\n') = '\0';
    cJSON *e = cJSON_Parse(first + 6);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(e, "type")->valuestring, "+sdown");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(e, "master")->valuestring, "mymaster");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "epoch")));
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "time")));
    cJSON_Delete(e);
    RESP.stream_free(RESP.stream_ctx);
    cr_assert_eq(A->n_sse, 0);
}

Test(http_routes, switch_master_event_writes_one_history_record)
{
    http_api_on_event(A, LOG_WARNING, "+sdown", "master mymaster 10.0.0.1 6379");
    F.now += 100;
    http_api_on_event(A, LOG_WARNING, "+odown", "master mymaster 10.0.0.1 6379 #quorum 2/2");
    M()->record->config_epoch = 3;
    http_api_on_event(A, LOG_WARNING, "+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6379");
    /* An observer's cached INFO may be seconds old: the record waits for a fresh round. */
    cr_assert_eq(call("GET", "/v1/masters/mymaster/history?limit=5", NULL, NULL), 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(J, "records")), 0);
    F.now += 10;
    master_info(400);
    replica_info(0, 390, true);
    replica_info(1, 380, true);
    for (int i = 0; i < 40 && history_count(A->history) == 0; i++)
        loop_run_once(L, 50); /* the housekeeping timer (100 ms) writes it */
    cr_assert_eq(call("GET", "/v1/masters/mymaster/history?limit=5", NULL, NULL), 200);
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(J, "records");
    cr_assert_eq(cJSON_GetArraySize(recs), 1);
    const cJSON *r = cJSON_GetArrayItem(recs, 0);
    cr_assert_eq(num(r, "epoch"), 3);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r, "kind")->valuestring, "automatic");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r, "role")->valuestring, "observer");
    const cJSON *nw = cJSON_GetObjectItemCaseSensitive(r, "new");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(nw, "ip")->valuestring, "10.0.0.2");
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(r, "phases");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ph, "sdown")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(ph, "elected")));
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(r, "offsets");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(offsets, "replicas");
    cr_assert_eq(cJSON_GetArraySize(offs), 2);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(offsets, "taken")->valuestring,
                     "after the switch");
    cr_assert_eq(num(cJSON_GetArrayItem(offs, 0), "offset"), 390, "the fresh offsets");
    /* durable: a fresh history over the same directory reads it back */
    struct history *h = history_open(dir);
    cr_assert_eq(history_count(h), 1);
    history_close(h);
    cr_assert_eq(call("GET", "/metrics", NULL, NULL), 200);
    cr_assert(
        strstr(RESP.body.data,
               "vigil_sentinel_failovers_total{master=\"mymaster\",kind=\"automatic\"} 1\n") !=
            NULL,
        "%s", RESP.body.data);
    cr_assert(
        strstr(RESP.body.data, "vigil_sentinel_build_info{version=\"" VIGIL_VERSION "\"} 1\n"),
        "%s", RESP.body.data);
    cr_assert(strstr(RESP.body.data, "# TYPE vigil_sentinel_replica_lag_seconds gauge\n"
                                     "vigil_sentinel_replica_lag_seconds{master=\"mymaster\","),
              "%s", RESP.body.data);
}

Test(http_routes, event_master_names)
{
    char out[64];
    http_event_master("+sdown", "master mymaster 10.0.0.1 6379", out, sizeof(out));
    cr_assert_str_eq(out, "mymaster");
    http_event_master("+sdown", "slave 10.0.0.2:6379 10.0.0.2 6379 @ other 10.0.0.1 6379", out,
                      sizeof(out));
    cr_assert_str_eq(out, "other");
    http_event_master("+switch-master", "third 1.1.1.1 1 2.2.2.2 2", out, sizeof(out));
    cr_assert_str_eq(out, "third");
    http_event_master("+new-epoch", "5", out, sizeof(out));
    cr_assert_str_eq(out, "");
}

Test(http_routes, readyz_is_503_while_the_state_cannot_be_saved)
{
    cr_assert_eq(call("GET", "/readyz", NULL, NULL), 200);
    F.persist_fail = 1; /* a full disk: every save fails, and the core retries at every tick */
    core_mark_persist(S);
    run_for(100);
    cr_assert_eq(call("GET", "/readyz", NULL, NULL), 503);
    cr_assert(strstr(str("reason"), "cannot save the state") != NULL, "%s", str("reason"));
    cr_assert_gt(sentinel_persist_failures(S), 0);
    F.persist_fail = 0; /* space again: the next retry succeeds */
    run_for(100);
    cr_assert_eq(call("GET", "/readyz", NULL, NULL), 200);
    cr_assert_null(sentinel_persist_error(S));
}

Test(http_routes, switchover_timeout_out_of_any_integer_range_is_a_400)
{
    /* 1e300 used to be cast to an integer before the range check: undefined behaviour, which
     * `make asan` (-fsanitize=float-cast-overflow) turns into a failure. */
    static const char *const bodies[] = {"{\"timeout_ms\":1e300}", "{\"timeout_ms\":-1e300}",
                                         "{\"timeout_ms\":9.3e18}", "{\"timeout_ms\":600001}",
                                         "{\"timeout_ms\":0}"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        cr_assert_eq(call("POST", "/v1/masters/mymaster/switchover", AUTH, bodies[i]), 400, "%s",
                     bodies[i]);
        cr_assert(strstr(str("reason"), "1..600000") != NULL, "%s", str("reason"));
    }
}
