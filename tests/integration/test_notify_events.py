"""Keyspace notifications against redis-server 7.0: one command list, both servers, the exact
sequence of messages a PSUBSCRIBE '__key*__:*' client receives compared.

Each family's commands run on one connection while another is subscribed; a PUBLISH on a
marker channel the subscriber also listens to ends the sequence (pub/sub keeps the order, so
every event a command caused arrives before the marker). The sequences are compared in RESP2
(pmessage frames) and, for one family, as RESP3 push frames; the config's normalised text
(CONFIG GET notify-keyspace-events) and its errors byte for byte.
"""

import pytest

import vigiltest

MARKER = "notify-test-end"

STRINGS = [
    ("SET", "s", "1"), ("SET", "s", "2", "NX"), ("SET", "s", "3", "XX", "GET"),
    ("SET", "s2", "v", "EX", "100"), ("SETNX", "s", "x"), ("SETNX", "s3", "x"),
    ("SETEX", "s4", "100", "v"), ("PSETEX", "s5", "100000", "v"), ("GETSET", "s", "9"),
    ("MSET", "m1", "a", "m2", "b"), ("MSETNX", "m1", "x", "m3", "y"), ("MSETNX", "m4", "x"),
    ("APPEND", "s", "tail"), ("APPEND", "ap", "new"), ("SETRANGE", "s", "2", "zz"),
    ("SETRANGE", "sr", "0", ""), ("SETRANGE", "sr", "3", "a"), ("INCR", "n"), ("INCRBY", "n", "5"),
    ("DECR", "n"), ("DECRBY", "n", "2"), ("INCRBYFLOAT", "f", "1.5"), ("GETDEL", "s"),
    ("GETDEL", "nothing"), ("GETEX", "m1", "EX", "50"), ("GETEX", "m1", "PERSIST"),
    ("GETEX", "m2"), ("GETEX", "m2", "PX", "0"), ("SET", "s6", "v", "KEEPTTL"),
    ("SET", "s2", "v", "PX", "0"), ("SETEX", "s4", "0", "v"), ("GETEX", "m3", "EXAT", "1"),
]

KEYS = [
    ("MSET", "a", "1", "b", "2", "c", "3"), ("DEL", "a", "zz"), ("UNLINK", "b"),
    ("SET", "a", "1"), ("RENAME", "a", "r"), ("SET", "x", "1"), ("RENAME", "x", "r"),
    ("RENAMENX", "r", "c"), ("RENAMENX", "r", "q"), ("RENAME", "q", "q"), ("MOVE", "q", "1"),
    ("SET", "q", "1"), ("MOVE", "q", "1"), ("COPY", "c", "c2"), ("COPY", "c", "c2"),
    ("COPY", "c", "c2", "REPLACE"), ("COPY", "c", "c3", "DB", "2"),
    ("EXPIRE", "c", "100"), ("PEXPIRE", "c", "100000"), ("EXPIREAT", "c", "99999999999"),
    ("PEXPIREAT", "c", "99999999999999"), ("EXPIRE", "c", "100", "NX"), ("PERSIST", "c"),
    ("PERSIST", "c"), ("EXPIRE", "c2", "0"), ("PEXPIRE", "c", "-5"), ("EXPIREAT", "c3", "1"),
    ("SET", "e", "1"), ("EXPIRE", "e", "100", "XX"), ("EXPIRE", "e", "10", "GT"),
    ("SET", "t", "1"), ("SELECT", "1"), ("SET", "t", "x"), ("SELECT", "0"), ("SWAPDB", "0", "1"),
    ("SET", "w", "1"), ("SWAPDB", "0", "1"),
]

