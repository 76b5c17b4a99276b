/* acl: users and what each may run, in Redis 7.0's ACL rule language, for both servers.
 *
 * Why here: vigil-sentinel has ACL users now and vigil-store will have them; one rule parser,
 * one permission check and one description algorithm keep the two from disagreeing.
 *
 * Pure: no I/O, no clock, no randomness. The server describes its commands in a catalog (one
 * entry per command and per subcommand, with Redis's ACL categories); a user's permissions are
 * bits over that catalog, so checking a command is one bit test. Passwords are kept as SHA-256
 * (OpenSSL) in lowercase hex, and compared in constant time.
 *
 * Rules (one word each, as ACL SETUSER takes them): on off nopass resetpass >pw <pw #hash !hash
 * ~pat %R~pat %W~pat %RW~pat allkeys resetkeys &pat allchannels resetchannels +cmd -cmd
 * +cmd|sub -cmd|sub +cmd|firstarg +@cat -@cat allcommands nocommands reset sanitize-payload
 * skip-sanitize-payload clearselectors and selectors "(rule rule ...)". A SETUSER applies all
 * its rules or none. Descriptions (ACL LIST, GETUSER) are regenerated from the bits the way
 * Redis 7.0 does it (base +@all/-@all, categories that cover most of what is allowed or denied,
 * then per-command corrections), in catalog order; Redis's order depends on its hash seed, so
 * descriptions are compared by meaning, not bytes.
 */
#ifndef VIGIL_COMMON_ACL_H
#define VIGIL_COMMON_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define ACL_CATEGORY_COUNT 21
#define ACL_USERNAME_MAX 128
#define ACL_PATTERNS_MAX 256 /* keys or channels per selector */
#define ACL_PASSWORDS_MAX 64
#define ACL_SELECTORS_MAX 16
#define ACL_FIRSTARGS_MAX 64 /* allowed first arguments per command */
#define ACL_USERS_MAX 1024

/* Redis's category names (without '@'), in its order; bit i of a category mask is name i. */
extern const char *const acl_category_names[ACL_CATEGORY_COUNT];
int acl_category_find(const char *name); /* index, or -1 */

struct acl_command {
    const char *name;    /* "ping", or "client|info" for a subcommand */
    int parent;          /* catalog index of the container, -1 for a top-level command */
    uint32_t categories; /* bit i = acl_category_names[i] */
};

/* Borrowed for the life of the users table: entries of a container follow it. */
struct acl_catalog {
    const struct acl_command *cmds;
    size_t n;
};

struct acl_user;
struct acl_users;

/* A table with only "default" (on, nopass, all keys, channels and commands). Owned. */
struct acl_users *acl_users_create(const struct acl_catalog *catalog);
void acl_users_destroy(struct acl_users *u);

struct acl_user *acl_users_find(const struct acl_users *u, const char *name);
/* Users in name order. */
size_t acl_users_count(const struct acl_users *u);
const struct acl_user *acl_users_at(const struct acl_users *u, size_t i);

/* ACL SETUSER: creates the user (off, no password, nothing allowed) if missing, then applies
 * every rule or none. 0, or -1 with Redis's error text (without "ERR ") in err. */
int acl_users_setuser(struct acl_users *u, const char *name, int nrules, const char *const *rules,
                      const size_t *lens, char *err, size_t errlen);
/* ACL SETUSER's words with each "(...)" selector split by the wire joined back into one rule.
 * Returns how many rules (owned: free with acl_rules_free), or -1 with Redis's "Unmatched
 * parenthesis ..." text in err. */
int acl_merge_rules(int argc, const char *const *argv, const size_t *lens, char ***out,
                    size_t **out_lens, char *err, size_t errlen);
void acl_rules_free(char **rules, size_t *lens, int n);
/* 1 removed, 0 no such user; "default" is never removed (the caller refuses it). */
int acl_users_deluser(struct acl_users *u, const char *name);
/* A generation counter that changes with every SETUSER and DELUSER: connections cache the user
 * pointer together with it and look the user up again when it moved. */
uint64_t acl_users_version(const struct acl_users *u);

const char *acl_user_name(const struct acl_user *user);
bool acl_user_is_enabled(const struct acl_user *user);
bool acl_user_has_nopass(const struct acl_user *user);
/* Enabled and (nopass or one of its passwords is pass); constant time per stored password. */
bool acl_user_password_ok(const struct acl_user *user, const char *pass, size_t len);

/* What may run: catalog index of the command (the subcommand's for a container), its first
 * argument (NULL if none), and the channels it names (patterns: PSUBSCRIBE's literal rule).
 * The verdicts are ordered as Redis ranks them when no selector allows a command: the refusal
 * reported is the highest one any selector gave (then the one at the latest argument). */
enum acl_verdict { ACL_ALLOWED, ACL_DENIED_COMMAND, ACL_DENIED_KEY, ACL_DENIED_CHANNEL };
enum acl_verdict acl_user_check(const struct acl_user *user, size_t cmd, const char *firstarg,
                                size_t firstarg_len, int nchannels, const char *const *channels,
                                const size_t *channel_lens, bool channels_are_patterns);

/* Access a key needs (a key pattern grants %R~, %W~ or both with ~). */
#define ACL_KEY_READ 1u
#define ACL_KEY_WRITE 2u

/* One command with everything a permission check looks at. Borrowed arrays. */
struct acl_request {
    size_t cmd; /* catalog index */
    const char *firstarg;
    size_t firstarg_len;
    size_t nkeys;
    const char *const *keys;
    const size_t *key_lens;
    const unsigned *key_access; /* ACL_KEY_* each key needs; 0: any key pattern will do */
    size_t nchannels;
    const char *const *channels;
    const size_t *channel_lens;
    bool channels_are_patterns;
};
/* Whether some selector of user grants the channel (a pattern: literally one of its patterns),
 * whatever the commands: a subscription made before the rules changed is judged by this. */
bool acl_user_channel_ok(const struct acl_user *user, const char *ch, size_t len, bool is_pattern);
/* True when the root selector allows command cmd with every key and every channel: the check
 * needs nothing else (the common case, kept cheap for every command). */
bool acl_user_allows_all(const struct acl_user *user, size_t cmd);
/* The verdict; when refused for a key or a channel, *denied is its index in r's array. */
enum acl_verdict acl_user_check_request(const struct acl_user *user, const struct acl_request *r,
                                        size_t *denied);

/* The rules after "user <name> " as ACL LIST shows them. */
void acl_user_describe(const struct acl_user *user, struct buf *out);
/* For ACL GETUSER: flag words, password hashes, and per selector (0 = the root selector) its
 * commands, keys and channels strings. */
size_t acl_user_flag_words(const struct acl_user *user, const char **words, size_t cap);
size_t acl_user_password_count(const struct acl_user *user);
const char *acl_user_password_at(const struct acl_user *user, size_t i);
size_t acl_user_selector_count(const struct acl_user *user); /* root included */
void acl_user_describe_commands(const struct acl_user *user, size_t sel, struct buf *out);
void acl_user_describe_keys(const struct acl_user *user, size_t sel, struct buf *out);
void acl_user_describe_channels(const struct acl_user *user, size_t sel, struct buf *out);

/* SHA-256 of data in lowercase hex (65 bytes with the NUL). */
void acl_hash_password(const char *data, size_t len, char hex[65]);

#endif
