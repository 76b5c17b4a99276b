/* cmd_client: CLIENT for the sentinel's command server. SETNAME GETNAME SETINFO ID KILL LIST
 * INFO are common/conn_cmd.c (shared with the store); here are HELP, NO-EVICT, NO-TOUCH, and the
 * key-tracking ones GETREDIR TRACKINGINFO CACHING UNBLOCK, which on a sentinel, with no keys and
 * no blocking commands, have nothing to do and answer as Redis Sentinel does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/cmd_server_int.h"

static bool eq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

/* ---- CLIENT --------------------------------------------------------------------------------- */

/* The subcommands about the connection itself are common/conn_cmd.c, shared with the store. */
CMD_FROM_CONN(client_id, conn_client_id)
CMD_FROM_CONN(client_getname, conn_client_getname)
CMD_FROM_CONN(client_setname, conn_client_setname)
CMD_FROM_CONN(client_setinfo, conn_client_setinfo)
CMD_FROM_CONN(client_list, conn_client_list)
CMD_FROM_CONN(client_info, conn_client_info)
CMD_FROM_CONN(client_kill, conn_client_kill)

static void client_on_off(struct client *c, const struct cmd_args *a)
{
    if (eq(a->argv[2], "on") || eq(a->argv[2], "off"))
        reply_simple(c, "OK");
    else
        reply_error(c, "ERR syntax error");
}

static const char *const client_help[] = {
    "CLIENT <subcommand> [<argument> ...], with <subcommand> one of:",
    "GETNAME",
    "    The name of this connection, or null.",
    "ID",
    "    The id of this connection.",
    "INFO",
    "    A description of this connection.",
    "KILL <ip:port> | KILL <filter> <value> [<filter> <value> ...]",
    "    Close connections. Filters: ID, ADDR, LADDR, TYPE (normal|pubsub), USER, SKIPME.",
    "LIST [TYPE (normal|pubsub)]",
    "    One line per connection.",
    "SETINFO (LIB-NAME|LIB-VER) <value>",
    "    Record the client library's name or version.",
    "SETNAME <name>",
    "    Name this connection.",
    "HELP",
    "    Show this list.",
};

static void client_helpcmd(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_simple_lines(c, client_help, ARRAY_LEN(client_help));
}

static void client_getredir(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_integer(c, -1);
}

static void client_trackinginfo(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_map(c, 3);
    reply_bulk_str(c, "flags");
    resp_write_set_header(&c->conn.reply, c->conn.proto, 1);
    resp_write_bulk_str(&c->conn.reply, "off");
    reply_bulk_str(c, "redirect");
    reply_integer(c, -1);
    reply_bulk_str(c, "prefixes");
    reply_array(c, 0);
}

static void client_caching(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_error(c, "ERR CLIENT CACHING can be called only when the client is in tracking mode "
                   "with OPTIN or OPTOUT mode enabled");
}

static void client_unblock(struct client *c, const struct cmd_args *a)
{
    long long id;
    if (util_parse_ll(a->argv[2], a->len[2], &id) != 0) {
        reply_error(c, "ERR value is not an integer or out of range");
    } else if (a->argc > 4 ||
               (a->argc == 4 && !eq(a->argv[3], "timeout") && !eq(a->argv[3], "error"))) {
        reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    } else {
        reply_integer(c, 0); /* no command blocks on a sentinel */
    }
}

static const struct cmd_def client_subs[] = {
    {"id", 2, 0, client_id},
    {"getname", 2, 0, client_getname},
    {"setname", 3, 0, client_setname},
    {"setinfo", 4, 0, client_setinfo},
    {"list", -2, 0, client_list},
    {"info", 2, 0, client_info},
    {"kill", -3, 0, client_kill},
    {"help", 2, 0, client_helpcmd},
    {"no-evict", 3, 0, client_on_off},
    {"no-touch", 3, 0, client_on_off},
    {"getredir", 2, 0, client_getredir},
    {"trackinginfo", 2, 0, client_trackinginfo},
    {"caching", 3, 0, client_caching},
    {"unblock", -3, 0, client_unblock},
};

size_t cmd_client_subcommands(const struct cmd_def **out)
{
    *out = client_subs;
    return ARRAY_LEN(client_subs);
}

void cmd_run_subcommand(struct client *c, const struct cmd_args *a, const char *parent,
                        const struct cmd_def *subs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct cmd_def *d = &subs[i];
        if (!eq(d->name, a->argv[1])) continue;
        if ((d->arity > 0 && a->argc != d->arity) || (d->arity < 0 && a->argc < -d->arity)) {
            char full[96];
            snprintf(full, sizeof(full), "%s|%s", parent, d->name);
            conn_reply_arity(&c->conn, full);
            return;
        }
        d->fn(c, a);
        return;
    }
    conn_reply_unknown_subcommand(&c->conn, &a->raw[1], parent);
}

void cmd_client(struct client *c, const struct cmd_args *a)
{
    cmd_run_subcommand(c, a, "client", client_subs, ARRAY_LEN(client_subs));
}