LISTS = [
    ("RPUSH", "l", "a", "b", "c", "d", "e"), ("LPUSH", "l", "z"), ("LPUSHX", "l", "y"),
    ("LPUSHX", "none", "y"), ("RPUSHX", "l", "w"), ("LINSERT", "l", "BEFORE", "a", "q"),
    ("LINSERT", "l", "AFTER", "nope", "q"), ("LSET", "l", "0", "s"), ("LREM", "l", "0", "q"),
    ("LREM", "l", "0", "nope"), ("LTRIM", "l", "0", "5"), ("LTRIM", "l", "0", "-1"),
    ("LPOP", "l"), ("RPOP", "l", "2"), ("RPOPLPUSH", "l", "l2"), ("LMOVE", "l", "l2", "LEFT",
                                                                   "RIGHT"),
    ("BLMOVE", "l2", "l", "RIGHT", "LEFT", "0"), ("LMPOP", "2", "nope", "l", "LEFT", "COUNT", "1"),
    ("RPUSH", "l2", "p", "q"), ("BLPOP", "l", "0"), ("BRPOP", "l2", "0"),
    ("BRPOPLPUSH", "l2", "l3", "0"), ("LPOP", "l", "9"),
    ("LPOP", "l2", "9"), ("RPUSH", "t", "1"), ("LTRIM", "t", "1", "0"), ("RPUSH", "u", "1", "2"),
    ("LREM", "u", "0", "1"), ("LREM", "u", "0", "2"), ("RPUSH", "v", "1"),
    ("BLMPOP", "0", "1", "v", "RIGHT"), ("RPUSH", "o", "1"), ("RPOPLPUSH", "o", "o"),
    ("LMOVE", "o", "o2", "LEFT", "LEFT"),
]

SETS = [
    ("SADD", "s", "a", "b", "c", "d"), ("SADD", "s", "a"), ("SREM", "s", "a", "zz"),
    ("SREM", "s", "zz"), ("SMOVE", "s", "s2", "b"), ("SMOVE", "s", "s2", "nope"),
    ("SADD", "s3", "c", "x"), ("SINTERSTORE", "d1", "s", "s3"), ("SUNIONSTORE", "d2", "s", "s3"),
    ("SDIFFSTORE", "d3", "s", "s3"), ("SINTERSTORE", "d1", "s", "nope"),
    ("SDIFFSTORE", "d4", "nope", "s"), ("SUNIONSTORE", "d2", "nope"), ("SPOP", "s"),
    ("SPOP", "s3", "5"), ("SPOP", "s2", "0"), ("SADD", "p", "1", "2", "3"), ("SPOP", "p", "1"),
    ("SREM", "p", "1", "2", "3"), ("SADD", "m", "1"), ("SMOVE", "m", "m2", "1"),
    ("SMOVE", "m2", "m2", "1"),
]

HASHES = [
    ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HMSET", "h", "c", "3"),
    ("HSETNX", "h", "a", "x"), ("HSETNX", "h", "z", "x"), ("HINCRBY", "h", "n", "3"),
    ("HINCRBYFLOAT", "h", "f", "1.5"), ("HDEL", "h", "a", "nope"), ("HDEL", "h", "nope"),
    ("HDEL", "h", "b", "c", "z", "n", "f"), ("HDEL", "h", "x"), ("HSETNX", "h2", "a", "1"),
]

