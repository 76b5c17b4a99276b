/* http_sse: the event ring, GET /v1/events (server-sent events) and long-poll waiters.
 *
 * Events: every non-debug sentinel event becomes one JSON object (type, message, master,
 * epoch, config_epoch, level, time, id) kept in a ring of HTTP_EVENT_RING; `id` is a sequence
 * number that only grows. A stream client holds the id of the next event it wants; a client
 * that fell behind the ring is told how many it missed (an SSE comment) and continues with
 * the oldest kept. `Last-Event-ID` resumes after a reconnect. Streams are suspended while they
 * have nothing to send and woken by new events and by a heartbeat comment every
 * HTTP_SSE_HEARTBEAT_MS (which is also how a vanished client is noticed).
 * Waiters: a long-poll request parked until its master's config epoch exceeds wait_epoch or
 * its deadline passes; then the route runs again and answers from the core's state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "sentinel/http/http_int.h"
#include "sentinel/http/webhook.h"

static const char *level_name(int level)
{
    switch (level) {
    case LOG_DEBUG:
        return "debug";
    case LOG_VERBOSE:
        return "verbose";
    case LOG_NOTICE:
        return "notice";
    default:
        return "warning";
    }
}

/* ---- the ring ------------------------------------------------------------------------------ */

static struct http_event *slot_of(struct http_api *a, uint64_t seq)
{
    return &a->ring[seq % HTTP_EVENT_RING];
}

static uint64_t oldest_seq(const struct http_api *a)
{
    return a->next_seq > HTTP_EVENT_RING ? a->next_seq - HTTP_EVENT_RING : 1;
}

static char *event_json(struct http_api *a, uint64_t seq, int level, const char *type,
                        const char *msg, const char *master_name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)seq);
    cJSON_AddStringToObject(o, "type", type);
    cJSON_AddStringToObject(o, "message", msg);
    const struct instance *master =
        master_name ? sentinel_master_by_name(a->core, master_name) : NULL;
    if (master) {
        cJSON_AddStringToObject(o, "master", master_name);
        cJSON_AddNumberToObject(o, "config_epoch", (double)master->record->config_epoch);
    } else {
        cJSON_AddNullToObject(o, "master");
        cJSON_AddNullToObject(o, "config_epoch");
    }
    cJSON_AddNumberToObject(o, "epoch", (double)sentinel_current_epoch(a->core));
    cJSON_AddStringToObject(o, "level", level_name(level));
    cJSON_AddNumberToObject(o, "time", (double)sentinel_wall_ms(a->core));
    cJSON_AddStringToObject(o, "sentinel", sentinel_myid(a->core));
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void wake_streams(struct http_api *a)
{
    for (struct sse_client *c = a->sse; c; c = c->next) http_server_wake(c->conn);
}

void http_events_record(struct http_api *a, int level, const char *type, const char *msg,
                        const char *master)
{
    uint64_t seq = a->next_seq++;
    struct http_event *e = slot_of(a, seq);
    cJSON_free(e->json);
    e->seq = seq;
    e->json = event_json(a, seq, level, type, msg, master);
    if (strlen(e->json) > HTTP_EVENT_JSON_MAX) {
        /* Event messages are bounded by the core; keep the ring's promise anyway. */
        cJSON_free(e->json);
        e->json = event_json(a, seq, level, type, "(message too long)", master);
    }
    if (a->hooks) webhook_on_event(a->hooks, level, type, e->json);
    wake_streams(a);
}

void http_events_free(struct http_api *a)
{
    for (size_t i = 0; i < HTTP_EVENT_RING; i++) {
        cJSON_free(a->ring[i].json);
        a->ring[i].json = NULL;
        a->ring[i].seq = 0;
    }
}

/* ---- streams -------------------------------------------------------------------------------- */

/* Move whole events into the client's pending bytes (bounded: a few events at a time). */
static void stream_fill(struct sse_client *c)
{
    struct http_api *a = c->a;
    if (c->next_seq < oldest_seq(a)) {
        buf_printf(&c->pending, ": %llu events dropped (client too slow)\n\n",
                   (unsigned long long)(oldest_seq(a) - c->next_seq));
        c->next_seq = oldest_seq(a);
    }
    while (c->next_seq < a->next_seq && buf_unread_len(&c->pending) < 8192) {
        const struct http_event *e = slot_of(a, c->next_seq);
        if (e->seq == c->next_seq && e->json)
            buf_printf(&c->pending, "id: %llu\ndata: %s\n\n", (unsigned long long)e->seq, e->json);
        c->next_seq++;
    }
}

