/* obj_set: see obj_set.h. Each operation dispatches on the encoding; conversions happen in
 * obj_set_add only (before the member that does not fit is inserted, or right after an intset
 * grew past its limit), plus the explicit rebuild of obj_set_reencode. */
#include "store/data/obj_set.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/data/dict.h"
#include "store/data/obj_intset.h"

enum set_enc { ENC_INTSET, ENC_LISTPACK, ENC_HT };

/* Whatever the configured limits, a listpack holds at most PACK_MAX_COUNT entries (its count
 * field) and grows to at most this many bytes (as Redis caps a listpack at 1 GB). */
#define SET_PACK_SAFE_BYTES (1u << 30)

/* A hashtable member: the dict link, its index in the dense array, and the bytes. */
struct set_member {
    struct dict_entry link;
    uint32_t idx;
    uint32_t len;
    char data[];
};

struct set_ht {
    struct dict d;
    struct set_member **arr;
    size_t n, cap;
};

struct obj_set {
    enum set_enc enc;
    union {
        struct intset *is;
        struct pack pk;
        struct set_ht *ht;
    } u;
};

const struct ks_obj_ops obj_set_ops = {
    .type = KS_TYPE_SET,
    .encoding = obj_set_encoding_name,
    .free = obj_set_free,
    .dup = obj_set_dup,
    .mem_usage = obj_set_mem_usage,
};

/* ---- hashtable encoding ------------------------------------------------------------------ */

static const char *member_key(const struct dict_entry *e, size_t *len)
{
    const struct set_member *m = (const struct set_member *)e;
    *len = m->len;
    return m->data;
}

static struct set_ht *ht_new(void)
{
    struct set_ht *h = xcalloc(1, sizeof *h);
    dict_init(&h->d, member_key);
    return h;
}

static void ht_free(struct set_ht *h)
{
    for (size_t i = 0; i < h->n; i++) free(h->arr[i]);
    dict_clear(&h->d, NULL, NULL);
    free(h->arr);
    free(h);
}

static struct set_member *ht_find(struct set_ht *h, const char *member, size_t len)
{
    return (struct set_member *)dict_find(&h->d, member, len);
}

/* Insert a member known to be absent; hash = dict_hash(s, len). */
static void ht_add_new_hashed(struct set_ht *h, uint64_t hash, const char *s, size_t len)
{
    ASSERT(len < UINT32_MAX && h->n < UINT32_MAX);
    struct set_member *m = xmalloc(sizeof *m + len);
    m->len = (uint32_t)len;
    if (len) memcpy(m->data, s, len);
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->arr = xrealloc(h->arr, h->cap * sizeof *h->arr);
    }
    m->idx = (uint32_t)h->n;
    h->arr[h->n++] = m;
    dict_add_hashed(&h->d, hash, &m->link);
}

static void ht_add_new(struct set_ht *h, const char *s, size_t len)
{
    ht_add_new_hashed(h, dict_hash(s, len), s, len);
}

/* Remove a member (already unlinked from the dict): the last array slot fills its hole. */
static void ht_drop(struct set_ht *h, struct set_member *m)
{
    struct set_member *last = h->arr[--h->n];
    h->arr[m->idx] = last;
    last->idx = m->idx;
    free(m);
    if (h->cap > 16 && h->n < h->cap / 4) {
        h->cap /= 2;
        h->arr = xrealloc(h->arr, h->cap * sizeof *h->arr);
    }
}

/* ---- shared helpers ---------------------------------------------------------------------- */

static uint32_t lp_find(const struct pack *pk, const struct pack_key *k)
{
    for (uint32_t off = pack_first(pk); off < pack_bytes(pk); off = pack_next(pk, off))
        if (pack_eq(pk, off, k)) return off;
    return 0;
}

/* May a listpack set holding `count` members in `bytes` bytes take one more of `len` bytes? */
static bool lp_fits(size_t count, size_t bytes, size_t len, const struct obj_set_limits *lim)
{
    return count + 1 <= lim->max_listpack_entries && count + 1 <= PACK_MAX_COUNT &&
           len <= lim->max_listpack_value && bytes + len + 16 <= SET_PACK_SAFE_BYTES;
}

