"""vigil-sentinel against real data nodes: discovery, kill -9 failover, events, quorum, restart.

Each test starts its own deployment on free 127.0.0.1 ports: a master and two replicas (Debian's
redis-server today; vigil-store once its replication is ready, see NODE_KINDS) and one to three
vigil-sentinels with a short down-after. Every wait is a poll with a deadline, never a fixed sleep;
no test asserts a duration (the failover time is printed, run with -s to see it).

Switching the data nodes to vigil-store: set VIGIL_SENTINEL_NODES=vigil (or "redis,vigil" for
both); the `node_kind` fixture parameter carries it into every test.
"""

import os
import signal
import time

import pytest
import redis
import redis.sentinel

import vigiltest
from vigiltest import Proc, free_port, wait_until

HOST = "127.0.0.1"
MASTER = "mymaster"
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 4000
NODE_KINDS = [k.strip() for k in os.environ.get("VIGIL_SENTINEL_NODES", "redis").split(",")
              if k.strip()]


# --- deployment helpers ---------------------------------------------------------------------------

def node_args(kind, master_port):
    """Extra command-line arguments for a data node (a replica of master_port if given)."""
    if kind == "redis":
        args = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"]
        if master_port:
            args += ["--replicaof", HOST, str(master_port)]
        return args
    return ["--replicaof", "%s %d" % (HOST, master_port)] if master_port else []


def start_node(kind, master_port=None, name="node"):
    return vigiltest.start_store(kind, extra_args=node_args(kind, master_port), name=name)


class Sentinel:
    """One vigil-sentinel process: its port, dir, YAML file and a redis-py client."""

    def __init__(self, port, proc, data_dir, yaml_path):
        self.port = port
        self.proc = proc
        self.dir = data_dir
        self.yaml = yaml_path
        self.client = redis.Redis(host=HOST, port=port, decode_responses=True,
                                  socket_timeout=2, socket_connect_timeout=2)

    def cmd(self, *args):
        return self.client.execute_command(*args)

    def master_addr(self):
        reply = self.cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
        return None if reply is None else (reply[0], int(reply[1]))

    def master_info(self):
        flat = self.cmd("SENTINEL", "MASTER", MASTER)
        return dict(zip(flat[::2], flat[1::2]))

    def table(self, what):
        return [dict(zip(e[::2], e[1::2])) for e in self.cmd("SENTINEL", what, MASTER)]


def write_sentinel_yaml(path, port, data_dir, master_port, quorum, extra=""):
    with open(path, "w") as f:
        f.write("port: %d\nbind: %s\ndir: %s\nmasters:\n"
                "  - name: %s\n    host: %s\n    port: %d\n    quorum: %d\n"
                "    down-after: %dms\n    failover-timeout: %dms\n%s"
                % (port, HOST, data_dir, MASTER, HOST, master_port, quorum, DOWN_AFTER_MS,
                   FAILOVER_TIMEOUT_MS, extra))


SCRIPT = "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/%s\"\n"


def write_scripts(data_dir):
    """A notification and a client-reconfig script that log their arguments in data_dir."""
    lines = ""
    for key, log in (("notification-script", "notify.log"), ("client-reconfig-script",
                                                             "reconfig.log")):
        path = os.path.join(data_dir, key + ".sh")
        with open(path, "w") as f:
            f.write(SCRIPT % log)
        os.chmod(path, 0o755)
        lines += "    %s: %s\n" % (key, path)
    return lines


def script_calls(sentinel, log):
    try:
        with open(os.path.join(sentinel.dir, log)) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def start_sentinel(group, master_port, quorum=2, data_dir=None, port=None, yaml_path=None,
                   scripts=False):
    """Start (or, given the same dir/port/yaml, restart) a vigil-sentinel; wait for PING."""
    binary = vigiltest.require_binary(vigiltest.vigil_binary("vigil-sentinel"))
    port = port or free_port()
    data_dir = data_dir or vigiltest.new_tmp_dir_in(group.dir, "sentinel-%d" % port)
    yaml_path = yaml_path or os.path.join(data_dir, "sentinel.yaml")
    if not os.path.exists(yaml_path):
        write_sentinel_yaml(yaml_path, port, data_dir, master_port, quorum,
                            write_scripts(data_dir) if scripts else "")
    proc = Proc([binary, yaml_path], name="vigil-sentinel-%d" % port, cwd=data_dir, group=group)
    s = Sentinel(port, proc, data_dir, yaml_path)

    def answers():
        if proc.poll() is not None:
            raise vigiltest.ProcExited("sentinel exited: %s" % proc.log_tail(20))
        return s.client.ping()
    wait_until(answers, 10, "vigil-sentinel on port %d to answer PING" % port,
               ignore=(OSError, redis.ConnectionError))
    return s


