/* link: non-blocking connections from the sentinel to its instances (state machine and limits in
 * link.h). Observations go straight to the core; every call into the core is made from a loop
 * callback (read, write, connect outcome, timer) or from link_mgr_flush, never from inside a
 * call the core made into us, so the core is never re-entered. */
#include "sentinel/link.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/net.h"
#include "common/resp.h"
#include "common/tls.h"
#include "common/util.h"
#include "sentinel/core/sentinel.h"

#define LINK_BUCKETS 1024
#define LINK_READ_CHUNK 16384
#define LINK_READ_PER_EVENT (256u << 10) /* fairness: bytes read per readable event */

enum link_state { LINK_CONNECTING, LINK_HANDSHAKE, LINK_UP, LINK_CLOSED };

struct link {
    struct link_mgr *mgr;
    uint64_t id;
    enum sentinel_link_kind kind;
    enum link_state state;
    int fd;
    struct ssl_st *tls; /* with tls-replication: the session on fd */
    char peer[NET_ADDR_STRLEN];
    uint64_t timer;  /* connect timeout, 0 when none */
    bool is_dirty;   /* on the flush list */
    bool is_writing; /* LOOP_WRITABLE watched for output */
    struct buf out;
    struct resp_reader *reader;
    uint32_t tags[LINK_MAX_PENDING]; /* ring of reply tags, oldest first */
    size_t tag_head, tag_count;
    struct link *hnext; /* hash chain */
    struct link *dirty_next;
};

struct link_mgr {
    struct loop *loop;
    struct sentinel *core;
    int64_t connect_timeout_ms;
    struct tls_ctx *tls; /* borrowed; NULL: plaintext links */
    size_t count;
    struct link *buckets[LINK_BUCKETS];
    struct link *dirty;
    bool is_destroying; /* free closed links at once: no loop iteration will follow */
};

static size_t bucket_of(uint64_t id, enum sentinel_link_kind kind)
{
    uint64_t k = (id << 1) | (uint64_t)kind;
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)(k % LINK_BUCKETS);
}

static struct link *link_find(const struct link_mgr *mgr, uint64_t id, enum sentinel_link_kind kind)
{
    for (struct link *k = mgr->buckets[bucket_of(id, kind)]; k; k = k->hnext)
        if (k->id == id && k->kind == kind) return k;
    return NULL;
}

static void link_unhash(struct link_mgr *mgr, struct link *k)
{
    struct link **pp = &mgr->buckets[bucket_of(k->id, k->kind)];
    while (*pp && *pp != k) pp = &(*pp)->hnext;
    if (*pp) {
        *pp = k->hnext;
        mgr->count--;
    }
}

static void link_free_deferred(struct loop *l, void *data)
{
    UNUSED(l);
    struct link *k = data;
    buf_free(&k->out);
    if (k->reader) resp_reader_destroy(k->reader);
    free(k);
}

/* Close from any state. The struct stays valid until the end of this loop iteration. */
static void link_close(struct link *k, bool report)
{
    if (k->state == LINK_CLOSED) return;
    struct link_mgr *mgr = k->mgr;
    k->state = LINK_CLOSED;
    if (k->timer) loop_timer_cancel(mgr->loop, k->timer);
    k->timer = 0;
    tls_session_free(k->tls);
    k->tls = NULL;
    if (k->fd >= 0) {
        loop_unwatch(mgr->loop, k->fd, LOOP_READABLE | LOOP_WRITABLE);
        close(k->fd);
        k->fd = -1;
    }
    link_unhash(mgr, k);
    /* A dirty link stays on the flush list; flush skips closed links and drops them. */
    if (!k->is_dirty && mgr->is_destroying)
        link_free_deferred(mgr->loop, k);
    else if (!k->is_dirty)
        loop_defer(mgr->loop, link_free_deferred, k);
    if (report && mgr->core) sentinel_on_link_down(mgr->core, k->id, k->kind);
}

static void link_fail(struct link *k, const char *why)
{
    log_verbose("link %llu/%s to %s closed: %s", (unsigned long long)k->id,
                k->kind == SENTINEL_LINK_CMD ? "cmd" : "pubsub", k->peer, why);
    link_close(k, true);
}

/* ---- replies -------------------------------------------------------------------------------- */

