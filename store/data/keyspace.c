/* keyspace: keys -> typed values with expiry, one struct ks per database. See keyspace.h for
 * the contract and ks_entry.h for the entry layout. This file owns the entry lifecycle (build,
 * replace, delete), the expiry index and the whole-keyspace operations; obj_string.c holds the
 * string commands' value logic.
 *
 * Expiry index: ks->exp is an unordered array of the entries that have a TTL; each such entry
 * stores its index (exp_idx), so adding, removing (swap with the last) and sampling a random
 * volatile key are all O(1). Every place that moves or frees an entry keeps it in sync.
 *
 * Must not: call time(), rand(), or do I/O. Callbacks are the only way out.
 */
#include "store/data/keyspace.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/data/evict_pool.h"
#include "store/data/ks_entry.h"

#define EXPIRE_SAMPLE 20       /* keys sampled per active-expiry round */
#define EXPIRE_DECIDE_ROUNDS 5 /* rounds before the stale share decides to stop */
#define SCAN_EXPIRE_MAX 64

static const char *ks_entry_key_of(const struct dict_entry *d, size_t *len)
{
    return ent_key((const struct ks_entry *)d, len);
}

/* ---- lifecycle --------------------------------------------------------------------------------
 */

struct ks *ks_create(uint64_t seed)
{
    struct ks *ks = xcalloc(1, sizeof *ks);
    dict_init(&ks->dict, ks_entry_key_of);
    rng_seed(&ks->rng, seed);
    return ks;
}

void ks_destroy(struct ks *ks)
{
    if (!ks) return;
    ks_flush(ks);
    free(ks);
}

void ks_set_expired_cb(struct ks *ks, ks_expired_fn fn, void *ctx)
{
    ks->expired_fn = fn;
    ks->expired_ctx = ctx;
}

void ks_set_added_cb(struct ks *ks, ks_added_fn fn, void *ctx)
{
    ks->added_fn = fn;
    ks->added_ctx = ctx;
}

static void ks_tell_added(struct ks *ks, const char *key, size_t klen)
{
    if (ks->added_fn) ks->added_fn(ks->added_ctx, ks, key, klen);
}

void ks_set_replica_mode(struct ks *ks, bool is_replica) { ks->is_replica = is_replica; }
bool ks_is_replica_mode(const struct ks *ks) { return ks->is_replica; }

#define ACCESS_CLOCK_MASK 0xFFFFFFu

void ks_set_clock(struct ks *ks, int64_t now_ms)
{
    ks->clock_s = (uint32_t)((uint64_t)(now_ms / 1000) & ACCESS_CLOCK_MASK);
    ks->clock_min = (uint32_t)((uint64_t)(now_ms / 60000) & 0xFFFFu);
}

int64_t ks_entry_idle_s(const struct ks *ks, const struct ks_entry *e)
{
    /* Both are seconds mod 2^24: a clock behind the entry's stamp has wrapped once. */
    uint32_t at = ent_access(e);
    return (int64_t)((ks->clock_s - at) & ACCESS_CLOCK_MASK);
}
size_t ks_count(const struct ks *ks) { return dict_count(&ks->dict); }
void ks_reserve(struct ks *ks, size_t nkeys) { dict_reserve(&ks->dict, nkeys); }
size_t ks_expires_count(const struct ks *ks) { return ks->exp_len; }
int64_t ks_avg_ttl_ms(const struct ks *ks) { return ks->avg_ttl_ms; }
bool ks_rehash_step(struct ks *ks, int n) { return dict_rehash_step(&ks->dict, n); }
void ks_set_resize_avoided(struct ks *ks, bool on) { dict_set_resize_avoided(&ks->dict, on); }

/* ---- expiry index --------------------------------------------------------------------------- */

static void exp_add(struct ks *ks, struct ks_entry *e)
{
    if (ks->exp_len == ks->exp_cap) {
        ks->exp_cap = ks->exp_cap ? ks->exp_cap * 2 : 16;
        ks->exp = xrealloc(ks->exp, ks->exp_cap * sizeof *ks->exp);
    }
    ASSERT(ks->exp_len < UINT32_MAX);
    ent_set_exp_idx(e, (uint32_t)ks->exp_len);
    ks->exp[ks->exp_len++] = e;
}

