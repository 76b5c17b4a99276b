/* sim_node: model data nodes for the simulation: role, replication link and offset, INFO text,
 * and the commands a sentinel sends (PING, INFO, PUBLISH/SUBSCRIBE hello, the MULTI/SLAVEOF/
 * CONFIG REWRITE/CLIENT KILL/EXEC transaction). Replication is a model, not the real protocol: a
 * linked replica's offset follows its master's, a master's offset grows with "writes". A node
 * restarts with its data (as with persistence) or empty (offset 0, a new history); a replica that
 * holds data does not follow an empty or regressed master unless SLAVEOF named it, as
 * vigil-store (so the sentinels must fail such a master over to make progress). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/util.h"
#include "sim.h"

struct sentinel_reply *sim_reply_new(int type, const char *str, long long integer)
{
    struct sentinel_reply *r = xcalloc(1, sizeof(*r));
    r->type = (enum sentinel_reply_type)type;
    if (str) {
        r->str = xstrdup(str);
        r->len = strlen(str);
    }
    r->integer = integer;
    return r;
}

void sim_reply_free(struct sentinel_reply *r)
{
    if (r == NULL) return;
    for (size_t i = 0; i < r->count; i++) {
        struct sentinel_reply *e = (struct sentinel_reply *)&r->elems[i];
        free((char *)e->str);
    }
    free((void *)r->elems);
    free((char *)r->str);
    free(r);
}

static void new_runid(struct sim *w, char *out)
{
    for (int i = 0; i < 40; i++) out[i] = "0123456789abcdef"[sim_rand(w, 16)];
    out[40] = '\0';
}

void sim_node_init(struct sim *w, int i, bool master)
{
    struct sim_node *n = &w->nodes[i];
    memset(n, 0, sizeof(*n));
    snprintf(n->host, sizeof(n->host), "10.0.0.%d", i + 1);
    n->port = 6379;
    n->alive = true;
    n->is_master = master;
    n->master_idx = master ? -1 : 0;
    if (!master) {
        snprintf(n->master_host, sizeof(n->master_host), "10.0.0.1");
        n->master_port = 6379;
    }
    n->priority = 100;
    n->history = 1;
    new_runid(w, n->runid);
    lease_table_init(&n->lease);
    n->clock_offset_ms = 1000 + (int64_t)sim_rand(w, 1000000);
}

int64_t sim_node_now(const struct sim *w, int i) { return w->now + w->nodes[i].clock_offset_ms; }

/* vigil-store's rule (repl_fullsync_verdict): a replica holding data does not sync from a
 * master with another history that is not ahead of it, unless told to by SLAVEOF. */
static bool sync_allowed(const struct sim_node *n, const struct sim_node *master)
{
    bool same_history = master->history == n->history || master->prev_history == n->history;
    return same_history || master->offset > n->offset || n->offset == 0 || n->accept_next;
}

int sim_node_by_addr(const struct sim *w, const char *host, int port)
{
    for (int i = 0; i < w->n_nodes; i++)
        if (w->nodes[i].port == port && strcmp(w->nodes[i].host, host) == 0) return i;
    return -1;
}

void sim_node_step(struct sim *w)
{
    for (int i = 0; i < w->n_nodes; i++) {
        struct sim_node *n = &w->nodes[i];
        if (n->alive && n->is_master) n->offset += (long long)sim_rand(w, 50);
    }
    for (int i = 0; i < w->n_nodes; i++) {
        struct sim_node *n = &w->nodes[i];
        if (!n->alive || n->is_master) continue;
        int m = sim_node_by_addr(w, n->master_host, n->master_port);
        bool up = m >= 0 && m != i && w->nodes[m].alive && w->nodes[m].is_master &&
                  !sim_partitioned(w, EP_NODE(i), EP_NODE(m));
        if (up && !n->link_up && !sync_allowed(n, &w->nodes[m])) up = false; /* refused */
        if (up) {
            n->history = w->nodes[m].history;
            n->accept_next = false;
            /* small replication lag: at most one step behind */
            long long target = w->nodes[m].offset;
            long long lagged = target - (long long)sim_rand(w, 30);
            n->offset = n->link_up ? MAX(n->offset, lagged) : target;
            if (n->offset > target) n->offset = target;
        }
        if (n->link_up && !up) n->link_down_since = w->now;
        n->link_up = up;
    }
}

static void kill_clients(struct sim *w, int node, struct sim_sentinel *except, int except_conn)
{
    for (int s = 0; s < w->n_sentinels; s++) {
        struct sim_sentinel *ss = &w->sentinels[s];
        if (!ss->alive) continue;
        for (int c = 0; c < SIM_MAX_CONNS; c++) {
            struct sim_conn *k = &ss->conns[c];
            if (!k->used || k->ttype != TGT_NODE || k->target != node) continue;
            if (ss == except && c == except_conn) continue;
            sim_close_conn(w, ss, c, true);
        }
    }
}

