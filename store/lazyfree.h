/* lazyfree: frees big values and whole keyspaces on a background thread (UNLINK, FLUSHALL ASYNC,
 * FLUSHDB ASYNC, a replica's dataset replaced by a full resync), so that freeing millions of
 * elements never stalls the event loop, as Redis's lazy free does.
 *
 * The thread only ever touches what it is handed: a value already detached from every keyspace,
 * or a keyspace nobody else references. Value types free nothing but their own memory, so this is
 * safe beside the single-threaded loop. The queue is bounded: when it is full the caller frees
 * at once (slower, never lost). The thread starts on first use.
 */
#ifndef VIGIL_LAZYFREE_H
#define VIGIL_LAZYFREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/data/keyspace.h"

/* A value is handed over when freeing it takes more allocations than this (members of a set,
 * sorted set or hash, nodes of a list), Redis's threshold: below, freeing costs less than the
 * hand-over. */
#define LAZYFREE_MIN_EFFORT 64
/* Jobs queued at most; beyond, lazyfree_* refuse and the caller frees synchronously. */
#define LAZYFREE_MAX_PENDING 65536

struct lazyfree;

struct lazyfree *lazyfree_create(void);
/* Free everything still queued, then stop the thread. NULL is fine. */
void lazyfree_destroy(struct lazyfree *lf);

/* Hand over obj (of type ops). Returns true if queued; false if the queue is full: the caller
 * still owns obj and must free it. */
bool lazyfree_obj(struct lazyfree *lf, const struct ks_obj_ops *ops, void *obj);
/* Hand over a whole keyspace (ks_destroy on the thread). False if the queue is full. */
bool lazyfree_ks(struct lazyfree *lf, struct ks *ks);

/* INFO: jobs not freed yet (lazyfree_pending_objects), and freed since start (lazyfreed_objects).
 */
size_t lazyfree_pending(struct lazyfree *lf);
uint64_t lazyfree_done(struct lazyfree *lf);

/* UNLINK's rule: should this value be freed in the background? */
bool lazyfree_worth_it(const struct ks_obj_ops *ops, const void *obj);

#endif
