"""The append-only file, writing side (docs/persistence.md#the-append-only-file).

What vigil-store writes must be Redis 7.0's multi-part AOF: Debian's redis-check-aof accepts the
folder, and a redis-server 7.0 started with --appendonly yes on a copy of it loads the same
dataset (every type, expiry, several databases, MULTI/EXEC, keys expired as DELs), before and
after BGREWRITEAOF with and without the RDB preamble, after an automatic rewrite, and after
CONFIG SET appendonly yes at run time. Under `appendfsync always` a write's reply leaves only
after its fsync (seen with strace). A full disk (a small tmpfs in a private mount namespace)
refuses writes with -MISCONF, keeps reads working, loses nothing, and writes resume once space
is freed.
"""

import os
import select
import shutil
import socket
import stat
import subprocess

import redis

import vigiltest
from vigiltest import wait_until

AOF_DIR = "appendonlydir"
MANIFEST = "appendonly.aof.manifest"


def start_vigil(*extra, **kwargs):
    return vigiltest.start_store("vigil", extra_args=list(extra), **kwargs)


def info(cli, section="persistence"):
    return cli.info(section)


def wait_rewrite_done(cli, rewrites):
    """Until `rewrites` rewrites ran and none is running or scheduled."""
    def done():
        i = info(cli)
        return (i["aof_rewrites"] >= rewrites and i["aof_rewrite_in_progress"] == 0
                and i["aof_rewrite_scheduled"] == 0)
    wait_until(done, 20, "the AOF rewrite to finish")
    assert info(cli)["aof_last_bgrewrite_status"] == "ok"


def fill_every_type(store, tag=b"", with_hll=True):
    """Keys of every type, with and without expiry, in dbs 0, 3 and 9; a MULTI/EXEC block.

    The HLL is Redis's bytes (docs/persistence.md, "HyperLogLog values"), so it moves in a
    base (RDB or SET) as in PFADD commands."""
    c0, c3, c9 = store.client(db=0), store.client(db=3), store.client(db=9)
    c0.set(b"str" + tag, b"hello")
    c0.set(b"int" + tag, 12345)
    c0.set(b"bin\x00key" + tag, b"\xff\x00\x01")
    c0.set(b"ttl" + tag, b"v", ex=1000)
    c0.rpush(b"list" + tag, *[b"item%d" % i for i in range(150)])
    c0.sadd(b"intset" + tag, *range(100))
    c0.sadd(b"set" + tag, *[b"m%d" % i for i in range(200)])
    c0.zadd(b"zset" + tag, {b"a": 1.5, b"b": -2, b"c": float("inf")})
    c0.zadd(b"bigzset" + tag, {b"m%d" % i: i / 7 for i in range(300)})
    c0.hset(b"hash" + tag, mapping={b"f1": b"v1", b"f2": b"v2"})
    c0.hset(b"bighash" + tag, mapping={b"f%d" % i: b"x" * (i % 70) for i in range(300)})
    if with_hll:
        c0.pfadd(b"hll" + tag, *[b"e%d" % i for i in range(50)])
    c0.setbit(b"bits" + tag, 1000, 1)
    c0.expire(b"hash" + tag, 5000)
    c0.incr(b"int" + tag)
    c3.set(b"in3" + tag, b"three")
    c3.lpush(b"l3" + tag, b"x", b"y")
    c9.zadd(b"z9" + tag, {b"m": 9})
    c9.pexpire(b"z9" + tag, 900000)
    pipe = c0.pipeline(transaction=True)
    pipe.set(b"tx1" + tag, b"1").incrby(b"tx2" + tag, 5).sadd(b"txs" + tag, b"a")
    pipe.execute()


