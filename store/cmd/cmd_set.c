/* cmd_set: the set commands (SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
 * SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE,
 * SSCAN), replies byte-exact with Redis 7.0 in RESP2 and RESP3 (SMEMBERS, SPOP with a count and
 * the algebra replies are RESP3 sets; SRANDMEMBER with a count is an array).
 *
 * Invariant: no empty set is left in the keyspace, and a *STORE with an empty result deletes its
 * destination instead of storing an empty set.
 *
 * Propagation: SPOP is random, so replicas receive what it did: SREM key member... (batches of
 * SPOP_PROPAGATE_BATCH members in one MULTI/EXEC for a large count; Redis 7.0 sends one SREM per
 * member in a MULTI), or DEL key when the count took the whole set.
 * SRANDMEMBER changes nothing and is never propagated.
 *
 * Encodings follow the config at the time of the write (set_limits), as Redis 7.0 picks them:
 * a new key's encoding comes from its first member (SADD, SMOVE), a *STORE result is built from
 * an empty intset member by member, and SPOP with a count that leaves few members rebuilds them.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/data/obj_set.h"
#include "store/propagate.h"
#include "store/reply.h"

#define ERR_MUST_BE_POSITIVE "ERR value is out of range, must be positive"
#define ERR_NUMKEYS "ERR numkeys should be greater than 0"
/* SRANDMEMBER with a negative count returns that many picks; beyond this the reply would only
 * exhaust memory (as HRANDFIELD in cmd_hash.c, it is refused as out of range). */
#define SRANDMEMBER_MAX_PICKS (1LL << 24)
/* SPOP with a count reaches replicas as SREM commands of at most this many members. */
#define SPOP_PROPAGATE_BATCH 1024
/* When SPOP's count is at least this many times what it leaves, Redis 7.0 builds a new set of
 * the few members left instead of removing the many (so their encoding is chosen afresh). */
#define SPOP_REBUILD_RATIO 5

/* ---- shared helpers ---------------------------------------------------------------------- */

/* The encoding limits configured now (CONFIG SET applies to the next write). */
static struct obj_set_limits set_limits(const struct client *c)
{
    const struct store_config *cfg = &c->srv->cfg;
    return (struct obj_set_limits){(size_t)cfg->set_max_intset_entries,
                                   (size_t)cfg->set_max_listpack_entries,
                                   (size_t)cfg->set_max_listpack_value};
}

/* The set at key. NULL when absent (nothing replied) or of another type (*err set, WRONGTYPE
 * replied). */
static struct obj_set *set_get(struct client *c, const struct resp_arg *key, bool write, bool *err)
{
    *err = false;
    struct ks_entry *e = write ? db_lookup_write(c, key) : db_lookup_read(c, key);
    if (!e) return NULL;
    if (!db_check_type(c, e, KS_TYPE_SET)) {
        *err = true;
        return NULL;
    }
    return ks_entry_obj(e);
}

static void reply_member(struct client *c, const struct pack_val *v)
{
    if (v->bytes)
        reply_bulk(c, v->bytes, v->len);
    else
        reply_bulk_ll(c, v->integer);
}

/* Reply every member of s (a RESP3 set, a RESP2 array). */
static void reply_set_members(struct client *c, const struct obj_set *s)
{
    reply_set(c, s ? obj_set_card(s) : 0);
    if (!s) return;
    struct obj_set_iter it;
    struct pack_val v;
    obj_set_iter_init(&it, s);
    while (obj_set_iter_next(&it, &v)) reply_member(c, &v);
}

/* ---- add, remove, membership ------------------------------------------------------------- */

static void cmd_sadd(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_set *s = set_get(c, key, true, &err);
    if (err) return;
    struct obj_set_limits lim = set_limits(c);
    if (!s) {
        /* Redis 7.0 picks the encoding from the first member alone and converts later. */
        s = obj_set_create_for(c->argv[2].ptr, c->argv[2].len, 1, &lim);
        ks_add_obj(db_ks(c), key->ptr, key->len, &obj_set_ops, s);
    }
    long long added = 0;
    for (size_t i = 2; i < c->argc; i++)
        added += obj_set_add(s, c->argv[i].ptr, c->argv[i].len, &lim);
    reply_integer(c, added);
    if (added) {
        db_key_modified(c, key);
        c->srv->dirty += added;
        db_notify(c, NOTIFY_SET, "sadd", key);
    }
}

