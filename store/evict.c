/* evict: see evict.h. The shape is Redis 7.0's: for LRU, LFU and volatile-ttl, each eviction
 * samples maxmemory-samples keys of every database into a pool of the best candidates
 * (evict_pool.h) and deletes the best one still present; the random policies pick a random key,
 * visiting the databases in turn. Freed bytes are measured (memcount before and after the
 * delete), not estimated. */
#include "store/evict.h"
#include "store/persist/aof.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "store/client.h"
#include "store/client_evict.h"
#include "store/command.h"
#include "store/data/evict_pool.h"
#include "store/latency.h"
#include "store/memcount.h"
#include "store/notify.h"
#include "store/multi.h"
#include "store/propagate.h"
#include "store/reply.h"
#include "store/server.h"
#include "store/repl/repl.h"

#define SAMPLES_MAX 64 /* keys sampled per database per eviction, whatever the setting */
#define TIME_CHECK_EVERY 16
#define BACKGROUND_DELAY_MS 0

struct evict {
    struct evict_pool pool;
    uint64_t timer; /* the background continuation, 0 when not running */
    int next_db;    /* the random policies' turn */
    long long last_maxmemory;
};

struct evict *evict_create(void)
{
    struct evict *ev = xcalloc(1, sizeof *ev);
    evict_pool_init(&ev->pool);
    return ev;
}

void evict_destroy(struct evict *ev)
{
    if (!ev) return;
    evict_pool_clear(&ev->pool);
    free(ev);
}

uint64_t evict_keys_evicted(const struct server *srv) { return srv->stats.evictedkeys; }

/* As Redis: replication buffers and the AOF buffer are not data, so not evicted for. */
size_t evict_not_counted(const struct server *srv)
{
    return repl_mem_not_counted(srv) + aof_buffer_bytes(srv);
}

static bool policy_is_volatile(int p) { return p <= MM_VOLATILE_TTL; }
static bool policy_is_random(int p) { return p == MM_VOLATILE_RANDOM || p == MM_ALLKEYS_RANDOM; }
static bool policy_is_lfu(int p) { return p == MM_VOLATILE_LFU || p == MM_ALLKEYS_LFU; }

static enum ks_score policy_score(int p)
{
    if (p == MM_VOLATILE_TTL) return KS_SCORE_TTL;
    return policy_is_lfu(p) ? KS_SCORE_LFU : KS_SCORE_IDLE;
}

/* Bytes over the limit, 0 when under (or when this node does not evict). */
static size_t evict_over_bytes(const struct server *srv)
{
    if (srv->cfg.maxmemory <= 0) return 0;
    if (server_is_replica(srv) && srv->cfg.replica_ignore_maxmemory) return 0;
    size_t used = memcount_used(), skip = evict_not_counted(srv);
    used = used > skip ? used - skip : 0;
    return used > (size_t)srv->cfg.maxmemory ? used - (size_t)srv->cfg.maxmemory : 0;
}

/* Redis's time box: 50 us per tenacity step up to 10, then 15% more per step, 100 unlimited. */
static int64_t evict_time_limit_us(long long tenacity)
{
    if (tenacity <= 10) return 50 * tenacity;
    if (tenacity < 100) return (int64_t)(500.0 * pow(1.15, (double)(tenacity - 10)));
    return INT64_MAX;
}

/* Fill the pool from every database; true if some database had candidates. */
static bool evict_pool_fill(struct server *srv, struct evict *ev)
{
    int policy = srv->cfg.maxmemory_policy;
    size_t n = (size_t)MIN(srv->cfg.maxmemory_samples, (long long)SAMPLES_MAX);
    struct ks_entry *picks[SAMPLES_MAX];
    bool any = false;
    for (int db = 0; db < srv->ndb; db++) {
        struct ks *ks = srv->db[db];
        size_t got = ks_sample(ks, policy_is_volatile(policy), picks, n);
        any = any || got > 0;
        for (size_t i = 0; i < got; i++) {
            size_t klen;
            const char *key = ks_entry_key(picks[i], &klen);
            evict_pool_insert(&ev->pool, ks_entry_evict_score(ks, picks[i], policy_score(policy)),
                              db, key, klen);
        }
    }
    return any;
}

