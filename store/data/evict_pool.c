/* evict_pool: see evict_pool.h. The LFU arithmetic follows Redis's published design (a Morris-
 * style counter whose increment chance falls as it grows, decremented once per lfu-decay-time
 * minutes of idleness), so OBJECT FREQ reads as Redis's does. */
#include "store/data/evict_pool.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define LFU_MIN_MASK 0xFFFFu

uint32_t lfu_elapsed_min(uint32_t now_min, uint32_t then_min)
{
    now_min &= LFU_MIN_MASK;
    then_min &= LFU_MIN_MASK;
    return now_min >= then_min ? now_min - then_min : LFU_MIN_MASK - then_min + now_min;
}

uint32_t lfu_decayed(uint32_t access24, uint32_t now_min, long long decay_time_min)
{
    uint32_t counter = access24 & 0xFFu;
    if (decay_time_min <= 0) return counter;
    uint32_t periods = lfu_elapsed_min(now_min, access24 >> 8) / (uint32_t)decay_time_min;
    return periods >= counter ? 0 : counter - periods;
}

uint32_t lfu_log_incr(uint32_t counter, long long log_factor, double r)
{
    if (counter >= 255) return 255;
    double base = counter > LFU_INIT_VAL ? (double)(counter - LFU_INIT_VAL) : 0.0;
    double p = 1.0 / (base * (double)log_factor + 1.0);
    return r < p ? counter + 1 : counter;
}

uint32_t lfu_initial(uint32_t now_min) { return (now_min & LFU_MIN_MASK) << 8 | LFU_INIT_VAL; }

uint32_t lfu_touched(uint32_t access24, uint32_t now_min, long long log_factor,
                     long long decay_time_min, double r)
{
    uint32_t counter = lfu_decayed(access24, now_min, decay_time_min);
    counter = lfu_log_incr(counter, log_factor, r);
    return (now_min & LFU_MIN_MASK) << 8 | counter;
}

/* ---- pool ---- */

void evict_pool_init(struct evict_pool *p) { memset(p, 0, sizeof *p); }

static void cand_free(struct evict_cand *c)
{
    free(c->heap_key);
    c->heap_key = NULL;
}

void evict_pool_clear(struct evict_pool *p)
{
    for (size_t i = 0; i < p->n; i++) cand_free(&p->c[i]);
    p->n = 0;
}

bool evict_pool_insert(struct evict_pool *p, uint64_t score, int db, const char *key, size_t klen)
{
    size_t k = 0;
    while (k < p->n && p->c[k].score < score) k++;
    if (p->n == EVICT_POOL_SIZE) {
        if (k == 0) return false; /* no better than the worst kept */
        cand_free(&p->c[0]);      /* drop the worst, shift the lower part left */
        for (size_t i = 0; i + 1 < k; i++) p->c[i] = p->c[i + 1];
        k--;
    } else {
        for (size_t i = p->n; i > k; i--) p->c[i] = p->c[i - 1];
        p->n++;
    }
    struct evict_cand *c = &p->c[k];
    c->score = score;
    c->db = db;
    c->klen = klen;
    c->heap_key = klen <= EVICT_POOL_KEY_INLINE ? NULL : xmalloc(klen);
    memcpy(c->heap_key ? c->heap_key : c->inline_key, key, klen);
    return true;
}

bool evict_pool_pop(struct evict_pool *p, struct evict_cand *out)
{
    if (p->n == 0) return false;
    *out = p->c[--p->n];
    p->c[p->n].heap_key = NULL; /* now owned by *out */
    return true;
}

void evict_cand_release(struct evict_cand *c) { cand_free(c); }
