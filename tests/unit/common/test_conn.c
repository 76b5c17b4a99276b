/* Unit tests for common/conn, reply and conn_cmd: the connection layer both servers share,
 * driven through a small fake program (its own struct client, conn first, and conn_ops) over a
 * socketpair: pipelined commands reach execute in order, a held command stays in the buffer, a
 * client is never freed inside its own callback, replies follow the protocol and the mute flags,
 * the unauthenticated bound closes, and the connection commands answer with Redis 7.0's texts. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/conn.h"
#include "common/conn_cmd.h"
#include "common/reply.h"
#include "common/util.h"

struct client {
    struct conn conn;
    int executed;
    bool hold_next; /* execute answers "held" once */
};
_Static_assert(offsetof(struct client, conn) == 0, "conn must be the first member");

static struct loop *L;
static struct conn_set SET;
static int RELEASED;
static bool NOPASS = true;

static bool fake_execute(struct conn *k, size_t argc, struct resp_arg *argv, size_t consumed)
{
    UNUSED(consumed);
    struct client *c = (struct client *)(void *)k;
    if (c->hold_next) {
        c->hold_next = false;
        return false;
    }
    c->executed++;
    if (util_eq_nocase(argv[0].ptr, argv[0].len, "close"))
        conn_close_async(k);
    else if (util_eq_nocase(argv[0].ptr, argv[0].len, "hello"))
        conn_cmd_hello(k, argc, argv);
    else if (util_eq_nocase(argv[0].ptr, argv[0].len, "client"))
        conn_client_kill(k, argc, argv);
    else
        reply_bulk(conn_client(k), argv[argc - 1].ptr, argv[argc - 1].len);
    return true;
}

static void fake_release(struct conn *k)
{
    UNUSED(k);
    RELEASED++;
}

static bool fake_nopass(const struct conn *k)
{
    UNUSED(k);
    return NOPASS;
}

static int fake_auth(struct conn *k, const char *u, size_t ul, const char *p, size_t pl)
{
    UNUSED(u);
    UNUSED(ul);
    if (pl == 2 && memcmp(p, "pw", 2) == 0) {
        k->flags |= CONN_AUTHENTICATED;
        return 0;
    }
    reply_error(conn_client(k), "WRONGPASS invalid username-password pair or user is disabled.");
    return -1;
}

static bool fake_user_exists(const struct conn *k, const char *u, size_t len)
{
    UNUSED(k);
    return len == 7 && memcmp(u, "default", 7) == 0;
}

static const char *fake_user_of(const struct conn *k)
{
    UNUSED(k);
    return "default";
}

static const char *fake_type(const struct conn *k)
{
    UNUSED(k);
    return "normal";
}

static void fake_describe(const struct conn *k, struct buf *out)
{
    buf_printf(out, "id=%llu", (unsigned long long)k->id);
}

static const struct conn_ops OPS = {
    .execute = fake_execute,
    .release = fake_release,
    .default_user_nopass = fake_nopass,
    .authenticate = fake_auth,
    .user_exists = fake_user_exists,
    .user_of = fake_user_of,
    .type_name = fake_type,
    .describe = fake_describe,
    .hello_mode = "standalone",
};

static int PEER; /* the test's end of the socketpair */

static struct client *fake_connect(void)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    PEER = sv[1];
    struct client *c = xcalloc(1, sizeof *c);
    conn_init(&c->conn, &SET, sv[0], NULL);
    return c;
}

static void setup(void)
{
    L = loop_create(1024);
    conn_set_init(&SET, L, &OPS, 1 << 20);
    RELEASED = 0;
    NOPASS = true;
}

static void teardown(void)
{
    conn_set_free_all(&SET);
    loop_destroy(L);
    if (PEER > 0) close(PEER);
    PEER = 0;
}

