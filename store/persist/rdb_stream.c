/* rdb_stream: see rdb_stream.h (docs/streams.md#files-and-replication). Listpacks are built
 * by rdb_listpack.c (as Redis builds them, integers and integer-like strings as integers) and
 * read here: a 6-byte header (total bytes u32 LE, element count u16 LE), elements each
 * followed by its back length, 0xFF. */
#include "store/persist/rdb_stream.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "store/data/ks_entry.h"
#include "store/data/obj_stream_cg.h"
#include "store/data/obj_stream_int.h"
#include "store/rdb/rdb_listpack.h"

enum { LP_FLAG_DELETED = 1, LP_FLAG_SAME = 2 };

/* ---- writing ------------------------------------------------------------------------------ */

/* One entry as Redis lays it out: flags, ID deltas against the master ID, [field count],
 * values (and fields), and the lp-count of the entry's elements. */
static void lp_append_entry(struct rdb_lp *lp, const struct stream_node *n,
                            const struct stream_iter_ent *e, size_t nmaster)
{
    const unsigned char *q = n->buf + e->off + 1;
    size_t v, nf;
    q += varint_get(q, &v);
    q += varint_get(q, &v);
    bool same = e->flags & ENT_SAME;
    rdb_lp_append_int(lp,
                      (e->flags & ENT_DELETED ? LP_FLAG_DELETED : 0) | (same ? LP_FLAG_SAME : 0));
    rdb_lp_append_int(lp, (long long)(e->id.ms - n->first.ms));
    rdb_lp_append_int(lp, (long long)(e->id.seq - n->first.seq));
    if (same) {
        nf = nmaster;
    } else {
        q += varint_get(q, &nf);
        rdb_lp_append_int(lp, (long long)nf);
    }
    size_t nvals = same ? nf : nf * 2;
    for (size_t k = 0; k < nvals; k++) {
        size_t len;
        q += varint_get(q, &len);
        rdb_lp_append(lp, (const char *)q, len);
        q += len;
    }
    rdb_lp_append_int(lp, (long long)(3 + nvals + (same ? 0 : 1)));
}

const char *rdb_stream_node_listpack(const struct stream_node *n, struct rdb_lp *lp, size_t *len)
{
    rdb_lp_reset(lp);
    size_t nmaster;
    const unsigned char *p = n->buf + varint_get(n->buf, &nmaster);
    rdb_lp_append_int(lp, n->live);
    rdb_lp_append_int(lp, n->total - n->live);
    rdb_lp_append_int(lp, (long long)nmaster);
    for (size_t i = 0; i < nmaster; i++) {
        size_t flen;
        p += varint_get(p, &flen);
        rdb_lp_append(lp, (const char *)p, flen);
        p += flen;
    }
    rdb_lp_append_int(lp, 0);
    struct stream_iter_ent *ents = NULL;
    size_t cap = 0, ne = stream_node_decode(n, &ents, &cap);
    for (size_t i = 0; i < ne; i++) lp_append_entry(lp, n, &ents[i], nmaster);
    free(ents);
    return rdb_lp_finish(lp, len);
}

/* ---- writing ------------------------------------------------------------------------------ */

static void write_group(struct rdb_writer *w, const struct stream_cg *cg)
{
    rdb_write_lenstr(w, cg->name, cg->nlen);
    rdb_write_len(w, cg->last_id.ms);
    rdb_write_len(w, cg->last_id.seq);
    rdb_write_len(w, (uint64_t)cg->entries_read);
    rdb_write_len(w, cg->pel.n);
    for (size_t i = 0; i < cg->pel.n; i++) {
        const struct stream_nack *n = cg->pel.v[i];
        rdb_write_raw_id(w, n->id.ms, n->id.seq);
        rdb_write_ms_time(w, n->delivery_ms);
        rdb_write_len(w, n->delivery_count);
    }
    rdb_write_len(w, cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const struct stream_consumer *con = cg->consumers[i];
        rdb_write_lenstr(w, con->name, con->nlen);
        rdb_write_ms_time(w, con->seen_ms);
        rdb_write_len(w, con->pel.n);
        for (size_t j = 0; j < con->pel.n; j++)
            rdb_write_raw_id(w, con->pel.v[j]->id.ms, con->pel.v[j]->id.seq);
    }
}

