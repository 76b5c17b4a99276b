/* http_json: JSON views of the sentinel core for the HTTP API (schemas in docs/http-api.md).
 * Read-only: nothing here changes the core. The plan uses the core's own ranking (select.h)
 * and switchover fitness (switchover.h), so it predicts what a real attempt picks. Replica lag
 * in ms is an estimate: the age of the master offset the replica has reached, from samples of
 * the master's INFO (http_api.c), 0 when the replica holds the master's offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/acl_probe.h"
#include "sentinel/http/http_int.h"
#include "sentinel/core/monitor.h"
#include "sentinel/core/pause.h"
#include "sentinel/core/select.h"
#include "sentinel/core/switchover.h"

/* ---- replies ----------------------------------------------------------------------------- */

void http_reply_json(struct http_response *resp, int status, cJSON *obj)
{
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    buf_clear(&resp->body);
    buf_append_str(&resp->body, text);
    buf_append_char(&resp->body, '\n');
    cJSON_free(text);
    resp->kind = HTTP_RESP_BUFFER;
    resp->status = status;
    resp->content_type = "application/json";
}

void http_reply_error(struct http_response *resp, int status, const char *error, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", error);
    cJSON_AddStringToObject(o, "reason", reason);
    http_reply_json(resp, status, o);
    resp->is_auth_challenge = status == 401;
}

cJSON *http_json_addr(const char *host, int port)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ip", host);
    cJSON_AddNumberToObject(o, "port", port);
    return o;
}

static cJSON *flags_json(const struct instance *ri)
{
    char buf[512];
    instance_flags_format(ri, buf, sizeof(buf));
    cJSON *arr = cJSON_CreateArray();
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(arr, cJSON_CreateString(w));
    return arr;
}

/* The master lease as this sentinel renews it and the node last answered
 * (docs/sentinel-protocol.md#master-lease); null fields until the node answered. */
static cJSON *lease_json(const struct instance *ri, int64_t now_ms)
{
    const struct instance_lease *l = &ri->lease;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "supported", !l->is_unsupported);
    cJSON_AddBoolToObject(o, "renewing", l->renewed_ms != 0 && now_ms - l->renewed_ms < 60000);
    if (l->reply_ms == 0) {
        cJSON_AddNullToObject(o, "valid");
        cJSON_AddNullToObject(o, "needed");
        cJSON_AddNullToObject(o, "fenced");
        cJSON_AddNullToObject(o, "enforced");
        cJSON_AddNullToObject(o, "last_reply_ms_ago");
        return o;
    }
    cJSON_AddNumberToObject(o, "valid", (double)l->valid);
    cJSON_AddNumberToObject(o, "needed", (double)l->needed);
    cJSON_AddBoolToObject(o, "fenced", l->is_fenced);
    cJSON_AddBoolToObject(o, "enforced", l->is_enforced);
    cJSON_AddNumberToObject(o, "last_reply_ms_ago", (double)(now_ms - l->reply_ms));
    return o;
}

static void add_ms_ago(cJSON *o, const char *key, int64_t now_ms, int64_t then_ms)
{
    if (then_ms > 0)
        cJSON_AddNumberToObject(o, key, (double)(now_ms - then_ms));
    else
        cJSON_AddNullToObject(o, key);
}

static void add_ll_or_null(cJSON *o, const char *key, long long v)
{
    if (v >= 0)
        cJSON_AddNumberToObject(o, key, (double)v);
    else
        cJSON_AddNullToObject(o, key);
}

/* ---- reachability and lag ------------------------------------------------------------------ */

void http_reach(const struct instance *master, int64_t now_ms, struct reach *out)
{
    out->has_majority = monitor_majority_reachable(master, now_ms, &out->known, &out->reachable);
    out->quorum = master->record->params.quorum;
    out->has_quorum = out->reachable >= out->quorum;
}

/* This sentinel's TILT state: active, since when, and why the last one began (stall cause). */
cJSON *http_json_tilt(const struct http_api *a, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    int64_t since = sentinel_tilt_since_ms(a->core);
    cJSON_AddBoolToObject(o, "active", since >= 0);
    add_ms_ago(o, "since_ms_ago", now_ms, since >= 0 ? since : 0);
    const char *cause = sentinel_tilt_cause(a->core);
    if (cause)
        cJSON_AddStringToObject(o, "cause", cause);
    else
        cJSON_AddNullToObject(o, "cause");
    return o;
}