void sim_node_crash(struct sim *w, int i)
{
    w->nodes[i].alive = false;
    w->nodes[i].link_up = false;
    kill_clients(w, i, NULL, -1);
}

void sim_node_restart_empty(struct sim *w, int i)
{
    struct sim_node *n = &w->nodes[i];
    sim_node_restart(w, i);
    n->offset = 0;
    n->history = ++w->next_history;
    n->prev_history = 0;
}

void sim_node_restart(struct sim *w, int i)
{
    struct sim_node *n = &w->nodes[i];
    n->alive = true;
    new_runid(w, n->runid);
    lease_table_init(&n->lease); /* a new process: no lease, nothing remembered */
    n->link_up = false;
    n->link_down_since = w->now;
}

static char *node_info(struct sim *w, int i)
{
    struct sim_node *n = &w->nodes[i];
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "# Server\r\nrun_id:%s\r\nloading:0\r\n\r\n# Replication\r\n", n->runid);
    if (n->is_master) {
        int k = 0;
        buf_printf(&b, "role:master\r\n");
        for (int j = 0; j < w->n_nodes; j++) {
            struct sim_node *r = &w->nodes[j];
            if (j == i || !r->alive || r->is_master || !r->link_up) continue;
            if (sim_node_by_addr(w, r->master_host, r->master_port) != i) continue;
            buf_printf(&b, "slave%d:ip=%s,port=%d,state=online,offset=%lld,lag=0\r\n", k++, r->host,
                       r->port, r->offset);
        }
    } else {
        buf_printf(&b,
                   "role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n",
                   n->master_host, n->master_port, n->link_up ? "up" : "down");
        if (!n->link_up)
            buf_printf(&b, "master_link_down_since_seconds:%lld\r\n",
                       (long long)((w->now - n->link_down_since) / 1000));
        buf_printf(&b, "slave_repl_offset:%lld\r\nslave_priority:%d\r\nreplica_announced:1\r\n",
                   n->offset, n->priority);
    }
    /* With VIGIL_SIM_REPLIDS=1, the history as replication ids (40 characters; replid2 all zeros
     * when none), as vigil-store and Redis report them. Off by default: the runs the seeds in
     * regression-seeds.txt replay were recorded without them. */
    const char *ids = getenv("VIGIL_SIM_REPLIDS");
    if (ids && strcmp(ids, "1") == 0)
        buf_printf(&b, "master_replid:%040d\r\nmaster_replid2:%040d\r\n", n->history,
                   n->prev_history);
    buf_printf(&b, "master_repl_offset:%lld\r\n", n->offset);
    return b.data;
}

/* Execute one command (outside or inside EXEC); returns the reply (owned). */
static struct sentinel_reply *node_exec(struct sim *w, struct sim_sentinel *ss, int conn, int node,
                                        int argc, char **argv)
{
    struct sim_node *n = &w->nodes[node];
    if (strcasecmp(argv[0], "SLAVEOF") == 0 && argc == 3) {
        if (strcasecmp(argv[1], "NO") == 0) {
            if (!n->is_master) {
                sim_log(w, "node %s promoted to master", n->host);
                n->prev_history = n->history;
                n->history = ++w->next_history;
            }
            n->is_master = true;
            n->link_up = false;
        } else {
            int port = atoi(argv[2]);
            bool same =
                !n->is_master && port == n->master_port && strcmp(argv[1], n->master_host) == 0;
            n->accept_next = true; /* an explicit choice of this master */
            if (!same) {
                sim_log(w, "node %s now replica of %s:%d", n->host, argv[1], port);
                n->is_master = false;
                lease_table_clear(&n->lease);
                snprintf(n->master_host, sizeof(n->master_host), "%s", argv[1]);
                n->master_port = port;
                n->link_up = false;
                n->link_down_since = w->now;
            }
        }
        return sim_reply_new(SENTINEL_REPLY_STATUS, "OK", 0);
    }
    if (strcasecmp(argv[0], "CLIENT") == 0 && argc >= 4 && strcasecmp(argv[1], "KILL") == 0) {
        kill_clients(w, node, ss, conn);
        return sim_reply_new(SENTINEL_REPLY_INTEGER, NULL, 1);
    }
    if (strcasecmp(argv[0], "CONFIG") == 0)
        return sim_reply_new(SENTINEL_REPLY_ERROR, "ERR no config file", 0);
    return sim_reply_new(SENTINEL_REPLY_STATUS, "OK", 0);
}

