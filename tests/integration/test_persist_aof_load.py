"""Loading the append-only file at start (docs/persistence.md#loading-the-append-only-file).

Debian's redis-server 7.0 is the oracle: AOF folders it writes (RDB preamble or not, a completed
rewrite, several incremental files left by killed rewrites, MULTI/EXEC, expiry, every type,
several databases, binary keys) must load into vigil-store with the same dataset, and hand-made
folders must load (or be refused) the way redis-server loads (or refuses) them. Torn tails are
cut under aof-load-truncated yes and refused under no; any other damage stops the start with
exit status 1, a message naming the file and offset, and the files untouched.
"""

import hashlib
import os
import shutil
import subprocess

import vigiltest

AOF_DIR = "appendonlydir"
START_TIMEOUT_S = 30


def cmd(*args):
    """One command in the AOF's format (a RESP array of bulk strings)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def write_folder(folder, files):
    """An AOF folder: files is [(name, bytes, type 'b'|'i')] in manifest order."""
    aof = os.path.join(folder, AOF_DIR)
    os.makedirs(aof, exist_ok=True)
    lines = []
    for seq, (name, data, kind) in enumerate(files, 1):
        with open(os.path.join(aof, name), "wb") as f:
            f.write(data)
        lines.append("file %s seq %d type %s\n" % (name, seq, kind))
    with open(os.path.join(aof, "appendonly.aof.manifest"), "w") as f:
        f.write("".join(lines))
    return folder


def folder_digest(folder):
    aof = os.path.join(folder, AOF_DIR)
    return {n: hashlib.sha256(open(os.path.join(aof, n), "rb").read()).hexdigest()
            for n in sorted(os.listdir(aof))}


def copy_folder(src, test_dir, name):
    dst = vigiltest.new_tmp_dir_in(test_dir, name)
    shutil.copytree(os.path.join(src, AOF_DIR), os.path.join(dst, AOF_DIR))
    return dst


_replication = vigiltest.load_sibling(__file__, "test_replication.py")


def dump_value(client, key):
    """test_replication's type-aware value, but an HLL by its count: the sketch's bytes are the
    implementation's business."""
    if client.type(key) == b"string" and client.get(key).startswith(b"HYLL"):
        return "hll", client.pfcount(key)
    return _replication.dump_value(client, key)


def dump(client):
    """{(db, key): (type, value, pttl)} of every database."""
    out = {}
    for db in range(16):
        client.execute_command("SELECT", db)
        for key in client.scan_iter(count=1000):
            kind, value = dump_value(client, key)
            out[(db, key)] = (kind, value, client.pttl(key))
    client.execute_command("SELECT", 0)
    return out


def assert_same_dataset(got, want):
    assert sorted(got) == sorted(want), "keys differ: only here %r, only there %r" % (
        sorted(set(got) - set(want))[:10], sorted(set(want) - set(got))[:10])
    for k in want:
        assert got[k][:2] == want[k][:2], "value of %r: %r != %r" % (k, got[k], want[k])
        ttl_got, ttl_want = got[k][2], want[k][2]
        assert (ttl_got < 0) == (ttl_want < 0), "TTL of %r: %r vs %r" % (k, ttl_got, ttl_want)
        assert abs(ttl_got - ttl_want) < 10000, "TTL of %r: %r vs %r" % (k, ttl_got, ttl_want)


def start_on(kind, folder, extra=()):
    args = ["--appendonly", "yes"] + list(extra)
    return vigiltest.start_store(binary=kind, data_dir=folder, extra_args=args,
                                 timeout_s=START_TIMEOUT_S)


def start_refused(kind, folder, extra=()):
    """Run a start that must fail: (exit status, output)."""
    path, _ = vigiltest.resolve_store_binary(kind)
    args = [vigiltest.require_binary(path), "--port", str(vigiltest.free_port()), "--bind",
            "127.0.0.1", "--save", "", "--dir", folder, "--appendonly", "yes"] + list(extra)
    done = subprocess.run(args, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=START_TIMEOUT_S)
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")


def load_dump(kind, folder, extra=()):
    s = start_on(kind, folder, extra)
    try:
        return dump(s.client())
    finally:
        s.stop()


