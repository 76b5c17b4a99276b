/* sentinel_config: schema of sentinel.yaml, the checks the schema cannot express, and the merge
 * of the YAML with the state file at start (rules in sentinel_config.h). Loading never prints or
 * exits: errors go to the caller's cfg_errors, decisions to the log. */
#include "sentinel/sentinel_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/tls_config.h"
#include "common/util.h"
#include "sentinel/core/instance.h"
#include "sentinel/notify_io.h"
#include "sentinel/core/sentinel.h"

/* ---- validators ------------------------------------------------------------------------------ */

static int validate_master_name(const void *p, char *err, size_t errlen)
{
    const char *s = *(char *const *)p;
    if (s == NULL) return 0; /* required-ness is checked by the loader */
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == ',') {
            snprintf(err, errlen, "must not contain spaces, control characters or commas");
            return -1;
        }
    }
    return 0;
}

static int validate_not_empty(const void *p, char *err, size_t errlen)
{
    const char *s = *(char *const *)p;
    if (s == NULL || s[0] != '\0') return 0;
    snprintf(err, errlen, "must not be empty");
    return -1;
}

/* A script path is checked when the file is loaded, so a typo stops the start with the file's
 * position instead of failing at the first event (Redis refuses such a config too). */
static int validate_script(const void *p, char *err, size_t errlen)
{
    const char *s = *(char *const *)p;
    if (validate_not_empty(p, err, errlen) != 0) return -1;
    if (s == NULL || notify_io_script_is_executable(s)) return 0;
    snprintf(err, errlen, "\"%s\" does not exist, is not a regular file or is not executable", s);
    return -1;
}

static int validate_promotion_quorum(const void *p, char *err, size_t errlen)
{
    const char *s = *(char *const *)p;
    int q;
    if (s == NULL || sentinel_promotion_quorum_parse(s, &q) == 0) return 0;
    snprintf(err, errlen, "must be majority, off or a number from 1 to %d", PROMOTION_QUORUM_MAX);
    return -1;
}

/* ---- schema --------------------------------------------------------------------------------- */

static const char *const loglevel_names[] = {"debug",   "verbose", "notice",
                                             "warning", "nothing", NULL};
/* In enum sentinel_promotion_order's order. */
static const char *const promotion_order_names[] = {"offset-first", "priority-first", NULL};
/* In enum sentinel_isolated_discovery's order. */
static const char *const isolated_discovery_names[] = {"refuse", "answer", NULL};

