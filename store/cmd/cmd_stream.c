/* cmd_stream: the stream entry commands (XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM) and the
 * helpers the other stream files share (cmd_stream_int.h). Replies byte-exact with Redis 7.0.
 *
 * Propagation (docs/streams.md#replication): XADD reaches replicas with the ID it chose (never
 * `*` or `ms-*`), and an approximate trim (`~`) as the exact trim it turned out to be (`=` and
 * the resulting length or first ID), so a replica with other node limits trims the same
 * entries. The master link and the AOF loader ignore LIMIT (what they replay is exact).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/cmd/cmd_stream_int.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/propagate.h"
#include "store/reply.h"

/* ---- shared helpers ----------------------------------------------------------------------- */

struct obj_stream *stream_lookup(struct client *c, const struct resp_arg *key, bool write,
                                 bool *err)
{
    *err = false;
    struct ks_entry *e = write ? db_lookup_write(c, key) : db_lookup_read(c, key);
    if (!e) return NULL;
    if (!db_check_type(c, e, KS_TYPE_STREAM)) {
        *err = true;
        return NULL;
    }
    return ks_entry_obj(e);
}

struct obj_stream *stream_create_at(struct client *c, const struct resp_arg *key)
{
    struct obj_stream *s = obj_stream_create();
    ks_add_obj(db_ks(c), key->ptr, key->len, &obj_stream_ops, s);
    return s;
}

struct obj_stream_limits stream_limits(const struct client *c)
{
    return (struct obj_stream_limits){c->srv->cfg.stream_node_max_bytes,
                                      c->srv->cfg.stream_node_max_entries};
}

int stream_arg_id(struct client *c, const struct resp_arg *a, uint64_t missing_seq, bool strict,
                  bool *seq_given, struct stream_id *id)
{
    if (seq_given) *seq_given = true;
    if (!strict && db_arg_cstr_len(a) == 1 && (a->ptr[0] == '-' || a->ptr[0] == '+')) {
        *id = a->ptr[0] == '-' ? STREAM_ID_MIN : STREAM_ID_MAX;
        return 0;
    }
    size_t n = db_arg_cstr_len(a); /* up to a NUL, as Redis reads it */
    if (seq_given && a->len <= 127 && n >= 2 && a->ptr[n - 1] == '*' && a->ptr[n - 2] == '-' &&
        memchr(a->ptr, '-', n) == a->ptr + n - 2) {
        if (stream_id_parse(a->ptr, n - 2, 0, id) == 0) {
            *seq_given = false;
            return 0;
        }
    } else if (stream_id_parse(a->ptr, a->len, missing_seq, id) == 0) {
        return 0;
    }
    reply_error(c, ERR_STREAM_ID);
    return -1;
}

struct stream_cg *stream_lookup_group(struct client *c, struct obj_stream **s, bool *err)
{
    *s = stream_lookup(c, &c->argv[1], false, err);
    if (*err || !*s) return NULL;
    return obj_stream_cg_find(*s, c->argv[2].ptr, c->argv[2].len);
}

struct stream_cg *stream_require_group(struct client *c, struct obj_stream **s)
{
    bool err;
    struct stream_cg *cg = stream_lookup_group(c, s, &err);
    if (err || cg) return cg;
    reply_errorf(c, "NOGROUP No such key '%.*s' or consumer group '%.*s'",
                 (int)db_arg_cstr_len(&c->argv[1]), c->argv[1].ptr,
                 (int)db_arg_cstr_len(&c->argv[2]), c->argv[2].ptr);
    return NULL;
}

struct stream_consumer *stream_get_consumer(struct client *c, const struct resp_arg *key,
                                            struct stream_cg *cg, const struct resp_arg *name,
                                            bool *created)
{
    int64_t now = server_now_ms(c->srv);
    struct stream_consumer *con = stream_cg_consumer_find(cg, name->ptr, name->len);
    if (created) *created = con == NULL;
    if (!con) {
        con = stream_cg_consumer_create(cg, name->ptr, name->len, now);
        notify_keyspace_event(c->srv, NOTIFY_STREAM, "xgroup-createconsumer", key->ptr, key->len,
                              c->db);
    }
    con->seen_ms = now;
    return con;
}

void stream_reply_id(struct client *c, struct stream_id id)
{
    char buf[STREAM_ID_BUF];
    reply_bulk(c, buf, stream_id_fmt(buf, id));
}

void stream_key_changed(struct client *c, const struct resp_arg *key, const char *event,
                        long long dirty)
{
    db_key_modified(c, key);
    c->srv->dirty += dirty;
    notify_keyspace_event(c->srv, NOTIFY_STREAM, event, key->ptr, key->len, c->db);
}