ZSETS = [
    ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ("ZADD", "z", "1", "a"),
    ("ZADD", "z", "XX", "9", "zz"), ("ZADD", "z", "INCR", "2", "a"), ("ZADD", "z", "NX", "INCR",
                                                                     "1", "a"),
    ("ZADD", "z", "GT", "CH", "0", "b"), ("ZINCRBY", "z", "1", "b"), ("ZINCRBY", "z2", "1", "q"),
    ("ZREM", "z", "a", "nope"), ("ZREM", "z", "nope"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
    ("ZREMRANGEBYSCORE", "z", "0", "3"), ("ZREMRANGEBYRANK", "z", "0", "0"),
    ("ZADD", "y", "0", "a", "0", "b", "0", "c"), ("ZREMRANGEBYLEX", "y", "[a", "[a"),
    ("ZUNIONSTORE", "u", "2", "z", "y"), ("ZINTERSTORE", "i", "2", "z", "y"),
    ("ZDIFFSTORE", "d", "2", "z", "y"), ("ZRANGESTORE", "r", "z", "0", "-1"),
    ("ZRANGESTORE", "r", "z", "5", "9"), ("ZINTERSTORE", "u", "2", "z", "nope"),
    ("ZPOPMIN", "u"), ("ZPOPMAX", "u", "5"), ("ZPOPMIN", "nope"), ("BZPOPMIN", "y", "0"),
    ("BZPOPMAX", "y", "0"), ("ZMPOP", "1", "i", "MIN", "COUNT", "9"), ("ZADD", "w", "1", "x"),
    ("BZMPOP", "0", "1", "w", "MAX"), ("ZREMRANGEBYRANK", "z2", "0", "-1"),
]

OTHERS = [
    ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SET", "s", "abc"),
    ("BITOP", "AND", "dest", "b", "s"), ("BITOP", "OR", "dest", "nope"),
    ("BITOP", "NOT", "dest2", "nope"), ("PFADD", "p", "a", "b"), ("PFADD", "p", "a"),
    ("PFADD", "p2"), ("PFADD", "p2"), ("PFMERGE", "p3", "p", "p2"), ("PFCOUNT", "p", "p2"),
    ("PFCOUNT", "p"), ("SET", "k", "1"), ("FLUSHDB",), ("SET", "k", "1"), ("FLUSHALL",),
]

SCRIPTS = [
    ("EVAL", "redis.call('SET', KEYS[1], 'v'); redis.call('LPUSH', KEYS[2], 'x');"
     " redis.call('DEL', KEYS[1]); return 1", "2", "a", "b"),
    ("MULTI",), ("SET", "m", "1"), ("INCR", "m"), ("RPUSH", "l", "1"), ("EXEC",),
    ("MULTI",), ("SET", "m", "x"), ("INCR", "m"), ("EXEC",),
]

# Edge cases: writes that change nothing, created keys, zero counts, past expiry times.
EDGES = [
    ("SETBIT", "nb", "0", "0"), ("SETBIT", "nb", "100", "0"), ("SETBIT", "nb", "3", "0"),
    ("APPEND", "nb", ""), ("SETRANGE", "nx", "0", ""), ("SET", "s", "abc"),
    ("SETRANGE", "s", "1", "b"), ("LTRIM", "nol", "0", "1"), ("HSET", "h", "a", "1"),
    ("HSET", "h", "a", "1"), ("SADD", "st", "a"), ("SADD", "st", "a"), ("ZADD", "z", "1", "a"),
    ("ZADD", "z", "1", "a"), ("MSET", "m", "1", "m", "2"), ("SET", "k", "v", "GET"),
    ("SET", "k2", "v", "NX", "GET"), ("GETSET", "k3", "x"), ("INCRBYFLOAT", "f", "0"),
    ("HINCRBY", "h", "a", "0"), ("ZINCRBY", "z", "0", "a"), ("LPUSH", "l", "a"),
    ("LSET", "l", "0", "a"), ("LINSERT", "l", "BEFORE", "a", "a"), ("LREM", "l", "1", "a"),
    ("LPOP", "l", "0"), ("RPOP", "l", "5"), ("ZPOPMIN", "z", "0"), ("SPOP", "st", "0"),
    ("EXPIRE", "nokey", "10"), ("PERSIST", "k"), ("COPY", "k", "k"), ("RENAMENX", "k", "k2"),
    ("MOVE", "k", "0"), ("SINTERSTORE", "st2", "nokey"), ("ZUNIONSTORE", "z2", "1", "z"),
    ("ZUNIONSTORE", "z2", "1", "nokey"), ("PFADD", "hll"), ("PFADD", "hll", "a"),
    ("PFMERGE", "hll2"), ("PFMERGE", "hll2", "hll"), ("BITOP", "NOT", "bn", "s"),
    ("HDEL", "h", "a"), ("SET", "e", "1"), ("EXPIRE", "e", "0"), ("SET", "e2", "1", "EX", "10"),
    ("EXPIREAT", "e2", "0"), ("GETEX", "e2"), ("SET", "e3", "1"), ("GETEX", "e3", "EXAT", "1"),
    ("SET", "e4", "1"), ("GETEX", "e4", "PXAT", "99999999999999"), ("GETDEL", "e4"),
    ("MSETNX", "m", "1"), ("SETEX", "x", "10", "v"), ("SET", "x", "v", "KEEPTTL"),
    ("SET", "x", "v", "PXAT", "99999999999999"), ("SET", "x", "v", "EXAT", "1"),
]

# Geo commands store sorted sets (GEOADD's event is zadd) and SORT ... STORE lists.
GEO_SORT = [
    ("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
    ("GEOADD", "g", "13.361389", "38.115556", "Palermo"),
    ("GEOADD", "g", "XX", "13.0", "38.0", "Palermo"),
    ("GEOADD", "g", "NX", "CH", "13.0", "38.0", "Palermo"),
    ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
    ("GEOSEARCHSTORE", "d2", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "STOREDIST"),
    ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "r1"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "r2"),
    ("GEORADIUSBYMEMBER", "g", "Palermo", "300", "km", "STORE", "r3"),
    ("RPUSH", "l", "3", "1", "2"), ("SORT", "l", "STORE", "s"), ("SORT", "nope", "STORE", "s"),
    ("SORT", "l", "STORE", "s2"), ("SORT", "nope", "STORE", "nothere"),
]

# Streams: xadd, xtrim (XADD's and XTRIM's trims), xdel, xsetid and the xgroup-* events,
# with the consumers XREADGROUP, XCLAIM and XAUTOCLAIM create; XACK, XCLAIM and XAUTOCLAIM
# themselves send nothing.
STREAMS = [
    ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "MAXLEN", "0", "2-1", "a", "1"),
    ("XADD", "s", "3-1", "a", "1"), ("XADD", "s", "4-1", "b", "2"),
    ("XADD", "nokey", "NOMKSTREAM", "1-1", "a", "1"), ("XADD", "s", "1-1", "late", "x"),
    ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "s", "g", "0"),
    ("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"),
    ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c9", "NOACK", "STREAMS", "s", ">"),
    ("XCLAIM", "s", "g", "c2", "0", "3-1", "TIME", "1000"),
    ("XAUTOCLAIM", "s", "g", "c3", "0", "0"), ("XACK", "s", "g", "3-1", "4-1"),
    ("XGROUP", "SETID", "s", "g", "0"), ("XGROUP", "CREATECONSUMER", "s", "g", "c4"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "c4"), ("XGROUP", "DELCONSUMER", "s", "g", "c4"),
    ("XGROUP", "DELCONSUMER", "s", "g", "c4"), ("XSETID", "s", "9-0"),
    ("XDEL", "s", "3-1", "99-9"), ("XDEL", "s", "99-9"), ("XTRIM", "s", "MAXLEN", "0"),
    ("XTRIM", "s", "MAXLEN", "0"), ("XGROUP", "DESTROY", "s", "g"),
    ("XGROUP", "DESTROY", "s", "g"), ("XADD", "t", "MINID", "5", "5-1", "a", "1"),
    ("XADD", "t", "MINID", "6", "6-1", "a", "1"),
]

