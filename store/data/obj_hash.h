/* obj_hash: the hash value type (HSET and friends).
 *
 * Two encodings, as Redis 7 reports them in OBJECT ENCODING:
 *   "listpack"  small hashes: field/value pairs packed in one buffer ([varint flen][field]
 *               [varint vlen][value] ...), searched linearly. Cheap for up to ~128 short pairs.
 *   "hashtable" a dict of entries (chain pointer + both strings in one allocation).
 * A listpack hash converts (once, never back) when an insert makes it hold more than
 * max_listpack_entries pairs, or when a field or value longer than max_listpack_value bytes is
 * stored (redis-server's built-in hash-max-listpack-entries 512 / hash-max-listpack-value 64; the
 * limits are passed in by the caller, which owns the config, so CONFIG SET takes effect on the next
 * write).
 *
 * Field/value pointers returned by get/iter/random/scan are borrowed: valid until the hash is
 * modified. Keys with an empty hash must be deleted by the caller (the command).
 */
#ifndef VIGIL_OBJ_HASH_H
#define VIGIL_OBJ_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rng.h"
#include "store/data/dict.h"
#include "store/data/keyspace.h"

struct obj_hash;

struct obj_hash_limits {
    size_t max_listpack_entries; /* hash-max-listpack-entries */
    size_t max_listpack_value;   /* hash-max-listpack-value (bytes) */
};
#define OBJ_HASH_LIMITS_DEFAULT ((struct obj_hash_limits){512, 64})

/* For ks_add_obj(ks, key, klen, &obj_hash_ops, obj_hash_create()). */
extern const struct ks_obj_ops obj_hash_ops;

struct obj_hash *obj_hash_create(void);
/* ks_obj_ops hooks (take void * so they fit the ops table). */
void obj_hash_free(void *h);
void *obj_hash_dup(const void *h);
const char *obj_hash_encoding(const void *h);
size_t obj_hash_mem_usage(const void *h);

size_t obj_hash_len(const struct obj_hash *h);
bool obj_hash_is_listpack(const struct obj_hash *h);
/* HGET: true (with *value and *value_len set) if present. */
bool obj_hash_get(struct obj_hash *h, const char *field, size_t field_len, const char **value,
                  size_t *value_len);
bool obj_hash_exists(struct obj_hash *h, const char *field, size_t field_len);
/* HSTRLEN: value length, 0 if absent. */
size_t obj_hash_strlen(struct obj_hash *h, const char *field, size_t field_len);
/* HSET: returns 1 if the field was added, 0 if its value was replaced. */
int obj_hash_set(struct obj_hash *h, const char *field, size_t field_len, const char *value,
                 size_t value_len, const struct obj_hash_limits *lim);
/* HDEL: true if the field existed. */
bool obj_hash_del(struct obj_hash *h, const char *field, size_t field_len);
/* HINCRBY: absent field counts as 0. Errors: KS_ERR_NOT_INT ("ERR hash value is not an
 * integer"), KS_ERR_OVERFLOW ("ERR increment or decrement would overflow"); hash unchanged. */
int obj_hash_incrby(struct obj_hash *h, const char *field, size_t field_len, long long delta,
                    long long *result, const struct obj_hash_limits *lim);
/* HINCRBYFLOAT: result formatted into out (out_cap >= KS_FLOAT_BUF). Errors: KS_ERR_NOT_FLOAT ("ERR
 * hash value is not a float"), KS_ERR_NAN ("ERR increment would produce NaN or Infinity"). */
int obj_hash_incrbyfloat(struct obj_hash *h, const char *field, size_t field_len, long double delta,
                         char *out, size_t out_cap, size_t *out_len,
                         const struct obj_hash_limits *lim);

/* Per-field callback for random/scan. */
typedef void (*obj_hash_field_fn)(void *ctx, const char *field, size_t field_len, const char *value,
                                  size_t value_len);

/* HRANDFIELD: report `count` fields. allow_repeat (negative COUNT): exactly count picks,
 * independent. Otherwise distinct fields, min(count, len) of them (all when count >= len).
 * Returns the number reported. The hash must not be modified by fn. */
size_t obj_hash_random_fields(struct obj_hash *h, struct rng *r, size_t count, bool allow_repeat,
                              obj_hash_field_fn fn, void *ctx);

/* HSCAN: listpack: every pair in one call, returns 0. hashtable: dict_scan semantics. */
uint64_t obj_hash_scan(struct obj_hash *h, uint64_t cursor, obj_hash_field_fn fn, void *ctx);

/* HGETALL/HKEYS/HVALS: read-only iteration (the hash must not change until done). */
struct obj_hash_iter {
    struct obj_hash *h;
    size_t pos; /* listpack byte offset */
    struct dict_iter di;
};
void obj_hash_iter_init(struct obj_hash_iter *it, struct obj_hash *h);
bool obj_hash_iter_next(struct obj_hash_iter *it, const char **field, size_t *field_len,
                        const char **value, size_t *value_len);
void obj_hash_iter_done(struct obj_hash_iter *it);

#endif
