"""Lua scripting (docs/scripting.md): EVAL and friends between real processes.

What is covered: redis-py's Lock (its acquire, extend, reacquire and release are Lua scripts
sent with EVALSHA), a sliding-window rate limiter loaded with SCRIPT LOAD, NOSCRIPT after SCRIPT
FLUSH, MULTI ... EVAL ... EXEC, the effects of a script reaching a vigil-store replica and a
redis-server replica (WAIT counts them), the AOF holding a script's writes as one MULTI/EXEC and
loading them back, scripts on a replica (reads allowed, writes refused with Redis's error),
a script past busy-reply-threshold (other clients get -BUSY, SCRIPT KILL, UNKILLABLE after a
write, SHUTDOWN NOSAVE), the sandbox (CVE-2022-0543 style escapes fail), and INFO's figures.

Replies that Redis also gives are compared byte for byte with a redis-server started in the same
test. Synchronisation is by polling with deadlines, never a fixed sleep.
"""

import hashlib
import os
import socket

import pytest
import redis
from redis.lock import Lock

import vigiltest
from vigiltest import wait_synced, wait_until

SYNC_TIMEOUT_S = 20

RATE_LIMIT = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then return 0 end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return 1
"""

SPIN = "local i = 0 while true do i = i + 1 end"
WRITE_THEN_SPIN = "redis.call('SET', KEYS[1], 'v') while true do end"
BUSY = b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"


def start(kind="vigil", extra=(), name=None):
    return vigiltest.start_store(kind, name=name,
                                 extra_args=["--repl-diskless-sync-delay", "0"] + list(extra))


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest().encode()


def info(cli, section):
    return cli.info(section)


# ---- client-library patterns -------------------------------------------------------------

def test_redis_py_lock_acquire_extend_release():
    store = start()
    cli = store.client()
    lock = Lock(cli, "lock:res", timeout=30)
    assert lock.acquire(blocking=False)
    other = Lock(store.client(), "lock:res", timeout=30)
    assert not other.acquire(blocking=False)
    other.local.token = b"not-the-owner"        # as if it had once held the lock
    assert lock.extend(30)                      # a Lua script: the TTL grows
    assert 30000 < cli.pttl("lock:res") <= 60000
    assert lock.reacquire()                     # back to the lock's own timeout
    assert cli.pttl("lock:res") <= 30000
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        other.release()                         # the script refuses: not its token
    lock.release()
    assert cli.exists("lock:res") == 0
    other.local.token = None
    assert other.acquire(blocking=False)


def test_rate_limiter_evalsha_after_script_load_and_noscript_after_flush():
    store = start()
    cli = store.client()
    sha = cli.script_load(RATE_LIMIT)
    assert cli.script_exists(sha) == [True]
    verdicts = [cli.evalsha(sha, 1, "rl:user", 1000 + i, 60000, 3, "req%d" % i) for i in range(5)]
    assert verdicts == [1, 1, 1, 0, 0]
    assert cli.zcard("rl:user") == 3
    assert 0 < cli.pttl("rl:user") <= 60000
    # the window slides: old entries leave, a new request fits again
    assert cli.evalsha(sha, 1, "rl:user", 1000 + 60001, 60000, 3, "late") == 1
    assert cli.script_flush() is True
    with pytest.raises(redis.exceptions.NoScriptError):
        cli.evalsha(sha, 1, "rl:user", 1, 60000, 3, "x")
    raw = store.raw()
    assert raw.call_bytes("EVALSHA", sha, "0") == b"-NOSCRIPT No matching script. Please use EVAL.\r\n"


def test_multi_eval_exec_runs_the_script_inside_the_transaction():
    store = start()
    raw = store.raw()
    assert raw.call_bytes("MULTI") == b"+OK\r\n"
    assert raw.call_bytes("SET", "a", "1") == b"+QUEUED\r\n"
    assert raw.call_bytes("EVAL", "return redis.call('INCR', KEYS[1])", "1", "a") == b"+QUEUED\r\n"
    assert raw.call_bytes("EXEC") == b"*2\r\n+OK\r\n:2\r\n"


# ---- replication and persistence -----------------------------------------------------------

MULTI_WRITE = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], 5)
local n = redis.call('RPUSH', KEYS[3], 'a', 'b')
redis.call('SELECT', 3)
redis.call('SET', 'in-db3', 'x')
return n
"""


