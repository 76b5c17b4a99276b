"""Replication between real processes (docs/replication.md): a master and its replicas on
127.0.0.1, driven over RESP.

What is covered: every value type reaching two replicas, WAIT, partial resync after a replica
was away, promotion with REPLICAOF NO ONE followed by a partial resync of the sibling, a backlog
overflow forcing a full resync, min-replicas-to-write, FAILOVER under a write load, and the
byte-level shape of ROLE and INFO replication. Interoperability with Debian's redis-server and a
corrupt snapshot are in test_replication_interop.py.

Synchronisation is by polling with deadlines (vigiltest.wait_until), never a fixed sleep. A
"stopped" replica is SIGSTOPped and its connection killed on the master, so it comes back with
its history intact (there is no persistence to survive a real restart).
"""

import os
import signal
import threading

import pytest

import vigiltest
from vigiltest import procs, wait_until

SYNC_TIMEOUT_S = 20


# ---- helpers --------------------------------------------------------------------------------

def call_raw(client, *args):
    """A command through redis-py's connection, reply unparsed by redis-py's callbacks."""
    conn = client.connection_pool.get_connection(args[0])
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        client.connection_pool.release(conn)


def info(client, section="replication"):
    """INFO as {field: text} (redis-py's own parsing would turn replid2 "000..." into 0)."""
    raw = call_raw(client, "INFO", section)
    text = raw.decode() if isinstance(raw, bytes) else raw
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            out[key] = value
    return out


def start(extra=(), name=None):
    return vigiltest.start_store(vigiltest.target_kind(), name=name,
                                 extra_args=["--repl-diskless-sync-delay", "0"] + list(extra))


def replicate(replica, master):
    assert replica.client().execute_command("REPLICAOF", master.host, master.port) == b"OK"


def wait_synced(master, *replicas):
    vigiltest.wait_synced(master, *replicas, require_offset=True)


def topology(nreplicas=2, master_args=(), replica_args=()):
    master = start(master_args, name="master")
    replicas = [start(replica_args, name="replica%d" % i) for i in range(nreplicas)]
    for r in replicas:
        replicate(r, master)
    master.client().set("topology:ready", "1")
    wait_synced(master, *replicas)
    return master, replicas


def stats(client):
    s = info(client, "stats")
    return int(s["sync_full"]), int(s["sync_partial_ok"]), int(s["sync_partial_err"])


def has_command(client, name):
    reply = call_raw(client, "COMMAND", "INFO", name)
    return bool(reply) and reply[0] is not None


def dump_value(client, key):
    kind = client.type(key).decode()
    if kind == "string":
        return kind, client.get(key)
    if kind == "hash":
        return kind, sorted(client.hgetall(key).items())
    if kind == "list":
        return kind, client.lrange(key, 0, -1)
    if kind == "set":
        return kind, sorted(client.smembers(key))
    if kind == "zset":
        return kind, client.zrange(key, 0, -1, withscores=True)
    return kind, None


def dump_dataset(client, dbs=range(16)):
    """{(db, key): (type, value, has_ttl)} for every key of every db."""
    out = {}
    for db in dbs:
        client.execute_command("SELECT", db)
        for key in client.scan_iter(count=1000):
            kind, value = dump_value(client, key)
            out[(db, key)] = (kind, value, client.pttl(key) > 0)
    client.execute_command("SELECT", 0)
    return out


def write_every_type(client, prefix="t"):
    """Writes through every family the server has; returns the families used."""
    p = client.pipeline(transaction=False)
    p.set(prefix + ":str", "v")
    p.set(prefix + ":ttl", "v", px=600000)
    p.incr(prefix + ":counter")
    p.incrbyfloat(prefix + ":float", 1.5)
    p.append(prefix + ":str", "+more")
    p.hset(prefix + ":hash", mapping={"a": "1", "b": "2"})
    p.hincrby(prefix + ":hash", "a", 5)
    p.set(prefix + ":gone", "x")
    p.delete(prefix + ":gone")
    p.set(prefix + ":expire", "x")
    p.expire(prefix + ":expire", 600)
    p.execute()
    with client.pipeline(transaction=True) as tx:
        tx.set(prefix + ":tx1", "1")
        tx.hset(prefix + ":txh", "f", "v")
        tx.execute()
    families = ["string", "hash"]
    if has_command(client, "rpush"):
        client.rpush(prefix + ":list", "a", "b", "c")
        client.lpush(prefix + ":list", "z")
        families.append("list")
    if has_command(client, "sadd"):
        client.sadd(prefix + ":set", "x", "y", "z", "1", "2")
        client.srem(prefix + ":set", "y")
        families.append("set")
    if has_command(client, "zadd"):
        client.zadd(prefix + ":zset", {"a": 1, "b": 2.5, "c": -3})
        client.zincrby(prefix + ":zset", 10, "a")
        families.append("zset")
    client.execute_command("SELECT", 5)
    client.set(prefix + ":db5", "five")
    client.execute_command("SELECT", 0)
    return families


