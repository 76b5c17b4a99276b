/* conn: one RESP client connection, the part vigil-store and vigil-sentinel share: the socket,
 * the query buffer and request parser, the reply buffer, the client's name and protocol, and the
 * set of all connections of a server with its pending writes and counters.
 *
 * Each program has its own `struct client` whose FIRST member is a `struct conn` (the programs
 * assert it); the reply helpers (reply.h) and the connection commands (conn_cmd.h) take the
 * program's `struct client *` and reach the conn through conn_of(). Neither program sees the
 * other's client.
 *
 * Flow: a readable socket is read into the query buffer; every complete command is handed to
 * ops->execute (the program's dispatch: its own command table). Replies are appended to the reply
 * buffer and the connection is queued; conn_set_flush() writes every queued connection before the
 * loop sleeps, and only what the socket does not take waits for writability.
 *
 * Invariants: a connection is never freed inside its own callback: conn_close_async() marks it
 * (no more input, no more writes) and it is freed after the current loop iteration. Every buffer
 * is bounded: the query buffer by set->max_query_bytes, an unauthenticated client's replies by
 * GUARD_UNAUTH_MAX_REPLY_BYTES, the rest by the program's output limits (ops->check_output).
 * Ownership: the program allocates its client with malloc (conn at offset 0) and conn_free()
 * frees it, after ops->release has let the program drop its own part. */
#ifndef VIGIL_CONN_H
#define VIGIL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/loop.h"
#include "common/net.h"
#include "common/resp.h"

struct client; /* the program's own: its first member is a struct conn */
struct ssl_st;
struct tls_ctx;
struct conn_set;

enum {
    CONN_CLOSE_AFTER_REPLY = 1 << 0, /* close once the reply buffer is written */
    CONN_CLOSE_ASAP = 1 << 1,    /* closing: no more input or writes; freed after the iteration */
    CONN_PENDING_WRITE = 1 << 2, /* queued for the before-sleep flush */
    CONN_FAKE = 1 << 3,          /* no socket (the store's loading and test clients) */
    CONN_AUTHENTICATED = 1 << 4,
    CONN_PUBSUB = 1 << 5,          /* has subscriptions (RESP2 subscribed mode) */
    CONN_NO_REPLY = 1 << 6,        /* replies are dropped (the store's link to its master) */
    CONN_REPLY_OFF = 1 << 7,       /* CLIENT REPLY OFF */
    CONN_REPLY_SKIP_NEXT = 1 << 8, /* CLIENT REPLY SKIP: the next command's replies are dropped */
    CONN_REPLY_SKIP = 1 << 9,      /* ... this command's */
    CONN_WRITE_WATCHED = 1 << 10,  /* waiting for writability */
    CONN_DETACHED = 1 << 11,       /* fake, and not in the set's list (conn_detach) */
    CONN_TLS_HANDSHAKE = 1 << 12,  /* TLS handshake in progress: no input, no replies yet */
};

struct conn {
    struct conn_set *set;
    uint64_t id;
    int fd;    /* -1 for a fake connection */
    int proto; /* 2 or 3 */
    unsigned flags;
    char addr[NET_ADDR_STRLEN], laddr[NET_ADDR_STRLEN]; /* "ip:port" */
    char *name, *lib_name, *lib_ver;                    /* CLIENT SETNAME / SETINFO, or NULL */
    struct buf query;
    struct resp_request parser;
    struct buf reply;
    int64_t ctime_ms, last_interaction_ms; /* monotonic */
    struct ssl_st *tls;                    /* the TLS session, NULL for plaintext */
    uint64_t tls_timer;                    /* the handshake deadline, 0 when none */
    struct conn *prev, *next;              /* every connection of the set */
    struct conn *pending_next;             /* connections with replies to flush */
};

