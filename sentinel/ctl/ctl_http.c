/* ctl_http: vigilctl's requests to the sentinels' HTTP API, through libcurl's easy interface
 * (a CLI may block), trying each configured sentinel in turn.
 *
 * Fail-over rule: a connection error or a 5xx moves on to the next sentinel (that one may be
 * down, partitioned or in TILT, and another may answer safely); a 2xx or 4xx is final (every
 * sentinel would give the same 4xx: bad token, unknown master, conflicting operation). A POST is
 * only retried elsewhere when it certainly did not reach the first sentinel (nothing was sent),
 * so a slow switchover is never started twice.
 *
 * Invariants: answers are bounded (CTL_MAX_BODY_BYTES); proxies from the environment are not
 * used (sentinels are internal addresses, and an http_proxy variable must not intercept them);
 * the token is sent only in an Authorization header, never in a URL or a message.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/ctl/ctl.h"
#include "sentinel/ctl/ctl_format.h"

struct ctl_http {
    const struct ctl_opts *o;
    CURL *curl;
    struct buf *sink; /* where the answer being read goes */
    bool too_large;   /* the answer being read passed CTL_MAX_BODY_BYTES */
};

struct ctl_http *ctl_http_create(const struct ctl_opts *o)
{
    struct ctl_http *h = xcalloc(1, sizeof(*h));
    h->o = o;
    h->curl = curl_easy_init();
    if (!h->curl) util_panic("vigilctl: libcurl could not create a handle");
    return h;
}

void ctl_http_destroy(struct ctl_http *h)
{
    if (!h) return;
    curl_easy_cleanup(h->curl);
    free(h);
}

const struct ctl_opts *ctl_http_opts(const struct ctl_http *h) { return h->o; }

void ctl_response_free(struct ctl_response *r)
{
    buf_free(&r->body);
    cJSON_Delete(r->json);
    r->json = NULL;
}

