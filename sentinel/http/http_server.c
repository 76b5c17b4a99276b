/* http_server: libmicrohttpd in external epoll mode on our loop (see http_server.h).
 *
 * Loop integration: MHD's epoll fd is watched for readability; MHD_run() runs when it is
 * readable, when the MHD timer fires (re-armed from MHD_get_timeout() after every run) and
 * after a wake (a zero-delay timer, so MHD_run is never re-entered from inside a callback).
 * Connection records (`struct http_conn`) live from the first access-handler call to the
 * later of "request completed" and "stream response freed" (a stream connection holds two
 * references), so neither MHD callback can see a freed record.
 * Slow clients: every TCP connection also has an http_guard record (MHD's socket context,
 * from NOTIFY_CONNECTION STARTED to CLOSED) that enforces the request deadline and the
 * pending-connection caps; MHD's own timeout is only an idle timeout. */
#include "sentinel/http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/util.h"
#include "sentinel/http/http_guard.h"
#include "sentinel/http/http_tls.h"

#define HTTP_PATH_MAX 1024
#define HTTP_STREAM_BLOCK 4096
#define HTTP_MAX_TIMER_MS 1000

struct http_conn {
    struct http_server *h;
    struct MHD_Connection *mhd;
    struct http_conn *prev, *next; /* the server's list of live records */
    int refs;                      /* 1, or 2 while a stream response exists */
    bool is_suspended;
    bool is_completed;
    char method[16];
    char path[HTTP_PATH_MAX];
    struct buf body;
    bool body_too_large;
    char client_subject[256];
    struct http_request req;
    http_stream_read_fn stream_read;
    void *stream_ctx;
    void (*stream_free)(void *stream_ctx);
};

struct http_server {
    struct loop *loop;
    struct MHD_Daemon *d;
    int epfd;
    int port;
    uint64_t timer;      /* MHD's own timeout */
    uint64_t kick_timer; /* run MHD soon after a wake */
    bool is_stopping;
    http_handler_fn handler;
    void *ctx;
    struct http_conn *conns;
    struct http_guard *guard;
    struct http_tls_pem pem; /* HTTPS: what libmicrohttpd serves (it keeps the pointers) */
    const char *key_pass;    /* borrowed from the config, which outlives us */
    char bind[64];
};

void http_response_init(struct http_response *r)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->body);
}

void http_response_free(struct http_response *r) { buf_free(&r->body); }

const char *http_request_arg(const struct http_request *req, const char *key)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].key, key) == 0) return req->query[i].value;
    return NULL;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    if (req->conn == NULL || req->conn->is_completed) return NULL;
    return MHD_lookup_connection_value(req->conn->mhd, MHD_HEADER_KIND, name);
}

/* ---- running MHD from the loop ----------------------------------------------------------------
 */

static void run_mhd(struct http_server *h);

static int64_t on_mhd_timer(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    struct http_server *h = data;
    if (id == h->timer) h->timer = 0;
    if (id == h->kick_timer) h->kick_timer = 0;
    run_mhd(h);
    return LOOP_TIMER_STOP;
}

static void arm_timer(struct http_server *h)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (h->timer) loop_timer_cancel(h->loop, h->timer);
    h->timer = 0;
    if (MHD_get_timeout(h->d, &ms) != MHD_YES) return;
    int64_t delay = ms > HTTP_MAX_TIMER_MS ? HTTP_MAX_TIMER_MS : (int64_t)ms;
    h->timer = loop_timer_add(h->loop, delay, on_mhd_timer, h);
}

static void run_mhd(struct http_server *h)
{
    if (h->d == NULL) return;
    MHD_run(h->d);
    http_guard_after_run(h->guard);
    arm_timer(h);
}

static void on_epoll_ready(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(l);
    UNUSED(fd);
    UNUSED(mask);
    run_mhd(data);
}

static void kick(struct http_server *h)
{
    if (h->kick_timer == 0 && !h->is_stopping)
        h->kick_timer = loop_timer_add(h->loop, 0, on_mhd_timer, h);
}

static void kick_cb(void *h) { kick(h); }

/* ---- the guard's view of connections ------------------------------------------------------------
 */

static struct http_guard_conn *guard_conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        http_guard_on_close(h->guard, *socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ad =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (fd == NULL) return;
    *socket_context = http_guard_on_open(h->guard, fd->connect_fd, ad ? ad->client_addr : NULL);
}

/* ---- connection records ------------------------------------------------------------------------
 */

