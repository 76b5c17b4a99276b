/* common/config at run time and on the command line: CONFIG SET / GET (Redis's formats, all or
 * nothing), nested paths, glob matching, overrides and appends from the command line. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/common/config_fixture.h"

CONFIG_SUITE(config_set);

/* --- CONFIG SET / GET ---------------------------------------------------------------------- */

Test(config_set, set_then_get_round_trips_in_redis_format)
{
    char err[CFG_ERR_LEN];
    struct {
        const char *key, *set, *get;
    } c[] = {
        {"port", "7001", "7001"},
        {"repl-timeout", "30", "30"},
        {"repl-timeout", "2m", "120"},
        {"repl-timeout", "1500ms", "1500ms"},
        {"maxmemory", "1mb", "1048576"},
        {"appendonly", "YES", "yes"},
        {"loglevel", "Verbose", "verbose"},
        {"bind", " 10.0.0.1   ::1 ", "10.0.0.1 ::1"},
        {"replicaof", "[::1]:6380", "[::1]:6380"},
        {"MaxClients", "42", "42"},
        {"client-output-buffer-limit", "normal 1 2 3", "normal 1 2 3"},
    };
    for (size_t i = 0; i < COUNT(c); i++) {
        cr_assert_eq(cfg_set(&store_schema, &st, c[i].key, c[i].set, err, sizeof err), 0, "%s",
                     err);
        cr_expect_str_eq(get_store(c[i].key), c[i].get, "%s", c[i].key);
    }
    cr_assert_str_eq(get_store("requirepass"), "", "unset secret");
    cr_assert_eq(cfg_set(&store_schema, &st, "requirepass", "pw", err, sizeof err), 0);
    cr_assert_str_eq(get_store("requirepass"), CFG_REDACTED);
    cr_assert_str_eq(st.requirepass, "pw");
}

Test(config_set, set_is_all_or_nothing_and_explains_refusals)
{
    char err[CFG_ERR_LEN];
    cr_assert_eq(cfg_set(&store_schema, &st, "port", "x", err, sizeof err), -1);
    cr_assert_str_eq(err, "port: expected an integer from 1 to 65535, got \"x\"");
    cr_assert_eq(st.port, 6379);
    cr_assert_eq(cfg_set(&store_schema, &st, "dir", "/tmp", err, sizeof err), -1);
    cr_assert_str_eq(err, "dir: can't set immutable config");
    cr_assert_eq(cfg_set(&store_schema, &st, "prot", "1", err, sizeof err), -1);
    cr_assert_str_eq(err, "unknown key \"prot\" (did you mean \"port\"?)");
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "http", "1", err, sizeof err), -1);
    cr_assert_str_eq(err, "http: is a section; set its keys one by one");
    cr_assert_eq(cfg_set(&store_schema, &st, "requirepass", "a\xff", err, sizeof err), -1);
    cr_assert_str_eq(err, "requirepass: expected valid UTF-8 text");
    cr_assert_eq(
        cfg_set(&store_schema, &st, "bind", "a b c d e f g h i j k l m n o p q", err, sizeof err),
        -1);
    cr_assert_str_eq(err, "bind: expected at most 16 items, got 17");
    cr_assert_eq(st.bind.count, 1);
    struct buf b;
    buf_init(&b);
    cr_assert_eq(cfg_get(&sentinel_schema, &se, "http", &b), -1);
    cr_assert_eq(cfg_get(&store_schema, &st, "nope", &b), -1);
    cr_assert_eq(b.len, 0);
}

Test(config_set, set_and_get_nested_paths)
{
    char err[CFG_ERR_LEN];
    struct buf b;
    buf_init(&b);
    load_sentinel_fixture("sentinel_ok.yaml", NULL, 0);
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "masters.1.quorum", "3", err, sizeof err), 0);
    cr_assert_eq(se.masters[1].quorum, 3);
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "http.port", "0", err, sizeof err), 0);
    cr_assert_eq(cfg_get(&sentinel_schema, &se, "masters.0.down-after", &b), 0);
    cr_assert_str_eq(b.data, "1000");
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "masters.2.quorum", "3", err, sizeof err), -1);
    cr_assert_str_eq(err, "no entry 2 in \"masters\", which has 2");
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "masters.x.quorum", "3", err, sizeof err), -1);
    cr_assert_str_eq(err, "unknown key \"masters.x.quorum\"");
    cr_assert_not_null(cfg_find(&sentinel_schema, "masters.3.quorum"));
    cr_assert_null(cfg_find(&sentinel_schema, "masters.4.quorum"));
    cr_assert_null(cfg_find(&sentinel_schema, "port.x"));
    buf_free(&b);
}

