"""Shared fixtures and the failover scenario for the real-client tests (tests/compat/clients).

Why: each real client (python3-redis, ioredis, node-redis, redis-cli) must run a
writer through (a) a kill -9 of the master and (b) a switchover, against the demo topology
(3 data nodes + 3 sentinels from configs/demo), and check that every write it saw
acknowledged is readable from the new master and that the client reconnected by itself. The
clients differ only in how one write is made; the deployment, the scenario, the measurements
and the checks live here once.

A write is `SET <prefix>:<i> v<i>` then `WAIT 1 <WAIT_MS>` on one connection. It counts as
acknowledged only when WAIT answered >= 1: an asynchronously replicated write acknowledged just
before a kill -9 can be lost (Redis's model); a WAIT-acknowledged one must not be (Vigil's
promise). Writers never reconnect by hand: one client object per run, recovery is the library's.

Outage (printed, never asserted): for the kill, the time from the kill (process reaped) to the
completion of the first acknowledged write issued after it; for a switchover, the longest gap
between two acknowledged writes from the request until the writer is on the new master.

Fixtures:
  deployment   a started vigiltest.deploy.Deployment (demo=True: configs/demo, what a new user
               runs), parametrized over the node kinds in
               $VIGIL_COMPAT_NODES (default "vigil"; "vigil,redis" adds Debian redis-server
               nodes) and sentinel kinds in $VIGIL_COMPAT_SENTINELS (default "vigil"; "redis"
               runs the same clients against Debian's redis-sentinel, the baseline).
  compat       this module, for the helpers below.
  node_bin     `node` from PATH; the test fails when it or tests/compat/node/node_modules is
               missing (make deps installs both).
Helpers: PyWriter, NodeWriter, CliWriter (all with start/records/stop), kill9_scenario,
switchover_scenario, check_acked_readable.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
import redis

from vigiltest import Proc, current_group, deploy, new_tmp_dir_in, wait_until

MASTER = deploy.MASTER_NAME
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 3000
WAIT_MS = 300              # WAIT 1 <WAIT_MS> after each SET
PAUSE_S = 0.005            # writer pacing between writes (a client's rate, not a sync)
ERROR_PAUSE_S = 0.02       # and after a failed write
PHASE_ACKS = 20            # acknowledged writes before the fault, and on the new master after it
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "node")
NODE_MODULES = os.path.join(NODE_DIR, "node_modules")
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def _kinds(var, default):
    return [k.strip() for k in os.environ.get(var, default).split(",") if k.strip()]


NODE_KINDS = _kinds("VIGIL_COMPAT_NODES", "vigil")
SENTINEL_KINDS = _kinds("VIGIL_COMPAT_SENTINELS", "vigil")


@pytest.fixture(params=[(n, s) for s in SENTINEL_KINDS for n in NODE_KINDS],
                ids=lambda p: "%s-nodes-%s-sentinels" % p)
def deployment(request, proc_group):
    node_kind, sentinel_kind = request.param
    d = deploy.Deployment(proc_group, node_kind, sentinel_kind, down_after_ms=DOWN_AFTER_MS,
                          failover_timeout_ms=FAILOVER_TIMEOUT_MS, demo=True).start()
    yield d
    d.stop()


@pytest.fixture
def compat():
    """This module: the writers, scenarios and checks for the test files (a conftest cannot be
    imported by name under pytest's importlib import mode)."""
    return sys.modules[__name__]


@pytest.fixture
def node_bin():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH (make deps installs it)")
    if not os.path.isdir(NODE_MODULES):
        pytest.fail("%s is missing (make deps installs it)" % os.path.normpath(NODE_MODULES))
    return node


def now_us():
    return time.monotonic_ns() // 1000


# --- writers --------------------------------------------------------------------------------------

class WriteLog:
    """Records of one writer: dicts i, t0, t1 (us), ok, n, acked, err. Thread-safe appends."""

    def __init__(self, prefix):
        self.prefix = prefix
        self._records = []
        self._lock = threading.Lock()

    def add(self, rec):
        with self._lock:
            self._records.append(rec)

    def records(self):
        with self._lock:
            return list(self._records)

    def key(self, i):
        return "%s:%d" % (self.prefix, i)


def acked_since(records, t_us):
    return [r for r in records if r["acked"] and r["t0"] >= t_us]


def pipelined_write(master, wait_ms=WAIT_MS):
    """A redis-py writer's write: SET then WAIT 1 on one connection, in one round trip; returns
    WAIT's answer."""
    def write(key, value):
        pipe = master.pipeline(transaction=False)
        pipe.set(key, value)
        pipe.execute_command("WAIT", 1, wait_ms)
        ok, n = pipe.execute()
        if ok is not True:
            raise redis.ResponseError("SET answered %r" % (ok,))
        return n
    return write


class PyWriter:
    """A thread calling write(key, value) -> WAIT reply in a loop (a Python or shell client)."""

    phase_acks = PHASE_ACKS

    def __init__(self, name, write, prefix=None):
        self.name = name
        self.log = WriteLog(prefix or name)
        self._write = write
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="writer-" + name, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        i = 0
        while not self._stop.is_set():
            t0 = now_us()
            try:
                n, err = int(self._write(self.log.key(i), "v%d" % i)), None
            except Exception as exc:   # noqa: BLE001 - every client error is a failed write
                n, err = None, "%s: %s" % (type(exc).__name__, exc)
            t1 = now_us()
            ok = err is None
            self.log.add(dict(i=i, t0=t0, t1=t1, ok=ok, n=n, acked=ok and n >= 1, err=err))
            i += 1
            self._stop.wait(PAUSE_S if ok else ERROR_PAUSE_S)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def records(self):
        return self.log.records()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=15)
        assert not self._thread.is_alive(), "%s writer did not stop" % self.name
        return self.records()


