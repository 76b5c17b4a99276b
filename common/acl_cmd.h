/* acl_cmd: the ACL command, the ACL LOG and the users file, for both servers.
 *
 * Why shared: vigil-sentinel and vigil-store answer ACL SETUSER/GETUSER/DELUSER/LIST/USERS/
 * WHOAMI/CAT/GENPASS/LOG/DRYRUN/SAVE/LOAD/HELP with Redis 7.0's replies; one implementation keeps
 * them from drifting apart. The rule language and the checks are common/acl.c's; what differs
 * between the programs comes from struct acl_host: how a command line is checked (DRYRUN), and
 * whether every change is written to the users file at once (the sentinel, which never rewrites
 * its YAML) or only on ACL SAVE (the store, as Redis with an aclfile).
 *
 * The users file holds "user <name> <rules...>" lines as ACL LIST prints them; it is written
 * through common/atomic_file.c (temp file, fsync, rename). Loading applies each line to a user
 * started from "reset", all lines or none. requirepass, when set, is applied to "default" after a
 * load (it is the default user's password, as in Redis).
 *
 * ACL LOG entries (newest first) aggregate equal refusals (reason, context, object, user) within
 * a minute, as Redis does; their number is bounded by log_max (acllog-max-len). Handlers take
 * the command being run (argv[0] "acl", argv[1] the subcommand) with its arity checked. */
#ifndef VIGIL_COMMON_ACL_CMD_H
#define VIGIL_COMMON_ACL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/acl.h"
#include "common/conn.h"

#define ACL_OBJECT_MAX 200 /* a refused key or channel in the log is cut to this */

/* Why a command was refused (verdict ACL_ALLOWED: it was not). */
struct acl_refusal {
    enum acl_verdict verdict;
    char object[ACL_OBJECT_MAX + 1]; /* the command's full name, the key or the channel */
};

struct acl_host {
    /* ACL DRYRUN: may user u run argv (argv[0] the command)? 0 with r filled, or -1 with
     * Redis's error text (without "ERR ") for an unknown command or a wrong arity. */
    int (*dryrun)(const struct acl_user *u, size_t argc, const struct resp_arg *argv,
                  struct acl_refusal *r, char *err, size_t errlen);
    bool save_every_change; /* write the users file after every SETUSER and DELUSER */
    /* Optional, after ACL SETUSER changed user u: close the connections of u subscribed to a
     * channel or pattern its rules no longer grant (Redis 7.0 does; caller replies first). */
    void (*after_setuser)(struct conn *caller, const struct acl_user *u);
    const char *load_help; /* ACL HELP's line about LOAD */
};

struct acl_log_entry;

struct acl_state {
    struct acl_users *users;
    const struct acl_catalog *catalog;
    const struct acl_host *host;
    char *path;          /* the users file, or NULL (SAVE and LOAD refuse) */
    char *requirepass;   /* the default user's password from the config, or NULL */
    size_t log_max;      /* acllog-max-len */
    uint64_t generation; /* moves when users is replaced (ACL LOAD): cached users are stale */
    size_t n_log;
    struct acl_log_entry *log; /* newest first */
};

/* Users from path (a missing file: only "default"), then requirepass. 0, or -1 with err. */
int acl_state_init(struct acl_state *s, const struct acl_catalog *cat, const struct acl_host *host,
                   const char *path, const char *requirepass, char *err, size_t errlen);
void acl_state_free(struct acl_state *s);
/* Read the file again into s (ACL LOAD, SIGHUP): 0, or -1 with err and s unchanged. */
int acl_state_load(struct acl_state *s, char *err, size_t errlen);
/* Apply "user" lines (the store's config) to s; -1 with err naming the line. */
int acl_state_apply_lines(struct acl_state *s, const char *const *lines, size_t n, char *err,
                          size_t errlen);
/* CONFIG SET requirepass: the default user's password becomes pass ("" : nopass). */
void acl_state_set_requirepass(struct acl_state *s, const char *pass);

/* AUTH / HELLO AUTH: the user (c then runs as it), or NULL after logging the failure and
 * replying WRONGPASS. */
const struct acl_user *acl_state_authenticate(struct acl_state *s, struct conn *c, const char *user,
                                              size_t ulen, const char *pass, size_t plen);
/* Record a refusal: reason "command", "key", "channel" or "auth"; context "toplevel", "multi"
 * or "lua". */
void acl_log_add(struct acl_state *s, struct conn *c, const char *reason, const char *context,
                 const char *object, const char *username);
void acl_log_set_max(struct acl_state *s, size_t max);
const char *acl_reason_word(enum acl_verdict v);
/* The -NOPERM error of a refusal, as Redis 7.0 words it for a client. */
void acl_reply_noperm(struct conn *c, const struct acl_refusal *r);
/* Close the connections whose user no longer exists, or (every_named, after ACL LOAD, as Redis
 * 7.0 does) every connection not running as "default"; the caller's after its reply. */
void acl_close_orphans(struct acl_state *s, struct conn *caller, bool every_named);

typedef void (*acl_cmd_fn)(struct conn *c, struct acl_state *s, size_t argc,
                           const struct resp_arg *argv);
struct acl_cmd_sub {
    const char *name;
    int arity; /* of the whole command line, "acl" included */
    acl_cmd_fn fn;
};
/* The ACL subcommands, in the order both programs list them. */
extern const struct acl_cmd_sub acl_cmd_subs[];
extern const size_t acl_cmd_nsubs;

void acl_cmd_setuser(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_getuser(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_deluser(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_list(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_users(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_whoami(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_cat(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_genpass(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_log(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_dryrun(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_save(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_load(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);
void acl_cmd_help(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv);

#endif
