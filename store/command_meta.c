/* command_meta: what Redis 7.0 says about each command that the dispatch tables do not carry
 * themselves: ACL categories (COMMAND INFO shows them, ACL rules such as +@write select by
 * them), the access each key argument needs (%R~ and %W~ patterns), and key finders for
 * commands whose keys follow a numkeys argument. Built into the ACL catalog at startup.
 *
 * Why a side table: the families' tables (cmd_*.c) came before ACL; a row here fills what an
 * entry leaves NULL, so a new command just sets .acl_categories and .key_access in its own entry
 * and needs no row here. The values are Redis 7.0's (COMMAND INFO's categories and key specs);
 * a test compares every listed command's categories with redis-server's. A command with neither
 * an entry field nor a row has no categories, and its keys need read and write access (the
 * safe guess). Key access: "R" read, "W" write, "RW" both, "-" none (EXISTS, TYPE: any pattern
 * will do), "<first>/<rest>" when the first key differs from the others, "!" not a key at all
 * (the shard channel of SPUBLISH: its key position serves cluster routing, ACL checks it as a
 * channel, as Redis's NOT_KEY flag says). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/acl.h"
#include "common/util.h"
#include "store/command.h"

/* ---- key finders ---------------------------------------------------------------------------- */

/* numkeys at argv[at] (at least one), the keys right after it. */
static int keys_after_numkeys(size_t argc, const struct resp_arg *argv, size_t at,
                              struct command_key *out, size_t n)
{
    long long nk;
    if (at >= argc || util_parse_ll(argv[at].ptr, argv[at].len, &nk) != 0 || nk < 1 ||
        (size_t)nk > argc - at - 1)
        return -1;
    for (long long i = 0; i < nk; i++) out[n++] = (struct command_key){at + 1 + (size_t)i, 0};
    return (int)n;
}

/* LMPOP, SINTERCARD, ZMPOP, ZUNION, ZINTER, ZDIFF, ZINTERCARD: numkeys first. */
static int keys_numkeys_1(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    return keys_after_numkeys(argc, argv, 1, out, 0);
}

/* BLMPOP, BZMPOP: a timeout, then numkeys. */
static int keys_numkeys_2(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    return keys_after_numkeys(argc, argv, 2, out, 0);
}

/* EVAL and FCALL families: a script or function, then numkeys; a numkeys the arguments do not
 * hold means no keys, as Redis (the command itself then refuses it). */
static int keys_script(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    int n = keys_after_numkeys(argc, argv, 2, out, 0);
    return n < 0 ? 0 : n;
}

/* ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: the destination, then numkeys sources. */
static int keys_dest_numkeys(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    out[0] = (struct command_key){1, 0};
    return keys_after_numkeys(argc, argv, 2, out, 1);
}

/* SET reads its key only with GET (Redis's key flags vary with the arguments). */
static int keys_set(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    unsigned access = ACL_KEY_WRITE;
    for (size_t i = 3; i < argc; i++)
        if (util_eq_nocase(argv[i].ptr, argv[i].len, "get")) access |= ACL_KEY_READ;
    out[0] = (struct command_key){1, access};
    return 1;
}

/* The first half of the arguments after STREAMS (searched from argv[from]): XREAD, XREADGROUP. */
static int keys_after_streams(size_t argc, const struct resp_arg *argv, size_t from,
                              struct command_key *out)
{
    for (size_t i = from; i < argc; i++) {
        if (!util_eq_nocase(argv[i].ptr, argv[i].len, "streams")) continue;
        size_t rest = argc - i - 1;
        if (rest == 0 || rest % 2 != 0) return -1;
        for (size_t k = 0; k < rest / 2; k++) out[k] = (struct command_key){i + 1 + k, 0};
        return (int)(rest / 2);
    }
    return -1;
}

static int keys_xread(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    return keys_after_streams(argc, argv, 1, out);
}

static int keys_xreadgroup(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    return keys_after_streams(argc, argv, 4, out);
}

/* The key read at argv[1], and the destination written after STORE (or STOREDIST, when
 * store_dist) searched from argv[from]: SORT, GEORADIUS, GEORADIUSBYMEMBER. */
