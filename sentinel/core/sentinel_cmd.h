/* sentinel_cmd: the semantics of the SENTINEL subcommands
 * (docs/sentinel-protocol.md#sentinel-subcommands) as pure functions on the core. The server code
 * parses RESP, checks arity, calls one of these and writes the result: STATUS  -> "+<msg>" ERROR ->
 * "-<msg>" (msg starts with the error code, e.g. "ERR ...") INTEGER -> ":<integer>"  HELP  -> the
 * command's fixed help array (SIMULATE-FAILURE HELP) Functions that change durable state persist
 * through env before returning (a failed persist turns the reply into "ERR Failed to save config
 * file. Check server logs."). Arguments are borrowed, NUL-terminated strings.
 */
#ifndef VIGIL_SENTINEL_CMD_H
#define VIGIL_SENTINEL_CMD_H

#include <stdint.h>

#include "sentinel/core/describe.h"
#include "sentinel/core/sentinel.h"

enum sentinel_cmd_kind {
    SENTINEL_CMD_STATUS,
    SENTINEL_CMD_ERROR,
    SENTINEL_CMD_INTEGER,
    SENTINEL_CMD_HELP,
};

struct sentinel_cmd_result {
    enum sentinel_cmd_kind kind;
    long long integer;
    char msg[512];
};

#define SENTINEL_ERR_NO_SUCH_MASTER "ERR No such master with that name"

/* SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <epoch> <runid|*>. On success (0) fill the
 * 3-element reply; a vote, if given, is durable before this returns. -1: res holds the error. */
struct sentinel_ismd_reply {
    int down;
    char leader[SENTINEL_RUNID_LEN + 1]; /* "*" when no vote recorded */
    uint64_t leader_epoch;
};
int sentinel_cmd_is_master_down(struct sentinel *s, const char *ip, const char *port,
                                const char *epoch, const char *runid,
                                struct sentinel_ismd_reply *out, struct sentinel_cmd_result *res);
/* SENTINEL VOTE-RELEASE <ip> <port> <epoch> <runid> (ours): the candidate `runid` ended its
 * attempt in `epoch` without promoting. Integer 1 when it released our vote, 0 otherwise. */
void sentinel_cmd_vote_release(struct sentinel *s, const char *ip, const char *port,
                               const char *epoch, const char *runid,
                               struct sentinel_cmd_result *res);

void sentinel_cmd_monitor(struct sentinel *s, const char *name, const char *ip, const char *port,
                          const char *quorum, struct sentinel_cmd_result *res);
void sentinel_cmd_remove(struct sentinel *s, const char *name, struct sentinel_cmd_result *res);
/* argv: option value [option value ...] (rename-command takes two values). */
void sentinel_cmd_set(struct sentinel *s, const char *name, int argc, const char *const *argv,
                      struct sentinel_cmd_result *res);
void sentinel_cmd_reset(struct sentinel *s, const char *pattern, struct sentinel_cmd_result *res);
void sentinel_cmd_failover(struct sentinel *s, const char *name, struct sentinel_cmd_result *res);
/* SENTINEL FAILOVER <name> [COORDINATED]: argv[0] is the name. COORDINATED (Valkey's spelling)
 * runs a lossless switchover (sentinel.h) to the best replica instead of a forced failover.
 * Errors: -INPROG, -NOGOODSLAVE (nothing fit), -ERR for an unknown option, a down master or TILT.
 */
void sentinel_cmd_failover_args(struct sentinel *s, int argc, const char *const *argv,
                                struct sentinel_cmd_result *res);
void sentinel_cmd_ckquorum(struct sentinel *s, const char *name, struct sentinel_cmd_result *res);
void sentinel_cmd_flushconfig(struct sentinel *s, struct sentinel_cmd_result *res);
void sentinel_cmd_simulate_failure(struct sentinel *s, int argc, const char *const *argv,
                                   struct sentinel_cmd_result *res);
/* The two words SIMULATE-FAILURE HELP lists. */
extern const char *const sentinel_simulate_failure_help[2];
/* SENTINEL DEBUG with no argument: the period list (upper-case names, ms values). */
void sentinel_cmd_debug_get(struct sentinel *s, struct sentinel_desc *out);
/* SENTINEL DEBUG <name> <ms> [...]: all validated first, then applied. */
void sentinel_cmd_debug_set(struct sentinel *s, int argc, const char *const *argv,
                            struct sentinel_cmd_result *res);
/* SENTINEL CONFIG GET <pattern> [...] (each parameter reported once). */
void sentinel_cmd_config_get(struct sentinel *s, int argc, const char *const *patterns,
                             struct sentinel_desc *out);
/* SENTINEL CONFIG SET's checks alone (names, repeats, values): 0, or -1 with the error in res. */
int sentinel_cmd_config_check(int argc, const char *const *argv, struct sentinel_cmd_result *res);
/* SENTINEL CONFIG SET <param> <value> [...]: checked, applied, then the state file written. */
void sentinel_cmd_config_set(struct sentinel *s, int argc, const char *const *argv,
                             struct sentinel_cmd_result *res);
/* PUBLISH <channel> <message> sent to the sentinel: hellos only; INTEGER 1 on success. */
void sentinel_cmd_publish(struct sentinel *s, const char *channel, const char *msg, size_t len,
                          struct sentinel_cmd_result *res);

#endif