long long http_lag_bytes(const struct instance *master, const struct instance *r)
{
    if (master->master_repl_offset <= 0 || r->info_refresh_ms == 0) return -1;
    long long d = master->master_repl_offset - r->slave_repl_offset;
    return d > 0 ? d : 0;
}

int64_t http_lag_ms(struct http_api *a, const struct instance *master, const struct instance *r)
{
    long long bytes = http_lag_bytes(master, r);
    if (bytes < 0) return -1;
    if (bytes == 0) return 0;
    struct group_track *g = http_group(a, master->name);
    if (g == NULL || g->n_samples == 0) return -1;
    /* The newest sample the replica has reached tells how old its data is. */
    const struct offset_sample *reached = NULL;
    for (size_t i = g->n_samples; i-- > 0;) {
        const struct offset_sample *s = &g->samples[(g->sample_head + i) % HTTP_OFFSET_SAMPLES];
        if (s->offset <= r->slave_repl_offset) {
            reached = s;
            break;
        }
    }
    if (reached == NULL) reached = &g->samples[g->sample_head]; /* older than every sample */
    int64_t lag = r->info_refresh_ms - reached->mono_ms;
    return lag > 0 ? lag : 0;
}

static void add_refused(cJSON *o, const struct instance *ri)
{
    if (ri->link.refused[0])
        cJSON_AddStringToObject(o, "refused", ri->link.refused);
    else
        cJSON_AddNullToObject(o, "refused");
}

/* ---- replicas and sentinels ---------------------------------------------------------------- */

static bool points_at(const struct instance *r, const char *host, int port)
{
    return r->slave_master_host && r->slave_master_port == port &&
           strcasecmp(r->slave_master_host, host) == 0;
}

static cJSON *replica_json(struct http_api *a, const struct instance *master,
                           const struct instance *r, int64_t now_ms)
{
    const struct sentinel_periods *periods = sentinel_periods(a->core);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ip", r->host);
    cJSON_AddNumberToObject(o, "port", r->port);
    cJSON_AddStringToObject(o, "runid", r->runid);
    cJSON_AddStringToObject(o, "role",
                            r->role_reported == ROLE_SLAVE    ? "replica"
                            : r->role_reported == ROLE_MASTER ? "master"
                                                              : "unknown");
    cJSON_AddNumberToObject(o, "offset", (double)r->slave_repl_offset);
    add_refused(o, r);
    add_ll_or_null(o, "lag_bytes", http_lag_bytes(master, r));
    add_ll_or_null(o, "lag_ms", http_lag_ms(a, master, r));
    cJSON_AddStringToObject(o, "link", instance_is_disconnected(r) ? "down" : "up");
    cJSON_AddStringToObject(o, "master_link", r->slave_master_link_up ? "up" : "down");
    cJSON_AddNumberToObject(o, "master_link_down_ms", (double)r->master_link_down_ms);
    if (r->slave_master_host) {
        cJSON_AddItemToObject(o, "replicating_from",
                              http_json_addr(r->slave_master_host, r->slave_master_port));
    } else {
        cJSON_AddNullToObject(o, "replicating_from");
    }
    cJSON_AddNumberToObject(o, "priority", r->slave_priority);
    enum select_reason why = select_check_replica(r, now_ms, periods);
    cJSON_AddBoolToObject(o, "eligible", why == SELECT_ELIGIBLE);
    if (why == SELECT_ELIGIBLE)
        cJSON_AddNullToObject(o, "reason");
    else
        cJSON_AddStringToObject(o, "reason", select_reason_text(why));
    add_ms_ago(o, "last_ok_ping_ms_ago", now_ms, r->last_avail_ms);
    add_ms_ago(o, "info_age_ms", now_ms, r->info_refresh_ms);
    cJSON_AddItemToObject(o, "flags", flags_json(r));
    return o;
}

static cJSON *sentinel_json(const struct instance *master, const struct instance *peer,
                            int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", peer->runid);
    cJSON_AddStringToObject(o, "ip", peer->host);
    cJSON_AddNumberToObject(o, "port", peer->port);
    add_ms_ago(o, "last_seen_ms_ago", now_ms, peer->last_avail_ms);
    add_ms_ago(o, "last_hello_ms_ago", now_ms, peer->last_hello_ms);
    bool ok = peer->link.is_cmd_connected && !(peer->flags & SRI_S_DOWN) &&
              now_ms - peer->last_avail_ms <= master->record->params.down_after_ms;
    cJSON_AddBoolToObject(o, "reachable", ok);
    /* Whether this peer acknowledged our current pause state (vigilctl pause checks it). */
    cJSON_AddBoolToObject(o, "pause_confirmed", pause_peer_confirmed(master, peer));
    cJSON_AddItemToObject(o, "flags", flags_json(peer));
    return o;
}

