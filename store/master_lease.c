/* master_lease: VIGIL LEASE, the fencing gate and INFO fields (see master_lease.h;
 * docs/replication.md#master-lease). The clock is read fresh (clock_mono_ms), never the loop's
 * cached time: a cached, older "now" would make a lease look valid after it ended. */
#include "store/master_lease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/reply.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/lease.h"
#include "store/server.h"

struct master_lease {
    struct lease_table table;
    uint64_t refusals; /* commands refused while fenced */
};

struct master_lease *master_lease_create(void)
{
    struct master_lease *ml = xcalloc(1, sizeof(*ml));
    lease_table_init(&ml->table);
    return ml;
}

void master_lease_destroy(struct master_lease *ml) { free(ml); }

void master_lease_on_replica(struct server *srv) { lease_table_clear(&srv->lease->table); }

static bool is_fenced(const struct server *srv, int64_t now_ms)
{
    return srv->cfg.master_lease && !server_is_replica(srv) &&
           !lease_is_held(&srv->lease->table, now_ms);
}

/* What a fenced master still runs: its control plane and replication (CMD_STALE, admin
 * commands) but nothing that reads or writes data. Scripts are flagged CMD_STALE (their own
 * commands are checked on a stale replica), but their commands skip this gate: EVAL and its
 * kin are refused here; SCRIPT (LOAD, EXISTS, FLUSH, KILL) touches no data and runs. */
static bool allowed_when_fenced(const struct command *cmd)
{
    if (cmd->group && strcmp(cmd->group, "scripting") == 0) return cmd->subcommands != NULL;
    return !(cmd->flags & CMD_WRITE) && (cmd->flags & (CMD_STALE | CMD_ADMIN)) != 0;
}

static bool exec_touches_data(const struct client *c, const struct command *cmd)
{
    if (!(c->flags & CLIENT_MULTI) || strcmp(cmd->name, "exec") != 0) return false;
    for (size_t i = 0; i < c->mcount; i++)
        if (!allowed_when_fenced(c->mstate[i].cmd)) return true;
    return false;
}

bool master_lease_refuses(struct client *c, const struct command *cmd, bool may_write)
{
    struct server *srv = c->srv;
    if (!srv->cfg.master_lease) return false;
    if (!may_write && allowed_when_fenced(cmd) && !exec_touches_data(c, cmd)) return false;
    int64_t now = clock_mono_ms();
    if (!is_fenced(srv, now)) return false;
    struct lease_status st = lease_status(&srv->lease->table, now);
    srv->lease->refusals++;
    reply_errorf(c,
                 "READONLY You can't write against a fenced master: fewer than %u of its "
                 "sentinels renewed its lease (docs/replication.md#master-lease)",
                 st.needed);
    return true;
}

/* VIGIL LEASE <group> <sentinel-runid> <anchor-ms> <lease-ms> <needed> <config-epoch> */
static bool parse_renewal(struct client *c, struct lease_renewal *r, char *group, char *runid)
{
    long long anchor, lease, needed, epoch;
    const struct resp_arg *a = c->argv;
    if (a[2].len > LEASE_NAME_MAX || a[3].len > LEASE_RUNID_MAX ||
        util_parse_ll(a[4].ptr, a[4].len, &anchor) != 0 ||
        util_parse_ll(a[5].ptr, a[5].len, &lease) != 0 ||
        util_parse_ll(a[6].ptr, a[6].len, &needed) != 0 ||
        util_parse_ll(a[7].ptr, a[7].len, &epoch) != 0 || needed < 0 || needed > LEASE_MAX_NEEDED ||
        epoch < 0 || memchr(a[2].ptr, '\0', a[2].len) || memchr(a[3].ptr, '\0', a[3].len)) {
        reply_error(c, "ERR syntax error: VIGIL LEASE <group> <sentinel-runid> <anchor-ms> "
                       "<lease-ms> <needed> <config-epoch>");
        return false;
    }
    memcpy(group, a[2].ptr, a[2].len);
    group[a[2].len] = '\0';
    memcpy(runid, a[3].ptr, a[3].len);
    runid[a[3].len] = '\0';
    *r = (struct lease_renewal){group, runid, anchor, lease, (unsigned)needed, (uint64_t)epoch};
    return true;
}

/* Reply: [our monotonic ms, valid leases, needed, fenced (1/0; 0 with master-lease no or as a
 * replica), verdict (0 granted, 1 clock only, 2 stale epoch ignored), master-lease (1 yes)]. */
static void vigil_lease(struct client *c)
{
    struct server *srv = c->srv;
    char group[LEASE_NAME_MAX + 1], runid[LEASE_RUNID_MAX + 1], err[128];
    struct lease_renewal r;
    if (!parse_renewal(c, &r, group, runid)) return;
    int64_t now = clock_mono_ms();
    enum lease_verdict v = server_is_replica(srv)
                               ? LEASE_CLOCK_ONLY /* a replica holds no lease */
                               : lease_renew(&srv->lease->table, &r, now, err, sizeof(err));
    if (v < 0) {
        reply_errorf(c, "ERR %s", err);
        return;
    }
    struct lease_status st = lease_status(&srv->lease->table, now);
    reply_array(c, 6);
    reply_integer(c, now);
    reply_integer(c, st.valid);
    reply_integer(c, st.needed);
    reply_integer(c, is_fenced(srv, now) ? 1 : 0);
    reply_integer(c, v);
    reply_integer(c, srv->cfg.master_lease ? 1 : 0);
}

static void vigil_help(struct client *c)
{
    static const char *const lines[] = {
        "VIGIL <subcommand> [<argument> ...], with <subcommand> one of:",
        "LEASE <group> <sentinel-runid> <anchor-ms> <lease-ms> <needed> <config-epoch>",
        "    Renew this sentinel's lease on this master until anchor-ms + lease-ms of this",
        "    node's monotonic clock (anchor-ms 0: only fetch the clock).",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command vigil_subs[] = {
    {.name = "lease", .arity = 8, .flags = CMD_LOADING | CMD_STALE | CMD_FAST, .fn = vigil_lease},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = vigil_help},
    {.name = NULL},
};

static void cmd_vigil(struct client *c) { command_dispatch_sub(c, vigil_subs, "vigil"); }

struct command cmd_table_vigil[] = {
    {.name = "vigil",
     .arity = -2,
     .flags = CMD_LOADING | CMD_STALE | CMD_NOSCRIPT,
     .fn = cmd_vigil,
     .subcommands = vigil_subs,
     .group = "server",
     .summary = "Vigil's own commands: master lease renewals from vigil-sentinel."},
    {.name = NULL},
};

void master_lease_info(struct server *srv, struct buf *o)
{
    int64_t now = clock_mono_ms();
    struct lease_status st = lease_status(&srv->lease->table, now);
    buf_printf(o,
               "vigil_master_lease:%s\r\nvigil_master_lease_valid:%u\r\n"
               "vigil_master_lease_needed:%u\r\nvigil_master_lease_fenced:%d\r\n"
               "vigil_master_lease_expires_in_ms:%lld\r\nvigil_master_lease_renewals:%llu\r\n"
               "vigil_master_lease_stale_ignored:%llu\r\nvigil_master_lease_refused_cmds:%llu\r\n",
               srv->cfg.master_lease ? "on" : "off", st.valid, st.needed,
               is_fenced(srv, now) ? 1 : 0, (long long)st.expires_in_ms,
               (unsigned long long)srv->lease->table.renewals,
               (unsigned long long)srv->lease->table.ignored_stale,
               (unsigned long long)srv->lease->refusals);
}
