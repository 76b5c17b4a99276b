/* http_guard: request deadline and pending-connection caps for the HTTP server (see
 * http_guard.h). The pending FIFO is ordered by the time a connection became pending (times
 * only grow, records are appended), so the head is always the next deadline and the oldest
 * candidate for eviction; one loop timer is armed for the head's deadline.
 * Caps are enforced after each server run (http_guard_after_run), and only on connections
 * that have been through a whole run since they became pending (the server reads a new
 * connection in the run after the one that accepted it) and have no complete request head
 * waiting unread in their socket buffer: only connections that are really slow are evicted,
 * never a fast one that merely arrived in the same burst as a flood. */
#include "sentinel/http/http_guard.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/log.h"
#include "common/util.h"

struct addr_key {
    int family; /* AF_INET, AF_INET6, or 0 when unknown (never matches) */
    uint8_t bytes[16];
};

struct http_guard_conn {
    int fd;
    struct addr_key addr;
    bool is_pending;
    bool is_closing; /* shut down by the guard, waiting for the server's close */
    int64_t pending_since_ms;
    uint64_t pending_run;                        /* the guard's run count when it became pending */
    struct http_guard_conn *prev, *next;         /* the pending FIFO, while is_pending */
    struct http_guard_conn *all_prev, *all_next; /* every open record */
};

#define ADDR_SLOTS 512 /* > 2 x HTTP_MAX_CONNECTIONS: the open-addressing table stays sparse */

struct addr_count {
    struct addr_key key;
    size_t n;
};

struct http_guard {
    struct loop *loop;
    int64_t timeout_ms;
    void (*kick)(void *ctx);
    void *kick_ctx;
    struct http_guard_conn *head, *tail; /* pending, oldest first */
    struct http_guard_conn *all;         /* every record, pending or not */
    size_t n_pending;
    uint64_t timer;
    uint64_t runs; /* http_guard_after_run calls */
    struct http_guard_stats stats;
    struct http_guard_stats logged; /* stats at the last summary in the log */
    int64_t logged_ms;
    struct addr_count counts[ADDR_SLOTS]; /* scratch for enforce_caps */
};

