"""Snapshots on disk, the saving side (docs/persistence.md#snapshots): SAVE, BGSAVE, LASTSAVE,
save points, a killed background child, -MISCONF, SHUTDOWN and its variants, SIGTERM, and a full
disk. Every file vigil-store writes is checked by Debian's redis-check-rdb and by a redis-server
started on it, whose keys, values and TTLs must be ours.
"""

import os
import shutil
import signal
import subprocess

import pytest
import redis

import vigiltest

MISCONF = (b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           b"persist to disk. Commands that may modify the data set are disabled, because this "
           b"instance is configured to report errors during writes if RDB snapshotting fails "
           b"(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
           b"the RDB error.\r\n")
SHUTDOWN_FAILED = b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
FAR_TTL_S = 100000


def _persistence(store):
    return store.client().info("persistence")


def _fill(cli):
    """Every type, TTLs, two databases, binary keys, compressible and incompressible strings."""
    cli.set(b"str", b"hello")
    cli.set(b"int", b"12345")
    cli.set(b"long", b"x" * 5000)
    cli.set(b"noise", os.urandom(3000))
    cli.set(b"bin\x00\xffkey", b"\x00\x01\x02")
    cli.set(b"ttl", b"v", ex=FAR_TTL_S)
    cli.rpush(b"list", *[b"item%d" % i for i in range(300)])
    cli.rpush(b"smalllist", b"a", b"b")
    cli.sadd(b"intset", *range(50))
    cli.sadd(b"set", *[b"m%d" % i for i in range(300)])
    cli.zadd(b"zset", {b"z%d" % i: i / 3 for i in range(200)})
    cli.zadd(b"smallz", {b"a": 1.5, b"b": -2})
    cli.hset(b"hash", mapping={b"f%d" % i: b"v" * (i % 70) for i in range(300)})
    cli.hset(b"smallhash", mapping={b"a": b"1"})
    cli.expire(b"hash", FAR_TTL_S)
    cli.pfadd(b"hll", *[b"e%d" % i for i in range(100)])
    cli.setbit(b"bits", 1000, 1)
    cli.execute_command("SELECT", 3)
    cli.set(b"db3key", b"in db 3")


def _value(cli, key):
    kind = cli.type(key)
    if kind == b"string":
        return cli.get(key)
    if kind == b"list":
        return cli.lrange(key, 0, -1)
    if kind == b"set":
        return sorted(cli.smembers(key))
    if kind == b"zset":
        return cli.zrange(key, 0, -1, withscores=True)
    if kind == b"hash":
        return sorted(cli.hgetall(key).items())
    raise AssertionError("unexpected type %r of %r" % (kind, key))


def _dataset(store):
    """{(db, key): (type, value, ttl_s or -1)} of the whole store."""
    out = {}
    for db in range(16):
        cli = store.client(db=db)
        for key in cli.scan_iter(count=1000):
            ttl = cli.ttl(key)
            out[(db, key)] = (cli.type(key), _value(cli, key), ttl)
    return out


