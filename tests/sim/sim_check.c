/* sim_check: the invariants of the simulation.
 * - At most one leader per epoch (from every "+elected-leader", with the attempt's epoch).
 * - Config epochs never decrease on any sentinel, across restarts too.
 * - A promoted replica ("+selected-slave") was eligible in the leader's view and ranked first in
 *   the master's promotion order (offset first by default); and when the old master is dead, its
 *   real offset is at least that of every replica the leader refreshed in its INFO round (of the
 *   same priority under priority-first; of any under offset-first) while neither is linked to
 *   another live master, so that the offsets are the old master's.
 * - No promotion with fewer fresh offsets than promotion-quorum needs (the quorum intersection
 *   rule, docs/sentinel-protocol.md#promotion-quorum): at "+selected-slave", at least R - k + 1
 *   replicas reported INFO since the attempt started. A schedule that leaves too few replicas
 *   alive therefore sees no failover until the final heal restarts them, which is correct.
 * - At no instant do two live masters both hold enough valid leases to take writes
 *   (store/lease.c on each node's own clock): the master lease fences the old master before
 *   another one can be promoted and vouched for.
 * - After the final heal, all live sentinels agree on one master, which is alive and a master.
 */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/core/select.h"
#include "sentinel/core/sentinel.h"
#include "sentinel/core/core_int.h"
#include "sim.h"

static struct instance *master_from_msg(struct sim_sentinel *ss, const char *msg, bool replica)
{
    char name[128];
    const char *p = msg;
    if (replica) {
        p = strstr(msg, " @ ");
        if (p == NULL) return NULL;
        p += 3;
    } else if (strncmp(p, "master ", 7) == 0) {
        p += 7;
    }
    size_t n = strcspn(p, " ");
    if (n >= sizeof(name)) return NULL;
    memcpy(name, p, n);
    name[n] = '\0';
    return (struct instance *)sentinel_master_by_name(ss->core, name);
}

static void check_leader(struct sim_sentinel *ss, const char *msg)
{
    struct sim *w = ss->sim;
    struct instance *master = master_from_msg(ss, msg, false);
    if (master == NULL || (master->flags & SRI_FORCE_FAILOVER)) return;
    uint64_t e = master->record->failover_epoch;
    if (e >= SIM_MAX_EPOCHS) return;
    const char *me = sentinel_myid(ss->core);
    if (w->leader_of_epoch[e][0] && strcmp(w->leader_of_epoch[e], me) != 0)
        sim_fail(w, "two leaders in epoch %llu: %s and %s", (unsigned long long)e,
                 w->leader_of_epoch[e], me);
    snprintf(w->leader_of_epoch[e], sizeof(w->leader_of_epoch[e]), "%s", me);
}

static void check_selected(struct sim_sentinel *ss, const char *msg)
{
    struct sim *w = ss->sim;
    struct instance *master = master_from_msg(ss, msg, true);
    if (master == NULL || master->record->promoted == NULL) return;
    struct instance *promoted = master->record->promoted;
    struct sentinel_periods *per = sentinel_periods(ss->core);
    struct select_quorum q;
    select_quorum_count(master, master->record->failover_start_ms, false, &q);
    if (!master->record->switchover.is_active && q.fresh < q.needed)
        sim_fail(w, "promoted %s with %d fresh offsets of %d replicas, promotion-quorum needs %d",
                 promoted->name, q.fresh, q.known, q.needed);
    enum sentinel_promotion_order order = master->record->params.promotion_order;
    if (select_check_replica(promoted, w->now, per) != SELECT_ELIGIBLE)
        sim_fail(w, "promoted %s was not eligible", promoted->name);
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        struct instance *r = master->record->replicas[i];
        if (r == promoted || select_check_replica(r, w->now, per) != SELECT_ELIGIBLE) continue;
        if (select_compare(r, promoted, order) < 0)
            sim_fail(w, "promoted %s (offset %lld) but %s ranked better (offset %lld)",
                     promoted->name, promoted->slave_repl_offset, r->name, r->slave_repl_offset);
        int old = sim_node_by_addr(w, master->host, master->port);
        int pn = sim_node_by_addr(w, promoted->host, promoted->port),
            rn = sim_node_by_addr(w, r->host, r->port);
        bool fresh = r->info_refresh_ms >= master->record->select_info_ms &&
                     promoted->info_refresh_ms >= master->record->select_info_ms;
        /* Real offsets compare only while both are frozen: a replica still linked to some other
         * live master (a stale one that restarted as master) keeps moving after the INFO round,
         * with writes the group never acknowledged. */
        bool frozen = pn >= 0 && rn >= 0 && !w->nodes[pn].link_up && !w->nodes[rn].link_up;
        /* Offset first (the default) promises the most data whatever the priorities. */
        bool offset_decides =
            order == PROMOTION_OFFSET_FIRST || r->slave_priority == promoted->slave_priority;
        if (old >= 0 && !w->nodes[old].alive && fresh && frozen && offset_decides &&
            w->nodes[rn].offset > w->nodes[pn].offset)
            sim_fail(w, "promoted %s has real offset %lld < %s real offset %lld", promoted->name,
                     w->nodes[pn].offset, r->name, w->nodes[rn].offset);
    }
}

