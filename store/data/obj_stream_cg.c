/* obj_stream_cg: consumer groups (see obj_stream_cg.h). */
#include "store/data/obj_stream_cg.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* ---- PEL ---------------------------------------------------------------------------------- */

size_t stream_pel_lower_bound(const struct stream_pel *p, struct stream_id id)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (stream_id_cmp(p->v[mid]->id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct stream_nack *stream_pel_get(const struct stream_pel *p, struct stream_id id)
{
    size_t i = stream_pel_lower_bound(p, id);
    return i < p->n && stream_id_cmp(p->v[i]->id, id) == 0 ? p->v[i] : NULL;
}

static void pel_insert(struct stream_pel *p, struct stream_nack *nack)
{
    size_t i = p->n > 0 && stream_id_cmp(p->v[p->n - 1]->id, nack->id) < 0
                   ? p->n
                   : stream_pel_lower_bound(p, nack->id);
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->v = xrealloc(p->v, p->cap * sizeof *p->v);
    }
    memmove(&p->v[i + 1], &p->v[i], (p->n - i) * sizeof *p->v);
    p->v[i] = nack;
    p->n++;
}

static void pel_remove(struct stream_pel *p, struct stream_id id)
{
    size_t i = stream_pel_lower_bound(p, id);
    if (i == p->n || stream_id_cmp(p->v[i]->id, id) != 0) return;
    memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof *p->v);
    p->n--;
}

/* ---- names -------------------------------------------------------------------------------- */

/* Byte order, a prefix first (the order of Redis's radix tree). */
static int name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c != 0) return c;
    return al < bl ? -1 : al > bl;
}

typedef const char *(*name_of_fn)(const void *obj, size_t *nlen);

static const char *cg_name_of(const void *obj, size_t *nlen)
{
    const struct stream_cg *cg = obj;
    *nlen = cg->nlen;
    return cg->name;
}

static const char *consumer_name_of(const void *obj, size_t *nlen)
{
    const struct stream_consumer *c = obj;
    *nlen = c->nlen;
    return c->name;
}

/* Binary search of a pointer array sorted by name: the index of the name or where it goes. */
static size_t name_search(void *const *arr, size_t n, name_of_fn name_of, const char *name,
                          size_t nlen, bool *found)
{
    size_t lo = 0, hi = n;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, ml;
        const char *mn = name_of(arr[mid], &ml);
        int c = name_cmp(mn, ml, name, nlen);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define GROUP_SEARCH(s, name, nlen, found)                                                         \
    name_search((void *const *)(s)->groups, (s)->ngroups, cg_name_of, name, nlen, found)
#define CONSUMER_SEARCH(cg, name, nlen, found)                                                     \
    name_search((void *const *)(cg)->consumers, (cg)->nconsumers, consumer_name_of, name, nlen,    \
                found)

static void ptr_insert(void ***arr, size_t *n, size_t *cap, size_t at, void *p)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *arr = xrealloc(*arr, *cap * sizeof **arr);
    }
    memmove(&(*arr)[at + 1], &(*arr)[at], (*n - at) * sizeof **arr);
    (*arr)[at] = p;
    (*n)++;
}

static void ptr_remove(void **arr, size_t *n, size_t at)
{
    memmove(&arr[at], &arr[at + 1], (*n - at - 1) * sizeof *arr);
    (*n)--;
}

/* ---- groups ------------------------------------------------------------------------------- */

static void consumer_free(struct stream_consumer *c)
{
    free(c->pel.v);
    free(c->name);
    free(c);
}

void stream_cg_free(struct stream_cg *cg)
{
    for (size_t i = 0; i < cg->pel.n; i++) free(cg->pel.v[i]);
    free(cg->pel.v);
    for (size_t i = 0; i < cg->nconsumers; i++) consumer_free(cg->consumers[i]);
    free(cg->consumers);
    free(cg->name);
    free(cg);
}

struct stream_cg *stream_cg_dup(const struct stream_cg *cg)
{
    struct stream_cg *d = xcalloc(1, sizeof *d);
    d->name = xmemdup(cg->name, cg->nlen);
    d->nlen = cg->nlen;
    d->last_id = cg->last_id;
    d->entries_read = cg->entries_read;
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const struct stream_consumer *c = cg->consumers[i];
        struct stream_consumer *dc = stream_cg_consumer_create(d, c->name, c->nlen, c->seen_ms);
        for (size_t j = 0; j < c->pel.n; j++) {
            const struct stream_nack *n = c->pel.v[j];
            stream_cg_nack_create(d, dc, n->id, n->delivery_ms, n->delivery_count);
        }
    }
    return d;
}

size_t stream_cg_mem_usage(const struct stream_cg *cg)
{
    size_t bytes = sizeof *cg + cg->nlen + cg->pel.cap * sizeof(void *);
    bytes += cg->pel.n * sizeof(struct stream_nack);
    for (size_t i = 0; i < cg->nconsumers; i++)
        bytes += sizeof(struct stream_consumer) + cg->consumers[i]->nlen +
                 cg->consumers[i]->pel.cap * sizeof(void *);
    return bytes;
}