# ---- tests ----------------------------------------------------------------------------------

def test_writes_of_every_type_reach_both_replicas():
    master, replicas = topology()
    mc = master.client()
    families = write_every_type(mc)
    wait_synced(master, *replicas)
    expected = dump_dataset(mc)
    assert ("string", b"v+more", False) == expected[(0, b"t:str")]
    assert expected[(5, b"t:db5")][1] == b"five"
    assert expected[(0, b"t:ttl")][2] is True
    for kind in families:
        assert any(v[0] == kind for v in expected.values()), kind
    for r in replicas:
        assert dump_dataset(r.client()) == expected


def test_wait_returns_the_number_of_replicas_that_acknowledged():
    master, replicas = topology()
    mc = master.client()
    mc.set("w:1", "1")
    assert mc.execute_command("WAIT", 2, 1000) == 2
    replicas[1].proc.signal(signal.SIGSTOP)
    try:
        mc.set("w:2", "2")
        assert mc.execute_command("WAIT", 2, 1000) == 1
        assert mc.execute_command("WAIT", 1, 0) == 1
    finally:
        replicas[1].proc.signal(signal.SIGCONT)
    wait_synced(master, *replicas)
    assert mc.execute_command("WAIT", 2, 1000) == 2


def test_wait_on_a_replica_is_an_error():
    master, replicas = topology(nreplicas=1)
    with pytest.raises(Exception, match="WAIT cannot be used with replica instances"):
        replicas[0].client().execute_command("WAIT", 1, 100)


def test_replica_back_after_10000_writes_resyncs_partially():
    master, replicas = topology()
    mc = master.client()
    full0, partial0, _ = stats(mc)
    away = replicas[0]
    away.proc.signal(signal.SIGSTOP)
    try:
        assert mc.execute_command("CLIENT", "KILL", "TYPE", "replica") == 2
        p = mc.pipeline(transaction=False)
        for i in range(10000):
            p.set("k:%d" % i, i)
        p.execute()
    finally:
        away.proc.signal(signal.SIGCONT)
    wait_synced(master, *replicas)
    full1, partial1, _ = stats(mc)
    assert full1 == full0, "a replica fell back to a full resync"
    assert partial1 >= partial0 + 2   # both links were killed; both continued
    assert away.client().dbsize() == mc.dbsize()
    assert away.client().get("k:9999") == b"9999"


def test_promoted_replica_serves_its_sibling_a_partial_resync():
    master, (a, b) = topology()
    mc = master.client()
    for i in range(500):
        mc.set("p:%d" % i, i)
    wait_synced(master, a, b)
    old_replid = info(mc)["master_replid"]
    master.stop()
    ac = a.client()
    old = info(ac)   # what A had applied when its master went away
    assert ac.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
    ai = info(ac)
    assert ai["role"] == "master"
    assert ai["master_replid2"] == old_replid == old["master_replid"]
    assert int(ai["second_repl_offset"]) == int(old["master_repl_offset"]) + 1
    replicate(b, a)
    ac.set("after:promotion", "1")
    wait_synced(a, b)
    full, partial, _ = stats(ac)
    assert full == 0 and partial == 1
    assert b.client().get("after:promotion") == b"1"
    assert b.client().dbsize() == ac.dbsize()
    assert info(b.client())["master_replid"] == ai["master_replid"]


