/* metrics: GET /metrics in the Prometheus text exposition format (version 0.0.4).
 *
 * Gauges are read from the core at scrape time; counters come from the HTTP side's own tallies
 * (http_api.c: failovers by kind counted once per +switch-master on every sentinel, votes,
 * events, HTTP answers by status) and from the webhook manager. Every family is written with
 * its # HELP and # TYPE lines, once, with all its samples together; label values are escaped
 * (backslash, double quote, newline). Bounded by the core's tables. */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/http/http_int.h"
#include "common/version.h"
#include "sentinel/http/webhook.h"

#define P "vigil_sentinel_"

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP " P "%s %s\n# TYPE " P "%s %s\n", name, help, name, type);
}

static void label_value(struct buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            buf_append_str(b, "\\\\");
        else if (*v == '"')
            buf_append_str(b, "\\\"");
        else if (*v == '\n')
            buf_append_str(b, "\\n");
        else
            buf_append_char(b, *v);
    }
}

/* name{master="m"[,k="v"]} value */
static void sample(struct buf *b, const char *name, const char *master, const char *k,
                   const char *v, double value)
{
    buf_printf(b, P "%s", name);
    if (master || k) {
        buf_append_char(b, '{');
        if (master) {
            buf_append_str(b, "master=\"");
            label_value(b, master);
            buf_append_char(b, '"');
        }
        if (k) {
            buf_printf(b, "%s%s=\"", master ? "," : "", k);
            label_value(b, v);
            buf_append_char(b, '"');
        }
        buf_append_char(b, '}');
    }
    if (value == (double)(long long)value && value < 1e15 && value > -1e15)
        buf_printf(b, " %lld\n", (long long)value);
    else
        buf_printf(b, " %.9g\n", value);
}

typedef double (*master_gauge_fn)(struct http_api *a, const struct instance *master,
                                  int64_t now_ms);

static void per_master(struct http_api *a, struct buf *b, const char *name, const char *type,
                       const char *help, master_gauge_fn fn, int64_t now_ms)
{
    family(b, name, type, help);
    for (size_t i = 0; i < sentinel_master_count(a->core); i++) {
        const struct instance *master = sentinel_master_at(a->core, i);
        sample(b, name, master->name, NULL, NULL, fn(a, master, now_ms));
    }
}

static double g_epoch(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    UNUSED(now);
    return (double)master->record->config_epoch;
}
static double g_up(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    UNUSED(now);
    return (master->flags & SRI_S_DOWN) ? 0 : 1;
}
static double g_sdown(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    UNUSED(now);
    return (master->flags & SRI_S_DOWN) ? 1 : 0;
}
static double g_odown(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    UNUSED(now);
    return (master->flags & SRI_O_DOWN) ? 1 : 0;
}
static double g_paused(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    UNUSED(now);
    return master->record->params.failover_paused ? 1 : 0;
}
static double g_in_progress(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    UNUSED(now);
    return (master->flags & SRI_FAILOVER_IN_PROGRESS) ? 1 : 0;
}
static double g_peers_seen(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    struct reach rc;
    http_reach(master, now, &rc);
    return rc.reachable - 1;
}
static double g_peers_known(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    UNUSED(now);
    return (double)master->record->n_sentinels;
}
static double g_majority(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    struct reach rc;
    http_reach(master, now, &rc);
    return rc.has_majority ? 1 : 0;
}
static double g_replicas(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(a);
    UNUSED(now);
    return (double)master->record->n_replicas;
}
static double g_last_duration(struct http_api *a, const struct instance *master, int64_t now)
{
    UNUSED(now);
    struct group_track *g = http_group(a, master->name);
    return g && g->has_last ? g->last_duration_s : 0;
}

