/* sentinel: the core's context: creation from the persisted state, the index of instances by
 * id, creating and dropping instances, and everything the core sends (commands with renames,
 * the SLAVEOF transaction, hellos, questions to peers) plus our vote. Decisions are taken in
 * sentinel_tick() (tick.c, docs/sentinel-protocol.md#the-tick); the durable state is state.c's.
 * Must not: block, read clocks or randomness other than through env, free an instance that a
 * caller up the stack still uses (instances are only dropped from tick or command functions). */
#include "sentinel/core/sentinel.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/election.h"
#include "sentinel/core/failover.h"
#include "sentinel/core/hello.h"
#include "sentinel/core/core_int.h"

/* ---- small helpers ---------------------------------------------------------------------- */

int64_t core_now(const struct sentinel *s) { return s->env.mono_ms(s->env.ctx); }
int64_t sentinel_now_ms(const struct sentinel *s) { return core_now(s); }
int64_t sentinel_wall_ms(const struct sentinel *s) { return s->env.wall_ms(s->env.ctx); }

uint64_t core_random_below(struct sentinel *s, uint64_t n)
{
    ASSERT(n > 0);
    return s->env.random_u64(s->env.ctx) % n;
}

void core_want_tick(struct sentinel *s) { s->tick_wanted = true; }
void core_simulate_crash(struct sentinel *s)
{
    core_log(s, LOG_WARNING, "sentinel: simulated failure, crashing");
    s->crashed = true;
    if (s->env.crash) s->env.crash(s->env.ctx);
}

/* ---- index of instances by id -------------------------------------------------------------- */

static void index_add(struct sentinel *s, struct instance *ri)
{
    if (s->n_index == s->cap_index) {
        s->cap_index = s->cap_index ? 2 * s->cap_index : 64;
        s->index = xrealloc(s->index, s->cap_index * sizeof(*s->index));
    }
    ASSERT(s->n_index == 0 || s->index[s->n_index - 1].id < ri->id);
    s->index[s->n_index].id = ri->id;
    s->index[s->n_index].ri = ri;
    s->n_index++;
}