def test_overflowing_the_backlog_forces_a_full_resync():
    master, (r,) = topology(nreplicas=1, master_args=["--repl-backlog-size", "16kb"])
    mc = master.client()
    full0, _, err0 = stats(mc)
    r.proc.signal(signal.SIGSTOP)
    try:
        assert mc.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
        p = mc.pipeline(transaction=False)
        for i in range(2000):
            p.set("big:%d" % i, "x" * 50)
        p.execute()
    finally:
        r.proc.signal(signal.SIGCONT)
    wait_synced(master, r)
    full1, _, err1 = stats(mc)
    assert full1 == full0 + 1
    assert err1 == err0 + 1
    assert r.client().dbsize() == mc.dbsize()


def test_min_replicas_to_write_refuses_writes_without_good_replicas():
    master, replicas = topology()
    mc = master.client()
    mc.config_set("min-replicas-max-lag", "10")
    mc.config_set("min-replicas-to-write", "1")
    assert mc.set("mr:1", "1") is True
    assert info(mc)["min_slaves_good_slaves"] == "2"
    for r in replicas:
        r.stop()
    wait_until(lambda: info(mc)["connected_slaves"] == "0", 10, "the master to see both replicas go")
    conn = master.raw()
    assert conn.call_bytes("SET", "mr:2", "2") == b"-NOREPLICAS Not enough good replicas to write.\r\n"
    assert conn.call("GET", "mr:1") == b"1"


def test_failover_under_write_load_loses_no_acknowledged_write():
    master, (a, b) = topology()
    acked, errors, stop = {}, [], threading.Event()

    def writer():
        cli = master.client(socket_timeout=10)
        i = 0
        while not stop.is_set():
            i += 1
            try:
                if cli.set("fo:%d" % i, i):
                    acked[i] = True
            except Exception as exc:   # noqa: BLE001 - READONLY/NOREPLICAS expected
                errors.append("%s %s" % (type(exc).__name__, exc))

    t = threading.Thread(target=writer)
    t.start()
    try:
        wait_until(lambda: len(acked) > 200, 10, "writes to flow")
        assert master.client().execute_command("FAILOVER", "TO", a.host, a.port,
                                               "TIMEOUT", 10000) == b"OK"
        wait_until(lambda: info(master.client())["master_failover_state"] == "no-failover"
                   and info(master.client())["role"] == "slave", 20, "the failover to finish")
        wait_until(lambda: any("ReadOnlyError" in e for e in errors), 10,
                   "writes to the demoted master to fail with READONLY")
    finally:
        stop.set()
        t.join(30)
    ac = a.client()
    assert info(ac)["role"] == "master"
    assert info(master.client())["master_port"] == str(a.port)
    missing = [i for i in acked if ac.get("fo:%d" % i) != str(i).encode()]
    assert missing == []
    # The old master follows the new one; the other replica still follows the old master.
    ac.set("fo:after", "1")
    wait_synced(a, master)
    wait_synced(master, b)
    assert b.client().get("fo:after") == b"1"


def test_role_and_info_replication_have_redis_shape():
    master, (r,) = topology(nreplicas=1)
    conn = master.raw()
    wait_until(lambda: int(conn.call("ROLE")[2][0][2]) > 0, 10, "the replica's first ACK")
    role = conn.call("ROLE")
    assert role[0] == b"master" and isinstance(role[1], int)
    assert len(role[2]) == 1
    ip, port, off = role[2][0]
    assert ip == b"127.0.0.1" and port == str(r.port).encode() and int(off) > 0
    rrole = r.raw().call("ROLE")
    assert rrole[:4] == [b"slave", b"127.0.0.1", master.port, b"connected"]
    assert isinstance(rrole[4], int)
    text = call_raw(r.client(), "INFO", "replication").decode()
    keys = [line.split(":")[0] for line in text.splitlines() if ":" in line]
    assert keys[:13] == ["role", "master_host", "master_port", "master_link_status",
                         "master_last_io_seconds_ago", "master_sync_in_progress",
                         "slave_read_repl_offset", "slave_repl_offset", "slave_priority",
                         "slave_read_only", "replica_announced", "connected_slaves",
                         "master_failover_state"]
    assert "master_link_down_since_seconds" not in keys
    mtext = call_raw(master.client(), "INFO", "replication").decode()
    assert "slave0:ip=127.0.0.1,port=%d,state=online,offset=" % r.port in mtext
    master.stop()
    wait_until(lambda: info(r.client())["master_link_status"] == "down", 10, "the link to drop")
    ri = info(r.client())
    assert "master_link_down_since_seconds" in ri
    assert r.raw().call_bytes("SET", "x", "1") == \
        b"-READONLY You can't write against a read only replica.\r\n"


