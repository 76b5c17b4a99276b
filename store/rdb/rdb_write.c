/* rdb_write: stream a snapshot in Redis's RDB format (version 9) into a caller-supplied sink,
 * so a forked child can write straight into a pipe or socket and a real redis-server replica
 * can load what it receives.
 *
 * What goes out: magic + version, AUX fields, SELECTDB/RESIZEDB per database, then per key an
 * optional EXPIRETIME_MS, the value type, the key and the value in the plain encodings (string;
 * list, set and hash as a count followed by strings; zset-2 as member + binary double), then
 * EOF and the CRC64 trailer. Strings that are canonical decimal integers fitting in 32 bits use
 * the compact int encodings (exactly the strings that print back identically). With
 * rdbcompression (rdb_writer_set_options) a string longer than 20 bytes is LZF-compressed when
 * that saves at least 4 bytes, as Redis decides; full resync leaves it off, so its child
 * finishes sooner. With rdbchecksum off the trailer is 8 zero bytes, which readers accept as
 * "not checksummed".
 *
 * Invariants: bytes are batched in w->buf and the CRC is updated exactly once per byte, when the
 * batch (or a large value that bypasses it) is handed to the sink; after a sink failure every
 * call returns RDB_ERR_IO without writing; collection item counts are checked with ASSERT,
 * because a count that does not match what follows would make the whole file unreadable. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/rdb/crc64.h"
#include "store/rdb/rdb.h"

/* liblzf declares its own lzf_decompress, unlike rdb.h's bounded one (lzf_decompress.c):
 * only lzf_compress is taken from it. */
#define lzf_decompress liblzf_decompress_unused
#include <liblzf/lzf.h>
#undef lzf_decompress

#define RDB_NO_COLLECTION (-1)
/* Redis compresses only strings longer than this, and only when LZF saves > 4 bytes. */
#define RDB_LZF_MIN_LEN 20
#define RDB_LZF_MIN_SAVING 4

void rdb_writer_init(struct rdb_writer *w, rdb_sink_fn sink, void *ctx)
{
    w->sink = sink;
    w->ctx = ctx;
    w->crc = CRC64_INIT;
    w->bytes_out = 0;
    w->items_left = 0;
    w->open_type = RDB_NO_COLLECTION;
    w->err = 0;
    w->used = 0;
    w->is_compressed = false;
    w->is_checksummed = true;
    w->is_value_only = false;
    w->on_key = NULL;
    w->on_key_ctx = NULL;
}

void rdb_writer_set_options(struct rdb_writer *w, bool is_compressed, bool is_checksummed)
{
    w->is_compressed = is_compressed;
    w->is_checksummed = is_checksummed;
}

void rdb_writer_set_value_only(struct rdb_writer *w, bool is_value_only)
{
    w->is_value_only = is_value_only;
}

void rdb_writer_set_key_hook(struct rdb_writer *w, void (*fn)(void *ctx), void *ctx)
{
    w->on_key = fn;
    w->on_key_ctx = ctx;
}

uint64_t rdb_writer_bytes(const struct rdb_writer *w) { return w->bytes_out; }

/* ---- byte plumbing ------------------------------------------------------------------------ */

static int rdbw_emit(struct rdb_writer *w, const void *p, size_t n, bool checksummed)
{
    if (w->err) return w->err;
    if (n == 0) return 0;
    if (checksummed && w->is_checksummed) w->crc = crc64_update(w->crc, p, n);
    if (w->sink(w->ctx, p, n) != 0) {
        w->err = RDB_ERR_IO;
        return w->err;
    }
    w->bytes_out += n;
    return 0;
}

static int rdbw_flush(struct rdb_writer *w)
{
    size_t n = w->used;
    w->used = 0;
    return rdbw_emit(w, w->buf, n, true);
}

int rdb_writer_flush(struct rdb_writer *w) { return rdbw_flush(w); }

static int rdbw_put(struct rdb_writer *w, const void *p, size_t n)
{
    if (w->err) return w->err;
    if (n > sizeof w->buf - w->used) {
        if (rdbw_flush(w) != 0) return w->err;
        if (n >= sizeof w->buf) return rdbw_emit(w, p, n, true); /* big value: no copy */
    }
    memcpy(w->buf + w->used, p, n);
    w->used += n;
    return 0;
}

