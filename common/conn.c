/* conn: see conn.h. Reading, parsing to dispatch, writing, and deferred closing of the
 * connections both servers accept. */
#include "common/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/guard.h"
#include "common/log.h"
#include "common/reply.h"
#include "common/tls.h"
#include "common/util.h"

#define READ_CHUNK (16 * 1024)
#define READ_MAX (1024 * 1024)       /* one read, even for a big argument */
#define REPLY_KEEP_BYTES (64 * 1024) /* an idle reply buffer larger than this is released */

static void conn_on_readable(struct loop *l, int fd, void *data, int mask);

void conn_set_init(struct conn_set *set, struct loop *l, const struct conn_ops *ops,
                   long long max_query_bytes)
{
    memset(set, 0, sizeof *set);
    set->loop = l;
    set->ops = ops;
    set->max_query_bytes = max_query_bytes;
}

void conn_set_free_all(struct conn_set *set)
{
    while (set->head) conn_free(set->head);
}

void conn_init(struct conn *c, struct conn_set *set, int fd, const struct resp_limits *lim)
{
    c->set = set;
    c->id = ++set->next_id;
    c->fd = fd;
    c->proto = 2;
    resp_request_init(&c->parser, lim);
    c->ctime_ms = c->last_interaction_ms = loop_now_ms(set->loop);
    if (set->ops->default_user_nopass(c)) c->flags |= CONN_AUTHENTICATED;
    c->next = set->head;
    if (set->head) set->head->prev = c;
    set->head = c;
    set->count++;
    if (fd < 0) {
        c->flags |= CONN_FAKE | CONN_AUTHENTICATED;
        return;
    }
    char ip[NET_IP_STRLEN] = "?";
    int port = 0;
    net_peer_addr(fd, ip, sizeof ip, &port);
    net_format_addr(c->addr, sizeof c->addr, ip, port);
    net_local_addr(fd, ip, sizeof ip, &port);
    net_format_addr(c->laddr, sizeof c->laddr, ip, port);
    if (loop_watch(set->loop, fd, LOOP_READABLE, conn_on_readable, c) != 0) conn_close_async(c);
}

static void pending_remove(struct conn *c)
{
    if (!(c->flags & CONN_PENDING_WRITE)) return;
    struct conn **pp = &c->set->pending;
    while (*pp && *pp != c) pp = &(*pp)->pending_next;
    if (*pp) *pp = c->pending_next;
    c->flags &= ~CONN_PENDING_WRITE;
}

static void conn_unlink(struct conn *c)
{
    struct conn_set *set = c->set;
    if (c->prev)
        c->prev->next = c->next;
    else
        set->head = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    set->count--;
}

void conn_free(struct conn *c)
{
    struct conn_set *set = c->set;
    set->ops->release(c);
    pending_remove(c);
    if (c->tls_timer) loop_timer_cancel(set->loop, c->tls_timer);
    tls_session_free(c->tls);
    if (c->fd >= 0) {
        loop_unwatch(set->loop, c->fd, LOOP_READABLE | LOOP_WRITABLE);
        close(c->fd);
    }
    if (!(c->flags & CONN_DETACHED)) conn_unlink(c);
    resp_request_free(&c->parser);
    buf_free(&c->query);
    buf_free(&c->reply);
    free(c->name);
    free(c->lib_name);
    free(c->lib_ver);
    free(c);
}

void conn_detach(struct conn *c)
{
    ASSERT(!(c->flags & CONN_DETACHED));
    conn_unlink(c);
    c->flags |= CONN_DETACHED;
    /* Detached at once after conn_init, so no client saw its id: give it back, and CLIENT ID
     * counts as Redis's does (Redis's internal clients take none from the connections that
     * follow them). Ids of connections that close are never reused. */
    if (c->id == c->set->next_id) c->set->next_id--;
    c->id = 0;
}

static void close_deferred(struct loop *l, void *data)
{
    UNUSED(l);
    conn_free(data);
}

void conn_close_async(struct conn *c)
{
    if (c->flags & CONN_CLOSE_ASAP) return;
    c->flags |= CONN_CLOSE_ASAP;
    loop_defer(c->set->loop, close_deferred, c);
}

