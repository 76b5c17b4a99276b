/* acl: the store's side of ACL users (see acl.h). */
#include "store/acl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/acl_cmd.h"
#include "common/guard.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/pubsub.h"
#include "store/reply.h"
#include "store/server.h"

#define SCRIPT_NOPERM_COMMAND                                                                      \
    "ERR The user executing the script can't run this command or subcommand"
#define SCRIPT_NOPERM_KEY                                                                          \
    "ERR The user executing the script can't access at least one of the keys mentioned in the "    \
    "command arguments"
#define SCRIPT_NOPERM_CHANNEL                                                                      \
    "ERR The user executing the script can't publish to the channel mentioned in the command"

static int store_dryrun(const struct acl_user *u, size_t argc, const struct resp_arg *argv,
                        struct acl_refusal *r, char *err, size_t errlen);

static void store_after_setuser(struct conn *caller, const struct acl_user *u);

static const struct acl_host store_acl_host = {
    .dryrun = store_dryrun,
    .after_setuser = store_after_setuser,
    .save_every_change = false, /* as Redis: the file changes on ACL SAVE only */
    .load_help = "    Read the users of the aclfile again.",
};

/* ---- setup ---------------------------------------------------------------------------------- */

int store_acl_init(struct server *srv, char *err, size_t errlen)
{
    const struct store_config *cfg = &srv->cfg;
    bool has_file = cfg->aclfile && cfg->aclfile[0];
    if (has_file && cfg->users.count > 0) {
        snprintf(err, errlen,
                 "users and aclfile are both set: keep the users in one place (the aclfile, "
                 "or the config's users list)");
        return -1;
    }
    srv->acl = xcalloc(1, sizeof(*srv->acl));
    const char *pass = cfg->requirepass && cfg->requirepass[0] ? cfg->requirepass : NULL;
    if (acl_state_init(srv->acl, command_acl_catalog(), &store_acl_host,
                       has_file ? cfg->aclfile : NULL, pass, err, errlen) != 0)
        return -1;
    if (acl_state_apply_lines(srv->acl, (const char *const *)cfg->users.items, cfg->users.count,
                              err, errlen) != 0)
        return -1;
    acl_log_set_max(srv->acl, (size_t)cfg->acllog_max_len);
    return 0;
}

void store_acl_free(struct server *srv)
{
    if (srv->acl == NULL) return;
    acl_state_free(srv->acl);
    free(srv->acl);
    srv->acl = NULL;
}

void store_acl_apply_config(struct server *srv)
{
    struct acl_state *s = srv->acl;
    if (s == NULL) return;
    acl_log_set_max(s, (size_t)srv->cfg.acllog_max_len);
    const char *want = srv->cfg.requirepass ? srv->cfg.requirepass : "";
    const char *have = s->requirepass ? s->requirepass : "";
    if (strcmp(want, have) != 0) acl_state_set_requirepass(s, want);
}

/* ---- users of clients ----------------------------------------------------------------------- */

static const struct acl_user *client_user(struct client *c)
{
    struct acl_state *s = c->srv->acl;
    uint64_t v = acl_users_version(s->users);
    if (c->acl_user == NULL || c->acl_version != v || c->acl_generation != s->generation) {
        c->acl_user = acl_users_find(s->users, store_acl_user_of(c));
        c->acl_version = v;
        c->acl_generation = s->generation;
    }
    return c->acl_user;
}

bool store_acl_default_nopass(const struct server *srv)
{
    const struct acl_user *d = acl_users_find(srv->acl->users, "default");
    return d && acl_user_is_enabled(d) && acl_user_has_nopass(d);
}

int store_acl_authenticate(struct client *c, const char *user, size_t ulen, const char *pass,
                           size_t plen)
{
    if (c->cmd) c->last_cmd = c->cmd; /* a failure's log entry says cmd=auth (or hello) */
    const struct acl_user *u =
        acl_state_authenticate(c->srv->acl, &c->conn, user, ulen, pass, plen);
    if (u == NULL) return -1;
    free(c->user);
    c->user = strcmp(acl_user_name(u), "default") == 0 ? NULL : xstrdup(acl_user_name(u));
    c->acl_user = NULL;
    c->conn.flags |= CONN_AUTHENTICATED;
    return 0;
}

bool store_acl_user_exists(const struct server *srv, const char *user, size_t len)
{
    char name[ACL_USERNAME_MAX + 1];
    if (len > ACL_USERNAME_MAX || memchr(user, '\0', len)) return false;
    memcpy(name, user, len);
    name[len] = '\0';
    return acl_users_find(srv->acl->users, name) != NULL;
}

