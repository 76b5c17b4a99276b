/* tick: sentinel_tick(), the one place where the core decides
 * (docs/sentinel-protocol.md#the-tick).
 *
 * Per tick: TILT check (2.8); hellos queued since the last tick (2.5); for every master, the
 * monitoring half for the master, its replicas and its peers (links, INFO, PING, hello: always,
 * even in TILT), then the acting half unless in TILT (SDOWN for all, INFO reactions for data
 * nodes, ODOWN, failover start/step and asking peers for the master); finally the address switch
 * of masters that reached UPDATE_CONFIG, and the durable-state flush.
 * Must not: block, or free an instance other than through the switch/reset paths below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/election.h"
#include "sentinel/core/failover.h"
#include "sentinel/core/lease.h"
#include "sentinel/core/core_int.h"

static void reconnect(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    struct instance_link *l = &ri->link;
    bool need_cmd = !l->is_cmd_connected && !l->is_cmd_connecting;
    bool need_pubsub =
        ri->kind != INSTANCE_SENTINEL && !l->is_pubsub_connected && !l->is_pubsub_connecting;
    if (ri->port == 0 || !(need_cmd || need_pubsub)) return;
    if (l->last_reconnect_ms != 0 && now_ms - l->last_reconnect_ms < s->periods.reconnect_period)
        return;
    l->last_reconnect_ms = now_ms;
    if (need_cmd) {
        l->is_cmd_connecting = true;
        if (s->env.connect(s->env.ctx, ri->id, SENTINEL_LINK_CMD, ri->host, ri->port) != 0)
            l->is_cmd_connecting = false;
    }
    if (need_pubsub) {
        l->is_pubsub_connecting = true;
        if (s->env.connect(s->env.ctx, ri->id, SENTINEL_LINK_PUBSUB, ri->host, ri->port) != 0)
            l->is_pubsub_connecting = false;
    }
}

static int64_t down_after_of(const struct instance *ri)
{
    return (ri->kind == INSTANCE_MASTER ? ri : ri->master)->record->params.down_after_ms;
}

static void send_periodic(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    if (!ri->link.is_cmd_connected || ri->link.pending_commands >= SENTINEL_MAX_PENDING_COMMANDS)
        return;
    static const char *const info[] = {"INFO"};
    static const char *const ping[] = {"PING"};
    if (monitor_info_due(ri, now_ms, &s->periods) && core_send(s, ri, 1, info, TAG_INFO) == 0)
        ri->info_sent_ms = now_ms;
    int64_t interval = monitor_ping_interval_ms(&s->periods, down_after_of(ri));
    if (monitor_ping_due(ri, now_ms, interval) && core_send(s, ri, 1, ping, TAG_PING) == 0) {
        ri->last_ping_ms = now_ms;
        if (ri->act_ping_ms == 0) ri->act_ping_ms = now_ms;
    }
    bool pub_in_flight =
        ri->pub_sent_ms != 0 && now_ms - ri->pub_sent_ms < s->periods.publish_period;
    if (now_ms - ri->last_pub_ms > s->periods.publish_period && !pub_in_flight)
        core_send_hello(s, ri, now_ms);
}

static void check_sdown(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    int64_t down_after = down_after_of(ri);
    if (monitor_cmd_link_should_close(ri, now_ms, down_after,
                                      s->periods.min_link_reconnect_period)) {
        s->env.disconnect(s->env.ctx, ri->id, SENTINEL_LINK_CMD);
        ri->link.is_cmd_connected = false;
        ri->link.pending_commands = 0;
        ri->info_sent_ms = ri->pub_sent_ms = 0;
    }
    if (monitor_pubsub_link_should_close(ri, now_ms, &s->periods)) {
        s->env.disconnect(s->env.ctx, ri->id, SENTINEL_LINK_PUBSUB);
        ri->link.is_pubsub_connected = false;
    }
    bool down = monitor_sdown_condition(ri, now_ms, &s->periods);
    if (down && !(ri->flags & SRI_S_DOWN)) {
        notify_event(s, LOG_WARNING, "+sdown", ri, NULL);
        ri->flags |= SRI_S_DOWN;
        ri->s_down_since_ms = now_ms;
        /* Ask peers the moment SDOWN starts, not on the next ask period. */
        if (ri->kind == INSTANCE_MASTER) core_ask_peers(s, ri, true, now_ms);
    } else if (!down && (ri->flags & SRI_S_DOWN)) {
        notify_event(s, LOG_WARNING, "-sdown", ri, NULL);
        ri->flags &= ~(SRI_S_DOWN | SRI_SCRIPT_KILL_SENT);
    }
}

