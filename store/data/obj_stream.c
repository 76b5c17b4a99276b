/* obj_stream: entries of a stream in packed nodes (layout in obj_stream.h). Consumer groups
 * are in obj_stream_cg.c; this file owns the entry log, its IDs and trimming. */
#include "store/data/obj_stream.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/data/ks_entry.h"
#include "store/data/obj_stream_cg.h"
#include "store/data/obj_stream_int.h"

/* ---- IDs ---------------------------------------------------------------------------------- */

bool stream_id_incr(struct stream_id *id)
{
    if (id->seq == UINT64_MAX) {
        if (id->ms == UINT64_MAX) return false;
        id->ms++;
        id->seq = 0;
    } else {
        id->seq++;
    }
    return true;
}

bool stream_id_decr(struct stream_id *id)
{
    if (id->seq == 0) {
        if (id->ms == 0) return false;
        id->ms--;
        id->seq = UINT64_MAX;
    } else {
        id->seq--;
    }
    return true;
}

static size_t u64_fmt(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

size_t stream_id_fmt(char *out, struct stream_id id)
{
    size_t n = u64_fmt(out, id.ms);
    out[n++] = '-';
    return n + u64_fmt(out + n, id.seq);
}

/* A uint64 as Redis reads an ID part: a plain integer (negative: invalid), or else what
 * strtoull takes whole (leading white space, a sign, a '-' wrapping modulo 2^64). */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    long long ll;
    if (util_parse_ll(s, n, &ll) == 0) {
        if (ll < 0) return -1;
        *out = (uint64_t)ll;
        return 0;
    }
    size_t i = 0;
    while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
    bool neg = i < n && s[i] == '-';
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i == n) return -1;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (uint64_t)0 - v : v;
    return 0;
}

int stream_id_parse(const char *s, size_t n, uint64_t missing_seq, struct stream_id *out)
{
    if (n > 127) return -1;
    const char *nul = memchr(s, '\0', n);
    if (nul) n = (size_t)(nul - s); /* Redis reads the argument as a C string */
    const char *dash = memchr(s, '-', n);
    if (!dash) {
        out->seq = missing_seq;
        return parse_u64(s, n, &out->ms);
    }
    if (parse_u64(s, (size_t)(dash - s), &out->ms) != 0) return -1;
    return parse_u64(dash + 1, n - (size_t)(dash - s) - 1, &out->seq);
}

/* ---- nodes -------------------------------------------------------------------------------- */

static size_t str_skip(const unsigned char *p)
{
    size_t len, h = varint_get(p, &len);
    return h + len;
}

size_t stream_node_master_len(const struct stream_node *n)
{
    size_t cnt, off = varint_get(n->buf, &cnt);
    for (size_t i = 0; i < cnt; i++) off += str_skip(n->buf + off);
    return off;
}

static size_t node_master_count(const struct stream_node *n)
{
    size_t cnt;
    varint_get(n->buf, &cnt);
    return cnt;
}

/* Decode one entry header at off; returns the offset of the next entry. */
static size_t entry_decode(const struct stream_node *n, size_t off, struct stream_id prev,
                           bool is_first, struct stream_iter_ent *out)
{
    const unsigned char *p = n->buf + off;
    size_t pos = 1, dms, seqp;
    pos += varint_get(p + pos, &dms);
    pos += varint_get(p + pos, &seqp);
    out->off = (uint32_t)off;
    out->flags = p[0];
    if (is_first)
        out->id = n->first;
    else if (dms == 0)
        out->id = (struct stream_id){prev.ms, prev.seq + seqp + 1};
    else
        out->id = (struct stream_id){prev.ms + dms, seqp};
    size_t nvals;
    if (p[0] & ENT_SAME) {
        nvals = node_master_count(n);
    } else {
        size_t nf;
        pos += varint_get(p + pos, &nf);
        nvals = nf * 2;
    }
    for (size_t i = 0; i < nvals; i++) pos += str_skip(p + pos);
    return off + pos;
}

size_t stream_node_decode(const struct stream_node *n, struct stream_iter_ent **ents, size_t *cap)
{
    if (*cap < n->total) {
        *cap = n->total;
        *ents = xrealloc(*ents, *cap * sizeof **ents);
    }
    size_t off = stream_node_master_len(n);
    struct stream_id prev = n->first;
    for (uint32_t i = 0; i < n->total; i++) {
        off = entry_decode(n, off, prev, i == 0, &(*ents)[i]);
        prev = (*ents)[i].id;
    }
    return n->total;
}

