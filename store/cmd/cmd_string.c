/* cmd_string: the string commands (GET, SET and its variants, GETEX, GETDEL, MGET, MSET, APPEND,
 * GETRANGE, SETRANGE, the INCR family). Replies and errors follow Redis 7.0 byte for byte,
 * including the order in which errors are detected (an EX value is validated before the GET
 * of SET ... GET, but after the key lookup of GETEX).
 *
 * Propagation is deterministic (replicas must end in the same state whatever their clock and
 * float formatting): relative expiry is sent as SET ... PXAT <ms> / PEXPIREAT <ms>, INCRBYFLOAT
 * as SET key <result> KEEPTTL, GETDEL and an already-expired GETEX as DEL.
 *
 * The hot paths (GET, SET without options, INCR) do one keyspace lookup and no allocation: the
 * keyspace rewrites an entry in place when the new value fits its chunk.
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

/* Options of SET and GETEX (Redis parses both with one grammar). */
enum {
    SO_NX = 1 << 0,
    SO_XX = 1 << 1,
    SO_GET = 1 << 2,
    SO_KEEPTTL = 1 << 3,
    SO_PERSIST = 1 << 4,
    SO_EX = 1 << 5,
    SO_PX = 1 << 6,
    SO_EXAT = 1 << 7,
    SO_PXAT = 1 << 8,
};
#define SO_ANY_EXPIRE (SO_EX | SO_PX | SO_EXAT | SO_PXAT)

/* Longest text of a long double in Redis's human format (digits of LDBL_MAX + fraction). */
#define LDOUBLE_TEXT_MAX 5120

static size_t max_string_len(const struct client *c)
{
    /* Our master's writes are applied whatever our own limit is. */
    if (client_must_obey(c)) return SIZE_MAX;
    return (size_t)c->srv->cfg.proto_max_bulk_len;
}

static void reply_string_entry(struct client *c, const struct ks_entry *e)
{
    char buf[KS_INT_BUF];
    size_t len;
    const char *p = ks_str_get(e, buf, &len);
    reply_bulk(c, p, len);
}

/* One expiry option word at argv[j]: accepted if no other expiry (nor KEEPTTL/PERSIST) was
 * given and a value follows. The same word may repeat (the last value wins), as in Redis. */
static bool expire_opt_ok(int flags, int self, bool has_next)
{
    return !(flags & (SO_KEEPTTL | SO_PERSIST)) && !(flags & (SO_ANY_EXPIRE & ~self)) && has_next;
}

/* Parse SET (is_set) or GETEX options from argv[start]. Replies a syntax error on failure. */
static int parse_string_opts(struct client *c, size_t start, bool is_set, int *flags,
                             const struct resp_arg **expire)
{
    static const struct {
        const char *word;
        int flag;
    } expire_words[] = {{"ex", SO_EX}, {"px", SO_PX}, {"exat", SO_EXAT}, {"pxat", SO_PXAT}};
    int f = 0;
    for (size_t j = start; j < c->argc; j++) {
        const struct resp_arg *a = &c->argv[j];
        bool has_next = j + 1 < c->argc;
        if (is_set && db_opt_is(a, "nx") && !(f & SO_XX)) {
            f |= SO_NX;
        } else if (is_set && db_opt_is(a, "xx") && !(f & SO_NX)) {
            f |= SO_XX;
        } else if (is_set && db_opt_is(a, "get")) {
            f |= SO_GET;
        } else if (is_set && db_opt_is(a, "keepttl") && !(f & (SO_PERSIST | SO_ANY_EXPIRE))) {
            f |= SO_KEEPTTL;
        } else if (!is_set && db_opt_is(a, "persist") && !(f & (SO_ANY_EXPIRE | SO_KEEPTTL))) {
            f |= SO_PERSIST;
        } else {
            size_t i;
            for (i = 0; i < ARRAY_LEN(expire_words); i++)
                if (db_opt_is(a, expire_words[i].word)) break;
            if (i == ARRAY_LEN(expire_words) || !expire_opt_ok(f, expire_words[i].flag, has_next)) {
                reply_error(c, ERR_SYNTAX);
                return -1;
            }
            f |= expire_words[i].flag;
            *expire = &c->argv[++j];
        }
    }
    *flags = f;
    return 0;
}

