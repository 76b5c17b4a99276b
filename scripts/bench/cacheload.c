/* cacheload: a cache workload against one server under maxmemory (benchmark figure 9,
 * scripts/bench/fig9-cache.sh; built as bin/bench-cacheload).
 *
 * Why: a cache is judged by how often a read hits and how fast it answers while the server
 * evicts. A Python client would be the bottleneck at a few hundred thousand commands per second,
 * so this is C with hiredis and pipelining: a batch of --pipeline commands is sent before the
 * replies of the one before it are read, so the server always has work while the client works.
 *
 * Phases: prefill (SET every key once, in a seeded random order, so the server starts full and
 * evicting), warm-up (--warmup Zipf operations, not counted), measure (--ops Zipf operations).
 * An operation draws a rank from a Zipf distribution (exponent --zipf-s, a precomputed CDF searched
 * by bisection, seeded xorshift): with --write-pct percent a SET, else a GET; a GET that misses is
 * followed by a SET of that key in the next batch sent (cache-aside refill, one batch later than a
 * client waiting for each reply would). A second connection reads INFO memory every --info-ms in
 * every phase, for the peak used_memory.
 *
 * Usage: bench-cacheload --port P --keys N [--host H] [--value-bytes B] [--ops N] [--warmup N]
 *        [--write-pct W] [--zipf-s S] [--seed S] [--pipeline D] [--info-ms MS] [--no-prefill]
 * Prints `key value` lines (commands, gets, hits, misses, sets, hit_ratio, elapsed_s, rps,
 * peak_used_memory, peak_used_memory_measure, info_samples, client_cpu_s). Exit 0, 1 on a
 * connection error or an error reply (its text is printed: an -OOM fails loudly), 2 on bad usage.
 * Invariants: every buffer is sized from the options, which are bounded (MAX_KEYS, MAX_PIPELINE);
 * the same seed gives the same key sequence on both servers. */
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/clock.h"
#include "common/util.h"

#define MAX_KEYS 100000000LL
#define MAX_OPS 10000000000LL
#define MAX_PIPELINE 4096LL
#define MAX_VALUE_BYTES 1048576LL
#define KEY_BYTES 32

struct load_opts {
    const char *host;
    long long port, keys, value_bytes, ops, warmup, write_pct, seed, pipeline, info_ms;
    double zipf_s;
    int prefill;
};

struct load_stats {
    long long commands, gets, hits, misses, sets;
    long long peak_used, peak_used_measure, samples;
};

/* One operation of a batch: a GET or a SET of one rank (a key name is "key:<rank>"). */
struct load_op {
    int is_set;
    uint32_t rank;
};

struct load {
    struct load_opts o;
    redisContext *data, *info;
    double *cdf;
    char *value;
    struct load_op *sent[2], *refill; /* two batches: one in flight, one being built */
    long long nsent[2], nrefill;
    int cur; /* sent[cur] is the batch in flight (nsent[cur] == 0: none) */
    uint64_t rng;
    int64_t next_info_us;
    int measuring;
    struct load_stats st;
};

static int parse_num(const char *s, long long lo, long long hi, long long *out)
{
    if (util_parse_ll(s, strlen(s), out) != 0 || *out < lo || *out > hi) return -1;
    return 0;
}

static int parse_zipf(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v > 0.0) || v > 5.0) return -1;
    *out = v;
    return 0;
}

/* The numeric options: name, bounds and where each goes. */
static int parse_one(struct load_opts *o, const char *k, const char *v)
{
    struct {
        const char *name;
        long long lo, hi, *dst;
    } nums[] = {
        {"--port", 1, 65535, &o->port},
        {"--keys", 1, MAX_KEYS, &o->keys},
        {"--value-bytes", 1, MAX_VALUE_BYTES, &o->value_bytes},
        {"--ops", 1, MAX_OPS, &o->ops},
        {"--warmup", 0, MAX_OPS, &o->warmup},
        {"--write-pct", 0, 100, &o->write_pct},
        {"--seed", 0, 1LL << 62, &o->seed},
        {"--pipeline", 1, MAX_PIPELINE, &o->pipeline},
        {"--info-ms", 1, 60000, &o->info_ms},
    };
    if (strcmp(k, "--host") == 0) {
        o->host = v;
        return 0;
    }
    if (strcmp(k, "--zipf-s") == 0) return parse_zipf(v, &o->zipf_s);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (strcmp(k, nums[i].name) == 0) return parse_num(v, nums[i].lo, nums[i].hi, nums[i].dst);
    return -1;
}