#define MF(m) .offset = offsetof(struct sentinel_master_cfg, m)
static const struct cfg_field master_fields[] = {
    {.key = "name",
     .type = CFG_STRING,
     MF(name),
     .min = 1,
     .max = INSTANCE_NAME_MAX,
     .validate = validate_master_name,
     .flags = CFG_F_REQUIRED,
     .help = "Name of the master group (as in SENTINEL MONITOR)."},
    {.key = "host",
     .type = CFG_STRING,
     MF(host),
     .min = 1,
     .max = INSTANCE_HOST_MAX,
     .flags = CFG_F_REQUIRED,
     .help = "Address of the master (an IP unless resolve-hostnames)."},
    {.key = "port",
     .type = CFG_INT,
     MF(port),
     .min = 1,
     .max = 65535,
     .flags = CFG_F_REQUIRED,
     .help = "Port of the master."},
    {.key = "quorum",
     .type = CFG_INT,
     MF(quorum),
     .min = 1,
     .max = 1000,
     .flags = CFG_F_REQUIRED,
     .help = "Sentinels that must agree the master is down (ODOWN)."},
    /* Floors: below them a sentinel cannot tell a slow node from a dead one (down-after) or
     * abandons a failover before a replica could finish promoting (failover-timeout). */
    {.key = "down-after",
     .type = CFG_DURATION,
     MF(down_after_ms),
     .min = 100,
     .max = 86400000,
     .def = "30s",
     .unit_ms = 1,
     .help = "Silence before SDOWN (bare number = ms)."},
    {.key = "down-after-milliseconds",
     .type = CFG_DURATION,
     MF(down_after_ms),
     .min = 100,
     .max = 86400000,
     .unit_ms = 1,
     .flags = CFG_F_ALIAS,
     .help = "Redis's name of down-after."},
    {.key = "failover-timeout",
     .type = CFG_DURATION,
     MF(failover_timeout_ms),
     .min = 1000,
     .max = 86400000,
     .def = "3m",
     .unit_ms = 1,
     .help = "Failover timeout (bare number = ms)."},
    {.key = "parallel-syncs",
     .type = CFG_INT,
     MF(parallel_syncs),
     .min = 1,
     .max = 1000,
     .def = "1",
     .help = "Replicas reconfigured at the same time after a failover."},
    {.key = "auth-pass",
     .type = CFG_STRING,
     MF(auth_pass),
     .flags = CFG_F_SECRET,
     .help = "Password for the data nodes."},
    {.key = "auth-user", .type = CFG_STRING, MF(auth_user), .help = "ACL user for the data nodes."},
    {.key = "master-reboot-down-after-period",
     .type = CFG_DURATION,
     MF(master_reboot_down_after_period_ms),
     .min = 0,
     .max = 86400000,
     .def = "0",
     .unit_ms = 1,
     .help = "SDOWN a rebooted master not answering PONG for this long (0 = off)."},
    {.key = "primary-reboot-down-after-period",
     .type = CFG_DURATION,
     MF(master_reboot_down_after_period_ms),
     .min = 0,
     .max = 86400000,
     .unit_ms = 1,
     .flags = CFG_F_ALIAS,
     .help = "Valkey's name of master-reboot-down-after-period."},
    {.key = "notification-script",
     .type = CFG_STRING,
     MF(notification_script),
     .validate = validate_script,
     .help = "Run with <event> <message> on warning events."},
    {.key = "client-reconfig-script",
     .type = CFG_STRING,
     MF(client_reconfig_script),
     .validate = validate_script,
     .help = "Run when the master address changes."},
    {.key = "election-spread",
     .type = CFG_DURATION,
     MF(election_spread_ms),
     .min = SENTINEL_ELECTION_SPREAD_MIN_MS,
     .max = SENTINEL_ELECTION_SPREAD_MAX_MS,
     .def = "100ms",
     .unit_ms = 1,
     .help = "Least range of the random delay before a failover attempt (the range is the larger "
             "of this and 10 peer round trips), so two sentinels rarely split the vote."},
    {.key = "promotion-order",
     .type = CFG_ENUM,
     MF(promotion_order),
     .enum_names = promotion_order_names,
     .def = "offset-first",
     .help = "offset-first: the eligible replica with the highest offset is promoted, "
             "replica-priority breaks ties (keeps WAIT-acknowledged writes); priority-first: "
             "Redis's order."},
    {.key = "promotion-quorum",
     .type = CFG_STRING,
     MF(promotion_quorum),
     .validate = validate_promotion_quorum,
     .def = "majority",
     .help = "majority, off or a number k from 1 to 128: fresh replica offsets a failover "
             "needs before it promotes; k protects writes "
             "acknowledged by WAIT k (R - k + 1 of the R known replicas); majority protects a "
             "write on a majority of the data nodes; off: Redis's behaviour."},
    {.key = "forget-after",
     .type = CFG_DURATION,
     MF(forget_after_ms),
     .min = 0,
     .max = SENTINEL_FORGET_AFTER_MAX_MS,
     .def = "1h",
     .unit_ms = 1,
     .help = "Forget replicas and sentinels not seen for this long (0 = never); sentinels only "
             "while this one hears a majority of the group."},
    {.key = "lease-margin",
     .type = CFG_DURATION,
     MF(lease_margin_ms),
     .min = 0,
     .max = SENTINEL_LEASE_MARGIN_MAX_MS,
     .def = "0",
     .unit_ms = 1,
     .help = "Master lease: how much shorter than down-after a lease is (it covers clock-rate "
             "drift and scheduling delays); 0 = the larger of down-after / 5 and 50 ms. A "
             "margin of down-after or more sends no lease."},
    {.key = "discovery-when-isolated",
     .type = CFG_ENUM,
     MF(discovery_when_isolated),
     .enum_names = isolated_discovery_names,
     .def = "refuse",
     .help = "What SENTINEL GET-MASTER-ADDR-BY-NAME answers from a sentinel cut off from the "
             "majority of its peers: refuse (an error, clients ask the next sentinel) or answer "
             "(Redis's behaviour)."},
};
static const struct cfg_schema master_schema = CFG_SCHEMA_INIT(master_fields);

