/* conn_cmd: see conn_cmd.h. */
#include "common/conn_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/reply.h"
#include "common/util.h"
#include "common/version.h"

#define ERR_SYNTAX "ERR syntax error"
#define ERR_NAME_CHARS "ERR Client names cannot contain spaces, newlines or special characters."

static bool arg_is(const struct resp_arg *a, const char *word)
{
    return util_eq_nocase(a->ptr, a->len, word);
}

/* Names and library attributes: printable, no spaces. */
static bool printable(const struct resp_arg *a)
{
    for (size_t i = 0; i < a->len; i++)
        if (a->ptr[i] < '!' || a->ptr[i] > '~') return false;
    return true;
}

static void set_attr(char **slot, const struct resp_arg *v)
{
    free(*slot);
    *slot = v->len ? xstrndup(v->ptr, v->len) : NULL;
}

void conn_info_server(const struct conn_server_info *i, struct buf *out)
{
    struct utsname u;
    if (uname(&u) != 0) memset(&u, 0, sizeof u);
    buf_printf(out,
               "# Server\r\nredis_version:%s\r\nvigil_version:%s\r\nredis_git_sha1:00000000\r\n"
               "redis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:%s\r\nos:%s %s %s\r\n"
               "arch_bits:%d\r\nmultiplexing_api:epoll\r\nprocess_id:%d\r\n"
               "process_supervised:no\r\nrun_id:%s\r\ntcp_port:%d\r\nserver_time_usec:%lld\r\n"
               "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%lld\r\nconfigured_hz:%lld\r\n"
               "executable:%s\r\nconfig_file:%s\r\n",
               VIGIL_REDIS_COMPAT_VERSION, VIGIL_VERSION, i->mode, u.sysname, u.release, u.machine,
               (int)(sizeof(void *) * 8), (int)getpid(), i->run_id, i->port, i->now_us, i->uptime_s,
               i->uptime_s / 86400, i->hz, i->hz, i->executable, i->config_file);
}

void conn_reply_unknown_command(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    char args[512];
    size_t used = 0;
    args[0] = '\0';
    for (size_t i = 1; i < argc && used < 128; i++) {
        int room = 128 - (int)used;
        int n = snprintf(args + used, sizeof args - used, "'%.*s' ",
                         (int)MIN(argv[i].len, (size_t)room), argv[i].ptr);
        if (n < 0) break;
        used += (size_t)n;
    }
    reply_errorf(conn_client(c), "ERR unknown command '%.*s', with args beginning with: %s",
                 (int)MIN(argv[0].len, 128), argv[0].ptr, args);
}

void conn_reply_arity(struct conn *c, const char *fullname)
{
    reply_errorf(conn_client(c), "ERR wrong number of arguments for '%s' command", fullname);
}

void conn_reply_unknown_subcommand(struct conn *c, const struct resp_arg *sub, const char *family)
{
    char upper[32];
    size_t i;
    for (i = 0; family[i] && i < sizeof upper - 1; i++)
        upper[i] = (char)(family[i] >= 'a' && family[i] <= 'z' ? family[i] - 32 : family[i]);
    upper[i] = '\0';
    reply_errorf(conn_client(c), "ERR unknown subcommand '%.*s'. Try %s HELP.",
                 (int)MIN(sub->len, 128), sub->ptr, upper);
}

void conn_cmd_ping(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    struct client *cl = conn_client(c);
    if (argc > 2) {
        conn_reply_arity(c, "ping");
        return;
    }
    if ((c->flags & CONN_PUBSUB) && c->proto == 2) {
        /* Subscribed RESP2 clients get PING as a pub/sub-shaped array. */
        reply_array(cl, 2);
        reply_bulk(cl, "pong", 4);
        reply_bulk(cl, argc == 2 ? argv[1].ptr : "", argc == 2 ? argv[1].len : 0);
        return;
    }
    if (argc == 2)
        reply_bulk(cl, argv[1].ptr, argv[1].len);
    else
        reply_raw(cl, "+PONG\r\n", 7);
}

void conn_cmd_quit(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    reply_ok(conn_client(c));
    c->flags |= CONN_CLOSE_AFTER_REPLY;
}

void conn_cmd_auth(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    const struct conn_ops *ops = c->set->ops;
    if (argc > 3) {
        reply_error(conn_client(c), ERR_SYNTAX);
        return;
    }
    if (argc == 2 && ops->default_user_nopass(c)) {
        reply_error(conn_client(c), "ERR AUTH <password> called without any password configured "
                                    "for the default user. Are you sure your configuration is "
                                    "correct?");
        return;
    }
    /* User names are case-sensitive ("DEFAULT" is not the default user), as Redis. */
    const char *user = argc == 3 ? argv[1].ptr : "default";
    size_t ulen = argc == 3 ? argv[1].len : 7;
    const struct resp_arg *pass = &argv[argc - 1];
    if (ops->authenticate(c, user, ulen, pass->ptr, pass->len) == 0) reply_ok(conn_client(c));
}

