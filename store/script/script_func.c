/* script_func: function libraries (FUNCTION LOAD, docs/scripting.md#functions). A library is
 * Lua code whose first line is "#!lua name=<lib>"; loading runs the code once, with only the
 * load API visible as globals (redis.register_function, redis.log, the LOG_* levels and the
 * version), as Redis 7.0 does; each registered callback is kept as a registry reference and
 * later runs, through script_run_function(), with the full sandbox of EVAL scripts (its
 * environment is the globals proxy, whose lookups the load only redirects for its duration).
 *
 * The libraries live in the same Lua state as EVAL's scripts; SCRIPT FLUSH makes a new state,
 * so it runs every library's code again (script_func_reload_all). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "store/script/script_int.h"

#define REG_LOAD_ENV "vigil_fn_load_env"
#define LOAD_TIMEOUT_MS 500 /* Redis's bound on running a library's code */
#define LOAD_HOOK_EVERY 100000
#define ERR_NAME                                                                                   \
    "Library names can only contain letters, numbers, or underscores(_) and must be at least "     \
    "one character long"

static bool name_is_valid(const char *p, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '_') return false;
    return true;
}

/* ---- the library list ---- */

static void lib_free(lua_State *L, struct script_lib *lib)
{
    for (size_t i = 0; i < lib->nfuncs; i++) {
        if (L) luaL_unref(L, LUA_REGISTRYINDEX, lib->funcs[i].ref);
        free(lib->funcs[i].name);
        free(lib->funcs[i].desc);
    }
    free(lib->funcs);
    free(lib->name);
    free(lib->code);
    free(lib);
}

struct script_lib *script_func_find_lib(struct script_engine *e, const char *name, size_t len)
{
    for (size_t i = 0; i < e->nlibs; i++)
        if (strlen(e->libs[i]->name) == len && memcmp(e->libs[i]->name, name, len) == 0)
            return e->libs[i];
    return NULL;
}

/* The function called name in any library but skip (NULL: none). */
static const struct script_func *find_func(struct script_engine *e, const char *name, size_t len,
                                           const struct script_lib *skip)
{
    for (size_t i = 0; i < e->nlibs; i++) {
        if (e->libs[i] == skip) continue;
        for (size_t j = 0; j < e->libs[i]->nfuncs; j++) {
            const struct script_func *f = &e->libs[i]->funcs[j];
            if (strlen(f->name) == len && memcmp(f->name, name, len) == 0) return f;
        }
    }
    return NULL;
}

const struct script_func *script_func_find(struct script_engine *e, const char *name, size_t len)
{
    return find_func(e, name, len, NULL);
}

void script_func_delete_lib(struct script_engine *e, struct script_lib *lib)
{
    for (size_t i = 0; i < e->nlibs; i++) {
        if (e->libs[i] != lib) continue;
        memmove(e->libs + i, e->libs + i + 1, (e->nlibs - i - 1) * sizeof *e->libs);
        e->nlibs--;
        break;
    }
    lib_free(e->L, lib);
}

void script_func_flush(struct script_engine *e)
{
    while (e->nlibs) script_func_delete_lib(e, e->libs[e->nlibs - 1]);
}

size_t script_func_count(const struct script_engine *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nlibs; i++) n += e->libs[i]->nfuncs;
    return n;
}

/* ---- redis.register_function ---- */

static int reg_error(lua_State *L, const char *msg)
{
    char line[256];
    int n = snprintf(line, sizeof line, "ERR %s", msg);
    return script_raise_error_table(L, line, (size_t)n);
}

