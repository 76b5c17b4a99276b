#!/usr/bin/python3
"""aof-kill9-loss: what a crash of vigil-store (kill -9) loses under each appendfsync policy.

For each policy: start vigil-store with appendonly yes in a temp folder, run 8 writers (SET of
unique keys, each remembering what was acknowledged) for 2 s, kill -9 the store, start Debian's
redis-server with --appendonly yes on the folder (loading is Redis's here), and count the
acknowledged keys it does not have. A power loss is not simulated: that is what the fsync
policies differ on (docs/persistence.md#when-a-write-reaches-the-disk-appendfsync).
Usage: scripts/bench/aof-kill9-loss.py [policy ...]   (default: always everysec no)
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STORE = os.environ.get("VIGIL_BIN_DIR", os.path.join(REPO, "bin")) + "/vigil-store"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ping(port):
    cli = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if cli.ping():
                return cli
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("no PING on port %d" % port)


def run(policy, tmp):
    folder = os.path.join(tmp, policy)
    os.makedirs(folder)
    port = free_port()
    store = subprocess.Popen([STORE, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder,
                              "--save", "", "--appendonly", "yes", "--appendfsync", policy],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ping(port)
    acked, stop = [], threading.Event()

    def writer(w):
        cli = redis.Redis(port=port)
        i = 0
        while not stop.is_set():
            key = b"w%d-%d" % (w, i)
            try:
                cli.set(key, b"x")
            except redis.RedisError:
                return
            acked.append(key)
            i += 1
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    time.sleep(2.0)  # the load runs for a while; the measurement is what survives the kill
    os.kill(store.pid, signal.SIGKILL)
    store.wait()
    stop.set()
    for t in threads:
        t.join()
    rport = free_port()
    rs = subprocess.Popen(["/usr/bin/redis-server", "--port", str(rport), "--bind", "127.0.0.1",
                           "--dir", folder, "--save", "", "--appendonly", "yes"],
                          stdout=subprocess.DEVNULL)
    try:
        keys = set(wait_ping(rport).keys(b"*"))
    finally:
        rs.terminate()
        rs.wait()
    lost = sum(1 for k in acked if k not in keys)
    print("%-8s acknowledged %7d  lost after kill -9: %d" % (policy, len(acked), lost))


def main():
    tmp = tempfile.mkdtemp(prefix="vigil-aof-loss-")
    try:
        for policy in sys.argv[1:] or ["always", "everysec", "no"]:
            run(policy, tmp)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