void ctl_http_escape(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    ASSERT(cap > 0);
    for (; *s && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
    }
    out[n] = '\0';
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct ctl_http *h = ud;
    struct buf *b = h->sink;
    size_t n = size * nmemb;
    if (b->len + n > CTL_MAX_BODY_BYTES) {
        h->too_large = true;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    buf_append(b, p, n);
    return n;
}

/* A short, lowercase reason for a transport failure. */
static void transport_reason(struct ctl_http *h, CURLcode rc, char *out, size_t cap)
{
    long os_errno = 0;
    curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
    if (h->too_large)
        snprintf(out, cap, "answer larger than %u bytes", CTL_MAX_BODY_BYTES);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(out, cap, "no answer within %lld ms", (long long)h->o->timeout_ms);
    else if (rc == CURLE_COULDNT_RESOLVE_HOST)
        snprintf(out, cap, "cannot resolve the host name");
    else if (os_errno != 0)
        snprintf(out, cap, "%s", strerror((int)os_errno));
    else
        snprintf(out, cap, "%s", curl_easy_strerror(rc));
    if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z')) out[0] += 'a' - 'A';
}

static void set_request(struct ctl_http *h, const char *url, const char *method, const char *body,
                        struct curl_slist *hdrs, struct buf *out)
{
    CURL *c = h->curl;
    curl_easy_reset(c); /* keeps the connection cache */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->o->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->o->timeout_ms);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vigilctl");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    ctl_http_setup_tls(c, h->o);
    h->sink = out;
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        if (strcmp(method, "GET") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
}

const char *ctl_http_scheme(const struct ctl_opts *o) { return o->cacert ? "https" : "http"; }

/* Verification stays on (peer and host name); the CA is the operator's, never "insecure". */
void ctl_http_setup_tls(void *curl, const struct ctl_opts *o)
{
    if (o->cacert) curl_easy_setopt(curl, CURLOPT_CAINFO, o->cacert);
    if (o->cert) curl_easy_setopt(curl, CURLOPT_SSLCERT, o->cert);
    if (o->key) curl_easy_setopt(curl, CURLOPT_SSLKEY, o->key);
}

/* "http(s)://host:port" + path; host in brackets when it is an IPv6 address. */
void ctl_http_url(const struct ctl_opts *o, const char *hostport, const char *path, char *url,
                  size_t cap)
{
    const char *scheme = ctl_http_scheme(o);
    char host[256];
    int port;
    if (ctl_parse_hostport(hostport, host, sizeof(host), &port) < 0)
        snprintf(url, cap, "%s://%s%s", scheme, hostport, path); /* validated earlier */
    else if (strchr(host, ':'))
        snprintf(url, cap, "%s://[%s]:%d%s", scheme, host, port, path);
    else
        snprintf(url, cap, "%s://%s:%d%s", scheme, host, port, path);
}

int ctl_http_one(struct ctl_http *h, size_t sentinel, const char *method, const char *path,
                 const char *body, struct ctl_response *r)
{
    ASSERT(sentinel < h->o->n_sentinels);
    char url[1024], auth[1200];
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (body) hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (h->o->token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h->o->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    ctl_response_free(r);
    r->status = 0;
    r->is_foreign = false;
    r->error[0] = '\0';
    r->sentinel = sentinel;
    h->too_large = false;
    ctl_http_url(h->o, h->o->sentinels[sentinel], path, url, sizeof(url));
    set_request(h, url, method, body, hdrs, &r->body);
    CURLcode rc = curl_easy_perform(h->curl);
    curl_slist_free_all(hdrs);
    explicit_bzero(auth, sizeof(auth));
    if (rc != CURLE_OK) {
        transport_reason(h, rc, r->error, sizeof(r->error));
        bool odd = rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_GOT_NOTHING ||
                   rc == CURLE_RECV_ERROR || rc == CURLE_UNSUPPORTED_PROTOCOL;
        if (odd && ctl_probe_is_resp(h->o->sentinels[sentinel], h->o->timeout_ms)) {
            r->is_foreign = true;
            snprintf(r->error, sizeof(r->error),
                     "this is a RESP port (a sentinel's or a Redis node's), not a sentinel's "
                     "HTTP API: use the port of the sentinel's `http:` section");
        }
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    r->json = r->body.len ? cJSON_ParseWithLength(r->body.data, r->body.len) : NULL;
    struct curl_header *server = NULL;
    const char *server_value = NULL;
    if (curl_easy_header(h->curl, "Server", 0, CURLH_HEADER, -1, &server) == CURLHE_OK)
        server_value = server->value;
    if (!ctl_probe_is_vigil_answer(server_value, r->json)) {
        r->is_foreign = true;
        snprintf(r->error, sizeof(r->error),
                 "an HTTP server answered (HTTP %ld%s%.100s) but it is not a Vigil sentinel's "
                 "HTTP API: use the port of the sentinel's `http:` section",
                 status, server_value ? ", Server: " : "", server_value ? server_value : "");
        return -1;
    }
    r->status = (int)status;
    return 0;
}

/* Whether any byte of the last request left this process. */
static bool request_was_sent(struct ctl_http *h)
{
    long sent = 0;
    return curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent > 0;
}

/* Appends "addr: why" to a list of reasons, bounded by the size of ctl_response.error. */
static void add_reason(struct buf *list, const char *addr, const char *why)
{
    if (list->len < sizeof(((struct ctl_response *)0)->error))
        buf_printf(list, "%s%s: %s", list->len ? ", " : "", addr, why);
}

/* "HTTP 503: no majority (reason)" from an error answer. */
static void answer_reason(const struct ctl_response *r, char *out, size_t cap)
{
    const char *err = ctl_json_str(r->json, "error"), *why = ctl_json_str(r->json, "reason");
    if (err && why && strcmp(err, why) != 0)
        snprintf(out, cap, "HTTP %d: %s (%s)", r->status, err, why);
    else if (err || why)
        snprintf(out, cap, "HTTP %d: %s", r->status, err ? err : why);
    else
        snprintf(out, cap, "HTTP %d", r->status);
}

int ctl_http_any(struct ctl_http *h, const char *method, const char *path, const char *body,
                 struct ctl_response *r)
{
    char why[400];
    struct buf reasons = {0};
    struct ctl_response last5xx = {0};
    bool is_post = strcmp(method, "GET") != 0;
    for (size_t i = 0; i < h->o->n_sentinels; i++) {
        const char *addr = h->o->sentinels[i];
        if (ctl_http_one(h, i, method, path, body, r) < 0) {
            add_reason(&reasons, addr, r->error);
            if (is_post && !r->is_foreign && request_was_sent(h)) {
                buf_clear(&reasons);
                add_reason(&reasons, addr, r->error);
                buf_append_str(&reasons, " after the request was sent: it may have taken effect");
                r->status = -1;
                break;
            }
            continue;
        }
        if (r->status < 500) {
            ctl_response_free(&last5xx);
            buf_free(&reasons);
            return 0;
        }
        answer_reason(r, why, sizeof(why));
        add_reason(&reasons, addr, why);
        ctl_response_free(&last5xx);
        last5xx = *r; /* keep the last 5xx answer for the caller; r is reset by the next try */
        memset(&r->body, 0, sizeof(r->body));
        r->json = NULL;
    }
    if (last5xx.status && r->status != -1) {
        ctl_response_free(r);
        *r = last5xx;
    } else {
        ctl_response_free(&last5xx);
    }
    snprintf(r->error, sizeof(r->error), "%.*s", (int)MIN(reasons.len, sizeof(r->error) - 1),
             reasons.data ? reasons.data : "");
    buf_free(&reasons);
    return -1;
}

void ctl_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vigilctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int fail_auth(const struct ctl_opts *o, const char *addr, const char *why)
{
    if (!o->token)
        ctl_err("sentinel %s requires a token (%s); pass --token T, set VIGIL_TOKEN, or put "
                "`token:` in the vigilctl config file",
                addr, why);
    else
        ctl_err("sentinel %s refused the token from %s (%s); check it against the sentinel's "
                "http.token",
                addr, o->token_from, why);
    return CTL_EXIT_AUTH;
}

int ctl_http_fail(const struct ctl_opts *o, const struct ctl_response *r, const char *what)
{
    char why[400];
    const char *addr = o->sentinels[r->sentinel];
    if (r->status == -1) {
        ctl_err("%s; check with `vigilctl status`", r->error);
        return CTL_EXIT_FAILED;
    }
    if (r->status == 0) {
        ctl_err("no sentinel reachable at %s; pass --sentinel host:port or set VIGIL_SENTINELS",
                r->error);
        return CTL_EXIT_UNREACHABLE;
    }
    answer_reason(r, why, sizeof(why));
    switch (r->status) {
    case 401:
    case 403:
        return fail_auth(o, addr, why);
    case 404:
        ctl_err("sentinel %s does not know %s (%s); `vigilctl status` lists the monitored "
                "masters",
                addr, what, why);
        return CTL_EXIT_FAILED;
    case 400:
        ctl_err("sentinel %s refused the request (%s); check the arguments against `vigilctl "
                "help` and `vigilctl status`",
                addr, why);
        return CTL_EXIT_USAGE;
    case 409:
        ctl_err("sentinel %s: %s is busy (%s); wait for the running operation (`vigilctl watch`) "
                "and retry",
                addr, what, why);
        return CTL_EXIT_FAILED;
    default:
        break;
    }
    if (r->status >= 500)
        ctl_err("no sentinel could answer safely about %s: %s; check that a majority of the "
                "sentinels is up and can reach each other",
                what, r->error);
    else
        ctl_err("sentinel %s answered %s; this vigilctl may not match the sentinel's version", addr,
                why);
    return CTL_EXIT_FAILED;
}

void ctl_print_json(const struct ctl_response *r)
{
    fwrite(r->body.data ? r->body.data : "", 1, r->body.len, stdout);
    if (r->body.len == 0 || r->body.data[r->body.len - 1] != '\n') fputc('\n', stdout);
    fflush(stdout);
}

void ctl_flush(struct buf *out)
{
    fwrite(out->data ? out->data : "", 1, out->len, stdout);
    fflush(stdout);
    buf_clear(out);
}
