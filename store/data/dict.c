/* dict: intrusive chained hash table with incremental rehashing. See dict.h for the invariants,
 * the iteration rules and the scan guarantee.
 *
 * Rehashing: when a resize starts, table[1] is allocated and rehash_idx walks table[0] from
 * bucket 0 upwards; each find/add/unlink moves one bucket, and the server's cron moves more
 * through dict_rehash_step. When table[0] is empty it is freed and table[1] takes its place.
 *
 * Scan: the cursor is a bucket index whose bits are incremented from the HIGH end (reverse-binary
 * increment). With power-of-two tables, the buckets an entry can live in after a resize are the
 * cursor's bucket with more (or fewer) high bits, so visiting in this order never skips a bucket
 * that has not been covered at some other size. During a rehash we visit the bucket of the small
 * table and every bucket of the large table that expands from it.
 */
#include "store/data/dict.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* ---- SipHash-1-3 (one compression round, three finalization rounds) ---------------------- */

static uint64_t hash_k0 = 0x0706050403020100ULL;
static uint64_t hash_k1 = 0x0f0e0d0c0b0a0908ULL;

void dict_set_hash_seed(const uint8_t seed[16])
{
    uint64_t k0 = 0, k1 = 0;
    for (int i = 7; i >= 0; i--) {
        k0 = (k0 << 8) | seed[i];
        k1 = (k1 << 8) | seed[8 + i];
    }
    hash_k0 = k0;
    hash_k1 = k1;
}

static inline uint64_t rotl64(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static inline uint64_t load_le64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

#define SIP_ROUND()                                                                                \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl64(v1, 13);                                                                       \
        v1 ^= v0;                                                                                  \
        v0 = rotl64(v0, 32);                                                                       \
        v2 += v3;                                                                                  \
        v3 = rotl64(v3, 16);                                                                       \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl64(v3, 21);                                                                       \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl64(v1, 17);                                                                       \
        v1 ^= v2;                                                                                  \
        v2 = rotl64(v2, 32);                                                                       \
    } while (0)

uint64_t dict_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t v0 = hash_k0 ^ 0x736f6d6570736575ULL;
    uint64_t v1 = hash_k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = hash_k0 ^ 0x6c7967656e657261ULL;
    uint64_t v3 = hash_k1 ^ 0x7465646279746573ULL;
    size_t blocks = len & ~(size_t)7;
    for (size_t i = 0; i < blocks; i += 8) {
        uint64_t m = load_le64(p + i);
        v3 ^= m;
        SIP_ROUND();
        v0 ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++) last |= (uint64_t)p[blocks + i] << (8 * i);
    v3 ^= last;
    SIP_ROUND();
    v0 ^= last;
    v2 ^= 0xff;
    SIP_ROUND();
    SIP_ROUND();
    SIP_ROUND();
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- table management ---------------------------------------------------------------------- */

void dict_init(struct dict *d, dict_key_fn key_of)
{
    memset(d, 0, sizeof *d);
    d->key_of = key_of;
    d->rehash_idx = -1;
}

void dict_clear(struct dict *d, void (*free_entry)(struct dict_entry *e, void *ctx), void *ctx)
{
    ASSERT(d->pause == 0);
    for (int t = 0; t < 2; t++) {
        if (free_entry) {
            for (size_t i = 0; i < d->size[t]; i++) {
                struct dict_entry *e = d->table[t][i];
                while (e) {
                    struct dict_entry *next = e->next;
                    free_entry(e, ctx);
                    e = next;
                }
            }
        }
        free(d->table[t]);
    }
    bool avoided = d->is_resize_avoided;
    dict_init(d, d->key_of);
    d->is_resize_avoided = avoided;
}

static size_t next_pow2(size_t n)
{
    size_t s = DICT_MIN_BUCKETS;
    while (s < n) s <<= 1;
    return s;
}

static uint64_t entry_hash(const struct dict *d, const struct dict_entry *e)
{
    size_t len;
    const char *k = d->key_of(e, &len);
    return dict_hash(k, len);
}

