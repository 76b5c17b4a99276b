/* state_file: JSON codec and atomic, durable write of the sentinel's learned state (see
 * state_file.h for the format and the guarantees). The decoder trusts nothing: every known key is
 * type- and range-checked, every string bounded; unknown keys are skipped. */
#include "sentinel/state_file.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/util.h"
#include "sentinel/core/instance.h"
#include "sentinel/core/sentinel.h"

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53: integers above are not exact in a double */
#define STR_MAX 4096                     /* any string field: paths, passwords, names */

/* ---- meta ----------------------------------------------------------------------------------- */

void state_file_meta_free(struct state_file_meta *meta)
{
    for (size_t i = 0; i < meta->n; i++) {
        free(meta->names[i]);
        free(meta->fingerprints[i]);
    }
    free(meta->names);
    free(meta->fingerprints);
    runtime_config_free(&meta->options);
    memset(meta, 0, sizeof(*meta));
}

static void meta_add(struct state_file_meta *meta, const char *name, const char *fp)
{
    meta->names = xrealloc(meta->names, (meta->n + 1) * sizeof(*meta->names));
    meta->fingerprints = xrealloc(meta->fingerprints, (meta->n + 1) * sizeof(*meta->fingerprints));
    meta->names[meta->n] = xstrdup(name);
    meta->fingerprints[meta->n] = xstrdup(fp);
    meta->n++;
}

void state_file_meta_copy(struct state_file_meta *dst, const struct state_file_meta *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; src && i < src->n; i++) meta_add(dst, src->names[i], src->fingerprints[i]);
    if (src) runtime_config_copy(&dst->options, &src->options);
}

const char *state_file_meta_get(const struct state_file_meta *meta, const char *name)
{
    for (size_t i = 0; meta && i < meta->n; i++)
        if (strcmp(meta->names[i], name) == 0) return meta->fingerprints[i];
    return NULL;
}

int state_file_path(const char *dir, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", dir && dir[0] ? dir : ".", STATE_FILE_NAME);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ---- encoding ------------------------------------------------------------------------------- */

/* Integers as exact decimal text: cJSON prints doubles with 15 digits, which would round epochs
 * above 10^15. */
static void add_int(cJSON *o, const char *key, long long v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", v);
    cJSON_AddRawToObject(o, key, b);
}

static void add_str_opt(cJSON *o, const char *key, const char *v)
{
    if (v) cJSON_AddStringToObject(o, key, v);
}

static cJSON *encode_params(const struct sentinel_master_params *params)
{
    cJSON *o = cJSON_CreateObject();
    add_int(o, "quorum", params->quorum);
    add_int(o, "down_after_ms", params->down_after_ms);
    add_int(o, "failover_timeout_ms", params->failover_timeout_ms);
    add_int(o, "parallel_syncs", params->parallel_syncs);
    cJSON_AddBoolToObject(o, "failover_paused", params->failover_paused);
    add_int(o, "failover_pause_epoch", (int64_t)params->failover_pause_epoch);
    add_int(o, "master_reboot_down_after_period_ms", params->master_reboot_down_after_period_ms);
    add_int(o, "election_spread_ms", params->election_spread_ms);
    cJSON_AddStringToObject(o, "promotion_order",
                            sentinel_promotion_order_name(params->promotion_order));
    char q[PROMOTION_QUORUM_NAME_MAX];
    cJSON_AddStringToObject(o, "promotion_quorum",
                            sentinel_promotion_quorum_name(params->promotion_quorum, q, sizeof(q)));
    add_int(o, "forget_after_ms", params->forget_after_ms);
    add_int(o, "lease_margin_ms", params->lease_margin_ms);
    cJSON_AddStringToObject(o, "discovery_when_isolated",
                            sentinel_isolated_discovery_name(params->discovery_when_isolated));
    add_str_opt(o, "auth_pass", params->auth_pass);
    add_str_opt(o, "auth_user", params->auth_user);
    add_str_opt(o, "notification_script", params->notification_script);
    add_str_opt(o, "client_reconfig_script", params->client_reconfig_script);
    cJSON *r = cJSON_AddArrayToObject(o, "renames");
    for (size_t i = 0; i < params->n_renames; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "from", params->renames[i].from);
        cJSON_AddStringToObject(e, "to", params->renames[i].to);
        cJSON_AddItemToArray(r, e);
    }
    return o;
}

