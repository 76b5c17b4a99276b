/* latency: see latency.h. The LATENCY command family lives here too.
 *
 * The monitor keeps at most LATENCY_EVENTS_MAX series of LATENCY_SAMPLES samples each, as a
 * ring; the reply shapes of LATEST, HISTORY and RESET are Redis 7.0's. GRAPH and DOCTOR are
 * for people: their layout and words are ours.
 *
 * A histogram covers 1 us to 2^HIST_RANGES us in power-of-two ranges (2^(k-1), 2^k], each cut
 * into HIST_SUB linear sub-ranges: percentiles are exact to a quarter of their range, memory is
 * fixed (HIST_BUCKETS counters), made on a command's first call, at most HIST_COMMANDS of them.
 * LATENCY HISTOGRAM prints, as Redis does, the cumulative count at each power-of-two bound
 * where it grows; Redis's bounds come from its HdrHistogram (1, 2, 4, 8, 16, 33, 66...), ours
 * are the powers of two themselves. */
#include "store/latency.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/reply.h"

#define LATENCY_EVENTS_MAX 16
#define LATENCY_SAMPLES 160
#define HIST_RANGES 31 /* up to 2^30 us, about 18 minutes */
#define HIST_SUB 4
#define HIST_BUCKETS (HIST_RANGES * HIST_SUB)
#define HIST_COMMANDS 512
#define HIST_SLOTS 1024 /* the pointer index: a power of two, twice HIST_COMMANDS */
#define HIST_NAME_LEN 64
#define PERCENTILES_MAX 16

struct latency_sample {
    int64_t time_s; /* 0: unused slot */
    uint32_t ms;
};

struct latency_series {
    const char *event; /* NULL: free slot */
    int next;          /* ring index of the next sample */
    uint32_t max_ms;
    struct latency_sample samples[LATENCY_SAMPLES];
};

struct latency_hist {
    char name[HIST_NAME_LEN]; /* "get", "config|get" */
    uint64_t calls;
    uint64_t counts[HIST_BUCKETS];
};

struct latency {
    struct latency_series series[LATENCY_EVENTS_MAX];
    struct latency_hist *hists[HIST_COMMANDS];
    size_t nhists;
    /* Every command call records here, so its histogram is found by the address of its table
     * entry (open addressing), not by formatting and comparing names: that cost a script of
     * four commands a tenth of its time. */
    const void *slot_keys[HIST_SLOTS];
    struct latency_hist *slot_hists[HIST_SLOTS];
};

static void hists_free(struct latency *lat)
{
    for (size_t i = 0; i < lat->nhists; i++) free(lat->hists[i]);
    lat->nhists = 0;
    memset(lat->slot_keys, 0, sizeof lat->slot_keys);
}

static size_t slot_of(struct latency *lat, const void *key)
{
    size_t i = (size_t)(((uintptr_t)key >> 4) * 0x9E3779B97F4A7C15ULL) & (HIST_SLOTS - 1);
    while (lat->slot_keys[i] && lat->slot_keys[i] != key) i = (i + 1) & (HIST_SLOTS - 1);
    return i;
}

struct latency *latency_create(void) { return xcalloc(1, sizeof(struct latency)); }

void latency_destroy(struct latency *lat)
{
    if (!lat) return;
    hists_free(lat);
    free(lat);
}

/* ---- the monitor ---- */

static struct latency_series *series_find(struct latency *lat, const char *event, size_t len)
{
    for (size_t i = 0; i < LATENCY_EVENTS_MAX; i++) {
        struct latency_series *s = &lat->series[i];
        if (s->event && util_eq_nocase(event, len, s->event)) return s;
    }
    return NULL;
}

void latency_add_sample_if_needed(struct server *srv, const char *event, int64_t ms)
{
    long long threshold = srv->cfg.latency_monitor_threshold;
    if (threshold <= 0 || ms < threshold || !srv->latency) return;
    struct latency *lat = srv->latency;
    struct latency_series *s = series_find(lat, event, strlen(event));
    for (size_t i = 0; !s && i < LATENCY_EVENTS_MAX; i++) {
        if (lat->series[i].event) continue;
        s = &lat->series[i];
        *s = (struct latency_series){.event = event};
    }
    if (!s) return; /* more kinds of event than slots: cannot happen with ours */
    uint32_t v = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    int64_t now_s = server_now_ms(srv) / 1000;
    if (v > s->max_ms) s->max_ms = v;
    struct latency_sample *prev = &s->samples[(s->next + LATENCY_SAMPLES - 1) % LATENCY_SAMPLES];
    if (prev->time_s == now_s) { /* one sample per second: the highest */
        if (v > prev->ms) prev->ms = v;
        return;
    }
    s->samples[s->next] = (struct latency_sample){now_s, v};
    s->next = (s->next + 1) % LATENCY_SAMPLES;
}