static void reply_invalid_expire(struct client *c)
{
    reply_errorf(c, ERR_INVALID_EXPIRE, c->cmd ? c->cmd->name : "set");
}

/* The absolute expiry (unix ms) an EX/PX/EXAT/PXAT value designates; replies the Redis error
 * (not an integer, <= 0, or overflowing) and returns -1 otherwise. */
static int parse_expire_ms(struct client *c, const struct resp_arg *a, int flags, int64_t *out)
{
    long long v;
    if (arg_ll(c, a, &v) != 0) return -1;
    bool seconds = (flags & (SO_EX | SO_EXAT)) != 0;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        reply_invalid_expire(c);
        return -1;
    }
    if (seconds) v *= 1000;
    if ((flags & (SO_EX | SO_PX)) &&
        __builtin_add_overflow(v, (long long)server_now_ms(c->srv), &v)) {
        reply_invalid_expire(c);
        return -1;
    }
    *out = v;
    return 0;
}

/* GET's body, shared by GETSET, GETDEL and SET ... GET. Returns the entry (NULL when absent,
 * after replying null), or sets *err when the key holds another type (WRONGTYPE replied). */
static struct ks_entry *get_generic(struct client *c, const struct resp_arg *key, bool *err)
{
    *err = false;
    struct ks_entry *e = db_lookup_read(c, key);
    if (!e) {
        reply_null(c);
        return NULL;
    }
    if (!db_check_type(c, e, KS_TYPE_STRING)) {
        *err = true;
        return NULL;
    }
    reply_string_entry(c, e);
    return e;
}

static void cmd_get(struct client *c)
{
    bool err;
    get_generic(c, &c->argv[1], &err);
}

static void propagate_set_pxat(struct client *c, const struct resp_arg *key,
                               const struct resp_arg *val, int64_t when_ms)
{
    char ms[KS_INT_BUF];
    size_t n = util_ll_to_str(ms, sizeof ms, when_ms);
    struct resp_arg argv[5] = {{"SET", 3}, *key, *val, {"PXAT", 4}, {ms, n}};
    propagate_as(c, 5, argv);
}

/* What SET-like commands answer when NX/XX prevented the write (-1: a null). */
struct set_replies {
    int done;    /* -1 "+OK", else an integer */
    int aborted; /* -1 null, else an integer */
};

/* The common body of SET, SETNX, SETEX, PSETEX. */
static void set_generic(struct client *c, int flags, const struct resp_arg *key,
                        const struct resp_arg *val, const struct resp_arg *expire,
                        struct set_replies rep)
{
    int64_t when = KS_NO_EXPIRE;
    if (expire && parse_expire_ms(c, expire, flags, &when) != 0) return;
    if (flags & SO_GET) {
        bool err;
        get_generic(c, key, &err);
        if (err) return;
    }
    int ksflags = ((flags & SO_KEEPTTL) ? KS_SET_KEEPTTL : 0) | ((flags & SO_NX) ? KS_SET_NX : 0) |
                  ((flags & SO_XX) ? KS_SET_XX : 0);
    struct ks_entry *e = ks_set_string(db_ks(c), key->ptr, key->len, val->ptr, val->len, when,
                                       ksflags, db_lookup_now(c));
    if (!e) {
        if (flags & SO_GET) return; /* GET already answered */
        if (rep.aborted < 0)
            reply_null(c);
        else
            reply_integer(c, rep.aborted);
        return;
    }
    c->srv->dirty++;
    db_key_modified(c, key);
    db_notify(c, NOTIFY_STRING, "set", key);
    if (expire) db_notify(c, NOTIFY_GENERIC, "expire", key);
    if (expire && !(flags & SO_PXAT)) {
        propagate_set_pxat(c, key, val, when);
    } else if (flags & SO_GET) {
        /* Replicas only need the write; KEEPTTL/PXAT keep its effect on the TTL. */
        struct resp_arg argv[5] = {{"SET", 3}, *key, *val};
        size_t argc = 3;
        if (flags & SO_KEEPTTL) argv[argc++] = (struct resp_arg){"KEEPTTL", 7};
        if (flags & SO_PXAT) {
            argv[argc++] = (struct resp_arg){"PXAT", 4};
            argv[argc++] = *expire;
        }
        propagate_as(c, argc, argv);
    }
    if (flags & SO_GET) return;
    if (rep.done < 0)
        reply_ok(c);
    else
        reply_integer(c, rep.done);
}

