/* Unit tests for sentinel/sentinel_config: the sentinel.yaml schema (defaults, units, aliases,
 * http/webhooks sections accepted), errors with file:line:column (schema errors and our own
 * checks: duplicate names, hostnames), command-line overrides, and the start-up merge of the YAML
 * with the state file (state wins, YAML edits win, runtime REMOVE and MONITOR survive). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "sentinel/sentinel_config.h"

static struct sentinel_config cfg;
static struct cfg_errors errs;

static void setup(void)
{
    log_set_level(LOG_NONE);
    sentinel_config_init(&cfg);
    cfg_errors_init(&errs);
}

static void teardown(void) { sentinel_config_free(&cfg); }

TestSuite(sentinel_config, .init = setup, .fini = teardown);

static int load(const char *yaml)
{
    return sentinel_config_load_string(&cfg, "s.yaml", yaml, strlen(yaml), &errs);
}

static bool has_error(const char *needle)
{
    for (size_t i = 0; i < errs.count; i++)
        if (strstr(errs.err[i].text, needle)) return true;
    return false;
}

static const char *first_error(void) { return errs.count ? errs.err[0].text : "(none)"; }

Test(sentinel_config, schema_is_consistent)
{
    char err[256] = "";
    cr_assert_eq(cfg_schema_check(sentinel_config_schema(), err, sizeof(err)), 0, "%s", err);
}

Test(sentinel_config, defaults_match_redis)
{
    cr_assert_eq(load("masters:\n  - {name: m, host: 127.0.0.1, port: 6379, quorum: 2}\n"), 0, "%s",
                 first_error());
    cr_assert_eq(cfg.port, 26379);
    cr_assert_eq(cfg.bind.count, 1);
    cr_assert_str_eq(cfg.bind.items[0], "127.0.0.1");
    cr_assert_eq(cfg.n_masters, 1);
    cr_assert_eq(cfg.masters[0].down_after_ms, 30000);
    cr_assert_eq(cfg.masters[0].failover_timeout_ms, 180000);
    cr_assert_eq(cfg.masters[0].parallel_syncs, 1);
    cr_assert_eq(cfg.masters[0].master_reboot_down_after_period_ms, 0);
    cr_assert(cfg.deny_scripts_reconfig);
    cr_assert_eq(cfg.loglevel, LOG_NOTICE);
}

Test(sentinel_config, full_file_with_http_and_webhooks_loads)
{
    const char *y = "port: 26400\n"
                    "bind: 127.0.0.1\n"
                    "dir: /tmp\n"
                    "announce-ip: 10.0.0.5\n"
                    "announce-port: 26401\n"
                    "requirepass: pw\n"
                    "sentinel-pass: peerpw\n"
                    "resolve-hostnames: yes\n"
                    "masters:\n"
                    "  - name: mymaster\n"
                    "    host: db.example\n"
                    "    port: 6379\n"
                    "    quorum: 2\n"
                    "    down-after: 1s\n"
                    "    failover-timeout: 10s\n"
                    "    parallel-syncs: 2\n"
                    "    auth-pass: dbpw\n"
                    "    auth-user: app\n"
                    "    master-reboot-down-after-period: 0\n"
                    "    notification-script: /bin/true\n"
                    "    client-reconfig-script: /bin/true\n"
                    "http:\n"
                    "  bind: 127.0.0.1\n"
                    "  port: 26380\n"
                    "  token: abcdefabcdefabcdef\n"
                    "webhooks:\n"
                    "  - url: http://127.0.0.1:9000/hook\n"
                    "    events: [\"+switch-master\", \"+odown\"]\n"
                    "    secret: s\n"
                    "    timeout: 2s\n";
    cr_assert_eq(load(y), 0, "%s", first_error());
    cr_assert_eq(cfg.port, 26400);
    cr_assert_eq(cfg.masters[0].down_after_ms, 1000);
    cr_assert_eq(cfg.masters[0].failover_timeout_ms, 10000);
    cr_assert_str_eq(cfg.masters[0].auth_user, "app");
    cr_assert_eq(cfg.http.port, 26380);
    cr_assert_eq(cfg.n_webhooks, 1);
    cr_assert_eq(cfg.webhooks[0].events.count, 2);
    struct sentinel_options o;
    sentinel_config_options(&cfg, &o);
    cr_assert_eq(o.port, 26400);
    cr_assert_str_eq(o.announce_ip, "10.0.0.5");
    cr_assert_str_eq(o.sentinel_pass, "peerpw");
    cr_assert(o.resolve_hostnames);
}

Test(sentinel_config, promotion_order_and_election_spread)
{
    const char *base = "masters:\n  - name: m\n    host: 127.0.0.1\n    port: 1\n    quorum: 1\n";
    cr_assert_eq(load(base), 0, "%s", first_error());
    struct sentinel_master_params p;
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.promotion_order, PROMOTION_OFFSET_FIRST, "offset first by default");
    cr_assert_eq(p.election_spread_ms, 100);
    sentinel_params_free(&p);
    char *fp_default = sentinel_config_fingerprint(&cfg.masters[0]);
    cr_assert_null(strstr(fp_default, "promotion"), "defaults keep older fingerprints");
    free(fp_default);
    char y[512];
    snprintf(y, sizeof(y), "%s    promotion-order: priority-first\n    election-spread: 300ms\n",
             base);
    cr_assert_eq(load(y), 0, "%s", first_error());
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.promotion_order, PROMOTION_PRIORITY_FIRST);
    cr_assert_eq(p.election_spread_ms, 300);
    sentinel_params_free(&p);
    snprintf(y, sizeof(y), "%s    promotion-order: newest\n", base);
    cr_assert_neq(load(y), 0);
    cr_assert(strstr(first_error(), "promotion-order") != NULL, "%s", first_error());
    snprintf(y, sizeof(y), "%s    election-spread: 2m\n", base);
    cr_assert_neq(load(y), 0, "above the 60 s bound");
}

Test(sentinel_config, promotion_quorum_and_forget_after)
{
    const char *base = "masters:\n  - name: m\n    host: 127.0.0.1\n    port: 1\n    quorum: 1\n";
    cr_assert_eq(load(base), 0, "%s", first_error());
    struct sentinel_master_params p;
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.promotion_quorum, PROMOTION_QUORUM_MAJORITY, "majority by default");
    cr_assert_eq(p.forget_after_ms, 3600000, "1 h by default");
    sentinel_params_free(&p);
    char *fp = sentinel_config_fingerprint(&cfg.masters[0]);
    cr_assert_null(strstr(fp, "promotion-quorum"), "defaults keep older fingerprints");
    cr_assert_null(strstr(fp, "forget-after"));
    free(fp);
    char y[512];
    snprintf(y, sizeof(y), "%s    promotion-quorum: 2\n    forget-after: 10m\n", base);
    cr_assert_eq(load(y), 0, "%s", first_error());
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.promotion_quorum, 2);
    cr_assert_eq(p.forget_after_ms, 600000);
    sentinel_params_free(&p);
    snprintf(y, sizeof(y), "%s    promotion-quorum: off\n    forget-after: 0\n", base);
    cr_assert_eq(load(y), 0, "%s", first_error());
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.promotion_quorum, PROMOTION_QUORUM_OFF);
    cr_assert_eq(p.forget_after_ms, 0, "never");
    sentinel_params_free(&p);
    snprintf(y, sizeof(y), "%s    promotion-quorum: most\n", base);
    cr_assert_neq(load(y), 0);
    cr_assert(strstr(first_error(), "promotion-quorum") != NULL, "%s", first_error());
}

Test(sentinel_config, lease_margin)
{
    const char *base = "masters:\n  - name: m\n    host: 127.0.0.1\n    port: 1\n    quorum: 1\n";
    cr_assert_eq(load(base), 0, "%s", first_error());
    struct sentinel_master_params p;
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.lease_margin_ms, 0, "0: derived from down-after");
    sentinel_params_free(&p);
    char *fp = sentinel_config_fingerprint(&cfg.masters[0]);
    cr_assert_null(strstr(fp, "lease-margin"), "the default keeps older fingerprints");
    free(fp);
    char y[512];
    snprintf(y, sizeof(y), "%s    lease-margin: 300ms\n", base);
    cr_assert_eq(load(y), 0, "%s", first_error());
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.lease_margin_ms, 300);
    sentinel_params_free(&p);
    fp = sentinel_config_fingerprint(&cfg.masters[0]);
    cr_assert_not_null(strstr(fp, "lease-margin=300"));
    free(fp);
    snprintf(y, sizeof(y), "%s    lease-margin: 2h\n", base);
    cr_assert_neq(load(y), 0, "above the 1 h bound");
    cr_assert(strstr(first_error(), "lease-margin") != NULL, "%s", first_error());
}

/* Issue 18: discovery-when-isolated, refuse by default (absent from the fingerprint then, so
 * older state files keep theirs), answer on request, anything else refused with the key. */