/* Start moving to a table of `buckets` (a power of two). The first allocation is immediate. */
static void dict_start_resize(struct dict *d, size_t buckets)
{
    ASSERT(!dict_is_rehashing(d));
    struct dict_entry **t = xcalloc(buckets, sizeof *t);
    if (d->table[0] == NULL) {
        d->table[0] = t;
        d->size[0] = buckets;
        return;
    }
    d->table[1] = t;
    d->size[1] = buckets;
    d->used[1] = 0;
    d->rehash_idx = 0;
}

static void dict_finish_rehash(struct dict *d)
{
    free(d->table[0]);
    d->table[0] = d->table[1];
    d->size[0] = d->size[1];
    d->used[0] = d->used[1];
    d->table[1] = NULL;
    d->size[1] = 0;
    d->used[1] = 0;
    d->rehash_idx = -1;
}

static void dict_move_bucket(struct dict *d, size_t idx)
{
    struct dict_entry *e = d->table[0][idx];
    size_t mask = d->size[1] - 1;
    while (e) {
        struct dict_entry *next = e->next;
        size_t to = (size_t)entry_hash(d, e) & mask;
        e->next = d->table[1][to];
        d->table[1][to] = e;
        d->used[0]--;
        d->used[1]++;
        e = next;
    }
    d->table[0][idx] = NULL;
}

bool dict_rehash_step(struct dict *d, int n)
{
    if (!dict_is_rehashing(d)) return false;
    if (d->pause > 0) return true;
    int empty_visits = n * 10;
    while (n-- > 0 && d->used[0] != 0) {
        ASSERT((size_t)d->rehash_idx < d->size[0]);
        while (d->table[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits == 0) return true;
            ASSERT((size_t)d->rehash_idx < d->size[0]);
        }
        dict_move_bucket(d, (size_t)d->rehash_idx);
        d->rehash_idx++;
    }
    if (d->used[0] == 0) {
        dict_finish_rehash(d);
        return false;
    }
    return true;
}

static inline void dict_step_if_rehashing(struct dict *d)
{
    /* While resizing is avoided a rehash already under way pauses too: each step rewrites
     * bucket and entry links, the pages a forked child would then need copied. */
    if (d->rehash_idx >= 0 && d->pause == 0 && !d->is_resize_avoided) dict_rehash_step(d, 1);
}

static void dict_maybe_expand(struct dict *d)
{
    if (dict_is_rehashing(d)) return;
    if (d->size[0] == 0)
        dict_start_resize(d, DICT_MIN_BUCKETS);
    else if (d->used[0] >= d->size[0] * (d->is_resize_avoided ? DICT_FORCE_RESIZE_RATIO : 1))
        dict_start_resize(d, next_pow2(d->used[0] + 1));
}

void dict_reserve(struct dict *d, size_t n)
{
    if (dict_count(d) != 0 || dict_is_rehashing(d) || n <= d->size[0]) return;
    free(d->table[0]);
    d->table[0] = NULL;
    d->size[0] = 0;
    dict_start_resize(d, next_pow2(MAX(n, (size_t)DICT_MIN_BUCKETS)));
}

static void dict_maybe_shrink(struct dict *d)
{
    if (dict_is_rehashing(d) || d->size[0] <= DICT_MIN_BUCKETS || d->is_resize_avoided) return;
    if (d->used[0] * 8 >= d->size[0]) return;
    size_t target = next_pow2(d->used[0] * 2);
    if (target < d->size[0]) dict_start_resize(d, target);
}

/* ---- lookup, insert, delete --------------------------------------------------------------- */

static inline bool entry_matches(const struct dict *d, const struct dict_entry *e, const char *key,
                                 size_t len)
{
    size_t elen;
    const char *ek = d->key_of(e, &elen);
    return elen == len && memcmp(ek, key, len) == 0;
}

