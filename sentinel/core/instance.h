/* instance: the sentinel's data model (docs/sentinel-protocol.md#data-model): monitored masters,
 * their replicas and the peer sentinels that watch them, one `struct instance` each, plus the
 * per-master failover record.
 *
 * Invariants:
 * - every instance has a unique, never reused `id` (the shell's handle for its links);
 * - a replica or a sentinel belongs to exactly one master (`master`), and is listed in that
 *   master's `replicas` / `sentinels` array; a master has `record != NULL`, the others `record ==
 * NULL`;
 * - replicas are keyed by "ip:port" (name), sentinels by run id (name) within one master;
 * - tables are bounded (INSTANCE_MAX_REPLICAS, INSTANCE_MAX_SENTINELS); discovery beyond the
 *   bound is ignored with a log line, never an unbounded allocation.
 * This module only creates, finds, formats and frees records. It makes no decisions and sends
 * nothing; sentinel.c and failover.c change the fields.
 */
#ifndef VIGIL_SENTINEL_INSTANCE_H
#define VIGIL_SENTINEL_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentinel/core/state.h"

#define INSTANCE_MAX_REPLICAS 128
#define INSTANCE_MAX_SENTINELS 64
#define INSTANCE_HOST_MAX 255
#define INSTANCE_NAME_MAX 255

enum instance_kind { INSTANCE_MASTER = 1, INSTANCE_REPLICA = 2, INSTANCE_SENTINEL = 3 };

/* Flags, in the order the wire lists them (docs/sentinel-protocol.md#data-model).
 * master/slave/sentinel and disconnected are derived from the kind and the link when formatting,
 * never stored. */
enum {
    SRI_S_DOWN = 1u << 0,
    SRI_O_DOWN = 1u << 1,
    SRI_MASTER_DOWN = 1u << 2,
    SRI_FAILOVER_IN_PROGRESS = 1u << 3,
    SRI_PROMOTED = 1u << 4,
    SRI_RECONF_SENT = 1u << 5,
    SRI_RECONF_INPROG = 1u << 6,
    SRI_RECONF_DONE = 1u << 7,
    SRI_FORCE_FAILOVER = 1u << 8,
    SRI_SCRIPT_KILL_SENT = 1u << 9,
    SRI_MASTER_REBOOT = 1u << 10,
};

enum instance_role { ROLE_UNKNOWN = 0, ROLE_MASTER = 1, ROLE_SLAVE = 2 };

/* Failover states (docs/sentinel-protocol.md#failover); the numbers are the wire order. */
enum failover_state {
    FAILOVER_NONE = 0,
    FAILOVER_WAIT_START,
    FAILOVER_SELECT_SLAVE,
    FAILOVER_SEND_SLAVEOF_NOONE,
    FAILOVER_WAIT_PROMOTION,
    FAILOVER_RECONF_SLAVES,
    FAILOVER_UPDATE_CONFIG,
};

/* The core's view of the two connections the shell keeps for an instance. */
#define INSTANCE_LINK_ERROR_MAX 127

struct instance_link {
    bool is_cmd_connected, is_pubsub_connected;
    bool is_cmd_connecting, is_pubsub_connecting; /* connect() issued, outcome not yet reported */
    int64_t cmd_connected_ms, pubsub_connected_ms;
    int64_t pubsub_last_activity_ms;
    int64_t last_reconnect_ms;
    int pending_commands; /* sent on the command link minus replies received; reset on down */
    char local_ip[INSTANCE_HOST_MAX + 1];
    /* Why the node refuses us (its NOAUTH/WRONGPASS/NOPERM error text), "" when it does not:
     * shown in /v1 and plan, since the flags only say "disconnected". */
    char refused[INSTANCE_LINK_ERROR_MAX + 1];
};

struct instance;

/* A lossless switchover in progress (switchover.h). Only control.c (the request),
 * switchover.c and failover_clear() write it; `is_active` is set before the attempt starts and
 * cleared with the failover record. */
