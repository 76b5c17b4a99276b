/* dict: an intrusive hash table keyed by byte strings, with chaining into power-of-two bucket
 * arrays, incremental rehashing, a keyed hash (SipHash-1-3) and a reverse-binary cursor scan.
 *
 * Why intrusive: the keyspace stores a key, its value and the chain pointer in ONE allocation
 * (a dict_entry is only the `next` pointer, embedded first in the owner's struct), so the table
 * costs 8 bytes per bucket plus 8 bytes per entry and nothing else. The owner tells the dict where
 * an entry's key bytes are through `key_of`.
 *
 * Invariants:
 *   - A key is present at most once (dict_add requires the caller to have checked).
 *   - table[0] and table[1] sizes are powers of two (or 0 when absent). While rehashing
 *     (rehash_idx >= 0), buckets of table[0] below rehash_idx are empty, new entries go to
 *     table[1], lookups look in both.
 *   - Load factor: expansion starts when used >= buckets (factor 1); shrinking starts when
 *     used < buckets / 8 (and buckets > DICT_MIN_BUCKETS). Neither starts while rehashing.
 *     While resizing is avoided (a forked snapshot child shares our pages: a new bucket array
 *     and relinking every entry would copy them all), expansion waits for
 *     DICT_FORCE_RESIZE_RATIO entries per bucket, shrinking does not start, and a rehash under
 *     way takes no steps in find/add/unlink (dict_rehash_step still works).
 *   - The dict never moves or frees entries: rehashing relinks them. An entry pointer stays valid
 *     until the OWNER frees it, whatever the dict does.
 *   - Rehash steps happen in find/add/unlink (one bucket each) and in dict_rehash_step; they never
 *     happen while a safe iterator is open (`pause` > 0).
 *
 * Iteration rules:
 *   - Safe iterator: pauses rehashing; the caller may unlink (and free) the entry just returned
 *     and may add entries (which may or may not be returned). Nothing else may be unlinked.
 *   - Unsafe iterator: the caller must not modify the dict at all (not even dict_find, which may
 *     rehash). A fingerprint of the table layout is taken at init and ASSERTed equal in
 *     dict_iter_done, so a violation stops the process instead of returning garbage. This is the
 *     iterator the snapshot child uses after fork (read-only, no page writes).
 *   - dict_scan: stateless between calls; a full iteration (cursor 0 .. 0) reports every entry that
 *     was present for the whole iteration, even if the table grows, shrinks or rehashes between
 *     calls; it may report an entry more than once. The callback must not modify the dict.
 *
 * Must not: allocate per lookup, call time()/rand(), or depend on anything but common/.
 */
#ifndef VIGIL_DICT_H
#define VIGIL_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/rng.h"

#define DICT_MIN_BUCKETS 4
/* While resizing is avoided, grow only past this many entries per bucket (Redis's figure). */
#define DICT_FORCE_RESIZE_RATIO 5

/* Embed as the FIRST member of the owner's entry struct. */
struct dict_entry {
    struct dict_entry *next;
};

/* Return the key bytes of an entry and store their length in *len. */
typedef const char *(*dict_key_fn)(const struct dict_entry *e, size_t *len);

struct dict {
    dict_key_fn key_of;
    struct dict_entry **table[2];
    size_t size[2];     /* buckets; 0 when the table is absent */
    size_t used[2];     /* entries */
    ssize_t rehash_idx; /* next bucket of table[0] to move; -1 when not rehashing */
    int pause;          /* open safe iterators: no rehash steps while > 0 */

    /* See the load factor rule above; dict_clear keeps it. */
    bool is_resize_avoided;
};

/* Process-wide hash seed (16 bytes). Call once at startup, before any dict holds entries; a dict
 * filled under one seed cannot be searched under another. Defaults to a fixed seed (tests). */
void dict_set_hash_seed(const uint8_t seed[16]);
/* SipHash-1-3 of the bytes under the process seed. */
uint64_t dict_hash(const void *key, size_t len);

void dict_init(struct dict *d, dict_key_fn key_of);
/* Free the bucket arrays after calling free_entry (may be NULL) on every entry; the dict is left
 * empty and reusable. Not incremental: O(entries). */
