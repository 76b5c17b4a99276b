/* obj_hash: hash values in two encodings (see obj_hash.h).
 *
 * listpack: one buffer of pairs [varint flen][field][varint vlen][value], count kept aside.
 *           Lookups are linear, which beats hashing for ~128 short pairs and costs ~2 bytes of
 *           overhead per pair instead of a 24+ byte node.
 * hashtable: a dict of `struct hent` (chain pointer, varint lengths, field and value bytes in one
 *           allocation). A value change rebuilds the entry and relinks it in place.
 *
 * Invariants: listpack `used` bytes hold exactly `count` pairs; a hash is listpack only while
 * count <= the entries limit and every field/value was <= the value limit when written
 * (conversion is one-way, as Redis). Never empty once stored in the keyspace (the command deletes
 * the key).
 */
#include "store/data/obj_hash.h"

#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/data/ks_entry.h"
#include "store/data/obj_string.h"

struct obj_hash {
    bool is_dict;
    uint32_t count;     /* listpack pairs */
    size_t used, cap;   /* listpack bytes */
    unsigned char *buf; /* listpack */
    struct dict d;      /* hashtable */
};

struct hent {
    struct dict_entry link;
    unsigned char data[]; /* varint flen, field, varint vlen, value */
};

const struct ks_obj_ops obj_hash_ops = {
    .type = KS_TYPE_HASH,
    .encoding = obj_hash_encoding,
    .free = obj_hash_free,
    .dup = obj_hash_dup,
    .mem_usage = obj_hash_mem_usage,
};

/* A decoded pair: pointers into a listpack buffer or a hent. */
struct pair {
    const char *field, *value;
    size_t field_len, value_len;
    size_t next; /* listpack: offset after this pair */
};

static size_t pair_decode(const unsigned char *p, struct pair *out)
{
    size_t n = varint_get(p, &out->field_len);
    out->field = (const char *)p + n;
    n += out->field_len;
    n += varint_get(p + n, &out->value_len);
    out->value = (const char *)p + n;
    return n + out->value_len;
}

static size_t pair_size(size_t field_len, size_t value_len)
{
    return varint_len(field_len) + field_len + varint_len(value_len) + value_len;
}

static size_t pair_encode(unsigned char *p, const char *field, size_t field_len, const char *value,
                          size_t value_len)
{
    size_t n = varint_put(p, field_len);
    memcpy(p + n, field, field_len);
    n += field_len;
    n += varint_put(p + n, value_len);
    memcpy(p + n, value, value_len);
    return n + value_len;
}

static const char *hent_key_of(const struct dict_entry *d, size_t *len)
{
    const struct hent *he = (const struct hent *)d;
    size_t n = varint_get(he->data, len);
    return (const char *)he->data + n;
}

static struct hent *hent_new(const char *field, size_t field_len, const char *value,
                             size_t value_len)
{
    struct hent *he = xmalloc(sizeof *he + pair_size(field_len, value_len));
    pair_encode(he->data, field, field_len, value, value_len);
    he->link.next = NULL;
    return he;
}

/* ---- lifecycle --------------------------------------------------------------------------------
 */

struct obj_hash *obj_hash_create(void)
{
    struct obj_hash *h = xcalloc(1, sizeof *h);
    dict_init(&h->d, hent_key_of);
    return h;
}

static void hent_free_cb(struct dict_entry *e, void *ctx)
{
    UNUSED(ctx);
    free(e);
}

void obj_hash_free(void *p)
{
    struct obj_hash *h = p;
    if (!h) return;
    if (h->is_dict) dict_clear(&h->d, hent_free_cb, NULL);
    free(h->buf);
    free(h);
}

void *obj_hash_dup(const void *p)
{
    const struct obj_hash *src = p;
    struct obj_hash *h = obj_hash_create();
    if (!src->is_dict) {
        h->count = src->count;
        h->used = h->cap = src->used;
        h->buf = src->used ? xmemdup(src->buf, src->used) : NULL;
        return h;
    }
    h->is_dict = true;
    struct dict_iter it;
    dict_iter_init(&it, (struct dict *)&src->d, false);
    for (struct dict_entry *e; (e = dict_iter_next(&it));) {
        struct pair pr;
        size_t n = pair_decode(((struct hent *)e)->data, &pr);
        struct hent *he = xmalloc(sizeof *he + n);
        memcpy(he->data, ((struct hent *)e)->data, n);
        dict_add(&h->d, &he->link);
    }
    dict_iter_done(&it);
    return h;
}

