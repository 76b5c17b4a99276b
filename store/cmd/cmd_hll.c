/* cmd_hll: the HyperLogLog commands PFADD, PFCOUNT and PFMERGE over string values holding
 * Redis 7.0's HLL layout (store/data/obj_hll.h, docs/persistence.md "HyperLogLog values"), with
 * Redis 7.0's replies and errors: a key of another type is WRONGTYPE, a string that is not an
 * HLL is "WRONGTYPE Key is not a valid HyperLogLog string value.", and an HLL header over
 * damaged opcodes is "INVALIDOBJ Corrupted HLL object detected".
 *
 * An HLL is an ordinary string, so GET/SET, COPY, RENAME and expiry need nothing special.
 * Values are kept "raw" (a separate buffer), as Redis keeps HLLs, so a dense HLL's registers
 * are updated in place; a sparse one is rebuilt in a scratch buffer and written back only when
 * a register changed.
 *
 * PFCOUNT of one key refreshes the cached cardinality stored in the value when it is stale. That
 * changes the string, so, as Redis does, it counts as a change (WATCH, dirty) and is propagated
 * (PFCOUNT key): a replica then holds the same bytes as its master. PFCOUNT of several keys
 * merges into a temporary and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/data/obj_hll.h"
#include "store/propagate.h"
#include "store/reply.h"

/* Byte 15 of the header holds bit 63 of the cached cardinality: set = stale (obj_hll.h). */
#define HLL_STALE_BYTE 15
#define HLL_STALE_BIT 0x80

static size_t hll_sparse_max(const struct client *c)
{
    return (size_t)c->srv->cfg.hll_sparse_max_bytes;
}

static void hll_reply_err(struct client *c, int rc)
{
    reply_error(c, rc == OBJ_HLL_ERR_INVALID ? OBJ_HLL_ERR_INVALID_MSG : OBJ_HLL_ERR_CORRUPT_MSG);
}

/* Check that e holds a valid HLL; reply the Redis error and return -1 if not. On success *p and
 * *len describe the bytes (valid until the entry changes; tmp backs an int-encoded string). */
static int hll_check(struct client *c, const struct ks_entry *e, char tmp[KS_INT_BUF],
                     const char **p, size_t *len)
{
    if (ks_entry_type(e) != KS_TYPE_STRING) {
        reply_error(c, ERR_WRONGTYPE);
        return -1;
    }
    *p = ks_str_get(e, tmp, len);
    if (obj_hll_validate(*p, *len) != 0) {
        reply_error(c, OBJ_HLL_ERR_INVALID_MSG);
        return -1;
    }
    return 0;
}

/* Store bytes under key as a raw string: replaces the value of e (keeping its TTL), or creates
 * the key when e is NULL. */
static void hll_write(struct client *c, const struct resp_arg *key, struct ks_entry *e,
                      const struct buf *h)
{
    struct ks *ks = db_ks(c);
    char *data;
    size_t len;
    if (!e) {
        e = ks_set_string(ks, key->ptr, key->len, h->data, h->len, KS_NO_EXPIRE, 0,
                          db_lookup_now(c));
        ks_str_mutable(ks, e, SIZE_MAX, &data, &len); /* raw, as Redis's HLL objects */
        return;
    }
    ks_str_mutable(ks, e, h->len, &data, &len);
    memcpy(data, h->data, h->len);
}

/* ---- PFADD ------------------------------------------------------------------------------- */

/* Add argv[2..] to a dense HLL in place (its size never changes). Returns registers changed. */
static long long pfadd_dense(struct client *c, struct ks_entry *e)
{
    char *data;
    size_t len;
    ks_str_mutable(db_ks(c), e, SIZE_MAX, &data, &len);
    struct buf view = {.data = data, .pos = 0, .len = len, .cap = len};
    long long updated = 0;
    for (size_t i = 2; i < c->argc; i++)
        updated += obj_hll_add(&view, c->argv[i].ptr, c->argv[i].len, hll_sparse_max(c)) > 0;
    ASSERT(view.data == data && view.len == len);
    return updated;
}

static void cmd_pfadd(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    struct ks_entry *e = db_lookup_write(c, key);
    char tmp[KS_INT_BUF];
    const char *p = NULL;
    size_t len = 0;
    if (e && hll_check(c, e, tmp, &p, &len) != 0) return;
    long long updated = 0;
    if (e && !obj_hll_is_sparse(p, len)) {
        updated = pfadd_dense(c, e);
    } else {
        struct buf h;
        buf_init(&h);
        if (e) {
            buf_append(&h, p, len);
        } else {
            obj_hll_create(&h);
            updated = 1;
        }
        for (size_t i = 2; i < c->argc; i++) {
            int rc = obj_hll_add(&h, c->argv[i].ptr, c->argv[i].len, hll_sparse_max(c));
            if (rc < 0) {
                hll_reply_err(c, rc);
                buf_free(&h);
                return;
            }
            updated += rc;
        }
        if (updated) {
            obj_hll_invalidate(h.data, h.len); /* also a new key with no elements, as Redis */
            hll_write(c, key, e, &h);
        }
        buf_free(&h);
    }
    reply_integer(c, updated ? 1 : 0);
    if (updated) {
        db_key_modified(c, key);
        c->srv->dirty += updated;
        db_notify(c, NOTIFY_STRING, "pfadd", key);
    }
}