/* The next key to evict, or NULL (nothing left that the policy may evict). */
static struct ks_entry *evict_pick(struct server *srv, struct evict *ev, int *db_out)
{
    int policy = srv->cfg.maxmemory_policy;
    if (policy_is_random(policy)) {
        for (int i = 0; i < srv->ndb; i++) {
            int db = (ev->next_db++) % srv->ndb;
            struct ks_entry *e;
            if (ks_sample(srv->db[db], policy_is_volatile(policy), &e, 1) == 1) {
                *db_out = db;
                return e;
            }
        }
        return NULL;
    }
    for (;;) {
        if (!evict_pool_fill(srv, ev)) return NULL;
        struct evict_cand c;
        while (evict_pool_pop(&ev->pool, &c)) {
            struct ks_entry *e = ks_find(srv->db[c.db], evict_cand_key(&c), c.klen);
            int db = c.db;
            evict_cand_release(&c);
            if (!e || (policy_is_volatile(policy) && ks_entry_expire_ms(e) == KS_NO_EXPIRE))
                continue; /* gone, or no longer volatile, since it was sampled */
            *db_out = db;
            return e;
        }
    }
}

/* Delete one key as an eviction: a DEL to replicas first, WATCHers told. Returns bytes freed. */
static size_t evict_delete(struct server *srv, int db, struct ks_entry *e)
{
    size_t klen;
    const char *key = ks_entry_key(e, &klen);
    struct resp_arg argv[2] = {{"DEL", 3}, {key, klen}};
    propagate_now(srv->prop, db, 2, argv);
    server_key_modified(srv, db, key, klen);
    /* Before the delete frees the key bytes, and outside the measured span (the message's
     * buffers are not what the eviction freed). */
    notify_keyspace_event(srv, NOTIFY_EVICTED, "evicted", key, klen, db);
    size_t before = memcount_used();
    ks_delete_entry(srv->db[db], e);
    size_t after = memcount_used();
    srv->stats.evictedkeys++;
    return before > after ? before - after : 0;
}

static int64_t evict_background(struct loop *l, uint64_t id, void *data);

static enum evict_result evict_run(struct server *srv, int64_t start)
{
    struct evict *ev = srv->evict;
    size_t to_free = evict_over_bytes(srv);
    if (to_free == 0) return EVICT_OK;
    if (server_pause_type(srv) != PAUSE_NONE) return EVICT_OK; /* the dataset stays still */
    if (srv->cfg.maxmemory_policy == MM_NOEVICTION) return EVICT_FAIL;
    int64_t limit = evict_time_limit_us(srv->cfg.maxmemory_eviction_tenacity);
    size_t freed = 0, keys = 0;
    while (freed < to_free) {
        int db;
        struct ks_entry *e = evict_pick(srv, ev, &db);
        if (!e) return EVICT_FAIL;
        freed += evict_delete(srv, db, e);
        if (++keys % TIME_CHECK_EVERY == 0 && clock_mono_us() - start > limit) {
            if (!ev->timer)
                ev->timer = loop_timer_add(srv->loop, BACKGROUND_DELAY_MS, evict_background, srv);
            return EVICT_RUNNING;
        }
    }
    return EVICT_OK;
}

/* Timed for LATENCY's "eviction-cycle" when the latency monitor is on. */
enum evict_result evict_perform(struct server *srv)
{
    int64_t start = clock_mono_us();
    enum evict_result r = evict_run(srv, start);
    if (srv->cfg.latency_monitor_threshold > 0)
        latency_add_sample_if_needed(srv, "eviction-cycle", (clock_mono_us() - start) / 1000);
    return r;
}

/* Continue a time-boxed eviction on later loop iterations until under the limit. */
static int64_t evict_background(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct server *srv = data;
    srv->evict->timer = 0;
    evict_perform(srv); /* re-arms this timer (cleared above) while time boxes run out */
    return LOOP_TIMER_STOP;
}

static bool command_is(const struct command *cmd, const char *name)
{
    return strcmp(cmd->name, name) == 0;
}

/* Redis's rule: denyoom commands; inside MULTI anything but EXEC, DISCARD, QUIT and RESET (the
 * queue itself grows); EXEC when it holds a denyoom command. */
static bool evict_is_denied(const struct client *c, const struct command *cmd)
{
    if (cmd->flags & CMD_DENYOOM) return true;
    if (command_is(cmd, "exec")) {
        for (size_t i = 0; (c->flags & CLIENT_MULTI) && i < c->mcount; i++)
            if (c->mstate[i].cmd->flags & CMD_DENYOOM) return true;
        return false;
    }
    return (c->flags & CLIENT_MULTI) && !command_is(cmd, "discard") && !command_is(cmd, "quit") &&
           !command_is(cmd, "reset");
}