static void exp_remove(struct ks *ks, uint32_t idx)
{
    ASSERT(idx < ks->exp_len);
    struct ks_entry *last = ks->exp[--ks->exp_len];
    if (idx != ks->exp_len) {
        ks->exp[idx] = last;
        ent_set_exp_idx(last, idx);
    }
    if (ks->exp_cap > 64 && ks->exp_len < ks->exp_cap / 4) { /* give memory back */
        ks->exp_cap /= 2;
        ks->exp = xrealloc(ks->exp, ks->exp_cap * sizeof *ks->exp);
    }
}

/* ---- entry building ------------------------------------------------------------------------- */

static size_t val_size(const struct ent_val *v)
{
    switch (v->kind) {
    case KIND_INT:
        return 8;
    case KIND_EMB:
        return varint_len(v->len) + v->len;
    case KIND_RAW:
        return sizeof(struct ks_raw *);
    case KIND_OBJ:
        return sizeof(const struct ks_obj_ops *) + sizeof(void *);
    }
    return 0;
}

size_t ks_ent_size(size_t klen, bool has_expire, const struct ent_val *v)
{
    return ENT_HEADER_BYTES + (has_expire ? ENT_EXPIRE_BYTES : 0) + varint_len(klen) + klen +
           val_size(v);
}

void ks_ent_write(struct ks_entry *e, const char *key, size_t klen, int64_t expire_ms,
                  const struct ent_val *v)
{
    bool has_exp = expire_ms >= 0;
    size_t off = has_exp ? ENT_EXPIRE_BYTES : 0;
    size_t key_at = off + varint_len(klen);
    /* The key first, with memmove: it may be this entry's own key at another offset. */
    memmove(e->data + key_at, key, klen);
    e->flags = (uint8_t)((unsigned)v->type | ((unsigned)v->kind << ENT_KIND_SHIFT) |
                         (has_exp ? ENT_HAS_EXPIRE : 0u));
    if (has_exp) memcpy(e->data, &expire_ms, 8);
    varint_put(e->data + off, klen);
    unsigned char *p = e->data + key_at + klen;
    switch (v->kind) {
    case KIND_INT:
        memcpy(p, &v->iv, 8);
        break;
    case KIND_EMB:
        p += varint_put(p, v->len);
        memcpy(p, v->s, v->len);
        break;
    case KIND_RAW:
        memcpy(p, &v->raw, sizeof v->raw);
        break;
    case KIND_OBJ:
        memcpy(p, &v->ops, sizeof v->ops);
        memcpy(p + sizeof v->ops, &v->obj, sizeof v->obj);
        break;
    }
}

/* Bytes of the entry actually in use (the chunk may be larger). */
static size_t ent_used_bytes(const struct ks_entry *e)
{
    size_t off = ent_val_off(e);
    struct ent_val v = {.kind = ent_kind(e)};
    if (v.kind == KIND_EMB) varint_get(e->data + off, &v.len);
    return ENT_HEADER_BYTES + off + val_size(&v);
}

static const struct ks_obj_ops *ent_ops(const struct ks_entry *e)
{
    const struct ks_obj_ops *ops;
    memcpy(&ops, e->data + ent_val_off(e), sizeof ops);
    return ops;
}

static void *ent_obj(const struct ks_entry *e)
{
    void *obj;
    memcpy(&obj, e->data + ent_val_off(e) + sizeof(void *), sizeof obj);
    return obj;
}

void ks_ent_free_value(struct ks_entry *e)
{
    switch (ent_kind(e)) {
    case KIND_RAW:
        free(ent_raw(e));
        break;
    case KIND_OBJ:
        ent_ops(e)->free(ent_obj(e));
        break;
    default:
        break;
    }
}

/* Free old's value unless the new value is that same buffer or object (re-storing a value). */
static void ent_free_replaced_value(struct ks_entry *old, const struct ent_val *v)
{
    if (ent_kind(old) == KIND_OBJ && v->kind == KIND_OBJ && ent_obj(old) == v->obj) return;
    if (ent_kind(old) == KIND_RAW && v->kind == KIND_RAW && ent_raw(old) == v->raw) return;
    ks_ent_free_value(old);
}

