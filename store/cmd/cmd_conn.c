/* cmd_conn: connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO, and the CLIENT
 * family. These shape what every client library does on connect (HELLO 3, CLIENT SETINFO,
 * SETNAME), so their replies follow Redis 7 to the byte. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/command.h"
#include "store/multi.h"
#include "store/pubsub.h"
#include "store/reply.h"
#include "store/repl/repl.h"

static void cmd_ping(struct client *c)
{
    if (c->argc > 2) {
        command_reply_arity(c, "ping");
        return;
    }
    if ((c->flags & CLIENT_PUBSUB) && c->proto == 2) {
        /* Subscribed RESP2 clients get PING as a pub/sub-shaped array. */
        reply_array(c, 2);
        reply_bulk(c, "pong", 4);
        if (c->argc == 2)
            reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
        else
            reply_bulk(c, "", 0);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
    else
        reply_raw(c, "+PONG\r\n", 7);
}

static void cmd_echo(struct client *c) { reply_bulk(c, c->argv[1].ptr, c->argv[1].len); }

static void cmd_quit(struct client *c)
{
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static void cmd_reset(struct client *c)
{
    multi_discard(c);
    multi_unwatch_all(c);
    pubsub_unsubscribe_all(c, false);
    c->db = 0;
    c->proto = 2;
    c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT | CLIENT_NO_EVICT);
    free(c->name);
    c->name = NULL;
    if (c->srv->cfg.requirepass && c->srv->cfg.requirepass[0]) c->flags &= ~CLIENT_AUTHENTICATED;
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

/* 0 on success, else an error was replied. user may be NULL (one-argument AUTH). */
static int check_credentials(struct client *c, const struct resp_arg *user,
                             const struct resp_arg *pass)
{
    const char *req = c->srv->cfg.requirepass;
    bool has_pass = req && req[0];
    if (!user && !has_pass) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the default "
                       "user. Are you sure your configuration is correct?");
        return -1;
    }
    /* User names are case-sensitive ("DEFAULT" is not the default user), as Redis. */
    bool is_default = !user || (user->len == 7 && memcmp(user->ptr, "default", 7) == 0);
    bool ok =
        is_default && (has_pass ? util_secret_equal(req, strlen(req), pass->ptr, pass->len) : true);
    if (!ok) {
        reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
        return -1;
    }
    c->flags |= CLIENT_AUTHENTICATED;
    return 0;
}

static void cmd_auth(struct client *c)
{
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    const struct resp_arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    if (check_credentials(c, user, &c->argv[c->argc - 1]) == 0) reply_ok(c);
}

static void set_client_name(struct client *c, const struct resp_arg *name)
{
    free(c->name);
    c->name = name->len ? xstrndup(name->ptr, name->len) : NULL;
}

static bool valid_client_name(const struct resp_arg *a)
{
    for (size_t i = 0; i < a->len; i++)
        if (a->ptr[i] < '!' || a->ptr[i] > '~') return false;
    return true;
}

static void hello_reply(struct client *c)
{
    reply_map(c, 7);
    reply_bulk_str(c, "server");
    reply_bulk_str(c, "redis");
    reply_bulk_str(c, "version");
    reply_bulk_str(c, VIGIL_REDIS_COMPAT_VERSION);
    reply_bulk_str(c, "proto");
    reply_integer(c, c->proto);
    reply_bulk_str(c, "id");
    reply_integer(c, (long long)c->id);
    reply_bulk_str(c, "mode");
    reply_bulk_str(c, "standalone");
    reply_bulk_str(c, "role");
    reply_bulk_str(c, server_is_replica(c->srv) ? "replica" : "master");
    reply_bulk_str(c, "modules");
    reply_empty_array(c);
}

