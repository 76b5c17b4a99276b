/* cmd_admin: server administration: INFO, CONFIG, DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, TIME,
 * MONITOR, DEBUG and COMMAND (SAVE, LASTSAVE and SHUTDOWN live in cmd_persist.c). CONFIG
 * REWRITE writes the runtime overrides to <dir>/vigil-store.overrides.yaml and never touches
 * the operator's file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/acl.h"
#include "common/conn_command.h"
#include "common/log.h"
#include "common/util.h"
#include "store/acl.h"
#include "store/persist/aof.h"
#include "store/client.h"
#include "store/db.h"
#include "store/evict.h"
#include "store/command.h"
#include "store/latency.h"
#include "store/lazyfree.h"
#include "store/notify.h"
#include "store/tracking.h"
#include "store/persist/rdb_save.h"
#include "store/info.h"
#include "store/persist/digest.h"
#include "store/persist/persist_load.h"
#include "store/persist/rdb_file.h"
#include "store/propagate.h"
#include "store/rdb/rdb.h"
#include "store/reply.h"
#include "store/repl/repl.h"
#include "store/server_tls.h"

#define OVERRIDES_FILE "vigil-store.overrides.yaml"

static void cmd_info(struct client *c)
{
    struct buf out;
    buf_init(&out);
    info_render(c->srv, c->argv + 1, c->argc - 1, &out);
    reply_verbatim(c, out.data ? out.data : "", out.len);
    buf_free(&out);
}

static void cmd_dbsize(struct client *c)
{
    reply_integer(c, (long long)ks_count(c->srv->db[c->db]));
}

/* 0 SYNC (the default, as Redis 7.0 with lazyfree-lazy-user-flush no), 1 ASYNC, -1 replied. */
static int parse_flush_mode(struct client *c)
{
    if (c->argc == 1) return 0;
    if (c->argc == 2 && arg_is(&c->argv[1], "SYNC")) return 0;
    if (c->argc == 2 && arg_is(&c->argv[1], "ASYNC")) return 1;
    reply_error(c, ERR_SYNTAX);
    return -1;
}

/* ASYNC: the database's contents move to a fresh keyspace that the lazyfree thread destroys,
 * so the reply does not wait for millions of frees. */
static void flush_db(struct server *srv, int db, bool async)
{
    srv->dirty += (long long)ks_count(srv->db[db]);
    struct ks *old = async && ks_count(srv->db[db]) > 0 ? ks_create(0) : NULL;
    if (old) {
        ks_swap(srv->db[db], old);
        if (!lazyfree_ks(srv->lazyfree, old)) ks_destroy(old);
    } else {
        ks_flush(srv->db[db]);
    }
    server_db_modified(srv, db);
}

static void cmd_flushdb(struct client *c)
{
    int mode = parse_flush_mode(c);
    if (mode < 0) return;
    flush_db(c->srv, c->db, mode == 1);
    tracking_flush(c->srv);
    c->srv->dirty++;
    reply_ok(c);
}

static void cmd_flushall(struct client *c)
{
    int mode = parse_flush_mode(c);
    if (mode < 0) return;
    for (int i = 0; i < c->srv->ndb; i++) flush_db(c->srv, i, mode == 1);
    tracking_flush(c->srv);
    rdb_save_after_flushall(c->srv);
    c->srv->dirty++;
    reply_ok(c);
}

static void cmd_swapdb(struct client *c)
{
    long long a, b;
    if (util_parse_ll(c->argv[1].ptr, c->argv[1].len, &a) != 0) {
        reply_error(c, "ERR invalid first DB index");
        return;
    }
    if (util_parse_ll(c->argv[2].ptr, c->argv[2].len, &b) != 0) {
        reply_error(c, "ERR invalid second DB index");
        return;
    }
    if (a < 0 || a >= c->srv->ndb || b < 0 || b >= c->srv->ndb) {
        reply_error(c, ERR_DB_INDEX);
        return;
    }
    if (a != b) {
        ks_swap(c->srv->db[a], c->srv->db[b]);
        server_db_modified(c->srv, (int)a);
        server_db_modified(c->srv, (int)b);
        c->srv->dirty++;
    }
    reply_ok(c);
}