bool stream_range_has_tombstones(const struct obj_stream *s, struct stream_id start,
                                 struct stream_id end)
{
    if (s->length == 0 || stream_id_is_zero(s->max_deleted_id)) return false;
    /* the latest deletion is before the first entry: none left in any range */
    if (stream_id_cmp(s->first_id, s->max_deleted_id) > 0) return false;
    return stream_id_cmp(start, s->max_deleted_id) <= 0 &&
           stream_id_cmp(s->max_deleted_id, end) <= 0;
}

long long stream_estimate_read(const struct obj_stream *s, struct stream_id id)
{
    if (s->entries_added == 0) return 0;
    if (s->length == 0 && stream_id_cmp(id, s->last_id) < 1) return (long long)s->entries_added;
    int cmp_last = stream_id_cmp(id, s->last_id);
    if (cmp_last == 0) return (long long)s->entries_added;
    if (cmp_last > 0) return STREAM_ENTRIES_READ_INVALID;
    int cmp_first = stream_id_cmp(id, s->first_id);
    if (stream_id_is_zero(s->max_deleted_id) || stream_id_cmp(s->max_deleted_id, s->first_id) < 0) {
        if (cmp_first < 0) return (long long)(s->entries_added - s->length);
        if (cmp_first == 0) return (long long)(s->entries_added - s->length + 1);
    }
    return STREAM_ENTRIES_READ_INVALID;
}

static void reply_entry(struct client *c, struct obj_stream_iter *it, struct stream_id id,
                        size_t nf)
{
    reply_array(c, 2);
    stream_reply_id(c, id);
    reply_array(c, nf * 2);
    const char *f, *v;
    size_t fl, vl;
    while (obj_stream_iter_field(it, &f, &fl, &v, &vl)) {
        reply_bulk(c, f, fl);
        reply_bulk(c, v, vl);
    }
}

bool stream_reply_entry(struct client *c, struct obj_stream *s, struct stream_id id)
{
    struct obj_stream_iter it;
    struct stream_id got;
    size_t nf;
    obj_stream_iter_init(&it, s, id, id, false);
    bool found = obj_stream_iter_next(&it, &got, &nf);
    if (found) reply_entry(c, &it, got, nf);
    obj_stream_iter_done(&it);
    return found;
}

/* XREADGROUP's bookkeeping for one delivered entry. */
static void deliver_entry(struct client *c, struct obj_stream *s, const struct stream_deliver *d,
                          struct stream_id id)
{
    struct stream_cg *cg = d->cg;
    if (stream_id_cmp(id, cg->last_id) > 0) {
        if (cg->entries_read != STREAM_ENTRIES_READ_INVALID &&
            !stream_range_has_tombstones(s, id, STREAM_ID_MAX))
            cg->entries_read++;
        else if (s->entries_added)
            cg->entries_read = stream_estimate_read(s, id);
        cg->last_id = id;
    }
    if (d->noack) return;
    struct stream_nack *n = stream_cg_deliver(cg, d->consumer, id, server_now_ms(c->srv));
    stream_propagate_xclaim(c, d->key, cg, n);
}

size_t stream_reply_range(struct client *c, struct obj_stream *s, struct stream_id start,
                          struct stream_id end, size_t count, bool rev,
                          const struct stream_deliver *d)
{
    size_t handle = reply_deferred_begin(c), n = 0, nf;
    struct obj_stream_iter it;
    struct stream_id id;
    struct stream_id last_before = d ? d->cg->last_id : STREAM_ID_MIN;
    obj_stream_iter_init(&it, s, start, end, rev);
    while ((count == 0 || n < count) && obj_stream_iter_next(&it, &id, &nf)) {
        if (d) deliver_entry(c, s, d, id);
        reply_entry(c, &it, id, nf);
        n++;
    }
    obj_stream_iter_done(&it);
    reply_deferred_array(c, handle, n);
    if (d && d->noack && stream_id_cmp(d->cg->last_id, last_before) != 0)
        stream_propagate_setid(c, d->key, d->cg);
    return n;
}

/* ---- XADD / XTRIM arguments --------------------------------------------------------------- */

struct trim_args {
    bool has_trim, approx, nomkstream, id_given, seq_given;
    enum obj_stream_trim_kind kind;
    long long maxlen, limit;
    struct stream_id minid, id;
    size_t trim_arg_idx; /* argv index of the MAXLEN count / MINID id */
};

