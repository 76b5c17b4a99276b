/* repl_int: replication internals shared by the repl*.c files and cmd_repl.c, and by nothing
 * else (other modules use repl.h).
 *
 * One `struct repl` per server holds both roles' state, because a node can be both at once (a
 * replica with sub-replicas) and switches role at run time:
 *
 *   history     replid, replid2, second_offset, offset (master_repl_offset), the backlog and
 *               the shared buffer replicas read from (repl_buf.h). On a master the history grows
 *               by repl_sink_feed(); on a replica by the master's bytes, verbatim, as they are
 *               applied.
 *   master      the registry of attached replicas (repl_master.c) and the snapshot child.
 *   replica     the link to our master (repl_replica.c): handshake, transfer, the applied stream.
 *   failover    the FAILOVER command's state machine (repl_failover.c).
 *
 * Invariants: offset == backlog's repl_offset when a backlog exists;
 * stream_buf.next_off == offset + 1; every client flagged CLIENT_REPLICA has a registered
 * replica_info (replicas list); a client that only sent REPLCONF has a pending one (pending
 * list, swept once its client is gone);
 * `master` is the client flagged CLIENT_MASTER, or NULL; `link` is non-NULL iff we are a
 * replica (cfg.replicaof names the same host and port). */
#ifndef VIGIL_REPL_INT_H
#define VIGIL_REPL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/net.h"
#include "store/repl/repl.h"
#include "store/repl/repl_buf.h"
#include "store/server.h"

#define REPL_ID_LEN RUN_ID_LEN
#define REPL_EOF_MARK_LEN 40
#define REPL_HOST_LEN 256

/* ---- master side ------------------------------------------------------------------------- */

/* A registered replica as the master sees it (the replica runs repl_replica.h's machine). Any
 * failure closes its client, which unregisters it; only repl_master.c and repl_snapshot.c move it.
 *
 *   PSYNC needing a full sync, or SYNC                       PSYNC that can continue:
 *        |                                                   +CONTINUE, then the backlog
 *        v                                                   from its offset
 *   WAIT_BGSAVE_START -- disk snapshot forked, --> WAIT_BGSAVE_END      |
 *        |               or a running one joined        |               |
 *        | diskless snapshot forked: $EOF:<mark>        | file written: |
 *        v                                              v $<size>       |
 *   SEND_BULK <-----------------------------------------+               |
 *        | file sent (sendfile), or the pipe's EOF and <mark> sent      |
 *        v (then the stream waits for the replica's first ACK)          v
 *   ONLINE <------------------------------------------------------------+
 */
enum replica_state {
    RS_WAIT_BGSAVE_START, /* full sync wanted, no snapshot started for it yet */
    RS_WAIT_BGSAVE_END,   /* +FULLRESYNC sent, its (disk) snapshot is being produced */
    RS_SEND_BULK,         /* the snapshot is being sent */
    RS_ONLINE,            /* streaming */
};

enum bulk_source { BULK_NONE, BULK_FILE, BULK_PIPE };

struct replica_info {
    struct client *client;
    struct replica_info *prev, *next;
    enum replica_state state;
    int listening_port;
    char announced_ip[NET_IP_STRLEN];
    bool capa_eof, capa_psync2;
    bool is_old_sync;    /* SYNC, not PSYNC: no +FULLRESYNC line, disk snapshot */
    long long ack_off;   /* highest REPLCONF ACK offset */
    long long fack_off;  /* highest REPLCONF ACK ... FACK offset: fsynced to its AOF */
    int64_t ack_mono_ms; /* when the last ACK arrived (monotonic) */
    int64_t wait_since_ms;
    struct buf out; /* bytes owed before the bulk and the stream (replies, headers, marks) */
    enum bulk_source bulk;
    int bulk_fd; /* BULK_FILE: the snapshot file (own descriptor) */
    off_t bulk_off, bulk_size;
    size_t chunk_pos;     /* BULK_PIPE: bytes of the snapshot's current chunk already sent */
    bool stream_on;       /* stream_off is a live read position in the shared buffer */
    bool stream_hold;     /* diskless: the stream starts on the replica's first ACK */
    long long stream_off; /* next stream byte to send */
    bool is_watching_writable;
    int64_t obuf_soft_since_ms;
    bool is_pending;    /* created by REPLCONF, not yet registered by PSYNC/SYNC */
    uint64_t client_id; /* to tell a live pending client from a freed one */
};