#define HF(m) .offset = offsetof(struct sentinel_http_cfg, m)
static int validate_webhook_schemes(const void *p, char *err, size_t errlen)
{
    const struct cfg_strlist *l = p;
    for (size_t i = 0; i < l->count; i++) {
        if (strcasecmp(l->items[i], "http") == 0 || strcasecmp(l->items[i], "https") == 0) continue;
        snprintf(err, errlen, "expected http or https, got '%.40s'", l->items[i]);
        return -1;
    }
    return 0;
}

static const struct cfg_field http_fields[] = {
    {.key = "bind", .type = CFG_STRING, HF(bind), .def = "127.0.0.1", .help = "HTTP address."},
    {.key = "port",
     .type = CFG_INT,
     HF(port),
     .min = 0,
     .max = 65535,
     .def = "0",
     .help = "HTTP port (0 = no HTTP API)."},
    {.key = "token",
     .type = CFG_STRING,
     HF(token),
     .flags = CFG_F_SECRET,
     .help = "Bearer token required for POST requests."},
    {.key = "read-token",
     .type = CFG_STRING,
     HF(read_token),
     .flags = CFG_F_SECRET,
     .help = "Bearer token required for GET requests (unset = open)."},
    {.key = "allowed-origins",
     .type = CFG_STRLIST,
     HF(allowed_origins),
     .max_count = 16,
     .help = "Origins (scheme://host[:port]) allowed to call the API from a browser; a request "
             "with any other Origin header gets 403 (default: none)."},
    {.key = "webhook-schemes",
     .type = CFG_STRLIST,
     HF(webhook_schemes),
     .max_count = 2,
     .validate = validate_webhook_schemes,
     .help = "URL schemes webhooks may use: http and/or https (default: both). `https` alone "
             "keeps every delivery, and its HMAC signature, off plain text."},
    {.key = "request-timeout",
     .type = CFG_DURATION,
     HF(request_timeout_ms),
     .min = 100,
     .max = 600000,
     .def = "5s",
     .unit_ms = 1,
     .help = "Deadline for a request's head and body; slower connections are closed."},
    {.key = "tls-cert-file",
     .type = CFG_STRING,
     HF(tls_cert_file),
     .help = "Serve HTTPS with this certificate chain (PEM); unset: plain HTTP."},
    {.key = "tls-key-file", .type = CFG_STRING, HF(tls_key_file), .help = "Its private key (PEM)."},
    {.key = "tls-key-file-pass",
     .type = CFG_STRING,
     HF(tls_key_file_pass),
     .flags = CFG_F_SECRET,
     .help = "Pass phrase of an encrypted tls-key-file."},
    {.key = "tls-ca-cert-file",
     .type = CFG_STRING,
     HF(tls_ca_cert_file),
     .help = "CA for client certificates: a client certificate it signed may replace the token "
             "on POST requests."},
    {.key = "tls-client-subjects",
     .type = CFG_STRLIST,
     HF(tls_client_subjects),
     .max_count = 16,
     .help = "Subjects (e.g. \"CN=ops,O=example\") whose certificates may replace the token; "
             "empty: any certificate the client CA signed."},
};
static const struct cfg_schema http_schema = CFG_SCHEMA_INIT(http_fields);

/* Checked at load time so that every bad webhook is reported with its file:line:column. */
static int validate_webhook_url(const void *p, char *err, size_t errlen)
{
    const char *u = *(char *const *)p;
    if (u == NULL || strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0)
        return 0;
    snprintf(err, errlen, "expected an http:// or https:// URL");
    return -1;
}

static int validate_event_globs(const void *p, char *err, size_t errlen)
{
    const struct cfg_strlist *l = p;
    for (size_t i = 0; i < l->count; i++) {
        const char *near;
        if (sentinel_event_glob_known(l->items[i], &near)) continue;
        snprintf(err, errlen,
                 "no event is named \"%.64s\"%s%s%s (the event names are in "
                 "docs/http-api.md)",
                 l->items[i], near ? " (did you mean \"" : "", near ? near : "",
                 near ? "\"?)" : "");
        return -1;
    }
    return 0;
}