def dump_dataset(cli_for_db):
    """{(db, key): (type, value, has_ttl)} for dbs 0..15."""
    out = {}
    for db in range(16):
        cli = cli_for_db(db)
        for key in cli.keys(b"*"):
            kind = cli.type(key)
            if kind == b"string":
                value = cli.get(key)
                if value[:4] == b"HYLL":  # the same registers (the cached count aside): counted
                    value = (value[:8] + value[16:], cli.pfcount(key))
            elif kind == b"list":
                value = tuple(cli.lrange(key, 0, -1))
            elif kind == b"set":
                value = frozenset(cli.smembers(key))
            elif kind == b"zset":
                value = tuple(cli.zrange(key, 0, -1, withscores=True))
            elif kind == b"hash":
                value = frozenset(cli.hgetall(key).items())
            else:
                value = None
            out[(db, key)] = (kind, value, cli.pttl(key) > 0)
    return out


def dataset_of(store):
    clients = {}

    def cli(db):
        if db not in clients:
            clients[db] = store.client(db=db)
        return clients[db]
    return dump_dataset(cli)


def check_aof_folder(src_dir):
    """redis-check-aof accepts the folder; returns the folder's file names."""
    aof_dir = os.path.join(src_dir, AOF_DIR)
    res = subprocess.run(["redis-check-aof", os.path.join(aof_dir, MANIFEST)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "All AOF files and manifest are valid" in res.stdout, res.stdout
    return sorted(os.listdir(aof_dir))


def redis_dataset_from(src_dir):
    """Start a redis-server 7.0 with --appendonly yes on a copy of src_dir's AOF folder."""
    dst = vigiltest.new_tmp_dir("redis-aof-copy")
    shutil.copytree(os.path.join(src_dir, AOF_DIR), os.path.join(dst, AOF_DIR))
    rs = vigiltest.start_store("redis", data_dir=dst, extra_args=["--appendonly", "yes"])
    try:
        return dataset_of(rs)
    finally:
        rs.stop()


def assert_redis_loads_same(store, expected=None):
    expected = dataset_of(store) if expected is None else expected
    assert store.stop() == 0
    files = check_aof_folder(store.dir)
    got = redis_dataset_from(store.dir)
    assert got == expected
    return files


def manifest_lines(src_dir):
    with open(os.path.join(src_dir, AOF_DIR, MANIFEST)) as f:
        return [line.split() for line in f if line.strip()]


# ---- the folder and what redis-server makes of it ----

def test_appendonly_yes_writes_a_folder_redis_loads():
    store = start_vigil("--appendonly", "yes")
    cli = store.client()
    fill_every_type(store, with_hll=True)
    cli.set(b"short", b"gone", px=30)
    wait_until(lambda: cli.get(b"short") is None, 5, "the short key to expire")
    i = info(cli)
    assert i["aof_enabled"] == 1 and i["aof_last_write_status"] == "ok"
    assert i["aof_current_size"] > 0
    files = assert_redis_loads_same(store)
    # As Redis 7.0 starting with nothing: a base written first, then incremental file 1.
    assert files == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", MANIFEST]
    with open(os.path.join(store.dir, AOF_DIR, "appendonly.aof.1.incr.aof"), "rb") as f:
        incr = f.read()
    assert incr.startswith(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
    assert b"*2\r\n$3\r\nDEL\r\n$5\r\nshort\r\n" in incr  # the expiry, as a DEL
    assert b"$5\r\nMULTI\r\n" in incr and b"$4\r\nEXEC\r\n" in incr
    assert b"$1\r\n3\r\n" in incr  # SELECT 3


def test_restart_appends_to_the_last_incremental_file():
    store = start_vigil("--appendonly", "yes")
    store.client().set(b"a", b"1")
    data_dir = store.dir
    assert store.stop() == 0
    again = start_vigil("--appendonly", "yes", data_dir=data_dir)
    again.client().set(b"b", b"2")
    assert again.stop() == 0
    assert check_aof_folder(data_dir) == ["appendonly.aof.1.base.rdb",
                                          "appendonly.aof.1.incr.aof", MANIFEST]
    got = redis_dataset_from(data_dir)
    assert got[(0, b"b")] == (b"string", b"2", False)


# ---- rewrites ----

def rewrite_and_check(preamble):
    store = start_vigil("--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    cli = store.client()
    fill_every_type(store)
    assert store.raw().call("BGREWRITEAOF") == "Background append only file rewriting started"
    wait_rewrite_done(cli, 1)
    fill_every_type(store, tag=b"-after")
    cli.delete(b"str")
    files = assert_redis_loads_same(store)
    ext = "rdb" if preamble == "yes" else "aof"
    assert files == ["appendonly.aof.2.base." + ext, "appendonly.aof.2.incr.aof", MANIFEST]
    assert manifest_lines(store.dir) == [
        ["file", "appendonly.aof.2.base." + ext, "seq", "2", "type", "b"],
        ["file", "appendonly.aof.2.incr.aof", "seq", "2", "type", "i"]]
    return store


def test_bgrewriteaof_with_rdb_preamble():
    store = rewrite_and_check("yes")
    with open(os.path.join(store.dir, AOF_DIR, "appendonly.aof.2.base.rdb"), "rb") as f:
        assert f.read(5) == b"REDIS"  # an RDB preamble


def test_bgrewriteaof_as_commands():
    store = rewrite_and_check("no")
    with open(os.path.join(store.dir, AOF_DIR, "appendonly.aof.2.base.aof"), "rb") as f:
        base = f.read()
    assert base.startswith(b"*2\r\n$6\r\nSELECT\r\n")
    assert b"PEXPIREAT" in base and b"RPUSH" in base and b"HMSET" in base


def test_bgrewriteaof_replies_while_another_runs():
    # rdb-key-save-delay does not slow our child: keep it busy with a big dataset instead, and
    # accept either reply for the second call only if the first is still running.
    store = start_vigil("--appendonly", "yes")
    cli = store.client()
    pipe = cli.pipeline(transaction=False)
    for i in range(200000):
        pipe.set(b"k%d" % i, b"v" * 50)
    pipe.execute()
    raw = store.raw()
    assert raw.call("BGREWRITEAOF") == "Background append only file rewriting started"
    second = raw.call("BGREWRITEAOF")
    if isinstance(second, vigiltest.ReplyError):
        assert second.message == "ERR Background append only file rewriting already in progress"
    else:  # the first one had already finished
        assert second == "Background append only file rewriting started"
    wait_rewrite_done(cli, 1)


def test_auto_rewrite_at_threshold():
    store = start_vigil("--appendonly", "yes", "--auto-aof-rewrite-min-size", "16384",
                        "--auto-aof-rewrite-percentage", "100")
    cli = store.client()
    for i in range(50):
        cli.set(b"k%d" % (i % 5), b"x" * 100)
    assert info(cli)["aof_rewrites"] == 0  # below the minimum size
    for i in range(300):
        cli.set(b"k%d" % (i % 5), b"x" * 100)
    wait_rewrite_done(cli, 1)
    i = info(cli)
    assert i["aof_base_size"] > 0 and i["aof_current_size"] < 16384
    assert_redis_loads_same(store)


def test_config_set_appendonly_at_run_time():
    store = start_vigil()
    cli = store.client()
    fill_every_type(store)
    assert not os.path.exists(os.path.join(store.dir, AOF_DIR))
    assert cli.config_set("appendonly", "yes")
    i = info(cli)
    assert i["aof_enabled"] == 1
    wait_rewrite_done(cli, 1)
    cli.set(b"later", b"1")
    assert cli.config_set("appendonly", "no")
    assert info(cli)["aof_enabled"] == 0
    expected = dataset_of(store)
    cli.set(b"not-logged", b"1")  # the AOF is off: this one is not in the folder
    assert store.stop() == 0
    assert check_aof_folder(store.dir) == ["appendonly.aof.1.base.rdb",
                                           "appendonly.aof.1.incr.aof", MANIFEST]
    assert redis_dataset_from(store.dir) == expected


def test_config_set_appendfsync_at_run_time():
    store = start_vigil("--appendonly", "yes")
    cli = store.client()
    for policy in ("always", "no", "everysec"):
        assert cli.config_set("appendfsync", policy)
        cli.set(b"p-" + policy.encode(), policy)
        assert cli.config_get("appendfsync") == {"appendfsync": policy}
    assert_redis_loads_same(store)


# ---- appendfsync always: the reply after the fsync ----

def test_always_replies_only_after_fsync():
    trace = os.path.join(vigiltest.new_tmp_dir("strace"), "trace.txt")
    wrapper = os.path.join(os.path.dirname(trace), "vigil-strace.sh")
    with open(wrapper, "w") as f:
        # LeakSanitizer cannot run under ptrace (make asan reported a fatal error here): the
        # traced store runs without it; every other test checks leaks.
        f.write("#!/bin/sh\nASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "
                "exec strace -f -qq -s 200 -e trace=write,fdatasync,fsync -o %s %s \"$@\"\n"
                % (trace, vigiltest.vigil_binary("vigil-store")))
    os.chmod(wrapper, stat.S_IRWXU)
    store = vigiltest.start_store(wrapper, extra_args=["--appendonly", "yes",
                                                       "--appendfsync", "always"])
    try:
        cli = store.client()
        assert cli.set(b"durable-key", b"durable-value-1")

        def lines():
            with open(trace) as f:
                return f.read().splitlines()
        wait_until(lambda: any('"+OK\\r\\n"' in ln for ln in lines()[-50:]), 10,
                   "the reply in the trace")
        text = lines()
        aof_write = next(i for i, ln in enumerate(text)
                         if "durable-value-1" in ln and "write(" in ln)
        fd = text[aof_write].split("write(")[1].split(",")[0]
        sync = next(i for i, ln in enumerate(text)
                    if i > aof_write and "fdatasync(%s)" % fd in ln)
        reply = next(i for i, ln in enumerate(text) if i > aof_write and '"+OK\\r\\n"' in ln)
        assert aof_write < sync < reply, "\n".join(text[aof_write:reply + 1])
    finally:
        # The process we started is strace: killing it would leave the traced store running
        # (strace detaches). The store is stopped by its own SHUTDOWN; strace exits with it.
        try:
            with vigiltest.RespConn(store.host, store.port) as conn:
                conn.call("SHUTDOWN", "NOSAVE")
        except (OSError, vigiltest.ConnectionClosed):
            pass
        wait_until(lambda: not store.is_alive(), 20, "the traced store and strace to exit")


# ---- disk full ----

NS_WRAPPER = r"""#!/bin/sh
# Run the store in a private mount namespace with a small tmpfs as its data folder.
exec unshare --mount --propagation private /bin/sh -c '
mount -t tmpfs -o size=%(size)s,mode=0755 tmpfs "%(dir)s" || exit 97
dd if=/dev/zero of="%(dir)s/filler" bs=1024 count=%(fill_kb)d 2>/dev/null
exec "$0" "$@"' %(bin)s "$@"
"""


def start_on_small_disk(policy):
    """A store whose data folder is a 1 MB tmpfs with 700 KB taken by a filler file; returns the
    store and the folder as this process sees it (through the store's /proc/<pid>/root)."""
    base = vigiltest.new_tmp_dir("diskfull")
    data_dir = os.path.join(base, "data")
    os.mkdir(data_dir, 0o755)
    wrapper = os.path.join(base, "vigil-ns.sh")
    with open(wrapper, "w") as f:
        f.write(NS_WRAPPER % {"size": "1m", "dir": data_dir, "fill_kb": 700,
                              "bin": vigiltest.vigil_binary("vigil-store")})
    os.chmod(wrapper, stat.S_IRWXU)
    store = vigiltest.start_store(wrapper, data_dir=data_dir,
                                  extra_args=["--appendonly", "yes", "--appendfsync", policy])
    return store, "/proc/%d/root%s" % (store.proc.pid, data_dir)


def test_disk_full_misconf_then_resume():
    store, ns_dir = start_on_small_disk("everysec")
    cli = store.client()
    acked = {}
    refusal = None
    for i in range(400):
        key, value = b"k%d" % i, (b"%d-" % i) * 2000
        try:
            cli.set(key, value)
            acked[key] = value
        except redis.ResponseError as exc:
            refusal = str(exc)
            break
    assert refusal and refusal.startswith("MISCONF Errors writing to the AOF file: "), refusal
    assert "No space left on device" in refusal
    i = info(cli)
    assert i["aof_last_write_status"] == "err"
    assert cli.get(b"k0") == acked[b"k0"]  # reads keep working
    # A rewrite cannot work either: it fails, is counted, and changes no file.
    files_before = sorted(os.listdir(os.path.join(ns_dir, AOF_DIR)))
    reply = store.raw().call("BGREWRITEAOF")
    assert reply == "Background append only file rewriting started" or reply.message == (
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more "
        "information."), reply
    wait_until(lambda: info(cli)["aof_rewrites_consecutive_failures"] == 1
               and info(cli)["aof_rewrite_in_progress"] == 0, 10, "the rewrite to fail")
    assert info(cli)["aof_last_bgrewrite_status"] == "err"
    assert sorted(os.listdir(os.path.join(ns_dir, AOF_DIR))) == files_before
    os.unlink(os.path.join(ns_dir, "filler"))

    def write_ok():
        try:
            return cli.set(b"after", b"space")
        except redis.ResponseError:
            return False
    wait_until(write_ok, 10, "writes to resume once space is freed")
    acked[b"after"] = b"space"
    assert info(cli)["aof_last_write_status"] == "ok"
    rewrites = info(cli)["aof_rewrites"]  # the failed one counts only if it forked
    assert store.raw().call("BGREWRITEAOF") == "Background append only file rewriting started"
    wait_rewrite_done(cli, rewrites + 1)
    assert info(cli)["aof_rewrites_consecutive_failures"] == 0
    cli.set(b"after-rewrite", b"1")
    acked[b"after-rewrite"] = b"1"
    copy = vigiltest.new_tmp_dir("diskfull-copy")
    shutil.copytree(os.path.join(ns_dir, AOF_DIR), os.path.join(copy, AOF_DIR))
    store.stop()
    check_aof_folder(copy)
    got = redis_dataset_from(copy)
    for key, value in acked.items():
        assert got[(0, key)] == (b"string", value, False), key


# ---- WAITAOF (Redis 7.2's command) ----

def test_waitaof_errors():
    store = start_vigil()
    raw = store.raw()
    for cmd, err in [
            (("WAITAOF", "1", "0", "0"),
             "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled."),
            (("WAITAOF", "-1", "0", "0"), "ERR value is out of range, must be positive"),
            (("WAITAOF", "x", "0", "0"), "ERR value is not an integer or out of range"),
            (("WAITAOF", "0", "0", "-1"), "ERR timeout is negative"),
            (("WAITAOF", "0", "0"), "ERR wrong number of arguments for 'waitaof' command")]:
        reply = raw.call(*cmd)
        assert isinstance(reply, vigiltest.ReplyError) and reply.message == err, (cmd, reply)
    assert raw.call("WAITAOF", "0", "0", "0") == [0, 0]


def start_pair(master_args, replica_args):
    master = start_vigil(*master_args)
    replica = start_vigil("--replicaof", "127.0.0.1 %d" % master.port, *replica_args)
    mcli = master.client()
    wait_until(lambda: mcli.info("replication").get("slave0", {}).get("state") == "online", 20,
               "the replica to be online")
    return master, replica


def test_waitaof_local_and_replica():
    master, replica = start_pair(["--appendonly", "yes", "--appendfsync", "always"],
                                 ["--appendonly", "yes"])
    raw = master.raw()
    assert raw.call("SET", "k", "v") == "OK"
    assert raw.call("WAITAOF", "1", "0", "0") == [1, 0]  # always: fsynced before the reply
    assert raw.call("WAITAOF", "1", "1", "10000") == [1, 1]
    err = replica.raw().call("WAITAOF", "0", "0", "0")
    assert err.message.startswith("ERR WAITAOF cannot be used with replica instances.")


def test_waitaof_times_out_when_the_replica_has_no_aof():
    master, _ = start_pair(["--appendonly", "yes", "--appendfsync", "everysec"], [])
    raw = master.raw()
    assert raw.call("SET", "k", "v") == "OK"
    assert raw.call("WAITAOF", "1", "0", "10000") == [1, 0]  # everysec: within about a second
    assert raw.call("WAITAOF", "0", "1", "300") == [1, 0]  # the replica never fsyncs an AOF


def test_replica_aof_restarts_after_full_sync():
    master = start_vigil()
    fill_every_type(master)
    replica = start_vigil("--appendonly", "yes", "--replicaof", "127.0.0.1 %d" % master.port)
    mcli, rcli = master.client(), replica.client()
    wait_until(lambda: mcli.info("replication").get("slave0", {}).get("state") == "online", 20,
               "the replica to be online")
    wait_rewrite_done(rcli, 1)  # the AOF was rewritten from the master's snapshot
    mcli.set(b"streamed", b"after the sync")
    wait_until(lambda: rcli.get(b"streamed") == b"after the sync", 10, "the stream to apply")
    expected = dataset_of(master)
    assert dataset_of(replica) == expected
    assert_redis_loads_same(replica, expected)


def test_disk_full_under_always_holds_the_reply_until_on_disk():
    store, ns_dir = start_on_small_disk("always")
    sock = socket.create_connection((store.host, store.port), timeout=10)
    value = b"v" * 20000
    log_mark = "Error writing to the AOF file: No space left on device"
    held = None
    for i in range(60):
        key = b"k%d" % i
        cmd = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value),
                                                                        value)
        sock.sendall(cmd)
        got = wait_until(lambda: select.select([sock], [], [], 0)[0] or
                         log_mark in store.proc.log_text(), 10, "a reply or the write error")
        if got is True:  # the log says the write failed, and no reply is readable
            held = key
            break
        assert sock.recv(5) == b"+OK\r\n"
    assert held, "the disk never filled"
    # The failed write's reply is held: nothing may be readable before its bytes are on disk.
    sock.setblocking(False)
    try:
        assert sock.recv(5) == b"", "a reply left before its write reached the disk"
    except BlockingIOError:
        pass
    sock.setblocking(True)
    os.unlink(os.path.join(ns_dir, "filler"))
    assert sock.recv(5) == b"+OK\r\n"  # released once the write and fsync succeeded
    copy = vigiltest.new_tmp_dir("always-copy")
    shutil.copytree(os.path.join(ns_dir, AOF_DIR), os.path.join(copy, AOF_DIR))
    sock.close()
    store.stop()
    got = redis_dataset_from(copy)
    assert got[(0, held)] == (b"string", value, False)


def test_rewrites_leave_no_descriptor_behind():
    store = start_vigil("--appendonly", "yes")
    cli = store.client()
    raw = store.raw()
    cli.set(b"k", b"v")
    fds = lambda: len(os.listdir("/proc/%d/fd" % store.proc.pid))  # noqa: E731
    before = fds()
    for n in range(1, 4):
        assert raw.call("BGREWRITEAOF") == "Background append only file rewriting started"
        wait_rewrite_done(cli, n)
    assert fds() == before


def test_timestamp_annotations():
    store = start_vigil("--appendonly", "yes", "--aof-timestamp-enabled", "yes",
                        "--aof-use-rdb-preamble", "no")
    store.client().set(b"a", b"1")
    assert_redis_loads_same(store)
    folder = os.path.join(store.dir, AOF_DIR)
    for name in ("appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof"):
        with open(os.path.join(folder, name), "rb") as f:
            assert f.read(4) == b"#TS:", name
