/* forget: dropping replicas and peer sentinels not seen for forget-after
 * (docs/sentinel-protocol.md#forgetting). Redis keeps every node it ever learned until SENTINEL
 * RESET, so a replaced host stays listed (and counted in the sentinels' majority) for ever.
 *
 * Rules, each for safety:
 * - "Seen" means a valid answer: a PING reply or an INFO (replicas), a hello or a PING reply
 *   (sentinels); the clock starts no earlier than the record's creation (a restart begins anew).
 * - Nothing is forgotten during a failover of the master, nor in TILT (the tick's acting half).
 * - A replica only while the master answers as a master: then every replica still linked holds
 *   what the forgotten one acknowledged, and R of promotion-quorum may shrink. While the master
 *   is down a silent replica may hold the only copy of a WAIT-acknowledged write, so it keeps
 *   counting.
 * - A sentinel only while this one hears hellos from a majority of the group as it stands, itself
 *   included (view_stale_reason, the predicate that guards reconfigurations): a minority side of
 *   a long partition never shrinks the group it counts votes in.
 * A forgotten node that comes back is rediscovered as usual (master INFO, hellos). The state file
 * is rewritten at the end of the tick (core_mark_persist).
 */
#include "common/util.h"
#include "sentinel/core/core_int.h"

static int64_t replica_last_seen_ms(const struct instance *r)
{
    return MAX(r->created_ms, MAX(r->last_avail_ms, r->info_refresh_ms));
}

static int64_t sentinel_last_seen_ms(const struct instance *si)
{
    return MAX(si->created_ms, MAX(si->last_avail_ms, si->last_hello_ms));
}

static bool master_answers(const struct sentinel *s, const struct instance *master, int64_t now_ms)
{
    return master->role_reported == ROLE_MASTER && !(master->flags & (SRI_S_DOWN | SRI_O_DOWN)) &&
           master->info_refresh_ms != 0 &&
           now_ms - master->info_refresh_ms < 3 * s->periods.info_period;
}

static void forget_replicas(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    int64_t after = record->params.forget_after_ms;
    for (size_t i = record->n_replicas; i-- > 0;) {
        struct instance *r = record->replicas[i];
        int64_t unseen = now_ms - replica_last_seen_ms(r);
        if (unseen <= after || (r->flags & SRI_PROMOTED)) continue;
        notify_event(s, LOG_WARNING, "-slave-forgotten", r, "#not seen for %lld ms",
                     (long long)unseen);
        core_drop_instance(s, r);
        core_mark_persist(s);
    }
}

static void forget_sentinels(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    int64_t after = record->params.forget_after_ms;
    for (size_t i = record->n_sentinels; i-- > 0;) {
        struct instance *si = record->sentinels[i];
        int64_t unseen = now_ms - sentinel_last_seen_ms(si);
        if (unseen <= after) continue;
        notify_event(s, LOG_WARNING, "-sentinel-forgotten", si, "#not seen for %lld ms",
                     (long long)unseen);
        core_drop_instance(s, si);
        core_mark_persist(s);
    }
}

void forget_unseen(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    const struct master_record *record = master->record;
    if (record->params.forget_after_ms <= 0 || record->failover_state != FAILOVER_NONE || s->tilt ||
        s->crashed)
        return;
    if (master_answers(s, master, now_ms)) forget_replicas(s, master, now_ms);
    if (view_stale_reason(master, true, 4 * s->periods.publish_period, now_ms) == NULL)
        forget_sentinels(s, master, now_ms);
}
