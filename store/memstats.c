/* memstats: see memstats.h. The allocator figures are the ones that cost nothing to read, because
 * INFO (which sentinels send every few seconds) must not stall the loop: glibc's mallinfo2 walks
 * every free list and takes milliseconds on a fragmented heap (see memcount.c). Allocated is
 * memcount's count of bytes handed out; glibc cannot say cheaply how much it holds from the
 * system or which of it is resident, so active and resident are the process RSS
 * (/proc/self/statm), and the allocator's own fragmentation shows in active / allocated. */
#include "store/memstats.h"

#include <stdio.h>
#include <unistd.h>

#include "common/util.h"
#include "store/client.h"
#include "store/info.h"
#include "store/repl/repl.h"

static size_t memstats_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long pages_total = 0, pages_rss = 0;
    if (fscanf(f, "%lu %lu", &pages_total, &pages_rss) != 2) pages_rss = 0;
    fclose(f);
    return (size_t)pages_rss * (size_t)sysconf(_SC_PAGESIZE);
}

void memstats_human(char *out, size_t len, double n)
{
    const char *units = "BKMGTPE";
    int i = 0;
    while (n >= 1024 && i < 6) {
        n /= 1024;
        i++;
    }
    if (i == 0)
        snprintf(out, len, "%.0fB", n);
    else
        snprintf(out, len, "%.2f%c", n, units[i]);
}

void memstats_note_peak(struct server *srv)
{
    size_t used = info_used_memory();
    if (used > srv->mem_peak) srv->mem_peak = used;
}

/* Each client's memory as CLIENT LIST's tot-mem and maxmemory-clients count it. */
static void memstats_clients(struct server *srv, struct memstats *ms)
{
    for (struct client *c = client_first(srv); c; c = client_next(c)) {
        size_t bytes = client_memory_bytes(c);
        if (c->flags & CLIENT_REPLICA) {
            ms->clients_replicas += bytes;
            ms->nreplicas++;
        } else {
            ms->clients_normal += bytes;
            ms->nnormal++;
        }
    }
}

static void memstats_allocator(struct memstats *ms)
{
    ms->alloc_allocated = ms->used;
    ms->alloc_active = MAX(ms->rss, ms->used);
    ms->alloc_resident = ms->alloc_active;
}

void memstats_collect(struct server *srv, struct memstats *ms)
{
    *ms = (struct memstats){0};
    memstats_note_peak(srv);
    ms->used = info_used_memory();
    ms->peak = MAX(srv->mem_peak, ms->used);
    ms->startup = srv->mem_startup;
    ms->rss = memstats_rss();
    ms->total_system = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
    repl_memory(srv, &ms->repl_backlog, &ms->repl_buffers);
    memstats_clients(srv, ms);
    ms->clients_replicas += ms->repl_buffers; /* what replicas still have to read */
    for (int i = 0; i < srv->ndb; i++) {
        size_t main_b, exp_b;
        ks_overhead_bytes(srv->db[i], &main_b, &exp_b);
        ms->db_overhead += main_b + exp_b;
        ms->keys += ks_count(srv->db[i]);
    }
    ms->overhead_total = ms->startup + ms->repl_backlog + ms->clients_replicas +
                         ms->clients_normal + ms->db_overhead;
    ms->dataset = ms->used > ms->overhead_total ? ms->used - ms->overhead_total : 0;
    size_t net = ms->used > ms->startup ? ms->used - ms->startup : 0;
    ms->dataset_perc = net ? (double)ms->dataset * 100.0 / (double)net : 0.0;
    ms->peak_perc = ms->peak ? (double)ms->used * 100.0 / (double)ms->peak : 0.0;
    memstats_allocator(ms);
}
