/* rdb_read: decode a complete RDB snapshot held in memory and deliver it through callbacks.
 *
 * Why a complete buffer: a replica receives the whole payload before loading it, so the CRC64
 * trailer can be checked before a single key is delivered, and a corrupt or truncated snapshot
 * is refused whole while the old dataset keeps serving.
 *
 * Flow:  magic + version -> CRC64 trailer -> records until EOF -> EOF must be the last byte
 *        before the trailer.
 * Records: AUX, SELECTDB, RESIZEDB, EXPIRETIME(_MS), FREQ/IDLE (skipped), FUNCTION2, and keys.
 * Values: the plain encodings (string, list, set, zset, zset-2, hash) and Redis 7's compact
 * ones, whose payload is a string blob (possibly LZF-compressed) holding an intset or a
 * listpack; quicklist-2 lists are a sequence of such blobs.
 *
 * Listpack, as read here (all multi-byte integers little-endian):
 *     total-bytes(u32) count(u16, 65535 = unknown) entry* 0xFF
 *     entry = encoding [data] backlen, backlen = the size of encoding + data in 1-5 bytes,
 *     7 bits per byte, most significant group first, every byte but the first has bit 7 set.
 *     0xxxxxxx 7-bit uint | 10xxxxxx 6-bit-length string | 110xxxxx +1 byte: 13-bit signed
 *     1110xxxx +1 byte: 12-bit-length string | F0 +4: 32-bit-length string
 *     F1 int16 | F2 int24 | F3 int32 | F4 int64 | FF end
 * Intset: encoding(u32: 2, 4 or 8 bytes per value) length(u32) values.
 *
 * Invariants: every read is bounds-checked against the end of the payload (never into the
 * trailer); no allocation is sized by an untrusted count, only by bytes actually present or by
 * an LZF length bounded by RDB_MAX_LZF_BYTES and the best possible LZF ratio; integers coming
 * out of compact encodings are delivered as their decimal text, so callbacks see only strings.
 * Must not: deliver anything before the checksum matched; keep pointers into scratch buffers
 * across callbacks (each slot is reused for the next string). */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liblzf/lzf.h>

#include "common/util.h"
#include "store/rdb/crc64.h"
#include "store/rdb/rdb.h"

/* Largest string we inflate (Redis's proto-max-bulk-len default). */
#define RDB_MAX_LZF_BYTES ((size_t)512 * 1024 * 1024)
/* LZF turns at most 3 input bytes into 264 output bytes. */
#define RDB_LZF_MAX_RATIO 89
#define RDB_QUICKLIST_PLAIN 1
#define LP_COUNT_UNKNOWN 65535u

/* Scratch for one string being decoded: an inflated LZF buffer or a formatted integer. */
struct rdbr_slot {
    char *heap;
    size_t cap;
    char num[24];
};

enum { SLOT_KEY, SLOT_A, SLOT_B, SLOT_COUNT };

struct rdbr {
    const unsigned char *base, *p, *end; /* end: first byte after the payload (the trailer) */
    const struct rdb_callbacks *cb;
    void *ctx;
    char *errbuf;
    size_t errcap;
    int version;
    int db;
    size_t record_off;  /* offset of the record being decoded, for messages */
    bool is_value_only; /* a DUMP payload: the key record has no key name */
    struct rdbr_slot slot[SLOT_COUNT];
};

struct lp_entry {
    const char *s; /* the string, or the integer's decimal text */
    size_t n;
    bool is_int;
    int64_t v;
};

struct lp_cursor {
    const unsigned char *p, *end; /* end: the terminator byte */
    uint64_t seen;
};

static const struct rdb_callbacks rdbr_no_callbacks;

__attribute__((format(printf, 3, 4))) static int rdbr_fail(struct rdbr *r, int code,
                                                           const char *fmt, ...)
{
    if (r->errbuf != NULL && r->errcap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->errbuf, r->errcap, fmt, ap);
        va_end(ap);
    }
    return code;
}

static size_t rdbr_off(const struct rdbr *r) { return (size_t)(r->p - r->base); }
static size_t rdbr_left(const struct rdbr *r) { return (size_t)(r->end - r->p); }

static int rdbr_need(struct rdbr *r, uint64_t n)
{
    if (n <= rdbr_left(r)) return 0;
    return rdbr_fail(r, RDB_ERR_TRUNCATED,
                     "truncated RDB: record at offset %zu needs %llu bytes at offset %zu, "
                     "only %zu left",
                     r->record_off, (unsigned long long)n, rdbr_off(r), rdbr_left(r));
}

static int rdbr_callback_failed(struct rdbr *r)
{
    return rdbr_fail(r, RDB_ERR_CALLBACK, "RDB load aborted by the loader at offset %zu",
                     r->record_off);
}

/* Call an optional callback; a non-zero return becomes RDB_ERR_CALLBACK. */
#define RDBR_CALL(r, fn, ...)                                                                      \
    (((r)->cb->fn != NULL && (r)->cb->fn((r)->ctx, __VA_ARGS__) != 0) ? rdbr_callback_failed(r) : 0)

static uint64_t rdbr_le(const unsigned char *p, int nbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t rdbr_be(const unsigned char *p, int nbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++) v = v << 8 | p[i];
    return v;
}

