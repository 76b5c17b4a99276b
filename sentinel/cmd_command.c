/* cmd_command: the sentinel's description of its commands for COMMAND (the replies are
 * common/conn_command.c), and the ACL catalog built from it.
 *
 * Why a table of its own: the dispatch tables say what runs; this one says how each command
 * describes itself (flags, ACL categories, tips, documentation), as Redis Sentinel 7.0 describes
 * them, so that clients and tools that read the command table (redis-cli hints, client libraries
 * probing for subcommands) see what they see with Redis. Invariants, checked by
 * cmd_command_check() in the unit tests: every command and subcommand that dispatches has a
 * row here, and every row names one that dispatches. Arity comes from the dispatch tables, so
 * it can never disagree with what the server accepts. QUIT answers but is not listed, as Redis
 * Sentinel lists no QUIT. Subcommands are listed as entries of their own ("client|info").
 *
 * The summaries and complexities are our own words; since and group are the version and family
 * of the command in Redis, which clients show. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/acl.h"
#include "common/conn_command.h"
#include "common/util.h"
#include "sentinel/cmd_server_int.h"

/* Flag words (printed in Redis's order by conn_command.c). */
enum {
    F_ADMIN = CONN_CMDF_ADMIN,
    F_PUBSUB = CONN_CMDF_PUBSUB,
    F_NOSCRIPT = CONN_CMDF_NOSCRIPT,
    F_LOADING = CONN_CMDF_LOADING,
    F_STALE = CONN_CMDF_STALE,
    F_FAST = CONN_CMDF_FAST,
    F_NO_AUTH = CONN_CMDF_NO_AUTH,
    F_NO_MULTI = CONN_CMDF_NO_MULTI,
    F_ALLOW_BUSY = CONN_CMDF_ALLOW_BUSY,
};

/* ACL categories, in Redis's order. */
enum {
    A_PUBSUB = 1u << 0,
    A_ADMIN = 1u << 1,
    A_FAST = 1u << 2,
    A_SLOW = 1u << 3,
    A_DANGEROUS = 1u << 4,
    A_CONNECTION = 1u << 5,
};
static const char *const acl_words[] = {"pubsub", "admin",     "fast",
                                        "slow",   "dangerous", "connection"};

enum {
    T_NONDET = CONN_TIP_NONDET,
    T_NONDET_ORDER = CONN_TIP_NONDET_ORDER,
    T_ALL_SHARDS = CONN_TIP_ALL_SHARDS,
    T_RESP_SPECIAL = CONN_TIP_RESP_SPECIAL,
    T_RESP_ALL_OK = CONN_TIP_RESP_ALL_OK,
};

struct cmd_meta {
    const char *name; /* "ping", or "client|info" for a subcommand */
    unsigned flags, acl, tips;
    const char *since, *group, *complexity, *summary;
};

#define ADM (F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE)
#define CONN (F_NOSCRIPT | F_LOADING | F_STALE)
#define A_ADM (A_ADMIN | A_SLOW | A_DANGEROUS)
#define S_ADM F_ADMIN, A_ADM, 0, "2.8.4", "sentinel"

