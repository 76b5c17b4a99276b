/* cmd_zset: the sorted-set point commands (ZADD with NX XX GT LT CH INCR, ZINCRBY, ZSCORE,
 * ZMSCORE, ZRANK/ZREVRANK with WITHSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZREM, ZREMRANGEBYRANK/
 * SCORE/LEX), the pops (ZPOPMIN/MAX, ZMPOP and the blocking BZPOPMIN/MAX, BZMPOP), ZRANDMEMBER,
 * ZSCAN, and the family's command table (ranges and their parsing: cmd_zset_range.c; algebra
 * and the storing of results: cmd_zset_store.c).
 *
 * Replies are byte-exact with Redis 7.0: scores are doubles formatted as Redis formats them (a
 * RESP3 double, a bulk string in RESP2); in RESP3, pops with a count, ZMPOP and WITHSCORES
 * replies nest [member, score] pairs. ZRANK ... WITHSCORE is Redis 7.2's addition.
 *
 * Invariant: no empty sorted set is left in the keyspace.
 * Blocking pops follow cmd_list.c's rules (a retry skips keys of another type; no blocking inside
 * EXEC or for the master link) and reach replicas as ZPOPMIN/ZPOPMAX key [n].
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/cmd/cmd_zset_int.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/propagate.h"
#include "store/reply.h"

#define ERR_MUST_BE_POSITIVE "ERR value is out of range, must be positive"
/* ZRANDMEMBER with a negative count: as SRANDMEMBER (cmd_set.c), absurd pick counts are refused. */
#define ZRANDMEMBER_MAX_PICKS (1LL << 24)

/* ---- shared with cmd_zset_range.c and cmd_zset_store.c ------------------------------------ */

struct obj_zset_limits zset_limits(const struct client *c)
{
    return (struct obj_zset_limits){(size_t)c->srv->cfg.zset_max_listpack_entries,
                                    (size_t)c->srv->cfg.zset_max_listpack_value};
}

struct obj_zset *zset_get(struct client *c, const struct resp_arg *key, bool write, bool *err)
{
    *err = false;
    struct ks_entry *e = write ? db_lookup_write(c, key) : db_lookup_read(c, key);
    if (!e) return NULL;
    if (!db_check_type(c, e, KS_TYPE_ZSET)) {
        *err = true;
        return NULL;
    }
    return ks_entry_obj(e);
}

size_t zset_reply_len(const struct client *c, size_t n, bool withscores)
{
    return withscores && c->conn.proto < 3 ? n * 2 : n;
}

void zset_reply_header(struct client *c, size_t n, bool withscores)
{
    reply_array(c, zset_reply_len(c, n, withscores));
}

void zset_reply_entry(struct client *c, const char *m, size_t len, double score, bool withscores)
{
    if (withscores && c->conn.proto >= 3) reply_array(c, 2);
    reply_bulk(c, m, len);
    if (withscores) reply_double(c, score);
}

/* After removing members by `event` ("zrem", "zpopmin"...): delete an empty key, count the
 * change, signal it, and fire the event then "del" as Redis does. */
static void zset_removed(struct client *c, const struct resp_arg *key, struct obj_zset *z,
                         size_t removed, const char *event)
{
    if (removed == 0) return;
    bool is_empty = obj_zset_card(z) == 0;
    if (is_empty) ks_delete(db_ks(c), key->ptr, key->len);
    db_key_modified(c, key);
    c->srv->dirty += (long long)removed;
    db_notify(c, NOTIFY_ZSET, event, key);
    if (is_empty) db_notify(c, NOTIFY_GENERIC, "del", key);
}

/* ---- ZADD / ZINCRBY ---------------------------------------------------------------------- */