static void ent_free(struct ks_entry *e)
{
    ks_ent_free_value(e);
    free(e);
}

static bool points_into(const void *p, const void *base, size_t n)
{
    return (uintptr_t)p >= (uintptr_t)base && (uintptr_t)p < (uintptr_t)base + n;
}

/* The access bits of a key being written: the clock (LRU), or, in LFU mode, an access counted
 * on the old value's counter (a new key starts at LFU_INIT_VAL), as Redis keeps the frequency
 * of an overwritten key. */
static uint32_t ks_stamp_write(struct ks *ks, const struct ks_entry *old)
{
    if (!ks->is_lfu) return ks->clock_s;
    if (!old) return lfu_initial(ks->clock_min);
    return lfu_touched(ent_access(old), ks->clock_min, ks->lfu_log_factor, ks->lfu_decay_min,
                       rng_double(&ks->rng));
}

/* Rewrite `old` in place when the new layout fits its chunk without much waste (the common
 * SET-over-SET case costs no malloc). The value bytes must not alias old; the key may. */
static bool ks_store_in_place(struct ks *ks, struct ks_entry *old, const char *key, size_t klen,
                              const struct ent_val *v, int64_t exp, size_t need)
{
    size_t usable = malloc_usable_size(old);
    if (need > usable || usable - need > 32) return false;
    if (v->kind == KIND_EMB && points_into(v->s, old, usable)) return false;
    if (v->kind == KIND_EMB && ent_kind(old) == KIND_RAW &&
        points_into(v->s, ent_raw(old)->data, ent_raw(old)->cap + 1))
        return false; /* the bytes live in the buffer we are about to free */
    bool had_exp = ent_has_expire(old);
    uint32_t idx = had_exp ? ent_exp_idx(old) : 0;
    uint32_t stamp = ks_stamp_write(ks, old);
    ent_free_replaced_value(old, v);
    ks_ent_write(old, key, klen, exp, v);
    ent_set_access(old, stamp);
    if (had_exp && exp >= 0)
        ent_set_exp_idx(old, idx);
    else if (had_exp)
        exp_remove(ks, idx);
    else if (exp >= 0)
        exp_add(ks, old);
    return true;
}

struct ks_entry *ks_store(struct ks *ks, uint64_t h, struct ks_entry *old, const char *key,
                          size_t klen, const struct ent_val *v, int64_t expire_ms, bool keep_ttl)
{
    int64_t exp = expire_ms;
    if (exp < 0 && keep_ttl && old) exp = ent_expire(old);
    if (exp < 0) exp = KS_NO_EXPIRE;
    size_t need = ks_ent_size(klen, exp >= 0, v);
    if (old && ks_store_in_place(ks, old, key, klen, v, exp, need)) return old;

    struct ks_entry *e = xmalloc(need);
    ks_ent_write(e, key, klen, exp, v); /* before freeing old: key may point into it */
    ent_set_access(e, ks_stamp_write(ks, old));
    if (!old) {
        dict_add_hashed(&ks->dict, h, &e->link);
        if (exp >= 0) exp_add(ks, e);
        ks_tell_added(ks, key, klen);
        return e;
    }
    struct dict_entry **slot = dict_slot_of_hashed(&ks->dict, h, &old->link);
    e->link.next = old->link.next;
    *slot = &e->link;
    if (ent_has_expire(old) && exp >= 0) {
        uint32_t idx = ent_exp_idx(old);
        ent_set_exp_idx(e, idx);
        ks->exp[idx] = e;
    } else if (ent_has_expire(old)) {
        exp_remove(ks, ent_exp_idx(old));
    } else if (exp >= 0) {
        exp_add(ks, e);
    }
    ent_free_replaced_value(old, v);
    free(old);
    return e;
}

/* ---- lookup and delete ---------------------------------------------------------------------- */

bool ks_entry_is_expired(const struct ks_entry *e, int64_t now_ms)
{
    /* As Redis: a key is expired once now is strictly past its expiry time. */
    return ent_has_expire(e) && ent_expire(e) < now_ms;
}