static int parse_opts(int argc, char **argv, struct load_opts *o)
{
    *o = (struct load_opts){.host = "127.0.0.1",
                            .value_bytes = 16,
                            .ops = 1000000,
                            .write_pct = 10,
                            .seed = 1,
                            .pipeline = 64,
                            .info_ms = 50,
                            .zipf_s = 0.99,
                            .prefill = 1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-prefill") == 0) {
            o->prefill = 0;
            continue;
        }
        if (i + 1 >= argc || parse_one(o, argv[i], argv[i + 1]) != 0) return -1;
        i++;
    }
    return o->port > 0 && o->keys > 0 ? 0 : -1;
}

/* xorshift64*: fast, seeded, the same sequence on every run with the same seed. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* cdf[i] = P(rank <= i) for ranks 0..n-1 with P(rank = i) proportional to 1 / (i + 1)^s. */
static double *zipf_build_cdf(long long n, double s)
{
    double *cdf = xmalloc(sizeof(double) * (size_t)n);
    double sum = 0;
    for (long long i = 0; i < n; i++) {
        sum += 1.0 / pow((double)(i + 1), s);
        cdf[i] = sum;
    }
    for (long long i = 0; i < n; i++) cdf[i] /= sum;
    cdf[n - 1] = 1.0;
    return cdf;
}

/* The first rank whose cdf exceeds a uniform draw (bisection). */
static uint32_t zipf_draw(struct load *l)
{
    double u = rng_unit(&l->rng);
    long long lo = 0, hi = l->o.keys - 1;
    while (lo < hi) {
        long long mid = lo + (hi - lo) / 2;
        if (l->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint32_t)lo;
}

static void load_append(struct load *l, const struct load_op *op)
{
    char key[KEY_BYTES];
    int klen = snprintf(key, sizeof key, "key:%u", op->rank);
    if (op->is_set) {
        const char *argv[] = {"SET", key, l->value};
        size_t lens[] = {3, (size_t)klen, (size_t)l->o.value_bytes};
        redisAppendCommandArgv(l->data, 3, argv, lens);
    } else {
        const char *argv[] = {"GET", key};
        size_t lens[] = {3, (size_t)klen};
        redisAppendCommandArgv(l->data, 2, argv, lens);
    }
}

/* One reply of a batch: counts it; a GET miss queues a refill. Returns 0 or -1 (printed). */
static int load_take_reply(struct load *l, const struct load_op *op)
{
    void *r = NULL;
    if (redisGetReply(l->data, &r) != REDIS_OK || r == NULL) {
        fprintf(stderr, "cacheload: connection error: %s\n", l->data->errstr);
        return -1;
    }
    redisReply *reply = r;
    int rc = 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "cacheload: %s key:%u: %.*s\n", op->is_set ? "SET" : "GET", op->rank,
                (int)reply->len, reply->str);
        rc = -1;
    } else if (op->is_set) {
        l->st.sets += l->measuring;
    } else if (reply->type == REDIS_REPLY_NIL) {
        l->st.misses += l->measuring;
        l->refill[l->nrefill++] = (struct load_op){.is_set = 1, .rank = op->rank};
    } else {
        l->st.hits += l->measuring;
    }
    if (!op->is_set) l->st.gets += l->measuring;
    l->st.commands += l->measuring;
    freeReplyObject(reply);
    return rc;
}

