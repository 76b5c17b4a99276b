/* Unit tests of the HTTP server's slow-client guard (sentinel/http/http_guard.c) on socket pairs:
 * the request deadline, the per-address and global caps on pending connections, the
 * exemption of a connection whose request head waits unread, and keep-alive re-arming. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/loop.h"
#include "sentinel/http/http_guard.h"

#define MAX_CONNS 80

static struct loop *L;
static struct http_guard *G;
static int server_fd[MAX_CONNS], client_fd[MAX_CONNS];
static struct http_guard_conn *C[MAX_CONNS];
static int n_conns;

static void setup(void)
{
    L = loop_create(256);
    n_conns = 0;
}

static void teardown(void)
{
    for (int i = 0; i < n_conns; i++) {
        http_guard_on_close(G, C[i]);
        close(server_fd[i]);
        close(client_fd[i]);
    }
    http_guard_destroy(G);
    loop_destroy(L);
}

TestSuite(http_guard, .init = setup, .fini = teardown);

/* A connection from 10.0.0.<host> (0 = no address). */
static int open_conn(int host)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u | host)};
    int i = n_conns++;
    server_fd[i] = sv[0];
    client_fd[i] = sv[1];
    C[i] = http_guard_on_open(G, sv[0], host ? (struct sockaddr *)&a : NULL);
    return i;
}

/* Did the guard shut the server side down (the client reads EOF)? */
static bool is_shut(int i)
{
    char b[64];
    ssize_t n = recv(client_fd[i], b, sizeof(b), MSG_DONTWAIT);
    return n == 0;
}

static void run_loop_ms(int64_t ms)
{
    loop_update_now(L);
    int64_t end = loop_now_ms(L) + ms;
    while (loop_now_ms(L) < end) loop_run_once(L, 5);
}

Test(http_guard, a_request_slower_than_the_deadline_is_closed)
{
    G = http_guard_create(L, 50, NULL, NULL);
    int slow = open_conn(1), fast = open_conn(1);
    http_guard_request_read(G, C[fast]);
    cr_assert(send(client_fd[slow], "GET / HT", 8, 0) == 8);
    run_loop_ms(120);
    cr_assert(is_shut(slow), "the slow connection is shut down at its deadline");
    cr_assert(!is_shut(fast), "a connection whose request was read has no deadline");
    cr_assert_eq(http_guard_stats(G).closed_timeout, 1);
}

Test(http_guard, keep_alive_gets_a_new_deadline_after_each_request)
{
    G = http_guard_create(L, 50, NULL, NULL);
    int c = open_conn(1);
    http_guard_request_read(G, C[c]);
    run_loop_ms(80);
    cr_assert(!is_shut(c));
    http_guard_request_done(G, C[c]);
    run_loop_ms(120);
    cr_assert(is_shut(c), "idle between requests for longer than the deadline");
}

Test(http_guard, one_address_keeps_only_its_newest_pending_connections)
{
    G = http_guard_create(L, 60000, NULL, NULL);
    int extra = 4;
    for (int i = 0; i < HTTP_GUARD_MAX_PENDING_PER_ADDR + extra; i++) open_conn(1);
    int other = open_conn(2);
    http_guard_after_run(G);
    for (int i = 0; i < n_conns; i++) cr_assert(!is_shut(i), "no eviction before a whole run");
    http_guard_after_run(G);
    for (int i = 0; i < n_conns - 1; i++)
        cr_assert_eq(is_shut(i), i < extra, "connection %d: only the oldest are evicted", i);
    cr_assert(!is_shut(other), "another address is not affected");
    cr_assert_eq(http_guard_stats(G).closed_evicted, (uint64_t)extra);
}

Test(http_guard, a_request_head_waiting_unread_is_never_evicted)
{
    G = http_guard_create(L, 60000, NULL, NULL);
    for (int i = 0; i < HTTP_GUARD_MAX_PENDING_PER_ADDR + 1; i++) open_conn(1);
    const char *head = "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert(send(client_fd[0], head, strlen(head), 0) == (ssize_t)strlen(head));
    http_guard_after_run(G);
    http_guard_after_run(G);
    cr_assert(!is_shut(0), "the oldest is fast: its whole head waits in the buffer");
    cr_assert(is_shut(1), "the next oldest, slow one goes instead");
}

Test(http_guard, the_server_keeps_only_its_newest_pending_connections)
{
    G = http_guard_create(L, 60000, NULL, NULL);
    int extra = 3;
    for (int i = 0; i < HTTP_GUARD_MAX_PENDING + extra; i++) open_conn(1 + i % 8);
    http_guard_after_run(G);
    http_guard_after_run(G);
    for (int i = 0; i < n_conns; i++)
        cr_assert_eq(is_shut(i), i < extra, "connection %d: only the oldest are evicted", i);
}
