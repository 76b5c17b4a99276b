/* monitor: pure failure-detection rules (docs/sentinel-protocol.md#failure-detection) and the
 * timing periods (docs/sentinel-protocol.md#timings, #periodic-commands).
 *
 * Every function here reads an instance and a `now` and answers a question: is a PING due, is
 * INFO due, how long has it been unavailable, is it subjectively down, how many sentinels say the
 * master is down, did the clock stall. Nothing is changed and nothing is sent: sentinel_tick()
 * applies the answers (flags, events, commands).
 *
 * Departures from Redis (documented with the reasons they keep safety):
 * - PING cadence is min(ping-period, down-after / 10) (floor 10 ms) instead of
 *   min(ping-period, down-after), so all sentinels notice a dead master within 10% of
 *   down-after of each other. Detection still requires down-after of silence: no false SDOWN.
 * - INFO has an in-flight guard: it is not re-sent while one is outstanding younger than its
 *   period (Redis re-sends every tick).
 */
#ifndef VIGIL_SENTINEL_MONITOR_H
#define VIGIL_SENTINEL_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "sentinel/core/instance.h"

/* All periods in ms; settable with SENTINEL DEBUG, our extra names included
 * (docs/sentinel-protocol.md#timings). */
struct sentinel_periods {
    int64_t info_period;
    int64_t ping_period;
    int64_t ask_period;
    int64_t publish_period;
    int64_t default_down_after;
    int64_t default_failover_timeout;
    int64_t tilt_trigger;
    int64_t tilt_period;
    int64_t slave_reconf_timeout;
    int64_t min_link_reconnect_period;
    int64_t election_timeout;
    int64_t script_max_runtime;
    int64_t script_retry_delay;
    /* ours */
    int64_t fast_info_period; /* replicas during a failover (Redis: 1000, hard-coded) */
    int64_t reconnect_period; /* min gap between connect attempts of one link */
    int64_t tick_period;      /* base tick; the shell adds 0..tick_period/2 of jitter */
    int64_t lease_period;     /* master lease renewals: min(this, down-after / 4) (lease.h) */
};

struct periods_name {
    const char *upper; /* as listed by SENTINEL DEBUG */
    const char *lower; /* as accepted by SENTINEL DEBUG <name> <ms> */
    size_t offset;     /* into struct sentinel_periods */
};

void monitor_periods_default(struct sentinel_periods *periods);
/* The table of names (NULL-terminated by a zero entry), for SENTINEL DEBUG. */
const struct periods_name *monitor_periods_names(void);
int64_t *monitor_period_ref(struct sentinel_periods *periods, const struct periods_name *n);

/* PING interval for an instance whose master has this down-after. */
int64_t monitor_ping_interval_ms(const struct sentinel_periods *periods, int64_t down_after_ms);
bool monitor_ping_due(const struct instance *ri, int64_t now_ms, int64_t interval_ms);
/* INFO period for this instance: info_period; fast_info_period for a master in its first
 * MONITOR_DISCOVERY_MS and while its replica set changes (discovery_until_ms), and for replicas
 * during a failover; a replica an HTTP check wants fresh: fresh_info_period_ms. */
#define MONITOR_DISCOVERY_MS 10000
int64_t monitor_info_interval_ms(const struct instance *ri, const struct sentinel_periods *periods,
                                 int64_t now_ms);
bool monitor_info_due(const struct instance *ri, int64_t now_ms,
                      const struct sentinel_periods *periods);

/* ms the instance has been without a valid reply (docs/sentinel-protocol.md#sdown): since the
 * oldest unanswered PING, or, with no PING outstanding and the link down, since the last valid
 * reply; else 0. */
int64_t monitor_unavailable_ms(const struct instance *ri, int64_t now_ms);
/* The SDOWN condition (docs/sentinel-protocol.md#sdown) for any instance kind, plus ours: a
 * regressed master (master_record.is_regressed) is down at once. */
bool monitor_sdown_condition(const struct instance *ri, int64_t now_ms,
                             const struct sentinel_periods *periods);
/* 1 (self) + peers whose MASTER_DOWN flag is set; 0 if the master is not SDOWN here. */
unsigned monitor_odown_count(const struct instance *master);
/* The sentinels of master's group this one is in contact with now: itself, plus peers with a
 * command link up, not SDOWN, that answered a PING within down-after. *known counts the peers
 * and itself. True when that is a majority of *known: the one predicate of "cut off from the
 * majority" (HTTP 503s, GET-MASTER-ADDR-BY-NAME refusal). A lone sentinel is never cut off. */
bool monitor_majority_reachable(const struct instance *master, int64_t now_ms, int *known,
                                int *reachable);

enum monitor_tilt { TILT_NONE = 0, TILT_STALL = 1, TILT_BACKWARDS = 2 };
/* Compare this tick's time with the previous one (prev 0 = first tick). */
enum monitor_tilt monitor_tilt_check(int64_t prev_tick_ms, int64_t now_ms, int64_t trigger_ms);

/* Force-close rules for links that look alive but are not (docs/sentinel-protocol.md#links). */
bool monitor_cmd_link_should_close(const struct instance *ri, int64_t now_ms, int64_t down_after_ms,
                                   int64_t min_link_reconnect_ms);
bool monitor_pubsub_link_should_close(const struct instance *ri, int64_t now_ms,
                                      const struct sentinel_periods *periods);

#endif