struct switchover_record {
    bool is_active;
    char to_host[INSTANCE_HOST_MAX + 1]; /* requested target, "" = best eligible replica */
    int to_port;
    int64_t timeout_ms;   /* the node's FAILOVER TIMEOUT: the longest write pause */
    int64_t sent_ms;      /* FAILOVER TO sent, 0 = not yet */
    bool is_accepted;     /* the node answered +OK */
    bool is_refused;      /* the node answered an error */
    bool saw_master_info; /* a master INFO was read after the +OK (so it reflects FAILOVER) */
    bool is_abort_sent;   /* FAILOVER ABORT sent */
    char refused_reason[128];
};

/* The pre-failover hook's answer for the current attempt (failover.c, control.c):
 *   NONE --entering SEND_SLAVEOF_NOONE with a hook--> PENDING --the hook answers--> APPROVED
 *                                                                                 or REJECTED
 *   failover_clear() (attempt over) brings any state back to NONE; a PENDING older than
 *   failover-timeout aborts the attempt (-failover-abort-veto-timeout). */
enum veto_state { VETO_NONE = 0, VETO_PENDING, VETO_APPROVED, VETO_REJECTED };

/* A configuration update (newer config epoch, different address) announced by a trusted peer,
 * accepted only once the new address answers INFO as a master of this group (discovery.c). */
struct config_update {
    bool is_pending;
    char host[INSTANCE_HOST_MAX + 1];
    int port;
    uint64_t config_epoch;
    char from[SENTINEL_RUNID_LEN + 1]; /* the peer's run id */
    int64_t since_ms;                  /* when it was announced; INFO must be newer */
    int64_t info_at_request_ms;        /* the candidate's info_refresh_ms when INFO was asked */
    bool is_direct;                    /* also sent to our own port, not only heard on a node */
};

/* Master lease renewals sent to one data node (lease.c; docs/sentinel-protocol.md#master-lease):
 * the master, or the replica our own failover promoted. */
struct instance_lease {
    int64_t anchor_ms; /* the node's monotonic clock from its last reply on this link, 0 none */
    int64_t anchor_recv_ms; /* when that reply came (our clock) */
    int64_t until_ms;   /* our clock: every lease we sent ends before this (anchor_recv + lease) */
    int64_t sent_ms;    /* renewal in flight since (our clock), 0 none */
    int64_t renewed_ms; /* when the last renewal was sent */
    int64_t reply_ms;   /* when the last reply came, 0 never */
    uint64_t sent_epoch;
    bool is_unsupported; /* answered "unknown command": not a vigil-store (Redis) */
    int64_t unsupported_ms;
    /* the node's view in its last reply */
    long long valid, needed;
    bool is_fenced;
    bool is_enforced;            /* the node runs with master-lease yes */
    unsigned long long renewals; /* replies that granted a lease */
};

