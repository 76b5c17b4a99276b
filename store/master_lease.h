/* master_lease: fencing of a master by its sentinels' leases (docs/replication.md#master-lease).
 * The VIGIL LEASE command that sentinels renew with, the gate that refuses commands on a fenced
 * master (`master-lease yes`), the INFO fields. The arithmetic is store/lease.c (pure); this file
 * adds the clock, the config and the replies. */
#ifndef VIGIL_STORE_MASTER_LEASE_H
#define VIGIL_STORE_MASTER_LEASE_H

#include <stdbool.h>

#include "common/buf.h"

struct server;
struct client;
struct command;

struct master_lease *master_lease_create(void);
void master_lease_destroy(struct master_lease *ml);
/* The node became a replica: its leases end. */
void master_lease_on_replica(struct server *srv);
/* With master-lease yes, a master holding fewer than `needed` valid leases: refuses the command
 * with -READONLY when it may write or read data (anything but CMD_STALE commands) and returns
 * true. */
bool master_lease_refuses(struct client *c, const struct command *cmd, bool may_write);
/* INFO replication's master_lease* fields. */
void master_lease_info(struct server *srv, struct buf *o);

#endif
