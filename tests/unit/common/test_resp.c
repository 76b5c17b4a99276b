/* Tests for the RESP request parser (common/resp_request.c): multibulk and inline commands, Redis's
 * error messages, limits, and resumption. Every valid and invalid stream in the tables is also fed
 * split at every byte offset and one byte at a time, with the buffer moved between calls (a fresh
 * heap copy each time, so a parser keeping a stale pointer reads freed memory under ASan), and
 * must give exactly the same commands and error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"

/* Appends s as readable text: bytes outside printable ASCII, and the separators, as \xHH. */
static void req_render_bytes(struct buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '\\' || c == '|' || c == '[' || c == ']')
            buf_printf(out, "\\x%02x", c);
        else
            buf_append_char(out, (char)c);
    }
}

static void req_render_cmd(struct buf *out, size_t argc, const struct resp_arg *argv)
{
    buf_append_char(out, '[');
    for (size_t i = 0; i < argc; i++) {
        if (i) buf_append_char(out, '|');
        req_render_bytes(out, argv[i].ptr, argv[i].len);
    }
    buf_append_char(out, ']');
}

/* Feeds in[0..len) as a server would, the bytes arriving up to each offset of cuts[] in turn (the
 * last cut is len): the parser always sees the buffer from the command start, in a new place.
 * Returns every command rendered "[a|b]", then "ERR:<message>" if the parser failed. */
static char *req_drive(const char *in, size_t len, const size_t *cuts, size_t ncuts,
                       const struct resp_limits *lim)
{
    struct resp_request r;
    struct buf out;
    resp_request_init(&r, lim);
    buf_init(&out);
    buf_append_str(&out, ""); /* never NULL, even with nothing parsed */
    size_t start = 0;
    cr_assert(ncuts > 0 && cuts[ncuts - 1] == len);
    for (size_t c = 0; c < ncuts; c++) {
        for (;;) {
            size_t n = cuts[c] - start, consumed, argc;
            struct resp_arg *argv;
            char *copy = xmemdup(in + start, n);
            int rc = resp_request_parse(&r, copy, n, &consumed, &argc, &argv);
            if (rc == RESP_OK) {
                cr_assert(consumed > 0 && consumed <= n);
                req_render_cmd(&out, argc, argv);
                start += consumed;
            }
            free(copy);
            if (rc == RESP_INCOMPLETE) break;
            if (rc == RESP_ERR) {
                buf_printf(&out, "ERR:%s", resp_request_error(&r));
                c = ncuts;
                break;
            }
        }
    }
    resp_request_free(&r);
    return out.data;
}

static char *req_parse_whole(const char *in, size_t len, const struct resp_limits *lim)
{
    return req_drive(in, len, &len, 1, lim);
}

/* Whole, every two-part split, and byte by byte must all give `want`. */
static void req_check_all_splits(const char *in, size_t len, const char *want,
                                 const struct resp_limits *lim)
{
    char *got = req_parse_whole(in, len, lim);
    cr_assert_str_eq(got, want, "whole input %.*s", (int)len, in);
    free(got);
    for (size_t k = 1; k < len; k++) {
        size_t cuts[2] = {k, len};
        got = req_drive(in, len, cuts, 2, lim);
        cr_assert_str_eq(got, want, "split at %zu of %.*s", k, (int)len, in);
        free(got);
    }
    size_t *cuts = xmalloc((len ? len : 1) * sizeof *cuts);
    for (size_t k = 0; k < len; k++) cuts[k] = k + 1;
    got = req_drive(in, len, cuts, len, lim);
    cr_assert_str_eq(got, want, "byte by byte %.*s", (int)len, in);
    free(got);
    free(cuts);
}

struct req_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *want;
};

#define S(lit) lit, sizeof(lit) - 1 /* a literal that may hold NUL bytes */

