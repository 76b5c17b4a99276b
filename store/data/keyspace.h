/* keyspace: one database of vigil-store: key -> typed value, with an optional absolute expiry in
 * unix milliseconds. One `struct ks` per database (SELECT n).
 *
 * PURE: no sockets, no time() (every call that may expire passes now_ms), no globals, no rand()
 * (each ks has its own seeded rng for sampling).
 *
 * Values:
 *   string  encodings "int" (a canonical long long), "embstr" (<= 44 bytes), "raw" (> 44
 *           bytes, or after APPEND/SETRANGE). Strings up to KS_EMB_MAX bytes are stored inside
 *           the entry whatever their reported encoding; longer ones and any string grown by
 *           APPEND/SETRANGE use a separate growable buffer.
 *   list, set, zset, hash: an opaque object pointer plus its `struct ks_obj_ops` (free, dup,
 *           encoding name, memory usage), so this module does not depend on the types' headers.
 *           obj_hash.h exports `obj_hash_ops`; the list/set/zset modules export theirs.
 *
 * Entry layout (one malloc): dict chain pointer, a flags byte (type, encoding, has-expire), then
 * [expire_ms 8][expire index 4] if it expires, varint key length, key bytes, then the value:
 * int: 8 bytes; embstr: varint length + bytes; raw: buffer pointer; object: ops + object pointer.
 * "key:123456" with a 16-byte value is a 37-byte request (a 48-byte glibc chunk).
 *
 * Expiry: keys with a TTL are also listed in an array (each such entry records its index), so
 * active expiry samples a random volatile key in O(1). Lazy expiry happens in ks_lookup:
 *   master mode (default): an expired key is deleted and the expired callback is called;
 *   replica mode: an expired key is hidden (reported absent) but kept; only the master's DEL
 *   removes it. ks_find never applies expiry; now_ms = KS_NOW_NO_EXPIRY makes every function
 *   treat all keys as live (the replication stream on a replica).
 * Expired means expire_ms < now_ms (alive at exactly its expiry millisecond, as Redis).
 *
 * Entry pointers (struct ks_entry *): valid until the next call that modifies THIS ks (any
 * function not documented read-only, including ks_lookup in master mode, which may delete an
 * expired key). Functions that may reallocate the entry return the new pointer. Changing the
 * inside of an object value (obj_hash_set on ks_entry_obj(e)) does not move the entry.
 *
 * Empty containers: the caller (the command) deletes a key whose hash/list/... became empty.
 */
#ifndef VIGIL_KEYSPACE_H
#define VIGIL_KEYSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/data/dict.h"

/* Error codes (0 = ok). The command layer maps them to Redis's error replies. */
enum {
    KS_OK = 0,
    KS_ERR_WRONGTYPE = -1, /* WRONGTYPE Operation against a key holding the wrong kind of value */
    KS_ERR_NOT_INT = -2,   /* ERR value is not an integer or out of range */
    KS_ERR_OVERFLOW = -3,  /* ERR increment or decrement would overflow */
    KS_ERR_NOT_FLOAT = -4, /* ERR value is not a valid float */
    KS_ERR_NAN = -5,       /* ERR increment would produce NaN or Infinity */
    KS_ERR_TOO_BIG = -6,   /* ERR string exceeds maximum allowed size (proto-max-bulk-len) */
};

enum ks_type {
    KS_TYPE_STRING = 0,
    KS_TYPE_LIST = 1,
    KS_TYPE_SET = 2,
    KS_TYPE_ZSET = 3,
    KS_TYPE_HASH = 4,
    KS_TYPE_STREAM = 5,
};

#define KS_NO_EXPIRE (-1) /* "no expiry" for expire_ms parameters and results */
/* Pass as now_ms to treat every key as live (nothing is expired, hidden or deleted): what a
 * replica does while applying its master's stream, since only the master decides expiry. */
#define KS_NOW_NO_EXPIRY INT64_MIN
/* Strings up to KS_EMB_MAX bytes live inside the entry (one allocation, no buffer header); OBJECT
 * ENCODING still says "embstr" only up to KS_EMBSTR_MAX and "raw" above, as Redis reports. */