def _assert_same_dataset(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for k, (kind, val, ttl) in ours.items():
        tkind, tval, tttl = theirs[k]
        assert (kind, val) == (tkind, tval), k
        assert (ttl == -1) == (tttl == -1) and abs(ttl - tttl) <= 2, (k, ttl, tttl)


def _check_with_redis(path, test_dir, name):
    """redis-check-rdb accepts the file, and a redis-server loads it: its dataset."""
    done = subprocess.run(["redis-check-rdb", path], capture_output=True, timeout=60)
    text = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 0 and "RDB looks OK" in text, text
    folder = vigiltest.new_tmp_dir_in(test_dir, name)
    shutil.copy(path, os.path.join(folder, "dump.rdb"))
    server = vigiltest.start_store("redis", data_dir=folder, name="redis-" + name)
    try:
        return _dataset(server)
    finally:
        server.stop()


def _wait_bgsave_done(store, timeout_s=30):
    vigiltest.wait_until(lambda: _persistence(store)["rdb_bgsave_in_progress"] == 0, timeout_s,
                         "the background save to end")
    return _persistence(store)


def _dump(store):
    return os.path.join(store.dir, "dump.rdb")


@pytest.mark.parametrize("compression,checksum", [("yes", "yes"), ("no", "no"), ("yes", "no"),
                                                  ("no", "yes")])
def test_save_writes_a_file_redis_loads_identically(test_dir, compression, checksum):
    store = vigiltest.start_store(extra_args=["--rdbcompression", compression,
                                              "--rdbchecksum", checksum])
    cli = store.client()
    _fill(cli)
    before = cli.lastsave()
    assert store.raw().call_bytes("SAVE") == b"+OK\r\n"
    assert cli.lastsave() >= before
    info = _persistence(store)
    assert info["rdb_changes_since_last_save"] == 0 and info["rdb_saves"] == 1
    with open(_dump(store), "rb") as f:
        data = f.read()
    assert (data[-8:] == b"\0" * 8) == (checksum == "no")
    assert (b"\x04long\xc3" in data) == (compression == "yes")  # LZF-encoded only then
    theirs = _check_with_redis(_dump(store), test_dir, "save-%s-%s" % (compression, checksum))
    _assert_same_dataset(_dataset(store), theirs)


def test_bgsave_publishes_the_file_and_counts_changes_made_meanwhile(test_dir):
    store = vigiltest.start_store()
    cli = store.client()
    _fill(cli)
    assert store.raw().call_bytes("BGSAVE") == b"+Background saving started\r\n"
    info = _wait_bgsave_done(store)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_saves"] == 1 and info["rdb_changes_since_last_save"] == 0
    assert info["rdb_last_bgsave_time_sec"] >= 0 and info["rdb_current_bgsave_time_sec"] == -1
    stats = cli.info("stats")
    assert stats["total_forks"] >= 1 and stats["latest_fork_usec"] > 0
    theirs = _check_with_redis(_dump(store), test_dir, "bgsave")
    _assert_same_dataset(_dataset(store), theirs)
    # Writes made while a (slowed) child runs stay counted as unsaved once it is done.
    cli.config_set("rdb-key-save-delay", 2000)
    assert cli.bgsave()
    assert store.raw().call_bytes("BGSAVE") == b"-ERR Background save already in progress\r\n"
    assert store.raw().call_bytes("SAVE") == b"-ERR Background save already in progress\r\n"
    assert store.raw().call_bytes("BGSAVE", "SCHEDULE") == (
        b"-ERR Background save already in progress\r\n")
    info = _persistence(store)
    assert info["rdb_bgsave_in_progress"] == 1 and info["current_save_keys_total"] > 0
    cli.set(b"during", b"1")
    cli.set(b"during2", b"1")
    cli.config_set("rdb-key-save-delay", 0)
    info = _wait_bgsave_done(store)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == 2


def test_save_point_starts_a_background_save(test_dir):
    store = vigiltest.start_store(extra_args=["--save", "1 1"])
    cli = store.client()
    assert cli.config_get("save") == {"save": "1 1"}
    assert not os.path.exists(_dump(store))
    cli.set(b"k", b"v")
    vigiltest.wait_until(lambda: _persistence(store)["rdb_saves"] >= 1 and
                         _persistence(store)["rdb_changes_since_last_save"] == 0, 30,
                         "the save point to save")
    assert "1 changes in 1 seconds. Saving..." in store.proc.log_text()
    assert _check_with_redis(_dump(store), test_dir, "point") == {(0, b"k"): (b"string", b"v", -1)}
    # CONFIG SET keeps Redis's form and refuses what Redis refuses.
    assert cli.config_set("save", "+5 7 1 0") and cli.config_get("save") == {"save": "5 7 1 0"}
    assert store.raw().call_bytes("CONFIG", "SET", "save", "0 1") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
        b"parameters\r\n")


def _child_pids(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(x) for x in f.read().split()]


