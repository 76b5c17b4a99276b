/* server: the vigil-store process context. One `struct server` owns the event loop, the
 * listening sockets, the databases, the clients, pub/sub, statistics and the replication state.
 * It is passed explicitly (through each client's `srv`), never reached through a global, so tests
 * can build one without a process around it.
 *
 * Flow of a request: client.c reads bytes into the client's query buffer and hands complete
 * commands to command_execute() (command.c), which checks arity, auth, transaction and role
 * rules, runs the handler, and propagates writes to replicas; handlers append replies with the
 * reply_*() helpers (reply.h). Replies are flushed in the loop's before-sleep hook. */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/loop.h"
#include "common/resp.h"
#include "common/rng.h"
#include "store/data/dict.h"
#include "store/data/keyspace.h"
#include "store/store_config.h"

#define VIGIL_VERSION "0.1.0"
#define VIGIL_REDIS_COMPAT_VERSION "7.0.0"
#define RUN_ID_LEN 40

struct client;
struct command;
struct repl;
struct pubsub;
struct blocking;

/* Client flags. */
enum {
    CLIENT_MULTI = 1 << 0,      /* inside MULTI */
    CLIENT_DIRTY_EXEC = 1 << 1, /* a queued command was rejected: EXEC aborts */
    CLIENT_DIRTY_CAS = 1 << 2,  /* a watched key was touched: EXEC returns null */
    CLIENT_CLOSE_AFTER_REPLY = 1 << 3,
    CLIENT_CLOSE_ASAP = 1 << 4,
    CLIENT_PUBSUB = 1 << 5,  /* has subscriptions (RESP2 subscribed mode) */
    CLIENT_REPLICA = 1 << 6, /* a replica attached to us */
    CLIENT_MASTER = 1 << 7,  /* our link to our master (commands applied, no replies) */
    CLIENT_BLOCKED = 1 << 8,
    CLIENT_MONITOR = 1 << 9,
    CLIENT_PENDING_WRITE = 1 << 10,
    CLIENT_NO_EVICT = 1 << 11,
    CLIENT_REPLY_OFF = 1 << 12,
    CLIENT_REPLY_SKIP_NEXT = 1 << 13,
    CLIENT_REPLY_SKIP = 1 << 14,
    CLIENT_AUTHENTICATED = 1 << 15,
    CLIENT_EXECUTING = 1 << 16, /* inside command_execute: closing must be deferred */
    CLIENT_FAKE = 1 << 17,      /* no socket (loading, tests) */
    CLIENT_PAUSED = 1 << 18,    /* a write waits for a FAILOVER's pause to end */
};

struct queued_cmd {
    struct command *cmd;
    size_t argc;
    struct resp_arg *argv; /* owned copies */
};

struct client {
    uint64_t id;
    int fd;
    struct server *srv;
    unsigned flags;
    int proto; /* 2 or 3 */
    int db;
    char addr[64], laddr[64]; /* "ip:port" */
    char *name;
    char *lib_name, *lib_ver;
    struct buf query;
    struct resp_request parser;
    size_t argc;
    struct resp_arg *argv; /* current command (into query, or into a queued copy) */
    struct command *cmd, *last_cmd;
    struct buf reply;
    int64_t ctime_ms, last_interaction_ms; /* monotonic */
    int64_t obuf_soft_since_ms;            /* when the soft limit was first exceeded, 0 if not */
    /* transactions */
    struct queued_cmd *mstate;
    size_t mcount, mcap;
    struct watched_key *watched; /* linked list of this client's WATCHes */
    /* pub/sub */
    struct dict *channels, *patterns; /* sets of names this client subscribed to */
    /* blocking (lists, zsets, WAIT) */
    struct blocked_state *bstate;
    /* replication: the write offset of this client's last propagated command (for WAIT) */
    long long woff;
    struct replica_info *replica; /* when CLIENT_REPLICA */
    struct client *prev, *next;   /* all clients */
    struct client *pending_next;  /* clients with replies to flush */
};

struct server_stats {
    uint64_t numcommands, numconnections, rejected_conn, expiredkeys;
    uint64_t keyspace_hits, keyspace_misses, net_input_bytes, net_output_bytes;
    uint64_t sync_full, sync_partial_ok, sync_partial_err;
    uint64_t evicted_clients, total_error_replies, pubsub_messages;
};

struct server {
    struct loop *loop;
    struct store_config cfg;
    char *config_path; /* the operator's YAML file, NULL when none (never rewritten) */
    int listen_fds[STORE_MAX_BINDS];
    size_t nlisten;
    int reserve_fd;              /* spare descriptor spent to turn a client away when out of fds */
    uint64_t listen_pause_timer; /* nonzero while the listeners are unwatched after an error */
    int port;                    /* actual listening port */
    struct ks **db;
    int ndb;
    struct rng rng;
    char run_id[RUN_ID_LEN + 1];
    struct client *clients; /* doubly linked list of all clients */
    size_t nclients;
    uint64_t next_client_id;
    struct client *pending_writes;
    struct server_stats stats;
    long long dirty; /* write counter: handlers bump it when they change data */
    int64_t start_wall_ms, start_mono_ms, lastsave_wall_ms;
    uint64_t cron_timer;
    struct pubsub *pubsub;
    struct watch_table *watches;
    struct blocking *blocking;
    struct repl *repl;         /* replication state (repl_master.c / repl_replica.c) */
    struct lazyfree *lazyfree; /* background freeing (UNLINK, FLUSH* ASYNC, resync) */
    struct slowlog *slowlog;
    struct client **monitor_list; /* MONITOR clients (nmonitors of them) */
    struct client **paused;       /* clients holding a write back during a FAILOVER pause */
    size_t npaused, paused_cap;
    size_t nmonitors;
    /* Propagation of the command being executed (command.c): what to feed to replicas after it. */
    struct buf prop_buf;
    size_t prop_count;
    int prop_db;          /* db the buffered commands run in */
    bool prop_overridden; /* the running handler chose what to propagate */
    size_t prop_call_len; /* prop_buf length when the running handler started */
    size_t prop_call_count;
    int call_depth; /* > 0 inside command_call (EXEC nests) */
    bool is_loading;
    bool is_shutting_down;
    int shutdown_exit_code;
    char executable[512];
};

/* Lifecycle. server_init returns 0 or -1 with a message in err (config already loaded into cfg). */
int server_init(struct server *srv, char *err, size_t errlen);
void server_free(struct server *srv);
/* Ask the loop to stop after this iteration; exit code for main. */
void server_request_shutdown(struct server *srv, int exit_code);

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

/* FAILOVER pauses writes: a client whose next command is a write stops reading until the
 * pause ends; then its input is processed again from that command, through every check. */
bool server_must_pause(struct client *c, size_t argc, const struct resp_arg *argv);
void server_pause_client(struct client *c);
void server_unpause_clients(struct server *srv);
void server_forget_paused(struct client *c);

/* Stop sending MONITOR output to c. */
void server_monitor_remove(struct client *c);

/* Apply the log and client settings from cfg (after CONFIG SET). */
void server_apply_config(struct server *srv);

#endif
