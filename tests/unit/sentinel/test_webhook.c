/* Webhooks: the pure rules (backoff, retry, filters, signature) and real deliveries over
 * 127.0.0.1 to a receiver served by our own http_server on the same loop: signed bodies,
 * retries with the same delivery id, drop-oldest queues, and the pre-failover veto. The loop
 * is driven until the webhook manager is idle (bounded by an iteration cap), never slept. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/loop.h"
#include "common/sha256.h"
#include "sentinel/http/http_server.h"
#include "sentinel/sentinel_config.h"
#include "sentinel/http/webhook.h"

#define MAX_SEEN 16

struct seen {
    char body[2048];
    char signature[128];
    char delivery[64];
    char event[64];
};

static struct loop *L;
static struct http_server *H;
static int statuses[MAX_SEEN]; /* what the receiver answers, in order (0 = 200) */
static size_t n_seen;
static struct seen seen[MAX_SEEN];

static void copy_header(const struct http_request *req, const char *name, char *out, size_t cap)
{
    const char *v = http_request_header(req, name);
    snprintf(out, cap, "%s", v ? v : "");
}

static void receiver(void *ctx, struct http_request *req, struct http_response *resp)
{
    (void)ctx;
    int status = 200;
    if (n_seen < MAX_SEEN) {
        struct seen *s = &seen[n_seen];
        snprintf(s->body, sizeof(s->body), "%.*s", (int)req->body_len, req->body);
        copy_header(req, "X-Vigil-Signature", s->signature, sizeof(s->signature));
        copy_header(req, "X-Vigil-Delivery", s->delivery, sizeof(s->delivery));
        copy_header(req, "X-Vigil-Event", s->event, sizeof(s->event));
        if (statuses[n_seen]) status = statuses[n_seen];
        n_seen++;
    }
    resp->kind = HTTP_RESP_BUFFER;
    resp->status = status;
    buf_append_str(&resp->body, status == 200 ? "ok" : "no: maintenance window");
}

static void setup(void)
{
    L = loop_create(1024);
    char err[128];
    H = http_server_start(L, "127.0.0.1", 0, 0, NULL, receiver, NULL, err, sizeof(err));
    cr_assert_not_null(H, "%s", err);
    n_seen = 0;
    memset(statuses, 0, sizeof(statuses));
    memset(seen, 0, sizeof(seen));
}

static void teardown(void)
{
    http_server_stop(H);
    loop_destroy(L);
}

TestSuite(webhook, .init = setup, .fini = teardown);

static struct sentinel_webhook_cfg hook_cfg(char *url, size_t cap, const char *path,
                                            const char *secret, bool pre_failover)
{
    snprintf(url, cap, "http://127.0.0.1:%d%s", http_server_port(H), path);
    struct sentinel_webhook_cfg c = {
        .url = url, .secret = (char *)secret, .timeout_ms = 2000, .pre_failover = pre_failover};
    return c;
}

/* Run the loop until pred() or the iteration cap (each iteration waits for the next event). */
static bool run_until(bool (*pred)(void *), void *arg)
{
    for (int i = 0; i < 5000; i++) {
        if (pred(arg)) return true;
        loop_run_once(L, 100);
    }
    return pred(arg);
}

static bool idle(void *w) { return webhook_idle(w); }

Test(webhook, backoff_doubles_up_to_the_cap)
{
    cr_assert_eq(webhook_backoff_ms(1), 250);
    cr_assert_eq(webhook_backoff_ms(2), 500);
    cr_assert_eq(webhook_backoff_ms(4), 2000);
    cr_assert_eq(webhook_backoff_ms(20), WEBHOOK_BACKOFF_MAX_MS);
}

Test(webhook, retry_only_for_transient_failures)
{
    cr_assert(webhook_is_retryable(false, 0));
    cr_assert(webhook_is_retryable(true, 500));
    cr_assert(webhook_is_retryable(true, 503));
    cr_assert(webhook_is_retryable(true, 429));
    cr_assert_not(webhook_is_retryable(true, 400));
    cr_assert_not(webhook_is_retryable(true, 404));
}

