/* waitbench: round-trip time of `SET` + `WAIT numreplicas timeout` against one master
 * (benchmark figure 4, scripts/bench/fig4-wait.sh; built as bin/bench-waitbench).
 *
 * Why: what a client that wants a write on N replicas pays is one pipelined SET + WAIT, measured
 * from sending both to reading WAIT's reply. A C client keeps the measuring cost (a few
 * microseconds) far below the figure (~150 us), which a Python client would not.
 *
 * Usage: bench-waitbench --port P [--host H] [--replicas N] [--count C] [--warmup W]
 *                        [--timeout-ms T] [--value-bytes B]
 * Prints `key value` lines: count, acked (WAIT answered >= N), short (WAIT answered < N),
 * min_us, median_us, p99_us, max_us, mean_us. Exit 0 on success, 1 when the server errors or the
 * connection fails (the message names the command), 2 on bad usage.
 * Invariants: one connection, one SET + WAIT pair in flight at a time; the sample buffer is sized
 * from --count (bounded by MAX_COUNT); every reply is checked, so a server without WAIT fails
 * loudly instead of producing a figure. */
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/util.h"

#define MAX_COUNT 10000000LL
#define MAX_VALUE_BYTES 1048576LL

struct wait_opts {
    const char *host;
    long long port;
    long long replicas;
    long long count;
    long long warmup;
    long long timeout_ms;
    long long value_bytes;
};

static int parse_num(const char *s, long long lo, long long hi, long long *out)
{
    if (util_parse_ll(s, strlen(s), out) != 0 || *out < lo || *out > hi) return -1;
    return 0;
}

static int parse_opts(int argc, char **argv, struct wait_opts *o)
{
    *o = (struct wait_opts){.host = "127.0.0.1",
                            .replicas = 1,
                            .count = 10000,
                            .warmup = 1000,
                            .timeout_ms = 1000,
                            .value_bytes = 16};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = -1;
        if (v == NULL) return -1;
        if (strcmp(k, "--host") == 0) {
            o->host = v;
            rc = 0;
        } else if (strcmp(k, "--port") == 0)
            rc = parse_num(v, 1, 65535, &o->port);
        else if (strcmp(k, "--replicas") == 0)
            rc = parse_num(v, 0, 1000, &o->replicas);
        else if (strcmp(k, "--count") == 0)
            rc = parse_num(v, 1, MAX_COUNT, &o->count);
        else if (strcmp(k, "--warmup") == 0)
            rc = parse_num(v, 0, MAX_COUNT, &o->warmup);
        else if (strcmp(k, "--timeout-ms") == 0)
            rc = parse_num(v, 0, 600000, &o->timeout_ms);
        else if (strcmp(k, "--value-bytes") == 0)
            rc = parse_num(v, 1, MAX_VALUE_BYTES, &o->value_bytes);
        if (rc != 0) return -1;
        i++;
    }
    return o->port > 0 ? 0 : -1;
}

/* One reply, checked against what the command must answer. Returns 0 or -1 (message printed). */
static int read_reply(redisContext *c, const char *what, int want_type, long long *out_int)
{
    void *r = NULL;
    if (redisGetReply(c, &r) != REDIS_OK || r == NULL) {
        fprintf(stderr, "waitbench: %s: connection error: %s\n", what, c->errstr);
        return -1;
    }
    redisReply *reply = r;
    int rc = 0;
    if (reply->type != want_type) {
        fprintf(stderr, "waitbench: %s: unexpected reply (type %d) %.*s\n", what, reply->type,
                reply->type == REDIS_REPLY_ERROR ? (int)reply->len : 0,
                reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        rc = -1;
    } else if (out_int != NULL) {
        *out_int = reply->integer;
    }
    freeReplyObject(reply);
    return rc;
}

/* Sends SET + WAIT in one write and waits for both replies. Returns the round trip in
 * microseconds, or -1. *acked tells whether WAIT reached the wanted replica count. */
static int64_t round_trip(redisContext *c, const struct wait_opts *o, long long i,
                          const char *value, int *acked)
{
    char key[64], nrep[24], tmo[24];
    snprintf(key, sizeof key, "waitbench:%lld", i % 1000);
    snprintf(nrep, sizeof nrep, "%lld", o->replicas);
    snprintf(tmo, sizeof tmo, "%lld", o->timeout_ms);
    const char *set_argv[] = {"SET", key, value};
    size_t set_len[] = {3, strlen(key), (size_t)o->value_bytes};
    const char *wait_argv[] = {"WAIT", nrep, tmo};
    size_t wait_len[] = {4, strlen(nrep), strlen(tmo)};

    int64_t t0 = clock_mono_us();
    redisAppendCommandArgv(c, 3, set_argv, set_len);
    redisAppendCommandArgv(c, 3, wait_argv, wait_len);
    long long got = 0;
    if (read_reply(c, "SET", REDIS_REPLY_STATUS, NULL) != 0) return -1;
    if (read_reply(c, "WAIT", REDIS_REPLY_INTEGER, &got) != 0) return -1;
    int64_t t1 = clock_mono_us();
    *acked = got >= o->replicas;
    return t1 - t0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array (p in 0..100). */
static int64_t percentile(const int64_t *sorted, long long n, double p)
{
    long long rank = (long long)((p / 100.0) * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static void print_stats(int64_t *us, long long n, long long acked)
{
    qsort(us, (size_t)n, sizeof us[0], cmp_i64);
    double sum = 0;
    for (long long i = 0; i < n; i++) sum += (double)us[i];
    printf("count %lld\nacked %lld\nshort %lld\n", n, acked, n - acked);
    printf("min_us %lld\nmedian_us %lld\np99_us %lld\nmax_us %lld\nmean_us %.1f\n",
           (long long)us[0], (long long)percentile(us, n, 50.0), (long long)percentile(us, n, 99.0),
           (long long)us[n - 1], sum / (double)n);
}

int main(int argc, char **argv)
{
    struct wait_opts o;
    if (parse_opts(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bench-waitbench --port P [--host H] [--replicas N] [--count C] "
                        "[--warmup W] [--timeout-ms T] [--value-bytes B]\n");
        return 2;
    }
    struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
    redisContext *c = redisConnectWithTimeout(o.host, (int)o.port, tv);
    if (c == NULL || c->err) {
        fprintf(stderr, "waitbench: connect %s:%lld: %s\n", o.host, o.port,
                c ? c->errstr : "out of memory");
        return 1;
    }
    struct timeval cmd_tv = {.tv_sec = o.timeout_ms / 1000 + 5, .tv_usec = 0};
    redisSetTimeout(c, cmd_tv);
    char *value = xmalloc((size_t)o.value_bytes);
    memset(value, 'v', (size_t)o.value_bytes);
    int64_t *us = xmalloc(sizeof(int64_t) * (size_t)o.count);
    long long acked = 0;
    int rc = 0;
    for (long long i = 0; i < o.warmup + o.count; i++) {
        int ok = 0;
        int64_t t = round_trip(c, &o, i, value, &ok);
        if (t < 0) {
            rc = 1;
            break;
        }
        if (i < o.warmup) continue;
        us[i - o.warmup] = t;
        acked += ok;
    }
    if (rc == 0) print_stats(us, o.count, acked);
    free(us);
    free(value);
    redisFree(c);
    return rc;
}
