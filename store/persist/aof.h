/* aof: the append-only file, writing side (docs/persistence.md#the-append-only-file).
 *
 * The AOF is a sink of the propagation stream (propagate.h): every command a write executed is
 * appended, as RESP, to an in-memory buffer, with a SELECT whenever the database changes. The
 * loop's before-sleep hook writes that buffer to the current incremental file BEFORE any reply
 * leaves (aof_before_sleep runs ahead of conn_set_flush), and under `appendfsync always` fsyncs
 * it there too: one write and one fsync per loop iteration for every client's writes (group
 * commit). `everysec` hands the fsync to a background thread about once a second; `no` leaves
 * it to the kernel.
 *
 * States, as Redis 7.0:
 *
 *      OFF --CONFIG SET appendonly yes--> WAIT_REWRITE --rewrite succeeded--> ON
 *       ^                                      |                               |
 *       +-------------appendonly no------------+---------------appendonly no---+
 *
 * A failed write (short write, ENOSPC, EIO) or fsync marks aof_last_write_status:err; writes
 * are then refused with -MISCONF until the buffered bytes reach the disk (retried each cron).
 * Under `always` no reply leaves while the iteration's writes are not on disk.
 *
 * The rewrite (aof_rewrite.c) shares this state: struct aof is internal to store/persist/aof*.c
 * (aof_int.h); the rest of the server uses only the functions below. */
#ifndef VIGIL_AOF_H
#define VIGIL_AOF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct server;
struct client;
struct command;

/* Owned by the server. create only allocates; aof_start_from_config opens the files. */
struct aof *aof_create(void);
void aof_destroy(struct server *srv, struct aof *a);

/* At start (after any loading): with appendonly yes, create the folder and the manifest when
 * missing (a base is written first when there is nothing yet, as Redis 7.0), open the last
 * incremental file (a new one when there is none) and add the sink. 0, or -1 with a message. */
int aof_start_from_config(struct server *srv, char *err, size_t errlen);

/* The propagation sink (propagate.h). */
bool aof_sink_is_wanted(void *srv);
void aof_sink_feed(void *srv, int db, const char *bytes, size_t len);

/* Loop hooks: write (and under `always`, fsync) what this iteration buffered, before replies
 * are flushed; the cron retries failed writes, starts scheduled or automatic rewrites. */
void aof_before_sleep(struct server *srv);
void aof_cron(struct server *srv);

/* After CONFIG SET: appendonly yes/no, appendfsync. */
void aof_apply_config(struct server *srv);

/* CONFIG SET appendfsync with a bad value: 0, or -1 with Redis's text in err. */
int aof_config_check(const char *key, const char *value, char *err, size_t errlen);

/* A replica replaced its dataset with its master's snapshot: what the AOF holds no longer
 * describes it, so (as Redis) the AOF is turned off and on again, which rewrites it from the
 * loaded data. Nothing when the AOF is off. */
void aof_restart_after_load(struct server *srv);

/* A command the AOF's write errors refuse (replies -MISCONF and returns true). */
bool aof_refuses_command(struct client *c, const struct command *cmd);

/* Shutdown: write what is buffered and fsync, whatever the policy. 0, or -1 (logged). */
int aof_flush_for_shutdown(struct server *srv);

/* BGREWRITEAOF (aof_rewrite.c): replies to c. */
void aof_bgrewrite_command(struct client *c);

/* WAITAOF's offsets: what was fed to the AOF so far (a client's aof_woff), what is fsynced of
 * it (local), and the replication offset fsynced (a replica's FACK; -1 while the AOF is not on).
 * Only an AOF that is ON counts: during the first rewrite the base is not on disk yet. */
long long aof_fed_offset(const struct server *srv);
bool aof_is_fsynced_to(const struct server *srv, long long aof_off);
long long aof_fsynced_repl_offset(const struct server *srv);

/* INFO persistence, the AOF half (from aof_enabled on), and INFO memory's mem_aof_buffer. */
void aof_info_persistence(struct server *srv, struct buf *out);
size_t aof_buffer_bytes(const struct server *srv);

#endif
