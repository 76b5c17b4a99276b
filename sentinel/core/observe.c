/* observe: the entry points through which the I/O shell reports what happened on the links:
 * link up/down, command replies (by reply tag) and pub/sub traffic. They only record facts in the
 * instance records (availability, INFO fields, peers' opinions and votes) and ask for an
 * immediate tick when a fact matters for a decision; sentinel_tick() decides.
 * Bad input (wrong reply shapes, garbage INFO, oversized strings) is ignored, never trusted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/core/acl_probe.h"
#include "sentinel/core/hello.h"
#include "sentinel/core/info_parse.h"
#include "sentinel/core/lease.h"
#include "sentinel/core/pause.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/switchover.h"

static bool reply_is_text(const struct sentinel_reply *r)
{
    return r->type == SENTINEL_REPLY_STATUS || r->type == SENTINEL_REPLY_STRING ||
           r->type == SENTINEL_REPLY_ERROR;
}

static bool text_starts(const struct sentinel_reply *r, const char *prefix)
{
    size_t n = strlen(prefix);
    return reply_is_text(r) && r->len >= n && memcmp(r->str, prefix, n) == 0;
}

static void send_auth(struct sentinel *s, struct instance *ri, enum sentinel_link_kind kind)
{
    const char *user, *pass;
    if (ri->kind == INSTANCE_SENTINEL) {
        user = s->opt.sentinel_user;
        pass = s->opt.sentinel_pass ? s->opt.sentinel_pass : s->opt.requirepass;
    } else {
        const struct instance *master = ri->kind == INSTANCE_MASTER ? ri : ri->master;
        user = master->record->params.auth_user;
        pass = master->record->params.auth_pass;
    }
    if (pass == NULL) return;
    const char *argv[] = {"AUTH", user ? user : pass, pass};
    int argc = user ? 3 : 2;
    if (kind == SENTINEL_LINK_CMD)
        core_send(s, ri, argc, argv, TAG_IGNORE);
    else
        s->env.send(s->env.ctx, ri->id, kind, argc, argv, TAG_IGNORE);
}

void sentinel_on_link_up(struct sentinel *s, uint64_t inst_id, enum sentinel_link_kind kind,
                         const char *local_ip)
{
    struct instance *ri = core_find(s, inst_id);
    if (ri == NULL || s->crashed) return;
    int64_t now = core_now(s);
    char name[64];
    if (kind == SENTINEL_LINK_CMD) {
        ri->link.is_cmd_connected = true;
        ri->link.is_cmd_connecting = false;
        ri->link.cmd_connected_ms = now;
        ri->link.pending_commands = 0;
        lease_on_link_up(ri);
        snprintf(ri->link.local_ip, sizeof(ri->link.local_ip), "%s", local_ip ? local_ip : "");
        send_auth(s, ri, kind);
        snprintf(name, sizeof(name), "sentinel-%.8s-cmd", s->myid);
        const char *setname[] = {"CLIENT", "SETNAME", name};
        core_send(s, ri, 3, setname, TAG_IGNORE);
        const char *ping[] = {"PING"};
        if (core_send(s, ri, 1, ping, TAG_PING) == 0) {
            ri->last_ping_ms = now;
            if (ri->act_ping_ms == 0) ri->act_ping_ms = now;
        }
        /* A data node's link came back: read INFO now, not a period later, so that a restart
         * (new run id, maybe empty) is seen before its replicas can be harmed, and a returning
         * old master that claims the master role is demoted at once (tick.c). */
        const char *info[] = {"INFO"};
        if (ri->kind != INSTANCE_SENTINEL && core_send(s, ri, 1, info, TAG_INFO) == 0)
            ri->info_sent_ms = now;
        if (ri->kind != INSTANCE_SENTINEL) acl_probe_send(s, ri);
        /* A peer that restarted or was cut off learns the group's pause state again. */
        if (ri->kind == INSTANCE_SENTINEL && ri->master) pause_push(s, ri->master, ri);
    } else {
        ri->link.is_pubsub_connected = true;
        ri->link.is_pubsub_connecting = false;
        ri->link.pubsub_connected_ms = now;
        ri->link.pubsub_last_activity_ms = now;
        send_auth(s, ri, kind);
        snprintf(name, sizeof(name), "sentinel-%.8s-pubsub", s->myid);
        const char *setname[] = {"CLIENT", "SETNAME", name};
        s->env.send(s->env.ctx, ri->id, kind, 3, setname, TAG_IGNORE);
        const char *sub[] = {"SUBSCRIBE", HELLO_CHANNEL};
        s->env.send(s->env.ctx, ri->id, kind, 2, sub, TAG_IGNORE);
        /* Fast discovery: announce ourselves on this channel right away. */
        ri->last_pub_ms = 0;
    }
    core_want_tick(s);
}

