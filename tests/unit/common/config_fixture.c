/* config_fixture: the shared schemas and helpers of the common/config tests (see the header). */
#include "tests/unit/common/config_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- a store-like schema: flat Redis names ------------------------------------------------- */

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
const struct cfg_schema store_schema = CFG_SCHEMA_INIT(store_fields);

/* --- a sentinel-like schema: sections and lists of sections -------------------------------- */

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
const struct cfg_schema sentinel_schema = CFG_SCHEMA_INIT(sentinel_fields);

/* --- helpers ------------------------------------------------------------------------------- */

struct cfg_errors errs;
struct store_cfg st;
struct sentinel_cfg se;
char fixture[512];

void config_fixture_setup(void)
{
    memset(&st, 0, sizeof st);
    memset(&se, 0, sizeof se);
    cfg_errors_init(&errs);
    cfg_defaults(&store_schema, &st);
    cfg_defaults(&sentinel_schema, &se);
}

void config_fixture_teardown(void)
{
    cfg_free(&store_schema, &st);
    cfg_free(&sentinel_schema, &se);
}

const char *fixture_path(const char *name)
{
    const char *slash = strrchr(__FILE__, '/');
    int dirlen = slash ? (int)(slash - __FILE__) : 1;
    snprintf(fixture, sizeof fixture, "%.*s/fixtures/%s", dirlen, slash ? __FILE__ : ".", name);
    return fixture;
}

/* Asserts the collected errors are exactly `want` (each prefixed with "<fixture path>:"). */
void expect_errors(const char *const *want, size_t n)
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

void load_store_fixture(const char *name, const char *const *want, size_t n)
{
    cr_assert_eq(cfg_load_file(&store_schema, &st, fixture_path(name), &errs), n ? -1 : 0);
    expect_errors(want, n);
}

void load_sentinel_fixture(const char *name, const char *const *want, size_t n)
{
    cr_assert_eq(cfg_load_file(&sentinel_schema, &se, fixture_path(name), &errs), n ? -1 : 0);
    expect_errors(want, n);
}

int load_store_text(const char *yaml)
{
    return cfg_load_string(&store_schema, &st, "t.yaml", yaml, strlen(yaml), &errs);
}

const char *get_store(const char *key)
{
    static struct buf b;
    buf_free(&b);
    cr_assert_eq(cfg_get(&store_schema, &st, key, &b), 0, "get %s", key);
    return b.data ? b.data : "";
}

void collect(const char *key, const char *value, void *ud) { buf_printf(ud, "%s=%s;", key, value); }
