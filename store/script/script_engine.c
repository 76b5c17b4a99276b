/* script_engine: the Lua state and the cache of compiled scripts
 * (docs/scripting.md#the-script-cache). A script is compiled once into a function kept in the
 * Lua registry under "f_<sha1>", the name Redis uses, with its shebang flags beside it; SCRIPT
 * FLUSH closes the state and opens a fresh one, which frees the memory of every cached script.
 *
 * The cache is not bounded, as in Redis 7.0: EVAL caches every script it runs. A client that
 * sends ever-new scripts (values pasted into the body instead of ARGV) grows it until SCRIPT
 * FLUSH; INFO's number_of_cached_scripts and used_memory_scripts show it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <openssl/sha.h>

#include "common/log.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/client.h"
#include "store/script/script_int.h"

#define REG_FLAGS "vigil_script_flags"
#define RAND48_UNSEEDED 0x1234ABCD330Eull /* glibc's rand48 state before any seeding */

void script_sha1hex(const char *p, size_t n, char out[SCRIPT_SHA_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)p, n, md);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[SCRIPT_SHA_LEN] = '\0';
}

struct script_engine *script_engine_of_state(lua_State *L)
{
    /* The allocator's argument is the engine (open_state): no registry lookup per call. */
    void *e = NULL;
    (void)lua_getallocf(L, &e);
    return e;
}

/* The Lua state's allocator: counts its bytes (INFO used_memory_lua) and refuses growth past
 * lua_limit_bytes when one is set (Lua then raises "not enough memory"). Lua 5.1 passes osize
 * 0 with a NULL block. */
static void *engine_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct script_engine *e = ud;
    if (nsize == 0) {
        free(ptr);
        e->lua_bytes -= osize;
        return NULL;
    }
    if (e->lua_limit_bytes && nsize > osize && e->lua_bytes + (nsize - osize) > e->lua_limit_bytes)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p) e->lua_bytes = e->lua_bytes - osize + nsize;
    return p;
}

/* An error outside any protected call (only out of memory can cause one here): Lua would
 * exit the process; stop with a message instead. */
static int engine_panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    log_warning("Lua error outside a script: %s", msg ? msg : "?");
    abort();
}

static void open_state(struct script_engine *e)
{
    e->L = lua_newstate(engine_alloc, e);
    ASSERT(e->L != NULL); /* only out of memory stops it, and xmalloc aborts on that too */
    lua_atpanic(e->L, engine_panic);
    lua_newtable(e->L);
    lua_setfield(e->L, LUA_REGISTRYINDEX, REG_FLAGS);
    script_sandbox_install(e->L, e);
    e->nscripts = e->scripts_bytes = 0;
}

struct script_engine *script_engine_create(struct server *srv)
{
    struct script_engine *e = xcalloc(1, sizeof *e);
    e->srv = srv;
    e->resp = 2;
    e->rand48_state = RAND48_UNSEEDED;
    e->reader = resp_reader_create(NULL);
    /* One client runs every script's commands, made once (as Redis's "lua" client): making
     * one per call cost a tenth of a short script's time and used up a client id. An engine
     * without a server (the fuzz harness) runs no command and has none. */
    if (srv) {
        e->fake = client_create(srv, -1);
        conn_detach(&e->fake->conn);
        snprintf(e->fake->conn.addr, sizeof e->fake->conn.addr, "lua"); /* MONITOR's "[0 lua]" */
    }
    open_state(e);
    return e;
}

void script_engine_destroy(struct script_engine *e)
{
    if (!e) return;
    script_func_flush(e);
    free(e->libs);
    lua_close(e->L);
    resp_reader_destroy(e->reader);
    if (e->fake) client_free(e->fake);
    free(e);
}

struct script_engine *script_engine_of(struct server *srv)
{
    if (!srv->script) srv->script = script_engine_create(srv);
    return srv->script;
}

void script_engine_flush(struct script_engine *e)
{
    ASSERT(!e->is_running);
    lua_close(e->L);
    open_state(e);
    script_func_reload_all(e); /* the libraries stay (only FUNCTION FLUSH drops them) */
}

/* ---- shebang (7.0): "#!lua" then optional " flags=a,b" up to the end of the first line ---- */

const struct script_flag_name script_flag_names[] = {
    {"no-writes", SCRIPT_FLAG_NO_WRITES},
    {"allow-oom", SCRIPT_FLAG_ALLOW_OOM},
    {"allow-stale", SCRIPT_FLAG_ALLOW_STALE},
    {"no-cluster", SCRIPT_FLAG_NO_CLUSTER},
    {"allow-cross-slot-keys", SCRIPT_FLAG_ALLOW_CROSS_SLOT}, /* accepted; no cluster here */
};
const size_t script_flag_names_len = ARRAY_LEN(script_flag_names);

