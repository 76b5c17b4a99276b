/* reply: see reply.h. Every helper funnels through reply_buf(), which decides whether this
 * connection gets replies at all and queues it for the before-sleep flush. */
#include "common/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/conn.h"
#include "common/resp.h"
#include "common/util.h"

struct buf *reply_buf(struct client *cl)
{
    struct conn *c = conn_of(cl);
    if (c->flags & (CONN_NO_REPLY | CONN_REPLY_OFF | CONN_REPLY_SKIP)) return NULL;
    if (c->fd >= 0 && !(c->flags & CONN_PENDING_WRITE)) conn_queue_write(c);
    return &c->reply;
}

static int proto_of(struct client *c) { return conn_of(c)->proto; }

void reply_raw(struct client *c, const char *p, size_t n)
{
    struct buf *b = reply_buf(c);
    if (b) buf_append(b, p, n);
}

void reply_ok(struct client *c) { reply_raw(c, "+OK\r\n", 5); }

void reply_simple(struct client *c, const char *s)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_simple_str(b, s);
}

void reply_simple_lines(struct client *c, const char *const *lines, size_t n)
{
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) reply_simple(c, lines[i]);
}

void reply_error(struct client *c, const char *msg)
{
    conn_of(c)->set->stats.error_replies++;
    struct buf *b = reply_buf(c);
    if (b) resp_write_error_str(b, msg);
}

void reply_errorf(struct client *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_error(c, msg);
}

void reply_integer(struct client *c, long long v)
{
    struct buf *b = reply_buf(c);
    if (!b) return;
    if (v >= 0 && v <= 9) { /* the common :0 and :1 replies without formatting */
        char s[4] = {':', (char)('0' + v), '\r', '\n'};
        buf_append(b, s, 4);
        return;
    }
    resp_write_integer(b, v);
}

void reply_bulk(struct client *c, const char *p, size_t n)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_bulk(b, p, n);
}

void reply_bulk_str(struct client *c, const char *s) { reply_bulk(c, s, strlen(s)); }

void reply_bulk_ll(struct client *c, long long v)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_bulk_ll(b, v);
}

void reply_double(struct client *c, double v)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_double(b, proto_of(c), v);
}

void reply_null(struct client *c)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_null(b, proto_of(c));
}

void reply_null_array(struct client *c)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_null_array(b, proto_of(c));
}

void reply_bool(struct client *c, bool v)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_bool(b, proto_of(c), v);
}

void reply_array(struct client *c, size_t n)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_array_header(b, n);
}

void reply_map(struct client *c, size_t npairs)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_map_header(b, proto_of(c), npairs);
}

void reply_set(struct client *c, size_t n)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_set_header(b, proto_of(c), n);
}

void reply_push(struct client *c, size_t n)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_push_header(b, proto_of(c), n);
}

void reply_verbatim(struct client *c, const char *p, size_t n)
{
    struct buf *b = reply_buf(c);
    if (b) resp_write_verbatim(b, proto_of(c), p, n);
}

void reply_empty_array(struct client *c) { reply_raw(c, "*0\r\n", 4); }

size_t reply_deferred_begin(struct client *c) { return conn_of(c)->reply.len; }

static void deferred_insert(struct client *c, size_t handle, char type, size_t n)
{
    struct buf *b = reply_buf(c); /* also queues the flush when the aggregate is empty */
    if (!b) return;
    char hdr[32];
    int len = snprintf(hdr, sizeof hdr, "%c%zu\r\n", type, n);
    ASSERT(handle >= b->pos && handle <= b->len);
    buf_reserve(b, (size_t)len);
    memmove(b->data + handle + len, b->data + handle, b->len - handle);
    memcpy(b->data + handle, hdr, (size_t)len);
    buf_commit(b, (size_t)len);
}

void reply_deferred_array(struct client *c, size_t handle, size_t n)
{
    deferred_insert(c, handle, '*', n);
}

void reply_deferred_map(struct client *c, size_t handle, size_t npairs)
{
    if (proto_of(c) == 3)
        deferred_insert(c, handle, '%', npairs);
    else
        deferred_insert(c, handle, '*', npairs * 2);
}

void reply_deferred_set(struct client *c, size_t handle, size_t n)
{
    deferred_insert(c, handle, proto_of(c) == 3 ? '~' : '*', n);
}

void reply_subscription(struct client *c, const char *kind, const char *name, size_t len,
                        size_t count)
{
    reply_push(c, 3);
    reply_bulk_str(c, kind);
    if (name)
        reply_bulk(c, name, len);
    else
        reply_null(c);
    reply_integer(c, (long long)count);
}

void reply_message(struct client *c, const char *pattern, size_t plen, const char *channel,
                   size_t chlen, const char *msg, size_t len)
{
    reply_push(c, pattern ? 4 : 3);
    if (pattern) {
        reply_bulk(c, "pmessage", 8);
        reply_bulk(c, pattern, plen);
    } else {
        reply_bulk(c, "message", 7);
    }
    reply_bulk(c, channel, chlen);
    reply_bulk(c, msg, len);
}
