"""Functions (docs/scripting.md#functions): FUNCTION and FCALL between real processes.

What is covered: FUNCTION LOAD / DELETE / FLUSH and an FCALL's writes reaching a vigil-store
replica and a redis-server replica; functions on a read-only replica (no-writes ones run, the
others are refused with Redis's error); the AOF keeping FUNCTION LOAD so a restart has the
library; a function past busy-reply-threshold (-BUSY naming FUNCTION KILL, FUNCTION STATS while
busy, FUNCTION KILL). Replies Redis also gives are compared byte for byte with a redis-server
started in the same test. Synchronisation is by polling with deadlines, never a fixed sleep.
"""

import os
import socket

import pytest

import vigiltest
from vigiltest import wait_synced, wait_until

SYNC_TIMEOUT_S = 20

LIB = """#!lua name=shop
redis.register_function('buy', function(keys, args)
  redis.call('HINCRBY', keys[1], args[1], 1)
  return redis.call('INCR', keys[2])
end)
redis.register_function{function_name='stock', flags={'no-writes'},
  callback=function(keys, args) return redis.call('HGET', keys[1], args[1]) end}
"""

SPIN_LIB = """#!lua name=spinner
redis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)
"""

BUSY_FUNCTION = (b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 b"SHUTDOWN NOSAVE.\r\n")
BUSY_SCRIPT = (b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
               b"SHUTDOWN NOSAVE.\r\n")


def start(kind="vigil", extra=(), name=None, data_dir=None):
    return vigiltest.start_store(kind, name=name, data_dir=data_dir,
                                 extra_args=["--repl-diskless-sync-delay", "0"] + list(extra))


def test_function_load_delete_flush_and_fcall_writes_reach_vigil_and_redis_replicas():
    master = start(name="master")
    replicas = [start(name="vigil-replica"), start("redis", name="redis-replica")]
    for r in replicas:
        assert r.client().replicaof(master.host, master.port)
    cli = master.client()
    cli.set("ready", "1")
    wait_synced(master, *replicas)
    assert cli.execute_command("FUNCTION", "LOAD", LIB) == b"shop"
    assert cli.execute_command("FCALL", "buy", 2, "stock", "orders", "apple") == 1
    assert cli.execute_command("WAIT", 2, 5000) == 2
    for r in replicas:
        rc = r.client()
        assert rc.execute_command("FCALL_RO", "stock", 1, "stock", "apple") == b"1"
        assert rc.get("orders") == b"1"
        assert rc.execute_command("FUNCTION", "STATS")[3][1][3] == 2
    assert cli.execute_command("FUNCTION", "DELETE", "shop") == b"OK"
    assert cli.execute_command("FUNCTION", "LOAD", SPIN_LIB) == b"spinner"
    assert cli.execute_command("FUNCTION", "FLUSH") == b"OK"
    assert cli.execute_command("WAIT", 2, 5000) == 2
    for r in replicas:
        assert r.client().execute_command("FUNCTION", "LIST") == []


def test_functions_on_a_replica_read_but_do_not_write_as_redis():
    replies = {}
    for kind in ("vigil", "redis"):
        master = start(kind, name="master-" + kind)
        replica = start(kind, name="replica-" + kind)
        assert replica.client().replicaof(master.host, master.port)
        master.client().set("k", "v")
        wait_until(lambda: replica.client().get("k") == b"v", SYNC_TIMEOUT_S, "replica has k")
        master.client().execute_command("FUNCTION", "LOAD", LIB)
        wait_synced(master, replica, what="replica has the library")
        raw = replica.raw()
        replies[kind] = [
            raw.call_bytes("FCALL_RO", "stock", "1", "h", "f"),
            raw.call_bytes("FCALL", "stock", "1", "h", "f"),
            raw.call_bytes("FCALL", "buy", "2", "h", "n", "f"),
            raw.call_bytes("FCALL_RO", "buy", "2", "h", "n", "f"),
            raw.call_bytes("FUNCTION", "LOAD", SPIN_LIB),
        ]
    assert replies["vigil"][2] == b"-READONLY You can't write against a read only replica.\r\n"
    assert replies["vigil"] == replies["redis"]


STALE_LIB = """#!lua name=stale
redis.register_function{function_name='s_ok', flags={'allow-stale', 'no-writes'},
  callback=function() return 'served' end}
redis.register_function{function_name='s_no', flags={'no-writes'}, callback=function() return 1 end}
"""


