/* common/config reading files: schema checks and defaults, good files, one fixture per error
 * class with exact file:line:column messages, mutated files, bare durations and a redis.conf
 * given by mistake. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/common/config_fixture.h"

CONFIG_SUITE(config_load);

/* --- schema and defaults ------------------------------------------------------------------- */

Test(config_load, schema_check_accepts_valid_schemas)
{
    char err[256] = "";
    cr_assert_eq(cfg_schema_check(&store_schema, err, sizeof err), 0, "%s", err);
    cr_assert_eq(cfg_schema_check(&sentinel_schema, err, sizeof err), 0, "%s", err);
}

Test(config_load, schema_check_rejects_bad_default_and_shape)
{
    struct cfg_field bad[] = {
        {.key = "port", .type = CFG_INT, .min = 1, .max = 10, .def = "11", .help = "x"},
    };
    struct cfg_schema s = CFG_SCHEMA_INIT(bad);
    char err[256];
    cr_assert_eq(cfg_schema_check(&s, err, sizeof err), -1);
    cr_assert_str_eq(err, "port: invalid default: expected an integer from 1 to 10, got \"11\"");
    bad[0] = (struct cfg_field){.key = "t", .type = CFG_DURATION, .def = "1s", .help = "x"};
    cr_assert_eq(cfg_schema_check(&s, err, sizeof err), -1);
    cr_assert_str_eq(err, "t: unit_ms must be 1 or 1000");
    struct cfg_field dup[] = {{.key = "a", .type = CFG_BOOL, .help = "x"},
                              {.key = "A", .type = CFG_BOOL, .help = "x"}};
    struct cfg_schema s2 = CFG_SCHEMA_INIT(dup);
    cr_assert_eq(cfg_schema_check(&s2, err, sizeof err), -1);
    cr_assert_str_eq(err, "A: duplicate key");
}

Test(config_load, defaults_applied_when_file_is_empty)
{
    cr_assert_eq(load_store_text(""), 0);
    cr_assert_eq(st.port, 6379);
    cr_assert_eq(st.bind.count, 1);
    cr_assert_str_eq(st.bind.items[0], "127.0.0.1");
    cr_assert_null(st.requirepass);
    cr_assert_eq(st.repl_timeout_ms, 60000);
    cr_assert_eq(st.loglevel, 2);
    cr_assert_str_eq(st.replicaof.host, "");
    cr_assert_str_eq(st.dir, ".");
    cr_assert_eq(se.nmasters, 0);
    cr_assert_eq(se.http.port, 0);
    cr_assert_str_eq(se.http.bind, "127.0.0.1");
}

Test(config_load, free_is_idempotent_and_clears_pointers)
{
    cfg_free(&store_schema, &st);
    cr_assert_null(st.dir);
    cr_assert_eq(st.bind.count, 0);
    cfg_free(&store_schema, &st);
}

/* --- loading good files -------------------------------------------------------------------- */

Test(config_load, loads_flat_store_file)
{
    load_store_fixture("store_ok.yaml", NULL, 0);
    cr_assert_eq(st.port, 7000);
    cr_assert_eq(st.bind.count, 2);
    cr_assert_str_eq(st.bind.items[1], "::1");
    cr_assert_str_eq(st.requirepass, "hunter2");
    cr_assert_eq(st.repl_timeout_ms, 30000);
    cr_assert_eq(st.maxmemory_bytes, 64LL << 20);
    cr_assert(st.appendonly);
    cr_assert_eq(st.loglevel, 3);
    cr_assert_str_eq(st.replicaof.host, "::1");
    cr_assert_eq(st.replicaof.port, 6380);
    cr_assert_str_eq(st.cobl, "normal 0 0 0 replica 256mb 64mb 60");
}

