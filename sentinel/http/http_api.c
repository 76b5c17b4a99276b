/* http_api: lifecycle of the HTTP side, the event listener and what it feeds (event ring and
 * streams, webhooks, per-group failover tracking into the history and metrics, operations),
 * the pre-failover veto bridge and a housekeeping timer (offset samples for replica lag in ms,
 * long-poll deadlines, operation progress, stream heartbeats). See http_api.h and http_int.h.
 *
 * A failover as this sentinel sees it (group_track.ph, wall-clock ms):
 *   +sdown, +odown            detection (every sentinel)
 *   +try-failover, +elected-leader, +promoted-slave, +failover-state-reconf-slaves (announced),
 *   +failover-end             the leader's phases
 *   +switch-master            the end, on every sentinel: one history record, one count by kind
 *   -failover-abort-*         the attempt's phases are dropped, detection kept; an attempt
 *                             this sentinel won and then aborted leaves a history record
 *                             ("outcome": "aborted", with the reason)
 * A sentinel that did not lead records kind "automatic" if it saw the master down (SDOWN, ODOWN,
 * or no answer for half of down-after when the new configuration arrived), else "manual" (a
 * forced failover or a switchover run by another sentinel: only the leader knows which). */
#include "sentinel/http/http_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "sentinel/history.h"
#include "sentinel/http/http_int.h"
#include "sentinel/http/http_tls.h"
#include "sentinel/core/monitor.h"
#include "sentinel/sentinel_config.h"
#include "sentinel/http/webhook.h"

const char *const http_kind_names[KIND_COUNT] = {"automatic", "forced", "switchover", "manual"};

#define VETO_SLOTS 8

struct veto_slot {
    bool is_used;
    struct http_api *a;
    char name[INSTANCE_NAME_MAX + 1];
    uint64_t epoch;
};

static struct veto_slot veto_slots[VETO_SLOTS];

/* ---- small helpers ------------------------------------------------------------------------------
 */

static int64_t wall_now(const struct http_api *a) { return sentinel_wall_ms(a->core); }

static void word_at(const char *msg, int index, char *out, size_t cap)
{
    const char *p = msg;
    for (int i = 0; i < index && p; i++) {
        p = strchr(p, ' ');
        if (p) p++;
    }
    size_t n = 0;
    while (p && p[n] && p[n] != ' ') n++;
    if (n >= cap) n = cap - 1;
    if (p) memcpy(out, p, n);
    out[n] = '\0';
}

void http_event_master(const char *type, const char *msg, char *out, size_t cap)
{
    out[0] = '\0';
    if (strcmp(type, "+switch-master") == 0) {
        word_at(msg, 0, out, cap);
    } else if (strncmp(msg, "master ", 7) == 0) {
        word_at(msg, 1, out, cap);
    } else {
        const char *at = strstr(msg, " @ ");
        if (at) word_at(at + 3, 0, out, cap);
    }
}

static bool is_master_event(const char *msg) { return strncmp(msg, "master ", 7) == 0; }

static enum http_kind kind_of(const struct instance *master)
{
    const char *k = sentinel_failover_kind(master);
    if (strcmp(k, "switchover") == 0) return KIND_SWITCHOVER;
    if (strcmp(k, "forced") == 0) return KIND_FORCED;
    return KIND_AUTOMATIC;
}

void http_count_status(struct http_api *a, int status)
{
    for (size_t i = 0; i < HTTP_CODE_SLOTS; i++) {
        if (a->code_keys[i] == status || a->code_keys[i] == 0) {
            a->code_keys[i] = status;
            a->code_counts[i]++;
            return;
        }
    }
}

/* ---- groups -------------------------------------------------------------------------------------
 */

struct group_track *http_group(struct http_api *a, const char *name)
{
    struct group_track *free_slot = NULL, *stale = NULL;
    for (size_t i = 0; i < HTTP_MAX_GROUPS; i++) {
        struct group_track *g = &a->groups[i];
        if (g->is_used && strcmp(g->name, name) == 0) return g;
        if (!g->is_used && free_slot == NULL) free_slot = g;
        if (g->is_used && stale == NULL && sentinel_master_by_name(a->core, g->name) == NULL)
            stale = g;
    }
    struct group_track *g = free_slot ? free_slot : stale;
    if (g == NULL || strlen(name) > INSTANCE_NAME_MAX) return NULL;
    cJSON_Delete(g->offsets);
    cJSON_Delete(g->pending_rec);
    memset(g, 0, sizeof(*g));
    g->is_used = true;
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->since_wall_ms = wall_now(a);
    return g;
}