static int parse_flags(lua_State *L, int idx, unsigned *flags)
{
    if (!lua_istable(L, idx))
        return reg_error(L, "flags argument to redis.register_function must be a table "
                            "representing function flags");
    for (int i = 1;; i++) {
        lua_rawgeti(L, idx, i);
        if (lua_isnil(L, -1)) break;
        const char *s = lua_isstring(L, -1) ? lua_tostring(L, -1) : NULL;
        size_t k = 0;
        while (s && k < script_flag_names_len && strcmp(script_flag_names[k].name, s) != 0) k++;
        if (!s || k == script_flag_names_len) return reg_error(L, "unknown flag given");
        *flags |= script_flag_names[k].flag;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* The table form {function_name=, callback=, flags=, description=}: leaves name at 2, callback
 * at 3 and description at 4 (or nil). */
static void parse_named(lua_State *L, unsigned *flags)
{
    if (!lua_istable(L, 1))
        reg_error(L, "calling redis.register_function with a single argument is only applicable "
                     "to Lua table (representing named arguments).");
    lua_settop(L, 4);
    for (lua_pushnil(L); lua_next(L, 1);) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
        if (strcmp(k, "function_name") == 0) {
            if (!lua_isstring(L, -1))
                reg_error(L, "function_name argument given to redis.register_function must be a "
                             "string");
            lua_replace(L, 2);
        } else if (strcmp(k, "callback") == 0) {
            if (!lua_isfunction(L, -1))
                reg_error(L, "callback argument given to redis.register_function must be a "
                             "function");
            lua_replace(L, 3);
        } else if (strcmp(k, "description") == 0) {
            if (!lua_isstring(L, -1))
                reg_error(L, "description argument given to redis.register_function must be a "
                             "string");
            lua_replace(L, 4);
        } else if (strcmp(k, "flags") == 0) {
            parse_flags(L, lua_gettop(L), flags);
            lua_pop(L, 1);
        } else {
            reg_error(L, "unknown argument given to redis.register_function");
        }
    }
    if (lua_isnil(L, 2)) reg_error(L, "redis.register_function must get a function name argument");
    if (lua_isnil(L, 3)) reg_error(L, "redis.register_function must get a callback argument");
}

static int lib_register_function(lua_State *L)
{
    struct script_engine *e = script_engine_of_state(L);
    if (!e->loading)
        return reg_error(L, "redis.register_function can only be called on FUNCTION LOAD command");
    unsigned flags = 0;
    int nargs = lua_gettop(L);
    if (nargs == 1) {
        parse_named(L, &flags);
    } else if (nargs == 2) {
        if (!lua_isstring(L, 1))
            return reg_error(L, "first argument to redis.register_function must be a string");
        if (!lua_isfunction(L, 2))
            return reg_error(L, "second argument to redis.register_function must be a function");
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 2);
        lua_pushnil(L);
    } else {
        return reg_error(L, "wrong number of arguments to redis.register_function");
    }
    int top = lua_gettop(L); /* name, callback, description at top-2 .. top */
    size_t len;
    const char *name = lua_tolstring(L, top - 2, &len);
    if (!name_is_valid(name, len)) return reg_error(L, ERR_NAME);
    struct script_lib *lib = e->loading;
    for (size_t i = 0; i < lib->nfuncs; i++)
        if (strcmp(lib->funcs[i].name, name) == 0)
            return reg_error(L, "Function already exists in the library");
    if (lib->nfuncs == lib->cap) {
        lib->cap = lib->cap ? 2 * lib->cap : 4;
        lib->funcs = xrealloc(lib->funcs, lib->cap * sizeof *lib->funcs);
    }
    struct script_func *f = &lib->funcs[lib->nfuncs++];
    f->name = xstrndup(name, len);
    f->desc = lua_isnil(L, top) ? NULL : xstrdup(lua_tostring(L, top));
    f->flags = flags;
    lua_pushvalue(L, top - 1);
    f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* ---- loading ---- */

/* The load API's globals (kept in the registry): a table whose only name is a read-only
 * `redis` with what Redis 7.0 gives library code while it loads. */
static void push_load_env(lua_State *L)
{
    static const char *const copied[] = {
        "log",         "LOG_DEBUG",     "LOG_VERBOSE",      "LOG_NOTICE",
        "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"};
    lua_getfield(L, LUA_REGISTRYINDEX, REG_LOAD_ENV);
    if (!lua_isnil(L, -1)) return;
    lua_pop(L, 1);
    lua_newtable(L); /* the environment */
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_GLOBALS);
    lua_getmetatable(L, -1); /* missing names are an error, as for scripts */
    lua_setmetatable(L, -3);
    lua_getfield(L, -1, "redis");
    lua_newtable(L);
    for (size_t i = 0; i < ARRAY_LEN(copied); i++) {
        lua_getfield(L, -2, copied[i]);
        lua_setfield(L, -2, copied[i]);
    }
    lua_pushcfunction(L, lib_register_function);
    lua_setfield(L, -2, "register_function");
    lua_getmetatable(L, -3); /* a missing field is an error too, as Redis */
    lua_setmetatable(L, -2);
    script_sandbox_protect_top(L);
    lua_setfield(L, -4, "redis");
    lua_pop(L, 2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_LOAD_ENV);
}

