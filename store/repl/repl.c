/* repl: the replication history shared by both roles, role changes, INFO replication, and the
 * hooks the rest of the server calls (repl.h). The roles' machinery lives in repl_master.c,
 * repl_replica.c and repl_failover.c; the internals they share are in repl_int.h.
 *
 * The history is (replid, offset) plus the bytes that made it: the backlog (for PSYNC) and the
 * shared buffer (for replicas being streamed to). On a master, repl_sink_feed() appends the
 * commands propagate.c hands it, prefixed by a SELECT when the database changes. On a replica
 * the master's bytes are appended verbatim once the command they encode has been applied, so the
 * replica's history is byte-identical to its master's and it can serve PSYNC from its own
 * backlog after a promotion.
 * A MULTI from the master counts only when its EXEC has run (a replica never acknowledges half a
 * transaction). */
#include "store/repl/repl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "store/repl/backlog.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/data/keyspace.h"
#include "store/repl/repl_fence.h"
#include "store/repl/repl_int.h"
#include "store/master_lease.h"
#include "store/reply.h"

struct repl *repl_create(struct server *srv)
{
    struct repl *r = xcalloc(1, sizeof *r);
    r->srv = srv;
    util_random_hex(r->replid, REPL_ID_LEN);
    memset(r->replid2, '0', REPL_ID_LEN);
    r->second_offset = -1;
    r->stream_db = -1;
    r->has_history = true; /* a master's history is its own; a configured replica clears it */
    repl_buf_init(&r->stream_buf, 1);
    buf_init(&r->multi_pending);
    return r;
}

void repl_destroy(struct repl *r)
{
    if (!r) return;
    repl_snapshot_kill(r);
    if (r->link) repl_link_destroy(r->link);
    if (r->backlog) backlog_destroy(r->backlog);
    repl_buf_free(&r->stream_buf);
    buf_free(&r->multi_pending);
    free(r);
}

/* ---- history ------------------------------------------------------------------------------ */

static bool has_stream_readers(const struct repl *r)
{
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->stream_on) return true;
    return false;
}

void repl_backlog_ensure(struct repl *r)
{
    if (!r->backlog) r->backlog = backlog_create((size_t)r->srv->cfg.repl_backlog_size, r->offset);
}

void repl_stream_append(struct repl *r, const char *p, size_t n)
{
    repl_backlog_ensure(r);
    backlog_append(r->backlog, p, n);
    r->offset += (long long)n;
    if (has_stream_readers(r))
        repl_buf_append(&r->stream_buf, p, n);
    else
        repl_buf_skip(&r->stream_buf, n);
}

void repl_history_reset(struct repl *r, const char *replid, long long offset)
{
    if (replid) {
        memcpy(r->replid, replid, REPL_ID_LEN);
        r->replid[REPL_ID_LEN] = '\0';
    }
    r->offset = offset;
    if (r->backlog)
        backlog_reset(r->backlog, offset);
    else
        repl_backlog_ensure(r);
    repl_buf_reset(&r->stream_buf, offset + 1);
}

void repl_history_shift(struct repl *r)
{
    memcpy(r->replid2, r->replid, REPL_ID_LEN + 1);
    r->second_offset = r->offset + 1;
    util_random_hex(r->replid, REPL_ID_LEN);
    r->replid[REPL_ID_LEN] = '\0';
    log_notice("History %s kept as the secondary id (valid up to offset %lld); new replication "
               "ID is %s",
               r->replid2, r->second_offset, r->replid);
}

long long repl_min_reader_offset(const struct repl *r)
{
    long long min = r->stream_buf.next_off;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->stream_on && ri->stream_off < min) min = ri->stream_off;
    return min;
}

bool repl_sink_is_wanted(void *srv)
{
    const struct repl *r = ((struct server *)srv)->repl;
    /* A replica's history is its master's stream (forwarded verbatim to its own replicas); a
     * master nobody ever asked for the stream keeps no backlog, as Redis. */
    return !r->link && (r->backlog || r->replicas);
}