void sentinel_on_link_down(struct sentinel *s, uint64_t inst_id, enum sentinel_link_kind kind)
{
    struct instance *ri = core_find(s, inst_id);
    if (ri == NULL) return;
    if (kind == SENTINEL_LINK_CMD) {
        ri->link.is_cmd_connected = false;
        ri->link.is_cmd_connecting = false;
        ri->link.pending_commands = 0;
        ri->info_sent_ms = 0;
        ri->pub_sent_ms = 0;
    } else {
        ri->link.is_pubsub_connected = false;
        ri->link.is_pubsub_connecting = false;
    }
    core_want_tick(s);
}

static bool is_refusal(const struct sentinel_reply *r)
{
    return r->type == SENTINEL_REPLY_ERROR &&
           (text_starts(r, "NOAUTH") || text_starts(r, "WRONGPASS") || text_starts(r, "NOPERM"));
}

static void note_refusal(struct instance *ri, const struct sentinel_reply *r)
{
    size_t n = MIN(r->len, (size_t)INSTANCE_LINK_ERROR_MAX);
    memcpy(ri->link.refused, r->str, n);
    ri->link.refused[n] = '\0';
}

static void on_ping_reply(struct sentinel *s, struct instance *ri, const struct sentinel_reply *r,
                          int64_t now)
{
    ri->last_pong_ms = now;
    if (text_starts(r, "PONG") || text_starts(r, "LOADING") || text_starts(r, "MASTERDOWN")) {
        if (ri->act_ping_ms != 0) {
            int64_t sample = now - ri->act_ping_ms;
            ri->rtt_ms = ri->rtt_ms == 0 ? sample : (7 * ri->rtt_ms + sample) / 8;
        }
        if (ri->flags & SRI_S_DOWN) core_want_tick(s);
        ri->last_avail_ms = now;
        ri->act_ping_ms = 0;
        if (text_starts(r, "PONG")) ri->flags &= ~SRI_MASTER_REBOOT;
        if (text_starts(r, "PONG")) ri->link.refused[0] = '\0';
    } else if (is_refusal(r)) {
        note_refusal(ri, r);
    } else if (r->type == SENTINEL_REPLY_ERROR && text_starts(r, "BUSY") &&
               (ri->flags & SRI_S_DOWN) && !(ri->flags & SRI_SCRIPT_KILL_SENT)) {
        const char *argv[] = {"SCRIPT", "KILL"};
        if (core_send(s, ri, 2, argv, TAG_IGNORE) == 0) ri->flags |= SRI_SCRIPT_KILL_SENT;
    }
}

static void on_ask_reply(struct sentinel *s, struct instance *ri, const struct sentinel_reply *r,
                         int64_t now)
{
    if (ri->kind != INSTANCE_SENTINEL || r->type != SENTINEL_REPLY_ARRAY || r->count != 3) return;
    const struct sentinel_reply *e = r->elems;
    if (e[0].type != SENTINEL_REPLY_INTEGER || e[2].type != SENTINEL_REPLY_INTEGER) return;
    if (e[1].type != SENTINEL_REPLY_STRING && e[1].type != SENTINEL_REPLY_STATUS) return;
    if (e[2].integer < 0) return;
    bool is_star = e[1].len == 1 && e[1].str[0] == '*';
    if (!is_star && (e[1].len == 0 || e[1].len > SENTINEL_RUNID_LEN)) return;
    ri->last_master_down_reply_ms = now;
    if (e[0].integer == 1)
        ri->flags |= SRI_MASTER_DOWN;
    else
        ri->flags &= ~SRI_MASTER_DOWN;
    if (!is_star) {
        memcpy(ri->leader, e[1].str, e[1].len);
        ri->leader[e[1].len] = '\0';
        ri->leader_epoch = (uint64_t)e[2].integer;
    }
    core_want_tick(s);
}

static void on_exec_reply(struct sentinel *s, struct instance *ri, const struct sentinel_reply *r)
{
    if (r->type != SENTINEL_REPLY_ARRAY) {
        core_log(s, LOG_WARNING, "sentinel: reconfiguration transaction on %s failed: %.*s",
                 ri->name, reply_is_text(r) ? (int)MIN(r->len, 200) : 0,
                 reply_is_text(r) ? r->str : "");
        return;
    }
    if (r->count > 0 && r->elems[0].type == SENTINEL_REPLY_ERROR)
        core_log(s, LOG_WARNING, "sentinel: SLAVEOF on %s failed: %.*s", ri->name,
                 (int)MIN(r->elems[0].len, 200), r->elems[0].str);
}

