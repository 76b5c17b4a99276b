/* server: the vigil-store process context. One `struct server` owns the event loop, the
 * listening sockets, the databases, the clients, pub/sub, statistics and the replication state.
 * It is passed explicitly (through each client's `srv`), never reached through a global, so tests
 * can build one without a process around it.
 *
 * Flow of a request: the shared connection layer (common/conn.c) reads bytes into the client's
 * query buffer and hands complete commands to client.c, which passes them to command_execute()
 * (command.c); that checks arity, auth, transaction and role rules, runs the handler, and
 * propagates writes to replicas; handlers append replies with the reply_*() helpers
 * (common/reply.h). Replies are flushed in the loop's before-sleep hook. */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/conn.h"
#include "common/conn_listen.h"
#include "common/loop.h"
#include "common/version.h"
#include "common/resp.h"
#include "common/rng.h"
#include "store/data/dict.h"
#include "store/data/expire_cycle.h"
#include "store/data/keyspace.h"
#include "store/store_config.h"

#define RUN_ID_LEN 40

struct client;
struct command;
struct acl_state;
struct repl;
struct pubsub;
struct blocking;
struct propagate;
struct evict;
struct client_evict;
struct bgchild;
struct rdb_save;
struct persist_shutdown;
struct aof;
struct persist_load;
struct script_engine;
struct master_lease;
struct latency;

struct server_stats {
    uint64_t numcommands, expiredkeys;
    uint64_t evictedkeys; /* evict.c */
    uint64_t keyspace_hits, keyspace_misses;
    uint64_t sync_full, sync_partial_ok, sync_partial_err;
    uint64_t pubsub_messages;
    uint64_t evictedclients; /* client_evict.c */
};

/* Progress of a load (the RDB at start, the AOF) for INFO's loading_* fields; meaningful while
 * is_loading. */
struct server_loading {
    int64_t start_wall_ms;
    uint64_t total_bytes, loaded_bytes;
};

struct aof_load;
struct server_tls;

/* Pauses (pause.c, declared below). */
enum server_pause_type { PAUSE_NONE, PAUSE_WRITE, PAUSE_ALL };
struct server_client_pause {
    enum server_pause_type type; /* PAUSE_NONE when no CLIENT PAUSE is in force */
    int64_t end_mono_ms;
    uint64_t timer;
};

struct server {
    struct loop *loop;
    struct store_config cfg;
    char *config_path;             /* the operator's YAML file, NULL when none (never rewritten) */
    struct conn_listener listener; /* the listening sockets and the accept loop */
    int port;                      /* actual listening port */
    struct server_tls *tls;        /* TLS context and listener (server_tls.h), NULL without TLS */
    struct ks **db;
    int ndb;
    struct rng rng;
    char run_id[RUN_ID_LEN + 1];
    struct conn_set conns; /* every client (conn.h), pending writes, network counters */
    struct acl_state *acl; /* users, ACL LOG (acl.h) */
    struct server_stats stats;
    struct expire_cycle expire;   /* active expiry state and its INFO figures */
    size_t mem_startup, mem_peak; /* used_memory after start-up, and its highest value seen */
    long long dirty;              /* write counter: handlers bump it when they change data */
    int64_t start_wall_ms, start_mono_ms, lastsave_wall_ms;
    uint64_t cron_timer;
    struct pubsub *pubsub;
    struct watch_table *watches;
    struct blocking *blocking;
    struct repl *repl;         /* replication state (repl_master.c / repl_replica.c) */
    struct lazyfree *lazyfree; /* background freeing (UNLINK, FLUSH* ASYNC, resync) */
    struct slowlog *slowlog;
    struct latency *latency;      /* LATENCY's monitor and histograms (latency.h) */
    struct client **monitor_list; /* MONITOR clients (nmonitors of them) */
    struct client **paused;       /* clients holding a write back during a FAILOVER pause */
    size_t npaused, paused_cap;
    size_t nmonitors;
    struct propagate *prop;  /* what executed commands feed to replicas (propagate.h) */
    struct evict *evict;     /* maxmemory: eviction state (evict.h) */
    struct bgchild *bgchild; /* the background child of persistence (persist/bgchild.h) */
    struct aof *aof;         /* the append-only file (persist/aof.h) */
    int call_depth;          /* > 0 inside command_call (EXEC nests) */
    bool is_loading;
    struct server_loading loading;
    struct aof_load *aof_load; /* the AOF being loaded at start (persist/aof_load.h), or NULL */
    bool is_shutting_down;
    int shutdown_exit_code;
    /* Snapshots, the saving side (persist/rdb_save.h); SHUTDOWN and the stop signals
     * (persist/persist_shutdown.h). */
    struct rdb_save *rdb_save;
    struct persist_shutdown *shutdown;
    char executable[512];
    struct client_evict *client_evict; /* maxmemory-clients (client_evict.h) */
    struct persist_load *load;         /* loading at start, DEBUG RELOAD (persist/persist_load.h) */
    struct script_engine *script;      /* Lua scripting (script/script.h), made on first use */
    struct master_lease *lease;        /* sentinels' leases on this master (master_lease.h) */
    unsigned notify_mask;              /* notify-keyspace-events as NOTIFY_* bits (notify.h) */
    struct migrate_cache *migrate_cache;     /* MIGRATE's cached connections (cmd/cmd_migrate.c) */
    struct tracking *tracking;               /* client-side caching (tracking.h) */
    struct server_client_pause client_pause; /* CLIENT PAUSE's (pause.c) */
    bool is_expiry_paused;                   /* the keyspaces hide expired keys for a pause */
};

