/* cmd_stream_read: XREAD and XREADGROUP, with BLOCK, replies byte-exact with Redis 7.0 (RESP2:
 * an array of [key, entries]; RESP3: a map key -> entries).
 *
 * Blocking (store/blocking.h): a read that finds nothing blocks on its keys and is re-run when
 * one of them changes; a `$` is resolved to the stream's last ID before blocking (the copy of
 * the arguments the retry runs has the ID instead), and a retry serves only the key that woke
 * the client, as Redis does. A blocked XREADGROUP whose key was deleted or whose group was
 * destroyed is answered with Redis's errors (-UNBLOCKED / -NOGROUP). A blocked read served late
 * reads at most 1000 entries when it gave no COUNT (Redis's bound for the same case).
 *
 * Propagation: XREADGROUP is never propagated itself: each entry it delivers reaches replicas
 * as XCLAIM ... FORCE JUSTID LASTID, NOACK reads as XGROUP SETID, and a consumer created by the
 * read as XGROUP CREATECONSUMER.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/blocking.h"
#include "store/cmd/cmd_stream_int.h"
#include "store/command.h"
#include "store/db.h"
#include "store/propagate.h"
#include "store/reply.h"

#define XREAD_BLOCKED_DEFAULT_COUNT 1000

struct xread_args {
    bool is_group, noack, has_block;
    long long count, timeout_ms;
    size_t streams_arg, nstreams;
    const struct resp_arg *group, *consumer;
};

/* BLOCK's value: milliseconds, an integer. */
static int parse_block_ms(struct client *c, const struct resp_arg *a, long long *ms)
{
    long long v;
    if (util_parse_ll(a->ptr, a->len, &v) != 0) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return -1;
    }
    if (v < 0) {
        reply_error(c, "ERR timeout is negative");
        return -1;
    }
    *ms = v;
    return 0;
}

/* A script's client: the one fake client that is not the AOF loader. */
static bool is_script_client(const struct client *c)
{
    return (c->conn.flags & CONN_FAKE) && !(c->flags & CLIENT_AOF_LOADER);
}

static int parse_option(struct client *c, size_t *i, struct xread_args *a)
{
    const struct resp_arg *o = &c->argv[*i];
    size_t more = c->argc - *i - 1;
    if (db_opt_is(o, "block") && more) {
        if (is_script_client(c)) {
            reply_errorf(c, "ERR %s command is not allowed with BLOCK option from scripts",
                         a->is_group ? "XREADGROUP" : "XREAD");
            return -1;
        }
        a->has_block = true;
        return parse_block_ms(c, &c->argv[++*i], &a->timeout_ms);
    }
    if (db_opt_is(o, "count") && more) {
        if (arg_ll(c, &c->argv[++*i], &a->count) != 0) return -1;
        if (a->count < 0) a->count = 0;
        return 0;
    }
    if (db_opt_is(o, "group") && more >= 2) {
        if (!a->is_group) {
            reply_error(c, "ERR The GROUP option is only supported by XREADGROUP. You called "
                           "XREAD instead.");
            return -1;
        }
        a->group = &c->argv[*i + 1];
        a->consumer = &c->argv[*i + 2];
        *i += 2;
        return 0;
    }
    if (db_opt_is(o, "noack")) {
        if (!a->is_group) {
            reply_error(c, "ERR The NOACK option is only supported by XREADGROUP. You called "
                           "XREAD instead.");
            return -1;
        }
        a->noack = true;
        return 0;
    }
    reply_error(c, ERR_SYNTAX);
    return -1;
}