static const struct cmd_meta metas[] = {
    {"ping", F_FAST, A_FAST | A_CONNECTION, T_ALL_SHARDS | T_RESP_ALL_OK, "1.0.0", "connection",
     "O(1)", "Check the connection: PONG, or the argument echoed"},
    {"info", F_LOADING | F_STALE, A_SLOW | A_DANGEROUS, T_NONDET | T_ALL_SHARDS | T_RESP_SPECIAL,
     "1.0.0", "server", "O(1)", "Text report of this sentinel's state and statistics"},
    {"role", CONN | F_FAST, A_ADMIN | A_FAST | A_DANGEROUS, 0, "2.8.12", "server", "O(1)",
     "Say that this is a sentinel and which masters it watches"},
    {"auth", CONN | F_FAST | F_NO_AUTH | F_ALLOW_BUSY, A_FAST | A_CONNECTION, 0, "1.0.0",
     "connection", "O(N), N the passwords of the user", "Log this connection in"},
    {"hello", CONN | F_FAST | F_NO_AUTH | F_ALLOW_BUSY, A_FAST | A_CONNECTION, 0, "6.0.0",
     "connection", "O(1)", "Choose the protocol version, optionally log in and name the client"},
    {"client", 0, A_SLOW, 0, "2.4.0", "connection", "Per subcommand",
     "Inspect and manage client connections"},
    {"client|id", CONN, A_SLOW | A_CONNECTION, 0, "5.0.0", "connection", "O(1)",
     "This connection's id"},
    {"client|getname", CONN, A_SLOW | A_CONNECTION, 0, "2.6.9", "connection", "O(1)",
     "This connection's name"},
    {"client|setname", CONN, A_SLOW | A_CONNECTION, 0, "2.6.9", "connection", "O(1)",
     "Name this connection"},
    {"client|setinfo", CONN, A_SLOW | A_CONNECTION, 0, "7.2.0", "connection", "O(1)",
     "Record the client library's name or version (Redis 7.2; ours)"},
    {"client|list", ADM, A_ADM | A_CONNECTION, T_NONDET, "2.4.0", "connection",
     "O(N), N the connections", "One line per connection"},
    {"client|info", CONN, A_SLOW | A_CONNECTION, T_NONDET, "6.2.0", "connection", "O(1)",
     "The CLIENT LIST line of this connection"},
    {"client|kill", ADM, A_ADM | A_CONNECTION, 0, "2.4.0", "connection", "O(N), N the connections",
     "Close connections by address or filter"},
    {"client|no-evict", ADM, A_ADM | A_CONNECTION, 0, "7.0.0", "connection", "O(1)",
     "Accepted for compatibility: a sentinel evicts no client"},
    {"client|no-touch", CONN, A_FAST | A_CONNECTION, 0, "7.2.0", "connection", "O(1)",
     "Accepted for compatibility (Redis 7.2; ours): a sentinel has no keys"},
    {"client|getredir", CONN, A_SLOW | A_CONNECTION, 0, "6.0.0", "connection", "O(1)",
     "Tracking redirection: always -1, a sentinel tracks no keys"},
    {"client|trackinginfo", CONN, A_SLOW | A_CONNECTION, 0, "6.2.0", "connection", "O(1)",
     "Tracking state: always off, a sentinel tracks no keys"},
    {"client|unblock", ADM, A_ADM | A_CONNECTION, 0, "5.0.0", "connection", "O(1)",
     "Unblock a client: 0, nothing blocks on a sentinel"},
    {"client|caching", CONN, A_SLOW | A_CONNECTION, 0, "6.0.0", "connection", "O(1)",
     "Refused: needs tracking, which a sentinel does not do"},
    {"client|help", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, 0, "5.0.0", "connection", "O(1)",
     "What CLIENT can do"},
    {"subscribe", F_PUBSUB | CONN, A_PUBSUB | A_SLOW, 0, "2.0.0", "pubsub",
     "O(N), N the channels given", "Listen to channels (events are published on them)"},
    {"psubscribe", F_PUBSUB | CONN, A_PUBSUB | A_SLOW, 0, "2.0.0", "pubsub",
     "O(N), N the patterns given", "Listen to channels matching patterns"},
    {"unsubscribe", F_PUBSUB | CONN, A_PUBSUB | A_SLOW, 0, "2.0.0", "pubsub",
     "O(N), N the subscribers of the channels", "Stop listening to channels"},
    {"punsubscribe", F_PUBSUB | CONN, A_PUBSUB | A_SLOW, 0, "2.0.0", "pubsub",
     "O(N+M), N the patterns and M all patterns subscribed", "Stop listening to patterns"},
    {"publish", F_PUBSUB | F_LOADING | F_STALE | F_FAST, A_PUBSUB | A_FAST, 0, "2.0.0", "pubsub",
     "O(N+M), N the subscribers and M the patterns", "Hand a hello message to this sentinel"},
    {"sentinel", F_ADMIN, A_ADM, 0, "2.8.4", "sentinel", "Per subcommand",
     "Query and configure the masters this sentinel watches"},
    {"sentinel|masters", S_ADM, "O(N), N the masters", "Describe every watched master"},
    {"sentinel|master", S_ADM, "O(1)", "Describe one watched master"},
    {"sentinel|replicas", F_ADMIN, A_ADM, 0, "5.0.0", "sentinel", "O(N), N the replicas",
     "Describe a master's replicas"},
    {"sentinel|slaves", F_ADMIN, A_ADM, 0, "2.8.0", "sentinel", "O(N), N the replicas",
     "Old name of SENTINEL REPLICAS"},
    {"sentinel|sentinels", S_ADM, "O(N), N the sentinels", "Describe the other sentinels"},
    {"sentinel|get-master-addr-by-name", S_ADM, "O(1)",
     "Address of the current master, as clients should use it"},
    {"sentinel|is-master-down-by-addr", S_ADM, "O(1)",
     "Between sentinels: is this master down here, and a vote request"},
    {"sentinel|reset", S_ADM, "O(N), N the masters", "Forget what was learned about masters"},
    {"sentinel|failover", S_ADM, NULL, "Fail a master over now, without agreement"},
    {"sentinel|ckquorum", S_ADM, NULL, "Can the reachable sentinels agree and elect a leader"},
    {"sentinel|flushconfig", S_ADM, "O(1)", "Write the state file now"},
    {"sentinel|monitor", S_ADM, "O(1)", "Start watching a master"},
    {"sentinel|remove", S_ADM, "O(1)", "Stop watching a master"},
    {"sentinel|set", S_ADM, "O(1)", "Change a watched master's settings"},
    {"sentinel|config", F_ADMIN, A_ADM, 0, "6.2.0", "sentinel", "O(1)",
     "Read or change this sentinel's global settings"},
    {"sentinel|debug", F_ADMIN, A_ADM, 0, "7.0.0", "sentinel", "O(N), N the timing parameters",
     "Read or change internal timings (for tests)"},
    {"sentinel|simulate-failure", F_ADMIN, A_ADM, 0, "3.2.0", "sentinel", NULL,
     "Crash at a chosen point of a failover (for tests)"},
    {"sentinel|info-cache", F_ADMIN, A_ADM, 0, "3.2.0", "sentinel", "O(N), N the instances",
     "The last INFO read from masters and replicas"},
    {"sentinel|myid", F_ADMIN, A_ADM, 0, "6.2.0", "sentinel", "O(1)", "This sentinel's run id"},
    {"sentinel|pending-scripts", F_ADMIN, A_ADM, 0, "2.8.4", "sentinel", NULL,
     "Scripts queued or running"},
    {"sentinel|help", F_LOADING | F_STALE, A_SLOW, 0, "6.2.0", "sentinel", "O(1)",
     "What SENTINEL can do"},
    {"sentinel|primaries", S_ADM, "O(N), N the masters",
     "Valkey's name of SENTINEL MASTERS (ours)"},
    {"sentinel|primary", S_ADM, "O(1)", "Valkey's name of SENTINEL MASTER (ours)"},
    {"sentinel|get-primary-addr-by-name", S_ADM, "O(1)",
     "Valkey's name of SENTINEL GET-MASTER-ADDR-BY-NAME (ours)"},
    {"sentinel|is-primary-down-by-addr", S_ADM, "O(1)",
     "Valkey's name of SENTINEL IS-MASTER-DOWN-BY-ADDR (ours)"},
    {"sentinel|vote-release", S_ADM, "O(1)",
     "Between sentinels: a candidate's attempt ended without promoting (ours)"},
    {"shutdown", CONN | F_ADMIN | F_NO_MULTI | F_ALLOW_BUSY, A_ADM, 0, "1.0.0", "server", "O(1)",
     "Write the state file and exit"},
    {"command", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, T_NONDET_ORDER, "2.8.13", "server",
     "O(N), N the commands", "Describe the commands this server answers"},
    {"command|count", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, 0, "2.8.13", "server", "O(1)",
     "How many commands there are"},
    {"command|list", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, T_NONDET_ORDER, "7.0.0", "server",
     "O(N), N the commands", "Names of the commands, optionally filtered"},
    {"command|info", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, T_NONDET_ORDER, "2.8.13", "server",
     "O(N), N the commands asked for", "Details of commands"},
    {"command|docs", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, T_NONDET_ORDER, "7.0.0", "server",
     "O(N), N the commands asked for", "Short documentation of commands"},
    {"command|getkeys", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, 0, "2.8.13", "server",
     "O(N), N the arguments", "The keys a command would touch: none on a sentinel"},
    {"command|getkeysandflags", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, 0, "7.0.0", "server",
     "O(N), N the arguments", "Keys and their access flags: none on a sentinel"},
    {"command|help", F_LOADING | F_STALE, A_SLOW | A_CONNECTION, 0, "5.0.0", "server", "O(1)",
     "What COMMAND can do"},
    {"acl", 0, A_SLOW, 0, "6.0.0", "server", "Per subcommand", "Users and permissions"},
    {"acl|whoami", CONN, A_SLOW, 0, "6.0.0", "server", "O(1)", "The user of this connection"},
    {"acl|users", ADM, A_ADM, 0, "6.0.0", "server", "O(N), N the users", "Names of the users"},
    {"acl|setuser", ADM, A_ADM, 0, "6.0.0", "server", "O(N), N the rules",
     "Create a user or change its rules"},
    {"acl|getuser", ADM, A_ADM, 0, "6.0.0", "server", "O(N), N the user's rules",
     "A user's flags, passwords, commands, keys, channels and selectors"},
    {"acl|deluser", ADM, A_ADM, 0, "6.0.0", "server", "O(1) per user", "Remove users"},
    {"acl|list", ADM, A_ADM, 0, "6.0.0", "server", "O(N), N the users", "Every user as rules"},
    {"acl|cat", CONN, A_SLOW, 0, "6.0.0", "server", "O(1)", "Command categories and members"},
    {"acl|genpass", CONN, A_SLOW, 0, "6.0.0", "server", "O(1)", "A random password in hex"},
    {"acl|log", ADM, A_ADM, 0, "6.0.0", "server", "O(N), N the entries shown",
     "Recent refusals of commands, channels and logins"},
    {"acl|dryrun", ADM, A_ADM, 0, "7.0.0", "server", "O(1)", "Whether a user could run a command"},
    {"acl|save", ADM, A_ADM, 0, "6.0.0", "server", "O(N), N the users", "Write the users file"},
    {"acl|load", ADM, A_ADM, 0, "6.0.0", "server", "O(N), N the users", "Read the users file"},
    {"acl|help", F_LOADING | F_STALE, A_SLOW, 0, "6.0.0", "server", "O(1)", "What ACL can do"},
};