def test_replicaof_replies_and_errors():
    master, (r,) = topology(nreplicas=1)
    c = r.raw()
    assert c.call_bytes("REPLICAOF", master.host, master.port) == \
        b"+OK Already connected to specified master\r\n"
    assert c.call_bytes("REPLICAOF", master.host, "70000") == b"-ERR Invalid master port\r\n"
    assert c.call_bytes("SLAVEOF", "no", "one") == b"+OK\r\n"
    assert c.call_bytes("SLAVEOF", "NO", "ONE") == b"+OK\r\n"
    assert info(r.client())["role"] == "master"


def test_disk_based_full_sync_serves_replicas_as_sized_payloads():
    master = start(["--repl-diskless-sync", "no"], name="master")
    mc = master.client()
    for i in range(2000):
        mc.hset("disk:h%d" % (i % 50), "f%d" % i, i)
        mc.set("disk:s%d" % i, "v" * (i % 300))
    replicas = [start(name="replica%d" % i) for i in range(2)]
    for r in replicas:
        replicate(r, master)
    mc.set("disk:after", "1")
    wait_synced(master, *replicas)
    expected = dump_dataset(mc)
    for r in replicas:
        assert dump_dataset(r.client()) == expected
    assert stats(mc)[0] == 2


# ---- interoperability with Debian's redis-server ----------------------------------------------

def start_redis(extra=(), name="redis"):
    vigiltest.require_binary(vigiltest.redis_server_path())
    return vigiltest.start_store("redis", name=name, extra_args=list(extra))


def wait_redis_synced(master, replica):
    """redis-server ACKs once a second: compare what it applied with the master's offset."""
    vigiltest.wait_synced(master, replica, what="redis-server %s to catch up" % replica.addr,
                          require_offset=True)


def test_redis_server_replicates_from_vigil_store():
    master = start(name="vigil-master")
    mc = master.client()
    families = write_every_type(mc, "pre")
    for i in range(300):
        mc.hset("pre:bighash", "field:%d" % i, "x" * (i % 80))
        mc.set("pre:k%d" % i, i, px=600000 if i % 3 == 0 else None)
    replica = start_redis(name="redis-replica")
    replicate(replica, master)
    wait_redis_synced(master, replica)
    assert dump_dataset(replica.client()) == dump_dataset(mc)
    write_every_type(mc, "post")           # the stream after the snapshot
    mc.delete("pre:k1")
    mc.pexpire("pre:k2", 500000)
    wait_redis_synced(master, replica)
    got, want = dump_dataset(replica.client()), dump_dataset(mc)
    assert got == want
    assert {v[0] for v in want.values()} >= set(families)


def test_vigil_store_replicates_from_redis_server():
    master = start_redis(["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"],
                         name="redis-master")
    rc = master.client()
    rc.execute_command("DEBUG", "POPULATE", 2000, "pop", 20)
    rc.rpush("r:list", *["e%d" % i for i in range(300)])
    rc.rpush("r:small", "a", "b", "1")
    rc.sadd("r:intset", 1, 2, 3, 99)
    rc.sadd("r:set", *["m%d" % i for i in range(200)])
    rc.sadd("r:smallset", "x", "y")
    rc.zadd("r:zset", {"m%d" % i: i / 3 for i in range(200)})
    rc.zadd("r:smallz", {"a": 1.5, "b": -2})
    rc.hset("r:hash", mapping={"f%d" % i: "v" * i for i in range(150)})
    rc.hset("r:smallh", mapping={"a": "1", "b": "2"})
    rc.set("r:int", 12345)
    rc.set("r:long", "L" * 5000)
    rc.set("r:ttl", "t", px=600000)
    rc.execute_command("SELECT", 3)
    rc.set("r:db3", "three")
    rc.execute_command("SELECT", 0)
    replica = start(name="vigil-replica")
    replicate(replica, master)
    vc = replica.client()
    wait_until(lambda: info(vc)["master_link_status"] == "up", SYNC_TIMEOUT_S, "the link")
    rc.set("r:stream", "after")
    wait_until(lambda: vc.get("r:stream") == b"after", SYNC_TIMEOUT_S, "the stream")
    assert vc.dbsize() == rc.dbsize()
    readable = {"string", "hash"} | {k for k, cmd in (("list", "lrange"), ("set", "smembers"),
                                                       ("zset", "zrange"))
                                     if has_command(vc, cmd)}
    want = dump_dataset(rc)
    for (db, key), value in want.items():
        vc.execute_command("SELECT", db)
        assert vc.type(key).decode() == value[0], key
        if value[0] in readable:
            assert dump_value(vc, key) == value[:2], key
        assert (vc.pttl(key) > 0) == value[2], key
    vc.execute_command("SELECT", 0)