static int parse_args(struct client *c, struct xread_args *a)
{
    for (size_t i = 1; i < c->argc; i++) {
        if (db_opt_is(&c->argv[i], "streams") && c->argc - i - 1 > 0) {
            a->streams_arg = i + 1;
            a->nstreams = c->argc - a->streams_arg;
            if (a->nstreams % 2 != 0) {
                /* The same words for XREADGROUP, as Redis 7.0 says. */
                reply_error(c, "ERR Unbalanced XREAD list of streams: for each stream key an ID "
                               "or '$' must be specified.");
                return -1;
            }
            a->nstreams /= 2;
            break;
        }
        if (parse_option(c, &i, a) != 0) return -1;
    }
    if (a->streams_arg == 0) {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    if (a->is_group && !a->group) {
        reply_error(c, "ERR Missing GROUP option for XREADGROUP");
        return -1;
    }
    return 0;
}

#define ID_NEW_ONLY STREAM_ID_MAX /* ">" */

/* Resolve the IDs (and groups). -1 when an error was replied. */
static int resolve_ids(struct client *c, const struct xread_args *a, size_t from, size_t to,
                       struct stream_id *ids, struct stream_cg **groups)
{
    for (size_t k = from; k < to; k++) {
        const struct resp_arg *key = &c->argv[a->streams_arg + k];
        const struct resp_arg *ida = &c->argv[a->streams_arg + a->nstreams + k];
        bool err;
        struct obj_stream *s = stream_lookup(c, key, false, &err);
        if (err) return -1;
        if (a->is_group) {
            groups[k] = s ? obj_stream_cg_find(s, a->group->ptr, a->group->len) : NULL;
            if (!groups[k]) {
                reply_errorf(c,
                             "NOGROUP No such key '%.*s' or consumer group '%.*s' in XREADGROUP "
                             "with GROUP option",
                             (int)db_arg_cstr_len(key), key->ptr, (int)db_arg_cstr_len(a->group),
                             a->group->ptr);
                return -1;
            }
        }
        if (ida->len == 1 && ida->ptr[0] == '$') {
            if (a->is_group) {
                reply_error(c, "ERR The $ ID is meaningless in the context of XREADGROUP: you "
                               "want to read the history of this consumer by specifying a proper "
                               "ID, or use the > ID to get new messages. The $ ID would just "
                               "return an empty result set.");
                return -1;
            }
            ids[k] = s ? s->last_id : STREAM_ID_MIN;
        } else if (ida->len == 1 && ida->ptr[0] == '>') {
            if (!a->is_group) {
                reply_error(c, "ERR The > ID can be specified only when calling XREADGROUP using "
                               "the GROUP <group> <consumer> option.");
                return -1;
            }
            ids[k] = ID_NEW_ONLY;
        } else if (stream_arg_id(c, ida, 0, true, NULL, &ids[k]) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- serving ------------------------------------------------------------------------------ */

/* The consumer of a read, created (with its event, and for NOACK its propagation) if new. */
static struct stream_consumer *read_consumer(struct client *c, const struct xread_args *a,
                                             const struct resp_arg *key, struct stream_cg *cg)
{
    bool created;
    struct stream_consumer *con = stream_get_consumer(c, key, cg, a->consumer, &created);
    if (created && a->noack) {
        struct resp_arg argv[5] = {
            {"XGROUP", 6}, {"CREATECONSUMER", 14}, *key, *a->group, *a->consumer};
        propagate_also(c, 5, argv);
    }
    return con;
}

/* XREADGROUP with an ID: the consumer's own pending entries after `start`. */
static void reply_history(struct client *c, struct obj_stream *s, struct stream_consumer *con,
                          struct stream_id start, size_t count)
{
    size_t handle = reply_deferred_begin(c), n = 0;
    int64_t now = server_now_ms(c->srv);
    for (size_t i = stream_pel_lower_bound(&con->pel, start);
         i < con->pel.n && (count == 0 || n < count); i++, n++) {
        struct stream_nack *nack = con->pel.v[i];
        if (stream_reply_entry(c, s, nack->id)) {
            nack->delivery_ms = now;
            nack->delivery_count++;
        } else {
            reply_array(c, 2);
            stream_reply_id(c, nack->id);
            reply_null_array(c);
        }
    }
    reply_deferred_array(c, handle, n);
}

/* Whether key k can be served now, and from which ID (exclusive). */
static bool may_serve(const struct xread_args *a, struct obj_stream *s, struct stream_cg *cg,
                      struct stream_id *gt, bool *history)
{
    *history = false;
    if (a->is_group && stream_id_cmp(*gt, ID_NEW_ONLY) != 0) {
        *history = true;
        return true;
    }
    if (s->length == 0) return false;
    struct stream_id maxid = obj_stream_last_live_id(s);
    if (a->is_group) {
        if (stream_id_cmp(maxid, cg->last_id) <= 0) return false;
        *gt = cg->last_id;
        return true;
    }
    return stream_id_cmp(maxid, *gt) > 0;
}

/* Serve keys [from, to); returns how many were served (0: nothing replied). */
static size_t serve_keys(struct client *c, const struct xread_args *a, size_t from, size_t to,
                         struct stream_id *ids, struct stream_cg **groups)
{
    size_t nserved = 0, handle = 0;
    size_t count = (size_t)a->count;
    if (count == 0 && blocking_is_retry(c)) count = XREAD_BLOCKED_DEFAULT_COUNT;
    for (size_t k = from; k < to; k++) {
        const struct resp_arg *key = &c->argv[a->streams_arg + k];
        bool err, history;
        struct obj_stream *s = stream_lookup(c, key, false, &err);
        struct stream_id gt = ids[k];
        if (!s || !may_serve(a, s, groups[k], &gt, &history)) continue;
        if (nserved++ == 0) handle = reply_deferred_begin(c);
        if (c->conn.proto != 3) reply_array(c, 2);
        reply_bulk(c, key->ptr, key->len);
        struct stream_id start = gt;
        stream_id_incr(&start);
        if (!a->is_group) {
            stream_reply_range(c, s, start, STREAM_ID_MAX, count, false, NULL);
            continue;
        }
        struct stream_consumer *con = read_consumer(c, a, key, groups[k]);
        if (history) {
            reply_history(c, s, con, start, count);
        } else {
            struct stream_deliver d = {groups[k], con, a->noack, key, a->group};
            stream_reply_range(c, s, start, STREAM_ID_MAX, count, false, &d);
        }
        c->srv->dirty++;
    }
    if (nserved && c->conn.proto == 3)
        reply_deferred_map(c, handle, nserved);
    else if (nserved)
        reply_deferred_array(c, handle, nserved); /* RESP2: [key, entries] pairs */
    return nserved;
}

/* ---- blocking ----------------------------------------------------------------------------- */

static void timeout_null_array(struct client *c) { reply_null_array(c); }

static bool may_block(const struct client *c)
{
    return !(c->flags & CLIENT_MASTER) && !(c->conn.flags & CONN_FAKE) && c->srv->call_depth <= 1;
}

/* Block on the keys, with `$` IDs frozen to what they meant now. */
static void block_reader(struct client *c, const struct xread_args *a, const struct stream_id *ids)
{
    int64_t deadline = a->timeout_ms > 0 ? loop_now_ms(c->srv->loop) + a->timeout_ms : 0;
    struct resp_arg *saved = c->argv;
    struct resp_arg *argv = xmalloc(c->argc * sizeof *argv);
    char(*bufs)[STREAM_ID_BUF] = xmalloc(a->nstreams * sizeof *bufs);
    memcpy(argv, c->argv, c->argc * sizeof *argv);
    for (size_t k = 0; k < a->nstreams; k++) {
        struct resp_arg *ida = &argv[a->streams_arg + a->nstreams + k];
        if (ida->len == 1 && ida->ptr[0] == '$')
            *ida = (struct resp_arg){bufs[k], stream_id_fmt(bufs[k], ids[k])};
    }
    c->argv = argv;
    blocking_block(c, &argv[a->streams_arg], a->nstreams, deadline, timeout_null_array);
    if (a->is_group && c->bstate) blocking_wake_on_delete(c);
    c->argv = saved;
    free(bufs);
    free(argv);
}

/* A retry of a blocked read, for key k: 1 answered with an error, 0 go on, -1 keep waiting. */
static int retry_check(struct client *c, const struct xread_args *a, size_t k)
{
    const struct resp_arg *key = &c->argv[a->streams_arg + k];
    struct ks_entry *e =
        db_lookup_in(c, c->db, key->ptr, key->len, DB_LOOKUP_NOSTATS | DB_LOOKUP_NOTOUCH);
    if (!e || ks_entry_type(e) != KS_TYPE_STREAM) {
        if (!a->is_group) return -1;
        reply_error(c, "UNBLOCKED the stream key no longer exists");
        return 1;
    }
    if (a->is_group && !obj_stream_cg_find(ks_entry_obj(e), a->group->ptr, a->group->len)) {
        reply_error(c, "NOGROUP the consumer group this client was blocked on no longer exists");
        return 1;
    }
    return 0;
}

static void xread_generic(struct client *c, bool is_group)
{
    struct xread_args a = {.is_group = is_group, .timeout_ms = -1};
    if (is_group) propagate_none(c);
    if (parse_args(c, &a) != 0) return;
    size_t from = 0, to = a.nstreams;
    if (blocking_is_retry(c)) {
        from = blocking_ready_key_index(c, &c->argv[a.streams_arg], a.nstreams);
        to = from + 1;
        int rc = retry_check(c, &a, from);
        if (rc > 0) return;
        if (rc < 0) {
            blocking_block(c, NULL, 0, 0, NULL);
            return;
        }
    }
    struct stream_id *ids = xmalloc(a.nstreams * sizeof *ids);
    struct stream_cg **groups = xcalloc(a.nstreams, sizeof *groups);
    if (resolve_ids(c, &a, from, to, ids, groups) == 0 &&
        serve_keys(c, &a, from, to, ids, groups) == 0) {
        if (a.has_block && may_block(c))
            block_reader(c, &a, ids);
        else
            reply_null_array(c);
    }
    if (is_group) propagate_wrap(c);
    free(ids);
    free(groups);
}

void cmd_xread(struct client *c) { xread_generic(c, false); }
void cmd_xreadgroup(struct client *c) { xread_generic(c, true); }
