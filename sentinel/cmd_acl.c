/* cmd_acl: ACL users on the sentinel's command port, as Redis Sentinel 7.0 has them: AUTH
 * and HELLO AUTH with a user name, a permission check before every command (commands,
 * subcommands, first arguments, channels of SUBSCRIBE/PSUBSCRIBE/PUBLISH), the ACL LOG of
 * refusals, and the ACL subcommands. The rule language and the checks are common/acl.c's; the
 * ACL command, its log and the users file are common/acl_cmd.c's, shared with vigil-store.
 *
 * Users live in <dir>/sentinel-users.acl ("user <name> <rules>" lines, as ACL LIST prints
 * them), rewritten atomically after every change, so a restart keeps them; Redis Sentinel keeps
 * them in its rewritten config file, which we never rewrite. requirepass from the YAML file is
 * applied to "default" after the file is read: the config wins for the one thing it names.
 * ACL DELUSER closes the connections logged in as a deleted user, ACL LOAD those of every user
 * but "default" (as Redis 7.0). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "sentinel/cmd_server_int.h"
#include "common/acl_cmd.h"

static int sentinel_dryrun(const struct acl_user *u, size_t argc, const struct resp_arg *argv,
                           struct acl_refusal *r, char *err, size_t errlen);

static void sentinel_after_setuser(struct conn *caller, const struct acl_user *u);

static const struct acl_host sentinel_acl_host = {
    .dryrun = sentinel_dryrun,
    .after_setuser = sentinel_after_setuser,
    .save_every_change = true,
    .load_help = "    Read the users file again (sentinel-users.acl in dir).",
};

int cmd_acl_init(struct cmd_server *srv, const char *users_path, const char *requirepass, char *err,
                 size_t errlen)
{
    srv->acl = xcalloc(1, sizeof(*srv->acl));
    return acl_state_init(srv->acl, cmd_command_catalog(), &sentinel_acl_host, users_path,
                          requirepass, err, errlen);
}

void cmd_acl_free(struct cmd_server *srv)
{
    if (srv->acl == NULL) return;
    acl_state_free(srv->acl);
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
    const struct acl_user *u =
        acl_state_authenticate(c->srv->acl, &c->conn, user, ulen, pass, plen);
    if (u == NULL) return -1;
    snprintf(c->user, sizeof(c->user), "%s", acl_user_name(u));
    c->conn.flags |= CONN_AUTHENTICATED;
    return 0;
}

static bool is_pubsub_command(const char *name, bool *patterns)
{
    *patterns = strcmp(name, "psubscribe") == 0;
    return *patterns || strcmp(name, "subscribe") == 0 || strcmp(name, "publish") == 0;
}

/* Whether user u may run the command; r says why not (a sentinel has no keys). */
static void refusal(const struct acl_user *u, const struct cmd_def *d, const struct cmd_args *a,
                    struct acl_refusal *r)
{
    r->verdict = ACL_ALLOWED;
    if (d->flags & CMD_NOAUTH) return; /* AUTH and HELLO stay reachable, as in Redis */
    bool container = (d->flags & CMD_CONTAINER) != 0;
    long idx = cmd_command_catalog_index(d->name, container && a->argc > 1 ? a->argv[1] : NULL);
    if (idx < 0) return; /* not listed (QUIT) or an unknown subcommand: dispatch answers */
    bool patterns = false;
    size_t nch = 0;
    if (is_pubsub_command(d->name, &patterns))
        nch = strcmp(d->name, "publish") == 0 ? 1 : (size_t)a->argc - 1;
    const char *arg = !container && a->argc > 1 ? a->argv[1] : NULL;
    struct acl_request req = {.cmd = (size_t)idx,
                              .firstarg = arg,
                              .firstarg_len = arg ? a->len[1] : 0,
                              .nchannels = nch,
                              .channels = (const char *const *)a->argv + 1,
                              .channel_lens = a->len + 1,
                              .channels_are_patterns = patterns};
    size_t denied = 0;
    r->verdict = acl_user_check_request(u, &req, &denied);
    const char *object = r->verdict == ACL_DENIED_CHANNEL ? a->argv[1 + denied]
                                                          : cmd_command_catalog()->cmds[idx].name;
    snprintf(r->object, sizeof(r->object), "%s", object);
}

int cmd_acl_check(struct client *c, const struct cmd_def *d, const struct cmd_args *a)
{
    const struct acl_user *u = acl_users_find(c->srv->acl->users, c->user);
    struct acl_refusal r = {ACL_DENIED_COMMAND, ""};
    if (u)
        refusal(u, d, a, &r);
    else
        snprintf(r.object, sizeof(r.object), "%s", d->name);
    if (r.verdict == ACL_ALLOWED) return 0;
    acl_log_add(c->srv->acl, &c->conn, acl_reason_word(r.verdict), "toplevel", r.object, c->user);
    acl_reply_noperm(&c->conn, &r);
    return -1;
}

