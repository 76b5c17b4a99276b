/* script_redis: the `redis` library scripts call (docs/scripting.md#the-redis-library):
 * call/pcall (a command run as the script's fake client, its reply parsed back into Lua),
 * error_reply/status_reply, sha1hex, log, setresp, set_repl/replicate_commands, breakpoint and
 * debug (no debugger: they do nothing, as Redis outside a debugging session), and the
 * constants. Every error text is Redis 7.0's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include "common/log.h"
#include "common/util.h"
#include "common/reply.h"
#include "common/version.h"
#include "store/acl.h"
#include "store/client.h"
#include "store/command.h"
#include "store/evict.h"
#include "store/propagate.h"
#include "store/repl/repl.h"
#include "store/script/script_conv.h"
#include "store/script/script_int.h"

#define SCRIPT_MAX_ARGS 65536 /* bound on one redis.call's arguments */

enum { REPL_NONE = 0, REPL_AOF = 1, REPL_REPLICA = 2, REPL_ALL = 3 };

/* An error of the library: raised by call (and the other helpers), returned by pcall. */
static int lib_error(lua_State *L, bool is_raise, const char *msg)
{
    char line[256];
    int n = snprintf(line, sizeof line, "ERR %s", msg);
    if (is_raise) return script_raise_error_table(L, line, (size_t)n);
    lua_newtable(L);
    lua_pushliteral(L, "err");
    lua_pushlstring(L, line, (size_t)n);
    lua_rawset(L, -3);
    return 1;
}

/* Arguments of redis.call as strings: numbers formatted as Redis does (%.17g). Returns the
 * count, or -1 when an argument is neither a string nor a number. */
static int collect_args(lua_State *L, int argc, struct resp_arg *argv, char (*numbuf)[32])
{
    for (int i = 0; i < argc; i++) {
        int t = lua_type(L, i + 1);
        if (t == LUA_TNUMBER) {
            int n = snprintf(numbuf[i], 32, "%.17g", (double)lua_tonumber(L, i + 1));
            argv[i].ptr = numbuf[i];
            argv[i].len = (size_t)n;
        } else if (t == LUA_TSTRING) {
            argv[i].ptr = lua_tolstring(L, i + 1, &argv[i].len);
        } else {
            return -1;
        }
    }
    return argc;
}

/* Commands Redis 7.0 refuses in scripts whose flags in our tables do not say so (the
 * connection commands shared with the sentinel, and families where every subcommand but HELP
 * is refused). */
static bool is_forbidden(const struct command *cmd, size_t argc, const struct resp_arg *argv)
{
    static const char *const names[] = {"auth",   "hello",  "quit",    "reset",   "monitor",
                                        "debug",  "client", "config",  "latency", "acl",
                                        "module", "script", "function"};
    /* A blocking command is Redis's "noscript", except the stream reads: Redis 7.0 runs XREAD
     * and XREADGROUP in scripts and refuses only their BLOCK option (cmd_stream_read.c). */
    if (cmd->flags & CMD_NOSCRIPT) return true;
    if ((cmd->flags & CMD_BLOCKING) && strcmp(cmd->name, "xread") != 0 &&
        strcmp(cmd->name, "xreadgroup") != 0)
        return true;
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strcmp(cmd->name, names[i]) != 0) continue;
        return !(argc == 2 && argv[1].len == 4 && strncasecmp(argv[1].ptr, "help", 4) == 0);
    }
    return false;
}

static bool arity_ok(int arity, size_t argc)
{
    return arity > 0 ? argc == (size_t)arity : argc >= (size_t)-arity;
}

/* Redis 7.0's checks before a command runs inside a script; NULL when it may run. */
static const char *check_command(struct script_engine *e, struct command *cmd, size_t argc,
                                 const struct resp_arg *argv)
{
    if (!cmd) return "ERR Unknown Redis command called from script";
    if (!arity_ok(cmd->arity, argc))
        return "ERR Wrong number of args calling Redis command from script";
    if (is_forbidden(cmd, argc, argv)) return "ERR This Redis command is not allowed from script";
    const char *acl_err = store_acl_script_refusal(e->caller, cmd, argc, argv);
    if (acl_err) return acl_err;
    if (!(cmd->flags & CMD_WRITE)) return NULL;
    if (e->is_ro) return "ERR Write commands are not allowed from read-only scripts.";
    struct server *srv = e->srv;
    if (client_must_obey(e->caller)) return NULL;
    if (server_is_replica(srv) && srv->cfg.replica_read_only)
        return "READONLY You can't write against a read only replica.";
    if (!server_is_replica(srv) && repl_min_replicas_failing(srv))
        return "NOREPLICAS Not enough good replicas to write.";
    return NULL;
}