/* Options from argv[2] on; *scoreidx is the first score. -1 with the error replied. */
static int zadd_parse_flags(struct client *c, int *flags, bool *ch, size_t *scoreidx)
{
    size_t i = 2;
    for (; i < c->argc; i++) {
        const struct resp_arg *a = &c->argv[i];
        if (db_opt_is(a, "nx"))
            *flags |= OBJ_ZADD_NX;
        else if (db_opt_is(a, "xx"))
            *flags |= OBJ_ZADD_XX;
        else if (db_opt_is(a, "ch"))
            *ch = true;
        else if (db_opt_is(a, "incr"))
            *flags |= OBJ_ZADD_INCR;
        else if (db_opt_is(a, "gt"))
            *flags |= OBJ_ZADD_GT;
        else if (db_opt_is(a, "lt"))
            *flags |= OBJ_ZADD_LT;
        else
            break;
    }
    *scoreidx = i;
    size_t elements = c->argc - i;
    int f = *flags;
    if (elements == 0 || elements % 2) {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    if ((f & OBJ_ZADD_NX) && (f & OBJ_ZADD_XX)) {
        reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return -1;
    }
    if (((f & OBJ_ZADD_NX) && (f & (OBJ_ZADD_GT | OBJ_ZADD_LT))) ||
        ((f & OBJ_ZADD_GT) && (f & OBJ_ZADD_LT))) {
        reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return -1;
    }
    if ((f & OBJ_ZADD_INCR) && elements > 2) {
        reply_error(c, "ERR INCR option supports a single increment-element pair");
        return -1;
    }
    return 0;
}

/* ZADD and ZINCRBY (which Redis parses as ZADD with INCR, options included). */
static void zadd_generic(struct client *c, int flags)
{
    bool ch = false;
    size_t scoreidx;
    if (zadd_parse_flags(c, &flags, &ch, &scoreidx) != 0) return;
    size_t elements = (c->argc - scoreidx) / 2;
    double *scores = xmalloc(elements * sizeof *scores);
    for (size_t j = 0; j < elements; j++) {
        if (arg_double(c, &c->argv[scoreidx + 2 * j], &scores[j]) != 0) goto done;
    }
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_zset *z = zset_get(c, key, true, &err);
    if (err) goto done;
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    struct obj_zset_limits lim = zset_limits(c);
    if (!z && !(flags & OBJ_ZADD_XX)) {
        /* Redis 7.0 picks the encoding from the first member alone and converts later. */
        z = obj_zset_create_hint(1, c->argv[scoreidx + 1].len, &lim);
        ks_add_obj(db_ks(c), key->ptr, key->len, &obj_zset_ops, z);
    }
    for (size_t j = 0; z && j < elements; j++) {
        const struct resp_arg *m = &c->argv[scoreidx + 2 * j + 1];
        int out = 0;
        double stored = zset_store_score(z, scores[j], m->ptr, m->len, &lim);
        if (obj_zset_add(z, stored, m->ptr, m->len, flags, &out, &score, &lim) != 0) {
            reply_error(c, OBJ_ZSET_ERR_NAN_MSG);
            goto done;
        }
        if (out & OBJ_ZADD_ADDED) score = scores[j]; /* INCR of a new member replies as given */
        added += (out & OBJ_ZADD_ADDED) != 0;
        updated += (out & OBJ_ZADD_UPDATED) != 0;
        processed += (out & OBJ_ZADD_NOP) == 0;
    }
    if (!(flags & OBJ_ZADD_INCR))
        reply_integer(c, ch ? added + updated : added);
    else if (processed)
        reply_double(c, score);
    else
        reply_null(c);
    if (added || updated) {
        db_key_modified(c, key);
        c->srv->dirty += added + updated;
        db_notify(c, NOTIFY_ZSET, (flags & OBJ_ZADD_INCR) ? "zincr" : "zadd", key);
    }
done:
    free(scores);
}

static void cmd_zadd(struct client *c) { zadd_generic(c, 0); }
static void cmd_zincrby(struct client *c) { zadd_generic(c, OBJ_ZADD_INCR); }

/* ---- point reads ------------------------------------------------------------------------- */

static void cmd_zscore(struct client *c)
{
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[1], false, &err);
    if (err) return;
    double score;
    if (z && obj_zset_score(z, c->argv[2].ptr, c->argv[2].len, &score))
        reply_double(c, score);
    else
        reply_null(c);
}

