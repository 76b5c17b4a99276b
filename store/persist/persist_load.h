/* persist_load: what vigil-store loads when it starts (docs/persistence.md#loading-at-start).
 *
 * persist_load_at_start() is the one place start-up decides which file describes the dataset:
 * the append-only file when `appendonly yes` (its loader plugs in at persist_load_aof_at_start),
 * else the snapshot `<dir>/<dbfilename>` when it exists. A snapshot is mapped and parsed on a
 * loader thread into fresh databases (store/persist/rdb_dataset.h) while the loop serves:
 * commands without the loading flag get -LOADING and INFO shows the progress. When it parsed,
 * the data is swapped in, the replication history of the file is restored
 * (repl_restore_history) and replication starts (repl_start_from_config). A file that does not
 * parse stops the process with exit status 1 and a message naming it and the byte offset; that
 * exit saves nothing, so the file stays as it was for the operator to inspect.
 *
 * Must not: start replication, or let the server take writes, before the data is in. */
#ifndef VIGIL_PERSIST_LOAD_H
#define VIGIL_PERSIST_LOAD_H

#include <stddef.h>

struct server;
struct buf;

/* Called once by server_init, after the listener is up. */
void persist_load_at_start(struct server *srv);
/* The AOF branch: the append-only-file loader fills this in (today: starts empty). */
void persist_load_aof_at_start(struct server *srv);
/* Start-up is over (data loaded or nothing to load): begin replication as configured. */
void persist_load_finish_start(struct server *srv);
/* The start is refused (a damaged file, a folder that cannot be written): exit with status 1
 * at once, after the caller logged why. Nothing is written, and nothing half-loaded is freed:
 * the process has nothing to clean up, and freeing millions of keys would only delay the exit
 * (the log is flushed line by line, so nothing of it is lost). */
__attribute__((noreturn)) void persist_load_refuse_start(void);
/* Free a load still running (shutdown during loading). */
void persist_load_destroy(struct server *srv);

/* Load `path` now, on the calling thread (DEBUG RELOAD): replaces the dataset only when the
 * whole file parsed. 0, or -1 with a message naming the file and offset. */
int persist_load_file_now(struct server *srv, const char *path, char *err, size_t errlen);

/* INFO persistence: rdb_last_load_keys_expired / _loaded lines, and the loading_* lines
 * (only while loading). */
void persist_load_info_keys(const struct server *srv, struct buf *o);
void persist_load_info_progress(struct server *srv, struct buf *o);

#endif