def test_killed_child_leaves_the_previous_file_and_reports_err(test_dir):
    store = vigiltest.start_store()
    cli = store.client()
    cli.set(b"first", b"1")
    assert cli.save()
    with open(_dump(store), "rb") as f:
        before = f.read()
    for i in range(200):
        cli.set(b"key%d" % i, b"x" * 100)
    cli.config_set("rdb-key-save-delay", 100000)  # 0.1 s per key: 20 s in all
    assert cli.bgsave()
    vigiltest.wait_until(lambda: _persistence(store)["current_save_keys_processed"] >= 2, 30,
                         "the child to write keys")
    children = _child_pids(store.proc.pid)
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    info = _wait_bgsave_done(store)
    assert info["rdb_last_bgsave_status"] == "err"
    with open(_dump(store), "rb") as f:
        assert f.read() == before
    assert sorted(os.listdir(store.dir)) == sorted(["dump.rdb", "vigil-store.log"])
    assert "Background saving terminated by signal 9" in store.proc.log_text()
    # No save points: writes go on (MISCONF only guards configured snapshots).
    assert cli.set(b"after", b"1")


def _misconf_steps(store):
    """Make the next background save fail (a folder at dbfilename), then try things."""
    os.mkdir(_dump(store))
    cli = store.client()
    assert cli.bgsave()
    info = _wait_bgsave_done(store)
    assert info["rdb_last_bgsave_status"] == "err"
    raw = store.raw()
    replies = [raw.call_bytes(*c) for c in (("SET", "a", "2"), ("PING",), ("GET", "a"),
                                            ("MULTI",), ("SET", "b", "1"), ("EXEC",),
                                            ("DEL", "zz"), ("PUBLISH", "x", "y"), ("SAVE",))]
    return replies


def test_misconf_refuses_writes_like_redis_until_a_save_succeeds(test_dir):
    ours = vigiltest.start_store(extra_args=["--save", "3600 1"])
    ours.client().set(b"a", b"1")
    got = _misconf_steps(ours)
    ref = vigiltest.start_store("redis", extra_args=["--save", "3600 1"], name="redis-misconf")
    ref.client().set(b"a", b"1")
    assert got == _misconf_steps(ref)
    assert got[0] == MISCONF and got[1] == MISCONF and got[2] == b"$1\r\n1\r\n"
    cli = ours.client()
    with pytest.raises(redis.exceptions.ResponseError, match="^MISCONF"):
        cli.set(b"a", b"3")
    # Clearing: the setting off, or a successful save.
    cli.config_set("stop-writes-on-bgsave-error", "no")
    assert cli.set(b"a", b"3")
    cli.config_set("stop-writes-on-bgsave-error", "yes")
    assert ours.raw().call_bytes("SET", "a", "4") == MISCONF
    os.rmdir(_dump(ours))
    assert cli.bgsave()
    assert _wait_bgsave_done(ours)["rdb_last_bgsave_status"] == "ok"
    assert cli.set(b"a", b"5")


def _wait_exit(store, timeout_s=30):
    return store.proc.wait(timeout_s)


def test_shutdown_saves_by_save_points_and_nosave_does_not(test_dir):
    store = vigiltest.start_store(extra_args=["--save", "3600 1"])
    store.client().set(b"k", b"v")
    raw = store.raw()
    raw.send_command("SHUTDOWN", "NOSAVE")
    assert _wait_exit(store) == 0
    assert not os.path.exists(_dump(store))
    store = vigiltest.start_store(extra_args=["--save", "3600 1"], name="default-save")
    store.client().set(b"k", b"v")
    store.raw().send_command("SHUTDOWN")
    assert _wait_exit(store) == 0
    assert _check_with_redis(_dump(store), test_dir, "shutdown") == {
        (0, b"k"): (b"string", b"v", -1)}
    # Without save points only SAVE saves.
    store = vigiltest.start_store(name="no-points")
    store.client().set(b"k", b"v")
    store.raw().send_command("SHUTDOWN")
    assert _wait_exit(store) == 0
    assert not os.path.exists(_dump(store))
    store = vigiltest.start_store(name="save-flag")
    store.client().set(b"k", b"w")
    store.raw().send_command("SHUTDOWN", "SAVE", "NOW")
    assert _wait_exit(store) == 0
    assert _check_with_redis(_dump(store), test_dir, "save-flag") == {
        (0, b"k"): (b"string", b"w", -1)}


