"""Real clients over TLS through failovers (docs/tls.md): redis-cli --tls, python3-redis with
ssl=True (Sentinel with sentinel_kwargs carrying the same TLS options) and ioredis with `tls:`,
`sentinelTLS:` and enableTLSForSentinelMode, against a deployment where every link is TLS
(vigiltest.deploy with tls=, certificates from vigiltest.tlspki). Each one writes SET + WAIT
through a kill -9 of the master and through a switchover; every acknowledged write must be on the
new master. Scenario, measurements and checks: conftest.py (the `compat` fixture).
"""

import pytest
import redis.sentinel

from vigiltest import deploy, new_tmp_dir
from vigiltest.tlspki import make_pki

MASTER = deploy.MASTER_NAME


@pytest.fixture(scope="module")
def pki():
    return make_pki(new_tmp_dir("pki"))


@pytest.fixture
def tls_deployment(proc_group, pki, compat):
    d = deploy.Deployment(proc_group, down_after_ms=compat.DOWN_AFTER_MS,
                          failover_timeout_ms=compat.FAILOVER_TIMEOUT_MS, tls=pki).start()
    yield d
    d.stop()


def py_writer(d, compat):
    tls = d.tls.redis_kwargs()
    sentinel = redis.sentinel.Sentinel(d.sentinel_addrs, sentinel_kwargs=dict(
        socket_timeout=0.5, socket_connect_timeout=0.5, **tls), socket_timeout=0.5,
        socket_connect_timeout=0.5)
    master = sentinel.master_for(MASTER, decode_responses=True, socket_timeout=1,
                                 socket_connect_timeout=1, **tls)
    return compat.PyWriter("redis-py-tls", compat.pipelined_write(master))


@pytest.mark.parametrize("scenario", ["kill9", "switchover"])
def test_redis_py_ssl_through_failover(tls_deployment, compat, scenario):
    d = tls_deployment
    with py_writer(d, compat) as writer:
        result = getattr(compat, scenario + "_scenario")(d, writer)
        records = writer.stop()
    compat.check_acked_readable(d, writer, records, result.get("may_lose"))


@pytest.mark.parametrize("scenario", ["kill9", "switchover"])
def test_redis_cli_tls_through_failover(tls_deployment, compat, scenario):
    d = tls_deployment
    with compat.CliWriter(d, "redis-cli-tls") as writer:
        result = getattr(compat, scenario + "_scenario")(d, writer)
        records = writer.stop()
    compat.check_acked_readable(d, writer, records, result.get("may_lose"))


@pytest.mark.parametrize("scenario", ["kill9", "switchover"])
def test_ioredis_tls_through_failover(node_bin, tls_deployment, compat, scenario):
    result, writer = compat.run_node_writer(node_bin, tls_deployment, "ioredis_writer.js",
                                            "ioredis-tls", getattr(compat, scenario + "_scenario"))
    ready = [e.get("port") for e in writer.events if e.get("what") == "ready"]
    assert len(ready) >= 2 and ready[-1] == result["new"][1], ready