/* Sign-extend the low `bits` bits of u (two's complement), without signed overflow. */
static int64_t rdbr_sext(uint64_t u, int bits)
{
    uint64_t mask = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    u &= mask;
    if ((u >> (bits - 1)) & 1) return -(int64_t)(~u & mask) - 1;
    return (int64_t)u;
}

/* ---- lengths and strings ------------------------------------------------------------------ */

/* A length, or (is_special) the code of a special string encoding. */
static int rdbr_len_any(struct rdbr *r, uint64_t *len, bool *is_special)
{
    int rc = rdbr_need(r, 1);
    if (rc != 0) return rc;
    unsigned b = *r->p++;
    *is_special = false;
    switch (b >> 6) {
    case RDB_LEN_6BIT:
        *len = b & 0x3f;
        return 0;
    case RDB_LEN_14BIT:
        if ((rc = rdbr_need(r, 1)) != 0) return rc;
        *len = (uint64_t)(b & 0x3f) << 8 | *r->p++;
        return 0;
    case RDB_LEN_SPECIAL:
        *is_special = true;
        *len = b & 0x3f;
        return 0;
    default:
        break;
    }
    int width = b == RDB_LEN_32BIT ? 4 : b == RDB_LEN_64BIT ? 8 : 0;
    if (width == 0)
        return rdbr_fail(r, RDB_ERR_FORMAT, "bad RDB length byte 0x%02x at offset %zu", b,
                         rdbr_off(r) - 1);
    if ((rc = rdbr_need(r, (uint64_t)width)) != 0) return rc;
    *len = rdbr_be(r->p, width);
    r->p += width;
    return 0;
}

static int rdbr_len(struct rdbr *r, uint64_t *len)
{
    bool is_special;
    int rc = rdbr_len_any(r, len, &is_special);
    if (rc == 0 && is_special)
        return rdbr_fail(r, RDB_ERR_FORMAT, "encoded string where a length belongs at offset %zu",
                         rdbr_off(r) - 1);
    return rc;
}

/* A count of things that each take at least one byte: clamp to the bytes left. */
static uint64_t rdbr_hint(const struct rdbr *r, uint64_t count)
{
    return MIN(count, (uint64_t)rdbr_left(r));
}

static char *rdbr_scratch(struct rdbr_slot *s, size_t n)
{
    if (s->cap < n || s->heap == NULL) {
        s->heap = xrealloc(s->heap, n > 0 ? n : 1);
        s->cap = n;
    }
    return s->heap;
}

static int rdbr_lzf(struct rdbr *r, struct rdbr_slot *s, const char **out, size_t *out_n)
{
    uint64_t clen, ulen;
    int rc;
    if ((rc = rdbr_len(r, &clen)) != 0 || (rc = rdbr_len(r, &ulen)) != 0) return rc;
    if ((rc = rdbr_need(r, clen)) != 0) return rc;
    if (ulen > RDB_MAX_LZF_BYTES || ulen > clen * RDB_LZF_MAX_RATIO)
        return rdbr_fail(r, RDB_ERR_FORMAT,
                         "implausible LZF string (%llu bytes from %llu) at offset %zu",
                         (unsigned long long)ulen, (unsigned long long)clen, rdbr_off(r));
    char *dst = rdbr_scratch(s, (size_t)ulen);
    /* liblzf checks every read and write against the given lengths (its input checks are on
     * in Debian's build); success is exactly ulen bytes out. ulen >= 1: a zero length would
     * be indistinguishable from its error return. */
    if (ulen == 0 || clen > UINT_MAX ||
        lzf_decompress(r->p, (unsigned)clen, dst, (unsigned)ulen) != (unsigned)ulen)
        return rdbr_fail(r, RDB_ERR_FORMAT, "corrupt LZF string at offset %zu", rdbr_off(r));
    r->p += clen;
    *out = dst;
    *out_n = (size_t)ulen;
    return 0;
}

/* Read a string into slot `which`: plain strings point into the input, others into the slot. */
static int rdbr_string(struct rdbr *r, int which, const char **out, size_t *out_n)
{
    struct rdbr_slot *s = &r->slot[which];
    uint64_t len;
    bool is_special;
    int rc = rdbr_len_any(r, &len, &is_special);
    if (rc != 0) return rc;
    if (!is_special) {
        if ((rc = rdbr_need(r, len)) != 0) return rc;
        *out = (const char *)r->p;
        *out_n = (size_t)len;
        r->p += len;
        return 0;
    }
    if (len == RDB_ENC_LZF) return rdbr_lzf(r, s, out, out_n);
    int width = len == RDB_ENC_INT8 ? 1 : len == RDB_ENC_INT16 ? 2 : len == RDB_ENC_INT32 ? 4 : 0;
    if (width == 0)
        return rdbr_fail(r, RDB_ERR_FORMAT, "unknown RDB string encoding %llu at offset %zu",
                         (unsigned long long)len, rdbr_off(r) - 1);
    if ((rc = rdbr_need(r, (uint64_t)width)) != 0) return rc;
    int64_t v = rdbr_sext(rdbr_le(r->p, width), width * 8);
    r->p += width;
    *out = s->num;
    *out_n = util_ll_to_str(s->num, sizeof s->num, v);
    return 0;
}