void sentinel_on_reply(struct sentinel *s, uint64_t inst_id, uint32_t reply_tag,
                       const struct sentinel_reply *reply)
{
    struct instance *ri = core_find(s, inst_id);
    if (ri == NULL || s->crashed || reply == NULL) return;
    int64_t now = core_now(s);
    if (ri->link.pending_commands > 0) ri->link.pending_commands--;
    switch (reply_tag) {
    case TAG_PING:
        on_ping_reply(s, ri, reply, now);
        break;
    case TAG_INFO:
        ri->info_sent_ms = 0;
        /* Not last_pong_ms: only PING replies move it, as in Redis. An INFO refused (-BUSY from
         * a master running a script) is sent again every tick, and its replies would keep PING
         * from ever being due, so the -BUSY PING reply that triggers SCRIPT KILL never came. */
        if (reply->type == SENTINEL_REPLY_STRING || reply->type == SENTINEL_REPLY_STATUS)
            observe_info(s, ri, reply->str, reply->len, now);
        break;
    case TAG_PUBLISH:
        ri->pub_sent_ms = 0;
        if (reply->type != SENTINEL_REPLY_ERROR) ri->last_pub_ms = now;
        break;
    case TAG_ASK:
        on_ask_reply(s, ri, reply, now);
        break;
    case TAG_EXEC:
        on_exec_reply(s, ri, reply);
        core_want_tick(s);
        break;
    case TAG_FAILOVER:
        switchover_on_reply(s, ri, reply);
        core_want_tick(s);
        break;
    case TAG_PAUSE:
        pause_on_reply(s, ri, reply);
        break;
    case TAG_LEASE:
        lease_on_reply(s, ri, reply, now);
        break;
    default:
        if (reply_tag >= TAG_ACL_PROBE && reply_tag < TAG_ACL_PROBE + ACL_PROBE_COUNT)
            acl_probe_on_reply(s, ri, reply_tag - TAG_ACL_PROBE, reply);
        break;
    }
    core_flush(s);
}

static bool reply_eq(const struct sentinel_reply *r, const char *s)
{
    size_t n = strlen(s);
    return (r->type == SENTINEL_REPLY_STRING || r->type == SENTINEL_REPLY_STATUS) && r->len == n &&
           memcmp(r->str, s, n) == 0;
}

/* A node that refuses our SUBSCRIBE (no or wrong password, no permission) gets its pub/sub link
 * closed and retried on the reconnect period, as Redis does: the instance then shows the
 * "disconnected" flag, which is how operators tell a refused sentinel from a dead node. */
static void drop_refused_pubsub(struct sentinel *s, struct instance *ri,
                                const struct sentinel_reply *r)
{
    note_refusal(ri, r);
    core_log(s, LOG_VERBOSE, "sentinel: %s refuses the pub/sub link: %s", ri->name,
             ri->link.refused);
    s->env.disconnect(s->env.ctx, ri->id, SENTINEL_LINK_PUBSUB);
    ri->link.is_pubsub_connected = false;
    ri->link.is_pubsub_connecting = false;
}

void sentinel_on_pubsub(struct sentinel *s, uint64_t inst_id, const struct sentinel_reply *msg)
{
    struct instance *ri = core_find(s, inst_id);
    if (ri == NULL || s->crashed || msg == NULL) return;
    ri->link.pubsub_last_activity_ms = core_now(s);
    if (is_refusal(msg)) {
        drop_refused_pubsub(s, ri, msg);
        return;
    }
    if (msg->type != SENTINEL_REPLY_ARRAY || msg->count != 3) return;
    const struct sentinel_reply *e = msg->elems;
    if (reply_eq(&e[0], "subscribe")) ri->link.refused[0] = '\0';
    if (!reply_eq(&e[0], "message") || e[2].type != SENTINEL_REPLY_STRING) return;
    if (e[2].len == 0 || e[2].len > HELLO_MAX_LEN) return;
    /* We hear our own hellos on the data nodes' channel. */
    if (memmem(e[2].str, e[2].len, s->myid, SENTINEL_RUNID_LEN) != NULL) return;
    if (s->n_hello_q >= CORE_HELLO_QUEUE) {
        core_log(s, LOG_VERBOSE, "sentinel: hello queue full, dropping a hello");
        return;
    }
    struct queued_hello *q = &s->hello_q[s->n_hello_q++];
    q->payload = xmemdup(e[2].str, e[2].len);
    q->len = e[2].len;
    q->via_pubsub = true;
}

