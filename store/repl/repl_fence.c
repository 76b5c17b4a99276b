/* repl_fence: see repl_fence.h. */
#include "store/repl/repl_fence.h"

#include "store/store_config.h"

struct repl_fence repl_fence_from_config(const struct store_config *cfg)
{
    return (struct repl_fence){.to_write = cfg->min_replicas_to_write,
                               .max_lag_s_ms = cfg->min_replicas_max_lag_ms,
                               .max_lag_ms = cfg->min_replicas_max_lag_ms_opt};
}

bool repl_fence_is_on(const struct repl_fence *f)
{
    return f->to_write > 0 && (f->max_lag_ms > 0 || f->max_lag_s_ms > 0);
}

bool repl_fence_is_good(const struct repl_fence *f, int64_t now_ms, int64_t ack_ms)
{
    int64_t age_ms = now_ms - ack_ms;
    /* The millisecond key: strictly younger than the limit, so "500" means an ACK older than
     * 500 ms no longer counts (docs/replication.md#fencing-on-the-data-path). */
    if (f->max_lag_ms > 0) return age_ms < f->max_lag_ms;
    /* Redis's rule: the age in whole seconds (rounded down) at most the limit in seconds, so
     * "10" lets an ACK be up to 10.999 s old. */
    return age_ms / 1000 <= f->max_lag_s_ms / 1000;
}

bool repl_fence_is_failing(const struct repl_fence *f, size_t ngood)
{
    return repl_fence_is_on(f) && (long long)ngood < f->to_write;
}
