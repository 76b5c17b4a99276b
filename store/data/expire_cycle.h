/* expire_cycle: the active expire cycle across databases, as Redis's: keep keys that expired
 * but were not yet deleted under about 10% of the volatile keys, without spending more than a
 * share of the CPU.
 *
 * Slow cycle (the cron, `hz` times a second): walks up to 16 databases from where the previous
 * call stopped (all of them after a call that ran out of time), each with ks_expire_run, until
 * a time limit of (25 + 2 * (effort - 1))% of the cron period. Fast cycle (before the loop
 * sleeps): at most (1000 + 250 * (effort - 1)) us, only when the previous cycle ran out of
 * time or the smoothed stale share is above the acceptable one, and not within twice its
 * duration of the previous fast cycle. `active-expire-effort` (1-10) also raises the keys per
 * round (20 + 5 * (effort - 1)) and lowers the acceptable stale share (10 - (effort - 1) %).
 *
 * Two differences from Redis 7.0, both toward its stated aim: a database's run stops on the
 * stale share of all the keys it sampled (from the fifth round on), not of its last 20, which
 * let a burst of expiries stop the run at 20-40% stale by chance; and the fast cycle runs when
 * the smoothed stale share is above the acceptable one (Redis compares a fraction with a
 * percentage there, so in practice only after a cycle that ran out of time).
 *
 * PURE: the monotonic clock comes in as a function (tests count its calls), now_ms is passed;
 * replica databases (ks_set_replica_mode) are left alone by ks_expire_run.
 */
#ifndef VIGIL_EXPIRE_CYCLE_H
#define VIGIL_EXPIRE_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/data/keyspace.h"

#define EXPIRE_EFFORT_MIN 1
#define EXPIRE_EFFORT_MAX 10
#define EXPIRE_DBS_PER_CALL 16

enum expire_cycle_kind { EXPIRE_CYCLE_SLOW, EXPIRE_CYCLE_FAST };

typedef int64_t (*expire_clock_fn)(void *ctx); /* monotonic microseconds */

/* Zero-initialise; owned by the server. The stats are INFO's. */
struct expire_cycle {
    int next_db;
    bool last_timed_out;
    int64_t last_fast_start_us;
    double stale_perc;         /* expired_stale_perc, smoothed, 0..100 */
    uint64_t time_cap_reached; /* expired_time_cap_reached_count */
    uint64_t time_used_us;     /* expire_cycle_cpu_milliseconds * 1000 */
    uint64_t sampled, expired; /* totals, for tests and benchmarks */
};

struct expire_cycle_env {
    expire_clock_fn clock_us;
    void *clock_ctx;
    int effort; /* active-expire-effort, 1..10 (clamped) */
    int hz;     /* cron frequency, for the slow cycle's time limit */
};

/* Run one cycle over dbs[0..ndb). Returns the keys removed. */
size_t expire_cycle_run(struct expire_cycle *st, struct ks **dbs, int ndb,
                        enum expire_cycle_kind kind, const struct expire_cycle_env *env,
                        int64_t now_ms);
/* The slow cycle's time limit in microseconds for this effort and hz (at least 1). */
int64_t expire_cycle_slow_limit_us(int effort, int hz);

#endif
