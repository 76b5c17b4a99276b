/* Tests for store/crc64: the published check value, agreement with a bit-at-a-time reference
 * implementation of the same parameters for every length, alignment and split point, so the
 * slice-by-8 tables and the byte-order handling are exercised. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "common/rng.h"
#include "store/rdb/crc64.h"

/* Straight from the definition: reflected, polynomial 0xad93d23594c935a9, init 0, no xorout. */
static uint64_t crc64_reference(uint64_t crc, const unsigned char *p, size_t n)
{
    const uint64_t poly = 0xad93d23594c935a9ULL;
    uint64_t rpoly = 0;
    for (int i = 0; i < 64; i++)
        if (poly & (1ULL << i)) rpoly |= 1ULL << (63 - i);
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (crc >> 1) ^ rpoly : crc >> 1;
    }
    return crc;
}

Test(crc64, check_value_when_123456789)
{
    cr_assert_eq(crc64_update(CRC64_INIT, "123456789", 9), 0xe9c6d914c4b8d9caULL);
}

Test(crc64, unchanged_when_empty_input)
{
    cr_assert_eq(crc64_update(0, "", 0), 0);
    cr_assert_eq(crc64_update(0x1234, NULL, 0), 0x1234);
}

Test(crc64, matches_reference_when_any_length_and_alignment)
{
    static unsigned char buf[600];
    struct rng r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)rng_next(&r);
    for (size_t align = 0; align < 8; align++) {
        for (size_t len = 0; len + align <= 300; len++) {
            uint64_t want = crc64_reference(0, buf + align, len);
            cr_assert_eq(crc64_update(0, buf + align, len), want, "align %zu len %zu", align, len);
        }
    }
}

Test(crc64, incremental_when_split_anywhere)
{
    static unsigned char buf[257];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 7 + 3);
    uint64_t whole = crc64_update(0, buf, sizeof buf);
    cr_assert_eq(whole, crc64_reference(0, buf, sizeof buf));
    for (size_t cut = 0; cut <= sizeof buf; cut++) {
        uint64_t c = crc64_update(0, buf, cut);
        c = crc64_update(c, buf + cut, sizeof buf - cut);
        cr_assert_eq(c, whole, "cut %zu", cut);
    }
    /* Byte by byte too. */
    uint64_t c = 0;
    for (size_t i = 0; i < sizeof buf; i++) c = crc64_update(c, buf + i, 1);
    cr_assert_eq(c, whole);
}

Test(crc64, differs_when_single_bit_flipped)
{
    static unsigned char buf[64];
    memset(buf, 'a', sizeof buf);
    uint64_t base = crc64_update(0, buf, sizeof buf);
    for (size_t bit = 0; bit < sizeof buf * 8; bit++) {
        buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        cr_assert_neq(crc64_update(0, buf, sizeof buf), base, "bit %zu", bit);
        buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
}

Test(crc64, matches_reference_when_large_buffer)
{
    size_t n = 1 << 20;
    unsigned char *buf = malloc(n);
    cr_assert_not_null(buf);
    struct rng r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)rng_next(&r);
    cr_assert_eq(crc64_update(0, buf, n), crc64_reference(0, buf, n));
    free(buf);
}
