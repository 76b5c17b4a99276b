/* blocking: see blocking.h. Per (db, key): a FIFO of blocked clients (an array, appended at the
 * tail, removed by search: queues per key are short). Keyless waiters (WAIT) sit in one list. */
#include "store/blocking.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/reply.h"

struct key_queue {
    struct dict_entry de;
    struct client **clients;
    size_t n, cap;
    size_t klen;
    char key[]; /* int db, then the key bytes */
};

struct ready_key;

struct blocked_state {
    struct command *cmd;
    size_t argc;
    struct resp_arg *argv; /* one allocation with the bytes */
    struct key_queue **queues;
    size_t nqueues;
    uint64_t timer;
    blocking_timeout_fn on_timeout;
    bool is_retry, reblocked;
    bool wants_delete;             /* retried when a key it waits on is deleted */
    const struct ready_key *ready; /* the key being served during a retry, else NULL */
};

struct ready_key {
    int db;
    size_t klen;
    char *key;
};

struct blocking {
    struct dict queues;
    struct client **waiters; /* keyless */
    size_t nwaiters, wcap;
    struct ready_key *ready;
    size_t nready, rcap;
    size_t nblocked;
};

static const char *queue_key_of(const struct dict_entry *e, size_t *len)
{
    const struct key_queue *q = (const struct key_queue *)e;
    *len = q->klen;
    return q->key;
}

struct blocking *blocking_create(void)
{
    struct blocking *b = xcalloc(1, sizeof *b);
    dict_init(&b->queues, queue_key_of);
    return b;
}

static void queue_free(struct dict_entry *e, void *ctx)
{
    UNUSED(ctx);
    struct key_queue *q = (struct key_queue *)e;
    free(q->clients);
    free(q);
}

void blocking_destroy(struct blocking *b)
{
    if (!b) return;
    dict_clear(&b->queues, queue_free, NULL);
    for (size_t i = 0; i < b->nready; i++) free(b->ready[i].key);
    free(b->ready);
    free(b->waiters);
    free(b);
}

size_t blocking_count(const struct server *srv) { return srv->blocking->nblocked; }

void blocking_wake_on_delete(struct client *c)
{
    if (c->bstate) c->bstate->wants_delete = true;
}

bool blocking_is_retry(const struct client *c) { return c->bstate && c->bstate->is_retry; }

size_t blocking_ready_key_index(const struct client *c, const struct resp_arg *keys, size_t nkeys)
{
    if (!blocking_is_retry(c) || !c->bstate->ready) return 0;
    const struct ready_key *rk = c->bstate->ready;
    for (size_t i = 0; i < nkeys; i++)
        if (keys[i].len == rk->klen && memcmp(keys[i].ptr, rk->key, rk->klen) == 0) return i;
    return 0;
}

static size_t make_qkey(char *out, int db, const char *key, size_t klen)
{
    memcpy(out, &db, sizeof db);
    memcpy(out + sizeof db, key, klen);
    return sizeof db + klen;
}

static struct key_queue *queue_get(struct blocking *b, int db, const char *key, size_t klen,
                                   bool create)
{
    /* Called for every write to a key while anyone is blocked: no allocation for usual keys. */
    char stack[256];
    char *qk = sizeof db + klen <= sizeof stack ? stack : xmalloc(sizeof db + klen);
    size_t n = make_qkey(qk, db, key, klen);
    struct key_queue *q = (struct key_queue *)dict_find(&b->queues, qk, n);
    if (!q && create) {
        q = xcalloc(1, sizeof *q + n);
        q->klen = n;
        memcpy(q->key, qk, n);
        dict_add(&b->queues, &q->de);
    }
    if (qk != stack) free(qk);
    return q;
}

static void array_push(struct client ***arr, size_t *n, size_t *cap, struct client *c)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *arr = xrealloc(*arr, *cap * sizeof **arr);
    }
    (*arr)[(*n)++] = c;
}

static void array_remove(struct client **arr, size_t *n, struct client *c)
{
    for (size_t i = 0; i < *n; i++) {
        if (arr[i] != c) continue;
        memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof *arr);
        (*n)--;
        return;
    }
}

