/* discovery: how a sentinel learns its world and tells others (spec 2.5, 2.6, 5.7):
 * hello publishing (periodic and forced bursts), hello processing (new peers, address changes,
 * epoch and config-epoch adoption, the observer-side address switch), replica discovery from the
 * master's INFO, and the master reset/switch that rebuilds a master record.
 * Hellos are processed from sentinel_tick() (queued by observe.c), so every decision made here
 * happens inside a tick. Safety: epochs and config epochs are only ever raised, and an epoch is
 * persisted before anything acts on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "sentinel/failover.h"
#include "sentinel/hello.h"
#include "sentinel/sentinel_int.h"

static struct instance *master_of(struct instance *ri)
{
    return ri->kind == INSTANCE_MASTER ? ri : ri->master;
}

void discovery_send_hello(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    struct instance *master = master_of(ri);
    struct hello h;
    const char *ip = s->opt.announce_ip ? s->opt.announce_ip : ri->link.local_ip;
    const char *mhost;
    if (ip[0] == '\0' || !ri->link.cc_up) return;
    memset(&h, 0, sizeof(h));
    snprintf(h.ip, sizeof(h.ip), "%s", ip);
    h.port = s->opt.announce_port ? s->opt.announce_port : s->opt.port;
    memcpy(h.runid, s->myid, sizeof(h.runid));
    h.current_epoch = s->current_epoch;
    snprintf(h.master_name, sizeof(h.master_name), "%s", master->name);
    core_announced_master_addr(s, master, &mhost, &h.master_port);
    snprintf(h.master_ip, sizeof(h.master_ip), "%s", mhost);
    h.master_config_epoch = master->m->config_epoch;
    char payload[HELLO_MAX_LEN + 1];
    if (hello_format(payload, sizeof(payload), &h) == 0) return;
    const char *argv[] = {"PUBLISH", HELLO_CHANNEL, payload};
    if (core_send(s, ri, 3, argv, TAG_PUBLISH) == 0) ri->pub_sent_ms = now_ms;
}

void core_force_hello(struct sentinel *s, struct instance *master)
{
    int64_t now = core_now(s);
    struct master_record *m = master->m;
    master->last_pub_ms = 0;
    discovery_send_hello(s, master, now);
    for (size_t i = 0; i < m->n_replicas; i++) {
        m->replicas[i]->last_pub_ms = 0;
        discovery_send_hello(s, m->replicas[i], now);
    }
    for (size_t i = 0; i < m->n_sentinels; i++) {
        m->sentinels[i]->last_pub_ms = 0;
        discovery_send_hello(s, m->sentinels[i], now);
    }
}

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

/* A known run id at a new address: move it everywhere (spec 2.5). */
static void peer_address_switch(struct sentinel *s, const struct hello *h)
{
    for (size_t i = 0; i < s->n_masters; i++) {
        struct instance *x = instance_find_sentinel_by_runid(s->masters[i], h->runid);
        if (x == NULL || instance_addr_is(x, h->ip, h->port)) continue;
        core_close_links(s, x);
        core_set_address(s, x, h->ip, h->port);
        notify_event(s, LOG_NOTICE, "+sentinel-address-switch", s->masters[i],
                     "ip %s port %d for %s", h->ip, h->port, h->runid);
        core_mark_persist(s);
    }
}

