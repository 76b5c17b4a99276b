/* core_int: the core's internal context and the helpers shared by the files of sentinel/core
 * (sentinel.c, state.c, observe.c, discovery.c, failover.c, master_switch.c, notify.c, the
 * command modules). Not for the I/O shell or sentinel/http; unit tests and the simulation may
 * look inside.
 *
 * Invariants: `index` lists every live instance sorted by id (ids only grow, so appends keep
 * it sorted); `masters` holds at most SENTINEL_MAX_MASTERS; `persist_wanted` is flushed at the
 * end of every entry point (core_flush), while votes and epoch adoption persist synchronously.
 */
#ifndef VIGIL_SENTINEL_SENTINEL_INT_H
#define VIGIL_SENTINEL_SENTINEL_INT_H

#include <stdarg.h>

#include "common/log.h"

#include "sentinel/core/env.h"
#include "sentinel/core/info_parse.h"
#include "sentinel/core/instance.h"
#include "sentinel/core/monitor.h"
#include "sentinel/core/sentinel.h"

/* reply tags given to env->send */
enum core_tag {
    TAG_IGNORE = 0,
    TAG_PING = 1,
    TAG_INFO = 2,
    TAG_PUBLISH = 3,
    TAG_ASK = 4,
    TAG_EXEC = 5,
    TAG_FAILOVER = 6,   /* FAILOVER TO ... sent by a switchover (switchover.c) */
    TAG_PAUSE = 7,      /* SENTINEL SET <m> failover-pause-state to a peer (pause.c) */
    TAG_LEASE = 8,      /* VIGIL LEASE to a master (lease.c) */
    TAG_ACL_PROBE = 16, /* ..16 + ACL_PROBE_COUNT - 1: ACL DRYRUN of our user (acl_probe.c) */
};

enum { SIMFAIL_CRASH_AFTER_ELECTION = 1, SIMFAIL_CRASH_AFTER_PROMOTION = 2 };

struct core_options {
    int port;
    char *announce_ip;
    int announce_port;
    bool resolve_hostnames;
    bool announce_hostnames;
    char *sentinel_user;
    char *sentinel_pass;
    char *requirepass;
    bool deny_scripts_reconfig;
};

struct index_entry {
    uint64_t id;
    struct instance *ri;
};

#define CORE_HELLO_QUEUE 64
#define CORE_CONFIG_UPDATE_WAIT_MS                                                                 \
    5000                        /* for the new master's INFO, then the update is refused           \
                                 */
#define CORE_REJECT_LOG_MS 1000 /* at most one +config-update-rejected per master */

struct queued_hello {
    char *payload;
    size_t len;
    bool via_pubsub;
};

/* A log limiter (core_log_rate); zero-initialized is ready. */
struct core_log_rate {
    int64_t window_start_ms;
    unsigned lines_in_window;
    unsigned long long suppressed;
};

struct sentinel {
    struct sentinel_env env;
    struct core_options opt;
    struct sentinel_periods periods;
    char myid[SENTINEL_RUNID_LEN + 1];
    uint64_t current_epoch;
    bool tilt;
    int64_t tilt_start_ms;
    char tilt_cause[128]; /* why the last TILT began, "" = never (docs/sentinel-protocol.md#tilt) */
    int64_t prev_tick_ms;
    int64_t next_tick_ms;
    bool started; /* first tick done (+monitor events emitted) */
    bool tick_wanted;
    bool persist_wanted;
    char persist_error[256];   /* why the last save failed; "" after a successful one */
    uint64_t persist_failures; /* saves failed since start */
    struct core_log_rate persist_log_rate;
    struct core_log_rate stale_view_log_rate; /* reconfigurations held back (tick.c) */
    struct core_log_rate lease_log_rate;      /* lease renewals refused (lease.c) */
    bool crashed;                             /* SIMULATE-FAILURE fired: ignore everything */
    unsigned simfail_flags;
    uint64_t next_id;
    size_t n_masters;
    struct instance *masters[SENTINEL_MAX_MASTERS];
    size_t n_index, cap_index;
    struct index_entry *index;
    sentinel_veto_fn veto_fn; /* pre-failover hook (NULL = none) */
    void *veto_ctx;
    size_t n_hello_q; /* hellos received, processed by the next tick */
    struct queued_hello hello_q[CORE_HELLO_QUEUE];
};

/* sentinel.c */
int64_t core_now(const struct sentinel *s);
uint64_t core_random_below(struct sentinel *s, uint64_t n);
struct instance *core_find(const struct sentinel *s, uint64_t id);
struct instance *core_master_by_name(const struct sentinel *s, const char *name);
struct instance *core_add_master(struct sentinel *s, const char *name, const char *host, int port,
                                 const struct sentinel_master_params *params);
struct instance *core_new_replica(struct sentinel *s, struct instance *master, const char *host,
                                  int port, bool announce);
