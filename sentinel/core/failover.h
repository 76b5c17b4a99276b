/* failover: the per-master failover state machine (docs/sentinel-protocol.md#failover). Only this
 * module changes master->record->failover_state and the replicas' reconfiguration flags (an
 * address switch or RESET clears the record first, with failover_clear); the rest of the core
 * reports observations (INFO, votes, a repointed replica's INFO: failover_on_replica_info), and
 * sentinel_tick() calls failover_step() once per master per tick.
 *
 *   ODOWN, not paused, jitter elapsed; or forced (SENTINEL FAILOVER, switchover)
 *   +------+    failover_start: new epoch         +--------------------+
 *   | NONE | -----------------------------------> | WAIT_START         | asks the peers for votes
 *   +------+ <-- abort: not elected (split ------ +--------------------+
 *    ^    ^     vote, another won, timeout)
 *    |    |                                                  | won the vote (forced: at once)
 *    |    |                                                  v
 *    |    |                                       +--------------------+ fresh INFO round, bounded
 *    |    +--- abort: no replica can be --------- | SELECT_SLAVE       |
 *    |    |    promoted, or too few fresh         +--------------------+
 *    |    |    offsets for failover-timeout,
 *    |    |    or the master is back meanwhile
 *    |    |                                                  | the best (or requested) replica
 *    |    |                                                  v
 *    |    |                                       +--------------------+ asks the pre-failover
 *    |    +--- abort: vetoed, veto timeout, ----- | SEND_SLAVEOF_NOONE | hook, waits its answer
 *    |    |    or the replica unreachable for     +--------------------+
 *    |    |    failover-timeout                              | REPLICAOF NO ONE sent
 *    |    |                                                  v (MULTI..EXEC, then INFO)
 *    |    |                                       +--------------------+
 *    |    +--- abort: failover-timeout, or a ---- | WAIT_PROMOTION     |
 *    |         config epoch >= ours adopted       +--------------------+
 *    |                                                       | its INFO says role:master
 *    |                                                       v
 *    |                                            +--------------------+ config epoch := failover
 *    |                                            | RECONF_SLAVES      | epoch (the new config
 *    |                                            +--------------------+ wins); repoint the rest
 *    |                                                       | all repointed (parallel-syncs at
 *    |                                                       v a time), or failover-timeout
 *    |   address switch                           +--------------------+
 *    +-- (+switch-master), failover_clear ------- | UPDATE_CONFIG      | +failover-end on entry
 *                                                 +--------------------+
 *
 * Extensions (ours): on entering SEND_SLAVEOF_NOONE the pre-failover hook, if set, is asked
 * and the step waits for its answer (-failover-abort-vetoed, -failover-abort-veto-timeout); a
 * paused master (params.failover_paused) never starts an automatic attempt; a switchover
 * (switchover.h) replaces SEND_SLAVEOF_NOONE and WAIT_PROMOTION by the node's FAILOVER TO.
 *
 * Abort is legal only up to WAIT_PROMOTION. After promotion the new configuration has won
 * (its config epoch is the failover epoch) and can only be superseded by a higher epoch.
 *
 * Departures from Redis, each keeping the safety rules (one leader per epoch, majority,
 * config epochs never decrease, only eligible replicas with the best offset are promoted):
 * - A random delay (0..max(election-spread, 10 x peer RTT)) before starting an attempt, so
 *   sentinels that reach ODOWN together rarely split the vote.
 * - Fast retry: when a voter names another candidate for the attempt's epoch (a split) or the
 *   missing votes cannot make a majority, the attempt aborts at once and retries in a new epoch
 *   after a fresh random delay (range doubled per lost round, twice at most; after 8 fast retries
 *   in a row, failover-timeout), instead of Redis's 2 x failover-timeout. After voting for
 *   someone else, or seeing another candidate win, a sentinel waits failover-timeout (Redis:
 *   2 x) before trying itself, so a live leader is not raced. Epochs are only ever incremented;
 *   votes stay one per epoch.
 * - SELECT_SLAVE first asks every candidate for a fresh INFO (bounded wait), so offsets are
 *   current when ranking; then (promotion-quorum, docs/sentinel-protocol.md#promotion-quorum)
 *   it waits, up to failover-timeout, until enough replicas reported an offset since the
 *   attempt started and the best candidate holds the highest of them, else aborts with
 *   -failover-abort-no-good-slave; a master that answers again meanwhile ends the wait with
 *   -failover-abort-master-back (it may have taken writes the offsets do not show).
 * - Promotion is seen from an INFO pipelined right after EXEC instead of the next INFO period.
 * - WAIT_PROMOTION aborts if a config epoch >= ours was adopted meanwhile, so a promotion can
 *   never lower the config epoch.
 */
#ifndef VIGIL_SENTINEL_FAILOVER_H
#define VIGIL_SENTINEL_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "sentinel/core/instance.h"

struct sentinel;

/* Start an attempt: new epoch, WAIT_START, vote requests (unless forced). */
void failover_start(struct sentinel *s, struct instance *master, bool forced, int64_t now_ms);
/* Decide whether an ODOWN master should start an attempt now (jitter, back-off). */
bool failover_should_start(struct sentinel *s, struct instance *master, int64_t now_ms);
/* Run one step of the state machine. */
void failover_step(struct sentinel *s, struct instance *master, int64_t now_ms);
/* Abort (legal up to WAIT_PROMOTION) with the given event, e.g.
 * "-failover-abort-no-good-slave". */
void failover_abort(struct sentinel *s, struct instance *master, const char *event, int64_t now_ms);
/* Why the attempt is being aborted, in words, for operators (log, /v1/operations, vigilctl);
 * call just before emitting the -failover-abort-* event. */
void failover_note_abort(struct sentinel *s, struct instance *master, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Observation: replica ri answered INFO (the tick's reaction, never in TILT). Advances its
 * reconfiguration flags; only failover.c writes the SRI_RECONF_* and SRI_PROMOTED flags. */
void failover_on_replica_info(struct sentinel *s, struct instance *ri);
/* Clear the failover record without events (before an address switch or RESET: the caller's
 * job, master_switch.c never changes failover state). */
void failover_clear(struct instance *master);
/* The randomized start of an attempt (docs/sentinel-protocol.md#leader-election): the range is
 * max(election-spread, FAILOVER_SPREAD_RTTS x the slowest peer round trip (at most down-after)),
 * doubled per round lost in a row up to FAILOVER_SPREAD_DOUBLINGS times; the delay is uniform in
 * 0..range. A lost round is retried at once (after that delay) FAILOVER_FAST_RETRIES times in a
 * row; the round lost after them makes the next attempt wait failover-timeout instead. */
#define FAILOVER_SPREAD_RTTS 10
#define FAILOVER_SPREAD_DOUBLINGS 2
#define FAILOVER_FAST_RETRIES 8
int64_t failover_spread_ms(const struct instance *master);
int64_t failover_jitter_ms(struct sentinel *s, const struct instance *master);

#endif