/* The member at dense position i (< card): intset and hashtable O(1), listpack O(card). */
static void set_get_at(const struct obj_set *s, size_t i, struct pack_val *out)
{
    switch (s->enc) {
    case ENC_INTSET:
        out->bytes = NULL;
        out->len = 0;
        out->integer = intset_get(s->u.is, (uint32_t)i);
        break;
    case ENC_LISTPACK:
        pack_get(&s->u.pk, pack_seek(&s->u.pk, (uint32_t)i), out);
        break;
    case ENC_HT:
        out->bytes = s->u.ht->arr[i]->data;
        out->len = s->u.ht->arr[i]->len;
        out->integer = 0;
        break;
    }
}

static void set_remove_at(struct obj_set *s, size_t i)
{
    switch (s->enc) {
    case ENC_INTSET:
        s->u.is = intset_remove_at(s->u.is, (uint32_t)i);
        break;
    case ENC_LISTPACK:
        pack_delete(&s->u.pk, pack_seek(&s->u.pk, (uint32_t)i), 1);
        break;
    case ENC_HT: {
        struct set_member *m = s->u.ht->arr[i];
        dict_unlink_entry(&s->u.ht->d, &m->link);
        ht_drop(s->u.ht, m);
        break;
    }
    }
}

static void set_to_ht(struct obj_set *s)
{
    struct set_ht *h = ht_new();
    struct obj_set_iter it;
    struct pack_val v;
    char num[PACK_NUMBUF];
    size_t len;
    obj_set_iter_init(&it, s);
    while (obj_set_iter_next(&it, &v)) {
        const char *m = pack_val_str(&v, num, &len);
        ht_add_new(h, m, len);
    }
    if (s->enc == ENC_INTSET)
        free(s->u.is);
    else
        pack_free(&s->u.pk);
    s->enc = ENC_HT;
    s->u.ht = h;
}

static void intset_to_listpack(struct obj_set *s)
{
    struct intset *is = s->u.is;
    pack_init(&s->u.pk);
    for (uint32_t i = 0; i < intset_len(is); i++)
        pack_insert_int(&s->u.pk, pack_bytes(&s->u.pk), intset_get(is, i));
    free(is);
    s->enc = ENC_LISTPACK;
}

/* The longest decimal form of an intset member: the smallest or the largest value's. */
static size_t intset_max_text_len(const struct intset *is)
{
    char num[PACK_NUMBUF];
    if (intset_len(is) == 0) return 0;
    size_t lo = pack_format_ll(num, intset_get(is, 0));
    size_t hi = pack_format_ll(num, intset_get(is, intset_len(is) - 1));
    return MAX(lo, hi);
}

/* Leave the intset encoding for a set that will hold `count` members, the longest `maxlen`
 * bytes: a listpack if that fits its limits, else a hashtable (both "hashtable" in Redis 7.0). */
static void set_leave_intset(struct obj_set *s, size_t count, size_t maxlen,
                             const struct obj_set_limits *lim)
{
    maxlen = MAX(maxlen, intset_max_text_len(s->u.is));
    if (count <= lim->max_listpack_entries && count <= PACK_MAX_COUNT &&
        maxlen <= lim->max_listpack_value)
        intset_to_listpack(s);
    else
        set_to_ht(s);
}

/* Release the encoded contents (not the struct itself). */
static void set_free_contents(struct obj_set *s)
{
    switch (s->enc) {
    case ENC_INTSET:
        free(s->u.is);
        break;
    case ENC_LISTPACK:
        pack_free(&s->u.pk);
        break;
    case ENC_HT:
        ht_free(s->u.ht);
        break;
    }
}

/* ---- lifecycle --------------------------------------------------------------------------- */

struct obj_set *obj_set_create(void)
{
    struct obj_set *s = xmalloc(sizeof *s);
    s->enc = ENC_INTSET;
    s->u.is = intset_new();
    return s;
}

struct obj_set *obj_set_create_for(const char *first, size_t len, size_t size_hint,
                                   const struct obj_set_limits *lim)
{
    long long v;
    struct obj_set *s = obj_set_create();
    if (pack_str_to_ll(first, len, &v) && size_hint <= lim->max_intset_entries) return s;
    free(s->u.is);
    if (size_hint <= lim->max_listpack_entries && size_hint <= PACK_MAX_COUNT &&
        len <= lim->max_listpack_value) {
        s->enc = ENC_LISTPACK;
        pack_init(&s->u.pk);
    } else {
        s->enc = ENC_HT;
        s->u.ht = ht_new();
    }
    return s;
}

