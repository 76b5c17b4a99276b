/* LZF strings inside an RDB (string encoding 0xC3), decoded by rdb_read.c through Debian's
 * liblzf: literal runs, back references that overlap their own output, and every malformed
 * input refused with the offset of its record, never read or written out of bounds. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/buf.h"
#include "store/rdb/crc64.h"
#include "store/rdb/rdb.h"

/* An RDB holding one string key "k" whose value is LZF data `in` announced as ulen bytes. */
static void build_rdb(struct buf *b, const char *in, size_t in_len, size_t ulen)
{
    buf_init(b);
    buf_append_str(b, "REDIS0009");
    const unsigned char head[] = {0x00, 0x01, 'k', 0xC3};
    buf_append(b, head, sizeof head);
    unsigned char lens[2] = {(unsigned char)in_len, (unsigned char)ulen}; /* both < 64 */
    buf_append(b, lens, 2);
    buf_append(b, in, in_len);
    buf_append(b, "\xff", 1);
    uint64_t crc = crc64_update(CRC64_INIT, b->data, b->len);
    unsigned char t[8];
    for (int i = 0; i < 8; i++) t[i] = (unsigned char)(crc >> (8 * i));
    buf_append(b, t, 8);
}

static char got[64];
static size_t got_len;

static int on_string(void *ctx, const struct rdb_key *k, const char *v, size_t n)
{
    (void)ctx;
    (void)k;
    memcpy(got, v, n < sizeof got ? n : sizeof got);
    got_len = n;
    return 0;
}

static int load(const char *in, size_t in_len, size_t ulen, char *err, size_t errlen)
{
    struct buf b;
    build_rdb(&b, in, in_len, ulen);
    struct rdb_callbacks cb = {.on_string = on_string};
    got_len = 0;
    int rc = rdb_load(b.data, b.len, &cb, NULL, err, errlen);
    buf_free(&b);
    return rc;
}

Test(lzf, decodes_literals_and_overlapping_references)
{
    char err[256];
    /* "abc" literal, then a back reference of 7 bytes at distance 3: "abcabcabca" */
    cr_assert_eq(load("\x02"
                      "abc"
                      "\xa0\x02",
                      6, 10, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(got_len, 10);
    cr_assert_arr_eq(got, "abcabcabca", 10);
    /* long reference: len 7 + extra byte 3 => 12 bytes, distance 1 */
    cr_assert_eq(load("\x00"
                      "z"
                      "\xe0\x03\x00",
                      5, 13, err, sizeof err),
                 0, "%s", err);
    cr_assert_arr_eq(got, "zzzzzzzzzzzzz", 13);
}

Test(lzf, rejects_when_malformed_naming_the_offset)
{
    static const struct {
        const char *in;
        size_t in_len, ulen;
    } bad[] = {
        {"\x02"
         "ab",
         3, 16}, /* literal runs past input */
        {"\x02"
         "abc",
         4, 2}, /* output too small */
        {"\x00"
         "a\x20\x05",
         4, 16}, /* reference before start */
        {"\x00"
         "a",
         2, 3}, /* output not filled */
        {"\x00"
         "a\xe0",
         3, 16}, /* cut reference */
        {"\x00"
         "a",
         2, 0}, /* nothing announced */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256];
        int rc = load(bad[i].in, bad[i].in_len, bad[i].ulen, err, sizeof err);
        cr_assert_neq(rc, 0, "case %zu", i);
        cr_assert_eq(got_len, 0, "case %zu delivered a value", i);
        cr_assert(strstr(err, "offset"), "case %zu: %s", i, err);
    }
}