/* A snapshot child at work (at most one at a time). */
struct repl_snapshot {
    pid_t pid;
    bool is_diskless;
    int pipe_fd;      /* read end: the RDB bytes (diskless) or just EOF at exit (disk) */
    long long offset; /* master_repl_offset the snapshot corresponds to */
    char path[64];    /* disk: temp file name in dir */
    char *chunk;      /* diskless: the bytes read from the pipe, being relayed */
    size_t chunk_len;
    bool is_ok, is_reaped;
    char mark[REPL_EOF_MARK_LEN + 1];
    int64_t start_mono_ms;
};

/* ---- FAILOVER (repl_failover.c) ------------------------------------------------------------ */

enum failover_state { FO_NONE, FO_WAIT_SYNC, FO_IN_PROGRESS };

struct repl_failover {
    enum failover_state state;
    char host[REPL_HOST_LEN]; /* target, empty: any replica that catches up */
    int port;
    bool is_force;
    int64_t deadline_mono_ms; /* 0: no timeout */
};

/* ---- the whole thing ---------------------------------------------------------------------- */

struct repl_link; /* repl_replica.c */

struct repl {
    struct server *srv;
    char replid[REPL_ID_LEN + 1];
    char replid2[REPL_ID_LEN + 1];
    long long offset;
    long long second_offset;
    struct backlog *backlog;
    int stream_db; /* db of the last SELECT in the stream; -1: emit one next */
    struct repl_buf stream_buf;
    /* master side */
    struct replica_info *replicas;
    size_t nreplicas;
    struct replica_info *pending; /* REPLCONF seen, no PSYNC yet */
    struct repl_snapshot *snapshot;
    int64_t last_ping_ms, last_newline_ms, no_replicas_since_ms;
    bool is_getack_wanted;     /* a WAIT is blocked: send REPLCONF GETACK before sleeping */
    bool has_new_acks;         /* an ACK arrived: re-check WAITers before sleeping */
    bool is_ack_after_command; /* replica: GETACK applied, send ACK once it is counted */
    /* replica side */
    struct repl_link *link;   /* non-NULL while we are a replica */
    struct client *master;    /* the applied stream, when the link is up */
    bool has_history;         /* replid/offset describe our data: PSYNC may continue them */
    bool is_history_restored; /* replid/offset came from the snapshot loaded at start */
    bool is_started; /* repl_start_from_config ran: cfg.replicaof is followed from then on */
    int master_db;   /* db the master's stream had selected when the link dropped */
    struct buf multi_pending; /* master bytes of a MULTI not yet closed by EXEC */
    struct repl_failover failover;
    /* Started empty while cfg.repl_group_member says we belonged to a group: writes wait for
     * REPLICAOF / REPLICAOF NO ONE (repl_awaiting_role). */
    bool is_awaiting_role;
};

static inline struct repl *repl_of(const struct server *srv) { return srv->repl; }

/* repl.c: the history. */
void repl_stream_append(struct repl *r, const char *p, size_t n);
/* The stream moved to a new history: offset and buffers restart at `offset`. */
void repl_history_reset(struct repl *r, const char *replid, long long offset);
/* Promotion: replid -> replid2 (valid up to offset + 1), new random replid. */
void repl_history_shift(struct repl *r);
void repl_backlog_ensure(struct repl *r);
long long repl_min_reader_offset(const struct repl *r);