def assert_both_load_the_same(test_dir, folder, extra=()):
    want = load_dump("redis", copy_folder(folder, test_dir, "oracle"), extra)
    got = load_dump("vigil", copy_folder(folder, test_dir, "vigil"), extra)
    assert_same_dataset(got, want)
    return got


# ---- folders written by redis-server ---------------------------------------------------------

def write_every_type(c, tag):
    c.set("str:" + tag, "v" * 50)
    c.set(b"bin:\x00\xff\r\n:" + tag.encode(), b"\x00\x01\xfe\xff")
    c.set("ttl:" + tag, "v", ex=100000)
    c.set("short:" + tag, "v", px=1)
    c.incr("counter")
    c.incrbyfloat("float", 1.25)
    c.append("appended", tag)
    c.setrange("ranged", 3, tag)
    c.setbit("bits", 77, 1)
    c.rpush("list:" + tag, *[str(i) for i in range(20)])
    c.rpush("biglist", *[("x" * 100) + str(i) for i in range(200)])
    c.lpop("biglist")
    c.sadd("ints", *range(10))
    c.sadd("set:" + tag, "a", "b", "c", "d")
    c.spop("set:" + tag)
    c.zadd("zset", {tag: 1.5, tag + "x": -2.25})
    c.zadd("bigzset", {("m%d" % i) * 10: i for i in range(200)})
    c.zincrby("zset", 3, tag)
    c.hset("hash:" + tag, mapping={"f1": "v1", "f2": "2"})
    c.hincrby("hash:" + tag, "f2", 40)
    c.hset("bighash", mapping={"f%d" % i: "v" * 80 for i in range(150)})
    c.expire("list:" + tag, 50000)
    c.persist("ttl:" + tag)
    c.set("gone:" + tag, "v")
    c.delete("gone:" + tag)
    p = c.pipeline(transaction=True)
    p.set("tx:" + tag, "1")
    p.incr("tx:" + tag)
    p.lpush("txlist", tag)
    p.execute()
    c.execute_command("SELECT", 2)
    c.set("db2:" + tag, tag)
    c.rename("db2:" + tag, "db2r:" + tag)
    c.execute_command("SELECT", 5)
    c.hset("db5", tag, tag)
    c.execute_command("SELECT", 0)


def child_pids(pid):
    path = "/proc/%d/task/%d/children" % (pid, pid)
    with open(path) as f:
        return [int(x) for x in f.read().split()]


def rewrite_in_progress(c):
    return c.info("persistence")["aof_rewrite_in_progress"] == 1


def killed_rewrite(s, c, tag):
    """Start a slow rewrite (it opens a new incremental file), write, kill the rewrite child:
    the manifest keeps every incremental file, as after any failed rewrite."""
    c.config_set("rdb-key-save-delay", 200000)
    c.bgrewriteaof()
    vigiltest.wait_until(lambda: rewrite_in_progress(c) and child_pids(s.proc.pid), 10,
                         "the rewrite child")
    write_every_type(c, tag)
    for pid in child_pids(s.proc.pid):
        os.kill(pid, 9)
    vigiltest.wait_until(lambda: not rewrite_in_progress(c), 10, "the rewrite to be over")
    c.config_set("rdb-key-save-delay", 0)


def redis_folder(test_dir, preamble, extra=()):
    """An AOF folder written by redis-server: base from a completed rewrite, then three
    incremental files. Returns (folder, the dataset redis had)."""
    folder = vigiltest.new_tmp_dir_in(test_dir, "redis-writes")
    s = start_on("redis", folder, ["--aof-use-rdb-preamble", preamble] + list(extra))
    c = s.client()
    write_every_type(c, "a")
    c.bgrewriteaof()
    vigiltest.wait_until(lambda: not rewrite_in_progress(c)
                         and c.info("persistence")["aof_rewrite_scheduled"] == 0, 10,
                         "the first rewrite")
    write_every_type(c, "b")
    killed_rewrite(s, c, "c")
    killed_rewrite(s, c, "d")
    want = dump(c)
    assert s.stop() == 0
    with open(os.path.join(folder, AOF_DIR, "appendonly.aof.manifest")) as f:
        manifest = f.read()
    assert manifest.count("type i") == 3, manifest
    assert (".base.rdb" in manifest) == (preamble == "yes"), manifest
    return folder, want


