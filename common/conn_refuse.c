/* conn_refuse: see conn_refuse.h. */
#include "common/conn_refuse.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tls.h"
#include "common/util.h"

#define REFUSE_DRAIN_BYTES 4096

static void refusal_step(struct loop *l, int fd, void *data, int mask);

void conn_refuse_init(struct conn_refusals *r, struct loop *l)
{
    memset(r, 0, sizeof *r);
    r->loop = l;
    for (size_t i = 0; i < CONN_REFUSE_MAX; i++) {
        r->slots[i].owner = r;
        r->slots[i].fd = -1;
    }
}

/* Closing from the slot's own callback is safe: the fd is unwatched first, so the loop sends it
 * no further event, and nothing else holds the slot. */
static void refusal_end(struct conn_refusal *f)
{
    struct conn_refusals *r = f->owner;
    loop_unwatch(r->loop, f->fd, LOOP_READABLE | LOOP_WRITABLE);
    if (f->timer) loop_timer_cancel(r->loop, f->timer);
    f->timer = 0;
    tls_session_free(f->tls); /* close_notify when the handshake was done */
    f->tls = NULL;
    close(f->fd);
    f->fd = -1;
    r->active--;
}

/* The line is out: take what the client already sent (unread bytes would turn our close into a
 * reset that can cost the client the line), then close. Bounded: one small read. */
static void refusal_delivered(struct conn_refusal *f)
{
    char scratch[REFUSE_DRAIN_BYTES];
    ssize_t n = tls_session_read(f->tls, scratch, sizeof scratch);
    UNUSED(n); /* whatever it was, the client is closed now */
    refusal_end(f);
}

static int64_t refusal_deadline(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct conn_refusal *f = data;
    f->timer = 0;
    refusal_end(f);
    return LOOP_TIMER_STOP;
}

/* Write what is left of the line; the next writability event continues a partial write. */
static void refusal_send(struct conn_refusal *f)
{
    while (f->sent < f->len) {
        ssize_t n = tls_session_write(f->tls, f->reply + f->sent, f->len - f->sent);
        if (n > 0) {
            f->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            loop_watch(f->owner->loop, f->fd, LOOP_WRITABLE, refusal_step, f);
            return;
        }
        refusal_end(f);
        return;
    }
    refusal_delivered(f);
}

static void refusal_step(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(mask);
    struct conn_refusal *f = data;
    loop_unwatch(l, fd, LOOP_READABLE | LOOP_WRITABLE);
    if (!f->is_sending) {
        int want = 0;
        char err[256];
        int rc = tls_session_handshake(f->tls, &want, err, sizeof err);
        if (rc < 0) {
            log_verbose("TLS handshake of a refused client failed: %s", err);
            refusal_end(f);
            return;
        }
        if (rc == 0) {
            loop_watch(l, fd, want, refusal_step, f);
            return;
        }
        f->is_sending = true;
    }
    refusal_send(f);
}

static struct conn_refusal *refusal_free_slot(struct conn_refusals *r)
{
    for (size_t i = 0; i < CONN_REFUSE_MAX; i++)
        if (r->slots[i].fd < 0) return &r->slots[i];
    return NULL;
}

/* Start the handshake of a refused TLS client; false when it must be closed at once. */
static bool refusal_start(struct conn_refusals *r, int fd, const char *reply, struct tls_ctx *t,
                          int64_t timeout_ms)
{
    static struct log_rate full_rate;
    struct conn_refusal *f = refusal_free_slot(r);
    if (!f) {
        log_rate_msg(&full_rate, LOG_WARNING,
                     "Refused TLS client closed without a reply: %d refusals already in flight",
                     CONN_REFUSE_MAX);
        return false;
    }
    char err[256];
    struct ssl_st *s = tls_session_new(t, fd, true, err, sizeof err);
    if (!s) return false;
    if (loop_watch(r->loop, fd, LOOP_READABLE, refusal_step, f) != 0) {
        tls_session_free(s);
        return false;
    }
    f->fd = fd;
    f->tls = s;
    f->reply = reply;
    f->len = strlen(reply);
    f->sent = 0;
    f->is_sending = false;
    f->timer = loop_timer_add(r->loop, timeout_ms, refusal_deadline, f);
    r->active++;
    return true;
}

void conn_refuse(struct conn_refusals *r, int fd, const char *reply, struct tls_ctx *t,
                 int64_t timeout_ms)
{
    if (t) {
        if (!refusal_start(r, fd, reply, t, timeout_ms)) close(fd);
        return;
    }
    ssize_t w = write(fd, reply, strlen(reply)); /* best effort, as Redis */
    UNUSED(w);
    close(fd);
}

void conn_refuse_close_all(struct conn_refusals *r)
{
    if (r->active == 0) return; /* also a zeroed, never initialised table: no slot is in use */
    for (size_t i = 0; i < CONN_REFUSE_MAX; i++)
        if (r->slots[i].fd >= 0) refusal_end(&r->slots[i]);
}
