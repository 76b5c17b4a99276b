/* Tests for store/backlog: Redis offset semantics (first_byte_offset, histlen, PSYNC's "next
 * byte wanted"), wrap-around, appends larger than the ring, resize keeping the newest bytes,
 * and a seeded random run compared byte for byte against a model that keeps the whole stream. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "store/repl/backlog.h"

/* Read everything from `offset` to the end through backlog_read in chunks of `chunk`. */
static size_t read_all(const struct backlog *b, int64_t offset, char *dst, size_t cap, size_t chunk)
{
    size_t total = 0;
    for (;;) {
        size_t n = 0;
        cr_assert_eq(
            backlog_read(b, offset, dst + total, chunk < cap - total ? chunk : cap - total, &n), 0);
        if (n == 0) return total;
        total += n;
        offset += (int64_t)n;
    }
}

Test(backlog, info_fields_when_new)
{
    struct backlog *b = backlog_create(16, 0);
    cr_assert_eq(backlog_size(b), 16);
    cr_assert_eq(backlog_repl_offset(b), 0);
    cr_assert_eq(backlog_first_byte_offset(b), 1);
    cr_assert_eq(backlog_histlen(b), 0);
    cr_assert(backlog_can_serve(b, 1)); /* caught up: nothing to send */
    cr_assert_not(backlog_can_serve(b, 0));
    cr_assert_not(backlog_can_serve(b, 2));
    struct backlog_span s[2];
    cr_assert_eq(backlog_spans_from(b, 1, s), 0);
    backlog_destroy(b);
}