static cJSON *failover_json(const struct instance *master, int64_t now_ms)
{
    const struct master_record *r = master->record;
    cJSON *o = cJSON_CreateObject();
    bool busy = (master->flags & SRI_FAILOVER_IN_PROGRESS) != 0;
    cJSON_AddBoolToObject(o, "in_progress", busy);
    if (!busy) {
        cJSON_AddNullToObject(o, "state");
        return o;
    }
    cJSON_AddStringToObject(o, "state", instance_failover_state_name(r->failover_state));
    cJSON_AddNumberToObject(o, "epoch", (double)r->failover_epoch);
    cJSON_AddStringToObject(o, "kind", sentinel_failover_kind(master));
    add_ms_ago(o, "started_ms_ago", now_ms, r->failover_start_ms);
    if (r->promoted)
        cJSON_AddItemToObject(o, "promoted", http_json_addr(r->promoted->host, r->promoted->port));
    else
        cJSON_AddNullToObject(o, "promoted");
    return o;
}

cJSON *http_json_master(struct http_api *a, const struct instance *master, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    const char *host;
    int port;
    sentinel_get_master_addr(a->core, master->name, &host, &port);
    struct reach rc;
    http_reach(master, now_ms, &rc);
    cJSON_AddStringToObject(o, "name", master->name);
    cJSON_AddItemToObject(o, "address", http_json_addr(host, port));
    cJSON *mo = http_json_addr(master->host, master->port);
    cJSON_AddStringToObject(mo, "runid", master->runid);
    cJSON_AddStringToObject(mo, "role_reported", instance_role_name(master->role_reported));
    cJSON_AddBoolToObject(mo, "sdown", (master->flags & SRI_S_DOWN) != 0);
    cJSON_AddBoolToObject(mo, "odown", (master->flags & SRI_O_DOWN) != 0);
    cJSON_AddStringToObject(mo, "link", instance_is_disconnected(master) ? "down" : "up");
    add_refused(mo, master);
    add_ll_or_null(mo, "offset", master->master_repl_offset > 0 ? master->master_repl_offset : -1);
    add_ms_ago(mo, "last_ok_ping_ms_ago", now_ms, master->last_avail_ms);
    add_ms_ago(mo, "info_age_ms", now_ms, master->info_refresh_ms);
    cJSON_AddItemToObject(mo, "flags", flags_json(master));
    cJSON_AddItemToObject(mo, "lease", lease_json(master, now_ms));
    cJSON_AddItemToObject(o, "master", mo);
    cJSON_AddNumberToObject(o, "epoch", (double)master->record->config_epoch);
    cJSON_AddNumberToObject(o, "current_epoch", (double)sentinel_current_epoch(a->core));
    cJSON_AddNumberToObject(o, "quorum", master->record->params.quorum);
    cJSON_AddNumberToObject(o, "down_after_ms", (double)master->record->params.down_after_ms);
    cJSON_AddNumberToObject(o, "failover_timeout_ms",
                            (double)master->record->params.failover_timeout_ms);
    cJSON_AddNumberToObject(o, "election_spread_ms",
                            (double)master->record->params.election_spread_ms);
    cJSON_AddStringToObject(o, "promotion_order",
                            sentinel_promotion_order_name(master->record->params.promotion_order));
    char q[PROMOTION_QUORUM_NAME_MAX];
    cJSON_AddStringToObject(
        o, "promotion_quorum",
        sentinel_promotion_quorum_name(master->record->params.promotion_quorum, q, sizeof(q)));
    cJSON_AddNumberToObject(o, "forget_after_ms", (double)master->record->params.forget_after_ms);
    cJSON_AddNumberToObject(o, "lease_margin_ms", (double)master->record->params.lease_margin_ms);
    cJSON_AddStringToObject(
        o, "discovery_when_isolated",
        sentinel_isolated_discovery_name(master->record->params.discovery_when_isolated));
    cJSON_AddBoolToObject(o, "paused", master->record->params.failover_paused);
    cJSON_AddNumberToObject(o, "pause_epoch", (double)master->record->params.failover_pause_epoch);
    cJSON_AddBoolToObject(o, "tilt", sentinel_in_tilt(a->core));
    cJSON_AddBoolToObject(o, "majority_reachable", rc.has_majority);
    cJSON_AddNumberToObject(o, "sentinels_reachable", rc.reachable);
    cJSON_AddNumberToObject(o, "sentinels_known", rc.known);
    cJSON_AddItemToObject(o, "failover", failover_json(master, now_ms));
    cJSON *reps = cJSON_AddArrayToObject(o, "replicas");
    for (size_t i = 0; i < master->record->n_replicas; i++)
        cJSON_AddItemToArray(reps, replica_json(a, master, master->record->replicas[i], now_ms));
    cJSON *sens = cJSON_AddArrayToObject(o, "sentinels");
    for (size_t i = 0; i < master->record->n_sentinels; i++)
        cJSON_AddItemToArray(sens, sentinel_json(master, master->record->sentinels[i], now_ms));
    return o;
}

