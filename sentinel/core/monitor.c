/* monitor: pure failure-detection predicates and the period table (see monitor.h). */
#include "sentinel/core/monitor.h"

#include <stddef.h>

#include "common/util.h"

void monitor_periods_default(struct sentinel_periods *periods)
{
    periods->info_period = 10000;
    periods->ping_period = 1000;
    periods->ask_period = 1000;
    periods->publish_period = 2000;
    periods->default_down_after = 30000;
    periods->default_failover_timeout = 180000;
    periods->tilt_trigger = 2000;
    periods->tilt_period = 30000;
    periods->slave_reconf_timeout = 10000;
    periods->min_link_reconnect_period = 15000;
    periods->election_timeout = 10000;
    periods->script_max_runtime = 60000;
    periods->script_retry_delay = 30000;
    periods->fast_info_period = 1000;
    periods->reconnect_period = 1000;
    periods->tick_period = 20;
    periods->lease_period = 1000;
}

#define PN(u, l, f)                                                                                \
    {                                                                                              \
        u, l, offsetof(struct sentinel_periods, f)                                                 \
    }
static const struct periods_name period_names[] = {
    PN("INFO-PERIOD", "info-period", info_period),
    PN("PING-PERIOD", "ping-period", ping_period),
    PN("ASK-PERIOD", "ask-period", ask_period),
    PN("PUBLISH-PERIOD", "publish-period", publish_period),
    PN("DEFAULT-DOWN-AFTER", "default-down-after", default_down_after),
    PN("DEFAULT-FAILOVER-TIMEOUT", "default-failover-timeout", default_failover_timeout),
    PN("TILT-TRIGGER", "tilt-trigger", tilt_trigger),
    PN("TILT-PERIOD", "tilt-period", tilt_period),
    PN("SLAVE-RECONF-TIMEOUT", "slave-reconf-timeout", slave_reconf_timeout),
    PN("MIN-LINK-RECONNECT-PERIOD", "min-link-reconnect-period", min_link_reconnect_period),
    PN("ELECTION-TIMEOUT", "election-timeout", election_timeout),
    PN("SCRIPT-MAX-RUNTIME", "script-max-runtime", script_max_runtime),
    PN("SCRIPT-RETRY-DELAY", "script-retry-delay", script_retry_delay),
    PN("FAST-INFO-PERIOD", "fast-info-period", fast_info_period),
    PN("RECONNECT-PERIOD", "reconnect-period", reconnect_period),
    PN("TICK-PERIOD", "tick-period", tick_period),
    PN("LEASE-PERIOD", "lease-period", lease_period),
    {NULL, NULL, 0},
};

const struct periods_name *monitor_periods_names(void) { return period_names; }

int64_t *monitor_period_ref(struct sentinel_periods *periods, const struct periods_name *n)
{
    return (int64_t *)(void *)((char *)periods + n->offset);
}

int64_t monitor_ping_interval_ms(const struct sentinel_periods *periods, int64_t down_after_ms)
{
    int64_t scaled = MAX(down_after_ms / 10, (int64_t)10);
    return MIN(periods->ping_period, scaled);
}

bool monitor_ping_due(const struct instance *ri, int64_t now_ms, int64_t interval_ms)
{
    return now_ms - ri->last_pong_ms > interval_ms && now_ms - ri->last_ping_ms > interval_ms / 2;
}

/* The period without the temporary speed-ups below. */
static int64_t base_info_interval_ms(const struct instance *ri,
                                     const struct sentinel_periods *periods)
{
    if (ri->kind == INSTANCE_REPLICA) {
        const struct instance *master = ri->master;
        /* A replica being repointed: poll fast so reconf_done is seen promptly. */
        if (ri->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG))
            return MIN(periods->fast_info_period, periods->info_period) / 5 + 1;
        if ((master->flags & (SRI_O_DOWN | SRI_FAILOVER_IN_PROGRESS)) ||
            ri->master_link_down_ms != 0)
            return MIN(periods->fast_info_period, periods->info_period);
    }
    return periods->info_period;
}