/* ---- PFCOUNT ----------------------------------------------------------------------------- */

/* Fold the HLLs at keys into regs. -1 with the error replied. */
static int hll_merge_keys(struct client *c, const struct resp_arg *keys, size_t n,
                          struct obj_hll_regs *regs)
{
    for (size_t i = 0; i < n; i++) {
        struct ks_entry *e = db_lookup_read(c, &keys[i]);
        if (!e) continue;
        char tmp[KS_INT_BUF];
        const char *p;
        size_t len;
        if (hll_check(c, e, tmp, &p, &len) != 0) return -1;
        int rc = obj_hll_regs_merge(regs, p, len);
        if (rc != 0) {
            hll_reply_err(c, rc);
            return -1;
        }
    }
    return 0;
}

static void pfcount_many(struct client *c)
{
    struct obj_hll_regs *regs = xmalloc(sizeof *regs);
    obj_hll_regs_init(regs);
    if (hll_merge_keys(c, &c->argv[1], c->argc - 1, regs) == 0)
        reply_integer(c, (long long)obj_hll_regs_count(regs));
    free(regs);
}

static void cmd_pfcount(struct client *c)
{
    if (c->argc > 2) {
        pfcount_many(c);
        return;
    }
    const struct resp_arg *key = &c->argv[1];
    struct ks_entry *e = db_lookup_write(c, key); /* it may store the count it computes */
    if (!e) {
        db_notify(c, NOTIFY_KEY_MISS, "keymiss", key); /* a read miss, as Redis reports it */
        reply_integer(c, 0);
        return;
    }
    char tmp[KS_INT_BUF];
    const char *p;
    size_t len;
    if (hll_check(c, e, tmp, &p, &len) != 0) return;
    uint64_t card;
    if (!((unsigned char)p[HLL_STALE_BYTE] & HLL_STALE_BIT)) {
        obj_hll_count(p, len, &card); /* the cache is valid: nothing changes */
        reply_integer(c, (long long)card);
        return;
    }
    char *data;
    ks_str_mutable(db_ks(c), e, SIZE_MAX, &data, &len);
    int rc = obj_hll_count_cached(data, len, &card);
    if (rc < 0) {
        hll_reply_err(c, rc);
        return;
    }
    reply_integer(c, (long long)card);
    db_key_modified(c, key);
    c->srv->dirty++;
    propagate_as(c, c->argc, c->argv);
}

/* ---- PFMERGE ----------------------------------------------------------------------------- */

/* The destination's current bytes into h (validated by hll_merge_keys), or an empty HLL. */
static void pfmerge_load_dst(const struct ks_entry *e, struct buf *h)
{
    if (!e) {
        obj_hll_create(h);
        return;
    }
    char tmp[KS_INT_BUF];
    size_t len;
    const char *p = ks_str_get(e, tmp, &len);
    buf_append(h, p, len);
}

static void cmd_pfmerge(struct client *c)
{
    struct obj_hll_regs *regs = xmalloc(sizeof *regs);
    obj_hll_regs_init(regs);
    /* The destination is an input too (Redis merges it with the sources). */
    if (hll_merge_keys(c, &c->argv[1], c->argc - 1, regs) != 0) {
        free(regs);
        return;
    }
    const struct resp_arg *dst = &c->argv[1];
    struct ks_entry *e = db_lookup_write(c, dst);
    struct buf h;
    buf_init(&h);
    pfmerge_load_dst(e, &h);
    int rc = obj_hll_regs_store(regs, &h, hll_sparse_max(c));
    free(regs);
    if (rc != 0) {
        hll_reply_err(c, rc);
        buf_free(&h);
        return;
    }
    hll_write(c, dst, e, &h);
    buf_free(&h);
    reply_ok(c);
    db_key_modified(c, dst);
    c->srv->dirty++;
    db_notify(c, NOTIFY_STRING, "pfadd", dst);
}

/* ---- PFDEBUG, PFSELFTEST ----------------------------------------------------------------- */