int rdb_stream_write(struct rdb_writer *w, const char *key, size_t klen, struct obj_stream *s,
                     int64_t expire_ms)
{
    rdb_write_stream_begin(w, key, klen, s->nnodes, expire_ms);
    struct rdb_lp lp;
    rdb_lp_init(&lp);
    for (size_t i = 0; i < s->nnodes; i++) {
        const struct stream_node *n = s->nodes[s->head + i];
        size_t len;
        const char *blob = rdb_stream_node_listpack(n, &lp, &len);
        rdb_write_stream_node(w, n->first.ms, n->first.seq, blob, len);
    }
    rdb_lp_free(&lp);
    rdb_write_len(w, s->length);
    rdb_write_len(w, s->last_id.ms);
    rdb_write_len(w, s->last_id.seq);
    rdb_write_len(w, s->first_id.ms);
    rdb_write_len(w, s->first_id.seq);
    rdb_write_len(w, s->max_deleted_id.ms);
    rdb_write_len(w, s->max_deleted_id.seq);
    rdb_write_len(w, s->entries_added);
    rdb_write_len(w, s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) write_group(w, s->groups[i]);
    return w->err;
}

/* ---- loading ------------------------------------------------------------------------------ */

struct lp_elem {
    bool is_int;
    int64_t v;
    const char *s;
    size_t len;
    char num[24];
};

static int64_t sext(uint64_t u, int bits)
{
    uint64_t mask = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    u &= mask;
    if (bits < 64 && ((u >> (bits - 1)) & 1)) return -(int64_t)(~u & mask) - 1;
    return (int64_t)u;
}

