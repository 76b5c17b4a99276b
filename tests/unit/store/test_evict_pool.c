/* Unit tests for evict_pool: the LFU counter arithmetic and the candidate pool's ordering, plus
 * the keyspace's LFU mode and eviction sampling (ks_set_lfu, ks_sample, ks_entry_evict_score). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "store/data/evict_pool.h"
#include "store/data/keyspace.h"

Test(lfu, elapsed_minutes_wrap_once)
{
    cr_assert_eq(lfu_elapsed_min(10, 4), 6);
    cr_assert_eq(lfu_elapsed_min(3, 65534), 65535 - 65534 + 3);
    cr_assert_eq(lfu_elapsed_min(7, 7), 0);
}

Test(lfu, decay_one_step_per_period)
{
    uint32_t at = (100u << 8) | 20u;
    cr_assert_eq(lfu_decayed(at, 100, 1), 20);
    cr_assert_eq(lfu_decayed(at, 105, 1), 15);
    cr_assert_eq(lfu_decayed(at, 105, 2), 18);   /* 5 minutes / 2 = 2 periods */
    cr_assert_eq(lfu_decayed(at, 200, 1), 0);    /* never below zero */
    cr_assert_eq(lfu_decayed(at, 60000, 0), 20); /* decay time 0: never decays */
}

Test(lfu, log_increment_probability)
{
    /* At or below LFU_INIT_VAL the increment is certain; above it p = 1/((c-5)*f+1). */
    cr_assert_eq(lfu_log_incr(0, 10, 0.999), 1);
    cr_assert_eq(lfu_log_incr(LFU_INIT_VAL, 10, 0.999), LFU_INIT_VAL + 1);
    cr_assert_eq(lfu_log_incr(6, 10, 1.0 / 11.0 - 1e-9), 7); /* p = 1/11 */
    cr_assert_eq(lfu_log_incr(6, 10, 1.0 / 11.0 + 1e-9), 6);
    cr_assert_eq(lfu_log_incr(255, 0, 0.0), 255);   /* saturates */
    cr_assert_eq(lfu_log_incr(100, 0, 0.999), 101); /* factor 0: every access counts */
}

Test(lfu, initial_and_touched)
{
    uint32_t a = lfu_initial(70000); /* minutes wrap at 2^16 */
    cr_assert_eq(a >> 8, 70000u & 0xFFFFu);
    cr_assert_eq(a & 0xFF, LFU_INIT_VAL);
    uint32_t t = lfu_touched(a, (70000u + 3) & 0xFFFFu, 10, 1, 0.0);
    /* decayed by 3, then incremented (r = 0 always increments), stamped with the new minute */
    cr_assert_eq(t & 0xFF, LFU_INIT_VAL - 3 + 1);
    cr_assert_eq(t >> 8, (70000u + 3) & 0xFFFFu);
}

static struct evict_cand pop(struct evict_pool *p)
{
    struct evict_cand c;
    cr_assert(evict_pool_pop(p, &c));
    return c;
}

Test(evict_pool, pops_best_first_and_keeps_the_best_sixteen)
{
    struct evict_pool p;
    evict_pool_init(&p);
    char key[16];
    for (int i = 0; i < 40; i++) { /* scores 0..39 in a scrambled order */
        int s = (i * 17) % 40;
        snprintf(key, sizeof key, "k%d", s);
        evict_pool_insert(&p, (uint64_t)s, s % 3, key, strlen(key));
    }
    cr_assert_eq(p.n, EVICT_POOL_SIZE);
    for (int want = 39; want >= 40 - EVICT_POOL_SIZE; want--) {
        struct evict_cand c = pop(&p);
        snprintf(key, sizeof key, "k%d", want);
        cr_assert_eq(c.score, (uint64_t)want);
        cr_assert_eq(c.db, want % 3);
        cr_assert_eq(c.klen, strlen(key));
        cr_assert_eq(memcmp(evict_cand_key(&c), key, c.klen), 0);
        evict_cand_release(&c);
    }
    struct evict_cand none;
    cr_assert_not(evict_pool_pop(&p, &none));
}

Test(evict_pool, worse_than_all_kept_is_refused_when_full)
{
    struct evict_pool p;
    evict_pool_init(&p);
    for (int i = 0; i < EVICT_POOL_SIZE; i++) evict_pool_insert(&p, 100 + (uint64_t)i, 0, "k", 1);
    cr_assert_not(evict_pool_insert(&p, 5, 0, "low", 3));
    cr_assert(evict_pool_insert(&p, 1000, 0, "high", 4));
    struct evict_cand c = pop(&p);
    cr_assert_eq(c.score, 1000);
    evict_cand_release(&c);
    evict_pool_clear(&p);
    cr_assert_eq(p.n, 0);
}

