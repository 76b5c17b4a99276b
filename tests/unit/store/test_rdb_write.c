/* Tests for store/rdb/rdb_write.c: the encoder. It is checked byte-exactly where the format is
 * fixed (integer string encodings, length prefixes), by round trip through the
 * (fixture-validated) decoder with a model dataset of every type, and under a failing sink.
 * test_rdb_redis.c has the real redis-server load the same model. Helpers: rdb_test_util.h. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "store/rdb/rdb.h"
#include "tests/unit/store/rdb_test_util.h"

static size_t sink_budget;
static int sink_limited(void *ctx, const void *p, size_t n)
{
    if (n > sink_budget) return -1;
    sink_budget -= n;
    return rdbt_sink_buf(ctx, p, n);
}

/* The string as a key-less value: what rdb_write_string emits after type and key "k". */
static void assert_string_bytes(const char *val, size_t vlen, const char *want, size_t wlen)
{
    struct buf b;
    buf_init(&b);
    struct rdb_writer *w = xmalloc(sizeof *w);
    rdb_writer_init(w, rdbt_sink_buf, &b);
    cr_assert_eq(rdb_write_string(w, "k", 1, val, vlen, -1), 0);
    cr_assert_eq(rdb_write_end(w), 0);
    cr_assert_eq(b.len, 3 + wlen + 1 + 8, "value %.*s: %zu bytes", (int)vlen, val, b.len);
    cr_assert_arr_eq(b.data + 3, want, wlen, "value %.*s", (int)vlen, val);
    free(w);
    buf_free(&b);
}
#define ASSERT_STR(val, lit) assert_string_bytes((val), strlen(val), (lit), sizeof(lit) - 1)

Test(rdb_write, uses_int_encodings_only_for_canonical_int32)
{
    ASSERT_STR("100", "\xc0\x64");
    ASSERT_STR("-128", "\xc0\x80");
    ASSERT_STR("0", "\xc0\x00");
    ASSERT_STR("-30000", "\xc1\xd0\x8a");
    ASSERT_STR("2000000000", "\xc2\x00\x94\x35\x77");
    ASSERT_STR("-2147483648", "\xc2\x00\x00\x00\x80");
    ASSERT_STR("2147483648", "\x0a"
                             "2147483648");
    ASSERT_STR("007", "\x03"
                      "007");
    ASSERT_STR("-0", "\x02"
                     "-0");
    ASSERT_STR("+1", "\x02"
                     "+1");
    ASSERT_STR("-", "\x01"
                    "-");
    ASSERT_STR("", "\x00");
    ASSERT_STR("1 ", "\x02"
                     "1 ");
}

Test(rdb_write, encodes_lengths_at_every_boundary)
{
    static const struct {
        uint64_t len;
        const char *bytes;
        size_t n;
    } cases[] = {
        {63, "\x3f", 1},
        {64, "\x40\x40", 2},
        {16383, "\x7f\xff", 2},
        {16384, "\x80\x00\x00\x40\x00", 5},
        {UINT32_MAX, "\x80\xff\xff\xff\xff", 5},
        {(uint64_t)UINT32_MAX + 1, "\x81\x00\x00\x00\x01\x00\x00\x00\x00", 9},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct buf b;
        buf_init(&b);
        struct rdb_writer *w = xmalloc(sizeof *w);
        rdb_writer_init(w, rdbt_sink_buf, &b);
        cr_assert_eq(rdb_write_select_db(w, 0, cases[i].len, 0), 0);
        cr_assert_eq(rdb_write_end(w), 0);
        /* FE 00 FB <len> 00 FF crc */
        cr_assert_eq(b.len, 3 + cases[i].n + 2 + 8);
        cr_assert_arr_eq(b.data + 3, cases[i].bytes, cases[i].n, "len %llu",
                         (unsigned long long)cases[i].len);
        free(w);
        buf_free(&b);
    }
}

