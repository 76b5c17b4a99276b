/* evict_pool: the pure parts of eviction. The LFU counter (Redis's logarithmic counter with
 * decay, kept in an entry's 24 access bits: 16 bits of minutes, 8 bits of counter), and the pool
 * of best eviction candidates that sampling fills (sorted by score, ascending: the last entry
 * is the best one to evict). No server, no clock, no randomness of its own: callers pass them. */
#ifndef VIGIL_EVICT_POOL_H
#define VIGIL_EVICT_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LFU_INIT_VAL 5     /* counter of a new key: not evicted at once for lack of history */
#define EVICT_POOL_SIZE 16 /* candidates kept between evictions */
#define EVICT_POOL_KEY_INLINE 48

/* ---- LFU: access bits = minutes (16 bits, wrapping) << 8 | counter (8 bits) ---- */

/* Minutes elapsed from `then` to `now`, both mod 2^16 (one wrap assumed when now < then). */
uint32_t lfu_elapsed_min(uint32_t now_min, uint32_t then_min);
/* The counter after decay: one step down per decay_time_min elapsed (0: no decay). */
uint32_t lfu_decayed(uint32_t access24, uint32_t now_min, long long decay_time_min);
/* One access's increment: probability 1 / ((counter - LFU_INIT_VAL) * log_factor + 1); r is
 * uniform in [0, 1). Saturates at 255. */
uint32_t lfu_log_incr(uint32_t counter, long long log_factor, double r);
/* Access bits of a key just created. */
uint32_t lfu_initial(uint32_t now_min);
/* Access bits after an access: decay, increment, stamp the minute. */
uint32_t lfu_touched(uint32_t access24, uint32_t now_min, long long log_factor,
                     long long decay_time_min, double r);

/* ---- the candidate pool ---- */

struct evict_cand {
    uint64_t score; /* higher = better to evict (idle seconds, 255 - freq, or -TTL) */
    int db;
    size_t klen;
    char *heap_key; /* a malloc'ed copy of a key longer than the inline room, else NULL */
    char inline_key[EVICT_POOL_KEY_INLINE];
};

/* The candidate's key bytes (klen of them); the struct may be copied freely. */
static inline const char *evict_cand_key(const struct evict_cand *c)
{
    return c->heap_key ? c->heap_key : c->inline_key;
}

struct evict_pool {
    struct evict_cand c[EVICT_POOL_SIZE];
    size_t n; /* used entries, c[0..n-1], ascending score */
};

void evict_pool_init(struct evict_pool *p);
void evict_pool_clear(struct evict_pool *p);
/* Offer a candidate; kept if the pool has room or it beats the worst kept one (which is then
 * dropped). Returns true if kept. */
bool evict_pool_insert(struct evict_pool *p, uint64_t score, int db, const char *key, size_t klen);
/* Take the best candidate out into *out (release it with evict_cand_release); false when
 * empty. */
bool evict_pool_pop(struct evict_pool *p, struct evict_cand *out);
void evict_cand_release(struct evict_cand *c);

#endif
