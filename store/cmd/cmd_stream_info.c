/* cmd_stream_info: XINFO (STREAM [FULL [COUNT n]], GROUPS, CONSUMERS, HELP) and XSETID. Replies
 * byte-exact with Redis 7.0 (maps in RESP3), except radix-tree-nodes, which describes Redis's
 * own index: we report our node count plus one (what Redis shows for streams of one node). */
#include <limits.h>
#include <string.h>

#include "common/util.h"
#include "store/cmd/cmd_stream_int.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/reply.h"

static void reply_kv_ll(struct client *c, const char *k, long long v)
{
    reply_bulk_str(c, k);
    reply_integer(c, v);
}

static void reply_kv_id(struct client *c, const char *k, struct stream_id id)
{
    reply_bulk_str(c, k);
    stream_reply_id(c, id);
}

/* A group's lag (Redis's rules), or null when it cannot be known. */
static void reply_lag(struct client *c, const struct obj_stream *s, const struct stream_cg *cg)
{
    reply_bulk_str(c, "lag");
    if (s->entries_added == 0) {
        reply_integer(c, 0);
    } else if (cg->entries_read != STREAM_ENTRIES_READ_INVALID &&
               !stream_range_has_tombstones(s, cg->last_id, STREAM_ID_MAX)) {
        reply_integer(c, (long long)s->entries_added - cg->entries_read);
    } else {
        long long rd = stream_estimate_read(s, cg->last_id);
        if (rd == STREAM_ENTRIES_READ_INVALID)
            reply_null(c);
        else
            reply_integer(c, (long long)s->entries_added - rd);
    }
}

static void reply_entries_read(struct client *c, const struct stream_cg *cg)
{
    reply_bulk_str(c, "entries-read");
    if (cg->entries_read != STREAM_ENTRIES_READ_INVALID)
        reply_integer(c, cg->entries_read);
    else
        reply_null(c);
}

static void reply_stream_header(struct client *c, const struct obj_stream *s)
{
    reply_kv_ll(c, "length", (long long)s->length);
    reply_kv_ll(c, "radix-tree-keys", (long long)s->nnodes);
    reply_kv_ll(c, "radix-tree-nodes", (long long)s->nnodes + 1);
    reply_kv_id(c, "last-generated-id", s->last_id);
    reply_kv_id(c, "max-deleted-entry-id", s->max_deleted_id);
    reply_kv_ll(c, "entries-added", (long long)s->entries_added);
    reply_kv_id(c, "recorded-first-entry-id", s->first_id);
}

static void reply_edge_entry(struct client *c, struct obj_stream *s, const char *name, bool last)
{
    reply_bulk_str(c, name);
    struct stream_id id = last ? obj_stream_last_live_id(s) : s->first_id;
    if (s->length == 0 || !stream_reply_entry(c, s, id)) reply_null(c);
}

static void reply_group_full(struct client *c, struct obj_stream *s, const struct stream_cg *cg,
                             size_t count)
{
    int64_t now = server_now_ms(c->srv);
    reply_map(c, 7);
    reply_bulk_str(c, "name");
    reply_bulk(c, cg->name, cg->nlen);
    reply_kv_id(c, "last-delivered-id", cg->last_id);
    reply_entries_read(c, cg);
    reply_lag(c, s, cg);
    reply_kv_ll(c, "pel-count", (long long)cg->pel.n);
    reply_bulk_str(c, "pending");
    size_t np = count && count < cg->pel.n ? count : cg->pel.n;
    reply_array(c, np);
    for (size_t i = 0; i < np; i++) {
        const struct stream_nack *n = cg->pel.v[i];
        reply_array(c, 4);
        stream_reply_id(c, n->id);
        reply_bulk(c, n->consumer->name, n->consumer->nlen);
        reply_integer(c, n->delivery_ms);
        reply_integer(c, (long long)n->delivery_count);
    }
    reply_bulk_str(c, "consumers");
    reply_array(c, cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const struct stream_consumer *con = cg->consumers[i];
        reply_map(c, 4);
        reply_bulk_str(c, "name");
        reply_bulk(c, con->name, con->nlen);
        reply_kv_ll(c, "seen-time", con->seen_ms);
        reply_kv_ll(c, "pel-count", (long long)con->pel.n);
        reply_bulk_str(c, "pending");
        size_t cp = count && count < con->pel.n ? count : con->pel.n;
        reply_array(c, cp);
        for (size_t j = 0; j < cp; j++) {
            const struct stream_nack *n = con->pel.v[j];
            reply_array(c, 3);
            stream_reply_id(c, n->id);
            reply_integer(c, n->delivery_ms);
            reply_integer(c, (long long)n->delivery_count);
        }
    }
    UNUSED(now);
}

