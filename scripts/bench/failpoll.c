/* failpoll: times one failover of a 3-node, 3-sentinel deployment, as a client sees it
 * (benchmark figure 5, scripts/bench/fig5-failover.sh; built as bin/bench-failpoll).
 *
 * Why: the failover figures are a few hundred milliseconds to a few seconds and must be
 * measured to the millisecond from the moment the failover is triggered, which only a poller that
 * triggers it itself can do. Each millisecond it asks every sentinel GET-MASTER-ADDR-BY-NAME and
 * tries a SET on every node but the old master; it also listens to +switch-master on every
 * sentinel. Optionally a writer thread (a Sentinel-aware client: it follows +switch-master from the
 * first sentinel and re-asks the sentinels on any error) writes unique keys throughout, and at the
 * end the acknowledged ones are looked up on the new master: how long writes paused, how many
 * acknowledged writes were lost.
 *
 * Triggers (--mode):  kill        kill -9 of --master-pid
 *                     manual      SENTINEL FAILOVER <name> on the first sentinel
 *                     switchover  POST /v1/masters/<name>/switchover on --http-port (Vigil)
 *
 * Output (`key value` lines, times in ms since the trigger, -1 = not seen): old_master,
 * new_master, trigger_ms, switch_master_ms, all_sentinels_ms, first_write_ms, and with --writer:
 * writes_acked, writes_lost, write_pause_ms, write_pause_surviving_ms. Exit 0 when all three
 * times were seen, 1 otherwise (reason on stderr), 2 on bad usage.
 *
 * Invariants: every wait is bounded by --timeout-ms; one command in flight per connection; the
 * writer's ack log is bounded (MAX_WRITES); a dead connection is retried at most every RETRY_US. */
#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/util.h"

#define MAX_PEERS 8
#define MAX_WRITES 4000000LL
#define RETRY_US 2000
#define TICK_US 1000
#define CMD_TIMEOUT_MS 200     /* the poller's: a slow answer must not stall the ms loop */
#define WRITER_TIMEOUT_MS 2000 /* the writer's, as an application's: it waits through a pause */

struct rconn {
    redisContext *c;
    int port;
    int timeout_ms; /* connect and command timeout, kept for reconnections */
    int64_t retry_at_us;
};

struct opts {
    const char *mode, *name, *token;
    int sentinels[MAX_PEERS], nodes[MAX_PEERS];
    int n_sentinels, n_nodes;
    long long master_pid, http_port, timeout_ms, settle_ms, write_interval_us;
    bool writer;
};

/* What the main loop observed; times in microseconds since the trigger (-1 = not yet). */
struct observed {
    int64_t switch_us, first_write_us[MAX_PEERS], sentinel_us[MAX_PEERS];
    int sentinel_port[MAX_PEERS];
};

struct writer {
    const struct opts *o;
    pthread_t thread;
    _Atomic bool stop;
    _Atomic long long acked;
    int64_t *ack_us; /* per sequence number: monotonic ack time, 0 = not acknowledged */
    long long next_seq;
    int64_t end_us; /* when the writer stopped: an open gap up to here counts as a pause */
};

/* --- connections */

static int rconn_open(struct rconn *r, int port, int timeout_ms)
{
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    r->port = port;
    r->timeout_ms = timeout_ms;
    r->c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (r->c == NULL || r->c->err) {
        if (r->c) redisFree(r->c);
        r->c = NULL;
        r->retry_at_us = clock_mono_us() + RETRY_US;
        return -1;
    }
    redisSetTimeout(r->c, tv);
    return 0;
}

static void rconn_drop(struct rconn *r)
{
    if (r->c) redisFree(r->c);
    r->c = NULL;
    r->retry_at_us = clock_mono_us() + RETRY_US;
}