bool evict_rejects(struct client *c, struct command *cmd)
{
    struct server *srv = c->srv;
    if (srv->cfg.maxmemory <= 0 || (c->flags & CLIENT_MASTER)) return false;
    if (evict_perform(srv) != EVICT_FAIL || !evict_is_denied(c, cmd)) return false;
    if (command_is(cmd, "exec") && (c->flags & CLIENT_MULTI)) {
        /* As Redis: the transaction is dropped, the reply says why. */
        reply_error(c, "EXECABORT Transaction discarded because of: " ERR_OOM);
        multi_discard(c);
        multi_unwatch_all(c);
        return true;
    }
    reply_error(c, ERR_OOM);
    return true;
}

void evict_apply_config(struct server *srv)
{
    bool lfu = policy_is_lfu(srv->cfg.maxmemory_policy);
    for (int i = 0; i < srv->ndb; i++)
        ks_set_lfu(srv->db[i], lfu, srv->cfg.lfu_log_factor, srv->cfg.lfu_decay_time);
    struct evict *ev = srv->evict;
    if (srv->cfg.maxmemory != ev->last_maxmemory) {
        ev->last_maxmemory = srv->cfg.maxmemory;
        if (evict_over_bytes(srv) > 0) {
            log_warning("WARNING: the new maxmemory value set via CONFIG SET (%lld) is smaller "
                        "than the current memory usage: evicting keys (policy %s).",
                        srv->cfg.maxmemory, store_maxmemory_policies[srv->cfg.maxmemory_policy]);
            evict_perform(srv);
        }
    }
}

/* ---- CONFIG SET values, checked with Redis's messages ---- */

/* A memory value as redis.conf writes them: digits, then b, k, kb, m, mb, g or gb. */
static int check_memory(const char *v, char *err, size_t errlen)
{
    static const char *const units[] = {"", "b", "k", "kb", "m", "mb", "g", "gb"};
    size_t digits = strspn(v, "0123456789");
    bool ok = digits > 0;
    bool unit_ok = false;
    for (size_t i = 0; ok && i < ARRAY_LEN(units); i++)
        unit_ok = unit_ok || strcasecmp(v + digits, units[i]) == 0;
    if (ok && unit_ok) return 0;
    snprintf(err, errlen, "argument must be a memory value");
    return -1;
}

int evict_config_check(const char *key, const char *value, char *err, size_t errlen)
{
    /* The integer keys get Redis's texts from CONFIG SET's generic integer path. */
    if (strcasecmp(key, "maxmemory") == 0 || strcasecmp(key, "hll-sparse-max-bytes") == 0)
        return check_memory(value, err, errlen);
    if (strcasecmp(key, "maxmemory-clients") == 0)
        return client_evict_config_check(value, err, errlen);
    if (strcasecmp(key, "replica-ignore-maxmemory") == 0) {
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "no") == 0) return 0;
        snprintf(err, errlen, "argument must be 'yes' or 'no'");
        return -1;
    }
    if (strcasecmp(key, "maxmemory-policy") == 0) {
        for (size_t i = 0; store_maxmemory_policies[i]; i++)
            if (strcasecmp(value, store_maxmemory_policies[i]) == 0) return 0;
        size_t n = (size_t)snprintf(err, errlen, "argument(s) must be one of the following: ");
        for (size_t i = 0; store_maxmemory_policies[i] && n < errlen; i++)
            n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "",
                                  store_maxmemory_policies[i]);
        return -1;
    }
    return 0;
}

/* ---- INFO ---- */

/* Redis's bytesToHuman: B below 1K, then two decimals. */
static void evict_human(char *out, size_t len, long long n)
{
    static const char units[] = "KMGTPE";
    double d = (double)n;
    if (n < 1024) {
        snprintf(out, len, "%lldB", n);
        return;
    }
    int i = -1;
    while (d >= 1024 && i < 5) {
        d /= 1024;
        i++;
    }
    snprintf(out, len, "%.2f%c", d, units[i]);
}

void evict_info_memory(struct server *srv, struct buf *out)
{
    char human[32];
    evict_human(human, sizeof human, srv->cfg.maxmemory);
    buf_printf(out, "maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n",
               srv->cfg.maxmemory, human, store_maxmemory_policies[srv->cfg.maxmemory_policy]);
}
