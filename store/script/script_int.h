/* script_int: what the script_*.c files share and nothing else sees: the engine's fields and
 * the sandbox and redis-library installers. */
#ifndef VIGIL_SCRIPT_INT_H
#define VIGIL_SCRIPT_INT_H

#include <stdint.h>

#include <lua.h>

#include "store/script/script.h"

struct resp_reader;

/* A registered function (FUNCTION LOAD): its Lua closure is the registry reference ref. */
struct script_func {
    char *name, *desc; /* desc NULL when not given */
    unsigned flags;    /* SCRIPT_FLAG_* */
    int ref;
};

/* A library: its code as loaded and the functions its code registered. */
struct script_lib {
    char *name, *code;
    size_t code_len, nfuncs, cap;
    struct script_func *funcs;
};

struct script_engine {
    struct server *srv;
    lua_State *L;
    size_t nscripts, scripts_bytes; /* cached scripts and their bodies' bytes */
    size_t lua_bytes;               /* what the Lua state holds (its allocator counts) */
    size_t lua_limit_bytes;         /* 0: no bound (Redis has none); the fuzz harness sets one */
    struct resp_reader *reader;     /* parses a command's reply for redis.call */
    /* the running script (valid while is_running) */
    bool is_running, is_ro, has_written, is_killed, is_busy;
    int resp;       /* redis.setresp(): 2 or 3 */
    int repl_flags; /* redis.set_repl() */
    unsigned flags; /* SCRIPT_FLAG_* */
    struct client *caller, *fake;
    const char *sha;
    int64_t start_mono_ms, last_poll_mono_ms;
    int kill_reason;       /* 0, or SCRIPT_KILLED_BY_* */
    unsigned gc_count;     /* scripts run since the last GC step */
    uint64_t rand48_state; /* math.random (kept across SCRIPT FLUSH, as Redis) */
    /* function libraries (script_func.c), in load order */
    struct script_lib **libs;
    size_t nlibs, libs_cap;
    struct script_lib *loading; /* the library FUNCTION LOAD is running the code of */
    int64_t load_start_mono_ms;
    bool is_function; /* the running script is a function (FCALL) */
    size_t run_argc;  /* the running command's arguments (FUNCTION STATS) */
    const struct resp_arg *run_argv;
};

enum { SCRIPT_KILLED_BY_KILL = 1, SCRIPT_KILLED_BY_SHUTDOWN = 2 };

/* Registry key of the table proxy -> backing table of the protected (read-only) tables. */
#define SCRIPT_REG_PROXIES "vigil_protected"
/* Registry key of the real globals table (the scripts see a read-only proxy of it). */
#define SCRIPT_REG_GLOBALS "vigil_globals"

/* Open the libraries Redis 7.0 gives scripts and make the globals read-only. */
void script_sandbox_install(lua_State *L, struct script_engine *e);
/* The error handler that lua_pcall runs: turns any error into Redis's error table with the
 * source and line of the script's frame. */
int script_sandbox_error_handler(lua_State *L);
/* Set a global in the real globals table, bypassing the read-only proxy. The value is on top
 * of the stack (popped). */
void script_sandbox_set_global(lua_State *L, const char *name);
/* Raise an error with the position of the Lua frame `level` (0: none). */
int script_sandbox_raise(lua_State *L, int level, const char *msg);
/* Raise a Redis error table {err="ERR <msg>"} (the redis.* library's argument errors). */
int script_raise_error_table(lua_State *L, const char *line, size_t len);

/* Install the struct library (script_struct.c) as the global `struct`. */
void script_struct_install(lua_State *L);

/* Install the redis.* library (redis.call and friends) as a read-only global. */
void script_redis_install(lua_State *L, struct script_engine *e);

/* Replace the table on top of the stack by a read-only proxy of it. */
void script_sandbox_protect_top(lua_State *L);

/* Run the function ref (a registry reference) for c with KEYS and ARGV as its two arguments. */
int script_run_function(struct script_engine *e, struct client *c, const struct script_func *f,
                        bool is_ro, size_t nkeys, size_t argc, const struct resp_arg *argv);

/* FUNCTION LOAD [REPLACE]: 0 with the library's name in name_out (owned by the library), or -1
 * with Redis's error line in err. */
int script_func_load(struct script_engine *e, const char *code, size_t len, bool replace,
                     const char **name_out, struct buf *err);
struct script_lib *script_func_find_lib(struct script_engine *e, const char *name, size_t len);
const struct script_func *script_func_find(struct script_engine *e, const char *name, size_t len);
void script_func_delete_lib(struct script_engine *e, struct script_lib *lib);
void script_func_flush(struct script_engine *e);
/* After the Lua state was made anew (SCRIPT FLUSH): run every library's code again. */
void script_func_reload_all(struct script_engine *e);
size_t script_func_count(const struct script_engine *e);
/* The library name in code's metadata (malloc'd), or NULL when the metadata is bad. */
char *script_func_code_name(const char *code, size_t len);
/* FUNCTION DUMP and FUNCTION RESTORE (script_func_dump.c): reply to c. */
void script_func_dump(struct client *c);
void script_func_restore(struct client *c);

/* The engine of a Lua state (stored in the registry). */
struct script_engine *script_engine_of_state(lua_State *L);

/* The flags a shebang or redis.register_function may name, in Redis's order (FUNCTION LIST shows
 * them so). One table for parsing both forms and for listing. */
struct script_flag_name {
    const char *name;
    unsigned flag;
};
extern const struct script_flag_name script_flag_names[];
extern const size_t script_flag_names_len;

#endif