static int rdbw_byte(struct rdb_writer *w, unsigned char b) { return rdbw_put(w, &b, 1); }

static void rdbw_le(unsigned char *out, uint64_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++) out[i] = (unsigned char)(v >> (8 * i));
}

static void rdbw_be(unsigned char *out, uint64_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++) out[i] = (unsigned char)(v >> (8 * (nbytes - 1 - i)));
}

static int rdbw_len(struct rdb_writer *w, uint64_t len)
{
    unsigned char b[9];
    if (len < 64) {
        b[0] = (unsigned char)len; /* 00xxxxxx */
        return rdbw_put(w, b, 1);
    }
    if (len < 16384) {
        b[0] = (unsigned char)(RDB_LEN_14BIT << 6 | len >> 8);
        b[1] = (unsigned char)len;
        return rdbw_put(w, b, 2);
    }
    if (len <= UINT32_MAX) {
        b[0] = RDB_LEN_32BIT;
        rdbw_be(b + 1, len, 4);
        return rdbw_put(w, b, 5);
    }
    b[0] = RDB_LEN_64BIT;
    rdbw_be(b + 1, len, 8);
    return rdbw_put(w, b, 9);
}

/* True when s is the canonical decimal form of a value in int32 range: no sign other than a
 * leading '-', no leading zeros, no "-0". Only those may use the int encodings, because a
 * reader turns them back into text by printing the number. */
static bool rdbw_as_int32(const char *s, size_t n, int32_t *out)
{
    if (n == 0 || n > 11) return false;
    size_t i = (s[0] == '-') ? 1 : 0;
    if (i == n) return false;
    if (s[i] == '0' && (n - i > 1 || i == 1)) return false;
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
        if (v > (int64_t)INT32_MAX + 1) return false;
    }
    if (s[0] == '-') v = -v;
    if (v < INT32_MIN || v > INT32_MAX) return false;
    *out = (int32_t)v;
    return true;
}

/* LZF form (0xC3, compressed length, plain length, data) when it is shorter than the plain
 * one: 1 when written, 0 when the string should go out plain. Output that fits the batch is
 * built in zbuf; a longer string gets a temporary buffer of its own size, as Redis does. */
static int rdbw_lzf(struct rdb_writer *w, const char *s, size_t n)
{
    size_t cap = n - RDB_LZF_MIN_SAVING;
    unsigned char *out = cap <= sizeof w->zbuf ? w->zbuf : xmalloc(cap);
    size_t zn = lzf_compress(s, (unsigned int)n, out, (unsigned int)cap);
    if (zn > 0) {
        rdbw_byte(w, (unsigned char)(RDB_LEN_SPECIAL << 6 | RDB_ENC_LZF));
        rdbw_len(w, zn);
        rdbw_len(w, n);
        rdbw_put(w, out, zn);
    }
    if (out != w->zbuf) free(out);
    return zn > 0;
}

static int rdbw_string(struct rdb_writer *w, const char *s, size_t n)
{
    int32_t v;
    if (rdbw_as_int32(s, n, &v)) {
        unsigned char b[5];
        int width = (v >= INT8_MIN && v <= INT8_MAX)     ? 1
                    : (v >= INT16_MIN && v <= INT16_MAX) ? 2
                                                         : 4;
        int enc = width == 1 ? RDB_ENC_INT8 : width == 2 ? RDB_ENC_INT16 : RDB_ENC_INT32;
        b[0] = (unsigned char)(RDB_LEN_SPECIAL << 6 | enc);
        rdbw_le(b + 1, (uint64_t)(int64_t)v, width);
        return rdbw_put(w, b, 1 + (size_t)width);
    }
    /* lzf_compress takes unsigned int lengths: larger strings go out plain. */
    if (w->is_compressed && n > RDB_LZF_MIN_LEN && n <= UINT32_MAX && rdbw_lzf(w, s, n))
        return w->err;
    if (rdbw_len(w, n) != 0) return w->err;
    return rdbw_put(w, s, n);
}

/* ---- records ------------------------------------------------------------------------------ */

int rdb_write_aux(struct rdb_writer *w, const char *key, const char *val, size_t vlen)
{
    ASSERT(w->open_type == RDB_NO_COLLECTION);
    rdbw_byte(w, RDB_OPCODE_AUX);
    rdbw_string(w, key, strlen(key));
    return rdbw_string(w, val, vlen);
}

