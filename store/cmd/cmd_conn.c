/* cmd_conn: the store's connection command table: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO,
 * and the CLIENT family. PING, QUIT, AUTH, HELLO and the CLIENT subcommands about the connection
 * itself are common/conn_cmd.c, shared with the sentinel; the store-only ones (ECHO, RESET,
 * SELECT, CLIENT NO-EVICT, REPLY, UNBLOCK, HELP) are here, and client-side caching's (TRACKING,
 * CACHING, GETREDIR, TRACKINGINFO) are tracking_cmd.c. Replies follow Redis 7.0 to the byte. */
#include <stdlib.h>
#include <string.h>

#include "common/conn_cmd.h"
#include "common/util.h"
#include "store/acl.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/command.h"
#include "store/multi.h"
#include "store/pubsub.h"
#include "store/reply.h"
#include "store/repl/repl.h"
#include "store/tracking.h"

/* The connection commands shared with the sentinel (common/conn_cmd.c), in the store's handler
 * signature. */
#define CONN_CMD(name, fn)                                                                         \
    static void name(struct client *c) { fn(&c->conn, c->argc, c->argv); }
CONN_CMD(cmd_ping, conn_cmd_ping)
CONN_CMD(cmd_quit, conn_cmd_quit)
CONN_CMD(cmd_auth, conn_cmd_auth)
CONN_CMD(cmd_hello, conn_cmd_hello)
CONN_CMD(client_id, conn_client_id)
CONN_CMD(client_setname, conn_client_setname)
CONN_CMD(client_getname, conn_client_getname)
CONN_CMD(client_setinfo, conn_client_setinfo)
CONN_CMD(client_list, conn_client_list)
CONN_CMD(client_info, conn_client_info)
CONN_CMD(client_kill, conn_client_kill)

static void cmd_echo(struct client *c) { reply_bulk(c, c->argv[1].ptr, c->argv[1].len); }

static void cmd_reset(struct client *c)
{
    multi_discard(c);
    multi_unwatch_all(c);
    pubsub_unsubscribe_all(c, false);
    tracking_disable(c); /* RESET turns client-side caching off, as Redis */
    c->db = 0;
    c->conn.proto = 2;
    c->conn.flags &= ~(CONN_REPLY_OFF | CONN_REPLY_SKIP | CONN_REPLY_SKIP_NEXT);
    c->flags &= ~CLIENT_NO_EVICT;
    free(c->conn.name);
    c->conn.name = NULL;
    store_acl_reset_user(c);
    reply_simple(c, "RESET");
}

static void cmd_select(struct client *c)
{
    long long id;
    if (util_parse_ll(c->argv[1].ptr, c->argv[1].len, &id) != 0) {
        reply_error(c, ERR_NOT_INT);
        return;
    }
    if (id < 0 || id >= c->srv->ndb) {
        reply_error(c, ERR_DB_INDEX);
        return;
    }
    c->db = (int)id;
    reply_ok(c);
}

/* ---- CLIENT ---- */

static void client_no_evict(struct client *c)
{
    if (arg_is(&c->argv[2], "on"))
        c->flags |= CLIENT_NO_EVICT;
    else if (arg_is(&c->argv[2], "off"))
        c->flags &= ~CLIENT_NO_EVICT;
    else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    reply_ok(c);
}

static void client_reply(struct client *c)
{
    if (arg_is(&c->argv[2], "on")) {
        c->conn.flags &= ~(CONN_REPLY_OFF | CONN_REPLY_SKIP_NEXT | CONN_REPLY_SKIP);
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "off")) {
        c->conn.flags |= CONN_REPLY_OFF;
    } else if (arg_is(&c->argv[2], "skip")) {
        if (!(c->conn.flags & CONN_REPLY_OFF)) c->conn.flags |= CONN_REPLY_SKIP_NEXT;
    } else {
        reply_error(c, ERR_SYNTAX);
    }
}