Test(sentinel_config, discovery_when_isolated)
{
    const char *base = "masters:\n  - name: m\n    host: 127.0.0.1\n    port: 1\n    quorum: 1\n";
    cr_assert_eq(load(base), 0, "%s", first_error());
    struct sentinel_master_params p;
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.discovery_when_isolated, ISOLATED_DISCOVERY_REFUSE);
    sentinel_params_free(&p);
    char *fp = sentinel_config_fingerprint(&cfg.masters[0]);
    cr_assert_null(strstr(fp, "discovery-when-isolated"), "defaults keep older fingerprints");
    free(fp);
    char y[512];
    snprintf(y, sizeof(y), "%s    discovery-when-isolated: answer\n", base);
    cr_assert_eq(load(y), 0, "%s", first_error());
    sentinel_config_master_params(&cfg.masters[0], &p);
    cr_assert_eq(p.discovery_when_isolated, ISOLATED_DISCOVERY_ANSWER);
    sentinel_params_free(&p);
    fp = sentinel_config_fingerprint(&cfg.masters[0]);
    cr_assert_not_null(strstr(fp, " discovery-when-isolated=answer"), "%s", fp);
    free(fp);
    snprintf(y, sizeof(y), "%s    discovery-when-isolated: maybe\n", base);
    cr_assert_neq(load(y), 0);
    cr_assert(strstr(first_error(), "discovery-when-isolated") != NULL, "%s", first_error());
}

