/* cmd_bitfield: BITFIELD and BITFIELD_RO, integers of 1 to 64 bits (i1..i64, u1..u63) at any
 * bit offset of a string, with Redis 7.0's replies, errors and the order they are detected in.
 *
 * A call is parsed whole before anything is touched: GET type offset, SET type offset value,
 * INCRBY type offset increment, OVERFLOW WRAP|SAT|FAIL (applies to the SET/INCRBY after it).
 * Offsets are bit numbers, or "#n" for the n-th field of the type's width; both must land
 * within proto-max-bulk-len bytes. Bits are numbered as in cmd_bitmap.c (bit 0 is the most
 * significant bit of byte 0) and a field is read most significant bit first.
 *
 * Writes: the string is created or zero-extended up to the furthest bit any SET/INCRBY names,
 * before the operations run (even when OVERFLOW FAIL then skips them all, as Redis). Each op
 * answers in turn: GET the value, SET the old value, INCRBY the new one, a null for an op that
 * FAIL refused. Overflow: WRAP keeps the low bits (two's complement for signed fields), SAT
 * clamps to the type's range, FAIL leaves the field alone.
 *
 * Change accounting: one change per SET/INCRBY that wrote, and keyspace event "setbit" when
 * there was one (Redis's). A key created or grown by ops that all failed counts as one change
 * too (Redis counts none, so its replicas never see that key): the stream stays exact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/reply.h"

#define ERR_BF_TYPE                                                                                \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "    \
    "i64 is."
#define ERR_BF_OFFSET "ERR bit offset is not an integer or out of range"
#define ERR_BF_OVERFLOW "ERR Invalid OVERFLOW type specified"
#define ERR_BF_RO "ERR BITFIELD_RO only supports the GET subcommand"

enum bf_kind { BF_GET, BF_SET, BF_INCRBY };
enum bf_overflow { BF_WRAP, BF_SAT, BF_FAIL };

struct bf_op {
    enum bf_kind kind;
    enum bf_overflow overflow;
    bool is_signed;
    int bits;
    uint64_t offset;
    int64_t value; /* SET's value, INCRBY's increment */
};

/* ---- bits ------------------------------------------------------------------------------- */

static uint64_t bf_read(const unsigned char *p, size_t len, uint64_t offset, int bits)
{
    uint64_t v = 0;
    for (int j = 0; j < bits; j++) {
        uint64_t bit = offset + (uint64_t)j, byte = bit >> 3;
        int on = byte < len && (p[byte] & (0x80u >> (bit & 7)));
        v = v << 1 | (uint64_t)on;
    }
    return v;
}

static void bf_write(unsigned char *p, uint64_t offset, int bits, uint64_t v)
{
    for (int j = 0; j < bits; j++) {
        uint64_t bit = offset + (uint64_t)j;
        unsigned char mask = (unsigned char)(0x80u >> (bit & 7));
        if ((v >> (bits - 1 - j)) & 1)
            p[bit >> 3] |= mask;
        else
            p[bit >> 3] &= (unsigned char)~mask;
    }
}

/* The low `bits` bits of u as a signed number. */
static int64_t bf_sign_extend(uint64_t u, int bits)
{
    if (bits < 64 && (u >> (bits - 1)) & 1) u |= UINT64_MAX << bits;
    return (int64_t)u;
}

/* ---- overflow --------------------------------------------------------------------------- */

/* value + incr in a signed field of `bits`: 0 when it fits (*out the sum), else the overflow
 * direction (1 up, -1 down) with *out what WRAP or SAT makes of it. */
static int bf_add_signed(int64_t value, int64_t incr, int bits, enum bf_overflow ow, int64_t *out)
{
    int64_t max = bits == 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << (bits - 1)) - 1);
    int64_t min = -max - 1;
    uint64_t wrapped = (uint64_t)value + (uint64_t)incr;
    int dir = 0;
    /* Redis's test, with its margins computed modulo 2^64: for a SET of a value far outside a
     * narrow field the margin wraps, and INT64_MIN saturates to the maximum, as in Redis. */
    int64_t up = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t down = (int64_t)((uint64_t)min - (uint64_t)value);
    if (value > max || (bits != 64 && incr > up) || (value >= 0 && incr > 0 && incr > up))
        dir = 1;
    else if (value < min || (bits != 64 && incr < down) || (value < 0 && incr < 0 && incr < down))
        dir = -1;
    if (dir == 0 || ow == BF_WRAP)
        *out =
            bits == 64 ? (int64_t)wrapped : bf_sign_extend(wrapped & ~(UINT64_MAX << bits), bits);
    else
        *out = dir > 0 ? max : min;
    return dir;
}

static int bf_add_unsigned(uint64_t value, int64_t incr, int bits, enum bf_overflow ow,
                           uint64_t *out)
{
    uint64_t max = (UINT64_C(1) << bits) - 1; /* bits <= 63 */
    int dir = 0;
    if (value > max || (incr > 0 && (uint64_t)incr > max - value))
        dir = 1;
    else if (incr < 0 && (uint64_t)0 - (uint64_t)incr > value)
        dir = -1;
    if (dir == 0 || ow == BF_WRAP)
        *out = (value + (uint64_t)incr) & max;
    else
        *out = dir > 0 ? max : 0;
    return dir;
}

