/* sentinel_set: SENTINEL SET (per-master options) and SENTINEL CONFIG GET|SET (global options),
 * docs/sentinel-protocol.md#sentinel-subcommands. Options are applied one by one; as in Redis,
 * options before a failing one stay applied, and whatever was applied is persisted before the
 * reply. Each applied SET option emits "+set <%@> <option> <value>" (auth-pass shown as "******").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/util.h"
#include "sentinel/core/pause.h"
#include "sentinel/core/sentinel_cmd.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/switchover.h"

enum set_outcome { SET_APPLIED, SET_BAD_VALUE, SET_UNKNOWN, SET_DENIED, SET_NOT_EXECUTABLE };

static bool positive(const char *v, long long *out)
{
    return util_parse_ll(v, strlen(v), out) == 0 && *out > 0;
}

static void replace_str(char **slot, const char *v)
{
    free(*slot);
    *slot = v[0] ? xstrdup(v) : NULL;
}

static void drop_data_links(struct sentinel *s, struct instance *master)
{
    core_close_links(s, master);
    for (size_t i = 0; i < master->record->n_replicas; i++)
        core_close_links(s, master->record->replicas[i]);
}

static void add_rename(struct sentinel_master_params *params, const char *from, const char *to)
{
    for (size_t i = 0; i < params->n_renames; i++) {
        if (strcasecmp(params->renames[i].from, from) != 0) continue;
        free(params->renames[i].to);
        params->renames[i].to = xstrdup(to);
        return;
    }
    params->renames = xrealloc(params->renames, (params->n_renames + 1) * sizeof(*params->renames));
    params->renames[params->n_renames].from = xstrdup(from);
    params->renames[params->n_renames].to = xstrdup(to);
    params->n_renames++;
}

/* Apply one numeric option; SET_UNKNOWN when opt is not numeric. */
static enum set_outcome set_numeric(struct instance *master, const char *opt, const char *val)
{
    struct sentinel_master_params *params = &master->record->params;
    long long v;
    if (strcasecmp(opt, "down-after-milliseconds") == 0) {
        if (!positive(val, &v)) return SET_BAD_VALUE;
        params->down_after_ms = v;
    } else if (strcasecmp(opt, "failover-timeout") == 0) {
        if (!positive(val, &v)) return SET_BAD_VALUE;
        params->failover_timeout_ms = v;
    } else if (strcasecmp(opt, "parallel-syncs") == 0) {
        if (!positive(val, &v) || v > 0x7fffffff) return SET_BAD_VALUE;
        params->parallel_syncs = (int)v;
    } else if (strcasecmp(opt, "quorum") == 0) {
        if (!positive(val, &v) || v > 1000) return SET_BAD_VALUE;
        params->quorum = (int)v;
    } else if (strcasecmp(opt, "master-reboot-down-after-period") == 0 ||
               strcasecmp(opt, "primary-reboot-down-after-period") == 0) {
        if (util_parse_ll(val, strlen(val), &v) != 0 || v < 0) return SET_BAD_VALUE;
        params->master_reboot_down_after_period_ms = v;
    } else if (strcasecmp(opt, "election-spread") == 0) {
        if (!positive(val, &v) || v > SENTINEL_ELECTION_SPREAD_MAX_MS) return SET_BAD_VALUE;
        params->election_spread_ms = v;
    } else if (strcasecmp(opt, "forget-after") == 0) {
        if (util_parse_ll(val, strlen(val), &v) != 0 || v < 0 || v > SENTINEL_FORGET_AFTER_MAX_MS)
            return SET_BAD_VALUE;
        params->forget_after_ms = v;
    } else if (strcasecmp(opt, "lease-margin") == 0) {
        if (util_parse_ll(val, strlen(val), &v) != 0 || v < 0 || v > SENTINEL_LEASE_MARGIN_MAX_MS)
            return SET_BAD_VALUE;
        params->lease_margin_ms = v;
    } else {
        return SET_UNKNOWN;
    }
    return SET_APPLIED;
}

