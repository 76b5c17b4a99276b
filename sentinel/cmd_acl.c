/* cmd_acl: ACL users on the sentinel's command port, as Redis Sentinel 7.0 has them: AUTH
 * and HELLO AUTH with a user name, a permission check before every command (commands,
 * subcommands, first arguments, channels of SUBSCRIBE/PSUBSCRIBE/PUBLISH), the ACL LOG of
 * refusals, and ACL SETUSER/GETUSER/DELUSER/LIST/USERS/WHOAMI/CAT/GENPASS/LOG/DRYRUN/SAVE/
 * LOAD/HELP. The rule language and the checks are common/acl.c's.
 *
 * Users live in <dir>/sentinel-users.acl ("user <name> <rules>" lines, as ACL LIST prints
 * them), rewritten atomically after every change, so a restart keeps them; Redis Sentinel keeps
 * them in its rewritten config file, which we never rewrite. requirepass from the YAML file is
 * applied to "default" after the file is read: the config wins for the one thing it names.
 * Deleting a user (or a LOAD that drops it) closes the connections logged in as that user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "sentinel/cmd_server_int.h"
#include "sentinel/state_file.h"

#define ACL_LOG_MAX 128
#define ACL_LOG_GROUP_MS 60000 /* equal refusals within a minute share one entry */
#define USERS_FILE_MAX (4u << 20)

struct acl_log_entry {
    long long count;
    const char *reason; /* "auth", "command", "channel" */
    char *object, *username, *client_info;
    int64_t ms; /* wall clock of the latest occurrence */
};

struct cmd_acl_state {
    struct acl_users *users;
    char *path;
    size_t n_log;
    struct acl_log_entry log[ACL_LOG_MAX]; /* newest first */
};

static bool eq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

static int64_t wall_ms(void) { return clock_wall_ms(); }

/* ---- the log -------------------------------------------------------------------------------- */

static void log_entry_free(struct acl_log_entry *e)
{
    free(e->object);
    free(e->username);
    free(e->client_info);
}

static void acl_log_add(struct client *c, const char *reason, const char *object,
                        const char *username)
{
    struct cmd_acl_state *s = c->srv->acl;
    struct buf info = {0};
    client_describe(c, &info);
    if (info.len > 0 && info.data[info.len - 1] == '\n') info.len--;
    int64_t now = wall_ms();
    size_t at = s->n_log;
    for (size_t i = 0; i < s->n_log && at == s->n_log; i++) {
        struct acl_log_entry *e = &s->log[i];
        if (e->reason == reason && strcmp(e->object, object) == 0 &&
            strcmp(e->username, username) == 0 && now - e->ms < ACL_LOG_GROUP_MS)
            at = i;
    }
    struct acl_log_entry e = {1, reason, NULL, NULL, NULL, now};
    if (at < s->n_log) {
        e = s->log[at];
        e.count++;
        e.ms = now;
        free(e.client_info);
        memmove(&s->log[1], &s->log[0], at * sizeof(e));
    } else {
        e.object = xstrdup(object);
        e.username = xstrdup(username);
        if (s->n_log == ACL_LOG_MAX) log_entry_free(&s->log[--s->n_log]);
        memmove(&s->log[1], &s->log[0], s->n_log * sizeof(e));
        s->n_log++;
    }
    e.client_info = xstrndup(info.data ? info.data : "", info.len);
    s->log[0] = e;
    buf_free(&info);
}

static void acl_log_reset(struct cmd_acl_state *s)
{
    for (size_t i = 0; i < s->n_log; i++) log_entry_free(&s->log[i]);
    s->n_log = 0;
}

/* ---- the users file ------------------------------------------------------------------------- */

static void users_text(const struct acl_users *u, struct buf *out)
{
    for (size_t i = 0; i < acl_users_count(u); i++) {
        const struct acl_user *user = acl_users_at(u, i);
        buf_printf(out, "user %s ", acl_user_name(user));
        acl_user_describe(user, out);
        buf_append_char(out, '\n');
    }
}

