/* Tests for store/rdb/rdb_listpack: entry encodings byte for byte as redis-server 7.0 writes
 * them (the bytes below come from its DUMP replies), the back-length at every size boundary
 * (decoded again by rdb_read.c, which accepts only well-formed entries), score texts, and the
 * intset layout. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/buf.h"
#include "store/rdb/rdb.h"
#include "store/rdb/rdb_listpack.h"

static void append_all(struct rdb_lp *lp, const char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++) rdb_lp_append(lp, items[i], strlen(items[i]));
}

Test(rdb_listpack, bytes_equal_redis_for_a_small_list)
{
    /* RPUSH l a b 1 300 -5 70000 on redis-server 7.0: the quicklist node's listpack */
    static const unsigned char redis[] = {0x1a, 0x00, 0x00, 0x00, 0x06, 0x00, 0x81, 0x61, 0x02,
                                          0x81, 0x62, 0x02, 0x01, 0x01, 0xc1, 0x2c, 0x02, 0xdf,
                                          0xfb, 0x02, 0xf2, 0x70, 0x11, 0x01, 0x04, 0xff};
    static const char *const items[] = {"a", "b", "1", "300", "-5", "70000"};
    struct rdb_lp lp;
    size_t n;
    rdb_lp_init(&lp);
    append_all(&lp, items, 6);
    cr_assert_eq(rdb_lp_bytes(&lp), sizeof redis);
    const char *blob = rdb_lp_finish(&lp, &n);
    cr_assert_eq(n, sizeof redis);
    cr_assert(memcmp(blob, redis, n) == 0);
    rdb_lp_free(&lp);
}

Test(rdb_listpack, integers_take_the_narrowest_encoding_and_text_stays_text)
{
    static const struct {
        const char *s;
        unsigned char first;
        size_t entry; /* encoding + data + back-length */
    } cases[] = {
        {"0", 0x00, 2},
        {"127", 0x7f, 2},
        {"128", 0xc0, 3},
        {"-4096", 0xd0, 3},
        {"4096", 0xf1, 4},
        {"-32769", 0xf2, 5},
        {"8388608", 0xf3, 6},
        {"2147483648", 0xf4, 10},
        {"007", 0x83, 5},
        {"+5", 0x82, 4},
        {"-0", 0x82, 4},
        {"", 0x80, 2},
        {"9223372036854775808", 0x93, 21},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rdb_lp lp;
        size_t n;
        rdb_lp_init(&lp);
        rdb_lp_append(&lp, cases[i].s, strlen(cases[i].s));
        const unsigned char *b = (const unsigned char *)rdb_lp_finish(&lp, &n);
        cr_assert_eq(b[6], cases[i].first, "%s: first byte %#x", cases[i].s, b[6]);
        cr_assert_eq(n, 7 + cases[i].entry, "%s: %zu bytes", cases[i].s, n);
        rdb_lp_free(&lp);
    }
}

struct collect {
    size_t n, total;
};

static int on_item(void *ctx, const char *p, size_t n)
{
    struct collect *c = ctx;
    (void)p;
    c->n++;
    c->total += n;
    return 0;
}

/* A quicklist-2 value payload holding one listpack node, decoded by the reader. */
static int decode_node(const char *blob, size_t n, struct collect *c)
{
    struct buf b;
    buf_init(&b);
    unsigned char head[] = {RDB_TYPE_LIST_QUICKLIST_2, 1, RDB_QUICKLIST_PACKED, 0x80, 0, 0, 0, 0};
    head[4] = (unsigned char)(n >> 24);
    head[5] = (unsigned char)(n >> 16);
    head[6] = (unsigned char)(n >> 8);
    head[7] = (unsigned char)n;
    buf_append(&b, head, sizeof head);
    buf_append(&b, blob, n);
    struct rdb_callbacks cb = {.on_item = on_item};
    int rc = rdb_load_value(b.data, b.len, &cb, c, NULL, 0);
    buf_free(&b);
    return rc;
}

Test(rdb_listpack, back_lengths_decode_at_every_size_boundary)
{
    static const size_t lens[] = {0,    62,   63,    64,    125,   126,   127,  4094,
                                  4095, 4096, 16376, 16377, 16378, 16379, 70000};
    struct rdb_lp lp;
    rdb_lp_init(&lp);
    size_t total = 0;
    char *s = malloc(70000);
    memset(s, 'x', 70000);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        rdb_lp_append(&lp, s, lens[i]);
        total += lens[i];
    }
    size_t n;
    const char *blob = rdb_lp_finish(&lp, &n);
    struct collect c = {0};
    cr_assert_eq(decode_node(blob, n, &c), 0);
    cr_assert_eq(c.n, sizeof lens / sizeof lens[0]);
    cr_assert_eq(c.total, total);
    free(s);
    rdb_lp_free(&lp);
}

Test(rdb_listpack, scores_are_integers_when_integral_else_17_digits)
{
    static const struct {
        double score;
        const char *text;
    } cases[] = {{1, "1"},
                 {-0.0, "0"},
                 {2.5, "2.5"},
                 {0.1, "0.10000000000000001"},
                 {4503599627370495.0, "4503599627370495"},
                 {4503599627370496.0, "4503599627370496"},
                 {1e20, "1e+20"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rdb_lp a, b;
        size_t na, nb;
        rdb_lp_init(&a);
        rdb_lp_init(&b);
        rdb_lp_append_score(&a, cases[i].score);
        rdb_lp_append(&b, cases[i].text, strlen(cases[i].text));
        const char *pa = rdb_lp_finish(&a, &na), *pb = rdb_lp_finish(&b, &nb);
        cr_assert(na == nb && memcmp(pa, pb, na) == 0, "score %.17g", cases[i].score);
        rdb_lp_free(&a);
        rdb_lp_free(&b);
    }
}

Test(rdb_listpack, intset_layout_is_width_length_values_little_endian)
{
    static const unsigned char redis[] = {0x04, 0, 0,    0, 0x03, 0, 0,    0,    0x01, 0,
                                          0,    0, 0x02, 0, 0,    0, 0x70, 0x11, 0x01, 0};
    int64_t vals[] = {1, 2, 70000};
    struct buf b;
    buf_init(&b);
    rdb_intset_build(&b, 4, vals, 3);
    cr_assert_eq(b.len, sizeof redis);
    cr_assert(memcmp(b.data, redis, b.len) == 0);
    buf_free(&b);
}
