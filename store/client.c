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
#include "common/util.h"
#include "store/command.h"
#include "store/multi.h"
#include "store/pubsub.h"
#include "store/reply.h"
#include "store/blocking.h"
#include "store/repl/repl.h"

#define READ_CHUNK (16 * 1024)
#define REPLY_KEEP_BYTES (64 * 1024) /* an idle reply buffer larger than this is released */

static void client_on_readable(struct loop *l, int fd, void *data, int mask);

struct client *client_create(struct server *srv, int fd)
{
    struct client *c = xcalloc(1, sizeof *c);
    c->id = ++srv->next_client_id;
    c->fd = fd;
    c->srv = srv;
    c->proto = 2;
    struct resp_limits lim;
    resp_limits_default(&lim);
    lim.max_bulk_len = (size_t)srv->cfg.proto_max_bulk_len;
    resp_request_init(&c->parser, &lim);
    c->ctime_ms = c->last_interaction_ms = loop_now_ms(srv->loop);
    if (srv->cfg.requirepass == NULL || srv->cfg.requirepass[0] == '\0')
        c->flags |= CLIENT_AUTHENTICATED;
    if (fd >= 0) {
        char ip[NET_IP_STRLEN] = "?";
        int port = 0;
        net_peer_addr(fd, ip, sizeof ip, &port);
        net_format_addr(c->addr, sizeof c->addr, ip, port);
        net_local_addr(fd, ip, sizeof ip, &port);
        net_format_addr(c->laddr, sizeof c->laddr, ip, port);
        if (srv->cfg.tcp_keepalive_ms > 0)
            net_set_keepalive(fd, (int)(srv->cfg.tcp_keepalive_ms / 1000));
        loop_watch(srv->loop, fd, LOOP_READABLE, client_on_readable, c);
    } else {
        c->flags |= CLIENT_FAKE | CLIENT_AUTHENTICATED;
    }
    c->next = srv->clients;
    if (srv->clients) srv->clients->prev = c;
    srv->clients = c;
    srv->nclients++;
    return c;
}

bool client_protected_mode_refuses(struct server *srv, int fd, const char *ip)
{
    const char *pass = srv->cfg.requirepass;
    if (!guard_protected_mode_refuses(srv->cfg.protected_mode, pass && pass[0], ip)) return false;
    guard_send_denied(fd);
    return true;
}

static void pending_remove(struct client *c)
{
    if (!(c->flags & CLIENT_PENDING_WRITE)) return;
    struct client **pp = &c->srv->pending_writes;
    while (*pp && *pp != c) pp = &(*pp)->pending_next;
    if (*pp) *pp = c->pending_next;
    c->flags &= ~CLIENT_PENDING_WRITE;
}

void client_reset_argv(struct client *c)
{
    c->argc = 0;
    c->argv = NULL;
    c->cmd = NULL;
}

void client_free(struct client *c)
{
    struct server *srv = c->srv;
    if (c->flags & CLIENT_BLOCKED) blocking_unblock_client(c, false);
    multi_discard(c);
    multi_unwatch_all(c);
    pubsub_unsubscribe_all(c, false);
    if (c->flags & CLIENT_MONITOR) server_monitor_remove(c);
    if (c->flags & CLIENT_PAUSED) server_forget_paused(c);
    if ((c->flags & (CLIENT_REPLICA | CLIENT_MASTER)) || c->replica) repl_client_freed(c);
    pending_remove(c);
    if (c->fd >= 0) {
        loop_unwatch(srv->loop, c->fd, LOOP_READABLE | LOOP_WRITABLE);
        close(c->fd);
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->nclients--;
    resp_request_free(&c->parser);
    buf_free(&c->query);
    buf_free(&c->reply);
    free(c->name);
    free(c->lib_name);
    free(c->lib_ver);
    free(c);
}

static void close_deferred(struct loop *l, void *data)
{
    UNUSED(l);
    client_free(data);
}

void client_close_async(struct client *c)
{
    if (c->flags & CLIENT_CLOSE_ASAP) return;
    c->flags |= CLIENT_CLOSE_ASAP;
    loop_defer(c->srv->loop, close_deferred, c);
}

void client_queue_write(struct client *c)
{
    if (c->flags & (CLIENT_PENDING_WRITE | CLIENT_CLOSE_ASAP)) return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->pending_next = c->srv->pending_writes;
    c->srv->pending_writes = c;
}

/* Write as much as the socket takes. Returns -1 if the connection failed. */
static int client_write(struct client *c)
{
    struct buf *b = &c->reply;
    while (buf_unread_len(b) > 0) {
        ssize_t n = write(c->fd, buf_unread(b), buf_unread_len(b));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            log_verbose("Error writing to client %s: %s", c->addr, strerror(errno));
            return -1;
        }
        buf_consume(b, (size_t)n);
        c->srv->stats.net_output_bytes += (uint64_t)n;
        if (!(c->flags & CLIENT_MASTER)) c->last_interaction_ms = loop_now_ms(c->srv->loop);
    }
    if (buf_unread_len(b) == 0) buf_shrink_if_idle(b, REPLY_KEEP_BYTES);
    return 0;
}

