/* aof_rewrite_cmds: the dataset written as commands, the base file of a rewrite with
 * aof-use-rdb-preamble no (docs/persistence.md#rewrites). As Redis 7.0 writes it: a SELECT per
 * database, then per key SET, RPUSH, SADD, ZADD or HMSET (collections in commands of at most
 * 64 items) and PEXPIREAT for a key with an expiry; with aof-rewrite-incremental-fsync, an
 * fsync every 4 MB. Runs in the forked child (or at a start with nothing yet), so it walks the
 * keyspace without safe iterators. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/data/obj_hash.h"
#include "store/data/obj_list.h"
#include "store/data/obj_set.h"
#include "store/data/obj_stream_cg.h"
#include "store/data/obj_zset.h"
#include "store/persist/aof_int.h"
#include "store/server.h"
#include "store/script/script.h"

#define CMDS_ITEMS_PER_CMD 64 /* as Redis's AOF_REWRITE_ITEMS_PER_CMD */
#define CMDS_FLUSH_BYTES (64 * 1024)
#define CMDS_SYNC_EVERY_BYTES (4 * 1024 * 1024) /* aof-rewrite-incremental-fsync, as Redis */
#define CMDS_MAX_ARGS (2 + 2 * CMDS_ITEMS_PER_CMD)

/* One command being assembled; numbers are formatted into `nums` (stable while it lives). */
struct cmds_out {
    int fd;
    int rc;
    bool incremental_fsync;
    size_t unsynced;
    struct buf out;
    struct resp_arg argv[CMDS_MAX_ARGS];
    size_t argc;
    size_t written; /* commands emitted so far */
    char nums[CMDS_MAX_ARGS][40];
};

static void cmds_flush(struct cmds_out *o, bool force)
{
    if (o->rc != 0 || (!force && o->out.len < CMDS_FLUSH_BYTES)) return;
    if (atomic_file_write_all(o->fd, o->out.data, o->out.len) != 0) o->rc = -1;
    o->unsynced += o->out.len;
    buf_clear(&o->out);
    /* Many small fsyncs instead of one huge one at the end: the disk is not flooded at once. */
    if (o->rc == 0 && o->incremental_fsync && o->unsynced >= CMDS_SYNC_EVERY_BYTES) {
        if (fdatasync(o->fd) != 0) o->rc = -1;
        o->unsynced = 0;
    }
}

static void cmds_begin(struct cmds_out *o, const char *name, const char *key, size_t klen)
{
    o->argv[0] = (struct resp_arg){name, strlen(name)};
    o->argv[1] = (struct resp_arg){key, klen};
    o->argc = 2;
}

static void cmds_arg(struct cmds_out *o, const char *p, size_t n)
{
    o->argv[o->argc++] = (struct resp_arg){p, n};
}

static void cmds_arg_num(struct cmds_out *o, long long v)
{
    char *s = o->nums[o->argc];
    cmds_arg(o, s, (size_t)snprintf(s, sizeof o->nums[0], "%lld", v));
}

static void cmds_end(struct cmds_out *o)
{
    resp_write_command(&o->out, o->argc, o->argv);
    o->argc = 0;
    o->written++;
    cmds_flush(o, false);
}

/* Emit the pending command when it holds a full batch (items counted by the caller). */
static void cmds_batch(struct cmds_out *o, size_t *items, const char *name, const char *k,
                       size_t kl)
{
    if (++*items < CMDS_ITEMS_PER_CMD) return;
    cmds_end(o);
    *items = 0;
    cmds_begin(o, name, k, kl);
}

static void cmds_finish_batch(struct cmds_out *o, size_t items)
{
    if (items > 0) cmds_end(o);
    o->argc = 0;
}

static void cmds_list(struct cmds_out *o, const char *k, size_t kl, struct obj_list *l)
{
    struct obj_list_iter it;
    struct pack_val v;
    size_t items = 0;
    cmds_begin(o, "RPUSH", k, kl);
    obj_list_iter_init(&it, l, 0, false, obj_list_len(l));
    while (obj_list_iter_next(&it, &v)) {
        size_t len;
        const char *s = pack_val_str(&v, o->nums[o->argc], &len);
        cmds_arg(o, s, len);
        cmds_batch(o, &items, "RPUSH", k, kl);
    }
    cmds_finish_batch(o, items);
}