int64_t monitor_info_interval_ms(const struct instance *ri, const struct sentinel_periods *periods,
                                 int64_t now_ms)
{
    int64_t fast = MIN(periods->fast_info_period, periods->info_period);
    /* A new master (or one after our restart) and one whose replica set just changed: replicas
     * are found from its INFO, so ask every fast period for a while, not every info-period. */
    if (ri->kind == INSTANCE_MASTER &&
        (now_ms - ri->created_ms < MONITOR_DISCOVERY_MS || now_ms < ri->discovery_until_ms))
        return fast;
    if (ri->kind == INSTANCE_REPLICA && now_ms < ri->fresh_info_until_ms)
        return MIN(ri->fresh_info_period_ms, base_info_interval_ms(ri, periods));
    return base_info_interval_ms(ri, periods);
}

bool monitor_info_due(const struct instance *ri, int64_t now_ms,
                      const struct sentinel_periods *periods)
{
    if (ri->kind == INSTANCE_SENTINEL) return false;
    int64_t period = monitor_info_interval_ms(ri, periods, now_ms);
    if (ri->info_sent_ms != 0 && now_ms - ri->info_sent_ms < period) return false;
    return ri->info_refresh_ms == 0 || now_ms - ri->info_refresh_ms > period;
}

int64_t monitor_unavailable_ms(const struct instance *ri, int64_t now_ms)
{
    if (ri->act_ping_ms != 0) return now_ms - ri->act_ping_ms;
    if (instance_is_disconnected(ri)) return now_ms - ri->last_avail_ms;
    return 0;
}

static int64_t down_after_of(const struct instance *ri)
{
    const struct instance *master = ri->kind == INSTANCE_MASTER ? ri : ri->master;
    return master->record->params.down_after_ms;
}

bool monitor_sdown_condition(const struct instance *ri, int64_t now_ms,
                             const struct sentinel_periods *periods)
{
    int64_t down_after = down_after_of(ri);
    if (monitor_unavailable_ms(ri, now_ms) > down_after) return true;
    if (ri->kind == INSTANCE_MASTER && ri->role_reported == ROLE_SLAVE &&
        now_ms - ri->role_reported_ms > down_after + 2 * periods->info_period)
        return true;
    if (ri->kind == INSTANCE_MASTER && ri->record->is_regressed) return true;
    if ((ri->flags & SRI_MASTER_REBOOT) && ri->kind == INSTANCE_MASTER &&
        now_ms - ri->record->reboot_ms > ri->record->params.master_reboot_down_after_period_ms)
        return true;
    return false;
}

unsigned monitor_odown_count(const struct instance *master)
{
    if (!(master->flags & SRI_S_DOWN)) return 0;
    unsigned count = 1;
    for (size_t i = 0; i < master->record->n_sentinels; i++)
        if (master->record->sentinels[i]->flags & SRI_MASTER_DOWN) count++;
    return count;
}

bool monitor_majority_reachable(const struct instance *master, int64_t now_ms, int *known,
                                int *reachable)
{
    *known = (int)master->record->n_sentinels + 1;
    *reachable = 1;
    for (size_t i = 0; i < master->record->n_sentinels; i++) {
        const struct instance *peer = master->record->sentinels[i];
        if (peer->link.is_cmd_connected && !(peer->flags & SRI_S_DOWN) &&
            now_ms - peer->last_avail_ms <= master->record->params.down_after_ms)
            (*reachable)++;
    }
    return *reachable >= *known / 2 + 1;
}

enum monitor_tilt monitor_tilt_check(int64_t prev_tick_ms, int64_t now_ms, int64_t trigger_ms)
{
    if (prev_tick_ms == 0) return TILT_NONE;
    int64_t delta = now_ms - prev_tick_ms;
    if (delta < 0) return TILT_BACKWARDS;
    if (delta > trigger_ms) return TILT_STALL;
    return TILT_NONE;
}

bool monitor_cmd_link_should_close(const struct instance *ri, int64_t now_ms, int64_t down_after_ms,
                                   int64_t min_link_reconnect_ms)
{
    if (!ri->link.is_cmd_connected || ri->act_ping_ms == 0) return false;
    return now_ms - ri->link.cmd_connected_ms > min_link_reconnect_ms &&
           now_ms - ri->act_ping_ms > down_after_ms / 2 &&
           now_ms - ri->last_pong_ms > down_after_ms / 2;
}

bool monitor_pubsub_link_should_close(const struct instance *ri, int64_t now_ms,
                                      const struct sentinel_periods *periods)
{
    if (!ri->link.is_pubsub_connected) return false;
    return now_ms - ri->link.pubsub_connected_ms > periods->min_link_reconnect_period &&
           now_ms - ri->link.pubsub_last_activity_ms > 3 * periods->publish_period;
}