static void reply_stream_full(struct client *c, struct obj_stream *s, size_t count)
{
    reply_map(c, 9);
    reply_stream_header(c, s);
    reply_bulk_str(c, "entries");
    stream_reply_range(c, s, STREAM_ID_MIN, STREAM_ID_MAX, count, false, NULL);
    reply_bulk_str(c, "groups");
    reply_array(c, s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) reply_group_full(c, s, s->groups[i], count);
}

/* The stream named by argv[2], or NULL with the error replied. */
static struct obj_stream *info_stream(struct client *c)
{
    struct ks_entry *e = db_lookup_read(c, &c->argv[2]);
    if (!e) {
        reply_error(c, ERR_NO_SUCH_KEY);
        return NULL;
    }
    if (!db_check_type(c, e, KS_TYPE_STREAM)) return NULL;
    return ks_entry_obj(e);
}

static void xinfo_stream(struct client *c)
{
    size_t optc = c->argc - 3;
    long long count = 10;
    bool full = optc > 0;
    if (full && ((optc != 1 && optc != 3) || !db_opt_is(&c->argv[3], "full") ||
                 (optc == 3 && !db_opt_is(&c->argv[4], "count")))) {
        stream_reply_sub_syntax(c, "XINFO");
        return;
    }
    if (optc == 3) {
        if (arg_ll(c, &c->argv[5], &count) != 0) return;
        if (count < 0) count = 10;
    }
    struct obj_stream *s = info_stream(c);
    if (!s) return;
    if (full) {
        reply_stream_full(c, s, (size_t)count);
        return;
    }
    reply_map(c, 10);
    reply_stream_header(c, s);
    reply_kv_ll(c, "groups", (long long)s->ngroups);
    reply_edge_entry(c, s, "first-entry", false);
    reply_edge_entry(c, s, "last-entry", true);
}

static void xinfo_groups(struct client *c)
{
    struct obj_stream *s = info_stream(c);
    if (!s) return;
    reply_array(c, s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct stream_cg *cg = s->groups[i];
        reply_map(c, 6);
        reply_bulk_str(c, "name");
        reply_bulk(c, cg->name, cg->nlen);
        reply_kv_ll(c, "consumers", (long long)cg->nconsumers);
        reply_kv_ll(c, "pending", (long long)cg->pel.n);
        reply_kv_id(c, "last-delivered-id", cg->last_id);
        reply_entries_read(c, cg);
        reply_lag(c, s, cg);
    }
}

static void xinfo_consumers(struct client *c)
{
    struct obj_stream *s = info_stream(c);
    if (!s) return;
    const struct stream_cg *cg = obj_stream_cg_find(s, c->argv[3].ptr, c->argv[3].len);
    if (!cg) {
        reply_errorf(c, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                     (int)db_arg_cstr_len(&c->argv[3]), c->argv[3].ptr,
                     (int)db_arg_cstr_len(&c->argv[2]), c->argv[2].ptr);
        return;
    }
    int64_t now = server_now_ms(c->srv);
    reply_array(c, cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const struct stream_consumer *con = cg->consumers[i];
        int64_t idle = now - con->seen_ms;
        reply_map(c, 3);
        reply_bulk_str(c, "name");
        reply_bulk(c, con->name, con->nlen);
        reply_kv_ll(c, "pending", (long long)con->pel.n);
        reply_kv_ll(c, "idle", idle < 0 ? 0 : idle);
    }
}