#define WF(m) .offset = offsetof(struct sentinel_webhook_cfg, m)
static const struct cfg_field webhook_fields[] = {
    {.key = "name",
     .type = CFG_STRING,
     WF(name),
     .max = 64,
     .help = "Label in metrics and logs (default: the hook's index, 0 for the first)."},
    {.key = "url",
     .type = CFG_STRING,
     WF(url),
     .min = 1,
     .max = 2048,
     .flags = CFG_F_REQUIRED,
     .validate = validate_webhook_url,
     .help = "Where events are POSTed."},
    {.key = "events",
     .type = CFG_STRLIST,
     WF(events),
     .max_count = 64,
     .validate = validate_event_globs,
     .help = "Event globs (default: every warning-level event)."},
    {.key = "secret",
     .type = CFG_STRING,
     WF(secret),
     .flags = CFG_F_SECRET,
     .help = "HMAC-SHA256 key for the X-Vigil-Signature header."},
    {.key = "timeout",
     .type = CFG_DURATION,
     WF(timeout_ms),
     .min = 1,
     .max = 600000,
     .def = "2s",
     .unit_ms = 1,
     .help = "Request timeout."},
    {.key = "ca-file",
     .type = CFG_STRING,
     WF(ca_file),
     .help = "CA certificates (PEM) that verify an https:// receiver instead of the system's; "
             "verification is never off."},
    {.key = "pre-failover",
     .type = CFG_BOOL,
     WF(pre_failover),
     .def = "no",
     .help = "Call before promotion; a non-2xx answer vetoes the failover (no answer within "
             "the hook's timeout is not a veto)."},
};
static const struct cfg_schema webhook_schema = CFG_SCHEMA_INIT(webhook_fields);

#define TF(m) .offset = offsetof(struct sentinel_config, m)
static const struct cfg_field top_fields[] = {
    {.key = "port",
     .type = CFG_INT,
     TF(port),
     .min = 0,
     .max = 65535,
     .def = "26379",
     .help = "Sentinel protocol port (0: none, TLS only; needs tls-port and tls-replication)."},
    {.key = "bind",
     .type = CFG_STRLIST,
     TF(bind),
     .def = "127.0.0.1",
     .max_count = SENTINEL_CFG_MAX_BINDS,
     .help = "Listening addresses (one, or a list: [10.0.0.1, 127.0.0.1])."},
    {.key = "dir",
     .type = CFG_STRING,
     TF(dir),
     .min = 1,
     .max = 3800,
     .def = ".",
     .help = "Directory of the state file (sentinel-state.json). Refused at start when anyone "
             "may write to it and it has no sticky bit."},
    {.key = "announce-ip",
     .type = CFG_STRING,
     TF(announce_ip),
     .max = 255,
     .help = "Address announced in hellos (default: the local address of each link)."},
    {.key = "announce-port",
     .type = CFG_INT,
     TF(announce_port),
     .min = 0,
     .max = 65535,
     .def = "0",
     .help = "Port announced in hellos (0 = port)."},
    {.key = "announce-hostnames",
     .type = CFG_BOOL,
     TF(announce_hostnames),
     .def = "no",
     .help = "Announce hostnames instead of IPs."},
    {.key = "resolve-hostnames",
     .type = CFG_BOOL,
     TF(resolve_hostnames),
     .def = "no",
     .help = "Accept hostnames for masters."},
    {.key = "requirepass",
     .type = CFG_STRING,
     TF(requirepass),
     .flags = CFG_F_SECRET,
     .help = "Password clients (and peer sentinels) must AUTH with."},
    {.key = "protected-mode",
     .type = CFG_BOOL,
     TF(protected_mode),
     .def = "no",
     .help = "While no requirepass is set, refuse clients not on loopback with Redis's -DENIED "
             "error. Off by default, as in Redis Sentinel."},
    {.key = "tls-port",
     .type = CFG_INT,
     TF(tls_port),
     .min = 0,
     .max = 65535,
     .def = "0",
     .help = "TLS port of the Sentinel protocol (0: none)."},
    TLS_CONFIG_FIELDS(offsetof(struct sentinel_config, tls)),
    {.key = "tls-replication",
     .type = CFG_BOOL,
     TF(tls_replication),
     .def = "no",
     .help = "Links to masters, replicas and peer sentinels speak TLS, and hellos announce "
             "tls-port (as Redis Sentinel)."},
    {.key = "tls-handshake-timeout",
     .type = CFG_DURATION,
     TF(tls_handshake_timeout_ms),
     .min = 1,
     .max = 1LL << 40,
     .def = "10s",
     .unit_ms = 1000,
     .help = "A client that has not completed the TLS handshake in this time is closed (ours)."},
    {.key = "sentinel-user",
     .type = CFG_STRING,
     TF(sentinel_user),
     .help = "ACL user this sentinel uses with its peers."},
    {.key = "sentinel-pass",
     .type = CFG_STRING,
     TF(sentinel_pass),
     .flags = CFG_F_SECRET,
     .help = "Password this sentinel uses with its peers (default: requirepass)."},
    {.key = "deny-scripts-reconfig",
     .type = CFG_BOOL,
     TF(deny_scripts_reconfig),
     .def = "yes",
     .help = "Refuse SENTINEL SET of script paths."},
    {.key = "logfile",
     .type = CFG_STRING,
     TF(logfile),
     .def = "",
     .help = "Log file (empty = stderr)."},
    {.key = "loglevel",
     .type = CFG_ENUM,
     TF(loglevel),
     .enum_names = loglevel_names,
     .def = "notice",
     .help = "debug, verbose, notice, warning or nothing."},
    {.key = "maxclients",
     .type = CFG_INT,
     TF(maxclients),
     .min = 1,
     .max = 100000,
     .def = "10000",
     .help = "Maximum simultaneous clients. Lowered at start to the open files limit less 32 "
             "when that limit cannot be raised."},
    {.key = "masters",
     .type = CFG_SECTION_LIST,
     TF(masters),
     .sub = &master_schema,
     .elem_size = sizeof(struct sentinel_master_cfg),
     .max_count = SENTINEL_CFG_MAX_MASTERS,
     .count_offset = offsetof(struct sentinel_config, n_masters),
     .help = "Masters to monitor (more can be added with SENTINEL MONITOR)."},
    {.key = "http",
     .type = CFG_SECTION,
     TF(http),
     .sub = &http_schema,
     .help = "HTTP/JSON API: status, health, operations, events, metrics (off unless "
             "http.port is set)."},
    {.key = "webhooks",
     .type = CFG_SECTION_LIST,
     TF(webhooks),
     .sub = &webhook_schema,
     .elem_size = sizeof(struct sentinel_webhook_cfg),
     .max_count = SENTINEL_CFG_MAX_WEBHOOKS,
     .count_offset = offsetof(struct sentinel_config, n_webhooks),
     .help = "Event webhooks."},
};
static const struct cfg_schema top_schema = CFG_SCHEMA_INIT(top_fields);