/* ---- parsing ------------------------------------------------------------------------------ */

/* A strict decimal (no sign but '-', no leading zero), as Redis reads widths and offsets. */
static bool bf_strict_ll(const char *s, size_t n, long long *v)
{
    if (n == 0 || s[0] == '+' || (s[0] == '0' && n > 1) || (n > 1 && s[0] == '-' && s[1] == '0'))
        return false;
    return util_parse_ll(s, n, v) == 0;
}

static int bf_parse_type(struct client *c, const struct resp_arg *a, struct bf_op *op)
{
    long long bits;
    if (a->len < 2 || (a->ptr[0] != 'i' && a->ptr[0] != 'u') ||
        !bf_strict_ll(a->ptr + 1, a->len - 1, &bits) || bits < 1 ||
        bits > (a->ptr[0] == 'i' ? 64 : 63)) {
        reply_error(c, ERR_BF_TYPE);
        return -1;
    }
    op->is_signed = a->ptr[0] == 'i';
    op->bits = (int)bits;
    return 0;
}

static int bf_parse_offset(struct client *c, const struct resp_arg *a, struct bf_op *op)
{
    bool by_field = a->len > 0 && a->ptr[0] == '#';
    long long v;
    if (!bf_strict_ll(a->ptr + by_field, a->len - by_field, &v) || v < 0 ||
        (by_field && v > INT64_MAX / op->bits)) {
        reply_error(c, ERR_BF_OFFSET);
        return -1;
    }
    if (by_field) v *= op->bits;
    if ((v >> 3) >= c->srv->cfg.proto_max_bulk_len) {
        reply_error(c, ERR_BF_OFFSET);
        return -1;
    }
    op->offset = (uint64_t)v;
    return 0;
}

/* One GET/SET/INCRBY at argv[*j] (the keyword). */
static int bf_parse_op(struct client *c, size_t *j, enum bf_kind kind, enum bf_overflow ow,
                       struct bf_op *op)
{
    *op = (struct bf_op){.kind = kind, .overflow = ow};
    if (bf_parse_type(c, &c->argv[*j + 1], op) != 0) return -1;
    if (bf_parse_offset(c, &c->argv[*j + 2], op) != 0) return -1;
    if (kind != BF_GET) {
        long long v;
        if (arg_ll(c, &c->argv[*j + 3], &v) != 0) return -1;
        op->value = v;
    }
    *j += kind == BF_GET ? 2 : 3;
    return 0;
}

static int bf_parse_overflow(struct client *c, const struct resp_arg *a, enum bf_overflow *ow)
{
    if (db_opt_is(a, "wrap"))
        *ow = BF_WRAP;
    else if (db_opt_is(a, "sat"))
        *ow = BF_SAT;
    else if (db_opt_is(a, "fail"))
        *ow = BF_FAIL;
    else {
        reply_error(c, ERR_BF_OVERFLOW);
        return -1;
    }
    return 0;
}

/* Every op into ops (room for argc / 3 + 1); returns how many, or -1 after the reply. */
static long bf_parse(struct client *c, struct bf_op *ops)
{
    enum bf_overflow ow = BF_WRAP;
    long n = 0;
    for (size_t j = 2; j < c->argc; j++) {
        size_t left = c->argc - j - 1;
        const struct resp_arg *a = &c->argv[j];
        int rc;
        if (db_opt_is(a, "get") && left >= 2)
            rc = bf_parse_op(c, &j, BF_GET, ow, &ops[n++]);
        else if (db_opt_is(a, "set") && left >= 3)
            rc = bf_parse_op(c, &j, BF_SET, ow, &ops[n++]);
        else if (db_opt_is(a, "incrby") && left >= 3)
            rc = bf_parse_op(c, &j, BF_INCRBY, ow, &ops[n++]);
        else if (db_opt_is(a, "overflow") && left >= 1)
            rc = bf_parse_overflow(c, &c->argv[++j], &ow);
        else {
            reply_error(c, ERR_SYNTAX);
            rc = -1;
        }
        if (rc != 0) return -1;
    }
    return n;
}

/* ---- execution ---------------------------------------------------------------------------- */