/* Note the announced address: `since` moves only when it changes. */
static void group_sync_addr(struct http_api *a, struct group_track *g,
                            const struct instance *master)
{
    const char *host;
    int port;
    if (sentinel_get_master_addr(a->core, master->name, &host, &port) != 0) return;
    if (g->port == port && strcmp(g->host, host) == 0) {
        g->epoch = master->record->config_epoch;
        return;
    }
    if (g->host[0] != '\0') g->since_wall_ms = wall_now(a);
    snprintf(g->host, sizeof(g->host), "%s", host);
    g->port = port;
    g->epoch = master->record->config_epoch;
}

static cJSON *offsets_now(const struct instance *master)
{
    cJSON *o = cJSON_CreateObject();
    if (master->master_repl_offset > 0)
        cJSON_AddNumberToObject(o, "master_last_seen", (double)master->master_repl_offset);
    else
        cJSON_AddNullToObject(o, "master_last_seen");
    cJSON *arr = cJSON_AddArrayToObject(o, "replicas");
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        const struct instance *r = master->record->replicas[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "ip", r->host);
        cJSON_AddNumberToObject(e, "port", r->port);
        cJSON_AddNumberToObject(e, "offset", (double)r->slave_repl_offset);
        cJSON_AddBoolToObject(e, "promoted", (r->flags & SRI_PROMOTED) != 0);
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    if (ms)
        cJSON_AddNumberToObject(o, key, (double)ms);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *phases_json(const struct phase_times *ph)
{
    cJSON *o = cJSON_CreateObject();
    add_time(o, "sdown", ph->sdown);
    add_time(o, "odown", ph->odown);
    add_time(o, "started", ph->started);
    add_time(o, "elected", ph->elected);
    add_time(o, "promoted", ph->promoted);
    add_time(o, "announced", ph->announced);
    add_time(o, "replicas_reconfigured", ph->reconfigured);
    return o;
}

static int64_t first_phase(const struct phase_times *ph)
{
    int64_t t[] = {ph->sdown, ph->odown, ph->started, ph->elected, ph->promoted, ph->announced};
    int64_t first = 0;
    for (size_t i = 0; i < ARRAY_LEN(t); i++)
        if (t[i] && (first == 0 || t[i] < first)) first = t[i];
    return first;
}

/* Whether every replica of the master (and the master) answered INFO since `since`. */
static bool info_fresh_since(const struct instance *master, int64_t since)
{
    if (master->info_refresh_ms <= since) return false;
    for (size_t i = 0; i < master->record->n_replicas; i++)
        if (master->record->replicas[i]->info_refresh_ms <= since) return false;
    return true;
}

/* Write an observer's pending record once the new topology's INFO is in (or `now` / timeout). */
static void group_complete_pending(struct http_api *a, struct group_track *g, bool now)
{
    if (g->pending_rec == NULL) return;
    const struct instance *master = sentinel_master_by_name(a->core, g->name);
    int64_t t = sentinel_now_ms(a->core);
    bool fresh = master && info_fresh_since(master, g->pending_since_ms);
    if (!now && !fresh && t - g->pending_since_ms < HTTP_OBSERVER_OFFSETS_WAIT_MS) return;
    cJSON *offs = master ? offsets_now(master) : cJSON_CreateObject();
    cJSON_AddStringToObject(offs, "taken", fresh ? "after the switch" : "last known (stale)");
    cJSON_AddItemToObject(g->pending_rec, "offsets", offs);
    history_append(a->history, g->pending_rec);
    cJSON_Delete(g->pending_rec);
    g->pending_rec = NULL;
}

/* +switch-master: one record and one count, on every sentinel. */
static void group_finish_failover(struct http_api *a, struct group_track *g,
                                  const struct instance *master, const char *msg)
{
    int64_t now = wall_now(a);
    bool led = g->ph.started != 0;
    /* An observer cannot know how the leader started: a master it saw down, or that has not
     * answered for half of down-after (the failover may beat our own SDOWN), means automatic. */
    bool looked_down = g->ph.sdown || g->ph.odown ||
                       monitor_unavailable_ms(master, sentinel_now_ms(a->core)) >=
                           master->record->params.down_after_ms / 2;
    enum http_kind kind = led ? g->kind : looked_down ? KIND_AUTOMATIC : KIND_MANUAL;
    if (g->ph.announced == 0) g->ph.announced = now;
    int64_t first = first_phase(&g->ph);
    char oh[INSTANCE_HOST_MAX + 1], op[16], nh[INSTANCE_HOST_MAX + 1], np[16];
    word_at(msg, 1, oh, sizeof(oh));
    word_at(msg, 2, op, sizeof(op));
    word_at(msg, 3, nh, sizeof(nh));
    word_at(msg, 4, np, sizeof(np));
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "master", g->name);
    cJSON_AddNumberToObject(rec, "epoch", (double)master->record->config_epoch);
    cJSON_AddStringToObject(rec, "kind", http_kind_names[kind]);
    cJSON_AddStringToObject(rec, "role", led ? "leader" : "observer");
    cJSON_AddItemToObject(rec, "old", http_json_addr(oh, atoi(op)));
    cJSON_AddItemToObject(rec, "new", http_json_addr(nh, atoi(np)));
    cJSON_AddItemToObject(rec, "phases", phases_json(&g->ph));
    cJSON_AddNumberToObject(rec, "duration_ms", (double)(first ? now - first : 0));
    if (g->reason[0]) cJSON_AddStringToObject(rec, "reason", g->reason);
    g->reason[0] = '\0';
    cJSON_AddStringToObject(rec, "recorded_by", sentinel_myid(a->core));
    cJSON_AddNumberToObject(rec, "time", (double)now);
    if (g->offsets) { /* the leader's, taken at the promotion */
        cJSON_AddItemToObject(rec, "offsets", g->offsets);
        g->offsets = NULL;
        history_append(a->history, rec);
        cJSON_Delete(rec);
    } else {
        /* An observer's cached INFO may be an info-period old: record the offsets of the first
         * INFO round after the switch instead (group_complete_pending). */
        group_complete_pending(a, g, true);
        g->pending_rec = rec;
        g->pending_since_ms = sentinel_now_ms(a->core);
    }
    g->failovers[kind]++;
    g->has_last = true;
    g->last_duration_s = first ? (double)(now - first) / 1000.0 : 0;
    g->last_ph = g->ph;
    memset(&g->ph, 0, sizeof(g->ph));
    g->attempt_epoch = 0;
}

