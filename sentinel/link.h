/* link: the sentinel's outbound connections to masters, replicas and peer sentinels, one per
 * (instance id, kind) the core asks for through env->connect.
 *
 *                 connect()             writable + SO_ERROR == 0
 *   (none) -----------------> CONNECTING --------------------------> UP
 *                                 |  refused / timeout                |  EOF, read/write error,
 *                                 v                                   v  protocol error, overflow
 *                             (closed) <-------------------------- (closed)
 *                sentinel_on_link_down() reported         sentinel_on_link_down() reported
 *   disconnect() from the core closes from any state and reports nothing.
 *
 * On UP the core is told (sentinel_on_link_up, with our local address for hellos) and queues
 * its handshake (AUTH, CLIENT SETNAME, PING or SUBSCRIBE) through send(). Commands are encoded
 * into the link's output buffer and written before the loop sleeps (link_mgr_flush). On a
 * command link every reply is matched, in order, with the reply tag of its command and handed to
 * sentinel_on_reply; everything read on a pub/sub link goes to sentinel_on_pubsub.
 *
 * Invariants and limits: at most LINK_MAX_PENDING commands awaiting a reply and
 * LINK_MAX_OUT_BYTES unsent bytes per link (send() refuses more: the core's own limit is 100,
 * docs/sentinel-protocol.md#links); a reply without a pending command, a RESP protocol error or a
 * value beyond the reader's limits closes the link; connects time out after connect_timeout_ms. A
 * closed link is unhashed at once (a new connect for the same id gets a fresh link) and freed after
 * the current loop iteration, never inside its own callback. Nothing here decides anything.
 */
#ifndef VIGIL_SENTINEL_LINK_H
#define VIGIL_SENTINEL_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "common/loop.h"
#include "sentinel/core/env.h"

#define LINK_MAX_PENDING 256
#define LINK_MAX_OUT_BYTES (4u << 20)
#define LINK_MAX_REPLY_BYTES (64u << 20) /* a single bulk (INFO) larger than this is refused */

struct link_mgr;
struct sentinel;
struct resp_value;

/* Owned by the caller. connect_timeout_ms bounds a connect that gets no answer (black hole). */
struct link_mgr *link_mgr_create(struct loop *l, int64_t connect_timeout_ms);
/* Closes every link (reporting nothing) and frees the manager. */
void link_mgr_destroy(struct link_mgr *mgr);
/* The core that receives observations; may be set after creation (env needs the manager first). */
void link_mgr_set_core(struct link_mgr *mgr, struct sentinel *core);
/* Links made from now on speak TLS with tls (borrowed; NULL: plaintext). A reload passes the
 * new context here before freeing the old one: open links hold their own references. */
struct tls_ctx;
void link_mgr_set_tls(struct link_mgr *mgr, struct tls_ctx *tls);

/* env->connect / disconnect / send. */
int link_connect(struct link_mgr *mgr, uint64_t id, enum sentinel_link_kind kind, const char *host,
                 int port);
void link_disconnect(struct link_mgr *mgr, uint64_t id, enum sentinel_link_kind kind);
int link_send(struct link_mgr *mgr, uint64_t id, enum sentinel_link_kind kind, int argc,
              const char *const *argv, uint32_t tag);

/* Write what is queued on every link (call before the loop sleeps). */
void link_mgr_flush(struct link_mgr *mgr);
/* Links open or connecting. */
size_t link_mgr_count(const struct link_mgr *mgr);

/* A reader value as the core's reply type: *out points into one allocation (free() it) whose
 * strings borrow from v. Returns the node count. Exposed for tests. */
size_t link_reply_convert(const struct resp_value *v, struct sentinel_reply **out);

#endif