# ---- a corrupt snapshot from a fake master ------------------------------------------------------

def crc64_jones(data, crc=0):
    poly = 0x95AC9329AC4BC9B5   # 0xad93d23594c935a9 reflected
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + n.to_bytes(4, "big")


def rdb_str(s):
    s = s.encode() if isinstance(s, str) else s
    return rdb_len(len(s)) + s


def make_rdb(pairs, corrupt=False):
    body = b"REDIS0009" + b"\xfa" + rdb_str("redis-ver") + rdb_str("7.0.0")
    body += b"\xfe\x00\xfb" + rdb_len(len(pairs)) + rdb_len(0)
    for k, v in pairs:
        body += b"\x00" + rdb_str(k) + rdb_str(v)
    body += b"\xff"
    crc = crc64_jones(body)
    if corrupt:
        crc ^= 0xFF
    return body + crc.to_bytes(8, "little")


class FakeMaster:
    """Speaks just enough of a master's side: the handshake, then +FULLRESYNC and the snapshot
    chosen by the connection's number (the last one repeats), then an optional stream."""

    def __init__(self, snapshots, stream=b""):
        import socket
        self.snapshots = snapshots
        self.stream = stream
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.psyncs = []
        self.conns = []
        self.closed = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_command(self, f):
        line = f.readline()
        if not line:
            return None
        n = int(line[1:])
        args = []
        for _ in range(n):
            size = int(f.readline()[1:])
            args.append(f.read(size + 2)[:-2])
        return args

    def _serve(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._handle, args=(conn, len(self.conns)), daemon=True).start()

    def _handle(self, conn, number):
        f = conn.makefile("rb")
        try:
            while True:
                args = self._read_command(f)
                if args is None:
                    return
                cmd = args[0].upper()
                if cmd == b"PING":
                    conn.sendall(b"+PONG\r\n")
                elif cmd == b"PSYNC":
                    self.psyncs.append(args[1:])
                    payload = self.snapshots[min(number, len(self.snapshots)) - 1]
                    # Later histories start ahead of anything served before: a replica
                    # holding data refuses a new history that is not past its offset.
                    offset = 0 if number == 1 else 1000000 * number
                    conn.sendall(b"+FULLRESYNC %s %d\r\n" % (b"%040d" % number, offset))
                    conn.sendall(b"$%d\r\n" % len(payload) + payload + self.stream)
                elif cmd == b"REPLCONF" and args[1].upper() == b"ACK":
                    pass
                else:
                    conn.sendall(b"+OK\r\n")
        except OSError:
            return

    def drop_connections(self):
        for c in self.conns:
            try:
                c.shutdown(2)
                c.close()
            except OSError:
                pass

    def close(self):
        self.closed = True
        self.drop_connections()
        self.sock.close()