void repl_sink_feed(void *srv, int db, const char *bytes, size_t len)
{
    struct repl *r = ((struct server *)srv)->repl;
    if (len == 0 || !repl_sink_is_wanted(srv)) return;
    if (db != r->stream_db) {
        char dbs[16];
        int n = snprintf(dbs, sizeof dbs, "%d", db);
        struct resp_arg sel[2] = {{"SELECT", 6}, {dbs, (size_t)n}};
        struct buf b;
        buf_init(&b);
        resp_write_command(&b, 2, sel);
        repl_stream_append(r, b.data, b.len);
        buf_free(&b);
        r->stream_db = db;
    }
    repl_stream_append(r, bytes, len);
}

long long repl_offset(const struct server *srv) { return srv->repl->offset; }

size_t repl_mem_not_counted(const struct server *srv)
{
    const struct repl *r = srv->repl;
    size_t n = r->stream_buf.bytes + (r->backlog ? backlog_size(r->backlog) : 0);
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        n += ri->out.cap + (ri->client ? ri->client->conn.reply.cap : 0);
    return n;
}

bool repl_writes_paused(const struct server *srv) { return srv->repl->failover.state != FO_NONE; }

bool repl_min_replicas_failing(const struct server *srv)
{
    struct repl_fence f = repl_fence_from_config(&srv->cfg);
    if (!repl_fence_is_on(&f)) return false;
    return repl_fence_is_failing(&f, repl_count_good(srv->repl, loop_now_ms(srv->loop)));
}

bool repl_master_link_up(const struct server *srv)
{
    return srv->repl->link && repl_link_is_up(srv->repl->link);
}

/* ---- the applied master stream (replica side) --------------------------------------------- */

void repl_master_client_processed(struct client *c, size_t bytes)
{
    struct repl *r = c->srv->repl;
    if (c != r->master) return;
    const char *p = buf_unread(&c->conn.query);
    if (c->flags & CLIENT_MULTI) {
        buf_append(&r->multi_pending, p, bytes); /* counted once EXEC has run */
        return;
    }
    if (r->multi_pending.len > 0) {
        buf_append(&r->multi_pending, p, bytes);
        repl_stream_append(r, r->multi_pending.data, r->multi_pending.len);
        buf_clear(&r->multi_pending);
    } else {
        repl_stream_append(r, p, bytes);
    }
    if (r->is_ack_after_command) { /* REPLCONF GETACK: the ACK covers the GETACK itself */
        r->is_ack_after_command = false;
        repl_link_send_ack(r);
    }
}

void repl_master_link_lost(struct server *srv, const char *why)
{
    struct repl *r = srv->repl;
    if (!r->master) return;
    log_warning("Connection with master lost (%s).", why);
    struct client *m = r->master;
    r->master = NULL;
    r->master_db = m->db;
    buf_clear(&r->multi_pending); /* an unfinished MULTI is resent after PSYNC */
    m->flags &= ~CLIENT_MASTER;   /* no more applying, whatever is still buffered */
    client_close_async(m);
    if (r->link) repl_link_master_gone(r->link); /* schedules the reconnect */
}

void repl_master_link_activity(struct server *srv) { UNUSED(srv); }

void repl_client_freed(struct client *c)
{
    struct repl *r = c->srv->repl;
    if (c->flags & CLIENT_REPLICA) repl_replica_detach(r, c);
    if (c == r->master) {
        r->master = NULL;
        r->master_db = c->db;
        buf_clear(&r->multi_pending);
        const char *perr = resp_request_error(&c->conn.parser);
        if ((c->conn.flags & CONN_CLOSE_AFTER_REPLY) && perr)
            log_warning("Protocol error in the stream from MASTER (%s): dropping the link", perr);
        else
            log_warning("Connection with master lost (client closed).");
        if (r->link) repl_link_master_gone(r->link);
    }
}

/* ---- role changes -------------------------------------------------------------------------- */