static int keys_with_store(size_t argc, const struct resp_arg *argv, size_t from, bool store_dist,
                           struct command_key *out)
{
    int n = 0;
    out[n++] = (struct command_key){1, ACL_KEY_READ};
    for (size_t i = from; i + 1 < argc; i++) {
        bool is_store = util_eq_nocase(argv[i].ptr, argv[i].len, "store") ||
                        (store_dist && util_eq_nocase(argv[i].ptr, argv[i].len, "storedist"));
        if (is_store) {
            out[n++] = (struct command_key){i + 1, ACL_KEY_WRITE};
            break;
        }
    }
    return n;
}

static int keys_sort(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    return keys_with_store(argc, argv, 2, false, out);
}

static int keys_georadius(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    return keys_with_store(argc, argv, 5, true, out);
}

/* MIGRATE host port key|"" db timeout [...] [KEYS key...]. */
static int keys_migrate(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    int n = 0;
    if (argc > 3 && argv[3].len > 0) out[n++] = (struct command_key){3, 0};
    for (size_t i = 6; i < argc; i++) {
        if (!util_eq_nocase(argv[i].ptr, argv[i].len, "keys")) continue;
        for (size_t k = i + 1; k < argc; k++) out[n++] = (struct command_key){k, 0};
        break;
    }
    return n;
}

/* BITFIELD only reads its key when every operation is a GET. */
static int keys_bitfield(size_t argc, const struct resp_arg *argv, struct command_key *out)
{
    unsigned access = ACL_KEY_READ;
    for (size_t i = 2; i < argc; i++)
        if (util_eq_nocase(argv[i].ptr, argv[i].len, "set") ||
            util_eq_nocase(argv[i].ptr, argv[i].len, "incrby"))
            access |= ACL_KEY_WRITE;
    out[0] = (struct command_key){1, access};
    return 1;
}

/* ---- the rows ------------------------------------------------------------------------------- */

struct meta_row {
    const char *name; /* "get", or "client|list" */
    const char *categories;
    const char *key_access;
    command_getkeys_fn getkeys;
};

#define N1 keys_numkeys_1
#define N2 keys_numkeys_2
#define DN keys_dest_numkeys