static int parse_flag(const char *p, size_t n, unsigned *flags)
{
    for (size_t i = 0; i < script_flag_names_len; i++) {
        const char *name = script_flag_names[i].name;
        if (strlen(name) == n && memcmp(name, p, n) == 0) {
            *flags |= script_flag_names[i].flag;
            return 0;
        }
    }
    return -1;
}

/* 0 with *flags and *skip (bytes of the shebang, up to its newline), or -1 with err. */
static int parse_shebang(const char *body, size_t len, unsigned *flags, size_t *skip,
                         struct buf *err)
{
    *flags = SCRIPT_FLAG_EVAL_COMPAT;
    *skip = 0;
    if (len < 2 || memcmp(body, "#!", 2) != 0) return 0;
    const char *nl = memchr(body, '\n', len);
    if (!nl) {
        buf_append_str(err, "ERR Invalid script shebang");
        return -1;
    }
    size_t line_len = (size_t)(nl - body);
    *skip = line_len;
    *flags = 0;
    const char *p = body, *end = nl;
    const char *sp = memchr(p, ' ', line_len);
    const char *engine_end = sp ? sp : end;
    if ((size_t)(engine_end - p) != 5 || memcmp(p, "#!lua", 5) != 0) {
        buf_printf(err, "ERR Unexpected engine in script shebang: %.*s", (int)(engine_end - p), p);
        return -1;
    }
    p = engine_end;
    while (p < end) {
        while (p < end && *p == ' ') p++;
        if (p == end) break;
        const char *word_end = memchr(p, ' ', (size_t)(end - p));
        if (!word_end) word_end = end;
        if ((size_t)(word_end - p) < 6 || memcmp(p, "flags=", 6) != 0) {
            buf_printf(err, "ERR Unknown lua shebang option: %.*s", (int)(word_end - p), p);
            return -1;
        }
        for (const char *f = p + 6; f < word_end;) {
            const char *comma = memchr(f, ',', (size_t)(word_end - f));
            const char *fe = comma ? comma : word_end;
            if (fe > f && parse_flag(f, (size_t)(fe - f), flags) != 0) {
                buf_printf(err, "ERR Unexpected flag in script shebang: %.*s", (int)(fe - f), f);
                return -1;
            }
            f = comma ? comma + 1 : word_end;
        }
        p = word_end;
    }
    return 0;
}

static void function_name(char out[SCRIPT_SHA_LEN + 3], const char *sha)
{
    out[0] = 'f';
    out[1] = '_';
    for (int i = 0; i < SCRIPT_SHA_LEN; i++) out[2 + i] = (char)tolower((unsigned char)sha[i]);
    out[SCRIPT_SHA_LEN + 2] = '\0';
}

bool script_engine_lookup(struct script_engine *e, const char *sha, size_t len, unsigned *flags)
{
    if (len != SCRIPT_SHA_LEN) return false;
    char name[SCRIPT_SHA_LEN + 3];
    function_name(name, sha);
    lua_State *L = e->L;
    lua_getfield(L, LUA_REGISTRYINDEX, REG_FLAGS);
    lua_getfield(L, -1, name);
    bool found = !lua_isnil(L, -1);
    if (found && flags) *flags = (unsigned)lua_tonumber(L, -1);
    lua_pop(L, 2);
    return found;
}

int script_engine_load(struct script_engine *e, const char *body, size_t len,
                       char sha[SCRIPT_SHA_LEN + 1], struct buf *err)
{
    script_sha1hex(body, len, sha);
    if (script_engine_lookup(e, sha, SCRIPT_SHA_LEN, NULL)) return 0;
    unsigned flags;
    size_t skip;
    if (parse_shebang(body, len, &flags, &skip, err) != 0) return -1;
    lua_State *L = e->L;
    if (luaL_loadbuffer(L, body + skip, len - skip, "@user_script") != 0) {
        buf_printf(err, "ERR Error compiling script (new function): %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    char name[SCRIPT_SHA_LEN + 3];
    function_name(name, sha);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_FLAGS);
    lua_pushnumber(L, flags);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
    e->nscripts++;
    e->scripts_bytes += len;
    return 0;
}

bool script_is_running(const struct server *srv) { return srv->script && srv->script->is_running; }
bool script_is_busy(const struct server *srv) { return srv->script && srv->script->is_busy; }

size_t script_lua_memory_bytes(const struct server *srv)
{
    return srv->script ? srv->script->lua_bytes : 0;
}

size_t script_cached_count(const struct server *srv)
{
    return srv->script ? srv->script->nscripts : 0;
}

size_t script_cached_bytes(const struct server *srv)
{
    return srv->script ? srv->script->scripts_bytes : 0;
}
