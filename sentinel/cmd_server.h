/* cmd_server: the sentinel's command server (Redis Sentinel protocol,
 * docs/sentinel-protocol.md#commands-served) on bind:port.
 *
 * Clients speak RESP2 or RESP3 (HELLO 2|3) or inline commands; each has a bounded query buffer
 * (CMD_SERVER_MAX_QUERY_BYTES) and reply buffer (CMD_SERVER_MAX_REPLY_BYTES,
 * CMD_SERVER_MAX_PUBSUB_REPLY_BYTES for subscribers): past a limit the client is closed, never the
 * process grown without bound. Connections are common/conn.h's; replies are written before the
 * loop sleeps (cmd_server_flush).
 * Events reach subscribers through cmd_server_publish (channel and pattern subscriptions, RESP2
 * arrays or RESP3 pushes).
 *
 * The command table and the handlers live in cmd_generic.c (generic commands) and
 * cmd_sentinel.c (SENTINEL subcommands); they only parse, call the core (sentinel_cmd.h,
 * describe.h) and write replies. Byte-exact with Redis Sentinel 7.0 where the wire is visible.
 * Ownership: cmd_server_create's result is owned by the caller; the core and notify_io are
 * borrowed.
 */
#ifndef VIGIL_SENTINEL_CMD_SERVER_H
#define VIGIL_SENTINEL_CMD_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/loop.h"
#include "common/version.h"

#define CMD_SERVER_MAX_QUERY_BYTES (1u << 20)
#define CMD_SERVER_MAX_REPLY_BYTES (64u << 20)
#define CMD_SERVER_MAX_PUBSUB_REPLY_BYTES (32u << 20)
#define CMD_SERVER_MAX_SUBSCRIPTIONS 1024 /* channels + patterns per client */

struct sentinel;
struct notify_io;
struct cmd_server;
struct sentinel_tls;
struct sentinel_config;

struct cmd_server_config {
    char *const *binds; /* addresses to listen on, all on the same port */
    size_t n_binds;
    int port;
    const char *requirepass; /* NULL: no AUTH needed */
    const char *users_path;  /* ACL users file (cmd_acl.c); NULL: users are not kept */
    bool protected_mode;     /* without requirepass, loopback clients only (common/guard.h) */
    int maxclients;
    const char *config_file;     /* for INFO */
    const char *executable;      /* for INFO */
    struct sentinel_tls *tls;    /* borrowed; its context NULL: no TLS listener */
    struct sentinel_config *cfg; /* borrowed: SENTINEL CONFIG SET keeps it in step */
    int tls_port;
    int64_t tls_handshake_timeout_ms;
};

/* Listen and start accepting. NULL with a message in err when the port cannot be bound. */
struct cmd_server *cmd_server_create(struct loop *l, const struct cmd_server_config *cfg, char *err,
                                     size_t errlen);
/* Closes every client and the listeners. */
void cmd_server_destroy(struct cmd_server *srv);
void cmd_server_set_core(struct cmd_server *srv, struct sentinel *core, struct notify_io *notify);

/* Deliver msg on channel to subscribers; returns the number of receivers. */
int cmd_server_publish(struct cmd_server *srv, const char *channel, const char *msg, size_t len);
/* Write pending replies (call before the loop sleeps). */
void cmd_server_flush(struct cmd_server *srv);
/* SHUTDOWN was received. */
bool cmd_server_shutdown_requested(const struct cmd_server *srv);
/* The port actually bound, and the TLS one (0 without). */
int cmd_server_port(const struct cmd_server *srv);
int cmd_server_tls_port(const struct cmd_server *srv);

#endif
