/* Tests for common/config: loading, errors with exact file:line:column, nested sections and lists,
 * defaults, command-line overrides, CONFIG SET/GET, and the YAML writer's round trip.
 * The schemas below mirror vigil-store's (flat) and vigil-sentinel's (nested) configs. Fixture
 * files live next to this file; their paths are derived from __FILE__, so run the test binary
 * from the repository root (as `make unit` does). */
#include <criterion/criterion.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/config.h"

/* --- a store-like schema: flat Redis names ------------------------------------------------- */

struct store_cfg {
    long long port;
    struct cfg_strlist bind;
    char *requirepass;
    long long maxclients;
    int64_t repl_timeout_ms;
    long long maxmemory_bytes;
    bool appendonly;
    int loglevel;
    struct cfg_addr replicaof;
    char *dir;
    char *cobl;
};

static const char *const loglevels[] = {"debug", "verbose", "notice", "warning", NULL};

static int validate_dir(const void *p, char *err, size_t errlen)
{
    const char *s = *(char *const *)p;
    if (s && s[0]) return 0;
    snprintf(err, errlen, "must not be empty");
    return -1;
}

#define SF(m) .offset = offsetof(struct store_cfg, m)
static const struct cfg_field store_fields[] = {
    {.key = "port",
     .type = CFG_INT,
     SF(port),
     .min = 1,
     .max = 65535,
     .def = "6379",
     .help = "TCP port."},
    {.key = "bind",
     .type = CFG_STRLIST,
     SF(bind),
     .def = "127.0.0.1",
     .max_count = 16,
     .help = "Addresses to listen on."},
    {.key = "requirepass",
     .type = CFG_STRING,
     SF(requirepass),
     .flags = CFG_F_SECRET,
     .help = "Password | for AUTH."},
    {.key = "maxclients",
     .type = CFG_INT,
     SF(maxclients),
     .min = 1,
     .max = 1000000,
     .def = "10000",
     .help = "Client limit."},
    {.key = "repl-timeout",
     .type = CFG_DURATION,
     SF(repl_timeout_ms),
     .min = 1000,
     .max = 3600000,
     .def = "60",
     .unit_ms = 1000,
     .help = "Replication timeout."},
    {.key = "maxmemory", .type = CFG_SIZE, SF(maxmemory_bytes), .def = "0", .help = "Memory cap."},
    {.key = "appendonly", .type = CFG_BOOL, SF(appendonly), .def = "no", .help = "AOF."},
    {.key = "loglevel",
     .type = CFG_ENUM,
     SF(loglevel),
     .def = "notice",
     .enum_names = loglevels,
     .help = "Log verbosity."},
    {.key = "replicaof", .type = CFG_ADDR, SF(replicaof), .help = "Master to replicate."},
    {.key = "dir",
     .type = CFG_STRING,
     SF(dir),
     .def = ".",
     .validate = validate_dir,
     .flags = CFG_F_IMMUTABLE,
     .help = "Working directory."},
    {.key = "client-output-buffer-limit",
     .type = CFG_STRING,
     SF(cobl),
     .def = "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
     .help = "Output limits."},
};
static const struct cfg_schema store_schema = CFG_SCHEMA_INIT(store_fields);

/* --- a sentinel-like schema: sections and lists of sections -------------------------------- */

struct master_cfg {
    char *name, *host, *auth_pass;
    long long port, quorum, parallel_syncs;
    int64_t down_after_ms, failover_timeout_ms;
};
struct http_cfg {
    char *bind, *token;
    long long port;
};
struct webhook_cfg {
    char *url, *secret;
    struct cfg_strlist events;
    int64_t timeout_ms;
};
struct sentinel_cfg {
    long long port;
    char *bind, *dir, *announce_ip;
    struct master_cfg masters[4];
    size_t nmasters;
    struct http_cfg http;
    struct webhook_cfg webhooks[2];
    size_t nwebhooks;
};

