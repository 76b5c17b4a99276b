/* cmd_absent: the commands Redis 7.0 has for features vigil-store leaves out on purpose, answered
 * as a Redis 7.0 with cluster mode off and no module loaded answers them, so clients and tools
 * that probe for them get the reply they already handle (README.md, "Not there").
 *
 * - READONLY, READWRITE, ASKING and every CLUSTER subcommand: "cluster support disabled".
 * - MODULE LIST: empty. MODULE LOAD/LOADEX: Redis's error for a module that could not be
 *   loaded (we never load code), with the reason in our log. MODULE UNLOAD: no such module.
 * - LOLWUT: no art; one line naming this server and its version. VERSION is parsed as Redis
 *   parses it, so a bad argument gets the same error.
 *
 * Arity is checked by the dispatcher first, as in Redis ("wrong number of arguments for
 * 'cluster|info' command" comes before "cluster support disabled"). */
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "store/client.h"
#include "store/command.h"
#include "store/reply.h"

#define ERR_NO_CLUSTER "ERR This instance has cluster support disabled"

static void cmd_no_cluster(struct client *c) { reply_error(c, ERR_NO_CLUSTER); }

/* Every CLUSTER subcommand of Redis 7.0 with its arity: a wrong count is an arity error first. */
static const struct command cluster_subs[] = {
    {.name = "addslots", .arity = -3, .fn = cmd_no_cluster},
    {.name = "addslotsrange", .arity = -4, .fn = cmd_no_cluster},
    {.name = "bumpepoch", .arity = 2, .fn = cmd_no_cluster},
    {.name = "count-failure-reports", .arity = 3, .fn = cmd_no_cluster},
    {.name = "countkeysinslot", .arity = 3, .fn = cmd_no_cluster},
    {.name = "delslots", .arity = -3, .fn = cmd_no_cluster},
    {.name = "delslotsrange", .arity = -4, .fn = cmd_no_cluster},
    {.name = "failover", .arity = -2, .fn = cmd_no_cluster},
    {.name = "flushslots", .arity = 2, .fn = cmd_no_cluster},
    {.name = "forget", .arity = 3, .fn = cmd_no_cluster},
    {.name = "getkeysinslot", .arity = 4, .fn = cmd_no_cluster},
    {.name = "help", .arity = 2, .fn = cmd_no_cluster},
    {.name = "info", .arity = 2, .fn = cmd_no_cluster},
    {.name = "keyslot", .arity = 3, .fn = cmd_no_cluster},
    {.name = "links", .arity = 2, .fn = cmd_no_cluster},
    {.name = "meet", .arity = -4, .fn = cmd_no_cluster},
    {.name = "myid", .arity = 2, .fn = cmd_no_cluster},
    {.name = "nodes", .arity = 2, .fn = cmd_no_cluster},
    {.name = "replicas", .arity = 3, .fn = cmd_no_cluster},
    {.name = "replicate", .arity = 3, .fn = cmd_no_cluster},
    {.name = "reset", .arity = -2, .fn = cmd_no_cluster},
    {.name = "saveconfig", .arity = 2, .fn = cmd_no_cluster},
    {.name = "set-config-epoch", .arity = 3, .fn = cmd_no_cluster},
    {.name = "setslot", .arity = -4, .fn = cmd_no_cluster},
    {.name = "shards", .arity = 2, .fn = cmd_no_cluster},
    {.name = "slaves", .arity = 3, .fn = cmd_no_cluster},
    {.name = "slots", .arity = 2, .fn = cmd_no_cluster},
    {.name = NULL},
};

static void cmd_cluster(struct client *c) { command_dispatch_sub(c, cluster_subs, "cluster"); }

/* ---- MODULE ---- */

static void module_list(struct client *c) { reply_empty_array(c); }

static void module_load(struct client *c)
{
    log_warning("Module %.*s failed to load: vigil-store does not load modules",
                (int)MIN(c->argv[2].len, 256), c->argv[2].ptr);
    reply_error(c, "ERR Error loading the extension. Please check the server logs.");
}

static void module_unload(struct client *c)
{
    reply_error(c, "ERR Error unloading module: no such module with that name");
}

static void module_help(struct client *c)
{
    static const char *const lines[] = {
        "MODULE <subcommand> [<argument> ...], with <subcommand> one of:",
        "LIST",
        "    Always empty: vigil-store does not load modules.",
        "LOAD <path> [<arg> ...]",
        "    Always refused: vigil-store never loads code; the log names the path.",
        "LOADEX <path> [CONFIG <name> <value> ...] [ARGS <arg> ...]",
        "    Refused like LOAD.",
        "UNLOAD <name>",
        "    Always fails: no module is ever loaded.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command module_subs[] = {
    {.name = "list", .arity = 2, .fn = module_list},
    {.name = "load", .arity = -3, .fn = module_load},
    {.name = "loadex", .arity = -3, .fn = module_load},
    {.name = "unload", .arity = 3, .fn = module_unload},
    {.name = "help", .arity = 2, .fn = module_help},
    {.name = NULL},
};

static void cmd_module(struct client *c) { command_dispatch_sub(c, module_subs, "module"); }

/* ---- LOLWUT ---- */

static void cmd_lolwut(struct client *c)
{
    /* As Redis: "VERSION n" as the last two words of a 3+ word call; other words are ignored. */
    if (c->argc >= 3 && arg_is(&c->argv[1], "VERSION")) {
        long long version;
        if (arg_ll(c, &c->argv[2], &version) != 0) return;
    }
    static const char line[] = "Vigil ver. " VIGIL_VERSION "\n";
    reply_verbatim(c, line, sizeof line - 1);
}

#define CLUSTER_CONN_FLAGS (CMD_LOADING | CMD_STALE | CMD_FAST)

struct command cmd_table_absent[] = {
    {.name = "readonly",
     .arity = 1,
     .flags = CLUSTER_CONN_FLAGS,
     .fn = cmd_no_cluster,
     .group = "cluster"},
    {.name = "readwrite",
     .arity = 1,
     .flags = CLUSTER_CONN_FLAGS,
     .fn = cmd_no_cluster,
     .group = "cluster"},
    {.name = "asking", .arity = 1, .flags = CMD_FAST, .fn = cmd_no_cluster, .group = "cluster"},
    {.name = "cluster",
     .arity = -2,
     .flags = 0,
     .fn = cmd_cluster,
     .subcommands = cluster_subs,
     .group = "cluster"},
    {.name = "module",
     .arity = -2,
     .flags = CMD_ADMIN | CMD_NOSCRIPT,
     .fn = cmd_module,
     .subcommands = module_subs,
     .group = "server"},
    {.name = "lolwut",
     .arity = -1,
     .flags = CMD_READONLY | CMD_FAST,
     .fn = cmd_lolwut,
     .group = "server"},
    {.name = NULL},
};