static void cmd_srem(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_set *s = set_get(c, key, true, &err);
    if (err) return;
    long long removed = 0;
    bool is_deleted = false;
    for (size_t i = 2; s && i < c->argc; i++) {
        removed += obj_set_remove(s, c->argv[i].ptr, c->argv[i].len);
        if (obj_set_card(s) == 0) {
            is_deleted = ks_delete(db_ks(c), key->ptr, key->len);
            break;
        }
    }
    reply_integer(c, removed);
    if (removed) {
        db_key_modified(c, key);
        c->srv->dirty += removed;
        db_notify(c, NOTIFY_SET, "srem", key);
        if (is_deleted) db_notify(c, NOTIFY_GENERIC, "del", key);
    }
}

static void cmd_smembers(struct client *c)
{
    bool err;
    struct obj_set *s = set_get(c, &c->argv[1], false, &err);
    if (!err) reply_set_members(c, s);
}

static void cmd_sismember(struct client *c)
{
    bool err;
    struct obj_set *s = set_get(c, &c->argv[1], false, &err);
    if (!err) reply_integer(c, s && obj_set_ismember(s, c->argv[2].ptr, c->argv[2].len));
}

static void cmd_smismember(struct client *c)
{
    bool err;
    struct obj_set *s = set_get(c, &c->argv[1], false, &err);
    if (err) return;
    reply_array(c, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++)
        reply_integer(c, s && obj_set_ismember(s, c->argv[i].ptr, c->argv[i].len));
}

static void cmd_scard(struct client *c)
{
    bool err;
    struct obj_set *s = set_get(c, &c->argv[1], false, &err);
    if (!err) reply_integer(c, s ? (long long)obj_set_card(s) : 0);
}

static void cmd_smove(struct client *c)
{
    const struct resp_arg *src = &c->argv[1], *dst = &c->argv[2], *m = &c->argv[3];
    struct ks_entry *se = db_lookup_write(c, src);
    struct ks_entry *de = db_lookup_write(c, dst);
    if (!se) {
        reply_integer(c, 0);
        return;
    }
    /* Both lookups happened before any change, so se is still valid here. */
    if (!db_check_type(c, se, KS_TYPE_SET) || (de && !db_check_type(c, de, KS_TYPE_SET))) return;
    struct obj_set *ss = ks_entry_obj(se);
    struct obj_set *ds = de ? ks_entry_obj(de) : NULL;
    if (ss == ds) {
        reply_integer(c, obj_set_ismember(ss, m->ptr, m->len));
        return;
    }
    if (!obj_set_remove(ss, m->ptr, m->len)) {
        reply_integer(c, 0);
        return;
    }
    db_notify(c, NOTIFY_SET, "srem", src);
    if (obj_set_card(ss) == 0) {
        ks_delete(db_ks(c), src->ptr, src->len);
        db_notify(c, NOTIFY_GENERIC, "del", src);
    }
    struct obj_set_limits lim = set_limits(c);
    if (!ds) {
        ds = obj_set_create_for(m->ptr, m->len, 1, &lim);
        ks_add_obj(db_ks(c), dst->ptr, dst->len, &obj_set_ops, ds);
    }
    db_key_modified(c, src);
    c->srv->dirty++;
    if (obj_set_add(ds, m->ptr, m->len, &lim)) {
        db_key_modified(c, dst);
        c->srv->dirty++;
        db_notify(c, NOTIFY_SET, "sadd", dst);
    }
    reply_integer(c, 1);
}

/* ---- SPOP -------------------------------------------------------------------------------- */

/* Members popped by SPOP with a count, kept for the SREM propagation. */
struct popped {
    struct buf bytes;
    size_t *ends; /* end offset of each member in bytes */
    size_t n;
};

static void spop_propagate(struct client *c, const struct popped *p)
{
    struct resp_arg *argv = xmalloc((SPOP_PROPAGATE_BATCH + 2) * sizeof *argv);
    argv[0] = (struct resp_arg){"SREM", 4};
    argv[1] = c->argv[1];
    propagate_none(c);
    for (size_t i = 0; i < p->n;) {
        size_t argc = 2;
        for (; i < p->n && argc < SPOP_PROPAGATE_BATCH + 2; i++) {
            size_t start = i ? p->ends[i - 1] : 0;
            argv[argc++] = (struct resp_arg){p->bytes.data + start, p->ends[i] - start};
        }
        propagate_also(c, argc, argv);
    }
    propagate_wrap(c); /* several SREMs reach replicas as one transaction */
    free(argv);
}

