/* cmd_server: connections of the sentinel's command server: accept, read and parse (RESP or
 * inline), dispatch through the command table with Redis's checks in Redis's order (unknown
 * command, arity, authentication, subscribed context), protocol-aware reply helpers with buffer
 * limits, pub/sub delivery, and writing before the loop sleeps. */
#include "sentinel/cmd_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/guard.h"
#include "common/log.h"
#include "common/util.h"
#include "sentinel/cmd_server_int.h"

#define READ_CHUNK 16384

/* ---- replies -------------------------------------------------------------------------------- */

static void client_mark_dirty(struct client *c)
{
    if (c->is_dirty || c->is_closed) return;
    c->is_dirty = true;
    c->dirty_next = c->srv->dirty;
    c->srv->dirty = c;
}

static bool client_auth_required(const struct client *c) { return !c->is_authed; }

/* After every reply write: enforce the output limit and schedule the write. A client that has
 * not authenticated gets the guard's small bound, so it cannot pin memory by not reading. */
void reply_commit(struct client *c)
{
    size_t limit =
        client_is_subscribed(c) ? CMD_SERVER_MAX_PUBSUB_REPLY_BYTES : CMD_SERVER_MAX_REPLY_BYTES;
    if (client_auth_required(c)) limit = GUARD_UNAUTH_MAX_REPLY_BYTES;
    if (buf_unread_len(&c->reply) > limit) {
        log_warning("closing client %s: output buffer over %zu bytes", c->addr, limit);
        client_close(c);
        return;
    }
    client_mark_dirty(c);
}

void reply_status(struct client *c, const char *s)
{
    resp_write_simple_str(&c->reply, s);
    reply_commit(c);
}

void reply_error(struct client *c, const char *s)
{
    c->srv->total_error_replies++;
    resp_write_error_str(&c->reply, s);
    reply_commit(c);
}

void reply_errorf(struct client *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_error(c, msg);
}

void reply_integer(struct client *c, long long v)
{
    resp_write_integer(&c->reply, v);
    reply_commit(c);
}

void reply_bulk(struct client *c, const char *s, size_t len)
{
    resp_write_bulk(&c->reply, s, len);
    reply_commit(c);
}

void reply_bulk_str(struct client *c, const char *s) { reply_bulk(c, s, strlen(s)); }

void reply_null(struct client *c)
{
    resp_write_null(&c->reply, c->proto);
    reply_commit(c);
}

void reply_null_array(struct client *c)
{
    resp_write_null_array(&c->reply, c->proto);
    reply_commit(c);
}

void reply_array(struct client *c, size_t n)
{
    resp_write_array_header(&c->reply, n);
    reply_commit(c);
}

void reply_map(struct client *c, size_t npairs)
{
    resp_write_map_header(&c->reply, c->proto, npairs);
    reply_commit(c);
}

void reply_verbatim(struct client *c, const char *s, size_t len)
{
    resp_write_verbatim(&c->reply, c->proto, s, len);
    reply_commit(c);
}

void reply_wrong_arity(struct client *c, const char *name)
{
    reply_errorf(c, "ERR wrong number of arguments for '%s' command", name);
}

void reply_unknown_subcommand(struct client *c, const char *sub, const char *cmd_upper)
{
    reply_errorf(c, "ERR unknown subcommand '%.128s'. Try %s HELP.", sub, cmd_upper);
}

/* ---- pub/sub -------------------------------------------------------------------------------- */

bool client_is_subscribed(const struct client *c) { return c->n_channels + c->n_patterns > 0; }

int client_subscribe(struct client *c, const char *name, bool pattern)
{
    char ***list = pattern ? &c->patterns : &c->channels;
    size_t *n = pattern ? &c->n_patterns : &c->n_channels;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0) return 0;
    if (c->n_channels + c->n_patterns >= CMD_SERVER_MAX_SUBSCRIPTIONS) return -1;
    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = xstrdup(name);
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
        return 1;
    }
    return 0;
}

static void deliver(struct client *c, const char *pattern, const char *channel, const char *msg,
                    size_t len)
{
    if (pattern) {
        resp_write_push_header(&c->reply, c->proto, 4);
        resp_write_bulk_str(&c->reply, "pmessage");
        resp_write_bulk_str(&c->reply, pattern);
    } else {
        resp_write_push_header(&c->reply, c->proto, 3);
        resp_write_bulk_str(&c->reply, "message");
    }
    resp_write_bulk_str(&c->reply, channel);
    resp_write_bulk(&c->reply, msg, len);
    reply_commit(c);
}

