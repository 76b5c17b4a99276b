/* ACL users: the rule language, Redis's error texts, permission checks, and descriptions that
 * mean what the rules meant (a description applied to a fresh user gives the same bits). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"

/* A catalog shaped like the sentinel's: containers followed by their subcommands. */
#define CAT(name) (1u << acl_category_find(name))
static struct acl_command cmds[9];
static struct acl_catalog catalog = {cmds, 9};
static struct acl_users *users;

static void setup(void)
{
    uint32_t conn = CAT("connection"), slow = CAT("slow"), fast = CAT("fast");
    uint32_t admin = CAT("admin") | slow | CAT("dangerous"), pubsub = CAT("pubsub");
    struct acl_command c[] = {
        {"ping", -1, fast | conn},
        {"info", -1, slow | CAT("dangerous")},
        {"client", -1, slow},
        {"client|info", 2, slow | conn},
        {"client|kill", 2, admin | conn},
        {"client|id", 2, slow | conn},
        {"publish", -1, pubsub | fast},
        {"subscribe", -1, pubsub | slow},
        {"psubscribe", -1, pubsub | slow},
    };
    memcpy(cmds, c, sizeof(c));
    users = acl_users_create(&catalog);
}

static void teardown(void) { acl_users_destroy(users); }

static int set(const char *name, const char *rules, char *err, size_t errlen)
{
    const char *v[16];
    size_t l[16];
    int n = 0;
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", rules);
    for (char *save, *t = strtok_r(copy, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save)) {
        v[n] = t;
        l[n++] = strlen(t);
    }
    char **merged;
    size_t *ml;
    int m = acl_merge_rules(n, v, l, &merged, &ml, err, errlen);
    if (m < 0) return -1;
    int rc = acl_users_setuser(users, name, m, (const char *const *)merged, ml, err, errlen);
    acl_rules_free(merged, ml, m);
    return rc;
}

static void ok(const char *name, const char *rules)
{
    char err[512] = "";
    cr_assert_eq(set(name, rules, err, sizeof(err)), 0, "%s: %s", rules, err);
}

static const char *describe(const char *name)
{
    static char out[1024];
    struct buf b = {0};
    acl_user_describe(acl_users_find(users, name), &b);
    snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data);
    buf_free(&b);
    return out;
}

static bool may(const char *user, size_t cmd) /* cmd: catalog index */
{
    return acl_user_check(acl_users_find(users, user), cmd, NULL, 0, 0, NULL, NULL, false) ==
           ACL_ALLOWED;
}

TestSuite(acl, .init = setup, .fini = teardown);

Test(acl, default_user_may_do_everything)
{
    cr_assert_str_eq(describe("default"), "on nopass ~* &* +@all");
    for (size_t i = 0; i < catalog.n; i++) cr_assert(may("default", i));
}

Test(acl, passwords_are_sha256_and_checked_by_value)
{
    ok("alice", "on >secret +@all ~*");
    cr_assert_str_eq(describe("alice"),
                     "on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* "
                     "resetchannels +@all");
    const struct acl_user *a = acl_users_find(users, "alice");
    cr_assert(acl_user_password_ok(a, "secret", 6));
    cr_assert(!acl_user_password_ok(a, "secret\0zz", 9), "a NUL byte is part of the password");
    cr_assert(!acl_user_password_ok(a, "secre", 5));
    ok("alice", "off");
    cr_assert(!acl_user_password_ok(a = acl_users_find(users, "alice"), "secret", 6));
}

