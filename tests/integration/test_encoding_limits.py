"""Encoding limits as configuration (set-max-intset-entries, zset-max-listpack-entries,
zset-max-listpack-value, list-max-listpack-size; the hash ones where a snapshot is loaded), with
the focus on what the differential script (tests/compat/diff/zz_encoding_limits.txt) cannot
show: limits given at startup, a replica loading a snapshot under its own limits, and list node
sizes, which OBJECT ENCODING does not report (every list is "quicklist" in Redis 7.0).

The reference is Debian's redis-server 7.0 run side by side with the same arguments: every
OBJECT ENCODING must match. Redis 7.0's loader keeps a value that arrives compact (intset,
listpack) compact unless it has too many entries, whatever its elements' lengths, and treats a
plain one (a set, sorted set or hash the master held as a hashtable or skip list) as if its
elements were added one by one. A Redis master writes both kinds; vigil-store writes only plain.

Synchronisation is by polling with deadlines (vigiltest.wait_until), never a fixed sleep. With
VIGIL_TARGET=redis the side under test is a redis-server too, which validates the tests.
"""

import pytest

import vigiltest
from vigiltest import wait_until

SYNC_TIMEOUT_S = 20

# Small limits for replicas, so that the master's values cross them both ways.
REPLICA_LIMITS = ["--set-max-intset-entries", "4",
                  "--zset-max-listpack-entries", "3", "--zset-max-listpack-value", "5",
                  "--hash-max-listpack-entries", "3", "--hash-max-listpack-value", "5"]


# ---- helpers --------------------------------------------------------------------------------

def start_vigil(extra=(), name="vigil"):
    """The store under test: vigil-store (redis-server with VIGIL_TARGET=redis)."""
    return vigiltest.start_store(vigiltest.target_kind(), name=name, extra_args=list(extra))


def start_redis(extra=(), name="redis"):
    vigiltest.require_binary(vigiltest.redis_server_path())
    return vigiltest.start_store("redis", name=name, extra_args=list(extra))


def call(store, *args):
    conn = store.raw()
    try:
        return conn.call(*args)
    finally:
        conn.close()


def encodings(store, keys):
    conn = store.raw()
    try:
        return {k: conn.call("OBJECT", "ENCODING", k) for k in keys}
    finally:
        conn.close()


def info(store, section):
    text = call(store, "INFO", section).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def wait_synced(master, replica):
    def synced():
        m, r = info(master, "replication"), info(replica, "replication")
        return (r.get("master_link_status") == "up"
                and r.get("slave_repl_offset") == m.get("master_repl_offset"))
    wait_until(synced, SYNC_TIMEOUT_S, "%s to catch up with %s" % (replica.addr, master.addr))


def play(store, commands):
    conn = store.raw()
    try:
        for cmd in commands:
            reply = conn.call(*cmd)
            assert not isinstance(reply, vigiltest.ReplyError), (cmd, reply)
    finally:
        conn.close()


def with_limits(limits, commands):
    """commands run under the given CONFIG SET limits, Redis 7.0's defaults restored after."""
    defaults = [("set-max-intset-entries", "512"), ("zset-max-listpack-entries", "128"),
                ("zset-max-listpack-value", "64"), ("hash-max-listpack-entries", "128"),
                ("hash-max-listpack-value", "64")]
    return ([("CONFIG", "SET", k, v) for k, v in limits] + list(commands)
            + [("CONFIG", "SET", k, v) for k, v in defaults])


