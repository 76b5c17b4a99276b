/* LZF decompression (store/rdb/lzf_decompress.c): literal runs, back references that overlap their
 * own output, and every malformed input refused without reading or writing out of bounds. */
#include <criterion/criterion.h>
#include <string.h>

#include "store/rdb/rdb.h"

Test(lzf, decodes_literals_and_overlapping_references)
{
    /* "abc" literal, then a back reference of 7 bytes at distance 3: "abcabcabca" */
    const char in[] = "\x02"
                      "abc"
                      "\xa0\x02";
    char out[10];
    cr_assert_eq(lzf_decompress(in, 6, out, 10), 0);
    cr_assert_arr_eq(out, "abcabcabca", 10);
    /* long reference: len 7 + extra byte 3 => 12 bytes, distance 1 */
    const char in2[] = "\x00"
                       "z"
                       "\xe0\x03\x00";
    char out2[13];
    cr_assert_eq(lzf_decompress(in2, 5, out2, 13), 0);
    cr_assert_arr_eq(out2, "zzzzzzzzzzzzz", 13);
}

Test(lzf, rejects_when_malformed)
{
    char out[16];
    cr_assert_eq(lzf_decompress("\x02"
                                "ab",
                                3, out, 16),
                 -1); /* literal runs past input */
    cr_assert_eq(lzf_decompress("\x02"
                                "abc",
                                4, out, 2),
                 -1); /* output too small */
    cr_assert_eq(lzf_decompress("\x00"
                                "a\x20\x05",
                                4, out, 16),
                 -1); /* reference before start */
    cr_assert_eq(lzf_decompress("\x00"
                                "a",
                                2, out, 3),
                 -1); /* output not filled */
    cr_assert_eq(lzf_decompress("\x00"
                                "a\xe0",
                                3, out, 16),
                 -1); /* cut reference */
    cr_assert_eq(lzf_decompress("", 0, out, 0), 0);
}
