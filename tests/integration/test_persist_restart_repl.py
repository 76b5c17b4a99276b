"""Restarts with persistence in a replicated group (docs/persistence.md#restarts-and-replication,
docs/replication.md, issue #17).

- A replica restarted on its own folder resumes with a partial resync: the snapshot it kept
  (the one a disk-based full sync stored, `repl-diskless-load disabled`, or the one written at
  shutdown) carries the master's replication id and offset, the master's backlog covers the gap,
  so the master's INFO stats show sync_partial_ok + 1 and no new sync_full; its data then equals
  the master's.
- A master restarted from a snapshot older than what its replicas hold must not wipe them
  (README "A master that restarts empty"): the replica refuses the full resync, keeps every key
  and says why in INFO replication. Redis 7.0 does wipe them: against redis-server
  (VIGIL_TARGET=redis) the test checks the setup (the master really came back with the older
  data) and that Redis's replica converges to it, i.e. the hazard the guard exists for.

Data is written by vigiltest.ackwriter's operation sequence, so what each node holds is compared
against what was acknowledged. Every wait polls with a deadline.
"""

import pytest

import vigiltest
from vigiltest import wait_until
from vigiltest.ackwriter import expected_state, info_fields, op_command, read_state
from vigiltest.resp import ReplyError

SYNC_TIMEOUT_S = 30
BATCH = 3000            # writer ops per batch
MASTER_ARGS = ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "16mb"]


def start(name, args, data_dir=None, port=None):
    return vigiltest.start_store(vigiltest.target_kind(), name=name, data_dir=data_dir,
                                 port=port, extra_args=list(args), timeout_s=SYNC_TIMEOUT_S)


def info(store, section="replication"):
    with store.raw() as conn:
        return info_fields(conn, section)


def sync_counts(master):
    fields = info(master, "stats")
    return int(fields["sync_full"]), int(fields["sync_partial_ok"])


def write_batch(store, prefix, n=BATCH, replicas=1):
    """Write ops 0..n-1 of prefix, every reply checked, then WAIT for the replicas."""
    with store.raw(timeout_s=20) as conn:
        conn.send_raw(b"".join(op_command(prefix, i, 0) for i in range(n)))
        for i in range(n):
            reply = conn.read_reply()
            assert not isinstance(reply, ReplyError), (i, reply)
        if replicas:
            assert conn.call("WAIT", replicas, 10000) >= replicas


def synced(master, replica):
    m, r = info(master), info(replica)
    return (r.get("master_link_status") == "up"
            and r.get("slave_repl_offset") == m.get("master_repl_offset"))


def holds(store, batches):
    """True if store holds exactly the ops of every (prefix, n) batch."""
    with store.raw(timeout_s=20) as conn:
        return all(read_state(conn, prefix, n) == expected_state(range(n))
                   for prefix, n in batches)


def replica_of(master):
    return ["--replicaof", "%s %d" % (master.host, master.port)]


# ---- a restarted replica resumes partially -------------------------------------------------------

# how the replica goes away, and what it keeps on disk:
#   sync-dump:   kill -9; the dump a disk-based full sync stored (no save points, no AOF)
#   shutdown:    SIGTERM with save points: the snapshot written at shutdown
RESTARTS = {
    "sync-dump": (["--repl-diskless-load", "disabled", "--save", ""], "kill9"),
    "shutdown": (["--repl-diskless-load", "disabled", "--save", "3600 1"], "sigterm"),
}


@pytest.mark.parametrize("how", sorted(RESTARTS))
def test_restarted_replica_resumes_with_a_partial_resync(how):
    args, stop = RESTARTS[how]
    master = start("master", MASTER_ARGS)
    write_batch(master, b"a:", replicas=0)          # in the full sync's snapshot
    replica = start("replica", args + replica_of(master))
    write_batch(master, b"b:")                      # streamed after the full sync
    wait_until(lambda: synced(master, replica), SYNC_TIMEOUT_S, "the replica in sync")
    full, partial = sync_counts(master)
    assert full == 1
    port, data_dir = replica.port, replica.dir
    if stop == "kill9":
        replica.kill9()
    else:
        assert replica.stop() == 0
    write_batch(master, b"c:", replicas=0)          # while the replica is away
    again = start("replica-again", args + replica_of(master), data_dir=data_dir, port=port)
    wait_until(lambda: synced(master, again), SYNC_TIMEOUT_S, "the restarted replica in sync")
    assert sync_counts(master) == (full, partial + 1), "not a partial resync: %r" % (
        info(master, "stats"),)
    batches = [(b"a:", BATCH), (b"b:", BATCH), (b"c:", BATCH)]
    assert holds(master, batches) and holds(again, batches)
    assert info(again)["master_replid"] == info(master)["master_replid"]


# ---- a master restarted from an older snapshot ---------------------------------------------------

def test_master_restarted_from_an_older_snapshot_does_not_wipe_its_replica():
    master = start("master", MASTER_ARGS)
    replica = start("replica", ["--repl-diskless-load", "disabled"] + replica_of(master))
    write_batch(master, b"a:")
    with master.raw() as conn:
        assert conn.call("SAVE") == "OK"            # the snapshot holds a: only
    write_batch(master, b"b:")                      # acknowledged by the replica (WAIT 1)
    wait_until(lambda: synced(master, replica), SYNC_TIMEOUT_S, "the replica in sync")
    port, data_dir = master.port, master.dir
    master.kill9()
    again = start("master-again", MASTER_ARGS, data_dir=data_dir, port=port)
    # The setup: the master is back with the older data, behind its replica.
    assert holds(again, [(b"a:", BATCH), (b"b:", 0)])
    if again.kind == "redis":
        # Redis 7.0 follows it and drops what only the replica had: the hazard guarded against.
        wait_until(lambda: synced(again, replica) and holds(replica, [(b"a:", BATCH), (b"b:", 0)]),
                   SYNC_TIMEOUT_S, "redis-server's replica to follow the regressed master")
        return
    wait_until(lambda: info(replica).get("master_sync_refused") == "regressed-master",
               SYNC_TIMEOUT_S, "the replica to refuse the regressed master")
    fields = info(replica)
    assert fields["master_link_status"] == "down"
    assert int(fields["master_sync_refused_count"]) >= 1
    assert holds(replica, [(b"a:", BATCH), (b"b:", BATCH)])
