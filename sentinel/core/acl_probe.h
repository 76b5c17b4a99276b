/* acl_probe: whether this sentinel's user may run what a failover needs on each data node
 * (docs/acl.md#the-sentinels-user).
 *
 * A failover reconfigures nodes with MULTI, SLAVEOF, CONFIG REWRITE, CLIENT KILL, EXEC and
 * reads them with INFO; hellos use PUBLISH and SUBSCRIBE. A user missing one of them is found
 * out in the middle of a failover, too late. So when the command link to a master or replica
 * comes up, and again for every `plan` request (which refreshes INFO too), the sentinel asks
 * the node `ACL DRYRUN <its user> <command> ...` for each, and remembers which are refused.
 * A replica whose user may not be reconfigured is never promoted (select.c), the log says
 * what is missing each time that changes, and `plan` (HTTP and vigilctl) names the missing
 * commands per node. A node that cannot answer (no ACL DRYRUN, or our user
 * may not run it) is noted as unverified, not refused: Redis 6 and restricted users are common.
 *
 * Pure glue over core_send; the replies come back by tag (observe.c). */
#ifndef VIGIL_SENTINEL_ACL_PROBE_H
#define VIGIL_SENTINEL_ACL_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentinel/core/env.h"

#define ACL_PROBE_COUNT 10
#define ACL_PROBE_VIGIL_LEASE 9 /* a vigil-store's only: redis-server does not know it */
/* Commands a promotion or a reconfiguration sends (bit i: acl_probe_labels[i]). */
#define ACL_PROBE_RECONFIG_MASK 0x1Fu

struct sentinel;
struct instance;

extern const char *const acl_probe_labels[ACL_PROBE_COUNT];

/* Send the probes on ri's command link (a master or a replica). */
void acl_probe_send(struct sentinel *s, struct instance *ri);
/* The reply to probe index i. */
void acl_probe_on_reply(struct sentinel *s, struct instance *ri, unsigned i,
                        const struct sentinel_reply *r);
/* "SLAVEOF, CONFIG REWRITE" into out: the commands ri refuses (empty: none known). */
void acl_probe_missing_text(const struct instance *ri, char *out, size_t cap);

#endif
