/* obj_hll: HyperLogLog cardinality estimation (PFADD, PFCOUNT, PFMERGE) over byte strings.
 *
 * An HLL is an ordinary string value, so GET/SET/DUMP-like copies round-trip it. The layout is
 * Vigil's own (not Redis's), little-endian:
 *
 *   offset  size   field
 *   0       4      magic "VHLL"
 *   4       1      encoding: 0 = dense, 1 = sparse
 *   5       3      reserved, zero
 *   8       8      cached cardinality; bit 63 set = stale (recompute on the next count)
 *   16      ...    registers
 *
 *   dense:  16384 registers of 6 bits = 12288 bytes; register i occupies bits [6i, 6i + 6) of
 *           the payload read as one little-endian bit stream (bit 0 = LSB of byte 0).
 *   sparse: run-length opcodes that cover exactly 16384 registers, in order:
 *             0xxxxxxx            x + 1 zero registers (1..128)
 *             10xxxxxx yyyyyyyy   (x << 8 | y) + 1 zero registers (1..16384)
 *             11vvvvvr            r + 1 registers (1..2) holding value v + 1 (1..32)
 *           A sparse HLL becomes dense when a register needs a value above 32 or the payload
 *           would exceed OBJ_HLL_SPARSE_MAX_BYTES. Dense never goes back.
 *
 * Elements are hashed with a 64-bit MurmurHash64A-style hash (fixed seed: the hash is part of
 * the stored format and must never change). The low 14 bits pick a register; the register keeps
 * the maximum of (number of trailing zero bits of the remaining 50 bits) + 1. Counting uses
 * Ertl's improved estimator (2017), standard error about 1.04 / sqrt(16384) = 0.81%.
 *
 * Every function validates its input first: bytes that are not a well-formed HLL give
 * OBJ_HLL_ERR_INVALID (reply OBJ_HLL_ERR_INVALID_MSG) and never crash or read out of bounds.
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
#define OBJ_HLL_SPARSE_MAX_BYTES 3000 /* payload limit, as Redis's hll-sparse-max-bytes */
#define OBJ_HLL_SPARSE_MAX_VALUE 32

#define OBJ_HLL_ERR_INVALID (-1)
#define OBJ_HLL_ERR_INVALID_MSG "WRONGTYPE Key is not a valid HyperLogLog string value."

/* Replace out's contents with an empty (sparse) HLL. */
void obj_hll_create(struct buf *out);
/* 0 if the bytes are a well-formed HLL, else OBJ_HLL_ERR_INVALID. */
int obj_hll_validate(const void *p, size_t len);
/* For OBJECT-like introspection and tests; false for invalid bytes. */
bool obj_hll_is_sparse(const void *p, size_t len);

/* PFADD one element: 1 if a register changed (the key was modified), 0 if not, or
 * OBJ_HLL_ERR_INVALID. May change hll->len (sparse growth, promotion to dense). */
int obj_hll_add(struct buf *hll, const void *elem, size_t len);

/* PFCOUNT of one key, read-only: uses the cached value when valid. 0 or OBJ_HLL_ERR_INVALID. */
int obj_hll_count(const void *p, size_t len, uint64_t *card);
/* PFCOUNT of one key that may refresh the cache in place (same length): returns 1 if the cache
 * was written (the string changed), 0 if it was already valid, or OBJ_HLL_ERR_INVALID. */
int obj_hll_count_cached(void *p, size_t len, uint64_t *card);

/* Register-wise maximum of several HLLs: PFCOUNT of many keys and PFMERGE. */
struct obj_hll_regs {
    uint8_t registers[OBJ_HLL_REGISTERS];
    bool any_dense; /* some input was dense: PFMERGE stores a dense result */
};
void obj_hll_regs_init(struct obj_hll_regs *regs);
/* Fold one HLL in: 0 or OBJ_HLL_ERR_INVALID (regs unchanged). */
int obj_hll_regs_merge(struct obj_hll_regs *regs, const void *hll, size_t len);
uint64_t obj_hll_regs_count(const struct obj_hll_regs *regs);
/* Replace out's contents with an HLL holding these registers: sparse when no input was dense
 * and it fits, dense otherwise; the cached cardinality is stale. */
void obj_hll_regs_store(const struct obj_hll_regs *regs, struct buf *out);

/* The element hash (exposed for tests). */
uint64_t obj_hll_hash(const void *p, size_t len);

#endif