/* Connected, or reconnected if the retry time has come. */
static bool rconn_ready(struct rconn *r)
{
    if (r->c) return true;
    if (clock_mono_us() < r->retry_at_us) return false;
    return rconn_open(r, r->port, r->timeout_ms) == 0;
}

/* Queues a command and writes it out; the reply is read later with rconn_recv. */
static int rconn_send(struct rconn *r, int argc, const char **argv)
{
    if (!rconn_ready(r)) return -1;
    if (redisAppendCommandArgv(r->c, argc, argv, NULL) != REDIS_OK) goto fail;
    int done = 0;
    while (!done)
        if (redisBufferWrite(r->c, &done) != REDIS_OK) goto fail;
    return 0;
fail:
    rconn_drop(r);
    return -1;
}

static redisReply *rconn_recv(struct rconn *r)
{
    void *reply = NULL;
    if (r->c == NULL) return NULL;
    if (redisGetReply(r->c, &reply) != REDIS_OK || reply == NULL) {
        rconn_drop(r);
        return NULL;
    }
    return reply;
}

static redisReply *rconn_call(struct rconn *r, int argc, const char **argv)
{
    if (rconn_send(r, argc, argv) != 0) return NULL;
    return rconn_recv(r);
}

/* Port of a GET-MASTER-ADDR-BY-NAME reply, or -1. */
static int addr_reply_port(const redisReply *rep)
{
    long long port;
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) return -1;
    const redisReply *p = rep->element[1];
    if (p->type != REDIS_REPLY_STRING || util_parse_ll(p->str, p->len, &port) != 0) return -1;
    return (int)port;
}

static int ask_master_port(struct rconn *s, const char *name)
{
    const char *argv[] = {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name};
    redisReply *rep = rconn_call(s, 3, argv);
    int port = addr_reply_port(rep);
    if (rep) freeReplyObject(rep);
    return port;
}

/* --- +switch-master subscribers */

static int sub_open(struct rconn *r, int port)
{
    const char *argv[] = {"SUBSCRIBE", "+switch-master"};
    if (rconn_open(r, port, 1000) != 0) return -1;
    redisReply *rep = rconn_call(r, 2, argv);
    if (rep == NULL) return -1;
    freeReplyObject(rep);
    return 0;
}

/* Reads what has arrived on a readable subscriber; returns the new master's port announced by
 * the first +switch-master message found ("<name> <oldip> <oldport> <newip> <newport>"), or 0. */
static int sub_drain(struct rconn *r)
{
    int new_port = 0;
    if (r->c == NULL || redisBufferRead(r->c) != REDIS_OK) {
        rconn_drop(r);
        return 0;
    }
    void *msg = NULL;
    while (redisGetReplyFromReader(r->c, &msg) == REDIS_OK && msg != NULL) {
        redisReply *m = msg;
        if (m->type == REDIS_REPLY_ARRAY && m->elements == 3 &&
            m->element[2]->type == REDIS_REPLY_STRING) {
            char ip[64], name[128];
            int oldp = 0, newp = 0;
            if (sscanf(m->element[2]->str, "%127s %63s %d %63s %d", name, ip, &oldp, ip, &newp) ==
                    5 &&
                new_port == 0)
                new_port = newp;
        }
        freeReplyObject(m);
        msg = NULL;
    }
    return new_port;
}

/* --- the writer thread */

static int writer_resolve(const struct opts *o, struct rconn *sentinels)
{
    for (int i = 0; i < o->n_sentinels; i++) {
        int port = ask_master_port(&sentinels[i], o->name);
        if (port > 0) return port;
    }
    return -1;
}

static void writer_follow(struct writer *w, struct rconn *node, struct rconn *sent)
{
    int port = writer_resolve(w->o, sent);
    if (port > 0 && (node->c == NULL || port != node->port)) {
        rconn_drop(node);
        rconn_open(node, port, WRITER_TIMEOUT_MS);
    }
}

