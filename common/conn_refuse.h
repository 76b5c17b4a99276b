/* conn_refuse: telling a client turned away at accept (maxclients, protected mode) why, in the
 * protocol its port speaks. On a plaintext port the line is written at once and the socket
 * closed. On a TLS port the client expects a handshake, so plaintext bytes would reach it as a
 * handshake failure: the refusal completes the handshake first (within the handshake timeout),
 * sends the line as a TLS record, then close_notify and close (docs/tls.md#refusals).
 *
 * Each TLS refusal is a small state machine the loop drives: handshake -> write -> close.
 * Bound: at most CONN_REFUSE_MAX refusals are in flight per listener, each for at most the
 * handshake timeout (it covers writing the line too); past the bound a refused connection is
 * closed at once without a reply, so refused clients that handshake slowly cannot become a way
 * around maxclients.
 * Ownership: embedded in its listener (conn_listen.h), which must not move while refusals run;
 * conn_refuse_close_all ends them all. The reply texts are static strings, never copied. */
#ifndef VIGIL_CONN_REFUSE_H
#define VIGIL_CONN_REFUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/loop.h"

#define CONN_REFUSE_MAX 32

struct ssl_st;
struct tls_ctx;
struct conn_refusals;

struct conn_refusal {
    struct conn_refusals *owner;
    int fd; /* -1: the slot is free */
    struct ssl_st *tls;
    uint64_t timer;    /* the handshake deadline, then the close once the line is out */
    const char *reply; /* static */
    size_t len, sent;
    bool is_sending; /* the handshake is done */
};

struct conn_refusals {
    struct loop *loop;
    size_t active;
    struct conn_refusal slots[CONN_REFUSE_MAX];
};

void conn_refuse_init(struct conn_refusals *r, struct loop *l);
/* Refuse fd with reply (a static "-ERR ...\r\n" line): in plaintext when t is NULL, else over
 * TLS with a session from t (the session keeps its own reference: a reload may replace t), the
 * handshake closed after timeout_ms. fd is always taken: closed at once, or once the line is
 * delivered, the handshake fails, or the deadline passes. */
void conn_refuse(struct conn_refusals *r, int fd, const char *reply, struct tls_ctx *t,
                 int64_t timeout_ms);
/* End every refusal in flight now (the listener is closing). */
void conn_refuse_close_all(struct conn_refusals *r);

#endif