/* Feed bytes as if read, run them, flush, and return what the peer receives. */
static char *roundtrip(struct client *c, const char *in)
{
    buf_append(&c->conn.query, in, strlen(in));
    conn_process_input(&c->conn);
    conn_set_flush(&SET);
    static char out[4096];
    ssize_t n = recv(PEER, out, sizeof out - 1, MSG_DONTWAIT);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

TestSuite(conn, .init = setup, .fini = teardown);

Test(conn, pipelined_commands_run_in_order_and_replies_are_flushed_together)
{
    struct client *c = fake_connect();
    char *out =
        roundtrip(c, "*2\r\n$4\r\necho\r\n$1\r\na\r\nECHO b\r\n*2\r\n$4\r\necho\r\n$1\r\nc");
    cr_assert_str_eq(out, "$1\r\na\r\n$1\r\nb\r\n");
    cr_assert_eq(c->executed, 2);
    cr_assert_str_eq(roundtrip(c, "\r\n"), "$1\r\nc\r\n");
}

Test(conn, a_held_command_stays_in_the_buffer_until_input_resumes)
{
    struct client *c = fake_connect();
    c->hold_next = true;
    cr_assert_str_eq(roundtrip(c, "ECHO x\r\n"), "");
    cr_assert_eq(c->executed, 0);
    cr_assert_str_eq(roundtrip(c, ""), "$1\r\nx\r\n");
}

Test(conn, a_client_closing_itself_is_freed_only_after_the_iteration)
{
    struct client *c = fake_connect();
    roundtrip(c, "CLOSE\r\nECHO never\r\n");
    cr_assert_eq(c->executed, 1, "no command runs after the close");
    cr_assert_eq(RELEASED, 0, "not freed inside its own callback");
    cr_assert_eq(SET.count, 1);
    loop_run_once(L, 0);
    cr_assert_eq(RELEASED, 1);
    cr_assert_eq(SET.count, 0);
}

Test(conn, replies_follow_the_protocol_and_the_mute_flags)
{
    struct client *c = fake_connect();
    struct client *cl = c;
    reply_null(cl);
    reply_map(cl, 1);
    c->conn.proto = 3;
    reply_null(cl);
    reply_map(cl, 1);
    cr_assert_eq(c->conn.reply.len, strlen("$-1\r\n*2\r\n_\r\n%1\r\n"));
    cr_assert_eq(memcmp(c->conn.reply.data, "$-1\r\n*2\r\n_\r\n%1\r\n", c->conn.reply.len), 0);
    c->conn.flags |= CONN_REPLY_OFF;
    size_t len = c->conn.reply.len;
    uint64_t errors = SET.stats.error_replies;
    reply_error(cl, "ERR x");
    cr_assert_eq(c->conn.reply.len, len, "muted: nothing appended");
    cr_assert_eq(SET.stats.error_replies, errors + 1, "but the error is counted");
}

Test(conn, an_unauthenticated_client_is_closed_past_the_reply_bound)
{
    NOPASS = false;
    struct client *c = fake_connect();
    cr_assert(conn_auth_required(&c->conn));
    buf_append(&c->conn.reply, "x", 1);
    for (int i = 0; i < 20000; i++) buf_append(&c->conn.reply, "y", 1); /* not read by the peer */
    buf_append(&c->conn.query, "ECHO z\r\n", 8);
    conn_process_input(&c->conn);
    cr_assert(c->conn.flags & CONN_CLOSE_ASAP);
    cr_assert_eq(SET.stats.evicted, 1);
}

Test(conn, hello_before_auth_answers_with_redis_7_0_text)
{
    NOPASS = false;
    struct client *c = fake_connect();
    char *out = roundtrip(c, "HELLO 3\r\n");
    cr_assert_str_eq(out, "-NOAUTH HELLO must be called with the client already authenticated, "
                          "otherwise the HELLO AUTH <user> <pass> option can be used to "
                          "authenticate the client and select the RESP protocol version at the "
                          "same time\r\n");
    cr_assert_str_eq(roundtrip(c, "HELLO 3 AUTH default no\r\n"),
                     "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    out = roundtrip(c, "HELLO 3 AUTH default pw\r\n");
    cr_assert(strncmp(out, "%6\r\n$6\r\nserver\r\n", 16) == 0, "%s", out);
    cr_assert_eq(c->conn.proto, 3);
}

Test(conn, client_kill_filters_answer_as_redis_7_0)
{
    struct client *c = fake_connect();
    cr_assert_str_eq(roundtrip(c, "CLIENT KILL USER nobody\r\n"), "-ERR No such user 'nobody'\r\n");
    cr_assert_str_eq(roundtrip(c, "CLIENT KILL USER DEFAULT\r\n"),
                     "-ERR No such user 'DEFAULT'\r\n");
    cr_assert_str_eq(roundtrip(c, "CLIENT KILL MAXAGE 10\r\n"), "-ERR syntax error\r\n");
    cr_assert_str_eq(roundtrip(c, "CLIENT KILL TYPE foo ADDR\r\n"),
                     "-ERR Unknown client type 'foo'\r\n");
    cr_assert_str_eq(roundtrip(c, "CLIENT KILL ID 1 ADDR\r\n"), "-ERR syntax error\r\n");
    cr_assert_str_eq(roundtrip(c, "CLIENT KILL USER default SKIPME yes\r\n"), ":0\r\n");
    cr_assert_str_eq(roundtrip(c, "CLIENT KILL USER default SKIPME no\r\n"), ":1\r\n");
    cr_assert(c->conn.flags & CONN_CLOSE_AFTER_REPLY, "the caller closes after its reply");
}