class NodeWriter:
    """tests/compat/node/<script> as a child process; see writer_common.js for its output."""

    phase_acks = PHASE_ACKS

    def __init__(self, node_bin, script, deployment, prefix):
        self.name = prefix
        self.log = WriteLog(prefix)
        cfg = dict(sentinels=[list(a) for a in deployment.sentinel_addrs], name=MASTER,
                   prefix=prefix, wait_ms=WAIT_MS, pause_ms=int(PAUSE_S * 1000),
                   error_pause_ms=int(ERROR_PAUSE_S * 1000))
        if deployment.tls:   # every connection TLS (ioredis_writer.js)
            cfg["tls"] = dict(ca=deployment.tls.ca, cert=deployment.tls.client_crt,
                              key=deployment.tls.client_key)
        self.proc = Proc([node_bin, os.path.join(os.path.abspath(NODE_DIR), script),
                          json.dumps(cfg)], name=prefix, split_stderr=True,
                         cwd=new_tmp_dir_in(current_group().dir, prefix))
        self._offset = 0
        self.events = []      # every non-write line
        self.done = None

    def start(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.stop(5)

    def _poll(self):
        with open(self.proc.log_path, "rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self._offset += end
        for line in data[:end].decode("utf-8", "replace").splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                self.events.append({"ev": "garbage", "line": line})
                continue
            if obj.get("ev") == "w":
                self.log.add(obj)
            else:
                self.events.append(obj)
                if obj.get("ev") == "done":
                    self.done = obj
                if obj.get("ev") == "fatal":
                    raise AssertionError("%s failed: %s\n%s" % (self.name, obj["err"],
                                                                self.proc.describe(30)))

    def records(self):
        self._poll()
        if self.proc.poll() is not None and self.done is None:
            raise AssertionError("%s exited early:\n%s" % (self.name, self.proc.describe(30)))
        return self.log.records()

    def stop(self):
        self.proc.signal(15)
        rc = self.proc.wait(15)
        self._poll()
        assert rc == 0 and self.done is not None, self.proc.describe(30)
        return self.log.records()


class CliWriter(PyWriter):
    """The way a shell script writes through Sentinel with redis-cli: ask a sentinel for the
    master (GET-MASTER-ADDR-BY-NAME, trying each in turn), then one redis-cli for SET + WAIT.
    Two processes per write (~10-150 ms on a busy machine), so fewer writes per phase."""

    phase_acks = 5

    def __init__(self, deployment, prefix="redis-cli"):
        self.sentinel_addrs = deployment.sentinel_addrs
        self.tls_args = deployment.tls.cli_args() if deployment.tls else []
        super().__init__(prefix, self._write_once, prefix)

    def _master(self):
        for host, port in self.sentinel_addrs:
            out = run_cli(port, *self.tls_args, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER,
                          check=False)
            lines = out.stdout.split()
            if out.returncode == 0 and len(lines) == 2:
                return lines[0], lines[1]
        raise ConnectionError("no sentinel answered the master address")

    def _write_once(self, key, value):
        host, port = self._master()
        out = subprocess.run([REDIS_CLI, "-h", host, "-p", port] + self.tls_args,
                             capture_output=True, text=True,
                             timeout=5, input="SET %s %s\nWAIT 1 %d\n" % (key, value, WAIT_MS))
        lines = out.stdout.splitlines()
        if out.returncode != 0 or len(lines) != 2 or lines[0] != "OK":
            raise ConnectionError("redis-cli: %r %r" % (out.stdout, out.stderr.strip()))
        return int(lines[1])


def run_cli(port, *args, check=True, timeout_s=5):
    """One redis-cli command against 127.0.0.1:port; returns the CompletedProcess."""
    out = subprocess.run([REDIS_CLI, "-h", deploy.HOST, "-p", str(port)] + list(args),
                         capture_output=True, text=True, timeout=timeout_s)
    if check:
        assert out.returncode == 0, "redis-cli %s: %s" % (args, out.stderr)
    return out


# --- scenario -------------------------------------------------------------------------------------

def wait_acked(writer, since_us, count, timeout_s, what):
    """Wait until the writer has `count` acknowledged writes issued after since_us."""
    return wait_until(lambda: len(acked_since(writer.records(), since_us)) >= count, timeout_s,
                      "%s: %d acknowledged writes %s" % (writer.name, count, what))


def failures_between(records, t_from_us, t_to_us):
    return [r for r in records if not r["acked"] and t_from_us <= r["t0"] < t_to_us]


def kill9_scenario(d, writer):
    """Writer through a kill -9 of the master. Returns a dict of what happened and prints the
    outage. The writer keeps running (the caller checks and stops it)."""
    wait_acked(writer, 0, writer.phase_acks, 15, "before the kill")
    old, t_kill_ns = d.kill_master()
    t_kill = t_kill_ns // 1000
    new = d.wait_switched(old, timeout_s=20)
    t_agreed = now_us()
    wait_acked(writer, t_agreed, writer.phase_acks, 20, "on the new master after the failover")
    records = writer.records()
    first = min((r for r in acked_since(records, t_kill)), key=lambda r: r["t1"])
    outage_ms = (first["t1"] - t_kill) / 1000.0
    failed = failures_between(records, t_kill, first["t0"])
    print("\n[%s] kill -9 of master %s:%d: sentinels agreed on %s:%d after %.0f ms; "
          "client-side outage (kill -> first acknowledged write) %.0f ms, %d failed or "
          "unacknowledged attempts in between%s"
          % (writer.name, old[0], old[1], new[0], new[1], (t_agreed - t_kill) / 1000.0,
             outage_ms, len(failed), _errors_summary(failed)))
    return dict(old=old, new=new, t_event=t_kill, outage_ms=outage_ms)


def is_fenced(d, addr):
    role = d.role_of(d.node_at(addr))
    return role[0] == "slave" or (role[0] == "master" and not role[2])


def switchover_scenario(d, writer):
    """Writer through a manual switchover (vigiltest.switchover: HTTP for vigil-sentinels,
    the forced SENTINEL FAILOVER for redis-sentinels; a refusal fails the test).
    Returns a dict with the method used, old/new master and the longest write gap."""
    wait_acked(writer, 0, writer.phase_acks, 15, "before the switchover")
    old = d.agreed_master()
    method, desc, t_req_ns = d.switchover(timeout_s=10)
    t_req = t_req_ns // 1000
    new = d.wait_switched(old, timeout_s=20)
    t_agreed = now_us()
    # Fenced = the old master can no longer acknowledge a write (it is a replica, or a master
    # without replicas, so WAIT 1 answers 0): every write acknowledged from then on was
    # acknowledged by the new master, so the client has moved. A forced failover leaves the old
    # master a master for a while (Redis Sentinel demotes it ~10 s later).
    wait_until(lambda: is_fenced(d, old), 20, "the old master %s:%d to be fenced" % old,
               ignore=(OSError, redis.RedisError))
    t_fenced = now_us()
    wait_acked(writer, t_fenced, writer.phase_acks, 20, "on the new master after the switchover")
    records = writer.records()
    acks = [r["t1"] for r in records if r["acked"] and r["t1"] >= t_req]
    last_before = max((r["t1"] for r in records if r["acked"] and r["t1"] < t_req), default=t_req)
    gaps = [b - a for a, b in zip([last_before] + acks, acks)]
    gap_ms = max(gaps) / 1000.0
    failed = failures_between(records, t_req, t_agreed)
    print("\n[%s] switchover by %s: %s:%d -> %s:%d, sentinels agreed after %.0f ms; "
          "client-side outage (longest gap between acknowledged writes) %.0f ms, %d failed or "
          "unacknowledged attempts%s"
          % (writer.name, desc, old[0], old[1], new[0], new[1], (t_agreed - t_req) / 1000.0,
             gap_ms, len(failed), _errors_summary(failed)))
    lossless = method in ("http", "coordinated")
    return dict(old=old, new=new, t_event=t_req, method=method, outage_ms=gap_ms,
                lossless=lossless, may_lose=None if lossless else (t_req, t_fenced))


def _errors_summary(records):
    kinds = {}
    for r in records:
        text = (r.get("err") or "WAIT answered %s" % r.get("n"))[:60]
        kinds[text] = kinds.get(text, 0) + 1
    top = sorted(kinds.items(), key=lambda kv: -kv[1])[:3]
    return "" if not top else " (%s)" % "; ".join("%dx %s" % (n, t) for t, n in top)


def check_acked_readable(d, writer, records, may_lose=None):
    """Every acknowledged write is readable on the master the sentinels name now.

    may_lose: None, or (from_us, to_us) for a forced, Redis-style failover, which may lose by
    design the writes acknowledged after from_us (the request) and issued before to_us (the old
    master fenced); those are counted and printed, every other one is required.
    Returns the ids (i) of the lost writes that were tolerated."""
    addr = d.agreed_master()
    acked = [r for r in records if r["acked"]]
    assert acked, "%s: no acknowledged write at all" % writer.name
    tls = d.tls.redis_kwargs() if d.tls else {}
    with redis.Redis(host=addr[0], port=addr[1], decode_responses=True, socket_timeout=5,
                     **tls) as c:
        values = []
        for j in range(0, len(acked), 1000):
            values += c.mget([writer.log.key(r["i"]) for r in acked[j:j + 1000]])
        unacked = [r for r in records if not r["acked"]]
        unacked_present = sum(1 for v in c.mget([writer.log.key(r["i"]) for r in unacked])
                              if v is not None) if unacked else 0
    lost = [r for r, v in zip(acked, values) if v != "v%d" % r["i"]]
    required = lost if may_lose is None else [
        r for r in lost if r["t1"] < may_lose[0] or r["t0"] >= may_lose[1]]
    print("[%s] %d writes, %d acknowledged, %d lost, %d unacknowledged but present on %s:%d"
          % (writer.name, len(records), len(acked), len(lost), unacked_present, *addr))
    assert not required, "%s: %d of %d acknowledged writes missing on the master %s:%d: %s" % (
        writer.name, len(required), len(acked), addr[0], addr[1],
        [(writer.log.key(r["i"]), r["t1"]) for r in required[:10]])
    return {r["i"] for r in lost}


def run_node_writer(node_bin, d, script, name, scenario):
    """A Node.js client writer through scenario, then every acknowledged write checked on the
    master the sentinels name and through the client itself (on the connection it recovered by
    itself). Returns (scenario result, writer) for the client-specific checks."""
    with NodeWriter(node_bin, script, d, name) as writer:
        result = scenario(d, writer)
        records = writer.stop()
    tolerated = check_acked_readable(d, writer, records, result.get("may_lose"))
    done = writer.done
    assert done["readback_err"] is None, done
    assert (done["readback_bad_count"] <= len(tolerated)
            and set(done["readback_bad"]) <= tolerated), (done, tolerated)
    return result, writer
