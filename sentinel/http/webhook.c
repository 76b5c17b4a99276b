/* webhook: event deliveries and the pre-failover veto over libcurl's multi interface on our
 * loop (see webhook.h for the rules).
 *
 * Loop glue: CURLMOPT_SOCKETFUNCTION maps curl's wishes for a socket onto loop_watch /
 * loop_unwatch (the current mask is stored with curl_multi_assign); CURLMOPT_TIMERFUNCTION arms
 * one loop timer. Both only record: curl_multi_socket_action() runs from our own fd and timer
 * callbacks, never from inside curl, and finished transfers are collected right after it.
 * Every easy handle carries a `struct transfer` (CURLOPT_PRIVATE) saying what it delivers. */
#include "sentinel/http/webhook.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/sha256.h"
#include "common/util.h"
#include "sentinel/sentinel_config.h"

#define WEBHOOK_CONNECT_TIMEOUT_MS 2000
#define WEBHOOK_REASON_MAX 160

struct item {
    char *body;
    char type[64];
    char delivery_id[48];
    int attempts;
    int64_t not_before_ms;
};

struct veto_batch {
    webhook_veto_done_fn done;
    void *ctx;
    int pending;
    bool is_vetoed;
    char why[WEBHOOK_REASON_MAX + 480]; /* "webhook <shown> answered <status>: <reason>" */
};

enum transfer_kind { TRANSFER_EVENT, TRANSFER_VETO };

struct hook;

struct transfer {
    enum transfer_kind kind;
    struct hook *hook;
    struct veto_batch *batch;
    struct curl_slist *headers;
    CURL *easy;
    size_t reason_len;
    char reason[WEBHOOK_REASON_MAX + 1]; /* start of the answer body (veto reason) */
    char errbuf[CURL_ERROR_SIZE];
};

struct hook {
    struct webhook_mgr *w;
    struct sentinel_webhook_cfg cfg; /* strings owned (copied) */
    char label[72];                  /* cfg.name or the index: the metrics label */
    char shown[400];                 /* "NAME (https://host/...)": what logs and JSON show */
    size_t head, len;                /* ring of queued items; the head may be in flight */
    struct item *queue[WEBHOOK_QUEUE_MAX];
    struct transfer *inflight;      /* event delivery in flight (queue head) */
    struct transfer *veto_inflight; /* pre-failover hooks: the question in flight */
    uint64_t retry_timer;
    struct webhook_stats stats;
};

struct webhook_mgr {
    struct loop *loop;
    CURLM *multi;
    uint64_t curl_timer;
    uint64_t seq;
    char nonce[17];
    size_t n;
    struct hook *hooks;
};

/* ---- pure helpers ------------------------------------------------------------------------------
 */

int64_t webhook_backoff_ms(int attempt)
{
    int64_t d = WEBHOOK_BACKOFF_BASE_MS;
    for (int i = 1; i < attempt && d < WEBHOOK_BACKOFF_MAX_MS; i++) d *= 2;
    return MIN(d, (int64_t)WEBHOOK_BACKOFF_MAX_MS);
}

bool webhook_is_retryable(bool got_response, long status)
{
    if (!got_response) return true;
    return status >= 500 || status == 408 || status == 429;
}

bool webhook_filter_match(const struct sentinel_webhook_cfg *cfg, int level, const char *type)
{
    if (cfg->events.count == 0) return level >= LOG_WARNING;
    for (size_t i = 0; i < cfg->events.count; i++) {
        const char *g = cfg->events.items[i];
        if (util_glob_match(g, strlen(g), type, strlen(type), false)) return true;
    }
    return false;
}

void webhook_signature(const char *secret, const char *body, size_t len,
                       char out[WEBHOOK_SIGNATURE_LEN + 1])
{
    uint8_t mac[SHA256_DIGEST_LEN];
    hmac_sha256(secret, strlen(secret), body, len, mac);
    memcpy(out, "sha256=", 7);
    sha256_hex(mac, out + 7);
}

/* ---- curl <-> loop ------------------------------------------------------------------------------
 */

static void collect_done(struct webhook_mgr *w);