/* SPOP key count: count < card (the whole-set case is handled by the caller). */
static void spop_some(struct client *c, struct obj_set *s, size_t count)
{
    bool rebuild = (obj_set_card(s) - count) * SPOP_REBUILD_RATIO <= count;
    struct popped p = {.ends = xmalloc(count * sizeof(size_t))};
    struct buf one;
    buf_init(&p.bytes);
    buf_init(&one);
    reply_set(c, count);
    while (p.n < count && obj_set_pop(s, &c->srv->rng, &one)) {
        reply_bulk(c, one.data, one.len);
        buf_append(&p.bytes, one.data, one.len);
        p.ends[p.n++] = p.bytes.len;
    }
    if (rebuild) {
        struct obj_set_limits lim = set_limits(c);
        obj_set_reencode(s, &lim);
    }
    spop_propagate(c, &p);
    buf_free(&one);
    buf_free(&p.bytes);
    free(p.ends);
}

static void spop_with_count(struct client *c)
{
    long long count;
    if (arg_ll_range(c, &c->argv[2], 0, LLONG_MAX, ERR_MUST_BE_POSITIVE, &count) != 0) return;
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_set *s = set_get(c, key, true, &err);
    if (err) return;
    if (!s || count == 0) {
        reply_set(c, 0);
        return;
    }
    size_t card = obj_set_card(s);
    db_notify(c, NOTIFY_SET, "spop", key);
    if ((unsigned long long)count >= card) {
        reply_set_members(c, s);
        ks_delete(db_ks(c), key->ptr, key->len);
        db_notify(c, NOTIFY_GENERIC, "del", key);
        struct resp_arg argv[2] = {{"DEL", 3}, *key};
        propagate_as(c, 2, argv);
    } else {
        spop_some(c, s, (size_t)count);
    }
    db_key_modified(c, key);
    c->srv->dirty += (long long)MIN((unsigned long long)count, card);
}

static void cmd_spop(struct client *c)
{
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 3) {
        spop_with_count(c);
        return;
    }
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_set *s = set_get(c, key, true, &err);
    if (err) return;
    if (!s) {
        reply_null(c);
        return;
    }
    struct buf m;
    buf_init(&m);
    obj_set_pop(s, &c->srv->rng, &m);
    reply_bulk(c, m.data, m.len);
    struct resp_arg argv[3] = {{"SREM", 4}, *key, {m.data, m.len}};
    propagate_as(c, 3, argv);
    buf_free(&m);
    db_notify(c, NOTIFY_SET, "spop", key);
    if (obj_set_card(s) == 0) {
        ks_delete(db_ks(c), key->ptr, key->len);
        db_notify(c, NOTIFY_GENERIC, "del", key);
    }
    db_key_modified(c, key);
    c->srv->dirty++;
}

/* ---- SRANDMEMBER ------------------------------------------------------------------------- */

static void srandmember_count(struct client *c)
{
    long long l;
    if (arg_ll(c, &c->argv[2], &l) != 0) return;
    if (l < -LLONG_MAX) {
        reply_error(c, "ERR value is out of range, value must between -9223372036854775807 and "
                       "9223372036854775807");
        return;
    }
    bool err;
    struct obj_set *s = set_get(c, &c->argv[1], false, &err);
    if (err) return;
    if (!s || l == 0) {
        reply_empty_array(c);
        return;
    }
    struct pack_val v;
    if (l < 0) {
        if (l < -SRANDMEMBER_MAX_PICKS) {
            reply_error(c, "ERR value is out of range");
            return;
        }
        reply_array(c, (size_t)-l);
        for (long long i = 0; i < -l; i++) {
            obj_set_random(s, &c->srv->rng, &v);
            reply_member(c, &v);
        }
        return;
    }
    size_t n = (size_t)MIN((unsigned long long)l, obj_set_card(s));
    struct pack_val *out = xmalloc(n * sizeof *out);
    n = obj_set_random_distinct(s, &c->srv->rng, n, out);
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) reply_member(c, &out[i]);
    free(out);
}

