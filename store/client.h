/* client: one connection. Owns its query buffer, parser, reply buffer and transaction queue.
 * Reading parses and executes every complete command in the buffer (pipelining); replies are
 * written in the before-sleep hook, and only what the socket does not take waits for
 * writability. A client is never freed inside its own callback: client_close_async() marks it and
 * the loop frees it after the current iteration. */
#ifndef VIGIL_CLIENT_H
#define VIGIL_CLIENT_H

#include "store/server.h"

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

/* Create a client for an accepted socket (fd >= 0) or a fake one (fd -1). Owned by srv. */
struct client *client_create(struct server *srv, int fd);
/* Close now (must not be the client currently executing a command). */
void client_free(struct client *c);
/* Protected mode, for a connection just accepted from ip: true if it must be refused, after
 * writing Redis's -DENIED error to fd (the caller closes fd and counts the rejection). */
bool client_protected_mode_refuses(struct server *srv, int fd, const char *ip);
/* Close after the current iteration; safe anywhere, including from the client's own command. */
void client_close_async(struct client *c);
/* Queue the client's reply buffer for the before-sleep flush. */
void client_queue_write(struct client *c);
/* Write every queued reply (before-sleep). */
void client_flush_pending(struct server *srv);
/* Parse and run what is in the query buffer. */
void client_process_input(struct client *c);
/* True while the client must still AUTH (a password is set and it has not given it). */
bool client_auth_required(const struct client *c);
/* Enforce the output-buffer limits of the client's class; closes it (async) when exceeded.
 * Returns true if the client was scheduled for closing. */
bool client_check_obuf(struct client *c);
/* CLIENT LIST / CLIENT INFO line for one client (no trailing newline). */
void client_format_info(const struct client *c, struct buf *out);
/* "normal", "replica", "master" or "pubsub" (CLIENT KILL TYPE, CLIENT LIST). */
const char *client_type_name(const struct client *c);
/* Release the current command's argv when it does not point into the query buffer. */
void client_reset_argv(struct client *c);
/* Cron: idle timeout and soft output limits; returns true if c was closed. */
bool client_cron(struct client *c, int64_t now_mono_ms);

#endif
