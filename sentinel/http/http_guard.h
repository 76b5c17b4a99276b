/* http_guard: admission control for the HTTP server's connections against slow clients
 * ("slowloris": many connections that trickle a request one byte at a time).
 *
 * Why: libmicrohttpd's connection timeout is an idle timeout, reset by every byte, so a client
 * sending one header byte every 2 s holds a connection forever, and 256 of them lock out
 * health checks, discovery and HAProxy. The guard tracks every connection while it is
 * *pending* (between its accept, or the end of its previous request, and the moment its
 * request head and body are complete) in one FIFO, oldest first, and:
 *   - closes a pending connection older than the request timeout (whatever it sends);
 *   - lets one client address have at most HTTP_GUARD_MAX_PENDING_PER_ADDR pending
 *     connections: past that, its oldest pending connections are closed;
 *   - lets the server have at most HTTP_GUARD_MAX_PENDING pending connections: past that, the
 *     oldest pending connections of any address are closed.
 * Caps only close connections that have had a whole server run to deliver their request
 * (http_guard_after_run) and have no complete request head waiting unread. Evicting the oldest
 * instead of refusing the newest is what keeps a health check answering under a flood from its own
 * address (127.0.0.1): a real request is read in the first run after its accept, long before it
 * becomes the oldest pending one. Connections that are not pending (a request being answered, a
 * parked long-poll, an event stream) are never touched here.
 *
 * "Close" is shutdown(fd, SHUT_RDWR): the server still owns the descriptor and notices EOF at
 * its next run, then reports the close (http_guard_on_close) and closes the fd itself; the
 * guard never closes a descriptor. kick() is called after a close so the server runs soon.
 * Bounded: one record per connection the server has open (the server's connection limit).
 * Ownership: records are owned by the guard, from http_guard_on_open to http_guard_on_close.
 */
#ifndef VIGIL_SENTINEL_HTTP_GUARD_H
#define VIGIL_SENTINEL_HTTP_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/loop.h"

#define HTTP_GUARD_MAX_PENDING_PER_ADDR 16
#define HTTP_GUARD_MAX_PENDING 64
#define HTTP_GUARD_DEFAULT_TIMEOUT_MS 5000
#define HTTP_GUARD_LOG_EVERY_MS 10000
#define HTTP_GUARD_PEEK_BYTES 2048 /* how far eviction looks for an unread request head */

struct http_guard;
struct http_guard_conn;

struct http_guard_stats {
    uint64_t closed_timeout; /* pending longer than the request timeout */
    uint64_t closed_evicted; /* oldest pending, to make room for a new connection */
};

/* timeout_ms <= 0 means HTTP_GUARD_DEFAULT_TIMEOUT_MS. kick(ctx) asks the server to run. */
struct http_guard *http_guard_create(struct loop *l, int64_t timeout_ms, void (*kick)(void *ctx),
                                     void *ctx);
void http_guard_destroy(struct http_guard *g);

/* A new connection on fd from addr (may be NULL): pending from now. May close older ones. */
struct http_guard_conn *http_guard_on_open(struct http_guard *g, int fd,
                                           const struct sockaddr *addr);
/* Call after every run of the server: enforces the caps (see above). */
void http_guard_after_run(struct http_guard *g);
/* Its request head and body are complete: no deadline while it is answered. */
void http_guard_request_read(struct http_guard *g, struct http_guard_conn *c);
/* Its response is done and the connection stays open for another request: pending again. */
void http_guard_request_done(struct http_guard *g, struct http_guard_conn *c);
/* The server closed it: forget the record (c may be NULL). */
void http_guard_on_close(struct http_guard *g, struct http_guard_conn *c);

struct http_guard_stats http_guard_stats(const struct http_guard *g);

#endif