void conn_queue_write(struct conn *c)
{
    if (c->flags & (CONN_PENDING_WRITE | CONN_CLOSE_ASAP)) return;
    c->flags |= CONN_PENDING_WRITE;
    c->pending_next = c->set->pending;
    c->set->pending = c;
}

/* The plaintext path stays one branch away from the system call. */
ssize_t conn_sock_write(struct conn *c, const void *p, size_t n)
{
    if (!c->tls) return write(c->fd, p, n);
    return tls_session_write(c->tls, p, n);
}

static ssize_t conn_sock_read(struct conn *c, void *p, size_t n)
{
    if (!c->tls) return read(c->fd, p, n);
    return tls_session_read(c->tls, p, n);
}

/* Write as much as the socket takes. Returns -1 if the connection failed. */
static int conn_write(struct conn *c)
{
    struct buf *b = &c->reply;
    if (c->flags & CONN_TLS_HANDSHAKE) return 0; /* replies wait for the session */
    while (buf_unread_len(b) > 0) {
        ssize_t n = conn_sock_write(c, buf_unread(b), buf_unread_len(b));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            log_verbose("Error writing to client %s: %s", c->addr, strerror(errno));
            return -1;
        }
        buf_consume(b, (size_t)n);
        c->set->stats.net_output_bytes += (uint64_t)n;
        /* A link we take no replies from (the store's master) is alive only by what it sends. */
        if (!(c->flags & CONN_NO_REPLY)) c->last_interaction_ms = loop_now_ms(c->set->loop);
    }
    if (buf_unread_len(b) == 0) buf_shrink_if_idle(b, REPLY_KEEP_BYTES);
    return 0;
}

static void conn_on_writable(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(fd);
    UNUSED(mask);
    struct conn *c = data;
    if (c->flags & CONN_CLOSE_ASAP) return;
    if (c->set->hold_writes) {
        /* Replies wait (the AOF's group commit): hand the connection to conn_set_flush, which
         * writes it once released, rather than spin on a level-triggered event meanwhile. */
        loop_unwatch(l, c->fd, LOOP_WRITABLE);
        c->flags &= ~CONN_WRITE_WATCHED;
        conn_queue_write(c);
        return;
    }
    if (conn_write(c) < 0) {
        conn_close_async(c);
        return;
    }
    if (buf_unread_len(&c->reply) == 0) {
        loop_unwatch(l, c->fd, LOOP_WRITABLE);
        c->flags &= ~CONN_WRITE_WATCHED;
        if (c->flags & CONN_CLOSE_AFTER_REPLY) conn_close_async(c);
    }
}

void conn_set_flush(struct conn_set *set)
{
    if (set->hold_writes) return;
    while (set->pending) {
        struct conn *c = set->pending;
        set->pending = c->pending_next;
        c->flags &= ~CONN_PENDING_WRITE;
        if (c->flags & CONN_CLOSE_ASAP) continue;
        if (conn_write(c) < 0) {
            conn_close_async(c);
            continue;
        }
        if (buf_unread_len(&c->reply) > 0) {
            if (!(c->flags & CONN_WRITE_WATCHED))
                loop_watch(set->loop, c->fd, LOOP_WRITABLE, conn_on_writable, c);
            c->flags |= CONN_WRITE_WATCHED;
        } else if (c->flags & CONN_CLOSE_AFTER_REPLY) {
            conn_close_async(c);
        }
    }
}

bool conn_auth_required(const struct conn *c)
{
    return !(c->flags & CONN_AUTHENTICATED) && !c->set->ops->default_user_nopass(c);
}

/* "ERR Protocol error: ...", then close once it is written. */
static void conn_protocol_error(struct conn *c)
{
    const char *why = resp_request_error(&c->parser);
    log_verbose("Protocol error (%s) from client: id=%llu addr=%s", why, (unsigned long long)c->id,
                c->addr);
    reply_errorf(conn_client(c), "ERR %s", why);
    c->flags |= CONN_CLOSE_AFTER_REPLY;
}

