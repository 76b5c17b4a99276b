/* server: see server.h. The cron runs at `hz` (10 by default): active expiry with a bounded
 * budget, incremental rehash, client timeouts and output limits, replication housekeeping. */
#include "store/acl.h"
#include "store/server.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/conn_listen.h"
#include "common/guard.h"
#include "store/server_tls.h"
#include "common/log.h"
#include "common/net.h"
#include "common/util.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/cmd/cmd_migrate.h"
#include "store/client_evict.h"
#include "store/evict.h"
#include "store/latency.h"
#include "store/lazyfree.h"
#include "store/master_lease.h"
#include "store/command.h"
#include "store/info.h"
#include "store/memstats.h"
#include "store/multi.h"
#include "store/notify.h"
#include "store/persist/aof.h"
#include "store/persist/aof_load.h"
#include "store/persist/bgchild.h"
#include "store/persist/persist_load.h"
#include "store/persist/persist_shutdown.h"
#include "store/persist/rdb_save.h"
#include "store/propagate.h"
#include "store/pubsub.h"
#include "store/tracking.h"
#include "store/repl/repl.h"
#include "store/script/script.h"
#include "store/slowlog.h"

/* Descriptors kept beyond maxclients for the server itself: listeners, epoll, the log, the
 * reserve, replication links, snapshot and AOF files, lazyfree (Redis keeps the same 32). */
#define SERVER_RESERVED_FDS 32

int64_t server_now_ms(const struct server *srv)
{
    /* Wall time derived from the loop's cached monotonic time: one clock read per iteration,
     * and expiry never jumps backwards within a run even if the wall clock is stepped. */
    return srv->start_wall_ms + (loop_now_ms(srv->loop) - srv->start_mono_ms);
}

bool server_is_replica(const struct server *srv)
{
    return srv->cfg.replicaof != NULL && srv->cfg.replicaof[0] != '\0';
}

void server_key_modified(struct server *srv, int db, const char *key, size_t klen)
{
    multi_touch_key(srv, db, key, klen);
    blocking_signal_key(srv, db, key, klen);
    tracking_key_modified(srv, key, klen);
}

void server_db_modified(struct server *srv, int db)
{
    multi_touch_db(srv, db);
    blocking_signal_db(srv, db);
}

static int server_db_index(const struct server *srv, const struct ks *ks)
{
    int db = 0;
    while (db < srv->ndb && srv->db[db] != ks) db++;
    return db;
}

static void on_key_expired(void *ctx, struct ks *ks, const char *key, size_t klen)
{
    struct server *srv = ctx;
    int db = server_db_index(srv, ks);
    srv->stats.expiredkeys++;
    /* Replicas learn of the expiry as a DEL, fed at once: a command that triggered it has its
     * own effect buffered until it ends, so the DEL precedes it in the stream. */
    struct resp_arg argv[2] = {{"DEL", 3}, {key, klen}};
    propagate_now(srv->prop, db, 2, argv);
    /* WATCH, tracking, and blocked clients: a blocked XREADGROUP learns its stream is gone
     * (Redis 7.0). */
    server_key_modified(srv, db, key, klen);
    notify_keyspace_event(srv, NOTIFY_EXPIRED, "expired", key, klen, db);
}

static void on_key_added(void *ctx, struct ks *ks, const char *key, size_t klen)
{
    struct server *srv = ctx;
    if (!(srv->notify_mask & NOTIFY_NEW)) return;
    notify_keyspace_event(srv, NOTIFY_NEW, "new", key, klen, server_db_index(srv, ks));
}

void server_monitor_remove(struct client *c)
{
    struct server *srv = c->srv;
    for (size_t i = 0; i < srv->nmonitors; i++) {
        if (srv->monitor_list[i] != c) continue;
        srv->monitor_list[i] = srv->monitor_list[--srv->nmonitors];
        break;
    }
    c->flags &= ~CLIENT_MONITOR;
}

const char *server_admit_client(struct server *srv, int cfd, const char *ip, struct client **out)
{
    *out = NULL;
    if ((long long)srv->conns.count >= srv->cfg.maxclients || cfd >= (int)srv->cfg.maxclients + 64)
        return CONN_MAXCLIENTS_REPLY;
    if (client_protected_mode_refuses(srv, ip)) return guard_denied_reply();
    *out = client_create(srv, cfd);
    log_verbose("Accepted %s", (*out)->conn.addr);
    return NULL;
}

static const char *server_admit(void *ctx, int cfd, const char *ip)
{
    struct client *c;
    return server_admit_client(ctx, cfd, ip, &c);
}

