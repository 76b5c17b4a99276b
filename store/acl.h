/* acl: ACL users in vigil-store (docs/acl.md). The rule language and checks are common/acl.c's,
 * the ACL command, its log and the users file common/acl_cmd.c's; this module feeds them the
 * store's side: the catalog of commands (command_meta.c), the keys and channels of a command
 * line, which user a client runs as, and where users come from (an `aclfile`, or `users` lines
 * in the YAML config, never both: as Redis refuses both). requirepass is the default user's
 * password; CONFIG SET requirepass changes it.
 *
 * Invariants: the master link and the AOF loader are never checked (they obey their stream);
 * a client's user is looked up again when the users table changed (its version moved), and a
 * client whose user is gone is closed (acl_close_orphans). */
#ifndef VIGIL_STORE_ACL_H
#define VIGIL_STORE_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/resp.h"

struct server;
struct client;
struct command;

/* After command_table_init: users from the config. 0, or -1 with err. */
int store_acl_init(struct server *srv, char *err, size_t errlen);
void store_acl_free(struct server *srv);
/* After CONFIG SET: requirepass and acllog-max-len. */
void store_acl_apply_config(struct server *srv);

/* "default" is on and needs no password: new connections start logged in. */
bool store_acl_default_nopass(const struct server *srv);
int store_acl_authenticate(struct client *c, const char *user, size_t ulen, const char *pass,
                           size_t plen);
bool store_acl_user_exists(const struct server *srv, const char *user, size_t len);
const char *store_acl_user_of(const struct client *c);
/* RESET: back to "default". */
void store_acl_reset_user(struct client *c);

/* enable-debug-command / enable-protected-configs (enum store_allow) for client c: "yes", or
 * "local" and c is on loopback (or has no socket). */
bool store_acl_setting_allows(int allow, const struct client *c);

/* The gate before a command runs or is queued: 0, or -1 after logging the refusal and replying
 * Redis's -NOPERM error. */
int store_acl_check(struct client *c, struct command *cmd);
/* EXEC: the check again for each queued command (c->argv is it), since ACL rules may have
 * changed after it was queued; -1 after logging and replying Redis's -NOPERM for it. */
int store_acl_exec_check(struct client *c, struct command *cmd);
/* The same check for redis.call from a script run by caller: NULL, or the error line. */
const char *store_acl_script_refusal(struct client *caller, struct command *cmd, size_t argc,
                                     const struct resp_arg *argv);

#endif