static void node_reserve(struct stream_node **np, size_t extra)
{
    struct stream_node *n = *np;
    if (n->len + extra <= n->cap) return;
    size_t cap = n->len + extra;
    cap = MIN(cap + cap / 2, (size_t)UINT32_MAX);
    n = xrealloc(n, sizeof *n + cap);
    n->cap = (uint32_t)cap;
    *np = n;
}

static void node_put_str(struct stream_node *n, const char *s, size_t len)
{
    n->len += (uint32_t)varint_put(n->buf + n->len, len);
    memcpy(n->buf + n->len, s, len);
    n->len += (uint32_t)len;
}

/* ---- the Redis listpack size of a node ---------------------------------------------------- */

/* Bytes of one listpack element: its encoding, data and back length. A string that is the
 * canonical decimal form of an int64 is stored as an integer (as Redis's listpack does). */
static size_t lp_int_size(int64_t v)
{
    size_t e = v >= 0 && v <= 127                 ? 1
               : v >= -4096 && v <= 4095          ? 2
               : v >= -32768 && v <= 32767        ? 3
               : v >= -8388608 && v <= 8388607    ? 4
               : v >= INT32_MIN && v <= INT32_MAX ? 5
                                                  : 9;
    return e + 1;
}

static size_t lp_str_size(const char *s, size_t n)
{
    long long v;
    if (n <= 20 && util_parse_ll(s, n, &v) == 0) return lp_int_size(v);
    size_t l = (n < 64 ? 1 : n < 4096 ? 2 : 5) + n;
    return l + (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);
}

static size_t node_redis_bytes(const struct stream_node *n)
{
    return n->lp_bytes + lp_int_size(n->live) + lp_int_size((int64_t)(n->total - n->live));
}

/* An entry's elements as Redis appends them: flags, ID deltas against the master ID,
 * [field count], values (and fields), and the lp-count. */
static size_t entry_redis_bytes(const struct stream_node *n, struct stream_id id,
                                const struct resp_arg *fv, size_t nfv, bool same)
{
    size_t bytes = lp_int_size(same ? ENT_SAME : 0) + lp_int_size((int64_t)(id.ms - n->first.ms)) +
                   lp_int_size((int64_t)(id.seq - n->first.seq));
    if (!same) bytes += lp_int_size((int64_t)(nfv / 2));
    for (size_t i = same ? 1 : 0; i < nfv; i += same ? 2 : 1)
        bytes += lp_str_size(fv[i].ptr, fv[i].len);
    return bytes + lp_int_size((int64_t)(3 + (same ? nfv / 2 : nfv + 1)));
}

static struct stream_node *node_create(struct stream_id id, const struct resp_arg *fv, size_t nfv)
{
    size_t need = varint_len(nfv / 2);
    for (size_t i = 0; i < nfv; i += 2) need += varint_len(fv[i].len) + fv[i].len;
    struct stream_node *n = xmalloc(sizeof *n + need + 64);
    *n = (struct stream_node){.first = id, .last = id, .cap = (uint32_t)(need + 64)};
    n->len = (uint32_t)varint_put(n->buf, nfv / 2);
    /* header and end byte, the master field count, names and terminator */
    size_t lp = 6 + 1 + lp_int_size((int64_t)(nfv / 2)) + lp_int_size(0);
    for (size_t i = 0; i < nfv; i += 2) {
        node_put_str(n, fv[i].ptr, fv[i].len);
        lp += lp_str_size(fv[i].ptr, fv[i].len);
    }
    n->lp_bytes = (uint32_t)MIN(lp, (size_t)UINT32_MAX);
    return n;
}

static bool same_as_master(const struct stream_node *n, const struct resp_arg *fv, size_t nfv)
{
    size_t cnt, off = varint_get(n->buf, &cnt);
    if (cnt != nfv / 2) return false;
    for (size_t i = 0; i < nfv; i += 2) {
        size_t len;
        off += varint_get(n->buf + off, &len);
        if (len != fv[i].len || memcmp(n->buf + off, fv[i].ptr, len) != 0) return false;
        off += len;
    }
    return true;
}

