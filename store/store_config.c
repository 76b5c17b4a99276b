/* store_config: the schema of vigil-store's configuration. Names, defaults and units are Redis's
 * (durations given as a bare number use Redis's unit for that option: seconds for `timeout`,
 * `repl-timeout`; milliseconds where Redis says so), so an operator's habits and CONFIG GET
 * output carry over. */
#include "store/store_config.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "store/persist/persist_shutdown.h"
#include "store/persist/save_points.h"

#define F(field) offsetof(struct store_config, field)
#define BIG (1LL << 62)

static const char *const loglevels[] = {"debug", "verbose", "notice", "warning", "nothing", NULL};

static const char *const appendfsync_names[] = {"always", "everysec", "no", NULL};
static const char *const repl_diskless_load_names[] = {"disabled", "on-empty-db", "swapdb", NULL};

const char *const store_maxmemory_policies[] = {"volatile-lru",   "volatile-lfu", "volatile-random",
                                                "volatile-ttl",   "allkeys-lru",  "allkeys-lfu",
                                                "allkeys-random", "noeviction",   NULL};

static int validate_obuf(const void *p, char *err, size_t errlen)
{
    const char *const *text = p;
    struct obuf_limit tmp[OBUF_CLASSES] = {{0, 0, 0}};
    return *text ? store_config_parse_obuf(*text, tmp, err, errlen) : 0;
}

/* "save": pairs of <seconds> <changes>, or "" for no snapshots (Redis's rules: save_points.h). */
static int validate_save(const void *p, char *err, size_t errlen)
{
    const char *const *text = p;
    struct save_points sp;
    if (*text && save_points_parse(*text, &sp) != 0) {
        snprintf(err, errlen, "Invalid save parameters");
        return -1;
    }
    return 0;
}

/* A file name inside dir: no path separator, not "." or "..". */
static int validate_filename(const void *p, char *err, size_t errlen)
{
    const char *const *text = p;
    if (!*text) return 0;
    if (strchr(*text, '/') || strcmp(*text, ".") == 0 || strcmp(*text, "..") == 0) {
        snprintf(err, errlen, "must be a file name without a path (it lives in dir)");
        return -1;
    }
    return 0;
}

/* shutdown-on-sigterm / -sigint: "default", or a combination of save|nosave, now, force. */
static int validate_shutdown_flags(const void *p, char *err, size_t errlen)
{
    const char *const *text = p;
    int flags;
    if (*text && persist_shutdown_parse_flags(*text, &flags) != 0) {
        snprintf(err, errlen, "expected default, or save|nosave with now and force");
        return -1;
    }
    return 0;
}

static int validate_replicaof(const void *p, char *err, size_t errlen)
{
    const char *const *text = p;
    if (!*text || !(*text)[0]) return 0;
    char host[256];
    int port;
    if (sscanf(*text, "%255s %d", host, &port) != 2 || port < 0 || port > 65535) {
        snprintf(err, errlen, "expected \"<host> <port>\"");
        return -1;
    }
    return 0;
}

