"""ioredis (pinned in tests/compat/node/package-lock.json) as a Sentinel client through failovers.

tests/compat/node/ioredis_writer.js builds one client with `sentinels: [...]` and
`name: 'mymaster'` and nothing else (default retry strategy, offline queue, resend of unfulfilled
commands), and writes SET + WAIT as one pipeline until told to stop; it then reads every
acknowledged key back through the same client. Resolution: `SENTINEL get-master-addr-by-name`,
then the INFO role check on the node. The test never reconnects it. Scenario, measurements and
checks: conftest.py (the `compat` fixture). Run with -s to see the outage figures.
"""

SCRIPT = "ioredis_writer.js"


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