const char *store_acl_user_of(const struct client *c) { return c->user ? c->user : "default"; }

void store_acl_reset_user(struct client *c)
{
    free(c->user);
    c->user = NULL;
    c->acl_user = NULL;
    if (!store_acl_default_nopass(c->srv)) c->conn.flags &= ~CONN_AUTHENTICATED;
}

bool store_acl_setting_allows(int allow, const struct client *c)
{
    return allow == STORE_ALLOW_YES ||
           (allow == STORE_ALLOW_LOCAL && guard_addr_is_loopback(c->conn.addr));
}

/* ---- the check ------------------------------------------------------------------------------ */

/* The channels a command names: PUBLISH and SPUBLISH one, the SUBSCRIBE family all its
 * arguments (PSUBSCRIBE's are patterns). */
static size_t command_channels(const struct command *cmd, size_t argc, bool *is_pattern)
{
    *is_pattern = strcmp(cmd->name, "psubscribe") == 0;
    if (strcmp(cmd->name, "publish") == 0 || strcmp(cmd->name, "spublish") == 0)
        return argc > 1 ? 1 : 0;
    if (*is_pattern || strcmp(cmd->name, "subscribe") == 0 || strcmp(cmd->name, "ssubscribe") == 0)
        return argc - 1;
    return 0;
}

/* A command line's keys and channels as the checker reads them: pointers, lengths, access.
 * Small commands use the stack; one allocation otherwise. */
#define CHECK_STACK_ARGS 16
struct check_args {
    const char **ptrs, **chans;
    size_t *lens, *chlens;
    unsigned *access;
    struct command_key *keys;
    void *heap;
    const char *stack_ptrs[CHECK_STACK_ARGS], *stack_chans[CHECK_STACK_ARGS];
    size_t stack_lens[CHECK_STACK_ARGS], stack_chlens[CHECK_STACK_ARGS];
    unsigned stack_access[CHECK_STACK_ARGS];
    struct command_key stack_keys[CHECK_STACK_ARGS];
};

static void check_args_init(struct check_args *a, size_t argc)
{
    if (argc <= CHECK_STACK_ARGS) {
        a->ptrs = a->stack_ptrs;
        a->chans = a->stack_chans;
        a->lens = a->stack_lens;
        a->chlens = a->stack_chlens;
        a->access = a->stack_access;
        a->keys = a->stack_keys;
        a->heap = NULL;
        return;
    }
    /* One block, the widest members first: keys, then pointers and lengths, then access. */
    size_t one =
        sizeof(*a->keys) + 2 * sizeof(*a->ptrs) + 2 * sizeof(*a->lens) + sizeof(*a->access);
    char *p = a->heap = xcalloc(argc, one);
    a->keys = (struct command_key *)(void *)p;
    p += argc * sizeof(*a->keys);
    a->ptrs = (const char **)(void *)p;
    a->chans = a->ptrs + argc;
    p += 2 * argc * sizeof(*a->ptrs);
    a->lens = (size_t *)(void *)p;
    a->chlens = a->lens + argc;
    p += 2 * argc * sizeof(*a->lens);
    a->access = (unsigned *)(void *)p;
}

