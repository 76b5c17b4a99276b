/* rdb_value: see rdb_value.h.
 *
 * What decides the bytes: DUMP writes each value as redis-server 7.0 writes it in an RDB
 * file: strings with the int and LZF encodings (rdbcompression), a listpack hash or sorted set
 * as one listpack blob, an intset at its width, a list as quicklist-2 (one listpack per node),
 * and the hashtable encodings (and our listpack sets, which Redis 7.0 holds as hashtables) in
 * the plain forms. Node boundaries of a list are recomputed as Redis's quicklist places them
 * when the list is built by pushes at the tail; element order inside a hashtable is ours, so
 * such payloads restore everywhere but differ from Redis's bytes. */
#include "store/persist/rdb_value.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/data/obj_hash.h"
#include "store/data/obj_intset.h"
#include "store/data/obj_list.h"
#include "store/data/obj_set.h"
#include "store/data/obj_zset.h"
#include "store/persist/rdb_dataset.h"
#include "store/rdb/crc64.h"
#include "store/rdb/rdb.h"
#include "store/rdb/rdb_listpack.h"
#include "store/server.h"

/* Redis's quicklist: node byte limits of the negative fills, the cap when the fill is a count,
 * and the entry overhead its insert check assumes (measured against redis-server 7.0). */
static const size_t ql_fill_bytes[] = {4096, 8192, 16384, 32768, 65536};
#define QL_SAFETY_LIMIT_BYTES 8192
#define QL_ENTRY_OVERHEAD_BYTES 8

static int value_write_hash(struct rdb_writer *w, const char *k, size_t kl, struct obj_hash *h,
                            int64_t exp)
{
    struct rdb_lp lp;
    struct obj_hash_iter it;
    const char *f, *v;
    size_t fl, vl, n;
    rdb_lp_init(&lp);
    obj_hash_iter_init(&it, h);
    while (obj_hash_iter_next(&it, &f, &fl, &v, &vl)) {
        rdb_lp_append(&lp, f, fl);
        rdb_lp_append(&lp, v, vl);
    }
    obj_hash_iter_done(&it);
    const char *blob = rdb_lp_finish(&lp, &n);
    int rc = rdb_write_blob(w, RDB_TYPE_HASH_LISTPACK, k, kl, blob, n, exp);
    rdb_lp_free(&lp);
    return rc;
}

static int value_write_zset(struct rdb_writer *w, const char *k, size_t kl, struct obj_zset *z,
                            int64_t exp)
{
    struct rdb_lp lp;
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    size_t n;
    rdb_lp_init(&lp);
    obj_zset_iter_rank(&it, z, 0, -1, false);
    while (obj_zset_iter_next(&it, &e)) {
        rdb_lp_append(&lp, e.member, e.len);
        rdb_lp_append_score(&lp, e.score);
    }
    const char *blob = rdb_lp_finish(&lp, &n);
    int rc = rdb_write_blob(w, RDB_TYPE_ZSET_LISTPACK, k, kl, blob, n, exp);
    rdb_lp_free(&lp);
    return rc;
}

static int value_write_intset(struct rdb_writer *w, const char *k, size_t kl,
                              const struct intset *is, int64_t exp)
{
    uint32_t n = intset_len(is);
    int64_t *vals = xmalloc((n ? n : 1) * sizeof *vals);
    for (uint32_t i = 0; i < n; i++) vals[i] = intset_get(is, i);
    struct buf b;
    buf_init(&b);
    rdb_intset_build(&b, is->width, vals, n);
    int rc = rdb_write_blob(w, RDB_TYPE_SET_INTSET, k, kl, b.data, b.len, exp);
    buf_free(&b);
    free(vals);
    return rc;
}

/* Would a node of `bytes` listpack bytes and `count` entries take one more element of `len`
 * bytes (its string length, even when it packs as an integer)? Redis 7.0's insert check adds
 * the length and a fixed estimate of the entry's overhead; that must fit the size of a
 * negative fill, or the safety cap and the count of a positive one. */
static bool ql_node_takes(long long fill, size_t bytes, size_t count, size_t len)
{
    size_t grown = bytes + len + QL_ENTRY_OVERHEAD_BYTES;
    if (fill < 0) {
        long long i = MIN(-fill, (long long)ARRAY_LEN(ql_fill_bytes)) - 1;
        return grown <= ql_fill_bytes[i];
    }
    return grown <= QL_SAFETY_LIMIT_BYTES && (long long)count < MAX(fill, 1);
}

/* The listpacks of the nodes, appended to `nodes` as (u32 length, bytes) records. */
static size_t ql_build_nodes(struct obj_list *l, long long fill, struct buf *nodes)
{
    struct rdb_lp lp;
    struct obj_list_iter it;
    struct pack_val v;
    char num[PACK_NUMBUF];
    size_t count = 0, nnodes = 0, n;
    rdb_lp_init(&lp);
    obj_list_iter_init(&it, l, 0, false, obj_list_len(l));
    for (bool more = obj_list_iter_next(&it, &v); more;) {
        size_t len;
        const char *s = pack_val_str(&v, num, &len);
        if (count > 0 && !ql_node_takes(fill, rdb_lp_bytes(&lp), count, len)) {
            const char *blob = rdb_lp_finish(&lp, &n);
            uint32_t n32 = (uint32_t)n;
            buf_append(nodes, &n32, sizeof n32);
            buf_append(nodes, blob, n);
            rdb_lp_reset(&lp);
            count = 0;
            nnodes++;
        }
        rdb_lp_append(&lp, s, len);
        count++;
        more = obj_list_iter_next(&it, &v);
    }
    const char *blob = rdb_lp_finish(&lp, &n);
    uint32_t n32 = (uint32_t)n;
    buf_append(nodes, &n32, sizeof n32);
    buf_append(nodes, blob, n);
    rdb_lp_free(&lp);
    return nnodes + 1;
}