static void cmd_zmscore(struct client *c)
{
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[1], false, &err);
    if (err) return;
    reply_array(c, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        double score;
        if (z && obj_zset_score(z, c->argv[i].ptr, c->argv[i].len, &score))
            reply_double(c, score);
        else
            reply_null(c);
    }
}

static void zrank_generic(struct client *c, bool reverse)
{
    if (c->argc > 4) {
        command_reply_arity(c, c->cmd->name);
        return;
    }
    bool withscore = c->argc == 4;
    if (withscore && !db_opt_is(&c->argv[3], "withscore")) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[1], false, &err);
    if (err) return;
    size_t rank;
    double score;
    if (!z || !obj_zset_rank(z, c->argv[2].ptr, c->argv[2].len, reverse, &rank, &score)) {
        if (withscore)
            reply_null_array(c);
        else
            reply_null(c);
        return;
    }
    if (withscore) reply_array(c, 2);
    reply_integer(c, (long long)rank);
    if (withscore) reply_double(c, score);
}

static void cmd_zrank(struct client *c) { zrank_generic(c, false); }
static void cmd_zrevrank(struct client *c) { zrank_generic(c, true); }

static void cmd_zcard(struct client *c)
{
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[1], false, &err);
    if (!err) reply_integer(c, z ? (long long)obj_zset_card(z) : 0);
}

/* Parse argv[i], argv[i + 1] as a score (is_lex false) or lex range; -1 with the error replied. */
static int parse_range(struct client *c, size_t i, bool is_lex, struct zrange_score *sr,
                       struct zrange_lex *lr)
{
    const struct resp_arg *a = &c->argv[i], *b = &c->argv[i + 1];
    if (!is_lex) return zset_parse_score_range(c, a, b, sr);
    if (is_lex && obj_zset_parse_lex_range(a->ptr, a->len, b->ptr, b->len, lr) != 0) {
        reply_error(c, OBJ_ZSET_ERR_LEX_RANGE_MSG);
        return -1;
    }
    return 0;
}

static void zcount_generic(struct client *c, bool is_lex)
{
    struct zrange_score sr;
    struct zrange_lex lr;
    if (parse_range(c, 2, is_lex, &sr, &lr) != 0) return;
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[1], false, &err);
    if (err) return;
    size_t n = !z ? 0 : is_lex ? obj_zset_count_lex(z, &lr) : obj_zset_count_score(z, &sr);
    reply_integer(c, (long long)n);
}

static void cmd_zcount(struct client *c) { zcount_generic(c, false); }
static void cmd_zlexcount(struct client *c) { zcount_generic(c, true); }

/* ---- removals ---------------------------------------------------------------------------- */

static void cmd_zrem(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_zset *z = zset_get(c, key, true, &err);
    if (err) return;
    size_t deleted = 0;
    for (size_t i = 2; z && i < c->argc; i++) {
        deleted += obj_zset_delete(z, c->argv[i].ptr, c->argv[i].len);
        if (obj_zset_card(z) == 0) break;
    }
    reply_integer(c, (long long)deleted);
    if (z) zset_removed(c, key, z, deleted, "zrem");
}

enum zrem_kind { ZREM_RANK, ZREM_SCORE, ZREM_LEX };

