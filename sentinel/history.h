/* history: durable failover records, one JSON object per line in <dir>/failover-history.jsonl.
 *
 * Why: operators reconstruct failovers from logs today; GET /v1/masters/{name}/history serves
 * them instead, across restarts. Every sentinel writes one record per failover it sees
 * complete (the leader with every phase, the others with what they observed).
 * Invariants: a record is appended with a single write() and fsync()ed before history_append
 * returns 0, so a crash leaves at most a torn last line, which loading skips; at most
 * HISTORY_MAX_RECORDS are kept in memory; the file is compacted (write temp, fsync, rename,
 * fsync dir) to the newest HISTORY_MAX_RECORDS once it holds twice that many lines; a line
 * longer than HISTORY_MAX_LINE is refused. If the directory is unusable the history still
 * works in memory and says so in the log.
 * Must not: block for long (one append per failover), or touch the sentinel core.
 */
#ifndef VIGIL_SENTINEL_HISTORY_H
#define VIGIL_SENTINEL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#define HISTORY_FILE_NAME "failover-history.jsonl"
#define HISTORY_MAX_RECORDS 1000
#define HISTORY_MAX_LINE 16384

struct history;
struct cJSON;

/* Load dir/HISTORY_FILE_NAME if present (bad lines are skipped and counted). dir NULL = memory
 * only. Never fails: a load or open problem is logged and leaves a memory-only history. */
struct history *history_open(const char *dir);
void history_close(struct history *h);

/* Append one record (a JSON object with at least a string "master"). 0, or -1 when it was
 * kept in memory only (not valid, too long, or the write/fsync failed). */
int history_append(struct history *h, const struct cJSON *record);

/* Set `key` to `item` (taken over) in the newest record of `master` whose "epoch" is `epoch`
 * (a fact learned after the record was written: the bytes its old master dropped), then rewrite
 * the file as compaction does. 0; -1 when no record matches (item freed) or the rewrite failed
 * (the change is kept in memory). */
int history_amend(struct history *h, const char *master, double epoch, const char *key,
                  struct cJSON *item);

size_t history_count(const struct history *h);
size_t history_skipped_lines(const struct history *h);
bool history_is_durable(const struct history *h);
/* A new JSON array of the newest records of `master` (NULL = all), newest first, at most limit. */
struct cJSON *history_list(const struct history *h, const char *master, size_t limit);

#endif
