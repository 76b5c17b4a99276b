/* http_routes: the endpoints of the HTTP API (schemas and codes in docs/http-api.md).
 *
 * Every request goes through the same gate, in this order: Origin (403 unless allow-listed),
 * route (404 unknown path), method (405 with Allow), token (401), query arguments (400:
 * unknown, repeated past the limit, or malformed), Content-Type of POSTs (415 unless
 * application/json), master name (404), body for POSTs (413 over 64 KB, 400 malformed JSON, not an
 * object, unknown fields or wrong types); then the handler. Errors are always
 * {"error": "<code>", "reason": "<human text>"}. Handlers run on the loop thread between
 * ticks, read the core, and change it only through its public functions. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/sha256.h"
#include "common/util.h"
#include "sentinel/history.h"
#include "sentinel/http/http_int.h"
#include "sentinel/core/sentinel_cmd.h"

#define MAX_SEGS 8
#define LONGPOLL_DEFAULT_MS 30000

enum { M_GET = 1, M_HEAD = 2, M_POST = 4, M_OPTIONS = 8 };

struct ctx {
    struct http_api *a;
    struct http_request *req;
    struct http_response *resp;
    const struct instance
        *master; /* the {name} of /v1/masters/{name}/..., when the route has one */
    int64_t now_ms;
};

typedef void (*route_fn)(struct ctx *c);

struct route {
    const char *pattern; /* segments; "*" = the master name or operation id */
    unsigned methods;
    bool is_open;     /* no read token needed */
    const char *args; /* allowed query arguments, space separated */
    route_fn fn;
};

/* ---- argument parsing --------------------------------------------------------------------- */

static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    long long v;
    if (s == NULL || util_parse_ll(s, strlen(s), &v) != 0 || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* "ip:port" or "[ipv6]:port" into host (cap bytes) and port. */
static bool parse_addr(const char *s, char *host, size_t cap, int *port)
{
    if (s == NULL) return false;
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s) return false;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']') return false;
        h++;
        hl -= 2;
    }
    int64_t parsed_port;
    if (hl == 0 || hl >= cap || !parse_i64(colon + 1, 1, 65535, &parsed_port)) return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)parsed_port;
    return true;
}

static bool bad_arg(struct ctx *c, const char *name, const char *why)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "query argument '%.40s': %s", name, why);
    http_reply_error(c->resp, 400, "bad_request", msg);
    return false;
}

/* ---- endpoints without a master ----------------------------------------------------------- */

static void h_healthz(struct ctx *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "myid", sentinel_myid(c->a->core));
    cJSON_AddNumberToObject(o, "uptime_ms",
                            (double)(sentinel_wall_ms(c->a->core) - c->a->start_wall_ms));
    cJSON_AddItemToObject(o, "tilt", http_json_tilt(c->a, c->now_ms));
    http_reply_json(c->resp, 200, o);
}