/* repl_master.c */
void repl_master_cron(struct repl *r, int64_t now_ms);
void repl_master_before_sleep(struct repl *r);
/* The replica record of client c, created (pending) on first use by REPLCONF. */
struct replica_info *repl_replica_info(struct client *c);
struct replica_info *repl_replica_attach(struct repl *r, struct client *c);
void repl_replica_detach(struct repl *r, struct client *c);
void repl_replica_drop_all(struct repl *r, const char *why);
void repl_replica_on_ack(struct repl *r, struct replica_info *ri, long long off);
/* Write what the replica is owed now; arms/disarms its writable event. */
void repl_replica_flush(struct repl *r, struct replica_info *ri);
/* PSYNC / SYNC for client c (argv as received). Replies and starts whatever sync is needed. */
void repl_master_sync_command(struct client *c);
size_t repl_count_acked(const struct repl *r, long long off);
/* Replicas whose AOF is fsynced up to off (their FACK, WAITAOF). */
size_t repl_count_facked(const struct repl *r, long long off);

/* cmd_repl.c: what WAIT and WAITAOF share. Parse a timeout argument in ms (Redis's errors;
 * 0 or -1, the error already sent). Then reply at once through `reply` when `is_satisfied` or
 * inside EXEC, else block until satisfied or the timeout (0: none); `want_getack` asks the
 * replicas for one ACK before the loop sleeps. */
struct client;
struct resp_arg;
int repl_wait_parse_timeout(struct client *c, const struct resp_arg *arg, long long *timeout_ms);
void repl_wait_or_block(struct client *c, bool is_satisfied, long long timeout_ms, bool want_getack,
                        void (*reply)(struct client *c));
size_t repl_count_good(const struct repl *r, int64_t now_ms);
const char *repl_replica_state_name(enum replica_state s);
void repl_master_send_all(struct repl *r);

/* repl_snapshot.c */
void repl_snapshot_maybe_start(struct repl *r, int64_t now_ms);
/* Join a disk snapshot already being produced: 0, or -1 if there is none to join. */
int repl_snapshot_attach(struct repl *r, struct replica_info *ri);
int repl_snapshot_send_chunk(struct repl *r, struct replica_info *ri);
void repl_snapshot_replica_gone(struct repl *r);
void repl_snapshot_kill(struct repl *r);

/* repl_replica.c (the rest of the link API is in repl_link.h) */
struct repl_link *repl_link_create(struct repl *r, const char *host, int port);
void repl_link_destroy(struct repl_link *l);
void repl_link_cron(struct repl_link *l, int64_t now_ms);
void repl_link_master_gone(struct repl_link *l);
const char *repl_link_role_state(const struct repl_link *l);
bool repl_link_is_up(const struct repl_link *l);
const char *repl_link_host(const struct repl_link *l);
int repl_link_port(const struct repl_link *l);
void repl_link_info(const struct repl_link *l, struct buf *out);
void repl_link_send_ack(struct repl *r);
/* An operator named this master again: the next full sync is accepted even from an empty or
 * regressed master (repl_fullsync_verdict). Cleared once the link is up. */
void repl_link_accept_next_fullsync(struct repl_link *l);
/* The demoted master's side of FAILOVER: our PSYNC carries the FAILOVER option. */
void repl_link_set_failover(struct repl_link *l, bool is_failover);

/* repl_failover.c */
int repl_failover_start(struct repl *r, const char *host, int port, bool is_force,
                        long long timeout_ms);
void repl_failover_cron(struct repl *r, int64_t now_ms);
void repl_failover_abort(struct repl *r, const char *why);
const char *repl_failover_state_name(const struct repl *r);
struct replica_info *repl_find_replica(struct repl *r, const char *host, int port);

/* repl.c: role changes. repl_set_master returns 1 if already replicating from host:port. */
int repl_set_master(struct server *srv, const char *host, int port);
void repl_unset_master(struct server *srv);
/* No key in any database. */
bool repl_dataset_is_empty(const struct server *srv);
/* REPLICAOF NO ONE on a store that waits for its role: it becomes a writable master. */
void repl_end_awaiting_role(struct server *srv, const char *why);
/* A replica attached or we follow a master: remember group membership in the overrides. */
void repl_mark_group_member(struct server *srv);

#endif
