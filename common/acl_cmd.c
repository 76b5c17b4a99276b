/* acl_cmd: the ACL command, the ACL LOG and the users file (see acl_cmd.h). */
#include "common/acl_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/conn_cmd.h"
#include "common/log.h"
#include "common/reply.h"
#include "common/resp.h"
#include "common/util.h"

#define ACL_LOG_GROUP_MS 60000 /* equal refusals within a minute share one entry */
#define USERS_FILE_MAX (4u << 20)
#define ARG_MAX_COPY 4096 /* a user name or a subcommand word copied for the table's API */

struct acl_log_entry {
    long long count;
    const char *reason, *context; /* static words */
    char *object, *username, *client_info;
    int64_t ms; /* wall clock of the latest occurrence */
};

static struct client *cl(struct conn *c) { return conn_client(c); }

/* argv[i] as a C string in buf; false if it does not fit or holds a NUL. */
static bool arg_cstr(const struct resp_arg *a, char *buf, size_t cap)
{
    if (a->len >= cap || memchr(a->ptr, '\0', a->len)) return false;
    memcpy(buf, a->ptr, a->len);
    buf[a->len] = '\0';
    return true;
}

/* ---- the log -------------------------------------------------------------------------------- */

static void log_entry_free(struct acl_log_entry *e)
{
    free(e->object);
    free(e->username);
    free(e->client_info);
}

static void log_reset(struct acl_state *s)
{
    for (size_t i = 0; i < s->n_log; i++) log_entry_free(&s->log[i]);
    s->n_log = 0;
}

void acl_log_set_max(struct acl_state *s, size_t max)
{
    while (s->n_log > max) log_entry_free(&s->log[--s->n_log]);
    s->log_max = max;
}

static long log_find(const struct acl_state *s, const char *reason, const char *context,
                     const char *object, const char *username, int64_t now)
{
    for (size_t i = 0; i < s->n_log; i++) {
        const struct acl_log_entry *e = &s->log[i];
        if (e->reason == reason && e->context == context && strcmp(e->object, object) == 0 &&
            strcmp(e->username, username) == 0 && now - e->ms < ACL_LOG_GROUP_MS)
            return (long)i;
    }
    return -1;
}

void acl_log_add(struct acl_state *s, struct conn *c, const char *reason, const char *context,
                 const char *object, const char *username)
{
    if (s->log_max == 0) return;
    struct buf info = {0};
    if (c->set && c->set->ops->describe) c->set->ops->describe(c, &info);
    int64_t now = clock_wall_ms();
    long at = log_find(s, reason, context, object, username, now);
    struct acl_log_entry e = {1, reason, context, NULL, NULL, NULL, now};
    if (at >= 0) {
        e = s->log[at];
        e.count++;
        e.ms = now;
        free(e.client_info);
        memmove(&s->log[1], &s->log[0], (size_t)at * sizeof(e));
    } else {
        e.object = xstrndup(object, MIN(strlen(object), ACL_OBJECT_MAX));
        e.username = xstrdup(username);
        if (s->n_log == s->log_max) log_entry_free(&s->log[--s->n_log]);
        s->log = xrealloc(s->log, (s->n_log + 1) * sizeof(*s->log));
        memmove(&s->log[1], &s->log[0], s->n_log * sizeof(e));
        s->n_log++;
    }
    e.client_info = xstrndup(info.data ? info.data : "", info.len);
    s->log[0] = e;
    buf_free(&info);
}

const char *acl_reason_word(enum acl_verdict v)
{
    return v == ACL_DENIED_KEY ? "key" : v == ACL_DENIED_CHANNEL ? "channel" : "command";
}

