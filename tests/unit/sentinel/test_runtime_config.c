/* Unit tests for sentinel/runtime_config: the global settings SENTINEL CONFIG SET changed come
 * back at the next start when the YAML's values are the ones they were set against, and give way
 * when the operator edited those values since; only what differs from the YAML is kept. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "sentinel/runtime_config.h"
#include "sentinel/sentinel_config.h"

static struct sentinel_config cfg;
static struct runtime_config baseline, saved;

static void setup(void)
{
    log_set_level(LOG_NONE);
    sentinel_config_init(&cfg);
    memset(&baseline, 0, sizeof(baseline));
    memset(&saved, 0, sizeof(saved));
}

static void teardown(void)
{
    sentinel_config_free(&cfg);
    runtime_config_free(&baseline);
    runtime_config_free(&saved);
}

TestSuite(runtime_config, .init = setup, .fini = teardown);

static void load(const char *yaml)
{
    struct cfg_errors errs;
    cfg_errors_init(&errs);
    sentinel_config_free(&cfg);
    sentinel_config_init(&cfg);
    cr_assert_eq(sentinel_config_load_string(&cfg, "s.yaml", yaml, strlen(yaml), &errs), 0);
}

static void set(const char *key, const char *value)
{
    char err[256];
    cr_assert_eq(cfg_set(sentinel_config_schema(), &cfg, key, value, err, sizeof(err)), 0, "%s",
                 err);
}

Test(runtime_config, the_keys_are_the_config_set_parameters)
{
    cr_assert(runtime_config_is_key("announce-ip"));
    cr_assert(runtime_config_is_key("sentinel-pass"));
    cr_assert(runtime_config_is_key("loglevel"));
    cr_assert(runtime_config_is_key("tls-cert-file"));
    cr_assert(runtime_config_is_key("tls-key-file-pass"));
    cr_assert_not(runtime_config_is_key("tls-port"));
    cr_assert_not(runtime_config_is_key("port"));
    cr_assert_not(runtime_config_is_key("requirepass"));
}

Test(runtime_config, only_what_differs_from_the_yaml_is_kept)
{
    load("announce-ip: 10.0.0.5\n");
    runtime_config_baseline(&cfg, &baseline);
    runtime_config_capture(&cfg, &baseline, &saved);
    cr_assert_eq(saved.n, 0);
    set("announce-port", "26999");
    set("sentinel-pass", "s3cret");
    runtime_config_free(&saved);
    runtime_config_capture(&cfg, &baseline, &saved);
    cr_assert_eq(saved.n, 2);
    cr_assert_str_eq(saved.fingerprint, baseline.fingerprint);
    cr_assert_str_eq(saved.keys[0], "announce-port");
    cr_assert_str_eq(saved.values[0], "26999");
    cr_assert_str_eq(saved.values[1], "s3cret"); /* in clear: it is put back with cfg_set */
}

Test(runtime_config, saved_values_come_back_while_the_yaml_is_unchanged)
{
    load("announce-ip: 10.0.0.5\n");
    runtime_config_baseline(&cfg, &baseline);
    set("announce-ip", "10.0.0.9");
    set("loglevel", "warning");
    runtime_config_capture(&cfg, &baseline, &saved);
    /* A restart with the same file: the changes apply again. */
    load("announce-ip: 10.0.0.5\n");
    runtime_config_free(&baseline);
    runtime_config_baseline(&cfg, &baseline);
    bool yaml_changed;
    char skipped[128];
    cr_assert_eq(
        runtime_config_restore(&cfg, &saved, &baseline, &yaml_changed, skipped, sizeof(skipped)),
        2);
    cr_assert_not(yaml_changed);
    cr_assert_str_eq(skipped, "");
    cr_assert_str_eq(cfg.announce_ip, "10.0.0.9");
    cr_assert_eq(cfg.loglevel, LOG_WARNING);
}

Test(runtime_config, an_edited_yaml_wins_over_saved_values)
{
    load("announce-ip: 10.0.0.5\n");
    runtime_config_baseline(&cfg, &baseline);
    set("announce-port", "26999");
    runtime_config_capture(&cfg, &baseline, &saved);
    load("announce-ip: 10.0.0.6\n"); /* the operator's edit, of another of these settings */
    runtime_config_free(&baseline);
    runtime_config_baseline(&cfg, &baseline);
    bool yaml_changed;
    cr_assert_eq(runtime_config_restore(&cfg, &saved, &baseline, &yaml_changed, NULL, 0), 0);
    cr_assert(yaml_changed);
    cr_assert_eq(cfg.announce_port, 0);
    cr_assert_str_eq(cfg.announce_ip, "10.0.0.6");
}

Test(runtime_config, a_value_the_config_refuses_is_skipped_and_named)
{
    load("");
    runtime_config_baseline(&cfg, &baseline);
    saved.fingerprint = strdup(baseline.fingerprint);
    runtime_config_add(&saved, "announce-port", "not-a-port");
    runtime_config_add(&saved, "no-such-key", "x");
    runtime_config_add(&saved, "announce-ip", "10.1.1.1");
    bool yaml_changed;
    char skipped[128];
    cr_assert_eq(
        runtime_config_restore(&cfg, &saved, &baseline, &yaml_changed, skipped, sizeof(skipped)),
        1);
    cr_assert_str_eq(skipped, "announce-port, no-such-key");
    cr_assert_str_eq(cfg.announce_ip, "10.1.1.1");
}