static int users_save(struct cmd_acl_state *s, char *err, size_t errlen)
{
    if (s->path == NULL) return 0;
    struct buf b = {0};
    users_text(s->users, &b);
    int rc = state_file_write_text(s->path, b.data ? b.data : "", b.len, err, errlen);
    buf_free(&b);
    return rc;
}

/* One "user <name> <rules...>" line into t. */
static int users_apply_line(struct acl_users *t, char *line, char *err, size_t errlen)
{
    enum { LINE_WORDS_MAX = 512 };
    const char *words[LINE_WORDS_MAX];
    size_t lens[LINE_WORDS_MAX];
    int n = 0;
    for (char *save, *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        if (n == LINE_WORDS_MAX) { /* refuse rather than drop the rest of the user's rules */
            snprintf(err, errlen, "more than %d words in one user line", LINE_WORDS_MAX);
            return -1;
        }
        words[n] = w;
        lens[n++] = strlen(w);
    }
    if (n == 0) return 0;
    if (n < 2 || strcmp(words[0], "user") != 0) {
        snprintf(err, errlen, "expected 'user <name> <rules...>'");
        return -1;
    }
    /* Each line describes a whole user: start it from nothing, as Redis loads an ACL file. */
    const char *name = words[1];
    words[1] = "reset"; /* the rules are words[1..]: "reset" then the line's own */
    lens[1] = 5;
    char **rules;
    size_t *rlens;
    int m = acl_merge_rules(n - 1, words + 1, lens + 1, &rules, &rlens, err, errlen);
    if (m < 0) return -1;
    int rc = acl_users_setuser(t, name, m, (const char *const *)rules, rlens, err, errlen);
    acl_rules_free(rules, rlens, m);
    return rc;
}

/* A fresh table from the file (missing file: only "default"), or NULL with err. */
static struct acl_users *users_load(const char *path, char *err, size_t errlen)
{
    struct acl_users *t = acl_users_create(cmd_command_catalog());
    FILE *f = path ? fopen(path, "re") : NULL;
    if (f == NULL) return t;
    char *line = NULL;
    size_t cap = 0, total = 0;
    int lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        total += (size_t)n;
        char why[400];
        if (line[n - 1] == '\n') line[n - 1] = '\0';
        if (total > USERS_FILE_MAX || users_apply_line(t, line, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno,
                     total > USERS_FILE_MAX ? "file too large" : why);
            free(line);
            fclose(f);
            acl_users_destroy(t);
            return NULL;
        }
    }
    free(line);
    fclose(f);
    return t;
}

static void apply_requirepass(struct acl_users *t, const char *requirepass)
{
    if (requirepass == NULL) return;
    const char *rules[] = {"resetpass", NULL};
    size_t lens[] = {9, 0};
    char pw[600], err[256];
    snprintf(pw, sizeof(pw), ">%s", requirepass);
    rules[1] = pw;
    lens[1] = strlen(pw);
    if (acl_users_setuser(t, "default", 2, rules, lens, err, sizeof(err)) != 0)
        log_warning("requirepass: %s", err);
}

int cmd_acl_init(struct cmd_server *srv, const char *users_path, const char *requirepass, char *err,
                 size_t errlen)
{
    struct acl_users *t = users_load(users_path, err, errlen);
    if (t == NULL) return -1;
    apply_requirepass(t, requirepass);
    srv->acl = xcalloc(1, sizeof(*srv->acl));
    srv->acl->users = t;
    srv->acl->path = users_path ? xstrdup(users_path) : NULL;
    return 0;
}

void cmd_acl_free(struct cmd_server *srv)
{
    if (srv->acl == NULL) return;
    acl_log_reset(srv->acl);
    acl_users_destroy(srv->acl->users);
    free(srv->acl->path);
    free(srv->acl);
    srv->acl = NULL;
}

bool cmd_acl_default_nopass(const struct cmd_server *srv)
{
    const struct acl_user *d = acl_users_find(srv->acl->users, "default");
    return d && acl_user_is_enabled(d) && acl_user_has_nopass(d);
}