static enum set_outcome set_one(struct sentinel *s, struct instance *master, const char *opt,
                                const char *val)
{
    struct sentinel_master_params *params = &master->record->params;
    enum set_outcome o = set_numeric(master, opt, val);
    if (o != SET_UNKNOWN) return o;
    if (strcasecmp(opt, "notification-script") == 0 ||
        strcasecmp(opt, "client-reconfig-script") == 0) {
        if (s->opt.deny_scripts_reconfig) return SET_DENIED;
        /* An empty value clears the script; any other must be runnable now, so a typo is
         * reported to the operator instead of as -script-error at the next failover. */
        if (val[0] && s->env.script_is_executable && !s->env.script_is_executable(s->env.ctx, val))
            return SET_NOT_EXECUTABLE;
        replace_str(opt[0] == 'n' || opt[0] == 'N' ? &params->notification_script
                                                   : &params->client_reconfig_script,
                    val);
    } else if (strcasecmp(opt, "auth-pass") == 0) {
        replace_str(&params->auth_pass, val);
        drop_data_links(s, master);
    } else if (strcasecmp(opt, "failover-paused") == 0) {
        /* Ours (maintenance mode, switchover.h); peers propagate it with this command. */
        if (strcasecmp(val, "yes") != 0 && strcasecmp(val, "no") != 0) return SET_BAD_VALUE;
        pause_set_local(s, master, strcasecmp(val, "yes") == 0);
    } else if (strcasecmp(opt, "promotion-order") == 0) {
        int order = sentinel_promotion_order_parse(val);
        if (order < 0) return SET_BAD_VALUE;
        params->promotion_order = (enum sentinel_promotion_order)order;
    } else if (strcasecmp(opt, "promotion-quorum") == 0) {
        if (sentinel_promotion_quorum_parse(val, &params->promotion_quorum) != 0)
            return SET_BAD_VALUE;
    } else if (strcasecmp(opt, "discovery-when-isolated") == 0) {
        int v = sentinel_isolated_discovery_parse(val);
        if (v < 0) return SET_BAD_VALUE;
        params->discovery_when_isolated = (enum sentinel_isolated_discovery)v;
    } else if (strcasecmp(opt, "auth-user") == 0) {
        replace_str(&params->auth_user, val);
        drop_data_links(s, master);
    } else {
        return SET_UNKNOWN;
    }
    return SET_APPLIED;
}

void sentinel_cmd_set(struct sentinel *s, const char *name, int argc, const char *const *argv,
                      struct sentinel_cmd_result *res)
{
    struct instance *master = core_master_by_name(s, name);
    if (master == NULL) {
        snprintf(res->msg, sizeof(res->msg), SENTINEL_ERR_NO_SUCH_MASTER);
        res->kind = SENTINEL_CMD_ERROR;
        return;
    }
    if (argc == 2 && strcasecmp(argv[0], PAUSE_PEER_OPTION) == 0) {
        pause_on_peer_state(s, master, argv[1], res); /* from a peer sentinel (pause.c) */
        core_want_tick(s);
        return;
    }
    res->kind = SENTINEL_CMD_STATUS;
    int changed = 0;
    for (int i = 0; i < argc; i += 2) {
        const char *opt = argv[i];
        enum set_outcome o;
        if (strcasecmp(opt, "rename-command") == 0 && i + 2 < argc) {
            add_rename(&master->record->params, argv[i + 1], argv[i + 2]);
            notify_event(s, LOG_WARNING, "+set", master, "%s %s %s", opt, argv[i + 1], argv[i + 2]);
            changed++;
            i++;
            continue;
        }
        o = i + 1 < argc ? set_one(s, master, opt, argv[i + 1]) : SET_UNKNOWN;
        if (o == SET_APPLIED) {
            bool secret = strcasecmp(opt, "auth-pass") == 0;
            notify_event(s, LOG_WARNING, "+set", master, "%s %s", opt,
                         secret ? "******" : argv[i + 1]);
            changed++;
            continue;
        }
        res->kind = SENTINEL_CMD_ERROR;
        if (o == SET_BAD_VALUE)
            snprintf(res->msg, sizeof(res->msg), "ERR Invalid argument '%s' for SENTINEL SET '%s'",
                     argv[i + 1], opt);
        else if (o == SET_DENIED)
            snprintf(
                res->msg, sizeof(res->msg),
                "ERR Reconfiguration of scripts path is denied for security reasons. Check the "
                "deny-scripts-reconfig configuration directive in your config file.");
        else if (o == SET_NOT_EXECUTABLE)
            snprintf(
                res->msg, sizeof(res->msg), "ERR %s script seems non existing or non executable",
                tolower((unsigned char)opt[0]) == 'n' ? "Notification" : "Client reconfiguration");
        else
            snprintf(res->msg, sizeof(res->msg),
                     "ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt);
        break;
    }
    if (changed > 0 && core_persist_now(s) != 0) {
        res->kind = SENTINEL_CMD_ERROR;
        snprintf(res->msg, sizeof(res->msg), "ERR Failed to save config file. Check server logs.");
    }
    if (res->kind == SENTINEL_CMD_STATUS) snprintf(res->msg, sizeof(res->msg), "OK");
    core_want_tick(s);
}

/* ---- CONFIG GET / SET --------------------------------------------------------------------------
 */

static const char *const config_names[] = {
    "resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port",
    "sentinel-user",     "sentinel-pass",      "loglevel"};

static void config_value(const struct sentinel *s, size_t i, char *b, size_t cap)
{
    static const char *const levels[] = {"debug", "verbose", "notice", "warning", "nothing"};
    switch (i) {
    case 0:
        snprintf(b, cap, "%s", s->opt.resolve_hostnames ? "yes" : "no");
        break;
    case 1:
        snprintf(b, cap, "%s", s->opt.announce_hostnames ? "yes" : "no");
        break;
    case 2:
        snprintf(b, cap, "%s", s->opt.announce_ip ? s->opt.announce_ip : "");
        break;
    case 3:
        snprintf(b, cap, "%d", s->opt.announce_port);
        break;
    case 4:
        snprintf(b, cap, "%s", s->opt.sentinel_user ? s->opt.sentinel_user : "");
        break;
    case 5: /* a password: shown as set or not, never itself (Redis shows it) */
        snprintf(b, cap, "%s", s->opt.sentinel_pass && s->opt.sentinel_pass[0] ? CFG_REDACTED : "");
        break;
    default:
        snprintf(b, cap, "%s", levels[log_get_level()]);
        break;
    }
}

void sentinel_cmd_config_get(struct sentinel *s, int argc, const char *const *patterns,
                             struct sentinel_desc *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < ARRAY_LEN(config_names); i++) {
        bool match = false;
        for (int k = 0; k < argc && !match; k++)
            match = util_glob_match(patterns[k], strlen(patterns[k]), config_names[i],
                                    strlen(config_names[i]), true);
        if (!match) continue;
        char b[INSTANCE_HOST_MAX + 64];
        config_value(s, i, b, sizeof(b));
        out->fields[out->n].name = config_names[i];
        out->fields[out->n++].value = xstrdup(b);
    }
}