/* One SET/INCRBY on the mutable bytes p: 1 if it wrote (and replied), 0 if FAIL refused it. */
static int bf_apply(struct client *c, unsigned char *p, size_t len, const struct bf_op *op)
{
    uint64_t raw = bf_read(p, len, op->offset, op->bits);
    int dir;
    uint64_t store;
    long long answer;
    if (op->is_signed) {
        int64_t old = bf_sign_extend(raw, op->bits), res;
        dir = op->kind == BF_SET ? bf_add_signed(op->value, 0, op->bits, op->overflow, &res)
                                 : bf_add_signed(old, op->value, op->bits, op->overflow, &res);
        store = (uint64_t)res;
        answer = op->kind == BF_SET ? old : res;
    } else {
        uint64_t res;
        dir = op->kind == BF_SET
                  ? bf_add_unsigned((uint64_t)op->value, 0, op->bits, op->overflow, &res)
                  : bf_add_unsigned(raw, op->value, op->bits, op->overflow, &res);
        store = res;
        answer = op->kind == BF_SET ? (long long)raw : (long long)res;
    }
    if (dir != 0 && op->overflow == BF_FAIL) {
        reply_null(c);
        return 0;
    }
    bf_write(p, op->offset, op->bits, store);
    reply_integer(c, answer);
    return 1;
}

static void bf_reply_get(struct client *c, const unsigned char *p, size_t len,
                         const struct bf_op *op)
{
    uint64_t raw = bf_read(p, len, op->offset, op->bits);
    reply_integer(c, op->is_signed ? bf_sign_extend(raw, op->bits) : (long long)raw);
}

/* The string made long enough for every write, or NULL after a WRONGTYPE reply. *grown: the
 * key was created or extended. */
static struct ks_entry *bf_string_for_write(struct client *c, uint64_t max_bit, bool *grown)
{
    const struct resp_arg *key = &c->argv[1];
    struct ks *ks = db_ks(c);
    struct ks_entry *e = db_lookup_write(c, key);
    if (e && !db_check_type(c, e, KS_TYPE_STRING)) return NULL;
    size_t need = (size_t)(max_bit >> 3) + 1;
    *grown = !e || ks_str_len(e) < need;
    if (!e)
        e = ks_set_string(ks, key->ptr, key->len, "", 0, KS_NO_EXPIRE, KS_SET_VERBATIM,
                          db_lookup_now(c));
    char *data;
    size_t len;
    return ks_str_mutable(ks, e, ks_str_len(e) < need ? need : SIZE_MAX, &data, &len);
}

static void bf_run_writes(struct client *c, const struct bf_op *ops, long n, uint64_t max_bit)
{
    bool grown;
    struct ks_entry *e = bf_string_for_write(c, max_bit, &grown);
    if (!e) return;
    char *data;
    size_t len;
    e = ks_str_mutable(db_ks(c), e, SIZE_MAX, &data, &len);
    long changes = 0;
    reply_array(c, (size_t)n);
    for (long i = 0; i < n; i++) {
        if (ops[i].kind == BF_GET)
            bf_reply_get(c, (unsigned char *)data, len, &ops[i]);
        else
            changes += bf_apply(c, (unsigned char *)data, len, &ops[i]);
    }
    const struct resp_arg *key = &c->argv[1];
    if (changes) notify_keyspace_event(c->srv, NOTIFY_STRING, "setbit", key->ptr, key->len, c->db);
    if (changes || grown) {
        db_key_modified(c, key);
        c->srv->dirty += changes ? changes : 1;
    }
}

static void bf_run_reads(struct client *c, const struct bf_op *ops, long n)
{
    struct ks_entry *e = db_lookup_read(c, &c->argv[1]);
    if (e && !db_check_type(c, e, KS_TYPE_STRING)) return;
    char num[KS_INT_BUF];
    size_t len = 0;
    const char *s = e ? ks_str_get(e, num, &len) : "";
    reply_array(c, (size_t)n);
    for (long i = 0; i < n; i++) bf_reply_get(c, (const unsigned char *)s, len, &ops[i]);
}

static void bitfield_generic(struct client *c, bool is_ro)
{
    struct bf_op *ops = xmalloc((c->argc / 3 + 1) * sizeof *ops);
    long n = bf_parse(c, ops);
    bool has_write = false;
    uint64_t max_bit = 0;
    for (long i = 0; i < n; i++) {
        if (ops[i].kind == BF_GET) continue;
        has_write = true;
        max_bit = MAX(max_bit, ops[i].offset + (uint64_t)ops[i].bits - 1);
    }
    if (n >= 0 && is_ro && has_write)
        reply_error(c, ERR_BF_RO);
    else if (n >= 0 && has_write)
        bf_run_writes(c, ops, n, max_bit);
    else if (n >= 0)
        bf_run_reads(c, ops, n);
    free(ops);
}

static void cmd_bitfield(struct client *c) { bitfield_generic(c, false); }
static void cmd_bitfield_ro(struct client *c) { bitfield_generic(c, true); }

struct command cmd_table_bitfield[] = {
    {.name = "bitfield",
     .arity = -2,
     .flags = CMD_WRITE | CMD_DENYOOM,
     .fn = cmd_bitfield,
     .first_key = 1,
     .last_key = 1,
     .key_step = 1,
     .group = "bitmap"},
    {.name = "bitfield_ro",
     .arity = -2,
     .flags = CMD_READONLY | CMD_FAST,
     .fn = cmd_bitfield_ro,
     .first_key = 1,
     .last_key = 1,
     .key_step = 1,
     .group = "bitmap"},
    {.name = NULL},
};
