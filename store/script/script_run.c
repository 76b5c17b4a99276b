/* script_run: running one cached script as the current command of a client
 * (docs/scripting.md#running-a-script). The script's commands run as a fake client in the
 * caller's database; their effects are buffered by propagate.c under the caller's call and,
 * when there is more than one, reach replicas and the AOF wrapped in MULTI ... EXEC. The
 * reply, or the error in Redis 7.0's form ("<msg> script: <sha>, on @user_script:<line>."),
 * goes to the caller.
 *
 * Time limit: a count hook runs every SCRIPT_HOOK_EVERY instructions. Past
 * busy-reply-threshold the script is "busy": the hook serves the other clients' sockets
 * (below), which get -BUSY for everything but SCRIPT KILL and SHUTDOWN NOSAVE, and a SCRIPT KILL
 * makes the next hook raise the kill error. Serving sockets from inside the hook uses the loop's
 * nested poll (file events only: no timers and no deferred frees run inside a script, so the
 * caller and the fake client cannot disappear under it), then flushes the replies written; the
 * caller's own socket is not read until its script ends. */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/reply.h"
#include "store/client.h"
#include "store/command.h"
#include "store/evict.h"
#include "store/propagate.h"
#include "store/repl/repl.h"
#include "store/reply.h"
#include "store/script/script_conv.h"
#include "store/script/script_int.h"

#define SCRIPT_HOOK_EVERY 100000 /* instructions between time checks (Redis's figure) */
#define SCRIPT_GC_EVERY 50       /* scripts between incremental GC steps */

static void push_string_table(lua_State *L, size_t n, const struct resp_arg *argv)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushlstring(L, argv[i].ptr, argv[i].len);
        lua_rawseti(L, -2, (int)i + 1);
    }
}

/* ---- long scripts ---- */

#define SCRIPT_BUSY_POLL_MS 10 /* serve other clients at least this often while busy */

static void busy_begin(struct script_engine *e, int64_t elapsed_ms)
{
    e->is_busy = true;
    log_warning("Slow script detected: still in execution after %lld milliseconds. You can try "
                "killing the script using the SCRIPT KILL command. Script name is: %s.",
                (long long)elapsed_ms, e->sha);
    conn_set_reading(conn_of(e->caller), false);
}

static void busy_tick(struct script_engine *e)
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

/* After a busy script, the master's stream that waited in its link's query buffer is applied,
 * once the current command is over (never nested in it). */
static void resume_master_link(struct loop *l, void *data)
{
    (void)l;
    struct server *srv = data;
    for (struct client *c = client_first(srv); c; c = client_next(c))
        if ((c->flags & CLIENT_MASTER) && !(c->conn.flags & CONN_CLOSE_ASAP))
            client_process_input(c);
}

static void busy_end(struct script_engine *e)
{
    if (!e->is_busy) return;
    e->is_busy = false;
    conn_set_reading(conn_of(e->caller), true);
    loop_defer(e->srv->loop, resume_master_link, e->srv);
}

bool script_busy_refuses(struct client *c, const struct command *cmd)
{
    struct server *srv = c->srv;
    if (!script_is_busy(srv)) return false;
    if (cmd->flags & CMD_ALLOW_BUSY) return false;
    /* SCRIPT KILL stops a script and FUNCTION KILL a function; the other one gets -BUSY */
    bool is_function = srv->script->is_function;
    bool is_sub_kill = c->argc >= 2 && arg_is(&c->argv[1], "kill");
    if (strcmp(cmd->name, "script") == 0 && is_sub_kill && !is_function) return false;
    if (strcmp(cmd->name, "function") == 0 && c->argc >= 2 &&
        ((is_sub_kill && is_function) || arg_is(&c->argv[1], "stats")))
        return false;
    reply_errorf(c,
                 "BUSY Redis is busy running a script. You can only call %s KILL or SHUTDOWN "
                 "NOSAVE.",
                 is_function ? "FUNCTION" : "SCRIPT");
    return true;
}

static void hook_count(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct script_engine *e = script_engine_of_state(L);
    busy_tick(e);
    if (e->kill_reason) {
        lua_sethook(L, hook_count, LUA_MASKLINE, 0); /* raise again if the script catches it */
        const char *msg = "ERR Script killed by user with SCRIPT KILL...";
        script_raise_error_table(L, msg, strlen(msg));
    }
}

/* The error table on top of the stack as Redis 7.0's error reply. */
static void reply_script_error(struct script_engine *e, struct client *c)
{
    lua_State *L = e->L;
    struct buf msg;
    buf_init(&msg);
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        lua_getfield(L, -2, "source");
        lua_getfield(L, -3, "line");
        const char *err = lua_tostring(L, -3);
        buf_append_str(&msg, err ? err : "ERR unknown error");
        if (lua_isstring(L, -2) && lua_isnumber(L, -1))
            buf_printf(&msg, " script: %s, on %s:%d.", e->sha, lua_tostring(L, -2),
                       (int)script_conv_number_to_ll(lua_tonumber(L, -1)));
        lua_pop(L, 3);
    } else {
        const char *s = lua_tostring(L, -1);
        buf_printf(&msg, "ERR Error running script f_%s, %.100s", e->sha,
                   s ? s : "execution failure");
    }
    reply_error(c, msg.data);
    buf_free(&msg);
}