static void cmd_time(struct client *c)
{
    int64_t us = clock_wall_us();
    reply_array(c, 2);
    reply_bulk_ll(c, us / 1000000);
    reply_bulk_ll(c, us % 1000000);
}

static void cmd_monitor(struct client *c)
{
    struct server *srv = c->srv;
    if (c->flags & (CLIENT_REPLICA | CLIENT_MONITOR)) return;
    srv->monitor_list =
        xrealloc(srv->monitor_list, (srv->nmonitors + 1) * sizeof *srv->monitor_list);
    srv->monitor_list[srv->nmonitors++] = c;
    c->flags |= CLIENT_MONITOR;
    reply_ok(c);
}

/* ---- CONFIG ---- */

/* One CONFIG GET reply: Redis 7.0 lists each name once however many patterns match it. */
struct config_get_reply {
    struct client *c;
    char **names; /* copies of the names already in the reply */
    size_t n, cap;
};

static void config_get_add(struct config_get_reply *r, const char *name, const char *value)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcasecmp(r->names[i], name) == 0) return;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->names = xrealloc(r->names, r->cap * sizeof *r->names);
    }
    r->names[r->n++] = xstrdup(name);
    reply_bulk_str(r->c, name);
    reply_bulk_str(r->c, value);
}

static void config_get_visit(const char *key, const char *value, void *ud)
{
    config_get_add(ud, key, value);
}

/* CONFIG GET as Redis 7.0: a pattern without glob characters is looked up by name (aliases too)
 * and answered under the name as the caller wrote it; a glob lists every matching name. */
static void config_get(struct client *c)
{
    struct config_get_reply r = {.c = c};
    size_t handle = reply_deferred_begin(c);
    struct buf value;
    buf_init(&value);
    for (size_t i = 2; i < c->argc; i++) {
        char pat[256];
        snprintf(pat, sizeof pat, "%.*s", (int)MIN(c->argv[i].len, sizeof pat - 1), c->argv[i].ptr);
        if (strpbrk(pat, "*?[")) {
            cfg_get_matching(&store_config_schema, &c->srv->cfg, pat, config_get_visit, &r);
            continue;
        }
        buf_clear(&value);
        if (cfg_get(&store_config_schema, &c->srv->cfg, pat, &value) == 0)
            config_get_add(&r, pat, value.data ? value.data : "");
    }
    buf_free(&value);
    reply_deferred_map(c, handle, r.n);
    for (size_t i = 0; i < r.n; i++) free(r.names[i]);
    free(r.names);
}

static int config_apply_side_effects(struct server *srv, const char *key, char *err, size_t errlen)
{
    if (strcasecmp(key, "client-output-buffer-limit") == 0)
        return store_config_apply_obuf(&srv->cfg, err, errlen);
    server_apply_config(srv);
    return 0;
}

/* An integer setting's refusal in Redis's words (clients and tests match them). */
static void config_int_error_as_redis(const char *key, const char *value, char *err, size_t errlen)
{
    const struct cfg_field *f = cfg_find(&store_config_schema, key);
    if (f && (f->flags & CFG_F_IMMUTABLE))
        snprintf(err, errlen, "can't set immutable config");
    else if (f && f->type == CFG_BOOL)
        snprintf(err, errlen, "argument must be 'yes' or 'no'");
    if (!f || f->type != CFG_INT) return;
    long long v;
    if (util_parse_ll(value, strlen(value), &v) != 0)
        snprintf(err, errlen, "argument couldn't be parsed into an integer");
    else if (v < f->min || v > f->max)
        snprintf(err, errlen, "argument must be between %lld and %lld inclusive", f->min, f->max);
}

/* One pair of CONFIG SET; 0, -1 (nothing changed) or -2 (set, but its side effect failed), with
 * Redis's reason in err. TLS keys only mark *tls_key: the certificates reload once, after all
 * pairs (a certificate and its key change together). */