static const struct meta_row meta_rows[] = {
    {"ping", "fast connection", NULL, NULL},
    {"echo", "fast connection", NULL, NULL},
    {"quit", "fast connection", NULL, NULL},
    {"reset", "fast connection", NULL, NULL},
    {"select", "fast connection", NULL, NULL},
    {"auth", "fast connection", NULL, NULL},
    {"hello", "fast connection", NULL, NULL},
    {"client", "slow", NULL, NULL},
    {"client|id", "slow connection", NULL, NULL},
    {"client|setname", "slow connection", NULL, NULL},
    {"client|getname", "slow connection", NULL, NULL},
    {"client|setinfo", "slow connection", NULL, NULL},
    {"client|list", "admin slow dangerous connection", NULL, NULL},
    {"client|info", "slow connection", NULL, NULL},
    {"client|kill", "admin slow dangerous connection", NULL, NULL},
    {"client|no-evict", "admin slow dangerous connection", NULL, NULL},
    {"client|reply", "slow connection", NULL, NULL},
    {"client|unblock", "admin slow dangerous connection", NULL, NULL},
    {"client|help", "slow connection", NULL, NULL},
    {"info", "slow dangerous", NULL, NULL},
    {"dbsize", "keyspace read fast", NULL, NULL},
    {"flushdb", "keyspace write slow dangerous", NULL, NULL},
    {"flushall", "keyspace write slow dangerous", NULL, NULL},
    {"swapdb", "keyspace write fast dangerous", NULL, NULL},
    {"time", "fast", NULL, NULL},
    {"monitor", "admin slow dangerous", NULL, NULL},
    {"config", "slow", NULL, NULL},
    {"config|get", "admin slow dangerous", NULL, NULL},
    {"config|set", "admin slow dangerous", NULL, NULL},
    {"config|rewrite", "admin slow dangerous", NULL, NULL},
    {"config|resetstat", "admin slow dangerous", NULL, NULL},
    {"debug", "admin slow dangerous", NULL, NULL},
    {"debug|digest", "admin slow dangerous", NULL, NULL},
    {"debug|digest-value", "admin slow dangerous", NULL, NULL},
    {"debug|reload", "admin slow dangerous", NULL, NULL},
    {"debug|sleep", "admin slow dangerous", NULL, NULL},
    {"debug|object", "admin slow dangerous", NULL, NULL},
    {"debug|populate", "admin slow dangerous", NULL, NULL},
    {"command", "slow connection", NULL, NULL},
    {"command|count", "slow connection", NULL, NULL},
    {"command|list", "slow connection", NULL, NULL},
    {"command|info", "slow connection", NULL, NULL},
    {"command|docs", "slow connection", NULL, NULL},
    {"command|getkeys", "slow connection", NULL, NULL},
    {"command|help", "slow connection", NULL, NULL},
    {"get", "read string fast", "R", NULL},
    {"set", "write string slow", "W", keys_set},
    {"setnx", "write string fast", "W", NULL},
    {"setex", "write string slow", "W", NULL},
    {"psetex", "write string slow", "W", NULL},
    {"getset", "write string fast", "RW", NULL},
    {"getdel", "write string fast", "RW", NULL},
    {"getex", "write string fast", "RW", NULL},
    {"mget", "read string fast", "R", NULL},
    {"mset", "write string slow", "W", NULL},
    {"msetnx", "write string slow", "W", NULL},
    {"append", "write string fast", "W", NULL},
    {"strlen", "read string fast", "-", NULL},
    {"getrange", "read string slow", "R", NULL},
    {"substr", "read string slow", "R", NULL},
    {"setrange", "write string slow", "W", NULL},
    {"incr", "write string fast", "RW", NULL},
    {"decr", "write string fast", "RW", NULL},
    {"incrby", "write string fast", "RW", NULL},
    {"decrby", "write string fast", "RW", NULL},
    {"incrbyfloat", "write string fast", "RW", NULL},
    {"del", "keyspace write slow", "W", NULL},
    {"unlink", "keyspace write fast", "W", NULL},
    {"exists", "keyspace read fast", "-", NULL},
    {"touch", "keyspace read fast", "-", NULL},
    {"type", "keyspace read fast", "-", NULL},
    {"keys", "keyspace read slow dangerous", NULL, NULL},
    {"scan", "keyspace read slow", NULL, NULL},
    {"randomkey", "keyspace read slow", NULL, NULL},
    {"rename", "keyspace write slow", "RW/W", NULL},
    {"renamenx", "keyspace write fast", "RW/W", NULL},
    {"copy", "keyspace write slow", "R/W", NULL},
    {"move", "keyspace write fast", "RW", NULL},
    {"object", "slow", NULL, NULL},
    {"object|encoding", "keyspace read slow", "-", NULL},
    {"object|freq", "keyspace read slow", "-", NULL},
    {"object|idletime", "keyspace read slow", "-", NULL},
    {"object|refcount", "keyspace read slow", "-", NULL},
    {"object|help", "keyspace slow", NULL, NULL},
    {"expire", "keyspace write fast", "W", NULL},
    {"pexpire", "keyspace write fast", "W", NULL},
    {"expireat", "keyspace write fast", "W", NULL},
    {"pexpireat", "keyspace write fast", "W", NULL},
    {"ttl", "keyspace read fast", "R", NULL},
    {"pttl", "keyspace read fast", "R", NULL},
    {"expiretime", "keyspace read fast", "R", NULL},
    {"pexpiretime", "keyspace read fast", "R", NULL},
    {"persist", "keyspace write fast", "W", NULL},
    {"hset", "write hash fast", "W", NULL},
    {"hsetnx", "write hash fast", "W", NULL},
    {"hget", "read hash fast", "R", NULL},
    {"hmget", "read hash fast", "R", NULL},
    {"hmset", "write hash fast", "W", NULL},
    {"hdel", "write hash fast", "W", NULL},
    {"hexists", "read hash fast", "-", NULL},
    {"hlen", "read hash fast", "-", NULL},
    {"hstrlen", "read hash fast", "-", NULL},
    {"hkeys", "read hash slow", "R", NULL},
    {"hvals", "read hash slow", "R", NULL},
    {"hgetall", "read hash slow", "R", NULL},
    {"hincrby", "write hash fast", "RW", NULL},
    {"hincrbyfloat", "write hash fast", "RW", NULL},
    {"hrandfield", "read hash slow", "R", NULL},
    {"hscan", "read hash slow", "R", NULL},
    {"lpush", "write list fast", "W", NULL},
    {"rpush", "write list fast", "W", NULL},
    {"lpushx", "write list fast", "W", NULL},
    {"rpushx", "write list fast", "W", NULL},
    {"lpop", "write list fast", "RW", NULL},
    {"rpop", "write list fast", "RW", NULL},
    {"llen", "read list fast", "-", NULL},
    {"lrange", "read list slow", "R", NULL},
    {"lindex", "read list slow", "R", NULL},
    {"lset", "write list slow", "W", NULL},
    {"linsert", "write list slow", "W", NULL},
    {"lrem", "write list slow", "W", NULL},
    {"ltrim", "write list slow", "W", NULL},
    {"lpos", "read list slow", "R", NULL},
    {"lmove", "write list slow", "RW/W", NULL},
    {"rpoplpush", "write list slow", "RW/W", NULL},
    {"lmpop", "write list slow", "RW", N1},
    {"blpop", "write list slow blocking", "RW", NULL},
    {"brpop", "write list slow blocking", "RW", NULL},
    {"blmove", "write list slow blocking", "RW/W", NULL},
    {"brpoplpush", "write list slow blocking", "RW/W", NULL},
    {"blmpop", "write list slow blocking", "RW", N2},
    {"sadd", "write set fast", "W", NULL},
    {"srem", "write set fast", "W", NULL},
    {"smembers", "read set slow", "R", NULL},
    {"sismember", "read set fast", "-", NULL},
    {"smismember", "read set fast", "R", NULL},
    {"scard", "read set fast", "-", NULL},
    {"spop", "write set fast", "RW", NULL},
    {"srandmember", "read set slow", "R", NULL},
    {"smove", "write set fast", "RW/W", NULL},
    {"sinter", "read set slow", "R", NULL},
    {"sintercard", "read set slow", "R", N1},
    {"sinterstore", "write set slow", "W/R", NULL},
    {"sunion", "read set slow", "R", NULL},
    {"sunionstore", "write set slow", "W/R", NULL},
    {"sdiff", "read set slow", "R", NULL},
    {"sdiffstore", "write set slow", "W/R", NULL},
    {"sscan", "read set slow", "R", NULL},
    {"zadd", "write sortedset fast", "W", NULL},
    {"zincrby", "write sortedset fast", "RW", NULL},
    {"zscore", "read sortedset fast", "R", NULL},
    {"zmscore", "read sortedset fast", "R", NULL},
    {"zrank", "read sortedset fast", "R", NULL},
    {"zrevrank", "read sortedset fast", "R", NULL},
    {"zcard", "read sortedset fast", "-", NULL},
    {"zcount", "read sortedset fast", "R", NULL},
    {"zlexcount", "read sortedset fast", "R", NULL},
    {"zrem", "write sortedset fast", "W", NULL},
    {"zremrangebyrank", "write sortedset slow", "W", NULL},
    {"zremrangebyscore", "write sortedset slow", "W", NULL},
    {"zremrangebylex", "write sortedset slow", "W", NULL},
    {"zrange", "read sortedset slow", "R", NULL},
    {"zrangestore", "write sortedset slow", "W/R", NULL},
    {"zrevrange", "read sortedset slow", "R", NULL},
    {"zrangebyscore", "read sortedset slow", "R", NULL},
    {"zrevrangebyscore", "read sortedset slow", "R", NULL},
    {"zrangebylex", "read sortedset slow", "R", NULL},
    {"zrevrangebylex", "read sortedset slow", "R", NULL},
    {"zpopmin", "write sortedset fast", "RW", NULL},
    {"zpopmax", "write sortedset fast", "RW", NULL},
    {"bzpopmin", "write sortedset fast blocking", "RW", NULL},
    {"bzpopmax", "write sortedset fast blocking", "RW", NULL},
    {"zmpop", "write sortedset slow", "RW", N1},
    {"bzmpop", "write sortedset slow blocking", "RW", N2},
    {"zunion", "read sortedset slow", "R", N1},
    {"zinter", "read sortedset slow", "R", N1},
    {"zdiff", "read sortedset slow", "R", N1},
    {"zunionstore", "write sortedset slow", "W/R", DN},
    {"zinterstore", "write sortedset slow", "W/R", DN},
    {"zdiffstore", "write sortedset slow", "W/R", DN},
    {"zintercard", "read sortedset slow", "R", N1},
    {"zrandmember", "read sortedset slow", "R", NULL},
    {"zscan", "read sortedset slow", "R", NULL},
    {"pfadd", "write hyperloglog fast", "W", NULL},
    {"pfcount", "read hyperloglog slow", "R", NULL},
    {"pfmerge", "write hyperloglog slow", "RW/R", NULL},
    {"pfdebug", "write hyperloglog admin slow dangerous", "R", NULL},
    {"pfselftest", "hyperloglog admin slow dangerous", NULL, NULL},
    {"multi", "fast transaction", NULL, NULL},
    {"exec", "slow transaction", NULL, NULL},
    {"discard", "fast transaction", NULL, NULL},
    {"watch", "fast transaction", "-", NULL},
    {"unwatch", "fast transaction", NULL, NULL},
    {"subscribe", "pubsub slow", NULL, NULL},
    {"psubscribe", "pubsub slow", NULL, NULL},
    {"unsubscribe", "pubsub slow", NULL, NULL},
    {"punsubscribe", "pubsub slow", NULL, NULL},
    {"publish", "pubsub fast", NULL, NULL},
    {"pubsub", "slow", NULL, NULL},
    {"pubsub|channels", "pubsub slow", NULL, NULL},
    {"pubsub|numsub", "pubsub slow", NULL, NULL},
    {"pubsub|numpat", "pubsub slow", NULL, NULL},
    {"replicaof", "admin slow dangerous", NULL, NULL},
    {"slaveof", "admin slow dangerous", NULL, NULL},
    {"replconf", "admin slow dangerous", NULL, NULL},
    {"psync", "admin slow dangerous", NULL, NULL},
    {"sync", "admin slow dangerous", NULL, NULL},
    {"wait", "slow connection", NULL, NULL},
    {"role", "admin fast dangerous", NULL, NULL},
    {"failover", "admin slow dangerous", NULL, NULL},
    {"slowlog", "slow", NULL, NULL},
    {"slowlog|get", "admin slow dangerous", NULL, NULL},
    {"slowlog|len", "admin slow dangerous", NULL, NULL},
    {"slowlog|reset", "admin slow dangerous", NULL, NULL},
    {"slowlog|help", "slow", NULL, NULL},
    {"memory", "slow", NULL, NULL},
    {"memory|usage", "read slow", "-", NULL},
    {"memory|purge", "slow", NULL, NULL},
    {"memory|stats", "slow", NULL, NULL},
    {"memory|doctor", "slow", NULL, NULL},
    {"memory|help", "slow", NULL, NULL},
    {"setbit", "write bitmap slow", "RW", NULL},
    {"getbit", "read bitmap fast", "R", NULL},
    {"bitcount", "read bitmap slow", "R", NULL},
    {"bitpos", "read bitmap slow", "R", NULL},
    {"bitop", "write bitmap slow", "W/R", NULL},
    {"save", "admin slow dangerous", NULL, NULL},
    {"bgsave", "admin slow dangerous", NULL, NULL},
    {"lastsave", "admin fast dangerous", NULL, NULL},
    {"shutdown", "admin slow dangerous", NULL, NULL},
    {"bgrewriteaof", "admin slow dangerous", NULL, NULL},
    {"waitaof", "slow", NULL, NULL},
    {"eval", "slow scripting", "RW", keys_script},
    {"evalsha", "slow scripting", "RW", keys_script},
    {"eval_ro", "slow scripting", "R", keys_script},
    {"evalsha_ro", "slow scripting", "R", keys_script},
    {"script", "slow", NULL, NULL},
    {"script|load", "slow scripting", NULL, NULL},
    {"script|exists", "slow scripting", NULL, NULL},
    {"script|flush", "slow scripting", NULL, NULL},
    {"script|kill", "slow scripting", NULL, NULL},
    {"script|debug", "slow scripting", NULL, NULL},
    {"script|help", "slow scripting", NULL, NULL},
    {"fcall", "slow scripting", "RW", keys_script},
    {"fcall_ro", "slow scripting", "R", keys_script},
    {"function", "slow", NULL, NULL},
    {"function|load", "write slow scripting", NULL, NULL},
    {"function|delete", "write slow scripting", NULL, NULL},
    {"function|flush", "write slow scripting", NULL, NULL},
    {"function|list", "slow scripting", NULL, NULL},
    {"function|stats", "slow scripting", NULL, NULL},
    {"function|kill", "slow scripting", NULL, NULL},
    {"function|dump", "slow scripting", NULL, NULL},
    {"function|restore", "write slow scripting", NULL, NULL},
    {"function|help", "slow scripting", NULL, NULL},
    {"vigil", "admin slow dangerous", NULL, NULL},
    {"vigil|lease", "admin slow dangerous", NULL, NULL},
    {"vigil|help", "slow", NULL, NULL},
    /* Redis 7.0 commands the store does not have yet (other families add them): their
     * rows are ready, so an entry needs no fields of its own to get them. */
    {"asking", "fast connection", NULL, NULL},
    {"bitfield", "write bitmap slow", "RW", keys_bitfield},
    {"bitfield_ro", "read bitmap fast", "R", NULL},
    {"client|caching", "slow connection", NULL, NULL},
    {"client|getredir", "slow connection", NULL, NULL},
    {"client|pause", "admin slow dangerous connection", NULL, NULL},
    {"client|tracking", "slow connection", NULL, NULL},
    {"client|trackinginfo", "slow connection", NULL, NULL},
    {"client|unpause", "admin slow dangerous connection", NULL, NULL},
    {"cluster", "slow", NULL, NULL},
    {"cluster|addslots", "admin slow dangerous", NULL, NULL},
    {"cluster|addslotsrange", "admin slow dangerous", NULL, NULL},
    {"cluster|bumpepoch", "admin slow dangerous", NULL, NULL},
    {"cluster|count-failure-reports", "admin slow dangerous", NULL, NULL},
    {"cluster|countkeysinslot", "slow", NULL, NULL},
    {"cluster|delslots", "admin slow dangerous", NULL, NULL},
    {"cluster|delslotsrange", "admin slow dangerous", NULL, NULL},
    {"cluster|failover", "admin slow dangerous", NULL, NULL},
    {"cluster|flushslots", "admin slow dangerous", NULL, NULL},
    {"cluster|forget", "admin slow dangerous", NULL, NULL},
    {"cluster|getkeysinslot", "slow", NULL, NULL},
    {"cluster|help", "slow", NULL, NULL},
    {"cluster|info", "slow", NULL, NULL},
    {"cluster|keyslot", "slow", NULL, NULL},
    {"cluster|links", "slow", NULL, NULL},
    {"cluster|meet", "admin slow dangerous", NULL, NULL},
    {"cluster|myid", "slow", NULL, NULL},
    {"cluster|nodes", "slow", NULL, NULL},
    {"cluster|replicas", "admin slow dangerous", NULL, NULL},
    {"cluster|replicate", "admin slow dangerous", NULL, NULL},
    {"cluster|reset", "admin slow dangerous", NULL, NULL},
    {"cluster|saveconfig", "admin slow dangerous", NULL, NULL},
    {"cluster|set-config-epoch", "admin slow dangerous", NULL, NULL},
    {"cluster|setslot", "admin slow dangerous", NULL, NULL},
    {"cluster|shards", "slow", NULL, NULL},
    {"cluster|slaves", "admin slow dangerous", NULL, NULL},
    {"cluster|slots", "slow", NULL, NULL},
    {"command|getkeysandflags", "slow connection", NULL, NULL},
    {"config|help", "slow", NULL, NULL},
    {"dump", "keyspace read slow", "R", NULL},
    {"geoadd", "write geo slow", "W", NULL},
    {"geodist", "read geo slow", "R", NULL},
    {"geohash", "read geo slow", "R", NULL},
    {"geopos", "read geo slow", "R", NULL},
    {"georadius", "write geo slow", "R/W", keys_georadius},
    {"georadius_ro", "read geo slow", "R", NULL},
    {"georadiusbymember", "write geo slow", "R/W", keys_georadius},
    {"georadiusbymember_ro", "read geo slow", "R", NULL},
    {"geosearch", "read geo slow", "R", NULL},
    {"geosearchstore", "write geo slow", "W/R", NULL},
    {"latency", "slow", NULL, NULL},
    {"latency|doctor", "admin slow dangerous", NULL, NULL},
    {"latency|graph", "admin slow dangerous", NULL, NULL},
    {"latency|help", "slow", NULL, NULL},
    {"latency|histogram", "admin slow dangerous", NULL, NULL},
    {"latency|history", "admin slow dangerous", NULL, NULL},
    {"latency|latest", "admin slow dangerous", NULL, NULL},
    {"latency|reset", "admin slow dangerous", NULL, NULL},
    {"lcs", "read string slow", "R", NULL},
    {"lolwut", "read fast", NULL, NULL},
    {"memory|malloc-stats", "slow", NULL, NULL},
    {"migrate", "keyspace write slow dangerous", "RW", keys_migrate},
    {"module", "slow", NULL, NULL},
    {"module|help", "slow", NULL, NULL},
    {"module|list", "admin slow dangerous", NULL, NULL},
    {"module|load", "admin slow dangerous", NULL, NULL},
    {"module|loadex", "admin slow dangerous", NULL, NULL},
    {"module|unload", "admin slow dangerous", NULL, NULL},
    {"pubsub|help", "slow", NULL, NULL},
    {"pubsub|shardchannels", "pubsub slow", NULL, NULL},
    {"pubsub|shardnumsub", "pubsub slow", NULL, NULL},
    {"readonly", "fast connection", NULL, NULL},
    {"readwrite", "fast connection", NULL, NULL},
    {"restore", "keyspace write slow dangerous", "W", NULL},
    {"restore-asking", "keyspace write slow dangerous", "W", NULL},
    {"sort", "write set sortedset list slow dangerous", "R/R", keys_sort},
    {"sort_ro", "read set sortedset list slow dangerous", "R", keys_sort},
    {"spublish", "pubsub fast", "!", NULL},
    {"ssubscribe", "pubsub slow", "!", NULL},
    {"sunsubscribe", "pubsub slow", "!", NULL},
    {"xack", "write stream fast", "W", NULL},
    {"xadd", "write stream fast", "W", NULL},
    {"xautoclaim", "write stream fast", "W", NULL},
    {"xclaim", "write stream fast", "W", NULL},
    {"xdel", "write stream fast", "W", NULL},
    {"xgroup", "slow", NULL, NULL},
    {"xgroup|create", "write stream slow", "W", NULL},
    {"xgroup|createconsumer", "write stream slow", "W", NULL},
    {"xgroup|delconsumer", "write stream slow", "W", NULL},
    {"xgroup|destroy", "write stream slow", "W", NULL},
    {"xgroup|help", "stream slow", NULL, NULL},
    {"xgroup|setid", "write stream slow", "W", NULL},
    {"xinfo", "slow", NULL, NULL},
    {"xinfo|consumers", "read stream slow", "R", NULL},
    {"xinfo|groups", "read stream slow", "R", NULL},
    {"xinfo|help", "stream slow", NULL, NULL},
    {"xinfo|stream", "read stream slow", "R", NULL},
    {"xlen", "read stream fast", "-", NULL},
    {"xpending", "read stream slow", "R", NULL},
    {"xrange", "read stream slow", "R", NULL},
    {"xread", "read stream slow blocking", "R", keys_xread},
    {"xreadgroup", "write stream slow blocking", "R", keys_xreadgroup},
    {"xrevrange", "read stream slow", "R", NULL},
    {"xsetid", "write stream fast", "W", NULL},
    {"xtrim", "write stream slow", "W", NULL},
};