static size_t entry_size(const struct resp_arg *fv, size_t nfv, bool same)
{
    size_t need = 1 + 10 + 10 + (same ? 0 : varint_len(nfv / 2));
    for (size_t i = 0; i < nfv; i++) {
        if (same && i % 2 == 0) continue;
        need += varint_len(fv[i].len) + fv[i].len;
    }
    return need;
}

static void node_append(struct stream_node **np, struct stream_id id, const struct resp_arg *fv,
                        size_t nfv)
{
    bool same = same_as_master(*np, fv, nfv);
    node_reserve(np, entry_size(fv, nfv, same));
    struct stream_node *n = *np;
    n->lp_bytes =
        (uint32_t)MIN(n->lp_bytes + entry_redis_bytes(n, id, fv, nfv, same), (size_t)UINT32_MAX);
    unsigned char *p = n->buf + n->len;
    size_t pos = 0;
    p[pos++] = same ? ENT_SAME : 0;
    struct stream_id prev = n->last;
    if (n->total == 0) {
        pos += varint_put(p + pos, 0);
        pos += varint_put(p + pos, 0);
    } else if (id.ms == prev.ms) {
        pos += varint_put(p + pos, 0);
        pos += varint_put(p + pos, id.seq - prev.seq - 1);
    } else {
        pos += varint_put(p + pos, id.ms - prev.ms);
        pos += varint_put(p + pos, id.seq);
    }
    if (!same) pos += varint_put(p + pos, nfv / 2);
    n->len += (uint32_t)pos;
    for (size_t i = 0; i < nfv; i++)
        if (!same || i % 2 == 1) node_put_str(n, fv[i].ptr, fv[i].len);
    n->last = id;
    n->total++;
    n->live++;
}

static void node_shrink(struct stream_node **np)
{
    struct stream_node *n = *np;
    if (n->cap == n->len) return;
    n = xrealloc(n, sizeof *n + n->len);
    n->cap = n->len;
    *np = n;
}

/* ---- the node array ----------------------------------------------------------------------- */

static void nodes_push(struct obj_stream *s, struct stream_node *n)
{
    if (s->head + s->nnodes == s->cap) {
        if (s->head > 0) {
            memmove(s->nodes, s->nodes + s->head, s->nnodes * sizeof *s->nodes);
            s->head = 0;
        } else {
            s->cap = s->cap ? s->cap * 2 : 4;
            s->nodes = xrealloc(s->nodes, s->cap * sizeof *s->nodes);
        }
    }
    s->nodes[s->head + s->nnodes++] = n;
}

static void nodes_remove(struct obj_stream *s, size_t idx)
{
    free(s->nodes[idx]);
    if (idx == s->head) {
        s->head++;
    } else {
        size_t end = s->head + s->nnodes;
        memmove(&s->nodes[idx], &s->nodes[idx + 1], (end - idx - 1) * sizeof *s->nodes);
    }
    if (--s->nnodes == 0) s->head = 0;
}