static cJSON *encode_addrs(const struct sentinel_state_addr *a, size_t n, bool with_runid)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "host", a[i].host);
        add_int(e, "port", a[i].port);
        if (with_runid) cJSON_AddStringToObject(e, "runid", a[i].runid);
        cJSON_AddItemToArray(arr, e);
    }
    return arr;
}

static cJSON *encode_master(const struct sentinel_state_master *sm)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", sm->name);
    cJSON_AddStringToObject(o, "host", sm->host);
    add_int(o, "port", sm->port);
    add_int(o, "config_epoch", (long long)sm->config_epoch);
    cJSON_AddStringToObject(o, "leader", sm->leader);
    add_int(o, "leader_epoch", (long long)sm->leader_epoch);
    cJSON_AddItemToObject(o, "params", encode_params(&sm->params));
    cJSON_AddItemToObject(o, "replicas", encode_addrs(sm->replicas, sm->n_replicas, false));
    cJSON_AddItemToObject(o, "sentinels", encode_addrs(sm->sentinels, sm->n_sentinels, true));
    return o;
}

char *state_file_encode(const struct sentinel_state *st, const struct state_file_meta *meta)
{
    cJSON *root = cJSON_CreateObject();
    add_int(root, "version", STATE_FILE_VERSION);
    cJSON_AddStringToObject(root, "myid", st->myid);
    add_int(root, "current_epoch", (long long)st->current_epoch);
    cJSON *masters = cJSON_AddArrayToObject(root, "masters");
    for (size_t i = 0; i < st->n_masters; i++)
        cJSON_AddItemToArray(masters, encode_master(&st->masters[i]));
    cJSON *cm = cJSON_AddObjectToObject(root, "config_masters");
    for (size_t i = 0; meta && i < meta->n; i++)
        cJSON_AddStringToObject(cm, meta->names[i], meta->fingerprints[i]);
    if (meta && meta->options.fingerprint && meta->options.n) {
        cJSON *co = cJSON_AddObjectToObject(root, "config_options");
        cJSON_AddStringToObject(co, "fingerprint", meta->options.fingerprint);
        cJSON *values = cJSON_AddObjectToObject(co, "values");
        for (size_t i = 0; i < meta->options.n; i++)
            cJSON_AddStringToObject(values, meta->options.keys[i], meta->options.values[i]);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    ASSERT(text != NULL); /* cJSON only fails on out-of-memory */
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

/* ---- decoding ------------------------------------------------------------------------------- */

struct dec {
    char *err;
    size_t errlen;
    bool failed;
};

static void dec_fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dec_fail(struct dec *d, const char *fmt, ...)
{
    if (d->failed) return; /* keep the first problem */
    d->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, d->errlen, fmt, ap);
    va_end(ap);
}

/* Integer in [min, max] at o[key]; absent: *out = def unless required. */
static long long get_int(struct dec *d, const cJSON *o, const char *where, const char *key,
                         bool required, long long min, double max, long long def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v == NULL || cJSON_IsNull(v)) {
        if (required) dec_fail(d, "%s: missing \"%s\"", where, key);
        return def;
    }
    double x = cJSON_IsNumber(v) ? v->valuedouble : -1.0;
    /* Range before the cast: casting 1e300 (or NaN) to an integer is undefined behaviour. */
    if (!cJSON_IsNumber(v) || !(x >= (double)min) || x > max || x > MAX_EXACT_INT ||
        x != (double)(long long)x) {
        dec_fail(d, "%s: \"%s\" must be an integer from %lld to %.0f", where, key, min,
                 max < MAX_EXACT_INT ? max : MAX_EXACT_INT);
        return def;
    }
    return (long long)x;
}

/* Owned copy of the string at o[key], or NULL when absent/null (an error if required). */
static char *get_str(struct dec *d, const cJSON *o, const char *where, const char *key,
                     bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v == NULL || cJSON_IsNull(v)) {
        if (required) dec_fail(d, "%s: missing \"%s\"", where, key);
        return NULL;
    }
    if (!cJSON_IsString(v) || v->valuestring == NULL || strlen(v->valuestring) > STR_MAX) {
        dec_fail(d, "%s: \"%s\" must be a string of at most %d bytes", where, key, STR_MAX);
        return NULL;
    }
    return xstrdup(v->valuestring);
}

static bool runid_ok(const char *s, bool allow_empty)
{
    size_t n = strlen(s);
    if (n == 0) return allow_empty;
    if (n != SENTINEL_RUNID_LEN) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i])) return false;
    return true;
}