/* An attempt this sentinel was elected for and then aborted (no good replica, promotion-quorum,
 * veto, timeout): one history record saying why, so an operator sees the failover that did not
 * happen next to the ones that did. Attempts lost at the vote leave none (a split vote retries
 * many times and would flood the history). Called before the abort clears the record. */
static void group_record_abort(struct http_api *a, struct group_track *g,
                               const struct instance *master, const char *type)
{
    if (g->ph.started == 0 || g->ph.elected == 0) return;
    int64_t now = wall_now(a);
    int64_t first = first_phase(&g->ph);
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "master", g->name);
    cJSON_AddNumberToObject(rec, "epoch", (double)master->record->failover_epoch);
    cJSON_AddStringToObject(rec, "kind", http_kind_names[g->kind]);
    cJSON_AddStringToObject(rec, "role", "leader");
    cJSON_AddStringToObject(rec, "outcome", "aborted");
    cJSON_AddStringToObject(rec, "abort", type);
    cJSON_AddStringToObject(rec, "abort_reason", master->record->abort_reason);
    cJSON_AddItemToObject(rec, "old", http_json_addr(master->host, master->port));
    cJSON_AddNullToObject(rec, "new");
    cJSON_AddItemToObject(rec, "phases", phases_json(&g->ph));
    cJSON_AddNumberToObject(rec, "duration_ms", (double)(first ? now - first : 0));
    cJSON_AddStringToObject(rec, "recorded_by", sentinel_myid(a->core));
    cJSON_AddNumberToObject(rec, "time", (double)now);
    cJSON_AddItemToObject(rec, "offsets", offsets_now(master));
    history_append(a->history, rec);
    cJSON_Delete(rec);
}

static void group_drop_attempt(struct group_track *g, const char *type)
{
    snprintf(g->last_abort, sizeof(g->last_abort), "%s", type);
    g->ph.started = g->ph.elected = g->ph.promoted = g->ph.announced = g->ph.reconfigured = 0;
    g->attempt_epoch = 0;
    cJSON_Delete(g->offsets);
    g->offsets = NULL;
}