static void h_readyz(struct ctx *c)
{
    struct sentinel *s = c->a->core;
    if (sentinel_in_tilt(s)) {
        http_reply_error(c->resp, 503, "unavailable", "this sentinel is in TILT");
        return;
    }
    const char *save_error = sentinel_persist_error(s);
    if (save_error) {
        char msg[320];
        snprintf(msg, sizeof(msg), "cannot save the state file: %s", save_error);
        http_reply_error(c->resp, 503, "unavailable", msg);
        return;
    }
    for (size_t i = 0; i < sentinel_master_count(s); i++) {
        const struct instance *master = sentinel_master_at(s, i);
        struct reach rc;
        http_reach(master, c->now_ms, &rc);
        if (rc.has_majority) continue;
        char msg[INSTANCE_NAME_MAX + 96];
        snprintf(msg, sizeof(msg), "%s: in contact with %d of %d sentinels, no majority",
                 master->name, rc.reachable, rc.known);
        http_reply_error(c->resp, 503, "unavailable", msg);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ready", true);
    cJSON_AddNumberToObject(o, "masters", (double)sentinel_master_count(s));
    http_reply_json(c->resp, 200, o);
}

static void h_metrics(struct ctx *c)
{
    metrics_render(c->a, &c->resp->body);
    c->resp->kind = HTTP_RESP_BUFFER;
    c->resp->status = 200;
    c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void h_events(struct ctx *c) { http_sse_open(c->a, c->req, c->resp); }

static void h_masters(struct ctx *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "masters");
    for (size_t i = 0; i < sentinel_master_count(c->a->core); i++)
        cJSON_AddItemToArray(arr,
                             http_json_master(c->a, sentinel_master_at(c->a->core, i), c->now_ms));
    cJSON_AddItemToObject(o, "tilt", http_json_tilt(c->a, c->now_ms));
    http_reply_json(c->resp, 200, o);
}

static void h_operation(struct ctx *c)
{
    const char *id = c->req->path + strlen("/v1/operations/");
    struct http_op *op = http_op_find(c->a, id);
    if (op == NULL) {
        http_reply_error(c->resp, 404, "not_found",
                         "no such operation (only the latest 64 are kept)");
        return;
    }
    http_op_refresh(c->a, op);
    http_reply_json(c->resp, 200, http_json_op(op));
}

/* ---- read endpoints of one master --------------------------------------------------------- */

static void h_master(struct ctx *c)
{
    http_reply_json(c->resp, 200, http_json_master(c->a, c->master, c->now_ms));
}

/* 503 unless this sentinel can answer safely for the master; true when it can. */
static bool can_answer(struct ctx *c)
{
    struct reach rc;
    http_reach(c->master, c->now_ms, &rc);
    if (sentinel_in_tilt(c->a->core)) {
        http_reply_error(c->resp, 503, "unavailable", "this sentinel is in TILT");
        return false;
    }
    if (!rc.has_majority) {
        char msg[96];
        snprintf(msg, sizeof(msg), "in contact with %d of %d sentinels: no majority", rc.reachable,
                 rc.known);
        http_reply_error(c->resp, 503, "unavailable", msg);
        return false;
    }
    return true;
}

static void h_current_master(struct ctx *c)
{
    int64_t wait_epoch = -1, timeout_ms = LONGPOLL_DEFAULT_MS;
    const char *we = http_request_arg(c->req, "wait_epoch");
    const char *to = http_request_arg(c->req, "timeout_ms");
    if (we && !parse_i64(we, 0, INT64_MAX, &wait_epoch)) {
        bad_arg(c, "wait_epoch", "not a non-negative integer");
        return;
    }
    if (to && !parse_i64(to, 0, HTTP_LONGPOLL_MAX_MS, &timeout_ms)) {
        bad_arg(c, "timeout_ms", "not an integer in 0..60000");
        return;
    }
    if (wait_epoch >= 0 && c->master->record->config_epoch <= (uint64_t)wait_epoch) {
        const struct http_waiter *w = c->req->park_state;
        int64_t deadline = w ? w->deadline_ms : c->now_ms + timeout_ms;
        if (c->now_ms < deadline) {
            http_waiter_park(c->a, c->req, c->resp, c->master->name, WAIT_EPOCH,
                             (uint64_t)wait_epoch, 0, deadline);
            return;
        }
    }
    if (!can_answer(c)) return;
    struct group_track *g = http_group(c->a, c->master->name);
    const char *host;
    int port;
    sentinel_get_master_addr(c->a->core, c->master->name, &host, &port);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", c->master->name);
    cJSON_AddStringToObject(o, "ip", host);
    cJSON_AddNumberToObject(o, "port", port);
    cJSON_AddNumberToObject(o, "epoch", (double)c->master->record->config_epoch);
    if (g && g->port == port && strcmp(g->host, host) == 0)
        cJSON_AddNumberToObject(o, "since", (double)g->since_wall_ms);
    else
        cJSON_AddNumberToObject(o, "since", (double)sentinel_wall_ms(c->a->core));
    http_reply_json(c->resp, 200, o);
}

static void h_check_master(struct ctx *c)
{
    char host[INSTANCE_HOST_MAX + 1];
    int port;
    if (!parse_addr(http_request_arg(c->req, "addr"), host, sizeof(host), &port)) {
        bad_arg(c, "addr", "required, as ip:port");
        return;
    }
    if (!can_answer(c)) return;
    const char *mh;
    int mp;
    sentinel_get_master_addr(c->a->core, c->master->name, &mh, &mp);
    if (mp != port || strcasecmp(mh, host) != 0) {
        char msg[INSTANCE_HOST_MAX + 64];
        snprintf(msg, sizeof(msg), "not the current master (that is %s:%d)", mh, mp);
        http_reply_error(c->resp, 503, "unavailable", msg);
        return;
    }
    if (c->master->flags & SRI_S_DOWN) {
        http_reply_error(c->resp, 503, "unavailable",
                         "the master is down (no valid PING reply within down-after)");
        return;
    }
    cJSON *o = http_json_addr(host, port);
    cJSON_AddStringToObject(o, "role", "master");
    cJSON_AddNumberToObject(o, "epoch", (double)c->master->record->config_epoch);
    http_reply_json(c->resp, 200, o);
}

static bool parse_max_lag(struct ctx *c, int64_t *max_lag)
{
    *max_lag = -1;
    const char *ml = http_request_arg(c->req, "max_lag_ms");
    if (ml && !parse_i64(ml, 0, INT64_MAX, max_lag))
        return bad_arg(c, "max_lag_ms", "not a non-negative integer");
    return true;
}

static void h_check_replica(struct ctx *c)
{
    char host[INSTANCE_HOST_MAX + 1];
    int port;
    int64_t max_lag;
    if (!parse_addr(http_request_arg(c->req, "addr"), host, sizeof(host), &port)) {
        bad_arg(c, "addr", "required, as ip:port");
        return;
    }
    if (!parse_max_lag(c, &max_lag) || !can_answer(c)) return;
    /* Health checkers ask every second or two: keep this replica's INFO fresh enough for them. */
    if (max_lag >= 0) sentinel_want_fresh_info(c->a->core, c->master->name, host, port, max_lag);
    const struct instance *ri = NULL;
    for (size_t i = 0; i < c->master->record->n_replicas && ri == NULL; i++) {
        const struct instance *r = c->master->record->replicas[i];
        if (r->port == port && strcasecmp(r->host, host) == 0) ri = r;
    }
    char why[360];
    if (ri == NULL) snprintf(why, sizeof(why), "not a known replica of %s", c->master->name);
    if (ri == NULL ||
        http_replica_unfit(c->a, c->master, ri, c->now_ms, max_lag, why, sizeof(why))) {
        char msg[420];
        snprintf(msg, sizeof(msg), "not fit for reads: %s", why);
        http_reply_error(c->resp, 503, "unavailable", msg);
        return;
    }
    cJSON *fit = http_json_fit_replicas(c->a, c->master, c->now_ms, max_lag, host, port);
    http_reply_json(c->resp, 200, cJSON_DetachItemFromArray(fit, 0));
    cJSON_Delete(fit);
}

static void h_replicas(struct ctx *c)
{
    int64_t max_lag;
    if (!parse_max_lag(c, &max_lag) || !can_answer(c)) return;
    cJSON *fit = http_json_fit_replicas(c->a, c->master, c->now_ms, max_lag, NULL, 0);
    if (cJSON_GetArraySize(fit) == 0) {
        cJSON_Delete(fit);
        char msg[1024] = "no replica fit for reads", why[360];
        size_t n = strlen(msg);
        for (size_t i = 0; i < c->master->record->n_replicas && n < sizeof(msg) - 1; i++) {
            const struct instance *r = c->master->record->replicas[i];
            if (max_lag >= 0)
                sentinel_want_fresh_info(c->a->core, c->master->name, r->host, r->port, max_lag);
            http_replica_unfit(c->a, c->master, r, c->now_ms, max_lag, why, sizeof(why));
            int w = snprintf(msg + n, sizeof(msg) - n, "%s %s:%d (%s)", i ? "," : ":", r->host,
                             r->port, why);
            if (w > 0) n += (size_t)w;
        }
        http_reply_error(c->resp, 503, "unavailable", msg);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", c->master->name);
    cJSON_AddItemToObject(o, "replicas", fit);
    http_reply_json(c->resp, 200, o);
}

/* Like a failover, the plan first refreshes INFO from every replica (at most
 * HTTP_PLAN_INFO_WAIT_MS), so it ranks the offsets the failover would see; ?fresh=0 skips it. */
static void h_plan(struct ctx *c)
{
    const char *fresh = http_request_arg(c->req, "fresh");
    if (fresh && strcmp(fresh, "0") != 0 && strcmp(fresh, "1") != 0) {
        bad_arg(c, "fresh", "0 or 1");
        return;
    }
    const struct http_waiter *w = c->req->park_state;
    bool want_fresh = !(fresh && strcmp(fresh, "0") == 0);
    if (want_fresh && w == NULL) {
        int64_t since = sentinel_refresh_info(c->a->core, c->master->name);
        http_waiter_park(c->a, c->req, c->resp, c->master->name, WAIT_INFO, 0, since,
                         c->now_ms + HTTP_PLAN_INFO_WAIT_MS);
        return;
    }
    if (w && c->now_ms < w->deadline_ms && !http_waiter_ready(c->a, w)) {
        http_waiter_park(c->a, c->req, c->resp, c->master->name, WAIT_INFO, 0, w->since_ms,
                         w->deadline_ms);
        return;
    }
    cJSON *plan = http_json_plan(c->a, c->master, c->now_ms);
    cJSON_AddBoolToObject(plan, "info_refreshed", w != NULL && http_waiter_ready(c->a, w));
    http_reply_json(c->resp, 200, plan);
}

static void h_history(struct ctx *c)
{
    int64_t limit = HTTP_HISTORY_DEFAULT_LIMIT;
    const char *l = http_request_arg(c->req, "limit");
    if (l && !parse_i64(l, 1, HISTORY_MAX_RECORDS, &limit)) {
        bad_arg(c, "limit", "not an integer in 1..1000");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", c->master->name);
    cJSON_AddItemToObject(o, "records",
                          history_list(c->a->history, c->master->name, (size_t)limit));
    http_reply_json(c->resp, 200, o);
}

/* ---- POST endpoints ------------------------------------------------------------------------ */

/* Parse the body as a JSON object whose keys are all in `allowed`; NULL after replying 400. */
static cJSON *parse_body(struct ctx *c, const char *const *allowed, size_t n_allowed)
{
    cJSON *o = c->req->body_len == 0 ? cJSON_CreateObject()
                                     : cJSON_ParseWithLength(c->req->body, c->req->body_len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        http_reply_error(c->resp, 400, "bad_request", "the body must be a JSON object");
        return NULL;
    }
    for (const cJSON *f = o->child; f; f = f->next) {
        bool known = false;
        for (size_t i = 0; i < n_allowed && !known; i++) known = strcmp(f->string, allowed[i]) == 0;
        if (known) continue;
        char msg[160];
        snprintf(msg, sizeof(msg), "unknown field '%.64s'", f->string);
        http_reply_error(c->resp, 400, "bad_request", msg);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static void reply_started(struct ctx *c, const struct http_op *op, const char *warning)
{
    cJSON *o = http_json_op(op);
    char url[96];
    snprintf(url, sizeof(url), "/v1/operations/%s", op->id);
    cJSON_AddStringToObject(o, "status_url", url);
    if (warning) cJSON_AddStringToObject(o, "warning", warning);
    http_reply_json(c->resp, 202, o);
}

static void h_switchover(struct ctx *c)
{
    static const char *const fields[] = {"to", "timeout_ms"};
    cJSON *body = parse_body(c, fields, ARRAY_LEN(fields));
    if (body == NULL) return;
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(body, "to");
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(body, "timeout_ms");
    char host[INSTANCE_HOST_MAX + 1];
    int port = 0;
    int64_t timeout_ms = SENTINEL_SWITCHOVER_DEFAULT_TIMEOUT_MS;
    const char *bad = NULL;
    if (to && !cJSON_IsNull(to) &&
        (!cJSON_IsString(to) || !parse_addr(to->valuestring, host, sizeof(host), &port)))
        bad = "'to' must be \"ip:port\"";
    /* Range first: casting 1e300 (or NaN) to an integer is undefined behaviour. */
    else if (tm && (!cJSON_IsNumber(tm) || !(tm->valuedouble >= 1) ||
                    tm->valuedouble > SENTINEL_SWITCHOVER_MAX_TIMEOUT_MS ||
                    tm->valuedouble != (double)(int64_t)tm->valuedouble))
        bad = "'timeout_ms' must be an integer in 1..600000";
    else if (tm)
        timeout_ms = (int64_t)tm->valuedouble;
    bool has_to = to && cJSON_IsString(to);
    cJSON_Delete(body);
    if (bad) {
        http_reply_error(c->resp, 400, "bad_request", bad);
        return;
    }
    char why[256];
    int rc = sentinel_switchover(c->a->core, c->master->name, has_to ? host : NULL, port,
                                 timeout_ms, why, sizeof(why));
    if (rc == SWITCHOVER_ETARGET && has_to)
        http_reply_error(c->resp, 400, "bad_request", why);
    else if (rc == SWITCHOVER_ETILT)
        http_reply_error(c->resp, 503, "unavailable", why);
    else if (rc == SWITCHOVER_ENOENT)
        http_reply_error(c->resp, 404, "not_found", why);
    else if (rc != 0)
        http_reply_error(c->resp, 409, "conflict", why);
    if (rc != 0) return;
    char target[INSTANCE_HOST_MAX + 16] = "";
    if (has_to) instance_addr_key(target, sizeof(target), host, port);
    reply_started(c, http_op_new(c->a, KIND_SWITCHOVER, c->master, target, timeout_ms), NULL);
}

static void h_failover(struct ctx *c)
{
    static const char *const fields[] = {"force"};
    cJSON *body = parse_body(c, fields, ARRAY_LEN(fields));
    if (body == NULL) return;
    bool force = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "force"));
    cJSON_Delete(body);
    if (!force) {
        http_reply_error(
            c->resp, 400, "bad_request",
            "a forced failover may lose acknowledged writes: send {\"force\": true} to "
            "confirm, or use /switchover for a lossless one");
        return;
    }
    struct sentinel_cmd_result res;
    sentinel_cmd_failover(c->a->core, c->master->name, &res);
    if (res.kind == SENTINEL_CMD_ERROR) {
        bool missing = strcmp(res.msg, SENTINEL_ERR_NO_SUCH_MASTER) == 0;
        http_reply_error(c->resp, missing ? 404 : 409, missing ? "not_found" : "conflict", res.msg);
        return;
    }
    reply_started(c, http_op_new(c->a, KIND_FORCED, c->master, NULL, 0),
                  "forced failover: the promoted replica may miss writes the old master "
                  "acknowledged; the old master is demoted at once if reachable, else when seen "
                  "again");
}

static void h_pause_resume(struct ctx *c, bool paused)
{
    cJSON *body = parse_body(c, NULL, 0);
    if (body == NULL) return;
    cJSON_Delete(body);
    int told = sentinel_set_paused(c->a->core, c->master->name, paused);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", c->master->name);
    cJSON_AddBoolToObject(o, "paused", paused);
    cJSON_AddNumberToObject(o, "peers_notified", told < 0 ? 0 : told);
    http_reply_json(c->resp, 200, o);
}

static void h_pause(struct ctx *c) { h_pause_resume(c, true); }
static void h_resume(struct ctx *c) { h_pause_resume(c, false); }

/* ---- the table and the gate --------------------------------------------------------------- */

#define RD (M_GET | M_HEAD)
static const struct route routes[] = {
    {"healthz", RD, true, "", h_healthz},
    {"readyz", RD, true, "", h_readyz},
    {"metrics", RD, false, "", h_metrics},
    {"v1/events", M_GET, false, "", h_events},
    {"v1/masters", RD, false, "", h_masters},
    {"v1/operations/*", RD, false, "", h_operation},
    {"v1/masters/*", RD, false, "", h_master},
    {"v1/masters/*/master", RD, false, "wait_epoch timeout_ms", h_current_master},
    {"v1/masters/*/check/master", RD | M_OPTIONS, false, "addr", h_check_master},
    {"v1/masters/*/check/replica", RD | M_OPTIONS, false, "addr max_lag_ms", h_check_replica},
    {"v1/masters/*/replicas", RD, false, "max_lag_ms", h_replicas},
    {"v1/masters/*/plan", RD, false, "fresh", h_plan},
    {"v1/masters/*/history", RD, false, "limit", h_history},
    {"v1/masters/*/switchover", M_POST, false, "", h_switchover},
    {"v1/masters/*/failover", M_POST, false, "", h_failover},
    {"v1/masters/*/pause", M_POST, false, "", h_pause},
    {"v1/masters/*/resume", M_POST, false, "", h_resume},
};

static size_t split_path(char *path, char **segs)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGS) return MAX_SEGS + 1;
        segs[n++] = t;
    }
    return n;
}

