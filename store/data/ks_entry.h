/* ks_entry: the byte layout of one keyspace entry (INTERNAL to keyspace.c and obj_string.c).
 *
 * One allocation holds the dict chain pointer, a flags byte, the optional expiry, the key and the
 * value, so a small string key costs a single malloc chunk:
 *
 *   +--------+-------+----------+--------------------------+-------------+-----+-----------------+
 *   | next 8 | flags | access 3 | [expire_ms 8][exp_idx 4] | varint klen | key | value (by kind) |
 *   +--------+-------+----------+--------------------------+-------------+-----+-----------------+
 *   flags: bits 0-2 type (enum ks_type), bits 3-4 kind (INT/EMB/RAW/OBJ), bit 5 has-expire.
 *   access: the ks clock (seconds, 24 bits, wrapping every 194 days) when the key was last
 *   written or read (OBJECT IDLETIME); in LFU mode, 16 bits of minutes and an 8-bit
 *   logarithmic access counter (evict_pool.h, OBJECT FREQ). Three bytes per key: a 16-byte
 *   key with a 16-byte value stays in the same malloc size class.
 *   value: INT 8-byte int64 | EMB varint vlen + bytes | RAW pointer to struct ks_raw |
 *          OBJ ops pointer + object pointer.
 *   Multi-byte fields are unaligned and accessed with memcpy.
 *
 * Invariants: exp_idx is this entry's index in the ks expiry array (kept in sync whenever the
 * entry moves); a RAW buffer is owned by exactly one entry; key length < 2^32.
 */
#ifndef VIGIL_KS_ENTRY_H
#define VIGIL_KS_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/data/dict.h"
#include "store/data/keyspace.h"

enum ks_kind { KIND_INT = 0, KIND_EMB = 1, KIND_RAW = 2, KIND_OBJ = 3 };

#define ENT_TYPE_MASK 0x07u
#define ENT_KIND_SHIFT 3
#define ENT_KIND_MASK 0x18u
#define ENT_HAS_EXPIRE 0x20u
#define ENT_EXPIRE_BYTES 12u

struct ks_entry {
    struct dict_entry link;
    uint8_t flags;
    uint8_t access_s[3]; /* little-endian, ks->clock_s at the last access */
    unsigned char data[];
};
#define ENT_HEADER_BYTES offsetof(struct ks_entry, data)

/* Separately allocated string value with growth room (APPEND, SETRANGE, > 44 bytes). */
struct ks_raw {
    size_t len;
    size_t cap;
    char data[];
};

/* The ks itself: the dict of entries plus the array of volatile entries. */
struct ks {
    struct dict dict;
    struct ks_entry **exp; /* entries with a TTL, in no order */
    size_t exp_len, exp_cap;
    int64_t avg_ttl_ms; /* running estimate from expire cycles */
    struct rng rng;
    ks_expired_fn expired_fn;
    void *expired_ctx;
    ks_added_fn added_fn;
    void *added_ctx;
    uint32_t clock_s; /* access clock: seconds mod 2^24, set by ks_set_clock */
    bool is_replica;
    /* LFU mode (an LFU maxmemory policy): the access bits hold minutes << 8 | counter. */
    bool is_lfu;
    uint32_t clock_min; /* minutes mod 2^16, set by ks_set_clock */
    long long lfu_log_factor, lfu_decay_min;
};

static inline void ent_set_access(struct ks_entry *e, uint32_t clock_s)
{
    e->access_s[0] = (uint8_t)clock_s;
    e->access_s[1] = (uint8_t)(clock_s >> 8);
    e->access_s[2] = (uint8_t)(clock_s >> 16);
}

static inline uint32_t ent_access(const struct ks_entry *e)
{
    return (uint32_t)e->access_s[0] | (uint32_t)e->access_s[1] << 8 |
           (uint32_t)e->access_s[2] << 16;
}

/* ---- varints (LEB128, little-endian groups of 7 bits) ------------------------------------- */

static inline size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline size_t varint_put(unsigned char *p, size_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static inline size_t varint_get(const unsigned char *p, size_t *v)
{
    size_t r = 0, n = 0;
    int shift = 0;
    for (;;) {
        unsigned char b = p[n++];
        r |= (size_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
    }
    *v = r;
    return n;
}

/* ---- field access ------------------------------------------------------------------------- */

static inline enum ks_kind ent_kind(const struct ks_entry *e)
{
    return (enum ks_kind)((e->flags & ENT_KIND_MASK) >> ENT_KIND_SHIFT);
}
static inline bool ent_has_expire(const struct ks_entry *e) { return e->flags & ENT_HAS_EXPIRE; }
static inline size_t ent_key_off(const struct ks_entry *e)
{
    return ent_has_expire(e) ? ENT_EXPIRE_BYTES : 0;
}
static inline const char *ent_key(const struct ks_entry *e, size_t *klen)
{
    size_t off = ent_key_off(e);
    off += varint_get(e->data + off, klen);
    return (const char *)e->data + off;
}
/* Offset in data[] of the value part. */
static inline size_t ent_val_off(const struct ks_entry *e)
{
    size_t klen;
    const char *k = ent_key(e, &klen);
    return (size_t)(k - (const char *)e->data) + klen;
}
static inline int64_t ent_expire(const struct ks_entry *e)
{
    int64_t v;
    if (!ent_has_expire(e)) return KS_NO_EXPIRE;
    memcpy(&v, e->data, 8);
    return v;
}
static inline uint32_t ent_exp_idx(const struct ks_entry *e)
{
    uint32_t v;
    memcpy(&v, e->data + 8, 4);
    return v;
}
static inline void ent_set_exp_idx(struct ks_entry *e, uint32_t idx)
{
    memcpy(e->data + 8, &idx, 4);
}
static inline struct ks_raw *ent_raw(const struct ks_entry *e)
{
    struct ks_raw *r;
    memcpy(&r, e->data + ent_val_off(e), sizeof r);
    return r;
}

/* A value to write into a new entry. */
struct ent_val {
    enum ks_kind kind;
    enum ks_type type;
    long long iv;  /* INT */
    const char *s; /* EMB bytes */
    size_t len;
    struct ks_raw *raw;           /* RAW (ownership passes to the entry) */
    const struct ks_obj_ops *ops; /* OBJ */
    void *obj;
};

/* Shared by keyspace.c and obj_string.c (defined in keyspace.c). */
size_t ks_ent_size(size_t klen, bool has_expire, const struct ent_val *v);
/* Build an entry in `e` (of at least ks_ent_size bytes); exp_idx is left for the caller. */
void ks_ent_write(struct ks_entry *e, const char *key, size_t klen, int64_t expire_ms,
                  const struct ent_val *v);
/* Replace the entry for `key` (absent or present, any type) with a new value. Keeps the TTL if
 * keep_ttl and expire_ms < 0. Returns the entry. Frees the old value. */
struct ks_entry *ks_store(struct ks *ks, uint64_t h, struct ks_entry *old, const char *key,
                          size_t klen, const struct ent_val *v, int64_t expire_ms, bool keep_ttl);
/* Frees the value (raw buffer or object) of an entry, not the entry. */
void ks_ent_free_value(struct ks_entry *e);
struct ks_raw *ks_raw_new(const char *s, size_t len, size_t cap);
/* An entry's string value described as an ent_val of the right kind (borrowing its bytes). */
void ks_ent_string_val(const struct ks_entry *e, struct ent_val *v);
/* The string value encoded as SET would: int, embstr or raw (a new raw buffer for > 44). */
void ks_ent_val_from_string(struct ent_val *v, const char *s, size_t len, bool try_int);

#endif
