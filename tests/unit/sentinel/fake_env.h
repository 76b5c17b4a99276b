/* fake_env: a sentinel_env for unit tests: a settable clock, fixed "random" numbers, and logs
 * of every connect, command, event and persisted state, so tests can drive the core by hand. */
#ifndef VIGIL_TEST_FAKE_ENV_H
#define VIGIL_TEST_FAKE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentinel/core/env.h"
#include "sentinel/core/sentinel.h"
#include "sentinel/core/state.h"

#define FAKE_MAX_CMDS 8192
#define FAKE_MAX_EVENTS 2048
#define FAKE_MAX_LOGS 256

struct fake_cmd {
    uint64_t id;
    enum sentinel_link_kind kind;
    int argc;
    char argv[8][128];
    uint32_t tag;
};

struct fake_event {
    int level;
    char type[64];
    char msg[512];
};

struct fake_log {
    int level;
    char msg[512];
};

struct fake_env {
    struct sentinel_env env;
    int64_t now;
    int64_t wall_offset_ms; /* the wall clock is now + a constant + this (a jump) */
    uint64_t random_value;
    size_t n_cmds;
    struct fake_cmd cmds[FAKE_MAX_CMDS];
    size_t n_events;
    struct fake_event events[FAKE_MAX_EVENTS];
    size_t n_logs; /* the core's log lines (env->log), kept instead of written: the first ones */
    struct fake_log logs[FAKE_MAX_LOGS];
    int persist_calls;
    int persist_fail; /* make persist() return -1 */
    bool has_state;
    struct sentinel_state last_state;
    int connects;
    bool send_fails;
    bool crashed;
    /* event index at the last persist: checks "persisted before the vote event" */
    size_t events_at_persist;
    size_t ping_cursor; /* first command not yet looked at by fake_answer_pings */
};

void fake_env_init(struct fake_env *f);
void fake_env_free(struct fake_env *f);

/* Index of the first event of that type at or after `from` whose message contains `substr`
 * (NULL = any), or -1. */
int fake_find_event(const struct fake_env *f, size_t from, const char *type, const char *substr);
size_t fake_count_events(const struct fake_env *f, const char *type);
/* Number of the core's log lines that contain substr. */
size_t fake_count_logs(const struct fake_env *f, const char *substr);
/* Number of commands sent to inst_id whose argv[0] equals name (case-insensitive). */
size_t fake_count_cmd(const struct fake_env *f, uint64_t id, const char *name);
const struct fake_cmd *fake_last_cmd(const struct fake_env *f, uint64_t id, const char *name);

/* The standard test world: master "mymaster" 10.0.0.1:6379 quorum 2, down-after 1000 ms,
 * failover-timeout 10000 ms, replicas 10.0.0.2:6379 and 10.0.0.3:6379, peers A (10.0.0.11) and
 * B (10.0.0.12), our id "c...c". */
#define FAKE_MYID "cccccccccccccccccccccccccccccccccccccccc"
#define FAKE_PEER_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FAKE_PEER_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
struct sentinel *fake_world(struct fake_env *f, int n_replicas, int n_peers);

/* Convenience observations. */
void fake_reply_status(struct sentinel *s, uint64_t id, uint32_t tag, const char *text);
void fake_reply_info(struct sentinel *s, uint64_t id, const char *text);
void fake_reply_ask(struct sentinel *s, uint64_t id, int down, const char *leader, long long epoch);
/* Bring both links of every instance up. */
void fake_link_all(struct fake_env *f, struct sentinel *s);
/* A replica INFO text. */
void fake_replica_info(char *buf, size_t cap, const char *runid_char, const char *mhost, int mport,
                       bool link_up, long long offset, int priority);
void fake_master_info(char *buf, size_t cap, const char *runid_char, int n_replicas);

/* Driving the world of fake_world (master 0): `alive` has bit 0 for the master, 1.. for replicas
 * by index and 8.. for peers by index. */
#define FAKE_ALL_ALIVE 0xffffu
#define FAKE_MASTER_DEAD (FAKE_ALL_ALIVE & ~1u)
/* Answer with PONG every PING sent since the last call to an instance that is alive. */
void fake_answer_pings(struct fake_env *f, struct sentinel *s, unsigned alive);
/* fake_world with both links of everything up, fresh INFO from the master and the replicas
 * (offsets 100, 200, ...), after 200 ms of answered PINGs. */
struct sentinel *fake_ready_world(struct fake_env *f, int replicas, int peers);
/* Advance time in 10 ms steps for `ms`, ticking and answering the PINGs of `alive`. */
void fake_run_for(struct fake_env *f, struct sentinel *s, int64_t ms, unsigned alive);
/* Run until an event of that type appears (or ms elapse); returns its index or -1. */
int fake_run_until_event(struct fake_env *f, struct sentinel *s, const char *type, int64_t ms,
                         unsigned alive);

#endif
