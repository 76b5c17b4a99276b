/* info: see info.h. used_memory is the bytes the allocator handed out (memcount.c: a counter kept
 * by wrapping malloc, as Redis's zmalloc), not an estimate kept by hand. */
#include "store/info.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/conn_cmd.h"
#include "common/util.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/tracking.h"
#include "store/command.h"
#include "store/evict.h"
#include "store/latency.h"
#include "store/lazyfree.h"
#include "store/master_lease.h"
#include "store/memcount.h"
#include "store/memstats.h"
#include "store/persist/aof.h"
#include "store/persist/bgchild.h"
#include "store/persist/persist_load.h"
#include "store/persist/rdb_save.h"
#include "store/pubsub.h"
#include "store/repl/repl.h"
#include "store/script/script.h"
#include "store/server_tls.h"

size_t info_used_memory(void) { return memcount_used(); }

static void section_server(struct server *srv, struct buf *o)
{
    struct conn_server_info info = {
        .mode = "standalone",
        .run_id = srv->run_id,
        .port = srv->port,
        .now_us = (long long)(server_now_ms(srv) * 1000),
        .uptime_s = (loop_now_ms(srv->loop) - srv->start_mono_ms) / 1000,
        .hz = srv->cfg.hz,
        .executable = srv->executable,
        .config_file = srv->config_path ? srv->config_path : "",
    };
    conn_info_server(&info, o);
}

static void section_clients(struct server *srv, struct buf *o)
{
    size_t replicas = 0, pubsub = 0;
    for (struct client *c = client_first(srv); c; c = client_next(c)) {
        if (c->flags & CLIENT_REPLICA) replicas++;
        if (c->conn.flags & CONN_PUBSUB) pubsub++;
    }
    /* As Redis 7.0, clients held by a pause count as blocked. */
    conn_info_clients(&srv->conns, replicas, srv->cfg.maxclients,
                      blocking_count(srv) + srv->npaused, blocking_count(srv), o);
    buf_printf(o, "pubsub_clients:%zu\r\n", pubsub);
}

/* used_memory* figures, in Redis 7.0's order. */
static void section_memory_used(const struct memstats *ms, struct buf *o)
{
    char h_used[32], h_rss[32], h_peak[32];
    memstats_human(h_used, sizeof h_used, (double)ms->used);
    memstats_human(h_rss, sizeof h_rss, (double)ms->rss);
    memstats_human(h_peak, sizeof h_peak, (double)ms->peak);
    buf_printf(o,
               "used_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\n"
               "used_memory_rss_human:%s\r\nused_memory_peak:%zu\r\nused_memory_peak_human:%s\r\n"
               "used_memory_peak_perc:%.2f%%\r\nused_memory_overhead:%zu\r\n"
               "used_memory_startup:%zu\r\nused_memory_dataset:%zu\r\n"
               "used_memory_dataset_perc:%.2f%%\r\n",
               ms->used, h_used, ms->rss, h_rss, ms->peak, h_peak, ms->peak_perc,
               ms->overhead_total, ms->startup, ms->dataset, ms->dataset_perc);
}

/* Allocator and system figures, then the scripting ones. used_memory_lua is the Lua state's
 * own count of its bytes; functions share that state, so used_memory_vm_functions is 0 and
 * used_memory_functions counts their code (docs/scripting.md#functions). */
static void section_memory_system(struct server *srv, const struct memstats *ms, struct buf *o)
{
    char h_sys[32], h_lua[32], h_scripts[32];
    size_t lua = script_lua_memory_bytes(srv), scripts = script_cached_bytes(srv);
    size_t nfuncs, nlibs, funcs_bytes;
    script_func_info(srv, &nfuncs, &nlibs, &funcs_bytes);
    memstats_human(h_sys, sizeof h_sys, (double)ms->total_system);
    memstats_human(h_lua, sizeof h_lua, (double)lua);
    memstats_human(h_scripts, sizeof h_scripts, (double)(scripts + funcs_bytes));
    buf_printf(o,
               "allocator_allocated:%zu\r\nallocator_active:%zu\r\nallocator_resident:%zu\r\n"
               "total_system_memory:%zu\r\ntotal_system_memory_human:%s\r\n"
               "used_memory_lua:%zu\r\nused_memory_vm_eval:%zu\r\nused_memory_lua_human:%s\r\n"
               "used_memory_scripts_eval:%zu\r\nnumber_of_cached_scripts:%zu\r\n"
               "number_of_functions:%zu\r\nnumber_of_libraries:%zu\r\n"
               "used_memory_vm_functions:0\r\n"
               "used_memory_vm_total:%zu\r\nused_memory_vm_total_human:%s\r\n"
               "used_memory_functions:%zu\r\nused_memory_scripts:%zu\r\n"
               "used_memory_scripts_human:%s\r\n",
               ms->alloc_allocated, ms->alloc_active, ms->alloc_resident, ms->total_system, h_sys,
               lua, lua, h_lua, scripts, script_cached_count(srv), nfuncs, nlibs, lua, h_lua,
               funcs_bytes, scripts + funcs_bytes, h_scripts);
}