const char *obj_hash_encoding(const void *p)
{
    return ((const struct obj_hash *)p)->is_dict ? "hashtable" : "listpack";
}

size_t obj_hash_mem_usage(const void *p)
{
    const struct obj_hash *h = p;
    size_t bytes = sizeof *h;
    if (!h->is_dict) return bytes + h->cap;
    /* Sample a few entries, as MEMORY USAGE does, rather than walking a big hash. */
    bytes += dict_buckets(&h->d) * sizeof(void *);
    size_t sampled = 0, sum = 0;
    struct dict_iter it;
    dict_iter_init(&it, (struct dict *)&h->d, false);
    for (struct dict_entry *e; sampled < 8 && (e = dict_iter_next(&it)); sampled++)
        sum += malloc_usable_size(e);
    dict_iter_done(&it);
    if (sampled) bytes += sum / sampled * dict_count(&h->d);
    return bytes;
}

size_t obj_hash_len(const struct obj_hash *h) { return h->is_dict ? dict_count(&h->d) : h->count; }
bool obj_hash_is_listpack(const struct obj_hash *h) { return !h->is_dict; }

/* ---- listpack internals --------------------------------------------------------------------- */

/* Offset of the pair with this field, or SIZE_MAX. */
static size_t lp_find(const struct obj_hash *h, const char *field, size_t field_len,
                      struct pair *out)
{
    for (size_t off = 0; off < h->used;) {
        size_t n = pair_decode(h->buf + off, out);
        out->next = off + n;
        if (out->field_len == field_len && memcmp(out->field, field, field_len) == 0) return off;
        off += n;
    }
    return SIZE_MAX;
}

static void lp_reserve(struct obj_hash *h, size_t extra)
{
    if (h->used + extra <= h->cap) return;
    size_t cap = h->cap ? h->cap : 64;
    while (cap < h->used + extra) cap *= 2;
    h->buf = xrealloc(h->buf, cap);
    h->cap = cap;
}

/* Replace bytes [off, off+old_n) with a pair. */
static void lp_splice(struct obj_hash *h, size_t off, size_t old_n, const char *field,
                      size_t field_len, const char *value, size_t value_len)
{
    size_t new_n = pair_size(field_len, value_len);
    if (new_n > old_n) lp_reserve(h, new_n - old_n);
    memmove(h->buf + off + new_n, h->buf + off + old_n, h->used - off - old_n);
    pair_encode(h->buf + off, field, field_len, value, value_len);
    h->used = h->used - old_n + new_n;
}

static void lp_convert(struct obj_hash *h)
{
    ASSERT(!h->is_dict);
    for (size_t off = 0; off < h->used;) {
        struct pair pr;
        off += pair_decode(h->buf + off, &pr);
        dict_add(&h->d, &hent_new(pr.field, pr.field_len, pr.value, pr.value_len)->link);
    }
    free(h->buf);
    h->buf = NULL;
    h->used = h->cap = 0;
    h->count = 0;
    h->is_dict = true;
}

/* ---- field operations ----------------------------------------------------------------------- */

bool obj_hash_get(struct obj_hash *h, const char *field, size_t field_len, const char **value,
                  size_t *value_len)
{
    struct pair pr;
    if (h->is_dict) {
        struct hent *he = (struct hent *)dict_find(&h->d, field, field_len);
        if (!he) return false;
        pair_decode(he->data, &pr);
    } else if (lp_find(h, field, field_len, &pr) == SIZE_MAX) {
        return false;
    }
    *value = pr.value;
    *value_len = pr.value_len;
    return true;
}

bool obj_hash_exists(struct obj_hash *h, const char *field, size_t field_len)
{
    const char *v;
    size_t vlen;
    return obj_hash_get(h, field, field_len, &v, &vlen);
}

size_t obj_hash_strlen(struct obj_hash *h, const char *field, size_t field_len)
{
    const char *v;
    size_t vlen;
    return obj_hash_get(h, field, field_len, &v, &vlen) ? vlen : 0;
}

