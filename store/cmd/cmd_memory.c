/* cmd_memory: MEMORY USAGE, STATS, DOCTOR, PURGE and HELP.
 *
 * USAGE reports what the key costs in our layout (entry, string buffer or object, table slot),
 * so its numbers are ours, not Redis's: the same key is usually smaller here. SAMPLES is parsed
 * and validated as Redis does; our objects either know their size or sample it themselves.
 * PURGE gives freed memory back to the kernel (malloc_trim). STATS has Redis 7.0's keys in its
 * order, with our figures (memstats.h); DOCTOR checks what we can measure, in our own words.
 * MALLOC-STATS is glibc malloc's own report (malloc_info's XML): Redis prints jemalloc's, which
 * is not our allocator.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/memstats.h"
#include "store/reply.h"

#define DOCTOR_EMPTY_BYTES ((size_t)5 << 20)        /* below this there is nothing to judge */
#define DOCTOR_PEAK_RATIO 1.5                       /* peak this far above the current use */
#define DOCTOR_FRAG_RATIO 1.4                       /* RSS this far above the use ... */
#define DOCTOR_FRAG_BYTES ((size_t)10 << 20)        /* ... and by at least this much */
#define DOCTOR_REPLICA_BUF_BYTES ((size_t)10 << 20) /* average per replica */
#define DOCTOR_CLIENT_BUF_BYTES ((size_t)200 << 10) /* average per normal client */
#define MEMORY_STATS_FIXED_PAIRS 27                 /* pairs besides the db.<n> ones */

static void memory_usage(struct client *c)
{
    if (c->argc == 5 && arg_is(&c->argv[3], "SAMPLES")) {
        long long samples;
        if (util_parse_ll(c->argv[4].ptr, c->argv[4].len, &samples) != 0) {
            reply_error(c, ERR_NOT_INT);
            return;
        }
        if (samples < 0) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    } else if (c->argc != 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    struct ks_entry *e = db_lookup_in(c, c->db, c->argv[2].ptr, c->argv[2].len,
                                      DB_LOOKUP_NOSTATS | DB_LOOKUP_NOTOUCH | DB_LOOKUP_NONOTIFY);
    if (!e) {
        reply_null(c);
        return;
    }
    reply_integer(c, (long long)ks_entry_mem_usage(e));
}

static void memory_purge(struct client *c)
{
    malloc_trim(0);
    reply_ok(c);
}

static void stats_pair_ll(struct client *c, const char *name, long long v)
{
    reply_bulk_str(c, name);
    reply_integer(c, v);
}

static void stats_pair_double(struct client *c, const char *name, double v)
{
    reply_bulk_str(c, name);
    reply_double(c, v);
}

static double ratio_of(size_t a, size_t b) { return b ? (double)a / (double)b : 0.0; }

/* db.<n> for each database holding keys: its key table and expiry index. */
static void stats_reply_dbs(struct client *c)
{
    struct server *srv = c->srv;
    for (int i = 0; i < srv->ndb; i++) {
        if (ks_count(srv->db[i]) == 0) continue;
        size_t main_b, exp_b;
        ks_overhead_bytes(srv->db[i], &main_b, &exp_b);
        char name[32];
        snprintf(name, sizeof name, "db.%d", i);
        reply_bulk_str(c, name);
        reply_map(c, 3);
        stats_pair_ll(c, "overhead.hashtable.main", (long long)main_b);
        stats_pair_ll(c, "overhead.hashtable.expires", (long long)exp_b);
        stats_pair_ll(c, "overhead.hashtable.slot-to-keys", 0);
    }
}

static void stats_reply_allocator(struct client *c, const struct memstats *ms)
{
    stats_pair_ll(c, "allocator.allocated", (long long)ms->alloc_allocated);
    stats_pair_ll(c, "allocator.active", (long long)ms->alloc_active);
    stats_pair_ll(c, "allocator.resident", (long long)ms->alloc_resident);
    stats_pair_double(c, "allocator-fragmentation.ratio",
                      ratio_of(ms->alloc_active, ms->alloc_allocated));
    stats_pair_ll(c, "allocator-fragmentation.bytes",
                  (long long)ms->alloc_active - (long long)ms->alloc_allocated);
    stats_pair_double(c, "allocator-rss.ratio", ratio_of(ms->alloc_resident, ms->alloc_active));
    stats_pair_ll(c, "allocator-rss.bytes",
                  (long long)ms->alloc_resident - (long long)ms->alloc_active);
    stats_pair_double(c, "rss-overhead.ratio", ratio_of(ms->rss, ms->alloc_resident));
    stats_pair_ll(c, "rss-overhead.bytes", (long long)ms->rss - (long long)ms->alloc_resident);
    stats_pair_double(c, "fragmentation", ratio_of(ms->rss, ms->used));
    stats_pair_ll(c, "fragmentation.bytes", (long long)ms->rss - (long long)ms->used);
}

static void memory_stats(struct client *c)
{
    struct server *srv = c->srv;
    struct memstats ms;
    memstats_collect(srv, &ms);
    size_t ndbs = 0;
    for (int i = 0; i < srv->ndb; i++) ndbs += ks_count(srv->db[i]) > 0;
    reply_map(c, MEMORY_STATS_FIXED_PAIRS + ndbs);
    stats_pair_ll(c, "peak.allocated", (long long)ms.peak);
    stats_pair_ll(c, "total.allocated", (long long)ms.used);
    stats_pair_ll(c, "startup.allocated", (long long)ms.startup);
    stats_pair_ll(c, "replication.backlog", (long long)ms.repl_backlog);
    stats_pair_ll(c, "clients.slaves", (long long)ms.clients_replicas);
    stats_pair_ll(c, "clients.normal", (long long)ms.clients_normal);
    stats_pair_ll(c, "cluster.links", 0);
    stats_pair_ll(c, "aof.buffer", 0);
    stats_pair_ll(c, "lua.caches", 0);
    stats_pair_ll(c, "functions.caches", 0);
    stats_reply_dbs(c);
    stats_pair_ll(c, "overhead.total", (long long)ms.overhead_total);
    stats_pair_ll(c, "keys.count", (long long)ms.keys);
    size_t net = ms.used > ms.startup ? ms.used - ms.startup : 0;
    stats_pair_ll(c, "keys.bytes-per-key", ms.keys ? (long long)(net / ms.keys) : 0);
    stats_pair_ll(c, "dataset.bytes", (long long)ms.dataset);
    stats_pair_double(c, "dataset.percentage", ms.dataset_perc);
    stats_pair_double(c, "peak.percentage", ms.peak_perc);
    stats_reply_allocator(c, &ms);
}

/* The issues we can measure, one line each; returns how many were found. */
static int doctor_issues(const struct memstats *ms, struct buf *out)
{
    int n = 0;
    if ((double)ms->peak > (double)ms->used * DOCTOR_PEAK_RATIO && ++n)
        buf_printf(out,
                   " * Peak memory: the peak (%zu bytes) is more than 1.5 times the memory in "
                   "use now (%zu bytes). Figures such as the fragmentation ratio may read high "
                   "until the allocator gives the difference back (MEMORY PURGE may help).\n\n",
                   ms->peak, ms->used);
    if (ms->rss > ms->used + DOCTOR_FRAG_BYTES &&
        (double)ms->rss > (double)ms->used * DOCTOR_FRAG_RATIO && ++n)
        buf_printf(out,
                   " * High fragmentation: the process holds %zu bytes of RAM for %zu bytes in "
                   "use (ratio %.2f). MEMORY PURGE returns free pages; a restart compacts.\n\n",
                   ms->rss, ms->used, ratio_of(ms->rss, ms->used));
    if (ms->nreplicas && ms->clients_replicas / ms->nreplicas > DOCTOR_REPLICA_BUF_BYTES && ++n)
        buf_printf(out,
                   " * Big replica buffers: replicas hold %zu bytes on average in output "
                   "buffers; a slow link or a slow replica lets them grow.\n\n",
                   ms->clients_replicas / ms->nreplicas);
    if (ms->nnormal && ms->clients_normal / ms->nnormal > DOCTOR_CLIENT_BUF_BYTES && ++n)
        buf_printf(out,
                   " * Big client buffers: clients hold %zu bytes on average in query and "
                   "output buffers; look for big replies or pipelines (CLIENT LIST shows "
                   "qbuf and omem).\n\n",
                   ms->clients_normal / ms->nnormal);
    return n;
}

/* Human text, as Redis's (nothing parses it), addressed to "Sam" like Redis's. */
static void memory_doctor(struct client *c)
{
    struct memstats ms;
    memstats_collect(c->srv, &ms);
    struct buf out;
    buf_init(&out);
    if (ms.used < DOCTOR_EMPTY_BYTES) {
        buf_append_str(&out, "Hi Sam, this instance holds too little data to diagnose (under 5 "
                             "MB in use). Fill it with data and ask me again.\n");
    } else {
        struct buf issues;
        buf_init(&issues);
        if (doctor_issues(&ms, &issues) == 0) {
            buf_append_str(&out, "Hi Sam, I can't find any memory issue in your instance. I "
                                 "can only judge what this process measures.\n");
        } else {
            buf_append_str(&out, "Sam, I found these memory issues in this instance:\n\n");
            buf_append(&out, issues.data + issues.pos, issues.len - issues.pos);
        }
        buf_free(&issues);
    }
    reply_verbatim(c, out.data + out.pos, out.len - out.pos);
    buf_free(&out);
}

static void memory_malloc_stats(struct client *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        malloc_info(0, f);
        fclose(f);
    }
    if (text && len > 0)
        reply_verbatim(c, text, len);
    else
        reply_verbatim(c, "Stats not supported for the current allocator", 46);
    free(text);
}

