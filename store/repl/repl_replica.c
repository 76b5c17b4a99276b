/* repl_replica: the link to our master (the state machine drawn in repl_replica.h).
 *
 * One function per state (st_*) handles the events that matter in it and returns the next
 * state; link_transition() is the only place the state changes: it checks the edge against the
 * table, logs it and runs the state's entry action (connect, load, attach the master client).
 * The decisions are pure functions (repl_handshake.c); the snapshot transfer and the loader
 * thread are in repl_transfer.c.
 *
 * While connecting and during the handshake the link owns the socket; once CONNECTED the socket
 * belongs to a CLIENT_MASTER client (client.c reads it and runs the commands, repl.c counts the
 * offset), and the link only watches its liveness and sends REPLCONF ACK every
 * repl-ack-period-ms (one timer per link, a no-op while not connected).
 * Must not: touch the dataset before a snapshot parsed whole; block on the network. */
#include "store/persist/aof.h"
#include "store/repl/repl_replica.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "common/tls.h"
#include "common/util.h"
#include "store/client.h"
#include "store/repl/repl_int.h"
#include "store/repl/repl_link.h"
#include "store/server_tls.h"

#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 1000
/* While refusing an empty or regressed master: one retry per REFUSED_RETRY_MS (each one costs
 * the master a snapshot; the sentinels' REPLICAOF or an operator's acts at once anyway), one
 * warning per REFUSED_LOG_EVERY refusals (about a minute) plus one whenever the master's history
 * or offset changes, and the per-attempt handshake lines at verbose level only. */
#define REFUSED_RETRY_MS 5000
#define REFUSED_LOG_EVERY 12

/* ---- the link ------------------------------------------------------------------------------ */

static void link_transition(struct repl_link *l, enum repl_hs_state next, const char *why);
static void link_on_readable(struct loop *lp, int fd, void *data, int mask);
static void link_on_writable(struct loop *lp, int fd, void *data, int mask);

static int64_t link_now(const struct repl_link *l) { return loop_now_ms(l->srv->loop); }

static void link_watch(struct repl_link *l, int mask)
{
    if ((mask & LOOP_READABLE) && !l->is_watching_read) {
        loop_watch(l->srv->loop, l->fd, LOOP_READABLE, link_on_readable, l);
        l->is_watching_read = true;
    }
    if ((mask & LOOP_WRITABLE) && !l->is_watching_write) {
        loop_watch(l->srv->loop, l->fd, LOOP_WRITABLE, link_on_writable, l);
        l->is_watching_write = true;
    }
}

static void link_unwatch(struct repl_link *l, int mask)
{
    if (l->fd < 0) return;
    if ((mask & LOOP_READABLE) && l->is_watching_read) {
        loop_unwatch(l->srv->loop, l->fd, LOOP_READABLE);
        l->is_watching_read = false;
    }
    if ((mask & LOOP_WRITABLE) && l->is_watching_write) {
        loop_unwatch(l->srv->loop, l->fd, LOOP_WRITABLE);
        l->is_watching_write = false;
    }
}

static void link_close_socket(struct repl_link *l)
{
    if (l->fd < 0) return;
    link_unwatch(l, LOOP_READABLE | LOOP_WRITABLE);
    tls_session_free(l->tls);
    l->tls = NULL;
    close(l->fd);
    l->fd = -1;
}

ssize_t repl_link_write(struct repl_link *l, const void *p, size_t n)
{
    return l->tls ? tls_session_write(l->tls, p, n) : write(l->fd, p, n);
}

/* Over TLS, every byte the session decrypted is taken now (no socket event would announce it
 * later: docs/tls.md#transport). */
ssize_t repl_link_read(struct repl_link *l, void *p, size_t n)
{
    if (!l->tls) return read(l->fd, p, n);
    ssize_t got = tls_session_read(l->tls, p, n);
    if (got <= 0) return got;
    size_t left;
    while ((size_t)got < n && (left = tls_session_pending(l->tls)) > 0) {
        ssize_t more = tls_session_read(l->tls, (char *)p + got, MIN(left, n - (size_t)got));
        if (more <= 0) break;
        got += more;
    }
    return got;
}

