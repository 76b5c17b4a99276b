/* repl_master: the master's side of replication (docs/replication.md#master-side): the registry of
 * attached replicas, the PSYNC decision, what each replica is sent and when, and the housekeeping
 * cron.
 *
 * What a replica is owed, in this order (replica_send):
 *   out     bytes that must precede everything else: replies that were pending when it turned
 *           into a replica, +FULLRESYNC / +CONTINUE, the backlog bytes of a partial resync,
 *           keep-alive newlines, the snapshot header and EOF mark;
 *   bulk    the snapshot: a file (disk mode) or chunks relayed from the child's pipe (diskless,
 *           repl_snapshot.c);
 *   stream  the shared replication buffer from the replica's read position (repl_buf.h): one
 *           copy of each write for all replicas, written with writev in before-sleep.
 * A replica's reply buffer is never used once it is a replica (CONN_REPLY_OFF), so client.c
 * never writes to its socket; this file owns the socket's writable event from then on.
 *
 * Invariants: every replica with stream_on holds a position in
 * [stream_buf head, stream_buf.next_off]; the buffer is trimmed to the slowest such position
 * before sleeping. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "store/repl/backlog.h"
#include "store/client.h"
#include "store/repl/repl_fence.h"
#include "store/repl/repl_int.h"
#include "store/reply.h"

#define SEND_IOV_MAX 16
#define SEND_ROUNDS_MAX 64
#define SENDFILE_CHUNK_BYTES (4 * 1024 * 1024)

static const char ping_cmd[] = "*1\r\n$4\r\nPING\r\n";
static const char getack_cmd[] = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

const char *repl_replica_state_name(enum replica_state s)
{
    switch (s) {
    case RS_WAIT_BGSAVE_START:
    case RS_WAIT_BGSAVE_END:
        return "wait_bgsave";
    case RS_SEND_BULK:
        return "send_bulk";
    case RS_ONLINE:
        return "online";
    }
    return "unknown";
}

static void replica_name(const struct replica_info *ri, char *out, size_t len)
{
    char ip[NET_IP_STRLEN];
    int port;
    if (ri->announced_ip[0])
        snprintf(ip, sizeof ip, "%s", ri->announced_ip);
    else if (net_peer_addr(ri->client->conn.fd, ip, sizeof ip, &port) != 0)
        snprintf(ip, sizeof ip, "?");
    snprintf(out, len, "%s:%d", ip, ri->listening_port);
}

/* ---- registry ------------------------------------------------------------------------------ */

struct replica_info *repl_replica_info(struct client *c)
{
    if (c->replica) return c->replica;
    struct replica_info *ri = xcalloc(1, sizeof *ri);
    ri->client = c;
    ri->bulk_fd = -1;
    buf_init(&ri->out);
    c->replica = ri;
    /* Not registered yet (REPLCONF before PSYNC): remembered in the pending list so it is freed
     * even if the client never becomes a replica. */
    struct repl *r = c->srv->repl;
    ri->next = r->pending;
    if (r->pending) r->pending->prev = ri;
    r->pending = ri;
    ri->is_pending = true;
    ri->client_id = c->conn.id;
    return ri;
}

static void list_unlink(struct replica_info **head, struct replica_info *ri)
{
    if (ri->prev)
        ri->prev->next = ri->next;
    else
        *head = ri->next;
    if (ri->next) ri->next->prev = ri->prev;
    ri->prev = ri->next = NULL;
}

static void replica_info_free(struct replica_info *ri)
{
    if (ri->bulk_fd >= 0) close(ri->bulk_fd);
    buf_free(&ri->out);
    free(ri);
}

struct replica_info *repl_replica_attach(struct repl *r, struct client *c)
{
    struct replica_info *ri = repl_replica_info(c);
    list_unlink(&r->pending, ri);
    ri->is_pending = false;
    ri->next = r->replicas;
    if (r->replicas) r->replicas->prev = ri;
    r->replicas = ri;
    r->nreplicas++;
    r->no_replicas_since_ms = 0;
    c->flags |= CLIENT_REPLICA;
    /* From now on this file writes the socket: replies still pending go first, then nothing
     * else is ever queued through the reply buffer. */
    buf_append(&ri->out, buf_unread(&c->conn.reply), buf_unread_len(&c->conn.reply));
    buf_clear(&c->conn.reply);
    c->conn.flags |= CONN_REPLY_OFF;
    ri->ack_mono_ms = loop_now_ms(c->srv->loop);
    if (!c->srv->cfg.repl_group_member) repl_mark_group_member(c->srv); /* first replica */
    return ri;
}

