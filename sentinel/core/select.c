/* select: replica eligibility and ranking (see select.h). Pure. */
#include "sentinel/core/select.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/acl_probe.h"

enum select_reason select_check_replica(const struct instance *r, int64_t now_ms,
                                        const struct sentinel_periods *periods)
{
    const struct instance *master = r->master;
    int64_t info_validity =
        (master->flags & SRI_S_DOWN) ? 5 * periods->ping_period : 3 * periods->info_period;
    int64_t max_link_down = 10 * master->record->params.down_after_ms;
    if (master->flags & SRI_S_DOWN) max_link_down += now_ms - master->s_down_since_ms;

    if (r->flags & (SRI_S_DOWN | SRI_O_DOWN)) return SELECT_DOWN;
    if (instance_is_disconnected(r)) return SELECT_DISCONNECTED;
    if (now_ms - r->last_avail_ms > 5 * periods->ping_period) return SELECT_PING_STALE;
    if (r->slave_priority == 0) return SELECT_PRIORITY_ZERO;
    if (r->info_refresh_ms == 0 || now_ms - r->info_refresh_ms > info_validity)
        return SELECT_INFO_STALE;
    if (r->master_link_down_ms > max_link_down) return SELECT_MASTER_LINK_DOWN;
    if (r->role_reported != ROLE_SLAVE) return SELECT_NOT_A_REPLICA;
    if (r->acl_missing & ACL_PROBE_RECONFIG_MASK) return SELECT_ACL_REFUSED;
    return SELECT_ELIGIBLE;
}

const char *select_reason_text(enum select_reason r)
{
    switch (r) {
    case SELECT_ELIGIBLE:
        return "eligible";
    case SELECT_DOWN:
        return "replica is down";
    case SELECT_DISCONNECTED:
        return "link disconnected";
    case SELECT_PING_STALE:
        return "no valid PING reply for 5 ping periods";
    case SELECT_PRIORITY_ZERO:
        return "replica priority is 0";
    case SELECT_INFO_STALE:
        return "INFO too old";
    case SELECT_MASTER_LINK_DOWN:
        return "master link down too long";
    case SELECT_NOT_A_REPLICA:
        return "does not report role:slave";
    case SELECT_ACL_REFUSED:
        return "this sentinel's user may not reconfigure it (ACL)";
    }
    return "unknown";
}

static int by_priority(const struct instance *a, const struct instance *b)
{
    if (a->slave_priority == b->slave_priority) return 0;
    return a->slave_priority < b->slave_priority ? -1 : 1;
}

static int by_offset(const struct instance *a, const struct instance *b)
{
    if (a->slave_repl_offset == b->slave_repl_offset) return 0;
    return a->slave_repl_offset > b->slave_repl_offset ? -1 : 1;
}

int select_compare(const struct instance *a, const struct instance *b,
                   enum sentinel_promotion_order order)
{
    bool offset_first = order != PROMOTION_PRIORITY_FIRST;
    int c = offset_first ? by_offset(a, b) : by_priority(a, b);
    if (c == 0) c = offset_first ? by_priority(a, b) : by_offset(a, b);
    if (c != 0) return c;
    bool ha = a->runid[0] != '\0', hb = b->runid[0] != '\0';
    if (ha != hb) return ha ? -1 : 1;
    if (!ha) return 0;
    return strcasecmp(a->runid, b->runid);
}