static const struct meta_row *meta_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(meta_rows); i++)
        if (strcmp(meta_rows[i].name, name) == 0) return &meta_rows[i];
    return NULL;
}

command_getkeys_fn command_meta_key_finder(const char *name)
{
    const struct meta_row *row = meta_find(name);
    return row ? row->getkeys : NULL;
}

/* ---- the catalog ---------------------------------------------------------------------------- */

struct entry_meta {
    const struct command *cmd;
    bool is_not_key; /* key access "!" */
    int first_key, last_key, key_step;
    unsigned first_access, rest_access;
    command_getkeys_fn getkeys;
};

static struct acl_command *catalog_cmds;
static struct entry_meta *entry_metas;
static struct acl_catalog catalog;

static uint32_t parse_categories(const char *words)
{
    uint32_t bits = 0;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", words ? words : "");
    for (char *save, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        int c = acl_category_find(w);
        ASSERT(c >= 0); /* a misspelt category in a table */
        bits |= 1u << c;
    }
    return bits;
}

static unsigned parse_access(const char *s, size_t len)
{
    unsigned a = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == 'R') a |= ACL_KEY_READ;
        if (s[i] == 'W') a |= ACL_KEY_WRITE;
    }
    return a;
}

static void entry_fill(size_t i, const struct command *cmd, const char *fullname, int parent)
{
    const struct meta_row *row = meta_find(fullname);
    const char *cats = cmd->acl_categories ? cmd->acl_categories : row ? row->categories : NULL;
    const char *acc = cmd->key_access ? cmd->key_access : row ? row->key_access : NULL;
    catalog_cmds[i] = (struct acl_command){xstrdup(fullname), parent, parse_categories(cats)};
    struct entry_meta *m = &entry_metas[i];
    *m = (struct entry_meta){.cmd = cmd,
                             .first_key = cmd->first_key,
                             .last_key = cmd->last_key,
                             .key_step = cmd->key_step,
                             .getkeys = cmd->getkeys ? cmd->getkeys
                                        : row        ? row->getkeys
                                                     : NULL};
    if (acc == NULL) acc = "RW";
    m->is_not_key = strcmp(acc, "!") == 0;
    const char *slash = strchr(acc, '/');
    m->first_access = parse_access(acc, slash ? (size_t)(slash - acc) : strlen(acc));
    m->rest_access = slash ? parse_access(slash + 1, strlen(slash + 1)) : m->first_access;
}