/* Point the globals proxy's reads at the table on top of the stack (popped); the previous
 * target is left on the stack in its place. */
static void swap_globals_target(lua_State *L)
{
    lua_getmetatable(L, LUA_GLOBALSINDEX);
    lua_getfield(L, -1, "__index");
    lua_pushvalue(L, -3);
    lua_setfield(L, -3, "__index");
    lua_replace(L, -3);
    lua_pop(L, 1);
}

static void hook_load(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct script_engine *e = script_engine_of_state(L);
    if (clock_mono_ms() - e->load_start_mono_ms < LOAD_TIMEOUT_MS) return;
    lua_sethook(L, hook_load, LUA_MASKLINE, 0); /* raise again if the code catches it */
    reg_error(L, "FUNCTION LOAD timeout");
}

/* Run the compiled code on top of the stack (popped) with the load API; 0 or -1 with err. */
static int run_code(struct script_engine *e, struct script_lib *lib, struct buf *err)
{
    lua_State *L = e->L;
    lua_pushcfunction(L, script_sandbox_error_handler);
    lua_insert(L, -2);
    push_load_env(L);
    swap_globals_target(L);
    lua_insert(L, -3);
    e->loading = lib;
    e->load_start_mono_ms = clock_mono_ms();
    lua_sethook(L, hook_load, LUA_MASKCOUNT, LOAD_HOOK_EVERY);
    int status = lua_pcall(L, 0, 0, -2);
    lua_sethook(L, NULL, 0, 0);
    e->loading = NULL;
    if (status != 0) {
        const char *msg = NULL;
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            lua_replace(L, -2);
        }
        msg = lua_tostring(L, -1);
        buf_printf(err, "ERR Error registering functions: %s", msg ? msg : "unknown error");
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the error handler */
    swap_globals_target(L);
    lua_pop(L, 1); /* the load environment */
    return status == 0 ? 0 : -1;
}

/* "#!<engine> name=<lib>" up to the first newline: 0 with lib->name and *skip, or -1. */
static int parse_metadata(const char *code, size_t len, struct script_lib *lib, size_t *skip,
                          struct buf *err)
{
    const char *nl = memchr(code, '\n', len);
    if (len < 2 || memcmp(code, "#!", 2) != 0) {
        buf_append_str(err, "ERR Missing library metadata");
        return -1;
    }
    if (!nl) {
        buf_append_str(err, "ERR Invalid library metadata");
        return -1;
    }
    *skip = (size_t)(nl - code);
    const char *p = code + 2, *end = nl;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    const char *engine_end = sp ? sp : end;
    if (engine_end - p != 3 || strncasecmp(p, "lua", 3) != 0) {
        buf_printf(err, "ERR Engine '%.*s' not found", (int)(engine_end - p), p);
        return -1;
    }
    for (p = engine_end; p < end;) {
        while (p < end && *p == ' ') p++;
        if (p == end) break;
        const char *w = memchr(p, ' ', (size_t)(end - p));
        if (!w) w = end;
        if (w - p < 5 || memcmp(p, "name=", 5) != 0) {
            buf_printf(err, "ERR Invalid metadata value given: %.*s", (int)(w - p), p);
            return -1;
        }
        if (lib->name) {
            buf_append_str(err, "ERR Invalid metadata value, name argument was given multiple "
                                "times");
            return -1;
        }
        lib->name = xstrndup(p + 5, (size_t)(w - p - 5));
        p = w;
    }
    if (!lib->name) {
        buf_append_str(err, "ERR Library name was not given");
        return -1;
    }
    if (!name_is_valid(lib->name, strlen(lib->name))) {
        buf_append_str(err, "ERR " ERR_NAME);
        return -1;
    }
    return 0;
}

char *script_func_code_name(const char *code, size_t len)
{
    struct script_lib lib = {0};
    struct buf err;
    buf_init(&err);
    size_t skip;
    if (parse_metadata(code, len, &lib, &skip, &err) != 0) {
        free(lib.name);
        lib.name = NULL;
    }
    buf_free(&err);
    return lib.name;
}

