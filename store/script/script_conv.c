/* script_conv: see script_conv.h. Both directions recurse over nested aggregates with an
 * explicit depth bound and lua_checkstack at every level, so a deep value is an error reply,
 * never a C stack or Lua stack overflow. */
#include "store/script/script_conv.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

/* ---- RESP -> Lua ---- */

static void push_field_table(lua_State *L, const char *field)
{
    /* value on top: wrap it as {field=value} */
    lua_newtable(L);
    lua_pushstring(L, field);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_remove(L, -2);
}

/* The code and message of an error line (see script_conv_error_text), as slices of it. */
static void error_parts(const char *line, size_t len, const char **code, size_t *code_len,
                        const char **msg, size_t *msg_len)
{
    *code = "ERR";
    *code_len = 3;
    *msg = line;
    *msg_len = len;
    if (len > 0 && line[0] == '-') {
        const char *sp = memchr(line, ' ', len);
        if (sp) {
            *code = line + 1;
            *code_len = (size_t)(sp - line - 1);
            *msg = sp + 1;
            *msg_len = len - (size_t)(sp + 1 - line);
        } else {
            *msg = line + 1;
            *msg_len = len - 1;
        }
    }
    while (*msg_len > 0 && ((*msg)[*msg_len - 1] == '\r' || (*msg)[*msg_len - 1] == '\n'))
        (*msg_len)--;
    while (*msg_len > 0 && ((*msg)[0] == '\r' || (*msg)[0] == '\n')) (*msg)++, (*msg_len)--;
}

void script_conv_error_text(const char *line, size_t len, struct buf *out)
{
    const char *code, *msg;
    size_t code_len, msg_len;
    error_parts(line, len, &code, &code_len, &msg, &msg_len);
    buf_clear(out);
    buf_append(out, code, code_len);
    buf_append_char(out, ' ');
    buf_append(out, msg, msg_len);
}

/* Allocates only through Lua: an out-of-memory error raised here leaks nothing. */
static void push_error_parts(lua_State *L, const char *code, size_t code_len, const char *msg,
                             size_t msg_len)
{
    lua_newtable(L);
    lua_pushliteral(L, "err");
    lua_pushlstring(L, code, code_len);
    lua_pushliteral(L, " ");
    lua_pushlstring(L, msg, msg_len);
    lua_concat(L, 3);
    lua_rawset(L, -3);
}

void script_conv_push_error(lua_State *L, const char *line, size_t len)
{
    const char *code, *msg;
    size_t code_len, msg_len;
    error_parts(line, len, &code, &code_len, &msg, &msg_len);
    push_error_parts(L, code, code_len, msg, msg_len);
}

static void push_resp(lua_State *L, const struct resp_value *v, int resp, int depth);

/* An error reply's text has no '-': its code is the first word, or ERR when it is one word. */
static void push_error_value(lua_State *L, const struct resp_value *v)
{
    const char *sp = memchr(v->str, ' ', v->len);
    const char *code = sp ? v->str : "ERR", *msg = sp ? sp + 1 : v->str;
    size_t code_len = sp ? (size_t)(sp - v->str) : 3;
    size_t msg_len = v->len - (size_t)(msg - v->str);
    while (msg_len > 0 && (msg[msg_len - 1] == '\r' || msg[msg_len - 1] == '\n')) msg_len--;
    push_error_parts(L, code, code_len, msg, msg_len);
}

static void push_aggregate(lua_State *L, const struct resp_value *v, int resp, int depth)
{
    lua_newtable(L);
    if (v->type == RESP_T_MAP) {
        for (size_t i = 0; i + 1 < v->count; i += 2) {
            push_resp(L, &v->elems[i], resp, depth + 1);
            push_resp(L, &v->elems[i + 1], resp, depth + 1);
            if (lua_isnil(L, -2)) { /* a nil key cannot be stored */
                lua_pop(L, 2);
                continue;
            }
            lua_rawset(L, -3);
        }
        push_field_table(L, "map");
    } else if (v->type == RESP_T_SET) {
        for (size_t i = 0; i < v->count; i++) {
            push_resp(L, &v->elems[i], resp, depth + 1);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                continue;
            }
            lua_pushboolean(L, 1);
            lua_rawset(L, -3);
        }
        push_field_table(L, "set");
    } else {
        for (size_t i = 0; i < v->count; i++) {
            push_resp(L, &v->elems[i], resp, depth + 1);
            lua_rawseti(L, -2, (int)i + 1);
        }
    }
}

