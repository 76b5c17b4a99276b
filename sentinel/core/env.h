/* env: the seam between the sentinel's decision core and the world.
 *
 * The core (instance, monitor, election, select, failover, sentinel) never touches a socket, a
 * file, time() or rand(). Everything it needs from outside comes through one `struct
 * sentinel_env`: two clocks, random numbers, connect/disconnect/send on the links to instances,
 * an event sink, a log sink, a "persist the learned state now" request and script execution. The
 * I/O shell (sentinel/main.c, link*.c, server*.c, state_file*.c) implements it on the event loop;
 * the unit tests and the simulation implement it with a fake clock and a fake network.
 *
 * Contract for an implementation:
 * - mono_ms is monotonic, never decreases, and is > 0. wall_ms is for display only.
 * - connect() starts a connection to host:port for the instance `inst_id` and returns 0, or
 *   returns a negative value if it failed at once. Later the shell reports the outcome with
 *   sentinel_on_link_up() or sentinel_on_link_down(). disconnect() closes it; the shell then
 *   drops any reply still pending on it and need not report a link-down (it is harmless if it
 *   does). Instance ids are never reused, so a stale id simply finds nothing.
 * - send() queues one command (argv strings, NUL-terminated) on the link and returns 0, or a
 *   negative value when the link is not up. Every reply to a queued command must come back,
 *   in order, through sentinel_on_reply() with the same reply_tag (an opaque number for the
 *   shell). Pub/sub messages come through sentinel_on_pubsub().
 * - event() is the one chokepoint for events: log the line "<type> <msg>" at `level` and, unless
 *   level is LOG_DEBUG, publish `msg` on the pub/sub channel named `type` (webhooks too).
 * - log() writes one log line of the core (a message, not an event: nothing is published) at
 *   `level` (common/log.h's enum log_level). The core never calls log_*() itself, so a fake
 *   world sees, keeps or silences its lines. NULL: the lines are dropped.
 * - persist() must make `state` durable (write temp, fsync, rename, fsync dir) before it
 *   returns 0. The core calls it before answering a vote and after any learned change; when it
 *   fails (negative), the core withholds the vote it was about to give.
 * - run_script() (may be NULL) queues a notification or client-reconfig script run.
 * - crash() (may be NULL) implements SENTINEL SIMULATE-FAILURE: the real shell exits with
 *   status 99; the simulation marks the sentinel crashed. The core returns right after it.
 */
#ifndef VIGIL_SENTINEL_ENV_H
#define VIGIL_SENTINEL_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sentinel_state;

enum sentinel_link_kind { SENTINEL_LINK_CMD = 0, SENTINEL_LINK_PUBSUB = 1 };

/* A decoded reply, free of any RESP reader: the shell maps its reader's values onto this
 * (simple string -> STATUS, error -> ERROR, integer -> INTEGER, bulk/verbatim -> STRING,
 * array/push/set -> ARRAY, null -> NULL, anything else -> OTHER). Borrowed by the core for the
 * duration of the call only. */
enum sentinel_reply_type {
    SENTINEL_REPLY_STATUS,
    SENTINEL_REPLY_ERROR,
    SENTINEL_REPLY_INTEGER,
    SENTINEL_REPLY_STRING,
    SENTINEL_REPLY_ARRAY,
    SENTINEL_REPLY_NULL,
    SENTINEL_REPLY_OTHER,
};

struct sentinel_reply {
    enum sentinel_reply_type type;
    const char *str; /* STATUS, ERROR, STRING: bytes, not necessarily NUL-terminated */
    size_t len;
    long long integer; /* INTEGER */
    size_t count;      /* ARRAY */
    const struct sentinel_reply *elems;
};

/* The most words one command the core sends has (ACL DRYRUN <user> VIGIL LEASE ...: 11). */
#define SENTINEL_SEND_MAX_ARGS 12

struct sentinel_env {
    void *ctx;
    int64_t (*mono_ms)(void *ctx);
    int64_t (*wall_ms)(void *ctx);
    uint64_t (*random_u64)(void *ctx);
    int (*connect)(void *ctx, uint64_t inst_id, enum sentinel_link_kind kind, const char *host,
                   int port);
    void (*disconnect)(void *ctx, uint64_t inst_id, enum sentinel_link_kind kind);
    int (*send)(void *ctx, uint64_t inst_id, enum sentinel_link_kind kind, int argc,
                const char *const *argv, uint32_t reply_tag);
    void (*event)(void *ctx, int level, const char *type, const char *msg);
    void (*log)(void *ctx, int level, const char *msg);
    int (*persist)(void *ctx, const struct sentinel_state *state);
    void (*run_script)(void *ctx, const char *path, int argc, const char *const *argv);
    /* Whether path names a file this process may execute (SENTINEL SET of a script path is
     * refused otherwise, as Redis does). NULL: every path counts as executable (fake worlds
     * without a file system). */
    bool (*script_is_executable)(void *ctx, const char *path);
    /* The numeric address of a host name into ip (NUL-terminated); 0 or -1 if it does not
     * resolve. Called when an instance named by a host name is added or moves, as Redis
     * resolves at that moment. NULL: names are announced as they are. */
    int (*resolve_host)(void *ctx, const char *host, char *ip, size_t cap);
    void (*crash)(void *ctx);
};

#endif
