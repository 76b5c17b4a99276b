/* switchover: the lossless switchover's steps (diagram and safety argument in switchover.h).
 * The attempt itself lives in failover.c, which consults this file for the target and for the
 * two switchover-specific steps; they return the next state and never call back into
 * failover.c. The request that starts a switchover is control.c's. */
#include "sentinel/core/switchover.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/info_parse.h"
#include "sentinel/core/select.h"
#include "sentinel/core/core_int.h"

/* ---- target fitness ------------------------------------------------------------------------- */

const char *switchover_unfit_reason(const struct instance *r, int64_t now_ms,
                                    const struct sentinel_periods *periods)
{
    enum select_reason why = select_check_replica(r, now_ms, periods);
    if (why != SELECT_ELIGIBLE) return select_reason_text(why);
    /* The node's FAILOVER needs the target online at the master: it must be replicating from
     * the current master address, with its link up. */
    const struct instance *master = r->master;
    if (!r->slave_master_link_up) return "master link is down";
    if (r->slave_master_host == NULL || r->slave_master_port != master->port ||
        strcasecmp(r->slave_master_host, master->host) != 0)
        return "replicates from another master";
    return NULL;
}

struct instance *switchover_pick_target(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct switchover_record *switchover = &master->record->switchover;
    if (switchover->to_host[0] != '\0') {
        struct instance *r =
            instance_find_replica(master, switchover->to_host, switchover->to_port);
        return r && switchover_unfit_reason(r, now_ms, &s->periods) == NULL ? r : NULL;
    }
    struct instance *ranked[INSTANCE_MAX_REPLICAS];
    size_t n = select_rank(master, now_ms, &s->periods, ranked, ARRAY_LEN(ranked));
    for (size_t i = 0; i < n; i++)
        if (switchover_unfit_reason(ranked[i], now_ms, &s->periods) == NULL) return ranked[i];
    return NULL;
}

/* ---- the two steps ------------------------------------------------------------------------- */

enum failover_state switchover_step_send(struct sentinel *s, struct instance *master,
                                         int64_t now_ms)
{
    struct master_record *record = master->record;
    struct instance *target = record->promoted;
    if (target == NULL || master->link.is_cmd_connected == false) {
        notify_event(s, LOG_WARNING, "-failover-abort-switchover-refused", master, "%s",
                     target == NULL ? "#target gone" : "#master unreachable");
        return FAILOVER_NONE;
    }
    char port[16], timeout[24];
    snprintf(port, sizeof(port), "%d", target->port);
    snprintf(timeout, sizeof(timeout), "%lld", (long long)record->switchover.timeout_ms);
    const char *argv[] = {"FAILOVER", "TO", target->host, port, "TIMEOUT", timeout};
    if (core_send(s, master, 6, argv, TAG_FAILOVER) != 0) return FAILOVER_SEND_SLAVEOF_NOONE;
    record->is_promotion_sent = true;
    record->switchover.sent_ms = now_ms;
    static const char *const info[] = {"INFO"};
    if (core_send(s, master, 1, info, TAG_INFO) == 0) master->info_sent_ms = now_ms;
    notify_event(s, LOG_WARNING, "+switchover-failover-to", target, "#timeout %lld",
                 (long long)record->switchover.timeout_ms);
    return FAILOVER_WAIT_PROMOTION;
}

/* Keep INFO flowing from ri at SWITCHOVER_POLL_MS while the handover runs (one in flight). */
static void poll_info(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    if (!ri->link.is_cmd_connected || ri->info_sent_ms != 0) return;
    if (now_ms - ri->info_refresh_ms < SWITCHOVER_POLL_MS) return;
    static const char *const info[] = {"INFO"};
    if (core_send(s, ri, 1, info, TAG_INFO) == 0) ri->info_sent_ms = now_ms;
}

static enum failover_state abort_timeout(struct sentinel *s, struct instance *master,
                                         const char *detail)
{
    struct switchover_record *switchover = &master->record->switchover;
    if (!switchover->is_abort_sent && master->link.is_cmd_connected) {
        /* The node may still be waiting: tell it to resume writes now. */
        static const char *const argv[] = {"FAILOVER", "ABORT"};
        if (core_send(s, master, 2, argv, TAG_IGNORE) == 0) switchover->is_abort_sent = true;
    }
    notify_event(s, LOG_WARNING, "-failover-abort-switchover-timeout", master, "%s", detail);
    return FAILOVER_NONE;
}

