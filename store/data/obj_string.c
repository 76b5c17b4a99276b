/* obj_string: the string value type inside keyspace entries (declared in keyspace.h, layout in
 * ks_entry.h): encoding choice, reads, SET, INCR*, APPEND, SETRANGE and raw mutable access.
 *
 * Encodings (what OBJECT ENCODING reports, as Redis 7):
 *   int     canonical decimal long long ("-0", "007", "+1" are not), 8 bytes in the entry;
 *   embstr  <= 44 bytes inside the entry (SET, INCRBYFLOAT results);
 *   raw     > 44 bytes, or after APPEND / SETRANGE.
 * Physically a SET value up to KS_EMB_MAX bytes stays inside the entry even when it reports
 * "raw": a separate buffer would cost a pointer, its header and a malloc chunk (about 36 bytes
 * per key for 100-byte values). Only APPEND/SETRANGE results and longer values get the separate
 * buffer, whose growth room is what makes repeated appends cheap.
 * INCR on an int string updates the 8 bytes in place (no allocation); APPEND grows a raw buffer
 * geometrically (doubling below 1 MB, +1 MB above) so repeated appends are amortized O(1).
 *
 * Invariant: every write keeps the TTL except SET without KEEPTTL (as Redis).
 */
#include "store/data/obj_string.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/data/ks_entry.h"

#define RAW_GROW_LINEAR (1024 * 1024)

/* ---- value construction --------------------------------------------------------------------- */

struct ks_raw *ks_raw_new(const char *s, size_t len, size_t cap)
{
    if (cap < len) cap = len;
    struct ks_raw *r = xmalloc(sizeof *r + cap);
    r->len = len;
    r->cap = cap;
    if (len) memcpy(r->data, s, len);
    return r;
}

/* Capacity for a buffer that must hold `need` bytes and is being grown by appends. */
static size_t raw_grow_cap(size_t need)
{
    return need < RAW_GROW_LINEAR ? need * 2 : need + RAW_GROW_LINEAR;
}

bool obj_string_is_int(const char *s, size_t len, long long *out)
{
    /* util_parse_ll accepts exactly the canonical form, so int round-trips byte-exactly. */
    return len > 0 && len <= 20 && util_parse_ll(s, len, out) == 0;
}

void ks_ent_val_from_string(struct ent_val *v, const char *s, size_t len, bool try_int)
{
    memset(v, 0, sizeof *v);
    v->type = KS_TYPE_STRING;
    if (try_int && obj_string_is_int(s, len, &v->iv)) {
        v->kind = KIND_INT;
    } else if (len <= KS_EMB_MAX) {
        v->kind = KIND_EMB;
        v->s = s;
        v->len = len;
    } else {
        v->kind = KIND_RAW;
        v->raw = ks_raw_new(s, len, len);
    }
}

void ks_ent_string_val(const struct ks_entry *e, struct ent_val *v)
{
    ASSERT(ks_entry_type(e) == KS_TYPE_STRING);
    memset(v, 0, sizeof *v);
    v->type = KS_TYPE_STRING;
    v->kind = ent_kind(e);
    const unsigned char *p = e->data + ent_val_off(e);
    switch (v->kind) {
    case KIND_INT:
        memcpy(&v->iv, p, 8);
        break;
    case KIND_EMB:
        p += varint_get(p, &v->len);
        v->s = (const char *)p;
        break;
    case KIND_RAW:
        memcpy(&v->raw, p, sizeof v->raw);
        break;
    case KIND_OBJ:
        util_panic("ks_ent_string_val: not a string");
    }
}

/* ---- reads ---------------------------------------------------------------------------------- */

const char *ks_str_get(const struct ks_entry *e, char buf[KS_INT_BUF], size_t *len)
{
    struct ent_val v;
    ks_ent_string_val(e, &v);
    switch (v.kind) {
    case KIND_INT:
        *len = util_ll_to_str(buf, KS_INT_BUF, v.iv);
        return buf;
    case KIND_EMB:
        *len = v.len;
        return v.s;
    case KIND_RAW:
        *len = v.raw->len;
        return v.raw->data;
    default:
        break;
    }
    util_panic("ks_str_get: not a string");
}

size_t ks_str_len(const struct ks_entry *e)
{
    char buf[KS_INT_BUF];
    size_t len;
    ks_str_get(e, buf, &len);
    return len;
}

bool ks_str_get_int(const struct ks_entry *e, long long *v)
{
    if (ks_entry_type(e) != KS_TYPE_STRING || ent_kind(e) != KIND_INT) return false;
    struct ent_val ev;
    ks_ent_string_val(e, &ev);
    *v = ev.iv;
    return true;
}

/* ---- lookup for the write commands ---------------------------------------------------------- */