Test(config_set, get_matching_walks_leaves_by_glob)
{
    struct buf b;
    buf_init(&b);
    load_sentinel_fixture("sentinel_ok.yaml", NULL, 0);
    cr_assert_eq(cfg_get_matching(&sentinel_schema, &se, "masters.*.QUORUM", collect, &b), 2);
    cr_assert_str_eq(b.data, "masters.0.quorum=2;masters.1.quorum=1;");
    buf_clear(&b);
    cr_assert_eq(cfg_get_matching(&sentinel_schema, &se, "http.*", collect, &b), 3);
    cr_assert_str_eq(b.data, "http.bind=127.0.0.1;http.port=26380;http.token=(redacted);");
    buf_clear(&b);
    cr_assert_eq(cfg_get_matching(&store_schema, &st, "repl*", collect, &b), 2);
    cr_assert_str_eq(b.data, "repl-timeout=60;replicaof=;");
    buf_free(&b);
}

/* --- command line -------------------------------------------------------------------------- */

Test(config_set, args_override_file_values_with_same_validation)
{
    load_sentinel_fixture("sentinel_ok.yaml", NULL, 0);
    char *argv[] = {"--port", "26400", "--masters.0.quorum=3", "--http.bind", "0.0.0.0",
                    "--",     "extra"};
    int first = -1;
    cr_assert_eq(cfg_apply_args(&sentinel_schema, &se, 7, argv, &first, &errs), 0);
    cr_assert_eq(first, 6);
    cr_assert_eq(se.port, 26400);
    cr_assert_eq(se.masters[0].quorum, 3);
    cr_assert_str_eq(se.http.bind, "0.0.0.0");
    char *bad[] = {"--port", "abc", "--prot", "1", "--dir=/x", "file.yaml", "--port"};
    cr_assert_eq(cfg_apply_args(&store_schema, &st, 7, bad, &first, &errs), -1);
    cr_assert_eq(first, 5);
    cr_assert_eq(errs.count, 2);
    cr_assert_str_eq(errs.err[0].text,
                     "command line: port: expected an integer from 1 to 65535, got \"abc\"");
    cr_assert_str_eq(errs.err[1].text,
                     "command line: unknown key \"prot\" (did you mean \"port\"?)");
    cr_assert_str_eq(st.dir, "/x", "immutable keys may be set at startup");
    char *missing[] = {"--port"};
    cr_assert_eq(cfg_apply_args(&store_schema, &st, 1, missing, &first, &errs), -1);
    cr_assert_str_eq(errs.err[2].text, "command line: --port: missing value");
}

Test(config_set, args_append_a_whole_section_list_entry_with_the_files_checks)
{
    load_sentinel_fixture("sentinel_ok.yaml", NULL, 0);
    size_t n = se.nmasters;
    char *argv[] = {"--masters+", "{name: extra, host: 10.0.0.9, quorum: 2}"};
    cr_assert_eq(cfg_apply_args(&sentinel_schema, &se, 2, argv, NULL, &errs), 0);
    cr_assert_eq(se.nmasters, n + 1);
    cr_assert_str_eq(se.masters[n].name, "extra");
    cr_assert_eq(se.masters[n].port, 6379, "element defaults apply");
    char *bad[] = {"--masters+", "{host: h, quorum: 0}", "--masters+=plain", "--port+", "1"};
    cr_assert_eq(cfg_apply_args(&sentinel_schema, &se, 5, bad, NULL, &errs), -1);
    cr_assert_eq(se.nmasters, n + 1, "nothing added on error");
    cr_assert_eq(errs.count, 4);
    cr_assert(strstr(errs.err[0].text, "quorum: expected an integer") != NULL, "%s",
              errs.err[0].text);
    cr_assert(strstr(errs.err[1].text, "missing required key \"name\"") != NULL, "%s",
              errs.err[1].text);
    cr_assert(strstr(errs.err[2].text, "expected a mapping") != NULL, "%s", errs.err[2].text);
    cr_assert_str_eq(errs.err[3].text, "command line: port+: only a list can be appended to");
}

Test(config_set, list_entries_are_appended_from_the_command_line)
{
    cr_assert_eq(load_store_text("bind: [10.0.0.1]\n"), 0);
    char *argv[] = {"--bind+", "127.0.0.1", "--bind+=::1", "--port+", "1"};
    cr_assert_eq(cfg_apply_args(&store_schema, &st, 5, argv, NULL, &errs), -1);
    cr_assert_eq(st.bind.count, 3);
    cr_assert_str_eq(st.bind.items[0], "10.0.0.1");
    cr_assert_str_eq(st.bind.items[1], "127.0.0.1");
    cr_assert_str_eq(st.bind.items[2], "::1");
    cr_assert_str_eq(errs.err[0].text, "command line: port+: only a list can be appended to");
}

Test(config_set, nested_unknown_key_on_the_command_line_gets_a_suggestion)
{
    char *argv[] = {"--http.prot", "1"};
    cr_assert_eq(cfg_apply_args(&sentinel_schema, &se, 2, argv, NULL, &errs), -1);
    cr_assert_str_eq(errs.err[0].text,
                     "command line: unknown key \"http.prot\" (did you mean \"port\"?)");
}
