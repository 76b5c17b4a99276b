/* rdb: Redis's RDB snapshot format, written as a stream (rdb_write.c) and read from a complete
 * in-memory buffer (rdb_read.c). Full resync ships a snapshot in this format, so a real
 * redis-server can replicate from vigil-store and vigil-store can replicate from Redis 7.
 *
 * Layout of a file (integers in RDB "length" encoding unless noted):
 *
 *     "REDIS" + 4 ASCII digits (version)
 *     0xFA aux-key aux-value               (repeated: redis-ver, ctime, repl-id, ...)
 *     0xFE db  0xFB db-size expires-size   (per database)
 *       [0xFC expire-ms(8 bytes LE)] type key value      (per key)
 *     0xFF  crc64(everything before, including 0xFF) as 8 bytes LE
 *
 * The writer emits version 9 and only the plain encodings (string, list, set, zset-2, hash),
 * which Redis 6.0 through 7.x load, with strings optionally LZF-compressed; DUMP payloads
 * (version 10) also use its blob and quicklist-2 records for Redis 7.0's compact encodings.
 * The reader also understands what Redis 7.0-7.2 write for small values: int and LZF string
 * encodings, intset, listpack hashes/zsets/sets, quicklist-2.
 *
 * Ownership: every pointer passed in is borrowed; every pointer handed to a callback is valid
 * only during that call. Pure: no I/O (the writer talks to a caller-supplied sink), no clock
 * (ctime comes from the caller). */
#ifndef VIGIL_RDB_H
#define VIGIL_RDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- format constants (shared by rdb_write.c and rdb_read.c) ------------------------------ */

#define RDB_WRITE_VERSION 9 /* highest version Redis 6.x accepts; Redis 7.x accepts <= 10/11 */
#define RDB_MAX_READ_VERSION 12
/* DUMP payloads carry the version of the format their value uses: Redis 7.0's, whose compact
 * encodings (listpack, quicklist-2) need 10, and Redis 7.0 refuses anything newer. */
#define RDB_DUMP_VERSION 10
#define RDB_QUICKLIST_PACKED 2 /* a quicklist-2 node holding a listpack */

enum rdb_type {
    RDB_TYPE_STRING = 0,
    RDB_TYPE_LIST = 1,
    RDB_TYPE_SET = 2,
    RDB_TYPE_ZSET = 3, /* scores as ASCII */
    RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5, /* scores as binary doubles */
    RDB_TYPE_MODULE = 6,
    RDB_TYPE_MODULE_2 = 7,
    RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10,
    RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13,
    RDB_TYPE_LIST_QUICKLIST = 14,
    RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16,
    RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18,
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
    RDB_TYPE_SET_LISTPACK = 20,
    RDB_TYPE_STREAM_LISTPACKS_3 = 21,
};

enum rdb_opcode {
    RDB_OPCODE_FUNCTION2 = 245,
    RDB_OPCODE_FUNCTION_PRE_GA = 246,
    RDB_OPCODE_MODULE_AUX = 247,
    RDB_OPCODE_IDLE = 248,
    RDB_OPCODE_FREQ = 249,
    RDB_OPCODE_AUX = 250,
    RDB_OPCODE_RESIZEDB = 251,
    RDB_OPCODE_EXPIRETIME_MS = 252,
    RDB_OPCODE_EXPIRETIME = 253,
    RDB_OPCODE_SELECTDB = 254,
    RDB_OPCODE_EOF = 255,
};

/* Length encoding: the top two bits of the first byte select the form. */
#define RDB_LEN_6BIT 0     /* 00xxxxxx */
#define RDB_LEN_14BIT 1    /* 01xxxxxx xxxxxxxx (big-endian) */
#define RDB_LEN_32BIT 0x80 /* 0x80 + 4 bytes big-endian */
#define RDB_LEN_64BIT 0x81 /* 0x81 + 8 bytes big-endian */
#define RDB_LEN_SPECIAL 3  /* 11xxxxxx: a special string encoding follows */
#define RDB_ENC_INT8 0     /* 0xC0 + 1 byte */
#define RDB_ENC_INT16 1    /* 0xC1 + 2 bytes LE */
#define RDB_ENC_INT32 2    /* 0xC2 + 4 bytes LE */
#define RDB_ENC_LZF 3      /* 0xC3 + compressed-len + plain-len + data */

