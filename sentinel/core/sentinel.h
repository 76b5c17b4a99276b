/* sentinel: the public API of the sentinel decision core (sans-IO).
 *
 * The I/O shell owns sockets, the event loop, the state file and the command server. It:
 *   1. implements `struct sentinel_env` (env.h) and creates the core with sentinel_create();
 *   2. calls sentinel_tick() when sentinel_next_tick_ms() says so (a timer), and right after
 *      delivering observations (the core asks for an immediate tick when a reply matters);
 *   3. reports observations: sentinel_on_link_up/down, sentinel_on_reply (command replies, with
 *      the reply_tag given to env->send), sentinel_on_pubsub (everything read on a pub/sub link);
 *   4. answers commands with the functions of sentinel_cmd.h and sentinel_describe.h.
 * sentinel_tick() is the only place decisions are taken (detection, elections, failover
 * steps); observation functions only record facts. The one exception required by the protocol
 * is sentinel_cmd_is_master_down() (a vote must be answered synchronously, after persisting).
 *
 * Ownership: the core copies everything it is given; pointers it returns are valid until the
 * next call into the core.
 */
#ifndef VIGIL_SENTINEL_SENTINEL_H
#define VIGIL_SENTINEL_SENTINEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sentinel/core/env.h"
#include "sentinel/core/monitor.h"
#include "sentinel/core/state.h"

struct instance;

#define SENTINEL_MAX_MASTERS 256
#define SENTINEL_MAX_PENDING_COMMANDS 100

/* Global options (YAML, changed by SENTINEL CONFIG SET). Strings are copied at creation. */
struct sentinel_options {
    int port;                /* our listening port, advertised in hellos */
    const char *announce_ip; /* NULL = the local address of each connection */
    int announce_port;       /* 0 = port */
    bool resolve_hostnames;
    bool announce_hostnames;
    const char *sentinel_user; /* credentials used with peer sentinels */
    const char *sentinel_pass;
    const char *requirepass; /* ours; used with peers when sentinel_pass is unset */
    bool deny_scripts_reconfig;
};

struct sentinel;

/* `initial` holds masters (from YAML and/or the state file), the epoch and the learned tables.
 * An empty myid gets a fresh random one (persisted at the first flush). */
struct sentinel *sentinel_create(const struct sentinel_env *env, const struct sentinel_options *opt,
                                 const struct sentinel_state *initial);
void sentinel_destroy(struct sentinel *s);

/* Run one tick at monotonic time now_ms (the loop's cached now). Emits "+monitor" for every
 * master on the first tick. */
void sentinel_tick(struct sentinel *s, int64_t now_ms);
/* Absolute monotonic time of the next wanted tick (<= now when a tick is wanted at once). */
int64_t sentinel_next_tick_ms(const struct sentinel *s);

/* Observations. local_ip: our address on that connection (used in hellos). */
void sentinel_on_link_up(struct sentinel *s, uint64_t inst_id, enum sentinel_link_kind kind,
                         const char *local_ip);
void sentinel_on_link_down(struct sentinel *s, uint64_t inst_id, enum sentinel_link_kind kind);
void sentinel_on_reply(struct sentinel *s, uint64_t inst_id, uint32_t reply_tag,
                       const struct sentinel_reply *reply);
void sentinel_on_pubsub(struct sentinel *s, uint64_t inst_id, const struct sentinel_reply *msg);

/* Snapshot of the durable state (caller frees with sentinel_state_free). */
void sentinel_state_snapshot(const struct sentinel *s, struct sentinel_state *out);

/* ---- extensions beyond Redis Sentinel (HTTP API, webhooks; switchover.h has the details) ---- */

/* Pre-failover hook (a webhook with `pre-failover: true`). Called once per attempt after the
 * replica to promote is chosen and before anything is sent to it (or, for a switchover, to the
 * master). The attempt waits for sentinel_veto_answer() (at most failover-timeout, then it
 * aborts with -failover-abort-veto-timeout); a veto aborts it with -failover-abort-vetoed.
 * Strings are borrowed for the duration of the call. The hook may answer from inside the call. */
struct sentinel_veto_request {
    const char *master;
    uint64_t epoch;
    const char *kind; /* "automatic", "forced" or "switchover" */
    const char *old_host;
    int old_port;
    const char *new_host;
    int new_port;
};
typedef void (*sentinel_veto_fn)(void *ctx, const struct sentinel_veto_request *req);
void sentinel_set_veto_hook(struct sentinel *s, sentinel_veto_fn fn, void *ctx);
/* A stale answer (other epoch, no attempt waiting) is ignored. */
void sentinel_veto_answer(struct sentinel *s, const char *master, uint64_t epoch, bool approved,
                          const char *why);

/* Maintenance mode: a paused group is monitored and reported, but this sentinel never starts an
 * automatic failover for it (forced failovers and switchovers still run). Emits +paused /
 * -paused on a change. The new state, with a new pause epoch, is persisted and pushed to every
 * peer (pause.c), and again to each peer whose link comes back. Returns the number of peers it
 * was sent to now, or -1 for an unknown name. */