static int rdbr_check_score(struct rdbr *r, double score)
{
    if (isnan(score))
        return rdbr_fail(r, RDB_ERR_FORMAT, "NaN score in sorted set at offset %zu", r->record_off);
    return 0;
}

/* ZSET (type 3) scores: a length byte (253 NaN, 254 +inf, 255 -inf) and ASCII. */
static int rdbr_ascii_score(struct rdbr *r, double *score)
{
    int rc = rdbr_need(r, 1);
    if (rc != 0) return rc;
    unsigned n = *r->p++;
    if (n == 254 || n == 255) {
        *score = n == 254 ? INFINITY : -INFINITY;
        return 0;
    }
    if (n == 253) return rdbr_check_score(r, NAN);
    if ((rc = rdbr_need(r, n)) != 0) return rc;
    if (util_parse_double((const char *)r->p, n, score) != 0)
        return rdbr_fail(r, RDB_ERR_FORMAT, "bad sorted set score at offset %zu", rdbr_off(r));
    r->p += n;
    return 0;
}

/* ---- listpack and intset ------------------------------------------------------------------ */

static int rdbr_lp_bad(struct rdbr *r, const char *what)
{
    return rdbr_fail(r, RDB_ERR_FORMAT, "corrupt listpack in value at offset %zu: %s",
                     r->record_off, what);
}

static int rdbr_lp_open(struct rdbr *r, const char *blob, size_t n, struct lp_cursor *c,
                        uint64_t *count)
{
    const unsigned char *p = (const unsigned char *)blob;
    if (n < 7) return rdbr_lp_bad(r, "shorter than its header");
    if (rdbr_le(p, 4) != n) return rdbr_lp_bad(r, "total-bytes does not match");
    if (p[n - 1] != 0xff) return rdbr_lp_bad(r, "missing end marker");
    *count = rdbr_le(p + 4, 2);
    c->p = p + 6;
    c->end = p + n - 1;
    c->seen = 0;
    return 0;
}

/* The backlen after an entry of elen bytes, at q with `avail` bytes: its size, or 0 if bad.
 * Writers may use one byte more than the minimum at the size boundaries, so try both. */
static size_t rdbr_lp_backlen(const unsigned char *q, size_t avail, uint64_t elen)
{
    size_t k = elen < (1u << 7)    ? 1
               : elen < (1u << 14) ? 2
               : elen < (1u << 21) ? 3
               : elen < (1u << 28) ? 4
                                   : 5;
    for (size_t size = k; size <= k + 1 && size <= 5 && size <= avail; size++) {
        uint64_t v = 0;
        bool ok = (q[0] & 0x80) == 0;
        for (size_t i = 0; i < size; i++) {
            if (i > 0 && (q[i] & 0x80) == 0) ok = false;
            v = v << 7 | (q[i] & 0x7f);
        }
        if (ok && v == elen) return size;
    }
    return 0;
}

/* Decode the next entry: 1 with *e filled, 0 at the end, or a negative error. */
static int rdbr_lp_next(struct rdbr *r, struct lp_cursor *c, char num[24], struct lp_entry *e)
{
    const unsigned char *p = c->p;
    size_t avail = (size_t)(c->end - p), hdr = 1;
    uint64_t len = 0;
    if (avail == 0) return 0;
    unsigned b = p[0];
    e->is_int = true;
    e->v = 0;
    if (b < 0x80) {
        e->v = b;
    } else if ((b & 0xc0) == 0x80) {
        e->is_int = false;
        len = b & 0x3f;
    } else if ((b & 0xe0) == 0xc0 || (b & 0xf0) == 0xe0) {
        if (avail < 2) return rdbr_lp_bad(r, "entry runs past the end");
        hdr = 2;
        uint64_t u = (uint64_t)(b & 0x1f) << 8 | p[1];
        if ((b & 0xe0) == 0xc0) {
            e->v = rdbr_sext(u, 13);
        } else {
            e->is_int = false;
            len = u & 0xfff;
        }
    } else {
        static const size_t width[5] = {4, 2, 3, 4, 8}; /* F0 .. F4 */
        if (b == 0xff) return rdbr_lp_bad(r, "end marker before the end");
        if (b > 0xf4) return rdbr_lp_bad(r, "unknown entry encoding");
        hdr = 1 + width[b - 0xf0];
        if (avail < hdr) return rdbr_lp_bad(r, "entry runs past the end");
        uint64_t u = rdbr_le(p + 1, (int)width[b - 0xf0]);
        if (b == 0xf0) {
            e->is_int = false;
            len = u;
        } else {
            e->v = rdbr_sext(u, (int)width[b - 0xf0] * 8);
        }
    }
    if (len > avail - hdr) return rdbr_lp_bad(r, "entry runs past the end");
    size_t elen = hdr + (size_t)len;
    size_t blen = rdbr_lp_backlen(p + elen, avail - elen, elen);
    if (blen == 0) return rdbr_lp_bad(r, "bad entry back-length");
    c->p = p + elen + blen;
    c->seen++;
    if (e->is_int) {
        e->n = util_ll_to_str(num, 24, (long long)e->v);
        e->s = num;
    } else {
        e->s = (const char *)p + hdr;
        e->n = (size_t)len;
    }
    return 1;
}