static void zremrange_generic(struct client *c, enum zrem_kind kind)
{
    long long start = 0, stop = 0;
    struct zrange_score sr;
    struct zrange_lex lr;
    if (kind == ZREM_RANK) {
        if (arg_ll(c, &c->argv[2], &start) != 0 || arg_ll(c, &c->argv[3], &stop) != 0) return;
    } else if (parse_range(c, 2, kind == ZREM_LEX, &sr, &lr) != 0) {
        return;
    }
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_zset *z = zset_get(c, key, true, &err);
    if (err) return;
    if (!z) {
        reply_integer(c, 0);
        return;
    }
    size_t deleted = kind == ZREM_RANK    ? obj_zset_delete_rank(z, start, stop)
                     : kind == ZREM_SCORE ? obj_zset_delete_score(z, &sr)
                                          : obj_zset_delete_lex(z, &lr);
    reply_integer(c, (long long)deleted);
    static const char *const events[] = {"zremrangebyrank", "zremrangebyscore", "zremrangebylex"};
    zset_removed(c, key, z, deleted, events[kind]);
}

static void cmd_zremrangebyrank(struct client *c) { zremrange_generic(c, ZREM_RANK); }
static void cmd_zremrangebyscore(struct client *c) { zremrange_generic(c, ZREM_SCORE); }
static void cmd_zremrangebylex(struct client *c) { zremrange_generic(c, ZREM_LEX); }

/* ---- pops -------------------------------------------------------------------------------- */

/* Pop up to n members from the min (or max) end, replying each with its score: nested pairs
 * when `nested`, else flat member, score. Returns how many were popped. */
static size_t zset_pop_reply(struct client *c, struct obj_zset *z, bool max, size_t n, bool nested)
{
    struct buf m;
    buf_init(&m);
    size_t popped = 0;
    double score;
    for (; popped < n && obj_zset_pop(z, max, &m, &score); popped++) {
        if (nested) reply_array(c, 2);
        reply_bulk(c, m.data, m.len);
        reply_double(c, score);
    }
    buf_free(&m);
    return popped;
}

static void zpop_generic(struct client *c, bool max)
{
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    bool has_count = c->argc == 3;
    long long count = 1;
    if (has_count && arg_ll_range(c, &c->argv[2], 0, LLONG_MAX, ERR_MUST_BE_POSITIVE, &count) != 0)
        return;
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_zset *z = zset_get(c, key, true, &err);
    if (err) return;
    if (!z || count == 0) {
        reply_empty_array(c);
        return;
    }
    bool nested = has_count && c->conn.proto >= 3;
    size_t n = (size_t)MIN((unsigned long long)count, obj_zset_card(z));
    reply_array(c, nested ? n : 2 * n);
    zset_pop_reply(c, z, max, n, nested);
    zset_removed(c, key, z, n, max ? "zpopmax" : "zpopmin");
}

static void cmd_zpopmin(struct client *c) { zpop_generic(c, false); }
static void cmd_zpopmax(struct client *c) { zpop_generic(c, true); }

static bool zset_may_block(const struct client *c)
{
    return !(c->flags & CLIENT_MASTER) && !(c->conn.flags & CONN_FAKE) && c->srv->call_depth <= 1;
}

static void timeout_null_array(struct client *c) { reply_null_array(c); }

/* Pop from the first non-empty sorted set among keys[0..n): replies via `emit_one` style
 * (bzpop: [key, member, score]; mpop: [key, [[member, score]...]]) and propagates
 * ZPOPMIN/ZPOPMAX key [count]. 1 served, 0 nothing (nothing replied), -1 error replied. */
