/* vigilctl: the operator's command line for vigil-sentinel's HTTP API.
 *
 *   vigilctl [--sentinel host:port ...] [--token T] [--json] [--timeout 5s] [--config FILE]
 *            COMMAND [ARGS]
 *
 * This file turns argv, the environment and the optional config file into struct ctl_opts,
 * then runs one command. Where the sentinels come from, first match wins:
 *   --sentinel (repeatable, or comma separated)  >  VIGIL_SENTINELS  >  config `sentinels:`
 *   >  127.0.0.1:26479 (the demo's first sentinel).
 * The token: --token > VIGIL_TOKEN > config `token:`. The config file is --config FILE (must
 * exist), else $XDG_CONFIG_HOME/vigil/vigilctl.yaml or ~/.config/vigil/vigilctl.yaml if present,
 * read with common/config (strict: unknown keys are errors with file:line:column).
 * Global options may come before or after the command; after it, a command's own option of the
 * same name wins (`switchover NAME --timeout 10s` is the switchover's timeout).
 * Must not: contact a sentinel before the arguments are known to be valid (usage errors exit 2
 * without network traffic).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/util.h"
#include "sentinel/ctl/ctl.h"
#include "sentinel/ctl/ctl_format.h"
#include "sentinel/history.h" /* HISTORY_MAX_RECORDS */
#include "common/version.h"

static const char usage_text[] =
    "usage: vigilctl [--sentinel host:port ...] [--token T] [--json] [--timeout 5s]\n"
    "                [--config FILE] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  status [NAME]                    masters, replicas and sentinels, and each sentinel's view\n"
    "  master NAME                      print the master as `ip port` (majority-backed answers)\n"
    "  switchover NAME [--to ip:port] [--timeout 5s]\n"
    "                                   lossless manual failover; shows each phase\n"
    "  failover NAME --force            forced failover (may lose writes)\n"
    "  plan NAME                        which replica a failover would promote now, and why\n"
    "  history NAME [--limit N]         past failovers with the time of each phase\n"
    "  pause NAME | resume NAME         stop / restart automatic failover for a group\n"
    "  watch [NAME] [--count N] [--for 30s]\n"
    "                                   live events, one line each\n"
    "  help                             this text\n"
    "\n"
    "options:\n"
    "  -s, --sentinel host:port   a sentinel's HTTP address (repeat, or comma separate);\n"
    "                             default: $VIGIL_SENTINELS, the config file, " CTL_DEFAULT_SENTINEL
    "\n"
    "  --token T                  bearer token for POST commands (default: $VIGIL_TOKEN, config)\n"
    "  --json                     print the sentinel's JSON answers as they are\n"
    "  --timeout 5s               per-request timeout (ms, s, m; a bare number is seconds)\n"
    "  --config FILE              YAML with `sentinels: [...]` and `token:`\n"
    "  --cacert FILE              speak HTTPS, verifying the sentinels with this CA\n"
    "                             (default: $VIGIL_CACERT)\n"
    "  --cert FILE --key FILE     client certificate for HTTPS; may replace the token on POST\n"
    "                             (default: $VIGIL_CERT, $VIGIL_KEY)\n"
    "                             (default ~/.config/vigil/vigilctl.yaml when present)\n"
    "  --version                  print the version\n"
    "\n"
    "exit codes: 0 ok, 1 operation failed or no safe answer, 2 usage error,\n"
    "            3 no sentinel reachable, 4 token refused\n";

/* --- config file ----------------------------------------------------------------------------- */

struct ctl_file_cfg {
    struct cfg_strlist sentinels;
    char *token;
};

static const struct cfg_field file_fields[] = {
    {.key = "sentinels",
     .type = CFG_STRLIST,
     .offset = offsetof(struct ctl_file_cfg, sentinels),
     .max_count = CTL_MAX_SENTINELS,
     .help = "Sentinels' HTTP addresses (host:port), tried in order."},
    {.key = "token",
     .type = CFG_STRING,
     .offset = offsetof(struct ctl_file_cfg, token),
     .flags = CFG_F_SECRET,
     .help = "Bearer token sent with every request (required for POST)."},
};
static const struct cfg_schema file_schema = CFG_SCHEMA_INIT(file_fields);

/* Loads the config file into f; 0, or -1 after printing the errors. *used gets the path. */
static int load_config_file(const char *explicit_path, struct ctl_file_cfg *f, char *used,
                            size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    used[0] = '\0';
    if (explicit_path)
        snprintf(used, cap, "%s", explicit_path);
    else if (xdg && *xdg)
        snprintf(used, cap, "%s/vigil/vigilctl.yaml", xdg);
    else if (home && *home)
        snprintf(used, cap, "%s/.config/vigil/vigilctl.yaml", home);
    cfg_defaults(&file_schema, f);
    if (!used[0] || (!explicit_path && access(used, F_OK) != 0)) {
        used[0] = '\0';
        return 0;
    }
    static struct cfg_errors errs; /* large; vigilctl loads one file once */
    cfg_errors_init(&errs);
    if (cfg_load_file(&file_schema, f, used, &errs) == 0) return 0;
    fputs("vigilctl: bad config file:\n", stderr);
    cfg_errors_print(&errs, stderr);
    return -1;
}

