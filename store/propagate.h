/* propagate: the one place that turns what executed commands did into the stream of commands
 * their consumers apply: the replicas today, the append-only file later. Each consumer is a sink
 * that says whether it wants the stream right now and takes runs of encoded commands (RESP
 * arrays) all executed in one database; it emits its own SELECT when the database changes.
 *
 * A command's effect is buffered while it runs and fed to the sinks when the outermost call
 * ends, so the commands an EXEC runs (calls nested in EXEC's) reach the sinks together and can
 * be wrapped in MULTI ... EXEC. By default a call that wrote propagates itself as received; a
 * handler may instead choose what to propagate (a relative expiry as an absolute one, SPOP as
 * SREM, a blocking pop as its non-blocking form) or nothing. What that makes of each command
 * is described in docs/replication.md#what-a-command-puts-into-the-stream.
 *
 * The core (struct propagate) is pure: argument lists in, bytes out to the sinks; it knows no
 * server and no client, so it is unit-tested alone. The last section wraps it for command
 * handlers, which only have their client. */
#ifndef VIGIL_PROPAGATE_H
#define VIGIL_PROPAGATE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/resp.h"

#define PROPAGATE_MAX_SINKS 4 /* replication, the AOF; a bound, not a target */

/* A consumer of the stream. is_wanted false: encoding anything for it would be wasted (no
 * replica and no backlog yet, an AOF turned off). feed takes commands all executed in db. */
struct propagate_sink {
    bool (*is_wanted)(void *ctx);
    void (*feed)(void *ctx, int db, const char *bytes, size_t len);
    void *ctx;
};

/* What a call saves of its caller's propagation state; lives on the caller's stack between
 * propagate_call_begin and propagate_call_end. */
struct propagate_frame {
    size_t start_len, start_count, start_runs;
    bool had_chosen;
};

struct propagate;

/* Owned by the caller. */
struct propagate *propagate_create(void);
void propagate_destroy(struct propagate *p);
/* Sinks are copied; at most PROPAGATE_MAX_SINKS (asserted). */
void propagate_add_sink(struct propagate *p, const struct propagate_sink *sink);
/* True if some sink wants the stream now. */
bool propagate_is_wanted(const struct propagate *p);
/* While suspended no sink wants anything: the append-only file being replayed at start must
 * reach neither the replicas nor the AOF it comes from. */
void propagate_set_suspended(struct propagate *p, bool is_suspended);

/* A command starts running (calls nest: EXEC's queued commands run inside EXEC's call). */
void propagate_call_begin(struct propagate *p, struct propagate_frame *frame);
/* The running call wrote: buffer it as received, unless its handler chose its propagation. */
void propagate_call_default(struct propagate *p, int db, size_t argc, const struct resp_arg *argv);
/* The running call ended. The outermost call's end feeds what was buffered to the sinks;
 * true if it fed anything. */
bool propagate_call_end(struct propagate *p, const struct propagate_frame *frame);
/* Nesting depth: 0 outside any call, 1 inside the outermost one. */
int propagate_depth(const struct propagate *p);

/* Handler's choices for the running call (each one marks the call as having chosen):
 * append a command to what it propagates; drop what it has buffered so far (a nested call
 * drops only its own commands: the ones of earlier calls in the same EXEC stay). */
void propagate_append(struct propagate *p, int db, size_t argc, const struct resp_arg *argv);
void propagate_drop_call(struct propagate *p);
/* When the running call is the outermost one and has buffered more than one command, wrap
 * them in MULTI ... EXEC so consumers apply them whole. A nested call is left alone: the
 * outermost call's own wrapping covers it. */
void propagate_wrap_call(struct propagate *p);

/* Feed one command to the sinks at once, ahead of what the running call buffers (a key that
 * expired while a command looked it up reaches replicas as a DEL before that command). */
void propagate_now(struct propagate *p, int db, size_t argc, const struct resp_arg *argv);

/* ---- for command handlers (the running call is the client's current command) ---- */

struct client;

/* Propagate argv instead of the command as received. */
void propagate_as(struct client *c, size_t argc, const struct resp_arg *argv);
/* Propagate argv as well (after what the command already chose). */
void propagate_also(struct client *c, size_t argc, const struct resp_arg *argv);
/* Propagate nothing for this command. */
void propagate_none(struct client *c);
/* See propagate_wrap_call (EXEC, SPOP's several SREMs). */
void propagate_wrap(struct client *c);

#endif
