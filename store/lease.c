/* lease: the master lease arithmetic (see lease.h; docs/replication.md#master-lease). */
#include "store/lease.h"

#include <stdio.h>
#include <string.h>

void lease_table_init(struct lease_table *t) { memset(t, 0, sizeof(*t)); }

void lease_table_clear(struct lease_table *t)
{
    /* Epochs seen stay: a stale sentinel must not revive a lease after a role change either. */
    t->n_holders = 0;
}

static int group_find_or_add(struct lease_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_groups; i++)
        if (strcmp(t->groups[i].name, name) == 0) return (int)i;
    if (t->n_groups == LEASE_MAX_GROUPS) return -1;
    struct lease_group *g = &t->groups[t->n_groups];
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->max_epoch = 0;
    return (int)t->n_groups++;
}

static bool holder_counts(const struct lease_table *t, const struct lease_holder *h, int64_t now_ms)
{
    return h->until_ms > now_ms && h->epoch >= t->groups[h->group].max_epoch;
}

/* Its view of `needed` still counts (see lease.h). */
static bool holder_view_counts(const struct lease_table *t, const struct lease_holder *h,
                               int64_t now_ms)
{
    return h->epoch >= t->groups[h->group].max_epoch &&
           now_ms - h->until_ms < LEASE_NEEDED_MEMORY * h->lease_ms;
}

static struct lease_holder *holder_slot(struct lease_table *t, int group, const char *runid,
                                        int64_t now_ms)
{
    for (size_t i = 0; i < t->n_holders; i++)
        if (t->holders[i].group == group && strcmp(t->holders[i].runid, runid) == 0)
            return &t->holders[i];
    if (t->n_holders == LEASE_MAX_HOLDERS) { /* reuse a slot that no longer counts */
        for (size_t i = 0; i < t->n_holders; i++)
            if (!holder_counts(t, &t->holders[i], now_ms)) {
                t->holders[i] = t->holders[--t->n_holders];
                break;
            }
        if (t->n_holders == LEASE_MAX_HOLDERS) return NULL;
    }
    struct lease_holder *h = &t->holders[t->n_holders++];
    memset(h, 0, sizeof(*h));
    snprintf(h->runid, sizeof(h->runid), "%s", runid);
    h->group = group;
    h->until_ms = 0;
    return h;
}

static const char *renewal_invalid(const struct lease_renewal *r, int64_t now_ms)
{
    size_t glen = strlen(r->group), rlen = strlen(r->runid);
    if (glen == 0 || glen > LEASE_NAME_MAX) return "invalid group name";
    if (rlen == 0 || rlen > LEASE_RUNID_MAX) return "invalid sentinel run id";
    if (r->anchor_ms < 0 || r->anchor_ms > now_ms) return "anchor is not a past value of our clock";
    if (r->lease_ms <= 0 || r->lease_ms > LEASE_MAX_MS) return "lease-ms out of range";
    if (r->needed < 1 || r->needed > LEASE_MAX_NEEDED) return "needed out of range";
    return NULL;
}

enum lease_verdict lease_renew(struct lease_table *t, const struct lease_renewal *r, int64_t now_ms,
                               char *errbuf, size_t errlen)
{
    const char *why = renewal_invalid(r, now_ms);
    if (why) {
        snprintf(errbuf, errlen, "%s", why);
        return LEASE_BAD;
    }
    int g = group_find_or_add(t, r->group);
    if (g < 0) {
        snprintf(errbuf, errlen, "too many groups renew leases on this node");
        return LEASE_FULL;
    }
    if (r->epoch < t->groups[g].max_epoch) {
        t->ignored_stale++;
        return LEASE_STALE_EPOCH;
    }
    t->groups[g].max_epoch = r->epoch;
    if (r->anchor_ms == 0) return LEASE_CLOCK_ONLY;
    struct lease_holder *h = holder_slot(t, g, r->runid, now_ms);
    if (h == NULL) {
        snprintf(errbuf, errlen, "too many sentinels hold leases on this node");
        return LEASE_FULL;
    }
    int64_t until = r->anchor_ms + r->lease_ms;
    if (h->epoch != r->epoch || until > h->until_ms) h->until_ms = until;
    h->epoch = r->epoch;
    h->needed = r->needed;
    h->lease_ms = r->lease_ms;
    t->last_needed = r->needed;
    t->renewals++;
    return LEASE_GRANTED;
}

struct lease_status lease_status(const struct lease_table *t, int64_t now_ms)
{
    struct lease_status st = {0, t->last_needed > 0 ? t->last_needed : 1, 0};
    int64_t untils[LEASE_MAX_HOLDERS];
    unsigned needed = 0;
    for (size_t i = 0; i < t->n_holders; i++) {
        const struct lease_holder *h = &t->holders[i];
        if (holder_view_counts(t, h, now_ms) && h->needed > needed) needed = h->needed;
        if (holder_counts(t, h, now_ms)) untils[st.valid++] = h->until_ms;
    }
    if (needed > 0) st.needed = needed;
    if (st.valid < st.needed) return st;
    /* The count falls below needed when the needed-th longest lease ends. */
    for (unsigned k = 0; k < st.needed; k++) { /* partial selection sort, n <= 32 */
        unsigned best = k;
        for (unsigned j = k + 1; j < st.valid; j++)
            if (untils[j] > untils[best]) best = j;
        int64_t tmp = untils[k];
        untils[k] = untils[best];
        untils[best] = tmp;
    }
    st.expires_in_ms = untils[st.needed - 1] - now_ms;
    return st;
}

bool lease_is_held(const struct lease_table *t, int64_t now_ms)
{
    struct lease_status st = lease_status(t, now_ms);
    return st.valid >= st.needed;
}