static const struct set_replies set_replies_plain = {-1, -1};

static void cmd_set(struct client *c)
{
    int flags = 0;
    const struct resp_arg *expire = NULL;
    if (c->argc > 3 && parse_string_opts(c, 3, true, &flags, &expire) != 0) return;
    set_generic(c, flags, &c->argv[1], &c->argv[2], expire, set_replies_plain);
}

static void cmd_setnx(struct client *c)
{
    set_generic(c, SO_NX, &c->argv[1], &c->argv[2], NULL, (struct set_replies){1, 0});
}

static void cmd_setex(struct client *c)
{
    set_generic(c, SO_EX, &c->argv[1], &c->argv[3], &c->argv[2], set_replies_plain);
}

static void cmd_psetex(struct client *c)
{
    set_generic(c, SO_PX, &c->argv[1], &c->argv[3], &c->argv[2], set_replies_plain);
}

static void cmd_getset(struct client *c)
{
    bool err;
    const struct resp_arg *key = &c->argv[1], *val = &c->argv[2];
    get_generic(c, key, &err);
    if (err) return;
    ks_set_string(db_ks(c), key->ptr, key->len, val->ptr, val->len, KS_NO_EXPIRE, 0,
                  db_lookup_now(c));
    c->srv->dirty++;
    db_key_modified(c, key);
    db_notify(c, NOTIFY_STRING, "set", key);
    struct resp_arg argv[3] = {{"SET", 3}, *key, *val};
    propagate_as(c, 3, argv);
}

static void propagate_del(struct client *c, const struct resp_arg *key)
{
    struct resp_arg argv[2] = {{"DEL", 3}, *key};
    propagate_as(c, 2, argv);
}

static void cmd_getdel(struct client *c)
{
    bool err;
    const struct resp_arg *key = &c->argv[1];
    struct ks_entry *e = get_generic(c, key, &err);
    if (!e) return;
    ks_delete_entry(db_ks(c), e);
    c->srv->dirty++;
    db_key_modified(c, key);
    db_notify(c, NOTIFY_GENERIC, "del", key);
    propagate_del(c, key);
}

/* GETEX's effect on the TTL after the value was replied. */
static void getex_apply(struct client *c, struct ks_entry *e, int flags, int64_t when)
{
    const struct resp_arg *key = &c->argv[1];
    struct ks *ks = db_ks(c);
    if ((flags & (SO_EXAT | SO_PXAT)) && when <= server_now_ms(c->srv) &&
        !server_is_replica(c->srv)) {
        ks_delete_entry(ks, e);
        propagate_del(c, key);
        db_notify(c, NOTIFY_GENERIC, "del", key);
    } else if (flags & SO_ANY_EXPIRE) {
        ks_entry_set_expire(ks, e, when);
        db_notify(c, NOTIFY_GENERIC, "expire", key);
        char ms[KS_INT_BUF];
        size_t n = util_ll_to_str(ms, sizeof ms, when);
        struct resp_arg argv[3] = {{"PEXPIREAT", 9}, *key, {ms, n}};
        propagate_as(c, 3, argv);
    } else if ((flags & SO_PERSIST) && ks_entry_expire_ms(e) != KS_NO_EXPIRE) {
        ks_entry_set_expire(ks, e, KS_NO_EXPIRE);
        db_notify(c, NOTIFY_GENERIC, "persist", key);
        struct resp_arg argv[2] = {{"PERSIST", 7}, *key};
        propagate_as(c, 2, argv);
    } else {
        return;
    }
    c->srv->dirty++;
    db_key_modified(c, key);
}

static void cmd_getex(struct client *c)
{
    int flags = 0;
    const struct resp_arg *expire = NULL;
    if (parse_string_opts(c, 2, false, &flags, &expire) != 0) return;
    struct ks_entry *e = db_lookup_read(c, &c->argv[1]);
    if (!e) {
        reply_null(c);
        return;
    }
    if (!db_check_type(c, e, KS_TYPE_STRING)) return;
    int64_t when = KS_NO_EXPIRE;
    if (expire && parse_expire_ms(c, expire, flags, &when) != 0) return;
    reply_string_entry(c, e);
    getex_apply(c, e, flags, when);
}