static void info_update_replica_fields(struct instance *ri, const struct info_parsed *info,
                                       int64_t now)
{
    ri->master_link_down_ms = info->master_link_down_ms;
    if (info->role != ROLE_SLAVE) return;
    if (info->has_master_host &&
        (ri->slave_master_host == NULL || strcmp(ri->slave_master_host, info->master_host) != 0)) {
        free(ri->slave_master_host);
        ri->slave_master_host = xstrdup(info->master_host);
        ri->slave_conf_change_ms = now;
    }
    if (info->has_master_port && info->master_port != ri->slave_master_port) {
        ri->slave_master_port = info->master_port;
        ri->slave_conf_change_ms = now;
    }
    ri->slave_master_link_up = info->has_link_status && info->master_link_up;
    if (info->has_slave_priority) ri->slave_priority = info->slave_priority;
    if (info->has_slave_repl_offset) ri->slave_repl_offset = info->slave_repl_offset;
    if (info->has_replica_announced) ri->replica_announced = info->replica_announced;
}

/* How long after a master's restart its offset is compared with its replicas', in rounds of
 * the fast INFO period (replicas whose link is down are polled at that period). */
#define REGRESS_CHECK_INFO_ROUNDS 5

/* What a replica holds: its replication offset, or its own master offset when it reports the
 * master role (a replica promoted by a failover this sentinel has not heard of yet). */
static long long replica_holds(const struct instance *r)
{
    return r->role_reported == ROLE_MASTER ? r->master_repl_offset : r->slave_repl_offset;
}

/* The replica that holds the most of the old data: the highest offset among replicas that do
 * not follow the restarted master (link down, as a vigil-store replica that refuses it, an INFO
 * older than the restart, or a link to another node: a master this sentinel does not know of).
 * NULL if none reported an offset above 0. */
static const struct instance *best_stale_replica(const struct instance *master, int64_t since_ms)
{
    const struct instance *best = NULL;
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        const struct instance *r = master->record->replicas[i];
        bool follows_restarted =
            r->info_refresh_ms >= since_ms && r->role_reported == ROLE_SLAVE &&
            r->slave_master_link_up && r->slave_master_host &&
            instance_addr_is(master, r->slave_master_host, r->slave_master_port);
        if (replica_holds(r) <= 0 || follows_restarted) continue;
        if (!best || replica_holds(r) > replica_holds(best)) best = r;
    }
    return best;
}

/* A master that came back with a new run id and an offset behind what its replicas still hold
 * restarted empty (or lost writes): following it would wipe them. It is treated as failed at
 * once (monitor_sdown_condition), so the quorum agrees and a replica is promoted; the restarted
 * node is then repointed as a replica. Checked while the restart is fresh (the replicas are
 * asked for a new INFO at once); the flag holds until the master is no longer behind or a
 * failover resets the record. Redis's master-reboot-down-after-period is independent. */
static void check_regressed(struct sentinel *s, struct instance *master, int64_t now)
{
    struct master_record *record = master->record;
    if (master->role_reported != ROLE_MASTER) return;
    const struct instance *best = best_stale_replica(master, record->regress_check_from_ms);
    bool is_behind = best && master->master_repl_offset < replica_holds(best);
    bool is_fresh = now <= record->regress_check_until_ms;
    if (is_fresh && is_behind && !record->is_regressed) {
        record->is_regressed = true;
        record->regressed_master_offset = master->master_repl_offset;
        record->regressed_replica_offset = replica_holds(best);
        notify_event(s, LOG_WARNING, "+regressed-master", master,
                     "#master_repl_offset %lld < slave_repl_offset %lld of %s:%d",
                     master->master_repl_offset, replica_holds(best), best->host, best->port);
        core_want_tick(s);
    } else if (record->is_regressed && !is_behind && record->failover_state == FAILOVER_NONE) {
        record->is_regressed = false;
        notify_event(s, LOG_WARNING, "-regressed-master", master, "#master_repl_offset %lld",
                     master->master_repl_offset);
    }
}