static void failover_counters(struct http_api *a, struct buf *b)
{
    family(b, "failovers_total", "counter",
           "Failovers completed (+switch-master seen by this sentinel), by kind.");
    for (size_t i = 0; i < sentinel_master_count(a->core); i++) {
        const struct instance *master = sentinel_master_at(a->core, i);
        struct group_track *g = http_group(a, master->name);
        for (int k = 0; k < KIND_COUNT; k++)
            sample(b, "failovers_total", master->name, "kind", http_kind_names[k],
                   g ? (double)g->failovers[k] : 0);
    }
    family(b, "last_failover_phase_seconds", "gauge",
           "Seconds from the first sign of the last failover to each phase (absent = not seen).");
    static const char *const names[] = {
        "sdown", "odown", "started", "elected", "promoted", "announced", "replicas_reconfigured"};
    for (size_t i = 0; i < sentinel_master_count(a->core); i++) {
        const struct instance *master = sentinel_master_at(a->core, i);
        struct group_track *g = http_group(a, master->name);
        if (g == NULL || !g->has_last) continue;
        const struct phase_times *ph = &g->last_ph;
        int64_t t[] = {ph->sdown,    ph->odown,     ph->started,     ph->elected,
                       ph->promoted, ph->announced, ph->reconfigured};
        int64_t first = 0;
        for (size_t k = 0; k < ARRAY_LEN(t); k++)
            if (t[k] && (first == 0 || t[k] < first)) first = t[k];
        for (size_t k = 0; k < ARRAY_LEN(t); k++)
            if (t[k])
                sample(b, "last_failover_phase_seconds", master->name, "phase", names[k],
                       (double)(t[k] - first) / 1000.0);
    }
}

static void replica_gauges(struct http_api *a, struct buf *b, int64_t now)
{
    family(b, "replica_lag_bytes", "gauge",
           "Master offset minus the replica's offset (from INFO).");
    for (size_t i = 0; i < sentinel_master_count(a->core); i++) {
        const struct instance *master = sentinel_master_at(a->core, i);
        for (size_t j = 0; j < master->record->n_replicas; j++) {
            long long lag = http_lag_bytes(master, master->record->replicas[j]);
            if (lag >= 0)
                sample(b, "replica_lag_bytes", master->name, "replica",
                       master->record->replicas[j]->name, (double)lag);
        }
    }
    family(b, "replica_lag_seconds", "gauge",
           "How old the replica's data is: when the master had the replica's offset (estimate).");
    for (size_t i = 0; i < sentinel_master_count(a->core); i++) {
        const struct instance *master = sentinel_master_at(a->core, i);
        for (size_t j = 0; j < master->record->n_replicas; j++) {
            int64_t lag_ms = http_lag_ms(a, master, master->record->replicas[j]);
            if (lag_ms >= 0)
                sample(b, "replica_lag_seconds", master->name, "replica",
                       master->record->replicas[j]->name, (double)lag_ms / 1000.0);
        }
    }
    family(b, "replica_up", "gauge", "1 when the replica is not subjectively down.");
    for (size_t i = 0; i < sentinel_master_count(a->core); i++) {
        const struct instance *master = sentinel_master_at(a->core, i);
        for (size_t j = 0; j < master->record->n_replicas; j++) {
            const struct instance *r = master->record->replicas[j];
            sample(b, "replica_up", master->name, "replica", r->name,
                   (r->flags & SRI_S_DOWN) ? 0 : 1);
        }
    }
    UNUSED(now);
}

static void webhook_counters(struct http_api *a, struct buf *b)
{
    static const char *const names[] = {"webhook_deliveries_total", "webhook_failures_total",
                                        "webhook_retries_total", "webhook_dropped_total",
                                        "webhook_vetoes_total"};
    static const char *const helps[] = {
        "Webhook deliveries answered 2xx.", "Webhook deliveries given up.",
        "Webhook attempts scheduled again.", "Webhook events dropped from a full queue.",
        "Pre-failover hook vetoes."};
    size_t n = a->hooks ? webhook_count(a->hooks) : 0;
    for (size_t f = 0; f < ARRAY_LEN(names); f++) {
        family(b, names[f], "counter", helps[f]);
        for (size_t i = 0; i < n; i++) {
            struct webhook_stats st;
            const char *label; /* never the URL: webhook URLs are credentials */
            webhook_stats_at(a->hooks, i, &st, &label);
            uint64_t v[] = {st.delivered, st.failed, st.retried, st.dropped, st.vetoes};
            sample(b, names[f], NULL, "webhook", label, (double)v[f]);
        }
    }
}

