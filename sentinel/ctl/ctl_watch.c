/* ctl_watch: `vigilctl watch [NAME] [--count N] [--for D]`: the sentinels' live events
 * (GET /v1/events, server-sent events, one JSON object per event), one line each.
 *
 *   connect to sentinel i --200--> stream: each event -> one line (filtered by NAME)
 *        |  refused/5xx                 | stream ends or breaks (a stream that lasted less
 *        v                              v  than 2 s also backs off, so a flapping one never spins)
 *   next sentinel (i+1 mod n) <---------+      a whole round unreachable: back off
 *                                              (200 ms doubling to 2 s); give up with
 *                                              exit 3 after CTL_WATCH_GIVE_UP_MS
 *
 * The first round failing entirely exits 3 at once (a wrong address should fail fast). Event
 * ids are per sentinel: reconnecting to the sentinel that sent the last event resumes after it
 * (Last-Event-ID, nothing lost); on another sentinel the events of the gap are not replayed, and
 * stderr says so. A dead peer
 * that never closes the connection is found by TCP keepalive, not by a read timeout, because a
 * quiet group legitimately sends nothing for hours. A reader that went away (`| head -1`) ends
 * the watch within about a second, event or not (exit 0); SIGHUP, SIGTERM and SIGINT keep their
 * default action, so the process and its stream end with the terminal.
 */
#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/util.h"
#include "sentinel/ctl/ctl.h"
#include "sentinel/ctl/ctl_format.h"

#define CTL_WATCH_GIVE_UP_MS 60000
#define CTL_WATCH_BACKOFF_MIN_MS 200
#define CTL_WATCH_BACKOFF_MAX_MS 2000
#define CTL_WATCH_ERR_BYTES 4096

struct watch {
    const struct ctl_opts *o;
    CURL *curl;
    struct ctl_sse sse;
    struct buf out;
    struct buf err_body; /* a non-200 answer's body */
    long status;         /* HTTP status of the current stream, 0 until known */
    long long seen;      /* events printed */
    bool stop;           /* --count reached or reader gone: the transfer aborted on purpose */
    size_t current;      /* the sentinel being read */
    char last_id[64];    /* SSE id of the last event read, from sentinel last_id_from */
    size_t last_id_from;
};

static void on_event(void *ud, const char *type, const char *data, size_t len)
{
    struct watch *w = ud;
    if (w->stop) return;
    snprintf(w->last_id, sizeof(w->last_id), "%s", w->sse.last_id); /* also for filtered ones */
    w->last_id_from = w->current;
    cJSON *ev = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(ev)) { /* keepalives and foreign events are not ours to show */
        cJSON_Delete(ev);
        return;
    }
    const char *master = ctl_json_str(ev, "master|name");
    if (w->o->n_args == 1 && (!master || strcmp(master, w->o->args[0]) != 0)) {
        cJSON_Delete(ev);
        return;
    }
    if (!ctl_json_get(ev, "type|event") && strcmp(type, "message") != 0)
        cJSON_AddStringToObject(ev, "type", type);
    if (w->o->json)
        buf_printf(&w->out, "%.*s\n", (int)len, data);
    else
        ctl_format_event(ev, w->o->color, &w->out);
    cJSON_Delete(ev);
    ctl_flush(&w->out);
    if (w->o->limit > 0 && ++w->seen >= w->o->limit) w->stop = true;
}

static size_t on_bytes(char *p, size_t size, size_t nmemb, void *ud)
{
    struct watch *w = ud;
    size_t n = size * nmemb;
    if (w->status == 0) curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->status);
    if (w->status != 200) {
        if (w->err_body.len + n <= CTL_WATCH_ERR_BYTES) buf_append(&w->err_body, p, n);
        return n;
    }
    ctl_sse_feed(&w->sse, p, n, on_event, w);
    return w->stop ? 0 : n; /* 0 ends the transfer */
}

/* True once nobody can read our output any more (`vigilctl watch | head -1` after head
 * exited: POLLERR on a pipe, POLLHUP on a socket). Checked while the stream is quiet too, so a
 * watch on a quiet group does not hold its stream at the sentinel forever. */
static bool stdout_is_gone(void)
{
    struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* libcurl calls this about once a second even when no byte arrives; non-zero aborts. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    UNUSED(dltotal);
    UNUSED(dlnow);
    UNUSED(ultotal);
    UNUSED(ulnow);
    struct watch *w = ud;
    if (!w->stop && stdout_is_gone()) w->stop = true;
    return w->stop ? 1 : 0;
}

/* One stream from one sentinel until it ends. Returns the curl code; w->status tells whether
 * the stream was ever open. */
static CURLcode watch_once(struct watch *w, size_t i, int64_t until_ms)
{
    char url[600], auth[1200], resume[100];
    ctl_http_url(w->o, w->o->sentinels[i], "/v1/events", url, sizeof(url));
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: text/event-stream");
    if (w->o->token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w->o->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (w->last_id[0] && w->last_id_from == i) { /* same sentinel: resume without a gap */
        snprintf(resume, sizeof(resume), "Last-Event-ID: %s", w->last_id);
        hdrs = curl_slist_append(hdrs, resume);
    }
    w->current = i;
    CURL *c = w->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vigilctl");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)w->o->timeout_ms);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 10L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 5L);
    if (until_ms > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)MAX(1, until_ms - clock_mono_ms()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_bytes);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
    ctl_http_setup_tls(c, w->o);
    w->status = 0;
    buf_clear(&w->err_body);
    ctl_sse_free(&w->sse);
    ctl_sse_init(&w->sse);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    explicit_bzero(auth, sizeof(auth));
    if (w->status == 0) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &w->status);
    return rc;
}