#define KS_EMBSTR_MAX 44
#define KS_EMB_MAX 512
#define KS_INT_BUF 24 /* buffer for formatting an int-encoded string */
/* Output buffer for INCRBYFLOAT/HINCRBYFLOAT results: %.17Lf of a long double near its maximum
 * is ~4950 characters (Redis allows 5k too). */
#define KS_FLOAT_BUF 5120

typedef void (*ks_free_fn)(void *obj);
typedef void *(*ks_dup_fn)(const void *obj);

/* One per object type, defined (const, static storage) by the type's module. */
struct ks_obj_ops {
    enum ks_type type;
    const char *(*encoding)(const void *obj); /* OBJECT ENCODING name */
    ks_free_fn free;
    ks_dup_fn dup;                        /* deep copy (COPY) */
    size_t (*mem_usage)(const void *obj); /* approximate bytes; may be NULL */
};

struct ks;
struct ks_entry;

/* Called for every key removed by expiry (lazy in ks_lookup / ks_random / ks_scan, or active in
 * ks_expire_cycle), BEFORE it is freed: key bytes are valid during the call. The server
 * propagates DEL to replicas and fires keyspace events. Must not call into this ks. */
typedef void (*ks_expired_fn)(void *ctx, struct ks *ks, const char *key, size_t klen);

/* Called after a key that did not exist was added (by a write, RENAME's or COPY's destination,
 * MOVE's target): the server fires the "new" keyspace event. Must not call into this ks. */
typedef void (*ks_added_fn)(void *ctx, struct ks *ks, const char *key, size_t klen);

/* ---- lifecycle and settings --------------------------------------------------------------- */

/* Owned by the caller; `seed` seeds the sampling rng (RANDOMKEY, active expiry). */
struct ks *ks_create(uint64_t seed);
void ks_destroy(struct ks *ks);
void ks_set_expired_cb(struct ks *ks, ks_expired_fn fn, void *ctx);
void ks_set_added_cb(struct ks *ks, ks_added_fn fn, void *ctx);
/* Replica mode: lazy expiry hides instead of deleting; ks_expire_cycle does nothing. */
void ks_set_replica_mode(struct ks *ks, bool is_replica);
/* The access clock stamped on every entry written (ks_store and the calls built on it) or
 * touched: the caller advances it (the server's cron, like Redis's LRU clock, 1 s resolution). */
void ks_set_clock(struct ks *ks, int64_t now_ms);
bool ks_is_replica_mode(const struct ks *ks);

/* ---- whole keyspace ----------------------------------------------------------------------- */

size_t ks_count(const struct ks *ks);         /* keys, including expired not yet removed */
void ks_reserve(struct ks *ks, size_t nkeys); /* an empty ks about to get nkeys (loading) */
size_t ks_expires_count(const struct ks *ks); /* keys with a TTL */
/* Average remaining TTL of the keys sampled by recent expire cycles, 0 if unknown (INFO). */
int64_t ks_avg_ttl_ms(const struct ks *ks);
/* Remove every key (objects freed through their ops). Synchronous, O(keys), no per-key dict
 * work. Settings (callback, replica mode) are kept. */
void ks_flush(struct ks *ks);
/* SWAPDB: exchange the data (keys, expiry index, stats) of a and b; settings stay in place. */
void ks_swap(struct ks *a, struct ks *b);
/* Cron: move up to n buckets of an in-progress rehash. Returns true if more remain. */
bool ks_rehash_step(struct ks *ks, int n);
/* While a forked child shares the memory: start no table resize unless badly overloaded
 * (dict.h), so the child's pages are not all copied. */
void ks_set_resize_avoided(struct ks *ks, bool on);

/* Active expiry of one database (a step of Redis's cycle, driven by expire_cycle.c): sample up
 * to keys_per_round volatile keys, delete the expired ones (calling the expired callback),
 * repeat while more than acceptable_stale_perc percent of a round had expired, for at most
 * max_rounds rounds, and stop early once clock_us() reaches deadline_us (checked before each
 * round; no clock: no time limit). Adds to sampled/expired, sets timed_out. Returns the keys
 * removed. Replica mode, or now_ms == KS_NOW_NO_EXPIRY: nothing. */