void command_meta_build(void)
{
    size_t n = 0;
    for (size_t i = 0; i < command_count(); i++) {
        n++;
        for (const struct command *s = command_at(i)->subcommands; s && s->name; s++) n++;
    }
    catalog_cmds = xcalloc(n, sizeof(*catalog_cmds));
    entry_metas = xcalloc(n, sizeof(*entry_metas));
    size_t k = 0;
    for (size_t i = 0; i < command_count(); i++) {
        struct command *cmd = command_at(i);
        cmd->acl_index = k;
        entry_fill(k++, cmd, cmd->name, -1);
        for (const struct command *s = cmd->subcommands; s && s->name; s++) {
            char full[128];
            snprintf(full, sizeof(full), "%s|%s", cmd->name, s->name);
            entry_fill(k++, s, full, (int)cmd->acl_index);
        }
    }
    catalog = (struct acl_catalog){catalog_cmds, n};
}

const struct acl_catalog *command_acl_catalog(void) { return &catalog; }

size_t command_acl_index(const struct command *cmd, const struct command *sub)
{
    return sub ? cmd->acl_index + 1 + (size_t)(sub - cmd->subcommands) : cmd->acl_index;
}

const struct command *command_find_sub(const struct command *cmd, const struct resp_arg *arg)
{
    for (const struct command *s = cmd->subcommands; s && s->name; s++)
        if (util_eq_nocase(arg->ptr, arg->len, s->name)) return s;
    return NULL;
}