static int config_set_one(struct server *srv, const char *key, const char *value, char *err,
                          size_t errlen, const char **tls_key)
{
    int rc = evict_config_check(key, value, err, errlen); /* Redis's texts */
    if (rc == 0) rc = aof_config_check(key, value, err, errlen);
    if (rc == 0) {
        rc = cfg_set(&store_config_schema, &srv->cfg, key, value, err, errlen);
        if (rc != 0) config_int_error_as_redis(key, value, err, errlen);
        if (rc != 0 && strcasecmp(key, "save") == 0)
            snprintf(err, errlen, "Invalid save parameters"); /* Redis's text */
        if (rc != 0 && strcasecmp(key, "notify-keyspace-events") == 0)
            snprintf(err, errlen, "%s", NOTIFY_BAD_CLASS_TEXT);
    }
    if (rc == 0 && tls_settings_is_context_key(key))
        *tls_key = cfg_find(&store_config_schema, key)->key;
    else if (rc == 0 && config_apply_side_effects(srv, key, err, errlen) != 0)
        rc = -2;
    return rc;
}

/* The values the first n pairs had before this CONFIG SET, put back in reverse order. */
static void config_set_undo(struct server *srv, struct client *c, struct buf *old, size_t n)
{
    char err[256];
    const char *tls_key = NULL;
    for (size_t k = n; k-- > 0;) {
        char key[128];
        size_t i = 2 + 2 * k;
        snprintf(key, sizeof key, "%.*s", (int)MIN(c->argv[i].len, sizeof key - 1), c->argv[i].ptr);
        if (config_set_one(srv, key, old[k].data ? old[k].data : "", err, sizeof err, &tls_key))
            log_warning("CONFIG SET: could not put %s back after a failed change: %s", key, err);
    }
    if (tls_key && server_tls_reload(srv, err, sizeof err) != 0)
        log_warning("CONFIG SET: could not reload the previous TLS settings: %s", err);
}

static void config_set_reply_error(struct client *c, const char *key, const char *err)
{
    if (!cfg_find(&store_config_schema, key))
        reply_errorf(c, "ERR Unknown option or number of arguments for CONFIG SET - '%s'", key);
    else
        reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", key, err);
}

/* Settings that name files: a client that can change them can make the server write where it
 * likes, so CONFIG SET refuses them unless enable-protected-configs allows this client, as Redis
 * 7.0 (docs/acl.md#safe-defaults). */
static int config_protected_check(struct client *c, const char *key, char *err, size_t errlen)
{
    static const char *const protected_keys[] = {"dir", "dbfilename"};
    for (size_t i = 0; i < ARRAY_LEN(protected_keys); i++) {
        if (strcasecmp(key, protected_keys[i]) != 0) continue;
        if (store_acl_setting_allows(c->srv->cfg.enable_protected_configs, c)) return 0;
        snprintf(err, errlen, "can't set protected config");
        return -1;
    }
    return 0;
}

/* Redis's first pass over the names, before any value is looked at: an unknown name, one given
 * twice, or an immutable one fails the whole command. The failing name goes to key. */
static int config_set_check_names(struct client *c, char *key, size_t keylen, char *err,
                                  size_t errlen)
{
    for (size_t i = 2; i < c->argc; i += 2) {
        snprintf(key, keylen, "%.*s", (int)MIN(c->argv[i].len, keylen - 1), c->argv[i].ptr);
        const struct cfg_field *f = cfg_find(&store_config_schema, key);
        if (!f) return -1;
        if (config_protected_check(c, key, err, errlen) != 0) return -1; /* before immutable */
        if (f->flags & CFG_F_IMMUTABLE) {
            snprintf(err, errlen, "can't set immutable config");
            return -1;
        }
        for (size_t j = 2; j < i; j += 2) {
            char prev[128];
            snprintf(prev, sizeof prev, "%.*s", (int)MIN(c->argv[j].len, sizeof prev - 1),
                     c->argv[j].ptr);
            if (cfg_find(&store_config_schema, prev) == f) {
                snprintf(err, errlen, "duplicate parameter");
                return -1;
            }
        }
    }
    return 0;
}

