/* Tests for the RESP writer (common/resp_write.c): the exact bytes of every type, in RESP3 and in
 * its RESP2 fallback, and the sanitising of error and status lines. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "common/buf.h"
#include "common/resp.h"
#include "common/util.h"

/* Compares a buffer's bytes with an expected literal that may contain NUL bytes. */
static void wr_expect(struct buf *b, const char *want, size_t want_len, const char *what)
{
    cr_assert_eq(b->len, want_len, "%s: got %zu bytes \"%.*s\"", what, b->len, (int)b->len,
                 b->data ? b->data : "");
    cr_assert_eq(memcmp(b->data, want, want_len), 0, "%s: got \"%.*s\"", what, (int)b->len,
                 b->data);
    buf_clear(b);
}

#define EXPECT(b, lit, what) wr_expect((b), lit, sizeof(lit) - 1, what)

Test(resp_write, simple_error_and_integer)
{
    struct buf b;
    buf_init(&b);
    resp_write_simple_str(&b, "OK");
    EXPECT(&b, "+OK\r\n", "simple");
    resp_write_simple(&b, "a\r\nb", 4);
    EXPECT(&b, "+a  b\r\n", "simple with CRLF");
    resp_write_simple(&b, "", 0);
    EXPECT(&b, "+\r\n", "empty simple");
    resp_write_error_str(&b, "ERR unknown command");
    EXPECT(&b, "-ERR unknown command\r\n", "error");
    resp_write_error(&b, "ERR a\r\nb\nc\r", 11);
    EXPECT(&b, "-ERR a  b c \r\n", "error with CR LF");
    resp_write_errorf(&b, "ERR %s %d", "x\r\ny", 5);
    EXPECT(&b, "-ERR x  y 5\r\n", "errorf");
    resp_write_errorf(&b, "WRONGTYPE %s",
                      "Operation against a key holding the wrong kind of value");
    EXPECT(&b, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
           "errorf long");
    resp_write_integer(&b, 0);
    EXPECT(&b, ":0\r\n", "zero");
    resp_write_integer(&b, -1);
    EXPECT(&b, ":-1\r\n", "minus one");
    resp_write_integer(&b, LLONG_MAX);
    EXPECT(&b, ":9223372036854775807\r\n", "max");
    resp_write_integer(&b, LLONG_MIN);
    EXPECT(&b, ":-9223372036854775808\r\n", "min");
    buf_free(&b);
}