static int config_index(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(config_names); i++)
        if (strcasecmp(config_names[i], name) == 0) return (int)i;
    return -1;
}

static bool config_valid(int idx, const char *v)
{
    long long n;
    if (idx <= 1) return strcasecmp(v, "yes") == 0 || strcasecmp(v, "no") == 0;
    if (idx == 3) return util_parse_ll(v, strlen(v), &n) == 0 && n >= 0 && n <= 65535;
    if (idx == 6) return log_level_parse(v) >= 0;
    return true;
}

static void config_apply(struct sentinel *s, int idx, const char *v)
{
    long long n = 0;
    switch (idx) {
    case 0:
        s->opt.resolve_hostnames = strcasecmp(v, "yes") == 0;
        break;
    case 1:
        s->opt.announce_hostnames = strcasecmp(v, "yes") == 0;
        break;
    case 2:
        replace_str(&s->opt.announce_ip, v);
        break;
    case 3:
        util_parse_ll(v, strlen(v), &n);
        s->opt.announce_port = (int)n;
        break;
    case 4:
    case 5:
        replace_str(idx == 4 ? &s->opt.sentinel_user : &s->opt.sentinel_pass, v);
        for (size_t i = 0; i < s->n_masters; i++)
            for (size_t j = 0; j < s->masters[i]->record->n_sentinels; j++)
                core_close_links(s, s->masters[i]->record->sentinels[j]);
        break;
    default:
        log_set_level((enum log_level)log_level_parse(v));
        break;
    }
}

int sentinel_cmd_config_check(int argc, const char *const *argv, struct sentinel_cmd_result *res)
{
    unsigned seen = 0;
    res->kind = SENTINEL_CMD_ERROR;
    for (int i = 0; i < argc; i += 2) {
        int idx = config_index(argv[i]);
        if (idx < 0) {
            snprintf(res->msg, sizeof(res->msg), "ERR Invalid argument '%s' to SENTINEL CONFIG SET",
                     argv[i]);
            return -1;
        }
        if (seen & (1u << idx)) {
            snprintf(res->msg, sizeof(res->msg),
                     "ERR Duplicate argument '%s' to SENTINEL CONFIG SET", argv[i]);
            return -1;
        }
        seen |= 1u << idx;
        if (i + 1 >= argc) {
            snprintf(res->msg, sizeof(res->msg), "ERR Missing argument '%s' value", argv[i]);
            return -1;
        }
        if (!config_valid(idx, argv[i + 1])) {
            snprintf(res->msg, sizeof(res->msg),
                     "ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", argv[i + 1], argv[i]);
            return -1;
        }
    }
    res->kind = SENTINEL_CMD_STATUS;
    return 0;
}

void sentinel_cmd_config_set(struct sentinel *s, int argc, const char *const *argv,
                             struct sentinel_cmd_result *res)
{
    if (sentinel_cmd_config_check(argc, argv, res) != 0) return;
    for (int i = 0; i + 1 < argc; i += 2) config_apply(s, config_index(argv[i]), argv[i + 1]);
    res->kind = SENTINEL_CMD_STATUS;
    if (core_persist_now(s) != 0)
        snprintf(res->msg, sizeof(res->msg), "ERR Failed to save config file. Check server logs."),
            res->kind = SENTINEL_CMD_ERROR;
    else
        snprintf(res->msg, sizeof(res->msg), "OK");
}
