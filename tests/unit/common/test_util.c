/* Strict number parsing, double formatting, glob matching and the byte buffer. */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"

static int pll(const char *s, long long *v) { return util_parse_ll(s, strlen(s), v); }

Test(util, parse_ll_accepts_exact_integers)
{
    long long v;
    cr_assert_eq(pll("0", &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(pll("-42", &v), 0);
    cr_assert_eq(v, -42);
    cr_assert_eq(pll("9223372036854775807", &v), 0);
    cr_assert_eq(v, LLONG_MAX);
    cr_assert_eq(pll("-9223372036854775808", &v), 0);
    cr_assert_eq(v, LLONG_MIN);
}

Test(util, parse_ll_rejects_junk_and_overflow)
{
    long long v;
    const char *bad[] = {"",
                         "-",
                         "+1",
                         " 1",
                         "1 ",
                         "01",
                         "-0",
                         "1a",
                         "9223372036854775808",
                         "-9223372036854775809",
                         "99999999999999999999",
                         "1.0"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) cr_assert_eq(pll(bad[i], &v), -1, "%s", bad[i]);
}

Test(util, parse_double_rejects_nan_spaces_junk)
{
    double d;
    cr_assert_eq(util_parse_double("1.5", 3, &d), 0);
    cr_assert_float_eq(d, 1.5, 1e-12);
    cr_assert_eq(util_parse_double("-inf", 4, &d), 0);
    cr_assert_eq(util_parse_double("nan", 3, &d), -1);
    cr_assert_eq(util_parse_double(" 1", 2, &d), -1);
    cr_assert_eq(util_parse_double("1x", 2, &d), -1);
    cr_assert_eq(util_parse_double("", 0, &d), -1);
}

Test(util, double_format_matches_redis)
{
    char b[64];
    util_double_to_str(b, sizeof b, 1.5);
    cr_assert_str_eq(b, "1.5");
    util_double_to_str(b, sizeof b, 0.1);
    cr_assert_str_eq(b, "0.10000000000000001");
    util_double_to_str(b, sizeof b, 1.0 / 0.0);
    cr_assert_str_eq(b, "inf");
    util_double_to_str(b, sizeof b, -1.0 / 0.0);
    cr_assert_str_eq(b, "-inf");
    util_long_double_to_str(b, sizeof b, 10.5L);
    cr_assert_str_eq(b, "10.5");
    util_long_double_to_str(b, sizeof b, 3.0L);
    cr_assert_str_eq(b, "3");
}

static bool gm(const char *p, const char *s)
{
    return util_glob_match(p, strlen(p), s, strlen(s), false);
}

Test(util, glob_match_cases)
{
    cr_assert(gm("*", "anything"));
    cr_assert(gm("h?llo", "hello"));
    cr_assert(gm("h*llo", "heeeello"));
    cr_assert(gm("h[ae]llo", "hallo"));
    cr_assert_not(gm("h[ae]llo", "hillo"));
    cr_assert(gm("h[^e]llo", "hallo"));
    cr_assert_not(gm("h[^e]llo", "hello"));
    cr_assert(gm("h[a-b]llo", "hbllo"));
    cr_assert(gm("news.*", "news.tech"));
    cr_assert_not(gm("news.*", "new.tech"));
    cr_assert(gm("a\\*b", "a*b"));
    cr_assert_not(gm("a\\*b", "axb"));
    cr_assert(gm("*a*b*c*", "xxaxxbxxcxx"));
    cr_assert_not(gm("*a*b*c", "xxaxxbxxcxx"));
    cr_assert(gm("", ""));
    cr_assert_not(gm("", "a"));
    cr_assert(util_glob_match("HELLO", 5, "hello", 5, true));
}

/* Redis's quirks, checked against redis-server 7.0 (tests/compat/diff/keys.txt plays them too). */
Test(util, glob_match_keeps_redis_quirks)
{
    /* "c-]" is the range ']'..'c' and the class runs on to the pattern's end */
    cr_assert(gm("[c-]", "]"));
    cr_assert(gm("[c-]", "a"));
    cr_assert_not(gm("[c-]", "-"));
    cr_assert(gm("[a-]x", "x"));
    cr_assert_not(gm("[a-]x", "ax"));
    /* range ends compare as signed chars: "\xff" is -1, below 'a' */
    cr_assert(gm("[a-\xff]", "\xff"));
    cr_assert(gm("[a-\xff]", "A"));
    cr_assert_not(gm("[a-\xff]", "b"));
    cr_assert_not(gm("[a-\xff]", "\xc3"));
    cr_assert(gm("[^\xc3-b]", "c"));
    /* with nocase the ends are ordered before folding: [Z-a] and [a-Z] are empty, [A-z] not */
    cr_assert_not(util_glob_match("[Z-a]", 5, "m", 1, true));
    cr_assert_not(util_glob_match("[a-Z]", 5, "m", 1, true));
    cr_assert(util_glob_match("[A-z]", 5, "M", 1, true));
    /* unclosed classes and a trailing backslash */
    cr_assert(gm("[ab", "b"));
    cr_assert_not(gm("a[", "a"));
    cr_assert(gm("a\\", "a\\"));
}

static bool glob_stars(int groups, bool trailing_star)
{
    char pat[2 * 1100 + 2], str[1100];
    size_t n = 0;
    for (int i = 0; i < groups; i++) {
        pat[n++] = '*';
        pat[n++] = 'a';
        str[i] = 'a';
    }
    if (trailing_star) pat[n++] = '*';
    return util_glob_match(pat, n, str, (size_t)groups, false);
}

Test(util, glob_match_gives_up_past_1000_star_groups_as_redis)
{
    cr_assert(glob_stars(1000, false));
    cr_assert(glob_stars(1000, true)); /* a trailing '*' does not count */
    cr_assert_not(glob_stars(1001, false));
    cr_assert_not(glob_stars(1001, true));
}

static bool gt(const char *p, const char *s)
{
    struct util_glob g;
    util_glob_init(&g, p, strlen(p), false);
    return util_glob_test(&g, s, strlen(s));
}

Test(util, glob_prepared_pattern_fast_paths_agree)
{
    cr_assert(gt("user:1*", "user:1"));
    cr_assert(gt("user:1*", "user:123"));
    cr_assert_not(gt("user:1*", "user:2"));
    cr_assert_not(gt("user:1*", "user:"));
    cr_assert(gt("user:1", "user:1"));
    cr_assert_not(gt("user:1", "user:12"));
    cr_assert(gt("user:1?3", "user:123"));
    cr_assert_not(gt("user:1?3", "user:13"));
    cr_assert(gt("", ""));
    cr_assert_not(gt("", "a"));
    cr_assert(gt("**", ""));
    cr_assert(gt("a\\*", "a*"));
    cr_assert_not(gt("a\\*", "ab"));
    struct util_glob g;
    util_glob_init(&g, "User:*", 6, true); /* nocase: no literal prefix shortcut */
    cr_assert(util_glob_test(&g, "user:7", 6));
}

Test(buf, append_printf_consume_compact)
{
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < 1000; i++) buf_printf(&b, "%d,", i);
    cr_assert_eq(strncmp(b.data, "0,1,2,", 6), 0);
    size_t total = b.len;
    buf_consume(&b, 4);
    cr_assert_eq(buf_unread_len(&b), total - 4);
    cr_assert_eq(strncmp(buf_unread(&b), "2,3,", 4), 0);
    buf_compact(&b);
    cr_assert_eq(b.pos, 0);
    cr_assert_eq(strncmp(b.data, "2,3,", 4), 0);
    buf_consume(&b, b.len);
    cr_assert_eq(b.len, 0);
    char *sp = buf_space(&b, 10);
    memcpy(sp, "abc", 3);
    buf_commit(&b, 3);
    cr_assert_str_eq(b.data, "abc");
    buf_free(&b);
}

Test(util, secret_equal_compares_length_and_every_byte)
{
    cr_assert(util_secret_equal("token", 5, "token", 5));
    cr_assert_not(util_secret_equal("token", 5, "token2", 6));
    cr_assert_not(util_secret_equal("", 0, "token", 5));
    cr_assert(util_secret_equal("", 0, "", 0));
    /* A NUL byte is data, not an end: "pw\0zz" is not the password "pw". */
    cr_assert_not(util_secret_equal("pw", 2, "pw\0zz", 5));
    cr_assert_not(util_secret_equal("pw\0zz", 5, "pw\0zy", 5));
    cr_assert(util_secret_equal("pw\0zz", 5, "pw\0zz", 5));
}