void acl_reply_noperm(struct conn *c, const struct acl_refusal *r)
{
    if (r->verdict == ACL_DENIED_KEY)
        reply_error(cl(c), "NOPERM this user has no permissions to access one of the keys used "
                           "as arguments");
    else if (r->verdict == ACL_DENIED_CHANNEL)
        reply_error(cl(c), "NOPERM this user has no permissions to access one of the channels "
                           "used as arguments");
    else
        reply_errorf(cl(c), "NOPERM this user has no permissions to run the '%s' command",
                     r->object);
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

static int users_save(const struct acl_state *s, char *err, size_t errlen)
{
    struct buf b = {0};
    users_text(s->users, &b);
    int rc = atomic_file_write(s->path, b.data ? b.data : "", b.len, 0600, err, errlen);
    buf_free(&b);
    return rc;
}

/* One "user <name> <rules...>" line into t; blank lines and "#" comments are skipped. */
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
    if (n == 0 || words[0][0] == '#') return 0;
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
static struct acl_users *users_load(const struct acl_catalog *cat, const char *path, char *err,
                                    size_t errlen)
{
    struct acl_users *t = acl_users_create(cat);
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
    char pw[600], err[256];
    snprintf(pw, sizeof(pw), ">%s", requirepass);
    const char *rules[] = {"resetpass", requirepass[0] ? pw : "nopass"};
    size_t lens[] = {9, strlen(rules[1])};
    if (acl_users_setuser(t, "default", 2, rules, lens, err, sizeof(err)) != 0)
        log_warning("requirepass: %s", err);
}

int acl_state_init(struct acl_state *s, const struct acl_catalog *cat, const struct acl_host *host,
                   const char *path, const char *requirepass, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->catalog = cat;
    s->host = host;
    s->log_max = 128;
    s->users = users_load(cat, path, err, errlen);
    if (s->users == NULL) return -1;
    s->path = path ? xstrdup(path) : NULL;
    s->requirepass = requirepass ? xstrdup(requirepass) : NULL;
    apply_requirepass(s->users, s->requirepass);
    return 0;
}

void acl_state_free(struct acl_state *s)
{
    log_reset(s);
    free(s->log);
    acl_users_destroy(s->users);
    free(s->path);
    free(s->requirepass);
    memset(s, 0, sizeof(*s));
}

int acl_state_load(struct acl_state *s, char *err, size_t errlen)
{
    struct acl_users *t = users_load(s->catalog, s->path, err, errlen);
    if (t == NULL) return -1;
    apply_requirepass(t, s->requirepass);
    acl_users_destroy(s->users);
    s->users = t;
    s->generation++;
    return 0;
}

int acl_state_apply_lines(struct acl_state *s, const char *const *lines, size_t n, char *err,
                          size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char *line = xstrdup(lines[i]), why[400];
        int rc = users_apply_line(s->users, line, why, sizeof(why));
        free(line);
        if (rc != 0) {
            snprintf(err, errlen, "user line %zu: %s", i + 1, why);
            return -1;
        }
    }
    apply_requirepass(s->users, s->requirepass);
    return 0;
}

void acl_state_set_requirepass(struct acl_state *s, const char *pass)
{
    free(s->requirepass);
    s->requirepass = xstrdup(pass);
    apply_requirepass(s->users, s->requirepass);
}

/* ---- authentication ------------------------------------------------------------------------- */

const struct acl_user *acl_state_authenticate(struct acl_state *s, struct conn *c, const char *user,
                                              size_t ulen, const char *pass, size_t plen)
{
    char name[ACL_USERNAME_MAX + 1];
    snprintf(name, sizeof(name), "%.*s", (int)MIN(ulen, ACL_USERNAME_MAX), user);
    const struct acl_user *u = strlen(name) == ulen ? acl_users_find(s->users, name) : NULL;
    if (u == NULL || !acl_user_password_ok(u, pass, plen)) {
        acl_log_add(s, c, "auth", "toplevel", "AUTH", name);
        reply_error(cl(c), "WRONGPASS invalid username-password pair or user is disabled.");
        return NULL;
    }
    return u;
}

void acl_close_orphans(struct acl_state *s, struct conn *caller, bool every_named)
{
    const struct conn_ops *ops = caller->set->ops;
    for (struct conn *c = caller->set->head; c; c = c->next) {
        if ((c->flags & (CONN_CLOSE_ASAP | CONN_FAKE)) || ops->user_of == NULL) continue;
        const char *user = ops->user_of(c);
        bool keep =
            every_named ? strcmp(user, "default") == 0 : acl_users_find(s->users, user) != NULL;
        if (keep) continue;
        if (c == caller)
            c->flags |= CONN_CLOSE_AFTER_REPLY;
        else
            conn_close_async(c);
    }
}

/* ---- ACL subcommands ------------------------------------------------------------------------ */

static void reply_changed(struct conn *c, struct acl_state *s)
{
    char err[400];
    if (!s->host->save_every_change || s->path == NULL || users_save(s, err, sizeof(err)) == 0) {
        reply_ok(cl(c));
        return;
    }
    log_warning("cannot save ACL users: %s", err);
    reply_errorf(cl(c), "ERR The users were changed but could not be saved: %s", err);
}