static void client_on_writable(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(fd);
    UNUSED(mask);
    struct client *c = data;
    if (client_write(c) < 0) {
        client_close_async(c);
        return;
    }
    if (buf_unread_len(&c->reply) == 0) {
        loop_unwatch(l, c->fd, LOOP_WRITABLE);
        if (c->flags & CLIENT_CLOSE_AFTER_REPLY) client_close_async(c);
    }
}

void client_flush_pending(struct server *srv)
{
    while (srv->pending_writes) {
        struct client *c = srv->pending_writes;
        srv->pending_writes = c->pending_next;
        c->flags &= ~CLIENT_PENDING_WRITE;
        if (c->flags & CLIENT_CLOSE_ASAP) continue;
        if (client_write(c) < 0) {
            client_close_async(c);
            continue;
        }
        if (buf_unread_len(&c->reply) > 0) {
            loop_watch(srv->loop, c->fd, LOOP_WRITABLE, client_on_writable, c);
        } else if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
            client_close_async(c);
        }
    }
}

static void client_protocol_error(struct client *c)
{
    char msg[256];
    snprintf(msg, sizeof msg, "ERR %s", resp_request_error(&c->parser));
    log_verbose("Protocol error (%s) from client: id=%llu addr=%s", resp_request_error(&c->parser),
                (unsigned long long)c->id, c->addr);
    reply_error(c, msg);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

bool client_auth_required(const struct client *c)
{
    const char *pass = c->srv->cfg.requirepass;
    return !(c->flags & CLIENT_AUTHENTICATED) && pass && pass[0];
}

/* A client that has not authenticated may not make the server hold its replies: past the guard's
 * bound it is closed (as Redis does), whatever it keeps sending. True if it was closed. */
static bool client_check_unauth_reply(struct client *c)
{
    if (!client_auth_required(c) || buf_unread_len(&c->reply) <= GUARD_UNAUTH_MAX_REPLY_BYTES)
        return false;
    log_warning("Closing unauthenticated client id=%llu addr=%s: %zu bytes of replies unread "
                "(limit %zu before AUTH)",
                (unsigned long long)c->id, c->addr, buf_unread_len(&c->reply),
                GUARD_UNAUTH_MAX_REPLY_BYTES);
    c->srv->stats.evicted_clients++;
    client_close_async(c);
    return true;
}

/* An HTTP request: close at once, and drop replies not yet written (nothing goes back to the
 * page that sent it). */
static void client_close_cross_protocol(struct client *c)
{
    buf_clear(&c->reply);
    client_close_async(c);
}

void client_process_input(struct client *c)
{
    while (buf_unread_len(&c->query) > 0) {
        if (c->flags &
            (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_BLOCKED | CLIENT_PAUSED))
            break;
        size_t consumed = 0, argc = 0;
        struct resp_arg *argv = NULL;
        resp_request_set_unauthenticated(&c->parser, client_auth_required(c));
        int rc = resp_request_parse(&c->parser, buf_unread(&c->query), buf_unread_len(&c->query),
                                    &consumed, &argc, &argv);
        if (rc == RESP_INCOMPLETE) break;
        if (rc == RESP_ERR) {
            client_protocol_error(c);
            break;
        }
        if (guard_is_cross_protocol(argc, argv, c->addr)) {
            client_close_cross_protocol(c);
            break;
        }
        if (server_must_pause(c, argc, argv)) {
            /* Leave the command in the buffer: it is parsed and run again when the pause ends. */
            server_pause_client(c);
            break;
        }
        if (argc > 0) {
            c->argc = argc;
            c->argv = argv;
            command_execute(c);
            if (c->flags & CLIENT_MASTER) repl_master_client_processed(c, consumed);
            client_reset_argv(c);
            /* As Redis: clients blocked on keys this command filled are served before the next
             * command, so a command pipelined behind a push already sees the element gone. */
            blocking_serve_ready(c->srv);
        }
        /* The bytes stay valid until here: argv pointed into them during the command. */
        buf_consume(&c->query, consumed);
        if (client_check_unauth_reply(c)) break;
    }
    if (c->query.pos > 0 && c->query.pos >= c->query.len / 2) buf_compact(&c->query);
}

static void client_on_readable(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(l);
    UNUSED(mask);
    struct client *c = data;
    size_t want = READ_CHUNK, bulk_left = resp_request_bulk_remaining(&c->parser);
    if (bulk_left > want) want = bulk_left; /* read a big argument in one go */
    if (want > 1024 * 1024) want = 1024 * 1024;
    if (c->query.pos > 0 && c->query.len - c->query.pos < c->query.pos) buf_compact(&c->query);
    char *space = buf_space(&c->query, want);
    ssize_t n = read(fd, space, want);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n < 0) log_verbose("Reading from client: %s", strerror(errno));
        if (c->flags & CLIENT_MASTER)
            repl_master_link_lost(c->srv, n == 0 ? "connection closed" : strerror(errno));
        client_close_async(c);
        return;
    }
    buf_commit(&c->query, (size_t)n);
    c->srv->stats.net_input_bytes += (uint64_t)n;
    c->last_interaction_ms = loop_now_ms(c->srv->loop);
    if (c->flags & CLIENT_MASTER) repl_master_link_activity(c->srv);
    if ((long long)buf_unread_len(&c->query) > c->srv->cfg.client_query_buffer_limit) {
        log_warning("Closing client that reached max query buffer length: id=%llu addr=%s qbuf=%zu",
                    (unsigned long long)c->id, c->addr, buf_unread_len(&c->query));
        client_close_async(c);
        return;
    }
    client_process_input(c);
}

