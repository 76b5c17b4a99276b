/* script: the Lua scripting engine behind EVAL and friends (and, later, FUNCTION/FCALL). One
 * engine per server owns one Lua 5.1 state: the sandboxed globals (script_sandbox.c), the
 * redis.* library (script_redis.c), the cache of compiled scripts by SHA1 (script_engine.c)
 * and the running of one cached function as a command (script_run.c). The conversions between
 * Lua and RESP are script_conv.h; the commands are cmd_script.c.
 *
 * Entry point for callers (EVAL today, FCALL next): script_run() runs a Lua function stored in
 * the registry with KEYS and ARGV set, as the current command of a client, with Redis 7.0's
 * rules (read-only scripts, writes from a replica, the busy time limit, SCRIPT KILL) and writes
 * the reply. docs/scripting.md describes the behaviour in our words. */
#ifndef VIGIL_SCRIPT_H
#define VIGIL_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/resp.h"
#include "store/server.h"

#define SCRIPT_SHA_LEN 40

struct script_engine;
struct client;
struct command;

/* Script flags (Redis 7.0's shebang flags and the _RO commands). */
enum {
    SCRIPT_FLAG_NO_WRITES = 1 << 0,
    SCRIPT_FLAG_ALLOW_OOM = 1 << 1,
    SCRIPT_FLAG_ALLOW_STALE = 1 << 2,
    SCRIPT_FLAG_NO_CLUSTER = 1 << 3,
    SCRIPT_FLAG_EVAL_COMPAT = 1 << 4, /* no shebang: the rules of scripts before 7.0 */
    SCRIPT_FLAG_ALLOW_CROSS_SLOT = 1 << 5,
};

/* Owned by the caller (the server). NULL never: a Lua state that cannot be made aborts. */
struct script_engine *script_engine_create(struct server *srv);
void script_engine_destroy(struct script_engine *e);
/* The server's engine, made on first use. */
struct script_engine *script_engine_of(struct server *srv);

/* SCRIPT FLUSH: forget every cached script and start a fresh Lua state. */
void script_engine_flush(struct script_engine *e);

/* SHA1 of p[0..n) as 40 lowercase hex digits and a NUL (OpenSSL's SHA1). */
void script_sha1hex(const char *p, size_t n, char out[SCRIPT_SHA_LEN + 1]);

/* Compile body (cached by its SHA1, written to sha). 0, or -1 after writing Redis's error
 * line (without the leading '-') to err. Scripts already cached are not compiled again. */
int script_engine_load(struct script_engine *e, const char *body, size_t len,
                       char sha[SCRIPT_SHA_LEN + 1], struct buf *err);
/* sha (40 hex digits, any case) is cached; *flags its shebang flags when so. */
bool script_engine_lookup(struct script_engine *e, const char *sha, size_t len, unsigned *flags);

/* Run cached script sha for c with argv[0..nkeys) as KEYS and the rest as ARGV; replies.
 * is_ro: the _RO command (writes refused). Returns 0, or -1 when SHUTDOWN NOSAVE stopped the
 * script (nothing is replied: the server is going away). */
int script_run(struct script_engine *e, struct client *c, const char *sha, unsigned flags,
               bool is_ro, size_t nkeys, size_t argc, const struct resp_arg *argv);

/* True while a script runs (other clients' commands get -BUSY past the time limit). */
bool script_is_running(const struct server *srv);
/* True while a script runs past busy-reply-threshold. */
bool script_is_busy(const struct server *srv);
/* The gate's check: true (after replying -BUSY) if c's command must wait for the busy script
 * (all but SCRIPT KILL and commands flagged allow-busy: SHUTDOWN, REPLCONF). */
bool script_busy_refuses(struct client *c, const struct command *cmd);
/* SCRIPT KILL: 0 (the script will stop), or -1 after replying the error to c. */
int script_kill(struct server *srv, struct client *c);
/* SHUTDOWN NOSAVE while busy: the script stops; the caller handles the shutdown. */
void script_abort_for_shutdown(struct server *srv);

/* Function libraries for persistence and full resync (script_func.c): how many, and the code
 * of library i (in load order). */
size_t script_func_lib_count(const struct server *srv);
const char *script_func_lib_code(const struct server *srv, size_t i, size_t *len);
/* Replace every library by the n given codes (an RDB's FUNCTION2 records), as a replica or a
 * restart takes the snapshot's libraries; a code that does not load is logged and skipped. */
void script_func_replace_all(struct server *srv, size_t n, char *const *codes, const size_t *lens);

/* INFO figures of the functions: functions, libraries, bytes of the libraries' code. */
void script_func_info(const struct server *srv, size_t *nfuncs, size_t *nlibs, size_t *bytes);

/* INFO figures. */
size_t script_lua_memory_bytes(const struct server *srv);
size_t script_cached_count(const struct server *srv);
size_t script_cached_bytes(const struct server *srv);

#endif