/* All or nothing, as Redis 7.0: the names are checked first; then the pairs apply in order, and
 * when one fails, the ones before it are put back (with their side effects) and the reply names
 * the failing one. */
static void config_set(struct client *c)
{
    if ((c->argc - 2) % 2 != 0) {
        command_reply_arity(c, "config|set");
        return;
    }
    char key[128], err[256] = "";
    if (config_set_check_names(c, key, sizeof key, err, sizeof err) != 0) {
        config_set_reply_error(c, key, err);
        return;
    }
    size_t npairs = (c->argc - 2) / 2;
    struct buf *old = xcalloc(npairs, sizeof *old);
    const char *tls_key = NULL;
    int rc = 0;
    for (size_t k = 0; k < npairs && rc == 0; k++) {
        size_t i = 2 + 2 * k;
        snprintf(key, sizeof key, "%.*s", (int)MIN(c->argv[i].len, sizeof key - 1), c->argv[i].ptr);
        buf_init(&old[k]);
        (void)cfg_get_unredacted(&store_config_schema, &c->srv->cfg, key, &old[k]);
        char *value = xstrndup(c->argv[i + 1].ptr, c->argv[i + 1].len);
        rc = config_set_one(c->srv, key, value, err, sizeof err, &tls_key);
        free(value);
        if (rc != 0) config_set_undo(c->srv, c, old, rc == -2 ? k + 1 : k);
    }
    if (rc == 0 && tls_key && server_tls_reload(c->srv, err, sizeof err) != 0) {
        snprintf(key, sizeof key, "%s", tls_key);
        config_set_undo(c->srv, c, old, npairs);
        rc = -1;
    }
    for (size_t k = 0; k < npairs; k++) buf_free(&old[k]);
    free(old);
    if (rc != 0)
        config_set_reply_error(c, key, err);
    else
        reply_ok(c);
}

/* Write the runtime overrides next to the data, atomically and durably (atomic_file.h). */
static int config_rewrite_file(struct server *srv, char *err, size_t errlen)
{
    struct buf yaml;
    buf_init(&yaml);
    buf_append_str(
        &yaml, "# Written by CONFIG REWRITE: runtime changes applied on top of the config file.\n");
    cfg_write_yaml(&store_config_schema, &srv->cfg, NULL, 0,
                   CFG_WRITE_NON_DEFAULT | CFG_WRITE_SECRETS, &yaml);
    /* The role is always written, also as master (""): the overrides load on top of the config
     * file, and a promoted node whose file still names its old master must restart as master,
     * not follow a node that may be a deposed master still taking writes. */
    if (!srv->cfg.replicaof || !srv->cfg.replicaof[0]) {
        static const char *const role_key[] = {"replicaof"};
        cfg_write_yaml(&store_config_schema, &srv->cfg, role_key, 1, CFG_WRITE_SECRETS, &yaml);
    }
    /* The process runs inside `dir` (main chdir'ed there), so the file name is relative. */
    char detail[512];
    int rc = atomic_file_write(OVERRIDES_FILE, yaml.data, yaml.len, 0600, detail, sizeof detail);
    if (rc != 0) {
        int saved = errno;
        log_warning("CONFIG REWRITE failed: %s", detail);
        snprintf(err, errlen, "Rewriting config file: %s", strerror(saved));
    }
    buf_free(&yaml);
    return rc;
}

static void config_rewrite(struct client *c)
{
    char err[512];
    if (config_rewrite_file(c->srv, err, sizeof err) != 0) {
        reply_errorf(c, "ERR %s", err);
        return;
    }
    log_notice("CONFIG REWRITE executed with success.");
    reply_ok(c);
}

static void config_resetstat(struct client *c)
{
    memset(&c->srv->stats, 0, sizeof c->srv->stats);
    for (size_t i = 0; i < command_count(); i++) {
        struct command *cmd = command_at(i);
        cmd->calls = cmd->usec = cmd->rejected_calls = cmd->failed_calls = 0;
    }
    command_reset_substats();
    latency_reset_histograms(c->srv);
    reply_ok(c);
}