static void hello_reply(struct conn *c)
{
    struct client *cl = conn_client(c);
    const struct conn_ops *ops = c->set->ops;
    const char *role = ops->hello_role ? ops->hello_role(c) : NULL;
    reply_map(cl, role ? 7 : 6);
    reply_bulk_str(cl, "server");
    reply_bulk_str(cl, "redis");
    reply_bulk_str(cl, "version");
    reply_bulk_str(cl, VIGIL_REDIS_COMPAT_VERSION);
    reply_bulk_str(cl, "proto");
    reply_integer(cl, c->proto);
    reply_bulk_str(cl, "id");
    reply_integer(cl, (long long)c->id);
    reply_bulk_str(cl, "mode");
    reply_bulk_str(cl, ops->hello_mode);
    if (role) {
        reply_bulk_str(cl, "role");
        reply_bulk_str(cl, role);
    }
    reply_bulk_str(cl, "modules");
    reply_empty_array(cl);
}

/* HELLO's options, in order as Redis 7.0: AUTH authenticates where it appears, SETNAME is
 * checked where it appears and applied only once every option is valid. 0, or -1 after an
 * error reply. */
static int hello_options(struct conn *c, size_t argc, const struct resp_arg *argv,
                         const struct resp_arg **setname)
{
    for (size_t i = 2; i < argc; i++) {
        size_t left = argc - i - 1;
        if (arg_is(&argv[i], "AUTH") && left >= 2) {
            const struct resp_arg *u = &argv[i + 1], *p = &argv[i + 2];
            if (c->set->ops->authenticate(c, u->ptr, u->len, p->ptr, p->len) != 0) return -1;
            i += 2;
        } else if (arg_is(&argv[i], "SETNAME") && left >= 1) {
            *setname = &argv[++i];
            if (!printable(*setname)) {
                reply_error(conn_client(c), ERR_NAME_CHARS);
                return -1;
            }
        } else {
            reply_errorf(conn_client(c), "ERR Syntax error in HELLO option '%.*s'",
                         (int)argv[i].len, argv[i].ptr);
            return -1;
        }
    }
    return 0;
}