static void get_runid(struct dec *d, const cJSON *o, const char *where, const char *key,
                      bool allow_empty, char out[SENTINEL_RUNID_LEN + 1])
{
    char *s = get_str(d, o, where, key, !allow_empty);
    out[0] = '\0';
    if (s == NULL) return;
    if (!runid_ok(s, allow_empty))
        dec_fail(d, "%s: \"%s\" must be %d alphanumeric characters", where, key,
                 SENTINEL_RUNID_LEN);
    else
        memcpy(out, s, strlen(s) + 1);
    free(s);
}

static const cJSON *get_array(struct dec *d, const cJSON *o, const char *where, const char *key,
                              size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v == NULL || cJSON_IsNull(v)) return NULL;
    if (!cJSON_IsArray(v) || (size_t)cJSON_GetArraySize(v) > max) {
        dec_fail(d, "%s: \"%s\" must be an array of at most %zu entries", where, key, max);
        return NULL;
    }
    return v;
}

static void decode_renames(struct dec *d, const cJSON *o, const char *where,
                           struct sentinel_master_params *params)
{
    const cJSON *arr = get_array(d, o, where, "renames", 64);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        char *from = get_str(d, e, where, "from", true), *to = get_str(d, e, where, "to", true);
        if (from && to) {
            params->renames =
                xrealloc(params->renames, (params->n_renames + 1) * sizeof(*params->renames));
            params->renames[params->n_renames].from = from;
            params->renames[params->n_renames++].to = to;
        } else {
            free(from);
            free(to);
        }
    }
}

/* An optional enum field by name; absent = 0 (its default); bad = a decode error. */
static int decode_enum(struct dec *d, const cJSON *o, const char *where, const char *key,
                       int (*parse)(const char *), const char *names)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    int got = v == NULL ? 0 : cJSON_IsString(v) ? parse(v->valuestring) : -1;
    if (got < 0) dec_fail(d, "%s: \"%s\" must be %s", where, key, names);
    return got < 0 ? 0 : got;
}

static void decode_promotion_quorum(struct dec *d, const cJSON *o, const char *where,
                                    struct sentinel_master_params *params)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "promotion_quorum");
    params->promotion_quorum = PROMOTION_QUORUM_MAJORITY;
    if (v == NULL) return;
    if (!cJSON_IsString(v) ||
        sentinel_promotion_quorum_parse(v->valuestring, &params->promotion_quorum) != 0)
        dec_fail(d, "%s: \"promotion_quorum\" must be \"majority\", \"off\" or 1..%d", where,
                 PROMOTION_QUORUM_MAX);
}

static void decode_params(struct dec *d, const cJSON *o, const char *where,
                          struct sentinel_master_params *params)
{
    memset(params, 0, sizeof(*params));
    if (o == NULL || !cJSON_IsObject(o)) {
        dec_fail(d, "%s: \"params\" must be an object", where);
        return;
    }
    params->quorum = (int)get_int(d, o, where, "quorum", true, 1, 1000000, 1);
    params->down_after_ms = get_int(d, o, where, "down_after_ms", false, 1, MAX_EXACT_INT, 30000);
    params->failover_timeout_ms =
        get_int(d, o, where, "failover_timeout_ms", false, 1, MAX_EXACT_INT, 180000);
    params->parallel_syncs = (int)get_int(d, o, where, "parallel_syncs", false, 1, 1000000, 1);
    /* Maintenance mode survives a restart: a paused group must not fail over after a reboot. */
    const cJSON *paused = cJSON_GetObjectItemCaseSensitive(o, "failover_paused");
    if (paused != NULL && !cJSON_IsBool(paused))
        dec_fail(d, "%s: \"failover_paused\" must be true or false", where);
    params->failover_paused = cJSON_IsTrue(paused);
    params->failover_pause_epoch =
        (uint64_t)get_int(d, o, where, "failover_pause_epoch", false, 0, MAX_EXACT_INT, 0);
    params->master_reboot_down_after_period_ms =
        get_int(d, o, where, "master_reboot_down_after_period_ms", false, 0, MAX_EXACT_INT, 0);
    /* Both absent from files written before they existed: the defaults then. */
    params->election_spread_ms =
        get_int(d, o, where, "election_spread_ms", false, SENTINEL_ELECTION_SPREAD_MIN_MS,
                SENTINEL_ELECTION_SPREAD_MAX_MS, SENTINEL_ELECTION_SPREAD_DEFAULT_MS);
    params->promotion_order = (enum sentinel_promotion_order)decode_enum(
        d, o, where, "promotion_order", sentinel_promotion_order_parse,
        "\"offset-first\" or \"priority-first\"");
    decode_promotion_quorum(d, o, where, params);
    params->forget_after_ms =
        get_int(d, o, where, "forget_after_ms", false, 0, SENTINEL_FORGET_AFTER_MAX_MS,
                SENTINEL_FORGET_AFTER_DEFAULT_MS);
    params->lease_margin_ms =
        get_int(d, o, where, "lease_margin_ms", false, 0, SENTINEL_LEASE_MARGIN_MAX_MS, 0);
    params->discovery_when_isolated = (enum sentinel_isolated_discovery)decode_enum(
        d, o, where, "discovery_when_isolated", sentinel_isolated_discovery_parse,
        "\"refuse\" or \"answer\"");
    params->auth_pass = get_str(d, o, where, "auth_pass", false);
    params->auth_user = get_str(d, o, where, "auth_user", false);
    params->notification_script = get_str(d, o, where, "notification_script", false);
    params->client_reconfig_script = get_str(d, o, where, "client_reconfig_script", false);
    decode_renames(d, o, where, params);
}

