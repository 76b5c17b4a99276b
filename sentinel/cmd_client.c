/* cmd_client: CLIENT (SETNAME GETNAME SETINFO ID KILL LIST INFO HELP NO-EVICT NO-TOUCH, and
 * the key-tracking ones GETREDIR TRACKINGINFO CACHING UNBLOCK, which on a sentinel, with no keys
 * and no blocking commands, have nothing to do and answer as Redis Sentinel does) for the
 * sentinel's command server. The CLIENT KILL filter form closes matching clients synchronously,
 * the caller only after its reply and only with SKIPME no (as Redis). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/cmd_server_int.h"

static bool eq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

/* ---- CLIENT --------------------------------------------------------------------------------- */

static bool printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '!' || s[i] > '~') return false;
    return true;
}

static void client_id(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_integer(c, (long long)c->id);
}

static void client_getname(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    if (c->name)
        reply_bulk_str(c, c->name);
    else
        reply_null(c);
}

static void client_setname(struct client *c, const struct cmd_args *a)
{
    if (!printable(a->argv[2], a->len[2])) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    free(c->name);
    c->name = a->len[2] ? xstrndup(a->argv[2], a->len[2]) : NULL;
    reply_status(c, "OK");
}

static void client_setinfo(struct client *c, const struct cmd_args *a)
{
    char **slot;
    if (eq(a->argv[2], "lib-name"))
        slot = &c->lib_name;
    else if (eq(a->argv[2], "lib-ver"))
        slot = &c->lib_ver;
    else {
        reply_errorf(c, "ERR Unrecognized option '%.128s'", a->argv[2]);
        return;
    }
    if (!printable(a->argv[3], a->len[3])) {
        reply_errorf(c, "ERR %s cannot contain spaces, newlines or special characters.",
                     slot == &c->lib_name ? "lib-name" : "lib-ver");
        return;
    }
    free(*slot);
    *slot = a->len[3] ? xstrndup(a->argv[3], a->len[3]) : NULL;
    reply_status(c, "OK");
}

static void reply_text(struct client *c, struct buf *b)
{
    if (c->proto >= 3)
        reply_verbatim(c, b->data ? b->data : "", b->len);
    else
        reply_bulk(c, b->data ? b->data : "", b->len);
}

static void client_info(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    struct buf b;
    buf_init(&b);
    client_describe(c, &b);
    reply_text(c, &b);
    buf_free(&b);
}

/* TYPE normal|pubsub (others match nothing here: a sentinel has no replica or master clients). */
static int type_matches(const struct client *x, const char *type)
{
    if (eq(type, "normal")) return !client_is_subscribed(x);
    if (eq(type, "pubsub")) return client_is_subscribed(x);
    if (eq(type, "master") || eq(type, "replica") || eq(type, "slave")) return 0;
    return -1;
}

static void client_list(struct client *c, const struct cmd_args *a)
{
    const char *type = NULL;
    if (a->argc == 4 && eq(a->argv[2], "type")) {
        type = a->argv[3];
        if (type_matches(c, type) < 0) {
            reply_errorf(c, "ERR Unknown client type '%.128s'", type);
            return;
        }
    } else if (a->argc != 2) {
        reply_error(c, "ERR syntax error");
        return;
    }
    struct buf b;
    buf_init(&b);
    for (const struct client *x = c->srv->clients; x; x = x->next)
        if (type == NULL || type_matches(x, type) == 1) client_describe(x, &b);
    reply_text(c, &b);
    buf_free(&b);
}

struct kill_filter {
    long long id;
    const char *addr, *laddr, *type;
    bool skipme;
};

static int parse_kill_filter(struct client *c, const struct cmd_args *a, struct kill_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->id = -1;
    f->skipme = true;
    if ((a->argc - 2) % 2 != 0) goto syntax;
    for (int i = 2; i + 1 < a->argc; i += 2) {
        const char *k = a->argv[i], *v = a->argv[i + 1];
        if (eq(k, "id")) {
            if (util_parse_ll(v, a->len[i + 1], &f->id) != 0 || f->id <= 0) {
                reply_error(c, "ERR client-id should be greater than 0");
                return -1;
            }
        } else if (eq(k, "addr")) {
            f->addr = v;
        } else if (eq(k, "laddr")) {
            f->laddr = v;
        } else if (eq(k, "type")) {
            if (type_matches(c, v) < 0) {
                reply_errorf(c, "ERR Unknown client type '%.128s'", v);
                return -1;
            }
            f->type = v;
        } else if (eq(k, "user")) {
            if (strcmp(v, "default") != 0) {
                reply_errorf(c, "ERR No such user '%.128s'", v);
                return -1;
            }
        } else if (eq(k, "skipme")) {
            if (eq(v, "yes"))
                f->skipme = true;
            else if (eq(v, "no"))
                f->skipme = false;
            else
                goto syntax;
        } else {
            goto syntax;
        }
    }
    return 0;
syntax:
    reply_error(c, "ERR syntax error");
    return -1;
}

static bool kill_matches(const struct client *x, const struct kill_filter *f)
{
    if (f->id > 0 && (long long)x->id != f->id) return false;
    if (f->addr && strcmp(f->addr, x->addr) != 0) return false;
    if (f->laddr && strcmp(f->laddr, x->laddr) != 0) return false;
    if (f->type && type_matches(x, f->type) != 1) return false;
    return true;
}

static void client_kill(struct client *c, const struct cmd_args *a)
{
    if (a->argc == 3) { /* old form: CLIENT KILL ip:port */
        for (struct client *x = c->srv->clients; x; x = x->next) {
            if (strcmp(x->addr, a->argv[2]) != 0) continue;
            reply_status(c, "OK");
            if (x == c)
                c->close_after_reply = true;
            else
                client_close(x);
            return;
        }
        reply_error(c, "ERR No such client");
        return;
    }
    struct kill_filter f;
    if (parse_kill_filter(c, a, &f) != 0) return;
    long long killed = 0;
    bool kill_self = false;
    struct client *x = c->srv->clients;
    while (x) {
        struct client *next = x->next;
        if (kill_matches(x, &f) && !(x == c && f.skipme)) {
            killed++;
            if (x == c)
                kill_self = true;
            else
                client_close(x);
        }
        x = next;
    }
    reply_integer(c, killed);
    if (kill_self) c->close_after_reply = true;
}

static void client_on_off(struct client *c, const struct cmd_args *a)
{
    if (eq(a->argv[2], "on") || eq(a->argv[2], "off"))
        reply_status(c, "OK");
    else
        reply_error(c, "ERR syntax error");
}

static const char *const client_help[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
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
    "    This text.",
};

void reply_help(struct client *c, const char *const *lines, size_t n)
{
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) reply_status(c, lines[i]);
}

static void client_helpcmd(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_help(c, client_help, ARRAY_LEN(client_help));
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
    resp_write_set_header(&c->reply, c->proto, 1);
    resp_write_bulk_str(&c->reply, "off");
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
            reply_wrong_arity(c, full);
            return;
        }
        d->fn(c, a);
        return;
    }
    char upper[32];
    size_t k = 0;
    for (; parent[k] && k + 1 < sizeof(upper); k++)
        upper[k] = (char)(parent[k] >= 'a' && parent[k] <= 'z' ? parent[k] - 32 : parent[k]);
    upper[k] = '\0';
    reply_unknown_subcommand(c, a->argv[1], upper);
}

void cmd_client(struct client *c, const struct cmd_args *a)
{
    cmd_run_subcommand(c, a, "client", client_subs, ARRAY_LEN(client_subs));
}
