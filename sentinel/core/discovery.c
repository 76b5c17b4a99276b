/* discovery: how a sentinel learns its world (docs/sentinel-protocol.md#discovery and
 * #configuration-updates): hello processing (new peers,
 * address changes, epoch and config-epoch adoption, the observer-side address switch once
 * verified: see "configuration updates" below and the README's threat model) and replica
 * discovery from the master's INFO. Sending hellos is sentinel.c's (core_send_hello), the
 * master switch itself master_switch.c's.
 * Hellos are processed from sentinel_tick() (queued by observe.c), so every decision made here
 * happens inside a tick. Safety: epochs and config epochs are only ever raised, and an epoch is
 * persisted before anything acts on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/failover.h"
#include "sentinel/core/hello.h"
#include "sentinel/core/core_int.h"

void discovery_on_info_replicas(struct sentinel *s, struct instance *master,
                                const struct info_parsed *info)
{
    for (size_t i = 0; i < info->n_replicas; i++) {
        const struct info_replica_entry *e = &info->replicas[i];
        if (e->port == 0) continue; /* a replica that did not announce its port */
        if (instance_addr_is(master, e->ip, e->port)) continue;
        if (instance_find_replica(master, e->ip, e->port) == NULL)
            core_new_replica(s, master, e->ip, e->port, true);
    }
}

/* A known run id at a new address: move it everywhere (docs/sentinel-protocol.md#discovery). */
static void peer_address_switch(struct sentinel *s, const struct hello *h)
{
    for (size_t i = 0; i < s->n_masters; i++) {
        struct instance *peer = instance_find_sentinel_by_runid(s->masters[i], h->runid);
        if (peer == NULL || instance_addr_is(peer, h->ip, h->port)) continue;
        core_close_links(s, peer);
        core_set_address(s, peer, h->ip, h->port);
        notify_event(s, LOG_NOTICE, "+sentinel-address-switch", s->masters[i],
                     "ip %s port %d for %s", h->ip, h->port, h->runid);
        core_mark_persist(s);
    }
}

/* Another run id claimed this address: the old one is gone, everywhere. */
static void peer_invalidate_addr(struct sentinel *s, const struct hello *h)
{
    for (size_t i = 0; i < s->n_masters; i++) {
        struct instance *peer = instance_find_sentinel_by_addr(s->masters[i], h->ip, h->port);
        if (peer == NULL || strcmp(peer->runid, h->runid) == 0) continue;
        notify_event(s, LOG_NOTICE, "+sentinel-invalid-addr", peer, NULL);
        core_drop_instance(s, peer);
        core_mark_persist(s);
    }
}

static struct instance *hello_peer(struct sentinel *s, struct instance *master,
                                   const struct hello *h)
{
    struct instance *si = instance_find_sentinel_by_runid(master, h->runid);
    if (si && instance_addr_is(si, h->ip, h->port)) return si;
    bool known = si != NULL;
    peer_invalidate_addr(s, h);
    if (known) peer_address_switch(s, h);
    si = instance_find_sentinel_by_runid(master, h->runid);
    if (si == NULL) {
        si = core_new_sentinel(s, master, h->ip, h->port, h->runid);
        if (si) notify_event(s, LOG_NOTICE, "+sentinel", si, NULL);
    }
    return si;
}

/* ---- configuration updates ----------------------------------------------------------------
 *
 * Threat: anyone who can PUBLISH on a data node (or reach our port) can send a hello, and can
 * copy a real sentinel's run id and address into it. A hello whose config epoch is newer and
 * whose master address differs would move every sentinel, and so every client, to the
 * sender's server. So a new address is taken only
 *   1. from a hello naming a sentinel we already knew at that address and that has answered
 *      our own connection there (a forger's invented sentinel never does); and
 *   2. once the new address, which must be a known replica of the group (or the address the
 *      node we know as the master now replicates from), has answered an INFO
 *      asked after the hello with a replication history that continues the group's (its
 *      master_replid or master_replid2 is one we saw on the master or a replica), and with
 *      role:master unless the hello was also sent to our own port (below).
 * The second check is what a forger cannot pass without controlling a replica of the group.
 * Hellos heard on a data node's channel still count (a sentinel cut off from its peers but not
 * from the nodes must learn a failover, or it would demote the new master), but only a hello
 * sent to our own port (authenticated when requirepass is set) may
 *   - name a group member that no longer reports role:master: a stale sentinel may have
 *     demoted it meanwhile, and refusing the group's newest configuration would leave this
 *     sentinel unable to vote with the others, so no later failover could be elected;
 *   - raise the config epoch of the *same* address, which nothing can verify: otherwise a
 *     forger could inflate the epoch and make observers ignore every later failover.
 * Refusals are +config-update-rejected events (at most one per master per CORE_REJECT_LOG_MS). */

