/* state: what a sentinel learns and must keep across restarts, as one plain struct.
 *
 * The core builds a `struct sentinel_state` snapshot whenever something durable changed (own id,
 * current epoch, a vote, a config epoch, the current master address, a new replica or peer,
 * MONITOR/REMOVE/SET) and hands it to env->persist() before it continues. A restarted sentinel is
 * created from the last persisted snapshot (sentinel_create's `initial`), so it never votes twice
 * in one epoch and never moves an epoch backwards. The JSON codec lives in the I/O shell
 * (state_file*.c); state.c holds the deep-copy/free helpers, the snapshot and the persisting.
 *
 * Ownership: every pointer inside is owned by the struct; sentinel_state_free releases all.
 */
#ifndef VIGIL_SENTINEL_STATE_H
#define VIGIL_SENTINEL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SENTINEL_RUNID_LEN 40

struct sentinel_rename {
    char *from; /* canonical command name, upper case as sent: "SLAVEOF", "CONFIG", ... */
    char *to;
};

/* Which replica a failover promotes among the eligible ones
 * (docs/sentinel-protocol.md#replica-selection). Offset first is ours and the default: a write
 * acknowledged by WAIT on some replica survives whatever the priorities say; priority first is
 * Redis's order. */
enum sentinel_promotion_order {
    PROMOTION_OFFSET_FIRST = 0, /* highest offset, then lowest priority, then run id */
    PROMOTION_PRIORITY_FIRST,   /* lowest priority, then highest offset, then run id */
};
/* "offset-first" / "priority-first"; parse returns -1 for anything else. */
const char *sentinel_promotion_order_name(enum sentinel_promotion_order order);
int sentinel_promotion_order_parse(const char *name);

/* promotion-quorum (docs/sentinel-protocol.md#promotion-quorum): how many replicas must have
 * reported a fresh offset before a failover promotes. A number k >= 1 protects writes
 * acknowledged by WAIT k (R - k + 1 fresh offsets of the R known replicas); majority (the
 * default) protects WAIT floor((R + 1) / 2), a write held by a majority of the data nodes; off
 * is Redis's behaviour (promote whatever answers). */
#define PROMOTION_QUORUM_MAJORITY (-1)
#define PROMOTION_QUORUM_OFF 0
#define PROMOTION_QUORUM_MAX 128
#define PROMOTION_QUORUM_NAME_MAX 16
/* "majority", "off" or the number into buf (cap >= PROMOTION_QUORUM_NAME_MAX); returns buf. */
const char *sentinel_promotion_quorum_name(int quorum, char *buf, size_t cap);
/* "majority" / "off" / 1..PROMOTION_QUORUM_MAX (case-insensitive); 0 and *out, or -1. */
int sentinel_promotion_quorum_parse(const char *text, int *out);
/* Fresh offsets needed among n_replicas known replicas (0 = none needed: off, or no replica). */
int sentinel_promotion_quorum_needed(int quorum, size_t n_replicas);

/* forget-after (docs/sentinel-protocol.md#forgetting): replicas and peer sentinels unseen this
 * long are dropped from the view; 0 = never. */
#define SENTINEL_FORGET_AFTER_DEFAULT_MS 3600000LL
#define SENTINEL_FORGET_AFTER_MAX_MS 2592000000LL /* 30 days */
#define SENTINEL_LEASE_MARGIN_MAX_MS 3600000LL    /* 1 h; 0 = max(down-after / 5, 50 ms) */
/* What SENTINEL GET-MASTER-ADDR-BY-NAME answers from a sentinel cut off from the majority of its
 * peers (docs/sentinel-protocol.md#isolated-sentinel). Refuse is ours and the default: an error
 * makes every Sentinel client ask the next sentinel; answer is Redis's behaviour. */