static struct http_conn *conn_new(struct http_server *h, struct MHD_Connection *c,
                                  const char *method, const char *url)
{
    struct http_conn *hc = xcalloc(1, sizeof(*hc));
    hc->h = h;
    hc->mhd = c;
    hc->refs = 1;
    buf_init(&hc->body);
    snprintf(hc->method, sizeof(hc->method), "%s", method);
    snprintf(hc->path, sizeof(hc->path), "%s", url);
    size_t n = strlen(hc->path);
    if (n > 1 && hc->path[n - 1] == '/') hc->path[n - 1] = '\0';
    hc->next = h->conns;
    if (h->conns) h->conns->prev = hc;
    h->conns = hc;
    return hc;
}

static void conn_unref(struct http_conn *hc)
{
    if (--hc->refs > 0) return;
    struct http_server *h = hc->h;
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        h->conns = hc->next;
    if (hc->next) hc->next->prev = hc->prev;
    buf_free(&hc->body);
    free(hc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *h = cls;
    /* Keep-alive: the next request gets its own deadline, counted from now. */
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !h->is_stopping)
        http_guard_request_done(h->guard, guard_conn_of(c));
    struct http_conn *hc = *req_cls;
    if (hc == NULL) return;
    *req_cls = NULL;
    hc->is_completed = true;
    hc->is_suspended = false;
    if (hc->req.park_free && hc->req.park_state) hc->req.park_free(hc->req.park_state);
    hc->req.park_state = NULL;
    conn_unref(hc);
}

void http_server_wake(struct http_conn *hc)
{
    if (hc == NULL || !hc->is_suspended || hc->is_completed) return;
    hc->is_suspended = false;
    hc->req.is_resumed = true;
    MHD_resume_connection(hc->mhd);
    kick(hc->h);
}

/* ---- streams ------------------------------------------------------------------------------------
 */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    UNUSED(pos);
    struct http_conn *hc = cls;
    if (hc->is_completed || hc->h->is_stopping) return MHD_CONTENT_READER_END_OF_STREAM;
    ssize_t n = hc->stream_read(hc->stream_ctx, buf, max);
    if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
    if (n == 0) {
        /* Nothing to send: sleep until http_server_wake (returning 0 alone would spin). */
        MHD_suspend_connection(hc->mhd);
        hc->is_suspended = true;
    }
    return n;
}

static void stream_freed(void *cls)
{
    struct http_conn *hc = cls;
    if (hc->stream_free) hc->stream_free(hc->stream_ctx);
    hc->stream_free = NULL;
    hc->stream_ctx = NULL;
    conn_unref(hc);
}

/* ---- dispatch -----------------------------------------------------------------------------------
 */

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    UNUSED(kind);
    struct http_request *req = cls;
    if (req->n_query >= HTTP_MAX_QUERY) {
        req->has_too_many_args = true;
        return MHD_NO;
    }
    req->query[req->n_query].key = key ? key : "";
    req->query[req->n_query].value = value ? value : "";
    req->n_query++;
    return MHD_YES;
}

static void fill_request(struct http_conn *hc)
{
    struct http_request *req = &hc->req;
    req->method = hc->method;
    req->path = hc->path;
    req->n_query = 0;
    req->has_too_many_args = false;
    MHD_get_connection_values(hc->mhd, MHD_GET_ARGUMENT_KIND, collect_arg, req);
    req->authorization = MHD_lookup_connection_value(hc->mhd, MHD_HEADER_KIND, "Authorization");
    req->last_event_id = MHD_lookup_connection_value(hc->mhd, MHD_HEADER_KIND, "Last-Event-ID");
    req->origin = MHD_lookup_connection_value(hc->mhd, MHD_HEADER_KIND, "Origin");
    req->content_type = MHD_lookup_connection_value(hc->mhd, MHD_HEADER_KIND, "Content-Type");
    req->body = hc->body.data ? hc->body.data : "";
    req->body_len = hc->body.len;
    req->body_too_large = hc->body_too_large;
    req->conn = hc;
    req->client_subject = NULL;
    if (hc->h->pem.ca) {
        http_tls_client_subject(hc->mhd, hc->client_subject, sizeof(hc->client_subject));
        if (hc->client_subject[0]) req->client_subject = hc->client_subject;
    }
}