bool cmd_acl_user_exists(const struct cmd_server *srv, const char *user, size_t ulen)
{
    char name[ACL_USERNAME_MAX + 1];
    if (ulen > ACL_USERNAME_MAX || memchr(user, '\0', ulen)) return false;
    memcpy(name, user, ulen);
    name[ulen] = '\0';
    return acl_users_find(srv->acl->users, name) != NULL;
}

/* ---- authentication and checks -------------------------------------------------------------- */

int cmd_acl_authenticate(struct client *c, const char *user, size_t ulen, const char *pass,
                         size_t plen)
{
    char name[ACL_USERNAME_MAX + 1];
    snprintf(name, sizeof(name), "%.*s", (int)MIN(ulen, ACL_USERNAME_MAX), user);
    const struct acl_user *u =
        strlen(name) == ulen ? acl_users_find(c->srv->acl->users, name) : NULL;
    if (u == NULL || !acl_user_password_ok(u, pass, plen)) {
        acl_log_add(c, "auth", "AUTH", name);
        reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
        return -1;
    }
    snprintf(c->user, sizeof(c->user), "%s", name);
    c->conn.flags |= CONN_AUTHENTICATED;
    return 0;
}

static bool is_pubsub_command(const char *name, bool *patterns)
{
    *patterns = strcmp(name, "psubscribe") == 0;
    return *patterns || strcmp(name, "subscribe") == 0 || strcmp(name, "publish") == 0;
}

/* Why a command may not run for user u, or NULL; *object is what the log names. */
static const char *refusal(const struct acl_user *u, const struct cmd_def *d,
                           const struct cmd_args *a, char *object, size_t cap)
{
    if (d->flags & CMD_NOAUTH) return NULL; /* AUTH and HELLO stay reachable, as in Redis */
    bool container = (d->flags & CMD_CONTAINER) != 0;
    long idx = cmd_command_catalog_index(d->name, container && a->argc > 1 ? a->argv[1] : NULL);
    if (idx < 0) return NULL; /* not listed (QUIT) or an unknown subcommand: dispatch answers */
    snprintf(object, cap, "%s", cmd_command_catalog()->cmds[idx].name);
    bool patterns = false;
    int nch = 0;
    if (is_pubsub_command(d->name, &patterns))
        nch = strcmp(d->name, "publish") == 0 ? 1 : a->argc - 1;
    const char *arg = !container && a->argc > 1 ? a->argv[1] : NULL;
    enum acl_verdict v = acl_user_check(u, (size_t)idx, arg, arg ? a->len[1] : 0, nch,
                                        (const char *const *)a->argv + 1, a->len + 1, patterns);
    if (v == ACL_ALLOWED) return NULL;
    if (v == ACL_DENIED_COMMAND) return "command";
    for (int i = 1; i <= nch; i++) { /* name the first channel refused */
        const char *one[] = {a->argv[i]};
        if (acl_user_check(u, (size_t)idx, arg, 0, 1, one, &a->len[i], patterns) != ACL_ALLOWED) {
            snprintf(object, cap, "%s", a->argv[i]);
            break;
        }
    }
    return "channel";
}

int cmd_acl_check(struct client *c, const struct cmd_def *d, const struct cmd_args *a)
{
    const struct acl_user *u = acl_users_find(c->srv->acl->users, c->user);
    char object[160] = "";
    const char *why = u ? refusal(u, d, a, object, sizeof(object)) : "command";
    if (why == NULL) return 0;
    acl_log_add(c, why, object[0] ? object : d->name, c->user);
    if (strcmp(why, "channel") == 0)
        reply_error(c, "NOPERM this user has no permissions to access one of the channels used "
                       "as arguments");
    else
        reply_errorf(c, "NOPERM this user has no permissions to run the '%s' command",
                     object[0] ? object : d->name);
    return -1;
}

/* Connections logged in as a user that no longer exists are closed (the caller after its
 * reply). */
static void close_orphans(struct client *caller)
{
    struct cmd_server *srv = caller->srv;
    for (struct client *c = client_first(srv); c; c = client_next(c)) {
        if ((c->conn.flags & CONN_CLOSE_ASAP) || acl_users_find(srv->acl->users, c->user)) continue;
        if (c == caller)
            c->conn.flags |= CONN_CLOSE_AFTER_REPLY;
        else
            client_close(c);
    }
}

