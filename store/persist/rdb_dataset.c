/* rdb_dataset: see rdb_dataset.h.
 *
 * Loaded values get the encodings Redis 7.0's loader gives them under the encoding limits
 * configured when the load started: a plain collection as if its elements were added one by
 * one (then a sorted set that fits goes back to listpack), a compact one (rdb_key.is_compact)
 * stays compact unless it has too many entries.
 *
 * Invariants: a failed or cancelled load leaves the server's databases untouched; every object
 * built for a key is either stored or freed. */
#include "store/tracking.h"
#include "store/persist/rdb_dataset.h"
#include "store/persist/rdb_value.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/util.h"
#include "store/client.h"
#include "store/info.h"
#include "store/data/obj_hash.h"
#include "store/data/obj_list.h"
#include "store/data/obj_set.h"
#include "store/data/obj_stream_cg.h"
#include "store/data/obj_zset.h"
#include "store/rdb/rdb.h"
#include "store/lazyfree.h"
#include "store/persist/rdb_stream.h"
#include "store/server.h"
#include "store/script/script.h"

/* ---- writer (forked child) ---------------------------------------------------------------- */

static int write_list(struct rdb_writer *w, const char *k, size_t kl, struct obj_list *l,
                      int64_t exp)
{
    size_t n = obj_list_len(l);
    int rc = rdb_write_list_begin(w, k, kl, n, exp);
    struct obj_list_iter it;
    struct pack_val v;
    char num[32];
    obj_list_iter_init(&it, l, 0, false, n);
    while (rc == 0 && obj_list_iter_next(&it, &v)) {
        size_t len;
        const char *s = pack_val_str(&v, num, &len);
        rc = rdb_write_list_item(w, s, len);
    }
    return rc;
}

static int write_set(struct rdb_writer *w, const char *k, size_t kl, struct obj_set *s, int64_t exp)
{
    int rc = rdb_write_set_begin(w, k, kl, obj_set_card(s), exp);
    struct obj_set_iter it;
    struct pack_val v;
    char num[32];
    obj_set_iter_init(&it, s);
    while (rc == 0 && obj_set_iter_next(&it, &v)) {
        size_t len;
        const char *m = pack_val_str(&v, num, &len);
        rc = rdb_write_set_member(w, m, len);
    }
    return rc;
}

static int write_zset(struct rdb_writer *w, const char *k, size_t kl, struct obj_zset *z,
                      int64_t exp)
{
    int rc = rdb_write_zset_begin(w, k, kl, obj_zset_card(z), exp);
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    obj_zset_iter_rank(&it, z, 0, -1, false);
    while (rc == 0 && obj_zset_iter_next(&it, &e))
        rc = rdb_write_zset_member(w, e.member, e.len, e.score);
    return rc;
}

static int write_hash(struct rdb_writer *w, const char *k, size_t kl, struct obj_hash *h,
                      int64_t exp)
{
    int rc = rdb_write_hash_begin(w, k, kl, obj_hash_len(h), exp);
    struct obj_hash_iter it;
    const char *f, *v;
    size_t fl, vl;
    obj_hash_iter_init(&it, h);
    while (rc == 0 && obj_hash_iter_next(&it, &f, &fl, &v, &vl))
        rc = rdb_write_hash_field(w, f, fl, v, vl);
    obj_hash_iter_done(&it);
    return rc;
}

static size_t entry_len(const struct ks_entry *e)
{
    void *o = ks_entry_obj(e);
    switch (ks_entry_type(e)) {
    case KS_TYPE_LIST:
        return obj_list_len(o);
    case KS_TYPE_SET:
        return obj_set_card(o);
    case KS_TYPE_ZSET:
        return obj_zset_card(o);
    case KS_TYPE_HASH:
        return obj_hash_len(o);
    default:
        return 1;
    }
}

