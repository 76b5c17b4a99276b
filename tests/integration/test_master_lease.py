"""The master lease (docs/replication.md#master-lease): a vigil-store master with
`master-lease yes` takes reads and writes only while enough of its vigil-sentinels renewed its
lease, and resumes by itself when they renew again.

Each test starts its own processes on free 127.0.0.1 ports (vigiltest.deploy); every wait is a
poll with a deadline. The one timing fact asserted is the safety bound the design guarantees,
not a speed: a write sent once down-after has passed since the sentinels stopped must be refused,
since the last lease ended at most lease-ms (< down-after) after the last renewal.
"""

import os
import signal
import threading
import time

import pytest
import redis
import redis.sentinel

from vigiltest import deploy, wait_until

HOST = "127.0.0.1"
MASTER = "mymaster"
DOWN_AFTER_MS = 500
FENCED = "fenced master"


def lease_info(client):
    return {k: v for k, v in client.info("replication").items() if "master_lease" in k}


def try_write(client, key="k", value="v"):
    """True when acknowledged; the error text when refused."""
    try:
        return client.set(key, value) is True
    except redis.ReadOnlyError as e:
        return str(e)


def leased_deployment(group, **kw):
    d = deploy.Deployment(group, down_after_ms=DOWN_AFTER_MS, **kw).start()
    for n in d.nodes:
        assert n.client().config_set("master-lease", "yes") is True
    return d


def test_a_master_cut_off_from_two_of_three_sentinels_is_fenced_then_resumes(proc_group):
    d = leased_deployment(proc_group)
    m = d.master.client(decode_responses=True)
    wait_until(lambda: try_write(m) is True, 10, "writes once the sentinels renewed the lease")
    # A sentinel that knows no peer yet (just started) asks for 1 lease: wait for the leases
    # sent once all three know each other (3 sentinels, quorum 2: 2 needed).
    wait_until(lambda: lease_info(m)["vigil_master_lease_needed"] == 2, 10, "needed 2")
    info = lease_info(m)
    assert info["vigil_master_lease"] == "on"
    assert info["vigil_master_lease_valid"] >= 2
    wait_until(lambda: d.sentinels[2].master_info().get("lease-needed") == "2", 10,
               "the sentinel to show the node's lease view")
    desc = d.sentinels[2].master_info()
    assert desc["lease-fenced"] == "0" and int(desc["lease-valid"]) >= 2, desc
    lease = d.sentinels[2].get("/v1/masters/" + MASTER).json["master"]["lease"]
    assert lease["supported"] is True and lease["renewing"] is True and lease["fenced"] is False
    epoch = desc["config-epoch"]
    stopped = d.sentinels[:2]
    for s in stopped:
        s.proc.signal(signal.SIGSTOP)
    t_stop = time.monotonic()
    try:
        # The safety bound: a write sent down-after after the stop must be refused.
        wait_until(lambda: time.monotonic() - t_stop > DOWN_AFTER_MS / 1000.0, 5, "down-after")
        refused = try_write(m)
        assert refused is not True and FENCED in refused, refused
        assert "READONLY" not in refused  # redis-py strips the code into the exception class
        with pytest.raises(redis.ReadOnlyError):
            m.get("k")  # no stale reads either
        assert m.ping() is True  # the control plane still answers
        info = lease_info(m)
        assert info["vigil_master_lease_fenced"] == 1
        assert info["vigil_master_lease_valid"] <= 1
        assert info["vigil_master_lease_refused_cmds"] >= 2
    finally:
        for s in stopped:
            s.proc.signal(signal.SIGCONT)
    wait_until(lambda: try_write(m, "k", "again") is True, 10, "writes once the leases are back")
    assert m.get("k") == "again"
    assert d.agreed_master() == (HOST, d.master.port), "no failover happened"
    assert d.sentinels[2].master_info()["config-epoch"] == epoch