const struct cfg_schema *sentinel_config_schema(void) { return &top_schema; }

void sentinel_config_init(struct sentinel_config *c)
{
    memset(c, 0, sizeof(*c));
    cfg_defaults(&top_schema, c);
}

void sentinel_config_free(struct sentinel_config *c) { cfg_free(&top_schema, c); }

/* ---- checks with positions --------------------------------------------------------------------
 */

static bool key_is(const yaml_node_t *k, const char *want)
{
    return k && k->type == YAML_SCALAR_NODE &&
           util_eq_nocase((const char *)k->data.scalar.value, k->data.scalar.length, want);
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
        if (key_is(yaml_document_get_node(doc, p->key), key))
            return yaml_document_get_node(doc, p->value);
    return NULL;
}

/* 1-based line:column of masters[idx].<key> in the YAML text; false when not found. */
static bool locate_master_key(const char *yaml, size_t len, size_t idx, const char *key,
                              unsigned *line, unsigned *col)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    bool found = false;
    if (!yaml_parser_initialize(&parser)) return false;
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (yaml_parser_load(&parser, &doc)) {
        yaml_node_t *list = map_get(&doc, yaml_document_get_root_node(&doc), "masters");
        if (list && list->type == YAML_SEQUENCE_NODE &&
            idx < (size_t)(list->data.sequence.items.top - list->data.sequence.items.start)) {
            yaml_node_t *elem = yaml_document_get_node(&doc, list->data.sequence.items.start[idx]);
            yaml_node_t *v = map_get(&doc, elem, key);
            if (v == NULL) v = elem;
            if (v) {
                *line = (unsigned)v->start_mark.line + 1;
                *col = (unsigned)v->start_mark.column + 1;
                found = true;
            }
        }
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return found;
}