int rdb_dataset_write_entry(struct rdb_writer *w, const struct ks_entry *e)
{
    size_t kl;
    const char *k = ks_entry_key(e, &kl);
    int64_t exp = ks_entry_expire_ms(e);
    if (ks_entry_type(e) == KS_TYPE_STRING) {
        char num[KS_INT_BUF];
        size_t vl;
        const char *v = ks_str_get(e, num, &vl);
        return rdb_write_string(w, k, kl, v, vl, exp);
    }
    /* Redis never loads an empty collection (an empty stream is a stream all the same) */
    if (ks_entry_type(e) != KS_TYPE_STREAM && entry_len(e) == 0) return 0;
    void *o = ks_entry_obj(e);
    switch (ks_entry_type(e)) {
    case KS_TYPE_LIST:
        return write_list(w, k, kl, o, exp);
    case KS_TYPE_SET:
        return write_set(w, k, kl, o, exp);
    case KS_TYPE_ZSET:
        return write_zset(w, k, kl, o, exp);
    case KS_TYPE_HASH:
        return write_hash(w, k, kl, o, exp);
    case KS_TYPE_STREAM:
        return rdb_stream_write(w, k, kl, o, exp);
    default:
        return 0;
    }
}

int rdb_dataset_write(struct server *srv, struct rdb_writer *w, const struct rdb_aux *aux)
{
    int rc = rdb_write_header(w, aux);
    for (size_t i = 0; rc == 0 && i < script_func_lib_count(srv); i++) {
        size_t len;
        const char *code = script_func_lib_code(srv, i, &len);
        rc = rdb_write_function(w, code, len);
    }
    for (int db = 0; rc == 0 && db < srv->ndb; db++) {
        struct ks *ks = srv->db[db];
        if (ks_count(ks) == 0) continue;
        rc = rdb_write_select_db(w, db, ks_count(ks), ks_expires_count(ks));
        struct ks_iter it;
        ks_iter_init(&it, ks, false);
        struct ks_entry *e;
        while (rc == 0 && (e = ks_iter_next(&it)) != NULL) rc = rdb_dataset_write_entry(w, e);
        ks_iter_done(&it);
    }
    if (rc == 0) rc = rdb_write_end(w);
    return rc;
}

/* ---- loader (loader thread) ------------------------------------------------------------------ */

#define LOAD_CANCEL_CHECK_KEYS 4096

struct rdb_dataset_load {
    int ndb;
    struct ks **dbs;
    struct obj_hash_limits hlim;
    struct obj_set_limits slim;
    struct obj_zset_limits zlim;
    struct obj_list_limits llim;
    struct obj_stream_limits stlim;
    struct stream_cg *cur_cg; /* stream being loaded: its group and consumer being read */
    struct stream_consumer *cur_con;
    atomic_bool is_cancelled;
    int stream_db;
    size_t nkeys;
    /* policy (set before the run) */
    bool is_dropping_expired; /* a master drops keys already expired (Redis does the same) */
    int64_t now_ms;
    long long key_delay_us; /* key-load-delay: testing aid */
    /* results, readable from the main thread while the loader runs */
    atomic_size_t loaded_bytes;
    atomic_llong used_mem; /* AUX used-mem: what the writer had in memory */
    size_t keys_loaded, keys_expired;
    /* the FUNCTION2 records' library codes, loaded at swap-in (the engine is the main
     * thread's) */
    char **fn_codes;
    size_t *fn_lens, nfn;
    bool has_repl_id;
    char repl_id[41];
    long long repl_offset;
    int select_db;   /* the last SELECTDB, for RESIZEDB */
    size_t file_len; /* of the file being loaded */
    /* the collection being built */
    enum rdb_value_type type;
    bool is_compact; /* see rdb_key.is_compact */
    void *obj;
    size_t nitems;
    uint64_t hint;
    char *key;
    size_t klen;
    int64_t expire_ms;
    int db;
    /* rdb_dataset_load_value: the one value goes here instead of into a database */
    struct rdb_value *value;
    char errbuf[128];
};

static void load_copy_limits(struct rdb_dataset_load *ld, const struct server *srv);