static int dict_set(struct obj_hash *h, const char *field, size_t field_len, const char *value,
                    size_t value_len)
{
    uint64_t hv = dict_hash(field, field_len);
    struct hent *old = (struct hent *)dict_find_hashed(&h->d, hv, field, field_len);
    struct hent *he = hent_new(field, field_len, value, value_len);
    if (!old) {
        dict_add_hashed(&h->d, hv, &he->link);
        return 1;
    }
    struct dict_entry **slot = dict_slot_of_hashed(&h->d, hv, &old->link);
    he->link.next = old->link.next;
    *slot = &he->link;
    free(old);
    return 0;
}

int obj_hash_set(struct obj_hash *h, const char *field, size_t field_len, const char *value,
                 size_t value_len, const struct obj_hash_limits *lim)
{
    if (!h->is_dict && (field_len > lim->max_listpack_value || value_len > lim->max_listpack_value))
        lp_convert(h);
    if (h->is_dict) return dict_set(h, field, field_len, value, value_len);
    struct pair pr;
    size_t off = lp_find(h, field, field_len, &pr);
    if (off != SIZE_MAX) {
        lp_splice(h, off, pr.next - off, field, field_len, value, value_len);
        return 0;
    }
    lp_splice(h, h->used, 0, field, field_len, value, value_len);
    h->count++;
    if (h->count > lim->max_listpack_entries) lp_convert(h);
    return 1;
}

bool obj_hash_del(struct obj_hash *h, const char *field, size_t field_len)
{
    if (h->is_dict) {
        struct dict_entry *e = dict_unlink(&h->d, field, field_len);
        free(e);
        return e != NULL;
    }
    struct pair pr;
    size_t off = lp_find(h, field, field_len, &pr);
    if (off == SIZE_MAX) return false;
    memmove(h->buf + off, h->buf + pr.next, h->used - pr.next);
    h->used -= pr.next - off;
    h->count--;
    return true;
}

int obj_hash_incrby(struct obj_hash *h, const char *field, size_t field_len, long long delta,
                    long long *result, const struct obj_hash_limits *lim)
{
    long long cur = 0;
    const char *v;
    size_t vlen;
    if (obj_hash_get(h, field, field_len, &v, &vlen) && !obj_string_is_int(v, vlen, &cur))
        return KS_ERR_NOT_INT;
    long long next;
    if (__builtin_add_overflow(cur, delta, &next)) return KS_ERR_OVERFLOW;
    char buf[KS_INT_BUF];
    size_t n = util_ll_to_str(buf, sizeof buf, next);
    obj_hash_set(h, field, field_len, buf, n, lim);
    *result = next;
    return KS_OK;
}

int obj_hash_incrbyfloat(struct obj_hash *h, const char *field, size_t field_len, long double delta,
                         char *out, size_t out_cap, size_t *out_len,
                         const struct obj_hash_limits *lim)
{
    long double cur = 0;
    const char *v;
    size_t vlen;
    if (obj_hash_get(h, field, field_len, &v, &vlen) && util_parse_long_double(v, vlen, &cur) != 0)
        return KS_ERR_NOT_FLOAT;
    long double next = cur + delta;
    if (isnan(next) || isinf(next)) return KS_ERR_NAN;
    *out_len = util_long_double_to_str(out, out_cap, next);
    obj_hash_set(h, field, field_len, out, *out_len, lim);
    return KS_OK;
}

/* ---- iteration ------------------------------------------------------------------------------ */

void obj_hash_iter_init(struct obj_hash_iter *it, struct obj_hash *h)
{
    memset(it, 0, sizeof *it);
    it->h = h;
    if (h->is_dict) dict_iter_init(&it->di, &h->d, false);
}

bool obj_hash_iter_next(struct obj_hash_iter *it, const char **field, size_t *field_len,
                        const char **value, size_t *value_len)
{
    struct pair pr;
    if (it->h->is_dict) {
        struct hent *he = (struct hent *)dict_iter_next(&it->di);
        if (!he) return false;
        pair_decode(he->data, &pr);
    } else {
        if (it->pos >= it->h->used) return false;
        it->pos += pair_decode(it->h->buf + it->pos, &pr);
    }
    *field = pr.field;
    *field_len = pr.field_len;
    *value = pr.value;
    *value_len = pr.value_len;
    return true;
}

void obj_hash_iter_done(struct obj_hash_iter *it)
{
    if (it->h && it->h->is_dict) dict_iter_done(&it->di);
    it->h = NULL;
}