static void on_sock_ready(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(l);
    struct webhook_mgr *w = data;
    int flags = ((mask & LOOP_READABLE) ? CURL_CSELECT_IN : 0) |
                ((mask & LOOP_WRITABLE) ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(w->multi, fd, flags, &running);
    collect_done(w);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    UNUSED(easy);
    struct webhook_mgr *w = userp;
    int have = (int)(intptr_t)socketp;
    int want = what == CURL_POLL_IN      ? LOOP_READABLE
               : what == CURL_POLL_OUT   ? LOOP_WRITABLE
               : what == CURL_POLL_INOUT ? (LOOP_READABLE | LOOP_WRITABLE)
                                         : 0;
    if (have & ~want) loop_unwatch(w->loop, s, have & ~want);
    if ((want & ~have) && loop_watch(w->loop, s, want & ~have, on_sock_ready, w) != 0)
        log_warning("webhook: cannot watch socket %d", (int)s);
    if (what != CURL_POLL_REMOVE) curl_multi_assign(w->multi, s, (void *)(intptr_t)want);
    return 0;
}

static int64_t on_curl_timer_fire(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct webhook_mgr *w = data;
    w->curl_timer = 0;
    int running = 0;
    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_done(w);
    return LOOP_TIMER_STOP;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    UNUSED(multi);
    struct webhook_mgr *w = userp;
    if (w->curl_timer) loop_timer_cancel(w->loop, w->curl_timer);
    w->curl_timer = 0;
    if (timeout_ms >= 0) w->curl_timer = loop_timer_add(w->loop, timeout_ms, on_curl_timer_fire, w);
    return 0;
}

/* ---- transfers ----------------------------------------------------------------------------------
 */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb, room = WEBHOOK_REASON_MAX - t->reason_len;
    size_t take = MIN(n, room);
    memcpy(t->reason + t->reason_len, ptr, take);
    t->reason_len += take;
    t->reason[t->reason_len] = '\0';
    return n; /* the rest is read and dropped */
}

/* "https" for an https:// URL, "http" for http://, NULL for anything else. */
static const char *url_scheme(const char *u)
{
    if (strncasecmp(u, "https://", 8) == 0) return "https";
    if (strncasecmp(u, "http://", 7) == 0) return "http";
    return NULL;
}

static struct transfer *transfer_start(struct webhook_mgr *w, struct hook *h,
                                       enum transfer_kind kind, const char *body, const char *type,
                                       const char *delivery_id)
{
    struct transfer *t = xcalloc(1, sizeof(*t));
    t->kind = kind;
    t->hook = h;
    char line[WEBHOOK_SIGNATURE_LEN + 64];
    t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
    t->headers = curl_slist_append(t->headers, "Expect:");
    snprintf(line, sizeof(line), "X-Vigil-Event: %s", type);
    t->headers = curl_slist_append(t->headers, line);
    snprintf(line, sizeof(line), "X-Vigil-Delivery: %s", delivery_id);
    t->headers = curl_slist_append(t->headers, line);
    if (h->cfg.secret && h->cfg.secret[0]) {
        char sig[WEBHOOK_SIGNATURE_LEN + 1];
        webhook_signature(h->cfg.secret, body, strlen(body), sig);
        snprintf(line, sizeof(line), "X-Vigil-Signature: %s", sig);
        t->headers = curl_slist_append(t->headers, line);
    }
    CURL *e = t->easy = curl_easy_init();
    ASSERT(e != NULL);
    curl_easy_setopt(e, CURLOPT_URL, h->cfg.url);
    /* Only the URL's own scheme (checked against http.webhook-schemes at start): a redirect or
     * a rewritten URL cannot take the delivery anywhere else. */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, url_scheme(h->cfg.url));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "vigil-sentinel");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->cfg.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)MIN(h->cfg.timeout_ms, (int64_t)WEBHOOK_CONNECT_TIMEOUT_MS));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    /* https:// is verified (peer and host name) against the system's CAs, or ca-file. */
    if (h->cfg.ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, h->cfg.ca_file);
    curl_multi_add_handle(w->multi, e);
    return t;
}

static void transfer_free(struct webhook_mgr *w, struct transfer *t)
{
    curl_multi_remove_handle(w->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t);
}

