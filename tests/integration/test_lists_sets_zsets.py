"""Lists, sets, sorted sets and HyperLogLog through real connections, with the focus
on what the differential scripts cannot show: blocking pops across several connections.

Covered: blocked clients served first come, first served; timeouts (fractional ones too) with
their RESP2 and RESP3 null replies; CLIENT KILL of a blocked client; a push inside MULTI/EXEC
serving a blocked client after EXEC; a blocked client keeping its place when a retry finds
nothing; a key of another type neither serving nor failing a blocked pop; blocking pops inside
MULTI answering at once; disconnects of many blocked clients leaving INFO's blocked_clients at 0;
and what replicas receive for random and blocking pops (SPOP, BLPOP, BLMOVE, BZPOPMIN, LMPOP,
ZMPOP) and for PFCOUNT's cache refresh: the replica must end with the master's exact data.

Synchronisation is by polling INFO with deadlines (vigiltest.wait_until), never a fixed sleep,
and nothing asserts a duration. With VIGIL_TARGET=redis every test runs against redis-server,
which validates the tests themselves.
"""

import pytest

import vigiltest
from vigiltest import ConnectionClosed, block_client, blocked_clients, info_field, wait_until

DEADLINE_S = 10


# ---- helpers --------------------------------------------------------------------------------

def client_id(conn):
    return conn.call("CLIENT", "ID")


@pytest.fixture
def admin(store):
    conn = store.raw()
    assert conn.call("FLUSHALL") == "OK"
    return conn


# ---- blocking pops ---------------------------------------------------------------------------

def test_blocked_clients_are_served_first_come_first_served(store, admin):
    consumers = [store.raw() for _ in range(3)]
    for conn in consumers:
        block_client(admin, conn, "BRPOP", "jobs", "0")
    # One push of three: BRPOP takes from the tail, so the first to block gets "a".
    assert admin.call("LPUSH", "jobs", "a", "b", "c") == 3
    got = [conn.read_reply(timeout_s=DEADLINE_S) for conn in consumers]
    assert got == [[b"jobs", b"a"], [b"jobs", b"b"], [b"jobs", b"c"]]
    assert admin.call("EXISTS", "jobs") == 0
    wait_until(lambda: blocked_clients(admin) == 0, DEADLINE_S, "blocked_clients to return to 0")


def test_one_push_serves_only_the_longest_waiting_client(store, admin):
    first, second = store.raw(), store.raw()
    block_client(admin, first, "BLPOP", "q", "0")
    block_client(admin, second, "BLPOP", "q", "0")
    admin.call("RPUSH", "q", "one")
    assert first.read_reply(timeout_s=DEADLINE_S) == [b"q", b"one"]
    assert not second.has_pending(0.05)
    assert blocked_clients(admin) == 1
    admin.call("RPUSH", "q", "two")
    assert second.read_reply(timeout_s=DEADLINE_S) == [b"q", b"two"]


def test_timeout_replies_null_in_resp2_and_resp3(store, admin):
    resp2, resp3 = store.raw(), store.raw()
    resp3.call("HELLO", "3")
    resp2.send_command("BLPOP", "empty", "0.05")
    resp3.send_command("BZPOPMIN", "empty", "0.05")
    assert resp2.read_reply_bytes(timeout_s=DEADLINE_S) == b"*-1\r\n"
    assert resp3.read_reply_bytes(timeout_s=DEADLINE_S) == b"_\r\n"
    # BLMOVE times out with a null array too (a null bulk only when it cannot block at all).
    resp2.send_command("BLMOVE", "empty", "dst", "LEFT", "RIGHT", "0.01")
    assert resp2.read_reply_bytes(timeout_s=DEADLINE_S) == b"*-1\r\n"
    wait_until(lambda: blocked_clients(admin) == 0, DEADLINE_S, "blocked_clients to return to 0")


def test_fractional_timeout_blocks_until_served(store, admin):
    conn = store.raw()
    # 30 seconds expressed as a fraction: blocked now, served by the push well before it.
    block_client(admin, conn, "BRPOP", "frac", "29.999")
    admin.call("RPUSH", "frac", "v")
    assert conn.read_reply(timeout_s=DEADLINE_S) == [b"frac", b"v"]
    # A tiny fractional timeout ends in a null reply, and the connection works afterwards.
    conn.send_command("BRPOP", "frac", "0.001")
    assert conn.read_reply_bytes(timeout_s=DEADLINE_S) == b"*-1\r\n"
    assert conn.call("PING") == "PONG"


def test_client_kill_of_a_blocked_client_unblocks_it_without_serving(store, admin):
    victim = store.raw()
    victim_id = client_id(victim)
    block_client(admin, victim, "BLPOP", "killq", "0")
    assert admin.call("CLIENT", "KILL", "ID", str(victim_id)) == 1
    with pytest.raises(ConnectionClosed):
        victim.read_reply_bytes(timeout_s=DEADLINE_S)
    wait_until(lambda: blocked_clients(admin) == 0, DEADLINE_S, "blocked_clients to return to 0")
    # Nobody is waiting any more: the pushed element stays.
    admin.call("RPUSH", "killq", "kept")
    assert admin.call("LRANGE", "killq", "0", "-1") == [b"kept"]


