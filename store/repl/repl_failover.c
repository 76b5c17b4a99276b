/* repl_failover: the master's side of FAILOVER (Redis 6.2 semantics), a coordinated switchover
 * that loses no acknowledged write:
 *
 *              FAILOVER [TO host port] [FORCE] [TIMEOUT ms]: writes paused, one GETACK
 *   +------+ -------------------------------------------------------> +-------------+
 *   | NONE |                                                          |  WAIT_SYNC  |
 *   +------+ <-- timeout without FORCE, or FAILOVER ABORT ----------- +-------------+
 *    ^    ^                                                              |       |
 *    |    |               the target's ACK reached our offset (with no   |       | timeout
 *    |    |               target named: any replica's), so the target    |       | with FORCE
 *    |    |               holds every write we acknowledged              v       v
 *    |    |                                                           +-------------+
 *    |    +--- PSYNC refused, timeout, or FAILOVER ABORT: back to --- | IN_PROGRESS |
 *    |         master (repl_unset_master)                             +-------------+
 *    |                                                                       |
 *    +--- our PSYNC FAILOVER accepted (the target promoted itself): ---------+
 *         we stay its replica
 *   Leaving either state resumes writes (server_unpause_clients in clear_state).
 *
 * Writes are held back from FAILOVER until the end (repl_writes_paused()), so the offset we wait
 * for cannot move. The target is the given replica, or any replica whose ACK reaches our offset.
 * Only this file changes failover.state; the link reports the PSYNC outcome and the cron polls
 * it. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "store/client.h"
#include "store/repl/repl_int.h"
#include "store/repl/repl_link.h"

const char *repl_failover_state_name(const struct repl *r)
{
    switch (r->failover.state) {
    case FO_WAIT_SYNC:
        return "waiting-for-sync";
    case FO_IN_PROGRESS:
        return "failover-in-progress";
    default:
        return "no-failover";
    }
}

static void replica_ip(const struct replica_info *ri, char *ip, size_t len)
{
    int port;
    if (ri->announced_ip[0])
        snprintf(ip, len, "%s", ri->announced_ip);
    else if (net_peer_addr(ri->client->conn.fd, ip, len, &port) != 0)
        snprintf(ip, len, "?");
}

struct replica_info *repl_find_replica(struct repl *r, const char *host, int port)
{
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        char ip[NET_IP_STRLEN];
        replica_ip(ri, ip, sizeof ip);
        if (ri->listening_port == port && strcasecmp(ip, host) == 0) return ri;
    }
    return NULL;
}

static void clear_state(struct repl *r)
{
    r->failover.state = FO_NONE;
    r->failover.host[0] = '\0';
    r->failover.port = 0;
    r->failover.is_force = false;
    r->failover.deadline_mono_ms = 0;
    if (r->link) repl_link_set_failover(r->link, false);
    server_unpause_clients(r->srv);
}

void repl_failover_abort(struct repl *r, const char *why)
{
    if (r->failover.state == FO_NONE) return;
    if (r->failover.host[0])
        log_notice("FAILOVER to %s:%d aborted: %s", r->failover.host, r->failover.port, why);
    else
        log_notice("FAILOVER to any replica aborted: %s", why);
    bool was_in_progress = r->failover.state == FO_IN_PROGRESS;
    clear_state(r);
    if (was_in_progress) repl_unset_master(r->srv);
}

int repl_failover_start(struct repl *r, const char *host, int port, bool is_force,
                        long long timeout_ms)
{
    struct server *srv = r->srv;
    r->failover.state = FO_WAIT_SYNC;
    r->failover.is_force = is_force;
    r->failover.deadline_mono_ms = timeout_ms > 0 ? loop_now_ms(srv->loop) + timeout_ms : 0;
    if (host) {
        snprintf(r->failover.host, sizeof r->failover.host, "%s", host);
        r->failover.port = port;
        log_notice("FAILOVER requested to %s:%d.", host, port);
    } else {
        r->failover.host[0] = '\0';
        log_notice("FAILOVER requested to any replica.");
    }
    r->is_getack_wanted = true; /* our replicas answer at once; others within a second */
    return 0;
}

static void go_in_progress(struct repl *r)
{
    char host[REPL_HOST_LEN];
    snprintf(host, sizeof host, "%s", r->failover.host);
    r->failover.state = FO_IN_PROGRESS;
    repl_set_master(r->srv, host, r->failover.port);
    if (r->link) repl_link_set_failover(r->link, true);
}

/* A replica whose ACK reached our offset (the target if one was named). */
static struct replica_info *synced_replica(struct repl *r)
{
    if (r->failover.host[0]) {
        struct replica_info *ri = repl_find_replica(r, r->failover.host, r->failover.port);
        return ri && ri->state == RS_ONLINE && ri->ack_off == r->offset ? ri : NULL;
    }
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->state == RS_ONLINE && ri->ack_off == r->offset) return ri;
    return NULL;
}

static void wait_sync_cron(struct repl *r, int64_t now)
{
    if (r->failover.deadline_mono_ms && now >= r->failover.deadline_mono_ms) {
        if (r->failover.is_force) {
            log_notice("FAILOVER to %s:%d time out exceeded, failing over.", r->failover.host,
                       r->failover.port);
            go_in_progress(r);
        } else {
            repl_failover_abort(r, "Replica never caught up before timeout");
        }
        return;
    }
    /* No further GETACKs: each one moves our offset, and a replica that answers GETACK with the
     * offset before it (Redis does) only catches up through its once-a-second ACK. */
    struct replica_info *ri = synced_replica(r);
    if (!ri) return;
    if (!r->failover.host[0]) {
        char ip[NET_IP_STRLEN];
        replica_ip(ri, ip, sizeof ip);
        snprintf(r->failover.host, sizeof r->failover.host, "%s", ip);
        r->failover.port = ri->listening_port;
    }
    log_notice("Failover target %s:%d is synced, failing over.", r->failover.host,
               r->failover.port);
    go_in_progress(r);
}

void repl_failover_cron(struct repl *r, int64_t now)
{
    switch (r->failover.state) {
    case FO_WAIT_SYNC:
        wait_sync_cron(r, now);
        break;
    case FO_IN_PROGRESS: {
        int result = r->link ? repl_link_failover_result(r->link) : -1;
        if (result > 0) {
            log_notice("FAILOVER to %s:%d completed.", r->failover.host, r->failover.port);
            clear_state(r);
        } else if (result < 0) {
            repl_failover_abort(r, "Failover target rejected psync request");
        } else if (r->failover.deadline_mono_ms && now >= r->failover.deadline_mono_ms) {
            repl_failover_abort(r, "Failover target was unreachable");
        }
        break;
    }
    default:
        break;
    }
}