def test_shutdown_refuses_to_exit_when_the_save_fails_unless_force(test_dir):
    store = vigiltest.start_store(extra_args=["--save", "3600 1"])
    os.mkdir(_dump(store))
    raw = store.raw()
    assert raw.call_bytes("SHUTDOWN") == SHUTDOWN_FAILED
    assert raw.call_bytes("SHUTDOWN", "SAVE") == SHUTDOWN_FAILED
    assert store.is_alive() and raw.call_bytes("PING") == b"+PONG\r\n"
    assert "Error trying to save the DB, can't exit." in store.proc.log_text()
    assert raw.call_bytes("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
    raw.send_command("SHUTDOWN", "FORCE")
    assert _wait_exit(store) == 0
    assert "Error trying to save the DB. Exit anyway." in store.proc.log_text()


def test_shutdown_waits_for_a_lagging_replica_and_abort_cancels(test_dir):
    master = vigiltest.start_store(extra_args=["--shutdown-timeout", "60"])
    replica = vigiltest.start_store(extra_args=["--replicaof", "127.0.0.1 %d" % master.port],
                                    name="replica")
    vigiltest.wait_until(lambda: master.client().info("replication")["connected_slaves"] == 1 and
                         replica.client().info("replication")["master_link_status"] == "up",
                         30, "the replica to sync")
    replica.proc.signal(signal.SIGSTOP)
    try:
        master.client().set(b"k", b"v")
        waiting = master.raw()
        waiting.send_command("SHUTDOWN")
        vigiltest.wait_until(lambda: "Waiting for replicas before shutting down." in
                             master.proc.log_text(), 30, "the shutdown to wait")
        assert not waiting.has_pending(0.2)
        assert master.raw().call_bytes("SHUTDOWN", "ABORT") == b"+OK\r\n"
        assert waiting.read_reply_bytes(10) == SHUTDOWN_FAILED
        assert master.is_alive() and master.client().get(b"k") == b"v"
        master.raw().send_command("SHUTDOWN", "NOW")  # does not wait
        assert _wait_exit(master) == 0
        assert "Lagging replica" in master.proc.log_text()
    finally:
        replica.proc.signal(signal.SIGCONT)


@pytest.mark.parametrize("sig,setting,saves", [(signal.SIGTERM, None, True),
                                               (signal.SIGINT, None, True),
                                               (signal.SIGTERM, "nosave", False),
                                               (signal.SIGINT, "nosave", False)])
def test_signals_follow_shutdown_on_sigterm_and_sigint(test_dir, sig, setting, saves):
    extra = ["--save", "3600 1"]
    if setting:
        extra += ["--shutdown-on-sigterm" if sig == signal.SIGTERM else "--shutdown-on-sigint",
                  setting]
    store = vigiltest.start_store(extra_args=extra)
    store.client().set(b"k", b"v")
    store.close_clients()
    store.proc.signal(sig)
    assert _wait_exit(store) == 0
    assert os.path.exists(_dump(store)) == saves
    if saves:
        assert _check_with_redis(_dump(store), test_dir, "sig") == {
            (0, b"k"): (b"string", b"v", -1)}


def test_startup_removes_stale_temp_files_of_ours(test_dir):
    folder = vigiltest.new_tmp_dir_in(test_dir, "stale")
    stale = os.path.join(folder, ".dump.rdb.tmp-0123456789abcdef")
    other = os.path.join(folder, ".dump.rdb.tmp-notours")
    for p in (stale, other):
        with open(p, "w") as f:
            f.write("partial")
    store = vigiltest.start_store(data_dir=folder)
    assert not os.path.exists(stale) and os.path.exists(other)
    assert store.client().ping()


# ---- disk full ------------------------------------------------------------------------------


def _start_on_tmpfs(test_dir, size):
    """vigil-store in a private mount namespace whose dir is a tmpfs of `size`: the test sees
    the files through /proc/<pid>/root."""
    folder = vigiltest.new_tmp_dir_in(test_dir, "tmpfs")
    binary = vigiltest.require_binary(vigiltest.vigil_binary("vigil-store"))
    port = vigiltest.free_port()
    script = 'mount -t tmpfs -o size=%s,mode=0755 tmpfs "$1" && shift && cd "$0" && exec "$@"' % size
    args = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, folder, folder,
            binary, "--port", port, "--bind", "127.0.0.1", "--dir", folder, "--save", "3600 1",
            "--appendonly", "no", "--logfile", ""]
    proc = vigiltest.Proc(args, name="vigil-tmpfs", cwd=test_dir)
    from vigiltest.store import Store, wait_for_ping
    wait_for_ping(proc, port)
    store = Store("vigil", "127.0.0.1", port, proc, folder)
    return store, "/proc/%d/root%s" % (proc.pid, folder)


