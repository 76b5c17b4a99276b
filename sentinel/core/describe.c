/* describe: reply views of the core (see describe.h), plus the state snapshot and the small
 * read-only accessors of sentinel.h. Nothing here changes the core. */
#include "sentinel/core/describe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/core/core_int.h"

static void add(struct sentinel_desc *d, const char *name, const char *value)
{
    ASSERT(d->n < SENTINEL_DESC_MAX);
    d->fields[d->n].name = name;
    d->fields[d->n].value = xstrdup(value);
    d->n++;
}

static void addll(struct sentinel_desc *d, const char *name, long long v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", v);
    add(d, name, b);
}

static void describe_common(const struct sentinel *s, const struct instance *ri, int64_t now,
                            struct sentinel_desc *d)
{
    char flags[512];
    instance_flags_format(ri, flags, sizeof(flags));
    add(d, "name", ri->name);
    add(d, "ip", instance_announced_host(ri, s->opt.announce_hostnames));
    addll(d, "port", ri->port);
    add(d, "runid", ri->runid);
    add(d, "flags", flags);
    addll(d, "link-pending-commands", ri->link.pending_commands);
    addll(d, "link-refcount", 1);
    if (ri->kind == INSTANCE_MASTER && (ri->flags & SRI_FAILOVER_IN_PROGRESS))
        add(d, "failover-state", instance_failover_state_name(ri->record->failover_state));
    addll(d, "last-ping-sent", ri->act_ping_ms ? now - ri->act_ping_ms : 0);
    addll(d, "last-ok-ping-reply", now - ri->last_avail_ms);
    addll(d, "last-ping-reply", now - (ri->last_pong_ms ? ri->last_pong_ms : ri->created_ms));
    if (ri->flags & SRI_S_DOWN) addll(d, "s-down-time", now - ri->s_down_since_ms);
    if (ri->flags & SRI_O_DOWN) addll(d, "o-down-time", now - ri->o_down_since_ms);
    const struct instance *master = ri->kind == INSTANCE_MASTER ? ri : ri->master;
    addll(d, "down-after-milliseconds", master->record->params.down_after_ms);
    UNUSED(s);
}

static void describe_instance(const struct sentinel *s, const struct instance *ri, int64_t now,
                              struct sentinel_desc *d)
{
    memset(d, 0, sizeof(*d));
    describe_common(s, ri, now, d);
    if (ri->kind != INSTANCE_SENTINEL) {
        addll(d, "info-refresh", ri->info_refresh_ms ? now - ri->info_refresh_ms : 0);
        add(d, "role-reported", ri->role_reported == ROLE_SLAVE ? "slave" : "master");
        addll(d, "role-reported-time", now - ri->role_reported_ms);
    }
    if (ri->kind == INSTANCE_MASTER) {
        const struct master_record *record = ri->record;
        addll(d, "config-epoch", (long long)record->config_epoch);
        addll(d, "num-slaves", (long long)record->n_replicas);
        addll(d, "num-other-sentinels", (long long)record->n_sentinels);
        addll(d, "quorum", record->params.quorum);
        addll(d, "failover-timeout", record->params.failover_timeout_ms);
        addll(d, "parallel-syncs", record->params.parallel_syncs);
        if (record->params.notification_script)
            add(d, "notification-script", record->params.notification_script);
        if (record->params.client_reconfig_script)
            add(d, "client-reconfig-script", record->params.client_reconfig_script);
        /* Ours, listed (last) only when not the default, so a default description keeps
         * Redis's exact field list, as the optional script fields do. */
        if (record->params.election_spread_ms != SENTINEL_ELECTION_SPREAD_DEFAULT_MS)
            addll(d, "election-spread", record->params.election_spread_ms);
        if (record->params.promotion_order != PROMOTION_OFFSET_FIRST)
            add(d, "promotion-order",
                sentinel_promotion_order_name(record->params.promotion_order));
        char q[PROMOTION_QUORUM_NAME_MAX];
        if (record->params.promotion_quorum != PROMOTION_QUORUM_MAJORITY)
            add(d, "promotion-quorum",
                sentinel_promotion_quorum_name(record->params.promotion_quorum, q, sizeof(q)));
        if (record->params.forget_after_ms != SENTINEL_FORGET_AFTER_DEFAULT_MS)
            addll(d, "forget-after", record->params.forget_after_ms);
        if (record->params.lease_margin_ms != 0)
            addll(d, "lease-margin", record->params.lease_margin_ms);
        if (record->params.discovery_when_isolated != ISOLATED_DISCOVERY_REFUSE)
            add(d, "discovery-when-isolated",
                sentinel_isolated_discovery_name(record->params.discovery_when_isolated));
        if (ri->lease.reply_ms != 0 && ri->lease.is_enforced) { /* master-lease yes */
            addll(d, "lease-valid", ri->lease.valid);
            addll(d, "lease-needed", ri->lease.needed);
            addll(d, "lease-fenced", ri->lease.is_fenced ? 1 : 0);
            addll(d, "lease-last-reply", now - ri->lease.reply_ms);
        }
    } else if (ri->kind == INSTANCE_REPLICA) {
        addll(d, "master-link-down-time", ri->master_link_down_ms);
        add(d, "master-link-status", ri->slave_master_link_up ? "ok" : "err");
        add(d, "master-host", ri->slave_master_host ? ri->slave_master_host : "?");
        addll(d, "master-port", ri->slave_master_port);
        addll(d, "slave-priority", ri->slave_priority);
        addll(d, "slave-repl-offset", ri->slave_repl_offset);
        addll(d, "replica-announced", ri->replica_announced ? 1 : 0);
    } else {
        addll(d, "last-hello-message",
              now - (ri->last_hello_ms ? ri->last_hello_ms : ri->created_ms));
        add(d, "voted-leader", ri->leader[0] ? ri->leader : "?");
        addll(d, "voted-leader-epoch", (long long)ri->leader_epoch);
    }
}