static int zset_serve_keys(struct client *c, const struct resp_arg *keys, size_t nkeys, bool max,
                           long long count, bool is_mpop)
{
    bool skip_wrongtype = blocking_is_retry(c);
    size_t first = blocking_ready_key_index(c, keys, nkeys);
    for (size_t k = 0; k < nkeys; k++) {
        size_t i = (first + k) % nkeys; /* a retry serves the key that woke the client first */
        struct ks_entry *e = db_lookup_write(c, &keys[i]);
        if (!e) continue;
        if (ks_entry_type(e) != KS_TYPE_ZSET) {
            if (skip_wrongtype) continue;
            reply_error(c, ERR_WRONGTYPE);
            return -1;
        }
        struct obj_zset *z = ks_entry_obj(e);
        size_t n = (size_t)MIN((unsigned long long)count, obj_zset_card(z));
        reply_array(c, is_mpop ? 2 : 3);
        reply_bulk(c, keys[i].ptr, keys[i].len);
        if (is_mpop) reply_array(c, n);
        zset_pop_reply(c, z, max, n, is_mpop);
        zset_removed(c, &keys[i], z, n, max ? "zpopmax" : "zpopmin");
        char num[24];
        size_t numlen = util_ll_to_str(num, sizeof num, (long long)n);
        struct resp_arg argv[3] = {{max ? "ZPOPMAX" : "ZPOPMIN", 7}, keys[i], {num, numlen}};
        propagate_as(c, is_mpop ? 3 : 2, argv);
        return 1;
    }
    return 0;
}

static void bzpop_generic(struct client *c, bool max)
{
    int64_t deadline;
    if (blocking_parse_timeout(c, &c->argv[c->argc - 1], &deadline) != 0) return;
    if (zset_serve_keys(c, &c->argv[1], c->argc - 2, max, 1, false) != 0) return;
    if (!zset_may_block(c)) {
        reply_null_array(c);
        return;
    }
    blocking_block(c, &c->argv[1], c->argc - 2, deadline, timeout_null_array);
}

static void cmd_bzpopmin(struct client *c) { bzpop_generic(c, false); }
static void cmd_bzpopmax(struct client *c) { bzpop_generic(c, true); }

/* ZMPOP / BZMPOP: numkeys at argv[idx], keys, MIN|MAX, [COUNT n]. */
static void zmpop_generic(struct client *c, size_t idx, bool is_block)
{
    int64_t deadline = 0;
    if (is_block && blocking_parse_timeout(c, &c->argv[1], &deadline) != 0) return;
    long long numkeys, count = -1;
    if (arg_ll_range(c, &c->argv[idx], 1, LLONG_MAX, "ERR numkeys should be greater than 0",
                     &numkeys) != 0)
        return;
    if ((unsigned long long)numkeys >= c->argc - idx - 1) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    size_t where = idx + 1 + (size_t)numkeys;
    bool max = db_opt_is(&c->argv[where], "max");
    if (!max && !db_opt_is(&c->argv[where], "min")) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    for (size_t j = where + 1; j < c->argc; j++) {
        if (count == -1 && db_opt_is(&c->argv[j], "count") && j + 1 < c->argc) {
            j++;
            if (arg_ll_range(c, &c->argv[j], 1, LLONG_MAX, "ERR count should be greater than 0",
                             &count) != 0)
                return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (count == -1) count = 1;
    const struct resp_arg *keys = &c->argv[idx + 1];
    if (zset_serve_keys(c, keys, (size_t)numkeys, max, count, true) != 0) return;
    if (!is_block || !zset_may_block(c)) {
        reply_null_array(c);
        return;
    }
    blocking_block(c, keys, (size_t)numkeys, deadline, timeout_null_array);
}

static void cmd_zmpop(struct client *c) { zmpop_generic(c, 1, false); }
static void cmd_bzmpop(struct client *c) { zmpop_generic(c, 2, true); }

/* ---- ZRANDMEMBER ------------------------------------------------------------------------- */

static void zrandmember_count(struct client *c, long long l, bool withscores)
{
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[1], false, &err);
    if (err) return;
    if (!z || l == 0) {
        reply_empty_array(c);
        return;
    }
    struct obj_zset_entry e;
    if (l < 0 || l == 1) {
        if (l < -ZRANDMEMBER_MAX_PICKS) {
            reply_error(c, "ERR value is out of range");
            return;
        }
        size_t n = (size_t)(l < 0 ? -l : l);
        zset_reply_header(c, n, withscores);
        for (size_t i = 0; i < n; i++) {
            obj_zset_random(z, &c->srv->rng, &e);
            zset_reply_entry(c, e.member, e.len, e.score, withscores);
        }
        return;
    }
    if ((unsigned long long)l >= obj_zset_card(z)) {
        /* The whole set, from the highest score down, as Redis 7.0 replies it. */
        struct obj_zset_iter it;
        size_t n = obj_zset_iter_rank(&it, z, 0, -1, true);
        zset_reply_header(c, n, withscores);
        while (obj_zset_iter_next(&it, &e))
            zset_reply_entry(c, e.member, e.len, e.score, withscores);
        return;
    }
    size_t n = (size_t)l;
    struct obj_zset_entry *out = xmalloc(n * sizeof *out);
    n = obj_zset_random_distinct(z, &c->srv->rng, n, out);
    zset_reply_header(c, n, withscores);
    for (size_t i = 0; i < n; i++)
        zset_reply_entry(c, out[i].member, out[i].len, out[i].score, withscores);
    free(out);
}

static void cmd_zrandmember(struct client *c)
{
    if (c->argc >= 3) {
        long long l;
        if (arg_ll(c, &c->argv[2], &l) != 0) return;
        if (l < -LLONG_MAX) {
            reply_error(c, "ERR value is out of range, value must between -9223372036854775807 "
                           "and 9223372036854775807");
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !db_opt_is(&c->argv[3], "withscores"))) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        bool withscores = c->argc == 4;
        if (withscores && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            reply_error(c, "ERR value is out of range");
            return;
        }
        zrandmember_count(c, l, withscores);
        return;
    }
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[1], false, &err);
    if (err) return;
    struct obj_zset_entry e;
    if (z && obj_zset_random(z, &c->srv->rng, &e))
        reply_bulk(c, e.member, e.len);
    else
        reply_null(c);
}

