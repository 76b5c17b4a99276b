/* lazyfree: everything handed over is freed exactly once (by the thread, or by destroy), a full
 * queue refuses instead of growing, whole keyspaces are destroyed off the caller's thread, and
 * UNLINK's size rule. The worker is held on a gate where a test needs the queue to stay full:
 * no timing is involved. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "store/data/keyspace.h"
#include "store/lazyfree.h"
#include "store/data/obj_set.h"

static atomic_int freed;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open = true;
static atomic_bool worker_entered;

static void counting_free(void *obj)
{
    (void)obj;
    atomic_fetch_add(&freed, 1);
}

/* The first object whose free runs parks the worker until the test opens the gate. */
static void gated_free(void *obj)
{
    atomic_store(&worker_entered, true);
    pthread_mutex_lock(&gate_lock);
    while (!gate_open) pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    counting_free(obj);
}

static const struct ks_obj_ops counting_ops = {.type = KS_TYPE_SET, .free = counting_free};
static const struct ks_obj_ops gated_ops = {.type = KS_TYPE_SET, .free = gated_free};

static void set_gate(bool open)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = open;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

Test(lazyfree, every_object_handed_over_is_freed_once_by_destroy_at_the_latest)
{
    atomic_store(&freed, 0);
    struct lazyfree *lf = lazyfree_create();
    for (int i = 0; i < 1000; i++) cr_assert(lazyfree_obj(lf, &counting_ops, NULL));
    lazyfree_destroy(lf);
    cr_assert_eq(atomic_load(&freed), 1000);
}

Test(lazyfree, a_full_queue_refuses_and_the_caller_keeps_the_object)
{
    atomic_store(&freed, 0);
    atomic_store(&worker_entered, false);
    set_gate(false);
    struct lazyfree *lf = lazyfree_create();
    cr_assert(lazyfree_obj(lf, &gated_ops, NULL));
    while (!atomic_load(&worker_entered)) sched_yield(); /* the worker holds job 1 */
    for (int i = 0; i < LAZYFREE_MAX_PENDING; i++) cr_assert(lazyfree_obj(lf, &counting_ops, NULL));
    cr_assert_eq(lazyfree_pending(lf), (size_t)LAZYFREE_MAX_PENDING + 1);
    cr_assert_not(lazyfree_obj(lf, &counting_ops, NULL), "bounded: the queue is full");
    set_gate(true);
    lazyfree_destroy(lf);
    cr_assert_eq(atomic_load(&freed), LAZYFREE_MAX_PENDING + 1);
}

Test(lazyfree, a_keyspace_is_destroyed_with_its_values)
{
    atomic_store(&freed, 0);
    struct lazyfree *lf = lazyfree_create();
    struct ks *ks = ks_create(1);
    for (int i = 0; i < 100; i++) {
        char key[16];
        int n = snprintf(key, sizeof key, "k%d", i);
        ks_add_obj(ks, key, (size_t)n, &counting_ops, &freed); /* never dereferenced */
    }
    cr_assert(lazyfree_ks(lf, ks));
    lazyfree_destroy(lf);
    cr_assert_eq(atomic_load(&freed), 100);
}

Test(lazyfree, only_values_with_more_than_64_elements_are_worth_handing_over)
{
    struct obj_set *s = obj_set_create();
    for (int i = 0; i < LAZYFREE_MIN_EFFORT; i++) {
        char m[16];
        int n = snprintf(m, sizeof m, "m%d", i);
        obj_set_add(s, m, (size_t)n, &OBJ_SET_LIMITS_DEFAULT);
    }
    cr_assert_not(lazyfree_worth_it(&obj_set_ops, s));
    obj_set_add(s, "one more", 8, &OBJ_SET_LIMITS_DEFAULT);
    cr_assert(lazyfree_worth_it(&obj_set_ops, s));
    obj_set_free(s);
}