static void update_reject(struct sentinel *s, struct instance *master, const char *from,
                          const char *host, int port, uint64_t epoch, const char *why)
{
    int64_t now = core_now(s);
    struct master_record *record = master->record;
    if (record->update_rejected_log_ms && now - record->update_rejected_log_ms < CORE_REJECT_LOG_MS)
        return;
    record->update_rejected_log_ms = now;
    notify_event(s, LOG_WARNING, "+config-update-rejected", master,
                 "#from %s new %s %d config-epoch %llu: %s", from, host, port,
                 (unsigned long long)epoch, why);
}

/* NULL if the hello may start a configuration update, else why not. */
static const char *hello_distrust(const struct instance *si, bool was_known)
{
    if (si == NULL || !was_known) return "not from a sentinel we knew at that address";
    if (si->last_pong_ms == 0) return "from a sentinel that never answered us at that address";
    return NULL;
}

static bool id_in(const char *id, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n && instance_has_replid(id); i++)
        if (strcmp(id, ids[i]) == 0) return true;
    return false;
}

/* Does the candidate continue the group's replication history? True when nothing is known to
 * compare (nodes that report no replication ids). */
static bool history_matches(const struct instance *master, const struct instance *cand)
{
    const char *ids[2 + 2 * INSTANCE_MAX_REPLICAS];
    size_t n = 0;
    const char *from_master[] = {master->replid, master->replid2};
    for (size_t i = 0; i < 2; i++)
        if (instance_has_replid(from_master[i])) ids[n++] = from_master[i];
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        const struct instance *r = master->record->replicas[i];
        if (r == cand) continue;
        if (instance_has_replid(r->replid)) ids[n++] = r->replid;
        if (instance_has_replid(r->replid2)) ids[n++] = r->replid2;
    }
    return n == 0 || id_in(cand->replid, ids, n) || id_in(cand->replid2, ids, n);
}

static void run_observer_script(struct sentinel *s, struct instance *master, const char *ohost,
                                int oport)
{
    const char *path = master->record->params.client_reconfig_script;
    if (path == NULL || s->env.run_script == NULL) return;
    char op[16], np[16];
    snprintf(op, sizeof(op), "%d", oport);
    snprintf(np, sizeof(np), "%d", master->port);
    const char *argv[] = {master->name,
                          "observer",
                          "start",
                          ohost,
                          op,
                          instance_announced_host(master, s->opt.announce_hostnames),
                          np};
    s->env.run_script(s->env.ctx, path, 7, argv);
}

/* The verified update: adopt the epoch and switch
 * (docs/sentinel-protocol.md#configuration-updates). */
static void update_apply(struct sentinel *s, struct instance *master)
{
    struct master_record *record = master->record;
    struct config_update update = record->update;
    record->update.is_pending = false;
    record->config_epoch = update.config_epoch;
    core_persist_now(s);
    char *ohost = xstrdup(instance_announced_host(master, s->opt.announce_hostnames));
    int oport = master->port;
    struct instance *si = instance_find_sentinel_by_runid(master, update.from);
    if (si) notify_event(s, LOG_NOTICE, "+config-update-from", si, NULL);
    notify_event(s, LOG_WARNING, "+switch-master", NULL, "%s %s %d %s %d", master->name, ohost,
                 oport, update.host, update.port);
    failover_clear(master);
    master_switch_to(s, master, update.host, update.port);
    run_observer_script(s, master, ohost, oport);
    free(ohost);
    /* Gossip the new configuration on at once: peers cut off from the leader learn it too. */
    core_force_hello(s, master);
}

/* The replica at the hello's new address; also a replica we did not know yet when the node we
 * know as the master now replicates from that address (a sentinel that missed the failover). */
static struct instance *update_candidate(struct sentinel *s, struct instance *master,
                                         const struct hello *h)
{
    struct instance *cand = instance_find_replica(master, h->master_ip, h->master_port);
    if (cand || master->role_reported != ROLE_SLAVE || master->slave_master_host == NULL ||
        master->slave_master_port != h->master_port ||
        strcasecmp(master->slave_master_host, h->master_ip) != 0)
        return cand;
    return core_new_replica(s, master, h->master_ip, h->master_port, true);
}

