"""The quorum intersection rule before promotion (promotion-quorum) and forgetting nodes unseen
for long (forget-after), issue #18: docs/sentinel-protocol.md#promotion-quorum and #forgetting.

Each test starts its own deployment (vigiltest.deploy): a vigil-store master, two replicas and
three vigil-sentinels with the HTTP API, down-after 500 ms. With the default promotion-quorum
(majority: 1 master + 2 replicas protects WAIT 1, so both replicas must report), losing the
master and one replica promotes nothing, `plan` (HTTP and vigilctl) names the missing replica,
the aborted attempt is in the leader's history, and the failover completes once the replica is
back; with `off` the remaining replica is promoted at once, as Redis does. Forgetting: a stopped
replica, and a stopped sentinel on the majority side, leave SENTINEL REPLICAS / SENTINELS and
the state file after a shortened forget-after. Every wait is a poll with a deadline.
"""

import json
import os

import redis

import vigiltest
from vigiltest import deploy, wait_until

HOST = "127.0.0.1"
MASTER = deploy.MASTER_NAME
BASE = "/v1/masters/" + MASTER
FAILOVER_TIMEOUT_MS = 2000
IGNORE = (OSError, redis.ConnectionError, redis.TimeoutError)

_ctl = vigiltest.load_sibling(__file__, "test_vigilctl.py")


def start(group):
    return deploy.Deployment(group, node_kind="vigil", n_sentinels=3, quorum=2,
                             failover_timeout_ms=FAILOVER_TIMEOUT_MS).start()


def set_all(d, *args):
    for s in d.sentinels:
        assert s.cmd("SENTINEL", "SET", MASTER, *args) == "OK"


def blockers(s):
    return s.get(BASE + "/plan").json["blockers"]


def aborted_records(s):
    recs = s.get(BASE + "/history").json["records"]
    return [r for r in recs if r.get("outcome") == "aborted"]


def lose_master_and_one_replica(d):
    gone = d.replicas[1]
    d.master.kill9()
    gone.kill9()
    return gone.port


def test_master_and_one_replica_lost_promotes_nothing_until_the_replica_returns(proc_group):
    d = start(proc_group)
    old = (HOST, d.master.port)
    gone_port = lose_master_and_one_replica(d)
    want = ("promotion-quorum: needs fresh offsets from 2 replicas, has 1: %s:%d not answering"
            % (HOST, gone_port))
    wait_until(lambda: all(want in blockers(s) for s in d.sentinels), 20,
               "every sentinel's plan to name the missing replica", ignore=IGNORE)
    plan = d.sentinels[0].get(BASE + "/plan").json
    assert plan["promotion_quorum"] == {"setting": "majority", "replicas_known": 2, "needed": 2,
                                        "fresh": 1}, plan
    # vigilctl plan shows the same blocker.
    base = ["-s", ",".join(d.http_addrs), "--token", deploy.TOKEN]
    r = _ctl.run_ctl(*base, "plan", MASTER)
    assert r.returncode == 0 and want in r.stdout, r
    # An attempt is elected, waits failover-timeout for the replica, then aborts and says why.
    rec = wait_until(lambda: next((r for s in d.sentinels for r in aborted_records(s)), None),
                     30, "an aborted attempt in a leader's history", ignore=IGNORE)
    assert rec["abort"] == "-failover-abort-no-good-slave", rec
    assert want.split(": ", 1)[1] in rec["abort_reason"], rec
    assert all(s.master_addr() == old for s in d.sentinels), "nothing was promoted"
    assert d.replicas[0].client().info("replication")["role"] == "slave"
    # The replica comes back (empty: no persistence): both offsets are fresh, the failover
    # completes, and it promotes the replica that kept the data.
    vigiltest.start_store("vigil", port=gone_port, name="replica2-again",
                          extra_args=["--replicaof", "%s %d" % old])
    new = (HOST, d.replicas[0].port)
    wait_until(lambda: all(s.master_addr() == new for s in d.sentinels), 40,
               "every sentinel to answer the promoted replica", ignore=IGNORE)


def test_off_promotes_the_remaining_replica_as_redis(proc_group):
    d = start(proc_group)
    set_all(d, "promotion-quorum", "off")
    assert d.sentinels[0].get(BASE).json["promotion_quorum"] == "off"
    assert d.sentinels[0].master_info()["promotion-quorum"] == "off"
    lose_master_and_one_replica(d)
    new = (HOST, d.replicas[0].port)
    wait_until(lambda: all(s.master_addr() == new for s in d.sentinels), 30,
               "every sentinel to answer the remaining replica", ignore=IGNORE)


def state_file(s):
    with open(os.path.join(s.dir, "sentinel-state.json")) as f:
        return json.load(f)["masters"][0]


def test_a_stopped_replica_is_forgotten_after_forget_after(proc_group):
    d = start(proc_group)
    set_all(d, "forget-after", "1500")
    gone = d.replicas[1]
    gone_addr = (HOST, gone.port)
    gone.stop()

    def forgotten(s):
        listed = {(r["ip"], int(r["port"])) for r in s.table("REPLICAS")}
        in_file = {(r["host"], r["port"]) for r in state_file(s).get("replicas", [])}
        return gone_addr not in listed and gone_addr not in in_file and len(listed) == 1
    wait_until(lambda: all(forgotten(s) for s in d.sentinels), 30,
               "every sentinel to forget the stopped replica (and its state file)", ignore=IGNORE)
    assert d.sentinels[0].master_info()["num-slaves"] == "1"


def test_a_stopped_sentinel_is_forgotten_on_the_majority_side(proc_group):
    d = start(proc_group)
    set_all(d, "forget-after", "1500")
    gone = d.sentinels[2]
    gone_id = gone.cmd("SENTINEL", "MYID")
    gone.proc.stop()
    live = d.sentinels[:2]

    def forgotten(s):
        ids = {p["runid"] for p in s.table("SENTINELS")}
        in_file = {p.get("runid") for p in state_file(s).get("sentinels", [])}
        return gone_id not in ids and gone_id not in in_file and len(ids) == 1
    wait_until(lambda: all(forgotten(s) for s in live), 30,
               "both remaining sentinels to forget the stopped one", ignore=IGNORE)
    assert live[0].master_info()["num-other-sentinels"] == "1"