static void cmds_set(struct cmds_out *o, const char *k, size_t kl, struct obj_set *s)
{
    struct obj_set_iter it;
    struct pack_val v;
    size_t items = 0;
    cmds_begin(o, "SADD", k, kl);
    obj_set_iter_init(&it, s);
    while (obj_set_iter_next(&it, &v)) {
        size_t len;
        const char *m = pack_val_str(&v, o->nums[o->argc], &len);
        cmds_arg(o, m, len);
        cmds_batch(o, &items, "SADD", k, kl);
    }
    cmds_finish_batch(o, items);
}

static void cmds_zset(struct cmds_out *o, const char *k, size_t kl, struct obj_zset *z)
{
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    size_t items = 0;
    cmds_begin(o, "ZADD", k, kl);
    obj_zset_iter_rank(&it, z, 0, -1, false);
    while (obj_zset_iter_next(&it, &e)) {
        char *s = o->nums[o->argc];
        cmds_arg(o, s, util_double_to_str(s, sizeof o->nums[0], e.score));
        cmds_arg(o, e.member, e.len);
        cmds_batch(o, &items, "ZADD", k, kl);
    }
    cmds_finish_batch(o, items);
}

static void cmds_hash(struct cmds_out *o, const char *k, size_t kl, struct obj_hash *h)
{
    struct obj_hash_iter it;
    const char *f, *v;
    size_t fl, vl, items = 0;
    cmds_begin(o, "HMSET", k, kl);
    obj_hash_iter_init(&it, h);
    while (obj_hash_iter_next(&it, &f, &fl, &v, &vl)) {
        cmds_arg(o, f, fl);
        cmds_arg(o, v, vl);
        cmds_batch(o, &items, "HMSET", k, kl);
    }
    obj_hash_iter_done(&it);
    cmds_finish_batch(o, items);
}

static void cmds_arg_id(struct cmds_out *o, struct stream_id id)
{
    char *s = o->nums[o->argc];
    cmds_arg(o, s, stream_id_fmt(s, id));
}

/* A stream as Redis rewrites it: XADD per entry (an empty stream: XADD MAXLEN 0 0-1 x y), XSETID
 * with its counters, then per group XGROUP CREATE, an XCLAIM per pending entry and XGROUP
 * CREATECONSUMER for a consumer with none. */
static void cmds_stream_groups(struct cmds_out *o, const char *k, size_t kl, struct obj_stream *s)
{
    for (size_t g = 0; g < s->ngroups; g++) {
        const struct stream_cg *cg = s->groups[g];
        cmds_begin(o, "XGROUP", "CREATE", 6);
        cmds_arg(o, k, kl);
        cmds_arg(o, cg->name, cg->nlen);
        cmds_arg_id(o, cg->last_id);
        cmds_arg(o, "ENTRIESREAD", 11);
        cmds_arg_num(o, cg->entries_read);
        cmds_end(o);
        for (size_t i = 0; i < cg->nconsumers; i++) {
            const struct stream_consumer *con = cg->consumers[i];
            for (size_t j = 0; j < con->pel.n; j++) {
                const struct stream_nack *n = con->pel.v[j];
                cmds_begin(o, "XCLAIM", k, kl);
                cmds_arg(o, cg->name, cg->nlen);
                cmds_arg(o, con->name, con->nlen);
                cmds_arg(o, "0", 1);
                cmds_arg_id(o, n->id);
                cmds_arg(o, "TIME", 4);
                cmds_arg_num(o, n->delivery_ms);
                cmds_arg(o, "RETRYCOUNT", 10);
                cmds_arg_num(o, (long long)n->delivery_count);
                cmds_arg(o, "JUSTID", 6);
                cmds_arg(o, "FORCE", 5);
                cmds_end(o);
            }
            if (con->pel.n > 0) continue;
            cmds_begin(o, "XGROUP", "CREATECONSUMER", 14);
            cmds_arg(o, k, kl);
            cmds_arg(o, cg->name, cg->nlen);
            cmds_arg(o, con->name, con->nlen);
            cmds_end(o);
        }
    }
}