/* A final (4xx) answer: print it and return the exit code; -1 when the status is not final. */
static int watch_final_status(struct watch *w, size_t i)
{
    if (w->status < 400 || w->status >= 500) return -1;
    struct ctl_response r = {.status = (int)w->status, .sentinel = i};
    r.body = w->err_body;
    r.json = cJSON_ParseWithLength(w->err_body.data ? w->err_body.data : "", w->err_body.len);
    int rc = ctl_http_fail(w->o, &r, "the event stream");
    cJSON_Delete(r.json);
    return rc;
}

/* Why the last attempt ended, for the reconnect message. */
static void watch_reason(struct watch *w, CURLcode rc, char *out, size_t cap)
{
    long os_errno = 0;
    curl_easy_getinfo(w->curl, CURLINFO_OS_ERRNO, &os_errno);
    if (w->status >= 500)
        snprintf(out, cap, "HTTP %ld", w->status);
    else if (rc == CURLE_OK)
        snprintf(out, cap, "stream closed by the sentinel");
    else if (os_errno)
        snprintf(out, cap, "%s", strerror((int)os_errno));
    else
        snprintf(out, cap, "%s", curl_easy_strerror(rc));
    if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z')) out[0] += 'a' - 'A';
}

/* Sleeps ms, never past the --for deadline (until_ms, 0 = none). */
static void watch_pause(int64_t ms, int64_t until_ms)
{
    if (until_ms > 0) ms = MIN(ms, until_ms - clock_mono_ms());
    if (ms > 0) clock_sleep_ms(ms);
}

static int watch_loop(struct watch *w)
{
    const struct ctl_opts *o = w->o;
    int64_t until = o->for_ms > 0 ? clock_mono_ms() + o->for_ms : 0, down_since = clock_mono_ms();
    int64_t backoff = CTL_WATCH_BACKOFF_MIN_MS;
    size_t failed_in_row = 0, i = 0;
    bool ever_open = false;
    struct buf reasons = {0};
    char why[300];
    int rc = -1;
    while (rc < 0) {
        int64_t started = clock_mono_ms();
        CURLcode cc = watch_once(w, i, until);
        size_t next = (i + 1) % o->n_sentinels;
        if (w->stop || (until > 0 && clock_mono_ms() >= until)) {
            rc = CTL_EXIT_OK;
        } else if ((rc = watch_final_status(w, i)) < 0 && w->status == 200) {
            watch_reason(w, cc, why, sizeof(why));
            ever_open = true;
            failed_in_row = 0;
            down_since = clock_mono_ms();
            buf_clear(&reasons);
            ctl_err("event stream from %s ended (%s); reconnecting to %s%s", o->sentinels[i], why,
                    o->sentinels[next],
                    next == w->last_id_from && w->last_id[0]
                        ? ""
                        : " (events in the gap are not shown)");
            if (clock_mono_ms() - started <
                CTL_WATCH_BACKOFF_MAX_MS) { /* closing at once: no spin */
                watch_pause(backoff, until);
                backoff = MIN(backoff * 2, CTL_WATCH_BACKOFF_MAX_MS);
            } else {
                backoff = CTL_WATCH_BACKOFF_MIN_MS;
            }
        } else if (rc < 0) {
            watch_reason(w, cc, why, sizeof(why));
            failed_in_row++;
            if (reasons.len < 1024)
                buf_printf(&reasons, "%s%s: %s", reasons.len ? ", " : "", o->sentinels[i], why);
            if (ever_open && failed_in_row == 1)
                ctl_err("cannot reach %s (%s); trying %s", o->sentinels[i], why,
                        o->sentinels[next]);
            if (failed_in_row % o->n_sentinels == 0) {
                if (!ever_open || clock_mono_ms() - down_since >= CTL_WATCH_GIVE_UP_MS) {
                    ctl_err("no sentinel reachable at %s%s; pass --sentinel host:port or set "
                            "VIGIL_SENTINELS",
                            reasons.data, ever_open ? " (for a minute)" : "");
                    rc = CTL_EXIT_UNREACHABLE;
                }
                buf_clear(&reasons);
                watch_pause(backoff, until);
                backoff = MIN(backoff * 2, CTL_WATCH_BACKOFF_MAX_MS);
            }
        }
        i = next;
    }
    buf_free(&reasons);
    return rc;
}

/* `watch NAME` for a master no sentinel monitors would wait forever for nothing: ask first.
 * Only a 404 stops here; an unreachable or unsure sentinel is the watch loop's business. */
static int check_master_known(struct ctl_http *h, const char *name)
{
    char path[600], esc[400], what[450];
    ctl_http_escape(name, esc, sizeof(esc));
    snprintf(path, sizeof(path), "/v1/masters/%s", esc);
    snprintf(what, sizeof(what), "master %s", name);
    struct ctl_response r = {0};
    int rc = CTL_EXIT_OK;
    if (ctl_http_any(h, "GET", path, NULL, &r) == 0 && r.status == 404)
        rc = ctl_http_fail(ctl_http_opts(h), &r, what);
    ctl_response_free(&r);
    return rc;
}

int ctl_cmd_watch(struct ctl_http *h)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    if (o->n_args > 0) {
        int known = check_master_known(h, o->args[0]);
        if (known != CTL_EXIT_OK) return known;
    }
    struct watch w = {.o = o};
    w.curl = curl_easy_init();
    if (!w.curl) util_panic("vigilctl: libcurl could not create a handle");
    ctl_sse_init(&w.sse);
    int rc = watch_loop(&w);
    if (w.sse.dropped) ctl_err("%zu oversized events were skipped", w.sse.dropped);
    ctl_sse_free(&w.sse);
    buf_free(&w.out);
    buf_free(&w.err_body);
    curl_easy_cleanup(w.curl);
    return rc;
}
