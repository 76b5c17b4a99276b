/* expire_cycle: see expire_cycle.h. The figures (keys per round, time shares, acceptable stale
 * share, 16 databases a call, smoothing 5% of the new sample) are Redis 7.0's, so the same
 * effort setting costs and reclaims about the same here. */
#include "store/data/expire_cycle.h"

#include "common/util.h"

#define KEYS_PER_ROUND 20
#define FAST_DURATION_US 1000
#define SLOW_TIME_PERC 25
#define ACCEPTABLE_STALE 10

struct expire_tuning {
    unsigned keys_per_round, acceptable_stale;
    int64_t fast_duration_us;
    int slow_time_perc;
};

static struct expire_tuning expire_tuning_for(int effort)
{
    int e = effort < EXPIRE_EFFORT_MIN   ? 0
            : effort > EXPIRE_EFFORT_MAX ? EXPIRE_EFFORT_MAX - 1
                                         : effort - 1;
    return (struct expire_tuning){
        .keys_per_round = (unsigned)(KEYS_PER_ROUND + KEYS_PER_ROUND / 4 * e),
        .acceptable_stale = (unsigned)(ACCEPTABLE_STALE - e),
        .fast_duration_us = FAST_DURATION_US + FAST_DURATION_US / 4 * e,
        .slow_time_perc = SLOW_TIME_PERC + 2 * e,
    };
}

int64_t expire_cycle_slow_limit_us(int effort, int hz)
{
    struct expire_tuning t = expire_tuning_for(effort);
    int64_t limit = (int64_t)t.slow_time_perc * 1000000 / (hz > 0 ? hz : 10) / 100;
    return limit > 0 ? limit : 1;
}

/* The fast cycle is worth running only when the last cycle left work behind. */
static bool expire_fast_is_behind(const struct expire_cycle *st, const struct expire_tuning *t)
{
    return st->last_timed_out || st->stale_perc > (double)t->acceptable_stale;
}

/* ... and not again within twice its duration of the previous one. */
static bool expire_fast_is_due(struct expire_cycle *st, const struct expire_tuning *t,
                               int64_t start_us)
{
    if (st->last_fast_start_us && start_us < st->last_fast_start_us + t->fast_duration_us * 2)
        return false;
    st->last_fast_start_us = start_us;
    return true;
}

size_t expire_cycle_run(struct expire_cycle *st, struct ks **dbs, int ndb,
                        enum expire_cycle_kind kind, const struct expire_cycle_env *env,
                        int64_t now_ms)
{
    if (ndb <= 0) return 0;
    struct expire_tuning t = expire_tuning_for(env->effort);
    /* Checked before the clock is read: the loop asks before every sleep. */
    if (kind == EXPIRE_CYCLE_FAST && !expire_fast_is_behind(st, &t)) return 0;
    int64_t start = env->clock_us(env->clock_ctx);
    if (kind == EXPIRE_CYCLE_FAST && !expire_fast_is_due(st, &t, start)) return 0;
    int64_t limit = kind == EXPIRE_CYCLE_FAST ? t.fast_duration_us
                                              : expire_cycle_slow_limit_us(env->effort, env->hz);
    int dbs_per_call = st->last_timed_out || ndb < EXPIRE_DBS_PER_CALL ? ndb : EXPIRE_DBS_PER_CALL;
    struct ks_expire_budget b = {
        .keys_per_round = t.keys_per_round,
        .acceptable_stale_perc = t.acceptable_stale,
        .max_rounds = SIZE_MAX,
        .clock_us = env->clock_us,
        .clock_ctx = env->clock_ctx,
        .deadline_us = start + limit,
    };
    size_t removed = 0;
    for (int j = 0; j < dbs_per_call && !b.timed_out; j++) {
        struct ks *ks = dbs[st->next_db % ndb];
        st->next_db = (st->next_db + 1) % ndb;
        removed += ks_expire_run(ks, now_ms, &b);
    }
    if (b.timed_out) st->time_cap_reached++;
    st->last_timed_out = b.timed_out;
    int64_t end = env->clock_us(env->clock_ctx);
    st->time_used_us += (uint64_t)(end > start ? end - start : 0);
    double current = b.sampled ? (double)b.expired * 100.0 / (double)b.sampled : 0.0;
    st->stale_perc = current * 0.05 + st->stale_perc * 0.95;
    st->sampled += b.sampled;
    st->expired += b.expired;
    return removed;
}
