/* script_func_dump: FUNCTION DUMP and FUNCTION RESTORE (docs/scripting.md#functions). The
 * payload is Redis 7.0's, so it moves between vigil-store and redis-server both ways: one RDB
 * FUNCTION2 record (opcode and the library's code as an RDB string) per library, then the RDB
 * version (2 bytes, little endian) and the CRC64 of everything before it (8 bytes, little
 * endian). RESTORE is all or nothing: when one library of the payload does not load, the
 * libraries are put back as they were. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/propagate.h"
#include "store/rdb/crc64.h"
#include "store/rdb/rdb.h"
#include "store/reply.h"
#include "store/script/script_int.h"

#define DUMP_RDB_VERSION 10 /* Redis 7.0's RDB version: what it writes and accepts at most */
#define DUMP_TRAILER_LEN 10
#define DUMP_MAX_LIBRARIES 100000 /* bound on the libraries one payload may carry */
#define ERR_BAD_PAYLOAD "ERR DUMP payload version or checksum are wrong"
#define ERR_NOT_FUNCTION "ERR given type is not a function"

static int sink_buf(void *ctx, const void *p, size_t n)
{
    buf_append(ctx, p, n);
    return 0;
}

static void put_le(unsigned char *out, uint64_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++) out[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int nbytes)
{
    uint64_t v = 0;
    for (int i = nbytes - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

void script_func_dump(struct client *c)
{
    struct server *srv = c->srv;
    struct buf out;
    buf_init(&out);
    struct rdb_writer *w = xmalloc(sizeof *w);
    rdb_writer_init(w, sink_buf, &out);
    rdb_writer_set_options(w, srv->cfg.rdbcompression, true);
    for (size_t i = 0; i < script_func_lib_count(srv); i++) {
        size_t len;
        const char *code = script_func_lib_code(srv, i, &len);
        rdb_write_function(w, code, len);
    }
    rdb_writer_flush(w);
    free(w);
    unsigned char trailer[DUMP_TRAILER_LEN];
    put_le(trailer, DUMP_RDB_VERSION, 2);
    buf_append(&out, trailer, 2);
    put_le(trailer + 2, crc64_update(CRC64_INIT, out.data, out.len), 8);
    buf_append(&out, trailer + 2, 8);
    reply_bulk(c, out.data, out.len);
    buf_free(&out);
}

/* ---- RESTORE ---- */

struct restore_ctx {
    char **codes;
    size_t *lens, n;
    bool is_not_function;
};

static int on_function(void *ctx, const char *code, size_t len)
{
    struct restore_ctx *r = ctx;
    if (r->n == DUMP_MAX_LIBRARIES) return -1;
    r->codes = xrealloc(r->codes, (r->n + 1) * sizeof *r->codes);
    r->lens = xrealloc(r->lens, (r->n + 1) * sizeof *r->lens);
    r->codes[r->n] = xmemdup(code, len);
    r->lens[r->n++] = len;
    return 0;
}

static int on_other(void *ctx)
{
    ((struct restore_ctx *)ctx)->is_not_function = true;
    return -1;
}

static int on_key(void *ctx, const struct rdb_key *k, const char *v, size_t n)
{
    (void)k, (void)v, (void)n;
    return on_other(ctx);
}

static int on_coll(void *ctx, const struct rdb_key *k, enum rdb_value_type t, uint64_t n)
{
    (void)k, (void)t, (void)n;
    return on_other(ctx);
}

static int on_aux(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    (void)k, (void)kl, (void)v, (void)vl;
    return on_other(ctx);
}

static int on_db(void *ctx, int db)
{
    (void)db;
    return on_other(ctx);
}

static void restore_ctx_free(struct restore_ctx *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->codes[i]);
    free(r->codes);
    free(r->lens);
}

/* The payload's library codes into r; NULL, or the error line. */
static const char *restore_parse(const struct resp_arg *a, struct restore_ctx *r)
{
    const unsigned char *p = (const unsigned char *)a->ptr;
    if (a->len < DUMP_TRAILER_LEN) return ERR_BAD_PAYLOAD;
    size_t body = a->len - DUMP_TRAILER_LEN;
    if (get_le(p + body, 2) > DUMP_RDB_VERSION ||
        get_le(p + body + 2, 8) != crc64_update(CRC64_INIT, p, body + 2))
        return ERR_BAD_PAYLOAD;
    if (body > 0 && p[0] != RDB_OPCODE_FUNCTION2) return ERR_NOT_FUNCTION; /* a key's DUMP */
    /* the records as an RDB of their own: header, the records, EOF, no checksum */
    struct buf rdb;
    buf_init(&rdb);
    buf_printf(&rdb, "REDIS%04d", RDB_WRITE_VERSION);
    buf_append(&rdb, p, body);
    buf_append(&rdb, "\xff\0\0\0\0\0\0\0\0", 9);
    static const struct rdb_callbacks cb = {.on_function = on_function,
                                            .on_string = on_key,
                                            .on_begin = on_coll,
                                            .on_aux = on_aux,
                                            .on_select_db = on_db};
    int rc = rdb_load(rdb.data, rdb.len, &cb, r, NULL, 0);
    buf_free(&rdb);
    if (rc == 0) return NULL;
    return r->is_not_function ? ERR_NOT_FUNCTION : "ERR payload is not a valid function dump";
}

enum { RESTORE_APPEND, RESTORE_REPLACE, RESTORE_FLUSH };

/* Load the codes under the policy; 0, or -1 with err (what was loaded stays: the caller
 * puts the old libraries back). */
static int restore_apply(struct script_engine *e, const struct restore_ctx *r, int policy,
                         struct buf *err)
{
    if (policy == RESTORE_FLUSH) script_func_flush(e);
    for (size_t i = 0; i < r->n; i++) {
        char *name = script_func_code_name(r->codes[i], r->lens[i]);
        bool is_taken = name && script_func_find_lib(e, name, strlen(name));
        if (is_taken && policy != RESTORE_REPLACE) {
            buf_printf(err, "ERR Library %s already exists", name);
            free(name);
            return -1;
        }
        free(name);
        const char *loaded;
        if (script_func_load(e, r->codes[i], r->lens[i], policy == RESTORE_REPLACE, &loaded, err) !=
            0)
            return -1;
    }
    return 0;
}

static int parse_policy(struct client *c)
{
    if (c->argc < 4 || arg_is(&c->argv[3], "append")) return RESTORE_APPEND;
    if (arg_is(&c->argv[3], "replace")) return RESTORE_REPLACE;
    if (arg_is(&c->argv[3], "flush")) return RESTORE_FLUSH;
    reply_error(c, "ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
                   "REPLACE.");
    return -1;
}

void script_func_restore(struct client *c)
{
    if (c->argc > 4) {
        reply_errorf(c,
                     "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try "
                     "FUNCTION HELP.",
                     (int)MIN(c->argv[1].len, 128), c->argv[1].ptr);
        return;
    }
    int policy = parse_policy(c);
    if (policy < 0) return;
    struct restore_ctx r = {0};
    const char *bad = restore_parse(&c->argv[2], &r);
    if (bad) {
        reply_error(c, bad);
        restore_ctx_free(&r);
        return;
    }
    struct server *srv = c->srv;
    struct script_engine *e = script_engine_of(srv);
    size_t nold = e->nlibs;
    char **old = xcalloc(nold + 1, sizeof *old);
    size_t *old_lens = xcalloc(nold + 1, sizeof *old_lens);
    for (size_t i = 0; i < nold; i++) {
        const char *code = script_func_lib_code(srv, i, &old_lens[i]);
        old[i] = xmemdup(code, old_lens[i]);
    }
    struct buf err;
    buf_init(&err);
    if (restore_apply(e, &r, policy, &err) == 0) {
        propagate_also(c, c->argc, c->argv);
        reply_ok(c);
    } else {
        script_func_replace_all(srv, nold, old, old_lens); /* all or nothing */
        reply_error(c, err.data);
    }
    buf_free(&err);
    for (size_t i = 0; i < nold; i++) free(old[i]);
    free(old);
    free(old_lens);
    restore_ctx_free(&r);
}
