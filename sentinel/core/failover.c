/* failover: the state machine of docs/sentinel-protocol.md#failover (diagram and departures in
 * failover.h). One function per state returns the next state; failover_transition() checks the
 * edge, logs it, runs the entry actions and emits the events. Nothing else assigns failover_state.
 */
#include "sentinel/core/failover.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/election.h"
#include "sentinel/core/select.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/switchover.h"

/* Legal edges: bit `to` set in legal_edges[from]. */
#define E(st) (1u << (st))
static const unsigned legal_edges[] = {
    [FAILOVER_NONE] = E(FAILOVER_WAIT_START),
    [FAILOVER_WAIT_START] = E(FAILOVER_SELECT_SLAVE) | E(FAILOVER_NONE),
    [FAILOVER_SELECT_SLAVE] = E(FAILOVER_SEND_SLAVEOF_NOONE) | E(FAILOVER_NONE),
    [FAILOVER_SEND_SLAVEOF_NOONE] = E(FAILOVER_WAIT_PROMOTION) | E(FAILOVER_NONE),
    [FAILOVER_WAIT_PROMOTION] = E(FAILOVER_RECONF_SLAVES) | E(FAILOVER_NONE),
    [FAILOVER_RECONF_SLAVES] = E(FAILOVER_UPDATE_CONFIG),
    [FAILOVER_UPDATE_CONFIG] = 0, /* left only through the address switch (failover_clear) */
};

static int64_t max_peer_rtt(const struct instance *master)
{
    int64_t rtt = 0;
    for (size_t i = 0; i < master->record->n_sentinels; i++)
        rtt = MAX(rtt, master->record->sentinels[i]->rtt_ms);
    return rtt;
}

/* The range over which the start of an attempt is randomized
 * (docs/sentinel-protocol.md#leader-election), as Raft's election timeouts: two sentinels that see
 * the master down together collide only when they start within about one network delay of each
 * other, so the range must be many round trips wide. It is the larger of election-spread (the
 * floor, 100 ms by default) and FAILOVER_SPREAD_RTTS x the slowest measured peer round trip, the
 * latter capped by down-after (a slow or mismeasured peer must not delay a failover past it); each
 * round lost in a row doubles it, at most FAILOVER_SPREAD_DOUBLINGS times. */
int64_t failover_spread_ms(const struct instance *master)
{
    const struct master_record *record = master->record;
    int64_t floor = MAX(record->params.election_spread_ms, (int64_t)1);
    int64_t measured =
        MIN(FAILOVER_SPREAD_RTTS * max_peer_rtt(master), record->params.down_after_ms);
    return MAX(floor, measured) << MIN(record->lost_rounds, FAILOVER_SPREAD_DOUBLINGS);
}

int64_t failover_jitter_ms(struct sentinel *s, const struct instance *master)
{
    return (int64_t)core_random_below(s, (uint64_t)failover_spread_ms(master) + 1);
}

void failover_clear(struct instance *master)
{
    struct master_record *record = master->record;
    master->flags &= ~(SRI_FAILOVER_IN_PROGRESS | SRI_FORCE_FAILOVER);
    if (record->promoted) record->promoted->flags &= ~SRI_PROMOTED;
    for (size_t i = 0; i < record->n_replicas; i++)
        record->replicas[i]->flags &= ~(SRI_RECONF_SENT | SRI_RECONF_INPROG | SRI_RECONF_DONE);
    record->promoted = NULL;
    record->failover_state = FAILOVER_NONE;
    record->select_info_ms = 0;
    record->failover_pending_ms = 0;
    memset(&record->switchover, 0, sizeof(record->switchover));
    record->veto = VETO_NONE;
    record->veto_asked_ms = 0;
    record->is_quorum_wait_logged = false;
}

