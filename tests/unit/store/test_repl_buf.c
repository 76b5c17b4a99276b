/* Tests for store/repl_buf, the shared replication buffer: offsets continue across blocks,
 * readers at any held offset get exactly the stream's bytes through iovecs, trimming releases only
 * what every reader passed, skipping counts without storing, and a seeded random run of appends,
 * reads and trims compared with a model that keeps the whole stream. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "store/repl/repl_buf.h"

/* Gather the bytes from off to the end through repl_buf_iov. */
static size_t gather(const struct repl_buf *b, long long off, char *dst, size_t cap)
{
    size_t got = 0;
    for (;;) {
        struct iovec iov[4];
        size_t total;
        int n = repl_buf_iov(b, off, iov, 4, &total);
        cr_assert_geq(n, 0);
        if (n == 0) return got;
        for (int i = 0; i < n; i++) {
            cr_assert_leq(got + iov[i].iov_len, cap);
            memcpy(dst + got, iov[i].iov_base, iov[i].iov_len);
            got += iov[i].iov_len;
        }
        off += (long long)total;
    }
}

Test(repl_buf, empty_buffer_serves_only_its_next_offset)
{
    struct repl_buf b;
    repl_buf_init(&b, 101);
    cr_assert(repl_buf_holds(&b, 101));
    cr_assert_not(repl_buf_holds(&b, 100));
    struct iovec iov[2];
    size_t total;
    cr_assert_eq(repl_buf_iov(&b, 101, iov, 2, &total), 0);
    cr_assert_eq(repl_buf_iov(&b, 50, iov, 2, &total), -1);
    repl_buf_free(&b);
}

Test(repl_buf, append_across_blocks_keeps_offsets)
{
    struct repl_buf b;
    repl_buf_init(&b, 1);
    size_t n = REPL_BUF_BLOCK_BYTES * 2 + 123;
    char *data = malloc(n), *out = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (char)(i * 7);
    repl_buf_append(&b, data, 1000);
    repl_buf_append(&b, data + 1000, n - 1000);
    cr_assert_eq(b.next_off, 1 + (long long)n);
    cr_assert_eq(gather(&b, 1, out, n), n);
    cr_assert_eq(memcmp(out, data, n), 0);
    cr_assert_eq(gather(&b, 1 + 70000, out, n), n - 70000);
    cr_assert_eq(memcmp(out, data + 70000, n - 70000), 0);
    free(data);
    free(out);
    repl_buf_free(&b);
}

Test(repl_buf, trim_releases_only_what_the_slowest_reader_passed)
{
    struct repl_buf b;
    repl_buf_init(&b, 1);
    char block[REPL_BUF_BLOCK_BYTES];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 3; i++) repl_buf_append(&b, block, sizeof block);
    cr_assert_eq(b.nblocks, 3);
    repl_buf_trim(&b, 1 + REPL_BUF_BLOCK_BYTES + 5); /* inside the second block */
    cr_assert_eq(b.nblocks, 2);
    cr_assert(repl_buf_holds(&b, 1 + REPL_BUF_BLOCK_BYTES));
    cr_assert_not(repl_buf_holds(&b, REPL_BUF_BLOCK_BYTES));
    repl_buf_trim(&b, b.next_off); /* everyone caught up: one empty block is kept for reuse */
    cr_assert_eq(b.nblocks, 1);
    cr_assert_eq(b.bytes, 0);
    cr_assert(repl_buf_holds(&b, b.next_off));
    repl_buf_append(&b, "abc", 3);
    char out[8];
    cr_assert_eq(gather(&b, b.next_off - 3, out, sizeof out), 3);
    cr_assert_eq(memcmp(out, "abc", 3), 0);
    repl_buf_free(&b);
}

Test(repl_buf, skip_counts_without_storing)
{
    struct repl_buf b;
    repl_buf_init(&b, 1);
    repl_buf_append(&b, "hello", 5);
    repl_buf_skip(&b, 10);
    cr_assert_eq(b.next_off, 16);
    cr_assert_eq(b.bytes, 0);
    cr_assert_not(repl_buf_holds(&b, 1));
    cr_assert(repl_buf_holds(&b, 16));
    repl_buf_reset(&b, 500);
    cr_assert(repl_buf_holds(&b, 500));
    repl_buf_free(&b);
}

Test(repl_buf, random_appends_reads_and_trims_match_a_model)
{
    struct rng r;
    rng_seed(&r, 42);
    size_t cap = 4 * 1024 * 1024, len = 0;
    char *model = malloc(cap), *out = malloc(cap);
    struct repl_buf b;
    repl_buf_init(&b, 1);
    long long readers[3] = {1, 1, 1};
    for (int step = 0; step < 2000 && len < cap - 70000; step++) {
        size_t n = (size_t)(rng_next(&r) % 9000) + (step % 97 == 0 ? 70000 : 0);
        if (len + n > cap) break;
        for (size_t i = 0; i < n; i++) model[len + i] = (char)rng_next(&r);
        repl_buf_append(&b, model + len, n);
        len += n;
        int who = (int)(rng_next(&r) % 3);
        long long end = 1 + (long long)len;
        size_t got = gather(&b, readers[who], out, cap);
        cr_assert_eq(got, (size_t)(end - readers[who]));
        cr_assert_eq(memcmp(out, model + readers[who] - 1, got), 0);
        readers[who] = readers[who] + (long long)(rng_next(&r) % (got + 1));
        long long slowest = readers[0];
        for (int i = 1; i < 3; i++)
            if (readers[i] < slowest) slowest = readers[i];
        repl_buf_trim(&b, slowest);
        for (int i = 0; i < 3; i++) cr_assert(repl_buf_holds(&b, readers[i]));
    }
    free(model);
    free(out);
    repl_buf_free(&b);
}