static const struct latency_sample *series_latest(const struct latency_series *s)
{
    return &s->samples[(s->next + LATENCY_SAMPLES - 1) % LATENCY_SAMPLES];
}

/* The i-th sample in time order, NULL past the end. */
static const struct latency_sample *series_at(const struct latency_series *s, int *cursor)
{
    while (*cursor < LATENCY_SAMPLES) {
        const struct latency_sample *x = &s->samples[(s->next + *cursor) % LATENCY_SAMPLES];
        (*cursor)++;
        if (x->time_s != 0) return x;
    }
    return NULL;
}

static void latency_latest(struct client *c)
{
    struct latency *lat = c->srv->latency;
    size_t n = 0;
    for (size_t i = 0; i < LATENCY_EVENTS_MAX; i++) n += lat->series[i].event != NULL;
    reply_array(c, n);
    for (size_t i = 0; i < LATENCY_EVENTS_MAX; i++) {
        const struct latency_series *s = &lat->series[i];
        if (!s->event) continue;
        const struct latency_sample *last = series_latest(s);
        reply_array(c, 4);
        reply_bulk_str(c, s->event);
        reply_integer(c, last->time_s);
        reply_integer(c, last->ms);
        reply_integer(c, s->max_ms);
    }
}

static void latency_history(struct client *c)
{
    const struct latency_series *s = series_find(c->srv->latency, c->argv[2].ptr, c->argv[2].len);
    if (!s) {
        reply_empty_array(c);
        return;
    }
    size_t handle = reply_deferred_begin(c), n = 0;
    int cursor = 0;
    for (const struct latency_sample *x; (x = series_at(s, &cursor)); n++) {
        reply_array(c, 2);
        reply_integer(c, x->time_s);
        reply_integer(c, x->ms);
    }
    reply_deferred_array(c, handle, n);
}

static void latency_reset(struct client *c)
{
    struct latency *lat = c->srv->latency;
    long long n = 0;
    for (size_t i = 0; i < LATENCY_EVENTS_MAX; i++) {
        struct latency_series *s = &lat->series[i];
        if (!s->event) continue;
        bool is_named = c->argc == 2;
        for (size_t a = 2; a < c->argc && !is_named; a++)
            is_named = util_eq_nocase(c->argv[a].ptr, c->argv[a].len, s->event);
        if (!is_named) continue;
        memset(s, 0, sizeof *s);
        n++;
    }
    reply_integer(c, n);
}

/* GRAPH: our own layout: the header Redis prints, then one bar per sample, oldest first. */
static void latency_graph(struct client *c)
{
    const struct latency_series *s = series_find(c->srv->latency, c->argv[2].ptr, c->argv[2].len);
    if (!s) {
        reply_errorf(c, "ERR No samples available for event '%.*s'", (int)MIN(c->argv[2].len, 128),
                     c->argv[2].ptr);
        return;
    }
    uint32_t hi = 0, lo = UINT32_MAX;
    int cursor = 0;
    for (const struct latency_sample *x; (x = series_at(s, &cursor));) {
        hi = MAX(hi, x->ms);
        lo = MIN(lo, x->ms);
    }
    struct buf out;
    buf_init(&out);
    buf_printf(&out, "%s - high %u ms, low %u ms (all time high %u ms)\n", s->event, hi, lo,
               s->max_ms);
    buf_append_str(&out, "--------------------------------------------------------------------"
                         "------------\n");
    int64_t now_s = server_now_ms(c->srv) / 1000;
    cursor = 0;
    for (const struct latency_sample *x; (x = series_at(s, &cursor));) {
        int width = hi ? (int)((uint64_t)x->ms * 60 / hi) : 0;
        buf_printf(&out, "%6llds ago |%.*s %u ms\n", (long long)(now_s - x->time_s), MAX(width, 1),
                   "############################################################", x->ms);
    }
    reply_verbatim(c, out.data, out.len);
    buf_free(&out);
}