/* Absolute index of the last node whose first ID <= id; s->head - 1 when none (careful). */
size_t stream_node_find(const struct obj_stream *s, struct stream_id id, bool *found)
{
    size_t lo = s->head, hi = s->head + s->nnodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (stream_id_cmp(s->nodes[mid]->first, id) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo > s->head;
    return lo - 1;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static const char *stream_encoding(const void *s)
{
    UNUSED(s);
    return "stream";
}

const struct ks_obj_ops obj_stream_ops = {
    .type = KS_TYPE_STREAM,
    .encoding = stream_encoding,
    .free = obj_stream_free,
    .dup = obj_stream_dup,
    .mem_usage = obj_stream_mem_usage,
};

struct obj_stream *obj_stream_create(void) { return xcalloc(1, sizeof(struct obj_stream)); }

void obj_stream_free(void *p)
{
    struct obj_stream *s = p;
    if (!s) return;
    for (size_t i = 0; i < s->nnodes; i++) free(s->nodes[s->head + i]);
    free(s->nodes);
    for (size_t i = 0; i < s->ngroups; i++) stream_cg_free(s->groups[i]);
    free(s->groups);
    free(s);
}

void *obj_stream_dup(const void *p)
{
    const struct obj_stream *s = p;
    struct obj_stream *d = xmalloc(sizeof *d);
    *d = *s;
    d->head = 0;
    d->cap = s->nnodes;
    d->nodes = xmalloc((s->nnodes ? s->nnodes : 1) * sizeof *d->nodes);
    for (size_t i = 0; i < s->nnodes; i++) {
        const struct stream_node *n = s->nodes[s->head + i];
        d->nodes[i] = xmemdup(n, sizeof *n + n->len);
        d->nodes[i]->cap = n->len;
    }
    d->gcap = s->ngroups;
    d->groups = xmalloc((s->ngroups ? s->ngroups : 1) * sizeof *d->groups);
    for (size_t i = 0; i < s->ngroups; i++) d->groups[i] = stream_cg_dup(s->groups[i]);
    return d;
}

size_t obj_stream_mem_usage(const void *p)
{
    const struct obj_stream *s = p;
    size_t bytes = sizeof *s + s->cap * sizeof *s->nodes;
    for (size_t i = 0; i < s->nnodes; i++)
        bytes += sizeof(struct stream_node) + s->nodes[s->head + i]->cap;
    for (size_t i = 0; i < s->ngroups; i++) bytes += stream_cg_mem_usage(s->groups[i]);
    return bytes;
}

size_t obj_stream_node_count(const struct obj_stream *s) { return s->nnodes; }

/* ---- append and delete -------------------------------------------------------------------- */

/* Node sizes are 32-bit: a node is full well before that, whatever the limits say (one entry
 * is below 4 GB: the query buffer is bounded far lower). */
#define NODE_HARD_MAX_BYTES ((size_t)UINT32_MAX / 2)

#define REDIS_LISTPACK_MAX_BYTES ((size_t)1 << 30) /* Redis's cap on stream-node-max-bytes */

/* Redis's rule: a new node when the tail's listpack size plus the raw bytes of the new
 * entry's fields and values reaches stream-node-max-bytes, or when it holds
 * stream-node-max-entries entries, deleted ones included. */
static bool node_is_full(const struct stream_node *n, const struct obj_stream_limits *lim,
                         const struct resp_arg *fv, size_t nfv)
{
    size_t raw = 0;
    for (size_t i = 0; i < nfv; i++) raw += fv[i].len;
    if (n->len + entry_size(fv, nfv, false) + raw > NODE_HARD_MAX_BYTES) return true;
    size_t max = (size_t)lim->node_max_bytes;
    if (max == 0 || max > REDIS_LISTPACK_MAX_BYTES) max = REDIS_LISTPACK_MAX_BYTES;
    if (node_redis_bytes(n) + raw >= max) return true;
    return lim->node_max_entries > 0 && n->total >= (unsigned long long)lim->node_max_entries;
}

void obj_stream_append(struct obj_stream *s, const struct obj_stream_limits *lim,
                       struct stream_id id, const struct resp_arg *fv, size_t nfv)
{
    ASSERT(stream_id_cmp(id, s->last_id) > 0);
    struct stream_node **last = s->nnodes ? &s->nodes[s->head + s->nnodes - 1] : NULL;
    /* After XSETID moved last_id below a deleted entry, an ID may be lower than the node's
     * last one: it still goes in the same node (as in Redis, so trims cut at the same
     * places); the deltas wrap modulo 2^64 and decode back. */
    if (last && node_is_full(*last, lim, fv, nfv)) {
        node_shrink(last);
        last = NULL;
    }
    if (!last) {
        nodes_push(s, node_create(id, fv, nfv));
        last = &s->nodes[s->head + s->nnodes - 1];
    }
    node_append(last, id, fv, nfv);
    if (s->length == 0) s->first_id = id;
    s->length++;
    s->entries_added++;
    s->last_id = id;
}

/* The first live entry's ID, 0-0 when empty. */
static struct stream_id first_live_id(struct obj_stream *s)
{
    struct obj_stream_iter it;
    struct stream_id id = STREAM_ID_MIN;
    size_t nf;
    obj_stream_iter_init(&it, s, STREAM_ID_MIN, STREAM_ID_MAX, false);
    if (!obj_stream_iter_next(&it, &id, &nf)) id = STREAM_ID_MIN;
    obj_stream_iter_done(&it);
    return id;
}

/* Mark ents[i] of node idx deleted; frees the node when it has no live entry left. Returns
 * true if the node was freed. */
static bool node_delete_at(struct obj_stream *s, size_t idx, const struct stream_iter_ent *e)
{
    struct stream_node *n = s->nodes[idx];
    n->buf[e->off] |= ENT_DELETED;
    n->live--;
    s->length--;
    if (n->live > 0) return false;
    nodes_remove(s, idx);
    return true;
}

/* Mark the live entry `id` deleted, looking from node idx on (a node's first ID may be above
 * a live entry of it after XSETID: scan on until a live entry is past id, as Redis does). */
static bool delete_from(struct obj_stream *s, size_t idx, struct stream_id id)
{
    struct stream_iter_ent *ents = NULL;
    size_t cap = 0;
    bool deleted = false, past = false;
    for (; !deleted && !past && idx < s->head + s->nnodes; idx++) {
        size_t n = stream_node_decode(s->nodes[idx], &ents, &cap);
        for (size_t i = 0; i < n; i++) {
            if (ents[i].flags & ENT_DELETED) continue;
            int cmp = stream_id_cmp(ents[i].id, id);
            if (cmp < 0) continue;
            if (cmp == 0) {
                node_delete_at(s, idx, &ents[i]);
                deleted = true;
            }
            past = cmp > 0;
            break;
        }
    }
    free(ents);
    return deleted;
}

bool obj_stream_delete(struct obj_stream *s, struct stream_id id)
{
    bool found;
    size_t idx = stream_node_find(s, id, &found);
    if (!delete_from(s, found ? idx : s->head, id)) return false;
    if (stream_id_cmp(id, s->max_deleted_id) > 0) s->max_deleted_id = id;
    if (stream_id_cmp(id, s->first_id) == 0) s->first_id = first_live_id(s);
    return true;
}

/* ---- trimming ----------------------------------------------------------------------------- */

static bool trim_done(const struct obj_stream *s, const struct obj_stream_trim *t,
                      struct stream_id id)
{
    if (t->kind == STREAM_TRIM_MAXLEN) return s->length <= t->maxlen;
    return stream_id_cmp(id, t->minid) >= 0;
}

/* Exact trimming inside the first node (never empties it: whole nodes went before). */
static uint64_t trim_in_node(struct obj_stream *s, const struct obj_stream_trim *t)
{
    struct stream_iter_ent *ents = NULL;
    size_t cap = 0, idx = s->head;
    size_t n = stream_node_decode(s->nodes[idx], &ents, &cap);
    uint64_t removed = 0;
    for (size_t i = 0; i < n; i++) {
        /* deleted entries count for MINID's stop too (they may be out of order after XSETID) */
        if (trim_done(s, t, ents[i].id)) break;
        if (ents[i].flags & ENT_DELETED) continue;
        removed++;
        if (node_delete_at(s, idx, &ents[i])) break;
    }
    free(ents);
    return removed;
}

uint64_t obj_stream_trim(struct obj_stream *s, const struct obj_stream_trim *t)
{
    uint64_t removed = 0;
    while (s->nnodes > 0) {
        if (t->kind == STREAM_TRIM_MAXLEN && s->length <= t->maxlen) break;
        struct stream_node *n = s->nodes[s->head];
        if (t->limit && removed + n->live > t->limit) break;
        bool whole = t->kind == STREAM_TRIM_MAXLEN ? s->length - n->live >= t->maxlen
                                                   : stream_id_cmp(n->last, t->minid) < 0;
        if (whole) {
            removed += n->live;
            s->length -= n->live;
            nodes_remove(s, s->head);
            continue;
        }
        if (t->approx) break;
        removed += trim_in_node(s, t);
        break;
    }
    if (removed) s->first_id = first_live_id(s);
    return removed;
}

struct stream_id obj_stream_last_live_id(struct obj_stream *s)
{
    struct obj_stream_iter it;
    struct stream_id id = STREAM_ID_MIN;
    size_t nf;
    obj_stream_iter_init(&it, s, STREAM_ID_MIN, STREAM_ID_MAX, true);
    if (!obj_stream_iter_next(&it, &id, &nf)) id = STREAM_ID_MIN;
    obj_stream_iter_done(&it);
    return id;
}

bool obj_stream_has_id(struct obj_stream *s, struct stream_id id)
{
    struct obj_stream_iter it;
    struct stream_id got;
    size_t nf;
    obj_stream_iter_init(&it, s, id, id, false);
    bool has = obj_stream_iter_next(&it, &got, &nf);
    obj_stream_iter_done(&it);
    return has;
}
