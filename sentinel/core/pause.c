/* pause: maintenance mode for a whole group (docs/sentinel-protocol.md#pause), so that a pause
 * holds even for a sentinel that was down or cut off when the operator paused.
 *
 * Each master's pause state is (paused, epoch). An operator action (HTTP pause/resume, vigilctl,
 * `SENTINEL SET <m> failover-paused yes|no`) takes epoch max(old + 1, wall clock ms): it is newer
 * than anything this sentinel has seen, and two actions taken at different sentinels are ordered
 * by when they happened (the wall clock only orders operator actions; no timeout depends on it).
 * The state is persisted with the other params and pushed to every peer sentinel of the group:
 *
 *   SENTINEL SET <m> failover-pause-state yes:<epoch> | no:<epoch>
 *
 * at every change and again each time our command link to a peer comes up (a restarted or
 * reconnected peer re-learns it). A receiver adopts a state with a higher epoch (and relays it to
 * its own peers); an equal epoch with a different value resolves to paused (the safe side); an
 * older one is answered `-STALE <our state>` and the sender adopts ours. So the newest operator
 * action wins everywhere: a resume beats an older pause, a pause beats an older resume.
 *
 * Why this carrier and not the hello message: Redis sentinels split a hello on commas and drop
 * one with other than 8 fields, so an extra field would make mixed groups lose discovery; a
 * second message kind on the hello channel would pass through every peer's hello parser. The
 * SET command already travels between sentinels (authenticated as peers), gets a reply per
 * peer (which is how a pause is *confirmed*: pause_ack_epoch) and Redis sentinels refuse it
 * harmlessly with an error.
 *
 * A paused sentinel also refuses its vote to a candidate while it sees the master down itself
 * (sentinel_cmd.c): an unpaused straggler cannot win an automatic failover with paused votes. A
 * switchover, which runs with the master up, still gets votes.
 * Must not: block, or send to a peer whose command link is down.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/pause.h"
#include "sentinel/core/core_int.h"

static void pause_store(struct sentinel *s, struct instance *master, bool paused, uint64_t epoch)
{
    struct sentinel_master_params *params = &master->record->params;
    bool changed = params->failover_paused != paused;
    params->failover_paused = paused;
    params->failover_pause_epoch = epoch;
    core_mark_persist(s);
    if (!changed) return;
    master->record->failover_pending_ms = 0;
    notify_event(s, LOG_WARNING, paused ? "+paused" : "-paused", master, "epoch %" PRIu64, epoch);
    core_want_tick(s);
}

void pause_format_state(const struct instance *master, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%" PRIu64, master->record->params.failover_paused ? "yes" : "no",
             master->record->params.failover_pause_epoch);
}

int pause_parse_state(const char *text, bool *paused, uint64_t *epoch)
{
    const char *colon = strchr(text, ':');
    if (colon == NULL) return -1;
    size_t n = (size_t)(colon - text);
    if (n == 3 && strncasecmp(text, "yes", 3) == 0)
        *paused = true;
    else if (n == 2 && strncasecmp(text, "no", 2) == 0)
        *paused = false;
    else
        return -1;
    long long e;
    if (util_parse_ll(colon + 1, strlen(colon + 1), &e) != 0 || e <= 0) return -1;
    *epoch = (uint64_t)e;
    return 0;
}

int pause_push(struct sentinel *s, struct instance *master, struct instance *peer)
{
    if (master->record->params.failover_pause_epoch == 0)
        return -1; /* never paused: nothing to spread */
    char state[48];
    pause_format_state(master, state, sizeof(state));
    const char *argv[] = {"SENTINEL", "SET", master->name, PAUSE_PEER_OPTION, state};
    if (core_send(s, peer, 5, argv, TAG_PAUSE) != 0) return -1;
    peer->pause_sent_epoch = master->record->params.failover_pause_epoch;
    return 0;
}