def test_script_effects_reach_vigil_and_redis_replicas_and_wait_counts_them():
    master = start(name="master")
    replicas = [start(name="vigil-replica"), start("redis", name="redis-replica")]
    for r in replicas:
        assert r.client().replicaof(master.host, master.port)
    cli = master.client()
    cli.set("ready", "1")
    wait_synced(master, *replicas)
    assert cli.eval(MULTI_WRITE, 3, "s", "n", "l", "v1") == 2
    assert cli.execute_command("WAIT", 2, 5000) == 2
    for r in replicas:
        rc = r.client()
        assert rc.get("s") == b"v1" and rc.get("n") == b"5" and rc.lrange("l", 0, -1) == [b"a", b"b"]
        assert r.client(db=3).get("in-db3") == b"x"
    # a read-only script writes nothing: the stream does not move
    before = info(cli, "replication")["master_repl_offset"]
    assert cli.eval("return redis.call('GET', KEYS[1])", 1, "s") == b"v1"
    assert info(cli, "replication")["master_repl_offset"] == before


def test_scripts_on_a_replica_read_but_do_not_write_as_redis():
    replies = {}
    for kind in ("vigil", "redis"):
        master = start(kind, name="master-" + kind)
        replica = start(kind, name="replica-" + kind)
        assert replica.client().replicaof(master.host, master.port)
        master.client().set("k", "v")
        wait_until(lambda: replica.client().get("k") == b"v", SYNC_TIMEOUT_S, "replica has k")
        raw = replica.raw()
        replies[kind] = [
            raw.call_bytes("EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "k"),
            raw.call_bytes("EVAL", "return redis.call('GET', KEYS[1])", "1", "k"),
            raw.call_bytes("EVAL", "return redis.call('SET', KEYS[1], 'x')", "1", "k"),
            raw.call_bytes("EVAL", "#!lua\nreturn 1", "0"),
            raw.call_bytes("EVAL", "#!lua flags=no-writes\nreturn 1", "0"),
        ]
    assert replies["vigil"][0] == b"$1\r\nv\r\n"
    assert replies["vigil"][2].startswith(b"-READONLY You can't write against a read only replica.")
    assert replies["vigil"] == replies["redis"]


def test_aof_keeps_a_script_as_one_transaction_and_loads_it_back():
    store = start(extra=["--appendonly", "yes"])
    cli = store.client()
    assert cli.eval(MULTI_WRITE, 3, "s", "n", "l", "v1") == 2
    assert cli.eval("return redis.call('SET', KEYS[1], 'one')", 1, "single") == b"OK"
    aof = os.path.join(store.dir, "appendonlydir", "appendonly.aof.1.incr.aof")
    wait_until(lambda: b"single" in open(aof, "rb").read(), 10, "the AOF to hold the writes")
    data = open(aof, "rb").read()
    body = data[data.index(b"*1\r\n$5\r\nMULTI\r\n"):]
    assert body.index(b"EXEC") > body.index(b"in-db3") > body.index(b"RPUSH")
    assert data.count(b"MULTI") == 1            # a single write is not wrapped
    data_dir = store.dir
    store.stop()
    again = vigiltest.start_store("vigil", data_dir=data_dir, extra_args=["--appendonly", "yes"])
    rc = again.client()
    assert rc.get("s") == b"v1" and rc.get("n") == b"5" and rc.get("single") == b"one"
    assert again.client(db=3).get("in-db3") == b"x"


# ---- long scripts ------------------------------------------------------------------------

def send_eval(store, body, *args):
    sock = socket.create_connection((store.host, store.port), timeout=10)
    parts = ["EVAL", body, str(len(args))] + list(args)
    out = b"*%d\r\n" % len(parts)
    for p in parts:
        p = p.encode()
        out += b"$%d\r\n%s\r\n" % (len(p), p)
    sock.sendall(out)
    return sock


def read_all(sock):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def wait_busy(raw):
    wait_until(lambda: raw.call_bytes("PING") == BUSY, 10, "other clients to get -BUSY")


@pytest.mark.parametrize("kind", ["vigil", "redis"])
def test_busy_script_gets_busy_and_script_kill_stops_it(kind):
    store = start(kind)
    raw = store.raw()
    assert raw.call_bytes("CONFIG", "SET", "busy-reply-threshold", "100") == b"+OK\r\n"
    caller = send_eval(store, SPIN)
    wait_busy(raw)
    assert raw.call_bytes("GET", "x") == BUSY
    assert raw.call_bytes("SCRIPT", "KILL") == b"+OK\r\n"
    assert read_all(caller) == (b"-ERR Script killed by user with SCRIPT KILL... script: %s, "
                                b"on @user_script:1.\r\n" % sha1(SPIN))
    assert raw.call_bytes("PING") == b"+PONG\r\n"
    assert raw.call_bytes("SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
    caller.close()


@pytest.mark.parametrize("kind", ["vigil", "redis"])
def test_busy_script_that_wrote_is_unkillable_and_shutdown_nosave_ends_it(kind):
    store = start(kind)
    raw = store.raw()
    assert raw.call_bytes("CONFIG", "SET", "lua-time-limit", "100") == b"+OK\r\n"
    caller = send_eval(store, WRITE_THEN_SPIN, "k")
    wait_busy(raw)
    assert raw.call_bytes("SCRIPT", "KILL").startswith(
        b"-UNKILLABLE Sorry the script already executed write commands against the dataset.")
    assert raw.call_bytes("SHUTDOWN") == BUSY
    raw.send_command("SHUTDOWN", "NOSAVE")
    wait_until(lambda: not store.is_alive(), 10, "the store to exit")
    assert read_all(caller) == b""              # the caller sees the connection close
    caller.close()


# ---- sandbox -------------------------------------------------------------------------------

ESCAPES = [
    "return package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', 'system')",
    "return require('os')",
    "return io.open('/etc/passwd')",
    "return os.execute('id')",
    "return loadstring(string.dump(function() return 1 end))()",
    "return load(function() return string.dump(function() return 1 end) end)()",
    "return dofile('/etc/passwd')",
    "return loadfile('/etc/passwd')",
    "return debug.getregistry()",
    "setfenv(1, {})",
    "return getfenv(0)",
    "rawset(_G, 'os', 1)",
    "setmetatable(_G, nil) return os",
    "getmetatable('').__index.dump = nil return 1",
    "return newproxy(true)",
    "return module('x')",
]


def test_sandbox_escapes_fail_as_on_redis():
    vigil, ref = start(), start("redis")
    for body in ESCAPES:
        got, want = vigil.raw().call_bytes("EVAL", body, "0"), ref.raw().call_bytes("EVAL", body, "0")
        assert got.startswith(b"-"), (body, got)
        assert got == want, (body, got, want)


def test_info_reports_cached_scripts_and_lua_memory_and_flush_frees_them():
    store = start()
    cli = store.client()
    before = info(cli, "memory")
    assert before["number_of_cached_scripts"] == 0
    for i in range(50):
        cli.script_load("return %d" % i)
    after = info(cli, "memory")
    assert after["number_of_cached_scripts"] == 50
    assert after["used_memory_scripts_eval"] > 0 and after["used_memory_lua"] > 0
    assert after["used_memory_lua_human"].endswith(("B", "K", "M"))
    cli.script_flush("SYNC")
    flushed = info(cli, "memory")
    assert flushed["number_of_cached_scripts"] == 0 and flushed["used_memory_scripts_eval"] == 0
    assert flushed["used_memory_lua"] < after["used_memory_lua"]


def client_ids_around_scripts(store):
    """CLIENT ID of two connections opened before and after 20 EVALs and FCALLs, the second
    minus the first, what CLIENT LIST counts meanwhile, and INFO clients with both open."""
    a = store.raw()
    first = a.call("CLIENT", "ID")
    a.call("FUNCTION", "LOAD", "#!lua name=ids\nredis.register_function('f', function() "
           "return redis.call('PING') end)")
    for i in range(10):
        assert a.call("EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "k", str(i)) == "OK"
        assert a.call("FCALL", "f", "0") == "PONG"
    listed = len(a.call("CLIENT", "LIST").splitlines())
    b = store.raw()
    return b.call("CLIENT", "ID") - first, listed, a.call("INFO", "clients")


def test_scripts_use_no_client_ids_and_their_client_is_not_listed_as_redis():
    got, want = client_ids_around_scripts(start()), client_ids_around_scripts(start("redis"))
    assert got[0] == want[0] == 1, (got[0], want[0])
    assert got[1] == want[1] == 1
    assert b"connected_clients:2\r\n" in got[2] and b"connected_clients:2\r\n" in want[2]


def monitor_lines(store):
    """What MONITOR shows of one EVAL, timestamps and client addresses masked."""
    import re
    mon = store.raw()
    assert mon.call_bytes("MONITOR") == b"+OK\r\n"
    raw = store.raw()
    assert raw.call_bytes("EVAL", "redis.call('SET', 'x', '1') return redis.call('GET', 'x')",
                          "0") == b"$1\r\n1\r\n"
    raw.call_bytes("SET", "y", "2")
    lines = [mon.read_reply_bytes() for _ in range(4)]
    def mask(m):
        return b"[%s %s]" % (m.group(1), b"lua" if m.group(2) == b"lua" else b"ADDR")
    return [re.sub(rb"^\+\d+\.\d+ \[(\d+) (lua|[\d.:]+)\]", mask, line) for line in lines]


def test_monitor_shows_eval_then_its_commands_from_lua_as_redis():
    got, want = monitor_lines(start()), monitor_lines(start("redis"))
    assert got[1] == b'[0 lua] "SET" "x" "1"\r\n'
    assert got == want


def test_a_script_waits_while_a_failover_pauses_writes():
    """FAILOVER pauses writes while the target catches up: a script may write, so it waits too
    (its command stays in the client's query buffer) and runs once the pause ends."""
    import signal
    master, replica = start(name="master"), start(name="replica")
    assert replica.client().replicaof(master.host, master.port)
    mc = master.client()
    mc.set("ready", "1")
    wait_synced(master, replica)
    replica.proc.signal(signal.SIGSTOP)
    try:
        assert mc.execute_command("FAILOVER", "TO", replica.host, replica.port,
                                  "TIMEOUT", 60000) == b"OK"
        writer = master.raw()
        assert writer.call_bytes("CLIENT", "SETNAME", "scripter") == b"+OK\r\n"
        writer.send_command("EVAL", "return redis.call('SET', KEYS[1], 'v')", "1", "held")

        def held():
            line = [ln for ln in mc.execute_command("CLIENT", "LIST").decode().splitlines()
                    if "name=scripter" in ln][0]
            return "qbuf=0 " not in line
        wait_until(held, 10, "the script to wait in the query buffer")
        assert mc.get("held") is None
        assert mc.execute_command("FAILOVER", "ABORT") == b"OK"
        assert writer.read_reply_bytes(timeout_s=10) == b"+OK\r\n"
        assert mc.get("held") == b"v"
    finally:
        replica.proc.signal(signal.SIGCONT)


def test_a_busy_script_on_a_replica_holds_the_masters_stream_and_loses_none_of_it():
    """While a replica runs a script past its time limit, the commands its master sends wait
    (they are neither refused with -BUSY, which the master would never see, nor applied in the
    middle of the script) and are applied once the script ends."""
    master, replica = start(name="master"), start(name="replica")
    assert replica.client().replicaof(master.host, master.port)
    mc = master.client()
    mc.set("ready", "1")
    wait_synced(master, replica)
    raw = replica.raw()
    assert raw.call_bytes("CONFIG", "SET", "busy-reply-threshold", "100") == b"+OK\r\n"
    sock = socket.create_connection((replica.host, replica.port), timeout=10)
    sock.sendall(b"*3\r\n$7\r\nEVAL_RO\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(SPIN), SPIN.encode()))
    wait_busy(raw)
    for i in range(20):                          # the stream reaches the replica's socket...
        assert mc.set("during:%d" % i, i) is True
    assert raw.call_bytes("PING") == BUSY        # ...and is read by a poll inside the script
    assert raw.call_bytes("SCRIPT", "KILL") == b"+OK\r\n"
    assert read_all(sock).startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    sock.close()
    wait_until(lambda: replica.client().get("during:19") == b"19", 10, "the held stream applied")
    rc = replica.client()
    assert [rc.get("during:%d" % i) for i in range(20)] == [str(i).encode() for i in range(20)]
    wait_synced(master, replica, what="offsets to agree")


def test_client_ids_are_never_reused_after_a_connection_closes():
    """The script client gives its id back when it is made; a closing connection never does
    (a bug of that change handed the same id to every new connection)."""
    store = start()
    ids = []
    for _ in range(3):
        with store.raw() as c:
            ids.append(c.call("CLIENT", "ID"))
    assert ids[0] < ids[1] < ids[2], ids