Test(evict_pool, long_keys_are_copied)
{
    struct evict_pool p;
    evict_pool_init(&p);
    char big[300];
    memset(big, 'x', sizeof big);
    evict_pool_insert(&p, 1, 0, big, sizeof big);
    evict_pool_insert(&p, 2, 0, "short", 5);
    evict_pool_insert(&p, 0, 0, big, 10);
    struct evict_cand c = pop(&p);
    cr_assert_eq(c.klen, 5);
    evict_cand_release(&c);
    c = pop(&p);
    cr_assert_eq(c.klen, sizeof big);
    cr_assert_eq(memcmp(evict_cand_key(&c), big, sizeof big), 0);
    evict_cand_release(&c);
    evict_pool_clear(&p);
}

Test(ks_evict, lfu_mode_counts_accesses_and_new_keys_start_at_init)
{
    struct ks *ks = ks_create(1);
    ks_set_clock(ks, 600000);
    ks_set_lfu(ks, true, 0, 1); /* log factor 0: each access counts */
    struct ks_entry *e = ks_set_string(ks, "a", 1, "v", 1, KS_NO_EXPIRE, 0, 600000);
    cr_assert_eq(ks_entry_freq(ks, e), LFU_INIT_VAL);
    for (int i = 0; i < 10; i++) ks_entry_touch(ks, e);
    cr_assert_eq(ks_entry_freq(ks, e), LFU_INIT_VAL + 10);
    /* an overwrite keeps the counter and counts one more access */
    e = ks_set_string(ks, "a", 1, "w", 1, KS_NO_EXPIRE, 0, 600000);
    cr_assert_eq(ks_entry_freq(ks, e), LFU_INIT_VAL + 11);
    cr_assert_eq(ks_entry_evict_score(ks, e, KS_SCORE_LFU), 255u - (LFU_INIT_VAL + 11));
    ks_set_clock(ks, 600000 + 4 * 60000); /* four idle minutes, decay time 1 */
    cr_assert_eq(ks_entry_freq(ks, e), LFU_INIT_VAL + 7);
    ks_destroy(ks);
}

Test(ks_evict, lru_score_is_idle_seconds_and_ttl_score_prefers_sooner)
{
    struct ks *ks = ks_create(1);
    ks_set_clock(ks, 1000000);
    struct ks_entry *e = ks_set_string(ks, "a", 1, "v", 1, KS_NO_EXPIRE, 0, 1000000);
    ks_set_clock(ks, 1000000 + 7000);
    cr_assert_eq(ks_entry_evict_score(ks, e, KS_SCORE_IDLE), 7);
    struct ks_entry *soon = ks_set_string(ks, "s", 1, "v", 1, 5000000, 0, 1000000);
    uint64_t s_soon = ks_entry_evict_score(ks, soon, KS_SCORE_TTL);
    struct ks_entry *late = ks_set_string(ks, "l", 1, "v", 1, 9000000, 0, 1000000);
    cr_assert_gt(s_soon, ks_entry_evict_score(ks, late, KS_SCORE_TTL));
    ks_destroy(ks);
}

Test(ks_evict, sample_volatile_only_sees_keys_with_ttl)
{
    struct ks *ks = ks_create(7);
    struct ks_entry *out[8];
    cr_assert_eq(ks_sample(ks, false, out, 8), 0);
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "p%d", i);
        ks_set_string(ks, k, strlen(k), "v", 1, KS_NO_EXPIRE, 0, 0);
    }
    cr_assert_eq(ks_sample(ks, true, out, 8), 0);
    ks_set_string(ks, "t", 1, "v", 1, 99999999, 0, 0);
    cr_assert_eq(ks_sample(ks, true, out, 8), 1); /* no more than there are */
    ks_set_string(ks, "u", 1, "v", 1, 99999999, 0, 0);
    ks_set_string(ks, "w", 1, "v", 1, 99999999, 0, 0);
    cr_assert_eq(ks_sample(ks, true, out, 2), 2);
    for (int i = 0; i < 2; i++) cr_assert_neq(ks_entry_expire_ms(out[i]), KS_NO_EXPIRE);
    cr_assert_eq(ks_sample(ks, false, out, 8), 8);
    ks_destroy(ks);
}

Test(ks_evict, sample_finds_the_last_key_of_a_sparse_table)
{
    struct ks *ks = ks_create(3);
    char k[16];
    for (int i = 0; i < 4096; i++) {
        snprintf(k, sizeof k, "k%d", i);
        ks_set_string(ks, k, strlen(k), "v", 1, KS_NO_EXPIRE, 0, 0);
    }
    for (int i = 1; i < 4096; i++) {
        snprintf(k, sizeof k, "k%d", i);
        cr_assert_eq(ks_delete(ks, k, strlen(k)), 1);
    }
    struct ks_entry *out[5];
    for (int round = 0; round < 50; round++) {
        cr_assert_eq(ks_sample(ks, false, out, 5), 1);
        size_t klen;
        cr_assert_eq(memcmp(ks_entry_key(out[0], &klen), "k0", 2), 0);
    }
    ks_destroy(ks);
}