Test(config_load, loads_nested_sections_and_lists)
{
    load_sentinel_fixture("sentinel_ok.yaml", NULL, 0);
    cr_assert_eq(se.port, 26379);
    cr_assert_str_eq(se.announce_ip, "10.0.0.5");
    cr_assert_eq(se.nmasters, 2);
    cr_assert_str_eq(se.masters[0].name, "mymaster");
    cr_assert_eq(se.masters[0].down_after_ms, 1000);
    cr_assert_eq(se.masters[0].failover_timeout_ms, 10000);
    cr_assert_str_eq(se.masters[1].host, "::1");
    cr_assert_eq(se.masters[1].port, 6379, "element defaults apply");
    cr_assert_eq(se.masters[1].down_after_ms, 500, "bare number in the field's unit (ms)");
    cr_assert_eq(se.masters[1].failover_timeout_ms, 180000);
    cr_assert_eq(se.http.port, 26380);
    cr_assert_str_eq(se.http.token, "0123456789abcdef");
    cr_assert_eq(se.nwebhooks, 1);
    cr_assert_eq(se.webhooks[0].events.count, 2);
    cr_assert_str_eq(se.webhooks[0].events.items[0], "+switch-master");
    cr_assert_eq(se.webhooks[0].timeout_ms, 2000);
}

Test(config_load, yaml_null_unsets_strings_lists_and_addresses)
{
    cr_assert_eq(load_store_text("requirepass: x\nreplicaof: a:1\n"), 0);
    cr_assert_eq(load_store_text("requirepass: ~\nbind: []\nreplicaof:\n"), 0);
    cr_assert_null(st.requirepass);
    cr_assert_eq(st.bind.count, 0);
    cr_assert_eq(st.replicaof.port, 0);
    cr_assert_eq(load_store_text("requirepass: \"\"\nbind: ~\n"), 0);
    cr_assert_str_eq(st.requirepass, "", "a quoted empty string is a string");
    cr_assert_eq(load_store_text("port: ~\n"), -1, "null is not an integer");
    const char *y = "http: {token: ~}\nmasters: [{name: ~, host: h}]\n";
    cr_assert_eq(cfg_load_string(&sentinel_schema, &se, "n.yaml", y, strlen(y), &errs), -1);
    cr_assert_eq(errs.count, 2);
    cr_assert_str_eq(errs.err[1].text, "n.yaml:2:18: masters.0.name: expected a string of 1 to 64 "
                                       "bytes, got null");
}

/* --- one fixture per error class, exact messages ------------------------------------------- */

Test(config_load, error_when_wrong_type)
{
    static const char *const want[] = {
        "3:7: port: expected an integer from 1 to 65535, got \"abc\""};
    load_store_fixture("bad_type.yaml", want, COUNT(want));
    cr_assert_eq(st.port, 6379, "a bad value never replaces a good one");
}

Test(config_load, error_when_out_of_range)
{
    static const char *const want[] = {
        "2:13: maxclients: expected an integer from 1 to 1000000, got \"0\""};
    load_store_fixture("bad_range.yaml", want, COUNT(want));
}

Test(config_load, error_when_unknown_key)
{
    static const char *const want[] = {"5:1: unknown key \"prot\" (did you mean \"port\"?)"};
    load_store_fixture("unknown_key.yaml", want, COUNT(want));
}

Test(config_load, error_when_bad_duration)
{
    static const char *const want[] = {
        "1:15: repl-timeout: expected a duration from 1s to 1h (e.g. 500ms, 10s, 2m; bare number "
        "= seconds on the command line, an error in a file), got \"10x\""};
    load_store_fixture("bad_duration.yaml", want, COUNT(want));
}

Test(config_load, error_when_bad_size)
{
    static const char *const want[] = {
        "1:12: maxmemory: expected a size (e.g. 100b, 512kb, 64mb, 1gb; bare number = bytes), "
        "got \"12qb\""};
    load_store_fixture("bad_size.yaml", want, COUNT(want));
}

Test(config_load, error_when_yaml_syntax_error)
{
    static const char *const want[] = {"3:11: syntax error: did not find expected ',' or ']' "
                                       "(while parsing a flow sequence at line 2)"};
    load_store_fixture("syntax_error.yaml", want, COUNT(want));
}