Test(resp_write, bulk_strings_and_commands)
{
    struct buf b;
    buf_init(&b);
    resp_write_bulk_str(&b, "hello");
    EXPECT(&b, "$5\r\nhello\r\n", "bulk");
    resp_write_bulk(&b, "", 0);
    EXPECT(&b, "$0\r\n\r\n", "empty bulk");
    resp_write_bulk(&b, "a\0\r\n", 4);
    EXPECT(&b, "$4\r\na\0\r\n\r\n", "binary bulk");
    resp_write_bulk_ll(&b, -42);
    EXPECT(&b, "$3\r\n-42\r\n", "bulk ll");
    resp_write_bulk_ll(&b, LLONG_MIN);
    EXPECT(&b, "$20\r\n-9223372036854775808\r\n", "bulk ll min");
    resp_write_array_header(&b, 0);
    EXPECT(&b, "*0\r\n", "empty array");
    resp_write_array_header(&b, 1234567);
    EXPECT(&b, "*1234567\r\n", "array");
    struct resp_arg argv[] = {{"SET", 3}, {"k", 1}, {"", 0}};
    resp_write_command(&b, 3, argv);
    EXPECT(&b, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", "command");
    const char *cargv[] = {"PING"};
    resp_write_commandv(&b, cargv, 1);
    EXPECT(&b, "*1\r\n$4\r\nPING\r\n", "commandv");
    resp_write_commandv(&b, NULL, 0);
    EXPECT(&b, "*0\r\n", "empty commandv");

    /* A big value lands intact after many appends (one reservation per call). */
    size_t big = 100000;
    char *v = xmalloc(big);
    memset(v, 'x', big);
    resp_write_simple_str(&b, "first");
    resp_write_bulk(&b, v, big);
    cr_assert_eq(b.len, 8 + 9 + big + 2);
    cr_assert_eq(memcmp(b.data + 8, "$100000\r\n", 9), 0);
    cr_assert_eq(memcmp(b.data + 17, v, big), 0);
    cr_assert_eq(memcmp(b.data + 17 + big, "\r\n", 2), 0);
    free(v);
    buf_free(&b);
}

/* Each RESP3 type, then its RESP2 fallback. */
Test(resp_write, resp3_types_and_their_resp2_fallbacks)
{
    struct buf b;
    buf_init(&b);
    resp_write_null(&b, 3);
    EXPECT(&b, "_\r\n", "null 3");
    resp_write_null(&b, 2);
    EXPECT(&b, "$-1\r\n", "null 2");
    resp_write_null_array(&b, 3);
    EXPECT(&b, "_\r\n", "null array 3");
    resp_write_null_array(&b, 2);
    EXPECT(&b, "*-1\r\n", "null array 2");
    resp_write_map_header(&b, 3, 3);
    EXPECT(&b, "%3\r\n", "map 3");
    resp_write_map_header(&b, 2, 3);
    EXPECT(&b, "*6\r\n", "map 2");
    resp_write_set_header(&b, 3, 2);
    EXPECT(&b, "~2\r\n", "set 3");
    resp_write_set_header(&b, 2, 2);
    EXPECT(&b, "*2\r\n", "set 2");
    resp_write_push_header(&b, 3, 3);
    EXPECT(&b, ">3\r\n", "push 3");
    resp_write_push_header(&b, 2, 3);
    EXPECT(&b, "*3\r\n", "push 2");
    resp_write_attribute_header(&b, 3, 1);
    EXPECT(&b, "|1\r\n", "attribute 3");
    resp_write_attribute_header(&b, 2, 1);
    EXPECT(&b, "", "attribute 2");
    resp_write_bool(&b, 3, true);
    resp_write_bool(&b, 3, false);
    EXPECT(&b, "#t\r\n#f\r\n", "bool 3");
    resp_write_bool(&b, 2, true);
    resp_write_bool(&b, 2, false);
    EXPECT(&b, ":1\r\n:0\r\n", "bool 2");
    resp_write_verbatim(&b, 3, "Some string", 11);
    EXPECT(&b, "=15\r\ntxt:Some string\r\n", "verbatim 3");
    resp_write_verbatim(&b, 2, "Some string", 11);
    EXPECT(&b, "$11\r\nSome string\r\n", "verbatim 2");
    resp_write_verbatim(&b, 3, "", 0);
    EXPECT(&b, "=4\r\ntxt:\r\n", "empty verbatim 3");
    resp_write_bignum(&b, 3, "-3492890328409238509324850943850943825024385", 44);
    EXPECT(&b, "(-3492890328409238509324850943850943825024385\r\n", "bignum 3");
    resp_write_bignum(&b, 2, "12345678901234567890", 20);
    EXPECT(&b, "$20\r\n12345678901234567890\r\n", "bignum 2");
    buf_free(&b);
}

Test(resp_write, doubles_format_as_redis)
{
    struct buf b;
    buf_init(&b);
    resp_write_double(&b, 3, 1.5);
    EXPECT(&b, ",1.5\r\n", "1.5 in 3");
    resp_write_double(&b, 2, 1.5);
    EXPECT(&b, "$3\r\n1.5\r\n", "1.5 in 2");
    resp_write_double(&b, 3, 0.1);
    EXPECT(&b, ",0.10000000000000001\r\n", "0.1 with 17 digits");
    resp_write_double(&b, 2, 0.1);
    EXPECT(&b, "$19\r\n0.10000000000000001\r\n", "0.1 in 2");
    resp_write_double(&b, 3, 10);
    EXPECT(&b, ",10\r\n", "integral");
    resp_write_double(&b, 3, 1e300);
    EXPECT(&b, ",1.0000000000000001e+300\r\n", "exponent");
    resp_write_double(&b, 3, INFINITY);
    EXPECT(&b, ",inf\r\n", "inf 3");
    resp_write_double(&b, 2, INFINITY);
    EXPECT(&b, "$3\r\ninf\r\n", "inf 2");
    resp_write_double(&b, 3, -INFINITY);
    EXPECT(&b, ",-inf\r\n", "-inf 3");
    resp_write_double(&b, 2, -INFINITY);
    EXPECT(&b, "$4\r\n-inf\r\n", "-inf 2");
    resp_write_double(&b, 3, NAN);
    EXPECT(&b, ",nan\r\n", "nan 3");
    buf_free(&b);
}

/* Replies append: nothing already in the buffer is touched, and unread bytes stay unread. */
Test(resp_write, writers_append_after_existing_bytes)
{
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "xx");
    buf_consume(&b, 1);
    resp_write_array_header(&b, 2);
    resp_write_integer(&b, 7);
    resp_write_bulk_str(&b, "v");
    cr_assert_eq(b.pos, 1);
    EXPECT(&b, "xx*2\r\n:7\r\n$1\r\nv\r\n", "appended");
    buf_free(&b);
}