static void cmd_mget(struct client *c)
{
    reply_array(c, c->argc - 1);
    for (size_t i = 1; i < c->argc; i++) {
        struct ks_entry *e = db_lookup_read(c, &c->argv[i]);
        if (e && ks_entry_type(e) == KS_TYPE_STRING)
            reply_string_entry(c, e);
        else
            reply_null(c);
    }
}

static void mset_generic(struct client *c, bool nx)
{
    if (c->argc % 2 == 0) {
        command_reply_arity(c, nx ? "msetnx" : "mset");
        return;
    }
    if (nx) {
        for (size_t i = 1; i < c->argc; i += 2) {
            if (db_lookup_write(c, &c->argv[i])) {
                reply_integer(c, 0);
                return;
            }
        }
    }
    struct ks *ks = db_ks(c);
    int64_t now = db_lookup_now(c);
    for (size_t i = 1; i < c->argc; i += 2) {
        const struct resp_arg *k = &c->argv[i], *v = &c->argv[i + 1];
        ks_set_string(ks, k->ptr, k->len, v->ptr, v->len, KS_NO_EXPIRE, 0, now);
        db_key_modified(c, k);
        db_notify(c, NOTIFY_STRING, "set", k);
    }
    c->srv->dirty += (long long)(c->argc - 1) / 2;
    if (nx)
        reply_integer(c, 1);
    else
        reply_ok(c);
}

static void cmd_mset(struct client *c) { mset_generic(c, false); }
static void cmd_msetnx(struct client *c) { mset_generic(c, true); }

static void cmd_append(struct client *c)
{
    const struct resp_arg *key = &c->argv[1], *val = &c->argv[2];
    size_t len;
    int rc = ks_str_append(db_ks(c), key->ptr, key->len, val->ptr, val->len, max_string_len(c),
                           db_lookup_now(c), &len);
    if (rc != KS_OK) {
        reply_ks_error(c, rc);
        return;
    }
    c->srv->dirty++;
    db_key_modified(c, key);
    db_notify(c, NOTIFY_STRING, "append", key);
    reply_integer(c, (long long)len);
}

static void cmd_strlen(struct client *c)
{
    struct ks_entry *e = db_lookup_read(c, &c->argv[1]);
    if (!e) {
        reply_integer(c, 0);
        return;
    }
    if (!db_check_type(c, e, KS_TYPE_STRING)) return;
    reply_integer(c, (long long)ks_str_len(e));
}

static void cmd_getrange(struct client *c)
{
    long long start, end;
    if (arg_ll(c, &c->argv[2], &start) != 0 || arg_ll(c, &c->argv[3], &end) != 0) return;
    struct ks_entry *e = db_lookup_read(c, &c->argv[1]);
    if (!e) {
        reply_bulk(c, "", 0);
        return;
    }
    if (!db_check_type(c, e, KS_TYPE_STRING)) return;
    char buf[KS_INT_BUF];
    size_t slen;
    const char *s = ks_str_get(e, buf, &slen);
    long long len = (long long)slen;
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c, "", 0);
        return;
    }
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end || len == 0) {
        reply_bulk(c, "", 0);
        return;
    }
    reply_bulk(c, s + start, (size_t)(end - start + 1));
}

static void cmd_setrange(struct client *c)
{
    const struct resp_arg *key = &c->argv[1], *val = &c->argv[3];
    long long offset;
    if (arg_ll(c, &c->argv[2], &offset) != 0) return;
    if (offset < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }
    size_t len;
    int rc = ks_str_setrange(db_ks(c), key->ptr, key->len, (size_t)offset, val->ptr, val->len,
                             max_string_len(c), db_lookup_now(c), &len);
    if (rc != KS_OK) {
        reply_ks_error(c, rc);
        return;
    }
    if (val->len > 0) {
        c->srv->dirty++;
        db_key_modified(c, key);
        db_notify(c, NOTIFY_STRING, "setrange", key);
    }
    reply_integer(c, (long long)len);
}

static void incr_generic(struct client *c, long long delta)
{
    const struct resp_arg *key = &c->argv[1];
    long long result;
    int rc = ks_str_incrby(db_ks(c), key->ptr, key->len, delta, db_lookup_now(c), &result);
    if (rc != KS_OK) {
        reply_ks_error(c, rc);
        return;
    }
    c->srv->dirty++;
    db_key_modified(c, key);
    db_notify(c, NOTIFY_STRING, "incrby", key);
    reply_integer(c, result);
}