/* Queue handshake bytes and write what the socket takes now. -1 if the socket failed. */
static int link_send(struct repl_link *l, const char *p, size_t n)
{
    buf_append(&l->out, p, n);
    while (buf_unread_len(&l->out) > 0) {
        ssize_t w = repl_link_write(l, buf_unread(&l->out), buf_unread_len(&l->out));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            link_watch(l, LOOP_WRITABLE);
            return 0;
        }
        if (w <= 0) return -1;
        buf_consume(&l->out, (size_t)w);
    }
    buf_clear(&l->out);
    return 0;
}

static int link_send_command(struct repl_link *l, size_t argc, const char *const *argv)
{
    struct buf b;
    buf_init(&b);
    resp_write_commandv(&b, argv, argc);
    int rc = link_send(l, b.data, b.len);
    buf_free(&b);
    return rc;
}

/* Take one line (up to the newline, CR stripped) off the input into l->line. 1 with the line in
 * l->line (length *len), 0 if incomplete, -1 if too long. */
static int link_take_line(struct repl_link *l, size_t *len)
{
    const char *p = buf_unread(&l->in);
    size_t avail = buf_unread_len(&l->in);
    const char *nl = memchr(p, '\n', avail);
    if (!nl) return avail > HS_LINE_MAX ? -1 : 0;
    size_t n = (size_t)(nl - p);
    if (n > HS_LINE_MAX) return -1;
    size_t keep = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
    memcpy(l->line, p, keep);
    l->line[keep] = '\0';
    buf_consume(&l->in, n + 1); /* may clear the buffer: the line was copied first */
    *len = keep;
    return 1;
}

/* ---- states -------------------------------------------------------------------------------- */

static void schedule_retry(struct repl_link *l);

static enum repl_hs_state st_connect(struct repl_link *l, enum link_event ev)
{
    if (ev != LINK_EV_TIMER) return l->state;
    if (l->srv->aof_load) { /* as Redis, the AOF loads first: a full sync mid-replay would mix */
        schedule_retry(l);
        return l->state;
    }
    char err[256];
    l->fd = net_connect_nonblock(l->host, l->port, err, sizeof err);
    if (l->fd < 0) {
        log_warning("Cannot connect to MASTER: %s", err);
        return REPL_ST_CONNECT;
    }
    link_watch(l, LOOP_WRITABLE);
    return REPL_ST_CONNECTING;
}

/* With tls-replication, the TLS handshake runs inside CONNECTING: 1 done, 0 waiting, -1 failed. */
static int link_step_tls(struct repl_link *l)
{
    char err[256];
    if (!l->tls) {
        l->tls = server_tls_client_session(l->srv, l->fd, err, sizeof err);
        if (!l->tls) {
            log_warning("Cannot start TLS with MASTER: %s", err);
            return -1;
        }
    }
    int want = 0;
    int rc = tls_session_handshake(l->tls, &want, err, sizeof err);
    if (rc < 0) {
        log_warning("TLS handshake with MASTER failed: %s", err);
        return -1;
    }
    link_unwatch(l, LOOP_READABLE | LOOP_WRITABLE);
    if (rc == 0) link_watch(l, want);
    return rc;
}

static enum repl_hs_state st_connecting(struct repl_link *l, enum link_event ev)
{
    if (ev != LINK_EV_WRITABLE && !(ev == LINK_EV_READABLE && l->tls)) return l->state;
    char err[256];
    if (!l->tls && net_connect_result(l->fd, err, sizeof err) != 0) {
        log_warning("Connecting to MASTER failed: %s", err);
        return REPL_ST_CONNECT;
    }
    if (l->srv->cfg.tls_replication) {
        int rc = link_step_tls(l);
        if (rc <= 0) return rc < 0 ? REPL_ST_CONNECT : l->state;
    }
    log_msg(l->refused ? LOG_VERBOSE : LOG_NOTICE, "MASTER <-> REPLICA sync: connecting");
    link_unwatch(l, LOOP_WRITABLE);
    link_watch(l, LOOP_READABLE);
    static const char *const ping[] = {"PING"};
    return link_send_command(l, 1, ping) == 0 ? REPL_ST_RECV_PING : REPL_ST_CONNECT;
}

