/* cmd_hash: the hash commands (HSET, HSETNX, HGET, HMGET, HMSET, HDEL, HEXISTS, HLEN, HSTRLEN,
 * HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN), replies byte-exact with
 * Redis 7.0 in RESP2 and RESP3 (HGETALL is a map; HRANDFIELD WITHVALUES nests pairs in RESP3).
 *
 * Invariant: no empty hash is ever left in the keyspace. A hash is created only by a command
 * that then stores a field, and HDEL deletes the key with its last field.
 *
 * HINCRBYFLOAT is propagated as HSET key field <result>, so replicas never redo float math.
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/data/obj_hash.h"
#include "store/propagate.h"
#include "store/reply.h"

#define LDOUBLE_TEXT_MAX 5120
/* HRANDFIELD with a negative count returns that many picks; beyond this many the reply would
 * only exhaust memory (Redis would try), so it is refused as out of range. */
#define HRANDFIELD_MAX_PICKS (1LL << 24)

static struct obj_hash_limits hash_limits(const struct client *c)
{
    return (struct obj_hash_limits){(size_t)c->srv->cfg.hash_max_listpack_entries,
                                    (size_t)c->srv->cfg.hash_max_listpack_value};
}

/* The hash at argv[1] for reading. NULL when absent (nothing replied) or of another type
 * (*err set, WRONGTYPE replied). */
static struct obj_hash *hash_read(struct client *c, bool *err)
{
    *err = false;
    struct ks_entry *e = db_lookup_read(c, &c->argv[1]);
    if (!e) return NULL;
    if (!db_check_type(c, e, KS_TYPE_HASH)) {
        *err = true;
        return NULL;
    }
    return ks_entry_obj(e);
}

/* The hash at argv[1] for writing, created empty when absent (the caller stores a field at
 * once). NULL only for another type (WRONGTYPE replied). */
static struct obj_hash *hash_write_or_create(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    struct ks_entry *e = db_lookup_write(c, key);
    if (!e) {
        struct obj_hash *h = obj_hash_create();
        ks_add_obj(db_ks(c), key->ptr, key->len, &obj_hash_ops, h);
        return h;
    }
    if (!db_check_type(c, e, KS_TYPE_HASH)) return NULL;
    return ks_entry_obj(e);
}

static void hset_generic(struct client *c, bool is_hmset)
{
    if (c->argc % 2 == 1) {
        command_reply_arity(c, is_hmset ? "hmset" : "hset");
        return;
    }
    struct obj_hash *h = hash_write_or_create(c);
    if (!h) return;
    struct obj_hash_limits lim = hash_limits(c);
    long long created = 0;
    for (size_t i = 2; i < c->argc; i += 2)
        created += obj_hash_set(h, c->argv[i].ptr, c->argv[i].len, c->argv[i + 1].ptr,
                                c->argv[i + 1].len, &lim);
    if (is_hmset)
        reply_ok(c);
    else
        reply_integer(c, created);
    db_key_modified(c, &c->argv[1]);
    c->srv->dirty += (long long)(c->argc - 2) / 2;
    db_notify(c, NOTIFY_HASH, "hset", &c->argv[1]);
}

static void cmd_hset(struct client *c) { hset_generic(c, false); }
static void cmd_hmset(struct client *c) { hset_generic(c, true); }

static void cmd_hsetnx(struct client *c)
{
    struct obj_hash *h = hash_write_or_create(c);
    if (!h) return;
    const struct resp_arg *f = &c->argv[2], *v = &c->argv[3];
    if (obj_hash_exists(h, f->ptr, f->len)) {
        reply_integer(c, 0);
        return;
    }
    struct obj_hash_limits lim = hash_limits(c);
    obj_hash_set(h, f->ptr, f->len, v->ptr, v->len, &lim);
    reply_integer(c, 1);
    db_key_modified(c, &c->argv[1]);
    c->srv->dirty++;
    db_notify(c, NOTIFY_HASH, "hset", &c->argv[1]);
}

static void cmd_hget(struct client *c)
{
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    const char *v;
    size_t vlen;
    if (err) return;
    if (h && obj_hash_get(h, c->argv[2].ptr, c->argv[2].len, &v, &vlen))
        reply_bulk(c, v, vlen);
    else
        reply_null(c);
}

static void cmd_hmget(struct client *c)
{
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    if (err) return;
    reply_array(c, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        const char *v;
        size_t vlen;
        if (h && obj_hash_get(h, c->argv[i].ptr, c->argv[i].len, &v, &vlen))
            reply_bulk(c, v, vlen);
        else
            reply_null(c);
    }
}

