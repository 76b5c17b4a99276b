/* sim: the simulation driver (see sim.h). `sim-sentinel --seeds N` runs seeds 1..N and prints
 * failing seeds and a final "N passed, N failed" line; `sim-sentinel --seed S` replays one seed
 * verbosely. Exit status is non-zero if any seed violated an invariant. */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

#define FAULT_START_MS 3000
#define FAULT_END_MS 40000
#define AGREE_BOUND_MS 30000

int64_t sim_net_next_ms(const struct sim *w);
void sim_net_deliver_due(struct sim *w);
void sim_net_reset_broken(struct sim *w);
void sim_net_free(struct sim *w);
void sim_env_init(struct sim_sentinel *ss);
void sim_after_core_call(struct sim *w, struct sim_sentinel *ss);

uint64_t sim_rand(struct sim *w, uint64_t n) { return n ? rng_below(&w->rng, n) : 0; }

void sim_fail(struct sim *w, const char *fmt, ...)
{
    if (w->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(w->failure, sizeof(w->failure), "t=%lld ms: ", (long long)w->now);
    vsnprintf(w->failure + n, sizeof(w->failure) - (size_t)n, fmt, ap);
    va_end(ap);
    w->failed = true;
}

void sim_log(struct sim *w, const char *fmt, ...)
{
    if (!w->verbose) return;
    va_list ap;
    va_start(ap, fmt);
    printf("%8lld ", (long long)w->now);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

bool sim_partitioned(const struct sim *w, int a, int b) { return w->group[a] != w->group[b]; }

/* ---- sentinels ------------------------------------------------------------------------------ */

static void tune_periods(struct sentinel *core)
{
    struct sentinel_periods *periods = sentinel_periods(core);
    periods->info_period = 2000;
    periods->ping_period = 200;
    periods->ask_period = 500;
    periods->publish_period = 500;
    periods->tilt_period = 5000;
    periods->election_timeout = 2000;
    periods->min_link_reconnect_period = 5000;
    periods->slave_reconf_timeout = 3000;
    periods->reconnect_period = 200;
    periods->tick_period = 20;
}

void sim_sentinel_boot(struct sim *w, int i)
{
    struct sim_sentinel *ss = &w->sentinels[i];
    struct sentinel_state st;
    if (ss->has_saved) {
        sentinel_state_copy(&st, &ss->saved);
    } else {
        memset(&st, 0, sizeof(st));
        struct sentinel_state_master *sm =
            sentinel_state_add_master(&st, "mymaster", "10.0.0.1", 6379, w->quorum);
        sm->params.down_after_ms = SIM_DOWN_AFTER_MS;
        sm->params.failover_timeout_ms = 5000;
    }
    struct sentinel_options opt = {.port = 26379, .deny_scripts_reconfig = true};
    ss->core = sentinel_create(&ss->env, &opt, &st);
    sentinel_state_free(&st);
    tune_periods(ss->core);
    ss->alive = true;
    ss->stalled_until = 0;
    sim_log(w, "S%d boots (epoch %llu)", i, (unsigned long long)sentinel_current_epoch(ss->core));
}

void sim_sentinel_crash(struct sim *w, int i)
{
    struct sim_sentinel *ss = &w->sentinels[i];
    if (!ss->alive) return;
    sim_log(w, "S%d crashes", i);
    sentinel_destroy(ss->core);
    ss->core = NULL;
    ss->alive = false;
    for (int c = 0; c < SIM_MAX_CONNS; c++) sim_close_conn(w, ss, c, false);
    for (int s = 0; s < w->n_sentinels; s++) {
        struct sim_sentinel *o = &w->sentinels[s];
        if (!o->alive) continue;
        for (int c = 0; c < SIM_MAX_CONNS; c++)
            if (o->conns[c].used && o->conns[c].ttype == TGT_SENTINEL && o->conns[c].target == i)
                sim_close_conn(w, o, c, true);
    }
}

void sim_after_core_call(struct sim *w, struct sim_sentinel *ss)
{
    while (ss->alive && sentinel_next_tick_ms(ss->core) <= w->now) sentinel_tick(ss->core, w->now);
    sim_check_state(w);
}

/* ---- faults ---------------------------------------------------------------------------------- */

int sim_true_master(struct sim *w)
{
    for (int i = 0; i < w->n_nodes; i++)
        if (w->nodes[i].alive && w->nodes[i].is_master) return i;
    return -1;
}

void sim_heal(struct sim *w)
{
    memset(w->group, 0, sizeof(w->group));
    sim_net_reset_broken(w);
}

static void fault(struct sim *w)
{
    int k = (int)sim_rand(w, 100), i;
    if (k < 25 && (i = sim_true_master(w)) >= 0) {
        sim_log(w, "FAULT crash master node %s", w->nodes[i].host);
        sim_node_crash(w, i);
    } else if (k < 45) {
        i = (int)sim_rand(w, (uint64_t)w->n_nodes);
        if (!w->nodes[i].alive && sim_rand(w, 2)) {
            sim_log(w, "FAULT restart node %s empty", w->nodes[i].host);
            sim_node_restart_empty(w, i);
        } else if (!w->nodes[i].alive) {
            sim_log(w, "FAULT restart node %s", w->nodes[i].host);
            sim_node_restart(w, i);
        }
    } else if (k < 60) {
        sim_log(w, "FAULT partition");
        for (int e = 0; e < SIM_MAX_SENTINELS + SIM_MAX_NODES; e++)
            w->group[e] = (int)sim_rand(w, 2);
    } else if (k < 75) {
        sim_log(w, "FAULT heal");
        sim_heal(w);
    } else if (k < 83) {
        sim_sentinel_crash(w, (int)sim_rand(w, (uint64_t)w->n_sentinels));
    } else if (k < 91) {
        i = (int)sim_rand(w, (uint64_t)w->n_sentinels);
        if (!w->sentinels[i].alive) sim_sentinel_boot(w, i);
    } else if (k < 96) {
        i = (int)sim_rand(w, (uint64_t)w->n_sentinels);
        w->sentinels[i].stalled_until = w->now + 2500 + (int64_t)sim_rand(w, 1500);
        sim_log(w, "FAULT stall S%d until %lld", i, (long long)w->sentinels[i].stalled_until);
    } else {
        w->drop_permille = sim_rand(w, 2) ? 0 : 5 + (int)sim_rand(w, 20);
        w->delay_max_ms = 1 + (int64_t)sim_rand(w, 20);
        sim_log(w, "FAULT drop %d permille, delay <= %lld ms", w->drop_permille,
                (long long)w->delay_max_ms);
    }
}

void sim_final_heal(struct sim *w)
{
    sim_log(w, "FINAL heal: everything restarted and connected");
    sim_heal(w);
    w->drop_permille = 0;
    for (int i = 0; i < w->n_nodes; i++)
        if (!w->nodes[i].alive) sim_node_restart(w, i);
    for (int i = 0; i < w->n_sentinels; i++)
        if (!w->sentinels[i].alive) sim_sentinel_boot(w, i);
}

/* ---- one seed -------------------------------------------------------------------------------- */

int64_t sim_next_wakeup(struct sim *w, int64_t next_node, int64_t next_fault)
{
    int64_t t = MIN(sim_net_next_ms(w), MIN(next_node, next_fault));
    for (int i = 0; i < w->n_sentinels; i++) {
        struct sim_sentinel *ss = &w->sentinels[i];
        if (!ss->alive) continue;
        int64_t n = MAX(sentinel_next_tick_ms(ss->core), ss->stalled_until);
        t = MIN(t, n);
    }
    return MAX(t, w->now + 1);
}

void sim_run_sentinels(struct sim *w)
{
    for (int i = 0; i < w->n_sentinels && !w->failed; i++) {
        struct sim_sentinel *ss = &w->sentinels[i];
        if (!ss->alive || ss->stalled_until > w->now) continue;
        if (sentinel_next_tick_ms(ss->core) <= w->now) {
            sentinel_tick(ss->core, w->now);
            sim_after_core_call(w, ss);
        }
    }
}

struct sim *sim_world_create(uint64_t seed, bool verbose, int n_sentinels, int n_nodes)
{
    struct sim *w = xcalloc(1, sizeof(*w));
    w->seed = seed;
    w->verbose = verbose;
    rng_seed(&w->rng, seed);
    w->now = 1000000;
    w->n_sentinels = n_sentinels ? n_sentinels : 3 + (int)sim_rand(w, 3);
    w->n_nodes = n_nodes ? n_nodes : 3 + (int)sim_rand(w, 3);
    w->quorum = w->n_sentinels / 2 + 1;
    w->delay_max_ms = 3;
    w->next_history = 1; /* every node starts in history 1 */
    for (int i = 0; i < w->n_nodes; i++) sim_node_init(w, i, i == 0);
    for (int i = 0; i < w->n_sentinels; i++) {
        struct sim_sentinel *ss = &w->sentinels[i];
        ss->sim = w;
        ss->idx = i;
        snprintf(ss->host, sizeof(ss->host), "10.0.1.%d", i + 1);
        sim_env_init(ss);
        sim_sentinel_boot(w, i);
    }
    sim_log(w, "seed %llu: %d sentinels (quorum %d), %d nodes", (unsigned long long)seed,
            w->n_sentinels, w->quorum, w->n_nodes);
    return w;
}

void sim_world_free(struct sim *w)
{
    for (int i = 0; i < w->n_sentinels; i++) {
        if (w->sentinels[i].alive) sentinel_destroy(w->sentinels[i].core);
        for (int c = 0; c < SIM_MAX_CONNS; c++) sim_close_conn(w, &w->sentinels[i], c, false);
        if (w->sentinels[i].has_saved) sentinel_state_free(&w->sentinels[i].saved);
    }
    sim_net_free(w);
    free(w);
}

/* One step of the world: due messages, due ticks, the model nodes every 10 ms. */
void sim_step(struct sim *w, int64_t *next_node_ms)
{
    sim_net_deliver_due(w);
    sim_run_sentinels(w);
    if (w->now >= *next_node_ms) {
        sim_node_step(w);
        *next_node_ms = w->now + 10;
    }
}

/* The random schedule: faults of every kind for FAULT_END_MS, then a final heal after which the
 * sentinels must agree within AGREE_BOUND_MS. */
static bool run_seed(uint64_t seed, bool verbose, char *why, size_t cap)
{
    struct sim *w = sim_world_create(seed, verbose, 0, 0);
    int64_t t0 = w->now, next_node = w->now, next_fault = t0 + FAULT_START_MS;
    int64_t end = t0 + FAULT_END_MS + AGREE_BOUND_MS;
    bool healed = false, agreed = false;
    int64_t next_check = INT64_MAX;
    while (!w->failed && w->now < end) {
        sim_step(w, &next_node);
        if (w->now >= next_fault && !healed) {
            if (w->now >= t0 + FAULT_END_MS) {
                sim_final_heal(w);
                healed = true;
                next_fault = INT64_MAX;
                next_check = w->now + 100;
            } else {
                fault(w);
                next_fault = w->now + 1000 + (int64_t)sim_rand(w, 3000);
            }
        }
        if (healed && w->now >= next_check) {
            if (sim_agreement(w, why, cap)) {
                agreed = true;
                break;
            }
            next_check = w->now + 100;
        }
        w->now = sim_next_wakeup(w, next_node, MIN(next_fault, next_check));
    }
    bool ok = !w->failed && agreed;
    if (w->failed)
        snprintf(why, cap, "%s", w->failure);
    else if (!agreed) {
        char detail[256];
        sim_agreement(w, detail, sizeof(detail));
        snprintf(why, cap, "no agreement %d ms after the final heal: %s", AGREE_BOUND_MS, detail);
    }
    sim_log(w, "seed %llu: %s (%d promotions)", (unsigned long long)seed, ok ? "ok" : why,
            w->failovers);
    sim_world_free(w);
    return ok;
}

static int cmp_ms(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The split schedule's election times (ms after the cut), as percentiles. */
static void print_split_stats(int64_t *ms, size_t n)
{
    if (n == 0) return;
    qsort(ms, n, sizeof(*ms), cmp_ms);
    size_t never = 0;
    while (never < n && ms[never] < 0) never++;
    int64_t *got = ms + never;
    size_t m = n - never;
    printf("split elections: %zu runs, ms from the cut to a leader: p50 %lld, p99 %lld, max %lld "
           "(bound %d), never elected: %zu\n",
           n, m ? (long long)got[m / 2] : -1LL, m ? (long long)got[(m * 99) / 100] : -1LL,
           m ? (long long)got[m - 1] : -1LL, SIM_DOWN_AFTER_MS + SIM_SPLIT_SLACK_MS, never);
}

/* Both schedules of one seed; failures are printed with the replay command. */
static bool run_both(long long seed, bool verbose, int64_t *elect_ms)
{
    char why[600];
    bool ok = true;
    if (!run_seed((uint64_t)seed, verbose, why, sizeof(why))) {
        printf("seed %lld FAILED: %s (replay: bin/sim-sentinel --seed %lld)\n", seed, why, seed);
        ok = false;
    }
    if (!sim_run_split((uint64_t)seed, verbose, elect_ms, why, sizeof(why))) {
        printf("seed %lld FAILED (split schedule): %s (replay: bin/sim-sentinel --seed %lld)\n",
               seed, why, seed);
        ok = false;
    }
    return ok;
}

int main(int argc, char **argv)
{
    long long seeds = 0, one = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
            seeds = atoll(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            one = atoll(argv[++i]);
        else {
            fprintf(stderr, "usage: %s --seeds N | --seed S\n", argv[0]);
            return 2;
        }
    }
    if (one < 0 && seeds <= 0) seeds = 100;
    log_set_level(one >= 0 ? LOG_WARNING : LOG_NONE);
    long long first = one >= 0 ? one : 1, last = one >= 0 ? one : seeds;
    size_t n = (size_t)(last - first + 1);
    int64_t *elect_ms = xcalloc(n, sizeof(*elect_ms));
    int passed = 0, failed = 0;
    for (long long s = first; s <= last; s++)
        run_both(s, one >= 0, &elect_ms[s - first]) ? passed++ : failed++;
    print_split_stats(elect_ms, n);
    free(elect_ms);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
