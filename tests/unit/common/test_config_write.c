/* common/config writing YAML: round trips, defaults left out, secrets redacted, selected keys,
 * the reference table, aliases. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/common/config_fixture.h"

CONFIG_SUITE(config_write);

/* --- writing YAML -------------------------------------------------------------------------- */

Test(config_write, written_yaml_reloads_to_an_equal_struct)
{
    char err[CFG_ERR_LEN];
    struct sentinel_cfg back;
    struct buf y;
    buf_init(&y);
    load_sentinel_fixture("sentinel_ok.yaml", NULL, 0);
    /* strings YAML would otherwise alter: quotes, escapes, breaks, C1 controls, non-ASCII */
    cr_assert_eq(
        cfg_set(&sentinel_schema, &se, "announce-ip",
                "a\"b\\c\n\td: #x \xc2\x85 \xc2\x80 \xe2\x80\xa8 \xc3\xa9 \xf0\x9f\x98\x80", err,
                sizeof err),
        0, "%s", err);
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "masters.0.auth-pass", "p'w: [x]", err, sizeof err),
                 0);
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "masters.1.down-after", "1500", err, sizeof err),
                 0);
    cr_assert_eq(cfg_write_yaml(&sentinel_schema, &se, NULL, 0, CFG_WRITE_SECRETS, &y), 0);
    memset(&back, 0, sizeof back);
    cfg_defaults(&sentinel_schema, &back);
    cr_assert_eq(cfg_load_string(&sentinel_schema, &back, "w.yaml", y.data, y.len, &errs), 0,
                 "%s\n%s", errs.err[0].text, y.data);
    cr_assert(cfg_equal(&sentinel_schema, &se, &back), "%s", y.data);
    cr_assert_str_eq(back.announce_ip, se.announce_ip);
    cfg_free(&sentinel_schema, &back);
    buf_free(&y);
}

Test(config_write, writes_only_non_default_values_and_redacts_secrets)
{
    char err[CFG_ERR_LEN];
    struct buf y;
    buf_init(&y);
    cr_assert_eq(cfg_set(&store_schema, &st, "port", "7000", err, sizeof err), 0);
    cr_assert_eq(cfg_set(&store_schema, &st, "maxmemory", "1536kb", err, sizeof err), 0);
    cr_assert_eq(cfg_set(&store_schema, &st, "repl-timeout", "90", err, sizeof err), 0);
    cr_assert_eq(cfg_set(&store_schema, &st, "requirepass", "hunter2", err, sizeof err), 0);
    cr_assert_eq(cfg_set(&store_schema, &st, "bind", "::1", err, sizeof err), 0);
    cr_assert_eq(cfg_write_yaml(&store_schema, &st, NULL, 0, CFG_WRITE_NON_DEFAULT, &y), 0);
    cr_assert_str_eq(y.data, "port: 7000\nbind: [\"::1\"]\n# requirepass: (redacted)\n"
                             "repl-timeout: 90s\nmaxmemory: 1536kb\n");
    buf_clear(&y);
    cr_assert_eq(
        cfg_write_yaml(&store_schema, &st, NULL, 0, CFG_WRITE_NON_DEFAULT | CFG_WRITE_SECRETS, &y),
        0);
    struct store_cfg back;
    memset(&back, 0, sizeof back);
    cfg_defaults(&store_schema, &back);
    cr_assert_eq(cfg_load_string(&store_schema, &back, "w.yaml", y.data, y.len, &errs), 0);
    cr_assert(cfg_equal(&store_schema, &st, &back), "%s", y.data);
    cfg_free(&store_schema, &back);
    buf_free(&y);
}

Test(config_write, writes_selected_keys_and_sections)
{
    struct buf y;
    buf_init(&y);
    load_sentinel_fixture("sentinel_ok.yaml", NULL, 0);
    const char *keys[] = {"port", "http", "PORT"};
    cr_assert_eq(cfg_write_yaml(&sentinel_schema, &se, keys, 3, 0, &y), 0);
    cr_assert_str_eq(y.data, "port: 26379\nhttp:\n  bind: \"127.0.0.1\"\n  port: 26380\n"
                             "  # token: (redacted)\n");
    const char *bad[] = {"port", "nope"};
    buf_clear(&y);
    cr_assert_eq(cfg_write_yaml(&sentinel_schema, &se, bad, 2, 0, &y), -1);
    cr_assert_eq(y.len, 0);
    const char *list[] = {"masters"};
    se.nmasters = 1;
    cr_assert_eq(cfg_write_yaml(&sentinel_schema, &se, list, 1, 0, &y), 0);
    cr_assert_str_eq(y.data, "masters:\n  - name: \"mymaster\"\n    host: \"127.0.0.1\"\n"
                             "    port: 6379\n    quorum: 2\n    down-after: 1s\n"
                             "    failover-timeout: 10s\n    parallel-syncs: 1\n"
                             "    # auth-pass: (redacted)\n");
    se.nmasters = 2;
    buf_free(&y);
}

Test(config_write, reference_table_lists_every_key)
{
    struct buf b;
    buf_init(&b);
    cfg_write_reference(&sentinel_schema, &b);
    cr_assert(
        strstr(b.data, "| `masters[].quorum` | an integer from 1 to 100 | `2` | Quorum. |\n"));
    cr_assert(strstr(b.data, "| `http.token` | a string of 16 to 256 bytes |  | Bearer token. "
                             "Secret: CONFIG GET shows it redacted. |\n"));
    buf_clear(&b);
    cfg_write_reference(&store_schema, &b);
    cr_assert(strstr(b.data, "Password \\| for AUTH."), "%s", b.data);
    buf_free(&b);
}

Test(config_write, alias_sets_its_field_and_counts_as_a_duplicate)
{
    const char *y = "masters:\n  - {name: a, host: h, down-after-milliseconds: 1500}\n";
    cr_assert_eq(cfg_load_string(&sentinel_schema, &se, "a.yaml", y, strlen(y), &errs), 0);
    cr_assert_eq(se.masters[0].down_after_ms, 1500);
    y = "masters:\n  - {name: a, host: h, down-after: 1s, DOWN-AFTER-MILLISECONDS: 2}\n";
    cr_assert_eq(cfg_load_string(&sentinel_schema, &se, "a.yaml", y, strlen(y), &errs), -1);
    cr_assert_str_eq(
        errs.err[0].text,
        "a.yaml:2:40: duplicate key \"masters.0.DOWN-AFTER-MILLISECONDS\" (first at line 2)");
    struct buf b;
    buf_init(&b);
    /* Listed under both names, as Redis's CONFIG GET lists slave-read-only beside
     * replica-read-only. */
    cr_assert_eq(cfg_get_matching(&sentinel_schema, &se, "*down-after*", collect, &b), 2);
    cr_assert_str_eq(b.data, "masters.0.down-after=1000;masters.0.down-after-milliseconds=1000;");
    buf_clear(&b);
    cfg_write_reference(&sentinel_schema, &b);
    cr_assert(strstr(b.data, "| Redis's name. Alias of `down-after`. |\n"));
    buf_free(&b);
}

/* Bad input never crashes: seeded byte mutations of a valid file, each loaded and freed. */