struct master_record {
    struct sentinel_master_params params;
    uint64_t config_epoch;
    char leader[SENTINEL_RUNID_LEN + 1]; /* our vote for this master, "" = none */
    uint64_t leader_epoch;
    enum failover_state failover_state;
    uint64_t failover_epoch;
    int64_t failover_state_change_ms;
    int64_t failover_start_ms;
    int64_t failover_not_before_ms; /* no new attempt of our own before this time */
    /* Our attempt in failover_epoch sent its promotion (REPLICAOF NO ONE, or FAILOVER TO in a
     * switchover): from then on, an abort cannot release the votes it received. */
    bool is_promotion_sent;
    /* The leader we voted for in leader_epoch said its attempt ended before any promotion
     * (SENTINEL VOTE-RELEASE): our vote no longer holds lease renewals back (lease.c). */
    uint64_t released_epoch;
    int64_t failover_pending_ms; /* ODOWN seen: start an attempt at this time (jitter), 0 none */
    int lost_rounds;             /* consecutive attempts lost to a split vote or silence */
    int64_t select_info_ms;      /* SELECT_SLAVE: when the fresh INFO round was sent, 0 none */
    bool is_quorum_wait_logged;  /* SELECT_SLAVE: waiting for promotion-quorum was logged */
    struct instance *promoted;
    struct switchover_record switchover;
    enum veto_state veto;
    int64_t veto_asked_ms;
    char veto_why[160];     /* the pre-failover hook's answer when it vetoed */
    char abort_reason[400]; /* why the last attempt aborted, in words (failover_note_abort) */
    int64_t reboot_ms;
    struct config_update update; /* a peer's new address for this master, being verified */
    /* The newest config epoch above ours that any hello announced for this master, trusted or
     * not, and when (discovery.c): while recent, our view is stale and tick.c reconfigures no
     * node (docs/sentinel-protocol.md#info-reactions). */
    uint64_t heard_config_epoch;
    int64_t heard_config_ms;
    int64_t update_rejected_log_ms;
    /* Restarted (new run id) with an offset behind its best replica's: an empty or regressed
     * master, SDOWN at once (monitor_sdown_condition) until a failover replaces it or its
     * offset is no longer behind. The offsets are the ones that decided it. */
    bool is_regressed;
    /* The node this record named before the last address switch, and until when a lease we
     * sent it may be valid: the new node is not renewed before (lease.c). */
    int64_t lease_prev_until_ms, lease_switch_ms;
    char lease_prev_host[INSTANCE_HOST_MAX + 1];
    int lease_prev_port;
    /* A sentinel restarted from its state file may have sent leases just before: it renews
     * nothing for a lease length after its start (lease.c). 0 = not decided yet. */
    int64_t lease_boot_hold_until_ms;
    long long regressed_master_offset, regressed_replica_offset;
    int64_t regress_check_from_ms, regress_check_until_ms; /* after its last restart */
    /* The master replaced by the last address switch, watched until it answers INFO again so
     * that the bytes of its stream the new master never had are estimated (observe.c,
     * docs/sentinel-protocol.md#dropped-bytes). */
    struct old_master_watch {
        bool is_active, is_seen;
        char host[INSTANCE_HOST_MAX + 1];
        int port;
        uint64_t epoch;   /* the config epoch of the switch */
        long long offset; /* its highest offset in its own history, -1 = never known */
        char replid[SENTINEL_RUNID_LEN + 1]; /* that history */
    } old_master;
    size_t n_replicas;
    struct instance *replicas[INSTANCE_MAX_REPLICAS];
    size_t n_sentinels;
    struct instance *sentinels[INSTANCE_MAX_SENTINELS];
};

struct instance {
    uint64_t id;
    enum instance_kind kind;
    uint32_t flags;
    char *name; /* master name; "ip:port" for replicas; run id for sentinels */
    char *host; /* as configured or learned: an IP address or (resolve-hostnames) a name */
    char *ip;   /* host's numeric address (== host for an address); the announced form when
                 * announce-hostnames is off, as Redis */
    int port;
    char runid[SENTINEL_RUNID_LEN + 1]; /* "" = unknown */
    struct instance *master;            /* owning master; NULL for a master */
    struct master_record *record;       /* masters only */
    struct instance_link link;

    int64_t created_ms;
    int64_t last_ping_ms;  /* last PING sent */
    int64_t act_ping_ms;   /* oldest unanswered PING, 0 = none */
    int64_t last_avail_ms; /* last valid PING reply */
    int64_t last_pong_ms;  /* last reply of any kind */
    int64_t last_pub_ms;   /* last successful hello publish */
    int64_t pub_sent_ms;   /* hello publish in flight since, 0 = none */
    int64_t rtt_ms;        /* smoothed PING round trip, 0 = not measured */
    int64_t info_refresh_ms;
    int64_t info_sent_ms;    /* INFO in flight since, 0 = none */
    int64_t info_reacted_ms; /* info_refresh_ms of the last INFO the tick reacted to */
    /* Faster INFO for a while (monitor_info_interval_ms): a master whose replica set is being
     * discovered, a replica an HTTP health check wants fresh (fresh_info_period_ms). */
    int64_t discovery_until_ms;
    int64_t fresh_info_until_ms;
    int64_t fresh_info_period_ms;
    char *info; /* cached INFO text (NUL-terminated), NULL = never */
    size_t info_len;
    enum instance_role role_reported;
    int64_t role_reported_ms;
    int64_t s_down_since_ms;
    int64_t o_down_since_ms;

    /* replicas */
    int64_t master_link_down_ms;
    int slave_priority;
    bool replica_announced;
    char *slave_master_host;
    int slave_master_port;
    bool slave_master_link_up;
    long long slave_repl_offset;
    int64_t slave_conf_change_ms;
    int64_t slave_reconf_sent_ms;
    bool demote_at_once; /* the old master of a failover of a live master: SLAVEOF on sight */
    /* masters and replicas: what ACL DRYRUN said of our user (acl_probe.h), bit i of
     * acl_probe_labels; acl_unverified: the node's error when it could not say */
    uint32_t acl_missing, acl_logged; /* acl_logged: the set the log last named */
    char acl_unverified[128];