/* ---- ACL subcommands ------------------------------------------------------------------------ */

static void reply_saved(struct client *c)
{
    char err[400];
    if (users_save(c->srv->acl, err, sizeof(err)) == 0) {
        reply_simple(c, "OK");
        return;
    }
    log_warning("cannot save ACL users: %s", err);
    reply_errorf(c, "ERR The users were changed but could not be saved: %s", err);
}

static void acl_setuser(struct client *c, const struct cmd_args *a)
{
    if (memchr(a->argv[2], ' ', a->len[2]) || strlen(a->argv[2]) != a->len[2]) {
        reply_error(c, "ERR Usernames can't contain spaces or null characters");
        return;
    }
    if (a->len[2] > ACL_USERNAME_MAX) {
        reply_errorf(c, "ERR Usernames are limited to %d bytes", ACL_USERNAME_MAX);
        return;
    }
    char err[700], **rules;
    size_t *lens;
    int n = acl_merge_rules(a->argc - 3, (const char *const *)a->argv + 3, a->len + 3, &rules,
                            &lens, err, sizeof(err));
    int rc = n < 0 ? -1
                   : acl_users_setuser(c->srv->acl->users, a->argv[2], n,
                                       (const char *const *)rules, lens, err, sizeof(err));
    if (n >= 0) acl_rules_free(rules, lens, n);
    if (rc != 0) {
        reply_errorf(c, "ERR %s", err);
        return;
    }
    reply_saved(c);
}

static void reply_text_buf(struct client *c, struct buf *b)
{
    reply_bulk(c, b->data ? b->data : "", b->len);
    buf_clear(b);
}

static void getuser_selector(struct client *c, const struct acl_user *u, size_t sel)
{
    struct buf b = {0};
    reply_bulk_str(c, "commands");
    acl_user_describe_commands(u, sel, &b);
    reply_text_buf(c, &b);
    reply_bulk_str(c, "keys");
    acl_user_describe_keys(u, sel, &b);
    reply_text_buf(c, &b);
    reply_bulk_str(c, "channels");
    acl_user_describe_channels(u, sel, &b);
    reply_text_buf(c, &b);
    buf_free(&b);
}

static void acl_getuser(struct client *c, const struct cmd_args *a)
{
    const struct acl_user *u = acl_users_find(c->srv->acl->users, a->argv[2]);
    if (u == NULL) {
        reply_null(c);
        return;
    }
    reply_map(c, 6);
    const char *words[8];
    size_t nw = acl_user_flag_words(u, words, ARRAY_LEN(words));
    reply_bulk_str(c, "flags");
    reply_array(c, nw);
    for (size_t i = 0; i < nw; i++) reply_bulk_str(c, words[i]);
    reply_bulk_str(c, "passwords");
    reply_array(c, acl_user_password_count(u));
    for (size_t i = 0; i < acl_user_password_count(u); i++)
        reply_bulk_str(c, acl_user_password_at(u, i));
    getuser_selector(c, u, 0);
    reply_bulk_str(c, "selectors");
    reply_array(c, acl_user_selector_count(u) - 1);
    for (size_t i = 1; i < acl_user_selector_count(u); i++) {
        reply_map(c, 3);
        getuser_selector(c, u, i);
    }
}

static void acl_deluser(struct client *c, const struct cmd_args *a)
{
    for (int i = 2; i < a->argc; i++) {
        if (strcmp(a->argv[i], "default") == 0) {
            reply_error(c, "ERR The 'default' user cannot be removed");
            return;
        }
    }
    long long n = 0;
    for (int i = 2; i < a->argc; i++) n += acl_users_deluser(c->srv->acl->users, a->argv[i]);
    if (n > 0) {
        char err[400];
        if (users_save(c->srv->acl, err, sizeof(err)) != 0)
            log_warning("cannot save ACL users: %s", err);
        close_orphans(c);
    }
    reply_integer(c, n);
}