Test(webhook, filters_are_globs_and_default_to_warnings)
{
    struct sentinel_webhook_cfg c = {0};
    cr_assert(webhook_filter_match(&c, LOG_WARNING, "+sdown"));
    cr_assert_not(webhook_filter_match(&c, LOG_NOTICE, "+slave"));
    char *globs[] = {"+switch-master", "-failover-abort-*"};
    c.events.items = globs;
    c.events.count = 2;
    cr_assert(webhook_filter_match(&c, LOG_NOTICE, "+switch-master"));
    cr_assert(webhook_filter_match(&c, LOG_WARNING, "-failover-abort-vetoed"));
    cr_assert_not(webhook_filter_match(&c, LOG_WARNING, "+odown"));
}

Test(webhook, signature_is_hmac_sha256_hex)
{
    char sig[WEBHOOK_SIGNATURE_LEN + 1];
    webhook_signature("key", "The quick brown fox jumps over the lazy dog", 43, sig);
    cr_assert_str_eq(sig,
                     "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

Test(webhook, delivery_is_signed_and_retried_with_the_same_id)
{
    char url[128];
    struct sentinel_webhook_cfg c = hook_cfg(url, sizeof(url), "/hook", "topsecret", false);
    char err[128];
    struct webhook_mgr *w = webhook_create(L, &c, 1, NULL, err, sizeof(err));
    cr_assert_not_null(w, "%s", err);
    statuses[0] = 503;
    webhook_on_event(w, LOG_WARNING, "+odown", "{\"type\":\"+odown\",\"id\":1}");
    webhook_on_event(w, LOG_NOTICE, "+slave", "{\"type\":\"+slave\"}"); /* filtered out */
    cr_assert(run_until(idle, w));
    cr_assert_eq(n_seen, 2, "one 503, then a retry");
    cr_assert_str_eq(seen[0].delivery, seen[1].delivery);
    cr_assert_str_eq(seen[1].event, "+odown");
    char want[WEBHOOK_SIGNATURE_LEN + 1];
    webhook_signature("topsecret", seen[1].body, strlen(seen[1].body), want);
    cr_assert_str_eq(seen[1].signature, want);
    char prefix[160];
    snprintf(prefix, sizeof(prefix), "{\"delivery_id\":\"%s\",\"type\":\"+odown\"",
             seen[1].delivery);
    cr_assert(strncmp(seen[1].body, prefix, strlen(prefix)) == 0, "%s", seen[1].body);
    struct webhook_stats st;
    webhook_stats_at(w, 0, &st, NULL);
    cr_assert_eq(st.delivered, 1);
    cr_assert_eq(st.retried, 1);
    cr_assert_eq(st.failed, 0);
    webhook_destroy(w);
}

Test(webhook, client_errors_fail_without_retry)
{
    char url[128];
    struct sentinel_webhook_cfg c = hook_cfg(url, sizeof(url), "/hook", NULL, false);
    char err[128];
    struct webhook_mgr *w = webhook_create(L, &c, 1, NULL, err, sizeof(err));
    statuses[0] = 400;
    webhook_on_event(w, LOG_WARNING, "+odown", "{}");
    cr_assert(run_until(idle, w));
    cr_assert_eq(n_seen, 1);
    cr_assert_str_eq(seen[0].signature, "", "no secret, no signature");
    struct webhook_stats st;
    webhook_stats_at(w, 0, &st, NULL);
    cr_assert_eq(st.failed, 1);
    webhook_destroy(w);
}

Test(webhook, full_queue_drops_the_oldest_and_counts)
{
    char url[128];
    struct sentinel_webhook_cfg c = hook_cfg(url, sizeof(url), "/hook", NULL, false);
    char err[128];
    struct webhook_mgr *w = webhook_create(L, &c, 1, NULL, err, sizeof(err));
    for (int i = 0; i < WEBHOOK_QUEUE_MAX + 5; i++)
        webhook_on_event(w, LOG_WARNING, "+sdown", "{}");
    struct webhook_stats st;
    webhook_stats_at(w, 0, &st, NULL);
    cr_assert_eq(st.queued, WEBHOOK_QUEUE_MAX);
    cr_assert_eq(st.dropped, 5);
    webhook_destroy(w); /* abandons the queue without leaking */
}

Test(webhook, bad_urls_are_refused)
{
    struct sentinel_webhook_cfg c = {.url = "ftp://example/x", .timeout_ms = 100};
    char err[128];
    cr_assert_null(webhook_create(L, &c, 1, NULL, err, sizeof(err)));
    cr_assert(strstr(err, "webhooks[0].url") != NULL);
}

/* http.webhook-schemes: https alone refuses an http:// hook at start (its secret and its
 * signature would cross the network in plain text); an empty list allows both. */
Test(webhook, urls_outside_the_configured_schemes_are_refused)
{
    struct sentinel_webhook_cfg c[2] = {{.url = "https://h.example/x", .timeout_ms = 100},
                                        {.url = "http://u:pw@h.example/y", .timeout_ms = 100}};
    char *https_only[] = {"https"};
    struct cfg_strlist only = {.items = https_only, .count = 1}, none = {0};
    char err[256];
    cr_assert_eq(webhook_check_urls(c, 1, &only, err, sizeof(err)), 0);
    cr_assert_eq(webhook_check_urls(c, 2, &only, err, sizeof(err)), -1);
    cr_assert(strstr(err, "webhooks[1].url") &&
                  strstr(err, "http:// is not in http.webhook-schemes"),
              "%s", err);
    cr_assert_null(strstr(err, "pw"), "the URL is shown redacted: %s", err);
    cr_assert_eq(webhook_check_urls(c, 2, &none, err, sizeof(err)), 0);
    cr_assert_eq(webhook_check_urls(c, 2, NULL, err, sizeof(err)), 0);
}

Test(webhook, urls_are_shown_without_path_query_or_userinfo)
{
    static const char *const cases[][2] = {
        {"https://hooks.slack.com/services/T0/B0/XyZsecret", "https://hooks.slack.com/..."},
        {"https://discord.com/api/webhooks/1/tok?wait=true", "https://discord.com/..."},
        {"http://user:pw@10.0.0.5:9000/hook", "http://10.0.0.5:9000/..."},
        {"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
        {"http://127.0.0.1:9000/", "http://127.0.0.1:9000"},
        {"https://h.example?token=s3cret", "https://h.example/..."},
        {"ftp://a@b/c", "ftp://b/..."},
        {"no-scheme/secret", "no-scheme/..."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[300];
        webhook_redact_url(cases[i][0], out, sizeof(out));
        cr_assert_str_eq(out, cases[i][1], "%s", cases[i][0]);
    }
}

Test(webhook, bad_url_error_does_not_echo_its_path)
{
    struct sentinel_webhook_cfg c = {.url = "ftp://example/secret-token", .timeout_ms = 100};
    char err[256];
    cr_assert_null(webhook_create(L, &c, 1, NULL, err, sizeof(err)));
    cr_assert(strstr(err, "secret-token") == NULL, "%s", err);
}

Test(webhook, hooks_are_labelled_by_name_or_index_never_by_url)
{
    char url[128], url2[128];
    struct sentinel_webhook_cfg c[2] = {hook_cfg(url, sizeof(url), "/s3cret", NULL, false),
                                        hook_cfg(url2, sizeof(url2), "/s3cret", NULL, false)};
    c[1].name = "slack-oncall";
    char err[128];
    struct webhook_mgr *w = webhook_create(L, c, 2, NULL, err, sizeof(err));
    struct webhook_stats st;
    const char *label = NULL;
    webhook_stats_at(w, 0, &st, &label);
    cr_assert_str_eq(label, "0");
    webhook_stats_at(w, 1, &st, &label);
    cr_assert_str_eq(label, "slack-oncall");
    webhook_destroy(w);
}

struct veto_result {
    bool is_done;
    bool approved;
    char why[256];
};

static void on_veto(void *ctx, bool approved, const char *why)
{
    struct veto_result *r = ctx;
    r->is_done = true;
    r->approved = approved;
    snprintf(r->why, sizeof(r->why), "%s", why);
}

static bool veto_done(void *r) { return ((struct veto_result *)r)->is_done; }

Test(webhook, veto_reason_names_the_hook_without_its_path)
{
    char url[128];
    struct sentinel_webhook_cfg c = hook_cfg(url, sizeof(url), "/veto-s3cret", "k", true);
    char err[128];
    struct webhook_mgr *w = webhook_create(L, &c, 1, NULL, err, sizeof(err));
    statuses[0] = 409;
    struct veto_result r = {0};
    webhook_pre_failover(w, "{\"type\":\"pre-failover\"}", on_veto, &r);
    cr_assert(run_until(veto_done, &r));
    cr_assert_not(r.approved);
    cr_assert(strstr(r.why, "s3cret") == NULL, "%s", r.why);
    cr_assert(strstr(r.why, "hook #0") != NULL, "named by its index: %s", r.why);
    webhook_destroy(w);
}

Test(webhook, pre_failover_hook_vetoes_with_non_2xx)
{
    char url[128], url2[128];
    struct sentinel_webhook_cfg c[2] = {hook_cfg(url, sizeof(url), "/veto", "k", true),
                                        hook_cfg(url2, sizeof(url2), "/events", NULL, false)};
    char err[128];
    struct webhook_mgr *w = webhook_create(L, c, 2, NULL, err, sizeof(err));
    cr_assert(webhook_has_pre_failover(w));
    statuses[0] = 409;
    struct veto_result r = {0};
    webhook_pre_failover(w, "{\"type\":\"pre-failover\",\"master\":\"m\"}", on_veto, &r);
    cr_assert(run_until(veto_done, &r));
    cr_assert_not(r.approved);
    cr_assert(strstr(r.why, "409") != NULL, "%s", r.why);
    cr_assert(strstr(r.why, "maintenance window") != NULL, "the hook's answer is quoted: %s",
              r.why);
    cr_assert_eq(n_seen, 1, "only the pre-failover hook is asked");
    cr_assert_str_eq(seen[0].event, "pre-failover");
    struct webhook_stats st;
    webhook_stats_at(w, 0, &st, NULL);
    cr_assert_eq(st.vetoes, 1);
    struct veto_result r2 = {0};
    webhook_pre_failover(w, "{}", on_veto, &r2);
    cr_assert(run_until(veto_done, &r2));
    cr_assert(r2.approved);
    webhook_destroy(w);
}

Test(webhook, unreachable_pre_failover_hook_does_not_veto)
{
    /* a port nothing listens on: our own server's port after it is stopped */
    http_server_stop(H);
    char err[128];
    H = http_server_start(L, "127.0.0.1", 0, 0, NULL, receiver, NULL, err, sizeof(err));
    char url[128];
    struct sentinel_webhook_cfg c = hook_cfg(url, sizeof(url), "/veto", NULL, true);
    http_server_stop(H);
    H = NULL;
    struct webhook_mgr *w = webhook_create(L, &c, 1, NULL, err, sizeof(err));
    struct veto_result r = {0};
    webhook_pre_failover(w, "{}", on_veto, &r);
    cr_assert(run_until(veto_done, &r));
    cr_assert(r.approved);
    struct webhook_stats st;
    webhook_stats_at(w, 0, &st, NULL);
    cr_assert_eq(st.unanswered, 1);
    webhook_destroy(w);
    H = http_server_start(L, "127.0.0.1", 0, 0, NULL, receiver, NULL, err, sizeof(err));
}

Test(webhook, no_pre_failover_hook_approves_at_once)
{
    char url[128];
    struct sentinel_webhook_cfg c = hook_cfg(url, sizeof(url), "/events", NULL, false);
    char err[128];
    struct webhook_mgr *w = webhook_create(L, &c, 1, NULL, err, sizeof(err));
    struct veto_result r = {0};
    webhook_pre_failover(w, "{}", on_veto, &r);
    cr_assert(r.is_done && r.approved);
    webhook_destroy(w);
}