static void server_cron_clients(struct server *srv)
{
    int64_t now = loop_now_ms(srv->loop);
    for (struct client *c = client_first(srv); c; c = client_next(c)) client_cron(c, now);
}

static int64_t server_clock_us(void *ctx)
{
    UNUSED(ctx);
    return clock_mono_us();
}

/* Active expiry, slow (cron) or fast (before sleep). Replicas wait for their master's DELs. */
static void server_expire_cycle(struct server *srv, enum expire_cycle_kind kind)
{
    /* While loading, the file decides what expires (Redis expires nothing while loading). */
    server_pause_sync(srv); /* a FAILOVER or SHUTDOWN may have begun since the last command */
    /* A pause keeps the dataset still (pause.c), as Redis documents for CLIENT PAUSE. */
    if (server_is_replica(srv) || srv->is_loading || srv->is_expiry_paused) return;
    struct expire_cycle_env env = {
        .clock_us = server_clock_us,
        .effort = (int)srv->cfg.active_expire_effort,
        .hz = (int)srv->cfg.hz,
    };
    int64_t start_us = clock_mono_us();
    expire_cycle_run(&srv->expire, srv->db, srv->ndb, kind, &env, server_now_ms(srv));
    latency_add_sample_if_needed(srv, "expire-cycle", (clock_mono_us() - start_us) / 1000);
}

static int64_t server_cron(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct server *srv = data;
    int64_t now = server_now_ms(srv);
    bool has_child = bgchild_running(srv) != BGCHILD_NONE; /* rehashing would copy its pages */
    for (int i = 0; i < srv->ndb; i++) {
        ks_set_clock(srv->db[i], now);
        if (!has_child) ks_rehash_step(srv->db[i], 100);
    }
    server_expire_cycle(srv, EXPIRE_CYCLE_SLOW);
    memstats_note_peak(srv);
    evict_apply_config(srv); /* databases loaded by a full sync get the LFU mode too */
    server_cron_clients(srv);
    repl_cron(srv);
    bgchild_cron(srv);
    rdb_save_cron(srv);
    persist_shutdown_cron(srv);
    aof_cron(srv);
    log_rate_flush(); /* counts of rate-limited lines whose loop has stopped */
    if (srv->is_shutting_down) loop_stop(srv->loop);
    return 1000 / (srv->cfg.hz > 0 ? srv->cfg.hz : 10);
}

static void server_before_sleep(struct loop *l, void *data)
{
    UNUSED(l);
    struct server *srv = data;
    blocking_serve_ready(srv);
    server_expire_cycle(srv, EXPIRE_CYCLE_FAST);
    /* The AOF first: under `always` no reply carries a write before it is on disk, and the
     * stream sent to replicas here follows the fsync too (Redis flushes replicas with the
     * clients, after its AOF). */
    tracking_before_sleep(srv); /* BCAST messages leave with this iteration's replies */
    aof_before_sleep(srv);
    repl_before_sleep(srv);
    client_evict_run(srv); /* a lowered limit, or memory grown outside the checks */
    conn_set_flush(&srv->conns);
    if (srv->is_shutting_down) loop_stop(srv->loop);
}

void server_request_shutdown(struct server *srv, int exit_code)
{
    srv->is_shutting_down = true;
    srv->shutdown_exit_code = exit_code;
}

void server_apply_config(struct server *srv)
{
    log_set_level((enum log_level)srv->cfg.loglevel);
    loop_set_busy_poll(srv->loop, srv->cfg.busy_poll_us);
    srv->conns.max_query_bytes = srv->cfg.client_query_buffer_limit;
    evict_apply_config(srv);
    store_acl_apply_config(srv);
    rdb_save_apply_config(srv);
    aof_apply_config(srv);
    notify_apply_config(srv);
}

static int server_listen(struct server *srv, char *err, size_t errlen)
{
    size_t n = MIN(srv->cfg.bind.count, (size_t)STORE_MAX_BINDS);
    char detail[256];
    if (server_tls_init(srv, err, errlen) != 0) return -1;
    if (srv->cfg.port == 0) { /* no plaintext listener, as Redis */
        if (srv->cfg.tls_port != 0) return 0;
        snprintf(err, errlen, "Configured to not listen anywhere (port 0 and no tls-port)");
        return -1;
    }
    if (conn_listen_open(&srv->listener, srv->loop, srv->cfg.bind.items, n, (int)srv->cfg.port,
                         server_admit, srv, detail, sizeof detail) != 0) {
        snprintf(err, errlen, "Could not create server TCP listening socket %s", detail);
        return -1;
    }
    srv->port = srv->listener.port;
    return 0;
}

