/* rdb_save: snapshots on disk, the saving side (docs/persistence.md#snapshots): SAVE in the
 * foreground, background saves in the one persistence child (bgchild.h) for BGSAVE, BGSAVE
 * SCHEDULE and the save points, their outcome (LASTSAVE, INFO, the -MISCONF gate).
 *
 * A background save: the parent forks; the child creates a temp file next to dbfilename
 * (atomic_file_stream_open), writes the dataset, fsyncs and closes it, and exits 0; the parent
 * reaps it in the cron and only then publishes the file (rename + folder fsync). A child that
 * fails or is killed leaves its temp file, which the parent removes: the previous dump is
 * never touched. The temp file's name lives in a page shared with the child, so the parent
 * knows it even when the child died early.
 *
 * Owned by the server (srv->rdb_save); main thread only, except the shared page. */
#ifndef VIGIL_RDB_SAVE_H
#define VIGIL_RDB_SAVE_H

#include <stdbool.h>

#include "common/buf.h"

struct server;
struct rdb_save;

struct rdb_save *rdb_save_create(void);
void rdb_save_destroy(struct rdb_save *rs);

/* Parse cfg.save into save points and rewrite it in Redis's form (start, CONFIG SET). */
void rdb_save_apply_config(struct server *srv);
/* Remove temp files an earlier run of ours left next to dbfilename (start-up). */
void rdb_save_remove_stale_temps(struct server *srv);

/* SAVE: write the dump now, the loop waits. 0, or -1 (logged; the previous file is intact). */
int rdb_save_now(struct server *srv);
/* FLUSHALL: a running background save (of the data just flushed) is killed, and with save
 * points set the now empty dataset is saved at once, as Redis does, so a restart cannot bring
 * the flushed keys back. */
void rdb_save_after_flushall(struct server *srv);
/* Start a background save. 0, or -1 (errno EBUSY: a persistence child already runs; else the
 * fork failed, logged, and the status is err). */
int rdb_save_background(struct server *srv);
/* BGSAVE SCHEDULE (or BGSAVE inside EXEC): start one as soon as no child runs. */
void rdb_save_schedule(struct server *srv);
bool rdb_save_is_running(const struct server *srv);
/* Cron: a scheduled save, or a save point that is due. */
void rdb_save_cron(struct server *srv);

/* The -MISCONF error when writes (and PING) must be refused: the last background save failed,
 * save points are set and stop-writes-on-bgsave-error is on. NULL otherwise. */
const char *rdb_save_misconf_error(const struct server *srv);

/* INFO persistence: the current_* and rdb_* lines of a snapshot. */
void rdb_save_info(struct server *srv, struct buf *out);
/* Save points are configured (shutdown saves then). */
bool rdb_save_has_points(const struct server *srv);

#endif