def test_push_inside_multi_serves_the_blocked_client_after_exec(store, admin):
    conn = store.raw()
    block_client(admin, conn, "BLPOP", "txq", "0")
    assert admin.call("MULTI") == "OK"
    assert admin.call("RPUSH", "txq", "a") == "QUEUED"
    assert admin.call("RPUSH", "txq", "b") == "QUEUED"
    assert admin.call("EXEC") == [1, 2]
    assert conn.read_reply(timeout_s=DEADLINE_S) == [b"txq", b"a"]
    assert admin.call("LRANGE", "txq", "0", "-1") == [b"b"]


def test_multi_key_pop_is_served_from_the_key_that_woke_it(store, admin):
    # Redis serves a blocked BRPOP k1 k2 from the key that received data first (k2 here), not
    # from the first key of the command that happens to hold data when it is served.
    conn = store.raw()
    block_client(admin, conn, "BRPOP", "wk1", "wk2", "0")
    assert admin.call("MULTI") == "OK"
    assert admin.call("RPUSH", "wk2", "two") == "QUEUED"
    assert admin.call("RPUSH", "wk1", "one") == "QUEUED"
    assert admin.call("EXEC") == [1, 1]
    assert conn.read_reply(timeout_s=DEADLINE_S) == [b"wk2", b"two"]
    assert admin.call("LRANGE", "wk1", "0", "-1") == [b"one"]


def test_blocked_client_is_served_before_the_next_pipelined_command(store, admin):
    # Redis serves blocked clients right after the command that pushed, so a command pipelined
    # behind the push in the same packet already sees the element gone.
    conn = store.raw()
    block_client(admin, conn, "BLPOP", "pipeq", "0")
    admin.send_raw(b"*3\r\n$5\r\nRPUSH\r\n$5\r\npipeq\r\n$1\r\nx\r\n"
                   b"*2\r\n$4\r\nLLEN\r\n$5\r\npipeq\r\n")
    assert admin.read_reply(timeout_s=DEADLINE_S) == 1
    assert admin.read_reply(timeout_s=DEADLINE_S) == 0
    assert conn.read_reply(timeout_s=DEADLINE_S) == [b"pipeq", b"x"]


def test_blocked_client_keeps_its_place_when_the_data_is_gone_again(store, admin):
    first, second = store.raw(), store.raw()
    block_client(admin, first, "BLPOP", "gone", "0")
    block_client(admin, second, "BLPOP", "gone", "0")
    # Pushed and popped in one transaction: nothing to serve, both stay blocked, in order.
    admin.call("MULTI")
    admin.call("RPUSH", "gone", "x")
    admin.call("LPOP", "gone")
    assert admin.call("EXEC") == [1, b"x"]
    assert not first.has_pending(0.05) and not second.has_pending(0)
    assert blocked_clients(admin) == 2
    admin.call("RPUSH", "gone", "y")
    assert first.read_reply(timeout_s=DEADLINE_S) == [b"gone", b"y"]
    assert not second.has_pending(0.05)


def test_key_of_another_type_neither_serves_nor_fails_a_blocked_pop(store, admin):
    conn = store.raw()
    block_client(admin, conn, "BLPOP", "typed", "0")
    admin.call("SET", "typed", "a string")
    admin.call("SADD", "other", "m")
    assert not conn.has_pending(0.05)
    assert blocked_clients(admin) == 1
    admin.call("DEL", "typed")
    admin.call("RPUSH", "typed", "now a list")
    assert conn.read_reply(timeout_s=DEADLINE_S) == [b"typed", b"now a list"]


def test_blocking_pops_inside_multi_answer_at_once(store, admin):
    admin.call("MULTI")
    for cmd in (("BLPOP", "none", "0"), ("BLMOVE", "none", "d", "LEFT", "LEFT", "0"),
                ("BZPOPMIN", "none", "0"), ("BLMPOP", "0", "1", "none", "LEFT"),
                ("BZMPOP", "0", "1", "none", "MIN")):
        assert admin.call(*cmd) == "QUEUED"
    assert admin.call_bytes("EXEC") == b"*5\r\n*-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n"
    assert blocked_clients(admin) == 0


def test_blmove_chain_serves_the_next_waiter(store, admin):
    mover, waiter = store.raw(), store.raw()
    block_client(admin, mover, "BLMOVE", "inbox", "work", "LEFT", "RIGHT", "0")
    block_client(admin, waiter, "BLPOP", "work", "0")
    admin.call("RPUSH", "inbox", "job")
    assert mover.read_reply(timeout_s=DEADLINE_S) == b"job"
    assert waiter.read_reply(timeout_s=DEADLINE_S) == [b"work", b"job"]
    assert admin.call("EXISTS", "inbox", "work") == 0


