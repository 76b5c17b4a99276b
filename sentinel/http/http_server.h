/* http_server: libmicrohttpd driven from our event loop, behind plain request/response structs.
 *
 * Why: the sentinel's state may only be touched from its own loop thread. libmicrohttpd runs
 * here in "external polling" epoll mode: its epoll fd is watched by our loop, MHD_run() is
 * called when it is readable and when the timer MHD_get_timeout() asks for fires; no thread is
 * ever started. The route code (http_routes.c) sees only `struct http_request` and fills a
 * `struct http_response`, so it can be unit-tested without a socket.
 *
 * A handler answers in one of three ways:
 *   BUFFER  a complete response (status, content type, body);
 *   PARK    hold the request (long-poll): the connection is suspended until the route calls
 *           http_server_wake(req->conn); then the handler runs again with is_resumed set and
 *           req->park_state still attached (it answers, or parks again);
 *   STREAM  an endless body (server-sent events): read() is called for more bytes; it returns
 *           0 when it has nothing (the connection is suspended until http_server_wake), or -1
 *           to end the stream.
 * Lifetimes: park_state is released with park_free and the stream context with stream_free
 * when the connection ends (client gone, server stopping); after that the route must forget
 * req->conn. Everything is bounded: HTTP_MAX_CONNECTIONS (HTTP_MAX_CONNECTIONS_PER_ADDR per
 * client address), a deadline for each request's head and body (http_guard.h), HTTP_MAX_BODY
 * (larger bodies are read and dropped, and the request is marked body_too_large), HTTP_MAX_QUERY
 * arguments. Must not: call into the sentinel core (the routes do), or block.
 */
#ifndef VIGIL_SENTINEL_HTTP_SERVER_H
#define VIGIL_SENTINEL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/loop.h"

#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_QUERY 16
#define HTTP_MAX_CONNECTIONS 256
#define HTTP_MAX_CONNECTIONS_PER_ADDR 128 /* half the server for one client address */
#define HTTP_IDLE_TIMEOUT_S 60

struct http_server;
struct http_conn; /* one connection's request, owned by the server */

struct http_kv {
    const char *key;
    const char *value; /* "" for a key without '=' */
};

struct http_request {
    const char *method; /* "GET", "HEAD", "POST", ... */
    const char *path;   /* decoded path, no query, trailing '/' removed (except "/") */
    size_t n_query;
    struct http_kv query[HTTP_MAX_QUERY];
    bool has_too_many_args;
    const char *authorization;  /* header value or NULL */
    const char *last_event_id;  /* header value or NULL */
    const char *origin;         /* header value or NULL (browsers send it cross-origin) */
    const char *content_type;   /* header value or NULL */
    const char *client_subject; /* HTTPS: a client certificate's verified subject DN, or NULL */
    const char *body;
    size_t body_len;
    bool body_too_large;
    struct http_conn *conn; /* for http_server_wake (NULL in unit tests) */
    /* parking (long-poll) */
    bool is_resumed;
    void *park_state;
    void (*park_free)(void *park_state);
};

enum http_resp_kind { HTTP_RESP_NONE = 0, HTTP_RESP_BUFFER, HTTP_RESP_PARK, HTTP_RESP_STREAM };

/* > 0 bytes written, 0 nothing now (suspend), -1 end of stream. */
typedef ssize_t (*http_stream_read_fn)(void *ctx, char *buf, size_t max);

struct http_response {
    enum http_resp_kind kind;
    int status;
    const char *content_type; /* static string */
    struct buf body;
    char allow[48];         /* "Allow" header for 405, "" = none */
    bool is_auth_challenge; /* add WWW-Authenticate: Bearer (401) */
    http_stream_read_fn stream_read;
    void *stream_ctx;
    void (*stream_free)(void *stream_ctx);
};

void http_response_init(struct http_response *r);
void http_response_free(struct http_response *r);

/* The value of query argument `key`, or NULL. */
const char *http_request_arg(const struct http_request *req, const char *key);
/* The value of request header `name` (case-insensitive), or NULL (always NULL without a conn). */
const char *http_request_header(const struct http_request *req, const char *name);

typedef void (*http_handler_fn)(void *ctx, struct http_request *req, struct http_response *resp);

/* Listen on bind:port (port 0 = any free port) and serve from loop l; a request's head and body
 * must arrive within request_timeout_ms (<= 0: the default, see http_guard.h). NULL with err on
 * failure. */
struct http_tls_files;
/* tls: NULL (or no cert_file) for plain HTTP, else HTTPS with those files (http_tls.h). */
struct http_server *http_server_start(struct loop *l, const char *bind, int port,
                                      int64_t request_timeout_ms, const struct http_tls_files *tls,
                                      http_handler_fn handler, void *ctx, char *err, size_t errlen);
/* Resumes parked connections (their park_free runs), closes everything, frees h. */
void http_server_stop(struct http_server *h);
/* HTTPS: serve the certificate and key files read again (SIGHUP), on the same listening socket.
 * The files are checked first; if they do not work nothing changes and err says why (-1).
 * Open connections are closed (event streams and long polls reconnect); none is refused. */
struct http_tls_files;
int http_server_reload_tls(struct http_server *h, const struct http_tls_files *tls, char *err,
                           size_t errlen);
int http_server_port(const struct http_server *h);
/* Resume a parked request or a stream waiting for data. Safe to call for a connection that is
 * not suspended (no-op). Never call it after the connection's park_free / stream_free ran. */
void http_server_wake(struct http_conn *conn);
/* Connections closed by the slow-client guard so far (http_guard.h). */
void http_server_guard_stats(const struct http_server *h, uint64_t *closed_timeout,
                             uint64_t *closed_evicted);

#endif