#define MF(m) .offset = offsetof(struct master_cfg, m)
static const struct cfg_field master_fields[] = {
    {.key = "name",
     .type = CFG_STRING,
     MF(name),
     .min = 1,
     .max = 64,
     .flags = CFG_F_REQUIRED,
     .help = "Master name."},
    {.key = "host", .type = CFG_STRING, MF(host), .flags = CFG_F_REQUIRED, .help = "Host."},
    {.key = "port",
     .type = CFG_INT,
     MF(port),
     .min = 1,
     .max = 65535,
     .def = "6379",
     .help = "Port."},
    {.key = "quorum",
     .type = CFG_INT,
     MF(quorum),
     .min = 1,
     .max = 100,
     .def = "2",
     .help = "Quorum."},
    {.key = "down-after",
     .type = CFG_DURATION,
     MF(down_after_ms),
     .min = 1,
     .max = 3600000,
     .def = "30s",
     .unit_ms = 1,
     .help = "SDOWN after."},
    {.key = "down-after-milliseconds",
     .type = CFG_DURATION,
     MF(down_after_ms),
     .min = 1,
     .max = 3600000,
     .unit_ms = 1,
     .flags = CFG_F_ALIAS,
     .help = "Redis's name."},
    {.key = "failover-timeout",
     .type = CFG_DURATION,
     MF(failover_timeout_ms),
     .def = "3m",
     .unit_ms = 1,
     .help = "Failover timeout."},
    {.key = "parallel-syncs",
     .type = CFG_INT,
     MF(parallel_syncs),
     .min = 1,
     .max = 100,
     .def = "1",
     .help = "Parallel syncs."},
    {.key = "auth-pass",
     .type = CFG_STRING,
     MF(auth_pass),
     .flags = CFG_F_SECRET,
     .help = "Master password."},
};
static const struct cfg_schema master_schema = CFG_SCHEMA_INIT(master_fields);

static int validate_http(const void *p, char *err, size_t errlen)
{
    const struct http_cfg *h = p;
    if (h->port == 0 || h->token || strcmp(h->bind, "0.0.0.0") != 0) return 0;
    snprintf(err, errlen, "a token is required when binding to 0.0.0.0");
    return -1;
}

#define HF(m) .offset = offsetof(struct http_cfg, m)
static const struct cfg_field http_fields[] = {
    {.key = "bind", .type = CFG_STRING, HF(bind), .def = "127.0.0.1", .help = "HTTP address."},
    {.key = "port",
     .type = CFG_INT,
     HF(port),
     .min = 0,
     .max = 65535,
     .def = "0",
     .help = "HTTP port, 0 = off."},
    {.key = "token",
     .type = CFG_STRING,
     HF(token),
     .min = 16,
     .max = 256,
     .flags = CFG_F_SECRET,
     .help = "Bearer token."},
};
static const struct cfg_schema http_schema = CFG_SCHEMA_INIT(http_fields);

static int validate_events(const void *p, char *err, size_t errlen)
{
    const struct cfg_strlist *l = p;
    for (size_t i = 0; i < l->count; i++) {
        if (l->items[i][0] != '+' && l->items[i][0] != '-') {
            snprintf(err, errlen, "event \"%s\" must start with + or -", l->items[i]);
            return -1;
        }
    }
    return 0;
}

#define WF(m) .offset = offsetof(struct webhook_cfg, m)
static const struct cfg_field webhook_fields[] = {
    {.key = "url", .type = CFG_STRING, WF(url), .flags = CFG_F_REQUIRED, .help = "URL."},
    {.key = "events",
     .type = CFG_STRLIST,
     WF(events),
     .max_count = 8,
     .validate = validate_events,
     .help = "Events to send."},
    {.key = "secret", .type = CFG_STRING, WF(secret), .flags = CFG_F_SECRET, .help = "HMAC key."},
    {.key = "timeout",
     .type = CFG_DURATION,
     WF(timeout_ms),
     .min = 1,
     .max = 60000,
     .def = "5s",
     .unit_ms = 1000,
     .help = "Request timeout."},
};
static const struct cfg_schema webhook_schema = CFG_SCHEMA_INIT(webhook_fields);

#define TF(m) .offset = offsetof(struct sentinel_cfg, m)
static const struct cfg_field sentinel_fields[] = {
    {.key = "port",
     .type = CFG_INT,
     TF(port),
     .min = 1,
     .max = 65535,
     .def = "26379",
     .help = "Port."},
    {.key = "bind", .type = CFG_STRING, TF(bind), .def = "127.0.0.1", .help = "Address."},
    {.key = "dir", .type = CFG_STRING, TF(dir), .def = ".", .help = "State directory."},
    {.key = "announce-ip", .type = CFG_STRING, TF(announce_ip), .help = "Announced IP."},
    {.key = "masters",
     .type = CFG_SECTION_LIST,
     TF(masters),
     .sub = &master_schema,
     .elem_size = sizeof(struct master_cfg),
     .max_count = 4,
     .count_offset = offsetof(struct sentinel_cfg, nmasters),
     .help = "Masters to watch."},
    {.key = "http",
     .type = CFG_SECTION,
     TF(http),
     .sub = &http_schema,
     .validate = validate_http,
     .help = "HTTP API."},
    {.key = "webhooks",
     .type = CFG_SECTION_LIST,
     TF(webhooks),
     .sub = &webhook_schema,
     .elem_size = sizeof(struct webhook_cfg),
     .max_count = 2,
     .count_offset = offsetof(struct sentinel_cfg, nwebhooks),
     .help = "Webhooks."},
};
static const struct cfg_schema sentinel_schema = CFG_SCHEMA_INIT(sentinel_fields);

