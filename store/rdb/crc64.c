/* crc64: slice-by-8 implementation of the reflected CRC-64/Jones used by RDB trailers.
 *
 * How it works: a reflected CRC processes the message least-significant bit first, so the
 * register shifts right and the (bit-reversed) polynomial is xored in whenever a 1 falls off
 * the low end. table[0][b] is the effect of one byte b on a zero register. Slice-by-8 extends
 * that to eight bytes at a time: table[k][b] is the effect of byte b followed by k zero bytes,
 * so xoring eight lookups advances the register by a whole 64-bit word. Bytes are always
 * loaded little-endian, which matches the reflected bit order on every host.
 *
 * Invariant: the tables are filled exactly once, by a constructor that runs before main() (and
 * therefore before any fork), and are read-only afterwards. crc64_update also checks a flag
 * and builds them itself if it ever runs first (e.g. from another constructor), so it is never
 * wrong, only occasionally one-off slower. Must not do I/O or allocate. */
#include "store/rdb/crc64.h"

#include <stdbool.h>
#include <string.h>

/* Bit-reversed form of 0xad93d23594c935a9, for the right-shifting (reflected) algorithm. */
#define CRC64_POLY_REFLECTED UINT64_C(0x95ac9329ac4bc9b5)

static uint64_t crc64_table[8][256];
static volatile bool crc64_ready;

static void crc64_build_tables(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint64_t r = b;
        for (int bit = 0; bit < 8; bit++) r = (r & 1) ? (r >> 1) ^ CRC64_POLY_REFLECTED : r >> 1;
        crc64_table[0][b] = r;
    }
    /* Appending one zero byte to the effect of table[k-1][b] gives table[k][b]. */
    for (int k = 1; k < 8; k++) {
        for (unsigned b = 0; b < 256; b++) {
            uint64_t prev = crc64_table[k - 1][b];
            crc64_table[k][b] = (prev >> 8) ^ crc64_table[0][prev & 0xff];
        }
    }
    crc64_ready = true;
}

__attribute__((constructor)) static void crc64_init_at_start(void)
{
    if (!crc64_ready) crc64_build_tables();
}

static inline uint64_t crc64_load_le64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

uint64_t crc64_update(uint64_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;
    if (!crc64_ready) crc64_build_tables();

    /* Bytewise until 8-byte aligned, so the word loads below are aligned (cheaper on some
     * targets; memcpy keeps them legal everywhere). */
    while (n > 0 && ((uintptr_t)s & 7) != 0) {
        crc = crc64_table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
        n--;
    }
    while (n >= 8) {
        uint64_t x = crc ^ crc64_load_le64(s);
        crc = crc64_table[7][x & 0xff] ^ crc64_table[6][(x >> 8) & 0xff] ^
              crc64_table[5][(x >> 16) & 0xff] ^ crc64_table[4][(x >> 24) & 0xff] ^
              crc64_table[3][(x >> 32) & 0xff] ^ crc64_table[2][(x >> 40) & 0xff] ^
              crc64_table[1][(x >> 48) & 0xff] ^ crc64_table[0][x >> 56];
        s += 8;
        n -= 8;
    }
    while (n > 0) {
        crc = crc64_table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
        n--;
    }
    return crc;
}