/* The maxmemory settings (eviction owns these figures). */
static void section_memory_limits(struct server *srv, struct buf *o) { evict_info_memory(srv, o); }

static double info_ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 0.0; }

/* Fragmentation as Redis splits it: allocator (active/allocated), allocator RSS
 * (resident/active), process (rss/resident), and the whole (rss/used). */
static void section_memory_frag(const struct memstats *ms, struct buf *o)
{
    buf_printf(o,
               "allocator_frag_ratio:%.2f\r\nallocator_frag_bytes:%lld\r\n"
               "allocator_rss_ratio:%.2f\r\nallocator_rss_bytes:%lld\r\n"
               "rss_overhead_ratio:%.2f\r\nrss_overhead_bytes:%lld\r\n"
               "mem_fragmentation_ratio:%.2f\r\nmem_fragmentation_bytes:%lld\r\n",
               info_ratio(ms->alloc_active, ms->alloc_allocated),
               (long long)ms->alloc_active - (long long)ms->alloc_allocated,
               info_ratio(ms->alloc_resident, ms->alloc_active),
               (long long)ms->alloc_resident - (long long)ms->alloc_active,
               info_ratio(ms->rss, ms->alloc_resident),
               (long long)ms->rss - (long long)ms->alloc_resident, info_ratio(ms->rss, ms->used),
               (long long)ms->rss - (long long)ms->used);
}

static void section_memory(struct server *srv, struct buf *o)
{
    struct memstats ms;
    memstats_collect(srv, &ms);
    buf_append_str(o, "# Memory\r\n");
    section_memory_used(&ms, o);
    section_memory_system(srv, &ms, o);
    section_memory_limits(srv, o);
    section_memory_frag(&ms, o);
    buf_printf(o,
               "mem_not_counted_for_evict:%zu\r\nmem_replication_backlog:%zu\r\n"
               "mem_total_replication_buffers:%zu\r\nmem_clients_slaves:%zu\r\n"
               "mem_clients_normal:%zu\r\nmem_cluster_links:0\r\nmem_aof_buffer:%zu\r\n"
               "mem_allocator:libc\r\nactive_defrag_running:0\r\n"
               "lazyfree_pending_objects:%zu\r\nlazyfreed_objects:%llu\r\n",
               evict_not_counted(srv), ms.repl_backlog, ms.repl_buffers, ms.clients_replicas,
               ms.clients_normal, aof_buffer_bytes(srv), lazyfree_pending(srv->lazyfree),
               (unsigned long long)lazyfree_done(srv->lazyfree));
}

/* Redis's loading_* fields: progress in bytes of the file(s) being loaded, and an estimate of
 * the time left from the rate so far. */
static void section_loading(struct server *srv, struct buf *o)
{
    const struct server_loading *ld = &srv->loading;
    int64_t now_ms = server_now_ms(srv);
    long long elapsed_s = (long long)((now_ms - ld->start_wall_ms) / 1000);
    uint64_t left = ld->total_bytes > ld->loaded_bytes ? ld->total_bytes - ld->loaded_bytes : 0;
    long long eta_s =
        elapsed_s == 0
            ? 1
            : (long long)((double)elapsed_s * (double)left / (double)(ld->loaded_bytes + 1));
    buf_printf(o,
               "loading_start_time:%lld\r\nloading_total_bytes:%llu\r\nloading_rdb_used_mem:0\r\n"
               "loading_loaded_bytes:%llu\r\nloading_loaded_perc:%.2f\r\n"
               "loading_eta_seconds:%lld\r\n",
               (long long)(ld->start_wall_ms / 1000), (unsigned long long)ld->total_bytes,
               (unsigned long long)ld->loaded_bytes,
               (double)ld->loaded_bytes / (double)(ld->total_bytes + 1) * 100.0, eta_s);
}

static void section_persistence(struct server *srv, struct buf *o)
{
    buf_printf(o, "# Persistence\r\nloading:%d\r\nasync_loading:0\r\n", srv->is_loading ? 1 : 0);
    rdb_save_info(srv, o);
    persist_load_info_keys(srv, o);
    aof_info_persistence(srv, o);
    persist_load_info_progress(srv, o);
    if (srv->aof_load) section_loading(srv, o); /* the AOF's progress (the RDB's: above) */
}