/* A client that has not authenticated may not make the server hold its replies: past the guard's
 * bound it is closed (as Redis does), whatever it keeps sending. True if it was closed. */
static bool conn_check_unauth_reply(struct conn *c)
{
    if (buf_unread_len(&c->reply) <= GUARD_UNAUTH_MAX_REPLY_BYTES || !conn_auth_required(c))
        return false;
    log_warning("Closing unauthenticated client id=%llu addr=%s: %zu bytes of replies unread "
                "(limit %zu before AUTH)",
                (unsigned long long)c->id, c->addr, buf_unread_len(&c->reply),
                GUARD_UNAUTH_MAX_REPLY_BYTES);
    c->set->stats.evicted++;
    conn_close_async(c);
    return true;
}

static bool conn_input_stopped(const struct conn *c)
{
    if (c->flags & (CONN_CLOSE_AFTER_REPLY | CONN_CLOSE_ASAP)) return true;
    return c->set->ops->input_held && c->set->ops->input_held(c);
}

/* Run one parsed command; false if the input loop must stop. */
static bool conn_run(struct conn *c, size_t argc, struct resp_arg *argv, size_t consumed)
{
    const struct conn_ops *ops = c->set->ops;
    if (guard_is_cross_protocol(argc, argv, c->addr)) {
        buf_clear(&c->reply); /* an HTTP request: nothing goes back to the page that sent it */
        conn_close_async(c);
        return false;
    }
    if (argc > 0 && !ops->execute(c, argc, argv, consumed))
        return false; /* held: the command stays in the buffer */
    /* The bytes stay valid until here: argv pointed into them during the command. */
    buf_consume(&c->query, consumed);
    if (conn_check_unauth_reply(c)) return false;
    if (ops->check_output && ops->check_output(c)) return false;
    return true;
}

void conn_process_input(struct conn *c)
{
    while (buf_unread_len(&c->query) > 0 && !conn_input_stopped(c)) {
        size_t consumed = 0, argc = 0;
        struct resp_arg *argv = NULL;
        resp_request_set_unauthenticated(&c->parser, conn_auth_required(c));
        int rc = resp_request_parse(&c->parser, buf_unread(&c->query), buf_unread_len(&c->query),
                                    &consumed, &argc, &argv);
        if (rc == RESP_INCOMPLETE) break;
        if (rc == RESP_ERR) {
            conn_protocol_error(c);
            break;
        }
        if (!conn_run(c, argc, argv, consumed)) break;
    }
    if (c->query.pos > 0 && c->query.pos >= c->query.len / 2) buf_compact(&c->query);
}

void conn_set_reading(struct conn *c, bool is_reading)
{
    if (c->fd < 0 || (c->flags & (CONN_CLOSE_ASAP | CONN_TLS_HANDSHAKE))) return;
    if (is_reading)
        loop_watch(c->set->loop, c->fd, LOOP_READABLE, conn_on_readable, c);
    else
        loop_unwatch(c->set->loop, c->fd, LOOP_READABLE);
}

/* Bytes OpenSSL already decrypted (a record larger than one read) are taken now: no socket
 * event would announce them (docs/tls.md#transport). Bounded by READ_MAX. */
static ssize_t conn_drain_tls(struct conn *c)
{
    ssize_t total = 0;
    size_t left;
    while ((left = tls_session_pending(c->tls)) > 0 && total < READ_MAX) {
        ssize_t n = tls_session_read(c->tls, buf_space(&c->query, left), left);
        if (n <= 0) break; /* the next event reports an error or the close */
        buf_commit(&c->query, (size_t)n);
        total += n;
    }
    return total;
}