static const struct cmd_meta *meta_find(const char *full)
{
    for (size_t i = 0; i < ARRAY_LEN(metas); i++)
        if (strcasecmp(metas[i].name, full) == 0) return &metas[i];
    return NULL;
}

/* QUIT answers (a connection-level courtesy) but Redis Sentinel's table has no QUIT. */
static bool is_listed(const struct cmd_def *d) { return strcmp(d->name, "quit") != 0; }

static size_t listed_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < cmd_table_count(); i++) n += is_listed(cmd_table_at(i));
    return n;
}

static size_t subs_of(const struct cmd_def *d, const struct cmd_def **subs)
{
    *subs = NULL;
    if (!(d->flags & CMD_CONTAINER)) return 0;
    if (strcmp(d->name, "client") == 0) return cmd_client_subcommands(subs);
    if (strcmp(d->name, "sentinel") == 0) return cmd_sentinel_subcommands(subs);
    if (strcmp(d->name, "acl") == 0) return cmd_acl_subcommands(subs);
    if (strcmp(d->name, "command") == 0) return cmd_command_subcommands(subs);
    return 0;
}

/* "client|info" -> its dispatch entry (and parent); "ping" -> top level. NULL if none. */
static const struct cmd_def *def_find(const char *full, const struct cmd_def **parent)
{
    char top[64];
    const char *bar = strchr(full, '|');
    size_t n = bar ? (size_t)(bar - full) : strlen(full);
    if (n >= sizeof(top)) return NULL;
    memcpy(top, full, n);
    top[n] = '\0';
    const struct cmd_def *d = cmd_table_lookup(top);
    *parent = NULL;
    if (d == NULL || !is_listed(d)) return NULL;
    if (bar == NULL) return d;
    const struct cmd_def *subs;
    size_t ns = subs_of(d, &subs);
    for (size_t i = 0; i < ns; i++) {
        if (strcasecmp(subs[i].name, bar + 1) != 0) continue;
        *parent = d;
        return &subs[i];
    }
    return NULL;
}