/* ---- ZSCAN ------------------------------------------------------------------------------- */

struct zscan_ctx {
    const struct db_scan_opts *opts;
    size_t n;
    struct buf out;
};

static void zscan_one(void *ctx, const char *m, size_t len, double score)
{
    struct zscan_ctx *s = ctx;
    if (s->opts->pat && !util_glob_match(s->opts->pat, s->opts->patlen, m, len, false)) return;
    char num[64];
    size_t numlen = obj_zset_format_score(score, num, sizeof num);
    resp_write_bulk(&s->out, m, len);
    resp_write_bulk(&s->out, num, numlen);
    s->n += 2;
}

static void cmd_zscan(struct client *c)
{
    uint64_t cursor;
    if (db_parse_cursor(c, &c->argv[2], &cursor) != 0) return;
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[1], false, &err);
    if (err) return;
    if (!z) {
        db_reply_empty_scan(c);
        return;
    }
    struct db_scan_opts opts;
    if (db_parse_scan_opts(c, 3, false, &opts) != 0) return;
    struct zscan_ctx sc = {.opts = &opts};
    buf_init(&sc.out);
    /* Redis's COUNT bounds reply elements, two per member. */
    long long members = opts.count / 2 + opts.count % 2;
    size_t count = members > (long long)(SIZE_MAX / 16) ? SIZE_MAX / 16 : (size_t)members;
    cursor = obj_zset_scan(z, cursor, count, zscan_one, &sc);
    db_reply_scan(c, cursor, sc.n, &sc.out);
    buf_free(&sc.out);
}

/* ---- table ------------------------------------------------------------------------------- */

#define ZSET_CMD(n, a, f, fn_, fk, lk, st)                                                         \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = st, .group = "sorted-set"                                                      \
    }

enum {
    RO = CMD_READONLY,
    RO_FAST = CMD_READONLY | CMD_FAST,
    W = CMD_WRITE,
    W_FAST = CMD_WRITE | CMD_FAST,
    W_OOM = CMD_WRITE | CMD_DENYOOM,
    W_OOM_FAST = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
    W_BLOCK = CMD_WRITE | CMD_BLOCKING,
};