static size_t backlen_size(size_t l)
{
    return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/* Decode the element at p (before end); returns the next element or NULL when malformed. */
static const unsigned char *lp_next(const unsigned char *p, const unsigned char *end,
                                    struct lp_elem *e)
{
    if (p >= end) return NULL;
    size_t avail = (size_t)(end - p), hdr = 1, dlen = 0;
    unsigned b = p[0];
    e->is_int = true;
    uint64_t u = 0;
    int ibytes = 0;
    if (b < 0x80) {
        e->v = b;
    } else if ((b & 0xC0) == 0x80) {
        e->is_int = false;
        dlen = b & 0x3F;
    } else if ((b & 0xE0) == 0xC0) {
        if (avail < 2) return NULL;
        e->v = sext((uint64_t)(b & 0x1F) << 8 | p[1], 13);
        hdr = 2;
    } else if ((b & 0xF0) == 0xE0) {
        if (avail < 2) return NULL;
        e->is_int = false;
        dlen = (size_t)(b & 0x0F) << 8 | p[1];
        hdr = 2;
    } else if (b == 0xF0) {
        if (avail < 5) return NULL;
        e->is_int = false;
        dlen = (size_t)p[1] | (size_t)p[2] << 8 | (size_t)p[3] << 16 | (size_t)p[4] << 24;
        hdr = 5;
    } else if (b >= 0xF1 && b <= 0xF4) {
        ibytes = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
        if (avail < 1 + (size_t)ibytes) return NULL;
        for (int i = 0; i < ibytes; i++) u |= (uint64_t)p[1 + i] << (8 * i);
        e->v = sext(u, ibytes * 8);
        hdr = 1 + (size_t)ibytes;
    } else {
        return NULL;
    }
    if (dlen > avail || hdr + dlen > avail) return NULL;
    size_t l = hdr + dlen, bl = backlen_size(l);
    if (l + bl > avail) return NULL;
    if (e->is_int) {
        e->len = util_ll_to_str(e->num, sizeof e->num, e->v);
        e->s = e->num;
    } else {
        e->s = (const char *)p + hdr;
        e->len = dlen;
    }
    return p + l + bl;
}

#define LP_NEXT_INT(p, end, e, out)                                                                \
    do {                                                                                           \
        if (!((p) = lp_next(p, end, &(e))) || !(e).is_int) goto bad;                               \
        (out) = (e).v;                                                                             \
    } while (0)

struct load_fields {
    struct resp_arg *fv;
    struct lp_elem *el;
    size_t cap;
};

static void fields_reserve(struct load_fields *f, size_t n)
{
    if (n <= f->cap) return;
    f->cap = n;
    f->fv = xrealloc(f->fv, n * sizeof *f->fv);
    f->el = xrealloc(f->el, n * sizeof *f->el);
}

int rdb_stream_load_node(struct obj_stream *s, const struct obj_stream_limits *lim,
                         uint64_t master_ms, uint64_t master_seq, const unsigned char *lp, size_t n)
{
    if (n < 7 || lp[n - 1] != 0xFF) return -1;
    const unsigned char *p = lp + 6, *end = lp + n - 1;
    struct lp_elem e;
    int64_t count, deleted, nmaster, v, flags, dms, dseq, nf;
    struct load_fields mf = {0}, f = {0};
    LP_NEXT_INT(p, end, e, count);
    LP_NEXT_INT(p, end, e, deleted);
    LP_NEXT_INT(p, end, e, nmaster);
    if (nmaster < 0 || (size_t)nmaster > n) goto bad;
    fields_reserve(&mf, (size_t)nmaster + 1);
    for (int64_t i = 0; i < nmaster; i++) {
        if (!(p = lp_next(p, end, &mf.el[i]))) goto bad;
        if (mf.el[i].is_int) mf.el[i].s = mf.el[i].num; /* stable copy */
    }
    LP_NEXT_INT(p, end, e, v);
    for (int64_t k = 0; k < count + deleted; k++) {
        LP_NEXT_INT(p, end, e, flags);
        LP_NEXT_INT(p, end, e, dms);
        LP_NEXT_INT(p, end, e, dseq);
        bool same = flags & LP_FLAG_SAME;
        if (same) {
            nf = nmaster;
        } else {
            LP_NEXT_INT(p, end, e, nf);
            if (nf < 0 || (size_t)nf > n) goto bad;
        }
        fields_reserve(&f, (size_t)nf * 2 + 1);
        for (int64_t i = 0; i < nf; i++) {
            if (same) {
                f.el[2 * i] = mf.el[i];
                f.el[2 * i].s = mf.el[i].is_int ? f.el[2 * i].num : mf.el[i].s;
            } else if (!(p = lp_next(p, end, &f.el[2 * i]))) {
                goto bad;
            }
            if (!(p = lp_next(p, end, &f.el[2 * i + 1]))) goto bad;
        }
        LP_NEXT_INT(p, end, e, v);
        struct stream_id id = {master_ms + (uint64_t)dms, master_seq + (uint64_t)dseq};
        if (flags & LP_FLAG_DELETED) continue;
        if (s->entries_added && stream_id_cmp(id, s->last_id) <= 0) goto bad;
        for (int64_t i = 0; i < nf * 2; i++) {
            if (f.el[i].is_int) f.el[i].s = f.el[i].num;
            f.fv[i] = (struct resp_arg){f.el[i].s, f.el[i].len};
        }
        obj_stream_append(s, lim, id, f.fv, (size_t)nf * 2);
    }
    UNUSED(v); /* the master terminator and lp-counts carry nothing we need */
    free(mf.fv);
    free(mf.el);
    free(f.fv);
    free(f.el);
    return 0;
bad:
    free(mf.fv);
    free(mf.el);
    free(f.fv);
    free(f.el);
    return -1;
}
