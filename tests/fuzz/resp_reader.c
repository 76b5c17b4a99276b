/* Fuzz harness: the RESP2/RESP3 value reader (common/resp_reader.c) that reads replies from
 * servers (the sentinel's links, vigilctl, the replica's handshake). The input is fed in pieces
 * whose sizes come from the first byte; every complete value is walked (so ASan sees each byte
 * the reader hands out), and a sticky error ends the run. The second byte picks the depth limit
 * (1..8) so the depth checks are reachable. */
#include <stdint.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"
#include "common/resp.h"
#include "common/util.h"

static size_t walk(const struct resp_value *v, int depth)
{
    ASSERT(depth < 64);
    size_t n = 1;
    volatile char sink = 0;
    for (size_t i = 0; v->str && i < v->len; i++) sink ^= v->str[i];
    (void)sink;
    switch (v->type) {
    case RESP_T_ARRAY:
    case RESP_T_SET:
    case RESP_T_PUSH:
    case RESP_T_MAP:
    case RESP_T_ATTRIBUTE:
        for (size_t i = 0; i < v->count; i++) n += walk(&v->elems[i], depth + 1);
        break;
    default:
        break;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t step = (size_t)(data[0] % 32) + 1;
    struct resp_limits lim;
    resp_limits_default(&lim);
    lim.max_depth = data[1] % 8 + 1;
    if (data[0] & 0x80) {
        lim.max_bulk_len = 64;
        lim.max_multibulk_len = 16;
        lim.max_inline_len = 128;
    }
    data += 2;
    size -= 2;
    struct resp_reader *r = resp_reader_create(&lim);
    size_t off = 0;
    for (;;) {
        struct resp_value *v = NULL;
        int rc = resp_reader_next(r, &v);
        if (rc == RESP_OK) {
            ASSERT(v != NULL);
            walk(v, 0);
            continue;
        }
        if (rc == RESP_ERR) {
            ASSERT(resp_reader_error(r) != NULL);
            ASSERT(resp_reader_pending(r) == 0);
            break;
        }
        if (off == size) {
            size_t pending = resp_reader_pending(r);
            if (pending) {
                (void)resp_reader_pending_data(r);
                resp_reader_discard(r, pending / 2 + 1 > pending ? pending : pending / 2 + 1);
            }
            break;
        }
        size_t n = MIN(step, size - off);
        resp_reader_feed(r, (const char *)data + off, n);
        off += n;
    }
    resp_reader_destroy(r);
    return 0;
}