static void cmd_hdel(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    struct ks_entry *e = db_lookup_write(c, key);
    if (!e) {
        reply_integer(c, 0);
        return;
    }
    if (!db_check_type(c, e, KS_TYPE_HASH)) return;
    struct obj_hash *h = ks_entry_obj(e);
    long long deleted = 0;
    bool is_emptied = false;
    for (size_t i = 2; i < c->argc; i++) {
        if (!obj_hash_del(h, c->argv[i].ptr, c->argv[i].len)) continue;
        deleted++;
        if (obj_hash_len(h) == 0) {
            ks_delete_entry(db_ks(c), e);
            is_emptied = true;
            break;
        }
    }
    if (deleted) {
        db_key_modified(c, key);
        c->srv->dirty += deleted;
        db_notify(c, NOTIFY_HASH, "hdel", key);
        if (is_emptied) db_notify(c, NOTIFY_GENERIC, "del", key);
    }
    reply_integer(c, deleted);
}

static void cmd_hlen(struct client *c)
{
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    if (!err) reply_integer(c, h ? (long long)obj_hash_len(h) : 0);
}

static void cmd_hstrlen(struct client *c)
{
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    if (!err)
        reply_integer(c, h ? (long long)obj_hash_strlen(h, c->argv[2].ptr, c->argv[2].len) : 0);
}

static void cmd_hexists(struct client *c)
{
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    if (!err) reply_integer(c, h && obj_hash_exists(h, c->argv[2].ptr, c->argv[2].len));
}

enum { HALL_KEYS = 1, HALL_VALS = 2 };

/* HKEYS, HVALS, HGETALL. */
static void hgetall_generic(struct client *c, int what)
{
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    if (err) return;
    size_t n = h ? obj_hash_len(h) : 0;
    if (what == (HALL_KEYS | HALL_VALS))
        reply_map(c, n);
    else
        reply_array(c, n);
    if (!h) return;
    struct obj_hash_iter it;
    const char *f, *v;
    size_t flen, vlen;
    obj_hash_iter_init(&it, h);
    while (obj_hash_iter_next(&it, &f, &flen, &v, &vlen)) {
        if (what & HALL_KEYS) reply_bulk(c, f, flen);
        if (what & HALL_VALS) reply_bulk(c, v, vlen);
    }
    obj_hash_iter_done(&it);
}

static void cmd_hkeys(struct client *c) { hgetall_generic(c, HALL_KEYS); }
static void cmd_hvals(struct client *c) { hgetall_generic(c, HALL_VALS); }
static void cmd_hgetall(struct client *c) { hgetall_generic(c, HALL_KEYS | HALL_VALS); }

static void cmd_hincrby(struct client *c)
{
    long long delta, result;
    if (arg_ll(c, &c->argv[3], &delta) != 0) return;
    struct obj_hash *h = hash_write_or_create(c);
    if (!h) return;
    struct obj_hash_limits lim = hash_limits(c);
    int rc = obj_hash_incrby(h, c->argv[2].ptr, c->argv[2].len, delta, &result, &lim);
    if (rc == KS_ERR_NOT_INT) {
        reply_error(c, "ERR hash value is not an integer");
        return;
    }
    if (rc != KS_OK) {
        reply_ks_error(c, rc);
        return;
    }
    reply_integer(c, result);
    db_key_modified(c, &c->argv[1]);
    c->srv->dirty++;
    db_notify(c, NOTIFY_HASH, "hincrby", &c->argv[1]);
}

