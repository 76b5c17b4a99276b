/* repl_fence: the data-path fence of a master, min-replicas-to-write. Which replicas count as
 * good (their last REPLCONF ACK is recent enough) and whether writes must be refused. Pure
 * arithmetic on monotonic clock readings, so the rule is unit-tested with a fake clock
 * (tests/unit/store/test_repl_fence.c); the replica list is walked by repl_count_good.
 * Why and what it guarantees: docs/replication.md#fencing-on-the-data-path. */
#ifndef VIGIL_REPL_FENCE_H
#define VIGIL_REPL_FENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_config;

struct repl_fence {
    long long to_write;   /* min-replicas-to-write; 0: off */
    int64_t max_lag_s_ms; /* min-replicas-max-lag (whole seconds, as Redis), in ms */
    long long max_lag_ms; /* min-replicas-max-lag-ms; when not 0 it replaces max_lag_s_ms */
};

struct repl_fence repl_fence_from_config(const struct store_config *cfg);
/* The fence is on: writes need to_write good replicas (Redis also needs a non-zero lag). */
bool repl_fence_is_on(const struct repl_fence *f);
/* A replica whose last ACK arrived at ack_ms counts as good at now_ms. */
bool repl_fence_is_good(const struct repl_fence *f, int64_t now_ms, int64_t ack_ms);
/* With `ngood` good replicas, writes are refused (-NOREPLICAS). */
bool repl_fence_is_failing(const struct repl_fence *f, size_t ngood);

#endif