struct instance *core_new_sentinel(struct sentinel *s, struct instance *master, const char *host,
                                   int port, const char *runid);
/* Close links, unindex and free (masters with their replicas and peers). */
void core_drop_instance(struct sentinel *s, struct instance *ri);
void core_remove_master(struct sentinel *s, struct instance *master);
void core_close_links(struct sentinel *s, struct instance *ri);
int core_send(struct sentinel *s, struct instance *ri, int argc, const char *const *argv,
              uint32_t tag);
/* MULTI / SLAVEOF host port (NO ONE when host is NULL) / CONFIG REWRITE / CLIENT KILL x2 / EXEC,
 * then INFO so the outcome is seen one round trip later. 0 when queued. */
int core_send_slaveof(struct sentinel *s, struct instance *ri, const char *host, int port);
void core_want_tick(struct sentinel *s);
/* The same address in the form clients and peers are told (announce-hostnames). */
void core_announced_master_addr(const struct sentinel *s, const struct instance *master,
                                const char **host, int *port);
/* Moves ri to host:port and learns its numeric address. */
void core_set_address(struct sentinel *s, struct instance *ri, const char *host, int port);
/* Publish our hello on ri's command link (docs/sentinel-protocol.md#hello-messages). */
void core_send_hello(struct sentinel *s, struct instance *ri, int64_t now_ms);
/* Back-date hello timers so the next pass republishes everywhere; and publish now. */
void core_force_hello(struct sentinel *s, struct instance *master);
void core_ask_peers(struct sentinel *s, struct instance *master, bool forced, int64_t now_ms);
/* Our attempt in the current failover epoch ended without sending a promotion: tell every peer
 * (SENTINEL VOTE-RELEASE) that a vote for us in that epoch holds nothing back any more, and
 * release our own (docs/sentinel-protocol.md#vote-release). */
void core_release_votes(struct sentinel *s, struct instance *master);
void core_simulate_crash(struct sentinel *s);

/* state.c: the durable state. core_mark_persist asks for a save at the end of the entry point
 * (core_flush); core_persist_now saves at once (votes, epochs), 0 or the env's error. */
void core_mark_persist(struct sentinel *s);
int core_persist_now(struct sentinel *s);
void core_flush(struct sentinel *s);

/* master_switch.c: the caller clears the failover record first (failover_clear). */
/* The address switch (docs/sentinel-protocol.md#address-switch): reset the master record onto a
 * new address, rebuild the replica table. */
void master_switch_to(struct sentinel *s, struct instance *master, const char *host, int port);
/* Reset a master as SENTINEL RESET does (forget replicas and peers). */
void master_switch_reset(struct sentinel *s, struct instance *master);

/* core_log.c: the core's log lines leave through env->log, never log_*() (common/log.h is
 * included for enum log_level only). Over CORE_LOG_LINE_MAX bytes a line is cut. */
void core_log(struct sentinel *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a line that can repeat in a loop: at most LOG_RATE_LINES per LOG_RATE_WINDOW_MS
 * of the core's clock through one limiter; the lines left out are counted and reported with
 * the next line written through it. */
void core_log_rate(struct sentinel *s, struct core_log_rate *rate, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* notify.c: the single place events leave the core. ri may be NULL; the message is the
 * "<%@>" of ri (if given) followed by a space and fmt (if given). */
void notify_event(struct sentinel *s, int level, const char *type, const struct instance *ri,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* discovery.c */
/* Process a hello payload received from instance `from` (NULL: direct PUBLISH to us). */
void discovery_process_hello(struct sentinel *s, const char *payload, size_t len, bool via_pubsub);
/* Apply or refuse a pending configuration update once its new master answered INFO. */
void discovery_check_config_update(struct sentinel *s, struct instance *master, int64_t now_ms);
void discovery_on_info_replicas(struct sentinel *s, struct instance *master,
                                const struct info_parsed *info);

/* tick.c: can this sentinel vouch for its view of the master's group? NULL if so, else why not
 * (docs/sentinel-protocol.md#info-reactions): no newer config epoch announced within wait_ms
 * and, with need_majority, hellos within wait_ms from a majority of the known sentinels. */
const char *view_stale_reason(const struct instance *master, bool need_majority, int64_t wait_ms,
                              int64_t now_ms);

/* forget.c: drop replicas and peers unseen for forget-after
 * (docs/sentinel-protocol.md#forgetting). */
void forget_unseen(struct sentinel *s, struct instance *master, int64_t now_ms);

/* observe.c */
void observe_info(struct sentinel *s, struct instance *ri, const char *text, size_t len,
                  int64_t now_ms);

/* election use from the tick and from the command handler (sentinel.c). Persists the vote
 * before returning; on persist failure the vote is rolled back. */
void core_vote(struct sentinel *s, struct instance *master, uint64_t req_epoch,
               const char *candidate, int64_t now_ms);

#endif