/* Find key for a read-modify-write command. Returns the live entry or NULL; *hidden receives an
 * entry that is logically expired but kept (replica mode) and must be overwritten, not read. */
static struct ks_entry *str_lookup_write(struct ks *ks, uint64_t h, const char *key, size_t klen,
                                         int64_t now_ms, struct ks_entry **hidden)
{
    *hidden = NULL;
    struct ks_entry *e = (struct ks_entry *)dict_find_hashed(&ks->dict, h, key, klen);
    if (e && ks_entry_is_expired(e, now_ms)) {
        if (ks->is_replica) {
            *hidden = e;
        } else {
            /* Same path as ks_lookup: tell the server, then delete. */
            if (ks->expired_fn) ks->expired_fn(ks->expired_ctx, ks, key, klen);
            ks_delete_entry(ks, e);
        }
        return NULL;
    }
    return e;
}

struct ks_entry *ks_set_string(struct ks *ks, const char *key, size_t klen, const char *val,
                               size_t vlen, int64_t expire_ms, int flags, int64_t now_ms)
{
    uint64_t h = dict_hash(key, klen);
    struct ks_entry *hidden;
    struct ks_entry *e = str_lookup_write(ks, h, key, klen, now_ms, &hidden);
    if ((flags & KS_SET_NX) && e) return NULL;
    if ((flags & KS_SET_XX) && !e) return NULL;
    struct ent_val v;
    ks_ent_val_from_string(&v, val, vlen, !(flags & KS_SET_VERBATIM));
    bool keep = (flags & KS_SET_KEEPTTL) && e;
    return ks_store(ks, h, e ? e : hidden, key, klen, &v, expire_ms, keep);
}

/* ---- INCR family ---------------------------------------------------------------------------- */

int ks_str_incrby(struct ks *ks, const char *key, size_t klen, long long delta, int64_t now_ms,
                  long long *result)
{
    uint64_t h = dict_hash(key, klen);
    struct ks_entry *hidden;
    struct ks_entry *e = str_lookup_write(ks, h, key, klen, now_ms, &hidden);
    long long cur = 0;
    if (e) {
        if (ks_entry_type(e) != KS_TYPE_STRING) return KS_ERR_WRONGTYPE;
        struct ent_val v;
        ks_ent_string_val(e, &v);
        if (v.kind == KIND_INT) {
            cur = v.iv;
        } else {
            const char *s = v.kind == KIND_EMB ? v.s : v.raw->data;
            size_t len = v.kind == KIND_EMB ? v.len : v.raw->len;
            if (!obj_string_is_int(s, len, &cur)) return KS_ERR_NOT_INT;
        }
    }
    long long next;
    if (__builtin_add_overflow(cur, delta, &next)) return KS_ERR_OVERFLOW;
    *result = next;
    if (e && ent_kind(e) == KIND_INT) { /* hot path: 8 bytes in place */
        memcpy(e->data + ent_val_off(e), &next, 8);
        return KS_OK;
    }
    struct ent_val nv = {.kind = KIND_INT, .type = KS_TYPE_STRING, .iv = next};
    ks_store(ks, h, e ? e : hidden, key, klen, &nv, KS_NO_EXPIRE, e != NULL);
    return KS_OK;
}

int ks_str_incrbyfloat(struct ks *ks, const char *key, size_t klen, long double delta,
                       int64_t now_ms, char *out, size_t out_cap, size_t *out_len)
{
    uint64_t h = dict_hash(key, klen);
    struct ks_entry *hidden;
    struct ks_entry *e = str_lookup_write(ks, h, key, klen, now_ms, &hidden);
    long double cur = 0;
    if (e) {
        if (ks_entry_type(e) != KS_TYPE_STRING) return KS_ERR_WRONGTYPE;
        struct ent_val v;
        ks_ent_string_val(e, &v);
        if (v.kind == KIND_INT) {
            cur = (long double)v.iv;
        } else {
            const char *s = v.kind == KIND_EMB ? v.s : v.raw->data;
            size_t len = v.kind == KIND_EMB ? v.len : v.raw->len;
            if (util_parse_long_double(s, len, &cur) != 0) return KS_ERR_NOT_FLOAT;
        }
    }
    long double next = cur + delta;
    if (isnan(next) || isinf(next)) return KS_ERR_NAN;
    *out_len = util_long_double_to_str(out, out_cap, next);
    struct ent_val nv;
    ks_ent_val_from_string(&nv, out, *out_len, false);
    ks_store(ks, h, e ? e : hidden, key, klen, &nv, KS_NO_EXPIRE, e != NULL);
    return KS_OK;
}

/* ---- raw conversion and growth -------------------------------------------------------------- */

