/* script_conv: the conversions between Lua values and RESP, as Redis 7.0 defines them for
 * scripts (docs/scripting.md#conversions). Pure: a Lua state and a buffer in, no server, no
 * client, so they are unit-tested alone.
 *
 * RESP -> Lua (what redis.call returns): integer -> number, bulk -> string, null bulk or null
 * array -> false (RESP2) / nil (RESP3 null), array -> table, status -> {ok=s}, error ->
 * {err=s}; RESP3 only: map -> {map={k=v}}, set -> {set={m=true}}, double -> {double=n},
 * boolean -> boolean, big number -> {big_number=s}, verbatim -> {verbatim_string={format=f,
 * string=s}}.
 *
 * Lua -> RESP (what a script returns): string -> bulk, number -> integer (truncated), true ->
 * 1 (RESP3 scripts: boolean), false -> null (RESP3 scripts: boolean), table with err / ok /
 * double / big_number / map / set fields -> that type, other table -> array up to the first
 * nil, anything else -> null. The reply is written in the caller's protocol `proto`; `lua_resp`
 * is the script's redis.setresp() choice (it decides what booleans become). */
#ifndef VIGIL_SCRIPT_CONV_H
#define VIGIL_SCRIPT_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "common/buf.h"
#include "common/resp.h"

/* Nesting bound of both directions (deeper values become an error, never a stack overflow). */
#define SCRIPT_CONV_MAX_DEPTH 1000

/* Push v (read from a connection speaking `resp`) converted onto L's stack (one value). */
void script_conv_push_resp(lua_State *L, const struct resp_value *v, int resp);

/* Write the value at index idx as a reply into out. Returns true if the top level is an error
 * (so the caller counts it as one). The stack is left as it was. */
bool script_conv_write_reply(lua_State *L, int idx, struct buf *out, int proto, int lua_resp);

/* A Lua number as C truncates it toward zero, defined for every input: NaN and values out of
 * range give LLONG_MIN, what x86's conversion (and so redis-server) yields for them. */
long long script_conv_number_to_ll(lua_Number v);

/* Redis's error-table convention: an error line ("-CODE msg" or "msg") as the string stored in
 * a Lua error table: "CODE msg", with ERR as the code when the line has none, CRLF trimmed.
 * Writes into out (cleared first). */
void script_conv_error_text(const char *line, size_t len, struct buf *out);

/* Push Redis's error table {err="CODE msg"} for an error line (see script_conv_error_text). */
void script_conv_push_error(lua_State *L, const char *line, size_t len);

#endif
