/* cmd_server: the sentinel's command server: listeners and accepting, its side of the shared
 * connection layer (common/conn.h: reading, parsing, replies and writing are there), dispatch
 * through the command table with Redis's checks in Redis's order (unknown command, arity,
 * authentication, subscribed context), output limits, and pub/sub bookkeeping and delivery. */
#include "sentinel/cmd_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/conn_listen.h"
#include "common/guard.h"
#include "common/log.h"
#include "common/util.h"
#include "sentinel/cmd_server_int.h"
#include "sentinel/sentinel_tls.h"

/* ---- limits and pub/sub --------------------------------------------------------------------- */

/* After a command or a delivery: a client whose unread replies pass its limit is closed, never
 * the process grown without bound. True if c was closed. */
static bool client_check_output(struct conn *k)
{
    struct client *c = (struct client *)(void *)k;
    size_t limit =
        client_is_subscribed(c) ? CMD_SERVER_MAX_PUBSUB_REPLY_BYTES : CMD_SERVER_MAX_REPLY_BYTES;
    if (buf_unread_len(&k->reply) <= limit) return false;
    log_warning("closing client %s: output buffer over %zu bytes", k->addr, limit);
    k->set->stats.evicted++;
    client_close(c);
    return true;
}

bool client_is_subscribed(const struct client *c) { return c->n_channels + c->n_patterns > 0; }

static void client_update_pubsub(struct client *c)
{
    if (client_is_subscribed(c))
        c->conn.flags |= CONN_PUBSUB;
    else
        c->conn.flags &= ~CONN_PUBSUB;
}

int client_subscribe(struct client *c, const char *name, bool pattern)
{
    char ***list = pattern ? &c->patterns : &c->channels;
    size_t *n = pattern ? &c->n_patterns : &c->n_channels;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0) return 0;
    if (c->n_channels + c->n_patterns >= CMD_SERVER_MAX_SUBSCRIPTIONS) return -1;
    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = xstrdup(name);
    client_update_pubsub(c);
    return 1;
}

int client_unsubscribe(struct client *c, const char *name, bool pattern)
{
    char **list = pattern ? c->patterns : c->channels;
    size_t *n = pattern ? &c->n_patterns : &c->n_channels;
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(list[i], name) != 0) continue;
        free(list[i]);
        memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(*list));
        (*n)--;
        client_update_pubsub(c);
        return 1;
    }
    return 0;
}

static void deliver(struct client *c, const char *pattern, const char *channel, const char *msg,
                    size_t len)
{
    reply_message(c, pattern, pattern ? strlen(pattern) : 0, channel, strlen(channel), msg, len);
    client_check_output(&c->conn);
}

static bool client_is_closing(const struct client *c)
{
    return (c->conn.flags & CONN_CLOSE_ASAP) != 0;
}

int cmd_server_publish(struct cmd_server *srv, const char *channel, const char *msg, size_t len)
{
    int receivers = 0;
    size_t chlen = strlen(channel);
    for (struct client *c = client_first(srv); c; c = client_next(c)) {
        for (size_t i = 0; i < c->n_channels && !client_is_closing(c); i++) {
            if (strcmp(c->channels[i], channel) != 0) continue;
            deliver(c, NULL, channel, msg, len);
            receivers++;
        }
        for (size_t i = 0; i < c->n_patterns && !client_is_closing(c); i++) {
            const char *p = c->patterns[i];
            if (!util_glob_match(p, strlen(p), channel, chlen, false)) continue;
            deliver(c, p, channel, msg, len);
            receivers++;
        }
    }
    return receivers;
}

void cmd_server_flush(struct cmd_server *srv) { conn_set_flush(&srv->conns); }

/* ---- dispatch ------------------------------------------------------------------------------- */

static void lower_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
    dst[i] = '\0';
}

static void dispatch(struct client *c, const struct cmd_args *a)
{
    struct cmd_server *srv = c->srv;
    srv->total_commands++;
    const struct cmd_def *d = cmd_table_lookup(a->argv[0]);
    if (d == NULL) {
        conn_reply_unknown_command(&c->conn, (size_t)a->argc, a->raw);
        return;
    }
    snprintf(c->last_cmd, sizeof(c->last_cmd), "%s", d->name);
    if ((d->flags & CMD_CONTAINER) && a->argc > 1) {
        size_t n = strlen(c->last_cmd);
        c->last_cmd[n++] = '|';
        lower_copy(c->last_cmd + n, sizeof(c->last_cmd) - n, a->argv[1]);
    }
    if ((d->arity > 0 && a->argc != d->arity) || (d->arity < 0 && a->argc < -d->arity)) {
        conn_reply_arity(&c->conn, d->name);
        return;
    }
    if (conn_auth_required(&c->conn) && !(d->flags & CMD_NOAUTH)) {
        reply_error(c, "NOAUTH Authentication required.");
        return;
    }
    if (cmd_acl_check(c, d, a) != 0) return;
    if (c->conn.proto < 3 && client_is_subscribed(c) && !(d->flags & CMD_PUBSUB)) {
        char lname[64];
        lower_copy(lname, sizeof(lname), a->argv[0]);
        reply_errorf(c,
                     "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                     "QUIT / RESET are allowed in this context",
                     lname);
        return;
    }
    d->fn(c, a);
}

