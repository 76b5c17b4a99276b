/* common/config value syntax: durations, sizes, bools, enums and addresses, in tables. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/common/config_fixture.h"

CONFIG_SUITE(config_values);

/* --- value syntax tables ------------------------------------------------------------------- */

struct case_ll {
    const char *text;
    long long want; /* LLONG_MIN: must be refused */
};

/* Sets each text through CONFIG SET; reads the result from whichever field is given. */
static void check_cases(const char *key, const struct case_ll *c, size_t n, const int64_t *ms,
                        const long long *ll)
{
    char err[CFG_ERR_LEN];
    for (size_t i = 0; i < n; i++) {
        int rc = cfg_set(&store_schema, &st, key, c[i].text, err, sizeof err);
        if (c[i].want == LLONG_MIN) {
            cr_expect_eq(rc, -1, "%s %s accepted", key, c[i].text);
            continue;
        }
        cr_expect_eq(rc, 0, "%s %s: %s", key, c[i].text, err);
        cr_expect_eq(ms ? (long long)*ms : *ll, c[i].want, "%s %s", key, c[i].text);
    }
}

Test(config_values, parses_durations_with_units)
{
    static const struct case_ll c[] = {
        {"500ms", LLONG_MIN}, /* below the 1s minimum */
        {"1s", 1000},
        {"2m", 120000},
        {"1h", 3600000},
        {"1S", 1000},
        {"10", 10000},
        {"1500ms", 1500},
        {"1.5s", LLONG_MIN},
        {"", LLONG_MIN},
        {"s", LLONG_MIN},
        {"-1s", LLONG_MIN},
        {"1x", LLONG_MIN},
        {" 1s", LLONG_MIN},
        {"9223372036854775807h", LLONG_MIN},
        {"2h", LLONG_MIN},
        {"01s", LLONG_MIN},
    };
    check_cases("repl-timeout", c, COUNT(c), &st.repl_timeout_ms, NULL);
    char err[CFG_ERR_LEN];
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "webhooks.0.timeout", "1", err, sizeof err), -1);
    cr_assert_str_eq(err, "no entry 0 in \"webhooks\", which has 0");
}

Test(config_values, parses_sizes_with_units)
{
    static const struct case_ll c[] = {
        {"64mb", 64LL << 20},
        {"1gb", 1LL << 30},
        {"512kb", 512 * 1024},
        {"100b", 100},
        {"100", 100},
        {"1K", 1000},
        {"1KB", 1024},
        {"2G", 2000000000LL},
        {"2gB", 2LL << 30},
        {"5m", 5000000},
        {"3Mb", 3LL << 20},
        {"0", 0},
        {"1tb", LLONG_MIN},
        {"-1", LLONG_MIN},
        {"kb", LLONG_MIN},
        {"1 kb", LLONG_MIN},
        {"99999999999gb", LLONG_MIN},
    };
    check_cases("maxmemory", c, COUNT(c), NULL, &st.maxmemory_bytes);
}

Test(config_values, parses_bools_enums_and_addresses)
{
    char err[CFG_ERR_LEN];
    const char *yes[] = {"yes", "YES", "true", "True"}, *no[] = {"no", "No", "false", "FALSE"};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(cfg_set(&store_schema, &st, "appendonly", yes[i], err, sizeof err), 0);
        cr_assert(st.appendonly);
        cr_assert_eq(cfg_set(&store_schema, &st, "appendonly", no[i], err, sizeof err), 0);
        cr_assert(!st.appendonly);
    }
    cr_assert_eq(cfg_set(&store_schema, &st, "appendonly", "1", err, sizeof err), -1);
    cr_assert_eq(cfg_set(&store_schema, &st, "loglevel", "DEBUG", err, sizeof err), 0);
    cr_assert_eq(st.loglevel, 0);
    const char *bad_addr[] = {"::1:6379", "h:",        ":1",   "h:0",
                              "h:65536",  "[::1]6379", "[]:1", "a b:1"};
    for (size_t i = 0; i < COUNT(bad_addr); i++)
        cr_expect_eq(cfg_set(&store_schema, &st, "replicaof", bad_addr[i], err, sizeof err), -1,
                     "%s", bad_addr[i]);
    cr_assert_eq(cfg_set(&store_schema, &st, "replicaof", "[fe80::1]:1", err, sizeof err), 0);
    cr_assert_str_eq(st.replicaof.host, "fe80::1");
    cr_assert_eq(cfg_set(&store_schema, &st, "replicaof", "", err, sizeof err), 0);
    cr_assert_str_eq(st.replicaof.host, "");
}