int server_init(struct server *srv, char *err, size_t errlen)
{
    srv->listener.reserve_fd = -1;
    srv->start_wall_ms = clock_wall_ms();
    srv->start_mono_ms = clock_mono_ms();
    srv->lastsave_wall_ms = srv->start_wall_ms;
    util_random_hex(srv->run_id, RUN_ID_LEN);
    srv->run_id[RUN_ID_LEN] = '\0';
    rng_seed(&srv->rng, (uint64_t)clock_wall_us() ^ ((uint64_t)getpid() << 32));
    uint8_t seed[16];
    for (int i = 0; i < 16; i++) seed[i] = (uint8_t)rng_next(&srv->rng);
    dict_set_hash_seed(seed);
    command_table_init();
    if (store_acl_init(srv, err, errlen) != 0) return -1;
    if (net_fit_maxclients(&srv->cfg.maxclients, SERVER_RESERVED_FDS, err, errlen) != 0) return -1;
    srv->loop = loop_create((int)srv->cfg.maxclients + 128);
    if (!srv->loop) {
        snprintf(err, errlen, "cannot create the event loop: %s", strerror(errno));
        return -1;
    }
    conn_set_init(&srv->conns, srv->loop, &client_conn_ops, srv->cfg.client_query_buffer_limit);
    /* The loop's clock starts at the same instant as start_mono_ms. */
    srv->start_mono_ms = loop_now_ms(srv->loop);
    srv->ndb = (int)srv->cfg.databases;
    srv->db = xcalloc((size_t)srv->ndb, sizeof *srv->db);
    for (int i = 0; i < srv->ndb; i++) {
        srv->db[i] = ks_create(rng_next(&srv->rng));
        ks_set_clock(srv->db[i], server_now_ms(srv));
        ks_set_expired_cb(srv->db[i], on_key_expired, srv);
        ks_set_added_cb(srv->db[i], on_key_added, srv);
    }
    srv->pubsub = pubsub_create();
    srv->tracking = tracking_create();
    srv->watches = watch_table_create();
    srv->blocking = blocking_create();
    srv->prop = propagate_create();
    srv->repl = repl_create(srv);
    propagate_add_sink(srv->prop, &(struct propagate_sink){
                                      .is_wanted = repl_sink_is_wanted,
                                      .feed = repl_sink_feed,
                                      .ctx = srv,
                                  });
    srv->lazyfree = lazyfree_create();
    srv->slowlog = slowlog_create();
    srv->latency = latency_create();
    srv->evict = evict_create();
    srv->client_evict = client_evict_create();
    srv->lease = master_lease_create();
    srv->bgchild = bgchild_create();
    srv->rdb_save = rdb_save_create();
    srv->shutdown = persist_shutdown_create();
    rdb_save_remove_stale_temps(srv);
    srv->aof = aof_create();
    server_apply_config(srv);
    if (server_listen(srv, err, errlen) != 0) return -1;
    loop_set_before_sleep(srv->loop, server_before_sleep, srv);
    srv->cron_timer = loop_timer_add(srv->loop, 100, server_cron, srv);
    persist_load_at_start(srv); /* then opens the AOF and starts replication */
    srv->mem_startup = srv->mem_peak = info_used_memory();
    return 0;
}

void server_free(struct server *srv)
{
    aof_load_destroy(srv->aof_load); /* a shutdown during loading */
    conn_set_free_all(&srv->conns);
    store_acl_free(srv);
    persist_load_destroy(srv);
    bgchild_destroy(srv, srv->bgchild);
    rdb_save_destroy(srv->rdb_save);
    persist_shutdown_destroy(srv->shutdown);
    script_engine_destroy(srv->script);
    migrate_cache_free(srv);
    aof_destroy(srv, srv->aof);
    repl_destroy(srv->repl);
    blocking_destroy(srv->blocking);
    watch_table_destroy(srv->watches);
    pubsub_destroy(srv->pubsub);
    tracking_destroy(srv->tracking);
    for (int i = 0; i < srv->ndb; i++) ks_destroy(srv->db[i]);
    free(srv->db);
    lazyfree_destroy(srv->lazyfree); /* joins the thread once it has freed all it holds */
    slowlog_destroy(srv->slowlog);
    latency_destroy(srv->latency);
    conn_listen_close(&srv->listener);
    server_tls_free(srv);
    propagate_destroy(srv->prop);
    evict_destroy(srv->evict);
    master_lease_destroy(srv->lease);
    client_evict_destroy(srv->client_evict);
    free(srv->monitor_list);
    free(srv->paused);
    loop_destroy(srv->loop);
    cfg_free(&store_config_schema, &srv->cfg);
}