def test_master_lease_yes_without_sentinels_refuses_and_no_takes_writes(store):
    c = store.client(decode_responses=True)
    assert c.config_get("master-lease") == {"master-lease": "no"}
    assert c.set("a", "1") is True
    assert c.config_set("master-lease", "yes") is True
    refused = try_write(c, "a", "2")
    assert refused is not True and "fewer than 1 of its sentinels" in refused
    assert lease_info(c)["vigil_master_lease_fenced"] == 1
    # No data through scripts either (EVAL is allowed on a stale replica, not here).
    for script in ("return redis.call('SET', 'a', 'x')", "return redis.call('GET', 'a')"):
        with pytest.raises(redis.ReadOnlyError, match=FENCED):
            c.eval(script, 0)
    with pytest.raises(redis.ReadOnlyError, match=FENCED):
        c.execute_command("EVAL_RO", "return redis.call('GET', 'a')", 0)
    assert c.script_exists("0" * 40) == [False]
    # The commands a sentinel and an operator need still run.
    assert c.ping() is True
    assert c.info("server")["tcp_port"] == store.port
    reply = c.execute_command("VIGIL", "LEASE", "g", "s1", "0", "1000", "1", "1")
    assert len(reply) == 6 and reply[0] > 0 and reply[3] == 1 and reply[4] == 1 and reply[5] == 1
    # A lease granted on the store's own clock lifts the fence.
    reply = c.execute_command("VIGIL", "LEASE", "g", "s1", str(reply[0]), "60000", "1", "1")
    assert reply[3] == 0 and reply[4] == 0
    assert c.set("a", "3") is True
    assert c.config_set("master-lease", "no") is True
    assert c.set("a", "4") is True


def test_vigil_lease_rejects_bad_arguments(store):
    c = store.client(decode_responses=True)
    now = c.execute_command("VIGIL", "LEASE", "g", "s1", "0", "1000", "1", "1")[0]
    for args, text in [
        (("g", "s1", "x", "1000", "1", "1"), "syntax error"),
        (("g", "s1", str(now + 10**9), "1000", "1", "1"), "anchor"),
        (("g", "s1", "1", "0", "1", "1"), "lease-ms"),
        (("g", "s1", "1", "1000", "0", "1"), "needed"),
        (("g", "s" * 41, "1", "1000", "1", "1"), "syntax error"),
    ]:
        with pytest.raises(redis.ResponseError, match=text):
            c.execute_command("VIGIL", "LEASE", *args)
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        c.execute_command("VIGIL", "LEASE", "g")


def test_a_store_under_redis_sentinels_keeps_taking_writes(proc_group):
    """master-lease stays off by default: Redis's sentinels send no lease and need none."""
    d = deploy.Deployment(proc_group, sentinel_kind="redis", n_replicas=1,
                          down_after_ms=DOWN_AFTER_MS).start()
    m = d.master.client(decode_responses=True)
    for i in range(20):
        assert m.set("k%d" % i, i) is True
    assert lease_info(m)["vigil_master_lease"] == "off"
    assert lease_info(m)["vigil_master_lease_fenced"] == 0


def test_vigil_sentinels_over_redis_nodes_stop_renewing_and_say_so_once(proc_group):
    d = deploy.Deployment(proc_group, node_kind="redis", n_replicas=1,
                          down_after_ms=DOWN_AFTER_MS).start()
    m = d.master.client(decode_responses=True)
    s = d.sentinels[0]

    def logged():
        return "does not support VIGIL LEASE" in s.proc.log_text()
    wait_until(logged, 10, "the sentinel to notice that redis-server has no VIGIL LEASE")
    assert "lease-valid" not in s.master_info()  # Redis's exact field list for a Redis master
    assert s.get("/v1/masters/" + MASTER).json["master"]["lease"]["supported"] is False
    assert m.set("x", "1") is True

    def errors():  # redis-py leaves "count=N" unparsed
        return int(str(m.info("errorstats").get("errorstat_ERR", "count=0")).split("=")[1])

    def processed():
        return int(m.info("stats")["total_commands_processed"])
    err0, cmds0 = errors(), processed()
    # While the sentinels send ~150 commands (PING, INFO, hellos), a renewal every
    # down-after / 4 would add dozens of "unknown command" errors; after each sentinel's first
    # refusal none come (a reconnect's retry is once a minute).
    wait_until(lambda: processed() > cmds0 + 150, 20, "150 more commands from the sentinels")
    assert errors() - err0 <= 3
    assert s.proc.log_text().count("does not support VIGIL LEASE") == 1