/* The route for the path; *star gets the "*" segment. */
static const struct route *match(const char *path, char *star, size_t star_cap)
{
    char p[1024], pat[64];
    char *ps[MAX_SEGS + 1], *ts[MAX_SEGS + 1];
    snprintf(p, sizeof(p), "%s", path);
    size_t n = split_path(p, ps);
    for (size_t r = 0; r < ARRAY_LEN(routes); r++) {
        snprintf(pat, sizeof(pat), "%s", routes[r].pattern);
        size_t k = split_path(pat, ts);
        if (k != n) continue;
        size_t i = 0;
        for (; i < n; i++) {
            if (strcmp(ts[i], "*") == 0)
                snprintf(star, star_cap, "%s", ps[i]);
            else if (strcmp(ts[i], ps[i]) != 0)
                break;
        }
        if (i == n) return &routes[r];
    }
    return NULL;
}

static unsigned method_bit(const char *method)
{
    if (strcmp(method, "GET") == 0) return M_GET;
    if (strcmp(method, "HEAD") == 0) return M_HEAD;
    if (strcmp(method, "POST") == 0) return M_POST;
    if (strcmp(method, "OPTIONS") == 0) return M_OPTIONS;
    return 0;
}

static void allow_header(unsigned methods, char *out, size_t cap)
{
    static const char *const names[] = {"GET", "HEAD", "POST", "OPTIONS"};
    out[0] = '\0';
    for (unsigned i = 0; i < 4; i++) {
        if (!(methods & (1u << i))) continue;
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? ", " : "", names[i]);
    }
}

