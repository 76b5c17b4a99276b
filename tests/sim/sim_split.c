/* sim_split: the two-voter split schedule (issue #18). Three sentinels (quorum 2) and three
 * nodes run calmly until every sentinel knows its two peers; then the master and one sentinel
 * are cut off together (a partition, both crash, or the master crashes while the sentinel is
 * partitioned away), so exactly two voters remain and they can talk. Both see the master down
 * within a ping interval of each other and both may start an election in the same epoch; with
 * only two voters each vote for itself splits the round. Invariant: one of the two is elected
 * within down-after + SIM_SPLIT_SLACK_MS of the cut (simulated time). Then everything heals and
 * the sentinels must agree on one live master, as in the random schedule. The replicas get mixed
 * priorities, so the promotion check (sim_check.c) sees offset-first beat a better priority.
 *
 * A quarter of the seeds (seed % 4 == 3, chosen without drawing from the PRNG so the other seeds
 * replay as before) also crash one replica with the master: with 1 master + 2 replicas the
 * default promotion-quorum (majority) needs both replicas' offsets, so a leader is elected but
 * must promote nothing until the final heal; a promotion before it fails the run.
 *
 * The bound covers detection (down-after plus one PING interval and a tick), the randomized
 * start of the attempt and, when two candidates still collide, the early end of the lost round
 * and one retry. The old behaviour (a lost round noticed only at the election timeout) fails it.
 */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/core/core_int.h"
#include "sim.h"

#define SPLIT_SEED_SALT                                                                            \
    0x5b1175eedULL /* the split run of seed S is independent of S's random run */
#define SPLIT_CALM_MIN_MS 3000
#define SPLIT_DISCOVERY_MAX_MS 15000
#define SPLIT_WATCH_MS 15000 /* keep measuring past the bound, so "before" figures are real */
#define SPLIT_AFTER_MS 4000  /* let the failover finish before the heal */
#define SPLIT_AGREE_MS 30000

static bool peers_known(struct sim *w)
{
    for (int i = 0; i < w->n_sentinels; i++) {
        const struct instance *m = sentinel_master_at(w->sentinels[i].core, 0);
        if (m == NULL || (int)m->record->n_sentinels < w->n_sentinels - 1) return false;
    }
    return true;
}

/* Run the world until `until` or until stop(w) holds. */
static void run_until(struct sim *w, int64_t until, int64_t *next_node,
                      bool (*stop)(const struct sim *w))
{
    while (!w->failed && w->now < until && !(stop && stop(w))) {
        sim_step(w, next_node);
        w->now = sim_next_wakeup(w, *next_node, until);
    }
}

static bool is_elected(const struct sim *w) { return w->split_elected_ms != 0; }

static bool loses_a_replica(const struct sim *w) { return (w->seed ^ SPLIT_SEED_SALT) % 4 == 3; }

static void cut(struct sim *w)
{
    int k = (int)sim_rand(w, (uint64_t)w->n_sentinels);
    int mode = (int)sim_rand(w, 3);
    if (loses_a_replica(w)) {
        int r = 1 + (int)(((w->seed ^ SPLIT_SEED_SALT) / 4) % 2);
        sim_log(w, "SPLIT cut: crash replica %s too", w->nodes[r].host);
        sim_node_crash(w, r);
    }
    int master = sim_true_master(w);
    if (master < 0) {
        sim_fail(w, "split: no master before the cut");
        return;
    }
    static const char *const names[] = {"partition {master, S}", "crash master and S",
                                        "crash master, partition S"};
    sim_log(w, "SPLIT cut: %s%d", names[mode], k);
    if (mode == 0) {
        w->group[EP_NODE(master)] = 1;
        w->group[k] = 1;
    } else {
        sim_node_crash(w, master);
        if (mode == 1)
            sim_sentinel_crash(w, k);
        else
            w->group[k] = 1;
    }
    w->split_cut_ms = w->now;
}

bool sim_run_split(uint64_t seed, bool verbose, int64_t *elect_ms, char *why, size_t cap)
{
    struct sim *w = sim_world_create(seed ^ SPLIT_SEED_SALT, verbose, 3, 3);
    w->delay_max_ms = 1 + (int64_t)sim_rand(w, 5);
    /* Mixed priorities, so offset-first promotion is checked against priority-first. */
    for (int i = 1; i < w->n_nodes; i++) w->nodes[i].priority = sim_rand(w, 2) ? 100 : 50;
    int64_t t0 = w->now, next_node = w->now;
    run_until(w, t0 + SPLIT_CALM_MIN_MS + (int64_t)sim_rand(w, 2000), &next_node, NULL);
    while (!w->failed && !peers_known(w) && w->now < t0 + SPLIT_DISCOVERY_MAX_MS)
        run_until(w, w->now + 100, &next_node, NULL);
    if (!w->failed && !peers_known(w)) sim_fail(w, "split: the sentinels never found each other");
    if (!w->failed) cut(w);
    run_until(w, w->now + SPLIT_WATCH_MS, &next_node, is_elected);
    int64_t bound = SIM_DOWN_AFTER_MS + SIM_SPLIT_SLACK_MS;
    *elect_ms = w->split_elected_ms ? w->split_elected_ms - w->split_cut_ms : -1;
    if (!w->failed && (*elect_ms < 0 || *elect_ms > bound))
        sim_fail(w, "split: no leader elected within %lld ms of the cut (%s)", (long long)bound,
                 *elect_ms < 0 ? "none at all" : "late");
    int promotions_before = w->failovers;
    run_until(w, w->now + SPLIT_AFTER_MS, &next_node, NULL);
    if (!w->failed && loses_a_replica(w) && w->failovers > promotions_before)
        sim_fail(w, "split: promoted with the master and a replica lost (promotion-quorum)");
    if (!w->failed) sim_final_heal(w);
    bool agreed = false;
    int64_t end = w->now + SPLIT_AGREE_MS;
    while (!w->failed && !agreed && w->now < end) {
        run_until(w, w->now + 100, &next_node, NULL);
        agreed = sim_agreement(w, why, cap);
    }
    bool ok = !w->failed && agreed;
    if (w->failed) {
        snprintf(why, cap, "%s", w->failure);
    } else if (!agreed) {
        char detail[256];
        sim_agreement(w, detail, sizeof(detail));
        snprintf(why, cap, "split: no agreement %d ms after the heal: %s", SPLIT_AGREE_MS, detail);
    }
    sim_log(w, "split seed %llu: %s (elected %lld ms after the cut)", (unsigned long long)seed,
            ok ? "ok" : why, (long long)*elect_ms);
    sim_world_free(w);
    return ok;
}