# Commands whose reply is a random choice: their events (key names only) are still compared.
RANDOM_REPLIES = {"SPOP"}

FAMILIES = {"strings": STRINGS, "keys": KEYS, "lists": LISTS, "sets": SETS, "hashes": HASHES,
            "zsets": ZSETS, "others": OTHERS, "scripts": SCRIPTS, "edges": EDGES,
            "geo_sort": GEO_SORT, "streams": STREAMS}


def _events(store, commands, flags, proto=2):
    """The messages a '__key*__:*' subscriber received while `commands` ran, in order."""
    with store.raw() as sub, store.raw() as cli:
        cli.call("FLUSHALL")
        if proto == 3:
            sub.call("HELLO", "3")
        cli.call("CONFIG", "SET", "notify-keyspace-events", flags, raise_on_error=True)
        sub.call("PSUBSCRIBE", "__key*__:*")
        sub.call("SUBSCRIBE", MARKER)
        replies = [cli.call_bytes(*cmd) for cmd in commands]
        cli.call("PUBLISH", MARKER, "end")
        msgs = []
        while True:
            frame = sub.read_reply_bytes()
            if MARKER.encode() in frame:
                break
            msgs.append(frame)
        cli.call("CONFIG", "SET", "notify-keyspace-events", "")
        cli.call("FLUSHALL")
        return replies, msgs


