/* control: the operator's requests on a group, checked and turned into core actions: a
 * lossless switchover (HTTP POST .../switchover, SENTINEL FAILOVER <name> COORDINATED), fresh
 * INFO for health checks and plans, the maintenance pause (pause.c) and the pre-failover veto's
 * answer. A switchover request starts a failover attempt (failover_start) that failover.c then
 * runs, consulting switchover.c for its steps: control -> failover -> switchover, one way.
 * Must not: block, or change failover state other than through failover_start. */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/core/acl_probe.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/failover.h"
#include "sentinel/core/pause.h"
#include "sentinel/core/switchover.h"

/* ---- requests ------------------------------------------------------------------------------ */

/* The reason is "<prefix><arg><suffix>". */
static int set_why(char *why, size_t len, int code, const char *prefix, const char *arg,
                   const char *suffix)
{
    if (why && len) snprintf(why, len, "%s%s%s", prefix, arg ? arg : "", suffix);
    return code;
}

static int check_target(struct sentinel *s, struct instance *master, const char *host, int port,
                        int64_t now, char *why, size_t why_len)
{
    char key[INSTANCE_HOST_MAX + 16];
    if (host != NULL) {
        struct instance *r = instance_find_replica(master, host, port);
        instance_addr_key(key, sizeof(key), host, port);
        if (r == NULL)
            return set_why(why, why_len, SWITCHOVER_ETARGET, "", key, " is not a known replica");
        const char *unfit = switchover_unfit_reason(r, now, &s->periods);
        if (unfit == NULL) return 0;
        char msg[INSTANCE_HOST_MAX + 160];
        snprintf(msg, sizeof(msg), "%s cannot take over: %s", key, unfit);
        return set_why(why, why_len, SWITCHOVER_ETARGET, "", msg, "");
    }
    master->record->switchover.to_host[0] = '\0';
    if (switchover_pick_target(s, master, now) != NULL) return 0;
    return set_why(why, why_len, SWITCHOVER_ETARGET,
                   "no replica is fit to take over (see the plan)", NULL, "");
}

int sentinel_switchover(struct sentinel *s, const char *name, const char *to_host, int to_port,
                        int64_t timeout_ms, char *why, size_t why_len)
{
    struct instance *master = core_master_by_name(s, name);
    int64_t now = core_now(s);
    if (master == NULL)
        return set_why(why, why_len, SWITCHOVER_ENOENT, "no master named '", name, "'");
    if (s->tilt)
        return set_why(why, why_len, SWITCHOVER_ETILT, "this sentinel is in TILT", NULL, "");
    if (master->flags & SRI_FAILOVER_IN_PROGRESS)
        return set_why(why, why_len, SWITCHOVER_EBUSY, "a failover is already in progress", NULL,
                       "");
    if ((master->flags & (SRI_S_DOWN | SRI_O_DOWN)) || !master->link.is_cmd_connected ||
        master->role_reported != ROLE_MASTER)
        return set_why(why, why_len, SWITCHOVER_EDOWN,
                       "the master is down or not acting as a master: use a forced failover", NULL,
                       "");
    if (to_host != NULL && strlen(to_host) > INSTANCE_HOST_MAX)
        return set_why(why, why_len, SWITCHOVER_ETARGET, "target host too long", NULL, "");
    int rc = check_target(s, master, to_host, to_port, now, why, why_len);
    if (rc != 0) return rc;
    struct switchover_record *switchover = &master->record->switchover;
    memset(switchover, 0, sizeof(*switchover));
    switchover->is_active = true;
    if (to_host) {
        snprintf(switchover->to_host, sizeof(switchover->to_host), "%s", to_host);
        switchover->to_port = to_port;
    }
    if (timeout_ms <= 0) timeout_ms = SENTINEL_SWITCHOVER_DEFAULT_TIMEOUT_MS;
    switchover->timeout_ms = MIN(timeout_ms, (int64_t)SENTINEL_SWITCHOVER_MAX_TIMEOUT_MS);
    failover_start(s, master, false, now);
    char target[INSTANCE_HOST_MAX + 16] = "any";
    if (to_host) instance_addr_key(target, sizeof(target), to_host, to_port);
    notify_event(s, LOG_WARNING, "+switchover-requested", master, "#to %s timeout %lld", target,
                 (long long)switchover->timeout_ms);
    core_flush(s);
    return 0;
}

void sentinel_want_fresh_info(struct sentinel *s, const char *name, const char *host, int port,
                              int64_t max_age_ms)
{
    struct instance *master = core_master_by_name(s, name);
    struct instance *r = master ? instance_find_replica(master, host, port) : NULL;
    if (r == NULL) return;
    int64_t now = core_now(s), period = MAX(SENTINEL_FRESH_INFO_MIN_MS, max_age_ms / 2);
    if (now >= r->fresh_info_until_ms || period < r->fresh_info_period_ms)
        r->fresh_info_period_ms = period;
    r->fresh_info_until_ms = now + SENTINEL_FRESH_INFO_HOLD_MS;
    core_want_tick(s);
}

int64_t sentinel_refresh_info(struct sentinel *s, const char *name)
{
    struct instance *master = core_master_by_name(s, name);
    if (master == NULL) return -1;
    int64_t now = core_now(s);
    static const char *const argv[] = {"INFO"};
    if (!instance_is_disconnected(master)) acl_probe_send(s, master);
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        struct instance *r = master->record->replicas[i];
        if (instance_is_disconnected(r) || (r->flags & SRI_S_DOWN)) continue;
        acl_probe_send(s, r); /* answered before the INFO the plan waits for */
        if (core_send(s, r, 1, argv, TAG_INFO) == 0) r->info_sent_ms = now;
    }
    return now;
}

/* ---- pause and veto ------------------------------------------------------------------------ */

int sentinel_set_paused(struct sentinel *s, const char *name, bool paused)
{
    struct instance *master = core_master_by_name(s, name);
    if (master == NULL) return -1;
    int told = pause_set_local(s, master, paused);
    core_flush(s);
    return told;
}

void sentinel_set_veto_hook(struct sentinel *s, sentinel_veto_fn fn, void *ctx)
{
    s->veto_fn = fn;
    s->veto_ctx = ctx;
}

void sentinel_veto_answer(struct sentinel *s, const char *name, uint64_t epoch, bool approved,
                          const char *why)
{
    struct instance *master = core_master_by_name(s, name);
    if (master == NULL || master->record->veto != VETO_PENDING ||
        master->record->failover_epoch != epoch)
        return;
    master->record->veto = approved ? VETO_APPROVED : VETO_REJECTED;
    snprintf(master->record->veto_why, sizeof(master->record->veto_why), "%s", why ? why : "");
    core_want_tick(s);
}
