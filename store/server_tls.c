/* server_tls: see server_tls.h. */
#include "store/server_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/conn.h"
#include "common/log.h"
#include "common/util.h"
#include "store/client.h"
#include "store/server.h"

/* The context new sessions use now (a reload swaps it) and the handshake deadline. */
static struct tls_ctx *server_tls_now(void *ctx, int64_t *handshake_timeout_ms)
{
    struct server *srv = ctx;
    *handshake_timeout_ms = srv->cfg.tls_handshake_timeout_ms;
    return srv->tls->ctx;
}

/* Refusals on this port go over TLS too (conn_listen_set_tls). */
static const char *server_tls_admit(void *ctx, int cfd, const char *ip)
{
    struct client *c;
    const char *refusal = server_admit_client(ctx, cfd, ip, &c);
    if (c) {
        int64_t timeout_ms = 0;
        struct tls_ctx *t = server_tls_now(ctx, &timeout_ms);
        conn_start_tls(&c->conn, t, timeout_ms);
    }
    return refusal;
}

static int server_tls_listen(struct server *srv, char *err, size_t errlen)
{
    struct server_tls *t = srv->tls;
    size_t n = MIN(srv->cfg.bind.count, (size_t)STORE_MAX_BINDS);
    char detail[256];
    if (conn_listen_open(&t->listener, srv->loop, srv->cfg.bind.items, n, (int)srv->cfg.tls_port,
                         server_tls_admit, srv, detail, sizeof detail) != 0) {
        snprintf(err, errlen, "Could not create server TLS listening socket %s", detail);
        return -1;
    }
    t->port = t->listener.port;
    conn_listen_set_tls(&t->listener, server_tls_now);
    return 0;
}

int server_tls_init(struct server *srv, char *err, size_t errlen)
{
    if (srv->cfg.tls_port == 0 && !srv->cfg.tls_replication) return 0;
    char detail[512];
    struct tls_ctx *ctx = tls_ctx_create(&srv->cfg.tls, detail, sizeof detail);
    if (!ctx) {
        snprintf(err, errlen, "Failed to configure TLS: %s", detail);
        return -1;
    }
    struct server_tls *t = xcalloc(1, sizeof *t);
    t->listener.reserve_fd = -1;
    t->ctx = ctx;
    tls_settings_copy(&t->applied, &srv->cfg.tls);
    srv->tls = t;
    if (srv->cfg.tls_port != 0) return server_tls_listen(srv, err, errlen);
    return 0;
}

void server_tls_free(struct server *srv)
{
    struct server_tls *t = srv->tls;
    if (!t) return;
    if (t->port) conn_listen_close(&t->listener);
    tls_ctx_destroy(t->ctx);
    tls_settings_free(&t->applied);
    free(t);
    srv->tls = NULL;
}

int server_tls_reload(struct server *srv, char *err, size_t errlen)
{
    struct server_tls *t = srv->tls;
    if (!t) return 0; /* not in use: the settings apply when a restart enables TLS */
    char detail[512];
    struct tls_ctx *ctx = tls_ctx_create(&srv->cfg.tls, detail, sizeof detail);
    if (!ctx) {
        log_warning("Failed applying new TLS configuration (%s). Restoring previous settings.",
                    detail);
        tls_settings_free(&srv->cfg.tls);
        tls_settings_copy(&srv->cfg.tls, &t->applied);
        snprintf(err, errlen, "Unable to update TLS configuration. Check server logs.");
        return -1;
    }
    tls_ctx_destroy(t->ctx); /* open sessions hold their own references */
    t->ctx = ctx;
    tls_settings_free(&t->applied);
    tls_settings_copy(&t->applied, &srv->cfg.tls);
    log_notice("TLS configuration reloaded: new connections use the new certificates");
    return 0;
}

struct ssl_st *server_tls_client_session(struct server *srv, int fd, char *err, size_t errlen)
{
    if (!srv->tls) {
        snprintf(err, errlen, "TLS is not configured (tls-cert-file and a CA are needed)");
        return NULL;
    }
    return tls_session_new(srv->tls->ctx, fd, false, err, errlen);
}
