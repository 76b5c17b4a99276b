/* script_sandbox: the Lua environment scripts run in, as Redis 7.0 gives it
 * (docs/scripting.md#the-sandbox). Libraries: base (without dofile, loadfile, print, getfenv,
 * setfenv, newproxy), table, string, math, cjson, bit and struct (script_struct.c); no os, io,
 * package, require or debug. `cmsgpack` exists as a name whose use is a clear error (not built
 * yet).
 *
 * Read-only globals: Debian's Lua 5.1 has no read-only tables (Redis patches its own copy),
 * so every protected table (the globals, each library) is an empty proxy whose metatable
 * reads through to the real table and refuses writes. rawset, setmetatable, rawget, next and
 * pairs are wrapped so they see through a proxy but cannot write through it. Lookups of a
 * missing global are an error, as Redis. loadstring/load refuse precompiled chunks (the
 * bytecode verifier of 5.1 is not safe), and pcall hands the `err` string of Redis's error
 * tables to the script, as Redis 7.0's does. math.random is Redis's: a 48-bit LCG with the
 * same initial state, so a script draws the same numbers as on redis-server. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "common/util.h"
#include "store/script/script_int.h"

int luaopen_cjson(lua_State *L);
int luaopen_bit(lua_State *L);

#define READONLY_MSG "Attempt to modify a readonly table"

int script_sandbox_raise(lua_State *L, int level, const char *msg)
{
    if (level > 0)
        luaL_where(L, level);
    else
        lua_pushliteral(L, "");
    lua_pushstring(L, msg);
    lua_concat(L, 2);
    return lua_error(L);
}

int script_raise_error_table(lua_State *L, const char *line, size_t len)
{
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushlstring(L, line, len);
    lua_rawset(L, -3);
    return lua_error(L);
}

/* The backing table of a protected proxy at idx, pushed; or nothing and false. */
static bool push_backing(lua_State *L, int idx)
{
    if (!lua_istable(L, idx)) return false;
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_PROXIES);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return false;
    }
    return true;
}

static bool is_protected(lua_State *L, int idx)
{
    if (!push_backing(L, idx)) return false;
    lua_pop(L, 1);
    return true;
}

static int proxy_newindex(lua_State *L) { return script_sandbox_raise(L, 1, READONLY_MSG); }

static int globals_missing(lua_State *L)
{
    char msg[256];
    size_t len = 0;
    const char *name = lua_tolstring(L, 2, &len);
    snprintf(msg, sizeof msg, "Script attempted to access nonexistent global variable '%.*s'",
             (int)(len > 128 ? 128 : len), name ? name : "?");
    return script_sandbox_raise(L, 1, msg);
}

/* Replace the table on top of the stack by a read-only proxy of it. */
void script_sandbox_protect_top(lua_State *L)
{
    int backing = lua_gettop(L);
    lua_newtable(L); /* proxy */
    lua_newtable(L); /* its metatable */
    lua_pushvalue(L, backing);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, proxy_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_newtable(L); /* what getmetatable() shows: not the metatable itself */
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_PROXIES);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, backing);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_replace(L, backing);
}

/* ---- wrapped base functions ---- */

