"""ioredis (pinned in tests/compat/node/package-lock.json) as a Sentinel client through failovers.

tests/compat/node/ioredis_writer.js builds one client with `sentinels: [...]` and
`name: 'mymaster'` and nothing else (default retry strategy, offline queue, resend of unfulfilled
commands), and writes SET + WAIT as one pipeline until told to stop; it then reads every
acknowledged key back through the same client. Resolution: `SENTINEL get-master-addr-by-name`,
then the INFO role check on the node. The test never reconnects it. Scenario, measurements and
checks: conftest.py (the `compat` fixture). Run with -s to see the outage figures.
"""

import json
import os
import signal
import subprocess

import redis

import vigiltest
from vigiltest import deploy, wait_until

SCRIPT = "ioredis_writer.js"
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "node")


def run(node_bin, deployment, compat, scenario):
    result, writer = compat.run_node_writer(node_bin, deployment, SCRIPT, "ioredis", scenario)
    ready = [e.get("port") for e in writer.events if e.get("what") == "ready"]
    assert len(ready) >= 2 and ready[-1] == result["new"][1], (
        "ioredis did not end up connected to the new master %s: ready on %s" % (result["new"],
                                                                                ready))
    return result


def test_ioredis_through_kill9_failover(node_bin, deployment, compat):
    run(node_bin, deployment, compat, compat.kill9_scenario)


def test_ioredis_through_switchover(node_bin, deployment, compat):
    run(node_bin, deployment, compat, compat.switchover_scenario)


def resolve(node_bin, sentinels):
    """The port of the master ioredis writes to, given these sentinels in this order."""
    cfg = {"sentinels": [list(s.addr) for s in sentinels], "name": deploy.MASTER_NAME}
    out = subprocess.run([node_bin, os.path.join(NODE_DIR, "ioredis_resolve.js"),
                          json.dumps(cfg)], capture_output=True, text=True, timeout=60)
    lines = out.stdout.strip().splitlines()
    reply = json.loads(lines[-1]) if lines else {"error": out.stderr[-2000:]}
    assert "port" in reply, reply
    return reply["port"]


def test_ioredis_asks_the_next_sentinel_when_the_first_is_isolated(node_bin, proc_group):
    """Issue 18: a sentinel cut off from the majority of its peers answers GET-MASTER-ADDR-BY-NAME
    with -IDONTKNOW (discovery-when-isolated refuse, the default), and ioredis asks the next one.

    Two groups both named mymaster on loopback, so that one sentinel is isolated while another
    is healthy: group A (its master and 3 sentinels, 2 of them stopped with SIGSTOP) and group B
    (its master and 3 live sentinels). ioredis is given [A's live sentinel, a B sentinel] and
    must write to B's master; a sentinel that still named A's master would send it there."""
    a = deploy.Deployment(proc_group, n_replicas=0).start()
    b = deploy.Deployment(proc_group, n_replicas=0).start()
    isolated, stopped = a.sentinels[0], a.sentinels[1:]
    for s in stopped:
        s.proc.signal(signal.SIGSTOP)
    try:
        def refuses():
            try:
                isolated.master_addr()
                return False
            except redis.ResponseError as e:
                return str(e).startswith("IDONTKNOW ")
        wait_until(refuses, 10, "the isolated sentinel to refuse GET-MASTER-ADDR-BY-NAME")
        sentinels = [isolated, b.sentinels[0]]
        assert resolve(node_bin, sentinels) == b.master.port
        assert b.master.client().get("resolved-by-ioredis") == b"1"
        assert a.master.client().get("resolved-by-ioredis") is None
        # Redis's behaviour (answer): the isolated sentinel sends ioredis to its stale master.
        assert isolated.cmd("SENTINEL", "SET", deploy.MASTER_NAME, "discovery-when-isolated",
                            "answer") == "OK"
        assert resolve(node_bin, sentinels) == a.master.port
    finally:
        for s in stopped:
            s.proc.signal(signal.SIGCONT)


def define_command_results(node_bin, port):
    out = subprocess.run([node_bin, os.path.join(NODE_DIR, "ioredis_define_command.js"),
                          json.dumps({"port": port})], capture_output=True, text=True, timeout=60)
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"error": out.stderr[-2000:]}


def test_ioredis_define_command_runs_scripts_as_on_redis(node_bin, proc_group):
    """Issue 20: ioredis's defineCommand sends EVALSHA and, on NOSCRIPT, the script body again
    (here after SCRIPT FLUSH); a lock release and a rate limiter give the same results on
    vigil-store as on redis-server, pipelined or not."""
    results = {}
    for kind in ("vigil", "redis"):
        s = vigiltest.start_store(kind)
        results[kind] = define_command_results(node_bin, s.port)
        assert "error" not in results[kind], (kind, results[kind])
    assert results["vigil"] == results["redis"]
    assert results["vigil"] == {"releaseOther": 0, "releaseMine": 1, "lockLeft": 0,
                                "allowed": [1, 1, 1, 0], "afterFlush": 0, "count": 3,
                                "pipeline": [0, 1]}