static int value_write_list(struct rdb_writer *w, const char *k, size_t kl, struct obj_list *l,
                            int64_t exp, long long fill)
{
    struct buf nodes;
    buf_init(&nodes);
    size_t nnodes = ql_build_nodes(l, fill, &nodes);
    int rc = rdb_write_quicklist_begin(w, k, kl, nnodes, exp);
    for (size_t off = 0; rc == 0 && off < nodes.len;) {
        uint32_t n;
        memcpy(&n, nodes.data + off, sizeof n);
        rc = rdb_write_quicklist_node(w, nodes.data + off + sizeof n, n);
        off += sizeof n + n;
    }
    buf_free(&nodes);
    return rc;
}

int rdb_value_write_compact(struct rdb_writer *w, const struct ks_entry *e, long long list_fill)
{
    size_t kl;
    const char *k = ks_entry_key(e, &kl);
    int64_t exp = ks_entry_expire_ms(e);
    enum ks_type t = ks_entry_type(e);
    if (t == KS_TYPE_STRING) return 1;
    void *o = ks_entry_obj(e);
    if (t == KS_TYPE_LIST && obj_list_len(o) > 0)
        return value_write_list(w, k, kl, o, exp, list_fill);
    if (t == KS_TYPE_HASH && obj_hash_is_listpack(o) && obj_hash_len(o) > 0)
        return value_write_hash(w, k, kl, o, exp);
    if (t == KS_TYPE_ZSET && strcmp(obj_zset_encoding_name(o), "listpack") == 0 &&
        obj_zset_card(o) > 0)
        return value_write_zset(w, k, kl, o, exp);
    if (t == KS_TYPE_SET && obj_set_intset(o) && obj_set_card(o) > 0)
        return value_write_intset(w, k, kl, obj_set_intset(o), exp);
    return 1;
}

/* ---- payloads -------------------------------------------------------------------------------- */

static int value_sink(void *ctx, const void *p, size_t n)
{
    buf_append(ctx, p, n);
    return 0;
}

static void put_le(unsigned char *p, uint64_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

void rdb_value_dump(const struct server *srv, const struct ks_entry *e, struct buf *out)
{
    size_t start = out->len;
    struct rdb_writer *w = xmalloc(sizeof *w); /* its batch buffers are large for a stack */
    rdb_writer_init(w, value_sink, out);
    rdb_writer_set_options(w, srv->cfg.rdbcompression, false);
    rdb_writer_set_value_only(w, true);
    if (rdb_value_write_compact(w, e, srv->cfg.list_max_listpack_size) == 1)
        rdb_dataset_write_entry(w, e);
    rdb_writer_flush(w);
    free(w);
    unsigned char footer[RDB_VALUE_FOOTER_BYTES];
    put_le(footer, RDB_DUMP_VERSION, 2);
    buf_append(out, footer, 2);
    put_le(footer + 2, crc64_update(CRC64_INIT, out->data + start, out->len - start), 8);
    buf_append(out, footer + 2, 8);
}

bool rdb_value_check(const void *p, size_t n)
{
    const unsigned char *b = p;
    if (n < RDB_VALUE_FOOTER_BYTES) return false;
    const unsigned char *f = b + n - RDB_VALUE_FOOTER_BYTES;
    unsigned version = (unsigned)f[0] | (unsigned)f[1] << 8;
    if (version > RDB_DUMP_VERSION) return false;
    unsigned char crc[8];
    put_le(crc, crc64_update(CRC64_INIT, b, n - 8), 8);
    return memcmp(crc, f + 2, 8) == 0;
}

/* The footer stays readable: Redis decodes from the whole payload, so a value that runs into
 * the footer's bytes restores there, and must here. */
int rdb_value_restore(const struct server *srv, const void *p, size_t n, struct rdb_value *v)
{
    return rdb_dataset_load_value(srv, p, n, v);
}

struct ks_entry *rdb_value_add(struct ks *ks, const char *key, size_t klen, struct rdb_value *v)
{
    struct ks_entry *e;
    if (v->is_string) {
        e = ks_set_string(ks, key, klen, v->str, v->slen, KS_NO_EXPIRE, 0, KS_NOW_NO_EXPIRY);
        free(v->str);
    } else {
        e = ks_add_obj(ks, key, klen, v->ops, v->obj);
    }
    memset(v, 0, sizeof *v);
    return e;
}

void rdb_value_free(struct rdb_value *v)
{
    if (v->is_string)
        free(v->str);
    else if (v->obj)
        v->ops->free(v->obj);
    memset(v, 0, sizeof *v);
}
