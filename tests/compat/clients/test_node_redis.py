"""node-redis 6 (pinned in tests/compat/node/package-lock.json) `createSentinel` through failovers.

tests/compat/node/node_redis_writer.js builds one `createSentinel({name, sentinelRootNodes})`
with the library's defaults: RESP3 (HELLO 3 to sentinels and nodes), one master connection,
re-observation of the topology on sentinel events (PSUBSCRIBE) and on READONLY. It writes SET +
WAIT as one pipeline on its master connection until told to stop, then reads every acknowledged
key back through the same client; it also reports the protocol of that connection (CLIENT
INFO). The test never reconnects it. Scenario, measurements and checks: conftest.py (the `compat`
fixture). Run with -s to see the outage figures.
"""

SCRIPT = "node_redis_writer.js"


def run(node_bin, deployment, compat, scenario):
    result, writer = compat.run_node_writer(node_bin, deployment, SCRIPT, "node-redis", scenario)
    hello = next(e for e in writer.events if e.get("ev") == "hello")
    assert hello.get("resp") == 3, "node-redis did not get a RESP3 connection: %s" % hello
    masters = [e.get("port") for e in writer.events
               if e.get("what") == "topology-change" and e.get("type") == "MASTER_CHANGE"]
    assert masters[-1:] == [result["new"][1]], "node-redis did not follow the new master: %s" % (
        masters,)
    return result


def test_node_redis_through_kill9_failover(node_bin, deployment, compat):
    run(node_bin, deployment, compat, compat.kill9_scenario)


def test_node_redis_through_switchover(node_bin, deployment, compat):
    run(node_bin, deployment, compat, compat.switchover_scenario)
