/* obj_hll: HyperLogLog cardinality estimation (PFADD, PFCOUNT, PFMERGE) over byte strings,
 * in Redis 7.0's representation so that HLL values move between redis-server and vigil-store
 * (GET/SET, RDB, AOF, full resync) and give the same bytes and counts on both
 * (docs/persistence.md, "HyperLogLog values"). Little-endian:
 *
 *   offset  size   field
 *   0       4      magic "HYLL"
 *   4       1      encoding: 0 = dense, 1 = sparse
 *   5       3      unused (kept as found)
 *   8       8      cached cardinality; bit 7 of byte 15 set = stale (recompute on the next count)
 *   16      ...    registers
 *
 *   dense:  16384 registers of 6 bits = 12288 bytes; register i occupies bits [6i, 6i + 6) of
 *           the payload read as one little-endian bit stream (bit 0 = LSB of byte 0).
 *   sparse: run-length opcodes that cover exactly 16384 registers, in order:
 *             00xxxxxx            ZERO:  x + 1 zero registers (1..64)
 *             01xxxxxx yyyyyyyy   XZERO: (x << 8 | y) + 1 zero registers (1..16384)
 *             1vvvvvxx            VAL:   x + 1 registers (1..4) holding value v + 1 (1..32)
 *           A sparse HLL becomes dense when a register needs a value above 32 or an edit
 *           would make the whole string longer than hll-sparse-max-bytes. Dense never goes back.
 *
 * Elements are hashed with MurmurHash64A (seed 0xadc83b19). The low 14 bits pick a register;
 * the register keeps the maximum of (number of trailing zero bits of the remaining 50 bits) + 1.
 * Counting uses Ertl's improved estimator (2017).
 *
 * Two failure classes, as Redis: bytes without a valid header (magic, encoding, dense length)
 * are OBJ_HLL_ERR_INVALID (WRONGTYPE ...); a valid header over opcodes that do not cover the
 * registers is OBJ_HLL_ERR_CORRUPT (INVALIDOBJ ...), found when the opcodes are walked. No
 * input crashes or reads out of bounds. Old Vigil "VHLL" values are not HLLs (WRONGTYPE).
 * A struct buf holding an HLL uses data[0..len) with pos == 0. Pure: no I/O, no globals.
 */
#ifndef VIGIL_OBJ_HLL_H
#define VIGIL_OBJ_HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define OBJ_HLL_REGISTERS 16384
#define OBJ_HLL_HEADER_BYTES 16
#define OBJ_HLL_DENSE_BYTES (OBJ_HLL_HEADER_BYTES + OBJ_HLL_REGISTERS * 6 / 8)
#define OBJ_HLL_SPARSE_MAX_BYTES_DEFAULT 3000 /* hll-sparse-max-bytes, whole string */
#define OBJ_HLL_SPARSE_MAX_VALUE 32
#define OBJ_HLL_HASH_SEED 0xadc83b19ULL

#define OBJ_HLL_ERR_INVALID (-1)
#define OBJ_HLL_ERR_CORRUPT (-2)
#define OBJ_HLL_ERR_INVALID_MSG "WRONGTYPE Key is not a valid HyperLogLog string value."
#define OBJ_HLL_ERR_CORRUPT_MSG "INVALIDOBJ Corrupted HLL object detected"

/* Replace out's contents with an empty (sparse) HLL whose cache is valid (0). */
void obj_hll_create(struct buf *out);
/* 0 if the header is an HLL's, else OBJ_HLL_ERR_INVALID (sparse opcodes are not walked). */
int obj_hll_validate(const void *p, size_t len);
/* True for a valid header with the sparse encoding. */
bool obj_hll_is_sparse(const void *p, size_t len);
/* Mark the cached cardinality stale (only the top bit changes, as Redis). */
void obj_hll_invalidate(void *p, size_t len);

/* PFADD one element: 1 if a register changed (the cache is then stale), 0 if not, or
 * OBJ_HLL_ERR_INVALID / OBJ_HLL_ERR_CORRUPT. A sparse HLL may grow or turn dense (its string
 * is then longer than sparse_max_bytes); a dense one keeps its length. */
int obj_hll_add(struct buf *hll, const void *elem, size_t len, size_t sparse_max_bytes);
/* Raise register index to value (no change if it is already >= value); as obj_hll_add. */
int obj_hll_set(struct buf *hll, uint32_t index, uint8_t value, size_t sparse_max_bytes);
/* Replace a sparse hll with the dense form of its registers: 0 or an error (dense: no-op). */
int obj_hll_to_dense(struct buf *hll);

/* PFCOUNT of one key, read-only: uses the cached value when valid. 0 or an error. */
int obj_hll_count(const void *p, size_t len, uint64_t *card);
/* PFCOUNT of one key that refreshes a stale cache in place (same length): 1 if the cache was
 * written (the string changed), 0 if it was already valid, or an error. */
int obj_hll_count_cached(void *p, size_t len, uint64_t *card);

/* Register-wise maximum of several HLLs: PFCOUNT of many keys and PFMERGE. */
struct obj_hll_regs {
    uint8_t registers[OBJ_HLL_REGISTERS];
    bool any_dense; /* some input was dense: PFMERGE makes the destination dense */
};
void obj_hll_regs_init(struct obj_hll_regs *regs);
/* Fold one HLL in: 0 or an error (regs may be partly updated on OBJ_HLL_ERR_CORRUPT). */
int obj_hll_regs_merge(struct obj_hll_regs *regs, const void *hll, size_t len);
uint64_t obj_hll_regs_count(const struct obj_hll_regs *regs);
/* PFMERGE's write: dst holds the destination HLL (an existing one, or obj_hll_create's). It
 * turns dense if an input was, takes every non-zero register in index order, and its cache
 * becomes stale. 0 or an error. */
int obj_hll_regs_store(const struct obj_hll_regs *regs, struct buf *dst, size_t sparse_max_bytes);

/* PFDEBUG DECODE: the sparse opcodes as text ("z:<n>", "Z:<n>", "v:<value>,<n>", spaces
 * between), appended to out; walks to the end of the string without checking coverage. */
void obj_hll_sparse_text(const void *p, size_t len, struct buf *out);

/* Register value of a valid HLL (PFDEBUG GETREG and tests): 0..63, or an error. */
int obj_hll_get_register(const void *p, size_t len, uint32_t index);

/* MurmurHash64A (Austin Appleby), little-endian block loads; and the element hash. */
uint64_t obj_hll_murmur64a(const void *p, size_t len, uint64_t seed);
uint64_t obj_hll_hash(const void *p, size_t len);

#endif
