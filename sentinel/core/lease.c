/* lease: when this sentinel renews a master's lease, and what the node answered (see lease.h;
 * docs/sentinel-protocol.md#master-lease). */
#include "sentinel/core/lease.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/core/core_int.h"

unsigned lease_needed(size_t known_sentinels, int quorum)
{
    long long n = (long long)known_sentinels - quorum + 1;
    long long majority = (long long)known_sentinels / 2 + 1;
    return (unsigned)MAX(n, majority);
}

int64_t lease_margin_ms(int64_t down_after_ms, int64_t margin_ms)
{
    if (margin_ms > 0) return margin_ms;
    return MAX(down_after_ms / 5, (int64_t)LEASE_MIN_MARGIN_MS);
}

int64_t lease_duration_ms(int64_t down_after_ms, int64_t margin_ms)
{
    return down_after_ms - lease_margin_ms(down_after_ms, margin_ms);
}

int64_t lease_renew_interval_ms(const struct sentinel_periods *periods, int64_t down_after_ms)
{
    int64_t interval = MIN(periods->lease_period, down_after_ms / 4);
    return MAX(interval, (int64_t)LEASE_MIN_RENEW_MS);
}

bool lease_renew_due(const struct instance_lease *l, int64_t now_ms, int64_t interval_ms)
{
    if (l->sent_ms != 0 && now_ms - l->sent_ms < interval_ms) return false; /* in flight */
    return l->anchor_ms == 0 || l->renewed_ms == 0 || now_ms - l->renewed_ms >= interval_ms;
}

/* ---- the core's glue ------------------------------------------------------------------------ */

struct instance *lease_target(struct instance *master, uint64_t *epoch)
{
    struct master_record *record = master->record;
    *epoch = record->config_epoch;
    if (record->failover_state == FAILOVER_NONE) return master;
    /* Our own failover: once its promotion won (RECONF_SLAVES on, config epoch = failover
     * epoch), the promoted replica is the master to vouch for, at once. */
    if (record->failover_state >= FAILOVER_RECONF_SLAVES && record->promoted)
        return record->promoted;
    return NULL;
}

/* ri answered INFO with the replica role after `since`: a vigil-store drops its leases when it
 * becomes a replica, so whatever we sent it no longer counts. */
static bool demoted_since(const struct instance *ri, int64_t since_ms)
{
    return ri != NULL && ri->role_reported == ROLE_SLAVE && ri->info_refresh_ms > since_ms;
}

/* A lease we sent to the group's previous master may still be valid on it: the next master
 * waits, so no sentinel vouches for two masters at once. */
static bool previous_lease_pending(const struct instance *master, const struct instance *target,
                                   int64_t now_ms)
{
    const struct master_record *record = master->record;
    if (target != master) /* our own failover's promoted replica: the old one is `master` */
        return now_ms < master->lease.until_ms && !demoted_since(master, record->failover_start_ms);
    if (now_ms >= record->lease_prev_until_ms) return false;
    if (record->lease_prev_host[0] == '\0') return true;
    return !demoted_since(
        instance_find_replica(master, record->lease_prev_host, record->lease_prev_port),
        record->lease_switch_ms);
}

void lease_on_switch(struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    bool still_pending = now_ms < record->lease_prev_until_ms;
    record->lease_prev_until_ms = MAX(record->lease_prev_until_ms, master->lease.until_ms);
    record->lease_switch_ms = now_ms;
    record->lease_prev_port = master->port;
    /* Two switches within one lease: only the wait proves both nodes' leases ended. */
    snprintf(record->lease_prev_host, sizeof(record->lease_prev_host), "%s",
             still_pending ? "" : master->host);
}

const char *lease_blocked_reason(const struct sentinel *s, const struct instance *master,
                                 const struct instance *target, int64_t now_ms)
{
    const struct master_record *record = master->record;
    if (s->tilt) return "in TILT";
    if (target->role_reported != ROLE_MASTER) return "the node does not report the master role";
    if (target->flags & (SRI_S_DOWN | SRI_O_DOWN)) return "the node is down";
    if (record->is_regressed) return "the master is regressed";
    if (target->lease.is_unsupported &&
        now_ms - target->lease.unsupported_ms < LEASE_UNSUPPORTED_RETRY_MS)
        return "the node does not support VIGIL LEASE";
    if (lease_duration_ms(record->params.down_after_ms, record->params.lease_margin_ms) <= 0)
        return "down-after too short for the lease margin";
    /* We voted for a failover of this master that may still promote another node. */
    if (record->leader_epoch > record->config_epoch &&
        record->leader_epoch != record->released_epoch && now_ms < record->failover_not_before_ms)
        return "voted in a newer failover epoch";
    if (now_ms < record->lease_boot_hold_until_ms)
        return "restarted: leases sent before the restart may still be valid";
    if (previous_lease_pending(master, target, now_ms))
        return "a lease we sent to the previous master may still be valid";
    bool is_ours = target != master; /* we lead the newest epoch: no majority's hellos needed */
    return view_stale_reason(master, !is_ours, 4 * s->periods.publish_period, now_ms);
}

