/* cmd_script: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (docs/scripting.md). The
 * commands parse their arguments with Redis 7.0's errors and hand the script to script_run();
 * SCRIPT KILL is the one command a busy server runs for other clients besides SHUTDOWN
 * NOSAVE. */
#include <ctype.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/propagate.h"
#include "store/reply.h"
#include "store/script/script_int.h"

#define ERR_NOSCRIPT "NOSCRIPT No matching script. Please use EVAL."

/* numkeys as Redis checks it; -1 after replying. */
static long long parse_numkeys(struct client *c)
{
    long long n;
    if (arg_ll(c, &c->argv[2], &n) != 0) return -1;
    if (n > (long long)c->argc - 3) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return -1;
    }
    if (n < 0) {
        reply_error(c, "ERR Number of keys can't be negative");
        return -1;
    }
    return n;
}

static void eval_generic(struct client *c, bool is_sha, bool is_ro)
{
    command_feed_monitors(c); /* as Redis: the EVAL line, then its commands from "lua" */
    long long nkeys = parse_numkeys(c);
    if (nkeys < 0) return;
    struct script_engine *e = script_engine_of(c->srv);
    char sha[SCRIPT_SHA_LEN + 1];
    unsigned flags = 0;
    if (is_sha) {
        const struct resp_arg *a = &c->argv[1];
        if (!script_engine_lookup(e, a->ptr, a->len, &flags)) {
            reply_error(c, ERR_NOSCRIPT);
            return;
        }
        for (size_t i = 0; i < SCRIPT_SHA_LEN; i++)
            sha[i] = (char)tolower((unsigned char)a->ptr[i]);
        sha[SCRIPT_SHA_LEN] = '\0';
    } else {
        struct buf err;
        buf_init(&err);
        int rc = script_engine_load(e, c->argv[1].ptr, c->argv[1].len, sha, &err);
        if (rc != 0) reply_error(c, err.data);
        buf_free(&err);
        if (rc != 0) return;
        script_engine_lookup(e, sha, SCRIPT_SHA_LEN, &flags);
    }
    if (script_run(e, c, sha, flags, is_ro, (size_t)nkeys, c->argc - 3, c->argv + 3) != 0) {
        propagate_none(c); /* SHUTDOWN NOSAVE stopped it: its writes reach no one, as Redis */
        return;
    }
    propagate_wrap(c); /* the script's writes, as one MULTI ... EXEC when more than one */
}

static void cmd_eval(struct client *c) { eval_generic(c, false, false); }
static void cmd_evalsha(struct client *c) { eval_generic(c, true, false); }
static void cmd_eval_ro(struct client *c) { eval_generic(c, false, true); }
static void cmd_evalsha_ro(struct client *c) { eval_generic(c, true, true); }

/* ---- SCRIPT ---- */

static void script_load(struct client *c)
{
    char sha[SCRIPT_SHA_LEN + 1];
    struct buf err;
    buf_init(&err);
    if (script_engine_load(script_engine_of(c->srv), c->argv[2].ptr, c->argv[2].len, sha, &err) ==
        0)
        reply_bulk(c, sha, SCRIPT_SHA_LEN);
    else
        reply_error(c, err.data);
    buf_free(&err);
}

static void script_exists(struct client *c)
{
    struct script_engine *e = script_engine_of(c->srv);
    reply_array(c, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++)
        reply_integer(c, script_engine_lookup(e, c->argv[i].ptr, c->argv[i].len, NULL));
}

static void script_flush(struct client *c)
{
    if (c->argc == 3 && !arg_is(&c->argv[2], "sync") && !arg_is(&c->argv[2], "async")) {
        reply_error(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    if (c->argc > 3) {
        reply_error(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    /* ASYNC too frees at once: closing a Lua state is not deferrable, and takes milliseconds
     * even for thousands of scripts (docs/scripting.md#the-script-cache). */
    script_engine_flush(script_engine_of(c->srv));
    propagate_also(c, c->argc, c->argv);
    reply_ok(c);
}

static void script_kill_cmd(struct client *c)
{
    if (script_kill(c->srv, c) == 0) reply_ok(c);
}

static void script_debug(struct client *c)
{
    if (arg_is(&c->argv[2], "no")) {
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "yes") || arg_is(&c->argv[2], "sync")) {
        reply_error(c, "ERR vigil-store has no Lua debugger (SCRIPT DEBUG NO is the only mode)");
    } else {
        reply_error(c, "ERR Use SCRIPT DEBUG YES/SYNC/NO");
    }
}

static void script_help(struct client *c)
{
    static const char *const lines[] = {
        "SCRIPT <subcommand> [<argument> ...], with <subcommand> one of:",
        "DEBUG YES|SYNC|NO",
        "    Only NO is accepted: vigil-store has no Lua debugger.",
        "EXISTS <sha1> [<sha1> ...]",
        "    For each SHA1 digest, 1 when that script is in the cache, else 0.",
        "FLUSH [ASYNC|SYNC]",
        "    Drop every cached script; both modes free them at once.",
        "KILL",
        "    Stop the Lua script now running, unless it has already written data.",
        "LOAD <script>",
        "    Put a script in the cache without running it; the reply is its SHA1 digest.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command script_subs[] = {
    {.name = "load", .arity = 3, .fn = script_load},
    {.name = "exists", .arity = -3, .fn = script_exists},
    {.name = "flush", .arity = -2, .fn = script_flush},
    {.name = "kill", .arity = 2, .fn = script_kill_cmd},
    {.name = "debug", .arity = 3, .fn = script_debug},
    {.name = "help", .arity = 2, .fn = script_help},
    {.name = NULL},
};

static void cmd_script(struct client *c) { command_dispatch_sub(c, script_subs, "script"); }

/* ---- kill ---- */

int script_kill(struct server *srv, struct client *c)
{
    struct script_engine *e = srv->script;
    if (!e || !e->is_running) {
        reply_error(c, "NOTBUSY No scripts in execution right now.");
        return -1;
    }
    if (e->has_written) {
        reply_error(c, "UNKILLABLE Sorry the script already executed write commands against the "
                       "dataset. You can either wait the script termination or kill the server "
                       "in a hard way using the SHUTDOWN NOSAVE command.");
        return -1;
    }
    e->kill_reason = SCRIPT_KILLED_BY_KILL;
    return 0;
}

void script_abort_for_shutdown(struct server *srv)
{
    if (srv->script && srv->script->is_running)
        srv->script->kill_reason = SCRIPT_KILLED_BY_SHUTDOWN;
}

#define EVAL_FLAGS (CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_MAY_REPLICATE | CMD_STALE)

struct command cmd_table_script[] = {
    {.name = "eval", .arity = -3, .flags = EVAL_FLAGS, .fn = cmd_eval, .group = "scripting"},
    {.name = "evalsha", .arity = -3, .flags = EVAL_FLAGS, .fn = cmd_evalsha, .group = "scripting"},
    {.name = "eval_ro",
     .arity = -3,
     .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_READONLY,
     .fn = cmd_eval_ro,
     .group = "scripting"},
    {.name = "evalsha_ro",
     .arity = -3,
     .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_READONLY,
     .fn = cmd_evalsha_ro,
     .group = "scripting"},
    {.name = "script",
     .arity = -2,
     .flags = 0, /* Redis flags its subcommands noscript, not the family (script_redis.c) */
     .fn = cmd_script,
     .subcommands = script_subs,
     .group = "scripting"},
    {.name = NULL},
};
