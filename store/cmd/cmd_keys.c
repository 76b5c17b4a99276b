/* cmd_keys: the generic key commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN, RANDOMKEY,
 * RENAME, RENAMENX, COPY, MOVE and OBJECT. (Expiry commands are in cmd_expire.c.)
 *
 * Replies follow Redis 7.0 byte for byte. KEYS and SCAN list keys in our table's order, which
 * differs from Redis's (a different hash function): clients must not (and do not) rely on it.
 * SCAN keeps Redis's contract: a full iteration reports every key present throughout, and
 * COUNT bounds the work of one call (COUNT keys collected, or COUNT*10 bucket visits).
 *
 * UNLINK removes keys as DEL does but hands big values (more than LAZYFREE_MIN_EFFORT elements) to
 * the lazyfree thread, so deleting a million-member set does not stall every other client.
 */
#include <limits.h>
#include <string.h>

#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/lazyfree.h"
#include "store/reply.h"

/* Redis shares integer values 0..9999 among keys; OBJECT REFCOUNT reports them as this. */
#define SHARED_REFCOUNT 2147483647LL
#define SHARED_INT_MAX 10000

/* Delete e; with lazy, a big value is freed on the lazyfree thread. */
static void delete_entry(struct client *c, struct ks *ks, struct ks_entry *e, bool lazy)
{
    if (!lazy || ks_entry_type(e) == KS_TYPE_STRING ||
        !lazyfree_worth_it(ks_entry_ops(e), ks_entry_obj(e))) {
        ks_delete_entry(ks, e);
        return;
    }
    const struct ks_obj_ops *ops = ks_entry_ops(e);
    void *obj = ks_delete_entry_take_obj(ks, e);
    if (!lazyfree_obj(c->srv->lazyfree, ops, obj)) ops->free(obj); /* queue full */
}

static void del_generic(struct client *c, bool lazy)
{
    struct ks *ks = db_ks(c);
    long long deleted = 0;
    for (size_t i = 1; i < c->argc; i++) {
        struct ks_entry *e = db_lookup_write(c, &c->argv[i]);
        if (!e) continue;
        delete_entry(c, ks, e, lazy);
        db_key_modified(c, &c->argv[i]);
        db_notify(c, NOTIFY_GENERIC, "del", &c->argv[i]);
        deleted++;
    }
    c->srv->dirty += deleted;
    reply_integer(c, deleted);
}

static void cmd_del(struct client *c) { del_generic(c, false); }
static void cmd_unlink(struct client *c) { del_generic(c, true); }

/* EXISTS and TOUCH: how many of the arguments name a live key (repeats count again); only
 * TOUCH counts as an access. */
static void exists_generic(struct client *c, int flags)
{
    long long n = 0;
    for (size_t i = 1; i < c->argc; i++)
        if (db_lookup_in(c, c->db, c->argv[i].ptr, c->argv[i].len, flags)) n++;
    reply_integer(c, n);
}

static void cmd_exists(struct client *c) { exists_generic(c, DB_LOOKUP_NOTOUCH); }
static void cmd_touch(struct client *c) { exists_generic(c, 0); }

static void cmd_type(struct client *c)
{
    struct ks_entry *e = db_lookup_peek(c, &c->argv[1]);
    reply_simple(c, e ? ks_type_name(ks_entry_type(e)) : "none");
}

static void cmd_keys(struct client *c)
{
    const struct resp_arg *pat = &c->argv[1];
    struct util_glob glob;
    util_glob_init(&glob, pat->ptr, pat->len, false);
    bool all = glob.is_prefix && glob.lit_len == 0; /* "*": no per-key test at all */
    int64_t now = server_now_ms(c->srv);
    size_t handle = reply_deferred_begin(c), n = 0;
    struct ks_iter it;
    /* Read-only walk: expired keys are skipped, not deleted (as Redis's KEYS). */
    ks_iter_init(&it, db_ks(c), false);
    struct ks_entry *e;
    while ((e = ks_iter_next(&it)) != NULL) {
        size_t klen;
        const char *k = ks_entry_key(e, &klen);
        if (!all && !util_glob_test(&glob, k, klen)) continue;
        if (!(c->flags & CLIENT_MASTER) && ks_entry_is_expired(e, now)) continue;
        reply_bulk(c, k, klen);
        n++;
    }
    ks_iter_done(&it);
    reply_deferred_array(c, handle, n);
}