/* ---- event queues -----------------------------------------------------------------------------
 */

static void item_free(struct item *it)
{
    free(it->body);
    free(it);
}

static struct item *queue_at(struct hook *h, size_t i)
{
    return h->queue[(h->head + i) % WEBHOOK_QUEUE_MAX];
}

static void queue_pop_head(struct hook *h)
{
    item_free(queue_at(h, 0));
    h->head = (h->head + 1) % WEBHOOK_QUEUE_MAX;
    h->len--;
}

/* Drop the oldest item that is not in flight (slot 0 when idle, else slot 1). */
static void queue_drop_oldest(struct hook *h)
{
    size_t victim = h->inflight ? 1 : 0;
    if (victim >= h->len) return;
    item_free(queue_at(h, victim));
    for (size_t i = victim; i + 1 < h->len; i++)
        h->queue[(h->head + i) % WEBHOOK_QUEUE_MAX] = queue_at(h, i + 1);
    h->len--;
    h->stats.dropped++;
}

static void hook_pump(struct hook *h);

static int64_t on_retry_timer(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct hook *h = data;
    h->retry_timer = 0;
    hook_pump(h);
    return LOOP_TIMER_STOP;
}

static void hook_pump(struct hook *h)
{
    struct webhook_mgr *w = h->w;
    if (h->inflight || h->len == 0) return;
    struct item *it = queue_at(h, 0);
    int64_t now = loop_now_ms(w->loop);
    if (it->not_before_ms > now) {
        if (h->retry_timer == 0)
            h->retry_timer = loop_timer_add(w->loop, it->not_before_ms - now, on_retry_timer, h);
        return;
    }
    it->attempts++;
    h->inflight = transfer_start(w, h, TRANSFER_EVENT, it->body, it->type, it->delivery_id);
}

static void event_done(struct hook *h, bool got_response, long status, const char *err)
{
    struct item *it = queue_at(h, 0);
    if (got_response && status >= 200 && status < 300) {
        h->stats.delivered++;
        queue_pop_head(h);
    } else if (webhook_is_retryable(got_response, status) && it->attempts < WEBHOOK_MAX_ATTEMPTS) {
        h->stats.retried++;
        it->not_before_ms = loop_now_ms(h->w->loop) + webhook_backoff_ms(it->attempts);
        log_verbose("webhook %s: delivery %s attempt %d failed (%s), retrying", h->shown,
                    it->delivery_id, it->attempts, got_response ? "HTTP error" : err);
    } else {
        h->stats.failed++;
        log_warning("webhook %s: giving up delivery %s of %s after %d attempts (%s %ld)", h->shown,
                    it->delivery_id, it->type, it->attempts, got_response ? "HTTP" : err, status);
        queue_pop_head(h);
    }
}

static void veto_done(struct hook *h, struct transfer *t, bool got_response, long status)
{
    struct veto_batch *b = t->batch;
    h->veto_inflight = NULL;
    if (!got_response) {
        h->stats.unanswered++;
        log_warning("webhook %s: pre-failover hook did not answer (%s): not a veto", h->shown,
                    t->errbuf[0] ? t->errbuf : "timeout");
    } else if (status < 200 || status >= 300) {
        h->stats.vetoes++;
        if (!b->is_vetoed)
            /* By index: the URL may carry a credential and `why` reaches /v1/operations. */
            snprintf(b->why, sizeof(b->why), "pre-failover hook #%zu answered HTTP %ld: %s",
                     (size_t)(h - h->w->hooks), status, t->reason);
        b->is_vetoed = true;
    } else {
        h->stats.delivered++;
    }
    if (--b->pending > 0) return;
    b->done(b->ctx, !b->is_vetoed, b->is_vetoed ? b->why : "approved");
    free(b);
}

static void collect_done(struct webhook_mgr *w)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) continue;
        struct transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        long status = 0;
        bool got = msg->data.result == CURLE_OK;
        if (got) curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        const char *err = t->errbuf[0] ? t->errbuf : curl_easy_strerror(msg->data.result);
        struct hook *h = t->hook;
        if (t->kind == TRANSFER_EVENT) {
            h->inflight = NULL;
            event_done(h, got, status, err);
        } else {
            veto_done(h, t, got, status);
        }
        transfer_free(w, t);
        hook_pump(h);
    }
}

