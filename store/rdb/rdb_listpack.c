/* rdb_listpack: see rdb_listpack.h.
 *
 * The header's element count saturates at 65535 ("unknown"), as Redis's does. Entry sizes:
 * 7-bit uint (1 byte), 13-bit int (2), int16/24/32/64 (1 + width), string with a 6-bit, 12-bit
 * or 32-bit length; then the back-length: the entry's size, 7 bits per byte, most significant
 * group first, every byte after the first with bit 7 set. */
#include "store/rdb/rdb_listpack.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "store/data/obj_pack.h"

#define LP_HEADER_BYTES 6
#define LP_END 0xff
#define LP_COUNT_UNKNOWN 65535u
/* Redis prints an integral score as an integer only inside this open range (2^52). */
#define LP_SCORE_INT_LIMIT 4503599627370496.0

void rdb_lp_init(struct rdb_lp *lp)
{
    buf_init(&lp->b);
    rdb_lp_reset(lp);
}

void rdb_lp_free(struct rdb_lp *lp) { buf_free(&lp->b); }

void rdb_lp_reset(struct rdb_lp *lp)
{
    buf_clear(&lp->b);
    static const char zero[LP_HEADER_BYTES];
    buf_append(&lp->b, zero, sizeof zero);
    lp->count = 0;
}

size_t rdb_lp_bytes(const struct rdb_lp *lp) { return lp->b.len + 1; }

static void lp_put_le(unsigned char *p, uint64_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Append the back-length of an entry of `size` bytes. */
static void lp_backlen(struct rdb_lp *lp, size_t size)
{
    unsigned char b[5];
    int n = size < 128 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
    for (int i = n - 1; i >= 0; i--) { /* the low group last; all but the first flagged */
        b[i] = (unsigned char)((size & 0x7f) | (i > 0 ? 0x80 : 0));
        size >>= 7;
    }
    buf_append(&lp->b, b, (size_t)n);
}

void rdb_lp_append_int(struct rdb_lp *lp, long long v)
{
    unsigned char b[9];
    size_t n;
    if (v >= 0 && v <= 127) {
        b[0] = (unsigned char)v;
        n = 1;
    } else if (v >= -4096 && v <= 4095) {
        uint64_t u = (uint64_t)v & 0x1fff;
        b[0] = (unsigned char)(0xc0 | (u >> 8));
        b[1] = (unsigned char)u;
        n = 2;
    } else {
        int width = (v >= INT16_MIN && v <= INT16_MAX)   ? 2
                    : (v >= -8388608 && v <= 8388607)    ? 3
                    : (v >= INT32_MIN && v <= INT32_MAX) ? 4
                                                         : 8;
        b[0] = (unsigned char)(width == 2 ? 0xf1 : width == 3 ? 0xf2 : width == 4 ? 0xf3 : 0xf4);
        lp_put_le(b + 1, (uint64_t)v, width);
        n = 1 + (size_t)width;
    }
    buf_append(&lp->b, b, n);
    lp_backlen(lp, n);
    lp->count++;
}

void rdb_lp_append(struct rdb_lp *lp, const char *s, size_t n)
{
    long long v;
    if (n > 0 && n <= 20 && pack_str_to_ll(s, n, &v)) {
        rdb_lp_append_int(lp, v);
        return;
    }
    unsigned char h[5];
    size_t hn;
    if (n < 64) {
        h[0] = (unsigned char)(0x80 | n);
        hn = 1;
    } else if (n < 4096) {
        h[0] = (unsigned char)(0xe0 | (n >> 8));
        h[1] = (unsigned char)n;
        hn = 2;
    } else {
        h[0] = 0xf0;
        lp_put_le(h + 1, (uint64_t)n, 4);
        hn = 5;
    }
    buf_append(&lp->b, h, hn);
    buf_append(&lp->b, s, n);
    lp_backlen(lp, hn + n);
    lp->count++;
}

void rdb_lp_append_score(struct rdb_lp *lp, double score)
{
    if (score == 0) {
        rdb_lp_append_int(lp, 0);
        return;
    }
    if (isinf(score)) {
        rdb_lp_append(lp, score > 0 ? "inf" : "-inf", score > 0 ? 3 : 4);
        return;
    }
    if (score > -LP_SCORE_INT_LIMIT + 1 && score < LP_SCORE_INT_LIMIT &&
        score == (double)(long long)score) {
        rdb_lp_append_int(lp, (long long)score);
        return;
    }
    char text[32];
    int n = snprintf(text, sizeof text, "%.17g", score);
    rdb_lp_append(lp, text, (size_t)n);
}

const char *rdb_lp_finish(struct rdb_lp *lp, size_t *n)
{
    buf_append_char(&lp->b, (char)LP_END);
    unsigned char *p = (unsigned char *)lp->b.data;
    lp_put_le(p, lp->b.len, 4);
    lp_put_le(p + 4, lp->count < LP_COUNT_UNKNOWN ? lp->count : LP_COUNT_UNKNOWN, 2);
    lp->b.len--; /* the end byte stays in the buffer but not in the entries */
    *n = lp->b.len + 1;
    return lp->b.data;
}

void rdb_intset_build(struct buf *out, uint32_t width, const int64_t *values, size_t n)
{
    unsigned char h[8];
    lp_put_le(h, width, 4);
    lp_put_le(h + 4, n, 4);
    buf_append(out, h, sizeof h);
    for (size_t i = 0; i < n; i++) {
        unsigned char v[8];
        lp_put_le(v, (uint64_t)values[i], (int)width);
        buf_append(out, v, width);
    }
}