/* --- helpers ------------------------------------------------------------------------------- */

static struct cfg_errors errs;
static struct store_cfg st;
static struct sentinel_cfg se;
static char fixture[512];

static void setup(void)
{
    memset(&st, 0, sizeof st);
    memset(&se, 0, sizeof se);
    cfg_errors_init(&errs);
    cfg_defaults(&store_schema, &st);
    cfg_defaults(&sentinel_schema, &se);
}

static void teardown(void)
{
    cfg_free(&store_schema, &st);
    cfg_free(&sentinel_schema, &se);
}

TestSuite(config, .init = setup, .fini = teardown);

static const char *fixture_path(const char *name)
{
    const char *slash = strrchr(__FILE__, '/');
    int dirlen = slash ? (int)(slash - __FILE__) : 1;
    snprintf(fixture, sizeof fixture, "%.*s/fixtures/%s", dirlen, slash ? __FILE__ : ".", name);
    return fixture;
}

/* Asserts the collected errors are exactly `want` (each prefixed with "<fixture path>:"). */
static void expect_errors(const char *const *want, size_t n)
{
    for (size_t i = 0; i < errs.count && i < n; i++) {
        char full[CFG_ERR_LEN + 600];
        snprintf(full, sizeof full, "%s:%s", fixture, want[i]);
        cr_expect_str_eq(errs.err[i].text, full, "error %zu:\n got  %s\n want %s", i,
                         errs.err[i].text, full);
    }
    cr_assert_eq(errs.count, n, "got %zu errors, first: %s", errs.count,
                 errs.count ? errs.err[0].text : "-");
}

static void load_store_fixture(const char *name, const char *const *want, size_t n)
{
    cr_assert_eq(cfg_load_file(&store_schema, &st, fixture_path(name), &errs), n ? -1 : 0);
    expect_errors(want, n);
}

static void load_sentinel_fixture(const char *name, const char *const *want, size_t n)
{
    cr_assert_eq(cfg_load_file(&sentinel_schema, &se, fixture_path(name), &errs), n ? -1 : 0);
    expect_errors(want, n);
}

static int load_store_text(const char *yaml)
{
    return cfg_load_string(&store_schema, &st, "t.yaml", yaml, strlen(yaml), &errs);
}