def _compare(store, redis_store, commands, flags, proto=2):
    ours_replies, ours = _events(store, commands, flags, proto)
    theirs_replies, theirs = _events(redis_store, commands, flags, proto)
    for cmd, a, b in zip(commands, ours_replies, theirs_replies):
        if cmd[0] not in RANDOM_REPLIES:
            assert a == b, "reply to %r differs" % (cmd,)
    assert theirs, "redis-server sent no event: the command list tests nothing"
    assert ours == theirs


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_events_of_each_family_match_redis(store, redis_store, family):
    _compare(store, redis_store, FAMILIES[family], "KEA")


@pytest.mark.parametrize("family", ["strings", "keys", "lists", "zsets", "streams"])
def test_new_key_events_match_redis(store, redis_store, family):
    _compare(store, redis_store, FAMILIES[family], "KEAn")


def test_one_class_only_match_redis(store, redis_store):
    _compare(store, redis_store, STRINGS + LISTS, "E$")
    _compare(store, redis_store, KEYS + SETS, "Kgs")


def test_resp3_push_frames_match_redis(store, redis_store):
    _compare(store, redis_store, LISTS, "KEA", proto=3)


MISSES = [
    ("GET", "nope"), ("SET", "k", "1"), ("GET", "k"), ("EXISTS", "nope"), ("TYPE", "nope"),
    ("LRANGE", "nope", "0", "-1"), ("HGET", "nope", "f"), ("SMEMBERS", "nope"), ("TTL", "nope"),
    ("MGET", "k", "nope", "nope2"), ("STRLEN", "nope"), ("ZSCORE", "nope", "a"),
    ("OBJECT", "ENCODING", "nope"), ("DUMP", "nope"), ("INCR", "nope"), ("GETEX", "gone"),
    ("LPOP", "nope"), ("PFCOUNT", "nope"), ("GETBIT", "nope", "1"), ("BITCOUNT", "nope"),
]


def test_key_miss_events_match_redis(store, redis_store):
    commands = [cmd for cmd in MISSES if cmd[0] != "DUMP"]  # DUMP is another helper's
    _compare(store, redis_store, commands, "KEm")
    _compare(store, redis_store, commands, "KEAm")


def _expired_events(store):
    with store.raw() as sub, store.raw() as cli:
        cli.call("CONFIG", "SET", "notify-keyspace-events", "Ex")
        sub.call("SUBSCRIBE", "__keyevent@0__:expired")
        cli.call("SET", "lazy", "1", "PX", "1")
        cli.call("SET", "active", "1", "PX", "1")
        # The lazy one is found expired by a read; the active one by the expire cycle.
        vigiltest.wait_until(lambda: cli.call("PTTL", "lazy") == -2, 10, "lazy to be past its TTL")
        got = {sub.read_reply()[2], sub.read_reply(timeout_s=10)[2]}
        cli.call("CONFIG", "SET", "notify-keyspace-events", "")
        return got


def test_expired_events_from_lazy_and_active_expiry(store, redis_store):
    assert _expired_events(store) == _expired_events(redis_store) == {b"lazy", b"active"}


def _evicted_events(store):
    with store.raw() as sub, store.raw() as cli:
        cli.call("CONFIG", "SET", "notify-keyspace-events", "Ee")
        sub.call("SUBSCRIBE", "__keyevent@0__:evicted")
        used = int(dict(line.split(":", 1) for line in cli.call("INFO", "memory").decode()
                        .splitlines() if ":" in line)["used_memory"])
        cli.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        cli.call("CONFIG", "SET", "maxmemory", str(used + 200000))
        for i in range(400):
            cli.call("SET", "k%d" % i, "x" * 2000)
        frame = sub.read_reply(timeout_s=10)
        cli.call("CONFIG", "SET", "maxmemory", "0")
        cli.call("CONFIG", "SET", "notify-keyspace-events", "")
        return frame[:2]