/* --- sentinels ------------------------------------------------------------------------------- */

/* Adds each comma-separated address of list; 0, or -1 after printing a usage error. */
static int add_sentinels(struct ctl_opts *o, const char *list, const char *from)
{
    char *copy = xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        char host[256];
        int port;
        if (ctl_parse_hostport(tok, host, sizeof(host), &port) < 0) {
            ctl_err("%s: \"%s\" is not host:port (e.g. 127.0.0.1:26479)", from, tok);
            rc = -1;
            break;
        }
        if (o->n_sentinels == CTL_MAX_SENTINELS) {
            ctl_err("%s: more than %d sentinels", from, CTL_MAX_SENTINELS);
            rc = -1;
            break;
        }
        o->sentinels[o->n_sentinels++] = xstrdup(tok);
    }
    free(copy);
    if (rc == 0 && o->n_sentinels > 0) o->sentinels_from = from;
    return rc;
}

static void opts_free(struct ctl_opts *o)
{
    for (size_t i = 0; i < o->n_sentinels; i++) free(o->sentinels[i]);
    if (o->token) explicit_bzero(o->token, strlen(o->token));
    free(o->token);
}

/* --- arguments ------------------------------------------------------------------------------- */

struct argv_iter {
    int argc, i;
    char **argv;
};

/* If argv[i] is option `name` ("--name value" or "--name=value"), sets *val (NULL for flags)
 * and advances past it. Returns 1 matched, 0 not this option, -1 missing value. */
static int take_opt(struct argv_iter *it, const char *name, const char *alias, bool has_value,
                    const char **val)
{
    const char *a = it->argv[it->i];
    size_t n = strlen(name);
    bool eq = strncmp(a, name, n) == 0 && a[n] == '=';
    if (!(strcmp(a, name) == 0 || (alias && strcmp(a, alias) == 0) || (has_value && eq))) return 0;
    it->i++;
    *val = NULL;
    if (!has_value) return 1;
    if (eq) {
        *val = a + n + 1;
        return 1;
    }
    if (it->i >= it->argc) {
        ctl_err("%s needs a value; see `vigilctl help`", name);
        return -1;
    }
    *val = it->argv[it->i++];
    return 1;
}

static int parse_duration_opt(const char *name, const char *v, int64_t *out)
{
    if (ctl_parse_duration_ms(v, out) == 0 && *out > 0) return 0;
    ctl_err("%s: \"%s\" is not a duration (e.g. 500ms, 5s, 2m)", name, v);
    return -1;
}

/* Command options (only after the command). 1 matched, 0 not one, -1 bad. */
static int take_command_opt(struct argv_iter *it, struct ctl_opts *o)
{
    const char *cmd = o->command, *v;
    int m;
    if (!strcmp(cmd, "switchover")) {
        if ((m = take_opt(it, "--to", NULL, true, &o->to)) != 0) return m;
        if ((m = take_opt(it, "--timeout", NULL, true, &v)) != 0)
            return m < 0 ? m : (parse_duration_opt("--timeout", v, &o->op_timeout_ms) < 0 ? -1 : 1);
    }
    if (!strcmp(cmd, "failover") && (m = take_opt(it, "--force", NULL, false, &v)) != 0) {
        o->force = true;
        return m;
    }
    if (!strcmp(cmd, "failover") && (m = take_opt(it, "--to", NULL, true, &v)) != 0) {
        ctl_err("failover --force promotes the replica a failover would pick (`vigilctl plan` "
                "shows which); to choose it, use `vigilctl switchover NAME --to ip:port` "
                "(lossless, needs the master up) or lower the other replicas' replica-priority");
        return -1;
    }
    bool is_history = !strcmp(cmd, "history"), is_watch = !strcmp(cmd, "watch");
    if ((is_history && (m = take_opt(it, "--limit", NULL, true, &v)) != 0) ||
        (is_watch && (m = take_opt(it, "--count", NULL, true, &v)) != 0)) {
        if (m < 0) return m;
        /* --limit: the sentinel keeps (and serves) at most HISTORY_MAX_RECORDS records. */
        long long max = is_history ? HISTORY_MAX_RECORDS : 1000000;
        if (util_parse_ll(v, strlen(v), &o->limit) < 0 || o->limit < 1 || o->limit > max) {
            ctl_err("%s: \"%s\" is not a count from 1 to %lld", it->argv[it->i - 2], v, max);
            return -1;
        }
        return 1;
    }
    if (is_watch && (m = take_opt(it, "--for", NULL, true, &v)) != 0)
        return m < 0 ? m : (parse_duration_opt("--for", v, &o->for_ms) < 0 ? -1 : 1);
    return 0;
}