/* ---- public -------------------------------------------------------------------------------------
 */

static void copy_cfg(struct sentinel_webhook_cfg *dst, const struct sentinel_webhook_cfg *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->name = src->name ? xstrdup(src->name) : NULL;
    dst->url = xstrdup(src->url ? src->url : "");
    dst->secret = src->secret ? xstrdup(src->secret) : NULL;
    dst->ca_file = src->ca_file && src->ca_file[0] ? xstrdup(src->ca_file) : NULL;
    dst->timeout_ms = src->timeout_ms > 0 ? src->timeout_ms : 2000;
    dst->pre_failover = src->pre_failover;
    dst->events.count = src->events.count;
    if (src->events.count) dst->events.items = xcalloc(src->events.count, sizeof(char *));
    for (size_t i = 0; i < src->events.count; i++)
        dst->events.items[i] = xstrdup(src->events.items[i]);
}

static void free_cfg(struct sentinel_webhook_cfg *c)
{
    free(c->name);
    free(c->url);
    free(c->secret);
    free(c->ca_file);
    for (size_t i = 0; i < c->events.count; i++) free(c->events.items[i]);
    free(c->events.items);
}

static bool scheme_allowed(const struct cfg_strlist *schemes, const char *scheme)
{
    if (schemes == NULL || schemes->count == 0) return true; /* http and https */
    for (size_t i = 0; i < schemes->count; i++)
        if (strcasecmp(schemes->items[i], scheme) == 0) return true;
    return false;
}

int webhook_check_urls(const struct sentinel_webhook_cfg *cfg, size_t n,
                       const struct cfg_strlist *schemes, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const char *u = cfg[i].url ? cfg[i].url : "";
        const char *scheme = url_scheme(u);
        if (scheme && scheme_allowed(schemes, scheme)) continue;
        char shown[300];
        webhook_redact_url(u, shown, sizeof(shown));
        if (scheme)
            snprintf(err, errlen, "webhooks[%zu].url: '%s': %s:// is not in http.webhook-schemes",
                     i, shown, scheme);
        else
            snprintf(err, errlen, "webhooks[%zu].url: '%s' is not an http:// or https:// URL", i,
                     shown);
        return -1;
    }
    return 0;
}

struct webhook_mgr *webhook_create(struct loop *l, const struct sentinel_webhook_cfg *cfg, size_t n,
                                   const struct cfg_strlist *schemes, char *err, size_t errlen)
{
    if (webhook_check_urls(cfg, n, schemes, err, errlen) != 0) return NULL;
    static bool curl_ready;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = true;
    }
    struct webhook_mgr *w = xcalloc(1, sizeof(*w));
    w->loop = l;
    w->multi = curl_multi_init();
    ASSERT(w->multi != NULL);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
    util_random_hex(w->nonce, 16);
    w->nonce[16] = '\0';
    w->n = n;
    w->hooks = n ? xcalloc(n, sizeof(*w->hooks)) : NULL;
    for (size_t i = 0; i < n; i++) {
        struct hook *h = &w->hooks[i];
        h->w = w;
        copy_cfg(&h->cfg, &cfg[i]);
        char shown[300];
        webhook_redact_url(h->cfg.url, shown, sizeof(shown));
        if (h->cfg.name && h->cfg.name[0])
            snprintf(h->label, sizeof(h->label), "%s", h->cfg.name);
        else
            snprintf(h->label, sizeof(h->label), "%zu", i);
        snprintf(h->shown, sizeof(h->shown), "%s (%s)", h->label, shown);
    }
    return w;
}

