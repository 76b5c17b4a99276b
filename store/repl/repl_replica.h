/* repl_replica: the replica's side of replication, a state machine per link to a master
 * (docs/replication.md#handshake-replica-side). The I/O lives in repl_replica.c; the decisions
 * (which reply leads where, which edges exist, how the PSYNC reply and the bulk header read) are
 * pure functions declared here so the unit tests can drive them without sockets.
 *
 *   CONNECT --retry timer--> CONNECTING --connected, PING sent--> RECV_PING
 *      ^                                                              |
 *      |                      AUTH, REPLCONF listening-port, [ip-address], capa sent at once
 *      |                                                              v
 *      |          RECV_AUTH (if masterauth) --> RECV_PORT --> RECV_IP (if announce-ip)
 *      |                                            |                  |
 *      |                                            +------------------+--> RECV_CAPA
 *      |                                                                      | PSYNC sent
 *      |                                                                      v
 *      |                                +----- +FULLRESYNC <replid> <off> -- RECV_PSYNC
 *      |                                v                                     |
 *      |                            TRANSFER -- whole payload --> LOADING     | +CONTINUE [replid]
 *      |                                              | parsed into fresh dbs |
 *      |                                              v                       v
 *      +--- any error, timeout, bad snapshot ---- CONNECTED <-----------------+
 *           or link lost (backoff, then retry)
 *
 * Every state may fall back to CONNECT (with backoff); the old dataset stays untouched until a
 * snapshot has been parsed whole, and is served meanwhile (-LOADING only while parsing).
 * A +FULLRESYNC that repl_fullsync_verdict refuses (an empty or regressed master) also leads
 * back to CONNECT, before any byte of its snapshot is read, and is retried at a slow period.
 * ROLE names: CONNECT "connect", CONNECTING "connecting", RECV_* "handshake", TRANSFER and
 * LOADING "sync", CONNECTED "connected". */
#ifndef VIGIL_REPL_REPLICA_H
#define VIGIL_REPL_REPLICA_H

#include <stdbool.h>
#include <stddef.h>

enum repl_hs_state {
    REPL_ST_CONNECT,
    REPL_ST_CONNECTING,
    REPL_ST_RECV_PING,
    REPL_ST_RECV_AUTH,
    REPL_ST_RECV_PORT,
    REPL_ST_RECV_IP,
    REPL_ST_RECV_CAPA,
    REPL_ST_RECV_PSYNC,
    REPL_ST_TRANSFER,
    REPL_ST_LOADING,
    REPL_ST_CONNECTED,
    REPL_ST_COUNT
};

/* What the handshake sends, which decides the replies it then waits for. */
struct repl_hs_opts {
    bool has_auth; /* masterauth configured: AUTH was sent */
    bool has_ip;   /* replica-announce-ip configured: REPLCONF ip-address was sent */
};

const char *repl_hs_state_name(enum repl_hs_state s);
/* The ROLE command's word for the state. */
const char *repl_hs_role_name(enum repl_hs_state s);
/* True if the machine may go from `from` to `to`. */
bool repl_hs_edge_ok(enum repl_hs_state from, enum repl_hs_state to);
/* The state after the reply `line` (without its line ending) arrives in state s, which must be
 * one of the RECV_* states. Failures return REPL_ST_CONNECT. */
enum repl_hs_state repl_hs_after_reply(enum repl_hs_state s, const char *line, size_t len,
                                       const struct repl_hs_opts *o);
/* "+FULLRESYNC <40-char replid> <offset>": 0 with replid (41 bytes, NUL-terminated) and offset
 * set, or -1. */
int repl_parse_fullresync(const char *line, size_t len, char *replid, long long *offset);
/* "+CONTINUE" or "+CONTINUE <40-char replid>": 0 (replid[0] == '\0' when absent), or -1. */
int repl_parse_continue(const char *line, size_t len, char *replid);
/* The snapshot's header line "$<len>" or "$EOF:<40 bytes>": 0 with *size (-1 for EOF framing)
 * and mark (41 bytes, NUL-terminated, EOF framing only), or -1 for anything else. */
int repl_parse_bulk_header(const char *line, size_t len, long long *size, char *mark);

/* What a replica knows when its master answers +FULLRESYNC: enough to decide whether following
 * it would throw data away (docs/replication.md#regressed-master-guard). All borrowed. */
struct repl_fullsync_facts {
    bool has_history;          /* our replid/offset describe our data */
    bool holds_data;           /* at least one key in some database */
    bool is_explicit;          /* REPLICAOF (or CONFIG SET replicaof) since the last sync: once */
    bool accept_regressed;     /* replica-accept-regressed-master yes (Redis's behaviour) */
    const char *replid;        /* ours */
    const char *replid2;       /* ours */
    long long offset;          /* ours (master_repl_offset) */
    const char *master_replid; /* from +FULLRESYNC */
    long long master_offset;   /* from +FULLRESYNC */
};

enum repl_fullsync_verdict {
    REPL_FULLSYNC_ACCEPT,
    REPL_FULLSYNC_REFUSE_REGRESSED, /* a new history that is behind ours: an empty or
                                     * regressed master; keep our data and wait */
};

/* The one rule: refuse a full sync from a master whose history is neither ours (replid nor
 * replid2) and whose offset is not past ours (lower or equal), while we hold data, unless an
 * operator asked for this master explicitly or the setting allows it. */
enum repl_fullsync_verdict repl_fullsync_verdict(const struct repl_fullsync_facts *f);
/* The INFO/log word for a verdict ("regressed-master"), "" for ACCEPT. */
const char *repl_fullsync_verdict_name(enum repl_fullsync_verdict v);

#endif