static struct sentinel_reply *node_run_exec(struct sim *w, struct sim_sentinel *ss, int conn,
                                            int node)
{
    struct sim_conn *c = &ss->conns[conn];
    struct sentinel_reply *r = sim_reply_new(SENTINEL_REPLY_ARRAY, NULL, 0);
    struct sentinel_reply *elems = xcalloc((size_t)c->n_queued + 1, sizeof(*elems));
    int n = c->n_queued;
    c->in_multi = false;
    c->n_queued = 0;
    for (int i = 0; i < n; i++) {
        struct sentinel_reply *e = node_exec(w, ss, conn, node, c->queued_argc[i], c->queued[i]);
        elems[i] = *e;
        free(e);
        for (int k = 0; k < c->queued_argc[i]; k++) free(c->queued[i][k]);
    }
    r->count = (size_t)n;
    r->elems = elems;
    return r;
}

/* VIGIL LEASE <group> <runid> <anchor> <lease-ms> <needed> <epoch>, as master_lease.c answers. */
static struct sentinel_reply *node_lease(struct sim *w, int node, int argc, char **argv)
{
    struct sim_node *n = &w->nodes[node];
    if (argc != 8) return sim_reply_new(SENTINEL_REPLY_ERROR, "ERR wrong number of arguments", 0);
    int64_t now = sim_node_now(w, node);
    struct lease_renewal r = {argv[2],
                              argv[3],
                              atoll(argv[4]),
                              atoll(argv[5]),
                              (unsigned)atoi(argv[6]),
                              strtoull(argv[7], NULL, 10)};
    char err[128];
    int v = n->is_master ? (int)lease_renew(&n->lease, &r, now, err, sizeof(err))
                         : (int)LEASE_CLOCK_ONLY;
    if (v < 0) return sim_reply_new(SENTINEL_REPLY_ERROR, err, 0);
    struct lease_status st = lease_status(&n->lease, now);
    long long vals[6] = {
        now, st.valid, st.needed, n->is_master && !lease_is_held(&n->lease, now) ? 1 : 0, v, 1};
    struct sentinel_reply *reply = sim_reply_new(SENTINEL_REPLY_ARRAY, NULL, 0);
    struct sentinel_reply *elems = xcalloc(6, sizeof(*elems));
    for (int i = 0; i < 6; i++) {
        elems[i].type = SENTINEL_REPLY_INTEGER;
        elems[i].integer = vals[i];
    }
    reply->count = 6;
    reply->elems = elems;
    return reply;
}

void sim_node_command(struct sim *w, struct sim_sentinel *ss, int conn, int argc, char **argv,
                      uint32_t tag)
{
    struct sim_conn *c = &ss->conns[conn];
    int node = c->target;
    struct sentinel_reply *r;
    if (c->in_multi && strcasecmp(argv[0], "EXEC") != 0) {
        if (c->n_queued < 8) {
            int k = c->n_queued++;
            c->queued_argc[k] = MIN(argc, 4);
            for (int i = 0; i < c->queued_argc[k]; i++) c->queued[k][i] = xstrdup(argv[i]);
        }
        r = sim_reply_new(SENTINEL_REPLY_STATUS, "QUEUED", 0);
    } else if (strcasecmp(argv[0], "PING") == 0) {
        r = sim_reply_new(SENTINEL_REPLY_STATUS, "PONG", 0);
    } else if (strcasecmp(argv[0], "INFO") == 0) {
        char *text = node_info(w, node);
        r = sim_reply_new(SENTINEL_REPLY_STRING, text, 0);
        free(text);
    } else if (strcasecmp(argv[0], "VIGIL") == 0) {
        r = node_lease(w, node, argc, argv);
    } else if (strcasecmp(argv[0], "MULTI") == 0) {
        c->in_multi = true;
        c->n_queued = 0;
        r = sim_reply_new(SENTINEL_REPLY_STATUS, "OK", 0);
    } else if (strcasecmp(argv[0], "EXEC") == 0) {
        r = node_run_exec(w, ss, conn, node);
    } else if (strcasecmp(argv[0], "SUBSCRIBE") == 0) {
        c->subscribed = true;
        return; /* pub/sub confirmations are not modelled */
    } else if (strcasecmp(argv[0], "PUBLISH") == 0 && argc == 3) {
        for (int s = 0; s < w->n_sentinels; s++) {
            struct sim_sentinel *o = &w->sentinels[s];
            if (!o->alive) continue;
            for (int k = 0; k < SIM_MAX_CONNS; k++) {
                struct sim_conn *oc = &o->conns[k];
                if (oc->used && oc->up && oc->subscribed && oc->ttype == TGT_NODE &&
                    oc->target == node)
                    sim_push_to(w, o, k, argv[2]);
            }
        }
        r = sim_reply_new(SENTINEL_REPLY_INTEGER, NULL, 1);
    } else {
        r = sim_reply_new(SENTINEL_REPLY_STATUS, "OK", 0);
    }
    if (c->kind == SENTINEL_LINK_PUBSUB) {
        sim_reply_free(r);
        return;
    }
    sim_reply_to(w, ss, conn, r, tag);
}
