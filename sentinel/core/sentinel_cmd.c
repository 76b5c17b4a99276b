/* sentinel_cmd: SENTINEL subcommand semantics (see sentinel_cmd.h). Validation messages are Redis
 * Sentinel 7.0's word for word (docs/sentinel-protocol.md#sentinel-subcommands). Changes go through
 * the same core helpers the tick uses, and are persisted before the reply is produced. */
#include "sentinel/core/sentinel_cmd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "sentinel/core/failover.h"
#include "sentinel/core/hello.h"
#include "sentinel/core/monitor.h"
#include "sentinel/core/select.h"
#include "sentinel/core/core_int.h"

#define SAVE_FAILED "ERR Failed to save config file. Check server logs."

const char *const sentinel_simulate_failure_help[2] = {"crash-after-election",
                                                       "crash-after-promotion"};

static void set_res(struct sentinel_cmd_result *r, enum sentinel_cmd_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_res(struct sentinel_cmd_result *r, enum sentinel_cmd_kind k, const char *fmt, ...)
{
    va_list ap;
    r->kind = k;
    r->integer = 0;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
}

static void set_int(struct sentinel_cmd_result *r, long long v)
{
    r->kind = SENTINEL_CMD_INTEGER;
    r->integer = v;
    r->msg[0] = '\0';
}

static void finish_persist(struct sentinel *s, struct sentinel_cmd_result *res)
{
    if (core_persist_now(s) != 0)
        set_res(res, SENTINEL_CMD_ERROR, SAVE_FAILED);
    else if (res->kind != SENTINEL_CMD_ERROR)
        set_res(res, SENTINEL_CMD_STATUS, "OK");
}

static bool parse_ll(const char *s, long long *v) { return util_parse_ll(s, strlen(s), v) == 0; }

int sentinel_cmd_is_master_down(struct sentinel *s, const char *ip, const char *port,
                                const char *epoch, const char *runid,
                                struct sentinel_ismd_reply *out, struct sentinel_cmd_result *res)
{
    long long p, e;
    if (!parse_ll(port, &p) || !parse_ll(epoch, &e) || e < 0) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR value is not an integer or out of range");
        return -1;
    }
    int64_t now = core_now(s);
    struct instance *master = NULL;
    for (size_t i = 0; i < s->n_masters && master == NULL; i++)
        if (instance_addr_is(s->masters[i], ip, (int)p)) master = s->masters[i];
    out->down = 0;
    if (master && !s->tilt &&
        ((master->flags & SRI_S_DOWN) || monitor_sdown_condition(master, now, &s->periods)))
        out->down = 1;
    /* A paused sentinel that sees the master down itself gives no vote: the candidate can only
     * be running an automatic failover the group was paused against (pause.c). */
    bool refuse = master && master->record->params.failover_paused && out->down;
    if (refuse && strcmp(runid, "*") != 0)
        core_log(s, LOG_VERBOSE, "sentinel: paused %s: no vote for %.40s in epoch %lld",
                 master->name, runid, e);
    if (master && !refuse && strcmp(runid, "*") != 0 && strlen(runid) == SENTINEL_RUNID_LEN)
        core_vote(s, master, (uint64_t)e, runid, now);
    if (master && master->record->leader[0]) {
        memcpy(out->leader, master->record->leader, sizeof(out->leader));
        out->leader_epoch = master->record->leader_epoch;
    } else {
        snprintf(out->leader, sizeof(out->leader), "*");
        out->leader_epoch = master ? master->record->leader_epoch : 0;
    }
    core_flush(s);
    return 0;
}

void sentinel_cmd_vote_release(struct sentinel *s, const char *ip, const char *port,
                               const char *epoch, const char *runid,
                               struct sentinel_cmd_result *res)
{
    long long p, e;
    if (!parse_ll(port, &p) || !parse_ll(epoch, &e) || e < 0) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR value is not an integer or out of range");
        return;
    }
    struct instance *master = NULL;
    for (size_t i = 0; i < s->n_masters && master == NULL; i++)
        if (instance_addr_is(s->masters[i], ip, (int)p)) master = s->masters[i];
    struct master_record *record = master ? master->record : NULL;
    /* Only the candidate we voted for, in the epoch we voted in, can release that vote. */
    bool applies = record && record->leader_epoch == (uint64_t)e &&
                   strcmp(record->leader, runid) == 0 && record->config_epoch < (uint64_t)e;
    if (applies && record->released_epoch != (uint64_t)e) {
        record->released_epoch = (uint64_t)e;
        core_log(s, LOG_NOTICE,
                 "sentinel: %s: the leader we voted for in epoch %lld ended its attempt without "
                 "promoting; lease renewals resume",
                 master->name, e);
        core_want_tick(s);
    }
    set_int(res, applies ? 1 : 0);
}