/* The master restarted: look at it against fresh replica INFO, for a short while. */
static void start_regress_check(struct sentinel *s, struct instance *master, int64_t now)
{
    static const char *const info[] = {"INFO"};
    master->record->regress_check_from_ms = now;
    master->record->regress_check_until_ms =
        now + REGRESS_CHECK_INFO_ROUNDS * s->periods.fast_info_period;
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        struct instance *r = master->record->replicas[i];
        if (core_send(s, r, 1, info, TAG_INFO) == 0) r->info_sent_ms = now;
    }
}

/* The old master of the last switch answered INFO again (docs/sentinel-protocol.md#dropped-bytes):
 * what its stream held beyond the point where the new master took over (the new master's
 * second_repl_offset - 1) is dropped when it rejoins as a replica. Its offset counts only while
 * it still reports the history it had as master (resumed, not restarted empty); else the last
 * offset known before the switch. Reported once, when both ends are known. */
static void check_old_master_dropped(struct sentinel *s, struct instance *ri,
                                     const struct info_parsed *info)
{
    struct instance *master = ri->kind == INSTANCE_MASTER ? ri : ri->master;
    struct old_master_watch *w = &master->record->old_master;
    if (!w->is_active) return;
    if (ri->kind == INSTANCE_REPLICA && instance_addr_is(ri, w->host, w->port)) {
        w->is_seen = true;
        if (info->role == ROLE_MASTER && info->has_master_repl_offset && w->replid[0] != '\0' &&
            strcmp(info->replid, w->replid) == 0)
            w->offset = MAX(w->offset, info->master_repl_offset);
    }
    const struct instance *cur = instance_current_master(master);
    if (!w->is_seen || cur->second_repl_offset <= 0) return;
    w->is_active = false;
    struct instance *old = instance_find_replica(master, w->host, w->port);
    if (w->offset < 0 || old == NULL) return;
    long long takeover = cur->second_repl_offset - 1;
    long long dropped = w->offset > takeover ? w->offset - takeover : 0;
    notify_event(s, LOG_WARNING, "+old-master-dropped-bytes", old,
                 "#dropped_bytes %lld old_offset %lld takeover_offset %lld epoch %llu", dropped,
                 w->offset, takeover, (unsigned long long)w->epoch);
}

void observe_info(struct sentinel *s, struct instance *ri, const char *text, size_t len,
                  int64_t now)
{
    if (ri->kind == INSTANCE_SENTINEL) return;
    struct info_parsed *info = xmalloc(sizeof(*info));
    info_parse(text, len, info);
    instance_set_info(ri, text, len);
    ri->info_refresh_ms = now;
    bool is_reboot = false;
    if (info->has_run_id) {
        if (ri->runid[0] != '\0' && strcmp(ri->runid, info->run_id) != 0) {
            is_reboot = true;
            notify_event(s, LOG_WARNING, "+reboot", ri, NULL);
            if (ri->kind == INSTANCE_MASTER &&
                ri->record->params.master_reboot_down_after_period_ms != 0) {
                ri->flags |= SRI_MASTER_REBOOT;
                ri->record->reboot_ms = now;
            }
        }
        memcpy(ri->runid, info->run_id, sizeof(ri->runid));
    }
    if (ri->kind == INSTANCE_MASTER) discovery_on_info_replicas(s, ri, info);
    info_update_replica_fields(ri, info, now);
    ri->master_repl_offset = info->has_master_repl_offset ? info->master_repl_offset : 0;
    memcpy(ri->replid, info->replid, sizeof(ri->replid));
    memcpy(ri->replid2, info->replid2, sizeof(ri->replid2));
    ri->info_loading = info->loading;
    ri->second_repl_offset = info->second_repl_offset;
    check_old_master_dropped(s, ri, info);
    if (ri->kind == INSTANCE_MASTER && is_reboot) start_regress_check(s, ri, now);
    ri->node_failover_state =
        info->has_failover_state ? (int)info->failover_state : INFO_FO_UNKNOWN;
    if (ri->kind == INSTANCE_MASTER) switchover_on_master_info(ri);
    if (info->role != ROLE_UNKNOWN && info->role != ri->role_reported) {
        ri->role_reported = info->role;
        ri->role_reported_ms = now;
        if (info->role == ROLE_SLAVE) ri->slave_conf_change_ms = now;
        bool expected = (info->role == ROLE_MASTER) == (ri->kind == INSTANCE_MASTER);
        if (!s->tilt)
            notify_event(s, LOG_VERBOSE, expected ? "+role-change" : "-role-change", ri,
                         "new reported role is %s", instance_role_name(info->role));
    }
    free(info);
    check_regressed(s, ri->kind == INSTANCE_MASTER ? ri : ri->master, now);
    core_want_tick(s);
}