static struct sentinel_state_addr *decode_addrs(struct dec *d, const cJSON *o, const char *where,
                                                const char *key, size_t max, bool with_runid,
                                                size_t *n_out)
{
    const cJSON *arr = get_array(d, o, where, key, max);
    size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0, i = 0;
    struct sentinel_state_addr *a = n ? xcalloc(n, sizeof(*a)) : NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        char w[300];
        snprintf(w, sizeof(w), "%s.%s[%zu]", where, key, i);
        a[i].host = get_str(d, e, w, "host", true);
        a[i].port = (int)get_int(d, e, w, "port", true, 0, 65535, 0);
        if (with_runid) get_runid(d, e, w, "runid", false, a[i].runid);
        if (a[i].host == NULL) a[i].host = xstrdup("");
        i++;
    }
    *n_out = n;
    return a;
}

static void decode_master(struct dec *d, const cJSON *o, size_t idx,
                          struct sentinel_state_master *sm)
{
    char where[64];
    snprintf(where, sizeof(where), "masters[%zu]", idx);
    memset(sm, 0, sizeof(*sm));
    if (!cJSON_IsObject(o)) dec_fail(d, "%s: must be an object", where);
    sm->name = get_str(d, o, where, "name", true);
    sm->host = get_str(d, o, where, "host", true);
    if (sm->name == NULL) sm->name = xstrdup("");
    if (sm->host == NULL) sm->host = xstrdup("");
    if (!d->failed && (sm->name[0] == '\0' || strlen(sm->name) > INSTANCE_NAME_MAX))
        dec_fail(d, "%s: bad master name", where);
    sm->port = (int)get_int(d, o, where, "port", true, 0, 65535, 0);
    sm->config_epoch = (uint64_t)get_int(d, o, where, "config_epoch", false, 0, MAX_EXACT_INT, 0);
    get_runid(d, o, where, "leader", true, sm->leader);
    sm->leader_epoch = (uint64_t)get_int(d, o, where, "leader_epoch", false, 0, MAX_EXACT_INT, 0);
    decode_params(d, cJSON_GetObjectItemCaseSensitive(o, "params"), where, &sm->params);
    sm->replicas =
        decode_addrs(d, o, where, "replicas", INSTANCE_MAX_REPLICAS, false, &sm->n_replicas);
    sm->sentinels =
        decode_addrs(d, o, where, "sentinels", INSTANCE_MAX_SENTINELS, true, &sm->n_sentinels);
}

static void decode_meta(struct dec *d, const cJSON *root, struct state_file_meta *meta)
{
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(root, "config_masters");
    if (cm == NULL || cJSON_IsNull(cm)) return;
    if (!cJSON_IsObject(cm)) {
        dec_fail(d, "\"config_masters\" must be an object");
        return;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, cm)
    {
        if (!cJSON_IsString(e) || e->string == NULL) {
            dec_fail(d, "config_masters: values must be strings");
            return;
        }
        meta_add(meta, e->string, e->valuestring);
    }
}