/* CFG_F_PERCENT: a size or "N%" (stored as -N), printed back in the form it was given. */
struct pct_cfg {
    long long v;
};
static const struct cfg_field pct_fields[] = {
    {.key = "limit",
     .type = CFG_SIZE,
     .offset = offsetof(struct pct_cfg, v),
     .max = 1LL << 40,
     .def = "0",
     .flags = CFG_F_PERCENT,
     .help = "A size or a share."},
};
static const struct cfg_schema pct_schema = CFG_SCHEMA_INIT(pct_fields);

Test(config_values, percent_sizes_parse_store_and_print_back)
{
    static const struct case_ll c[] = {
        {"5%", -5},           {"100%", -100},     {"0%", 0},
        {"64mb", 64LL << 20}, {"1k", 1000},       {"7", 7},
        {"101%", LLONG_MIN},  {"-5%", LLONG_MIN}, {"05%", LLONG_MIN},
        {"5.5%", LLONG_MIN},  {"%", LLONG_MIN},   {"5%%", LLONG_MIN},
        {"+5%", LLONG_MIN},   {"5 %", LLONG_MIN}, {"1mb%", LLONG_MIN},
        {"2tb", LLONG_MIN},   {"-1", LLONG_MIN},  {"abc", LLONG_MIN},
    };
    char err[CFG_ERR_LEN];
    cr_assert_eq(cfg_schema_check(&pct_schema, err, sizeof err), 0, "%s", err);
    struct pct_cfg p = {0};
    cfg_defaults(&pct_schema, &p);
    for (size_t i = 0; i < COUNT(c); i++) {
        int rc = cfg_set(&pct_schema, &p, "limit", c[i].text, err, sizeof err);
        if (c[i].want == LLONG_MIN) {
            cr_expect_eq(rc, -1, "%s accepted", c[i].text);
            continue;
        }
        cr_expect_eq(rc, 0, "%s: %s", c[i].text, err);
        cr_expect_eq(p.v, c[i].want, "%s", c[i].text);
    }
    cr_assert_eq(cfg_set(&pct_schema, &p, "limit", "12%", err, sizeof err), 0);
    struct buf out;
    buf_init(&out);
    cr_assert_eq(cfg_get(&pct_schema, &p, "limit", &out), 0);
    cr_assert_str_eq(out.data, "12%");
    buf_clear(&out);
    cr_assert_eq(cfg_write_yaml(&pct_schema, &p, NULL, 0, 0, &out), 0);
    struct pct_cfg back = {0};
    cfg_defaults(&pct_schema, &back);
    cr_assert_eq(cfg_load_string(&pct_schema, &back, "p.yaml", out.data, out.len, &errs), 0);
    cr_assert_eq(back.v, -12, "YAML written as %s", out.data);
    cr_assert_eq(cfg_set(&pct_schema, &p, "limit", "x", err, sizeof err), -1);
    cr_assert(strstr(err, "or a percentage from 0% to 100%"), "%s", err);
    buf_free(&out);
}

Test(config_values, percent_flag_is_only_for_sizes)
{
    static const struct cfg_field bad[] = {
        {.key = "n",
         .type = CFG_INT,
         .offset = 0,
         .def = "0",
         .flags = CFG_F_PERCENT,
         .help = "Not a size."},
    };
    static const struct cfg_schema s = CFG_SCHEMA_INIT(bad);
    char err[CFG_ERR_LEN];
    cr_assert_eq(cfg_schema_check(&s, err, sizeof err), -1);
}