static void cmd_hincrbyfloat(struct client *c)
{
    long double delta;
    if (util_parse_long_double(c->argv[3].ptr, c->argv[3].len, &delta) != 0) {
        reply_error(c, ERR_NOT_FLOAT);
        return;
    }
    if (isnan(delta) || isinf(delta)) {
        reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    struct obj_hash *h = hash_write_or_create(c);
    if (!h) return;
    struct obj_hash_limits lim = hash_limits(c);
    char out[LDOUBLE_TEXT_MAX];
    size_t len;
    int rc =
        obj_hash_incrbyfloat(h, c->argv[2].ptr, c->argv[2].len, delta, out, sizeof out, &len, &lim);
    if (rc == KS_ERR_NOT_FLOAT) {
        reply_error(c, "ERR hash value is not a float");
        return;
    }
    if (rc != KS_OK) {
        reply_ks_error(c, rc);
        return;
    }
    reply_bulk(c, out, len);
    db_key_modified(c, &c->argv[1]);
    c->srv->dirty++;
    db_notify(c, NOTIFY_HASH, "hincrbyfloat", &c->argv[1]);
    struct resp_arg argv[4] = {{"HSET", 4}, c->argv[1], c->argv[2], {out, len}};
    propagate_as(c, 4, argv);
}

/* ---- HRANDFIELD ---- */

struct randfield_ctx {
    struct client *c;
    bool withvalues;
};

static void randfield_one(void *ctx, const char *f, size_t flen, const char *v, size_t vlen)
{
    struct randfield_ctx *r = ctx;
    if (r->withvalues && r->c->conn.proto >= 3) reply_array(r->c, 2);
    reply_bulk(r->c, f, flen);
    if (r->withvalues) reply_bulk(r->c, v, vlen);
}

static void hrandfield_count(struct client *c, long long l, bool withvalues)
{
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    if (err) return;
    if (!h || l == 0) {
        reply_empty_array(c);
        return;
    }
    bool repeat = l < 0;
    unsigned long long count = repeat ? (unsigned long long)-l : (unsigned long long)l;
    size_t size = obj_hash_len(h);
    /* Distinct picks are at most the hash's size; a count of 1 is a single pick either way. */
    unsigned long long n = (repeat || count == 1) ? count : MIN(count, (unsigned long long)size);
    reply_array(c, (withvalues && c->conn.proto < 3) ? n * 2 : n);
    struct randfield_ctx r = {c, withvalues};
    obj_hash_random_fields(h, &c->srv->rng, (size_t)n, repeat, randfield_one, &r);
}

static void cmd_hrandfield(struct client *c)
{
    if (c->argc >= 3) {
        long long l;
        if (arg_ll(c, &c->argv[2], &l) != 0) return;
        if (l < -LLONG_MAX) {
            reply_error(c, "ERR value is out of range, value must between -9223372036854775807 and "
                           "9223372036854775807");
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !db_opt_is(&c->argv[3], "withvalues"))) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        bool withvalues = c->argc == 4;
        if ((withvalues && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) ||
            l < -HRANDFIELD_MAX_PICKS) {
            reply_error(c, "ERR value is out of range");
            return;
        }
        hrandfield_count(c, l, withvalues);
        return;
    }
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    if (err) return;
    if (!h) {
        reply_null(c);
        return;
    }
    struct randfield_ctx r = {c, false};
    obj_hash_random_fields(h, &c->srv->rng, 1, false, randfield_one, &r);
}

/* ---- HSCAN ---- */

struct hscan_ctx {
    const struct db_scan_opts *opts;
    long long seen; /* fields and values visited: what COUNT bounds, as in Redis */
    size_t n;
    struct buf out;
};

static void hscan_one(void *ctx, const char *f, size_t flen, const char *v, size_t vlen)
{
    struct hscan_ctx *s = ctx;
    s->seen += 2;
    if (s->opts->pat && !util_glob_match(s->opts->pat, s->opts->patlen, f, flen, false)) return;
    resp_write_bulk(&s->out, f, flen);
    resp_write_bulk(&s->out, v, vlen);
    s->n += 2;
}

static void cmd_hscan(struct client *c)
{
    uint64_t cursor;
    if (db_parse_cursor(c, &c->argv[2], &cursor) != 0) return;
    bool err;
    struct obj_hash *h = hash_read(c, &err);
    if (err) return;
    if (!h) {
        db_reply_empty_scan(c);
        return;
    }
    struct db_scan_opts opts;
    if (db_parse_scan_opts(c, 3, false, &opts) != 0) return;
    struct hscan_ctx s = {.opts = &opts};
    buf_init(&s.out);
    long long budget = db_scan_max_iterations(opts.count);
    do {
        cursor = obj_hash_scan(h, cursor, hscan_one, &s);
    } while (cursor && budget-- && s.seen < opts.count);
    db_reply_scan(c, cursor, s.n, &s.out);
    buf_free(&s.out);
}

#define HASH_CMD(n, a, f, fn_)                                                                     \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = 1, .last_key = 1,               \
        .key_step = 1, .group = "hash"                                                             \
    }

struct command cmd_table_hash[] = {
    HASH_CMD("hset", -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_hset),
    HASH_CMD("hsetnx", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_hsetnx),
    HASH_CMD("hget", 3, CMD_READONLY | CMD_FAST, cmd_hget),
    HASH_CMD("hmget", -3, CMD_READONLY | CMD_FAST, cmd_hmget),
    HASH_CMD("hmset", -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_hmset),
    HASH_CMD("hdel", -3, CMD_WRITE | CMD_FAST, cmd_hdel),
    HASH_CMD("hexists", 3, CMD_READONLY | CMD_FAST, cmd_hexists),
    HASH_CMD("hlen", 2, CMD_READONLY | CMD_FAST, cmd_hlen),
    HASH_CMD("hstrlen", 3, CMD_READONLY | CMD_FAST, cmd_hstrlen),
    HASH_CMD("hkeys", 2, CMD_READONLY, cmd_hkeys),
    HASH_CMD("hvals", 2, CMD_READONLY, cmd_hvals),
    HASH_CMD("hgetall", 2, CMD_READONLY, cmd_hgetall),
    HASH_CMD("hincrby", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_hincrby),
    HASH_CMD("hincrbyfloat", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_hincrbyfloat),
    HASH_CMD("hrandfield", -2, CMD_READONLY, cmd_hrandfield),
    HASH_CMD("hscan", -3, CMD_READONLY, cmd_hscan),
    {.name = NULL},
};
