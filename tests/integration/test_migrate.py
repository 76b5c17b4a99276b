"""DUMP/RESTORE/MIGRATE between vigil-store and Debian's redis-server (issue #21): MIGRATE both
ways with COPY, REPLACE, AUTH, AUTH2 and KEYS, the target's errors passed back, the timeout
against a port that accepts and never answers, the cached connection, and what RESTORE and
MIGRATE put into the replication stream (an absolute TTL; DEL of the moved keys).

Every process and socket is made here and stopped by the harness; synchronisation is by polling
with a deadline.
"""

import socket

import pytest
import redis

import vigiltest
from vigiltest import wait_until

SYNC_TIMEOUT_S = 20


def _redis(extra=()):
    vigiltest.require_binary(vigiltest.redis_server_path())
    return vigiltest.start_store("redis", name="redis", extra_args=list(extra))


def _vigil(extra=(), name="vigil"):
    return vigiltest.start_store("vigil", name=name, extra_args=list(extra))


def _fill(cli):
    cli.set("str", "hello")
    cli.set("num", 12345)
    cli.set("ttl", "v", px=100000)
    cli.rpush("list", *range(100), "x" * 300)
    cli.sadd("iset", *range(50))
    cli.sadd("set", *["m%d" % i for i in range(200)])
    cli.hset("hash", mapping={"f%d" % i: "v%d" % i for i in range(20)})
    cli.hset("bighash", mapping={"f%d" % i: i for i in range(1000)})
    cli.zadd("zset", {"a": 1.5, "b": -2, "c": 1e100})
    cli.zadd("bigzset", {"m%d" % i: i / 7 for i in range(500)})
    cli.pfadd("hll", *range(2000))
    return ["str", "num", "ttl", "list", "iset", "set", "hash", "bighash", "zset", "bigzset", "hll"]


def _value(cli, key):
    kind = cli.type(key)
    if kind == b"list":
        return cli.lrange(key, 0, -1)
    if kind == b"set":
        return sorted(cli.smembers(key))
    if kind == b"hash":
        return sorted(cli.hgetall(key).items())
    if kind == b"zset":
        return cli.zrange(key, 0, -1, withscores=True)
    return (kind, cli.get(key))


def _migrate(cli, dst, key, db=0, timeout=5000, *opts):
    return cli.execute_command("MIGRATE", dst.host, dst.port, key, db, timeout, *opts)


@pytest.mark.parametrize("direction", ["vigil_to_redis", "redis_to_vigil", "vigil_to_vigil"])
def test_migrate_moves_every_type_with_its_ttl(direction):
    src_kind, dst_kind = {"vigil_to_redis": ("vigil", "redis"), "redis_to_vigil": ("redis", "vigil"),
                          "vigil_to_vigil": ("vigil", "vigil")}[direction]
    src = _redis() if src_kind == "redis" else _vigil(name="src")
    dst = _redis() if dst_kind == "redis" else _vigil(name="dst")
    sc, dc = src.client(), dst.client()
    keys = _fill(sc)
    before = {k: _value(sc, k) for k in keys}
    for k in keys[:4]:  # one at a time
        assert _migrate(sc, dst, k) == b"OK"
    assert _migrate(sc, dst, "", 0, 5000, "KEYS", *keys[4:], "missing") == b"OK"
    assert sc.dbsize() == 0
    assert {k: _value(dc, k) for k in keys} == before
    assert 90000 < dc.pttl("ttl") <= 100000 and dc.pttl("str") == -1
    # and back, into another database, keeping a copy
    d3 = dst.client(db=3)
    assert _migrate(dc, src, "", 3, 5000, "COPY", "KEYS", *keys) == b"OK"
    assert {k: _value(src.client(db=3), k) for k in keys} == before
    assert {k: _value(dc, k) for k in keys} == before and d3.dbsize() == 0
    assert _migrate(sc, dst, "nothing-here") == b"NOKEY"


def test_migrate_replace_and_the_targets_errors():
    src, dst = _vigil(name="src"), _redis()
    sc, dc = src.client(), dst.client()
    sc.set("k", "new")
    dc.set("k", "old")
    with pytest.raises(redis.ResponseError) as err:
        _migrate(sc, dst, "k")
    assert str(err.value) == ("Target instance replied with error: BUSYKEY Target key name "
                              "already exists.")
    assert sc.get("k") == b"new" and dc.get("k") == b"old"
    assert _migrate(sc, dst, "k", 0, 5000, "REPLACE") == b"OK"
    assert dc.get("k") == b"new" and sc.exists("k") == 0
    # one key refused among several: the others move, the first error is the reply
    sc.mset({"a": 1, "b": 2, "c": 3})
    dc.set("b", "taken")
    with pytest.raises(redis.ResponseError, match="BUSYKEY"):
        _migrate(sc, dst, "", 0, 5000, "KEYS", "a", "b", "c")
    assert sc.keys("*") == [b"b"] and dc.mget("a", "b", "c") == [b"1", b"taken", b"3"]
    with pytest.raises(redis.ResponseError, match="value is not an integer"):
        _migrate(sc, dst, "b", 99999999999999999999)
    with pytest.raises(redis.ResponseError, match="ERR DB index is out of range"):
        _migrate(sc, dst, "b", 100)