static size_t count_nodes(const struct resp_value *v)
{
    size_t n = 1;
    if (v->type == RESP_T_ARRAY || v->type == RESP_T_SET || v->type == RESP_T_PUSH)
        for (size_t i = 0; i < v->count; i++) n += count_nodes(&v->elems[i]);
    return n;
}

/* Fill node *at from v; children go at *next (pre-order layout). */
static void fill_node(const struct resp_value *v, struct sentinel_reply *nodes, size_t at,
                      size_t *next)
{
    struct sentinel_reply *r = &nodes[at];
    memset(r, 0, sizeof(*r));
    switch (v->type) {
    case RESP_T_SIMPLE:
        r->type = SENTINEL_REPLY_STATUS;
        break;
    case RESP_T_ERROR:
    case RESP_T_BLOB_ERROR:
        r->type = SENTINEL_REPLY_ERROR;
        break;
    case RESP_T_INTEGER:
        r->type = SENTINEL_REPLY_INTEGER;
        break;
    case RESP_T_BULK:
    case RESP_T_VERBATIM:
        r->type = SENTINEL_REPLY_STRING;
        break;
    case RESP_T_NULL:
        r->type = SENTINEL_REPLY_NULL;
        break;
    case RESP_T_ARRAY:
    case RESP_T_SET:
    case RESP_T_PUSH:
        r->type = SENTINEL_REPLY_ARRAY;
        break;
    default:
        r->type = SENTINEL_REPLY_OTHER;
        break;
    }
    r->str = v->str;
    r->len = v->str ? v->len : 0;
    r->integer = v->integer;
    if (r->type != SENTINEL_REPLY_ARRAY) return;
    size_t first = *next;
    *next += v->count;
    r->count = v->count;
    r->elems = &nodes[first];
    for (size_t i = 0; i < v->count; i++) fill_node(&v->elems[i], nodes, first + i, next);
}

size_t link_reply_convert(const struct resp_value *v, struct sentinel_reply **out)
{
    size_t n = count_nodes(v), next = 1;
    struct sentinel_reply *nodes = xcalloc(n, sizeof(*nodes));
    fill_node(v, nodes, 0, &next);
    ASSERT(next == n);
    *out = nodes;
    return n;
}

/* Hand one complete value to the core. false when the link must close. */
static bool deliver(struct link *k, const struct resp_value *v)
{
    struct link_mgr *mgr = k->mgr;
    if (v->type == RESP_T_ATTRIBUTE) return true; /* annotations carry nothing we use */
    if (k->kind == SENTINEL_LINK_CMD && v->type == RESP_T_PUSH) return true;
    uint32_t tag = 0;
    if (k->kind == SENTINEL_LINK_CMD) {
        if (k->tag_count == 0) return false; /* a reply nobody asked for: out of sync */
        tag = k->tags[k->tag_head];
        k->tag_head = (k->tag_head + 1) % LINK_MAX_PENDING;
        k->tag_count--;
    }
    if (mgr->core == NULL) return true;
    struct sentinel_reply *r;
    link_reply_convert(v, &r);
    if (k->kind == SENTINEL_LINK_CMD)
        sentinel_on_reply(mgr->core, k->id, tag, r);
    else
        sentinel_on_pubsub(mgr->core, k->id, r);
    free(r);
    return true;
}

static void on_readable(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(l);
    UNUSED(fd);
    UNUSED(mask);
    struct link *k = data;
    char chunk[LINK_READ_CHUNK];
    size_t total = 0;
    while (k->state == LINK_UP && total < LINK_READ_PER_EVENT) {
        /* A chunk holds a whole TLS record: nothing decrypted is left inside the session. */
        ssize_t n = k->tls ? tls_session_read(k->tls, chunk, sizeof(chunk))
                           : read(k->fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            link_fail(k, n == 0 ? "closed by peer" : strerror(errno));
            return;
        }
        total += (size_t)n;
        resp_reader_feed(k->reader, chunk, (size_t)n);
        struct resp_value *v;
        int rc = RESP_INCOMPLETE;
        while (k->state == LINK_UP && (rc = resp_reader_next(k->reader, &v)) == RESP_OK) {
            if (!deliver(k, v)) {
                link_fail(k, "reply without a pending command");
                return;
            }
        }
        if (k->state == LINK_UP && rc == RESP_ERR) {
            link_fail(k, resp_reader_error(k->reader));
            return;
        }
    }
}

