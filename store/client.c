/* client: see client.h. */
#include "store/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/guard.h"
#include "common/log.h"
#include "common/net.h"
#include "common/reply.h"
#include "common/util.h"
#include "store/command.h"
#include "store/multi.h"
#include "store/pubsub.h"
#include "store/tracking.h"
#include "store/reply.h"
#include "store/acl.h"
#include "store/blocking.h"
#include "store/client_evict.h"
#include "store/repl/repl.h"
#include "store/script/script.h"

static bool client_execute(struct conn *k, size_t argc, struct resp_arg *argv, size_t consumed);
static void client_release(struct conn *k);
static bool client_input_held(const struct conn *k);
static void client_after_read(struct conn *k, ssize_t n, int err);
static bool client_default_user_nopass(const struct conn *k);
static int client_authenticate(struct conn *k, const char *user, size_t ulen, const char *pass,
                               size_t plen);
static bool client_user_exists(const struct conn *k, const char *user, size_t len);
static const char *client_user_of(const struct conn *k);
static const char *client_conn_type(const struct conn *k);
static void client_describe(const struct conn *k, struct buf *out);
static const char *client_hello_role(const struct conn *k);

const struct conn_ops client_conn_ops = {
    .execute = client_execute,
    .release = client_release,
    .input_held = client_input_held,
    .after_read = client_after_read,
    .default_user_nopass = client_default_user_nopass,
    .authenticate = client_authenticate,
    .user_exists = client_user_exists,
    .user_of = client_user_of,
    .type_name = client_conn_type,
    .describe = client_describe,
    .hello_mode = "standalone",
    .hello_role = client_hello_role,
};

struct client *client_create(struct server *srv, int fd)
{
    struct client *c = xcalloc(1, sizeof *c);
    c->srv = srv;
    struct resp_limits lim;
    resp_limits_default(&lim);
    lim.max_bulk_len = (size_t)srv->cfg.proto_max_bulk_len;
    conn_init(&c->conn, &srv->conns, fd, &lim);
    if (fd >= 0 && srv->cfg.tcp_keepalive_ms > 0)
        net_set_keepalive(fd, (int)(srv->cfg.tcp_keepalive_ms / 1000));
    return c;
}

bool client_protected_mode_refuses(struct server *srv, const char *ip)
{
    return guard_protected_mode_refuses(srv->cfg.protected_mode, !store_acl_default_nopass(srv),
                                        ip);
}

void client_reset_argv(struct client *c)
{
    c->argc = 0;
    c->argv = NULL;
    c->cmd = NULL;
}

/* The store's part of closing a client: transactions, subscriptions, blocking, replication. */
static void client_release(struct conn *k)
{
    struct client *c = client_of(k);
    client_evict_forget(c);
    if (c->flags & CLIENT_BLOCKED) blocking_unblock_client(c, false);
    multi_discard(c);
    multi_unwatch_all(c);
    pubsub_unsubscribe_all(c, false);
    if (c->flags & CLIENT_MONITOR) server_monitor_remove(c);
    if (c->flags & CLIENT_PAUSED) server_forget_paused(c);
    if ((c->flags & (CLIENT_REPLICA | CLIENT_MASTER)) || c->replica) repl_client_freed(c);
    tracking_disable(c);
    free(c->user);
    c->user = NULL;
}

void client_free(struct client *c) { conn_free(&c->conn); }

static bool client_execute(struct conn *k, size_t argc, struct resp_arg *argv, size_t consumed)
{
    struct client *c = client_of(k);
    if (server_must_pause(c, argc, argv)) {
        /* Leave the command in the buffer: it is parsed and run again when the pause ends. */
        server_pause_client(c);
        return false;
    }
    c->argc = argc;
    c->argv = argv;
    command_execute(c);
    tracking_command_done(c);
    if (c->flags & CLIENT_MASTER) repl_master_client_processed(c, consumed);
    client_reset_argv(c);
    /* As Redis: clients blocked on keys this command filled are served before the next command,
     * so a command pipelined behind a push already sees the element gone. */
    blocking_serve_ready(c->srv);
    return true;
}