/* Entry action of SEND_SLAVEOF_NOONE: ask the pre-failover hook, if any (the step waits). */
static void ask_veto(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    if (s->veto_fn == NULL || record->promoted == NULL) return;
    record->veto = VETO_PENDING;
    record->veto_asked_ms = now_ms;
    struct sentinel_veto_request req = {
        .master = master->name,
        .epoch = record->failover_epoch,
        .kind = sentinel_failover_kind(master),
        .old_host = master->host,
        .old_port = master->port,
        .new_host = record->promoted->host,
        .new_port = record->promoted->port,
    };
    s->veto_fn(s->veto_ctx, &req);
}

static void run_reconfig_script(struct sentinel *s, struct instance *master)
{
    const char *path = master->record->params.client_reconfig_script;
    struct instance *promoted = master->record->promoted;
    if (path == NULL || s->env.run_script == NULL || promoted == NULL) return;
    char oport[16], nport[16];
    snprintf(oport, sizeof(oport), "%d", master->port);
    snprintf(nport, sizeof(nport), "%d", promoted->port);
    bool names = s->opt.announce_hostnames;
    const char *argv[] = {master->name, "leader",
                          "start",      instance_announced_host(master, names),
                          oport,        instance_announced_host(promoted, names),
                          nport};
    s->env.run_script(s->env.ctx, path, 7, argv);
}

static void enter_state(struct sentinel *s, struct instance *master, enum failover_state to,
                        int64_t now_ms)
{
    struct master_record *record = master->record;
    switch (to) {
    case FAILOVER_NONE:
        /* An attempt that never sent its promotion will never promote (a new attempt takes a
         * new epoch): its voters may renew the master's lease again at once, instead of
         * keeping a healthy master fenced for failover-timeout. */
        if (!record->is_promotion_sent) core_release_votes(s, master);
        failover_clear(master);
        break;
    case FAILOVER_WAIT_START:
        core_ask_peers(s, master, true, now_ms);
        break;
    case FAILOVER_SELECT_SLAVE:
        notify_event(s, LOG_WARNING, "+elected-leader", master, NULL);
        notify_event(s, LOG_NOTICE, "+failover-state-select-slave", master, NULL);
        record->select_info_ms = 0;
        if (s->simfail_flags & SIMFAIL_CRASH_AFTER_ELECTION) core_simulate_crash(s);
        break;
    case FAILOVER_SEND_SLAVEOF_NOONE:
        notify_event(s, LOG_WARNING, "+selected-slave", record->promoted, NULL);
        notify_event(s, LOG_NOTICE, "+failover-state-send-slaveof-noone", record->promoted, NULL);
        ask_veto(s, master, now_ms);
        break;
    case FAILOVER_WAIT_PROMOTION:
        notify_event(s, LOG_NOTICE, "+failover-state-wait-promotion", record->promoted, NULL);
        break;
    case FAILOVER_RECONF_SLAVES:
        /* The moment the new configuration wins: it carries the attempt's epoch. */
        record->config_epoch = record->failover_epoch;
        core_persist_now(s);
        notify_event(s, LOG_WARNING, "+promoted-slave", record->promoted, NULL);
        notify_event(s, LOG_NOTICE, "+failover-state-reconf-slaves", master, NULL);
        run_reconfig_script(s, master);
        core_force_hello(s, master);
        if (s->simfail_flags & SIMFAIL_CRASH_AFTER_PROMOTION) core_simulate_crash(s);
        break;
    case FAILOVER_UPDATE_CONFIG:
        notify_event(s, LOG_WARNING, "+failover-end", master, NULL);
        break;
    }
}

static void failover_transition(struct sentinel *s, struct instance *master, enum failover_state to,
                                int64_t now_ms)
{
    enum failover_state from = master->record->failover_state;
    ASSERT((unsigned)from < ARRAY_LEN(legal_edges));
    ASSERT(legal_edges[from] & E(to));
    core_log(s, LOG_VERBOSE, "failover %s: %s -> %s (epoch %llu)", master->name,
             instance_failover_state_name(from), instance_failover_state_name(to),
             (unsigned long long)master->record->failover_epoch);
    master->record->failover_state = to;
    master->record->failover_state_change_ms = now_ms;
    enter_state(s, master, to, now_ms);
    core_want_tick(s);
}