static void cmd_srandmember(struct client *c)
{
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 3) {
        srandmember_count(c);
        return;
    }
    bool err;
    struct obj_set *s = set_get(c, &c->argv[1], false, &err);
    if (err) return;
    struct pack_val v;
    if (s && obj_set_random(s, &c->srv->rng, &v))
        reply_member(c, &v);
    else
        reply_null(c);
}

/* ---- algebra ----------------------------------------------------------------------------- */

enum set_op { SET_OP_INTER, SET_OP_UNION, SET_OP_DIFF };

/* Look up n keys as sets (NULL for a missing key). false (WRONGTYPE replied) if any key holds
 * another type: every key is checked before anything is computed, as Redis does. */
static bool sets_collect(struct client *c, const struct resp_arg *keys, size_t n,
                         struct obj_set **out)
{
    for (size_t i = 0; i < n; i++) {
        bool err;
        out[i] = set_get(c, &keys[i], false, &err);
        if (err) return false;
    }
    return true;
}

static struct obj_set *sets_compute(enum set_op op, struct obj_set *const *sets, size_t n,
                                    const struct obj_set_limits *lim)
{
    switch (op) {
    case SET_OP_INTER:
        return obj_set_inter(sets, n, lim);
    case SET_OP_UNION:
        return obj_set_union(sets, n, lim);
    case SET_OP_DIFF:
        break;
    }
    return obj_set_diff(sets, n, lim);
}

/* Store result under dst (or delete dst when empty) and reply its cardinality. Takes result. */
static void set_store_result(struct client *c, const struct resp_arg *dst, struct obj_set *result,
                             const char *event)
{
    size_t card = obj_set_card(result);
    struct ks *ks = db_ks(c);
    if (card == 0) {
        obj_set_free(result);
        reply_integer(c, 0);
        if (db_lookup_write(c, dst) && ks_delete(ks, dst->ptr, dst->len)) {
            db_key_modified(c, dst);
            c->srv->dirty++;
            db_notify(c, NOTIFY_GENERIC, "del", dst);
        }
        return;
    }
    db_lookup_write(c, dst); /* an expired destination goes first, through expiry */
    ks_set_obj(ks, dst->ptr, dst->len, &obj_set_ops, result, 0);
    reply_integer(c, (long long)card);
    db_key_modified(c, dst);
    c->srv->dirty++;
    db_notify(c, NOTIFY_SET, event, dst);
}

/* SINTER/SUNION/SDIFF keys... and their STORE forms (dst != NULL). */
static void set_op_generic(struct client *c, const struct resp_arg *keys, size_t n,
                           const struct resp_arg *dst, enum set_op op)
{
    struct obj_set **sets = xmalloc(n * sizeof *sets);
    if (!sets_collect(c, keys, n, sets)) {
        free(sets);
        return;
    }
    struct obj_set_limits lim = set_limits(c);
    struct obj_set *result = sets_compute(op, sets, n, &lim);
    free(sets);
    if (dst) {
        static const char *const events[] = {"sinterstore", "sunionstore", "sdiffstore"};
        set_store_result(c, dst, result, events[op]);
        return;
    }
    reply_set_members(c, result);
    obj_set_free(result);
}

static void cmd_sinter(struct client *c)
{
    set_op_generic(c, &c->argv[1], c->argc - 1, NULL, SET_OP_INTER);
}

static void cmd_sunion(struct client *c)
{
    set_op_generic(c, &c->argv[1], c->argc - 1, NULL, SET_OP_UNION);
}

static void cmd_sdiff(struct client *c)
{
    set_op_generic(c, &c->argv[1], c->argc - 1, NULL, SET_OP_DIFF);
}

static void cmd_sinterstore(struct client *c)
{
    set_op_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], SET_OP_INTER);
}

static void cmd_sunionstore(struct client *c)
{
    set_op_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], SET_OP_UNION);
}

static void cmd_sdiffstore(struct client *c)
{
    set_op_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], SET_OP_DIFF);
}