static void set_replica_mode(struct server *srv, bool is_replica)
{
    /* A pause hides expired keys too (pause.c). */
    for (int i = 0; i < srv->ndb; i++)
        ks_set_replica_mode(srv->db[i], is_replica || srv->is_expiry_paused);
    log_set_role(is_replica ? 'S' : 'M');
}

static void set_replicaof_config(struct server *srv, const char *host, int port)
{
    char text[REPL_HOST_LEN + 16];
    if (host)
        snprintf(text, sizeof text, "%s %d", host, port);
    else
        text[0] = '\0';
    free(srv->cfg.replicaof);
    srv->cfg.replicaof = xstrdup(text);
}

/* Clients blocked on keys or WAIT cannot be served by a replica: fail them, as Redis does. */
static void unblock_all_clients(struct server *srv)
{
    for (struct client *c = client_first(srv); c; c = client_next(c)) {
        if (!(c->flags & CLIENT_BLOCKED)) continue;
        reply_error(c, "UNBLOCKED force unblock from blocking operation, instance state changed "
                       "(master -> replica?)");
        blocking_unblock_client(c, false);
    }
}

/* Returns 1 if already replicating from host:port, else 0 (now connecting). */
int repl_set_master(struct server *srv, const char *host, int port)
{
    struct repl *r = srv->repl;
    if (r->link && strcmp(repl_link_host(r->link), host) == 0 && repl_link_port(r->link) == port)
        return 1;
    bool was_master = r->link == NULL;
    if (r->link) {
        repl_link_destroy(r->link); /* closes the master client too */
        r->link = NULL;
    }
    if (was_master) {
        /* Our own history is what we continue from: the new master may know it (promoted
         * sibling) and answer +CONTINUE. */
        r->has_history = true;
        repl_backlog_ensure(r);
        r->master_db = r->stream_db >= 0 ? r->stream_db : 0;
    }
    unblock_all_clients(srv);
    set_replicaof_config(srv, host, port);
    set_replica_mode(srv, true);
    master_lease_on_replica(srv); /* a replica's leases must not outlive its demotion */
    log_notice("Connecting to MASTER %s:%d", host, port);
    r->link = repl_link_create(r, host, port);
    /* Every caller is an explicit choice of this master (REPLICAOF, CONFIG SET, FAILOVER): its
     * first full sync is accepted even if it is behind us (repl_fullsync_verdict). */
    repl_link_accept_next_fullsync(r->link);
    r->is_awaiting_role = false;
    repl_mark_group_member(srv);
    return 0;
}

void repl_unset_master(struct server *srv)
{
    struct repl *r = srv->repl;
    if (!r->link) return;
    repl_link_destroy(r->link);
    r->link = NULL;
    repl_history_shift(r);
    repl_replica_drop_all(r, "master mode enabled"); /* they PSYNC back and continue cheaply */
    set_replicaof_config(srv, NULL, 0);
    set_replica_mode(srv, false);
    r->stream_db = -1;
    r->has_history = true;
    r->no_replicas_since_ms = loop_now_ms(srv->loop);
    log_notice("MASTER MODE enabled");
    repl_mark_group_member(srv);
}

bool repl_awaiting_role(const struct server *srv)
{
    return srv->repl->is_awaiting_role && srv->cfg.repl_group_member;
}

void repl_end_awaiting_role(struct server *srv, const char *why)
{
    if (!srv->repl->is_awaiting_role) return;
    srv->repl->is_awaiting_role = false;
    log_notice("Taking writes as a master now (%s).", why);
}

bool repl_dataset_is_empty(const struct server *srv)
{
    for (int i = 0; i < srv->ndb; i++)
        if (ks_count(srv->db[i]) > 0) return false;
    return true;
}

/* Role changes rewrite the overrides file, as the sentinels' CONFIG REWRITE does after their
 * SLAVEOF, so that a restarted store knows it belonged to a group: its first role change sets
 * repl-group-member, later ones keep replicaof current. A failed write is logged, not fatal. */
