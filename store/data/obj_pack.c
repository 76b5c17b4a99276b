/* obj_pack: see obj_pack.h for the byte layout. Every write goes through pack_splice, the one
 * place that moves bytes and keeps total_bytes honest; counts are adjusted by the callers that
 * know how many entries they added or removed. */
#include "store/data/obj_pack.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* An entry ready to be written: header (tag + numeric payload or string length), an optional
 * string payload, and the backlen. */
struct enc {
    unsigned char hdr[9];
    size_t hlen;
    const char *str;
    size_t slen;
    unsigned char back[5];
    size_t blen;
};

static uint32_t rd_le(const unsigned char *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void wr_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void set_total(struct pack *pk, size_t total)
{
    ASSERT(total <= UINT32_MAX);
    wr_le(pk->data, total, 4);
}

static void add_count(struct pack *pk, long delta)
{
    long c = (long)pack_count(pk) + delta;
    ASSERT(c >= 0 && c <= (long)PACK_MAX_COUNT);
    wr_le(pk->data + 4, (uint64_t)c, 2);
}

static size_t backlen_size(size_t n)
{
    size_t k = 1;
    while (k < 5 && n >> (7 * k)) k++;
    return k;
}

static void enc_backlen(struct enc *e)
{
    size_t n = e->hlen + e->slen;
    size_t k = backlen_size(n);
    for (size_t i = 0; i < k; i++) {
        unsigned char b = (unsigned char)((n >> (7 * (k - 1 - i))) & 0x7f);
        e->back[i] = i > 0 ? (unsigned char)(b | 0x80) : b;
    }
    e->blen = k;
}

static void enc_int(struct enc *e, long long v)
{
    memset(e, 0, sizeof *e);
    if (v >= 0 && v <= 127) {
        e->hdr[0] = (unsigned char)v;
        e->hlen = 1;
    } else if (v >= -4096 && v <= 4095) {
        unsigned u = (unsigned)(v & 0x1fff);
        e->hdr[0] = (unsigned char)(0xC0 | (u >> 8));
        e->hdr[1] = (unsigned char)(u & 0xff);
        e->hlen = 2;
    } else {
        int n = 8;
        unsigned char tag = 0xF4;
        if (v >= INT16_MIN && v <= INT16_MAX)
            n = 2, tag = 0xF1;
        else if (v >= -8388608 && v <= 8388607)
            n = 3, tag = 0xF2;
        else if (v >= INT32_MIN && v <= INT32_MAX)
            n = 4, tag = 0xF3;
        e->hdr[0] = tag;
        wr_le(e->hdr + 1, (uint64_t)v, n);
        e->hlen = 1 + (size_t)n;
    }
    enc_backlen(e);
}

static void enc_str(struct enc *e, const char *s, size_t len, bool try_int)
{
    long long v;
    if (try_int && pack_str_to_ll(s, len, &v)) {
        enc_int(e, v);
        return;
    }
    memset(e, 0, sizeof *e);
    ASSERT(len < UINT32_MAX - 16);
    if (len < 64) {
        e->hdr[0] = (unsigned char)(0x80 | len);
        e->hlen = 1;
    } else if (len < 4096) {
        e->hdr[0] = (unsigned char)(0xE0 | (len >> 8));
        e->hdr[1] = (unsigned char)(len & 0xff);
        e->hlen = 2;
    } else {
        e->hdr[0] = 0xF0;
        wr_le(e->hdr + 1, len, 4);
        e->hlen = 5;
    }
    e->str = s;
    e->slen = len;
    enc_backlen(e);
}

static void enc_double(struct enc *e, double d)
{
    memset(e, 0, sizeof *e);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    e->hdr[0] = 0xF5;
    wr_le(e->hdr + 1, bits, 8);
    e->hlen = 9;
    enc_backlen(e);
}

static size_t enc_total(const struct enc *e) { return e->hlen + e->slen + e->blen; }

/* Size of tag + payload of the entry at p. */
static size_t core_size(const unsigned char *p)
{
    unsigned b = p[0];
    if (b < 0x80) return 1;
    if ((b & 0xC0) == 0x80) return 1 + (b & 0x3f);
    if ((b & 0xE0) == 0xC0) return 2;
    if ((b & 0xF0) == 0xE0) return 2 + ((b & 0x0f) << 8 | p[1]);
    switch (b) {
    case 0xF0:
        return 5 + (size_t)rd_le(p + 1, 4);
    case 0xF1:
        return 3;
    case 0xF2:
        return 4;
    case 0xF3:
        return 5;
    case 0xF4:
        return 9;
    case 0xF5:
        return 9;
    default:
        util_panic("obj_pack: corrupt entry tag 0x%02x", b);
    }
}

static size_t entry_size(const unsigned char *p)
{
    size_t n = core_size(p);
    return n + backlen_size(n);
}

void pack_init(struct pack *pk)
{
    pk->cap = 16;
    pk->data = xmalloc(pk->cap);
    set_total(pk, PACK_HEADER_BYTES);
    wr_le(pk->data + 4, 0, 2);
}

void pack_free(struct pack *pk)
{
    free(pk->data);
    pk->data = NULL;
    pk->cap = 0;
}

void pack_copy(struct pack *dst, const struct pack *src)
{
    uint32_t n = pack_bytes(src);
    dst->data = xmemdup(src->data, n);
    dst->cap = n;
}

void pack_shrink_to_fit(struct pack *pk)
{
    uint32_t n = pack_bytes(pk);
    if (pk->cap == n) return;
    pk->data = xrealloc(pk->data, n);
    pk->cap = n;
}

/* Replace `del` bytes at off with room for `ins` bytes; returns where to write them. Growth keeps
 * 1/32 spare so a run of pushes does not reallocate every time; a pack that lost more than half
 * its bytes gives the memory back. */
static unsigned char *pack_splice(struct pack *pk, uint32_t off, size_t del, size_t ins)
{
    size_t total = pack_bytes(pk);
    ASSERT(off >= PACK_HEADER_BYTES && off + del <= total);
    size_t ntotal = total - del + ins;
    ASSERT(ntotal < UINT32_MAX / 2);
    if (ntotal > pk->cap) {
        size_t cap = ntotal + ntotal / 32 + 8;
        pk->data = xrealloc(pk->data, cap);
        pk->cap = (uint32_t)cap;
    }
    memmove(pk->data + off + ins, pk->data + off + del, total - off - del);
    set_total(pk, ntotal);
    if (pk->cap > 64 && pk->cap / 2 > ntotal) {
        size_t cap = ntotal + ntotal / 32 + 8;
        pk->data = xrealloc(pk->data, cap);
        pk->cap = (uint32_t)cap;
    }
    return pk->data + off;
}

static void write_enc(unsigned char *p, const struct enc *e)
{
    memcpy(p, e->hdr, e->hlen);
    if (e->slen) memcpy(p + e->hlen, e->str, e->slen);
    memcpy(p + e->hlen + e->slen, e->back, e->blen);
}

static uint32_t insert_enc(struct pack *pk, uint32_t off, const struct enc *e)
{
    /* e->str may point into this pack (a list re-inserting its own element): copy it first. */
    struct enc local = *e;
    char *tmp = NULL;
    if (e->slen && (const unsigned char *)e->str >= pk->data &&
        (const unsigned char *)e->str < pk->data + pk->cap) {
        tmp = xmemdup(e->str, e->slen);
        local.str = tmp;
    }
    write_enc(pack_splice(pk, off, 0, enc_total(&local)), &local);
    add_count(pk, 1);
    free(tmp);
    return off;
}

uint32_t pack_next(const struct pack *pk, uint32_t off)
{
    ASSERT(off < pack_bytes(pk));
    return off + (uint32_t)entry_size(pk->data + off);
}

uint32_t pack_prev(const struct pack *pk, uint32_t off)
{
    if (off <= PACK_HEADER_BYTES) return 0;
    const unsigned char *p = pk->data + off;
    size_t v = 0, shift = 0;
    unsigned char b;
    do {
        b = *--p;
        v |= (size_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return off - (uint32_t)(v + backlen_size(v));
}

uint32_t pack_last(const struct pack *pk)
{
    return pack_count(pk) ? pack_prev(pk, pack_bytes(pk)) : 0;
}

uint32_t pack_seek(const struct pack *pk, uint32_t idx)
{
    uint32_t count = pack_count(pk);
    ASSERT(idx < count);
    uint32_t off;
    if (idx < count / 2) {
        off = pack_first(pk);
        while (idx--) off = pack_next(pk, off);
    } else {
        off = pack_bytes(pk);
        for (uint32_t steps = count - idx; steps; steps--) off = pack_prev(pk, off);
    }
    return off;
}

static long long sign_extend(uint64_t v, int bits)
{
    uint64_t m = 1ULL << (bits - 1);
    return (long long)((v ^ m) - m);
}

void pack_get(const struct pack *pk, uint32_t off, struct pack_val *out)
{
    const unsigned char *p = pk->data + off;
    unsigned b = p[0];
    out->bytes = NULL;
    out->len = 0;
    out->integer = 0;
    if (b < 0x80) {
        out->integer = b;
    } else if ((b & 0xC0) == 0x80) {
        out->bytes = (const char *)p + 1, out->len = b & 0x3f;
    } else if ((b & 0xE0) == 0xC0) {
        out->integer = sign_extend((b & 0x1f) << 8 | p[1], 13);
    } else if ((b & 0xF0) == 0xE0) {
        out->bytes = (const char *)p + 2, out->len = (b & 0x0f) << 8 | p[1];
    } else if (b == 0xF0) {
        out->bytes = (const char *)p + 5, out->len = rd_le(p + 1, 4);
    } else if (b >= 0xF1 && b <= 0xF3) {
        int n = (int)(b - 0xF1) + 2;
        out->integer = sign_extend(rd_le(p + 1, n), 8 * n);
    } else if (b == 0xF4) {
        out->integer = (long long)((uint64_t)rd_le(p + 1, 4) | (uint64_t)rd_le(p + 5, 4) << 32);
    } else {
        util_panic("obj_pack: entry 0x%02x is not a string or integer", b);
    }
}

double pack_get_double(const struct pack *pk, uint32_t off)
{
    const unsigned char *p = pk->data + off;
    ASSERT(p[0] == 0xF5);
    uint64_t bits = (uint64_t)rd_le(p + 1, 4) | (uint64_t)rd_le(p + 5, 4) << 32;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

size_t pack_entry_size_str(const char *s, size_t len, bool try_int)
{
    struct enc e;
    enc_str(&e, s, len, try_int);
    return enc_total(&e);
}

uint32_t pack_insert_str(struct pack *pk, uint32_t off, const char *s, size_t len, bool try_int)
{
    struct enc e;
    enc_str(&e, s, len, try_int);
    return insert_enc(pk, off, &e);
}

uint32_t pack_insert_int(struct pack *pk, uint32_t off, long long v)
{
    struct enc e;
    enc_int(&e, v);
    return insert_enc(pk, off, &e);
}

uint32_t pack_insert_double(struct pack *pk, uint32_t off, double d)
{
    struct enc e;
    enc_double(&e, d);
    return insert_enc(pk, off, &e);
}

static void replace_enc(struct pack *pk, uint32_t off, const struct enc *e)
{
    struct enc local = *e;
    char *tmp = NULL;
    if (e->slen) { /* the new bytes may alias the old entry: copy before moving anything */
        tmp = xmemdup(e->str, e->slen);
        local.str = tmp;
    }
    size_t old = entry_size(pk->data + off);
    write_enc(pack_splice(pk, off, old, enc_total(&local)), &local);
    free(tmp);
}

void pack_replace_str(struct pack *pk, uint32_t off, const char *s, size_t len, bool try_int)
{
    struct enc e;
    enc_str(&e, s, len, try_int);
    replace_enc(pk, off, &e);
}

void pack_replace_double(struct pack *pk, uint32_t off, double d)
{
    struct enc e;
    enc_double(&e, d);
    replace_enc(pk, off, &e);
}

uint32_t pack_delete(struct pack *pk, uint32_t off, uint32_t n)
{
    uint32_t end = off;
    for (uint32_t i = 0; i < n; i++) end = pack_next(pk, end);
    pack_splice(pk, off, end - off, 0);
    add_count(pk, -(long)n);
    return off;
}

void pack_split_to(struct pack *pk, uint32_t off, struct pack *dst)
{
    ASSERT(pack_count(dst) == 0);
    uint32_t total = pack_bytes(pk), n = 0;
    for (uint32_t o = off; o < total; o = pack_next(pk, o)) n++;
    memcpy(pack_splice(dst, PACK_HEADER_BYTES, 0, total - off), pk->data + off, total - off);
    add_count(dst, n);
    pack_splice(pk, off, total - off, 0);
    add_count(pk, -(long)n);
}

void pack_append_all(struct pack *dst, const struct pack *src)
{
    ASSERT(dst != src);
    uint32_t n = pack_bytes(src) - PACK_HEADER_BYTES;
    memcpy(pack_splice(dst, pack_bytes(dst), 0, n), src->data + PACK_HEADER_BYTES, n);
    add_count(dst, pack_count(src));
}

bool pack_str_to_ll(const char *s, size_t len, long long *out)
{
    if (len == 0 || len > 20) return false;
    if (!(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) return false;
    long long v;
    if (util_parse_ll(s, len, &v) != 0) return false;
    char buf[PACK_NUMBUF];
    size_t n = pack_format_ll(buf, v);
    if (n != len || memcmp(buf, s, len) != 0) return false; /* "007", "+1": not canonical */
    *out = v;
    return true;
}

size_t pack_format_ll(char *buf, long long v) { return util_ll_to_str(buf, PACK_NUMBUF, v); }

const char *pack_val_str(const struct pack_val *v, char *buf, size_t *len)
{
    if (v->bytes) {
        *len = v->len;
        return v->bytes;
    }
    *len = pack_format_ll(buf, v->integer);
    return buf;
}

void pack_key_init(struct pack_key *k, const char *s, size_t len)
{
    k->bytes = s;
    k->len = len;
    k->integer = 0;
    k->is_int = pack_str_to_ll(s, len, &k->integer);
}

bool pack_val_eq(const struct pack_val *v, const struct pack_key *k)
{
    if (v->bytes)
        return v->len == k->len && (k->len == 0 || memcmp(v->bytes, k->bytes, k->len) == 0);
    return k->is_int && k->integer == v->integer;
}

bool pack_eq(const struct pack *pk, uint32_t off, const struct pack_key *k)
{
    struct pack_val v;
    pack_get(pk, off, &v);
    return pack_val_eq(&v, k);
}

int pack_cmp_bytes(const struct pack *pk, uint32_t off, const char *s, size_t len)
{
    struct pack_val v;
    char buf[PACK_NUMBUF];
    size_t vlen;
    pack_get(pk, off, &v);
    const char *vs = pack_val_str(&v, buf, &vlen);
    size_t n = MIN(vlen, len);
    int c = n ? memcmp(vs, s, n) : 0;
    if (c) return c;
    return vlen < len ? -1 : vlen > len ? 1 : 0;
}
