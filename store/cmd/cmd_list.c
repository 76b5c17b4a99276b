/* cmd_list: the list commands (LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX,
 * LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP) and the blocking pops (BLPOP,
 * BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP), replies byte-exact with Redis 7.0 in RESP2 and RESP3.
 *
 * Invariant: no empty list is left in the keyspace. A list is created only by a command that
 * pushes at once, and every pop or removal deletes the key with its last element.
 *
 * Blocking (store/blocking.h): a blocking pop that finds nothing calls blocking_block(); when a
 * key it waits on changes, the same handler runs again with the client still blocked. During
 * such a retry a key of another type is skipped rather than answered with WRONGTYPE (Redis 7.0
 * serves a blocked client only from a key of its own type). Inside MULTI/EXEC, and for the
 * master link or a fake client, a blocking pop never blocks: it answers as on a timeout.
 *
 * Propagation: pops reach replicas in their non-blocking form (BLPOP -> LPOP key, BRPOPLPUSH ->
 * RPOPLPUSH, BLMOVE -> LMOVE, LMPOP/BLMPOP -> LPOP|RPOP key n with the number popped), so a
 * replica never blocks and never chooses a key itself.
 */
#include <limits.h>
#include <string.h>

#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/data/obj_list.h"
#include "store/propagate.h"
#include "store/reply.h"

#define ERR_MUST_BE_POSITIVE "ERR value is out of range, must be positive"
#define ERR_INDEX_RANGE "ERR index out of range"

/* ---- shared helpers ---------------------------------------------------------------------- */

/* The list at key for reading or writing. NULL when absent (nothing replied) or of another type
 * (*err set, WRONGTYPE replied). */
static struct obj_list *list_get(struct client *c, const struct resp_arg *key, bool write,
                                 bool *err)
{
    *err = false;
    struct ks_entry *e = write ? db_lookup_write(c, key) : db_lookup_read(c, key);
    if (!e) return NULL;
    if (!db_check_type(c, e, KS_TYPE_LIST)) {
        *err = true;
        return NULL;
    }
    return ks_entry_obj(e);
}

/* A new list at key, its nodes sized by list-max-listpack-size as configured now (Redis 7.0
 * fixes a list's node size when it creates the list). */
static struct obj_list *list_create_at(struct client *c, const struct resp_arg *key)
{
    struct obj_list_limits lim = {c->srv->cfg.list_max_listpack_size};
    struct obj_list *l = obj_list_create(&lim);
    ks_add_obj(db_ks(c), key->ptr, key->len, &obj_list_ops, l);
    return l;
}

static void reply_pack_val(struct client *c, const struct pack_val *v)
{
    if (v->bytes)
        reply_bulk(c, v->bytes, v->len);
    else
        reply_bulk_ll(c, v->integer);
}

/* After removing `removed` elements from the list at key by `event` ("lpop", "lrem"...):
 * delete an empty key, count the change, wake watchers, and fire the event then "del" as Redis
 * does. */
static void list_removed(struct client *c, const struct resp_arg *key, struct obj_list *l,
                         size_t removed, const char *event)
{
    if (removed == 0) return;
    bool is_empty = obj_list_len(l) == 0;
    if (is_empty) ks_delete(db_ks(c), key->ptr, key->len);
    db_key_modified(c, key);
    c->srv->dirty += (long long)removed;
    db_notify(c, NOTIFY_LIST, event, key);
    if (is_empty) db_notify(c, NOTIFY_GENERIC, "del", key);
}

static const char *list_pop_event(enum obj_list_end end)
{
    return end == OBJ_LIST_HEAD ? "lpop" : "rpop";
}

/* Pop up to n elements from one end, replying each as a bulk string. */
static void list_pop_reply(struct client *c, struct obj_list *l, enum obj_list_end end, size_t n)
{
    struct buf tmp;
    buf_init(&tmp);
    for (size_t i = 0; i < n && obj_list_pop(l, end, &tmp); i++) reply_bulk(c, tmp.data, tmp.len);
    buf_free(&tmp);
}

/* LEFT / RIGHT (LMOVE, BLMOVE, LMPOP): -1 and a syntax error otherwise. */
static int parse_end(struct client *c, const struct resp_arg *a, enum obj_list_end *end)
{
    if (db_opt_is(a, "left")) {
        *end = OBJ_LIST_HEAD;
        return 0;
    }
    if (db_opt_is(a, "right")) {
        *end = OBJ_LIST_TAIL;
        return 0;
    }
    reply_error(c, ERR_SYNTAX);
    return -1;
}