void failover_abort(struct sentinel *s, struct instance *master, const char *event, int64_t now_ms)
{
    ASSERT(master->record->failover_state <= FAILOVER_WAIT_PROMOTION);
    if (master->record->failover_state == FAILOVER_NONE) return;
    notify_event(s, LOG_WARNING, event, master, NULL);
    failover_transition(s, master, FAILOVER_NONE, now_ms);
}

void failover_note_abort(struct sentinel *s, struct instance *master, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(master->record->abort_reason, sizeof(master->record->abort_reason), fmt, ap);
    va_end(ap);
    core_log(s, LOG_WARNING, "failover of %s aborted: %s", master->name,
             master->record->abort_reason);
}

void failover_start(struct sentinel *s, struct instance *master, bool forced, int64_t now_ms)
{
    struct master_record *record = master->record;
    ASSERT(record->failover_state == FAILOVER_NONE);
    record->abort_reason[0] = '\0';
    s->current_epoch++;
    record->failover_epoch = s->current_epoch;
    record->failover_start_ms = now_ms;
    record->failover_pending_ms = 0;
    record->is_promotion_sent = false;
    master->flags |= SRI_FAILOVER_IN_PROGRESS;
    if (forced) master->flags |= SRI_FORCE_FAILOVER;
    core_persist_now(s);
    notify_event(s, LOG_WARNING, "+new-epoch", NULL, "%llu", (unsigned long long)s->current_epoch);
    notify_event(s, LOG_WARNING, "+try-failover", master, NULL);
    failover_transition(s, master, FAILOVER_WAIT_START, now_ms);
}

bool failover_should_start(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    if (!(master->flags & SRI_O_DOWN) || record->failover_state != FAILOVER_NONE) {
        record->failover_pending_ms = 0;
        if (!(master->flags & SRI_O_DOWN)) record->lost_rounds = 0;
        return false;
    }
    if (record->params.failover_paused) {
        /* Maintenance mode: keep monitoring and reporting, never act on our own. */
        record->failover_pending_ms = 0;
        return false;
    }
    if (now_ms < record->failover_not_before_ms) return false;
    if (record->failover_pending_ms == 0) {
        record->failover_pending_ms = now_ms + failover_jitter_ms(s, master);
        if (record->failover_pending_ms > now_ms) return false;
    }
    return now_ms >= record->failover_pending_ms;
}

/* ---- one function per state ------------------------------------------------------------- */

/* A round lost to a split vote, a voter that named another candidate, or silence: the next
 * attempt, in a new epoch, comes after a fresh random delay drawn by failover_should_start
 * (wider each time, failover_spread_ms). After FAILOVER_FAST_RETRIES such retries (one more
 * round lost in a row) the sentinel falls back to waiting failover-timeout, so one sentinel
 * spends at most FAILOVER_FAST_RETRIES + 1 epochs per failover-timeout however the votes fall
 * (no retry storm). */
static void note_lost_round(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    if (++record->lost_rounds <= FAILOVER_FAST_RETRIES) return;
    core_log(s, LOG_WARNING,
             "failover of %s: %d elections lost in a row, next attempt after failover-timeout",
             master->name, FAILOVER_FAST_RETRIES + 1);
    record->failover_not_before_ms = now_ms + record->params.failover_timeout_ms;
    record->lost_rounds = 0;
}