int cmd_server_publish(struct cmd_server *srv, const char *channel, const char *msg, size_t len)
{
    int receivers = 0;
    size_t chlen = strlen(channel);
    for (struct client *c = srv->clients; c; c = c->next) {
        if (c->is_closed) continue;
        for (size_t i = 0; i < c->n_channels; i++) {
            if (strcmp(c->channels[i], channel) != 0) continue;
            deliver(c, NULL, channel, msg, len);
            receivers++;
        }
        for (size_t i = 0; i < c->n_patterns && !c->is_closed; i++) {
            const char *p = c->patterns[i];
            if (!util_glob_match(p, strlen(p), channel, chlen, false)) continue;
            deliver(c, p, channel, msg, len);
            receivers++;
        }
    }
    return receivers;
}

/* ---- client lifecycle ----------------------------------------------------------------------- */

static void client_free_deferred(struct loop *l, void *data)
{
    UNUSED(l);
    struct client *c = data;
    for (size_t i = 0; i < c->n_channels; i++) free(c->channels[i]);
    for (size_t i = 0; i < c->n_patterns; i++) free(c->patterns[i]);
    free(c->channels);
    free(c->patterns);
    free(c->name);
    free(c->lib_name);
    free(c->lib_ver);
    buf_free(&c->qbuf);
    buf_free(&c->reply);
    resp_request_free(&c->req);
    free(c);
}

void client_close(struct client *c)
{
    if (c->is_closed) return;
    struct cmd_server *srv = c->srv;
    c->is_closed = true;
    loop_unwatch(srv->loop, c->fd, LOOP_READABLE | LOOP_WRITABLE);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->n_clients--;
    /* A dirty client is dropped from the flush list by cmd_server_flush, which frees it. */
    if (!c->is_dirty && srv->is_destroying)
        client_free_deferred(srv->loop, c);
    else if (!c->is_dirty)
        loop_defer(srv->loop, client_free_deferred, c);
}

static void on_client_writable(struct loop *l, int fd, void *data, int mask);

static void client_write(struct client *c)
{
    while (buf_unread_len(&c->reply) > 0) {
        ssize_t n = write(c->fd, buf_unread(&c->reply), buf_unread_len(&c->reply));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) {
            client_close(c);
            return;
        }
        c->srv->total_net_output += (size_t)n;
        buf_consume(&c->reply, (size_t)n);
    }
    bool pending = buf_unread_len(&c->reply) > 0;
    if (!pending && c->close_after_reply) {
        client_close(c);
        return;
    }
    if (pending && !c->is_writing) {
        loop_watch(c->srv->loop, c->fd, LOOP_WRITABLE, on_client_writable, c);
        c->is_writing = true;
    } else if (!pending && c->is_writing) {
        loop_unwatch(c->srv->loop, c->fd, LOOP_WRITABLE);
        c->is_writing = false;
    }
    buf_shrink_if_idle(&c->reply, 65536);
}

static void on_client_writable(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(l);
    UNUSED(fd);
    UNUSED(mask);
    struct client *c = data;
    if (!c->is_closed) client_write(c);
}

void cmd_server_flush(struct cmd_server *srv)
{
    struct client *c = srv->dirty;
    srv->dirty = NULL;
    while (c) {
        struct client *next = c->dirty_next;
        c->is_dirty = false;
        c->dirty_next = NULL;
        if (c->is_closed && srv->is_destroying)
            client_free_deferred(srv->loop, c);
        else if (c->is_closed)
            loop_defer(srv->loop, client_free_deferred, c);
        else
            client_write(c);
        c = next;
    }
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static void reply_unknown_command(struct client *c, const struct cmd_args *a)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "ERR unknown command '%.128s', with args beginning with: ", a->argv[0]);
    for (int i = 1; i < a->argc && b.len < 128 + 60; i++) buf_printf(&b, "'%.128s' ", a->argv[i]);
    reply_error(c, b.data);
    buf_free(&b);
}

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
        reply_unknown_command(c, a);
        return;
    }
    snprintf(c->last_cmd, sizeof(c->last_cmd), "%s", d->name);
    if ((d->flags & CMD_CONTAINER) && a->argc > 1) {
        size_t n = strlen(c->last_cmd);
        c->last_cmd[n++] = '|';
        lower_copy(c->last_cmd + n, sizeof(c->last_cmd) - n, a->argv[1]);
    }
    if ((d->arity > 0 && a->argc != d->arity) || (d->arity < 0 && a->argc < -d->arity)) {
        reply_wrong_arity(c, d->name);
        return;
    }
    if (!c->is_authed && !(d->flags & CMD_NOAUTH)) {
        reply_error(c, "NOAUTH Authentication required.");
        return;
    }
    if (cmd_acl_check(c, d, a) != 0) return;
    if (c->proto < 3 && client_is_subscribed(c) && !(d->flags & CMD_PUBSUB)) {
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
    char *p = mem + argc * (sizeof(char *) + sizeof(size_t));
    for (size_t i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        p[argv[i].len] = '\0';
        a->argv[i] = p;
        a->len[i] = argv[i].len;
        p += argv[i].len + 1;
    }
}