static int pause_push_all(struct sentinel *s, struct instance *master)
{
    int told = 0;
    for (size_t i = 0; i < master->record->n_sentinels; i++)
        if (pause_push(s, master, master->record->sentinels[i]) == 0) told++;
    return told;
}

int pause_set_local(struct sentinel *s, struct instance *master, bool paused)
{
    uint64_t epoch = master->record->params.failover_pause_epoch + 1;
    int64_t wall = s->env.wall_ms ? s->env.wall_ms(s->env.ctx) : 0;
    if (wall > 0 && (uint64_t)wall > epoch) epoch = (uint64_t)wall;
    pause_store(s, master, paused, epoch);
    return pause_push_all(s, master);
}

/* Adopt (paused, epoch) if it is newer than ours; 1 adopted, 0 same, -1 ours is newer. */
static int pause_merge(struct sentinel *s, struct instance *master, bool paused, uint64_t epoch)
{
    const struct sentinel_master_params *params = &master->record->params;
    if (epoch < params->failover_pause_epoch) return -1;
    if (epoch == params->failover_pause_epoch && (paused == params->failover_paused || !paused))
        return paused == params->failover_paused ? 0 : -1;
    pause_store(s, master, paused, epoch);
    pause_push_all(s, master); /* relay: peers that cannot reach the sender learn it from us */
    return 1;
}

void pause_on_peer_state(struct sentinel *s, struct instance *master, const char *value,
                         struct sentinel_cmd_result *res)
{
    bool paused;
    uint64_t epoch;
    if (pause_parse_state(value, &paused, &epoch) != 0) {
        res->kind = SENTINEL_CMD_ERROR;
        snprintf(res->msg, sizeof(res->msg),
                 "ERR Invalid argument '%s' for SENTINEL SET '" PAUSE_PEER_OPTION "'", value);
        return;
    }
    if (pause_merge(s, master, paused, epoch) < 0) {
        char mine[48];
        pause_format_state(master, mine, sizeof(mine));
        res->kind = SENTINEL_CMD_ERROR;
        snprintf(res->msg, sizeof(res->msg), "STALE pause state %s is newer here", mine);
        return;
    }
    if (core_persist_now(s) != 0) {
        res->kind = SENTINEL_CMD_ERROR;
        snprintf(res->msg, sizeof(res->msg), "ERR Failed to save config file. Check server logs.");
        return;
    }
    res->kind = SENTINEL_CMD_STATUS;
    snprintf(res->msg, sizeof(res->msg), "OK");
}

void pause_on_reply(struct sentinel *s, struct instance *peer, const struct sentinel_reply *r)
{
    struct instance *master = peer->master;
    if (master == NULL) return;
    if (r->type == SENTINEL_REPLY_STATUS && r->len == 2 && memcmp(r->str, "OK", 2) == 0) {
        peer->pause_ack_epoch = peer->pause_sent_epoch;
        return;
    }
    static const char stale[] = "STALE pause state ";
    if (r->type != SENTINEL_REPLY_ERROR || r->len <= sizeof(stale) - 1 ||
        memcmp(r->str, stale, sizeof(stale) - 1) != 0) {
        core_log(s, LOG_VERBOSE, "sentinel: peer %s did not take the pause state of %s: %.*s",
                 peer->host, master->name, (int)MIN(r->len, 200), r->str);
        return;
    }
    char text[64];
    size_t n = MIN(r->len - (sizeof(stale) - 1), sizeof(text) - 1);
    memcpy(text, r->str + sizeof(stale) - 1, n);
    text[n] = '\0';
    char *space = strchr(text, ' ');
    if (space) *space = '\0';
    bool paused;
    uint64_t epoch;
    if (pause_parse_state(text, &paused, &epoch) != 0) return;
    if (pause_merge(s, master, paused, epoch) >= 0) peer->pause_ack_epoch = epoch;
}

bool pause_peer_confirmed(const struct instance *master, const struct instance *peer)
{
    uint64_t e = master->record->params.failover_pause_epoch;
    return e == 0 || peer->pause_ack_epoch == e;
}