void repl_replica_detach(struct repl *r, struct client *c)
{
    struct replica_info *ri = c->replica;
    if (!ri) return;
    c->replica = NULL;
    if (ri->is_pending) {
        list_unlink(&r->pending, ri);
    } else {
        list_unlink(&r->replicas, ri);
        r->nreplicas--;
        char name[96];
        replica_name(ri, name, sizeof name);
        log_notice("Replica %s disconnected.", name);
        if (r->nreplicas == 0) r->no_replicas_since_ms = loop_now_ms(r->srv->loop);
    }
    if (ri->is_watching_writable && c->conn.fd >= 0)
        loop_unwatch(r->srv->loop, c->conn.fd, LOOP_WRITABLE);
    bool was_pipe = ri->bulk == BULK_PIPE;
    replica_info_free(ri);
    if (was_pipe) repl_snapshot_replica_gone(r);
}

void repl_replica_drop_all(struct repl *r, const char *why)
{
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        if (ri->client->conn.flags & CONN_CLOSE_ASAP) continue;
        log_notice("Disconnecting replica (%s)", why);
        client_close_async(ri->client);
    }
}

/* Pending REPLCONF-only entries whose client is gone (never got to PSYNC). */
static void pending_sweep(struct repl *r)
{
    for (struct replica_info *ri = r->pending, *next; ri; ri = next) {
        next = ri->next;
        bool alive = false;
        for (struct client *c = client_first(r->srv); c && !alive; c = client_next(c))
            alive = c == ri->client && c->conn.id == ri->client_id;
        if (alive) continue;
        list_unlink(&r->pending, ri);
        replica_info_free(ri);
    }
}

/* ---- counting ------------------------------------------------------------------------------ */

size_t repl_count_acked(const struct repl *r, long long off)
{
    size_t n = 0;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->state == RS_ONLINE && ri->ack_off >= off) n++;
    return n;
}

size_t repl_count_facked(const struct repl *r, long long off)
{
    size_t n = 0;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->state == RS_ONLINE && ri->fack_off >= off) n++;
    return n;
}

size_t repl_count_good(const struct repl *r, int64_t now_ms)
{
    struct repl_fence f = repl_fence_from_config(&r->srv->cfg);
    size_t n = 0;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->state == RS_ONLINE && repl_fence_is_good(&f, now_ms, ri->ack_mono_ms)) n++;
    return n;
}

void repl_replica_on_ack(struct repl *r, struct replica_info *ri, long long off)
{
    if (off > ri->ack_off) ri->ack_off = off;
    ri->ack_mono_ms = loop_now_ms(r->srv->loop);
    if (ri->stream_hold && ri->state == RS_ONLINE) {
        ri->stream_hold = false; /* the replica loaded the snapshot: the stream may follow */
        char name[96];
        replica_name(ri, name, sizeof name);
        log_notice("Replica %s is in sync and streaming", name);
    }
    r->has_new_acks = true;
}

/* ---- PSYNC / SYNC -------------------------------------------------------------------------- */

static bool arg_eq(const struct resp_arg *a, const char *s)
{
    return a->len == strlen(s) && memcmp(a->ptr, s, a->len) == 0;
}

/* Partial resync if the history and the backlog allow it (docs/replication.md#psync). */
static bool try_partial(struct repl *r, struct replica_info *ri, const struct resp_arg *id,
                        long long off)
{
    bool id_ok = arg_eq(id, r->replid) || (arg_eq(id, r->replid2) && off <= r->second_offset);
    char name[96];
    replica_name(ri, name, sizeof name);
    if (!id_ok) {
        if (!arg_eq(id, "?"))
            log_notice(
                "No partial resync: the replica continues history '%.*s', ours are '%s' and '%s'",
                (int)MIN(id->len, 64), id->ptr, r->replid, r->replid2);
        return false;
    }
    if (!r->backlog || !backlog_can_serve(r->backlog, off)) {
        log_notice("No partial resync for replica %s: the backlog does not reach back to offset "
                   "was: %lld).",
                   name, off);
        return false;
    }
    if (ri->capa_psync2)
        buf_printf(&ri->out, "+CONTINUE %s\r\n", r->replid);
    else
        buf_append_str(&ri->out, "+CONTINUE\r\n");
    struct backlog_span spans[2];
    int n = backlog_spans_from(r->backlog, off, spans);
    size_t sent = 0;
    for (int i = 0; i < n; i++) {
        buf_append(&ri->out, spans[i].bytes, spans[i].len);
        sent += spans[i].len;
    }
    ri->state = RS_ONLINE;
    ri->stream_on = true;
    ri->stream_off = r->stream_buf.next_off;
    log_notice("Partial resync with replica %s: sending %zu bytes of backlog "
               "starting from offset %lld.",
               name, sent, off);
    return true;
}