/* Unlink from the dict and the expiry index; the caller frees. */
static void ks_unlink(struct ks *ks, struct ks_entry *e)
{
    dict_unlink_entry(&ks->dict, &e->link);
    if (ent_has_expire(e)) exp_remove(ks, ent_exp_idx(e));
}

void ks_delete_entry(struct ks *ks, struct ks_entry *e)
{
    ks_unlink(ks, e);
    ent_free(e);
}

void *ks_delete_entry_take_obj(struct ks *ks, struct ks_entry *e)
{
    if (ent_kind(e) != KIND_OBJ) {
        ks_delete_entry(ks, e);
        return NULL;
    }
    void *obj = ent_obj(e);
    ks_unlink(ks, e);
    free(e); /* the entry only: the value now belongs to the caller */
    return obj;
}

/* Remove an expired key, telling the server first (key bytes valid during the callback). */
static void ks_expire_entry(struct ks *ks, struct ks_entry *e)
{
    if (ks->expired_fn) {
        size_t klen;
        const char *k = ent_key(e, &klen);
        ks->expired_fn(ks->expired_ctx, ks, k, klen);
    }
    ks_delete_entry(ks, e);
}

struct ks_entry *ks_find(struct ks *ks, const char *key, size_t klen)
{
    return (struct ks_entry *)dict_find(&ks->dict, key, klen);
}

struct ks_entry *ks_lookup(struct ks *ks, const char *key, size_t klen, int64_t now_ms)
{
    struct ks_entry *e = (struct ks_entry *)dict_find(&ks->dict, key, klen);
    if (e && ks_entry_is_expired(e, now_ms)) {
        if (!ks->is_replica) ks_expire_entry(ks, e);
        return NULL;
    }
    return e;
}

int ks_delete(struct ks *ks, const char *key, size_t klen)
{
    struct ks_entry *e = ks_find(ks, key, klen);
    if (!e) return 0;
    ks_delete_entry(ks, e);
    return 1;
}

/* ---- accessors ------------------------------------------------------------------------------ */

const char *ks_entry_key(const struct ks_entry *e, size_t *klen) { return ent_key(e, klen); }
enum ks_type ks_entry_type(const struct ks_entry *e)
{
    return (enum ks_type)(e->flags & ENT_TYPE_MASK);
}
int64_t ks_entry_expire_ms(const struct ks_entry *e) { return ent_expire(e); }

const char *ks_entry_encoding(const struct ks_entry *e)
{
    switch (ent_kind(e)) {
    case KIND_INT:
        return "int";
    case KIND_EMB: {
        size_t len;
        varint_get(e->data + ent_val_off(e), &len);
        return len <= KS_EMBSTR_MAX ? "embstr" : "raw";
    }
    case KIND_RAW:
        return "raw";
    case KIND_OBJ:
        return ent_ops(e)->encoding(ent_obj(e));
    }
    return "unknown";
}

const char *ks_type_name(enum ks_type type)
{
    static const char *const names[] = {"string", "list", "set", "zset", "hash", "stream"};
    return (unsigned)type < ARRAY_LEN(names) ? names[type] : "none";
}

void *ks_entry_obj(const struct ks_entry *e)
{
    ASSERT(ent_kind(e) == KIND_OBJ);
    return ent_obj(e);
}

const struct ks_obj_ops *ks_entry_ops(const struct ks_entry *e)
{
    ASSERT(ent_kind(e) == KIND_OBJ);
    return ent_ops(e);
}

size_t ks_entry_mem_usage(const struct ks_entry *e)
{
    size_t bytes = malloc_usable_size((void *)e) + sizeof(void *); /* + its dict bucket slot */
    if (ent_kind(e) == KIND_RAW) bytes += malloc_usable_size(ent_raw(e));
    if (ent_kind(e) == KIND_OBJ && ent_ops(e)->mem_usage)
        bytes += ent_ops(e)->mem_usage(ent_obj(e));
    return bytes;
}

/* ---- expiry of one key ---------------------------------------------------------------------- */