struct keyscan {
    struct server *srv;
    const struct db_scan_opts *opts;
    size_t type_len;
    struct util_glob glob; /* opts->pat prepared */
    long long seen;        /* keys visited (COUNT bounds these, filtered or not) */
    size_t n;              /* keys kept */
    struct buf out;        /* their bulk strings */
};

static void keyscan_one(void *ctx, const struct ks_entry *e)
{
    struct keyscan *ks = ctx;
    ks->seen++;
    size_t klen;
    const char *k = ks_entry_key(e, &klen);
    const struct db_scan_opts *o = ks->opts;
    if (o->pat && !util_glob_test(&ks->glob, k, klen)) return;
    if (o->type) {
        ks->srv->stats.keyspace_hits++; /* Redis looks each key up to read its type */
        if (!util_eq_nocase(o->type->ptr, ks->type_len, ks_type_name(ks_entry_type(e)))) return;
    }
    resp_write_bulk(&ks->out, k, klen);
    ks->n++;
}

static void cmd_scan(struct client *c)
{
    uint64_t cursor;
    struct db_scan_opts opts;
    if (db_parse_cursor(c, &c->argv[1], &cursor) != 0) return;
    if (db_parse_scan_opts(c, 2, true, &opts) != 0) return;
    struct keyscan sc = {.srv = c->srv, .opts = &opts};
    if (opts.type) sc.type_len = db_arg_cstr_len(opts.type);
    if (opts.pat) util_glob_init(&sc.glob, opts.pat, opts.patlen, false);
    buf_init(&sc.out);
    long long budget = db_scan_max_iterations(opts.count);
    int64_t now = db_lookup_now(c);
    do {
        cursor = ks_scan(db_ks(c), cursor, now, keyscan_one, &sc);
    } while (cursor && budget-- && sc.seen < opts.count);
    db_reply_scan(c, cursor, sc.n, &sc.out);
    buf_free(&sc.out);
}

static void cmd_randomkey(struct client *c)
{
    struct ks_entry *e = ks_random(db_ks(c), db_lookup_now(c));
    if (!e) {
        reply_null(c);
        return;
    }
    size_t klen;
    const char *k = ks_entry_key(e, &klen);
    reply_bulk(c, k, klen);
}

