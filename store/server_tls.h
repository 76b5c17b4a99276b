/* server_tls: vigil-store's TLS (docs/tls.md): the context built from the tls-* settings, the
 * listener on tls-port whose clients handshake before their first command, the reload that
 * CONFIG SET of a tls-* setting triggers, and the sessions of the replication link to a master
 * when tls-replication is yes.
 *
 * Invariant: srv->tls->applied is the copy of the settings the live context was built from; a
 * reload that fails puts them back into srv->cfg.tls, so CONFIG GET never shows settings that
 * are not in force (as Redis). */
#ifndef VIGIL_SERVER_TLS_H
#define VIGIL_SERVER_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/conn_listen.h"
#include "common/tls.h"

struct server;

struct server_tls {
    struct tls_ctx *ctx;
    struct tls_settings applied;
    struct conn_listener listener;
    int port; /* the TLS port bound, 0 without a listener */
};

/* At start: when tls-port or tls-replication ask for TLS, build the context (a bad certificate
 * or key is an error, as Redis) and listen on tls-port. 0, or -1 with the reason in err. */
int server_tls_init(struct server *srv, char *err, size_t errlen);
void server_tls_free(struct server *srv);
/* Rebuild the context from srv->cfg.tls; new connections use it, existing ones keep theirs.
 * On failure the previous settings are restored and err says why. */
int server_tls_reload(struct server *srv, char *err, size_t errlen);
/* A session for the link to our master (NULL with err when TLS is not configured). */
struct ssl_st *server_tls_client_session(struct server *srv, int fd, char *err, size_t errlen);

#endif
