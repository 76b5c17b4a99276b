/* cmd_bitmap: the bitmap commands SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP over string values,
 * with Redis 7.0's replies, errors and the order in which errors are detected.
 *
 * Bit numbering: bit 0 is the most significant bit of byte 0, so bit n lives in byte n / 8 under
 * the mask 0x80 >> (n % 8). An int-encoded string is read through its decimal text.
 *
 * Ranges (BITCOUNT, BITPOS) are in bytes by default or in bits with the BIT unit. Negative ends
 * count from the end; both ends are then clamped into the value, and an empty range answers 0
 * (BITCOUNT) or -1 (BITPOS). BITCOUNT alone answers 0 when both ends are negative and start > end
 * before clamping (Redis's rule; BITPOS has no such rule).
 *
 * Change accounting (WATCH, dirty, propagation): SETBIT counts as a change only when it creates
 * or grows the string or flips the bit; BITOP always stores its result, except that an empty
 * result deletes the destination and counts only if a key was deleted.
 *
 * Invariants: SETBIT never grows a string past proto-max-bulk-len bytes (the offset check), and
 * every scan is linear in the range, word at a time where the range allows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/reply.h"

#define ERR_BIT_OFFSET "ERR bit offset is not an integer or out of range"
#define ERR_BIT_VALUE "ERR bit is not an integer or out of range"
#define ERR_BITPOS_BIT "ERR The bit argument must be 1 or 0."
#define ERR_BITOP_NOT "ERR BITOP NOT must be called with a single source key."

/* A bit offset argument: a non-negative integer whose byte fits proto-max-bulk-len. */
static int bit_parse_offset(struct client *c, const struct resp_arg *a, uint64_t *out)
{
    long long v;
    if (util_parse_ll(a->ptr, a->len, &v) != 0 || v < 0 ||
        (v >> 3) >= c->srv->cfg.proto_max_bulk_len) {
        reply_error(c, ERR_BIT_OFFSET);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* ---- SETBIT / GETBIT ------------------------------------------------------------------- */

static void cmd_setbit(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    uint64_t off;
    long long on;
    if (bit_parse_offset(c, &c->argv[2], &off) != 0) return;
    if (util_parse_ll(c->argv[3].ptr, c->argv[3].len, &on) != 0 || (on != 0 && on != 1)) {
        reply_error(c, ERR_BIT_VALUE);
        return;
    }
    struct ks *ks = db_ks(c);
    struct ks_entry *e = db_lookup_write(c, key);
    if (e && !db_check_type(c, e, KS_TYPE_STRING)) return;
    size_t byte = (size_t)(off >> 3);
    bool changed = false;
    if (!e) {
        e = ks_set_string(ks, key->ptr, key->len, "", 0, KS_NO_EXPIRE, KS_SET_VERBATIM,
                          db_lookup_now(c));
        changed = true;
    }
    size_t cur = ks_str_len(e);
    char *data;
    size_t len;
    if (byte >= cur) changed = true;
    ks_str_mutable(ks, e, byte >= cur ? byte + 1 : SIZE_MAX, &data, &len);
    unsigned char mask = (unsigned char)(0x80u >> (off & 7));
    unsigned char *p = (unsigned char *)data + byte;
    int old = (*p & mask) != 0;
    if (old != (int)on) {
        *p = (unsigned char)(on ? (*p | mask) : (*p & ~mask));
        changed = true;
    }
    if (changed) {
        c->srv->dirty++;
        db_key_modified(c, key);
        db_notify(c, NOTIFY_STRING, "setbit", key);
    }
    reply_integer(c, old);
}

/* GETBIT and BITCOUNT: the string at key with its bytes (int-encoded ones rendered into buf);
 * false once it has replied instead: 0 for a missing key, or WRONGTYPE. */
static bool bit_read_string(struct client *c, const struct resp_arg *key, char buf[KS_INT_BUF],
                            const unsigned char **s, size_t *len)
{
    struct ks_entry *e = db_lookup_read(c, key);
    if (!e) {
        reply_integer(c, 0);
        return false;
    }
    if (!db_check_type(c, e, KS_TYPE_STRING)) return false;
    *s = (const unsigned char *)ks_str_get(e, buf, len);
    return true;
}

static void cmd_getbit(struct client *c)
{
    uint64_t off;
    if (bit_parse_offset(c, &c->argv[2], &off) != 0) return;
    char buf[KS_INT_BUF];
    size_t len;
    const unsigned char *s;
    if (!bit_read_string(c, &c->argv[1], buf, &s, &len)) return;
    size_t byte = (size_t)(off >> 3);
    int bit = byte < len ? (s[byte] >> (7 - (off & 7))) & 1 : 0;
    reply_integer(c, bit);
}

/* ---- ranges ---------------------------------------------------------------------------- */

/* Parse the optional BYTE|BIT unit word. Replies a syntax error and returns -1 otherwise. */
static int bit_parse_unit(struct client *c, const struct resp_arg *a, bool *is_bit)
{
    if (db_opt_is(a, "byte")) {
        *is_bit = false;
    } else if (db_opt_is(a, "bit")) {
        *is_bit = true;
    } else {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    return 0;
}

/* Resolve [start, end] against total units: negative from the end, then clamped. Returns false
 * when the range is empty. */
static bool bit_clamp_range(long long *start, long long *end, long long total)
{
    if (*start < 0) *start += total;
    if (*end < 0) *end += total;
    if (*start < 0) *start = 0;
    if (*end < 0) *end = 0;
    if (*end >= total) *end = total - 1;
    return total > 0 && *start <= *end;
}

/* Set bits in s[0..n). */
static uint64_t bit_popcount(const unsigned char *s, size_t n)
{
    uint64_t count = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        count += (uint64_t)__builtin_popcountll(w);
    }
    for (; i < n; i++) count += (uint64_t)__builtin_popcount(s[i]);
    return count;
}

/* Set bits of s in bit range [first, last] (inclusive, already clamped). */
static uint64_t bit_count_bits(const unsigned char *s, uint64_t first, uint64_t last)
{
    size_t b0 = (size_t)(first >> 3), b1 = (size_t)(last >> 3);
    uint64_t count = bit_popcount(s + b0, b1 - b0 + 1);
    /* Drop the bits before `first` in byte b0 and after `last` in byte b1. */
    unsigned head = (unsigned)(first & 7), tail = 7u - (unsigned)(last & 7);
    if (head) count -= (uint64_t)__builtin_popcount(s[b0] & (0xffu << (8 - head) & 0xffu));
    if (tail) count -= (uint64_t)__builtin_popcount(s[b1] & ((1u << tail) - 1));
    return count;
}

static void cmd_bitcount(struct client *c)
{
    char buf[KS_INT_BUF];
    size_t len;
    const unsigned char *s;
    if (!bit_read_string(c, &c->argv[1], buf, &s, &len)) return;
    long long start = 0, end = -1;
    bool is_bit = false;
    if (c->argc == 4 || c->argc == 5) {
        if (arg_ll(c, &c->argv[2], &start) != 0 || arg_ll(c, &c->argv[3], &end) != 0) return;
        if (c->argc == 5 && bit_parse_unit(c, &c->argv[4], &is_bit) != 0) return;
        if (start < 0 && end < 0 && start > end) {
            reply_integer(c, 0);
            return;
        }
    } else if (c->argc != 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    long long total = is_bit ? (long long)len * 8 : (long long)len;
    if (!bit_clamp_range(&start, &end, total)) {
        reply_integer(c, 0);
        return;
    }
    uint64_t n = is_bit ? bit_count_bits(s, (uint64_t)start, (uint64_t)end)
                        : bit_popcount(s + start, (size_t)(end - start + 1));
    reply_integer(c, (long long)n);
}

/* First bit equal to `bit` in s at bit positions [first, last], or -1. */
static long long bit_find(const unsigned char *s, uint64_t first, uint64_t last, int bit)
{
    unsigned char skip = bit ? 0x00 : 0xff; /* a byte holding no wanted bit */
    uint64_t skip_word = bit ? 0 : UINT64_MAX;
    uint64_t pos = first;
    while (pos <= last) {
        size_t byte = (size_t)(pos >> 3);
        if ((pos & 7) == 0 && last - pos >= 63) {
            uint64_t w;
            memcpy(&w, s + byte, 8);
            if (w == skip_word) {
                pos += 64;
                continue;
            }
        }
        if ((pos & 7) == 0 && last - pos >= 7 && s[byte] == skip) {
            pos += 8;
            continue;
        }
        if (((s[byte] >> (7 - (pos & 7))) & 1) == bit) return (long long)pos;
        pos++;
    }
    return -1;
}

/* Parse BITPOS's start/end/unit (argv[3..]); *end_given tells whether an end was passed. */
static int bitpos_parse_range(struct client *c, long long *start, long long *end, bool *is_bit,
                              bool *end_given)
{
    if (c->argc > 6) {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    *end_given = c->argc >= 5;
    if (c->argc >= 4 && arg_ll(c, &c->argv[3], start) != 0) return -1;
    if (c->argc == 6 && bit_parse_unit(c, &c->argv[5], is_bit) != 0) return -1;
    if (c->argc >= 5 && arg_ll(c, &c->argv[4], end) != 0) return -1;
    return 0;
}

static void cmd_bitpos(struct client *c)
{
    long long bit;
    if (arg_ll(c, &c->argv[2], &bit) != 0) return;
    if (bit != 0 && bit != 1) {
        reply_error(c, ERR_BITPOS_BIT);
        return;
    }
    struct ks_entry *e = db_lookup_read(c, &c->argv[1]);
    if (!e) {
        reply_integer(c, bit ? -1 : 0);
        return;
    }
    if (!db_check_type(c, e, KS_TYPE_STRING)) return;
    char buf[KS_INT_BUF];
    size_t len;
    const unsigned char *s = (const unsigned char *)ks_str_get(e, buf, &len);
    long long start = 0, end = -1;
    bool is_bit = false, end_given = false;
    if (bitpos_parse_range(c, &start, &end, &is_bit, &end_given) != 0) return;
    long long total = is_bit ? (long long)len * 8 : (long long)len;
    if (!bit_clamp_range(&start, &end, total)) {
        reply_integer(c, -1);
        return;
    }
    uint64_t first = is_bit ? (uint64_t)start : (uint64_t)start * 8;
    uint64_t last = is_bit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    long long pos = bit_find(s, first, last, (int)bit);
    /* Looking for a clear bit up to an implicit end: the string continues with zeros. */
    if (pos < 0 && bit == 0 && !end_given) pos = (long long)last + 1;
    reply_integer(c, pos);
}

/* ---- BITOP ----------------------------------------------------------------------------- */

enum bitop_kind { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

/* Fold source src (n bytes) into res (rlen bytes; bytes past n count as zero). */
static void bitop_fold(enum bitop_kind op, unsigned char *res, size_t rlen,
                       const unsigned char *src, size_t n, bool is_first)
{
    for (size_t i = 0; i < rlen; i++) {
        unsigned char v = i < n ? src[i] : 0;
        if (is_first || op == BITOP_NOT) {
            res[i] = op == BITOP_NOT ? (unsigned char)~v : v;
        } else if (op == BITOP_AND) {
            res[i] &= v;
        } else if (op == BITOP_OR) {
            res[i] |= v;
        } else {
            res[i] ^= v;
        }
    }
}

static int bitop_parse_kind(struct client *c, enum bitop_kind *op)
{
    static const char *const words[] = {"and", "or", "xor", "not"};
    for (int i = 0; i < 4; i++) {
        if (db_opt_is(&c->argv[1], words[i])) {
            *op = (enum bitop_kind)i;
            return 0;
        }
    }
    reply_error(c, ERR_SYNTAX);
    return -1;
}

/* Store the BITOP result under dest (as a raw string, dropping any TTL), or delete dest when the
 * result is empty. */
static void bitop_store(struct client *c, const struct resp_arg *dest, const char *res, size_t n)
{
    struct ks *ks = db_ks(c);
    if (n == 0) {
        struct ks_entry *d = db_lookup_write(c, dest);
        if (d) {
            ks_delete_entry(ks, d);
            db_key_modified(c, dest);
            c->srv->dirty++;
            db_notify(c, NOTIFY_GENERIC, "del", dest);
        }
        return;
    }
    struct ks_entry *e = ks_set_string(ks, dest->ptr, dest->len, res, n, KS_NO_EXPIRE,
                                       KS_SET_VERBATIM, db_lookup_now(c));
    char *data;
    size_t len;
    ks_str_mutable(ks, e, SIZE_MAX, &data, &len); /* raw, as Redis stores BITOP results */
    db_key_modified(c, dest);
    c->srv->dirty++;
    db_notify(c, NOTIFY_STRING, "set", dest);
}

static void cmd_bitop(struct client *c)
{
    enum bitop_kind op;
    if (bitop_parse_kind(c, &op) != 0) return;
    size_t nsrc = c->argc - 3;
    if (op == BITOP_NOT && nsrc != 1) {
        reply_error(c, ERR_BITOP_NOT);
        return;
    }
    /* Pass 1: types and the result length (the longest source). */
    size_t maxlen = 0;
    for (size_t i = 3; i < c->argc; i++) {
        struct ks_entry *e = db_lookup_read(c, &c->argv[i]);
        if (!e) continue;
        if (!db_check_type(c, e, KS_TYPE_STRING)) return;
        size_t n = ks_str_len(e);
        if (n > maxlen) maxlen = n;
    }
    /* Pass 2: fold; the lookups neither count again nor expire anything new. */
    unsigned char *res = maxlen ? xmalloc(maxlen) : NULL;
    for (size_t i = 3; i < c->argc && maxlen; i++) {
        const struct resp_arg *k = &c->argv[i];
        struct ks_entry *e =
            db_lookup_in(c, c->db, k->ptr, k->len, DB_LOOKUP_NOSTATS | DB_LOOKUP_NOTOUCH);
        char buf[KS_INT_BUF];
        size_t n = 0;
        const unsigned char *s = e ? (const unsigned char *)ks_str_get(e, buf, &n) : NULL;
        bitop_fold(op, res, maxlen, s, n, i == 3);
    }
    bitop_store(c, &c->argv[2], (const char *)res, maxlen);
    free(res);
    reply_integer(c, (long long)maxlen);
}

#define BIT_CMD(n, a, f, fn_, fk, lk)                                                              \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = 1, .group = "bitmap"                                                           \
    }

struct command cmd_table_bitmap[] = {
    BIT_CMD("setbit", 4, CMD_WRITE | CMD_DENYOOM, cmd_setbit, 1, 1),
    BIT_CMD("getbit", 3, CMD_READONLY | CMD_FAST, cmd_getbit, 1, 1),
    BIT_CMD("bitcount", -2, CMD_READONLY, cmd_bitcount, 1, 1),
    BIT_CMD("bitpos", -3, CMD_READONLY, cmd_bitpos, 1, 1),
    BIT_CMD("bitop", -4, CMD_WRITE | CMD_DENYOOM, cmd_bitop, 2, -1),
    {.name = NULL},
};