static bool same_arg(const struct resp_arg *a, const struct resp_arg *b)
{
    return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

static void rename_generic(struct client *c, bool nx)
{
    const struct resp_arg *src = &c->argv[1], *dst = &c->argv[2];
    struct ks *ks = db_ks(c);
    if (!db_lookup_write(c, src)) {
        reply_error(c, ERR_NO_SUCH_KEY);
        return;
    }
    if (same_arg(src, dst)) {
        if (nx)
            reply_integer(c, 0);
        else
            reply_ok(c);
        return;
    }
    bool dst_existed = db_lookup_write(c, dst) != NULL;
    if (dst_existed && nx) {
        reply_integer(c, 0);
        return;
    }
    /* Found again: removing an expired dst may have changed the keyspace since. */
    ks_rename(ks, ks_find(ks, src->ptr, src->len), dst->ptr, dst->len);
    db_key_modified(c, src);
    db_key_modified(c, dst);
    /* Redis deletes an existing dst and adds the key anew: "new" either way. */
    if (dst_existed) db_notify(c, NOTIFY_NEW, "new", dst);
    db_notify(c, NOTIFY_GENERIC, "rename_from", src);
    db_notify(c, NOTIFY_GENERIC, "rename_to", dst);
    c->srv->dirty++;
    if (nx)
        reply_integer(c, 1);
    else
        reply_ok(c);
}

static void cmd_rename(struct client *c) { rename_generic(c, false); }
static void cmd_renamenx(struct client *c) { rename_generic(c, true); }

/* A database index argument (COPY DB, MOVE): an int in range, else the Redis error. */
static int parse_db_index(struct client *c, const struct resp_arg *a, int *out)
{
    long long id;
    if (arg_ll(c, a, &id) != 0) return -1;
    if (id < INT_MIN || id > INT_MAX) {
        reply_error(c, "ERR value is out of range, value must between -2147483648 and 2147483647");
        return -1;
    }
    if (id < 0 || id >= c->srv->ndb) {
        reply_error(c, ERR_DB_INDEX);
        return -1;
    }
    *out = (int)id;
    return 0;
}

static void cmd_copy(struct client *c)
{
    const struct resp_arg *src = &c->argv[1], *dst = &c->argv[2];
    int dst_db = c->db;
    bool replace = false;
    for (size_t j = 3; j < c->argc; j++) {
        if (db_opt_is(&c->argv[j], "replace")) {
            replace = true;
        } else if (db_opt_is(&c->argv[j], "db") && j + 1 < c->argc) {
            if (parse_db_index(c, &c->argv[++j], &dst_db) != 0) return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (dst_db == c->db && same_arg(src, dst)) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    if (!db_lookup_read(c, src)) {
        reply_integer(c, 0);
        return;
    }
    bool dst_existed = db_lookup_in(c, dst_db, dst->ptr, dst->len, DB_LOOKUP_WRITE) != NULL;
    if (dst_existed && !replace) {
        reply_integer(c, 0);
        return;
    }
    struct ks *ks = db_ks(c);
    ks_copy(c->srv->db[dst_db], ks_find(ks, src->ptr, src->len), dst->ptr, dst->len);
    server_key_modified(c->srv, dst_db, dst->ptr, dst->len);
    if (dst_existed) notify_keyspace_event(c->srv, NOTIFY_NEW, "new", dst->ptr, dst->len, dst_db);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "copy_to", dst->ptr, dst->len, dst_db);
    c->srv->dirty++;
    reply_integer(c, 1);
}

static void cmd_move(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    int dst_db;
    if (parse_db_index(c, &c->argv[2], &dst_db) != 0) return;
    if (dst_db == c->db) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    struct ks_entry *e = db_lookup_write(c, key);
    if (!e || db_lookup_in(c, dst_db, key->ptr, key->len, DB_LOOKUP_WRITE)) {
        reply_integer(c, 0);
        return;
    }
    ks_move(db_ks(c), e, c->srv->db[dst_db]);
    db_key_modified(c, key);
    server_key_modified(c->srv, dst_db, key->ptr, key->len);
    db_notify(c, NOTIFY_GENERIC, "move_from", key);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "move_to", key->ptr, key->len, dst_db);
    c->srv->dirty++;
    reply_integer(c, 1);
}

/* ---- OBJECT ---- */

static struct ks_entry *object_lookup(struct client *c)
{
    struct ks_entry *e = db_lookup_in(c, c->db, c->argv[2].ptr, c->argv[2].len,
                                      DB_LOOKUP_NOTOUCH | DB_LOOKUP_NONOTIFY);
    if (!e) reply_null(c);
    return e;
}

static void object_encoding(struct client *c)
{
    struct ks_entry *e = object_lookup(c);
    if (e) reply_bulk_str(c, ks_entry_encoding(e));
}

#define OBJECT_POLICY_NOTE                                                                         \
    "Please note that when switching between policies at runtime LRU and LFU data will take "      \
    "some time to adjust."

static bool object_policy_is_lfu(const struct client *c)
{
    int p = c->srv->cfg.maxmemory_policy;
    return p == MM_VOLATILE_LFU || p == MM_ALLKEYS_LFU;
}

static void object_freq(struct client *c)
{
    struct ks_entry *e = object_lookup(c);
    if (!e) return;
    if (!object_policy_is_lfu(c)) {
        reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not "
                       "tracked. " OBJECT_POLICY_NOTE);
        return;
    }
    reply_integer(c, ks_entry_freq(db_ks(c), e));
}

