"""A restarted, empty master must never wipe its group (docs/replication.md#regressed-master-guard,
docs/sentinel-protocol.md#regressed-master).

Without persistence a master that restarts comes back empty with a new replication history.
Redis's replicas then full-resync from it and drop every key, before any sentinel notices.
Vigil's rules, tested here with real processes on 127.0.0.1:

- store: a replica that holds data refuses a full sync from a master whose history is new and
  behind its own (INFO master_sync_refused:regressed-master, keys kept and readable); REPLICAOF
  naming the master again, or replica-accept-regressed-master yes, accepts it;
- store: a store whose overrides file says it belonged to a group (repl-group-member, written
  by the store on its first role change) and that starts without data refuses writes (-READONLY)
  until REPLICAOF / REPLICAOF NO ONE;
- sentinel: a master whose run id changed and whose offset went behind its replicas' is
  subjectively down at once (+regressed-master): a replica is promoted, the restarted node is
  made its replica, the history record says why; through kill -9 and through SIGTERM.

Synchronisation is by polling with deadlines, never a fixed sleep.
"""

import os
import signal

import pytest
import redis

import vigiltest
from vigiltest import deploy
from vigiltest import wait_until

SYNC_TIMEOUT_S = 20
NKEYS = 200


def info_raw(store):
    """INFO replication as {field: text}, read over a raw connection (no redis-py parsing)."""
    with store.raw() as conn:
        text = conn.call("INFO", "replication")
    text = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in text.splitlines()
                if ":" in line and not line.startswith("#"))


def start(name, port=None, data_dir=None, extra=()):
    return vigiltest.start_store("vigil", name=name, port=port, data_dir=data_dir,
                                 extra_args=["--repl-diskless-sync-delay", "0"] + list(extra))


def fill(client, n=NKEYS, prefix="k"):
    p = client.pipeline(transaction=False)
    for i in range(n):
        p.set("%s:%d" % (prefix, i), "v%d" % i)
    p.execute()


def synced(master, replica):
    m, r = info_raw(master), info_raw(replica)
    return (r.get("master_link_status") == "up"
            and r.get("slave_repl_offset") == m.get("master_repl_offset"))


def group_of_two(replica_extra=()):
    master = start("master")
    replica = start("replica", extra=replica_extra)
    replica.client().execute_command("REPLICAOF", master.host, master.port)
    fill(master.client())
    assert master.client().execute_command("WAIT", 1, 5000) == 1
    wait_until(lambda: synced(master, replica), SYNC_TIMEOUT_S, "replica in sync")
    assert replica.client().dbsize() == NKEYS
    return master, replica


def restart_empty(master, same_dir):
    """kill -9 the master and start an empty one on its port (a fresh dir unless same_dir)."""
    port, data_dir = master.port, master.dir
    master.kill9()
    return start("master-again", port=port,
                 data_dir=data_dir if same_dir else None)


# ---- store: the replica side -------------------------------------------------------------------

def test_replica_keeps_its_data_when_the_master_restarts_empty():
    master, replica = group_of_two()
    old_offset = int(info_raw(replica)["slave_repl_offset"])
    again = restart_empty(master, same_dir=False)
    wait_until(lambda: info_raw(replica).get("master_sync_refused") == "regressed-master",
               SYNC_TIMEOUT_S, "the replica to refuse the empty master")
    fields = info_raw(replica)
    assert fields["master_sync_refused_replid"] == info_raw(again)["master_replid"]
    assert int(fields["master_sync_refused_offset"]) <= old_offset
    assert int(fields["master_sync_refused_count"]) >= 1
    assert fields["master_link_status"] == "down"
    # Keys kept and readable; a second refusal does not change that.
    wait_until(lambda: int(info_raw(replica)["master_sync_refused_count"]) >= 2,
               SYNC_TIMEOUT_S, "a retry, refused again")
    rc = replica.client()
    assert rc.dbsize() == NKEYS
    assert rc.get("k:7") == b"v7"
    log = replica.proc.log_text()
    assert "Refusing a full resync from MASTER" in log
    # Rate-limited: one line per refusal at most, not a flood.
    assert log.count("Refusing a full resync") <= int(info_raw(replica)["master_sync_refused_count"])


def test_replicaof_again_accepts_the_empty_master_once():
    master, replica = group_of_two()
    again = restart_empty(master, same_dir=False)
    wait_until(lambda: info_raw(replica).get("master_sync_refused") == "regressed-master",
               SYNC_TIMEOUT_S, "the replica to refuse the empty master")
    reply = replica.client().execute_command("REPLICAOF", again.host, again.port)
    assert reply == b"OK Already connected to specified master"
    wait_until(lambda: synced(again, replica), SYNC_TIMEOUT_S, "the replica to follow it")
    assert replica.client().dbsize() == 0
    assert "master_sync_refused" not in info_raw(replica)
    # Once: the acceptance does not outlive the sync; a second empty restart is refused again.
    again.client().set("fresh", "1")
    wait_until(lambda: replica.client().get("fresh") == b"1", SYNC_TIMEOUT_S, "fresh write")
    third = restart_empty(again, same_dir=False)
    wait_until(lambda: info_raw(replica).get("master_sync_refused") == "regressed-master",
               SYNC_TIMEOUT_S, "the replica to refuse the next empty master")
    assert replica.client().get("fresh") == b"1"
    assert third.is_alive()