bool http_replica_unfit(struct http_api *a, const struct instance *master, const struct instance *r,
                        int64_t now_ms, int64_t max_lag_ms, char *why, size_t cap)
{
    const struct sentinel_periods *periods = sentinel_periods(a->core);
    const char *host;
    int port;
    sentinel_get_master_addr(a->core, master->name, &host, &port);
    int64_t age = r->info_refresh_ms ? now_ms - r->info_refresh_ms : -1;
    int64_t lag = http_lag_ms(a, master, r);
    if (r->flags & (SRI_S_DOWN | SRI_O_DOWN))
        snprintf(why, cap, "the replica is down (no valid PING reply)");
    else if (instance_is_disconnected(r))
        snprintf(why, cap, "this sentinel has no link to the replica");
    else if (age < 0 || age > 3 * periods->info_period)
        snprintf(why, cap, "no INFO from the replica for too long");
    else if (r->role_reported != ROLE_SLAVE)
        snprintf(why, cap, "the node reports role:%s", instance_role_name(r->role_reported));
    else if (!r->slave_master_link_up)
        snprintf(why, cap, "its link to the master is down (master_link_status:down)");
    else if (!points_at(r, host, port))
        snprintf(why, cap, "it replicates from %s:%d, not from the current master %s:%d",
                 r->slave_master_host ? r->slave_master_host : "?", r->slave_master_port, host,
                 port);
    else if (max_lag_ms >= 0 && age > max_lag_ms)
        /* A lag bound cannot be vouched for with an INFO older than the bound itself. */
        snprintf(why, cap,
                 "its INFO is %lld ms old, older than max_lag_ms=%lld; polling it faster now, "
                 "ask again",
                 (long long)age, (long long)max_lag_ms);
    else if (max_lag_ms >= 0 && lag < 0)
        snprintf(why, cap, "its lag is unknown yet");
    else if (max_lag_ms >= 0 && lag > max_lag_ms)
        snprintf(why, cap, "it lags %lld ms, more than max_lag_ms=%lld", (long long)lag,
                 (long long)max_lag_ms);
    else
        return false;
    return true;
}

cJSON *http_json_fit_replicas(struct http_api *a, const struct instance *master, int64_t now_ms,
                              int64_t max_lag_ms, const char *only_host, int only_port)
{
    cJSON *arr = cJSON_CreateArray();
    char why[300];
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        const struct instance *r = master->record->replicas[i];
        if (only_host && (r->port != only_port || strcasecmp(r->host, only_host) != 0)) continue;
        if (http_replica_unfit(a, master, r, now_ms, max_lag_ms, why, sizeof(why))) continue;
        cJSON_AddItemToArray(arr, replica_json(a, master, r, now_ms));
    }
    return arr;
}

/* ---- the plan ---------------------------------------------------------------------------- */

/* A node that answers us NOAUTH/WRONGPASS/NOPERM is shown "disconnected"; say why. */
static void add_refusal_blocker(cJSON *arr, const struct instance *ri)
{
    if (ri->link.refused[0] == '\0') return;
    char b[INSTANCE_HOST_MAX + INSTANCE_LINK_ERROR_MAX + 96];
    snprintf(b, sizeof(b), "%s %s:%d refuses this sentinel (check auth-pass/auth-user): %s",
             ri->kind == INSTANCE_MASTER ? "master" : "replica", ri->host, ri->port,
             ri->link.refused);
    cJSON_AddItemToArray(arr, cJSON_CreateString(b));
}

/* What ACL DRYRUN said of this sentinel's user on a node (acl_probe.h); a node that could not
 * say is listed under "acl_unverified", not as a blocker. */