static void key_of(const struct sockaddr *sa, struct addr_key *k)
{
    memset(k, 0, sizeof(*k));
    if (sa == NULL) return;
    if (sa->sa_family == AF_INET) {
        k->family = AF_INET;
        memcpy(k->bytes, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        k->family = AF_INET6;
        memcpy(k->bytes, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    }
}

static bool key_eq(const struct addr_key *a, const struct addr_key *b)
{
    return a->family != 0 && a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static void fifo_remove(struct http_guard *g, struct http_guard_conn *c)
{
    if (!c->is_pending) return;
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        g->tail = c->prev;
    c->prev = c->next = NULL;
    c->is_pending = false;
    g->n_pending--;
}

static void fifo_append(struct http_guard *g, struct http_guard_conn *c)
{
    c->is_pending = true;
    c->pending_since_ms = loop_now_ms(g->loop);
    c->pending_run = g->runs;
    c->prev = g->tail;
    c->next = NULL;
    if (g->tail)
        g->tail->next = c;
    else
        g->head = c;
    g->tail = c;
    g->n_pending++;
}

/* One line per HTTP_GUARD_LOG_EVERY_MS at most: a flood must not flood the log too. */
static void log_summary(struct http_guard *g)
{
    int64_t now = loop_now_ms(g->loop);
    if (g->logged_ms && now - g->logged_ms < HTTP_GUARD_LOG_EVERY_MS) return;
    uint64_t t = g->stats.closed_timeout - g->logged.closed_timeout;
    uint64_t e = g->stats.closed_evicted - g->logged.closed_evicted;
    if (t == 0 && e == 0) return;
    log_notice("http: closed %llu connections slower than http.request-timeout (%lld ms) and "
               "%llu pending ones past the caps (%d per address, %d in all) since the last report",
               (unsigned long long)t, (long long)g->timeout_ms, (unsigned long long)e,
               HTTP_GUARD_MAX_PENDING_PER_ADDR, HTTP_GUARD_MAX_PENDING);
    g->logged = g->stats;
    g->logged_ms = now;
}

/* Shut the connection down; the server sees EOF, closes it and calls http_guard_on_close. */
static void close_conn(struct http_guard *g, struct http_guard_conn *c)
{
    fifo_remove(g, c);
    c->is_closing = true;
    shutdown(c->fd, SHUT_RDWR);
    if (g->kick) g->kick(g->kick_ctx);
}

static void arm_timer(struct http_guard *g);

static int64_t on_deadline(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct http_guard *g = data;
    g->timer = 0;
    int64_t now = loop_now_ms(g->loop);
    while (g->head && now - g->head->pending_since_ms >= g->timeout_ms) {
        g->stats.closed_timeout++;
        close_conn(g, g->head);
    }
    log_summary(g);
    arm_timer(g);
    return LOOP_TIMER_STOP;
}

static void arm_timer(struct http_guard *g)
{
    if (g->timer || g->head == NULL) return;
    int64_t delay = g->head->pending_since_ms + g->timeout_ms - loop_now_ms(g->loop);
    g->timer = loop_timer_add(g->loop, delay > 0 ? delay : 0, on_deadline, g);
}

struct http_guard *http_guard_create(struct loop *l, int64_t timeout_ms, void (*kick)(void *ctx),
                                     void *ctx)
{
    struct http_guard *g = xcalloc(1, sizeof(*g));
    g->loop = l;
    g->timeout_ms = timeout_ms > 0 ? timeout_ms : HTTP_GUARD_DEFAULT_TIMEOUT_MS;
    g->kick = kick;
    g->kick_ctx = ctx;
    return g;
}

void http_guard_destroy(struct http_guard *g)
{
    if (g == NULL) return;
    if (g->timer) loop_timer_cancel(g->loop, g->timer);
    /* The server reports every close before destroying the guard; free any record it did not
     * (the descriptors are the server's, already closed). */
    while (g->all) http_guard_on_close(g, g->all);
    free(g);
}

static size_t slot_of(struct addr_count *t, const struct addr_key *k)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < sizeof(k->bytes); i++) h = (h ^ k->bytes[i]) * 16777619u;
    size_t i = h % ADDR_SLOTS;
    /* Bounded probe: with more addresses than slots (never, under HTTP_MAX_CONNECTIONS) two
     * addresses would share a count, which only makes the cap stricter. */
    for (size_t probes = 0; probes < ADDR_SLOTS && t[i].n && !key_eq(&t[i].key, k); probes++)
        i = (i + 1) % ADDR_SLOTS;
    if (t[i].n == 0) t[i].key = *k;
    return i;
}

/* Has the server had a whole run to read this connection's request? */
static bool has_had_a_run(const struct http_guard *g, const struct http_guard_conn *c)
{
    return g->runs >= c->pending_run + 2;
}

/* A request head (up to the blank line) waits unread in the socket buffer: the connection is
 * fast, the server simply has not read it yet. */
static bool has_unread_head(const struct http_guard_conn *c)
{
    char buf[HTTP_GUARD_PEEK_BYTES];
    ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
    return n >= 4 && memmem(buf, (size_t)n, "\r\n\r\n", 4) != NULL;
}

/* Close the oldest evictable pending connections of every address over its cap, then the
 * oldest evictable ones anywhere while the total is over its cap. */
static void enforce_caps(struct http_guard *g)
{
    struct addr_count *t = g->counts;
    memset(t, 0, sizeof(g->counts));
    for (struct http_guard_conn *x = g->head; x; x = x->next)
        if (x->addr.family) t[slot_of(t, &x->addr)].n++;
    struct http_guard_conn *next;
    for (struct http_guard_conn *x = g->head; x && has_had_a_run(g, x); x = next) {
        next = x->next;
        size_t *same = x->addr.family ? &t[slot_of(t, &x->addr)].n : NULL;
        bool over_addr = same && *same > HTTP_GUARD_MAX_PENDING_PER_ADDR;
        if (!over_addr && g->n_pending <= HTTP_GUARD_MAX_PENDING) continue;
        if (has_unread_head(x)) continue;
        if (same) (*same)--;
        g->stats.closed_evicted++;
        close_conn(g, x);
    }
    log_summary(g);
}

void http_guard_after_run(struct http_guard *g)
{
    g->runs++;
    if (g->n_pending > HTTP_GUARD_MAX_PENDING_PER_ADDR) enforce_caps(g);
}

struct http_guard_conn *http_guard_on_open(struct http_guard *g, int fd,
                                           const struct sockaddr *addr)
{
    struct http_guard_conn *c = xcalloc(1, sizeof(*c));
    c->fd = fd;
    key_of(addr, &c->addr);
    c->all_next = g->all;
    if (g->all) g->all->all_prev = c;
    g->all = c;
    fifo_append(g, c);
    arm_timer(g);
    return c;
}

void http_guard_request_read(struct http_guard *g, struct http_guard_conn *c)
{
    if (c) fifo_remove(g, c);
}

void http_guard_request_done(struct http_guard *g, struct http_guard_conn *c)
{
    if (c == NULL || c->is_closing || c->is_pending) return;
    fifo_append(g, c);
    arm_timer(g);
}

void http_guard_on_close(struct http_guard *g, struct http_guard_conn *c)
{
    if (c == NULL) return;
    fifo_remove(g, c);
    if (c->all_prev)
        c->all_prev->all_next = c->all_next;
    else
        g->all = c->all_next;
    if (c->all_next) c->all_next->all_prev = c->all_prev;
    free(c);
}

struct http_guard_stats http_guard_stats(const struct http_guard *g) { return g->stats; }