Test(config_load, error_when_duplicate_key)
{
    static const char *const want[] = {"3:1: duplicate key \"port\" (first at line 1)"};
    load_store_fixture("duplicate_key.yaml", want, COUNT(want));
    cr_assert_eq(st.port, 6379, "the first value is kept");
}

Test(config_load, error_when_section_has_wrong_type)
{
    static const char *const want[] = {
        "2:7: http: expected a mapping, got a scalar",
        "3:10: masters: expected a list of mappings, got a scalar",
    };
    load_sentinel_fixture("bad_section.yaml", want, COUNT(want));
}

Test(config_load, reports_every_error_in_a_file)
{
    static const char *const want[] = {
        "1:7: port: expected an integer from 1 to 65535, got \"99999\"",
        "2:13: appendonly: expected yes/no or true/false, got \"maybe\"",
        "3:11: loglevel: expected one of debug, verbose, notice, warning, got \"loud\"",
        "4:15: repl-timeout: expected a duration from 1s to 1h (e.g. 500ms, 10s, 2m; bare number "
        "= seconds on the command line, an error in a file), got \"1.5s\"",
        "5:12: maxmemory: expected a size (e.g. 100b, 512kb, 64mb, 1gb; bare number = bytes), "
        "got \"-1\"",
        "6:12: replicaof: expected host:port or [ipv6]:port with a port from 1 to 65535, got "
        "\"localhost\"",
        "7:7: bind: expected a string or a list of strings, got a mapping",
        "8:1: unknown key \"prot\" (did you mean \"port\"?)",
        "9:1: duplicate key \"port\" (first at line 1)",
    };
    load_store_fixture("many_errors.yaml", want, COUNT(want));
}

Test(config_load, reports_errors_inside_lists_with_paths)
{
    static const char *const want[] = {
        "6:13: masters.1.quorum: expected an integer from 1 to 100, got \"0\"",
        "5:5: masters.1: missing required key \"name\"",
        "7:5: masters.2: expected a mapping, got a scalar",
        "10:24: webhooks.0.events.1: expected a string, got a sequence",
    };
    load_sentinel_fixture("bad_lists.yaml", want, COUNT(want));
    cr_assert_eq(se.nmasters, 3);
    cr_assert_str_eq(se.masters[0].name, "ok");
}

Test(config_load, error_when_file_missing)
{
    cr_assert_eq(cfg_load_file(&store_schema, &st, "/nonexistent/x.yaml", &errs), -1);
    cr_assert_str_eq(errs.err[0].text,
                     "/nonexistent/x.yaml: cannot open: No such file or directory");
}

Test(config_load, errors_are_bounded_and_counted)
{
    struct buf y;
    buf_init(&y);
    for (int i = 0; i < CFG_MAX_ERRORS + 6; i++) buf_printf(&y, "k%d: 1\n", i);
    cr_assert_eq(load_store_text(y.data), -1);
    cr_assert_eq(errs.count, CFG_MAX_ERRORS);
    cr_assert_eq(errs.dropped, 6);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cfg_errors_print(&errs, f);
    fclose(f);
    cr_assert(strstr(text, "t.yaml:1:1: unknown key \"k0\"\n") == text);
    cr_assert(strstr(text, "\n... and 6 more errors\n") != NULL);
    free(text);
    buf_free(&y);
}

Test(config_load, error_when_document_is_not_one_mapping)
{
    cr_assert_eq(load_store_text("- a\n- b\n"), -1);
    cr_assert_str_eq(errs.err[0].text,
                     "t.yaml:1:1: expected a mapping of keys to values, got a sequence");
    cfg_errors_init(&errs);
    cr_assert_eq(load_store_text("port: 1\n---\nport: 2\n"), -1);
    cr_assert_str_eq(errs.err[0].text, "t.yaml:3:1: expected one YAML document, found another");
    cfg_errors_init(&errs);
    cr_assert_eq(load_store_text("requirepass: \"a\x01\"\n"), -1);
    cr_assert_str_eq(errs.err[0].text,
                     "t.yaml:1:16: syntax error: control characters are not allowed");
}