static int sb_rawset(lua_State *L)
{
    if (is_protected(L, 1)) return script_sandbox_raise(L, 0, READONLY_MSG);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int sb_setmetatable(lua_State *L)
{
    if (is_protected(L, 1)) return script_sandbox_raise(L, 0, READONLY_MSG);
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
    if (luaL_getmetafield(L, 1, "__metatable"))
        luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

static int sb_rawget(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    if (push_backing(L, 1)) lua_replace(L, 1);
    lua_settop(L, 2);
    lua_rawget(L, 1);
    return 1;
}

static int sb_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (push_backing(L, 1)) lua_replace(L, 1);
    lua_settop(L, 2);
    if (lua_next(L, 1)) return 2;
    lua_pushnil(L);
    return 1;
}

static int sb_pairs(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushcfunction(L, sb_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Redis 7.0's pcall: an error table {err=...} caught by the script is its err string. */
static int sb_pcall(lua_State *L)
{
    if (lua_gettop(L) == 0) return 0; /* Redis's answers nothing either */
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (status == 0) {
        lua_pushboolean(L, 1);
        lua_insert(L, 1);
        return lua_gettop(L);
    }
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        if (lua_isstring(L, -1))
            lua_replace(L, -2);
        else
            lua_pop(L, 1);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/* Compile a chunk, refusing precompiled bytecode. */
static int load_text(lua_State *L, const char *s, size_t len, const char *name)
{
    if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
        lua_pushnil(L);
        lua_pushliteral(L, "precompiled chunks are not allowed in scripts");
        return 2;
    }
    if (luaL_loadbuffer(L, s, len, name) == 0) return 1;
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

static int sb_loadstring(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    return load_text(L, s, len, luaL_optstring(L, 2, s));
}

/* lua_load's reader for load(f): calls f for each piece, as the base library's own reader,
 * and stops at a precompiled chunk's signature. The piece is kept in stack slot 3 so it stays
 * alive while the parser reads it. */
struct load_reader {
    bool is_first, is_binary;
};

static const char *load_read_piece(lua_State *L, void *ud, size_t *size)
{
    struct load_reader *r = ud;
    luaL_checkstack(L, 2, "too many nested functions");
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        *size = 0;
        return NULL;
    }
    if (!lua_isstring(L, -1)) luaL_error(L, "reader function must return a string");
    lua_replace(L, 3);
    const char *p = lua_tolstring(L, 3, size);
    if (r->is_first && *size > 0) {
        r->is_first = false;
        if (p[0] == LUA_SIGNATURE[0]) {
            r->is_binary = true;
            *size = 0;
            return NULL;
        }
    }
    return p;
}

static int sb_load(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    const char *name = luaL_optstring(L, 2, "=(load)");
    lua_settop(L, 3); /* slot 3 holds the piece being read */
    struct load_reader r = {.is_first = true, .is_binary = false};
    int status = lua_load(L, load_read_piece, &r, name);
    if (r.is_binary) {
        lua_pushnil(L);
        lua_pushliteral(L, "precompiled chunks are not allowed in scripts");
        return 2;
    }
    if (status == 0) return 1;
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

/* ---- math.random as Redis: rand48 with glibc's unseeded initial state ---- */

#define RAND48_MAX 2147483647

static uint64_t *rand_state(lua_State *L)
{
    return (uint64_t *)lua_touserdata(L, lua_upvalueindex(1));
}

static int32_t rand48_next(uint64_t *x)
{
    *x = (0x5DEECE66Dull * *x + 0xB) & ((1ull << 48) - 1);
    return (int32_t)(*x >> 17);
}

static int sb_math_random(lua_State *L)
{
    lua_Number r = (lua_Number)(rand48_next(rand_state(L)) % RAND48_MAX) / (lua_Number)RAND48_MAX;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, floor(r * u) + 1);
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1), u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, floor(r * (u - l + 1)) + l);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int sb_math_randomseed(lua_State *L)
{
    *rand_state(L) = ((uint64_t)(uint32_t)luaL_checkint(L, 1) << 16) | 0x330E;
    return 0;
}

/* ---- libraries we do not have ---- */

static int missing_library(lua_State *L)
{
    char msg[160];
    snprintf(msg, sizeof msg,
             "the '%s' library is not available in vigil-store (see README: scripting)",
             lua_tostring(L, lua_upvalueindex(1)));
    return script_sandbox_raise(L, 1, msg);
}

static void set_missing_library(lua_State *L, const char *name)
{
    lua_newtable(L);
    lua_newtable(L);
    lua_pushstring(L, name);
    lua_pushcclosure(L, missing_library, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_GLOBALSINDEX, name);
}

/* ---- error handler ---- */

int script_sandbox_error_handler(lua_State *L)
{
    lua_Debug ar;
    bool has_frame = lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar);
    if (has_frame && strcmp(ar.what, "C") == 0) /* raised by a C function: its caller's line */
        has_frame = lua_getstack(L, 2, &ar) && lua_getinfo(L, "Sl", &ar);
    lua_settop(L, 1);
    if (!lua_istable(L, 1)) {
        lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_GLOBALS);
        lua_getfield(L, -1, "tostring");
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
        lua_pushliteral(L, "ERR ");
        lua_insert(L, -2);
        lua_concat(L, 2);
        lua_newtable(L);
        lua_pushliteral(L, "err");
        lua_pushvalue(L, -3);
        lua_rawset(L, -3);
        lua_replace(L, 1);
        lua_settop(L, 1);
    }
    if (has_frame) {
        lua_pushliteral(L, "source");
        lua_pushstring(L, ar.source);
        lua_rawset(L, 1);
        lua_pushliteral(L, "line");
        lua_pushinteger(L, ar.currentline);
        lua_rawset(L, 1);
    }
    return 1;
}

