/* buf: see buf.h. Growth doubles so appends are amortised O(1). */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void buf_init(struct buf *b) { memset(b, 0, sizeof *b); }

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_clear(struct buf *b)
{
    b->pos = b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void buf_reserve(struct buf *b, size_t extra)
{
    ASSERT(extra <= SIZE_MAX / 2 - b->len);
    size_t need = b->len + extra;
    if (need <= b->cap && b->data) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = xrealloc(b->data, cap + 1);
    b->cap = cap;
    b->data[b->len] = '\0';
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_append_str(struct buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_append_char(struct buf *b, char c) { buf_append(b, &c, 1); }

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    buf_reserve(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len + 1, fmt, ap);
    ASSERT(n >= 0);
    if ((size_t)n > b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, b->cap - b->len + 1, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_consume(struct buf *b, size_t n)
{
    ASSERT(n <= b->len - b->pos);
    b->pos += n;
    if (b->pos == b->len) buf_clear(b);
}

void buf_compact(struct buf *b)
{
    if (b->pos == 0) return;
    size_t left = b->len - b->pos;
    memmove(b->data, b->data + b->pos, left);
    b->pos = 0;
    b->len = left;
    b->data[b->len] = '\0';
}

char *buf_space(struct buf *b, size_t want)
{
    buf_reserve(b, want);
    return b->data + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
    ASSERT(n <= b->cap - b->len);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_shrink_if_idle(struct buf *b, size_t keep)
{
    if (b->len == b->pos && b->cap > keep) buf_free(b);
}