struct ks_entry *ks_entry_set_expire(struct ks *ks, struct ks_entry *e, int64_t expire_ms)
{
    if (expire_ms < 0) expire_ms = KS_NO_EXPIRE;
    if (ent_has_expire(e) && expire_ms >= 0) { /* same layout: just the field */
        memcpy(e->data, &expire_ms, 8);
        return e;
    }
    if (!ent_has_expire(e) && expire_ms < 0) return e;
    /* The layout changes by 12 bytes: rebuild, copying everything after the expiry verbatim. */
    size_t old_off = ent_key_off(e);
    size_t tail = ent_used_bytes(e) - ENT_HEADER_BYTES - old_off;
    size_t new_off = expire_ms >= 0 ? ENT_EXPIRE_BYTES : 0;
    struct ks_entry *n = xmalloc(ENT_HEADER_BYTES + new_off + tail);
    n->flags = (uint8_t)((e->flags & ~ENT_HAS_EXPIRE) | (expire_ms >= 0 ? ENT_HAS_EXPIRE : 0u));
    memcpy(n->access_s, e->access_s, sizeof n->access_s);
    if (expire_ms >= 0) memcpy(n->data, &expire_ms, 8);
    memcpy(n->data + new_off, e->data + old_off, tail);
    struct dict_entry **slot = dict_slot_of(&ks->dict, &e->link);
    n->link.next = e->link.next;
    *slot = &n->link;
    if (expire_ms >= 0)
        exp_add(ks, n);
    else
        exp_remove(ks, ent_exp_idx(e));
    free(e);
    return n;
}

/* ---- objects -------------------------------------------------------------------------------- */

static struct ent_val obj_val(const struct ks_obj_ops *ops, void *obj)
{
    ASSERT(ops && obj && ops->type != KS_TYPE_STRING);
    return (struct ent_val){.kind = KIND_OBJ, .type = ops->type, .ops = ops, .obj = obj};
}

struct ks_entry *ks_add_obj(struct ks *ks, const char *key, size_t klen,
                            const struct ks_obj_ops *ops, void *obj)
{
    struct ent_val v = obj_val(ops, obj);
    uint64_t h = dict_hash(key, klen);
    ASSERT(dict_find_hashed(&ks->dict, h, key, klen) == NULL);
    return ks_store(ks, h, NULL, key, klen, &v, KS_NO_EXPIRE, false);
}

struct ks_entry *ks_set_obj(struct ks *ks, const char *key, size_t klen,
                            const struct ks_obj_ops *ops, void *obj, int flags)
{
    struct ent_val v = obj_val(ops, obj);
    uint64_t h = dict_hash(key, klen);
    struct ks_entry *old = (struct ks_entry *)dict_find_hashed(&ks->dict, h, key, klen);
    return ks_store(ks, h, old, key, klen, &v, KS_NO_EXPIRE, (flags & KS_SET_KEEPTTL) != 0);
}

/* ---- key operations ------------------------------------------------------------------------- */

/* Describe e's value as an ent_val that borrows e's bytes and pointers (no ownership change). */
static void ent_borrow_val(const struct ks_entry *e, struct ent_val *v)
{
    if (ent_kind(e) == KIND_OBJ) {
        *v = obj_val(ent_ops(e), ent_obj(e));
        return;
    }
    ks_ent_string_val(e, v);
}

struct ks_entry *ks_rename(struct ks *ks, struct ks_entry *src, const char *dst, size_t dlen)
{
    size_t slen;
    const char *skey = ent_key(src, &slen);
    if (slen == dlen && memcmp(skey, dst, dlen) == 0) return src;
    struct ent_val v;
    ent_borrow_val(src, &v); /* the raw buffer / object moves to the new entry */
    uint64_t h = dict_hash(dst, dlen);
    struct ks_entry *old = (struct ks_entry *)dict_find_hashed(&ks->dict, h, dst, dlen);
    struct ks_entry *e = ks_store(ks, h, old, dst, dlen, &v, ent_expire(src), false);
    ent_set_access(e, ent_access(src)); /* RENAME moves the value: its idle time goes along */
    ks_unlink(ks, src);
    free(src); /* not ent_free: its value now belongs to e */
    return e;
}