def test_corrupt_snapshot_keeps_the_old_data_and_retries():
    if vigiltest.target_kind() == "redis":
        pytest.skip("redis-server empties its dataset before loading a disk-based payload")
    good = make_rdb([("old", "1"), ("other", "2")])
    bad = make_rdb([("new", "x")], corrupt=True)
    stream = b"*3\r\n$3\r\nSET\r\n$8\r\nstream:1\r\n$1\r\nv\r\n"
    fake = FakeMaster([good, bad], stream=stream)
    try:
        replica = start(name="replica")
        c = replica.client()
        c.execute_command("REPLICAOF", "127.0.0.1", fake.port)
        wait_until(lambda: c.get("stream:1") == b"v", SYNC_TIMEOUT_S, "the good snapshot and stream")
        assert c.get("old") == b"1"
        fake.drop_connections()
        wait_until(lambda: len(fake.conns) >= 3, SYNC_TIMEOUT_S,
                   "the replica to retry after the corrupt snapshot")
        # The second PSYNC continued the first history; the bad payload changed nothing.
        assert fake.psyncs[1] == [b"%040d" % 1, str(len(stream) + 1).encode()]
        assert c.get("old") == b"1" and c.get("stream:1") == b"v" and c.get("new") is None
        assert info(c, "persistence")["loading"] == "0"
        assert "CRC" in replica.proc.log_text() or "checksum" in replica.proc.log_text().lower()
    finally:
        fake.close()


# ---- edges ---------------------------------------------------------------------------------------

def test_chained_replica_gets_the_masters_stream_byte_for_byte():
    master, (a,) = topology(nreplicas=1)
    b = start(name="sub-replica")
    replicate(b, a)
    mc = master.client()
    write_every_type(mc)
    wait_synced(master, a)
    wait_synced(master, b)   # same offsets: a forwards the master's bytes verbatim
    assert info(b.client())["master_replid"] == info(mc)["master_replid"]
    assert dump_dataset(b.client()) == dump_dataset(mc)


def test_psync_to_a_replica_with_its_link_down_is_refused():
    master, (a,) = topology(nreplicas=1)
    master.stop()
    wait_until(lambda: info(a.client())["master_link_status"] == "down", 10, "the link to drop")
    conn = a.raw()
    assert conn.call_bytes("PSYNC", "?", "-1") == \
        b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n"


def test_replica_sending_a_bad_replconf_is_disconnected():
    if vigiltest.target_kind() == "redis":
        pytest.skip("Vigil's own rule: redis-server ignores a malformed REPLCONF ACK")
    master, _ = topology(nreplicas=0)
    conn = master.raw()
    assert conn.call_bytes("REPLCONF", "listening-port", "1234") == b"+OK\r\n"
    assert conn.call_bytes("REPLCONF", "bogus", "1") == \
        b"-ERR Unrecognized REPLCONF option: bogus\r\n"
    conn.send_command("PSYNC", "?", "-1")
    assert conn.read_reply_bytes(timeout_s=10).startswith(b"+FULLRESYNC ")
    conn.send_command("REPLCONF", "ACK", "not-a-number")
    with pytest.raises(vigiltest.ConnectionClosed):
        while True:
            conn.read_reply_bytes(timeout_s=10)   # snapshot bytes, then the close


def test_failover_times_out_and_resumes_writes_when_the_target_lags():
    master, (a,) = topology(nreplicas=1)
    mc = master.client()
    a.proc.signal(signal.SIGSTOP)
    try:
        mc.set("lag:1", "1")
        assert mc.execute_command("FAILOVER", "TO", a.host, a.port, "TIMEOUT", 300) == b"OK"
        assert info(mc)["master_failover_state"] == "waiting-for-sync"
        raw = master.raw()
        assert raw.call_bytes("FAILOVER") == b"-ERR FAILOVER already in progress.\r\n"
        wait_until(lambda: info(mc)["master_failover_state"] == "no-failover", 10,
                   "the failover to time out")
    finally:
        a.proc.signal(signal.SIGCONT)
    assert info(mc)["role"] == "master"
    assert mc.set("lag:2", "2") is True


