/* sentinel_tls: see sentinel_tls.h. */
#include "sentinel/sentinel_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/log.h"
#include "common/tls.h"
#include "common/util.h"
#include "sentinel/core/describe.h"
#include "sentinel/link.h"
#include "sentinel/sentinel_config.h"

struct sentinel_tls {
    struct sentinel_config *cfg; /* cfg->tls: the settings in force */
    struct tls_ctx *ctx;         /* NULL: TLS is off (no tls-port, no tls-replication) */
    struct link_mgr *links;      /* told of each new context when tls-replication is on */
};

/* A copy of the settings with the change applied, and the context built from it. The copy sits
 * in a whole scratch config because the schema's offsets are relative to one. */
struct sentinel_tls_change {
    struct sentinel_config *scratch;
    struct tls_ctx *ctx;
};

static bool tls_is_on(const struct sentinel_config *cfg)
{
    return cfg->tls_port != 0 || cfg->tls_replication;
}

struct sentinel_tls *sentinel_tls_create(struct sentinel_config *cfg, char *err, size_t errlen)
{
    struct sentinel_tls *t = xcalloc(1, sizeof(*t));
    t->cfg = cfg;
    if (tls_is_on(cfg) && (t->ctx = tls_ctx_create(&cfg->tls, err, errlen)) == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void sentinel_tls_destroy(struct sentinel_tls *t)
{
    if (t == NULL) return;
    tls_ctx_destroy(t->ctx);
    free(t);
}

struct tls_ctx *sentinel_tls_ctx(const struct sentinel_tls *t) { return t->ctx; }

void sentinel_tls_set_links(struct sentinel_tls *t, struct link_mgr *links)
{
    t->links = links;
    if (t->cfg->tls_replication) link_mgr_set_tls(links, t->ctx);
}

/* Put ctx in force: new sessions use it; open ones hold references to the old one. */
static void swap_ctx(struct sentinel_tls *t, struct tls_ctx *ctx)
{
    if (t->links && t->cfg->tls_replication) link_mgr_set_tls(t->links, ctx);
    tls_ctx_destroy(t->ctx);
    t->ctx = ctx;
}

void sentinel_tls_discard(struct sentinel_tls_change *ch)
{
    if (ch == NULL) return;
    tls_ctx_destroy(ch->ctx);
    tls_settings_free(&ch->scratch->tls);
    free(ch->scratch);
    free(ch);
}

static bool key_repeats(size_t i, const char *const *kv)
{
    for (size_t j = 0; j < i; j++)
        if (strcasecmp(kv[2 * j], kv[2 * i]) == 0) return true;
    return false;
}

/* The pairs applied to the scratch copy; -1 with a reply-ready error. */
static int change_apply_pairs(struct sentinel_tls_change *ch, size_t npairs, const char *const *kv,
                              char *err, size_t errlen)
{
    const struct cfg_schema *schema = sentinel_config_schema();
    for (size_t i = 0; i < npairs; i++) {
        const char *key = kv[2 * i], *value = kv[2 * i + 1];
        char why[256];
        if (key_repeats(i, kv)) {
            snprintf(err, errlen, "ERR Duplicate argument '%s' to SENTINEL CONFIG SET", key);
            return -1;
        }
        if (cfg_set(schema, ch->scratch, key, value, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "ERR Invalid value '%s' to SENTINEL CONFIG SET '%s' (%s)", value,
                     key, why);
            return -1;
        }
    }
    return 0;
}

struct sentinel_tls_change *sentinel_tls_prepare(struct sentinel_tls *t, size_t npairs,
                                                 const char *const *kv, char *err, size_t errlen)
{
    struct sentinel_tls_change *ch = xcalloc(1, sizeof(*ch));
    ch->scratch = xcalloc(1, sizeof(*ch->scratch));
    tls_settings_copy(&ch->scratch->tls, &t->cfg->tls);
    if (change_apply_pairs(ch, npairs, kv, err, errlen) != 0) {
        sentinel_tls_discard(ch);
        return NULL;
    }
    char why[512];
    if (t->ctx && (ch->ctx = tls_ctx_create(&ch->scratch->tls, why, sizeof(why))) == NULL) {
        log_warning("SENTINEL CONFIG SET: the new TLS settings do not work (%s); keeping the "
                    "previous ones",
                    why);
        snprintf(err, errlen, "ERR Unable to update TLS configuration: %s", why);
        sentinel_tls_discard(ch);
        return NULL;
    }
    return ch;
}

void sentinel_tls_commit(struct sentinel_tls *t, struct sentinel_tls_change *ch)
{
    tls_settings_free(&t->cfg->tls);
    t->cfg->tls = ch->scratch->tls; /* moved: the scratch copy no longer owns the strings */
    memset(&ch->scratch->tls, 0, sizeof(ch->scratch->tls));
    if (ch->ctx) {
        swap_ctx(t, ch->ctx);
        ch->ctx = NULL;
        log_notice("TLS configuration changed: new connections and links use it");
    }
    sentinel_tls_discard(ch);
}

int sentinel_tls_reload(struct sentinel_tls *t, char *err, size_t errlen)
{
    if (t->ctx == NULL) return 0;
    struct tls_ctx *ctx = tls_ctx_create(&t->cfg->tls, err, errlen);
    if (ctx == NULL) return -1;
    swap_ctx(t, ctx);
    return 0;
}

void sentinel_tls_config_get(const struct sentinel_tls *t, int npatterns,
                             const char *const *patterns, struct sentinel_desc *out)
{
    const struct cfg_schema *schema = sentinel_config_schema();
    for (size_t i = 0; i < schema->nfields && out->n < SENTINEL_DESC_MAX; i++) {
        const char *key = schema->fields[i].key;
        if (!tls_settings_is_context_key(key)) continue;
        bool match = false;
        for (int k = 0; k < npatterns && !match; k++)
            match = util_glob_match(patterns[k], strlen(patterns[k]), key, strlen(key), true);
        struct buf v;
        buf_init(&v);
        if (match && cfg_get(schema, t->cfg, key, &v) == 0) {
            out->fields[out->n].name = key;
            out->fields[out->n++].value = xstrndup(v.data ? v.data : "", v.len);
        }
        buf_free(&v);
    }
}