static uint32_t acl_bits_of(const char *full)
{
    const struct cmd_meta *m = meta_find(full);
    uint32_t bits = 0;
    for (size_t i = 0; m && i < ARRAY_LEN(acl_words); i++)
        if ((m->acl >> i) & 1u) bits |= 1u << acl_category_find(acl_words[i]);
    return bits;
}

/* ---- the description conn_command.c reads ------------------------------------------------- */

static const struct cmd_def *listed_at(size_t i)
{
    for (size_t j = 0; j < cmd_table_count(); j++) {
        const struct cmd_def *d = cmd_table_at(j);
        if (is_listed(d) && i-- == 0) return d;
    }
    ASSERT(false); /* i < listed_count() */
    return NULL;
}

static void desc_fill(const char *full, const struct cmd_def *d, struct conn_command_desc *out)
{
    const struct cmd_meta *m = meta_find(full);
    ASSERT(m != NULL); /* cmd_command_check() holds */
    *out = (struct conn_command_desc){
        .name = d->name,
        .arity = d->arity,
        .flags = m->flags,
        .acl = acl_bits_of(full),
        .tips = m->tips,
        .summary = m->summary,
        .since = m->since,
        .group = m->group,
        .complexity = m->complexity,
    };
}

static void src_at(size_t i, struct conn_command_desc *out)
{
    const struct cmd_def *d = listed_at(i);
    desc_fill(d->name, d, out);
}