struct ks_expire_budget {
    unsigned keys_per_round;        /* 0: 20 */
    unsigned acceptable_stale_perc; /* 0..100 */
    size_t max_rounds;
    int64_t (*clock_us)(void *ctx); /* monotonic microseconds, or NULL */
    void *clock_ctx;
    int64_t deadline_us;
    size_t sampled, expired; /* out, accumulated */
    bool timed_out;          /* out */
};
size_t ks_expire_run(struct ks *ks, int64_t now_ms, struct ks_expire_budget *b);
/* The same with Redis's defaults (20 keys a round, 10% stale) and no clock: at most about
 * max_samples keys sampled. */
size_t ks_expire_cycle(struct ks *ks, int64_t now_ms, size_t max_samples);
/* MEMORY STATS overhead.hashtable.main / .expires: bytes of the key table's buckets and of the
 * expiry index. */
void ks_overhead_bytes(const struct ks *ks, size_t *main_bytes, size_t *expires_bytes);

/* ---- lookup and delete -------------------------------------------------------------------- */

/* Key lookup with lazy expiry (see the file comment). NULL if absent or expired. */
struct ks_entry *ks_lookup(struct ks *ks, const char *key, size_t klen, int64_t now_ms);
/* Raw lookup: no expiry check at all (replication stream on a replica, internal use). */
struct ks_entry *ks_find(struct ks *ks, const char *key, size_t klen);
/* True if the entry's expiry is before now_ms (read-only). */
bool ks_entry_is_expired(const struct ks_entry *e, int64_t now_ms);
/* Delete a key if present (no expiry logic). Returns 1 if deleted, 0 if absent. */
int ks_delete(struct ks *ks, const char *key, size_t klen);
/* Delete the entry (from ks_lookup/ks_find on this ks). */
void ks_delete_entry(struct ks *ks, struct ks_entry *e);
/* Delete the entry but hand its object value to the caller (to free later, elsewhere: UNLINK);
 * returns NULL, having freed everything, for a string value. Take ks_entry_ops(e) first. */
void *ks_delete_entry_take_obj(struct ks *ks, struct ks_entry *e);

/* ---- entry accessors (read-only) ---------------------------------------------------------- */

const char *ks_entry_key(const struct ks_entry *e, size_t *klen);
enum ks_type ks_entry_type(const struct ks_entry *e);
/* OBJECT ENCODING: "int", "embstr", "raw", or the object's own name. */
const char *ks_entry_encoding(const struct ks_entry *e);
/* Absolute expiry in unix ms, or KS_NO_EXPIRE. */
int64_t ks_entry_expire_ms(const struct ks_entry *e);
/* Seconds since the entry was last written or touched, by the ks clock (OBJECT IDLETIME). */
int64_t ks_entry_idle_s(const struct ks *ks, const struct ks_entry *e);
/* Record an access at the current ks clock (a read; writes stamp the entry themselves). In LFU
 * mode: decay and a logarithmic increment of the access counter (ks_set_lfu). */
void ks_entry_touch(struct ks *ks, struct ks_entry *e);
/* TYPE reply name: "string", "list", "set", "zset", "hash", "stream". */
const char *ks_type_name(enum ks_type type);
/* Object value of a non-string entry (ASSERTs the type is not string). */
void *ks_entry_obj(const struct ks_entry *e);
const struct ks_obj_ops *ks_entry_ops(const struct ks_entry *e);
/* MEMORY USAGE: bytes the key costs: its entry, string buffer or object (approximate for big
 * objects, as their mem_usage), and its slot in the table. */
size_t ks_entry_mem_usage(const struct ks_entry *e);

/* ---- expiry of one key -------------------------------------------------------------------- */

/* Set (expire_ms >= 0) or clear (KS_NO_EXPIRE) the expiry. May reallocate: returns the entry.
 * A time already in the past is stored as given; EXPIRE-family commands on a master delete the
 * key instead (and propagate DEL), as Redis does. */
struct ks_entry *ks_entry_set_expire(struct ks *ks, struct ks_entry *e, int64_t expire_ms);

/* ---- strings ------------------------------------------------------------------------------ */

/* Flags for ks_set_string / ks_set_obj. */
enum {
    KS_SET_KEEPTTL = 1 << 0,  /* keep an existing key's TTL (ignored if expire_ms >= 0) */
    KS_SET_NX = 1 << 1,       /* only if the key does not exist (a hidden/expired key counts
                               * as absent; lazy expiry applies as in ks_lookup) */
    KS_SET_XX = 1 << 2,       /* only if the key exists */
    KS_SET_VERBATIM = 1 << 3, /* do not int-encode (INCRBYFLOAT results stay "embstr") */
};