void obj_set_free(void *p)
{
    struct obj_set *s = p;
    if (!s) return;
    set_free_contents(s);
    free(s);
}

void *obj_set_dup(const void *p)
{
    const struct obj_set *src = p;
    struct obj_set *s = xmalloc(sizeof *s);
    s->enc = src->enc;
    switch (src->enc) {
    case ENC_INTSET:
        s->u.is = intset_dup(src->u.is);
        break;
    case ENC_LISTPACK:
        pack_copy(&s->u.pk, &src->u.pk);
        break;
    case ENC_HT:
        s->u.ht = ht_new();
        for (size_t i = 0; i < src->u.ht->n; i++)
            ht_add_new(s->u.ht, src->u.ht->arr[i]->data, src->u.ht->arr[i]->len);
        break;
    }
    return s;
}

/* OBJECT ENCODING as Redis 7.0 (the differential tests' reference) reports it: 7.0 has no
 * listpack sets, so a small set of non-integers is "hashtable" there. */
const char *obj_set_encoding_name(const void *p)
{
    const struct obj_set *s = p;
    return s->enc == ENC_INTSET ? "intset" : "hashtable";
}

const struct intset *obj_set_intset(const struct obj_set *s)
{
    return s->enc == ENC_INTSET ? s->u.is : NULL;
}

size_t obj_set_mem_usage(const void *p)
{
    const struct obj_set *s = p;
    size_t total = sizeof *s;
    switch (s->enc) {
    case ENC_INTSET:
        total += intset_bytes(s->u.is);
        break;
    case ENC_LISTPACK:
        total += s->u.pk.cap;
        break;
    case ENC_HT: {
        const struct set_ht *h = s->u.ht;
        total += sizeof *h + h->cap * sizeof *h->arr + dict_buckets(&h->d) * sizeof(void *);
        for (size_t i = 0; i < h->n; i++) total += sizeof(struct set_member) + h->arr[i]->len;
        break;
    }
    }
    return total;
}

bool obj_set_is_listpack(const struct obj_set *s) { return s->enc == ENC_LISTPACK; }

size_t obj_set_card(const struct obj_set *s)
{
    switch (s->enc) {
    case ENC_INTSET:
        return intset_len(s->u.is);
    case ENC_LISTPACK:
        return pack_count(&s->u.pk);
    case ENC_HT:
        return s->u.ht->n;
    }
    return 0;
}

/* ---- members ----------------------------------------------------------------------------- */

int obj_set_add(struct obj_set *s, const char *member, size_t len, const struct obj_set_limits *lim)
{
    long long v;
    if (s->enc == ENC_INTSET) {
        if (pack_str_to_ll(member, len, &v)) {
            bool added;
            s->u.is = intset_add(s->u.is, v, &added);
            /* Redis 7.0 inserts first and converts when an insert took it over its limit. */
            if (added && intset_len(s->u.is) > lim->max_intset_entries)
                set_leave_intset(s, intset_len(s->u.is), 0, lim);
            return added;
        }
        /* A non-integer: it cannot be present. Convert, then insert below. */
        set_leave_intset(s, (size_t)intset_len(s->u.is) + 1, len, lim);
    }
    if (s->enc == ENC_LISTPACK) {
        struct pack_key k;
        pack_key_init(&k, member, len);
        if (lp_find(&s->u.pk, &k)) return 0;
        if (lp_fits(pack_count(&s->u.pk), pack_bytes(&s->u.pk), len, lim)) {
            pack_insert_str(&s->u.pk, pack_bytes(&s->u.pk), member, len, true);
            return 1;
        }
        set_to_ht(s);
        ht_add_new(s->u.ht, member, len);
        return 1;
    }
    uint64_t h = dict_hash(member, len);
    if (dict_find_hashed(&s->u.ht->d, h, member, len)) return 0;
    ht_add_new_hashed(s->u.ht, h, member, len);
    return 1;
}

int obj_set_remove(struct obj_set *s, const char *member, size_t len)
{
    switch (s->enc) {
    case ENC_INTSET: {
        long long v;
        bool removed = false;
        if (pack_str_to_ll(member, len, &v)) s->u.is = intset_remove(s->u.is, v, &removed);
        return removed;
    }
    case ENC_LISTPACK: {
        struct pack_key k;
        pack_key_init(&k, member, len);
        uint32_t off = lp_find(&s->u.pk, &k);
        if (!off) return 0;
        pack_delete(&s->u.pk, off, 1);
        return 1;
    }
    case ENC_HT: {
        struct dict_entry *e = dict_unlink(&s->u.ht->d, member, len);
        if (!e) return 0;
        ht_drop(s->u.ht, (struct set_member *)e);
        return 1;
    }
    }
    return 0;
}