static void acl_list(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    const struct acl_users *t = c->srv->acl->users;
    reply_array(c, acl_users_count(t));
    struct buf b = {0};
    for (size_t i = 0; i < acl_users_count(t); i++) {
        buf_printf(&b, "user %s ", acl_user_name(acl_users_at(t, i)));
        acl_user_describe(acl_users_at(t, i), &b);
        reply_text_buf(c, &b);
    }
    buf_free(&b);
}

static void acl_users_cmd(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    const struct acl_users *t = c->srv->acl->users;
    reply_array(c, acl_users_count(t));
    for (size_t i = 0; i < acl_users_count(t); i++)
        reply_bulk_str(c, acl_user_name(acl_users_at(t, i)));
}

static void acl_whoami(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_bulk_str(c, c->user);
}

static void acl_cat(struct client *c, const struct cmd_args *a)
{
    if (a->argc == 2) {
        reply_array(c, ACL_CATEGORY_COUNT);
        for (int i = 0; i < ACL_CATEGORY_COUNT; i++) reply_bulk_str(c, acl_category_names[i]);
        return;
    }
    int cat = acl_category_find(a->argv[2]);
    if (cat < 0) {
        reply_errorf(c, "ERR Unknown category '%.128s'", a->argv[2]);
        return;
    }
    const struct acl_catalog *k = cmd_command_catalog();
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++) n += (k->cmds[i].categories >> cat) & 1u;
    reply_array(c, n);
    for (size_t i = 0; i < k->n; i++)
        if ((k->cmds[i].categories >> cat) & 1u) reply_bulk_str(c, k->cmds[i].name);
}

static void acl_genpass(struct client *c, const struct cmd_args *a)
{
    long long bits = 256;
    if (a->argc == 3 && util_parse_ll(a->argv[2], a->len[2], &bits) != 0) {
        reply_error(c, "ERR value is not an integer or out of range");
        return;
    }
    if (bits <= 0 || bits > 4096) {
        reply_error(c, "ERR ACL GENPASS argument must be the number of bits for the output "
                       "password, a positive number up to 4096");
        return;
    }
    unsigned char raw[512];
    size_t chars = (size_t)(bits + 3) / 4, bytes = (chars + 1) / 2;
    if (getrandom(raw, bytes, 0) != (ssize_t)bytes) {
        reply_error(c, "ERR cannot read random bytes");
        return;
    }
    char hex[1025];
    for (size_t i = 0; i < bytes; i++) snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    reply_bulk(c, hex, chars);
}

static void acl_log_cmd(struct client *c, const struct cmd_args *a)
{
    struct cmd_acl_state *s = c->srv->acl;
    long long count = 10;
    if (a->argc == 3 && eq(a->argv[2], "reset")) {
        acl_log_reset(s);
        reply_simple(c, "OK");
        return;
    }
    if (a->argc == 3 && util_parse_ll(a->argv[2], a->len[2], &count) != 0) {
        reply_error(c, "ERR value is not an integer or out of range");
        return;
    }
    if (a->argc > 3) {
        reply_errorf(c,
                     "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try ACL "
                     "HELP.",
                     a->argv[1]);
        return;
    }
    size_t n = count < 0 ? 0 : MIN((size_t)count, s->n_log);
    int64_t now = wall_ms();
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) {
        const struct acl_log_entry *e = &s->log[i];
        reply_map(c, 7);
        reply_bulk_str(c, "count");
        reply_integer(c, e->count);
        reply_bulk_str(c, "reason");
        reply_bulk_str(c, e->reason);
        reply_bulk_str(c, "context");
        reply_bulk_str(c, "toplevel");
        reply_bulk_str(c, "object");
        reply_bulk_str(c, e->object);
        reply_bulk_str(c, "username");
        reply_bulk_str(c, e->username);
        reply_bulk_str(c, "age-seconds");
        resp_write_double(&c->conn.reply, c->conn.proto, (double)(now - e->ms) / 1000.0);
        reply_bulk_str(c, "client-info");
        reply_bulk_str(c, e->client_info);
    }
}