/* Whether user u may run argv with cmd; r says why not. */
static void refusal_compute(const struct acl_user *u, struct command *cmd, size_t argc,
                            const struct resp_arg *argv, struct acl_refusal *r)
{
    r->verdict = ACL_ALLOWED;
    if (cmd->flags & CMD_NO_AUTH) return; /* AUTH and HELLO stay reachable, as in Redis */
    const struct command *sub = NULL;
    if (cmd->subcommands && argc > 1) {
        sub = command_find_sub(cmd, &argv[1]);
        if (sub == NULL) return; /* dispatch answers the unknown subcommand */
    }
    size_t idx = command_acl_index(cmd, sub);
    if (acl_user_allows_all(u, idx)) return;
    struct acl_request req = {.cmd = idx};
    if (!cmd->subcommands && argc > 1) {
        req.firstarg = argv[1].ptr;
        req.firstarg_len = argv[1].len;
    }
    struct check_args a;
    check_args_init(&a, argc);
    int nk = command_has_keys(idx) ? command_get_keys(idx, argc, argv, a.keys) : 0;
    for (int i = 0; i < nk; i++) {
        a.ptrs[i] = argv[a.keys[i].pos].ptr;
        a.lens[i] = argv[a.keys[i].pos].len;
        a.access[i] = a.keys[i].access;
    }
    req.nkeys = nk > 0 ? (size_t)nk : 0;
    req.keys = a.ptrs;
    req.key_lens = a.lens;
    req.key_access = a.access;
    bool patterns;
    size_t nch = command_channels(cmd, argc, &patterns);
    for (size_t i = 0; i < nch; i++) {
        a.chans[i] = argv[1 + i].ptr;
        a.chlens[i] = argv[1 + i].len;
    }
    req.nchannels = nch;
    req.channels = a.chans;
    req.channel_lens = a.chlens;
    req.channels_are_patterns = patterns;
    size_t denied = 0;
    r->verdict = acl_user_check_request(u, &req, &denied);
    if (r->verdict == ACL_DENIED_KEY)
        snprintf(r->object, sizeof(r->object), "%.*s", (int)MIN(a.lens[denied], ACL_OBJECT_MAX),
                 a.ptrs[denied]);
    else if (r->verdict == ACL_DENIED_CHANNEL)
        snprintf(r->object, sizeof(r->object), "%.*s", (int)MIN(a.chlens[denied], ACL_OBJECT_MAX),
                 a.chans[denied]);
    else
        snprintf(r->object, sizeof(r->object), "%s", command_acl_catalog()->cmds[idx].name);
    free(a.heap);
}

/* The master link, the AOF loader and fake clients replay what was already allowed. */
static bool needs_check(struct client *c)
{
    return !client_must_obey(c) && !(c->conn.flags & CONN_FAKE);
}

/* Whether c's user may run argv with cmd; when not, r says why (no user left: the command). */
static bool client_refused(struct client *c, struct command *cmd, size_t argc,
                           const struct resp_arg *argv, struct acl_refusal *r)
{
    if (!needs_check(c)) return false;
    const struct acl_user *u = client_user(c);
    *r = (struct acl_refusal){ACL_DENIED_COMMAND, ""};
    if (u)
        refusal_compute(u, cmd, argc, argv, r);
    else
        snprintf(r->object, sizeof(r->object), "%s", cmd->name);
    return r->verdict != ACL_ALLOWED;
}

int store_acl_check(struct client *c, struct command *cmd)
{
    struct acl_refusal r;
    if (!client_refused(c, cmd, c->argc, c->argv, &r)) return 0;
    c->last_cmd = cmd; /* the log's client-info names the refused command, as Redis */
    acl_log_add(c->srv->acl, &c->conn, acl_reason_word(r.verdict),
                (c->flags & CLIENT_MULTI) ? "multi" : "toplevel", r.object, store_acl_user_of(c));
    acl_reply_noperm(&c->conn, &r);
    return -1;
}

int store_acl_exec_check(struct client *c, struct command *cmd)
{
    struct acl_refusal r;
    if (!client_refused(c, cmd, c->argc, c->argv, &r)) return 0;
    acl_log_add(c->srv->acl, &c->conn, acl_reason_word(r.verdict), "multi", r.object,
                store_acl_user_of(c));
    const char *why = r.verdict == ACL_DENIED_KEY ? "no permission to touch the specified keys"
                      : r.verdict == ACL_DENIED_CHANNEL ? "no permission to access one of the "
                                                          "channels used as arguments"
                                                        : "no permission to execute the command "
                                                          "or subcommand";
    reply_errorf(c,
                 "NOPERM ACLs rules changed between the moment the transaction was accumulated "
                 "and the EXEC call. This command is no longer allowed for the following reason: "
                 "%s",
                 why);
    return -1;
}

const char *store_acl_script_refusal(struct client *caller, struct command *cmd, size_t argc,
                                     const struct resp_arg *argv)
{
    struct acl_refusal r;
    if (!client_refused(caller, cmd, argc, argv, &r)) return NULL;
    acl_log_add(caller->srv->acl, &caller->conn, acl_reason_word(r.verdict), "lua", r.object,
                store_acl_user_of(caller));
    return r.verdict == ACL_DENIED_KEY       ? SCRIPT_NOPERM_KEY
           : r.verdict == ACL_DENIED_CHANNEL ? SCRIPT_NOPERM_CHANNEL
                                             : SCRIPT_NOPERM_COMMAND;
}