void conn_cmd_hello(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    long long ver = c->proto;
    if (argc >= 2) {
        if (util_parse_ll(argv[1].ptr, argv[1].len, &ver) != 0) {
            reply_error(conn_client(c), "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(conn_client(c), "NOPROTO unsupported protocol version");
            return;
        }
    }
    const struct resp_arg *setname = NULL;
    if (hello_options(c, argc, argv, &setname) != 0) return;
    if (conn_auth_required(c)) {
        reply_error(conn_client(c),
                    "NOAUTH HELLO must be called with the client already authenticated, otherwise "
                    "the HELLO AUTH <user> <pass> option can be used to authenticate the client "
                    "and select the RESP protocol version at the same time");
        return;
    }
    if (setname) set_attr(&c->name, setname);
    c->proto = (int)ver;
    hello_reply(c);
}

/* ---- CLIENT ---------------------------------------------------------------------------------- */

void conn_client_id(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    reply_integer(conn_client(c), (long long)c->id);
}

void conn_client_getname(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    if (c->name)
        reply_bulk_str(conn_client(c), c->name);
    else
        reply_null(conn_client(c));
}

void conn_client_setname(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    if (!printable(&argv[2])) {
        reply_error(conn_client(c), ERR_NAME_CHARS);
        return;
    }
    set_attr(&c->name, &argv[2]);
    reply_ok(conn_client(c));
}

void conn_client_setinfo(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    char **slot;
    if (arg_is(&argv[2], "LIB-NAME")) {
        slot = &c->lib_name;
    } else if (arg_is(&argv[2], "LIB-VER")) {
        slot = &c->lib_ver;
    } else {
        reply_errorf(conn_client(c), "ERR Unrecognized option '%.*s'", (int)argv[2].len,
                     argv[2].ptr);
        return;
    }
    if (!printable(&argv[3])) {
        reply_errorf(conn_client(c),
                     "ERR %.*s cannot contain spaces, newlines or special "
                     "characters.",
                     (int)argv[2].len, argv[2].ptr);
        return;
    }
    set_attr(slot, &argv[3]);
    reply_ok(conn_client(c));
}

void conn_client_info(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    struct buf out;
    buf_init(&out);
    c->set->ops->describe(c, &out);
    buf_append_char(&out, '\n');
    reply_verbatim(conn_client(c), out.data, out.len);
    buf_free(&out);
}

/* A client type of CLIENT LIST TYPE / CLIENT KILL TYPE ("slave" is "replica"), or NULL. */
static const char *type_by_name(const struct resp_arg *a)
{
    static const char *const types[] = {"normal", "replica", "master", "pubsub"};
    if (arg_is(a, "slave")) return "replica";
    for (size_t i = 0; i < ARRAY_LEN(types); i++)
        if (arg_is(a, types[i])) return types[i];
    return NULL;
}

static void reply_unknown_type(struct conn *c, const struct resp_arg *a)
{
    reply_errorf(conn_client(c), "ERR Unknown client type '%.*s'", (int)a->len, a->ptr);
}

void conn_client_list(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    const char *type = NULL;
    if (argc == 4 && arg_is(&argv[2], "TYPE")) {
        if ((type = type_by_name(&argv[3])) == NULL) {
            reply_unknown_type(c, &argv[3]);
            return;
        }
    } else if (argc != 2) {
        reply_error(conn_client(c), ERR_SYNTAX);
        return;
    }
    struct buf out;
    buf_init(&out);
    for (struct conn *o = c->set->head; o; o = o->next) {
        if (o->flags & CONN_FAKE) continue;
        if (type && strcmp(c->set->ops->type_name(o), type) != 0) continue;
        c->set->ops->describe(o, &out);
        buf_append_char(&out, '\n');
    }
    reply_verbatim(conn_client(c), out.data ? out.data : "", out.len);
    buf_free(&out);
}

struct kill_filter {
    long long id;
    const struct resp_arg *addr, *laddr, *user;
    const char *type;
    bool skipme;
};

static bool arg_eq(const struct resp_arg *a, const char *s)
{
    return a->len == strlen(s) && memcmp(a->ptr, s, a->len) == 0;
}

static bool kill_matches(const struct conn *me, const struct conn *o, const struct kill_filter *f)
{
    const struct conn_ops *ops = me->set->ops;
    if (o->flags & (CONN_FAKE | CONN_CLOSE_ASAP)) return false;
    if (f->skipme && o == me) return false;
    if (f->id >= 0 && (long long)o->id != f->id) return false;
    if (f->addr && !arg_eq(f->addr, o->addr)) return false;
    if (f->laddr && !arg_eq(f->laddr, o->laddr)) return false;
    if (f->user && !arg_eq(f->user, ops->user_of(o))) return false;
    if (f->type && strcmp(ops->type_name(o), f->type) != 0) return false;
    return true;
}

/* One "<filter> <value>" pair; 0, or -1 after an error reply. */
static int kill_filter_add(struct conn *c, struct kill_filter *f, const struct resp_arg *k,
                           const struct resp_arg *v)
{
    if (arg_is(k, "ID")) {
        if (util_parse_ll(v->ptr, v->len, &f->id) != 0 || f->id <= 0) {
            reply_error(conn_client(c), "ERR client-id should be greater than 0");
            return -1;
        }
    } else if (arg_is(k, "TYPE")) {
        if ((f->type = type_by_name(v)) == NULL) {
            reply_unknown_type(c, v);
            return -1;
        }
    } else if (arg_is(k, "ADDR")) {
        f->addr = v;
    } else if (arg_is(k, "LADDR")) {
        f->laddr = v;
    } else if (arg_is(k, "USER")) {
        if (!c->set->ops->user_exists(c, v->ptr, v->len)) {
            reply_errorf(conn_client(c), "ERR No such user '%.*s'", (int)v->len, v->ptr);
            return -1;
        }
        f->user = v;
    } else if (arg_is(k, "SKIPME") && (arg_is(v, "yes") || arg_is(v, "no"))) {
        f->skipme = arg_is(v, "yes");
    } else {
        reply_error(conn_client(c), ERR_SYNTAX);
        return -1;
    }
    return 0;
}

/* The filters in order, as Redis 7.0 reads them (the first bad one answers). */
static int kill_filter_parse(struct conn *c, size_t argc, const struct resp_arg *argv,
                             struct kill_filter *f)
{
    for (size_t i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) {
            reply_error(conn_client(c), ERR_SYNTAX);
            return -1;
        }
        if (kill_filter_add(c, f, &argv[i], &argv[i + 1]) != 0) return -1;
    }
    return 0;
}

/* CLIENT KILL <addr> (the old form: OK or an error) or CLIENT KILL <filter> <value> ... (the
 * count). Others close after this iteration; the caller only after its reply. */
void conn_client_kill(struct conn *c, size_t argc, const struct resp_arg *argv)
{
    struct kill_filter f = {.id = -1, .skipme = true};
    bool old_form = argc == 3;
    if (old_form) {
        f.addr = &argv[2];
        f.skipme = false;
    } else if (kill_filter_parse(c, argc, argv, &f) != 0) {
        return;
    }
    long long killed = 0;
    for (struct conn *o = c->set->head; o; o = o->next) {
        if (!kill_matches(c, o, &f)) continue;
        killed++;
        if (o == c)
            c->flags |= CONN_CLOSE_AFTER_REPLY;
        else
            conn_close_async(o);
    }
    if (!old_form)
        reply_integer(conn_client(c), killed);
    else if (killed == 0)
        reply_error(conn_client(c), "ERR No such client");
    else
        reply_ok(conn_client(c));
}