static const struct req_case req_valid[] = {
    {S("*1\r\n$4\r\nPING\r\n"), "[PING]"},
    {S("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"), "[SET|key|value]"},
    {S("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n"), "[GET|a][GET|b]"},
    {S("*0\r\n"), "[]"},
    {S("*-1\r\n"), "[]"},
    {S("*-5\r\n*1\r\n$1\r\nx\r\n"), "[][x]"},
    {S("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"), "[ECHO|]"},
    {S("*2\r\n$4\r\nECHO\r\n$5\r\n\r\n\0|x\r\n"), "[ECHO|\\x0d\\x0a\\x00\\x7cx]"},
    {S("*1\r\n$12\r\n123456789012\r\n"), "[123456789012]"},
    {S("*12\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$1\r\ng\r\n"
       "$1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n$1\r\nk\r\n$1\r\nl\r\n"),
     "[a|b|c|d|e|f|g|h|i|j|k|l]"},
    {S("PING\r\n"), "[PING]"},
    {S("PING\n"), "[PING]"},
    {S("SET k v\r\nGET k\n"), "[SET|k|v][GET|k]"},
    {S("  SET \t k \v\f v  \r\n"), "[SET|k|v]"},
    {S("SET k\v\f v\r\n"), "[SET|k\\x0b\\x0c|v]"},
    {S("SET a\vb c\r\n"), "[SET|a\\x0bb|c]"},
    {S("\r\n"), "[]"},
    {S("\n"), "[]"},
    {S("   \r\n"), "[]"},
    {S("SET \"a b\" 'c d'\r\n"), "[SET|a b|c d]"},
    {S("SET k \"\\x41\\n\\r\\t\\b\\a\\\\\\\"z\"\r\n"),
     "[SET|k|A\\x0a\\x0d\\x09\\x08\\x07\\x5c\"z]"},
    {S("SET k 'it\\'s \\n'\r\n"), "[SET|k|it's \\x5cn]"},
    {S("SET k \"\\xZZ\\q\"\r\n"), "[SET|k|xZZq]"},
    {S("SET k \"\"\r\n"), "[SET|k|]"},
    {S("SET ab\"c d\"e\"f\" x\n"), "ERR:Protocol error: unbalanced quotes in request"},
    {S("SET ab\"c d\" x\n"), "[SET|abc d|x]"},
    {S("SET \"q\"\t'r'\n"), "[SET|q|r]"},
    /* A NUL is a byte of its argument, never an end of line: "AUTH pw\0zz" must not read as
     * "AUTH pw" (Redis does not truncate either: it finds no end of line and waits). */
    {S("SET a\0b c\n"), "[SET|a\\x00b|c]"},
    {S("AUTH pw\0zz\r\n"), "[AUTH|pw\\x00zz]"},
    {S("PING\r\n*1\r\n$4\r\nPING\r\n"), "[PING][PING]"},
    {S("*1\r\n$4\r\nPING\r\nECHO \"x\"\r\n"), "[PING][ECHO|x]"},
};