static bool client_input_held(const struct conn *k)
{
    const struct client *c = client_of((struct conn *)k);
    if (c->flags & (CLIENT_BLOCKED | CLIENT_PAUSED)) return true;
    /* A replica's busy script: the master's stream waits (it is applied after the script, as
     * Redis does), it is neither refused with -BUSY nor applied in the middle of the script. */
    return (c->flags & CLIENT_MASTER) && script_is_busy(c->srv);
}

static void client_after_read(struct conn *k, ssize_t n, int err)
{
    struct client *c = client_of(k);
    if (!(c->flags & CLIENT_MASTER)) {
        if (n > 0) client_evict_track(c); /* the query buffer may have grown */
        return;
    }
    if (n > 0)
        repl_master_link_activity(c->srv);
    else
        repl_master_link_lost(c->srv, n == 0 ? "connection closed" : strerror(err));
}

static bool client_default_user_nopass(const struct conn *k)
{
    return store_acl_default_nopass(client_of((struct conn *)k)->srv);
}

bool client_auth_required(const struct client *c) { return conn_auth_required(&c->conn); }

/* Users are acl.c's (AUTH user pass, HELLO AUTH, CLIENT KILL USER). */
static int client_authenticate(struct conn *k, const char *user, size_t ulen, const char *pass,
                               size_t plen)
{
    return store_acl_authenticate(client_of(k), user, ulen, pass, plen);
}

static bool client_user_exists(const struct conn *k, const char *user, size_t len)
{
    return store_acl_user_exists(client_of((struct conn *)k)->srv, user, len);
}

static const char *client_user_of(const struct conn *k)
{
    return store_acl_user_of(client_of((struct conn *)k));
}

static const char *client_conn_type(const struct conn *k)
{
    return client_type_name(client_of((struct conn *)k));
}

static const char *client_hello_role(const struct conn *k)
{
    return server_is_replica(client_of((struct conn *)k)->srv) ? "replica" : "master";
}

const char *client_type_name(const struct client *c)
{
    if (c->flags & CLIENT_REPLICA) return "replica";
    if (c->flags & CLIENT_MASTER) return "master";
    if (c->conn.flags & CONN_PUBSUB) return "pubsub";
    return "normal";
}

static int obuf_class(const struct client *c)
{
    if (c->flags & CLIENT_REPLICA) return OBUF_REPLICA;
    if (c->conn.flags & CONN_PUBSUB) return OBUF_PUBSUB;
    return OBUF_NORMAL;
}

bool client_check_obuf(struct client *c)
{
    if ((c->flags & CLIENT_MASTER) || (c->conn.flags & (CONN_CLOSE_ASAP | CONN_FAKE))) return false;
    client_evict_track(c); /* output was appended: maxmemory-clients may evict c or others */
    if (c->conn.flags & CONN_CLOSE_ASAP) return true;
    const struct obuf_limit *lim = &c->srv->cfg.obuf[obuf_class(c)];
    long long used = (long long)buf_unread_len(&c->conn.reply);
    int64_t now = loop_now_ms(c->srv->loop);
    bool over_soft = lim->soft_bytes > 0 && used > lim->soft_bytes;
    if (!over_soft)
        c->obuf_soft_since_ms = 0;
    else if (c->obuf_soft_since_ms == 0)
        c->obuf_soft_since_ms = now;
    bool hard = lim->hard_bytes > 0 && used > lim->hard_bytes;
    bool soft = over_soft && now - c->obuf_soft_since_ms > lim->soft_seconds * 1000;
    if (!hard && !soft) return false;
    struct buf info;
    buf_init(&info);
    client_format_info(c, &info);
    log_warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                info.data);
    buf_free(&info);
    c->srv->conns.stats.evicted++;
    client_close_async(c);
    return true;
}

bool client_cron(struct client *c, int64_t now_mono_ms)
{
    if (client_check_obuf(c)) return true;
    int64_t idle_limit = c->srv->cfg.timeout_ms;
    if (idle_limit > 0 && !(c->flags & (CLIENT_REPLICA | CLIENT_MASTER | CLIENT_BLOCKED)) &&
        !(c->conn.flags & (CONN_PUBSUB | CONN_FAKE)) &&
        now_mono_ms - c->conn.last_interaction_ms > idle_limit) {
        log_verbose("Closing idle client");
        client_close_async(c);
        return true;
    }
    if (c->conn.query.cap > 64 * 1024 && buf_unread_len(&c->conn.query) == 0) {
        buf_free(&c->conn.query);
        client_evict_track(c);
    }
    return false;
}

