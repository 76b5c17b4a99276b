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

#include "common/loop.h"

#define CONN_LISTEN_MAX 16
#define CONN_LISTEN_BACKLOG 511
#define CONN_MAXCLIENTS_REPLY "-ERR max number of clients reached\r\n"

/* Take fd (accepted from ip): true if the program now owns it; false after it wrote its refusal,
 * and the listener closes fd and counts the rejection. */
typedef bool (*conn_admit_fn)(void *ctx, int fd, const char *ip);

struct conn_listener {
    struct loop *loop;
    int fds[CONN_LISTEN_MAX];
    size_t n;
    int port;             /* the port bound (the first address's, when asked for port 0) */
    int reserve_fd;       /* spare descriptor spent to turn a client away when out of fds */
    uint64_t pause_timer; /* nonzero while the listeners are unwatched after an error */
    conn_admit_fn admit;
    void *ctx;
    uint64_t accepted, rejected; /* INFO total_connections_received, rejected_connections */
};

/* Listen on every address (port 0: any, then the same one for the others) and start accepting.
 * 0, or -1 with "<addr>:<port>: <why>" in err and nothing left open. */
int conn_listen_open(struct conn_listener *ls, struct loop *l, char *const *binds, size_t n,
                     int port, conn_admit_fn admit, void *ctx, char *err, size_t errlen);
void conn_listen_close(struct conn_listener *ls);
/* For admit hooks: Redis's refusal when maxclients is reached, written best effort. */
void conn_listen_refuse_maxclients(int fd);

#endif
