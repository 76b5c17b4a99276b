"""A deployment where every data link is TLS (docs/tls.md#sentinel): vigil-store nodes listen on
TLS ports only (port 0) and replicate over TLS; vigil-sentinels listen on a tls-port only (port 0,
no plaintext listener), talk TLS to
the nodes and to each other (tls-replication yes) and announce their TLS port in hellos. It goes
through a kill -9 failover and a switchover with the usual deployment helpers (vigiltest.deploy),
whose own clients speak TLS too. Every wait is a poll with a deadline.
"""

import pytest

from vigiltest import deploy, new_tmp_dir, wait_until
from vigiltest.tlspki import make_pki


@pytest.fixture(scope="module")
def pki():
    return make_pki(new_tmp_dir("pki"))


def write_and_check(d, master_addr, key):
    master = d.node_at(master_addr)
    master.client().set(key, "v")
    for n in d.live_nodes():
        if n is not master:
            wait_until(lambda n=n: n.client().get(key) == b"v", 10,
                       "%s replicated to %s over TLS" % (key, n.addr))


def test_all_tls_deployment_fails_over_and_switches_over(proc_group, pki):
    d = deploy.Deployment(proc_group, tls=pki).start()
    # No plaintext port anywhere: each sentinel listens on its TLS port and HTTPS only (port 0).
    for s in d.sentinels:
        assert s.proc.listening_tcp_ports() == {s.port, s.http_port}
        # Its INFO counts the clients of its TLS port (the one asking is one of them).
        assert int(s.client.info("stats")["total_connections_received"]) >= 1
    # Hellos carry the TLS ports: each sentinel knows its peers by the port we reach them on.
    tls_ports = {s.port for s in d.sentinels}
    for s in d.sentinels:
        assert {int(p["port"]) for p in s.table("SENTINELS")} == tls_ports - {s.port}
    old = d.agreed_master()
    write_and_check(d, old, "before")

    killed, _ = d.kill_master()
    new = d.wait_switched(killed)
    settled = d.wait_settled()
    assert settled == new
    write_and_check(d, new, "after-failover")

    d.switchover()
    after = d.wait_switched(new)
    assert d.wait_settled() == after
    write_and_check(d, after, "after-switchover")