static void add_common_headers(struct MHD_Response *r, const struct http_response *resp)
{
    MHD_add_response_header(r, "Content-Type",
                            resp->content_type ? resp->content_type : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    /* Lets vigilctl tell a sentinel from another HTTP server on a mistyped port. */
    MHD_add_response_header(r, "Server", "vigil-sentinel");
    if (resp->allow[0]) MHD_add_response_header(r, "Allow", resp->allow);
    if (resp->is_auth_challenge) MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
}

static enum MHD_Result queue_buffer(struct http_conn *hc, struct http_response *resp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        resp->body.len, resp->body.data ? resp->body.data : (char *)"", MHD_RESPMEM_MUST_COPY);
    if (r == NULL) return MHD_NO;
    add_common_headers(r, resp);
    enum MHD_Result rc = MHD_queue_response(hc->mhd, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result queue_stream(struct http_conn *hc, struct http_response *resp)
{
    hc->stream_read = resp->stream_read;
    hc->stream_ctx = resp->stream_ctx;
    hc->stream_free = resp->stream_free;
    hc->refs++; /* released by stream_freed */
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK,
                                                               stream_reader, hc, stream_freed);
    if (r == NULL) {
        stream_freed(hc);
        return MHD_NO;
    }
    add_common_headers(r, resp);
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    /* A stream is idle for long stretches by design. */
    MHD_set_connection_option(hc->mhd, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    enum MHD_Result rc = MHD_queue_response(hc->mhd, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result dispatch(struct http_conn *hc)
{
    struct http_server *h = hc->h;
    struct http_response resp;
    http_response_init(&resp);
    http_guard_request_read(h->guard, guard_conn_of(hc->mhd));
    fill_request(hc);
    if (h->is_stopping) {
        resp.kind = HTTP_RESP_BUFFER;
        resp.status = 503;
        buf_append_str(&resp.body, "{\"error\":\"unavailable\",\"reason\":\"shutting down\"}");
    } else {
        h->handler(h->ctx, &hc->req, &resp);
    }
    enum MHD_Result rc = MHD_YES;
    switch (resp.kind) {
    case HTTP_RESP_PARK:
        MHD_suspend_connection(hc->mhd);
        hc->is_suspended = true;
        hc->req.is_resumed = false;
        break;
    case HTTP_RESP_STREAM:
        rc = queue_stream(hc, &resp);
        break;
    case HTTP_RESP_BUFFER:
        rc = queue_buffer(hc, &resp);
        break;
    case HTTP_RESP_NONE:
        resp.status = 500;
        buf_clear(&resp.body);
        buf_append_str(&resp.body, "{\"error\":\"internal\",\"reason\":\"no response\"}");
        rc = queue_buffer(hc, &resp);
        break;
    }
    http_response_free(&resp);
    return rc;
}

static bool content_length_too_large(struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    long long n;
    return cl != NULL && util_parse_ll(cl, strlen(cl), &n) == 0 && n > HTTP_MAX_BODY;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_size, void **req_cls)
{
    UNUSED(version);
    struct http_server *h = cls;
    struct http_conn *hc = *req_cls;
    if (hc == NULL) {
        hc = conn_new(h, c, method, url ? url : "/");
        *req_cls = hc;
        if (content_length_too_large(c)) {
            /* Answer at once; MHD discards the body and closes the connection. */
            hc->body_too_large = true;
            return dispatch(hc);
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (hc->body.len + *upload_size > HTTP_MAX_BODY)
            hc->body_too_large = true;
        else
            buf_append(&hc->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(hc);
}

/* ---- start and stop -----------------------------------------------------------------------------
 */

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    UNUSED(cls);
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    log_verbose("http: %s", msg);
}

/* listen_fd >= 0: serve that listening socket (a reload) instead of binding bind:port. */
static struct MHD_Daemon *start_daemon(struct http_server *h, const char *bind, int port,
                                       const char *key_pass, int listen_fd, char *err,
                                       size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "http.bind: '%s' is not an IP address", bind);
        return NULL;
    }
    /* Where to listen, then the HTTPS options (none for plain HTTP). */
    struct MHD_OptionItem tls_opts[6];
    size_t n = 0;
    tls_opts[n++] = listen_fd >= 0
                        ? (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL}
                        : (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    if (h->pem.cert) {
        flags |= MHD_USE_TLS;
        tls_opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->pem.cert};
        tls_opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->pem.key};
        if (key_pass && key_pass[0])
            tls_opts[n++] =
                (struct MHD_OptionItem){MHD_OPTION_HTTPS_KEY_PASSWORD, 0, (void *)key_pass};
        if (h->pem.ca)
            tls_opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, h->pem.ca};
    }
    tls_opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_access, h, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)HTTP_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)HTTP_MAX_CONNECTIONS_PER_ADDR, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
        MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (d == NULL) snprintf(err, errlen, "cannot listen on %s:%d", bind, port);
    return d;
}

static int daemon_watch(struct http_server *h, char *err, size_t errlen)
{
    const union MHD_DaemonInfo *ep = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->epfd = ep ? ep->epoll_fd : -1;
    if (h->epfd < 0 || loop_watch(h->loop, h->epfd, LOOP_READABLE, on_epoll_ready, h) != 0) {
        snprintf(err, errlen, "cannot watch the HTTP server's epoll descriptor");
        return -1;
    }
    arm_timer(h);
    return 0;
}

