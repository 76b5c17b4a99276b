/* script_struct: the `struct` library scripts written for Redis use to pack and unpack binary
 * strings (docs/scripting.md#the-struct-library), written for vigil-store: struct.pack(fmt, ...),
 * struct.unpack(fmt, data [, pos]) and struct.size(fmt), with the format letters, alignment
 * rules, results and error texts redis-server 7.0 gives (the differential corpus compares them).
 *
 * Format: '<' little endian, '>' big endian (native, little, at the start), '!n' maximum
 * alignment n (a power of 2; '!' alone: 8), ' ' ignored; 'x' one zero byte; 'b' 'B' 'h' 'H'
 * 'l' 'L' 'T' integers of 1, 2, 8 and 8 bytes, 'i' 'I' of 4 or of the size written after them
 * (at most 32; lower case signed); 'f' 'd' float and double; 'cn' n bytes of a string (pack:
 * 'c0' the whole string; unpack: 'c0' as many bytes as the number unpacked just before); 's' a
 * zero-terminated string. Numbers align to min(their size, the maximum alignment). Integers
 * wider than 8 bytes carry the low 8 bytes of the value and zeros (as Redis's library). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "store/script/script_conv.h"
#include "store/script/script_int.h"

#define STRUCT_MAX_INT_SIZE 32
#define STRUCT_DEFAULT_ALIGN 8

struct fmt_state {
    const char *p;
    bool is_little;
    size_t max_align;
};

struct fmt_item {
    char opt;
    size_t size; /* bytes; 0 for 's' and for 'c0' */
};

static size_t read_count(lua_State *L, const char **p, size_t def)
{
    if (**p < '0' || **p > '9') return def;
    size_t n = 0;
    while (**p >= '0' && **p <= '9') {
        if (n > (SIZE_MAX - 9) / 10 || n > INT_MAX / 10) luaL_error(L, "integral size overflow");
        n = n * 10 + (size_t)(*(*p)++ - '0');
    }
    return n;
}

/* The next item of the format, or opt '\0' at its end; endianness and alignment options are
 * applied to st as they are met. */
static struct fmt_item next_item(lua_State *L, struct fmt_state *st)
{
    for (;;) {
        char opt = *st->p;
        if (opt == '\0') return (struct fmt_item){'\0', 0};
        st->p++;
        switch (opt) {
        case ' ':
            continue;
        case '<':
        case '>':
            st->is_little = opt == '<';
            continue;
        case '!': {
            size_t a = read_count(L, &st->p, STRUCT_DEFAULT_ALIGN);
            if (a == 0 || (a & (a - 1)) != 0)
                luaL_error(L, "alignment %d is not a power of 2", (int)a);
            st->max_align = a;
            continue;
        }
        case 'x':
        case 'b':
        case 'B':
            return (struct fmt_item){opt, 1};
        case 'h':
        case 'H':
            return (struct fmt_item){opt, sizeof(short)};
        case 'l':
        case 'L':
            return (struct fmt_item){opt, sizeof(long)};
        case 'T':
            return (struct fmt_item){opt, sizeof(size_t)};
        case 'f':
            return (struct fmt_item){opt, sizeof(float)};
        case 'd':
            return (struct fmt_item){opt, sizeof(double)};
        case 's':
            return (struct fmt_item){opt, 0};
        case 'c':
            return (struct fmt_item){opt, read_count(L, &st->p, 1)};
        case 'i':
        case 'I': {
            size_t n = read_count(L, &st->p, sizeof(int));
            if (n > STRUCT_MAX_INT_SIZE)
                luaL_error(L, "integral size %d is larger than limit of %d", (int)n,
                           STRUCT_MAX_INT_SIZE);
            return (struct fmt_item){opt, n};
        }
        default: {
            char msg[40];
            snprintf(msg, sizeof msg, "invalid format option '%c'", opt);
            luaL_argerror(L, 1, msg);
            return (struct fmt_item){'\0', 0};
        }
        }
    }
}

/* Padding before an item at offset: numbers align to min(size, maximum alignment). */
static size_t padding(const struct fmt_state *st, const struct fmt_item *it, size_t offset)
{
    if (it->opt == 'c' || it->opt == 's' || it->opt == 'x' || it->size <= 1) return 0;
    size_t a = it->size < st->max_align ? it->size : st->max_align;
    return (a - (offset & (a - 1))) & (a - 1);
}

static void put_bytes(luaL_Buffer *b, const unsigned char *bytes, size_t n, bool is_little)
{
    for (size_t i = 0; i < n; i++) luaL_addchar(b, (char)bytes[is_little ? i : n - 1 - i]);
}

static void put_integer(luaL_Buffer *b, long long v, size_t size, bool is_little)
{
    unsigned char bytes[STRUCT_MAX_INT_SIZE] = {0};
    unsigned long long u = (unsigned long long)v;
    for (size_t i = 0; i < size && i < 8; i++, u >>= 8) bytes[i] = (unsigned char)(u & 0xff);
    put_bytes(b, bytes, size, is_little);
}

static void put_float(luaL_Buffer *b, lua_Number n, char opt, bool is_little)
{
    unsigned char bytes[sizeof(double)];
    size_t size = opt == 'f' ? sizeof(float) : sizeof(double);
    if (opt == 'f') {
        float f = (float)n;
        memcpy(bytes, &f, sizeof f);
    } else {
        double d = (double)n;
        memcpy(bytes, &d, sizeof d);
    }
    put_bytes(b, bytes, size, is_little); /* the host is little endian (x86, arm64) */
}

/* A value to pack: a missing one reads as nil, as in Redis's library ("got nil", not "got no
 * value": its buffer occupies the stack slots past the arguments). */
