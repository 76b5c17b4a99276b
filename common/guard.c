/* guard: see guard.h. */
#include "common/guard.h"
#include "common/net.h"

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* Byte for byte Redis 7.0's reply (clients and operators recognise it). */
static const char DENIED_MSG[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password "
    "is set for the default user. In this mode connections are only accepted from the loopback "
    "interface. If you want to connect from external computers to Redis you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    "protected-mode no' from the loopback interface by connecting to Redis from the same host the "
    "server is running, however MAKE SURE Redis is not publicly accessible from internet if you "
    "do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just "
    "disable the protected mode by editing the Redis configuration file, and setting the "
    "protected mode option to 'no', and then restarting the server. 3) If you started the server "
    "manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an "
    "authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.\r\n";

bool guard_is_cross_protocol(size_t argc, const struct resp_arg *argv, const char *peer)
{
    if (argc == 0) return false;
    if (!util_eq_nocase(argv[0].ptr, argv[0].len, "post") &&
        !util_eq_nocase(argv[0].ptr, argv[0].len, "host:"))
        return false;
    log_warning("Refused a command from %s: it starts with POST or Host:, so this is an HTTP "
                "request (a web page may be attacking a local port by cross-protocol scripting). "
                "Connection closed.",
                peer ? peer : "?");
    return true;
}

static bool ip_is_loopback(const char *ip)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, ip, a) == 1) return a[0] == 127;
    if (inet_pton(AF_INET6, ip, a) != 1) return false;
    static const unsigned char v6_loop[16] = {[15] = 1};
    static const unsigned char v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (memcmp(a, v6_loop, 16) == 0) return true;
    return memcmp(a, v4_mapped, 12) == 0 && a[12] == 127;
}

bool guard_protected_mode_refuses(bool protected_mode, bool has_password, const char *peer_ip)
{
    if (!protected_mode || has_password) return false;
    return peer_ip == NULL || !ip_is_loopback(peer_ip);
}

bool guard_addr_is_loopback(const char *addr)
{
    if (addr[0] == '\0') return true;
    char host[NET_ADDR_STRLEN];
    int port;
    return net_parse_addr(addr, host, sizeof(host), &port) == 0 && ip_is_loopback(host);
}

const char *guard_denied_reply(void) { return DENIED_MSG; }
