"""The data-path fence (docs/replication.md#fencing-on-the-data-path): a master with
`min-replicas-to-write 1` and `min-replicas-max-lag-ms 500`, its replica ACKing every
`repl-ack-period-ms 100`, refuses writes within about half a second of losing its replica, not
after the 10 s of Redis's seconds key, and takes them again once the replica is back.

Also: both keys in CONFIG GET/SET (bad values refused with redis-server's wording for a bad
integer) and in a YAML config file, the replica's ACK period seen from the master
(`cmdstat_replconf` calls), and INFO replication's Redis fields unchanged beside redis-server's
(ours come after them).

These run on vigil-store whatever VIGIL_TARGET says (the keys are Vigil's); redis-server is
started only as the reference for names and error texts.
"""

import os
import re
import signal

import vigiltest
from vigiltest import wait_until

_replication = vigiltest.load_sibling(__file__, "test_replication.py")
info = _replication.info

NOREPLICAS = b"-NOREPLICAS Not enough good replicas to write.\r\n"
SYNC_TIMEOUT_S = 20


def start_pair(kind="vigil", master_args=(), replica_args=()):
    """A master and one replica of `kind`, synced."""
    base = ["--repl-diskless-sync-delay", "0"]
    master = vigiltest.start_store(kind, name="%s-master" % kind, extra_args=base + list(master_args))
    replica = vigiltest.start_store(kind, name="%s-replica" % kind,
                                    extra_args=base + list(replica_args))
    assert replica.client().execute_command("REPLICAOF", master.host, master.port) == b"OK"
    # With min-replicas-to-write the first write waits for the replica's first ACK.
    conn = master.raw()
    wait_until(lambda: conn.call_bytes("SET", "fence:ready", "1") == b"+OK\r\n", SYNC_TIMEOUT_S,
               "a first write")
    vigiltest.wait_synced(master, replica, what="the replica to sync", require_offset=True)
    return master, replica


def replconf_calls(client):
    stats = info(client, "commandstats").get("cmdstat_replconf", "calls=0")
    return int(re.match(r"calls=(\d+)", stats).group(1))


def test_isolated_master_refuses_writes_within_max_lag_ms():
    master, replica = start_pair(
        master_args=["--min-replicas-to-write", "1", "--min-replicas-max-lag-ms", "500"],
        replica_args=["--repl-ack-period-ms", "100"])
    conn = master.raw()
    # A loaded machine may delay an ACK past 500 ms now and then: poll for a write that works.
    wait_until(lambda: conn.call_bytes("SET", "f:1", "1") == b"+OK\r\n", 10, "a write to succeed")
    replica.proc.signal(signal.SIGSTOP)
    try:
        # min-replicas-max-lag (10 s, the default) alone would take 10-11 s: 5 s fails it.
        wait_until(lambda: conn.call_bytes("SET", "f:2", "2") == NOREPLICAS, 5,
                   "the master to refuse writes with NOREPLICAS")
        good = info(master.client())
        assert good["min_slaves_good_slaves"] == "0"
        assert good["connected_slaves"] == "1"          # still attached: only its ACKs stopped
        assert int(good["vigil_replica0_ack_age_ms"]) >= 500
        assert conn.call("GET", "f:1") == b"1"           # reads are still served
    finally:
        replica.proc.signal(signal.SIGCONT)
    wait_until(lambda: conn.call_bytes("SET", "f:3", "3") == b"+OK\r\n", 10,
               "writes to resume once the replica ACKs again")
    assert info(master.client())["min_slaves_good_slaves"] == "1"


def test_replica_acks_at_the_configured_period():
    master, replica = start_pair()
    mc = master.client()
    # Changed at run time: the replica re-arms its ACK timer (the default is once a second).
    assert replica.client().config_set("repl-ack-period-ms", "100") is True
    before = replconf_calls(mc)
    # At 1000 ms at most 5 ACKs could arrive within the deadline; at 100 ms about 40 do.
    wait_until(lambda: replconf_calls(mc) - before >= 10, 4,
               "10 REPLCONF ACKs from a replica with repl-ack-period-ms 100")


def redis_error(store, *args):
    return store.raw().call_bytes("CONFIG", "SET", *args).decode()


def test_config_get_set_and_errors_match_redis_integer_keys():
    redis = vigiltest.start_store("redis", name="redis-reference")
    store = vigiltest.start_store("vigil", name="vigil")
    cli = store.client()
    assert cli.config_get("min-replicas-max-lag-ms") == {"min-replicas-max-lag-ms": "0"}
    assert cli.config_get("repl-ack-period-ms") == {"repl-ack-period-ms": "1000"}
    assert cli.config_set("min-replicas-max-lag-ms", "750") is True
    assert cli.config_set("repl-ack-period-ms", "10") is True
    assert cli.config_get("min-replicas-max-lag-ms") == {"min-replicas-max-lag-ms": "750"}
    assert cli.config_get("repl-ack-period-ms") == {"repl-ack-period-ms": "10"}
    assert cli.config_get("min-replicas-max-lag") == {"min-replicas-max-lag": "10"}
    # Redis's texts for an integer key, with the key's name and range put in.
    not_int = redis_error(redis, "min-replicas-to-write", "abc")
    out_of_range = redis_error(redis, "min-replicas-to-write", "-1")
    for key, bad, lo, hi in (("repl-ack-period-ms", "9", 10, 60000),
                             ("min-replicas-max-lag-ms", "-1", 0, 3600000)):
        want = not_int.replace("min-replicas-to-write", key)
        assert redis_error(store, key, "abc") == want
        assert redis_error(store, key, "1.5") == want
        want = re.sub(r"between \d+ and \d+", "between %d and %d" % (lo, hi),
                      out_of_range.replace("min-replicas-to-write", key))
        assert redis_error(store, key, bad) == want
    assert cli.config_get("repl-ack-period-ms") == {"repl-ack-period-ms": "10"}


def test_both_keys_read_from_a_yaml_file():
    path = os.path.join(vigiltest.new_tmp_dir("fence-conf"), "store.yaml")
    with open(path, "w") as f:
        f.write("min-replicas-to-write: 1\nmin-replicas-max-lag-ms: 250\nrepl-ack-period-ms: 50\n")
    cli = vigiltest.start_store("vigil", name="vigil-yaml", config=path).client()
    assert cli.config_get("min-replicas-max-lag-ms") == {"min-replicas-max-lag-ms": "250"}
    assert cli.config_get("repl-ack-period-ms") == {"repl-ack-period-ms": "50"}


def replication_shape(store):
    """INFO replication's field names in order, slave<i> lines as their key names."""
    raw = _replication.call_raw(store.client(), "INFO", "replication").decode()
    names = []
    for line in raw.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if re.fullmatch(r"slave\d+", key):
            key += "(" + ",".join(part.split("=")[0] for part in value.split(",")) + ")"
        names.append(key)
    return names


def test_info_replication_fields_are_redis_ones_then_ours():
    args = ["--min-replicas-to-write", "1"]
    shapes = {}
    for kind in ("redis", "vigil"):
        master, replica = start_pair(kind, master_args=args)
        shapes[kind] = replication_shape(master)
        replica.stop()
        master.stop()
    ours = [k for k in shapes["vigil"] if k.startswith("vigil_")]
    lease = [k for k in ours if k.startswith("vigil_master_lease")]  # replication.md#master-lease
    assert ours == ["vigil_replica0_ack_age_ms"] + lease
    assert shapes["vigil"] == shapes["redis"] + ours     # Redis's fields first, in its order
    assert "min_slaves_good_slaves" in shapes["redis"]