Test(sentinel_config, bare_durations_need_a_unit_unless_the_key_names_it)
{
    cr_assert_eq(load("masters:\n  - name: m\n    host: 127.0.0.1\n    port: 1\n    quorum: 1\n"
                      "    down-after-milliseconds: 750\n    failover-timeout: 5s\n"),
                 0, "%s", first_error());
    cr_assert_eq(cfg.masters[0].down_after_ms, 750);
    cr_assert_eq(cfg.masters[0].failover_timeout_ms, 5000);
    /* `down-after: 5` meant 5 ms while the store's `timeout: 5` means 5 s: now both are refused,
     * each error with its place, all at once. */
    cr_assert_eq(load("masters:\n  - name: m\n    host: 127.0.0.1\n    port: 1\n    quorum: 1\n"
                      "    down-after: 5\n    failover-timeout: 5000\n"),
                 -1);
    cr_assert(has_error("s.yaml:6:17: masters.0.down-after: a duration needs a unit in a config "
                        "file: write \"5ms\" or \"5s\" (a bare number means milliseconds on the "
                        "command line and in CONFIG SET)"),
              "%s", first_error());
    cr_assert(has_error("s.yaml:7:23: masters.0.failover-timeout: a duration needs a unit"), "%s",
              first_error());
}

Test(sentinel_config, unknown_key_reports_file_line_column)
{
    cr_assert_eq(load("port: 26379\nmasters:\n  - name: m\n    host: 127.0.0.1\n    port: 1\n"
                      "    quorum: 1\n    qorum: 2\n"),
                 -1);
    cr_assert(has_error("s.yaml:7:5: unknown key \"masters.0.qorum\""), "%s", first_error());
}

Test(sentinel_config, missing_quorum_is_an_error)
{
    cr_assert_eq(load("masters:\n  - {name: m, host: 127.0.0.1, port: 6379}\n"), -1);
    cr_assert(has_error("quorum"), "%s", first_error());
    cr_assert(has_error("s.yaml:2:"), "%s", first_error());
}

Test(sentinel_config, duplicate_master_names_point_at_the_second)
{
    cr_assert_eq(load("masters:\n"
                      "  - {name: m, host: 127.0.0.1, port: 6379, quorum: 1}\n"
                      "  - name: m\n"
                      "    host: 127.0.0.1\n"
                      "    port: 6380\n"
                      "    quorum: 1\n"),
                 -1);
    cr_assert(has_error("s.yaml:3:11: masters.1.name: duplicate master name \"m\""), "%s",
              first_error());
}

Test(sentinel_config, hostname_needs_resolve_hostnames)
{
    cr_assert_eq(load("masters:\n  - {name: m, host: db.example, port: 6379, quorum: 1}\n"), -1);
    cr_assert(has_error("s.yaml:2:21: masters.0.host:"), "%s", first_error());
    cr_assert(has_error("resolve-hostnames"), "%s", first_error());
}

Test(sentinel_config, bad_master_name_is_refused)
{
    cr_assert_eq(load("masters:\n  - {name: \"a,b\", host: 127.0.0.1, port: 6379, quorum: 1}\n"),
                 -1);
    cr_assert(has_error("masters.0.name"), "%s", first_error());
}

