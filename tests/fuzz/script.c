/* Fuzz harness: the Lua scripting engine without a server (store/script/).
 * Input: byte 0 even = the rest is a RESP3 reply: converted to Lua as redis.call would (both
 * redis.setresp() choices) and back to a reply in both protocols, which must parse as exactly one
 * RESP value (a big number may hold what the script put there, as Redis). Byte 0 odd = the
 * rest is a script: compiled and run in the sandbox with a bound on instructions and memory;
 * redis.call answers an error (no server), anything else the sandbox
 * allows may happen, and nothing may crash, leak or escape (no os, io, package: sanitizers and
 * the absence of those globals see to it). */
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#include "tests/fuzz/fuzz.h"
#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/script/script_conv.h"
#include "store/script/script_int.h"

#define FUZZ_MAX_INSTRUCTIONS 20000 /* quadratic string building stays within the RSS limit */
#define FUZZ_LUA_LIMIT_BYTES (32u << 20)

static struct script_engine *engine;

FUZZ_INIT_QUIET(engine = script_engine_create(NULL); engine->lua_limit_bytes = FUZZ_LUA_LIMIT_BYTES)

static void check_one_value(const struct buf *b)
{
    struct resp_limits lim;
    resp_limits_default(&lim);
    lim.max_depth = SCRIPT_CONV_MAX_DEPTH + 8; /* what the conversions may nest, and a margin */
    struct resp_reader *r = resp_reader_create(&lim);
    resp_reader_feed(r, b->data, b->len);
    struct resp_value *v;
    if (resp_reader_next(r, &v) == RESP_OK) {
        ASSERT(resp_reader_pending(r) == 0);
    } else { /* a script's {big_number='abc'} is sent as written, as Redis does */
        ASSERT(strcmp(resp_reader_error(r), "Protocol error: invalid big number") == 0);
    }
    resp_reader_destroy(r);
}

/* Inside lua_cpcall, as redis.call converts inside the script's protected call: running out of
 * the Lua memory bound is then a Lua error, not a panic. */
static int push_both(lua_State *L)
{
    const struct resp_value *v = lua_touserdata(L, 1);
    lua_settop(L, 0);
    for (int resp = 2; resp <= 3; resp++) {
        script_conv_push_resp(L, v, resp);
        for (int proto = 2; proto <= 3; proto++) {
            struct buf b;
            buf_init(&b);
            script_conv_write_reply(L, -1, &b, proto, resp);
            check_one_value(&b);
            buf_free(&b);
        }
        lua_pop(L, 1);
    }
    return 0;
}

static void round_trip(const char *data, size_t size)
{
    struct resp_reader *r = resp_reader_create(NULL);
    resp_reader_feed(r, data, size);
    struct resp_value *v;
    if (resp_reader_next(r, &v) == RESP_OK) lua_cpcall(engine->L, push_both, v);
    resp_reader_destroy(r);
}

static void stop_runaway(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    luaL_error(L, "instruction budget spent");
}

static void run_script(const char *body, size_t size)
{
    lua_State *L = engine->L;
    char sha[SCRIPT_SHA_LEN + 1];
    struct buf err;
    buf_init(&err);
    if (script_engine_load(engine, body, size, sha, &err) == 0) {
        char name[SCRIPT_SHA_LEN + 3] = "f_";
        memcpy(name + 2, sha, sizeof sha);
        lua_pushcfunction(L, script_sandbox_error_handler);
        lua_getfield(L, LUA_REGISTRYINDEX, name);
        lua_sethook(L, stop_runaway, LUA_MASKCOUNT, FUZZ_MAX_INSTRUCTIONS);
        int status = lua_pcall(L, 0, 1, -2);
        lua_sethook(L, NULL, 0, 0);
        struct buf b;
        buf_init(&b);
        if (status == 0) {
            script_conv_write_reply(L, -1, &b, 3, 2);
            check_one_value(&b);
        }
        buf_free(&b);
        lua_pop(L, 2);
    }
    buf_free(&err);
    if (engine->nscripts > 64) script_engine_flush(engine); /* bound the cache across inputs */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const char *p = (const char *)data + 1;
    if ((data[0] & 1) == 0)
        round_trip(p, size - 1);
    else
        run_script(p, size - 1);
    lua_settop(engine->L, 0);
    lua_gc(engine->L, LUA_GCCOLLECT, 0); /* 5.1 has no emergency collection: garbage from one
                                          * input must not make the next run out of memory */
    return 0;
}
