/* cmd_sentinel: the SENTINEL command (every subcommand of
 * docs/sentinel-protocol.md#sentinel-subcommands, with Valkey's aliases) and PUBLISH (hellos only).
 * Each handler checks nothing the core checks: it picks the arguments, calls sentinel_cmd.h /
 * describe.h, and writes the result in the reply shape Redis Sentinel 7.0 uses (descriptions as
 * flat arrays in RESP2 and maps in RESP3, numbers as bulk strings). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/describe.h"
#include "sentinel/notify_io.h"
#include "sentinel/core/sentinel.h"
#include "sentinel/core/sentinel_cmd.h"
#include "sentinel/cmd_server_int.h"
#include "sentinel/sentinel_config.h"
#include "sentinel/sentinel_tls.h"
#include "common/config.h"
#include "common/log.h"
#include "common/tls.h"

static struct sentinel *core_of(const struct client *c) { return c->srv->core; }

static void reply_result(struct client *c, const struct sentinel_cmd_result *r)
{
    switch (r->kind) {
    case SENTINEL_CMD_STATUS:
        reply_simple(c, r->msg);
        break;
    case SENTINEL_CMD_ERROR:
        reply_error(c, r->msg);
        break;
    case SENTINEL_CMD_INTEGER:
        reply_integer(c, r->integer);
        break;
    case SENTINEL_CMD_HELP:
        reply_array(c, ARRAY_LEN(sentinel_simulate_failure_help));
        for (size_t i = 0; i < ARRAY_LEN(sentinel_simulate_failure_help); i++)
            reply_bulk_str(c, sentinel_simulate_failure_help[i]);
        break;
    }
}

/* Name/value pairs: a flat array in RESP2, a map in RESP3. */
static void reply_desc(struct client *c, const struct sentinel_desc *d)
{
    reply_map(c, d->n);
    for (size_t i = 0; i < d->n; i++) {
        reply_bulk_str(c, d->fields[i].name);
        reply_bulk_str(c, d->fields[i].value);
    }
}

static void reply_desc_list(struct client *c, const struct sentinel_desc_list *l)
{
    reply_array(c, l->n);
    for (size_t i = 0; i < l->n; i++) reply_desc(c, &l->items[i]);
}

/* ---- read-only views ------------------------------------------------------------------------ */

static void sub_masters(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    struct sentinel_desc_list l;
    sentinel_describe_masters(core_of(c), &l);
    reply_desc_list(c, &l);
    sentinel_desc_list_free(&l);
}

static void sub_master(struct client *c, const struct cmd_args *a)
{
    struct sentinel_desc d;
    if (sentinel_describe_master(core_of(c), a->argv[2], &d) != 0) {
        reply_error(c, SENTINEL_ERR_NO_SUCH_MASTER);
        return;
    }
    reply_desc(c, &d);
    sentinel_desc_free(&d);
}

static void sub_replicas(struct client *c, const struct cmd_args *a)
{
    struct sentinel_desc_list l;
    if (sentinel_describe_replicas(core_of(c), a->argv[2], &l) != 0) {
        reply_error(c, SENTINEL_ERR_NO_SUCH_MASTER);
        return;
    }
    reply_desc_list(c, &l);
    sentinel_desc_list_free(&l);
}

static void sub_sentinels(struct client *c, const struct cmd_args *a)
{
    struct sentinel_desc_list l;
    if (sentinel_describe_sentinels(core_of(c), a->argv[2], &l) != 0) {
        reply_error(c, SENTINEL_ERR_NO_SUCH_MASTER);
        return;
    }
    reply_desc_list(c, &l);
    sentinel_desc_list_free(&l);
}

static void sub_get_addr(struct client *c, const struct cmd_args *a)
{
    const char *host;
    int port;
    char why[160];
    if (sentinel_addr_refusal(core_of(c), a->argv[2], why, sizeof(why)) != 0) {
        reply_error(c, why);
        return;
    }
    if (sentinel_get_master_addr(core_of(c), a->argv[2], &host, &port) != 0) {
        reply_null_array(c);
        return;
    }
    reply_array(c, 2);
    reply_bulk_str(c, host);
    resp_write_bulk_ll(&c->conn.reply, port);
    conn_queue_write(&c->conn);
}