/* A trusted hello names a new address: ask it for INFO; the tick decides. */
static void update_start(struct sentinel *s, struct instance *master, const struct hello *h,
                         bool is_direct)
{
    struct config_update *update = &master->record->update;
    struct instance *cand = update_candidate(s, master, h);
    if (cand == NULL) {
        update_reject(s, master, h->runid, h->master_ip, h->master_port, h->master_config_epoch,
                      "the new address is not a known replica of the group");
        return;
    }
    if (update->is_pending && update->config_epoch >= h->master_config_epoch) {
        update->is_direct =
            update->is_direct || is_direct; /* in progress: note the stronger sender */
        return;
    }
    memset(update, 0, sizeof(*update));
    update->is_direct = is_direct;
    update->is_pending = true;
    snprintf(update->host, sizeof(update->host), "%s", h->master_ip);
    update->port = h->master_port;
    update->config_epoch = h->master_config_epoch;
    memcpy(update->from, h->runid, sizeof(update->from));
    update->since_ms = core_now(s);
    update->info_at_request_ms = cand->info_refresh_ms;
    static const char *const info[] = {"INFO"};
    if (core_send(s, cand, 1, info, TAG_INFO) == 0) cand->info_sent_ms = update->since_ms;
}

static void hello_adopt_config(struct sentinel *s, struct instance *master, const struct hello *h,
                               const char *distrust, bool via_pubsub)
{
    struct master_record *record = master->record;
    if (h->master_config_epoch <= record->config_epoch) return;
    /* Noted before any trust check: a newer configuration we cannot adopt yet still means our
     * own is stale, and a stale view must not reconfigure nodes (sim seeds 754, 1379, 2327). */
    record->heard_config_epoch = MAX(record->heard_config_epoch, h->master_config_epoch);
    record->heard_config_ms = core_now(s);
    /* "Same" is the address we announce: during our own failover, past the promotion, that is
     * the promoted replica, and a newer epoch for the old master's address is another
     * configuration, never an epoch to take over for ours (sim seed 1988 with replication ids:
     * two addresses announced with one config epoch, and the group never agreed again). */
    bool same = instance_addr_is(instance_current_master(master), h->master_ip, h->master_port);
    if (distrust == NULL && same && via_pubsub)
        distrust = "a new epoch for the same address heard on a data node's channel";
    if (distrust) {
        update_reject(s, master, h->runid, h->master_ip, h->master_port, h->master_config_epoch,
                      distrust);
        return;
    }
    if (same) {
        record->config_epoch = h->master_config_epoch;
        core_persist_now(s);
        return;
    }
    update_start(s, master, h, !via_pubsub);
}

void discovery_check_config_update(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct config_update *update = &master->record->update;
    if (!update->is_pending) return;
    if (update->config_epoch <= master->record->config_epoch) {
        update->is_pending = false; /* overtaken (our own failover, a later update) */
        return;
    }
    const struct instance *cand = instance_find_replica(master, update->host, update->port);
    const char *why = NULL;
    bool fresh = cand && cand->info_refresh_ms != update->info_at_request_ms &&
                 cand->info_refresh_ms >= update->since_ms;
    if (cand == NULL) {
        why = "the new address is no longer a known replica of the group";
    } else if (!fresh) {
        if (now_ms - update->since_ms <= CORE_CONFIG_UPDATE_WAIT_MS) return;
        why = "the new address did not answer INFO in time";
    } else if (cand->role_reported != ROLE_MASTER && !update->is_direct) {
        why = "the new address does not report role:master";
    } else if (!history_matches(master, cand)) {
        why = "the new address's replication ids are not the group's";
    }
    if (why == NULL) {
        update_apply(s, master);
        return;
    }
    update->is_pending = false;
    update_reject(s, master, update->from, update->host, update->port, update->config_epoch, why);
}

void discovery_process_hello(struct sentinel *s, const char *payload, size_t len, bool via_pubsub)
{
    struct hello h;
    if (hello_parse(payload, len, &h) != 0) {
        core_log(s, LOG_VERBOSE, "sentinel: ignoring malformed hello '%.*s'", (int)MIN(len, 200),
                 payload);
        return;
    }
    if (strcmp(h.runid, s->myid) == 0) return;
    struct instance *master = core_master_by_name(s, h.master_name);
    if (master == NULL) return;
    const struct instance *before = instance_find_sentinel_by_runid(master, h.runid);
    bool was_known = before && instance_addr_is(before, h.ip, h.port);
    struct instance *si = hello_peer(s, master, &h);
    if (h.current_epoch > s->current_epoch) {
        s->current_epoch = h.current_epoch;
        core_persist_now(s);
        notify_event(s, LOG_WARNING, "+new-epoch", NULL, "%llu",
                     (unsigned long long)s->current_epoch);
    }
    hello_adopt_config(s, master, &h, hello_distrust(si, was_known), via_pubsub);
    if (si) si->last_hello_ms = core_now(s);
    core_want_tick(s);
}