Test(sentinel_config, command_line_overrides_the_file)
{
    char *argv[] = {"--port", "27000", "--dir=/var/tmp", "--loglevel", "warning"};
    cr_assert_eq(sentinel_config_load(&cfg, NULL, 5, argv, &errs), 0, "%s", first_error());
    cr_assert_eq(cfg.port, 27000);
    cr_assert_str_eq(cfg.dir, "/var/tmp");
    cr_assert_eq(cfg.loglevel, LOG_WARNING);
    char *bad[] = {"--port", "0"};
    cr_assert_eq(sentinel_config_load(&cfg, NULL, 2, bad, &errs), -1);
    cr_assert(has_error("command line: port"), "%s", first_error());
}

Test(sentinel_config, port_zero_is_tls_only_and_needs_tls_links)
{
    cr_assert_eq(load("port: 0\n"), -1);
    cr_assert(has_error("s.yaml: port: 0 and no tls-port"), "%s", first_error());
    teardown();
    setup();
    cr_assert_eq(load("port: 0\ntls-port: 26380\n"), -1);
    cr_assert(has_error("port: 0 needs tls-replication: yes"), "%s", first_error());
    teardown();
    setup();
    cr_assert_eq(load("port: 0\ntls-port: 26380\ntls-replication: yes\n"), 0, "%s", first_error());
    cr_assert_eq(cfg.port, 0);
    cr_assert_eq(cfg.tls_port, 26380);
}

Test(sentinel_config, missing_file_is_an_error)
{
    cr_assert_eq(sentinel_config_load(&cfg, "/nonexistent/s.yaml", 0, NULL, &errs), -1);
    cr_assert(has_error("/nonexistent/s.yaml: cannot open"), "%s", first_error());
}

/* ---- start-up merge with the state file --------------------------------------------------------
 */

static const char *two_masters = "masters:\n"
                                 "  - {name: a, host: 10.0.0.1, port: 6379, quorum: 2}\n"
                                 "  - {name: b, host: 10.0.0.2, port: 6379, quorum: 2}\n";

static struct sentinel_state_master *find(struct sentinel_state *st, const char *name)
{
    for (size_t i = 0; i < st->n_masters; i++)
        if (strcmp(st->masters[i].name, name) == 0) return &st->masters[i];
    return NULL;
}

Test(sentinel_config, fresh_start_takes_every_yaml_master)
{
    cr_assert_eq(load(two_masters), 0, "%s", first_error());
    struct sentinel_state out;
    sentinel_config_initial_state(&cfg, NULL, NULL, &out);
    cr_assert_eq(out.n_masters, 2);
    cr_assert_eq(out.myid[0], '\0');
    cr_assert_eq(find(&out, "a")->params.quorum, 2);
    sentinel_state_free(&out);
}

/* The state a previous run would have written for this YAML, after learning things. */
static void previous_run(struct sentinel_state *st, struct state_file_meta *meta)
{
    memset(st, 0, sizeof(*st));
    snprintf(st->myid, sizeof(st->myid), "%s", "0123456789012345678901234567890123456789");
    st->current_epoch = 9;
    struct sentinel_state_master *a = sentinel_state_add_master(st, "a", "10.0.0.7", 6379, 2);
    a->config_epoch = 9; /* failed over to 10.0.0.7 */
    a->params.down_after_ms = 30000;
    a->params.failover_timeout_ms = 180000;
    sentinel_state_add_master(st, "rt", "10.0.0.9", 6379, 1); /* SENTINEL MONITOR */
    sentinel_config_meta(&cfg, meta);
}

Test(sentinel_config, state_wins_when_yaml_unchanged)
{
    cr_assert_eq(load(two_masters), 0, "%s", first_error());
    struct sentinel_state prev, out;
    struct state_file_meta meta;
    previous_run(&prev, &meta);
    /* b was in the YAML and in the recorded fingerprints but not in the state: REMOVEd. */
    sentinel_config_initial_state(&cfg, &prev, &meta, &out);
    cr_assert_eq(out.current_epoch, 9);
    cr_assert_str_eq(find(&out, "a")->host, "10.0.0.7", "learned address kept");
    cr_assert_null(find(&out, "b"), "a master removed at run time stays removed");
    cr_assert_not_null(find(&out, "rt"), "a master added at run time stays");
    sentinel_state_free(&prev);
    sentinel_state_free(&out);
    state_file_meta_free(&meta);
}