/* Copy the parser's arguments into one allocation of NUL-terminated strings. */
static void args_build(struct cmd_args *a, size_t argc, const struct resp_arg *argv)
{
    size_t total = 0;
    for (size_t i = 0; i < argc; i++) total += argv[i].len + 1;
    char *mem = xmalloc(total + argc * (sizeof(char *) + sizeof(size_t)) + 16);
    a->argc = (int)argc;
    a->argv = (char **)(void *)mem;
    a->len = (size_t *)(void *)(mem + argc * sizeof(char *));
    a->raw = argv;
    char *p = mem + argc * (sizeof(char *) + sizeof(size_t));
    for (size_t i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        p[argv[i].len] = '\0';
        a->argv[i] = p;
        a->len[i] = argv[i].len;
        p += argv[i].len + 1;
    }
}

/* ---- the sentinel's side of its connections (conn_ops) -------------------------------------- */

static bool client_execute(struct conn *k, size_t argc, struct resp_arg *argv, size_t consumed)
{
    UNUSED(consumed);
    struct cmd_args a;
    args_build(&a, argc, argv);
    dispatch((struct client *)(void *)k, &a);
    free(a.argv);
    return true;
}

static void client_release(struct conn *k)
{
    struct client *c = (struct client *)(void *)k;
    for (size_t i = 0; i < c->n_channels; i++) free(c->channels[i]);
    for (size_t i = 0; i < c->n_patterns; i++) free(c->patterns[i]);
    free(c->channels);
    free(c->patterns);
}

static bool client_default_user_nopass(const struct conn *k)
{
    return cmd_acl_default_nopass(((const struct client *)(const void *)k)->srv);
}

static int client_authenticate(struct conn *k, const char *user, size_t ulen, const char *pass,
                               size_t plen)
{
    return cmd_acl_authenticate((struct client *)(void *)k, user, ulen, pass, plen);
}

static bool client_user_exists(const struct conn *k, const char *user, size_t len)
{
    return cmd_acl_user_exists(((const struct client *)(const void *)k)->srv, user, len);
}

static const char *client_user_of(const struct conn *k)
{
    return ((const struct client *)(const void *)k)->user;
}

/* A sentinel has no replica or master clients. */
static const char *client_type(const struct conn *k)
{
    return (k->flags & CONN_PUBSUB) ? "pubsub" : "normal";
}

static void client_describe_conn(const struct conn *k, struct buf *out)
{
    client_describe((const struct client *)(const void *)k, out);
}

static const struct conn_ops client_conn_ops = {
    .execute = client_execute,
    .release = client_release,
    .check_output = client_check_output,
    .default_user_nopass = client_default_user_nopass,
    .authenticate = client_authenticate,
    .user_exists = client_user_exists,
    .user_of = client_user_of,
    .type_name = client_type,
    .describe = client_describe_conn,
    .hello_mode = "sentinel",
    .hello_role = NULL,
};

static struct client *client_create(struct cmd_server *srv, int fd)
{
    struct client *c = xcalloc(1, sizeof(*c));
    c->srv = srv;
    snprintf(c->user, sizeof(c->user), "default");
    conn_init(&c->conn, &srv->conns, fd, NULL);
    return c;
}

/* Maxclients, then protected mode: NULL with *out the new client, or the refusal line the
 * listener delivers (conn_admit_fn). */
static const char *cmd_server_admit_client(struct cmd_server *srv, int cfd, const char *ip,
                                           struct client **out)
{
    *out = NULL;
    if ((int)srv->conns.count >= srv->maxclients) return CONN_MAXCLIENTS_REPLY;
    if (guard_protected_mode_refuses(srv->protected_mode, !cmd_acl_default_nopass(srv), ip))
        return guard_denied_reply();
    *out = client_create(srv, cfd);
    return NULL;
}

/* The context new sessions use now (a reload swaps it) and the handshake deadline. */
static struct tls_ctx *cmd_server_tls_now(void *ctx, int64_t *handshake_timeout_ms)
{
    struct cmd_server *srv = ctx;
    *handshake_timeout_ms = srv->tls_handshake_timeout_ms;
    return sentinel_tls_ctx(srv->tls);
}

/* The TLS listener's admit hook: the same checks, then the handshake before any command;
 * refusals go over TLS too (conn_listen_set_tls). */
static const char *cmd_server_admit_tls(void *ctx, int cfd, const char *ip)
{
    struct client *c;
    const char *refusal = cmd_server_admit_client(ctx, cfd, ip, &c);
    if (c) {
        int64_t timeout_ms = 0;
        struct tls_ctx *t = cmd_server_tls_now(ctx, &timeout_ms);
        conn_start_tls(&c->conn, t, timeout_ms);
    }
    return refusal;
}

