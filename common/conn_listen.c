/* conn_listen: see conn_listen.h. */
#include "common/conn_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "common/util.h"

#define ACCEPTS_PER_WAKE 64

static void conn_listen_on_accept(struct loop *l, int fd, void *data, int mask);

static void conn_listen_watch(struct conn_listener *ls, bool on)
{
    for (size_t i = 0; i < ls->n; i++) {
        if (on)
            loop_watch(ls->loop, ls->fds[i], LOOP_READABLE, conn_listen_on_accept, ls);
        else
            loop_unwatch(ls->loop, ls->fds[i], LOOP_READABLE);
    }
}

static int64_t conn_listen_resume(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct conn_listener *ls = data;
    ls->pause_timer = 0;
    conn_listen_watch(ls, true);
    return 0;
}

/* False when the accept loop should stop for this wake. */
static bool conn_listen_failed(struct conn_listener *ls, int lfd, int err)
{
    static struct log_rate accept_rate;
    const char *reply = ls->tls_now ? NULL : CONN_MAXCLIENTS_REPLY;
    enum net_accept_next next = net_accept_recover(lfd, err, &ls->reserve_fd, reply);
    if (next == NET_ACCEPT_IDLE) return false;
    if (next == NET_ACCEPT_REJECTED) ls->rejected++;
    log_rate_msg(&accept_rate, LOG_WARNING, "Accepting client connection: %s%s", strerror(err),
                 next == NET_ACCEPT_REJECTED ? " (client turned away)" : "");
    if (next != NET_ACCEPT_BACKOFF) return true;
    if (ls->pause_timer == 0) {
        conn_listen_watch(ls, false);
        ls->pause_timer = loop_timer_add(ls->loop, NET_ACCEPT_BACKOFF_MS, conn_listen_resume, ls);
    }
    return false;
}

/* In the port's protocol; a TLS port without a context (none configured) replies nothing. */
static void conn_listen_refuse(struct conn_listener *ls, int fd, const char *refusal)
{
    int64_t timeout_ms = 0;
    struct tls_ctx *t = ls->tls_now ? ls->tls_now(ls->ctx, &timeout_ms) : NULL;
    if (ls->tls_now && !t)
        close(fd);
    else
        conn_refuse(&ls->refusals, fd, refusal, t, timeout_ms);
}

static void conn_listen_on_accept(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(l);
    UNUSED(mask);
    struct conn_listener *ls = data;
    for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
        char ip[NET_IP_STRLEN];
        int port;
        int cfd = net_accept(fd, ip, sizeof ip, &port);
        if (cfd < 0) {
            if (!conn_listen_failed(ls, fd, errno)) return;
            continue;
        }
        ls->accepted++;
        const char *refusal = ls->admit(ls->ctx, cfd, ip);
        if (refusal) {
            conn_listen_refuse(ls, cfd, refusal);
            ls->rejected++;
        }
    }
}

void conn_listen_set_tls(struct conn_listener *ls, conn_tls_now_fn tls_now)
{
    ls->tls_now = tls_now;
}

int conn_listen_open(struct conn_listener *ls, struct loop *l, char *const *binds, size_t n,
                     int port, conn_admit_fn admit, void *ctx, char *err, size_t errlen)
{
    memset(ls, 0, sizeof *ls);
    ls->loop = l;
    ls->admit = admit;
    ls->ctx = ctx;
    ls->reserve_fd = -1;
    conn_refuse_init(&ls->refusals, l);
    for (size_t i = 0; i < n && ls->n < CONN_LISTEN_MAX; i++) {
        int p = ls->n ? ls->port : port;
        int lfd = net_listen(binds[i], p, CONN_LISTEN_BACKLOG, err, errlen);
        if (lfd < 0 || loop_watch(l, lfd, LOOP_READABLE, conn_listen_on_accept, ls) != 0) {
            char detail[256];
            snprintf(detail, sizeof detail, "%s", lfd < 0 ? err : "cannot watch the socket");
            snprintf(err, errlen, "%s:%d: %s", binds[i], p, detail);
            if (lfd >= 0) close(lfd);
            conn_listen_close(ls);
            return -1;
        }
        ls->fds[ls->n++] = lfd;
        ls->port = net_bound_port(lfd);
    }
    ls->reserve_fd = net_reserve_open();
    return 0;
}

void conn_listen_close(struct conn_listener *ls)
{
    conn_listen_watch(ls, false);
    for (size_t i = 0; i < ls->n; i++) close(ls->fds[i]);
    ls->n = 0;
    if (ls->reserve_fd >= 0) close(ls->reserve_fd);
    ls->reserve_fd = -1;
    if (ls->pause_timer) loop_timer_cancel(ls->loop, ls->pause_timer);
    ls->pause_timer = 0;
    conn_refuse_close_all(&ls->refusals);
}
