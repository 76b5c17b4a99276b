/* repl_link: the replica-side link object shared by repl_replica.c (handshake, state machine)
 * and repl_transfer.c (receiving and loading the snapshot). Internal to those two files and
 * their unit test. */
#ifndef VIGIL_REPL_LINK_H
#define VIGIL_REPL_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "store/repl/repl_int.h"
#include "store/repl/repl_replica.h"

enum link_event {
    LINK_EV_TIMER,       /* the retry timer fired */
    LINK_EV_WRITABLE,    /* the socket became writable (connect completed) */
    LINK_EV_READABLE,    /* the socket has data (TRANSFER reads it itself) */
    LINK_EV_INPUT,       /* new bytes are in l->in */
    LINK_EV_LOADED,      /* the loader thread finished */
    LINK_EV_MASTER_GONE, /* the CLIENT_MASTER client was closed */
};

struct repl_transfer;
struct ssl_st;

#define HS_LINE_MAX 4096

struct repl_link {
    struct repl *r;
    struct server *srv;
    char host[REPL_HOST_LEN];
    int port;
    enum repl_hs_state state;
    int fd;                     /* ours until CONNECTED, then the master client's */
    struct ssl_st *tls;         /* with tls-replication: the session, handed over with fd */
    struct buf in, out;         /* handshake input not yet consumed / output not yet written */
    char line[HS_LINE_MAX + 1]; /* the reply line being looked at */
    bool is_watching_read, is_watching_write;
    int64_t state_since_ms, last_io_ms;
    int64_t down_since_ms; /* when a working link went down; 0: never up since created */
    bool was_ever_up;
    int failures; /* consecutive failed attempts (backoff) */
    uint64_t retry_timer;
    uint64_t ack_timer;    /* the periodic REPLCONF ACK (repl-ack-period-ms), for the link's life */
    int64_t ack_period_ms; /* the period ack_timer runs at; CONFIG SET re-arms it (cron) */
    bool is_failover;      /* our PSYNC carries FAILOVER (we are the demoted master) */
    int failover_result;   /* 0 pending, 1 the new master accepted, -1 failed */
    bool is_continue;
    char new_replid[REPL_ID_LEN + 1];
    long long new_offset;
    struct repl_transfer *transfer;
    /* The full-sync rule (repl_fullsync_verdict). */
    bool is_explicit;        /* REPLICAOF named this master since our last sync: accept once */
    int refused;             /* verdict of the last refused +FULLRESYNC, 0 = none since */
    long long refused_count; /* refusals since the last accepted sync */
    char refused_replid[REPL_ID_LEN + 1];
    long long refused_offset;
};

void repl_link_dispatch(struct repl_link *l, enum link_event ev);
/* read(2)/write(2) on the link's socket, through its TLS session when it has one. */
ssize_t repl_link_read(struct repl_link *l, void *p, size_t n);
ssize_t repl_link_write(struct repl_link *l, const void *p, size_t n);
enum repl_hs_state repl_link_state(const struct repl_link *l);
int repl_link_failover_result(const struct repl_link *l);

/* repl_transfer.c */
void repl_transfer_init(struct repl_link *l);
void repl_transfer_begin(struct repl_link *l);
/* Stop a loader thread, drop the payload (the link stays usable). */
void repl_transfer_abort(struct repl_link *l);
void repl_transfer_free(struct repl_link *l);
enum repl_hs_state repl_transfer_state(struct repl_link *l, enum link_event ev);
enum repl_hs_state repl_loading_state(struct repl_link *l, enum link_event ev);
void repl_transfer_info(const struct repl_link *l, struct buf *o, int64_t now);
void repl_loading_keepalive(struct repl_link *l, int64_t now);

#endif
