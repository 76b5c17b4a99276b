/* lazyfree: see lazyfree.h. One worker thread and a bounded ring of jobs under one mutex; the
 * loop only ever appends (O(1), never waits for a free to finish), the worker pops and frees
 * outside the lock. */
#include "store/lazyfree.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/util.h"
#include "store/data/obj_hash.h"
#include "store/data/obj_stream.h"
#include "store/data/obj_list.h"
#include "store/data/obj_set.h"
#include "store/data/obj_zset.h"

struct job {
    const struct ks_obj_ops *ops; /* NULL: obj is a struct ks */
    void *obj;
};

struct lazyfree {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct job *ring; /* LAZYFREE_MAX_PENDING slots */
    size_t head, len; /* pending jobs: ring[head], ring[head + 1], ... (mod size) */
    size_t busy;      /* jobs popped and being freed */
    uint64_t done;
    bool has_thread, is_stopping;
    pthread_t thread;
};

static void job_run(const struct job *j)
{
    if (j->ops)
        j->ops->free(j->obj);
    else
        ks_destroy(j->obj);
}

static void *lazyfree_main(void *arg)
{
    struct lazyfree *lf = arg;
    pthread_mutex_lock(&lf->lock);
    for (;;) {
        while (lf->len == 0 && !lf->is_stopping) pthread_cond_wait(&lf->wake, &lf->lock);
        if (lf->len == 0) break; /* stopping and drained */
        struct job j = lf->ring[lf->head];
        lf->head = (lf->head + 1) % LAZYFREE_MAX_PENDING;
        lf->len--;
        lf->busy++;
        pthread_mutex_unlock(&lf->lock);
        job_run(&j);
        pthread_mutex_lock(&lf->lock);
        lf->busy--;
        lf->done++;
    }
    pthread_mutex_unlock(&lf->lock);
    return NULL;
}

struct lazyfree *lazyfree_create(void)
{
    struct lazyfree *lf = xcalloc(1, sizeof *lf);
    pthread_mutex_init(&lf->lock, NULL);
    pthread_cond_init(&lf->wake, NULL);
    lf->ring = xcalloc(LAZYFREE_MAX_PENDING, sizeof *lf->ring);
    return lf;
}

void lazyfree_destroy(struct lazyfree *lf)
{
    if (!lf) return;
    pthread_mutex_lock(&lf->lock);
    lf->is_stopping = true;
    pthread_cond_signal(&lf->wake);
    pthread_mutex_unlock(&lf->lock);
    if (lf->has_thread) pthread_join(lf->thread, NULL);
    /* No thread ever started (or it could not): free what is left here. */
    for (; lf->len > 0; lf->len--) {
        job_run(&lf->ring[lf->head]);
        lf->head = (lf->head + 1) % LAZYFREE_MAX_PENDING;
    }
    pthread_cond_destroy(&lf->wake);
    pthread_mutex_destroy(&lf->lock);
    free(lf->ring);
    free(lf);
}

/* Called with the lock held. */
static bool ensure_thread(struct lazyfree *lf)
{
    if (lf->has_thread) return true;
    if (pthread_create(&lf->thread, NULL, lazyfree_main, lf) != 0) {
        log_warning("lazyfree: cannot start the background thread; freeing synchronously");
        return false;
    }
    lf->has_thread = true;
    return true;
}

static bool lazyfree_push(struct lazyfree *lf, const struct ks_obj_ops *ops, void *obj)
{
    pthread_mutex_lock(&lf->lock);
    bool ok = lf->len < LAZYFREE_MAX_PENDING && !lf->is_stopping && ensure_thread(lf);
    if (ok) {
        lf->ring[(lf->head + lf->len) % LAZYFREE_MAX_PENDING] = (struct job){ops, obj};
        lf->len++;
        pthread_cond_signal(&lf->wake);
    }
    pthread_mutex_unlock(&lf->lock);
    return ok;
}

bool lazyfree_obj(struct lazyfree *lf, const struct ks_obj_ops *ops, void *obj)
{
    ASSERT(ops != NULL && ops->free != NULL);
    return lazyfree_push(lf, ops, obj);
}

bool lazyfree_ks(struct lazyfree *lf, struct ks *ks) { return lazyfree_push(lf, NULL, ks); }

size_t lazyfree_pending(struct lazyfree *lf)
{
    pthread_mutex_lock(&lf->lock);
    size_t n = lf->len + lf->busy;
    pthread_mutex_unlock(&lf->lock);
    return n;
}

uint64_t lazyfree_done(struct lazyfree *lf)
{
    pthread_mutex_lock(&lf->lock);
    uint64_t n = lf->done;
    pthread_mutex_unlock(&lf->lock);
    return n;
}

/* The number of allocations freeing obj takes, in O(1) (mem_usage walks big values). */
static size_t free_effort(const struct ks_obj_ops *ops, const void *obj)
{
    switch (ops->type) {
    case KS_TYPE_SET:
        return obj_set_card(obj);
    case KS_TYPE_ZSET:
        return obj_zset_card(obj);
    case KS_TYPE_HASH:
        return obj_hash_len(obj);
    case KS_TYPE_LIST:
        return obj_list_node_count(obj);
    case KS_TYPE_STREAM:
        return obj_stream_node_count(obj) + ((const struct obj_stream *)obj)->ngroups;
    default:
        return 1; /* strings and HyperLogLogs: one or two allocations */
    }
}

bool lazyfree_worth_it(const struct ks_obj_ops *ops, const void *obj)
{
    return free_effort(ops, obj) > LAZYFREE_MIN_EFFORT;
}