def test_redis_folder_with_rdb_preamble_loads_the_same_dataset(test_dir):
    folder, want = redis_folder(test_dir, "yes")
    assert_same_dataset(load_dump("vigil", folder), want)


def test_redis_folder_without_preamble_loads_the_same_dataset(test_dir):
    folder, want = redis_folder(test_dir, "no")
    assert_same_dataset(load_dump("vigil", folder), want)


def test_redis_folder_with_timestamp_annotations_loads_the_same_dataset(test_dir):
    folder, want = redis_folder(test_dir, "no", ["--aof-timestamp-enabled", "yes"])
    aof = os.path.join(folder, AOF_DIR)
    assert any(b"#TS:" in open(os.path.join(aof, n), "rb").read() for n in os.listdir(aof))
    assert_same_dataset(load_dump("vigil", folder), want)


def test_an_old_single_aof_with_an_rdb_preamble_then_commands_loads_as_redis(test_dir):
    src = vigiltest.new_tmp_dir_in(test_dir, "rdb-source")
    s = vigiltest.start_store("redis", data_dir=src)
    write_every_type(s.client(), "pre")
    s.client().save()
    s.stop()
    folder = vigiltest.new_tmp_dir_in(test_dir, "old-preamble")
    with open(os.path.join(src, "dump.rdb"), "rb") as f:
        data = f.read()
    with open(os.path.join(folder, "appendonly.aof"), "wb") as f:
        f.write(data + cmd("SET", "after", "preamble") + cmd("DEL", "counter"))
    want = None
    for kind in ("redis", "vigil"):
        d = vigiltest.new_tmp_dir_in(test_dir, "old-preamble-" + kind)
        shutil.copy(os.path.join(folder, "appendonly.aof"), d)
        got = load_dump(kind, d)
        if want is None:
            want = got
    assert_same_dataset(got, want)
    assert got[(0, b"after")][1] == b"preamble" and (0, b"counter") not in got


# ---- hand-made folders, compared with redis-server -------------------------------------------

def test_hand_made_files_with_annotations_multi_and_databases_load_as_redis(test_dir):
    base = cmd("SET", "a", "1") + cmd("RPUSH", "l", "x", "y")
    incr1 = (b"#TS:1700000000\r\n" + cmd("MULTI") + cmd("INCR", "a") + cmd("SET", "b", "2")
             + cmd("EXEC") + cmd("SELECT", "3") + cmd("SADD", "s", "1", "2"))
    incr2 = (cmd("SET", "c", "3") + b"#TS:1700000001\r\n" + cmd("HSET", "h", "f", "v")
             + cmd("PEXPIREAT", "c", "99999999999999"))
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "hand"), [
        ("appendonly.aof.1.base.aof", base, "b"),
        ("appendonly.aof.1.incr.aof", incr1, "i"),
        ("appendonly.aof.2.incr.aof", incr2, "i")])
    got = assert_both_load_the_same(test_dir, folder)
    assert got[(0, b"a")][1] == b"2" and (3, b"s") in got and got[(0, b"c")][2] > 0


def test_a_ttl_removed_after_its_expiry_time_passed_keeps_the_key_as_redis(test_dir):
    # The file's history decides: the key was made persistent before it expired, so it lives
    # (a loader that expired keys by its own clock while replaying would lose it).
    incr = (cmd("SET", "k", "v", "PXAT", "1000") + cmd("PERSIST", "k")
            + cmd("SET", "n", "1", "PXAT", "1000") + cmd("INCR", "n") + cmd("PERSIST", "n"))
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "persisted"),
                          [("appendonly.aof.1.incr.aof", incr, "i")])
    got = assert_both_load_the_same(test_dir, folder)
    assert got[(0, b"k")] == ("string", b"v", -1)
    assert got[(0, b"n")] == ("string", b"2", -1)


