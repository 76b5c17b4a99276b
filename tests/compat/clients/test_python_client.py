"""python3-redis (Debian's redis 4.3.4, /usr/bin/python3) as a Sentinel client through failovers.

The client is used as its documentation says: `redis.sentinel.Sentinel([...sentinels...])`,
`master_for('mymaster')` for writes and `slave_for('mymaster')` for reads. It discovers the
master with `SENTINEL MASTERS` on every new connection, turns `-READONLY` into a reconnect, and
the test never reconnects it by hand. Scenario, measurements and checks: conftest.py (the
`compat` fixture). Run with -s to see the outage figures.
"""

import redis
import redis.sentinel

from vigiltest import wait_until

MASTER = "mymaster"
TIMEOUTS = dict(socket_timeout=1, socket_connect_timeout=1)


def clients(d):
    sentinel = redis.sentinel.Sentinel(d.sentinel_addrs, socket_timeout=0.5,
                                       socket_connect_timeout=0.5)
    master = sentinel.master_for(MASTER, decode_responses=True, **TIMEOUTS)
    replica = sentinel.slave_for(MASTER, decode_responses=True, **TIMEOUTS)
    return sentinel, master, replica


def replica_reads(d, master, replica, key):
    """A write replicated to every live replica is readable through slave_for.
    Returns the role of the node that served the read."""
    n_replicas = len(d.live_nodes()) - 1
    assert master.set(key, "seen") is True
    assert master.execute_command("WAIT", n_replicas, 5000) == n_replicas
    wait_until(lambda: replica.get(key) == "seen", 10, "a read of %s through slave_for" % key,
               ignore=(redis.ConnectionError, redis.TimeoutError))
    return replica.execute_command("ROLE")[0]


def test_master_for_and_slave_for_through_kill9_failover(deployment, compat):
    d = deployment
    sentinel, master, replica = clients(d)
    assert replica_reads(d, master, replica, "py:replica-before") == "slave"
    with compat.PyWriter("redis-py", compat.pipelined_write(master)) as writer:
        compat.kill9_scenario(d, writer)
        records = writer.stop()
    compat.check_acked_readable(d, writer, records)
    assert sentinel.discover_master(MASTER) == d.agreed_master()
    d.wait_settled()
    role = replica_reads(d, master, replica, "py:replica-after")
    print("[redis-py] slave_for read after the failover served by a %s" % role)
    master.connection_pool.disconnect()
    replica.connection_pool.disconnect()


def test_master_for_and_slave_for_through_switchover(deployment, compat):
    d = deployment
    sentinel, master, replica = clients(d)
    with compat.PyWriter("redis-py", compat.pipelined_write(master)) as writer:
        result = compat.switchover_scenario(d, writer)
        records = writer.stop()
    compat.check_acked_readable(d, writer, records, result["may_lose"])
    assert sentinel.discover_master(MASTER) == result["new"]
    d.wait_settled()
    role = replica_reads(d, master, replica, "py:replica-after")
    print("[redis-py] slave_for read after the switchover served by a %s" % role)
    master.connection_pool.disconnect()
    replica.connection_pool.disconnect()
