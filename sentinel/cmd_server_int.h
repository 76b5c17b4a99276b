/* cmd_server_int: the command server's internals shared by cmd_server.c (listener, dispatch,
 * output limits, pub/sub delivery), cmd_generic.c (generic commands), cmd_client.c, cmd_acl.c,
 * cmd_command.c and cmd_sentinel.c (SENTINEL). Not for other modules.
 *
 * The connection itself (socket, buffers, reading, replies, writing, closing) is common/conn.h's
 * struct conn, the first member of struct client. Invariants: a client is on the server's
 * connection set until freed; a closing client runs no more commands and is freed after the
 * current loop iteration; replies go through common/reply.h, and a client past its output limit
 * is closed after the command or delivery that passed it.
 */
#ifndef VIGIL_SENTINEL_CMD_SERVER_INT_H
#define VIGIL_SENTINEL_CMD_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/acl.h"
#include "common/buf.h"
#include "common/conn.h"
#include "common/conn_cmd.h"
#include "common/conn_listen.h"
#include "common/net.h"
#include "common/reply.h"
#include "common/resp.h"
#include "sentinel/cmd_server.h"

struct client {
    struct conn conn; /* first: the shared connection (socket, buffers, name, protocol) */
    struct cmd_server *srv;
    char user[ACL_USERNAME_MAX + 1]; /* the ACL user this connection runs as */
    char last_cmd[64];
    size_t n_channels, n_patterns;
    char **channels, **patterns;
};
_Static_assert(offsetof(struct client, conn) == 0, "conn.h: struct conn comes first");

struct cmd_server {
    struct loop *loop;
    struct sentinel *core;
    struct notify_io *notify;
    struct conn_set conns;         /* every client (conn.h), pending writes, network counters */
    struct conn_listener listener; /* the listening sockets and the accept loop */
    int port;
    struct conn_listener tls_listener; /* on tls_port, when tls is set */
    int tls_port;
    struct sentinel_tls *tls;    /* borrowed from main; SENTINEL CONFIG SET tls-* changes it */
    struct sentinel_config *cfg; /* borrowed from main: what the state file keeps of CONFIG SET */
    int64_t tls_handshake_timeout_ms;
    char *requirepass;
    struct acl_state *acl; /* cmd_acl.c (common/acl_cmd.h) */
    bool protected_mode;
    int maxclients;
    char *config_file;
    char *executable;
    char run_id[41];
    int64_t start_wall_ms;
    bool shutdown_requested;
    /* stats */
    unsigned long long total_commands;
};

/* The first and the next client of the server (NULL at the end). */
static inline struct client *client_first(const struct cmd_server *srv)
{
    return (struct client *)(void *)srv->conns.head;
}
static inline struct client *client_next(const struct client *c)
{
    return (struct client *)(void *)c->conn.next;
}

/* A command's arguments as NUL-terminated strings (binary-safe lengths alongside). */
struct cmd_args {
    int argc;
    char **argv;
    size_t *len;
    const struct resp_arg *raw; /* the same arguments as parsed (for common/conn_cmd.c) */
};

typedef void (*cmd_fn)(struct client *c, const struct cmd_args *a);

#define CMD_NOAUTH 0x1u    /* allowed before AUTH */
#define CMD_PUBSUB 0x2u    /* allowed in RESP2 subscribed mode */
#define CMD_CONTAINER 0x4u /* has subcommands: CLIENT LIST shows "name|sub" */

struct cmd_def {
    const char *name; /* lower case */
    int arity;        /* > 0 exact, < 0 at least -arity */
    unsigned flags;
    cmd_fn fn;
};

/* cmd_generic.c: the command table (NULL name ends it) and subcommand dispatch help. */
const struct cmd_def *cmd_table_lookup(const char *name);
size_t cmd_table_count(void);
const struct cmd_def *cmd_table_at(size_t i);

/* cmd_sentinel.c */
void cmd_sentinel(struct client *c, const struct cmd_args *a);
void cmd_publish(struct client *c, const struct cmd_args *a);
/* The SENTINEL subcommand table (for COMMAND). */
size_t cmd_sentinel_subcommands(const struct cmd_def **out);

/* cmd_client.c */
void cmd_client(struct client *c, const struct cmd_args *a);
size_t cmd_client_subcommands(const struct cmd_def **out);
/* cmd_acl.c: ACL users, their file, the permission check and ACL LOG. */
int cmd_acl_init(struct cmd_server *srv, const char *users_path, const char *requirepass, char *err,
                 size_t errlen);
void cmd_acl_free(struct cmd_server *srv);
/* "default" is on and needs no password: new connections start logged in. */
bool cmd_acl_default_nopass(const struct cmd_server *srv);
/* CLIENT KILL USER: is there a user of that name (case-sensitive)? */
bool cmd_acl_user_exists(const struct cmd_server *srv, const char *user, size_t ulen);
/* AUTH / HELLO AUTH: 0 (c now runs as that user), or -1 after replying WRONGPASS. */
int cmd_acl_authenticate(struct client *c, const char *user, size_t ulen, const char *pass,
                         size_t plen);
/* 0 if c's user may run this, else -1 after replying NOPERM (and logging the refusal). */
int cmd_acl_check(struct client *c, const struct cmd_def *d, const struct cmd_args *a);
void cmd_acl(struct client *c, const struct cmd_args *a);
size_t cmd_acl_subcommands(const struct cmd_def **out);
/* cmd_command.c: COMMAND, described from its own table of flags, categories and docs. */
void cmd_command(struct client *c, const struct cmd_args *a);
size_t cmd_command_subcommands(const struct cmd_def **out);
/* 0 if every dispatched command and subcommand has a COMMAND row and every row dispatches;
 * else -1 with the first mismatch in err (a unit test holds this). */
int cmd_command_check(char *err, size_t errlen);
/* Every listed command and subcommand with its ACL categories (static, built on first use). */
const struct acl_catalog *cmd_command_catalog(void);
/* Catalog index of "top" or "top|sub", or -1. */
long cmd_command_catalog_index(const char *top, const char *sub);
/* Find argv[1] in subs, check its arity ("<parent>|<sub>" in the error), run it; unknown
 * subcommands get "Try <PARENT> HELP.". */
void cmd_run_subcommand(struct client *c, const struct cmd_args *a, const char *parent,
                        const struct cmd_def *subs, size_t n);
/* An array of status lines. */
void reply_simple_lines(struct client *c, const char *const *lines, size_t n);

/* cmd_server.c: subscriptions and client bookkeeping. */
bool client_is_subscribed(const struct client *c);
/* Subscription bookkeeping; 1 added/removed, 0 no change, -1 limit reached. */
int client_subscribe(struct client *c, const char *name, bool pattern);
int client_unsubscribe(struct client *c, const char *name, bool pattern);
/* Close c after this loop iteration (no more input or replies). */
static inline void client_close(struct client *c) { conn_close_async(&c->conn); }
/* CLIENT LIST / INFO line for c (appended, without a newline). */
void client_describe(const struct client *c, struct buf *out);
/* A common connection command (common/conn_cmd.c) as a handler of the sentinel's tables. */
#define CMD_FROM_CONN(name, fn)                                                                    \
    static void name(struct client *c, const struct cmd_args *a)                                   \
    {                                                                                              \
        fn(&c->conn, (size_t)a->argc, a->raw);                                                     \
    }

#endif