static void start_full_sync(struct repl *r, struct replica_info *ri)
{
    struct server *srv = r->srv;
    if (!r->backlog && r->nreplicas == 1 && !r->link) {
        /* A new history starts with the first replica (docs/replication.md#history-and-offsets). */
        util_random_hex(r->replid, REPL_ID_LEN);
        memset(r->replid2, '0', REPL_ID_LEN);
        r->second_offset = -1;
        repl_backlog_ensure(r);
        repl_buf_reset(&r->stream_buf, r->offset + 1);
    }
    ri->state = RS_WAIT_BGSAVE_START;
    ri->wait_since_ms = loop_now_ms(srv->loop);
    if (repl_snapshot_attach(r, ri) == 0) return;
    repl_snapshot_maybe_start(r, ri->wait_since_ms);
}

void repl_master_sync_command(struct client *c)
{
    struct server *srv = c->srv;
    struct repl *r = srv->repl;
    bool is_psync = arg_is(&c->argv[0], "psync");
    if (c->flags & CLIENT_REPLICA) return;
    if (r->failover.state != FO_NONE) {
        reply_error(c, "NOMASTERLINK Can't SYNC while failing over");
        return;
    }
    if (is_psync && c->argc > 3 && arg_is(&c->argv[3], "failover")) {
        if (!arg_eq(&c->argv[1], r->replid)) {
            reply_error(c, "ERR PSYNC FAILOVER replid must match my replid.");
            return;
        }
        if (r->link) {
            repl_unset_master(srv);
            log_notice("MASTER MODE enabled (failover request from '%s')", c->conn.addr);
        }
    }
    if (r->link && !repl_link_is_up(r->link)) {
        reply_error(c, "NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    long long off = -1;
    if (is_psync && util_parse_ll(c->argv[2].ptr, c->argv[2].len, &off) != 0) {
        reply_error(c, ERR_NOT_INT);
        return;
    }
    struct replica_info *ri = repl_replica_attach(r, c);
    log_notice("Replica %s asks for synchronization", c->conn.addr);
    if (is_psync) {
        if (try_partial(r, ri, &c->argv[1], off)) {
            srv->stats.sync_partial_ok++;
            return;
        }
        if (!arg_eq(&c->argv[1], "?")) srv->stats.sync_partial_err++;
    } else {
        ri->is_old_sync = true;
    }
    srv->stats.sync_full++;
    log_notice("Full resync requested by replica %s", c->conn.addr);
    start_full_sync(r, ri);
}

/* ---- sending ------------------------------------------------------------------------------- */

static int write_out(struct repl *r, struct replica_info *ri)
{
    ssize_t n = conn_sock_write(&ri->client->conn, buf_unread(&ri->out), buf_unread_len(&ri->out));
    if (n < 0) return errno == EAGAIN ? 1 : errno == EINTR ? 2 : -1;
    buf_consume(&ri->out, (size_t)n);
    r->srv->conns.stats.net_output_bytes += (uint64_t)n;
    if (buf_unread_len(&ri->out) > 0) return 1;
    buf_clear(&ri->out);
    return 2;
}

/* sendfile(2) in plaintext; over TLS the bytes must pass through the session: read them at the
 * same offset (a retry after EAGAIN offers the same bytes again) and write what it takes. */
static ssize_t send_file_chunk(struct replica_info *ri, size_t want)
{
    if (!ri->client->conn.tls)
        return sendfile(ri->client->conn.fd, ri->bulk_fd, &ri->bulk_off, want);
    char chunk[16384];
    ssize_t got = pread(ri->bulk_fd, chunk, MIN(want, sizeof chunk), ri->bulk_off);
    if (got <= 0) return got;
    ssize_t n = conn_sock_write(&ri->client->conn, chunk, (size_t)got);
    if (n > 0) ri->bulk_off += n;
    return n;
}

/* The file snapshot: 2 progressed (go on), 1 socket full, -1 failed. */
static int send_file_bulk(struct repl *r, struct replica_info *ri)
{
    size_t want = (size_t)MIN(ri->bulk_size - ri->bulk_off, SENDFILE_CHUNK_BYTES);
    if (want > 0) {
        ssize_t n = send_file_chunk(ri, want);
        if (n < 0) return errno == EAGAIN ? 1 : errno == EINTR ? 2 : -1;
        if (n == 0) return -1; /* the file is shorter than it was */
        r->srv->conns.stats.net_output_bytes += (uint64_t)n;
        if (ri->bulk_off < ri->bulk_size) return 2;
    }
    close(ri->bulk_fd);
    ri->bulk_fd = -1;
    ri->bulk = BULK_NONE;
    ri->state = RS_ONLINE;
    ri->ack_mono_ms = loop_now_ms(r->srv->loop);
    char name[96];
    replica_name(ri, name, sizeof name);
    log_notice("Replica %s is in sync and streaming", name);
    return 2;
}

static int send_stream(struct repl *r, struct replica_info *ri)
{
    struct iovec iov[SEND_IOV_MAX];
    size_t total;
    int cnt = repl_buf_iov(&r->stream_buf, ri->stream_off, iov, SEND_IOV_MAX, &total);
    if (cnt < 0) return -1; /* cannot happen: trimming respects every reader */
    if (cnt == 0) return 0;
    /* Over TLS one buffer at a time: a retry must offer the same first bytes again. */
    ssize_t n = ri->client->conn.tls
                    ? conn_sock_write(&ri->client->conn, iov[0].iov_base, iov[0].iov_len)
                    : writev(ri->client->conn.fd, iov, cnt);
    if (ri->client->conn.tls && n > 0) total = iov[0].iov_len;
    if (n < 0) return errno == EAGAIN ? 1 : errno == EINTR ? 2 : -1;
    ri->stream_off += n;
    r->srv->conns.stats.net_output_bytes += (uint64_t)n;
    return (size_t)n < total ? 1 : 2;
}

/* Write what the replica is owed. 1: the socket is full, 0: nothing more for now, -1: failed. */
static int replica_send(struct repl *r, struct replica_info *ri)
{
    for (int round = 0; round < SEND_ROUNDS_MAX; round++) {
        int rc;
        if (buf_unread_len(&ri->out) > 0)
            rc = write_out(r, ri);
        else if (ri->state == RS_SEND_BULK && ri->bulk == BULK_FILE)
            rc = send_file_bulk(r, ri);
        else if (ri->state == RS_SEND_BULK && ri->bulk == BULK_PIPE)
            rc = repl_snapshot_send_chunk(r, ri);
        else if (ri->state == RS_ONLINE && ri->stream_on && !ri->stream_hold)
            rc = send_stream(r, ri);
        else
            rc = 0;
        if (rc != 2) return rc;
    }
    return 1;
}

static void on_replica_writable(struct loop *lp, int fd, void *data, int mask);

void repl_replica_flush(struct repl *r, struct replica_info *ri)
{
    struct client *c = ri->client;
    if (c->conn.flags & CONN_CLOSE_ASAP) return;
    int rc = replica_send(r, ri);
    if (rc < 0) {
        char name[96];
        replica_name(ri, name, sizeof name);
        log_warning("Error writing to replica %s: %s", name, strerror(errno));
        client_close_async(c);
        return;
    }
    if (rc == 1 && !ri->is_watching_writable) {
        loop_watch(r->srv->loop, c->conn.fd, LOOP_WRITABLE, on_replica_writable, ri);
        ri->is_watching_writable = true;
    } else if (rc == 0 && ri->is_watching_writable) {
        loop_unwatch(r->srv->loop, c->conn.fd, LOOP_WRITABLE);
        ri->is_watching_writable = false;
    }
}

static void on_replica_writable(struct loop *lp, int fd, void *data, int mask)
{
    UNUSED(lp);
    UNUSED(fd);
    UNUSED(mask);
    struct replica_info *ri = data;
    repl_replica_flush(ri->client->srv->repl, ri);
}

static bool has_output(const struct repl *r, const struct replica_info *ri)
{
    if (buf_unread_len(&ri->out) > 0) return true;
    if (ri->state == RS_SEND_BULK) return true;
    return ri->state == RS_ONLINE && ri->stream_on && !ri->stream_hold &&
           ri->stream_off < r->stream_buf.next_off;
}

void repl_master_send_all(struct repl *r)
{
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (!ri->is_watching_writable && has_output(r, ri)) repl_replica_flush(r, ri);
}

static bool has_online_replica(const struct repl *r)
{
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->state == RS_ONLINE) return true;
    return false;
}

void repl_master_before_sleep(struct repl *r)
{
    if (r->is_getack_wanted) {
        r->is_getack_wanted = false;
        if (!r->link && has_online_replica(r))
            repl_stream_append(r, getack_cmd, sizeof getack_cmd - 1);
    }
    if (!r->replicas) return;
    repl_master_send_all(r);
    repl_buf_trim(&r->stream_buf, repl_min_reader_offset(r));
}

/* ---- cron ---------------------------------------------------------------------------------- */

/* Output-buffer limits of the replica class, applied to what the replica has not received. */
static bool over_obuf_limit(struct repl *r, struct replica_info *ri, int64_t now)
{
    const struct obuf_limit *lim = &r->srv->cfg.obuf[OBUF_REPLICA];
    long long owed = (long long)buf_unread_len(&ri->out);
    if (ri->stream_on) owed += r->stream_buf.next_off - ri->stream_off;
    bool soft = lim->soft_bytes > 0 && owed > lim->soft_bytes;
    if (!soft)
        ri->obuf_soft_since_ms = 0;
    else if (ri->obuf_soft_since_ms == 0)
        ri->obuf_soft_since_ms = now;
    if (lim->hard_bytes > 0 && owed > lim->hard_bytes) return true;
    return soft && now - ri->obuf_soft_since_ms > lim->soft_seconds * 1000;
}

static void check_replicas(struct repl *r, int64_t now, bool send_newline)
{
    int64_t limit = r->srv->cfg.repl_timeout_ms;
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        struct client *c = ri->client;
        if (c->conn.flags & CONN_CLOSE_ASAP) continue;
        char name[96];
        replica_name(ri, name, sizeof name);
        int64_t last = MAX(ri->ack_mono_ms, c->conn.last_interaction_ms);
        if (ri->state == RS_ONLINE && now - last > limit) {
            log_warning("Replica %s silent for longer than repl-timeout: disconnecting it", name);
            client_close_async(c);
            continue;
        }
        if (over_obuf_limit(r, ri, now)) {
            log_warning(
                "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                name);
            r->srv->conns.stats.evicted++;
            client_close_async(c);
            continue;
        }
        if (send_newline && (ri->state == RS_WAIT_BGSAVE_START || ri->state == RS_WAIT_BGSAVE_END))
            buf_append_char(&ri->out, '\n'); /* keep-alive: does not count in offsets */
    }
}

static void backlog_ttl(struct repl *r, int64_t now)
{
    int64_t ttl = r->srv->cfg.repl_backlog_ttl_ms;
    if (r->link || r->nreplicas > 0 || !r->backlog || ttl <= 0) return;
    if (r->no_replicas_since_ms == 0) {
        r->no_replicas_since_ms = now;
        return;
    }
    if (now - r->no_replicas_since_ms < ttl) return;
    backlog_destroy(r->backlog);
    r->backlog = NULL;
    util_random_hex(r->replid, REPL_ID_LEN);
    memset(r->replid2, '0', REPL_ID_LEN);
    r->second_offset = -1;
    log_notice("No replica for %lld s (repl-backlog-ttl): backlog freed, new replication id",
               (long long)(ttl / 1000));
}

void repl_master_cron(struct repl *r, int64_t now)
{
    struct server *srv = r->srv;
    bool every_second = now - r->last_newline_ms >= 1000;
    if (every_second) r->last_newline_ms = now;
    if (r->pending && every_second) pending_sweep(r);
    if (r->replicas) check_replicas(r, now, every_second);
    /* PING the replicas through the stream (a replica's sub-replicas get its master's PINGs);
     * not while FAILOVER waits for the offsets to meet. */
    if (!r->link && r->nreplicas > 0 && r->failover.state == FO_NONE &&
        now - r->last_ping_ms >= srv->cfg.repl_ping_replica_period_ms) {
        r->last_ping_ms = now;
        repl_stream_append(r, ping_cmd, sizeof ping_cmd - 1);
    }
    repl_snapshot_maybe_start(r, now);
    backlog_ttl(r, now);
}
