/* cmd_aof: the append-only file's commands (docs/persistence.md#the-append-only-file):
 * BGREWRITEAOF. The work is in store/persist/aof*.c. */
#include "store/command.h"
#include "store/persist/aof.h"

static void cmd_bgrewriteaof(struct client *c) { aof_bgrewrite_command(c); }

struct command cmd_table_aof[] = {
    {.name = "bgrewriteaof",
     .arity = 1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT,
     .fn = cmd_bgrewriteaof,
     .group = "server",
     .summary = "Asynchronously rewrite the append-only file"},
    {.name = NULL},
};