static void writer_one(struct writer *w, struct rconn *node, struct rconn *sent)
{
    char key[48], val[24];
    long long seq = w->next_seq++;
    snprintf(key, sizeof key, "failpoll:w:%lld", seq);
    snprintf(val, sizeof val, "%lld", seq);
    const char *argv[] = {"SET", key, val};
    redisReply *rep = rconn_call(node, 3, argv);
    if (rep != NULL && rep->type == REDIS_REPLY_STATUS) {
        w->ack_us[seq] = clock_mono_us();
        atomic_fetch_add(&w->acked, 1);
    } else {
        writer_follow(w, node, sent); /* READONLY, paused-then-refused, dead link: re-ask */
    }
    if (rep) freeReplyObject(rep);
}

/* Follows the first +switch-master any sentinel announces (as Jedis's sentinel pool does: the
 * best a Sentinel-aware client can do). */
static void writer_watch(struct writer *w, struct rconn *subs, struct rconn *node)
{
    struct pollfd pfd[MAX_PEERS];
    int n = w->o->n_sentinels;
    for (int i = 0; i < n; i++)
        pfd[i] = (struct pollfd){.fd = subs[i].c ? subs[i].c->fd : -1, .events = POLLIN};
    if (poll(pfd, (nfds_t)n, 0) <= 0) return;
    for (int i = 0; i < n; i++) {
        if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        int port = sub_drain(&subs[i]);
        if (port > 0 && port != node->port) {
            rconn_drop(node);
            rconn_open(node, port, WRITER_TIMEOUT_MS);
        }
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    const struct opts *o = w->o;
    struct rconn sent[MAX_PEERS] = {{0}}, subs[MAX_PEERS] = {{0}}, node = {0};
    for (int i = 0; i < o->n_sentinels; i++) {
        rconn_open(&sent[i], o->sentinels[i], 1000);
        sub_open(&subs[i], o->sentinels[i]);
    }
    writer_follow(w, &node, sent);
    while (!atomic_load(&w->stop) && w->next_seq < MAX_WRITES) {
        int64_t next = clock_mono_us() + o->write_interval_us;
        writer_watch(w, subs, &node);
        writer_one(w, &node, sent);
        int64_t left = next - clock_mono_us();
        if (left > 0) usleep((useconds_t)left);
    }
    w->end_us = clock_mono_us();
    for (int i = 0; i < o->n_sentinels; i++) {
        rconn_drop(&sent[i]);
        rconn_drop(&subs[i]);
    }
    rconn_drop(&node);
    return NULL;
}

/* Looks every acknowledged write up on the node at `port` (pipelined EXISTS, 512 at a time);
 * fills survived[seq] and returns how many acknowledged writes are missing, or -1. */
static long long writer_check_lost(const struct writer *w, int port, bool *survived)
{
    enum { BATCH = 512 };
    struct rconn r = {0};
    if (rconn_open(&r, port, 5000) != 0) return -1;
    long long lost = 0, batch[BATCH];
    int n = 0;
    for (long long seq = 0; seq <= w->next_seq; seq++) {
        bool last = seq == w->next_seq;
        if (!last && w->ack_us[seq] != 0) {
            char key[48];
            snprintf(key, sizeof key, "failpoll:w:%lld", seq);
            const char *argv[] = {"EXISTS", key};
            redisAppendCommandArgv(r.c, 2, argv, NULL);
            batch[n++] = seq;
        }
        if (n == 0 || (n < BATCH && !last)) continue;
        for (int i = 0; i < n; i++) {
            redisReply *rep = rconn_recv(&r);
            if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
                if (rep) freeReplyObject(rep);
                rconn_drop(&r);
                return -1;
            }
            survived[batch[i]] = rep->integer == 1;
            lost += rep->integer == 1 ? 0 : 1;
            freeReplyObject(rep);
        }
        n = 0;
    }
    rconn_drop(&r);
    return lost;
}