/* INFO memory on the second connection, at most every --info-ms: keeps the peak used_memory. */
static int load_sample_memory(struct load *l, int force)
{
    int64_t now = clock_mono_us();
    if (!force && now < l->next_info_us) return 0;
    l->next_info_us = now + l->o.info_ms * 1000;
    redisReply *r = redisCommand(l->info, "INFO memory");
    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        fprintf(stderr, "cacheload: INFO memory failed: %s\n",
                r ? "not a string" : l->info->errstr);
        if (r) freeReplyObject(r);
        return -1;
    }
    const char *p = strstr(r->str, "used_memory:");
    long long used = p ? strtoll(p + strlen("used_memory:"), NULL, 10) : -1;
    freeReplyObject(r);
    if (used < 0) {
        fprintf(stderr, "cacheload: INFO memory has no used_memory\n");
        return -1;
    }
    if (used > l->st.peak_used) l->st.peak_used = used;
    if (l->measuring && used > l->st.peak_used_measure) l->st.peak_used_measure = used;
    l->st.samples++;
    return 0;
}

/* Reads every reply of the batch in flight, if any. */
static int load_drain(struct load *l)
{
    struct load_op *b = l->sent[l->cur];
    long long n = l->nsent[l->cur];
    l->nsent[l->cur] = 0;
    for (long long i = 0; i < n; i++)
        if (load_take_reply(l, &b[i]) != 0) return -1;
    return load_sample_memory(l, 0);
}

/* Sends a batch (the refills queued so far, then n ops) and only then reads the replies of the
 * batch before it: the server works on one batch while this client builds the next and parses
 * the last, so the client's own time stays out of the figure. Refills lag by one batch. */
static int load_run_batch(struct load *l, const struct load_op *ops, long long n)
{
    int next = !l->cur;
    struct load_op *b = l->sent[next];
    long long total = 0;
    for (long long i = 0; i < l->nrefill; i++) b[total++] = l->refill[i];
    for (long long i = 0; i < n; i++) b[total++] = ops[i];
    l->nrefill = 0;
    for (long long i = 0; i < total; i++) load_append(l, &b[i]);
    for (int done = 0; !done;) {
        if (redisBufferWrite(l->data, &done) != REDIS_OK) {
            fprintf(stderr, "cacheload: write error: %s\n", l->data->errstr);
            return -1;
        }
    }
    int rc = load_drain(l);
    l->cur = next;
    l->nsent[next] = total;
    return rc;
}

