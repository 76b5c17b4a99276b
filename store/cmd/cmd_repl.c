/* cmd_repl: the replication commands: REPLICAOF / SLAVEOF, REPLCONF, PSYNC, SYNC, WAIT, ROLE and
 * FAILOVER. Argument checking and replies follow Redis 7 to the byte
 * (docs/replication.md#role-commands, #psync, #wait and #failover-command); the work is done by
 * repl.c, repl_master.c and repl_failover.c. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/command.h"
#include "store/repl/repl_int.h"
#include "store/reply.h"

/* ---- REPLICAOF / SLAVEOF ----------------------------------------------------------------------
 */

static void cmd_replicaof(struct client *c)
{
    struct server *srv = c->srv;
    struct repl *r = srv->repl;
    if (r->failover.state != FO_NONE) {
        reply_error(c, "ERR REPLICAOF not allowed while failing over.");
        return;
    }
    if (arg_is(&c->argv[1], "no") && arg_is(&c->argv[2], "one")) {
        if (r->link) {
            repl_unset_master(srv);
            log_notice("MASTER MODE enabled (user request from '%s')", c->conn.addr);
        }
        repl_end_awaiting_role(srv, "REPLICAOF NO ONE");
        reply_ok(c);
        return;
    }
    if (c->flags & CLIENT_REPLICA) {
        reply_error(c, "ERR Command is not valid when client is a replica.");
        return;
    }
    long long port;
    if (util_parse_ll(c->argv[2].ptr, c->argv[2].len, &port) != 0 || port < 0 || port > 65535) {
        reply_error(c, "ERR Invalid master port");
        return;
    }
    char host[REPL_HOST_LEN];
    if (c->argv[1].len >= sizeof host || memchr(c->argv[1].ptr, '\0', c->argv[1].len)) {
        reply_error(c, "ERR Invalid master host");
        return;
    }
    memcpy(host, c->argv[1].ptr, c->argv[1].len);
    host[c->argv[1].len] = '\0';
    if (repl_set_master(srv, host, (int)port) == 1) {
        /* Naming the master again is how an operator accepts a full sync we refused. */
        repl_link_accept_next_fullsync(r->link);
        log_notice("REPLICAOF names the master we already follow: its next full sync will be "
                   "accepted even if it is behind us.");
        reply_simple(c, "OK Already connected to specified master");
        return;
    }
    log_notice("REPLICAOF %s:%d enabled (user request from '%s')", host, (int)port, c->conn.addr);
    reply_ok(c);
}

/* ---- REPLCONF ------------------------------------------------------------------------------- */

/* A replica speaking nonsense is dropped (its replies would be swallowed anyway); any other
 * client gets the error. */
static void replconf_reject(struct client *c, const char *msg)
{
    if (c->flags & CLIENT_REPLICA) {
        log_warning("Replica %s sent a bad REPLCONF (%s): disconnecting it", c->conn.addr, msg);
        client_close_async(c);
        return;
    }
    reply_error(c, msg);
}

/* REPLCONF ACK / GETACK: never replied to. Returns true if the command was one of them. */
static bool replconf_ack(struct client *c)
{
    struct repl *r = c->srv->repl;
    const struct resp_arg *opt = &c->argv[1];
    if (arg_is(opt, "getack")) {
        if (c == r->master) r->is_ack_after_command = true; /* once this command counts */
        return true;
    }
    if (!arg_is(opt, "ack")) return false;
    if (!(c->flags & CLIENT_REPLICA) || !c->replica) return true;
    long long off;
    if (util_parse_ll(c->argv[2].ptr, c->argv[2].len, &off) != 0) {
        replconf_reject(c, ERR_NOT_INT);
        return true;
    }
    long long fack;
    if (c->argc >= 5 && arg_is(&c->argv[3], "fack") &&
        util_parse_ll(c->argv[4].ptr, c->argv[4].len, &fack) == 0 && fack > c->replica->fack_off)
        c->replica->fack_off = fack;
    repl_replica_on_ack(r, c->replica, off);
    return true;
}

