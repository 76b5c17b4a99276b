/* sim_net: the simulated network and the sentinel_env of each simulated sentinel. Connections
 * are per (instance id, link kind) of a sentinel core; messages travel with a random delay but in
 * FIFO order per direction (TCP). A message crossing a partition, or picked by the drop rate, is
 * lost and breaks its connection, which the owner later sees reset (as a TCP timeout would).
 * Messages to a stalled sentinel wait until its stall ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "sentinel/core/sentinel_cmd.h"
#include "sim.h"

enum msg_type { M_CMD, M_REPLY, M_PUSH, M_LINK_UP, M_LINK_DOWN };

struct sim_msg {
    int64_t at;
    uint64_t seq;
    enum msg_type type;
    int sentinel;
    int conn;
    uint32_t gen;
    uint64_t inst_id;
    enum sentinel_link_kind kind;
    int argc;
    char *argv[SENTINEL_SEND_MAX_ARGS];
    uint32_t tag;
    struct sentinel_reply *reply;
    char *payload;
};

/* ---- heap ---------------------------------------------------------------------------------- */

static bool msg_before(const struct sim_msg *a, const struct sim_msg *b)
{
    return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void heap_push(struct sim *w, struct sim_msg *msg)
{
    if (w->n_heap == w->cap_heap) {
        w->cap_heap = w->cap_heap ? 2 * w->cap_heap : 1024;
        w->heap = xrealloc(w->heap, w->cap_heap * sizeof(*w->heap));
    }
    msg->seq = w->seq++;
    size_t i = w->n_heap++;
    while (i > 0 && msg_before(msg, w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = msg;
}

static struct sim_msg *heap_pop(struct sim *w)
{
    struct sim_msg *top = w->heap[0], *last = w->heap[--w->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->n_heap) break;
        if (c + 1 < w->n_heap && msg_before(w->heap[c + 1], w->heap[c])) c++;
        if (!msg_before(w->heap[c], last)) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (w->n_heap > 0) w->heap[i] = last;
    return top;
}

int64_t sim_net_next_ms(const struct sim *w);
int64_t sim_net_next_ms(const struct sim *w) { return w->n_heap ? w->heap[0]->at : INT64_MAX; }

static void msg_free(struct sim_msg *msg)
{
    for (int i = 0; i < msg->argc; i++) free(msg->argv[i]);
    sim_reply_free(msg->reply);
    free(msg->payload);
    free(msg);
}

static struct sim_msg *msg_new(enum msg_type t, struct sim_sentinel *ss, int conn, int64_t at)
{
    struct sim_msg *msg = xcalloc(1, sizeof(*msg));
    msg->type = t;
    msg->sentinel = ss->idx;
    msg->conn = conn;
    msg->gen = conn >= 0 ? ss->conns[conn].gen : 0;
    msg->at = at;
    if (conn >= 0) {
        msg->inst_id = ss->conns[conn].inst_id;
        msg->kind = ss->conns[conn].kind;
    }
    return msg;
}

static int64_t delay(struct sim *w) { return 1 + (int64_t)sim_rand(w, (uint64_t)w->delay_max_ms); }

/* ---- connections --------------------------------------------------------------------------- */

static int conn_find(struct sim_sentinel *ss, uint64_t id, enum sentinel_link_kind kind)
{
    for (int i = 0; i < SIM_MAX_CONNS; i++)
        if (ss->conns[i].used && ss->conns[i].inst_id == id && ss->conns[i].kind == kind) return i;
    return -1;
}

static int conn_endpoint(const struct sim_conn *c)
{
    return c->ttype == TGT_NODE ? EP_NODE(c->target) : c->target;
}

static void conn_release(struct sim_conn *c)
{
    for (int i = 0; i < c->n_queued; i++)
        for (int k = 0; k < c->queued_argc[i]; k++) free(c->queued[i][k]);
    uint32_t gen = c->gen + 1;
    memset(c, 0, sizeof(*c));
    c->gen = gen;
}

void sim_close_conn(struct sim *w, struct sim_sentinel *ss, int conn, bool notify)
{
    struct sim_conn *c = &ss->conns[conn];
    if (!c->used) return;
    if (notify) {
        struct sim_msg *msg = msg_new(M_LINK_DOWN, ss, conn, w->now + delay(w));
        msg->gen = 0; /* delivered whatever happens to the slot */
        heap_push(w, msg);
    }
    conn_release(c);
}

static void conn_break(struct sim *w, struct sim_sentinel *ss, int conn)
{
    struct sim_conn *c = &ss->conns[conn];
    if (c->broken) return;
    c->broken = true;
    struct sim_msg *msg = msg_new(M_LINK_DOWN, ss, conn, w->now + 300 + (int64_t)sim_rand(w, 1500));
    msg->gen = c->gen;
    heap_push(w, msg);
}

static int resolve(struct sim *w, const char *host, int port, enum sim_target *tt)
{
    int n = sim_node_by_addr(w, host, port);
    if (n >= 0) {
        *tt = TGT_NODE;
        return n;
    }
    for (int i = 0; i < w->n_sentinels; i++)
        if (port == 26379 && strcmp(w->sentinels[i].host, host) == 0) {
            *tt = TGT_SENTINEL;
            return i;
        }
    *tt = TGT_NONE;
    return -1;
}

static bool target_alive(const struct sim *w, enum sim_target tt, int t)
{
    return tt == TGT_NODE ? w->nodes[t].alive : tt == TGT_SENTINEL && w->sentinels[t].alive;
}

/* ---- env callbacks -----------------------------------------------------------------------------
 */

static int64_t e_mono(void *ctx) { return ((struct sim_sentinel *)ctx)->sim->now; }
static int64_t e_wall(void *ctx) { return ((struct sim_sentinel *)ctx)->sim->now; }
static uint64_t e_rand(void *ctx) { return rng_next(&((struct sim_sentinel *)ctx)->sim->rng); }

static int e_connect(void *ctx, uint64_t id, enum sentinel_link_kind kind, const char *host,
                     int port)
{
    struct sim_sentinel *ss = ctx;
    struct sim *w = ss->sim;
    int c = conn_find(ss, id, kind);
    if (c >= 0) conn_release(&ss->conns[c]);
    for (c = 0; c < SIM_MAX_CONNS && ss->conns[c].used; c++) {
    }
    if (c == SIM_MAX_CONNS) return -1;
    struct sim_conn *k = &ss->conns[c];
    k->used = true;
    k->inst_id = id;
    k->kind = kind;
    k->target = resolve(w, host, port, &k->ttype);
    bool ok = k->ttype != TGT_NONE && target_alive(w, k->ttype, k->target) &&
              !sim_partitioned(w, ss->idx, conn_endpoint(k));
    struct sim_msg *msg =
        msg_new(ok ? M_LINK_UP : M_LINK_DOWN, ss, c, w->now + (ok ? 2 * delay(w) : 50));
    heap_push(w, msg);
    return 0;
}

static void e_disconnect(void *ctx, uint64_t id, enum sentinel_link_kind kind)
{
    struct sim_sentinel *ss = ctx;
    int c = conn_find(ss, id, kind);
    if (c >= 0) conn_release(&ss->conns[c]);
}

static int e_send(void *ctx, uint64_t id, enum sentinel_link_kind kind, int argc,
                  const char *const *argv, uint32_t tag)
{
    struct sim_sentinel *ss = ctx;
    struct sim *w = ss->sim;
    int c = conn_find(ss, id, kind);
    if (c < 0 || !ss->conns[c].up) return -1;
    struct sim_conn *k = &ss->conns[c];
    if (k->broken) return 0;
    if (w->drop_permille && (int)sim_rand(w, 1000) < w->drop_permille) {
        conn_break(w, ss, c);
        return 0;
    }
    int64_t d = delay(w), at = MAX(w->now + d, k->last_to_target_ms);
    k->last_to_target_ms = at;
    struct sim_msg *msg = msg_new(M_CMD, ss, c, at);
    msg->argc = MIN(argc, SENTINEL_SEND_MAX_ARGS);
    for (int i = 0; i < msg->argc; i++) msg->argv[i] = xstrdup(argv[i]);
    msg->tag = tag;
    heap_push(w, msg);
    return 0;
}

static void e_event(void *ctx, int level, const char *type, const char *msg)
{
    struct sim_sentinel *ss = ctx;
    if (level != LOG_DEBUG) sim_check_event(ss, type, msg);
}

/* The core's log lines: to the process log (stderr), at the level main() chose. */
static void e_log(void *ctx, int level, const char *msg)
{
    UNUSED(ctx);
    log_msg((enum log_level)level, "%s", msg);
}

static int e_persist(void *ctx, const struct sentinel_state *st)
{
    struct sim_sentinel *ss = ctx;
    if (ss->has_saved) sentinel_state_free(&ss->saved);
    sentinel_state_copy(&ss->saved, st);
    ss->has_saved = true;
    return 0;
}

void sim_env_init(struct sim_sentinel *ss);
void sim_env_init(struct sim_sentinel *ss)
{
    ss->env = (struct sentinel_env){.ctx = ss,
                                    .mono_ms = e_mono,
                                    .wall_ms = e_wall,
                                    .random_u64 = e_rand,
                                    .connect = e_connect,
                                    .disconnect = e_disconnect,
                                    .send = e_send,
                                    .event = e_event,
                                    .log = e_log,
                                    .persist = e_persist};
}

/* ---- replies and pushes toward a sentinel ---------------------------------------------------- */

void sim_reply_to(struct sim *w, struct sim_sentinel *ss, int conn, struct sentinel_reply *r,
                  uint32_t tag)
{
    struct sim_conn *k = &ss->conns[conn];
    int64_t d = delay(w), at = MAX(w->now + d, k->last_to_sentinel_ms);
    k->last_to_sentinel_ms = at;
    struct sim_msg *msg = msg_new(M_REPLY, ss, conn, at);
    msg->reply = r;
    msg->tag = tag;
    heap_push(w, msg);
}

void sim_push_to(struct sim *w, struct sim_sentinel *ss, int conn, const char *payload)
{
    struct sim_conn *k = &ss->conns[conn];
    int64_t d = delay(w), at = MAX(w->now + d, k->last_to_sentinel_ms);
    k->last_to_sentinel_ms = at;
    struct sim_msg *msg = msg_new(M_PUSH, ss, conn, at);
    msg->payload = xstrdup(payload);
    heap_push(w, msg);
}

/* ---- delivery ----------------------------------------------------------------------------------
 */

static void sentinel_serve(struct sim *w, struct sim_sentinel *from, int conn, struct sim_msg *msg)
{
    struct sim_sentinel *to = &w->sentinels[from->conns[conn].target];
    struct sentinel_reply *r = NULL;
    struct sentinel_cmd_result res;
    if (strcasecmp(msg->argv[0], "PING") == 0) {
        r = sim_reply_new(SENTINEL_REPLY_STATUS, "PONG", 0);
    } else if (strcasecmp(msg->argv[0], "PUBLISH") == 0 && msg->argc == 3) {
        sentinel_cmd_publish(to->core, msg->argv[1], msg->argv[2], strlen(msg->argv[2]), &res);
        r = res.kind == SENTINEL_CMD_INTEGER
                ? sim_reply_new(SENTINEL_REPLY_INTEGER, NULL, res.integer)
                : sim_reply_new(SENTINEL_REPLY_ERROR, res.msg, 0);
    } else if (strcasecmp(msg->argv[0], "SENTINEL") == 0 && msg->argc == 6 &&
               strcasecmp(msg->argv[1], "vote-release") == 0) {
        sentinel_cmd_vote_release(to->core, msg->argv[2], msg->argv[3], msg->argv[4], msg->argv[5],
                                  &res);
        r = res.kind == SENTINEL_CMD_INTEGER
                ? sim_reply_new(SENTINEL_REPLY_INTEGER, NULL, res.integer)
                : sim_reply_new(SENTINEL_REPLY_ERROR, res.msg, 0);
        sim_check_state(w);
    } else if (strcasecmp(msg->argv[0], "SENTINEL") == 0 && msg->argc == 6) {
        struct sentinel_ismd_reply ir;
        if (sentinel_cmd_is_master_down(to->core, msg->argv[2], msg->argv[3], msg->argv[4],
                                        msg->argv[5], &ir, &res) == 0) {
            r = sim_reply_new(SENTINEL_REPLY_ARRAY, NULL, 0);
            struct sentinel_reply *e = xcalloc(3, sizeof(*e));
            e[0] = (struct sentinel_reply){.type = SENTINEL_REPLY_INTEGER, .integer = ir.down};
            e[1] = (struct sentinel_reply){
                .type = SENTINEL_REPLY_STRING, .str = xstrdup(ir.leader), .len = strlen(ir.leader)};
            e[2] = (struct sentinel_reply){.type = SENTINEL_REPLY_INTEGER,
                                           .integer = (long long)ir.leader_epoch};
            r->elems = e;
            r->count = 3;
        } else {
            r = sim_reply_new(SENTINEL_REPLY_ERROR, res.msg, 0);
        }
        sim_check_state(w);
    } else {
        r = sim_reply_new(SENTINEL_REPLY_STATUS, "OK", 0);
    }
    sim_reply_to(w, from, conn, r, msg->tag);
}

void sim_after_core_call(struct sim *w, struct sim_sentinel *ss);

/* Deliver one message; returns false when it must wait (stalled receiver). */
static void deliver(struct sim *w, struct sim_msg *msg)
{
    struct sim_sentinel *ss = &w->sentinels[msg->sentinel];
    if (!ss->alive) return;
    struct sim_conn *k = &ss->conns[msg->conn];
    bool valid = k->used && k->gen == msg->gen;
    if (msg->type == M_CMD) {
        if (!valid || k->broken || !k->up) return;
        if (sim_partitioned(w, ss->idx, conn_endpoint(k)) ||
            !target_alive(w, k->ttype, k->target)) {
            conn_break(w, ss, msg->conn);
            return;
        }
        if (k->ttype == TGT_NODE)
            sim_node_command(w, ss, msg->conn, msg->argc, msg->argv, msg->tag);
        else
            sentinel_serve(w, ss, msg->conn, msg);
        return;
    }
    if (msg->type == M_LINK_DOWN) {
        if (msg->gen != 0 && !valid) return;
        if (valid) conn_release(k);
        sentinel_on_link_down(ss->core, msg->inst_id, msg->kind);
    } else {
        if (!valid || k->broken) return;
        if (msg->type != M_LINK_UP && sim_partitioned(w, ss->idx, conn_endpoint(k))) {
            conn_break(w, ss, msg->conn);
            return;
        }
        if (msg->type == M_LINK_UP) {
            k->up = true;
            sentinel_on_link_up(ss->core, msg->inst_id, msg->kind, ss->host);
        } else if (msg->type == M_REPLY) {
            sentinel_on_reply(ss->core, msg->inst_id, msg->tag, msg->reply);
        } else {
            struct sentinel_reply e[3] = {
                {.type = SENTINEL_REPLY_STRING, .str = "message", .len = 7},
                {.type = SENTINEL_REPLY_STRING, .str = "__sentinel__:hello", .len = 18},
                {.type = SENTINEL_REPLY_STRING, .str = msg->payload, .len = strlen(msg->payload)},
            };
            struct sentinel_reply push = {.type = SENTINEL_REPLY_ARRAY, .count = 3, .elems = e};
            sentinel_on_pubsub(ss->core, msg->inst_id, &push);
        }
    }
    sim_after_core_call(w, ss);
}

void sim_net_deliver_due(struct sim *w);
void sim_net_deliver_due(struct sim *w)
{
    while (w->n_heap > 0 && w->heap[0]->at <= w->now && !w->failed) {
        struct sim_msg *msg = heap_pop(w);
        struct sim_sentinel *ss = &w->sentinels[msg->sentinel];
        bool to_sentinel = msg->type != M_CMD || (ss->conns[msg->conn].ttype == TGT_SENTINEL);
        int stalled_idx = msg->type != M_CMD ? msg->sentinel : ss->conns[msg->conn].target;
        if (to_sentinel && stalled_idx >= 0 && w->sentinels[stalled_idx].stalled_until > w->now) {
            msg->at = w->sentinels[stalled_idx].stalled_until;
            heap_push(w, msg);
            continue;
        }
        deliver(w, msg);
        msg_free(msg);
    }
}

/* Reset every broken connection (called at heal). */
void sim_net_reset_broken(struct sim *w);
void sim_net_reset_broken(struct sim *w)
{
    for (int s = 0; s < w->n_sentinels; s++)
        for (int c = 0; c < SIM_MAX_CONNS; c++)
            if (w->sentinels[s].conns[c].used && w->sentinels[s].conns[c].broken)
                sim_close_conn(w, &w->sentinels[s], c, true);
}

void sim_net_free(struct sim *w);
void sim_net_free(struct sim *w)
{
    while (w->n_heap > 0) msg_free(heap_pop(w));
    free(w->heap);
    w->heap = NULL;
    w->cap_heap = 0;
}
