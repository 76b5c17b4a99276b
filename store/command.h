/* command: the command table and the dispatcher. A command is a name, an arity (N exact, -N at
 * least N), flags, key positions (for COMMAND INFO, WATCH-free key extraction) and a handler.
 * Families with subcommands (CLIENT, CONFIG, OBJECT, COMMAND, PUBSUB, DEBUG) have a subcommand
 * table with its own arities, so errors read "wrong number of arguments for 'config|get'".
 *
 * command_execute() is the one gate every command passes: arity, authentication, RESP2
 * subscribed-mode rules, MULTI queueing, replica read-only, loading, stale data and
 * min-replicas, then MONITOR, then the handler, then propagation (propagate.h: handlers whose
 * effect must be replicated differently than the command as received call propagate_as and
 * friends). */
#ifndef VIGIL_COMMAND_H
#define VIGIL_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "store/server.h"

enum {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_PUBSUB = 1 << 4,
    CMD_NOSCRIPT = 1 << 5,
    CMD_BLOCKING = 1 << 6,
    CMD_LOADING = 1 << 7, /* allowed while loading */
    CMD_STALE = 1 << 8,   /* allowed on a replica with a broken link and serve-stale-data no */
    CMD_FAST = 1 << 9,
    CMD_NO_AUTH = 1 << 10,  /* allowed before AUTH */
    CMD_NO_MULTI = 1 << 11, /* not queued: runs at once even inside MULTI (EXEC, DISCARD...) */
    CMD_SKIP_MONITOR = 1 << 12,
    CMD_MAY_REPLICATE = 1 << 13,
    CMD_ALLOW_BUSY = 1 << 14,
};

typedef void (*command_fn)(struct client *c);

/* A key argument: its position in argv and the access it needs (ACL_KEY_READ | ACL_KEY_WRITE
 * of common/acl.h; 0: what the command's key_access says). */
struct command_key {
    size_t pos;
    unsigned access;
};
/* Keys of a command whose keys are not at first_key..last_key by key_step (numkeys, STREAMS):
 * fills out (room for argc entries) and returns how many, or -1 if the arguments cannot say
 * (COMMAND GETKEYS: "Invalid arguments"). */
typedef int (*command_getkeys_fn)(size_t argc, const struct resp_arg *argv,
                                  struct command_key *out);

struct command {
    const char *name; /* lowercase; "config|get" style for subcommands is built on demand */
    int arity;
    unsigned flags;
    command_fn fn;
    int first_key, last_key, key_step;
    const struct command *subcommands; /* NULL-terminated table or NULL */
    const char *group;                 /* COMMAND DOCS group: "string", "generic", ... */
    const char *summary;
    /* ACL (docs/acl.md): Redis 7.0's categories as words ("write string slow"), the access the
     * keys need ("R", "W", "RW", "-" for none, or "<first key>/<the others>" as "W/R"), and the
     * key finder for commands with numkeys or STREAMS. NULL: the row of command_meta.c. */
    const char *acl_categories;
    const char *key_access;
    command_getkeys_fn getkeys;
    size_t acl_index; /* runtime: this command's entry in command_acl_catalog() */
    /* runtime statistics (INFO commandstats) */
    unsigned long long calls, usec, rejected_calls, failed_calls;
};

/* Every family's table (cmd_*.c), NULL-terminated; listed in command_tables.c. Each family
 * table ends with an entry whose name is NULL. */
extern struct command *const command_families[];

void command_table_init(void);
struct command *command_lookup(const char *name, size_t len);
/* Every registered command (for COMMAND, COMMAND COUNT/LIST). */
size_t command_count(void);
struct command *command_at(size_t i);

/* Every command and subcommand ("client|list") with its ACL categories, built by
 * command_table_init (command_meta.c). */
struct acl_catalog;
const struct acl_catalog *command_acl_catalog(void);
void command_meta_build(void); /* once, by command_table_init */
/* The key finder command_meta.c's row gives a command ("xread"), whether or not the store has
 * that command; NULL if none. */
command_getkeys_fn command_meta_key_finder(const char *name);
/* The catalog index of cmd, or of its subcommand sub (an entry of cmd->subcommands). */
size_t command_acl_index(const struct command *cmd, const struct command *sub);
/* The subcommand entry argv[1] names, or NULL (not a family, or no such subcommand). */
const struct command *command_find_sub(const struct command *cmd, const struct resp_arg *arg);
/* The keys of a command line (argv[0] the command) whose entry is catalog index idx, into out
 * (room for argc entries); how many, or -1 when the arguments cannot say. */
int command_get_keys(size_t idx, size_t argc, const struct resp_arg *argv, struct command_key *out);
/* Whether the entry at catalog index idx has keys at all (its key spec or a key finder), and
 * whether they come from a key finder. */
bool command_has_keys(size_t idx);
bool command_has_key_finder(size_t idx);
/* COMMAND INFO's movablekeys: the keys' positions depend on the arguments. */
bool command_has_movable_keys(size_t idx);

/* Run c->argv. The reply goes into c->conn.reply. */
void command_execute(struct client *c);
/* Run a command with no checks at all (EXEC's queued commands, the master's stream). */
void command_call(struct client *c, struct command *cmd);

/* Subcommand dispatch for family handlers: finds argv[1] in cmd->subcommands and runs it with
 * its arity checked, or replies "unknown subcommand". */
void command_dispatch_sub(struct client *c, const struct command *table, const char *family);

/* Show c's current command (argv) to MONITOR clients, whatever its flags (EVAL shows itself,
 * and the commands its script runs appear as from "lua"). */
void command_feed_monitors(struct client *c);

/* INFO commandstats' lines of the subcommands run so far ("cmdstat_script|kill:calls=..."). */
void command_format_substats(struct buf *out);
/* CONFIG RESETSTAT: forget them. */
void command_reset_substats(void);

/* Redis's error for a subcommand whose handler found too many arguments ("unknown subcommand
 * or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."): argv[1] as the client wrote it. */
void command_reply_sub_usage(struct client *c, const char *family_upper);

/* The error for a wrong arity ("wrong number of arguments for 'get' command"). */
void command_reply_arity(struct client *c, const char *fullname);

#endif