/* Parse the fake client's reply and push it converted. */
static void push_reply(lua_State *L, struct script_engine *e)
{
    struct buf *reply = &e->fake->conn.reply;
    /* a conversion that ran out of memory left its bytes behind: start clean */
    resp_reader_discard(e->reader, resp_reader_pending(e->reader));
    resp_reader_feed(e->reader, reply->data + reply->pos, reply->len - reply->pos);
    buf_clear(reply);
    struct resp_value *v;
    if (resp_reader_next(e->reader, &v) == RESP_OK) {
        script_conv_push_resp(L, v, e->resp);
    } else {
        lua_pushboolean(L, 0); /* no reply (cannot happen for a command that may run here) */
    }
    resp_reader_discard(e->reader, resp_reader_pending(e->reader));
}

static void run_command(struct script_engine *e, struct command *cmd, size_t argc,
                        struct resp_arg *argv)
{
    struct client *f = e->fake;
    f->argc = argc;
    f->argv = argv;
    f->conn.proto = e->resp;
    if (cmd->flags & CMD_WRITE) e->has_written = true;
    bool is_suspended = e->repl_flags == REPL_NONE && (cmd->flags & CMD_WRITE);
    if (is_suspended) propagate_set_suspended(e->srv->prop, true);
    f->cmd = cmd;
    if (!(cmd->flags & (CMD_SKIP_MONITOR | CMD_ADMIN))) command_feed_monitors(f);
    command_call(f, cmd);
    if (is_suspended) propagate_set_suspended(e->srv->prop, false);
    f->argc = 0;
    f->argv = NULL;
}

/* redis.call's arguments: on the stack for the usual few, allocated beyond that. */
#define SCRIPT_STACK_ARGS 16
struct call_args {
    struct resp_arg *argv;
    char (*numbuf)[32];
    struct resp_arg stack_argv[SCRIPT_STACK_ARGS];
    char stack_numbuf[SCRIPT_STACK_ARGS][32];
};

static void call_args_init(struct call_args *a, int argc)
{
    bool is_heap = argc > SCRIPT_STACK_ARGS;
    a->argv = is_heap ? xmalloc(sizeof *a->argv * (size_t)argc) : a->stack_argv;
    a->numbuf = is_heap ? xmalloc(sizeof *a->numbuf * (size_t)argc) : a->stack_numbuf;
}

static void call_args_free(struct call_args *a)
{
    if (a->argv != a->stack_argv) free(a->argv);
    if (a->numbuf != a->stack_numbuf) free(a->numbuf);
}

/* The command's error line (without '-'), or NULL when it ran; "" when the error is already the
 * fake client's reply (-OOM). */
static const char *call_command(struct script_engine *e, size_t argc, struct resp_arg *argv)
{
    struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    const char *err = check_command(e, cmd, argc, argv);
    if (err) return err;
    if ((cmd->flags & CMD_DENYOOM) && !e->has_written && !(e->flags & SCRIPT_FLAG_ALLOW_OOM) &&
        !client_must_obey(e->caller) && evict_rejects(e->fake, cmd))
        return ""; /* evict_rejects replied Redis's -OOM to the fake client */
    run_command(e, cmd, argc, argv);
    return NULL;
}

static int generic_call(lua_State *L, bool is_raise)
{
    struct script_engine *e = script_engine_of_state(L);
    int argc = lua_gettop(L);
    if (argc == 0)
        return lib_error(L, is_raise,
                         "Please specify at least one argument for this redis lib call");
    if (!e->is_running)
        return lib_error(L, is_raise, "redis.call is available only while a script runs");
    if (argc > SCRIPT_MAX_ARGS)
        return lib_error(L, is_raise, "too many arguments for a redis lib call");
    struct call_args a;
    call_args_init(&a, argc);
    if (collect_args(L, argc, a.argv, a.numbuf) < 0) {
        call_args_free(&a);
        return lib_error(L, is_raise,
                         "Lua redis lib command arguments must be strings or integers");
    }
    const char *err = call_command(e, (size_t)argc, a.argv);
    call_args_free(&a); /* before anything that may raise a Lua error */
    if (err && err[0]) {
        lua_pushfstring(L, "-%s", err);
        script_conv_push_error(L, lua_tostring(L, -1), strlen(lua_tostring(L, -1)));
    } else {
        push_reply(L, e);
    }
    if (is_raise && lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        bool is_err = lua_isstring(L, -1);
        lua_pop(L, 1);
        if (is_err) return lua_error(L);
    }
    return 1;
}

static int lib_call(lua_State *L) { return generic_call(L, true); }
static int lib_pcall(lua_State *L) { return generic_call(L, false); }

