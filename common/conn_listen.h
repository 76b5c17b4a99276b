/* conn_listen: the listening sockets of a RESP server (both programs), and the accept loop
 * behind them: every bind address on one port, at most 64 accepts per wake so one busy listener
 * cannot starve the loop, out of descriptors the waiting client is turned away with a reserve
 * descriptor, and other persistent accept errors pause the listeners for a while instead of
 * spinning on a level-triggered socket (net_accept_recover). The program decides what to do with
 * each accepted socket (its admit hook: maxclients, protected mode, its own client).
 * Ownership: the listener is embedded in the program's server; close it with conn_listen_close. */
#ifndef VIGIL_CONN_LISTEN_H
#define VIGIL_CONN_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conn_refuse.h"
#include "common/loop.h"

#define CONN_LISTEN_MAX 16
#define CONN_LISTEN_BACKLOG 511
#define CONN_MAXCLIENTS_REPLY "-ERR max number of clients reached\r\n"

/* Take fd (accepted from ip): NULL if the program now owns it, or the refusal line (a static
 * "-ERR ...\r\n"), which the listener delivers in its port's protocol (conn_refuse.h) before
 * closing fd, and counts as a rejection. */
typedef const char *(*conn_admit_fn)(void *ctx, int fd, const char *ip);
/* A TLS port's context as it is now (a reload may have replaced it), and the handshake
 * deadline; the listener asks at each refusal, so it never keeps a context past a reload. */
typedef struct tls_ctx *(*conn_tls_now_fn)(void *ctx, int64_t *handshake_timeout_ms);

struct conn_listener {
    struct loop *loop;
    int fds[CONN_LISTEN_MAX];
    size_t n;
    int port;             /* the port bound (the first address's, when asked for port 0) */
    int reserve_fd;       /* spare descriptor spent to turn a client away when out of fds */
    uint64_t pause_timer; /* nonzero while the listeners are unwatched after an error */
    conn_admit_fn admit;
    conn_tls_now_fn tls_now; /* NULL: a plaintext port */
    void *ctx;
    uint64_t accepted, rejected; /* INFO total_connections_received, rejected_connections */
    struct conn_refusals refusals;
};

/* Listen on every address (port 0: any, then the same one for the others) and start accepting.
 * 0, or -1 with "<addr>:<port>: <why>" in err and nothing left open. */
int conn_listen_open(struct conn_listener *ls, struct loop *l, char *const *binds, size_t n,
                     int port, conn_admit_fn admit, void *ctx, char *err, size_t errlen);
/* Make ls a TLS port: refusals complete a handshake with tls_now's context and deadline and go
 * over TLS (conn_refuse.h). Out of descriptors, a TLS port closes the waiting client without a
 * reply (a handshake would need a descriptor of its own). */
void conn_listen_set_tls(struct conn_listener *ls, conn_tls_now_fn tls_now);
void conn_listen_close(struct conn_listener *ls);

#endif
