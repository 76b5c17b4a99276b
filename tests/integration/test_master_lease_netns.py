"""The master lease across a real network cut (docs/replication.md#master-lease): the master
alone in one network namespace, its two replicas and three vigil-sentinels in another, joined
by a veth pair that the test creates and removes (addresses only inside the namespaces). The
link is cut; the isolated master must refuse writes before the other side promotes a replica.

Needs root and `ip netns`; otherwise the test skips (listed in tests/skip-allowlist.txt).
Every wait is a poll with a deadline. What is asserted is the safety property, on one host's
clocks: the last write the old master acknowledged was sent before the promotion (the
"+promoted-slave" line of the leader's log), and before the cut + lease-ms.
"""

import datetime
import os
import shutil
import subprocess
import time

import pytest

import vigiltest
from vigiltest import procs, wait_until

DOWN_AFTER_MS = 1000
LEASE_MS = DOWN_AFTER_MS - DOWN_AFTER_MS // 5     # what vigil-sentinel sends
ADDR_A, ADDR_B = "10.77.0.1", "10.77.0.2"
MASTER_PORT, REPLICA_PORTS, SENTINEL_PORTS = 6379, (6380, 6381), (26379, 26380, 26381)

WRITER = r"""
import sys, time, redis
c = redis.Redis(host=sys.argv[1], port=int(sys.argv[2]), socket_timeout=0.5,
                socket_connect_timeout=0.5)
i = 0
while True:
    t = time.time()
    try:
        c.set("w%d" % i, i)
        print("ok %d %.6f" % (i, t), flush=True)
    except redis.ReadOnlyError as e:
        print("ro %d %.6f %s" % (i, t, str(e)[:60]), flush=True)
    except (redis.ConnectionError, redis.TimeoutError):
        print("down %d %.6f" % (i, t), flush=True)
    i += 1
"""


def netns_available():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    return subprocess.run(["ip", "netns", "list"], capture_output=True).returncode == 0


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True)


class TwoNamespaces:
    """Namespaces <tag>a and <tag>b joined by a veth pair; removed by close()."""

    def __init__(self):
        tag = "vgl%d" % (os.getpid() % 100000)
        self.a, self.b = tag + "a", tag + "b"
        self.veth_a, self.veth_b = tag + "va", tag + "vb"
        self.made = []
        for ns in (self.a, self.b):
            # A run killed before its cleanup (same pid reused) left ours: names are per pid.
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            ip("netns", "add", ns)
            self.made.append(ns)
        ip("link", "add", self.veth_a, "type", "veth", "peer", "name", self.veth_b)
        for ns, dev, addr in ((self.a, self.veth_a, ADDR_A), (self.b, self.veth_b, ADDR_B)):
            ip("link", "set", dev, "netns", ns)
            ip("-n", ns, "addr", "add", addr + "/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")

    def cut(self):
        ip("-n", self.a, "link", "set", self.veth_a, "down")

    def run(self, ns, *args):
        return subprocess.run(["ip", "netns", "exec", ns] + [str(a) for a in args],
                              capture_output=True, text=True, timeout=10).stdout

    def close(self):
        for ns in self.made:   # deleting a namespace deletes its end of the veth pair
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def start_in(ns, group, name, args):
    d = procs.new_tmp_dir_in(group.dir, name)
    return procs.Proc(["ip", "netns", "exec", ns] + list(args), name=name, cwd=d, group=group)


def store_cmd(port, bind, data_dir, *extra):
    return [vigiltest.vigil_binary("vigil-store"), "--port", port, "--bind", bind, "--save", "",
            "--appendonly", "no", "--dir", data_dir, "--master-lease", "yes",
            "--repl-diskless-sync-delay", "0", "--protected-mode", "no"] + list(extra)