/* Longest gap between consecutive acknowledged writes that ends after t0, the writer's stop
 * counting as a final ack (a writer stuck until the end paused that long); when `survivors` is
 * given, only writes found on the new master count (a lost write did not really land). */
static int64_t writer_pause_us(const struct writer *w, int64_t t0, const bool *survivors)
{
    int64_t prev = 0, worst = 0;
    for (long long seq = 0; seq <= w->next_seq; seq++) {
        int64_t t = seq < w->next_seq ? w->ack_us[seq] : w->end_us;
        if (t == 0 || (seq < w->next_seq && survivors && !survivors[seq])) continue;
        if (prev != 0 && t >= t0 && t - prev > worst) worst = t - prev;
        prev = t;
    }
    return worst;
}

/* --- triggers */

/* POSTs `body` to 127.0.0.1:port`path` with a bearer token; returns the HTTP status or -1. The
 * reply's first line is copied to `line` for the error message. */
static int http_post(int port, const char *path, const char *token, const char *body, char *line,
                     size_t line_cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 10, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char req[1024];
    int len = snprintf(req, sizeof req,
                       "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                       "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                       "Connection: close\r\n\r\n%s",
                       path, port, token, strlen(body), body);
    char resp[512];
    ssize_t got = -1;
    if (len > 0 && (size_t)len < sizeof req &&
        connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, req, (size_t)len) == (ssize_t)len)
        got = read(fd, resp, sizeof resp - 1);
    close(fd);
    if (got <= 0) return -1;
    resp[got] = '\0';
    snprintf(line, line_cap, "%.*s", (int)strcspn(resp, "\r\n"), resp);
    int status = -1;
    if (sscanf(resp, "HTTP/%*d.%*d %d", &status) != 1) return -1;
    return status;
}

/* Starts the failover; returns 0 or -1 with the reason on stderr. */
static int trigger(const struct opts *o, struct rconn *sentinel0)
{
    if (strcmp(o->mode, "kill") == 0) {
        if (kill((pid_t)o->master_pid, SIGKILL) == 0) return 0;
        fprintf(stderr, "failpoll: kill -9 %lld: %s\n", o->master_pid, strerror(errno));
        return -1;
    }
    if (strcmp(o->mode, "manual") == 0) {
        const char *argv[] = {"SENTINEL", "FAILOVER", o->name};
        redisReply *rep = rconn_call(sentinel0, 3, argv);
        int ok = rep && rep->type == REDIS_REPLY_STATUS;
        if (!ok)
            fprintf(stderr, "failpoll: SENTINEL FAILOVER: %s\n",
                    rep && rep->str ? rep->str : "no reply");
        if (rep) freeReplyObject(rep);
        return ok ? 0 : -1;
    }
    char path[256], line[256] = "";
    snprintf(path, sizeof path, "/v1/masters/%s/switchover", o->name);
    int status = http_post((int)o->http_port, path, o->token ? o->token : "",
                           "{\"timeout_ms\": 5000}", line, sizeof line);
    if (status >= 200 && status < 300) return 0;
    fprintf(stderr, "failpoll: POST %s on port %lld: %s\n", path, o->http_port,
            status < 0 ? "no HTTP answer" : line);
    return -1;
}

/* --- the millisecond loop */

struct poller {
    const struct opts *o;
    struct rconn sent[MAX_PEERS], sub[MAX_PEERS], node[MAX_PEERS];
    struct observed seen;
    int old_port;
    int64_t t0;
};

/* One round: every sentinel's answer and a SET on every node but the old master, all sent
 * before any reply is read so the round costs one round trip, not one per connection. */