static void sub_myid(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_bulk_str(c, sentinel_myid(core_of(c)));
}

static void sub_info_cache(struct client *c, const struct cmd_args *a)
{
    struct sentinel_info_cache ic;
    sentinel_info_cache(core_of(c), a->argc - 2, (const char *const *)a->argv + 2, &ic);
    reply_array(c, ic.n * 2);
    for (size_t i = 0; i < ic.n; i++) {
        const struct sentinel_info_cache_entry *e = &ic.entries[i];
        reply_bulk_str(c, e->master_name);
        reply_array(c, e->n);
        for (size_t j = 0; j < e->n; j++) {
            reply_array(c, 2);
            reply_integer(c, e->items[j].age_ms);
            if (e->items[j].text)
                reply_bulk(c, e->items[j].text, e->items[j].len);
            else
                reply_null(c);
        }
    }
    sentinel_info_cache_free(&ic);
}

static void sub_pending_scripts(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    const struct notify_io *n = c->srv->notify;
    size_t count = notify_io_script_count(n);
    reply_array(c, count);
    for (size_t i = 0; i < count; i++) {
        struct notify_script_view v;
        notify_io_script_at(n, i, &v);
        reply_map(c, 5);
        reply_bulk_str(c, "argv");
        reply_array(c, (size_t)v.argc);
        for (int k = 0; k < v.argc; k++) reply_bulk_str(c, v.argv[k]);
        reply_bulk_str(c, "flags");
        reply_bulk_str(c, v.is_running ? "running" : "scheduled");
        reply_bulk_str(c, "pid");
        resp_write_bulk_ll(&c->conn.reply, (long long)v.pid);
        reply_bulk_str(c, v.is_running ? "run-time" : "run-delay");
        resp_write_bulk_ll(&c->conn.reply, (long long)v.ms);
        reply_bulk_str(c, "retry-num");
        resp_write_bulk_ll(&c->conn.reply, v.retry_num);
        conn_queue_write(&c->conn);
    }
}

/* ---- commands that act --------------------------------------------------------------------------
 */

static void sub_is_master_down(struct client *c, const struct cmd_args *a)
{
    struct sentinel_ismd_reply out;
    struct sentinel_cmd_result res;
    if (sentinel_cmd_is_master_down(core_of(c), a->argv[2], a->argv[3], a->argv[4], a->argv[5],
                                    &out, &res) != 0) {
        reply_result(c, &res);
        return;
    }
    reply_array(c, 3);
    reply_integer(c, out.down);
    reply_bulk_str(c, out.leader);
    reply_integer(c, (long long)out.leader_epoch);
}

static void sub_vote_release(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result res;
    sentinel_cmd_vote_release(core_of(c), a->argv[2], a->argv[3], a->argv[4], a->argv[5], &res);
    reply_result(c, &res);
}

static void sub_reset(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result r;
    sentinel_cmd_reset(core_of(c), a->argv[2], &r);
    reply_result(c, &r);
}

static void sub_failover(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result r;
    /* SENTINEL FAILOVER <name> [COORDINATED]: the option selects the lossless switchover. */
    sentinel_cmd_failover_args(core_of(c), a->argc - 2, (const char *const *)a->argv + 2, &r);
    reply_result(c, &r);
}

static void sub_ckquorum(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result r;
    sentinel_cmd_ckquorum(core_of(c), a->argv[2], &r);
    reply_result(c, &r);
}

static void sub_flushconfig(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    struct sentinel_cmd_result r;
    sentinel_cmd_flushconfig(core_of(c), &r);
    reply_result(c, &r);
}

static void sub_monitor(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result r;
    sentinel_cmd_monitor(core_of(c), a->argv[2], a->argv[3], a->argv[4], a->argv[5], &r);
    reply_result(c, &r);
}

static void sub_remove(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result r;
    sentinel_cmd_remove(core_of(c), a->argv[2], &r);
    reply_result(c, &r);
}

