/* cmd_function: FCALL, FCALL_RO and FUNCTION LOAD|DELETE|FLUSH|LIST|STATS|KILL|HELP
 * (docs/scripting.md#functions), with Redis 7.0's replies and errors. The libraries are
 * script_func.c; running a function is script_run_function(). FUNCTION LOAD, DELETE and FLUSH
 * reach replicas and the AOF as they were sent, as Redis propagates them. */
#include <string.h>

#include "common/clock.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/evict.h"
#include "store/propagate.h"
#include "store/reply.h"
#include "store/script/script_int.h"

/* ---- FCALL ---- */

static void fcall_generic(struct client *c, bool is_ro)
{
    command_feed_monitors(c);
    struct script_engine *e = script_engine_of(c->srv);
    const struct script_func *f = script_func_find(e, c->argv[1].ptr, c->argv[1].len);
    if (!f) {
        reply_error(c, "ERR Function not found");
        return;
    }
    long long nkeys;
    if (util_parse_ll(c->argv[2].ptr, c->argv[2].len, &nkeys) != 0) {
        reply_error(c, "ERR Bad number of keys provided");
        return;
    }
    if (nkeys > (long long)c->argc - 3) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    if (nkeys < 0) {
        reply_error(c, "ERR Number of keys can't be negative");
        return;
    }
    if (script_run_function(e, c, f, is_ro, (size_t)nkeys, c->argc - 3, c->argv + 3) != 0) {
        propagate_none(c); /* SHUTDOWN NOSAVE stopped it: its writes reach no one */
        return;
    }
    propagate_wrap(c);
}

static void cmd_fcall(struct client *c) { fcall_generic(c, false); }
static void cmd_fcall_ro(struct client *c) { fcall_generic(c, true); }

/* ---- FUNCTION ---- */

/* LOAD, DELETE, FLUSH and RESTORE write (LOAD and RESTORE are deny-oom too): refused on a
 * read-only replica (unless its master sent them) and over maxmemory, as Redis does. The gate
 * checks the FUNCTION family's flags, which are not the subcommands'. */
static bool gate_refuses(struct client *c, bool is_denyoom)
{
    static struct command denyoom = {.name = "function", .flags = CMD_WRITE | CMD_DENYOOM};
    if (client_must_obey(c)) return false;
    if (is_denyoom && evict_rejects(c, &denyoom)) return true;
    if (!server_is_replica(c->srv) || !c->srv->cfg.replica_read_only) return false;
    reply_error(c, "READONLY You can't write against a read only replica.");
    return true;
}

static void function_load(struct client *c)
{
    if (gate_refuses(c, true)) return;
    bool replace = false;
    size_t i = 2;
    for (; i + 1 < c->argc; i++) {
        if (!arg_is(&c->argv[i], "replace")) {
            reply_errorf(c, "ERR Unknown option given: %.*s", (int)MIN(c->argv[i].len, 128),
                         c->argv[i].ptr);
            return;
        }
        replace = true;
    }
    const char *name = NULL;
    struct buf err;
    buf_init(&err);
    if (script_func_load(script_engine_of(c->srv), c->argv[i].ptr, c->argv[i].len, replace, &name,
                         &err) == 0) {
        propagate_also(c, c->argc, c->argv);
        reply_bulk_str(c, name);
    } else {
        reply_error(c, err.data);
    }
    buf_free(&err);
}

static void function_delete(struct client *c)
{
    if (gate_refuses(c, false)) return;
    struct script_engine *e = script_engine_of(c->srv);
    struct script_lib *lib = script_func_find_lib(e, c->argv[2].ptr, c->argv[2].len);
    if (!lib) {
        reply_error(c, "ERR Library not found");
        return;
    }
    script_func_delete_lib(e, lib);
    propagate_also(c, c->argc, c->argv);
    reply_ok(c);
}