void sim_check_event(struct sim_sentinel *ss, const char *type, const char *msg)
{
    struct sim *w = ss->sim;
    sim_log(w, "S%d %s %s", ss->idx, type, msg);
    if (strcmp(type, "+elected-leader") == 0) {
        check_leader(ss, msg);
        if (w->split_cut_ms && !w->split_elected_ms) w->split_elected_ms = w->now;
    } else if (strcmp(type, "+selected-slave") == 0)
        check_selected(ss, msg);
    else if (strcmp(type, "+promoted-slave") == 0)
        w->failovers++;
}

static void check_leases(struct sim *w)
{
    int holder = -1;
    for (int i = 0; i < w->n_nodes; i++) {
        struct sim_node *n = &w->nodes[i];
        if (!n->alive || !n->is_master || !lease_is_held(&n->lease, sim_node_now(w, i))) continue;
        if (holder >= 0)
            sim_fail(w, "two masters hold enough leases to take writes: %s and %s",
                     w->nodes[holder].host, n->host);
        holder = i;
    }
}

void sim_check_state(struct sim *w)
{
    check_leases(w);
    for (int i = 0; i < w->n_sentinels; i++) {
        struct sim_sentinel *ss = &w->sentinels[i];
        if (!ss->alive || ss->core == NULL) continue;
        const struct instance *master = sentinel_master_at(ss->core, 0);
        if (master == NULL) continue;
        if (master->record->config_epoch < ss->max_config_epoch)
            sim_fail(w, "S%d config epoch went back from %llu to %llu", i,
                     (unsigned long long)ss->max_config_epoch,
                     (unsigned long long)master->record->config_epoch);
        ss->max_config_epoch = MAX(ss->max_config_epoch, master->record->config_epoch);
    }
}

bool sim_agreement(struct sim *w, char *why, size_t cap)
{
    const char *host0 = NULL;
    int port0 = 0;
    for (int i = 0; i < w->n_sentinels; i++) {
        struct sim_sentinel *ss = &w->sentinels[i];
        if (!ss->alive) continue;
        const char *host;
        int port;
        if (sentinel_get_master_addr(ss->core, "mymaster", &host, &port) != 0) {
            snprintf(why, cap, "S%d lost the master", i);
            return false;
        }
        if (host0 == NULL) {
            host0 = host;
            port0 = port;
        } else if (port != port0 || strcmp(host, host0) != 0) {
            snprintf(why, cap, "S%d says %s:%d, S0 says %s:%d", i, host, port, host0, port0);
            return false;
        }
    }
    int n = host0 ? sim_node_by_addr(w, host0, port0) : -1;
    if (n < 0 || !w->nodes[n].alive || !w->nodes[n].is_master) {
        snprintf(why, cap, "agreed master %s:%d is not a live master", host0 ? host0 : "?", port0);
        return false;
    }
    return true;
}
