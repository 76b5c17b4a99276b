/* Tests for the replica's handshake state machine (store/repl/repl_handshake.c, the pure half of
 * repl_replica.c): the edge table, what every handshake reply leads to with and without AUTH and
 * an announced ip, a whole handshake walked reply by reply, and the parsers of +FULLRESYNC,
 * +CONTINUE and the snapshot header on valid, truncated and hostile input. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "store/repl/repl_replica.h"

static enum repl_hs_state after(enum repl_hs_state s, const char *line, bool auth, bool ip)
{
    struct repl_hs_opts o = {.has_auth = auth, .has_ip = ip};
    return repl_hs_after_reply(s, line, strlen(line), &o);
}

#define ID40 "0123456789abcdef0123456789abcdef01234567"

Test(repl_replica, every_state_but_connect_may_fall_back_to_connect)
{
    for (int s = 0; s < REPL_ST_COUNT; s++)
        cr_assert_eq(repl_hs_edge_ok((enum repl_hs_state)s, REPL_ST_CONNECT), s != REPL_ST_CONNECT,
                     "state %s", repl_hs_state_name((enum repl_hs_state)s));
}

Test(repl_replica, edges_follow_the_handshake_order)
{
    cr_assert(repl_hs_edge_ok(REPL_ST_CONNECT, REPL_ST_CONNECTING));
    cr_assert(repl_hs_edge_ok(REPL_ST_CONNECTING, REPL_ST_RECV_PING));
    cr_assert(repl_hs_edge_ok(REPL_ST_RECV_PING, REPL_ST_RECV_AUTH));
    cr_assert(repl_hs_edge_ok(REPL_ST_RECV_PING, REPL_ST_RECV_PORT));
    cr_assert(repl_hs_edge_ok(REPL_ST_RECV_PORT, REPL_ST_RECV_IP));
    cr_assert(repl_hs_edge_ok(REPL_ST_RECV_PORT, REPL_ST_RECV_CAPA));
    cr_assert(repl_hs_edge_ok(REPL_ST_RECV_CAPA, REPL_ST_RECV_PSYNC));
    cr_assert(repl_hs_edge_ok(REPL_ST_RECV_PSYNC, REPL_ST_TRANSFER));
    cr_assert(repl_hs_edge_ok(REPL_ST_RECV_PSYNC, REPL_ST_CONNECTED));
    cr_assert(repl_hs_edge_ok(REPL_ST_TRANSFER, REPL_ST_LOADING));
    cr_assert(repl_hs_edge_ok(REPL_ST_LOADING, REPL_ST_CONNECTED));
}

Test(repl_replica, no_shortcut_skips_loading_or_the_handshake)
{
    cr_assert_not(repl_hs_edge_ok(REPL_ST_TRANSFER, REPL_ST_CONNECTED));
    cr_assert_not(repl_hs_edge_ok(REPL_ST_CONNECT, REPL_ST_CONNECTED));
    cr_assert_not(repl_hs_edge_ok(REPL_ST_CONNECTING, REPL_ST_RECV_PSYNC));
    cr_assert_not(repl_hs_edge_ok(REPL_ST_CONNECTED, REPL_ST_TRANSFER));
    cr_assert_not(repl_hs_edge_ok(REPL_ST_CONNECT, REPL_ST_CONNECT));
    cr_assert_not(repl_hs_edge_ok(REPL_ST_COUNT, REPL_ST_CONNECT));
    cr_assert_not(repl_hs_edge_ok(REPL_ST_CONNECT, (enum repl_hs_state) - 1));
}

Test(repl_replica, role_names_are_the_redis_words)
{
    cr_assert_str_eq(repl_hs_role_name(REPL_ST_CONNECT), "connect");
    cr_assert_str_eq(repl_hs_role_name(REPL_ST_CONNECTING), "connecting");
    for (int s = REPL_ST_RECV_PING; s <= REPL_ST_RECV_PSYNC; s++)
        cr_assert_str_eq(repl_hs_role_name((enum repl_hs_state)s), "handshake");
    cr_assert_str_eq(repl_hs_role_name(REPL_ST_TRANSFER), "sync");
    cr_assert_str_eq(repl_hs_role_name(REPL_ST_LOADING), "sync");
    cr_assert_str_eq(repl_hs_role_name(REPL_ST_CONNECTED), "connected");
    cr_assert_str_eq(repl_hs_role_name(REPL_ST_COUNT), "unknown");
}

Test(repl_replica, ping_reply_accepts_pong_and_the_auth_errors_only)
{
    cr_assert_eq(after(REPL_ST_RECV_PING, "+PONG", false, false), REPL_ST_RECV_PORT);
    cr_assert_eq(after(REPL_ST_RECV_PING, "-NOAUTH Authentication required.", true, false),
                 REPL_ST_RECV_AUTH);
    cr_assert_eq(after(REPL_ST_RECV_PING, "-NOPERM this user has no permissions", false, false),
                 REPL_ST_RECV_PORT);
    cr_assert_eq(after(REPL_ST_RECV_PING, "-ERR operation not permitted", false, false),
                 REPL_ST_RECV_PORT);
    cr_assert_eq(after(REPL_ST_RECV_PING, "-LOADING Redis is loading", false, false),
                 REPL_ST_CONNECT);
    cr_assert_eq(after(REPL_ST_RECV_PING, "-ERR unknown command", false, false), REPL_ST_CONNECT);
    cr_assert_eq(after(REPL_ST_RECV_PING, ":1", false, false), REPL_ST_CONNECT);
    cr_assert_eq(after(REPL_ST_RECV_PING, "", false, false), REPL_ST_CONNECT);
}

Test(repl_replica, auth_error_fails_the_attempt)
{
    cr_assert_eq(after(REPL_ST_RECV_AUTH, "+OK", true, false), REPL_ST_RECV_PORT);
    cr_assert_eq(after(REPL_ST_RECV_AUTH, "-WRONGPASS invalid username-password pair", true, false),
                 REPL_ST_CONNECT);
}

Test(repl_replica, replconf_errors_are_ignored)
{
    cr_assert_eq(after(REPL_ST_RECV_PORT, "-ERR Unrecognized REPLCONF option", false, false),
                 REPL_ST_RECV_CAPA);
    cr_assert_eq(after(REPL_ST_RECV_PORT, "+OK", false, true), REPL_ST_RECV_IP);
    cr_assert_eq(after(REPL_ST_RECV_IP, "-ERR nope", false, true), REPL_ST_RECV_CAPA);
    cr_assert_eq(after(REPL_ST_RECV_CAPA, "-ERR nope", false, false), REPL_ST_RECV_PSYNC);
}

Test(repl_replica, psync_reply_decides_full_partial_or_retry)
{
    cr_assert_eq(after(REPL_ST_RECV_PSYNC, "+FULLRESYNC " ID40 " 1234", false, false),
                 REPL_ST_TRANSFER);
    cr_assert_eq(after(REPL_ST_RECV_PSYNC, "+CONTINUE", false, false), REPL_ST_CONNECTED);
    cr_assert_eq(after(REPL_ST_RECV_PSYNC, "+CONTINUE " ID40, false, false), REPL_ST_CONNECTED);
    cr_assert_eq(after(REPL_ST_RECV_PSYNC,
                       "-NOMASTERLINK Can't SYNC while not connected with my master", false, false),
                 REPL_ST_CONNECT);
    cr_assert_eq(
        after(REPL_ST_RECV_PSYNC, "-LOADING Redis is loading the dataset in memory", false, false),
        REPL_ST_CONNECT);
    cr_assert_eq(after(REPL_ST_RECV_PSYNC, "+FULLRESYNC nonsense", false, false), REPL_ST_CONNECT);
    cr_assert_eq(after(REPL_ST_RECV_PSYNC, "+OK", false, false), REPL_ST_CONNECT);
}

Test(repl_replica, a_whole_handshake_walks_the_table)
{
    static const char *const replies[] = {"+PONG", "+OK", "+OK",
                                          "+OK",   "+OK", "+FULLRESYNC " ID40 " 0"};
    static const enum repl_hs_state expect[] = {REPL_ST_RECV_AUTH,  REPL_ST_RECV_PORT,
                                                REPL_ST_RECV_IP,    REPL_ST_RECV_CAPA,
                                                REPL_ST_RECV_PSYNC, REPL_ST_TRANSFER};
    enum repl_hs_state s = REPL_ST_RECV_PING;
    for (size_t i = 0; i < sizeof replies / sizeof *replies; i++) {
        enum repl_hs_state next = after(s, replies[i], true, true);
        cr_assert_eq(next, expect[i], "step %zu", i);
        cr_assert(repl_hs_edge_ok(s, next), "edge %s -> %s", repl_hs_state_name(s),
                  repl_hs_state_name(next));
        s = next;
    }
    cr_assert(repl_hs_edge_ok(s, REPL_ST_LOADING));
}

Test(repl_replica, states_outside_the_handshake_never_advance_on_a_reply)
{
    cr_assert_eq(after(REPL_ST_CONNECTED, "+OK", false, false), REPL_ST_CONNECT);
    cr_assert_eq(after(REPL_ST_TRANSFER, "+OK", false, false), REPL_ST_CONNECT);
}

Test(repl_replica, fullresync_parses_id_and_offset)
{
    char id[41];
    long long off = -7;
    const char *line = "+FULLRESYNC " ID40 " 9876543210";
    cr_assert_eq(repl_parse_fullresync(line, strlen(line), id, &off), 0);
    cr_assert_str_eq(id, ID40);
    cr_assert_eq(off, 9876543210LL);
}

struct bad_line {
    char s[80]; /* inline: Criterion may run the test in a re-executed process */
};