/* The port our own replicas and the sentinels reach us on: over TLS links, the TLS one (as
 * Redis announces it). */
static long long repl_listening_port(const struct server *srv)
{
    if (srv->cfg.tls_replication && srv->tls && srv->tls->port) return srv->tls->port;
    return srv->port;
}

/* After PING: the rest of the handshake goes out at once; replies are read in order. */
static int send_handshake(struct repl_link *l)
{
    const struct store_config *cfg = &l->srv->cfg;
    int rc = 0;
    if (cfg->masterauth && cfg->masterauth[0]) {
        const char *auth[3] = {"AUTH", cfg->masteruser, cfg->masterauth};
        if (cfg->masteruser && cfg->masteruser[0])
            rc |= link_send_command(l, 3, auth);
        else
            rc |= link_send_command(l, 2, (const char *const[]){"AUTH", cfg->masterauth});
    }
    char port[32];
    snprintf(port, sizeof port, "%lld",
             cfg->replica_announce_port > 0 ? cfg->replica_announce_port
                                            : repl_listening_port(l->srv));
    rc |= link_send_command(l, 3, (const char *const[]){"REPLCONF", "listening-port", port});
    if (cfg->replica_announce_ip && cfg->replica_announce_ip[0])
        rc |= link_send_command(
            l, 3, (const char *const[]){"REPLCONF", "ip-address", cfg->replica_announce_ip});
    rc |=
        link_send_command(l, 5, (const char *const[]){"REPLCONF", "capa", "eof", "capa", "psync2"});
    return rc;
}

static int send_psync(struct repl_link *l)
{
    struct repl *r = l->r;
    char off[32];
    const char *argv[4] = {"PSYNC", "?", "-1", "FAILOVER"};
    if (r->has_history) {
        snprintf(off, sizeof off, "%lld", r->offset + 1);
        argv[1] = r->replid;
        /* Nothing was added since our id changed (a master restarted from its snapshot, then
         * told REPLICAOF): the previous id names the same data, and the new master may know
         * it (docs/persistence.md#restarts-and-replication). */
        if (r->second_offset == r->offset + 1 && strspn(r->replid2, "0") != REPL_ID_LEN)
            argv[1] = r->replid2;
        argv[2] = off;
        log_msg(l->refused ? LOG_VERBOSE : LOG_NOTICE,
                "Asking the master to continue history %s from offset %s", r->replid, off);
    } else {
        log_notice("No history to continue: asking the master for a full resync");
    }
    return link_send_command(l, l->is_failover ? 4 : 3, argv);
}

/* +FULLRESYNC arrived (l->new_replid / l->new_offset): may it replace our data? The rule is
 * repl_fullsync_verdict; here we gather its facts, and log and count a refusal. */
static bool fullsync_refused(struct repl_link *l)
{
    const struct repl *r = l->r;
    struct repl_fullsync_facts f = {
        .has_history = r->has_history,
        .holds_data = !repl_dataset_is_empty(l->srv),
        .is_explicit = l->is_explicit,
        .accept_regressed = l->srv->cfg.replica_accept_regressed_master,
        .replid = r->replid,
        .replid2 = r->replid2,
        .offset = r->offset,
        .master_replid = l->new_replid,
        .master_offset = l->new_offset,
    };
    enum repl_fullsync_verdict v = repl_fullsync_verdict(&f);
    if (v == REPL_FULLSYNC_ACCEPT) {
        l->refused = 0;
        l->refused_count = 0;
        return false;
    }
    bool is_new = l->refused != (int)v || strcmp(l->refused_replid, l->new_replid) != 0 ||
                  l->refused_offset != l->new_offset;
    l->refused = (int)v;
    memcpy(l->refused_replid, l->new_replid, REPL_ID_LEN + 1);
    l->refused_offset = l->new_offset;
    if (is_new || l->refused_count % REFUSED_LOG_EVERY == 0)
        log_warning("Refusing a full resync from MASTER %s:%d: its history %s at offset %lld is "
                    "new and behind ours (%s at %lld); it restarted empty or lost writes. Keeping "
                    "our data and retrying (refusal %lld). REPLICAOF %s %d again, or CONFIG SET "
                    "replica-accept-regressed-master yes, accepts it and drops our data.",
                    l->host, l->port, l->new_replid, l->new_offset, r->replid, r->offset,
                    l->refused_count + 1, l->host, l->port);
    l->refused_count++;
    return true;
}

