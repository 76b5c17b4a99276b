/* net: thin wrappers over non-blocking BSD sockets for TCP over IPv4 and IPv6: listen, accept,
 * connect, socket options and address formatting. Errors come back as -1 with a message in an
 * optional errbuf, never as exits, so callers decide how loud to be (net_fit_maxclients alone
 * logs, because lowering maxclients is something an operator must see at start). */
#ifndef VIGIL_NET_H
#define VIGIL_NET_H

#include <stddef.h>

#define NET_ADDR_STRLEN 64 /* enough for "[ipv6]:port" */
#define NET_IP_STRLEN 46

/* Listen on host:port (host "*" or "" = any IPv4; "::" = any IPv6). Non-blocking, SO_REUSEADDR,
 * close-on-exec. Returns the fd or -1. */
int net_listen(const char *host, int port, int backlog, char *err, size_t errlen);
/* Accept one connection, non-blocking + TCP_NODELAY. ip/port optional. -1 with errno EAGAIN when
 * nothing is pending. */
int net_accept(int lfd, char *ip, size_t iplen, int *port);

/* Make room for `*maxclients` + `reserved` descriptors (the server's own files and links):
 * raise RLIMIT_NOFILE when allowed, else lower *maxclients to what fits and log a warning
 * saying so (as Redis does; CONFIG GET and INFO then report the lowered value). -1 with a
 * message when not even one client fits. */
int net_fit_maxclients(long long *maxclients, int reserved, char *err, size_t errlen);

/* Running out of descriptors. accept() fails with EMFILE/ENFILE while the connection stays in
 * the backlog, so a level-triggered listener would wake again at once: a busy loop, and the
 * client never hears anything. The remedy: each server keeps one spare descriptor (a reserve,
 * from net_reserve_open) that it gives up for a moment to accept the waiting connection, send it
 * `reject_reply` (NULL: nothing, as on a TLS port), close it, and take the reserve back. What an
 * accept loop does next: */
enum net_accept_next {
    NET_ACCEPT_IDLE,     /* nothing more waiting (EAGAIN): wait for the next wake */
    NET_ACCEPT_RETRY,    /* transient (the peer gave up first): accept the next one */
    NET_ACCEPT_REJECTED, /* out of descriptors: one waiting client was turned away */
    NET_ACCEPT_BACKOFF,  /* failed and cannot be helped now: stop polling the listener a while */
};
#define NET_ACCEPT_BACKOFF_MS 100
int net_reserve_open(void); /* an O_CLOEXEC descriptor on /dev/null, or -1 */
/* After net_accept(lfd) failed with `err` (errno). *reserve_fd is reopened after use (-1 if that
 * fails; the next shortage then answers NET_ACCEPT_BACKOFF until it is reopened). */
enum net_accept_next net_accept_recover(int lfd, int err, int *reserve_fd,
                                        const char *reject_reply);

/* Start a non-blocking connect; the caller waits for writability and then calls
 * net_connect_result(). Returns the fd or -1 (name resolution and immediate failures). */
int net_connect_nonblock(const char *host, int port, char *err, size_t errlen);
/* After the fd becomes writable: 0 if connected, else -1 with the reason in err. */
int net_connect_result(int fd, char *err, size_t errlen);
int net_set_nodelay(int fd);
int net_set_keepalive(int fd, int interval_s);
int net_set_nonblock(int fd, int is_nonblock);
/* Local or peer address of a connected socket as "ip" and port. */
int net_peer_addr(int fd, char *ip, size_t iplen, int *port);
int net_local_addr(int fd, char *ip, size_t iplen, int *port);
/* "ip:port", or "[ip]:port" when ip contains ':' (IPv6). */
void net_format_addr(char *out, size_t outlen, const char *ip, int port);
/* Split "host:port" / "[v6]:port" into parts. 0 or -1. */
int net_parse_addr(const char *s, char *host, size_t hostlen, int *port);
/* The port a listening socket actually bound (for port 0). */
int net_bound_port(int fd);

#endif