struct stream_cg *obj_stream_cg_find(const struct obj_stream *s, const char *name, size_t nlen)
{
    bool found;
    size_t i = GROUP_SEARCH(s, name, nlen, &found);
    return found ? s->groups[i] : NULL;
}

struct stream_cg *obj_stream_cg_create(struct obj_stream *s, const char *name, size_t nlen,
                                       struct stream_id last_id, long long entries_read)
{
    bool found;
    size_t i = GROUP_SEARCH(s, name, nlen, &found);
    if (found) return NULL;
    struct stream_cg *cg = xcalloc(1, sizeof *cg);
    cg->name = xmemdup(name, nlen);
    cg->nlen = nlen;
    cg->last_id = last_id;
    cg->entries_read = entries_read;
    ptr_insert((void ***)&s->groups, &s->ngroups, &s->gcap, i, cg);
    return cg;
}

bool obj_stream_cg_destroy(struct obj_stream *s, const char *name, size_t nlen)
{
    bool found;
    size_t i = GROUP_SEARCH(s, name, nlen, &found);
    if (!found) return false;
    stream_cg_free(s->groups[i]);
    ptr_remove((void **)s->groups, &s->ngroups, i);
    return true;
}

/* ---- consumers ---------------------------------------------------------------------------- */

struct stream_consumer *stream_cg_consumer_find(const struct stream_cg *cg, const char *name,
                                                size_t nlen)
{
    bool found;
    size_t i = CONSUMER_SEARCH(cg, name, nlen, &found);
    return found ? cg->consumers[i] : NULL;
}

struct stream_consumer *stream_cg_consumer_create(struct stream_cg *cg, const char *name,
                                                  size_t nlen, int64_t now_ms)
{
    bool found;
    size_t i = CONSUMER_SEARCH(cg, name, nlen, &found);
    if (found) return NULL;
    struct stream_consumer *c = xcalloc(1, sizeof *c);
    c->name = xmemdup(name, nlen);
    c->nlen = nlen;
    c->seen_ms = now_ms;
    ptr_insert((void ***)&cg->consumers, &cg->nconsumers, &cg->ccap, i, c);
    return c;
}

size_t stream_cg_consumer_delete(struct stream_cg *cg, struct stream_consumer *c)
{
    size_t pending = c->pel.n;
    for (size_t i = 0; i < c->pel.n; i++) {
        pel_remove(&cg->pel, c->pel.v[i]->id);
        free(c->pel.v[i]);
    }
    bool found;
    size_t i = CONSUMER_SEARCH(cg, c->name, c->nlen, &found);
    ASSERT(found);
    ptr_remove((void **)cg->consumers, &cg->nconsumers, i);
    consumer_free(c);
    return pending;
}

/* ---- NACKs -------------------------------------------------------------------------------- */

struct stream_nack *stream_cg_nack_create(struct stream_cg *cg, struct stream_consumer *c,
                                          struct stream_id id, int64_t delivery_ms, uint64_t count)
{
    struct stream_nack *n = xmalloc(sizeof *n);
    *n = (struct stream_nack){id, delivery_ms, count, c};
    pel_insert(&cg->pel, n);
    pel_insert(&c->pel, n);
    return n;
}

void stream_cg_pel_add_orphan(struct stream_cg *cg, struct stream_id id, int64_t delivery_ms,
                              uint64_t count)
{
    struct stream_nack *n = xmalloc(sizeof *n);
    *n = (struct stream_nack){id, delivery_ms, count, NULL};
    pel_insert(&cg->pel, n);
}

void obj_stream_drop_orphan_nacks(struct obj_stream *s)
{
    for (size_t g = 0; g < s->ngroups; g++) {
        struct stream_pel *p = &s->groups[g]->pel;
        size_t keep = 0;
        for (size_t i = 0; i < p->n; i++) {
            if (p->v[i]->consumer)
                p->v[keep++] = p->v[i];
            else
                free(p->v[i]);
        }
        p->n = keep;
    }
}

void stream_cg_nack_assign(struct stream_nack *nack, struct stream_consumer *c)
{
    if (nack->consumer == c) return;
    if (nack->consumer) pel_remove(&nack->consumer->pel, nack->id);
    nack->consumer = c;
    pel_insert(&c->pel, nack);
}

struct stream_nack *stream_cg_deliver(struct stream_cg *cg, struct stream_consumer *c,
                                      struct stream_id id, int64_t now_ms)
{
    struct stream_nack *n = stream_pel_get(&cg->pel, id);
    if (!n) return stream_cg_nack_create(cg, c, id, now_ms, 1);
    stream_cg_nack_assign(n, c);
    n->delivery_ms = now_ms;
    n->delivery_count = 1;
    return n;
}

bool stream_cg_ack(struct stream_cg *cg, struct stream_id id)
{
    struct stream_nack *n = stream_pel_get(&cg->pel, id);
    if (!n) return false;
    pel_remove(&cg->pel, id);
    pel_remove(&n->consumer->pel, id);
    free(n);
    return true;
}
