/* net: recovering from accept failures. Out of descriptors (EMFILE), a waiting client is
 * accepted with the reserve descriptor, told it was refused, and closed, so the listener's
 * backlog drains instead of waking a level-triggered loop forever; and maxclients is lowered to
 * fit the open files limit. Each Criterion test runs in its own process, so the limits set here
 * do not leak into other tests. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/net.h"

#define REPLY "-ERR max number of clients reached\r\n"

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
    return fd;
}

/* Use up every descriptor below the limit; returns how many were taken (to give back). */
static int exhaust_descriptors(int *held, int cap)
{
    int n = 0;
    while (n < cap) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) break;
        held[n++] = fd;
    }
    cr_assert_eq(errno, EMFILE);
    return n;
}

Test(net, out_of_descriptors_turns_waiting_clients_away_with_the_reserve)
{
    struct rlimit rl = {64, 64};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    char err[128];
    int lfd = net_listen("127.0.0.1", 0, 16, err, sizeof(err));
    cr_assert_geq(lfd, 0, "%s", err);
    int reserve = net_reserve_open();
    cr_assert_geq(reserve, 0);
    int clients[3];
    for (int i = 0; i < 3; i++) clients[i] = connect_to(net_bound_port(lfd));
    int held[64];
    int n_held = exhaust_descriptors(held, 64);

    cr_assert_eq(net_accept(lfd, NULL, 0, NULL), -1);
    cr_assert_eq(errno, EMFILE, "the situation that used to spin");
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(net_accept_recover(lfd, EMFILE, &reserve, REPLY), NET_ACCEPT_REJECTED);
        cr_assert_geq(reserve, 0, "the reserve is taken back after each use");
    }
    cr_assert_eq(net_accept_recover(lfd, EMFILE, &reserve, REPLY), NET_ACCEPT_IDLE,
                 "the backlog is drained");
    for (int i = 0; i < 3; i++) {
        char buf[64] = {0};
        cr_assert_eq(read(clients[i], buf, sizeof(buf) - 1), (ssize_t)strlen(REPLY));
        cr_assert_str_eq(buf, REPLY);
        cr_assert_eq(read(clients[i], buf, sizeof(buf)), 0, "then closed");
    }
    for (int i = 0; i < n_held; i++) close(held[i]);
}

Test(net, without_a_reserve_a_shortage_backs_off)
{
    int reserve = -1;
    struct rlimit rl = {32, 32};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int held[64];
    int n_held = exhaust_descriptors(held, 64);
    cr_assert_eq(net_accept_recover(-1, EMFILE, &reserve, REPLY), NET_ACCEPT_BACKOFF);
    cr_assert_eq(net_accept_recover(-1, ENOBUFS, &reserve, REPLY), NET_ACCEPT_BACKOFF);
    cr_assert_eq(net_accept_recover(-1, ECONNABORTED, &reserve, REPLY), NET_ACCEPT_RETRY);
    cr_assert_eq(net_accept_recover(-1, EAGAIN, &reserve, REPLY), NET_ACCEPT_IDLE);
    for (int i = 0; i < n_held; i++) close(held[i]);
}

Test(net, maxclients_is_lowered_to_fit_a_hard_limit)
{
    struct rlimit rl = {100, 100};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    long long maxclients = 10000;
    char err[128];
    /* Raising the hard limit may work for a privileged process: then nothing is lowered. */
    cr_assert_eq(net_fit_maxclients(&maxclients, 32, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur >= 10032)
        cr_assert_eq(maxclients, 10000);
    else
        cr_assert_eq(maxclients, 68, "100 descriptors less the 32 kept");
}

Test(net, a_soft_limit_is_raised_up_to_the_hard_one)
{
    struct rlimit rl = {64, 4096};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    long long maxclients = 1000;
    char err[128];
    cr_assert_eq(net_fit_maxclients(&maxclients, 32, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(maxclients, 1000);
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    cr_assert_geq(rl.rlim_cur, 1032);
}

Test(net, a_limit_below_the_reserved_descriptors_is_an_error)
{
    struct rlimit rl = {20, 20};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    long long maxclients = 1000;
    char err[128] = "";
    int rc = net_fit_maxclients(&maxclients, 32, err, sizeof(err));
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 1032) {
        cr_assert_eq(rc, -1);
        cr_assert(strstr(err, "ulimit -n") != NULL, "%s", err);
    }
}