static void hs_opts(const struct repl_link *l, struct repl_hs_opts *o)
{
    const struct store_config *cfg = &l->srv->cfg;
    o->has_auth = cfg->masterauth && cfg->masterauth[0];
    o->has_ip = cfg->replica_announce_ip && cfg->replica_announce_ip[0];
}

static void log_reply_error(const struct repl_link *l, const char *line, size_t len)
{
    switch (l->state) {
    case REPL_ST_RECV_PING:
        log_warning("Error reply to PING from master: '%.*s'", (int)MIN(len, 200), line);
        break;
    case REPL_ST_RECV_AUTH:
        log_warning("Unable to AUTH to MASTER: %.*s", (int)MIN(len, 200), line);
        break;
    case REPL_ST_RECV_PSYNC:
        if ((len >= 13 && memcmp(line, "-NOMASTERLINK", 13) == 0) ||
            (len >= 8 && memcmp(line, "-LOADING", 8) == 0))
            log_notice("Master cannot serve PSYNC right now, will retry: %.*s", (int)MIN(len, 200),
                       line);
        else
            log_warning("Unexpected reply to PSYNC from master: %.*s", (int)MIN(len, 200), line);
        break;
    default:
        log_notice("Master refused a REPLCONF option (ignored): %.*s", (int)MIN(len, 200), line);
        break;
    }
}

/* Every RECV_* state: one reply line decides the next state (repl_hs_after_reply), plus the
 * side effect of leaving the state (what gets sent next, what the PSYNC reply taught us). */
static enum repl_hs_state st_recv_reply(struct repl_link *l, enum link_event ev)
{
    if (ev != LINK_EV_INPUT) return l->state;
    size_t len;
    int got;
    while ((got = link_take_line(l, &len)) == 1 && len == 0) {
        /* bare newlines are the master's keep-alives */
    }
    if (got < 0) {
        log_warning("Protocol error from master during the handshake (line too long)");
        return REPL_ST_CONNECT;
    }
    if (got == 0) return l->state;
    const char *line = l->line;
    struct repl_hs_opts o;
    hs_opts(l, &o);
    enum repl_hs_state next = repl_hs_after_reply(l->state, line, len, &o);
    if (len > 0 && line[0] == '-') log_reply_error(l, line, len);
    if (l->is_failover && (next == REPL_ST_TRANSFER || next == REPL_ST_CONNECTED))
        l->failover_result = 1; /* the new master accepted us: the switchover is done */
    if (l->state == REPL_ST_RECV_PING && next != REPL_ST_CONNECT)
        return send_handshake(l) == 0 ? next : REPL_ST_CONNECT;
    if (next == REPL_ST_RECV_PSYNC) return send_psync(l) == 0 ? next : REPL_ST_CONNECT;
    if (next == REPL_ST_TRANSFER) {
        repl_parse_fullresync(line, len, l->new_replid, &l->new_offset);
        if (fullsync_refused(l)) return REPL_ST_CONNECT;
        log_notice("Full resync from master: %s:%lld", l->new_replid, l->new_offset);
    } else if (next == REPL_ST_CONNECTED) {
        repl_parse_continue(line, len, l->new_replid);
        l->is_continue = true;
    }
    return next;
}

