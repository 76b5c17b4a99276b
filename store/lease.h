/* lease: the master lease arithmetic of vigil-store (docs/replication.md#master-lease). Pure: no
 * clock, no I/O, no server; every call takes `now_ms` (the store's monotonic clock), so the unit
 * tests drive it with a fake clock and the sentinel simulation (tests/sim) links it as is.
 *
 * A sentinel renews with (group, runid, anchor_ms, lease_ms, needed, config_epoch). anchor_ms is
 * a value of OUR clock that we returned to that sentinel earlier; the lease runs until
 * anchor_ms + lease_ms on our clock. Anchor 0 grants nothing (it only fetches our clock). A
 * renewal whose config epoch is older than the newest one seen for its group is ignored, and
 * leases of older epochs stop counting once a newer one is seen. The master may take writes
 * while at least `needed` distinct sentinels hold valid leases, `needed` being the largest value
 * sent (the safe side when sentinels disagree on the group's size) among the leases of the
 * current epochs that are valid or ended less than LEASE_NEEDED_MEMORY lease lengths ago: a
 * sentinel cut off from the master still holds the count up for a while, so a sentinel that
 * undercounts the group cannot alone keep the master writable.
 *
 * Invariants: at most LEASE_MAX_HOLDERS holders and LEASE_MAX_GROUPS groups (renewals beyond are
 * refused, never grown); a holder's expiry never moves back within one epoch.
 */
#ifndef VIGIL_STORE_LEASE_H
#define VIGIL_STORE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEASE_MAX_HOLDERS 32
#define LEASE_MAX_GROUPS 4
#define LEASE_NAME_MAX 64
#define LEASE_RUNID_MAX 40
#define LEASE_MAX_MS (3600LL * 1000) /* longer leases are refused: a typo must not pin a master */
#define LEASE_MAX_NEEDED 1000
#define LEASE_NEEDED_MEMORY 10

struct lease_holder {
    char runid[LEASE_RUNID_MAX + 1];
    int group; /* index into lease_table.groups */
    int64_t until_ms;
    int64_t lease_ms; /* of the last renewal: how long its `needed` is remembered */
    unsigned needed;
    uint64_t epoch;
};

struct lease_group {
    char name[LEASE_NAME_MAX + 1];
    uint64_t max_epoch;
};

struct lease_table {
    size_t n_holders, n_groups;
    struct lease_holder holders[LEASE_MAX_HOLDERS];
    struct lease_group groups[LEASE_MAX_GROUPS];
    unsigned last_needed; /* needed of the latest counted renewal: shown while no lease is valid */
    uint64_t renewals, ignored_stale;
};

struct lease_renewal {
    const char *group;
    const char *runid;
    int64_t anchor_ms;
    int64_t lease_ms;
    unsigned needed;
    uint64_t epoch;
};

enum lease_verdict {
    LEASE_GRANTED = 0,    /* recorded (a lease ending in the past counts as granted too) */
    LEASE_CLOCK_ONLY = 1, /* anchor 0: nothing granted */
    LEASE_STALE_EPOCH = 2,
    LEASE_BAD = -1, /* invalid values: errbuf says which */
    LEASE_FULL = -2,
};

struct lease_status {
    unsigned valid;        /* distinct sentinels holding a counted, unexpired lease */
    unsigned needed;       /* >= 1 */
    int64_t expires_in_ms; /* until the lease count drops below needed; 0 when it already has */
};

void lease_table_init(struct lease_table *t);
/* Forget every lease (the node became a replica: leases are a master's). */
void lease_table_clear(struct lease_table *t);
enum lease_verdict lease_renew(struct lease_table *t, const struct lease_renewal *r, int64_t now_ms,
                               char *errbuf, size_t errlen);
struct lease_status lease_status(const struct lease_table *t, int64_t now_ms);
/* valid >= needed */
bool lease_is_held(const struct lease_table *t, int64_t now_ms);

#endif
