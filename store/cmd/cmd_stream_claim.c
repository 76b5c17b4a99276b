/* cmd_stream_claim: XCLAIM and XAUTOCLAIM, moving pending entries between the consumers of a
 * group (the recovery of a dead consumer's work). Replies byte-exact with Redis 7.0; each NACK
 * changed is propagated as XCLAIM ... FORCE JUSTID (cmd_stream_group.c). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/cmd/cmd_stream_int.h"
#include "store/command.h"
#include "store/db.h"
#include "store/propagate.h"
#include "store/reply.h"

/* The claiming consumer, created (with its event) on first need. */
static struct stream_consumer *claimer(struct client *c, struct stream_cg *cg,
                                       struct stream_consumer **con)
{
    if (!*con) *con = stream_get_consumer(c, &c->argv[1], cg, &c->argv[3], NULL);
    return *con;
}

/* A pending entry whose stream entry is gone: drop it (and tell replicas). */
static void drop_nack(struct client *c, struct stream_cg *cg, struct stream_nack *nack)
{
    stream_propagate_xclaim(c, &c->argv[1], cg, nack);
    c->srv->dirty++;
    stream_cg_ack(cg, nack->id);
}

static void reply_claimed(struct client *c, struct obj_stream *s, struct stream_id id, bool justid)
{
    if (justid)
        stream_reply_id(c, id);
    else if (!stream_reply_entry(c, s, id))
        reply_null(c);
}

/* ---- XCLAIM ------------------------------------------------------------------------------- */

struct xclaim_opts {
    bool force, justid;
    long long minidle, retrycount, deliverytime;
    struct stream_id lastid;
    size_t last_id_arg;
};

static int xclaim_option(struct client *c, size_t *j, struct xclaim_opts *o, int64_t now)
{
    const struct resp_arg *opt = &c->argv[*j];
    bool more = *j + 1 < c->argc;
    if (db_opt_is(opt, "force")) {
        o->force = true;
    } else if (db_opt_is(opt, "justid")) {
        o->justid = true;
    } else if (db_opt_is(opt, "idle") && more) {
        if (arg_ll_range(c, &c->argv[++*j], LLONG_MIN, LLONG_MAX,
                         "ERR Invalid IDLE option argument for XCLAIM", &o->deliverytime) != 0)
            return -1;
        o->deliverytime = now - o->deliverytime;
    } else if (db_opt_is(opt, "time") && more) {
        if (arg_ll_range(c, &c->argv[++*j], LLONG_MIN, LLONG_MAX,
                         "ERR Invalid TIME option argument for XCLAIM", &o->deliverytime) != 0)
            return -1;
    } else if (db_opt_is(opt, "retrycount") && more) {
        if (arg_ll_range(c, &c->argv[++*j], LLONG_MIN, LLONG_MAX,
                         "ERR Invalid RETRYCOUNT option argument for XCLAIM", &o->retrycount) != 0)
            return -1;
    } else if (db_opt_is(opt, "lastid") && more) {
        if (stream_arg_id(c, &c->argv[++*j], 0, true, NULL, &o->lastid) != 0) return -1;
    } else {
        reply_errorf(c, "ERR Unrecognized XCLAIM option '%.*s'", (int)db_arg_cstr_len(opt),
                     opt->ptr);
        return -1;
    }
    return 0;
}

static int xclaim_parse(struct client *c, struct xclaim_opts *o, int64_t now)
{
    *o = (struct xclaim_opts){.retrycount = -1, .deliverytime = -1};
    if (arg_ll_range(c, &c->argv[4], LLONG_MIN, LLONG_MAX,
                     "ERR Invalid min-idle-time argument for XCLAIM", &o->minidle) != 0)
        return -1;
    if (o->minidle < 0) o->minidle = 0;
    size_t j = 5;
    struct stream_id id;
    while (j < c->argc && stream_id_parse(c->argv[j].ptr, c->argv[j].len, 0, &id) == 0) j++;
    o->last_id_arg = j;
    for (; j < c->argc; j++)
        if (xclaim_option(c, &j, o, now) != 0) return -1;
    if (o->deliverytime == -1 || o->deliverytime < 0 || o->deliverytime > now)
        o->deliverytime = now;
    return 0;
}

/* Claim one ID; true if it was claimed (and replied). */
static bool xclaim_one(struct client *c, struct obj_stream *s, struct stream_cg *cg,
                       const struct xclaim_opts *o, struct stream_id id,
                       struct stream_consumer **con, int64_t now)
{
    struct stream_nack *nack = stream_pel_get(&cg->pel, id);
    if (!obj_stream_has_id(s, id)) {
        if (nack) drop_nack(c, cg, nack);
        return false;
    }
    bool created = false;
    if (!nack) {
        if (!o->force) return false;
        nack = stream_cg_nack_create(cg, claimer(c, cg, con), id, now, 1);
        created = true;
    }
    if (!created && o->minidle && now - nack->delivery_ms < o->minidle) return false;
    stream_cg_nack_assign(nack, claimer(c, cg, con));
    nack->delivery_ms = o->deliverytime;
    if (o->retrycount >= 0)
        nack->delivery_count = (uint64_t)o->retrycount;
    else if (!o->justid)
        nack->delivery_count++;
    reply_claimed(c, s, id, o->justid);
    stream_propagate_xclaim(c, &c->argv[1], cg, nack);
    c->srv->dirty++;
    return true;
}

