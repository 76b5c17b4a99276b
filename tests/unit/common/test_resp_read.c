/* Tests for the RESP value reader (common/resp_reader.c): every RESP2 and RESP3 type, nulls,
 * attributes, limits, sticky errors, pending bytes. Each stream in the tables is also fed split at
 * every byte offset and one byte at a time and must give the same values (or the same error). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"

static void rd_render_bytes(struct buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '\\' || c == ',' || c == ';' || c == '[' || c == ']')
            buf_printf(out, "\\x%02x", c);
        else
            buf_append_char(out, (char)c);
    }
}

/* One value as text: "+s" "-s" ":n" "$s" "_" "d<text>" "#t" "!s" "=s" "(n", and aggregates as
 * "*[a,b]" "%[k,v]" "~[..]" ">[..]" "|[..]". Recursion is fine here: test depth is bounded. */
static void rd_render(struct buf *out, const struct resp_value *v)
{
    static const char agg_mark[] = {[RESP_T_ARRAY] = '*',
                                    [RESP_T_MAP] = '%',
                                    [RESP_T_SET] = '~',
                                    [RESP_T_PUSH] = '>',
                                    [RESP_T_ATTRIBUTE] = '|'};
    switch (v->type) {
    case RESP_T_SIMPLE:
        buf_append_char(out, '+');
        break;
    case RESP_T_ERROR:
        buf_append_char(out, '-');
        break;
    case RESP_T_BULK:
        buf_append_char(out, '$');
        break;
    case RESP_T_BLOB_ERROR:
        buf_append_char(out, '!');
        break;
    case RESP_T_VERBATIM:
        buf_append_char(out, '=');
        break;
    case RESP_T_BIGNUM:
        buf_append_char(out, '(');
        break;
    case RESP_T_DOUBLE:
        buf_append_char(out, 'd');
        break;
    case RESP_T_INTEGER:
        buf_printf(out, ":%lld", v->integer);
        return;
    case RESP_T_NULL:
        buf_append_char(out, '_');
        return;
    case RESP_T_BOOL:
        buf_append_str(out, v->integer ? "#t" : "#f");
        return;
    default:
        buf_printf(out, "%c[", agg_mark[v->type]);
        for (size_t i = 0; i < v->count; i++) {
            if (i) buf_append_char(out, ',');
            rd_render(out, &v->elems[i]);
        }
        buf_append_char(out, ']');
        return;
    }
    cr_assert(v->len == 0 || v->str != NULL);
    rd_render_bytes(out, v->str, v->len);
}

/* Feeds the stream up to each offset of cuts[] (the last is len), reading every value as soon as
 * it is complete. Returns the values rendered and joined by ';', then ";ERR:<message>". */
static char *rd_drive(const char *in, size_t len, const size_t *cuts, size_t ncuts,
                      const struct resp_limits *lim)
{
    struct resp_reader *r = resp_reader_create(lim);
    struct buf out;
    buf_init(&out);
    buf_append_str(&out, "");
    size_t fed = 0;
    cr_assert(ncuts > 0 && cuts[ncuts - 1] == len);
    for (size_t c = 0; c < ncuts; c++) {
        resp_reader_feed(r, in + fed, cuts[c] - fed);
        fed = cuts[c];
        struct resp_value *v;
        int rc;
        while ((rc = resp_reader_next(r, &v)) == RESP_OK) {
            if (out.len) buf_append_char(&out, ';');
            rd_render(&out, v);
        }
        if (rc == RESP_ERR) {
            buf_printf(&out, "%sERR:%s", out.len ? ";" : "", resp_reader_error(r));
            break;
        }
        cr_assert_null(v);
    }
    resp_reader_destroy(r);
    return out.data;
}