static void conn_on_readable(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(mask);
    struct conn *c = data;
    if (c->flags & CONN_CLOSE_ASAP) return;
    size_t want = READ_CHUNK, bulk_left = resp_request_bulk_remaining(&c->parser);
    if (bulk_left > want) want = bulk_left; /* read a big argument in one go */
    if (want > READ_MAX) want = READ_MAX;
    if (c->query.pos > 0 && c->query.len - c->query.pos < c->query.pos) buf_compact(&c->query);
    UNUSED(fd);
    ssize_t n = conn_sock_read(c, buf_space(&c->query, want), want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    int err = n < 0 ? errno : 0;
    if (c->set->ops->after_read) c->set->ops->after_read(c, n, err);
    if (n <= 0) {
        if (n < 0) log_verbose("Reading from client: %s", strerror(err));
        conn_close_async(c);
        return;
    }
    buf_commit(&c->query, (size_t)n);
    if (c->tls) n += conn_drain_tls(c);
    c->set->stats.net_input_bytes += (uint64_t)n;
    c->last_interaction_ms = loop_now_ms(l);
    if ((long long)buf_unread_len(&c->query) > c->set->max_query_bytes) {
        log_warning("Closing client that reached max query buffer length: id=%llu addr=%s qbuf=%zu",
                    (unsigned long long)c->id, c->addr, buf_unread_len(&c->query));
        conn_close_async(c);
        return;
    }
    conn_process_input(c);
}

void conn_info_clients(const struct conn_set *set, size_t replicas, long long maxclients,
                       size_t blocked, size_t in_timeout_table, struct buf *out)
{
    size_t max_in = 0, max_out = 0;
    for (const struct conn *c = set->head; c; c = c->next) {
        max_in = MAX(max_in, c->query.cap);
        max_out = MAX(max_out, buf_unread_len(&c->reply));
    }
    buf_printf(out,
               "# Clients\r\nconnected_clients:%zu\r\ncluster_connections:0\r\nmaxclients:%lld\r\n"
               "client_recent_max_input_buffer:%zu\r\nclient_recent_max_output_buffer:%zu\r\n"
               "blocked_clients:%zu\r\ntracking_clients:%zu\r\nclients_in_timeout_table:%zu\r\n",
               set->count - replicas, maxclients, max_in, max_out, blocked, set->tracking_clients,
               in_timeout_table);
}

/* ---- TLS handshake (accepted connections) ---------------------------------------------------- */

static void conn_tls_step(struct loop *l, int fd, void *data, int mask);

static void conn_tls_fail(struct conn *c, const char *why)
{
    log_verbose("TLS handshake with %s failed: %s", c->addr, why);
    conn_close_async(c);
}

static int64_t conn_tls_deadline(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct conn *c = data;
    c->tls_timer = 0;
    conn_tls_fail(c, "not completed in time");
    return LOOP_TIMER_STOP;
}

/* One step on any socket event; once done the connection reads commands like any other. */
static void conn_tls_step(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(mask);
    struct conn *c = data;
    if (c->flags & CONN_CLOSE_ASAP) return;
    int want = 0;
    char err[256];
    int rc = tls_session_handshake(c->tls, &want, err, sizeof err);
    if (rc < 0) {
        conn_tls_fail(c, err);
        return;
    }
    loop_unwatch(l, fd, LOOP_READABLE | LOOP_WRITABLE);
    if (rc == 0) {
        loop_watch(l, fd, want, conn_tls_step, c);
        return;
    }
    if (c->tls_timer) loop_timer_cancel(l, c->tls_timer);
    c->tls_timer = 0;
    c->flags &= ~CONN_TLS_HANDSHAKE;
    c->last_interaction_ms = loop_now_ms(l);
    loop_watch(l, fd, LOOP_READABLE, conn_on_readable, c);
    if (tls_session_pending(c->tls) > 0 || buf_unread_len(&c->query) > 0)
        conn_on_readable(l, fd, c, LOOP_READABLE);
}

void conn_start_tls(struct conn *c, struct tls_ctx *t, int64_t timeout_ms)
{
    char err[256];
    c->tls = tls_session_new(t, c->fd, true, err, sizeof err);
    if (!c->tls) {
        conn_tls_fail(c, err);
        return;
    }
    c->flags |= CONN_TLS_HANDSHAKE;
    loop_unwatch(c->set->loop, c->fd, LOOP_READABLE);
    loop_watch(c->set->loop, c->fd, LOOP_READABLE, conn_tls_step, c);
    c->tls_timer = loop_timer_add(c->set->loop, timeout_ms, conn_tls_deadline, c);
}

void conn_adopt_tls(struct conn *c, struct ssl_st *s) { c->tls = s; }