static void add_acl_blocker(cJSON *arr, const struct instance *ri)
{
    char missing[200], b[INSTANCE_HOST_MAX + 400];
    acl_probe_missing_text(ri, missing, sizeof(missing));
    const char *what = ri->kind == INSTANCE_MASTER ? "master" : "replica";
    if (missing[0] == '\0') return;
    snprintf(b, sizeof(b), "%s %s:%d: this sentinel's user may not run %s (ACL DRYRUN)", what,
             ri->host, ri->port, missing);
    cJSON_AddItemToArray(arr, cJSON_CreateString(b));
}

static void add_unverified(cJSON *arr, const struct instance *ri)
{
    if (ri->acl_unverified[0] == '\0') return;
    char b[INSTANCE_HOST_MAX + 200];
    snprintf(b, sizeof(b), "%s:%d: %s", ri->host, ri->port, ri->acl_unverified);
    cJSON_AddItemToArray(arr, cJSON_CreateString(b));
}

static void plan_acl_unverified(const struct instance *master, cJSON *arr)
{
    add_unverified(arr, master);
    for (size_t i = 0; i < master->record->n_replicas; i++)
        add_unverified(arr, master->record->replicas[i]);
}

static void plan_blockers(struct http_api *a, const struct instance *master, const struct reach *rc,
                          size_t n_ranked, cJSON *arr)
{
    if (sentinel_in_tilt(a->core))
        cJSON_AddItemToArray(arr, cJSON_CreateString("this sentinel is in TILT"));
    if (master->record->params.failover_paused)
        cJSON_AddItemToArray(arr, cJSON_CreateString("paused: no automatic failover"));
    if (master->flags & SRI_FAILOVER_IN_PROGRESS)
        cJSON_AddItemToArray(arr, cJSON_CreateString("a failover is in progress"));
    if (!rc->has_quorum)
        cJSON_AddItemToArray(arr,
                             cJSON_CreateString("quorum not reachable: ODOWN cannot be agreed"));
    if (!rc->has_majority)
        cJSON_AddItemToArray(
            arr, cJSON_CreateString("majority not reachable: no leader can be elected"));
    if (n_ranked == 0) cJSON_AddItemToArray(arr, cJSON_CreateString("no eligible replica"));
    add_refusal_blocker(arr, master);
    add_acl_blocker(arr, master);
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        add_refusal_blocker(arr, master->record->replicas[i]);
        add_acl_blocker(arr, master->record->replicas[i]);
    }
}

/* The quorum intersection rule as a failover would apply it now: "promotion_quorum" (setting,
 * replicas known, fresh offsets needed and had) and, when it would hold the promotion back, a
 * blocker saying which replicas are missing. */
static void plan_promotion_quorum(const struct instance *master, const struct instance *best,
                                  int64_t now_ms, const struct sentinel_periods *periods, cJSON *o,
                                  cJSON *blockers)
{
    int64_t since = select_quorum_since_ms(master, now_ms, periods);
    bool predict = master->record->failover_state == FAILOVER_NONE;
    struct select_quorum q;
    select_quorum_count(master, since, predict, &q);
    char name[PROMOTION_QUORUM_NAME_MAX], why[400];
    cJSON *pq = cJSON_AddObjectToObject(o, "promotion_quorum");
    cJSON_AddStringToObject(pq, "setting",
                            sentinel_promotion_quorum_name(master->record->params.promotion_quorum,
                                                           name, sizeof(name)));
    cJSON_AddNumberToObject(pq, "replicas_known", q.known);
    cJSON_AddNumberToObject(pq, "needed", q.needed);
    cJSON_AddNumberToObject(pq, "fresh", q.fresh);
    if (select_quorum_blocks(master, best, since, predict, why, sizeof(why))) {
        char b[sizeof(why) + 32];
        snprintf(b, sizeof(b), "promotion-quorum: %s", why);
        cJSON_AddItemToArray(blockers, cJSON_CreateString(b));
    }
}