def test_failover_abort_and_argument_errors():
    master, (a,) = topology(nreplicas=1)
    raw = master.raw()
    assert raw.call_bytes("FAILOVER", "ABORT") == b"-ERR No failover in progress.\r\n"
    assert raw.call_bytes("FAILOVER", "TO", "127.0.0.1", 1) == \
        b"-ERR FAILOVER target HOST and PORT is not a replica.\r\n"
    assert raw.call_bytes("FAILOVER", "FORCE") == \
        b"-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n"
    assert raw.call_bytes("FAILOVER", "TIMEOUT", 0) == \
        b"-ERR FAILOVER timeout must be greater than 0\r\n"
    assert raw.call_bytes("FAILOVER", "BOGUS") == b"-ERR syntax error\r\n"
    assert a.raw().call_bytes("FAILOVER") == b"-ERR FAILOVER is not valid when server is a replica.\r\n"
    a.proc.signal(signal.SIGSTOP)
    try:
        assert raw.call_bytes("FAILOVER", "TIMEOUT", 60000) == b"+OK\r\n"
        assert raw.call_bytes("REPLICAOF", "127.0.0.1", a.port) == \
            b"-ERR REPLICAOF not allowed while failing over.\r\n"
        assert raw.call_bytes("FAILOVER", "ABORT") == b"+OK\r\n"
    finally:
        a.proc.signal(signal.SIGCONT)
    assert info(master.client())["master_failover_state"] == "no-failover"
    assert master.client().set("after:abort", "1") is True


def test_master_with_a_password_needs_masterauth():
    master = start(["--requirepass", "s3cret"], name="master")
    mc = master.client(password="s3cret")
    mc.set("auth:1", "1")
    good = start(["--masterauth", "s3cret"], name="good")
    bad = start(["--masterauth", "wrong"], name="bad")
    replicate(good, master)
    replicate(bad, master)
    wait_until(lambda: good.client().get("auth:1") == b"1", SYNC_TIMEOUT_S, "the good replica")
    assert info(bad.client())["master_link_status"] == "down"
    assert bad.client().get("auth:1") is None


def test_replicaof_is_kept_in_the_config_for_config_rewrite():
    if vigiltest.target_kind() == "redis":
        pytest.skip("Vigil writes CONFIG REWRITE's overrides to its own file")
    master, (a,) = topology(nreplicas=1)
    assert a.client().config_get("replicaof") == {"replicaof": "127.0.0.1 %d" % master.port}
    assert a.client().execute_command("CONFIG", "REWRITE") == b"OK"
    with open("%s/vigil-store.overrides.yaml" % a.dir) as f:
        assert "127.0.0.1 %d" % master.port in f.read()
    a.client().execute_command("REPLICAOF", "NO", "ONE")
    assert a.client().config_get("replicaof") == {"replicaof": ""}


def test_a_promoted_replica_restarts_as_master_though_its_file_names_a_master():
    """CONFIG REWRITE after REPLICAOF NO ONE keeps the role: the overrides load on top of the
    config file, whose replicaof still names the old master (found by the partition harness:
    a promoted store that restarted followed its first master again)."""
    if vigiltest.target_kind() == "redis":
        pytest.skip("Vigil writes CONFIG REWRITE's overrides to its own file")
    master = vigiltest.start_store("vigil")
    conf_dir = procs.new_tmp_dir("promoted-conf")
    conf = os.path.join(conf_dir, "store.yaml")
    with open(conf, "w") as f:
        f.write("replicaof: 127.0.0.1 %d\n" % master.port)
    data_dir = procs.new_tmp_dir("promoted-data")
    a = vigiltest.start_store("vigil", config=conf, data_dir=data_dir)
    wait_until(lambda: info(a.client())["master_link_status"] == "up", SYNC_TIMEOUT_S, "link up")
    a.client().execute_command("REPLICAOF", "NO", "ONE")
    assert a.client().execute_command("CONFIG", "REWRITE") == b"OK"
    port = a.port
    a.stop()
    a = vigiltest.start_store("vigil", config=conf, data_dir=data_dir, port=port)
    assert info(a.client())["role"] == "master"
    assert a.client().config_get("replicaof") == {"replicaof": ""}


def test_wait_inside_multi_does_not_block_and_wait_0_waits_for_the_ack():
    master, (a,) = topology(nreplicas=1)
    mc = master.client()
    with mc.pipeline(transaction=True) as tx:
        tx.set("m:1", "1")
        tx.execute_command("WAIT", 5, 0)
        assert tx.execute()[1] <= 1   # answered at once, never blocks inside EXEC
    mc.set("m:2", "2")
    assert mc.execute_command("WAIT", 1, 0) == 1


