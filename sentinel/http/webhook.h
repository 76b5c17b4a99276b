/* webhook: sentinel events POSTed as JSON to HTTP endpoints, and the optional pre-failover veto,
 * with libcurl's multi interface driven from our event loop (no thread, never blocking).
 *
 * Per hook (sentinel.yaml `webhooks:`):
 *   - events whose type matches one of its globs (default: every warning-level event) are
 *     queued, at most WEBHOOK_QUEUE_MAX; when full the oldest not in flight is dropped and
 *     counted (`dropped`);
 *   - one delivery in flight at a time, in queue order; the body is the event's JSON object
 *     (http_api.h) with a unique "delivery_id" first, headers X-Vigil-Event, X-Vigil-Delivery
 *     and, with a secret, X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, body)>;
 *   - 2xx = delivered; a connection error, a timeout, 5xx, 408 or 429 is retried after
 *     webhook_backoff_ms(attempt) up to WEBHOOK_MAX_ATTEMPTS attempts, then counted `failed`;
 *     any other status fails at once. The delivery id stays the same across retries
 *     (receivers de-duplicate on it: delivery is at least once).
 * A hook with `pre-failover: true` receives no events: it is asked before every promotion
 * (webhook_pre_failover); a non-2xx answer within its timeout vetoes the attempt. No answer
 * (connection error or timeout) does not veto: a dead hook must not stop failovers.
 * Must not: block, or call into the sentinel core (the caller does, from the done callback).
 */
#ifndef VIGIL_SENTINEL_WEBHOOK_H
#define VIGIL_SENTINEL_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/loop.h"

#define WEBHOOK_QUEUE_MAX 256
#define WEBHOOK_MAX_ATTEMPTS 8
#define WEBHOOK_BACKOFF_BASE_MS 250
#define WEBHOOK_BACKOFF_MAX_MS 30000
#define WEBHOOK_SIGNATURE_LEN (7 + 64) /* "sha256=" + hex */

struct sentinel_webhook_cfg;
struct cfg_strlist;
struct webhook_mgr;

struct webhook_stats {
    uint64_t delivered;  /* 2xx answers */
    uint64_t failed;     /* given up (attempts exhausted or a non-retryable status) */
    uint64_t retried;    /* attempts scheduled again */
    uint64_t dropped;    /* pushed out of a full queue */
    uint64_t vetoes;     /* pre-failover hooks: non-2xx answers */
    uint64_t unanswered; /* pre-failover hooks: no answer in time */
    size_t queued;       /* waiting now, in flight included */
};

/* 0, or -1 with err naming the first hook whose URL's scheme is not one of `schemes`
 * (http.webhook-schemes: "http", "https"; NULL or empty = both), shown redacted. */
int webhook_check_urls(const struct sentinel_webhook_cfg *cfg, size_t n,
                       const struct cfg_strlist *schemes, char *err, size_t errlen);
/* n hooks from the config (copied). NULL with err when a URL's scheme is not allowed. */
struct webhook_mgr *webhook_create(struct loop *l, const struct sentinel_webhook_cfg *cfg, size_t n,
                                   const struct cfg_strlist *schemes, char *err, size_t errlen);
/* Abandons queued and in-flight deliveries; a pending veto batch is dropped without its callback.
 */
void webhook_destroy(struct webhook_mgr *w);

/* Queue the event (a JSON object text "{...}") for every event hook whose filter matches. */
void webhook_on_event(struct webhook_mgr *w, int level, const char *type, const char *event_json);

bool webhook_has_pre_failover(const struct webhook_mgr *w);
/* Called exactly once: approved unless a pre-failover hook answered non-2xx (why names it). */
typedef void (*webhook_veto_done_fn)(void *ctx, bool approved, const char *why);
/* Ask every pre-failover hook with body `json`. With none, done() runs before this returns. */
void webhook_pre_failover(struct webhook_mgr *w, const char *json, webhook_veto_done_fn done,
                          void *ctx);

size_t webhook_count(const struct webhook_mgr *w);
/* Stats of hook i and its label (borrowed): the configured name, else its index ("0"). */
void webhook_stats_at(const struct webhook_mgr *w, size_t i, struct webhook_stats *out,
                      const char **label);
/* Nothing queued or in flight anywhere (tests wait on this). */
bool webhook_idle(const struct webhook_mgr *w);

/* Pure helpers (exposed for tests). */
int64_t webhook_backoff_ms(int attempt); /* attempt >= 1: base * 2^(attempt-1), capped */
bool webhook_is_retryable(bool got_response, long status);
bool webhook_filter_match(const struct sentinel_webhook_cfg *cfg, int level, const char *type);
/* The URL as logs and JSON may show it: scheme, host and port only, "/..." for a path or query
 * (Slack, Teams and Discord URLs carry their credential there), any user:password@ dropped. */
void webhook_redact_url(const char *url, char *out, size_t cap);
/* "sha256=<hex>" of HMAC-SHA256(secret, body) into out (WEBHOOK_SIGNATURE_LEN + 1 bytes). */
void webhook_signature(const char *secret, const char *body, size_t len,
                       char out[WEBHOOK_SIGNATURE_LEN + 1]);

#endif