static void push_resp(lua_State *L, const struct resp_value *v, int resp, int depth)
{
    if (depth > SCRIPT_CONV_MAX_DEPTH || !lua_checkstack(L, 8)) {
        script_conv_push_error(L, "-ERR reply nested too deeply for a script", 41);
        return;
    }
    switch (v->type) {
    case RESP_T_SIMPLE:
        lua_pushlstring(L, v->str, v->len);
        push_field_table(L, "ok");
        break;
    case RESP_T_ERROR:
    case RESP_T_BLOB_ERROR:
        push_error_value(L, v);
        break;
    case RESP_T_INTEGER:
        lua_pushnumber(L, (lua_Number)v->integer);
        break;
    case RESP_T_BULK:
        lua_pushlstring(L, v->str, v->len);
        break;
    case RESP_T_NULL:
        if (resp == 3)
            lua_pushnil(L);
        else
            lua_pushboolean(L, 0);
        break;
    case RESP_T_DOUBLE:
        lua_pushnumber(L, v->dbl);
        push_field_table(L, "double");
        break;
    case RESP_T_BOOL:
        lua_pushboolean(L, v->integer != 0);
        break;
    case RESP_T_BIGNUM:
        lua_pushlstring(L, v->str, v->len);
        push_field_table(L, "big_number");
        break;
    case RESP_T_VERBATIM:
        lua_newtable(L);
        lua_pushstring(L, "format");
        lua_pushstring(L, "txt");
        lua_rawset(L, -3);
        lua_pushstring(L, "string");
        lua_pushlstring(L, v->str, v->len);
        lua_rawset(L, -3);
        push_field_table(L, "verbatim_string");
        break;
    case RESP_T_ARRAY:
    case RESP_T_PUSH:
    case RESP_T_MAP:
    case RESP_T_SET:
        push_aggregate(L, v, resp, depth);
        break;
    default: /* attributes carry no data for a script */
        lua_pushnil(L);
        break;
    }
}

void script_conv_push_resp(lua_State *L, const struct resp_value *v, int resp)
{
    push_resp(L, v, resp, 0);
}

long long script_conv_number_to_ll(lua_Number v)
{
    /* 2^63 is exact as a double; every double below it and above -2^63 fits */
    if (!(v > -9223372036854775808.0 && v < 9223372036854775808.0)) return LLONG_MIN;
    return (long long)v;
}

/* ---- Lua -> RESP ---- */

struct writer {
    lua_State *L;
    struct buf *out;
    int proto, lua_resp;
};

static void write_value(struct writer *w, int idx, int depth);

/* The string field `name` of the table at idx, or NULL. */
static const char *field_string(lua_State *L, int idx, const char *name, size_t *len)
{
    lua_pushstring(L, name);
    lua_rawget(L, idx);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
    lua_pop(L, 1); /* the string stays alive: the table still references it */
    return s;
}

static int field_type(lua_State *L, int idx, const char *name)
{
    lua_pushstring(L, name);
    lua_rawget(L, idx);
    int t = lua_type(L, -1);
    lua_pop(L, 1);
    return t;
}

static void write_pairs(struct writer *w, int idx, int depth, bool is_map)
{
    lua_State *L = w->L;
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        n++;
        lua_pop(L, 1);
    }
    if (is_map)
        resp_write_map_header(w->out, w->proto, n);
    else
        resp_write_set_header(w->out, w->proto, n);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        write_value(w, lua_gettop(L) - 1, depth + 1);
        if (is_map) write_value(w, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
    }
}