static enum repl_hs_state st_connected(struct repl_link *l, enum link_event ev)
{
    if (ev == LINK_EV_MASTER_GONE) return REPL_ST_CONNECT;
    return l->state;
}

typedef enum repl_hs_state (*state_fn)(struct repl_link *l, enum link_event ev);

static const state_fn state_fns[REPL_ST_COUNT] = {
    [REPL_ST_CONNECT] = st_connect,           [REPL_ST_CONNECTING] = st_connecting,
    [REPL_ST_RECV_PING] = st_recv_reply,      [REPL_ST_RECV_AUTH] = st_recv_reply,
    [REPL_ST_RECV_PORT] = st_recv_reply,      [REPL_ST_RECV_IP] = st_recv_reply,
    [REPL_ST_RECV_CAPA] = st_recv_reply,      [REPL_ST_RECV_PSYNC] = st_recv_reply,
    [REPL_ST_TRANSFER] = repl_transfer_state, [REPL_ST_LOADING] = repl_loading_state,
    [REPL_ST_CONNECTED] = st_connected,
};

/* Run the current state's function for an event, then follow the transitions it asks for
 * (a state may consume buffered input and hand the rest to the next one). */
void repl_link_dispatch(struct repl_link *l, enum link_event ev)
{
    for (int guard = 0; guard < REPL_ST_COUNT + 2; guard++) {
        enum repl_hs_state before = l->state;
        enum repl_hs_state next = state_fns[before](l, ev);
        if (next == before) return;
        link_transition(l, next, NULL);
        /* Input may already hold the next reply (or the payload): let the new state look. */
        if (next == REPL_ST_CONNECT || next == REPL_ST_CONNECTED || next == REPL_ST_LOADING ||
            buf_unread_len(&l->in) == 0)
            return;
        ev = LINK_EV_INPUT;
    }
}

/* ---- transitions --------------------------------------------------------------------------- */

static int64_t retry_fire(struct loop *lp, uint64_t id, void *data)
{
    UNUSED(lp);
    UNUSED(id);
    struct repl_link *l = data;
    l->retry_timer = 0;
    repl_link_dispatch(l, LINK_EV_TIMER);
    return LOOP_TIMER_STOP;
}

static void schedule_retry(struct repl_link *l)
{
    int64_t delay = RETRY_MIN_MS;
    for (int i = 1; i < l->failures && delay < RETRY_MAX_MS; i++) delay *= 2;
    if (delay > RETRY_MAX_MS) delay = RETRY_MAX_MS;
    if (l->refused) delay = REFUSED_RETRY_MS;
    if (l->retry_timer) loop_timer_cancel(l->srv->loop, l->retry_timer);
    l->retry_timer = loop_timer_add(l->srv->loop, delay, retry_fire, l);
}

static void enter_connect(struct repl_link *l, enum repl_hs_state from)
{
    repl_transfer_abort(l);
    link_close_socket(l);
    buf_clear(&l->in);
    buf_clear(&l->out);
    if (from == REPL_ST_CONNECTED) {
        l->down_since_ms = link_now(l);
        l->failures = 0;
    } else {
        l->failures++;
    }
    if (l->is_failover && l->failover_result == 0) l->failover_result = -1; /* FAILOVER failed */
    schedule_retry(l);
}

