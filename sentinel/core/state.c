/* state: deep copy and free of the persisted-state struct (see state.h). Pure memory handling;
 * no I/O here, the codec and the atomic file write belong to the I/O shell. */
#include "sentinel/core/state.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

void sentinel_params_free(struct sentinel_master_params *p)
{
    free(p->auth_pass);
    free(p->auth_user);
    free(p->notification_script);
    free(p->client_reconfig_script);
    for (size_t i = 0; i < p->n_renames; i++) {
        free(p->renames[i].from);
        free(p->renames[i].to);
    }
    free(p->renames);
    memset(p, 0, sizeof(*p));
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

void sentinel_params_default(struct sentinel_master_params *p, int quorum, int64_t down_after_ms,
                             int64_t failover_timeout_ms)
{
    memset(p, 0, sizeof(*p));
    p->quorum = quorum;
    p->down_after_ms = down_after_ms;
    p->failover_timeout_ms = failover_timeout_ms;
    p->parallel_syncs = 1;
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
        struct sentinel_state_master *m = &st->masters[i];
        free(m->name);
        free(m->host);
        sentinel_params_free(&m->params);
        addrs_free(m->replicas, m->n_replicas);
        addrs_free(m->sentinels, m->n_sentinels);
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
    struct sentinel_state_master *m = &st->masters[st->n_masters++];
    memset(m, 0, sizeof(*m));
    m->name = xstrdup(name);
    m->host = xstrdup(host);
    m->port = port;
    sentinel_params_default(&m->params, quorum, 30000, 180000);
    return m;
}