void repl_mark_group_member(struct server *srv)
{
    if (!srv->cfg.repl_group_member)
        log_notice("This store is now part of a replication group (repl-group-member yes).");
    srv->cfg.repl_group_member = true;
    char err[512];
    if (server_rewrite_overrides(srv, err, sizeof err) != 0)
        log_warning("Could not save the replication role in the overrides file: %s", err);
}

/* A store that belonged to a group (the overrides say so) and starts with no data and no
 * master must not take writes as an empty master: its replicas would follow it and drop their
 * data, and clients would write into a dataset its group no longer shares. It waits for its
 * sentinels (REPLICAOF) or an operator (REPLICAOF NO ONE). */
static void start_awaiting_role(struct server *srv)
{
    if (!srv->cfg.repl_group_member || !repl_dataset_is_empty(srv)) return;
    srv->repl->is_awaiting_role = true;
    log_warning("This store belonged to a replication group (repl-group-member yes in the "
                "overrides file) and starts without data: refusing writes until REPLICAOF <host> "
                "<port> (its sentinels send it) or REPLICAOF NO ONE (to serve as a master, "
                "empty).");
}

void repl_start_from_config(struct server *srv)
{
    struct repl *r = srv->repl;
    const char *text = srv->cfg.replicaof;
    char host[REPL_HOST_LEN];
    int port;
    ASSERT(!r->is_started && !r->link);
    r->is_started = true;
    if (!text || !text[0] || sscanf(text, "%255s %d", host, &port) != 2) {
        start_awaiting_role(srv);
        return;
    }
    r->has_history = r->is_history_restored; /* else the first sync is a full one */
    set_replica_mode(srv, true);
    log_notice("Connecting to MASTER %s:%d", host, port);
    r->link = repl_link_create(r, host, port);
    if (!srv->cfg.repl_group_member) repl_mark_group_member(srv);
}

void repl_restore_history(struct server *srv, const char *replid, long long offset, int stream_db)
{
    struct repl *r = srv->repl;
    repl_history_reset(r, replid, offset);
    r->master_db = stream_db;
    r->is_history_restored = true;
    if (server_is_replica(srv)) {
        log_notice("Restored the replication history %s at offset %lld from the snapshot: "
                   "asking the master to continue it.",
                   replid, offset);
        return;
    }
    /* As Redis 7.0: a master keeps the file's history as its secondary id (replicas that are
     * exactly there continue with PSYNC), and starts a new one at the same offset, since
     * whatever it had after the snapshot is lost (docs/persistence.md#restarts-and-replication). */
    repl_history_shift(r);
    r->stream_db = -1;
    r->no_replicas_since_ms = loop_now_ms(srv->loop);
}

/* CONFIG SET replicaof (or anything else that changed cfg.replicaof) takes effect here. */
static void follow_config(struct server *srv)
{
    struct repl *r = srv->repl;
    /* Not before the start-up load is done: repl_start_from_config starts the link then. */
    if (!r->is_started) return;
    const char *text = srv->cfg.replicaof;
    char host[REPL_HOST_LEN];
    int port;
    bool want = text && text[0] && sscanf(text, "%255s %d", host, &port) == 2;
    if (!want) {
        if (r->link && r->failover.state == FO_NONE) repl_unset_master(srv);
        return;
    }
    if (!r->link || strcmp(repl_link_host(r->link), host) != 0 || repl_link_port(r->link) != port)
        repl_set_master(srv, host, port);
}

void repl_memory(const struct server *srv, size_t *backlog, size_t *buffers)
{
    const struct repl *r = srv->repl;
    *backlog = r->backlog ? backlog_size(r->backlog) : 0;
    *buffers = r->stream_buf.bytes;
}

/* ---- loop hooks ---------------------------------------------------------------------------- */