static void poll_round(struct poller *p)
{
    const struct opts *o = p->o;
    const char *ask[] = {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", o->name};
    bool sent_s[MAX_PEERS] = {false}, sent_n[MAX_PEERS] = {false};
    char key[32], val[24];
    snprintf(val, sizeof val, "%lld", (long long)(clock_mono_us() - p->t0));
    for (int i = 0; i < o->n_sentinels; i++) sent_s[i] = rconn_send(&p->sent[i], 3, ask) == 0;
    for (int i = 1; i < o->n_nodes; i++) {
        snprintf(key, sizeof key, "failpoll:p:%d", o->nodes[i]);
        const char *set[] = {"SET", key, val};
        sent_n[i] = p->seen.first_write_us[i] < 0 && rconn_send(&p->node[i], 3, set) == 0;
    }
    for (int i = 0; i < o->n_sentinels; i++) {
        redisReply *rep = sent_s[i] ? rconn_recv(&p->sent[i]) : NULL;
        int port = addr_reply_port(rep);
        if (port > 0 && port != p->old_port && p->seen.sentinel_us[i] < 0) {
            p->seen.sentinel_us[i] = clock_mono_us() - p->t0;
            p->seen.sentinel_port[i] = port;
        }
        if (rep) freeReplyObject(rep);
    }
    for (int i = 1; i < o->n_nodes; i++) {
        redisReply *rep = sent_n[i] ? rconn_recv(&p->node[i]) : NULL;
        if (rep && rep->type == REDIS_REPLY_STATUS)
            p->seen.first_write_us[i] = clock_mono_us() - p->t0;
        if (rep) freeReplyObject(rep);
    }
}

/* Waits for +switch-master messages until `until_us` (monotonic). */
static void poll_events(struct poller *p, int64_t until_us)
{
    struct pollfd pfd[MAX_PEERS];
    int n = p->o->n_sentinels;
    for (int i = 0; i < n; i++) {
        if (p->sub[i].c == NULL && clock_mono_us() >= p->sub[i].retry_at_us)
            sub_open(&p->sub[i], p->sub[i].port);
        pfd[i] = (struct pollfd){.fd = p->sub[i].c ? p->sub[i].c->fd : -1, .events = POLLIN};
    }
    int64_t left = until_us - clock_mono_us();
    if (left < 0) left = 0;
    struct timespec ts = {.tv_sec = left / 1000000, .tv_nsec = (left % 1000000) * 1000};
    if (ppoll(pfd, (nfds_t)n, &ts, NULL) <= 0) return;
    int64_t now = clock_mono_us();
    for (int i = 0; i < n; i++) {
        if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (sub_drain(&p->sub[i]) > 0 && p->seen.switch_us < 0) p->seen.switch_us = now - p->t0;
    }
}

/* The new master's index in o->nodes (by the last sentinel's answer), or -1. */
static int new_master_index(const struct poller *p, int64_t *all_us)
{
    int port = -1;
    *all_us = -1;
    for (int i = 0; i < p->o->n_sentinels; i++) {
        if (p->seen.sentinel_us[i] < 0) return -1;
        if (p->seen.sentinel_us[i] > *all_us) {
            *all_us = p->seen.sentinel_us[i];
            port = p->seen.sentinel_port[i];
        }
    }
    for (int i = 1; i < p->o->n_nodes; i++)
        if (p->o->nodes[i] == port) return i;
    return -1;
}

static bool poll_done(const struct poller *p)
{
    int64_t all_us;
    int nm = new_master_index(p, &all_us);
    return p->seen.switch_us >= 0 && nm > 0 && p->seen.first_write_us[nm] >= 0;
}

/* --- setup, report */

static int parse_ports(const char *s, int *out, int *n)
{
    *n = 0;
    while (*s) {
        long long v;
        size_t len = strcspn(s, ",");
        if (*n == MAX_PEERS || util_parse_ll(s, len, &v) != 0 || v < 1 || v > 65535) return -1;
        out[(*n)++] = (int)v;
        s += len + (s[len] == ',');
    }
    return *n > 0 ? 0 : -1;
}

static int parse_opt(struct opts *o, const char *k, const char *v)
{
    long long *num = NULL;
    if (strcmp(k, "--mode") == 0)
        o->mode = v;
    else if (strcmp(k, "--name") == 0)
        o->name = v;
    else if (strcmp(k, "--token") == 0)
        o->token = v;
    else if (strcmp(k, "--sentinels") == 0)
        return parse_ports(v, o->sentinels, &o->n_sentinels);
    else if (strcmp(k, "--nodes") == 0)
        return parse_ports(v, o->nodes, &o->n_nodes);
    else if (strcmp(k, "--master-pid") == 0)
        num = &o->master_pid;
    else if (strcmp(k, "--http-port") == 0)
        num = &o->http_port;
    else if (strcmp(k, "--timeout-ms") == 0)
        num = &o->timeout_ms;
    else if (strcmp(k, "--settle-ms") == 0)
        num = &o->settle_ms;
    else if (strcmp(k, "--write-interval-us") == 0)
        num = &o->write_interval_us;
    else
        return -1;
    if (num && (util_parse_ll(v, strlen(v), num) != 0 || *num < 0 || *num > 3600000)) return -1;
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.mode = "kill",
                       .name = "mymaster",
                       .timeout_ms = 30000,
                       .settle_ms = 1000,
                       .write_interval_us = 1000};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--writer") == 0) {
            o->writer = true;
            continue;
        }
        if (i + 1 >= argc || parse_opt(o, argv[i], argv[i + 1]) != 0) return -1;
        i++;
    }
    bool mode_ok = strcmp(o->mode, "kill") == 0         ? o->master_pid > 0
                   : strcmp(o->mode, "manual") == 0     ? true
                   : strcmp(o->mode, "switchover") == 0 ? o->http_port > 0
                                                        : false;
    return mode_ok && o->n_sentinels > 0 && o->n_nodes > 1 ? 0 : -1;
}