/* +old-master-dropped-bytes "<replica id> #dropped_bytes N old_offset M takeover_offset T
 * epoch E": the failover record of epoch E gains "dropped" (docs/http-api.md#history-records),
 * whether it is still pending (an observer waiting for offsets) or already written. */
static void group_note_dropped(struct http_api *a, struct group_track *g, const char *msg)
{
    const char *p = strstr(msg, "#dropped_bytes ");
    long long dropped, old_offset, takeover;
    unsigned long long epoch;
    if (p == NULL ||
        sscanf(p, "#dropped_bytes %lld old_offset %lld takeover_offset %lld epoch %llu", &dropped,
               &old_offset, &takeover, &epoch) != 4)
        return;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "bytes", (double)dropped);
    cJSON_AddNumberToObject(d, "old_master_offset", (double)old_offset);
    cJSON_AddNumberToObject(d, "takeover_offset", (double)takeover);
    const cJSON *pe = cJSON_GetObjectItemCaseSensitive(g->pending_rec, "epoch");
    if (cJSON_IsNumber(pe) && pe->valuedouble == (double)epoch) {
        cJSON_DeleteItemFromObjectCaseSensitive(g->pending_rec, "dropped");
        cJSON_AddItemToObject(g->pending_rec, "dropped", d);
    } else if (history_amend(a->history, g->name, (double)epoch, "dropped", d) != 0) {
        log_warning("history: no failover record of %s in epoch %llu to note %lld dropped bytes in",
                    g->name, epoch, dropped);
    }
}

static void group_on_event(struct http_api *a, struct group_track *g, const struct instance *master,
                           const char *type, const char *msg)
{
    int64_t now = wall_now(a);
    if (strcmp(type, "+sdown") == 0 && is_master_event(msg)) {
        if (g->ph.sdown == 0) g->ph.sdown = now;
    } else if (strcmp(type, "-sdown") == 0 && is_master_event(msg)) {
        if (g->ph.started == 0) g->ph.sdown = g->ph.odown = 0;
    } else if (strcmp(type, "+odown") == 0) {
        g->ph.odown = now;
    } else if (strcmp(type, "+try-failover") == 0) {
        g->ph.started = now;
        g->ph.elected = g->ph.promoted = g->ph.announced = g->ph.reconfigured = 0;
        g->kind = kind_of(master);
        g->attempt_epoch = master->record->failover_epoch;
    } else if (strcmp(type, "+elected-leader") == 0) {
        g->ph.elected = now;
    } else if (strcmp(type, "+promoted-slave") == 0) {
        g->ph.promoted = now;
        cJSON_Delete(g->offsets);
        g->offsets = offsets_now(master);
    } else if (strcmp(type, "+failover-state-reconf-slaves") == 0) {
        g->ph.announced = now;
    } else if (strcmp(type, "+failover-end") == 0 ||
               strcmp(type, "+failover-end-for-timeout") == 0) {
        g->ph.reconfigured = now;
    } else if (strncmp(type, "-failover-abort-", 16) == 0) {
        group_record_abort(a, g, master, type);
        group_drop_attempt(g, type);
    } else if (strcmp(type, "+switch-master") == 0) {
        group_finish_failover(a, g, master, msg);
    } else if (strcmp(type, "+regressed-master") == 0) {
        const char *why = strchr(msg, '#');
        snprintf(g->reason, sizeof(g->reason), "regressed-master: %s", why ? why + 1 : msg);
    } else if (strcmp(type, "+old-master-dropped-bytes") == 0) {
        group_note_dropped(a, g, msg);
    } else if (strcmp(type, "-regressed-master") == 0 && g->ph.started == 0) {
        g->reason[0] = '\0';
    }
    group_sync_addr(a, g, master);
}

/* ---- operations ---------------------------------------------------------------------------- */

