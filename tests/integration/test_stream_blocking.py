"""Blocking stream reads (issue #21, docs/streams.md#blocking-reads) across several connections,
on what the differential scripts cannot show: XREAD and XREADGROUP woken by an XADD of another
client, `$` meaning the last ID at the moment of blocking, BLOCK timeouts in RESP2 and RESP3,
BLOCK 0, consumers of one group served first come first served with distinct entries, the
errors Redis 7.0 gives a blocked XREADGROUP whose key was deleted (DEL, FLUSHALL, a SET over
it) or whose group was destroyed, CLIENT UNBLOCK, and BLOCK inside MULTI answering at once.

Every process is started by the fixtures and stopped by the harness; waits poll INFO with a
deadline.
"""

import pytest

import vigiltest
from vigiltest import block_client, blocked_clients, wait_until

DEADLINE_S = 10


@pytest.fixture
def admin(store):
    conn = store.raw()
    assert conn.call("FLUSHALL") == "OK"
    return conn


def test_xread_dollar_is_the_last_id_when_blocking(store, admin):
    admin.call("XADD", "s", "1-1", "old", "1")
    reader = store.raw()
    block_client(admin, reader, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    # An entry below the frozen `$` (allowed after XSETID... here simply a later one) wakes it.
    admin.call("XADD", "s", "2-1", "new", "2")
    assert reader.read_reply(timeout_s=DEADLINE_S) == [[b"s", [[b"2-1", [b"new", b"2"]]]]]
    wait_until(lambda: blocked_clients(admin) == 0, DEADLINE_S, "blocked_clients to return to 0")


def test_xread_served_from_the_key_that_woke_it_only(store, admin):
    admin.call("XADD", "a", "5-0", "x", "1")
    reader = store.raw()
    block_client(admin, reader, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$")
    admin.call("XADD", "b", "1-1", "y", "2")
    assert reader.read_reply(timeout_s=DEADLINE_S) == [[b"b", [[b"1-1", [b"y", b"2"]]]]]


def test_block_timeouts_reply_null_in_resp2_and_resp3(store, admin):
    resp2, resp3 = store.raw(), store.raw()
    resp3.call("HELLO", "3")
    admin.call("XADD", "t", "1-1", "f", "v")
    admin.call("XGROUP", "CREATE", "t", "g", "$")
    resp2.send_command("XREAD", "BLOCK", "30", "STREAMS", "t", "$")
    resp3.send_command("XREADGROUP", "GROUP", "g", "c", "BLOCK", "30", "STREAMS", "t", ">")
    assert resp2.read_reply_bytes(timeout_s=DEADLINE_S) == b"*-1\r\n"
    assert resp3.read_reply_bytes(timeout_s=DEADLINE_S) == b"_\r\n"
    wait_until(lambda: blocked_clients(admin) == 0, DEADLINE_S, "blocked_clients to return to 0")
    # A timed-out XREADGROUP created no consumer and delivered nothing.
    assert admin.call("XINFO", "CONSUMERS", "t", "g") == []


def test_group_consumers_get_distinct_entries_first_come_first_served(store, admin):
    admin.call("XGROUP", "CREATE", "jobs", "g", "$", "MKSTREAM")
    workers = [store.raw() for _ in range(3)]
    for i, conn in enumerate(workers):
        block_client(admin, conn, "XREADGROUP", "GROUP", "g", "w%d" % i, "BLOCK", "0", "STREAMS",
              "jobs", ">")
    for i in range(3):
        admin.call("XADD", "jobs", "%d-1" % (i + 1), "job", str(i))
    got = [conn.read_reply(timeout_s=DEADLINE_S) for conn in workers]
    assert got == [[[b"jobs", [[b"%d-1" % (i + 1), [b"job", b"%d" % i]]]]] for i in range(3)]
    pending = admin.call("XPENDING", "jobs", "g")
    assert pending[0] == 3
    assert sorted(pending[3]) == [[b"w0", b"1"], [b"w1", b"1"], [b"w2", b"1"]]


def test_one_xadd_serves_one_group_consumer_and_the_other_keeps_waiting(store, admin):
    admin.call("XGROUP", "CREATE", "q", "g", "$", "MKSTREAM")
    first, second = store.raw(), store.raw()
    block_client(admin, first, "XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "q", ">")
    block_client(admin, second, "XREADGROUP", "GROUP", "g", "b", "BLOCK", "0", "STREAMS", "q", ">")
    admin.call("XADD", "q", "1-1", "n", "1")
    assert first.read_reply(timeout_s=DEADLINE_S) == [[b"q", [[b"1-1", [b"n", b"1"]]]]]
    assert not second.has_pending(0.05)
    assert blocked_clients(admin) == 1
    admin.call("XADD", "q", "2-1", "n", "2")
    assert second.read_reply(timeout_s=DEADLINE_S) == [[b"q", [[b"2-1", [b"n", b"2"]]]]]


@pytest.mark.parametrize("how", ["del", "flushall", "set", "expire"])
def test_blocked_xreadgroup_of_a_deleted_key_gets_unblocked_error(store, admin, how):
    admin.call("XGROUP", "CREATE", "gone", "g", "$", "MKSTREAM")
    reader, plain = store.raw(), store.raw()
    block_client(admin, reader,
                 "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "gone", ">")
    block_client(admin, plain, "XREAD", "BLOCK", "0", "STREAMS", "gone", "$")
    if how == "del":
        admin.call("DEL", "gone")
    elif how == "flushall":
        admin.call("FLUSHALL")
    elif how == "expire":
        admin.call("PEXPIRE", "gone", "1")  # removed by active expiry, with nobody touching it
    else:
        admin.call("DEL", "gone")
        admin.call("SET", "gone", "string now")
    assert reader.read_reply_bytes(timeout_s=DEADLINE_S) == (
        b"-UNBLOCKED the stream key no longer exists\r\n")
    # A plain XREAD keeps waiting, and a new stream there serves it.
    assert not plain.has_pending(0.05)
    assert admin.call("EXISTS", "gone") == (1 if how == "set" else 0)
    admin.call("DEL", "gone")
    admin.call("XADD", "gone", "7-7", "back", "1")
    assert plain.read_reply(timeout_s=DEADLINE_S) == [[b"gone", [[b"7-7", [b"back", b"1"]]]]]


def test_blocked_xreadgroup_of_a_destroyed_group_gets_nogroup(store, admin):
    admin.call("XGROUP", "CREATE", "d", "g", "$", "MKSTREAM")
    reader = store.raw()
    block_client(admin, reader, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "d", ">")
    assert admin.call("XGROUP", "DESTROY", "d", "g") == 1
    assert reader.read_reply_bytes(timeout_s=DEADLINE_S) == (
        b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n")
    wait_until(lambda: blocked_clients(admin) == 0, DEADLINE_S, "blocked_clients to return to 0")


def test_client_unblock_timeout_and_error(store, admin):
    a, b = store.raw(), store.raw()
    ida, idb = a.call("CLIENT", "ID"), b.call("CLIENT", "ID")
    block_client(admin, a, "XREAD", "BLOCK", "0", "STREAMS", "u", "$")
    block_client(admin, b, "XREAD", "BLOCK", "0", "STREAMS", "u", "$")
    assert admin.call("CLIENT", "UNBLOCK", str(ida), "TIMEOUT") == 1
    assert a.read_reply_bytes(timeout_s=DEADLINE_S) == b"*-1\r\n"
    assert admin.call("CLIENT", "UNBLOCK", str(idb), "ERROR") == 1
    assert b.read_reply_bytes(timeout_s=DEADLINE_S) == (
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
    assert a.call("PING") == "PONG"


def test_block_inside_multi_answers_at_once_and_exec_serves_waiters(store, admin):
    waiter, tx = store.raw(), store.raw()
    block_client(admin, waiter, "XREAD", "BLOCK", "0", "STREAMS", "m", "$")
    assert tx.call("MULTI") == "OK"
    tx.call("XREAD", "BLOCK", "0", "STREAMS", "m", "$")
    tx.call("XADD", "m", "1-1", "f", "v")
    assert tx.call("EXEC") == [None, b"1-1"]
    assert waiter.read_reply(timeout_s=DEADLINE_S) == [[b"m", [[b"1-1", [b"f", b"v"]]]]]


def test_blocked_xreadgroup_served_late_reaches_the_replica_as_xclaim(proc_group):
    master = vigiltest.start_store(name="master", extra_args=["--repl-diskless-sync-delay", "0"])
    replica = vigiltest.start_store(name="replica")
    admin, rc = master.raw(), replica.raw()
    admin.call("XGROUP", "CREATE", "r", "g", "$", "MKSTREAM")
    assert rc.call("REPLICAOF", master.host, str(master.port)) == "OK"
    wait_until(lambda: rc.call("XINFO", "GROUPS", "r") != [], DEADLINE_S, "the replica sync")
    reader = master.raw()
    block_client(admin, reader,
                 "XREADGROUP", "GROUP", "g", "late", "BLOCK", "0", "STREAMS", "r", ">")
    admin.call("XADD", "r", "1-1", "f", "v")
    assert reader.read_reply(timeout_s=DEADLINE_S) == [[b"r", [[b"1-1", [b"f", b"v"]]]]]
    wait_until(lambda: rc.call("XPENDING", "r", "g") == admin.call("XPENDING", "r", "g"),
               DEADLINE_S, "the replica PEL")
    # Owner, delivery count and last ID as on the master. (entries-read is not carried by the
    # XCLAIM form: a redis-server replica of a redis-server master differs the same way.)
    assert rc.call("XPENDING", "r", "g", "-", "+", "10")[0][::3] == [b"1-1", 1]
    assert rc.call("XINFO", "GROUPS", "r")[0][:8] == admin.call("XINFO", "GROUPS", "r")[0][:8]