static void check_odown(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    unsigned count = monitor_odown_count(master);
    bool odown = count > 0 && count >= (unsigned)master->record->params.quorum;
    if (odown && !(master->flags & SRI_O_DOWN)) {
        notify_event(s, LOG_WARNING, "+odown", master, "#quorum %u/%d", count,
                     master->record->params.quorum);
        master->flags |= SRI_O_DOWN;
        master->o_down_since_ms = now_ms;
    } else if (!odown && (master->flags & SRI_O_DOWN)) {
        notify_event(s, LOG_WARNING, "-odown", master, NULL);
        master->flags &= ~SRI_O_DOWN;
    }
}

/* "No SDOWN/ODOWN start within the last ms". */
static bool no_down_for(const struct instance *ri, int64_t ms, int64_t now_ms)
{
    int64_t last = MAX(ri->s_down_since_ms, ri->o_down_since_ms);
    return last == 0 || now_ms - last > ms;
}

static bool master_looks_sane(const struct sentinel *s, const struct instance *master,
                              int64_t now_ms)
{
    /* A master judged regressed is down from the moment it is judged, even before the tick
     * sets SDOWN: its replicas must not be pointed at it (sim seed 1946). */
    return master->role_reported == ROLE_MASTER && !(master->flags & (SRI_S_DOWN | SRI_O_DOWN)) &&
           !master->record->is_regressed && master->info_refresh_ms != 0 &&
           now_ms - master->info_refresh_ms < 2 * s->periods.info_period;
}

/* Can this sentinel vouch for its view of the group? NULL if so, else why not
 * (docs/sentinel-protocol.md#info-reactions). Within the last `wait`: no hello announced a newer
 * config epoch for this master, and a majority of the known sentinels, this one included, sent
 * a hello, so a newer configuration would have reached us. A sentinel cut off from its peers,
 * or back from a partition before their hellos, must not pull the group's new master back to
 * the master it still knows (sim seeds 754, 1379, 2327). */
const char *view_stale_reason(const struct instance *master, bool need_majority, int64_t wait_ms,
                              int64_t now_ms)
{
    const struct master_record *record = master->record;
    if (record->heard_config_epoch > record->config_epoch &&
        now_ms - record->heard_config_ms <= wait_ms)
        return "a hello announced a newer config epoch";
    if (!need_majority) return NULL;
    unsigned heard = 1;
    for (size_t i = 0; i < record->n_sentinels; i++) {
        int64_t at_ms = record->sentinels[i]->last_hello_ms;
        if (at_ms != 0 && now_ms - at_ms <= wait_ms) heard++;
    }
    if (heard < election_majority((unsigned)record->n_sentinels + 1))
        return "hellos from fewer than a majority of the sentinels";
    return NULL;
}

/* Reconfiguring ri is due but our view may be stale: hold it back, and say so. The old master
 * of our own failover needs no majority's hellos: we lead the newest epoch we know. */
static bool reconf_held(struct sentinel *s, struct instance *ri, const char *what, int64_t now_ms)
{
    const char *why =
        view_stale_reason(ri->master, !ri->demote_at_once, 4 * s->periods.publish_period, now_ms);
    if (why == NULL) return false;
    core_log_rate(s, &s->stale_view_log_rate, LOG_NOTICE, "sentinel: %s of %s:%d held back: %s",
                  what, ri->host, ri->port, why);
    return true;
}

/* A node we list as a replica claims the master role. It is demoted on sight
 * (docs/sentinel-protocol.md#info-reactions) when our view is fresh (reconf_held decides that)
 * and its replication history proves it older than our master's: it reports a replication id
 * and does not continue our master's (its master_replid2 is not our master's master_replid).
 * A node that continues it was promoted from our master, by a failover we may not have heard
 * of yet or by an operator; a node without replication ids proves nothing: Redis's wait
 * (4 publish periods, a sane master) applies to both. */
static bool claims_older_config(const struct instance *ri, const struct instance *master)
{
    const struct instance *cur = instance_current_master(master);
    if (!instance_has_replid(ri->replid) || !instance_has_replid(cur->replid)) return false;
    return strcmp(ri->replid, cur->replid) != 0 && strcmp(ri->replid2, cur->replid) != 0;
}

/* A decision about ri waits for its next INFO: ask it at the fast INFO period for a while. */
static void poll_fast(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    int64_t fast = MIN(s->periods.fast_info_period, s->periods.info_period);
    if (now_ms >= ri->fresh_info_until_ms || fast < ri->fresh_info_period_ms)
        ri->fresh_info_period_ms = fast;
    ri->fresh_info_until_ms = MAX(ri->fresh_info_until_ms, now_ms + 2 * fast);
}