/* MAXLEN|MINID [=|~] value at argv[i]; returns the index of the value or -1 (replied). */
static long long parse_trim_strategy(struct client *c, size_t i, struct trim_args *a)
{
    if (a->has_trim) {
        reply_error(c, "ERR syntax error, MAXLEN and MINID options at the same time are not "
                       "compatible");
        return -1;
    }
    bool is_maxlen = db_opt_is(&c->argv[i], "maxlen");
    size_t more = c->argc - 1 - i;
    a->approx = false;
    const struct resp_arg *next = &c->argv[i + 1];
    if (more >= 2 && next->len == 1 && (next->ptr[0] == '~' || next->ptr[0] == '=')) {
        a->approx = next->ptr[0] == '~';
        i++;
    }
    if (is_maxlen) {
        if (arg_ll(c, &c->argv[i + 1], &a->maxlen) != 0) return -1;
        if (a->maxlen < 0) {
            reply_error(c, "ERR The MAXLEN argument must be >= 0.");
            return -1;
        }
    } else if (stream_arg_id(c, &c->argv[i + 1], 0, true, NULL, &a->minid) != 0) {
        return -1;
    }
    a->has_trim = true;
    a->kind = is_maxlen ? STREAM_TRIM_MAXLEN : STREAM_TRIM_MINID;
    a->trim_arg_idx = i + 1;
    return (long long)(i + 1);
}