def sentinel_yaml(path, port, data_dir):
    with open(path, "w") as f:
        f.write("port: %d\nbind: %s\ndir: %s\nmasters:\n  - name: mymaster\n    host: %s\n"
                "    port: %d\n    quorum: 2\n    down-after: %dms\n    failover-timeout: 4s\n"
                % (port, ADDR_B, data_dir, ADDR_A, MASTER_PORT, DOWN_AFTER_MS))


def log_time(line):
    """Wall time (s) of a vigil log line "pid:X 07 Dec 2026 06:58:28.033 ..." (local time)."""
    stamp = " ".join(line.split(" ")[1:5])
    return datetime.datetime.strptime(stamp, "%d %b %Y %H:%M:%S.%f").timestamp()


@pytest.mark.skipif(not netns_available(), reason="needs root and ip netns")
def test_an_isolated_master_refuses_writes_before_the_other_side_promotes(proc_group):
    ns = TwoNamespaces()
    try:
        run_isolation(ns, proc_group)
    finally:
        proc_group.stop_all()
        ns.close()


def info(ns, nsname, addr, port, *what):
    text = ns.run(nsname, "redis-cli", "-h", addr, "-p", port, *what)
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def run_isolation(ns, group):
    mdir = procs.new_tmp_dir_in(group.dir, "master")
    start_in(ns.a, group, "master", store_cmd(MASTER_PORT, ADDR_A, mdir))
    for p in REPLICA_PORTS:
        rdir = procs.new_tmp_dir_in(group.dir, "replica%d" % p)
        start_in(ns.b, group, "replica%d" % p,
                 store_cmd(p, ADDR_B, rdir, "--replicaof", "%s %d" % (ADDR_A, MASTER_PORT)))
    sentinels = []
    for p in SENTINEL_PORTS:
        sdir = procs.new_tmp_dir_in(group.dir, "sentinel%d" % p)
        sentinel_yaml(os.path.join(sdir, "s.yaml"), p, sdir)
        sentinels.append(start_in(ns.b, group, "sentinel%d" % p,
                                  [vigiltest.vigil_binary("vigil-sentinel"),
                                   os.path.join(sdir, "s.yaml")]))

    def ready():
        for p in SENTINEL_PORTS:
            out = ns.run(ns.b, "redis-cli", "-h", ADDR_B, "-p", p, "SENTINEL", "MASTER",
                         "mymaster").split("\n")
            desc = dict(zip(out[::2], out[1::2]))
            if desc.get("num-slaves") != "2" or desc.get("num-other-sentinels") != "2":
                return False
        lease = info(ns, ns.a, ADDR_A, MASTER_PORT, "INFO", "replication")
        return lease.get("vigil_master_lease_needed") == "2" and \
            lease.get("vigil_master_lease_fenced") == "0"
    wait_until(ready, 30, "replicas and sentinels discovered, the master leased by 2")

    writer = start_in(ns.a, group, "writer",
                      ["/usr/bin/python3", "-c", WRITER, ADDR_A, MASTER_PORT])
    wait_until(lambda: writer.log_text().count("ok ") >= 20, 10, "writes before the cut")
    ns.cut()
    t_cut = time.time()

    def promoted():
        for s in sentinels:
            for line in s.log_text().splitlines():
                if "+promoted-slave" in line:
                    return log_time(line)
        return None
    t_promoted = wait_until(promoted, 30, "the other side to promote a replica")
    wait_until(lambda: "ro " in writer.log_text(), 10, "the isolated master to refuse a write")
    writer.stop()
    lines = writer.log_text().splitlines()
    oks = [float(l.split()[2]) for l in lines if l.startswith("ok ")]
    refused = [l for l in lines if l.startswith("ro ")]
    assert refused and "fenced master" in refused[0], refused[:3]
    last_ok = max(oks)
    print("last ack %.0f ms after the cut; promotion %.0f ms after the cut"
          % ((last_ok - t_cut) * 1000, (t_promoted - t_cut) * 1000))
    assert last_ok < t_promoted, "the old master acknowledged a write after the promotion"
    assert last_ok < t_cut + LEASE_MS / 1000.0, "acknowledged past the cut + lease-ms"
