/* cmd_zset_store: sorted-set algebra: ZUNION, ZINTER, ZDIFF (with WITHSCORES), their STORE forms
 * (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE) with WEIGHTS and AGGREGATE SUM|MIN|MAX, and
 * ZINTERCARD. Inputs may be sorted sets or plain sets (a set member scores 1), as in Redis.
 *
 * Floating point sums depend on the order of addition, so the order is Redis's: inputs sorted
 * by cardinality, smallest first (a stable sort, as glibc's qsort behaves), each member's score
 * is weight * score with NaN (0 * inf) read as 0, and SUM turns inf + -inf into 0. ZDIFF keeps
 * the first input first and uses its unweighted scores.
 *
 * Every input key is type-checked before the options are parsed, so a WRONGTYPE wins over a
 * syntax error, as in Redis. A STORE result that fits the listpack limits is stored compactly.
 *
 * Also here, shared with ZRANGESTORE and ZADD: storing a result under its destination, and
 * Redis 7.0's listpack rule for -0 (a listpack keeps scores as text and writes integral values
 * as integers, so a -0 stored while the set is a listpack reads back as 0; a skip list keeps it).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/cmd/cmd_zset_int.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/data/obj_set.h"
#include "store/reply.h"

/* ---- storing results (shared with ZRANGESTORE) --------------------------------------------- */

void zset_store_result(struct client *c, const struct resp_arg *dst, struct obj_zset *result,
                       const char *event)
{
    size_t card = obj_zset_card(result);
    bool existed = db_lookup_write(c, dst) != NULL; /* an expired destination goes first */
    if (card == 0) {
        obj_zset_free(result);
        reply_integer(c, 0);
        if (existed && ks_delete(db_ks(c), dst->ptr, dst->len)) {
            db_key_modified(c, dst);
            c->srv->dirty++;
            db_notify(c, NOTIFY_GENERIC, "del", dst);
        }
        return;
    }
    ks_set_obj(db_ks(c), dst->ptr, dst->len, &obj_zset_ops, result, 0);
    reply_integer(c, (long long)card);
    db_key_modified(c, dst);
    c->srv->dirty++;
    db_notify(c, NOTIFY_ZSET, event, dst);
}

static bool zset_is_listpack(const struct obj_zset *z)
{
    return strcmp(obj_zset_encoding_name(z), "listpack") == 0;
}

double zset_store_score(struct obj_zset *z, double score, const char *m, size_t len,
                        const struct obj_zset_limits *lim)
{
    if (score != 0 || !signbit(score) || !zset_is_listpack(z)) return score;
    double cur;
    bool stays = obj_zset_score(z, m, len, &cur) || obj_zset_listpack_fits(z, len, lim);
    return stays ? 0.0 : score;
}

void zset_fix_negative_zero(struct obj_zset *z, const struct obj_zset_limits *lim)
{
    if (!zset_is_listpack(z)) return;
    for (;;) {
        struct obj_zset_iter it;
        struct obj_zset_entry e;
        obj_zset_iter_rank(&it, z, 0, -1, false);
        bool found = false;
        while (!found && obj_zset_iter_next(&it, &e)) found = e.score == 0 && signbit(e.score);
        if (!found) return;
        char *m = xmemdup(e.member, e.len);
        size_t len = e.len;
        int out;
        double ns;
        obj_zset_delete(z, m, len);
        obj_zset_add(z, 0.0, m, len, 0, &out, &ns, lim);
        free(m);
    }
}

/* ---- algebra ----------------------------------------------------------------------------- */

enum zop { ZOP_UNION, ZOP_INTER, ZOP_DIFF };

/* One input: a sorted set, a set, or nothing (a missing key). */
struct zsrc {
    struct obj_zset *z;
    struct obj_set *s;
    double weight;
    size_t card;
};

struct zop_req {
    enum zop op;
    bool card_only; /* ZINTERCARD: LIMIT instead of WEIGHTS, AGGREGATE, WITHSCORES */
    struct zsrc *src;
    size_t n;
    enum obj_zset_agg agg;
    bool withscores;
    long long limit;
};

typedef void (*zsrc_fn)(void *ctx, const char *m, size_t len, double score);

static void zsrc_foreach(const struct zsrc *s, zsrc_fn fn, void *ctx)
{
    if (s->z) {
        struct obj_zset_iter it;
        struct obj_zset_entry e;
        obj_zset_iter_rank(&it, s->z, 0, -1, false);
        while (obj_zset_iter_next(&it, &e)) fn(ctx, e.member, e.len, e.score);
    } else if (s->s) {
        struct obj_set_iter it;
        struct pack_val v;
        obj_set_iter_init(&it, s->s);
        while (obj_set_iter_next(&it, &v)) {
            char num[PACK_NUMBUF];
            size_t len;
            const char *m = pack_val_str(&v, num, &len);
            fn(ctx, m, len, 1.0);
        }
    }
}