static void master_error(struct cfg_errors *errs, const char *name, const char *yaml, size_t len,
                         size_t idx, const char *key, const char *msg)
{
    unsigned line = 0, col = 0;
    if (yaml && locate_master_key(yaml, len, idx, key, &line, &col))
        cfg_errors_addf(errs, "%s:%u:%u: masters.%zu.%s: %s", name, line, col, idx, key, msg);
    else
        cfg_errors_addf(errs, "%s: masters.%zu.%s: %s", name, idx, key, msg);
}

static bool host_is_ip(const char *h)
{
    unsigned char b[16];
    return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

/* Port 0 turns the plaintext listener off. Peers then reach us on the port our hellos announce,
 * which is tls-port only when our links speak TLS (docs/tls.md#sentinel): without
 * tls-replication they would connect in plaintext to a port that does not exist. */
static void check_listeners(const struct sentinel_config *c, const char *name,
                            struct cfg_errors *errs)
{
    if (c->port != 0) return;
    if (c->tls_port == 0)
        cfg_errors_addf(
            errs, "%s: port: 0 and no tls-port: this sentinel would not listen anywhere", name);
    else if (!c->tls_replication)
        cfg_errors_addf(errs,
                        "%s: port: 0 needs tls-replication: yes (peers reach this sentinel on the "
                        "port its hellos announce, and that is tls-port only with TLS links)",
                        name);
}

static int check_semantics(const struct sentinel_config *c, const char *name, const char *yaml,
                           size_t len, struct cfg_errors *errs)
{
    size_t before = errs->count + errs->dropped;
    char msg[400];
    check_listeners(c, name, errs);
    for (size_t i = 0; i < c->n_masters; i++) {
        const struct sentinel_master_cfg *master = &c->masters[i];
        for (size_t j = 0; j < i; j++) {
            if (strcmp(master->name, c->masters[j].name) != 0) continue;
            snprintf(msg, sizeof(msg), "duplicate master name \"%.64s\" (first as masters.%zu)",
                     master->name, j);
            master_error(errs, name, yaml, len, i, "name", msg);
            break;
        }
        if (!c->resolve_hostnames && !host_is_ip(master->host)) {
            snprintf(msg, sizeof(msg),
                     "\"%.64s\" is not an IP address (set resolve-hostnames: yes to use names)",
                     master->host);
            master_error(errs, name, yaml, len, i, "host", msg);
        }
    }
    return errs->count + errs->dropped > before ? -1 : 0;
}

int sentinel_config_load_string(struct sentinel_config *c, const char *name, const char *yaml,
                                size_t len, struct cfg_errors *errs)
{
    if (cfg_load_string(&top_schema, c, name, yaml, len, errs) != 0) return -1;
    return check_semantics(c, name, yaml, len, errs);
}

int sentinel_config_load(struct sentinel_config *c, const char *path, int argc, char **argv,
                         struct cfg_errors *errs)
{
    struct buf text;
    buf_init(&text);
    int rc = 0;
    if (path) {
        FILE *fp = fopen(path, "rb");
        if (fp == NULL) {
            cfg_errors_addf(errs, "%s: cannot open: %s", path, strerror(errno));
            return -1;
        }
        size_t n;
        do {
            char *space = buf_space(&text, 16384);
            n = fread(space, 1, 16384, fp);
            buf_commit(&text, n);
        } while (n > 0 && text.len <= CFG_MAX_FILE_BYTES);
        if (ferror(fp)) {
            cfg_errors_addf(errs, "%s: cannot read: %s", path, strerror(errno));
            rc = -1;
        }
        fclose(fp);
        if (rc == 0)
            rc = cfg_load_string(&top_schema, c, path, text.data ? text.data : "", text.len, errs);
    }
    if (rc == 0 && argc > 0) {
        int first_unused = 0;
        rc = cfg_apply_args(&top_schema, c, argc, argv, &first_unused, errs);
        if (rc == 0 && first_unused < argc) {
            cfg_errors_addf(errs, "command line: unexpected argument \"%.64s\"",
                            argv[first_unused]);
            rc = -1;
        }
    }
    if (rc == 0) rc = check_semantics(c, path ? path : "command line", text.data, text.len, errs);
    buf_free(&text);
    return rc;
}

/* ---- what the program derives -------------------------------------------------------------------
 */

void sentinel_config_options(const struct sentinel_config *c, struct sentinel_options *out)
{
    memset(out, 0, sizeof(*out));
    out->port = (int)c->port;
    out->announce_ip = c->announce_ip && c->announce_ip[0] ? c->announce_ip : NULL;
    out->announce_port = (int)c->announce_port;
    out->resolve_hostnames = c->resolve_hostnames;
    out->announce_hostnames = c->announce_hostnames;
    out->sentinel_user = c->sentinel_user;
    out->sentinel_pass = c->sentinel_pass;
    out->requirepass = c->requirepass;
    out->deny_scripts_reconfig = c->deny_scripts_reconfig;
}

static char *dup_or_null(const char *s) { return s && s[0] ? xstrdup(s) : NULL; }

void sentinel_config_master_params(const struct sentinel_master_cfg *master,
                                   struct sentinel_master_params *out)
{
    sentinel_params_default(out, (int)master->quorum, master->down_after_ms,
                            master->failover_timeout_ms);
    out->parallel_syncs = (int)master->parallel_syncs;
    out->master_reboot_down_after_period_ms = master->master_reboot_down_after_period_ms;
    out->auth_pass = dup_or_null(master->auth_pass);
    out->auth_user = dup_or_null(master->auth_user);
    out->notification_script = dup_or_null(master->notification_script);
    out->client_reconfig_script = dup_or_null(master->client_reconfig_script);
    out->election_spread_ms = master->election_spread_ms;
    out->promotion_order = (enum sentinel_promotion_order)master->promotion_order;
    if (master->promotion_quorum)
        sentinel_promotion_quorum_parse(master->promotion_quorum, &out->promotion_quorum);
    out->forget_after_ms = master->forget_after_ms;
    out->lease_margin_ms = master->lease_margin_ms;
    out->discovery_when_isolated =
        (enum sentinel_isolated_discovery)master->discovery_when_isolated;
}

/* FNV-1a, so the fingerprint does not repeat a password verbatim. */
static unsigned long long fnv1a(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

char *sentinel_config_fingerprint(const struct sentinel_master_cfg *master)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b,
               "host=%s port=%lld quorum=%lld down-after=%lld failover-timeout=%lld "
               "parallel-syncs=%lld reboot-period=%lld auth-user=%s auth-pass=%s%016llx "
               "notification-script=%s client-reconfig-script=%s",
               master->host, master->port, master->quorum, (long long)master->down_after_ms,
               (long long)master->failover_timeout_ms, master->parallel_syncs,
               (long long)master->master_reboot_down_after_period_ms,
               master->auth_user ? master->auth_user : "", master->auth_pass ? "#" : "",
               master->auth_pass ? fnv1a(master->auth_pass) : 0ULL,
               master->notification_script ? master->notification_script : "",
               master->client_reconfig_script ? master->client_reconfig_script : "");
    /* Added only when not the default, so state files written before these keys existed keep
     * their fingerprints (a changed one would make the YAML's address win at the upgrade). */
    if (master->election_spread_ms != SENTINEL_ELECTION_SPREAD_DEFAULT_MS)
        buf_printf(&b, " election-spread=%lld", (long long)master->election_spread_ms);
    if (master->promotion_order != PROMOTION_OFFSET_FIRST)
        buf_printf(
            &b, " promotion-order=%s",
            sentinel_promotion_order_name((enum sentinel_promotion_order)master->promotion_order));
    if (master->promotion_quorum && strcasecmp(master->promotion_quorum, "majority") != 0)
        buf_printf(&b, " promotion-quorum=%s", master->promotion_quorum);
    if (master->forget_after_ms != SENTINEL_FORGET_AFTER_DEFAULT_MS)
        buf_printf(&b, " forget-after=%lld", (long long)master->forget_after_ms);
    if (master->lease_margin_ms != 0)
        buf_printf(&b, " lease-margin=%lld", (long long)master->lease_margin_ms);
    if (master->discovery_when_isolated != ISOLATED_DISCOVERY_REFUSE)
        buf_printf(&b, " discovery-when-isolated=%s",
                   sentinel_isolated_discovery_name(
                       (enum sentinel_isolated_discovery)master->discovery_when_isolated));
    char *out = xstrdup(b.data);
    buf_free(&b);
    return out;
}