static void client_unblock(struct client *c)
{
    long long id;
    if (arg_ll(c, &c->argv[2], &id) != 0) return;
    bool error = c->argc == 4 && arg_is(&c->argv[3], "ERROR");
    if (c->argc == 4 && !error && !arg_is(&c->argv[3], "TIMEOUT")) {
        reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        return;
    }
    for (struct client *o = client_first(c->srv); o; o = client_next(o)) {
        if ((long long)o->conn.id != id || !(o->flags & CLIENT_BLOCKED)) continue;
        if (error) {
            reply_error(o, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
            blocking_unblock_client(o, false);
        } else {
            blocking_unblock_client(o, true);
        }
        reply_integer(c, 1);
        return;
    }
    reply_integer(c, 0);
}

/* CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked before the timeout, as Redis does. */
static void client_pause(struct client *c)
{
    if (c->argc > 4) {
        command_reply_sub_usage(c, "CLIENT");
        return;
    }
    enum server_pause_type type = PAUSE_ALL;
    if (c->argc == 4 && arg_is(&c->argv[3], "WRITE")) {
        type = PAUSE_WRITE;
    } else if (c->argc == 4 && !arg_is(&c->argv[3], "ALL")) {
        reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
        return;
    }
    long long ms;
    if (util_parse_ll(c->argv[2].ptr, c->argv[2].len, &ms) != 0) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    int64_t now = loop_now_ms(c->srv->loop);
    server_client_pause(c->srv, type, ms > INT64_MAX - now ? INT64_MAX : now + ms);
    reply_ok(c);
}

static void client_unpause(struct client *c)
{
    server_client_unpause(c->srv);
    reply_ok(c);
}

static void client_help(struct client *c)
{
    static const char *const lines[] = {
        "CLIENT <subcommand> [<argument> ...], with <subcommand> one of:",
        "CACHING YES|NO",
        "    With TRACKING OPTIN (OPTOUT): track (do not track) the keys the next command reads.",
        "GETREDIR",
        "    Id of the client receiving this one's invalidations: 0 for none, -1 without TRACKING.",
        "ID",
        "    This connection's id.",
        "GETNAME",
        "    This connection's name, or null.",
        "INFO",
        "    The CLIENT LIST line of this connection.",
        "KILL <ip:port>",
        "    Close the connection coming from that address.",
        "KILL <filter> <value> [<filter> <value> ...]",
        "    Close every connection matching all the filters: ID, TYPE, ADDR, LADDR, USER,",
        "    SKIPME yes|no (yes by default: spare this connection). The reply is the count.",
        "LIST [TYPE normal|master|replica|pubsub]",
        "    One line per connection, or only per connection of one type.",
        "NO-EVICT ON|OFF",
        "    Spare this connection when client eviction (maxmemory-clients) runs, or stop.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Hold other clients' commands (ALL, default) or writes only, <timeout> milliseconds.",
        "REPLY ON|OFF|SKIP",
        "    Stop or resume replying to this connection, or skip the next reply only.",
        "SETNAME <name>",
        "    Name this connection (no spaces).",
        "SETINFO LIB-NAME|LIB-VER <value>",
        "    Record the client library's name or version, shown by CLIENT LIST.",
        "UNBLOCK <id> [TIMEOUT|ERROR]",
        "    Wake a client blocked in a command such as BLPOP: as if it timed out (default),",
        "    or with an -UNBLOCKED error.",
        "TRACKING ON|OFF [REDIRECT <id>] [BCAST] [PREFIX <prefix> ...] [OPTIN|OPTOUT] [NOLOOP]",
        "    Turn invalidation messages (client-side caching) on or off for the keys this",
        "    connection reads; BCAST: for every key under the prefixes instead.",
        "TRACKINGINFO",
        "    This connection's tracking flags, redirect id and prefixes.",
        "UNPAUSE",
        "    End a CLIENT PAUSE now.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command client_subs[] = {
    {.name = "id", .arity = 2, .fn = client_id},
    {.name = "setname", .arity = 3, .fn = client_setname},
    {.name = "getname", .arity = 2, .fn = client_getname},
    {.name = "setinfo", .arity = 4, .fn = client_setinfo},
    {.name = "list", .arity = -2, .fn = client_list},
    {.name = "info", .arity = 2, .fn = client_info},
    {.name = "kill", .arity = -3, .fn = client_kill},
    {.name = "no-evict", .arity = 3, .fn = client_no_evict},
    {.name = "reply", .arity = 3, .fn = client_reply},
    {.name = "unblock", .arity = -3, .fn = client_unblock},
    {.name = "tracking", .arity = -3, .fn = tracking_cmd_tracking},
    {.name = "caching", .arity = 3, .fn = tracking_cmd_caching},
    {.name = "getredir", .arity = 2, .fn = tracking_cmd_getredir},
    {.name = "trackinginfo", .arity = 2, .fn = tracking_cmd_trackinginfo},
    {.name = "pause", .arity = -3, .fn = client_pause},
    {.name = "unpause", .arity = 2, .fn = client_unpause},
    {.name = "help", .arity = 2, .fn = client_help},
    {.name = NULL},
};

static void cmd_client(struct client *c) { command_dispatch_sub(c, client_subs, "client"); }

struct command cmd_table_conn[] = {
    {.name = "ping",
     .arity = -1,
     .flags = CMD_FAST | CMD_STALE,
     .fn = cmd_ping,
     .group = "connection"},
    {.name = "echo",
     .arity = 2,
     .flags = CMD_FAST | CMD_LOADING | CMD_STALE,
     .fn = cmd_echo,
     .group = "connection"},
    {.name = "quit",
     .arity = -1,
     .flags = CMD_NO_AUTH | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_MULTI,
     .fn = cmd_quit,
     .group = "connection"},
    {.name = "reset",
     .arity = 1,
     .flags = CMD_NO_AUTH | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_MULTI,
     .fn = cmd_reset,
     .group = "connection"},
    {.name = "select",
     .arity = 2,
     .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .fn = cmd_select,
     .group = "connection"},
    {.name = "auth",
     .arity = -2,
     .flags = CMD_NO_AUTH | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_MULTI,
     .fn = cmd_auth,
     .group = "connection"},
    {.name = "hello",
     .arity = -1,
     .flags = CMD_NO_AUTH | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_MULTI,
     .fn = cmd_hello,
     .group = "connection"},
    {.name = "client",
     .arity = -2,
     .flags = CMD_LOADING | CMD_STALE,
     .fn = cmd_client,
     .subcommands = client_subs,
     .group = "connection"},
    {.name = NULL},
};