static void memory_help(struct client *c)
{
    static const char *const lines[] = {
        "MEMORY <subcommand> [<argument> ...], with <subcommand> one of:",
        "DOCTOR",
        "    A short report on memory use, with advice when something looks wrong.",
        "MALLOC-STATS",
        "    The allocator's own statistics (glibc malloc_info), as text.",
        "PURGE",
        "    Hand free heap pages back to the operating system (malloc_trim).",
        "STATS",
        "    A map of the server's memory figures: totals, per-part overheads, ratios.",
        "USAGE <key> [SAMPLES <count>]",
        "    Bytes used by <key> and its value, always counted in full (SAMPLES is checked,",
        "    then ignored); null when <key> does not exist.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command memory_subs[] = {
    {.name = "usage",
     .arity = -3,
     .flags = CMD_READONLY,
     .fn = memory_usage,
     .first_key = 2,
     .last_key = 2,
     .key_step = 1},
    {.name = "purge", .arity = 2, .fn = memory_purge},
    {.name = "stats", .arity = 2, .fn = memory_stats},
    {.name = "doctor", .arity = 2, .fn = memory_doctor},
    {.name = "malloc-stats", .arity = 2, .fn = memory_malloc_stats},
    {.name = "help", .arity = 2, .fn = memory_help},
    {.name = NULL},
};

static void cmd_memory(struct client *c) { command_dispatch_sub(c, memory_subs, "memory"); }

struct command cmd_table_memory[] = {
    {.name = "memory",
     .arity = -2,
     .flags = CMD_READONLY,
     .fn = cmd_memory,
     .subcommands = memory_subs,
     .group = "server"},
    {.name = NULL},
};
