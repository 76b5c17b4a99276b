/* cmd_zset_range: every ranged read of a sorted set, through one parser and one walker as Redis
 * 7.0 does it: ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES], the
 * older forms (ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX) which
 * fix the range type and direction, and ZRANGESTORE, which stores the same selection.
 *
 * Why one parser: the option rules and error texts are shared (LIMIT only with BYSCORE/BYLEX,
 * WITHSCORES not with BYLEX, REV swaps min and max for score and lex ranges), and replies must
 * match byte for byte whichever form a client uses.
 *
 * Score bounds are read with strtod as Redis 7.0 reads them (zset_parse_score_range, also used by
 * ZCOUNT and ZREMRANGEBYSCORE), which is looser than ZADD's score parsing.
 *
 * LIMIT follows Redis's loop: a negative offset skips everything (an empty reply), a negative
 * count means no limit. Score and lex ranges do not know their size up front, so their replies
 * use a deferred header. The walk is O(log N + M) on a skip list (obj_zset iterators).
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/cmd/cmd_zset_int.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/reply.h"

/* ---- parsing ----------------------------------------------------------------------------- */

static int score_bound(const struct resp_arg *a, double *v, bool *ex)
{
    const char *s = a->ptr;
    size_t len = a->len;
    *ex = len > 0 && s[0] == '(';
    if (*ex) s++, len--;
    char small[64];
    char *text = len < sizeof small ? small : xmalloc(len + 1);
    memcpy(text, s, len);
    text[len] = '\0'; /* an embedded NUL ends the number, as in Redis's C string */
    char *end;
    *v = strtod(text, &end);
    int rc = *end != '\0' || isnan(*v) ? -1 : 0;
    if (text != small) free(text);
    return rc;
}

int zset_parse_score_range(struct client *c, const struct resp_arg *min, const struct resp_arg *max,
                           struct zrange_score *out)
{
    if (score_bound(min, &out->min, &out->minex) != 0 ||
        score_bound(max, &out->max, &out->maxex) != 0) {
        reply_error(c, OBJ_ZSET_ERR_SCORE_RANGE_MSG);
        return -1;
    }
    return 0;
}

enum zr_type { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };
enum zr_dir { ZR_DIR_AUTO, ZR_FORWARD, ZR_REVERSE };

struct zr_req {
    size_t key_idx; /* argv index of the source key; min and max follow it */
    enum zr_type type;
    enum zr_dir dir;
    bool withscores;
    bool has_limit;
    long long offset, limit; /* limit < 0: no limit */
    long long start, stop;   /* rank ranges */
    struct zrange_score score;
    struct zrange_lex lex;
};

