"""Servers under a tight open-files limit (item: EMFILE busy loop).

At start vigil-store raises RLIMIT_NOFILE to maxclients + 32 when it may, else lowers maxclients
to fit (CONFIG GET and INFO report the lowered value), as redis-server does; a client over the
limit gets `-ERR max number of clients reached` and is closed, byte for byte as redis-server.
When descriptors run out anyway (the limit lowered under a running server), accept's EMFILE must
neither spin nor leave clients hanging: the waiting client is turned away with the same error,
the log stays short, and the server still answers afterwards. vigil-sentinel's RESP port too.
A sentinel that cannot save its state (full disk, removed dir) retries at every tick: it logs a
few lines a second, not dozens, and says so in /readyz (503) and INFO.
"""

import collections
import json
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request

import redis

import vigiltest
from vigiltest import deploy, procs
from vigiltest.store import HOST, Store, resolve_store_binary, store_args, wait_for_ping

MAXCLIENTS_ERR = b"-ERR max number of clients reached\r\n"
PONG = b"+PONG\r\n"


def _start_limited(kind, nofile, group):
    """A store started under `prlimit --nofile=N:N` (prlimit execs it: same pid)."""
    path, kind = resolve_store_binary(kind)
    vigiltest.require_binary(path)
    port = vigiltest.free_port()
    data_dir = vigiltest.new_tmp_dir_in(group.dir, "%s-%d" % (kind, port))
    args = ["/usr/bin/prlimit", "--nofile=%d:%d" % (nofile, nofile), "--"]
    args += store_args(path, kind, port, data_dir, extra_args=["--logfile", "store.log"])
    proc = vigiltest.Proc(args, name="%s-%d" % (kind, port), cwd=data_dir, group=group)
    wait_for_ping(proc, port)
    return Store(kind, HOST, port, proc, data_dir)


def _ping_once(port):
    """Connect, PING, and return (socket, the first reply line or what came before EOF)."""
    sock = socket.create_connection((HOST, port), timeout=10)
    sock.sendall(b"PING\r\n")
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(256)
        if not chunk:
            break
        data += chunk
    return sock, data


def _answers_ping(port):
    """True once a new connection gets PONG (the server has seen the burst's closes)."""
    sock, reply = _ping_once(port)
    sock.close()
    return reply == PONG


def _ping_many(port, count):
    socks, replies = [], []
    try:
        for _ in range(count):
            sock, reply = _ping_once(port)
            socks.append(sock)
            replies.append(reply)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks, replies


def _log_lines(store, needle):
    with open(os.path.join(store.dir, "store.log"), errors="replace") as f:
        return sum(1 for line in f if needle in line)


def _run_over_limit(kind, group):
    s = _start_limited(kind, 64, group)
    with s.raw() as admin:
        maxclients = admin.call("CONFIG", "GET", "maxclients")
        info = admin.call("INFO", "clients")
        socks, replies = _ping_many(s.port, 40)  # the admin connection is one of the 32
        for sock in socks:
            sock.close()
    return s, maxclients, info, replies


def test_low_fd_limit_lowers_maxclients_and_rejects_extra_clients_as_redis(proc_group):
    results = {}
    for kind in ("vigil", "redis"):
        s, maxclients, info, replies = _run_over_limit(kind, proc_group)
        results[kind] = (maxclients, replies)
        assert maxclients == [b"maxclients", b"32"], (kind, maxclients)
        assert b"maxclients:32\r\n" in info, (kind, info)
        assert replies == [PONG] * 31 + [MAXCLIENTS_ERR] * 9, (kind, replies)
        procs.wait_until(lambda: _answers_ping(s.port), 10, "%s answers after the burst" % kind)
        s.stop()
    assert results["vigil"] == results["redis"]