class Deployment:
    def __init__(self, group, kind, n_sentinels, quorum=2, scripts=False):
        self.kind = kind
        self.master = start_node(kind, name="master")
        self.replicas = [start_node(kind, self.master.port, name="replica%d" % i) for i in (1, 2)]
        self.sentinels = [start_sentinel(group, self.master.port, quorum, scripts=scripts)
                          for _ in range(n_sentinels)]

    def node_ports(self):
        return {self.master.port} | {r.port for r in self.replicas}

    def wait_replicas_online(self, timeout_s=10):
        def online():
            info = self.master.client().info("replication")
            return info.get("connected_slaves", 0) == 2 and all(
                info["slave%d" % i]["state"] == "online" for i in range(2))
        wait_until(online, timeout_s, "both replicas online at the master")

    def wait_discovered(self, timeout_s=10):
        """Every sentinel knows both replicas, healthy, and every other sentinel. Healthy:
        connected and their own INFO read (master-link-status comes from it); before that a
        replica is not eligible and SENTINEL FAILOVER would answer NOGOODSLAVE."""
        peers = len(self.sentinels) - 1

        def done():
            for s in self.sentinels:
                reps = s.table("REPLICAS")
                if {int(r["port"]) for r in reps} != {r.port for r in self.replicas}:
                    return False
                if any(r["flags"] != "slave" or r["master-link-status"] != "ok" for r in reps):
                    return False
                if len(s.table("SENTINELS")) != peers:
                    return False
            return True
        wait_until(done, timeout_s, "replicas and sentinels discovered by every sentinel")


@pytest.fixture(params=NODE_KINDS)
def node_kind(request):
    if request.param == "vigil":
        vigiltest.require_binary(vigiltest.vigil_binary("vigil-store"))
    return request.param


@pytest.fixture
def three(proc_group, node_kind):
    d = Deployment(proc_group, node_kind, 3)
    d.wait_replicas_online()
    return d


@pytest.fixture
def three_with_scripts(proc_group, node_kind):
    d = Deployment(proc_group, node_kind, 3, scripts=True)
    d.wait_replicas_online()
    return d


def wait_all_answer(sentinels, addr, timeout_s, what):
    wait_until(lambda: all(s.master_addr() == addr for s in sentinels), timeout_s, what,
               ignore=(OSError, redis.ConnectionError, redis.TimeoutError))


def promoted_addr(deployment, timeout_s=15):
    """Wait until every sentinel answers the same replica address; return it."""
    replica_addrs = {(HOST, r.port) for r in deployment.replicas}

    def agreed():
        addrs = {s.master_addr() for s in deployment.sentinels}
        return addrs.pop() if len(addrs) == 1 and addrs <= replica_addrs else None
    return wait_until(agreed, timeout_s, "every sentinel to answer a promoted replica",
                      ignore=(OSError, redis.ConnectionError, redis.TimeoutError))


# --- tests -----------------------------------------------------------------------------------------

def test_discovery_of_replicas_and_sentinels(three):
    three.wait_discovered()
    for s in three.sentinels:
        assert s.master_addr() == (HOST, three.master.port)
        info = s.master_info()
        assert info["flags"] == "master"
        assert info["num-slaves"] == "2" and info["num-other-sentinels"] == "2"
        for r in s.table("REPLICAS"):
            assert "slave" in r["flags"].split(","), r
        ids = {p["runid"] for p in s.table("SENTINELS")}
        assert s.cmd("SENTINEL", "MYID") not in ids
    assert three.sentinels[0].cmd("SENTINEL", "CKQUORUM", MASTER).startswith("OK 3 usable")


def test_kill9_of_master_fails_over_and_every_sentinel_answers_the_new_master(three_with_scripts):
    three = three_with_scripts
    three.wait_discovered()
    old = (HOST, three.master.port)
    sub = three.sentinels[1].client.pubsub()
    sub.subscribe("+switch-master")
    wait_until(lambda: sub.get_message(timeout=0.1) is not None, 5, "subscribe confirmation")

    t0 = time.monotonic()
    three.master.kill9()
    new = promoted_addr(three)
    elapsed = time.monotonic() - t0
    print("\nkill -9 -> every sentinel answers %s:%d: %.0f ms" % (new[0], new[1], elapsed * 1000))
    assert new != old

    def switch_message():
        m = sub.get_message(timeout=0.2)
        return m if m and m["type"] == "message" else None
    m = wait_until(switch_message, 10, "+switch-master on a subscriber")
    assert m["channel"] == "+switch-master"
    assert m["data"] == "%s %s %d %s %d" % (MASTER, old[0], old[1], new[0], new[1])
    sub.close()

    promoted = next(r for r in three.replicas if r.port == new[1])
    other = next(r for r in three.replicas if r.port != new[1])
    assert promoted.client().info("replication")["role"] == "master"
    wait_until(lambda: other.client().info("replication").get("master_port") == new[1], 10,
               "the other replica to follow the new master")
    for s in three.sentinels:
        wait_until(lambda s=s: int(s.master_info()["port"]) == new[1], 10,
                   "SENTINEL MASTER to show the new address after the switch")
        assert int(s.master_info()["config-epoch"]) >= 1

    # Scripts get Redis's arguments: "<event> <message>" and
    # "<master> <leader|observer> start <old ip> <old port> <new ip> <new port>".
    # The quorum (2) saw the master down; the third may learn the new configuration from the
    # leader's hello before its own down-after runs out, and then never reports +sdown (as Redis).
    sdown = "+sdown master %s %s %d" % (MASTER, old[0], old[1])
    wait_until(lambda: sum(sdown in script_calls(s, "notify.log") for s in three.sentinels) >= 2,
               10, "the notification script to run for +sdown on a quorum of sentinels")
    switch = "%s %%s start %s %d %s %d" % (MASTER, old[0], old[1], new[0], new[1])
    calls = lambda: [c for s in three.sentinels for c in script_calls(s, "reconfig.log")]
    wait_until(lambda: switch % "leader" in calls(), 10, "the leader's client-reconfig script")
    wait_until(lambda: switch % "observer" in calls(), 10, "an observer's client-reconfig script")