void dict_clear(struct dict *d, void (*free_entry)(struct dict_entry *e, void *ctx), void *ctx);

/* Avoid starting resizes (while a forked child shares the memory) or allow them again. */
static inline void dict_set_resize_avoided(struct dict *d, bool on) { d->is_resize_avoided = on; }
static inline size_t dict_count(const struct dict *d) { return d->used[0] + d->used[1]; }
static inline bool dict_is_rehashing(const struct dict *d) { return d->rehash_idx >= 0; }
/* Total buckets of both tables (for INFO-like reporting and tests). */
static inline size_t dict_buckets(const struct dict *d) { return d->size[0] + d->size[1]; }

/* Lookup. `h` must be dict_hash(key, len). Returns NULL when absent. */
struct dict_entry *dict_find(struct dict *d, const char *key, size_t len);
/* An EMPTY dict about to receive n entries (a snapshot being loaded): size the table for them
 * now instead of growing and rehashing on the way. No effect on a dict that holds entries. */
void dict_reserve(struct dict *d, size_t n);
struct dict_entry *dict_find_hashed(struct dict *d, uint64_t h, const char *key, size_t len);

/* Insert an entry whose key is NOT present (the caller checked). `h` = dict_hash of its key. */
void dict_add(struct dict *d, struct dict_entry *e);
void dict_add_hashed(struct dict *d, uint64_t h, struct dict_entry *e);

/* Unlink and return the entry with this key (NULL if absent). The caller frees it. */
struct dict_entry *dict_unlink(struct dict *d, const char *key, size_t len);
struct dict_entry *dict_unlink_hashed(struct dict *d, uint64_t h, const char *key, size_t len);
/* Unlink this exact entry (must be present). */
void dict_unlink_entry(struct dict *d, struct dict_entry *e);

/* The link (bucket slot or a predecessor's `next`) that points at entry `e` (must be present).
 * Used to reallocate an entry: slot = dict_slot_of(d, e); n = realloc(e, ...); *slot = n;
 * The slot is never inside `e` itself, and stays valid until the next dict call. */
struct dict_entry **dict_slot_of(struct dict *d, const struct dict_entry *e);
struct dict_entry **dict_slot_of_hashed(struct dict *d, uint64_t h, const struct dict_entry *e);

/* Move up to n buckets (visiting at most 10*n empty ones) from table[0] to table[1]. Returns true
 * if rehashing is still in progress afterwards. No-op while paused. */
bool dict_rehash_step(struct dict *d, int n);

/* A random entry, NULL when empty. Rejection sampling over (bucket, depth < 8) pairs: uniform
 * over all entries except those deeper than 8 in a chain (about one bucket in a million at load
 * factor 1); after 128 rejected trials (a very sparse table) it falls back to "random non-empty
 * bucket, then a random link", which slightly favours short chains. Good enough for RANDOMKEY,
 * SPOP, SRANDMEMBER and expiry sampling. Expected trials: 8 at load 1, 64 at load 1/8. */
struct dict_entry *dict_random(struct dict *d, struct rng *r);

/* Scan: call fn on the entries of the bucket(s) at `cursor`, return the next cursor (0 = done).
 * Start with cursor 0. See the guarantee in the file comment. */
typedef void (*dict_scan_fn)(void *ctx, struct dict_entry *e);
uint64_t dict_scan(struct dict *d, uint64_t cursor, dict_scan_fn fn, void *ctx);

struct dict_iter {
    struct dict *d;
    struct dict_entry *next; /* saved before returning an entry, so it may be unlinked */
    size_t bucket;
    int table;
    bool is_safe;
    uint64_t fingerprint;
};

void dict_iter_init(struct dict_iter *it, struct dict *d, bool is_safe);
/* Next entry, or NULL at the end. */
struct dict_entry *dict_iter_next(struct dict_iter *it);
/* Always call when done (even early): unpauses a safe iterator; checks an unsafe one's
 * fingerprint (ASSERT). */
void dict_iter_done(struct dict_iter *it);

#endif