def test_disk_full_keeps_the_previous_dump_and_recovers(test_dir):
    store, inside = _start_on_tmpfs(test_dir, "1m")
    cli = store.client()
    cli.set(b"small", b"1")
    assert cli.save()
    dump = os.path.join(inside, "dump.rdb")
    with open(dump, "rb") as f:
        before = f.read()
    filler = os.path.join(inside, "filler")
    with open(filler, "wb") as f:
        f.write(b"\0" * (700 * 1024))
    for i in range(100):
        cli.set(b"big%d" % i, os.urandom(4096))  # 400 KB that LZF cannot shrink
    assert cli.bgsave()
    info = _wait_bgsave_done(store)
    assert info["rdb_last_bgsave_status"] == "err"
    assert "No space left on device" in store.proc.log_text()
    assert store.is_alive()
    with open(dump, "rb") as f:
        assert f.read() == before
    assert sorted(os.listdir(inside)) == ["dump.rdb", "filler"]
    assert store.raw().call_bytes("SET", "x", "1") == MISCONF
    assert cli.get(b"small") == b"1"
    os.unlink(filler)
    assert cli.bgsave()
    assert _wait_bgsave_done(store)["rdb_last_bgsave_status"] == "ok"
    assert cli.set(b"x", b"1")
    assert os.path.getsize(dump) > 400 * 1024


def test_flushall_kills_a_running_save_and_saves_the_empty_dataset(test_dir):
    store = vigiltest.start_store(extra_args=["--save", "3600 1"])
    cli = store.client()
    for i in range(100):
        cli.set(b"key%d" % i, b"v")
    cli.config_set("rdb-key-save-delay", 100000)
    assert cli.bgsave()
    assert cli.flushall()
    info = _persistence(store)
    assert info["rdb_bgsave_in_progress"] == 0 and info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] > 0  # FLUSHALL still counts as a change
    assert _check_with_redis(_dump(store), test_dir, "flushall") == {}


def test_bgsave_inside_exec_is_scheduled_and_then_runs(test_dir):
    store = vigiltest.start_store()
    cli = store.client()
    cli.set(b"k", b"v")
    raw = store.raw()
    assert raw.call_bytes("MULTI") == b"+OK\r\n"
    assert raw.call_bytes("BGSAVE") == b"+QUEUED\r\n"
    assert raw.call_bytes("EXEC") == b"*1\r\n+Background saving scheduled\r\n"
    vigiltest.wait_until(lambda: _persistence(store)["rdb_saves"] == 1 and
                         _persistence(store)["rdb_bgsave_in_progress"] == 0, 30,
                         "the scheduled save to run")
    assert _persistence(store)["rdb_last_bgsave_status"] == "ok"
    assert _check_with_redis(_dump(store), test_dir, "scheduled") == {
        (0, b"k"): (b"string", b"v", -1)}