def test_an_unterminated_multi_at_the_end_is_dropped_as_redis(test_dir):
    incr = cmd("SET", "a", "1") + cmd("MULTI") + cmd("SET", "b", "2") + cmd("INCR", "a")
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "open-multi"),
                          [("appendonly.aof.1.incr.aof", incr, "i")])
    got = assert_both_load_the_same(test_dir, folder)
    assert sorted(got) == [(0, b"a")] and got[(0, b"a")][1] == b"1"


def test_an_old_single_aof_is_moved_into_the_aof_folder_and_loaded(test_dir):
    folder = vigiltest.new_tmp_dir_in(test_dir, "old-style")
    with open(os.path.join(folder, "appendonly.aof"), "wb") as f:
        f.write(cmd("SET", "old", "style") + cmd("RPUSH", "l", "1"))
    s = start_on("vigil", folder)
    assert s.client().get("old") == b"style"
    s.stop()
    assert not os.path.exists(os.path.join(folder, "appendonly.aof"))
    with open(os.path.join(folder, AOF_DIR, "appendonly.aof.manifest")) as f:
        assert "file appendonly.aof seq 1 type b" in f.read()
    s = start_on("vigil", folder)   # and it loads from the folder from then on
    assert s.client().get("old") == b"style"


def test_only_a_dump_rdb_with_appendonly_yes_loads_nothing_as_redis(test_dir):
    folder = vigiltest.new_tmp_dir_in(test_dir, "rdb-only")
    s = vigiltest.start_store("redis", data_dir=folder)
    s.client().set("k", "v")
    s.client().save()
    s.stop()
    for kind in ("redis", "vigil"):
        d = vigiltest.new_tmp_dir_in(test_dir, "rdb-only-" + kind)
        shutil.copy(os.path.join(folder, "dump.rdb"), d)
        s = start_on(kind, d)
        assert s.client().dbsize() == 0, kind
        s.stop()


# ---- torn tails --------------------------------------------------------------------------------

TAIL_CMDS = [cmd("SET", "k%d" % i, "v" * i) for i in range(1, 6)]


def torn_folder(test_dir, cut_in_last):
    """base + one incremental file whose last command is cut after cut_in_last bytes."""
    data = b"".join(TAIL_CMDS[:-1]) + TAIL_CMDS[-1][:cut_in_last]
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "torn-%d" % cut_in_last), [
        ("appendonly.aof.1.base.aof", cmd("SET", "base", "1"), "b"),
        ("appendonly.aof.1.incr.aof", data, "i")])
    return folder, len(b"".join(TAIL_CMDS[:-1]))


def torn_offsets():
    n = len(TAIL_CMDS[-1])
    return sorted({1, 2, 3, 4, 5, 8, 13, n // 2, n - 3, n - 2, n - 1})


def test_a_torn_tail_is_cut_at_the_last_complete_command_with_truncation_allowed(test_dir):
    for cut in torn_offsets():
        folder, valid = torn_folder(test_dir, cut)
        s = start_on("vigil", folder, ["--aof-load-truncated", "yes"])
        keys = sorted(s.client().keys("*"))
        s.stop()
        assert keys == [b"base", b"k1", b"k2", b"k3", b"k4"], (cut, keys)
        incr = os.path.join(folder, AOF_DIR, "appendonly.aof.1.incr.aof")
        assert os.path.getsize(incr) == valid, cut
        log = s.proc.log_text()
        assert "Truncating the AOF %s/appendonly.aof.1.incr.aof at offset %d: dropping %d bytes" \
            % (AOF_DIR, valid, cut) in log, log


def test_a_torn_tail_refuses_to_start_without_truncation_and_changes_nothing(test_dir):
    for cut in torn_offsets():
        folder, valid = torn_folder(test_dir, cut)
        before = folder_digest(folder)
        rc, out = start_refused("vigil", folder, ["--aof-load-truncated", "no"])
        assert rc == 1, out
        assert "Unexpected end of file reading the append only file " \
            "%s/appendonly.aof.1.incr.aof at offset %d" % (AOF_DIR, valid) in out, out
        assert folder_digest(folder) == before


def test_a_torn_tail_of_a_file_that_is_not_the_last_one_is_refused(test_dir):
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "torn-middle"), [
        ("appendonly.aof.1.incr.aof", cmd("SET", "a", "1") + cmd("SET", "b", "2")[:9], "i"),
        ("appendonly.aof.2.incr.aof", cmd("SET", "c", "3"), "i")])
    before = folder_digest(folder)
    rc, out = start_refused("vigil", folder, ["--aof-load-truncated", "yes"])
    assert rc == 1 and "appendonly.aof.1.incr.aof at offset %d" % len(cmd("SET", "a", "1")) in out
    assert folder_digest(folder) == before