static void section_stats(struct server *srv, struct buf *o)
{
    const struct server_stats *s = &srv->stats;
    const struct conn_stats *cs = &srv->conns.stats;
    struct loop_busy_poll_stats busy = loop_busy_poll_stats(srv->loop);
    /* Connections of both ports count, as Redis's counters. */
    static const struct conn_listener no_listener;
    const struct conn_listener *tls_listener = srv->tls ? &srv->tls->listener : &no_listener;
    buf_printf(o,
               "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
               "total_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\n"
               "rejected_connections:%llu\r\nsync_full:%llu\r\nsync_partial_ok:%llu\r\n"
               "sync_partial_err:%llu\r\nexpired_keys:%llu\r\nexpired_stale_perc:%.2f\r\n"
               "expired_time_cap_reached_count:%llu\r\nexpire_cycle_cpu_milliseconds:%llu\r\n"
               "evicted_keys:%llu\r\n"
               "evicted_clients:%llu\r\nkeyspace_hits:%llu\r\nkeyspace_misses:%llu\r\n"
               "pubsub_channels:%zu\r\npubsub_patterns:%zu\r\npubsubshard_channels:%zu\r\n"
               "latest_fork_usec:%lld\r\n"
               "total_forks:%llu\r\n",
               (unsigned long long)(srv->listener.accepted + tls_listener->accepted),
               (unsigned long long)s->numcommands, (unsigned long long)cs->net_input_bytes,
               (unsigned long long)cs->net_output_bytes,
               (unsigned long long)(srv->listener.rejected + tls_listener->rejected),
               (unsigned long long)s->sync_full, (unsigned long long)s->sync_partial_ok,
               (unsigned long long)s->sync_partial_err, (unsigned long long)s->expiredkeys,
               srv->expire.stale_perc, (unsigned long long)srv->expire.time_cap_reached,
               (unsigned long long)(srv->expire.time_used_us / 1000),
               (unsigned long long)evict_keys_evicted(srv), (unsigned long long)s->evictedclients,
               (unsigned long long)s->keyspace_hits, (unsigned long long)s->keyspace_misses,
               pubsub_channel_count(srv->pubsub), pubsub_pattern_count(srv->pubsub),
               pubsub_shard_channel_count(srv->pubsub), (long long)bgchild_latest_fork_us(srv),
               (unsigned long long)bgchild_total_forks(srv));
    tracking_info_stats(srv, o);
    buf_printf(o,
               "total_error_replies:%llu\r\nvigil_busy_poll_hits:%llu\r\n"
               "vigil_busy_poll_misses:%llu\r\nvigil_busy_poll_contended:%llu\r\n",
               (unsigned long long)cs->error_replies, (unsigned long long)busy.hits,
               (unsigned long long)busy.misses, (unsigned long long)busy.contended_windows);
}

static void section_cpu(struct server *srv, struct buf *o)
{
    UNUSED(srv);
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    buf_printf(o, "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n",
               (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec, (long)self.ru_utime.tv_sec,
               (long)self.ru_utime.tv_usec);
}

static void section_commandstats(struct server *srv, struct buf *o)
{
    UNUSED(srv);
    buf_append_str(o, "# Commandstats\r\n");
    for (size_t i = 0; i < command_count(); i++) {
        const struct command *c = command_at(i);
        if (!c->calls && !c->rejected_calls) continue;
        buf_printf(o,
                   "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_"
                   "calls=%llu\r\n",
                   c->name, c->calls, c->usec, c->calls ? (double)c->usec / (double)c->calls : 0.0,
                   c->rejected_calls, c->failed_calls);
    }
    command_format_substats(o);
}

static void section_latencystats(struct server *srv, struct buf *o)
{
    buf_append_str(o, "# Latencystats\r\n");
    latency_format_info(srv, o);
}

static void section_keyspace(struct server *srv, struct buf *o)
{
    buf_append_str(o, "# Keyspace\r\n");
    for (int i = 0; i < srv->ndb; i++) {
        size_t keys = ks_count(srv->db[i]);
        if (keys == 0) continue;
        buf_printf(o, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, keys,
                   ks_expires_count(srv->db[i]), (long long)ks_avg_ttl_ms(srv->db[i]));
    }
}

static void section_replication(struct server *srv, struct buf *o)
{
    repl_info(srv, o);
    master_lease_info(srv, o);
}

struct section {
    const char *name;
    void (*render)(struct server *, struct buf *);
    bool is_default;
};

static const struct section sections[] = {
    {"server", section_server, true},
    {"clients", section_clients, true},
    {"memory", section_memory, true},
    {"persistence", section_persistence, true},
    {"stats", section_stats, true},
    {"replication", section_replication, true},
    {"cpu", section_cpu, true},
    {"commandstats", section_commandstats, false},
    {"latencystats", section_latencystats, false},
    {"keyspace", section_keyspace, true},
};

void info_render(struct server *srv, const struct resp_arg *want, size_t nwant, struct buf *out)
{
    bool pick[ARRAY_LEN(sections)] = {false};
    if (nwant == 0) {
        for (size_t i = 0; i < ARRAY_LEN(sections); i++) pick[i] = sections[i].is_default;
    }
    for (size_t w = 0; w < nwant; w++) {
        bool all = util_eq_nocase(want[w].ptr, want[w].len, "all") ||
                   util_eq_nocase(want[w].ptr, want[w].len, "everything");
        bool def = util_eq_nocase(want[w].ptr, want[w].len, "default");
        for (size_t i = 0; i < ARRAY_LEN(sections); i++) {
            if (all || (def && sections[i].is_default) ||
                util_eq_nocase(want[w].ptr, want[w].len, sections[i].name))
                pick[i] = true;
        }
    }
    bool first = true;
    for (size_t i = 0; i < ARRAY_LEN(sections); i++) {
        if (!pick[i]) continue;
        if (!first) buf_append_str(out, "\r\n");
        first = false;
        sections[i].render(srv, out);
    }
}
