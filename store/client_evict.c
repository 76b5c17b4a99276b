/* client_evict: see client_evict.h. Each client remembers what it last added to the total
 * (mem_counted_bytes) so a recount adjusts the total in O(1); evictable clients also sit in a
 * mem_rank (store/data/mem_rank.h) so the largest is found without walking every client. */
#include "store/client_evict.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "store/client.h"
#include "store/data/mem_rank.h"
#include "store/server.h"

struct client_evict {
    struct mem_rank rank; /* evictable clients by memory */
    size_t total_bytes;   /* every counted client's mem_counted_bytes */
    uint64_t timer;       /* continues a run cut at CLIENT_EVICT_PER_RUN, 0 when idle */
};

struct client_evict *client_evict_create(void)
{
    struct client_evict *ce = xcalloc(1, sizeof *ce);
    mem_rank_init(&ce->rank);
    return ce;
}

void client_evict_destroy(struct client_evict *ce) { free(ce); }

size_t client_evict_total_bytes(const struct server *srv) { return srv->client_evict->total_bytes; }

size_t client_evict_limit_bytes(long long setting, long long maxmemory)
{
    double limit;
    if (setting < 0 && maxmemory > 0)
        limit = (double)maxmemory * (double)-setting / 100.0;
    else if (setting > 0)
        limit = (double)setting;
    else
        return 0; /* off, or a percentage of no maxmemory */
    if (limit >= (double)SIZE_MAX) return SIZE_MAX;
    return MAX((size_t)limit, (size_t)CLIENT_EVICT_MIN_BYTES);
}

/* ---- CONFIG SET values, refused with Redis's messages ---- */

/* "<digits><unit>" as a memory value: true when it is one and fits in a long long. */
static bool is_memory_value(const char *v)
{
    static const struct {
        const char *suffix;
        unsigned long long mult;
    } units[] = {{"", 1},        {"b", 1},        {"k", 1000},          {"kb", 1024},
                 {"m", 1000000}, {"mb", 1 << 20}, {"g", 1000000000ULL}, {"gb", 1ULL << 30}};
    size_t digits = strspn(v, "0123456789");
    long long n;
    if (util_parse_ll(v, digits, &n) != 0) return false;
    for (size_t i = 0; i < ARRAY_LEN(units); i++)
        if (strcasecmp(v + digits, units[i].suffix) == 0)
            return (unsigned long long)n <= (unsigned long long)LLONG_MAX / units[i].mult;
    return false;
}

int client_evict_config_check(const char *value, char *err, size_t errlen)
{
    size_t len = strlen(value);
    long long pct;
    if (is_memory_value(value)) return 0;
    if (len > 1 && value[len - 1] == '%' && util_parse_ll(value, len - 1, &pct) == 0 && pct >= 0) {
        if (pct <= 100) return 0;
        snprintf(err, errlen, "percentage argument must be less or equal to 100");
        return -1;
    }
    snprintf(err, errlen, "argument must be a memory or percent value");
    return -1;
}

/* ---- tracking ---- */

static struct client *client_of_node(struct mem_rank_node *n)
{
    return (struct client *)(void *)((char *)n - offsetof(struct client, mem_node));
}

/* Normal and pub/sub clients count; the master link, replicas, fake and closing ones do not. */
static bool is_counted(const struct client *c)
{
    return !(c->flags & (CLIENT_MASTER | CLIENT_REPLICA)) &&
           !(c->conn.flags & (CONN_FAKE | CONN_CLOSE_ASAP));
}

void client_evict_forget(struct client *c)
{
    struct client_evict *ce = c->srv->client_evict;
    if (!ce) return;
    ce->total_bytes -= c->mem_counted_bytes;
    c->mem_counted_bytes = 0;
    mem_rank_remove(&ce->rank, &c->mem_node);
}

void client_evict_track(struct client *c)
{
    struct client_evict *ce = c->srv->client_evict;
    if (!ce) return;
    if (!is_counted(c)) {
        client_evict_forget(c);
        return;
    }
    size_t bytes = client_memory_bytes(c);
    ce->total_bytes += bytes - c->mem_counted_bytes; /* unsigned wrap cancels out */
    c->mem_counted_bytes = bytes;
    if (c->flags & CLIENT_NO_EVICT)
        mem_rank_remove(&ce->rank, &c->mem_node);
    else
        mem_rank_set(&ce->rank, &c->mem_node, bytes);
    if (c->srv->cfg.maxmemory_clients != 0) client_evict_run(c->srv);
}

/* ---- eviction ---- */

static void client_evict_one(struct server *srv, struct client *c)
{
    struct buf info;
    buf_init(&info);
    client_format_info(c, &info);
    log_notice("Evicting client: %s", info.data);
    buf_free(&info);
    client_evict_forget(c); /* closed at once: its memory no longer counts */
    srv->stats.evictedclients++;
    client_close_async(c);
}

static int64_t client_evict_continue(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct server *srv = data;
    srv->client_evict->timer = 0;
    client_evict_run(srv);
    return LOOP_TIMER_STOP;
}

void client_evict_run(struct server *srv)
{
    static struct log_rate over_rate;
    struct client_evict *ce = srv->client_evict;
    size_t limit = client_evict_limit_bytes(srv->cfg.maxmemory_clients, srv->cfg.maxmemory);
    if (limit == 0 || ce->total_bytes < limit) return;
    for (int steps = 0; ce->total_bytes >= limit; steps++) {
        if (steps == CLIENT_EVICT_PER_RUN) {
            if (!ce->timer) ce->timer = loop_timer_add(srv->loop, 0, client_evict_continue, srv);
            return;
        }
        struct mem_rank_node *n = mem_rank_largest(&ce->rank, CLIENT_EVICT_SCAN);
        if (!n) {
            log_rate_msg(&over_rate, LOG_WARNING,
                         "Over client maxmemory after evicting all evictable clients");
            return;
        }
        struct client *c = client_of_node(n);
        if (!is_counted(c))
            client_evict_forget(c); /* closing already, or no longer a normal client */
        else
            client_evict_one(srv, c);
    }
}
