/* client_evict: maxmemory-clients (Redis 7.0's client eviction). The memory of every normal and
 * pub/sub client (client_memory_bytes: its structure, query and reply buffers, parsed arguments,
 * queued transaction, subscriptions) is added up as it changes; when the total reaches the limit
 * (a size, or a percentage of maxmemory; never below 128kb), the largest clients are closed at
 * once, one after the other, until the total is under it. The master link, replicas, fake
 * clients and clients with CLIENT NO-EVICT on are never chosen (their memory still counts, as
 * in Redis). Checked after each read, after output is appended (client_check_obuf), in the
 * cron and before the loop sleeps; at most CLIENT_EVICT_PER_RUN clients per check, a timer
 * continues a longer run. README "Memory limits" says what operators see. */
#ifndef VIGIL_CLIENT_EVICT_H
#define VIGIL_CLIENT_EVICT_H

#include <stdbool.h>
#include <stddef.h>

struct server;
struct client;

#define CLIENT_EVICT_MIN_BYTES (128 * 1024) /* a smaller limit would lock every client out */
#define CLIENT_EVICT_PER_RUN 64             /* clients closed per check */
#define CLIENT_EVICT_SCAN 16                /* clients compared in the largest bucket */

/* The limit in bytes for a maxmemory-clients setting (bytes, or -N for N% of maxmemory);
 * 0 when client eviction is off. */
size_t client_evict_limit_bytes(long long setting, long long maxmemory);
/* CONFIG SET maxmemory-clients: 0, or -1 with Redis's message for a value Redis refuses. */
int client_evict_config_check(const char *value, char *err, size_t errlen);

struct client_evict *client_evict_create(void);
void client_evict_destroy(struct client_evict *ce);
/* Recount c's memory (after it may have changed); evicts when the total is over the limit. */
void client_evict_track(struct client *c);
/* c is being freed: it no longer counts. */
void client_evict_forget(struct client *c);
/* Evict the largest evictable clients while the total is at or over the limit. */
void client_evict_run(struct server *srv);
/* The counted total (normal and pub/sub clients), for tests and INFO. */
size_t client_evict_total_bytes(const struct server *srv);

#endif