static bool valid_host(const struct sentinel *s, const char *h)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1) return true;
    if (!s->opt.resolve_hostnames || h[0] == '\0' || strlen(h) > INSTANCE_HOST_MAX) return false;
    for (const char *c = h; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_') return false;
    return true;
}

static bool valid_name(const char *n)
{
    if (n[0] == '\0' || strlen(n) > INSTANCE_NAME_MAX) return false;
    for (const char *c = n; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == ',') return false;
    return true;
}

void sentinel_cmd_monitor(struct sentinel *s, const char *name, const char *ip, const char *port,
                          const char *quorum, struct sentinel_cmd_result *res)
{
    long long q, p;
    if (!parse_ll(quorum, &q) || q <= 0 || q > 1000) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR Quorum must be 1 or greater.");
        return;
    }
    if (!parse_ll(port, &p) || p <= 0 || p > 65535) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR Invalid port");
        return;
    }
    if (!valid_host(s, ip)) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR Invalid IP address or hostname specified");
        return;
    }
    if (!valid_name(name)) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR Invalid master name");
        return;
    }
    if (core_master_by_name(s, name)) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR Duplicate master name.");
        return;
    }
    struct sentinel_master_params params;
    sentinel_params_default(&params, (int)q, s->periods.default_down_after,
                            s->periods.default_failover_timeout);
    struct instance *master = core_add_master(s, name, ip, (int)p, &params);
    sentinel_params_free(&params);
    if (master == NULL) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR Too many masters");
        return;
    }
    res->kind = SENTINEL_CMD_STATUS;
    finish_persist(s, res);
    notify_event(s, LOG_WARNING, "+monitor", master, "quorum %d", master->record->params.quorum);
    core_want_tick(s);
}

void sentinel_cmd_remove(struct sentinel *s, const char *name, struct sentinel_cmd_result *res)
{
    struct instance *master = core_master_by_name(s, name);
    if (master == NULL) {
        set_res(res, SENTINEL_CMD_ERROR, SENTINEL_ERR_NO_SUCH_MASTER);
        return;
    }
    notify_event(s, LOG_WARNING, "-monitor", master, NULL);
    core_remove_master(s, master);
    res->kind = SENTINEL_CMD_STATUS;
    finish_persist(s, res);
}

void sentinel_cmd_reset(struct sentinel *s, const char *pattern, struct sentinel_cmd_result *res)
{
    long long n = 0;
    for (size_t i = 0; i < s->n_masters; i++) {
        struct instance *master = s->masters[i];
        if (!util_glob_match(pattern, strlen(pattern), master->name, strlen(master->name), false))
            continue;
        failover_clear(master);
        master_switch_reset(s, master);
        n++;
    }
    core_flush(s);
    set_int(res, n);
}

void sentinel_cmd_failover(struct sentinel *s, const char *name, struct sentinel_cmd_result *res)
{
    struct instance *master = core_master_by_name(s, name);
    int64_t now = core_now(s);
    if (master == NULL) {
        set_res(res, SENTINEL_CMD_ERROR, SENTINEL_ERR_NO_SUCH_MASTER);
        return;
    }
    if (master->flags & SRI_FAILOVER_IN_PROGRESS) {
        set_res(res, SENTINEL_CMD_ERROR, "INPROG Failover already in progress");
        return;
    }
    if (select_best_replica(master, now, &s->periods) == NULL) {
        set_res(res, SENTINEL_CMD_ERROR, "NOGOODSLAVE No suitable replica to promote");
        return;
    }
    failover_start(s, master, true, now);
    core_flush(s);
    set_res(res, SENTINEL_CMD_STATUS, "OK");
}

void sentinel_cmd_failover_args(struct sentinel *s, int argc, const char *const *argv,
                                struct sentinel_cmd_result *res)
{
    if (argc == 1) {
        sentinel_cmd_failover(s, argv[0], res);
        return;
    }
    if (argc != 2 || strcasecmp(argv[1], "coordinated") != 0) {
        set_res(res, SENTINEL_CMD_ERROR, "ERR syntax error");
        return;
    }
    char why[256];
    int rc = sentinel_switchover(s, argv[0], NULL, 0, 0, why, sizeof(why));
    switch (rc) {
    case 0:
        set_res(res, SENTINEL_CMD_STATUS, "OK");
        break;
    case SWITCHOVER_ENOENT:
        set_res(res, SENTINEL_CMD_ERROR, SENTINEL_ERR_NO_SUCH_MASTER);
        break;
    case SWITCHOVER_EBUSY:
        set_res(res, SENTINEL_CMD_ERROR, "INPROG Failover already in progress");
        break;
    case SWITCHOVER_ETARGET:
        set_res(res, SENTINEL_CMD_ERROR, "NOGOODSLAVE No suitable replica to promote");
        break;
    default:
        set_res(res, SENTINEL_CMD_ERROR, "ERR %s", why);
        break;
    }
}