/* On-sight demotion (claims_older_config) also needs the master we announce to have held the
 * role for a fast-info period: a configuration adopted a moment ago may name a master that
 * restarted behind its replicas, which a peer judges first (+regressed-master) and fails over;
 * pulling other nodes into it at once would have them drop their data (sim seed 2706 with
 * replication ids). The old master of a failover, back after that, is still demoted at once. */
static bool master_settled(struct sentinel *s, const struct instance *master, int64_t now_ms)
{
    const struct instance *cur = instance_current_master(master);
    return now_ms - cur->role_reported_ms >=
           MIN(s->periods.fast_info_period, s->periods.info_period);
}

static void react_replica_claims_master(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    struct instance *master = ri->master;
    const struct instance *cur = instance_current_master(master);
    int64_t wait = 4 * s->periods.publish_period;
    if (ri->flags & SRI_PROMOTED) return; /* the failover watches its own promotion */
    /* A store still loading its data answers INFO but refuses SLAVEOF (-LOADING). */
    if (ri->info_loading) {
        poll_fast(s, ri, now_ms);
        return;
    }
    bool sane = master_looks_sane(s, master, now_ms);
    bool on_sight = sane && claims_older_config(ri, master);
    if (on_sight && !master_settled(s, master, now_ms)) {
        poll_fast(s, ri, now_ms);
        on_sight = false;
    }
    bool due = ri->demote_at_once || on_sight ||
               (sane && no_down_for(ri, wait, now_ms) && now_ms - ri->role_reported_ms > wait);
    if (due && !reconf_held(s, ri, "convert-to-slave", now_ms) &&
        core_send_slaveof(s, ri, cur->host, cur->port) == 0) {
        ri->demote_at_once = false;
        notify_event(s, LOG_NOTICE, "+convert-to-slave", ri, NULL);
    }
}

static void react_replica_role(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    struct instance *master = ri->master;
    const char *host = instance_current_master(master)->host;
    int port = instance_current_master(master)->port;
    if (ri->role_reported == ROLE_MASTER) {
        react_replica_claims_master(s, ri, now_ms);
        return;
    }
    ri->demote_at_once = false;
    bool points_elsewhere = ri->slave_master_host == NULL || ri->slave_master_port != port ||
                            strcasecmp(ri->slave_master_host, host) != 0;
    int64_t ft = master->record->params.failover_timeout_ms;
    if (points_elsewhere && !(ri->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG | SRI_PROMOTED)) &&
        master->record->failover_state == FAILOVER_NONE && master_looks_sane(s, master, now_ms) &&
        no_down_for(ri, ft, now_ms) && now_ms - ri->slave_conf_change_ms > ft &&
        !reconf_held(s, ri, "fix-slave-config", now_ms) &&
        core_send_slaveof(s, ri, host, port) == 0)
        notify_event(s, LOG_NOTICE, "+fix-slave-config", ri, NULL);
}

/* Reactions to a new INFO (docs/sentinel-protocol.md#info-reactions), once per INFO reply, never in
 * TILT. */
static void react_info(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    if (ri->info_refresh_ms == 0 || ri->info_refresh_ms == ri->info_reacted_ms) return;
    ri->info_reacted_ms = ri->info_refresh_ms;
    if (ri->kind != INSTANCE_REPLICA) return;
    react_replica_role(s, ri, now_ms);
    failover_on_replica_info(s, ri);
}

static void handle_acting(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    check_sdown(s, ri, now_ms);
    if (ri->kind != INSTANCE_SENTINEL) react_info(s, ri, now_ms);
}

static void handle_master(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    reconnect(s, master, now_ms);
    send_periodic(s, master, now_ms);
    for (size_t i = 0; i < record->n_replicas; i++) {
        reconnect(s, record->replicas[i], now_ms);
        send_periodic(s, record->replicas[i], now_ms);
    }
    for (size_t i = 0; i < record->n_sentinels; i++) {
        reconnect(s, record->sentinels[i], now_ms);
        send_periodic(s, record->sentinels[i], now_ms);
    }
    discovery_check_config_update(s, master, now_ms);
    if (s->tilt || s->crashed) return;
    for (size_t i = 0; i < record->n_replicas && !s->crashed; i++)
        handle_acting(s, record->replicas[i], now_ms);
    for (size_t i = 0; i < record->n_sentinels; i++) check_sdown(s, record->sentinels[i], now_ms);
    handle_acting(s, master, now_ms);
    check_odown(s, master, now_ms);
    if (failover_should_start(s, master, now_ms)) failover_start(s, master, false, now_ms);
    if (record->failover_state != FAILOVER_UPDATE_CONFIG && !s->crashed)
        failover_step(s, master, now_ms);
    if (!s->crashed) core_ask_peers(s, master, false, now_ms);
    if (!s->crashed) forget_unseen(s, master, now_ms);
    if (!s->crashed) lease_tick(s, master, now_ms);
}