Test(acl, rule_errors_have_redis_texts_and_change_nothing)
{
    ok("bob", "on nopass +ping");
    const char *before = strdup(describe("bob"));
    struct {
        const char *rules, *err;
    } cases[] = {
        {"+nosuch", "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in "
                    "ACL"},
        {"+@nosuch", "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in"
                     " ACL"},
        {"-ping|foo", "Error in ACL SETUSER modifier '-ping|foo': Unknown command or category name "
                      "in ACL"},
        {"+client|nosuch", "Error in ACL SETUSER modifier '+client|nosuch': Unknown command or "
                           "category name in ACL"},
        {"-info bogus", "Error in ACL SETUSER modifier 'bogus': Syntax error"},
        {"%X~a", "Error in ACL SETUSER modifier '%X~a': Syntax error"},
        {"#abc", "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 "
                 "characters and contain only lowercase hexadecimal characters"},
        {"<nosuch", "Error in ACL SETUSER modifier '<nosuch': The password you are trying to "
                    "remove from the user does not exist"},
        {"allkeys ~foo", "Error in ACL SETUSER modifier '~foo': Adding a pattern after the * "
                         "pattern (or the 'allkeys' flag) is not valid and does not have any "
                         "effect. Try 'resetkeys' to start with an empty list of patterns"},
        {"(+ping", "Unmatched parenthesis in acl selector starting at '(+ping'."},
        {"(bogus)", "Error in ACL SETUSER modifier '(bogus)': Syntax error"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        cr_assert_eq(set("bob", cases[i].rules, err, sizeof(err)), -1, "%s", cases[i].rules);
        cr_assert_str_eq(err, cases[i].err);
        cr_assert_str_eq(describe("bob"), before, "a failed SETUSER changed the user");
    }
    free((void *)before);
}

Test(acl, commands_subcommands_and_first_arguments)
{
    ok("u", "on nopass +ping +client -client|kill +info|server");
    cr_assert(may("u", 0) && !may("u", 1));
    cr_assert(may("u", 3) && !may("u", 4) && may("u", 5));
    const struct acl_user *u = acl_users_find(users, "u");
    cr_assert_eq(acl_user_check(u, 1, "SERVER", 6, 0, NULL, NULL, false), ACL_ALLOWED);
    cr_assert_eq(acl_user_check(u, 1, "clients", 7, 0, NULL, NULL, false), ACL_DENIED_COMMAND);
    ok("u", "+@all -@connection");
    cr_assert(!may("u", 0) && may("u", 1) && may("u", 2) && !may("u", 3) && may("u", 6));
}

Test(acl, channels_glob_for_channels_and_literal_for_patterns)
{
    ok("p", "on nopass +@pubsub &news.*");
    const struct acl_user *u = acl_users_find(users, "p");
    const char *ch[] = {"news.eu"}, *other[] = {"sports"}, *pat[] = {"news.*"}, *wide[] = {"n*"};
    size_t l7[] = {7}, l6[] = {6}, l2[] = {2};
    cr_assert_eq(acl_user_check(u, 6, NULL, 0, 1, ch, l7, false), ACL_ALLOWED);
    cr_assert_eq(acl_user_check(u, 6, NULL, 0, 1, other, l6, false), ACL_DENIED_CHANNEL);
    cr_assert_eq(acl_user_check(u, 8, NULL, 0, 1, pat, l6, true), ACL_ALLOWED);
    cr_assert_eq(acl_user_check(u, 8, NULL, 0, 1, wide, l2, true), ACL_DENIED_CHANNEL);
    cr_assert_str_eq(describe("p"), "on nopass resetchannels &news.* -@all +@pubsub");
}

Test(acl, selectors_grant_in_addition_to_the_root)
{
    ok("s", "on nopass +ping (+info ~x*)");
    cr_assert(may("s", 0) && may("s", 1) && !may("s", 6));
    cr_assert_str_eq(describe("s"),
                     "on nopass resetchannels -@all +ping (~x* resetchannels -@all +info)");
    ok("s", "clearselectors");
    cr_assert(!may("s", 1));
}

Test(acl, reset_and_flags_as_redis_lists_them)
{
    ok("r", "on >x allkeys allchannels +@all reset");
    cr_assert_str_eq(describe("r"), "off sanitize-payload resetchannels -@all");
    ok("r", "%RW~a %R~a %W~b &c &c");
    cr_assert_str_eq(describe("r"), "off sanitize-payload ~a %W~b resetchannels &c -@all");
    ok("r", "&*");
    cr_assert_str_eq(describe("r"), "off sanitize-payload ~a %W~b &* -@all");
}

/* Whatever the rules, the description re-applied to a fresh user allows exactly the same. */
Test(acl, descriptions_mean_what_the_rules_meant)
{
    const char *rules[] = {"+@all -ping",
                           "+client +client|info",
                           "+client -client|info",
                           "+@all -@pubsub +publish",
                           "+@pubsub -publish +client|info",
                           "+@connection -ping +@pubsub",
                           "+ping|a +ping|b",
                           "-@all"};
    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        char text[512];
        snprintf(text, sizeof(text), "reset on nopass %s", rules[r]);
        ok("x", text);
        snprintf(text, sizeof(text), "reset %s", describe("x"));
        ok("y", text);
        for (size_t i = 0; i < catalog.n; i++)
            cr_assert_eq(may("x", i), may("y", i), "%s: %s differs (%s)", rules[r], cmds[i].name,
                         describe("x"));
    }
}