static void process_input(struct client *c)
{
    while (!c->is_closed && !c->close_after_reply && buf_unread_len(&c->qbuf) > 0) {
        size_t consumed, argc;
        struct resp_arg *argv;
        resp_request_set_unauthenticated(&c->req, client_auth_required(c));
        int rc = resp_request_parse(&c->req, buf_unread(&c->qbuf), buf_unread_len(&c->qbuf),
                                    &consumed, &argc, &argv);
        if (rc == RESP_INCOMPLETE) break;
        if (rc == RESP_ERR) {
            reply_errorf(c, "ERR %s", resp_request_error(&c->req));
            c->close_after_reply = true;
            break;
        }
        if (guard_is_cross_protocol(argc, argv, c->addr)) {
            buf_clear(&c->reply); /* nothing goes back to the web page that sent it */
            client_close(c);
            break;
        }
        if (argc > 0) {
            struct cmd_args a;
            args_build(&a, argc, argv);
            buf_consume(&c->qbuf, consumed);
            dispatch(c, &a);
            free(a.argv);
        } else {
            buf_consume(&c->qbuf, consumed);
        }
    }
    if (!c->is_closed) buf_compact(&c->qbuf);
}

static void on_client_readable(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(mask);
    UNUSED(fd);
    struct client *c = data;
    if (c->is_closed) return;
    char *space = buf_space(&c->qbuf, READ_CHUNK);
    ssize_t n = read(c->fd, space, READ_CHUNK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
        client_close(c);
        return;
    }
    buf_commit(&c->qbuf, (size_t)n);
    c->srv->total_net_input += (size_t)n;
    c->last_ms = loop_now_ms(l);
    if (buf_unread_len(&c->qbuf) > CMD_SERVER_MAX_QUERY_BYTES) {
        log_warning("closing client %s: query buffer over %u bytes", c->addr,
                    CMD_SERVER_MAX_QUERY_BYTES);
        client_close(c);
        return;
    }
    process_input(c);
}

static void client_create(struct cmd_server *srv, int fd, const char *ip, int port)
{
    struct client *c = xcalloc(1, sizeof(*c));
    c->srv = srv;
    c->fd = fd;
    c->id = ++srv->next_client_id;
    c->proto = 2;
    c->is_authed = cmd_acl_default_nopass(srv);
    snprintf(c->user, sizeof(c->user), "default");
    net_format_addr(c->addr, sizeof(c->addr), ip, port);
    char lip[NET_IP_STRLEN] = "";
    int lport = 0;
    net_local_addr(fd, lip, sizeof(lip), &lport);
    net_format_addr(c->laddr, sizeof(c->laddr), lip, lport);
    c->ctime_ms = c->last_ms = loop_now_ms(srv->loop);
    buf_init(&c->qbuf);
    buf_init(&c->reply);
    resp_request_init(&c->req, NULL);
    c->next = srv->clients;
    if (srv->clients) srv->clients->prev = c;
    srv->clients = c;
    srv->n_clients++;
    if (loop_watch(srv->loop, fd, LOOP_READABLE, on_client_readable, c) != 0) client_close(c);
}

#define MAXCLIENTS_REPLY "-ERR max number of clients reached\r\n"

static void on_accept(struct loop *l, int fd, void *data, int mask);

static int64_t resume_listener(struct loop *l, uint64_t id, void *data)
{
    UNUSED(id);
    struct cmd_server *srv = data;
    srv->listen_pause_timer = 0;
    for (size_t i = 0; i < srv->n_lfds; i++)
        loop_watch(l, srv->lfds[i], LOOP_READABLE, on_accept, srv);
    return 0;
}

/* False when the accept loop should stop for this wake. Out of descriptors, the waiting client
 * is turned away with the reserve; other persistent errors pause the listener instead of letting
 * the level-triggered loop spin (see net_accept_recover). */
static bool accept_failed(struct cmd_server *srv, int lfd, int err)
{
    static struct log_rate accept_rate;
    enum net_accept_next next = net_accept_recover(lfd, err, &srv->reserve_fd, MAXCLIENTS_REPLY);
    if (next == NET_ACCEPT_IDLE) return false;
    if (next == NET_ACCEPT_REJECTED) srv->rejected_connections++;
    log_rate_msg(&accept_rate, LOG_WARNING, "Accepting client connection: %s%s", strerror(err),
                 next == NET_ACCEPT_REJECTED ? " (client turned away)" : "");
    if (next != NET_ACCEPT_BACKOFF) return true;
    if (srv->listen_pause_timer == 0) {
        for (size_t i = 0; i < srv->n_lfds; i++)
            loop_unwatch(srv->loop, srv->lfds[i], LOOP_READABLE);
        srv->listen_pause_timer =
            loop_timer_add(srv->loop, NET_ACCEPT_BACKOFF_MS, resume_listener, srv);
    }
    return false;
}