static int64_t on_block_timeout(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct client *c = data;
    c->bstate->timer = 0;
    blocking_unblock_client(c, true);
    return LOOP_TIMER_STOP;
}

static struct resp_arg *copy_argv(size_t argc, const struct resp_arg *argv)
{
    size_t bytes = argc * sizeof *argv;
    for (size_t i = 0; i < argc; i++) bytes += argv[i].len + 1;
    struct resp_arg *out = xmalloc(bytes);
    char *p = (char *)(out + argc);
    for (size_t i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        p[argv[i].len] = '\0';
        out[i] = (struct resp_arg){p, argv[i].len};
        p += argv[i].len + 1;
    }
    return out;
}

void blocking_block(struct client *c, const struct resp_arg *keys, size_t nkeys,
                    int64_t deadline_mono_ms, blocking_timeout_fn on_timeout)
{
    if (c->bstate && c->bstate->is_retry) {
        c->bstate->reblocked = true; /* keep place in line and deadline */
        return;
    }
    struct blocking *b = c->srv->blocking;
    struct blocked_state *bs = xcalloc(1, sizeof *bs);
    bs->cmd = c->cmd;
    bs->argc = c->argc;
    bs->argv = copy_argv(c->argc, c->argv);
    bs->on_timeout = on_timeout;
    bs->queues = xcalloc(nkeys ? nkeys : 1, sizeof *bs->queues);
    for (size_t i = 0; i < nkeys; i++) {
        struct key_queue *q = queue_get(b, c->db, keys[i].ptr, keys[i].len, true);
        bool dup = false;
        for (size_t j = 0; j < bs->nqueues; j++) dup |= bs->queues[j] == q;
        if (dup) continue;
        array_push(&q->clients, &q->n, &q->cap, c);
        bs->queues[bs->nqueues++] = q;
    }
    if (nkeys == 0) array_push(&b->waiters, &b->nwaiters, &b->wcap, c);
    if (deadline_mono_ms > 0) {
        int64_t delay = deadline_mono_ms - loop_now_ms(c->srv->loop);
        bs->timer = loop_timer_add(c->srv->loop, delay > 0 ? delay : 0, on_block_timeout, c);
    }
    c->bstate = bs;
    c->flags |= CLIENT_BLOCKED;
    b->nblocked++;
}

static void resume_input(struct loop *l, void *data)
{
    UNUSED(l);
    struct client *c = data;
    if (!(c->flags & CLIENT_BLOCKED) && !(c->conn.flags & CONN_CLOSE_ASAP)) client_process_input(c);
}

void blocking_unblock_client(struct client *c, bool timed_out)
{
    struct blocked_state *bs = c->bstate;
    if (!bs) return;
    struct blocking *b = c->srv->blocking;
    if (timed_out && bs->on_timeout) bs->on_timeout(c);
    for (size_t i = 0; i < bs->nqueues; i++) {
        struct key_queue *q = bs->queues[i];
        array_remove(q->clients, &q->n, c);
        if (q->n == 0) {
            dict_unlink_entry(&b->queues, &q->de);
            queue_free(&q->de, NULL);
        }
    }
    if (bs->nqueues == 0) array_remove(b->waiters, &b->nwaiters, c);
    if (bs->timer) loop_timer_cancel(c->srv->loop, bs->timer);
    free(bs->queues);
    free(bs->argv);
    free(bs);
    c->bstate = NULL;
    c->flags &= ~CLIENT_BLOCKED;
    b->nblocked--;
    /* Commands pipelined behind the blocking one waited: run them after this iteration. */
    if (!(c->conn.flags & CONN_CLOSE_ASAP)) loop_defer(c->srv->loop, resume_input, c);
}

void blocking_signal_key(struct server *srv, int db, const char *key, size_t klen)
{
    struct blocking *b = srv->blocking;
    if (b->nblocked == 0 || !queue_get(b, db, key, klen, false)) return;
    for (size_t i = 0; i < b->nready; i++)
        if (b->ready[i].db == db && b->ready[i].klen == klen &&
            memcmp(b->ready[i].key, key, klen) == 0)
            return;
    if (b->nready == b->rcap) {
        b->rcap = b->rcap ? b->rcap * 2 : 8;
        b->ready = xrealloc(b->ready, b->rcap * sizeof *b->ready);
    }
    b->ready[b->nready++] = (struct ready_key){db, klen, xmemdup(key, klen)};
}

