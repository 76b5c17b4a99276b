/* Unit tests for store/script/script_conv: Lua <-> RESP as Redis 7.0 converts them (both
 * protocols, both redis.setresp() choices), the error-table text, and the depth bound. */
#include <criterion/criterion.h>
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <string.h>

#include "store/script/script_conv.h"

static lua_State *L;

static void setup(void)
{
    L = luaL_newstate();
    luaL_openlibs(L);
}

static void teardown(void) { lua_close(L); }

TestSuite(script_conv, .init = setup, .fini = teardown);

/* The reply bytes of the Lua expression expr (one static buffer). */
static const char *reply_of(const char *expr, int proto, int lua_resp, bool *is_error)
{
    static char out[4096];
    char code[1024];
    snprintf(code, sizeof code, "return %s", expr);
    cr_assert_eq(luaL_dostring(L, code), 0, "%s", lua_tostring(L, -1));
    struct buf b;
    buf_init(&b);
    int top = lua_gettop(L);
    bool err = script_conv_write_reply(L, -1, &b, proto, lua_resp);
    cr_assert_eq(lua_gettop(L), top, "the stack is left as it was");
    if (is_error) *is_error = err;
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data);
    buf_free(&b);
    lua_settop(L, 0);
    return out;
}

static const char *r2(const char *expr) { return reply_of(expr, 2, 2, NULL); }

Test(script_conv, scalars_as_redis_converts_them)
{
    cr_assert_str_eq(r2("'hi'"), "$2\r\nhi\r\n");
    cr_assert_str_eq(r2("3.99"), ":3\r\n");
    cr_assert_str_eq(r2("-3.99"), ":-3\r\n");
    cr_assert_str_eq(r2("true"), ":1\r\n");
    cr_assert_str_eq(r2("false"), "$-1\r\n");
    cr_assert_str_eq(r2("nil"), "$-1\r\n");
    cr_assert_str_eq(reply_of("false", 3, 2, NULL), "_\r\n");
}

Test(script_conv, booleans_under_setresp_3_are_booleans)
{
    cr_assert_str_eq(reply_of("true", 3, 3, NULL), "#t\r\n");
    cr_assert_str_eq(reply_of("false", 3, 3, NULL), "#f\r\n");
    cr_assert_str_eq(reply_of("false", 2, 3, NULL), ":0\r\n");
}

Test(script_conv, arrays_stop_at_the_first_nil_and_nest)
{
    cr_assert_str_eq(r2("{1, 2, nil, 4}"), "*2\r\n:1\r\n:2\r\n");
    cr_assert_str_eq(r2("{1, {2, {'x'}}}"), "*2\r\n:1\r\n*2\r\n:2\r\n*1\r\n$1\r\nx\r\n");
    cr_assert_str_eq(r2("{}"), "*0\r\n");
}

Test(script_conv, tables_with_type_fields)
{
    bool is_error = false;
    cr_assert_str_eq(reply_of("{err='WRONG x'}", 2, 2, &is_error), "-WRONG x\r\n");
    cr_assert(is_error);
    cr_assert_str_eq(reply_of("{ok='a\\r\\nb'}", 2, 2, &is_error), "+a  b\r\n");
    cr_assert(!is_error);
    cr_assert_str_eq(r2("{double=3.5}"), "$3\r\n3.5\r\n");
    cr_assert_str_eq(reply_of("{double=3.5}", 3, 2, NULL), ",3.5\r\n");
    cr_assert_str_eq(reply_of("{big_number='123'}", 3, 2, NULL), "(123\r\n");
    cr_assert_str_eq(r2("{big_number='123'}"), "$3\r\n123\r\n");
    cr_assert_str_eq(reply_of("{map={a=1}}", 3, 2, NULL), "%1\r\n$1\r\na\r\n:1\r\n");
    cr_assert_str_eq(r2("{map={a=1}}"), "*2\r\n$1\r\na\r\n:1\r\n");
    cr_assert_str_eq(reply_of("{set={a=true}}", 3, 2, NULL), "~1\r\n$1\r\na\r\n");
    cr_assert_str_eq(reply_of("{verbatim_string={format='txt', string='hi'}}", 3, 2, NULL),
                     "=6\r\ntxt:hi\r\n");
    cr_assert_str_eq(r2("{verbatim_string={format='txt', string='hi'}}"), "$2\r\nhi\r\n");
}