/* What differs between the two programs. Optional hooks may be NULL. */
struct conn_ops {
    /* Run one command; argv points into c->query until it returns, consumed is its size there.
     * Return false to leave the command in the buffer and stop reading (the store's FAILOVER
     * pause): it is parsed and run again when input resumes (conn_process_input). */
    bool (*execute)(struct conn *c, size_t argc, struct resp_arg *argv, size_t consumed);
    /* Release the program's part of c (not the memory: conn_free frees it). */
    void (*release)(struct conn *c);
    /* Optional: true while c's input must wait (the store's blocked and paused clients). */
    bool (*input_held)(const struct conn *c);
    /* Optional: after a read of n > 0 bytes, or n <= 0 (closed or failed; err is errno). */
    void (*after_read)(struct conn *c, ssize_t n, int err);
    /* Optional: after each command, enforce the program's output limits; true if c was closed. */
    bool (*check_output)(struct conn *c);
    /* The default user needs no password: new connections start authenticated. */
    bool (*default_user_nopass)(const struct conn *c);
    /* AUTH and HELLO AUTH: 0 (c now authenticated as user), or -1 after replying the error. */
    int (*authenticate)(struct conn *c, const char *user, size_t ulen, const char *pass,
                        size_t plen);
    /* CLIENT KILL USER: does the user exist, and whom does c run as. */
    bool (*user_exists)(const struct conn *c, const char *user, size_t len);
    const char *(*user_of)(const struct conn *c);
    /* "normal", "pubsub", "replica" or "master" (CLIENT LIST / KILL TYPE). */
    const char *(*type_name)(const struct conn *c);
    /* One CLIENT LIST / CLIENT INFO line, without the newline. */
    void (*describe)(const struct conn *c, struct buf *out);
    /* HELLO: the "mode" field, and the "role" field (NULL hook: the reply has no role). */
    const char *hello_mode;
    const char *(*hello_role)(const struct conn *c);
};

struct conn_stats {
    uint64_t net_input_bytes, net_output_bytes;
    uint64_t error_replies;
    uint64_t evicted; /* closed for their output buffer (unauthenticated bound included) */
};

struct conn_set {
    struct loop *loop;
    const struct conn_ops *ops;
    struct conn *head; /* every connection, newest first */
    size_t count;
    uint64_t next_id;
    struct conn *pending;      /* connections with replies to write before sleeping */
    long long max_query_bytes; /* a client past this is closed */
    struct conn_stats stats;
    bool hold_writes;        /* no reply may leave yet (the AOF's group commit under `always`) */
    size_t tracking_clients; /* INFO's tracking_clients (the store's client-side caching) */
};

static inline struct conn *conn_of(struct client *c) { return (struct conn *)(void *)c; }
static inline const struct conn *conn_of_const(const struct client *c)
{
    return (const struct conn *)(const void *)c;
}
static inline struct client *conn_client(struct conn *c) { return (struct client *)(void *)c; }

void conn_set_init(struct conn_set *set, struct loop *l, const struct conn_ops *ops,
                   long long max_query_bytes);
/* Free every connection now, closing or not. The loop must not run again before it is
 * destroyed (deferred frees would see freed memory). */
void conn_set_free_all(struct conn_set *set);
/* Write every queued reply (call before the loop sleeps). */
void conn_set_flush(struct conn_set *set);

/* Set up c (zeroed, the first member of a malloc'ed client) for an accepted socket, watched for
 * reading at once, or for no socket (fd -1: a fake connection). lim may be NULL (defaults). */
void conn_init(struct conn *c, struct conn_set *set, int fd, const struct resp_limits *lim);
/* Make an accepted connection TLS (tls.h): the handshake runs first, no command is read before
 * it completes, and a client that has not completed it within timeout_ms is closed (a slow or
 * silent peer cannot hold a connection open). Closes c (async) if no session can be made. */
void conn_start_tls(struct conn *c, struct tls_ctx *t, int64_t timeout_ms);
/* Hand c a session whose handshake is done (the store's link to its master); c owns it. */
void conn_adopt_tls(struct conn *c, struct ssl_st *s);
/* write(2) on c's socket, through its TLS session when it has one. */
ssize_t conn_sock_write(struct conn *c, const void *p, size_t n);
/* Close and free now: never from inside c's own callbacks (use conn_close_async). */
void conn_free(struct conn *c);
/* Take a fake connection out of its set's list: it is not counted as a client, not listed by
 * CLIENT LIST, has id 0 (its id is given back when it was the last one), and
 * conn_set_free_all leaves it; its owner frees it with conn_free. For a long-lived internal
 * client (the store's script client). */
void conn_detach(struct conn *c);
/* Close after the current iteration; safe anywhere, including from c's own command. */
void conn_close_async(struct conn *c);
/* Queue c's reply buffer for the before-sleep flush. */
void conn_queue_write(struct conn *c);
/* Stop or resume reading c's socket (the store's client whose script runs past its time limit:
 * its query buffer must not move under the running command). */
void conn_set_reading(struct conn *c, bool is_reading);
/* Parse and run what is in the query buffer (also to resume after ops->input_held). */
void conn_process_input(struct conn *c);
/* True while c must still authenticate. */
bool conn_auth_required(const struct conn *c);
/* INFO's "# Clients" section with Redis 7.0's fields; replicas are not connected clients,
 * blocked and in_timeout_table are the program's counts. */
void conn_info_clients(const struct conn_set *set, size_t replicas, long long maxclients,
                       size_t blocked, size_t in_timeout_table, struct buf *out);

#endif