struct rdb_dataset_load *rdb_dataset_load_create(const struct server *srv)
{
    struct rdb_dataset_load *ld = xcalloc(1, sizeof *ld);
    ld->ndb = srv->ndb;
    ld->dbs = xcalloc((size_t)srv->ndb, sizeof *ld->dbs);
    struct rng seed_rng = srv->rng; /* a copy: the server's generator is not ours to advance */
    for (int i = 0; i < srv->ndb; i++) {
        ld->dbs[i] = ks_create(rng_next(&seed_rng) ^ (uint64_t)i);
        ks_set_replica_mode(ld->dbs[i], true);
        ks_set_clock(ld->dbs[i], server_now_ms(srv)); /* loaded keys count as just written */
    }
    load_copy_limits(ld, srv);
    ld->stream_db = 0;
    ld->repl_offset = -1;
    atomic_init(&ld->is_cancelled, false);
    atomic_init(&ld->loaded_bytes, 0);
    atomic_init(&ld->used_mem, 0);
    return ld;
}

static void load_copy_limits(struct rdb_dataset_load *ld, const struct server *srv)
{
    const struct store_config *cfg = &srv->cfg;
    ld->hlim = (struct obj_hash_limits){(size_t)cfg->hash_max_listpack_entries,
                                        (size_t)cfg->hash_max_listpack_value};
    ld->slim = (struct obj_set_limits){(size_t)cfg->set_max_intset_entries,
                                       (size_t)cfg->set_max_listpack_entries,
                                       (size_t)cfg->set_max_listpack_value};
    ld->zlim = (struct obj_zset_limits){(size_t)cfg->zset_max_listpack_entries,
                                        (size_t)cfg->zset_max_listpack_value};
    ld->llim = (struct obj_list_limits){cfg->list_max_listpack_size};
    ld->stlim =
        (struct obj_stream_limits){cfg->stream_node_max_bytes, cfg->stream_node_max_entries};
}

void rdb_dataset_load_set_policy(struct rdb_dataset_load *ld, bool drop_expired, int64_t now_ms,
                                 long long key_delay_us)
{
    ld->is_dropping_expired = drop_expired;
    ld->now_ms = now_ms;
    ld->key_delay_us = key_delay_us;
}

long long rdb_dataset_load_used_mem(struct rdb_dataset_load *ld)
{
    return atomic_load_explicit(&ld->used_mem, memory_order_relaxed);
}

size_t rdb_dataset_load_progress(struct rdb_dataset_load *ld)
{
    return atomic_load_explicit(&ld->loaded_bytes, memory_order_relaxed);
}

void rdb_dataset_load_counts(const struct rdb_dataset_load *ld, size_t *loaded, size_t *expired)
{
    *loaded = ld->keys_loaded;
    *expired = ld->keys_expired;
}

bool rdb_dataset_load_repl_info(const struct rdb_dataset_load *ld, char id[41], long long *offset)
{
    if (!ld->has_repl_id || ld->repl_offset < 0) return false;
    memcpy(id, ld->repl_id, 41);
    *offset = ld->repl_offset;
    return true;
}

/* A key whose expiry is already past, on a loader that drops those: counted, not stored. */
static bool load_drops(struct rdb_dataset_load *ld, int64_t expire_ms)
{
    if (!ld->is_dropping_expired || expire_ms < 0 || expire_ms >= ld->now_ms) return false;
    ld->keys_expired++;
    return true;
}

void rdb_dataset_load_cancel(struct rdb_dataset_load *ld) { atomic_store(&ld->is_cancelled, true); }
int rdb_dataset_load_stream_db(const struct rdb_dataset_load *ld) { return ld->stream_db; }

static void free_pending(struct rdb_dataset_load *ld)
{
    if (ld->obj) {
        switch (ld->type) {
        case RDB_VALUE_LIST:
            obj_list_free(ld->obj);
            break;
        case RDB_VALUE_SET:
            obj_set_free(ld->obj);
            break;
        case RDB_VALUE_ZSET:
            obj_zset_free(ld->obj);
            break;
        case RDB_VALUE_HASH:
            obj_hash_free(ld->obj);
            break;
        case RDB_VALUE_STREAM:
            obj_stream_free(ld->obj);
            break;
        default:
            break;
        }
    }
    ld->obj = NULL;
    free(ld->key);
    ld->key = NULL;
}

