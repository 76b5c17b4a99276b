/* obj_stream_iter: walking a stream's live entries in ID order, forward or reverse, between two
 * IDs. Each node is decoded once into an array of entry headers (a node holds at most
 * stream-node-max-entries entries), which serves both directions. */
#include <stdlib.h>

#include "common/util.h"
#include "store/data/ks_entry.h"
#include "store/data/obj_stream.h"
#include "store/data/obj_stream_int.h"

void obj_stream_iter_init(struct obj_stream_iter *it, struct obj_stream *s, struct stream_id start,
                          struct stream_id end, bool rev)
{
    *it = (struct obj_stream_iter){.s = s, .start = start, .end = end, .rev = rev};
    if (s->nnodes == 0 || stream_id_cmp(start, end) > 0) it->done = true;
}

void obj_stream_iter_done(struct obj_stream_iter *it)
{
    free(it->ents);
    it->ents = NULL;
}

static void iter_load(struct obj_stream_iter *it, size_t idx)
{
    it->node = idx;
    it->nents = stream_node_decode(it->s->nodes[idx], &it->ents, &it->ents_cap);
    it->at = it->rev ? it->nents : 0;
}

static bool iter_start(struct obj_stream_iter *it)
{
    struct obj_stream *s = it->s;
    bool found;
    size_t idx = stream_node_find(s, it->rev ? it->end : it->start, &found);
    it->started = true;
    if (!found) {
        if (it->rev) return false;
        idx = s->head;
    }
    iter_load(it, idx);
    return true;
}

static void iter_set_current(struct obj_stream_iter *it, const struct stream_iter_ent *e)
{
    const struct stream_node *n = it->s->nodes[it->node];
    const unsigned char *p = n->buf + e->off + 1;
    size_t v;
    p += varint_get(p, &v);
    p += varint_get(p, &v);
    it->is_same = (e->flags & ENT_SAME) != 0;
    if (it->is_same) {
        it->master = n->buf + varint_get(n->buf, &it->nfields);
    } else {
        p += varint_get(p, &it->nfields);
    }
    it->fp = p;
    it->fleft = it->nfields;
}

/* 1: an entry, 0: keep looking, -1: done. */
static int iter_step(struct obj_stream_iter *it, struct stream_id *id)
{
    const struct stream_iter_ent *e;
    if (!it->rev) {
        if (it->at == it->nents) {
            if (it->node + 1 >= it->s->head + it->s->nnodes) return -1;
            iter_load(it, it->node + 1);
            return 0;
        }
        e = &it->ents[it->at++];
        if ((e->flags & ENT_DELETED) || stream_id_cmp(e->id, it->start) < 0) return 0;
        if (stream_id_cmp(e->id, it->end) > 0) return -1;
    } else {
        if (it->at == 0) {
            if (it->node == it->s->head) return -1;
            iter_load(it, it->node - 1);
            return 0;
        }
        e = &it->ents[--it->at];
        if ((e->flags & ENT_DELETED) || stream_id_cmp(e->id, it->end) > 0) return 0;
        if (stream_id_cmp(e->id, it->start) < 0) return -1;
    }
    iter_set_current(it, e);
    *id = e->id;
    return 1;
}

bool obj_stream_iter_next(struct obj_stream_iter *it, struct stream_id *id, size_t *nfields)
{
    if (it->done) return false;
    if (!it->started && !iter_start(it)) {
        it->done = true;
        return false;
    }
    for (;;) {
        int rc = iter_step(it, id);
        if (rc == 0) continue;
        if (rc < 0) {
            it->done = true;
            return false;
        }
        *nfields = it->nfields;
        return true;
    }
}

static const unsigned char *read_str(const unsigned char *p, const char **s, size_t *len)
{
    p += varint_get(p, len);
    *s = (const char *)p;
    return p + *len;
}

bool obj_stream_iter_field(struct obj_stream_iter *it, const char **f, size_t *fl, const char **v,
                           size_t *vl)
{
    if (it->fleft == 0) return false;
    it->fleft--;
    if (it->is_same)
        it->master = read_str(it->master, f, fl);
    else
        it->fp = read_str(it->fp, f, fl);
    it->fp = read_str(it->fp, v, vl);
    return true;
}
