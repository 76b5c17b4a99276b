/* conn_command: COMMAND and its subcommands (COUNT, LIST [FILTERBY], INFO, DOCS, GETKEYS,
 * GETKEYSANDFLAGS, HELP) for both servers, in the reply shapes of Redis 7.0.
 *
 * Why shared: clients and tools read the command table (redis-cli hints, client libraries probing
 * for subcommands); one implementation keeps the two programs' answers in the same shapes. Each
 * program keeps its own table and describes it through a conn_command_source: how many commands
 * it lists, the i-th one, and its subcommands, each as a conn_command_desc. Subcommands appear
 * as entries of their own named "parent|sub". Flag, ACL category and tip words are written in
 * Redis's order whatever order the program keeps them in.
 *
 * The handlers take the command being run (argv[0] "command", argv[1] the subcommand); the
 * program has checked the arity already (GETKEYS and GETKEYSANDFLAGS need at least 4 words). */
#ifndef VIGIL_CONN_COMMAND_H
#define VIGIL_CONN_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conn.h"

/* Command flags; the words are printed in this (Redis's) order. */
enum {
    CONN_CMDF_WRITE = 1u << 0,
    CONN_CMDF_READONLY = 1u << 1,
    CONN_CMDF_DENYOOM = 1u << 2,
    CONN_CMDF_ADMIN = 1u << 3,
    CONN_CMDF_PUBSUB = 1u << 4,
    CONN_CMDF_NOSCRIPT = 1u << 5,
    CONN_CMDF_BLOCKING = 1u << 6,
    CONN_CMDF_LOADING = 1u << 7,
    CONN_CMDF_STALE = 1u << 8,
    CONN_CMDF_FAST = 1u << 9,
    CONN_CMDF_NO_AUTH = 1u << 10,
    CONN_CMDF_NO_MULTI = 1u << 11,
    CONN_CMDF_ALLOW_BUSY = 1u << 12,
    CONN_CMDF_MOVABLEKEYS = 1u << 13, /* from is_movable when described */
};

/* Command tips, in Redis's order. */
enum {
    CONN_TIP_NONDET = 1u << 0,
    CONN_TIP_NONDET_ORDER = 1u << 1,
    CONN_TIP_ALL_SHARDS = 1u << 2,
    CONN_TIP_RESP_SPECIAL = 1u << 3,
    CONN_TIP_RESP_ALL_OK = 1u << 4,
};

/* How one command or subcommand describes itself. Borrowed strings; NULL since or complexity
 * leaves the field out of DOCS. */
struct conn_command_desc {
    const char *name; /* "ping"; for a subcommand its own name ("info"), not "client|info" */
    int arity;        /* > 0 exact, < 0 at least -arity (argv[0] included) */
    unsigned flags;   /* CONN_CMDF_* */
    uint32_t acl;     /* bit i = acl_category_names[i] (common/acl.h) */
    unsigned tips;    /* CONN_TIP_* */
    int first_key, last_key, key_step; /* 0 0 0: no keys; last_key < 0 counts from the end */
    const char *summary, *since, *group, *complexity;
    size_t id;           /* the program's own handle, handed back to source->getkeys */
    bool has_key_finder; /* keys come from source->getkeys (numkeys), not the range */
    bool is_movable;     /* COMMAND INFO's movablekeys flag */
};

/* A program's command table, as COMMAND sees it. Indices are stable while the process runs. */
struct conn_command_source {
    size_t (*count)(void); /* top-level commands listed (COMMAND COUNT) */
    void (*at)(size_t i, struct conn_command_desc *out);
    size_t (*sub_count)(size_t i); /* subcommands of the i-th command, 0 if none */
    void (*sub_at)(size_t i, size_t k, struct conn_command_desc *out);
    const char *const *help; /* COMMAND HELP's lines */
    size_t help_lines;
    /* Optional, for descs with has_key_finder: the key positions of a command line (argv[0]
     * the command) into pos (room for argc), their count, or -1 when the arguments cannot
     * say ("Invalid arguments specified for command"). */
    int (*getkeys)(const struct conn_command_desc *d, size_t argc, const struct resp_arg *argv,
                   size_t *pos);
};

typedef void (*conn_command_fn)(struct conn *c, const struct conn_command_source *src, size_t argc,
                                const struct resp_arg *argv);

/* COMMAND with no argument: INFO of every listed command. */
void conn_command_all(struct conn *c, const struct conn_command_source *src, size_t argc,
                      const struct resp_arg *argv);
void conn_command_count(struct conn *c, const struct conn_command_source *src, size_t argc,
                        const struct resp_arg *argv);
void conn_command_list(struct conn *c, const struct conn_command_source *src, size_t argc,
                       const struct resp_arg *argv);
void conn_command_info(struct conn *c, const struct conn_command_source *src, size_t argc,
                       const struct resp_arg *argv);
void conn_command_docs(struct conn *c, const struct conn_command_source *src, size_t argc,
                       const struct resp_arg *argv);
void conn_command_getkeys(struct conn *c, const struct conn_command_source *src, size_t argc,
                          const struct resp_arg *argv);
/* Keys with their access flags; no program describes each key's access yet, so the flags
 * come from the command's (read-only: RO access; write: RW access update). */
void conn_command_getkeysandflags(struct conn *c, const struct conn_command_source *src,
                                  size_t argc, const struct resp_arg *argv);
void conn_command_help(struct conn *c, const struct conn_command_source *src, size_t argc,
                       const struct resp_arg *argv);

/* Find "name" or "parent|sub" (case-insensitive): true with *top (and *sub, -1 for a top-level
 * command) set. */
bool conn_command_find(const struct conn_command_source *src, const char *name, size_t len,
                       size_t *top, long *sub);

#endif