static ssize_t stream_read(void *ctx, char *out, size_t max)
{
    struct sse_client *c = ctx;
    if (buf_unread_len(&c->pending) == 0) stream_fill(c);
    size_t n = MIN(max, buf_unread_len(&c->pending));
    if (n == 0) return 0;
    memcpy(out, buf_unread(&c->pending), n);
    buf_consume(&c->pending, n);
    buf_compact(&c->pending);
    return (ssize_t)n;
}

static void stream_free(void *ctx)
{
    struct sse_client *c = ctx;
    struct http_api *a = c->a;
    if (c->prev)
        c->prev->next = c->next;
    else
        a->sse = c->next;
    if (c->next) c->next->prev = c->prev;
    a->n_sse--;
    buf_free(&c->pending);
    free(c);
}

void http_sse_open(struct http_api *a, struct http_request *req, struct http_response *resp)
{
    if (a->n_sse >= HTTP_SSE_MAX_CLIENTS) {
        http_reply_error(resp, 503, "unavailable", "too many event streams");
        return;
    }
    struct sse_client *c = xcalloc(1, sizeof(*c));
    c->a = a;
    c->conn = req->conn;
    buf_init(&c->pending);
    c->next_seq = a->next_seq;
    unsigned long long last;
    if (req->last_event_id &&
        util_parse_ull(req->last_event_id, strlen(req->last_event_id), &last) == 0 &&
        last < a->next_seq)
        c->next_seq = last + 1;
    buf_append_str(&c->pending, "retry: 2000\n: vigil-sentinel events\n\n");
    c->next = a->sse;
    if (a->sse) a->sse->prev = c;
    a->sse = c;
    a->n_sse++;
    resp->kind = HTTP_RESP_STREAM;
    resp->status = 200;
    resp->content_type = "text/event-stream";
    resp->stream_read = stream_read;
    resp->stream_ctx = c;
    resp->stream_free = stream_free;
}

void http_sse_heartbeat(struct http_api *a)
{
    for (struct sse_client *c = a->sse; c; c = c->next) {
        if (buf_unread_len(&c->pending) < 8192) buf_append_str(&c->pending, ": keepalive\n\n");
        http_server_wake(c->conn);
    }
}

/* ---- long-poll waiters --------------------------------------------------------------------- */

static void waiter_free(void *state)
{
    struct http_waiter *w = state;
    struct http_api *a = w->a;
    if (w->prev)
        w->prev->next = w->next;
    else
        a->waiters = w->next;
    if (w->next) w->next->prev = w->prev;
    a->n_waiters--;
    free(w);
}

static int64_t on_fast_check(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct http_api *a = data;
    http_waiters_check(a, sentinel_now_ms(a->core));
    for (struct http_waiter *w = a->waiters; w; w = w->next)
        if (w->kind == WAIT_INFO) return HTTP_FAST_CHECK_MS;
    a->fast_timer = 0;
    return LOOP_TIMER_STOP;
}

void http_waiter_park(struct http_api *a, struct http_request *req, struct http_response *resp,
                      const char *name, enum waiter_kind kind, uint64_t wait_epoch,
                      int64_t since_ms, int64_t deadline_ms)
{
    struct http_waiter *w = req->park_state;
    if (w == NULL) {
        if (a->n_waiters >= HTTP_MAX_WAITERS) {
            http_reply_error(resp, 503, "unavailable", "too many parked requests");
            return;
        }
        w = xcalloc(1, sizeof(*w));
        w->a = a;
        snprintf(w->name, sizeof(w->name), "%s", name);
        w->kind = kind;
        w->wait_epoch = wait_epoch;
        w->since_ms = since_ms;
        w->deadline_ms = deadline_ms;
        w->next = a->waiters;
        if (a->waiters) a->waiters->prev = w;
        a->waiters = w;
        a->n_waiters++;
        req->park_state = w;
        req->park_free = waiter_free;
    }
    w->conn = req->conn;
    resp->kind = HTTP_RESP_PARK;
    if (kind == WAIT_INFO && a->fast_timer == 0)
        a->fast_timer = loop_timer_add(a->loop, HTTP_FAST_CHECK_MS, on_fast_check, a);
}

bool http_waiter_ready(struct http_api *a, const struct http_waiter *w)
{
    const struct instance *master = sentinel_master_by_name(a->core, w->name);
    if (master == NULL) return true;
    if (w->kind == WAIT_EPOCH) return master->record->config_epoch > w->wait_epoch;
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        const struct instance *r = master->record->replicas[i];
        if (instance_is_disconnected(r) || (r->flags & SRI_S_DOWN)) continue;
        if (r->info_refresh_ms < w->since_ms) return false;
    }
    return true;
}

void http_waiters_check(struct http_api *a, int64_t now_ms)
{
    for (struct http_waiter *w = a->waiters; w; w = w->next)
        if (now_ms >= w->deadline_ms || http_waiter_ready(a, w)) http_server_wake(w->conn);
}