enum failover_state switchover_step_wait(struct sentinel *s, struct instance *master,
                                         int64_t now_ms)
{
    struct master_record *record = master->record;
    struct switchover_record *switchover = &record->switchover;
    struct instance *target = record->promoted;
    if (target == NULL) return abort_timeout(s, master, "#target gone");
    if (record->config_epoch >= record->failover_epoch) {
        /* A configuration at least as new as ours won meanwhile: never lower it. */
        return abort_timeout(s, master, "#newer configuration");
    }
    if (target->role_reported == ROLE_MASTER &&
        target->info_refresh_ms >= record->failover_state_change_ms) {
        /* The old master is now the target's replica, but its clients stay connected and would
         * get READONLY forever (FAILOVER does not drop them; ioredis does not reconnect on
         * READONLY). Drop them as the promotion transaction does for every other node, so
         * clients ask the sentinels again; this link itself is skipped (SKIPME yes). */
        const char *kill_normal[] = {"CLIENT", "KILL", "TYPE", "normal"};
        const char *kill_pubsub[] = {"CLIENT", "KILL", "TYPE", "pubsub"};
        core_send(s, master, 4, kill_normal, TAG_IGNORE);
        core_send(s, master, 4, kill_pubsub, TAG_IGNORE);
        /* FAILOVER changed both roles inside the nodes only: persist them as a promotion does
         * (else the target's overrides file still says replicaof the old master, and a restart
         * brings it back as a replica of a replica). */
        static const char *const rewrite[] = {"CONFIG", "REWRITE"};
        core_send(s, target, 2, rewrite, TAG_IGNORE);
        core_send(s, master, 2, rewrite, TAG_IGNORE);
        return FAILOVER_RECONF_SLAVES;
    }
    if (switchover->is_refused) {
        core_log(s, LOG_WARNING, "switchover %s: the master refused FAILOVER: %s", master->name,
                 switchover->refused_reason);
        notify_event(s, LOG_WARNING, "-failover-abort-switchover-refused", master, "#%s",
                     switchover->refused_reason);
        return FAILOVER_NONE;
    }
    if (switchover->is_accepted && switchover->saw_master_info &&
        master->role_reported == ROLE_MASTER && master->node_failover_state == INFO_FO_NONE) {
        /* The node timed out (or its target refused PSYNC) and resumed writes itself. */
        switchover->is_abort_sent = true;
        return abort_timeout(s, master, "#the master gave up and resumed writes");
    }
    if (now_ms - switchover->sent_ms > switchover->timeout_ms + SWITCHOVER_GRACE_MS)
        return abort_timeout(s, master, "#no handover within the timeout");
    poll_info(s, target, now_ms);
    poll_info(s, master, now_ms);
    return FAILOVER_WAIT_PROMOTION;
}

/* ---- observations --------------------------------------------------------------------------- */

void switchover_on_reply(struct sentinel *s, struct instance *master,
                         const struct sentinel_reply *r)
{
    UNUSED(s);
    if (master->kind != INSTANCE_MASTER || !master->record->switchover.is_active) return;
    struct switchover_record *switchover = &master->record->switchover;
    if (r->type == SENTINEL_REPLY_ERROR) {
        switchover->is_refused = true;
        size_t n = MIN(r->len, sizeof(switchover->refused_reason) - 1);
        memcpy(switchover->refused_reason, r->str, n);
        switchover->refused_reason[n] = '\0';
    } else if (r->type == SENTINEL_REPLY_STATUS) {
        switchover->is_accepted = true;
    }
}

void switchover_on_master_info(struct instance *master)
{
    /* Replies come in order on the link, so an INFO read after the +OK was executed after
     * FAILOVER and shows its state. */
    if (master->record->switchover.is_active && master->record->switchover.is_accepted)
        master->record->switchover.saw_master_info = true;
}

const char *sentinel_failover_kind(const struct instance *master)
{
    if (master->record->switchover.is_active) return "switchover";
    if (master->flags & SRI_FORCE_FAILOVER) return "forced";
    return "automatic";
}