ParameterizedTestParameters(repl_replica, fullresync_rejects_malformed_lines)
{
    static struct bad_line bad[] = {
        {"+FULLRESYNC"},
        {"+FULLRESYNC "},
        {"+FULLRESYNC " ID40},
        {"+FULLRESYNC " ID40 " "},
        {"+FULLRESYNC " ID40 " -1"},
        {"+FULLRESYNC " ID40 " 12x"},
        {"+FULLRESYNC " ID40 " 99999999999999999999999"},
        {"+FULLRESYNC 0123456789abcdef0123456789abcdef0123456 5"},   /* 39 chars */
        {"+FULLRESYNC 0123456789abcdef0123456789abcdef012345678 5"}, /* 41 chars */
        {"+FULLRESYNC zz23456789abcdef0123456789abcdef01234567 5"},
        {"-FULLRESYNC " ID40 " 5"},
    };
    return cr_make_param_array(struct bad_line, bad, sizeof bad / sizeof *bad);
}

ParameterizedTest(struct bad_line *b, repl_replica, fullresync_rejects_malformed_lines)
{
    char id[41];
    long long off;
    cr_assert_eq(repl_parse_fullresync(b->s, strlen(b->s), id, &off), -1, "%s", b->s);
}

Test(repl_replica, continue_with_and_without_a_new_id)
{
    char id[41] = "junk";
    cr_assert_eq(repl_parse_continue("+CONTINUE", 9, id), 0);
    cr_assert_str_eq(id, "");
    const char *with = "+CONTINUE " ID40;
    cr_assert_eq(repl_parse_continue(with, strlen(with), id), 0);
    cr_assert_str_eq(id, ID40);
    cr_assert_eq(repl_parse_continue("+CONTINUE abc", 13, id), -1);
    cr_assert_eq(repl_parse_continue("+CONTIN", 7, id), -1);
}

