/* server: the sentinel's command server (Redis Sentinel protocol,
 * docs/sentinel-protocol.md#commands-served) on bind:port.
 *
 * Clients speak RESP2 or RESP3 (HELLO 2|3) or inline commands; each has a bounded query buffer
 * (SERVER_MAX_QUERY_BYTES) and reply buffer (SERVER_MAX_REPLY_BYTES, SERVER_MAX_PUBSUB_REPLY_BYTES
 * for subscribers): past a limit the client is closed, never the process grown without bound.
 * Replies are written before the loop sleeps (server_flush). Events reach subscribers through
 * server_publish (channel and pattern subscriptions, RESP2 arrays or RESP3 pushes).
 *
 * The command table and the handlers live in server_cmd.c (generic commands) and
 * server_sentinel.c (SENTINEL subcommands); they only parse, call the core (sentinel_cmd.h,
 * describe.h) and write replies. Byte-exact with Redis Sentinel 7.0 where the wire is visible.
 * Ownership: server_create's result is owned by the caller; the core and notify_io are borrowed.
 */
#ifndef VIGIL_SENTINEL_SERVER_H
#define VIGIL_SENTINEL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/loop.h"

#define VIGIL_VERSION "0.1.0"
#define VIGIL_REDIS_COMPAT_VERSION "7.0.0"

#define SERVER_MAX_QUERY_BYTES (1u << 20)
#define SERVER_MAX_REPLY_BYTES (64u << 20)
#define SERVER_MAX_PUBSUB_REPLY_BYTES (32u << 20)
#define SERVER_MAX_SUBSCRIPTIONS 1024 /* channels + patterns per client */

struct sentinel;
struct notify_io;
struct server;

#define SERVER_MAX_LISTENERS 16

struct server_config {
    char *const *binds; /* addresses to listen on, all on the same port */
    size_t n_binds;
    int port;
    const char *requirepass; /* NULL: no AUTH needed */
    const char *users_path;  /* ACL users file (server_acl.c); NULL: users are not kept */
    bool protected_mode;     /* without requirepass, loopback clients only (common/guard.h) */
    int maxclients;
    const char *config_file; /* for INFO */
    const char *executable;  /* for INFO */
};

/* Listen and start accepting. NULL with a message in err when the port cannot be bound. */
struct server *server_create(struct loop *l, const struct server_config *cfg, char *err,
                             size_t errlen);
/* Closes every client and the listeners. */
void server_destroy(struct server *srv);
void server_set_core(struct server *srv, struct sentinel *core, struct notify_io *notify);

/* Deliver msg on channel to subscribers; returns the number of receivers. */
int server_publish(struct server *srv, const char *channel, const char *msg, size_t len);
/* Write pending replies (call before the loop sleeps). */
void server_flush(struct server *srv);
/* SHUTDOWN was received. */
bool server_shutdown_requested(const struct server *srv);
/* The port actually bound. */
int server_port(const struct server *srv);

#endif