static const struct req_case req_invalid[] = {
    {S("*1\r\n$-1\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$abc\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$3x\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$99999999999999999999999\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$9223372036854775807\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$536870913\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$03\r\nabc\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$+3\r\nabc\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*1\r\n$ 3\r\nabc\r\n"), "ERR:Protocol error: invalid bulk length"},
    {S("*abc\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("*\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("*-0\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("*99999999999999999999\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("*1048577\r\n"), "ERR:Protocol error: invalid multibulk length"},
    {S("*1\r\n:3\r\n"), "ERR:Protocol error: expected '$', got ':'"},
    {S("*2\r\n$3\r\nGET\r\nfoo\r\n"), "ERR:Protocol error: expected '$', got 'f'"},
    {S("*1\r\n$3\r\nabcde\r\n"), "ERR:Protocol error: expected CRLF after bulk argument"},
    {S("SET \"foo\r\n"), "ERR:Protocol error: unbalanced quotes in request"},
    {S("SET 'foo\r\n"), "ERR:Protocol error: unbalanced quotes in request"},
    {S("SET \"foo\"bar\r\n"), "ERR:Protocol error: unbalanced quotes in request"},
    {S("SET 'foo'bar\r\n"), "ERR:Protocol error: unbalanced quotes in request"},
    {S("SET \"foo\\\"\r\n"), "ERR:Protocol error: unbalanced quotes in request"},
    {S("SET 'a\\'\n"), "ERR:Protocol error: unbalanced quotes in request"},
    {S("*1\r\n$3\r\nfoo\r\nSET \"x\n"), "[foo]ERR:Protocol error: unbalanced quotes in request"},
};

Test(resp_request, valid_streams_parse_identically_at_every_split)
{
    for (size_t i = 0; i < ARRAY_LEN(req_valid); i++)
        req_check_all_splits(req_valid[i].in, req_valid[i].len, req_valid[i].want, NULL);
}

Test(resp_request, invalid_streams_fail_identically_at_every_split)
{
    for (size_t i = 0; i < ARRAY_LEN(req_invalid); i++)
        req_check_all_splits(req_invalid[i].in, req_invalid[i].len, req_invalid[i].want, NULL);
}

Test(resp_request, limits_are_inclusive_when_set_small)
{
    struct resp_limits lim;
    resp_limits_default(&lim);
    lim.max_bulk_len = 5;
    lim.max_multibulk_len = 3;
    lim.max_inline_len = 8;
    req_check_all_splits(S("*3\r\n$5\r\nabcde\r\n$0\r\n\r\n$1\r\nx\r\n"), "[abcde||x]", &lim);
    req_check_all_splits(S("*1\r\n$6\r\nabcdef\r\n"), "ERR:Protocol error: invalid bulk length",
                         &lim);
    req_check_all_splits(S("*4\r\n"), "ERR:Protocol error: invalid multibulk length", &lim);
    req_check_all_splits(S("12345678\n"), "[12345678]", &lim);
    req_check_all_splits(S("12345678\r\n"), "ERR:Protocol error: too big inline request", &lim);
    req_check_all_splits(S("123456789"), "ERR:Protocol error: too big inline request", &lim);
    req_check_all_splits(S("*00000003\r\n"), "ERR:Protocol error: invalid multibulk length", &lim);
    req_check_all_splits(S("*000000003\r\n"), "ERR:Protocol error: too big mbulk count string",
                         &lim);
    req_check_all_splits(S("*1\r\n$0000000001"), "ERR:Protocol error: too big bulk count string",
                         &lim);
    req_check_all_splits(S("*1\r\n:00000000\r\n"), "ERR:Protocol error: expected '$', got ':'",
                         &lim);
}

/* Default limits: a long line with no end is refused once it passes 64 KB, not buffered forever. */
static void req_check_long_line(const char *prefix, char fill, const char *want)
{
    size_t plen = strlen(prefix), len = plen + 70000;
    char *in = xmalloc(len);
    memcpy(in, prefix, plen);
    memset(in + plen, fill, len - plen);
    char *got = req_parse_whole(in, len, NULL);
    cr_assert_str_eq(got, want);
    free(got);
    /* Byte by byte in one growing buffer: the same verdict, exactly when the line passes 64 KB. */
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed, argc, k;
    struct resp_arg *argv;
    int rc = RESP_INCOMPLETE;
    for (k = 1; k <= len && rc == RESP_INCOMPLETE; k++)
        rc = resp_request_parse(&r, in, k, &consumed, &argc, &argv);
    cr_assert_eq(rc, RESP_ERR);
    cr_assert_str_eq(resp_request_error(&r), want + strlen("ERR:"));
    cr_assert_lt(k - 1, (size_t)64 * 1024 + plen + 4, "failed only after %zu bytes", k - 1);
    resp_request_free(&r);
    free(in);
}

Test(resp_request, endless_lines_fail_with_redis_messages)
{
    req_check_long_line("*", '1', "ERR:Protocol error: too big mbulk count string");
    req_check_long_line("*1\r\n$", '1', "ERR:Protocol error: too big bulk count string");
    req_check_long_line("", 'a', "ERR:Protocol error: too big inline request");
    req_check_long_line("SET k ", 'a', "ERR:Protocol error: too big inline request");
}

Test(resp_request, error_is_sticky_until_reset)
{
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed = 99, argc = 99;
    struct resp_arg *argv;
    cr_assert_eq(resp_request_parse(&r, S("*1\r\n$x\r\n"), &consumed, &argc, &argv), RESP_ERR);
    cr_assert_str_eq(resp_request_error(&r), "Protocol error: invalid bulk length");
    cr_assert_eq(consumed, 0);
    cr_assert_eq(argc, 0);
    cr_assert_eq(resp_request_parse(&r, S("PING\r\n"), &consumed, &argc, &argv), RESP_ERR);
    cr_assert_str_eq(resp_request_error(&r), "Protocol error: invalid bulk length");
    resp_request_reset(&r);
    cr_assert_null(resp_request_error(&r));
    cr_assert_eq(resp_request_parse(&r, S("PING\r\n"), &consumed, &argc, &argv), RESP_OK);
    cr_assert_eq(consumed, 6);
    cr_assert_eq(argc, 1);
    resp_request_free(&r);
}

Test(resp_request, reset_drops_a_partial_command)
{
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed, argc;
    struct resp_arg *argv;
    cr_assert_eq(resp_request_parse(&r, S("*2\r\n$3\r\nGET\r\n$1"), &consumed, &argc, &argv),
                 RESP_INCOMPLETE);
    resp_request_reset(&r);
    cr_assert_eq(resp_request_parse(&r, S("*1\r\n$4\r\nPING\r\n"), &consumed, &argc, &argv),
                 RESP_OK);
    cr_assert_eq(argc, 1);
    cr_assert_eq(argv[0].len, 4);
    cr_assert_eq(memcmp(argv[0].ptr, "PING", 4), 0);
    resp_request_free(&r);
}

Test(resp_request, consumed_and_pointers_refer_to_the_callers_buffer)
{
    static const char in[] = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*0\r\nPING\r\n";
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed, argc;
    struct resp_arg *argv;
    cr_assert_eq(resp_request_parse(&r, in, strlen(in), &consumed, &argc, &argv), RESP_OK);
    cr_assert_eq(consumed, 22);
    cr_assert_eq(argc, 2);
    cr_assert_eq(argv[0].ptr, in + 8, "zero copy: GET points into the input");
    cr_assert_eq(argv[1].ptr, in + 17);
    cr_assert_not(resp_request_is_inline(&r));
    const char *rest = in + consumed;
    cr_assert_eq(resp_request_parse(&r, rest, strlen(rest), &consumed, &argc, &argv), RESP_OK);
    cr_assert_eq(consumed, 4);
    cr_assert_eq(argc, 0);
    rest += consumed;
    cr_assert_eq(resp_request_parse(&r, rest, strlen(rest), &consumed, &argc, &argv), RESP_OK);
    cr_assert_eq(consumed, 6);
    cr_assert_eq(argc, 1);
    cr_assert_eq(argv[0].ptr, rest);
    cr_assert(resp_request_is_inline(&r));
    rest += consumed;
    cr_assert_eq(resp_request_parse(&r, rest, 0, &consumed, &argc, &argv), RESP_INCOMPLETE);
    resp_request_free(&r);
}

Test(resp_request, is_inline_reports_the_command_in_progress)
{
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed, argc;
    struct resp_arg *argv;
    cr_assert_eq(resp_request_parse(&r, S("PIN"), &consumed, &argc, &argv), RESP_INCOMPLETE);
    cr_assert(resp_request_is_inline(&r));
    resp_request_reset(&r);
    cr_assert_eq(resp_request_parse(&r, S("*1\r\n"), &consumed, &argc, &argv), RESP_INCOMPLETE);
    cr_assert_not(resp_request_is_inline(&r));
    resp_request_free(&r);
}

Test(resp_request, bulk_remaining_counts_bytes_still_needed)
{
    static const char in[] = "*2\r\n$3\r\nSET\r\n$10\r\nabcdefghij\r\n";
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed, argc, len = strlen(in);
    struct resp_arg *argv;
    cr_assert_eq(resp_request_parse(&r, in, 10, &consumed, &argc, &argv), RESP_INCOMPLETE);
    cr_assert_eq(resp_request_bulk_remaining(&r), 3, "\"SE\" seen: 'T' and CRLF to come");
    cr_assert_eq(resp_request_parse(&r, in, 14, &consumed, &argc, &argv), RESP_INCOMPLETE);
    cr_assert_eq(resp_request_bulk_remaining(&r), 0, "between arguments");
    cr_assert_eq(resp_request_parse(&r, in, 20, &consumed, &argc, &argv), RESP_INCOMPLETE);
    cr_assert_eq(resp_request_bulk_remaining(&r), len - 20);
    cr_assert_eq(resp_request_parse(&r, in, len - 1, &consumed, &argc, &argv), RESP_INCOMPLETE);
    cr_assert_eq(resp_request_bulk_remaining(&r), 1);
    cr_assert_eq(resp_request_parse(&r, in, len, &consumed, &argc, &argv), RESP_OK);
    cr_assert_eq(resp_request_bulk_remaining(&r), 0);
    cr_assert_eq(argc, 2);
    cr_assert_eq(memcmp(argv[1].ptr, "abcdefghij", 10), 0);
    resp_request_free(&r);
}

/* A 10 MB argument arriving 4 KB at a time into a query buffer that grows (and moves): parsed
 * correctly, with the parser's progress tracking every byte (it never restarts the value). */
Test(resp_request, big_bulk_fed_in_small_chunks_parses_once)
{
    const size_t big = (size_t)10 * 1024 * 1024, chunk = 4096;
    struct buf src, qb;
    buf_init(&src);
    buf_init(&qb);
    buf_printf(&src, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$%zu\r\n", big);
    size_t hdr = src.len;
    char *p = buf_space(&src, big);
    for (size_t i = 0; i < big; i++) p[i] = (char)('a' + i % 26);
    buf_commit(&src, big);
    buf_append(&src, "\r\n", 2);

    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed = 0, argc = 0, calls = 0;
    struct resp_arg *argv = NULL;
    int rc = RESP_INCOMPLETE;
    for (size_t off = 0; off < src.len && rc == RESP_INCOMPLETE; off += chunk) {
        buf_append(&qb, src.data + off, MIN(chunk, src.len - off));
        rc = resp_request_parse(&r, qb.data, qb.len, &consumed, &argc, &argv);
        calls++;
        if (rc == RESP_INCOMPLETE && qb.len > hdr)
            cr_assert_eq(resp_request_bulk_remaining(&r), src.len - qb.len);
    }
    cr_assert_eq(rc, RESP_OK);
    cr_assert_eq(calls, (src.len + chunk - 1) / chunk);
    cr_assert_eq(consumed, src.len);
    cr_assert_eq(argc, 3);
    cr_assert_eq(argv[2].len, big);
    cr_assert_eq(argv[2].ptr, qb.data + hdr);
    cr_assert_eq(memcmp(argv[2].ptr, src.data + hdr, big), 0);
    resp_request_free(&r);
    buf_free(&src);
    buf_free(&qb);
}

/* Many small arguments split across many reads: the arguments parsed before each split are kept
 * and re-placed once, so the last pointers still match the (moved) buffer. */
Test(resp_request, many_arguments_across_reads_keep_their_positions)
{
    const size_t nargs = 5000;
    struct buf src, qb;
    buf_init(&src);
    buf_init(&qb);
    buf_printf(&src, "*%zu\r\n", nargs);
    for (size_t i = 0; i < nargs; i++) {
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "v%zu", i);
        buf_printf(&src, "$%d\r\n%s\r\n", n, tmp);
    }
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed = 0, argc = 0;
    struct resp_arg *argv = NULL;
    int rc = RESP_INCOMPLETE;
    for (size_t off = 0; off < src.len && rc == RESP_INCOMPLETE; off += 7) {
        buf_append(&qb, src.data + off, MIN(7, src.len - off));
        rc = resp_request_parse(&r, qb.data, qb.len, &consumed, &argc, &argv);
    }
    cr_assert_eq(rc, RESP_OK);
    cr_assert_eq(argc, nargs);
    for (size_t i = 0; i < nargs; i++) {
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "v%zu", i);
        cr_assert_eq(argv[i].len, (size_t)n);
        cr_assert_eq(memcmp(argv[i].ptr, tmp, (size_t)n), 0, "argument %zu", i);
        cr_assert(argv[i].ptr > qb.data && argv[i].ptr < qb.data + qb.len);
    }
    resp_request_free(&r);
    buf_free(&src);
    buf_free(&qb);
}

/* The argv array is reused: a steady stream of commands does not reallocate it. */
Test(resp_request, argv_is_reused_between_commands)
{
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t consumed, argc;
    struct resp_arg *argv, *first = NULL;
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(
            resp_request_parse(&r, S("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), &consumed, &argc, &argv),
            RESP_OK);
        if (!first) first = argv;
        cr_assert_eq(argv, first);
    }
    resp_request_free(&r);
}

static const char *parse_unauthenticated(const char *in, size_t len)
{
    struct resp_request r;
    resp_request_init(&r, NULL);
    resp_request_set_unauthenticated(&r, true);
    size_t consumed, argc;
    struct resp_arg *argv;
    int rc = resp_request_parse(&r, in, len, &consumed, &argc, &argv);
    static char out[128];
    snprintf(out, sizeof out, "%s",
             rc == RESP_ERR  ? resp_request_error(&r)
             : rc == RESP_OK ? "OK"
                             : "INCOMPLETE");
    resp_request_free(&r);
    return out;
}

Test(resp_request, unauthenticated_counts_and_lengths_are_capped_with_redis_words)
{
    cr_assert_str_eq(parse_unauthenticated(S("*10\r\n")), "INCOMPLETE");
    cr_assert_str_eq(parse_unauthenticated(S("*11\r\n")),
                     "Protocol error: unauthenticated multibulk length");
    cr_assert_str_eq(parse_unauthenticated(S("*100\r\n")),
                     "Protocol error: unauthenticated multibulk length");
    /* Past the general limit too: the unauthenticated message wins, as Redis. */
    cr_assert_str_eq(parse_unauthenticated(S("*2000000\r\n")),
                     "Protocol error: unauthenticated multibulk length");
    cr_assert_str_eq(parse_unauthenticated(S("*1\r\n$16384\r\n")), "INCOMPLETE");
    cr_assert_str_eq(parse_unauthenticated(S("*1\r\n$16385\r\n")),
                     "Protocol error: unauthenticated bulk length");
    cr_assert_str_eq(parse_unauthenticated(S("*1\r\n$100000\r\n")),
                     "Protocol error: unauthenticated bulk length");
    /* Past proto-max-bulk-len: the general message, as Redis. */
    cr_assert_str_eq(parse_unauthenticated(S("*1\r\n$99999999999\r\n")),
                     "Protocol error: invalid bulk length");
    cr_assert_str_eq(parse_unauthenticated(S("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n")), "OK");
    /* Once authenticated the usual limits apply. */
    struct resp_request r;
    resp_request_init(&r, NULL);
    resp_request_set_unauthenticated(&r, true);
    resp_request_set_unauthenticated(&r, false);
    size_t consumed, argc;
    struct resp_arg *argv;
    cr_assert_eq(resp_request_parse(&r, S("*100\r\n$100000\r\n"), &consumed, &argc, &argv),
                 RESP_INCOMPLETE);
    resp_request_free(&r);
}