Test(repl_replica, bulk_header_length_and_eof_forms)
{
    long long size = 0;
    char mark[41];
    cr_assert_eq(repl_parse_bulk_header("$1234", 5, &size, mark), 0);
    cr_assert_eq(size, 1234);
    const char *eof = "$EOF:" ID40;
    cr_assert_eq(repl_parse_bulk_header(eof, strlen(eof), &size, mark), 0);
    cr_assert_eq(size, -1);
    cr_assert_str_eq(mark, ID40);
    cr_assert_eq(repl_parse_bulk_header("$0", 2, &size, mark), 0);
    cr_assert_eq(size, 0);
}

Test(repl_replica, bulk_header_rejects_garbage)
{
    long long size;
    char mark[41];
    cr_assert_eq(repl_parse_bulk_header("$-1", 3, &size, mark), -1);
    cr_assert_eq(repl_parse_bulk_header("$", 1, &size, mark), -1);
    cr_assert_eq(repl_parse_bulk_header("$12a", 4, &size, mark), -1);
    cr_assert_eq(repl_parse_bulk_header("+OK", 3, &size, mark), -1);
    cr_assert_eq(repl_parse_bulk_header("$EOF:short", 10, &size, mark), -1);
    cr_assert_eq(repl_parse_bulk_header("", 0, &size, mark), -1);
}