/* ---- keys, and the refusal picked across selectors ------------------------------------------ */

static enum acl_verdict check_keys(const char *user, size_t cmd, size_t n, const char *const *keys,
                                   const unsigned *access, size_t *denied)
{
    size_t lens[8];
    for (size_t i = 0; i < n; i++) lens[i] = strlen(keys[i]);
    struct acl_request r = {
        .cmd = cmd, .nkeys = n, .keys = keys, .key_lens = lens, .key_access = access};
    return acl_user_check_request(acl_users_find(users, user), &r, denied);
}

Test(acl, key_patterns_grant_read_and_write_apart)
{
    ok("k", "on nopass +@all %R~r* %W~w* ~b*");
    const unsigned R = ACL_KEY_READ, W = ACL_KEY_WRITE, RW = R | W, NONE = 0;
    size_t d = 99;
    const char *r1[] = {"r1"}, *w1[] = {"w1"}, *b1[] = {"b1"}, *x1[] = {"x1"};
    cr_assert_eq(check_keys("k", 0, 1, r1, &R, &d), ACL_ALLOWED);
    cr_assert_eq(check_keys("k", 0, 1, r1, &W, &d), ACL_DENIED_KEY);
    cr_assert_eq(check_keys("k", 0, 1, w1, &W, &d), ACL_ALLOWED);
    cr_assert_eq(check_keys("k", 0, 1, w1, &RW, &d), ACL_DENIED_KEY);
    cr_assert_eq(check_keys("k", 0, 1, b1, &RW, &d), ACL_ALLOWED);
    cr_assert_eq(check_keys("k", 0, 1, w1, &NONE, &d), ACL_ALLOWED); /* EXISTS: any pattern */
    cr_assert_eq(check_keys("k", 0, 1, x1, &NONE, &d), ACL_DENIED_KEY);
    const char *two[] = {"r1", "w1"};
    const unsigned acc[] = {R, R};
    cr_assert_eq(check_keys("k", 0, 2, two, acc, &d), ACL_DENIED_KEY);
    cr_assert_eq(d, 1, "the refused key is the second");
}

Test(acl, a_refusal_names_the_highest_reason_any_selector_gave)
{
    /* root: the command but no keys; selector: keys but not the command */
    ok("s", "on nopass +ping resetkeys (~a* -@all)");
    size_t d = 99;
    const unsigned RW = ACL_KEY_READ | ACL_KEY_WRITE;
    const char *a[] = {"a1"};
    cr_assert_eq(check_keys("s", 0, 1, a, &RW, &d), ACL_DENIED_KEY); /* key beats command */
    ok("s2", "on nopass -@all (+ping ~a*)");
    cr_assert_eq(check_keys("s2", 0, 1, a, &RW, &d), ACL_ALLOWED); /* the selector allows */
    cr_assert_eq(check_keys("s2", 1, 1, a, &RW, &d), ACL_DENIED_COMMAND);
}

Test(acl, allkeys_twice_is_no_error_but_a_pattern_after_it_is)
{
    char err[512];
    ok("a", "~* allkeys &* allchannels");
    cr_assert_eq(set("a", "%X~k", err, sizeof(err)), -1);
    cr_assert(strstr(err, "Adding a pattern after the * pattern"), "%s", err);
    ok("b", "resetkeys");
    cr_assert_eq(set("b", "%X~k", err, sizeof(err)), -1);
    cr_assert(strstr(err, "Syntax error"), "%s", err);
    cr_assert_eq(set("b", "%RR~k", err, sizeof(err)), -1);
    cr_assert(strstr(err, "Syntax error"), "%s", err);
    ok("b", "%RW~k %wr~j");
}