static void function_flush(struct client *c)
{
    if (gate_refuses(c, false)) return;
    if (c->argc > 3) {
        command_reply_sub_usage(c, "FUNCTION");
        return;
    }
    if (c->argc == 3 && !arg_is(&c->argv[2], "sync") && !arg_is(&c->argv[2], "async")) {
        reply_error(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    script_func_flush(script_engine_of(c->srv));
    propagate_also(c, c->argc, c->argv);
    reply_ok(c);
}

static void reply_function(struct client *c, const struct script_func *f)
{
    const struct script_flag_name *names = script_flag_names;
    reply_map(c, 3);
    reply_bulk_str(c, "name");
    reply_bulk_str(c, f->name);
    reply_bulk_str(c, "description");
    if (f->desc)
        reply_bulk_str(c, f->desc);
    else
        reply_null(c);
    reply_bulk_str(c, "flags");
    size_t n = 0;
    for (size_t i = 0; i < script_flag_names_len; i++) n += (f->flags & names[i].flag) != 0;
    reply_set(c, n);
    for (size_t i = 0; i < script_flag_names_len; i++)
        if (f->flags & names[i].flag) reply_simple(c, names[i].name);
}

static void reply_library(struct client *c, const struct script_lib *lib, bool with_code)
{
    reply_map(c, with_code ? 4 : 3);
    reply_bulk_str(c, "library_name");
    reply_bulk_str(c, lib->name);
    reply_bulk_str(c, "engine");
    reply_bulk_str(c, "LUA");
    reply_bulk_str(c, "functions");
    reply_array(c, lib->nfuncs);
    for (size_t i = lib->nfuncs; i-- > 0;) reply_function(c, &lib->funcs[i]);
    if (!with_code) return;
    reply_bulk_str(c, "library_code");
    reply_bulk(c, lib->code, lib->code_len);
}

static void function_list(struct client *c)
{
    bool with_code = false;
    const struct resp_arg *pattern = NULL;
    for (size_t i = 2; i < c->argc; i++) {
        if (!with_code && arg_is(&c->argv[i], "withcode")) {
            with_code = true;
        } else if (!pattern && arg_is(&c->argv[i], "libraryname")) {
            if (++i == c->argc) {
                reply_error(c, "ERR library name argument was not given");
                return;
            }
            pattern = &c->argv[i];
        } else {
            reply_errorf(c, "ERR Unknown argument %.*s", (int)MIN(c->argv[i].len, 128),
                         c->argv[i].ptr);
            return;
        }
    }
    struct script_engine *e = script_engine_of(c->srv);
    size_t handle = reply_deferred_begin(c), n = 0;
    for (size_t i = e->nlibs; i-- > 0;) {
        const struct script_lib *lib = e->libs[i];
        if (pattern &&
            !util_glob_match(pattern->ptr, pattern->len, lib->name, strlen(lib->name), false))
            continue;
        reply_library(c, lib, with_code);
        n++;
    }
    reply_deferred_array(c, handle, n);
}

static void function_stats(struct client *c)
{
    struct script_engine *e = script_engine_of(c->srv);
    reply_map(c, 2);
    reply_bulk_str(c, "running_script");
    if (e->is_running && e->is_function) {
        reply_map(c, 3);
        reply_bulk_str(c, "name");
        reply_bulk_str(c, e->sha);
        reply_bulk_str(c, "command");
        reply_array(c, e->run_argc);
        for (size_t i = 0; i < e->run_argc; i++)
            reply_bulk(c, e->run_argv[i].ptr, e->run_argv[i].len);
        reply_bulk_str(c, "duration_ms");
        reply_integer(c, clock_mono_ms() - e->start_mono_ms);
    } else {
        reply_null(c);
    }
    reply_bulk_str(c, "engines");
    reply_map(c, 1);
    reply_bulk_str(c, "LUA");
    reply_map(c, 2);
    reply_bulk_str(c, "libraries_count");
    reply_integer(c, (long long)e->nlibs);
    reply_bulk_str(c, "functions_count");
    reply_integer(c, (long long)script_func_count(e));
}

static void function_restore(struct client *c)
{
    if (!gate_refuses(c, true)) script_func_restore(c);
}

static void function_kill(struct client *c)
{
    if (script_kill(c->srv, c) == 0) reply_ok(c);
}

static void function_help(struct client *c)
{
    static const char *const lines[] = {
        "FUNCTION <subcommand> [<argument> ...], with <subcommand> one of:",
        "LOAD [REPLACE] <library-code>",
        "    Add the library whose code starts with \"#!lua name=<library>\" and registers",
        "    its functions; REPLACE lets it take the place of a library of the same name.",
        "DELETE <library>",
        "    Remove a library and its functions.",
        "LIST [LIBRARYNAME <pattern>] [WITHCODE]",
        "    Each library (or those whose names match <pattern>): library_name, engine, and",
        "    functions with their descriptions and flags; WITHCODE adds library_code.",
        "STATS",
        "    The function now running (name, command line, milliseconds so far; null when",
        "    none), and for each engine its numbers of libraries and functions.",
        "KILL",
        "    Stop the function now running, unless it has already written data.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete every library; both modes free them at once.",
        "DUMP",
        "    Every library in one binary payload, for FUNCTION RESTORE.",
        "RESTORE <payload> [FLUSH|APPEND|REPLACE]",
        "    Load the libraries of a DUMP payload. APPEND (the default) fails when a library",
        "    name is taken, REPLACE lets the payload's library win, FLUSH deletes all",
        "    libraries first. A function name used twice fails the whole restore.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command function_subs[] = {
    {.name = "load",
     .arity = -3,
     .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT,
     .fn = function_load},
    {.name = "delete", .arity = 3, .flags = CMD_WRITE | CMD_NOSCRIPT, .fn = function_delete},
    {.name = "flush", .arity = -2, .flags = CMD_WRITE | CMD_NOSCRIPT, .fn = function_flush},
    {.name = "list", .arity = -2, .flags = CMD_NOSCRIPT, .fn = function_list},
    {.name = "stats", .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY, .fn = function_stats},
    {.name = "kill", .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY, .fn = function_kill},
    {.name = "dump", .arity = 2, .flags = CMD_NOSCRIPT, .fn = script_func_dump},
    {.name = "restore",
     .arity = -3,
     .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT,
     .fn = function_restore},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = function_help},
    {.name = NULL},
};

static void cmd_function(struct client *c) { command_dispatch_sub(c, function_subs, "function"); }

#define FCALL_FLAGS (CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_MAY_REPLICATE | CMD_STALE)

struct command cmd_table_function[] = {
    {.name = "fcall", .arity = -3, .flags = FCALL_FLAGS, .fn = cmd_fcall, .group = "scripting"},
    {.name = "fcall_ro",
     .arity = -3,
     .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_READONLY,
     .fn = cmd_fcall_ro,
     .group = "scripting"},
    {.name = "function",
     .arity = -2,
     .flags = 0,
     .fn = cmd_function,
     .subcommands = function_subs,
     .group = "scripting"},
    {.name = NULL},
};
