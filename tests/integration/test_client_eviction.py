"""maxmemory-clients (client eviction, Redis 7.0): a client whose query or output buffer takes
the clients' memory past the limit is closed at once while small clients stay; CLIENT NO-EVICT
protects; a percentage follows maxmemory; evicted_clients counts; replicas are never evicted.

Each test's control connection turns CLIENT NO-EVICT on for itself: with a big client over the
limit, Redis (and vigil-store) evict every other evictable client, the control one included.
A client is known to be gone when CLIENT LIST no longer shows its id. Run against redis-server
with VIGIL_TARGET=redis: the same assertions hold there.
"""

import socket

import vigiltest
from vigiltest import wait_until

BIG_BULK = 8 * 1024 * 1024  # announced length of the partial argument
PART = 3 * 1024 * 1024      # bytes of it actually sent: far past a 1mb limit


def start(extra=()):
    return vigiltest.start_store(vigiltest.target_kind(), extra_args=list(extra))


def control(store):
    """A raw connection that client eviction must leave alone."""
    conn = store.raw()
    assert conn.call("CLIENT", "NO-EVICT", "on") == "OK"
    return conn


def client_id(conn):
    return conn.call("CLIENT", "ID")


def listed_ids(ctl):
    text = ctl.call("CLIENT", "LIST")
    text = text.decode() if isinstance(text, bytes) else text
    return {int(f.split("=", 1)[1]) for line in text.splitlines()
            for f in line.split(" ") if f.startswith("id=")}


