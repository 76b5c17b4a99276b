/* resp_write: encodes replies and commands into a struct buf. Each RESP3 type has a RESP2
 * fallback, chosen per call by the connection's `proto`, so command handlers write one reply and
 * old clients still understand it:
 *
 *   RESP3             RESP2 fallback          RESP3               RESP2 fallback
 *   _  null           $-1 (or *-1)            ~  set              *  array
 *   %  map of n       *  array of 2n          >  push             *  array
 *   ,  double         $  bulk of its text     |  attribute        (nothing)
 *   #  boolean        :  1 or 0               =  verbatim         $  bulk (without "txt:")
 *   (  big number     $  bulk of its digits
 *
 * Why hand-rolled number formatting: replies are the other half of the hot path, and a header
 * like "$5\r\n" is cheaper to build backwards in a small array than through printf.
 * Invariants: every function appends exactly one well-formed RESP element (or header); error
 * and simple strings never carry a CR or LF, so a reply can never be split in two on the wire. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/resp.h"
#include "common/util.h"

#define NUM_MAX 24 /* type byte, sign, 20 digits, CRLF */

static bool is_resp3(int proto) { return proto >= 3; }

/* Writes "<type><v>\r\n" ending at end; returns where it starts. */
static char *fmt_header(char *end, char type, unsigned long long v, bool neg)
{
    char *p = end;
    *--p = '\n';
    *--p = '\r';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg) *--p = '-';
    *--p = type;
    return p;
}

static void write_header(struct buf *b, char type, size_t n)
{
    char tmp[NUM_MAX];
    char *p = fmt_header(tmp + sizeof tmp, type, n, false);
    buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

static void write_signed(struct buf *b, char type, long long v)
{
    char tmp[NUM_MAX];
    unsigned long long mag = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
    char *p = fmt_header(tmp + sizeof tmp, type, mag, v < 0);
    buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* "<type><len>\r\n<prefix><s>\r\n" with a single reservation. */
static void write_blob(struct buf *b, char type, const char *prefix, size_t plen, const char *s,
                       size_t len)
{
    char tmp[NUM_MAX];
    char *h = fmt_header(tmp + sizeof tmp, type, plen + len, false);
    size_t hlen = (size_t)(tmp + sizeof tmp - h);
    char *dst = buf_space(b, hlen + plen + len + 2);
    memcpy(dst, h, hlen);
    dst += hlen;
    if (plen) memcpy(dst, prefix, plen);
    dst += plen;
    if (len) memcpy(dst, s, len);
    dst[len] = '\r';
    dst[len + 1] = '\n';
    buf_commit(b, hlen + plen + len + 2);
}

/* "<type><s>\r\n", with CR and LF turned into spaces when `sanitize`. */
static void write_line(struct buf *b, char type, const char *s, size_t len, bool sanitize)
{
    char *dst = buf_space(b, len + 3);
    dst[0] = type;
    if (len) memcpy(dst + 1, s, len);
    if (sanitize)
        for (size_t i = 1; i <= len; i++)
            if (dst[i] == '\r' || dst[i] == '\n') dst[i] = ' ';
    dst[len + 1] = '\r';
    dst[len + 2] = '\n';
    buf_commit(b, len + 3);
}

void resp_write_simple(struct buf *b, const char *s, size_t len)
{
    write_line(b, '+', s, len, true);
}

void resp_write_simple_str(struct buf *b, const char *s) { resp_write_simple(b, s, strlen(s)); }

void resp_write_error(struct buf *b, const char *s, size_t len)
{
    write_line(b, '-', s, len, true);
}

void resp_write_error_str(struct buf *b, const char *s) { resp_write_error(b, s, strlen(s)); }

void resp_write_errorf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    buf_append_char(b, '-');
    size_t start = b->len;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
    for (size_t i = start; i < b->len; i++)
        if (b->data[i] == '\r' || b->data[i] == '\n') b->data[i] = ' ';
    buf_append(b, "\r\n", 2);
}

void resp_write_integer(struct buf *b, long long v) { write_signed(b, ':', v); }

void resp_write_bulk(struct buf *b, const char *s, size_t len)
{
    write_blob(b, '$', NULL, 0, s, len);
}

void resp_write_bulk_str(struct buf *b, const char *s) { resp_write_bulk(b, s, strlen(s)); }

void resp_write_bulk_ll(struct buf *b, long long v)
{
    char tmp[NUM_MAX];
    size_t n = util_ll_to_str(tmp, sizeof tmp, v);
    resp_write_bulk(b, tmp, n);
}

void resp_write_null(struct buf *b, int proto)
{
    if (is_resp3(proto))
        buf_append(b, "_\r\n", 3);
    else
        buf_append(b, "$-1\r\n", 5);
}

void resp_write_null_array(struct buf *b, int proto)
{
    if (is_resp3(proto))
        buf_append(b, "_\r\n", 3);
    else
        buf_append(b, "*-1\r\n", 5);
}

void resp_write_array_header(struct buf *b, size_t n) { write_header(b, '*', n); }

void resp_write_map_header(struct buf *b, int proto, size_t npairs)
{
    if (is_resp3(proto))
        write_header(b, '%', npairs);
    else
        write_header(b, '*', npairs * 2);
}

void resp_write_set_header(struct buf *b, int proto, size_t n)
{
    write_header(b, is_resp3(proto) ? '~' : '*', n);
}

void resp_write_push_header(struct buf *b, int proto, size_t n)
{
    write_header(b, is_resp3(proto) ? '>' : '*', n);
}

void resp_write_attribute_header(struct buf *b, int proto, size_t npairs)
{
    if (is_resp3(proto)) write_header(b, '|', npairs);
}

void resp_write_double(struct buf *b, int proto, double v)
{
    char tmp[64];
    size_t n = util_double_to_str(tmp, sizeof tmp, v);
    if (is_resp3(proto))
        write_line(b, ',', tmp, n, false);
    else
        resp_write_bulk(b, tmp, n);
}

void resp_write_bool(struct buf *b, int proto, bool v)
{
    if (is_resp3(proto))
        buf_append(b, v ? "#t\r\n" : "#f\r\n", 4);
    else
        buf_append(b, v ? ":1\r\n" : ":0\r\n", 4);
}

void resp_write_verbatim(struct buf *b, int proto, const char *s, size_t len)
{
    if (is_resp3(proto))
        write_blob(b, '=', "txt:", 4, s, len);
    else
        resp_write_bulk(b, s, len);
}

void resp_write_bignum(struct buf *b, int proto, const char *digits, size_t len)
{
    if (is_resp3(proto))
        write_line(b, '(', digits, len, true);
    else
        resp_write_bulk(b, digits, len);
}

void resp_write_command(struct buf *b, size_t argc, const struct resp_arg *argv)
{
    resp_write_array_header(b, argc);
    for (size_t i = 0; i < argc; i++) resp_write_bulk(b, argv[i].ptr, argv[i].len);
}

void resp_write_commandv(struct buf *b, const char *const *argv, size_t argc)
{
    resp_write_array_header(b, argc);
    for (size_t i = 0; i < argc; i++) resp_write_bulk_str(b, argv[i]);
}
