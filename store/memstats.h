/* memstats: the memory figures INFO memory, MEMORY STATS and MEMORY DOCTOR report, gathered in
 * one place so the three agree. Names follow Redis 7.0; the figures are ours: memcount's count of
 * glibc's allocations and the process RSS instead of jemalloc's statistics, and overheads as our
 * structures have them (a key table of bucket pointers, an expiry index of entry pointers,
 * client buffers). */
#ifndef VIGIL_MEMSTATS_H
#define VIGIL_MEMSTATS_H

#include <stddef.h>

#include "store/server.h"

struct memstats {
    size_t used, peak, startup, rss, total_system;
    size_t repl_backlog, repl_buffers;       /* replication backlog; shared stream buffer */
    size_t clients_replicas, clients_normal; /* bytes */
    size_t nreplicas, nnormal;               /* clients */
    size_t db_overhead;                      /* key tables and expiry indexes of every database */
    size_t overhead_total;                   /* startup + replication + clients + db_overhead */
    size_t dataset; /* used - overhead_total (0 if the overhead is larger) */
    size_t keys;
    size_t alloc_allocated, alloc_active, alloc_resident;
    double dataset_perc, peak_perc; /* of used - startup; used of peak */
};

/* Raise the peak to the current use (called from the cron and before reporting). */
void memstats_note_peak(struct server *srv);
void memstats_collect(struct server *srv, struct memstats *ms);
/* Bytes with a binary unit suffix as Redis prints them: "0B", "893.18K", "11.59M". */
void memstats_human(char *out, size_t len, double bytes);

#endif
