/* cmd_stream_group: consumer-group commands: XGROUP (CREATE, CREATECONSUMER, DELCONSUMER,
 * DESTROY, SETID, HELP), XACK, XPENDING, XCLAIM, XAUTOCLAIM. Replies byte-exact with Redis 7.0.
 *
 * Propagation (docs/streams.md#replication): XCLAIM and XAUTOCLAIM reach replicas as one
 * XCLAIM ... TIME RETRYCOUNT FORCE JUSTID LASTID per NACK they changed (the form XREADGROUP
 * uses too), so a replica's PEL holds the same owners, times and counts; a group's last ID
 * moved by XCLAIM LASTID alone goes as XGROUP SETID.
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

#define ERR_XGROUP_NO_KEY                                                                          \
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "   \
    "use the MKSTREAM option to create an empty stream automatically."

/* ---- propagation -------------------------------------------------------------------------- */

void stream_propagate_xclaim(struct client *c, const struct resp_arg *key,
                             const struct stream_cg *cg, const struct stream_nack *nack)
{
    char id[STREAM_ID_BUF], last[STREAM_ID_BUF], time[24], count[24];
    struct resp_arg argv[14] = {
        {"XCLAIM", 6},
        *key,
        {cg->name, cg->nlen},
        {nack->consumer->name, nack->consumer->nlen},
        {"0", 1},
        {id, stream_id_fmt(id, nack->id)},
        {"TIME", 4},
        {time, util_ll_to_str(time, sizeof time, nack->delivery_ms)},
        {"RETRYCOUNT", 10},
        {count, util_ll_to_str(count, sizeof count, (long long)nack->delivery_count)},
        {"FORCE", 5},
        {"JUSTID", 6},
        {"LASTID", 6},
        {last, stream_id_fmt(last, cg->last_id)},
    };
    propagate_also(c, 14, argv);
}

void stream_propagate_setid(struct client *c, const struct resp_arg *key,
                            const struct stream_cg *cg)
{
    char last[STREAM_ID_BUF], rd[24];
    struct resp_arg argv[7] = {
        {"XGROUP", 6},
        {"SETID", 5},
        *key,
        {cg->name, cg->nlen},
        {last, stream_id_fmt(last, cg->last_id)},
        {"ENTRIESREAD", 11},
        {rd, util_ll_to_str(rd, sizeof rd, cg->entries_read)},
    };
    propagate_also(c, 7, argv);
}

/* ---- XGROUP ------------------------------------------------------------------------------- */

void stream_reply_sub_syntax(struct client *c, const char *family)
{
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
                 (int)MIN(db_arg_cstr_len(&c->argv[1]), 128), c->argv[1].ptr, family);
}

static void reply_sub_syntax(struct client *c) { stream_reply_sub_syntax(c, "XGROUP"); }

/* The stream and group of an XGROUP subcommand (argv[2], argv[3]); -1 when an error was
 * replied. need_group: the group must exist. */
static int xgroup_target(struct client *c, bool mkstream, bool need_group, struct obj_stream **s,
                         struct stream_cg **cg)
{
    bool err;
    *s = stream_lookup(c, &c->argv[2], true, &err);
    *cg = NULL;
    if (err) return -1;
    if (mkstream) return 0;
    if (!*s) {
        reply_error(c, ERR_XGROUP_NO_KEY);
        return -1;
    }
    *cg = obj_stream_cg_find(*s, c->argv[3].ptr, c->argv[3].len);
    if (!*cg && need_group) {
        reply_errorf(c, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                     (int)db_arg_cstr_len(&c->argv[3]), c->argv[3].ptr,
                     (int)db_arg_cstr_len(&c->argv[2]), c->argv[2].ptr);
        return -1;
    }
    return 0;
}

static int parse_entries_read(struct client *c, const struct resp_arg *a, long long *out)
{
    if (arg_ll(c, a, out) != 0) return -1;
    if (*out < 0 && *out != STREAM_ENTRIES_READ_INVALID) {
        reply_error(c, "ERR value for ENTRIESREAD must be positive or -1");
        return -1;
    }
    return 0;
}