static void sub_set(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result r;
    sentinel_cmd_set(core_of(c), a->argv[2], a->argc - 3, (const char *const *)a->argv + 3, &r);
    reply_result(c, &r);
}

/* The core's settings as the config holds them too, so that the state file keeps them across a
 * restart (runtime_config.h); the TLS ones are there already (sentinel_tls_commit). */
static void config_keep(struct cmd_server *srv, size_t npairs, const char *const *kv)
{
    for (size_t i = 0; i < npairs; i++) {
        char err[256];
        if (cfg_set(sentinel_config_schema(), srv->cfg, kv[2 * i], kv[2 * i + 1], err,
                    sizeof(err)) != 0)
            log_warning("SENTINEL CONFIG SET %s: applied, but it will not survive a restart: %s",
                        kv[2 * i], err);
    }
}

/* SENTINEL CONFIG SET: every pair is checked first (the core's, then the tls-* ones, ours in
 * sentinel_tls.h, by building their context), so the command applies all its pairs or none.
 * The config is kept in step before the core writes the state file, once. */
static void config_set(struct client *c, int argc, char **argv)
{
    const char *tls_kv[2 * 32], *core_kv[2 * 32];
    size_t n_tls = 0, n_core = 0;
    if (argc % 2 != 0) { /* the core's words for it */
        reply_errorf(c, "ERR Missing argument '%s' value", argv[argc - 1]);
        return;
    }
    if (argc > 2 * 32) { /* more than every setting there is: some repeat */
        reply_error(c, "ERR Too many arguments to SENTINEL CONFIG SET");
        return;
    }
    for (int i = 0; i < argc; i += 2) {
        const char **kv =
            tls_settings_is_context_key(argv[i]) ? &tls_kv[2 * n_tls++] : &core_kv[2 * n_core++];
        kv[0] = argv[i];
        kv[1] = argv[i + 1];
    }
    struct sentinel_cmd_result r;
    if (sentinel_cmd_config_check((int)(2 * n_core), core_kv, &r) != 0) {
        reply_result(c, &r);
        return;
    }
    char err[600];
    struct sentinel_tls_change *ch = NULL;
    if (n_tls &&
        (ch = sentinel_tls_prepare(c->srv->tls, n_tls, tls_kv, err, sizeof(err))) == NULL) {
        reply_error(c, err);
        return;
    }
    if (ch) sentinel_tls_commit(c->srv->tls, ch);
    config_keep(c->srv, n_core, core_kv); /* the state file keeps them (runtime_config.h) */
    if (n_core)
        sentinel_cmd_config_set(core_of(c), (int)(2 * n_core), core_kv, &r);
    else
        sentinel_cmd_flushconfig(core_of(c), &r);
    reply_result(c, &r);
}

static void sub_config(struct client *c, const struct cmd_args *a)
{
    if (strcasecmp(a->argv[2], "get") == 0 && a->argc >= 4) {
        struct sentinel_desc d;
        const char *const *patterns = (const char *const *)a->argv + 3;
        sentinel_cmd_config_get(core_of(c), a->argc - 3, patterns, &d);
        sentinel_tls_config_get(c->srv->tls, a->argc - 3, patterns, &d);
        reply_desc(c, &d);
        sentinel_desc_free(&d);
    } else if (strcasecmp(a->argv[2], "set") == 0 && a->argc >= 5) {
        config_set(c, a->argc - 3, a->argv + 3);
    } else {
        reply_error(c, "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are "
                       "supported.");
    }
}

static void sub_debug(struct client *c, const struct cmd_args *a)
{
    if (a->argc == 2) {
        struct sentinel_desc d;
        sentinel_cmd_debug_get(core_of(c), &d);
        reply_desc(c, &d);
        sentinel_desc_free(&d);
        return;
    }
    struct sentinel_cmd_result r;
    sentinel_cmd_debug_set(core_of(c), a->argc - 2, (const char *const *)a->argv + 2, &r);
    reply_result(c, &r);
}

static void sub_simulate_failure(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result r;
    sentinel_cmd_simulate_failure(core_of(c), a->argc - 2, (const char *const *)a->argv + 2, &r);
    reply_result(c, &r);
}