Test(config_load, validators_run_on_file_values_and_sections)
{
    const char *y = "http:\n  bind: 0.0.0.0\n  port: 8080\n"
                    "webhooks:\n  - url: u\n    events: [\"+odown\", \"odown\"]\n"
                    "masters:\n  - {name: \"\", host: h}\n";
    cr_assert_eq(cfg_load_string(&sentinel_schema, &se, "s.yaml", y, strlen(y), &errs), -1);
    static const char *const want[] = {
        "s.yaml:2:3: http: a token is required when binding to 0.0.0.0",
        "s.yaml:6:13: webhooks.0.events: event \"odown\" must start with + or -",
        "s.yaml:8:12: masters.0.name: expected a string of 1 to 64 bytes, got 0 bytes",
    };
    cr_assert_eq(errs.count, COUNT(want), "%s", errs.err[0].text);
    for (size_t i = 0; i < COUNT(want); i++) cr_expect_str_eq(errs.err[i].text, want[i]);
}

Test(config_load, secrets_are_not_echoed_in_errors)
{
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "http.token", "short", fixture, sizeof fixture),
                 -1);
    cr_assert_str_eq(fixture, "http.token: expected a string of 16 to 256 bytes, got 5 bytes");
}

Test(config_load, mutated_files_never_crash)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(fixture_path("sentinel_ok.yaml"), "rb");
    cr_assert_not_null(f);
    char chunk[4096];
    len = fread(chunk, 1, sizeof chunk, f);
    fclose(f);
    text = malloc(len);
    static const char alphabet[] = " :-[]{}\n\"'#&*!|>,?%@`\t0a.\\";
    uint64_t seed = 42;
    for (int round = 0; round < 3000; round++) {
        memcpy(text, chunk, len);
        for (int m = 0; m < 1 + round % 4; m++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            text[(seed >> 33) % len] = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
        }
        struct sentinel_cfg c;
        memset(&c, 0, sizeof c);
        cfg_defaults(&sentinel_schema, &c);
        cfg_errors_init(&errs);
        cfg_load_string(&sentinel_schema, &c, "m.yaml", text, len, &errs);
        cr_assert_leq(errs.count, CFG_MAX_ERRORS);
        cfg_free(&sentinel_schema, &c);
    }
    free(text);
}

/* --- what an operator gets wrong ----------------------------------------------------------- */

Test(config_load, bare_duration_in_a_file_needs_a_unit_but_zero_and_the_command_line_do_not)
{
    cr_assert_eq(load_store_text("repl-timeout: 5\n"), -1);
    cr_assert_str_eq(errs.err[0].text,
                     "t.yaml:1:15: repl-timeout: a duration needs a unit in a config file: write "
                     "\"5ms\" or \"5s\" (a bare number means seconds on the command line and in "
                     "CONFIG SET)");
    cr_assert_eq(load_store_text("repl-timeout: 5s\n"), 0);
    cr_assert_eq(st.repl_timeout_ms, 5000);
    char *argv[] = {"--repl-timeout", "7"};
    cr_assert_eq(cfg_apply_args(&store_schema, &st, 2, argv, NULL, &errs), 0);
    cr_assert_eq(st.repl_timeout_ms, 7000, "Redis's unit on the command line");
}

Test(config_load, redis_conf_passed_by_mistake_says_so)
{
    const char *conf = "# Redis configuration file example.\n\nport 6379\nbind 127.0.0.1 -::1\n"
                       "save 900 1\nrequirepass foo:bar\n";
    cr_assert_eq(load_store_text(conf), -1);
    cr_assert_eq(errs.count, 1);
    cr_assert_str_eq(errs.err[0].text,
                     "t.yaml:3:1: this looks like a redis.conf or sentinel.conf (\"key value\" "
                     "lines); Vigil reads YAML: write \"port: 6379\" (key, colon, space, value), "
                     "see configs/ for examples");
    cfg_errors_init(&errs);
    cr_assert_eq(load_store_text("sentinel monitor mymaster 127.0.0.1 6379 2\n"), -1);
    cr_assert(strstr(errs.err[0].text, "looks like a redis.conf"), "%s", errs.err[0].text);
}