void metrics_render(struct http_api *a, struct buf *b)
{
    int64_t now = sentinel_now_ms(a->core);
    family(b, "build_info", "gauge", "Always 1; the vigil-sentinel version is the label.");
    sample(b, "build_info", NULL, "version", VIGIL_VERSION, 1);
    family(b, "tilt", "gauge", "1 while this sentinel is in TILT mode.");
    sample(b, "tilt", NULL, NULL, NULL, sentinel_in_tilt(a->core) ? 1 : 0);
    family(b, "current_epoch", "gauge", "This sentinel's current epoch.");
    sample(b, "current_epoch", NULL, NULL, NULL, (double)sentinel_current_epoch(a->core));
    family(b, "masters", "gauge", "Monitored masters.");
    sample(b, "masters", NULL, NULL, NULL, (double)sentinel_master_count(a->core));
    per_master(a, b, "master_config_epoch", "gauge", "Configuration epoch of the master.", g_epoch,
               now);
    per_master(a, b, "master_up", "gauge", "1 unless the master is subjectively down.", g_up, now);
    per_master(a, b, "master_sdown", "gauge", "1 while the master is subjectively down.", g_sdown,
               now);
    per_master(a, b, "master_odown", "gauge", "1 while the master is objectively down.", g_odown,
               now);
    per_master(a, b, "master_paused", "gauge", "1 while automatic failover is paused.", g_paused,
               now);
    per_master(a, b, "failover_in_progress", "gauge", "1 while a failover attempt runs here.",
               g_in_progress, now);
    per_master(a, b, "master_replicas", "gauge", "Known replicas.", g_replicas, now);
    per_master(a, b, "peers_seen", "gauge", "Peer sentinels in contact now.", g_peers_seen, now);
    per_master(a, b, "peers_known", "gauge", "Peer sentinels known.", g_peers_known, now);
    per_master(a, b, "majority_reachable", "gauge", "1 when a majority of sentinels is in contact.",
               g_majority, now);
    per_master(a, b, "last_failover_duration_seconds", "gauge",
               "Duration of the last failover (first sign to announcement).", g_last_duration, now);
    failover_counters(a, b);
    replica_gauges(a, b, now);
    family(b, "votes_cast_total", "counter", "Leader votes this sentinel gave.");
    sample(b, "votes_cast_total", NULL, NULL, NULL, (double)a->votes_cast);
    family(b, "events_total", "counter", "Sentinel events emitted.");
    sample(b, "events_total", NULL, NULL, NULL, (double)a->events_total);
    webhook_counters(a, b);
    family(b, "http_requests_total", "counter", "HTTP API answers by status code.");
    for (size_t i = 0; i < HTTP_CODE_SLOTS && a->code_keys[i]; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%d", a->code_keys[i]);
        sample(b, "http_requests_total", NULL, "code", code, (double)a->code_counts[i]);
    }
    uint64_t timeouts = 0, evicted = 0;
    if (a->srv) http_server_guard_stats(a->srv, &timeouts, &evicted);
    family(b, "http_connections_closed_total", "counter",
           "HTTP connections closed before their request was read: slower than "
           "http.request-timeout, or evicted as the oldest of too many pending ones.");
    sample(b, "http_connections_closed_total", NULL, "reason", "request_timeout", (double)timeouts);
    sample(b, "http_connections_closed_total", NULL, "reason", "evicted", (double)evicted);
}