static void check_present(lua_State *L, int arg, const char *tname)
{
    if (!lua_isnone(L, arg)) return;
    char msg[48];
    snprintf(msg, sizeof msg, "%s expected, got nil", tname);
    luaL_argerror(L, arg, msg);
}

static lua_Number pack_number(lua_State *L, int arg)
{
    check_present(L, arg, "number");
    return luaL_checknumber(L, arg);
}

static int struct_pack(lua_State *L)
{
    struct fmt_state st = {luaL_checkstring(L, 1), true, 1};
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t offset = 0;
    int arg = 2;
    for (struct fmt_item it; (it = next_item(L, &st)).opt;) {
        for (size_t pad = padding(&st, &it, offset); pad > 0; pad--, offset++)
            luaL_addchar(&b, '\0');
        if (it.opt == 'x') {
            luaL_addchar(&b, '\0');
        } else if (it.opt == 'c' || it.opt == 's') {
            size_t len;
            check_present(L, arg, "string");
            const char *s = luaL_checklstring(L, arg++, &len);
            size_t n = it.opt == 's' || it.size == 0 ? len : it.size;
            luaL_argcheck(L, len >= n, arg, "string too short");
            luaL_addlstring(&b, s, n);
            if (it.opt == 's') luaL_addchar(&b, '\0'), n++;
            offset += n;
            continue;
        } else if (it.opt == 'f' || it.opt == 'd') {
            put_float(&b, pack_number(L, arg++), it.opt, st.is_little);
        } else {
            put_integer(&b, script_conv_number_to_ll(pack_number(L, arg++)), it.size, st.is_little);
        }
        offset += it.size;
    }
    luaL_pushresult(&b);
    return 1;
}

static lua_Number get_integer(const unsigned char *p, size_t size, bool is_little, bool is_signed)
{
    unsigned long long u = 0;
    for (size_t i = 0; i < size; i++) u = (u << 8) | p[is_little ? size - 1 - i : i];
    if (is_signed && size > 0 && size < 8) {
        unsigned long long sign = 1ull << (size * 8 - 1);
        if (u & sign) u |= ~((sign << 1) - 1);
    }
    return is_signed ? (lua_Number)(long long)u : (lua_Number)u;
}

static lua_Number get_float(const unsigned char *p, char opt, bool is_little)
{
    unsigned char bytes[sizeof(double)];
    size_t size = opt == 'f' ? sizeof(float) : sizeof(double);
    for (size_t i = 0; i < size; i++) bytes[i] = p[is_little ? i : size - 1 - i];
    if (opt == 'f') {
        float f;
        memcpy(&f, bytes, sizeof f);
        return f;
    }
    double d;
    memcpy(&d, bytes, sizeof d);
    return d;
}

/* Unpack one item at *pos of data[0..len); pushes its value (none for 'x'). 'c0' takes its
 * size from the value unpacked just before (stack slots above `top`), which it replaces. */
static void unpack_item(lua_State *L, const struct fmt_state *st, const struct fmt_item *it,
                        const unsigned char *data, size_t len, size_t *pos, int top)
{
    size_t size = it->size;
    if (it->opt == 's') {
        const unsigned char *z = memchr(data + *pos, '\0', len - *pos);
        if (!z) luaL_error(L, "unfinished string in data");
        size = (size_t)(z - (data + *pos)) + 1;
    } else if (it->opt == 'c' && size == 0) {
        if (lua_gettop(L) <= top || !lua_isnumber(L, -1))
            luaL_error(L, "format 'c0' needs a previous size");
        size = (size_t)script_conv_number_to_ll(lua_tonumber(L, -1));
        lua_pop(L, 1);
    }
    luaL_argcheck(L, size <= len - *pos, 2, "data string too short");
    const unsigned char *p = data + *pos;
    *pos += size;
    if (it->opt == 'x') return;
    luaL_checkstack(L, 2, "too many results");
    if (it->opt == 's' || it->opt == 'c')
        lua_pushlstring(L, (const char *)p, it->opt == 's' ? size - 1 : size);
    else if (it->opt == 'f' || it->opt == 'd')
        lua_pushnumber(L, get_float(p, it->opt, st->is_little));
    else
        lua_pushnumber(L, get_integer(p, size, st->is_little, it->opt >= 'a'));
}

static int struct_unpack(lua_State *L)
{
    struct fmt_state st = {luaL_checkstring(L, 1), true, 1};
    size_t len;
    const unsigned char *data = (const unsigned char *)luaL_checklstring(L, 2, &len);
    size_t pos = (size_t)luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
    pos--;
    int top = lua_gettop(L);
    for (struct fmt_item it; (it = next_item(L, &st)).opt;) {
        pos += padding(&st, &it, pos);
        luaL_argcheck(L, pos <= len, 2, "data string too short");
        unpack_item(L, &st, &it, data, len, &pos, top);
    }
    lua_pushinteger(L, (lua_Integer)pos + 1);
    return lua_gettop(L) - top;
}

static int struct_size(lua_State *L)
{
    struct fmt_state st = {luaL_checkstring(L, 1), true, 1};
    size_t offset = 0;
    for (struct fmt_item it; (it = next_item(L, &st)).opt;) {
        if (it.opt == 's' || (it.opt == 'c' && it.size == 0))
            luaL_argerror(L, 1,
                          it.opt == 's' ? "option 's' has no fixed size"
                                        : "option 'c0' has no fixed size");
        offset += padding(&st, &it, offset) + it.size;
    }
    lua_pushnumber(L, (lua_Number)offset);
    return 1;
}

void script_struct_install(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"pack", struct_pack}, {"unpack", struct_unpack}, {"size", struct_size}, {NULL, NULL}};
    lua_newtable(L);
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
    lua_setfield(L, LUA_GLOBALSINDEX, "struct");
}
