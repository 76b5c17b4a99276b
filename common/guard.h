/* guard: the checks both servers (vigil-store and the sentinel's RESP port) apply to a client
 * before trusting what it sends, in one place so that a shared connection layer keeps them:
 *
 *   cross-protocol scripting   a browser tricked into POSTing to a loopback port sends an HTTP
 *                              request whose lines parse as inline commands. A command whose
 *                              first word is "POST" or "Host:" closes the connection without a
 *                              reply, so the commands in the body never run (as Redis).
 *   unauthenticated limits     while a password is required and not yet given, a request may
 *                              announce at most 10 arguments of at most 16 KB each (the parser
 *                              enforces it, see resp_request_set_unauthenticated), and unsent
 *                              replies may hold at most GUARD_UNAUTH_MAX_REPLY_BYTES: a stranger
 *                              cannot pin the server's memory (as Redis; see below).
 *   protected mode             with protected-mode on and no password, only loopback clients are
 *                              served; others get Redis's -DENIED text and are disconnected.
 *
 * Everything here is pure except the warning guard_is_cross_protocol logs. */
#ifndef VIGIL_GUARD_H
#define VIGIL_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/resp.h"

/* Redis closes an unauthenticated client once its replies pass its 16 KB reply buffer plus 1 KB
 * of overflow; we bound the unsent reply bytes at 16 KB. Replies before AUTH are short errors,
 * so only a client that pipelines hundreds of commands without reading gets near it. */
#define GUARD_UNAUTH_MAX_REPLY_BYTES ((size_t)16 * 1024)

/* True if the command is an HTTP request line or header ("POST ...", "Host: ...", any case).
 * Logs a warning naming peer (may be NULL). The caller closes the connection at once, dropping
 * any reply not yet written, and runs nothing more from it. */
bool guard_is_cross_protocol(size_t argc, const struct resp_arg *argv, const char *peer);

/* True if a client connecting from peer_ip (textual, as net_accept gives it) must be refused by
 * protected mode: protected_mode is on, no password is set, and the peer is not loopback
 * (127.0.0.0/8, ::1, or IPv4-mapped ::ffff:127.x.x.x). An empty or unparsable address is not
 * loopback. */
bool guard_protected_mode_refuses(bool protected_mode, bool has_password, const char *peer_ip);

/* True if a connection's "ip:port" (or "[ip6]:port") address is loopback: what "local" means for
 * enable-debug-command and enable-protected-configs. A fake connection (empty) is local. */
bool guard_addr_is_loopback(const char *addr);

/* Redis's -DENIED protected-mode error line, for the listener to deliver (conn_listen.h) before
 * it closes the connection. */
const char *guard_denied_reply(void);

#endif
