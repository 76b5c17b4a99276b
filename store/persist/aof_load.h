/* aof_load: loading the append-only file at start
 * (docs/persistence.md#loading-the-append-only-file).
 *
 * With appendonly yes, the manifest in <dir>/<appenddirname> names the files; the base is
 * loaded first (a snapshot, parsed on the rdb_dataset loader thread and swapped in, possibly
 * followed by commands; or commands only), then every incremental file in manifest order.
 * Commands run through the command layer on a socketless client flagged CLIENT_AOF_LOADER:
 * no reply leaves, nothing is propagated (replicas, the AOF itself), no auth, every key looks
 * live (the file already holds the DELs of what expired), MULTI ... EXEC blocks applied whole.
 *
 * The server answers meanwhile: commands are replayed in bounded batches, one batch per loop
 * iteration, with srv->is_loading set (other clients get -LOADING) and srv->loading updated for
 * INFO. A torn tail of the last file is cut off under aof-load-truncated yes; any other damage
 * logs the file and offset and exits with status 1 before anything is written.
 *
 * Without a manifest, an old single <appendfilename> in <dir> is moved into the AOF folder as
 * its base (Redis 7.0's upgrade); with neither, nothing is loaded (a dump.rdb is ignored when
 * appendonly is yes, as Redis 7.0 does). */
#ifndef VIGIL_AOF_LOAD_H
#define VIGIL_AOF_LOAD_H

#include <stdbool.h>
#include <stddef.h>

struct server;
struct aof_load;

/* Called once the whole AOF is in memory. */
typedef void (*aof_load_done_fn)(struct server *srv);

/* Start loading (the working directory is cfg.dir). 1: loading started (srv->aof_load set;
 * done is called at the end), 0: nothing to load (done is not called), -1: the AOF cannot be
 * loaded (message in err naming the file): the caller exits with status 1. Damage found
 * later, while replaying, exits the process itself. */
int aof_load_start(struct server *srv, aof_load_done_fn done, char *err, size_t errlen);
/* Stop a load in progress (shutdown during loading) and free it; NULL is fine. */
void aof_load_destroy(struct aof_load *a);

#endif