/* CONNECTED: the socket becomes the CLIENT_MASTER client that applies the stream. */
static void enter_connected(struct repl_link *l)
{
    struct repl *r = l->r;
    struct server *srv = l->srv;
    if (l->is_continue) {
        if (l->new_replid[0] && strcmp(l->new_replid, r->replid) != 0) {
            memcpy(r->replid2, r->replid, REPL_ID_LEN + 1);
            r->second_offset = r->offset + 1;
            memcpy(r->replid, l->new_replid, REPL_ID_LEN + 1);
            log_notice("Master replication ID changed to %s", r->replid);
            repl_replica_drop_all(r, "our master's replication id changed");
        }
        log_notice("Partial resync accepted by the master.");
        log_notice("MASTER <-> REPLICA sync: continuing the stream from our offset.");
    }
    link_unwatch(l, LOOP_READABLE | LOOP_WRITABLE);
    struct client *m = client_create(srv, l->fd);
    conn_adopt_tls(&m->conn, l->tls); /* the session goes with the socket */
    l->tls = NULL;
    l->fd = -1;
    m->flags |= CLIENT_MASTER;
    m->conn.flags |= CONN_AUTHENTICATED | CONN_NO_REPLY;
    m->db = r->master_db >= 0 && r->master_db < srv->ndb ? r->master_db : 0;
    r->master = m;
    r->has_history = true;
    l->failures = 0;
    l->down_since_ms = 0;
    l->was_ever_up = true;
    l->is_continue = false;
    l->is_explicit = false; /* a later empty master is refused again */
    l->refused = 0;
    l->refused_count = 0;
    repl_link_send_ack(r);
    if (buf_unread_len(&l->in) > 0) {
        buf_append(&m->conn.query, buf_unread(&l->in), buf_unread_len(&l->in));
        buf_clear(&l->in);
        client_process_input(m);
    }
}

static void link_transition(struct repl_link *l, enum repl_hs_state next, const char *why)
{
    enum repl_hs_state from = l->state;
    if (next == from) return;
    ASSERT(repl_hs_edge_ok(from, next));
    log_verbose("Replication link %s:%d: %s -> %s%s%s", l->host, l->port, repl_hs_state_name(from),
                repl_hs_state_name(next), why ? ": " : "", why ? why : "");
    l->state = next;
    l->state_since_ms = link_now(l);
    l->last_io_ms = l->state_since_ms;
    switch (next) {
    case REPL_ST_CONNECT:
        enter_connect(l, from);
        break;
    case REPL_ST_TRANSFER:
        repl_transfer_begin(l);
        break;
    case REPL_ST_CONNECTED:
        enter_connected(l);
        break;
    default:
        break;
    }
}

/* ---- event sources -------------------------------------------------------------------------- */

static void link_on_writable(struct loop *lp, int fd, void *data, int mask)
{
    UNUSED(lp);
    UNUSED(fd);
    UNUSED(mask);
    struct repl_link *l = data;
    if (l->state == REPL_ST_CONNECTING) {
        repl_link_dispatch(l, LINK_EV_WRITABLE);
        return;
    }
    if (link_send(l, "", 0) != 0) {
        link_transition(l, REPL_ST_CONNECT, "write error");
        return;
    }
    if (buf_unread_len(&l->out) == 0) link_unwatch(l, LOOP_WRITABLE);
}

static void link_on_readable(struct loop *lp, int fd, void *data, int mask)
{
    UNUSED(lp);
    UNUSED(mask);
    struct repl_link *l = data;
    UNUSED(fd);
    if (l->state == REPL_ST_CONNECTING || (l->state == REPL_ST_TRANSFER && !l->tls)) {
        /* the TLS handshake; or the transfer, which reads big chunks itself (over TLS it takes
         * them from l->in, where nothing decrypted is left behind) */
        repl_link_dispatch(l, LINK_EV_READABLE);
        return;
    }
    size_t chunk = l->tls ? 16384 : 4096;
    char *space = buf_space(&l->in, chunk);
    ssize_t n = repl_link_read(l, space, chunk);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        log_warning("Master closed the connection during the handshake (%s)",
                    n == 0 ? "EOF" : strerror(errno));
        link_transition(l, REPL_ST_CONNECT, "read error");
        return;
    }
    buf_commit(&l->in, (size_t)n);
    l->last_io_ms = link_now(l);
    repl_link_dispatch(l, LINK_EV_INPUT);
}

/* ---- periodic ACK --------------------------------------------------------------------------- */

/* A timer of its own rather than the cron: the cron's 100 ms (hz 10) would stretch a 100 ms period
 * to up to 200 ms, and the master's min-replicas-max-lag-ms counts on the period
 * (docs/replication.md#fencing-on-the-data-path). Idle cost: one wake-up per period. */