void repl_cron(struct server *srv)
{
    struct repl *r = srv->repl;
    int64_t now = loop_now_ms(srv->loop);
    follow_config(srv);
    if (r->backlog && backlog_size(r->backlog) != (size_t)srv->cfg.repl_backlog_size)
        backlog_resize(r->backlog, (size_t)srv->cfg.repl_backlog_size); /* CONFIG SET */
    if (r->link) repl_link_cron(r->link, now);
    repl_master_cron(r, now);
    repl_failover_cron(r, now);
}

void repl_before_sleep(struct server *srv)
{
    struct repl *r = srv->repl;
    if (r->has_new_acks) {
        r->has_new_acks = false;
        blocking_recheck_waiters(srv);
    }
    /* A running FAILOVER advances as soon as the ACK or the PSYNC reply it waits for arrives,
     * not on the next cron tick: every tick here is write-pause time for the clients. */
    if (r->failover.state != FO_NONE) repl_failover_cron(r, loop_now_ms(srv->loop));
    repl_master_before_sleep(r);
}

/* ---- INFO replication ---------------------------------------------------------------------- */

static void info_replicas(struct repl *r, struct buf *o, int64_t now)
{
    int i = 0;
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        char ip[NET_IP_STRLEN];
        if (ri->announced_ip[0]) {
            snprintf(ip, sizeof ip, "%s", ri->announced_ip);
        } else {
            int port;
            if (net_peer_addr(ri->client->conn.fd, ip, sizeof ip, &port) != 0)
                snprintf(ip, sizeof ip, "?");
        }
        buf_printf(o, "slave%d:ip=%s,port=%d,state=%s,offset=%lld,lag=%lld\r\n", i++, ip,
                   ri->listening_port, repl_replica_state_name(ri->state), ri->ack_off,
                   (long long)((now - ri->ack_mono_ms) / 1000));
    }
}

/* Ours, after Redis's fields (a parser of the slave<i> lines must not meet new keys there): the
 * age of each replica's last ACK in ms, the figure min-replicas-max-lag-ms compares. */
static void info_ack_ages(const struct repl *r, struct buf *o, int64_t now)
{
    int i = 0;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        buf_printf(o, "vigil_replica%d_ack_age_ms:%lld\r\n", i++,
                   (long long)(now - ri->ack_mono_ms));
}

void repl_info(struct server *srv, struct buf *o)
{
    struct repl *r = srv->repl;
    int64_t now = loop_now_ms(srv->loop);
    buf_printf(o, "# Replication\r\nrole:%s\r\n", r->link ? "slave" : "master");
    if (r->link) {
        repl_link_info(r->link, o);
        buf_printf(o, "slave_priority:%lld\r\nslave_read_only:%d\r\nreplica_announced:%d\r\n",
                   srv->cfg.replica_priority, srv->cfg.replica_read_only ? 1 : 0,
                   srv->cfg.replica_announced ? 1 : 0);
    }
    if (repl_awaiting_role(srv)) buf_printf(o, "repl_awaiting_role:1\r\n");
    buf_printf(o, "connected_slaves:%zu\r\n", r->nreplicas);
    struct repl_fence fence = repl_fence_from_config(&srv->cfg);
    if (repl_fence_is_on(&fence))
        buf_printf(o, "min_slaves_good_slaves:%zu\r\n", repl_count_good(r, now));
    info_replicas(r, o, now);
    buf_printf(o,
               "master_failover_state:%s\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"
               "master_repl_offset:%lld\r\nsecond_repl_offset:%lld\r\nrepl_backlog_active:%d\r\n"
               "repl_backlog_size:%lld\r\nrepl_backlog_first_byte_offset:%lld\r\n"
               "repl_backlog_histlen:%zu\r\n",
               repl_failover_state_name(r), r->replid, r->replid2, r->offset, r->second_offset,
               r->backlog ? 1 : 0, srv->cfg.repl_backlog_size,
               r->backlog ? (long long)backlog_first_byte_offset(r->backlog) : 0,
               r->backlog ? backlog_histlen(r->backlog) : 0);
    info_ack_ages(r, o, now);
}