static int rdbw_aux_ll(struct rdb_writer *w, const char *key, long long v)
{
    char num[32];
    size_t n = util_ll_to_str(num, sizeof num, v);
    return rdb_write_aux(w, key, num, n);
}

int rdb_write_header(struct rdb_writer *w, const struct rdb_aux *aux)
{
    char magic[16];
    int n = snprintf(magic, sizeof magic, "REDIS%04d", RDB_WRITE_VERSION);
    ASSERT(n == 9);
    rdbw_put(w, magic, (size_t)n);
    if (aux->redis_ver != NULL)
        rdb_write_aux(w, "redis-ver", aux->redis_ver, strlen(aux->redis_ver));
    rdbw_aux_ll(w, "redis-bits", (long long)(sizeof(void *) * 8));
    rdbw_aux_ll(w, "ctime", aux->ctime_s);
    rdbw_aux_ll(w, "used-mem", aux->used_mem_bytes);
    if (aux->repl_id != NULL) {
        rdbw_aux_ll(w, "repl-stream-db", aux->repl_stream_db);
        rdb_write_aux(w, "repl-id", aux->repl_id, strlen(aux->repl_id));
        rdbw_aux_ll(w, "repl-offset", aux->repl_offset);
    }
    return rdbw_aux_ll(w, "aof-base", aux->aof_base ? 1 : 0);
}

int rdb_write_function(struct rdb_writer *w, const char *code, size_t len)
{
    ASSERT(w->open_type == RDB_NO_COLLECTION);
    rdbw_byte(w, RDB_OPCODE_FUNCTION2);
    return rdbw_string(w, code, len);
}

int rdb_write_select_db(struct rdb_writer *w, int db, uint64_t db_size, uint64_t expires_size)
{
    ASSERT(w->open_type == RDB_NO_COLLECTION);
    ASSERT(db >= 0);
    rdbw_byte(w, RDB_OPCODE_SELECTDB);
    rdbw_len(w, (uint64_t)db);
    rdbw_byte(w, RDB_OPCODE_RESIZEDB);
    rdbw_len(w, db_size);
    return rdbw_len(w, expires_size);
}

/* Expire, type and key: the common prefix of every key record. */
static int rdbw_key(struct rdb_writer *w, int type, const char *key, size_t klen, int64_t expire_ms)
{
    ASSERT(w->open_type == RDB_NO_COLLECTION);
    if (w->on_key) w->on_key(w->on_key_ctx);
    if (w->is_value_only) return rdbw_byte(w, (unsigned char)type);
    if (expire_ms >= 0) {
        unsigned char b[9];
        b[0] = RDB_OPCODE_EXPIRETIME_MS;
        rdbw_le(b + 1, (uint64_t)expire_ms, 8);
        rdbw_put(w, b, sizeof b);
    }
    rdbw_byte(w, (unsigned char)type);
    return rdbw_string(w, key, klen);
}

int rdb_write_string(struct rdb_writer *w, const char *key, size_t klen, const char *val,
                     size_t vlen, int64_t expire_ms)
{
    rdbw_key(w, RDB_TYPE_STRING, key, klen, expire_ms);
    return rdbw_string(w, val, vlen);
}

static int rdbw_begin(struct rdb_writer *w, int type, const char *key, size_t klen, uint64_t count,
                      int64_t expire_ms)
{
    rdbw_key(w, type, key, klen, expire_ms);
    if (count > 0) {
        w->open_type = type;
        w->items_left = count;
    }
    return rdbw_len(w, count);
}

/* Account for one item of the open collection of type `type`. */
static void rdbw_item(struct rdb_writer *w, int type)
{
    ASSERT(w->open_type == type && w->items_left > 0);
    if (--w->items_left == 0) w->open_type = RDB_NO_COLLECTION;
}

int rdb_write_list_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t count,
                         int64_t expire_ms)
{
    return rdbw_begin(w, RDB_TYPE_LIST, key, klen, count, expire_ms);
}

int rdb_write_list_item(struct rdb_writer *w, const char *p, size_t n)
{
    rdbw_item(w, RDB_TYPE_LIST);
    return rdbw_string(w, p, n);
}

int rdb_write_set_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t count,
                        int64_t expire_ms)
{
    return rdbw_begin(w, RDB_TYPE_SET, key, klen, count, expire_ms);
}