enum { PARSE_RUN, PARSE_EXIT_OK, PARSE_USAGE };

/* Global options. 1 matched, 0 not one, -1 bad; PARSE_EXIT_OK via *done for --help/--version. */
static int take_global_opt(struct argv_iter *it, struct ctl_opts *o, const char **config, int *done)
{
    const char *v;
    int m;
    if ((m = take_opt(it, "--sentinel", "-s", true, &v)) != 0)
        return m < 0 ? m : (add_sentinels(o, v, "--sentinel") < 0 ? -1 : 1);
    if ((m = take_opt(it, "--token", NULL, true, &v)) != 0) {
        if (m > 0) {
            free(o->token);
            o->token = xstrdup(v);
            o->token_from = "--token";
            memset((char *)v, 'x', strlen(v)); /* out of `ps` from now on (argv is writable) */
        }
        return m;
    }
    if ((m = take_opt(it, "--json", NULL, false, &v)) != 0) return o->json = true, m;
    if ((m = take_opt(it, "--cacert", NULL, true, &v)) != 0) return m > 0 ? (o->cacert = v, 1) : m;
    if ((m = take_opt(it, "--cert", NULL, true, &v)) != 0) return m > 0 ? (o->cert = v, 1) : m;
    if ((m = take_opt(it, "--key", NULL, true, &v)) != 0) return m > 0 ? (o->key = v, 1) : m;
    if ((m = take_opt(it, "--config", NULL, true, config)) != 0) return m;
    if ((m = take_opt(it, "--timeout", NULL, true, &v)) != 0)
        return m < 0 ? m : (parse_duration_opt("--timeout", v, &o->timeout_ms) < 0 ? -1 : 1);
    if ((m = take_opt(it, "--help", "-h", false, &v)) != 0) {
        fputs(usage_text, stdout);
        return *done = PARSE_EXIT_OK, 1;
    }
    if ((m = take_opt(it, "--version", "-V", false, &v)) != 0) {
        printf("vigilctl %s\n", VIGIL_VERSION);
        return *done = PARSE_EXIT_OK, 1;
    }
    return 0;
}

static int parse_argv(int argc, char **argv, struct ctl_opts *o, const char **config)
{
    struct argv_iter it = {argc, 1, argv};
    int done = PARSE_RUN;
    while (it.i < argc && done == PARSE_RUN) {
        const char *a = argv[it.i];
        int m = o->command ? take_command_opt(&it, o) : 0;
        if (m == 0) m = take_global_opt(&it, o, config, &done);
        if (m < 0) return PARSE_USAGE;
        if (m > 0) continue;
        if (a[0] == '-' && a[1] != '\0') {
            ctl_err("unknown option %s%s%s; see `vigilctl help`", a, o->command ? " for " : "",
                    o->command ? o->command : "");
            return PARSE_USAGE;
        }
        if (!o->command)
            o->command = a;
        else if (o->n_args < CTL_MAX_ARGS)
            o->args[o->n_args++] = a;
        else
            return ctl_err("too many arguments; see `vigilctl help`"), PARSE_USAGE;
        it.i++;
    }
    return done;
}

/* --- commands -------------------------------------------------------------------------------- */

enum cmd_id {
    CMD_STATUS,
    CMD_MASTER,
    CMD_SWITCHOVER,
    CMD_FAILOVER,
    CMD_PLAN,
    CMD_HISTORY,
    CMD_PAUSE,
    CMD_RESUME,
    CMD_WATCH,
    CMD_HELP
};

static const struct {
    const char *name;
    enum cmd_id id;
    size_t min_args, max_args;
    const char *synopsis;
} commands[] = {
    {"status", CMD_STATUS, 0, 1, "status [NAME]"},
    {"master", CMD_MASTER, 1, 1, "master NAME"},
    {"switchover", CMD_SWITCHOVER, 1, 1, "switchover NAME [--to ip:port] [--timeout 5s]"},
    {"failover", CMD_FAILOVER, 1, 1, "failover NAME --force"},
    {"plan", CMD_PLAN, 1, 1, "plan NAME"},
    {"history", CMD_HISTORY, 1, 1, "history NAME [--limit N]"},
    {"pause", CMD_PAUSE, 1, 1, "pause NAME"},
    {"resume", CMD_RESUME, 1, 1, "resume NAME"},
    {"watch", CMD_WATCH, 0, 1, "watch [NAME] [--count N] [--for 30s]"},
    {"help", CMD_HELP, 0, 1, "help"},
};