static const char *get_store(const char *key)
{
    static struct buf b;
    buf_free(&b);
    cr_assert_eq(cfg_get(&store_schema, &st, key, &b), 0, "get %s", key);
    return b.data ? b.data : "";
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- schema and defaults ------------------------------------------------------------------- */

Test(config, schema_check_accepts_valid_schemas)
{
    char err[256] = "";
    cr_assert_eq(cfg_schema_check(&store_schema, err, sizeof err), 0, "%s", err);
    cr_assert_eq(cfg_schema_check(&sentinel_schema, err, sizeof err), 0, "%s", err);
}

Test(config, schema_check_rejects_bad_default_and_shape)
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

Test(config, defaults_applied_when_file_is_empty)
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

Test(config, free_is_idempotent_and_clears_pointers)
{
    cfg_free(&store_schema, &st);
    cr_assert_null(st.dir);
    cr_assert_eq(st.bind.count, 0);
    cfg_free(&store_schema, &st);
}

/* --- loading good files -------------------------------------------------------------------- */

Test(config, loads_flat_store_file)
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

Test(config, loads_nested_sections_and_lists)
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

Test(config, yaml_null_unsets_strings_lists_and_addresses)
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

Test(config, error_when_wrong_type)
{
    static const char *const want[] = {
        "3:7: port: expected an integer from 1 to 65535, got \"abc\""};
    load_store_fixture("bad_type.yaml", want, COUNT(want));
    cr_assert_eq(st.port, 6379, "a bad value never replaces a good one");
}

Test(config, error_when_out_of_range)
{
    static const char *const want[] = {
        "2:13: maxclients: expected an integer from 1 to 1000000, got \"0\""};
    load_store_fixture("bad_range.yaml", want, COUNT(want));
}

Test(config, error_when_unknown_key)
{
    static const char *const want[] = {"5:1: unknown key \"prot\" (did you mean \"port\"?)"};
    load_store_fixture("unknown_key.yaml", want, COUNT(want));
}

Test(config, error_when_bad_duration)
{
    static const char *const want[] = {
        "1:15: repl-timeout: expected a duration from 1s to 1h (e.g. 500ms, 10s, 2m; bare number "
        "= seconds on the command line, an error in a file), got \"10x\""};
    load_store_fixture("bad_duration.yaml", want, COUNT(want));
}

Test(config, error_when_bad_size)
{
    static const char *const want[] = {
        "1:12: maxmemory: expected a size (e.g. 100b, 512kb, 64mb, 1gb; bare number = bytes), "
        "got \"12qb\""};
    load_store_fixture("bad_size.yaml", want, COUNT(want));
}

Test(config, error_when_yaml_syntax_error)
{
    static const char *const want[] = {"3:11: syntax error: did not find expected ',' or ']' "
                                       "(while parsing a flow sequence at line 2)"};
    load_store_fixture("syntax_error.yaml", want, COUNT(want));
}

Test(config, error_when_duplicate_key)
{
    static const char *const want[] = {"3:1: duplicate key \"port\" (first at line 1)"};
    load_store_fixture("duplicate_key.yaml", want, COUNT(want));
    cr_assert_eq(st.port, 6379, "the first value is kept");
}

Test(config, error_when_section_has_wrong_type)
{
    static const char *const want[] = {
        "2:7: http: expected a mapping, got a scalar",
        "3:10: masters: expected a list of mappings, got a scalar",
    };
    load_sentinel_fixture("bad_section.yaml", want, COUNT(want));
}

Test(config, reports_every_error_in_a_file)
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

Test(config, reports_errors_inside_lists_with_paths)
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

Test(config, error_when_file_missing)
{
    cr_assert_eq(cfg_load_file(&store_schema, &st, "/nonexistent/x.yaml", &errs), -1);
    cr_assert_str_eq(errs.err[0].text,
                     "/nonexistent/x.yaml: cannot open: No such file or directory");
}

Test(config, errors_are_bounded_and_counted)
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

Test(config, error_when_document_is_not_one_mapping)
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

Test(config, validators_run_on_file_values_and_sections)
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

Test(config, secrets_are_not_echoed_in_errors)
{
    cr_assert_eq(cfg_set(&sentinel_schema, &se, "http.token", "short", fixture, sizeof fixture),
                 -1);
    cr_assert_str_eq(fixture, "http.token: expected a string of 16 to 256 bytes, got 5 bytes");
}

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

Test(config, parses_durations_with_units)
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

Test(config, parses_sizes_with_units)
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

Test(config, parses_bools_enums_and_addresses)
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

/* --- CONFIG SET / GET ---------------------------------------------------------------------- */

Test(config, set_then_get_round_trips_in_redis_format)
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

Test(config, set_is_all_or_nothing_and_explains_refusals)
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

Test(config, set_and_get_nested_paths)
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

static void collect(const char *key, const char *value, void *ud)
{
    buf_printf(ud, "%s=%s;", key, value);
}

Test(config, get_matching_walks_leaves_by_glob)
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

Test(config, args_override_file_values_with_same_validation)
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

Test(config, args_append_a_whole_section_list_entry_with_the_files_checks)
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

/* --- writing YAML -------------------------------------------------------------------------- */

Test(config, written_yaml_reloads_to_an_equal_struct)
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

Test(config, writes_only_non_default_values_and_redacts_secrets)
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

Test(config, writes_selected_keys_and_sections)
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

Test(config, reference_table_lists_every_key)
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

Test(config, alias_sets_its_field_and_counts_as_a_duplicate)
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
    cr_assert_eq(cfg_get_matching(&sentinel_schema, &se, "*down-after*", collect, &b), 1);
    cr_assert_str_eq(b.data, "masters.0.down-after=1000;");
    buf_clear(&b);
    cfg_write_reference(&sentinel_schema, &b);
    cr_assert(strstr(b.data, "| Redis's name. Alias of `down-after`. |\n"));
    buf_free(&b);
}

/* Bad input never crashes: seeded byte mutations of a valid file, each loaded and freed. */
Test(config, mutated_files_never_crash)
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

/* --- operator feedback (issue 13 item 6) ----------------------------------------------------- */

Test(config, bare_duration_in_a_file_needs_a_unit_but_zero_and_the_command_line_do_not)
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

Test(config, redis_conf_passed_by_mistake_says_so)
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

Test(config, list_entries_are_appended_from_the_command_line)
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

Test(config, nested_unknown_key_on_the_command_line_gets_a_suggestion)
{
    char *argv[] = {"--http.prot", "1"};
    cr_assert_eq(cfg_apply_args(&sentinel_schema, &se, 2, argv, NULL, &errs), -1);
    cr_assert_str_eq(errs.err[0].text,
                     "command line: unknown key \"http.prot\" (did you mean \"port\"?)");
}