static bool bearer_matches(const char *want, const char *header)
{
    if (want == NULL || header == NULL || strncasecmp(header, "Bearer ", 7) != 0) return false;
    const char *t = header + 7;
    while (*t == ' ') t++;
    return util_secret_equal(want, strlen(want), t, strlen(t));
}

/* HTTPS with a client CA: a verified client certificate stands in for the token on POST, when
 * its subject is on http.tls-client-subjects (or that list is empty). */
static bool client_cert_allowed(const struct http_api *a, const char *subject)
{
    if (!a->has_client_ca || subject == NULL) return false;
    if (a->n_client_subjects == 0) return true;
    for (size_t i = 0; i < a->n_client_subjects; i++)
        if (strcmp(a->client_subjects[i], subject) == 0) return true;
    return false;
}

static bool authorized(struct ctx *c, const struct route *r, bool is_post)
{
    const struct http_api *a = c->a;
    const char *auth = c->req->authorization;
    if (is_post) {
        if (client_cert_allowed(a, c->req->client_subject)) return true;
        if (a->token) {
            if (bearer_matches(a->token, auth)) return true;
            http_reply_error(c->resp, 401, "unauthorized",
                             auth ? "wrong token" : "a bearer token is required");
            return false;
        }
        if (a->is_loopback) return true;
        http_reply_error(c->resp, 401, "unauthorized",
                         "no http.token is configured: POST is disabled on a non-loopback address");
        return false;
    }
    if (r->is_open || a->read_token == NULL) return true;
    if (bearer_matches(a->read_token, auth) || bearer_matches(a->token, auth)) return true;
    http_reply_error(c->resp, 401, "unauthorized",
                     auth ? "wrong token" : "a bearer token is required");
    return false;
}