/* Compile and run the code into lib; 0, or -1 with err (lib keeps what it registered). */
static int load_into(struct script_engine *e, struct script_lib *lib, size_t skip, struct buf *err)
{
    lua_State *L = e->L;
    /* the shebang line is left out but its newline kept, so lines count as in the code */
    if (luaL_loadbuffer(L, lib->code + skip, lib->code_len - skip, "@user_function") != 0) {
        buf_printf(err, "ERR Error compiling function: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    if (run_code(e, lib, err) != 0) return -1;
    if (lib->nfuncs == 0) {
        buf_append_str(err, "ERR No functions registered");
        return -1;
    }
    return 0;
}

static void libs_append(struct script_engine *e, struct script_lib *lib)
{
    if (e->nlibs == e->libs_cap) {
        e->libs_cap = e->libs_cap ? 2 * e->libs_cap : 8;
        e->libs = xrealloc(e->libs, e->libs_cap * sizeof *e->libs);
    }
    e->libs[e->nlibs++] = lib;
}

int script_func_load(struct script_engine *e, const char *code, size_t len, bool replace,
                     const char **name_out, struct buf *err)
{
    struct script_lib *lib = xcalloc(1, sizeof *lib);
    size_t skip = 0;
    if (parse_metadata(code, len, lib, &skip, err) != 0) goto fail;
    struct script_lib *old = script_func_find_lib(e, lib->name, strlen(lib->name));
    if (old && !replace) {
        buf_printf(err, "ERR Library '%s' already exists", lib->name);
        goto fail;
    }
    lib->code = xmalloc(len + 1);
    memcpy(lib->code, code, len);
    lib->code[len] = '\0';
    lib->code_len = len;
    if (load_into(e, lib, skip, err) != 0) goto fail;
    for (size_t i = 0; i < lib->nfuncs; i++) {
        const char *name = lib->funcs[i].name;
        if (find_func(e, name, strlen(name), old)) {
            buf_printf(err, "ERR Function %s already exists", name);
            goto fail;
        }
    }
    if (old) script_func_delete_lib(e, old);
    libs_append(e, lib);
    *name_out = lib->name;
    return 0;
fail:
    lib_free(e->L, lib);
    return -1;
}

void script_func_reload_all(struct script_engine *e)
{
    for (size_t i = 0; i < e->nlibs; i++) {
        struct script_lib *lib = e->libs[i];
        size_t n = lib->nfuncs;
        struct script_func *old = lib->funcs;
        lib->funcs = NULL;
        lib->nfuncs = lib->cap = 0;
        struct buf err;
        buf_init(&err);
        const char *nl = memchr(lib->code, '\n', lib->code_len);
        if (load_into(e, lib, (size_t)(nl - lib->code), &err) != 0)
            log_warning("Library %s could not be loaded again: %s", lib->name, err.data);
        buf_free(&err);
        for (size_t j = 0; j < n; j++) {
            free(old[j].name);
            free(old[j].desc);
        }
        free(old);
    }
}

/* ---- persistence ---- */

size_t script_func_lib_count(const struct server *srv)
{
    return srv->script ? srv->script->nlibs : 0;
}

const char *script_func_lib_code(const struct server *srv, size_t i, size_t *len)
{
    *len = srv->script->libs[i]->code_len;
    return srv->script->libs[i]->code;
}

void script_func_replace_all(struct server *srv, size_t n, char *const *codes, const size_t *lens)
{
    if (!srv->script && n == 0) return;
    struct script_engine *e = script_engine_of(srv);
    script_func_flush(e);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        struct buf err;
        buf_init(&err);
        if (script_func_load(e, codes[i], lens[i], false, &name, &err) != 0)
            log_warning("A library of the snapshot was not loaded: %s", err.data);
        buf_free(&err);
    }
}

void script_func_info(const struct server *srv, size_t *nfuncs, size_t *nlibs, size_t *bytes)
{
    *nfuncs = *nlibs = *bytes = 0;
    if (!srv->script) return;
    *nfuncs = script_func_count(srv->script);
    *nlibs = srv->script->nlibs;
    for (size_t i = 0; i < *nlibs; i++) *bytes += srv->script->libs[i]->code_len;
}