void sentinel_cmd_ckquorum(struct sentinel *s, const char *name, struct sentinel_cmd_result *res)
{
    struct instance *master = core_master_by_name(s, name);
    if (master == NULL) {
        set_res(res, SENTINEL_CMD_ERROR, SENTINEL_ERR_NO_SUCH_MASTER);
        return;
    }
    int usable = 1;
    for (size_t i = 0; i < master->record->n_sentinels; i++)
        if (!(master->record->sentinels[i]->flags & (SRI_S_DOWN | SRI_O_DOWN))) usable++;
    int voters = (int)master->record->n_sentinels + 1;
    bool q_ok = usable >= master->record->params.quorum, maj_ok = usable >= voters / 2 + 1;
    if (q_ok && maj_ok) {
        set_res(res, SENTINEL_CMD_STATUS,
                "OK %d usable Sentinels. Quorum and failover authorization can be reached", usable);
        return;
    }
    char why[256] = "";
    if (!q_ok)
        snprintf(why, sizeof(why),
                 "Not enough available Sentinels to reach the specified quorum for this master");
    if (!maj_ok)
        snprintf(why + strlen(why), sizeof(why) - strlen(why),
                 "%sNot enough available Sentinels to reach the majority and authorize a failover",
                 q_ok ? "" : ". ");
    set_res(res, SENTINEL_CMD_ERROR, "NOQUORUM %d usable Sentinels. %s", usable, why);
}

void sentinel_cmd_flushconfig(struct sentinel *s, struct sentinel_cmd_result *res)
{
    res->kind = SENTINEL_CMD_STATUS;
    finish_persist(s, res);
}

void sentinel_cmd_simulate_failure(struct sentinel *s, int argc, const char *const *argv,
                                   struct sentinel_cmd_result *res)
{
    unsigned flags = 0;
    for (int i = 0; i < argc; i++) {
        if (strcasecmp(argv[i], "crash-after-election") == 0) {
            flags |= SIMFAIL_CRASH_AFTER_ELECTION;
        } else if (strcasecmp(argv[i], "crash-after-promotion") == 0) {
            flags |= SIMFAIL_CRASH_AFTER_PROMOTION;
        } else if (strcasecmp(argv[i], "help") == 0) {
            res->kind = SENTINEL_CMD_HELP;
            return;
        } else {
            set_res(res, SENTINEL_CMD_ERROR, "ERR Unknown failure simulation specified");
            return;
        }
    }
    s->simfail_flags = flags;
    set_res(res, SENTINEL_CMD_STATUS, "OK");
}

void sentinel_cmd_debug_get(struct sentinel *s, struct sentinel_desc *out)
{
    memset(out, 0, sizeof(*out));
    for (const struct periods_name *n = monitor_periods_names(); n->upper; n++) {
        char b[32];
        snprintf(b, sizeof(b), "%lld", (long long)*monitor_period_ref(&s->periods, n));
        out->fields[out->n].name = n->upper;
        out->fields[out->n++].value = xstrdup(b);
    }
}

static const struct periods_name *period_by_name(const char *name)
{
    for (const struct periods_name *n = monitor_periods_names(); n->upper; n++)
        if (strcasecmp(n->lower, name) == 0) return n;
    return NULL;
}

void sentinel_cmd_debug_set(struct sentinel *s, int argc, const char *const *argv,
                            struct sentinel_cmd_result *res)
{
    for (int i = 0; i < argc; i += 2) {
        long long v;
        if (period_by_name(argv[i]) == NULL || i + 1 >= argc) {
            set_res(res, SENTINEL_CMD_ERROR,
                    "ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", argv[i]);
            return;
        }
        if (!parse_ll(argv[i + 1], &v) || v <= 0) {
            set_res(res, SENTINEL_CMD_ERROR, "ERR Invalid argument '%s' for SENTINEL DEBUG '%s'",
                    argv[i + 1], argv[i]);
            return;
        }
    }
    for (int i = 0; i + 1 < argc; i += 2) {
        long long v = 0;
        parse_ll(argv[i + 1], &v);
        *monitor_period_ref(&s->periods, period_by_name(argv[i])) = v;
    }
    core_want_tick(s);
    set_res(res, SENTINEL_CMD_STATUS, "OK");
}

void sentinel_cmd_publish(struct sentinel *s, const char *channel, const char *msg, size_t len,
                          struct sentinel_cmd_result *res)
{
    if (strcmp(channel, HELLO_CHANNEL) != 0) {
        set_res(res, SENTINEL_CMD_ERROR,
                "ERR Only HELLO messages are accepted by Sentinel instances.");
        return;
    }
    if (len > 0 && len <= HELLO_MAX_LEN && s->n_hello_q < CORE_HELLO_QUEUE) {
        struct queued_hello *q = &s->hello_q[s->n_hello_q++];
        q->payload = xmemdup(msg, len);
        q->len = len;
        q->via_pubsub = false;
    }
    set_int(res, 1);
}
