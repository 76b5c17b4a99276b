/* blocking: clients blocked on keys (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN/MAX) or on
 * replication acks (WAIT, no keys).
 *
 * A blocking command that cannot be served calls blocking_block(). When a key it waits on gets
 * data (server_key_modified -> blocking_signal_key), the client's command is run AGAIN, in
 * before-sleep, through command_call (so propagation and MULTI rules apply as for any command),
 * with the client still marked CLIENT_BLOCKED: if the command still cannot be served it calls
 * blocking_block() again, which then keeps the client's place in line (first come, first served)
 * and its deadline; if it replies, the client is unblocked. Timeouts are loop timers that call
 * the command's on_timeout reply. Nothing polls. */
#ifndef VIGIL_BLOCKING_H
#define VIGIL_BLOCKING_H

#include "store/server.h"

typedef void (*blocking_timeout_fn)(struct client *c);

struct blocking *blocking_create(void);
void blocking_destroy(struct blocking *b);
/* Block the current command on keys of c's db (nkeys 0: wait for blocking_recheck_waiters).
 * deadline_mono_ms 0 = forever. Copies keys and argv. During a retry: keeps place and deadline. */
void blocking_block(struct client *c, const struct resp_arg *keys, size_t nkeys,
                    int64_t deadline_mono_ms, blocking_timeout_fn on_timeout);
/* The client just blocked also wants a retry when a key it waits on is deleted (a blocked
 * XREADGROUP answers that with an error, as Redis does); by default a deleted key wakes
 * nobody. */
void blocking_wake_on_delete(struct client *c);
/* True while the current command is being retried for a blocked client. */
bool blocking_is_retry(const struct client *c);
/* During a retry: the index in keys[0..nkeys) of the key whose data woke the client, so a
 * multi-key pop serves from that key first as Redis does; 0 when not a retry or not found. */
size_t blocking_ready_key_index(const struct client *c, const struct resp_arg *keys, size_t nkeys);
/* Unblock: timed_out -> on_timeout replies first; else no reply (kill, disconnect, ERROR). */
void blocking_unblock_client(struct client *c, bool timed_out);
/* Every key of database db may have changed (FLUSHDB, FLUSHALL, SWAPDB, a dataset loaded):
 * signal each key someone waits on there. */
void blocking_signal_db(struct server *srv, int db);
/* A key received data. */
void blocking_signal_key(struct server *srv, int db, const char *key, size_t klen);
/* Serve clients on keys signalled since the last call: after every command a client sends (as
 * Redis does) and in before-sleep for keys filled any other way. Cheap when nothing is ready. */
void blocking_serve_ready(struct server *srv);
/* Retry every client blocked without keys (WAIT) after a replication ACK. */
void blocking_recheck_waiters(struct server *srv);
size_t blocking_count(const struct server *srv);
/* Convert a timeout argument in seconds (fractional allowed) into a deadline; replies the
 * Redis error and returns -1 when invalid ("timeout is not a float or out of range",
 * "timeout is negative"). */
int blocking_parse_timeout(struct client *c, const struct resp_arg *arg, int64_t *deadline_mono_ms);

#endif