struct dict_entry *dict_find_hashed(struct dict *d, uint64_t h, const char *key, size_t len)
{
    if (d->size[0] == 0) return NULL;
    dict_step_if_rehashing(d);
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        for (struct dict_entry *e = d->table[t][h & (d->size[t] - 1)]; e; e = e->next)
            if (entry_matches(d, e, key, len)) return e;
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

struct dict_entry *dict_find(struct dict *d, const char *key, size_t len)
{
    return dict_find_hashed(d, dict_hash(key, len), key, len);
}

void dict_add_hashed(struct dict *d, uint64_t h, struct dict_entry *e)
{
    dict_step_if_rehashing(d);
    dict_maybe_expand(d);
    int t = dict_is_rehashing(d) ? 1 : 0;
    size_t idx = h & (d->size[t] - 1);
    e->next = d->table[t][idx];
    d->table[t][idx] = e;
    d->used[t]++;
}

void dict_add(struct dict *d, struct dict_entry *e) { dict_add_hashed(d, entry_hash(d, e), e); }

struct dict_entry **dict_slot_of_hashed(struct dict *d, uint64_t h, const struct dict_entry *e)
{
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        struct dict_entry **link = &d->table[t][h & (d->size[t] - 1)];
        for (; *link; link = &(*link)->next)
            if (*link == e) return link;
    }
    util_panic("dict_slot_of: entry not in dict");
}

struct dict_entry **dict_slot_of(struct dict *d, const struct dict_entry *e)
{
    return dict_slot_of_hashed(d, entry_hash(d, e), e);
}

/* Which table holds the link (needed to keep used[] right). */
static int table_of_link(const struct dict *d, struct dict_entry **link, uint64_t h)
{
    if (d->size[1] == 0) return 0;
    struct dict_entry **head = &d->table[1][h & (d->size[1] - 1)];
    for (struct dict_entry **l = head; *l; l = &(*l)->next)
        if (l == link) return 1;
    return 0;
}

static void dict_unlink_at(struct dict *d, struct dict_entry **link, uint64_t h)
{
    int t = table_of_link(d, link, h);
    struct dict_entry *e = *link;
    *link = e->next;
    e->next = NULL;
    d->used[t]--;
    dict_maybe_shrink(d);
}

struct dict_entry *dict_unlink_hashed(struct dict *d, uint64_t h, const char *key, size_t len)
{
    if (d->size[0] == 0) return NULL;
    dict_step_if_rehashing(d);
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        struct dict_entry **link = &d->table[t][h & (d->size[t] - 1)];
        for (; *link; link = &(*link)->next) {
            struct dict_entry *e = *link;
            if (entry_matches(d, e, key, len)) {
                *link = e->next;
                e->next = NULL;
                d->used[t]--;
                dict_maybe_shrink(d);
                return e;
            }
        }
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

struct dict_entry *dict_unlink(struct dict *d, const char *key, size_t len)
{
    return dict_unlink_hashed(d, dict_hash(key, len), key, len);
}

void dict_unlink_entry(struct dict *d, struct dict_entry *e)
{
    uint64_t h = entry_hash(d, e);
    dict_unlink_at(d, dict_slot_of_hashed(d, h, e), h);
}

/* ---- random ---------------------------------------------------------------------------------- */

/* Bucket `i` of the combined index space [0, size0 + size1). */
static struct dict_entry *bucket_at(const struct dict *d, size_t i)
{
    return i < d->size[0] ? d->table[0][i] : d->table[1][i - d->size[0]];
}

/* Rejection sampling: pick a uniformly random (bucket, depth < RANDOM_DEPTH) pair and accept it
 * if the chain is that deep. Every entry in the first RANDOM_DEPTH links of a chain has the same
 * probability per trial, so accepted picks are uniform; with load factor >= 1/8 a trial succeeds
 * with probability >= 1/64. Longer chains (~1e-6 of buckets at load 1) and unlucky runs fall back
 * to "random non-empty bucket, then random link", which favours entries of short chains. */
#define RANDOM_DEPTH 8
#define RANDOM_TRIALS 128

static struct dict_entry *random_fallback(const struct dict *d, struct rng *r, size_t lo,
                                          size_t span)
{
    size_t start = rng_below(r, span);
    struct dict_entry *head = NULL;
    for (size_t k = 0; k < span && head == NULL; k++) head = bucket_at(d, lo + (start + k) % span);
    ASSERT(head != NULL);
    size_t chain = 0;
    for (struct dict_entry *e = head; e; e = e->next) chain++;
    size_t pick = rng_below(r, chain);
    while (pick--) head = head->next;
    return head;
}

struct dict_entry *dict_random(struct dict *d, struct rng *r)
{
    if (dict_count(d) == 0) return NULL;
    dict_step_if_rehashing(d);
    /* Buckets of table[0] below rehash_idx are known empty: skip them. */
    size_t lo = dict_is_rehashing(d) ? (size_t)d->rehash_idx : 0;
    size_t span = d->size[0] + d->size[1] - lo;
    for (int trial = 0; trial < RANDOM_TRIALS; trial++) {
        uint64_t x = rng_below(r, (uint64_t)span * RANDOM_DEPTH);
        struct dict_entry *e = bucket_at(d, lo + (size_t)(x / RANDOM_DEPTH));
        for (uint64_t depth = x % RANDOM_DEPTH; e && depth > 0; depth--) e = e->next;
        if (e) return e;
    }
    return random_fallback(d, r, lo, span);
}

/* ---- scan ------------------------------------------------------------------------------------ */

static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    return __builtin_bswap64(v);
}