static enum failover_state step_wait_start(struct sentinel *s, struct instance *master,
                                           int64_t now_ms)
{
    struct master_record *record = master->record;
    if (master->flags & SRI_FORCE_FAILOVER) return FAILOVER_SELECT_SLAVE;
    char pick[SENTINEL_RUNID_LEN + 1];
    if (election_most_voted(master, record->failover_epoch, pick) == 0)
        memcpy(pick, s->myid, sizeof(pick));
    core_vote(s, master, record->failover_epoch, pick, now_ms);
    struct election_tally t;
    election_count(master, record->failover_epoch, s->myid, record->leader, record->leader_epoch,
                   &t);
    if (election_won(&t)) return FAILOVER_SELECT_SLAVE;
    int64_t election_timeout = MIN(s->periods.election_timeout, record->params.failover_timeout_ms);
    bool other_won = election_other_won(&t) || (record->leader_epoch == record->failover_epoch &&
                                                strcmp(record->leader, s->myid) != 0);
    const char *why;
    if (other_won) {
        /* A live leader is working (or we voted for one): give it the whole failover-timeout. */
        record->failover_not_before_ms = now_ms + record->params.failover_timeout_ms;
        record->lost_rounds = 0;
        why = ", another sentinel won";
    } else if (election_round_lost(&t) || now_ms - record->failover_start_ms > election_timeout) {
        why = t.for_others ? ", the vote split" : "";
        note_lost_round(s, master, now_ms);
    } else {
        return FAILOVER_WAIT_START;
    }
    failover_note_abort(s, master,
                        "not elected in epoch %llu: %u of the %u votes needed, %u for others, %u "
                        "of %u sentinels did not vote%s%s",
                        (unsigned long long)record->failover_epoch, t.for_me, t.needed,
                        t.for_others, t.undecided, t.voters, why,
                        t.undecided ? " (unreachable, or paused while it sees the master down)"
                                    : "");
    notify_event(s, LOG_WARNING, "-failover-abort-not-elected", master, NULL);
    return FAILOVER_NONE;
}

/* "no replica can be promoted: 10.0.0.2:6379 (down), ..." into the abort reason. */
static void note_no_good_slave(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    char list[sizeof(record->abort_reason)];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < record->n_replicas && n < sizeof(list) - 1; i++) {
        const struct instance *r = record->replicas[i];
        const char *why = record->switchover.is_active
                              ? switchover_unfit_reason(r, now_ms, &s->periods)
                              : select_reason_text(select_check_replica(r, now_ms, &s->periods));
        int w = snprintf(list + n, sizeof(list) - n, "%s%s:%d (%s)", n ? ", " : "", r->host,
                         r->port, why ? why : "not the requested target");
        if (w > 0) n += (size_t)w;
    }
    failover_note_abort(s, master, "no replica can be promoted: %s",
                        record->n_replicas ? list : "no replica is known");
}

static bool select_info_round_done(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    if (record->select_info_ms == 0) {
        record->select_info_ms = now_ms;
        static const char *const argv[] = {"INFO"};
        for (size_t i = 0; i < record->n_replicas; i++) {
            struct instance *r = record->replicas[i];
            if (instance_is_disconnected(r) || (r->flags & SRI_S_DOWN)) continue;
            if (core_send(s, r, 1, argv, TAG_INFO) == 0) r->info_sent_ms = now_ms;
        }
    }
    int64_t wait = MIN(s->periods.ping_period, MAX((int64_t)50, 4 * max_peer_rtt(master)));
    if (now_ms - record->select_info_ms > wait) return true;
    for (size_t i = 0; i < record->n_replicas; i++) {
        struct instance *r = record->replicas[i];
        if (instance_is_disconnected(r) || (r->flags & SRI_S_DOWN)) continue;
        if (r->info_refresh_ms < record->select_info_ms) return false;
    }
    return true;
}

/* The quorum intersection rule (docs/sentinel-protocol.md#promotion-quorum): true while it holds
 * the attempt back (next state in *next). Too few replicas reported a fresh offset since the
 * attempt started: wait, the tick polls their INFO at the fast failover rate, up to
 * failover-timeout in SELECT_SLAVE, then abort as when no replica is good. */