bool obj_set_ismember(struct obj_set *s, const char *member, size_t len)
{
    switch (s->enc) {
    case ENC_INTSET: {
        long long v;
        uint32_t pos;
        return pack_str_to_ll(member, len, &v) && intset_find(s->u.is, v, &pos);
    }
    case ENC_LISTPACK: {
        struct pack_key k;
        pack_key_init(&k, member, len);
        return lp_find(&s->u.pk, &k) != 0;
    }
    case ENC_HT:
        return ht_find(s->u.ht, member, len) != NULL;
    }
    return false;
}

bool obj_set_ismember_val(struct obj_set *s, const struct pack_val *v)
{
    if (!v->bytes && s->enc == ENC_INTSET) {
        uint32_t pos;
        return intset_find(s->u.is, v->integer, &pos);
    }
    char num[PACK_NUMBUF];
    size_t len;
    const char *m = pack_val_str(v, num, &len);
    return obj_set_ismember(s, m, len);
}

int obj_set_add_val(struct obj_set *s, const struct pack_val *v, const struct obj_set_limits *lim)
{
    char num[PACK_NUMBUF];
    size_t len;
    const char *m = pack_val_str(v, num, &len);
    return obj_set_add(s, m, len, lim);
}

int obj_set_remove_val(struct obj_set *s, const struct pack_val *v)
{
    char num[PACK_NUMBUF];
    size_t len;
    const char *m = pack_val_str(v, num, &len);
    return obj_set_remove(s, m, len);
}

/* ---- random ------------------------------------------------------------------------------ */

bool obj_set_random(const struct obj_set *s, struct rng *r, struct pack_val *out)
{
    size_t card = obj_set_card(s);
    if (!card) return false;
    set_get_at(s, (size_t)rng_below(r, card), out);
    return true;
}

/* Distinct positions by rejection, remembering the chosen ones in a small open-addressing table
 * of (position + 1); used when count is small next to card, so few draws are rejected. */
static void sample_sparse(struct rng *r, size_t card, size_t count,
                          void (*emit)(void *ctx, size_t pos), void *ctx)
{
    size_t cap = 16;
    while (cap < count * 2) cap *= 2;
    size_t *seen = xcalloc(cap, sizeof *seen);
    for (size_t got = 0; got < count;) {
        size_t pos = (size_t)rng_below(r, card), h = (pos * 0x9E3779B97F4A7C15ULL) & (cap - 1);
        while (seen[h] && seen[h] != pos + 1) h = (h + 1) & (cap - 1);
        if (seen[h]) continue;
        seen[h] = pos + 1;
        emit(ctx, pos);
        got++;
    }
    free(seen);
}

void obj_sample_distinct(struct rng *r, size_t card, size_t count,
                         void (*emit)(void *ctx, size_t pos), void *ctx)
{
    ASSERT(count < card);
    if (count * 3 <= card) {
        sample_sparse(r, card, count, emit, ctx);
        return;
    }
    /* A large share of the positions: a partial Fisher-Yates shuffle. */
    size_t *pos = xmalloc(card * sizeof *pos);
    for (size_t i = 0; i < card; i++) pos[i] = i;
    for (size_t i = 0; i < count; i++) {
        size_t j = i + (size_t)rng_below(r, card - i), t = pos[i];
        pos[i] = pos[j];
        pos[j] = t;
        emit(ctx, pos[i]);
    }
    free(pos);
}

struct sample_out {
    const struct obj_set *s;
    struct pack_val *out;
    size_t n;
};

static void sample_emit(void *ctx, size_t pos)
{
    struct sample_out *so = ctx;
    set_get_at(so->s, pos, &so->out[so->n++]);
}

size_t obj_set_random_distinct(const struct obj_set *s, struct rng *r, size_t count,
                               struct pack_val *out)
{
    size_t card = obj_set_card(s);
    if (count >= card) {
        struct obj_set_iter it;
        size_t n = 0;
        obj_set_iter_init(&it, s);
        while (obj_set_iter_next(&it, &out[n])) n++;
        return n;
    }
    struct sample_out so = {.s = s, .out = out, .n = 0};
    obj_sample_distinct(r, card, count, sample_emit, &so);
    return so.n;
}

