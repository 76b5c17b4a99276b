/* state: the durable state of a sentinel (see state.h): deep copy and free of the persisted
 * struct, the snapshot of a running core into it, and handing it to env->persist (now, or at
 * the end of the entry point). No I/O here: the codec and the atomic file write belong to the
 * I/O shell. */
#include "sentinel/core/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/core_int.h"

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

void sentinel_params_free(struct sentinel_master_params *params)
{
    free(params->auth_pass);
    free(params->auth_user);
    free(params->notification_script);
    free(params->client_reconfig_script);
    for (size_t i = 0; i < params->n_renames; i++) {
        free(params->renames[i].from);
        free(params->renames[i].to);
    }
    free(params->renames);
    memset(params, 0, sizeof(*params));
}

void sentinel_params_copy(struct sentinel_master_params *dst,
                          const struct sentinel_master_params *src)
{
    *dst = *src;
    dst->auth_pass = dup_or_null(src->auth_pass);
    dst->auth_user = dup_or_null(src->auth_user);
    dst->notification_script = dup_or_null(src->notification_script);
    dst->client_reconfig_script = dup_or_null(src->client_reconfig_script);
    dst->renames = NULL;
    if (src->n_renames > 0) {
        dst->renames = xcalloc(src->n_renames, sizeof(*dst->renames));
        for (size_t i = 0; i < src->n_renames; i++) {
            dst->renames[i].from = xstrdup(src->renames[i].from);
            dst->renames[i].to = xstrdup(src->renames[i].to);
        }
    }
}

void sentinel_params_default(struct sentinel_master_params *params, int quorum,
                             int64_t down_after_ms, int64_t failover_timeout_ms)
{
    memset(params, 0, sizeof(*params));
    params->quorum = quorum;
    params->down_after_ms = down_after_ms;
    params->failover_timeout_ms = failover_timeout_ms;
    params->parallel_syncs = 1;
    params->election_spread_ms = SENTINEL_ELECTION_SPREAD_DEFAULT_MS;
    params->promotion_order = PROMOTION_OFFSET_FIRST;
    params->promotion_quorum = PROMOTION_QUORUM_MAJORITY;
    params->forget_after_ms = SENTINEL_FORGET_AFTER_DEFAULT_MS;
    params->discovery_when_isolated = ISOLATED_DISCOVERY_REFUSE;
}

const char *sentinel_promotion_quorum_name(int quorum, char *buf, size_t cap)
{
    if (quorum == PROMOTION_QUORUM_MAJORITY)
        snprintf(buf, cap, "majority");
    else if (quorum == PROMOTION_QUORUM_OFF)
        snprintf(buf, cap, "off");
    else
        snprintf(buf, cap, "%d", quorum);
    return buf;
}

int sentinel_promotion_quorum_parse(const char *text, int *out)
{
    long long k;
    if (strcasecmp(text, "majority") == 0) {
        *out = PROMOTION_QUORUM_MAJORITY;
    } else if (strcasecmp(text, "off") == 0) {
        *out = PROMOTION_QUORUM_OFF;
    } else if (util_parse_ll(text, strlen(text), &k) == 0 && k >= 1 && k <= PROMOTION_QUORUM_MAX) {
        *out = (int)k;
    } else {
        return -1;
    }
    return 0;
}

/* With R replicas and writes acknowledged by k of them, some replica among any R - k + 1 holds
 * every such write (they and the k acknowledgers cannot be disjoint). Majority: a write on the
 * master and k replicas is on a majority of the R + 1 data nodes when k + 1 > (R + 1) / 2, so
 * k = floor((R + 1) / 2): 1 master + 2 replicas -> k = 1 -> both replicas. */
int sentinel_promotion_quorum_needed(int quorum, size_t n_replicas)
{
    int r = (int)MIN(n_replicas, (size_t)PROMOTION_QUORUM_MAX * 2);
    if (quorum == PROMOTION_QUORUM_OFF || r == 0) return 0;
    int k = quorum == PROMOTION_QUORUM_MAJORITY ? (r + 1) / 2 : quorum;
    return MAX(r - k + 1, 1);
}

static const char *const promotion_order_names[] = {
    [PROMOTION_OFFSET_FIRST] = "offset-first",
    [PROMOTION_PRIORITY_FIRST] = "priority-first",
};

const char *sentinel_promotion_order_name(enum sentinel_promotion_order order)
{
    return (unsigned)order < ARRAY_LEN(promotion_order_names) ? promotion_order_names[order]
                                                              : "offset-first";
}

int sentinel_promotion_order_parse(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(promotion_order_names); i++)
        if (strcasecmp(name, promotion_order_names[i]) == 0) return (int)i;
    return -1;
}

static const char *const isolated_discovery_names[] = {
    [ISOLATED_DISCOVERY_REFUSE] = "refuse",
    [ISOLATED_DISCOVERY_ANSWER] = "answer",
};

const char *sentinel_isolated_discovery_name(enum sentinel_isolated_discovery v)
{
    return (unsigned)v < ARRAY_LEN(isolated_discovery_names) ? isolated_discovery_names[v]
                                                             : "refuse";
}

int sentinel_isolated_discovery_parse(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(isolated_discovery_names); i++)
        if (strcasecmp(name, isolated_discovery_names[i]) == 0) return (int)i;
    return -1;
}

static void addrs_free(struct sentinel_state_addr *a, size_t n)
{
    for (size_t i = 0; i < n; i++) free(a[i].host);
    free(a);
}

static struct sentinel_state_addr *addrs_copy(const struct sentinel_state_addr *a, size_t n)
{
    if (n == 0) return NULL;
    struct sentinel_state_addr *c = xcalloc(n, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        c[i] = a[i];
        c[i].host = xstrdup(a[i].host);
    }
    return c;
}