@pytest.mark.parametrize("dst_kind", ["redis", "vigil"])
def test_migrate_auth_and_auth2(dst_kind):
    src = _vigil(name="src")
    dst = (_redis if dst_kind == "redis" else _vigil)(["--requirepass", "sesame"])
    sc = src.client()
    dc = redis.Redis(host=dst.host, port=dst.port, password="sesame")
    sc.mset({"k1": 1, "k2": 2, "k3": 3})
    with pytest.raises(redis.ResponseError, match="Target instance replied with error: NOAUTH"):
        _migrate(sc, dst, "k1")
    with pytest.raises(redis.ResponseError,
                       match="Target instance replied with error: WRONGPASS"):
        _migrate(sc, dst, "k1", 0, 5000, "AUTH", "wrong")
    assert sc.exists("k1") == 1 and dc.dbsize() == 0
    assert _migrate(sc, dst, "k1", 0, 5000, "AUTH", "sesame") == b"OK"
    assert _migrate(sc, dst, "", 0, 5000, "AUTH2", "default", "sesame", "KEYS", "k2", "k3") == b"OK"
    assert dc.mget("k1", "k2", "k3") == [b"1", b"2", b"3"] and sc.dbsize() == 0


def test_migrate_to_a_port_that_never_answers_times_out_and_keeps_the_key():
    src = _vigil(name="src")
    sc = src.client(socket_timeout=30)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the backlog; nothing is ever read or written
    port = silent.getsockname()[1]
    try:
        sc.set("k", "v")
        with pytest.raises(redis.ResponseError) as err:
            sc.execute_command("MIGRATE", "127.0.0.1", port, "k", 0, 200)
        assert str(err.value) == "IOERR error or timeout reading to target instance"
        assert sc.get("k") == b"v"
    finally:
        silent.close()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()  # nobody listens: refused at the first write, as Redis reports it
    with pytest.raises(redis.ResponseError) as err:
        sc.execute_command("MIGRATE", "127.0.0.1", dead_port, "k", 0, 200)
    assert str(err.value) == "IOERR error or timeout writing to target instance"
    assert sc.get("k") == b"v" and sc.ping()


def test_migrate_reuses_its_connection_and_selected_db():
    src, dst = _vigil(name="src"), _redis()
    sc, dc = src.client(), dst.client()
    before = int(dc.info("stats")["total_connections_received"])
    for i in range(5):
        sc.set("k%d" % i, i)
        assert _migrate(sc, dst, "k%d" % i, 2) == b"OK"
    assert int(dc.info("stats")["total_connections_received"]) == before + 1
    assert dst.client(db=2).dbsize() == 5
    # a target that dropped the cached connection: MIGRATE reconnects once, transparently
    dc.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    sc.set("again", 1)
    assert _migrate(sc, dst, "again", 2) == b"OK"
    assert dst.client(db=2).get("again") == b"1"
    # an idle cached connection is closed after 10 s, as Redis closes its own
    assert any(cl["cmd"] == "restore" for cl in dc.client_list())
    wait_until(lambda: not any(cl["cmd"] == "restore" for cl in dc.client_list()), 30,
               "the cached MIGRATE connection to be closed")


def _info(cli):
    return {k: str(v) for k, v in cli.info("replication").items()}


def test_restore_and_migrate_reach_replicas_as_redis_sends_them():
    master = _vigil(["--repl-diskless-sync-delay", "0"], name="master")
    replica = _redis()  # a real redis-server replica checks the stream's form too
    other = _vigil(name="other")
    mc, rc = master.client(), replica.client()
    assert rc.execute_command("REPLICAOF", master.host, master.port) == b"OK"
    wait_until(lambda: _info(rc).get("master_link_status") == "up", SYNC_TIMEOUT_S, "the link")
    mc.rpush("src", "a", "b")
    payload = mc.dump("src")
    assert mc.restore("copy", 50000, payload) == b"OK"
    mc.set("gone", "x")
    assert mc.restore("gone", 1, payload, replace=True, absttl=True) == b"OK"  # already past
    mc.set("moved", "m")
    assert _migrate(mc, other, "moved") == b"OK"
    mc.set("marker", "done")
    wait_until(lambda: rc.get("marker") == b"done", SYNC_TIMEOUT_S, "the replica to catch up")
    assert rc.lrange("copy", 0, -1) == [b"a", b"b"]
    assert 40000 < rc.pttl("copy") <= 50000  # relative TTL sent as absolute + ABSTTL
    assert rc.exists("gone", "moved") == 0
    assert other.client().get("moved") == b"m"