Test(rdb_write, round_trips_every_type_through_the_decoder)
{
    struct buf out;
    buf_init(&out);
    struct model *m = rdbt_model_write(rdbt_sink_buf, &out, 70000);
    cr_assert_eq(rdb_writer_bytes(&m->w), out.len);
    cr_assert_arr_eq(out.data, "REDIS0009", 9);
    struct collect c;
    char err[256];
    cr_assert_eq(rdbt_collect_load(out.data, out.len, &c, err, sizeof err), 0, "%s", err);
    lines_assert_eq(&c.keys, &m->want);
    lines_sort(&c.aux);
    cr_assert_eq(c.aux.n, 8);
    cr_assert_str_eq(c.aux.v[4], "repl-id=0123456789abcdef0123456789abcdef01234567");
    cr_assert_str_eq(c.aux.v[5], "repl-offset=123456789012");
    rdbt_collect_free(&c);
    rdbt_model_free(m);
    buf_free(&out);
}

Test(rdb_write, keeps_exact_score_bits_when_zset_round_trips)
{
    static const double scores[] = {-0.0, 0.1, 4.9e-324, -1.7976931348623157e308, 1e-10};
    struct buf out;
    buf_init(&out);
    struct rdb_writer *w = xmalloc(sizeof *w);
    rdb_writer_init(w, rdbt_sink_buf, &out);
    struct rdb_aux aux = {.redis_ver = NULL};
    cr_assert_eq(rdb_write_header(w, &aux), 0);
    cr_assert_eq(rdb_write_select_db(w, 0, 1, 0), 0);
    cr_assert_eq(rdb_write_zset_begin(w, "z", 1, ARRAY_LEN(scores), -1), 0);
    for (size_t i = 0; i < ARRAY_LEN(scores); i++) {
        char member = (char)('a' + i);
        cr_assert_eq(rdb_write_zset_member(w, &member, 1, scores[i]), 0);
    }
    cr_assert_eq(rdb_write_end(w), 0);
    struct collect c;
    char err[256];
    cr_assert_eq(rdbt_collect_load(out.data, out.len, &c, err, sizeof err), 0, "%s", err);
    struct buf want;
    buf_init(&want);
    buf_append_str(&want, "0 zset -1 h:7a");
    for (size_t i = 0; i < ARRAY_LEN(scores); i++) {
        buf_printf(&want, " h:%02x", 'a' + (int)i);
        rdbt_canon_score(&want, scores[i]);
    }
    cr_assert_eq(c.keys.n, 1);
    cr_assert_str_eq(c.keys.v[0], want.data);
    rdbt_collect_free(&c);
    buf_free(&want);
    free(w);
    buf_free(&out);
}

Test(rdb_write, fails_sticky_when_sink_fails)
{
    for (size_t budget = 0; budget < 200; budget += 13) {
        struct buf out;
        buf_init(&out);
        struct rdb_writer *w = xmalloc(sizeof *w);
        rdb_writer_init(w, sink_limited, &out);
        sink_budget = budget;
        struct rdb_aux aux = {.redis_ver = "7.0.0"};
        rdb_write_header(w, &aux);
        char big[RDB_WRITER_BUF_BYTES + 10];
        memset(big, 'x', sizeof big);
        rdb_write_string(w, "k", 1, big, sizeof big, -1);
        cr_assert_eq(rdb_write_end(w), RDB_ERR_IO);
        cr_assert_eq(rdb_write_string(w, "k", 1, "v", 1, -1), RDB_ERR_IO);
        cr_assert_leq(out.len, budget);
        free(w);
        buf_free(&out);
    }
}

Test(rdb_write, survives_mutations_of_its_own_output)
{
    struct buf out;
    buf_init(&out);
    struct model *m = rdbt_model_write(rdbt_sink_buf, &out, 100);
    rdbt_fuzz_under_valid_crc(out.data, out.len, 1);
    rdbt_model_free(m);
    buf_free(&out);
}