struct ks_entry *ks_copy(struct ks *dst_ks, const struct ks_entry *src, const char *dst,
                         size_t dlen)
{
    struct ent_val v;
    ent_borrow_val(src, &v);
    if (v.kind == KIND_RAW) v.raw = ks_raw_new(v.raw->data, v.raw->len, v.raw->len);
    if (v.kind == KIND_OBJ) v.obj = v.ops->dup(v.obj);
    uint64_t h = dict_hash(dst, dlen);
    struct ks_entry *old = (struct ks_entry *)dict_find_hashed(&dst_ks->dict, h, dst, dlen);
    ASSERT(old != src); /* COPY onto itself is refused by the command */
    return ks_store(dst_ks, h, old, dst, dlen, &v, ent_expire(src), false);
}

struct ks_entry *ks_move(struct ks *from, struct ks_entry *e, struct ks *to)
{
    size_t klen;
    const char *k = ent_key(e, &klen);
    uint64_t h = dict_hash(k, klen);
    ASSERT(dict_find_hashed(&to->dict, h, k, klen) == NULL);
    ks_unlink(from, e);
    dict_add_hashed(&to->dict, h, &e->link);
    if (ent_has_expire(e)) exp_add(to, e);
    ks_tell_added(to, k, klen);
    return e;
}

struct ks_entry *ks_random(struct ks *ks, int64_t now_ms)
{
    int expired_picks = 0;
    for (;;) {
        struct ks_entry *e = (struct ks_entry *)dict_random(&ks->dict, &ks->rng);
        if (!e || !ks_entry_is_expired(e, now_ms)) return e;
        if (ks->is_replica) {
            /* Only hidden, never deleted: give up looking after a while. */
            if (++expired_picks >= 100) return e;
            continue;
        }
        ks_expire_entry(ks, e); /* each round removes a key, so this ends */
    }
}

struct scan_ctx {
    struct ks *ks;
    int64_t now_ms;
    ks_scan_fn fn;
    void *ctx;
    struct ks_entry *expired[SCAN_EXPIRE_MAX];
    size_t nexpired;
};

static void ks_scan_one(void *p, struct dict_entry *d)
{
    struct scan_ctx *sc = p;
    struct ks_entry *e = (struct ks_entry *)d;
    if (ks_entry_is_expired(e, sc->now_ms)) {
        /* Hidden now; deleted after the walk (bounded; the rest are left to other paths). */
        if (!sc->ks->is_replica && sc->nexpired < SCAN_EXPIRE_MAX) sc->expired[sc->nexpired++] = e;
        return;
    }
    sc->fn(sc->ctx, e);
}

uint64_t ks_scan(struct ks *ks, uint64_t cursor, int64_t now_ms, ks_scan_fn fn, void *ctx)
{
    struct scan_ctx sc = {.ks = ks, .now_ms = now_ms, .fn = fn, .ctx = ctx};
    uint64_t next = dict_scan(&ks->dict, cursor, ks_scan_one, &sc);
    for (size_t i = 0; i < sc.nexpired; i++) ks_expire_entry(ks, sc.expired[i]);
    return next;
}

/* ---- whole keyspace ------------------------------------------------------------------------- */

static void ks_free_entry_cb(struct dict_entry *d, void *ctx)
{
    UNUSED(ctx);
    ent_free((struct ks_entry *)d);
}

void ks_flush(struct ks *ks)
{
    dict_clear(&ks->dict, ks_free_entry_cb, NULL);
    free(ks->exp);
    ks->exp = NULL;
    ks->exp_len = ks->exp_cap = 0;
    ks->avg_ttl_ms = 0;
}

void ks_swap(struct ks *a, struct ks *b)
{
    struct dict td = a->dict;
    a->dict = b->dict;
    b->dict = td;
    struct ks_entry **te = a->exp;
    a->exp = b->exp;
    b->exp = te;
    size_t tl = a->exp_len, tc = a->exp_cap;
    a->exp_len = b->exp_len;
    a->exp_cap = b->exp_cap;
    b->exp_len = tl;
    b->exp_cap = tc;
    int64_t tt = a->avg_ttl_ms;
    a->avg_ttl_ms = b->avg_ttl_ms;
    b->avg_ttl_ms = tt;
}