static size_t src_sub_count(size_t i)
{
    const struct cmd_def *subs;
    return subs_of(listed_at(i), &subs);
}

static void src_sub_at(size_t i, size_t k, struct conn_command_desc *out)
{
    const struct cmd_def *d = listed_at(i), *subs;
    size_t ns = subs_of(d, &subs);
    ASSERT(k < ns);
    char full[96];
    snprintf(full, sizeof(full), "%s|%s", d->name, subs[k].name);
    desc_fill(full, &subs[k], out);
}

static const char *const command_help[] = {
    "COMMAND <subcommand> [<argument> ...], with <subcommand> one of:",
    "(no subcommand)",
    "    Details of every command.",
    "COUNT",
    "    How many commands this server has.",
    "DOCS [<command-name> ...]",
    "    Short documentation of the commands.",
    "GETKEYS <command> [<arg> ...]",
    "    The keys of a command: a sentinel's commands have none.",
    "GETKEYSANDFLAGS <command> [<arg> ...]",
    "    The same, with each key's flags.",
    "INFO [<command-name> ...]",
    "    Details of the named commands.",
    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    The names of the commands, subcommands included.",
    "HELP",
    "    Show this list.",
};

static const struct conn_command_source command_source = {
    .count = listed_count,
    .at = src_at,
    .sub_count = src_sub_count,
    .sub_at = src_sub_at,
    .help = command_help,
    .help_lines = ARRAY_LEN(command_help),
};

/* A common COMMAND handler (common/conn_command.c) as a handler of the sentinel's tables. */
#define COMMAND_FROM_CONN(name, fn)                                                                \
    static void name(struct client *c, const struct cmd_args *a)                                   \
    {                                                                                              \
        fn(&c->conn, &command_source, (size_t)a->argc, a->raw);                                    \
    }