bool obj_set_pop(struct obj_set *s, struct rng *r, struct buf *out)
{
    size_t card = obj_set_card(s);
    if (!card) return false;
    size_t i = (size_t)rng_below(r, card);
    struct pack_val v;
    char num[PACK_NUMBUF];
    size_t len;
    set_get_at(s, i, &v);
    const char *m = pack_val_str(&v, num, &len);
    buf_clear(out);
    buf_append(out, m, len);
    set_remove_at(s, i);
    return true;
}

void obj_set_reencode(struct obj_set *s, const struct obj_set_limits *lim)
{
    struct obj_set *fresh = obj_set_create();
    struct obj_set_iter it;
    struct pack_val v;
    obj_set_iter_init(&it, s);
    while (obj_set_iter_next(&it, &v)) obj_set_add_val(fresh, &v, lim);
    set_free_contents(s);
    *s = *fresh;
    free(fresh);
}

/* ---- iteration and scan ------------------------------------------------------------------ */

void obj_set_iter_init(struct obj_set_iter *it, const struct obj_set *s)
{
    it->s = s;
    it->i = 0;
    it->off = s->enc == ENC_LISTPACK ? pack_first(&s->u.pk) : 0;
}

bool obj_set_iter_next(struct obj_set_iter *it, struct pack_val *out)
{
    const struct obj_set *s = it->s;
    if (s->enc == ENC_LISTPACK) {
        if (it->off >= pack_bytes(&s->u.pk)) return false;
        pack_get(&s->u.pk, it->off, out);
        it->off = pack_next(&s->u.pk, it->off);
        return true;
    }
    if (it->i >= obj_set_card(s)) return false;
    set_get_at(s, it->i++, out);
    return true;
}

struct scan_ctx {
    obj_set_member_fn fn;
    void *ctx;
    size_t reported;
};

static void scan_one(void *ctx, struct dict_entry *e)
{
    struct scan_ctx *sc = ctx;
    const struct set_member *m = (const struct set_member *)e;
    struct pack_val v = {.bytes = m->data, .len = m->len, .integer = 0};
    sc->fn(sc->ctx, &v);
    sc->reported++;
}

uint64_t obj_set_scan(struct obj_set *s, uint64_t cursor, size_t count, obj_set_member_fn fn,
                      void *ctx)
{
    if (s->enc != ENC_HT) {
        struct obj_set_iter it;
        struct pack_val v;
        obj_set_iter_init(&it, s);
        while (obj_set_iter_next(&it, &v)) fn(ctx, &v);
        return 0;
    }
    struct scan_ctx sc = {.fn = fn, .ctx = ctx, .reported = 0};
    size_t budget = MAX(count, 1) * 10;
    do cursor = dict_scan(&s->u.ht->d, cursor, scan_one, &sc);
    while (cursor && --budget && sc.reported < count);
    return cursor;
}

/* ---- invariants -------------------------------------------------------------------------- */

int obj_set_check(struct obj_set *s)
{
    switch (s->enc) {
    case ENC_INTSET:
        for (uint32_t i = 1; i < intset_len(s->u.is); i++)
            if (intset_get(s->u.is, i - 1) >= intset_get(s->u.is, i)) return -1;
        return 0;
    case ENC_LISTPACK: {
        const struct pack *pk = &s->u.pk;
        for (uint32_t a = pack_first(pk); a < pack_bytes(pk); a = pack_next(pk, a)) {
            struct pack_val v;
            char num[PACK_NUMBUF];
            size_t len;
            pack_get(pk, a, &v);
            const char *m = pack_val_str(&v, num, &len);
            struct pack_key k;
            pack_key_init(&k, m, len);
            if (lp_find(pk, &k) != a) return -5; /* an earlier duplicate */
        }
        return 0;
    }
    case ENC_HT: {
        struct set_ht *h = s->u.ht;
        if (dict_count(&h->d) != h->n) return -6;
        for (size_t i = 0; i < h->n; i++) {
            if (h->arr[i]->idx != i) return -7;
            if (ht_find(h, h->arr[i]->data, h->arr[i]->len) != h->arr[i]) return -8;
        }
        return 0;
    }
    }
    return -9;
}