/* Smoothed like Redis's avg_ttl: mostly history, a little of this sample. */
static void expire_note_ttl(struct ks *ks, long double ttl_sum, size_t live)
{
    if (live == 0) return;
    long double mean = ttl_sum / (long double)live;
    int64_t avg = mean >= 0x1p63L ? INT64_MAX : (int64_t)mean; /* rounding at the top */
    ks->avg_ttl_ms = ks->avg_ttl_ms == 0 ? avg : (ks->avg_ttl_ms / 50) * 49 + avg / 50;
}

/* One sampling round of up to n volatile keys; adds to *sampled, returns the keys removed. When
 * the index holds no more than n keys, every one is checked once (walking down from the end, so
 * the swap-with-last of a removal only moves keys already checked); otherwise n random picks. */
static size_t expire_round(struct ks *ks, int64_t now_ms, size_t n, size_t *sampled)
{
    size_t removed = 0, live = 0;
    /* long double: keys expiring near INT64_MAX ms (PEXPIREAT k 9223372036854775807) overflow
     * an int64_t sum, and avg_ttl turned negative (Redis 7.0 shows that; we do not). */
    long double ttl_sum = 0;
    bool walk_all = ks->exp_len <= n;
    size_t picks = walk_all ? ks->exp_len : n;
    for (size_t i = 0; i < picks && ks->exp_len > 0; i++) {
        size_t idx = walk_all ? picks - 1 - i : (size_t)rng_below(&ks->rng, ks->exp_len);
        struct ks_entry *e = ks->exp[idx];
        (*sampled)++;
        if (ks_entry_is_expired(e, now_ms)) {
            ks_expire_entry(ks, e);
            removed++;
        } else {
            ttl_sum += (long double)(ent_expire(e) - now_ms);
            live++;
        }
    }
    expire_note_ttl(ks, ttl_sum, live);
    return removed;
}

static bool expire_out_of_time(const struct ks_expire_budget *b)
{
    return b->clock_us && b->clock_us(b->clock_ctx) >= b->deadline_us;
}

size_t ks_expire_run(struct ks *ks, int64_t now_ms, struct ks_expire_budget *b)
{
    if (ks->is_replica || now_ms == KS_NOW_NO_EXPIRY) return 0;
    size_t per_round = b->keys_per_round ? b->keys_per_round : EXPIRE_SAMPLE;
    size_t removed = 0, rounds = 0, run_sampled = 0;
    while (ks->exp_len > 0 && rounds < b->max_rounds) {
        if (expire_out_of_time(b)) {
            b->timed_out = true;
            break;
        }
        bool walked_all = ks->exp_len <= per_round; /* then nothing stale is left after it */
        size_t r = expire_round(ks, now_ms, per_round, &run_sampled);
        rounds++;
        removed += r;
        /* Decide on the whole run's share, from EXPIRE_DECIDE_ROUNDS rounds on (or a first
         * round without a stale key): one round's 20 keys is too small a sample, and testing
         * it again after every round stops, by chance, long before the share is down. */
        bool enough = rounds >= EXPIRE_DECIDE_ROUNDS || (rounds == 1 && r == 0);
        if (walked_all || (enough && removed * 100 <= b->acceptable_stale_perc * run_sampled))
            break;
    }
    b->sampled += run_sampled;
    b->expired += removed;
    if (ks->exp_len == 0) ks->avg_ttl_ms = 0;
    return removed;
}

size_t ks_expire_cycle(struct ks *ks, int64_t now_ms, size_t max_samples)
{
    struct ks_expire_budget b = {
        .keys_per_round = EXPIRE_SAMPLE,
        .acceptable_stale_perc = 10,
        .max_rounds = (max_samples + EXPIRE_SAMPLE - 1) / EXPIRE_SAMPLE,
    };
    return ks_expire_run(ks, now_ms, &b);
}

void ks_overhead_bytes(const struct ks *ks, size_t *main_bytes, size_t *expires_bytes)
{
    *main_bytes = dict_buckets(&ks->dict) * sizeof(void *);
    *expires_bytes = ks->exp_cap * sizeof *ks->exp;
}