/* Error codes (0 = success). */
enum rdb_err {
    RDB_ERR_IO = -1,          /* the writer's sink failed */
    RDB_ERR_CHECKSUM = -2,    /* CRC64 trailer does not match */
    RDB_ERR_TRUNCATED = -3,   /* the data ends early */
    RDB_ERR_FORMAT = -4,      /* malformed: bad magic, bad encoding, inconsistent sizes */
    RDB_ERR_UNSUPPORTED = -5, /* valid RDB we do not load: streams, modules, ziplists, ... */
    RDB_ERR_CALLBACK = -6,    /* a callback returned an error */
};

/* ---- writer ------------------------------------------------------------------------------- */

/* The writer batches small pieces into this many bytes before calling the sink; values larger
 * than the batch go to the sink directly, so memory stays bounded whatever is written. */
#define RDB_WRITER_BUF_BYTES (16 * 1024)

/* Sink: consume all n bytes, return 0, or -1 on failure (the writer then stays failed). */
typedef int (*rdb_sink_fn)(void *ctx, const void *p, size_t n);

/* Caller-embeddable state; treat the fields as private. */
struct rdb_writer {
    rdb_sink_fn sink;
    void *ctx;
    uint64_t crc;        /* CRC64 of every byte handed to the sink so far */
    uint64_t bytes_out;  /* bytes handed to the sink so far */
    uint64_t items_left; /* items still owed to the open collection */
    int open_type;       /* RDB_TYPE_* of the open collection, or -1 */
    int err;             /* sticky: 0 or RDB_ERR_IO */
    size_t used;         /* bytes batched in buf */
    unsigned char buf[RDB_WRITER_BUF_BYTES];

    /* Options (rdb_writer_set_options): LZF for strings longer than 20 bytes when it saves
     * space; a CRC64 trailer, or 8 zero bytes (rdbchecksum no). */
    bool is_compressed, is_checksummed;
    /* DUMP (rdb_writer_set_value_only): a key record is its type byte and value only. */
    bool is_value_only;
    /* Called before each key record (progress, the testing delay). */
    void (*on_key)(void *ctx);
    void *on_key_ctx;
    /* LZF output of a string that fits the batch. */
    unsigned char zbuf[RDB_WRITER_BUF_BYTES];
};

/* AUX fields written by rdb_write_header, as Redis writes them. */
struct rdb_aux {
    const char *redis_ver;  /* "redis-ver", e.g. "7.0.0"; NULL omits it */
    int64_t ctime_s;        /* "ctime": wall-clock unix seconds of the snapshot (caller's clock) */
    int64_t used_mem_bytes; /* "used-mem" */
    const char *repl_id;    /* "repl-id" (40 hex chars); NULL omits repl-stream-db/id/offset */
    int repl_stream_db;     /* "repl-stream-db": db selected in the replication stream */
    int64_t repl_offset;    /* "repl-offset": master_repl_offset the snapshot corresponds to */
    bool aof_base;          /* "aof-base": 1 when the snapshot is an AOF base */
};

/* Defaults: no compression, checksummed, no key hook (what full resync sends). */
void rdb_writer_init(struct rdb_writer *w, rdb_sink_fn sink, void *ctx);
/* rdbcompression / rdbchecksum (docs/persistence.md#snapshots). Call before the header. */
void rdb_writer_set_options(struct rdb_writer *w, bool is_compressed, bool is_checksummed);
/* DUMP payloads: key records without expiry and key name (the type byte, then the value). */
void rdb_writer_set_value_only(struct rdb_writer *w, bool is_value_only);
/* fn(ctx) runs before every key record is written (NULL: none). */
void rdb_writer_set_key_hook(struct rdb_writer *w, void (*fn)(void *ctx), void *ctx);

/* Every rdb_write_* returns 0, or RDB_ERR_IO once the sink has failed (sticky).
 * Call order: header, then per db select_db followed by its keys, then end. A collection is
 * begin(count) followed by exactly `count` items (pairs for hashes); anything else is a
 * programming error caught by ASSERT. expire_ms is an absolute unix time in ms, -1 for none.
 * Redis skips empty collections when loading (it never has any), so write count >= 1. */