    /* masters and replicas: from the last INFO (0 / INFO_FO_UNKNOWN / "" when absent) */
    long long master_repl_offset;
    char replid[SENTINEL_RUNID_LEN + 1];  /* master_replid */
    char replid2[SENTINEL_RUNID_LEN + 1]; /* master_replid2 */
    int node_failover_state;              /* enum info_failover_state */
    bool info_loading;                    /* loading:1, still reading its data at start-up */
    long long second_repl_offset;         /* where its stream took over (promoted), <= 0 none */

    /* sentinels */
    int64_t last_hello_ms;
    int64_t last_master_down_reply_ms;
    int64_t last_ask_ms;
    char leader[SENTINEL_RUNID_LEN + 1];
    uint64_t leader_epoch;
    uint64_t pause_sent_epoch; /* pause state last pushed to this peer (pause.c) */
    uint64_t pause_ack_epoch;  /* ... and the one it acknowledged */

    struct instance_lease lease; /* masters and promoted replicas */
};

/* Create records. `id` comes from the caller's counter; strings are copied; now_ms stamps the
 * creation (a never-answering instance goes down after down-after from here). */
struct instance *instance_create_master(uint64_t id, const char *name, const char *host, int port,
                                        const struct sentinel_master_params *params,
                                        int64_t now_ms);
/* Adds to master's table; returns NULL when the table is full. */
struct instance *instance_add_replica(struct instance *master, uint64_t id, const char *host,
                                      int port, int64_t now_ms);
struct instance *instance_add_sentinel(struct instance *master, uint64_t id, const char *host,
                                       int port, const char *runid, int64_t now_ms);
/* Unlink from its master's table (if any) and free. Masters free their replicas and sentinels. */
void instance_free(struct instance *ri);
void instance_remove_replica(struct instance *master, struct instance *ri);
void instance_remove_sentinel(struct instance *master, struct instance *ri);

struct instance *instance_find_replica(const struct instance *master, const char *host, int port);
struct instance *instance_find_sentinel_by_runid(const struct instance *master, const char *runid);
struct instance *instance_find_sentinel_by_addr(const struct instance *master, const char *host,
                                                int port);

/* Sets host and port; ip becomes host until the caller learns a resolved address. */
void instance_set_address(struct instance *ri, const char *host, int port);
void instance_set_ip(struct instance *ri, const char *ip);
/* Whether host:port names ri, by its host name or by its address (peers may announce either). */
bool instance_addr_is(const struct instance *ri, const char *host, int port);
/* The host to show clients and peers: the name when announce_hostnames, else the address. */
const char *instance_announced_host(const struct instance *ri, bool announce_hostnames);
void instance_set_info(struct instance *ri, const char *text, size_t len);

/* "disconnected": the command link is down, or (masters and replicas) the pub/sub link. */
bool instance_is_disconnected(const struct instance *ri);
/* Comma-joined flag words in wire order into buf (always NUL-terminated). */
size_t instance_flags_format(const struct instance *ri, char *buf, size_t cap);
/* The instance identifier that starts event messages (docs/sentinel-protocol.md#events) into buf.
 */
size_t instance_describe_id(const struct instance *ri, bool announce_hostnames, char *buf,
                            size_t cap);
/* "ip:port", IPv6 bracketed. */
size_t instance_addr_key(char *buf, size_t cap, const char *host, int port);
/* The node that is the group's master now: the promoted replica once a failover reached
 * RECONF_SLAVES (its configuration has won), else the master record itself. */
static inline const struct instance *instance_current_master(const struct instance *master)
{
    const struct master_record *record = master->record;
    return record->promoted && record->failover_state >= FAILOVER_RECONF_SLAVES ? record->promoted
                                                                                : master;
}
/* Whether a master_replid/master_replid2 names a history: Redis shows none as 40 zeros. */
bool instance_has_replid(const char *id);
const char *instance_failover_state_name(enum failover_state st);
const char *instance_role_name(enum instance_role r);

#endif