static void xgroup_create(struct client *c)
{
    bool mkstream = false;
    long long entries_read = STREAM_ENTRIES_READ_INVALID;
    for (size_t i = 5; i < c->argc;) {
        if (db_opt_is(&c->argv[i], "mkstream")) {
            mkstream = true;
            i++;
        } else if (db_opt_is(&c->argv[i], "entriesread") && i + 1 < c->argc) {
            if (parse_entries_read(c, &c->argv[i + 1], &entries_read) != 0) return;
            i += 2;
        } else {
            reply_sub_syntax(c);
            return;
        }
    }
    struct obj_stream *s;
    struct stream_cg *cg;
    if (xgroup_target(c, mkstream, false, &s, &cg) != 0) return;
    if (c->argc > 8) {
        reply_sub_syntax(c);
        return;
    }
    struct stream_id id;
    const struct resp_arg *ida = &c->argv[4];
    if (ida->len == 1 && ida->ptr[0] == '$')
        id = s ? s->last_id : STREAM_ID_MIN;
    else if (stream_arg_id(c, ida, 0, true, NULL, &id) != 0)
        return;
    if (!s) {
        s = stream_create_at(c, &c->argv[2]);
        db_key_modified(c, &c->argv[2]);
    }
    if (!obj_stream_cg_create(s, c->argv[3].ptr, c->argv[3].len, id, entries_read)) {
        reply_error(c, "BUSYGROUP Consumer Group name already exists");
        return;
    }
    reply_ok(c);
    c->srv->dirty++;
    notify_keyspace_event(c->srv, NOTIFY_STREAM, "xgroup-create", c->argv[2].ptr, c->argv[2].len,
                          c->db);
}

static void xgroup_setid(struct client *c)
{
    struct obj_stream *s;
    struct stream_cg *cg;
    if (xgroup_target(c, false, true, &s, &cg) != 0) return;
    if (c->argc != 5 && c->argc != 7) {
        reply_sub_syntax(c);
        return;
    }
    struct stream_id id;
    long long entries_read = STREAM_ENTRIES_READ_INVALID;
    const struct resp_arg *ida = &c->argv[4];
    if (ida->len == 1 && ida->ptr[0] == '$')
        id = s->last_id;
    else if (stream_arg_id(c, ida, 0, false, NULL, &id) != 0)
        return;
    if (c->argc == 7) {
        if (!db_opt_is(&c->argv[5], "entriesread")) {
            reply_sub_syntax(c);
            return;
        }
        if (parse_entries_read(c, &c->argv[6], &entries_read) != 0) return;
    }
    cg->last_id = id;
    cg->entries_read = entries_read;
    reply_ok(c);
    stream_key_changed(c, &c->argv[2], "xgroup-setid", 1);
}

static void xgroup_destroy(struct client *c)
{
    struct obj_stream *s;
    struct stream_cg *cg;
    if (xgroup_target(c, false, false, &s, &cg) != 0) return;
    if (!cg) {
        reply_integer(c, 0);
        return;
    }
    obj_stream_cg_destroy(s, c->argv[3].ptr, c->argv[3].len);
    reply_integer(c, 1);
    /* Wakes the XREADGROUP clients blocked on this group: they get -NOGROUP. */
    stream_key_changed(c, &c->argv[2], "xgroup-destroy", 1);
}

static void xgroup_createconsumer(struct client *c)
{
    struct obj_stream *s;
    struct stream_cg *cg;
    if (xgroup_target(c, false, true, &s, &cg) != 0) return;
    const struct resp_arg *name = &c->argv[4];
    bool created = stream_cg_consumer_create(cg, name->ptr, name->len, server_now_ms(c->srv));
    if (created) {
        c->srv->dirty++;
        notify_keyspace_event(c->srv, NOTIFY_STREAM, "xgroup-createconsumer", c->argv[2].ptr,
                              c->argv[2].len, c->db);
    }
    reply_integer(c, created);
}

static void xgroup_delconsumer(struct client *c)
{
    struct obj_stream *s;
    struct stream_cg *cg;
    if (xgroup_target(c, false, true, &s, &cg) != 0) return;
    struct stream_consumer *con = stream_cg_consumer_find(cg, c->argv[4].ptr, c->argv[4].len);
    long long pending = 0;
    if (con) {
        pending = (long long)stream_cg_consumer_delete(cg, con);
        c->srv->dirty++;
        notify_keyspace_event(c->srv, NOTIFY_STREAM, "xgroup-delconsumer", c->argv[2].ptr,
                              c->argv[2].len, c->db);
    }
    reply_integer(c, pending);
}

static void xgroup_help(struct client *c)
{
    static const char *const lines[] = {
        "XGROUP <subcommand> [<arg> ...]: the consumer groups of a stream. Subcommands are:",
        "CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]",
        "    Make a group that delivers what comes after id ($: the last entry). MKSTREAM makes",
        "    an empty stream first when there is none; ENTRIESREAD sets the read counter.",
        "CREATECONSUMER key group consumer",
        "    Add a consumer to the group.",
        "DELCONSUMER key group consumer",
        "    Remove a consumer and the entries pending for it.",
        "DESTROY key group",
        "    Remove the group.",
        "SETID key group id|$ [ENTRIESREAD n]",
        "    Move the group's last delivered ID, and set its read counter.",
        "HELP",
        "    This text.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

/* Flags and key positions as Redis 7.0's COMMAND INFO shows them. */
#define XGROUP_SUB(n, a, f, fn_)                                                                   \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = 2, .last_key = 2, .key_step = 1 \
    }

const struct command cmd_stream_xgroup_subs[] = {
    XGROUP_SUB("create", -5, CMD_WRITE | CMD_DENYOOM, xgroup_create),
    XGROUP_SUB("setid", -5, CMD_WRITE, xgroup_setid),
    XGROUP_SUB("destroy", 4, CMD_WRITE, xgroup_destroy),
    XGROUP_SUB("createconsumer", 5, CMD_WRITE | CMD_DENYOOM, xgroup_createconsumer),
    XGROUP_SUB("delconsumer", 5, CMD_WRITE, xgroup_delconsumer),
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = xgroup_help},
    {.name = NULL},
};