struct http_op *http_op_new(struct http_api *a, enum http_kind kind, const struct instance *master,
                            const char *to, int64_t timeout_ms)
{
    size_t slot = a->n_ops;
    if (a->n_ops == HTTP_MAX_OPS) {
        /* Evict the oldest finished operation, or else the oldest. */
        slot = 0;
        for (size_t i = 0; i < a->n_ops; i++)
            if (a->ops[i].state != OP_RUNNING) {
                slot = i;
                break;
            }
        memmove(&a->ops[slot], &a->ops[slot + 1], (a->n_ops - slot - 1) * sizeof(a->ops[0]));
        slot = a->n_ops - 1;
    } else {
        a->n_ops++;
    }
    struct http_op *op = &a->ops[slot];
    memset(op, 0, sizeof(*op));
    snprintf(op->id, sizeof(op->id), "op-%s-%llu", a->op_nonce, (unsigned long long)++a->op_seq);
    op->kind = kind;
    snprintf(op->master, sizeof(op->master), "%s", master->name);
    op->epoch = master->record->failover_epoch;
    op->state = OP_RUNNING;
    snprintf(op->phase, sizeof(op->phase), "%s",
             instance_failover_state_name(master->record->failover_state));
    instance_addr_key(op->from, sizeof(op->from), master->host, master->port);
    snprintf(op->to, sizeof(op->to), "%s", to ? to : "");
    op->timeout_ms = timeout_ms;
    op->created_wall_ms = wall_now(a);
    return op;
}

struct http_op *http_op_find(struct http_api *a, const char *id)
{
    for (size_t i = 0; i < a->n_ops; i++)
        if (strcmp(a->ops[i].id, id) == 0) return &a->ops[i];
    return NULL;
}

static void op_finish(struct http_api *a, struct http_op *op, enum op_state st, const char *err)
{
    op->state = st;
    snprintf(op->phase, sizeof(op->phase), "%s", st == OP_SUCCEEDED ? "done" : "aborted");
    if (err && op->error[0] == '\0') snprintf(op->error, sizeof(op->error), "%s", err);
    op->finished_wall_ms = wall_now(a);
}

void http_op_refresh(struct http_api *a, struct http_op *op)
{
    if (op->state != OP_RUNNING) return;
    const struct instance *master = sentinel_master_by_name(a->core, op->master);
    if (master == NULL) {
        op_finish(a, op, OP_FAILED, "the master was removed");
        return;
    }
    if (master->record->failover_state != FAILOVER_NONE &&
        master->record->failover_epoch == op->epoch) {
        snprintf(op->phase, sizeof(op->phase), "%s",
                 instance_failover_state_name(master->record->failover_state));
        if (master->record->promoted)
            instance_addr_key(op->to, sizeof(op->to), master->record->promoted->host,
                              master->record->promoted->port);
        return;
    }
    if (master->record->config_epoch == op->epoch) {
        instance_addr_key(op->to, sizeof(op->to), master->host, master->port);
        op_finish(a, op, OP_SUCCEEDED, NULL);
    } else {
        op_finish(a, op, OP_FAILED, "the attempt ended without a promotion");
    }
}

static void ops_on_event(struct http_api *a, const struct instance *master, const char *type,
                         const char *msg)
{
    for (size_t i = 0; i < a->n_ops; i++) {
        struct http_op *op = &a->ops[i];
        if (op->state != OP_RUNNING || strcmp(op->master, master->name) != 0) continue;
        /* Abort events come before the state returns to NONE: note why now. */
        if (strncmp(type, "-failover-abort-", 16) == 0 &&
            master->record->failover_epoch == op->epoch && op->error[0] == '\0')
            snprintf(op->error, sizeof(op->error), "%s %s%s%s", type, msg,
                     master->record->abort_reason[0] ? ": " : "", master->record->abort_reason);
        else
            http_op_refresh(a, op);
    }
}

/* ---- the listener -------------------------------------------------------------------------- */

void http_api_on_event(void *ctx, int level, const char *type, const char *msg)
{
    struct http_api *a = ctx;
    char name[INSTANCE_NAME_MAX + 1];
    http_event_master(type, msg, name, sizeof(name));
    a->events_total++;
    if (strcmp(type, "+vote-for-leader") == 0) a->votes_cast++;
    const struct instance *master = name[0] ? sentinel_master_by_name(a->core, name) : NULL;
    if (master) {
        struct group_track *g = http_group(a, name);
        if (g) group_on_event(a, g, master, type, msg);
        ops_on_event(a, master, type, msg);
    }
    if (level == LOG_DEBUG) return;
    http_events_record(a, level, type, msg, master ? name : NULL);
    http_waiters_check(a, sentinel_now_ms(a->core));
}

/* ---- veto bridge --------------------------------------------------------------------------- */

static void on_veto_done(void *ctx, bool approved, const char *why)
{
    struct veto_slot *v = ctx;
    log_notice("pre-failover hook for %s epoch %llu: %s (%s)", v->name,
               (unsigned long long)v->epoch, approved ? "approved" : "VETOED", why);
    v->is_used = false;
    sentinel_veto_answer(v->a->core, v->name, v->epoch, approved, why);
}

