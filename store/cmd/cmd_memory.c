/* cmd_memory: MEMORY USAGE, MEMORY PURGE and MEMORY HELP.
 *
 * USAGE reports what the key costs in our layout (entry, string buffer or object, table slot),
 * so its numbers are ours, not Redis's: the same key is usually smaller here. SAMPLES is parsed
 * and validated as Redis does; our objects either know their size or sample it themselves.
 * PURGE gives freed memory back to the kernel (malloc_trim). The other subcommands Redis has
 * (DOCTOR, STATS, MALLOC-STATS) are not offered: INFO memory carries the figures.
 */
#include <malloc.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/reply.h"

static void memory_usage(struct client *c)
{
    if (c->argc == 5 && arg_is(&c->argv[3], "SAMPLES")) {
        long long samples;
        if (util_parse_ll(c->argv[4].ptr, c->argv[4].len, &samples) != 0) {
            reply_error(c, ERR_NOT_INT);
            return;
        }
        if (samples < 0) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    } else if (c->argc != 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    struct ks_entry *e = db_lookup_in(c, c->db, c->argv[2].ptr, c->argv[2].len,
                                      DB_LOOKUP_NOSTATS | DB_LOOKUP_NOTOUCH);
    if (!e) {
        reply_null(c);
        return;
    }
    reply_integer(c, (long long)ks_entry_mem_usage(e));
}

static void memory_purge(struct client *c)
{
    malloc_trim(0);
    reply_ok(c);
}

static void memory_help(struct client *c)
{
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "PURGE",
        "    Return freed memory to the operating system.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value.",
        "HELP",
        "    Prints this help.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command memory_subs[] = {
    {.name = "usage",
     .arity = -3,
     .flags = CMD_READONLY,
     .fn = memory_usage,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "purge", .arity = 2, .fn = memory_purge},
    {.name = "help", .arity = 2, .fn = memory_help},
    {.name = NULL},
};

static void cmd_memory(struct client *c) { command_dispatch_sub(c, memory_subs, "memory"); }

struct command cmd_table_memory[] = {
    {.name = "memory",
     .arity = -2,
     .flags = CMD_READONLY,
     .fn = cmd_memory,
     .subcommands = memory_subs,
     .group = "server"},
    {.name = NULL},
};
