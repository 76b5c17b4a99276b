/* repl: replication, both roles (docs/replication.md). The master side keeps the replica registry,
 * the backlog and the shared replication stream (repl_master.c); the replica side runs the
 * handshake state machine and applies the master's stream through a CLIENT_MASTER client
 * (repl_replica.c); FAILOVER has its own state machine (repl_failover.c); the commands live in
 * cmd_repl.c. The rest of the server talks to replication only through the calls below. */
#ifndef VIGIL_REPL_H
#define VIGIL_REPL_H

#include "store/server.h"

/* Owned by the server; repl_destroy also stops a snapshot child and a loading thread. */
struct repl *repl_create(struct server *srv);
void repl_destroy(struct repl *r);

/* The replication stream as a propagate sink (propagate.h), ctx the server. Wanted only on a
 * master somebody asked for the stream (a replica or a backlog exists): a replica's stream is
 * its master's, applied verbatim. Feed appends commands (RESP arrays) executed in db, with a
 * SELECT first when the stream's database changes. */
bool repl_sink_is_wanted(void *srv);
void repl_sink_feed(void *srv, int db, const char *bytes, size_t len);
/* The stream's current offset (master_repl_offset). */
long long repl_offset(const struct server *srv);
/* True when writes must be refused with NOREPLICAS (min-replicas-to-write), and meanwhile while
 * a FAILOVER pauses writes (see repl_writes_paused). */
bool repl_min_replicas_failing(const struct server *srv);
/* True while a FAILOVER holds writes back (waiting-for-sync and failover-in-progress). */
bool repl_writes_paused(const struct server *srv);
/* True while a store that belonged to a replication group and restarted empty waits to be told
 * its role (REPLICAOF host port, or REPLICAOF NO ONE): writes are refused (command gate). */
bool repl_awaiting_role(const struct server *srv);
/* Replica side: link state, for the command gate (MASTERDOWN) and INFO. */
bool repl_master_link_up(const struct server *srv);
/* Bytes held for replication (backlog, shared stream, replicas' output): not counted against
 * maxmemory (INFO mem_not_counted_for_evict). */
size_t repl_mem_not_counted(const struct server *srv);
/* INFO replication section. */
void repl_info(struct server *srv, struct buf *out);
/* Memory held by replication: the backlog, and the shared stream buffer replicas read from
 * (INFO mem_replication_backlog / mem_total_replication_buffers, MEMORY STATS). */
void repl_memory(const struct server *srv, size_t *backlog, size_t *buffers);
/* Cron (hz): timeouts, pings, acks, reconnects, snapshot children, FAILOVER. */
void repl_cron(struct server *srv);
/* Before sleep: re-check WAITers after ACKs, one batched GETACK, write to replicas. */
void repl_before_sleep(struct server *srv);

/* Client hooks (client.c). */
void repl_client_freed(struct client *c);
/* A command of the master's stream was executed; `bytes` is its size, still readable at
 * buf_unread(&c->conn.query). */
void repl_master_client_processed(struct client *c, size_t bytes);
void repl_master_link_lost(struct server *srv, const char *why);
void repl_master_link_activity(struct server *srv);

/* The AUX fields of a snapshot of the dataset at replication offset `offset`: our replication
 * id and offset, the stream's database, version, time and memory (repl_snapshot.c). */
struct rdb_aux;
void repl_rdb_aux(const struct server *srv, long long offset, struct rdb_aux *aux);

/* The snapshot loaded at start carried this history (AUX repl-id, repl-offset,
 * repl-stream-db): a replica continues it, a master keeps it as its secondary id. */
void repl_restore_history(struct server *srv, const char *replid, long long offset, int stream_db);

/* Start replicating from cfg.replicaof at startup. */
void repl_start_from_config(struct server *srv);

#endif