def test_transaction_that_selects_between_writes_reaches_replicas_in_each_db():
    # Each write of an EXEC reaches replicas in the database it ran in, even when the
    # transaction SELECTs between them (the stream carries a SELECT inside MULTI ... EXEC).
    master, (a,) = topology(nreplicas=1)
    mc = master.client()
    with mc.pipeline(transaction=True) as tx:
        tx.execute_command("SELECT", 3)
        tx.set("tx:in3", "3")
        tx.execute_command("SELECT", 0)
        tx.set("tx:in0", "0")
        tx.execute()
    mc.set("tx:after", "1")
    wait_synced(master, a)
    replica0, replica3 = a.client(db=0), a.client(db=3)
    assert (replica0.get("tx:in0"), replica3.get("tx:in3")) == (b"0", b"3")
    assert (replica0.get("tx:in3"), replica3.get("tx:in0")) == (None, None)


def test_sub_replica_synced_mid_stream_applies_writes_to_the_selected_db():
    master, (a,) = topology(nreplicas=1)
    m5 = master.client(db=5)
    m5.set("db5:first", "1")          # the stream now has db 5 selected
    wait_synced(master, a)
    b = start(name="sub-replica")
    replicate(b, a)                   # full sync from a replica, mid-stream
    wait_synced(master, b)
    m5.set("db5:second", "2")         # no SELECT in the stream: still db 5
    wait_synced(master, b)
    assert b.client(db=5).get("db5:second") == b"2"
    assert b.client(db=0).get("db5:second") is None


def test_garbage_in_the_masters_stream_drops_the_link_and_retries():
    if vigiltest.target_kind() == "redis":
        pytest.skip("uses the fake master's framing, checked against vigil-store's log")
    good = make_rdb([("kept", "1")])
    stream = b"*3\r\n$3\r\nSET\r\n$5\r\nbefore\r\n$1\r\n1\r\n*abc\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n"
    fake = FakeMaster([good], stream=stream)
    try:
        replica = start(name="replica")
        c = replica.client()
        c.execute_command("REPLICAOF", "127.0.0.1", fake.port)
        wait_until(lambda: len(fake.conns) >= 3, SYNC_TIMEOUT_S, "the replica to reconnect")
        assert c.get("kept") == b"1"
        assert c.get("after") is None     # nothing past the garbage was ever applied
        assert "Protocol error" in replica.proc.log_text()
    finally:
        fake.close()


def test_failover_to_a_redis_server_replica():
    master = start(name="vigil-master")
    mc = master.client()
    write_every_type(mc)
    replica = start_redis(name="redis-replica")
    replicate(replica, master)
    wait_redis_synced(master, replica)
    assert mc.execute_command("FAILOVER", "TO", replica.host, replica.port, "TIMEOUT", 10000) == b"OK"
    wait_until(lambda: info(mc)["role"] == "slave" and info(mc)["master_failover_state"] == "no-failover"
               and info(mc)["master_link_status"] == "up", SYNC_TIMEOUT_S, "the switchover")
    rc = replica.client()
    assert info(rc)["role"] == "master"
    full, partial, _ = stats(rc)
    assert (full, partial) == (0, 1)    # the old master continued its own history
    rc.set("after:switch", "1")
    wait_until(lambda: mc.get("after:switch") == b"1", SYNC_TIMEOUT_S, "the stream from redis")
    assert dump_dataset(mc) == dump_dataset(rc)


def test_backlog_is_freed_after_its_ttl_without_replicas():
    master, (r,) = topology(nreplicas=1, master_args=["--repl-backlog-ttl", "1"])
    mc = master.client()
    before = info(mc)
    assert before["repl_backlog_active"] == "1"
    r.stop()
    wait_until(lambda: info(mc)["repl_backlog_active"] == "0", 15, "the backlog to be freed")
    after = info(mc)
    assert after["master_replid"] != before["master_replid"]   # its history cannot be continued


def test_master_pings_its_replicas_through_the_stream():
    master, (r,) = topology(nreplicas=1, master_args=["--repl-ping-replica-period", "1"])
    start_off = int(info(master.client())["master_repl_offset"])
    wait_until(lambda: int(info(master.client())["master_repl_offset"]) >= start_off + 28, 10,
               "two PINGs in the stream")
    wait_synced(master, r)