cJSON *http_json_plan(struct http_api *a, const struct instance *master, int64_t now_ms)
{
    const struct sentinel_periods *periods = sentinel_periods(a->core);
    struct instance *ranked[INSTANCE_MAX_REPLICAS];
    size_t n = select_rank(master, now_ms, periods, ranked, ARRAY_LEN(ranked));
    struct reach rc;
    http_reach(master, now_ms, &rc);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", master->name);
    cJSON_AddItemToObject(o, "master", http_json_addr(master->host, master->port));
    cJSON_AddNumberToObject(o, "epoch", (double)master->record->config_epoch);
    cJSON_AddNumberToObject(o, "quorum", rc.quorum);
    cJSON_AddNumberToObject(o, "sentinels_reachable", rc.reachable);
    cJSON_AddNumberToObject(o, "sentinels_known", rc.known);
    cJSON_AddBoolToObject(o, "quorum_reachable", rc.has_quorum);
    cJSON_AddBoolToObject(o, "majority_reachable", rc.has_majority);
    cJSON_AddBoolToObject(o, "tilt", sentinel_in_tilt(a->core));
    cJSON_AddBoolToObject(o, "paused", master->record->params.failover_paused);
    cJSON *cand = cJSON_AddArrayToObject(o, "candidates");
    for (size_t i = 0; i < n; i++) {
        cJSON *c = http_json_addr(ranked[i]->host, ranked[i]->port);
        cJSON_AddNumberToObject(c, "rank", (double)(i + 1));
        cJSON_AddNumberToObject(c, "priority", ranked[i]->slave_priority);
        cJSON_AddNumberToObject(c, "offset", (double)ranked[i]->slave_repl_offset);
        cJSON_AddStringToObject(c, "runid", ranked[i]->runid);
        const char *unfit = switchover_unfit_reason(ranked[i], now_ms, periods);
        cJSON_AddBoolToObject(c, "switchover_fit", unfit == NULL);
        cJSON_AddItemToArray(cand, c);
    }
    cJSON *excl = cJSON_AddArrayToObject(o, "excluded");
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        const struct instance *r = master->record->replicas[i];
        enum select_reason why = select_check_replica(r, now_ms, periods);
        if (why == SELECT_ELIGIBLE) continue;
        cJSON *e = http_json_addr(r->host, r->port);
        cJSON_AddStringToObject(e, "reason", select_reason_text(why));
        cJSON_AddItemToArray(excl, e);
    }
    if (n > 0)
        cJSON_AddItemToObject(o, "would_promote", http_json_addr(ranked[0]->host, ranked[0]->port));
    else
        cJSON_AddNullToObject(o, "would_promote");
    cJSON *blockers = cJSON_AddArrayToObject(o, "blockers");
    plan_blockers(a, master, &rc, n, blockers);
    plan_promotion_quorum(master, n ? ranked[0] : NULL, now_ms, periods, o, blockers);
    cJSON *unverified = cJSON_AddArrayToObject(o, "acl_unverified");
    plan_acl_unverified(master, unverified);
    if (master->record->is_regressed) {
        char why[256];
        snprintf(why, sizeof(why),
                 "restarted behind its replicas (master_repl_offset %lld < slave_repl_offset "
                 "%lld): down until a replica is promoted, so their data is kept",
                 master->record->regressed_master_offset, master->record->regressed_replica_offset);
        cJSON_AddStringToObject(o, "master_regressed", why);
    } else {
        cJSON_AddNullToObject(o, "master_regressed");
    }
    return o;
}

/* ---- operations --------------------------------------------------------------------------- */

cJSON *http_json_op(const struct http_op *op)
{
    static const char *const states[] = {"running", "succeeded", "failed"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", op->id);
    cJSON_AddStringToObject(o, "kind", http_kind_names[op->kind]);
    cJSON_AddStringToObject(o, "master", op->master);
    cJSON_AddNumberToObject(o, "epoch", (double)op->epoch);
    cJSON_AddStringToObject(o, "state", states[op->state]);
    cJSON_AddStringToObject(o, "phase", op->phase);
    cJSON_AddStringToObject(o, "from", op->from);
    if (op->to[0])
        cJSON_AddStringToObject(o, "to", op->to);
    else
        cJSON_AddNullToObject(o, "to");
    if (op->timeout_ms > 0) cJSON_AddNumberToObject(o, "timeout_ms", (double)op->timeout_ms);
    if (op->state == OP_FAILED)
        cJSON_AddStringToObject(o, "error", op->error[0] ? op->error : "failed");
    else
        cJSON_AddNullToObject(o, "error");
    cJSON_AddNumberToObject(o, "created", (double)op->created_wall_ms);
    if (op->finished_wall_ms)
        cJSON_AddNumberToObject(o, "finished", (double)op->finished_wall_ms);
    else
        cJSON_AddNullToObject(o, "finished");
    return o;
}