def test_allow_stale_functions_run_on_a_replica_with_a_broken_link_as_redis():
    replies = {}
    dead_port = vigiltest.free_port()
    for kind in ("vigil", "redis"):
        replica = start(kind, name="replica-" + kind)
        raw = replica.raw()
        assert raw.call_bytes("FUNCTION", "LOAD", STALE_LIB) == b"$5\r\nstale\r\n"
        assert raw.call_bytes("CONFIG", "SET", "replica-serve-stale-data", "no") == b"+OK\r\n"
        assert raw.call_bytes("REPLICAOF", "127.0.0.1", str(dead_port)) == b"+OK\r\n"
        replies[kind] = [
            raw.call_bytes("FCALL", "s_ok", "0"),
            raw.call_bytes("FCALL_RO", "s_ok", "0"),
            raw.call_bytes("FCALL", "s_no", "0"),
            raw.call_bytes("EVAL", "#!lua flags=no-writes,allow-stale\nreturn 2", "0"),
            raw.call_bytes("EVAL", "#!lua flags=no-writes\nreturn 2", "0"),
        ]
    assert replies["vigil"][0] == b"$6\r\nserved\r\n"
    assert replies["vigil"][2].startswith(b"-MASTERDOWN")
    assert replies["vigil"] == replies["redis"]


def test_aof_keeps_function_load_and_a_restart_has_the_library():
    store = start(extra=["--appendonly", "yes"])
    cli = store.client()
    assert cli.execute_command("FUNCTION", "LOAD", LIB) == b"shop"
    assert cli.execute_command("FCALL", "buy", 2, "stock", "orders", "pear") == 1
    aof = os.path.join(store.dir, "appendonlydir", "appendonly.aof.1.incr.aof")
    wait_until(lambda: b"orders" in open(aof, "rb").read(), 10, "the AOF to hold the writes")
    assert b"FUNCTION" in open(aof, "rb").read().upper()
    data_dir = store.dir
    store.stop()
    again = vigiltest.start_store("vigil", data_dir=data_dir, extra_args=["--appendonly", "yes"])
    rc = again.client()
    assert rc.execute_command("FCALL_RO", "stock", 1, "stock", "pear") == b"1"
    assert rc.execute_command("FCALL", "buy", 2, "stock", "orders", "pear") == 2