static const struct cfg_field store_fields[] = {
    {.key = "port",
     .type = CFG_INT,
     .offset = F(port),
     .min = 0,
     .max = 65535,
     .def = "6379",
     .help = "TCP port to listen on (0 picks a free port)."},
    {.key = "bind",
     .type = CFG_STRLIST,
     .offset = F(bind),
     .def = "127.0.0.1",
     .max_count = STORE_MAX_BINDS,
     .flags = CFG_F_IMMUTABLE,
     .help = "Addresses to listen on."},
    {.key = "dir",
     .type = CFG_STRING,
     .offset = F(dir),
     .def = ".",
     .flags = CFG_F_IMMUTABLE,
     .help = "Working directory: snapshots and the CONFIG REWRITE overrides file. Refused at "
             "start when anyone may write to it and it has no sticky bit."},
    {.key = "requirepass",
     .type = CFG_STRING,
     .offset = F(requirepass),
     .flags = CFG_F_SECRET,
     .help = "Password clients must AUTH with (empty: none)."},
    {.key = "protected-mode",
     .type = CFG_BOOL,
     .offset = F(protected_mode),
     .def = "yes",
     .help = "While no requirepass is set, refuse clients that are not on loopback (127.0.0.0/8, "
             "::1) with a -DENIED error, as Redis."},
    {.key = "maxclients",
     .type = CFG_INT,
     .offset = F(maxclients),
     .min = 1,
     .max = 1000000,
     .def = "10000",
     .flags = CFG_F_IMMUTABLE,
     .help = "Maximum simultaneous client connections. Lowered at start to the open files limit "
             "less 32 when that limit cannot be raised (as Redis)."},
    {.key = "timeout",
     .type = CFG_DURATION,
     .offset = F(timeout_ms),
     .def = "0",
     .unit_ms = 1000,
     .help = "Close idle clients after this long (0: never)."},
    {.key = "tcp-keepalive",
     .type = CFG_DURATION,
     .offset = F(tcp_keepalive_ms),
     .def = "300",
     .unit_ms = 1000,
     .help = "TCP keepalive interval for clients."},
    {.key = "loglevel",
     .type = CFG_ENUM,
     .offset = F(loglevel),
     .def = "notice",
     .enum_names = loglevels,
     .help = "Debug, verbose, notice, warning or nothing (no log at all)."},
    {.key = "logfile",
     .type = CFG_STRING,
     .offset = F(logfile),
     .def = "",
     .flags = CFG_F_IMMUTABLE,
     .help = "Log file (empty: standard error)."},
    {.key = "databases",
     .type = CFG_INT,
     .offset = F(databases),
     .min = 1,
     .max = 1024,
     .def = "16",
     .flags = CFG_F_IMMUTABLE,
     .help = "Number of databases (SELECT 0..n-1)."},
    {.key = "proto-max-bulk-len",
     .type = CFG_SIZE,
     .offset = F(proto_max_bulk_len),
     .min = 1024 * 1024,
     .max = BIG,
     .def = "512mb",
     .help = "Largest bulk string accepted."},
    {.key = "client-query-buffer-limit",
     .type = CFG_SIZE,
     .offset = F(client_query_buffer_limit),
     .min = 1024 * 1024,
     .max = BIG,
     .def = "1gb",
     .help = "Largest unprocessed input per client."},
    {.key = "client-output-buffer-limit",
     .type = CFG_STRING,
     .offset = F(client_output_buffer_limit),
     .def = STORE_CONFIG_OBUF_DEFAULT,
     .validate = validate_obuf,
     .help = "Per class (normal, replica or slave, pubsub): <class> <hard> <soft> <soft "
             "seconds>, as Redis; classes not given keep their limits."},
    {.key = "enable-debug-command",
     .type = CFG_BOOL,
     .offset = F(enable_debug_command),
     .def = "no",
     .flags = CFG_F_IMMUTABLE,
     .help = "Allow DEBUG SLEEP / DEBUG POPULATE."},
    {.key = "hz",
     .type = CFG_INT,
     .offset = F(hz),
     .min = 1,
     .max = 500,
     .def = "10",
     .help = "Background task frequency (expiry, timeouts)."},
    {.key = "active-expire-effort",
     .type = CFG_INT,
     .offset = F(active_expire_effort),
     .min = 1,
     .max = 10,
     .def = "1",
     .help = "Active expiry effort, 1-10: more keys sampled and more CPU spent to keep fewer "
             "expired keys in memory."},
    /* persistence: snapshots (store/persist/) */
    {.key = "save",
     .type = CFG_STRING,
     .offset = F(save),
     .def = "3600 1 300 100 60 10000",
     .validate = validate_save,
     .help = "Snapshot points: pairs of <seconds> <changes> separated by single spaces (a "
             "background save starts once more than <seconds> passed since the last save with at "
             "least <changes> changes; after a failed one, not before 5 s); shutdown saves too. "
             "\"\" never saves on its own."},
    {.key = "dbfilename",
     .type = CFG_STRING,
     .offset = F(dbfilename),
     .min = 1,
     .max = 255,
     .def = "dump.rdb",
     .validate = validate_filename,
     .help = "Snapshot file name, inside dir."},
    {.key = "rdbcompression",
     .type = CFG_BOOL,
     .offset = F(rdbcompression),
     .def = "yes",
     .help = "Compress strings longer than 20 bytes in snapshots with LZF, when that makes "
             "them shorter."},
    {.key = "rdbchecksum",
     .type = CFG_BOOL,
     .offset = F(rdbchecksum),
     .def = "yes",
     .help = "End snapshots with a CRC64 checksum (checked when loading); no: a trailer of "
             "zeros, which loaders accept unchecked."},
    {.key = "stop-writes-on-bgsave-error",
     .type = CFG_BOOL,
     .offset = F(stop_writes_on_bgsave_error),
     .def = "yes",
     .help = "Refuse writes (MISCONF) while the last background save failed and save points "
             "are set."},
    {.key = "rdb-del-sync-files",
     .type = CFG_BOOL,
     .offset = F(rdb_del_sync_files),
     .def = "no",
     .help = "Delete the snapshot made only for replication when no persistence is on."},
    {.key = "rdb-key-save-delay",
     .type = CFG_INT,
     .offset = F(rdb_key_save_delay_us),
     .min = INT_MIN,
     .max = INT_MAX,
     .def = "0",
     .help = "Testing: microseconds a snapshot sleeps per key (slows saves down; a negative n: "
             "1 microsecond every n keys)."},
    {.key = "key-load-delay",
     .type = CFG_INT,
     .offset = F(key_load_delay_us),
     .min = INT_MIN,
     .max = INT_MAX,
     .def = "0",
     .help = "Testing: microseconds the loader sleeps per key (slows loading down)."},
    {.key = "loading-process-events-interval-bytes",
     .type = CFG_INT,
     .offset = F(loading_process_events_interval_bytes),
     .min = 1024,
     .max = INT_MAX,
     .def = "2097152",
     .help = "While loading, how often (in bytes read) progress is published."},
    {.key = "rdb-save-incremental-fsync",
     .type = CFG_BOOL,
     .offset = F(rdb_save_incremental_fsync),
     .def = "yes",
     .help = "fsync a snapshot being written every 4 MB, so the final fsync does not stall."},
    {.key = "repl-diskless-load",
     .type = CFG_ENUM,
     .offset = F(repl_diskless_load),
     .enum_names = repl_diskless_load_names,
     .def = "disabled",
     .help = "What a replica does with a full resync's snapshot: disabled (store it as the "
             "snapshot file, then load it), on-empty-db or swapdb (load from memory)."},
    {.key = "shutdown-timeout",
     .type = CFG_INT,
     .offset = F(shutdown_timeout_s),
     .min = 0,
     .max = INT_MAX,
     .def = "10",
     .help = "Seconds a shutdown waits for lagging replicas before the final save."},
    {.key = "shutdown-on-sigterm",
     .type = CFG_STRING,
     .offset = F(shutdown_on_sigterm),
     .def = "default",
     .validate = validate_shutdown_flags,
     .help = "SIGTERM's shutdown: default (save when save points are set), or any of "
             "save|nosave, now, force."},
    {.key = "shutdown-on-sigint",
     .type = CFG_STRING,
     .offset = F(shutdown_on_sigint),
     .def = "default",
     .validate = validate_shutdown_flags,
     .help = "SIGINT's shutdown: default (save when save points are set), or any of "
             "save|nosave, now, force."},
    /* persistence: the append-only file (store/persist/) */
    {.key = "appendonly",
     .type = CFG_BOOL,
     .offset = F(appendonly),
     .def = "no",
     .help = "Log every write to the append-only file (and load it at start instead of the "
             "snapshot)."},
    {.key = "appendfilename",
     .type = CFG_STRING,
     .offset = F(appendfilename),
     .min = 1,
     .max = 200,
     .def = "appendonly.aof",
     .validate = validate_filename,
     .flags = CFG_F_IMMUTABLE,
     .help = "Base name of the append-only files."},
    {.key = "appenddirname",
     .type = CFG_STRING,
     .offset = F(appenddirname),
     .min = 1,
     .max = 200,
     .def = "appendonlydir",
     .validate = validate_filename,
     .flags = CFG_F_IMMUTABLE,
     .help = "Folder (inside dir) of the append-only files and their manifest."},
    {.key = "appendfsync",
     .type = CFG_ENUM,
     .offset = F(appendfsync),
     .enum_names = appendfsync_names,
     .def = "everysec",
     .help = "always: a write is acknowledged only once on disk; everysec: fsync each second "
             "(up to about 2 s of writes lost in a crash); no: the kernel decides."},
    {.key = "no-appendfsync-on-rewrite",
     .type = CFG_BOOL,
     .offset = F(no_appendfsync_on_rewrite),
     .def = "no",
     .help = "Skip fsyncs while a rewrite or snapshot child runs (risks losing those writes)."},
    {.key = "auto-aof-rewrite-percentage",
     .type = CFG_INT,
     .offset = F(auto_aof_rewrite_percentage),
     .min = 0,
     .max = INT_MAX,
     .def = "100",
     .help = "Rewrite the append-only file once it grew by this percentage since the last "
             "rewrite (0: never on its own)."},
    {.key = "auto-aof-rewrite-min-size",
     .type = CFG_SIZE,
     .offset = F(auto_aof_rewrite_min_size),
     .min = 0,
     .max = BIG,
     .def = "64mb",
     .help = "No automatic rewrite below this size."},
    {.key = "aof-use-rdb-preamble",
     .type = CFG_BOOL,
     .offset = F(aof_use_rdb_preamble),
     .def = "yes",
     .help = "Write the rewritten base file as a snapshot (smaller, faster to load)."},
    {.key = "aof-load-truncated",
     .type = CFG_BOOL,
     .offset = F(aof_load_truncated),
     .def = "yes",
     .help = "Start from an append-only file whose last command is cut short (dropping that "
             "command, and logging it); no refuses to start."},
    {.key = "aof-timestamp-enabled",
     .type = CFG_BOOL,
     .offset = F(aof_timestamp_enabled),
     .def = "no",
     .help = "Write timestamp annotations into the append-only file."},
    {.key = "aof-rewrite-incremental-fsync",
     .type = CFG_BOOL,
     .offset = F(aof_rewrite_incremental_fsync),
     .def = "yes",
     .help = "fsync a base file being rewritten every 4 MB."},
    {.key = "slowlog-log-slower-than",
     .type = CFG_INT,
     .offset = F(slowlog_log_slower_than),
     .min = -1,
     .max = BIG,
     .def = "10000",
     .help = "Log commands running at least this many microseconds in SLOWLOG (0: all, -1: "
             "none)."},
    {.key = "slowlog-max-len",
     .type = CFG_INT,
     .offset = F(slowlog_max_len),
     .min = 0,
     .max = 1000000,
     .def = "128",
     .help = "Entries SLOWLOG keeps (the oldest are dropped)."},
    {.key = "busy-poll-us",
     .type = CFG_INT,
     .offset = F(busy_poll_us),
     .min = 0,
     .max = 100000,
     .def = "50",
     .help = "Under load, keep polling for the next request (without sleeping) for up to this "
             "many microseconds before blocking: no wake-up per request (lower latency, more "
             "requests per second). Polling starts only once requests arrive within this time "
             "of each other, and pauses while other processes compete for the CPU; an idle "
             "server never polls; 0 disables."},
    {.key = "hash-max-listpack-entries",
     .type = CFG_INT,
     .offset = F(hash_max_listpack_entries),
     .min = 0,
     .max = BIG,
     .def = "512",
     .help = "Compact hash encoding up to this many fields."},
    {.key = "hash-max-listpack-value",
     .type = CFG_INT,
     .offset = F(hash_max_listpack_value),
     .min = 0,
     .max = BIG,
     .def = "64",
     .help = "Compact hash encoding up to this value size."},
    {.key = "set-max-intset-entries",
     .type = CFG_INT,
     .offset = F(set_max_intset_entries),
     .min = 0,
     .max = BIG,
     .def = "512",
     .help = "Integer set encoding up to this many members."},
    {.key = "set-max-listpack-entries",
     .type = CFG_INT,
     .offset = F(set_max_listpack_entries),
     .min = 0,
     .max = BIG,
     .def = "128",
     .help = "Compact set encoding up to this many members."},
    {.key = "set-max-listpack-value",
     .type = CFG_INT,
     .offset = F(set_max_listpack_value),
     .min = 0,
     .max = BIG,
     .def = "64",
     .help = "Compact set encoding up to this member size."},
    {.key = "zset-max-listpack-entries",
     .type = CFG_INT,
     .offset = F(zset_max_listpack_entries),
     .min = 0,
     .max = BIG,
     .def = "128",
     .help = "Compact sorted set encoding up to this many members."},
    {.key = "zset-max-listpack-value",
     .type = CFG_INT,
     .offset = F(zset_max_listpack_value),
     .min = 0,
     .max = BIG,
     .def = "64",
     .help = "Compact sorted set encoding up to this member size."},
    {.key = "list-max-listpack-size",
     .type = CFG_INT,
     .offset = F(list_max_listpack_size),
     .min = -5,
     .max = BIG,
     .def = "-2",
     .help = "List node size (-2: 8 KB nodes, as Redis)."},
    {.key = "replicaof",
     .type = CFG_STRING,
     .offset = F(replicaof),
     .def = "",
     .validate = validate_replicaof,
     .help = "Master to replicate, as \"<host> <port>\" (empty: this node is a master)."},
    {.key = "masterauth",
     .type = CFG_STRING,
     .offset = F(masterauth),
     .flags = CFG_F_SECRET,
     .help = "Password for the master."},
    {.key = "masteruser",
     .type = CFG_STRING,
     .offset = F(masteruser),
     .help = "User name for the master (AUTH user pass)."},
    {.key = "repl-timeout", /* floor: a replication link needs more than a round trip */
     .type = CFG_DURATION,
     .offset = F(repl_timeout_ms),
     .min = 100,
     .max = BIG,
     .def = "60",
     .unit_ms = 1000,
     .help = "Replication link timeout."},
    {.key = "repl-ping-replica-period",
     .type = CFG_DURATION,
     .offset = F(repl_ping_replica_period_ms),
     .min = 1,
     .max = BIG,
     .def = "10",
     .unit_ms = 1000,
     .help = "Master PINGs replicas this often."},
    {.key = "repl-backlog-size",
     .type = CFG_SIZE,
     .offset = F(repl_backlog_size),
     .min = 16 * 1024,
     .max = BIG,
     .def = "1mb",
     .help = "Replication backlog size (partial resync window)."},
    {.key = "repl-backlog-ttl",
     .type = CFG_DURATION,
     .offset = F(repl_backlog_ttl_ms),
     .def = "3600",
     .unit_ms = 1000,
     .help = "Free the backlog after this long without replicas."},
    {.key = "repl-diskless-sync",
     .type = CFG_BOOL,
     .offset = F(repl_diskless_sync),
     .def = "yes",
     .help = "Stream snapshots to replicas without a file."},
    {.key = "repl-diskless-sync-delay",
     .type = CFG_DURATION,
     .offset = F(repl_diskless_sync_delay_ms),
     .def = "0",
     .unit_ms = 1000,
     .help = "With repl-diskless-sync, wait this long for more replicas to share a full "
             "sync's snapshot before starting it (a disk snapshot starts at once)."},
    {.key = "min-replicas-to-write",
     .type = CFG_INT,
     .offset = F(min_replicas_to_write),
     .min = 0,
     .max = 1000,
     .def = "0",
     .help = "Refuse writes with fewer good replicas (0: off)."},
    {.key = "min-replicas-max-lag",
     .type = CFG_DURATION,
     .offset = F(min_replicas_max_lag_ms),
     .def = "10",
     .unit_ms = 1000,
     .help = "A good replica acked within this long."},
    {.key = "replica-read-only",
     .type = CFG_BOOL,
     .offset = F(replica_read_only),
     .def = "yes",
     .help = "Refuse writes from clients on a replica."},
    {.key = "replica-serve-stale-data",
     .type = CFG_BOOL,
     .offset = F(replica_serve_stale_data),
     .def = "yes",
     .help = "Serve reads while the master link is down."},
    {.key = "replica-accept-regressed-master",
     .type = CFG_BOOL,
     .offset = F(replica_accept_regressed_master),
     .def = "no",
     .help = "Let a replica that holds data full-sync from a master with a new history behind "
             "its own (an empty restarted master), dropping its data, as Redis does. With no, "
             "it keeps its data and waits; REPLICAOF again accepts once."},
    {.key = "repl-group-member",
     .type = CFG_BOOL,
     .offset = F(repl_group_member),
     .def = "no",
     .help = "Set by the store itself (and saved in the overrides file) once it had a master or "
             "a replica. Started empty without replicaof, such a store refuses writes until "
             "REPLICAOF (or REPLICAOF NO ONE) says what it is."},
    {.key = "replica-priority",
     .type = CFG_INT,
     .offset = F(replica_priority),
     .min = 0,
     .max = 1000000,
     .def = "100",
     .help = "Sentinel promotion priority (lower first; 0: never)."},
    {.key = "replica-announced",
     .type = CFG_BOOL,
     .offset = F(replica_announced),
     .def = "yes",
     .help = "Shown as replica_announced in INFO; with no, sentinels leave this replica out "
             "of SENTINEL REPLICAS (it is still monitored and may be promoted)."},
    {.key = "replica-announce-ip",
     .type = CFG_STRING,
     .offset = F(replica_announce_ip),
     .def = "",
     .help = "Address announced to the master."},
    {.key = "replica-announce-port",
     .type = CFG_INT,
     .offset = F(replica_announce_port),
     .min = 0,
     .max = 65535,
     .def = "0",
     .help = "Port announced to the master (0: our port)."},
    /* ---- memory limits (evict.c); CONFIG SET checks values first with Redis's messages ---- */
    {.key = "maxmemory",
     .type = CFG_SIZE,
     .offset = F(maxmemory),
     .min = 0,
     .max = BIG,
     .def = "0",
     .help = "Used memory limit (0: none). Above it, keys are evicted by maxmemory-policy, or "
             "commands that may grow memory are refused with -OOM."},
    {.key = "maxmemory-clients",
     .type = CFG_SIZE,
     .offset = F(maxmemory_clients),
     .min = 0,
     .max = LLONG_MAX,
     .def = "0",
     .flags = CFG_F_PERCENT,
     .help = "Memory all normal and pub/sub clients may use together (0: no limit), as a size "
             "or as a percentage of maxmemory; above it the largest clients are closed (never "
             "replicas, the master link, or CLIENT NO-EVICT clients). At least 128kb applies."},
    {.key = "maxmemory-policy",
     .type = CFG_ENUM,
     .offset = F(maxmemory_policy),
     .def = "noeviction",
     .enum_names = store_maxmemory_policies,
     .help = "Which keys maxmemory evicts: allkeys-* (any key) or volatile-* (keys with a TTL), "
             "by -lru (least recently used), -lfu (least frequently used), -random, "
             "volatile-ttl (nearest expiry), or noeviction (refuse writes)."},
    {.key = "maxmemory-samples",
     .type = CFG_INT,
     .offset = F(maxmemory_samples),
     .min = 1,
     .max = INT_MAX,
     .def = "5",
     .help = "Keys sampled per database for each eviction (at most 64 are used)."},
    {.key = "maxmemory-eviction-tenacity",
     .type = CFG_INT,
     .offset = F(maxmemory_eviction_tenacity),
     .min = 0,
     .max = 100,
     .def = "10",
     .help = "Time evicting may take per command before continuing in the background: 10 is "
             "500 us, each step above it 15% more, 100 unlimited."},
    {.key = "lfu-log-factor",
     .type = CFG_INT,
     .offset = F(lfu_log_factor),
     .min = 0,
     .max = INT_MAX,
     .def = "10",
     .help = "LFU counter growth: the higher, the more accesses a count of 255 takes."},
    {.key = "lfu-decay-time",
     .type = CFG_INT,
     .offset = F(lfu_decay_time),
     .min = 0,
     .max = INT_MAX,
     .def = "1",
     .help = "Minutes of idleness that lower the LFU counter by one (0: never)."},
    {.key = "replica-ignore-maxmemory",
     .type = CFG_BOOL,
     .offset = F(replica_ignore_maxmemory),
     .def = "yes",
     .help = "A replica does not evict: its master's DELs keep it in step."},
};

const struct cfg_schema store_config_schema = CFG_SCHEMA_INIT(store_fields);