static bool promotion_quorum_holds(struct sentinel *s, struct instance *master,
                                   const struct instance *best, int64_t now_ms,
                                   enum failover_state *next)
{
    struct master_record *record = master->record;
    char why[sizeof(record->abort_reason) - 64];
    if (!select_quorum_blocks(master, best, record->failover_start_ms, false, why, sizeof(why)))
        return false;
    int64_t timeout = record->params.failover_timeout_ms;
    if (!(master->flags & SRI_S_DOWN)) {
        /* The master answers again: without a lease it may have acknowledged writes since the
         * offsets were read, so promoting now could drop them (the partition harness saw exactly
         * that after a heal). Keep the master; a new outage starts afresh. A master that enforces
         * its lease is fenced by this attempt's votes; the abort releases them (nothing was
         * promoted: core_release_votes), so it serves again at the next renewals instead of
         * waiting for the missing replicas or failover-timeout. */
        failover_note_abort(s, master, "the master answers again (promotion-quorum: %s)", why);
        notify_event(s, LOG_WARNING, "-failover-abort-master-back", master, NULL);
        *next = FAILOVER_NONE;
        return true;
    }
    if (now_ms - record->failover_state_change_ms <= timeout) {
        if (!record->is_quorum_wait_logged)
            core_log(s, LOG_WARNING, "failover of %s waits before promoting (promotion-quorum): %s",
                     master->name, why);
        record->is_quorum_wait_logged = true;
        *next = FAILOVER_SELECT_SLAVE;
        return true;
    }
    failover_note_abort(s, master, "promotion-quorum: %s (waited failover-timeout, %lld ms)", why,
                        (long long)timeout);
    notify_event(s, LOG_WARNING, "-failover-abort-no-good-slave", master, NULL);
    record->failover_not_before_ms = record->failover_start_ms + 2 * timeout;
    *next = FAILOVER_NONE;
    return true;
}

static enum failover_state step_select_slave(struct sentinel *s, struct instance *master,
                                             int64_t now_ms)
{
    if (!select_info_round_done(s, master, now_ms)) return FAILOVER_SELECT_SLAVE;
    bool is_switchover = master->record->switchover.is_active;
    struct instance *best = is_switchover ? switchover_pick_target(s, master, now_ms)
                                          : select_best_replica(master, now_ms, &s->periods);
    if (best == NULL) {
        note_no_good_slave(s, master, now_ms);
        notify_event(s, LOG_WARNING, "-failover-abort-no-good-slave", master, NULL);
        /* A failed manual switchover must not hold back an automatic failover. */
        if (!is_switchover)
            master->record->failover_not_before_ms =
                master->record->failover_start_ms + 2 * master->record->params.failover_timeout_ms;
        return FAILOVER_NONE;
    }
    enum failover_state next;
    if (!is_switchover && promotion_quorum_holds(s, master, best, now_ms, &next)) return next;
    best->flags |= SRI_PROMOTED;
    master->record->promoted = best;
    return FAILOVER_SEND_SLAVEOF_NOONE;
}

static enum failover_state abort_slave_timeout(struct sentinel *s, struct instance *master)
{
    failover_note_abort(s, master,
                        "the promoted replica did not report role:master within "
                        "failover-timeout (%lld ms)",
                        (long long)master->record->params.failover_timeout_ms);
    notify_event(s, LOG_WARNING, "-failover-abort-slave-timeout", master, NULL);
    master->record->failover_not_before_ms =
        master->record->failover_start_ms + 2 * master->record->params.failover_timeout_ms;
    return FAILOVER_NONE;
}

/* The pre-failover hook's answer: true while it holds the attempt (next state in *next). */
static bool veto_holds(struct sentinel *s, struct instance *master, int64_t now_ms,
                       enum failover_state *next)
{
    struct master_record *record = master->record;
    if (record->veto == VETO_REJECTED) {
        failover_note_abort(s, master, "vetoed: %s",
                            record->veto_why[0] ? record->veto_why : "no reason given");
        notify_event(s, LOG_WARNING, "-failover-abort-vetoed", master, NULL);
        *next = FAILOVER_NONE;
        return true;
    }
    if (record->veto != VETO_PENDING) return false;
    if (now_ms - record->veto_asked_ms > record->params.failover_timeout_ms) {
        failover_note_abort(s, master,
                            "the pre-failover hook did not answer within failover-timeout");
        notify_event(s, LOG_WARNING, "-failover-abort-veto-timeout", master, NULL);
        *next = FAILOVER_NONE;
    } else {
        *next = FAILOVER_SEND_SLAVEOF_NOONE;
    }
    return true;
}