/* The limit rules after the options were read. */
static int finish_trim_args(struct client *c, struct trim_args *a, bool limit_given, bool xadd)
{
    if (a->limit && !a->has_trim) {
        reply_error(c, "ERR syntax error, LIMIT cannot be used without specifying a trimming "
                       "strategy");
        return -1;
    }
    if (!xadd && !a->has_trim) {
        reply_error(c, "ERR syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (client_must_obey(c)) {
        a->limit = 0;
    } else if (limit_given) {
        if (!a->approx) {
            reply_error(c, "ERR syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    } else if (a->approx) {
        long long per = c->srv->cfg.stream_node_max_entries;
        a->limit = per > 0 && per <= 100 ? 100 * per : 10000;
    } else {
        a->limit = 0;
    }
    return 0;
}

/* Options from argv[first]; for XADD stops at the ID. Returns the ID's index (XADD) or argc,
 * -1 when an error was replied. */
static long long parse_add_trim(struct client *c, size_t first, bool xadd, struct trim_args *a)
{
    *a = (struct trim_args){0};
    bool limit_given = false;
    size_t i = first;
    for (; i < c->argc; i++) {
        const struct resp_arg *opt = &c->argv[i];
        size_t more = c->argc - 1 - i;
        if (xadd && opt->len == 1 && opt->ptr[0] == '*') break;
        if ((db_opt_is(opt, "maxlen") || db_opt_is(opt, "minid")) && more) {
            long long at = parse_trim_strategy(c, i, a);
            if (at < 0) return -1;
            i = (size_t)at;
        } else if (db_opt_is(opt, "limit") && more) {
            if (arg_ll(c, &c->argv[i + 1], &a->limit) != 0) return -1;
            if (a->limit < 0) {
                reply_error(c, "ERR The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = true;
            i++;
        } else if (xadd && db_opt_is(opt, "nomkstream")) {
            a->nomkstream = true;
        } else if (xadd) {
            if (stream_arg_id(c, opt, 0, true, &a->seq_given, &a->id) != 0) return -1;
            a->id_given = true;
            break;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    if (finish_trim_args(c, a, limit_given, xadd) != 0) return -1;
    return (long long)i;
}

/* Trim as the arguments say; returns the number removed. */
static uint64_t apply_trim(struct obj_stream *s, const struct trim_args *a)
{
    struct obj_stream_trim t = {.kind = a->kind,
                                .maxlen = (uint64_t)a->maxlen,
                                .minid = a->minid,
                                .approx = a->approx,
                                .limit = (uint64_t)a->limit};
    return obj_stream_trim(s, &t);
}

/* The command as replicas must apply it: `~` becomes `=`, the trim value becomes what the
 * stream holds now, and (XADD) the ID argument becomes the ID chosen. */
static void propagate_rewritten(struct client *c, struct obj_stream *s, const struct trim_args *a,
                                long long id_idx, struct stream_id id)
{
    struct resp_arg *argv = xmalloc(c->argc * sizeof *argv);
    memcpy(argv, c->argv, c->argc * sizeof *argv);
    char idbuf[STREAM_ID_BUF], trimbuf[STREAM_ID_BUF];
    if (id_idx >= 0) argv[id_idx] = (struct resp_arg){idbuf, stream_id_fmt(idbuf, id)};
    if (a->has_trim && a->approx) {
        argv[a->trim_arg_idx - 1] = (struct resp_arg){"=", 1};
        size_t n;
        if (a->kind == STREAM_TRIM_MAXLEN)
            n = util_ll_to_str(trimbuf, sizeof trimbuf, (long long)s->length);
        else
            n = stream_id_fmt(trimbuf, s->first_id);
        argv[a->trim_arg_idx] = (struct resp_arg){trimbuf, n};
    }
    propagate_as(c, c->argc, argv);
    free(argv);
}

/* ---- XADD --------------------------------------------------------------------------------- */

/* The ID XADD will use, or -1 with the error replied. */
static int xadd_next_id(struct client *c, const struct obj_stream *s, const struct trim_args *a,
                        struct stream_id *id)
{
    struct stream_id last = s->last_id;
    if (!a->id_given) {
        uint64_t ms = (uint64_t)server_now_ms(c->srv);
        if (ms > last.ms) {
            *id = (struct stream_id){ms, 0};
        } else {
            *id = last;
            stream_id_incr(id);
        }
    } else if (!a->seq_given && a->id.ms == last.ms) {
        if (last.seq == UINT64_MAX) goto too_small;
        *id = (struct stream_id){last.ms, last.seq + 1};
    } else {
        *id = a->id;
    }
    if (stream_id_cmp(*id, last) > 0) return 0;
too_small:
    reply_error(c, "ERR The ID specified in XADD is equal or smaller than the target stream top "
                   "item");
    return -1;
}

static void cmd_xadd(struct client *c)
{
    struct trim_args a;
    long long idpos = parse_add_trim(c, 2, true, &a);
    if (idpos < 0) return;
    size_t fpos = (size_t)idpos + 1;
    if (c->argc - fpos < 2 || (c->argc - fpos) % 2 == 1) {
        command_reply_arity(c, "xadd");
        return;
    }
    if (a.id_given && a.seq_given && stream_id_is_zero(a.id)) {
        reply_error(c, "ERR The ID specified in XADD must be greater than 0-0");
        return;
    }
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_stream *s = stream_lookup(c, key, true, &err);
    if (err) return;
    if (!s && a.nomkstream) {
        reply_null(c);
        return;
    }
    if (s && s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
        reply_error(c, "ERR The stream has exhausted the last possible ID, unable to add more "
                       "items");
        return;
    }
    struct obj_stream tmp = {0};
    struct stream_id id;
    if (xadd_next_id(c, s ? s : &tmp, &a, &id) != 0) return;
    if (!s) s = stream_create_at(c, key);
    struct obj_stream_limits lim = stream_limits(c);
    obj_stream_append(s, &lim, id, &c->argv[fpos], c->argc - fpos);
    stream_reply_id(c, id);
    stream_key_changed(c, key, "xadd", 1);
    if (a.has_trim && apply_trim(s, &a) > 0)
        notify_keyspace_event(c->srv, NOTIFY_STREAM, "xtrim", key->ptr, key->len, c->db);
    if (!a.id_given || !a.seq_given || a.approx) propagate_rewritten(c, s, &a, idpos, id);
}

/* ---- XTRIM, XDEL, XLEN -------------------------------------------------------------------- */

static void cmd_xtrim(struct client *c)
{
    struct trim_args a;
    if (parse_add_trim(c, 2, false, &a) < 0) return;
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_stream *s = stream_lookup(c, key, true, &err);
    if (err) return;
    if (!s) {
        reply_integer(c, 0);
        return;
    }
    uint64_t removed = apply_trim(s, &a);
    if (removed) stream_key_changed(c, key, "xtrim", (long long)removed);
    if (removed && a.approx) propagate_rewritten(c, s, &a, -1, STREAM_ID_MIN);
    reply_integer(c, (long long)removed);
}

static void cmd_xdel(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    bool err;
    struct obj_stream *s = stream_lookup(c, key, true, &err);
    if (err) return;
    if (!s) {
        reply_integer(c, 0);
        return;
    }
    struct stream_id id;
    for (size_t j = 2; j < c->argc; j++)
        if (stream_arg_id(c, &c->argv[j], 0, true, NULL, &id) != 0) return;
    long long deleted = 0;
    for (size_t j = 2; j < c->argc; j++) {
        stream_arg_id(c, &c->argv[j], 0, true, NULL, &id);
        deleted += obj_stream_delete(s, id);
    }
    if (deleted) stream_key_changed(c, key, "xdel", deleted);
    reply_integer(c, deleted);
}

static void cmd_xlen(struct client *c)
{
    bool err;
    struct obj_stream *s = stream_lookup(c, &c->argv[1], false, &err);
    if (!err) reply_integer(c, s ? (long long)s->length : 0);
}

/* ---- XRANGE / XREVRANGE ------------------------------------------------------------------- */

int stream_parse_bound(struct client *c, const struct resp_arg *a, uint64_t missing_seq,
                       bool is_start, struct stream_id *id)
{
    if (a->len > 1 && a->ptr[0] == '(') {
        struct resp_arg rest = {a->ptr + 1, a->len - 1};
        if (stream_arg_id(c, &rest, missing_seq, true, NULL, id) != 0) return -1;
        if (is_start ? stream_id_incr(id) : stream_id_decr(id)) return 0;
        reply_error(c, is_start ? "ERR invalid start ID for the interval"
                                : "ERR invalid end ID for the interval");
        return -1;
    }
    return stream_arg_id(c, a, missing_seq, false, NULL, id);
}

static void range_generic(struct client *c, bool rev)
{
    struct stream_id start, end;
    const struct resp_arg *sa = &c->argv[rev ? 3 : 2], *ea = &c->argv[rev ? 2 : 3];
    if (stream_parse_bound(c, sa, 0, true, &start) != 0) return;
    if (stream_parse_bound(c, ea, UINT64_MAX, false, &end) != 0) return;
    long long count = -1;
    for (size_t j = 4; j < c->argc; j++) {
        if (db_opt_is(&c->argv[j], "count") && j + 1 < c->argc) {
            if (arg_ll(c, &c->argv[++j], &count) != 0) return;
            if (count < 0) count = 0;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    bool err;
    struct obj_stream *s = stream_lookup(c, &c->argv[1], false, &err);
    if (err) return;
    if (!s) {
        reply_empty_array(c);
        return;
    }
    if (count == 0) {
        reply_null_array(c);
        return;
    }
    stream_reply_range(c, s, start, end, count < 0 ? 0 : (size_t)count, rev, NULL);
}

static void cmd_xrange(struct client *c) { range_generic(c, false); }
static void cmd_xrevrange(struct client *c) { range_generic(c, true); }

/* ---- table -------------------------------------------------------------------------------- */

#define STREAM_CMD(n, a, f, fn_, fk, lk, st)                                                       \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = st, .group = "stream"                                                          \
    }

struct command cmd_table_stream[] = {
    STREAM_CMD("xadd", -5, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_xadd, 1, 1, 1),
    STREAM_CMD("xrange", -4, CMD_READONLY, cmd_xrange, 1, 1, 1),
    STREAM_CMD("xrevrange", -4, CMD_READONLY, cmd_xrevrange, 1, 1, 1),
    STREAM_CMD("xlen", 2, CMD_READONLY | CMD_FAST, cmd_xlen, 1, 1, 1),
    STREAM_CMD("xdel", -3, CMD_WRITE | CMD_FAST, cmd_xdel, 1, 1, 1),
    STREAM_CMD("xtrim", -4, CMD_WRITE, cmd_xtrim, 1, 1, 1),
    STREAM_CMD("xread", -4, CMD_READONLY | CMD_BLOCKING, cmd_xread, 0, 0, 0),
    STREAM_CMD("xreadgroup", -7, CMD_WRITE | CMD_BLOCKING, cmd_xreadgroup, 0, 0, 0),
    STREAM_CMD("xack", -4, CMD_WRITE | CMD_FAST, cmd_xack, 1, 1, 1),
    STREAM_CMD("xpending", -3, CMD_READONLY, cmd_xpending, 1, 1, 1),
    STREAM_CMD("xclaim", -6, CMD_WRITE | CMD_FAST, cmd_xclaim, 1, 1, 1),
    STREAM_CMD("xautoclaim", -6, CMD_WRITE | CMD_FAST, cmd_xautoclaim, 1, 1, 1),
    STREAM_CMD("xsetid", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_xsetid, 1, 1, 1),
    /* The dispatcher looks at the family's flags only: XGROUP is a write (its changes
     * propagate as received), so XGROUP HELP is refused on a read-only replica. */
    {.name = "xgroup",
     .arity = -2,
     .flags = CMD_WRITE,
     .fn = cmd_xgroup,
     .group = "stream",
     .subcommands = cmd_stream_xgroup_subs},
    {.name = "xinfo",
     .arity = -2,
     .flags = CMD_READONLY,
     .fn = cmd_xinfo,
     .group = "stream",
     .subcommands = cmd_stream_xinfo_subs},
    {.name = NULL},
};