void cmd_xgroup(struct client *c) { command_dispatch_sub(c, cmd_stream_xgroup_subs, "xgroup"); }

/* ---- XACK, XPENDING ----------------------------------------------------------------------- */

void cmd_xack(struct client *c)
{
    struct obj_stream *s;
    bool err;
    struct stream_cg *cg = stream_lookup_group(c, &s, &err);
    if (err) return;
    if (!cg) {
        reply_integer(c, 0);
        return;
    }
    struct stream_id id;
    for (size_t j = 3; j < c->argc; j++)
        if (stream_arg_id(c, &c->argv[j], 0, true, NULL, &id) != 0) return;
    long long acked = 0;
    for (size_t j = 3; j < c->argc; j++) {
        stream_arg_id(c, &c->argv[j], 0, true, NULL, &id);
        acked += stream_cg_ack(cg, id);
    }
    c->srv->dirty += acked;
    reply_integer(c, acked);
}

static void pending_summary(struct client *c, const struct stream_cg *cg)
{
    reply_array(c, 4);
    reply_integer(c, (long long)cg->pel.n);
    if (cg->pel.n == 0) {
        reply_null(c);
        reply_null(c);
        reply_null_array(c);
        return;
    }
    stream_reply_id(c, cg->pel.v[0]->id);
    stream_reply_id(c, cg->pel.v[cg->pel.n - 1]->id);
    size_t handle = reply_deferred_begin(c), n = 0;
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const struct stream_consumer *con = cg->consumers[i];
        if (con->pel.n == 0) continue;
        reply_array(c, 2);
        reply_bulk(c, con->name, con->nlen);
        reply_bulk_ll(c, (long long)con->pel.n);
        n++;
    }
    reply_deferred_array(c, handle, n);
}

struct pending_args {
    struct stream_id start, end;
    long long count, minidle;
    const struct resp_arg *consumer;
};

static int pending_parse(struct client *c, struct pending_args *p)
{
    size_t i = 3;
    *p = (struct pending_args){.minidle = 0};
    if (db_opt_is(&c->argv[3], "idle")) {
        if (arg_ll(c, &c->argv[4], &p->minidle) != 0) return -1;
        if (c->argc < 8) {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
        i += 2;
    }
    if (arg_ll(c, &c->argv[i + 2], &p->count) != 0) return -1;
    if (p->count < 0) p->count = 0;
    if (stream_parse_bound(c, &c->argv[i], 0, true, &p->start) != 0 ||
        stream_parse_bound(c, &c->argv[i + 1], UINT64_MAX, false, &p->end) != 0)
        return -1;
    if (i + 3 < c->argc) p->consumer = &c->argv[i + 3];
    return 0;
}

static void pending_extended(struct client *c, const struct stream_cg *cg,
                             const struct pending_args *p)
{
    const struct stream_pel *pel = &cg->pel;
    if (p->consumer) {
        struct stream_consumer *con =
            stream_cg_consumer_find(cg, p->consumer->ptr, p->consumer->len);
        if (!con) {
            reply_empty_array(c);
            return;
        }
        pel = &con->pel;
    }
    int64_t now = server_now_ms(c->srv);
    size_t handle = reply_deferred_begin(c), n = 0;
    long long count = p->count;
    for (size_t i = stream_pel_lower_bound(pel, p->start);
         count && i < pel->n && stream_id_cmp(pel->v[i]->id, p->end) <= 0; i++) {
        const struct stream_nack *nack = pel->v[i];
        int64_t idle = now - nack->delivery_ms;
        if (p->minidle && idle < p->minidle) continue;
        n++;
        count--;
        reply_array(c, 4);
        stream_reply_id(c, nack->id);
        reply_bulk(c, nack->consumer->name, nack->consumer->nlen);
        reply_integer(c, idle < 0 ? 0 : idle);
        reply_integer(c, (long long)nack->delivery_count);
    }
    reply_deferred_array(c, handle, n);
}

void cmd_xpending(struct client *c)
{
    if (c->argc != 3 && (c->argc < 6 || c->argc > 9)) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    struct pending_args p;
    if (c->argc >= 6 && pending_parse(c, &p) != 0) return;
    struct obj_stream *s;
    struct stream_cg *cg = stream_require_group(c, &s);
    if (!cg) return;
    if (c->argc == 3)
        pending_summary(c, cg);
    else
        pending_extended(c, cg, &p);
}
