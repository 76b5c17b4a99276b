"""RDB files both ways between vigil-store and Debian's redis-server 7.0 (docs/persistence.md,
docs/formats.md#rdb).

- redis-check-rdb accepts the dump vigil-store writes;
- redis-server started on a folder written by vigil-store has exactly the same keys, values,
  types, TTLs (absolute expiry within a second) and databases;
- vigil-store started on a folder written by redis-server has the same, and keeps Redis's
  compact encodings where Redis has them.
Covered: small and large hashes, lists, sets (integer sets too), sorted sets, HyperLogLog,
bitmaps, expiry, several databases, binary keys (the integration suite's fill_every_type).
"""

import os
import subprocess

import vigiltest

helpers = vigiltest.load_sibling(
    __file__, os.path.join("..", "..", "integration", "test_persist_load.py"))

DEBUG = ["--enable-debug-command", "yes"]


def snapshot_of(store, ndb=16):
    """{(db, key): (type, value)} and {(db, key): absolute expiry in ms} of every key."""
    values = helpers.dump_all(store, ndb)
    c = store.client()
    expiry = {}
    for db, key in values:
        c.execute_command("SELECT", db)
        expiry[(db, key)] = c.execute_command("PEXPIRETIME", key)
    c.execute_command("SELECT", 0)
    return {k: v[:2] for k, v in values.items()}, expiry


def assert_same(a, b):
    (va, ea), (vb, eb) = a, b
    assert va == vb
    assert ea.keys() == eb.keys()
    for k in ea:
        assert (ea[k] < 0) == (eb[k] < 0), k
        assert abs(ea[k] - eb[k]) <= 1000, (k, ea[k], eb[k])


def test_vigil_dump_is_accepted_and_loaded_by_redis():
    vigil = vigiltest.start_store("vigil", name="vigil", extra_args=DEBUG)
    helpers.fill_every_type(vigil.client())
    want = snapshot_of(vigil)
    vigil.client().execute_command("DEBUG", "RELOAD")  # writes dump.rdb
    data_dir = vigil.dir
    assert vigil.stop() == 0
    path = os.path.join(data_dir, "dump.rdb")
    check = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "RDB looks OK" in check.stdout, check.stdout
    redis = vigiltest.start_store("redis", name="redis", data_dir=data_dir)
    assert_same(snapshot_of(redis), want)


def test_redis_dump_is_loaded_by_vigil():
    redis = vigiltest.start_store("redis", name="redis")
    helpers.fill_every_type(redis.client())
    want = snapshot_of(redis)
    want_enc = helpers.encodings(redis, helpers.ENC_KEYS)
    assert redis.client().save()
    data_dir = redis.dir
    redis.stop()
    vigil = vigiltest.start_store("vigil", name="vigil", data_dir=data_dir, extra_args=DEBUG)
    assert_same(snapshot_of(vigil), want)
    assert helpers.encodings(vigil, helpers.ENC_KEYS) == want_enc