# ---- damage ------------------------------------------------------------------------------------

def refused_on_both(test_dir, name, files, expect):
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, name), files)
    rc, out = start_refused("redis", copy_folder(folder, test_dir, name + "-oracle"))
    assert rc == 1, "redis-server loaded it: %s" % out
    before = folder_digest(folder)
    rc, out = start_refused("vigil", folder, ["--aof-load-truncated", "yes"])
    assert rc == 1, out
    assert expect in out, out
    assert folder_digest(folder) == before
    return out


def test_bad_bytes_in_the_middle_stop_the_start_naming_file_and_offset(test_dir):
    good = cmd("SET", "a", "1")
    refused_on_both(test_dir, "bad-middle", [
        ("appendonly.aof.1.incr.aof", good + b"+garbage\r\n" + good, "i")],
        "Bad file format reading the append only file %s/appendonly.aof.1.incr.aof at offset %d"
        % (AOF_DIR, len(good)))


def test_an_unknown_command_stops_the_start(test_dir):
    good = cmd("SET", "a", "1")
    refused_on_both(test_dir, "unknown", [
        ("appendonly.aof.1.incr.aof", good + cmd("NOSUCHCOMMAND", "x"), "i")],
        "Unknown command 'NOSUCHCOMMAND' reading the append only file "
        "%s/appendonly.aof.1.incr.aof at offset %d" % (AOF_DIR, len(good)))


def test_a_command_that_fails_stops_the_start(test_dir):
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "failing"), [
        ("appendonly.aof.1.incr.aof", cmd("SET", "a", "x") + cmd("INCR", "a"), "i")])
    rc, out = start_refused("vigil", folder)
    assert rc == 1
    assert "The command 'incr' at offset %d of the append only file %s/appendonly.aof.1.incr.aof " \
        "failed: ERR value is not an integer or out of range" % (len(cmd("SET", "a", "x")),
                                                                 AOF_DIR) in out, out


def test_a_file_named_in_the_manifest_that_is_missing_stops_the_start(test_dir):
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "missing"), [
        ("appendonly.aof.1.base.aof", cmd("SET", "a", "1"), "b"),
        ("appendonly.aof.1.incr.aof", cmd("SET", "b", "1"), "i")])
    os.unlink(os.path.join(folder, AOF_DIR, "appendonly.aof.1.incr.aof"))
    rc, out = start_refused("redis", copy_folder(folder, test_dir, "missing-oracle"))
    assert rc == 1, out
    rc, out = start_refused("vigil", folder)
    assert rc == 1
    assert "The AOF file %s/appendonly.aof.1.incr.aof named in the manifest does not exist" \
        % AOF_DIR in out, out


def test_a_damaged_manifest_stops_the_start(test_dir):
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "bad-manifest"), [
        ("appendonly.aof.1.incr.aof", cmd("SET", "b", "1"), "i")])
    with open(os.path.join(folder, AOF_DIR, "appendonly.aof.manifest"), "a") as f:
        f.write("file x seq 2 type z\n")
    rc, out = start_refused("vigil", folder)
    assert rc == 1 and "appendonly.aof.manifest" in out, out


def manifest_base(folder):
    with open(os.path.join(folder, AOF_DIR, "appendonly.aof.manifest")) as f:
        return [line.split()[1] for line in f if line.split()[-1] == "b"][0]


