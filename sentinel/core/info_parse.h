/* info_parse: a pure parser of an INFO reply into the fields a sentinel uses
 * (docs/sentinel-protocol.md#info-parsing).
 *
 * It reads both Redis 7's INFO and vigil-store's (same field names). Lines are split on "\n"
 * with an optional "\r" removed; section headers and unknown lines are skipped. As in Redis, the
 * replica-side fields (master_host, master_port, master_link_status, slave_priority,
 * slave_repl_offset, replica_announced) only count after a `role:slave` line, and only
 * `role:master` / `role:slave` are recognised. Bad numbers leave a field unset instead of failing
 * the parse: a half-broken INFO must never crash or poison the sentinel.
 * Bounded: at most INFO_MAX_REPLICAS `slaveN:` entries are kept, host strings are truncated at
 * INFO_HOST_MAX. The parser never allocates and never changes anything but *out.
 */
#ifndef VIGIL_SENTINEL_INFO_PARSE_H
#define VIGIL_SENTINEL_INFO_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentinel/core/instance.h"

#define INFO_MAX_REPLICAS 128
#define INFO_HOST_MAX 255

struct info_replica_entry {
    char ip[INFO_HOST_MAX + 1];
    int port;
};

/* A node's own FAILOVER command (Redis 6.2 `master_failover_state`). */
enum info_failover_state {
    INFO_FO_UNKNOWN = 0, /* field absent (older Redis) */
    INFO_FO_NONE,        /* no-failover */
    INFO_FO_WAIT_SYNC,   /* waiting-for-sync: writes paused, waiting for the target's ACK */
    INFO_FO_IN_PROGRESS, /* failover-in-progress: handing over to the target */
};

struct info_parsed {
    bool has_run_id;
    char run_id[SENTINEL_RUNID_LEN + 1];
    /* Replication history: the node's replication id and the one it continues (40 characters,
     * "" when absent). */
    char replid[SENTINEL_RUNID_LEN + 1];
    char replid2[SENTINEL_RUNID_LEN + 1];
    enum instance_role role; /* ROLE_UNKNOWN if no recognised role line */
    bool has_master_host;
    char master_host[INFO_HOST_MAX + 1];
    bool has_master_port;
    int master_port;
    bool has_link_status;
    bool master_link_up;
    int64_t master_link_down_ms; /* 0 when absent ("link up"); -1 s in INFO gives -1000 */
    bool has_slave_priority;
    int slave_priority;
    bool has_slave_repl_offset;
    long long slave_repl_offset;
    bool has_replica_announced;
    bool replica_announced;
    bool has_master_repl_offset;
    long long master_repl_offset;
    /* A promoted node's offset + 1 at its promotion (where its own stream starts); 0 absent,
     * -1 (Redis) when it never was promoted. */
    long long second_repl_offset;
    bool loading;
    bool has_failover_state;
    enum info_failover_state failover_state;
    size_t n_replicas; /* slaveN: lines (only meaningful when role is master) */
    size_t n_replicas_dropped;
    struct info_replica_entry replicas[INFO_MAX_REPLICAS];
};

/* Parse `len` bytes of INFO text. Always succeeds (returns 0); absent fields stay unset. */
int info_parse(const char *text, size_t len, struct info_parsed *out);

/* Parse one `slaveN:` value ("ip=..,port=..,..." or the old "ip,port,state"). 0 or -1. */
int info_parse_replica_line(const char *val, size_t len, struct info_replica_entry *out);

#endif