static int64_t ack_fire(struct loop *lp, uint64_t id, void *data)
{
    UNUSED(lp);
    UNUSED(id);
    struct repl_link *l = data;
    if (l->state == REPL_ST_CONNECTED && l->r->master) repl_link_send_ack(l->r);
    return l->ack_period_ms;
}

static void ack_timer_arm(struct repl_link *l)
{
    if (l->ack_timer) loop_timer_cancel(l->srv->loop, l->ack_timer);
    l->ack_period_ms = l->srv->cfg.repl_ack_period_ms;
    l->ack_timer = loop_timer_add(l->srv->loop, l->ack_period_ms, ack_fire, l);
}

/* ---- public --------------------------------------------------------------------------------- */

struct repl_link *repl_link_create(struct repl *r, const char *host, int port)
{
    struct repl_link *l = xcalloc(1, sizeof *l);
    l->r = r;
    l->srv = r->srv;
    snprintf(l->host, sizeof l->host, "%s", host);
    l->port = port;
    l->fd = -1;
    l->state = REPL_ST_CONNECT;
    l->state_since_ms = link_now(l);
    l->down_since_ms = 0;
    buf_init(&l->in);
    buf_init(&l->out);
    repl_transfer_init(l);
    l->retry_timer = loop_timer_add(l->srv->loop, 0, retry_fire, l); /* connect right away */
    ack_timer_arm(l);
    return l;
}

void repl_link_destroy(struct repl_link *l)
{
    struct repl *r = l->r;
    if (r->master) {
        struct client *m = r->master;
        r->master = NULL;
        r->master_db = m->db;
        m->flags &= ~CLIENT_MASTER;
        client_close_async(m);
        buf_clear(&r->multi_pending);
    }
    repl_transfer_free(l);
    if (l->retry_timer) loop_timer_cancel(l->srv->loop, l->retry_timer);
    if (l->ack_timer) loop_timer_cancel(l->srv->loop, l->ack_timer);
    link_close_socket(l);
    buf_free(&l->in);
    buf_free(&l->out);
    free(l);
}

void repl_link_master_gone(struct repl_link *l)
{
    if (l->state == REPL_ST_CONNECTED) link_transition(l, REPL_ST_CONNECT, "master link lost");
}

void repl_link_send_ack(struct repl *r)
{
    struct client *m = r->master;
    if (!m || (m->conn.flags & CONN_CLOSE_ASAP)) return;
    char off[32], fack[32];
    snprintf(off, sizeof off, "%lld", r->offset);
    long long fsynced = aof_fsynced_repl_offset(r->srv);
    if (fsynced >= 0) { /* Redis 7.2's format; a 7.0 master reads the offset and stops there */
        snprintf(fack, sizeof fack, "%lld", fsynced);
        resp_write_commandv(&m->conn.reply,
                            (const char *const[]){"REPLCONF", "ACK", off, "FACK", fack}, 5);
    } else {
        resp_write_commandv(&m->conn.reply, (const char *const[]){"REPLCONF", "ACK", off}, 3);
    }
    conn_queue_write(&m->conn);
}

static bool link_timed_out(const struct repl_link *l, int64_t now)
{
    int64_t limit = l->srv->cfg.repl_timeout_ms;
    switch (l->state) {
    case REPL_ST_CONNECTING:
    case REPL_ST_RECV_PING:
    case REPL_ST_RECV_AUTH:
    case REPL_ST_RECV_PORT:
    case REPL_ST_RECV_IP:
    case REPL_ST_RECV_CAPA:
    case REPL_ST_RECV_PSYNC:
        if (now - l->state_since_ms > limit) {
            log_warning("MASTER handshake took longer than repl-timeout: retrying");
            return true;
        }
        return false;
    case REPL_ST_TRANSFER:
        if (now - l->last_io_ms > limit) {
            log_warning(
                "No snapshot data from MASTER for repl-timeout: retrying (raise repl-timeout "
                "for very large datasets)");
            return true;
        }
        return false;
    default:
        return false;
    }
}