static int setup(struct poller *p)
{
    const struct opts *o = p->o;
    p->old_port = o->nodes[0];
    p->seen.switch_us = -1;
    for (int i = 0; i < MAX_PEERS; i++) p->seen.first_write_us[i] = p->seen.sentinel_us[i] = -1;
    for (int i = 0; i < o->n_sentinels; i++) {
        rconn_open(&p->sent[i], o->sentinels[i], CMD_TIMEOUT_MS);
        p->sub[i].port = o->sentinels[i];
        int port = ask_master_port(&p->sent[i], o->name);
        if (port != p->old_port || sub_open(&p->sub[i], o->sentinels[i]) != 0) {
            fprintf(stderr, "failpoll: sentinel %d answers master port %d, not %d\n",
                    o->sentinels[i], port, p->old_port);
            return -1;
        }
    }
    for (int i = 1; i < o->n_nodes; i++) rconn_open(&p->node[i], o->nodes[i], CMD_TIMEOUT_MS);
    return 0;
}

static void writer_start(struct writer *w, const struct opts *o)
{
    w->o = o;
    w->ack_us = xcalloc((size_t)MAX_WRITES + 1, sizeof w->ack_us[0]);
    pthread_create(&w->thread, NULL, writer_main, w);
    int64_t deadline = clock_mono_us() + 5000000;
    while (atomic_load(&w->acked) < 100 && clock_mono_us() < deadline) usleep(1000);
}

/* Diagnostics on stderr: each run of consecutive lost acked writes, in ms since the trigger. */
static void writer_print_lost_spans(const struct writer *w, const bool *survived, int64_t t0)
{
    long long first = -1, last = -1, count = 0;
    for (long long seq = 0; seq <= w->next_seq; seq++) {
        bool lost = seq < w->next_seq && w->ack_us[seq] != 0 && !survived[seq];
        if (lost) {
            if (first < 0) {
                first = seq;
                count = 0;
            }
            last = seq;
            count++;
            continue;
        }
        if (first < 0 || (seq < w->next_seq && w->ack_us[seq] == 0)) continue;
        fprintf(stderr, "failpoll: %lld acked writes lost, acked from %.1f to %.1f ms\n", count,
                (double)(w->ack_us[first] - t0) / 1000.0, (double)(w->ack_us[last] - t0) / 1000.0);
        first = -1;
    }
}

