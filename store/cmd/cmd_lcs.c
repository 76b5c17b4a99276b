/* cmd_lcs: LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], the longest common
 * subsequence of two strings, with Redis 7.0's replies and errors.
 *
 * Method: the classic dynamic programme over a table of (len1+1) * (len2+1) 32-bit cells,
 * then one walk back from the bottom-right corner that spells the subsequence (right to left)
 * and, for IDX, reports the matching ranges in the order the walk meets them (last first).
 * On a tie the walk steps along the second string, as Redis's does, so the subsequence and the
 * ranges chosen are Redis's.
 *
 * Memory bound (Redis's): the table is refused when its bytes would exceed proto-max-bulk-len
 * ("transient memory for LCS exceeds proto-max-bulk-len"), and an allocation failure is an
 * error reply, never an abort. Time is O(len1 * len2), like Redis: two 10,000-byte strings
 * (10^8 cells, a 400 MB table) take one to two seconds here and in redis-server 7.0 alike,
 * and block the loop meanwhile. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/reply.h"

#define ERR_LCS_TYPE "ERR The specified keys must contain string values"
#define ERR_LCS_BOTH "ERR If you want both the length and indexes, please just use IDX."
#define ERR_LCS_TOO_LONG "ERR String too long for LCS"
#define ERR_LCS_OVER_LIMIT                                                                         \
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
#define ERR_LCS_NOMEM "ERR Insufficient memory, failed allocating transient memory for LCS"

struct lcs_opts {
    bool len, idx, withmatchlen;
    long long minmatchlen;
};

struct lcs_str {
    const char *p;
    size_t n;
    char num[KS_INT_BUF];
};

/* A key's string, "" when absent; false (after the reply) when it holds another type. */
static bool lcs_load(struct client *c, const struct resp_arg *key, struct lcs_str *s)
{
    struct ks_entry *e = db_lookup_read(c, key);
    s->p = "";
    s->n = 0;
    if (!e) return true;
    if (ks_entry_type(e) != KS_TYPE_STRING) return false;
    s->p = ks_str_get(e, s->num, &s->n);
    return true;
}