void sentinel_desc_free(struct sentinel_desc *d)
{
    for (size_t i = 0; i < d->n; i++) free(d->fields[i].value);
    d->n = 0;
}

void sentinel_desc_list_free(struct sentinel_desc_list *l)
{
    for (size_t i = 0; i < l->n; i++) sentinel_desc_free(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int sentinel_describe_master(const struct sentinel *s, const char *name, struct sentinel_desc *out)
{
    const struct instance *master = core_master_by_name(s, name);
    if (master == NULL) return -1;
    describe_instance(s, master, core_now(s), out);
    return 0;
}

void sentinel_describe_masters(const struct sentinel *s, struct sentinel_desc_list *out)
{
    int64_t now = core_now(s);
    out->n = s->n_masters;
    out->items = s->n_masters ? xcalloc(s->n_masters, sizeof(*out->items)) : NULL;
    for (size_t i = 0; i < s->n_masters; i++)
        describe_instance(s, s->masters[i], now, &out->items[i]);
}

/* The replicas (only those announced) or the peer sentinels of master `name` into out. */
static int describe_group(const struct sentinel *s, const char *name, bool replicas,
                          struct sentinel_desc_list *out)
{
    const struct instance *master = core_master_by_name(s, name);
    out->n = 0;
    out->items = NULL;
    if (master == NULL) return -1;
    int64_t now = core_now(s);
    const struct master_record *record = master->record;
    struct instance *const *group = replicas ? record->replicas : record->sentinels;
    size_t n = replicas ? record->n_replicas : record->n_sentinels;
    if (n) out->items = xcalloc(n, sizeof(*out->items));
    for (size_t i = 0; i < n; i++) {
        if (replicas && !group[i]->replica_announced) continue;
        describe_instance(s, group[i], now, &out->items[out->n++]);
    }
    return 0;
}

int sentinel_describe_replicas(const struct sentinel *s, const char *name,
                               struct sentinel_desc_list *out)
{
    return describe_group(s, name, true, out);
}

int sentinel_describe_sentinels(const struct sentinel *s, const char *name,
                                struct sentinel_desc_list *out)
{
    return describe_group(s, name, false, out);
}

void sentinel_info_section(const struct sentinel *s, int running_scripts, int queued_scripts,
                           struct buf *out)
{
    int64_t now = core_now(s);
    buf_printf(out, "# Sentinel\r\nsentinel_masters:%zu\r\nsentinel_tilt:%d\r\n", s->n_masters,
               s->tilt ? 1 : 0);
    buf_printf(out, "sentinel_tilt_since_seconds:%lld\r\n",
               s->tilt ? (long long)((now - s->tilt_start_ms) / 1000) : -1LL);
    /* Ours: why the last TILT began (docs/sentinel-protocol.md#tilt). */
    if (s->tilt_cause[0]) buf_printf(out, "vigil_tilt_cause:%s\r\n", s->tilt_cause);
    buf_printf(out, "sentinel_running_scripts:%d\r\nsentinel_scripts_queue_length:%d\r\n",
               running_scripts, queued_scripts);
    buf_printf(out, "sentinel_simulate_failure_flags:%u\r\n", s->simfail_flags);
    for (size_t i = 0; i < s->n_masters; i++) {
        const struct instance *master = s->masters[i];
        const char *status = (master->flags & SRI_O_DOWN)   ? "odown"
                             : (master->flags & SRI_S_DOWN) ? "sdown"
                                                            : "ok";
        const char *host;
        int port;
        core_announced_master_addr(s, master, &host, &port);
        buf_printf(out, "master%zu:name=%s,status=%s,address=%s:%d,slaves=%zu,sentinels=%zu\r\n", i,
                   master->name, status, host, port, master->record->n_replicas,
                   master->record->n_sentinels + 1);
    }
}

static void cache_entry(const struct instance *master, int64_t now,
                        struct sentinel_info_cache_entry *e)
{
    e->master_name = master->name;
    e->n = 1 + master->record->n_replicas;
    e->items = xcalloc(e->n, sizeof(*e->items));
    for (size_t j = 0; j < e->n; j++) {
        const struct instance *ri = j == 0 ? master : master->record->replicas[j - 1];
        e->items[j].age_ms = ri->info_refresh_ms ? now - ri->info_refresh_ms : 0;
        e->items[j].text = ri->info;
        e->items[j].len = ri->info_len;
    }
}

void sentinel_info_cache(const struct sentinel *s, int argc, const char *const *names,
                         struct sentinel_info_cache *out)
{
    int64_t now = core_now(s);
    out->n = 0;
    out->entries = xcalloc(s->n_masters + 1, sizeof(*out->entries));
    for (size_t i = 0; i < s->n_masters; i++) {
        const struct instance *master = s->masters[i];
        bool wanted = argc <= 0;
        for (int k = 0; k < argc && !wanted; k++) wanted = strcmp(names[k], master->name) == 0;
        if (wanted) cache_entry(master, now, &out->entries[out->n++]);
    }
}

void sentinel_info_cache_free(struct sentinel_info_cache *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->entries[i].items);
    free(c->entries);
    c->entries = NULL;
    c->n = 0;
}

/* ---- sentinel.h accessors and the snapshot ------------------------------------------------- */

const char *sentinel_myid(const struct sentinel *s) { return s->myid; }
uint64_t sentinel_current_epoch(const struct sentinel *s) { return s->current_epoch; }
bool sentinel_in_tilt(const struct sentinel *s) { return s->tilt; }
int64_t sentinel_tilt_since_ms(const struct sentinel *s) { return s->tilt ? s->tilt_start_ms : -1; }
const char *sentinel_tilt_cause(const struct sentinel *s)
{
    return s->tilt_cause[0] ? s->tilt_cause : NULL;
}
struct sentinel_periods *sentinel_periods(struct sentinel *s) { return &s->periods; }
size_t sentinel_master_count(const struct sentinel *s) { return s->n_masters; }
const struct instance *sentinel_master_at(const struct sentinel *s, size_t i)
{
    return i < s->n_masters ? s->masters[i] : NULL;
}
const struct instance *sentinel_master_by_name(const struct sentinel *s, const char *name)
{
    return core_master_by_name(s, name);
}

int sentinel_addr_refusal(const struct sentinel *s, const char *name, char *why, size_t cap)
{
    const struct instance *master = core_master_by_name(s, name);
    if (master == NULL ||
        master->record->params.discovery_when_isolated == ISOLATED_DISCOVERY_ANSWER)
        return 0;
    int known, reachable;
    if (monitor_majority_reachable(master, core_now(s), &known, &reachable)) return 0;
    snprintf(why, cap,
             "IDONTKNOW this sentinel is in contact with %d of %d sentinels (no majority): ask "
             "another sentinel",
             reachable, known);
    return -1;
}

int sentinel_get_master_addr(const struct sentinel *s, const char *name, const char **host,
                             int *port)
{
    const struct instance *master = core_master_by_name(s, name);
    if (master == NULL) return -1;
    core_announced_master_addr(s, master, host, port);
    return 0;
}
