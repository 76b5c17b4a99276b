/* persist_shutdown: see persist_shutdown.h and docs/persistence.md#snapshots. */
#include "store/persist/persist_shutdown.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/persist/aof.h"
#include "store/persist/bgchild.h"
#include "store/persist/rdb_save.h"
#include "store/repl/repl_int.h"
#include "store/server.h"

struct persist_shutdown {
    bool is_pending;     /* waiting for replicas */
    int flags;           /* of the pending shutdown */
    int64_t deadline_ms; /* monotonic: finish then even if replicas lag */
    int signal;          /* a signal's shutdown not started yet (0: none) */
};

struct persist_shutdown *persist_shutdown_create(void)
{
    return xcalloc(1, sizeof(struct persist_shutdown));
}

void persist_shutdown_destroy(struct persist_shutdown *ps) { free(ps); }

int persist_shutdown_parse_flags(const char *text, int *flags)
{
    char copy[128];
    if (!text || strlen(text) >= sizeof copy) return -1;
    snprintf(copy, sizeof copy, "%s", text);
    int f = 0, n = 0;
    bool is_default = false;
    char *sp = NULL;
    for (char *t = strtok_r(copy, " \t", &sp); t; t = strtok_r(NULL, " \t", &sp), n++) {
        if (strcasecmp(t, "default") == 0)
            is_default = true;
        else if (strcasecmp(t, "save") == 0)
            f |= SHUTDOWN_FLAG_SAVE;
        else if (strcasecmp(t, "nosave") == 0)
            f |= SHUTDOWN_FLAG_NOSAVE;
        else if (strcasecmp(t, "now") == 0)
            f |= SHUTDOWN_FLAG_NOW;
        else if (strcasecmp(t, "force") == 0)
            f |= SHUTDOWN_FLAG_FORCE;
        else
            return -1;
    }
    bool both = (f & SHUTDOWN_FLAG_SAVE) && (f & SHUTDOWN_FLAG_NOSAVE);
    if (n == 0 || both || (is_default && n > 1)) return -1;
    *flags = f;
    return 0;
}

bool persist_shutdown_is_pending(const struct server *srv) { return srv->shutdown->is_pending; }

/* Every replica acknowledged the whole stream (none lags behind what a final save keeps). */
static bool replicas_caught_up(const struct server *srv)
{
    const struct repl *r = srv->repl;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (!ri->is_pending && ri->ack_off != r->offset) return false;
    return true;
}

static void log_lagging_replicas(const struct server *srv)
{
    const struct repl *r = srv->repl;
    int total = 0, lagging = 0;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        if (ri->is_pending) continue;
        total++;
        if (ri->ack_off == r->offset) continue;
        lagging++;
        log_warning("Lagging replica %s reported offset %lld behind master, lag=%lld",
                    ri->client->conn.addr, r->offset - ri->ack_off,
                    (long long)(clock_mono_ms() - ri->ack_mono_ms) / 1000);
    }
    if (total > 0)
        log_notice("%d of %d replicas are in sync when shutting down.", total - lagging, total);
}

/* The append-only file is flushed and fsynced before the process exits. 0, or -1 when that
 * failed (the shutdown then fails unless FORCE). */
static int shutdown_flush_aof(struct server *srv) { return aof_flush_for_shutdown(srv); }

static void cancel(struct server *srv)
{
    struct persist_shutdown *ps = srv->shutdown;
    bool was_pending = ps->is_pending;
    *ps = (struct persist_shutdown){0};
    if (!was_pending) return;
    server_unpause_clients(srv);
    blocking_recheck_waiters(srv); /* waiting SHUTDOWN clients get their error */
}

static enum persist_shutdown_outcome finish(struct server *srv, int flags)
{
    bool is_forced = (flags & SHUTDOWN_FLAG_FORCE) != 0;
    log_lagging_replicas(srv);
    if (bgchild_running(srv) == BGCHILD_RDB)
        log_warning("There is a child saving an .rdb. Killing it!");
    bgchild_kill(srv); /* its temp file is removed; the previous files stay as they are */
    if (shutdown_flush_aof(srv) != 0 && !is_forced) goto fail;
    bool is_save = (flags & SHUTDOWN_FLAG_SAVE) ||
                   (rdb_save_has_points(srv) && !(flags & SHUTDOWN_FLAG_NOSAVE));
    if (is_save) {
        log_notice("Saving the final RDB snapshot before exiting.");
        if (rdb_save_now(srv) != 0) {
            if (!is_forced) {
                log_warning("Error trying to save the DB, can't exit.");
                goto fail;
            }
            log_warning("Error trying to save the DB. Exit anyway.");
        }
    }
    srv->shutdown->is_pending = false;
    server_request_shutdown(srv, 0);
    return SHUTDOWN_DONE;
fail:
    log_warning("Errors trying to shut down the server. Check the logs for more information.");
    cancel(srv);
    return SHUTDOWN_FAILED;
}

enum persist_shutdown_outcome persist_shutdown_start(struct server *srv, int flags)
{
    struct persist_shutdown *ps = srv->shutdown;
    if (ps->is_pending) return SHUTDOWN_PENDING;
    if (srv->is_loading) flags = (flags & ~SHUTDOWN_FLAG_SAVE) | SHUTDOWN_FLAG_NOSAVE;
    ps->signal = 0;
    log_warning("User requested shutdown...");
    if (!(flags & SHUTDOWN_FLAG_NOW) && srv->cfg.shutdown_timeout_s > 0 &&
        !replicas_caught_up(srv)) {
        ps->is_pending = true;
        ps->flags = flags;
        ps->deadline_ms = clock_mono_ms() + srv->cfg.shutdown_timeout_s * 1000;
        srv->repl->is_getack_wanted = true; /* replicas report their offsets at once */
        log_notice("Waiting for replicas before shutting down.");
        return SHUTDOWN_PENDING;
    }
    return finish(srv, flags);
}

int persist_shutdown_abort(struct server *srv)
{
    struct persist_shutdown *ps = srv->shutdown;
    if (!ps->is_pending && ps->signal == 0) return -1;
    cancel(srv);
    log_warning("Shutdown manually aborted.");
    return 0;
}

void persist_shutdown_on_signal(struct server *srv, int sig)
{
    struct persist_shutdown *ps = srv->shutdown;
    if (sig == SIGINT && (ps->is_pending || ps->signal != 0)) {
        log_warning("You insist... exiting now.");
        bgchild_kill(srv);
        _exit(1);
    }
    log_warning("Received %s scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    ps->signal = sig;
}

void persist_shutdown_cron(struct server *srv)
{
    struct persist_shutdown *ps = srv->shutdown;
    if (ps->signal != 0 && !ps->is_pending) {
        const char *text =
            ps->signal == SIGINT ? srv->cfg.shutdown_on_sigint : srv->cfg.shutdown_on_sigterm;
        int flags = 0;
        if (persist_shutdown_parse_flags(text, &flags) != 0) flags = 0; /* validated before */
        persist_shutdown_start(srv, flags);
        return;
    }
    if (ps->is_pending && (replicas_caught_up(srv) || clock_mono_ms() >= ps->deadline_ms))
        finish(srv, ps->flags);
}