/* ---- writing -------------------------------------------------------------------------------- */

static void on_writable(struct loop *l, int fd, void *data, int mask);

/* Write what the output buffer holds. false when the link failed (and was closed). */
static bool link_write(struct link *k)
{
    while (buf_unread_len(&k->out) > 0) {
        ssize_t n = k->tls ? tls_session_write(k->tls, buf_unread(&k->out), buf_unread_len(&k->out))
                           : write(k->fd, buf_unread(&k->out), buf_unread_len(&k->out));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) {
            link_fail(k, strerror(errno));
            return false;
        }
        buf_consume(&k->out, (size_t)n);
    }
    bool pending = buf_unread_len(&k->out) > 0;
    if (pending && !k->is_writing) {
        loop_watch(k->mgr->loop, k->fd, LOOP_WRITABLE, on_writable, k);
        k->is_writing = true;
    } else if (!pending && k->is_writing) {
        loop_unwatch(k->mgr->loop, k->fd, LOOP_WRITABLE);
        k->is_writing = false;
    }
    buf_shrink_if_idle(&k->out, 65536);
    return true;
}

static void on_writable(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(l);
    UNUSED(fd);
    UNUSED(mask);
    struct link *k = data;
    if (k->state == LINK_UP) link_write(k);
}

void link_mgr_flush(struct link_mgr *mgr)
{
    struct link *k = mgr->dirty;
    mgr->dirty = NULL;
    while (k) {
        struct link *next = k->dirty_next;
        k->is_dirty = false;
        k->dirty_next = NULL;
        if (k->state == LINK_CLOSED)
            loop_defer(mgr->loop, link_free_deferred, k);
        else if (k->state == LINK_UP)
            link_write(k);
        k = next;
    }
}

static void mark_dirty(struct link *k)
{
    if (k->is_dirty) return;
    k->is_dirty = true;
    k->dirty_next = k->mgr->dirty;
    k->mgr->dirty = k;
}

int link_send(struct link_mgr *mgr, uint64_t id, enum sentinel_link_kind kind, int argc,
              const char *const *argv, uint32_t tag)
{
    struct link *k = link_find(mgr, id, kind);
    if (k == NULL || k->state != LINK_UP || argc <= 0) return -1;
    if (kind == SENTINEL_LINK_CMD && k->tag_count >= LINK_MAX_PENDING) return -1;
    if (buf_unread_len(&k->out) >= LINK_MAX_OUT_BYTES) return -1;
    resp_write_commandv(&k->out, argv, (size_t)argc);
    if (kind == SENTINEL_LINK_CMD) {
        k->tags[(k->tag_head + k->tag_count) % LINK_MAX_PENDING] = tag;
        k->tag_count++;
    }
    mark_dirty(k);
    return 0;
}

/* ---- connecting ----------------------------------------------------------------------------- */

static void link_up(struct link *k);

/* The TLS handshake, stepped on socket events; the connect timeout bounds it too. */
static void on_handshake(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(mask);
    struct link *k = data;
    if (k->state != LINK_HANDSHAKE) return;
    char err[256];
    int want = 0;
    int rc = tls_session_handshake(k->tls, &want, err, sizeof(err));
    if (rc < 0) {
        link_fail(k, err);
        return;
    }
    loop_unwatch(l, fd, LOOP_READABLE | LOOP_WRITABLE);
    if (rc == 0)
        loop_watch(l, fd, want, on_handshake, k);
    else
        link_up(k);
}

static void on_connected(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(mask);
    struct link *k = data;
    if (k->state != LINK_CONNECTING) return;
    char err[256];
    loop_unwatch(l, fd, LOOP_WRITABLE);
    if (net_connect_result(fd, err, sizeof(err)) != 0) {
        link_fail(k, err);
        return;
    }
    if (k->mgr->tls == NULL) {
        link_up(k);
        return;
    }
    k->tls = tls_session_new(k->mgr->tls, fd, false, err, sizeof(err));
    if (k->tls == NULL) {
        link_fail(k, err);
        return;
    }
    k->state = LINK_HANDSHAKE;
    on_handshake(l, fd, k, LOOP_WRITABLE);
}