def test_the_setting_restores_redis_behaviour():
    master, replica = group_of_two(replica_extra=["--replica-accept-regressed-master", "yes"])
    again = restart_empty(master, same_dir=False)
    wait_until(lambda: synced(again, replica), SYNC_TIMEOUT_S, "the replica to follow it")
    assert replica.client().dbsize() == 0


# ---- store: the restarted master -----------------------------------------------------------------

def test_a_restarted_group_member_waits_for_its_role():
    master, replica = group_of_two()
    overrides = os.path.join(master.dir, "vigil-store.overrides.yaml")
    with open(overrides) as f:
        assert "repl-group-member: yes" in f.read()   # written when its first replica attached
    with open(os.path.join(replica.dir, "vigil-store.overrides.yaml")) as f:
        text = f.read()   # written by REPLICAOF
    assert "repl-group-member: yes" in text and "replicaof:" in text
    again = restart_empty(master, same_dir=True)
    c = again.client()
    with again.raw() as conn:
        reply = conn.call("SET", "x", "1")
    assert isinstance(reply, vigiltest.ReplyError)
    assert reply.message.startswith("READONLY ") and "REPLICAOF" in reply.message
    assert info_raw(again).get("repl_awaiting_role") == "1"
    assert c.get("x") is None   # reads are served
    # The replica refuses it meanwhile: the data stays.
    wait_until(lambda: info_raw(replica).get("master_sync_refused") == "regressed-master",
               SYNC_TIMEOUT_S, "the replica to refuse the empty master")
    assert replica.client().dbsize() == NKEYS
    # The operator decides: the replica becomes the master, the restarted node its replica.
    assert replica.client().execute_command("REPLICAOF", "NO", "ONE") == b"OK"
    assert c.execute_command("REPLICAOF", replica.host, replica.port) == b"OK"
    wait_until(lambda: synced(replica, again), SYNC_TIMEOUT_S, "the old master to resync")
    assert c.dbsize() == NKEYS
    assert "repl_awaiting_role" not in info_raw(again)


def test_replicaof_no_one_makes_a_waiting_store_a_master():
    master, _replica = group_of_two()
    again = restart_empty(master, same_dir=True)
    c = again.client()
    with pytest.raises(Exception):
        c.set("x", "1")
    assert c.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
    assert c.set("x", "1")


def test_a_standalone_store_starts_writable():
    alone = start("alone")
    port, data_dir = alone.port, alone.dir
    alone.client().execute_command("CONFIG", "REWRITE")
    alone.kill9()
    again = start("alone-again", port=port, data_dir=data_dir)
    assert again.client().set("x", "1")
    assert "repl_awaiting_role" not in info_raw(again)


# ---- the whole group: 3 data nodes, 3 vigil-sentinels (down-after 500 ms) -----------------------

def all_keys_there(client, n=NKEYS):
    values = client.mget(["k:%d" % i for i in range(n)])
    return values == [b"v%d" % i for i in range(n)]


def history_records(sentinel):
    from vigiltest import sentinel_http
    reply = sentinel_http.http_call(sentinel.http_port, "GET",
                                    "/v1/masters/%s/history" % deploy.MASTER_NAME,
                                    token=deploy.DEMO_TOKEN)
    assert reply.status == 200, reply
    return reply.json["records"]


# down-after 500 ms: the sentinels may see the restart as an outage first; 5 s (the production
# config's): it comes back long before that, and only its regressed offset fails it.
@pytest.mark.parametrize("how,down_after_ms", [("kill9", 500), ("sigterm", 500), ("kill9", 5000),
                                               ("sigterm", 5000)])
def test_a_master_restarted_empty_loses_no_acknowledged_write(proc_group, how, down_after_ms):
    d = deploy.Deployment(proc_group, demo=True, down_after_ms=down_after_ms,
                          failover_timeout_ms=3000).start()
    old = d.agreed_master()
    master = d.node_at(old)
    c = master.client()
    fill(c)
    assert c.execute_command("WAIT", 2, 5000) == 2
    port, data_dir = master.port, master.dir
    if how == "kill9":
        master.kill9()
    else:
        master.stop()
    # As systemd's Restart= would: same config, same dir, same port, no data.
    again = vigiltest.start_store("vigil", port=port, data_dir=data_dir, name="store1-again",
                                  config=os.path.join(deploy.DEMO_DIR, "store-master.yaml"),
                                  group=proc_group)
    d.nodes[0] = again
    new = d.wait_switched(old, timeout_s=40)
    assert new != old
    # The new master serves once 2 sentinels renewed its lease (demo: master-lease yes,
    # docs/replication.md#master-lease): a read a few ms after the switch may be refused.
    wait_until(lambda: all_keys_there(d.node_at(new).client()), SYNC_TIMEOUT_S,
               "a replica with every key promoted", ignore=(redis.ReadOnlyError,))
    # The restarted node rejoins as a replica of the new master and gets the keys back.
    settled = d.wait_settled(timeout_s=40)
    assert settled == new
    for node in d.nodes:
        wait_until(lambda node=node: all_keys_there(node.client()), SYNC_TIMEOUT_S,
                   "every key on %s" % node.addr)
    assert d.role_of(again)[0] == "slave"
    if down_after_ms < 5000:
        return
    # Why, in the sentinels' log and history.
    logs = [s.proc.log_text() for s in d.sentinels]
    assert any("+regressed-master master mymaster %s %d" % old in log for log in logs)
    assert not any("+regressed-master master mymaster %s %d" % new in log for log in logs)
    reasons = [r.get("reason", "") for s in d.sentinels for r in history_records(s)]
    assert any(r.startswith("regressed-master: master_repl_offset") for r in reasons), reasons