def evicted_clients(ctl):
    text = ctl.call("INFO", "stats")
    text = text.decode() if isinstance(text, bytes) else text
    for line in text.splitlines():
        if line.startswith("evicted_clients:"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no evicted_clients in INFO stats")


def client_fields(ctl, cid):
    """The fields of one client's CLIENT LIST line, as strings."""
    text = ctl.call("CLIENT", "LIST")
    text = text.decode() if isinstance(text, bytes) else text
    for line in text.splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        if int(fields["id"]) == cid:
            return fields
    raise AssertionError("client %d is not listed" % cid)


def memory_field(ctl, name):
    text = ctl.call("INFO", "memory")
    text = text.decode() if isinstance(text, bytes) else text
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no %s in INFO memory" % name)


def send_partial_bulk(conn, total=PART):
    """A SET whose value is announced as BIG_BULK bytes, of which `total` are sent."""
    conn.send_raw(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % BIG_BULK)
    chunk = b"x" * (256 * 1024)
    sent = 0
    try:
        while sent < total:
            conn.send_raw(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # evicted while sending: what the caller checks


def wait_gone(ctl, cid, what):
    wait_until(lambda: cid not in listed_ids(ctl), 10, what)


def test_big_query_buffer_is_evicted_and_a_small_client_stays():
    s = start()
    ctl = control(s)
    small, big = s.raw(), s.raw()
    small_id, big_id = client_id(small), client_id(big)
    assert ctl.call("CONFIG", "SET", "maxmemory-clients", "1mb") == "OK"
    send_partial_bulk(big)
    wait_gone(ctl, big_id, "the client with a big query buffer evicted")
    wait_until(lambda: big.pending_state() == "eof", 10, "its connection closed")
    assert small.call("PING") == "PONG"
    assert small_id in listed_ids(ctl)
    assert evicted_clients(ctl) == 1


def test_big_output_buffer_is_evicted():
    s = start()
    ctl = control(s)
    for _ in range(16):  # 1 MB in small pieces: the control client's own buffers stay small
        ctl.call("APPEND", "value", "v" * (64 * 1024))
    reader = s.raw()
    reader.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader_id = client_id(reader)
    small = s.raw()
    assert ctl.call("CONFIG", "SET", "maxmemory-clients", "2mb") == "OK"
    # A paused reader: twenty 1 MB replies requested, none read.
    try:
        reader.send_raw(b"".join(vigiltest.resp.encode_command("GET", "value")
                                 for _ in range(20)))
    except (BrokenPipeError, ConnectionResetError):
        pass
    wait_gone(ctl, reader_id, "the paused reader of big replies evicted")
    assert small.call("PING") == "PONG"
    assert evicted_clients(ctl) == 1


def test_no_evict_protects_the_client_that_set_it():
    s = start()
    ctl = control(s)
    protected, other = s.raw(), s.raw()
    assert protected.call("CLIENT", "NO-EVICT", "on") == "OK"
    protected_id, other_id = client_id(protected), client_id(other)
    assert ctl.call("CONFIG", "SET", "maxmemory-clients", "1mb") == "OK"
    sent = 16 * 256 * 1024
    send_partial_bulk(protected, sent)
    # Over the limit, every evictable client goes (as in Redis): the other one.
    wait_gone(ctl, other_id, "the unprotected client evicted")
    assert protected_id in listed_ids(ctl)
    assert client_fields(ctl, protected_id)["flags"] == "e"  # as Redis 7.0: e alone, no N
    # tot-mem and mem_clients_normal count the query buffer the protected client fills
    wait_until(lambda: int(client_fields(ctl, protected_id)["tot-mem"]) >= sent, 10, "tot-mem")
    wait_until(lambda: memory_field(ctl, "mem_clients_normal") >= sent, 10, "mem_clients_normal")
    protected.send_raw(b"x" * (BIG_BULK - sent) + b"\r\n")
    assert protected.read_reply() == "OK"
    assert ctl.call("STRLEN", "big") == BIG_BULK
    assert evicted_clients(ctl) == 1


def test_percentage_follows_maxmemory():
    s = start()
    ctl = control(s)
    big = s.raw()
    big_id = client_id(big)
    assert ctl.call("CONFIG", "SET", "maxmemory-clients", "1%") == "OK"
    assert ctl.call("CONFIG", "GET", "maxmemory-clients") == [b"maxmemory-clients", b"1%"]
    send_partial_bulk(big)
    # Without maxmemory a percentage means no limit: the big client stays.
    assert ctl.call("PING") == "PONG"
    assert big_id in listed_ids(ctl)
    assert evicted_clients(ctl) == 0
    # 1% of 100mb is about 1mb: the client is evicted without sending anything more.
    assert ctl.call("CONFIG", "SET", "maxmemory", "100mb") == "OK"
    wait_gone(ctl, big_id, "the big client evicted once maxmemory gives the percentage a size")
    assert evicted_clients(ctl) == 1


def test_a_replica_is_never_evicted():
    master, replica = start(), start()
    ctl, rctl = control(master), control(replica)
    assert rctl.call("REPLICAOF", master.host, str(master.port)) == "OK"

    def link_up():
        text = rctl.call("INFO", "replication")
        return "master_link_status:up" in (text.decode() if isinstance(text, bytes) else text)

    wait_until(link_up, 20, "replica link up")
    assert ctl.call("CONFIG", "SET", "maxmemory-clients", "1") == "OK"  # 128kb, the floor
    value = "r" * (512 * 1024)
    for i in range(16):  # 8 MB through the replication stream, the writer exempt
        assert ctl.call("SET", "k%d" % i, value) == "OK"

    def caught_up():
        m = ctl.call("INFO", "replication")
        r = rctl.call("INFO", "replication")
        m = m.decode() if isinstance(m, bytes) else m
        r = r.decode() if isinstance(r, bytes) else r
        moff = [x for x in m.splitlines() if x.startswith("master_repl_offset:")][0]
        roff = [x for x in r.splitlines() if x.startswith("slave_repl_offset:")][0]
        return moff.split(":")[1] == roff.split(":")[1]

    wait_until(caught_up, 20, "replica caught up")
    assert rctl.call("DBSIZE") == 16
    stats = ctl.call("INFO", "stats")
    stats = stats.decode() if isinstance(stats, bytes) else stats
    assert "sync_full:1\r\n" in stats  # the link never dropped and reconnected
    assert evicted_clients(ctl) == 0


def test_many_small_clients_are_all_evicted_in_bounded_steps():
    s = start()
    ctl = control(s)
    idle = [s.raw() for _ in range(150)]  # more than one check evicts (CLIENT_EVICT_PER_RUN)
    ids = {client_id(c) for c in idle}
    protected = s.raw()
    assert protected.call("CLIENT", "NO-EVICT", "on") == "OK"
    assert ctl.call("CONFIG", "SET", "maxmemory-clients", "1mb") == "OK"
    send_partial_bulk(protected)  # over the limit by itself: every evictable client goes
    wait_until(lambda: not (ids & listed_ids(ctl)), 10, "every idle client evicted")
    assert evicted_clients(ctl) == len(ids)
    assert ctl.call("PING") == "PONG"