void acl_cmd_setuser(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    char name[ACL_USERNAME_MAX + 1];
    if (memchr(argv[2].ptr, ' ', argv[2].len) || memchr(argv[2].ptr, '\0', argv[2].len)) {
        reply_error(cl(c), "ERR Usernames can't contain spaces or null characters");
        return;
    }
    if (!arg_cstr(&argv[2], name, sizeof(name))) {
        reply_errorf(cl(c), "ERR Usernames are limited to %d bytes", ACL_USERNAME_MAX);
        return;
    }
    size_t nr = argc - 3;
    const char **words = xcalloc(nr + 1, sizeof(*words));
    size_t *lens = xcalloc(nr + 1, sizeof(*lens));
    for (size_t i = 0; i < nr; i++) {
        words[i] = argv[3 + i].ptr;
        lens[i] = argv[3 + i].len;
    }
    char err[700], **rules;
    size_t *rlens;
    int n = acl_merge_rules((int)nr, words, lens, &rules, &rlens, err, sizeof(err));
    free(words);
    free(lens);
    int rc = n < 0 ? -1
                   : acl_users_setuser(s->users, name, n, (const char *const *)rules, rlens, err,
                                       sizeof(err));
    if (n >= 0) acl_rules_free(rules, rlens, n);
    if (rc != 0) {
        reply_errorf(cl(c), "ERR %s", err);
        return;
    }
    reply_changed(c, s);
    if (s->host->after_setuser) s->host->after_setuser(c, acl_users_find(s->users, name));
}

static void reply_text_buf(struct conn *c, struct buf *b)
{
    reply_bulk(cl(c), b->data ? b->data : "", b->len);
    buf_clear(b);
}

static void getuser_selector(struct conn *c, const struct acl_user *u, size_t sel)
{
    struct buf b = {0};
    reply_bulk_str(cl(c), "commands");
    acl_user_describe_commands(u, sel, &b);
    reply_text_buf(c, &b);
    reply_bulk_str(cl(c), "keys");
    acl_user_describe_keys(u, sel, &b);
    reply_text_buf(c, &b);
    reply_bulk_str(cl(c), "channels");
    acl_user_describe_channels(u, sel, &b);
    reply_text_buf(c, &b);
    buf_free(&b);
}

static const struct acl_user *find_arg_user(struct acl_state *s, const struct resp_arg *a)
{
    char name[ACL_USERNAME_MAX + 1];
    return arg_cstr(a, name, sizeof(name)) ? acl_users_find(s->users, name) : NULL;
}

void acl_cmd_getuser(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    const struct acl_user *u = find_arg_user(s, &argv[2]);
    if (u == NULL) {
        reply_null(cl(c));
        return;
    }
    reply_map(cl(c), 6);
    const char *words[8];
    size_t nw = acl_user_flag_words(u, words, ARRAY_LEN(words));
    reply_bulk_str(cl(c), "flags");
    reply_array(cl(c), nw);
    for (size_t i = 0; i < nw; i++) reply_bulk_str(cl(c), words[i]);
    reply_bulk_str(cl(c), "passwords");
    reply_array(cl(c), acl_user_password_count(u));
    for (size_t i = 0; i < acl_user_password_count(u); i++)
        reply_bulk_str(cl(c), acl_user_password_at(u, i));
    getuser_selector(c, u, 0);
    reply_bulk_str(cl(c), "selectors");
    reply_array(cl(c), acl_user_selector_count(u) - 1);
    for (size_t i = 1; i < acl_user_selector_count(u); i++) {
        reply_map(cl(c), 3);
        getuser_selector(c, u, i);
    }
}

void acl_cmd_deluser(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    for (size_t i = 2; i < argc; i++) {
        if (argv[i].len == 7 && memcmp(argv[i].ptr, "default", 7) == 0) {
            reply_error(cl(c), "ERR The 'default' user cannot be removed");
            return;
        }
    }
    long long n = 0;
    for (size_t i = 2; i < argc; i++) {
        char name[ACL_USERNAME_MAX + 1];
        if (arg_cstr(&argv[i], name, sizeof(name))) n += acl_users_deluser(s->users, name);
    }
    if (n > 0) {
        char err[400];
        if (s->host->save_every_change && s->path && users_save(s, err, sizeof(err)) != 0)
            log_warning("cannot save ACL users: %s", err);
        acl_close_orphans(s, c, false);
    }
    reply_integer(cl(c), n);
}

