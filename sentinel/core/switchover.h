/* switchover: the lossless manual failover (HTTP POST .../switchover, SENTINEL FAILOVER <name>
 * COORDINATED), built on the node's own FAILOVER command (Redis 6.2 semantics, also in
 * vigil-store). The request is checked and started in control.c; failover.c consults this
 * module for the steps below (one way: nothing here calls failover.c).
 *
 * A switchover is a failover attempt (failover.h) with `record->switchover.is_active` set. It
 * shares the election, the fresh INFO round, the veto, the replica reconfiguration and the address
 * switch; it differs in three places:
 *
 *   WAIT_START          vote requests go out although the master is not SDOWN (a switchover is
 *        |              authorised by a majority exactly like a failover: one leader per epoch)
 *        v
 *   SELECT_SLAVE        the requested target (or the best replica) must be eligible AND
 *        |              replicating from the current master with its link up
 *        v
 *   SEND_SLAVEOF_NOONE  instead of SLAVEOF NO ONE to the replica, the MASTER gets
 *        |                FAILOVER TO <target-ip> <target-port> TIMEOUT <timeout_ms>
 *        |              (+switchover-failover-to); the node pauses writes, waits until the
 *        |              target acknowledged its exact offset, becomes the target's replica and
 *        |              makes the target a master with PSYNC FAILOVER
 *        v
 *   WAIT_PROMOTION      INFO of the target and the master every SWITCHOVER_POLL_MS:
 *        |  target reports role:master (after the request) ------------> RECONF_SLAVES ...
 *        |  node answered an error ----------------> -failover-abort-switchover-refused
 *        |  master reports role:master + no-failover after +OK (the node gave up and
 *        |    resumed writes) -------------------------> -failover-abort-switchover-timeout
 *        |  timeout_ms + SWITCHOVER_GRACE_MS without either: FAILOVER ABORT to the master,
 *        +------------------------------------------------> -failover-abort-switchover-timeout
 *
 * Safety: writes on the old master are paused from FAILOVER until it is a replica, and the
 * target is promoted only at the master's exact offset, so no acknowledged write is lost and
 * the old master continues with a partial resync. The configuration still wins only through
 * the epoch this leader was elected in (RECONF_SLAVES sets config_epoch = failover_epoch).
 * If an ABORT races with a node that already handed over, the target may briefly be a second
 * master that no sentinel announces (it holds no writes: clients were never pointed at it);
 * +convert-to-slave turns it back into a replica (docs/sentinel-protocol.md#info-reactions).
 * Must not: change failover_state (failover.c does), or block.
 */
#ifndef VIGIL_SENTINEL_SWITCHOVER_H
#define VIGIL_SENTINEL_SWITCHOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "sentinel/core/env.h"
#include "sentinel/core/instance.h"
#include "sentinel/core/monitor.h"

struct sentinel;

#define SWITCHOVER_POLL_MS 10    /* INFO cadence for target and master while handing over */
#define SWITCHOVER_GRACE_MS 1000 /* wait this long past the node's timeout before ABORT */

/* Is r fit to take over by switchover? NULL when fit, else the reason (static text). */
const char *switchover_unfit_reason(const struct instance *r, int64_t now_ms,
                                    const struct sentinel_periods *periods);
/* SELECT_SLAVE for a switchover: the requested target if fit, else (none requested) the best
 * fit replica in select.h's order; NULL when nothing is fit. */
struct instance *switchover_pick_target(struct sentinel *s, struct instance *master,
                                        int64_t now_ms);
/* SEND_SLAVEOF_NOONE and WAIT_PROMOTION of a switchover; return the next state. */
enum failover_state switchover_step_send(struct sentinel *s, struct instance *master,
                                         int64_t now_ms);
enum failover_state switchover_step_wait(struct sentinel *s, struct instance *master,
                                         int64_t now_ms);

/* Observations (observe.c): the reply to FAILOVER TO, and a fresh INFO of a master. */
void switchover_on_reply(struct sentinel *s, struct instance *master,
                         const struct sentinel_reply *r);
void switchover_on_master_info(struct instance *master);

#endif