/* Reverse-binary increment of the bits inside mask. */
static uint64_t cursor_next(uint64_t cursor, uint64_t mask)
{
    cursor |= ~mask;
    cursor = rev64(cursor);
    cursor++;
    return rev64(cursor);
}

static void scan_bucket(struct dict_entry *e, dict_scan_fn fn, void *ctx)
{
    while (e) {
        struct dict_entry *next = e->next;
        fn(ctx, e);
        e = next;
    }
}

uint64_t dict_scan(struct dict *d, uint64_t cursor, dict_scan_fn fn, void *ctx)
{
    if (dict_count(d) == 0) return 0;
    d->pause++; /* no rehash step may run inside the callbacks */
    if (!dict_is_rehashing(d)) {
        uint64_t m = d->size[0] - 1;
        scan_bucket(d->table[0][cursor & m], fn, ctx);
        cursor = cursor_next(cursor, m);
    } else {
        int small = d->size[0] <= d->size[1] ? 0 : 1, large = 1 - small;
        uint64_t m0 = d->size[small] - 1, m1 = d->size[large] - 1;
        scan_bucket(d->table[small][cursor & m0], fn, ctx);
        /* Every bucket of the large table whose low bits equal the small table's bucket. */
        do {
            scan_bucket(d->table[large][cursor & m1], fn, ctx);
            cursor = cursor_next(cursor, m1);
        } while (cursor & (m0 ^ m1));
    }
    d->pause--;
    return cursor;
}

/* ---- iterators ------------------------------------------------------------------------------- */

static uint64_t dict_fingerprint(const struct dict *d)
{
    uint64_t parts[6] = {(uint64_t)(uintptr_t)d->table[0], d->size[0], d->used[0],
                         (uint64_t)(uintptr_t)d->table[1], d->size[1], d->used[1]};
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 6; i++) {
        h ^= parts[i];
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    return h;
}

#define ITER_PREFETCH_AHEAD 16

void dict_iter_init(struct dict_iter *it, struct dict *d, bool is_safe)
{
    memset(it, 0, sizeof *it);
    it->d = d;
    it->is_safe = is_safe;
    if (is_safe)
        d->pause++;
    else
        it->fingerprint = dict_fingerprint(d);
}

struct dict_entry *dict_iter_next(struct dict_iter *it)
{
    struct dict *d = it->d;
    for (;;) {
        if (it->next) {
            struct dict_entry *e = it->next;
            it->next = e->next;
            return e;
        }
        if (it->bucket >= d->size[it->table]) {
            if (it->table == 1 || d->size[1] == 0) return NULL;
            it->table = 1;
            it->bucket = 0;
            continue;
        }
        struct dict_entry **tab = d->table[it->table];
        /* Walking a big table is one cache miss per entry; a caller that branches on the entry
         * (KEYS matching a pattern) stalls on each in turn. Touching the entry a few buckets
         * ahead overlaps those misses. */
        if (it->bucket + ITER_PREFETCH_AHEAD < d->size[it->table]) {
            const struct dict_entry *ahead = tab[it->bucket + ITER_PREFETCH_AHEAD];
            if (ahead) __builtin_prefetch(ahead);
        }
        it->next = tab[it->bucket++];
    }
}

void dict_iter_done(struct dict_iter *it)
{
    if (it->d == NULL) return;
    if (it->is_safe) {
        ASSERT(it->d->pause > 0);
        it->d->pause--;
    } else {
        ASSERT(it->fingerprint == dict_fingerprint(it->d));
    }
    it->d = NULL;
}