static bool zsrc_find(const struct zsrc *s, const char *m, size_t len, double *score)
{
    if (s->z) return obj_zset_score(s->z, m, len, score);
    *score = 1.0;
    return s->s && obj_set_ismember(s->s, m, len);
}

/* Redis's aggregation of two already weighted scores. */
static void zagg(double *target, double v, enum obj_zset_agg agg)
{
    if (agg == OBJ_ZSET_AGG_SUM) {
        *target += v;
        if (isnan(*target)) *target = 0.0;
    } else if (agg == OBJ_ZSET_AGG_MIN) {
        *target = v < *target ? v : *target;
    } else {
        *target = v > *target ? v : *target;
    }
}

static double weighted(double weight, double score)
{
    double v = weight * score;
    return isnan(v) ? 0.0 : v;
}

/* ---- parsing ----------------------------------------------------------------------------- */

/* Look the input keys up (missing keys stay empty inputs of weight 1). -1 with WRONGTYPE
 * replied when one holds neither a sorted set nor a set. */
static int zop_collect(struct client *c, const struct resp_arg *keys, size_t n, struct zsrc *src)
{
    for (size_t i = 0; i < n; i++) {
        struct ks_entry *e = db_lookup_read(c, &keys[i]);
        src[i].weight = 1.0;
        if (!e) continue;
        enum ks_type t = ks_entry_type(e);
        if (t == KS_TYPE_ZSET) {
            src[i].z = ks_entry_obj(e);
            src[i].card = obj_zset_card(src[i].z);
        } else if (t == KS_TYPE_SET) {
            src[i].s = ks_entry_obj(e);
            src[i].card = obj_set_card(src[i].s);
        } else {
            reply_error(c, ERR_WRONGTYPE);
            return -1;
        }
    }
    return 0;
}