static int send_renewal(struct sentinel *s, struct instance *master, struct instance *target,
                        uint64_t epoch)
{
    const struct master_record *record = master->record;
    char anchor[24], dur[24], needed[16], ep[24];
    snprintf(anchor, sizeof anchor, "%lld", (long long)target->lease.anchor_ms);
    snprintf(
        dur, sizeof dur, "%lld",
        (long long)lease_duration_ms(record->params.down_after_ms, record->params.lease_margin_ms));
    snprintf(needed, sizeof needed, "%u",
             lease_needed(record->n_sentinels + 1, record->params.quorum));
    snprintf(ep, sizeof ep, "%llu", (unsigned long long)epoch);
    const char *argv[] = {"VIGIL", "LEASE", master->name, s->myid, anchor, dur, needed, ep};
    return core_send(s, target, (int)ARRAY_LEN(argv), argv, TAG_LEASE);
}

void lease_tick(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    if (record->lease_boot_hold_until_ms == 0) {
        /* Peers known at the first tick come from the state file: this is a restart, and
         * before it we may have renewed a master that another one has replaced since. */
        bool restarted = record->n_sentinels > 0;
        record->lease_boot_hold_until_ms =
            restarted ? now_ms + lease_duration_ms(record->params.down_after_ms,
                                                   record->params.lease_margin_ms)
                      : 1;
    }
    uint64_t epoch;
    struct instance *target = lease_target(master, &epoch);
    if (target == NULL || !target->link.is_cmd_connected ||
        target->link.pending_commands >= SENTINEL_MAX_PENDING_COMMANDS)
        return;
    int64_t interval = lease_renew_interval_ms(&s->periods, master->record->params.down_after_ms);
    if (!lease_renew_due(&target->lease, now_ms, interval)) return;
    if (lease_blocked_reason(s, master, target, now_ms) != NULL) return;
    if (send_renewal(s, master, target, epoch) != 0) return;
    if (target->lease.anchor_ms != 0) {
        /* The node read its clock for this anchor before we received it: the lease ends
         * before anchor_recv + lease-ms in real time (drift aside, which the margin covers). */
        int64_t end = target->lease.anchor_recv_ms +
                      lease_duration_ms(master->record->params.down_after_ms,
                                        master->record->params.lease_margin_ms);
        target->lease.until_ms = MAX(target->lease.until_ms, end);
    }
    target->lease.sent_ms = now_ms;
    target->lease.renewed_ms = now_ms;
    target->lease.sent_epoch = epoch;
}

static bool is_unknown_command(const struct sentinel_reply *r)
{
    static const char *const needles[] = {"unknown command", "unknown subcommand"};
    for (size_t i = 0; i < ARRAY_LEN(needles); i++) {
        size_t n = strlen(needles[i]);
        for (size_t at = 0; at + n <= r->len; at++)
            if (memcmp(r->str + at, needles[i], n) == 0) return true;
    }
    return false;
}

static void on_error(struct sentinel *s, struct instance *ri, const struct sentinel_reply *r,
                     int64_t now_ms)
{
    struct instance_lease *l = &ri->lease;
    if (is_unknown_command(r)) {
        if (!l->is_unsupported)
            core_log(s, LOG_NOTICE,
                     "sentinel: %s does not support VIGIL LEASE (not a vigil-store): no master "
                     "lease renewals, retried every %d s",
                     ri->name, LEASE_UNSUPPORTED_RETRY_MS / 1000);
        l->is_unsupported = true;
        l->unsupported_ms = now_ms;
        return;
    }
    core_log_rate(s, &s->lease_log_rate, LOG_WARNING, "sentinel: lease renewal on %s refused: %.*s",
                  ri->name, (int)MIN(r->len, (size_t)200), r->str);
}

void lease_on_reply(struct sentinel *s, struct instance *ri, const struct sentinel_reply *r,
                    int64_t now_ms)
{
    struct instance_lease *l = &ri->lease;
    bool was_clock_fetch = l->sent_ms != 0 && l->anchor_ms == 0;
    l->sent_ms = 0;
    if (r->type == SENTINEL_REPLY_ERROR) {
        on_error(s, ri, r, now_ms);
        return;
    }
    if (r->type != SENTINEL_REPLY_ARRAY || r->count < 4) return;
    for (size_t i = 0; i < 4; i++)
        if (r->elems[i].type != SENTINEL_REPLY_INTEGER) return;
    if (r->elems[0].integer <= 0) return;
    /* Proof the node was up when it read its clock: the SDOWN clock restarts from now, as for a
     * PING reply. This is what keeps our SDOWN judgement after the lease's end. */
    ri->last_avail_ms = now_ms;
    ri->act_ping_ms = 0; /* not last_pong_ms: only PING replies move it (observe.c) */
    l->anchor_ms = r->elems[0].integer;
    l->anchor_recv_ms = now_ms;
    l->valid = r->elems[1].integer;
    l->needed = r->elems[2].integer;
    l->is_fenced = r->elems[3].integer != 0;
    l->reply_ms = now_ms;
    l->is_unsupported = false;
    if (r->count >= 5 && r->elems[4].type == SENTINEL_REPLY_INTEGER && r->elems[4].integer == 0)
        l->renewals++;
    l->is_enforced =
        r->count >= 6 && r->elems[5].type == SENTINEL_REPLY_INTEGER && r->elems[5].integer != 0;
    if (was_clock_fetch) { /* the first renewal on this link only fetched the clock: renew now */
        l->renewed_ms = 0;
        core_want_tick(s);
    }
}

void lease_on_link_up(struct instance *ri)
{
    ri->lease.anchor_ms = 0;
    ri->lease.sent_ms = 0;
}

void lease_reset(struct instance *ri) { memset(&ri->lease, 0, sizeof(ri->lease)); }