static const char *const sentinel_help[] = {
    "SENTINEL <subcommand> [<argument> ...], with <subcommand> one of:",
    "CKQUORUM <master-name>",
    "    Whether enough sentinels are reachable for the quorum and a failover majority.",
    "CONFIG GET <param> [<param> ...] | CONFIG SET <param> <value> [<param> <value> ...]",
    "    Read or change global sentinel parameters.",
    "DEBUG [<param> <ms> ...]",
    "    List the timing parameters (ms), or change some of them.",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    The address clients should use for this master.",
    "FAILOVER <master-name> [COORDINATED]",
    "    Fail over now, without asking the other sentinels. COORDINATED: a lossless",
    "    switchover instead (elected, then the master hands over with FAILOVER TO).",
    "FLUSHCONFIG",
    "    Write the state file now.",
    "INFO-CACHE [<master-name> ...]",
    "    The last INFO replies of the masters and their replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid|*>",
    "    This sentinel's view of a master (and its vote, when a run id is given).",
    "MASTER <master-name>",
    "    State of one master.",
    "MASTERS",
    "    State of every master.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a master.",
    "MYID",
    "    This sentinel's id.",
    "PENDING-SCRIPTS",
    "    Scripts running or waiting to run.",
    "REMOVE <master-name>",
    "    Stop monitoring a master.",
    "REPLICAS <master-name>",
    "    State of the replicas of a master (also SLAVES).",
    "RESET <pattern>",
    "    Forget the replicas and sentinels of the matching masters and rediscover them.",
    "SENTINELS <master-name>",
    "    State of the other sentinels watching a master.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Change settings of a master.",
    "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
    "    Make this sentinel crash at a failover step (for tests).",
    "VOTE-RELEASE <ip> <port> <epoch> <runid>",
    "    Between sentinels: the candidate ended its attempt in that epoch without promoting.",
    "HELP",
    "    Show this list.",
};

static void sub_help(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_simple_lines(c, sentinel_help, ARRAY_LEN(sentinel_help));
}

static const struct cmd_def sentinel_subs[] = {
    {"masters", 2, 0, sub_masters},
    {"primaries", 2, 0, sub_masters},
    {"master", 3, 0, sub_master},
    {"primary", 3, 0, sub_master},
    {"replicas", 3, 0, sub_replicas},
    {"slaves", 3, 0, sub_replicas},
    {"sentinels", 3, 0, sub_sentinels},
    {"get-master-addr-by-name", 3, 0, sub_get_addr},
    {"get-primary-addr-by-name", 3, 0, sub_get_addr},
    {"is-master-down-by-addr", 6, 0, sub_is_master_down},
    {"is-primary-down-by-addr", 6, 0, sub_is_master_down},
    {"vote-release", 6, 0, sub_vote_release},
    {"reset", 3, 0, sub_reset},
    {"failover", -3, 0, sub_failover},
    {"ckquorum", 3, 0, sub_ckquorum},
    {"flushconfig", 2, 0, sub_flushconfig},
    {"monitor", 6, 0, sub_monitor},
    {"remove", 3, 0, sub_remove},
    {"set", -5, 0, sub_set},
    {"config", -3, 0, sub_config},
    {"debug", -2, 0, sub_debug},
    {"simulate-failure", -3, 0, sub_simulate_failure},
    {"info-cache", -3, 0, sub_info_cache},
    {"myid", 2, 0, sub_myid},
    {"pending-scripts", 2, 0, sub_pending_scripts},
    {"help", 2, 0, sub_help},
};

size_t cmd_sentinel_subcommands(const struct cmd_def **out)
{
    *out = sentinel_subs;
    return ARRAY_LEN(sentinel_subs);
}

void cmd_sentinel(struct client *c, const struct cmd_args *a)
{
    cmd_run_subcommand(c, a, "sentinel", sentinel_subs, ARRAY_LEN(sentinel_subs));
}

void cmd_publish(struct client *c, const struct cmd_args *a)
{
    struct sentinel_cmd_result r;
    sentinel_cmd_publish(core_of(c), a->argv[1], a->argv[2], a->len[2], &r);
    reply_result(c, &r);
}