static size_t index_pos(const struct sentinel *s, uint64_t id)
{
    size_t lo = 0, hi = s->n_index;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->index[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct instance *core_find(const struct sentinel *s, uint64_t id)
{
    size_t i = index_pos(s, id);
    return i < s->n_index && s->index[i].id == id ? s->index[i].ri : NULL;
}

static void index_remove(struct sentinel *s, uint64_t id)
{
    size_t i = index_pos(s, id);
    if (i >= s->n_index || s->index[i].id != id) return;
    memmove(&s->index[i], &s->index[i + 1], (s->n_index - i - 1) * sizeof(*s->index));
    s->n_index--;
}

/* ---- creating and dropping instances ------------------------------------------------------ */

struct instance *core_master_by_name(const struct sentinel *s, const char *name)
{
    for (size_t i = 0; i < s->n_masters; i++)
        if (strcmp(s->masters[i]->name, name) == 0) return s->masters[i];
    return NULL;
}

/* Learns ri's numeric address (announce-hostnames no shows it instead of the name). A name
 * that does not resolve keeps its name as its address: the link reports it down. */
static void core_resolve_ip(struct sentinel *s, struct instance *ri)
{
    unsigned char bin[16];
    char ip[INSTANCE_HOST_MAX + 1];
    if (s->env.resolve_host == NULL || inet_pton(AF_INET, ri->host, bin) == 1 ||
        inet_pton(AF_INET6, ri->host, bin) == 1)
        return;
    if (s->env.resolve_host(s->env.ctx, ri->host, ip, sizeof(ip)) == 0) instance_set_ip(ri, ip);
}

void core_set_address(struct sentinel *s, struct instance *ri, const char *host, int port)
{
    instance_set_address(ri, host, port);
    core_resolve_ip(s, ri);
}

void core_announced_master_addr(const struct sentinel *s, const struct instance *master,
                                const char **host, int *port)
{
    const struct instance *at = instance_current_master(master);
    *host = instance_announced_host(at, s->opt.announce_hostnames);
    *port = at->port;
}

struct instance *core_add_master(struct sentinel *s, const char *name, const char *host, int port,
                                 const struct sentinel_master_params *params)
{
    if (s->n_masters >= SENTINEL_MAX_MASTERS) return NULL;
    struct instance *ri =
        instance_create_master(++s->next_id, name, host, port, params, core_now(s));
    s->masters[s->n_masters++] = ri;
    core_resolve_ip(s, ri);
    index_add(s, ri);
    return ri;
}

struct instance *core_new_replica(struct sentinel *s, struct instance *master, const char *host,
                                  int port, bool announce)
{
    struct instance *ri = instance_add_replica(master, s->next_id + 1, host, port, core_now(s));
    if (ri == NULL) {
        core_log(s, LOG_WARNING, "sentinel: replica table of %s full, ignoring %s:%d", master->name,
                 host, port);
        return NULL;
    }
    s->next_id++;
    core_resolve_ip(s, ri);
    index_add(s, ri);
    if (announce) notify_event(s, LOG_NOTICE, "+slave", ri, NULL);
    /* The replica set is changing: more may follow, look at the master's INFO every second. */
    master->discovery_until_ms = core_now(s) + MONITOR_DISCOVERY_MS;
    core_mark_persist(s);
    core_want_tick(s);
    return ri;
}

struct instance *core_new_sentinel(struct sentinel *s, struct instance *master, const char *host,
                                   int port, const char *runid)
{
    struct instance *ri =
        instance_add_sentinel(master, s->next_id + 1, host, port, runid, core_now(s));
    if (ri == NULL) {
        core_log(s, LOG_WARNING, "sentinel: sentinel table of %s full, ignoring %s", master->name,
                 runid);
        return NULL;
    }
    s->next_id++;
    core_resolve_ip(s, ri);
    index_add(s, ri);
    core_mark_persist(s);
    core_want_tick(s);
    return ri;
}

void core_close_links(struct sentinel *s, struct instance *ri)
{
    if (ri->link.is_cmd_connected || ri->link.is_cmd_connecting)
        s->env.disconnect(s->env.ctx, ri->id, SENTINEL_LINK_CMD);
    if (ri->link.is_pubsub_connected || ri->link.is_pubsub_connecting)
        s->env.disconnect(s->env.ctx, ri->id, SENTINEL_LINK_PUBSUB);
    ri->link.is_cmd_connected = ri->link.is_pubsub_connected = false;
    ri->link.is_cmd_connecting = ri->link.is_pubsub_connecting = false;
    ri->link.pending_commands = 0;
    ri->info_sent_ms = 0;
    ri->pub_sent_ms = 0;
}

void core_drop_instance(struct sentinel *s, struct instance *ri)
{
    core_close_links(s, ri);
    index_remove(s, ri->id);
    if (ri->kind == INSTANCE_MASTER) {
        for (size_t i = 0; i < ri->record->n_replicas; i++) {
            core_close_links(s, ri->record->replicas[i]);
            index_remove(s, ri->record->replicas[i]->id);
        }
        for (size_t i = 0; i < ri->record->n_sentinels; i++) {
            core_close_links(s, ri->record->sentinels[i]);
            index_remove(s, ri->record->sentinels[i]->id);
        }
    }
    instance_free(ri);
}

void core_remove_master(struct sentinel *s, struct instance *master)
{
    for (size_t i = 0; i < s->n_masters; i++) {
        if (s->masters[i] != master) continue;
        memmove(&s->masters[i], &s->masters[i + 1], (s->n_masters - i - 1) * sizeof(*s->masters));
        s->n_masters--;
        break;
    }
    core_drop_instance(s, master);
    core_mark_persist(s);
}

/* ---- sending ----------------------------------------------------------------------------------
 */

static const char *renamed(const struct instance *ri, const char *cmd)
{
    if (ri->kind == INSTANCE_SENTINEL) return cmd;
    const struct instance *master = ri->kind == INSTANCE_MASTER ? ri : ri->master;
    for (size_t i = 0; i < master->record->params.n_renames; i++)
        if (strcasecmp(master->record->params.renames[i].from, cmd) == 0)
            return master->record->params.renames[i].to;
    return cmd;
}

int core_send(struct sentinel *s, struct instance *ri, int argc, const char *const *argv,
              uint32_t tag)
{
    if (!ri->link.is_cmd_connected || argc <= 0 || argc > SENTINEL_SEND_MAX_ARGS) return -1;
    const char *v[SENTINEL_SEND_MAX_ARGS];
    memcpy(v, argv, (size_t)argc * sizeof(*v));
    v[0] = renamed(ri, argv[0]);
    if (s->env.send(s->env.ctx, ri->id, SENTINEL_LINK_CMD, argc, v, tag) != 0) return -1;
    ri->link.pending_commands++;
    return 0;
}

int core_send_slaveof(struct sentinel *s, struct instance *ri, const char *host, int port)
{
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    const char *multi[] = {"MULTI"};
    const char *slaveof[] = {"SLAVEOF", host ? host : "NO", host ? portstr : "ONE"};
    const char *rewrite[] = {"CONFIG", "REWRITE"};
    const char *kill_normal[] = {"CLIENT", "KILL", "TYPE", "normal"};
    const char *kill_pubsub[] = {"CLIENT", "KILL", "TYPE", "pubsub"};
    const char *exec[] = {"EXEC"};
    const char *info[] = {"INFO"};
    if (core_send(s, ri, 1, multi, TAG_IGNORE) != 0) return -1;
    core_send(s, ri, 3, slaveof, TAG_IGNORE);
    core_send(s, ri, 2, rewrite, TAG_IGNORE);
    core_send(s, ri, 4, kill_normal, TAG_IGNORE);
    core_send(s, ri, 4, kill_pubsub, TAG_IGNORE);
    if (core_send(s, ri, 1, exec, TAG_EXEC) != 0) return -1;
    /* The INFO queued behind EXEC shows the outcome one round trip later. */
    if (core_send(s, ri, 1, info, TAG_INFO) == 0) ri->info_sent_ms = core_now(s);
    return 0;
}

/* ---- hellos -------------------------------------------------------------------------------- */

static struct instance *master_of(struct instance *ri)
{
    return ri->kind == INSTANCE_MASTER ? ri : ri->master;
}

void core_send_hello(struct sentinel *s, struct instance *ri, int64_t now_ms)
{
    struct instance *master = master_of(ri);
    struct hello h;
    const char *ip = s->opt.announce_ip ? s->opt.announce_ip : ri->link.local_ip;
    const char *mhost;
    if (ip[0] == '\0' || !ri->link.is_cmd_connected) return;
    memset(&h, 0, sizeof(h));
    snprintf(h.ip, sizeof(h.ip), "%s", ip);
    h.port = s->opt.announce_port ? s->opt.announce_port : s->opt.port;
    memcpy(h.runid, s->myid, sizeof(h.runid));
    h.current_epoch = s->current_epoch;
    snprintf(h.master_name, sizeof(h.master_name), "%s", master->name);
    core_announced_master_addr(s, master, &mhost, &h.master_port);
    snprintf(h.master_ip, sizeof(h.master_ip), "%s", mhost);
    h.master_config_epoch = master->record->config_epoch;
    char payload[HELLO_MAX_LEN + 1];
    if (hello_format(payload, sizeof(payload), &h) == 0) return;
    const char *argv[] = {"PUBLISH", HELLO_CHANNEL, payload};
    if (core_send(s, ri, 3, argv, TAG_PUBLISH) == 0) ri->pub_sent_ms = now_ms;
}

void core_force_hello(struct sentinel *s, struct instance *master)
{
    int64_t now = core_now(s);
    struct master_record *record = master->record;
    master->last_pub_ms = 0;
    core_send_hello(s, master, now);
    for (size_t i = 0; i < record->n_replicas; i++) {
        record->replicas[i]->last_pub_ms = 0;
        core_send_hello(s, record->replicas[i], now);
    }
    for (size_t i = 0; i < record->n_sentinels; i++) {
        record->sentinels[i]->last_pub_ms = 0;
        core_send_hello(s, record->sentinels[i], now);
    }
}

/* ---- votes ---------------------------------------------------------------------------------- */

void core_vote(struct sentinel *s, struct instance *master, uint64_t req_epoch,
               const char *candidate, int64_t now_ms)
{
    struct master_record *record = master->record;
    uint64_t old_epoch = s->current_epoch, old_leader_epoch = record->leader_epoch;
    char old_leader[SENTINEL_RUNID_LEN + 1];
    memcpy(old_leader, record->leader, sizeof(old_leader));
    struct election_vote_outcome out;
    election_cast_vote(&s->current_epoch, record->leader, &record->leader_epoch, req_epoch,
                       candidate, &out);
    if (!out.epoch_adopted && !out.voted) return;
    if (core_persist_now(s) != 0) {
        /* Not durable, so not given: a restart could otherwise vote twice in this epoch. */
        s->current_epoch = old_epoch;
        record->leader_epoch = old_leader_epoch;
        memcpy(record->leader, old_leader, sizeof(old_leader));
        return;
    }
    if (out.epoch_adopted)
        notify_event(s, LOG_WARNING, "+new-epoch", NULL, "%llu",
                     (unsigned long long)s->current_epoch);
    if (out.voted) {
        notify_event(s, LOG_WARNING, "+vote-for-leader", NULL, "%s %llu", record->leader,
                     (unsigned long long)record->leader_epoch);
        if (strcmp(candidate, s->myid) != 0)
            record->failover_not_before_ms =
                MAX(record->failover_not_before_ms, now_ms + record->params.failover_timeout_ms);
    }
}

void core_release_votes(struct sentinel *s, struct instance *master)
{
    struct master_record *record = master->record;
    uint64_t epoch = record->failover_epoch;
    if (epoch == 0) return;
    if (record->leader_epoch == epoch && strcmp(record->leader, s->myid) == 0)
        record->released_epoch = epoch;
    char port[16], ep[24];
    snprintf(port, sizeof(port), "%d", master->port);
    snprintf(ep, sizeof(ep), "%llu", (unsigned long long)epoch);
    const char *argv[] = {"SENTINEL",
                          "vote-release",
                          instance_announced_host(master, s->opt.announce_hostnames),
                          port,
                          ep,
                          s->myid};
    /* Best effort: a peer that misses it keeps its hold until failover-timeout, as before. */
    for (size_t i = 0; i < record->n_sentinels; i++)
        if (record->sentinels[i]->link.is_cmd_connected)
            (void)core_send(s, record->sentinels[i], 6, argv, TAG_IGNORE);
}

/* ---- asking peers ---------------------------------------------------------------------------- */

void core_ask_peers(struct sentinel *s, struct instance *master, bool forced, int64_t now_ms)
{
    struct master_record *record = master->record;
    int64_t period = s->periods.ask_period;
    /* While gathering a quorum, re-ask at PING cadence (ours) rather than every ask-period. */
    if (!(master->flags & SRI_O_DOWN))
        period = MIN(period, monitor_ping_interval_ms(&s->periods, record->params.down_after_ms));
    for (size_t i = 0; i < record->n_sentinels; i++) {
        struct instance *peer = record->sentinels[i];
        if (now_ms - peer->last_master_down_reply_ms > 5 * s->periods.ask_period) {
            peer->flags &= ~SRI_MASTER_DOWN;
            peer->leader[0] = '\0';
            peer->leader_epoch = 0;
        }
        /* A switchover asks for votes although the master is up (switchover.h). */
        bool asking =
            (master->flags & SRI_S_DOWN) ||
            (record->switchover.is_active && record->failover_state == FAILOVER_WAIT_START);
        if (!asking || !peer->link.is_cmd_connected) continue;
        if (!forced) {
            if (now_ms - peer->last_master_down_reply_ms < period) continue;
            if (peer->last_ask_ms > peer->last_master_down_reply_ms &&
                now_ms - peer->last_ask_ms < period)
                continue;
        }
        bool vote = (master->flags & SRI_FAILOVER_IN_PROGRESS) &&
                    record->failover_state == FAILOVER_WAIT_START;
        char port[16], epoch[24];
        snprintf(port, sizeof(port), "%d", master->port);
        snprintf(epoch, sizeof(epoch), "%llu",
                 (unsigned long long)(vote ? record->failover_epoch : s->current_epoch));
        const char *argv[] = {"SENTINEL",
                              "is-master-down-by-addr",
                              instance_announced_host(master, s->opt.announce_hostnames),
                              port,
                              epoch,
                              vote ? s->myid : "*"};
        if (core_send(s, peer, 6, argv, TAG_ASK) == 0) peer->last_ask_ms = now_ms;
    }
}

/* ---- creation -----------------------------------------------------------------------------------
 */

static char *dup_opt(const char *v) { return v && v[0] ? xstrdup(v) : NULL; }

static void restore_master(struct sentinel *s, const struct sentinel_state_master *sm)
{
    struct instance *master = core_add_master(s, sm->name, sm->host, sm->port, &sm->params);
    if (master == NULL) return;
    master->record->config_epoch = sm->config_epoch;
    snprintf(master->record->leader, sizeof(master->record->leader), "%s", sm->leader);
    master->record->leader_epoch = sm->leader_epoch;
    for (size_t j = 0; j < sm->n_replicas; j++) {
        const struct sentinel_state_addr *a = &sm->replicas[j];
        if (instance_find_replica(master, a->host, a->port) == NULL &&
            !(a->port == master->port && strcasecmp(a->host, master->host) == 0))
            core_new_replica(s, master, a->host, a->port, false);
    }
    for (size_t j = 0; j < sm->n_sentinels; j++) {
        const struct sentinel_state_addr *a = &sm->sentinels[j];
        if (strcmp(a->runid, s->myid) != 0 &&
            instance_find_sentinel_by_runid(master, a->runid) == NULL)
            core_new_sentinel(s, master, a->host, a->port, a->runid);
    }
}

struct sentinel *sentinel_create(const struct sentinel_env *env, const struct sentinel_options *opt,
                                 const struct sentinel_state *initial)
{
    struct sentinel *s = xcalloc(1, sizeof(*s));
    s->env = *env;
    s->opt.port = opt->port;
    s->opt.announce_ip = dup_opt(opt->announce_ip);
    s->opt.announce_port = opt->announce_port;
    s->opt.resolve_hostnames = opt->resolve_hostnames;
    s->opt.announce_hostnames = opt->announce_hostnames;
    s->opt.sentinel_user = dup_opt(opt->sentinel_user);
    s->opt.sentinel_pass = dup_opt(opt->sentinel_pass);
    s->opt.requirepass = dup_opt(opt->requirepass);
    s->opt.deny_scripts_reconfig = opt->deny_scripts_reconfig;
    monitor_periods_default(&s->periods);
    if (initial->myid[0] != '\0') {
        memcpy(s->myid, initial->myid, sizeof(s->myid));
    } else {
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < SENTINEL_RUNID_LEN; i++) s->myid[i] = hex[core_random_below(s, 16)];
        s->myid[SENTINEL_RUNID_LEN] = '\0';
        s->persist_wanted = true;
    }
    s->current_epoch = initial->current_epoch;
    for (size_t i = 0; i < initial->n_masters; i++) restore_master(s, &initial->masters[i]);
    s->persist_wanted = initial->myid[0] == '\0';
    s->tick_wanted = true;
    return s;
}

void sentinel_destroy(struct sentinel *s)
{
    if (s == NULL) return;
    for (size_t i = 0; i < s->n_masters; i++) instance_free(s->masters[i]);
    for (size_t i = 0; i < s->n_hello_q; i++) free(s->hello_q[i].payload);
    free(s->index);
    free(s->opt.announce_ip);
    free(s->opt.sentinel_user);
    free(s->opt.sentinel_pass);
    free(s->opt.requirepass);
    free(s);
}