def test_redis_py_sentinel_client_writes_through_a_failover_with_fencing(proc_group):
    """SIGSTOP of the master while a SentinelConnectionPool client has a write in flight to it;
    the sentinels fail over. On SIGCONT the old master reads that write first: fenced (its
    leases ran out on its own clock while it was stopped), it answers READONLY, so redis-py
    drops the connection, asks the sentinels again and keeps writing to the new master. Without
    the fence the old master would acknowledge the write and lose it when demoted."""
    d = leased_deployment(proc_group)
    d.wait_eligible()
    sentinel = redis.sentinel.Sentinel([(HOST, s.port) for s in d.sentinels],
                                       socket_timeout=1, socket_connect_timeout=1)
    # A long timeout: the write in flight during the stop must still be waiting at SIGCONT.
    client = sentinel.master_for(MASTER, socket_timeout=30, socket_connect_timeout=1)
    wait_until(lambda: client.set("before", "1") is True, 10, "a first write",
               ignore=(redis.ReadOnlyError, redis.ConnectionError))
    old = d.master
    acked, errors = {}, []
    stop = threading.Event()
    started = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            started.set()
            try:
                if client.set("w%d" % i, i) is True:
                    acked[i] = True
            except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError,
                    redis.sentinel.MasterNotFoundError) as e:
                errors.append(repr(e))
            i += 1
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    started.wait(5)
    wait_until(lambda: len(acked) >= 5, 10, "a few writes before the stop")
    old.proc.signal(signal.SIGSTOP)
    try:
        new = d.wait_switched((HOST, old.port), timeout_s=20)
    finally:
        old.proc.signal(signal.SIGCONT)
    n_at_switch = len(acked)
    oc = old.client(decode_responses=True)
    wait_until(lambda: lease_info(oc)["vigil_master_lease_refused_cmds"] > 0, 15,
               "the old master to refuse the write that waited for it")
    wait_until(lambda: len(acked) > n_at_switch + 20, 15, "writes to the new master")
    stop.set()
    t.join(35)
    assert any("previous master" in e for e in errors), errors[:5]
    d.wait_settled(timeout_s=20)
    nc = d.node_at(new).client(decode_responses=True)
    lost = [i for i in acked if nc.get("w%d" % i) != str(i)]
    assert not lost, "acknowledged writes missing on the new master: %s" % lost[:10]
    client.connection_pool.disconnect()


def test_a_transaction_queued_before_the_lease_ended_is_refused_at_exec(store):
    c = store.raw()
    assert c.call("CONFIG", "SET", "master-lease", "yes") == "OK"
    now = c.call("VIGIL", "LEASE", "g", "s1", "0", "1000", "1", "1")[0]
    c.call("VIGIL", "LEASE", "g", "s1", str(now), "300", "1", "1")  # ends 300 ms after `now`
    assert c.call("SET", "a", "1") == "OK"
    assert c.call("MULTI") == "OK"
    assert c.call("GET", "a") == "QUEUED"
    info = store.client(decode_responses=True)
    wait_until(lambda: lease_info(info)["vigil_master_lease_fenced"] == 1, 5, "the lease to end")
    reply = c.call("EXEC")
    assert FENCED in str(reply), reply