const char *client_type_name(const struct client *c)
{
    if (c->flags & CLIENT_REPLICA) return "replica";
    if (c->flags & CLIENT_MASTER) return "master";
    if (c->flags & CLIENT_PUBSUB) return "pubsub";
    return "normal";
}

static int obuf_class(const struct client *c)
{
    if (c->flags & CLIENT_REPLICA) return OBUF_REPLICA;
    if (c->flags & CLIENT_PUBSUB) return OBUF_PUBSUB;
    return OBUF_NORMAL;
}

bool client_check_obuf(struct client *c)
{
    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_MASTER | CLIENT_FAKE)) return false;
    const struct obuf_limit *lim = &c->srv->cfg.obuf[obuf_class(c)];
    long long used = (long long)buf_unread_len(&c->reply);
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
    c->srv->stats.evicted_clients++;
    client_close_async(c);
    return true;
}

bool client_cron(struct client *c, int64_t now_mono_ms)
{
    if (client_check_obuf(c)) return true;
    int64_t idle_limit = c->srv->cfg.timeout_ms;
    if (idle_limit > 0 &&
        !(c->flags &
          (CLIENT_REPLICA | CLIENT_MASTER | CLIENT_BLOCKED | CLIENT_PUBSUB | CLIENT_FAKE)) &&
        now_mono_ms - c->last_interaction_ms > idle_limit) {
        log_verbose("Closing idle client");
        client_close_async(c);
        return true;
    }
    if (c->query.cap > 64 * 1024 && buf_unread_len(&c->query) == 0) buf_free(&c->query);
    return false;
}

static void flags_string(const struct client *c, char *out)
{
    char *p = out;
    if (c->flags & CLIENT_REPLICA) *p++ = 'S';
    if (c->flags & CLIENT_MASTER) *p++ = 'M';
    if (c->flags & CLIENT_PUBSUB) *p++ = 'P';
    if (c->flags & CLIENT_MULTI) *p++ = 'x';
    if (c->flags & CLIENT_BLOCKED) *p++ = 'b';
    if (c->flags & CLIENT_DIRTY_CAS) *p++ = 'd';
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->flags & CLIENT_CLOSE_ASAP) *p++ = 'A';
    if (c->flags & CLIENT_NO_EVICT) *p++ = 'e';
    if (c->flags & CLIENT_MONITOR) *p++ = 'O';
    if (p == out) *p++ = 'N';
    *p = '\0';
}

void client_format_info(const struct client *c, struct buf *out)
{
    int64_t now = loop_now_ms(c->srv->loop);
    char flags[24];
    flags_string(c, flags);
    const char *cmd = c->last_cmd ? c->last_cmd->name : "NULL";
    buf_printf(out,
               "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
               "sub=%zu psub=%zu ssub=0 multi=%d qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 "
               "rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=r cmd=%s user=default "
               "redir=-1 resp=%d lib-name=%s lib-ver=%s",
               (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
               (long long)((now - c->ctime_ms) / 1000),
               (long long)((now - c->last_interaction_ms) / 1000), flags, c->db,
               pubsub_client_channels(c), pubsub_client_patterns(c),
               (c->flags & CLIENT_MULTI) ? (int)c->mcount : -1, buf_unread_len(&c->query),
               c->query.cap - c->query.len, c->query.cap, c->query.cap, buf_unread_len(&c->reply),
               c->reply.cap, c->query.cap + c->reply.cap + sizeof *c, cmd, c->proto,
               c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "");
}