Test(script_conv, a_table_nested_past_the_bound_is_an_error_not_a_crash)
{
    cr_assert_eq(luaL_dostring(L, "local t = {} for i = 1, 5000 do t = {t} end return t"), 0);
    struct buf b;
    buf_init(&b);
    script_conv_write_reply(L, -1, &b, 2, 2);
    cr_assert(memmem(b.data, b.len, "-ERR reached lua stack limit\r\n", 30) != NULL);
    buf_free(&b);
}

/* Push the RESP reply bytes converted, store them as global v, evaluate check (true expected). */
static void check_resp(const char *bytes, int resp, const char *check)
{
    struct resp_reader *r = resp_reader_create(NULL);
    resp_reader_feed(r, bytes, strlen(bytes));
    struct resp_value *v;
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    script_conv_push_resp(L, v, resp);
    lua_setglobal(L, "v");
    resp_reader_destroy(r);
    char code[512];
    snprintf(code, sizeof code, "return %s", check);
    cr_assert_eq(luaL_dostring(L, code), 0, "%s", lua_tostring(L, -1));
    cr_assert(lua_toboolean(L, -1), "%s for %s", check, bytes);
    lua_settop(L, 0);
}

Test(script_conv, resp2_replies_become_lua_values)
{
    check_resp(":42\r\n", 2, "v == 42");
    check_resp("$2\r\nhi\r\n", 2, "v == 'hi'");
    check_resp("$-1\r\n", 2, "v == false");
    check_resp("*-1\r\n", 2, "v == false");
    check_resp("+OK\r\n", 2, "v.ok == 'OK'");
    check_resp("-WRONGTYPE bad\r\n", 2, "v.err == 'WRONGTYPE bad'");
    check_resp("*2\r\n:1\r\n$1\r\nx\r\n", 2, "#v == 2 and v[1] == 1 and v[2] == 'x'");
}

Test(script_conv, resp3_replies_become_tagged_tables)
{
    check_resp("_\r\n", 3, "v == nil");
    check_resp("%1\r\n$1\r\na\r\n:1\r\n", 3, "v.map.a == 1");
    check_resp("~1\r\n$1\r\nm\r\n", 3, "v.set.m == true");
    check_resp(",1.5\r\n", 3, "v.double == 1.5");
    check_resp("#t\r\n", 3, "v == true");
    check_resp("#f\r\n", 3, "v == false");
    check_resp("(12345678901234567890\r\n", 3, "v.big_number == '12345678901234567890'");
    check_resp("=6\r\ntxt:hi\r\n", 3,
               "v.verbatim_string.string == 'hi' and v.verbatim_string.format == 'txt'");
}

static const char *error_text(const char *line)
{
    static char out[256];
    struct buf b;
    buf_init(&b);
    script_conv_error_text(line, strlen(line), &b);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data);
    buf_free(&b);
    return out;
}

Test(script_conv, error_text_keeps_the_code_or_adds_err)
{
    cr_assert_str_eq(error_text("-WRONGTYPE Operation"), "WRONGTYPE Operation");
    cr_assert_str_eq(error_text("My Error"), "ERR My Error");
    cr_assert_str_eq(error_text("-Oops"), "ERR Oops");
    cr_assert_str_eq(error_text("-ERR x\r\n"), "ERR x");
}

Test(script_conv, numbers_truncate_toward_zero_and_out_of_range_is_defined)
{
    cr_assert_eq(script_conv_number_to_ll(3.99), 3);
    cr_assert_eq(script_conv_number_to_ll(-3.99), -3);
    cr_assert_eq(script_conv_number_to_ll(1e300), LLONG_MIN);
    cr_assert_eq(script_conv_number_to_ll(-1e300), LLONG_MIN);
    cr_assert_eq(script_conv_number_to_ll(0.0 / 0.0), LLONG_MIN);
    cr_assert_eq(script_conv_number_to_ll(9007199254740993.0), 9007199254740992LL);
    cr_assert_str_eq(r2("1e300"), ":-9223372036854775808\r\n");
}