/* The listener's admit hook: maxclients, then protected mode. */
static const char *cmd_server_admit(void *ctx, int cfd, const char *ip)
{
    struct client *c;
    return cmd_server_admit_client(ctx, cfd, ip, &c);
}

/* ---- server --------------------------------------------------------------------------------- */

static char *dup_opt(const char *s) { return s && s[0] ? xstrdup(s) : NULL; }

struct cmd_server *cmd_server_create(struct loop *l, const struct cmd_server_config *cfg, char *err,
                                     size_t errlen)
{
    struct cmd_server *srv = xcalloc(1, sizeof(*srv));
    srv->loop = l;
    conn_set_init(&srv->conns, l, &client_conn_ops, CMD_SERVER_MAX_QUERY_BYTES);
    /* Port 0: TLS only (the config check made sure a tls-port exists). */
    if (cfg->port != 0 && conn_listen_open(&srv->listener, l, cfg->binds, cfg->n_binds, cfg->port,
                                           cmd_server_admit, srv, err, errlen) != 0) {
        free(srv);
        return NULL;
    }
    srv->port = cfg->port != 0 ? srv->listener.port : 0;
    srv->tls = cfg->tls;
    srv->cfg = cfg->cfg;
    srv->tls_handshake_timeout_ms = cfg->tls_handshake_timeout_ms;
    const bool has_tls = cfg->tls && sentinel_tls_ctx(cfg->tls) && cfg->tls_port;
    if (has_tls && conn_listen_open(&srv->tls_listener, l, cfg->binds, cfg->n_binds, cfg->tls_port,
                                    cmd_server_admit_tls, srv, err, errlen) != 0) {
        if (srv->port) conn_listen_close(&srv->listener);
        free(srv);
        return NULL;
    }
    srv->tls_port = has_tls ? srv->tls_listener.port : 0;
    if (has_tls) conn_listen_set_tls(&srv->tls_listener, cmd_server_tls_now);
    srv->requirepass = dup_opt(cfg->requirepass);
    srv->protected_mode = cfg->protected_mode;
    srv->maxclients = cfg->maxclients > 0 ? cfg->maxclients : 10000;
    srv->config_file = xstrdup(cfg->config_file ? cfg->config_file : "");
    srv->executable = xstrdup(cfg->executable ? cfg->executable : "");
    util_random_hex(srv->run_id, 40);
    srv->run_id[40] = '\0';
    srv->start_wall_ms = clock_wall_ms();
    if (cmd_acl_init(srv, cfg->users_path, cfg->requirepass, err, errlen) != 0) {
        cmd_acl_free(srv);
        if (srv->port) conn_listen_close(&srv->listener);
        if (srv->tls_port) conn_listen_close(&srv->tls_listener);
        free(srv->requirepass);
        free(srv->config_file);
        free(srv->executable);
        free(srv);
        return NULL;
    }
    return srv;
}

void cmd_server_set_core(struct cmd_server *srv, struct sentinel *core, struct notify_io *notify)
{
    srv->core = core;
    srv->notify = notify;
}

void cmd_server_destroy(struct cmd_server *srv)
{
    if (srv == NULL) return;
    cmd_server_flush(srv);          /* best effort for queued replies */
    conn_set_free_all(&srv->conns); /* the loop does not run again: closing ones too */
    if (srv->port) conn_listen_close(&srv->listener);
    if (srv->tls_port) conn_listen_close(&srv->tls_listener);
    cmd_acl_free(srv);
    free(srv->requirepass);
    free(srv->config_file);
    free(srv->executable);
    free(srv);
}

bool cmd_server_shutdown_requested(const struct cmd_server *srv) { return srv->shutdown_requested; }
int cmd_server_port(const struct cmd_server *srv) { return srv->port; }

int cmd_server_tls_port(const struct cmd_server *srv) { return srv->tls_port; }

void client_describe(const struct client *c, struct buf *out)
{
    const struct conn *k = &c->conn;
    int64_t now = loop_now_ms(c->srv->loop);
    buf_printf(out,
               "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=N db=0 sub=%zu "
               "psub=%zu ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu "
               "rbp=0 obl=0 oll=0 omem=%zu tot-mem=%zu events=r%s cmd=%s user=%s "
               "redir=-1 resp=%d",
               (unsigned long long)k->id, k->addr, k->laddr, k->fd, k->name ? k->name : "",
               (long long)((now - k->ctime_ms) / 1000),
               (long long)((now - k->last_interaction_ms) / 1000), c->n_channels, c->n_patterns,
               buf_unread_len(&k->query), k->query.cap - k->query.len, k->reply.cap,
               buf_unread_len(&k->reply), k->query.cap + k->reply.cap,
               (k->flags & CONN_WRITE_WATCHED) ? "w" : "", c->last_cmd[0] ? c->last_cmd : "NULL",
               c->user, k->proto);
}