static void on_accept(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(l);
    UNUSED(mask);
    struct cmd_server *srv = data;
    for (int i = 0; i < 64; i++) {
        char ip[NET_IP_STRLEN];
        int port;
        int cfd = net_accept(fd, ip, sizeof(ip), &port);
        if (cfd < 0) {
            if (!accept_failed(srv, fd, errno)) return;
            continue;
        }
        srv->total_connections++;
        if ((int)srv->n_clients >= srv->maxclients) {
            ssize_t w = write(cfd, MAXCLIENTS_REPLY, strlen(MAXCLIENTS_REPLY));
            UNUSED(w);
            close(cfd);
            srv->rejected_connections++;
            continue;
        }
        if (guard_protected_mode_refuses(srv->protected_mode, !cmd_acl_default_nopass(srv), ip)) {
            guard_send_denied(cfd);
            close(cfd);
            srv->rejected_connections++;
            continue;
        }
        client_create(srv, cfd, ip, port);
    }
}

/* ---- server --------------------------------------------------------------------------------- */

static char *dup_opt(const char *s) { return s && s[0] ? xstrdup(s) : NULL; }

static void close_listeners(struct cmd_server *srv)
{
    for (size_t i = 0; i < srv->n_lfds; i++) {
        loop_unwatch(srv->loop, srv->lfds[i], LOOP_READABLE);
        close(srv->lfds[i]);
    }
    srv->n_lfds = 0;
}

/* Every address on one port (port 0: the one the first address got). */
static int open_listeners(struct cmd_server *srv, const struct cmd_server_config *cfg, char *err,
                          size_t errlen)
{
    for (size_t i = 0; i < cfg->n_binds && i < CMD_SERVER_MAX_LISTENERS; i++) {
        int port = srv->n_lfds ? srv->port : cfg->port;
        int lfd = net_listen(cfg->binds[i], port, 511, err, errlen);
        if (lfd < 0) {
            char detail[256];
            snprintf(detail, sizeof detail, "%s", err);
            snprintf(err, errlen, "%s:%d: %s", cfg->binds[i], port, detail);
            return -1;
        }
        if (loop_watch(srv->loop, lfd, LOOP_READABLE, on_accept, srv) != 0) {
            snprintf(err, errlen, "cannot watch the listening socket");
            close(lfd);
            return -1;
        }
        srv->lfds[srv->n_lfds++] = lfd;
        srv->port = net_bound_port(lfd);
    }
    return 0;
}

struct cmd_server *cmd_server_create(struct loop *l, const struct cmd_server_config *cfg, char *err,
                                     size_t errlen)
{
    struct cmd_server *srv = xcalloc(1, sizeof(*srv));
    srv->loop = l;
    if (open_listeners(srv, cfg, err, errlen) != 0) {
        close_listeners(srv);
        free(srv);
        return NULL;
    }
    srv->reserve_fd = net_reserve_open();
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
        close_listeners(srv);
        if (srv->reserve_fd >= 0) close(srv->reserve_fd);
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
    srv->is_destroying = true;
    cmd_server_flush(srv); /* best effort for queued replies; frees clients already closed */
    while (srv->clients) client_close(srv->clients);
    close_listeners(srv);
    if (srv->reserve_fd >= 0) close(srv->reserve_fd);
    if (srv->listen_pause_timer) loop_timer_cancel(srv->loop, srv->listen_pause_timer);
    cmd_acl_free(srv);
    free(srv->requirepass);
    free(srv->config_file);
    free(srv->executable);
    free(srv);
}

bool cmd_server_shutdown_requested(const struct cmd_server *srv) { return srv->shutdown_requested; }
int cmd_server_port(const struct cmd_server *srv) { return srv->port; }

void client_describe(const struct client *c, struct buf *out)
{
    int64_t now = loop_now_ms(c->srv->loop);
    buf_printf(out,
               "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=N db=0 sub=%zu "
               "psub=%zu ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu "
               "rbp=0 obl=0 oll=0 omem=%zu tot-mem=%zu events=r%s cmd=%s user=%s "
               "redir=-1 resp=%d\n",
               (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
               (long long)((now - c->ctime_ms) / 1000), (long long)((now - c->last_ms) / 1000),
               c->n_channels, c->n_patterns, buf_unread_len(&c->qbuf), c->qbuf.cap - c->qbuf.len,
               c->reply.cap, buf_unread_len(&c->reply), c->qbuf.cap + c->reply.cap,
               c->is_writing ? "w" : "", c->last_cmd[0] ? c->last_cmd : "NULL", c->user, c->proto);
}