void sentinel_state_free(struct sentinel_state *st)
{
    for (size_t i = 0; i < st->n_masters; i++) {
        struct sentinel_state_master *sm = &st->masters[i];
        free(sm->name);
        free(sm->host);
        sentinel_params_free(&sm->params);
        addrs_free(sm->replicas, sm->n_replicas);
        addrs_free(sm->sentinels, sm->n_sentinels);
    }
    free(st->masters);
    memset(st, 0, sizeof(*st));
}

void sentinel_state_copy(struct sentinel_state *dst, const struct sentinel_state *src)
{
    *dst = *src;
    dst->masters = NULL;
    if (src->n_masters == 0) return;
    dst->masters = xcalloc(src->n_masters, sizeof(*dst->masters));
    for (size_t i = 0; i < src->n_masters; i++) {
        const struct sentinel_state_master *s = &src->masters[i];
        struct sentinel_state_master *d = &dst->masters[i];
        *d = *s;
        d->name = xstrdup(s->name);
        d->host = xstrdup(s->host);
        sentinel_params_copy(&d->params, &s->params);
        d->replicas = addrs_copy(s->replicas, s->n_replicas);
        d->sentinels = addrs_copy(s->sentinels, s->n_sentinels);
    }
}

struct sentinel_state_master *sentinel_state_add_master(struct sentinel_state *st, const char *name,
                                                        const char *host, int port, int quorum)
{
    st->masters = xrealloc(st->masters, (st->n_masters + 1) * sizeof(*st->masters));
    struct sentinel_state_master *sm = &st->masters[st->n_masters++];
    memset(sm, 0, sizeof(*sm));
    sm->name = xstrdup(name);
    sm->host = xstrdup(host);
    sm->port = port;
    sentinel_params_default(&sm->params, quorum, 30000, 180000);
    return sm;
}

/* ---- the snapshot of a running core, and persisting it ---------------------------------- */

static void snapshot_master(const struct instance *master, struct sentinel_state_master *sm)
{
    const struct master_record *record = master->record;
    const char *host = instance_current_master(master)->host;
    int port = instance_current_master(master)->port;
    sm->name = xstrdup(master->name);
    sm->host = xstrdup(host);
    sm->port = port;
    sentinel_params_copy(&sm->params, &record->params);
    sm->config_epoch = record->config_epoch;
    memcpy(sm->leader, record->leader, sizeof(sm->leader));
    sm->leader_epoch = record->leader_epoch;
    sm->replicas = xcalloc(record->n_replicas + 1, sizeof(*sm->replicas));
    for (size_t j = 0; j < record->n_replicas; j++) {
        const struct instance *r = record->replicas[j];
        if (r->port == port && strcmp(r->host, host) == 0) continue;
        sm->replicas[sm->n_replicas].host = xstrdup(r->host);
        sm->replicas[sm->n_replicas++].port = r->port;
    }
    if (!(master->port == port && strcmp(master->host, host) == 0)) {
        sm->replicas[sm->n_replicas].host = xstrdup(master->host);
        sm->replicas[sm->n_replicas++].port = master->port;
    }
    sm->sentinels =
        record->n_sentinels ? xcalloc(record->n_sentinels, sizeof(*sm->sentinels)) : NULL;
    for (size_t j = 0; j < record->n_sentinels; j++) {
        const struct instance *peer = record->sentinels[j];
        sm->sentinels[j].host = xstrdup(peer->host);
        sm->sentinels[j].port = peer->port;
        memcpy(sm->sentinels[j].runid, peer->runid, sizeof(peer->runid));
    }
    sm->n_sentinels = record->n_sentinels;
}

void sentinel_state_snapshot(const struct sentinel *s, struct sentinel_state *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->myid, s->myid, sizeof(out->myid));
    out->current_epoch = s->current_epoch;
    out->n_masters = s->n_masters;
    out->masters = s->n_masters ? xcalloc(s->n_masters, sizeof(*out->masters)) : NULL;
    for (size_t i = 0; i < s->n_masters; i++) snapshot_master(s->masters[i], &out->masters[i]);
}

void core_mark_persist(struct sentinel *s) { s->persist_wanted = true; }

int core_persist_now(struct sentinel *s)
{
    struct sentinel_state st;
    sentinel_state_snapshot(s, &st);
    int rc = s->env.persist(s->env.ctx, &st);
    sentinel_state_free(&st);
    if (rc == 0) {
        s->persist_wanted = false;
        s->persist_error[0] = '\0';
        return 0;
    }
    /* Retried at every entry point until it works (so a change is saved once the disk has room
     * again); without a limit, a full disk would log dozens of lines a second. */
    s->persist_wanted = true;
    s->persist_failures++;
    if (s->persist_error[0] == '\0')
        snprintf(s->persist_error, sizeof(s->persist_error), "cannot save the state (%d)", rc);
    core_log_rate(s, &s->persist_log_rate, LOG_WARNING, "sentinel: persisting state failed: %s",
                  s->persist_error);
    return rc;
}

const char *sentinel_persist_error(const struct sentinel *s)
{
    return s->persist_error[0] ? s->persist_error : NULL;
}

uint64_t sentinel_persist_failures(const struct sentinel *s) { return s->persist_failures; }

void sentinel_note_persist_error(struct sentinel *s, const char *why)
{
    snprintf(s->persist_error, sizeof(s->persist_error), "%s", why);
}

void core_flush(struct sentinel *s)
{
    if (s->persist_wanted && !s->crashed) core_persist_now(s);
}