static void link_up(struct link *k)
{
    struct loop *l = k->mgr->loop;
    int fd = k->fd;
    char local_ip[NET_IP_STRLEN] = "";
    if (k->timer) loop_timer_cancel(l, k->timer);
    k->timer = 0;
    int local_port;
    net_local_addr(fd, local_ip, sizeof(local_ip), &local_port);
    k->state = LINK_UP;
    if (loop_watch(l, fd, LOOP_READABLE, on_readable, k) != 0) {
        link_fail(k, "cannot watch the socket");
        return;
    }
    log_debug("link %llu/%s to %s up", (unsigned long long)k->id,
              k->kind == SENTINEL_LINK_CMD ? "cmd" : "pubsub", k->peer);
    if (k->mgr->core) sentinel_on_link_up(k->mgr->core, k->id, k->kind, local_ip);
}

static int64_t on_connect_timeout(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct link *k = data;
    k->timer = 0;
    if (k->state == LINK_CONNECTING) link_fail(k, "connect timed out");
    if (k->state == LINK_HANDSHAKE) link_fail(k, "TLS handshake timed out");
    return LOOP_TIMER_STOP;
}

int link_connect(struct link_mgr *mgr, uint64_t id, enum sentinel_link_kind kind, const char *host,
                 int port)
{
    struct link *old = link_find(mgr, id, kind);
    if (old) link_close(old, false);
    char err[256];
    int fd = net_connect_nonblock(host, port, err, sizeof(err));
    if (fd < 0) {
        log_debug("connect to %s:%d failed: %s", host, port, err);
        return -1;
    }
    struct link *k = xcalloc(1, sizeof(*k));
    k->mgr = mgr;
    k->id = id;
    k->kind = kind;
    k->fd = fd;
    k->state = LINK_CONNECTING;
    net_format_addr(k->peer, sizeof(k->peer), host, port);
    buf_init(&k->out);
    struct resp_limits lim;
    resp_limits_default(&lim);
    lim.max_bulk_len = LINK_MAX_REPLY_BYTES;
    lim.max_multibulk_len = 65536;
    lim.max_depth = 8;
    k->reader = resp_reader_create(&lim);
    if (loop_watch(mgr->loop, fd, LOOP_WRITABLE, on_connected, k) != 0) {
        close(fd);
        resp_reader_destroy(k->reader);
        free(k);
        return -1;
    }
    k->timer = loop_timer_add(mgr->loop, mgr->connect_timeout_ms, on_connect_timeout, k);
    size_t b = bucket_of(id, kind);
    k->hnext = mgr->buckets[b];
    mgr->buckets[b] = k;
    mgr->count++;
    return 0;
}

void link_disconnect(struct link_mgr *mgr, uint64_t id, enum sentinel_link_kind kind)
{
    struct link *k = link_find(mgr, id, kind);
    if (k) link_close(k, false);
}

/* ---- manager -------------------------------------------------------------------------------- */

struct link_mgr *link_mgr_create(struct loop *l, int64_t connect_timeout_ms)
{
    struct link_mgr *mgr = xcalloc(1, sizeof(*mgr));
    mgr->loop = l;
    mgr->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 1000;
    return mgr;
}

void link_mgr_set_core(struct link_mgr *mgr, struct sentinel *core) { mgr->core = core; }

void link_mgr_set_tls(struct link_mgr *mgr, struct tls_ctx *tls) { mgr->tls = tls; }

size_t link_mgr_count(const struct link_mgr *mgr) { return mgr->count; }

void link_mgr_destroy(struct link_mgr *mgr)
{
    if (mgr == NULL) return;
    mgr->is_destroying = true;
    struct link *k = mgr->dirty;
    mgr->dirty = NULL;
    while (k) {
        struct link *next = k->dirty_next;
        k->is_dirty = false;
        if (k->state == LINK_CLOSED) link_free_deferred(mgr->loop, k);
        k = next;
    }
    for (size_t b = 0; b < LINK_BUCKETS; b++)
        while (mgr->buckets[b]) link_close(mgr->buckets[b], false);
    free(mgr);
}
