/* cmd_persist: the snapshot commands: SAVE, BGSAVE [SCHEDULE], LASTSAVE and SHUTDOWN
 * [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], with Redis 7.0's replies and errors. The work is in
 * store/persist/ (rdb_save.h, persist_shutdown.h); docs/persistence.md#snapshots. */
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/command.h"
#include "store/multi.h"
#include "store/persist/bgchild.h"
#include "store/persist/persist_shutdown.h"
#include "store/persist/rdb_save.h"
#include "store/reply.h"
#include "store/script/script.h"

#define ERR_RDB_CHILD "ERR Background save already in progress"
#define ERR_NOT_IN_MULTI "ERR Command not allowed inside a transaction"

/* Commands Redis refuses inside MULTI (they are flagged CMD_NO_MULTI to reach us unqueued). */
static bool refused_in_multi(struct client *c)
{
    if (!(c->flags & CLIENT_MULTI)) return false;
    reply_error(c, ERR_NOT_IN_MULTI);
    multi_flag_dirty(c);
    return true;
}

static void cmd_save(struct client *c)
{
    if (refused_in_multi(c)) return;
    if (rdb_save_is_running(c->srv)) {
        reply_error(c, ERR_RDB_CHILD);
        return;
    }
    if (rdb_save_now(c->srv) == 0)
        reply_ok(c);
    else
        reply_error(c, "ERR");
}

static void cmd_bgsave(struct client *c)
{
    bool is_schedule = false;
    if (c->argc > 1) {
        if (c->argc != 2 || !arg_is(&c->argv[1], "SCHEDULE")) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        is_schedule = true;
    }
    struct server *srv = c->srv;
    bool in_exec = srv->call_depth > 1; /* a fork from inside EXEC would split it */
    if (rdb_save_is_running(srv)) {
        reply_error(c, ERR_RDB_CHILD);
    } else if (bgchild_running(srv) != BGCHILD_NONE || in_exec) {
        if (is_schedule || in_exec) {
            rdb_save_schedule(srv);
            reply_simple(c, "Background saving scheduled");
        } else {
            reply_error(c, "ERR Another child process is active (AOF?): can't BGSAVE right now. "
                           "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else if (rdb_save_background(srv) == 0) {
        reply_simple(c, "Background saving started");
    } else {
        reply_error(c, "ERR");
    }
}

static void cmd_lastsave(struct client *c) { reply_integer(c, c->srv->lastsave_wall_ms / 1000); }

/* Flags of SHUTDOWN's arguments; -1 after replying a syntax error. *is_abort for ABORT. */
static int shutdown_parse(struct client *c, bool *is_abort)
{
    static const struct {
        const char *word;
        int flag;
    } words[] = {{"NOSAVE", SHUTDOWN_FLAG_NOSAVE},
                 {"SAVE", SHUTDOWN_FLAG_SAVE},
                 {"NOW", SHUTDOWN_FLAG_NOW},
                 {"FORCE", SHUTDOWN_FLAG_FORCE},
                 {"ABORT", 0}};
    int flags = 0;
    *is_abort = false;
    for (size_t i = 1; i < c->argc; i++) {
        size_t w = 0;
        while (w < ARRAY_LEN(words) && !arg_is(&c->argv[i], words[w].word)) w++;
        if (w == ARRAY_LEN(words)) goto syntax;
        if (words[w].flag == 0) *is_abort = true;
        flags |= words[w].flag;
    }
    if ((*is_abort && flags != 0) ||
        ((flags & SHUTDOWN_FLAG_SAVE) && (flags & SHUTDOWN_FLAG_NOSAVE)))
        goto syntax;
    return flags;
syntax:
    reply_error(c, ERR_SYNTAX);
    return -1;
}

#define ERR_SHUTDOWN_FAILED "ERR Errors trying to SHUTDOWN. Check logs."

static void cmd_shutdown(struct client *c)
{
    if (refused_in_multi(c)) return;
    bool is_abort;
    int flags = shutdown_parse(c, &is_abort);
    if (flags < 0) return;
    struct server *srv = c->srv;
    if (is_abort) {
        if (persist_shutdown_abort(srv) == 0)
            reply_ok(c);
        else
            reply_error(c, "ERR No shutdown in progress.");
        return;
    }
    if (script_is_busy(srv)) { /* docs/scripting.md#long-scripts */
        if (!(flags & SHUTDOWN_FLAG_NOSAVE)) {
            reply_error(c, "BUSY Redis is busy running a script. You can only call SCRIPT KILL "
                           "or SHUTDOWN NOSAVE.");
            return;
        }
        script_abort_for_shutdown(srv);
        flags |= SHUTDOWN_FLAG_NOW;
    }
    if (blocking_is_retry(c)) { /* woken: the shutdown we waited for was cancelled */
        if (persist_shutdown_is_pending(srv))
            blocking_block(c, NULL, 0, 0, NULL);
        else
            reply_error(c, ERR_SHUTDOWN_FAILED);
        return;
    }
    switch (persist_shutdown_start(srv, flags)) {
    case SHUTDOWN_DONE: /* the reply is the closed connection */
        c->conn.flags |= CONN_CLOSE_ASAP;
        break;
    case SHUTDOWN_PENDING:
        blocking_block(c, NULL, 0, 0, NULL);
        break;
    case SHUTDOWN_FAILED:
        reply_error(c, ERR_SHUTDOWN_FAILED);
        break;
    }
}

struct command cmd_table_persist[] = {
    {.name = "save",
     .arity = 1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI,
     .fn = cmd_save,
     .group = "server"},
    {.name = "bgsave",
     .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT,
     .fn = cmd_bgsave,
     .group = "server"},
    {.name = "lastsave",
     .arity = 1,
     .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .fn = cmd_lastsave,
     .group = "server"},
    {.name = "shutdown",
     .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_ALLOW_BUSY,
     .fn = cmd_shutdown,
     .group = "server"},
    {.name = NULL},
};