/* ACL DRYRUN's check of a command line (argv[0] the command). */
static int store_dryrun(const struct acl_user *u, size_t argc, const struct resp_arg *argv,
                        struct acl_refusal *r, char *err, size_t errlen)
{
    struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    const struct command *sub =
        cmd && cmd->subcommands && argc > 1 ? command_find_sub(cmd, &argv[1]) : NULL;
    if (cmd == NULL || (cmd->subcommands && argc > 1 && sub == NULL)) {
        snprintf(err, errlen, "Command '%.*s' not found", (int)MIN(argv[0].len, 128), argv[0].ptr);
        return -1;
    }
    int arity = sub ? sub->arity : cmd->arity;
    if ((arity > 0 && argc != (size_t)arity) || (arity < 0 && argc < (size_t)-arity)) {
        snprintf(err, errlen, "wrong number of arguments for '%s' command",
                 command_acl_catalog()->cmds[command_acl_index(cmd, sub)].name);
        return -1;
    }
    refusal_compute(u, cmd, argc, argv, r);
    return 0;
}

static bool channel_still_ok(void *ctx, const char *name, size_t len, bool is_pattern)
{
    return acl_user_channel_ok(ctx, name, len, is_pattern);
}

/* Clients of u whose subscriptions its new rules no longer grant are closed, as Redis 7.0. */
static void store_after_setuser(struct conn *caller, const struct acl_user *u)
{
    struct server *srv = client_of(caller)->srv;
    for (struct client *c = client_first(srv); c; c = client_next(c)) {
        if ((c->conn.flags & CONN_CLOSE_ASAP) || !(c->conn.flags & CONN_PUBSUB) ||
            strcmp(store_acl_user_of(c), acl_user_name(u)) != 0)
            continue;
        if (pubsub_client_all(c, channel_still_ok, (void *)u)) continue;
        if (&c->conn == caller)
            c->conn.flags |= CONN_CLOSE_AFTER_REPLY;
        else
            client_close_async(c);
    }
}

/* ---- the ACL command ------------------------------------------------------------------------ */

#define ACL_FROM_COMMON(name, fn)                                                                  \
    static void name(struct client *c) { fn(&c->conn, c->srv->acl, c->argc, c->argv); }

ACL_FROM_COMMON(acl_setuser, acl_cmd_setuser)
ACL_FROM_COMMON(acl_getuser, acl_cmd_getuser)
ACL_FROM_COMMON(acl_deluser, acl_cmd_deluser)
ACL_FROM_COMMON(acl_list, acl_cmd_list)
ACL_FROM_COMMON(acl_users, acl_cmd_users)
ACL_FROM_COMMON(acl_whoami, acl_cmd_whoami)
ACL_FROM_COMMON(acl_cat, acl_cmd_cat)
ACL_FROM_COMMON(acl_genpass, acl_cmd_genpass)
ACL_FROM_COMMON(acl_log, acl_cmd_log)
ACL_FROM_COMMON(acl_dryrun, acl_cmd_dryrun)
ACL_FROM_COMMON(acl_save, acl_cmd_save)
ACL_FROM_COMMON(acl_load, acl_cmd_load)
ACL_FROM_COMMON(acl_help, acl_cmd_help)

#define ACL_ADM (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
static const struct command acl_subs[] = {
    {.name = "setuser",
     .arity = -3,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_setuser},
    {.name = "getuser",
     .arity = 3,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_getuser},
    {.name = "deluser",
     .arity = -3,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_deluser},
    {.name = "list",
     .arity = 2,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_list},
    {.name = "users",
     .arity = 2,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_users},
    {.name = "whoami",
     .arity = 2,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "slow",
     .fn = acl_whoami},
    {.name = "cat",
     .arity = -2,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "slow",
     .fn = acl_cat},
    {.name = "genpass",
     .arity = -2,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "slow",
     .fn = acl_genpass},
    {.name = "log",
     .arity = -2,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_log},
    {.name = "dryrun",
     .arity = -4,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_dryrun},
    {.name = "save",
     .arity = 2,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_save},
    {.name = "load",
     .arity = 2,
     .flags = ACL_ADM,
     .acl_categories = "admin slow dangerous",
     .fn = acl_load},
    {.name = "help",
     .arity = 2,
     .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = "slow",
     .fn = acl_help},
    {.name = NULL},
};

static void cmd_acl(struct client *c) { command_dispatch_sub(c, acl_subs, "acl"); }

struct command cmd_table_acl[] = {
    {.name = "acl",
     .arity = -2,
     .flags = CMD_LOADING | CMD_STALE,
     .fn = cmd_acl,
     .subcommands = acl_subs,
     .group = "server",
     .summary = "Users and what each may run",
     .acl_categories = "slow"},
    {.name = NULL},
};