static void cmd_replconf(struct client *c)
{
    if (c->argc % 2 == 0) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc >= 3 && replconf_ack(c)) return;
    for (size_t j = 1; j + 1 < c->argc; j += 2) {
        const struct resp_arg *opt = &c->argv[j], *val = &c->argv[j + 1];
        if (arg_is(opt, "listening-port")) {
            long long port;
            if (util_parse_ll(val->ptr, val->len, &port) != 0 || port < 0 || port > 65535) {
                replconf_reject(c, ERR_NOT_INT);
                return;
            }
            repl_replica_info(c)->listening_port = (int)port;
        } else if (arg_is(opt, "ip-address")) {
            struct replica_info *ri = repl_replica_info(c);
            if (val->len >= sizeof ri->announced_ip || memchr(val->ptr, '\0', val->len)) {
                reply_errorf(
                    c,
                    "ERR REPLCONF ip-address provided by replica instance is too long: %zu bytes",
                    val->len);
                return;
            }
            memcpy(ri->announced_ip, val->ptr, val->len);
            ri->announced_ip[val->len] = '\0';
        } else if (arg_is(opt, "capa")) {
            if (arg_is(val, "eof"))
                repl_replica_info(c)->capa_eof = true;
            else if (arg_is(val, "psync2"))
                repl_replica_info(c)->capa_psync2 = true;
            /* unknown capabilities are ignored: the replica may be newer than us */
        } else if (arg_is(opt, "rdb-only") || arg_is(opt, "rdb-filter-only") ||
                   arg_is(opt, "version")) {
            /* accepted for compatibility; we always send the full snapshot and stream */
        } else {
            char msg[200];
            snprintf(msg, sizeof msg, "ERR Unrecognized REPLCONF option: %.*s",
                     (int)MIN(opt->len, 128), opt->ptr);
            replconf_reject(c, msg);
            return;
        }
    }
    reply_ok(c);
}

/* ---- PSYNC / SYNC ---------------------------------------------------------------------------- */

static void cmd_sync(struct client *c) { repl_master_sync_command(c); }

/* ---- WAIT --------------------------------------------------------------------------------------
 */

int repl_wait_parse_timeout(struct client *c, const struct resp_arg *arg, long long *timeout_ms)
{
    if (util_parse_ll(arg->ptr, arg->len, timeout_ms) != 0) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return -1;
    }
    if (*timeout_ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return -1;
    }
    return 0;
}

void repl_wait_or_block(struct client *c, bool is_satisfied, long long timeout_ms, bool want_getack,
                        void (*reply)(struct client *c))
{
    struct server *srv = c->srv;
    bool retry = blocking_is_retry(c);
    bool cannot_block = srv->call_depth > 1 && !retry; /* inside EXEC */
    if (is_satisfied || cannot_block) {
        reply(c);
        return;
    }
    int64_t deadline = timeout_ms > 0 ? loop_now_ms(srv->loop) + timeout_ms : 0;
    blocking_block(c, NULL, 0, deadline, reply);
    /* one GETACK before sleeping, for all waiters */
    if (!retry && want_getack) srv->repl->is_getack_wanted = true;
}

static int wait_parse(struct client *c, long long *numreplicas, long long *timeout_ms)
{
    if (util_parse_ll(c->argv[1].ptr, c->argv[1].len, numreplicas) != 0) {
        reply_error(c, ERR_NOT_INT);
        return -1;
    }
    return repl_wait_parse_timeout(c, &c->argv[2], timeout_ms);
}

static void wait_reply(struct client *c)
{
    reply_integer(c, (long long)repl_count_acked(c->srv->repl, c->woff));
}

static void cmd_wait(struct client *c)
{
    struct server *srv = c->srv;
    struct repl *r = srv->repl;
    if (r->link) {
        reply_error(c, "ERR WAIT cannot be used with replica instances. Please also note that "
                       "since Redis 4.0 if a replica is configured to be writable (which is not "
                       "the default) writes to replicas are just local and are not propagated.");
        return;
    }
    long long want, timeout_ms;
    if (wait_parse(c, &want, &timeout_ms) != 0) return;
    bool is_satisfied = (long long)repl_count_acked(r, c->woff) >= want;
    repl_wait_or_block(c, is_satisfied, timeout_ms, true, wait_reply);
}

/* ---- ROLE --------------------------------------------------------------------------------------
 */

static void cmd_role(struct client *c)
{
    struct repl *r = c->srv->repl;
    if (r->link) {
        reply_array(c, 5);
        reply_bulk_str(c, "slave");
        reply_bulk_str(c, repl_link_host(r->link));
        reply_integer(c, repl_link_port(r->link));
        reply_bulk_str(c, repl_link_role_state(r->link));
        reply_integer(c, r->master ? r->offset : -1);
        return;
    }
    size_t online = 0;
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) online += ri->state == RS_ONLINE;
    reply_array(c, 3);
    reply_bulk_str(c, "master");
    reply_integer(c, r->offset);
    reply_array(c, online);
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        if (ri->state != RS_ONLINE) continue;
        char ip[NET_IP_STRLEN];
        int port;
        if (ri->announced_ip[0])
            snprintf(ip, sizeof ip, "%s", ri->announced_ip);
        else if (net_peer_addr(ri->client->conn.fd, ip, sizeof ip, &port) != 0)
            snprintf(ip, sizeof ip, "?");
        reply_array(c, 3);
        reply_bulk_str(c, ip);
        reply_bulk_ll(c, ri->listening_port);
        reply_bulk_ll(c, ri->ack_off);
    }
}