/* Lifecycle. server_init returns 0 or -1 with a message in err (config already loaded into cfg). */
int server_init(struct server *srv, char *err, size_t errlen);
void server_free(struct server *srv);
/* Ask the loop to stop after this iteration; exit code for main. */
void server_request_shutdown(struct server *srv, int exit_code);
/* A listener's admit step: maxclients, then protected mode. NULL with *out the new client, or
 * the refusal line for the listener to deliver (conn_admit_fn) with *out NULL. */
const char *server_admit_client(struct server *srv, int cfd, const char *ip, struct client **out);

/* Current unix time in ms for expiry decisions (the loop's cached time, wall clock based). */
int64_t server_now_ms(const struct server *srv);
/* CONFIG REWRITE's file (<dir>/vigil-store.overrides.yaml), also written on role changes
 * (repl.c). 0, or -1 with a message. */
int server_rewrite_overrides(struct server *srv, char *err, size_t errlen);
/* Role helpers used by the command layer. */
bool server_is_replica(const struct server *srv);

/* A key changed (or was deleted): invalidates WATCHes and wakes clients blocked on it. */
void server_key_modified(struct server *srv, int db, const char *key, size_t klen);
/* Every key of a database changed (FLUSHDB, SWAPDB): invalidates its WATCHes. */
void server_db_modified(struct server *srv, int db);

/* Pauses (pause.c): CLIENT PAUSE (WRITE or ALL, until a deadline or CLIENT UNPAUSE), and the
 * write pauses of FAILOVER and of a SHUTDOWN waiting for replicas, through one mechanism: a
 * client whose next command must wait stops reading until the pause ends; then its input is
 * processed again from that command, through every check. While any pause lasts, reads hide
 * expired keys without deleting them and nothing is evicted, as in Redis 7.0. */
enum server_pause_type server_pause_type(const struct server *srv);
bool server_must_pause(struct client *c, size_t argc, const struct resp_arg *argv);
void server_pause_client(struct client *c);
/* A pause may have ended: every held client retries its command (those still held wait again). */
void server_unpause_clients(struct server *srv);
void server_forget_paused(struct client *c);
/* CLIENT PAUSE: a second call keeps the stronger type and the later deadline, as Redis. */
void server_client_pause(struct server *srv, enum server_pause_type type, int64_t end_mono_ms);
void server_client_unpause(struct server *srv);
/* Apply the pause to the keyspaces (hide expired keys rather than delete them). */
void server_pause_sync(struct server *srv);

/* Stop sending MONITOR output to c. */
void server_monitor_remove(struct client *c);

/* Apply the log and client settings from cfg (after CONFIG SET). */
void server_apply_config(struct server *srv);

#endif