def test_evicted_events(store, redis_store):
    assert _evicted_events(store) == _evicted_events(redis_store) == [
        b"message", b"__keyevent@0__:evicted"]


CONFIG_VALUES = ["KEA", "A", "Ex", "gx", "KA", "AKn", "Knm", "", "KEAd", "xg$", "Z", "Kd",
                 "g$lshzxet", "g$lshzxetd", "EEEK", "mn", "e", "t", "Kl$shz", "A ", "\x00"]


def test_config_text_normalised_as_redis(store, redis_store):
    name = "notify-keyspace-events"
    assert (vigiltest.config_set_replies(store, name, CONFIG_VALUES)
            == vigiltest.config_set_replies(redis_store, name, CONFIG_VALUES))


def test_config_from_the_command_line_and_rewrite(proc_group):
    ours = vigiltest.start_store("vigil", extra_args=["--notify-keyspace-events", "ExK"],
                                 group=proc_group)
    with ours.raw() as conn:
        assert conn.call("CONFIG", "GET", "notify-keyspace-events") == [
            b"notify-keyspace-events", b"xKE"]
        assert conn.call("CONFIG", "SET", "notify-keyspace-events", "lE") == "OK"
        assert conn.call("CONFIG", "REWRITE") == "OK"
    ours.stop()
    again = vigiltest.start_store("vigil", port=ours.port, extra_args=[], group=proc_group,
                                  data_dir=ours.dir)
    with again.raw() as conn:
        assert conn.call("CONFIG", "GET", "notify-keyspace-events") == [
            b"notify-keyspace-events", b"lE"]


def _blocked_served_events(store):
    """A BLPOP / BZPOPMIN / BLMOVE client blocked, then served by a push from another client."""
    with store.raw() as sub, store.raw() as cli, store.raw() as blocked:
        cli.call("FLUSHALL")
        cli.call("CONFIG", "SET", "notify-keyspace-events", "KEAn")
        sub.call("PSUBSCRIBE", "__key*__:*")
        sub.call("SUBSCRIBE", MARKER)
        served = []
        for block, wake in ((("BLPOP", "q", "0"), ("RPUSH", "q", "x")),
                            (("BZPOPMIN", "z", "0"), ("ZADD", "z", "1", "a")),
                            (("BLMOVE", "s", "d", "LEFT", "RIGHT", "0"), ("LPUSH", "s", "1", "2"))):
            blocked.send_command(*block)
            vigiltest.wait_until(
                lambda: b"blocked_clients:1" in cli.call("INFO", "clients"), 10, "the block")
            cli.call(*wake)
            served.append(blocked.read_reply_bytes())
        cli.call("PUBLISH", MARKER, "end")
        msgs = []
        while MARKER.encode() not in (frame := sub.read_reply_bytes()):
            msgs.append(frame)
        cli.call("CONFIG", "SET", "notify-keyspace-events", "")
        return served, msgs


def test_events_of_a_served_blocked_client_match_redis(store, redis_store):
    ours, theirs = _blocked_served_events(store), _blocked_served_events(redis_store)
    assert theirs[1]
    assert ours == theirs


def test_restore_and_bitfield_events_match_redis(store, redis_store):
    """RESTORE (with REPLACE, a TTL, and a deadline already past) and BITFIELD, whose calls
    came from the DUMP/BITFIELD work: the payload is redis-server's own DUMP of a string."""
    with redis_store.raw() as r:
        r.call("SET", "src", "hello")
        payload = r.call("DUMP", "src")
        r.call("DEL", "src")
    commands = [
        ("RESTORE", "k", "0", payload), ("RESTORE", "k", "0", payload),
        ("RESTORE", "k", "0", payload, "REPLACE"), ("RESTORE", "t", "100000", payload),
        ("RESTORE", "k", "1", payload, "REPLACE", "ABSTTL"),
        ("BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0"),
        ("BITFIELD", "bf", "INCRBY", "u8", "0", "1"), ("BITFIELD", "bf", "GET", "u8", "0"),
        ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
    ]
    _compare(store, redis_store, commands, "KEA")