static void write_verbatim(struct writer *w, int idx)
{
    lua_State *L = w->L;
    size_t flen = 0, slen = 0;
    const char *fmt = field_string(L, idx, "format", &flen);
    const char *s = field_string(L, idx, "string", &slen);
    if (!fmt || !s) {
        resp_write_null(w->out, w->proto);
    } else if (w->proto >= 3) {
        if (flen != 3) fmt = "txt", flen = 3; /* the format is three letters on the wire */
        buf_printf(w->out, "=%zu\r\n", flen + 1 + slen);
        buf_append(w->out, fmt, flen);
        buf_append_char(w->out, ':');
        buf_append(w->out, s, slen);
        buf_append_str(w->out, "\r\n");
    } else {
        resp_write_bulk(w->out, s, slen);
    }
}

static void write_array(struct writer *w, int idx, int depth)
{
    lua_State *L = w->L;
    size_t n = 0;
    for (;;) {
        lua_rawgeti(L, idx, (int)n + 1);
        bool is_nil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (is_nil) break;
        n++;
    }
    resp_write_array_header(w->out, n);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (int)i + 1);
        write_value(w, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
    }
}

static void write_table(struct writer *w, int idx, int depth)
{
    lua_State *L = w->L;
    size_t len;
    const char *s;
    if ((s = field_string(L, idx, "err", &len))) {
        resp_write_error(w->out, s, len);
    } else if ((s = field_string(L, idx, "ok", &len))) {
        resp_write_simple(w->out, s, len);
    } else if (field_type(L, idx, "double") == LUA_TNUMBER) {
        lua_pushstring(L, "double");
        lua_rawget(L, idx);
        resp_write_double(w->out, w->proto, lua_tonumber(L, -1));
        lua_pop(L, 1);
    } else if ((s = field_string(L, idx, "big_number", &len))) {
        resp_write_bignum(w->out, w->proto, s, len);
    } else if (field_type(L, idx, "map") == LUA_TTABLE || field_type(L, idx, "set") == LUA_TTABLE ||
               field_type(L, idx, "verbatim_string") == LUA_TTABLE) {
        const char *which = field_type(L, idx, "map") == LUA_TTABLE   ? "map"
                            : field_type(L, idx, "set") == LUA_TTABLE ? "set"
                                                                      : "verbatim_string";
        lua_pushstring(L, which);
        lua_rawget(L, idx);
        if (which[0] == 'v')
            write_verbatim(w, lua_gettop(L));
        else
            write_pairs(w, lua_gettop(L), depth, which[0] == 'm');
        lua_pop(L, 1);
    } else {
        write_array(w, idx, depth);
    }
}

static void write_value(struct writer *w, int idx, int depth)
{
    lua_State *L = w->L;
    if (depth > SCRIPT_CONV_MAX_DEPTH || !lua_checkstack(L, 8)) {
        resp_write_error_str(w->out, "ERR reached lua stack limit");
        return;
    }
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        resp_write_bulk(w->out, s, len);
        break;
    }
    case LUA_TBOOLEAN:
        if (w->lua_resp == 2) {
            if (lua_toboolean(L, idx))
                resp_write_integer(w->out, 1);
            else
                resp_write_null(w->out, w->proto);
        } else {
            resp_write_bool(w->out, w->proto, lua_toboolean(L, idx) != 0);
        }
        break;
    case LUA_TNUMBER:
        resp_write_integer(w->out, script_conv_number_to_ll(lua_tonumber(L, idx)));
        break;
    case LUA_TTABLE:
        write_table(w, idx, depth);
        break;
    default:
        resp_write_null(w->out, w->proto);
        break;
    }
}

bool script_conv_write_reply(lua_State *L, int idx, struct buf *out, int proto, int lua_resp)
{
    if (idx < 0) idx = lua_gettop(L) + idx + 1;
    struct writer w = {.L = L, .out = out, .proto = proto, .lua_resp = lua_resp};
    size_t start = out->len;
    int top = lua_gettop(L);
    write_value(&w, idx, 0);
    lua_settop(L, top);
    return out->len > start && out->data[start] == '-';
}