void webhook_destroy(struct webhook_mgr *w)
{
    if (w == NULL) return;
    for (size_t i = 0; i < w->n; i++) {
        struct hook *h = &w->hooks[i];
        if (h->inflight) transfer_free(w, h->inflight);
        if (h->veto_inflight) {
            struct veto_batch *b = h->veto_inflight->batch;
            transfer_free(w, h->veto_inflight);
            if (--b->pending == 0) free(b);
        }
        while (h->len) queue_pop_head(h);
        if (h->retry_timer) loop_timer_cancel(w->loop, h->retry_timer);
        free_cfg(&h->cfg);
    }
    if (w->curl_timer) loop_timer_cancel(w->loop, w->curl_timer);
    curl_multi_cleanup(w->multi);
    free(w->hooks);
    free(w);
}

void webhook_on_event(struct webhook_mgr *w, int level, const char *type, const char *event_json)
{
    size_t jlen = strlen(event_json);
    if (jlen < 2 || event_json[0] != '{') return;
    for (size_t i = 0; i < w->n; i++) {
        struct hook *h = &w->hooks[i];
        if (h->cfg.pre_failover || !webhook_filter_match(&h->cfg, level, type)) continue;
        if (h->len == WEBHOOK_QUEUE_MAX) queue_drop_oldest(h);
        if (h->len == WEBHOOK_QUEUE_MAX) continue; /* cannot happen: the queue holds > 1 */
        struct item *it = xcalloc(1, sizeof(*it));
        snprintf(it->type, sizeof(it->type), "%s", type);
        snprintf(it->delivery_id, sizeof(it->delivery_id), "%s-%llu", w->nonce,
                 (unsigned long long)++w->seq);
        size_t cap = jlen + sizeof(it->delivery_id) + 32;
        it->body = xmalloc(cap);
        /* The delivery id goes first: {"delivery_id":"...", + the event's own fields. */
        snprintf(it->body, cap, "{\"delivery_id\":\"%s\"%s%s", it->delivery_id,
                 event_json[1] == '}' ? "" : ",", event_json + 1);
        h->queue[(h->head + h->len++) % WEBHOOK_QUEUE_MAX] = it;
        hook_pump(h);
    }
}

bool webhook_has_pre_failover(const struct webhook_mgr *w)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->hooks[i].cfg.pre_failover) return true;
    return false;
}

void webhook_pre_failover(struct webhook_mgr *w, const char *json, webhook_veto_done_fn done,
                          void *ctx)
{
    struct veto_batch *b = xcalloc(1, sizeof(*b));
    b->done = done;
    b->ctx = ctx;
    char id[48];
    snprintf(id, sizeof(id), "%s-%llu", w->nonce, (unsigned long long)++w->seq);
    for (size_t i = 0; i < w->n; i++) {
        struct hook *h = &w->hooks[i];
        if (!h->cfg.pre_failover || h->veto_inflight) continue;
        h->veto_inflight = transfer_start(w, h, TRANSFER_VETO, json, "pre-failover", id);
        h->veto_inflight->batch = b;
        b->pending++;
    }
    if (b->pending == 0) {
        done(ctx, true, "no pre-failover hook to ask");
        free(b);
    }
}

size_t webhook_count(const struct webhook_mgr *w) { return w->n; }

void webhook_stats_at(const struct webhook_mgr *w, size_t i, struct webhook_stats *out,
                      const char **label)
{
    ASSERT(i < w->n);
    *out = w->hooks[i].stats;
    out->queued = w->hooks[i].len;
    if (label) *label = w->hooks[i].label;
}

bool webhook_idle(const struct webhook_mgr *w)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->hooks[i].len || w->hooks[i].inflight || w->hooks[i].veto_inflight) return false;
    return true;
}

void webhook_redact_url(const char *url, char *out, size_t cap)
{
    const char *sep = strstr(url, "://");
    const char *host = sep ? sep + 3 : url;
    size_t host_len = strcspn(host, "/?#");
    /* user:password@host: keep what follows the last '@' of the authority */
    for (size_t k = host_len; k > 0; k--) {
        if (host[k - 1] == '@') {
            host_len -= k;
            host += k;
            break;
        }
    }
    int scheme_len = sep ? (int)(sep - url) : 0;
    bool has_rest = host[host_len] != '\0' && strcmp(host + host_len, "/") != 0;
    snprintf(out, cap, "%.*s%s%.*s%s", scheme_len, url, sep ? "://" : "", (int)MIN(host_len, 255),
             host, has_rest ? "/..." : "");
}