static enum failover_state step_send_slaveof_noone(struct sentinel *s, struct instance *master,
                                                   int64_t now_ms)
{
    struct master_record *record = master->record;
    enum failover_state next;
    if (veto_holds(s, master, now_ms, &next)) return next;
    if (record->switchover.is_active) return switchover_step_send(s, master, now_ms);
    if (record->promoted == NULL) return abort_slave_timeout(s, master);
    if (instance_is_disconnected(record->promoted)) {
        if (now_ms - record->failover_state_change_ms > record->params.failover_timeout_ms)
            return abort_slave_timeout(s, master);
        return FAILOVER_SEND_SLAVEOF_NOONE;
    }
    if (core_send_slaveof(s, record->promoted, NULL, 0) != 0) return FAILOVER_SEND_SLAVEOF_NOONE;
    record->is_promotion_sent = true;
    return FAILOVER_WAIT_PROMOTION;
}

static enum failover_state step_wait_promotion(struct sentinel *s, struct instance *master,
                                               int64_t now_ms)
{
    struct master_record *record = master->record;
    if (record->switchover.is_active) return switchover_step_wait(s, master, now_ms);
    if (record->promoted == NULL) return abort_slave_timeout(s, master);
    if (record->config_epoch >= record->failover_epoch) {
        /* A configuration at least as new as ours won meanwhile: never lower it. */
        failover_note_abort(s, master, "a newer configuration (epoch %llu) won meanwhile",
                            (unsigned long long)record->config_epoch);
        notify_event(s, LOG_WARNING, "-failover-abort-slave-timeout", master, NULL);
        return FAILOVER_NONE;
    }
    if (record->promoted->role_reported == ROLE_MASTER &&
        record->promoted->info_refresh_ms >= record->failover_state_change_ms)
        return FAILOVER_RECONF_SLAVES;
    if (now_ms - record->failover_state_change_ms > record->params.failover_timeout_ms)
        return abort_slave_timeout(s, master);
    return FAILOVER_WAIT_PROMOTION;
}

static void reconf_next_replicas(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    struct master_record *record = master->record;
    int in_progress = 0;
    for (size_t i = 0; i < record->n_replicas; i++)
        if (record->replicas[i]->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) in_progress++;
    for (size_t i = 0; i < record->n_replicas && in_progress < record->params.parallel_syncs; i++) {
        struct instance *r = record->replicas[i];
        if (r->flags & (SRI_PROMOTED | SRI_RECONF_DONE)) continue;
        if ((r->flags & SRI_RECONF_SENT) &&
            now_ms - r->slave_reconf_sent_ms > s->periods.slave_reconf_timeout) {
            notify_event(s, LOG_NOTICE, "-slave-reconf-sent-timeout", r, NULL);
            r->flags &= ~SRI_RECONF_SENT;
            r->flags |= SRI_RECONF_DONE;
            continue;
        }
        if ((r->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) || instance_is_disconnected(r))
            continue;
        if (core_send_slaveof(s, r, record->promoted->host, record->promoted->port) != 0) continue;
        r->flags |= SRI_RECONF_SENT;
        r->slave_reconf_sent_ms = now_ms;
        notify_event(s, LOG_NOTICE, "+slave-reconf-sent", r, NULL);
        in_progress++;
    }
}

/* A replica being repointed reported INFO: it now follows the promoted replica (INPROG), and
 * then has its link up (DONE). */
void failover_on_replica_info(struct sentinel *s, struct instance *ri)
{
    if (!(ri->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG))) return;
    struct instance *promoted = ri->master->record->promoted;
    if (ri->role_reported != ROLE_SLAVE || promoted == NULL) return;
    if ((ri->flags & SRI_RECONF_SENT) && ri->slave_master_host &&
        strcasecmp(ri->slave_master_host, promoted->host) == 0 &&
        ri->slave_master_port == promoted->port) {
        ri->flags = (ri->flags & ~SRI_RECONF_SENT) | SRI_RECONF_INPROG;
        notify_event(s, LOG_NOTICE, "+slave-reconf-inprog", ri, NULL);
    }
    if ((ri->flags & SRI_RECONF_INPROG) && ri->slave_master_link_up) {
        ri->flags = (ri->flags & ~SRI_RECONF_INPROG) | SRI_RECONF_DONE;
        notify_event(s, LOG_NOTICE, "+slave-reconf-done", ri, NULL);
    }
}

