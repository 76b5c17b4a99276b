/* runtime_config: see runtime_config.h. */
#include "sentinel/runtime_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/sha256.h"
#include "common/tls.h"
#include "common/util.h"
#include "sentinel/sentinel_config.h"

/* The core's SENTINEL CONFIG SET parameters (sentinel_set.c), named as in the YAML file. */
static const char *const core_keys[] = {"resolve-hostnames", "announce-hostnames", "announce-ip",
                                        "announce-port",     "sentinel-user",      "sentinel-pass",
                                        "loglevel"};

void runtime_config_free(struct runtime_config *rc)
{
    free(rc->fingerprint);
    for (size_t i = 0; i < rc->n; i++) {
        free(rc->keys[i]);
        free(rc->values[i]);
    }
    memset(rc, 0, sizeof(*rc));
}

void runtime_config_copy(struct runtime_config *dst, const struct runtime_config *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->fingerprint = src->fingerprint ? xstrdup(src->fingerprint) : NULL;
    for (size_t i = 0; i < src->n; i++) runtime_config_add(dst, src->keys[i], src->values[i]);
}

bool runtime_config_add(struct runtime_config *rc, const char *key, const char *value)
{
    if (rc->n >= RUNTIME_CONFIG_MAX) return false;
    rc->keys[rc->n] = xstrdup(key);
    rc->values[rc->n++] = xstrdup(value);
    return true;
}

bool runtime_config_is_key(const char *key)
{
    for (size_t i = 0; i < ARRAY_LEN(core_keys); i++)
        if (strcasecmp(key, core_keys[i]) == 0) return true;
    return tls_settings_is_context_key(key) && cfg_find(sentinel_config_schema(), key) != NULL;
}

static const char *value_of(const struct runtime_config *rc, const char *key)
{
    for (size_t i = 0; i < rc->n; i++)
        if (strcasecmp(rc->keys[i], key) == 0) return rc->values[i];
    return NULL;
}

void runtime_config_baseline(const struct sentinel_config *cfg, struct runtime_config *out)
{
    memset(out, 0, sizeof(*out));
    const struct cfg_schema *schema = sentinel_config_schema();
    struct sha256_ctx h;
    sha256_init(&h);
    for (size_t i = 0; i < schema->nfields; i++) {
        const char *key = schema->fields[i].key;
        if (!runtime_config_is_key(key)) continue;
        struct buf v;
        buf_init(&v);
        if (cfg_get_unredacted(schema, cfg, key, &v) == 0) {
            buf_append_char(&v, '\0');
            runtime_config_add(out, key, v.data);
            sha256_update(&h, key, strlen(key) + 1); /* the NULs keep "a=bc" apart from "ab=c" */
            sha256_update(&h, v.data, v.len);
        }
        buf_free(&v);
    }
    uint8_t digest[SHA256_DIGEST_LEN];
    sha256_final(&h, digest);
    out->fingerprint = xmalloc(SHA256_HEX_LEN + 1);
    sha256_hex(digest, out->fingerprint);
}

void runtime_config_capture(const struct sentinel_config *cfg,
                            const struct runtime_config *baseline, struct runtime_config *out)
{
    memset(out, 0, sizeof(*out));
    out->fingerprint = xstrdup(baseline->fingerprint);
    const struct cfg_schema *schema = sentinel_config_schema();
    for (size_t i = 0; i < baseline->n; i++) {
        struct buf v;
        buf_init(&v);
        if (cfg_get_unredacted(schema, cfg, baseline->keys[i], &v) == 0) {
            buf_append_char(&v, '\0');
            if (strcmp(v.data, baseline->values[i]) != 0)
                runtime_config_add(out, baseline->keys[i], v.data);
        }
        buf_free(&v);
    }
}

size_t runtime_config_restore(struct sentinel_config *cfg, const struct runtime_config *saved,
                              const struct runtime_config *baseline, bool *yaml_changed,
                              char *skipped, size_t skipped_len)
{
    *yaml_changed = false;
    if (skipped && skipped_len) skipped[0] = '\0';
    if (saved->fingerprint == NULL || saved->n == 0) return 0;
    if (strcmp(saved->fingerprint, baseline->fingerprint) != 0) {
        *yaml_changed = true;
        return 0;
    }
    size_t applied = 0;
    for (size_t i = 0; i < saved->n; i++) {
        char err[256];
        if (value_of(baseline, saved->keys[i]) != NULL &&
            cfg_set(sentinel_config_schema(), cfg, saved->keys[i], saved->values[i], err,
                    sizeof(err)) == 0) {
            applied++;
        } else if (skipped && skipped_len) {
            size_t used = strlen(skipped);
            snprintf(skipped + used, skipped_len - used, "%s%s", used ? ", " : "", saved->keys[i]);
        }
    }
    return applied;
}