void cmd_xclaim(struct client *c)
{
    struct obj_stream *s;
    struct stream_cg *cg = stream_require_group(c, &s);
    if (!cg) return;
    propagate_none(c);
    int64_t now = server_now_ms(c->srv);
    struct xclaim_opts o;
    if (xclaim_parse(c, &o, now) != 0) return;
    bool moved_last = false;
    if (stream_id_cmp(o.lastid, cg->last_id) > 0) {
        cg->last_id = o.lastid;
        moved_last = true;
    }
    struct stream_consumer *con = NULL;
    size_t handle = reply_deferred_begin(c), n = 0;
    long long dirty_before = c->srv->dirty;
    for (size_t j = 5; j < o.last_id_arg; j++) {
        struct stream_id id;
        stream_id_parse(c->argv[j].ptr, c->argv[j].len, 0, &id);
        n += xclaim_one(c, s, cg, &o, id, &con, now);
    }
    if (moved_last && c->srv->dirty == dirty_before) {
        stream_propagate_setid(c, &c->argv[1], cg);
        c->srv->dirty++;
    }
    reply_deferred_array(c, handle, n);
    propagate_wrap(c);
}

/* ---- XAUTOCLAIM --------------------------------------------------------------------------- */

struct xautoclaim_opts {
    long long minidle, count;
    bool justid;
    struct stream_id start;
};

static int xautoclaim_parse(struct client *c, struct xautoclaim_opts *o)
{
    *o = (struct xautoclaim_opts){.count = 100};
    if (arg_ll_range(c, &c->argv[4], LLONG_MIN, LLONG_MAX,
                     "ERR Invalid min-idle-time argument for XAUTOCLAIM", &o->minidle) != 0)
        return -1;
    if (o->minidle < 0) o->minidle = 0;
    if (stream_parse_bound(c, &c->argv[5], 0, true, &o->start) != 0) return -1;
    for (size_t j = 6; j < c->argc; j++) {
        if (db_opt_is(&c->argv[j], "count") && j + 1 < c->argc) {
            if (arg_ll_range(c, &c->argv[++j], 1, LONG_MAX / 16, "ERR COUNT must be > 0",
                             &o->count) != 0)
                return -1;
        } else if (db_opt_is(&c->argv[j], "justid")) {
            o->justid = true;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* A growable list of IDs (XAUTOCLAIM's claimed and deleted ones). */
struct id_list {
    struct stream_id *v;
    size_t n, cap;
};

static void id_list_push(struct id_list *l, struct stream_id id)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = id;
}

/* Walk the group's PEL from o->start; returns the index where the next call should go on. */
static size_t xautoclaim_walk(struct client *c, struct obj_stream *s, struct stream_cg *cg,
                              const struct xautoclaim_opts *o, struct id_list *claimed,
                              struct id_list *deleted)
{
    int64_t now = server_now_ms(c->srv);
    long long attempts = o->count * 10, count = o->count;
    struct stream_consumer *con = NULL;
    size_t i = stream_pel_lower_bound(&cg->pel, o->start);
    while (attempts-- && count && i < cg->pel.n) {
        struct stream_nack *nack = cg->pel.v[i];
        if (!obj_stream_has_id(s, nack->id)) {
            id_list_push(deleted, nack->id);
            drop_nack(c, cg, nack); /* the next one moves to index i */
            count--;
            continue;
        }
        i++;
        if (o->minidle && now - nack->delivery_ms < o->minidle) continue;
        stream_cg_nack_assign(nack, claimer(c, cg, &con));
        nack->delivery_ms = now;
        if (!o->justid) nack->delivery_count++;
        id_list_push(claimed, nack->id);
        count--;
        stream_propagate_xclaim(c, &c->argv[1], cg, nack);
        c->srv->dirty++;
    }
    return i;
}

void cmd_xautoclaim(struct client *c)
{
    struct xautoclaim_opts o;
    if (xautoclaim_parse(c, &o) != 0) return;
    struct obj_stream *s;
    struct stream_cg *cg = stream_require_group(c, &s);
    if (!cg) return;
    propagate_none(c);
    struct id_list claimed = {0}, deleted = {0};
    size_t next = xautoclaim_walk(c, s, cg, &o, &claimed, &deleted);
    reply_array(c, 3);
    stream_reply_id(c, next < cg->pel.n ? cg->pel.v[next]->id : STREAM_ID_MIN);
    reply_array(c, claimed.n);
    for (size_t k = 0; k < claimed.n; k++) reply_claimed(c, s, claimed.v[k], o.justid);
    reply_array(c, deleted.n);
    for (size_t k = 0; k < deleted.n; k++) stream_reply_id(c, deleted.v[k]);
    free(claimed.v);
    free(deleted.v);
    propagate_wrap(c);
}