void blocking_signal_db(struct server *srv, int db)
{
    struct blocking *b = srv->blocking;
    if (b->nblocked == 0) return;
    /* Collect first: signalling looks queues up, which may move an in-progress rehash. */
    struct key_queue **found = NULL;
    size_t n = 0, cap = 0;
    struct dict_iter it;
    dict_iter_init(&it, &b->queues, true);
    struct dict_entry *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        struct key_queue *q = (struct key_queue *)e;
        int qdb;
        memcpy(&qdb, q->key, sizeof qdb);
        if (qdb != db) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            found = xrealloc(found, cap * sizeof *found);
        }
        found[n++] = q;
    }
    dict_iter_done(&it);
    for (size_t i = 0; i < n; i++)
        blocking_signal_key(srv, db, found[i]->key + sizeof db, found[i]->klen - sizeof db);
    free(found);
}

/* Re-run c's blocked command (rk: the key that woke it, NULL for keyless waiters). Returns true
 * if it was served (and c unblocked). */
static bool retry_client(struct client *c, const struct ready_key *rk)
{
    struct blocked_state *bs = c->bstate;
    bs->ready = rk;
    size_t saved_argc = c->argc;
    struct resp_arg *saved_argv = c->argv;
    bs->is_retry = true;
    bs->reblocked = false;
    c->argc = bs->argc;
    c->argv = bs->argv;
    command_call(c, bs->cmd);
    c->argc = saved_argc;
    c->argv = saved_argv;
    if (c->bstate != bs) return true; /* unblocked by the command itself */
    bs->is_retry = false;
    bs->ready = NULL;
    if (bs->reblocked) return false;
    blocking_unblock_client(c, false);
    return true;
}

static void serve_key(struct server *srv, const struct ready_key *rk)
{
    struct blocking *b = srv->blocking;
    /* Serve in arrival order while the key still has something for the next client. */
    for (size_t i = 0;;) {
        struct key_queue *q = queue_get(b, rk->db, rk->key, rk->klen, false);
        if (!q || i >= q->n) return;
        bool is_deleted = !ks_find(srv->db[rk->db], rk->key, rk->klen);
        struct client *c = q->clients[i];
        if ((c->conn.flags & CONN_CLOSE_ASAP) || (is_deleted && !c->bstate->wants_delete)) {
            i++;
            continue;
        }
        int saved_db = c->db;
        c->db = rk->db;
        bool served = retry_client(c, rk);
        c->db = saved_db;
        if (!served) i++; /* still waiting, keeps its place: try the next one */
    }
}

void blocking_serve_ready(struct server *srv)
{
    struct blocking *b = srv->blocking;
    while (b->nready > 0) {
        /* Serving may signal more keys (BLMOVE pushes): take the current batch first. */
        struct ready_key *batch = b->ready;
        size_t n = b->nready;
        b->ready = NULL;
        b->nready = b->rcap = 0;
        for (size_t i = 0; i < n; i++) {
            serve_key(srv, &batch[i]);
            free(batch[i].key);
        }
        free(batch);
    }
}

void blocking_recheck_waiters(struct server *srv)
{
    struct blocking *b = srv->blocking;
    for (size_t i = 0; i < b->nwaiters;) {
        struct client *c = b->waiters[i];
        if (!retry_client(c, NULL)) i++;
    }
}

int blocking_parse_timeout(struct client *c, const struct resp_arg *arg, int64_t *deadline_mono_ms)
{
    double secs;
    if (util_parse_double(arg->ptr, arg->len, &secs) != 0 || isinf(secs) || secs > 1e12) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return -1;
    }
    if (secs < 0) {
        reply_error(c, "ERR timeout is negative");
        return -1;
    }
    long long ms = (long long)ceil(secs * 1000.0);
    *deadline_mono_ms = ms > 0 ? loop_now_ms(c->srv->loop) + ms : 0;
    return 0;
}
