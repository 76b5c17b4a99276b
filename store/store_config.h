/* store_config: vigil-store's typed configuration. Field names follow Redis's config names
 * (underscored); the schema table in store_config.c maps YAML keys, CONFIG GET/SET names and
 * `--name value` arguments onto these fields, with defaults and limits in one place. */
#ifndef VIGIL_STORE_CONFIG_H
#define VIGIL_STORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/tls.h"

#define STORE_MAX_BINDS 16

enum { OBUF_NORMAL = 0, OBUF_REPLICA = 1, OBUF_PUBSUB = 2, OBUF_CLASSES = 3 };

/* maxmemory-policy, in the order Redis lists them in its error text. */
enum maxmemory_policy {
    MM_VOLATILE_LRU,
    MM_VOLATILE_LFU,
    MM_VOLATILE_RANDOM,
    MM_VOLATILE_TTL,
    MM_ALLKEYS_LRU,
    MM_ALLKEYS_LFU,
    MM_ALLKEYS_RANDOM,
    MM_NOEVICTION,
};
extern const char *const store_maxmemory_policies[];

enum appendfsync { APPENDFSYNC_ALWAYS, APPENDFSYNC_EVERYSEC, APPENDFSYNC_NO };
enum repl_diskless_load {
    REPL_DISKLESS_LOAD_DISABLED,
    REPL_DISKLESS_LOAD_ON_EMPTY_DB,
    REPL_DISKLESS_LOAD_SWAPDB
};

struct obuf_limit {
    long long hard_bytes, soft_bytes;
    long long soft_seconds;
};

/* enable-debug-command and enable-protected-configs, as Redis 7.0. */
enum store_allow { STORE_ALLOW_NO, STORE_ALLOW_YES, STORE_ALLOW_LOCAL };
extern const char *const store_allow_names[];

struct store_config {
    long long port;
    struct cfg_strlist bind; /* addresses to listen on */
    char *dir;
    char *requirepass;
    bool protected_mode; /* without requirepass, serve loopback clients only (common/guard.h) */
    long long maxclients;
    int64_t timeout_ms; /* idle client timeout ("timeout", seconds in Redis) */
    int64_t tcp_keepalive_ms;
    int loglevel;
    char *logfile;
    long long databases;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    char *client_output_buffer_limit; /* Redis's text form; parsed into obuf[] */
    struct obuf_limit obuf[OBUF_CLASSES];
    int enable_debug_command, enable_protected_configs; /* enum store_allow */
    char *aclfile;
    struct cfg_strlist users; /* ACL users as "user <name> <rules...>" lines */
    long long acllog_max_len;
    long long hz;
    long long active_expire_effort; /* 1..10 */
    long long busy_poll_us;
    long long slowlog_log_slower_than; /* microseconds; negative: off */
    long long slowlog_max_len;
    long long latency_monitor_threshold;     /* ms; 0: the latency monitor is off */
    bool latency_tracking;                   /* per-command latency histograms */
    char *latency_tracking_info_percentiles; /* INFO latencystats: "50 99 99.9" */
    long long busy_reply_threshold_ms; /* a script past this makes others get -BUSY; 0: never */
    /* persistence: snapshots */
    char *save;       /* "<seconds> <changes> ..." or "" */
    char *dbfilename; /* inside dir */
    bool rdbcompression, rdbchecksum, stop_writes_on_bgsave_error, rdb_del_sync_files;
    long long rdb_key_save_delay_us, key_load_delay_us; /* testing: slow a save / a load down */
    long long loading_process_events_interval_bytes;
    bool rdb_save_incremental_fsync;
    int repl_diskless_load; /* enum repl_diskless_load */
    long long shutdown_timeout_s;
    char *shutdown_on_sigterm, *shutdown_on_sigint; /* "default" or flags */
    /* persistence: the append-only file */
    bool appendonly;
    char *appendfilename, *appenddirname;
    int appendfsync; /* enum appendfsync */
    bool no_appendfsync_on_rewrite;
    long long auto_aof_rewrite_percentage;
    long long auto_aof_rewrite_min_size;
    bool aof_use_rdb_preamble, aof_load_truncated, aof_timestamp_enabled;
    bool aof_rewrite_incremental_fsync;
    long long hash_max_listpack_entries, hash_max_listpack_value;
    long long set_max_intset_entries, set_max_listpack_entries, set_max_listpack_value;
    long long zset_max_listpack_entries, zset_max_listpack_value;
    long long list_max_listpack_size;
    long long stream_node_max_bytes, stream_node_max_entries;
    long long hll_sparse_max_bytes;
    /* replication */
    char *replicaof; /* "host port" or empty */
    char *masterauth, *masteruser;
    int64_t repl_timeout_ms;
    int64_t repl_ping_replica_period_ms;
    long long repl_backlog_size;
    int64_t repl_backlog_ttl_ms;
    bool repl_diskless_sync;
    int64_t repl_diskless_sync_delay_ms;
    long long min_replicas_to_write;
    int64_t min_replicas_max_lag_ms; /* min-replicas-max-lag (seconds, as Redis), in ms */
    /* min-replicas-max-lag-ms (ours): when non-zero, replaces the seconds key (repl_fence.h) */
    long long min_replicas_max_lag_ms_opt;
    long long repl_ack_period_ms; /* replica: REPLCONF ACK every this many ms */
    bool replica_read_only;
    bool replica_serve_stale_data;
    bool master_lease; /* fence this master without its sentinels' leases (master_lease.h) */
    bool replica_accept_regressed_master; /* follow an empty/regressed master (Redis's way) */
    bool repl_group_member; /* had a master or replicas: never restart as an empty master */
    long long replica_priority;
    bool replica_announced;
    char *replica_announce_ip;
    long long replica_announce_port;
    /* memory limits (evict.c) */
    long long maxmemory;         /* bytes; 0: no limit */
    long long maxmemory_clients; /* bytes, or -N for N% of maxmemory; 0: off (client_evict.h) */
    int maxmemory_policy;
    long long maxmemory_samples;
    long long maxmemory_eviction_tenacity;
    long long lfu_log_factor;
    long long lfu_decay_time; /* minutes */
    bool replica_ignore_maxmemory;
    char *notify_keyspace_events; /* class letters; canonical text after apply (notify.h) */
    /* client-side caching (tracking.h) */
    long long tracking_table_max_keys;
    /* TLS (server_tls.c, docs/tls.md) */
    long long tls_port; /* 0: no TLS listener */
    struct tls_settings tls;
    bool tls_replication; /* our link to the master speaks TLS */
    bool tls_cluster;     /* accepted for redis.conf compatibility; no cluster bus here */
    int64_t tls_handshake_timeout_ms;
};

extern const struct cfg_schema store_config_schema;

/* Parse Redis's client-output-buffer-limit text ("normal 0 0 0 replica 256mb 64mb 60 ...") into
 * limits; classes not named keep their value. 0 or -1 with a message. */
int store_config_parse_obuf(const char *text, struct obuf_limit out[OBUF_CLASSES], char *err,
                            size_t errlen);
/* Redis's defaults, in the form CONFIG GET shows. */
#define STORE_CONFIG_OBUF_DEFAULT                                                                  \
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

/* Parse cfg->client_output_buffer_limit on top of cfg->obuf (the defaults at startup, the
 * current limits for CONFIG SET), then rewrite the text in Redis's canonical form
 * ("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"), which is what
 * CONFIG GET shows. 0 or -1 with a message (nothing changed). */
int store_config_apply_obuf(struct store_config *cfg, char *err, size_t errlen);

#endif