static void object_idletime(struct client *c)
{
    struct ks_entry *e = object_lookup(c);
    if (!e) return;
    if (object_policy_is_lfu(c)) {
        reply_error(
            c,
            "ERR An LFU maxmemory policy is selected, idle time not tracked. " OBJECT_POLICY_NOTE);
        return;
    }
    reply_integer(c, ks_entry_idle_s(db_ks(c), e));
}

static void object_refcount(struct client *c)
{
    struct ks_entry *e = object_lookup(c);
    if (!e) return;
    long long v;
    bool shared = ks_str_get_int(e, &v) && v >= 0 && v < SHARED_INT_MAX;
    reply_integer(c, shared ? SHARED_REFCOUNT : 1);
}

static void object_help(struct client *c)
{
    static const char *const lines[] = {
        "OBJECT <subcommand> [<argument> ...], with <subcommand> one of:",
        "ENCODING <key>",
        "    How the value of <key> is laid out in memory (listpack, hashtable, intset, ...).",
        "FREQ <key>",
        "    The logarithmic access counter of <key>; only under an LFU maxmemory-policy.",
        "IDLETIME <key>",
        "    Seconds since <key> was last read or written; refused under an LFU policy.",
        "REFCOUNT <key>",
        "    1, or 2147483647 for the shared small integers, the numbers Redis reports.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command object_subs[] = {
    {.name = "encoding",
     .arity = 3,
     .flags = CMD_READONLY,
     .fn = object_encoding,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "freq",
     .arity = 3,
     .flags = CMD_READONLY,
     .fn = object_freq,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "idletime",
     .arity = 3,
     .flags = CMD_READONLY,
     .fn = object_idletime,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "refcount",
     .arity = 3,
     .flags = CMD_READONLY,
     .fn = object_refcount,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = object_help},
    {.name = NULL},
};

static void cmd_object(struct client *c) { command_dispatch_sub(c, object_subs, "object"); }

#define KEY_CMD(n, a, f, fn_, fk, lk, st)                                                          \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = st, .group = "generic"                                                         \
    }

struct command cmd_table_keys[] = {
    KEY_CMD("del", -2, CMD_WRITE, cmd_del, 1, -1, 1),
    KEY_CMD("unlink", -2, CMD_WRITE | CMD_FAST, cmd_unlink, 1, -1, 1),
    KEY_CMD("exists", -2, CMD_READONLY | CMD_FAST, cmd_exists, 1, -1, 1),
    KEY_CMD("touch", -2, CMD_READONLY | CMD_FAST, cmd_touch, 1, -1, 1),
    KEY_CMD("type", 2, CMD_READONLY | CMD_FAST, cmd_type, 1, 1, 1),
    KEY_CMD("keys", 2, CMD_READONLY, cmd_keys, 0, 0, 0),
    KEY_CMD("scan", -2, CMD_READONLY, cmd_scan, 0, 0, 0),
    KEY_CMD("randomkey", 1, CMD_READONLY, cmd_randomkey, 0, 0, 0),
    KEY_CMD("rename", 3, CMD_WRITE, cmd_rename, 1, 2, 1),
    KEY_CMD("renamenx", 3, CMD_WRITE | CMD_FAST, cmd_renamenx, 1, 2, 1),
    KEY_CMD("copy", -3, CMD_WRITE | CMD_DENYOOM, cmd_copy, 1, 2, 1),
    KEY_CMD("move", 3, CMD_WRITE | CMD_FAST, cmd_move, 1, 1, 1),
    {.name = "object",
     .arity = -2,
     .flags = 0,
     .fn = cmd_object,
     .subcommands = object_subs,
     .group = "generic"},
    {.name = NULL},
};