static void cmd_incr(struct client *c) { incr_generic(c, 1); }
static void cmd_decr(struct client *c) { incr_generic(c, -1); }

static void cmd_incrby(struct client *c)
{
    long long delta;
    if (arg_ll(c, &c->argv[2], &delta) != 0) return;
    incr_generic(c, delta);
}

static void cmd_decrby(struct client *c)
{
    long long delta;
    if (arg_ll(c, &c->argv[2], &delta) != 0) return;
    if (delta == LLONG_MIN) {
        reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -delta);
}

static void cmd_incrbyfloat(struct client *c)
{
    const struct resp_arg *key = &c->argv[1];
    long double delta;
    if (util_parse_long_double(c->argv[2].ptr, c->argv[2].len, &delta) != 0) {
        /* Redis checks the key's type before reading the increment. */
        struct ks_entry *e = db_lookup_write(c, key);
        reply_error(c, e && ks_entry_type(e) != KS_TYPE_STRING ? ERR_WRONGTYPE : ERR_NOT_FLOAT);
        return;
    }
    char out[LDOUBLE_TEXT_MAX];
    size_t len;
    int rc = ks_str_incrbyfloat(db_ks(c), key->ptr, key->len, delta, db_lookup_now(c), out,
                                sizeof out, &len);
    if (rc != KS_OK) {
        reply_ks_error(c, rc);
        return;
    }
    c->srv->dirty++;
    db_key_modified(c, key);
    db_notify(c, NOTIFY_STRING, "incrbyfloat", key);
    reply_bulk(c, out, len);
    struct resp_arg argv[4] = {{"SET", 3}, *key, {out, len}, {"KEEPTTL", 7}};
    propagate_as(c, 4, argv);
}

#define STR_CMD(n, a, f, fn_, fk, lk, st)                                                          \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = st, .group = "string"                                                          \
    }

struct command cmd_table_string[] = {
    STR_CMD("get", 2, CMD_READONLY | CMD_FAST, cmd_get, 1, 1, 1),
    STR_CMD("set", -3, CMD_WRITE | CMD_DENYOOM, cmd_set, 1, 1, 1),
    STR_CMD("setnx", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_setnx, 1, 1, 1),
    STR_CMD("setex", 4, CMD_WRITE | CMD_DENYOOM, cmd_setex, 1, 1, 1),
    STR_CMD("psetex", 4, CMD_WRITE | CMD_DENYOOM, cmd_psetex, 1, 1, 1),
    STR_CMD("getset", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_getset, 1, 1, 1),
    STR_CMD("getdel", 2, CMD_WRITE | CMD_FAST, cmd_getdel, 1, 1, 1),
    STR_CMD("getex", -2, CMD_WRITE | CMD_FAST, cmd_getex, 1, 1, 1),
    STR_CMD("mget", -2, CMD_READONLY | CMD_FAST, cmd_mget, 1, -1, 1),
    STR_CMD("mset", -3, CMD_WRITE | CMD_DENYOOM, cmd_mset, 1, -1, 2),
    STR_CMD("msetnx", -3, CMD_WRITE | CMD_DENYOOM, cmd_msetnx, 1, -1, 2),
    STR_CMD("append", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_append, 1, 1, 1),
    STR_CMD("strlen", 2, CMD_READONLY | CMD_FAST, cmd_strlen, 1, 1, 1),
    STR_CMD("getrange", 4, CMD_READONLY, cmd_getrange, 1, 1, 1),
    STR_CMD("substr", 4, CMD_READONLY, cmd_getrange, 1, 1, 1),
    STR_CMD("setrange", 4, CMD_WRITE | CMD_DENYOOM, cmd_setrange, 1, 1, 1),
    STR_CMD("incr", 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_incr, 1, 1, 1),
    STR_CMD("decr", 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_decr, 1, 1, 1),
    STR_CMD("incrby", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_incrby, 1, 1, 1),
    STR_CMD("decrby", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_decrby, 1, 1, 1),
    STR_CMD("incrbyfloat", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, cmd_incrbyfloat, 1, 1, 1),
    {.name = NULL},
};
