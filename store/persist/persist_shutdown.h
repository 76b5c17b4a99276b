/* persist_shutdown: the one sequence that stops vigil-store, as Redis 7.0's SHUTDOWN and its
 * SIGTERM/SIGINT handling (docs/persistence.md#snapshots):
 *
 *   start(flags) --NOW, shutdown-timeout 0, or replicas caught up--> finish
 *        |
 *        +--otherwise: PENDING (writes paused, GETACK sent) --cron: caught up or timeout--> finish
 *                          |
 *                          +--SHUTDOWN ABORT--> cancelled (waiting SHUTDOWN clients get an error)
 *
 *   finish: log lagging replicas -> kill the persistence child -> flush and fsync the
 *           append-only file -> final snapshot when save points are set or SAVE was given
 *           (never with NOSAVE) -> stop the loop (exit 0).
 *           A failed final save cancels the shutdown unless FORCE.
 *
 * Flags come from the SHUTDOWN command or, for a signal, from shutdown-on-sigterm/-sigint
 * ("default" = none: save if save points are set). */
#ifndef VIGIL_PERSIST_SHUTDOWN_H
#define VIGIL_PERSIST_SHUTDOWN_H

#include <stdbool.h>

struct server;

enum persist_shutdown_flag {
    SHUTDOWN_FLAG_NOSAVE = 1 << 0,
    SHUTDOWN_FLAG_SAVE = 1 << 1,
    SHUTDOWN_FLAG_NOW = 1 << 2,
    SHUTDOWN_FLAG_FORCE = 1 << 3,
};

struct persist_shutdown *persist_shutdown_create(void);
void persist_shutdown_destroy(struct persist_shutdown *ps);

/* "default" or space-separated save|nosave, now, force (the config's text) into flags.
 * 0, or -1 when invalid. */
int persist_shutdown_parse_flags(const char *text, int *flags);

enum persist_shutdown_outcome {
    SHUTDOWN_DONE,    /* the loop stops: the process exits */
    SHUTDOWN_PENDING, /* waiting for replicas (or another shutdown already waits) */
    SHUTDOWN_FAILED,  /* logged; the server goes on */
};
enum persist_shutdown_outcome persist_shutdown_start(struct server *srv, int flags);
bool persist_shutdown_is_pending(const struct server *srv);
/* SHUTDOWN ABORT: 0 when a pending shutdown (or a signal's, not yet started) was cancelled,
 * -1 when there was none. */
int persist_shutdown_abort(struct server *srv);
/* A signal arrived (main loop, outside the handler). A second SIGINT while one is pending
 * exits at once, as Redis. */
void persist_shutdown_on_signal(struct server *srv, int sig);
/* Cron: start a signal's shutdown; finish a pending one when replicas caught up or the
 * timeout passed. */
void persist_shutdown_cron(struct server *srv);

#endif