static void decode_options(struct dec *d, const cJSON *root, struct runtime_config *rc)
{
    const cJSON *co = cJSON_GetObjectItemCaseSensitive(root, "config_options");
    if (co == NULL || cJSON_IsNull(co)) return;
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(co, "fingerprint");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(co, "values");
    if (!cJSON_IsObject(co) || !cJSON_IsString(fp) || !cJSON_IsObject(values)) {
        dec_fail(d, "\"config_options\" must be an object with a \"fingerprint\" string and "
                    "a \"values\" object");
        return;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, values)
    {
        if (!cJSON_IsString(e) || e->string == NULL) {
            dec_fail(d, "config_options.values: values must be strings");
            return;
        }
        if (!runtime_config_add(rc, e->string, e->valuestring)) {
            dec_fail(d, "config_options.values: more than %d settings", RUNTIME_CONFIG_MAX);
            return;
        }
    }
    rc->fingerprint = xstrdup(fp->valuestring);
}

static void decode_root(struct dec *d, const cJSON *root, struct sentinel_state *st,
                        struct state_file_meta *meta)
{
    if (!cJSON_IsObject(root)) {
        dec_fail(d, "the top level must be an object");
        return;
    }
    long long version = get_int(d, root, "state", "version", true, 1, 1000000, 0);
    if (!d->failed && version != STATE_FILE_VERSION) {
        dec_fail(d, "unsupported version %lld (this program reads version %d)", version,
                 STATE_FILE_VERSION);
        return;
    }
    get_runid(d, root, "state", "myid", false, st->myid);
    st->current_epoch =
        (uint64_t)get_int(d, root, "state", "current_epoch", true, 0, MAX_EXACT_INT, 0);
    const cJSON *masters = get_array(d, root, "state", "masters", SENTINEL_MAX_MASTERS);
    size_t n = masters ? (size_t)cJSON_GetArraySize(masters) : 0;
    st->masters = n ? xcalloc(n, sizeof(*st->masters)) : NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, masters)
    {
        decode_master(d, e, st->n_masters, &st->masters[st->n_masters]);
        st->n_masters++;
    }
    for (size_t i = 0; i < st->n_masters && !d->failed; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(st->masters[i].name, st->masters[j].name) == 0)
                dec_fail(d, "masters[%zu]: duplicate master name \"%s\"", i, st->masters[i].name);
    decode_meta(d, root, meta);
    if (!d->failed) decode_options(d, root, &meta->options);
}

int state_file_decode(const char *text, size_t len, struct sentinel_state *st,
                      struct state_file_meta *meta, char *err, size_t errlen)
{
    memset(st, 0, sizeof(*st));
    memset(meta, 0, sizeof(*meta));
    struct dec d = {.err = err, .errlen = errlen, .failed = false};
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (root == NULL) {
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        dec_fail(&d, "not valid JSON (at byte %zu%s)", off,
                 off + 2 >= len ? ", the file looks truncated" : "");
    } else {
        decode_root(&d, root, st, meta);
        cJSON_Delete(root);
    }
    if (!d.failed) return 0;
    sentinel_state_free(st);
    state_file_meta_free(meta);
    return -1;
}

/* ---- files ---------------------------------------------------------------------------------- */

int state_file_load(const char *path, struct sentinel_state *st, struct state_file_meta *meta,
                    char *err, size_t errlen)
{
    memset(st, 0, sizeof(*st));
    memset(meta, 0, sizeof(*meta));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 0;
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (off_t)STATE_FILE_MAX_BYTES) {
        snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path,
                 STATE_FILE_MAX_BYTES);
        close(fd);
        return -1;
    }
    size_t size = (size_t)sb.st_size, got = 0;
    char *text = xmalloc(size + 1);
    while (got < size) {
        ssize_t r = read(fd, text + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != size) {
        snprintf(err, errlen, "%s: cannot read: short read", path);
        free(text);
        return -1;
    }
    text[size] = '\0';
    char why[400];
    int rc = state_file_decode(text, size, st, meta, why, sizeof(why));
    free(text);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 1;
}

int state_file_write_text(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    return atomic_file_write(path, text, len, 0600, err, errlen);
}

int state_file_write(const char *path, const struct sentinel_state *st,
                     const struct state_file_meta *meta, char *err, size_t errlen)
{
    char *text = state_file_encode(st, meta);
    int rc = state_file_write_text(path, text, strlen(text), err, errlen);
    free(text);
    return rc;
}

int state_file_lock_dir(const char *dir, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/sentinel-state.lock", dir && dir[0] ? dir : ".");
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600); /* see atomic_file.h */
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "%s: %s", path,
                 errno == EWOULDBLOCK ? "another vigil-sentinel uses this directory"
                                      : strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
