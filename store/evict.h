/* evict: maxmemory (Redis 7.0's performEvictions). Before each command, when used memory
 * (memcount.h, less what replication buffers hold) is over maxmemory, keys chosen by
 * maxmemory-policy are deleted, each one reaching replicas as a DEL, until it is under again or
 * the time box of maxmemory-eviction-tenacity runs out (a timer then continues on later loop
 * iterations). When nothing can be freed, commands that may grow memory get -OOM. */
#ifndef VIGIL_EVICT_H
#define VIGIL_EVICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct server;
struct client;
struct command;

#define ERR_OOM "OOM command not allowed when used memory > 'maxmemory'."

enum evict_result { EVICT_OK, EVICT_RUNNING, EVICT_FAIL };

struct evict *evict_create(void);
void evict_destroy(struct evict *ev);

/* Free memory down to maxmemory as the policy allows (see the file comment). */
enum evict_result evict_perform(struct server *srv);
/* The gate: true (after replying -OOM) when c must not run cmd now. */
bool evict_rejects(struct client *c, struct command *cmd);
/* Memory that does not count against maxmemory: the backlog and replicas' output buffers. */
size_t evict_not_counted(const struct server *srv);
uint64_t evict_keys_evicted(const struct server *srv);
/* After CONFIG SET and each cron: LFU mode of the databases; lowering maxmemory evicts now. */
void evict_apply_config(struct server *srv);
/* CONFIG SET of an eviction key: -1 with Redis's message for a value Redis refuses. */
int evict_config_check(const char *key, const char *value, char *err, size_t errlen);
/* INFO memory fields of eviction (maxmemory, maxmemory_human, maxmemory_policy). */
void evict_info_memory(struct server *srv, struct buf *out);

#endif