static void cmd_hello(struct client *c)
{
    long long ver = c->proto;
    size_t i = 1;
    if (c->argc >= 2) {
        if (util_parse_ll(c->argv[1].ptr, c->argv[1].len, &ver) != 0) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        i = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const struct resp_arg *setname = NULL;
    for (; i < c->argc; i++) {
        size_t left = c->argc - i - 1;
        if (arg_is(&c->argv[i], "AUTH") && left >= 2) {
            if (check_credentials(c, &c->argv[i + 1], &c->argv[i + 2]) != 0) return;
            i += 2;
        } else if (arg_is(&c->argv[i], "SETNAME") && left >= 1) {
            setname = &c->argv[++i];
            if (!valid_client_name(setname)) {
                reply_error(
                    c, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
        } else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argv[i].len,
                         c->argv[i].ptr);
            return;
        }
    }
    if (!(c->flags & CLIENT_AUTHENTICATED)) {
        reply_error(c,
                    "NOAUTH HELLO must be called with the client already authenticated, otherwise "
                    "the HELLO AUTH <user> <pass> option can be used to authenticate the client "
                    "and select the RESP protocol version at the same time");
        return;
    }
    if (setname) set_client_name(c, setname);
    c->proto = (int)ver;
    hello_reply(c);
}

/* ---- CLIENT ---- */

static void client_id(struct client *c) { reply_integer(c, (long long)c->id); }

static void client_setname(struct client *c)
{
    if (!valid_client_name(&c->argv[2])) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    set_client_name(c, &c->argv[2]);
    reply_ok(c);
}

static void client_getname(struct client *c)
{
    if (c->name)
        reply_bulk_str(c, c->name);
    else
        reply_null(c);
}

static void client_setinfo(struct client *c)
{
    const struct resp_arg *v = &c->argv[3];
    for (size_t i = 0; i < v->len; i++) {
        if (v->ptr[i] < '!' || v->ptr[i] > '~') {
            reply_errorf(c, "ERR %.*s cannot contain spaces, newlines or special characters.",
                         (int)c->argv[2].len, c->argv[2].ptr);
            return;
        }
    }
    char **slot;
    if (arg_is(&c->argv[2], "LIB-NAME"))
        slot = &c->lib_name;
    else if (arg_is(&c->argv[2], "LIB-VER"))
        slot = &c->lib_ver;
    else {
        reply_errorf(c, "ERR Unrecognized option '%.*s'", (int)c->argv[2].len, c->argv[2].ptr);
        return;
    }
    free(*slot);
    *slot = v->len ? xstrndup(v->ptr, v->len) : NULL;
    reply_ok(c);
}

static void client_list(struct client *c)
{
    struct buf out;
    buf_init(&out);
    bool by_type = c->argc == 4 && arg_is(&c->argv[2], "TYPE");
    if (c->argc != 2 && !by_type) {
        buf_free(&out);
        reply_error(c, ERR_SYNTAX);
        return;
    }
    for (struct client *o = c->srv->clients; o; o = o->next) {
        if (o->flags & CLIENT_FAKE) continue;
        if (by_type) {
            const char *t = client_type_name(o);
            if (!arg_is(&c->argv[3], t) &&
                !(arg_is(&c->argv[3], "slave") && strcmp(t, "replica") == 0))
                continue;
        }
        client_format_info(o, &out);
        buf_append_char(&out, '\n');
    }
    reply_verbatim(c, out.data ? out.data : "", out.len);
    buf_free(&out);
}

static void client_info(struct client *c)
{
    struct buf out;
    buf_init(&out);
    client_format_info(c, &out);
    buf_append_char(&out, '\n');
    reply_verbatim(c, out.data, out.len);
    buf_free(&out);
}

struct kill_filter {
    long long id;
    const struct resp_arg *addr, *laddr, *type;
    bool skipme;
};

static bool kill_matches(const struct client *me, const struct client *o,
                         const struct kill_filter *f)
{
    if (o->flags & CLIENT_FAKE) return false;
    if (f->skipme && o == me) return false;
    if (f->id >= 0 && (long long)o->id != f->id) return false;
    if (f->addr && !util_eq_nocase(f->addr->ptr, f->addr->len, o->addr)) return false;
    if (f->laddr && !util_eq_nocase(f->laddr->ptr, f->laddr->len, o->laddr)) return false;
    if (f->type) {
        const char *t = client_type_name(o);
        bool slave = arg_is(f->type, "slave") && strcmp(t, "replica") == 0;
        if (!arg_is(f->type, t) && !slave) return false;
    }
    return true;
}

static int parse_kill_filter(struct client *c, struct kill_filter *f)
{
    for (size_t i = 2; i + 1 < c->argc + 1; i += 2) {
        if (i + 1 >= c->argc) {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
        const struct resp_arg *k = &c->argv[i], *v = &c->argv[i + 1];
        if (arg_is(k, "ID")) {
            if (util_parse_ll(v->ptr, v->len, &f->id) != 0 || f->id <= 0) {
                reply_error(c, "ERR client-id should be greater than 0");
                return -1;
            }
        } else if (arg_is(k, "TYPE")) {
            if (!arg_is(v, "normal") && !arg_is(v, "replica") && !arg_is(v, "slave") &&
                !arg_is(v, "master") && !arg_is(v, "pubsub")) {
                reply_errorf(c, "ERR Unknown client type '%.*s'", (int)v->len, v->ptr);
                return -1;
            }
            f->type = v;
        } else if (arg_is(k, "ADDR")) {
            f->addr = v;
        } else if (arg_is(k, "LADDR")) {
            f->laddr = v;
        } else if (arg_is(k, "SKIPME")) {
            if (arg_is(v, "yes"))
                f->skipme = true;
            else if (arg_is(v, "no"))
                f->skipme = false;
            else {
                reply_error(c, ERR_SYNTAX);
                return -1;
            }
        } else if (arg_is(k, "USER")) {
            /* The only user is "default" (case-sensitive, as Redis), which every client runs as. */
            if (v->len != 7 || memcmp(v->ptr, "default", 7) != 0) {
                reply_errorf(c, "ERR No such user '%.*s'", (int)v->len, v->ptr);
                return -1;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

static void client_kill(struct client *c)
{
    struct kill_filter f = {.id = -1, .skipme = true};
    bool old_form = c->argc == 3;
    if (old_form) {
        f.addr = &c->argv[2];
        f.skipme = false;
    } else if (parse_kill_filter(c, &f) != 0) {
        return;
    }
    long long killed = 0;
    bool kill_me = false;
    for (struct client *o = c->srv->clients; o; o = o->next) {
        if (!kill_matches(c, o, &f) || (o->flags & CLIENT_CLOSE_ASAP)) continue;
        killed++;
        if (o == c) {
            kill_me = true; /* closed after its reply */
            continue;
        }
        client_close_async(o);
    }
    if (kill_me) c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    if (old_form) {
        if (killed == 0)
            reply_error(c, "ERR No such client");
        else
            reply_ok(c);
    } else {
        reply_integer(c, killed);
    }
}

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
        c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT | CLIENT_REPLY_SKIP);
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (arg_is(&c->argv[2], "skip")) {
        if (!(c->flags & CLIENT_REPLY_OFF)) c->flags |= CLIENT_REPLY_SKIP_NEXT;
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
    for (struct client *o = c->srv->clients; o; o = o->next) {
        if ((long long)o->id != id || !(o->flags & CLIENT_BLOCKED)) continue;
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

static void client_help(struct client *c)
{
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ID",
        "    Return the ID of the current connection.",
        "GETNAME",
        "    Return the name of the current connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        ("    Kill connections. Options are: ID, TYPE (normal|master|replica|pubsub), ADDR, LADDR, "
         "SKIPME (yes|no)."), /* one line, split for width: parentheses say so to clang */
        "LIST [TYPE (normal|master|replica|pubsub)]",
        "    Return information about client connections.",
        "INFO",
        "    Return information about the current client connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect the current client connection from eviction.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <LIB-NAME|LIB-VER> <value>",
        "    Set client meta attributes.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "HELP",
        "    Print this help."};
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
