/* ctl_probe: what answers at a sentinel address when it is not a Vigil sentinel's HTTP API, so
 * that vigilctl can say exactly that instead of a transport error: a RESP port (the sentinel's
 * own Redis-protocol port, a redis-server) or some other HTTP server.
 *
 * A RESP server answers an HTTP request with an error line or by closing the connection (Vigil
 * and Redis refuse a command that starts with POST or Host:), which libcurl reports as a weird
 * reply or an empty one; only then is a second connection opened to send a RESP PING. Bounded:
 * one connect and one read, each within the request timeout; 256 bytes read at most.
 */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "sentinel/ctl/ctl.h"
#include "sentinel/ctl/ctl_format.h"

static int connect_within(const char *host, int port, int64_t timeout_ms)
{
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, service, &hints, &ai) != 0 || ai == NULL) return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof(err);
        if (poll(&p, 1, (int)timeout_ms) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    return fd;
}

bool ctl_probe_is_resp(const char *hostport, int64_t timeout_ms)
{
    char host[256];
    int port;
    if (ctl_parse_hostport(hostport, host, sizeof(host), &port) < 0) return false;
    int fd = connect_within(host, port, timeout_ms);
    if (fd < 0) return false;
    static const char ping[] = "*1\r\n$4\r\nPING\r\n";
    char reply[256];
    ssize_t n = -1;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (send(fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof(ping) - 1) &&
        poll(&p, 1, (int)timeout_ms) == 1)
        n = recv(fd, reply, sizeof(reply) - 1, 0);
    close(fd);
    if (n < 3) return false;
    reply[n] = '\0';
    /* +PONG, or an error such as -NOAUTH / -DENIED: either way a RESP server. */
    return (reply[0] == '+' || reply[0] == '-') && strstr(reply, "\r\n") != NULL;
}

bool ctl_probe_is_vigil_answer(const char *server_header, const cJSON *json)
{
    if (server_header && strncasecmp(server_header, "vigil-sentinel", 14) == 0) return true;
    /* Older sentinels send no Server header and a proxy may replace it, but every answer of a
     * sentinel is a JSON object. */
    return cJSON_IsObject(json);
}