/* DOCTOR: a short report in our words: each event's spikes, and what to look at. */
static void latency_doctor(struct client *c)
{
    struct latency *lat = c->srv->latency;
    struct buf out;
    buf_init(&out);
    int k = 0;
    for (size_t i = 0; i < LATENCY_EVENTS_MAX; i++) {
        const struct latency_series *s = &lat->series[i];
        if (!s->event) continue;
        uint64_t sum = 0, count = 0;
        int cursor = 0;
        for (const struct latency_sample *x; (x = series_at(s, &cursor)); count++) sum += x->ms;
        if (k++ == 0) buf_append_str(&out, "Latency spikes seen by this instance:\n\n");
        buf_printf(&out, "%d. %s: %llu spikes, average %llu ms, worst %u ms.\n", k, s->event,
                   (unsigned long long)count, (unsigned long long)(count ? sum / count : 0),
                   s->max_ms);
    }
    if (k == 0) {
        buf_printf(&out, "No latency spike has been seen since this instance started%s.\n",
                   c->srv->cfg.latency_monitor_threshold > 0
                       ? ""
                       : " (the monitor is off: set latency-monitor-threshold)");
    } else {
        buf_append_str(&out, "\nSee SLOWLOG GET for the slow commands themselves; a slow fork "
                             "or fsync points at the machine (memory size, disk), a slow expire "
                             "or eviction cycle at large keys being freed.\n");
    }
    reply_verbatim(c, out.data, out.len);
    buf_free(&out);
}

/* ---- histograms ---- */

/* The power-of-two range of v us: 0 for 1, k for (2^(k-1), 2^k]. */
static int hist_range(uint64_t v) { return v <= 1 ? 0 : 64 - __builtin_clzll(v - 1); }

static size_t hist_bucket(uint64_t v)
{
    if (v < 1) v = 1;
    if (v > (1ULL << (HIST_RANGES - 1))) v = 1ULL << (HIST_RANGES - 1);
    int k = hist_range(v);
    if (k == 0) return 0;
    uint64_t low = 1ULL << (k - 1); /* the range is (low, 2 * low] */
    return (size_t)k * HIST_SUB + (size_t)(((v - low - 1) * HIST_SUB) >> (k - 1));
}

/* The highest value bucket b holds. */
static uint64_t hist_bucket_top(size_t b)
{
    int k = (int)(b / HIST_SUB), sub = (int)(b % HIST_SUB);
    if (k == 0) return 1;
    uint64_t low = 1ULL << (k - 1);
    return low + (((uint64_t)(sub + 1) << (k - 1)) + HIST_SUB - 1) / HIST_SUB;
}

static struct latency_hist *hist_find(struct latency *lat, const char *name, size_t len)
{
    for (size_t i = 0; i < lat->nhists; i++)
        if (util_eq_nocase(name, len, lat->hists[i]->name)) return lat->hists[i];
    return NULL;
}

/* The histogram of "family|name" (or "name"), made on its first call; NULL past the bound. */
static struct latency_hist *hist_by_name(struct latency *lat, const char *family, const char *name)
{
    char full[HIST_NAME_LEN];
    int len = family ? snprintf(full, sizeof full, "%s|%s", family, name)
                     : snprintf(full, sizeof full, "%s", name);
    if (len < 0 || (size_t)len >= sizeof full) return NULL;
    struct latency_hist *h = hist_find(lat, full, (size_t)len);
    if (!h) {
        if (lat->nhists == HIST_COMMANDS) return NULL; /* bounded: later commands go untracked */
        h = lat->hists[lat->nhists++] = xcalloc(1, sizeof *h);
        memcpy(h->name, full, (size_t)len + 1);
    }
    return h;
}

void latency_record_command(struct server *srv, const void *entry, const char *family,
                            const char *name, int64_t duration_us)
{
    if (!srv->cfg.latency_tracking || !srv->latency) return;
    struct latency *lat = srv->latency;
    size_t i = slot_of(lat, entry);
    struct latency_hist *h = lat->slot_hists[i];
    if (!lat->slot_keys[i]) {
        h = hist_by_name(lat, family, name);
        if (!h) return;
        lat->slot_keys[i] = entry;
        lat->slot_hists[i] = h;
    }
    h->calls++;
    h->counts[hist_bucket(duration_us > 0 ? (uint64_t)duration_us : 0)]++;
}

void latency_reset_histograms(struct server *srv)
{
    if (srv->latency) hists_free(srv->latency);
}

/* The value under which pct percent of the calls fall (the top of that bucket), in us. */
static uint64_t hist_percentile(const struct latency_hist *h, double pct)
{
    double exact = pct / 100.0 * (double)h->calls;
    uint64_t want = (uint64_t)exact, seen = 0;
    if ((double)want < exact || want == 0) want++;
    for (size_t b = 0; b < HIST_BUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= want) return hist_bucket_top(b);
    }
    return hist_bucket_top(HIST_BUCKETS - 1);
}

int latency_parse_percentiles(const char *text, double *out, size_t max, size_t *n, char *err,
                              size_t errlen)
{
    *n = 0;
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        char *end;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ' ') || !(v >= 0.0 && v <= 100.0)) {
            snprintf(err, errlen, "percentile must be between 0.0 and 100.0");
            return -1;
        }
        if (*n == max) {
            snprintf(err, errlen, "at most %zu percentiles", max);
            return -1;
        }
        out[(*n)++] = v;
        p = end;
    }
    return 0;
}