static void rd_check_all_splits(const char *in, size_t len, const char *want,
                                const struct resp_limits *lim)
{
    char *got = rd_drive(in, len, &len, 1, lim);
    cr_assert_str_eq(got, want, "whole input %.*s", (int)len, in);
    free(got);
    for (size_t k = 1; k < len; k++) {
        size_t cuts[2] = {k, len};
        got = rd_drive(in, len, cuts, 2, lim);
        cr_assert_str_eq(got, want, "split at %zu of %.*s", k, (int)len, in);
        free(got);
    }
    size_t *cuts = xmalloc((len ? len : 1) * sizeof *cuts);
    for (size_t k = 0; k < len; k++) cuts[k] = k + 1;
    got = rd_drive(in, len, cuts, len, lim);
    cr_assert_str_eq(got, want, "byte by byte %.*s", (int)len, in);
    free(got);
    free(cuts);
}

struct rd_case {
    const char *in;
    size_t len;
    const char *want;
};

#define S(lit) lit, sizeof(lit) - 1
#define NEST16                                                                                     \
    "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*"  \
    "1\r\n"

static const struct rd_case rd_valid[] = {
    {S("+OK\r\n"), "+OK"},
    {S("+\r\n"), "+"},
    {S("-ERR unknown command 'x'\r\n"), "-ERR unknown command 'x'"},
    {S(":0\r\n:-123\r\n:9223372036854775807\r\n:-9223372036854775808\r\n"),
     ":0;:-123;:9223372036854775807;:-9223372036854775808"},
    {S("$5\r\nhello\r\n"), "$hello"},
    {S("$0\r\n\r\n"), "$"},
    {S("$4\r\n\r\n\0;\r\n"), "$\\x0d\\x0a\\x00\\x3b"},
    {S("$-1\r\n"), "_"},
    {S("*-1\r\n"), "_"},
    {S("*0\r\n"), "*[]"},
    {S("*3\r\n:1\r\n$3\r\nfoo\r\n*2\r\n+a\r\n-b\r\n"), "*[:1,$foo,*[+a,-b]]"},
    {S("*2\r\n$-1\r\n*-1\r\n"), "*[_,_]"},
    {S("_\r\n"), "_"},
    {S(",1.5\r\n,inf\r\n,-inf\r\n,nan\r\n,-0.25e3\r\n,10\r\n"),
     "d1.5;dinf;d-inf;dnan;d-0.25e3;d10"},
    {S("#t\r\n#f\r\n"), "#t;#f"},
    {S("!21\r\nSYNTAX invalid syntax\r\n"), "!SYNTAX invalid syntax"},
    {S("=15\r\ntxt:Some string\r\n"), "=Some string"},
    {S("=4\r\nmkd:\r\n"), "="},
    {S("(3492890328409238509324850943850943825024385\r\n(-5\r\n"),
     "(3492890328409238509324850943850943825024385;(-5"},
    {S("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"), "%[+first,:1,+second,:2]"},
    {S("%0\r\n~0\r\n>0\r\n"), "%[];~[];>[]"},
    {S("~3\r\n+a\r\n:1\r\n#f\r\n"), "~[+a,:1,#f]"},
    {S(">3\r\n+message\r\n+chan\r\n$5\r\nhello\r\n"), ">[+message,+chan,$hello]"},
    {S("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
       "*2\r\n:2039123\r\n:9543892\r\n"),
     "|[+key-popularity,%[$a,d0.1923,$b,d0.0012]];*[:2039123,:9543892]"},
    {S("*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n"), "*[:1,:2]"},
    {S("%1\r\n+k\r\n|1\r\n+a\r\n|1\r\n+b\r\n:1\r\n:2\r\n+v\r\n"), "%[+k,+v]"},
    {S("*2\r\n:1\r\n|1\r\n+a\r\n:2\r\n:3\r\n"), "*[:1,:3]"},
    {S(NEST16 ":1\r\n"), "*[*[*[*[*[*[*[*[*[*[*[*[*[*[*[*[:1]]]]]]]]]]]]]]]]"},
    {S("*2\r\n%1\r\n~1\r\n>1\r\n+x\r\n$1\r\ny\r\n*0\r\n"), "*[%[~[>[+x]],$y],*[]]"},
    {S("+OK\r\n:1\r\n$3\r\nabc\r\n"), "+OK;:1;$abc"},
    {S("+a\rb\r\n"), "+a\\x0db"},
    {S("*20\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n:9\r\n:10\r\n:11\r\n:12\r\n:13\r\n"
       ":14\r\n:15\r\n:16\r\n:17\r\n:18\r\n:19\r\n:20\r\n"),
     "*[:1,:2,:3,:4,:5,:6,:7,:8,:9,:10,:11,:12,:13,:14,:15,:16,:17,:18,:19,:20]"},
};

