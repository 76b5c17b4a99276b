/* tracking: server-assisted client-side caching (CLIENT TRACKING), as Redis 7.0 does it
 * (docs/notifications.md#client-side-caching).
 *
 * Default mode: every key a tracking client reads (the key arguments of a read-only command)
 * is remembered with the client's id in one table of key names (not per database, as Redis).
 * When a key in the table changes (any write path: commands, scripts, expiry, eviction, the
 * master's stream on a replica all end in server_key_modified), each client remembered for it
 * is sent an invalidation, and the key leaves the table. BCAST mode remembers nothing: a client
 * subscribes to key prefixes ("" for every key) and, once per event-loop iteration, is sent the
 * keys with those prefixes that changed (one message per prefix, keys in byte order).
 *
 * An invalidation is a RESP3 push ["invalidate", [key...]] to the client itself, or to its
 * REDIRECT client: a push if that one speaks RESP3, a pub/sub message on __redis__:invalidate
 * if it speaks RESP2 and is subscribed, nothing otherwise. FLUSHDB/FLUSHALL (and a full resync)
 * send every tracking client a null instead of the keys and empty the table. A message to the
 * client whose own command caused it waits until that command's reply is written (Redis 7.0's
 * order). The table is bounded by tracking-table-max-keys: past it, random keys are dropped with
 * an invalidation before the loop sleeps.
 *
 * Ids, not pointers, are kept in the table and the prefixes: a client that closes or turns
 * tracking off leaves stale ids that are skipped (and dropped with their key). */
#ifndef VIGIL_TRACKING_H
#define VIGIL_TRACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct client;
struct command;
struct buf;
struct resp_arg;

enum {
    TRACKING_BCAST = 1 << 0,
    TRACKING_OPTIN = 1 << 1,
    TRACKING_OPTOUT = 1 << 2,
    TRACKING_NOLOOP = 1 << 3,
    TRACKING_CACHING = 1 << 4, /* CLIENT CACHING yes (OPTIN) / no (OPTOUT) for the next command */
    TRACKING_BROKEN_REDIR = 1 << 5, /* the REDIRECT client was gone when a message was due */
};

/* A client's tracking state; c->tracking is NULL while tracking is off. */
struct tracking_client {
    unsigned flags;
    uint64_t redirect_id; /* 0: none */
    char **prefixes;      /* BCAST prefixes, sorted by bytes */
    size_t *prefix_lens;
    size_t nprefixes;
};

struct tracking *tracking_create(void);
void tracking_destroy(struct tracking *t);

/* Turn tracking on for c (already checked by the command: tracking_cmd.c) with these flags,
 * redirect id and new BCAST prefixes; on again keeps the prefixes it had. */
void tracking_enable(struct client *c, unsigned flags, uint64_t redirect_id,
                     const struct resp_arg *prefixes, size_t nprefixes);
void tracking_disable(struct client *c);

/* Command hooks (command.c, client.c): the outermost command starts and ends (its pending
 * self-invalidations are written after its reply); a command ran (a read-only one remembers
 * the keys of the client that issued it); a client's command is done (CLIENT CACHING's flag
 * lasts for one command). */
void tracking_call_begin(struct client *c);
void tracking_call_end(struct client *c, const struct command *cmd);
void tracking_command_done(struct client *c);

/* A key changed (server_key_modified and expiry). */
void tracking_key_modified(struct server *srv, const char *key, size_t klen);
/* Every key may have changed (FLUSHDB, FLUSHALL, a full resync): a null to every tracking
 * client, the table emptied. */
void tracking_flush(struct server *srv);
/* Before the loop sleeps: BCAST messages, and the table brought under its limit. */
void tracking_before_sleep(struct server *srv);

/* CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO (tracking_cmd.c). */
void tracking_cmd_tracking(struct client *c);
void tracking_cmd_caching(struct client *c);
void tracking_cmd_getredir(struct client *c);
void tracking_cmd_trackinginfo(struct client *c);

/* INFO stats: tracking_total_keys, tracking_total_items, tracking_total_prefixes. */
void tracking_info_stats(const struct server *srv, struct buf *out);
/* The client CLIENT GETREDIR and CLIENT LIST's redir= name: -1 when off, 0 when on without
 * redirect. */
long long tracking_redirect_of(const struct client *c);

#endif