/* Make e "raw" with room for at least min_cap bytes, keeping key and TTL. Returns the (possibly
 * moved) entry; *raw receives its buffer. */
static struct ks_entry *str_make_raw(struct ks *ks, uint64_t h, struct ks_entry *e, size_t min_cap,
                                     bool is_greedy, struct ks_raw **raw)
{
    size_t grown = is_greedy ? raw_grow_cap(min_cap) : min_cap;
    struct ent_val v;
    ks_ent_string_val(e, &v);
    if (v.kind == KIND_RAW) {
        if (v.raw->cap < min_cap) {
            v.raw = xrealloc(v.raw, sizeof *v.raw + grown);
            v.raw->cap = grown;
            memcpy(e->data + ent_val_off(e), &v.raw, sizeof v.raw);
        }
        *raw = v.raw;
        return e;
    }
    char buf[KS_INT_BUF];
    size_t len;
    const char *s = ks_str_get(e, buf, &len);
    size_t cap = min_cap > len ? grown : len;
    struct ent_val nv = {.kind = KIND_RAW, .type = KS_TYPE_STRING, .raw = ks_raw_new(s, len, cap)};
    size_t klen;
    const char *key = ent_key(e, &klen); /* ks_store copes with the key living inside e */
    *raw = nv.raw;
    return ks_store(ks, h, e, key, klen, &nv, KS_NO_EXPIRE, true);
}

int ks_str_append(struct ks *ks, const char *key, size_t klen, const char *val, size_t vlen,
                  size_t max_len, int64_t now_ms, size_t *new_len)
{
    uint64_t h = dict_hash(key, klen);
    struct ks_entry *hidden;
    struct ks_entry *e = str_lookup_write(ks, h, key, klen, now_ms, &hidden);
    if (!e) { /* a new key is encoded exactly as SET would */
        struct ent_val v;
        ks_ent_val_from_string(&v, val, vlen, true);
        ks_store(ks, h, hidden, key, klen, &v, KS_NO_EXPIRE, false);
        *new_len = vlen;
        return KS_OK;
    }
    if (ks_entry_type(e) != KS_TYPE_STRING) return KS_ERR_WRONGTYPE;
    size_t len = ks_str_len(e);
    if (vlen > max_len || len > max_len - vlen) return KS_ERR_TOO_BIG;
    struct ks_raw *raw;
    str_make_raw(ks, h, e, len + vlen, true, &raw);
    memcpy(raw->data + raw->len, val, vlen);
    raw->len += vlen;
    *new_len = raw->len;
    return KS_OK;
}

int ks_str_setrange(struct ks *ks, const char *key, size_t klen, size_t offset, const char *val,
                    size_t vlen, size_t max_len, int64_t now_ms, size_t *new_len)
{
    uint64_t h = dict_hash(key, klen);
    struct ks_entry *hidden;
    struct ks_entry *e = str_lookup_write(ks, h, key, klen, now_ms, &hidden);
    if (e && ks_entry_type(e) != KS_TYPE_STRING) return KS_ERR_WRONGTYPE;
    size_t len = e ? ks_str_len(e) : 0;
    if (vlen == 0) { /* nothing to write: report the length, create nothing */
        *new_len = len;
        return KS_OK;
    }
    if (offset > max_len || vlen > max_len - offset) return KS_ERR_TOO_BIG;
    size_t end = offset + vlen;
    struct ks_raw *raw;
    if (!e) {
        struct ent_val v = {
            .kind = KIND_RAW, .type = KS_TYPE_STRING, .raw = ks_raw_new(NULL, 0, end)};
        raw = v.raw;
        ks_store(ks, h, hidden, key, klen, &v, KS_NO_EXPIRE, false);
    } else {
        str_make_raw(ks, h, e, end, true, &raw);
    }
    if (end > raw->len) {
        memset(raw->data + raw->len, 0, end - raw->len);
        raw->len = end;
    }
    memcpy(raw->data + offset, val, vlen);
    *new_len = raw->len;
    return KS_OK;
}

struct ks_entry *ks_str_mutable(struct ks *ks, struct ks_entry *e, size_t new_len, char **data,
                                size_t *len)
{
    ASSERT(ks_entry_type(e) == KS_TYPE_STRING);
    size_t klen;
    const char *key = ent_key(e, &klen);
    uint64_t h = dict_hash(key, klen);
    size_t cur = ks_str_len(e);
    size_t want = new_len == SIZE_MAX ? cur : new_len;
    struct ks_raw *raw;
    e = str_make_raw(ks, h, e, want, false, &raw);
    if (want > raw->len) memset(raw->data + raw->len, 0, want - raw->len);
    raw->len = want;
    *data = raw->data;
    *len = raw->len;
    return e;
}