static void config_help(struct client *c)
{
    static const char *const lines[] = {
        "CONFIG <subcommand> [<argument> ...], with <subcommand> one of:",
        "GET <pattern> [<pattern> ...]",
        "    The settings whose names match any of the glob patterns, with their values.",
        "SET <name> <value> [<name> <value> ...]",
        "    Change settings at run time (README.md lists which ones CONFIG SET accepts).",
        "RESETSTAT",
        "    Zero the counters INFO shows: server totals, per-command calls and histograms.",
        "REWRITE",
        "    Write the settings changed at run time to <dir>/vigil-store.overrides.yaml,",
        "    read back at the next start (the operator's config file is never touched).",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command config_subs[] = {
    {.name = "get", .arity = -3, .fn = config_get},
    {.name = "set", .arity = -4, .fn = config_set},
    {.name = "rewrite", .arity = 2, .fn = config_rewrite},
    {.name = "resetstat", .arity = 2, .fn = config_resetstat},
    {.name = "help", .arity = 2, .fn = config_help},
    {.name = NULL},
};

static void cmd_config(struct client *c) { command_dispatch_sub(c, config_subs, "config"); }

/* ---- DEBUG ---- */

static void debug_sleep(struct client *c)
{
    double secs;
    if (arg_double(c, &c->argv[2], &secs) != 0) return;
    if (secs > 0) usleep((useconds_t)(secs * 1e6)); /* blocking on purpose: simulates a stall */
    reply_ok(c);
}

static void debug_populate(struct client *c)
{
    long long count, size = -1;
    if (arg_ll_range(c, &c->argv[2], 0, 1LL << 40, "ERR count is out of range", &count) != 0)
        return;
    const char *prefix = "key";
    size_t plen = 3;
    if (c->argc >= 4) {
        prefix = c->argv[3].ptr;
        plen = c->argv[3].len;
    }
    if (c->argc == 5 &&
        arg_ll_range(c, &c->argv[4], 0, 1LL << 30, "ERR size is out of range", &size) != 0)
        return;
    struct ks *ks = c->srv->db[c->db];
    char key[512], val[128];
    char *big = size > (long long)sizeof val ? xcalloc(1, (size_t)size) : NULL;
    int64_t now = server_now_ms(c->srv);
    for (long long i = 0; i < count; i++) {
        int klen = snprintf(key, sizeof key, "%.*s:%lld", (int)MIN(plen, 400), prefix, i);
        if (ks_find(ks, key, (size_t)klen)) continue;
        int vlen = snprintf(val, sizeof val, "value:%lld", i);
        const char *v = val;
        if (size >= 0) {
            char *dst = big ? big : val;
            if (!big)
                memset(val + vlen, 0, sizeof val - (size_t)vlen);
            else
                memcpy(big, val, (size_t)vlen);
            v = dst;
            vlen = (int)size;
        }
        ks_set_string(ks, key, (size_t)klen, v, (size_t)vlen, KS_NO_EXPIRE, 0, now);
    }
    free(big);
    c->srv->dirty += count;
    propagate_none(c); /* a debugging aid, as in Redis: not replicated */
    reply_ok(c);
}

/* Bytes of Redis's RDB length prefix for n. */
static size_t rdb_len_bytes(size_t n)
{
    if (n < 64) return 1;
    if (n < 16384) return 2;
    return n <= UINT32_MAX ? 5 : 9;
}

/* DEBUG OBJECT's serializedlength: exact for strings stored uncompressed (integers in their
 * 8/16/32-bit RDB forms, other strings length-prefixed); Redis compresses strings over 20
 * bytes with LZF, which we do not, and other types are given as their memory usage. */
static size_t debug_serialized_len(const struct ks_entry *e)
{
    if (ks_entry_type(e) != KS_TYPE_STRING) return ks_entry_mem_usage(e);
    long long v;
    char buf[KS_INT_BUF];
    size_t len;
    const char *s = ks_str_get(e, buf, &len);
    if (len <= 11 && util_parse_ll(s, len, &v) == 0) {
        char canon[KS_INT_BUF];
        if ((size_t)snprintf(canon, sizeof canon, "%lld", v) == len) {
            if (v >= INT8_MIN && v <= INT8_MAX) return 2;
            if (v >= INT16_MIN && v <= INT16_MAX) return 3;
            if (v >= INT32_MIN && v <= INT32_MAX) return 5;
        }
    }
    return rdb_len_bytes(len) + len;
}

/* The fields clients read: encoding, refcount, lru (the raw access bits: the LRU clock, or in
 * LFU mode minutes and counter), lru_seconds_idle. */
static void debug_object(struct client *c)
{
    struct ks_entry *e = db_lookup_peek(c, &c->argv[2]);
    if (!e) {
        reply_error(c, ERR_NO_SUCH_KEY);
        return;
    }
    long long v;
    bool shared = ks_str_get_int(e, &v) && v >= 0 && v < 10000; /* as OBJECT REFCOUNT */
    char line[256];
    snprintf(line, sizeof line,
             "Value at:%p refcount:%d encoding:%s serializedlength:%zu lru:%u "
             "lru_seconds_idle:%lld",
             (void *)e, shared ? 2147483647 : 1, ks_entry_encoding(e), debug_serialized_len(e),
             ks_entry_access_bits(e), (long long)ks_entry_idle_s(db_ks(c), e));
    reply_simple(c, line);
}

/* DEBUG DIGEST: the whole dataset (store/persist/digest.h; our own function, not Redis's). */
static void debug_digest(struct client *c)
{
    uint8_t d[DIGEST_LEN];
    char hex[DIGEST_HEX_LEN + 1];
    digest_dataset(c->srv->db, c->srv->ndb, d);
    digest_hex(d, hex);
    reply_simple(c, hex);
}

/* DEBUG DIGEST-VALUE key ...: one digest per key, zeros for a missing one. */
static void debug_digest_value(struct client *c)
{
    reply_array(c, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        uint8_t d[DIGEST_LEN] = {0};
        char hex[DIGEST_HEX_LEN + 1];
        struct ks_entry *e = db_lookup_peek(c, &c->argv[i]);
        if (e) digest_entry(e, d);
        digest_hex(d, hex);
        reply_simple(c, hex);
    }
}

/* DEBUG RELOAD [NOSAVE]: save the dataset to the dump file, then load it back in its place
 * (as Redis: every value goes through the RDB codec both ways). */
static void debug_reload(struct client *c)
{
    struct server *srv = c->srv;
    bool is_saving = true;
    for (size_t i = 2; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "nosave")) {
            is_saving = false;
        } else if (arg_is(&c->argv[i], "noflush") || arg_is(&c->argv[i], "merge")) {
            reply_error(c, "ERR DEBUG RELOAD NOFLUSH and MERGE are not supported by vigil-store");
            return;
        } else {
            reply_error(c, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    char err[PATH_MAX + 512];
    if (is_saving) {
        struct rdb_aux aux;
        repl_rdb_aux(srv, repl_offset(srv), &aux);
        if (rdb_file_save(srv, srv->cfg.dbfilename, &aux, err, sizeof err) != 0) {
            log_warning("DEBUG RELOAD: %s", err);
            reply_error(c, "ERR Error trying to save the RDB dump, check server logs.");
            return;
        }
    }
    if (persist_load_file_now(srv, srv->cfg.dbfilename, err, sizeof err) != 0) {
        log_warning("DEBUG RELOAD: %s", err);
        reply_error(c, "ERR Error trying to load the RDB dump, check server logs.");
        return;
    }
    log_notice("DB reloaded by DEBUG RELOAD");
    reply_ok(c);
}

static const struct command debug_subs[] = {
    {.name = "digest", .arity = 2, .fn = debug_digest},
    {.name = "digest-value", .arity = -2, .fn = debug_digest_value},
    {.name = "reload", .arity = -2, .fn = debug_reload},
    {.name = "sleep", .arity = 3, .fn = debug_sleep},
    {.name = "object", .arity = 3, .fn = debug_object},
    {.name = "populate", .arity = -3, .fn = debug_populate},
    {.name = NULL},
};

static void cmd_debug(struct client *c)
{
    if (!store_acl_setting_allows(c->srv->cfg.enable_debug_command, c)) {
        reply_error(c,
                    "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
                    "\"local\", you can run it from a local connection, otherwise you need to set "
                    "this option in the configuration file, and then restart the server.");
        return;
    }
    command_dispatch_sub(c, debug_subs, "debug");
}

/* ---- COMMAND ---- */

/* COMMAND itself is common/conn_command.c; the store describes its table to it. The store's
 * rows carry ACL categories (command_meta.c) but no tips, since or complexity yet, and a
 * subcommand shows its family's flags (the subcommand tables carry only what dispatch needs). */

static unsigned command_desc_flags(unsigned flags)
{
    static const struct {
        unsigned bit, conn_bit;
    } map[] = {
        {CMD_WRITE, CONN_CMDF_WRITE},       {CMD_READONLY, CONN_CMDF_READONLY},
        {CMD_DENYOOM, CONN_CMDF_DENYOOM},   {CMD_ADMIN, CONN_CMDF_ADMIN},
        {CMD_PUBSUB, CONN_CMDF_PUBSUB},     {CMD_NOSCRIPT, CONN_CMDF_NOSCRIPT},
        {CMD_BLOCKING, CONN_CMDF_BLOCKING}, {CMD_LOADING, CONN_CMDF_LOADING},
        {CMD_STALE, CONN_CMDF_STALE},       {CMD_FAST, CONN_CMDF_FAST},
        {CMD_NO_AUTH, CONN_CMDF_NO_AUTH},   {CMD_NO_MULTI, CONN_CMDF_NO_MULTI},
    };
    unsigned out = 0;
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (flags & map[i].bit) out |= map[i].conn_bit;
    return out;
}

static void command_desc_fill(const struct command *cmd, const struct command *family,
                              struct conn_command_desc *out)
{
    size_t id = command_acl_index(family, cmd == family ? NULL : cmd);
    *out = (struct conn_command_desc){
        .acl = command_acl_catalog()->cmds[id].categories,
        .id = id,
        .has_key_finder = command_has_key_finder(id),
        .is_movable = command_has_movable_keys(id),
        .name = cmd->name,
        .arity = cmd->arity,
        .flags = command_desc_flags(family->flags),
        .first_key = cmd->first_key,
        .last_key = cmd->last_key,
        .key_step = cmd->key_step,
        .summary = cmd->summary ? cmd->summary : "",
        .group = family->group ? family->group : "generic",
    };
}

static size_t command_src_count(void) { return command_count(); }

static void command_src_at(size_t i, struct conn_command_desc *out)
{
    command_desc_fill(command_at(i), command_at(i), out);
}

static size_t command_src_sub_count(size_t i)
{
    size_t n = 0;
    for (const struct command *s = command_at(i)->subcommands; s && s->name; s++) n++;
    return n;
}

static void command_src_sub_at(size_t i, size_t k, struct conn_command_desc *out)
{
    const struct command *family = command_at(i);
    command_desc_fill(&family->subcommands[k], family, out);
}

static int command_src_getkeys(const struct conn_command_desc *d, size_t argc,
                               const struct resp_arg *argv, size_t *pos)
{
    struct command_key *keys = xcalloc(argc, sizeof(*keys));
    int n = command_get_keys(d->id, argc, argv, keys);
    for (int i = 0; i < n; i++) pos[i] = keys[i].pos;
    free(keys);
    return n;
}

static const char *const command_help_lines[] = {
    "COMMAND <subcommand> [<argument> ...], with <subcommand> one of:",
    "(no subcommand)",
    "    Details of every command.",
    "COUNT",
    "    How many commands this server has.",
    "DOCS [<command-name> ...]",
    "    Short documentation of the commands.",
    "GETKEYS <command> [<arg> ...]",
    "    The key arguments of a full command line.",
    "GETKEYSANDFLAGS <command> [<arg> ...]",
    "    The key arguments of a full command line, each with its access flags.",
    "INFO [<command-name> ...]",
    "    Details of the named commands.",
    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    The names of the commands, subcommands included.",
    "HELP",
    "    Show this list.",
};

static const struct conn_command_source command_source = {
    .count = command_src_count,
    .at = command_src_at,
    .sub_count = command_src_sub_count,
    .sub_at = command_src_sub_at,
    .help = command_help_lines,
    .help_lines = ARRAY_LEN(command_help_lines),
    .getkeys = command_src_getkeys,
};

/* A common COMMAND handler (common/conn_command.c) as a handler of the store's tables. */
#define COMMAND_FROM_CONN(name, fn)                                                                \
    static void name(struct client *c) { fn(&c->conn, &command_source, c->argc, c->argv); }

COMMAND_FROM_CONN(command_count_sub, conn_command_count)
COMMAND_FROM_CONN(command_list, conn_command_list)
COMMAND_FROM_CONN(command_info, conn_command_info)
COMMAND_FROM_CONN(command_docs, conn_command_docs)
COMMAND_FROM_CONN(command_getkeys, conn_command_getkeys)
COMMAND_FROM_CONN(command_getkeysandflags, conn_command_getkeysandflags)
COMMAND_FROM_CONN(command_help, conn_command_help)
COMMAND_FROM_CONN(command_all, conn_command_all)

static const struct command command_subs[] = {
    {.name = "count", .arity = 2, .fn = command_count_sub},
    {.name = "list", .arity = -2, .fn = command_list},
    {.name = "info", .arity = -2, .fn = command_info},
    {.name = "docs", .arity = -2, .fn = command_docs},
    {.name = "getkeys", .arity = -4, .fn = command_getkeys},
    {.name = "getkeysandflags", .arity = -4, .fn = command_getkeysandflags},
    {.name = "help", .arity = 2, .fn = command_help},
    {.name = NULL},
};

static void cmd_command(struct client *c)
{
    if (c->argc == 1)
        command_all(c);
    else
        command_dispatch_sub(c, command_subs, "command");
}

struct command cmd_table_admin[] = {
    {.name = "info",
     .arity = -1,
     .flags = CMD_LOADING | CMD_STALE,
     .fn = cmd_info,
     .group = "server"},
    {.name = "dbsize",
     .arity = 1,
     .flags = CMD_READONLY | CMD_FAST,
     .fn = cmd_dbsize,
     .group = "server"},
    {.name = "flushdb", .arity = -1, .flags = CMD_WRITE, .fn = cmd_flushdb, .group = "server"},
    {.name = "flushall", .arity = -1, .flags = CMD_WRITE, .fn = cmd_flushall, .group = "server"},
    {.name = "swapdb",
     .arity = 3,
     .flags = CMD_WRITE | CMD_FAST,
     .fn = cmd_swapdb,
     .group = "server"},
    {.name = "time",
     .arity = 1,
     .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .fn = cmd_time,
     .group = "server"},
    {.name = "monitor",
     .arity = 1,
     .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE | CMD_NO_MULTI,
     .fn = cmd_monitor,
     .group = "server"},
    {.name = "config",
     .arity = -2,
     .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE,
     .fn = cmd_config,
     .subcommands = config_subs,
     .group = "server"},
    {.name = "debug",
     .arity = -2,
     .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE,
     .fn = cmd_debug,
     .subcommands = debug_subs,
     .group = "server"},
    {.name = "command",
     .arity = -1,
     .flags = CMD_LOADING | CMD_STALE,
     .fn = cmd_command,
     .subcommands = command_subs,
     .group = "server"},
    {.name = NULL},
};

int server_rewrite_overrides(struct server *srv, char *err, size_t errlen)
{
    return config_rewrite_file(srv, err, errlen);
}