/* The command's table index after checking its arguments, or -1 after a usage error. */
static int check_command(const struct ctl_opts *o)
{
    for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
        if (strcmp(o->command, commands[i].name) != 0) continue;
        if (o->n_args < commands[i].min_args || o->n_args > commands[i].max_args) {
            ctl_err("usage: vigilctl %s", commands[i].synopsis);
            return -1;
        }
        if (o->to) {
            char host[256];
            int port;
            if (ctl_parse_hostport(o->to, host, sizeof(host), &port) < 0) {
                ctl_err("--to: \"%s\" is not ip:port (a replica's address, as `vigilctl status` "
                        "shows it)",
                        o->to);
                return -1;
            }
        }
        return (int)i;
    }
    ctl_err("unknown command \"%s\"; see `vigilctl help`", o->command);
    return -1;
}

/* Sentinels and token from the environment and the config file where flags gave none. */
static int resolve_sources(struct ctl_opts *o, const char *config_path)
{
    struct ctl_file_cfg f = {0};
    char used[1024];
    if (load_config_file(config_path, &f, used, sizeof(used)) < 0) {
        cfg_free(&file_schema, &f);
        return -1;
    }
    static char from_file[1100];
    snprintf(from_file, sizeof(from_file), "%s (sentinels)", used);
    const char *env = getenv("VIGIL_SENTINELS");
    int rc = 0;
    if (o->n_sentinels == 0 && env && *env) rc = add_sentinels(o, env, "VIGIL_SENTINELS");
    /* Every entry of the file's list, in order: the later ones are the fallbacks. */
    bool use_file = o->n_sentinels == 0;
    for (size_t i = 0; rc == 0 && use_file && i < f.sentinels.count; i++)
        rc = add_sentinels(o, f.sentinels.items[i], from_file);
    if (rc == 0 && o->n_sentinels == 0) rc = add_sentinels(o, CTL_DEFAULT_SENTINEL, "default");
    if (!o->cacert && getenv("VIGIL_CACERT") && *getenv("VIGIL_CACERT"))
        o->cacert = getenv("VIGIL_CACERT");
    if (!o->cert && getenv("VIGIL_CERT") && *getenv("VIGIL_CERT")) o->cert = getenv("VIGIL_CERT");
    if (!o->key && getenv("VIGIL_KEY") && *getenv("VIGIL_KEY")) o->key = getenv("VIGIL_KEY");
    const char *tok = getenv("VIGIL_TOKEN");
    if (!o->token && tok && *tok) {
        o->token = xstrdup(tok);
        o->token_from = "VIGIL_TOKEN";
    } else if (!o->token && f.token && *f.token) {
        o->token = xstrdup(f.token);
        o->token_from = "the config file";
    }
    cfg_free(&file_schema, &f);
    return rc;
}

static bool want_color(void)
{
    const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
    return isatty(STDOUT_FILENO) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
}

static int run(struct ctl_http *h, enum cmd_id id)
{
    switch (id) {
    case CMD_STATUS:
        return ctl_cmd_status(h);
    case CMD_MASTER:
        return ctl_cmd_master(h);
    case CMD_SWITCHOVER:
        return ctl_cmd_switchover(h);
    case CMD_FAILOVER:
        return ctl_cmd_failover(h);
    case CMD_PLAN:
        return ctl_cmd_plan(h);
    case CMD_HISTORY:
        return ctl_cmd_history(h);
    case CMD_PAUSE:
        return ctl_cmd_pause(h, true);
    case CMD_RESUME:
        return ctl_cmd_pause(h, false);
    case CMD_WATCH:
        return ctl_cmd_watch(h);
    case CMD_HELP:
        break;
    }
    fputs(usage_text, stdout);
    return CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
    static struct ctl_opts o; /* owns strings; freed before exit */
    const char *config_path = NULL;
    o.timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
    o.token_from = "--token";
    int parsed = parse_argv(argc, argv, &o, &config_path), idx = -1;
    if (parsed == PARSE_RUN && !o.command) {
        fputs(usage_text, stderr);
        parsed = PARSE_USAGE;
    }
    if (parsed == PARSE_RUN && (idx = check_command(&o)) < 0) parsed = PARSE_USAGE;
    if (parsed == PARSE_RUN && commands[idx].id != CMD_HELP && resolve_sources(&o, config_path) < 0)
        parsed = PARSE_USAGE;
    if (parsed != PARSE_RUN) {
        opts_free(&o);
        return parsed == PARSE_EXIT_OK ? CTL_EXIT_OK : CTL_EXIT_USAGE;
    }
    o.color = want_color();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) util_panic("libcurl failed to start");
    struct ctl_http *h = ctl_http_create(&o);
    int rc = run(h, commands[idx].id);
    ctl_http_destroy(h);
    curl_global_cleanup();
    opts_free(&o);
    return rc;
}