def test_a_corrupt_rdb_preamble_stops_the_start(test_dir):
    folder = vigiltest.new_tmp_dir_in(test_dir, "redis-small")
    s = start_on("redis", folder)
    s.client().set("k", "v" * 100)
    s.client().bgrewriteaof()
    vigiltest.wait_until(lambda: not rewrite_in_progress(s.client()), 10, "the rewrite")
    s.stop()
    name = manifest_base(folder)
    assert name.endswith(".base.rdb")
    path = os.path.join(folder, AOF_DIR, name)
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(path, "wb").write(bytes(data))
    rc, out = start_refused("vigil", folder)
    assert rc == 1 and "%s/%s" % (AOF_DIR, name) in out, out


# ---- serving while loading ---------------------------------------------------------------------

def test_clients_get_loading_while_a_slowed_load_runs_then_the_data(test_dir):
    n = 400
    incr = b"".join(cmd("SET", "key:%d" % i, "v") for i in range(n))
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "slow"),
                          [("appendonly.aof.1.incr.aof", incr, "i")])
    s = vigiltest.start_store("vigil", data_dir=folder, wait=False,
                              extra_args=["--appendonly", "yes", "--key-load-delay", "5000"])
    conn = {}

    def loading_seen():
        conn.setdefault("c", vigiltest.RespConn("127.0.0.1", s.port, timeout_s=2.0))
        reply = conn["c"].call("GET", "key:0")
        return isinstance(reply, vigiltest.ReplyError) and reply.message.startswith("LOADING")

    vigiltest.wait_until(loading_seen, 20, "a -LOADING reply")
    info = conn["c"].call("INFO", "persistence")
    text = info.decode() if isinstance(info, bytes) else str(info)
    assert "loading:1" in text and "loading_total_bytes:%d" % len(incr) in text, text
    vigiltest.wait_until(lambda: conn["c"].call("DBSIZE") == n, 60, "the whole file loaded")
    info = conn["c"].call("INFO", "persistence")
    text = info.decode() if isinstance(info, bytes) else str(info)
    assert "loading:0" in text and "loading_total_bytes" not in text


def test_a_replica_loads_its_aof_before_it_syncs_with_its_master(test_dir):
    # A full sync landing in the middle of the replay would leave the file's keys mixed into
    # the master's dataset; as Redis, the replica connects only once its files are loaded.
    master = vigiltest.start_store("vigil", extra_args=["--repl-diskless-sync-delay", "0"])
    master.client().set("from-master", "1")
    n = 300
    incr = b"".join(cmd("SET", "from-aof:%d" % i, "v") for i in range(n))
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "replica"),
                          [("appendonly.aof.1.incr.aof", incr, "i")])
    replica = vigiltest.start_store("vigil", data_dir=folder, wait=False, extra_args=[
        "--appendonly", "yes", "--key-load-delay", "3000",
        "--replicaof", "127.0.0.1 %d" % master.port])
    conn = {}

    def synced():
        conn.setdefault("c", vigiltest.RespConn("127.0.0.1", replica.port, timeout_s=2.0))
        info = conn["c"].call("INFO", "replication")
        text = info.decode() if isinstance(info, bytes) else str(info)
        return "master_link_status:up" in text

    vigiltest.wait_until(synced, 60, "the replica's link up")
    assert conn["c"].call("DBSIZE") == 1
    assert conn["c"].call("GET", "from-master") == b"1"


def test_writes_after_a_load_go_to_the_loaded_aof_and_survive_a_restart(test_dir):
    # The AOF is opened for writing once loaded: the torn tail is cut first, new writes follow
    # the last complete command, and the next start loads both.
    incr = cmd("SET", "loaded", "1") + cmd("SET", "torn", "x")[:7]
    folder = write_folder(vigiltest.new_tmp_dir_in(test_dir, "round-trip"), [
        ("appendonly.aof.1.base.aof", cmd("SET", "base", "1"), "b"),
        ("appendonly.aof.1.incr.aof", incr, "i")])
    s = start_on("vigil", folder)
    s.client().set("written", "after-load")
    assert s.stop() == 0
    s = start_on("vigil", folder)
    assert sorted(s.client().keys("*")) == [b"base", b"loaded", b"written"]