/* Another run id claimed this address: the old one is gone, everywhere. */
static void peer_invalidate_addr(struct sentinel *s, const struct hello *h)
{
    for (size_t i = 0; i < s->n_masters; i++) {
        struct instance *x = instance_find_sentinel_by_addr(s->masters[i], h->ip, h->port);
        if (x == NULL || strcmp(x->runid, h->runid) == 0) continue;
        notify_event(s, LOG_NOTICE, "+sentinel-invalid-addr", x, NULL);
        core_drop_instance(s, x);
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

static void run_observer_script(struct sentinel *s, struct instance *master, const char *ohost,
                                int oport)
{
    const char *path = master->m->p.client_reconfig_script;
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

static void hello_adopt_config(struct sentinel *s, struct instance *master, struct instance *si,
                               const struct hello *h)
{
    struct master_record *m = master->m;
    if (h->master_config_epoch <= m->config_epoch) return;
    m->config_epoch = h->master_config_epoch;
    core_persist_now(s);
    if (instance_addr_is(master, h->master_ip, h->master_port)) return;
    char *ohost = xstrdup(instance_announced_host(master, s->opt.announce_hostnames));
    int oport = master->port;
    if (si) notify_event(s, LOG_NOTICE, "+config-update-from", si, NULL);
    notify_event(s, LOG_WARNING, "+switch-master", NULL, "%s %s %d %s %d", master->name, ohost,
                 oport, h->master_ip, h->master_port);
    core_switch_master(s, master, h->master_ip, h->master_port);
    run_observer_script(s, master, ohost, oport);
    free(ohost);
    /* Gossip the new configuration on at once: peers cut off from the leader learn it too. */
    core_force_hello(s, master);
}

void discovery_process_hello(struct sentinel *s, const char *payload, size_t len, bool via_pubsub)
{
    struct hello h;
    UNUSED(via_pubsub);
    if (hello_parse(payload, len, &h) != 0) {
        log_verbose("sentinel: ignoring malformed hello '%.*s'", (int)MIN(len, 200), payload);
        return;
    }
    if (strcmp(h.runid, s->myid) == 0) return;
    struct instance *master = core_master_by_name(s, h.master_name);
    if (master == NULL) return;
    struct instance *si = hello_peer(s, master, &h);
    if (h.current_epoch > s->current_epoch) {
        s->current_epoch = h.current_epoch;
        core_persist_now(s);
        notify_event(s, LOG_WARNING, "+new-epoch", NULL, "%llu",
                     (unsigned long long)s->current_epoch);
    }
    hello_adopt_config(s, master, si, &h);
    if (si) si->last_hello_ms = core_now(s);
    core_want_tick(s);
}

/* Reset the runtime part of a master record (flags, timers, failover), keeping its identity,
 * parameters, config epoch and our recorded vote (clearing a vote could allow a second one). */
static void master_reset_runtime(struct sentinel *s, struct instance *master)
{
    int64_t now = core_now(s);
    core_close_links(s, master);
    failover_clear(master);
    master->flags = 0;
    master->m->is_regressed = false; /* the record now describes another node */
    master->m->regress_check_until_ms = 0;
    master->m->failover_start_ms = 0;
    master->m->failover_not_before_ms = 0;
    master->runid[0] = '\0';
    master->act_ping_ms = now;
    master->last_avail_ms = now;
    master->last_pong_ms = 0;
    master->last_ping_ms = 0;
    master->last_pub_ms = 0;
    master->role_reported = ROLE_MASTER;
    master->role_reported_ms = now;
    master->info_refresh_ms = master->info_reacted_ms = 0;
    free(master->info);
    master->info = NULL;
    master->info_len = 0;
    master->s_down_since_ms = master->o_down_since_ms = 0;
    master->link.last_reconnect_ms = 0;
    for (size_t i = 0; i < master->m->n_sentinels; i++) {
        struct instance *p = master->m->sentinels[i];
        p->flags &= ~SRI_MASTER_DOWN;
        p->leader[0] = '\0';
        p->leader_epoch = 0;
    }
}

struct addr_copy {
    char *host;
    int port;
};

void core_switch_master(struct sentinel *s, struct instance *master, const char *host, int port)
{
    struct master_record *m = master->m;
    struct addr_copy keep[INSTANCE_MAX_REPLICAS];
    size_t n = 0;
    for (size_t i = 0; i < m->n_replicas; i++) {
        struct instance *r = m->replicas[i];
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
    master_reset_runtime(s, master);
    while (m->n_replicas > 0) core_drop_instance(s, m->replicas[m->n_replicas - 1]);
    core_set_address(s, master, newhost, port);
    free(newhost);
    for (size_t i = 0; i < n; i++) {
        core_new_replica(s, master, keep[i].host, keep[i].port, true);
        free(keep[i].host);
    }
    core_persist_now(s);
    core_want_tick(s);
}

void core_reset_master(struct sentinel *s, struct instance *master)
{
    master_reset_runtime(s, master);
    while (master->m->n_replicas > 0)
        core_drop_instance(s, master->m->replicas[master->m->n_replicas - 1]);
    while (master->m->n_sentinels > 0)
        core_drop_instance(s, master->m->sentinels[master->m->n_sentinels - 1]);
    notify_event(s, LOG_WARNING, "+reset-master", master, NULL);
    core_mark_persist(s);
    core_want_tick(s);
}