COMMAND_FROM_CONN(command_all, conn_command_all)
COMMAND_FROM_CONN(command_count, conn_command_count)
COMMAND_FROM_CONN(command_info, conn_command_info)
COMMAND_FROM_CONN(command_docs, conn_command_docs)
COMMAND_FROM_CONN(command_list, conn_command_list)
COMMAND_FROM_CONN(command_getkeys, conn_command_getkeys)
COMMAND_FROM_CONN(command_getkeysandflags, conn_command_getkeysandflags)
COMMAND_FROM_CONN(command_helpcmd, conn_command_help)

static const struct cmd_def command_subs[] = {
    {"count", 2, 0, command_count},      {"info", -2, 0, command_info},
    {"docs", -2, 0, command_docs},       {"list", -2, 0, command_list},
    {"getkeys", -4, 0, command_getkeys}, {"getkeysandflags", -4, 0, command_getkeysandflags},
    {"help", 2, 0, command_helpcmd},
};

size_t cmd_command_subcommands(const struct cmd_def **out)
{
    *out = command_subs;
    return ARRAY_LEN(command_subs);
}

void cmd_command(struct client *c, const struct cmd_args *a)
{
    if (a->argc == 1)
        command_all(c, a);
    else
        cmd_run_subcommand(c, a, "command", command_subs, ARRAY_LEN(command_subs));
}

/* ---- the ACL catalog ---------------------------------------------------------------------- */

/* Built once from the dispatch tables (entries of a container follow it) with the categories
 * of the rows above. Static storage: the tables never change while the process runs. */
#define CATALOG_MAX 128
static struct acl_command catalog_cmds[CATALOG_MAX];
static char catalog_names[CATALOG_MAX][64];
static struct acl_catalog catalog;

static void catalog_add(const char *full, int parent)
{
    ASSERT(catalog.n < CATALOG_MAX);
    snprintf(catalog_names[catalog.n], sizeof(catalog_names[0]), "%s", full);
    catalog_cmds[catalog.n] =
        (struct acl_command){catalog_names[catalog.n], parent, acl_bits_of(full)};
    catalog.n++;
}

const struct acl_catalog *cmd_command_catalog(void)
{
    if (catalog.n > 0) return &catalog;
    catalog.cmds = catalog_cmds;
    for (size_t i = 0; i < cmd_table_count(); i++) {
        const struct cmd_def *d = cmd_table_at(i), *subs;
        if (!is_listed(d)) continue;
        int parent = (int)catalog.n;
        catalog_add(d->name, -1);
        size_t ns = subs_of(d, &subs);
        for (size_t k = 0; k < ns; k++) {
            char full[96];
            snprintf(full, sizeof(full), "%s|%s", d->name, subs[k].name);
            catalog_add(full, parent);
        }
    }
    return &catalog;
}

long cmd_command_catalog_index(const char *top, const char *sub)
{
    const struct acl_catalog *cat = cmd_command_catalog();
    char full[160];
    if (sub)
        snprintf(full, sizeof(full), "%s|%s", top, sub);
    else
        snprintf(full, sizeof(full), "%s", top);
    for (size_t i = 0; i < cat->n; i++)
        if (strcasecmp(cat->cmds[i].name, full) == 0) return (long)i;
    return -1;
}

int cmd_command_check(char *err, size_t errlen)
{
    for (size_t i = 0; i < cmd_table_count(); i++) {
        const struct cmd_def *d = cmd_table_at(i), *subs;
        if (!is_listed(d)) continue;
        if (meta_find(d->name) == NULL) {
            snprintf(err, errlen, "no COMMAND row for %s", d->name);
            return -1;
        }
        size_t ns = subs_of(d, &subs);
        for (size_t k = 0; k < ns; k++) {
            char full[96];
            snprintf(full, sizeof(full), "%s|%s", d->name, subs[k].name);
            if (meta_find(full) == NULL) {
                snprintf(err, errlen, "no COMMAND row for %s", full);
                return -1;
            }
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(metas); i++) {
        const struct cmd_def *parent;
        if (def_find(metas[i].name, &parent) == NULL) {
            snprintf(err, errlen, "COMMAND row %s names no command", metas[i].name);
            return -1;
        }
    }
    return 0;
}
