/* config_fixture: the schemas and helpers the common/config tests share. The schemas mirror
 * vigil-store's (flat Redis names) and vigil-sentinel's (sections and lists of sections)
 * configs. Fixture files live next to these tests; their paths come from __FILE__, so the test
 * binary runs from the repository root (as `make unit` does). */
#ifndef VIGIL_TEST_CONFIG_FIXTURE_H
#define VIGIL_TEST_CONFIG_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/config.h"

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

extern const struct cfg_schema store_schema, sentinel_schema;

/* Fresh for every test (config_fixture_setup: zeroed, then defaults). */
extern struct cfg_errors errs;
extern struct store_cfg st;
extern struct sentinel_cfg se;
extern char fixture[512]; /* the last fixture_path() */

void config_fixture_setup(void);
void config_fixture_teardown(void);
#define CONFIG_SUITE(name)                                                                         \
    TestSuite(name, .init = config_fixture_setup, .fini = config_fixture_teardown)

const char *fixture_path(const char *name);
/* Asserts the collected errors are exactly `want` (each prefixed with "<fixture path>:"). */
void expect_errors(const char *const *want, size_t n);
void load_store_fixture(const char *name, const char *const *want, size_t n);
void load_sentinel_fixture(const char *name, const char *const *want, size_t n);
int load_store_text(const char *yaml);
const char *get_store(const char *key);
/* cfg_get_matching's callback: appends "key=value;" to the struct buf in ud. */
void collect(const char *key, const char *value, void *ud);

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