bool command_has_keys(size_t idx)
{
    const struct entry_meta *m = &entry_metas[idx];
    return !m->is_not_key && (m->getkeys != NULL || m->first_key > 0);
}

bool command_has_key_finder(size_t idx) { return entry_metas[idx].getkeys != NULL; }

bool command_has_movable_keys(size_t idx)
{
    /* SET's and BITFIELD's finders only tell a read from a write of their one fixed key (GET,
     * BITFIELD GET): Redis does not call those keys movable. */
    command_getkeys_fn f = entry_metas[idx].getkeys;
    return f != NULL && f != keys_set && f != keys_bitfield;
}

int command_get_keys(size_t idx, size_t argc, const struct resp_arg *argv, struct command_key *keys)
{
    const struct entry_meta *m = &entry_metas[idx];
    int n = 0;
    if (m->getkeys) {
        n = m->getkeys(argc, argv, keys);
    } else if (m->first_key > 0) {
        long last = m->last_key < 0 ? (long)argc + m->last_key : m->last_key;
        long step = m->key_step > 0 ? m->key_step : 1;
        for (long k = m->first_key; k <= last && k < (long)argc; k += step)
            keys[n++] = (struct command_key){(size_t)k, 0};
    }
    for (int i = 0; i < n; i++)
        if (keys[i].access == 0) keys[i].access = i == 0 ? m->first_access : m->rest_access;
    return n;
}