void sentinel_config_meta(const struct sentinel_config *c, struct state_file_meta *out)
{
    memset(out, 0, sizeof(*out));
    if (c->n_masters == 0) return;
    out->names = xcalloc(c->n_masters, sizeof(*out->names));
    out->fingerprints = xcalloc(c->n_masters, sizeof(*out->fingerprints));
    for (size_t i = 0; i < c->n_masters; i++) {
        out->names[i] = xstrdup(c->masters[i].name);
        out->fingerprints[i] = sentinel_config_fingerprint(&c->masters[i]);
    }
    out->n = c->n_masters;
}

static struct sentinel_state_master *state_find(struct sentinel_state *st, const char *name)
{
    for (size_t i = 0; i < st->n_masters; i++)
        if (strcmp(st->masters[i].name, name) == 0) return &st->masters[i];
    return NULL;
}

static const struct sentinel_master_cfg *config_find(const struct sentinel_config *c,
                                                     const char *name)
{
    for (size_t i = 0; i < c->n_masters; i++)
        if (strcmp(c->masters[i].name, name) == 0) return &c->masters[i];
    return NULL;
}

/* The YAML entry replaces the settings (and address) of a state master; epochs and the learned
 * tables stay. */
static void apply_yaml(struct sentinel_state_master *sm, const struct sentinel_master_cfg *master)
{
    sentinel_params_free(&sm->params);
    sentinel_config_master_params(master, &sm->params);
    if (strcmp(sm->host, master->host) != 0 || sm->port != (int)master->port) {
        log_notice("master %s: address in the config file changed to %s:%lld", sm->name,
                   master->host, master->port);
        free(sm->host);
        sm->host = xstrdup(master->host);
        sm->port = (int)master->port;
    }
}