void repl_link_cron(struct repl_link *l, int64_t now)
{
    struct repl *r = l->r;
    if (l->ack_period_ms != l->srv->cfg.repl_ack_period_ms) ack_timer_arm(l); /* CONFIG SET */
    if (link_timed_out(l, now)) {
        link_transition(l, REPL_ST_CONNECT, "timeout");
        return;
    }
    if (l->state == REPL_ST_LOADING) {
        repl_loading_keepalive(l, now);
        return;
    }
    if (l->state != REPL_ST_CONNECTED || !r->master) return;
    struct client *m = r->master;
    if (m->conn.flags & CONN_CLOSE_AFTER_REPLY) { /* protocol error in the master's stream */
        log_warning("Protocol error in the stream from MASTER: dropping the link");
        repl_master_link_lost(l->srv, "protocol error");
        return;
    }
    if (now - m->conn.last_interaction_ms > l->srv->cfg.repl_timeout_ms) {
        log_warning("Nothing received from MASTER for repl-timeout: dropping the link");
        repl_master_link_lost(l->srv, "timeout");
        return;
    }
}

const char *repl_link_role_state(const struct repl_link *l) { return repl_hs_role_name(l->state); }
bool repl_link_is_up(const struct repl_link *l) { return l->state == REPL_ST_CONNECTED; }
const char *repl_link_host(const struct repl_link *l) { return l->host; }
int repl_link_port(const struct repl_link *l) { return l->port; }

void repl_link_set_failover(struct repl_link *l, bool is_failover)
{
    l->is_failover = is_failover;
    l->failover_result = 0;
}

int repl_link_failover_result(const struct repl_link *l) { return l->failover_result; }

void repl_link_info(const struct repl_link *l, struct buf *o)
{
    const struct repl *r = l->r;
    int64_t now = link_now(l);
    const struct client *m = r->master;
    long long processed = r->has_history ? r->offset : 1;
    long long read_off = processed;
    if (m) read_off += (long long)(buf_unread_len(&m->conn.query) + r->multi_pending.len);
    buf_printf(o,
               "master_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n"
               "master_last_io_seconds_ago:%d\r\nmaster_sync_in_progress:%d\r\n"
               "slave_read_repl_offset:%lld\r\nslave_repl_offset:%lld\r\n",
               l->host, l->port, l->state == REPL_ST_CONNECTED ? "up" : "down",
               m ? (int)((now - m->conn.last_interaction_ms) / 1000) : -1,
               (l->state == REPL_ST_TRANSFER || l->state == REPL_ST_LOADING) ? 1 : 0, read_off,
               processed);
    if (l->state == REPL_ST_TRANSFER) repl_transfer_info(l, o, now);
    if (l->state != REPL_ST_CONNECTED)
        buf_printf(o, "master_link_down_since_seconds:%lld\r\n",
                   l->down_since_ms ? (long long)((now - l->down_since_ms) / 1000) : -1LL);
    if (l->refused)
        buf_printf(o,
                   "master_sync_refused:%s\r\nmaster_sync_refused_replid:%s\r\n"
                   "master_sync_refused_offset:%lld\r\nmaster_sync_refused_count:%lld\r\n",
                   repl_fullsync_verdict_name((enum repl_fullsync_verdict)l->refused),
                   l->refused_replid, l->refused_offset, l->refused_count);
}

void repl_link_accept_next_fullsync(struct repl_link *l)
{
    l->is_explicit = true;
    if (l->refused && l->state == REPL_ST_CONNECT) { /* retry now, not after the period */
        if (l->retry_timer) loop_timer_cancel(l->srv->loop, l->retry_timer);
        l->retry_timer = loop_timer_add(l->srv->loop, 0, retry_fire, l);
    }
}

enum repl_hs_state repl_link_state(const struct repl_link *l) { return l->state; }