void acl_cmd_list(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    reply_array(cl(c), acl_users_count(s->users));
    struct buf b = {0};
    for (size_t i = 0; i < acl_users_count(s->users); i++) {
        buf_printf(&b, "user %s ", acl_user_name(acl_users_at(s->users, i)));
        acl_user_describe(acl_users_at(s->users, i), &b);
        reply_text_buf(c, &b);
    }
    buf_free(&b);
}

void acl_cmd_users(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    reply_array(cl(c), acl_users_count(s->users));
    for (size_t i = 0; i < acl_users_count(s->users); i++)
        reply_bulk_str(cl(c), acl_user_name(acl_users_at(s->users, i)));
}

void acl_cmd_whoami(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    UNUSED(s);
    UNUSED(argc);
    UNUSED(argv);
    const struct conn_ops *ops = c->set ? c->set->ops : NULL;
    reply_bulk_str(cl(c), ops && ops->user_of ? ops->user_of(c) : "default");
}

void acl_cmd_cat(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    if (argc == 2) {
        reply_array(cl(c), ACL_CATEGORY_COUNT);
        for (int i = 0; i < ACL_CATEGORY_COUNT; i++) reply_bulk_str(cl(c), acl_category_names[i]);
        return;
    }
    char name[64];
    int cat = arg_cstr(&argv[2], name, sizeof(name)) ? acl_category_find(name) : -1;
    if (cat < 0) {
        reply_errorf(cl(c), "ERR Unknown category '%.*s'", (int)MIN(argv[2].len, 128), argv[2].ptr);
        return;
    }
    const struct acl_catalog *k = s->catalog;
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++) n += (k->cmds[i].categories >> cat) & 1u;
    reply_array(cl(c), n);
    for (size_t i = 0; i < k->n; i++)
        if ((k->cmds[i].categories >> cat) & 1u) reply_bulk_str(cl(c), k->cmds[i].name);
}

void acl_cmd_genpass(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    UNUSED(s);
    long long bits = 256;
    if (argc == 3 && util_parse_ll(argv[2].ptr, argv[2].len, &bits) != 0) {
        reply_error(cl(c), "ERR value is not an integer or out of range");
        return;
    }
    if (bits <= 0 || bits > 4096) {
        reply_error(cl(c), "ERR ACL GENPASS argument must be the number of bits for the output "
                           "password, a positive number up to 4096");
        return;
    }
    unsigned char raw[512];
    size_t chars = (size_t)(bits + 3) / 4, bytes = (chars + 1) / 2;
    if (getrandom(raw, bytes, 0) != (ssize_t)bytes) {
        reply_error(cl(c), "ERR cannot read random bytes");
        return;
    }
    char hex[1025];
    for (size_t i = 0; i < bytes; i++) snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    reply_bulk(cl(c), hex, chars);
}

static void reply_log_entry(struct conn *c, const struct acl_log_entry *e, int64_t now)
{
    reply_map(cl(c), 7);
    reply_bulk_str(cl(c), "count");
    reply_integer(cl(c), e->count);
    reply_bulk_str(cl(c), "reason");
    reply_bulk_str(cl(c), e->reason);
    reply_bulk_str(cl(c), "context");
    reply_bulk_str(cl(c), e->context);
    reply_bulk_str(cl(c), "object");
    reply_bulk_str(cl(c), e->object);
    reply_bulk_str(cl(c), "username");
    reply_bulk_str(cl(c), e->username);
    reply_bulk_str(cl(c), "age-seconds");
    reply_double(cl(c), (double)(now - e->ms) / 1000.0);
    reply_bulk_str(cl(c), "client-info");
    reply_bulk_str(cl(c), e->client_info);
}

void acl_cmd_log(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    long long count = 10;
    if (argc == 3 && util_eq_nocase(argv[2].ptr, argv[2].len, "reset")) {
        log_reset(s);
        reply_ok(cl(c));
        return;
    }
    if (argc == 3 && util_parse_ll(argv[2].ptr, argv[2].len, &count) != 0) {
        reply_error(cl(c), "ERR value is not an integer or out of range");
        return;
    }
    if (argc > 3) {
        reply_errorf(cl(c),
                     "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try ACL "
                     "HELP.",
                     (int)MIN(argv[1].len, 128), argv[1].ptr);
        return;
    }
    size_t n = count < 0 ? 0 : MIN((size_t)count, s->n_log);
    int64_t now = clock_wall_ms();
    reply_array(cl(c), n);
    for (size_t i = 0; i < n; i++) reply_log_entry(c, &s->log[i], now);
}