static void xinfo_help(struct client *c)
{
    static const char *const lines[] = {
        "XINFO <subcommand> [<arg> ...]: what a stream holds. Subcommands are:",
        "CONSUMERS key group",
        "    The consumers of a group: pending entries and idle time.",
        "GROUPS key",
        "    The consumer groups of a stream.",
        "STREAM key [FULL [COUNT n]]",
        "    The stream itself; FULL adds its entries, groups and pending lists.",
        "HELP",
        "    This text.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

/* Flags and key positions as Redis 7.0's COMMAND INFO shows them. */
const struct command cmd_stream_xinfo_subs[] = {
    {.name = "stream",
     .arity = -3,
     .flags = CMD_READONLY,
     .fn = xinfo_stream,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "groups",
     .arity = 3,
     .flags = CMD_READONLY,
     .fn = xinfo_groups,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "consumers",
     .arity = 4,
     .flags = CMD_READONLY,
     .fn = xinfo_consumers,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = xinfo_help},
    {.name = NULL},
};

void cmd_xinfo(struct client *c) { command_dispatch_sub(c, cmd_stream_xinfo_subs, "xinfo"); }

/* ---- XSETID ------------------------------------------------------------------------------- */

struct xsetid_args {
    struct stream_id id, max_deleted;
    long long entries_added;
};

static int xsetid_parse(struct client *c, struct xsetid_args *a)
{
    *a = (struct xsetid_args){.entries_added = -1};
    if (stream_arg_id(c, &c->argv[2], 0, true, NULL, &a->id) != 0) return -1;
    for (size_t i = 3; i < c->argc; i += 2) {
        bool more = i + 1 < c->argc;
        if (db_opt_is(&c->argv[i], "entriesadded") && more) {
            if (arg_ll(c, &c->argv[i + 1], &a->entries_added) != 0) return -1;
            if (a->entries_added < 0) {
                reply_error(c, "ERR entries_added must be positive");
                return -1;
            }
        } else if (db_opt_is(&c->argv[i], "maxdeletedid") && more) {
            if (stream_arg_id(c, &c->argv[i + 1], 0, true, NULL, &a->max_deleted) != 0) return -1;
            if (stream_id_cmp(a->id, a->max_deleted) < 0) {
                reply_error(c, "ERR The ID specified in XSETID is smaller than the provided "
                               "max_deleted_entry_id");
                return -1;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

void cmd_xsetid(struct client *c)
{
    struct xsetid_args a;
    if (xsetid_parse(c, &a) != 0) return;
    struct ks_entry *e = db_lookup_write(c, &c->argv[1]);
    if (!e) {
        reply_error(c, ERR_NO_SUCH_KEY);
        return;
    }
    if (!db_check_type(c, e, KS_TYPE_STREAM)) return;
    struct obj_stream *s = ks_entry_obj(e);
    /* Redis 7.0 does not compare with the current max_deleted_entry_id (7.2 does). */
    if (s->length > 0) {
        if (stream_id_cmp(a.id, obj_stream_last_live_id(s)) < 0) {
            reply_error(c, "ERR The ID specified in XSETID is smaller than the target stream top "
                           "item");
            return;
        }
        if (a.entries_added != -1 && s->length > (uint64_t)a.entries_added) {
            reply_error(c, "ERR The entries_added specified in XSETID is smaller than the target "
                           "stream length");
            return;
        }
    }
    s->last_id = a.id;
    if (a.entries_added != -1) s->entries_added = (uint64_t)a.entries_added;
    if (!stream_id_is_zero(a.max_deleted)) s->max_deleted_id = a.max_deleted;
    stream_key_changed(c, &c->argv[1], "xsetid", 1);
    reply_ok(c);
}