static enum failover_state step_reconf_slaves(struct sentinel *s, struct instance *master,
                                              int64_t now_ms)
{
    struct master_record *record = master->record;
    if (record->promoted == NULL) return FAILOVER_RECONF_SLAVES;
    reconf_next_replicas(s, master, now_ms);
    if (record->promoted->flags & SRI_S_DOWN) return FAILOVER_RECONF_SLAVES;
    int pending = 0;
    for (size_t i = 0; i < record->n_replicas; i++) {
        struct instance *r = record->replicas[i];
        if (!(r->flags & (SRI_PROMOTED | SRI_RECONF_DONE | SRI_S_DOWN))) pending++;
    }
    bool timed_out = now_ms - record->failover_state_change_ms > record->params.failover_timeout_ms;
    if (pending > 0 && !timed_out) return FAILOVER_RECONF_SLAVES;
    if (timed_out) {
        notify_event(s, LOG_WARNING, "+failover-end-for-timeout", master, NULL);
        for (size_t i = 0; i < record->n_replicas; i++) {
            struct instance *r = record->replicas[i];
            if (r->flags & (SRI_PROMOTED | SRI_RECONF_DONE | SRI_RECONF_SENT)) continue;
            if (instance_is_disconnected(r)) continue;
            if (core_send_slaveof(s, r, record->promoted->host, record->promoted->port) == 0) {
                r->flags |= SRI_RECONF_SENT;
                notify_event(s, LOG_NOTICE, "+slave-reconf-sent-be", r, NULL);
            }
        }
    }
    return FAILOVER_UPDATE_CONFIG;
}

static void step_update_config(struct sentinel *s, struct instance *master)
{
    struct instance *promoted = master->record->promoted;
    ASSERT(promoted != NULL);
    bool names = s->opt.announce_hostnames;
    char *old_host = xstrdup(master->host);
    int old_port = master->port;
    char *new_host = xstrdup(promoted->host);
    int new_port = promoted->port;
    /* A forced failover of a master we still reach: two writable masters until the usual
     * +convert-to-slave wait (4 publish periods) ends; demote it as soon as its INFO is in. */
    bool old_is_live =
        !(master->flags & (SRI_S_DOWN | SRI_O_DOWN)) && master->link.is_cmd_connected;
    notify_event(s, LOG_WARNING, "+switch-master", NULL, "%s %s %d %s %d", master->name,
                 instance_announced_host(master, names), old_port,
                 instance_announced_host(promoted, names), new_port);
    core_log(s, LOG_VERBOSE, "failover %s: update_config -> none (switch)", master->name);
    failover_clear(master);
    master_switch_to(s, master, new_host, new_port);
    struct instance *old = old_is_live ? instance_find_replica(master, old_host, old_port) : NULL;
    if (old) old->demote_at_once = true;
    free(old_host);
    free(new_host);
}

void failover_step(struct sentinel *s, struct instance *master, int64_t now_ms)
{
    enum failover_state cur = master->record->failover_state, next = cur;
    switch (cur) {
    case FAILOVER_NONE:
        return;
    case FAILOVER_WAIT_START:
        next = step_wait_start(s, master, now_ms);
        break;
    case FAILOVER_SELECT_SLAVE:
        next = step_select_slave(s, master, now_ms);
        break;
    case FAILOVER_SEND_SLAVEOF_NOONE:
        next = step_send_slaveof_noone(s, master, now_ms);
        break;
    case FAILOVER_WAIT_PROMOTION:
        next = step_wait_promotion(s, master, now_ms);
        break;
    case FAILOVER_RECONF_SLAVES:
        next = step_reconf_slaves(s, master, now_ms);
        break;
    case FAILOVER_UPDATE_CONFIG:
        step_update_config(s, master);
        return;
    }
    if (s->crashed) return;
    if (next != cur) failover_transition(s, master, next, now_ms);
}