static int lcs_parse(struct client *c, struct lcs_opts *o)
{
    *o = (struct lcs_opts){0};
    for (size_t j = 3; j < c->argc; j++) {
        const struct resp_arg *a = &c->argv[j];
        if (db_opt_is(a, "idx")) {
            o->idx = true;
        } else if (db_opt_is(a, "len")) {
            o->len = true;
        } else if (db_opt_is(a, "withmatchlen")) {
            o->withmatchlen = true;
        } else if (db_opt_is(a, "minmatchlen") && j + 1 < c->argc) {
            if (arg_ll(c, &c->argv[++j], &o->minmatchlen) != 0) return -1;
            if (o->minmatchlen < 0) o->minmatchlen = 0;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    if (o->idx && o->len) {
        reply_error(c, ERR_LCS_BOTH);
        return -1;
    }
    return 0;
}

/* The table, or NULL after the reply (over the limit, or no memory). */
static uint32_t *lcs_table(struct client *c, size_t na, size_t nb)
{
    if (na >= UINT32_MAX - 1 || nb >= UINT32_MAX - 1) {
        reply_error(c, ERR_LCS_TOO_LONG);
        return NULL;
    }
    unsigned long long cells = (unsigned long long)(na + 1) * (nb + 1);
    if (cells > SIZE_MAX / sizeof(uint32_t)) {
        reply_error(c, ERR_LCS_NOMEM);
        return NULL;
    }
    if (cells * sizeof(uint32_t) > (unsigned long long)c->srv->cfg.proto_max_bulk_len) {
        reply_error(c, ERR_LCS_OVER_LIMIT);
        return NULL;
    }
    uint32_t *t = malloc((size_t)cells * sizeof(uint32_t)); /* may fail: an error, no abort */
    if (!t) reply_error(c, ERR_LCS_NOMEM);
    return t;
}

static void lcs_fill(uint32_t *t, const struct lcs_str *a, const struct lcs_str *b)
{
    size_t w = b->n + 1;
    for (size_t i = 0; i <= a->n; i++) {
        for (size_t j = 0; j <= b->n; j++) {
            if (i == 0 || j == 0)
                t[i * w + j] = 0;
            else if (a->p[i - 1] == b->p[j - 1])
                t[i * w + j] = t[(i - 1) * w + j - 1] + 1;
            else
                t[i * w + j] = MAX(t[(i - 1) * w + j], t[i * w + j - 1]);
        }
    }
}

/* One match range [as, ae] x [bs, be]. */
static void lcs_reply_range(struct client *c, const struct lcs_opts *o, size_t as, size_t ae,
                            size_t bs, size_t be)
{
    reply_array(c, o->withmatchlen ? 3 : 2);
    reply_array(c, 2);
    reply_integer(c, (long long)as);
    reply_integer(c, (long long)ae);
    reply_array(c, 2);
    reply_integer(c, (long long)bs);
    reply_integer(c, (long long)be);
    if (o->withmatchlen) reply_integer(c, (long long)(ae - as + 1));
}

/* Walk back from the corner: spell the subsequence into out (its length: the corner's value),
 * and with IDX reply each range long enough; returns how many ranges were replied. */
static size_t lcs_walk(struct client *c, const uint32_t *t, const struct lcs_str *a,
                       const struct lcs_str *b, const struct lcs_opts *o, char *out)
{
    size_t w = b->n + 1, i = a->n, j = b->n, k = t[i * w + j], nranges = 0;
    bool open = false; /* a range is being tracked */
    size_t as = 0, ae = 0, bs = 0, be = 0;
    while (i > 0 && j > 0) {
        bool emit = false;
        if (a->p[i - 1] == b->p[j - 1]) {
            out[--k] = a->p[i - 1];
            if (!open) {
                open = true;
                as = ae = i - 1;
                bs = be = j - 1;
            } else { /* consecutive matches extend the range backwards */
                as--;
                bs--;
            }
            emit = as == 0 || bs == 0; /* the walk ends at once */
            i--;
            j--;
        } else {
            if (t[(i - 1) * w + j] > t[i * w + j - 1])
                i--;
            else
                j--;
            emit = open;
        }
        if (!emit) continue;
        if (o->idx && (o->minmatchlen == 0 || ae - as + 1 >= (size_t)o->minmatchlen)) {
            lcs_reply_range(c, o, as, ae, bs, be);
            nranges++;
        }
        open = false;
    }
    return nranges;
}

static void cmd_lcs(struct client *c)
{
    struct lcs_str a, b;
    struct lcs_opts o;
    if (!lcs_load(c, &c->argv[1], &a) || !lcs_load(c, &c->argv[2], &b)) {
        reply_error(c, ERR_LCS_TYPE);
        return;
    }
    if (lcs_parse(c, &o) != 0) return;
    uint32_t *t = lcs_table(c, a.n, b.n);
    if (!t) return;
    lcs_fill(t, &a, &b);
    uint32_t total = t[a.n * (b.n + 1) + b.n];
    if (o.len) {
        reply_integer(c, total);
        free(t);
        return;
    }
    char *out = xmalloc(total ? total : 1);
    size_t handle = 0;
    if (o.idx) {
        reply_map(c, 2);
        reply_bulk_str(c, "matches");
        handle = reply_deferred_begin(c);
    }
    size_t nranges = lcs_walk(c, t, &a, &b, &o, out);
    if (o.idx) {
        reply_deferred_array(c, handle, nranges);
        reply_bulk_str(c, "len");
        reply_integer(c, total);
    } else {
        reply_bulk(c, out, total);
    }
    free(out);
    free(t);
}

struct command cmd_table_lcs[] = {
    {.name = "lcs",
     .arity = -3,
     .flags = CMD_READONLY,
     .fn = cmd_lcs,
     .first_key = 1,
     .last_key = 2,
     .key_step = 1,
     .group = "string"},
    {.name = NULL},
};