struct http_server *http_server_start(struct loop *l, const char *bind, int port,
                                      int64_t request_timeout_ms, const struct http_tls_files *tls,
                                      http_handler_fn handler, void *ctx, char *err, size_t errlen)
{
    struct http_server *h = xcalloc(1, sizeof(*h));
    const bool is_https = tls && tls->cert_file && tls->cert_file[0];
    if (is_https && http_tls_load(tls, &h->pem, err, errlen) != 0) {
        free(h);
        return NULL;
    }
    h->loop = l;
    h->handler = handler;
    h->ctx = ctx;
    h->guard = http_guard_create(l, request_timeout_ms, kick_cb, h);
    snprintf(h->bind, sizeof(h->bind), "%s", bind);
    h->key_pass = is_https ? tls->key_pass : NULL;
    h->d = start_daemon(h, bind, port, h->key_pass, -1, err, errlen);
    if (h->d == NULL || daemon_watch(h, err, errlen) != 0) {
        if (h->d) MHD_stop_daemon(h->d);
        http_guard_destroy(h->guard);
        http_tls_pem_free(&h->pem);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *bp = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = bp ? bp->port : port;
    return h;
}

/* Stop serving: suspended requests are resumed so that libmicrohttpd can end them, and every
 * connection is closed (reported to the guard and the routes through the callbacks). */
static void daemon_close(struct http_server *h)
{
    h->is_stopping = true;
    for (struct http_conn *hc = h->conns; hc; hc = hc->next) {
        if (!hc->is_suspended) continue;
        hc->is_suspended = false;
        MHD_resume_connection(hc->mhd);
    }
    loop_unwatch(h->loop, h->epfd, LOOP_READABLE);
    if (h->timer) loop_timer_cancel(h->loop, h->timer);
    if (h->kick_timer) loop_timer_cancel(h->loop, h->kick_timer);
    h->timer = h->kick_timer = 0;
    MHD_stop_daemon(h->d);
    h->d = NULL;
}

/* A new daemon on the same listening socket, so no client is refused while it changes: the
 * kernel keeps queueing connections on the socket, and the new daemon accepts them. */
static int restart_on_socket(struct http_server *h, int fd, const char *key_pass, char *err,
                             size_t errlen)
{
    h->is_stopping = false;
    h->d = start_daemon(h, h->bind, h->port, key_pass, fd, err, errlen);
    if (h->d == NULL) return -1;
    if (daemon_watch(h, err, errlen) == 0) return 0;
    MHD_stop_daemon(h->d);
    h->d = NULL;
    return -1;
}

int http_server_reload_tls(struct http_server *h, const struct http_tls_files *tls, char *err,
                           size_t errlen)
{
    if (h->pem.cert == NULL) return 0; /* plain HTTP */
    struct http_tls_pem next;
    if (http_tls_load(tls, &next, err, errlen) != 0) return -1;
    if (http_tls_check(&next, tls->key_pass, err, errlen) != 0) {
        http_tls_pem_free(&next);
        return -1;
    }
    MHD_socket fd = MHD_quiesce_daemon(h->d);
    if (fd == MHD_INVALID_SOCKET) {
        snprintf(err, errlen, "cannot take the listening socket over from the HTTP server");
        http_tls_pem_free(&next);
        return -1;
    }
    daemon_close(h);
    struct http_tls_pem old = h->pem;
    h->pem = next;
    if (restart_on_socket(h, fd, tls->key_pass, err, errlen) == 0) {
        http_tls_pem_free(&old);
        h->key_pass = tls->key_pass;
        return 0;
    }
    /* The new files passed our check but not libmicrohttpd's: serve the old ones again. */
    http_tls_pem_free(&h->pem);
    h->pem = old;
    char again[256];
    if (restart_on_socket(h, fd, h->key_pass, again, sizeof(again)) != 0) {
        log_warning("http: the HTTPS server could not be started again (%s); the API is down",
                    again);
        close(fd);
    }
    return -1;
}

void http_server_stop(struct http_server *h)
{
    if (h == NULL) return;
    if (h->d) daemon_close(h); /* reports every connection closed to the guard */
    http_guard_destroy(h->guard);
    http_tls_pem_free(&h->pem);
    free(h);
}

int http_server_port(const struct http_server *h) { return h->port; }

void http_server_guard_stats(const struct http_server *h, uint64_t *closed_timeout,
                             uint64_t *closed_evicted)
{
    struct http_guard_stats st = http_guard_stats(h->guard);
    *closed_timeout = st.closed_timeout;
    *closed_evicted = st.closed_evicted;
}
