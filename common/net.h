/* net: thin wrappers over non-blocking BSD sockets for TCP over IPv4 and IPv6: listen, accept,
 * connect, socket options and address formatting. Errors come back as -1 with a message in an
 * optional errbuf, never as exits, so callers decide how loud to be. */
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
