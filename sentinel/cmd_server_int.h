/* cmd_server_int: the command server's internals shared by cmd_server.c (connections, dispatch,
 * pub/sub delivery), cmd_generic.c (generic commands) and cmd_sentinel.c (SENTINEL). Not for
 * other modules.
 *
 * Invariants: a client is on the server's list until closed; a closed client gets no more
 * replies and is freed after the current loop iteration; every reply goes through the reply_*
 * helpers, which enforce the reply-buffer limit.
 */
#ifndef VIGIL_SENTINEL_CMD_SERVER_INT_H
#define VIGIL_SENTINEL_CMD_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/acl.h"
#include "common/buf.h"
#include "common/net.h"
#include "common/resp.h"
#include "sentinel/cmd_server.h"

struct client {
    struct cmd_server *srv;
    uint64_t id;
    int fd;
    char addr[NET_ADDR_STRLEN];
    char laddr[NET_ADDR_STRLEN];
    struct buf qbuf;
    struct resp_request req;
    struct buf reply;
    int proto; /* 2 or 3 */
    bool is_authed;
    char user[ACL_USERNAME_MAX + 1]; /* the ACL user this connection runs as */
    bool is_closed;
    bool close_after_reply;
    bool is_writing;
    bool is_dirty;
    char *name, *lib_name, *lib_ver;
    int64_t ctime_ms, last_ms;
    char last_cmd[64];
    size_t n_channels, n_patterns;
    char **channels, **patterns;
    struct client *prev, *next; /* all clients */
    struct client *dirty_next;
};

struct cmd_server {
    struct loop *loop;
    struct sentinel *core;
    struct notify_io *notify;
    int lfds[CMD_SERVER_MAX_LISTENERS];
    size_t n_lfds;
    int reserve_fd;              /* spare descriptor spent to turn a client away when out of fds */
    uint64_t listen_pause_timer; /* nonzero while the listeners are unwatched after an error */
    int port;
    char *requirepass;
    struct cmd_acl_state *acl; /* cmd_acl.c */
    bool protected_mode;
    int maxclients;
    char *config_file;
    char *executable;
    char run_id[41];
    int64_t start_wall_ms;
    uint64_t next_client_id;
    size_t n_clients;
    struct client *clients;
    struct client *dirty;
    bool shutdown_requested;
    bool is_destroying; /* free closed clients at once: no loop iteration will follow */
    /* stats */
    unsigned long long total_connections, total_commands, rejected_connections;
    unsigned long long total_error_replies, total_net_input, total_net_output;
};

/* A command's arguments as NUL-terminated strings (binary-safe lengths alongside). */
struct cmd_args {
    int argc;
    char **argv;
    size_t *len;
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
/* Shared for subcommands: "ERR unknown subcommand '<x>'. Try <CMD> HELP." */
void reply_unknown_subcommand(struct client *c, const char *sub, const char *cmd_upper);
/* "ERR wrong number of arguments for '<name>' command" */
void reply_wrong_arity(struct client *c, const char *name);

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
void reply_help(struct client *c, const char *const *lines, size_t n);

/* cmd_server.c: reply helpers (protocol-aware) and client bookkeeping. reply_commit: after writing
 * into c->reply directly (enforces the output limit, schedules the write). */
void reply_commit(struct client *c);
void reply_status(struct client *c, const char *s);
void reply_error(struct client *c, const char *s);
void reply_errorf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_integer(struct client *c, long long v);
void reply_bulk(struct client *c, const char *s, size_t len);
void reply_bulk_str(struct client *c, const char *s);
void reply_null(struct client *c);
void reply_null_array(struct client *c);
void reply_array(struct client *c, size_t n);
void reply_map(struct client *c, size_t npairs);
void reply_verbatim(struct client *c, const char *s, size_t len);
bool client_is_subscribed(const struct client *c);
/* Subscription bookkeeping; 1 added/removed, 0 no change, -1 limit reached. */
int client_subscribe(struct client *c, const char *name, bool pattern);
int client_unsubscribe(struct client *c, const char *name, bool pattern);
void client_close(struct client *c);
/* CLIENT LIST / INFO line for c (appended, "\n"-terminated). */
void client_describe(const struct client *c, struct buf *out);
/* Constant-time comparison of a password (pass_len bytes, may hold NULs) with the configured one.
 */

#endif