static void cmd_sintercard(struct client *c)
{
    long long numkeys, limit = 0;
    if (arg_ll_range(c, &c->argv[1], 1, LLONG_MAX, ERR_NUMKEYS, &numkeys) != 0) return;
    if ((unsigned long long)numkeys > c->argc - 2) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (size_t j = 2 + (size_t)numkeys; j < c->argc; j++) {
        if (db_opt_is(&c->argv[j], "limit") && j + 1 < c->argc) {
            j++;
            if (arg_ll_range(c, &c->argv[j], 0, LLONG_MAX, "ERR LIMIT can't be negative", &limit) !=
                0)
                return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    struct obj_set **sets = xmalloc((size_t)numkeys * sizeof *sets);
    if (sets_collect(c, &c->argv[2], (size_t)numkeys, sets))
        reply_integer(c, (long long)obj_set_inter_card(sets, (size_t)numkeys, (size_t)limit));
    free(sets);
}

/* ---- SSCAN ------------------------------------------------------------------------------- */

struct sscan_ctx {
    const struct db_scan_opts *opts;
    size_t n;
    struct buf out;
};

static void sscan_one(void *ctx, const struct pack_val *m)
{
    struct sscan_ctx *s = ctx;
    char num[PACK_NUMBUF];
    size_t len;
    const char *p = pack_val_str(m, num, &len);
    if (s->opts->pat && !util_glob_match(s->opts->pat, s->opts->patlen, p, len, false)) return;
    resp_write_bulk(&s->out, p, len);
    s->n++;
}

static void cmd_sscan(struct client *c)
{
    uint64_t cursor;
    if (db_parse_cursor(c, &c->argv[2], &cursor) != 0) return;
    bool err;
    struct obj_set *s = set_get(c, &c->argv[1], false, &err);
    if (err) return;
    if (!s) {
        db_reply_empty_scan(c);
        return;
    }
    struct db_scan_opts opts;
    if (db_parse_scan_opts(c, 3, false, &opts) != 0) return;
    struct sscan_ctx sc = {.opts = &opts};
    buf_init(&sc.out);
    size_t count = opts.count > (long long)(SIZE_MAX / 16) ? SIZE_MAX / 16 : (size_t)opts.count;
    cursor = obj_set_scan(s, cursor, count, sscan_one, &sc);
    db_reply_scan(c, cursor, sc.n, &sc.out);
    buf_free(&sc.out);
}

/* ---- table ------------------------------------------------------------------------------- */

#define SET_CMD(n, a, f, fn_, fk, lk, st)                                                          \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = st, .group = "set"                                                             \
    }

struct command cmd_table_set[] = {
    SET_CMD("sadd", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_sadd, 1, 1, 1),
    SET_CMD("srem", -3, CMD_WRITE | CMD_FAST, cmd_srem, 1, 1, 1),
    SET_CMD("smembers", 2, CMD_READONLY, cmd_smembers, 1, 1, 1),
    SET_CMD("sismember", 3, CMD_READONLY | CMD_FAST, cmd_sismember, 1, 1, 1),
    SET_CMD("smismember", -3, CMD_READONLY | CMD_FAST, cmd_smismember, 1, 1, 1),
    SET_CMD("scard", 2, CMD_READONLY | CMD_FAST, cmd_scard, 1, 1, 1),
    SET_CMD("spop", -2, CMD_WRITE | CMD_FAST, cmd_spop, 1, 1, 1),
    SET_CMD("srandmember", -2, CMD_READONLY, cmd_srandmember, 1, 1, 1),
    SET_CMD("smove", 4, CMD_WRITE | CMD_FAST, cmd_smove, 1, 2, 1),
    SET_CMD("sinter", -2, CMD_READONLY, cmd_sinter, 1, -1, 1),
    SET_CMD("sintercard", -3, CMD_READONLY, cmd_sintercard, 0, 0, 0),
    SET_CMD("sinterstore", -3, CMD_WRITE | CMD_DENYOOM, cmd_sinterstore, 1, -1, 1),
    SET_CMD("sunion", -2, CMD_READONLY, cmd_sunion, 1, -1, 1),
    SET_CMD("sunionstore", -3, CMD_WRITE | CMD_DENYOOM, cmd_sunionstore, 1, -1, 1),
    SET_CMD("sdiff", -2, CMD_READONLY, cmd_sdiff, 1, -1, 1),
    SET_CMD("sdiffstore", -3, CMD_WRITE | CMD_DENYOOM, cmd_sdiffstore, 1, -1, 1),
    SET_CMD("sscan", -3, CMD_READONLY, cmd_sscan, 1, 1, 1),
    {.name = NULL},
};