static int rdbr_lp_close(struct rdbr *r, const struct lp_cursor *c, uint64_t count)
{
    if (count != LP_COUNT_UNKNOWN && c->seen != count)
        return rdbr_lp_bad(r, "entry count does not match the header");
    return 0;
}

/* Members of a listpack as list items or set members. */
static int rdbr_lp_items(struct rdbr *r, const char *blob, size_t n)
{
    struct lp_cursor c;
    struct lp_entry e;
    uint64_t count;
    int rc = rdbr_lp_open(r, blob, n, &c, &count);
    while (rc == 0 && (rc = rdbr_lp_next(r, &c, r->slot[SLOT_B].num, &e)) == 1)
        rc = RDBR_CALL(r, on_item, e.s, e.n);
    return rc < 0 ? rc : rdbr_lp_close(r, &c, count);
}

static int rdbr_lp_pairs(struct rdbr *r, const char *blob, size_t n, bool is_zset)
{
    struct lp_cursor c;
    struct lp_entry f, v;
    uint64_t count;
    int rc = rdbr_lp_open(r, blob, n, &c, &count);
    while (rc == 0 && (rc = rdbr_lp_next(r, &c, r->slot[SLOT_A].num, &f)) == 1) {
        if ((rc = rdbr_lp_next(r, &c, r->slot[SLOT_B].num, &v)) != 1)
            return rc < 0 ? rc : rdbr_lp_bad(r, "odd number of entries");
        if (!is_zset) {
            rc = RDBR_CALL(r, on_hash_field, f.s, f.n, v.s, v.n);
            continue;
        }
        double score = (double)v.v;
        if (!v.is_int && util_parse_double(v.s, v.n, &score) != 0)
            return rdbr_lp_bad(r, "score is not a number");
        if ((rc = rdbr_check_score(r, score)) == 0)
            rc = RDBR_CALL(r, on_zset_member, f.s, f.n, score);
    }
    return rc < 0 ? rc : rdbr_lp_close(r, &c, count);
}