/* ---- the full-sync rule: never drop data to follow an empty or regressed master ---- */

#define OURS "1111111111111111111111111111111111111111"
#define OLD2 "2222222222222222222222222222222222222222"
#define NEWM "3333333333333333333333333333333333333333"

static struct repl_fullsync_facts replica_with_data(const char *master_replid, long long moff)
{
    struct repl_fullsync_facts f = {.has_history = true,
                                    .holds_data = true,
                                    .replid = OURS,
                                    .replid2 = OLD2,
                                    .offset = 5000,
                                    .master_replid = master_replid,
                                    .master_offset = moff};
    return f;
}

Test(repl_fullsync, an_empty_master_with_a_new_history_is_refused)
{
    struct repl_fullsync_facts f = replica_with_data(NEWM, 0);
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_REFUSE_REGRESSED);
    cr_assert_str_eq(repl_fullsync_verdict_name(REPL_FULLSYNC_REFUSE_REGRESSED),
                     "regressed-master");
    f.master_offset = 4999; /* a new history one byte behind us: still regressed */
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_REFUSE_REGRESSED);
    f.master_offset = 5000; /* level with us is not ahead: another dataset at our offset */
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_REFUSE_REGRESSED);
    f = replica_with_data(NEWM, 0);
    f.offset = 0; /* synced from a master that had no backlog: both at offset 0 */
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_REFUSE_REGRESSED);
}

Test(repl_fullsync, a_master_past_our_offset_is_followed)
{
    struct repl_fullsync_facts f = replica_with_data(NEWM, 5001);
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_ACCEPT);
    f.master_offset = 90000;
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_ACCEPT);
}

Test(repl_fullsync, our_own_history_is_followed_even_when_behind)
{
    struct repl_fullsync_facts f = replica_with_data(OURS, 10);
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_ACCEPT);
    f.master_replid = OLD2;
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_ACCEPT);
}

Test(repl_fullsync, nothing_to_lose_means_accept)
{
    struct repl_fullsync_facts f = replica_with_data(NEWM, 0);
    f.holds_data = false;
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_ACCEPT);
    f = replica_with_data(NEWM, 0);
    f.has_history = false; /* started from replicaof: the first sync is a full one */
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_ACCEPT);
}

Test(repl_fullsync, an_operator_choice_overrides)
{
    struct repl_fullsync_facts f = replica_with_data(NEWM, 0);
    f.is_explicit = true; /* REPLICAOF named this master again */
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_ACCEPT);
    f = replica_with_data(NEWM, 0);
    f.accept_regressed = true; /* replica-accept-regressed-master yes */
    cr_assert_eq(repl_fullsync_verdict(&f), REPL_FULLSYNC_ACCEPT);
    cr_assert_str_eq(repl_fullsync_verdict_name(REPL_FULLSYNC_ACCEPT), "");
}