Test(backlog, starts_after_offset_when_created_mid_stream)
{
    struct backlog *b = backlog_create(8, 1000);
    cr_assert_eq(backlog_first_byte_offset(b), 1001);
    cr_assert(backlog_can_serve(b, 1001));
    cr_assert_not(backlog_can_serve(b, 1000));
    backlog_append(b, "abc", 3);
    cr_assert_eq(backlog_repl_offset(b), 1003);
    cr_assert_eq(backlog_first_byte_offset(b), 1001);
    char out[8];
    size_t n;
    cr_assert_eq(backlog_read(b, 1002, out, sizeof out, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_arr_eq(out, "bc", 2);
    backlog_destroy(b);
}

Test(backlog, edge_offsets_when_full_and_wrapped)
{
    struct backlog *b = backlog_create(10, 0);
    backlog_append(b, "0123456789ABCDE", 15); /* bytes 1..15, ring holds 6..15 = "56789ABCDE" */
    cr_assert_eq(backlog_histlen(b), 10);
    cr_assert_eq(backlog_first_byte_offset(b), 6);
    cr_assert_eq(backlog_repl_offset(b), 15);
    cr_assert_not(backlog_can_serve(b, 5));
    cr_assert(backlog_can_serve(b, 6));
    cr_assert(backlog_can_serve(b, 15));
    cr_assert(backlog_can_serve(b, 16));
    cr_assert_not(backlog_can_serve(b, 17));
    cr_assert_not(backlog_can_serve(b, -1));
    cr_assert_not(backlog_can_serve(b, INT64_MAX));
    cr_assert_not(backlog_can_serve(b, INT64_MIN));
    backlog_append(b, "FGH", 3); /* wraps: 9..18 = "89ABCDEFGH" */
    char out[16];
    cr_assert_eq(read_all(b, 9, out, sizeof out, 16), 10);
    cr_assert_arr_eq(out, "89ABCDEFGH", 10);
    struct backlog_span s[2];
    cr_assert_eq(backlog_spans_from(b, 9, s), 2);
    cr_assert_eq(s[0].len + s[1].len, 10);
    cr_assert_eq(backlog_spans_from(b, 18, s), 1);
    cr_assert_eq(s[0].len, 1);
    cr_assert_eq(s[0].bytes[0], 'H');
    cr_assert_eq(backlog_spans_from(b, 19, s), 0);
    cr_assert_eq(backlog_spans_from(b, 8, s), -1);
    size_t n = 99;
    cr_assert_eq(backlog_read(b, 8, out, sizeof out, &n), -1);
    cr_assert_eq(n, 99);
    backlog_destroy(b);
}

Test(backlog, keeps_tail_when_append_larger_than_ring)
{
    struct backlog *b = backlog_create(4, 0);
    backlog_append(b, "xy", 2);
    backlog_append(b, "abcdefghij", 10);
    cr_assert_eq(backlog_repl_offset(b), 12);
    cr_assert_eq(backlog_histlen(b), 4);
    cr_assert_eq(backlog_first_byte_offset(b), 9);
    char out[8];
    cr_assert_eq(read_all(b, 9, out, sizeof out, 3), 4);
    cr_assert_arr_eq(out, "ghij", 4);
    backlog_append(b, "k", 1);
    cr_assert_eq(read_all(b, 10, out, sizeof out, 1), 4);
    cr_assert_arr_eq(out, "hijk", 4);
    backlog_destroy(b);
}

Test(backlog, nothing_changes_when_empty_append)
{
    struct backlog *b = backlog_create(4, 5);
    backlog_append(b, NULL, 0);
    cr_assert_eq(backlog_repl_offset(b), 5);
    cr_assert_eq(backlog_histlen(b), 0);
    backlog_destroy(b);
}

Test(backlog, keeps_newest_bytes_when_resized)
{
    struct backlog *b = backlog_create(8, 0);
    backlog_append(b, "0123456789", 10); /* holds 3..10 = "23456789", wrapped */
    backlog_resize(b, 5);
    cr_assert_eq(backlog_size(b), 5);
    cr_assert_eq(backlog_histlen(b), 5);
    cr_assert_eq(backlog_first_byte_offset(b), 6);
    cr_assert_eq(backlog_repl_offset(b), 10);
    char out[32];
    cr_assert_eq(read_all(b, 6, out, sizeof out, 32), 5);
    cr_assert_arr_eq(out, "56789", 5);
    backlog_append(b, "ab", 2);
    cr_assert_eq(read_all(b, 8, out, sizeof out, 32), 5);
    cr_assert_arr_eq(out, "789ab", 5);
    backlog_resize(b, 20); /* growing keeps all history, room for more */
    cr_assert_eq(backlog_histlen(b), 5);
    backlog_append(b, "cdefghij", 8);
    cr_assert_eq(backlog_histlen(b), 13);
    cr_assert_eq(read_all(b, 8, out, sizeof out, 4), 13);
    cr_assert_arr_eq(out, "789abcdefghij", 13);
    backlog_resize(b, 20); /* same size: no-op */
    cr_assert_eq(backlog_histlen(b), 13);
    backlog_destroy(b);
}

Test(backlog, forgets_history_when_reset)
{
    struct backlog *b = backlog_create(8, 0);
    backlog_append(b, "hello", 5);
    backlog_reset(b, 777);
    cr_assert_eq(backlog_repl_offset(b), 777);
    cr_assert_eq(backlog_histlen(b), 0);
    cr_assert_eq(backlog_first_byte_offset(b), 778);
    cr_assert_not(backlog_can_serve(b, 5));
    cr_assert(backlog_can_serve(b, 778));
    backlog_append(b, "z", 1);
    char c;
    size_t n;
    cr_assert_eq(backlog_read(b, 778, &c, 1, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(c, 'z');
    backlog_destroy(b);
}

/* Random appends, resizes and reads, checked against the whole stream kept in `model`. */
Test(backlog, matches_model_when_random_operations)
{
    struct rng r;
    rng_seed(&r, 20240601);
    size_t cap = 1 << 20, len = 0;
    char *model = malloc(cap), *out = malloc(4096);
    cr_assert(model && out);
    size_t size = 97;
    struct backlog *b = backlog_create(size, 0);
    for (int step = 0; step < 4000 && len + 400 < cap; step++) {
        uint64_t op = rng_below(&r, 20);
        if (op == 0) {
            size = 1 + rng_below(&r, 300);
            backlog_resize(b, size);
        } else {
            size_t n = rng_below(&r, op == 1 ? 400 : 40);
            for (size_t i = 0; i < n; i++) model[len + i] = (char)rng_next(&r);
            backlog_append(b, model + len, n);
            len += n;
        }
        size_t hist = backlog_histlen(b);
        cr_assert_eq(backlog_repl_offset(b), (int64_t)len);
        cr_assert_leq(hist, size);
        cr_assert_eq(backlog_first_byte_offset(b), (int64_t)(len - hist + 1));
        int64_t from = (int64_t)(len - hist + 1) + (int64_t)rng_below(&r, hist + 1);
        size_t got = read_all(b, from, out, 4096, 1 + rng_below(&r, 64));
        cr_assert_eq(got, len - (size_t)from + 1);
        cr_assert_arr_eq(out, model + from - 1, got, "step %d", step);
        cr_assert_not(backlog_can_serve(b, (int64_t)(len - hist)));
    }
    backlog_destroy(b);
    free(model);
    free(out);
}
