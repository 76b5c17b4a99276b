/* script_busy: see script_busy.h. Serving sockets from inside the hook uses the loop's nested
 * poll (file events only: no timers and no deferred frees run inside a script, so the caller
 * and the fake client cannot disappear under it), then flushes the replies written. */
#include "store/script/script_busy.h"

#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/reply.h"
#include "store/client.h"
#include "store/command.h"
#include "store/reply.h"
#include "store/script/script_int.h"

#define SCRIPT_BUSY_POLL_MS 10 /* serve other clients at least this often while busy */

static void busy_begin(struct script_engine *e, int64_t elapsed_ms)
{
    e->is_busy = true;
    log_warning("Slow script detected: still in execution after %lld milliseconds. You can try "
                "killing the script using the SCRIPT KILL command. Script name is: %s.",
                (long long)elapsed_ms, e->sha);
    conn_set_reading(conn_of(e->caller), false);
}

void script_busy_tick(struct script_engine *e)
{
    int64_t now_ms = clock_mono_ms();
    int64_t limit_ms = e->srv->cfg.busy_reply_threshold_ms;
    if (!e->is_busy) {
        if (limit_ms <= 0 || now_ms - e->start_mono_ms < limit_ms) return;
        busy_begin(e, now_ms - e->start_mono_ms);
    }
    if (now_ms - e->last_poll_mono_ms < SCRIPT_BUSY_POLL_MS && !e->kill_reason) return;
    e->last_poll_mono_ms = now_ms;
    loop_poll_fds_nested(e->srv->loop);
    conn_set_flush(&e->srv->conns);
}

void script_busy_end(struct script_engine *e)
{
    if (!e->is_busy) return;
    e->is_busy = false;
    conn_set_reading(conn_of(e->caller), true);
}

bool script_busy_refuses(struct client *c, const struct command *cmd)
{
    struct server *srv = c->srv;
    if (!script_is_busy(srv)) return false;
    if (cmd->flags & CMD_ALLOW_BUSY) return false;
    if (strcmp(cmd->name, "script") == 0 && c->argc >= 2 && arg_is(&c->argv[1], "kill"))
        return false;
    reply_error(c, "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                   "SHUTDOWN NOSAVE.");
    return true;
}
