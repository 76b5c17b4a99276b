"""Interop: Debian's redis-sentinel (Redis 7.0) supervising vigil-store nodes through failovers.

Three redis-sentinel processes (a temp sentinel.conf each, down-after 500 ms) monitor a vigil-store
master and two vigil-store replicas started from configs/demo. Redis Sentinel is the strictest
judge of vigil-store's wire surface for supervision: it parses INFO (role, replicas, offsets,
run_id), discovers peers through the master's pub/sub, promotes with `MULTI, SLAVEOF NO ONE,
CONFIG REWRITE, CLIENT KILL TYPE normal, EXEC`, repoints replicas with SLAVEOF and reads
their PSYNC progress from INFO. A redis-py Sentinel client writes through it all.

The other direction, vigil-sentinel supervising Debian's redis-server nodes, is covered by
tests/integration/test_sentinel_failover.py and test_http_api.py (their interop cases run
redis-server data nodes), and the client tests here run against it with VIGIL_COMPAT_NODES=redis.

Run with -s to see the failover and outage figures.
"""

import pytest
import redis
import redis.sentinel

from vigiltest import deploy, wait_until

MASTER = "mymaster"


@pytest.fixture
def redis_sentinels_over_vigil(proc_group, compat):
    d = deploy.Deployment(proc_group, "vigil", "redis", down_after_ms=compat.DOWN_AFTER_MS,
                          failover_timeout_ms=compat.FAILOVER_TIMEOUT_MS, demo=True).start()
    yield d
    d.stop()


def writer_for(d, compat):
    sentinel = redis.sentinel.Sentinel(d.sentinel_addrs, socket_timeout=0.5,
                                       socket_connect_timeout=0.5)
    master = sentinel.master_for(MASTER, decode_responses=True, socket_timeout=1,
                                 socket_connect_timeout=1)
    return (compat.PyWriter("redis-sentinel/vigil-store", compat.pipelined_write(master),
                            "interop"), master)


def check_roles(d, master_addr):
    """Every live node agrees with the sentinels: one master, the others its replicas."""
    for n in d.live_nodes():
        role = d.role_of(n)
        if n.port == master_addr[1]:
            assert role[0] == "master", role
            assert {int(r[1]) for r in role[2]} == {m.port for m in d.live_nodes()} - {n.port}
        else:
            assert role[0] == "slave" and int(role[2]) == master_addr[1], role


def test_redis_sentinel_fails_over_vigil_store_after_kill9(redis_sentinels_over_vigil, compat):
    d = redis_sentinels_over_vigil
    s = d.sentinels[0]
    assert s.master_info()["flags"] == "master"
    assert s.cmd("SENTINEL", "CKQUORUM", MASTER).startswith("OK 3 usable")
    writer, master = writer_for(d, compat)
    with writer:
        result = compat.kill9_scenario(d, writer)
        records = writer.stop()
    compat.check_acked_readable(d, writer, records)
    new = d.wait_settled(timeout_s=20)
    assert new == result["new"]
    check_roles(d, new)
    assert int(s.master_info()["config-epoch"]) >= 1
    master.connection_pool.disconnect()


def test_redis_sentinel_manual_failover_of_vigil_store(redis_sentinels_over_vigil, compat):
    """`SENTINEL FAILOVER` (forced, Redis semantics): the promoted vigil-store takes writes, the
    old master is turned into its replica by +convert-to-slave. Writes acknowledged before the
    request must survive; later ones may be lost by design (printed, not asserted)."""
    d = redis_sentinels_over_vigil
    writer, master = writer_for(d, compat)
    with writer:
        result = compat.switchover_scenario(d, writer)
        records = writer.stop()
    compat.check_acked_readable(d, writer, records, result["may_lose"])
    new = d.wait_settled(timeout_s=25)
    assert new == result["new"]
    check_roles(d, new)
    old = d.node_at(result["old"])
    wait_until(lambda: d.role_of(old)[3] == "connected", 10,
               "the old master to sync from the new one")
    master.connection_pool.disconnect()