static void acl_dryrun(struct client *c, const struct cmd_args *a)
{
    const struct acl_user *u = acl_users_find(c->srv->acl->users, a->argv[2]);
    if (u == NULL) {
        reply_errorf(c, "ERR User '%.128s' not found", a->argv[2]);
        return;
    }
    const struct cmd_def *d = cmd_table_lookup(a->argv[3]);
    bool sub_ok = d && (!(d->flags & CMD_CONTAINER) || a->argc < 5 ||
                        cmd_command_catalog_index(d->name, a->argv[4]) >= 0);
    if (d == NULL || cmd_command_catalog_index(d->name, NULL) < 0 || !sub_ok) {
        reply_errorf(c, "ERR Command '%.128s' not found", a->argv[3]);
        return;
    }
    struct cmd_args sub = {a->argc - 3, a->argv + 3, a->len + 3, a->raw + 3};
    if ((d->arity > 0 && sub.argc != d->arity) || (d->arity < 0 && sub.argc < -d->arity)) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", d->name);
        return;
    }
    char object[160] = "";
    const char *why = refusal(u, d, &sub, object, sizeof(object));
    char msg[300];
    if (why == NULL) {
        reply_simple(c, "OK");
        return;
    }
    if (strcmp(why, "channel") == 0)
        snprintf(msg, sizeof(msg), "This user has no permissions to access the '%s' channel",
                 object);
    else
        snprintf(msg, sizeof(msg), "This user has no permissions to run the '%s' command", object);
    reply_bulk_str(c, msg);
}

static void acl_save(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_saved(c);
}

static void acl_load(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    struct cmd_acl_state *s = c->srv->acl;
    char err[600];
    struct acl_users *t = users_load(s->path, err, sizeof(err));
    if (t == NULL) {
        reply_errorf(c, "ERR Error loading ACLs, the user list was not changed: %s", err);
        return;
    }
    apply_requirepass(t, c->srv->requirepass);
    acl_users_destroy(s->users);
    s->users = t;
    close_orphans(c);
    reply_simple(c, "OK");
}

static const char *const acl_help_lines[] = {
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    The command categories, or the commands of one.",
    "DELUSER <username> [<username> ...]",
    "    Remove users and close their connections.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Whether the user could run the command now.",
    "GETUSER <username>",
    "    A user's flags, passwords (hashed), commands, keys, channels and selectors.",
    "GENPASS [<bits>]",
    "    A random password of 256 bits, or of the bits given, in hex.",
    "LIST",
    "    Every user as a rule line.",
    "LOAD",
    "    Read the users file again (sentinel-users.acl in dir).",
    "LOG [<count> | RESET]",
    "    Recent refusals (commands, channels, logins), newest first.",
    "SAVE",
    "    Write the users file now (every change is written anyway).",
    "SETUSER <username> <rule> [<rule> ...]",
    "    Create a user or change its rules.",
    "USERS",
    "    The user names.",
    "WHOAMI",
    "    The user of this connection.",
    "HELP",
    "    This text.",
};

static void acl_help(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    reply_simple_lines(c, acl_help_lines, ARRAY_LEN(acl_help_lines));
}

static const struct cmd_def acl_subs[] = {
    {"setuser", -3, 0, acl_setuser}, {"getuser", 3, 0, acl_getuser},
    {"deluser", -3, 0, acl_deluser}, {"list", 2, 0, acl_list},
    {"users", 2, 0, acl_users_cmd},  {"whoami", 2, 0, acl_whoami},
    {"cat", -2, 0, acl_cat},         {"genpass", -2, 0, acl_genpass},
    {"log", -2, 0, acl_log_cmd},     {"dryrun", -4, 0, acl_dryrun},
    {"save", 2, 0, acl_save},        {"load", 2, 0, acl_load},
    {"help", 2, 0, acl_help},
};

size_t cmd_acl_subcommands(const struct cmd_def **out)
{
    *out = acl_subs;
    return ARRAY_LEN(acl_subs);
}

void cmd_acl(struct client *c, const struct cmd_args *a)
{
    cmd_run_subcommand(c, a, "acl", acl_subs, ARRAY_LEN(acl_subs));
}
