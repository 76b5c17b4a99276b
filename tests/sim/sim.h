/* sim: deterministic simulation of 3-5 sentinel cores, 1 master + 2-4 model data nodes and a
 * network with delay, connection resets, partitions and heal, node and sentinel crashes and
 * restarts (a restarted sentinel resumes from its last persisted state), and clock stalls. One
 * virtual clock; every random choice comes from one seeded PRNG, so a seed replays exactly.
 * Invariants are checked after every delivered event (sim_check.c).
 */
#ifndef VIGIL_SIM_H
#define VIGIL_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rng.h"
#include "sentinel/core/env.h"
#include "sentinel/core/sentinel.h"
#include "sentinel/core/state.h"
#include "store/lease.h"

#define SIM_MAX_SENTINELS 5
#define SIM_MAX_NODES 5
#define SIM_MAX_CONNS 256
#define SIM_MAX_EPOCHS 4096
#define SIM_DOWN_AFTER_MS 1000 /* every simulated group's down-after */
/* The two-voter split schedule (sim_split.c): elected within down-after + this of the cut. */
#define SIM_SPLIT_SLACK_MS 500

enum sim_target { TGT_NONE = 0, TGT_NODE, TGT_SENTINEL };

struct sim_conn {
    bool used;
    uint64_t inst_id;
    enum sentinel_link_kind kind;
    enum sim_target ttype;
    int target;
    uint32_t gen;
    bool up;
    bool broken; /* lost a message: no traffic until reset */
    bool subscribed;
    bool in_multi;
    int n_queued;
    char *queued[8][4]; /* MULTI queue: up to 8 commands of up to 4 args */
    int queued_argc[8];
    int64_t last_to_target_ms, last_to_sentinel_ms; /* FIFO per direction */
};

struct sim_sentinel {
    struct sim *sim;
    int idx;
    char host[32];
    struct sentinel *core;
    struct sentinel_env env;
    bool alive;
    int64_t stalled_until;
    bool has_saved;
    struct sentinel_state saved;
    struct sim_conn conns[SIM_MAX_CONNS];
    uint64_t max_config_epoch;
};

struct sim_node {
    char host[32];
    int port;
    bool alive;
    bool is_master;
    int master_idx; /* which node it replicates from (-1 none) */
    char master_host[32];
    int master_port;
    bool link_up;
    int64_t link_down_since;
    long long offset;
    int priority;
    char runid[41];
    /* The replication history (vigil-store's replid, as a number): a master's own, or the one a
     * replica follows; prev_history is a promoted master's previous one (replid2). */
    int history, prev_history;
    bool accept_next; /* SLAVEOF named its master: the next sync may drop data */
    /* vigil-store's master lease, the store's own code (store/lease.c) on the node's clock:
     * the virtual clock plus a per-node offset, so an anchor means nothing to another node. */
    struct lease_table lease;
    int64_t clock_offset_ms;
};

struct sim_msg;

struct sim {
    struct rng rng;
    uint64_t seed;
    bool verbose;
    int64_t now;
    int n_sentinels, n_nodes, quorum;
    int next_history;
    struct sim_sentinel sentinels[SIM_MAX_SENTINELS];
    struct sim_node nodes[SIM_MAX_NODES];
    int group[SIM_MAX_SENTINELS + SIM_MAX_NODES]; /* partition group per endpoint */
    int drop_permille;
    int64_t delay_max_ms;
    /* message heap */
    struct sim_msg **heap;
    size_t n_heap, cap_heap;
    uint64_t seq;
    /* invariants */
    char leader_of_epoch[SIM_MAX_EPOCHS][41];
    bool failed;
    char failure[512];
    int failovers;
    int64_t split_cut_ms;     /* sim_split.c: when the two-voter split began, 0 = not yet */
    int64_t split_elected_ms; /* the first +elected-leader after it, 0 = none yet */
};

/* sim.c */
uint64_t sim_rand(struct sim *w, uint64_t n);
void sim_fail(struct sim *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_log(struct sim *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool sim_partitioned(const struct sim *w, int ep_a, int ep_b);
/* endpoints: sentinels 0..n-1, nodes SIM_MAX_SENTINELS + i */
#define EP_NODE(i) (SIM_MAX_SENTINELS + (i))
void sim_reply_to(struct sim *w, struct sim_sentinel *ss, int conn, struct sentinel_reply *r,
                  uint32_t tag);
void sim_push_to(struct sim *w, struct sim_sentinel *ss, int conn, const char *payload);
void sim_close_conn(struct sim *w, struct sim_sentinel *ss, int conn, bool notify);

/* sim.c: the world, shared by the schedules. n_sentinels / n_nodes 0 = random (3-5). */
struct sim *sim_world_create(uint64_t seed, bool verbose, int n_sentinels, int n_nodes);
void sim_world_free(struct sim *w);
void sim_step(struct sim *w, int64_t *next_node_ms);
int64_t sim_next_wakeup(struct sim *w, int64_t next_node, int64_t next_fault);
void sim_run_sentinels(struct sim *w);
void sim_sentinel_boot(struct sim *w, int i);
void sim_sentinel_crash(struct sim *w, int i);
void sim_heal(struct sim *w);
void sim_final_heal(struct sim *w);
int sim_true_master(struct sim *w);

/* sim_split.c: one run of the two-voter split schedule; *elect_ms is the time from the cut to
 * the first election (-1: none). */
bool sim_run_split(uint64_t seed, bool verbose, int64_t *elect_ms, char *why, size_t cap);

/* sim_node.c */
void sim_node_init(struct sim *w, int i, bool master);
void sim_node_step(struct sim *w);
void sim_node_command(struct sim *w, struct sim_sentinel *ss, int conn, int argc, char **argv,
                      uint32_t tag);
void sim_node_crash(struct sim *w, int i);
void sim_node_restart(struct sim *w, int i);
/* Restart without data (no persistence): offset 0, a new history. */
void sim_node_restart_empty(struct sim *w, int i);
int sim_node_by_addr(const struct sim *w, const char *host, int port);
/* The node's monotonic clock. */
int64_t sim_node_now(const struct sim *w, int i);
struct sentinel_reply *sim_reply_new(int type, const char *str, long long integer);
void sim_reply_free(struct sentinel_reply *r);

/* sim_check.c */
void sim_check_event(struct sim_sentinel *ss, const char *type, const char *msg);
void sim_check_state(struct sim *w);
/* After the final heal: do all live sentinels agree on one live master? */
bool sim_agreement(struct sim *w, char *why, size_t cap);

#endif