enum sentinel_isolated_discovery {
    ISOLATED_DISCOVERY_REFUSE = 0,
    ISOLATED_DISCOVERY_ANSWER,
};
/* "refuse" / "answer"; parse returns -1 for anything else. */
const char *sentinel_isolated_discovery_name(enum sentinel_isolated_discovery v);
int sentinel_isolated_discovery_parse(const char *name);

/* Default of election-spread: the least range over which a sentinel randomizes the start of a
 * failover attempt (docs/sentinel-protocol.md#leader-election). */
#define SENTINEL_ELECTION_SPREAD_DEFAULT_MS 100
#define SENTINEL_ELECTION_SPREAD_MIN_MS 1
#define SENTINEL_ELECTION_SPREAD_MAX_MS 60000

/* Per-master settings: config file values, changed at run time by SENTINEL SET. */
struct sentinel_master_params {
    int quorum;
    int64_t down_after_ms;
    int64_t failover_timeout_ms;
    int parallel_syncs;
    int64_t master_reboot_down_after_period_ms; /* 0 = feature off */
    char *auth_pass;                            /* NULL when unset */
    char *auth_user;
    char *notification_script;
    char *client_reconfig_script;
    size_t n_renames;
    struct sentinel_rename *renames;
    /* Maintenance mode (SENTINEL SET <name> failover-paused yes, HTTP /pause): monitor and
     * report, never start an automatic failover. Manual ones (forced, switchover) still run. */
    bool failover_paused;
    uint64_t failover_pause_epoch; /* order of pause/resume actions (pause.c); 0 = never */
    /* Ours (issue #18): the least range of the random delay before a failover attempt, and
     * the order in which eligible replicas are ranked for promotion. */
    int64_t election_spread_ms;
    enum sentinel_promotion_order promotion_order;
    int promotion_quorum;    /* PROMOTION_QUORUM_MAJORITY, _OFF or a number k of WAIT k */
    int64_t forget_after_ms; /* 0 = never forget */
    int64_t lease_margin_ms; /* 0 = max(down-after / 5, 50 ms) (docs/sentinel-protocol.md) */
    enum sentinel_isolated_discovery discovery_when_isolated;
};

struct sentinel_state_addr {
    char *host;
    int port;
    char runid[SENTINEL_RUNID_LEN + 1]; /* sentinels only; "" for replicas */
};

struct sentinel_state_master {
    char *name;
    char *host; /* the current master address */
    int port;
    struct sentinel_master_params params;
    uint64_t config_epoch;
    char leader[SENTINEL_RUNID_LEN + 1]; /* this sentinel's vote; "" = none */
    uint64_t leader_epoch;
    size_t n_replicas;
    struct sentinel_state_addr *replicas;
    size_t n_sentinels;
    struct sentinel_state_addr *sentinels;
};

struct sentinel_state {
    char myid[SENTINEL_RUNID_LEN + 1]; /* "" = generate one at creation */
    uint64_t current_epoch;
    size_t n_masters;
    struct sentinel_state_master *masters;
};

void sentinel_state_free(struct sentinel_state *st);
/* Deep copy of src into *dst (dst is overwritten, not freed first). */
void sentinel_state_copy(struct sentinel_state *dst, const struct sentinel_state *src);
/* Deep copy of params. */
void sentinel_params_copy(struct sentinel_master_params *dst,
                          const struct sentinel_master_params *src);
void sentinel_params_free(struct sentinel_master_params *params);
/* Redis's defaults for a new master: quorum as given, down-after 30 s, failover-timeout 180 s,
 * parallel-syncs 1, no scripts, no auth; ours: election-spread 100 ms, promotion by offset,
 * promotion-quorum majority, forget-after 1 h. */
void sentinel_params_default(struct sentinel_master_params *params, int quorum,
                             int64_t down_after_ms, int64_t failover_timeout_ms);
/* Add a master entry (name, host copied) and return it, for building an initial state. */
struct sentinel_state_master *sentinel_state_add_master(struct sentinel_state *st, const char *name,
                                                        const char *host, int port, int quorum);

#endif
