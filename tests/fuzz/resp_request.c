/* Fuzz harness: the request parser every vigil-store connection runs (common/resp_request.c,
 * resp_request_parse). The input is fed the way a connection sees it: in pieces whose sizes
 * come from the first byte, the buffer growing between calls with the command start kept, every
 * complete command consumed, parsing stopping at a sticky error (the store then closes the
 * connection). Checks the contract: consumed <= bytes available, each argument inside the
 * buffer or the parser's scratch, errors sticky until reset. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "common/resp.h"
#include "common/util.h"

/* Small limits so that "too big" paths are reachable with small inputs. */
static void small_limits(struct resp_limits *lim)
{
    resp_limits_default(lim);
    lim->max_bulk_len = 64;
    lim->max_multibulk_len = 16;
    lim->max_inline_len = 128;
}

static void check_args(const char *buf, size_t len, size_t argc, const struct resp_arg *argv)
{
    for (size_t i = 0; i < argc; i++) {
        ASSERT(argv[i].ptr != NULL || argv[i].len == 0);
        if (argv[i].ptr >= buf && argv[i].ptr <= buf + len)
            ASSERT(argv[i].len <= (size_t)(buf + len - argv[i].ptr));
        volatile char sink = 0;
        for (size_t j = 0; j < argv[i].len; j++) sink ^= argv[i].ptr[j]; /* ASan checks reads */
        (void)sink;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t step = (size_t)(data[0] % 16) + 1; /* 1..16 bytes arrive per read */
    bool use_small = data[0] & 0x80;
    data++;
    size--;
    struct resp_limits lim;
    small_limits(&lim);
    struct resp_request r;
    resp_request_init(&r, use_small ? &lim : NULL);
    /* The connection's query buffer: bytes arrive at the end, commands leave from the front. */
    /* Two buffers the unparsed bytes alternate between (a query buffer may move between calls:
     * the parser must keep offsets, never pointers). The unparsed window is copied to the END
     * of a buffer, so ASan sees any read past the bytes received so far. */
    char *bufs[2] = {malloc(size + 1), malloc(size + 1)};
    size_t start = 0, have = 0, calls = 0;
    int rc = RESP_INCOMPLETE;
    while (have < size || rc == RESP_OK) {
        if (rc != RESP_OK) have = MIN(size, have + step);
        size_t wlen = have - start;
        char *win = bufs[calls++ % 2] + (size + 1 - wlen);
        memcpy(win, data + start, wlen);
        size_t consumed = 0, argc = 0;
        struct resp_arg *argv = NULL;
        rc = resp_request_parse(&r, win, wlen, &consumed, &argc, &argv);
        if (rc == RESP_ERR) {
            ASSERT(resp_request_error(&r) != NULL);
            ASSERT(resp_request_parse(&r, win, wlen, &consumed, &argc, &argv) == RESP_ERR);
            break;
        }
        if (rc == RESP_OK) {
            ASSERT(consumed > 0 && consumed <= wlen);
            check_args(win, wlen, argc, argv);
            start += consumed;
        } else {
            ASSERT(consumed == 0 && argc == 0);
            (void)resp_request_bulk_remaining(&r);
            (void)resp_request_is_inline(&r);
        }
        if (rc != RESP_OK && have == size) break;
    }
    resp_request_free(&r);
    free(bufs[0]);
    free(bufs[1]);
    return 0;
}