static void on_veto(void *ctx, const struct sentinel_veto_request *req)
{
    struct http_api *a = ctx;
    struct veto_slot *v = NULL;
    for (size_t i = 0; i < VETO_SLOTS && v == NULL; i++)
        if (!veto_slots[i].is_used) v = &veto_slots[i];
    if (v == NULL) {
        log_warning("pre-failover: too many questions in flight, approving %s", req->master);
        sentinel_veto_answer(a->core, req->master, req->epoch, true, NULL);
        return;
    }
    v->is_used = true;
    v->a = a;
    snprintf(v->name, sizeof(v->name), "%s", req->master);
    v->epoch = req->epoch;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "pre-failover");
    cJSON_AddStringToObject(o, "master", req->master);
    cJSON_AddNumberToObject(o, "epoch", (double)req->epoch);
    cJSON_AddStringToObject(o, "kind", req->kind);
    cJSON_AddItemToObject(o, "old", http_json_addr(req->old_host, req->old_port));
    cJSON_AddItemToObject(o, "new", http_json_addr(req->new_host, req->new_port));
    cJSON_AddNumberToObject(o, "time", (double)wall_now(a));
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    webhook_pre_failover(a->hooks, json, on_veto_done, v);
    cJSON_free(json);
}

/* ---- housekeeping ------------------------------------------------------------------------- */

static void sample_offsets(struct http_api *a, const struct instance *master)
{
    struct group_track *g = http_group(a, master->name);
    if (g == NULL || master->info_refresh_ms == 0 ||
        master->info_refresh_ms == g->last_sample_info_ms || master->master_repl_offset <= 0)
        return;
    g->last_sample_info_ms = master->info_refresh_ms;
    size_t i = (g->sample_head + g->n_samples) % HTTP_OFFSET_SAMPLES;
    if (g->n_samples == HTTP_OFFSET_SAMPLES)
        g->sample_head = (g->sample_head + 1) % HTTP_OFFSET_SAMPLES;
    else
        g->n_samples++;
    g->samples[i].mono_ms = master->info_refresh_ms;
    g->samples[i].offset = master->master_repl_offset;
}

static int64_t on_housekeeping(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct http_api *a = data;
    int64_t now = sentinel_now_ms(a->core);
    for (size_t i = 0; i < sentinel_master_count(a->core); i++) {
        const struct instance *master = sentinel_master_at(a->core, i);
        sample_offsets(a, master);
        struct group_track *g = http_group(a, master->name);
        if (g) group_sync_addr(a, g, master);
        if (g) group_complete_pending(a, g, false);
    }
    for (size_t i = 0; i < a->n_ops; i++) http_op_refresh(a, &a->ops[i]);
    http_waiters_check(a, now);
    if (now - a->last_heartbeat_ms >= HTTP_SSE_HEARTBEAT_MS) {
        a->last_heartbeat_ms = now;
        http_sse_heartbeat(a);
    }
    return HTTP_HOUSEKEEPING_MS;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static char *dup_secret(const char *s) { return s && s[0] ? xstrdup(s) : NULL; }

static bool is_loopback(const char *bind)
{
    return strncmp(bind, "127.", 4) == 0 || strcmp(bind, "::1") == 0 ||
           strcasecmp(bind, "localhost") == 0;
}

/* Owned copies of a config list (NULL when empty). */
static char **strlist_dup(const struct cfg_strlist *l, size_t *n)
{
    *n = l->count;
    char **out = l->count ? xcalloc(l->count, sizeof(char *)) : NULL;
    for (size_t i = 0; i < l->count; i++) out[i] = xstrdup(l->items[i]);
    return out;
}

static void strlist_free(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++) free(items[i]);
    free(items);
}

static struct http_tls_files tls_files_of(const struct sentinel_http_cfg *cfg)
{
    return (struct http_tls_files){.cert_file = cfg->tls_cert_file,
                                   .key_file = cfg->tls_key_file,
                                   .key_pass = cfg->tls_key_file_pass,
                                   .ca_file = cfg->tls_ca_cert_file};
}

