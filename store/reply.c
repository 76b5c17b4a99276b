/* reply: see reply.h. Every helper funnels through reply_target(), which decides whether this
 * client gets replies at all (the master link and CLIENT REPLY OFF/SKIP do not) and queues the
 * client for the before-sleep flush. */
#include "store/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/resp.h"
#include "common/util.h"
#include "store/client.h"

static struct buf *reply_target(struct client *c)
{
    if (c->flags & (CLIENT_MASTER | CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)) return NULL;
    if (c->fd >= 0 && !(c->flags & CLIENT_PENDING_WRITE)) client_queue_write(c);
    return &c->reply;
}

void reply_raw(struct client *c, const char *p, size_t n)
{
    struct buf *b = reply_target(c);
    if (b) buf_append(b, p, n);
}

void reply_ok(struct client *c) { reply_raw(c, "+OK\r\n", 5); }

void reply_simple(struct client *c, const char *s)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_simple_str(b, s);
}

void reply_error(struct client *c, const char *msg)
{
    c->srv->stats.total_error_replies++;
    struct buf *b = reply_target(c);
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
    struct buf *b = reply_target(c);
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
    struct buf *b = reply_target(c);
    if (b) resp_write_bulk(b, p, n);
}

void reply_bulk_str(struct client *c, const char *s) { reply_bulk(c, s, strlen(s)); }

void reply_bulk_ll(struct client *c, long long v)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_bulk_ll(b, v);
}

void reply_double(struct client *c, double v)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_double(b, c->proto, v);
}

void reply_null(struct client *c)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_null(b, c->proto);
}

void reply_null_array(struct client *c)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_null_array(b, c->proto);
}

void reply_bool(struct client *c, bool v)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_bool(b, c->proto, v);
}

void reply_array(struct client *c, size_t n)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_array_header(b, n);
}

void reply_map(struct client *c, size_t npairs)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_map_header(b, c->proto, npairs);
}

void reply_set(struct client *c, size_t n)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_set_header(b, c->proto, n);
}

void reply_push(struct client *c, size_t n)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_push_header(b, c->proto, n);
}

void reply_verbatim(struct client *c, const char *p, size_t n)
{
    struct buf *b = reply_target(c);
    if (b) resp_write_verbatim(b, c->proto, p, n);
}

void reply_empty_array(struct client *c) { reply_raw(c, "*0\r\n", 4); }

size_t reply_deferred_begin(struct client *c) { return c->reply.len; }

static void deferred_insert(struct client *c, size_t handle, char type, size_t n)
{
    struct buf *b = reply_target(c); /* also queues the flush when the aggregate is empty */
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
    if (c->proto == 3)
        deferred_insert(c, handle, '%', npairs);
    else
        deferred_insert(c, handle, '*', npairs * 2);
}

void reply_deferred_set(struct client *c, size_t handle, size_t n)
{
    deferred_insert(c, handle, c->proto == 3 ? '~' : '*', n);
}

void reply_ks_error(struct client *c, int ks_err)
{
    switch (ks_err) {
    case KS_ERR_WRONGTYPE:
        reply_error(c, ERR_WRONGTYPE);
        break;
    case KS_ERR_NOT_INT:
        reply_error(c, ERR_NOT_INT);
        break;
    case KS_ERR_OVERFLOW:
        reply_error(c, ERR_OVERFLOW);
        break;
    case KS_ERR_NOT_FLOAT:
        reply_error(c, ERR_NOT_FLOAT);
        break;
    case KS_ERR_NAN:
        reply_error(c, "ERR increment would produce NaN or Infinity");
        break;
    case KS_ERR_TOO_BIG:
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        break;
    default:
        reply_errorf(c, "ERR internal error %d", ks_err);
        break;
    }
}

int arg_ll(struct client *c, const struct resp_arg *a, long long *out)
{
    if (util_parse_ll(a->ptr, a->len, out) == 0) return 0;
    reply_error(c, ERR_NOT_INT);
    return -1;
}

int arg_ll_range(struct client *c, const struct resp_arg *a, long long min, long long max,
                 const char *msg, long long *out)
{
    long long v;
    if (util_parse_ll(a->ptr, a->len, &v) != 0 || v < min || v > max) {
        reply_error(c, msg ? msg : ERR_NOT_INT);
        return -1;
    }
    *out = v;
    return 0;
}

int arg_double(struct client *c, const struct resp_arg *a, double *out)
{
    if (util_parse_double(a->ptr, a->len, out) == 0) return 0;
    reply_error(c, ERR_NOT_FLOAT);
    return -1;
}

bool arg_is(const struct resp_arg *a, const char *word)
{
    return util_eq_nocase(a->ptr, a->len, word);
}

void reply_simple_lines(struct client *c, const char *const *lines, size_t n)
{
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) reply_simple(c, lines[i]);
}
