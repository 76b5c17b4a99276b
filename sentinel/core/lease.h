/* lease: the sentinel's side of the master lease (docs/sentinel-protocol.md#master-lease).
 *
 * A vigil-store with `master-lease yes` takes reads and writes as master only while enough of
 * its sentinels renewed a lease on it (store/lease.h). This module decides when and whether this
 * sentinel renews, with VIGIL LEASE <group> <our-runid> <anchor-ms> <lease-ms> <needed>
 * <config-epoch>, and reads the node's answer. The timing rule that makes it safe: anchor-ms is
 * the node's own clock from its reply to our previous renewal on this link, and that reply counts
 * as proof that the node was up (it restarts the SDOWN clock exactly as a PING reply does), so we
 * cannot judge the node SDOWN before anchor + down-after, while the lease ends at anchor +
 * down-after - margin. A master holding `needed` >= known sentinels - quorum + 1 valid leases
 * therefore cannot be ODOWN anywhere; and since `needed` is also a majority and a sentinel renews
 * a new master only once every lease it sent to the previous one ended (or that node reported
 * the replica role, which drops its leases), two masters never hold enough leases at once.
 *
 * Pure arithmetic first (fake-clock tested), then the core's glue. Never renews a node that is
 * not the master of our current config epoch (or the replica our own failover promoted), in TILT,
 * with a stale view of the group, or for a failover epoch we voted in recently; never sends to a
 * node that answered "unknown command" (a Redis server) except once per
 * LEASE_UNSUPPORTED_RETRY_MS.
 */
#ifndef VIGIL_SENTINEL_LEASE_H
#define VIGIL_SENTINEL_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentinel/core/env.h"
#include "sentinel/core/instance.h"
#include "sentinel/core/monitor.h"

#define LEASE_MIN_MARGIN_MS 50
#define LEASE_MIN_RENEW_MS 10
#define LEASE_UNSUPPORTED_RETRY_MS 60000

struct sentinel;

/* Leases a master needs: known (this sentinel included) - quorum + 1, so that no quorum of SDOWN
 * sentinels can exist, and at least a majority of the known, so that two masters can never
 * both hold enough (two majorities share a sentinel, and a sentinel renews a new master only
 * once its lease on the old one ended). */
unsigned lease_needed(size_t known_sentinels, int quorum);
/* The margin: margin_ms if > 0, else max(down-after / 5, LEASE_MIN_MARGIN_MS). */
int64_t lease_margin_ms(int64_t down_after_ms, int64_t margin_ms);
/* down-after - margin; <= 0 means down-after is too short to lease (no renewal is sent). */
int64_t lease_duration_ms(int64_t down_after_ms, int64_t margin_ms);
/* min(lease-period, down-after / 4), at least LEASE_MIN_RENEW_MS. */
int64_t lease_renew_interval_ms(const struct sentinel_periods *periods, int64_t down_after_ms);
/* A renewal is due: none in flight (or the one in flight is older than the interval), and
 * either no anchor yet on this link (fetch the clock at once) or the interval passed. */
bool lease_renew_due(const struct instance_lease *l, int64_t now_ms, int64_t interval_ms);

/* The node to renew for this master and the config epoch to send, or NULL. */
struct instance *lease_target(struct instance *master, uint64_t *epoch);
/* Why this sentinel may not renew for this master now, or NULL if it may. */
const char *lease_blocked_reason(const struct sentinel *s, const struct instance *master,
                                 const struct instance *target, int64_t now_ms);

/* The tick's part: send a renewal for this master if one is due and allowed. */
void lease_tick(struct sentinel *s, struct instance *master, int64_t now_ms);
/* A reply to VIGIL LEASE from ri. */
void lease_on_reply(struct sentinel *s, struct instance *ri, const struct sentinel_reply *r,
                    int64_t now_ms);
/* The address switch is about to replace master's node: remember until when a lease we sent
 * to the old node may be valid, so the new one is not renewed before (see lease_blocked_reason). */
void lease_on_switch(struct instance *master, int64_t now_ms);
/* The command link to ri (re)connected: its anchor may belong to another process or host. */
void lease_on_link_up(struct instance *ri);
/* Forget everything about ri's lease (address switch, reset). */
void lease_reset(struct instance *ri);

#endif