/* SET: store the string under key, replacing any value of any type. expire_ms >= 0 sets an
 * absolute expiry; KS_NO_EXPIRE clears it unless KS_SET_KEEPTTL. Integer-looking values become
 * "int", <= 44 bytes "embstr", longer "raw". Returns the new entry, or NULL if NX/XX prevented
 * the write. now_ms is used for NX/XX existence (lazy expiry). */
struct ks_entry *ks_set_string(struct ks *ks, const char *key, size_t klen, const char *val,
                               size_t vlen, int64_t expire_ms, int flags, int64_t now_ms);

/* String value bytes. For "int", formats into buf (KS_INT_BUF bytes) and returns buf. The
 * pointer is valid until the entry changes. ASSERTs the type is string. */
const char *ks_str_get(const struct ks_entry *e, char buf[KS_INT_BUF], size_t *len);
size_t ks_str_len(const struct ks_entry *e);
/* True (and *v set) if the string is int-encoded. */
bool ks_str_get_int(const struct ks_entry *e, long long *v);

/* INCRBY/DECRBY/INCR/DECR: creates the key ("0" + delta) if absent, keeps the TTL. In place when
 * int-encoded. Errors: KS_ERR_WRONGTYPE, KS_ERR_NOT_INT, KS_ERR_OVERFLOW (value unchanged). */
int ks_str_incrby(struct ks *ks, const char *key, size_t klen, long long delta, int64_t now_ms,
                  long long *result);
/* INCRBYFLOAT: result stored as a string (not int-encoded: "embstr", or "raw" past 44 bytes),
 * formatted into out (out_cap >= KS_FLOAT_BUF, as util_long_double_to_str), keeps the TTL.
 * Errors: WRONGTYPE, NOT_FLOAT, NAN. */
int ks_str_incrbyfloat(struct ks *ks, const char *key, size_t klen, long double delta,
                       int64_t now_ms, char *out, size_t out_cap, size_t *out_len);
/* APPEND: creates the key (encoded as SET would) if absent, otherwise converts to "raw" and
 * appends with growth room; keeps the TTL. *new_len = resulting length. Errors: WRONGTYPE,
 * TOO_BIG (result would exceed max_len; nothing changes). */
int ks_str_append(struct ks *ks, const char *key, size_t klen, const char *val, size_t vlen,
                  size_t max_len, int64_t now_ms, size_t *new_len);
/* SETRANGE: write val at offset, zero-padding; creates the key if absent and vlen > 0 (an absent
 * key with vlen == 0 stays absent, *new_len = 0). Result is "raw"; keeps the TTL. Errors:
 * WRONGTYPE, TOO_BIG (offset + vlen > max_len). */
int ks_str_setrange(struct ks *ks, const char *key, size_t klen, size_t offset, const char *val,
                    size_t vlen, size_t max_len, int64_t now_ms, size_t *new_len);
/* Mutable bytes of a string entry (converted to "raw" first; for HLL registers and bit ops),
 * resized to new_len (zero-filled growth) unless new_len == SIZE_MAX (keep length). Returns the
 * (possibly moved) entry; *data and *len describe the bytes, valid until the entry changes. */
struct ks_entry *ks_str_mutable(struct ks *ks, struct ks_entry *e, size_t new_len, char **data,
                                size_t *len);

/* ---- objects (list, set, zset, hash) ----------------------------------------------------- */

/* Add key -> obj; the key must be absent (ks_find returns NULL). The ks takes ownership of obj.
 * No expiry. Returns the entry. */
struct ks_entry *ks_add_obj(struct ks *ks, const char *key, size_t klen,
                            const struct ks_obj_ops *ops, void *obj);
/* Set key -> obj replacing any value (STORE variants). Flags: KS_SET_KEEPTTL only. Takes
 * ownership of obj (if obj already is this key's value, it is kept, not freed). */
struct ks_entry *ks_set_obj(struct ks *ks, const char *key, size_t klen,
                            const struct ks_obj_ops *ops, void *obj, int flags);

/* ---- key operations ----------------------------------------------------------------------- */