# What a master holds, each key built to land on one side of REPLICA_LIMITS after the load.
MASTER_DATA = (
    [("SADD", "iset5", 1, 2, 3, 4, 5),                  # intset, 5 > 4
     ("SADD", "iset3", 1, 2, 3),                        # intset, fits
     ("SADD", "strset", "a", "b"),
     ("ZADD", "zlong", 1, "aaaaaaaaaa"),                # listpack with a 10-byte member
     ("ZADD", "z5", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e"),
     ("HSET", "hlong", "f", "vvvvvvvvvvvvvvvvvv"),       # listpack with an 18-byte value
     ("HSET", "h5", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5),
     ("RPUSH", "list", "a", "b", 1, 2)]
    + with_limits([("set-max-intset-entries", "2")], [("SADD", "htints", 7, 8, 9)])
    + with_limits([("zset-max-listpack-entries", "2")], [("ZADD", "zsl3", 1, "a", 2, "b", 3, "c")])
    + with_limits([("zset-max-listpack-value", "3")], [("ZADD", "zsllong", 1, "a", 2, "bbbbbbb")])
    + with_limits([("hash-max-listpack-entries", "2")], [("HSET", "hht3", "a", 1, "b", 2, "c", 3)])
)
MASTER_KEYS = ["iset5", "iset3", "strset", "zlong", "z5", "hlong", "h5", "list", "htints", "zsl3",
               "zsllong", "hht3"]


# ---- tests ----------------------------------------------------------------------------------

def test_limits_given_at_startup_choose_encodings_as_redis_does():
    args = ["--set-max-intset-entries", "2", "--zset-max-listpack-entries", "2",
            "--zset-max-listpack-value", "4", "--list-max-listpack-size", "3"]
    commands = [("SADD", "s", 1, 2), ("SADD", "s3", 1, 2, 3), ("SADD", "t", "x"),
                ("ZADD", "z", 1, "a", 2, "b"), ("ZADD", "z3", 1, "a", 2, "b", 3, "c"),
                ("ZADD", "zl", 1, "abcde"), ("RPUSH", "l", *range(20)),
                ("ZUNIONSTORE", "zu", 2, "z", "z3"), ("SUNIONSTORE", "su", "s")]
    keys = ["s", "s3", "t", "z", "z3", "zl", "l", "zu", "su"]
    got = {}
    for kind, start in (("vigil", start_vigil), ("redis", start_redis)):
        store = start(args, name=kind)
        play(store, commands)
        got[kind] = encodings(store, keys)
    assert got["vigil"] == got["redis"]
    assert got["redis"]["s"] == b"intset" and got["redis"]["s3"] == b"hashtable"
    assert got["redis"]["z3"] == b"skiplist" and got["redis"]["zu"] == b"skiplist"


@pytest.mark.parametrize("master_kind", ["redis", "vigil"])
def test_replica_loads_a_snapshot_under_its_own_limits(master_kind):
    master = (start_redis(["--repl-diskless-sync-delay", "0"], name="redis-master")
              if master_kind == "redis" else
              start_vigil(["--repl-diskless-sync-delay", "0"], name="vigil-master"))
    play(master, MASTER_DATA)
    if master_kind == "redis":      # compact and plain values on the wire, as intended
        enc = encodings(master, ["iset5", "zlong", "hlong", "htints", "zsl3", "hht3"])
        assert enc == {"iset5": b"intset", "zlong": b"listpack", "hlong": b"listpack",
                       "htints": b"hashtable", "zsl3": b"skiplist", "hht3": b"hashtable"}
    replicas = {"redis": start_redis(REPLICA_LIMITS, name="redis-replica"),
                "vigil": start_vigil(REPLICA_LIMITS, name="vigil-replica")}
    for replica in replicas.values():
        assert call(replica, "REPLICAOF", master.host, str(master.port)) == "OK"
    for replica in replicas.values():
        wait_synced(master, replica)
    got = {kind: encodings(r, MASTER_KEYS) for kind, r in replicas.items()}
    assert got["vigil"] == got["redis"]
    want = {"iset5": b"hashtable", "iset3": b"intset", "htints": b"intset", "z5": b"skiplist",
            "zsl3": b"listpack", "zsllong": b"skiplist", "h5": b"hashtable",
            "hht3": b"listpack", "list": b"quicklist"}
    assert {k: got["redis"][k] for k in want} == want
    if master_kind == "redis":      # a compact value keeps long elements
        assert got["redis"]["zlong"] == b"listpack" and got["redis"]["hlong"] == b"listpack"


def memory_usage(conn, key):
    """MEMORY USAGE over every node (SAMPLES 0): the list's own bytes, counted from its nodes'
    sizes, so it holds wherever used_memory does not follow malloc (under ASan, mallinfo2
    reports nothing)."""
    return conn.call("MEMORY", "USAGE", key, "SAMPLES", "0")


def rpush_many(conn, key, n):
    for start in range(0, n, 1000):
        conn.call("RPUSH", key, *["i%05d" % i for i in range(start, min(n, start + 1000))])


def test_list_node_size_follows_the_config_when_the_list_is_created(store):
    """One entry per node (list-max-listpack-size 1) costs many times 8 KB nodes; a list keeps
    the node size it was created with (Redis 7.0 sets it when the list is created)."""
    conn = store.raw()
    assert conn.call("CONFIG", "SET", "list-max-listpack-size", "-2") == "OK"
    conn.call("RPUSH", "old", "seed")
    rpush_many(conn, "packed", 20000)
    packed = memory_usage(conn, "packed")
    assert conn.call("CONFIG", "SET", "list-max-listpack-size", "1") == "OK"
    rpush_many(conn, "one-per-node", 20000)
    one_per_node = memory_usage(conn, "one-per-node")
    before = memory_usage(conn, "old")
    rpush_many(conn, "old", 20000)
    old_list = memory_usage(conn, "old") - before
    conn.call("CONFIG", "SET", "list-max-listpack-size", "-2")
    assert conn.call("LLEN", "one-per-node") == 20000
    assert conn.call("LINDEX", "one-per-node", -1) == b"i19999"
    assert conn.call("OBJECT", "ENCODING", "one-per-node") == b"quicklist"
    assert one_per_node > 4 * packed, (packed, one_per_node)
    assert old_list < 2 * packed, (packed, old_list)