static void master_free(struct sentinel_state_master *sm)
{
    free(sm->name);
    free(sm->host);
    sentinel_params_free(&sm->params);
    for (size_t i = 0; i < sm->n_replicas; i++) free(sm->replicas[i].host);
    for (size_t i = 0; i < sm->n_sentinels; i++) free(sm->sentinels[i].host);
    free(sm->replicas);
    free(sm->sentinels);
    memset(sm, 0, sizeof(*sm));
}

static void drop_config_masters_gone(const struct sentinel_config *c, struct sentinel_state *st,
                                     const struct state_file_meta *meta)
{
    size_t keep = 0;
    for (size_t i = 0; i < st->n_masters; i++) {
        struct sentinel_state_master *sm = &st->masters[i];
        if (config_find(c, sm->name) == NULL && state_file_meta_get(meta, sm->name) != NULL) {
            log_notice("master %s: no longer in the config file, not monitoring it", sm->name);
            master_free(sm);
            continue;
        }
        st->masters[keep++] = *sm;
    }
    st->n_masters = keep;
}

void sentinel_config_initial_state(const struct sentinel_config *c,
                                   const struct sentinel_state *loaded,
                                   const struct state_file_meta *meta, struct sentinel_state *out)
{
    memset(out, 0, sizeof(*out));
    if (loaded) sentinel_state_copy(out, loaded);
    drop_config_masters_gone(c, out, meta);
    for (size_t i = 0; i < c->n_masters; i++) {
        const struct sentinel_master_cfg *master = &c->masters[i];
        char *fp = sentinel_config_fingerprint(master);
        const char *rec = state_file_meta_get(meta, master->name);
        bool unchanged = rec != NULL && strcmp(rec, fp) == 0;
        struct sentinel_state_master *sm = state_find(out, master->name);
        if (sm && !unchanged) {
            log_notice("master %s: settings in the config file changed since the state was "
                       "saved; using the file's",
                       master->name);
            apply_yaml(sm, master);
        } else if (sm == NULL && unchanged) {
            log_notice("master %s: removed at run time (SENTINEL REMOVE), not monitoring it",
                       master->name);
        } else if (sm == NULL && out->n_masters < SENTINEL_MAX_MASTERS) {
            sm = sentinel_state_add_master(out, master->name, master->host, (int)master->port,
                                           (int)master->quorum);
            sentinel_params_free(&sm->params);
            sentinel_config_master_params(master, &sm->params);
        }
        free(fp);
    }
}
