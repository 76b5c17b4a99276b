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

#include "sentinel/env.h"
#include "sentinel/monitor.h"
#include "sentinel/state.h"

#define SENTINEL_MAX_MASTERS 256
#define SENTINEL_MAX_PENDING_COMMANDS 100

/* Global options (YAML, changed by SENTINEL CONFIG SET). Strings are copied at creation. */
struct sentinel_options {
    int port;             /* our listening port, advertised in hellos */
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

/* Read-only accessors for the shell, HTTP and the simulation. */
const char *sentinel_myid(const struct sentinel *s);
uint64_t sentinel_current_epoch(const struct sentinel *s);
bool sentinel_in_tilt(const struct sentinel *s);
int64_t sentinel_tilt_since_ms(const struct sentinel *s); /* -1 when not in TILT */
struct sentinel_periods *sentinel_periods(struct sentinel *s);
size_t sentinel_master_count(const struct sentinel *s);
/* The i-th master record (instance.h), for read-only inspection. */
const struct instance *sentinel_master_at(const struct sentinel *s, size_t i);
const struct instance *sentinel_master_by_name(const struct sentinel *s, const char *name);
/* The address clients should use (promoted replica once the local failover reached
 * RECONF_SLAVES). 0, or -1 for an unknown name. */
int sentinel_get_master_addr(const struct sentinel *s, const char *name, const char **host,
                             int *port);

#endif