void script_sandbox_set_global(lua_State *L, const char *name)
{
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_GLOBALS);
    lua_pushstring(L, name);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_pop(L, 2);
}

/* Open a library; those with a name are set as that global from what they return (lua-cjson
 * sets no global of its own). */
static void open_lib(lua_State *L, const char *name, lua_CFunction fn)
{
    lua_pushcfunction(L, fn);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (name[0] && lua_istable(L, -1))
        lua_setfield(L, LUA_GLOBALSINDEX, name);
    else
        lua_pop(L, 1);
}

static void set_function(lua_State *L, const char *table, const char *name, lua_CFunction fn)
{
    if (table) lua_getfield(L, LUA_GLOBALSINDEX, table);
    lua_pushcfunction(L, fn);
    lua_setfield(L, table ? -2 : LUA_GLOBALSINDEX, name);
    if (table) lua_pop(L, 1);
}

static void install_base(lua_State *L, struct script_engine *e)
{
    static const char *const removed[] = {"dofile",  "loadfile", "print",
                                          "getfenv", "setfenv",  "newproxy"};
    open_lib(L, "", luaopen_base);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    open_lib(L, "cjson", luaopen_cjson);
    open_lib(L, "bit", luaopen_bit);
    for (size_t i = 0; i < ARRAY_LEN(removed); i++) {
        lua_pushnil(L);
        lua_setfield(L, LUA_GLOBALSINDEX, removed[i]);
    }
    set_function(L, NULL, "rawset", sb_rawset);
    set_function(L, NULL, "rawget", sb_rawget);
    set_function(L, NULL, "setmetatable", sb_setmetatable);
    set_function(L, NULL, "next", sb_next);
    set_function(L, NULL, "pairs", sb_pairs);
    set_function(L, NULL, "pcall", sb_pcall);
    set_function(L, NULL, "loadstring", sb_loadstring);
    set_function(L, NULL, "load", sb_load);
    set_function(L, NULL, "__redis__err__handler", script_sandbox_error_handler);
    lua_getfield(L, LUA_GLOBALSINDEX, LUA_MATHLIBNAME);
    lua_pushlightuserdata(L, &e->rand48_state);
    lua_pushcclosure(L, sb_math_random, 1);
    lua_setfield(L, -2, "random");
    lua_pushlightuserdata(L, &e->rand48_state);
    lua_pushcclosure(L, sb_math_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    script_struct_install(L);
    set_missing_library(L, "cmsgpack");
}

void script_sandbox_install(lua_State *L, struct script_engine *e)
{
    static const char *const libs[] = {"string", "table", "math",   "coroutine", "cjson",
                                       "bit",    "redis", "struct", "cmsgpack"};
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_PROXIES);
    install_base(L, e);
    script_redis_install(L, e);
    for (size_t i = 0; i < ARRAY_LEN(libs); i++) {
        lua_getfield(L, LUA_GLOBALSINDEX, libs[i]);
        script_sandbox_protect_top(L);
        lua_setfield(L, LUA_GLOBALSINDEX, libs[i]);
    }
    /* methods of strings ("x"):upper() read through the protected string table too */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_getfield(L, LUA_GLOBALSINDEX, "string");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 2);
    /* the globals: missing names are an error, and scripts see a read-only proxy */
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_GLOBALS);
    lua_newtable(L);
    lua_pushcfunction(L, globals_missing);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    script_sandbox_protect_top(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_GLOBALSINDEX, "_G");
    lua_replace(L, LUA_GLOBALSINDEX);
}
