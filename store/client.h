/* client: the store's side of one connection. struct client starts with the shared struct conn
 * (common/conn.h: socket, query buffer and parser, reply buffer, name, protocol; reading,
 * pipelined parsing, writing in the before-sleep hook and deferred closing live there) and adds
 * what the store needs: database, current command, transaction queue, subscriptions, blocking
 * and replication state. client.c is the store's conn_ops: how a command runs (pauses, the master
 * link's offsets, blocked clients served after each command), what closing releases, and who the
 * one "default" user is. A client is never freed inside its own callback: client_close_async()
 * marks it and the loop frees it after the current iteration. */
#ifndef VIGIL_CLIENT_H
#define VIGIL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/conn.h"
#include "common/acl.h"
#include "store/data/mem_rank.h"
#include "store/server.h"

/* The store's own client flags; the connection's (closing, pending write, authenticated,
 * subscribed, CLIENT REPLY) are CONN_* in conn.flags. */
enum {
    CLIENT_MULTI = 1 << 0,      /* inside MULTI */
    CLIENT_DIRTY_EXEC = 1 << 1, /* a queued command was rejected: EXEC aborts */
    CLIENT_DIRTY_CAS = 1 << 2,  /* a watched key was touched: EXEC returns null */
    CLIENT_REPLICA = 1 << 3,    /* a replica attached to us */
    CLIENT_MASTER = 1 << 4,     /* our link to our master (commands applied, no replies) */
    CLIENT_BLOCKED = 1 << 5,
    CLIENT_MONITOR = 1 << 6,
    CLIENT_NO_EVICT = 1 << 7,
    CLIENT_EXECUTING = 1 << 8,   /* inside command_execute: closing must be deferred */
    CLIENT_PAUSED = 1 << 9,      /* a write waits for a FAILOVER's pause to end */
    CLIENT_AOF_LOADER = 1 << 10, /* replays the append-only file (persist/aof_load.c) */
};

struct queued_cmd {
    struct command *cmd;
    size_t argc;
    struct resp_arg *argv; /* owned copies */
};

struct client {
    struct conn conn; /* first: the shared connection (socket, buffers, name, protocol) */
    struct server *srv;
    unsigned flags;
    int db;
    size_t argc;
    struct resp_arg *argv; /* current command (into query, or into a queued copy) */
    struct command *cmd, *last_cmd;
    int64_t obuf_soft_since_ms; /* when the soft limit was first exceeded, 0 if not */
    /* transactions */
    struct queued_cmd *mstate;
    size_t mcount, mcap;
    size_t mbytes;               /* bytes of the queued commands' argument copies */
    struct watched_key *watched; /* linked list of this client's WATCHes */
    /* pub/sub */
    struct dict *channels, *patterns; /* sets of names this client subscribed to */
    struct dict *shard_channels;      /* SSUBSCRIBE's, a namespace of their own */
    /* blocking (lists, zsets, WAIT) */
    struct blocked_state *bstate;
    /* replication: the write offset of this client's last propagated command (for WAIT) */
    long long woff;
    long long aof_woff; /* the AOF's fed offset after this client's last write (WAITAOF) */
    struct replica_info *replica; /* when CLIENT_REPLICA */
    /* client eviction (client_evict.h): what this client adds to the clients' total, and its
     * place among the evictable clients */
    size_t mem_counted_bytes;
    struct mem_rank_node mem_node;
    struct tracking_client *tracking; /* client-side caching, NULL when off (tracking.h) */
    /* ACL (acl.h): the user this client runs as (NULL: "default"), and the table entry found
     * for it while the users table kept its version */
    char *user;
    const struct acl_user *acl_user;
    uint64_t acl_generation, acl_version;
};
_Static_assert(offsetof(struct client, conn) == 0, "conn.h: struct conn comes first");

/* Commands applied as written, whatever our own state or limits say (Redis's "must obey"):
 * the master link's stream and the append-only file being replayed. Every key looks live to
 * them (expiry is decided by whoever wrote the stream) and our size limits do not apply. */
static inline bool client_must_obey(const struct client *c)
{
    return (c->flags & (CLIENT_MASTER | CLIENT_AOF_LOADER)) != 0;
}

/* The client of a connection of the store's set; the first and the next client of the server
 * (NULL at the end). */
static inline struct client *client_of(struct conn *k) { return (struct client *)(void *)k; }
static inline struct client *client_first(const struct server *srv)
{
    return (struct client *)(void *)srv->conns.head;
}
static inline struct client *client_next(const struct client *c)
{
    return (struct client *)(void *)c->conn.next;
}

/* The store's side of its connections (client.c). */
extern const struct conn_ops client_conn_ops;

/* Create a client for an accepted socket (fd >= 0) or a fake one (fd -1). Owned by srv. */
struct client *client_create(struct server *srv, int fd);
/* Close now (must not be the client currently executing a command). */
void client_free(struct client *c);
/* Protected mode, for a connection just accepted from ip: true if it must be refused (with
 * guard_denied_reply; the listener delivers it and counts the rejection). */
bool client_protected_mode_refuses(struct server *srv, const char *ip);
/* Close after the current iteration; safe anywhere, including from the client's own command. */
static inline void client_close_async(struct client *c) { conn_close_async(&c->conn); }
/* True while the client must still AUTH (a password is set and it has not given it). */
bool client_auth_required(const struct client *c);
/* Parse and run what is in the query buffer (a paused or unblocked client resumes). */
static inline void client_process_input(struct client *c) { conn_process_input(&c->conn); }
/* Enforce the output-buffer limits of the client's class; closes it (async) when exceeded.
 * Returns true if the client was scheduled for closing. */
bool client_check_obuf(struct client *c);
/* The memory a client uses, as tot-mem, mem_clients_normal and maxmemory-clients count it: the
 * structure, query and reply buffers (capacity; the arguments being run point into the query
 * buffer), the parser's argument table, the MULTI queue, subscriptions and name. */
size_t client_memory_bytes(const struct client *c);
/* CLIENT LIST / CLIENT INFO line for one client (no trailing newline). */
void client_format_info(const struct client *c, struct buf *out);
/* "normal", "replica", "master" or "pubsub" (CLIENT KILL TYPE, CLIENT LIST). */
const char *client_type_name(const struct client *c);
/* Release the current command's argv when it does not point into the query buffer. */
void client_reset_argv(struct client *c);
/* Cron: idle timeout and soft output limits; returns true if c was closed. */
bool client_cron(struct client *c, int64_t now_mono_ms);

#endif