Test(sentinel_config, yaml_edit_wins_but_keeps_epochs)
{
    cr_assert_eq(load(two_masters), 0, "%s", first_error());
    struct sentinel_state prev, out;
    struct state_file_meta meta;
    previous_run(&prev, &meta);
    sentinel_config_free(&cfg);
    sentinel_config_init(&cfg);
    cr_assert_eq(load("masters:\n"
                      "  - {name: a, host: 10.0.0.1, port: 6379, quorum: 3}\n"
                      "  - {name: b, host: 10.0.0.3, port: 6379, quorum: 2}\n"),
                 0, "%s", first_error());
    sentinel_config_initial_state(&cfg, &prev, &meta, &out);
    struct sentinel_state_master *a = find(&out, "a");
    cr_assert_eq(a->params.quorum, 3, "the edited quorum is taken");
    cr_assert_eq(a->config_epoch, 9, "epochs never go backwards");
    cr_assert_not_null(find(&out, "b"), "an edited entry is added again");
    cr_assert_str_eq(find(&out, "b")->host, "10.0.0.3");
    sentinel_state_free(&prev);
    sentinel_state_free(&out);
    state_file_meta_free(&meta);
}

Test(sentinel_config, master_deleted_from_yaml_is_dropped)
{
    cr_assert_eq(load(two_masters), 0, "%s", first_error());
    struct sentinel_state prev, out;
    struct state_file_meta meta;
    previous_run(&prev, &meta);
    sentinel_config_free(&cfg);
    sentinel_config_init(&cfg);
    cr_assert_eq(load("masters: []\n"), 0, "%s", first_error());
    sentinel_config_initial_state(&cfg, &prev, &meta, &out);
    cr_assert_null(find(&out, "a"), "a YAML master deleted from the file is dropped");
    cr_assert_not_null(find(&out, "rt"), "runtime masters are not the file's to delete");
    sentinel_state_free(&prev);
    sentinel_state_free(&out);
    state_file_meta_free(&meta);
}

Test(sentinel_config, fingerprint_changes_with_every_setting)
{
    cr_assert_eq(load("masters:\n  - {name: a, host: 10.0.0.1, port: 6379, quorum: 2}\n"), 0);
    char *f1 = sentinel_config_fingerprint(&cfg.masters[0]);
    cfg.masters[0].auth_pass = xstrdup("x");
    char *f2 = sentinel_config_fingerprint(&cfg.masters[0]);
    cr_assert_str_neq(f1, f2);
    cr_assert_null(strstr(f2, "=x "), "the password is not written in clear");
    cfg.masters[0].down_after_ms = 1234;
    char *f3 = sentinel_config_fingerprint(&cfg.masters[0]);
    cr_assert_str_neq(f2, f3);
    free(f1);
    free(f2);
    free(f3);
}

Test(sentinel_config, webhook_errors_come_with_their_place_and_all_at_once)
{
    cr_assert_eq(load("webhooks:\n"
                      "  - url: ftp://example.com/hook\n"
                      "  - url: http://example.com/ok\n"
                      "    events: [\"+switch-master\", \"+swich-master\", \"-failover-abort-*\"]\n"
                      "  - url: example.com\n"
                      "    events: [\"nonsense\"]\n"),
                 -1);
    cr_assert_eq(errs.count, 4, "%s", first_error());
    cr_assert(has_error("s.yaml:2:10: webhooks.0.url: expected an http:// or https:// URL"), "%s",
              first_error());
    cr_assert(has_error("s.yaml:4:13: webhooks.1.events: no event is named \"+swich-master\" (did "
                        "you mean \"+switch-master\"?)"),
              "%s", errs.err[1].text);
    cr_assert(has_error("s.yaml:5:10: webhooks.2.url: expected an http:// or https:// URL"));
    cr_assert(has_error("s.yaml:6:13: webhooks.2.events: no event is named \"nonsense\" (the event "
                        "names are in docs/http-api.md)"));
}

Test(sentinel_config, webhook_schemes)
{
    cr_assert_eq(load("http:\n  webhook-schemes: [https]\n"), 0, "%s", first_error());
    cr_assert_eq(cfg.http.webhook_schemes.count, 1);
    cr_assert_str_eq(cfg.http.webhook_schemes.items[0], "https");
    cr_assert_neq(load("http:\n  webhook-schemes: [https, ftp]\n"), 0);
    cr_assert(strstr(first_error(), "expected http or https, got 'ftp'") != NULL, "%s",
              first_error());
}