/* Options after <key> <min> <max>. -1 with the Redis error replied. */
static int zr_parse_options(struct client *c, struct zr_req *r, bool store)
{
    for (size_t j = r->key_idx + 3; j < c->argc; j++) {
        const struct resp_arg *a = &c->argv[j];
        size_t left = c->argc - j - 1;
        if (!store && db_opt_is(a, "withscores")) {
            r->withscores = true;
        } else if (db_opt_is(a, "limit") && left >= 2) {
            if (arg_ll(c, &c->argv[j + 1], &r->offset) != 0 ||
                arg_ll(c, &c->argv[j + 2], &r->limit) != 0)
                return -1;
            r->has_limit = true;
            j += 2;
        } else if (r->dir == ZR_DIR_AUTO && db_opt_is(a, "rev")) {
            r->dir = ZR_REVERSE;
        } else if (r->type == ZR_AUTO && db_opt_is(a, "bylex")) {
            r->type = ZR_LEX;
        } else if (r->type == ZR_AUTO && db_opt_is(a, "byscore")) {
            r->type = ZR_SCORE;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    if (r->dir == ZR_DIR_AUTO) r->dir = ZR_FORWARD;
    if (r->type == ZR_AUTO) r->type = ZR_RANK;
    if (r->has_limit && r->type == ZR_RANK) {
        reply_error(c, "ERR syntax error, LIMIT is only supported in combination with either "
                       "BYSCORE or BYLEX");
        return -1;
    }
    if (r->withscores && r->type == ZR_LEX) {
        reply_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return -1;
    }
    return 0;
}

/* The range itself; score and lex ranges are given as max, min when reversed. */
static int zr_parse_range(struct client *c, struct zr_req *r)
{
    size_t lo = r->key_idx + 1, hi = r->key_idx + 2;
    if (r->dir == ZR_REVERSE && r->type != ZR_RANK) {
        size_t t = lo;
        lo = hi;
        hi = t;
    }
    const struct resp_arg *a = &c->argv[lo], *b = &c->argv[hi];
    switch (r->type) {
    case ZR_SCORE:
        return zset_parse_score_range(c, a, b, &r->score);
    case ZR_LEX:
        if (obj_zset_parse_lex_range(a->ptr, a->len, b->ptr, b->len, &r->lex) == 0) return 0;
        reply_error(c, OBJ_ZSET_ERR_LEX_RANGE_MSG);
        return -1;
    default:
        return arg_ll(c, a, &r->start) != 0 || arg_ll(c, b, &r->stop) != 0 ? -1 : 0;
    }
}

/* Where the selected members go: the client, or a new sorted set (ZRANGESTORE). */
struct zr_sink {
    struct client *c;
    bool withscores;
    struct obj_zset *dst;
    struct obj_zset_limits lim; /* dst's encoding limits */
    size_t n;
};

static void zr_emit(struct zr_sink *s, const struct obj_zset_entry *e)
{
    s->n++;
    if (s->dst) {
        int out;
        double ns;
        double score = zset_store_score(s->dst, e->score, e->member, e->len, &s->lim);
        obj_zset_add(s->dst, score, e->member, e->len, 0, &out, &ns, &s->lim);
        return;
    }
    zset_reply_entry(s->c, e->member, e->len, e->score, s->withscores);
}

static void zr_walk_rank(struct zr_sink *s, const struct obj_zset *z, const struct zr_req *r)
{
    struct obj_zset_iter it;
    size_t n = obj_zset_iter_rank(&it, z, r->start, r->stop, r->dir == ZR_REVERSE);
    if (!s->dst) zset_reply_header(s->c, n, s->withscores);
    struct obj_zset_entry e;
    while (obj_zset_iter_next(&it, &e)) zr_emit(s, &e);
}

static void zr_walk_sel(struct zr_sink *s, const struct obj_zset *z, const struct zr_req *r)
{
    size_t handle = s->dst ? 0 : reply_deferred_begin(s->c);
    bool reverse = r->dir == ZR_REVERSE;
    long long limit = r->has_limit ? r->limit : -1;
    if (!r->has_limit || r->offset >= 0) {
        size_t offset = r->has_limit ? (size_t)r->offset : 0;
        struct obj_zset_iter it;
        if (r->type == ZR_SCORE)
            obj_zset_iter_score(&it, z, &r->score, reverse, offset);
        else
            obj_zset_iter_lex(&it, z, &r->lex, reverse, offset);
        struct obj_zset_entry e;
        while (limit != 0 && obj_zset_iter_next(&it, &e)) {
            zr_emit(s, &e);
            if (limit > 0) limit--;
        }
    }
    if (!s->dst) reply_deferred_array(s->c, handle, zset_reply_len(s->c, s->n, s->withscores));
}

/* The shared body: argv[key_idx] is the source; dst_idx is ZRANGESTORE's destination or 0. */
static void zrange_generic(struct client *c, size_t key_idx, size_t dst_idx, enum zr_dir dir,
                           enum zr_type type)
{
    struct zr_req r = {.key_idx = key_idx, .type = type, .dir = dir, .limit = -1};
    if (zr_parse_options(c, &r, dst_idx != 0) != 0 || zr_parse_range(c, &r) != 0) return;
    bool err;
    struct obj_zset *z = zset_get(c, &c->argv[key_idx], false, &err);
    if (err) return;
    struct zr_sink s = {.c = c, .withscores = r.withscores, .lim = zset_limits(c)};
    if (dst_idx) s.dst = obj_zset_create(); /* Redis 7.0: a listpack that converts as it grows */
    if (!z) {
        if (!s.dst) reply_empty_array(c);
    } else if (r.type == ZR_RANK) {
        zr_walk_rank(&s, z, &r);
    } else {
        zr_walk_sel(&s, z, &r);
    }
    if (s.dst) zset_store_result(c, &c->argv[dst_idx], s.dst, "zrangestore");
}

void cmd_zrange(struct client *c) { zrange_generic(c, 1, 0, ZR_DIR_AUTO, ZR_AUTO); }
void cmd_zrangestore(struct client *c) { zrange_generic(c, 2, 1, ZR_DIR_AUTO, ZR_AUTO); }
void cmd_zrevrange(struct client *c) { zrange_generic(c, 1, 0, ZR_REVERSE, ZR_RANK); }
void cmd_zrangebyscore(struct client *c) { zrange_generic(c, 1, 0, ZR_FORWARD, ZR_SCORE); }
void cmd_zrevrangebyscore(struct client *c) { zrange_generic(c, 1, 0, ZR_REVERSE, ZR_SCORE); }
void cmd_zrangebylex(struct client *c) { zrange_generic(c, 1, 0, ZR_FORWARD, ZR_LEX); }
void cmd_zrevrangebylex(struct client *c) { zrange_generic(c, 1, 0, ZR_REVERSE, ZR_LEX); }