def test_running_out_of_descriptors_turns_clients_away_without_spinning():
    # vigil-store only: redis-server itself spins on EMFILE.
    store = vigiltest.start_store("vigil")
    pid = store.proc.pid
    open_now = len(os.listdir("/proc/%d/fd" % pid))
    # Room for a few clients only, far below maxclients: accept() will fail with EMFILE.
    limit = open_now + 4
    subprocess.run(["/usr/bin/prlimit", "--pid", str(pid), "--nofile=%d:%d" % (limit, limit)],
                   check=True)
    socks, replies = _ping_many(store.port, 30)
    try:
        assert replies.count(MAXCLIENTS_ERR) >= 20, replies
        assert set(replies) == {PONG, MAXCLIENTS_ERR}, replies
        first_err = replies.index(MAXCLIENTS_ERR)
        assert replies[first_err:] == [MAXCLIENTS_ERR] * (30 - first_err), replies
    finally:
        for sock in socks:
            sock.close()
    procs.wait_until(lambda: _answers_ping(store.port), 10, "a PONG after the burst")
    procs.wait_until(lambda: "similar lines" in store.proc.log_text(), 10,
                     "the count of the lines left out")
    log = store.proc.log_text()
    accept_lines = [line for line in log.splitlines() if "Accepting client connection" in line]
    assert len(accept_lines) <= 10, "the accept error must be rate limited:\n" + log[-4000:]
    with store.raw() as admin:
        stats = admin.call("INFO", "stats")
    rejected = int(stats.split(b"rejected_connections:")[1].split(b"\r\n")[0])
    # The PINGs polling for recovery may have been turned away too, before the closes were seen.
    assert rejected >= replies.count(MAXCLIENTS_ERR)


def _start_sentinel(group, master_port, state_dir=None):
    """A vigil-sentinel (demo config) watching master_port; its state in state_dir if given."""
    return deploy.start_sentinel(group, master_port, state_dir=state_dir, demo=True,
                                 down_after_ms=1000, failover_timeout_ms=10000)


def test_sentinel_out_of_descriptors_turns_clients_away_without_spinning(proc_group):
    master = vigiltest.start_store("vigil")
    sentinel = _start_sentinel(proc_group, master.port)
    pid = sentinel.proc.pid
    limit = len(os.listdir("/proc/%d/fd" % pid)) + 4
    subprocess.run(["/usr/bin/prlimit", "--pid", str(pid), "--nofile=%d:%d" % (limit, limit)],
                   check=True)
    socks, replies = _ping_many(sentinel.port, 30)
    for sock in socks:
        sock.close()
    assert replies.count(MAXCLIENTS_ERR) >= 20, replies
    assert set(replies) == {PONG, MAXCLIENTS_ERR}, replies
    procs.wait_until(lambda: _answers_ping(sentinel.port), 10, "a PONG after the burst")
    log = sentinel.proc.log_text()
    accept_lines = [line for line in log.splitlines() if "Accepting client connection" in line]
    assert len(accept_lines) <= 10, "the accept error must be rate limited:\n" + log[-4000:]


def _http_get(port, path):
    try:
        with urllib.request.urlopen("http://%s:%d%s" % (HOST, port, path), timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _sentinel_info(node, field):
    return node.cmd("INFO", "stats")[field]


def _lines_per_second(log, needle):
    """How many lines containing needle each wall-clock second of the log holds (by its stamp)."""
    per_second = collections.Counter()
    for line in log.splitlines():
        if needle in line:
            per_second[line.split(".")[0]] += 1  # "pid:X dd Mon yyyy hh:mm:ss"
    return per_second


def test_sentinel_state_save_failure_shows_in_readyz_and_info_and_logs_few_lines(proc_group):
    master = vigiltest.start_store("vigil")
    state_dir = vigiltest.new_tmp_dir_in(proc_group.dir, "sentinel-state")
    sentinel = _start_sentinel(proc_group, master.port, state_dir)
    procs.wait_until(lambda: _http_get(sentinel.http_port, "/readyz")[0] == 200, 10, "ready")
    shutil.rmtree(state_dir)  # as good as a full disk: every save now fails
    try:
        sentinel.cmd("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "4321")
    except redis.ResponseError:
        pass  # refused because it cannot be saved: fine either way, the save is retried
    procs.wait_until(lambda: _sentinel_info(sentinel, "state_save_failures") >= 50, 30,
                     "the sentinel to retry the save many times")
    status, body = _http_get(sentinel.http_port, "/readyz")
    assert status == 503, body
    assert "cannot save the state file" in body["reason"], body
    assert _sentinel_info(sentinel, "state_last_save_status") == "err"
    per_second = _lines_per_second(sentinel.proc.log_text(), "persisting state failed")
    # The limiter's 1 s windows do not line up with the stamps' seconds: at most two windows.
    assert max(per_second.values()) <= 10, per_second
    os.mkdir(state_dir)
    procs.wait_until(lambda: _http_get(sentinel.http_port, "/readyz")[0] == 200, 10,
                     "ready again once the state can be saved")
    assert _sentinel_info(sentinel, "state_last_save_status") == "ok"
    assert os.path.isfile(os.path.join(state_dir, "sentinel-state.json"))