/* ---- scan and random ------------------------------------------------------------------------ */

struct scan_adapter {
    obj_hash_field_fn fn;
    void *ctx;
};

static void hash_scan_one(void *p, struct dict_entry *e)
{
    struct scan_adapter *a = p;
    struct pair pr;
    pair_decode(((struct hent *)e)->data, &pr);
    a->fn(a->ctx, pr.field, pr.field_len, pr.value, pr.value_len);
}

uint64_t obj_hash_scan(struct obj_hash *h, uint64_t cursor, obj_hash_field_fn fn, void *ctx)
{
    if (h->is_dict) {
        struct scan_adapter a = {fn, ctx};
        return dict_scan(&h->d, cursor, hash_scan_one, &a);
    }
    for (size_t off = 0; off < h->used;) {
        struct pair pr;
        off += pair_decode(h->buf + off, &pr);
        fn(ctx, pr.field, pr.field_len, pr.value, pr.value_len);
    }
    return 0;
}

/* Pointers to every pair start (listpack offsets into buf, or hent data). Caller frees. */
static const unsigned char **collect_pairs(struct obj_hash *h, size_t *n)
{
    size_t len = obj_hash_len(h), i = 0;
    const unsigned char **all = xmalloc((len ? len : 1) * sizeof *all);
    if (!h->is_dict) {
        for (size_t off = 0; off < h->used; i++) {
            struct pair pr;
            all[i] = h->buf + off;
            off += pair_decode(h->buf + off, &pr);
        }
    } else {
        struct dict_iter it;
        dict_iter_init(&it, &h->d, false);
        for (struct dict_entry *e; (e = dict_iter_next(&it));) all[i++] = ((struct hent *)e)->data;
        dict_iter_done(&it);
    }
    ASSERT(i == len);
    *n = len;
    return all;
}

static void report_pair(const unsigned char *p, obj_hash_field_fn fn, void *ctx)
{
    struct pair pr;
    pair_decode(p, &pr);
    fn(ctx, pr.field, pr.field_len, pr.value, pr.value_len);
}

/* Distinct fields from a big dict hash, count << len: random picks, rejecting repeats through a
 * small open-addressing set of entry pointers. Expected picks < 2 * count because count < len/4. */
static void random_distinct_sparse(struct obj_hash *h, struct rng *r, size_t count,
                                   obj_hash_field_fn fn, void *ctx)
{
    size_t cap = 16;
    while (cap < count * 2) cap <<= 1;
    const struct dict_entry **seen = xcalloc(cap, sizeof *seen);
    for (size_t got = 0; got < count;) {
        const struct dict_entry *e = dict_random(&h->d, r);
        size_t i = (size_t)(((uintptr_t)e >> 4) * 0x9e3779b97f4a7c15ULL) & (cap - 1);
        while (seen[i] && seen[i] != e) i = (i + 1) & (cap - 1);
        if (seen[i]) continue;
        seen[i] = e;
        report_pair(((const struct hent *)e)->data, fn, ctx);
        got++;
    }
    free(seen);
}

size_t obj_hash_random_fields(struct obj_hash *h, struct rng *r, size_t count, bool allow_repeat,
                              obj_hash_field_fn fn, void *ctx)
{
    size_t len = obj_hash_len(h);
    if (len == 0 || count == 0) return 0;
    if (allow_repeat && h->is_dict) {
        for (size_t i = 0; i < count; i++)
            report_pair(((struct hent *)dict_random(&h->d, r))->data, fn, ctx);
        return count;
    }
    if (!allow_repeat && h->is_dict && count * 4 < len) {
        random_distinct_sparse(h, r, count, fn, ctx);
        return count;
    }
    size_t n;
    const unsigned char **all = collect_pairs(h, &n);
    if (allow_repeat) {
        for (size_t i = 0; i < count; i++) report_pair(all[rng_below(r, n)], fn, ctx);
    } else {
        count = MIN(count, n);
        for (size_t i = 0; i < count; i++) { /* partial Fisher-Yates */
            size_t j = i + rng_below(r, n - i);
            const unsigned char *t = all[i];
            all[i] = all[j];
            all[j] = t;
            report_pair(all[i], fn, ctx);
        }
    }
    free(all);
    return count;
}