int rdb_write_header(struct rdb_writer *w, const struct rdb_aux *aux);
int rdb_write_aux(struct rdb_writer *w, const char *key, const char *val, size_t vlen);
int rdb_write_select_db(struct rdb_writer *w, int db, uint64_t db_size, uint64_t expires_size);
/* Hand what is batched to the sink (a payload of records without header or trailer). */
int rdb_writer_flush(struct rdb_writer *w);
/* A FUNCTION library (Redis 7.0's FUNCTION2 record: its code), after the header. */
int rdb_write_function(struct rdb_writer *w, const char *code, size_t len);
int rdb_write_string(struct rdb_writer *w, const char *key, size_t klen, const char *val,
                     size_t vlen, int64_t expire_ms);
int rdb_write_list_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t count,
                         int64_t expire_ms);
int rdb_write_list_item(struct rdb_writer *w, const char *p, size_t n);
int rdb_write_set_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t count,
                        int64_t expire_ms);
int rdb_write_set_member(struct rdb_writer *w, const char *p, size_t n);
int rdb_write_hash_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t count,
                         int64_t expire_ms);
int rdb_write_hash_field(struct rdb_writer *w, const char *field, size_t flen, const char *val,
                         size_t vlen);
/* Scores must not be NaN (Redis refuses such files). */
int rdb_write_zset_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t count,
                         int64_t expire_ms);
int rdb_write_zset_member(struct rdb_writer *w, const char *member, size_t mlen, double score);
/* A value whose payload is one compact blob: RDB_TYPE_SET_INTSET, RDB_TYPE_HASH_LISTPACK or
 * RDB_TYPE_ZSET_LISTPACK (rdb_listpack.h builds them). Needs RDB version 10 readers. */
int rdb_write_blob(struct rdb_writer *w, int type, const char *key, size_t klen, const char *blob,
                   size_t n, int64_t expire_ms);
/* A list as quicklist-2: begin(nodes), then exactly `nodes` listpack blobs. */
int rdb_write_quicklist_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t nodes,
                              int64_t expire_ms);
int rdb_write_quicklist_node(struct rdb_writer *w, const char *blob, size_t n);
/* A stream (type STREAM_LISTPACKS_2): begin with the node count, then per node its master ID
 * and listpack, then (with the primitives below) length, last ID, first ID, max deleted ID,
 * entries added, the groups with their PELs and consumers, in Redis 7.0's order
 * (persist/rdb_stream.c writes it). */
int rdb_write_stream_begin(struct rdb_writer *w, const char *key, size_t klen, uint64_t nnodes,
                           int64_t expire_ms);
int rdb_write_stream_node(struct rdb_writer *w, uint64_t ms, uint64_t seq, const void *lp,
                          size_t n);
int rdb_write_len(struct rdb_writer *w, uint64_t v);
int rdb_write_lenstr(struct rdb_writer *w, const char *s, size_t n);
int rdb_write_raw_id(struct rdb_writer *w, uint64_t ms, uint64_t seq); /* 16 bytes, big-endian */
int rdb_write_ms_time(struct rdb_writer *w, int64_t ms);               /* 8 bytes, little-endian */
/* EOF opcode and CRC64 trailer, then flush. The snapshot is complete only if this returns 0. */
int rdb_write_end(struct rdb_writer *w);
/* Total bytes handed to the sink (after rdb_write_end: the whole file size). */
uint64_t rdb_writer_bytes(const struct rdb_writer *w);

/* ---- reader ------------------------------------------------------------------------------- */

enum rdb_value_type {
    RDB_VALUE_STRING,
    RDB_VALUE_LIST,
    RDB_VALUE_SET,
    RDB_VALUE_ZSET,
    RDB_VALUE_HASH,
    RDB_VALUE_STREAM,
};

/* A stream's counters (types 19 and 21 carry them all; type 15 only length and last ID). */
struct rdb_stream_meta {
    uint64_t length, last_ms, last_seq, first_ms, first_seq, maxdel_ms, maxdel_seq;
    uint64_t entries_added;
    bool has_v2;
};

struct rdb_key {
    const char *name;
    size_t len;
    int64_t expire_ms; /* absolute unix ms, -1 when the key has no TTL */
    int db;            /* database selected when the key was read */
    /* The value came in a compact encoding (intset, listpack set/zset/hash), not as a plain
     * collection. Redis 7.0 keeps such a value compact unless it holds more entries than the
     * configured limit, whatever its elements' lengths; a plain one is checked element by
     * element. Quicklist lists are not marked (every list is a quicklist). */
    bool is_compact;
};