static void reply_result(struct script_engine *e, struct client *c)
{
    struct buf *out = reply_buf(c);
    struct buf tmp;
    buf_init(&tmp);
    bool is_error = script_conv_write_reply(e->L, -1, &tmp, conn_of(c)->proto, e->resp);
    if (is_error) conn_of(c)->set->stats.error_replies++;
    if (out) buf_append(out, tmp.data, tmp.len);
    buf_free(&tmp);
}

/* Redis 7.0's checks of a script with a shebang (or a function) before it runs; false after
 * replying. The order is Redis's (its command gate, then the script's own checks): memory,
 * read-only replica, stale data, the _RO command. */
static bool may_start(struct script_engine *e, struct client *c, unsigned flags, bool is_ro)
{
    struct server *srv = e->srv;
    if ((flags & SCRIPT_FLAG_EVAL_COMPAT) || client_must_obey(c)) return true;
    bool may_write = !(flags & SCRIPT_FLAG_NO_WRITES);
    /* a script that may write is a deny-oom command, unless it says allow-oom */
    static struct command may_write_cmd = {.name = "eval", .flags = CMD_WRITE | CMD_DENYOOM};
    if (may_write && !(flags & SCRIPT_FLAG_ALLOW_OOM) && evict_rejects(c, &may_write_cmd))
        return false;
    if (may_write && server_is_replica(srv) && srv->cfg.replica_read_only) {
        reply_error(c, "READONLY You can't write against a read only replica.");
        return false;
    }
    if (server_is_replica(srv) && !srv->cfg.replica_serve_stale_data && !repl_master_link_up(srv) &&
        !(flags & SCRIPT_FLAG_ALLOW_STALE)) {
        reply_error(
            c, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
        return false;
    }
    if (may_write && is_ro) {
        reply_error(c, "ERR Can not execute a script with write flag using *_ro command.");
        return false;
    }
    return true;
}

static void begin(struct script_engine *e, struct client *c, const char *sha, unsigned flags,
                  bool is_ro)
{
    e->is_running = true;
    e->is_ro = is_ro || (flags & SCRIPT_FLAG_NO_WRITES);
    e->has_written = e->is_busy = false;
    e->kill_reason = 0;
    e->resp = 2;
    e->repl_flags = 3;
    e->flags = flags;
    e->caller = c;
    e->sha = sha;
    e->run_argc = c->argc;
    e->run_argv = c->argv;
    struct client *f = e->fake;
    f->db = c->db;
    f->flags = (f->flags & ~(CLIENT_MASTER | CLIENT_AOF_LOADER)) |
               (c->flags & (CLIENT_MASTER | CLIENT_AOF_LOADER));
    buf_clear(&f->conn.reply);
    e->start_mono_ms = e->last_poll_mono_ms = clock_mono_ms();
}

static void end(struct script_engine *e)
{
    busy_end(e);
    e->caller = NULL;
    e->sha = NULL;
    e->is_running = false;
}

/* Call the function below nargs arguments on the stack (under them: the error handler) as
 * the script called name, and reply. */
static int run_pushed(struct script_engine *e, struct client *c, const char *name, unsigned flags,
                      bool is_ro, int nargs)
{
    lua_State *L = e->L;
    begin(e, c, name, flags, is_ro);
    lua_sethook(L, hook_count, LUA_MASKCOUNT, SCRIPT_HOOK_EVERY);
    int status = lua_pcall(L, nargs, 1, -(nargs + 2));
    lua_sethook(L, NULL, 0, 0);
    bool is_shutdown = e->kill_reason == SCRIPT_KILLED_BY_SHUTDOWN;
    if (is_shutdown)
        ; /* the reply is the closed connection */
    else if (status != 0)
        reply_script_error(e, c);
    else
        reply_result(e, c);
    lua_pop(L, 2); /* the result and the error handler */
    end(e);
    if (++e->gc_count >= SCRIPT_GC_EVERY) {
        e->gc_count = 0;
        lua_gc(L, LUA_GCSTEP, SCRIPT_GC_EVERY);
    }
    return is_shutdown ? -1 : 0;
}

int script_run(struct script_engine *e, struct client *c, const char *sha, unsigned flags,
               bool is_ro, size_t nkeys, size_t argc, const struct resp_arg *argv)
{
    if (!may_start(e, c, flags, is_ro)) return 0;
    lua_State *L = e->L;
    char name[SCRIPT_SHA_LEN + 3] = "f_";
    memcpy(name + 2, sha, SCRIPT_SHA_LEN + 1);
    push_string_table(L, nkeys, argv);
    script_sandbox_set_global(L, "KEYS");
    push_string_table(L, argc - nkeys, argv + nkeys);
    script_sandbox_set_global(L, "ARGV");
    lua_pushcfunction(L, script_sandbox_error_handler);
    lua_getfield(L, LUA_REGISTRYINDEX, name);
    e->is_function = false;
    return run_pushed(e, c, name + 2, flags, is_ro, 0);
}

int script_run_function(struct script_engine *e, struct client *c, const struct script_func *f,
                        bool is_ro, size_t nkeys, size_t argc, const struct resp_arg *argv)
{
    if (!may_start(e, c, f->flags, is_ro)) return 0;
    lua_State *L = e->L;
    lua_pushcfunction(L, script_sandbox_error_handler);
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
    push_string_table(L, nkeys, argv);
    push_string_table(L, argc - nkeys, argv + nkeys);
    e->is_function = true;
    return run_pushed(e, c, f->name, f->flags, is_ro, 2);
}