void latency_format_info(struct server *srv, struct buf *out)
{
    double pcts[PERCENTILES_MAX];
    size_t npcts = 0;
    char err[128];
    if (latency_parse_percentiles(srv->cfg.latency_tracking_info_percentiles, pcts, PERCENTILES_MAX,
                                  &npcts, err, sizeof err) != 0 ||
        !srv->latency)
        return;
    for (size_t i = 0; i < srv->latency->nhists; i++) {
        const struct latency_hist *h = srv->latency->hists[i];
        buf_printf(out, "latency_percentiles_usec_%s:", h->name);
        for (size_t p = 0; p < npcts; p++)
            buf_printf(out, "%sp%g=%.3f", p ? "," : "", pcts[p],
                       (double)hist_percentile(h, pcts[p]));
        buf_append_str(out, "\r\n");
    }
}

/* One command's entry: name => {calls, histogram_usec => {bound => cumulative count}}. */
static void reply_hist(struct client *c, const struct latency_hist *h)
{
    reply_bulk_str(c, h->name);
    reply_map(c, 2);
    reply_bulk_str(c, "calls");
    reply_integer(c, (long long)h->calls);
    reply_bulk_str(c, "histogram_usec");
    size_t handle = reply_deferred_begin(c), n = 0;
    uint64_t cumulative = 0, previous = 0;
    for (int k = 0; k < HIST_RANGES; k++) {
        for (int sub = 0; sub < HIST_SUB; sub++) cumulative += h->counts[k * HIST_SUB + sub];
        if (cumulative == previous) continue;
        reply_integer(c, 1LL << k);
        reply_integer(c, (long long)cumulative);
        previous = cumulative;
        n++;
    }
    reply_deferred_map(c, handle, n);
}

/* Does histogram h answer to name: the same name, or a subcommand's when the name is a family
 * ("client" stands for "client|pause" and the others). */
static bool hist_matches(const struct latency_hist *h, const struct resp_arg *name)
{
    if (util_eq_nocase(name->ptr, name->len, h->name)) return true;
    return strlen(h->name) > name->len && h->name[name->len] == '|' &&
           strncasecmp(h->name, name->ptr, name->len) == 0;
}

/* LATENCY HISTOGRAM [command ...]: every tracked command, or the named ones in the order
 * given; a name that has not run is left out, as Redis does. */
static void latency_histogram(struct client *c)
{
    struct latency *lat = c->srv->latency;
    size_t handle = reply_deferred_begin(c), n = 0;
    for (size_t a = 2; a < MAX(c->argc, 3); a++) {
        for (size_t i = 0; i < lat->nhists; i++) {
            if (c->argc > 2 && !hist_matches(lat->hists[i], &c->argv[a])) continue;
            reply_hist(c, lat->hists[i]);
            n++;
        }
    }
    reply_deferred_map(c, handle, n);
}

static void latency_help(struct client *c)
{
    static const char *const lines[] = {
        "LATENCY <subcommand> [<argument> ...], with <subcommand> one of:",
        "DOCTOR",
        "    A plain-language report on the latency events recorded so far.",
        "GRAPH <event>",
        "    An ASCII chart of the recent samples of <event>.",
        "HISTORY <event>",
        "    The samples kept for <event>, as [unix time, milliseconds] pairs.",
        "LATEST",
        "    For each event: when it last happened, its latency then, and its highest.",
        "RESET [<event> ...]",
        "    Forget the samples of the named events (of every event when none is named);",
        "    the reply is how many events were reset.",
        "HISTOGRAM [<command> ...]",
        "    For each command called so far (or each one named): its call count and its",
        "    cumulative latency histogram in microseconds.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command latency_subs[] = {
    {.name = "histogram", .arity = -2, .fn = latency_histogram},
    {.name = "graph", .arity = 3, .fn = latency_graph},
    {.name = "help", .arity = 2, .fn = latency_help},
    {.name = "doctor", .arity = 2, .fn = latency_doctor},
    {.name = "history", .arity = 3, .fn = latency_history},
    {.name = "reset", .arity = -2, .fn = latency_reset},
    {.name = "latest", .arity = 2, .fn = latency_latest},
    {.name = NULL},
};

static void cmd_latency(struct client *c) { command_dispatch_sub(c, latency_subs, "latency"); }

struct command cmd_table_latency[] = {
    {.name = "latency",
     .arity = -2,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .fn = cmd_latency,
     .subcommands = latency_subs,
     .group = "server"},
    {.name = NULL},
};