/* ---- iteration ------------------------------------------------------------------------------ */

void ks_iter_init(struct ks_iter *it, struct ks *ks, bool is_safe)
{
    it->ks = ks;
    dict_iter_init(&it->di, &ks->dict, is_safe);
}

struct ks_entry *ks_iter_next(struct ks_iter *it)
{
    return (struct ks_entry *)dict_iter_next(&it->di);
}

void ks_iter_done(struct ks_iter *it) { dict_iter_done(&it->di); }

/* ---- access tracking and eviction sampling ------------------------------------------------- */

void ks_set_lfu(struct ks *ks, bool is_lfu, long long log_factor, long long decay_min)
{
    ks->is_lfu = is_lfu;
    ks->lfu_log_factor = log_factor;
    ks->lfu_decay_min = decay_min;
}

void ks_entry_touch(struct ks *ks, struct ks_entry *e)
{
    if (!ks->is_lfu) {
        ent_set_access(e, ks->clock_s);
        return;
    }
    ent_set_access(e, lfu_touched(ent_access(e), ks->clock_min, ks->lfu_log_factor,
                                  ks->lfu_decay_min, rng_double(&ks->rng)));
}

uint32_t ks_entry_access_bits(const struct ks_entry *e) { return ent_access(e); }

void ks_entry_set_access_hint(struct ks *ks, struct ks_entry *e, long long idle_s, long long freq)
{
    if (ks->is_lfu && freq >= 0) {
        ent_set_access(e, (ks->clock_min & 0xFFFFu) << 8 | (uint32_t)MIN(freq, 255));
    } else if (!ks->is_lfu && idle_s >= 0) {
        uint32_t idle = (uint32_t)MIN(idle_s, (long long)ACCESS_CLOCK_MASK);
        ent_set_access(e, (ks->clock_s - idle) & ACCESS_CLOCK_MASK);
    }
}

uint32_t ks_entry_freq(const struct ks *ks, const struct ks_entry *e)
{
    return lfu_decayed(ent_access(e), ks->clock_min, ks->lfu_decay_min);
}

uint64_t ks_entry_evict_score(const struct ks *ks, const struct ks_entry *e, enum ks_score how)
{
    switch (how) {
    case KS_SCORE_IDLE:
        return (uint64_t)ks_entry_idle_s(ks, e);
    case KS_SCORE_LFU:
        return 255u - ks_entry_freq(ks, e);
    case KS_SCORE_TTL: /* sooner expiry = better candidate */
        return UINT64_MAX - (uint64_t)ent_expire(e);
    }
    return 0;
}

/* Up to n entries from consecutive buckets of one table starting at a random one (Redis's way:
 * the bucket array is read sequentially, so a sample costs about one cache miss per entry).
 * About 10 * n buckets are visited, more in a sparse table until one entry is found. */
static size_t sample_table(struct dict *d, int t, struct rng *r, struct ks_entry **out, size_t n)
{
    size_t size = d->size[t], got = 0;
    if (d->used[t] == 0 || n == 0) return 0;
    size_t at = (size_t)rng_below(r, size);
    /* Past 10 * n buckets, go on only until the first entry (the table has some). */
    for (size_t steps = 0; steps < size && got < n && (steps < 10 * n || got == 0);
         steps++, at = (at + 1) & (size - 1))
        for (struct dict_entry *e = d->table[t][at]; e && got < n; e = e->next)
            out[got++] = (struct ks_entry *)e;
    return got;
}

size_t ks_sample(struct ks *ks, bool volatile_only, struct ks_entry **out, size_t n)
{
    if (volatile_only) { /* the expiry array is in no order: consecutive slots are random keys */
        size_t len = ks->exp_len, got = MIN(n, len);
        size_t at = len ? (size_t)rng_below(&ks->rng, len) : 0;
        for (size_t i = 0; i < got; i++) out[i] = ks->exp[(at + i) % len];
        return got;
    }
    if (dict_count(&ks->dict) == 0) return 0;
    size_t got = sample_table(&ks->dict, 0, &ks->rng, out, n);
    if (got < n) got += sample_table(&ks->dict, 1, &ks->rng, out + got, n - got);
    return got;
}