static int rdbr_intset(struct rdbr *r, const char *blob, size_t n)
{
    const unsigned char *p = (const unsigned char *)blob;
    if (n < 8) return rdbr_fail(r, RDB_ERR_FORMAT, "corrupt intset at offset %zu", r->record_off);
    uint64_t width = rdbr_le(p, 4), count = rdbr_le(p + 4, 4);
    if ((width != 2 && width != 4 && width != 8) || count != (n - 8) / width ||
        (n - 8) % width != 0)
        return rdbr_fail(r, RDB_ERR_FORMAT, "corrupt intset at offset %zu", r->record_off);
    char *num = r->slot[SLOT_B].num;
    for (uint64_t i = 0; i < count; i++) {
        int64_t v = rdbr_sext(rdbr_le(p + 8 + i * width, (int)width), (int)width * 8);
        size_t len = util_ll_to_str(num, sizeof r->slot[SLOT_B].num, v);
        int rc = RDBR_CALL(r, on_item, num, len);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- values ------------------------------------------------------------------------------- */

static int rdbr_begin(struct rdbr *r, const struct rdb_key *k, enum rdb_value_type t, uint64_t hint)
{
    return RDBR_CALL(r, on_begin, k, t, hint);
}

static int rdbr_end(struct rdbr *r)
{
    if (r->cb->on_end != NULL && r->cb->on_end(r->ctx) != 0) return rdbr_callback_failed(r);
    return 0;
}

/* LIST, SET, HASH, ZSET, ZSET_2: a count, then strings (and scores). */
static int rdbr_plain_collection(struct rdbr *r, int type, const struct rdb_key *k)
{
    static const enum rdb_value_type logical[] = {[RDB_TYPE_LIST] = RDB_VALUE_LIST,
                                                  [RDB_TYPE_SET] = RDB_VALUE_SET,
                                                  [RDB_TYPE_ZSET] = RDB_VALUE_ZSET,
                                                  [RDB_TYPE_HASH] = RDB_VALUE_HASH,
                                                  [RDB_TYPE_ZSET_2] = RDB_VALUE_ZSET};
    uint64_t count;
    int rc = rdbr_len(r, &count);
    if (rc == 0) rc = rdbr_begin(r, k, logical[type], rdbr_hint(r, count));
    for (uint64_t i = 0; rc == 0 && i < count; i++) {
        const char *a, *b;
        size_t an, bn;
        double score = 0;
        if ((rc = rdbr_string(r, SLOT_A, &a, &an)) != 0) break;
        if (type == RDB_TYPE_LIST || type == RDB_TYPE_SET) {
            rc = RDBR_CALL(r, on_item, a, an);
        } else if (type == RDB_TYPE_HASH) {
            if ((rc = rdbr_string(r, SLOT_B, &b, &bn)) == 0)
                rc = RDBR_CALL(r, on_hash_field, a, an, b, bn);
        } else {
            if (type == RDB_TYPE_ZSET) {
                rc = rdbr_ascii_score(r, &score);
            } else if ((rc = rdbr_need(r, 8)) == 0) {
                uint64_t bits = rdbr_le(r->p, 8);
                memcpy(&score, &bits, sizeof score);
                r->p += 8;
            }
            if (rc == 0) rc = rdbr_check_score(r, score);
            if (rc == 0) rc = RDBR_CALL(r, on_zset_member, a, an, score);
        }
    }
    return rc != 0 ? rc : rdbr_end(r);
}

/* LIST_QUICKLIST_2: a node count; each node is a container kind and a blob. */
static int rdbr_quicklist2(struct rdbr *r, const struct rdb_key *k)
{
    uint64_t nodes;
    int rc = rdbr_len(r, &nodes);
    if (rc == 0) rc = rdbr_begin(r, k, RDB_VALUE_LIST, 0);
    for (uint64_t i = 0; rc == 0 && i < nodes; i++) {
        uint64_t container;
        const char *blob;
        size_t n;
        if ((rc = rdbr_len(r, &container)) != 0) break;
        if ((rc = rdbr_string(r, SLOT_A, &blob, &n)) != 0) break;
        if (container == RDB_QUICKLIST_PLAIN)
            rc = RDBR_CALL(r, on_item, blob, n);
        else if (container == RDB_QUICKLIST_PACKED)
            rc = rdbr_lp_items(r, blob, n);
        else
            rc = rdbr_fail(r, RDB_ERR_FORMAT, "bad quicklist node kind %llu in value at offset %zu",
                           (unsigned long long)container, r->record_off);
    }
    return rc != 0 ? rc : rdbr_end(r);
}

/* The element count a compact blob announces, for on_begin's hint (0 when unknown). */
static uint64_t rdbr_blob_hint(const char *blob, size_t n, int type)
{
    const unsigned char *p = (const unsigned char *)blob;
    if (type == RDB_TYPE_SET_INTSET) return n >= 8 ? MIN(rdbr_le(p + 4, 4), n) : 0;
    uint64_t count = n >= 6 ? rdbr_le(p + 4, 2) : 0;
    if (count == LP_COUNT_UNKNOWN) return 0;
    return type == RDB_TYPE_SET_LISTPACK ? count : count / 2;
}

/* Types whose payload is one blob: intset and the listpack encodings. */
static int rdbr_blob_value(struct rdbr *r, int type, const struct rdb_key *k)
{
    const char *blob;
    size_t n;
    int rc = rdbr_string(r, SLOT_A, &blob, &n);
    if (rc != 0) return rc;
    uint64_t hint = rdbr_blob_hint(blob, n, type);
    switch (type) {
    case RDB_TYPE_SET_INTSET:
        if ((rc = rdbr_begin(r, k, RDB_VALUE_SET, hint)) == 0) rc = rdbr_intset(r, blob, n);
        break;
    case RDB_TYPE_SET_LISTPACK:
        if ((rc = rdbr_begin(r, k, RDB_VALUE_SET, hint)) == 0) rc = rdbr_lp_items(r, blob, n);
        break;
    case RDB_TYPE_ZSET_LISTPACK:
        if ((rc = rdbr_begin(r, k, RDB_VALUE_ZSET, hint)) == 0)
            rc = rdbr_lp_pairs(r, blob, n, true);
        break;
    default:
        ASSERT(type == RDB_TYPE_HASH_LISTPACK);
        if ((rc = rdbr_begin(r, k, RDB_VALUE_HASH, hint)) == 0)
            rc = rdbr_lp_pairs(r, blob, n, false);
        break;
    }
    return rc != 0 ? rc : rdbr_end(r);
}

/* ---- streams ------------------------------------------------------------------------------ */

static int rdbr_raw_id(struct rdbr *r, uint64_t *ms, uint64_t *seq)
{
    int rc = rdbr_need(r, 16);
    if (rc != 0) return rc;
    *ms = rdbr_be(r->p, 8);
    *seq = rdbr_be(r->p + 8, 8);
    r->p += 16;
    return 0;
}

static int rdbr_ms_time(struct rdbr *r, int64_t *ms)
{
    int rc = rdbr_need(r, 8);
    if (rc != 0) return rc;
    *ms = (int64_t)rdbr_le(r->p, 8);
    r->p += 8;
    return 0;
}

static int rdbr_len2(struct rdbr *r, uint64_t *a, uint64_t *b)
{
    int rc = rdbr_len(r, a);
    return rc != 0 ? rc : rdbr_len(r, b);
}

static int rdbr_stream_nodes(struct rdbr *r)
{
    uint64_t nodes;
    int rc = rdbr_len(r, &nodes);
    for (uint64_t i = 0; rc == 0 && i < nodes; i++) {
        const char *id, *lp;
        size_t idn, lpn;
        if ((rc = rdbr_string(r, SLOT_A, &id, &idn)) != 0) break;
        if (idn != 16)
            return rdbr_fail(r, RDB_ERR_FORMAT, "bad stream node key in value at offset %zu",
                             r->record_off);
        uint64_t ms = rdbr_be((const unsigned char *)id, 8);
        uint64_t seq = rdbr_be((const unsigned char *)id + 8, 8);
        if ((rc = rdbr_string(r, SLOT_B, &lp, &lpn)) != 0) break;
        rc = RDBR_CALL(r, on_stream_node, ms, seq, lp, lpn);
    }
    return rc;
}

static int rdbr_stream_consumers(struct rdbr *r, int type)
{
    uint64_t ncons;
    int rc = rdbr_len(r, &ncons);
    for (uint64_t i = 0; rc == 0 && i < ncons; i++) {
        const char *name;
        size_t nlen;
        int64_t seen, active;
        uint64_t npel, ms, seq;
        if ((rc = rdbr_string(r, SLOT_A, &name, &nlen)) != 0) break;
        if ((rc = rdbr_ms_time(r, &seen)) != 0) break;
        if (type == RDB_TYPE_STREAM_LISTPACKS_3 && (rc = rdbr_ms_time(r, &active)) != 0) break;
        if ((rc = RDBR_CALL(r, on_stream_consumer, name, nlen, seen)) != 0) break;
        if ((rc = rdbr_len(r, &npel)) != 0) break;
        for (uint64_t j = 0; rc == 0 && j < npel; j++) {
            if ((rc = rdbr_raw_id(r, &ms, &seq)) == 0)
                rc = RDBR_CALL(r, on_stream_consumer_nack, ms, seq);
        }
    }
    return rc;
}

static int rdbr_stream_groups(struct rdbr *r, int type)
{
    uint64_t ngroups;
    int rc = rdbr_len(r, &ngroups);
    for (uint64_t i = 0; rc == 0 && i < ngroups; i++) {
        const char *name;
        size_t nlen;
        uint64_t ms, seq, rd = UINT64_MAX, npel, count;
        int64_t when;
        if ((rc = rdbr_string(r, SLOT_A, &name, &nlen)) != 0) break;
        if ((rc = rdbr_len2(r, &ms, &seq)) != 0) break;
        if (type != RDB_TYPE_STREAM_LISTPACKS && (rc = rdbr_len(r, &rd)) != 0) break;
        if ((rc = RDBR_CALL(r, on_stream_group, name, nlen, ms, seq, (int64_t)rd)) != 0) break;
        if ((rc = rdbr_len(r, &npel)) != 0) break;
        for (uint64_t j = 0; rc == 0 && j < npel; j++) {
            if ((rc = rdbr_raw_id(r, &ms, &seq)) != 0) break;
            if ((rc = rdbr_ms_time(r, &when)) != 0) break;
            if ((rc = rdbr_len(r, &count)) != 0) break;
            rc = RDBR_CALL(r, on_stream_nack, ms, seq, when, count);
        }
        if (rc == 0) rc = rdbr_stream_consumers(r, type);
    }
    return rc;
}

static int rdbr_stream(struct rdbr *r, int type, const struct rdb_key *k)
{
    int rc = RDBR_CALL(r, on_stream_begin, k);
    if (rc == 0) rc = rdbr_stream_nodes(r);
    struct rdb_stream_meta m = {.has_v2 = type != RDB_TYPE_STREAM_LISTPACKS};
    if (rc == 0) rc = rdbr_len(r, &m.length);
    if (rc == 0) rc = rdbr_len2(r, &m.last_ms, &m.last_seq);
    if (rc == 0 && m.has_v2) {
        rc = rdbr_len2(r, &m.first_ms, &m.first_seq);
        if (rc == 0) rc = rdbr_len2(r, &m.maxdel_ms, &m.maxdel_seq);
        if (rc == 0) rc = rdbr_len(r, &m.entries_added);
    }
    if (rc == 0) rc = RDBR_CALL(r, on_stream_meta, &m);
    if (rc == 0) rc = rdbr_stream_groups(r, type);
    return rc != 0 ? rc : rdbr_end(r);
}

/* Valid RDB types we do not load, by name (NULL: not in this list). */
static const char *rdbr_unsupported_name(int type)
{
    static const char *const names[] = {
        [RDB_TYPE_MODULE] = "module value",
        [RDB_TYPE_MODULE_2] = "module value",
        [RDB_TYPE_HASH_ZIPMAP] = "zipmap hash (Redis < 2.6)",
        [RDB_TYPE_LIST_ZIPLIST] = "ziplist encoding (Redis < 7.0)",
        [RDB_TYPE_ZSET_ZIPLIST] = "ziplist encoding (Redis < 7.0)",
        [RDB_TYPE_HASH_ZIPLIST] = "ziplist encoding (Redis < 7.0)",
        [RDB_TYPE_LIST_QUICKLIST] = "ziplist encoding (Redis < 7.0)",
    };
    return type >= 0 && (size_t)type < ARRAY_LEN(names) ? names[type] : NULL;
}

static int rdbr_key_value(struct rdbr *r, int type, int64_t expire_ms)
{
    const char *unsupported = rdbr_unsupported_name(type);
    if (unsupported != NULL)
        return rdbr_fail(r, RDB_ERR_UNSUPPORTED, "unsupported RDB type %d (%s) at offset %zu", type,
                         unsupported, r->record_off);
    bool known = type <= RDB_TYPE_ZSET_2 || type == RDB_TYPE_SET_INTSET ||
                 type == RDB_TYPE_HASH_LISTPACK || type == RDB_TYPE_ZSET_LISTPACK ||
                 type == RDB_TYPE_LIST_QUICKLIST_2 || type == RDB_TYPE_SET_LISTPACK ||
                 type == RDB_TYPE_STREAM_LISTPACKS || type == RDB_TYPE_STREAM_LISTPACKS_2 ||
                 type == RDB_TYPE_STREAM_LISTPACKS_3;
    if (!known)
        return rdbr_fail(r, RDB_ERR_FORMAT, "unknown RDB type %d at offset %zu", type,
                         r->record_off);
    struct rdb_key k = {.expire_ms = expire_ms, .db = r->db};
    k.is_compact = type == RDB_TYPE_SET_INTSET || type == RDB_TYPE_SET_LISTPACK ||
                   type == RDB_TYPE_ZSET_LISTPACK || type == RDB_TYPE_HASH_LISTPACK;
    int rc = 0;
    if (r->is_value_only)
        k.name = "";
    else if ((rc = rdbr_string(r, SLOT_KEY, &k.name, &k.len)) != 0)
        return rc;
    if (type == RDB_TYPE_STRING) {
        const char *v;
        size_t n;
        if ((rc = rdbr_string(r, SLOT_A, &v, &n)) != 0) return rc;
        return RDBR_CALL(r, on_string, &k, v, n);
    }
    if (type <= RDB_TYPE_ZSET_2) return rdbr_plain_collection(r, type, &k);
    if (type == RDB_TYPE_LIST_QUICKLIST_2) return rdbr_quicklist2(r, &k);
    if (type >= RDB_TYPE_STREAM_LISTPACKS && type != RDB_TYPE_HASH_LISTPACK &&
        type != RDB_TYPE_ZSET_LISTPACK && type != RDB_TYPE_LIST_QUICKLIST_2 &&
        type != RDB_TYPE_SET_LISTPACK)
        return rdbr_stream(r, type, &k);
    return rdbr_blob_value(r, type, &k);
}

/* ---- records ------------------------------------------------------------------------------ */

static int rdbr_select_db(struct rdbr *r)
{
    uint64_t db;
    int rc = rdbr_len(r, &db);
    if (rc != 0) return rc;
    if (db > INT_MAX)
        return rdbr_fail(r, RDB_ERR_FORMAT, "bad database number %llu at offset %zu",
                         (unsigned long long)db, r->record_off);
    r->db = (int)db;
    return RDBR_CALL(r, on_select_db, r->db);
}

static int rdbr_resize_db(struct rdbr *r)
{
    uint64_t db_size, expires_size;
    int rc;
    if ((rc = rdbr_len(r, &db_size)) != 0 || (rc = rdbr_len(r, &expires_size)) != 0) return rc;
    return RDBR_CALL(r, on_resize_db, rdbr_hint(r, db_size), rdbr_hint(r, expires_size));
}

static int rdbr_aux(struct rdbr *r)
{
    const char *k, *v;
    size_t kn, vn;
    int rc;
    if ((rc = rdbr_string(r, SLOT_KEY, &k, &kn)) != 0 ||
        (rc = rdbr_string(r, SLOT_A, &v, &vn)) != 0)
        return rc;
    return RDBR_CALL(r, on_aux, k, kn, v, vn);
}

static int rdbr_expire(struct rdbr *r, unsigned op, int64_t *expire_ms)
{
    int width = op == RDB_OPCODE_EXPIRETIME_MS ? 8 : 4;
    int rc = rdbr_need(r, (uint64_t)width);
    if (rc != 0) return rc;
    int64_t v = rdbr_sext(rdbr_le(r->p, width), width * 8);
    r->p += width;
    if (op == RDB_OPCODE_EXPIRETIME) v *= 1000;
    *expire_ms = v < 0 ? 0 : v; /* before 1970: expired, not "no TTL" */
    return 0;
}

/* Everything between the header and EOF; on success r->p is just past the EOF opcode. */
static int rdbr_records(struct rdbr *r)
{
    int64_t expire_ms = -1;
    for (;;) {
        r->record_off = rdbr_off(r);
        int rc = rdbr_need(r, 1);
        if (rc != 0) return rc;
        unsigned op = *r->p++;
        uint64_t skip;
        const char *s;
        size_t n;
        switch (op) {
        case RDB_OPCODE_EOF:
            return 0;
        case RDB_OPCODE_EXPIRETIME_MS:
        case RDB_OPCODE_EXPIRETIME:
            if ((rc = rdbr_expire(r, op, &expire_ms)) != 0) return rc;
            continue;
        case RDB_OPCODE_FREQ:
            if ((rc = rdbr_need(r, 1)) == 0) r->p++;
            break;
        case RDB_OPCODE_IDLE:
            rc = rdbr_len(r, &skip);
            break;
        case RDB_OPCODE_SELECTDB:
            rc = rdbr_select_db(r);
            break;
        case RDB_OPCODE_RESIZEDB:
            rc = rdbr_resize_db(r);
            break;
        case RDB_OPCODE_AUX:
            rc = rdbr_aux(r);
            break;
        case RDB_OPCODE_FUNCTION2:
            if ((rc = rdbr_string(r, SLOT_A, &s, &n)) == 0) rc = RDBR_CALL(r, on_function, s, n);
            break;
        case RDB_OPCODE_MODULE_AUX:
        case RDB_OPCODE_FUNCTION_PRE_GA:
            return rdbr_fail(
                r, RDB_ERR_UNSUPPORTED, "unsupported RDB opcode %u (%s) at offset %zu", op,
                op == RDB_OPCODE_MODULE_AUX ? "module aux data" : "pre-GA function", r->record_off);
        default:
            if ((rc = RDBR_CALL(r, on_progress, r->record_off)) != 0) return rc;
            rc = rdbr_key_value(r, (int)op, expire_ms);
            expire_ms = -1;
            break;
        }
        if (rc != 0) return rc;
    }
}

/* ---- entry point -------------------------------------------------------------------------- */

static void rdbr_free(struct rdbr *r)
{
    for (int i = 0; i < SLOT_COUNT; i++) free(r->slot[i].heap);
}

/* Decode [base, base+payload_len) without callbacks; used to explain a checksum mismatch.
 * Returns the rdbr_records result and, on success, the bytes after the EOF opcode. */
static int rdbr_dry_run(const unsigned char *base, size_t len, int version, size_t *after_eof)
{
    struct rdbr r = {.base = base,
                     .p = base + 9,
                     .end = base + len,
                     .cb = &rdbr_no_callbacks,
                     .version = version};
    int rc = rdbr_records(&r);
    *after_eof = rdbr_left(&r);
    rdbr_free(&r);
    return rc;
}

static int rdbr_verify_crc(struct rdbr *r, size_t len)
{
    uint64_t stored = rdbr_le(r->base + len - 8, 8);
    if (stored == 0) return 0; /* written with rdbchecksum no */
    uint64_t computed = crc64_update(CRC64_INIT, r->base, len - 8);
    if (stored == computed) return 0;
    size_t after_eof = 0;
    int rc = rdbr_dry_run(r->base, len, r->version, &after_eof);
    if (rc == RDB_ERR_TRUNCATED)
        return rdbr_fail(r, RDB_ERR_TRUNCATED,
                         "truncated RDB: the data ends at offset %zu inside a "
                         "record (CRC mismatch)",
                         len);
    if (rc == 0 && after_eof < 8)
        return rdbr_fail(r, RDB_ERR_TRUNCATED,
                         "truncated RDB: the data ends at offset %zu, the checksum "
                         "trailer has %zu of 8 bytes",
                         len, after_eof);
    return rdbr_fail(r, RDB_ERR_CHECKSUM,
                     "RDB CRC mismatch (stored %016llx at offset %zu, computed %016llx over "
                     "%zu bytes)",
                     (unsigned long long)stored, len - 8, (unsigned long long)computed, len - 8);
}

static int rdbr_header(struct rdbr *r, size_t len)
{
    if (len < 9)
        return rdbr_fail(r, RDB_ERR_TRUNCATED,
                         "truncated RDB: the data ends at offset %zu, inside the header", len);
    if (memcmp(r->base, "REDIS", 5) != 0)
        return rdbr_fail(r, RDB_ERR_FORMAT, "not an RDB file (bad magic at offset 0)");
    int version = 0;
    for (int i = 5; i < 9; i++) {
        if (r->base[i] < '0' || r->base[i] > '9')
            return rdbr_fail(r, RDB_ERR_FORMAT, "not an RDB file (bad version digits at offset 5)");
        version = version * 10 + (r->base[i] - '0');
    }
    if (version < 1 || version > RDB_MAX_READ_VERSION)
        return rdbr_fail(r, RDB_ERR_UNSUPPORTED, "unsupported RDB version %d at offset 5", version);
    r->version = version;
    return 0;
}

int rdb_load(const void *data, size_t len, const struct rdb_callbacks *cb, void *ctx, char *errbuf,
             size_t errcap)
{
    struct rdbr r = {.base = data,
                     .cb = cb != NULL ? cb : &rdbr_no_callbacks,
                     .ctx = ctx,
                     .errbuf = errbuf,
                     .errcap = errcap};
    if (errbuf != NULL && errcap > 0) errbuf[0] = '\0';
    int rc = rdbr_header(&r, len);
    if (rc != 0) return rc;
    size_t trailer = r.version >= 5 ? 8 : 0; /* checksums exist since version 5 */
    if (len < 9 + 1 + trailer)
        return rdbr_fail(&r, RDB_ERR_TRUNCATED,
                         "truncated RDB: the data ends at offset %zu, no room for EOF%s", len,
                         trailer ? " and checksum" : "");
    if (trailer != 0 && (rc = rdbr_verify_crc(&r, len)) != 0) return rc;
    r.p = r.base + 9;
    r.end = r.base + len - trailer;
    rc = rdbr_records(&r);
    if (rc == 0 && r.p != r.end)
        rc = rdbr_fail(&r, RDB_ERR_FORMAT,
                       "%zu unexpected bytes after the RDB EOF marker at offset %zu", rdbr_left(&r),
                       rdbr_off(&r));
    rdbr_free(&r);
    return rc;
}

int rdb_load_value(const void *data, size_t len, const struct rdb_callbacks *cb, void *ctx,
                   char *errbuf, size_t errcap)
{
    struct rdbr r = {.base = data,
                     .p = data,
                     .end = (const unsigned char *)data + len,
                     .cb = cb != NULL ? cb : &rdbr_no_callbacks,
                     .ctx = ctx,
                     .errbuf = errbuf,
                     .errcap = errcap,
                     .version = RDB_DUMP_VERSION,
                     .is_value_only = true};
    if (errbuf != NULL && errcap > 0) errbuf[0] = '\0';
    int rc = rdbr_need(&r, 1);
    if (rc == 0) {
        int type = *r.p++;
        rc = rdbr_key_value(&r, type, -1);
    }
    rdbr_free(&r);
    return rc;
}