static bool subscriptions_ok(const struct client *c, const struct acl_user *u)
{
    for (size_t i = 0; i < c->n_channels; i++)
        if (!acl_user_channel_ok(u, c->channels[i], strlen(c->channels[i]), false)) return false;
    for (size_t i = 0; i < c->n_patterns; i++)
        if (!acl_user_channel_ok(u, c->patterns[i], strlen(c->patterns[i]), true)) return false;
    return true;
}

/* Clients of u whose subscriptions its new rules no longer grant are closed, as Redis 7.0. */
static void sentinel_after_setuser(struct conn *caller, const struct acl_user *u)
{
    struct cmd_server *srv = ((struct client *)(void *)caller)->srv;
    for (struct client *c = client_first(srv); c; c = client_next(c)) {
        if ((c->conn.flags & CONN_CLOSE_ASAP) || strcmp(c->user, acl_user_name(u)) != 0 ||
            subscriptions_ok(c, u))
            continue;
        if (&c->conn == caller)
            c->conn.flags |= CONN_CLOSE_AFTER_REPLY;
        else
            client_close(c);
    }
}

/* ACL DRYRUN's check of a command line (argv[0] the command). */
static int sentinel_dryrun(const struct acl_user *u, size_t argc, const struct resp_arg *argv,
                           struct acl_refusal *r, char *err, size_t errlen)
{
    char name[64], sub[64] = "";
    snprintf(name, sizeof(name), "%.*s", (int)MIN(argv[0].len, 63), argv[0].ptr);
    if (argc > 1) snprintf(sub, sizeof(sub), "%.*s", (int)MIN(argv[1].len, 63), argv[1].ptr);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    const struct cmd_def *d = cmd_table_lookup(name);
    bool sub_ok = d && (!(d->flags & CMD_CONTAINER) || argc < 2 ||
                        cmd_command_catalog_index(d->name, sub) >= 0);
    if (d == NULL || cmd_command_catalog_index(d->name, NULL) < 0 || !sub_ok) {
        snprintf(err, errlen, "Command '%.*s' not found", (int)MIN(argv[0].len, 128), argv[0].ptr);
        return -1;
    }
    if ((d->arity > 0 && argc != (size_t)d->arity) || (d->arity < 0 && argc < (size_t)-d->arity)) {
        snprintf(err, errlen, "wrong number of arguments for '%s' command", d->name);
        return -1;
    }
    /* The checks read NUL-terminated words: copy the line. */
    char **words = xcalloc(argc, sizeof(*words));
    size_t *lens = xcalloc(argc, sizeof(*lens));
    for (size_t i = 0; i < argc; i++) {
        words[i] = xstrndup(argv[i].ptr, argv[i].len);
        lens[i] = argv[i].len;
    }
    struct cmd_args line = {(int)argc, words, lens, argv};
    refusal(u, d, &line, r);
    for (size_t i = 0; i < argc; i++) free(words[i]);
    free(words);
    free(lens);
    return 0;
}

/* ---- ACL subcommands: common/acl_cmd.c's, in the sentinel's handler shape ------------------- */

#define ACL_FROM_COMMON(name, fn)                                                                  \
    static void name(struct client *c, const struct cmd_args *a)                                   \
    {                                                                                              \
        fn(&c->conn, c->srv->acl, (size_t)a->argc, a->raw);                                        \
    }

ACL_FROM_COMMON(acl_setuser, acl_cmd_setuser)
ACL_FROM_COMMON(acl_getuser, acl_cmd_getuser)
ACL_FROM_COMMON(acl_deluser, acl_cmd_deluser)
ACL_FROM_COMMON(acl_list, acl_cmd_list)
ACL_FROM_COMMON(acl_users_cmd, acl_cmd_users)
ACL_FROM_COMMON(acl_whoami, acl_cmd_whoami)
ACL_FROM_COMMON(acl_cat, acl_cmd_cat)
ACL_FROM_COMMON(acl_genpass, acl_cmd_genpass)
ACL_FROM_COMMON(acl_log_cmd, acl_cmd_log)
ACL_FROM_COMMON(acl_dryrun, acl_cmd_dryrun)
ACL_FROM_COMMON(acl_save, acl_cmd_save)
ACL_FROM_COMMON(acl_load, acl_cmd_load)
ACL_FROM_COMMON(acl_help, acl_cmd_help)

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