static void free_dbs(struct ks **dbs, int ndb)
{
    for (int i = 0; i < ndb; i++)
        if (dbs[i]) ks_destroy(dbs[i]);
    free(dbs);
}

void rdb_dataset_load_destroy(struct rdb_dataset_load *ld)
{
    if (!ld) return;
    free_pending(ld);
    for (size_t i = 0; i < ld->nfn; i++) free(ld->fn_codes[i]);
    free(ld->fn_codes);
    free(ld->fn_lens);
    if (ld->dbs) free_dbs(ld->dbs, ld->ndb);
    free(ld);
}

static void sleep_us(long long us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int load_check(struct rdb_dataset_load *ld, int db)
{
    if (db < 0 || db >= ld->ndb) {
        snprintf(ld->errbuf, sizeof ld->errbuf, "the snapshot uses DB %d, we have %d databases", db,
                 ld->ndb);
        return -1;
    }
    if (ld->key_delay_us > 0) sleep_us(ld->key_delay_us);
    if (++ld->nkeys % LOAD_CANCEL_CHECK_KEYS == 0 && atomic_load(&ld->is_cancelled)) {
        snprintf(ld->errbuf, sizeof ld->errbuf, "cancelled");
        return -1;
    }
    return 0;
}

#define LOAD_MAX_LIBRARIES 100000 /* bound on FUNCTION2 records kept for the swap-in */

static int on_function(void *ctx, const char *code, size_t len)
{
    struct rdb_dataset_load *ld = ctx;
    if (ld->nfn == LOAD_MAX_LIBRARIES) {
        snprintf(ld->errbuf, sizeof ld->errbuf, "more than %d function libraries",
                 LOAD_MAX_LIBRARIES);
        return -1;
    }
    ld->fn_codes = xrealloc(ld->fn_codes, (ld->nfn + 1) * sizeof *ld->fn_codes);
    ld->fn_lens = xrealloc(ld->fn_lens, (ld->nfn + 1) * sizeof *ld->fn_lens);
    ld->fn_codes[ld->nfn] = xmemdup(code, len);
    ld->fn_lens[ld->nfn++] = len;
    return 0;
}

static int on_aux(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct rdb_dataset_load *ld = ctx;
    long long db;
    if (util_eq_nocase(k, kl, "repl-stream-db") && util_parse_ll(v, vl, &db) == 0 && db >= 0 &&
        db < ld->ndb)
        ld->stream_db = (int)db;
    long long off;
    if (util_eq_nocase(k, kl, "repl-id") && vl == 40) {
        memcpy(ld->repl_id, v, 40);
        ld->repl_id[40] = '\0';
        ld->has_repl_id = true;
    } else if (util_eq_nocase(k, kl, "repl-offset") && util_parse_ll(v, vl, &off) == 0 &&
               off >= 0) {
        ld->repl_offset = off;
    } else if (util_eq_nocase(k, kl, "used-mem") && util_parse_ll(v, vl, &off) == 0) {
        atomic_store_explicit(&ld->used_mem, off, memory_order_relaxed);
    }
    return 0;
}

static int on_select_db(void *ctx, int db)
{
    ((struct rdb_dataset_load *)ctx)->select_db = db;
    return 0;
}

/* RESIZEDB announces a database's key count: size its table once instead of growing it key
 * by key. The count is the file's word, so it is bounded by what the file could hold (a key
 * takes at least a few bytes; a smaller bound only means some growth on the way). */
static int on_resize_db(void *ctx, uint64_t db_size, uint64_t expires_size)
{
    struct rdb_dataset_load *ld = ctx;
    UNUSED(expires_size);
    if (ld->select_db < 0 || ld->select_db >= ld->ndb) return 0;
    ks_reserve(ld->dbs[ld->select_db], (size_t)MIN(db_size, (uint64_t)ld->file_len / 16));
    return 0;
}

static int on_progress(void *ctx, size_t offset)
{
    struct rdb_dataset_load *ld = ctx;
    atomic_store_explicit(&ld->loaded_bytes, offset, memory_order_relaxed);
    return 0;
}

static int on_string(void *ctx, const struct rdb_key *k, const char *v, size_t vl)
{
    struct rdb_dataset_load *ld = ctx;
    if (load_check(ld, k->db) != 0) return -1;
    if (load_drops(ld, k->expire_ms)) return 0;
    ld->keys_loaded++;
    if (ld->value) {
        *ld->value = (struct rdb_value){.is_string = true, .str = xmemdup(v, vl), .slen = vl};
        return 0;
    }
    ks_set_string(ld->dbs[k->db], k->name, k->len, v, vl, k->expire_ms, 0, KS_NOW_NO_EXPIRY);
    return 0;
}

static int on_begin(void *ctx, const struct rdb_key *k, enum rdb_value_type t, uint64_t hint)
{
    struct rdb_dataset_load *ld = ctx;
    if (load_check(ld, k->db) != 0) return -1;
    free_pending(ld);
    ld->type = t;
    ld->is_compact = k->is_compact;
    ld->hint = hint;
    ld->nitems = 0;
    ld->key = xmemdup(k->name, k->len);
    ld->klen = k->len;
    ld->expire_ms = k->expire_ms;
    ld->db = k->db;
    switch (t) {
    case RDB_VALUE_LIST:
        ld->obj = obj_list_create(&ld->llim);
        break;
    case RDB_VALUE_SET:
        ld->obj = NULL;
        break; /* created with its first member (encoding choice) */
    case RDB_VALUE_ZSET:
        ld->obj = obj_zset_create_hint((size_t)hint, 0, &ld->zlim);
        break;
    case RDB_VALUE_HASH:
        ld->obj = obj_hash_create();
        break;
    default:
        snprintf(ld->errbuf, sizeof ld->errbuf, "unexpected value type");
        return -1;
    }
    return 0;
}

static int on_item(void *ctx, const char *p, size_t n)
{
    struct rdb_dataset_load *ld = ctx;
    if (ld->type == RDB_VALUE_LIST) {
        obj_list_push(ld->obj, OBJ_LIST_TAIL, p, n);
    } else if (ld->type == RDB_VALUE_SET) {
        /* Redis 7.0: an intset if the count fits and (plain) every member is an integer. */
        if (!ld->obj) ld->obj = obj_set_create_for(p, n, (size_t)ld->hint, &ld->slim);
        obj_set_add(ld->obj, p, n, &ld->slim);
    } else {
        snprintf(ld->errbuf, sizeof ld->errbuf, "item outside a list or set");
        return -1;
    }
    ld->nitems++;
    return 0;
}

static int on_hash_field(void *ctx, const char *f, size_t fl, const char *v, size_t vl)
{
    struct rdb_dataset_load *ld = ctx;
    if (ld->type != RDB_VALUE_HASH) return -1;
    struct obj_hash_limits lim = ld->hlim;
    if (ld->is_compact) lim.max_listpack_value = SIZE_MAX; /* Redis 7.0 counts entries only */
    obj_hash_set(ld->obj, f, fl, v, vl, &lim);
    ld->nitems++;
    return 0;
}

static int on_zset_member(void *ctx, const char *m, size_t ml, double score)
{
    struct rdb_dataset_load *ld = ctx;
    if (ld->type != RDB_VALUE_ZSET || isnan(score)) {
        snprintf(ld->errbuf, sizeof ld->errbuf, "bad sorted set member");
        return -1;
    }
    int out;
    double ns;
    struct obj_zset_limits lim = ld->zlim;
    if (ld->is_compact) lim.max_listpack_value = SIZE_MAX; /* Redis 7.0 counts entries only */
    obj_zset_add(ld->obj, score, m, ml, 0, &out, &ns, &lim);
    ld->nitems++;
    return 0;
}

static const struct ks_obj_ops *ops_for(enum rdb_value_type t)
{
    switch (t) {
    case RDB_VALUE_LIST:
        return &obj_list_ops;
    case RDB_VALUE_SET:
        return &obj_set_ops;
    case RDB_VALUE_ZSET:
        return &obj_zset_ops;
    case RDB_VALUE_STREAM:
        return &obj_stream_ops;
    default:
        return &obj_hash_ops;
    }
}

/* ---- streams ---- */

static int on_stream_begin(void *ctx, const struct rdb_key *k)
{
    struct rdb_dataset_load *ld = ctx;
    if (on_begin(ctx, k, RDB_VALUE_LIST, 0) != 0) return -1;
    obj_list_free(ld->obj);
    ld->type = RDB_VALUE_STREAM;
    ld->obj = obj_stream_create();
    ld->nitems = 1; /* an empty stream is kept */
    ld->cur_cg = NULL;
    ld->cur_con = NULL;
    return 0;
}

static int on_stream_node(void *ctx, uint64_t ms, uint64_t seq, const char *lp, size_t n)
{
    struct rdb_dataset_load *ld = ctx;
    if (ld->type != RDB_VALUE_STREAM ||
        rdb_stream_load_node(ld->obj, &ld->stlim, ms, seq, (const unsigned char *)lp, n) != 0) {
        snprintf(ld->errbuf, sizeof ld->errbuf, "bad stream node");
        return -1;
    }
    return 0;
}

static int on_stream_meta(void *ctx, const struct rdb_stream_meta *m)
{
    struct rdb_dataset_load *ld = ctx;
    struct obj_stream *s = ld->obj;
    s->last_id = (struct stream_id){m->last_ms, m->last_seq};
    if (m->has_v2) {
        s->first_id = (struct stream_id){m->first_ms, m->first_seq};
        s->max_deleted_id = (struct stream_id){m->maxdel_ms, m->maxdel_seq};
        s->entries_added = m->entries_added;
    }
    return 0;
}

static int on_stream_group(void *ctx, const char *name, size_t n, uint64_t ms, uint64_t seq,
                           int64_t entries_read)
{
    struct rdb_dataset_load *ld = ctx;
    struct obj_stream *s = ld->obj;
    struct stream_id id = {ms, seq};
    long long rd = entries_read < 0 ? STREAM_ENTRIES_READ_INVALID : entries_read;
    ld->cur_cg = obj_stream_cg_create(s, name, n, id, rd);
    ld->cur_con = NULL;
    if (!ld->cur_cg) snprintf(ld->errbuf, sizeof ld->errbuf, "duplicate stream group");
    return ld->cur_cg ? 0 : -1;
}

static int on_stream_nack(void *ctx, uint64_t ms, uint64_t seq, int64_t when, uint64_t count)
{
    struct rdb_dataset_load *ld = ctx;
    /* Owned by a consumer named later: park it on a placeholder until then. */
    stream_cg_pel_add_orphan(ld->cur_cg, (struct stream_id){ms, seq}, when, count);
    return 0;
}

static int on_stream_consumer(void *ctx, const char *name, size_t n, int64_t seen_ms)
{
    struct rdb_dataset_load *ld = ctx;
    ld->cur_con = stream_cg_consumer_create(ld->cur_cg, name, n, seen_ms);
    if (!ld->cur_con) snprintf(ld->errbuf, sizeof ld->errbuf, "duplicate stream consumer");
    return ld->cur_con ? 0 : -1;
}

static int on_stream_consumer_nack(void *ctx, uint64_t ms, uint64_t seq)
{
    struct rdb_dataset_load *ld = ctx;
    struct stream_nack *nk = stream_pel_get(&ld->cur_cg->pel, (struct stream_id){ms, seq});
    if (!nk) {
        snprintf(ld->errbuf, sizeof ld->errbuf, "stream consumer NACK not in the group PEL");
        return -1;
    }
    stream_cg_nack_assign(nk, ld->cur_con);
    return 0;
}

static int on_end(void *ctx)
{
    struct rdb_dataset_load *ld = ctx;
    if (ld->nitems == 0 || !ld->obj) { /* Redis skips empty collections */
        free_pending(ld);
        return 0;
    }
    /* A plain sorted set that fits the limits is a listpack, whatever the count announced. */
    if (ld->type == RDB_VALUE_ZSET && !ld->is_compact)
        obj_zset_convert_if_small(ld->obj, &ld->zlim);
    if (load_drops(ld, ld->expire_ms)) {
        free_pending(ld);
        return 0;
    }
    if (ld->type == RDB_VALUE_STREAM) obj_stream_drop_orphan_nacks(ld->obj);
    ld->keys_loaded++;
    if (ld->value) {
        *ld->value = (struct rdb_value){.ops = ops_for(ld->type), .obj = ld->obj};
        ld->obj = NULL;
        free_pending(ld);
        return 0;
    }
    struct ks *ks = ld->dbs[ld->db];
    struct ks_entry *e = ks_set_obj(ks, ld->key, ld->klen, ops_for(ld->type), ld->obj, 0);
    if (ld->expire_ms >= 0) ks_entry_set_expire(ks, e, ld->expire_ms);
    ld->obj = NULL;
    free_pending(ld);
    return 0;
}

/* Both entry points load through these (a lone value only reaches the value callbacks). */
static const struct rdb_callbacks load_callbacks = {
    .on_aux = on_aux,
    .on_string = on_string,
    .on_begin = on_begin,
    .on_item = on_item,
    .on_hash_field = on_hash_field,
    .on_zset_member = on_zset_member,
    .on_end = on_end,
    .on_progress = on_progress,
    .on_select_db = on_select_db,
    .on_resize_db = on_resize_db,
    .on_function = on_function,
    .on_stream_begin = on_stream_begin,
    .on_stream_node = on_stream_node,
    .on_stream_meta = on_stream_meta,
    .on_stream_group = on_stream_group,
    .on_stream_nack = on_stream_nack,
    .on_stream_consumer = on_stream_consumer,
    .on_stream_consumer_nack = on_stream_consumer_nack,
};

int rdb_dataset_load_run(struct rdb_dataset_load *ld, const void *data, size_t len, char *err,
                         size_t errlen)
{
    ld->file_len = len;
    int rc = rdb_load(data, len, &load_callbacks, ld, err, errlen);
    if (rc == 0) atomic_store(&ld->loaded_bytes, len);
    if (rc == RDB_ERR_CALLBACK && ld->errbuf[0]) snprintf(err, errlen, "%s", ld->errbuf);
    free_pending(ld);
    return rc;
}

void rdb_dataset_load_swap_in(struct rdb_dataset_load *ld, struct server *srv)
{
    script_func_replace_all(srv, ld->nfn, ld->fn_codes, ld->fn_lens);
    for (int i = 0; i < srv->ndb && i < ld->ndb; i++) {
        ks_swap(srv->db[i], ld->dbs[i]);
        server_db_modified(srv, i);
    }
    tracking_flush(srv); /* every key may differ now: clients drop their caches */
    /* ld now holds the old data: free it off the loop (it touches nothing shared). */
    for (int i = 0; i < ld->ndb; i++)
        if (ld->dbs[i] && lazyfree_ks(srv->lazyfree, ld->dbs[i])) ld->dbs[i] = NULL;
    rdb_dataset_load_destroy(ld); /* what the queue refused, and ld itself */
}

int rdb_dataset_load_value(const struct server *srv, const void *p, size_t n, struct rdb_value *v)
{
    struct rdb_dataset_load ld = {.ndb = 1, .value = v, .file_len = n};
    load_copy_limits(&ld, srv);
    memset(v, 0, sizeof *v);
    int rc = rdb_load_value(p, n, &load_callbacks, &ld, NULL, 0);
    free_pending(&ld);
    /* An empty collection (on_end stored nothing) is bad data, as for Redis. */
    if (rc == 0 && !v->is_string && !v->obj) rc = -1;
    if (rc != 0) rdb_value_free(v);
    return rc == 0 ? 0 : -1;
}
