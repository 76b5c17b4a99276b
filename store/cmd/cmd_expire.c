/* cmd_expire: key expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX, XX, GT, LT),
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST, with Redis 7.0's replies and errors.
 *
 * Times are unix milliseconds from server_now_ms(). A new expiry is always propagated as
 * PEXPIREAT <absolute ms> (without the NX/XX/GT/LT options: the master already decided), so a
 * replica's clock never matters; an expiry already in the past deletes the key at once and is
 * propagated as DEL, except on a replica, which keeps the key until its master's DEL arrives.
 */
#include <limits.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/propagate.h"
#include "store/reply.h"

enum {
    EXP_NX = 1 << 0,
    EXP_XX = 1 << 1,
    EXP_GT = 1 << 2,
    EXP_LT = 1 << 3,
};

static int parse_expire_flags(struct client *c, int *flags)
{
    static const struct {
        const char *word;
        int flag;
    } words[] = {{"nx", EXP_NX}, {"xx", EXP_XX}, {"gt", EXP_GT}, {"lt", EXP_LT}};
    int f = 0;
    for (size_t j = 3; j < c->argc; j++) {
        size_t i;
        for (i = 0; i < ARRAY_LEN(words); i++)
            if (db_opt_is(&c->argv[j], words[i].word)) break;
        if (i == ARRAY_LEN(words)) {
            reply_errorf(c, "ERR Unsupported option %.*s",
                         (int)MIN(db_arg_cstr_len(&c->argv[j]), 900), c->argv[j].ptr);
            return -1;
        }
        f |= words[i].flag;
    }
    if ((f & EXP_NX) && (f & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((f & EXP_GT) && (f & EXP_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    *flags = f;
    return 0;
}

/* True if the NX/XX/GT/LT conditions forbid replacing expiry `cur` (KS_NO_EXPIRE = none,
 * which GT and LT treat as infinite) by `when`. */
static bool expire_refused(int flags, int64_t cur, int64_t when)
{
    bool has = cur != KS_NO_EXPIRE;
    if ((flags & EXP_NX) && has) return true;
    if ((flags & EXP_XX) && !has) return true;
    if ((flags & EXP_GT) && (!has || when <= cur)) return true;
    if ((flags & EXP_LT) && has && when >= cur) return true;
    return false;
}

/* The absolute expiry in ms, or -1 after replying the error. base_ms is 0 for the *AT forms. */
static int expire_when(struct client *c, int64_t base_ms, bool seconds, int64_t *out)
{
    long long when;
    if (arg_ll(c, &c->argv[2], &when) != 0) return -1;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - base_ms) goto invalid;
    *out = when + base_ms;
    return 0;
invalid:
    reply_errorf(c, ERR_INVALID_EXPIRE, c->cmd ? c->cmd->name : "expire");
    return -1;
}

static void expire_generic(struct client *c, bool relative, bool seconds)
{
    const struct resp_arg *key = &c->argv[1];
    int flags = 0;
    int64_t when;
    if (parse_expire_flags(c, &flags) != 0) return;
    if (expire_when(c, relative ? server_now_ms(c->srv) : 0, seconds, &when) != 0) return;
    struct ks_entry *e = db_lookup_write(c, key);
    if (!e || expire_refused(flags, ks_entry_expire_ms(e), when)) {
        reply_integer(c, 0);
        return;
    }
    struct ks *ks = db_ks(c);
    if (when <= server_now_ms(c->srv) && !c->srv->is_loading && !server_is_replica(c->srv)) {
        ks_delete_entry(ks, e);
        db_notify(c, NOTIFY_GENERIC, "del", key);
        struct resp_arg argv[2] = {{"DEL", 3}, *key};
        propagate_as(c, 2, argv);
    } else {
        /* A replica keeps a past expiry as such (0, not "none") until its master's DEL. */
        ks_entry_set_expire(ks, e, when < 0 ? 0 : when);
        db_notify(c, NOTIFY_GENERIC, "expire", key);
        char ms[KS_INT_BUF];
        size_t n = util_ll_to_str(ms, sizeof ms, when);
        struct resp_arg argv[3] = {{"PEXPIREAT", 9}, *key, {ms, n}};
        propagate_as(c, 3, argv);
    }
    db_key_modified(c, key);
    c->srv->dirty++;
    reply_integer(c, 1);
}

static void cmd_expire(struct client *c) { expire_generic(c, true, true); }
static void cmd_pexpire(struct client *c) { expire_generic(c, true, false); }
static void cmd_expireat(struct client *c) { expire_generic(c, false, true); }
static void cmd_pexpireat(struct client *c) { expire_generic(c, false, false); }

/* TTL family: -2 missing, -1 no expiry, else remaining (or absolute) time, never negative. */
static void ttl_generic(struct client *c, bool in_ms, bool absolute)
{
    struct ks_entry *e = db_lookup_peek(c, &c->argv[1]);
    if (!e) {
        reply_integer(c, -2);
        return;
    }
    int64_t exp = ks_entry_expire_ms(e);
    if (exp == KS_NO_EXPIRE) {
        reply_integer(c, -1);
        return;
    }
    long long ttl = absolute ? exp : exp - server_now_ms(c->srv);
    if (ttl < 0) ttl = 0;
    /* Rounded to the nearest second, as (ttl + 500) / 1000 without overflowing near LLONG_MAX. */
    reply_integer(c, in_ms ? ttl : ttl / 1000 + (ttl % 1000 + 500) / 1000);
}

static void cmd_ttl(struct client *c) { ttl_generic(c, false, false); }
static void cmd_pttl(struct client *c) { ttl_generic(c, true, false); }
static void cmd_expiretime(struct client *c) { ttl_generic(c, false, true); }
static void cmd_pexpiretime(struct client *c) { ttl_generic(c, true, true); }

static void cmd_persist(struct client *c)
{
    struct ks_entry *e = db_lookup_write(c, &c->argv[1]);
    if (!e || ks_entry_expire_ms(e) == KS_NO_EXPIRE) {
        reply_integer(c, 0);
        return;
    }
    ks_entry_set_expire(db_ks(c), e, KS_NO_EXPIRE);
    db_key_modified(c, &c->argv[1]);
    db_notify(c, NOTIFY_GENERIC, "persist", &c->argv[1]);
    c->srv->dirty++;
    reply_integer(c, 1);
}

#define EXP_CMD(n, a, f, fn_)                                                                      \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = 1, .last_key = 1,               \
        .key_step = 1, .group = "generic"                                                          \
    }

struct command cmd_table_expire[] = {
    EXP_CMD("expire", -3, CMD_WRITE | CMD_FAST, cmd_expire),
    EXP_CMD("pexpire", -3, CMD_WRITE | CMD_FAST, cmd_pexpire),
    EXP_CMD("expireat", -3, CMD_WRITE | CMD_FAST, cmd_expireat),
    EXP_CMD("pexpireat", -3, CMD_WRITE | CMD_FAST, cmd_pexpireat),
    EXP_CMD("ttl", 2, CMD_READONLY | CMD_FAST, cmd_ttl),
    EXP_CMD("pttl", 2, CMD_READONLY | CMD_FAST, cmd_pttl),
    EXP_CMD("expiretime", 2, CMD_READONLY | CMD_FAST, cmd_expiretime),
    EXP_CMD("pexpiretime", 2, CMD_READONLY | CMD_FAST, cmd_pexpiretime),
    EXP_CMD("persist", 2, CMD_WRITE | CMD_FAST, cmd_persist),
    {.name = NULL},
};