/* RENAME: move src's value and TTL to key `dst` (replacing any dst), deleting src. src must be
 * an entry of ks; if dst equals src's key nothing changes. Returns the entry now under dst. */
struct ks_entry *ks_rename(struct ks *ks, struct ks_entry *src, const char *dst, size_t dlen);
/* COPY: deep-copy src (value and TTL) into dst_ks under dst (dst_ks may be src's ks or another
 * database), replacing any existing dst. dst must not be src itself (the command refuses that
 * case; here it ASSERTs). Returns the new entry. */
struct ks_entry *ks_copy(struct ks *dst_ks, const struct ks_entry *src, const char *dst,
                         size_t dlen);
/* MOVE: transfer the entry (value and TTL, no copy) from `from` to `to`, where the key must be
 * absent (ks_find on `to` returns NULL). Returns the entry (same key). */
struct ks_entry *ks_move(struct ks *from, struct ks_entry *e, struct ks *to);

/* RANDOMKEY: a random live key, or NULL if empty. Master mode: expired picks are deleted (with
 * the callback) and another is tried; replica mode: after 100 expired picks in a row one of them
 * is returned (as Redis, to avoid looping when every key is expired). */
struct ks_entry *ks_random(struct ks *ks, int64_t now_ms);

/* SCAN: calls fn for each live key in the bucket(s) at cursor; returns the next cursor (0 = done).
 * Redis's guarantee: a full iteration reports every key present throughout, maybe twice.
 * Expired keys are not reported (master mode deletes them after the bucket walk, with the
 * callback). fn must not modify the ks. The server applies MATCH/TYPE/COUNT. */
typedef void (*ks_scan_fn)(void *ctx, const struct ks_entry *e);
uint64_t ks_scan(struct ks *ks, uint64_t cursor, int64_t now_ms, ks_scan_fn fn, void *ctx);

/* ---- iteration (KEYS, FLUSH-like walks, snapshot writer) --------------------------------- */

struct ks_iter {
    struct dict_iter di;
    struct ks *ks;
};
/* is_safe: the caller may ks_delete_entry() the entry just returned, and nothing else.
 * !is_safe: the ks must not change at all (ASSERTed at done): the forked snapshot child's mode.
 * Returns every entry including logically expired ones; check ks_entry_is_expired(). */
void ks_iter_init(struct ks_iter *it, struct ks *ks, bool is_safe);
struct ks_entry *ks_iter_next(struct ks_iter *it);
void ks_iter_done(struct ks_iter *it);

/* ---- access tracking and eviction sampling ------------------------------------------------ */

/* LFU mode (an LFU maxmemory policy is set): the entries' access bits become an LFU counter
 * (evict_pool.h) with these lfu-log-factor and lfu-decay-time (minutes). Switching leaves the
 * bits as they are: they read as the other kind until keys are accessed again (as Redis). */
void ks_set_lfu(struct ks *ks, bool is_lfu, long long log_factor, long long decay_min);
/* RESTORE's IDLETIME / FREQ (-1: not given): in LRU mode the entry reads as idle for idle_s
 * seconds, in LFU mode its counter becomes freq; the hint of the other mode is ignored. */
void ks_entry_set_access_hint(struct ks *ks, struct ks_entry *e, long long idle_s, long long freq);
/* The entry's 24 access bits as stored (DEBUG OBJECT's lru field). Read-only. */
uint32_t ks_entry_access_bits(const struct ks_entry *e);
/* OBJECT FREQ: the LFU counter after decay (meaningful in LFU mode). Read-only. */
uint32_t ks_entry_freq(const struct ks *ks, const struct ks_entry *e);
enum ks_score { KS_SCORE_IDLE, KS_SCORE_LFU, KS_SCORE_TTL };
/* How good an eviction candidate the entry is (higher: evict first). Read-only. */
uint64_t ks_entry_evict_score(const struct ks *ks, const struct ks_entry *e, enum ks_score how);
/* Up to n entries picked at random (neighbours in the table or the expiry array from a random
 * start, as Redis samples; expired ones included; fewer than n when few keys or a sparse table),
 * from the keys with a TTL only if volatile_only. Returns how many were written to out (0: none
 * to sample). Read-only except for the sampling rng. */
size_t ks_sample(struct ks *ks, bool volatile_only, struct ks_entry **out, size_t n);

#endif
