/* aof_load_files: where the snapshot part of a base file ends (the CRC64 trailer that matches,
 * followed by commands or the end), with decoy 0xFF bytes and an unchecksummed snapshot. */
#include <criterion/criterion.h>
#include <string.h>

#include "store/persist/aof_load_files.h"
#include "store/rdb/crc64.h"

/* "REDIS0010" + body + 0xFF + trailer (the CRC64, or 0 when !is_summed) into out. */
static size_t make_rdb(unsigned char *out, const char *body, size_t blen, bool is_summed)
{
    size_t n = 0;
    memcpy(out, "REDIS0010", 9);
    n += 9;
    memcpy(out + n, body, blen);
    n += blen;
    out[n++] = 0xff;
    uint64_t crc = is_summed ? crc64_update(CRC64_INIT, out, n) : 0;
    for (int i = 0; i < 8; i++) out[n++] = (unsigned char)(crc >> (8 * i));
    return n;
}

Test(aof_load_files, a_snapshot_alone_ends_at_the_end)
{
    unsigned char d[128];
    size_t n = make_rdb(d, "\xfe\x00", 2, true);
    cr_assert_eq(aof_load_rdb_len((const char *)d, n), n);
}

Test(aof_load_files, a_snapshot_followed_by_commands_ends_after_its_trailer)
{
    unsigned char d[256];
    /* decoys: 0xFF bytes inside the body, one followed by 8 bytes and a '*' */
    const char body[] = "\xfe\x00\x00\x01k\xff\x01\x02\x03\x04\x05\x06\x07\x08*x\xff";
    size_t n = make_rdb(d, body, sizeof body - 1, true);
    const char tail[] = "*1\r\n$4\r\nPING\r\n";
    memcpy(d + n, tail, sizeof tail - 1);
    cr_assert_eq(aof_load_rdb_len((const char *)d, n + sizeof tail - 1), n);
}

Test(aof_load_files, an_unchecksummed_snapshot_ends_at_its_zero_trailer)
{
    unsigned char d[128];
    size_t n = make_rdb(d, "\xfe\x00", 2, false);
    const char tail[] = "#TS:1\r\n";
    memcpy(d + n, tail, sizeof tail - 1);
    cr_assert_eq(aof_load_rdb_len((const char *)d, n + sizeof tail - 1), n);
}

Test(aof_load_files, a_damaged_snapshot_is_handed_whole_to_the_snapshot_loader)
{
    unsigned char d[128];
    size_t n = make_rdb(d, "\xfe\x00\x00", 3, true);
    d[10] ^= 1; /* the trailer no longer matches */
    memcpy(d + n, "*1\r\n", 4);
    cr_assert_eq(aof_load_rdb_len((const char *)d, n + 4), n + 4);
    cr_assert_eq(aof_load_rdb_len((const char *)d, 5), 5, "shorter than any trailer");
}