/* Every callback may be NULL (that event is ignored). Return 0 to go on; anything else stops
 * the load, which then returns RDB_ERR_CALLBACK. A collection arrives as on_begin, its items
 * (on_item for lists and sets, on_hash_field, on_zset_member), then on_end. count_hint is the
 * element count announced by the file (0 when unknown), never more than the bytes left, so it
 * is safe for pre-sizing; it is not a promise. A collection can arrive empty: Redis skips such
 * keys, and so should the loader. Duplicate keys or members are the loader's business. */
struct rdb_callbacks {
    int (*on_aux)(void *ctx, const char *key, size_t klen, const char *val, size_t vlen);
    int (*on_select_db)(void *ctx, int db);
    int (*on_resize_db)(void *ctx, uint64_t db_size, uint64_t expires_size);
    int (*on_string)(void *ctx, const struct rdb_key *key, const char *val, size_t vlen);
    int (*on_begin)(void *ctx, const struct rdb_key *key, enum rdb_value_type type,
                    uint64_t count_hint);
    int (*on_item)(void *ctx, const char *p, size_t n);
    int (*on_hash_field)(void *ctx, const char *field, size_t flen, const char *val, size_t vlen);
    int (*on_zset_member)(void *ctx, const char *member, size_t mlen, double score);
    int (*on_end)(void *ctx);
    /* Called before each key with the offset of its record: the bytes consumed so far (for
     * a loader's progress and its cancellation checks). */
    int (*on_progress)(void *ctx, size_t offset);
    /* A FUNCTION library (Redis 7): its source code. */
    int (*on_function)(void *ctx, const char *code, size_t len);
    /* Streams (types 15, 19, 21): on_stream_begin, on_stream_node per listpack node (its master
     * ID and the listpack bytes), on_stream_meta, then per group on_stream_group, its NACKs
     * (on_stream_nack), its consumers (on_stream_consumer, each followed by the IDs of its
     * pending entries, on_stream_consumer_nack), then on_end. */
    int (*on_stream_begin)(void *ctx, const struct rdb_key *key);
    int (*on_stream_node)(void *ctx, uint64_t ms, uint64_t seq, const char *lp, size_t n);
    int (*on_stream_meta)(void *ctx, const struct rdb_stream_meta *m);
    int (*on_stream_group)(void *ctx, const char *name, size_t n, uint64_t ms, uint64_t seq,
                           int64_t entries_read);
    int (*on_stream_nack)(void *ctx, uint64_t ms, uint64_t seq, int64_t delivery_ms,
                          uint64_t count);
    int (*on_stream_consumer)(void *ctx, const char *name, size_t n, int64_t seen_ms);
    int (*on_stream_consumer_nack)(void *ctx, uint64_t ms, uint64_t seq);
};

/* Load a complete RDB held in memory. Checks the magic, version and CRC64 trailer BEFORE the
 * first callback (a trailer of 0 means "not checksummed", as Redis writes with rdbchecksum no),
 * then decodes and delivers every record. Returns 0 or a negative rdb_err, with a readable
 * reason in errbuf (may be NULL) that always names the byte offset where the problem lies,
 * e.g. "RDB CRC mismatch ...", "truncated RDB ...", "unknown RDB type 42 at offset 77". A
 * failure after the first callback (a malformed value under a valid checksum, or a callback
 * error) means the caller must discard what it received: load into a fresh keyspace and swap
 * it in only on success. Never crashes on any input. */
int rdb_load(const void *data, size_t len, const struct rdb_callbacks *cb, void *ctx, char *errbuf,
             size_t errcap);

/* Decode one value as a DUMP payload holds it: a type byte and the value, no key name (the key
 * passed to on_string/on_begin has length 0), no expiry. The caller checked the payload's
 * version and checksum and passes the whole payload: as Redis, the value may run into the
 * footer's bytes, and bytes after the value are ignored. Same errors and guarantees as
 * rdb_load (bounds-checked against len, never crashes). */
int rdb_load_value(const void *data, size_t len, const struct rdb_callbacks *cb, void *ctx,
                   char *errbuf, size_t errcap);

#endif