def test_no_odown_and_no_failover_without_quorum(proc_group, node_kind):
    d = Deployment(proc_group, node_kind, 1, quorum=2)
    d.wait_replicas_online()
    s = d.sentinels[0]
    wait_until(lambda: len(s.table("REPLICAS")) == 2, 10, "replicas discovered")
    sub = s.client.pubsub()
    sub.psubscribe("*")
    wait_until(lambda: sub.get_message(timeout=0.1) is not None, 5, "psubscribe confirmation")
    old = (HOST, d.master.port)
    d.master.kill9()
    wait_until(lambda: "s_down" in s.master_info()["flags"], 5, "SDOWN of the dead master")
    # ODOWN would need a second sentinel's agreement: give it many down-after periods.
    seen = []
    deadline = time.monotonic() + 6 * DOWN_AFTER_MS / 1000.0
    while time.monotonic() < deadline:
        m = sub.get_message(timeout=0.1)
        if m and m["type"] == "pmessage":
            seen.append(m["channel"])
    flags = s.master_info()["flags"].split(",")
    assert "s_down" in flags and "o_down" not in flags, flags
    assert "+sdown" in seen
    assert "+odown" not in seen and "+try-failover" not in seen, seen
    assert s.master_addr() == old
    sub.close()


def test_restart_keeps_epoch_id_and_master(proc_group, three):
    three.wait_discovered()
    leader = three.sentinels[0]
    assert leader.cmd("SENTINEL", "FAILOVER", MASTER) == "OK"
    new = promoted_addr(three)
    assert new != (HOST, three.master.port)
    victim = three.sentinels[2]
    wait_until(lambda: int(victim.master_info()["port"]) == new[1], 10, "switch on the victim")
    myid = victim.cmd("SENTINEL", "MYID")
    epoch = int(victim.master_info()["config-epoch"])
    assert epoch >= 1
    victim.client.close()
    assert victim.proc.stop() == 0
    assert os.path.exists(os.path.join(victim.dir, "sentinel-state.json"))

    again = start_sentinel(proc_group, three.master.port, data_dir=victim.dir, port=victim.port,
                           yaml_path=victim.yaml)
    # Straight from the state file: before any hello from the peers could have taught it.
    assert again.cmd("SENTINEL", "MYID") == myid
    assert again.master_addr() == new
    assert int(again.master_info()["config-epoch"]) == epoch
    assert {int(r["port"]) for r in again.table("REPLICAS")} >= {three.master.port}
    assert len(again.table("SENTINELS")) == 2


def test_redis_py_sentinel_client_writes_through_a_failover(three):
    three.wait_discovered()
    sentinel = redis.sentinel.Sentinel([(HOST, s.port) for s in three.sentinels],
                                       socket_timeout=1, socket_connect_timeout=1)
    master = sentinel.master_for(MASTER, socket_timeout=1, socket_connect_timeout=1)
    assert master.set("before", "1") is True
    three.master.kill9()

    def write_ok():
        try:
            return master.set("after", "2") is True
        except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError,
                redis.sentinel.MasterNotFoundError):
            return False
    wait_until(write_ok, 15, "a write through redis-py's Sentinel client after the failover")
    new = sentinel.discover_master(MASTER)
    assert new[1] in {r.port for r in three.replicas}
    assert redis.Redis(host=new[0], port=new[1]).get("after") == b"2"
    master.connection_pool.disconnect()


def test_simulate_failure_crash_after_election_exits_99(proc_group, node_kind):
    d = Deployment(proc_group, node_kind, 1, quorum=1)
    d.wait_replicas_online()
    d.wait_discovered()
    s = d.sentinels[0]
    assert s.cmd("SENTINEL", "SIMULATE-FAILURE", "CRASH-AFTER-ELECTION") == "OK"
    assert s.cmd("SENTINEL", "FAILOVER", MASTER) == "OK"
    assert s.proc.wait(10) == 99
    # Crashed right after winning: nobody was promoted.
    assert d.master.client().info("replication")["role"] == "master"