static int lib_error_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING)
        return lib_error(L, false, "wrong number or type of arguments");
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (len > 0 && s[0] == '-') {
        script_conv_push_error(L, s, len);
    } else {
        lua_pushfstring(L, "-%s", s);
        script_conv_push_error(L, lua_tostring(L, -1), len + 1);
    }
    return 1;
}

static int lib_status_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING)
        return lib_error(L, false, "wrong number or type of arguments");
    lua_newtable(L);
    lua_pushliteral(L, "ok");
    lua_pushvalue(L, 1);
    lua_rawset(L, -3);
    return 1;
}

static int lib_sha1hex(lua_State *L)
{
    if (lua_gettop(L) != 1) return script_sandbox_raise(L, 0, "wrong number of arguments");
    size_t len = 0;
    const char *s = lua_tolstring(L, 1, &len);
    char hex[SCRIPT_SHA_LEN + 1];
    script_sha1hex(s ? s : "", s ? len : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int lib_log(lua_State *L)
{
    int argc = lua_gettop(L);
    if (argc < 2) return lib_error(L, true, "redis.log() requires two arguments or more.");
    if (!lua_isnumber(L, 1))
        return lib_error(L, true, "First argument must be a number (log level).");
    long long level = script_conv_number_to_ll(lua_tonumber(L, 1));
    if (level < LOG_DEBUG || level > LOG_WARNING) return lib_error(L, true, "Invalid debug level.");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 2; i <= argc; i++) {
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        if (!s) continue;
        if (i > 2) luaL_addchar(&b, ' ');
        luaL_addlstring(&b, s, len);
    }
    luaL_pushresult(&b);
    log_msg((enum log_level)level, "%s", lua_tostring(L, -1));
    return 0;
}

static int lib_setresp(lua_State *L)
{
    struct script_engine *e = script_engine_of_state(L);
    if (lua_gettop(L) != 1) return lib_error(L, true, "redis.setresp() requires one argument.");
    long long resp = script_conv_number_to_ll(lua_tonumber(L, 1));
    if (resp != 2 && resp != 3) return lib_error(L, true, "RESP version must be 2 or 3.");
    e->resp = (int)resp;
    return 0;
}

static int lib_set_repl(lua_State *L)
{
    struct script_engine *e = script_engine_of_state(L);
    if (lua_gettop(L) != 1) return lib_error(L, true, "redis.set_repl() requires two arguments.");
    long long flags = script_conv_number_to_ll(lua_tonumber(L, 1));
    if (flags < REPL_NONE || flags > REPL_ALL)
        return lib_error(
            L, true,
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    e->repl_flags = (int)flags;
    return 0;
}

static int lib_true(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

static int lib_nothing(lua_State *L)
{
    UNUSED(L);
    return 0;
}

static void set_number(lua_State *L, const char *name, lua_Number v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
}

static int compat_version_num(void)
{
    int major = 0, minor = 0, patch = 0;
    sscanf(VIGIL_REDIS_COMPAT_VERSION, "%d.%d.%d", &major, &minor, &patch);
    return (major << 16) | (minor << 8) | patch;
}

void script_redis_install(lua_State *L, struct script_engine *e)
{
    static const luaL_Reg fns[] = {
        {"call", lib_call},
        {"pcall", lib_pcall},
        {"error_reply", lib_error_reply},
        {"status_reply", lib_status_reply},
        {"sha1hex", lib_sha1hex},
        {"log", lib_log},
        {"setresp", lib_setresp},
        {"set_repl", lib_set_repl},
        {"replicate_commands", lib_true},
        {"breakpoint", lib_nothing},
        {"debug", lib_nothing},
        {NULL, NULL},
    };
    UNUSED(e);
    lua_newtable(L);
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
    set_number(L, "LOG_DEBUG", LOG_DEBUG);
    set_number(L, "LOG_VERBOSE", LOG_VERBOSE);
    set_number(L, "LOG_NOTICE", LOG_NOTICE);
    set_number(L, "LOG_WARNING", LOG_WARNING);
    set_number(L, "REPL_NONE", REPL_NONE);
    set_number(L, "REPL_AOF", REPL_AOF);
    set_number(L, "REPL_SLAVE", REPL_REPLICA);
    set_number(L, "REPL_REPLICA", REPL_REPLICA);
    set_number(L, "REPL_ALL", REPL_ALL);
    lua_pushstring(L, VIGIL_REDIS_COMPAT_VERSION);
    lua_setfield(L, -2, "REDIS_VERSION");
    set_number(L, "REDIS_VERSION_NUM", compat_version_num());
    lua_setfield(L, LUA_GLOBALSINDEX, "redis");
}
