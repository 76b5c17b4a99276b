/* acl_int: the structures behind acl.h, shared by acl.c (rules) and acl_describe.c
 * (descriptions, checks). Nothing outside common/acl*.c includes this. */
#ifndef VIGIL_COMMON_ACL_INT_H
#define VIGIL_COMMON_ACL_INT_H

#include "common/acl.h"

enum { ACL_SANITIZE_NONE, ACL_SANITIZE_YES, ACL_SANITIZE_SKIP };

/* Error texts of a rule, as Redis words them (after "Error in ACL SETUSER modifier '<r>': "). */
#define ACL_E_SYNTAX "Syntax error"
#define ACL_E_UNKNOWN "Unknown command or category name in ACL"
#define ACL_E_HASH                                                                                 \
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "      \
    "characters"
#define ACL_E_NO_SUCH_PASSWORD "The password you are trying to remove from the user does not exist"
#define ACL_E_KEY_AFTER_STAR                                                                       \
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have " \
    "any effect. Try 'resetkeys' to start with an empty list of patterns"
#define ACL_E_CHANNEL_AFTER_STAR                                                                   \
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not "  \
    "have any effect. Try 'resetchannels' to start with an empty list of channels"
#define ACL_E_TOO_MANY "Too many patterns, passwords or selectors for one user"
/* Internal: "not a selector rule" (compared by address). */
extern const char acl_e_not_selector[];
#define ACL_E_NOT_SELECTOR acl_e_not_selector

/* A key pattern (flags: ACL_KEY_*), a channel pattern (flags 0) or an allowed first argument
 * (flags: the catalog index of its command). */
struct acl_pattern {
    char *text;
    size_t len;
    unsigned flags;
};

struct acl_selector {
    uint64_t *bits;    /* bit i: catalog command i may run */
    bool all_commands; /* +@all was the base (described as "+@all ...") */
    bool all_keys, all_channels;
    size_t n_keys, n_channels, n_firstargs;
    struct acl_pattern *keys, *channels, *firstargs;
};

struct acl_user {
    const struct acl_catalog *catalog;
    char *name;
    bool enabled, nopass;
    int sanitize; /* ACL_SANITIZE_* */
    size_t n_passwords;
    char (*passwords)[65]; /* lowercase hex SHA-256, NUL-terminated */
    size_t n_selectors;    /* >= 1: [0] is the root selector */
    struct acl_selector *selectors;
};

struct acl_users {
    const struct acl_catalog *cat;
    size_t n;
    struct acl_user **v; /* sorted by name */
    uint64_t version;
};

void acl_selector_init(struct acl_selector *s, const struct acl_catalog *cat);
void acl_selector_free(struct acl_selector *s);
bool acl_bit(const struct acl_selector *s, size_t i);
void acl_set_bit(struct acl_selector *s, size_t i, bool on);
void acl_set_command(struct acl_selector *s, const struct acl_catalog *cat, size_t i, bool on);
void acl_set_category(struct acl_selector *s, const struct acl_catalog *cat, int c, bool on);
void acl_describe_selector_commands(const struct acl_selector *s, const struct acl_catalog *cat,
                                    struct buf *out);
/* NULL on success, an ACL_E_* text, or ACL_E_NOT_SELECTOR. */
const char *acl_selector_apply(struct acl_selector *s, const struct acl_catalog *cat, const char *r,
                               size_t len);

#endif