/* ---- FAILOVER ----------------------------------------------------------------------------------
 */

struct failover_args {
    const struct resp_arg *host;
    long long port, timeout_ms;
    bool is_force;
};

static int failover_parse(struct client *c, struct failover_args *a)
{
    memset(a, 0, sizeof *a);
    for (size_t j = 1; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "timeout") && j + 1 < c->argc && a->timeout_ms == 0) {
            if (util_parse_ll(c->argv[j + 1].ptr, c->argv[j + 1].len, &a->timeout_ms) != 0) {
                reply_error(c, ERR_NOT_INT);
                return -1;
            }
            if (a->timeout_ms <= 0) {
                reply_error(c, "ERR FAILOVER timeout must be greater than 0");
                return -1;
            }
            j++;
        } else if (arg_is(&c->argv[j], "to") && j + 2 < c->argc && !a->host) {
            if (util_parse_ll(c->argv[j + 2].ptr, c->argv[j + 2].len, &a->port) != 0) {
                reply_error(c, ERR_NOT_INT);
                return -1;
            }
            a->host = &c->argv[j + 1];
            j += 2;
        } else if (arg_is(&c->argv[j], "force") && !a->is_force) {
            a->is_force = true;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

static void cmd_failover(struct client *c)
{
    struct repl *r = c->srv->repl;
    if (c->argc == 2 && arg_is(&c->argv[1], "abort")) {
        if (r->failover.state == FO_NONE) {
            reply_error(c, "ERR No failover in progress.");
            return;
        }
        repl_failover_abort(r, "Failover manually aborted");
        reply_ok(c);
        return;
    }
    struct failover_args a;
    if (failover_parse(c, &a) != 0) return;
    if (r->failover.state != FO_NONE) {
        reply_error(c, "ERR FAILOVER already in progress.");
        return;
    }
    if (r->link) {
        reply_error(c, "ERR FAILOVER is not valid when server is a replica.");
        return;
    }
    if (r->nreplicas == 0) {
        reply_error(c, "ERR FAILOVER requires connected replicas.");
        return;
    }
    if (a.is_force && (!a.timeout_ms || !a.host)) {
        reply_error(
            c, "ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
        return;
    }
    char host[REPL_HOST_LEN] = "";
    if (a.host) {
        snprintf(host, sizeof host, "%.*s", (int)MIN(a.host->len, sizeof host - 1), a.host->ptr);
        struct replica_info *ri = repl_find_replica(r, host, (int)a.port);
        if (!ri) {
            reply_error(c, "ERR FAILOVER target HOST and PORT is not a replica.");
            return;
        }
        if (ri->state != RS_ONLINE) {
            reply_error(c, "ERR FAILOVER target replica is not online.");
            return;
        }
    }
    repl_failover_start(r, a.host ? host : NULL, (int)a.port, a.is_force, a.timeout_ms);
    reply_ok(c);
}

struct command cmd_table_repl[] = {
    {.name = "replicaof",
     .arity = 3,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE,
     .fn = cmd_replicaof,
     .group = "server",
     .summary = "Follow a master (host port), or stop following one (NO ONE)."},
    {.name = "slaveof",
     .arity = 3,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE,
     .fn = cmd_replicaof,
     .group = "server",
     .summary = "Old spelling of REPLICAOF."},
    {.name = "replconf",
     .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALLOW_BUSY,
     .fn = cmd_replconf,
     .group = "server",
     .summary = "Replica-to-master settings and acknowledgements (internal)."},
    {.name = "psync",
     .arity = -3,
     .flags = CMD_ADMIN | CMD_NOSCRIPT,
     .fn = cmd_sync,
     .group = "server",
     .summary = "Start replicating from an offset of a history (internal)."},
    {.name = "sync",
     .arity = 1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT,
     .fn = cmd_sync,
     .group = "server",
     .summary = "Full synchronization, old form (internal)."},
    {.name = "wait",
     .arity = 3,
     .flags = CMD_NOSCRIPT,
     .fn = cmd_wait,
     .group = "generic",
     .summary = "Wait until replicas acknowledged this connection's writes."},
    {.name = "role",
     .arity = 1,
     .flags = CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NOSCRIPT,
     .fn = cmd_role,
     .group = "server",
     .summary = "This node's role, offset and replicas (or master link)."},
    {.name = "failover",
     .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE,
     .fn = cmd_failover,
     .group = "server",
     .summary = "Hand the master role to a replica without losing writes."},
    {.name = NULL},
};