def send_fcall(store, name):
    sock = socket.create_connection((store.host, store.port), timeout=10)
    sock.sendall(b"*3\r\n$5\r\nFCALL\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(name), name.encode()))
    return sock


def read_all(sock):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("kind", ["vigil", "redis"])
def test_busy_function_gets_busy_and_function_kill_stops_it(kind):
    store = start(kind)
    raw = store.raw()
    assert raw.call_bytes("CONFIG", "SET", "busy-reply-threshold", "100") == b"+OK\r\n"
    assert raw.call_bytes("FUNCTION", "LOAD", SPIN_LIB) == b"$7\r\nspinner\r\n"
    caller = send_fcall(store, "spin")
    wait_until(lambda: raw.call_bytes("PING") == BUSY_FUNCTION, 10, "other clients to get -BUSY")
    stats = raw.call_bytes("FUNCTION", "STATS")
    assert stats.startswith(b"*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin\r\n"
                            b"$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n$4\r\nspin\r\n$1\r\n0\r\n"
                            b"$11\r\nduration_ms\r\n:")
    assert raw.call_bytes("SCRIPT", "KILL") == BUSY_FUNCTION  # SCRIPT KILL stops only scripts
    assert raw.call_bytes("FUNCTION", "KILL") == b"+OK\r\n"
    assert read_all(caller) == (b"-ERR Script killed by user with SCRIPT KILL... script: spin, "
                                b"on @user_function:2.\r\n")
    assert raw.call_bytes("PING") == b"+PONG\r\n"
    assert raw.call_bytes("FUNCTION", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
    caller.close()
    # and FUNCTION KILL stops only functions
    caller = socket.create_connection((store.host, store.port), timeout=10)
    caller.sendall(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n")
    wait_until(lambda: raw.call_bytes("PING") == BUSY_SCRIPT, 10, "other clients to get -BUSY")
    assert raw.call_bytes("FUNCTION", "KILL") == BUSY_SCRIPT
    assert raw.call_bytes("SCRIPT", "KILL") == b"+OK\r\n"
    assert read_all(caller).startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    caller.close()


# ---- full resync and persistence (the RDB's FUNCTION2 records, the AOF rewrite) -------------

def has_shop(store):
    cli = store.client()
    libs = cli.execute_command("FUNCTION", "LIST", "LIBRARYNAME", "shop")
    return (len(libs) == 1 and libs[0][1] == b"shop"
            and cli.execute_command("FCALL_RO", "stock", 1, "h", "f") is None)


@pytest.mark.parametrize("master_kind", ["vigil", "redis"])
def test_a_full_resync_carries_the_libraries_to_vigil_and_redis_replicas(master_kind):
    master = start(master_kind, name="master")
    assert master.client().execute_command("FUNCTION", "LOAD", LIB) == b"shop"
    replicas = [start(name="vigil-replica"), start("redis", name="redis-replica")]
    # a replica's own libraries give way to its master's
    replicas[0].client().execute_command("FUNCTION", "LOAD", SPIN_LIB)
    for r in replicas:
        assert r.client().replicaof(master.host, master.port)
    for r in replicas:
        wait_synced(master, r)
        assert has_shop(r)
        assert r.client().execute_command("FUNCTION", "STATS")[3][1][1] == 1


def restart(store, kind, extra=()):
    data_dir = store.dir
    store.stop()
    return start(kind, data_dir=data_dir, extra=extra)


@pytest.mark.parametrize("writer,reader", [("vigil", "vigil"), ("vigil", "redis"),
                                           ("redis", "vigil")])
def test_an_rdb_keeps_the_libraries_across_a_restart_and_between_servers(writer, reader):
    store = start(writer)
    cli = store.client()
    assert cli.execute_command("FUNCTION", "LOAD", LIB) == b"shop"
    assert cli.execute_command("FCALL", "buy", 2, "h", "n", "f") == 1
    assert cli.save()
    again = restart(store, reader)
    libs = again.client().execute_command("FUNCTION", "LIST", "LIBRARYNAME", "shop")
    assert len(libs) == 1 and libs[0][1] == b"shop"
    assert again.client().execute_command("FCALL_RO", "stock", 1, "h", "f") == b"1"
    assert again.client().execute_command("FCALL", "buy", 2, "h", "n", "f") == 2


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_an_aof_rewrite_keeps_the_libraries(preamble):
    opts = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]
    store = start(extra=opts)
    cli = store.client()
    assert cli.execute_command("FUNCTION", "LOAD", LIB) == b"shop"
    assert cli.bgrewriteaof()
    wait_until(lambda: cli.info("persistence")["aof_rewrites"] >= 1
               and cli.info("persistence")["aof_rewrite_in_progress"] == 0, 20, "the rewrite")
    for kind in ("vigil", "redis"):  # redis-server loads vigil's rewritten AOF the same way
        store = restart(store, kind, extra=opts)
        assert has_shop(store)


def test_function_dump_restores_on_redis_and_back_and_restore_reaches_a_replica():
    vigil, red = start(name="vigil"), start("redis", name="redis")
    replica = start(name="vigil-replica")
    assert replica.client().replicaof(vigil.host, vigil.port)
    wait_synced(vigil, replica)
    vc, rc = vigil.client(), red.client()
    assert vc.execute_command("FUNCTION", "LOAD", LIB) == b"shop"
    assert vc.execute_command("FUNCTION", "LOAD", SPIN_LIB) == b"spinner"
    payload = vc.execute_command("FUNCTION", "DUMP")
    assert rc.execute_command("FUNCTION", "RESTORE", payload) == b"OK"
    assert has_shop(red) and rc.execute_command("FUNCTION", "STATS")[3][1][1] == 2
    assert rc.execute_command("FUNCTION", "DELETE", "spinner") == b"OK"
    back = rc.execute_command("FUNCTION", "DUMP")
    assert vc.execute_command("FUNCTION", "RESTORE", back, "FLUSH") == b"OK"
    assert vc.execute_command("FUNCTION", "DUMP") == back
    assert vc.execute_command("WAIT", 1, 5000) == 1
    assert has_shop(replica) and replica.client().execute_command("FUNCTION", "DUMP") == back


def test_info_counts_functions_and_libraries_as_redis():
    counts = {}
    for kind in ("vigil", "redis"):
        cli = start(kind, name=kind).client()
        cli.execute_command("FUNCTION", "LOAD", LIB)
        cli.execute_command("FUNCTION", "LOAD", SPIN_LIB)
        mem = cli.info("memory")
        counts[kind] = (mem["number_of_functions"], mem["number_of_libraries"])
        assert mem["used_memory_functions"] > 0
        cli.execute_command("FUNCTION", "FLUSH")
        assert cli.info("memory")["number_of_libraries"] == 0
    assert counts["vigil"] == counts["redis"] == (3, 2)