size_t select_rank(const struct instance *master, int64_t now_ms,
                   const struct sentinel_periods *periods, struct instance **out, size_t cap)
{
    size_t n = 0;
    enum sentinel_promotion_order order = master->record->params.promotion_order;
    for (size_t i = 0; i < master->record->n_replicas && n < cap; i++) {
        struct instance *r = master->record->replicas[i];
        if (select_check_replica(r, now_ms, periods) != SELECT_ELIGIBLE) continue;
        /* insertion sort: tables are small and bounded */
        size_t j = n++;
        while (j > 0 && select_compare(r, out[j - 1], order) < 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = r;
    }
    return n;
}

struct instance *select_best_replica(const struct instance *master, int64_t now_ms,
                                     const struct sentinel_periods *periods)
{
    struct instance *ranked[INSTANCE_MAX_REPLICAS];
    size_t n = select_rank(master, now_ms, periods, ranked, ARRAY_LEN(ranked));
    return n > 0 ? ranked[0] : NULL;
}

/* ---- the quorum intersection rule ------------------------------------------------------------ */

/* A replica that answers as a master (restarted without its replicaof, or a superseded master
 * not yet converted) counts as having answered: it is alive, and its offset, of another history,
 * is never compared. Not counting it would stall the group for good once two such nodes exist
 * while the master is down, since nothing converts them then (sim seed 1773). */
static bool reported_since(const struct instance *r, int64_t since_ms, bool need_link)
{
    if (r->role_reported == ROLE_UNKNOWN || r->info_refresh_ms == 0 ||
        r->info_refresh_ms < since_ms)
        return false;
    return !need_link || (!instance_is_disconnected(r) && !(r->flags & SRI_S_DOWN));
}

void select_quorum_count(const struct instance *master, int64_t since_ms, bool need_link,
                         struct select_quorum *out)
{
    const struct master_record *record = master->record;
    memset(out, 0, sizeof(*out));
    out->known = (int)record->n_replicas;
    out->needed =
        sentinel_promotion_quorum_needed(record->params.promotion_quorum, record->n_replicas);
    out->max_offset = -1;
    for (size_t i = 0; i < record->n_replicas; i++) {
        const struct instance *r = record->replicas[i];
        if (!reported_since(r, since_ms, need_link)) continue;
        out->fresh++;
        if (r->role_reported == ROLE_SLAVE && r->slave_repl_offset > out->max_offset) {
            out->max_offset = r->slave_repl_offset;
            out->max_holder = r;
        }
    }
}

int64_t select_quorum_since_ms(const struct instance *master, int64_t now_ms,
                               const struct sentinel_periods *periods)
{
    if (master->record->failover_state != FAILOVER_NONE) return master->record->failover_start_ms;
    int64_t silent = monitor_unavailable_ms(master, now_ms);
    if (silent > 0) return now_ms - silent;
    return now_ms - 3 * periods->info_period;
}

static const char *missing_reason(const struct instance *r)
{
    if (instance_is_disconnected(r)) return "not answering";
    if (r->flags & SRI_S_DOWN) return "down";
    return "no INFO since the master went silent";
}

bool select_quorum_blocks(const struct instance *master, const struct instance *best,
                          int64_t since_ms, bool need_link, char *why, size_t cap)
{
    struct select_quorum q;
    select_quorum_count(master, since_ms, need_link, &q);
    if (q.needed == 0) return false;
    if (q.fresh >= q.needed) {
        if (best == NULL || master->record->params.promotion_order == PROMOTION_PRIORITY_FIRST ||
            best->slave_repl_offset >= q.max_offset)
            return false;
        snprintf(why, cap,
                 "the highest fresh offset (%lld) is on %s:%d, which cannot be promoted; %s:%d "
                 "has %lld",
                 q.max_offset, q.max_holder->host, q.max_holder->port, best->host, best->port,
                 best->slave_repl_offset);
        return true;
    }
    int n = snprintf(why, cap, "needs fresh offsets from %d replica%s, has %d", q.needed,
                     q.needed == 1 ? "" : "s", q.fresh);
    const char *sep = ": ";
    for (size_t i = 0; i < master->record->n_replicas && n > 0 && (size_t)n < cap; i++) {
        const struct instance *r = master->record->replicas[i];
        if (reported_since(r, since_ms, need_link)) continue;
        n += snprintf(why + n, cap - (size_t)n, "%s%s:%d %s", sep, r->host, r->port,
                      missing_reason(r));
        sep = ", ";
    }
    return true;
}
