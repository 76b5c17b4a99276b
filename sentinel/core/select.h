/* select: which replica to promote (docs/sentinel-protocol.md#replica-selection). Pure ranking over
 * the leader's view.
 *
 * A replica is excluded when: SDOWN or ODOWN; its link is disconnected; its last valid PING
 * reply is older than 5 x ping-period; its priority is 0; its last INFO is older than
 * 5 x ping-period (master SDOWN) or 3 x info-period; its master link has been down longer than
 * (time the master has been SDOWN) + 10 x down-after; or (our addition) its last INFO did not
 * report role:slave, so a node that believes it is a master is never "promoted" over data it
 * does not hold. The eligible replicas sort, by default (promotion-order offset-first, ours), by
 * replication offset (higher first), then priority (lower first); with priority-first (Redis's
 * order) by priority, then offset; then run id (case-insensitive, smaller first, unknown last).
 * Offset first is what keeps a write acknowledged by `WAIT 1`: the replica that holds it is
 * never passed over for one with a better priority and less data.
 *
 * The failover refreshes INFO from every candidate just before selecting (failover.c), so the
 * offsets compared here are at most one round trip old instead of up to one INFO period.
 */
#ifndef VIGIL_SENTINEL_SELECT_H
#define VIGIL_SENTINEL_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "sentinel/core/instance.h"
#include "sentinel/core/monitor.h"

enum select_reason {
    SELECT_ELIGIBLE = 0,
    SELECT_DOWN,
    SELECT_DISCONNECTED,
    SELECT_PING_STALE,
    SELECT_PRIORITY_ZERO,
    SELECT_INFO_STALE,
    SELECT_MASTER_LINK_DOWN,
    SELECT_NOT_A_REPLICA,
    SELECT_ACL_REFUSED, /* our user may not reconfigure it (acl_probe.h) */
};

enum select_reason select_check_replica(const struct instance *replica, int64_t now_ms,
                                        const struct sentinel_periods *periods);
const char *select_reason_text(enum select_reason r);
/* qsort-style comparison of two eligible replicas in the master's promotion order: negative if
 * a ranks before b. */
int select_compare(const struct instance *a, const struct instance *b,
                   enum sentinel_promotion_order order);
/* Fill out[] with the eligible replicas of master, best first; returns the count (<= cap). */
size_t select_rank(const struct instance *master, int64_t now_ms,
                   const struct sentinel_periods *periods, struct instance **out, size_t cap);
/* The best eligible replica, or NULL. */
struct instance *select_best_replica(const struct instance *master, int64_t now_ms,
                                     const struct sentinel_periods *periods);

/* The quorum intersection rule (promotion-quorum, docs/sentinel-protocol.md#promotion-quorum).
 * A replica "reported" when its last INFO was received at or after since_ms (and, with
 * need_link, its link is still up and it is not SDOWN: for a prediction); one that answers as a
 * master counts, its offset (another history) is never the maximum. R counts every
 * replica the sentinel knows for the master, answering or not, until forgotten: a replica down
 * for long may hold acknowledged writes, so it is never assumed away. */
struct select_quorum {
    int known;            /* R */
    int needed;           /* fresh offsets needed (sentinel_promotion_quorum_needed); 0 = off */
    int fresh;            /* replicas that reported */
    long long max_offset; /* highest role:slave offset among them (-1 none) */
    const struct instance *max_holder; /* one replica holding it */
};
void select_quorum_count(const struct instance *master, int64_t since_ms, bool need_link,
                         struct select_quorum *out);
/* From when offsets count as fresh: the start of the failover in progress; else (a plan's
 * prediction) the moment the master stopped answering, or, while it answers, 3 info periods. */
int64_t select_quorum_since_ms(const struct instance *master, int64_t now_ms,
                               const struct sentinel_periods *periods);
/* Whether the rule forbids promoting `best` now; if so, why, into why: "needs fresh offsets from
 * 2 replicas, has 1: 10.0.0.3:6379 not answering". Under offset-first `best` must also hold the
 * highest fresh offset (it holds every acknowledged write only then); best NULL checks the count
 * only. */
bool select_quorum_blocks(const struct instance *master, const struct instance *best,
                          int64_t since_ms, bool need_link, char *why, size_t cap);

#endif
