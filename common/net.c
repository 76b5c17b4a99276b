/* net: see net.h. */
#include "common/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

static void set_err(char *err, size_t errlen, const char *what, const char *detail)
{
    if (err && errlen) snprintf(err, errlen, "%s: %s", what, detail);
}

int net_set_nonblock(int fd, int is_nonblock)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    flags = is_nonblock ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags);
}

int net_set_nodelay(int fd)
{
    int yes = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

int net_set_keepalive(int fd, int interval_s)
{
    int yes = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof yes) < 0) return -1;
    if (interval_s <= 0) return 0;
    int idle = interval_s, intvl = MAX(interval_s / 3, 1), cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    return 0;
}

static struct addrinfo *resolve(const char *host, int port, bool passive, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    if (host && (host[0] == '\0' || strcmp(host, "*") == 0)) host = passive ? "0.0.0.0" : NULL;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        set_err(err, errlen, host ? host : "(any)", gai_strerror(rc));
        return NULL;
    }
    return res;
}

int net_listen(const char *host, int port, int backlog, char *err, size_t errlen)
{
    struct addrinfo *res = resolve(host, port, true, err, errlen);
    if (!res) return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &yes, sizeof yes);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) break;
        set_err(err, errlen, "bind/listen", strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void sockaddr_to_ip(const struct sockaddr_storage *sa, char *ip, size_t iplen, int *port)
{
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        if (ip) inet_ntop(AF_INET, &s->sin_addr, ip, (socklen_t)iplen);
        if (port) *port = ntohs(s->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        if (ip) inet_ntop(AF_INET6, &s->sin6_addr, ip, (socklen_t)iplen);
        if (port) *port = ntohs(s->sin6_port);
    } else {
        if (ip && iplen) snprintf(ip, iplen, "?");
        if (port) *port = 0;
    }
}

int net_accept(int lfd, char *ip, size_t iplen, int *port)
{
    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    int fd;
    do fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return -1;
    net_set_nodelay(fd);
    sockaddr_to_ip(&sa, ip, iplen, port);
    return fd;
}

int net_fit_maxclients(long long *maxclients, int reserved, char *err, size_t errlen)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    rlim_t want = (rlim_t)*maxclients + (rlim_t)reserved;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        /* A hard limit raised past its value needs privilege; failing that, take all it allows. */
        bool hard_ok = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want;
        struct rlimit raised = {want, hard_ok ? rl.rlim_max : want};
        if (setrlimit(RLIMIT_NOFILE, &raised) != 0 && rl.rlim_max > rl.rlim_cur) {
            raised.rlim_cur = raised.rlim_max = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &raised);
        }
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) return 0;
    if (rl.rlim_cur <= (rlim_t)reserved) {
        snprintf(err, errlen,
                 "the open files limit (ulimit -n) of %llu is too low: at least %d are needed",
                 (unsigned long long)rl.rlim_cur, reserved + 1);
        return -1;
    }
    long long fitted = (long long)rl.rlim_cur - reserved;
    log_warning("maxclients lowered from %lld to %lld: the open files limit is %llu and %d "
                "descriptors are kept for the server itself (raise ulimit -n or LimitNOFILE)",
                *maxclients, fitted, (unsigned long long)rl.rlim_cur, reserved);
    *maxclients = fitted;
    return 0;
}

int net_reserve_open(void) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

/* Spend the reserve on the connection at the head of the backlog: a reply it can read, then a
 * close, instead of a client hanging until its own timeout. */
static enum net_accept_next shed_one(int lfd, int *reserve_fd, const char *reject_reply)
{
    if (*reserve_fd < 0) *reserve_fd = net_reserve_open(); /* a descriptor may be free again */
    if (*reserve_fd < 0) return NET_ACCEPT_BACKOFF;
    close(*reserve_fd);
    int fd;
    do fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    int accept_errno = errno;
    if (fd >= 0) {
        ssize_t w =
            reject_reply ? write(fd, reject_reply, strlen(reject_reply)) : 0; /* best effort */
        UNUSED(w);
        close(fd);
    }
    *reserve_fd = net_reserve_open();
    if (fd >= 0) return NET_ACCEPT_REJECTED;
    if (accept_errno == EAGAIN || accept_errno == EWOULDBLOCK) return NET_ACCEPT_IDLE;
    return NET_ACCEPT_BACKOFF; /* another thread took the descriptor, or ENFILE system-wide */
}

enum net_accept_next net_accept_recover(int lfd, int err, int *reserve_fd, const char *reject_reply)
{
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
        return NET_ACCEPT_IDLE;
    case ECONNABORTED:
    case EPROTO:
    case EPERM: /* a firewall rule refused it */
        return NET_ACCEPT_RETRY;
    case EMFILE:
    case ENFILE:
        return shed_one(lfd, reserve_fd, reject_reply);
    default: /* ENOBUFS, ENOMEM, ...: the backlog would wake us again at once */
        return NET_ACCEPT_BACKOFF;
    }
}

int net_connect_nonblock(const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo *res = resolve(host, port, false, err, errlen);
    if (!res) return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        net_set_nodelay(fd);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) break;
        set_err(err, errlen, "connect", strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int net_connect_result(int fd, char *err, size_t errlen)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) soerr = errno;
    if (soerr == 0) return 0;
    set_err(err, errlen, "connect", strerror(soerr));
    return -1;
}

int net_peer_addr(int fd, char *ip, size_t iplen, int *port)
{
    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    if (getpeername(fd, (struct sockaddr *)&sa, &salen) < 0) return -1;
    sockaddr_to_ip(&sa, ip, iplen, port);
    return 0;
}

int net_local_addr(int fd, char *ip, size_t iplen, int *port)
{
    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) return -1;
    sockaddr_to_ip(&sa, ip, iplen, port);
    return 0;
}

int net_bound_port(int fd)
{
    int port = -1;
    if (net_local_addr(fd, NULL, 0, &port) < 0) return -1;
    return port;
}

void net_format_addr(char *out, size_t outlen, const char *ip, int port)
{
    if (strchr(ip, ':'))
        snprintf(out, outlen, "[%s]:%d", ip, port);
    else
        snprintf(out, outlen, "%s:%d", ip, port);
}

int net_parse_addr(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') return -1;
        hlen = (size_t)(close - s - 1);
        s++;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) return -1;
        hlen = (size_t)(colon - s);
    }
    long long p;
    if (hlen == 0 || hlen >= hostlen) return -1;
    if (util_parse_ll(colon + 1, strlen(colon + 1), &p) != 0 || p < 0 || p > 65535) return -1;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}
