"""configs/haproxy/haproxy.cfg, run by Debian's haproxy in front of a demo deployment: writes go
to the master, reads to a replica, and one plain (non-Sentinel) client that only knows
HAProxy's address keeps writing to the master through a switchover and a kill -9 failover.

The example is used as shipped, with only its addresses rewritten to this test's ports (every
bind stays on 127.0.0.1): each server's name and address become 127.0.0.1:<node port> and its
check port that node's sentinel's HTTP port. HAProxy is started with -db (foreground, its own
pid) and stopped by pid with the test's process group. Every wait is a poll with a deadline.
"""

import os
import re
import shutil

import pytest
import redis

from vigiltest import Proc, deploy, free_port, new_tmp_dir_in, store, wait_until

EXAMPLE = os.path.join(store.REPO_ROOT, "configs", "haproxy", "haproxy.cfg")
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
RETRY = (redis.ConnectionError, redis.TimeoutError, redis.ResponseError)
SERVER = re.compile(r"server 10\.0\.0\.(\d):6379 10\.0\.0\.\d:6379 check port 26479")


def rewrite(text, d, master_port, replica_port):
    """The example with this deployment's ports: node i behind server 10.0.0.i, checked
    through sentinel i's HTTP port."""
    def server(m):
        i = int(m.group(1)) - 1
        node = "127.0.0.1:%d" % d.nodes[i].port
        return "server %s %s check port %d" % (node, node, d.sentinels[i].http_port)
    out = SERVER.sub(server, text)
    out = out.replace("bind 127.0.0.1:6379", "bind 127.0.0.1:%d" % master_port)
    out = out.replace("bind 127.0.0.1:6380", "bind 127.0.0.1:%d" % replica_port)
    code = re.sub(r"#.*", "", out)
    assert "10.0.0." not in code and code.count("check port") == 6, out
    assert set(re.findall(r"^\s*bind (\S+)", code, re.M)) == {
        "127.0.0.1:%d" % master_port, "127.0.0.1:%d" % replica_port}
    return out


@pytest.fixture
def behind_haproxy(proc_group):
    if not os.access(HAPROXY, os.X_OK):
        pytest.fail("haproxy is missing: scripts/deps.sh installs Debian's haproxy")
    d = deploy.Deployment(proc_group, demo=True, failover_timeout_ms=3000).start()
    master_port, replica_port = free_port(), free_port()
    work = new_tmp_dir_in(proc_group.dir, "haproxy")
    cfg = os.path.join(work, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write(rewrite(open(EXAMPLE).read(), d, master_port, replica_port))
    Proc([HAPROXY, "-db", "-f", cfg], name="haproxy", cwd=work, group=proc_group)
    yield d, master_port, replica_port


def client(port):
    return redis.Redis(host="127.0.0.1", port=port, decode_responses=True, socket_timeout=2,
                       socket_connect_timeout=2)


def write_lands_on(c, key, want_port, n_replicas):
    """SET key through c, acknowledged by n_replicas (WAIT), on the node at want_port."""
    def landed():
        if int(c.config_get("port")["port"]) != want_port:
            return False
        return c.set(key, "v") is True and c.execute_command("WAIT", n_replicas, 2000) >= n_replicas
    wait_until(landed, 30, "a write through HAProxy to land on :%d" % want_port, ignore=RETRY)


def test_haproxy_example_follows_switchover_and_kill9_failover(behind_haproxy):
    d, master_port, replica_port = behind_haproxy
    c = client(master_port)  # one client object for the whole test: reconnects are its own
    old = d.agreed_master()
    write_lands_on(c, "before-switchover", old[1], 2)
    reader = client(replica_port)
    wait_until(lambda: reader.execute_command("ROLE")[0] == "slave", 30,
               "a read through HAProxy's replica frontend to reach a replica", ignore=RETRY)

    d.switchover()
    new = d.wait_switched(old)
    write_lands_on(c, "after-switchover", new[1], 1)
    d.wait_settled()

    write_lands_on(c, "before-kill", new[1], 2)
    killed, _ = d.kill_master()
    newer = d.wait_switched(killed)
    write_lands_on(c, "after-kill", newer[1], 1)
    for key in ("before-switchover", "after-switchover", "before-kill", "after-kill"):
        assert c.get(key) == "v", key