struct http_api *http_api_create(struct loop *l, struct sentinel *core,
                                 const struct sentinel_http_cfg *cfg,
                                 const struct sentinel_webhook_cfg *hooks, size_t n_hooks,
                                 const char *state_dir, int listen_port, char *err, size_t errlen)
{
    static cJSON_Hooks cj = {xmalloc, free};
    cJSON_InitHooks(&cj);
    struct http_api *a = xcalloc(1, sizeof(*a));
    a->loop = l;
    a->core = core;
    a->token = dup_secret(cfg->token);
    a->read_token = dup_secret(cfg->read_token);
    a->client_subjects = strlist_dup(&cfg->tls_client_subjects, &a->n_client_subjects);
    a->has_client_ca = cfg->tls_cert_file && cfg->tls_cert_file[0] && cfg->tls_ca_cert_file &&
                       cfg->tls_ca_cert_file[0];
    a->allowed_origins = strlist_dup(&cfg->allowed_origins, &a->n_allowed_origins);
    const char *bind = cfg->bind && cfg->bind[0] ? cfg->bind : "127.0.0.1";
    a->is_loopback = is_loopback(bind);
    a->next_seq = 1;
    a->start_wall_ms = sentinel_wall_ms(core);
    a->last_heartbeat_ms = sentinel_now_ms(core);
    util_random_hex(a->op_nonce, 8);
    a->op_nonce[8] = '\0';
    a->hooks = webhook_create(l, hooks, n_hooks, &cfg->webhook_schemes, err, errlen);
    if (a->hooks == NULL) {
        http_api_stop(a);
        return NULL;
    }
    if (listen_port >= 0) {
        struct http_tls_files tls = tls_files_of(cfg);
        a->srv = http_server_start(l, bind, listen_port, cfg->request_timeout_ms, &tls,
                                   http_routes_handle, a, err, errlen);
        if (a->srv == NULL) {
            http_api_stop(a);
            return NULL;
        }
        if (a->token == NULL && !a->is_loopback)
            log_warning("http: no token set and bound to %s: POST requests are refused", bind);
        log_notice("HTTP API listening on %s:%d", bind, http_server_port(a->srv));
    }
    a->history = history_open(state_dir);
    if (webhook_has_pre_failover(a->hooks)) sentinel_set_veto_hook(core, on_veto, a);
    a->housekeeping_timer = loop_timer_add(l, HTTP_HOUSEKEEPING_MS, on_housekeeping, a);
    return a;
}

struct http_api *http_api_start(struct loop *l, struct sentinel *core,
                                const struct sentinel_http_cfg *cfg,
                                const struct sentinel_webhook_cfg *hooks, size_t n_hooks,
                                const char *state_dir, char *err, size_t errlen)
{
    int port = cfg->port > 0 ? (int)cfg->port : -1;
    return http_api_create(l, core, cfg, hooks, n_hooks, state_dir, port, err, errlen);
}

void http_api_stop(struct http_api *a)
{
    if (a == NULL) return;
    http_server_stop(a->srv); /* streams and waiters unlink themselves here */
    a->srv = NULL;
    sentinel_set_veto_hook(a->core, NULL, NULL);
    for (size_t i = 0; i < VETO_SLOTS; i++)
        if (veto_slots[i].a == a) veto_slots[i].is_used = false;
    webhook_destroy(a->hooks);
    for (size_t i = 0; i < HTTP_MAX_GROUPS; i++) /* a record waiting for INFO is kept as is */
        if (a->groups[i].is_used) group_complete_pending(a, &a->groups[i], true);
    history_close(a->history);
    http_events_free(a);
    if (a->housekeeping_timer) loop_timer_cancel(a->loop, a->housekeeping_timer);
    if (a->fast_timer) loop_timer_cancel(a->loop, a->fast_timer);
    for (size_t i = 0; i < HTTP_MAX_GROUPS; i++) cJSON_Delete(a->groups[i].offsets);
    free(a->token);
    free(a->read_token);
    strlist_free(a->allowed_origins, a->n_allowed_origins);
    strlist_free(a->client_subjects, a->n_client_subjects);
    free(a);
}

int http_api_port(const struct http_api *a) { return a->srv ? http_server_port(a->srv) : 0; }

int http_api_reload_tls(struct http_api *a, const struct sentinel_http_cfg *cfg, char *err,
                        size_t errlen)
{
    if (a->srv == NULL) return 0;
    struct http_tls_files tls = tls_files_of(cfg);
    return http_server_reload_tls(a->srv, &tls, err, errlen);
}