/* numkeys at argv[idx], the keys (type-checked), then WEIGHTS / AGGREGATE / WITHSCORES. */
static int zop_parse(struct client *c, size_t idx, bool store, struct zop_req *r)
{
    long long numkeys;
    if (arg_ll(c, &c->argv[idx], &numkeys) != 0) return -1;
    if (numkeys < 1) {
        reply_errorf(c, "ERR at least 1 input key is needed for '%s' command", c->cmd->name);
        return -1;
    }
    if ((unsigned long long)numkeys > c->argc - idx - 1) {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    r->n = (size_t)numkeys;
    r->src = xcalloc(r->n, sizeof *r->src);
    if (zop_collect(c, &c->argv[idx + 1], r->n, r->src) != 0) return -1;
    size_t j = idx + 1 + r->n;
    while (j < c->argc) {
        size_t left = c->argc - j;
        const struct resp_arg *a = &c->argv[j];
        bool algebra = r->op != ZOP_DIFF && !r->card_only;
        if (algebra && left >= r->n + 1 && db_opt_is(a, "weights")) {
            j++;
            for (size_t i = 0; i < r->n; i++, j++) {
                if (util_parse_double(c->argv[j].ptr, c->argv[j].len, &r->src[i].weight) != 0) {
                    reply_error(c, "ERR weight value is not a float");
                    return -1;
                }
            }
        } else if (algebra && left >= 2 && db_opt_is(a, "aggregate")) {
            const struct resp_arg *v = &c->argv[j + 1];
            if (db_opt_is(v, "sum"))
                r->agg = OBJ_ZSET_AGG_SUM;
            else if (db_opt_is(v, "min"))
                r->agg = OBJ_ZSET_AGG_MIN;
            else if (db_opt_is(v, "max"))
                r->agg = OBJ_ZSET_AGG_MAX;
            else {
                reply_error(c, ERR_SYNTAX);
                return -1;
            }
            j += 2;
        } else if (!store && !r->card_only && db_opt_is(a, "withscores")) {
            r->withscores = true;
            j++;
        } else if (r->card_only && left >= 2 && db_opt_is(a, "limit")) {
            if (arg_ll_range(c, &c->argv[j + 1], 0, LLONG_MAX, "ERR LIMIT can't be negative",
                             &r->limit) != 0)
                return -1;
            j += 2;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* Stable sort by cardinality, smallest first (all inputs but the first for ZDIFF). */
static void zop_sort(struct zsrc *src, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct zsrc x = src[i];
        size_t k = i;
        for (; k > 0 && src[k - 1].card > x.card; k--) src[k] = src[k - 1];
        src[k] = x;
    }
}

/* ---- the operations ---------------------------------------------------------------------- */

struct zop_ctx {
    const struct zop_req *r;
    struct obj_zset *out;
    struct obj_zset_limits lim; /* out's encoding limits */
    double weight;
    size_t count, limit; /* ZINTERCARD */
    bool count_only;
};

static void union_one(void *ctx, const char *m, size_t len, double score)
{
    struct zop_ctx *x = ctx;
    obj_zset_aggregate(x->out, m, len, weighted(x->weight, score), x->r->agg, &x->lim);
}

static void inter_one(void *ctx, const char *m, size_t len, double score)
{
    struct zop_ctx *x = ctx;
    const struct zop_req *r = x->r;
    if (x->count_only && x->limit && x->count >= x->limit) return;
    double acc = weighted(r->src[0].weight, score);
    for (size_t j = 1; j < r->n; j++) {
        double v;
        if (!zsrc_find(&r->src[j], m, len, &v)) return;
        zagg(&acc, v * r->src[j].weight, r->agg);
    }
    if (x->count_only) {
        x->count++;
        return;
    }
    int out;
    double ns;
    obj_zset_add(x->out, acc, m, len, 0, &out, &ns, &x->lim);
}

static void diff_one(void *ctx, const char *m, size_t len, double score)
{
    struct zop_ctx *x = ctx;
    const struct zop_req *r = x->r;
    for (size_t j = 1; j < r->n; j++) {
        double v;
        if (zsrc_find(&r->src[j], m, len, &v)) return;
    }
    int out;
    double ns;
    obj_zset_add(x->out, score, m, len, 0, &out, &ns, &x->lim);
}

/* The result of r (a new sorted set), or only the intersection's size for ZINTERCARD. */
static struct obj_zset *zop_compute(struct zop_ctx *x)
{
    const struct zop_req *r = x->r;
    if (r->op == ZOP_UNION) {
        size_t hint = 0;
        for (size_t i = 0; i < r->n; i++) hint += r->src[i].card;
        x->out = obj_zset_create_hint(hint, 0, &x->lim);
        for (size_t i = 0; i < r->n; i++) {
            x->weight = r->src[i].weight;
            zsrc_foreach(&r->src[i], union_one, x);
        }
        return x->out;
    }
    x->out = x->count_only ? NULL : obj_zset_create_hint(r->src[0].card, 0, &x->lim);
    if (r->op == ZOP_INTER && r->src[0].card > 0) zsrc_foreach(&r->src[0], inter_one, x);
    if (r->op == ZOP_DIFF) zsrc_foreach(&r->src[0], diff_one, x);
    return x->out;
}

static void zop_reply(struct client *c, struct obj_zset *z, bool withscores)
{
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    size_t n = obj_zset_iter_rank(&it, z, 0, -1, false);
    zset_reply_header(c, n, withscores);
    while (obj_zset_iter_next(&it, &e)) zset_reply_entry(c, e.member, e.len, e.score, withscores);
}

/* ZUNION/ZINTER/ZDIFF numkeys ... (dst_idx 0) and the STORE forms (dst at argv[1]). */
static void zop_generic(struct client *c, enum zop op, size_t dst_idx)
{
    struct zop_req r = {.op = op};
    size_t idx = dst_idx ? 2 : 1;
    if (zop_parse(c, idx, dst_idx != 0, &r) != 0) {
        free(r.src);
        return;
    }
    if (op == ZOP_DIFF) {
        if (r.n > 1) zop_sort(r.src + 1, r.n - 1);
    } else {
        zop_sort(r.src, r.n);
    }
    struct zop_ctx x = {.r = &r, .lim = zset_limits(c)};
    struct obj_zset *result = zop_compute(&x);
    free(r.src);
    if (dst_idx) {
        obj_zset_convert_if_small(result, &x.lim);
        zset_fix_negative_zero(result, &x.lim);
        static const char *const events[] = {
            [ZOP_UNION] = "zunionstore", [ZOP_INTER] = "zinterstore", [ZOP_DIFF] = "zdiffstore"};
        zset_store_result(c, &c->argv[dst_idx], result, events[op]);
        return;
    }
    zop_reply(c, result, r.withscores);
    obj_zset_free(result);
}

void cmd_zunion(struct client *c) { zop_generic(c, ZOP_UNION, 0); }
void cmd_zinter(struct client *c) { zop_generic(c, ZOP_INTER, 0); }
void cmd_zdiff(struct client *c) { zop_generic(c, ZOP_DIFF, 0); }
void cmd_zunionstore(struct client *c) { zop_generic(c, ZOP_UNION, 1); }
void cmd_zinterstore(struct client *c) { zop_generic(c, ZOP_INTER, 1); }
void cmd_zdiffstore(struct client *c) { zop_generic(c, ZOP_DIFF, 1); }

/* ZINTERCARD numkeys key... [LIMIT limit]: parsed as ZINTER is (Redis 7.0 shares the code),
 * counting the intersection and stopping at LIMIT. */
void cmd_zintercard(struct client *c)
{
    struct zop_req r = {.op = ZOP_INTER, .card_only = true};
    if (zop_parse(c, 1, false, &r) != 0) {
        free(r.src);
        return;
    }
    zop_sort(r.src, r.n);
    struct zop_ctx x = {
        .r = &r, .count_only = true, .limit = (size_t)r.limit, .lim = zset_limits(c)};
    zop_compute(&x);
    free(r.src);
    reply_integer(c, (long long)x.count);
}