struct command cmd_table_zset[] = {
    ZSET_CMD("zadd", -4, W_OOM_FAST, cmd_zadd, 1, 1, 1),
    ZSET_CMD("zincrby", 4, W_OOM_FAST, cmd_zincrby, 1, 1, 1),
    ZSET_CMD("zscore", 3, RO_FAST, cmd_zscore, 1, 1, 1),
    ZSET_CMD("zmscore", -3, RO_FAST, cmd_zmscore, 1, 1, 1),
    ZSET_CMD("zrank", -3, RO_FAST, cmd_zrank, 1, 1, 1),
    ZSET_CMD("zrevrank", -3, RO_FAST, cmd_zrevrank, 1, 1, 1),
    ZSET_CMD("zcard", 2, RO_FAST, cmd_zcard, 1, 1, 1),
    ZSET_CMD("zcount", 4, RO_FAST, cmd_zcount, 1, 1, 1),
    ZSET_CMD("zlexcount", 4, RO_FAST, cmd_zlexcount, 1, 1, 1),
    ZSET_CMD("zrem", -3, W_FAST, cmd_zrem, 1, 1, 1),
    ZSET_CMD("zremrangebyrank", 4, W, cmd_zremrangebyrank, 1, 1, 1),
    ZSET_CMD("zremrangebyscore", 4, W, cmd_zremrangebyscore, 1, 1, 1),
    ZSET_CMD("zremrangebylex", 4, W, cmd_zremrangebylex, 1, 1, 1),
    ZSET_CMD("zrange", -4, RO, cmd_zrange, 1, 1, 1),
    ZSET_CMD("zrangestore", -5, W_OOM, cmd_zrangestore, 1, 2, 1),
    ZSET_CMD("zrevrange", -4, RO, cmd_zrevrange, 1, 1, 1),
    ZSET_CMD("zrangebyscore", -4, RO, cmd_zrangebyscore, 1, 1, 1),
    ZSET_CMD("zrevrangebyscore", -4, RO, cmd_zrevrangebyscore, 1, 1, 1),
    ZSET_CMD("zrangebylex", -4, RO, cmd_zrangebylex, 1, 1, 1),
    ZSET_CMD("zrevrangebylex", -4, RO, cmd_zrevrangebylex, 1, 1, 1),
    ZSET_CMD("zpopmin", -2, W_FAST, cmd_zpopmin, 1, 1, 1),
    ZSET_CMD("zpopmax", -2, W_FAST, cmd_zpopmax, 1, 1, 1),
    ZSET_CMD("bzpopmin", -3, W_BLOCK | CMD_FAST, cmd_bzpopmin, 1, -2, 1),
    ZSET_CMD("bzpopmax", -3, W_BLOCK | CMD_FAST, cmd_bzpopmax, 1, -2, 1),
    ZSET_CMD("zmpop", -4, W, cmd_zmpop, 0, 0, 0),
    ZSET_CMD("bzmpop", -5, W_BLOCK, cmd_bzmpop, 0, 0, 0),
    ZSET_CMD("zunion", -3, RO, cmd_zunion, 0, 0, 0),
    ZSET_CMD("zinter", -3, RO, cmd_zinter, 0, 0, 0),
    ZSET_CMD("zdiff", -3, RO, cmd_zdiff, 0, 0, 0),
    ZSET_CMD("zunionstore", -4, W_OOM, cmd_zunionstore, 1, 1, 1),
    ZSET_CMD("zinterstore", -4, W_OOM, cmd_zinterstore, 1, 1, 1),
    ZSET_CMD("zdiffstore", -4, W_OOM, cmd_zdiffstore, 1, 1, 1),
    ZSET_CMD("zintercard", -3, RO, cmd_zintercard, 0, 0, 0),
    ZSET_CMD("zrandmember", -2, RO, cmd_zrandmember, 1, 1, 1),
    ZSET_CMD("zscan", -3, RO, cmd_zscan, 1, 1, 1),
    {.name = NULL},
};