/* A browser sends Origin with every cross-origin request (and with same-origin POSTs): only
 * the operator's allow-list gets through, so a web page cannot drive the API (CSRF, DNS
 * rebinding). Clients that are not browsers send no Origin. */
static bool origin_allowed(struct ctx *c)
{
    const char *origin = c->req->origin;
    if (origin == NULL) return true;
    for (size_t i = 0; i < c->a->n_allowed_origins; i++)
        if (strcmp(origin, c->a->allowed_origins[i]) == 0) return true;
    http_reply_error(c->resp, 403, "forbidden",
                     "cross-origin request refused: the Origin is not in http.allowed-origins");
    return false;
}

/* POST bodies must be declared JSON: a page can send text/plain, form data or no type without
 * a CORS preflight, but not application/json. Parameters (charset) are allowed. */
static bool content_type_ok(struct ctx *c)
{
    static const char want[] = "application/json";
    const char *ct = c->req->content_type;
    size_t n = sizeof(want) - 1;
    if (ct) {
        while (*ct == ' ' || *ct == '\t') ct++;
        if (strncasecmp(ct, want, n) == 0 &&
            (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t'))
            return true;
    }
    http_reply_error(c->resp, 415, "unsupported_media_type",
                     "a POST needs the header Content-Type: application/json");
    return false;
}

static bool args_ok(struct ctx *c, const struct route *r)
{
    if (c->req->has_too_many_args) {
        http_reply_error(c->resp, 400, "bad_request", "too many query arguments");
        return false;
    }
    for (size_t i = 0; i < c->req->n_query; i++) {
        const char *k = c->req->query[i].key;
        const char *hit = strstr(r->args, k);
        size_t kl = strlen(k);
        bool ok = kl > 0 && hit && (hit == r->args || hit[-1] == ' ') &&
                  (hit[kl] == ' ' || hit[kl] == '\0');
        if (!ok) return bad_arg(c, k, "unknown for this endpoint");
    }
    return true;
}

static void dispatch(struct ctx *c)
{
    char star[1024] = "";
    if (!origin_allowed(c)) return;
    const struct route *r = match(c->req->path, star, sizeof(star));
    if (r == NULL) {
        http_reply_error(c->resp, 404, "not_found", "no such endpoint");
        return;
    }
    unsigned mb = method_bit(c->req->method);
    if (!(r->methods & mb)) {
        http_reply_error(c->resp, 405, "method_not_allowed",
                         "method not allowed for this endpoint");
        allow_header(r->methods, c->resp->allow, sizeof(c->resp->allow));
        return;
    }
    if (!authorized(c, r, mb == M_POST) || !args_ok(c, r)) return;
    if (mb == M_POST && !content_type_ok(c)) return;
    if (strncmp(r->pattern, "v1/masters/*", 12) == 0) {
        c->master = sentinel_master_by_name(c->a->core, star);
        if (c->master == NULL) {
            char msg[128];
            snprintf(msg, sizeof(msg), "no master named '%.64s'", star);
            http_reply_error(c->resp, 404, "not_found", msg);
            return;
        }
    }
    if (mb == M_POST && c->req->body_too_large) {
        http_reply_error(c->resp, 413, "payload_too_large", "the body is larger than 64 KB");
        return;
    }
    r->fn(c);
}

void http_routes_handle(void *vctx, struct http_request *req, struct http_response *resp)
{
    struct http_api *a = vctx;
    struct ctx c = {.a = a, .req = req, .resp = resp, .now_ms = sentinel_now_ms(a->core)};
    if (req->body_too_large && method_bit(req->method) != M_POST) {
        http_reply_error(resp, 413, "payload_too_large", "the body is larger than 64 KB");
    } else {
        dispatch(&c);
    }
    if (resp->kind == HTTP_RESP_BUFFER)
        http_count_status(a, resp->status);
    else if (resp->kind == HTTP_RESP_STREAM)
        http_count_status(a, 200);
}
