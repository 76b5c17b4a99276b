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

#define F(field) offsetof(struct store_config, field)
#define BIG (1LL << 62)

static const char *const loglevels[] = {"debug", "verbose", "notice", "warning", "nothing", NULL};

const char *const store_maxmemory_policies[] = {"volatile-lru",   "volatile-lfu", "volatile-random",
                                                "volatile-ttl",   "allkeys-lru",  "allkeys-lfu",
                                                "allkeys-random", "noeviction",   NULL};

static int parse_size_token(const char *tok, long long *out)
{
    char *end;
    long long v = strtoll(tok, &end, 10);
    if (end == tok || v < 0) return -1;
    /* As redis.conf: k/m/g are powers of 1000, kb/mb/gb powers of 1024. */
    static const struct {
        const char *suffix;
        long long mul;
    } units[] = {{"", 1},        {"b", 1},          {"k", 1000},       {"kb", 1024},
                 {"m", 1000000}, {"mb", 1LL << 20}, {"g", 1000000000}, {"gb", 1LL << 30}};
    long long mul = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && !mul; i++)
        if (strcasecmp(end, units[i].suffix) == 0) mul = units[i].mul;
    if (!mul || v > LLONG_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

int store_config_parse_obuf(const char *text, struct obuf_limit out[OBUF_CLASSES], char *err,
                            size_t errlen)
{
    char copy[512];
    if (strlen(text) >= sizeof copy) {
        snprintf(err, errlen, "value too long");
        return -1;
    }
    snprintf(copy, sizeof copy, "%s", text);
    struct obuf_limit tmp[OBUF_CLASSES];
    memcpy(tmp, out, sizeof tmp);
    char *save = NULL, *tok[4];
    int n = 0;
    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        tok[n++] = t;
        if (n < 4) continue;
        n = 0;
        int cls;
        if (strcasecmp(tok[0], "normal") == 0)
            cls = OBUF_NORMAL;
        else if (strcasecmp(tok[0], "replica") == 0 || strcasecmp(tok[0], "slave") == 0)
            cls = OBUF_REPLICA;
        else if (strcasecmp(tok[0], "pubsub") == 0)
            cls = OBUF_PUBSUB;
        else {
            snprintf(err, errlen, "unknown client class \"%s\"", tok[0]);
            return -1;
        }
        long long secs;
        if (parse_size_token(tok[1], &tmp[cls].hard_bytes) ||
            parse_size_token(tok[2], &tmp[cls].soft_bytes) ||
            util_parse_ll(tok[3], strlen(tok[3]), &secs) != 0 || secs < 0) {
            snprintf(err, errlen, "expected <class> <hard limit> <soft limit> <soft seconds>");
            return -1;
        }
        tmp[cls].soft_seconds = secs;
    }
    if (n != 0) {
        snprintf(err, errlen,
                 "expected groups of <class> <hard limit> <soft limit> <soft seconds>");
        return -1;
    }
    memcpy(out, tmp, sizeof tmp);
    return 0;
}

int store_config_apply_obuf(struct store_config *cfg, char *err, size_t errlen)
{
    if (!cfg->client_output_buffer_limit) return 0;
    if (store_config_parse_obuf(cfg->client_output_buffer_limit, cfg->obuf, err, errlen) != 0)
        return -1;
    static const char *const names[OBUF_CLASSES] = {"normal", "slave", "pubsub"};
    char text[256];
    size_t used = 0;
    for (int i = 0; i < OBUF_CLASSES; i++) {
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s %lld %lld %lld",
                                 i ? " " : "", names[i], cfg->obuf[i].hard_bytes,
                                 cfg->obuf[i].soft_bytes, cfg->obuf[i].soft_seconds);
    }
    free(cfg->client_output_buffer_limit);
    cfg->client_output_buffer_limit = xstrdup(text);
    return 0;
}

static int validate_obuf(const void *p, char *err, size_t errlen)
{
    const char *const *text = p;
    struct obuf_limit tmp[OBUF_CLASSES] = {{0, 0, 0}};
    return *text ? store_config_parse_obuf(*text, tmp, err, errlen) : 0;
}

/* No persistence: the keys exist so that tools which read them (redis-benchmark asks for both)
 * see the truth, and setting them to something else is refused rather than silently ignored. */
static int validate_save(const void *p, char *err, size_t errlen)
{
    const char *const *text = p;
    if (!*text || !(*text)[0]) return 0;
    snprintf(err, errlen, "vigil-store keeps no snapshots: only \"\" is accepted");
    return -1;
}

static int validate_appendonly(const void *p, char *err, size_t errlen)
{
    if (!*(const bool *)p) return 0;
    snprintf(err, errlen, "vigil-store has no append-only file: only \"no\" is accepted");
    return -1;
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
    {.key = "save",
     .type = CFG_STRING,
     .offset = F(save),
     .def = "",
     .validate = validate_save,
     .help = "Snapshot schedule. There is no persistence: only \"\" (never save)."},
    {.key = "appendonly",
     .type = CFG_BOOL,
     .offset = F(appendonly),
     .def = "no",
     .validate = validate_appendonly,
     .help = "Append-only file. There is no persistence: only no."},
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
