/* aof_reader: commands read from an AOF's bytes: complete files, annotations skipped, a torn
 * tail at every byte of a command reported as truncated with the right cut, and damaged bytes
 * reported as malformed with their offset. */
#include <criterion/criterion.h>
#include <string.h>

#include "store/persist/aof_reader.h"

#define SET_A "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$3\r\n1\r2\r\n"
#define SELECT_1 "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n"

static enum aof_read read_all(const char *data, size_t len, size_t *ncmds, struct aof_reader *r)
{
    aof_reader_init(r, data, len);
    enum aof_read rc;
    *ncmds = 0;
    while ((rc = aof_reader_next(r)) == AOF_READ_CMD) (*ncmds)++;
    return rc;
}

Test(aof_reader, reads_every_command_of_a_complete_file)
{
    const char data[] = SELECT_1 SET_A;
    struct aof_reader r;
    aof_reader_init(&r, data, sizeof data - 1);
    cr_assert_eq(aof_reader_next(&r), AOF_READ_CMD);
    cr_assert_eq(r.argc, 2);
    cr_assert_eq(r.argv[0].len, 6);
    cr_assert(memcmp(r.argv[0].ptr, "SELECT", 6) == 0);
    cr_assert_eq(aof_reader_next(&r), AOF_READ_CMD);
    cr_assert_eq(r.argc, 3);
    cr_assert_eq(r.cmd_start, strlen(SELECT_1));
    cr_assert_eq(r.argv[2].len, 3, "a bulk may hold \\r: its length decides");
    cr_assert_eq(aof_reader_next(&r), AOF_READ_END);
    cr_assert_eq(r.valid_end, sizeof data - 1);
    aof_reader_free(&r);
}

Test(aof_reader, empty_input_is_a_clean_end)
{
    struct aof_reader r;
    size_t n;
    cr_assert_eq(read_all("", 0, &n, &r), AOF_READ_END);
    cr_assert_eq(n, 0);
    aof_reader_free(&r);
}

Test(aof_reader, skips_timestamp_annotations_even_a_last_unterminated_one)
{
    const char data[] = "#TS:1700000000\r\n" SET_A "#TS:1700000001\r\n" SET_A "#TS:17";
    struct aof_reader r;
    size_t n;
    cr_assert_eq(read_all(data, sizeof data - 1, &n, &r), AOF_READ_END);
    cr_assert_eq(n, 2);
    aof_reader_free(&r);
}

Test(aof_reader, a_cut_at_every_byte_of_the_last_command_is_truncated_at_the_previous_end)
{
    const char data[] = SELECT_1 SET_A;
    size_t first = strlen(SELECT_1);
    for (size_t cut = first + 1; cut < sizeof data - 1; cut++) {
        struct aof_reader r;
        size_t n;
        cr_assert_eq(read_all(data, cut, &n, &r), AOF_READ_TRUNCATED, "cut at %zu", cut);
        cr_assert_eq(n, 1, "cut at %zu", cut);
        cr_assert_eq(r.valid_end, first, "cut at %zu", cut);
        cr_assert_eq(aof_reader_next(&r), AOF_READ_TRUNCATED, "sticky");
        aof_reader_free(&r);
    }
}

Test(aof_reader, a_cut_inside_the_first_command_truncates_to_zero)
{
    const char data[] = SET_A;
    for (size_t cut = 1; cut < sizeof data - 1; cut++) {
        struct aof_reader r;
        size_t n;
        cr_assert_eq(read_all(data, cut, &n, &r), AOF_READ_TRUNCATED, "cut at %zu", cut);
        cr_assert_eq(r.valid_end, 0);
        aof_reader_free(&r);
    }
}

struct bad_case {
    const char *data;
    size_t bad_at;
};

Test(aof_reader, damaged_bytes_are_malformed_with_their_offset)
{
    static const struct bad_case cases[] = {
        {"SET a 1\r\n", 0},                        /* inline command: not an AOF */
        {SELECT_1 "+OK\r\n", sizeof SELECT_1 - 1}, /* a reply, not a command */
        {"*0\r\n", 0},                             /* no arguments */
        {"*-1\r\n", 0},                            /* negative count */
        {"*x\r\n", 1},                             /* not a number */
        {"*1\r\n:5\r\n", 4},                       /* argument not a bulk */
        {"*1\r\n$-1\r\n", 4},                      /* negative bulk */
        {"*1\r\n$1\r\nab\r\n", 9},                 /* bulk longer than said */
        {"*1\r\n$1\nx\r\n", 6},                    /* '\n' without '\r' */
        {"*1\r\r\n", 3},                           /* '\r' not followed by '\n' */
        {"*99999999999999999999\r\n", 19},         /* absurd count */
        {"*2147483648\r\n$1\r\na\r\n", 0},         /* count past an int */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct aof_reader r;
        size_t n;
        enum aof_read rc = read_all(cases[i].data, strlen(cases[i].data), &n, &r);
        cr_assert_eq(rc, AOF_READ_BAD, "case %zu", i);
        cr_assert_eq(r.bad_at, cases[i].bad_at, "case %zu: at %zu", i, r.bad_at);
        cr_assert(r.err[0], "case %zu has a reason", i);
        aof_reader_free(&r);
    }
}

Test(aof_reader, a_huge_count_over_few_bytes_is_a_torn_tail_without_a_huge_allocation)
{
    const char data[] = "*1000000000\r\n$1\r\na\r\n";
    struct aof_reader r;
    size_t n;
    cr_assert_eq(read_all(data, sizeof data - 1, &n, &r), AOF_READ_TRUNCATED);
    cr_assert_leq(r.argv_cap, 8);
    aof_reader_free(&r);
}

Test(aof_reader, binary_arguments_are_kept_byte_exact)
{
    const char data[] = "*2\r\n$3\r\nGET\r\n$4\r\n\0\r\n\xff\r\n";
    struct aof_reader r;
    aof_reader_init(&r, data, sizeof data - 1);
    cr_assert_eq(aof_reader_next(&r), AOF_READ_CMD);
    cr_assert_eq(r.argv[1].len, 4);
    cr_assert(memcmp(r.argv[1].ptr, "\0\r\n\xff", 4) == 0);
    aof_reader_free(&r);
}
