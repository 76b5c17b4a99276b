/* select: replica eligibility and ranking (see select.h). Pure. */
#include "sentinel/core/select.h"

#include <string.h>
#include <strings.h>

#include "common/util.h"

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
