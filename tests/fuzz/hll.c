/* Fuzz harness: HyperLogLog values (store/data/obj_hll.c). An HLL is a string any client can SET
 * and any RDB, AOF or full resync can deliver, so its decoder sees arbitrary bytes behind a valid
 * header. Input: byte 0 picks hll-sparse-max-bytes (x 16), the rest is the value. Every
 * operation must stay in bounds and answer 0 or an error code; a value whose opcodes are
 * well-formed counts the same before and after it is made dense. */
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "common/buf.h"
#include "common/util.h"
#include "store/data/obj_hll.h"

FUZZ_INIT_QUIET((void)0)

static struct obj_hll_regs regs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t max_bytes = (size_t)data[0] * 16;
    data++, size--;
    uint64_t card = 0, dense_card = 0;
    int counted = obj_hll_count(data, size, &card);
    obj_hll_regs_init(&regs);
    int merged = obj_hll_regs_merge(&regs, data, size);
    ASSERT(merged == 0 || merged == OBJ_HLL_ERR_INVALID || merged == OBJ_HLL_ERR_CORRUPT);
    struct buf h;
    buf_init(&h);
    buf_append(&h, data, size);
    int dense = obj_hll_to_dense(&h);
    if (dense == 0 && merged == 0) {
        ASSERT(h.len == OBJ_HLL_DENSE_BYTES);
        obj_hll_invalidate(h.data, h.len);
        ASSERT(obj_hll_count(h.data, h.len, &dense_card) == 0);
        ASSERT(dense_card == obj_hll_regs_count(&regs));
        if (counted == 0 && (data[15] & 0x80)) ASSERT(card == dense_card);
    }
    buf_clear(&h);
    buf_append(&h, data, size);
    for (uint32_t i = 0; i < 64; i++) {
        int rc = obj_hll_add(&h, &i, sizeof i, max_bytes);
        ASSERT(rc == 0 || rc == 1 || rc == OBJ_HLL_ERR_INVALID || rc == OBJ_HLL_ERR_CORRUPT);
        if (rc < 0) break;
    }
    if (obj_hll_validate(h.data, h.len) == 0) {
        struct buf text;
        buf_init(&text);
        obj_hll_sparse_text(h.data, h.len, &text);
        buf_free(&text);
    }
    buf_free(&h);
    return 0;
}