/* GETREG: every register; a sparse value is made dense first (as Redis, a change). */
static void pfdebug_getreg(struct client *c, struct ks_entry *e, const char *p, size_t len)
{
    if (obj_hll_is_sparse(p, len)) {
        struct buf h;
        buf_init(&h);
        buf_append(&h, p, len);
        int rc = obj_hll_to_dense(&h);
        if (rc == 0) hll_write(c, &c->argv[2], e, &h);
        buf_free(&h);
        if (rc != 0) {
            hll_reply_err(c, rc);
            return;
        }
        c->srv->dirty++;
        char tmp[KS_INT_BUF];
        p = ks_str_get(e, tmp, &len);
    }
    reply_array(c, OBJ_HLL_REGISTERS);
    for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++)
        reply_integer(c, obj_hll_get_register(p, len, i));
}

static void pfdebug_todense(struct client *c, struct ks_entry *e, const char *p, size_t len)
{
    if (!obj_hll_is_sparse(p, len)) {
        reply_integer(c, 0);
        return;
    }
    struct buf h;
    buf_init(&h);
    buf_append(&h, p, len);
    int rc = obj_hll_to_dense(&h);
    if (rc == 0) {
        hll_write(c, &c->argv[2], e, &h);
        c->srv->dirty++;
        reply_integer(c, 1);
    } else {
        hll_reply_err(c, rc);
    }
    buf_free(&h);
}

static void cmd_pfdebug(struct client *c)
{
    struct ks_entry *e = db_lookup_write(c, &c->argv[2]);
    if (!e) {
        reply_error(c, "ERR The specified key does not exist");
        return;
    }
    char tmp[KS_INT_BUF];
    const char *p;
    size_t len;
    if (hll_check(c, e, tmp, &p, &len) != 0) return;
    const struct resp_arg *sub = &c->argv[1];
    if (arg_is(sub, "getreg")) {
        pfdebug_getreg(c, e, p, len);
    } else if (arg_is(sub, "todense")) {
        pfdebug_todense(c, e, p, len);
    } else if (arg_is(sub, "encoding")) {
        reply_simple(c, obj_hll_is_sparse(p, len) ? "sparse" : "dense");
    } else if (arg_is(sub, "decode")) {
        if (!obj_hll_is_sparse(p, len)) {
            reply_error(c, "ERR HLL encoding is not sparse");
            return;
        }
        struct buf text;
        buf_init(&text);
        obj_hll_sparse_text(p, len, &text);
        reply_bulk(c, text.data, text.len);
        buf_free(&text);
    } else {
        reply_errorf(c, "ERR Unknown PFDEBUG subcommand '%.*s'", (int)MIN(sub->len, 128u),
                     sub->ptr);
    }
}

/* A quick check of the representation: the same elements through the sparse form (promoted
 * on the way) and through the dense form must give the same registers and count. */
static void cmd_pfselftest(struct client *c)
{
    struct buf a, b;
    buf_init(&a);
    buf_init(&b);
    obj_hll_create(&a);
    obj_hll_create(&b);
    obj_hll_to_dense(&b);
    bool ok = true;
    char item[32];
    for (int i = 0; ok && i < 20000; i++) {
        int n = snprintf(item, sizeof item, "selftest:%d", i);
        ok = obj_hll_add(&a, item, (size_t)n, OBJ_HLL_SPARSE_MAX_BYTES_DEFAULT) >= 0 &&
             obj_hll_add(&b, item, (size_t)n, OBJ_HLL_SPARSE_MAX_BYTES_DEFAULT) >= 0;
    }
    uint64_t ca = 0, cb = 0;
    ok = ok && a.len == b.len && memcmp(a.data, b.data, a.len) == 0 &&
         obj_hll_count(a.data, a.len, &ca) == 0 && obj_hll_count(b.data, b.len, &cb) == 0 &&
         ca == cb;
    buf_free(&a);
    buf_free(&b);
    if (ok)
        reply_ok(c);
    else
        reply_error(c, "ERR TESTFAILED the sparse and dense forms disagree");
}

#define HLL_CMD(n, a, f, fn_, fk, lk)                                                              \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = 1, .group = "hyperloglog"                                                      \
    }

struct command cmd_table_hll[] = {
    HLL_CMD("pfadd", -2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_pfadd, 1, 1),
    HLL_CMD("pfcount", -2, CMD_READONLY | CMD_MAY_REPLICATE, cmd_pfcount, 1, -1),
    HLL_CMD("pfmerge", -2, CMD_WRITE | CMD_DENYOOM, cmd_pfmerge, 1, -1),
    HLL_CMD("pfdebug", 3, CMD_WRITE | CMD_DENYOOM | CMD_ADMIN, cmd_pfdebug, 2, 2),
    HLL_CMD("pfselftest", 1, CMD_ADMIN, cmd_pfselftest, 0, 0),
    {.name = NULL},
};