/* TILT looks at the monotonic clock only (the shell passes loop time, CLOCK_MONOTONIC), so a
 * wall-clock jump never triggers it; a stall of the process (SIGSTOP, swapping, a paused VM) does.
 * Monotonic time cannot go backwards: that branch names a broken shell clock, not NTP. */
static void note_tilt_cause(struct sentinel *s, enum monitor_tilt t, int64_t now_ms)
{
    if (t == TILT_STALL)
        snprintf(s->tilt_cause, sizeof(s->tilt_cause),
                 "stall: tick %lld ms late (%lld ms since the previous tick, tilt-trigger %lld ms)",
                 (long long)(now_ms - s->next_tick_ms), (long long)(now_ms - s->prev_tick_ms),
                 (long long)s->periods.tilt_trigger);
    else
        snprintf(s->tilt_cause, sizeof(s->tilt_cause),
                 "clock went backwards by %lld ms (the monotonic clock cannot: a shell bug)",
                 (long long)(s->prev_tick_ms - now_ms));
}

static void check_tilt(struct sentinel *s, int64_t now_ms)
{
    enum monitor_tilt t = monitor_tilt_check(s->prev_tick_ms, now_ms, s->periods.tilt_trigger);
    if (t != TILT_NONE) {
        note_tilt_cause(s, t, now_ms);
        core_log(s, LOG_WARNING, "sentinel: entering TILT: %s", s->tilt_cause);
        s->tilt = true;
        s->tilt_start_ms = now_ms;
        notify_event(s, LOG_WARNING, "+tilt", NULL, "#tilt mode entered");
    } else if (s->tilt && now_ms - s->tilt_start_ms > s->periods.tilt_period) {
        s->tilt = false;
        notify_event(s, LOG_WARNING, "-tilt", NULL, "#tilt mode exited");
    }
}

static void process_hello_queue(struct sentinel *s)
{
    /* Copy out first: processing may queue nothing new, but keep the loop simple and bounded. */
    size_t n = s->n_hello_q;
    struct queued_hello q[CORE_HELLO_QUEUE];
    memcpy(q, s->hello_q, n * sizeof(*q));
    s->n_hello_q = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s->crashed) discovery_process_hello(s, q[i].payload, q[i].len, q[i].via_pubsub);
        free(q[i].payload);
    }
}

static void schedule_next(struct sentinel *s, int64_t now_ms)
{
    int64_t base = MAX(s->periods.tick_period, (int64_t)1);
    int64_t next = now_ms + base + (int64_t)core_random_below(s, (uint64_t)base / 2 + 1);
    for (size_t i = 0; i < s->n_masters; i++) {
        int64_t pending_ms = s->masters[i]->record->failover_pending_ms;
        if (pending_ms > now_ms && pending_ms < next) next = pending_ms;
    }
    s->next_tick_ms = next;
}

void sentinel_tick(struct sentinel *s, int64_t now_ms)
{
    if (s->crashed) return;
    s->tick_wanted = false;
    if (!s->started) {
        s->started = true;
        for (size_t i = 0; i < s->n_masters; i++)
            notify_event(s, LOG_WARNING, "+monitor", s->masters[i], "quorum %d",
                         s->masters[i]->record->params.quorum);
    }
    check_tilt(s, now_ms);
    s->prev_tick_ms = now_ms;
    process_hello_queue(s);
    for (size_t i = 0; i < s->n_masters && !s->crashed; i++)
        handle_master(s, s->masters[i], now_ms);
    for (size_t i = 0; i < s->n_masters && !s->crashed; i++)
        if (s->masters[i]->record->failover_state == FAILOVER_UPDATE_CONFIG)
            failover_step(s, s->masters[i], now_ms);
    if (s->crashed) return;
    schedule_next(s, now_ms);
    core_flush(s);
}

int64_t sentinel_next_tick_ms(const struct sentinel *s)
{
    if (s->tick_wanted || s->n_hello_q > 0) return s->prev_tick_ms;
    return s->next_tick_ms;
}