/* SET every key once in a seeded random order (Fisher-Yates), so the run starts evicting. */
static int load_prefill(struct load *l)
{
    long long n = l->o.keys, d = l->o.pipeline;
    uint32_t *perm = xmalloc(sizeof(uint32_t) * (size_t)n);
    for (long long i = 0; i < n; i++) perm[i] = (uint32_t)i;
    for (long long i = n - 1; i > 0; i--) {
        long long j = (long long)(rng_next(&l->rng) % (uint64_t)(i + 1));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    struct load_op *batch = xmalloc(sizeof(struct load_op) * (size_t)d);
    int rc = 0;
    for (long long i = 0; i < n && rc == 0; i += d) {
        long long m = n - i < d ? n - i : d;
        for (long long k = 0; k < m; k++)
            batch[k] = (struct load_op){.is_set = 1, .rank = perm[i + k]};
        rc = load_run_batch(l, batch, m);
    }
    free(batch);
    free(perm);
    return rc == 0 ? load_drain(l) : rc;
}

/* count Zipf operations in batches; the refills of one batch go first in the next. */
static int load_zipf_phase(struct load *l, long long count)
{
    long long d = l->o.pipeline;
    struct load_op *batch = xmalloc(sizeof(struct load_op) * (size_t)d);
    int rc = 0;
    for (long long done = 0; done < count && rc == 0;) {
        long long m = d - l->nrefill;
        if (m > count - done) m = count - done;
        for (long long k = 0; k < m; k++) {
            int is_set = (long long)(rng_next(&l->rng) % 100) < l->o.write_pct;
            batch[k] = (struct load_op){.is_set = is_set, .rank = zipf_draw(l)};
        }
        rc = load_run_batch(l, batch, m);
        done += m;
    }
    free(batch);
    return rc == 0 ? load_drain(l) : rc;
}

static redisContext *load_connect(const struct load_opts *o)
{
    struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
    redisContext *c = redisConnectWithTimeout(o->host, (int)o->port, tv);
    if (c == NULL || c->err) {
        fprintf(stderr, "cacheload: connect %s:%lld: %s\n", o->host, o->port,
                c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return NULL;
    }
    struct timeval cmd_tv = {.tv_sec = 60, .tv_usec = 0};
    redisSetTimeout(c, cmd_tv);
    return c;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void print_stats(const struct load *l, double elapsed_s, double cpu_s)
{
    const struct load_stats *s = &l->st;
    printf("commands %lld\ngets %lld\nhits %lld\nmisses %lld\nsets %lld\n", s->commands, s->gets,
           s->hits, s->misses, s->sets);
    printf("hit_ratio %.6f\nelapsed_s %.3f\nrps %.0f\n",
           s->gets ? (double)s->hits / (double)s->gets : 0.0, elapsed_s,
           elapsed_s > 0 ? (double)s->commands / elapsed_s : 0.0);
    printf("peak_used_memory %lld\npeak_used_memory_measure %lld\ninfo_samples %lld\n",
           s->peak_used, s->peak_used_measure, s->samples);
    printf("client_cpu_s %.3f\n", cpu_s);
}

static int load_run(struct load *l)
{
    if (load_sample_memory(l, 1) != 0) return -1;
    if (l->o.prefill && load_prefill(l) != 0) return -1;
    if (load_zipf_phase(l, l->o.warmup) != 0) return -1;
    l->measuring = 1;
    double cpu0 = cpu_seconds();
    int64_t t0 = clock_mono_us();
    if (load_zipf_phase(l, l->o.ops) != 0) return -1;
    /* The last batch's misses are refilled too, so every counted GET miss has its SET. */
    if (l->nrefill > 0 && (load_run_batch(l, NULL, 0) != 0 || load_drain(l) != 0)) return -1;
    int64_t t1 = clock_mono_us();
    if (load_sample_memory(l, 1) != 0) return -1;
    print_stats(l, (double)(t1 - t0) / 1e6, cpu_seconds() - cpu0);
    return 0;
}

int main(int argc, char **argv)
{
    struct load l = {0};
    if (parse_opts(argc, argv, &l.o) != 0) {
        fprintf(stderr, "usage: bench-cacheload --port P --keys N [--host H] [--value-bytes B] "
                        "[--ops N] [--warmup N] [--write-pct W] [--zipf-s S] [--seed S] "
                        "[--pipeline D] [--info-ms MS] [--no-prefill]\n");
        return 2;
    }
    l.rng = (uint64_t)l.o.seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    l.data = load_connect(&l.o);
    l.info = l.data ? load_connect(&l.o) : NULL;
    if (l.info == NULL) {
        if (l.data) redisFree(l.data);
        return 1;
    }
    l.cdf = zipf_build_cdf(l.o.keys, l.o.zipf_s);
    l.value = xmalloc((size_t)l.o.value_bytes);
    memset(l.value, 'v', (size_t)l.o.value_bytes);
    l.sent[0] = xmalloc(sizeof(struct load_op) * (size_t)l.o.pipeline);
    l.sent[1] = xmalloc(sizeof(struct load_op) * (size_t)l.o.pipeline);
    l.refill = xmalloc(sizeof(struct load_op) * (size_t)l.o.pipeline);
    int rc = load_run(&l) == 0 ? 0 : 1;
    free(l.refill);
    free(l.sent[1]);
    free(l.sent[0]);
    free(l.value);
    free(l.cdf);
    redisFree(l.info);
    redisFree(l.data);
    return rc;
}
