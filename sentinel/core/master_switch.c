/* master_switch: rebuilding a master record, the step that ends every change of master.
 *
 * Two operations share it: the address switch (docs/sentinel-protocol.md#address-switch: our own
 * failover reached UPDATE_CONFIG, or a peer's verified configuration update) and SENTINEL RESET.
 * Both reset the runtime part of the record (flags, timers, links, cached INFO) while keeping its
 * identity, parameters, config epoch and our recorded vote (clearing a vote could allow a second
 * one in the epoch). The switch then rebuilds the replica table around the new address; the reset
 * forgets replicas and peers. Used by failover.c, discovery.c and the RESET command; it calls none
 * of them. The caller clears the failover record first (failover_clear): only failover.c changes
 * failover state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/lease.h"

/* Reset the runtime part of a master record, keeping what the doc comment above lists. */
static void master_reset_runtime(struct sentinel *s, struct instance *master)
{
    int64_t now = core_now(s);
    ASSERT(master->record->failover_state == FAILOVER_NONE);
    core_close_links(s, master);
    master->flags = 0;
    master->record->is_regressed = false; /* the record now describes another node */
    master->record->regress_check_until_ms = 0;
    master->record->failover_start_ms = 0;
    master->record->failover_not_before_ms = 0;
    master->runid[0] = '\0';
    master->act_ping_ms = now;
    master->last_avail_ms = now;
    master->last_pong_ms = 0;
    master->last_ping_ms = 0;
    master->last_pub_ms = 0;
    master->role_reported = ROLE_MASTER;
    master->role_reported_ms = now;
    master->info_refresh_ms = master->info_reacted_ms = 0;
    master->second_repl_offset = 0;
    free(master->info);
    master->info = NULL;
    master->info_len = 0;
    master->s_down_since_ms = master->o_down_since_ms = 0;
    master->link.last_reconnect_ms = 0;
    lease_reset(master); /* another node: its clock and its leases are not the old one's */
    master->record->update.is_pending = false;
    for (size_t i = 0; i < master->record->n_sentinels; i++) {
        struct instance *peer = master->record->sentinels[i];
        peer->flags &= ~SRI_MASTER_DOWN;
        peer->leader[0] = '\0';
        peer->leader_epoch = 0;
    }
}

struct addr_copy {
    char *host;
    int port;
};

/* Remember the master being replaced, with its last offset and history, for the dropped-bytes
 * estimate of observe.c. */
static void watch_old_master(struct instance *master)
{
    struct old_master_watch *w = &master->record->old_master;
    memset(w, 0, sizeof(*w));
    w->is_active = true;
    snprintf(w->host, sizeof(w->host), "%s", master->host);
    w->port = master->port;
    w->epoch = master->record->config_epoch;
    w->offset = master->info_refresh_ms != 0 ? master->master_repl_offset : -1;
    memcpy(w->replid, master->replid, sizeof(w->replid));
}

void master_switch_to(struct sentinel *s, struct instance *master, const char *host, int port)
{
    struct master_record *record = master->record;
    if (!instance_addr_is(master, host, port)) watch_old_master(master);
    struct addr_copy keep[INSTANCE_MAX_REPLICAS];
    size_t n = 0;
    for (size_t i = 0; i < record->n_replicas; i++) {
        struct instance *r = record->replicas[i];
        if (instance_addr_is(r, host, port)) continue;
        keep[n].host = xstrdup(r->host);
        keep[n].port = r->port;
        n++;
    }
    if (!instance_addr_is(master, host, port) && n < ARRAY_LEN(keep)) {
        keep[n].host = xstrdup(master->host);
        keep[n].port = master->port;
        n++;
    }
    char *newhost = xstrdup(host);
    lease_on_switch(master, core_now(s));
    master_reset_runtime(s, master);
    while (record->n_replicas > 0) core_drop_instance(s, record->replicas[record->n_replicas - 1]);
    core_set_address(s, master, newhost, port);
    free(newhost);
    for (size_t i = 0; i < n; i++) {
        core_new_replica(s, master, keep[i].host, keep[i].port, true);
        free(keep[i].host);
    }
    core_persist_now(s);
    core_want_tick(s);
}

void master_switch_reset(struct sentinel *s, struct instance *master)
{
    master_reset_runtime(s, master);
    while (master->record->n_replicas > 0)
        core_drop_instance(s, master->record->replicas[master->record->n_replicas - 1]);
    while (master->record->n_sentinels > 0)
        core_drop_instance(s, master->record->sentinels[master->record->n_sentinels - 1]);
    notify_event(s, LOG_WARNING, "+reset-master", master, NULL);
    core_mark_persist(s);
    core_want_tick(s);
}