int sentinel_set_paused(struct sentinel *s, const char *name, bool paused);

/* Lossless switchover (switchover.h): elected like a failover, then the node's own
 * `FAILOVER TO <target> TIMEOUT <timeout_ms>` pauses writes on the master until the target has
 * its exact offset, the target takes over and the old master becomes its replica. On timeout
 * the node resumes writes and the attempt aborts. to_host NULL = the best eligible replica.
 * timeout_ms <= 0 = SENTINEL_SWITCHOVER_DEFAULT_TIMEOUT_MS. Returns 0 (started; the attempt's
 * epoch is the master's failover epoch) or a negative SWITCHOVER_E* with a reason in why. */
#define SENTINEL_SWITCHOVER_DEFAULT_TIMEOUT_MS 5000
#define SENTINEL_SWITCHOVER_MAX_TIMEOUT_MS 600000
enum {
    SWITCHOVER_ENOENT = -1,  /* no such master */
    SWITCHOVER_EBUSY = -2,   /* a failover or switchover is already running */
    SWITCHOVER_EDOWN = -3,   /* the master is down or unreachable: use a (forced) failover */
    SWITCHOVER_ETARGET = -4, /* the target is unknown or unfit, or no replica is fit */
    SWITCHOVER_ETILT = -5,   /* this sentinel is in TILT */
};
int sentinel_switchover(struct sentinel *s, const char *name, const char *to_host, int to_port,
                        int64_t timeout_ms, char *why, size_t why_len);
/* "automatic", "forced" or "switchover" for the attempt in progress ("automatic" when none). */
const char *sentinel_failover_kind(const struct instance *master);
/* Send INFO now to every connected replica of `name` that is not down, as a failover does
 * before ranking (the HTTP plan waits for the replies), and ask the master and those replicas
 * again what this sentinel's user may run (acl_probe.h). Returns the send time (the core's
 * monotonic ms), or -1 for an unknown name. */
int64_t sentinel_refresh_info(struct sentinel *s, const char *name);
/* An HTTP check wants replica host:port's INFO at most max_age_ms old: poll it every
 * max(SENTINEL_FRESH_INFO_MIN_MS, max_age_ms / 2) for the next SENTINEL_FRESH_INFO_HOLD_MS
 * (renewed by each check), so a health checker asking every second or two gets fresh answers. */
#define SENTINEL_FRESH_INFO_MIN_MS 100
#define SENTINEL_FRESH_INFO_HOLD_MS 30000
void sentinel_want_fresh_info(struct sentinel *s, const char *name, const char *host, int port,
                              int64_t max_age_ms);

/* Event types (notify.c): whether `type` is one the sentinel emits; whether a webhook filter
 * glob matches at least one (if not, *suggestion is a near name or NULL). */
bool sentinel_event_known(const char *type);
bool sentinel_event_glob_known(const char *glob, const char **suggestion);

/* Read-only accessors for the shell, HTTP and the simulation. */
/* The core's clocks (env): monotonic ms, as in every instance timestamp; wall ms for display. */
int64_t sentinel_now_ms(const struct sentinel *s);
int64_t sentinel_wall_ms(const struct sentinel *s);
const char *sentinel_myid(const struct sentinel *s);
uint64_t sentinel_current_epoch(const struct sentinel *s);
bool sentinel_in_tilt(const struct sentinel *s);
/* Why the last save of the state failed (a full disk, a removed dir), or NULL when it succeeded:
 * /readyz answers 503 with it, INFO shows it. The shell notes the reason before it fails. */
const char *sentinel_persist_error(const struct sentinel *s);
uint64_t sentinel_persist_failures(const struct sentinel *s);
void sentinel_note_persist_error(struct sentinel *s, const char *why);
int64_t sentinel_tilt_since_ms(const struct sentinel *s); /* -1 when not in TILT */
/* Why the last TILT began ("stall: ..."), kept after it ends; NULL if never. */
const char *sentinel_tilt_cause(const struct sentinel *s);
struct sentinel_periods *sentinel_periods(struct sentinel *s);
size_t sentinel_master_count(const struct sentinel *s);
/* The i-th master record (instance.h), for read-only inspection. */
const struct instance *sentinel_master_at(const struct sentinel *s, size_t i);
const struct instance *sentinel_master_by_name(const struct sentinel *s, const char *name);
/* With discovery-when-isolated refuse (the default), a sentinel cut off from the majority of its
 * peers (monitor_majority_reachable) must not name a master it cannot vouch for: -1 and the
 * error line for GET-MASTER-ADDR-BY-NAME in why (docs/sentinel-protocol.md#isolated-sentinel);
 * 0 when it may answer (or the name is unknown). */
int sentinel_addr_refusal(const struct sentinel *s, const char *name, char *why, size_t cap);
/* The address clients should use (promoted replica once the local failover reached
 * RECONF_SLAVES). 0, or -1 for an unknown name. */
int sentinel_get_master_addr(const struct sentinel *s, const char *name, const char **host,
                             int *port);

#endif
