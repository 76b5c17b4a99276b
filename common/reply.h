/* reply: what a command handler uses to answer its client, in both programs. Each helper appends
 * to the connection's reply buffer in the client's protocol (RESP2 or RESP3) and queues the
 * before-sleep flush; nothing here writes to a socket. Replies to a connection that takes none
 * (the store's master link, CLIENT REPLY OFF/SKIP) are dropped here, in one place, so handlers
 * never need to care. `c` is the program's client, whose first member is its struct conn. */
#ifndef VIGIL_COMMON_REPLY_H
#define VIGIL_COMMON_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct client;

void reply_ok(struct client *c);
void reply_simple(struct client *c, const char *s);
/* An array of simple strings: the HELP subcommands' replies. */
void reply_simple_lines(struct client *c, const char *const *lines, size_t n);
/* msg is the full error line without '-', e.g. "ERR syntax error". */
void reply_error(struct client *c, const char *msg);
void reply_errorf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_integer(struct client *c, long long v);
void reply_bulk(struct client *c, const char *p, size_t n);
void reply_bulk_str(struct client *c, const char *s);
void reply_bulk_ll(struct client *c, long long v);
void reply_double(struct client *c, double v); /* RESP3 double, RESP2 bulk */
void reply_null(struct client *c);             /* _ or $-1 */
void reply_null_array(struct client *c);       /* _ or *-1 */
void reply_bool(struct client *c, bool v);
void reply_array(struct client *c, size_t n);
void reply_map(struct client *c, size_t npairs);
void reply_set(struct client *c, size_t n);
void reply_push(struct client *c, size_t n);
void reply_verbatim(struct client *c, const char *p, size_t n); /* RESP3 txt, RESP2 bulk */
void reply_empty_array(struct client *c);
/* Raw protocol bytes (already encoded). */
void reply_raw(struct client *c, const char *p, size_t n);
/* The reply buffer, for writing with resp_write_*() directly, or NULL when c takes no replies;
 * the flush is already queued. */
struct buf *reply_buf(struct client *c);

/* Aggregates whose length is known only at the end (KEYS, SCAN): begin returns a handle, end
 * inserts the header. Nothing else may be deferred in between. */
size_t reply_deferred_begin(struct client *c);
void reply_deferred_array(struct client *c, size_t handle, size_t n);
void reply_deferred_map(struct client *c, size_t handle, size_t npairs);
void reply_deferred_set(struct client *c, size_t handle, size_t n);

/* Pub/sub: the (un)subscribe confirmation [kind, name or null, count], and a message to a
 * subscriber ([message, channel, msg] or [pmessage, pattern, channel, msg]); pushes in RESP3. */
void reply_subscription(struct client *c, const char *kind, const char *name, size_t len,
                        size_t count);
void reply_message(struct client *c, const char *pattern, size_t plen, const char *channel,
                   size_t chlen, const char *msg, size_t len);

#endif
