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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct rdb_writer;
struct rdb_aux;

/* Header with aux, every database, EOF and checksum. 0 or a negative rdb_err. */
int rdb_dataset_write(struct server *srv, struct rdb_writer *w, const struct rdb_aux *aux);

/* One key's record (expiry, type, key, value) in the plain encodings; with a value-only writer
 * (rdb_writer_set_value_only) the value alone, as DUMP wants it. */
struct ks_entry;
int rdb_dataset_write_entry(struct rdb_writer *w, const struct ks_entry *e);

/* Decode a DUMP payload's value (the bytes before its footer) as the loader would build it
 * under srv's encoding limits. 0, or -1 (malformed, unsupported or empty; *v is zeroed). */
struct rdb_value;
int rdb_dataset_load_value(const struct server *srv, const void *p, size_t n, struct rdb_value *v);

struct rdb_dataset_load;
/* Fresh databases to load into (main thread: copies what it needs from srv). */
struct rdb_dataset_load *rdb_dataset_load_create(const struct server *srv);
/* Parse a complete RDB into them. Thread-safe against the main loop: touches nothing of srv. */
int rdb_dataset_load_run(struct rdb_dataset_load *ld, const void *data, size_t len, char *err,
                         size_t errlen);
/* Make a running rdb_dataset_load_run give up soon (from another thread). */
void rdb_dataset_load_cancel(struct rdb_dataset_load *ld);
/* Before the run: drop keys whose expiry is before now_ms (a master does, a replica keeps them
 * for its master's DELs); sleep key_delay_us per key (key-load-delay, for tests). */
void rdb_dataset_load_set_policy(struct rdb_dataset_load *ld, bool drop_expired, int64_t now_ms,
                                 long long key_delay_us);
/* Bytes of the file consumed so far (any thread; the file size once the run succeeded). */
size_t rdb_dataset_load_progress(struct rdb_dataset_load *ld);
/* The AUX used-mem of the file (0 until read; any thread). */
long long rdb_dataset_load_used_mem(struct rdb_dataset_load *ld);
/* After the run: keys stored and keys dropped as expired. */
void rdb_dataset_load_counts(const struct rdb_dataset_load *ld, size_t *loaded, size_t *expired);
/* After the run: the AUX repl-id and repl-offset, when the file had both. */
bool rdb_dataset_load_repl_info(const struct rdb_dataset_load *ld, char id[41], long long *offset);
/* The AUX repl-stream-db of the loaded file (0 when absent). */
int rdb_dataset_load_stream_db(const struct rdb_dataset_load *ld);
/* Main thread: exchange the loaded data with the server's; CONSUMES ld (the old data is freed
 * on a detached thread). */
void rdb_dataset_load_swap_in(struct rdb_dataset_load *ld, struct server *srv);
void rdb_dataset_load_destroy(struct rdb_dataset_load *ld);

#endif