static void writer_report(struct writer *w, int master_port, int64_t t0)
{
    bool *survived = xcalloc((size_t)w->next_seq + 1, sizeof survived[0]);
    long long lost = writer_check_lost(w, master_port, survived);
    printf("writes_acked %lld\nwrites_lost %lld\n", (long long)atomic_load(&w->acked), lost);
    printf("write_pause_ms %.1f\n", (double)writer_pause_us(w, t0, NULL) / 1000.0);
    printf("write_pause_surviving_ms %.1f\n",
           lost < 0 ? -1.0 : (double)writer_pause_us(w, t0, survived) / 1000.0);
    writer_print_lost_spans(w, survived, t0);
    free(survived);
}

static double ms_or_none(int64_t us) { return us < 0 ? -1.0 : (double)us / 1000.0; }

static void report(const struct poller *p, int64_t trigger_us)
{
    int64_t all_us;
    int nm = new_master_index(p, &all_us);
    printf("old_master 127.0.0.1:%d\n", p->old_port);
    printf("new_master 127.0.0.1:%d\n", nm > 0 ? p->o->nodes[nm] : -1);
    printf("trigger_ms %.1f\n", ms_or_none(trigger_us));
    printf("switch_master_ms %.1f\n", ms_or_none(p->seen.switch_us));
    printf("all_sentinels_ms %.1f\n", ms_or_none(all_us));
    printf("first_write_ms %.1f\n", nm > 0 ? ms_or_none(p->seen.first_write_us[nm]) : -1.0);
    bool agree = true;
    for (int i = 1; i < p->o->n_sentinels; i++)
        agree = agree && p->seen.sentinel_port[i] == p->seen.sentinel_port[0];
    printf("sentinels_agree %d\n", agree);
}

int main(int argc, char **argv)
{
    static struct poller p;
    static struct writer w;
    struct opts o;
    if (parse_opts(argc, argv, &o) != 0) {
        fprintf(stderr,
                "usage: bench-failpoll --sentinels P1,P2,P3 --nodes MASTER,R1,R2 [--name N]\n"
                "  [--mode kill --master-pid PID | --mode manual | --mode switchover\n"
                "   --http-port H --token T] [--writer] [--write-interval-us U]\n"
                "  [--timeout-ms T] [--settle-ms S]\n");
        return 2;
    }
    p.o = &o;
    if (setup(&p) != 0) return 1;
    if (o.writer) writer_start(&w, &o);
    p.t0 = clock_mono_us();
    if (trigger(&o, &p.sent[0]) != 0) {
        atomic_store(&w.stop, true);
        if (o.writer) pthread_join(w.thread, NULL);
        return 1;
    }
    int64_t trigger_us = clock_mono_us() - p.t0;
    int64_t deadline = p.t0 + o.timeout_ms * 1000;
    while (!poll_done(&p) && clock_mono_us() < deadline) {
        int64_t tick_end = clock_mono_us() + TICK_US;
        poll_round(&p);
        poll_events(&p, tick_end);
    }
    bool done = poll_done(&p);
    report(&p, trigger_us);
    if (o.writer) {
        usleep((useconds_t)(o.settle_ms * 1000));
        atomic_store(&w.stop, true);
        pthread_join(w.thread, NULL);
        int64_t all_us;
        int nm = new_master_index(&p, &all_us);
        if (nm > 0) writer_report(&w, o.nodes[nm], p.t0);
        free(w.ack_us);
    }
    if (!done) fprintf(stderr, "failpoll: failover not complete after %lld ms\n", o.timeout_ms);
    return done ? 0 : 1;
}