int rdb_write_set_member(struct rdb_writer *w, const char *p, size_t n)
{
    rdbw_item(w, RDB_TYPE_SET);
    return rdbw_string(w, p, n);
}

int rdb_write_hash_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t count,
                         int64_t expire_ms)
{
    return rdbw_begin(w, RDB_TYPE_HASH, key, klen, count, expire_ms);
}

int rdb_write_hash_field(struct rdb_writer *w, const char *field, size_t flen, const char *val,
                         size_t vlen)
{
    rdbw_item(w, RDB_TYPE_HASH);
    rdbw_string(w, field, flen);
    return rdbw_string(w, val, vlen);
}

int rdb_write_zset_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t count,
                         int64_t expire_ms)
{
    return rdbw_begin(w, RDB_TYPE_ZSET_2, key, klen, count, expire_ms);
}

int rdb_write_zset_member(struct rdb_writer *w, const char *member, size_t mlen, double score)
{
    ASSERT(!isnan(score));
    rdbw_item(w, RDB_TYPE_ZSET_2);
    rdbw_string(w, member, mlen);
    uint64_t bits;
    memcpy(&bits, &score, sizeof bits);
    unsigned char b[8];
    rdbw_le(b, bits, 8);
    return rdbw_put(w, b, sizeof b);
}

int rdb_write_blob(struct rdb_writer *w, int type, const char *key, size_t klen, const char *blob,
                   size_t n, int64_t expire_ms)
{
    ASSERT(type == RDB_TYPE_SET_INTSET || type == RDB_TYPE_HASH_LISTPACK ||
           type == RDB_TYPE_ZSET_LISTPACK);
    rdbw_key(w, type, key, klen, expire_ms);
    return rdbw_string(w, blob, n);
}

int rdb_write_quicklist_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t nodes,
                              int64_t expire_ms)
{
    return rdbw_begin(w, RDB_TYPE_LIST_QUICKLIST_2, key, klen, nodes, expire_ms);
}

int rdb_write_quicklist_node(struct rdb_writer *w, const char *blob, size_t n)
{
    rdbw_item(w, RDB_TYPE_LIST_QUICKLIST_2);
    rdbw_len(w, RDB_QUICKLIST_PACKED);
    return rdbw_string(w, blob, n);
}

/* ---- streams (RDB_TYPE_STREAM_LISTPACKS_2, as Redis 7.0 writes them) ---- */

int rdb_write_stream_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t nnodes,
                           int64_t expire_ms)
{
    rdbw_key(w, RDB_TYPE_STREAM_LISTPACKS_2, key, klen, expire_ms);
    return rdbw_len(w, nnodes);
}

static void rdbw_id16(unsigned char out[16], uint64_t ms, uint64_t seq)
{
    rdbw_be(out, ms, 8);
    rdbw_be(out + 8, seq, 8);
}

int rdb_write_stream_node(struct rdb_writer *w, uint64_t ms, uint64_t seq, const void *lp, size_t n)
{
    unsigned char id[16];
    rdbw_id16(id, ms, seq);
    rdbw_string(w, (const char *)id, sizeof id);
    return rdbw_string(w, lp, n);
}

int rdb_write_len(struct rdb_writer *w, uint64_t v) { return rdbw_len(w, v); }

int rdb_write_lenstr(struct rdb_writer *w, const char *s, size_t n) { return rdbw_string(w, s, n); }

int rdb_write_raw_id(struct rdb_writer *w, uint64_t ms, uint64_t seq)
{
    unsigned char id[16];
    rdbw_id16(id, ms, seq);
    return rdbw_put(w, id, sizeof id);
}

int rdb_write_ms_time(struct rdb_writer *w, int64_t ms)
{
    unsigned char b[8];
    rdbw_le(b, (uint64_t)ms, 8);
    return rdbw_put(w, b, sizeof b);
}

int rdb_write_end(struct rdb_writer *w)
{
    ASSERT(w->open_type == RDB_NO_COLLECTION);
    rdbw_byte(w, RDB_OPCODE_EOF);
    if (rdbw_flush(w) != 0) return w->err; /* the CRC now covers everything up to EOF */
    unsigned char trailer[8];
    rdbw_le(trailer, w->is_checksummed ? w->crc : 0, 8);
    return rdbw_emit(w, trailer, sizeof trailer, false);
}