/* A blocking pop may block unless it runs inside EXEC, for the master link or a fake client. */
static bool list_may_block(const struct client *c)
{
    return !(c->flags & CLIENT_MASTER) && !(c->conn.flags & CONN_FAKE) && c->srv->call_depth <= 1;
}

static void timeout_null_array(struct client *c) { reply_null_array(c); }

/* ---- push -------------------------------------------------------------------------------- */

static void push_generic(struct client *c, enum obj_list_end end, bool only_existing)
{
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_list *l = list_get(c, key, true, &err);
    if (err) return;
    if (!l) {
        if (only_existing) {
            reply_integer(c, 0);
            return;
        }
        l = list_create_at(c, key);
    }
    for (size_t i = 2; i < c->argc; i++) obj_list_push(l, end, c->argv[i].ptr, c->argv[i].len);
    reply_integer(c, (long long)obj_list_len(l));
    db_key_modified(c, key);
    c->srv->dirty += (long long)(c->argc - 2);
    db_notify(c, NOTIFY_LIST, end == OBJ_LIST_HEAD ? "lpush" : "rpush", key);
}

static void cmd_lpush(struct client *c) { push_generic(c, OBJ_LIST_HEAD, false); }
static void cmd_rpush(struct client *c) { push_generic(c, OBJ_LIST_TAIL, false); }
static void cmd_lpushx(struct client *c) { push_generic(c, OBJ_LIST_HEAD, true); }
static void cmd_rpushx(struct client *c) { push_generic(c, OBJ_LIST_TAIL, true); }

/* ---- pop --------------------------------------------------------------------------------- */

static void pop_generic(struct client *c, enum obj_list_end end)
{
    if (c->argc > 3) {
        command_reply_arity(c, c->cmd->name);
        return;
    }
    bool has_count = c->argc == 3;
    long long count = 1;
    if (has_count && arg_ll_range(c, &c->argv[2], 0, LLONG_MAX, ERR_MUST_BE_POSITIVE, &count) != 0)
        return;
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_list *l = list_get(c, key, true, &err);
    if (err) return;
    if (!l) {
        if (has_count)
            reply_null_array(c);
        else
            reply_null(c);
        return;
    }
    if (has_count && count == 0) {
        reply_empty_array(c);
        return;
    }
    size_t n = has_count ? (size_t)MIN((unsigned long long)count, obj_list_len(l)) : 1;
    if (has_count) reply_array(c, n);
    list_pop_reply(c, l, end, n);
    list_removed(c, key, l, n, list_pop_event(end));
}

static void cmd_lpop(struct client *c) { pop_generic(c, OBJ_LIST_HEAD); }
static void cmd_rpop(struct client *c) { pop_generic(c, OBJ_LIST_TAIL); }

/* ---- reads ------------------------------------------------------------------------------- */

static void cmd_llen(struct client *c)
{
    bool err;
    struct obj_list *l = list_get(c, &c->argv[1], false, &err);
    if (!err) reply_integer(c, l ? (long long)obj_list_len(l) : 0);
}

static void cmd_lrange(struct client *c)
{
    long long start, stop;
    if (arg_ll(c, &c->argv[2], &start) != 0 || arg_ll(c, &c->argv[3], &stop) != 0) return;
    bool err;
    struct obj_list *l = list_get(c, &c->argv[1], false, &err);
    if (err) return;
    if (!l) {
        reply_empty_array(c);
        return;
    }
    struct obj_list_iter it;
    size_t n = obj_list_iter_init_range(&it, l, start, stop);
    reply_array(c, n);
    struct pack_val v;
    while (obj_list_iter_next(&it, &v)) reply_pack_val(c, &v);
}

static void cmd_lindex(struct client *c)
{
    bool err;
    struct obj_list *l = list_get(c, &c->argv[1], false, &err);
    if (err) return;
    if (!l) {
        reply_null(c);
        return;
    }
    long long index;
    if (arg_ll(c, &c->argv[2], &index) != 0) return;
    struct pack_val v;
    if (obj_list_index(l, index, &v))
        reply_pack_val(c, &v);
    else
        reply_null(c);
}

/* ---- in-place changes -------------------------------------------------------------------- */