static const struct rd_case rd_invalid[] = {
    {S(NEST16 "*1\r\n:1\r\n"), "ERR:Protocol error: nesting deeper than 16 levels"},
    {S(NEST16 "*0\r\n"), "ERR:Protocol error: nesting deeper than 16 levels"},
    {S("$-2\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("$abc\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("$\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("$99999999999999999999\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("$536870913\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("!-1\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*-2\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("*x\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("%-1\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("*1048577\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("%524289\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("$?\r\n"), "ERR:Protocol error: streamed strings are not supported"},
    {S("*?\r\n"), "ERR:Protocol error: streamed aggregates are not supported"},
    {S("%?\r\n"), "ERR:Protocol error: streamed aggregates are not supported"},
    {S("~?\r\n"), "ERR:Protocol error: streamed aggregates are not supported"},
    {S(":abc\r\n"), "ERR:Protocol error: invalid integer"},
    {S(":\r\n"), "ERR:Protocol error: invalid integer"},
    {S(":99999999999999999999\r\n"), "ERR:Protocol error: invalid integer"},
    {S(",abc\r\n"), "ERR:Protocol error: invalid double"},
    {S(",\r\n"), "ERR:Protocol error: invalid double"},
    {S("#x\r\n"), "ERR:Protocol error: invalid boolean"},
    {S("#tt\r\n"), "ERR:Protocol error: invalid boolean"},
    {S("_x\r\n"), "ERR:Protocol error: invalid null"},
    {S("(12a\r\n"), "ERR:Protocol error: invalid big number"},
    {S("(\r\n"), "ERR:Protocol error: invalid big number"},
    {S("=3\r\ntxt\r\n"), "ERR:Protocol error: invalid verbatim string"},
    {S("=5\r\ntxt-x\r\n"), "ERR:Protocol error: invalid verbatim string"},
    {S("$3\r\nabcd\r\n"), "ERR:Protocol error: expected CRLF after bulk data"},
    {S("X\r\n"), "ERR:Protocol error: unexpected type byte 'X'"},
    {S("\x01"), "ERR:Protocol error: unexpected type byte '\\x01'"},
    {S("+OK\r\n?"), "+OK;ERR:Protocol error: unexpected type byte '?'"},
    {S("*2\r\n:1\r\nX"), "ERR:Protocol error: unexpected type byte 'X'"},
};

Test(resp_reader, valid_streams_read_identically_at_every_split)
{
    for (size_t i = 0; i < ARRAY_LEN(rd_valid); i++)
        rd_check_all_splits(rd_valid[i].in, rd_valid[i].len, rd_valid[i].want, NULL);
}

Test(resp_reader, invalid_streams_fail_identically_at_every_split)
{
    for (size_t i = 0; i < ARRAY_LEN(rd_invalid); i++)
        rd_check_all_splits(rd_invalid[i].in, rd_invalid[i].len, rd_invalid[i].want, NULL);
}

Test(resp_reader, small_limits_bound_lines_lengths_and_depth)
{
    struct resp_limits lim;
    resp_limits_default(&lim);
    lim.max_bulk_len = 6;
    lim.max_multibulk_len = 4;
    lim.max_inline_len = 8;
    lim.max_depth = 2;
    rd_check_all_splits(S("+abcdef\r\n"), "+abcdef", &lim);
    rd_check_all_splits(S("+abcdefg\r\n"), "ERR:Protocol error: too long line for type '+'", &lim);
    rd_check_all_splits(S("$6\r\nabcdef\r\n"), "$abcdef", &lim);
    rd_check_all_splits(S("$7\r\n"), "ERR:Protocol error: invalid bulk length", &lim);
    rd_check_all_splits(S(":12345678\r\n"), ":12345678", &lim);
    rd_check_all_splits(S(":123456789\r\n"), "ERR:Protocol error: too long line for type ':'",
                        &lim);
    rd_check_all_splits(S("*4\r\n_\r\n_\r\n_\r\n_\r\n"), "*[_,_,_,_]", &lim);
    rd_check_all_splits(S("*5\r\n"), "ERR:Protocol error: invalid multibulk length", &lim);
    rd_check_all_splits(S("%2\r\n_\r\n_\r\n_\r\n_\r\n"), "%[_,_,_,_]", &lim);
    rd_check_all_splits(S("%3\r\n"), "ERR:Protocol error: invalid multibulk length", &lim);
    rd_check_all_splits(S("*1\r\n*1\r\n:1\r\n"), "*[*[:1]]", &lim);
    rd_check_all_splits(S("*1\r\n*1\r\n*1\r\n:1\r\n"),
                        "ERR:Protocol error: nesting deeper than 2 levels", &lim);
}

Test(resp_reader, scalar_fields_hold_parsed_values)
{
    struct resp_reader *r = resp_reader_create(NULL);
    resp_reader_feed(r, S(",1.5\r\n,-inf\r\n,nan\r\n#t\r\n:-42\r\n=7\r\ntxt:abc\r\n"));
    struct resp_value *v;
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert_eq(v->type, RESP_T_DOUBLE);
    cr_assert_eq(v->dbl, 1.5);
    cr_assert_eq(v->len, 3);
    cr_assert_eq(memcmp(v->str, "1.5", 3), 0);
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert(isinf(v->dbl) && v->dbl < 0);
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert(isnan(v->dbl));
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert_eq(v->type, RESP_T_BOOL);
    cr_assert_eq(v->integer, 1);
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert_eq(v->type, RESP_T_INTEGER);
    cr_assert_eq(v->integer, -42);
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert_eq(v->type, RESP_T_VERBATIM);
    cr_assert_eq(v->len, 3);
    cr_assert_eq(memcmp(v->str, "abc", 3), 0);
    cr_assert_eq(resp_reader_next(r, &v), RESP_INCOMPLETE);
    cr_assert_null(resp_reader_error(r));
    resp_reader_destroy(r);
}

Test(resp_reader, error_is_sticky)
{
    struct resp_reader *r = resp_reader_create(NULL);
    struct resp_value *v;
    resp_reader_feed(r, S("$x\r\n"));
    cr_assert_eq(resp_reader_next(r, &v), RESP_ERR);
    cr_assert_null(v);
    resp_reader_feed(r, S("+OK\r\n"));
    cr_assert_eq(resp_reader_next(r, &v), RESP_ERR);
    cr_assert_str_eq(resp_reader_error(r), "Protocol error: invalid bulk length");
    resp_reader_destroy(r);
}

/* A replica's handshake: "+FULLRESYNC" is a value, the snapshot after it is raw bytes the caller
 * takes over through pending/discard. */
Test(resp_reader, pending_bytes_are_handed_over_and_discarded)
{
    struct resp_reader *r = resp_reader_create(NULL);
    struct resp_value *v;
    resp_reader_feed(r, S("+FULLRESYNC abc 0\r\n$5\r\nABCDE"));
    cr_assert_eq(resp_reader_pending(r), 28);
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert_eq(v->type, RESP_T_SIMPLE);
    cr_assert_eq(v->len, 16);
    cr_assert_eq(memcmp(v->str, "FULLRESYNC abc 0", 16), 0);
    cr_assert_eq(resp_reader_pending(r), 9);
    cr_assert_eq(memcmp(resp_reader_pending_data(r), "$5\r\nABCDE", 9), 0);
    resp_reader_discard(r, 4);
    cr_assert_eq(resp_reader_pending(r), 5);
    cr_assert_eq(memcmp(resp_reader_pending_data(r), "ABCDE", 5), 0);
    resp_reader_discard(r, 5);
    cr_assert_eq(resp_reader_pending(r), 0);
    cr_assert_eq(resp_reader_next(r, &v), RESP_INCOMPLETE);
    resp_reader_feed(r, S(":7\r\n"));
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert_eq(v->integer, 7);
    resp_reader_destroy(r);
}

Test(resp_reader, discard_forgets_a_partial_value)
{
    struct resp_reader *r = resp_reader_create(NULL);
    struct resp_value *v;
    resp_reader_feed(r, S("*2\r\n:1\r\n"));
    cr_assert_eq(resp_reader_next(r, &v), RESP_INCOMPLETE);
    cr_assert_eq(resp_reader_pending(r), 8);
    resp_reader_discard(r, resp_reader_pending(r));
    resp_reader_feed(r, S("+x\r\n"));
    cr_assert_eq(resp_reader_next(r, &v), RESP_OK);
    cr_assert_eq(v->type, RESP_T_SIMPLE);
    cr_assert_eq(v->len, 1);
    resp_reader_destroy(r);
}

/* A 10 MB bulk reply, then an array of 100000 integers, each arriving 4 KB at a time. */
Test(resp_reader, big_values_fed_in_small_chunks)
{
    const size_t big = (size_t)10 * 1024 * 1024, nints = 100000, chunk = 4096;
    struct buf src;
    buf_init(&src);
    buf_printf(&src, "$%zu\r\n", big);
    size_t hdr = src.len;
    char *p = buf_space(&src, big);
    for (size_t i = 0; i < big; i++) p[i] = (char)('a' + i % 26);
    buf_commit(&src, big);
    buf_printf(&src, "\r\n*%zu\r\n", nints);
    for (size_t i = 0; i < nints; i++) buf_printf(&src, ":%zu\r\n", i);

    struct resp_reader *r = resp_reader_create(NULL);
    struct resp_value *v;
    int got = 0;
    for (size_t off = 0; off < src.len; off += chunk) {
        resp_reader_feed(r, src.data + off, MIN(chunk, src.len - off));
        while (resp_reader_next(r, &v) == RESP_OK) {
            if (got++ == 0) {
                cr_assert_eq(v->type, RESP_T_BULK);
                cr_assert_eq(v->len, big);
                cr_assert_eq(memcmp(v->str, src.data + hdr, big), 0);
            } else {
                cr_assert_eq(v->type, RESP_T_ARRAY);
                cr_assert_eq(v->count, nints);
                for (size_t i = 0; i < nints; i++) cr_assert_eq(v->elems[i].integer, (long long)i);
            }
        }
    }
    cr_assert_eq(got, 2);
    cr_assert_null(resp_reader_error(r));
    cr_assert_eq(resp_reader_pending(r), 0);
    resp_reader_destroy(r);
    buf_free(&src);
}

/* Counts announced far beyond the data (16 levels of a million elements each) are within the
 * limits: the reader simply waits for the elements. */
Test(resp_reader, announced_counts_wait_for_their_elements)
{
    struct resp_reader *r = resp_reader_create(NULL);
    struct resp_value *v;
    for (int i = 0; i < 16; i++) resp_reader_feed(r, S("*1048576\r\n"));
    resp_reader_feed(r, S(":1\r\n"));
    cr_assert_eq(resp_reader_next(r, &v), RESP_INCOMPLETE);
    cr_assert_null(resp_reader_error(r));
    resp_reader_destroy(r);
}

/* Values written by the writer read back as the same types (the two halves agree). */
Test(resp_reader, reads_back_what_the_writer_writes)
{
    struct buf b;
    buf_init(&b);
    resp_write_map_header(&b, 3, 2);
    resp_write_bulk_str(&b, "k");
    resp_write_double(&b, 3, 2.5);
    resp_write_simple_str(&b, "s");
    resp_write_set_header(&b, 3, 3);
    resp_write_bool(&b, 3, true);
    resp_write_null(&b, 3);
    resp_write_bignum(&b, 3, "123456789012345678901234567890", 30);
    resp_write_verbatim(&b, 3, "hi", 2);
    resp_write_error_str(&b, "ERR x");
    const char *args[] = {"SET", "k", "v"};
    resp_write_commandv(&b, args, 3);
    char *got = rd_drive(b.data, b.len, &b.len, 1, NULL);
    cr_assert_str_eq(got, "%[$k,d2.5,+s,~[#t,_,(123456789012345678901234567890]];=hi;-ERR x;"
                          "*[$SET,$k,$v]");
    free(got);
    buf_free(&b);
}