void acl_cmd_dryrun(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    const struct acl_user *u = find_arg_user(s, &argv[2]);
    if (u == NULL) {
        reply_errorf(cl(c), "ERR User '%.*s' not found", (int)MIN(argv[2].len, 128), argv[2].ptr);
        return;
    }
    struct acl_refusal r = {0};
    char err[400];
    if (s->host->dryrun(u, argc - 3, argv + 3, &r, err, sizeof(err)) != 0) {
        reply_errorf(cl(c), "ERR %s", err);
        return;
    }
    if (r.verdict == ACL_ALLOWED) {
        reply_ok(cl(c));
        return;
    }
    char msg[400];
    if (r.verdict == ACL_DENIED_COMMAND)
        snprintf(msg, sizeof(msg), "This user has no permissions to run the '%s' command",
                 r.object);
    else
        snprintf(msg, sizeof(msg), "This user has no permissions to access the '%s' %s", r.object,
                 acl_reason_word(r.verdict));
    reply_bulk_str(cl(c), msg);
}

static bool has_file(struct conn *c, const struct acl_state *s)
{
    if (s->path) return true;
    reply_error(cl(c), "ERR This Redis instance is not configured to use an ACL file. You may "
                       "want to specify users via the ACL SETUSER command and then issue a CONFIG "
                       "REWRITE (assuming you have a Redis configuration file set) in order to "
                       "store users in the Redis configuration.");
    return false;
}

void acl_cmd_save(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    if (!has_file(c, s)) return;
    char err[400];
    if (users_save(s, err, sizeof(err)) != 0) {
        log_warning("cannot save ACL users: %s", err);
        reply_error(cl(c), "ERR There was an error trying to save the ACLs. Please check the "
                           "server logs for more information");
        return;
    }
    reply_ok(cl(c));
}

void acl_cmd_load(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    if (!has_file(c, s)) return;
    char err[600];
    if (acl_state_load(s, err, sizeof(err)) != 0) {
        reply_errorf(cl(c), "ERR Error loading ACLs, the user list was not changed: %s", err);
        return;
    }
    acl_close_orphans(s, c, true); /* as Redis 7.0: every named user's clients, changed or not */
    reply_ok(cl(c));
}

static const char *const acl_help_lines[] = {
    "ACL <subcommand> [<arg> ...]: users and what each may run. Subcommands:",
    "CAT [<category>]",
    "    The command categories, or the commands of one.",
    "DELUSER <user> [<user> ...]",
    "    Remove users and close their connections.",
    "DRYRUN <user> <cmd> [arg ...]",
    "    Whether the user could run the command now.",
    "GETUSER <username>",
    "    A user's flags, passwords (hashed), commands, keys, channels and selectors.",
    "GENPASS [<bits>]",
    "    A random password of 256 bits, or of the bits given, in hex.",
    "LIST",
    "    Every user as a rule line.",
    "LOAD",
    NULL, /* the program's own words about its users file */
    "LOG [<count> | RESET]",
    "    Recent refusals (commands, keys, channels, logins), newest first.",
    "SAVE",
    "    Write the users file now.",
    "SETUSER <username> <rule> [<rule> ...]",
    "    Create a user or change its rules.",
    "USERS",
    "    The user names.",
    "WHOAMI",
    "    The user of this connection.",
    "HELP",
    "    This text.",
};

void acl_cmd_help(struct conn *c, struct acl_state *s, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    const char *lines[ARRAY_LEN(acl_help_lines)];
    for (size_t i = 0; i < ARRAY_LEN(lines); i++)
        lines[i] = acl_help_lines[i] ? acl_help_lines[i] : s->host->load_help;
    reply_simple_lines(cl(c), lines, ARRAY_LEN(lines));
}

const struct acl_cmd_sub acl_cmd_subs[] = {
    {"setuser", -3, acl_cmd_setuser}, {"getuser", 3, acl_cmd_getuser},
    {"deluser", -3, acl_cmd_deluser}, {"list", 2, acl_cmd_list},
    {"users", 2, acl_cmd_users},      {"whoami", 2, acl_cmd_whoami},
    {"cat", -2, acl_cmd_cat},         {"genpass", -2, acl_cmd_genpass},
    {"log", -2, acl_cmd_log},         {"dryrun", -4, acl_cmd_dryrun},
    {"save", 2, acl_cmd_save},        {"load", 2, acl_cmd_load},
    {"help", 2, acl_cmd_help},
};
const size_t acl_cmd_nsubs = ARRAY_LEN(acl_cmd_subs);