static void cmd_lset(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    struct ks_entry *e = db_lookup_write(c, key);
    if (!e) {
        reply_error(c, ERR_NO_SUCH_KEY);
        return;
    }
    if (!db_check_type(c, e, KS_TYPE_LIST)) return;
    long long index;
    if (arg_ll(c, &c->argv[2], &index) != 0) return;
    if (obj_list_set(ks_entry_obj(e), index, c->argv[3].ptr, c->argv[3].len) != 0) {
        reply_error(c, ERR_INDEX_RANGE);
        return;
    }
    reply_ok(c);
    db_key_modified(c, key);
    c->srv->dirty++;
    db_notify(c, NOTIFY_LIST, "lset", key);
}

static void cmd_linsert(struct client *c)
{
    bool after;
    if (db_opt_is(&c->argv[2], "after")) {
        after = true;
    } else if (db_opt_is(&c->argv[2], "before")) {
        after = false;
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    bool err;
    struct obj_list *l = list_get(c, &c->argv[1], true, &err);
    if (err) return;
    if (!l) {
        reply_integer(c, 0);
        return;
    }
    const struct resp_arg *pivot = &c->argv[3], *v = &c->argv[4];
    if (!obj_list_insert(l, after, pivot->ptr, pivot->len, v->ptr, v->len)) {
        reply_integer(c, -1);
        return;
    }
    reply_integer(c, (long long)obj_list_len(l));
    db_key_modified(c, &c->argv[1]);
    c->srv->dirty++;
    db_notify(c, NOTIFY_LIST, "linsert", &c->argv[1]);
}

static void cmd_lrem(struct client *c)
{
    long long count;
    if (arg_ll(c, &c->argv[2], &count) != 0) return;
    bool err;
    struct obj_list *l = list_get(c, &c->argv[1], true, &err);
    if (err) return;
    if (!l) {
        reply_integer(c, 0);
        return;
    }
    size_t removed = obj_list_remove(l, count, c->argv[3].ptr, c->argv[3].len);
    reply_integer(c, (long long)removed);
    list_removed(c, &c->argv[1], l, removed, "lrem");
}

static void cmd_ltrim(struct client *c)
{
    long long start, stop;
    if (arg_ll(c, &c->argv[2], &start) != 0 || arg_ll(c, &c->argv[3], &stop) != 0) return;
    bool err;
    struct obj_list *l = list_get(c, &c->argv[1], true, &err);
    if (err) return;
    if (!l) {
        reply_ok(c);
        return;
    }
    size_t before = obj_list_len(l);
    obj_list_trim(l, start, stop);
    size_t after = obj_list_len(l);
    reply_ok(c);
    /* Redis counts the removed elements as changes but always signals the key. */
    if (after == 0) ks_delete(db_ks(c), c->argv[1].ptr, c->argv[1].len);
    db_key_modified(c, &c->argv[1]);
    c->srv->dirty += (long long)(before - after);
    db_notify(c, NOTIFY_LIST, "ltrim", &c->argv[1]);
    if (after == 0) db_notify(c, NOTIFY_GENERIC, "del", &c->argv[1]);
}

/* ---- LPOS -------------------------------------------------------------------------------- */

struct lpos_opts {
    long long rank, count, maxlen;
    bool has_count;
};

static int lpos_parse(struct client *c, struct lpos_opts *o)
{
    *o = (struct lpos_opts){.rank = 1};
    for (size_t i = 3; i < c->argc; i += 2) {
        const struct resp_arg *opt = &c->argv[i];
        if (i + 1 >= c->argc) {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
        const struct resp_arg *val = &c->argv[i + 1];
        if (db_opt_is(opt, "rank")) {
            if (arg_ll(c, val, &o->rank) != 0) return -1;
            if (o->rank == 0) {
                reply_error(c, "ERR RANK can't be zero: use 1 to start from the first match, 2 "
                               "from the second ... or use negative to start from the end of "
                               "the list");
                return -1;
            }
        } else if (db_opt_is(opt, "count")) {
            if (arg_ll_range(c, val, 0, LLONG_MAX, "ERR COUNT can't be negative", &o->count) != 0)
                return -1;
            o->has_count = true;
        } else if (db_opt_is(opt, "maxlen")) {
            if (arg_ll_range(c, val, 0, LLONG_MAX, "ERR MAXLEN can't be negative", &o->maxlen) != 0)
                return -1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    /* Redis 7.0 negates RANK without an overflow check: the most negative value then behaves
     * as "every match from the tail", which is RANK -1. */
    if (o->rank == LLONG_MIN) o->rank = -1;
    return 0;
}

static void lpos_emit(void *ctx, long long index) { reply_integer(ctx, index); }

static void lpos_first(void *ctx, long long index) { *(long long *)ctx = index; }

static void cmd_lpos(struct client *c)
{
    struct lpos_opts o;
    if (lpos_parse(c, &o) != 0) return;
    bool err;
    struct obj_list *l = list_get(c, &c->argv[1], false, &err);
    if (err) return;
    const struct resp_arg *elem = &c->argv[2];
    if (!o.has_count) {
        long long index = -1;
        if (l)
            obj_list_pos(l, elem->ptr, elem->len, o.rank, 1, (size_t)o.maxlen, lpos_first, &index);
        if (index < 0)
            reply_null(c);
        else
            reply_integer(c, index);
        return;
    }
    if (!l) {
        reply_empty_array(c);
        return;
    }
    size_t handle = reply_deferred_begin(c);
    size_t n = obj_list_pos(l, elem->ptr, elem->len, o.rank, (size_t)o.count, (size_t)o.maxlen,
                            lpos_emit, c);
    reply_deferred_array(c, handle, n);
}

/* ---- LMOVE / RPOPLPUSH and their blocking forms ------------------------------------------ */

/* Move one element from src to dst and reply it. Returns 1 if moved, 0 if src was absent
 * (nothing replied), -1 on an error reply. A src of another type counts as absent when
 * skip_wrong_src (a blocked client's retry); a dst of another type is always an error. */
static int move_one(struct client *c, const struct resp_arg *src, const struct resp_arg *dst,
                    enum obj_list_end from, enum obj_list_end to, bool skip_wrong_src)
{
    struct ks_entry *se = db_lookup_write(c, src);
    if (!se) return 0;
    if (ks_entry_type(se) != KS_TYPE_LIST) {
        if (skip_wrong_src) return 0;
        reply_error(c, ERR_WRONGTYPE);
        return -1;
    }
    struct obj_list *sl = ks_entry_obj(se);
    struct ks_entry *de = db_lookup_write(c, dst);
    if (de && !db_check_type(c, de, KS_TYPE_LIST)) return -1;
    struct obj_list *dl = de ? ks_entry_obj(de) : NULL;
    struct buf v;
    buf_init(&v);
    obj_list_pop(sl, from, &v);
    if (!dl) dl = list_create_at(c, dst); /* src still holds its list: dst differs from src */
    obj_list_push(dl, to, v.data, v.len);
    reply_bulk(c, v.data, v.len);
    buf_free(&v);
    db_notify(c, NOTIFY_LIST, to == OBJ_LIST_HEAD ? "lpush" : "rpush", dst);
    bool is_empty = obj_list_len(sl) == 0;
    if (is_empty) ks_delete(db_ks(c), src->ptr, src->len);
    db_key_modified(c, src);
    db_key_modified(c, dst);
    c->srv->dirty += 2;
    db_notify(c, NOTIFY_LIST, list_pop_event(from), src);
    if (is_empty) db_notify(c, NOTIFY_GENERIC, "del", src);
    return 1;
}

static void lmove_generic(struct client *c, enum obj_list_end from, enum obj_list_end to)
{
    if (move_one(c, &c->argv[1], &c->argv[2], from, to, false) == 0) reply_null(c);
}

static void cmd_lmove(struct client *c)
{
    enum obj_list_end from, to;
    if (parse_end(c, &c->argv[3], &from) != 0 || parse_end(c, &c->argv[4], &to) != 0) return;
    lmove_generic(c, from, to);
}

static void cmd_rpoplpush(struct client *c) { lmove_generic(c, OBJ_LIST_TAIL, OBJ_LIST_HEAD); }

/* BLMOVE / BRPOPLPUSH: argv[1] src, argv[2] dst, timeout at argv[timeout_idx]. */
static void blmove_generic(struct client *c, enum obj_list_end from, enum obj_list_end to,
                           size_t timeout_idx, bool is_rpoplpush)
{
    int64_t deadline;
    if (blocking_parse_timeout(c, &c->argv[timeout_idx], &deadline) != 0) return;
    int rc = move_one(c, &c->argv[1], &c->argv[2], from, to, blocking_is_retry(c));
    if (rc > 0) {
        if (is_rpoplpush) {
            struct resp_arg argv[3] = {{"RPOPLPUSH", 9}, c->argv[1], c->argv[2]};
            propagate_as(c, 3, argv);
        } else {
            struct resp_arg argv[5] = {
                {"LMOVE", 5}, c->argv[1], c->argv[2], c->argv[3], c->argv[4]};
            propagate_as(c, 5, argv);
        }
        return;
    }
    if (rc < 0) return;
    if (!list_may_block(c)) {
        reply_null(c);
        return;
    }
    blocking_block(c, &c->argv[1], 1, deadline, timeout_null_array);
}

static void cmd_blmove(struct client *c)
{
    enum obj_list_end from, to;
    if (parse_end(c, &c->argv[3], &from) != 0 || parse_end(c, &c->argv[4], &to) != 0) return;
    blmove_generic(c, from, to, 5, false);
}

static void cmd_brpoplpush(struct client *c)
{
    blmove_generic(c, OBJ_LIST_TAIL, OBJ_LIST_HEAD, 3, true);
}

/* ---- BLPOP / BRPOP ----------------------------------------------------------------------- */

static void bpop_generic(struct client *c, enum obj_list_end end)
{
    int64_t deadline;
    if (blocking_parse_timeout(c, &c->argv[c->argc - 1], &deadline) != 0) return;
    bool is_retry = blocking_is_retry(c);
    size_t nkeys = c->argc - 2, first = blocking_ready_key_index(c, &c->argv[1], nkeys);
    for (size_t k = 0; k < nkeys; k++) {
        /* A retry serves the key that woke the client first, as Redis does. */
        const struct resp_arg *key = &c->argv[1 + (first + k) % nkeys];
        struct ks_entry *e = db_lookup_write(c, key);
        if (!e) continue;
        if (ks_entry_type(e) != KS_TYPE_LIST) {
            if (is_retry) continue;
            reply_error(c, ERR_WRONGTYPE);
            return;
        }
        struct obj_list *l = ks_entry_obj(e);
        reply_array(c, 2);
        reply_bulk(c, key->ptr, key->len);
        list_pop_reply(c, l, end, 1);
        list_removed(c, key, l, 1, list_pop_event(end));
        struct resp_arg argv[2] = {{end == OBJ_LIST_HEAD ? "LPOP" : "RPOP", 4}, *key};
        propagate_as(c, 2, argv);
        return;
    }
    if (!list_may_block(c)) {
        reply_null_array(c);
        return;
    }
    blocking_block(c, &c->argv[1], c->argc - 2, deadline, timeout_null_array);
}

static void cmd_blpop(struct client *c) { bpop_generic(c, OBJ_LIST_HEAD); }
static void cmd_brpop(struct client *c) { bpop_generic(c, OBJ_LIST_TAIL); }

/* ---- LMPOP / BLMPOP ---------------------------------------------------------------------- */

struct mpop_args {
    size_t first_key, nkeys;
    enum obj_list_end end;
    long long count;
};

/* numkeys at argv[idx], the keys, LEFT|RIGHT, [COUNT n]. -1 with the Redis error replied. */
static int mpop_parse(struct client *c, size_t idx, struct mpop_args *a)
{
    long long numkeys;
    if (arg_ll_range(c, &c->argv[idx], 1, LLONG_MAX, "ERR numkeys should be greater than 0",
                     &numkeys) != 0)
        return -1;
    if ((unsigned long long)numkeys >= c->argc - idx - 1) {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    a->first_key = idx + 1;
    a->nkeys = (size_t)numkeys;
    size_t where = a->first_key + a->nkeys;
    if (parse_end(c, &c->argv[where], &a->end) != 0) return -1;
    a->count = -1;
    for (size_t j = where + 1; j < c->argc; j++) {
        if (a->count == -1 && db_opt_is(&c->argv[j], "count") && j + 1 < c->argc) {
            j++;
            if (arg_ll_range(c, &c->argv[j], 1, LLONG_MAX, "ERR count should be greater than 0",
                             &a->count) != 0)
                return -1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    if (a->count == -1) a->count = 1;
    return 0;
}

/* Pop from the first non-empty list among the keys. 1 served, 0 nothing (nothing replied), -1
 * error replied. */
static int mpop_serve(struct client *c, const struct mpop_args *a, bool skip_wrongtype)
{
    size_t first = blocking_ready_key_index(c, &c->argv[a->first_key], a->nkeys);
    for (size_t k = 0; k < a->nkeys; k++) {
        /* A retry serves the key that woke the client first, as Redis does. */
        const struct resp_arg *key = &c->argv[a->first_key + (first + k) % a->nkeys];
        struct ks_entry *e = db_lookup_write(c, key);
        if (!e) continue;
        if (ks_entry_type(e) != KS_TYPE_LIST) {
            if (skip_wrongtype) continue;
            reply_error(c, ERR_WRONGTYPE);
            return -1;
        }
        struct obj_list *l = ks_entry_obj(e);
        size_t n = (size_t)MIN((unsigned long long)a->count, obj_list_len(l));
        reply_array(c, 2);
        reply_bulk(c, key->ptr, key->len);
        reply_array(c, n);
        list_pop_reply(c, l, a->end, n);
        list_removed(c, key, l, n, list_pop_event(a->end));
        char num[24];
        size_t numlen = util_ll_to_str(num, sizeof num, (long long)n);
        struct resp_arg argv[3] = {
            {a->end == OBJ_LIST_HEAD ? "LPOP" : "RPOP", 4}, *key, {num, numlen}};
        propagate_as(c, 3, argv);
        return 1;
    }
    return 0;
}

static void cmd_lmpop(struct client *c)
{
    struct mpop_args a;
    if (mpop_parse(c, 1, &a) != 0) return;
    if (mpop_serve(c, &a, false) == 0) reply_null_array(c);
}

static void cmd_blmpop(struct client *c)
{
    int64_t deadline;
    if (blocking_parse_timeout(c, &c->argv[1], &deadline) != 0) return;
    struct mpop_args a;
    if (mpop_parse(c, 2, &a) != 0) return;
    int rc = mpop_serve(c, &a, blocking_is_retry(c));
    if (rc != 0) return;
    if (!list_may_block(c)) {
        reply_null_array(c);
        return;
    }
    blocking_block(c, &c->argv[a.first_key], a.nkeys, deadline, timeout_null_array);
}

/* ---- table ------------------------------------------------------------------------------- */

#define LIST_CMD(n, a, f, fn_, fk, lk, st)                                                         \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = st, .group = "list"                                                            \
    }

enum {
    W_FAST = CMD_WRITE | CMD_FAST,
    W_OOM_FAST = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
    W_OOM = CMD_WRITE | CMD_DENYOOM,
    W_BLOCK = CMD_WRITE | CMD_BLOCKING,
    W_OOM_BLOCK = CMD_WRITE | CMD_DENYOOM | CMD_BLOCKING,
};

struct command cmd_table_list[] = {
    LIST_CMD("lpush", -3, W_OOM_FAST, cmd_lpush, 1, 1, 1),
    LIST_CMD("rpush", -3, W_OOM_FAST, cmd_rpush, 1, 1, 1),
    LIST_CMD("lpushx", -3, W_OOM_FAST, cmd_lpushx, 1, 1, 1),
    LIST_CMD("rpushx", -3, W_OOM_FAST, cmd_rpushx, 1, 1, 1),
    LIST_CMD("lpop", -2, W_FAST, cmd_lpop, 1, 1, 1),
    LIST_CMD("rpop", -2, W_FAST, cmd_rpop, 1, 1, 1),
    LIST_CMD("llen", 2, CMD_READONLY | CMD_FAST, cmd_llen, 1, 1, 1),
    LIST_CMD("lrange", 4, CMD_READONLY, cmd_lrange, 1, 1, 1),
    LIST_CMD("lindex", 3, CMD_READONLY, cmd_lindex, 1, 1, 1),
    LIST_CMD("lset", 4, W_OOM, cmd_lset, 1, 1, 1),
    LIST_CMD("linsert", 5, W_OOM, cmd_linsert, 1, 1, 1),
    LIST_CMD("lrem", 4, CMD_WRITE, cmd_lrem, 1, 1, 1),
    LIST_CMD("ltrim", 4, CMD_WRITE, cmd_ltrim, 1, 1, 1),
    LIST_CMD("lpos", -3, CMD_READONLY, cmd_lpos, 1, 1, 1),
    LIST_CMD("lmove", 5, W_OOM, cmd_lmove, 1, 2, 1),
    LIST_CMD("rpoplpush", 3, W_OOM, cmd_rpoplpush, 1, 2, 1),
    LIST_CMD("lmpop", -4, CMD_WRITE, cmd_lmpop, 0, 0, 0),
    LIST_CMD("blpop", -3, W_BLOCK, cmd_blpop, 1, -2, 1),
    LIST_CMD("brpop", -3, W_BLOCK, cmd_brpop, 1, -2, 1),
    LIST_CMD("blmove", 6, W_OOM_BLOCK, cmd_blmove, 1, 2, 1),
    LIST_CMD("brpoplpush", 4, W_OOM_BLOCK, cmd_brpoplpush, 1, 2, 1),
    LIST_CMD("blmpop", -5, W_BLOCK, cmd_blmpop, 0, 0, 0),
    {.name = NULL},
};