static void flags_string(const struct client *c, char *out)
{
    char *p = out;
    if (c->flags & CLIENT_REPLICA) *p++ = 'S';
    if (c->flags & CLIENT_MASTER) *p++ = 'M';
    if (c->conn.flags & CONN_PUBSUB) *p++ = 'P';
    if (c->flags & CLIENT_MULTI) *p++ = 'x';
    if (c->flags & (CLIENT_BLOCKED | CLIENT_PAUSED)) *p++ = 'b';
    if (c->tracking) *p++ = 't'; /* Redis's place for the tracking flags */
    if (c->tracking && (c->tracking->flags & TRACKING_BROKEN_REDIR)) *p++ = 'R';
    if (c->tracking && (c->tracking->flags & TRACKING_BCAST)) *p++ = 'B';
    if (c->flags & CLIENT_DIRTY_CAS) *p++ = 'd';
    if (c->conn.flags & CONN_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->conn.flags & CONN_CLOSE_ASAP) *p++ = 'A';
    if (c->flags & CLIENT_NO_EVICT) *p++ = 'e';
    if (c->flags & CLIENT_MONITOR) *p++ = 'O';
    if (p == out) *p++ = 'N';
    *p = '\0';
}

static void client_describe(const struct conn *k, struct buf *out)
{
    client_format_info(client_of((struct conn *)k), out);
}

/* Each subscription: an entry in the client's set and one in the server's index. */
#define SUBSCRIPTION_BYTES 64

size_t client_memory_bytes(const struct client *c)
{
    size_t bytes = sizeof *c + c->conn.query.cap + c->conn.reply.cap;
    bytes += resp_request_mem_bytes(&c->conn.parser);
    bytes += c->mbytes + c->mcap * sizeof *c->mstate;
    bytes +=
        (pubsub_client_channels(c) + pubsub_client_patterns(c) + pubsub_client_shard_channels(c)) *
        SUBSCRIPTION_BYTES;
    if (c->conn.name) bytes += strlen(c->conn.name) + 1;
    return bytes;
}

/* Bytes of the current command's arguments (CLIENT LIST's argv-mem). */
static size_t client_argv_bytes(const struct client *c)
{
    size_t bytes = 0;
    for (size_t i = 0; c->argv && i < c->argc; i++) bytes += c->argv[i].len;
    return bytes;
}

void client_format_info(const struct client *c, struct buf *out)
{
    int64_t now = loop_now_ms(c->srv->loop);
    char flags[24];
    flags_string(c, flags);
    const char *cmd = c->last_cmd ? c->last_cmd->name : "NULL";
    buf_printf(
        out,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
        "sub=%zu psub=%zu ssub=%zu multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=%zu "
        "rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=r cmd=%s user=%s "
        "redir=%lld resp=%d lib-name=%s lib-ver=%s",
        (unsigned long long)c->conn.id, c->conn.addr, c->conn.laddr, c->conn.fd,
        c->conn.name ? c->conn.name : "", (long long)((now - c->conn.ctime_ms) / 1000),
        (long long)((now - c->conn.last_interaction_ms) / 1000), flags, c->db,
        pubsub_client_channels(c), pubsub_client_patterns(c), pubsub_client_shard_channels(c),
        (c->flags & CLIENT_MULTI) ? (int)c->mcount : -1, buf_unread_len(&c->conn.query),
        c->conn.query.cap - c->conn.query.len, client_argv_bytes(c),
        c->mbytes + c->mcap * sizeof *c->mstate, c->conn.query.cap, c->conn.query.cap,
        buf_unread_len(&c->conn.reply), c->conn.reply.cap, client_memory_bytes(c), cmd,
        store_acl_user_of(c), tracking_redirect_of(c), c->conn.proto,
        c->conn.lib_name ? c->conn.lib_name : "", c->conn.lib_ver ? c->conn.lib_ver : "");
}