def test_sorted_set_and_multi_key_pops_are_served(store, admin):
    zc, mc = store.raw(), store.raw()
    block_client(admin, zc, "BZPOPMAX", "zq", "0")
    block_client(admin, mc, "BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2")
    admin.call("ZADD", "zq", "1", "low", "9", "high")
    admin.call("RPUSH", "l2", "a", "b", "c")
    assert zc.read_reply(timeout_s=DEADLINE_S) == [b"zq", b"high", b"9"]
    assert mc.read_reply(timeout_s=DEADLINE_S) == [b"l2", [b"c", b"b"]]
    assert admin.call("LRANGE", "l2", "0", "-1") == [b"a"]


def test_disconnects_of_blocked_clients_leave_no_blocked_clients(store, admin):
    before = info_field(admin, "clients", "connected_clients")
    conns = []
    commands = [("BLPOP", "d1", "d2", "0"), ("BRPOP", "d1", "0"), ("BZPOPMIN", "dz", "0"),
                ("BLMOVE", "d3", "d4", "LEFT", "LEFT", "0"),
                ("BLMPOP", "0", "2", "d1", "d5", "LEFT"), ("BZMPOP", "100", "1", "dz", "MAX")]
    for i in range(24):
        conn = store.raw()
        block_client(admin, conn, *commands[i % len(commands)])
        conns.append(conn)
    assert blocked_clients(admin) == 24
    for conn in conns:
        conn.close()
    wait_until(lambda: blocked_clients(admin) == 0, DEADLINE_S, "blocked_clients to return to 0")
    wait_until(lambda: info_field(admin, "clients", "connected_clients") == before, DEADLINE_S,
               "the closed connections to be gone")
    # The keys they waited on are untouched by the departed clients.
    admin.call("RPUSH", "d1", "x")
    admin.call("ZADD", "dz", "1", "m")
    assert admin.call("LRANGE", "d1", "0", "-1") == [b"x"]
    assert admin.call("ZCARD", "dz") == 1


# ---- replication of random and blocking pops ----------------------------------------------

def _replicated_pair():
    master = vigiltest.start_store(vigiltest.target_kind(), name="master",
                                   extra_args=["--repl-diskless-sync-delay", "0"])
    replica = vigiltest.start_store(vigiltest.target_kind(), name="replica")
    rconn = replica.raw()
    assert rconn.call("REPLICAOF", master.host, str(master.port)) == "OK"
    return master, replica


def _offsets_match(mconn, rconn):
    def field(conn, name):
        text = conn.call("INFO", "replication").decode()
        for line in text.splitlines():
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
        return None
    return (field(rconn, "master_link_status") == "up"
            and field(rconn, "slave_repl_offset") == field(mconn, "master_repl_offset"))


def test_replica_gets_the_effects_of_random_and_blocking_pops():
    master, replica = _replicated_pair()
    m, r = master.raw(), replica.raw()
    waiter = master.raw()
    m.call("SADD", "s", *["m%d" % i for i in range(50)])
    m.call("SPOP", "s")
    m.call("SPOP", "s", "7")
    m.call("SADD", "huge", *["h%d" % i for i in range(3000)])
    assert len(m.call("SPOP", "huge", "2500")) == 2500  # several SREM batches on the wire
    m.call("SADD", "whole", "a", "b")
    m.call("SPOP", "whole", "10")
    m.call("RPUSH", "l", "a", "b", "c", "d", "e")
    m.call("LMPOP", "2", "none", "l", "RIGHT", "COUNT", "2")
    m.call("ZADD", "z", "1", "a", "2", "b", "3", "c")
    m.call("ZMPOP", "1", "z", "MAX", "COUNT", "2")
    block_client(m, waiter, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    m.call("RPUSH", "src", "x", "y")
    assert waiter.read_reply(timeout_s=DEADLINE_S) == b"y"
    block_client(m, waiter, "BZPOPMIN", "zempty", "zz", "0")
    m.call("ZADD", "zz", "5", "q", "6", "r")
    assert waiter.read_reply(timeout_s=DEADLINE_S) == [b"zz", b"q", b"5"]
    m.call("PFADD", "hll", *["e%d" % i for i in range(100)])
    m.call("PFCOUNT", "hll")  # refreshes the cached count inside the value
    m.call("SET", "sync:mark", "1")
    wait_until(lambda: _offsets_match(m, r), 20, "the replica to catch up")
    for key in ("s", "huge", "whole", "l", "z", "zz", "src", "dst"):
        assert r.call("TYPE", key) == m.call("TYPE", key), key
    for key in ("s", "huge"):
        assert sorted(r.call("SMEMBERS", key)) == sorted(m.call("SMEMBERS", key)), key
    assert r.call("EXISTS", "whole") == 0
    for key in ("l", "src", "dst"):
        assert r.call("LRANGE", key, "0", "-1") == m.call("LRANGE", key, "0", "-1"), key
    for key in ("z", "zz"):
        assert (r.call("ZRANGE", key, "0", "-1", "WITHSCORES")
                == m.call("ZRANGE", key, "0", "-1", "WITHSCORES")), key
    assert r.call("GET", "hll") == m.call("GET", "hll")
    assert r.call("PFCOUNT", "hll") == m.call("PFCOUNT", "hll")
