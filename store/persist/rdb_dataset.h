/* rdb_dataset: the dataset <-> RDB mapping (rdb.h is the format), used by full resync
 * (store/repl/) and by persistence (store/persist/).
 *
 *   writer  rdb_dataset_write() walks every database and hands each key to the RDB writer. It
 *           runs in a forked child (or with the loop stopped), so it iterates without safe
 *           iterators (the keyspace must not change, and cannot), and includes logically expired
 *           keys with their expiry, as Redis does.
 *   loader  rdb_dataset_load_*: parse a complete RDB into FRESH databases, on a loader thread.
 *           It touches nothing of the server but what rdb_dataset_load_create() copied, so the
 *           main thread keeps serving meanwhile; rdb_dataset_load_swap_in() (main thread)
 *           exchanges the data only after the whole snapshot parsed. */
#ifndef VIGIL_RDB_DATASET_H
#define VIGIL_RDB_DATASET_H

#include <stddef.h>

struct server;
struct rdb_writer;
struct rdb_aux;

/* Header with aux, every database, EOF and checksum. 0 or a negative rdb_err. */
int rdb_dataset_write(struct server *srv, struct rdb_writer *w, const struct rdb_aux *aux);

struct rdb_dataset_load;
/* Fresh databases to load into (main thread: copies what it needs from srv). */
struct rdb_dataset_load *rdb_dataset_load_create(const struct server *srv);
/* Parse a complete RDB into them. Thread-safe against the main loop: touches nothing of srv. */
int rdb_dataset_load_run(struct rdb_dataset_load *ld, const void *data, size_t len, char *err,
                         size_t errlen);
/* Make a running rdb_dataset_load_run give up soon (from another thread). */
void rdb_dataset_load_cancel(struct rdb_dataset_load *ld);
/* The AUX repl-stream-db of the loaded file (0 when absent). */
int rdb_dataset_load_stream_db(const struct rdb_dataset_load *ld);
/* Main thread: exchange the loaded data with the server's; CONSUMES ld (the old data is freed
 * on a detached thread). */
void rdb_dataset_load_swap_in(struct rdb_dataset_load *ld, struct server *srv);
void rdb_dataset_load_destroy(struct rdb_dataset_load *ld);

#endif