static void cmds_stream(struct cmds_out *o, const char *k, size_t kl, struct obj_stream *s)
{
    struct obj_stream_iter it;
    struct stream_id id;
    size_t nf;
    obj_stream_iter_init(&it, s, STREAM_ID_MIN, STREAM_ID_MAX, false);
    while (obj_stream_iter_next(&it, &id, &nf)) {
        /* one command per entry, however many fields: arguments go straight to the buffer */
        struct resp_arg head[3] = {
            {"XADD", 4}, {k, kl}, {o->nums[0], stream_id_fmt(o->nums[0], id)}};
        resp_write_array_header(&o->out, 3 + 2 * nf);
        for (size_t i = 0; i < 3; i++) resp_write_bulk(&o->out, head[i].ptr, head[i].len);
        const char *f, *v;
        size_t fl, vl;
        while (obj_stream_iter_field(&it, &f, &fl, &v, &vl)) {
            resp_write_bulk(&o->out, f, fl);
            resp_write_bulk(&o->out, v, vl);
        }
        o->written++;
        cmds_flush(o, false);
    }
    obj_stream_iter_done(&it);
    if (s->length == 0) {
        cmds_begin(o, "XADD", k, kl);
        cmds_arg(o, "MAXLEN", 6);
        cmds_arg(o, "0", 1);
        cmds_arg(o, "0-1", 3);
        cmds_arg(o, "x", 1);
        cmds_arg(o, "y", 1);
        cmds_end(o);
    }
    cmds_begin(o, "XSETID", k, kl);
    cmds_arg_id(o, s->last_id);
    cmds_arg(o, "ENTRIESADDED", 12);
    cmds_arg_num(o, (long long)s->entries_added);
    cmds_arg(o, "MAXDELETEDID", 12);
    cmds_arg_id(o, s->max_deleted_id);
    cmds_end(o);
    cmds_stream_groups(o, k, kl, s);
}

static void cmds_entry(struct cmds_out *o, const struct ks_entry *e)
{
    size_t kl;
    const char *k = ks_entry_key(e, &kl);
    enum ks_type type = ks_entry_type(e);
    void *obj = type == KS_TYPE_STRING ? NULL : ks_entry_obj(e);
    size_t before = o->written;
    switch (type) {
    case KS_TYPE_STRING: {
        char num[KS_INT_BUF];
        size_t vl;
        const char *v = ks_str_get(e, num, &vl);
        cmds_begin(o, "SET", k, kl);
        cmds_arg(o, v, vl);
        cmds_end(o);
        break;
    }
    case KS_TYPE_LIST:
        cmds_list(o, k, kl, obj);
        break;
    case KS_TYPE_SET:
        cmds_set(o, k, kl, obj);
        break;
    case KS_TYPE_ZSET:
        cmds_zset(o, k, kl, obj);
        break;
    case KS_TYPE_HASH:
        cmds_hash(o, k, kl, obj);
        break;
    case KS_TYPE_STREAM:
        cmds_stream(o, k, kl, obj);
        break;
    default:
        return;
    }
    int64_t exp = ks_entry_expire_ms(e);
    if (exp < 0 || o->written == before) return; /* no expiry, or an empty collection */
    cmds_begin(o, "PEXPIREAT", k, kl);
    cmds_arg_num(o, exp);
    cmds_end(o);
}

int aof_rewrite_write_commands(struct server *srv, int fd, char *err, size_t errlen)
{
    struct cmds_out *o = xcalloc(1, sizeof *o);
    o->fd = fd;
    o->incremental_fsync = srv->cfg.aof_rewrite_incremental_fsync;
    buf_init(&o->out);
    if (srv->cfg.aof_timestamp_enabled) /* as Redis: the base starts with its time */
        buf_printf(&o->out, "#TS:%lld\r\n", (long long)(server_now_ms(srv) / 1000));
    for (size_t i = 0; o->rc == 0 && i < script_func_lib_count(srv); i++) {
        size_t len;
        const char *code = script_func_lib_code(srv, i, &len);
        cmds_begin(o, "FUNCTION", "LOAD", 4);
        cmds_arg(o, code, len);
        cmds_end(o);
    }
    for (int db = 0; o->rc == 0 && db < srv->ndb; db++) {
        struct ks *ks = srv->db[db];
        if (ks_count(ks) == 0) continue;
        cmds_begin(o, "SELECT", "", 0);
        o->argc = 1;
        cmds_arg_num(o, db);
        cmds_end(o);
        struct ks_iter it;
        ks_iter_init(&it, ks, false);
        struct ks_entry *e;
        while (o->rc == 0 && (e = ks_iter_next(&it)) != NULL) cmds_entry(o, e);
        ks_iter_done(&it);
    }
    cmds_flush(o, true);
    int rc = o->rc;
    if (rc != 0) snprintf(err, errlen, "writing the AOF base failed");
    buf_free(&o->out);
    free(o);
    return rc;
}
